/* collector: intake's channel-agnostic core. Stores a checked appeal (appeal_create: the
 * appeal, its collected event and its outbox entries in one step) and passes the event on to
 * the router and the aggregator; knows nothing of HTTP, JSON or forms, so that every way in
 * (POST /v1/appeals, later Open311, NDJSON batches, a ZeroMQ gateway) shares it.
 * One collector per thread: it owns a Redis connection and the PUSH sockets of its hops. */
#ifndef GRIDLINE_COLLECTOR_H
#define GRIDLINE_COLLECTOR_H

#include "appeal.h"
#include "lifecycle.h"
#include "config.h"
#include "rconn.h"

typedef struct collector collector_t;

/* NULL on error (logged). instance names this process in envelopes. */
collector_t *collector_new(const config_t *config, const char *instance);
void collector_destroy(collector_t **self_p);
rconn_t *collector_redis(collector_t *self);
/* Stores appeal (checked: see rules.h) unless its idempotency key or external id was seen;
 * config's rules may change its category (the submitted one is kept) and its starting level.
 * idempotency_key and fingerprint may be NULL. out->id is set for every result but
 * APPEAL_UNAVAILABLE and APPEAL_NO_FREE_ID. match_repeat: a resident's call again about an
 * order still open (workorder.repeat_window) answers APPEAL_REPEAT_CALL with that order's id,
 * storing nothing, in the same script call (no extra round trip). */
appeal_create_result_t collector_submit(collector_t *self, const config_t *config,
                                        const Gridline__Appeal *appeal, const char *token,
                                        const char *idempotency_key, const char *fingerprint,
                                        bool match_repeat, char id[KEYS_ID_MAX]);
/* One appeal of collector_submit_many: what to store, and (set by the call) its outcome. */
typedef struct {
    const Gridline__Appeal *appeal; /* checked */
    const char *idempotency_key;    /* or NULL */
    const char *fingerprint;        /* or NULL */
    const char *token;              /* the API token's name, or NULL */
    appeal_create_result_t result;
    char id[KEYS_ID_MAX];
} collector_item_t;
/* collector_submit for count appeals in one round trip to Redis (their appeal_create calls
 * pipelined): when it returns, every item's result is set, and every CREATED, REPLAYED or
 * DUPLICATE one is in Redis. */
void collector_submit_many(collector_t *self, const config_t *config, collector_item_t *items,
                           size_t count);

typedef enum {
    COLLECTOR_ACTED = 1,          /* applied: out holds the appeal after it */
    COLLECTOR_REPLAYED,           /* the Idempotency-Key was seen with the same request */
    COLLECTOR_KEY_REUSED,         /* the key was seen with another request */
    COLLECTOR_NOT_FOUND,          /* no such appeal */
    COLLECTOR_NOT_ASSIGNED,       /* still collected */
    COLLECTOR_INVALID_STATE,      /* not allowed from the current status (out->state) */
    COLLECTOR_CONFLICT,           /* another change won the race (out->state: the new state) */
    COLLECTOR_UNKNOWN_DEPARTMENT, /* transfer to no department */
    COLLECTOR_FORBIDDEN,          /* the appeal is outside the token's region */
    COLLECTOR_UNAVAILABLE = -1,   /* Redis down */
} collector_act_result_t;

typedef struct {
    appeal_state_t state;   /* as read: the current state when the action was refused */
    appeal_status_t status; /* after the action (or as replayed) */
    Gridline__Level level;
    char assignee[ROUTING_ASSIGNEE_MAX];
    char department[65];
    uint32_t seq;
    int64_t ack_deadline_ms, resolve_deadline_ms;
} collector_acted_t;

/* Applies an action on appeal id, decided with config's routing and ladder, in one step
 * (appeal_advance: applied only at the seq it was decided on, so two racing actions cannot
 * both win), and passes its event to the notifier and the aggregator. */
/* region: the token's prefix ("" everywhere): an appeal outside it is COLLECTOR_FORBIDDEN. */
collector_act_result_t collector_act(collector_t *self, const config_t *config, const char *region,
                                     const char *id, const lifecycle_input_t *input,
                                     const char *idempotency_key, const char *fingerprint,
                                     collector_acted_t *out);

/* Every county (static storage), for the sweeper's full passes (pending.h). */
void collector_set_counties(collector_t *self, const char *const *counties, size_t count);
/* Re-sends what the outboxes of its hops still hold. Entries re-sent, or -1 (Redis down). */
int collector_sweep(collector_t *self);

#endif
