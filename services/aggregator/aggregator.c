#include "aggregator.h"

#include "auth.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "dashboard.h"
#include "event.h"
#include "inbox.h"
#include "keys.h"
#include "log.h"
#include "metrics.h"
#include "rconn.h"
#include "scripts.h"
#include "service.h"
#include "tally.h"

/* Events per stats_apply call at most: a call's arguments stay in the thousands. */
#define S_CALL_EVENTS 128

typedef struct {
    const inbox_item_t *item;
    tally_item_t items[TALLY_MAX];
    size_t count;
} s_counted_t;

struct aggregator {
    service_t *service;
    rconn_t *redis; /* main thread: applying */
    inbox_t *inbox;
    s_counted_t *batch; /* outbox.batch slots, reused */
    tally_event_t *events;
    long long *outcomes;
    size_t *calls, *sizes;
    argv_t argv;
    metric_t *batches;
};

aggregator_t *aggregator_new(service_t *service)
{
    const config_t *cfg = service->config;
    aggregator_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->service = service;
    size_t batch = (size_t)cfg->outbox_batch;
    self->redis = service_redis_new(cfg);
    self->inbox = inbox_new(HOP_AGGREGATOR, cfg);
    self->batch = calloc(batch, sizeof *self->batch);
    self->events = calloc(batch, sizeof *self->events);
    self->outcomes = calloc(batch, sizeof *self->outcomes);
    self->calls = calloc(batch, sizeof *self->calls);
    self->sizes = calloc(batch, sizeof *self->sizes);
    argv_init(&self->argv);
    if (!self->redis || !self->inbox || !self->batch || !self->events || !self->outcomes ||
        !self->calls || !self->sizes) {
        aggregator_destroy(&self);
        return NULL;
    }
    self->batches = metrics_register(METRIC_COUNTER, "gridline_aggregator_batches_total", NULL,
                                     "stats_apply calls");
    return self;
}

void aggregator_destroy(aggregator_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    aggregator_t *self = *self_p;
    inbox_destroy(&self->inbox);
    rconn_destroy(&self->redis);
    argv_fini(&self->argv);
    free(self->batch);
    free(self->events);
    free(self->outcomes);
    free(self->calls);
    free(self->sizes);
    free(self);
    *self_p = NULL;
}

void *aggregator_socket(aggregator_t *self)
{
    return inbox_socket(self->inbox);
}

static int s_by_county(const void *a, const void *b)
{
    return strcmp(((const s_counted_t *)a)->item->county, ((const s_counted_t *)b)->item->county);
}

int aggregator_drain(aggregator_t *self)
{
    const config_t *cfg = self->service->config;
    bool redis_down = rconn_ensure(self->redis) != 0;
    inbox_item_t *items = NULL;
    size_t taken = inbox_take(self->inbox, redis_down, (size_t)cfg->outbox_batch, &items);
    if (redis_down)
        return -1;
    size_t count = 0;
    for (size_t i = 0; i < taken; i++) {
        s_counted_t *c = &self->batch[count];
        c->item = &items[i];
        c->count = tally_event(items[i].event, c->items, TALLY_MAX);
        if (c->count == 0) {
            log_warn("dropped an event the aggregator cannot count", "id",
                     items[i].event->appeal_id, NULL);
            continue;
        }
        count++;
    }
    if (count == 0)
        return 0;
    qsort(self->batch, count, sizeof *self->batch, s_by_county);
    for (size_t i = 0; i < count; i++)
        self->events[i] = (tally_event_t){self->batch[i].item->member, self->batch[i].item->raw,
                                          self->batch[i].item->raw_len, self->batch[i].items,
                                          self->batch[i].count};
    int64_t now = clock_wall_ms();
    size_t ncalls = 0;
    for (size_t from = 0; from < count;) {
        const char *county = self->batch[from].item->county;
        size_t to = from + 1;
        while (to < count && to - from < S_CALL_EVENTS &&
               strcmp(self->batch[to].item->county, county) == 0)
            to++;
        if (tally_apply_append(self->redis, &self->argv, county, now, &self->events[from],
                               to - from) != 0)
            return -1;
        metric_add(self->batches, 1);
        self->calls[ncalls] = from;
        self->sizes[ncalls++] = to - from;
        from = to;
    }
    int applied = 0;
    for (size_t c = 0; c < ncalls; c++) {
        long long *outcomes = &self->outcomes[self->calls[c]];
        int rc = tally_apply_read(self->redis, self->sizes[c], outcomes);
        if (rc == -1)
            return -1;
        for (size_t k = 0; rc == 0 && k < self->sizes[c]; k++) {
            inbox_count(self->inbox, outcomes[k], 1);
            if (outcomes[k] == HOP_APPLIED)
                applied++;
            else if (outcomes[k] != HOP_DUPLICATE)
                log_warn("event not counted", "member", self->events[self->calls[c] + k].member,
                         "outcome", hop_outcome_name(outcomes[k]), NULL);
        }
    }
    return applied;
}

/* Adds every field of an HGETALL reply into the grouped counters of out. */
static void s_sum_into(json_t *out, const redisReply *hash)
{
    static const struct {
        const char *prefix;
        const char *group;
    } groups[] = {
        {"ch:", "by_channel"}, {"cat:", "by_category"}, {"lvl:", "by_level"}, {"ev:", "by_event"}};
    for (size_t i = 0; i + 1 < hash->elements; i += 2) {
        const char *field = hash->element[i]->str;
        long long value = strtoll(hash->element[i + 1]->str, NULL, 10);
        json_t *target = out;
        const char *name = field;
        for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
            size_t plen = strlen(groups[g].prefix);
            if (strncmp(field, groups[g].prefix, plen) == 0) {
                target = json_object_get(out, groups[g].group);
                name = field + plen;
                break;
            }
        }
        json_int_t before = json_integer_value(json_object_get(target, name));
        json_object_set_new(target, name, json_integer(before + value));
    }
}

static void s_stats(aggregator_t *self, rconn_t *redis, const http_request_t *req,
                    http_response_t *res)
{
    const region_table_t *regions = self->service->regions;
    const char *region = http_request_arg(req, "region");
    const char *day_arg = http_request_arg(req, "day");
    region = region && *region ? region : "15";
    size_t len = strlen(region);
    const region_t *known = NULL;
    int level = region_query(regions, region, &known);
    if (level < 0) {
        bool invalid = level == REGION_QUERY_INVALID;
        http_response_error(res, invalid ? 400 : 404, invalid ? "invalid" : "unknown_region",
                            "region", "region '%.20s' is not a known division code", region);
        return;
    }
    char day[9];
    if (day_arg) {
        bool ok = strlen(day_arg) == 8;
        for (int i = 0; ok && i < 8; i++)
            ok = isdigit((unsigned char)day_arg[i]);
        if (!ok) {
            http_response_error(res, 400, "invalid", "day", "day must be YYYYMMDD");
            return;
        }
        snprintf(day, sizeof day, "%s", day_arg);
    } else {
        clock_day(clock_wall_ms(), day);
    }
    /* At or below the county: one hash. Above: one hash per county, one round trip. */
    size_t all_counties = 0;
    region_counties(regions, &all_counties);
    const region_t **counties = calloc(all_counties ? all_counties : 1, sizeof *counties);
    size_t county_count = 0;
    if (!counties) {
        http_response_error(res, 503, "unavailable", NULL, "out of memory");
        return;
    }
    if (len >= 6)
        county_count = 1;
    else
        county_count = region_under(regions, region, REGION_COUNTY, counties, all_counties);
    char key[KEYS_MAX], county[7];
    for (size_t i = 0; i < county_count; i++) {
        if (len >= 6) {
            snprintf(county, sizeof county, "%.6s", region);
            keys_stats(key, county, day, region);
        } else {
            keys_stats(key, counties[i]->code, day, counties[i]->code);
        }
        if (rconn_append(redis, "HGETALL %s", key) != 0) {
            free(counties);
            http_response_error(res, 503, "unavailable", NULL, "%s", rconn_errstr(redis));
            return;
        }
    }
    free(counties);
    json_t *out = json_object();
    json_object_set_new(out, "region", json_string(region));
    json_object_set_new(out, "name", json_string(level == REGION_GRID ? "" : known->name));
    json_object_set_new(out, "level", json_string(region_level_name((region_level_t)level)));
    json_object_set_new(out, "day", json_string(day));
    json_object_set_new(out, "appeals", json_integer(0));
    json_object_set_new(out, "by_channel", json_object());
    json_object_set_new(out, "by_category", json_object());
    json_object_set_new(out, "by_level", json_object());
    json_object_set_new(out, "by_event", json_object());
    if (len < 6)
        json_object_set_new(out, "counties", json_integer((json_int_t)county_count));
    for (size_t i = 0; i < county_count; i++) {
        redisReply *r = rconn_reply(redis);
        if (!r) {
            json_decref(out);
            http_response_error(res, 503, "unavailable", NULL, "%s", rconn_errstr(redis));
            return;
        }
        if (r->type == REDIS_REPLY_ARRAY)
            s_sum_into(out, r);
        freeReplyObject(r);
    }
    /* Appeals are not counted apart: each one has exactly one collected event. */
    json_object_set_new(out, "appeals",
                        json_integer(json_integer_value(
                            json_object_get(json_object_get(out, "by_event"), "collected"))));
    char *text = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(out);
    http_response_json(res, 200, text);
}

void aggregator_handle(void *arg, const http_request_t *req, http_response_t *res)
{
    aggregator_t *self = arg;
    rconn_t *redis = req->thread;
    if (dashboard_handle(self->service, req, res)) /* static files, no token */
        return;
    if (strncmp(req->path, "/v1/", 4) == 0) {
        /* the intake issue's tokens: a token limited to a region reads counts within it */
        config_t *cfg = service_config(self->service);
        auth_token_t tok;
        int refused =
            auth_host(cfg, req, res) != 0 || auth_request(cfg, redis, req, res, &tok) != 0;
        config_release(&cfg);
        if (refused)
            return;
        const char *region = http_request_arg(req, "region");
        if (!auth_allows_region(&tok, region && *region ? region : "15")) {
            auth_forbid(res, &tok, "region", "read counts of this region");
            return;
        }
    }
    if (strcmp(req->path, "/v1/stats") == 0 && strcmp(req->method, "GET") == 0)
        s_stats(self, redis, req, res);
    else
        http_response_error(res, 404, "not_found", NULL,
                            "see GET /v1/stats?region=PREFIX&day=YYYYMMDD");
}

void *aggregator_thread_new(void *arg)
{
    const config_t *cfg = ((aggregator_t *)arg)->service->config;
    return service_redis_new(cfg);
}

void aggregator_thread_destroy(void *arg, void *state)
{
    rconn_t *redis = state;
    rconn_destroy(&redis);
}

int aggregator_tick(aggregator_t *self)
{
    return rconn_ensure(self->redis);
}
