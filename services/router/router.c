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
#include "deadline.h"
#include "directory.h"
#include "escalator.h"
#include "lifecycle.h"
#include "scripts.h"
#include "service.h"

enum { S_TO_NOTIFIER, S_TO_AGGREGATOR, S_OUTBOXES };

/* One assignment of a batch: the state it is decided on (from the collected event) and the
 * decision. */
typedef struct {
    const inbox_item_t *item;
    appeal_state_t state;
    lifecycle_step_t step;
} s_assignment_t;

struct router {
    service_t *service;
    rconn_t *redis;
    inbox_t *inbox;
    outbox_t *outboxes[S_OUTBOXES];
    directory_t *directory;
    escalator_t *escalator;
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
    self->directory = directory_new();
    self->escalator =
        escalator_new(service, self->redis, self->directory, self->outboxes, S_OUTBOXES);
    self->assignments = calloc(batch, sizeof *self->assignments);
    self->changes = calloc(batch, sizeof *self->changes);
    self->outcomes = calloc(batch, sizeof *self->outcomes);
    self->order = calloc(batch, sizeof *self->order);
    self->calls = calloc(batch, sizeof *self->calls);
    self->sizes = calloc(batch, sizeof *self->sizes);
    argv_init(&self->argv);
    if (!self->redis || !self->inbox || !self->outboxes[0] || !self->outboxes[1] ||
        !self->directory || !self->escalator || !self->assignments || !self->changes ||
        !self->outcomes || !self->order || !self->calls || !self->sizes) {
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
    escalator_destroy(&self->escalator);
    directory_destroy(&self->directory);
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

/* Decides one collected event's assignment. 0, or -1 when the event is not one for the router
 * (logged). */
static int s_decide(router_t *self, const config_t *cfg, const inbox_item_t *item, int64_t now,
                    s_assignment_t *a)
{
    const Gridline__Event *in = item->event;
    if (in->type != GRIDLINE__EVENT_TYPE__EVENT_COLLECTED) {
        log_warn("router ignores an event it has no rule for", "id", in->appeal_id, "type",
                 event_type_name(in->type), NULL);
        return -1;
    }
    /* the collected event carries what the assignment needs: no read of the appeal */
    appeal_state_t *st = &a->state;
    memset(st, 0, sizeof *st);
    snprintf(st->id, sizeof st->id, "%s", in->appeal_id);
    st->seq = in->seq;
    st->status = APPEAL_COLLECTED;
    snprintf(st->region, sizeof st->region, "%s", in->region);
    snprintf(st->channel, sizeof st->channel, "%s", in->channel);
    snprintf(st->category, sizeof st->category, "%s", in->category);
    if (!config_category(cfg, in->category))
        log_warn("unknown category, routed to the general office", "id", in->appeal_id, "category",
                 in->category, NULL);
    lifecycle_input_t input = {
        .action = APPEAL_ASSIGN,
        .actor = "router",
        .reason_code = "routed",
        .level = in->level,
    };
    if (lifecycle_decide(cfg, self->directory, st, &input, now, &a->step) != LIFECYCLE_OK)
        return -1;
    a->item = item;
    return 0;
}

static int s_by_county(const void *x, const void *y, void *arg)
{
    const s_assignment_t *as = arg;
    return strcmp(as[*(const size_t *)x].item->county, as[*(const size_t *)y].item->county);
}

int router_drain(router_t *self)
{
    config_t *cfg = service_config(self->service);
    bool redis_down = rconn_ensure(self->redis) != 0;
    inbox_item_t *items = NULL;
    size_t taken = inbox_take(self->inbox, redis_down, (size_t)cfg->outbox_batch, &items);
    if (!redis_down && taken)
        redis_down = directory_refresh(self->directory, self->redis) != 0;
    if (redis_down) {
        config_release(&cfg);
        return -1;
    }
    int64_t now = clock_wall_ms();
    size_t count = 0;
    for (size_t i = 0; i < taken; i++)
        if (s_decide(self, cfg, &items[i], now, &self->assignments[count]) == 0) {
            self->order[count] = count;
            count++;
        }
    qsort_r(self->order, count, sizeof *self->order, s_by_county, self->assignments);
    for (size_t i = 0; i < count; i++) {
        const s_assignment_t *a = &self->assignments[self->order[i]];
        self->changes[i] = a->step.change;
        self->changes[i].trigger = a->item->member;
        self->changes[i].received = a->item->raw;
        self->changes[i].received_len = a->item->raw_len;
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
        int64_t earliest = INT64_MAX;
        for (size_t k = from; k < to; k++) {
            int64_t e = appeal_change_earliest(&self->changes[k]);
            if (e > 0 && e < earliest)
                earliest = e;
        }
        if (appeal_advance_append(self->redis, &self->argv, &batch, &self->changes[from],
                                  to - from) != 0 ||
            (earliest != INT64_MAX && deadline_mark(self->redis, county, earliest) != 0))
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
    for (size_t i = 0; i < count; i++)
        lifecycle_step_fini(&self->assignments[i].step);
    config_release(&cfg);
    return redis_down ? -1 : applied;
}

int router_tick(router_t *self)
{
    int sent = outbox_sweep_all(self->outboxes, S_OUTBOXES, self->redis, clock_wall_ms());
    escalator_tick(self->escalator);
    return sent;
}
