#include "callback.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "query.h"

#define S_DEFAULT_LIMIT 50
#define S_MAX_LIMIT 500

static int s_oldest_first(const void *x, const void *y)
{
    json_int_t a = json_integer_value(json_object_get(*(json_t *const *)x, "resolved_at_ms"));
    json_int_t b = json_integer_value(json_object_get(*(json_t *const *)y, "resolved_at_ms"));
    return a < b ? -1 : a > b;
}

void callback_due(const config_t *cfg, rconn_t *redis, const region_table_t *regions,
                  const auth_token_t *tok, const http_request_t *req, http_response_t *res)
{
    const char *region;
    const region_t *known = NULL;
    if (query_region(regions, req, res, *tok->region ? tok->region : "15", &region, &known) < 0)
        return;
    if (!auth_allows_region(tok, region)) {
        auth_forbid(res, tok, "region", "list call-backs of this region");
        return;
    }
    long limit;
    if (query_limit(req, res, S_DEFAULT_LIMIT, S_MAX_LIMIT, &limit) != 0)
        return;
    size_t all = 0;
    region_counties(regions, &all);
    const region_t **counties = calloc(all ? all : 1, sizeof *counties);
    size_t n = counties ? region_query_counties(regions, region, counties, all) : 0;
    int64_t now = clock_wall_ms(), due_before = now - cfg->callback_due_after_ms;
    bool failed = !counties;
    for (size_t c = 0; c < n && !failed; c++)
        failed = rconn_append(redis, "ZRANGEBYSCORE callback:{%s} -inf %lld WITHSCORES LIMIT 0 %ld",
                              counties[c]->code, (long long)due_before, limit) != 0;
    json_t *list = json_array();
    size_t plen = strlen(region);
    for (size_t c = 0; c < n && !failed; c++) {
        redisReply *r = rconn_reply(redis);
        if (!r) {
            failed = true;
            break;
        }
        for (size_t k = 0; r->type == REDIS_REPLY_ARRAY && k + 1 < r->elements; k += 2) {
            const char *member = r->element[k]->str, *bar = strchr(member, '|');
            if (!bar || strncmp(member, region, plen) != 0)
                continue;
            long long at = strtoll(r->element[k + 1]->str, NULL, 10);
            char iso[40];
            clock_iso(at, iso);
            json_array_append_new(
                list, json_pack("{s:s, s:s#, s:s, s:I, s:I}", "id", bar + 1, "region", member,
                                (int)(bar - member), "resolved_at", iso, "resolved_at_ms",
                                (json_int_t)at, "waiting_s", (json_int_t)((now - at) / 1000)));
        }
        freeReplyObject(r);
    }
    free(counties);
    if (failed) {
        json_decref(list);
        http_response_error(res, 503, "unavailable", NULL, "%s", rconn_errstr(redis));
        return;
    }
    /* oldest first over the counties, at most limit */
    size_t count = json_array_size(list);
    json_t **items = calloc(count ? count : 1, sizeof *items);
    for (size_t i = 0; items && i < count; i++)
        items[i] = json_array_get(list, i);
    if (items)
        qsort(items, count, sizeof *items, s_oldest_first);
    json_t *out = json_array();
    for (size_t i = 0; items && i < count && i < (size_t)limit; i++)
        json_array_append(out, items[i]);
    free(items);
    json_decref(list);
    json_t *answer = json_pack("{s:o}", "callbacks", out);
    char *text = json_dumps(answer, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(answer);
    http_response_json(res, 200, text);
}
