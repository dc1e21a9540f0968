/* hop: the table of gridline's reliable hops, and what a receiver's apply step can answer.
 *
 * A hop is named by its receiver: events for "router" travel in outbox:{C}:router and over
 * the ZeroMQ endpoint router.endpoint. Any service may send on any hop (see outbox.h); every
 * receiver instance binds the hop's endpoint (see inbox.h). */
#ifndef GRIDLINE_HOP_H
#define GRIDLINE_HOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "rconn.h"

typedef enum {
    HOP_ROUTER = 0,
    HOP_NOTIFIER,
    HOP_AGGREGATOR,
    HOP_COUNT,
} hop_t;

const char *hop_name(hop_t hop);
/* -1 if unknown */
int hop_parse(const char *name);
/* The hop's ZeroMQ endpoint(s) from the configuration (comma-separated for senders). */
const char *hop_endpoint(const config_t *config, hop_t hop);

/* What applying one received event did (the codes the Lua scripts return, lua/lib.lua). */
typedef enum {
    HOP_APPLIED = 1,   /* applied, its outbox entry consumed */
    HOP_DUPLICATE = 0, /* its outbox entry was already consumed: a second copy */
    HOP_STALE = -1,    /* the appeal is at another seq: tried again later, then parked */
    HOP_GONE = -2,     /* no such appeal or stored event: tried again later, then parked */
    HOP_FORGED = -3,   /* the bytes received are not the stored event: nothing changed */
    HOP_PARKED = -4,   /* could not apply max_tries times: moved to deadletter:{C} */
} hop_outcome_t;

#define HOP_OUTCOME_MIN (-4)
#define HOP_OUTCOME_COUNT 6
/* "applied", "duplicate", ...; "unknown" for other values */
const char *hop_outcome_name(long long outcome);

/* Reads the reply of one apply script (a flat array of count outcome codes, or, with pairs
 * set, count (code, seq) pairs into outcomes and seqs). 0; -1 Redis down; -2 an error reply
 * or another shape (logged, naming script). */
int hop_read_outcomes(rconn_t *redis, const char *script, size_t count, bool pairs,
                      long long *outcomes, uint32_t *seqs);
/* The same for a reply already read (freed here). */
int hop_parse_outcomes(redisReply *reply, const char *script, size_t count, bool pairs,
                       long long *outcomes, uint32_t *seqs);

/* How many times an entry may fail to apply (stale, gone) before it is parked. */
#define HOP_MAX_TRIES 5

#endif
