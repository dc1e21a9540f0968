#include "gateway.h"

#include "auth.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "auth.h"
#include "collector.h"
#include "gsock.h"
#include "hash.h"
#include "log.h"
#include "metrics.h"
#include "utf8.h"

#define S_MAX_ENVELOPE 4 /* frames before the payload: identity (+ an empty delimiter) */

/* ---- checking one frame ---------------------------------------------------------------- */

/* The last top-level field 4 (request_id, length-delimited) of bytes that may not decode as
 * a Submission: walks the wire format as far as it is well formed. 1 found, 0 not. */
static int s_scan_request_id(const uint8_t *p, size_t len, char *out, size_t size)
{
    size_t i = 0;
    int found = 0;
    while (i < len) {
        uint64_t key = 0, value = 0;
        int shift = 0;
        do {
            if (i >= len || shift > 63)
                return found;
            key |= (uint64_t)(p[i] & 0x7F) << shift;
            shift += 7;
        } while (p[i++] & 0x80);
        switch (key & 7) {
        case 0:
            do {
                if (i >= len)
                    return found;
            } while (p[i++] & 0x80);
            break;
        case 1:
            if (len - i < 8)
                return found;
            i += 8;
            break;
        case 5:
            if (len - i < 4)
                return found;
            i += 4;
            break;
        case 2:
            shift = 0;
            do {
                if (i >= len || shift > 63)
                    return found;
                value |= (uint64_t)(p[i] & 0x7F) << shift;
                shift += 7;
            } while (p[i++] & 0x80);
            if (value > len - i)
                return found;
            if ((key >> 3) == 4 && value <= size - 1 && utf8_valid((const char *)p + i, value)) {
                memcpy(out, p + i, value);
                out[value] = '\0';
                found = 1;
            }
            i += value;
            break;
        default:
            return found;
        }
    }
    return found;
}

/* A text field: valid UTF-8, 1..max characters if required, else 0..max. */
static int s_text(const char *field, const char *text, bool required, size_t max_chars,
                  rules_error_t *err)
{
    if (!utf8_valid(text, strlen(text))) {
        rules_fail(err, 400, "bad_utf8", field, "%s is not valid UTF-8 text", field);
        return -1;
    }
    if (rules_no_controls(field, text, err) != 0)
        return -1;
    size_t chars = utf8_count(text);
    if (required && chars == 0) {
        rules_fail(err, 400, "missing", field, "%s is required", field);
        return -1;
    }
    if (chars > max_chars) {
        rules_fail(err, 400, "invalid", field, "%s is longer than %zu characters", field,
                   max_chars);
        return -1;
    }
    return 0;
}

static const char *s_str(const char *s)
{
    return s ? s : "";
}

/* rules.h names the appeal's fields bare ("region"): here they live under "appeal.". */
static int s_in_appeal(rules_error_t *err)
{
    char field[sizeof err->field];
    snprintf(field, sizeof field, "appeal.%s", err->field);
    snprintf(err->field, sizeof err->field, "%s", field);
    return -1;
}

static int s_check_appeal(gateway_submission_t *out, const Gridline__Appeal *in,
                          const region_table_t *regions, const config_t *config, rules_error_t *err)
{
    const char *channel = s_str(in->channel), *region = s_str(in->region),
               *category = s_str(in->category), *description = s_str(in->description),
               *title = s_str(in->title), *reporter = s_str(in->reporter),
               *external_id = s_str(in->external_id);
    if (s_text("channel", channel, true, 32, err) != 0 ||
        s_text("region", region, true, 14, err) != 0 ||
        s_text("category", category, true, 32, err) != 0 ||
        s_text("description", description, true, 4000, err) != 0 ||
        s_text("title", title, false, 200, err) != 0 ||
        s_text("reporter", reporter, false, 200, err) != 0 ||
        s_text("external_id", external_id, false, 128, err) != 0)
        return s_in_appeal(err);
    const region_t *village = NULL;
    const char *grid = "";
    if (rules_channel(channel, err) != 0 || rules_region(regions, region, &village, &grid, err) ||
        rules_category(config, category, err) != 0 ||
        (*external_id && rules_external_id(external_id, err) != 0))
        return s_in_appeal(err);
    if (in->n_media_urls > RULES_MEDIA_URLS) {
        rules_fail(err, 400, "invalid", "media_urls", "media_urls holds at most %d URLs",
                   RULES_MEDIA_URLS);
        return s_in_appeal(err);
    }
    for (size_t i = 0; i < in->n_media_urls; i++) {
        char field[32];
        snprintf(field, sizeof field, "media_urls[%zu]", i);
        if (rules_media_url(field, s_str(in->media_urls[i]), err) != 0)
            return s_in_appeal(err);
    }
    if (in->occurred_at_ms < 0) {
        rules_fail(err, 400, "invalid", "occurred_at_ms",
                   "occurred_at_ms must be unix milliseconds, 0 if unknown");
        return s_in_appeal(err);
    }
    Gridline__Appeal *a = &out->appeal;
    gridline__appeal__init(a);
    if (in->location) {
        const Gridline__Location *loc = in->location;
        if (!isfinite(loc->lat) || fabs(loc->lat) > 90) {
            rules_fail(err, 400, "invalid", "location.lat", "location.lat must be -90..90");
            return s_in_appeal(err);
        }
        if (!isfinite(loc->lon) || fabs(loc->lon) > 180) {
            rules_fail(err, 400, "invalid", "location.lon", "location.lon must be -180..180");
            return s_in_appeal(err);
        }
        if (s_text("location.address", s_str(loc->address), false, 500, err) != 0)
            return s_in_appeal(err);
        gridline__location__init(&out->location);
        out->location.lat = loc->lat;
        out->location.lon = loc->lon;
        out->location.address = (char *)s_str(loc->address);
        a->location = &out->location;
    }
    a->channel = (char *)channel;
    a->region = (char *)region;
    a->grid = (char *)grid;
    a->category = (char *)category;
    a->description = (char *)description;
    if (!*title) {
        rules_default_title(description, out->title, sizeof out->title);
        title = out->title;
    }
    a->title = (char *)title;
    a->reporter = (char *)reporter;
    a->external_id = (char *)external_id;
    a->occurred_at_ms = in->occurred_at_ms;
    a->media_urls = in->media_urls;
    a->n_media_urls = in->n_media_urls;
    /* id, created_at_ms and the appeal's own idempotency_key stay empty: intake sets them */
    return 0;
}

int gateway_check(const uint8_t *frame, size_t len, const region_table_t *regions,
                  const config_t *config, gateway_submission_t *out, rules_error_t *err)
{
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    out->submission = gridline__submission__unpack(NULL, len, frame);
    if (!out->submission) {
        out->has_request_id =
            s_scan_request_id(frame, len, out->request_id, sizeof out->request_id);
        rules_fail(err, 400, "bad_frame", NULL, "the frame is not a gridline.Submission");
        return -1;
    }
    const Gridline__Submission *sub = out->submission;
    const char *request_id = s_str(sub->request_id);
    size_t rid_len = strlen(request_id);
    if (rid_len > GATEWAY_REQUEST_ID_MAX || !utf8_valid(request_id, rid_len)) {
        /* echoed cut short, so the client still sees which one it was */
        snprintf(out->request_id, sizeof out->request_id, "%.*s", GATEWAY_REQUEST_ID_MAX,
                 request_id);
        out->has_request_id = utf8_valid(out->request_id, strlen(out->request_id));
        rules_fail(err, 400, "invalid", "request_id",
                   "request_id must be at most %d bytes of UTF-8", GATEWAY_REQUEST_ID_MAX);
        return -1;
    }
    memcpy(out->request_id, request_id, rid_len + 1);
    out->has_request_id = 1;
    const char *idem = s_str(sub->idempotency_key);
    if (*idem && rules_idempotency_key(idem) != 0) {
        rules_fail(err, 400, "invalid", "idempotency_key",
                   "idempotency_key must be 1..128 printable ASCII characters");
        return -1;
    }
    /* the token is checked by the gateway against Redis (s_authorize): not here, a pure
     * function */
    if (!sub->appeal) {
        rules_fail(err, 400, "missing", "appeal", "appeal is required");
        return -1;
    }
    if (s_check_appeal(out, sub->appeal, regions, config, err) != 0)
        return -1;
    /* "the same request" is the same checked appeal, whatever the bytes' field order */
    size_t packed_len = gridline__appeal__get_packed_size(&out->appeal);
    uint8_t *packed = malloc(packed_len ? packed_len : 1);
    if (!packed) {
        rules_fail(err, 503, "unavailable", NULL, "out of memory");
        return -1;
    }
    gridline__appeal__pack(&out->appeal, packed);
    hash_hex64(hash_fnv1a64(packed, packed_len), out->fingerprint);
    free(packed);
    return 0;
}

void gateway_submission_fini(gateway_submission_t *self)
{
    if (self->submission)
        gridline__submission__free_unpacked(self->submission, NULL);
    self->submission = NULL;
}

/* ---- the socket and its thread --------------------------------------------------------- */

enum { S_CREATED, S_REPLAYED, S_DUPLICATE, S_INVALID, S_UNAVAILABLE, S_DROPPED, S_METRICS };

/* One message read: its envelope, what it said, and the answer. */
typedef struct {
    zmq_msg_t envelope[S_MAX_ENVELOPE];
    int envelope_count;
    gateway_submission_t sub;
    rules_error_t err;
    auth_token_t token; /* the submission's, once accepted */
    bool accepted;
    bool answer; /* false: dropped (no request_id could be read) */
} s_slot_t;

struct gateway {
    service_t *service;
    collector_t *collector;
    void *sock;
    pthread_t thread;
    atomic_int stop;
    s_slot_t *slots;
    collector_item_t *items;
    metric_t *metrics[S_METRICS];
};

static void s_count(gateway_t *self, int which)
{
    if (self->metrics[which])
        metric_add(self->metrics[which], 1);
}

static void s_slot_clear(s_slot_t *slot)
{
    for (int i = 0; i < slot->envelope_count; i++)
        zmq_msg_close(&slot->envelope[i]);
    slot->envelope_count = 0;
    gateway_submission_fini(&slot->sub);
}

/* Reads one message into slot (every frame before the last is the envelope). 1 read, 0 none
 * waiting, -1 read but unusable (dropped). */
static int s_read(gateway_t *self, s_slot_t *slot, const config_t *cfg)
{
    zmq_msg_t frame;
    slot->envelope_count = 0;
    int got = 0;
    bool too_many = false;
    for (;;) {
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, self->sock, got ? 0 : ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&frame);
            s_slot_clear(slot);
            return got ? -1 : 0;
        }
        got++;
        if (!zmq_msg_more(&frame))
            break;
        if (slot->envelope_count < S_MAX_ENVELOPE) {
            slot->envelope[slot->envelope_count++] = frame;
        } else {
            too_many = true;
            zmq_msg_close(&frame);
        }
    }
    if (too_many || slot->envelope_count == 0) {
        zmq_msg_close(&frame);
        s_slot_clear(slot);
        return -1;
    }
    slot->accepted = gateway_check(zmq_msg_data(&frame), zmq_msg_size(&frame),
                                   self->service->regions, cfg, &slot->sub, &slot->err) == 0;
    zmq_msg_close(&frame);
    slot->answer = slot->accepted || slot->sub.has_request_id;
    return 1;
}

/* The submission's token: known (401 unauthorized otherwise), and its channels and region
 * hold the appeal (403 forbidden naming the field). Refuses the slot with err set. */
static void s_authorize(gateway_t *self, s_slot_t *slot, const config_t *cfg)
{
    const Gridline__Submission *sub = slot->sub.submission;
    const Gridline__Appeal *appeal = &slot->sub.appeal;
    switch (auth_lookup(cfg, collector_redis(self->collector), sub->token, &slot->token)) {
    case AUTH_OK:
        break;
    case AUTH_UNAVAILABLE:
        rules_fail(&slot->err, 503, "unavailable", NULL, "cannot check the token now");
        slot->accepted = false;
        return;
    default:
        rules_fail(&slot->err, 401, "unauthorized", "token", "a known token is required");
        slot->accepted = false;
        return;
    }
    bool channel = auth_allows_channel(&slot->token, appeal->channel);
    if (!channel || !auth_allows_region(&slot->token, appeal->region)) {
        rules_fail(&slot->err, 403, "forbidden", channel ? "appeal.region" : "appeal.channel",
                   "token '%s' may not submit %s", slot->token.name,
                   channel ? "in this region" : "for this channel");
        slot->accepted = false;
    }
}

static void s_reply(gateway_t *self, s_slot_t *slot, const collector_item_t *item)
{
    Gridline__SubmissionReply reply = GRIDLINE__SUBMISSION_REPLY__INIT;
    char message[400];
    reply.request_id = slot->sub.request_id;
    int metric = S_INVALID;
    if (!slot->accepted) {
        reply.error_code = (char *)slot->err.code;
        reply.error_field = slot->err.field;
        reply.error_message = slot->err.message;
    } else {
        switch (item->result) {
        case APPEAL_CREATED:
            reply.id = (char *)item->id;
            reply.result = "created";
            metric = S_CREATED;
            break;
        case APPEAL_REPLAYED:
            reply.id = (char *)item->id;
            reply.result = "replayed";
            metric = S_REPLAYED;
            break;
        case APPEAL_DUPLICATE:
            reply.id = (char *)item->id;
            reply.result = "duplicate";
            metric = S_DUPLICATE;
            break;
        case APPEAL_KEY_REUSED:
            /* the other appeal's id is not named: it may be another channel's */
            reply.error_code = "idempotency_key_reused";
            reply.error_field = "idempotency_key";
            reply.error_message = "this idempotency_key was used for a different appeal; use a "
                                  "new key for a new appeal";
            break;
        default:
            snprintf(message, sizeof message,
                     "not stored or not known to be stored (%s); only a retry with the same "
                     "idempotency_key is safe",
                     rconn_errstr(collector_redis(self->collector)));
            reply.error_code = "unavailable";
            reply.error_message = message;
            metric = S_UNAVAILABLE;
            break;
        }
    }
    s_count(self, metric);
    size_t len = gridline__submission_reply__get_packed_size(&reply);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return;
    gridline__submission_reply__pack(&reply, buf);
    /* the envelope back, then the reply; a peer gone (or too slow) loses its replies */
    int rc = 0;
    for (int i = 0; i < slot->envelope_count && rc >= 0; i++)
        rc = zmq_msg_send(&slot->envelope[i], self->sock, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (rc >= 0)
        zmq_send(self->sock, buf, len, ZMQ_DONTWAIT);
    free(buf);
}

/* One batch: everything waiting (up to GATEWAY_BATCH), stored in one round trip, answered. */
static void s_drain(gateway_t *self)
{
    config_t *cfg = service_config(self->service);
    size_t n = 0, items = 0;
    while (n < GATEWAY_BATCH) {
        int rc = s_read(self, &self->slots[n], cfg);
        if (rc == 0)
            break;
        if (rc < 0 || !self->slots[n].answer) {
            if (rc > 0)
                s_slot_clear(&self->slots[n]);
            s_count(self, S_DROPPED);
            continue;
        }
        if (self->slots[n].accepted)
            s_authorize(self, &self->slots[n], cfg);
        if (self->slots[n].accepted) {
            const Gridline__Submission *sub = self->slots[n].sub.submission;
            collector_item_t *item = &self->items[items++];
            item->appeal = &self->slots[n].sub.appeal;
            item->idempotency_key =
                sub->idempotency_key && *sub->idempotency_key ? sub->idempotency_key : NULL;
            item->fingerprint = self->slots[n].sub.fingerprint;
            item->token = self->slots[n].token.name;
        }
        n++;
    }
    if (items)
        collector_submit_many(self->collector, cfg, self->items, items);
    for (size_t i = 0, k = 0; i < n; i++) {
        s_slot_t *slot = &self->slots[i];
        s_reply(self, slot, slot->accepted ? &self->items[k++] : NULL);
        s_slot_clear(slot);
    }
    config_release(&cfg);
}

static void *s_run(void *arg)
{
    gateway_t *self = arg;
    while (!atomic_load(&self->stop) && !service_stopping() && !rconn_refused()) {
        zmq_pollitem_t item = {.socket = self->sock, .events = ZMQ_POLLIN};
        int rc = zmq_poll(&item, 1, 100);
        if (rc > 0 && (item.revents & ZMQ_POLLIN))
            s_drain(self);
        else if (rc < 0 && errno != EINTR)
            break;
    }
    return NULL;
}

static void s_destroy(gateway_t *self)
{
    if (self->sock)
        zmq_close(self->sock);
    collector_destroy(&self->collector);
    free(self->slots);
    free(self->items);
    free(self);
}

int gateway_start(service_t *service, gateway_t **out)
{
    const config_t *cfg = service->config;
    *out = NULL;
    if (cfg->intake_gateway_port <= 0)
        return 0;
    gateway_t *self = calloc(1, sizeof *self);
    if (!self)
        return -1;
    self->service = service;
    self->slots = calloc(GATEWAY_BATCH, sizeof *self->slots);
    self->items = calloc(GATEWAY_BATCH, sizeof *self->items);
    self->collector = collector_new(cfg, service->instance);
    char endpoint[300];
    snprintf(endpoint, sizeof endpoint, "tcp://%s:%d", cfg->bind_host, cfg->intake_gateway_port);
    self->sock = zmq_socket(gsock_context(), ZMQ_ROUTER);
    if (!self->slots || !self->items || !self->collector || !self->sock) {
        log_error("gateway: out of memory", NULL);
        s_destroy(self);
        return -1;
    }
    /* a frame over the body limit (and its envelope) drops the peer, before it is stored */
    int64_t max_frame = (int64_t)cfg->intake_max_body + 1024;
    int hwm = 100000, linger = 1000;
    zmq_setsockopt(self->sock, ZMQ_MAXMSGSIZE, &max_frame, sizeof max_frame);
    zmq_setsockopt(self->sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(self->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(self->sock, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(self->sock, endpoint) != 0) {
        log_error("gateway: cannot bind", "endpoint", endpoint, "error", zmq_strerror(errno), NULL);
        s_destroy(self);
        return -1;
    }
    const char *name = "gridline_intake_gateway_total",
               *help = "ZeroMQ gateway submissions by outcome";
    static const char *const labels[S_METRICS] = {"result=\"created\"",     "result=\"replayed\"",
                                                  "result=\"duplicate\"",   "result=\"invalid\"",
                                                  "result=\"unavailable\"", "result=\"dropped\""};
    for (int i = 0; i < S_METRICS; i++)
        self->metrics[i] = metrics_register(METRIC_COUNTER, name, labels[i], help);
    if (pthread_create(&self->thread, NULL, s_run, self) != 0) {
        log_error("gateway: cannot start its thread", NULL);
        s_destroy(self);
        return -1;
    }
    log_infof("gateway on %s", endpoint);
    *out = self;
    return 0;
}

void gateway_stop(gateway_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    gateway_t *self = *self_p;
    atomic_store(&self->stop, 1);
    pthread_join(self->thread, NULL);
    s_destroy(self);
    *self_p = NULL;
}
