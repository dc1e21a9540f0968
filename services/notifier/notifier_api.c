#include "notifier_api.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "registry.h"
#include "subscription.h"

void *notifier_api_thread_new(void *arg)
{
    service_t *svc = arg;
    return service_redis_new(svc->config);
}

void notifier_api_thread_destroy(void *arg, void *state)
{
    (void)arg;
    rconn_t *redis = state;
    rconn_destroy(&redis);
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
    rconn_t *redis = req->thread;
    static const char prefix[] = "/v1/subscriptions";
    const size_t plen = sizeof prefix - 1;
    if (strncmp(req->path, prefix, plen) != 0 || (req->path[plen] && req->path[plen] != '/')) {
        http_response_error(res, 404, "not_found", NULL,
                            "see /v1/subscriptions (GET, POST) and /v1/subscriptions/{id}");
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
    if (!id && strcmp(req->method, "POST") == 0) {
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
