#include "stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "clock.h"
#include "log.h"
#include "region.h"

#define STREAM_READ_COUNT 200

bool stream_carries(Gridline__EventType type)
{
    switch (type) {
    case GRIDLINE__EVENT_TYPE__EVENT_ASSIGNED:
    case GRIDLINE__EVENT_TYPE__EVENT_ESCALATED:
    case GRIDLINE__EVENT_TYPE__EVENT_REOPENED:
    case GRIDLINE__EVENT_TYPE__EVENT_TRANSFERRED:
    case GRIDLINE__EVENT_TYPE__EVENT_REMINDED:
    case GRIDLINE__EVENT_TYPE__EVENT_RETURNED:
    case GRIDLINE__EVENT_TYPE__EVENT_URGED:
        return true;
    default:
        return false;
    }
}

int stream_publish_append(rconn_t *redis, const Gridline__Event *event, const char *alert)
{
    return rconn_append_discard(redis, "XADD %s MAXLEN ~ %d * region %s level %s type %s data %s",
                                STREAM_KEY, STREAM_MAXLEN, event->region,
                                event_level_name(event->level), event_type_name(event->type),
                                alert);
}

bool stream_filter_passes(const stream_filter_t *filter, const char *region, const char *level)
{
    if (!region || !level || strncmp(region, filter->region, strlen(filter->region)) != 0)
        return false;
    int lv = event_level_parse(level);
    return lv > 0 && lv >= filter->min_level;
}

bool stream_id_valid(const char *id)
{
    size_t ms = strspn(id, "0123456789");
    if (ms == 0 || ms > 20)
        return false;
    if (id[ms] == '\0')
        return true;
    if (id[ms] != '-')
        return false;
    size_t seq = strspn(id + ms + 1, "0123456789");
    return seq > 0 && seq <= 20 && id[ms + 1 + seq] == '\0';
}

/* snprintf-like writing: counts every byte, stores those that fit. */
typedef struct {
    char *buf;
    size_t max, len;
} s_writer_t;

static void s_put(s_writer_t *w, const char *text, size_t n, bool strip_newlines)
{
    for (size_t i = 0; i < n; i++) {
        if (strip_newlines && (text[i] == '\r' || text[i] == '\n'))
            continue;
        if (w->len < w->max)
            w->buf[w->len] = text[i];
        w->len++;
    }
}

static void s_puts(s_writer_t *w, const char *text)
{
    s_put(w, text, strlen(text), false);
}

size_t stream_frame(char *buf, size_t max, const char *id, const char *event, const char *data)
{
    s_writer_t w = {buf, max, 0};
    s_puts(&w, "id: ");
    s_put(&w, id, strlen(id), true);
    s_puts(&w, "\nevent: ");
    s_put(&w, event, strlen(event), true);
    s_puts(&w, "\n");
    /* every line of data its own "data:" line (CR LF, CR and LF all end a line in SSE) */
    const char *p = data;
    for (;;) {
        size_t n = strcspn(p, "\r\n");
        s_puts(&w, "data: ");
        s_put(&w, p, n, false);
        s_puts(&w, "\n");
        p += n;
        if (!*p)
            break;
        p += (p[0] == '\r' && p[1] == '\n') ? 2 : 1;
    }
    s_puts(&w, "\n");
    if (max > 0)
        buf[w.len < max ? w.len : max - 1] = '\0';
    return w.len;
}

/* One client's stream: what it watches, where it is, what is not sent yet. */
typedef struct {
    rconn_t *redis; /* its own: the fn runs on whichever httpd thread resumes it */
    stream_filter_t filter;
    char last_id[48];
    int64_t heartbeat_ms, next_beat_ms;
    bool started;
    char *out; /* what is written but not yet sent: out[off..len) */
    size_t len, off, cap;
} s_client_t;

static void s_client_destroy(s_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    s_client_t *self = *self_p;
    rconn_destroy(&self->redis);
    free(self->out);
    free(self);
    *self_p = NULL;
}

/* A stream for filter, after last_id (NULL: after the newest entry now). NULL with *unavailable
 * set when Redis cannot be asked, or out of memory. */
static s_client_t *s_client_new(const config_t *cfg, const stream_filter_t *filter,
                                const char *last_id, bool *unavailable)
{
    *unavailable = false;
    s_client_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->filter = *filter;
    self->heartbeat_ms = cfg->notifier_stream_heartbeat_ms;
    self->next_beat_ms = clock_mono_ms() + self->heartbeat_ms;
    self->redis = service_redis_new(cfg);
    if (!self->redis) {
        s_client_destroy(&self);
        return NULL;
    }
    if (last_id) {
        snprintf(self->last_id, sizeof self->last_id, "%s", last_id);
        return self;
    }
    redisReply *r = rconn_command(self->redis, "XREVRANGE %s + - COUNT 1", STREAM_KEY);
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        if (r)
            freeReplyObject(r);
        *unavailable = true;
        s_client_destroy(&self);
        return NULL;
    }
    const redisReply *first = r->elements ? r->element[0] : NULL;
    snprintf(self->last_id, sizeof self->last_id, "%s",
             first && first->type == REDIS_REPLY_ARRAY && first->elements >= 1 &&
                     first->element[0]->type == REDIS_REPLY_STRING
                 ? first->element[0]->str
                 : "0-0");
    freeReplyObject(r);
    return self;
}

/* Adds text to what is to be sent. 0 or -1 (out of memory). */
static int s_reserve(s_client_t *self, size_t more)
{
    if (self->len + more <= self->cap)
        return 0;
    size_t cap = self->cap ? self->cap : 4096;
    while (cap < self->len + more)
        cap *= 2;
    char *out = realloc(self->out, cap);
    if (!out)
        return -1;
    self->out = out;
    self->cap = cap;
    return 0;
}

static int s_write(s_client_t *self, const char *text)
{
    size_t n = strlen(text);
    if (s_reserve(self, n) != 0)
        return -1;
    memcpy(self->out + self->len, text, n);
    self->len += n;
    return 0;
}

static const char *s_field(const redisReply *fields, const char *name)
{
    for (size_t i = 0; i + 1 < fields->elements; i += 2)
        if (fields->element[i]->type == REDIS_REPLY_STRING &&
            fields->element[i + 1]->type == REDIS_REPLY_STRING &&
            strcmp(fields->element[i]->str, name) == 0)
            return fields->element[i + 1]->str;
    return NULL;
}

/* The entries after last_id that pass the filter, framed into out. 0, or -1 (Redis down or out
 * of memory: tried again next call). */
static int s_fill(s_client_t *self)
{
    redisReply *r = rconn_command(self->redis, "XREAD COUNT %d STREAMS %s %s", STREAM_READ_COUNT,
                                  STREAM_KEY, self->last_id);
    if (!r)
        return -1;
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
        r->element[0]->type != REDIS_REPLY_ARRAY || r->element[0]->elements < 2 ||
        r->element[0]->element[1]->type != REDIS_REPLY_ARRAY) {
        int rc = r->type == REDIS_REPLY_NIL ? 0 : -1;
        if (r->type == REDIS_REPLY_ERROR)
            log_warn("live stream: XREAD failed", "error", r->str, NULL);
        freeReplyObject(r);
        return rc;
    }
    const redisReply *entries = r->element[0]->element[1];
    int rc = 0;
    for (size_t i = 0; i < entries->elements && rc == 0; i++) {
        const redisReply *e = entries->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 ||
            e->element[0]->type != REDIS_REPLY_STRING || e->element[1]->type != REDIS_REPLY_ARRAY)
            continue;
        const char *id = e->element[0]->str, *data = s_field(e->element[1], "data");
        const char *type = s_field(e->element[1], "type");
        if (data && type &&
            stream_filter_passes(&self->filter, s_field(e->element[1], "region"),
                                 s_field(e->element[1], "level"))) {
            if (s_reserve(self, stream_frame(NULL, 0, id, type, data) + 1) != 0) {
                rc = -1;
                break;
            }
            self->len += stream_frame(self->out + self->len, self->cap - self->len, id, type, data);
        }
        snprintf(self->last_id, sizeof self->last_id, "%s", id);
    }
    freeReplyObject(r);
    return rc;
}

static ssize_t s_copy(s_client_t *self, char *buf, size_t max)
{
    size_t n = self->len - self->off < max ? self->len - self->off : max;
    memcpy(buf, self->out + self->off, n);
    self->off += n;
    if (self->off == self->len)
        self->off = self->len = 0;
    return (ssize_t)n;
}

/* http_stream_fn: what is pending, else new entries, else a heartbeat when due, else 0. */
static ssize_t s_client_read(void *arg, char *buf, size_t max)
{
    s_client_t *self = arg;
    if (self->off < self->len)
        return s_copy(self, buf, max);
    if (!self->started) {
        char retry[32];
        snprintf(retry, sizeof retry, "retry: %d\n\n", STREAM_RETRY_MS);
        if (s_write(self, retry) != 0)
            return -1;
        self->started = true;
        return s_copy(self, buf, max);
    }
    s_fill(self); /* Redis down: nothing now, tried again next call */
    int64_t now = clock_mono_ms();
    if (self->heartbeat_ms > 0 && now >= self->next_beat_ms) {
        self->next_beat_ms = now + self->heartbeat_ms;
        if (s_write(self, ": heartbeat\n\n") != 0)
            return -1;
    }
    return self->len > 0 ? s_copy(self, buf, max) : 0;
}

static void s_free(void *arg)
{
    s_client_t *self = arg;
    s_client_destroy(&self);
}

static void s_cors(const config_t *cfg, http_response_t *res)
{
    if (!*cfg->notifier_cors_origin)
        return;
    http_response_header(res, "Access-Control-Allow-Origin", cfg->notifier_cors_origin);
    http_response_header(res, "Vary", "Origin");
}

/* The request's token: the usual headers, else ?access_token= for a token that may not read
 * contacts (a URL lands in logs and histories). 0 with *tok filled, else answered and -1. */
static int s_token(const config_t *cfg, rconn_t *redis, const http_request_t *req,
                   http_response_t *res, auth_token_t *tok)
{
    const char *secret = http_request_arg(req, "access_token");
    if (auth_secret(req) || !secret || !*secret)
        return auth_request(cfg, redis, req, res, tok);
    auth_result_t found = auth_lookup(cfg, redis, secret, tok);
    if (found == AUTH_UNKNOWN) {
        http_response_error(res, 401, "unauthorized", "access_token", "unknown or revoked token");
        return -1;
    }
    if (found != AUTH_OK) {
        http_response_error(res, 503, "unavailable", NULL, "cannot check the token now");
        http_response_header(res, "Retry-After", "1");
        return -1;
    }
    if (tok->contacts) {
        http_response_error(res, 403, "forbidden", "access_token",
                            "token '%s' may read contacts: send it in the Authorization header, "
                            "never in a URL",
                            tok->name);
        return -1;
    }
    int over = auth_rate(cfg, redis, tok);
    if (over != 0) {
        http_response_error(res, over > 0 ? 429 : 503, over > 0 ? "rate_limited" : "unavailable",
                            "access_token", "token '%s': %s", tok->name,
                            over > 0 ? "over its rate; slow down" : "try again shortly");
        http_response_header(res, "Retry-After", "1");
        return -1;
    }
    return 0;
}

/* The client's filter from the query, within the token's region. 0, else answered and -1. */
static int s_filter(service_t *svc, const auth_token_t *tok, const http_request_t *req,
                    http_response_t *res, stream_filter_t *filter)
{
    memset(filter, 0, sizeof *filter);
    const char *region = http_request_arg(req, "region");
    if (region && *region) {
        const region_t *known = NULL;
        if (strlen(region) >= sizeof filter->region ||
            region_query(svc->regions, region, &known) < 0) {
            http_response_error(res, 400, "invalid", "region", "'%.20s' is not a known region",
                                region);
            return -1;
        }
        if (!auth_allows_region(tok, region)) {
            auth_forbid(res, tok, "region", "watch outside its region");
            return -1;
        }
        snprintf(filter->region, sizeof filter->region, "%s", region);
    } else {
        snprintf(filter->region, sizeof filter->region, "%s", tok->region);
    }
    const char *level = http_request_arg(req, "min_level");
    filter->min_level = GRIDLINE__LEVEL__LEVEL_GREEN;
    if (level) {
        int lv = event_level_parse(level);
        if (lv < GRIDLINE__LEVEL__LEVEL_GREEN || lv > GRIDLINE__LEVEL__LEVEL_RED) {
            http_response_error(res, 400, "invalid", "min_level",
                                "min_level must be green, blue, yellow or red");
            return -1;
        }
        filter->min_level = lv;
    }
    return 0;
}

static void s_handle(service_t *svc, const config_t *cfg, rconn_t *redis, const http_request_t *req,
                     http_response_t *res)
{
    s_cors(cfg, res);                          /* on refusals too: the page can read why */
    if (strcmp(req->method, "OPTIONS") == 0) { /* a browser's preflight: no token on it */
        http_response_text(res, 204, "text/plain", "");
        http_response_header(res, "Access-Control-Allow-Methods", "GET, OPTIONS");
        http_response_header(res, "Access-Control-Allow-Headers",
                             "Authorization, X-Api-Key, Last-Event-ID, Cache-Control");
        http_response_header(res, "Access-Control-Max-Age", "600");
        return;
    }
    if (strcmp(req->method, "GET") != 0) {
        http_response_error(res, 405, "method_not_allowed", NULL, "GET or OPTIONS /v1/stream");
        return;
    }
    auth_token_t tok;
    stream_filter_t filter;
    if (auth_host(cfg, req, res) != 0 || s_token(cfg, redis, req, res, &tok) != 0 ||
        s_filter(svc, &tok, req, res, &filter) != 0)
        return;
    const char *field = "Last-Event-ID";
    const char *last = http_request_header(req, "Last-Event-ID");
    if (!last || !*last) {
        field = "last_event_id";
        last = http_request_arg(req, "last_event_id");
    }
    if (last && !*last)
        last = NULL;
    if (last && !stream_id_valid(last)) {
        http_response_error(res, 400, "invalid", field,
                            "'%.48s' is not a stream id (an id: line of this stream)", last);
        return;
    }
    bool unavailable = false;
    s_client_t *stream = s_client_new(cfg, &filter, last, &unavailable);
    if (!stream) {
        http_response_error(res, 503, "unavailable", NULL, "%s; try again shortly",
                            unavailable ? "Redis cannot be reached" : "out of memory");
        http_response_header(res, "Retry-After", "1");
        return;
    }
    http_response_stream(res, 200, "text/event-stream", s_client_read, stream, s_free);
    http_response_header(res, "Cache-Control", "no-cache");
    http_response_header(res, "X-Accel-Buffering", "no");
}

void stream_handle(service_t *svc, rconn_t *redis, const http_request_t *req, http_response_t *res)
{
    config_t *cfg = service_config(svc);
    s_handle(svc, cfg, redis, req, res);
    config_release(&cfg);
}
