#include "notifier.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "clock.h"
#include "event.h"
#include "keys.h"
#include "log.h"
#include "metrics.h"
#include "rconn.h"
#include "scripts.h"
#include "webhook.h"
#include "zsock.h"

#define S_MAX_SUBS 32

typedef struct {
    char county[7];
    char member[KEYS_ID_MAX + 16];
    size_t count;
    size_t subs[S_MAX_SUBS];
    char *bodies[S_MAX_SUBS];
    char deliveries[S_MAX_SUBS][KEYS_ID_MAX + 96];
} s_accepting_t;

struct notifier {
    service_t *service;
    rconn_t *redis;
    void *inbox;
    webhook_t *webhook;
    s_accepting_t *batch;
    metric_t *accepted, *duplicate, *malformed, *delivered, *failed;
};

notifier_t *notifier_new(service_t *service)
{
    const config_t *cfg = service->config;
    notifier_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->service = service;
    self->redis =
        rconn_new(cfg->redis_host, cfg->redis_port, cfg->redis_password, cfg->redis_timeout_ms);
    self->inbox = zsock_pull_new(cfg->notifier_endpoint);
    self->webhook = webhook_new(cfg->notifier_timeout_ms);
    self->batch = calloc((size_t)cfg->outbox_batch, sizeof *self->batch);
    if (!self->redis || !self->inbox || !self->webhook || !self->batch) {
        notifier_destroy(&self);
        return NULL;
    }
    rconn_set_scripts(self->redis, scripts_all);
    const char *name = "gridline_notifier_events_total", *help = "events received, by outcome";
    self->accepted = metrics_register(METRIC_COUNTER, name, "result=\"accepted\"", help);
    self->duplicate = metrics_register(METRIC_COUNTER, name, "result=\"duplicate\"", help);
    self->malformed = metrics_register(METRIC_COUNTER, name, "result=\"malformed\"", help);
    name = "gridline_notifier_deliveries_total";
    help = "webhook POSTs by outcome";
    self->delivered = metrics_register(METRIC_COUNTER, name, "result=\"delivered\"", help);
    self->failed = metrics_register(METRIC_COUNTER, name, "result=\"failed\"", help);
    return self;
}

void notifier_destroy(notifier_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    notifier_t *self = *self_p;
    zsock_destroy(&self->inbox);
    rconn_destroy(&self->redis);
    webhook_destroy(&self->webhook);
    free(self->batch);
    free(self);
    *self_p = NULL;
}

void *notifier_socket(notifier_t *self)
{
    return self->inbox;
}

/* One delivery to make: an alert for one subscription. */
typedef struct {
    const char *county;
    const char *delivery; /* "<alert id>|<subscription>" */
    const config_subscription_t *subscription;
    const char *body;
} s_job_t;

static const config_subscription_t *s_subscription(notifier_t *self, const char *delivery)
{
    const char *bar = strchr(delivery, '|');
    const config_t *cfg = self->service->config;
    for (size_t i = 0; bar && i < cfg->subscription_count; i++)
        if (strcmp(cfg->subscriptions[i].name, bar + 1) == 0)
            return &cfg->subscriptions[i];
    return NULL;
}

/* After a POST: forget it, or put it back for a retry. Pipelined; replies read by caller. */
static int s_settle(notifier_t *self, const char *county, const char *delivery, bool ok,
                    int64_t now)
{
    char key[KEYS_MAX], body_key[KEYS_MAX];
    keys_delivery(key, county);
    keys_delivery_body(body_key, county);
    if (ok) {
        const char *args[] = {key, body_key, delivery};
        return rconn_append_eval(self->redis, &scripts_delivery_done, 2, 3, args, NULL);
    }
    return rconn_append(self->redis, "ZADD %s XX %lld %s", key,
                        (long long)(now + self->service->config->outbox_resend_after_ms), delivery);
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
        posts[i].subscription = jobs[i].subscription->name;
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

static void s_release(s_accepting_t *a)
{
    for (size_t k = 0; k < a->count; k++) {
        free(a->bodies[k]);
        a->bodies[k] = NULL;
    }
    a->count = 0;
}

int notifier_drain(notifier_t *self)
{
    const config_t *cfg = self->service->config;
    size_t count = 0;
    bool redis_down = rconn_ensure(self->redis) != 0;
    int64_t now = clock_wall_ms();
    char lease[24];
    snprintf(lease, sizeof lease, "%lld",
             (long long)(now + cfg->outbox_resend_after_ms + 2 * cfg->notifier_timeout_ms));
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
        s_accepting_t *a = &self->batch[count];
        a->count = 0;
        if (keys_county_of_id(e->appeal_id, a->county) != 0) {
            metric_add(self->malformed, 1);
            event_envelope_free(&env);
            continue;
        }
        snprintf(a->member, sizeof a->member, "%s:%u", e->appeal_id, e->seq);
        if (alert_worthy(e)) {
            size_t subs[S_MAX_SUBS];
            size_t n = alert_match(cfg, e->region, subs, S_MAX_SUBS);
            for (size_t k = 0; k < n; k++) {
                const config_subscription_t *sub = &cfg->subscriptions[subs[k]];
                char *body = alert_render(e, self->service->regions, sub);
                if (!body)
                    continue;
                a->subs[a->count] = subs[k];
                a->bodies[a->count] = body;
                snprintf(a->deliveries[a->count], sizeof a->deliveries[0], "%s|%s", a->member,
                         sub->name);
                a->count++;
            }
        }
        event_envelope_free(&env);
        char key[KEYS_MAX], dkey[KEYS_MAX], bkey[KEYS_MAX];
        keys_outbox(key, a->county, "notifier");
        keys_delivery(dkey, a->county);
        keys_delivery_body(bkey, a->county);
        const char *args[5 + 2 * S_MAX_SUBS] = {key, dkey, bkey, a->member, lease};
        int n = 5;
        for (size_t k = 0; k < a->count; k++) {
            args[n++] = a->deliveries[k];
            args[n++] = a->bodies[k];
        }
        if (rconn_append_eval(self->redis, &scripts_notify_accept, 3, n, args, NULL) != 0) {
            s_release(a);
            redis_down = true;
            continue;
        }
        count++;
    }
    int accepted = 0;
    for (size_t i = 0; i < count; i++) {
        s_accepting_t *a = &self->batch[i];
        redisReply *r = redis_down ? NULL : rconn_reply(self->redis);
        if (!r) {
            redis_down = true;
        } else if (r->type == REDIS_REPLY_INTEGER && r->integer == 1) {
            accepted++;
            metric_add(self->accepted, 1);
        } else {
            if (r->type == REDIS_REPLY_ERROR)
                log_error("notify_accept failed", "error", r->str, NULL);
            else
                metric_add(self->duplicate, 1);
            s_release(a); /* nothing to deliver from this copy */
        }
        if (r)
            freeReplyObject(r);
    }
    /* Deliver what was accepted: all POSTs at once, then all settles in one round trip. */
    size_t njobs = 0;
    for (size_t i = 0; i < count && !redis_down; i++)
        njobs += self->batch[i].count;
    s_job_t *jobs = njobs ? calloc(njobs, sizeof *jobs) : NULL;
    size_t j = 0;
    for (size_t i = 0; jobs && i < count; i++) {
        s_accepting_t *a = &self->batch[i];
        for (size_t k = 0; k < a->count; k++)
            jobs[j++] = (s_job_t){a->county, a->deliveries[k], &cfg->subscriptions[a->subs[k]],
                                  a->bodies[k]};
    }
    s_deliver(self, jobs, j);
    free(jobs);
    for (size_t i = 0; i < count; i++)
        s_release(&self->batch[i]);
    return redis_down ? -1 : accepted;
}

int notifier_sweep(notifier_t *self)
{
    const service_t *svc = self->service;
    const config_t *cfg = svc->config;
    if (rconn_ensure(self->redis) != 0)
        return -1;
    int64_t now = clock_wall_ms();
    char now_s[24], lease[24], limit[16], key[KEYS_MAX], bkey[KEYS_MAX];
    snprintf(now_s, sizeof now_s, "%lld", (long long)now);
    snprintf(lease, sizeof lease, "%lld",
             (long long)(now + cfg->outbox_resend_after_ms + 2 * cfg->notifier_timeout_ms));
    snprintf(limit, sizeof limit, "%d", cfg->outbox_batch);
    for (size_t i = 0; i < svc->county_count; i++) {
        keys_delivery(key, svc->counties[i]);
        keys_delivery_body(bkey, svc->counties[i]);
        const char *args[] = {key, bkey, now_s, lease, limit};
        if (rconn_append_eval(self->redis, &scripts_delivery_claim, 2, 5, args, NULL) != 0)
            return -1;
    }
    redisReply **claims = calloc(svc->county_count, sizeof *claims);
    if (!claims)
        return -1;
    for (size_t i = 0; i < svc->county_count; i++)
        claims[i] = rconn_reply(self->redis);
    size_t njobs = 0;
    for (size_t i = 0; i < svc->county_count; i++)
        if (claims[i] && claims[i]->type == REDIS_REPLY_ARRAY)
            njobs += claims[i]->elements / 2;
    s_job_t *jobs = njobs ? calloc(njobs, sizeof *jobs) : NULL;
    size_t n = 0, dropped = 0;
    for (size_t i = 0; jobs && i < svc->county_count; i++) {
        redisReply *r = claims[i];
        for (size_t k = 0; r && r->type == REDIS_REPLY_ARRAY && k + 1 < r->elements; k += 2) {
            const char *delivery = r->element[k]->str;
            const config_subscription_t *sub = s_subscription(self, delivery);
            if (!sub) {
                /* a subscription no longer configured: nothing to retry */
                log_warn("dropped a delivery for a subscription no longer configured", "delivery",
                         delivery, NULL);
                if (s_settle(self, svc->counties[i], delivery, true, now) == 0)
                    dropped++;
                continue;
            }
            jobs[n++] = (s_job_t){svc->counties[i], delivery, sub, r->element[k + 1]->str};
        }
    }
    s_read_replies(self, (int)dropped);
    s_deliver(self, jobs, n);
    free(jobs);
    for (size_t i = 0; i < svc->county_count; i++)
        if (claims[i])
            freeReplyObject(claims[i]);
    free(claims);
    return (int)n;
}
