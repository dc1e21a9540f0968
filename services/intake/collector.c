#include "collector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "deadline.h"
#include "directory.h"
#include "event.h"
#include "routing.h"
#include "log.h"
#include "outbox.h"
#include "scripts.h"
#include "service.h"

/* Collected events go to the router and the aggregator; actions' events to the notifier and
 * the aggregator. */
enum { S_TO_ROUTER, S_TO_AGGREGATOR, S_TO_NOTIFIER, S_OUTBOXES };

struct collector {
    const config_t *config; /* as started: Redis, outboxes */
    rconn_t *redis;
    outbox_t *outboxes[S_OUTBOXES];
    directory_t *directory;
    argv_t argv;
};

collector_t *collector_new(const config_t *cfg, const char *instance)
{
    collector_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->config = cfg;
    self->redis = service_redis_new(cfg);
    self->outboxes[S_TO_ROUTER] = outbox_new(HOP_ROUTER, cfg, instance);
    self->outboxes[S_TO_AGGREGATOR] = outbox_new(HOP_AGGREGATOR, cfg, instance);
    self->outboxes[S_TO_NOTIFIER] = outbox_new(HOP_NOTIFIER, cfg, instance);
    self->directory = directory_new();
    argv_init(&self->argv);
    if (!self->redis || !self->outboxes[S_TO_ROUTER] || !self->outboxes[S_TO_AGGREGATOR] ||
        !self->outboxes[S_TO_NOTIFIER] || !self->directory) {
        collector_destroy(&self);
        return NULL;
    }
    return self;
}

void collector_destroy(collector_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    collector_t *self = *self_p;
    rconn_destroy(&self->redis);
    for (int i = 0; i < S_OUTBOXES; i++)
        outbox_destroy(&self->outboxes[i]);
    directory_destroy(&self->directory);
    argv_fini(&self->argv);
    free(self);
    *self_p = NULL;
}

rconn_t *collector_redis(collector_t *self)
{
    return self->redis;
}

appeal_create_result_t collector_submit(collector_t *self, const config_t *config,
                                        const Gridline__Appeal *appeal, const char *token,
                                        const char *idempotency_key, const char *fingerprint,
                                        bool match_repeat, char id[KEYS_ID_MAX])
{
    int64_t now = clock_wall_ms();
    /* the rules may choose another category: the appeal is stored and counted under it */
    routing_class_t cls;
    routing_classify(config, appeal->title, appeal->description, appeal->channel, appeal->region,
                     appeal->category, &cls);
    Gridline__Appeal routed = *appeal;
    bool changed = strcmp(cls.category, appeal->category) != 0;
    routed.category = (char *)cls.category;
    appeal_create_t in = {
        .appeal = &routed,
        .submitted_category = changed ? appeal->category : NULL,
        .token = token,
        .start_level = cls.level,
        .idempotency_key = idempotency_key,
        .fingerprint = fingerprint,
        .idempotency_ttl_s = self->config->intake_idempotency_ttl_s,
        .now_ms = now,
        .resend_at_ms = now + self->config->outbox_resend_after_ms,
        .outboxes = self->outboxes,
        .outbox_count = 2, /* router, aggregator */
        .repeat_window_ms = match_repeat ? config->workorder_repeat_window_ms : 0,
    };
    appeal_created_t out;
    appeal_create_result_t result = appeal_create(self->redis, &in, &out);
    snprintf(id, KEYS_ID_MAX, "%s", out.id);
    if (result == APPEAL_CREATED && out.event) {
        /* the stored bytes; if a send fails, the event waits in its outbox */
        for (int i = 0; i < 2; i++)
            outbox_send(self->outboxes[i], out.event, out.event_len);
        log_debug("appeal collected", "id", out.id, "channel", appeal->channel, "region",
                  appeal->region, NULL);
    }
    free(out.event);
    return result;
}

/* collector_submit_many's order: by county (one script call per county), then as given. */
static int s_by_county(const void *x, const void *y, void *arg)
{
    const collector_item_t *items = arg;
    size_t i = *(const size_t *)x, j = *(const size_t *)y;
    int c = strncmp(items[i].appeal->region, items[j].appeal->region, 6);
    return c ? c : (i > j) - (i < j);
}

#define S_PER_CALL 128 /* appeals per appeal_create call: bounds one script's run in Redis */

void collector_submit_many(collector_t *self, const config_t *config, collector_item_t *items,
                           size_t count)
{
    int64_t now = clock_wall_ms();
    size_t n = count ? count : 1;
    size_t *order = calloc(n, sizeof *order);
    routing_class_t *cls = calloc(n, sizeof *cls);
    Gridline__Appeal *routed = calloc(n, sizeof *routed);
    appeal_create_t *ins = calloc(n, sizeof *ins);
    appeal_create_result_t *results = calloc(n, sizeof *results);
    appeal_created_t *outs = calloc(n, sizeof *outs);
    appeal_create_call_t *calls = calloc(n, sizeof *calls);
    size_t *call_start = calloc(n, sizeof *call_start), *call_len = calloc(n, sizeof *call_len);
    bool *appended = calloc(n, sizeof *appended);
    for (size_t i = 0; i < count; i++) {
        items[i].result = APPEAL_UNAVAILABLE;
        items[i].id[0] = '\0';
    }
    if (!order || !cls || !routed || !ins || !results || !outs || !calls || !call_start ||
        !call_len || !appended || rconn_ensure(self->redis) != 0)
        goto done;
    for (size_t i = 0; i < count; i++)
        order[i] = i;
    qsort_r(order, count, sizeof *order, s_by_county, items);
    for (size_t k = 0; k < count; k++) {
        const Gridline__Appeal *appeal = items[order[k]].appeal;
        /* the rules may choose another category: the appeal is stored and counted under it */
        routing_classify(config, appeal->title, appeal->description, appeal->channel,
                         appeal->region, appeal->category, &cls[k]);
        routed[k] = *appeal;
        bool changed = strcmp(cls[k].category, appeal->category) != 0;
        routed[k].category = (char *)cls[k].category;
        ins[k] = (appeal_create_t){
            .appeal = &routed[k],
            .submitted_category = changed ? appeal->category : NULL,
            .start_level = cls[k].level,
            .idempotency_key = items[order[k]].idempotency_key,
            .fingerprint = items[order[k]].fingerprint,
            .token = items[order[k]].token,
            .idempotency_ttl_s = self->config->intake_idempotency_ttl_s,
            .now_ms = now,
            .resend_at_ms = now + self->config->outbox_resend_after_ms,
            .outboxes = self->outboxes,
            .outbox_count = 2, /* router, aggregator */
        };
    }
    /* one call per run of one county (at most S_PER_CALL), all pipelined */
    size_t ncalls = 0;
    for (size_t k = 0; k < count;) {
        size_t len = 1;
        while (k + len < count && len < S_PER_CALL &&
               strncmp(routed[k].region, routed[k + len].region, 6) == 0)
            len++;
        call_start[ncalls] = k;
        call_len[ncalls] = len;
        appended[ncalls] = appeal_create_append(self->redis, &ins[k], len, &calls[ncalls]) == 0;
        ncalls++;
        k += len;
    }
    /* every reply is read, in order, before any event is sent: the sends are best effort. A
     * call Redis did not run (NOSCRIPT: its scripts were flushed; rconn loads them again) is
     * made once more: nothing of it was stored. */
    for (int pass = 0; pass < 2; pass++) {
        bool again = false;
        for (size_t c = 0; c < ncalls; c++) {
            size_t k = call_start[c];
            bool was = appended[c];
            appended[c] = false;
            if (was && appeal_create_read(self->redis, &calls[c], &results[k], &outs[k]) == -3)
                appended[c] = again = true;
        }
        if (!again || pass == 1)
            break;
        for (size_t c = 0; c < ncalls; c++)
            if (appended[c])
                appended[c] = appeal_create_append(self->redis, &ins[call_start[c]], call_len[c],
                                                   &calls[c]) == 0;
    }
    for (size_t k = 0; k < count; k++) {
        collector_item_t *item = &items[order[k]];
        item->result = results[k] ? results[k] : APPEAL_UNAVAILABLE; /* 0: not appended */
        snprintf(item->id, sizeof item->id, "%s", outs[k].id);
        if (item->result == APPEAL_CREATED && outs[k].event)
            for (int h = 0; h < 2; h++)
                outbox_send(self->outboxes[h], outs[k].event, outs[k].event_len);
        free(outs[k].event);
    }
done:
    free(order);
    free(cls);
    free(routed);
    free(ins);
    free(results);
    free(outs);
    free(calls);
    free(call_start);
    free(call_len);
    free(appended);
}

/* The appeal after a step: its status, level, owner, seq and clocks. */
static void s_after(collector_acted_t *out, appeal_status_t status, Gridline__Level level,
                    const char *assignee, const char *department, uint32_t seq, int64_t ack_ms,
                    int64_t resolve_ms)
{
    out->status = status;
    out->level = level;
    snprintf(out->assignee, sizeof out->assignee, "%s", assignee);
    snprintf(out->department, sizeof out->department, "%s", department);
    out->seq = seq;
    out->ack_deadline_ms = ack_ms;
    out->resolve_deadline_ms = resolve_ms;
}

/* A replay: the answer from the event the key's first request stored. */
static collector_act_result_t s_replay(collector_t *self, const char *county, const char *id,
                                       const char *value, const char *fingerprint,
                                       collector_acted_t *out)
{
    /* "<id>|<fingerprint>|<seq>" */
    const char *bar1 = strchr(value, '|'), *bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
    if (!bar2 || (size_t)(bar1 - value) != strlen(id) || strncmp(value, id, strlen(id)) != 0 ||
        !fingerprint || strlen(fingerprint) != (size_t)(bar2 - bar1 - 1) ||
        strncmp(bar1 + 1, fingerprint, strlen(fingerprint)) != 0)
        return COLLECTOR_KEY_REUSED;
    char key[KEYS_MAX];
    keys_events(key, county, id);
    long seq = strtol(bar2 + 1, NULL, 10);
    redisReply *r = rconn_command(self->redis, "LINDEX %s %ld", key, seq - 1);
    if (!r)
        return COLLECTOR_UNAVAILABLE;
    Gridline__Event *e =
        r->type == REDIS_REPLY_STRING ? event_unpack((const uint8_t *)r->str, r->len) : NULL;
    freeReplyObject(r);
    if (!e)
        return COLLECTOR_KEY_REUSED;
    int status = lifecycle_status_after(e);
    s_after(out, status < 0 ? out->state.status : (appeal_status_t)status, e->level, e->assignee,
            e->department, e->seq, e->ack_deadline_ms, e->deadline_ms);
    event_free(&e);
    return COLLECTOR_REPLAYED;
}

/* Reads the state (and the idempotency key's value) of appeal id. 1, 0 (no appeal), -1. */
static int s_read(collector_t *self, const char *county, const char *id, const char *idem,
                  appeal_state_t *state, redisReply **idem_value)
{
    char key[KEYS_MAX];
    *idem_value = NULL;
    if (appeal_state_append(self->redis, id) != 0)
        return -1;
    if (idem) {
        keys_idem(key, county, idem);
        if (rconn_append(self->redis, "GET %s", key) != 0)
            return -1;
    }
    redisReply *r = rconn_reply(self->redis);
    if (!r)
        return -1;
    int found = appeal_state_fill(state, id, r) == 0;
    freeReplyObject(r);
    if (idem) {
        r = rconn_reply(self->redis);
        if (!r)
            return -1;
        if (r->type == REDIS_REPLY_STRING)
            *idem_value = r;
        else
            freeReplyObject(r);
    }
    return found;
}

collector_act_result_t collector_act(collector_t *self, const config_t *config, const char *region,
                                     const char *id, const lifecycle_input_t *input,
                                     const char *idem, const char *fingerprint,
                                     collector_acted_t *out)
{
    memset(out, 0, sizeof *out);
    char county[7];
    if (keys_county_of_id(id, county) != 0)
        return COLLECTOR_NOT_FOUND;
    if (rconn_ensure(self->redis) != 0)
        return COLLECTOR_UNAVAILABLE;
    collector_act_result_t result = COLLECTOR_UNAVAILABLE;
    /* the second pass only tells what beat a change that did not apply */
    for (int pass = 0; pass < 2; pass++) {
        redisReply *seen = NULL;
        int found = s_read(self, county, id, idem, &out->state, &seen);
        if (found < 0)
            return COLLECTOR_UNAVAILABLE;
        if (seen) {
            result = s_replay(self, county, id, seen->str, fingerprint, out);
            freeReplyObject(seen);
            return result;
        }
        if (!found)
            return COLLECTOR_NOT_FOUND;
        if (region && strncmp(out->state.region, region, strlen(region)) != 0)
            return COLLECTOR_FORBIDDEN;
        if (pass == 1) {
            appeal_status_t next;
            return appeal_transition(out->state.status, out->state.level, input->action, &next) == 0
                       ? COLLECTOR_CONFLICT
                       : COLLECTOR_INVALID_STATE;
        }
        /* a new owner comes from the directory as it is now */
        bool owner = input->action == APPEAL_ESCALATE || input->action == APPEAL_TRANSFER ||
                     input->action == APPEAL_FEEDBACK_BAD;
        if (owner && directory_refresh(self->directory, self->redis) != 0)
            return COLLECTOR_UNAVAILABLE;
        int64_t now = clock_wall_ms();
        lifecycle_step_t step;
        switch (lifecycle_decide(config, self->directory, &out->state, input, now, &step)) {
        case LIFECYCLE_OK:
            break;
        case LIFECYCLE_NOT_ASSIGNED:
            return COLLECTOR_NOT_ASSIGNED;
        case LIFECYCLE_INVALID_STATE:
            return COLLECTOR_INVALID_STATE;
        case LIFECYCLE_UNKNOWN_DEPARTMENT:
            return COLLECTOR_UNKNOWN_DEPARTMENT;
        default:
            return COLLECTOR_UNAVAILABLE;
        }
        char idem_value[256];
        if (idem) {
            snprintf(idem_value, sizeof idem_value, "%s|%s|#", id, fingerprint ? fingerprint : "");
            step.change.idem_key = idem;
            step.change.idem_value = idem_value;
            step.change.idem_ttl_s = config->intake_idempotency_ttl_s;
        }
        outbox_t *const outboxes[] = {self->outboxes[S_TO_NOTIFIER],
                                      self->outboxes[S_TO_AGGREGATOR]};
        appeal_batch_t batch = {
            .county = county,
            .outboxes = outboxes,
            .outbox_count = 2,
            .now_ms = now,
            .resend_at_ms = now + self->config->outbox_resend_after_ms,
        };
        int64_t due = appeal_change_earliest(&step.change);
        long long outcome = 0;
        int rc = appeal_advance_append(self->redis, &self->argv, &batch, &step.change, 1);
        if (rc == 0 && due > 0)
            rc = deadline_mark(self->redis, county, due);
        if (rc == 0)
            rc = appeal_advance_read(self->redis, 1, &outcome, NULL);
        if (rc != 0) {
            lifecycle_step_fini(&step);
            return COLLECTOR_UNAVAILABLE;
        }
        if (outcome == HOP_APPLIED) {
            for (size_t i = 0; i < 2; i++)
                outbox_send(outboxes[i], step.event, step.event_len);
            s_after(out, step.status, step.level, step.assignee, step.department, step.seq,
                    step.ack_deadline_ms, step.resolve_deadline_ms);
            log_info("appeal changed", "id", id, "action", appeal_action_name(input->action),
                     "actor", input->actor, "status", appeal_status_name(step.status), NULL);
            lifecycle_step_fini(&step);
            return COLLECTOR_ACTED;
        }
        lifecycle_step_fini(&step);
        if (outcome == HOP_GONE)
            return COLLECTOR_NOT_FOUND;
    }
    return result;
}

void collector_set_counties(collector_t *self, const char *const *counties, size_t count)
{
    for (int i = 0; i < S_OUTBOXES; i++)
        outbox_set_counties(self->outboxes[i], counties, count);
}

int collector_sweep(collector_t *self)
{
    return outbox_sweep_all(self->outboxes, S_OUTBOXES, self->redis, clock_wall_ms());
}
