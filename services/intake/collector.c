#include "collector.h"

#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "log.h"
#include "outbox.h"
#include "scripts.h"
#include "service.h"

enum { S_TO_ROUTER, S_TO_AGGREGATOR, S_OUTBOXES };

struct collector {
    const config_t *config;
    rconn_t *redis;
    outbox_t *outboxes[S_OUTBOXES];
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
    if (!self->redis || !self->outboxes[S_TO_ROUTER] || !self->outboxes[S_TO_AGGREGATOR]) {
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
    free(self);
    *self_p = NULL;
}

rconn_t *collector_redis(collector_t *self)
{
    return self->redis;
}

appeal_create_result_t collector_submit(collector_t *self, const Gridline__Appeal *appeal,
                                        const char *idempotency_key, const char *fingerprint,
                                        char id[KEYS_ID_MAX])
{
    int64_t now = clock_wall_ms();
    appeal_create_t in = {
        .appeal = appeal,
        .idempotency_key = idempotency_key,
        .fingerprint = fingerprint,
        .idempotency_ttl_s = self->config->intake_idempotency_ttl_s,
        .now_ms = now,
        .resend_at_ms = now + self->config->outbox_resend_after_ms,
        .outboxes = self->outboxes,
        .outbox_count = S_OUTBOXES,
    };
    appeal_created_t out;
    appeal_create_result_t result = appeal_create(self->redis, &in, &out);
    snprintf(id, KEYS_ID_MAX, "%s", out.id);
    if (result == APPEAL_CREATED && out.event) {
        /* the stored bytes; if a send fails, the event waits in its outbox */
        for (int i = 0; i < S_OUTBOXES; i++)
            outbox_send(self->outboxes[i], out.event, out.event_len);
        log_debug("appeal collected", "id", out.id, "channel", appeal->channel, "region",
                  appeal->region, NULL);
    }
    free(out.event);
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
