#include "inbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "clock.h"
#include "gsock.h"
#include "log.h"
#include "metrics.h"

typedef enum {
    S_REDIS_DOWN,
    S_NOT_ENVELOPE,
    S_WRONG_HOP,
    S_BAD_EVENT,
    S_BAD_ID,
    S_FOREIGN_REGION,
    S_REASONS,
} s_reason_t;

static const char *s_reason_names[S_REASONS] = {
    "redis_down", "not_envelope", "wrong_hop", "bad_event", "bad_id", "foreign_region",
};

#define S_LOG_EVERY_MS 10000

struct inbox {
    hop_t hop;
    void *sock;
    inbox_item_t *items;
    size_t cap, count;
    metric_t *dropped[S_REASONS];
    metric_t *outcomes[HOP_OUTCOME_COUNT];
    int64_t last_log_ms;
    long long unlogged;
};

inbox_t *inbox_new(hop_t hop, const config_t *config)
{
    inbox_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->hop = hop;
    self->sock = gsock_pull_new(hop_endpoint(config, hop), INBOX_MAX_FRAME);
    if (!self->sock) {
        inbox_destroy(&self);
        return NULL;
    }
    char labels[96], name[64];
    for (int r = 0; r < S_REASONS; r++) {
        snprintf(labels, sizeof labels, "hop=\"%s\",reason=\"%s\"", hop_name(hop),
                 s_reason_names[r]);
        self->dropped[r] = metrics_register(METRIC_COUNTER, "gridline_inbox_dropped_total", labels,
                                            "frames received and dropped, by reason");
    }
    snprintf(name, sizeof name, "gridline_%s_events_total", hop_name(hop));
    for (int o = 0; o < HOP_OUTCOME_COUNT; o++) {
        snprintf(labels, sizeof labels, "result=\"%s\"", hop_outcome_name(o + HOP_OUTCOME_MIN));
        self->outcomes[o] =
            metrics_register(METRIC_COUNTER, name, labels, "events received, by outcome");
    }
    return self;
}

static void s_release(inbox_t *self)
{
    for (size_t i = 0; i < self->count; i++) {
        event_free(&self->items[i].event);
        free(self->items[i].raw);
        self->items[i].raw = NULL;
    }
    self->count = 0;
}

void inbox_destroy(inbox_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    inbox_t *self = *self_p;
    s_release(self);
    free(self->items);
    gsock_destroy(&self->sock);
    free(self);
    *self_p = NULL;
}

void *inbox_socket(inbox_t *self)
{
    return self->sock;
}

void inbox_count(inbox_t *self, long long outcome, long long n)
{
    if (outcome >= HOP_OUTCOME_MIN && outcome <= HOP_APPLIED && n > 0)
        metric_add(self->outcomes[outcome - HOP_OUTCOME_MIN], n);
}

static void s_drop(inbox_t *self, s_reason_t reason, const char *detail)
{
    metric_add(self->dropped[reason], 1);
    if (reason == S_REDIS_DOWN)
        return;
    int64_t now = clock_mono_ms();
    if (self->last_log_ms && now - self->last_log_ms < S_LOG_EVERY_MS) {
        self->unlogged++;
        return;
    }
    char unlogged[24];
    snprintf(unlogged, sizeof unlogged, "%lld", self->unlogged);
    log_warn("dropped a frame", "hop", hop_name(self->hop), "reason", s_reason_names[reason],
             "detail", detail, "dropped_since_last_line", unlogged, NULL);
    self->last_log_ms = now;
    self->unlogged = 0;
}

/* Checks one frame; 0 with *item filled, or -1 (dropped and counted). */
static int s_check(inbox_t *self, const uint8_t *data, size_t len, inbox_item_t *item)
{
    char err[160];
    Gridline__Envelope *env = event_envelope_unwrap(data, len, err, sizeof err);
    if (!env) {
        s_drop(self, S_NOT_ENVELOPE, err);
        return -1;
    }
    bool ours = env->hop && strcmp(env->hop, hop_name(self->hop)) == 0;
    event_envelope_free(&env);
    if (!ours) {
        s_drop(self, S_WRONG_HOP, "envelope addressed to another hop");
        return -1;
    }
    const uint8_t *raw = NULL;
    size_t raw_len = 0;
    Gridline__Event *e = NULL;
    if (event_envelope_event_bytes(data, len, &raw, &raw_len) != 0 ||
        !(e = event_unpack(raw, raw_len)) || e->seq == 0) {
        event_free(&e);
        s_drop(self, S_BAD_EVENT, "no single decodable event");
        return -1;
    }
    if (keys_check_id(e->appeal_id) != 0 || keys_county_of_id(e->appeal_id, item->county) != 0 ||
        snprintf(item->member, sizeof item->member, "%s:%u", e->appeal_id, e->seq) >=
            (int)sizeof item->member) {
        event_free(&e);
        s_drop(self, S_BAD_ID, "not an appeal id");
        return -1;
    }
    size_t rlen = strlen(e->region);
    if ((rlen != 12 && rlen != 14) || strncmp(e->region, item->county, 6) != 0) {
        event_free(&e);
        s_drop(self, S_FOREIGN_REGION, "region outside the appeal's county");
        return -1;
    }
    item->raw = malloc(raw_len ? raw_len : 1);
    if (!item->raw) {
        event_free(&e);
        return -1; /* its outbox entry brings it back */
    }
    memcpy(item->raw, raw, raw_len);
    item->raw_len = raw_len;
    item->event = e;
    return 0;
}

size_t inbox_take(inbox_t *self, bool drop, size_t max, inbox_item_t **items)
{
    s_release(self);
    if (max > self->cap) {
        inbox_item_t *grown = realloc(self->items, max * sizeof *grown);
        if (!grown)
            max = self->cap;
        else {
            memset(grown + self->cap, 0, (max - self->cap) * sizeof *grown);
            self->items = grown;
            self->cap = max;
        }
    }
    for (size_t read = 0; read < max; read++) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, self->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&msg);
            break;
        }
        if (drop) {
            s_drop(self, S_REDIS_DOWN, NULL);
        } else {
            inbox_item_t *item = &self->items[self->count];
            memset(item, 0, sizeof *item);
            if (s_check(self, zmq_msg_data(&msg), zmq_msg_size(&msg), item) == 0)
                self->count++;
        }
        zmq_msg_close(&msg);
    }
    *items = self->items;
    return self->count;
}
