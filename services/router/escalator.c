#include "escalator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appeal.h"
#include "argv.h"
#include "clock.h"
#include "deadline.h"
#include "lifecycle.h"
#include "log.h"
#include "metrics.h"

#define S_COUNTIES_PER_ROUND 64
#define S_ROUND_BUDGET_MS 300

/* One county of a round: its lease and the decisions on its due clocks. */
typedef struct {
    const char *county;
    redisReply *lease;
    int64_t next_ms; /* its earliest clock after the lease, -1 none */
    size_t count;    /* decisions */
    appeal_state_t *states;
    lifecycle_step_t *steps;
    appeal_change_t *changes;
    long long *outcomes;
    bool leased, applied;
} s_county_t;

struct escalator {
    service_t *service;
    rconn_t *redis;
    directory_t *directory;
    outbox_t *const *outboxes;
    size_t outbox_count;
    argv_t argv;
    int64_t next_full_pass; /* mono ms */
    metric_t *escalated, *reminded, *stale, *leased;
};

escalator_t *escalator_new(service_t *service, rconn_t *redis, directory_t *directory,
                           outbox_t *const *outboxes, size_t outbox_count)
{
    escalator_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->service = service;
    self->redis = redis;
    self->directory = directory;
    self->outboxes = outboxes;
    self->outbox_count = outbox_count;
    argv_init(&self->argv);
    const char *name = "gridline_router_clocks_total", *help = "due clocks by what became of them";
    self->escalated = metrics_register(METRIC_COUNTER, name, "result=\"escalated\"", help);
    self->reminded = metrics_register(METRIC_COUNTER, name, "result=\"reminded\"", help);
    self->stale = metrics_register(METRIC_COUNTER, name, "result=\"stale\"", help);
    self->leased = metrics_register(METRIC_COUNTER, "gridline_router_clocks_leased_total", NULL,
                                    "due clocks leased by this router");
    return self;
}

void escalator_destroy(escalator_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    argv_fini(&(*self_p)->argv);
    free(*self_p);
    *self_p = NULL;
}

static void s_county_free(s_county_t *c)
{
    for (size_t i = 0; i < c->count; i++)
        lifecycle_step_fini(&c->steps[i]);
    free(c->states);
    free(c->steps);
    free(c->changes);
    free(c->outcomes);
    if (c->lease)
        freeReplyObject(c->lease);
    memset(c, 0, sizeof *c);
}

/* Decides the leased clocks of one county: one decision per appeal (a second clock of the same
 * appeal in the same lease waits: the first decision sets its clocks anew). */
static void s_decide(escalator_t *self, const config_t *cfg, s_county_t *c, long n,
                     const char **members, const redisReply **states, int64_t now)
{
    c->states = calloc((size_t)n + 1, sizeof *c->states);
    c->steps = calloc((size_t)n + 1, sizeof *c->steps);
    c->changes = calloc((size_t)n + 1, sizeof *c->changes);
    c->outcomes = calloc((size_t)n + 1, sizeof *c->outcomes);
    if (!c->states || !c->steps || !c->changes || !c->outcomes)
        return;
    for (long i = 0; i < n; i++) {
        const char *bar = strchr(members[i], '|');
        if (!bar)
            continue;
        char id[KEYS_ID_MAX];
        snprintf(id, sizeof id, "%.*s", (int)(bar - members[i]), members[i]);
        bool seen = false;
        for (size_t k = 0; k < c->count && !seen; k++)
            seen = strcmp(c->states[k].id, id) == 0;
        appeal_state_t *st = &c->states[c->count];
        if (seen || appeal_state_fill(st, id, states[i]) != 0)
            continue;
        bool warn = strncmp(bar + 1, "warn_", 5) == 0;
        bool ack = strcmp(bar + 1, warn ? "warn_ack" : "ack") == 0;
        bool red = st->level >= GRIDLINE__LEVEL__LEVEL_RED;
        const appeal_level_t *lv = appeal_level(st->level);
        char reason[160];
        snprintf(reason, sizeof reason, "not %s by its deadline at %s",
                 ack ? "acknowledged" : "resolved", lv ? lv->name : "?");
        lifecycle_input_t input = {
            .action = red ? APPEAL_REMIND : APPEAL_ESCALATE,
            .actor = "router",
            .reason = reason,
            .reason_code = ack ? "ack_overdue" : "resolve_overdue",
        };
        /* on a level with a sign clock, an acknowledge clock of an unsigned order is its
         * sign-for deadline */
        int li = st->level >= 1 && st->level <= 4 ? (int)st->level : 1;
        if (ack && !warn && cfg->ladder_sign_ms[li] > 0 &&
            (st->status == APPEAL_ASSIGNED || st->status == APPEAL_REOPENED)) {
            input.reason_code = "sign_overdue";
            snprintf(reason, sizeof reason, "not signed for by its deadline at %s",
                     lv ? lv->name : "?");
        }
        if (warn) { /* a clock is near: its owner is told, once */
            snprintf(reason, sizeof reason, "%s deadline near at %s",
                     ack ? "acknowledge" : "resolve", lv ? lv->name : "?");
            input.action = APPEAL_WARN;
            input.reason_code = ack ? "ack_due_soon" : "resolve_due_soon";
        } else if (st->status == APPEAL_RESOLVED) { /* the call-back's time ran out */
            input.action = APPEAL_CLOSE_NO_FEEDBACK;
            input.reason = "no call-back reached the resident by callback.close_after";
            input.reason_code = "no_feedback";
        }
        if (lifecycle_decide(cfg, self->directory, st, &input, now, &c->steps[c->count]) !=
            LIFECYCLE_OK)
            continue; /* the lease script dropped clocks that do not run: not reached */
        c->changes[c->count] = c->steps[c->count].change;
        c->count++;
    }
}

/* One round over at most S_COUNTIES_PER_ROUND due counties. Returns changes applied, 0 when
 * nothing was due, -1 when Redis is down. *more: some county had more due than one lease. */
static int s_round(escalator_t *self, const config_t *cfg, bool *more)
{
    int64_t now = clock_wall_ms();
    deadline_due_t due;
    *more = false;
    if (deadline_due(self->redis, now, S_COUNTIES_PER_ROUND, &due) != 0)
        return -1;
    if (due.count == 0)
        return 0;
    if (directory_refresh(self->directory, self->redis) != 0) {
        deadline_due_free(&due);
        return -1;
    }
    size_t batch = (size_t)cfg->outbox_batch;
    int64_t lease_until = now + cfg->outbox_resend_after_ms;
    s_county_t *counties = calloc(due.count, sizeof *counties);
    if (!counties) {
        deadline_due_free(&due);
        return -1;
    }
    bool down = false;
    /* every lease in one round trip */
    for (size_t i = 0; i < due.count && !down; i++) {
        counties[i].county = due.counties[i];
        if (deadline_lease_append(self->redis, due.counties[i], now, lease_until, batch) != 0)
            down = true;
        else
            counties[i].leased = true;
    }
    for (size_t i = 0; i < due.count; i++) {
        s_county_t *c = &counties[i];
        if (!c->leased || down)
            continue;
        const char **members = NULL;
        const redisReply **states = NULL;
        long n = deadline_lease_read(self->redis, &c->lease, &c->next_ms, &members, &states);
        if (n < 0) {
            down = true;
            continue;
        }
        metric_add(self->leased, n);
        if ((size_t)n >= batch)
            *more = true;
        s_decide(self, cfg, c, n, members, states, now);
        free(members);
        free(states);
    }
    /* every county's changes in one round trip */
    for (size_t i = 0; i < due.count && !down; i++) {
        s_county_t *c = &counties[i];
        if (!c->leased || c->count == 0)
            continue;
        appeal_batch_t b = {
            .county = c->county,
            .outboxes = self->outboxes,
            .outbox_count = self->outbox_count,
            .now_ms = now,
            .resend_at_ms = now + cfg->outbox_resend_after_ms,
        };
        if (appeal_advance_append(self->redis, &self->argv, &b, c->changes, c->count) != 0)
            down = true;
        else
            c->applied = true;
    }
    int applied = 0;
    for (size_t i = 0; i < due.count; i++) {
        s_county_t *c = &counties[i];
        if (!c->applied || down)
            continue;
        if (appeal_advance_read(self->redis, c->count, c->outcomes, NULL) == -1) {
            down = true;
            continue;
        }
        for (size_t k = 0; k < c->count; k++) {
            const appeal_change_t *ch = &c->changes[k];
            if (c->outcomes[k] != HOP_APPLIED) {
                metric_add(self->stale, 1);
                continue;
            }
            applied++;
            metric_add(c->states[k].level >= GRIDLINE__LEVEL__LEVEL_RED ? self->reminded
                                                                        : self->escalated,
                       1);
            for (size_t o = 0; o < self->outbox_count; o++)
                outbox_send(self->outboxes[o], ch->event, ch->event_len);
            /* the clocks this change set are known here: fold them into the county's next */
            int64_t e = appeal_change_earliest(ch);
            if (e > 0 && (c->next_ms < 0 || e < c->next_ms))
                c->next_ms = e;
        }
    }
    /* settle every county whose lease was read (a failed apply leaves its clocks leased: they
     * fall due again at the lease end, and next_ms is never later than that) */
    size_t settles = 0;
    for (size_t i = 0; i < due.count && !down; i++) {
        s_county_t *c = &counties[i];
        if (!c->leased)
            continue;
        if (deadline_settle_append(self->redis, c->county, due.scores[i], due.gens[i],
                                   c->next_ms) != 0)
            down = true;
        else
            settles++;
    }
    for (size_t i = 0; i < settles; i++) {
        redisReply *r = rconn_reply(self->redis);
        if (!r) {
            down = true;
            break;
        }
        freeReplyObject(r);
    }
    for (size_t i = 0; i < due.count; i++)
        s_county_free(&counties[i]);
    free(counties);
    deadline_due_free(&due);
    return down ? -1 : applied;
}

int escalator_tick(escalator_t *self)
{
    if (rconn_ensure(self->redis) != 0)
        return -1;
    if (clock_mono_ms() >= self->next_full_pass) {
        if (deadline_full_pass(self->redis, self->service->counties, self->service->county_count) <
            0)
            return -1;
        self->next_full_pass = clock_mono_ms() + DEADLINE_FULL_PASS_MS;
    }
    config_t *cfg = service_config(self->service);
    int64_t start = clock_mono_ms();
    int total = 0, n;
    bool more = true;
    /* rounds while there is work, within the budget (the inbox waits meanwhile) */
    while ((n = s_round(self, cfg, &more)) > 0 || more) {
        if (n < 0)
            break;
        total += n;
        if (clock_mono_ms() - start >= S_ROUND_BUDGET_MS)
            break;
    }
    config_release(&cfg);
    return n < 0 ? -1 : total;
}
