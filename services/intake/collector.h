/* collector: intake's channel-agnostic core. Stores a checked appeal (appeal_create: the
 * appeal, its collected event and its outbox entries in one step) and passes the event on to
 * the router and the aggregator; knows nothing of HTTP, JSON or forms, so that every way in
 * (POST /v1/appeals, later Open311, NDJSON batches, a ZeroMQ gateway) shares it.
 * One collector per thread: it owns a Redis connection and the PUSH sockets of its hops. */
#ifndef GRIDLINE_COLLECTOR_H
#define GRIDLINE_COLLECTOR_H

#include "appeal.h"
#include "config.h"
#include "rconn.h"

typedef struct collector collector_t;

/* NULL on error (logged). instance names this process in envelopes. */
collector_t *collector_new(const config_t *config, const char *instance);
void collector_destroy(collector_t **self_p);
rconn_t *collector_redis(collector_t *self);
/* Stores appeal (checked: see rules.h) unless its idempotency key or external id was seen.
 * idempotency_key and fingerprint may be NULL. out->id is set for every result but
 * APPEAL_UNAVAILABLE and APPEAL_NO_FREE_ID. */
appeal_create_result_t collector_submit(collector_t *self, const Gridline__Appeal *appeal,
                                        const char *idempotency_key, const char *fingerprint,
                                        char id[KEYS_ID_MAX]);
/* Every county (static storage), for the sweeper's full passes (pending.h). */
void collector_set_counties(collector_t *self, const char *const *counties, size_t count);
/* Re-sends what the outboxes of its hops still hold. Entries re-sent, or -1 (Redis down). */
int collector_sweep(collector_t *self);

#endif
