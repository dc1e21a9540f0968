#include "router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "event.h"
#include "keys.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"
#include "rconn.h"
#include "routing.h"
#include "scripts.h"
#include "zsock.h"

struct router {
    service_t *service;
    rconn_t *redis;
    void *inbox;
    void *to_notifier;
    void *to_aggregator;
    struct s_pending *pending; /* outbox.batch slots, reused by every drain */
    metric_t *assigned, *duplicate, *stale, *malformed, *deferred, *resent;
};

/* One event of a batch between the pipelined apply and its reply. */
typedef struct s_pending {
    char id[KEYS_ID_MAX];
    uint8_t *blob; /* the assigned event, packed */
    size_t len;
} s_pending_t;

router_t *router_new(service_t *service)
{
    const config_t *cfg = service->config;
    router_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->service = service;
    self->redis =
        rconn_new(cfg->redis_host, cfg->redis_port, cfg->redis_password, cfg->redis_timeout_ms);
    self->inbox = zsock_pull_new(cfg->router_endpoint);
    self->to_notifier = zsock_push_new(cfg->notifier_endpoint);
    self->to_aggregator = zsock_push_new(cfg->aggregator_endpoint);
    self->pending = calloc((size_t)cfg->outbox_batch, sizeof *self->pending);
    if (!self->redis || !self->inbox || !self->to_notifier || !self->to_aggregator ||
        !self->pending) {
        router_destroy(&self);
        return NULL;
    }
    rconn_set_scripts(self->redis, scripts_all);
    const char *name = "gridline_router_events_total", *help = "events received, by outcome";
    self->assigned = metrics_register(METRIC_COUNTER, name, "result=\"assigned\"", help);
    self->duplicate = metrics_register(METRIC_COUNTER, name, "result=\"duplicate\"", help);
    self->stale = metrics_register(METRIC_COUNTER, name, "result=\"stale\"", help);
    self->malformed = metrics_register(METRIC_COUNTER, name, "result=\"malformed\"", help);
    self->deferred = metrics_register(METRIC_COUNTER, "gridline_send_deferred_total", NULL,
                                      "events left to the outbox sweeper: no receiver ready");
    self->resent = metrics_register(METRIC_COUNTER, "gridline_outbox_resent_total", NULL,
                                    "outbox entries sent again by the sweeper");
    return self;
}

void router_destroy(router_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    router_t *self = *self_p;
    zsock_destroy(&self->inbox);
    zsock_destroy(&self->to_notifier);
    zsock_destroy(&self->to_aggregator);
    rconn_destroy(&self->redis);
    free(self->pending);
    free(self);
    *self_p = NULL;
}

void *router_socket(router_t *self)
{
    return self->inbox;
}

static void s_forward(router_t *self, const uint8_t *blob, size_t len)
{
    const char *sender = self->service->instance;
    if (outbox_send_event(self->to_notifier, "notifier", sender, blob, len) != 0)
        metric_add(self->deferred, 1);
    if (outbox_send_event(self->to_aggregator, "aggregator", sender, blob, len) != 0)
        metric_add(self->deferred, 1);
}

/* Builds the assigned event for a collected one and appends its appeal_advance to the
 * pipeline. 0 appended; -1 the event is not for the router (dropped, counted). */
static int s_append_assign(router_t *self, const Gridline__Event *in, s_pending_t *pending)
{
    const config_t *cfg = self->service->config;
    char county[7];
    if (in->type != GRIDLINE__EVENT_TYPE__EVENT_COLLECTED ||
        keys_county_of_id(in->appeal_id, county) != 0 ||
        snprintf(pending->id, sizeof pending->id, "%s", in->appeal_id) >= KEYS_ID_MAX) {
        log_warn("router ignores an event it has no rule for", "id", in->appeal_id, "type",
                 event_type_name(in->type), NULL);
        return -1;
    }
    routing_decision_t route;
    if (routing_decide(cfg, in->category, in->region, &route) != 0) {
        /* intake checked the category against the same configuration: a mismatch means the
         * two run with different configs. Route to the general office rather than stall. */
        log_warn("unknown category, routed to the grid worker", "id", in->appeal_id, "category",
                 in->category, NULL);
        route.department = "general-office";
        snprintf(route.fallback, sizeof route.fallback, "grid-worker:%s", in->region);
        route.assignee = route.fallback;
    }
    int64_t now = clock_wall_ms();
    int64_t deadline = now + (int64_t)cfg->ladder_green_s * 1000;
    char reason[160];
    snprintf(reason, sizeof reason, "category %s -> department %s", in->category, route.department);
    Gridline__Event out = GRIDLINE__EVENT__INIT;
    out.appeal_id = in->appeal_id;
    out.seq = in->seq + 1;
    out.type = GRIDLINE__EVENT_TYPE__EVENT_ASSIGNED;
    out.level = GRIDLINE__LEVEL__LEVEL_GREEN;
    out.assignee = (char *)route.assignee;
    out.actor = "router";
    out.at_ms = now;
    out.reason = reason;
    out.region = in->region;
    out.channel = in->channel;
    out.category = in->category;
    out.department = (char *)route.department;
    out.deadline_ms = deadline;
    pending->blob = event_pack(&out, &pending->len);
    if (!pending->blob)
        return -1;

    char akey[KEYS_MAX], ekey[KEYS_MAX], from[KEYS_MAX], dkey[KEYS_MAX], to_notifier[KEYS_MAX],
        to_aggregator[KEYS_MAX], member[KEYS_MAX], expected[16], resend_at[24], due[24], at[24];
    keys_appeal(akey, county, in->appeal_id);
    keys_events(ekey, county, in->appeal_id);
    keys_outbox(from, county, "router");
    keys_deadline(dkey, county);
    keys_outbox(to_notifier, county, "notifier");
    keys_outbox(to_aggregator, county, "aggregator");
    snprintf(member, sizeof member, "%s:%u", in->appeal_id, in->seq);
    snprintf(expected, sizeof expected, "%u", in->seq);
    snprintf(resend_at, sizeof resend_at, "%lld", (long long)(now + cfg->outbox_resend_after_ms));
    snprintf(due, sizeof due, "%lld", (long long)deadline);
    snprintf(at, sizeof at, "%lld", (long long)now);
    const char *args[] = {akey,
                          ekey,
                          from,
                          dkey,
                          to_notifier,
                          to_aggregator,
                          in->appeal_id,
                          member,
                          expected,
                          (const char *)pending->blob,
                          resend_at,
                          due,
                          "status",
                          "assigned",
                          "level",
                          "green",
                          "assignee",
                          route.assignee,
                          "department",
                          route.department,
                          "deadline_ms",
                          due,
                          "assigned_at_ms",
                          at};
    enum { BLOB = 9 }; /* the packed event: binary, not a C string */
    size_t lens[sizeof args / sizeof args[0]];
    for (size_t i = 0; i < sizeof args / sizeof args[0]; i++)
        lens[i] = i == BLOB ? pending->len : strlen(args[i]);
    return rconn_append_eval(self->redis, &scripts_appeal_advance, 6,
                             (int)(sizeof args / sizeof args[0]), args, lens) == 0
               ? 0
               : -2;
}

int router_drain(router_t *self)
{
    const config_t *cfg = self->service->config;
    int batch = cfg->outbox_batch;
    s_pending_t *pending = self->pending;
    int count = 0, applied = 0;
    bool redis_down = rconn_ensure(self->redis) != 0;
    while (count < batch) {
        Gridline__Envelope *env = NULL;
        event_recv_t got = event_envelope_recv(self->inbox, redis_down, &env);
        if (got == EVENT_RECV_NONE)
            break;
        if (got == EVENT_RECV_DROPPED) {
            metric_add(self->malformed, redis_down ? 0 : 1);
            continue;
        }
        int rc = s_append_assign(self, env->event, &pending[count]);
        event_envelope_free(&env);
        if (rc == -1) {
            metric_add(self->malformed, 1);
            free(pending[count].blob);
            pending[count].blob = NULL;
        } else if (rc == -2) {
            free(pending[count].blob);
            pending[count].blob = NULL;
            redis_down = true;
        } else {
            count++;
        }
    }
    for (int i = 0; i < count; i++) {
        redisReply *r = redis_down ? NULL : rconn_reply(self->redis);
        if (!r) {
            redis_down = true;
        } else if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
            long long outcome = r->element[0]->integer;
            if (outcome == 1) {
                applied++;
                metric_add(self->assigned, 1);
                s_forward(self, pending[i].blob, pending[i].len);
            } else if (outcome == 0) {
                metric_add(self->duplicate, 1);
            } else {
                metric_add(self->stale, 1);
                log_warn("event does not fit the appeal's state", "id", pending[i].id, "seq",
                         outcome == -2 ? "no such appeal" : "appeal moved on", NULL);
            }
        } else {
            log_error("appeal_advance failed", "id", pending[i].id, "error",
                      r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply", NULL);
        }
        if (r)
            freeReplyObject(r);
        free(pending[i].blob);
        pending[i].blob = NULL; /* the slot is reused by the next drain */
    }
    return redis_down ? -1 : applied;
}

static void s_resend(void *arg, const char *hop, const char *member, const uint8_t *blob,
                     size_t len)
{
    router_t *self = arg;
    void *sock = strcmp(hop, "notifier") == 0 ? self->to_notifier : self->to_aggregator;
    if (outbox_send_event(sock, hop, self->service->instance, blob, len) == 0)
        metric_add(self->resent, 1);
    else
        metric_add(self->deferred, 1);
}

int router_sweep(router_t *self)
{
    const service_t *svc = self->service;
    const config_t *cfg = svc->config;
    int64_t now = clock_wall_ms();
    int total = 0;
    static const char *hops[] = {"notifier", "aggregator"};
    for (int i = 0; i < 2; i++) {
        int n = outbox_sweep(self->redis, svc->counties, svc->county_count, hops[i], now,
                             cfg->outbox_resend_after_ms, cfg->outbox_batch, s_resend, self);
        if (n < 0)
            return -1;
        total += n;
    }
    return total;
}
