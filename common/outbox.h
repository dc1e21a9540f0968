/* outbox: the sending side of one reliable hop.
 *
 * A sender records "<appeal id>:<seq>" in outbox:{C}:<hop> in the same Lua step that creates
 * the event (the scripts of appeal.h take the outboxes to fill), then sends the event with
 * outbox_send. The receiver consumes the entry in the same step as it applies the event.
 * Whatever is still in an outbox after outbox.resend_after_ms was lost on the way (a receiver
 * died, a queue was full, no receiver was up): outbox_sweep finds it, leases it, and sends it
 * again. Duplicates are harmless: the receiver applies an event only while its entry is there.
 *
 * An outbox_t owns its PUSH socket (connected to every endpoint of the hop), its metrics and
 * its marks in the pending index (pending.h): before the script that adds an entry, the
 * sender calls outbox_mark for the county, so that sweeps visit only counties with entries.
 * Not thread-safe: one outbox_t per thread and hop (ZeroMQ sockets are single-threaded). */
#ifndef GRIDLINE_OUTBOX_H
#define GRIDLINE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "hop.h"
#include "rconn.h"

typedef struct outbox outbox_t;

/* Registers the hop metrics (call once at start-up, before threads: metrics are registered
 * single-threaded). */
void outbox_register_metrics(void);

/* NULL on error (logged). sender names this instance in envelopes. */
outbox_t *outbox_new(hop_t hop, const config_t *config, const char *sender);
void outbox_destroy(outbox_t **self_p);
/* Every county (static storage), for the sweeper's full passes (pending.h). */
void outbox_set_counties(outbox_t *self, const char *const *counties, size_t count);
/* outbox:{county}:<hop> into buf (KEYS_MAX bytes). */
void outbox_key(const outbox_t *self, const char *county, char *buf);
/* Marks county in the pending index, pipelined before the caller's script (pending.h). */
int outbox_mark(outbox_t *self, rconn_t *redis, const char *county, int64_t now_ms);
/* Wraps an event (packed, as stored) in an envelope and sends it without blocking.
 * 0 sent; -1 not sent now (no receiver up, queue full): it stays in the outbox. */
int outbox_send(outbox_t *self, const uint8_t *event, size_t len);
/* One pass over the counties the pending index names: leases due entries (at most
 * outbox.batch per county) and sends them again; forgets counties found empty. Returns the
 * number of entries re-sent, -1 if Redis could not be reached. */
int outbox_sweep(outbox_t *self, rconn_t *redis, int64_t now_ms);

/* outbox_sweep of each of count outboxes: entries re-sent in all, or -1 (Redis down). */
int outbox_sweep_all(outbox_t *const *outboxes, size_t count, rconn_t *redis, int64_t now_ms);

/* The dead-letter set (deadletter:{C}): entries that could not apply HOP_MAX_TRIES times.
 * outbox_replay puts "<hop>|<id>:<seq>" back into its outbox, due now, and marks the county.
 * 1 replayed, 0 no such parked entry, -1 Redis down or a bad member. */
int outbox_replay(rconn_t *redis, const char *parked, int64_t now_ms);

#endif
