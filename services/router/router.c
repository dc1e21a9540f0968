#include "router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appeal.h"
#include "argv.h"
#include "clock.h"
#include "event.h"
#include "inbox.h"
#include "keys.h"
#include "log.h"
#include "outbox.h"
#include "rconn.h"
#include "routing.h"
#include "scripts.h"
#include "service.h"

enum { S_TO_NOTIFIER, S_TO_AGGREGATOR, S_OUTBOXES };

/* One assignment of a batch: the decision, its packed event, the hash fields it sets. */
typedef struct {
    const inbox_item_t *item;
    routing_decision_t route;
    char reason[160];
    char deadline[24], assigned_at[24];
    const char *fields[12];
    uint8_t *event;
    size_t event_len;
} s_assignment_t;

struct router {
    service_t *service;
    rconn_t *redis;
    inbox_t *inbox;
    outbox_t *outboxes[S_OUTBOXES];
    argv_t argv;
    s_assignment_t *assignments; /* outbox.batch slots, reused by every drain */
    appeal_change_t *changes;
    long long *outcomes;
    size_t *order;         /* indices of assignments, sorted by county */
    size_t *calls, *sizes; /* per county call of a drain: first change, number of changes */
};

router_t *router_new(service_t *service)
{
    const config_t *cfg = service->config;
    router_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->service = service;
    size_t batch = (size_t)cfg->outbox_batch;
    self->redis = service_redis_new(cfg);
    self->inbox = inbox_new(HOP_ROUTER, cfg);
    self->outboxes[S_TO_NOTIFIER] = outbox_new(HOP_NOTIFIER, cfg, service->instance);
    self->outboxes[S_TO_AGGREGATOR] = outbox_new(HOP_AGGREGATOR, cfg, service->instance);
    for (int i = 0; i < S_OUTBOXES; i++)
        if (self->outboxes[i])
            outbox_set_counties(self->outboxes[i], service->counties, service->county_count);
    self->assignments = calloc(batch, sizeof *self->assignments);
    self->changes = calloc(batch, sizeof *self->changes);
    self->outcomes = calloc(batch, sizeof *self->outcomes);
    self->order = calloc(batch, sizeof *self->order);
    self->calls = calloc(batch, sizeof *self->calls);
    self->sizes = calloc(batch, sizeof *self->sizes);
    argv_init(&self->argv);
    if (!self->redis || !self->inbox || !self->outboxes[0] || !self->outboxes[1] ||
        !self->assignments || !self->changes || !self->outcomes || !self->order || !self->calls ||
        !self->sizes) {
        router_destroy(&self);
        return NULL;
    }
    return self;
}

void router_destroy(router_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    router_t *self = *self_p;
    inbox_destroy(&self->inbox);
    for (int i = 0; i < S_OUTBOXES; i++)
        outbox_destroy(&self->outboxes[i]);
    rconn_destroy(&self->redis);
    argv_fini(&self->argv);
    free(self->assignments);
    free(self->changes);
    free(self->outcomes);
    free(self->order);
    free(self->calls);
    free(self->sizes);
    free(self);
    *self_p = NULL;
}

void *router_socket(router_t *self)
{
    return inbox_socket(self->inbox);
}

/* Decides one collected event's assignment and packs its assigned event. 0, or -1 when the
 * event is not one for the router (logged). */
static int s_decide(router_t *self, const inbox_item_t *item, int64_t now, s_assignment_t *a)
{
    const config_t *cfg = self->service->config;
    const Gridline__Event *in = item->event;
    if (in->type != GRIDLINE__EVENT_TYPE__EVENT_COLLECTED) {
        log_warn("router ignores an event it has no rule for", "id", in->appeal_id, "type",
                 event_type_name(in->type), NULL);
        return -1;
    }
    if (routing_decide(cfg, in->category, in->region, &a->route) != 0) {
        /* intake checked the category against the same configuration: a mismatch means the
         * two run with different configs. Route to the general office rather than stall. */
        log_warn("unknown category, routed to the grid worker", "id", in->appeal_id, "category",
                 in->category, NULL);
        a->route.department = "general-office";
        snprintf(a->route.fallback, sizeof a->route.fallback, "grid-worker:%s", in->region);
        a->route.assignee = a->route.fallback;
    }
    Gridline__Level level = GRIDLINE__LEVEL__LEVEL_GREEN;
    int64_t deadline = now + (int64_t)appeal_level_deadline_s(cfg, level) * 1000;
    snprintf(a->reason, sizeof a->reason, "category %s -> department %s", in->category,
             a->route.department);
    Gridline__Event out = GRIDLINE__EVENT__INIT;
    out.appeal_id = in->appeal_id;
    out.seq = in->seq + 1;
    out.type = appeal_action_event(APPEAL_ASSIGN);
    out.level = level;
    out.assignee = (char *)a->route.assignee;
    out.actor = "router";
    out.at_ms = now;
    out.reason = a->reason;
    out.region = in->region;
    out.channel = in->channel;
    out.category = in->category;
    out.department = (char *)a->route.department;
    out.deadline_ms = deadline;
    a->event = event_pack(&out, &a->event_len);
    if (!a->event)
        return -1;
    a->item = item;
    snprintf(a->deadline, sizeof a->deadline, "%lld", (long long)deadline);
    snprintf(a->assigned_at, sizeof a->assigned_at, "%lld", (long long)now);
    appeal_status_t next = APPEAL_ASSIGNED;
    appeal_transition(APPEAL_COLLECTED, level, APPEAL_ASSIGN, &next);
    const char *fields[] = {APPEAL_F_STATUS,         appeal_status_name(next),
                            APPEAL_F_LEVEL,          appeal_level(level)->name,
                            APPEAL_F_ASSIGNEE,       a->route.assignee,
                            APPEAL_F_DEPARTMENT,     a->route.department,
                            APPEAL_F_DEADLINE_MS,    a->deadline,
                            APPEAL_F_ASSIGNED_AT_MS, a->assigned_at};
    memcpy(a->fields, fields, sizeof fields);
    return 0;
}

static int s_by_county(const void *x, const void *y, void *arg)
{
    const s_assignment_t *as = arg;
    return strcmp(as[*(const size_t *)x].item->county, as[*(const size_t *)y].item->county);
}

int router_drain(router_t *self)
{
    const config_t *cfg = self->service->config;
    bool redis_down = rconn_ensure(self->redis) != 0;
    inbox_item_t *items = NULL;
    size_t taken = inbox_take(self->inbox, redis_down, (size_t)cfg->outbox_batch, &items);
    if (redis_down)
        return -1;
    int64_t now = clock_wall_ms();
    size_t count = 0;
    for (size_t i = 0; i < taken; i++)
        if (s_decide(self, &items[i], now, &self->assignments[count]) == 0) {
            self->order[count] = count;
            count++;
        }
    qsort_r(self->order, count, sizeof *self->order, s_by_county, self->assignments);
    for (size_t i = 0; i < count; i++) {
        const s_assignment_t *a = &self->assignments[self->order[i]];
        self->changes[i] = (appeal_change_t){
            .id = a->item->event->appeal_id,
            .trigger = a->item->member,
            .received = a->item->raw,
            .received_len = a->item->raw_len,
            .expected_seq = a->item->event->seq,
            .event = a->event,
            .event_len = a->event_len,
            .deadline_ms = strtoll(a->deadline, NULL, 10),
            .fields = a->fields,
            .field_count = 12,
        };
    }
    /* One call per county, all pipelined; then the replies in the same order. */
    size_t *calls = self->calls, *sizes = self->sizes, ncalls = 0;
    for (size_t from = 0; from < count && !redis_down;) {
        const char *county = self->assignments[self->order[from]].item->county;
        size_t to = from + 1;
        while (to < count && strcmp(self->assignments[self->order[to]].item->county, county) == 0)
            to++;
        appeal_batch_t batch = {
            .county = county,
            .trigger_hop = HOP_ROUTER,
            .outboxes = self->outboxes,
            .outbox_count = S_OUTBOXES,
            .now_ms = now,
            .resend_at_ms = now + cfg->outbox_resend_after_ms,
        };
        if (appeal_advance_append(self->redis, &self->argv, &batch, &self->changes[from],
                                  to - from) != 0)
            redis_down = true;
        else {
            calls[ncalls] = from;
            sizes[ncalls++] = to - from;
        }
        from = to;
    }
    int applied = 0;
    for (size_t c = 0; c < ncalls; c++) {
        long long *outcomes = &self->outcomes[calls[c]];
        int rc = redis_down ? -1 : appeal_advance_read(self->redis, sizes[c], outcomes, NULL);
        if (rc == -1)
            redis_down = true;
        if (rc != 0)
            continue;
        for (size_t k = 0; k < sizes[c]; k++) {
            const appeal_change_t *ch = &self->changes[calls[c] + k];
            inbox_count(self->inbox, outcomes[k], 1);
            if (outcomes[k] == HOP_APPLIED) {
                applied++;
                for (int o = 0; o < S_OUTBOXES; o++)
                    outbox_send(self->outboxes[o], ch->event, ch->event_len);
            } else if (outcomes[k] != HOP_DUPLICATE) {
                log_warn("event not applied", "id", ch->id, "outcome",
                         hop_outcome_name(outcomes[k]), NULL);
            }
        }
    }
    for (size_t i = 0; i < count; i++) {
        free(self->assignments[i].event);
        self->assignments[i].event = NULL;
    }
    return redis_down ? -1 : applied;
}

int router_sweep(router_t *self)
{
    return outbox_sweep_all(self->outboxes, S_OUTBOXES, self->redis, clock_wall_ms());
}
