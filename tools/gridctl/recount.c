#include "recount.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "keys.h"
#include "tally.h"

#define S_BATCH 200

typedef struct {
    const char *region, *from, *to;
    char county[7];
    json_t *expected; /* key -> {field -> count} */
    json_t *gauge;    /* field -> count */
    json_t *open;     /* id -> resolve deadline */
    FILE *out;
    recount_result_t *result;
} s_recount_t;

/* The period of a stats key's period part is in the span: a day within it, a month touching. */
static bool s_period_in(const s_recount_t *self, const char *period)
{
    size_t len = strlen(period);
    if (len == 8)
        return (!self->from || strcmp(period, self->from) >= 0) &&
               (!self->to || strcmp(period, self->to) <= 0);
    if (len == 6)
        return (!self->from || strncmp(period, self->from, 6) >= 0) &&
               (!self->to || strncmp(period, self->to, 6) <= 0);
    return false;
}

static void s_add(s_recount_t *self, const char *period, const char *region, const char *field,
                  long long n)
{
    if (strncmp(region, self->region, strlen(self->region) < 6 ? 0 : strlen(self->region)) != 0 ||
        !s_period_in(self, period))
        return;
    char key[KEYS_MAX];
    keys_stats(key, self->county, period, region);
    json_t *h = json_object_get(self->expected, key);
    if (!h) {
        h = json_object();
        json_object_set_new(self->expected, key, h);
    }
    json_int_t before = json_integer_value(json_object_get(h, field));
    json_object_set_new(h, field, json_integer(before + n));
}

static void s_add_all(s_recount_t *self, const tally_t *t, const char *day, const char *month,
                      const char *field)
{
    for (size_t r = 0; r < t->nregions; r++) {
        s_add(self, day, t->regions[r], field, 1);
        if (r == 0) /* the monthly roll-up is the county's alone */
            s_add(self, month, t->regions[r], field, 1);
    }
}

/* One appeal's history (an LRANGE reply) into the expected counters. 0, -1 unreadable. */
static int s_history(s_recount_t *self, const char *id, const redisReply *list)
{
    enum { S_SLOTS = 5 };
    tally_t slots[S_SLOTS] = {0};
    bool held[S_SLOTS] = {false};
    static const char *names[S_SLOTS] = {"agg_asg", "agg_ack", "agg_res", "agg_fb", "agg_inv"};
    for (size_t i = 0; i < list->elements; i++) {
        const redisReply *raw = list->element[i];
        Gridline__Event *e = event_unpack((const uint8_t *)raw->str, raw->len);
        if (!e) {
            fprintf(self->out, "appeal %s: event %zu of its history is not an Event\n", id, i + 1);
            return -1;
        }
        tally_t t;
        if (tally_event(e, &t) == 0) {
            self->result->events++;
            for (size_t f = 0; f < t.nfields; f++)
                s_add_all(self, &t, t.day, t.month, t.fields[f]);
            for (int s = 0; s < S_SLOTS && *t.cohort_day && t.slot; s++) {
                if (strcmp(t.slot, names[s]) != 0)
                    continue;
                bool better =
                    !held[s] || (t.slot_latest ? t.seq > slots[s].seq : t.seq < slots[s].seq);
                if (better) {
                    slots[s] = t;
                    slots[s].slot = names[s];
                    held[s] = true;
                }
            }
        }
        event_free(&e);
    }
    /* an invalid call: its other slots are out of the rates */
    for (int s = 0; s < S_SLOTS; s++)
        for (size_t f = 0; held[s] && (!held[4] || s == 4) && f < slots[s].nslot_fields; f++)
            s_add_all(self, &slots[s], slots[s].cohort_day, slots[s].cohort_month,
                      slots[s].slot_fields[f]);
    return 0;
}

/* An appeal's state (HMGET status level resolve_deadline_ms) into the expected gauges. */
static void s_state(s_recount_t *self, const char *id, const redisReply *st)
{
    if (st->type != REDIS_REPLY_ARRAY || st->elements != 4 ||
        st->element[0]->type != REDIS_REPLY_STRING)
        return;
    const char *status = st->element[0]->str;
    const char *level = st->element[1]->type == REDIS_REPLY_STRING ? st->element[1]->str : "";
    long long resolve =
        st->element[2]->type == REDIS_REPLY_STRING ? strtoll(st->element[2]->str, NULL, 10) : 0;
    char field[64];
    snprintf(field, sizeof field, "st:%s", status);
    json_object_set_new(self->gauge, field,
                        json_integer(json_integer_value(json_object_get(self->gauge, field)) + 1));
    bool open = strcmp(status, "resolved") != 0 && strcmp(status, "closed") != 0 &&
                strcmp(status, "invalid") != 0;
    if (open && *level) {
        snprintf(field, sizeof field, "lvl:%s", level);
        json_object_set_new(
            self->gauge, field,
            json_integer(json_integer_value(json_object_get(self->gauge, field)) + 1));
    }
    if (open && resolve > 0) {
        char member[64];
        snprintf(member, sizeof member, "%s|%s",
                 st->element[3]->type == REDIS_REPLY_STRING ? st->element[3]->str : "", id);
        json_object_set_new(self->open, member, json_integer(resolve));
    }
}

static void s_differ(s_recount_t *self, const char *key, const char *field, long long expected,
                     long long actual)
{
    if (expected == actual)
        return;
    self->result->differences++;
    fprintf(self->out, "%s %s: expected %lld, found %lld\n", key, field, expected, actual);
}

/* expected {field -> n} against an HGETALL reply, both ways (zeros equal missing). */
static void s_compare_hash(s_recount_t *self, const char *key, json_t *expected,
                           const redisReply *actual)
{
    json_t *seen = json_object();
    for (size_t k = 0; actual && k + 1 < actual->elements; k += 2) {
        const char *field = actual->element[k]->str;
        long long have = strtoll(actual->element[k + 1]->str, NULL, 10);
        s_differ(self, key, field, json_integer_value(json_object_get(expected, field)), have);
        json_object_set_new(seen, field, json_true());
        self->result->fields++;
    }
    const char *field;
    json_t *value;
    json_object_foreach(expected, field, value)
    {
        if (!json_object_get(seen, field))
            s_differ(self, key, field, json_integer_value(value), 0);
    }
    json_decref(seen);
}

static int s_read_appeals(s_recount_t *self, rconn_t *redis)
{
    char key[KEYS_MAX];
    keys_index_created(key, self->county);
    redisReply *ids = rconn_command(redis, "ZRANGE %s 0 -1", key);
    if (!ids || ids->type != REDIS_REPLY_ARRAY) {
        fprintf(self->out, "cannot read %s: %s\n", key, ids ? ids->str : rconn_errstr(redis));
        if (ids)
            freeReplyObject(ids);
        return -1;
    }
    int rc = 0;
    for (size_t at = 0; at < ids->elements && rc == 0; at += S_BATCH) {
        size_t n = ids->elements - at < S_BATCH ? ids->elements - at : S_BATCH;
        for (size_t i = 0; i < n; i++) {
            const char *id = ids->element[at + i]->str;
            char ekey[KEYS_MAX], akey[KEYS_MAX];
            keys_events(ekey, self->county, id);
            keys_appeal(akey, self->county, id);
            if (rconn_append(redis, "LRANGE %s 0 -1", ekey) != 0 ||
                rconn_append(redis, "HMGET %s status level resolve_deadline_ms region", akey) != 0)
                rc = -1;
        }
        for (size_t i = 0; i < n && rc == 0; i++) {
            const char *id = ids->element[at + i]->str;
            redisReply *list = rconn_reply(redis), *st = list ? rconn_reply(redis) : NULL;
            if (!list || !st)
                rc = -1;
            else if (list->type == REDIS_REPLY_ARRAY && s_history(self, id, list) != 0)
                rc = -1;
            else
                s_state(self, id, st);
            self->result->appeals++;
            if (list)
                freeReplyObject(list);
            if (st)
                freeReplyObject(st);
        }
    }
    freeReplyObject(ids);
    return rc;
}

/* The stats keys of the county in scope (SCAN), each compared with its expected counters. */
static int s_compare(s_recount_t *self, rconn_t *redis)
{
    char pattern[64];
    snprintf(pattern, sizeof pattern, "stats:{%s}:*", self->county);
    json_t *keys = json_object();
    const char *key;
    json_t *value;
    json_object_foreach(self->expected, key, value)
    {
        json_object_set_new(keys, key, json_true());
    }
    char cursor[32] = "0";
    do {
        redisReply *r = rconn_command(redis, "SCAN %s MATCH %s COUNT 1000", cursor, pattern);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            if (r)
                freeReplyObject(r);
            return -1;
        }
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i++) {
            const char *k = r->element[1]->element[i]->str;
            /* stats:{C}:<period>:<region> */
            const char *period = k + strlen("stats:{") + 6 + 2;
            const char *colon = strchr(period, ':');
            if (!colon)
                continue;
            char p[16];
            snprintf(p, sizeof p, "%.*s", (int)(colon - period), period);
            size_t plen = strlen(self->region) < 6 ? 0 : strlen(self->region);
            if (s_period_in(self, p) && strncmp(colon + 1, self->region, plen) == 0)
                json_object_set_new(keys, k, json_true());
        }
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    json_object_foreach(keys, key, value)
    {
        redisReply *r = rconn_command(redis, "HGETALL %s", key);
        if (!r) {
            json_decref(keys);
            return -1;
        }
        json_t *expected = json_object_get(self->expected, key);
        json_t *empty = json_object();
        s_compare_hash(self, key, expected ? expected : empty, r);
        json_decref(empty);
        freeReplyObject(r);
        self->result->keys++;
    }
    json_decref(keys);
    return 0;
}

static int s_compare_gauges(s_recount_t *self, rconn_t *redis)
{
    char key[KEYS_MAX];
    snprintf(key, sizeof key, "gauge:{%s}", self->county);
    redisReply *r = rconn_command(redis, "HGETALL %s", key);
    if (!r)
        return -1;
    s_compare_hash(self, key, self->gauge, r);
    freeReplyObject(r);
    snprintf(key, sizeof key, "open:{%s}", self->county);
    r = rconn_command(redis, "ZRANGE %s 0 -1 WITHSCORES", key);
    if (!r)
        return -1;
    json_t *seen = json_object();
    for (size_t k = 0; r->type == REDIS_REPLY_ARRAY && k + 1 < r->elements; k += 2) {
        const char *id = r->element[k]->str;
        long long have = strtoll(r->element[k + 1]->str, NULL, 10);
        s_differ(self, key, id, json_integer_value(json_object_get(self->open, id)), have);
        json_object_set_new(seen, id, json_true());
    }
    const char *id;
    json_t *value;
    json_object_foreach(self->open, id, value)
    {
        if (!json_object_get(seen, id))
            s_differ(self, key, id, json_integer_value(value), 0);
    }
    json_decref(seen);
    freeReplyObject(r);
    return 0;
}

int recount_run(rconn_t *redis, const region_table_t *regions, const char *region, const char *from,
                const char *to, FILE *out, recount_result_t *result)
{
    memset(result, 0, sizeof *result);
    size_t all = 0;
    region_counties(regions, &all);
    const region_t **counties = calloc(all ? all : 1, sizeof *counties);
    if (!counties)
        return -1;
    size_t n = region_query_counties(regions, region, counties, all);
    int rc = 0;
    for (size_t c = 0; c < n && rc == 0; c++) {
        s_recount_t self = {.region = region,
                            .from = from,
                            .to = to,
                            .expected = json_object(),
                            .gauge = json_object(),
                            .open = json_object(),
                            .out = out,
                            .result = result};
        snprintf(self.county, sizeof self.county, "%s", counties[c]->code);
        rc = s_read_appeals(&self, redis);
        if (rc == 0)
            rc = s_compare(&self, redis);
        if (rc == 0 && strlen(region) <= 6)
            rc = s_compare_gauges(&self, redis);
        result->counties++;
        json_decref(self.expected);
        json_decref(self.gauge);
        json_decref(self.open);
    }
    free(counties);
    if (rc != 0)
        fprintf(out, "recount stopped: %s\n", rconn_errstr(redis));
    return rc;
}
