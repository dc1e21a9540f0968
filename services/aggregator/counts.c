#include "counts.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonbuf.h"
#include "keys.h"
#include "tally.h"

/* ---- days ---------------------------------------------------------------------------- */

static int s_month_days(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

static int s_parse(const char *day, int *y, int *m, int *d)
{
    if (!day || strlen(day) != 8)
        return -1;
    for (int i = 0; i < 8; i++)
        if (!isdigit((unsigned char)day[i]))
            return -1;
    *y = (day[0] - '0') * 1000 + (day[1] - '0') * 100 + (day[2] - '0') * 10 + (day[3] - '0');
    *m = (day[4] - '0') * 10 + (day[5] - '0');
    *d = (day[6] - '0') * 10 + (day[7] - '0');
    if (*y < 2000 || *y > 2999 || *m < 1 || *m > 12 || *d < 1 || *d > s_month_days(*y, *m))
        return -1;
    return 0;
}

int counts_day_check(const char *day)
{
    int y, m, d;
    return s_parse(day, &y, &m, &d);
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static long s_serial(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int s_span(const char *from, const char *to, int f[3], long *ndays)
{
    int t[3];
    if (s_parse(from, &f[0], &f[1], &f[2]) != 0 || s_parse(to, &t[0], &t[1], &t[2]) != 0)
        return -1;
    long a = s_serial(f[0], f[1], f[2]), b = s_serial(t[0], t[1], t[2]);
    if (b < a || b - a + 1 > COUNTS_MAX_DAYS)
        return -1;
    *ndays = b - a + 1;
    return 0;
}

int counts_days(const char *from, const char *to, char (*out)[9], size_t max)
{
    int f[3];
    long n;
    if (s_span(from, to, f, &n) != 0)
        return -1;
    int y = f[0], m = f[1], d = f[2];
    size_t count = 0;
    for (long i = 0; i < n && count < max; i++) {
        snprintf(out[count++], 9, "%04d%02d%02d", y, m, d);
        if (++d > s_month_days(y, m)) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
    return (int)count;
}

int counts_periods(const char *from, const char *to, char (*out)[9], size_t max)
{
    int f[3];
    long n;
    if (s_span(from, to, f, &n) != 0)
        return -1;
    int y = f[0], m = f[1], d = f[2];
    size_t count = 0;
    for (long i = 0; i < n && count < max;) {
        int mdays = s_month_days(y, m);
        if (d == 1 && n - i >= mdays) { /* a whole month: its roll-up */
            snprintf(out[count++], 9, "%04d%02d", y, m);
            i += mdays;
            d = mdays + 1;
        } else {
            snprintf(out[count++], 9, "%04d%02d%02d", y, m, d);
            i++;
            d++;
        }
        if (d > mdays) {
            d = 1;
            if (++m > 12) {
                m = 1;
                y++;
            }
        }
    }
    return (int)count;
}

/* ---- reading ------------------------------------------------------------------------- */

/* The counties a region's figures are summed from (the county itself at or below one). */
static const region_t **s_counties(const region_table_t *regions, const char *region, size_t *n)
{
    size_t all = 0;
    region_counties(regions, &all);
    const region_t **out = calloc(all ? all : 1, sizeof *out);
    if (out)
        *n = region_query_counties(regions, region, out, all);
    return out;
}

int counts_append(rconn_t *redis, const region_table_t *regions, const char *region,
                  char (*periods)[9], size_t nperiods, size_t *reads)
{
    *reads = 0;
    size_t len = strlen(region);
    char key[KEYS_MAX], county[7];
    if (len >= 6) {
        snprintf(county, sizeof county, "%.6s", region);
        for (size_t p = 0; p < nperiods; p++) {
            /* the monthly roll-ups are the county's: below it, a month is read day by day */
            char days[31][9];
            int ndays = 1;
            if (len > 6 && strlen(periods[p]) == 6) {
                char first[9], last[9];
                int y = atoi(periods[p]) / 100, m = atoi(periods[p]) % 100;
                snprintf(first, sizeof first, "%s01", periods[p]);
                snprintf(last, sizeof last, "%s%02d", periods[p], s_month_days(y, m));
                ndays = counts_days(first, last, days, 31);
            } else {
                snprintf(days[0], sizeof days[0], "%s", periods[p]);
            }
            for (int d = 0; d < ndays; d++) {
                keys_stats(key, county, days[d], region);
                if (rconn_append(redis, "HGETALL %s", key) != 0)
                    return -1;
                (*reads)++;
            }
        }
        return 0;
    }
    size_t n = 0;
    const region_t **counties = s_counties(regions, region, &n);
    if (!counties)
        return -1;
    for (size_t c = 0; c < n; c++)
        for (size_t p = 0; p < nperiods; p++) {
            keys_stats(key, counties[c]->code, periods[p], counties[c]->code);
            if (rconn_append(redis, "HGETALL %s", key) != 0) {
                free(counties);
                return -1;
            }
            (*reads)++;
        }
    free(counties);
    return 0;
}

static void s_add(json_t *sums, const char *field, long long value)
{
    json_int_t before = json_integer_value(json_object_get(sums, field));
    json_object_set_new(sums, field, json_integer(before + value));
}

int counts_collect(rconn_t *redis, size_t reads, json_t *sums)
{
    int rc = 0;
    for (size_t i = 0; i < reads; i++) {
        redisReply *r = rconn_reply(redis);
        if (!r)
            return -1;
        if (r->type == REDIS_REPLY_ARRAY)
            for (size_t k = 0; k + 1 < r->elements; k += 2)
                s_add(sums, r->element[k]->str, strtoll(r->element[k + 1]->str, NULL, 10));
        else if (r->type == REDIS_REPLY_ERROR)
            rc = -1;
        freeReplyObject(r);
    }
    return rc;
}

int counts_now(rconn_t *redis, const region_table_t *regions, const char *region, int64_t now_ms,
               json_t *now)
{
    if (strlen(region) > 6)
        return 0;
    size_t n = 0;
    const region_t **counties = s_counties(regions, region, &n);
    if (!counties)
        return -1;
    char key[KEYS_MAX];
    for (size_t c = 0; c < n; c++) {
        snprintf(key, sizeof key, "gauge:{%s}", counties[c]->code);
        int a = rconn_append(redis, "HGETALL %s", key);
        snprintf(key, sizeof key, "open:{%s}", counties[c]->code);
        int b = rconn_append(redis, "ZCOUNT %s -inf %lld", key, (long long)now_ms);
        if (a || b) {
            free(counties);
            return -1;
        }
    }
    free(counties);
    json_t *by_status = json_object(), *by_level = json_object();
    long long overdue = 0;
    int rc = 0;
    for (size_t c = 0; c < n && rc == 0; c++) {
        redisReply *r[2];
        for (int k = 0; k < 2; k++)
            r[k] = rc == 0 ? rconn_reply(redis) : NULL;
        if (!r[0] || !r[1])
            rc = -1;
        if (rc == 0 && r[0]->type == REDIS_REPLY_ARRAY)
            for (size_t k = 0; k + 1 < r[0]->elements; k += 2) {
                const char *f = r[0]->element[k]->str;
                long long v = strtoll(r[0]->element[k + 1]->str, NULL, 10);
                if (strncmp(f, "st:", 3) == 0)
                    s_add(by_status, f + 3, v);
                else if (strncmp(f, "lvl:", 4) == 0)
                    s_add(by_level, f + 4, v);
            }
        if (rc == 0 && r[1]->type == REDIS_REPLY_INTEGER)
            overdue += r[1]->integer;
        for (int k = 0; k < 2; k++)
            if (r[k])
                freeReplyObject(r[k]);
    }
    /* open: every status but resolved, closed and invalid (collected ones have no level yet) */
    long long open_total = 0;
    const char *key_name;
    json_t *value;
    json_object_foreach(by_status, key_name, value)
    {
        if (strcmp(key_name, "resolved") != 0 && strcmp(key_name, "closed") != 0 &&
            strcmp(key_name, "invalid") != 0)
            open_total += json_integer_value(value);
    }
    json_object_set_new(now, "by_status", by_status);
    json_object_set_new(now, "by_level", by_level);
    json_object_set_new(now, "open", json_integer(open_total));
    json_object_set_new(now, "overdue", json_integer(overdue));
    return rc;
}

/* ---- showing ------------------------------------------------------------------------- */

static long long s_get(const json_t *sums, const char *field)
{
    return json_integer_value(json_object_get(sums, field));
}

json_t *counts_rate(long long num, long long den)
{
    json_t *r = json_object();
    json_object_set_new(r, "num", json_integer(num));
    json_object_set_new(r, "den", json_integer(den));
    json_object_set_new(r, "value",
                        den > 0 ? json_real(round((double)num / (double)den * 10000.0) / 10000.0)
                                : json_null());
    return r;
}

json_t *counts_rates(const json_t *sums)
{
    json_t *r = json_object();
    long long assigned = s_get(sums, "r:assigned"), fb = s_get(sums, "r:fb");
    json_object_set_new(r, "response", counts_rate(s_get(sums, "r:ack_on_time"), assigned));
    json_object_set_new(r, "resolution", counts_rate(s_get(sums, "r:fb_solved"), fb));
    json_object_set_new(r, "satisfaction", counts_rate(s_get(sums, "r:fb_sat"), fb));
    json_object_set_new(r, "on_time", counts_rate(s_get(sums, "r:res_on_time"), assigned));
    return r;
}

json_t *counts_durations(const json_t *sums, const char *prefix)
{
    long long counts[TALLY_BUCKETS] = {0}, total = 0;
    char field[32];
    for (size_t b = 0; b < TALLY_BUCKETS; b++) {
        const char *name = b < TALLY_BUCKETS - 1 ? NULL : "inf";
        if (name)
            snprintf(field, sizeof field, "%s%s", prefix, name);
        else
            snprintf(field, sizeof field, "%s%ld", prefix, tally_bucket_bounds[b]);
        counts[b] = s_get(sums, field);
        total += counts[b];
    }
    json_t *out = json_object();
    json_object_set_new(out, "count", json_integer(total));
    static const struct {
        const char *name;
        int percent;
    } q[] = {{"median_s", 50}, {"p90_s", 90}};
    for (size_t i = 0; i < 2; i++) {
        json_t *v = json_null();
        if (total > 0) {
            /* the first bucket where the cumulative count reaches percent of the total */
            long long need = (total * q[i].percent + 99) / 100, seen = 0;
            for (size_t b = 0; b < TALLY_BUCKETS; b++) {
                seen += counts[b];
                if (seen >= need) {
                    if (b < TALLY_BUCKETS - 1) {
                        json_decref(v);
                        v = json_integer(tally_bucket_bounds[b]);
                    }
                    break;
                }
            }
        }
        json_object_set_new(out, q[i].name, v);
    }
    return out;
}

void counts_render(json_t *out, const json_t *sums)
{
    static const struct {
        const char *prefix;
        const char *group;
    } groups[] = {{"ch:", "by_channel"}, {"cat:", "by_category"}, {"lvl:", "by_level"},
                  {"ev:", "by_event"},   {"escl:", NULL},         {"esc:", NULL},
                  {"ret:", NULL}};
    json_object_set_new(out, "appeals", json_integer(s_get(sums, "ev:collected")));
    json_t *esc_level = json_object(), *esc_reason = json_object(), *returns = json_object();
    for (size_t g = 0; g < 4; g++)
        json_object_set_new(out, groups[g].group, json_object());
    const char *field;
    json_t *value;
    json_object_foreach((json_t *)sums, field, value)
    {
        for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
            size_t plen = strlen(groups[g].prefix);
            if (strncmp(field, groups[g].prefix, plen) != 0)
                continue;
            json_t *target = groups[g].group ? json_object_get(out, groups[g].group)
                             : g == 4        ? esc_level
                             : g == 5        ? esc_reason
                                             : returns;
            json_object_set_new(target, field + plen, json_integer(json_integer_value(value)));
            break;
        }
    }
    json_t *esc = json_object();
    json_object_set_new(esc, "total", json_integer(s_get(sums, "ev:escalated")));
    json_object_set_new(esc, "by_level", esc_level);
    json_object_set_new(esc, "by_reason", esc_reason);
    json_object_set_new(out, "escalations", esc);
    /* work orders returned (退单), by the department that returned them */
    json_object_set_new(out, "returns",
                        json_pack("{s:I, s:o}", "total", (json_int_t)s_get(sums, "ev:returned"),
                                  "by_department", returns));
    json_object_set_new(out, "rates", counts_rates(sums));
    json_t *d = json_object();
    json_object_set_new(d, "acknowledge", counts_durations(sums, "dack:"));
    json_object_set_new(d, "resolve", counts_durations(sums, "dres:"));
    json_object_set_new(out, "durations", d);
}

char *counts_metrics(rconn_t *redis, const region_table_t *regions, int64_t now_ms)
{
    size_t n = 0;
    const region_t *const *counties = region_counties(regions, &n);
    json_t *per = json_array();
    for (size_t c = 0; c < n; c++) {
        json_t *now = json_object();
        if (counts_now(redis, regions, counties[c]->code, now_ms, now) != 0) {
            json_decref(now);
            json_decref(per);
            return NULL;
        }
        json_array_append_new(per, now);
    }
    static const struct {
        const char *name, *key, *label, *help;
    } families[] = {
        {"gridline_appeals_now", "by_status", "status", "Appeals by status now, per county"},
        {"gridline_appeals_open", "by_level", "level", "Open appeals by level now, per county"},
        {"gridline_appeals_overdue", NULL, NULL,
         "Open appeals past their level's resolve deadline now, per county"}};
    jsonbuf_t out;
    jsonbuf_init(&out);
    for (size_t f = 0; f < 3; f++) {
        jsonbuf_appendf(&out, "# HELP %s %s\n# TYPE %s gauge\n", families[f].name, families[f].help,
                        families[f].name);
        for (size_t c = 0; c < n; c++) {
            json_t *now = json_array_get(per, c);
            if (json_object_size(json_object_get(now, "by_status")) == 0)
                continue; /* no appeal ever in this county */
            if (!families[f].key) {
                jsonbuf_appendf(&out, "%s{county=\"%s\"} %lld\n", families[f].name,
                                counties[c]->code,
                                (long long)json_integer_value(json_object_get(now, "overdue")));
                continue;
            }
            const char *name;
            json_t *value;
            json_object_foreach(json_object_get(now, families[f].key), name, value)
            {
                jsonbuf_appendf(&out, "%s{county=\"%s\",%s=\"%s\"} %lld\n", families[f].name,
                                counties[c]->code, families[f].label, name,
                                (long long)json_integer_value(value));
            }
        }
    }
    json_decref(per);
    return jsonbuf_take(&out, NULL);
}
