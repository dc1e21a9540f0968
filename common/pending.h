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
 * never from inside one, so every script still stays in its county's slot.
 *
 * Should the index ever lose a county (an operator deleting pending:*, a restore of an older
 * Redis), a sweeper also visits every county once at start and then every
 * PENDING_FULL_PASS_MS, marking again each county it finds with entries. */
#ifndef GRIDLINE_PENDING_H
#define GRIDLINE_PENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rconn.h"

typedef struct pending pending_t;

/* name: "router", "notifier", "aggregator" (outboxes) or "delivery". */
pending_t *pending_new(const char *name, int64_t grace_ms);
/* The grace gridline uses: twice the resend interval, at least 10 s. */
int64_t pending_grace_for(int64_t resend_after_ms);
void pending_destroy(pending_t **self_p);
int64_t pending_grace_ms(const pending_t *self);
/* Appends the mark of county (its reply is read and dropped by rconn) unless this object
 * marked it less than grace/2 ago. 0, or -1 if Redis is down. */
int pending_mark(pending_t *self, rconn_t *redis, const char *county, int64_t now_ms);
#define PENDING_FULL_PASS_MS (5 * 60 * 1000)

/* Every county there is (static storage, e.g. service_t.counties), for the full passes.
 * Without them a sweeper reads the index only. */
void pending_set_counties(pending_t *self, const char *const *counties, size_t count);

/* The counties of the index with their marks (ZRANGE WITHSCORES), or on a full pass every
 * county (marks unknown). */
typedef struct {
    size_t count;
    const char **counties;
    int64_t *marked_ms;
    bool *empty; /* the sweeper sets these: the county's set was found empty */
    bool full;   /* a full pass */
    redisReply *reply;
} pending_list_t;

/* 0, or -1 when Redis is down (list empty). Free with pending_list_free. */
int pending_list(pending_t *self, rconn_t *redis, int64_t now_ms, pending_list_t *list);
void pending_list_free(pending_list_t *list);
/* Whether the sweeper must learn if county i of list is empty: only a county this sweep may
 * forget (its mark older than the grace) or, on a full pass, may mark again. Asking for the
 * others would cost a command per county and tick under load. */
bool pending_wants_count(const pending_t *self, const pending_list_t *list, size_t i,
                         int64_t now_ms);
/* Forgets the counties of list found empty whose mark is older than now - grace (one script
 * call, only when there is one to forget: an idle tick costs nothing more). After a full
 * pass, marks the counties found with entries instead. */
int pending_forget(pending_t *self, rconn_t *redis, const pending_list_t *list, int64_t now_ms);

#endif
