/* calendar: working days (data/calendar-cn.csv), for clocks written in working days ("5wd").
 *
 * The file is CSV, `date,kind,name` (a header line first, UTF-8, an optional BOM):
 *   2026-02-14,workday,春节     a make-up working day (调休), even on a Saturday or Sunday
 *   2026-02-16,holiday,春节     a day off, even on a Monday..Friday
 * Every other Monday..Friday is a working day, every other Saturday/Sunday a rest day. A year
 * is "in the calendar" when the file has at least one row of it; on a day of any other year
 * (past the last year, typically: the State Council publishes next year's notice each November)
 * only weekends count as rest days, and the first such day a calendar is asked about logs a
 * warning (once per loaded calendar). A NULL calendar (calendar.file "") is weekends only,
 * without a warning.
 *
 * A clock of N working days ("Nwd") started at start_ms ends at 24:00 local time (00:00 of the
 * next day) on the N-th working day after the start day. The start day itself never counts,
 * whether it is a working day or a rest day: a start on a rest day therefore counts from the
 * next working day, which is working day 1. Examples (local time +08:00, 2026 calendar):
 *   Mon 2026-03-02 10:00 + 5wd  -> Mon 2026-03-09 24:00 (Tue 3, Wed 4, Thu 5, Fri 6, Mon 9)
 *   Fri 2026-02-13 10:00 + 1wd  -> Sat 2026-02-14 24:00 (a make-up working day)
 *   Fri 2026-02-13 10:00 + 2wd  -> Tue 2026-02-24 24:00 (Spring Festival 02-15..02-23 off)
 *   Tue 2026-02-17 09:00 + 1wd  -> Tue 2026-02-24 24:00 (a start on a holiday: 02-24 is day 1)
 *   Sat 2026-03-07 15:00 + 1wd  -> Mon 2026-03-09 24:00 (the same as a start on Fri 03-06)
 *   Fri 2026-02-27 23:59 + 1wd  -> Sat 2026-02-28 24:00 (a make-up working day)
 *   Wed 2026-09-30 10:00 + 1wd  -> Thu 2026-10-08 24:00 (National Day 10-01..10-07 off)
 * The deadline is an instant: 2026-03-09 24:00 +08:00 is 2026-03-09T16:00:00Z.
 *
 * A loaded calendar is immutable (the warning's flag aside, which is atomic): threads share it
 * freely. O(log rows) per day looked at. */
#ifndef GRIDLINE_CALENDAR_H
#define GRIDLINE_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct calendar calendar_t;

/* Loads the CSV at path. NULL with a reason in err naming the path and the line
 * ("data/calendar-cn.csv:12: kind \"holyday\" is not holiday or workday"). */
calendar_t *calendar_load(const char *path, char *err, size_t errlen);
/* The same from text in memory (len bytes); origin names it in errors. */
calendar_t *calendar_parse(const char *text, size_t len, const char *origin, char *err,
                           size_t errlen);
/* Frees *self_p (NULL is fine) and sets it to NULL. */
void calendar_destroy(calendar_t **self_p);

/* Rows read (holidays and make-up working days). 0 for NULL. */
size_t calendar_count(const calendar_t *self);
/* The first and last year with a row in the file; 0 for NULL. */
int calendar_first_year(const calendar_t *self);
int calendar_last_year(const calendar_t *self);

/* Whether local day y-m-d is a working day: Monday..Friday unless a holiday, Saturday/Sunday
 * only as a make-up working day. false for a date that does not exist (2026-02-30). self may
 * be NULL (weekends only). */
bool calendar_is_workday(const calendar_t *self, int y, int m, int d);

/* The deadline of a clock of n working days started at start_ms (unix ms), days being local
 * at UTC + tz_offset_min: 00:00 local of the day after the n-th working day after the start
 * day (see above). n <= 0: start_ms. self may be NULL (weekends only). */
int64_t calendar_add_workdays(const calendar_t *self, int64_t start_ms, int n, int tz_offset_min);

#endif
