#include "notifier.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "argv.h"
#include "clock.h"
#include "delivery.h"
#include "inbox.h"
#include "pending.h"
#include "event.h"
#include "registry.h"
#include "hop.h"
#include "keys.h"
#include "log.h"
#include "metrics.h"
#include "rconn.h"
#include "scripts.h"
#include "courier.h"
#include "stream.h"
#include "service.h"

/* One received event: the deliveries it makes (one per matching subscription). */
typedef struct {
    const inbox_item_t *item;
    size_t count;
    const subscription_t **subs; /* of the registry */
    size_t capacity;
    char **bodies;        /* malloc'd */
    char **deliveries;    /* "<alert id>|<subscription>", malloc'd */
    delivery_t *delivery; /* what notify_accept stores (pointing into the two above) */
    bool applied;         /* notify_accept applied it (this copy is the one that counts) */
} s_accepting_t;

struct notifier {
    service_t *service;
    rconn_t *redis;
    inbox_t *inbox;
    pending_t *pending; /* counties with deliveries (pending:delivery) */
    courier_t *courier;
    s_accepting_t *batch;
    delivery_event_t *events;
    long long *outcomes;
    size_t *calls, *sizes;
    argv_t argv;
    metric_t *repeats, *waiting;
    int64_t depth_at_ms; /* when the deliveries waiting in Redis were last counted */
    bool backlog;        /* the last sweep left deliveries due */
    config_t *current;   /* the snapshot a drain or sweep works with (subscriptions reload) */
    registry_t *registry;
    int64_t directory_checked_ms; /* directory targets: asked at most once a second */
    metric_t *reloads;
};

notifier_t *notifier_new(service_t *service)
{
    const config_t *cfg = service->config;
    notifier_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->service = service;
    size_t batch = (size_t)cfg->outbox_batch;
    self->redis = service_redis_new(cfg);
    self->inbox = inbox_new(HOP_NOTIFIER, cfg);
    self->pending = pending_new("delivery", pending_grace_for(cfg->outbox_resend_after_ms));
    if (self->pending)
        pending_set_counties(self->pending, service->counties, service->county_count);
    self->courier = courier_new(cfg);
    self->batch = calloc(batch, sizeof *self->batch);
    self->events = calloc(batch, sizeof *self->events);
    self->outcomes = calloc(batch, sizeof *self->outcomes);
    self->calls = calloc(batch, sizeof *self->calls);
    self->sizes = calloc(batch, sizeof *self->sizes);
    argv_init(&self->argv);
    self->registry = registry_new();
    if (!self->registry || !self->redis || !self->inbox || !self->pending || !self->courier ||
        !self->batch || !self->events || !self->outcomes || !self->calls || !self->sizes) {
        notifier_destroy(&self);
        return NULL;
    }
    self->repeats = metrics_register(
        METRIC_COUNTER, "gridline_notifier_possible_repeats_total", NULL,
        "deliveries sent again after a lease ended with no outcome recorded (a crash between a "
        "POST and its record: the receiver may have it already; same X-Gridline-Alert-Id)");
    self->reloads = metrics_register(METRIC_COUNTER, "gridline_notifier_subscription_loads_total",
                                     NULL, "loads of the subscriptions (start, changes, SIGHUP)");
    self->waiting = metrics_register(
        METRIC_GAUGE, "gridline_notifier_deliveries_waiting", NULL,
        "deliveries in Redis not yet settled: retries, held ones (grouping, quiet hours), leased "
        "ones in flight, Alertmanager repeats (counted every 10 s)");
    return self;
}

static void s_release(s_accepting_t *a)
{
    for (size_t k = 0; k < a->count; k++) {
        free(a->bodies[k]);
        free(a->deliveries[k]);
    }
    free(a->subs);
    free(a->bodies);
    free(a->deliveries);
    free(a->delivery);
    memset(a, 0, sizeof *a);
}

void notifier_destroy(notifier_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    notifier_t *self = *self_p;
    inbox_destroy(&self->inbox);
    pending_destroy(&self->pending);
    rconn_destroy(&self->redis);
    courier_destroy(&self->courier); /* first: it settles what is in flight */
    registry_destroy(&self->registry);
    argv_fini(&self->argv);
    free(self->batch);
    free(self->events);
    free(self->outcomes);
    free(self->calls);
    free(self->sizes);
    free(self);
    *self_p = NULL;
}

void *notifier_socket(notifier_t *self)
{
    return inbox_socket(self->inbox);
}

/* Loads the subscriptions again. 0 or -1 (Redis down: the old set stays). */
static int s_load(notifier_t *self)
{
    if (registry_load(self->registry, self->current, self->service->regions, self->redis) != 0)
        return -1;
    metric_add(self->reloads, 1);
    return 0;
}

/* The subscription of a delivery "<alert id>|<subscription id>"; one another instance made since
 * this one loaded is found by loading again. NULL: there is none (deleted). */
static const subscription_t *s_subscription(notifier_t *self, const char *delivery)
{
    const char *bar = strchr(delivery, '|');
    if (!bar)
        return NULL;
    const subscription_t *sub = registry_find(self->registry, bar + 1);
    if (!sub && s_load(self) == 0)
        sub = registry_find(self->registry, bar + 1);
    return sub;
}

/* Gives a job to the courier; one its full queue refuses is due again at once in Redis (not
 * after its whole lease), for a sweep to claim when there is room. */
static void s_submit(notifier_t *self, courier_job_t *job)
{
    if (courier_submit(self->courier, job))
        return;
    char key[KEYS_MAX];
    keys_delivery(key, job->county);
    int64_t now = clock_wall_ms();
    for (size_t i = 0; i < job->count; i++)
        rconn_append_discard(self->redis, "ZADD %s XX %lld %s", key, (long long)now,
                             job->members[i]);
    courier_job_destroy(&job);
}

static void s_read_replies(notifier_t *self, int count)
{
    for (int i = 0; i < count; i++) {
        redisReply *r = rconn_reply(self->redis);
        if (!r)
            return;
        freeReplyObject(r);
    }
}

/* The deliveries of one event: an alert per matching subscription. 0, or -1 out of memory. */
static int s_prepare(notifier_t *self, const inbox_item_t *item, s_accepting_t *a)
{
    const Gridline__Event *e = item->event;
    memset(a, 0, sizeof *a);
    a->item = item;
    size_t n = registry_match(self->registry, e, &a->subs, &a->capacity);
    if (n == (size_t)-1)
        return -1;
    if (n == 0)
        return 0;
    a->bodies = calloc(n, sizeof *a->bodies);
    a->deliveries = calloc(n, sizeof *a->deliveries);
    a->delivery = calloc(n, sizeof *a->delivery);
    if (!a->bodies || !a->deliveries || !a->delivery)
        return -1;
    int64_t now = clock_wall_ms();
    for (size_t k = 0; k < n; k++) {
        const subscription_t *sub = a->subs[k];
        char *body = alert_render(e, self->service->regions, sub);
        char *delivery = NULL;
        if (!body || asprintf(&delivery, "%s|%s", item->member, sub->id) < 0) {
            free(body);
            return -1;
        }
        a->delivery[a->count] = (delivery_t){
            delivery, body, subscription_hold(sub, e->level, now, clock_tz_offset_min()),
            (int64_t)sub->group_interval_s * 1000};
        a->bodies[a->count] = body;
        a->deliveries[a->count] = delivery;
        a->count++;
    }
    return 0;
}

static int s_by_county(const void *x, const void *y)
{
    return strcmp(((const s_accepting_t *)x)->item->county,
                  ((const s_accepting_t *)y)->item->county);
}

static int s_drain(notifier_t *self);
static int s_sweep(notifier_t *self);

/* A drain or a sweep works with one snapshot of the configuration from start to end. */
int notifier_drain(notifier_t *self)
{
    self->current = service_config(self->service);
    int rc = s_drain(self);
    config_release(&self->current);
    return rc;
}

bool notifier_backlog(notifier_t *self)
{
    return self->backlog;
}

int notifier_sweep(notifier_t *self)
{
    self->current = service_config(self->service);
    int rc = s_sweep(self);
    config_release(&self->current);
    return rc;
}

/* Accepts and delivers items[0..count): the events of a county whose subscriptions changed
 * since the registry was loaded are put into stale[] (*nstale) untouched. Returns how many were
 * accepted, or -1 when Redis is down. */
static int s_accept(notifier_t *self, inbox_item_t **items, size_t count, inbox_item_t **stale,
                    size_t *nstale)
{
    const config_t *cfg = self->service->config;
    bool redis_down = false;
    int64_t now = clock_wall_ms();
    int64_t lease = now + cfg->outbox_resend_after_ms + 2 * (int64_t)cfg->notifier_timeout_ms;
    long long version = registry_version(self->registry);
    size_t prepared = 0;
    *nstale = 0;
    for (size_t i = 0; i < count; i++) {
        if (s_prepare(self, items[i], &self->batch[prepared]) != 0) {
            s_release(&self->batch[prepared]); /* its outbox entry brings it back */
            continue;
        }
        prepared++;
    }
    qsort(self->batch, prepared, sizeof *self->batch, s_by_county);
    for (size_t i = 0; i < prepared; i++) {
        const s_accepting_t *a = &self->batch[i];
        self->events[i] = (delivery_event_t){a->item->member, a->item->raw, a->item->raw_len,
                                             a->delivery, a->count};
    }
    size_t ncalls = 0;
    for (size_t from = 0; from < prepared && !redis_down;) {
        const char *county = self->batch[from].item->county;
        size_t to = from + 1, deliveries = self->batch[from].count;
        while (to < prepared && strcmp(self->batch[to].item->county, county) == 0)
            deliveries += self->batch[to++].count;
        if ((deliveries > 0 && pending_mark(self->pending, self->redis, county, now) != 0) ||
            delivery_accept_append(self->redis, &self->argv, county, lease, now, version,
                                   &self->events[from], to - from) != 0) {
            redis_down = true;
            break;
        }
        self->calls[ncalls] = from;
        self->sizes[ncalls++] = to - from;
        from = to;
    }
    int accepted = 0;
    size_t njobs = 0;
    for (size_t c = 0; c < ncalls; c++) {
        long long *outcomes = &self->outcomes[self->calls[c]];
        int rc = redis_down ? -1 : delivery_accept_read(self->redis, self->sizes[c], outcomes);
        if (rc == -1)
            redis_down = true;
        for (size_t k = 0; k < self->sizes[c]; k++) {
            s_accepting_t *a = &self->batch[self->calls[c] + k];
            if (rc == -3)
                stale[(*nstale)++] = (inbox_item_t *)a->item;
            if (rc != 0) {
                s_release(a);
                continue;
            }
            inbox_count(self->inbox, outcomes[k], 1);
            if (outcomes[k] == HOP_APPLIED) {
                a->applied = true;
                accepted++;
                njobs += a->count;
            } else {
                if (outcomes[k] != HOP_DUPLICATE)
                    log_warn("event not accepted", "member", a->item->member, "outcome",
                             hop_outcome_name(outcomes[k]), NULL);
                s_release(a); /* nothing to deliver from this copy */
            }
        }
    }
    /* The live stream: each applied event's alert once, best effort (see stream.h). */
    for (size_t i = 0; !redis_down && i < prepared; i++) {
        const s_accepting_t *a = &self->batch[i];
        if (!a->applied || !stream_carries(a->item->event->type))
            continue;
        char *alert = alert_render(a->item->event, self->service->regions, NULL);
        if (alert)
            stream_publish_append(self->redis, a->item->event, alert);
        free(alert);
    }
    /* Hand what goes now to the courier (the held ones wait in Redis for a sweep). */
    for (size_t i = 0; !redis_down && njobs && i < prepared; i++) {
        s_accepting_t *a = &self->batch[i];
        for (size_t k = 0; k < a->count; k++) {
            if (a->delivery[k].hold_ms != 0)
                continue;
            courier_job_t *job = courier_job_new(a->item->county, a->subs[k], now, lease);
            if (job && courier_job_add(job, a->deliveries[k], a->bodies[k], now) == 0)
                s_submit(self, job);
            else
                courier_job_destroy(&job);
        }
    }
    for (size_t i = 0; i < prepared; i++)
        s_release(&self->batch[i]);
    return redis_down ? -1 : accepted;
}

static int s_drain(notifier_t *self)
{
    /* batch sizes and timings as started; the subscriptions of self->current */
    const config_t *cfg = self->service->config;
    bool redis_down = rconn_ensure(self->redis) != 0;
    inbox_item_t *items = NULL;
    size_t count = inbox_take(self->inbox, redis_down, (size_t)cfg->outbox_batch, &items);
    if (redis_down)
        return -1;
    if (count == 0)
        return 0;
    if (!registry_current(self->registry, self->current) && s_load(self) != 0)
        return -1; /* the events' outbox entries bring them back */
    int64_t now = clock_wall_ms();
    if (now - self->directory_checked_ms >= 1000) {
        self->directory_checked_ms = now;
        if (registry_directory_moved(self->registry, self->redis) && s_load(self) != 0)
            return -1;
    }
    inbox_item_t **todo = calloc(count, sizeof *todo), **stale = calloc(count, sizeof *stale);
    if (!todo || !stale) {
        free(todo);
        free(stale);
        return -1;
    }
    for (size_t i = 0; i < count; i++)
        todo[i] = &items[i];
    int accepted = 0;
    size_t ntodo = count;
    /* a subscription changed since the set was loaded: load it and match those events again
     * (twice at most here; what is left comes back with its outbox entry) */
    for (int attempt = 0; ntodo > 0 && attempt < 3; attempt++) {
        size_t nstale = 0;
        int rc = s_accept(self, todo, ntodo, stale, &nstale);
        if (rc < 0) {
            accepted = -1;
            break;
        }
        accepted += rc;
        memcpy(todo, stale, nstale * sizeof *todo);
        ntodo = nstale;
        if (ntodo > 0 && s_load(self) != 0)
            break;
    }
    free(todo);
    free(stale);
    return accepted;
}

/* The jobs of one county's claim: one per delivery, or one per subscription that groups (up to
 * notifier.group_max alerts each); deliveries of subscriptions gone are forgotten. */
static void s_dispatch_claim(notifier_t *self, const char *county, const redisReply *r,
                             int64_t lease)
{
    const config_t *cfg = self->service->config;
    size_t n = (r->elements - 1) / 4;
    courier_job_t **open = calloc(n ? n : 1, sizeof *open); /* by claim position: a group's */
    delivery_settle_t *drops = calloc(n ? n : 1, sizeof *drops);
    size_t ndrops = 0;
    if (!open || !drops) {
        free(open);
        free(drops);
        return; /* the leases bring them back */
    }
    for (size_t k = 0; k < n; k++) {
        const redisReply *const *e = (const redisReply *const *)&r->element[1 + 4 * k];
        const char *member = e[0]->str, *body = e[1]->str;
        int64_t first = e[2]->type == REDIS_REPLY_STRING ? atoll(e[2]->str) : e[2]->integer;
        if (e[3]->type == REDIS_REPLY_INTEGER && e[3]->integer == 1)
            metric_add(self->repeats, 1);
        const subscription_t *sub = s_subscription(self, member);
        if (!sub) {
            log_warn("dropped a delivery of a subscription that is gone", "delivery", member, NULL);
            drops[ndrops++] = (delivery_settle_t){member, DELIVERY_DROP, 0};
            continue;
        }
        bool groups =
            sub->group_wait_s > 0 || sub->group_interval_s > 0 || sub->quiet_from_min >= 0;
        courier_job_t *job = NULL;
        for (size_t j = 0; groups && j < k && !job; j++)
            if (open[j] && strcmp(open[j]->subscription, sub->id) == 0 &&
                open[j]->count < (size_t)cfg->notifier_group_max)
                job = open[j];
        if (!job) {
            job = courier_job_new(county, sub, first, lease);
            open[k] = job;
        }
        if (!job || courier_job_add(job, member, body, first) != 0)
            continue; /* its lease brings it back */
    }
    for (size_t k = 0; k < n; k++)
        if (open[k])
            s_submit(self, open[k]);
    if (ndrops && delivery_settle_append(self->redis, &self->argv, county, clock_wall_ms(), 0, 0, 0,
                                         0, drops, ndrops) == 0)
        s_read_replies(self, 1);
    free(open);
    free(drops);
}

static int s_sweep(notifier_t *self)
{
    const config_t *cfg = self->service->config;
    pending_list_t list;
    int64_t now = clock_wall_ms();
    if (!registry_current(self->registry, self->current) && s_load(self) != 0)
        return -1;
    /* a busy courier is not given more: the deliveries wait in Redis */
    size_t load = courier_load(self->courier), busy = 2 * (size_t)cfg->notifier_max_in_flight;
    self->backlog = false;
    if (load >= busy)
        return 0;
    if (pending_list(self->pending, self->redis, now, &list) != 0)
        return -1;
    int64_t lease = now + cfg->outbox_resend_after_ms + 2 * (int64_t)cfg->notifier_timeout_ms;
    size_t nc = list.count, appended = 0;
    /* Claim no more than the courier has room for (busy - load, shared by the counties, at
     * least one each): a job its queue refuses stays leased, unsent, for a whole lease
     * (resend_after + 2 x timeout: 11 s by default) before a sweep may claim it again. */
    size_t share = nc ? (busy - load) / nc : 0;
    int limit = share < 1 ? 1 : share > (size_t)cfg->outbox_batch ? cfg->outbox_batch : (int)share;
    for (size_t i = 0; i < nc; i++) {
        if (delivery_claim_append(self->redis, list.counties[i], now, lease, limit,
                                  pending_wants_count(self->pending, &list, i, now)) != 0)
            break;
        appended++;
    }
    redisReply **claims = calloc(nc ? nc : 1, sizeof *claims);
    for (size_t i = 0; i < appended; i++) {
        redisReply *r = rconn_reply(self->redis);
        if (claims)
            claims[i] = r;
        else if (r)
            freeReplyObject(r);
    }
    int claimed = 0;
    for (size_t i = 0; claims && i < appended; i++) {
        redisReply *r = claims[i];
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 1)
            continue;
        list.empty[i] = r->element[0]->integer == 0;
        claimed += (int)((r->elements - 1) / 4);
        if ((r->elements - 1) / 4 >= (size_t)limit)
            self->backlog = true; /* it gave all it was asked for: more may be due */
        s_dispatch_claim(self, list.counties[i], r, lease);
    }
    if (now - self->depth_at_ms >= 10000) {
        /* the retry queue's depth: one ZCARD per county the index names */
        self->depth_at_ms = now;
        size_t asked = 0;
        long long depth = 0;
        for (size_t i = 0; i < nc; i++) {
            char key[KEYS_MAX];
            keys_delivery(key, list.counties[i]);
            if (rconn_append(self->redis, "ZCARD %s", key) != 0)
                break;
            asked++;
        }
        for (size_t i = 0; i < asked; i++) {
            redisReply *r = rconn_reply(self->redis);
            if (r && r->type == REDIS_REPLY_INTEGER)
                depth += r->integer;
            if (r)
                freeReplyObject(r);
        }
        if (asked == nc)
            metric_set(self->waiting, depth);
    }
    pending_forget(self->pending, self->redis, &list, now);
    for (size_t i = 0; claims && i < appended; i++)
        if (claims[i])
            freeReplyObject(claims[i]);
    free(claims);
    pending_list_free(&list);
    return appended < nc ? -1 : claimed;
}
