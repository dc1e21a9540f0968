#include "aggregator.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "event.h"
#include "keys.h"
#include "log.h"
#include "metrics.h"
#include "rconn.h"
#include "scripts.h"
#include "tally.h"
#include "zsock.h"

/* Arguments of one stats_apply call at most (rconn allows 4096). */
#define S_MAX_ARGS 4000

typedef struct {
    char county[7];
    char member[KEYS_ID_MAX + 16];
    tally_item_t items[TALLY_MAX];
    size_t count;
} s_counted_t;

struct aggregator {
    service_t *service;
    rconn_t *redis;       /* main thread: applying */
    rconn_t *query_redis; /* the HTTP thread: GET /v1/stats */
    void *inbox;
    s_counted_t *batch; /* outbox.batch slots, reused */
    const char **args;
    size_t *lens;
    metric_t *applied, *duplicate, *malformed, *batches;
};

aggregator_t *aggregator_new(service_t *service)
{
    const config_t *cfg = service->config;
    aggregator_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->service = service;
    self->redis =
        rconn_new(cfg->redis_host, cfg->redis_port, cfg->redis_password, cfg->redis_timeout_ms);
    self->query_redis =
        rconn_new(cfg->redis_host, cfg->redis_port, cfg->redis_password, cfg->redis_timeout_ms);
    self->inbox = zsock_pull_new(cfg->aggregator_endpoint);
    self->batch = calloc((size_t)cfg->outbox_batch, sizeof *self->batch);
    self->args = calloc(S_MAX_ARGS, sizeof *self->args);
    self->lens = calloc(S_MAX_ARGS, sizeof *self->lens);
    if (!self->redis || !self->query_redis || !self->inbox || !self->batch || !self->args ||
        !self->lens) {
        aggregator_destroy(&self);
        return NULL;
    }
    rconn_set_scripts(self->redis, scripts_all);
    const char *name = "gridline_aggregator_events_total", *help = "events received, by outcome";
    self->applied = metrics_register(METRIC_COUNTER, name, "result=\"counted\"", help);
    self->duplicate = metrics_register(METRIC_COUNTER, name, "result=\"duplicate\"", help);
    self->malformed = metrics_register(METRIC_COUNTER, name, "result=\"malformed\"", help);
    self->batches = metrics_register(METRIC_COUNTER, "gridline_aggregator_batches_total", NULL,
                                     "stats_apply calls");
    return self;
}

void aggregator_destroy(aggregator_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    aggregator_t *self = *self_p;
    zsock_destroy(&self->inbox);
    rconn_destroy(&self->redis);
    rconn_destroy(&self->query_redis);
    free(self->batch);
    free(self->args);
    free(self->lens);
    free(self);
    *self_p = NULL;
}

void *aggregator_socket(aggregator_t *self)
{
    return self->inbox;
}

static int s_by_county(const void *a, const void *b)
{
    return strcmp(((const s_counted_t *)a)->county, ((const s_counted_t *)b)->county);
}

/* Appends stats_apply calls for batch[from..to) (one county) in chunks that fit S_MAX_ARGS.
 * Returns the number of calls appended, -1 on a Redis error. */
static int s_append_county(aggregator_t *self, size_t from, size_t to)
{
    char key[KEYS_MAX];
    keys_outbox(key, self->batch[from].county, "aggregator");
    int calls = 0;
    size_t i = from;
    while (i < to) {
        size_t n = 0, events = 0;
        self->args[n++] = key;
        n++; /* the number of events, filled below */
        while (i < to && n + 2 + 2 * self->batch[i].count <= S_MAX_ARGS) {
            s_counted_t *c = &self->batch[i];
            self->args[n++] = c->member;
            /* the pair count must outlive this loop: it goes in the slot tally left free */
            snprintf(c->items[TALLY_MAX - 1].field, 16, "%zu", c->count);
            self->args[n++] = c->items[TALLY_MAX - 1].field;
            for (size_t k = 0; k < c->count; k++) {
                self->args[n++] = c->items[k].key;
                self->args[n++] = c->items[k].field;
            }
            events++;
            i++;
        }
        char nevents[16];
        snprintf(nevents, sizeof nevents, "%zu", events);
        self->args[1] = nevents;
        for (size_t k = 0; k < n; k++)
            self->lens[k] = strlen(self->args[k]);
        if (rconn_append_eval(self->redis, &scripts_stats_apply, 1, (int)n, self->args,
                              self->lens) != 0)
            return -1;
        calls++;
        metric_add(self->batches, 1);
    }
    return calls;
}

int aggregator_drain(aggregator_t *self)
{
    const config_t *cfg = self->service->config;
    size_t count = 0;
    bool redis_down = rconn_ensure(self->redis) != 0;
    while (count < (size_t)cfg->outbox_batch) {
        Gridline__Envelope *env = NULL;
        event_recv_t got = event_envelope_recv(self->inbox, redis_down, &env);
        if (got == EVENT_RECV_NONE)
            break;
        if (got == EVENT_RECV_DROPPED) {
            metric_add(self->malformed, redis_down ? 0 : 1);
            continue;
        }
        const Gridline__Event *e = env->event;
        s_counted_t *c = &self->batch[count];
        /* keep one slot free: s_append_county writes the pair count there */
        c->count = tally_event(e, c->items, TALLY_MAX - 1);
        if (c->count == 0 || keys_county_of_id(e->appeal_id, c->county) != 0 ||
            snprintf(c->member, sizeof c->member, "%s:%u", e->appeal_id, e->seq) >=
                (int)sizeof c->member) {
            metric_add(self->malformed, 1);
            log_warn("dropped an event the aggregator cannot count", "id", e->appeal_id, NULL);
        } else {
            count++;
        }
        event_envelope_free(&env);
    }
    if (redis_down || count == 0)
        return redis_down ? -1 : 0;
    qsort(self->batch, count, sizeof *self->batch, s_by_county);
    int calls = 0;
    for (size_t from = 0; from < count;) {
        size_t to = from + 1;
        while (to < count && strcmp(self->batch[to].county, self->batch[from].county) == 0)
            to++;
        int n = s_append_county(self, from, to);
        if (n < 0)
            return -1;
        calls += n;
        from = to;
    }
    long long applied = 0;
    for (int i = 0; i < calls; i++) {
        redisReply *r = rconn_reply(self->redis);
        if (!r)
            return -1;
        if (r->type == REDIS_REPLY_INTEGER)
            applied += r->integer;
        else
            log_error("stats_apply failed", "error",
                      r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply", NULL);
        freeReplyObject(r);
    }
    metric_add(self->applied, applied);
    metric_add(self->duplicate, (long long)count - applied);
    return (int)applied;
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

static void s_stats(aggregator_t *self, const http_request_t *req, http_response_t *res)
{
    const region_table_t *regions = self->service->regions;
    const char *region = http_request_arg(req, "region");
    const char *day_arg = http_request_arg(req, "day");
    region = region && *region ? region : "15";
    size_t len = strlen(region);
    int level = region_level_of_length(len);
    for (size_t i = 0; i < len && level >= 0; i++)
        if (!isdigit((unsigned char)region[i]))
            level = -1;
    const region_t *known = NULL;
    if (level == REGION_GRID) {
        const char *why = NULL;
        if (region_resolve_appeal(regions, region, &known, &why) != REGION_GRID)
            known = NULL;
    } else if (level > 0) {
        known = region_lookup(regions, region);
    }
    if (!known) {
        http_response_error(res, level < 0 ? 400 : 404, level < 0 ? "invalid" : "unknown_region",
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
    const region_t *counties[256];
    size_t county_count = 0;
    if (len >= 6) {
        county_count = 1;
    } else {
        county_count = region_under(regions, region, REGION_COUNTY, counties, 256);
        if (county_count > 256)
            county_count = 256;
    }
    char key[KEYS_MAX], county[7];
    for (size_t i = 0; i < county_count; i++) {
        if (len >= 6) {
            snprintf(county, sizeof county, "%.6s", region);
            keys_stats(key, county, day, region);
        } else {
            keys_stats(key, counties[i]->code, day, counties[i]->code);
        }
        if (rconn_append(self->query_redis, "HGETALL %s", key) != 0) {
            http_response_error(res, 503, "unavailable", NULL, "%s",
                                rconn_errstr(self->query_redis));
            return;
        }
    }
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
        redisReply *r = rconn_reply(self->query_redis);
        if (!r) {
            json_decref(out);
            http_response_error(res, 503, "unavailable", NULL, "%s",
                                rconn_errstr(self->query_redis));
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
    if (strcmp(req->path, "/v1/stats") == 0 && strcmp(req->method, "GET") == 0)
        s_stats(arg, req, res);
    else
        http_response_error(res, 404, "not_found", NULL,
                            "see GET /v1/stats?region=PREFIX&day=YYYYMMDD");
}

int aggregator_health(void *arg, char *why, size_t whylen)
{
    aggregator_t *self = arg;
    return service_health(self->service, why, whylen);
}

int aggregator_tick(aggregator_t *self)
{
    return rconn_ensure(self->redis);
}
