#include "deadline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "log.h"
#include "scripts.h"

int deadline_mark(rconn_t *redis, const char *county, int64_t due_ms)
{
    if (rconn_append_discard(redis, "HINCRBY " DEADLINE_GEN " %s 1", county) != 0)
        return -1;
    return rconn_append_discard(redis, "ZADD " DEADLINE_INDEX " LT %lld %s", (long long)due_ms,
                                county);
}

int deadline_due(rconn_t *redis, int64_t now_ms, size_t max, deadline_due_t *due)
{
    memset(due, 0, sizeof *due);
    redisReply *r = rconn_command(redis,
                                  "ZRANGEBYSCORE " DEADLINE_INDEX " -inf %lld WITHSCORES "
                                  "LIMIT 0 %llu",
                                  (long long)now_ms, (unsigned long long)max);
    if (!r)
        return -1;
    if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
        freeReplyObject(r);
        return 0;
    }
    size_t n = r->elements / 2;
    const char **args = calloc(n + 2, sizeof *args);
    due->counties = calloc(n, sizeof *due->counties);
    due->scores = calloc(n, sizeof *due->scores);
    due->gens = calloc(n, sizeof *due->gens);
    due->index = r;
    if (!args || !due->counties || !due->scores || !due->gens) {
        free(args);
        deadline_due_free(due);
        return -1;
    }
    args[0] = "HMGET";
    args[1] = DEADLINE_GEN;
    for (size_t i = 0; i < n; i++) {
        due->counties[i] = r->element[2 * i]->str;
        due->scores[i] = r->element[2 * i + 1]->str;
        args[2 + i] = due->counties[i];
    }
    due->gen = rconn_commandv(redis, (int)n + 2, args, NULL);
    free(args);
    if (!due->gen || due->gen->type != REDIS_REPLY_ARRAY || due->gen->elements != n) {
        deadline_due_free(due);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        due->gens[i] =
            due->gen->element[i]->type == REDIS_REPLY_STRING ? due->gen->element[i]->str : "0";
    due->count = n;
    return 0;
}

void deadline_due_free(deadline_due_t *due)
{
    if (due->index)
        freeReplyObject(due->index);
    if (due->gen)
        freeReplyObject(due->gen);
    free(due->counties);
    free(due->scores);
    free(due->gens);
    memset(due, 0, sizeof *due);
}

int deadline_lease_append(rconn_t *redis, const char *county, int64_t now_ms,
                          int64_t lease_until_ms, size_t max)
{
    char key[KEYS_MAX], now[24], until[24], limit[24];
    keys_deadline(key, county);
    snprintf(now, sizeof now, "%lld", (long long)now_ms);
    snprintf(until, sizeof until, "%lld", (long long)lease_until_ms);
    snprintf(limit, sizeof limit, "%zu", max);
    const char *args[] = {key, county, now, until, limit};
    return rconn_append_eval(redis, &scripts_deadline_lease, 1, 5, args, NULL);
}

long deadline_lease_read(rconn_t *redis, redisReply **reply, int64_t *next_ms,
                         const char ***members, const redisReply ***states)
{
    *reply = NULL;
    *members = NULL;
    *states = NULL;
    *next_ms = -1;
    redisReply *r = rconn_reply(redis);
    if (!r)
        return -1;
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 || r->elements % 2 != 1 ||
        r->element[0]->type != REDIS_REPLY_INTEGER) {
        if (r->type == REDIS_REPLY_ERROR)
            log_error("deadline_lease failed", "error", r->str, NULL);
        freeReplyObject(r);
        return -1;
    }
    size_t n = r->elements / 2;
    *next_ms = r->element[0]->integer;
    *members = calloc(n + 1, sizeof **members);
    *states = calloc(n + 1, sizeof **states);
    if (!*members || !*states) {
        free(*members);
        free(*states);
        freeReplyObject(r);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        (*members)[i] = r->element[1 + 2 * i]->str;
        (*states)[i] = r->element[2 + 2 * i];
    }
    *reply = r;
    return (long)n;
}

int deadline_settle_append(rconn_t *redis, const char *county, const char *score, const char *gen,
                           int64_t next_ms)
{
    char next[24];
    snprintf(next, sizeof next, "%lld", (long long)next_ms);
    const char *args[] = {DEADLINE_INDEX, DEADLINE_GEN, county, score, gen, next};
    return rconn_append_eval(redis, &scripts_deadline_settle, 2, 6, args, NULL);
}

long deadline_full_pass(rconn_t *redis, const char *const *counties, size_t count)
{
    char key[KEYS_MAX];
    for (size_t i = 0; i < count; i++) {
        keys_deadline(key, counties[i]);
        if (rconn_append(redis, "ZRANGE %s 0 0 WITHSCORES", key) != 0)
            return -1;
    }
    long with = 0;
    for (size_t i = 0; i < count; i++) {
        redisReply *r = rconn_reply(redis);
        if (!r)
            return -1;
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
            with++;
            if (deadline_mark(redis, counties[i], strtoll(r->element[1]->str, NULL, 10)) != 0) {
                freeReplyObject(r);
                return -1;
            }
        }
        freeReplyObject(r);
    }
    return with;
}
