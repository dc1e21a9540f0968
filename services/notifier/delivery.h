/* delivery: the notifier's Redis steps, one typed call per script (notify_accept.lua,
 * delivery_claim.lua, delivery_done.lua).
 *
 *   delivery:{C}        zset "<alert id>|<subscription>" -> when to (re)try the POST
 *   delivery:{C}:body   hash "<alert id>|<subscription>" -> the JSON body
 * All calls are pipelined: append now, read the replies in order later (rconn tracks them). */
#ifndef GRIDLINE_DELIVERY_H
#define GRIDLINE_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "argv.h"
#include "rconn.h"

/* One received event and the deliveries it makes. */
typedef struct {
    const char *member;      /* its notifier outbox entry "<id>:<seq>" */
    const uint8_t *received; /* its bytes as received (compared with the stored event) */
    size_t received_len;
    char *const *deliveries; /* "<alert id>|<subscription>" */
    char *const *bodies;
    size_t count;
} delivery_event_t;

/* Appends one notify_accept call for events of one county, matched against subscriptions
 * version: each is accepted only while its outbox entry is there and its bytes are the stored
 * event; its deliveries are queued, leased until lease_until_ms (the caller POSTs them now).
 * 0 or -1. */
int delivery_accept_append(rconn_t *redis, argv_t *scratch, const char *county,
                           int64_t lease_until_ms, int64_t now_ms, long long version,
                           const delivery_event_t *events, size_t count);
/* Outcomes (hop_outcome_t) of count events. 0; -1 Redis down; -2 a script error (logged); -3
 * the county's subscriptions are newer than version: nothing was done (load and retry). */
int delivery_accept_read(rconn_t *redis, size_t count, long long *outcomes);
/* Appends a lease of due deliveries of a county; its reply (read with rconn_reply) is
 * {n, member, body, ...}: n = 0 when the county has no delivery left, -1 when count was not
 * asked for. */
int delivery_claim_append(rconn_t *redis, const char *county, int64_t now_ms,
                          int64_t lease_until_ms, int limit, bool count);
/* Appends: forget a delivery (done, or never deliverable). */
int delivery_done_append(rconn_t *redis, const char *county, const char *delivery);
/* Appends: try a delivery again at at_ms (only if it is still there). */
int delivery_retry_append(rconn_t *redis, const char *county, const char *delivery, int64_t at_ms);

#endif
