/* fuzz_gateway: one frame of intake's ZeroMQ gateway (gateway_check: a packed Submission,
 * decoded and checked with rules.h against the real region table and the default
 * configuration, as the gateway thread does). What it accepts must pack into a valid
 * protobuf Appeal; what it refuses must carry a code, a message and, unless the frame was not
 * a Submission at all, the request_id as sent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "intake/gateway.h"
#include "region.h"

static region_table_t *s_regions;
static config_t *s_config;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[256];
    /* make fuzz and make test run from the top of the tree */
    s_regions = region_table_load("data/regions-nmg.csv", err, sizeof err);
    s_config = config_new();
    if (!s_regions || !s_config) {
        fprintf(stderr, "fuzz_gateway: %s\n", s_regions ? "config_new failed" : err);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gateway_submission_t sub;
    rules_error_t err;
    if (gateway_check(data, size, s_regions, s_config, &sub, &err) == 0) {
        if (!sub.submission || !sub.has_request_id || strlen(sub.fingerprint) != 16)
            abort();
        size_t len = gridline__appeal__get_packed_size(&sub.appeal);
        uint8_t *buf = malloc(len ? len : 1);
        if (!buf || gridline__appeal__pack(&sub.appeal, buf) != len)
            abort();
        Gridline__Appeal *back = gridline__appeal__unpack(NULL, len, buf);
        if (!back || !*back->channel || !*back->region || !*back->category || !*back->description)
            abort();
        gridline__appeal__free_unpacked(back, NULL);
        free(buf);
    } else {
        if (!err.code || !err.message[0] || !memchr(err.field, '\0', sizeof err.field) ||
            !memchr(sub.request_id, '\0', sizeof sub.request_id))
            abort(); /* every refusal has a code and a message */
        if ((strcmp(err.code, "bad_frame") == 0) != (sub.submission == NULL))
            abort(); /* bad_frame exactly when the bytes are not a Submission */
    }
    gateway_submission_fini(&sub);
    return 0;
}
