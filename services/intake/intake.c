#include "intake.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "appeal.h"
#include "auth.h"
#include "batch.h"
#include "callback.h"
#include "contact.h"
#include "clock.h"
#include "collector.h"
#include "event.h"
#include "gateway.h"
#include "jsonbuf.h"
#include "keys.h"
#include "listing.h"
#include "log.h"
#include "metrics.h"
#include "open311.h"
#include "rconn.h"
#include "rules.h"
#include "submission.h"

struct intake {
    service_t *service;
    collector_t *sweeper; /* the main thread's: the outbox sweeps */
    gateway_t *gateway;   /* the ZeroMQ door (its own thread), NULL when off */
    metric_t *created, *replayed, *duplicate, *invalid, *unavailable, *urged;
};

void *intake_thread_new(void *arg)
{
    intake_t *self = arg;
    return collector_new(self->service->config, self->service->instance);
}

void intake_thread_destroy(void *arg, void *state)
{
    collector_t *collector = state;
    collector_destroy(&collector);
}

intake_t *intake_new(service_t *service)
{
    intake_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->service = service;
    self->sweeper = collector_new(service->config, service->instance);
    if (!self->sweeper) {
        intake_destroy(&self);
        return NULL;
    }
    collector_set_counties(self->sweeper, service->counties, service->county_count);
    const char *name = "gridline_intake_appeals_total", *help = "POST /v1/appeals by outcome";
    self->created = metrics_register(METRIC_COUNTER, name, "result=\"created\"", help);
    self->replayed = metrics_register(METRIC_COUNTER, name, "result=\"replayed\"", help);
    self->duplicate = metrics_register(METRIC_COUNTER, name, "result=\"duplicate\"", help);
    self->invalid = metrics_register(METRIC_COUNTER, name, "result=\"invalid\"", help);
    self->unavailable = metrics_register(METRIC_COUNTER, name, "result=\"unavailable\"", help);
    self->urged = metrics_register(METRIC_COUNTER, name, "result=\"urged\"", help);
    if (gateway_start(service, &self->gateway) != 0)
        intake_destroy(&self);
    return self;
}

void intake_destroy(intake_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    intake_t *self = *self_p;
    gateway_stop(&self->gateway);
    collector_destroy(&self->sweeper);
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
    jsonbuf_kv(&jb, "status", appeal_status_name(APPEAL_COLLECTED));
    jsonbuf_append(&jb, ",");
    jsonbuf_kv(&jb, "location", location);
    jsonbuf_append(&jb, "}\n");
    http_response_json(res, 201, jsonbuf_take(&jb, NULL));
    http_response_header(res, "Location", location);
    if (replayed)
        http_response_header(res, "Idempotent-Replayed", "true");
}

/* The channel of appeal id into out ("" when unknown or Redis fails). */
static void s_channel_of(rconn_t *redis, const char *id, char *out, size_t size)
{
    char county[7], akey[KEYS_MAX];
    *out = '\0';
    if (keys_county_of_id(id, county) != 0)
        return;
    keys_appeal(akey, county, id);
    redisReply *r = rconn_command(redis, "HGET %s " APPEAL_F_CHANNEL, akey);
    if (r && r->type == REDIS_REPLY_STRING)
        snprintf(out, size, "%s", r->str);
    if (r)
        freeReplyObject(r);
}

/* A resident calling again about an order still open (same phone, village and category within
 * workorder.repeat_window; appeal_create found it) urges it instead of opening a new one:
 * answered 200 "urged" and 1, or 0 when the order could not be urged (closed since): then a
 * new one is stored. */
static int s_urge_repeat(intake_t *self, collector_t *collector, const config_t *cfg,
                         const auth_token_t *tok, const Gridline__Appeal *a, const char *id,
                         const char *idem, const char *fingerprint, http_response_t *res)
{
    char note[120];
    snprintf(note, sizeof note, "the resident called again (%.32s)", a->channel);
    lifecycle_input_t in = {
        .action = APPEAL_URGE, .actor = "resident", .note = note, .reason_code = "repeat_call"};
    collector_acted_t acted;
    collector_act_result_t rc =
        collector_act(collector, cfg, tok->region, id, &in, idem, fingerprint, &acted);
    if (rc != COLLECTOR_ACTED && rc != COLLECTOR_REPLAYED)
        return 0;
    metric_add(self->urged, 1);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i}", "id", id, "result", "urged", "status",
                          appeal_status_name(acted.status), "level", event_level_name(acted.level),
                          "assignee", acted.assignee, "seq", (int)acted.seq);
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    http_response_json(res, 200, text);
    char location[128];
    snprintf(location, sizeof location, "/v1/appeals/%s", id);
    http_response_header(res, "Location", location);
    if (rc == COLLECTOR_REPLAYED)
        http_response_header(res, "Idempotent-Replayed", "true");
    return 1;
}

static void s_post_appeal(intake_t *self, collector_t *collector, const config_t *cfg,
                          const auth_token_t *tok, const http_request_t *req, http_response_t *res)
{
    if (http_request_require_type(req, res, "application/json") != 0) {
        metric_add(self->invalid, 1);
        return;
    }
    const char *idem = http_request_header(req, "Idempotency-Key");
    if (idem && rules_idempotency_key(idem) != 0) {
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
    const Gridline__Appeal *parsed = submission_appeal(sub);
    if (!auth_allows_channel(tok, parsed->channel) || !auth_allows_region(tok, parsed->region)) {
        bool channel = !auth_allows_channel(tok, parsed->channel);
        metric_add(self->invalid, 1);
        auth_forbid(res, tok, channel ? "channel" : "region",
                    channel ? "submit for this channel" : "submit in this region");
        submission_destroy(&sub);
        return;
    }
    char fingerprint[17], id[KEYS_ID_MAX];
    submission_fingerprint_of(sub, fingerprint);
    appeal_create_result_t result =
        collector_submit(collector, cfg, parsed, tok->name, idem, fingerprint, true, id);
    if (result == APPEAL_REPEAT_CALL) {
        if (s_urge_repeat(self, collector, cfg, tok, parsed, id, idem, fingerprint, res)) {
            submission_destroy(&sub);
            return;
        }
        result = collector_submit(collector, cfg, parsed, tok->name, idem, fingerprint, false, id);
    }
    switch (result) {
    case APPEAL_CREATED:
        metric_add(self->created, 1);
        s_created(res, id, false);
        break;
    case APPEAL_REPLAYED:
        metric_add(self->replayed, 1);
        s_created(res, id, true);
        break;
    case APPEAL_KEY_REUSED: {
        /* the key is the county's, whatever the channel: the other appeal is named only to a
         * token that may submit for its channel */
        metric_add(self->invalid, 1);
        char other[33] = "";
        s_channel_of(collector_redis(collector), id, other, sizeof other);
        if (*other && auth_allows_channel(tok, other))
            http_response_error(res, 422, "idempotency_key_reused", "Idempotency-Key",
                                "this Idempotency-Key was used for a different request (appeal "
                                "%s); use a new key for a new appeal",
                                id);
        else
            http_response_error(res, 422, "idempotency_key_reused", "Idempotency-Key",
                                "this Idempotency-Key was used for a different request; use a "
                                "new key for a new appeal");
        break;
    }
    case APPEAL_DUPLICATE: {
        /* the external id's key is per channel: the other appeal is of this token's channel */
        const Gridline__Appeal *appeal = submission_appeal(sub);
        metric_add(self->duplicate, 1);
        http_response_error(res, 409, "duplicate", "external_id",
                            "external_id '%s' of channel %s is already appeal %s",
                            appeal->external_id, appeal->channel, id);
        break;
    }
    case APPEAL_OUTCOME_UNKNOWN:
        metric_add(self->unavailable, 1);
        http_response_error(res, 504, "outcome_unknown", NULL,
                            "Redis did not answer after the appeal was sent (%s): it may or may "
                            "not be stored; only a retry with the same Idempotency-Key is safe",
                            rconn_errstr(collector_redis(collector)));
        break;
    default:
        s_unavailable(self, res, collector_redis(collector));
        break;
    }
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
    if (*e->token)
        json_object_set_new(o, "token", json_string(e->token));
    json_object_set_new(o, "at", json_string(at));
    if (*e->reason_code)
        json_object_set_new(o, "reason_code", json_string(e->reason_code));
    if (*e->reason)
        json_object_set_new(o, "reason", json_string(e->reason));
    if (*e->note)
        json_object_set_new(o, "note", json_string(e->note));
    if (*e->resolution)
        json_object_set_new(o, "resolution", json_string(e->resolution));
    if (e->verdict)
        json_object_set_new(o, "verdict", json_string(event_verdict_name(e->verdict)));
    if (e->solved)
        json_object_set_new(o, "solved", json_boolean(e->solved == GRIDLINE__ANSWER__ANSWER_YES));
    if (*e->comment)
        json_object_set_new(o, "comment", json_string(e->comment));
    if (*e->feedback_channel)
        json_object_set_new(o, "channel", json_string(e->feedback_channel));
    if (e->until_ms > 0) {
        char until[40];
        clock_iso(e->until_ms, until);
        json_object_set_new(o, "until", json_string(until));
    }
    if (e->ack_deadline_ms) {
        clock_iso(e->ack_deadline_ms, deadline);
        json_object_set_new(o, "ack_deadline", json_string(deadline));
    }
    if (e->deadline_ms) {
        clock_iso(e->deadline_ms, deadline);
        json_object_set_new(o, "resolve_deadline", json_string(deadline));
    }
    return o;
}

/* 200: the appeal after the action (or as the first request with its key left it). */
static void s_acted(http_response_t *res, const char *id, const collector_acted_t *a, bool replayed)
{
    char when[40];
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "status", json_string(appeal_status_name(a->status)));
    json_object_set_new(o, "level", json_string(event_level_name(a->level)));
    json_object_set_new(o, "assignee", json_string(a->assignee));
    json_object_set_new(o, "department", json_string(a->department));
    json_object_set_new(o, "seq", json_integer(a->seq));
    if (a->ack_deadline_ms) {
        clock_iso(a->ack_deadline_ms, when);
        json_object_set_new(o, "ack_deadline", json_string(when));
    }
    if (a->resolve_deadline_ms) {
        clock_iso(a->resolve_deadline_ms, when);
        json_object_set_new(o, "resolve_deadline", json_string(when));
    }
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    http_response_json(res, 200, text);
    if (replayed)
        http_response_header(res, "Idempotent-Replayed", "true");
}

/* 409 naming the current status. */
static void s_refused(http_response_t *res, const char *code, const char *action,
                      const appeal_state_t *st, const char *message)
{
    json_t *err = json_object();
    json_object_set_new(err, "code", json_string(code));
    json_object_set_new(err, "status", json_string(appeal_status_name(st->status)));
    json_object_set_new(err, "level", json_string(event_level_name(st->level)));
    json_object_set_new(err, "action", json_string(action));
    json_object_set_new(err, "seq", json_integer(st->seq));
    json_object_set_new(err, "message", json_string(message));
    json_t *o = json_object();
    json_object_set_new(o, "error", err);
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    http_response_json(res, 409, text);
}

static void s_post_action(intake_t *self, collector_t *collector, const config_t *cfg,
                          const auth_token_t *tok, const char *id, const char *name,
                          const http_request_t *req, http_response_t *res)
{
    if (http_request_require_type(req, res, "application/json") != 0)
        return;
    char county[7];
    if (keys_check_id(id) != 0 || keys_county_of_id(id, county) != 0) {
        http_response_error(res, 400, "invalid", "id",
                            "'%.40s' is not an appeal id (like 150123-20261124-000042)", id);
        return;
    }
    const char *idem = http_request_header(req, "Idempotency-Key");
    if (idem && rules_idempotency_key(idem) != 0) {
        http_response_error(res, 400, "invalid", "Idempotency-Key",
                            "Idempotency-Key must be 1..128 printable ASCII characters");
        return;
    }
    rules_error_t err;
    action_t *action = action_parse(name, req->body, req->body_len, &err);
    if (!action) {
        http_response_error(res, err.status, err.code, err.field[0] ? err.field : NULL, "%s",
                            err.message);
        return;
    }
    /* the fingerprint names the action too: the same body to another action is another request */
    char fingerprint[17];
    char *signed_body = NULL;
    if (asprintf(&signed_body, "%s\n%.*s", name, (int)req->body_len, req->body) < 0) {
        action_destroy(&action);
        s_unavailable(self, res, NULL);
        return;
    }
    submission_fingerprint(signed_body, strlen(signed_body), fingerprint);
    free(signed_body);
    if (!auth_allows_action(tok, action_name(action))) {
        auth_forbid(res, tok, "action", action_name(action));
        action_destroy(&action);
        return;
    }
    collector_acted_t acted;
    lifecycle_input_t input = *action_input(action);
    const lifecycle_input_t *in = &input;
    input.token = tok->name;
    switch (collector_act(collector, cfg, tok->region, id, in, idem, fingerprint, &acted)) {
    case COLLECTOR_FORBIDDEN:
        auth_forbid(res, tok, "id", "act on appeals of this region");
        break;
    case COLLECTOR_ACTED:
        s_acted(res, id, &acted, false);
        break;
    case COLLECTOR_REPLAYED:
        s_acted(res, id, &acted, true);
        break;
    case COLLECTOR_KEY_REUSED:
        http_response_error(res, 422, "idempotency_key_reused", "Idempotency-Key",
                            "this Idempotency-Key was used for a different request; use a new "
                            "key for a new action");
        break;
    case COLLECTOR_NOT_FOUND:
        http_response_error(res, 404, "not_found", "id", "no appeal %s", id);
        break;
    case COLLECTOR_NOT_ASSIGNED:
        s_refused(res, "not_assigned", name, &acted.state,
                  "the appeal is not assigned yet; try again in a moment");
        break;
    case COLLECTOR_INVALID_STATE:
        s_refused(res, "invalid_state", name, &acted.state,
                  in->action == APPEAL_ESCALATE && acted.state.level >= GRIDLINE__LEVEL__LEVEL_RED
                      ? "the appeal is at red, the top of the ladder"
                      : "this action is not allowed in the appeal's status");
        break;
    case COLLECTOR_CONFLICT:
        s_refused(res, "conflict", name, &acted.state,
                  "the appeal changed while this action was applied; read it and try again");
        break;
    case COLLECTOR_UNKNOWN_DEPARTMENT:
        http_response_error(res, 400, "invalid", "department",
                            "'%.64s' is neither a department nor a category", in->department);
        break;
    default:
        s_unavailable(self, res, collector_redis(collector));
        break;
    }
    action_destroy(&action);
}

/* The reporter as the reader may see it: in clear only for a token allowed contacts. */
/* "a\nb" as ["a", "b"] */
static json_t *s_lines_json(const char *text)
{
    json_t *list = json_array();
    while (*text) {
        size_t n = strcspn(text, "\n");
        json_array_append_new(list, json_stringn(text, n));
        text += n + (text[n] == '\n');
    }
    return list;
}

static json_t *s_reporter_json(const char *name, const char *phone, const char *email,
                               bool contacts)
{
    char mname[CONTACT_MAX], mphone[CONTACT_MAX], memail[CONTACT_MAX];
    if (!contacts) {
        contact_mask_name(name, mname);
        contact_mask_phone(phone, mphone);
        contact_mask_email(email, memail);
        name = mname;
        phone = mphone;
        email = memail;
    }
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "phone", json_string(phone));
    json_object_set_new(o, "email", json_string(email));
    if (!contacts)
        json_object_set_new(o, "masked", json_true());
    return o;
}

static void s_get_appeal(intake_t *self, rconn_t *redis, const auth_token_t *tok, const char *id,
                         http_response_t *res)
{
    char county[7], akey[KEYS_MAX], ekey[KEYS_MAX];
    if (keys_check_id(id) != 0 || keys_county_of_id(id, county) != 0) {
        http_response_error(res, 400, "invalid", "id",
                            "'%.40s' is not an appeal id (like 150123-20261124-000042)", id);
        return;
    }
    keys_appeal(akey, county, id);
    keys_events(ekey, county, id);
    if (rconn_append(redis, "HGETALL %s", akey) != 0 ||
        rconn_append(redis, "LRANGE %s 0 -1", ekey) != 0) {
        s_unavailable(self, res, redis);
        return;
    }
    redisReply *hash = rconn_reply(redis);
    redisReply *events = hash ? rconn_reply(redis) : NULL;
    if (!hash || !events || hash->type != REDIS_REPLY_ARRAY || events->type != REDIS_REPLY_ARRAY) {
        if (hash)
            freeReplyObject(hash);
        if (events)
            freeReplyObject(events);
        s_unavailable(self, res, redis);
        return;
    }
    if (hash->elements == 0) {
        freeReplyObject(hash);
        freeReplyObject(events);
        http_response_error(res, 404, "not_found", "id", "no appeal %s", id);
        return;
    }
    json_t *o = json_object();
    const char *rname = "", *rphone = "", *remail = "", *region_of = "";
    for (size_t i = 0; i + 1 < hash->elements; i += 2) {
        const char *field = hash->element[i]->str, *value = hash->element[i + 1]->str;
        if (!strcmp(field, APPEAL_F_REGION))
            region_of = value;
        if (!strcmp(field, APPEAL_F_REPORTER_NAME))
            rname = value;
        else if (!strcmp(field, APPEAL_F_REPORTER_PHONE))
            rphone = value;
        else if (!strcmp(field, APPEAL_F_REPORTER_EMAIL))
            remail = value;
        else if (!strcmp(field, APPEAL_F_IDEMPOTENCY_KEY))
            continue; /* never shown */
        else if (!strcmp(field, APPEAL_F_MEDIA_URLS))
            json_object_set_new(o, field, s_lines_json(value));
        else if (appeal_field_is_integer(field))
            json_object_set_new(o, field, json_integer(strtoll(value, NULL, 10)));
        else if (!strcmp(field, APPEAL_F_LAT) || !strcmp(field, APPEAL_F_LON))
            json_object_set_new(o, field, json_real(strtod(value, NULL)));
        else
            json_object_set_new(o, field, json_string(value));
    }
    if (!auth_allows_region(tok, region_of)) {
        json_decref(o);
        freeReplyObject(hash);
        freeReplyObject(events);
        auth_forbid(res, tok, "id", "read appeals of this region");
        return;
    }
    if (*rname || *rphone || *remail)
        json_object_set_new(o, "reporter", s_reporter_json(rname, rphone, remail, tok->contacts));
    const char *region = json_string_value(json_object_get(o, APPEAL_F_REGION));
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
    collector_t *collector = req->thread;
    static const char prefix[] = "/v1/appeals/";
    config_t *cfg = service_config(self->service);
    auth_token_t tok;
    if (strncmp(req->path, "/v1/", 4) == 0 &&
        (auth_host(cfg, req, res) != 0 ||
         auth_request(cfg, collector_redis(collector), req, res, &tok) != 0)) {
        config_release(&cfg);
        return;
    }
    if (strcmp(req->path, "/v1/appeals:batch") == 0) {
        batch_post(collector, cfg, self->service->regions, &tok, req, res);
    } else if (req->body_len > (size_t)cfg->intake_max_body) { /* httpd allows the batch's */
        http_response_error(res, 413, "too_large", "body", "request body exceeds %d bytes",
                            cfg->intake_max_body);
    } else if (strncmp(req->path, OPEN311_PREFIX, sizeof OPEN311_PREFIX - 1) == 0) {
        /* Open311 takes its key as api_key and keeps its reads public: its own checks */
        if (auth_host(cfg, req, res) == 0)
            open311_handle(collector, cfg, self->service->regions, req, res);
    } else if (strcmp(req->path, "/v1/callbacks/due") == 0 && strcmp(req->method, "GET") == 0) {
        callback_due(cfg, collector_redis(collector), self->service->regions, &tok, req, res);
    } else if (strcmp(req->path, "/v1/appeals") == 0) {
        if (strcmp(req->method, "POST") == 0)
            s_post_appeal(self, collector, cfg, &tok, req, res);
        else if (strcmp(req->method, "GET") == 0)
            listing_get(collector_redis(collector), self->service->regions, &tok, req, res);
        else
            http_response_error(res, 405, "method_not_allowed", NULL,
                                "use POST or GET /v1/appeals");
    } else if (strncmp(req->path, prefix, sizeof prefix - 1) == 0) {
        /* /v1/appeals/{id} or /v1/appeals/{id}/{action} */
        const char *id = req->path + sizeof prefix - 1, *slash = strchr(id, '/');
        char idbuf[KEYS_ID_MAX + 8];
        snprintf(idbuf, sizeof idbuf, "%.*s", slash ? (int)(slash - id) : (int)strlen(id), id);
        if (slash && strcmp(req->method, "POST") == 0)
            s_post_action(self, collector, cfg, &tok, idbuf, slash + 1, req, res);
        else if (slash)
            http_response_error(res, 405, "method_not_allowed", NULL,
                                "use POST /v1/appeals/{id}/{action}");
        else if (strcmp(req->method, "GET") == 0)
            s_get_appeal(self, collector_redis(collector), &tok, id, res);
        else
            http_response_error(res, 405, "method_not_allowed", NULL, "use GET /v1/appeals/{id}");
    } else {
        http_response_error(res, 404, "not_found", NULL,
                            "no such resource; see POST /v1/appeals, GET /v1/appeals/{id}, "
                            "POST /v1/appeals/{id}/{action}");
    }
    config_release(&cfg);
}

int intake_health(void *arg, void *thread, char *why, size_t whylen)
{
    rconn_t *redis = collector_redis(thread);
    redisReply *r = rconn_command(redis, "PING");
    if (!r) {
        snprintf(why, whylen, "%s", rconn_errstr(redis));
        return -1;
    }
    freeReplyObject(r);
    return 0;
}

int intake_sweep(intake_t *self)
{
    return collector_sweep(self->sweeper);
}

size_t intake_body_limit(void *arg, const char *url)
{
    const config_t *cfg = ((intake_t *)arg)->service->config;
    return (size_t)(strcmp(url, "/v1/appeals:batch") == 0 ? cfg->intake_max_batch_body
                                                          : cfg->intake_max_body);
}
