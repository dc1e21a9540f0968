#include "ranking.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_metric_names[] = {
    [RANKING_RESOLUTION_RATE] = "resolution_rate",
    [RANKING_RESPONSE_RATE] = "response_rate",
    [RANKING_SATISFACTION_RATE] = "satisfaction_rate",
    [RANKING_ON_TIME_RATE] = "on_time_rate",
    [RANKING_OVERDUE] = "overdue",
    [RANKING_APPEALS] = "appeals",
};
#define S_METRIC_COUNT (sizeof s_metric_names / sizeof s_metric_names[0])

int ranking_metric_parse(const char *text)
{
    for (size_t i = 0; text && i < S_METRIC_COUNT; i++)
        if (strcmp(text, s_metric_names[i]) == 0)
            return (int)i;
    return -1;
}

const char *ranking_metric_name(ranking_metric_t metric)
{
    return (size_t)metric < S_METRIC_COUNT ? s_metric_names[metric] : "";
}

bool ranking_metric_is_rate(ranking_metric_t metric)
{
    return metric == RANKING_RESOLUTION_RATE || metric == RANKING_RESPONSE_RATE ||
           metric == RANKING_SATISFACTION_RATE || metric == RANKING_ON_TIME_RATE;
}

void ranking_options_init(ranking_options_t *opt, ranking_metric_t metric)
{
    *opt = (ranking_options_t){.metric = metric, .flags = 3, .min_appeals = 5};
    opt->has_threshold = ranking_metric_is_rate(metric);
    opt->threshold = metric == RANKING_RESPONSE_RATE ? 0.9 : opt->has_threshold ? 0.8 : 0;
}

void ranking_options_from_config(ranking_options_t *opt, ranking_metric_t metric,
                                 const config_t *cfg)
{
    ranking_options_init(opt, metric);
    opt->flags = cfg->rankings_flags;
    opt->min_appeals = cfg->rankings_min_appeals;
    switch (metric) {
    case RANKING_RESOLUTION_RATE:
        opt->threshold = cfg->rankings_threshold_resolution;
        break;
    case RANKING_RESPONSE_RATE:
        opt->threshold = cfg->rankings_threshold_response;
        break;
    case RANKING_SATISFACTION_RATE:
        opt->threshold = cfg->rankings_threshold_satisfaction;
        break;
    case RANKING_ON_TIME_RATE:
        opt->threshold = cfg->rankings_threshold_on_time;
        break;
    default:
        break;
    }
    /* 0: nothing is below it */
    opt->has_threshold = opt->has_threshold && opt->threshold > 0;
}

/* ---- ranking --------------------------------------------------------------------------- */

typedef struct {
    const ranking_unit_t *unit;
    double value;
} s_item_t;

/* Better first; equal values by region code. */
static int s_by_value(const void *a, const void *b, bool ascending)
{
    const s_item_t *x = a, *y = b;
    if (x->value != y->value) {
        bool x_first = ascending ? x->value < y->value : x->value > y->value;
        return x_first ? -1 : 1;
    }
    return strcmp(x->unit->region, y->unit->region);
}

static int s_descending(const void *a, const void *b)
{
    return s_by_value(a, b, false);
}

static int s_ascending(const void *a, const void *b)
{
    return s_by_value(a, b, true);
}

static int s_by_region(const void *a, const void *b)
{
    const s_item_t *x = a, *y = b;
    return strcmp(x->unit->region, y->unit->region);
}

static double s_round4(double v)
{
    return round(v * 10000.0) / 10000.0;
}

static json_t *s_value_json(ranking_metric_t metric, double value)
{
    if (ranking_metric_is_rate(metric))
        return json_real(s_round4(value));
    return json_integer((json_int_t)value);
}

static const char *s_text(const char *s)
{
    return s ? s : "";
}

/* Appends the new reference item to array; false if either failed. */
static bool s_append(json_t *array, json_t *item)
{
    return item && json_array_append_new(array, item) == 0;
}

json_t *ranking_build(const ranking_unit_t *units, size_t count, const ranking_options_t *opt)
{
    json_t *out = json_object();
    json_t *ranked = json_array(), *unranked = json_array(), *lagging = json_array();
    s_item_t *items = calloc(count ? count : 1, sizeof *items);
    s_item_t *left = calloc(count ? count : 1, sizeof *left);
    int *rank = calloc(count ? count : 1, sizeof *rank);
    int *from_bottom = calloc(count ? count : 1, sizeof *from_bottom);
    bool ok = out && ranked && unranked && lagging && items && left && rank && from_bottom;
    ok = ok && json_object_set(out, "ranked", ranked) == 0 &&
         json_object_set(out, "unranked", unranked) == 0 &&
         json_object_set(out, "lagging", lagging) == 0;
    bool rate = ranking_metric_is_rate(opt->metric);
    size_t n = 0, n_left = 0;
    for (size_t i = 0; ok && i < count; i++) {
        const ranking_unit_t *u = &units[i];
        if (u->appeals < opt->min_appeals || (rate && u->den <= 0))
            left[n_left++] = (s_item_t){u, 0};
        else
            items[n++] = (s_item_t){u, rate ? (double)u->num / (double)u->den : (double)u->num};
    }
    if (ok) {
        qsort(items, n, sizeof *items, opt->metric == RANKING_OVERDUE ? s_ascending : s_descending);
        qsort(left, n_left, sizeof *left, s_by_region);
    }
    /* competition ranks from the top and, the same way, from the bottom */
    for (size_t i = 0; ok && i < n; i++)
        rank[i] = i > 0 && items[i].value == items[i - 1].value ? rank[i - 1] : (int)i + 1;
    for (size_t i = n; ok && i-- > 0;)
        from_bottom[i] =
            i + 1 < n && items[i].value == items[i + 1].value ? from_bottom[i + 1] : (int)(n - i);
    long long flags = opt->metric == RANKING_APPEALS || opt->flags < 0 ? 0 : opt->flags;
    if ((long long)n < 2 * flags)
        flags = (long long)n / 2;
    for (size_t i = 0; ok && i < n; i++) {
        const ranking_unit_t *u = items[i].unit;
        bool red = rank[i] <= flags, snail = from_bottom[i] <= flags;
        const char *flag = red && !snail ? "red_flag" : snail && !red ? "snail" : NULL;
        ok = s_append(ranked, json_pack("{s:i, s:s, s:s, s:o, s:I, s:I, s:I, s:o}", "rank", rank[i],
                                        "region", s_text(u->region), "name", s_text(u->name),
                                        "value", s_value_json(opt->metric, items[i].value),
                                        "appeals", (json_int_t)u->appeals, "num",
                                        (json_int_t)u->num, "den", (json_int_t)u->den, "flag",
                                        flag ? json_string(flag) : json_null()));
        if (ok && opt->has_threshold && items[i].value < opt->threshold)
            ok = s_append(lagging, json_pack("{s:s, s:s, s:o, s:o}", "region", s_text(u->region),
                                             "name", s_text(u->name), "value",
                                             s_value_json(opt->metric, items[i].value), "threshold",
                                             json_real(s_round4(opt->threshold))));
    }
    for (size_t i = 0; ok && i < n_left; i++) {
        const ranking_unit_t *u = left[i].unit;
        char reason[64];
        if (u->appeals < opt->min_appeals)
            snprintf(reason, sizeof reason, "fewer than %lld appeals", opt->min_appeals);
        else
            snprintf(reason, sizeof reason, "no feedback/assignments in the period");
        ok = s_append(unranked, json_pack("{s:s, s:s, s:I, s:s}", "region", s_text(u->region),
                                          "name", s_text(u->name), "appeals",
                                          (json_int_t)u->appeals, "reason", reason));
    }
    free(items);
    free(left);
    free(rank);
    free(from_bottom);
    json_decref(ranked);
    json_decref(unranked);
    json_decref(lagging);
    if (!ok) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *ranking_answer(const char *region, const char *child_level, const char *from,
                       const char *to, const ranking_unit_t *units, size_t count,
                       const ranking_options_t *opt)
{
    json_t *out = json_pack("{s:s, s:s, s:s, s:s, s:s}", "region", s_text(region), "child_level",
                            s_text(child_level), "metric", ranking_metric_name(opt->metric), "from",
                            s_text(from), "to", s_text(to));
    json_t *body = ranking_build(units, count, opt);
    bool ok = out && body && json_object_update(out, body) == 0;
    json_decref(body);
    if (!ok) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* ---- periods --------------------------------------------------------------------------- */

static bool s_leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int s_month_days(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && s_leap(year) ? 29 : days[month - 1];
}

/* n decimal digits at text into *out; false if any is not a digit. */
static bool s_digits(const char *text, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)text[i]))
            return false;
        v = v * 10 + (text[i] - '0');
    }
    *out = v;
    return true;
}

static void s_day(char out[9], int year, int month, int day)
{
    snprintf(out, 9, "%04d%02d%02d", year, month, day);
}

int ranking_period_parse(const char *period, char from[9], char to[9])
{
    from[0] = to[0] = '\0';
    int year = 0, first = 1, last = 12, q = 0;
    if (!period || !s_digits(period, 4, &year) || year < 1000)
        return -1;
    const char *rest = period + 4;
    size_t len = strlen(rest);
    if (len == 0) {
        /* the whole year */
    } else if (len == 3 && rest[0] == '-' && (rest[1] == 'Q' || rest[1] == 'q') &&
               s_digits(rest + 2, 1, &q) && q >= 1 && q <= 4) {
        first = 3 * q - 2;
        last = 3 * q;
    } else if (len == 3 && rest[0] == '-' && s_digits(rest + 1, 2, &first) && first >= 1 &&
               first <= 12) {
        last = first;
    } else {
        return -1;
    }
    s_day(from, year, first, 1);
    s_day(to, year, last, s_month_days(year, last));
    return 0;
}

/* Days since 1970-01-01 of a real day YYYYMMDD, or false. */
static bool s_day_number(const char *day, long *out)
{
    int y, m, d;
    if (!day || strlen(day) != 8 || !s_digits(day, 4, &y) || !s_digits(day + 4, 2, &m) ||
        !s_digits(day + 6, 2, &d) || y < 1000 || m < 1 || m > 12 || d < 1 || d > s_month_days(y, m))
        return false;
    /* H. Hinnant's days_from_civil */
    long yy = m <= 2 ? y - 1 : y;
    long era = yy / 400;
    long yoe = yy - era * 400;
    long doy = (153L * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    *out = era * 146097 + doe - 719468;
    return true;
}

int ranking_range_check(const char *from, const char *to, const char **why)
{
    const char *unused;
    if (!why)
        why = &unused;
    long a, b;
    if (!s_day_number(from, &a)) {
        *why = "from is not a day YYYYMMDD";
        return -1;
    }
    if (!s_day_number(to, &b)) {
        *why = "to is not a day YYYYMMDD";
        return -1;
    }
    if (b < a) {
        *why = "to is before from";
        return -1;
    }
    if (b - a + 1 > RANKING_MAX_DAYS) {
        *why = "from..to is longer than 3 years";
        return -1;
    }
    *why = NULL;
    return 0;
}
