/* tally: what one event adds to the counters (the aggregator's stats_apply, gridctl recount).
 *
 * Counters live in stats:{C}:<period>:<region> (see keys.h and docs/aggregator.md): one hash per
 * region (the county, township, village and, when the appeal names one, grid of the appeal) and
 * local day YYYYMMDD; the county's also per month YYYYMM (its monthly roll-up, written in the
 * same step: a province-wide year reads 12 hashes per county). On the event's day:
 *   ch:<channel>     +1 on collected
 *   cat:<category>   +1 on collected
 *   lvl:<level>      +1 each time an appeal is handed to a level: its first assignment, an
 *                    escalation, a reopening (one level up; at red, red again)
 *   esc:<reason>     +1 per escalation by reason code (ack_overdue, resolve_overdue, manual)
 *   escl:<level>     +1 per escalation by the level it climbed to
 *   fb:<verdict>     +1 per feedback (closed or reopened) by verdict
 *   ev:<type>        +1 for every event (ev:collected is the number of appeals)
 * On the cohort day (the local day of the appeal's first assignment, Event.assigned_at_ms):
 *   slot agg_asg (first by seq):        r:assigned
 *   slot agg_ack (first by seq):        r:ack, r:ack_on_time, dack:<bucket> (acknowledged or
 *                                       signed: a sign-for is the response)
 *   slot agg_res (first by seq):        r:res, r:res_on_time, dres:<bucket>
 *   slot agg_fb  (latest by seq):       r:fb, r:fb_sat, r:fb_solved
 *   slot agg_inv (invalidated):         r:invalid; and every other slot of the appeal taken back
 *                                       for good (an invalid call is out of the rates)
 * A slot holds one event per appeal (its seq and fields are kept in the appeal's hash, field
 * named after the slot): a better event for it takes the old one's fields back.
 * Also on the event's day: ret:<department> per return (returns per unit).
 * City and province figures are sums over their counties, made when read. */
#ifndef GRIDLINE_TALLY_H
#define GRIDLINE_TALLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "argv.h"
#include "event.h"
#include "keys.h"
#include "rconn.h"

#define TALLY_FIELDS 8
#define TALLY_SLOT_FIELDS 4
/* Duration buckets (upper bounds, seconds; the last is unbounded: "inf"). */
#define TALLY_BUCKETS 17
extern const long tally_bucket_bounds[TALLY_BUCKETS - 1];

typedef struct {
    char regions[4][16]; /* county, township, village, grid */
    size_t nregions;
    char day[9], month[7];
    char fields[TALLY_FIELDS][64];
    size_t nfields;
    char cohort_day[9], cohort_month[7]; /* "" when the event has no cohort */
    const char *slot; /* "agg_asg", "agg_ack", "agg_res", "agg_fb", "agg_inv", or NULL */
    bool slot_latest; /* the highest seq holds the slot (else the lowest) */
    uint32_t seq;
    char slot_fields[TALLY_SLOT_FIELDS][24];
    size_t nslot_fields;
} tally_t;

/* What event adds. 0, or -1 if its region is not a village or grid code (nothing counted). */
int tally_event(const Gridline__Event *event, tally_t *out);
/* The bucket of a duration: "60" .. "2592000" or "inf" (static storage). */
const char *tally_bucket(int64_t seconds);

/* One received event and what it adds. */
typedef struct {
    const char *member;      /* its outbox entry "<id>:<seq>" */
    const uint8_t *received; /* its bytes as received (compared with the stored event) */
    size_t received_len;
    const char *appeal_id;
    const tally_t *tally;
} tally_event_t;

/* Appends one stats_apply call (stats_apply.lua) for events of one county: each is counted
 * only while its aggregator outbox entry is there and its bytes are the stored event. 0, or
 * -1 (Redis down, out of memory). scratch is reused storage. */
int tally_apply_append(rconn_t *redis, argv_t *scratch, const char *county, int64_t now_ms,
                       const tally_event_t *events, size_t count);
/* The outcomes (hop_outcome_t) of count events. 0; -1 Redis down; -2 a script error (logged). */
int tally_apply_read(rconn_t *redis, size_t count, long long *outcomes);

#endif
