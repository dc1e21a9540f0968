/* inbox: the receiving side of one reliable hop.
 *
 * An inbox_t owns the PULL socket bound to the hop's endpoint (frames over INBOX_MAX_FRAME
 * are refused by libzmq before they are allocated) and hands its service what has arrived,
 * as a batch of checked items: the envelope is for this hop and of a version this build
 * understands; the event decodes from exactly the bytes that travelled; its appeal id is well
 * formed and names the county; its region lies in that county. What fails a check is dropped
 * and counted by reason (gridline_inbox_dropped_total{hop,reason}); the log line for drops is
 * rate-limited. While Redis is down, frames are read and let go (reason "redis_down"): their
 * outbox entries bring them back.
 *
 * Checking the bytes against the stored event is the apply script's work (it reads
 * events:{C}:<id> in the same step): an item is what the wire claims, not yet a fact. */
#ifndef GRIDLINE_INBOX_H
#define GRIDLINE_INBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "event.h"
#include "hop.h"
#include "keys.h"

/* An event is a few hundred bytes; an envelope over this is not one of ours. */
#define INBOX_MAX_FRAME (256 * 1024)

typedef struct {
    Gridline__Event *event; /* decoded from raw */
    uint8_t *raw;           /* the event's bytes as received */
    size_t raw_len;
    char county[7];
    char member[KEYS_ID_MAX + 16]; /* "<id>:<seq>": its outbox entry */
} inbox_item_t;

typedef struct inbox inbox_t;

/* Binds the hop's endpoint. NULL on error (logged). */
inbox_t *inbox_new(hop_t hop, const config_t *config);
void inbox_destroy(inbox_t **self_p);
void *inbox_socket(inbox_t *self);
/* Reads without waiting up to max frames and returns how many items passed the checks, in
 * *items (owned by the inbox, valid until the next inbox_take or inbox_destroy). With drop
 * set every frame read is let go. */
size_t inbox_take(inbox_t *self, bool drop, size_t max, inbox_item_t **items);
/* Counts apply outcomes of this hop (gridline_<hop>_events_total{result}). */
void inbox_count(inbox_t *self, long long outcome, long long n);

#endif
