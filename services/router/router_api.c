#include "router_api.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "appeal.h"
#include "auth.h"
#include "query.h"
#include "clock.h"
#include "directory.h"
#include "keys.h"
#include "routing.h"
#include "url.h"

typedef struct {
    rconn_t *redis;
    directory_t *directory;
} s_thread_t;

void *router_api_thread_new(void *arg)
{
    service_t *svc = arg;
    s_thread_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->redis = service_redis_new(svc->config);
    t->directory = directory_new();
    if (!t->redis || !t->directory) {
        router_api_thread_destroy(arg, t);
        return NULL;
    }
    return t;
}

void router_api_thread_destroy(void *arg, void *state)
{
    s_thread_t *t = state;
    if (!t)
        return;
    rconn_destroy(&t->redis);
    directory_destroy(&t->directory);
    free(t);
}

int router_api_health(void *arg, void *thread, char *why, size_t whylen)
{
    s_thread_t *t = thread;
    redisReply *r = rconn_command(t->redis, "PING");
    if (!r) {
        snprintf(why, whylen, "%s", rconn_errstr(t->redis));
        return -1;
    }
    freeReplyObject(r);
    return 0;
}

static void s_unavailable(http_response_t *res, rconn_t *redis)
{
    http_response_error(res, 503, "unavailable", NULL, "%s; try again shortly",
                        rconn_errstr(redis));
    http_response_header(res, "Retry-After", "1");
}

static void s_json(http_response_t *res, int status, json_t *o)
{
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    http_response_json(res, status, text);
}

static json_t *s_entry_json(const char *id, const config_directory_entry_t *e, const char *source)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "department", json_string(e->department));
    json_object_set_new(o, "level", json_string(e->level));
    json_object_set_new(o, "region", json_string(e->region));
    json_object_set_new(o, "assignee", json_string(e->assignee));
    if (e->target_url && *e->target_url) {
        /* the URL without its query (WeCom's key=, DingTalk's access_token=) nor user:pass */
        char shown[2100];
        url_redact(e->target_url, shown, sizeof shown);
        json_t *target = json_object();
        json_object_set_new(target, "type",
                            json_string(e->target && *e->target ? e->target : "webhook"));
        json_object_set_new(target, "url", json_string(shown));
        if (e->target_secret && *e->target_secret)
            json_object_set_new(target, "secret", json_string("***"));
        json_object_set_new(o, "target", target);
    }
    json_object_set_new(o, "source", json_string(source));
    return o;
}

static void s_list(s_thread_t *t, const config_t *cfg, http_response_t *res)
{
    if (directory_refresh(t->directory, t->redis) != 0) {
        s_unavailable(res, t->redis);
        return;
    }
    json_t *list = json_array();
    char id[DIRECTORY_ID_MAX];
    for (size_t i = 0; i < cfg->directory_count; i++) {
        directory_id(&cfg->directory[i], id);
        json_t *o = s_entry_json(id, &cfg->directory[i], "config");
        if (directory_overrides(t->directory, &cfg->directory[i]))
            json_object_set_new(o, "overridden", json_true());
        json_array_append_new(list, o);
    }
    size_t count = 0;
    const directory_entry_t *api = directory_entries(t->directory, &count);
    for (size_t i = 0; i < count; i++)
        json_array_append_new(list, s_entry_json(api[i].id, &api[i].entry, "api"));
    json_t *o = json_object();
    json_object_set_new(o, "entries", list);
    s_json(res, 200, o);
}

/* A string member of the body, or "" when absent; -1 when present and not a string. */
static int s_member(json_t *root, const char *name, const char **out)
{
    json_t *v = json_object_get(root, name);
    *out = "";
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
        return -1;
    *out = json_string_value(v);
    return 0;
}

static void s_add(s_thread_t *t, const config_t *cfg, const auth_token_t *tok,
                  const http_request_t *req, http_response_t *res)
{
    if (http_request_require_type(req, res, "application/json") != 0)
        return;
    json_error_t jerr;
    json_t *root = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        http_response_error(res, 400, "bad_json", "body",
                            "the body must be a JSON object {department, level, region, "
                            "assignee}");
        return;
    }
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value)
    {
        if (strcmp(key, "department") && strcmp(key, "level") && strcmp(key, "region") &&
            strcmp(key, "assignee") && strcmp(key, "target")) {
            http_response_error(res, 400, "unknown_field", key, "unknown field '%.60s'", key);
            json_decref(root);
            return;
        }
    }
    const char *dept = "", *level = "", *region = "", *assignee = "";
    const char *names[] = {"department", "level", "region", "assignee"};
    const char **outs[] = {&dept, &level, &region, &assignee};
    for (size_t i = 0; i < 4; i++)
        if (s_member(root, names[i], outs[i]) != 0) {
            http_response_error(res, 400, "invalid", names[i], "%s must be a string", names[i]);
            json_decref(root);
            return;
        }
    /* a category name means its department */
    const char *known = strcmp(dept, "*") == 0 ? "*" : routing_department(cfg, dept);
    /* where alerts naming this owner go as well: {type, url, secret} */
    const char *ttype = "", *turl = "", *tsecret = "";
    json_t *target = json_object_get(root, "target");
    if (target) {
        const char *tk;
        json_t *tv;
        bool ok = json_is_object(target);
        json_object_foreach(target, tk, tv)
        {
            ok = ok && (!strcmp(tk, "type") || !strcmp(tk, "url") || !strcmp(tk, "secret"));
        }
        if (!ok || s_member(target, "type", &ttype) != 0 || s_member(target, "url", &turl) != 0 ||
            s_member(target, "secret", &tsecret) != 0) {
            http_response_error(res, 400, "invalid", "target",
                                "target must be {\"type\", \"url\", \"secret\"} strings");
            json_decref(root);
            return;
        }
        if (!*ttype)
            ttype = "webhook";
    }
    config_directory_entry_t e = {
        .department = (char *)(known ? known : dept),
        .level = (char *)(*level ? level : "green"),
        .region = (char *)region,
        .assignee = (char *)assignee,
        .target = (char *)ttype,
        .target_url = (char *)turl,
        .target_secret = (char *)tsecret,
    };
    const char *field = NULL, *why = directory_check(cfg, &e, &field);
    if (why) {
        http_response_error(res, 400, "invalid", field, "%s %s", field, why);
        json_decref(root);
        return;
    }
    if (!auth_allows_region(tok, e.region)) { /* a county's token edits its county's entries */
        auth_forbid(res, tok, "region", "change directory entries of this region");
        json_decref(root);
        return;
    }
    char id[DIRECTORY_ID_MAX];
    if (directory_put(t->redis, &e, id) != 0) {
        json_decref(root);
        s_unavailable(res, t->redis);
        return;
    }
    s_json(res, 201, s_entry_json(id, &e, "api"));
    json_decref(root);
}

static void s_remove(s_thread_t *t, const config_t *cfg, const auth_token_t *tok, const char *id,
                     http_response_t *res)
{
    /* the id ends in the entry's region ("heating.blue.150123", "*.red.all") */
    const char *dot = strrchr(id, '.');
    const char *region = dot && strcmp(dot + 1, "all") != 0 ? dot + 1 : "";
    if (!auth_allows_region(tok, region)) {
        auth_forbid(res, tok, "id", "change directory entries of this region");
        return;
    }
    int rc = directory_remove(t->redis, id);
    if (rc < 0) {
        s_unavailable(res, t->redis);
        return;
    }
    if (rc == 1) {
        http_response_text(res, 204, "text/plain", "");
        return;
    }
    char cid[DIRECTORY_ID_MAX];
    for (size_t i = 0; i < cfg->directory_count; i++) {
        directory_id(&cfg->directory[i], cid);
        if (strcmp(cid, id) == 0) {
            http_response_error(res, 409, "read_only", "id",
                                "%.96s is an entry of the configuration file: change the file "
                                "and send SIGHUP",
                                id);
            return;
        }
    }
    http_response_error(res, 404, "not_found", "id", "no directory entry %.96s", id);
}

/* One supervised appeal, for sorting. */
typedef struct {
    const char *id;
    int64_t deadline;
    redisReply *fields;
} s_supervised_t;

static int s_by_deadline(const void *x, const void *y)
{
    const s_supervised_t *a = x, *b = y;
    return a->deadline < b->deadline ? -1 : a->deadline > b->deadline ? 1 : strcmp(a->id, b->id);
}

static void s_supervision(s_thread_t *t, service_t *svc, const http_request_t *req,
                          http_response_t *res)
{
    const char *region;
    const region_t *known = NULL;
    long limit;
    if (query_region(svc->regions, req, res, "15", &region, &known) < 0 ||
        query_limit(req, res, 100, 1000, &limit) != 0)
        return;
    size_t all = 0;
    region_counties(svc->regions, &all);
    const region_t **counties = calloc(all ? all : 1, sizeof *counties);
    if (!counties) {
        http_response_error(res, 503, "unavailable", NULL, "out of memory");
        return;
    }
    size_t n = region_query_counties(svc->regions, region, counties, all);
    char key[KEYS_MAX];
    for (size_t i = 0; i < n; i++) {
        keys_supervision(key, counties[i]->code);
        rconn_append(t->redis, "ZRANGE %s 0 %ld WITHSCORES", key, limit - 1);
    }
    redisReply **lists = calloc(n ? n : 1, sizeof *lists);
    size_t total = 0;
    bool down = !lists;
    for (size_t i = 0; i < n; i++) {
        redisReply *r = rconn_reply(t->redis);
        if (!r) {
            down = true;
            break;
        }
        if (lists)
            lists[i] = r;
        else
            freeReplyObject(r);
        if (r->type == REDIS_REPLY_ARRAY)
            total += r->elements / 2;
    }
    s_supervised_t *items = down ? NULL : calloc(total ? total : 1, sizeof *items);
    size_t count = 0;
    for (size_t i = 0; items && i < n; i++) {
        redisReply *r = lists[i];
        for (size_t k = 0; r->type == REDIS_REPLY_ARRAY && k + 1 < r->elements; k += 2) {
            const char *id = r->element[k]->str;
            if (strncmp(id, region, strlen(region) < 6 ? strlen(region) : 6) != 0)
                continue;
            items[count].id = id;
            items[count].deadline = strtoll(r->element[k + 1]->str, NULL, 10);
            count++;
        }
    }
    static const char *fields[] = {APPEAL_F_REGION, APPEAL_F_CATEGORY, APPEAL_F_ASSIGNEE,
                                   APPEAL_F_STATUS, APPEAL_F_TITLE,    APPEAL_F_DEPARTMENT,
                                   APPEAL_F_CHANNEL};
    const size_t nf = sizeof fields / sizeof fields[0];
    for (size_t i = 0; items && i < count; i++) {
        char county[7], akey[KEYS_MAX];
        keys_county_of_id(items[i].id, county);
        keys_appeal(akey, county, items[i].id);
        const char *args[2 + 7] = {"HMGET", akey};
        for (size_t f = 0; f < nf; f++)
            args[2 + f] = fields[f];
        rconn_appendv(t->redis, (int)(2 + nf), args, NULL);
    }
    for (size_t i = 0; items && i < count; i++)
        if (!(items[i].fields = rconn_reply(t->redis)))
            down = true;
    if (down || (!items && n)) {
        s_unavailable(res, t->redis);
    } else {
        qsort(items, count, sizeof *items, s_by_deadline);
        int64_t now = clock_wall_ms();
        json_t *list = json_array();
        size_t shown = 0;
        for (size_t i = 0; i < count && shown < (size_t)limit; i++) {
            redisReply *f = items[i].fields;
            if (f->type != REDIS_REPLY_ARRAY || f->elements != nf ||
                f->element[0]->type != REDIS_REPLY_STRING ||
                strncmp(f->element[0]->str, region, strlen(region)) != 0)
                continue;
            json_t *o = json_object();
            json_object_set_new(o, "id", json_string(items[i].id));
            for (size_t k = 0; k < nf; k++)
                json_object_set_new(o, fields[k],
                                    json_string(f->element[k]->type == REDIS_REPLY_STRING
                                                    ? f->element[k]->str
                                                    : ""));
            char when[40];
            clock_iso(items[i].deadline, when);
            json_object_set_new(o, "resolve_deadline", json_string(when));
            json_object_set_new(o, "overdue_s", json_integer((now - items[i].deadline) / 1000));
            json_array_append_new(list, o);
            shown++;
        }
        json_t *o = json_object();
        json_object_set_new(o, "region", json_string(region));
        json_object_set_new(o, "appeals", list);
        s_json(res, 200, o);
    }
    for (size_t i = 0; items && i < count; i++)
        if (items[i].fields)
            freeReplyObject(items[i].fields);
    free(items);
    for (size_t i = 0; lists && i < n; i++)
        if (lists[i])
            freeReplyObject(lists[i]);
    free(lists);
    free(counties);
}

void router_api_handle(void *arg, const http_request_t *req, http_response_t *res)
{
    service_t *svc = arg;
    s_thread_t *t = req->thread;
    config_t *cfg = service_config(svc);
    static const char entry[] = "/v1/directory/";
    auth_token_t tok;
    bool changes = strcmp(req->method, "POST") == 0 || strcmp(req->method, "DELETE") == 0;
    if (strncmp(req->path, "/v1/", 4) == 0 &&
        (auth_host(cfg, req, res) != 0 || auth_request(cfg, t->redis, req, res, &tok) != 0)) {
        config_release(&cfg);
        return;
    }
    if (strncmp(req->path, "/v1/directory", 13) == 0 && changes &&
        !auth_allows_action(&tok, "directory")) {
        auth_forbid(res, &tok, "Authorization", "change the directory (action \"directory\")");
    } else if (strcmp(req->path, "/v1/supervision") == 0 &&
               !auth_allows_region(&tok, http_request_arg(req, "region")
                                             ? http_request_arg(req, "region")
                                             : "15")) {
        auth_forbid(res, &tok, "region", "read the supervision list of this region");
    } else if (strcmp(req->path, "/v1/directory") == 0) {
        if (strcmp(req->method, "GET") == 0)
            s_list(t, cfg, res);
        else if (strcmp(req->method, "POST") == 0)
            s_add(t, cfg, &tok, req, res);
        else
            http_response_error(res, 405, "method_not_allowed", NULL,
                                "use GET or POST /v1/directory");
    } else if (strncmp(req->path, entry, sizeof entry - 1) == 0) {
        if (strcmp(req->method, "DELETE") == 0)
            s_remove(t, cfg, &tok, req->path + sizeof entry - 1, res);
        else
            http_response_error(res, 405, "method_not_allowed", NULL,
                                "use DELETE /v1/directory/{id}");
    } else if (strcmp(req->path, "/v1/supervision") == 0) {
        if (strcmp(req->method, "GET") == 0)
            s_supervision(t, svc, req, res);
        else
            http_response_error(res, 405, "method_not_allowed", NULL,
                                "use GET /v1/supervision?region=PREFIX");
    } else {
        http_response_error(res, 404, "not_found", NULL,
                            "no such resource; see /v1/directory, /v1/supervision");
    }
    config_release(&cfg);
}
