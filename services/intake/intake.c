#include "intake.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "event.h"
#include "jsonbuf.h"
#include "keys.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"
#include "rconn.h"
#include "scripts.h"
#include "submission.h"
#include "zsock.h"

/* What one thread needs to talk to Redis and the next hops. */
typedef struct {
    rconn_t *redis;
    void *to_router;
    void *to_aggregator;
} s_lane_t;

struct intake {
    service_t *service;
    pthread_key_t lane_key;
    s_lane_t *main_lane; /* the sweeper's, on the main thread */
    metric_t *created, *replayed, *duplicate, *invalid, *unavailable, *deferred, *resent;
};

static void s_lane_destroy(void *ptr)
{
    s_lane_t *lane = ptr;
    if (!lane)
        return;
    rconn_destroy(&lane->redis);
    zsock_destroy(&lane->to_router);
    zsock_destroy(&lane->to_aggregator);
    free(lane);
}

static s_lane_t *s_lane_new(const config_t *cfg)
{
    s_lane_t *lane = calloc(1, sizeof *lane);
    if (!lane)
        return NULL;
    lane->redis =
        rconn_new(cfg->redis_host, cfg->redis_port, cfg->redis_password, cfg->redis_timeout_ms);
    lane->to_router = zsock_push_new(cfg->router_endpoint);
    lane->to_aggregator = zsock_push_new(cfg->aggregator_endpoint);
    if (!lane->redis || !lane->to_router || !lane->to_aggregator) {
        s_lane_destroy(lane);
        return NULL;
    }
    rconn_set_scripts(lane->redis, scripts_all);
    return lane;
}

static s_lane_t *s_lane(intake_t *self)
{
    s_lane_t *lane = pthread_getspecific(self->lane_key);
    if (!lane) {
        lane = s_lane_new(self->service->config);
        pthread_setspecific(self->lane_key, lane);
    }
    return lane;
}

intake_t *intake_new(service_t *service)
{
    intake_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->service = service;
    if (pthread_key_create(&self->lane_key, s_lane_destroy) != 0) {
        free(self);
        return NULL;
    }
    self->main_lane = s_lane_new(service->config);
    if (!self->main_lane) {
        intake_destroy(&self);
        return NULL;
    }
    const char *name = "gridline_intake_appeals_total", *help = "POST /v1/appeals by outcome";
    self->created = metrics_register(METRIC_COUNTER, name, "result=\"created\"", help);
    self->replayed = metrics_register(METRIC_COUNTER, name, "result=\"replayed\"", help);
    self->duplicate = metrics_register(METRIC_COUNTER, name, "result=\"duplicate\"", help);
    self->invalid = metrics_register(METRIC_COUNTER, name, "result=\"invalid\"", help);
    self->unavailable = metrics_register(METRIC_COUNTER, name, "result=\"unavailable\"", help);
    self->deferred = metrics_register(METRIC_COUNTER, "gridline_send_deferred_total", NULL,
                                      "events left to the outbox sweeper: no receiver ready");
    self->resent = metrics_register(METRIC_COUNTER, "gridline_outbox_resent_total", NULL,
                                    "outbox entries sent again by the sweeper");
    return self;
}

void intake_destroy(intake_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    intake_t *self = *self_p;
    s_lane_destroy(self->main_lane);
    pthread_key_delete(self->lane_key);
    free(self);
    *self_p = NULL;
}

static void s_unavailable(intake_t *self, http_response_t *res, rconn_t *redis)
{
    metric_add(self->unavailable, 1);
    http_response_error(res, 503, "unavailable", NULL, "%s; try again shortly",
                        redis ? rconn_errstr(redis) : "no redis connection");
    http_response_header(res, "Retry-After", "1");
}

/* The 201 body is a function of the id alone, so a replay answers exactly the same. */
static void s_created(http_response_t *res, const char *id, bool replayed)
{
    char location[128];
    snprintf(location, sizeof location, "/v1/appeals/%s", id);
    jsonbuf_t jb;
    jsonbuf_init(&jb);
    jsonbuf_append(&jb, "{");
    jsonbuf_kv(&jb, "id", id);
    jsonbuf_append(&jb, ",");
    jsonbuf_kv(&jb, "status", "collected");
    jsonbuf_append(&jb, ",");
    jsonbuf_kv(&jb, "location", location);
    jsonbuf_append(&jb, "}\n");
    http_response_json(res, 201, jsonbuf_take(&jb, NULL));
    http_response_header(res, "Location", location);
    if (replayed)
        http_response_header(res, "Idempotent-Replayed", "true");
}

static void s_send_collected(intake_t *self, s_lane_t *lane, const Gridline__Event *event)
{
    size_t len = 0;
    uint8_t *blob = event_pack(event, &len);
    if (!blob)
        return; /* the outbox has it */
    const char *sender = self->service->instance;
    if (outbox_send_event(lane->to_router, "router", sender, blob, len) != 0)
        metric_add(self->deferred, 1);
    if (outbox_send_event(lane->to_aggregator, "aggregator", sender, blob, len) != 0)
        metric_add(self->deferred, 1);
    free(blob);
}

static void s_post_appeal(intake_t *self, const http_request_t *req, http_response_t *res)
{
    const config_t *cfg = self->service->config;
    const char *ctype = http_request_header(req, "Content-Type");
    if (ctype && strncasecmp(ctype, "application/json", 16) != 0) {
        metric_add(self->invalid, 1);
        http_response_error(res, 415, "unsupported_media_type", "Content-Type",
                            "send application/json, not '%.60s'", ctype);
        return;
    }
    const char *idem = http_request_header(req, "Idempotency-Key");
    if (idem && submission_check_idempotency_key(idem) != 0) {
        metric_add(self->invalid, 1);
        http_response_error(res, 400, "invalid", "Idempotency-Key",
                            "Idempotency-Key must be 1..128 printable ASCII characters");
        return;
    }
    submission_error_t err;
    submission_t *sub =
        submission_parse(req->body, req->body_len, self->service->regions, cfg, &err);
    if (!sub) {
        metric_add(self->invalid, 1);
        http_response_error(res, err.status, err.code, err.field[0] ? err.field : NULL, "%s",
                            err.message);
        return;
    }
    s_lane_t *lane = s_lane(self);
    if (!lane) {
        submission_destroy(&sub);
        s_unavailable(self, res, NULL);
        return;
    }
    Gridline__Appeal *appeal = submission_appeal(sub);
    int64_t now = clock_wall_ms();
    char county[7], day[9], prefix[32], fingerprint[17];
    region_county_of(appeal->region, county);
    clock_day(now, day);
    snprintf(prefix, sizeof prefix, "%s-%s-", county, day);
    submission_fingerprint(req->body, req->body_len, fingerprint);

    Gridline__Event event = GRIDLINE__EVENT__INIT;
    event.seq = 1;
    event.type = GRIDLINE__EVENT_TYPE__EVENT_COLLECTED;
    event.actor = "intake";
    event.at_ms = now;
    event.region = appeal->region;
    event.channel = appeal->channel;
    event.category = appeal->category;
    size_t event_len = 0;
    uint8_t *event_blob = event_pack(&event, &event_len);

    char seq_key[KEYS_MAX], idem_key[KEYS_MAX], ext_key[KEYS_MAX], to_router[KEYS_MAX],
        to_aggregator[KEYS_MAX], ttl[16], resend_at[24], created[24], occurred[24], lat[32],
        lon[32];
    keys_seq(seq_key, county, day);
    if (idem)
        keys_idem(idem_key, county, idem);
    if (*appeal->external_id)
        keys_ext(ext_key, county, appeal->channel, appeal->external_id);
    keys_outbox(to_router, county, "router");
    keys_outbox(to_aggregator, county, "aggregator");
    snprintf(ttl, sizeof ttl, "%d", cfg->intake_idempotency_ttl_s);
    snprintf(resend_at, sizeof resend_at, "%lld", (long long)(now + cfg->outbox_resend_after_ms));
    snprintf(created, sizeof created, "%lld", (long long)now);
    snprintf(occurred, sizeof occurred, "%lld", (long long)appeal->occurred_at_ms);
    const Gridline__Location *loc = appeal->location;
    snprintf(lat, sizeof lat, "%.6f", loc ? loc->lat : 0.0);
    snprintf(lon, sizeof lon, "%.6f", loc ? loc->lon : 0.0);

    const char *args[64];
    size_t lens[64];
    int n = 0;
#define ARG(s) (args[n] = (s), lens[n] = strlen(args[n]), n++)
    ARG(seq_key);
    ARG(idem ? idem_key : seq_key);
    ARG(*appeal->external_id ? ext_key : seq_key);
    ARG(to_router);
    ARG(to_aggregator);
    ARG(county);
    ARG(prefix);
    ARG(idem ? "1" : "0");
    ARG(fingerprint);
    ARG(ttl);
    ARG(*appeal->external_id ? "1" : "0");
    ARG(resend_at);
    args[n] = (const char *)event_blob, lens[n] = event_len, n++;
    ARG("channel"), ARG(appeal->channel);
    ARG("region"), ARG(appeal->region);
    ARG("grid"), ARG(appeal->grid);
    ARG("category"), ARG(appeal->category);
    ARG("title"), ARG(appeal->title);
    ARG("description"), ARG(appeal->description);
    ARG("reporter"), ARG(appeal->reporter);
    ARG("external_id"), ARG(appeal->external_id);
    ARG("idempotency_key"), ARG(idem ? idem : "");
    ARG("occurred_at_ms"), ARG(occurred);
    ARG("created_at_ms"), ARG(created);
    ARG("status"), ARG("collected");
    if (loc) {
        ARG("lat"), ARG(lat);
        ARG("lon"), ARG(lon);
        ARG("address"), ARG(loc->address);
    }
#undef ARG
    redisReply *r =
        event_blob ? rconn_eval(lane->redis, &scripts_appeal_create, 5, n, args, lens) : NULL;
    free(event_blob);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_INTEGER || r->element[1]->type != REDIS_REPLY_STRING) {
        if (r && r->type == REDIS_REPLY_ERROR)
            log_error("appeal_create failed", "error", r->str, NULL);
        if (r)
            freeReplyObject(r);
        submission_destroy(&sub);
        s_unavailable(self, res, lane->redis);
        return;
    }
    long long outcome = r->element[0]->integer;
    const char *value = r->element[1]->str;
    if (outcome == 1) {
        metric_add(self->created, 1);
        event.appeal_id = (char *)value;
        s_send_collected(self, lane, &event);
        log_debug("appeal collected", "id", value, "channel", appeal->channel, "region",
                  appeal->region, NULL);
        s_created(res, value, false);
    } else if (outcome == 2) {
        /* "<id>|<fingerprint>": the same key with another body is a client bug. */
        const char *bar = strchr(value, '|');
        if (bar && strcmp(bar + 1, fingerprint) == 0) {
            metric_add(self->replayed, 1);
            char id[KEYS_ID_MAX];
            snprintf(id, sizeof id, "%.*s", (int)(bar - value), value);
            s_created(res, id, true);
        } else {
            metric_add(self->invalid, 1);
            http_response_error(res, 422, "idempotency_key_reused", "Idempotency-Key",
                                "this Idempotency-Key was used for a different request (appeal "
                                "%.*s); use a new key for a new appeal",
                                bar ? (int)(bar - value) : 0, value);
        }
    } else {
        metric_add(self->duplicate, 1);
        http_response_error(res, 409, "duplicate", "external_id",
                            "external_id '%s' of channel %s is already appeal %s",
                            appeal->external_id, appeal->channel, value);
    }
    freeReplyObject(r);
    submission_destroy(&sub);
}

static json_t *s_event_json(const Gridline__Event *e)
{
    char at[40], deadline[40];
    clock_iso(e->at_ms, at);
    json_t *o = json_object();
    json_object_set_new(o, "seq", json_integer(e->seq));
    json_object_set_new(o, "type", json_string(event_type_name(e->type)));
    if (e->level)
        json_object_set_new(o, "level", json_string(event_level_name(e->level)));
    if (*e->assignee)
        json_object_set_new(o, "assignee", json_string(e->assignee));
    if (*e->department)
        json_object_set_new(o, "department", json_string(e->department));
    json_object_set_new(o, "actor", json_string(e->actor));
    json_object_set_new(o, "at", json_string(at));
    if (*e->reason)
        json_object_set_new(o, "reason", json_string(e->reason));
    if (e->deadline_ms) {
        clock_iso(e->deadline_ms, deadline);
        json_object_set_new(o, "deadline", json_string(deadline));
    }
    return o;
}

static void s_get_appeal(intake_t *self, const char *id, http_response_t *res)
{
    char county[7], akey[KEYS_MAX], ekey[KEYS_MAX];
    if (keys_check_id(id) != 0 || keys_county_of_id(id, county) != 0) {
        http_response_error(res, 400, "invalid", "id",
                            "'%.40s' is not an appeal id (like 150123-20261124-000042)", id);
        return;
    }
    s_lane_t *lane = s_lane(self);
    keys_appeal(akey, county, id);
    keys_events(ekey, county, id);
    if (!lane || rconn_append(lane->redis, "HGETALL %s", akey) != 0 ||
        rconn_append(lane->redis, "LRANGE %s 0 -1", ekey) != 0) {
        s_unavailable(self, res, lane ? lane->redis : NULL);
        return;
    }
    redisReply *hash = rconn_reply(lane->redis);
    redisReply *events = hash ? rconn_reply(lane->redis) : NULL;
    if (!hash || !events || hash->type != REDIS_REPLY_ARRAY || events->type != REDIS_REPLY_ARRAY) {
        if (hash)
            freeReplyObject(hash);
        if (events)
            freeReplyObject(events);
        s_unavailable(self, res, lane->redis);
        return;
    }
    if (hash->elements == 0) {
        freeReplyObject(hash);
        freeReplyObject(events);
        http_response_error(res, 404, "not_found", "id", "no appeal %s", id);
        return;
    }
    json_t *o = json_object();
    static const char *numeric[] = {"seq", "created_at_ms", "occurred_at_ms", "deadline_ms",
                                    "assigned_at_ms"};
    for (size_t i = 0; i + 1 < hash->elements; i += 2) {
        const char *field = hash->element[i]->str, *value = hash->element[i + 1]->str;
        bool number = false;
        for (size_t k = 0; k < sizeof numeric / sizeof numeric[0] && !number; k++)
            number = strcmp(field, numeric[k]) == 0;
        if (number)
            json_object_set_new(o, field, json_integer(strtoll(value, NULL, 10)));
        else if (!strcmp(field, "lat") || !strcmp(field, "lon"))
            json_object_set_new(o, field, json_real(strtod(value, NULL)));
        else
            json_object_set_new(o, field, json_string(value));
    }
    const char *region = json_string_value(json_object_get(o, "region"));
    const region_t *chain[6];
    size_t depth = region ? region_chain(self->service->regions, region, chain, 6) : 0;
    if (depth) {
        json_t *names = json_array();
        for (size_t i = 0; i < depth; i++)
            json_array_append_new(names, json_string(chain[i]->name));
        json_object_set_new(o, "region_names", names);
    }
    json_t *history = json_array();
    for (size_t i = 0; i < events->elements; i++) {
        Gridline__Event *e =
            event_unpack((const uint8_t *)events->element[i]->str, events->element[i]->len);
        if (e) {
            json_array_append_new(history, s_event_json(e));
            event_free(&e);
        }
    }
    json_object_set_new(o, "events", history);
    freeReplyObject(hash);
    freeReplyObject(events);
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    http_response_json(res, 200, text);
}

void intake_handle(void *arg, const http_request_t *req, http_response_t *res)
{
    intake_t *self = arg;
    static const char prefix[] = "/v1/appeals/";
    if (strcmp(req->path, "/v1/appeals") == 0) {
        if (strcmp(req->method, "POST") == 0)
            s_post_appeal(self, req, res);
        else
            http_response_error(res, 405, "method_not_allowed", NULL, "use POST /v1/appeals");
    } else if (strncmp(req->path, prefix, sizeof prefix - 1) == 0) {
        if (strcmp(req->method, "GET") == 0)
            s_get_appeal(self, req->path + sizeof prefix - 1, res);
        else
            http_response_error(res, 405, "method_not_allowed", NULL, "use GET /v1/appeals/{id}");
    } else {
        http_response_error(res, 404, "not_found", NULL,
                            "no such resource; see POST /v1/appeals, GET /v1/appeals/{id}");
    }
}

int intake_health(void *arg, char *why, size_t whylen)
{
    intake_t *self = arg;
    s_lane_t *lane = s_lane(self);
    redisReply *r = lane ? rconn_command(lane->redis, "PING") : NULL;
    if (!r) {
        snprintf(why, whylen, "%s", lane ? rconn_errstr(lane->redis) : "out of memory");
        return -1;
    }
    freeReplyObject(r);
    return 0;
}

static void s_resend(void *arg, const char *hop, const char *member, const uint8_t *blob,
                     size_t len)
{
    intake_t *self = arg;
    void *sock =
        strcmp(hop, "router") == 0 ? self->main_lane->to_router : self->main_lane->to_aggregator;
    if (outbox_send_event(sock, hop, self->service->instance, blob, len) == 0)
        metric_add(self->resent, 1);
    else
        metric_add(self->deferred, 1);
}

int intake_sweep(intake_t *self)
{
    const service_t *svc = self->service;
    const config_t *cfg = svc->config;
    int64_t now = clock_wall_ms();
    int total = 0;
    static const char *hops[] = {"router", "aggregator"};
    for (int i = 0; i < 2; i++) {
        int n = outbox_sweep(self->main_lane->redis, svc->counties, svc->county_count, hops[i], now,
                             cfg->outbox_resend_after_ms, cfg->outbox_batch, s_resend, self);
        if (n < 0)
            return -1;
        total += n;
    }
    return total;
}
