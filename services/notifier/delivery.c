#include "delivery.h"

#include <stdio.h>
#include <string.h>

#include "hop.h"
#include "keys.h"
#include "log.h"
#include "scripts.h"

int delivery_accept_append(rconn_t *redis, argv_t *a, const char *county, int64_t lease_until_ms,
                           int64_t now_ms, long long version, const delivery_event_t *events,
                           size_t count)
{
    char outbox[KEYS_MAX], key[KEYS_MAX], body_key[KEYS_MAX], ver_key[KEYS_MAX], meta_key[KEYS_MAX],
        sent_key[KEYS_MAX];
    keys_outbox(outbox, county, hop_name(HOP_NOTIFIER));
    keys_delivery(key, county);
    keys_delivery_body(body_key, county);
    keys_subscription_version(ver_key, county);
    keys_delivery_part(meta_key, county, "meta");
    keys_delivery_part(sent_key, county, "sent");
    argv_reset(a);
    argv_add(a, outbox);
    argv_add(a, key);
    argv_add(a, body_key);
    argv_add(a, ver_key);
    argv_add(a, meta_key);
    argv_add(a, sent_key);
    argv_add(a, county);
    argv_add_int(a, lease_until_ms);
    argv_add_int(a, HOP_MAX_TRIES);
    argv_add_int(a, now_ms);
    argv_add_int(a, (long long)count);
    argv_add_int(a, version);
    for (size_t i = 0; i < count; i++) {
        const delivery_event_t *e = &events[i];
        argv_add(a, e->member);
        argv_addn(a, e->received, e->received_len);
        argv_add_int(a, (long long)e->count);
        for (size_t k = 0; k < e->count; k++) {
            const delivery_t *d = &e->deliveries[k];
            argv_add(a, d->member);
            argv_add(a, d->body);
            argv_add_int(a, d->hold_ms);
            argv_add_int(a, d->interval_ms);
        }
    }
    if (a->failed)
        return -1;
    return rconn_append_eval(redis, &scripts_notify_accept, 6, (int)a->count, a->args, a->lens);
}

int delivery_accept_read(rconn_t *redis, size_t count, long long *outcomes)
{
    redisReply *r = rconn_reply(redis);
    if (!r)
        return -1;
    if (r->type == REDIS_REPLY_INTEGER && r->integer == -100) {
        freeReplyObject(r);
        return -3;
    }
    return hop_parse_outcomes(r, scripts_notify_accept.name, count, false, outcomes, NULL);
}

int delivery_claim_append(rconn_t *redis, const char *county, int64_t now_ms,
                          int64_t lease_until_ms, int limit, bool count)
{
    char key[KEYS_MAX], body_key[KEYS_MAX], meta_key[KEYS_MAX], now[24], until[24], lim[16];
    keys_delivery(key, county);
    keys_delivery_body(body_key, county);
    keys_delivery_part(meta_key, county, "meta");
    snprintf(now, sizeof now, "%lld", (long long)now_ms);
    snprintf(until, sizeof until, "%lld", (long long)lease_until_ms);
    snprintf(lim, sizeof lim, "%d", limit);
    const char *args[] = {key, body_key, meta_key, now, until, lim, count ? "1" : "0"};
    return rconn_append_eval(redis, &scripts_delivery_claim, 3, 7, args, NULL);
}

/* KEYS delivery:{C}, body, meta, then the parts named */
static void s_keys(argv_t *a, const char *county, const char *const *parts, size_t n)
{
    char key[KEYS_MAX];
    keys_delivery(key, county);
    argv_add_copy(a, key, strlen(key));
    keys_delivery_body(key, county);
    argv_add_copy(a, key, strlen(key));
    for (size_t i = 0; i < n; i++) {
        keys_delivery_part(key, county, parts[i]);
        argv_add_copy(a, key, strlen(key));
    }
}

int delivery_settle_append(rconn_t *redis, argv_t *a, const char *county, int64_t now_ms,
                           int64_t max_age_ms, int64_t base_ms, int64_t cap_ms, int64_t repeat_ms,
                           const delivery_settle_t *items, size_t count)
{
    static const char *const parts[] = {"meta", "sent", "dead"};
    static const char *const outcomes[] = {"ok", "fail", "drop", "repeat"};
    argv_reset(a);
    s_keys(a, county, parts, 3);
    argv_add_int(a, now_ms);
    argv_add_int(a, max_age_ms);
    argv_add_int(a, base_ms);
    argv_add_int(a, cap_ms);
    argv_add_int(a, (long long)count);
    argv_add_int(a, repeat_ms);
    for (size_t i = 0; i < count; i++) {
        argv_add(a, items[i].member);
        argv_add(a, outcomes[items[i].outcome]);
        argv_add_int(a, items[i].jitter);
    }
    if (a->failed)
        return -1;
    return rconn_append_eval(redis, &scripts_delivery_settle, 5, (int)a->count, a->args, a->lens);
}

int delivery_replay_append(rconn_t *redis, argv_t *a, const char *county, int64_t now_ms,
                           bool replay, const char *const *members, size_t count)
{
    static const char *const parts[] = {"meta", "dead"};
    argv_reset(a);
    s_keys(a, county, parts, 2);
    argv_add_int(a, now_ms);
    argv_add(a, replay ? "replay" : "drop");
    for (size_t i = 0; i < count; i++)
        argv_add(a, members[i]);
    if (a->failed)
        return -1;
    return rconn_append_eval(redis, &scripts_delivery_replay, 4, (int)a->count, a->args, a->lens);
}
