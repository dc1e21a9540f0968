/* fuzz_envelope: bytes off a ZeroMQ PULL socket (event_envelope_unwrap, and the raw walk that
 * finds the event's bytes, event_envelope_event_bytes), and the event blobs read back from
 * Redis (event_unpack). What unwrap accepts must have an event with an appeal id and a seq,
 * and pack again; the raw walk must stay inside the frame, and a wrap of some event bytes
 * must hand back exactly those bytes. */
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[160] = "";
    Gridline__Envelope *env = event_envelope_unwrap(data, size, err, sizeof err);
    if (env) {
        if (!env->event || !env->event->appeal_id || env->event->seq == 0)
            abort();
        (void)event_type_name(env->event->type);
        size_t len = 0;
        uint8_t *blob = event_pack(env->event, &len);
        if (!blob)
            abort();
        size_t wlen = 0;
        uint8_t *wrapped = event_envelope_wrap(env->hop ? env->hop : "",
                                               env->sender ? env->sender : "", blob, len, &wlen);
        if (!wrapped)
            abort();
        Gridline__Envelope *again = event_envelope_unwrap(wrapped, wlen, err, sizeof err);
        if (!again)
            abort();
        event_envelope_free(&again);
        free(wrapped);
        free(blob);
        event_envelope_free(&env);
    } else if (!memchr(err, '\0', sizeof err) || !err[0]) {
        abort();
    }
    const uint8_t *raw = NULL;
    size_t raw_len = 0;
    if (event_envelope_event_bytes(data, size, &raw, &raw_len) == 0 &&
        (raw < data || raw + raw_len > data + size))
        abort();
    size_t wlen = 0;
    uint8_t *wrapped = event_envelope_wrap("router", "fuzz", data, size, &wlen);
    if (!wrapped || event_envelope_event_bytes(wrapped, wlen, &raw, &raw_len) != 0 ||
        raw_len != size || memcmp(raw, data, size) != 0)
        abort();
    free(wrapped);
    Gridline__Event *ev = event_unpack(data, size);
    if (ev) {
        (void)event_type_name(ev->type);
        (void)event_level_name(ev->level);
        event_free(&ev);
    }
    return 0;
}
