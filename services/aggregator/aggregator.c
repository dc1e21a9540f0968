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
#include "counts.h"
#include "stats.h"
#include "tally.h"

/* Events per stats_apply call at most: a call's arguments stay in the thousands. */
#define S_CALL_EVENTS 128

typedef struct {
    const inbox_item_t *item;
    tally_t tally;
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
    int64_t metrics_at_ms; /* when the county gauges of /metrics were last read (mono) */
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
        if (tally_event(items[i].event, &c->tally) != 0) {
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
        self->events[i] = (tally_event_t){
            self->batch[i].item->member, self->batch[i].item->raw, self->batch[i].item->raw_len,
            self->batch[i].item->event->appeal_id, &self->batch[i].tally};
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
    bool get = strcmp(req->method, "GET") == 0;
    const region_table_t *regions = self->service->regions;
    if (get && strcmp(req->path, "/v1/stats") == 0) {
        stats_get(regions, redis, req, res);
    } else if (get && strcmp(req->path, "/v1/stats.csv") == 0) {
        stats_csv(regions, redis, req, res);
    } else if (get && (strcmp(req->path, "/v1/rankings") == 0 ||
                       strcmp(req->path, "/v1/rankings.csv") == 0)) {
        config_t *cfg = service_config(self->service);
        stats_rankings(cfg, regions, redis, req, res, strcmp(req->path, "/v1/rankings.csv") == 0);
        config_release(&cfg);
    } else {
        http_response_error(res, 404, "not_found", NULL,
                            "see GET /v1/stats, /v1/stats.csv, /v1/rankings, /v1/rankings.csv");
    }
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

/* How often the county gauges shown on /metrics are read again. */
#define S_METRICS_EVERY_MS 5000

int aggregator_tick(aggregator_t *self)
{
    if (rconn_ensure(self->redis) != 0)
        return -1;
    int64_t now = clock_mono_ms();
    if (now - self->metrics_at_ms >= S_METRICS_EVERY_MS) {
        self->metrics_at_ms = now;
        char *text = counts_metrics(self->redis, self->service->regions, clock_wall_ms());
        if (text)
            metrics_set_extra(text);
        free(text);
    }
    return 0;
}
