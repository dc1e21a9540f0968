/* delivery: the notifier's Redis steps, one typed call per script (notify_accept.lua,
 * delivery_claim.lua, delivery_settle.lua, delivery_replay.lua).
 *
 *   delivery:{C}        zset "<alert id>|<subscription id>" -> when to (re)try the POST
 *   delivery:{C}:body   hash the same -> the alert (JSON)
 *   delivery:{C}:meta   hash the same -> "<first queued ms>:<failed tries>:<leases>"
 *   delivery:{C}:sent   hash subscription id -> last sent (group_interval)
 *   delivery:{C}:dead   zset deliveries failing past notifier.max_age -> when
 * Calls are pipelined: append now, read the replies in order later (rconn tracks them). */
#ifndef GRIDLINE_DELIVERY_H
#define GRIDLINE_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "argv.h"
#include "rconn.h"

/* One delivery of an accepted event. */
typedef struct {
    const char *member;  /* "<alert id>|<subscription id>" */
    const char *body;    /* the alert */
    int64_t hold_ms;     /* 0: leased to the caller, sent now; else not before this */
    int64_t interval_ms; /* the subscription's group interval (held ones) */
} delivery_t;

/* One received event and the deliveries it makes. */
typedef struct {
    const char *member;      /* its notifier outbox entry "<id>:<seq>" */
    const uint8_t *received; /* its bytes as received (compared with the stored event) */
    size_t received_len;
    const delivery_t *deliveries;
    size_t count;
} delivery_event_t;

/* Appends one notify_accept call for events of one county, matched against subscriptions
 * version: each is accepted only while its outbox entry is there and its bytes are the stored
 * event; its deliveries are queued: the ones to send now leased until lease_until_ms (the
 * caller sends them), the held ones at their time. 0 or -1. */
int delivery_accept_append(rconn_t *redis, argv_t *scratch, const char *county,
                           int64_t lease_until_ms, int64_t now_ms, long long version,
                           const delivery_event_t *events, size_t count);
/* Outcomes (hop_outcome_t) of count events. 0; -1 Redis down; -2 a script error (logged); -3
 * the county's subscriptions are newer than version: nothing was done (load and retry). */
int delivery_accept_read(rconn_t *redis, size_t count, long long *outcomes);
/* Appends a lease of due deliveries of a county; its reply (read with rconn_reply) is
 * {n, member, body, first queued ms, repeat (0/1), ...}: n = 0 when the county has no delivery
 * left, -1 when count was not asked for. */
int delivery_claim_append(rconn_t *redis, const char *county, int64_t now_ms,
                          int64_t lease_until_ms, int limit, bool count);

typedef enum {
    DELIVERY_OK = 0,
    DELIVERY_FAILED,
    DELIVERY_DROP,
    DELIVERY_REPEAT /* taken; sent again after repeat_ms while its appeal is open at its level */
} delivery_outcome_t;
typedef struct {
    const char *member;
    delivery_outcome_t outcome;
    int jitter; /* 0..1000: where in 0.5x..1.5x of its backoff a failed one is tried again */
} delivery_settle_t;
/* Appends the outcomes of a county's sends; the reply is how many went to the dead letters. */
int delivery_settle_append(rconn_t *redis, argv_t *scratch, const char *county, int64_t now_ms,
                           int64_t max_age_ms, int64_t base_ms, int64_t cap_ms, int64_t repeat_ms,
                           const delivery_settle_t *items, size_t count);
/* Appends: a county's dead letters back into its deliveries (replay) or forgotten (!replay);
 * the reply is how many were dead letters. */
int delivery_replay_append(rconn_t *redis, argv_t *scratch, const char *county, int64_t now_ms,
                           bool replay, const char *const *members, size_t count);

#endif
