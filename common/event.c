#include "event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_types[] = {"unset",
                                "collected",
                                "assigned",
                                "acknowledged",
                                "escalated",
                                "resolved",
                                "feedback",
                                "reopened",
                                "transferred",
                                "closed",
                                "reminded",
                                "signed",
                                "returned",
                                "reassigned",
                                "arbitrated",
                                "extension_requested",
                                "extension_granted",
                                "extension_refused",
                                "urged",
                                "invalidated",
                                "warned"};
static const char *s_verdicts[] = {"unset", "satisfied", "basically_satisfied", "unsatisfied",
                                   "no_feedback"};
static const char *s_levels[] = {"unset", "green", "blue", "yellow", "red"};

#define S_COUNT(a) (int)(sizeof(a) / sizeof((a)[0]))

const char *event_verdict_name(Gridline__Verdict verdict)
{
    return (int)verdict >= 0 && (int)verdict < S_COUNT(s_verdicts) ? s_verdicts[verdict]
                                                                   : "unknown";
}

int event_verdict_parse(const char *name)
{
    for (int i = 1; name && i < S_COUNT(s_verdicts); i++)
        if (strcmp(s_verdicts[i], name) == 0)
            return i;
    return -1;
}

const char *event_type_name(Gridline__EventType type)
{
    return (int)type >= 0 && (int)type < S_COUNT(s_types) ? s_types[type] : "unknown";
}

int event_type_parse(const char *name)
{
    for (int i = 1; i < S_COUNT(s_types); i++)
        if (strcmp(name, s_types[i]) == 0)
            return i;
    return -1;
}

const char *event_level_name(Gridline__Level level)
{
    return (int)level >= 0 && (int)level < S_COUNT(s_levels) ? s_levels[level] : "unknown";
}

int event_level_parse(const char *name)
{
    for (int i = 1; i < S_COUNT(s_levels); i++)
        if (strcmp(name, s_levels[i]) == 0)
            return i;
    return -1;
}

uint8_t *event_pack(const Gridline__Event *event, size_t *len)
{
    size_t size = gridline__event__get_packed_size(event);
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return NULL;
    *len = gridline__event__pack(event, buf);
    return buf;
}

Gridline__Event *event_unpack(const uint8_t *data, size_t len)
{
    return gridline__event__unpack(NULL, len, data);
}

void event_free(Gridline__Event **event_p)
{
    if (event_p && *event_p) {
        gridline__event__free_unpacked(*event_p, NULL);
        *event_p = NULL;
    }
}

static size_t s_varint(uint8_t *out, uint64_t value)
{
    size_t n = 0;
    do {
        uint8_t byte = value & 0x7F;
        value >>= 7;
        out[n++] = byte | (value ? 0x80 : 0);
    } while (value);
    return n;
}

uint8_t *event_envelope_wrap(const char *hop, const char *sender, const uint8_t *event_blob,
                             size_t event_len, size_t *len)
{
    Gridline__Envelope envelope = GRIDLINE__ENVELOPE__INIT;
    envelope.version = EVENT_ENVELOPE_VERSION;
    envelope.hop = (char *)hop;
    envelope.sender = (char *)(sender ? sender : "");
    size_t head = gridline__envelope__get_packed_size(&envelope);
    /* field 3 (event), wire type 2: tag byte 0x1A, then the length as a varint. */
    uint8_t *buf = malloc(head + 1 + 10 + event_len);
    if (!buf)
        return NULL;
    size_t n = gridline__envelope__pack(&envelope, buf);
    buf[n++] = (3 << 3) | 2;
    n += s_varint(buf + n, event_len);
    memcpy(buf + n, event_blob, event_len);
    *len = n + event_len;
    return buf;
}

Gridline__Envelope *event_envelope_unwrap(const uint8_t *data, size_t len, char *err, size_t errlen)
{
    Gridline__Envelope *envelope = gridline__envelope__unpack(NULL, len, data);
    if (!envelope) {
        snprintf(err, errlen, "not a gridline envelope (%zu bytes)", len);
        return NULL;
    }
    if (envelope->version == 0 || envelope->version > EVENT_ENVELOPE_VERSION) {
        snprintf(err, errlen, "envelope version %u not understood (this build: 1..%d)",
                 envelope->version, EVENT_ENVELOPE_VERSION);
        gridline__envelope__free_unpacked(envelope, NULL);
        return NULL;
    }
    if (!envelope->event || !envelope->event->appeal_id || !*envelope->event->appeal_id ||
        envelope->event->seq == 0) {
        snprintf(err, errlen, "envelope carries no event with an appeal id and seq");
        gridline__envelope__free_unpacked(envelope, NULL);
        return NULL;
    }
    return envelope;
}

void event_envelope_free(Gridline__Envelope **envelope_p)
{
    if (envelope_p && *envelope_p) {
        gridline__envelope__free_unpacked(*envelope_p, NULL);
        *envelope_p = NULL;
    }
}

/* A varint at *p (below end): 0 and *p advanced, or -1 when truncated or too long. */
static int s_read_varint(const uint8_t **p, const uint8_t *end, uint64_t *value)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t byte = *(*p)++;
        v |= (uint64_t)(byte & 0x7F) << shift;
        if (!(byte & 0x80)) {
            *value = v;
            return 0;
        }
    }
    return -1;
}

int event_envelope_event_bytes(const uint8_t *data, size_t len, const uint8_t **event,
                               size_t *event_len)
{
    const uint8_t *p = data, *end = data + len;
    int found = -1;
    while (p < end) {
        uint64_t tag, n;
        if (s_read_varint(&p, end, &tag) != 0)
            return -1;
        switch (tag & 7) {
        case 0: /* varint */
            if (s_read_varint(&p, end, &n) != 0)
                return -1;
            break;
        case 1: /* 64-bit */
            if (end - p < 8)
                return -1;
            p += 8;
            break;
        case 2: /* length-delimited */
            if (s_read_varint(&p, end, &n) != 0 || n > (uint64_t)(end - p))
                return -1;
            if ((tag >> 3) == 3) {
                /* protobuf would merge two copies; a sender of gridline writes one */
                if (found == 0)
                    return -1;
                *event = p;
                *event_len = (size_t)n;
                found = 0;
            }
            p += n;
            break;
        case 5: /* 32-bit */
            if (end - p < 4)
                return -1;
            p += 4;
            break;
        default:
            return -1;
        }
    }
    return found;
}
