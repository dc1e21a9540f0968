#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "gsock.h"
#include "keys.h"
#include "log.h"
#include "metrics.h"
#include "pending.h"
#include "scripts.h"

struct outbox {
    hop_t hop;
    const config_t *config;
    char sender[128];
    void *sock;
    pending_t *pending;
};

/* Per hop: sent at once, left to the sweeper (no receiver ready), sent again by a sweep. */
static metric_t *s_sent[HOP_COUNT], *s_deferred[HOP_COUNT], *s_resent[HOP_COUNT];

void outbox_register_metrics(void)
{
    for (int h = 0; h < HOP_COUNT; h++) {
        char labels[64];
        snprintf(labels, sizeof labels, "hop=\"%s\"", hop_name((hop_t)h));
        s_sent[h] = metrics_register(METRIC_COUNTER, "gridline_outbox_sent_total", labels,
                                     "events sent on a hop");
        s_deferred[h] = metrics_register(METRIC_COUNTER, "gridline_send_deferred_total", labels,
                                         "events left to the outbox sweeper: no receiver ready");
        s_resent[h] = metrics_register(METRIC_COUNTER, "gridline_outbox_resent_total", labels,
                                       "outbox entries sent again by the sweeper");
    }
}

static void s_count(metric_t **metrics, hop_t hop)
{
    if (metrics[hop])
        metric_add(metrics[hop], 1);
}

outbox_t *outbox_new(hop_t hop, const config_t *config, const char *sender)
{
    outbox_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->hop = hop;
    self->config = config;
    snprintf(self->sender, sizeof self->sender, "%s", sender ? sender : "");
    self->sock = gsock_push_new(hop_endpoint(config, hop));
    self->pending = pending_new(hop_name(hop), pending_grace_for(config->outbox_resend_after_ms));
    if (!self->sock || !self->pending) {
        outbox_destroy(&self);
        return NULL;
    }
    return self;
}

void outbox_destroy(outbox_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    outbox_t *self = *self_p;
    gsock_destroy(&self->sock);
    pending_destroy(&self->pending);
    free(self);
    *self_p = NULL;
}

void outbox_set_counties(outbox_t *self, const char *const *counties, size_t count)
{
    pending_set_counties(self->pending, counties, count);
}

void outbox_key(const outbox_t *self, const char *county, char *buf)
{
    keys_outbox(buf, county, hop_name(self->hop));
}

int outbox_mark(outbox_t *self, rconn_t *redis, const char *county, int64_t now_ms)
{
    return pending_mark(self->pending, redis, county, now_ms);
}

int outbox_send(outbox_t *self, const uint8_t *event, size_t len)
{
    size_t frame_len = 0;
    uint8_t *frame = event_envelope_wrap(hop_name(self->hop), self->sender, event, len, &frame_len);
    int rc = frame ? gsock_send(self->sock, frame, frame_len) : -1;
    free(frame);
    s_count(rc == 0 ? s_sent : s_deferred, self->hop);
    return rc;
}

int outbox_sweep(outbox_t *self, rconn_t *redis, int64_t now_ms)
{
    pending_list_t list;
    if (pending_list(self->pending, redis, now_ms, &list) != 0)
        return -1;
    const config_t *cfg = self->config;
    char key[KEYS_MAX], now[24], until[24], limit[16];
    snprintf(now, sizeof now, "%lld", (long long)now_ms);
    snprintf(until, sizeof until, "%lld", (long long)(now_ms + cfg->outbox_resend_after_ms));
    snprintf(limit, sizeof limit, "%d", cfg->outbox_batch);
    size_t appended = 0;
    for (size_t i = 0; i < list.count; i++) {
        outbox_key(self, list.counties[i], key);
        const char *count = pending_wants_count(self->pending, &list, i, now_ms) ? "1" : "0";
        const char *args[] = {key, now, until, limit, list.counties[i], count};
        if (rconn_append_eval(redis, &scripts_outbox_claim, 1, 6, args, NULL) != 0)
            break;
        appended++;
    }
    int sent = 0;
    bool failed = appended < list.count;
    for (size_t i = 0; i < appended; i++) {
        redisReply *r = rconn_reply(redis);
        if (!r) {
            failed = true;
            break;
        }
        if (r->type == REDIS_REPLY_ARRAY && r->elements >= 1) {
            list.empty[i] = r->element[0]->integer == 0;
            for (size_t j = 1; j + 1 < r->elements; j += 2) {
                const redisReply *blob = r->element[j + 1];
                if (outbox_send(self, (const uint8_t *)blob->str, blob->len) == 0) {
                    s_count(s_resent, self->hop);
                    sent++;
                }
            }
        } else if (r->type == REDIS_REPLY_ERROR) {
            log_error("outbox sweep failed", "hop", hop_name(self->hop), "county", list.counties[i],
                      "error", r->str, NULL);
        }
        freeReplyObject(r);
    }
    if (!failed && pending_forget(self->pending, redis, &list, now_ms) != 0)
        failed = true;
    pending_list_free(&list);
    return failed ? -1 : sent;
}

int outbox_sweep_all(outbox_t *const *outboxes, size_t count, rconn_t *redis, int64_t now_ms)
{
    int total = 0;
    for (size_t i = 0; i < count; i++) {
        int n = outbox_sweep(outboxes[i], redis, now_ms);
        if (n < 0)
            return -1;
        total += n;
    }
    return total;
}

int outbox_replay(rconn_t *redis, const char *parked, int64_t now_ms)
{
    const char *bar = strchr(parked, '|');
    char county[7], hop[32], dl[KEYS_MAX], ob[KEYS_MAX], now[24];
    if (!bar || (size_t)(bar - parked) >= sizeof hop || keys_county_of_id(bar + 1, county) != 0)
        return -1;
    snprintf(hop, sizeof hop, "%.*s", (int)(bar - parked), parked);
    if (hop_parse(hop) < 0)
        return -1;
    keys_deadletter(dl, county);
    keys_outbox(ob, county, hop);
    snprintf(now, sizeof now, "%lld", (long long)now_ms);
    const char *args[] = {dl, ob, parked, bar + 1, now};
    pending_t *pending = pending_new(hop, 0);
    if (!pending || pending_mark(pending, redis, county, now_ms) != 0) {
        pending_destroy(&pending);
        return -1;
    }
    pending_destroy(&pending);
    redisReply *r = rconn_eval(redis, &scripts_deadletter_replay, 2, 5, args, NULL);
    int rc = r && r->type == REDIS_REPLY_INTEGER ? (int)r->integer : -1;
    if (r)
        freeReplyObject(r);
    return rc;
}
