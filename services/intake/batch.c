#include "batch.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keys.h"
#include "metrics.h"

/* ---- parsing (pure) ---------------------------------------------------------------------- */

static bool s_blank(const char *line, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
            return false;
    return true;
}

/* The next line of body from *pos: its start and length without LF (and without a CR before
 * the LF). false at the end. */
static bool s_next_line(const char *body, size_t len, size_t *pos, const char **line,
                        size_t *line_len)
{
    if (*pos >= len)
        return false;
    const char *start = body + *pos;
    const char *lf = memchr(start, '\n', len - *pos);
    size_t n = lf ? (size_t)(lf - start) : len - *pos;
    *pos += n + (lf ? 1 : 0);
    if (n && start[n - 1] == '\r')
        n--;
    *line = start;
    *line_len = n;
    return true;
}

static void s_check_line(batch_line_t *bl, const char *line, size_t len,
                         const region_table_t *regions, const config_t *config)
{
    bl->sub = submission_parse(line, len, regions, config, &bl->err);
    if (bl->sub && !*submission_appeal(bl->sub)->external_id) {
        submission_destroy(&bl->sub);
        rules_fail(&bl->err, 400, "missing", "external_id",
                   "external_id is required in a batch, so that a re-import never doubles "
                   "appeals");
    }
}

batch_t *batch_parse(const char *body, size_t len, size_t max_lines, const region_table_t *regions,
                     const config_t *config, rules_error_t *err)
{
    memset(err, 0, sizeof *err);
    /* count first: a batch over the limit is refused whole, before any line is read */
    size_t pos = 0, count = 0, line_len;
    const char *line;
    while (s_next_line(body, len, &pos, &line, &line_len))
        if (!s_blank(line, line_len) && ++count > max_lines) {
            rules_fail(err, 413, "too_large", "body",
                       "the batch has more than %zu appeals (intake.max_batch_lines)", max_lines);
            return NULL;
        }
    batch_t *self = calloc(1, sizeof *self);
    if (self && count)
        self->lines = calloc(count, sizeof *self->lines);
    if (!self || (count && !self->lines)) {
        free(self);
        rules_fail(err, 503, "unavailable", NULL, "out of memory");
        return NULL;
    }
    pos = 0;
    for (size_t number = 1; s_next_line(body, len, &pos, &line, &line_len); number++) {
        if (s_blank(line, line_len))
            continue;
        batch_line_t *bl = &self->lines[self->count++];
        bl->line = number;
        s_check_line(bl, line, line_len, regions, config);
    }
    return self;
}

void batch_destroy(batch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    batch_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        submission_destroy(&self->lines[i].sub);
    free(self->lines);
    free(self);
    *self_p = NULL;
}

void batch_answer_id(jsonbuf_t *out, size_t line, const char *id, const char *result)
{
    jsonbuf_appendf(out, "{\"line\":%zu,", line);
    jsonbuf_kv(out, "id", id);
    jsonbuf_append(out, ",");
    jsonbuf_kv(out, "result", result);
    jsonbuf_append(out, "}\n");
}

void batch_answer_error(jsonbuf_t *out, size_t line, const rules_error_t *err)
{
    jsonbuf_appendf(out, "{\"line\":%zu,\"error\":{", line);
    jsonbuf_kv(out, "code", err->code ? err->code : "invalid");
    jsonbuf_append(out, ",\"field\":");
    if (err->field[0])
        jsonbuf_string(out, err->field);
    else
        jsonbuf_append(out, "null");
    jsonbuf_append(out, ",");
    jsonbuf_kv(out, "message", err->message);
    jsonbuf_append(out, "}}\n");
}

/* ---- the request ------------------------------------------------------------------------- */

/* intake's counters (gridline_intake_appeals_total, registered by intake_new at start-up: the
 * same name and labels give the same metric, so nothing is added while requests run). */
static pthread_once_t s_metrics_once = PTHREAD_ONCE_INIT;
static metric_t *s_created, *s_duplicate, *s_invalid, *s_unavailable;

static void s_metrics_init(void)
{
    const char *name = "gridline_intake_appeals_total", *help = "POST /v1/appeals by outcome";
    s_created = metrics_register(METRIC_COUNTER, name, "result=\"created\"", help);
    s_duplicate = metrics_register(METRIC_COUNTER, name, "result=\"duplicate\"", help);
    s_invalid = metrics_register(METRIC_COUNTER, name, "result=\"invalid\"", help);
    s_unavailable = metrics_register(METRIC_COUNTER, name, "result=\"unavailable\"", help);
}

/* The line on which the store step failed: after a timeout it may have been stored. */
static void s_unavailable_error(rules_error_t *err, rconn_t *redis)
{
    rules_fail(err, 503, "unavailable", NULL,
               "%s: this line may or may not be stored; send the batch again (stored lines "
               "answer duplicate)",
               redis ? rconn_errstr(redis) : "no redis connection");
}

void batch_post(collector_t *collector, const config_t *cfg, const region_table_t *regions,
                const auth_token_t *tok, const http_request_t *req, http_response_t *res)
{
    pthread_once(&s_metrics_once, s_metrics_init);
    if (strcmp(req->method, "POST") != 0) {
        http_response_error(res, 405, "method_not_allowed", NULL, "use POST /v1/appeals:batch");
        return;
    }
    if (http_request_require_type(req, res, "application/x-ndjson") != 0)
        return;
    /* httpd's own limit is the larger of intake.max_body and this one */
    if (req->body_len > (size_t)cfg->intake_max_batch_body) {
        http_response_error(res, 413, "too_large", "body",
                            "the batch exceeds %d bytes (intake.max_batch_body)",
                            cfg->intake_max_batch_body);
        return;
    }
    rules_error_t err;
    batch_t *batch = batch_parse(req->body, req->body_len, (size_t)cfg->intake_max_batch_lines,
                                 regions, cfg, &err);
    if (!batch) {
        http_response_error(res, err.status, err.code, err.field[0] ? err.field : NULL, "%s",
                            err.message);
        return;
    }
    /* the lines that pass every check go to Redis together: one pipelined round trip, a
     * script call per run of one county */
    collector_item_t *items = calloc(batch->count ? batch->count : 1, sizeof *items);
    size_t *item_of = calloc(batch->count ? batch->count : 1, sizeof *item_of);
    if (!items || !item_of) {
        free(items);
        free(item_of);
        batch_destroy(&batch);
        http_response_error(res, 503, "unavailable", NULL, "out of memory for the batch");
        return;
    }
    size_t nitems = 0;
    for (size_t i = 0; i < batch->count; i++) {
        batch_line_t *bl = &batch->lines[i];
        item_of[i] = SIZE_MAX;
        if (!bl->sub)
            continue;
        const Gridline__Appeal *appeal = submission_appeal(bl->sub);
        bool channel_ok = auth_allows_channel(tok, appeal->channel);
        if (!channel_ok || !auth_allows_region(tok, appeal->region)) {
            rules_fail(&bl->err, 403, "forbidden", channel_ok ? "region" : "channel",
                       "token '%s' may not submit %s", tok->name,
                       channel_ok ? "in this region" : "for this channel");
            continue;
        }
        items[nitems] = (collector_item_t){.appeal = appeal, .token = tok->name};
        item_of[i] = nitems++;
    }
    if (nitems)
        collector_submit_many(collector, cfg, items, nitems);

    jsonbuf_t out;
    jsonbuf_init(&out);
    size_t stored = 0;
    bool down = false;
    for (size_t i = 0; i < batch->count; i++) {
        batch_line_t *bl = &batch->lines[i];
        if (item_of[i] == SIZE_MAX) {
            metric_add(s_invalid, 1);
            batch_answer_error(&out, bl->line, &bl->err);
            continue;
        }
        collector_item_t *item = &items[item_of[i]];
        switch (item->result) {
        case APPEAL_CREATED:
            metric_add(s_created, 1);
            batch_answer_id(&out, bl->line, item->id, "created");
            stored++;
            break;
        case APPEAL_DUPLICATE:
        case APPEAL_REPLAYED: /* no idempotency key is given: not expected */
            metric_add(s_duplicate, 1);
            batch_answer_id(&out, bl->line, item->id, "duplicate");
            stored++;
            break;
        case APPEAL_UNAVAILABLE:
        case APPEAL_OUTCOME_UNKNOWN: /* its message says it may be stored; a re-import is safe */
            down = true;
            s_unavailable_error(&err, collector_redis(collector));
            metric_add(s_unavailable, 1);
            batch_answer_error(&out, bl->line, &err);
            break;
        default: { /* APPEAL_NO_FREE_ID: this county only */
            rules_error_t line_err;
            rules_fail(&line_err, 503, "unavailable", NULL,
                       "not stored: no free appeal id in the county today; try again later");
            metric_add(s_unavailable, 1);
            batch_answer_error(&out, bl->line, &line_err);
            break;
        }
        }
    }
    free(items);
    free(item_of);
    batch_destroy(&batch);
    if (down && stored == 0) {
        jsonbuf_release(&out);
        rconn_t *redis = collector_redis(collector);
        http_response_error(res, 503, "unavailable", NULL,
                            "%s; send the batch again shortly (stored lines answer duplicate)",
                            redis ? rconn_errstr(redis) : "no redis connection");
        http_response_header(res, "Retry-After", "1");
        return;
    }
    if (out.failed) {
        jsonbuf_release(&out);
        http_response_error(res, 503, "unavailable", NULL, "out of memory for the answer");
        return;
    }
    http_response_text(res, 200, "application/x-ndjson; charset=utf-8", out.data ? out.data : "");
    jsonbuf_release(&out);
}
