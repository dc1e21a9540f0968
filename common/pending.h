/* pending: which counties may have entries waiting in a sorted set of theirs (an outbox, the
 * notifier's deliveries), so that a sweeper touches only those and an idle stack costs O(1)
 * Redis calls per tick, not one per county.
 *
 * The index is pending:<name>, a sorted set of county -> when a sender last marked it. It may
 * hold more counties than have entries (over-approximate), never fewer:
 *  - a sender marks its county (ZADD GT, in the same pipeline, before the script that adds
 *    the entry); it skips the mark while its own last mark of that county is younger than
 *    grace/2 (a per-object cache: losing it only costs a mark);
 *  - a sweeper that finds a county's set empty removes the county only if its mark is older
 *    than grace (pending_unmark.lua): a sender adding an entry now has marked it within the
 *    last grace/2, so its county stays. This holds while clocks of the hosts differ by less
 *    than grace/2 and a sender's mark and script are less than grace/2 apart.
 * The index key has no county tag: it is written by plain commands beside the scripts,
 * never from inside one, so every script still stays in its county's slot. */
#ifndef GRIDLINE_PENDING_H
#define GRIDLINE_PENDING_H

#include <stddef.h>
#include <stdint.h>

#include "rconn.h"

typedef struct pending pending_t;

/* name: "router", "notifier", "aggregator" (outboxes) or "delivery". */
pending_t *pending_new(const char *name, int64_t grace_ms);
void pending_destroy(pending_t **self_p);
int64_t pending_grace_ms(const pending_t *self);
/* Appends the mark of county (its reply is read and dropped by rconn) unless this object
 * marked it less than grace/2 ago. 0, or -1 if Redis is down. */
int pending_mark(pending_t *self, rconn_t *redis, const char *county, int64_t now_ms);
/* The counties of the index, as a reply (an array of strings) the caller frees; NULL when
 * Redis is down. */
redisReply *pending_counties(pending_t *self, rconn_t *redis);
/* Removes the counties found empty at now_ms, unless marked since now - grace (one call). */
int pending_unmark(pending_t *self, rconn_t *redis, const char *const *counties, size_t count,
                   int64_t now_ms);

#endif
