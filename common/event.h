/* event: the codec of Events and Envelopes (proto/gridline.proto): names, pack, unpack, wrap.
 * Pure: no sockets, no Redis (inbox.h receives, outbox.h sends).
 *
 * Envelope version: a receiver accepts versions 1..EVENT_ENVELOPE_VERSION and refuses newer
 * ones (see the rules at the top of the .proto). Unknown fields are skipped by protobuf-c. */
#ifndef GRIDLINE_EVENT_H
#define GRIDLINE_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gridline.pb-c.h"

#define EVENT_ENVELOPE_VERSION 1

const char *event_type_name(Gridline__EventType type);     /* "collected", ...; "unset" */
int event_type_parse(const char *name);                    /* -1 if unknown */
const char *event_level_name(Gridline__Level level);       /* "green", ...; "unset" */
int event_level_parse(const char *name);                   /* -1 if unknown */
const char *event_verdict_name(Gridline__Verdict verdict); /* "satisfied", ...; "unset" */
int event_verdict_parse(const char *name);                 /* -1 if unknown or "unset" */

/* Packs into a malloc'd buffer; NULL on OOM. */
uint8_t *event_pack(const Gridline__Event *event, size_t *len);
/* NULL if the bytes are not an Event. Free with event_free. */
Gridline__Event *event_unpack(const uint8_t *data, size_t len);
void event_free(Gridline__Event **event_p);

/* An envelope for hop around an event given as its packed bytes (as stored in Redis),
 * without unpacking it: protobuf lets a message field be written from its bytes. */
uint8_t *event_envelope_wrap(const char *hop, const char *sender, const uint8_t *event_blob,
                             size_t event_len, size_t *len);
/* Decodes and checks an envelope: NULL with a reason in err when it is not one, has a newer
 * version, or carries no event. */
Gridline__Envelope *event_envelope_unwrap(const uint8_t *data, size_t len, char *err,
                                          size_t errlen);
void event_envelope_free(Gridline__Envelope **envelope_p);

/* The bytes of the envelope's event field (3) exactly as they travelled, without decoding:
 * what a receiver decodes and compares with the stored event. 0, or -1 if the frame has no
 * such field, or more than one (which protobuf would merge into an event nobody stored). */
int event_envelope_event_bytes(const uint8_t *data, size_t len, const uint8_t **event,
                               size_t *event_len);

#endif
