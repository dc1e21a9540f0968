#include "stats.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "counts.h"

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
    const char *region = http_request_arg(req, "region");
    region = region && *region ? region : "15";
    const region_t *known = NULL;
    int level = region_query(regions, region, &known);
    if (level < 0) {
        bool invalid = level == REGION_QUERY_INVALID;
        http_response_error(res, invalid ? 400 : 404, invalid ? "invalid" : "unknown_region",
                            "region", "region '%.20s' is not a known division code", region);
        return NULL;
    }
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
