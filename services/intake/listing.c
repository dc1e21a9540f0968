#include "listing.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appeal.h"
#include "clock.h"
#include "contact.h"
#include "keys.h"
#include "query.h"
#include "rules.h"

#define S_DEFAULT_LIMIT 50
#define S_MAX_LIMIT 500

int listing_newest_first(const void *x, const void *y)
{
    const listing_candidate_t *a = x, *b = y;
    if (a->ms != b->ms)
        return a->ms < b->ms ? 1 : -1;
    return -strcmp(a->id, b->id);
}

/* The fields read of each candidate, in this order. */
static const char *const s_fields[] = {
    APPEAL_F_STATUS,
    APPEAL_F_LEVEL,
    APPEAL_F_CHANNEL,
    APPEAL_F_CATEGORY,
    APPEAL_F_REGION,
    APPEAL_F_ASSIGNEE,
    APPEAL_F_DEPARTMENT,
    APPEAL_F_TITLE,
    APPEAL_F_CREATED_AT_MS,
    APPEAL_F_ACK_DEADLINE_MS,
    APPEAL_F_RESOLVE_DEADLINE_MS,
    APPEAL_F_REPORTER_NAME,
    APPEAL_F_REPORTER_PHONE,
    APPEAL_F_REPORTER_EMAIL,
};
enum {
    F_STATUS,
    F_LEVEL,
    F_CHANNEL,
    F_CATEGORY,
    F_REGION,
    F_ASSIGNEE,
    F_DEPARTMENT,
    F_TITLE,
    F_CREATED,
    F_ACK,
    F_RESOLVE,
    F_NAME,
    F_PHONE,
    F_EMAIL,
    F_COUNT
};

typedef struct {
    const char *region, *status, *level, *channel, *category, *assignee, *department, *overdue;
} s_filter_t;

static const char *s_value(const redisReply *r, int f)
{
    return r->element[f]->type == REDIS_REPLY_STRING ? r->element[f]->str : "";
}

static bool s_match(const s_filter_t *flt, const redisReply *r, int64_t now)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements != F_COUNT || !*s_value(r, F_STATUS))
        return false;
    const struct {
        const char *want;
        int field;
    } eq[] = {{flt->status, F_STATUS},     {flt->level, F_LEVEL},
              {flt->channel, F_CHANNEL},   {flt->category, F_CATEGORY},
              {flt->assignee, F_ASSIGNEE}, {flt->department, F_DEPARTMENT}};
    for (size_t i = 0; i < sizeof eq / sizeof eq[0]; i++)
        if (eq[i].want && *eq[i].want && strcmp(eq[i].want, s_value(r, eq[i].field)) != 0)
            return false;
    if (strncmp(s_value(r, F_REGION), flt->region, strlen(flt->region)) != 0)
        return false;
    if (flt->overdue && *flt->overdue) {
        int status = appeal_status_parse(s_value(r, F_STATUS));
        int64_t due = strtoll(s_value(r, F_RESOLVE), NULL, 10);
        bool overdue =
            status >= 0 && appeal_status_open((appeal_status_t)status) && due > 0 && due < now;
        if (overdue != (strcmp(flt->overdue, "true") == 0))
            return false;
    }
    return true;
}

static json_t *s_item(const char *id, const redisReply *r, bool contacts)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(id));
    for (int f = F_STATUS; f <= F_TITLE; f++)
        json_object_set_new(o, s_fields[f], json_string(s_value(r, f)));
    char when[40];
    const int times[] = {F_CREATED, F_ACK, F_RESOLVE};
    const char *names[] = {"created_at", "ack_deadline", "resolve_deadline"};
    for (size_t i = 0; i < 3; i++) {
        int64_t ms = strtoll(s_value(r, times[i]), NULL, 10);
        if (ms > 0) {
            clock_iso(ms, when);
            json_object_set_new(o, names[i], json_string(when));
        }
    }
    const char *name = s_value(r, F_NAME), *phone = s_value(r, F_PHONE),
               *email = s_value(r, F_EMAIL);
    if (*name || *phone || *email) {
        char n[CONTACT_MAX], p[CONTACT_MAX], e[CONTACT_MAX];
        if (!contacts) {
            contact_mask_name(name, n);
            contact_mask_phone(phone, p);
            contact_mask_email(email, e);
            name = n, phone = p, email = e;
        }
        json_object_set_new(
            o, "reporter",
            json_pack("{s:s, s:s, s:s}", "name", name, "phone", phone, "email", email));
    }
    return o;
}

void listing_get(rconn_t *redis, const region_table_t *regions, const auth_token_t *tok,
                 const http_request_t *req, http_response_t *res)
{
    s_filter_t flt = {
        .region = http_request_arg(req, "region"),
        .status = http_request_arg(req, "status"),
        .level = http_request_arg(req, "level"),
        .channel = http_request_arg(req, "channel"),
        .category = http_request_arg(req, "category"),
        .assignee = http_request_arg(req, "assignee"),
        .department = http_request_arg(req, "department"),
        .overdue = http_request_arg(req, "overdue"),
    };
    /* no region: the token's, else the province */
    const region_t *known = NULL;
    int level =
        query_region(regions, req, res, *tok->region ? tok->region : "15", &flt.region, &known);
    if (level < 0)
        return;
    if (!auth_allows_region(tok, flt.region)) {
        auth_forbid(res, tok, "region", "list appeals of this region");
        return;
    }
    if (flt.overdue && strcmp(flt.overdue, "true") && strcmp(flt.overdue, "false")) {
        http_response_error(res, 400, "invalid", "overdue", "overdue must be true or false");
        return;
    }
    long limit;
    if (query_limit(req, res, S_DEFAULT_LIMIT, S_MAX_LIMIT, &limit) != 0)
        return;
    int64_t lo = 0, hi = INT64_MAX;
    rules_error_t err;
    const char *from = http_request_arg(req, "from"), *to = http_request_arg(req, "to");
    if ((from && rules_parse_time(from, &lo) != 0) || (to && rules_parse_time(to, &hi) != 0)) {
        http_response_error(res, 400, "invalid",
                            from && rules_parse_time(from, &lo) ? "from" : "to",
                            "from and to must be RFC 3339 times");
        return;
    }
    (void)err;
    /* the cursor: "<ms>:<id>", the last appeal of the page before: older ones come next */
    const char *cursor = http_request_arg(req, "cursor");
    char cursor_id[KEYS_ID_MAX] = "";
    int64_t cursor_ms = INT64_MAX;
    if (cursor && *cursor) {
        long long ms = 0;
        int n = 0;
        if (sscanf(cursor, "%lld:%39s%n", &ms, cursor_id, &n) != 2 || cursor[n] ||
            keys_check_id(cursor_id) != 0) {
            http_response_error(res, 400, "invalid", "cursor", "cursor must be a next_cursor");
            return;
        }
        cursor_ms = ms;
    }
    if (cursor_ms < hi)
        hi = cursor_ms;

    size_t all = 0;
    region_counties(regions, &all);
    const region_t **counties = calloc(all ? all : 1, sizeof *counties);
    if (!counties) {
        http_response_error(res, 503, "unavailable", NULL, "out of memory");
        return;
    }
    size_t nc = region_query_counties(regions, flt.region, counties, all);
    /* each county: up to limit+1 candidates at or below the cursor (ties are skipped below) */
    char key[KEYS_MAX];
    bool down = false;
    for (size_t i = 0; i < nc && !down; i++) {
        keys_index_created(key, counties[i]->code);
        down = rconn_append(redis, "ZREVRANGEBYSCORE %s %lld %lld WITHSCORES LIMIT 0 %ld", key,
                            (long long)hi, (long long)lo, limit + 1) != 0;
    }
    redisReply **lists = calloc(nc ? nc : 1, sizeof *lists);
    size_t total = 0;
    for (size_t i = 0; i < nc && !down && lists; i++) {
        if (!(lists[i] = rconn_reply(redis)))
            down = true;
        else if (lists[i]->type == REDIS_REPLY_ARRAY)
            total += lists[i]->elements / 2;
    }
    listing_candidate_t *cands = calloc(total ? total : 1, sizeof *cands);
    size_t count = 0;
    bool more = false;
    for (size_t i = 0; i < nc && !down && lists && cands; i++) {
        const redisReply *r = lists[i];
        if (r->type != REDIS_REPLY_ARRAY)
            continue;
        if (r->elements / 2 > (size_t)limit)
            more = true;
        for (size_t k = 0; k + 1 < r->elements; k += 2) {
            int64_t ms = strtoll(r->element[k + 1]->str, NULL, 10);
            const char *id = r->element[k]->str;
            if (ms == cursor_ms && strcmp(id, cursor_id) >= 0)
                continue; /* shown on an earlier page */
            cands[count++] = (listing_candidate_t){ms, id};
        }
    }
    if (!down && cands)
        qsort(cands, count, sizeof *cands, listing_newest_first);
    /* read the newest candidates' fields, up to limit of them (one round trip) */
    size_t examine = count < (size_t)limit ? count : (size_t)limit;
    if (count > examine)
        more = true;
    for (size_t i = 0; i < examine && !down; i++) {
        char county[7], akey[KEYS_MAX];
        keys_county_of_id(cands[i].id, county);
        keys_appeal(akey, county, cands[i].id);
        const char *args[2 + F_COUNT] = {"HMGET", akey};
        for (int f = 0; f < F_COUNT; f++)
            args[2 + f] = s_fields[f];
        down = rconn_appendv(redis, 2 + F_COUNT, args, NULL) != 0;
    }
    json_t *list = json_array();
    int64_t now = clock_wall_ms();
    for (size_t i = 0; i < examine && !down; i++) {
        redisReply *r = rconn_reply(redis);
        if (!r) {
            down = true;
            break;
        }
        if (s_match(&flt, r, now))
            json_array_append_new(list, s_item(cands[i].id, r, tok->contacts));
        freeReplyObject(r);
    }
    if (down || !lists || !cands) {
        json_decref(list);
        http_response_error(res, 503, "unavailable", NULL, "%s; try again shortly",
                            rconn_errstr(redis));
        http_response_header(res, "Retry-After", "1");
    } else {
        json_t *o = json_object();
        json_object_set_new(o, "appeals", list);
        if (more && examine > 0) {
            char next[80];
            snprintf(next, sizeof next, "%lld:%s", (long long)cands[examine - 1].ms,
                     cands[examine - 1].id);
            json_object_set_new(o, "next_cursor", json_string(next));
        } else {
            json_object_set_new(o, "next_cursor", json_null());
        }
        char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(o);
        http_response_json(res, 200, text);
    }
    free(cands);
    for (size_t i = 0; lists && i < nc; i++)
        if (lists[i])
            freeReplyObject(lists[i]);
    free(lists);
    free(counties);
}
