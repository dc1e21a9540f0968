#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int64_t s_offset_ms;
static int64_t s_frozen_ms;
static int s_tz_min = 480;

int64_t clock_wall_ms(void)
{
    if (s_frozen_ms)
        return s_frozen_ms;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + s_offset_ms;
}

int64_t clock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void clock_set_offset_ms(int64_t offset)
{
    s_offset_ms = offset;
}

void clock_freeze(int64_t wall_ms)
{
    s_frozen_ms = wall_ms;
}

void clock_set_tz_offset_min(int minutes)
{
    s_tz_min = minutes;
}

int clock_tz_offset_min(void)
{
    return s_tz_min;
}

static void s_local_tm(int64_t wall_ms, struct tm *tm)
{
    time_t secs = (time_t)((wall_ms - (wall_ms < 0 ? 999 : 0)) / 1000) + (time_t)s_tz_min * 60;
    gmtime_r(&secs, tm);
}

void clock_day(int64_t wall_ms, char *buf)
{
    struct tm tm;
    s_local_tm(wall_ms, &tm);
    snprintf(buf, 9, "%04d%02d%02d", (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday);
}

void clock_iso(int64_t wall_ms, char *buf)
{
    struct tm tm;
    s_local_tm(wall_ms, &tm);
    int off = abs(s_tz_min);
    snprintf(buf, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02d:%02d", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(((wall_ms % 1000) + 1000) % 1000), s_tz_min < 0 ? '-' : '+', off / 60, off % 60);
}
