#include "delivery.h"

#include <stdio.h>

#include "hop.h"
#include "keys.h"
#include "log.h"
#include "scripts.h"

int delivery_accept_append(rconn_t *redis, argv_t *a, const char *county, int64_t lease_until_ms,
                           int64_t now_ms, long long version, const delivery_event_t *events,
                           size_t count)
{
    char outbox[KEYS_MAX], key[KEYS_MAX], body_key[KEYS_MAX], ver_key[KEYS_MAX];
    keys_outbox(outbox, county, hop_name(HOP_NOTIFIER));
    keys_delivery(key, county);
    keys_delivery_body(body_key, county);
    keys_subscription_version(ver_key, county);
    argv_reset(a);
    argv_add(a, outbox);
    argv_add(a, key);
    argv_add(a, body_key);
    argv_add(a, ver_key);
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
            argv_add(a, e->deliveries[k]);
            argv_add(a, e->bodies[k]);
        }
    }
    if (a->failed)
        return -1;
    return rconn_append_eval(redis, &scripts_notify_accept, 4, (int)a->count, a->args, a->lens);
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
    char key[KEYS_MAX], body_key[KEYS_MAX], now[24], until[24], lim[16];
    keys_delivery(key, county);
    keys_delivery_body(body_key, county);
    snprintf(now, sizeof now, "%lld", (long long)now_ms);
    snprintf(until, sizeof until, "%lld", (long long)lease_until_ms);
    snprintf(lim, sizeof lim, "%d", limit);
    const char *args[] = {key, body_key, now, until, lim, count ? "1" : "0"};
    return rconn_append_eval(redis, &scripts_delivery_claim, 2, 6, args, NULL);
}

int delivery_done_append(rconn_t *redis, const char *county, const char *delivery)
{
    char key[KEYS_MAX], body_key[KEYS_MAX];
    keys_delivery(key, county);
    keys_delivery_body(body_key, county);
    const char *args[] = {key, body_key, delivery};
    return rconn_append_eval(redis, &scripts_delivery_done, 2, 3, args, NULL);
}

int delivery_retry_append(rconn_t *redis, const char *county, const char *delivery, int64_t at_ms)
{
    char key[KEYS_MAX];
    keys_delivery(key, county);
    return rconn_append(redis, "ZADD %s XX %lld %s", key, (long long)at_ms, delivery);
}
