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
#include "service.h"
#include "webhook.h"

/* One received event: the deliveries it makes (one per matching subscription). */
typedef struct {
    const inbox_item_t *item;
    size_t count;
    const subscription_t **subs; /* of the registry */
    size_t capacity;
    char **bodies;     /* malloc'd */
    char **deliveries; /* "<alert id>|<subscription>", malloc'd */
} s_accepting_t;

struct notifier {
    service_t *service;
    rconn_t *redis;
    inbox_t *inbox;
    pending_t *pending; /* counties with deliveries (pending:delivery) */
    webhook_t *webhook;
    s_accepting_t *batch;
    delivery_event_t *events;
    long long *outcomes;
    size_t *calls, *sizes;
    argv_t argv;
    metric_t *delivered, *failed;
    config_t *current; /* the snapshot a drain or sweep works with (subscriptions reload) */
    registry_t *registry;
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
    self->webhook = webhook_new(cfg->notifier_timeout_ms);
    self->batch = calloc(batch, sizeof *self->batch);
    self->events = calloc(batch, sizeof *self->events);
    self->outcomes = calloc(batch, sizeof *self->outcomes);
    self->calls = calloc(batch, sizeof *self->calls);
    self->sizes = calloc(batch, sizeof *self->sizes);
    argv_init(&self->argv);
    self->registry = registry_new();
    if (!self->registry || !self->redis || !self->inbox || !self->pending || !self->webhook ||
        !self->batch || !self->events || !self->outcomes || !self->calls || !self->sizes) {
        notifier_destroy(&self);
        return NULL;
    }
    const char *name = "gridline_notifier_deliveries_total", *help = "webhook POSTs by outcome";
    self->delivered = metrics_register(METRIC_COUNTER, name, "result=\"delivered\"", help);
    self->failed = metrics_register(METRIC_COUNTER, name, "result=\"failed\"", help);
    self->reloads = metrics_register(METRIC_COUNTER, "gridline_notifier_subscription_loads_total",
                                     NULL, "loads of the subscriptions (start, changes, SIGHUP)");
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
    webhook_destroy(&self->webhook);
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

/* One delivery to make: an alert for one subscription. */
typedef struct {
    const char *county;
    const char *delivery; /* "<alert id>|<subscription>" */
    const subscription_t *subscription;
    const char *body;
} s_job_t;

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

/* After a POST: forget it, or put it back for a retry. Pipelined; replies read by caller. */
static int s_settle(notifier_t *self, const char *county, const char *delivery, bool ok,
                    int64_t now)
{
    if (ok)
        return delivery_done_append(self->redis, county, delivery);
    return delivery_retry_append(self->redis, county, delivery,
                                 now + self->service->config->outbox_resend_after_ms);
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

/* POSTs every job at once, then forgets the delivered ones and reschedules the others, in
 * one pipelined round trip. Returns how many were delivered. */
static int s_deliver(notifier_t *self, const s_job_t *jobs, size_t count)
{
    if (count == 0)
        return 0;
    webhook_post_t *posts = calloc(count, sizeof *posts);
    char(*ids)[KEYS_ID_MAX + 16] = calloc(count, sizeof *ids);
    if (!posts || !ids) {
        free(posts);
        free(ids);
        return 0; /* the deliveries stay leased in Redis and come back */
    }
    for (size_t i = 0; i < count; i++) {
        snprintf(ids[i], sizeof ids[i], "%.*s", (int)strcspn(jobs[i].delivery, "|"),
                 jobs[i].delivery);
        posts[i].url = jobs[i].subscription->url;
        posts[i].body = jobs[i].body;
        posts[i].alert_id = ids[i];
        posts[i].subscription = jobs[i].subscription->id;
    }
    webhook_post_all(self->webhook, posts, count);
    int delivered = 0, settles = 0;
    int64_t now = clock_wall_ms();
    for (size_t i = 0; i < count; i++) {
        if (posts[i].ok) {
            delivered++;
            metric_add(self->delivered, 1);
        } else {
            metric_add(self->failed, 1);
            log_warn("alert delivery failed, will retry", "delivery", jobs[i].delivery, "url",
                     posts[i].url, "error", posts[i].error, NULL);
        }
        if (s_settle(self, jobs[i].county, jobs[i].delivery, posts[i].ok, now) == 0)
            settles++;
    }
    s_read_replies(self, settles);
    free(posts);
    free(ids);
    return delivered;
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
    if (!a->bodies || !a->deliveries)
        return -1;
    for (size_t k = 0; k < n; k++) {
        const subscription_t *sub = a->subs[k];
        char *body = alert_render(e, self->service->regions, sub);
        char *delivery = NULL;
        if (!body || asprintf(&delivery, "%s|%s", item->member, sub->id) < 0) {
            free(body);
            return -1;
        }
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
                                             a->deliveries,   a->bodies,    a->count};
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
    /* Deliver what was accepted: all POSTs at once, then all settles in one round trip. */
    s_job_t *jobs = njobs && !redis_down ? calloc(njobs, sizeof *jobs) : NULL;
    size_t j = 0;
    for (size_t i = 0; jobs && i < prepared; i++) {
        s_accepting_t *a = &self->batch[i];
        for (size_t k = 0; k < a->count; k++)
            jobs[j++] = (s_job_t){a->item->county, a->deliveries[k], a->subs[k], a->bodies[k]};
    }
    s_deliver(self, jobs, j);
    free(jobs);
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

static int s_sweep(notifier_t *self)
{
    const config_t *cfg = self->service->config;
    pending_list_t list;
    int64_t now = clock_wall_ms();
    if (!registry_current(self->registry, self->current) && s_load(self) != 0)
        return -1;
    if (pending_list(self->pending, self->redis, now, &list) != 0)
        return -1;
    int64_t lease = now + cfg->outbox_resend_after_ms + 2 * (int64_t)cfg->notifier_timeout_ms;
    size_t nc = list.count, appended = 0;
    for (size_t i = 0; i < nc; i++) {
        if (delivery_claim_append(self->redis, list.counties[i], now, lease, cfg->outbox_batch,
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
    size_t njobs = 0;
    for (size_t i = 0; claims && i < appended; i++)
        if (claims[i] && claims[i]->type == REDIS_REPLY_ARRAY && claims[i]->elements >= 1)
            njobs += claims[i]->elements / 2;
    s_job_t *jobs = njobs ? calloc(njobs, sizeof *jobs) : NULL;
    size_t n = 0, dropped = 0;
    for (size_t i = 0; claims && i < appended; i++) {
        redisReply *r = claims[i];
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 1)
            continue;
        const char *county = list.counties[i];
        list.empty[i] = r->element[0]->integer == 0;
        for (size_t k = 1; jobs && k + 1 < r->elements; k += 2) {
            const char *delivery = r->element[k]->str;
            const subscription_t *sub = s_subscription(self, delivery);
            if (!sub) {
                /* a subscription no longer configured: nothing to retry */
                log_warn("dropped a delivery for a subscription no longer configured", "delivery",
                         delivery, NULL);
                if (s_settle(self, county, delivery, true, now) == 0)
                    dropped++;
                continue;
            }
            jobs[n++] = (s_job_t){county, delivery, sub, r->element[k + 1]->str};
        }
    }
    s_read_replies(self, (int)dropped);
    s_deliver(self, jobs, n);
    pending_forget(self->pending, self->redis, &list, now);
    free(jobs);
    for (size_t i = 0; claims && i < appended; i++)
        if (claims[i])
            freeReplyObject(claims[i]);
    free(claims);
    pending_list_free(&list);
    return appended < nc ? -1 : (int)n;
}
