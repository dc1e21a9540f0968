/* batch: POST /v1/appeals:batch, many appeals in one request (exports from WeChat groups,
 * meeting minutes, grid-visit apps that sync when back online).
 *
 * Body: Content-Type application/x-ndjson, one appeal per line, each exactly the JSON of
 * POST /v1/appeals (submission.h) and each with an external_id, so that a re-import never
 * doubles appeals. Lines end in LF (a CR before it is dropped); a last line without LF counts.
 * Line numbers are 1-based physical line numbers; blank lines (nothing but spaces, tabs, CR)
 * are skipped: they get no answer but keep their number.
 * Limits: intake.max_batch_body bytes and intake.max_batch_lines non-blank lines; over either
 * the whole request is 413 and nothing is stored.
 *
 * Answer: 200, application/x-ndjson, one line per non-blank input line, in order:
 *   {"line":n,"id":"…","result":"created"|"duplicate"}
 *   {"line":n,"error":{"code":…,"field":…,"message":…}}
 * Good lines are stored even when others fail; a line whose channel + external_id is already
 * an appeal of its county (or an earlier line of the same batch) answers that id, "duplicate".
 * Redis down: every good line not yet stored answers the error "unavailable"; when nothing at
 * all could be stored the whole answer is 503 instead. */
#ifndef GRIDLINE_BATCH_H
#define GRIDLINE_BATCH_H

#include <stddef.h>

#include "auth.h"
#include "collector.h"
#include "config.h"
#include "httpd.h"
#include "jsonbuf.h"
#include "region.h"
#include "rules.h"
#include "submission.h"

typedef struct {
    size_t line;       /* 1-based physical line number */
    submission_t *sub; /* the checked appeal, or NULL: err says why */
    rules_error_t err;
} batch_line_t;

typedef struct {
    batch_line_t *lines; /* the non-blank lines, in order */
    size_t count;
} batch_t;

/* Splits body into lines and checks each (submission_parse + a required external_id). Pure:
 * no Redis. NULL with err filled when the batch as a whole is refused (413 over max_lines
 * non-blank lines, 503 out of memory); a bad line is not an error of the batch. */
batch_t *batch_parse(const char *body, size_t len, size_t max_lines, const region_table_t *regions,
                     const config_t *config, rules_error_t *err);
void batch_destroy(batch_t **self_p);

/* One answer line, with its LF. result: "created" or "duplicate". */
void batch_answer_id(jsonbuf_t *out, size_t line, const char *id, const char *result);
void batch_answer_error(jsonbuf_t *out, size_t line, const rules_error_t *err);

/* The whole request: content type, limits, parse, store each good line (collector_submit),
 * answer. */
void batch_post(collector_t *collector, const config_t *config, const region_table_t *regions,
                const auth_token_t *token, const http_request_t *req, http_response_t *res);

#endif
