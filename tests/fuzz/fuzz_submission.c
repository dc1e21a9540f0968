/* fuzz_submission: the JSON body of POST /v1/appeals (submission_parse), checked against the
 * real region table and the default configuration, as intake does. What it accepts must pack
 * into a valid protobuf Appeal. The Idempotency-Key and RFC 3339 checks read the same bytes. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "intake/submission.h"
#include "region.h"

static region_table_t *s_regions;
static config_t *s_config;

/* Digits where RFC 3339 has digits: what submission_parse_time may accept at all. */
static bool s_rfc3339_shape(const char *t)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == 'd' ? !isdigit((unsigned char)t[i]) : t[i] != shape[i])
            return false;
    const char *p = t + 19;
    if (*p == '.') {
        if (!isdigit((unsigned char)*++p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'Z' || *p == 'z')
        return p[1] == '\0';
    return (*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
           isdigit((unsigned char)p[2]) && p[3] == ':' && isdigit((unsigned char)p[4]) &&
           isdigit((unsigned char)p[5]) && p[6] == '\0';
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[256];
    /* make fuzz and make test run from the top of the tree */
    s_regions = region_table_load("data/regions-nmg.csv", err, sizeof err);
    s_config = config_new();
    if (!s_regions || !s_config) {
        fprintf(stderr, "fuzz_submission: %s\n", s_regions ? "config_new failed" : err);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    submission_error_t err;
    submission_t *sub = submission_parse((const char *)data, size, s_regions, s_config, &err);
    if (sub) {
        Gridline__Appeal *appeal = submission_appeal(sub);
        if (!appeal || !submission_village(sub))
            abort();
        size_t len = gridline__appeal__get_packed_size(appeal);
        uint8_t *buf = malloc(len ? len : 1);
        if (!buf || gridline__appeal__pack(appeal, buf) != len)
            abort();
        Gridline__Appeal *back = gridline__appeal__unpack(NULL, len, buf);
        if (!back)
            abort();
        gridline__appeal__free_unpacked(back, NULL);
        free(buf);
        submission_destroy(&sub);
    } else if (err.status < 400 || err.status > 599 || !err.code || !err.message[0] ||
               !memchr(err.field, '\0', sizeof err.field) ||
               !memchr(err.message, '\0', sizeof err.message)) {
        abort(); /* every refusal is a 4xx/5xx with a code and a message */
    }

    char fp[17];
    submission_fingerprint((const char *)data, size, fp);
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    submission_check_idempotency_key(text);
    int64_t ms;
    if (submission_parse_time(text, &ms) == 0 && !s_rfc3339_shape(text))
        abort(); /* accepted a time that is not YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM) */
    free(text);
    return 0;
}
