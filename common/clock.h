/* clock: wall and monotonic time in milliseconds, controllable by tests.
 *
 * Every process reads time through here. Tests shift the wall clock of a whole process with
 * the config key clock.offset_ms (env GRIDLINE_CLOCK_OFFSET_MS), e.g. to make deadlines fall
 * due without waiting; unit tests may freeze it with clock_freeze. Local day and hour use a
 * fixed offset from UTC (China Standard Time, +08:00, by default): there is no DST to follow. */
#ifndef GRIDLINE_CLOCK_H
#define GRIDLINE_CLOCK_H

#include <stdint.h>

int64_t clock_wall_ms(void); /* unix time in ms, plus the offset (or the frozen value) */
int64_t clock_mono_ms(void); /* CLOCK_MONOTONIC in ms, for timeouts and intervals */
int64_t clock_mono_us(void); /* the same clock in µs, for latencies below a millisecond */
void clock_set_offset_ms(int64_t offset);
void clock_freeze(int64_t wall_ms); /* 0 unfreezes */
void clock_set_tz_offset_min(int minutes);
int clock_tz_offset_min(void);
/* Local calendar day of a wall time as "YYYYMMDD" (buf >= 9 bytes). */
void clock_day(int64_t wall_ms, char *buf);
/* ISO-8601 with the local offset, "2026-11-24T21:45:01.123+08:00" (buf >= 32 bytes). */
void clock_iso(int64_t wall_ms, char *buf);

#endif
