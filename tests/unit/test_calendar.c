/* calendar: working days from data/calendar-cn.csv (holidays and make-up working days), the
 * deadline of a clock of N working days (24:00 local time on the N-th working day after the start
 * day), a year the file does not have (weekends only, one warning), and files it refuses, naming
 * the line. The expectations are written out by hand or read from the CSV here with the C
 * library's own date functions, not with the module's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "calendar.h"
#include "config.h"
#include "routing.h"

#define TZ 480 /* +08:00 */
#define FILE_PATH "data/calendar-cn.csv"

/* Unix ms of local time y-m-d hh:mm at +08:00 (timegm: the C library's arithmetic). */
static int64_t s_at(int y, int m, int d, int hh, int mm)
{
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = hh, .tm_min = mm};
    return ((int64_t)timegm(&tm) - TZ * 60) * 1000;
}

/* 24:00 local time at the end of y-m-d (= 00:00 of the next day). */
static int64_t s_end_of(int y, int m, int d)
{
    return s_at(y, m, d, 0, 0) + 86400000LL;
}

static int s_setup(void **state)
{
    char err[256];
    calendar_t *cal = calendar_load(FILE_PATH, err, sizeof err);
    if (!cal) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    *state = cal;
    return 0;
}

static int s_teardown(void **state)
{
    calendar_t *cal = *state;
    calendar_destroy(&cal);
    assert_null(cal);
    calendar_destroy(&cal); /* safe on NULL */
    return 0;
}

/* The rows of the file of one kind and year, read here: "YYYY-MM-DD" each. */
static size_t s_rows(const char *kind, int year, int out[][3], size_t max)
{
    FILE *f = fopen(FILE_PATH, "r");
    assert_non_null(f);
    char line[256];
    size_t n = 0;
    while (fgets(line, sizeof line, f)) {
        int y, m, d;
        char k[16];
        if (sscanf(line, "%d-%d-%d,%15[a-z],", &y, &m, &d, k) == 4 && y == year &&
            strcmp(k, kind) == 0 && n < max) {
            out[n][0] = y;
            out[n][1] = m;
            out[n][2] = d;
            n++;
        }
    }
    fclose(f);
    return n;
}

static int s_weekday(int y, int m, int d) /* 0 Sunday .. 6 Saturday */
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 12};
    time_t t = timegm(&tm);
    gmtime_r(&t, &tm);
    return tm.tm_wday;
}

static void s_next_day(int *y, int *m, int *d, int delta)
{
    struct tm tm = {.tm_year = *y - 1900, .tm_mon = *m - 1, .tm_mday = *d + delta, .tm_hour = 12};
    time_t t = timegm(&tm);
    gmtime_r(&t, &tm);
    *y = tm.tm_year + 1900;
    *m = tm.tm_mon + 1;
    *d = tm.tm_mday;
}

static void test_file(void **state)
{
    const calendar_t *cal = *state;
    assert_int_equal(calendar_count(cal), 72);
    assert_int_equal(calendar_first_year(cal), 2025);
    assert_int_equal(calendar_last_year(cal), 2026);
    assert_int_equal(calendar_count(NULL), 0);
    assert_int_equal(calendar_last_year(NULL), 0);
}

/* Every day of 2026: listed days as the file says, the others Monday..Friday. */
static void test_every_day_of_2026(void **state)
{
    const calendar_t *cal = *state;
    int hol[64][3], work[16][3];
    size_t nh = s_rows("holiday", 2026, hol, 64), nw = s_rows("workday", 2026, work, 16);
    assert_int_equal(nh, 33);
    assert_int_equal(nw, 6);
    int y = 2026, m = 1, d = 1, workdays = 0;
    while (y == 2026) {
        int wd = s_weekday(y, m, d);
        bool want = wd >= 1 && wd <= 5;
        for (size_t i = 0; i < nh; i++)
            if (hol[i][1] == m && hol[i][2] == d)
                want = false;
        for (size_t i = 0; i < nw; i++)
            if (work[i][1] == m && work[i][2] == d)
                want = true;
        if (calendar_is_workday(cal, y, m, d) != want)
            fail_msg("2026-%02d-%02d: is_workday %d, the file says %d", m, d, !want, want);
        workdays += want;
        s_next_day(&y, &m, &d, 1);
    }
    printf("# 2026 has %d working days\n", workdays);
    assert_false(calendar_is_workday(cal, 2026, 2, 30));
    assert_false(calendar_is_workday(cal, 2026, 13, 1));
}

/* Each make-up working day of 2026 is a Saturday or Sunday, a working day, and a clock of one
 * working day started the day before (a rest day, or the last working day before) ends at its
 * end: the clock counts it. Two working days from the last working day before it end at the end
 * of the next working day after it. */
static void test_make_up_days_2026(void **state)
{
    const calendar_t *cal = *state;
    int work[16][3];
    size_t nw = s_rows("workday", 2026, work, 16);
    assert_int_equal(nw, 6);
    for (size_t i = 0; i < nw; i++) {
        int y = work[i][0], m = work[i][1], d = work[i][2];
        int wd = s_weekday(y, m, d);
        assert_true(wd == 0 || wd == 6);
        assert_true(calendar_is_workday(cal, y, m, d));
        int py = y, pm = m, pd = d;
        s_next_day(&py, &pm, &pd, -1);
        int64_t got = calendar_add_workdays(cal, s_at(py, pm, pd, 10, 0), 1, TZ);
        if (got != s_end_of(y, m, d))
            fail_msg(
                "1wd from %d-%02d-%02d does not end at the end of the make-up day %d-%02d-%02d", py,
                pm, pd, y, m, d);
        /* from 23:59 the day before as well: the day, not the hour, counts */
        assert_int_equal(calendar_add_workdays(cal, s_at(py, pm, pd, 23, 59), 1, TZ),
                         s_end_of(y, m, d));
    }
    /* the clock crossing them, written out */
    /* Sat 2026-01-03 (holiday) + 1wd -> Sun 01-04 (make-up) */
    assert_int_equal(calendar_add_workdays(cal, s_at(2026, 1, 3, 9, 0), 1, TZ),
                     s_end_of(2026, 1, 4));
    /* Wed 2025-12-31 + 2wd: 01-01..03 off, Sun 01-04 (make-up), Mon 01-05 */
    assert_int_equal(calendar_add_workdays(cal, s_at(2025, 12, 31, 9, 0), 2, TZ),
                     s_end_of(2026, 1, 5));
    /* Thu 2026-05-07 + 2wd: Fri 05-08, Sat 05-09 (make-up) */
    assert_int_equal(calendar_add_workdays(cal, s_at(2026, 5, 7, 9, 0), 2, TZ),
                     s_end_of(2026, 5, 9));
    /* Thu 2026-04-30 + 1wd: 05-01..05 off, Wed 05-06 */
    assert_int_equal(calendar_add_workdays(cal, s_at(2026, 4, 30, 9, 0), 1, TZ),
                     s_end_of(2026, 5, 6));
}

/* Every holiday of 2026 is skipped: a clock of one working day started on it (or on the day
 * before) ends at the end of the first working day after it, never on a holiday. */
static void test_holidays_2026_skipped(void **state)
{
    const calendar_t *cal = *state;
    int hol[64][3];
    size_t nh = s_rows("holiday", 2026, hol, 64);
    for (size_t i = 0; i < nh; i++) {
        int y = hol[i][0], m = hol[i][1], d = hol[i][2];
        assert_false(calendar_is_workday(cal, y, m, d));
        /* the first working day after it, found with is_workday */
        int ny = y, nm = m, nd = d;
        do
            s_next_day(&ny, &nm, &nd, 1);
        while (!calendar_is_workday(cal, ny, nm, nd));
        int64_t got = calendar_add_workdays(cal, s_at(y, m, d, 12, 0), 1, TZ);
        if (got != s_end_of(ny, nm, nd))
            fail_msg("1wd from the holiday %d-%02d-%02d should end on %d-%02d-%02d", y, m, d, ny,
                     nm, nd);
        /* a deadline never ends on a holiday: the day it ends is a working day */
        for (int n = 1; n <= 3; n++) {
            int64_t end = calendar_add_workdays(cal, s_at(y, m, d, 12, 0), n, TZ);
            time_t local = (time_t)((end - 1) / 1000 + TZ * 60);
            struct tm tm;
            gmtime_r(&local, &tm);
            assert_true(calendar_is_workday(cal, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday));
        }
    }
}

/* The Spring Festival of 2026: 02-15..02-23 off, Sat 02-14 and Sat 02-28 working. */
static void test_spring_festival_2026(void **state)
{
    const calendar_t *cal = *state;
    assert_true(calendar_is_workday(cal, 2026, 2, 14));
    assert_true(calendar_is_workday(cal, 2026, 2, 28));
    for (int d = 15; d <= 23; d++)
        assert_false(calendar_is_workday(cal, 2026, 2, d));
    /* Fri 02-13 10:00 + 1wd -> end of Sat 02-14 (make-up) */
    assert_int_equal(calendar_add_workdays(cal, s_at(2026, 2, 13, 10, 0), 1, TZ),
                     s_end_of(2026, 2, 14));
    /* + 2wd -> end of Tue 02-24, the first working day after the festival */
    assert_int_equal(calendar_add_workdays(cal, s_at(2026, 2, 13, 10, 0), 2, TZ),
                     s_end_of(2026, 2, 24));
    /* Thu 02-12 + 5wd: 13, 14, 24, 25, 26 */
    assert_int_equal(calendar_add_workdays(cal, s_at(2026, 2, 12, 16, 30), 5, TZ),
                     s_end_of(2026, 2, 26));
    /* a start on the make-up Saturday itself: the start day does not count */
    assert_int_equal(calendar_add_workdays(cal, s_at(2026, 2, 14, 9, 0), 1, TZ),
                     s_end_of(2026, 2, 24));
    /* started during the festival: counts from Tue 02-24; 5wd: 24..27 and Sat 28 (make-up) */
    assert_int_equal(calendar_add_workdays(cal, s_at(2026, 2, 17, 9, 0), 1, TZ),
                     s_end_of(2026, 2, 24));
    assert_int_equal(calendar_add_workdays(cal, s_at(2026, 2, 17, 9, 0), 5, TZ),
                     s_end_of(2026, 2, 28));
    assert_int_equal(calendar_add_workdays(cal, s_at(2026, 2, 23, 23, 59), 6, TZ),
                     s_end_of(2026, 3, 2));
    /* 15wd from Tue 02-10: 11, 12, 13, 14, 24, 25, 26, 27, 28, 03-02..06, 03-09 */
    assert_int_equal(calendar_add_workdays(cal, s_at(2026, 2, 10, 11, 0), 15, TZ),
                     s_end_of(2026, 3, 9));
}

/* National Day 2026: Sun 09-20 working; 09-25..27 (Mid-Autumn) and 10-01..07 off; Sat 10-10
 * working. */
static void test_national_day_2026(void **state)
{
    const calendar_t *cal = *state;
    assert_true(calendar_is_workday(cal, 2026, 9, 20));
    assert_true(calendar_is_workday(cal, 2026, 10, 10));
    for (int d = 1; d <= 7; d++)
        assert_false(calendar_is_workday(cal, 2026, 10, d));
    assert_false(calendar_is_workday(cal, 2026, 9, 25));
    /* Wed 09-30 + 1wd -> Thu 10-08 */
    assert_int_equal(calendar_add_workdays(cal, s_at(2026, 9, 30, 10, 0), 1, TZ),
                     s_end_of(2026, 10, 8));
    /* + 3wd: 10-08, 10-09, Sat 10-10 (make-up) */
    assert_int_equal(calendar_add_workdays(cal, s_at(2026, 9, 30, 10, 0), 3, TZ),
                     s_end_of(2026, 10, 10));
    /* + 5wd: 08, 09, 10, 12, 13 */
    assert_int_equal(calendar_add_workdays(cal, s_at(2026, 9, 30, 10, 0), 5, TZ),
                     s_end_of(2026, 10, 13));
    /* Fri 09-18 + 5wd: Sun 09-20 (make-up), 21, 22, 23, 24 */
    assert_int_equal(calendar_add_workdays(cal, s_at(2026, 9, 18, 10, 0), 5, TZ),
                     s_end_of(2026, 9, 24));
    /* Thu 09-24 + 1wd: 25..27 off -> Mon 09-28 */
    assert_int_equal(calendar_add_workdays(cal, s_at(2026, 9, 24, 10, 0), 1, TZ),
                     s_end_of(2026, 9, 28));
    /* 15wd from Thu 09-24: 28, 29, 30, 10-08, 09, 10, 12..16, 19..22 */
    assert_int_equal(calendar_add_workdays(cal, s_at(2026, 9, 24, 10, 0), 15, TZ),
                     s_end_of(2026, 10, 22));
}

/* A start on a rest day counts from the next working day, which is working day 1: the same
 * deadline as a start on the last working day before. Days are local: 01:00 on Monday at +08:00
 * is still Sunday in UTC. */
static void test_start_on_rest_day(void **state)
{
    const calendar_t *cal = *state;
    const int64_t fri = calendar_add_workdays(cal, s_at(2026, 3, 6, 10, 0), 1, TZ);
    assert_int_equal(fri, s_end_of(2026, 3, 9));
    assert_int_equal(calendar_add_workdays(cal, s_at(2026, 3, 7, 15, 0), 1, TZ), fri);
    assert_int_equal(calendar_add_workdays(cal, s_at(2026, 3, 8, 23, 59), 1, TZ), fri);
    assert_int_equal(calendar_add_workdays(cal, s_at(2026, 3, 7, 0, 0), 5, TZ),
                     s_end_of(2026, 3, 13));
    /* Mon 2026-03-09 01:00 +08:00 = Sun 17:00 UTC: local Monday, so Tuesday's end */
    int64_t mon_early = s_at(2026, 3, 9, 1, 0);
    assert_int_equal(calendar_add_workdays(cal, mon_early, 1, TZ), s_end_of(2026, 3, 10));
    assert_int_equal(s_end_of(2026, 3, 10), 1773158400000LL); /* 2026-03-10T16:00:00Z */
    /* the same instant at UTC: Sunday, so Monday's end, midnight UTC */
    assert_int_equal(calendar_add_workdays(cal, mon_early, 1, 0), 1773100800000LL);
    /* n <= 0: no time at all */
    assert_int_equal(calendar_add_workdays(cal, mon_early, 0, TZ), mon_early);
}

/* Past the last year of the file: weekends only, and one warning per calendar. */
static void test_past_last_year(void **state)
{
    const calendar_t *cal = *state;
    fflush(stderr);
    char path[] = "/tmp/test_calendar_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    int saved = dup(2);
    dup2(fd, 2);
    /* Thu 2026-12-31 + 1wd: Fri 2027-01-01 (New Year, but not in the file) */
    int64_t a = calendar_add_workdays(cal, s_at(2026, 12, 31, 10, 0), 1, TZ);
    int64_t b = calendar_add_workdays(cal, s_at(2027, 2, 5, 10, 0), 5, TZ);
    bool newyear = calendar_is_workday(cal, 2027, 1, 1);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char text[4096] = "";
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    close(fd);
    unlink(path);
    text[n > 0 ? n : 0] = '\0';
    assert_int_equal(a, s_end_of(2027, 1, 1));
    assert_int_equal(b, s_end_of(2027, 2, 12)); /* Mon 8 .. Fri 12: no Spring Festival known */
    assert_true(newyear);
    size_t warnings = 0;
    for (const char *p = text; (p = strstr(p, "\"level\":\"warn\"")); p++)
        warnings++;
    if (warnings != 1 || !strstr(text, "\"year\":\"2027\"") || !strstr(text, "last_year\":\"2026"))
        fail_msg("want one warning naming 2027 and 2026, got: %s", text);

    /* no calendar: weekends only, quietly */
    assert_true(calendar_is_workday(NULL, 2026, 2, 16)); /* a holiday, unknown */
    assert_false(calendar_is_workday(NULL, 2026, 2, 14));
    assert_int_equal(calendar_add_workdays(NULL, s_at(2026, 2, 13, 10, 0), 1, TZ),
                     s_end_of(2026, 2, 16));
}

static void s_refused(const char *text, const char *want)
{
    char err[256] = "";
    calendar_t *cal = calendar_parse(text, strlen(text), "cal.csv", err, sizeof err);
    if (cal || !strstr(err, want))
        fail_msg("'%s': error '%s' does not contain '%s'", text, err, want);
}

static void test_malformed(void **state)
{
    s_refused("", "cal.csv: empty");
    s_refused("day,kind,name\n", "cal.csv:1: the first line must be the header");
    s_refused("date,kind,name\n2026-02-30,holiday,x\n", "cal.csv:2: date \"2026-02-30\"");
    s_refused("date,kind,name\n2026-10-01,holiday,国庆节\n26-10-02,holiday,x\n",
              "cal.csv:3: date \"26-10-02\" is not a date");
    s_refused("date,kind,name\n2026-10-01,holyday,国庆节\n", "cal.csv:2: kind \"holyday\"");
    s_refused("date,kind,name\n\n2026-10-01,holiday\n", "cal.csv:3: expected date,kind,name");
    s_refused("date,kind,name\n2026-10-12,workday,x\n", "cal.csv:2: 2026-10-12 is a Monday");
    s_refused("date,kind,name\n2026-10-01,holiday,a\n2026-10-02,holiday,b\n2026-10-01,holiday,c\n",
              "cal.csv:4: the date appears twice (also on line 2)");
    char err[256];
    assert_null(calendar_load("/nonexistent/cal.csv", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/cal.csv: No such file"));

    /* a BOM, CRLF, blank lines, commas in the name, no final newline: fine */
    const char ok[] = "\xEF\xBB\xBF"
                      "date,kind,name\r\n2026-10-10,workday,国庆节\r\n\r\n2026-10-01,holiday,a,b";
    calendar_t *cal = calendar_parse(ok, strlen(ok), "ok.csv", err, sizeof err);
    if (!cal)
        fail_msg("%s", err);
    assert_int_equal(calendar_count(cal), 2);
    assert_true(calendar_is_workday(cal, 2026, 10, 10));
    assert_false(calendar_is_workday(cal, 2026, 10, 1));
    calendar_destroy(&cal);
    /* a header alone: no holidays at all, every year unknown */
    cal = calendar_parse("date,kind,name\n", 15, "h.csv", err, sizeof err);
    assert_non_null(cal);
    assert_int_equal(calendar_count(cal), 0);
    calendar_destroy(&cal);
}

/* The configuration: clocks in working days become deadlines through calendar.file. */
static void test_config_deadlines(void **state)
{
    config_t *cfg = config_new();
    assert_non_null(cfg);
    const char *yaml = "ladder:\n"
                       "  green: {ack: 1wd, resolve: 5wd}\n"
                       "categories:\n"
                       "  - {name: roads, department: transport}\n"
                       "  - {name: water, department: water-supply, ack: 2h, resolve: 24h}\n"
                       "  - {name: city, department: city-management, resolve: 15wd}\n";
    if (config_load_string(cfg, yaml, "t.yaml") != 0)
        fail_msg("%s", config_errstr(cfg));
    assert_int_equal(config_load_calendar(cfg), 0);
    assert_non_null(cfg->calendar);
    const int64_t now = s_at(2026, 2, 13, 10, 0); /* Friday before the Spring Festival */
    int64_t ack, resolve;
    routing_deadlines(cfg, "roads", GRIDLINE__LEVEL__LEVEL_GREEN, now, &ack, &resolve);
    assert_int_equal(ack, s_end_of(2026, 2, 14));
    assert_int_equal(resolve, s_end_of(2026, 2, 27)); /* 14, 24, 25, 26, 27 */
    routing_deadlines(cfg, "water", GRIDLINE__LEVEL__LEVEL_GREEN, now, &ack, &resolve);
    assert_int_equal(ack, now + 2 * 3600000);
    assert_int_equal(resolve, now + 24 * 3600000);
    routing_deadlines(cfg, "city", GRIDLINE__LEVEL__LEVEL_GREEN, now, &ack, &resolve);
    assert_int_equal(ack, s_end_of(2026, 2, 14));     /* the ladder's */
    assert_int_equal(resolve, s_end_of(2026, 3, 12)); /* 14, 24..28, 03-02..06, 09..12 */
    /* the blue level keeps its duration */
    routing_deadlines(cfg, "roads", GRIDLINE__LEVEL__LEVEL_BLUE, now, &ack, NULL);
    assert_int_equal(ack, now + 2 * 3600000);

    /* a broken calendar file is a configuration error naming the file and line */
    char path[] = "/tmp/test_calendar_cfg_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char bad[] = "date,kind,name\n2026-10-01,holiday,x\n2026-10-02,off,x\n";
    assert_int_equal(write(fd, bad, sizeof bad - 1), (ssize_t)(sizeof bad - 1));
    close(fd);
    char *env[] = {NULL, NULL};
    char var[128];
    snprintf(var, sizeof var, "GRIDLINE_CALENDAR_FILE=%s", path);
    env[0] = var;
    assert_int_equal(config_apply_env(cfg, env), 0);
    assert_int_equal(config_load_calendar(cfg), -1);
    char want[128];
    snprintf(want, sizeof want, "calendar.file: %s:3: kind \"off\"", path);
    if (!strstr(config_errstr(cfg), want))
        fail_msg("'%s' lacks '%s'", config_errstr(cfg), want);
    assert_null(cfg->calendar);
    /* --check-config says so too */
    FILE *out = tmpfile(), *errf = tmpfile();
    assert_int_equal(config_check(NULL, env, out, errf), -1);
    char text[1024] = "";
    rewind(errf);
    size_t got = fread(text, 1, sizeof text - 1, errf);
    text[got] = '\0';
    assert_non_null(strstr(text, want));
    fclose(out);
    fclose(errf);
    unlink(path);
    /* calendar.file "": no calendar, weekends only */
    assert_int_equal(config_set(cfg, "calendar.file", ""), 0);
    assert_int_equal(config_load_calendar(cfg), 0);
    assert_null(cfg->calendar);
    routing_deadlines(cfg, "roads", GRIDLINE__LEVEL__LEVEL_GREEN, now, &ack, NULL);
    assert_int_equal(ack, s_end_of(2026, 2, 16)); /* a holiday, unknown: Monday */
    config_destroy(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file),
        cmocka_unit_test(test_every_day_of_2026),
        cmocka_unit_test(test_make_up_days_2026),
        cmocka_unit_test(test_holidays_2026_skipped),
        cmocka_unit_test(test_spring_festival_2026),
        cmocka_unit_test(test_national_day_2026),
        cmocka_unit_test(test_start_on_rest_day),
        cmocka_unit_test(test_past_last_year),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_config_deadlines),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
