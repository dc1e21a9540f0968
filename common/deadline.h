/* deadline: the clocks of open appeals, shared by every router.
 *
 * Each county's clocks are deadline:{C} (members "<id>|ack", "<id>|resolve", scored by when
 * they fall due), written by the scripts that change appeals (appeal_advance). A router finds
 * due clocks through an index of each county's earliest due time, so an idle tick is one
 * Redis call whatever the number of open appeals or counties:
 *
 *   {deadline}:index  zset  county -> earliest due time; may be earlier than the truth, never
 *                           later (a county visited too early costs one call and is settled)
 *   {deadline}:gen    hash  county -> writes that set a clock there
 *
 *  - a writer, after a script that set clocks in county C (due at the earliest D), marks C:
 *    HINCRBY gen C, then ZADD index LT D C (deadline_mark, in the same pipeline);
 *  - a router takes the counties due now with their scores and gens (deadline_due), leases
 *    the due clocks of each (deadline_lease.lua: a leased clock's score becomes the lease end,
 *    so no other router takes it until then; a clock that no longer runs is dropped), applies
 *    its decisions (appeal_advance: seq-checked, so a decision on an old state never applies),
 *    then settles the county at its next due time (deadline_settle.lua), unless its gen moved:
 *    a writer's mark after the router read the set either lowers the score after the settle or
 *    makes the settle refuse. A router that dies leaves its leased clocks to fall due again at
 *    the lease end, for any router.
 *  - a writer that dies between its script and its mark leaves a clock the index does not
 *    know: every router also visits every county at start and every DEADLINE_FULL_PASS_MS,
 *    lowering the index to each county's earliest clock. */
#ifndef GRIDLINE_DEADLINE_H
#define GRIDLINE_DEADLINE_H

#include <stddef.h>
#include <stdint.h>

#include "rconn.h"

#define DEADLINE_INDEX "{deadline}:index"
#define DEADLINE_GEN "{deadline}:gen"
#define DEADLINE_FULL_PASS_MS (5 * 60 * 1000)

/* Appends the mark of county for a clock due at due_ms (replies read and dropped by rconn).
 * 0 / -1. */
int deadline_mark(rconn_t *redis, const char *county, int64_t due_ms);

/* The counties due at now_ms, from the index. */
typedef struct {
    size_t count;
    const char **counties;
    const char **scores; /* as the index holds them */
    const char **gens;
    redisReply *index, *gen; /* the replies the strings live in */
} deadline_due_t;

/* At most max counties. 0 (count may be 0: one call), or -1 (Redis down). Free with
 * deadline_due_free. */
int deadline_due(rconn_t *redis, int64_t now_ms, size_t max, deadline_due_t *due);
void deadline_due_free(deadline_due_t *due);

/* Appends the lease of county's due clocks (at most max, leased until lease_until_ms). */
int deadline_lease_append(rconn_t *redis, const char *county, int64_t now_ms,
                          int64_t lease_until_ms, size_t max);
/* Reads one lease's reply: the caller frees *reply; members[i] and states[i] point into it
 * (states[i] an array of appeal_state_fields' values). *next_ms: the county's earliest clock
 * left, -1 if none. Returns the number of clocks leased, or -1 (Redis down or an error). */
long deadline_lease_read(rconn_t *redis, redisReply **reply, int64_t *next_ms,
                         const char ***members, const redisReply ***states);

/* Settles county at next_ms (-1: no clock left), if its index entry is still score and gen. */
int deadline_settle_append(rconn_t *redis, const char *county, const char *score, const char *gen,
                           int64_t next_ms);

/* The full pass: lowers the index to the earliest clock of each of count counties. Returns the
 * number of counties with clocks, or -1 (Redis down). */
long deadline_full_pass(rconn_t *redis, const char *const *counties, size_t count);

#endif
