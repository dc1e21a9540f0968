#include "outbox.h"

#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "event.h"
#include "keys.h"
#include "log.h"
#include "scripts.h"
#include "zsock.h"

int outbox_sweep(rconn_t *redis, const char *const *counties, size_t county_count, const char *hop,
                 int64_t now_ms, int lease_ms, int limit, outbox_send_fn *send, void *arg)
{
    char key[KEYS_MAX], now[24], until[24], lim[16];
    snprintf(now, sizeof now, "%lld", (long long)now_ms);
    snprintf(until, sizeof until, "%lld", (long long)(now_ms + lease_ms));
    snprintf(lim, sizeof lim, "%d", limit);
    size_t appended = 0;
    for (size_t i = 0; i < county_count; i++) {
        keys_outbox(key, counties[i], hop);
        const char *args[] = {key, now, until, lim, counties[i]};
        if (rconn_append_eval(redis, &scripts_outbox_claim, 1, 5, args, NULL) != 0)
            break;
        appended++;
    }
    int sent = 0;
    bool failed = appended < county_count;
    for (size_t i = 0; i < appended; i++) {
        redisReply *r = rconn_reply(redis);
        if (!r) {
            failed = true;
            break;
        }
        if (r->type == REDIS_REPLY_ARRAY) {
            for (size_t j = 0; j + 1 < r->elements; j += 2) {
                const redisReply *member = r->element[j], *blob = r->element[j + 1];
                if (blob->len == 0) {
                    log_warn("outbox entry without its event dropped", "hop", hop, "member",
                             member->str, NULL);
                    continue;
                }
                send(arg, hop, member->str, (const uint8_t *)blob->str, blob->len);
                sent++;
            }
        } else if (r->type == REDIS_REPLY_ERROR) {
            log_error("outbox sweep failed", "hop", hop, "county", counties[i], "error", r->str,
                      NULL);
        }
        freeReplyObject(r);
    }
    return failed ? -1 : sent;
}

int outbox_send_event(void *sock, const char *hop, const char *sender, const uint8_t *event_blob,
                      size_t event_len)
{
    size_t len = 0;
    uint8_t *frame = event_envelope_wrap(hop, sender, event_blob, event_len, &len);
    if (!frame)
        return -1;
    int rc = sock ? zsock_send(sock, frame, len) : -1;
    free(frame);
    return rc;
}
