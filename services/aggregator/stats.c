#include "stats.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "counts.h"
#include "query.h"
#include "csv.h"
#include "keys.h"
#include "ranking.h"

int stats_span(const http_request_t *req, http_response_t *res, char from[9], char to[9],
               bool *single)
{
    const char *day = http_request_arg(req, "day");
    const char *f = http_request_arg(req, "from"), *t = http_request_arg(req, "to");
    char today[9];
    clock_day(clock_wall_ms(), today);
    if (day && (f || t)) {
        http_response_error(res, 400, "invalid", "day", "give day, or from and to, not both");
        return -1;
    }
    static const struct {
        const char *name;
    } names[] = {{"day"}, {"from"}, {"to"}};
    const char *given[3] = {day, f, t};
    for (int i = 0; i < 3; i++)
        if (given[i] && counts_day_check(given[i]) != 0) {
            http_response_error(res, 400, "invalid", names[i].name,
                                "%s must be a local day YYYYMMDD", names[i].name);
            return -1;
        }
    *single = !f && !t;
    snprintf(from, 9, "%s", day ? day : f ? f : t ? t : today);
    snprintf(to, 9, "%s", day ? day : t ? t : today);
    char probe[1][9];
    if (counts_periods(from, to, probe, 1) < 0) {
        http_response_error(res, 400, "invalid", "to",
                            "to must not be before from, and the span at most %d days",
                            COUNTS_MAX_DAYS);
        return -1;
    }
    return 0;
}

/* The sums of region over from..to; NULL when Redis failed. */
static json_t *s_sums(const region_table_t *regions, rconn_t *redis, const char *region,
                      const char *from, const char *to)
{
    char(*periods)[9] = calloc(COUNTS_MAX_DAYS, sizeof *periods);
    if (!periods)
        return NULL;
    int n = counts_periods(from, to, periods, COUNTS_MAX_DAYS);
    size_t reads = 0;
    json_t *sums = json_object();
    if (n < 0 || counts_append(redis, regions, region, periods, (size_t)n, &reads) != 0 ||
        counts_collect(redis, reads, sums) != 0) {
        json_decref(sums);
        sums = NULL;
    }
    free(periods);
    return sums;
}

/* What one row of a by=day / by=child array shows. */
static json_t *s_row(const json_t *sums)
{
    json_t *full = json_object();
    counts_render(full, sums);
    json_t *row = json_object();
    json_object_set(row, "appeals", json_object_get(full, "appeals"));
    json_object_set(row, "by_level", json_object_get(full, "by_level"));
    json_object_set(row, "escalations",
                    json_object_get(json_object_get(full, "escalations"), "total"));
    json_object_set(row, "rates", json_object_get(full, "rates"));
    json_decref(full);
    return row;
}

/* The answer of /v1/stats for region (a known code, checked) over from..to; NULL when Redis
 * failed. */
static json_t *s_build(const region_table_t *regions, rconn_t *redis, const char *region,
                       const region_t *known, int level, const char *from, const char *to,
                       bool single, const char *by)
{
    json_t *sums = s_sums(regions, redis, region, from, to);
    if (!sums)
        return NULL;
    json_t *out = json_object();
    json_object_set_new(out, "region", json_string(region));
    json_object_set_new(out, "name", json_string(level == REGION_GRID ? "" : known->name));
    json_object_set_new(out, "level", json_string(region_level_name((region_level_t)level)));
    if (single) {
        json_object_set_new(out, "day", json_string(from));
    } else {
        json_object_set_new(out, "from", json_string(from));
        json_object_set_new(out, "to", json_string(to));
    }
    counts_render(out, sums);
    json_decref(sums);
    if (level <= REGION_COUNTY) {
        json_t *now = json_object();
        if (counts_now(redis, regions, region, clock_wall_ms(), now) != 0) {
            json_decref(now);
            json_decref(out);
            return NULL;
        }
        json_object_set_new(out, "now", now);
    }
    if (strlen(region) < 6) {
        size_t n = region_query_counties(regions, region, NULL, 0);
        json_object_set_new(out, "counties", json_integer((json_int_t)n));
    }
    bool failed = false;
    if (by && strcmp(by, "day") == 0) {
        char(*days)[9] = calloc(COUNTS_MAX_DAYS, sizeof *days);
        int n = days ? counts_days(from, to, days, COUNTS_MAX_DAYS) : -1;
        json_t *list = json_array();
        for (int i = 0; i < n && !failed; i++) {
            json_t *day_sums = s_sums(regions, redis, region, days[i], days[i]);
            if (!day_sums) {
                failed = true;
                break;
            }
            json_t *row = s_row(day_sums);
            json_decref(day_sums);
            json_t *keyed = json_pack("{s:s}", "day", days[i]);
            json_object_update(keyed, row);
            json_decref(row);
            json_array_append_new(list, keyed);
        }
        free(days);
        json_object_set_new(out, "days", list);
    } else if (by && strcmp(by, "child") == 0 && level < REGION_VILLAGE) {
        region_level_t child = (region_level_t)(level + 1);
        size_t total = region_under(regions, region, child, NULL, 0);
        const region_t **kids = calloc(total ? total : 1, sizeof *kids);
        json_t *list = json_array();
        size_t n = kids ? region_under(regions, region, child, kids, total) : 0;
        for (size_t i = 0; i < n && i < total && !failed; i++) {
            json_t *child_sums = s_sums(regions, redis, kids[i]->code, from, to);
            if (!child_sums) {
                failed = true;
                break;
            }
            json_t *row = s_row(child_sums);
            json_decref(child_sums);
            json_t *keyed = json_pack("{s:s,s:s}", "region", kids[i]->code, "name", kids[i]->name);
            json_object_update(keyed, row);
            json_decref(row);
            if (child <= REGION_COUNTY) {
                json_t *now = json_object();
                if (counts_now(redis, regions, kids[i]->code, clock_wall_ms(), now) == 0)
                    json_object_set_new(keyed, "now", now);
                else {
                    json_decref(now);
                    failed = true;
                }
            }
            json_array_append_new(list, keyed);
        }
        free(kids);
        json_object_set_new(out, "children", list);
    } else if (by && strcmp(by, "child") == 0) {
        json_object_set_new(out, "children", json_array());
    }
    if (failed) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* Checks the request; the answer's JSON, or NULL when answered (an error). */
static json_t *s_answer(const region_table_t *regions, rconn_t *redis, const http_request_t *req,
                        http_response_t *res)
{
    const char *region;
    const region_t *known = NULL;
    int level = query_region(regions, req, res, "15", &region, &known);
    if (level < 0)
        return NULL;
    const char *by = http_request_arg(req, "by");
    if (by && strcmp(by, "day") != 0 && strcmp(by, "child") != 0) {
        http_response_error(res, 400, "invalid", "by", "by must be day or child");
        return NULL;
    }
    char from[9], to[9];
    bool single;
    if (stats_span(req, res, from, to, &single) != 0)
        return NULL;
    json_t *out = s_build(regions, redis, region, known, level, from, to, single, by);
    if (!out)
        http_response_error(res, 503, "unavailable", NULL, "%s", rconn_errstr(redis));
    return out;
}

void stats_get(const region_table_t *regions, rconn_t *redis, const http_request_t *req,
               http_response_t *res)
{
    json_t *out = s_answer(regions, redis, req, res);
    if (!out)
        return;
    char *text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(out);
    http_response_json(res, 200, text);
}

static void s_csv_answer(http_response_t *res, csv_t *csv, const char *filename)
{
    if (!csv || csv_failed(csv)) {
        csv_destroy(&csv);
        http_response_error(res, 503, "unavailable", NULL, "out of memory");
        return;
    }
    char disposition[128];
    snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", filename);
    http_response_text(res, 200, "text/csv; charset=utf-8", csv_data(csv));
    http_response_header(res, "Content-Disposition", disposition);
    csv_destroy(&csv);
}

/* One CSV row of a stats row (the answer itself, a day or a child). */
static void s_csv_stats_row(csv_t *csv, const char *region, const char *name, const char *day,
                            const json_t *row)
{
    char cells[12][32];
    const char *cell[12] = {region, name, day};
    snprintf(cells[3], sizeof cells[3], "%lld",
             (long long)json_integer_value(json_object_get(row, "appeals")));
    cell[3] = cells[3];
    static const char *levels[4] = {"green", "blue", "yellow", "red"};
    for (int i = 0; i < 4; i++) {
        snprintf(cells[4 + i], sizeof cells[0], "%lld",
                 (long long)json_integer_value(
                     json_object_get(json_object_get(row, "by_level"), levels[i])));
        cell[4 + i] = cells[4 + i];
    }
    static const char *rates[4] = {"response", "resolution", "satisfaction", "on_time"};
    for (int i = 0; i < 4; i++) {
        json_t *v =
            json_object_get(json_object_get(json_object_get(row, "rates"), rates[i]), "value");
        cells[8 + i][0] = '\0';
        if (json_is_number(v))
            snprintf(cells[8 + i], sizeof cells[0], "%.4f", json_number_value(v));
        cell[8 + i] = cells[8 + i];
    }
    csv_row(csv, cell, 12);
}

void stats_csv(const region_table_t *regions, rconn_t *redis, const http_request_t *req,
               http_response_t *res)
{
    json_t *out = s_answer(regions, redis, req, res);
    if (!out)
        return;
    csv_t *csv = csv_new();
    static const char *header[12] = {"region",   "name",       "day",          "appeals",
                                     "green",    "blue",       "yellow",       "red",
                                     "response", "resolution", "satisfaction", "on_time"};
    if (csv)
        csv_row(csv, header, 12);
    const char *region = json_string_value(json_object_get(out, "region"));
    const char *name = json_string_value(json_object_get(out, "name"));
    json_t *days = json_object_get(out, "days"), *kids = json_object_get(out, "children");
    const char *span = json_string_value(json_object_get(out, "day"));
    char range[20];
    if (!span) {
        snprintf(range, sizeof range, "%s-%s", json_string_value(json_object_get(out, "from")),
                 json_string_value(json_object_get(out, "to")));
        span = range;
    }
    size_t i;
    json_t *row;
    if (csv && days) {
        json_array_foreach(days, i, row)
        {
            s_csv_stats_row(csv, region, name, json_string_value(json_object_get(row, "day")), row);
        }
    } else if (csv && kids) {
        json_array_foreach(kids, i, row)
        {
            s_csv_stats_row(csv, json_string_value(json_object_get(row, "region")),
                            json_string_value(json_object_get(row, "name")), span, row);
        }
    } else if (csv) {
        s_csv_stats_row(csv, region, name, span, out);
    }
    char filename[64]; /* before the answer is freed: region points into it */
    snprintf(filename, sizeof filename, "gridline-stats-%s.csv", region);
    json_decref(out);
    s_csv_answer(res, csv, filename);
}

/* The units' overdue appeals now: open:{C} members "<region>|<id>" past their deadline, by
 * prefix. 0, -1 Redis. */
static int s_overdue(rconn_t *redis, const region_t **kids, size_t n, ranking_unit_t *units)
{
    char county[7] = "", key[KEYS_MAX];
    redisReply *due = NULL;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (strncmp(kids[i]->code, county, 6) != 0) {
            if (due)
                freeReplyObject(due);
            snprintf(county, sizeof county, "%.6s", kids[i]->code);
            snprintf(key, sizeof key, "open:{%s}", county);
            due =
                rconn_command(redis, "ZRANGEBYSCORE %s -inf %lld", key, (long long)clock_wall_ms());
            if (!due) {
                rc = -1;
                break;
            }
        }
        size_t len = strlen(kids[i]->code);
        for (size_t k = 0; due->type == REDIS_REPLY_ARRAY && k < due->elements; k++)
            if (strncmp(due->element[k]->str, kids[i]->code, len) == 0)
                units[i].num++;
    }
    if (due)
        freeReplyObject(due);
    return rc;
}

void stats_rankings(const config_t *config, const region_table_t *regions, rconn_t *redis,
                    const http_request_t *req, http_response_t *res, bool csv)
{
    const char *region;
    const region_t *known = NULL;
    int level = query_region(regions, req, res, "15", &region, &known);
    if (level < 0)
        return;
    const char *child_arg = http_request_arg(req, "child_level");
    region_level_t child;
    if (child_arg && strcmp(child_arg, "township") == 0)
        child = REGION_TOWNSHIP;
    else if (child_arg && strcmp(child_arg, "village") == 0)
        child = REGION_VILLAGE;
    else {
        http_response_error(res, 400, "invalid", "child_level",
                            "child_level must be township or village");
        return;
    }
    if ((int)child <= level) {
        http_response_error(res, 400, "invalid", "child_level", "a %s has no %s beneath it",
                            region_level_name((region_level_t)level), child_arg);
        return;
    }
    const char *metric_arg = http_request_arg(req, "metric");
    int metric = ranking_metric_parse(metric_arg ? metric_arg : "resolution_rate");
    if (metric < 0) {
        http_response_error(res, 400, "invalid", "metric",
                            "metric must be resolution_rate, response_rate, satisfaction_rate, "
                            "on_time_rate, overdue or appeals");
        return;
    }
    const char *period = http_request_arg(req, "period");
    char from[9], to[9];
    if (period) {
        if (http_request_arg(req, "from") || http_request_arg(req, "to") ||
            http_request_arg(req, "day")) {
            http_response_error(res, 400, "invalid", "period", "give period, or from and to");
            return;
        }
        if (ranking_period_parse(period, from, to) != 0) {
            http_response_error(res, 400, "invalid", "period",
                                "period must be a month (2026-11), a quarter (2026-Q4) or a "
                                "year (2026)");
            return;
        }
    } else {
        bool single;
        if (stats_span(req, res, from, to, &single) != 0)
            return;
        if (!http_request_arg(req, "from") && !http_request_arg(req, "day")) {
            /* no span given: this month so far */
            memcpy(from, to, 6);
            memcpy(from + 6, "01", 3);
        }
    }
    size_t total = region_under(regions, region, child, NULL, 0);
    const region_t **kids = calloc(total ? total : 1, sizeof *kids);
    ranking_unit_t *units = calloc(total ? total : 1, sizeof *units);
    char(*periods)[9] = calloc(COUNTS_MAX_DAYS, sizeof *periods);
    size_t *reads = calloc(total ? total : 1, sizeof *reads);
    int np = periods ? counts_periods(from, to, periods, COUNTS_MAX_DAYS) : -1;
    bool failed = !kids || !units || !reads || np < 0;
    size_t n = failed ? 0 : region_under(regions, region, child, kids, total);
    for (size_t i = 0; i < n && !failed; i++)
        failed = counts_append(redis, regions, kids[i]->code, periods, (size_t)np, &reads[i]) != 0;
    for (size_t i = 0; i < n && !failed; i++) {
        json_t *sums = json_object();
        failed = counts_collect(redis, reads[i], sums) != 0;
        ranking_unit_t *u = &units[i];
        u->region = kids[i]->code;
        u->name = kids[i]->name;
        u->appeals = json_integer_value(json_object_get(sums, "ev:collected"));
        static const struct {
            ranking_metric_t metric;
            const char *num, *den;
        } fields[] = {{RANKING_RESPONSE_RATE, "r:ack_on_time", "r:assigned"},
                      {RANKING_RESOLUTION_RATE, "r:fb_solved", "r:fb"},
                      {RANKING_SATISFACTION_RATE, "r:fb_sat", "r:fb"},
                      {RANKING_ON_TIME_RATE, "r:res_on_time", "r:assigned"},
                      {RANKING_APPEALS, "ev:collected", NULL}};
        for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
            if (fields[f].metric == (ranking_metric_t)metric) {
                u->num = json_integer_value(json_object_get(sums, fields[f].num));
                u->den =
                    fields[f].den ? json_integer_value(json_object_get(sums, fields[f].den)) : 0;
            }
        json_decref(sums);
    }
    if (!failed && metric == RANKING_OVERDUE)
        failed = s_overdue(redis, kids, n, units) != 0;
    json_t *answer = NULL;
    if (!failed) {
        ranking_options_t opt;
        ranking_options_from_config(&opt, (ranking_metric_t)metric, config);
        answer = ranking_answer(region, child_arg, from, to, units, n, &opt);
    }
    free(kids);
    free(units);
    free(periods);
    free(reads);
    if (!answer) {
        http_response_error(res, 503, "unavailable", NULL, "%s",
                            failed ? rconn_errstr(redis) : "out of memory");
        return;
    }
    if (csv) {
        char filename[80];
        snprintf(filename, sizeof filename, "gridline-rankings-%s-%s.csv", region, child_arg);
        s_csv_answer(res, csv_rankings(answer), filename);
    } else {
        char *text = json_dumps(answer, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
                                            JSON_REAL_PRECISION(RANKING_REAL_PRECISION));
        http_response_json(res, 200, text);
    }
    json_decref(answer);
}
