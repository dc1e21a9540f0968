/* tally: what one event adds to the counters.
 *
 * Counters live per region and local day in stats:{C}:<day>:<region> (see keys.h), for the
 * county, township, village and (when the appeal names one) grid of the appeal. Fields:
 *   ch:<channel>     +1 on collected
 *   cat:<category>   +1 on collected
 *   lvl:<level>      +1 each time an appeal is handed to a level: its first assignment, an
 *                    escalation, a reopening (one level up; at red, red again)
 *   esc:<reason>     +1 per escalation by reason code (ack_overdue, resolve_overdue, manual)
 *   fb:<verdict>     +1 per feedback (closed or reopened) by verdict
 *   ev:<type>        +1 for every event (ev:collected is the number of appeals)
 * City and province figures are sums over their counties, made when read. */
#ifndef GRIDLINE_TALLY_H
#define GRIDLINE_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "argv.h"
#include "event.h"
#include "keys.h"
#include "rconn.h"

#define TALLY_MAX 24

typedef struct {
    char key[KEYS_MAX];
    char field[64];
} tally_item_t;

/* Fills out with the (key, field) pairs to increment by one; returns how many, 0 if the
 * event's region is not a village or grid code. */
size_t tally_event(const Gridline__Event *event, tally_item_t *out, size_t max);

/* One received event and what it adds. */
typedef struct {
    const char *member;      /* its outbox entry "<id>:<seq>" */
    const uint8_t *received; /* its bytes as received (compared with the stored event) */
    size_t received_len;
    const tally_item_t *items;
    size_t count;
} tally_event_t;

/* Appends one stats_apply call (stats_apply.lua) for events of one county: each is counted
 * only while its aggregator outbox entry is there and its bytes are the stored event. 0, or
 * -1 (Redis down, out of memory). scratch is reused storage. */
int tally_apply_append(rconn_t *redis, argv_t *scratch, const char *county, int64_t now_ms,
                       const tally_event_t *events, size_t count);
/* The outcomes (hop_outcome_t) of count events. 0; -1 Redis down; -2 a script error (logged). */
int tally_apply_read(rconn_t *redis, size_t count, long long *outcomes);

#endif
