#include "calendar.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define S_DAY_MS 86400000LL

typedef enum { S_HOLIDAY = 1, S_WORKDAY = 2 } s_kind_t;

typedef struct {
    int32_t day; /* days since 1970-01-01 */
    uint32_t line;
    uint8_t kind;
} s_row_t;

struct calendar {
    s_row_t *rows; /* sorted by day, no day twice */
    size_t count;
    int *years; /* the years with a row, sorted, unique */
    size_t year_count;
    atomic_bool warned; /* a day of a year not in the file was looked at */
};

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t s_days(int y, int m, int d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The year of a day number (civil_from_days, the year only). */
static int s_year(int64_t z)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const int64_t m = mp + (mp < 10 ? 3 : -9);
    return (int)(yoe + era * 400 + (m <= 2));
}

static bool s_valid(int y, int m, int d)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

/* 0 Sunday .. 6 Saturday (1970-01-01 was a Thursday). */
static int s_weekday(int64_t day)
{
    return (int)(((day + 4) % 7 + 7) % 7);
}

static int64_t s_floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static const s_row_t *s_find(const calendar_t *self, int64_t day)
{
    size_t lo = 0, hi = self->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (self->rows[mid].day < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < self->count && self->rows[lo].day == day ? &self->rows[lo] : NULL;
}

static bool s_year_known(const calendar_t *self, int year)
{
    for (size_t i = 0; i < self->year_count; i++)
        if (self->years[i] == year)
            return true;
    return false;
}

static bool s_workday(const calendar_t *self, int64_t day)
{
    int wd = s_weekday(day);
    bool weekday = wd >= 1 && wd <= 5;
    if (!self)
        return weekday;
    const s_row_t *row = s_find(self, day);
    if (row)
        return row->kind == S_WORKDAY;
    int year = s_year(day);
    if (!s_year_known(self, year)) {
        calendar_t *me = (calendar_t *)self; /* the flag only: the rest stays immutable */
        if (!atomic_exchange(&me->warned, true)) {
            char y[16], last[16];
            snprintf(y, sizeof y, "%d", year);
            snprintf(last, sizeof last, "%d", calendar_last_year(self));
            log_warn("calendar: a working-day clock reaches a year the calendar file does not "
                     "have; counting weekends only (add the year's holidays to calendar.file)",
                     "year", y, "last_year", last, NULL);
        }
    }
    return weekday;
}

bool calendar_is_workday(const calendar_t *self, int y, int m, int d)
{
    return s_valid(y, m, d) && s_workday(self, s_days(y, m, d));
}

int64_t calendar_add_workdays(const calendar_t *self, int64_t start_ms, int n, int tz_offset_min)
{
    if (n <= 0)
        return start_ms;
    const int64_t tz_ms = (int64_t)tz_offset_min * 60000;
    int64_t day = s_floor_div(start_ms + tz_ms, S_DAY_MS);
    for (int counted = 0; counted < n;)
        if (s_workday(self, ++day))
            counted++;
    return (day + 1) * S_DAY_MS - tz_ms;
}

size_t calendar_count(const calendar_t *self)
{
    return self ? self->count : 0;
}

int calendar_first_year(const calendar_t *self)
{
    return self && self->year_count ? self->years[0] : 0;
}

int calendar_last_year(const calendar_t *self)
{
    return self && self->year_count ? self->years[self->year_count - 1] : 0;
}

void calendar_destroy(calendar_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->rows);
    free((*self_p)->years);
    free(*self_p);
    *self_p = NULL;
}

static int s_row_cmp(const void *a, const void *b)
{
    const s_row_t *x = a, *y = b;
    return (x->day > y->day) - (x->day < y->day);
}

/* "YYYY-MM-DD" exactly: 0 and the day number, or -1. */
static int s_parse_date(const char *s, size_t len, int64_t *day)
{
    if (len != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    int v[3] = {0, 0, 0};
    const size_t starts[] = {0, 5, 8}, lens[] = {4, 2, 2};
    for (size_t f = 0; f < 3; f++)
        for (size_t i = 0; i < lens[f]; i++) {
            char c = s[starts[f] + i];
            if (c < '0' || c > '9')
                return -1;
            v[f] = v[f] * 10 + (c - '0');
        }
    if (!s_valid(v[0], v[1], v[2]))
        return -1;
    *day = s_days(v[0], v[1], v[2]);
    return 0;
}

/* One data line (no line end): a row into *row, or a reason. */
static const char *s_parse_line(const char *line, size_t len, s_row_t *row, char *why,
                                size_t whylen)
{
    const char *c1 = memchr(line, ',', len);
    const char *c2 = c1 ? memchr(c1 + 1, ',', len - (size_t)(c1 + 1 - line)) : NULL;
    if (!c2)
        return "expected date,kind,name";
    int64_t day;
    if (s_parse_date(line, (size_t)(c1 - line), &day) != 0) {
        snprintf(why, whylen, "date \"%.*s\" is not a date YYYY-MM-DD",
                 (int)((c1 - line) > 20 ? 20 : (c1 - line)), line);
        return why;
    }
    size_t klen = (size_t)(c2 - c1 - 1);
    const char *kind = c1 + 1;
    if (klen == 7 && memcmp(kind, "holiday", 7) == 0)
        row->kind = S_HOLIDAY;
    else if (klen == 7 && memcmp(kind, "workday", 7) == 0)
        row->kind = S_WORKDAY;
    else {
        snprintf(why, whylen, "kind \"%.*s\" is not holiday or workday",
                 (int)(klen > 20 ? 20 : klen), kind);
        return why;
    }
    int wd = s_weekday(day);
    if (row->kind == S_WORKDAY && wd >= 1 && wd <= 5) {
        snprintf(why, whylen,
                 "%.10s is a Monday..Friday: a make-up workday is a Saturday or Sunday", line);
        return why;
    }
    row->day = (int32_t)day;
    return NULL;
}

calendar_t *calendar_parse(const char *text, size_t len, const char *origin, char *err,
                           size_t errlen)
{
    calendar_t *self = calloc(1, sizeof *self);
    size_t cap = 0, ycap = 0, lineno = 0;
    char why[160];
    const char *reason = NULL;
    if (!self) {
        snprintf(err, errlen, "%s: out of memory", origin);
        return NULL;
    }
    atomic_init(&self->warned, false);
    const char *p = text, *end = text + len;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    bool header = false;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line = p;
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        p = nl ? nl + 1 : end;
        lineno++;
        if (n > 0 && line[n - 1] == '\r')
            n--;
        if (memchr(line, '\0', n)) {
            reason = "a NUL byte";
            goto fail;
        }
        if (!header) {
            if (n != 14 || memcmp(line, "date,kind,name", 14) != 0) {
                reason = "the first line must be the header date,kind,name";
                goto fail;
            }
            header = true;
            continue;
        }
        if (n == 0)
            continue;
        s_row_t row;
        if ((reason = s_parse_line(line, n, &row, why, sizeof why)))
            goto fail;
        row.line = (uint32_t)lineno;
        if (self->count == cap) {
            cap = cap ? cap * 2 : 64;
            s_row_t *rows = realloc(self->rows, cap * sizeof *rows);
            if (!rows) {
                reason = "out of memory";
                goto fail;
            }
            self->rows = rows;
        }
        self->rows[self->count++] = row;
        int year = s_year(row.day);
        if (!s_year_known(self, year)) {
            if (self->year_count == ycap) {
                ycap = ycap ? ycap * 2 : 8;
                int *years = realloc(self->years, ycap * sizeof *years);
                if (!years) {
                    reason = "out of memory";
                    goto fail;
                }
                self->years = years;
            }
            size_t i = self->year_count++;
            for (; i > 0 && self->years[i - 1] > year; i--)
                self->years[i] = self->years[i - 1];
            self->years[i] = year;
        }
    }
    if (!header) {
        snprintf(err, errlen, "%s: empty (expected the header date,kind,name)", origin);
        calendar_destroy(&self);
        return NULL;
    }
    if (self->count)
        qsort(self->rows, self->count, sizeof *self->rows, s_row_cmp);
    for (size_t i = 1; i < self->count; i++)
        if (self->rows[i].day == self->rows[i - 1].day) {
            uint32_t a = self->rows[i].line, b = self->rows[i - 1].line;
            snprintf(err, errlen, "%s:%u: the date appears twice (also on line %u)", origin,
                     a > b ? a : b, a > b ? b : a);
            calendar_destroy(&self);
            return NULL;
        }
    return self;
fail:
    snprintf(err, errlen, "%s:%zu: %s", origin, lineno, reason);
    calendar_destroy(&self);
    return NULL;
}

calendar_t *calendar_load(const char *path, char *err, size_t errlen)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            if (cap >= (size_t)16 << 20) { /* a calendar is a few kB; this is not one */
                snprintf(err, errlen, "%s: larger than 16 MB", path);
                free(text);
                fclose(file);
                return NULL;
            }
            cap = cap ? cap * 2 : 8192;
            char *bigger = realloc(text, cap);
            if (!bigger) {
                snprintf(err, errlen, "%s: out of memory", path);
                free(text);
                fclose(file);
                return NULL;
            }
            text = bigger;
        }
        size_t got = fread(text + len, 1, cap - len, file);
        len += got;
        if (got == 0)
            break;
    }
    bool failed = ferror(file);
    fclose(file);
    if (failed) {
        snprintf(err, errlen, "%s: read error", path);
        free(text);
        return NULL;
    }
    calendar_t *self = calendar_parse(text ? text : "", len, path, err, errlen);
    free(text);
    return self;
}
