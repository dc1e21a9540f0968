#include "notifier_api.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "auth.h"
#include "clock.h"
#include "delivery.h"
#include "keys.h"
#include "pending.h"
#include "registry.h"
#include "stream.h"
#include "subscription.h"

typedef struct {
    rconn_t *redis;
    pending_t *pending; /* marks the counties of replayed dead letters for the sweepers */
    argv_t argv;
} s_thread_t;

void *notifier_api_thread_new(void *arg)
{
    service_t *svc = arg;
    s_thread_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    argv_init(&t->argv);
    t->redis = service_redis_new(svc->config);
    t->pending = pending_new("delivery", pending_grace_for(svc->config->outbox_resend_after_ms));
    if (!t->redis || !t->pending) {
        notifier_api_thread_destroy(arg, t);
        return NULL;
    }
    return t;
}

void notifier_api_thread_destroy(void *arg, void *state)
{
    (void)arg;
    s_thread_t *t = state;
    rconn_destroy(&t->redis);
    pending_destroy(&t->pending);
    argv_fini(&t->argv);
    free(t);
}

static void s_unavailable(http_response_t *res, rconn_t *redis)
{
    http_response_error(res, 503, "unavailable", NULL, "%s; try again shortly",
                        rconn_errstr(redis));
    http_response_header(res, "Retry-After", "1");
}

static void s_json(http_response_t *res, int status, json_t *o)
{
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!text) {
        http_response_error(res, 503, "unavailable", NULL, "out of memory");
        return;
    }
    http_response_json(res, status, text);
}

/* Every subscription visible to tok, the configuration's first; id: only that one. NULL when
 * Redis is down. */
static json_t *s_list(service_t *svc, const config_t *cfg, rconn_t *redis, const auth_token_t *tok,
                      const char *id)
{
    json_t *list = json_array();
    for (size_t i = 0; i < cfg->subscription_count; i++) {
        subscription_t sub;
        subscription_from_config(&sub, &cfg->subscriptions[i]);
        if (auth_allows_region(tok, sub.region) && (!id || strcmp(id, sub.id) == 0))
            json_array_append_new(list, subscription_json(&sub, false));
        subscription_fini(&sub);
    }
    redisReply *r = id ? rconn_command(redis, "HMGET {subscriptions}:entries %s", id)
                       : rconn_command(redis, "HGETALL {subscriptions}:entries");
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        if (r)
            freeReplyObject(r);
        json_decref(list);
        return NULL;
    }
    size_t step = id ? 1 : 2;
    for (size_t i = 0; i + step - 1 < r->elements; i += step) {
        redisReply *v = r->element[i + step - 1];
        if (v->type != REDIS_REPLY_STRING)
            continue;
        json_error_t jerr;
        json_t *body = json_loadb(v->str, v->len, 0, &jerr);
        subscription_t sub;
        subscription_error_t err;
        if (body && subscription_parse(&sub, body, cfg, svc->regions, &err) == 0) {
            if (auth_allows_region(tok, sub.region))
                json_array_append_new(list, subscription_json(&sub, false));
            subscription_fini(&sub);
        }
        json_decref(body);
    }
    freeReplyObject(r);
    return list;
}

static void s_create(service_t *svc, const config_t *cfg, rconn_t *redis, const auth_token_t *tok,
                     const http_request_t *req, http_response_t *res)
{
    if (http_request_require_type(req, res, "application/json") != 0)
        return;
    json_error_t jerr;
    json_t *body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!body) {
        http_response_error(res, 400, "bad_json", "body", "the body is not JSON: %s", jerr.text);
        return;
    }
    if (json_object_get(body, "id") || json_object_get(body, "source")) {
        const char *field = json_object_get(body, "id") ? "id" : "source";
        json_decref(body);
        http_response_error(res, 400, "invalid", field, "%s is the server's to set", field);
        return;
    }
    subscription_t sub;
    subscription_error_t err;
    if (subscription_parse(&sub, body, cfg, svc->regions, &err) != 0) {
        json_decref(body);
        http_response_error(res, 400, "invalid", err.field, "%s", err.message);
        return;
    }
    json_decref(body);
    if (!auth_allows_region(tok, sub.region)) {
        subscription_fini(&sub);
        auth_forbid(res, tok, "region", "subscribe outside its region");
        return;
    }
    subscription_new_id(sub.id);
    if (registry_put(redis, &sub, svc->counties, svc->county_count) != 0) {
        subscription_fini(&sub);
        s_unavailable(res, redis);
        return;
    }
    char location[128];
    snprintf(location, sizeof location, "/v1/subscriptions/%s", sub.id);
    s_json(res, 201, subscription_json(&sub, false));
    http_response_header(res, "Location", location);
    subscription_fini(&sub);
}

/* The dead letters of subscription id, county by county (one pipelined round trip): each
 * county's members ending in "|<id>". NULL when Redis is down; else an array of per-county
 * replies (ZRANGE WITHSCORES), svc->county_count long, the caller frees. */
static redisReply **s_dead(service_t *svc, rconn_t *redis)
{
    size_t n = svc->county_count, appended = 0;
    redisReply **replies = calloc(n ? n : 1, sizeof *replies);
    if (!replies || rconn_ensure(redis) != 0) {
        free(replies);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        char key[KEYS_MAX];
        keys_delivery_part(key, svc->counties[i], "dead");
        if (rconn_append(redis, "ZRANGE %s 0 -1 WITHSCORES", key) != 0)
            break;
        appended++;
    }
    bool ok = appended == n;
    for (size_t i = 0; i < appended; i++) {
        replies[i] = rconn_reply(redis);
        ok = ok && replies[i] && replies[i]->type == REDIS_REPLY_ARRAY;
    }
    if (!ok) {
        for (size_t i = 0; i < appended; i++)
            if (replies[i])
                freeReplyObject(replies[i]);
        free(replies);
        return NULL;
    }
    return replies;
}

static bool s_of(const char *member, const char *id)
{
    const char *bar = strrchr(member, '|');
    return bar && strcmp(bar + 1, id) == 0;
}

static void s_free_replies(redisReply **replies, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (replies[i])
            freeReplyObject(replies[i]);
    free(replies);
}

/* GET .../dead-letters: {"dead_letters":[{alert_id, county, since, alert}]} (at most 500). */
static void s_dead_list(service_t *svc, s_thread_t *t, const char *id, http_response_t *res)
{
    redisReply **dead = s_dead(svc, t->redis);
    if (!dead) {
        s_unavailable(res, t->redis);
        return;
    }
    json_t *list = json_array();
    for (size_t c = 0; c < svc->county_count && json_array_size(list) < 500; c++) {
        for (size_t k = 0; k + 1 < dead[c]->elements && json_array_size(list) < 500; k += 2) {
            const char *member = dead[c]->element[k]->str;
            if (!s_of(member, id))
                continue;
            char body_key[KEYS_MAX], since[40];
            keys_delivery_body(body_key, svc->counties[c]);
            redisReply *b = rconn_command(t->redis, "HGET %s %s", body_key, member);
            json_t *o = json_object();
            json_object_set_new(o, "alert_id", json_stringn(member, strcspn(member, "|")));
            json_object_set_new(o, "county", json_string(svc->counties[c]));
            clock_iso(atoll(dead[c]->element[k + 1]->str), since);
            json_object_set_new(o, "since", json_string(since));
            json_error_t jerr;
            json_t *alert =
                b && b->type == REDIS_REPLY_STRING ? json_loads(b->str, 0, &jerr) : NULL;
            json_object_set_new(o, "alert", alert ? alert : json_null());
            if (b)
                freeReplyObject(b);
            json_array_append_new(list, o);
        }
    }
    s_free_replies(dead, svc->county_count);
    json_t *o = json_object();
    json_object_set_new(o, "dead_letters", list);
    s_json(res, 200, o);
}

/* POST .../dead-letters/replay: every dead letter of the subscription back, due now. */
static void s_dead_replay(service_t *svc, s_thread_t *t, const char *id, http_response_t *res)
{
    redisReply **dead = s_dead(svc, t->redis);
    if (!dead) {
        s_unavailable(res, t->redis);
        return;
    }
    int64_t now = clock_wall_ms();
    size_t appended = 0;
    bool failed = false;
    const char **members = NULL;
    for (size_t c = 0; c < svc->county_count && !failed; c++) {
        size_t n = 0;
        const char **more = realloc(members, (dead[c]->elements / 2 + 1) * sizeof *more);
        if (!more) {
            failed = true;
            break;
        }
        members = more;
        for (size_t k = 0; k + 1 < dead[c]->elements; k += 2)
            if (s_of(dead[c]->element[k]->str, id))
                members[n++] = dead[c]->element[k]->str;
        if (n == 0)
            continue;
        if (pending_mark(t->pending, t->redis, svc->counties[c], now) != 0 ||
            delivery_replay_append(t->redis, &t->argv, svc->counties[c], now, true, members, n) !=
                0) {
            failed = true;
            break;
        }
        appended++;
    }
    long long replayed = 0;
    for (size_t i = 0; i < appended; i++) {
        redisReply *r = rconn_reply(t->redis);
        if (r && r->type == REDIS_REPLY_INTEGER)
            replayed += r->integer;
        else
            failed = true;
        if (r)
            freeReplyObject(r);
    }
    free(members);
    s_free_replies(dead, svc->county_count);
    if (failed && replayed == 0) {
        s_unavailable(res, t->redis);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "replayed", json_integer(replayed));
    s_json(res, 200, o);
}

static void s_one(service_t *svc, const config_t *cfg, rconn_t *redis, const auth_token_t *tok,
                  const char *id, bool remove, http_response_t *res)
{
    if (!subscription_id_valid(id)) {
        http_response_error(res, 400, "invalid", "id", "'%.70s' is not a subscription id", id);
        return;
    }
    json_t *list = s_list(svc, cfg, redis, tok, id);
    if (!list) {
        s_unavailable(res, redis);
        return;
    }
    json_t *found = json_array_get(list, 0);
    if (!found) {
        json_decref(list);
        http_response_error(res, 404, "not_found", "id", "no subscription %s", id);
        return;
    }
    if (!remove) {
        s_json(res, 200, json_incref(found));
        json_decref(list);
        return;
    }
    bool config = strcmp(json_string_value(json_object_get(found, "source")), "config") == 0;
    json_decref(list);
    if (config) {
        http_response_error(res, 409, "read_only", "id",
                            "subscription %s is the configuration file's; change it there", id);
        return;
    }
    int rc = registry_remove(redis, id, svc->counties, svc->county_count);
    if (rc < 0)
        s_unavailable(res, redis);
    else if (rc == 0)
        http_response_error(res, 404, "not_found", "id", "no subscription %s", id);
    else
        http_response_text(res, 204, "application/json", "");
}

void notifier_api_handle(void *arg, const http_request_t *req, http_response_t *res)
{
    service_t *svc = arg;
    s_thread_t *t = req->thread;
    rconn_t *redis = t->redis;
    static const char prefix[] = "/v1/subscriptions";
    const size_t plen = sizeof prefix - 1;
    if (strcmp(req->path, "/v1/stream") == 0) {
        stream_handle(svc, redis, req, res);
        return;
    }
    if (strncmp(req->path, prefix, plen) != 0 || (req->path[plen] && req->path[plen] != '/')) {
        http_response_error(
            res, 404, "not_found", NULL,
            "see /v1/subscriptions (GET, POST), /v1/subscriptions/{id} and /v1/stream");
        return;
    }
    config_t *cfg = service_config(svc);
    auth_token_t tok;
    if (auth_host(cfg, req, res) != 0 || auth_request(cfg, redis, req, res, &tok) != 0) {
        config_release(&cfg);
        return;
    }
    const char *id = req->path[plen] == '/' ? req->path + plen + 1 : NULL;
    bool get = strcmp(req->method, "GET") == 0;
    char sub_id[SUBSCRIPTION_ID_MAX] = "";
    const char *rest = id ? strchr(id, '/') : NULL;
    if (rest) {
        snprintf(sub_id, sizeof sub_id, "%.*s", (int)(rest - id), id);
        json_t *list = subscription_id_valid(sub_id) ? s_list(svc, cfg, redis, &tok, sub_id) : NULL;
        bool found = list && json_array_size(list) == 1;
        json_decref(list);
        bool post = strcmp(req->method, "POST") == 0;
        if (strcmp(rest, "/dead-letters") != 0 && strcmp(rest, "/dead-letters/replay") != 0)
            http_response_error(res, 404, "not_found", NULL,
                                "see /v1/subscriptions/{id}/dead-letters[/replay]");
        else if (!found)
            http_response_error(res, 404, "not_found", "id", "no subscription %.64s", sub_id);
        else if (strcmp(rest, "/dead-letters") == 0 && get)
            s_dead_list(svc, t, sub_id, res);
        else if (strcmp(rest, "/dead-letters/replay") == 0 && post)
            s_dead_replay(svc, t, sub_id, res);
        else
            http_response_error(res, 405, "method_not_allowed", NULL,
                                "GET .../dead-letters, POST .../dead-letters/replay");
    } else if (!id && strcmp(req->method, "POST") == 0) {
        s_create(svc, cfg, redis, &tok, req, res);
    } else if (!id && get) {
        json_t *list = s_list(svc, cfg, redis, &tok, NULL);
        if (!list) {
            s_unavailable(res, redis);
        } else {
            json_t *o = json_object();
            json_object_set_new(o, "subscriptions", list);
            s_json(res, 200, o);
        }
    } else if (id && (get || strcmp(req->method, "DELETE") == 0)) {
        s_one(svc, cfg, redis, &tok, id, !get, res);
    } else {
        http_response_error(res, 405, "method_not_allowed", NULL,
                            "GET or POST /v1/subscriptions; GET or DELETE /v1/subscriptions/{id}");
    }
    config_release(&cfg);
}
