/* fuzz_batch: the NDJSON body of POST /v1/appeals:batch (batch_parse: splitting into lines,
 * each checked by submission_parse, external_id required) and its answer lines, against the
 * real region table and the default configuration, with a small line limit so that the 413
 * is reached too. Every non-blank line gets exactly one answer line, in order, numbered by
 * its physical line; every answer line is one JSON object naming that number. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "intake/batch.h"
#include "jsonbuf.h"
#include "region.h"

#define S_MAX_LINES 16

static region_table_t *s_regions;
static config_t *s_config;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[256];
    s_regions = region_table_load("data/regions-nmg.csv", err, sizeof err);
    s_config = config_new();
    if (!s_regions || !s_config) {
        fprintf(stderr, "fuzz_batch: %s\n", s_regions ? "config_new failed" : err);
        abort();
    }
    return 0;
}

/* Physical lines of the body (as batch.h counts them): LFs, plus one for a last line without. */
static size_t s_physical_lines(const uint8_t *data, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < size; i++)
        n += data[i] == '\n';
    return n + (size && data[size - 1] != '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rules_error_t err;
    batch_t *batch = batch_parse((const char *)data, size, S_MAX_LINES, s_regions, s_config, &err);
    if (!batch) {
        if ((err.status != 413 && err.status != 503) || !err.code || !err.message[0])
            abort(); /* the batch as a whole is refused only when too large (or no memory) */
        return 0;
    }
    if (batch->count > S_MAX_LINES)
        abort();
    size_t physical = s_physical_lines(data, size), last = 0;
    jsonbuf_t out;
    jsonbuf_init(&out);
    for (size_t i = 0; i < batch->count; i++) {
        const batch_line_t *bl = &batch->lines[i];
        if (bl->line <= last || bl->line > physical)
            abort(); /* numbers rise and name a line that exists */
        last = bl->line;
        if (bl->sub) {
            const Gridline__Appeal *a = submission_appeal(bl->sub);
            if (!a || !a->external_id || !*a->external_id || !submission_village(bl->sub))
                abort();
            batch_answer_id(&out, bl->line, "150123-20261124-000001",
                            i % 2 ? "created" : "duplicate");
        } else {
            if (bl->err.status < 400 || bl->err.status > 599 || !bl->err.code ||
                !bl->err.message[0] || !memchr(bl->err.field, '\0', sizeof bl->err.field))
                abort();
            batch_answer_error(&out, bl->line, &bl->err);
        }
    }
    if (out.failed)
        abort();
    /* one JSON object per answer line, naming its input line */
    size_t n = 0;
    for (const char *p = out.data; p && *p; n++) {
        const char *lf = strchr(p, '\n');
        if (!lf || n >= batch->count)
            abort();
        json_error_t jerr;
        json_t *o = json_loadb(p, (size_t)(lf - p), 0, &jerr);
        json_t *line = o ? json_object_get(o, "line") : NULL;
        if (!json_is_object(o) || !json_is_integer(line) ||
            (size_t)json_integer_value(line) != batch->lines[n].line ||
            !(json_object_get(o, "id") || json_object_get(o, "error")))
            abort();
        json_decref(o);
        p = lf + 1;
    }
    if (n != batch->count)
        abort();
    jsonbuf_release(&out);
    batch_destroy(&batch);
    return 0;
}
