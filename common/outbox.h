/* outbox: the sending side of a reliable hop.
 *
 * A sender records "<appeal id>:<seq>" in outbox:{C}:<hop> in the same Lua step that creates
 * the event, then sends the event over ZeroMQ. The receiver consumes the entry in the same
 * step as it applies the event. Whatever is still in an outbox after resend_after was lost
 * on the way (a receiver died, a queue was full, no receiver was up): outbox_sweep finds it,
 * leases it, and sends it again. Duplicates are harmless: the receiver applies an event only
 * while its entry is still there. */
#ifndef GRIDLINE_OUTBOX_H
#define GRIDLINE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "rconn.h"

typedef void(outbox_send_fn)(void *arg, const char *hop, const char *member,
                             const uint8_t *event_blob, size_t event_len);

/* One pass over the outboxes of hop in every county (one pipelined round trip): leases at
 * most limit due entries per county until now_ms + lease_ms, and calls send for each.
 * Returns the number of entries re-sent, -1 if Redis could not be reached. */
int outbox_sweep(rconn_t *redis, const char *const *counties, size_t county_count, const char *hop,
                 int64_t now_ms, int lease_ms, int limit, outbox_send_fn *send, void *arg);

/* Wraps an event (packed, as stored) in an envelope for hop and sends it without blocking.
 * 0 sent; -1 not sent now (no receiver up, queue full): it stays in the outbox. */
int outbox_send_event(void *sock, const char *hop, const char *sender, const uint8_t *event_blob,
                      size_t event_len);
#endif
