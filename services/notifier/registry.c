#include "registry.h"

#include <stdlib.h>
#include <string.h>

#include "directory.h"
#include "keys.h"
#include "log.h"
#include "scripts.h"

typedef struct {
    const char *region; /* the subscription's */
    size_t index;
} s_entry_t;

struct registry {
    subscription_t *subs;
    size_t count;
    s_entry_t *by_region; /* sorted by region, then index (the ones without an owner) */
    size_t region_count;
    s_entry_t *by_owner; /* the directory's targets, sorted by owner (in .region) */
    size_t owner_count;
    size_t *by_id;          /* indexes sorted by id */
    directory_t *directory; /* the API's directory entries (targets), cached */
    long long directory_version;
    long long version;
    const config_t *config; /* the snapshot it was loaded for (compared, never dereferenced) */
};

registry_t *registry_new(void)
{
    registry_t *self = calloc(1, sizeof *self);
    if (self && !(self->directory = directory_new())) {
        free(self);
        return NULL;
    }
    return self;
}

static void s_clear(registry_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        subscription_fini(&self->subs[i]);
    free(self->subs);
    free(self->by_region);
    free(self->by_owner);
    free(self->by_id);
    self->subs = NULL;
    self->by_region = NULL;
    self->by_owner = NULL;
    self->by_id = NULL;
    self->count = self->region_count = self->owner_count = 0;
}

void registry_destroy(registry_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    s_clear(*self_p);
    directory_destroy(&(*self_p)->directory);
    free(*self_p);
    *self_p = NULL;
}

static int s_by_region(const void *x, const void *y)
{
    const s_entry_t *a = x, *b = y;
    int c = strcmp(a->region, b->region);
    return c ? c : (a->index > b->index) - (a->index < b->index);
}

static const subscription_t *s_subs; /* for s_by_id: qsort has no argument */

static int s_by_id(const void *x, const void *y)
{
    return strcmp(s_subs[*(const size_t *)x].id, s_subs[*(const size_t *)y].id);
}

int registry_load(registry_t *self, const config_t *config, const region_table_t *regions,
                  rconn_t *redis)
{
    if (rconn_ensure(redis) != 0 || directory_refresh(self->directory, redis) != 0 ||
        rconn_append(redis, "GET {subscriptions}:version") != 0 ||
        rconn_append(redis, "HGETALL {subscriptions}:entries") != 0)
        return -1;
    redisReply *ver = rconn_reply(redis);
    redisReply *all = ver ? rconn_reply(redis) : NULL;
    if (!ver || !all || all->type != REDIS_REPLY_ARRAY) {
        if (ver)
            freeReplyObject(ver);
        if (all)
            freeReplyObject(all);
        return -1;
    }
    size_t api_dir = 0;
    const directory_entry_t *dir = directory_entries(self->directory, &api_dir);
    size_t n = config->subscription_count + all->elements / 2 + config->directory_count + api_dir;
    subscription_t *subs = calloc(n ? n : 1, sizeof *subs);
    s_entry_t *by_region = calloc(n ? n : 1, sizeof *by_region);
    s_entry_t *by_owner = calloc(n ? n : 1, sizeof *by_owner);
    size_t *by_id = calloc(n ? n : 1, sizeof *by_id);
    if (!subs || !by_region || !by_owner || !by_id) {
        free(subs);
        free(by_region);
        free(by_owner);
        free(by_id);
        freeReplyObject(ver);
        freeReplyObject(all);
        return -1;
    }
    size_t count = 0;
    for (size_t i = 0; i < config->subscription_count; i++)
        if (subscription_from_config(&subs[count], &config->subscriptions[i]) == 0)
            count++;
    for (size_t i = 0; i + 1 < all->elements; i += 2) {
        json_error_t jerr;
        json_t *body = json_loadb(all->element[i + 1]->str, all->element[i + 1]->len, 0, &jerr);
        subscription_error_t err;
        if (!body || subscription_parse(&subs[count], body, config, regions, &err) != 0) {
            /* a category or region gone from the configuration since: say so, go on */
            log_warn("stored subscription not usable", "id", all->element[i]->str, "field",
                     body ? err.field : "json", "error", body ? err.message : jerr.text, NULL);
        } else {
            snprintf(subs[count].id, sizeof subs[count].id, "%s", all->element[i]->str);
            count++;
        }
        json_decref(body);
    }
    /* directory entries with a target: the file's unless the API replaced them, then the API's */
    for (size_t i = 0; i < config->directory_count; i++) {
        char id[DIRECTORY_ID_MAX];
        directory_id(&config->directory[i], id);
        if (!directory_overrides(self->directory, &config->directory[i]) &&
            subscription_from_directory(&subs[count], id, &config->directory[i], true) == 0)
            count++;
    }
    for (size_t i = 0; i < api_dir; i++)
        if (subscription_from_directory(&subs[count], dir[i].id, &dir[i].entry, false) == 0)
            count++;
    size_t plain = 0, owners = 0;
    for (size_t i = 0; i < count; i++) {
        if (*subs[i].assignee)
            by_owner[owners++] = (s_entry_t){subs[i].assignee, i};
        else
            by_region[plain++] = (s_entry_t){subs[i].region, i};
        by_id[i] = i;
    }
    qsort(by_region, plain, sizeof *by_region, s_by_region);
    qsort(by_owner, owners, sizeof *by_owner, s_by_region);
    s_subs = subs;
    qsort(by_id, count, sizeof *by_id, s_by_id);
    s_clear(self);
    self->subs = subs;
    self->count = count;
    self->by_region = by_region;
    self->region_count = plain;
    self->by_owner = by_owner;
    self->owner_count = owners;
    self->by_id = by_id;
    self->directory_version = directory_version(self->directory);
    self->version = ver->type == REDIS_REPLY_STRING ? atoll(ver->str) : 0;
    self->config = config;
    freeReplyObject(ver);
    freeReplyObject(all);
    return 0;
}

bool registry_current(const registry_t *self, const config_t *config)
{
    return self->config == config;
}

long long registry_version(const registry_t *self)
{
    return self->version;
}

size_t registry_count(const registry_t *self)
{
    return self->count;
}

/* The first entry of index[0..count) whose key is exactly prefix[0..len), or count. */
static size_t s_first(const s_entry_t *index, size_t count, const char *prefix, size_t len)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *r = index[mid].region;
        int c = strncmp(r, prefix, len);
        if (c < 0 || (c == 0 && strlen(r) < len))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Appends sub to *out, growing it. 0, -1 out of memory. */
static int s_push(const subscription_t ***out, size_t *capacity, size_t *n,
                  const subscription_t *sub)
{
    if (*n == *capacity) {
        size_t grown = *capacity ? 2 * *capacity : 16;
        const subscription_t **more = realloc(*out, grown * sizeof *more);
        if (!more)
            return -1;
        *out = more;
        *capacity = grown;
    }
    (*out)[(*n)++] = sub;
    return 0;
}

size_t registry_match(const registry_t *self, const Gridline__Event *event,
                      const subscription_t ***out, size_t *capacity)
{
    static const size_t lengths[] = {0, 2, 4, 6, 9, 12, 14};
    size_t region_len = strlen(event->region), n = 0;
    for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++) {
        size_t len = lengths[l];
        if (len > region_len)
            break;
        for (size_t i = s_first(self->by_region, self->region_count, event->region, len);
             i < self->region_count; i++) {
            const char *r = self->by_region[i].region;
            if (strlen(r) != len || strncmp(r, event->region, len) != 0)
                break;
            const subscription_t *sub = &self->subs[self->by_region[i].index];
            if (!subscription_matches(sub, event))
                continue;
            if (s_push(out, capacity, &n, sub) != 0)
                return (size_t)-1;
        }
    }
    /* the owner's own target (a directory entry's), whatever the region */
    size_t len = strlen(event->assignee);
    for (size_t i = s_first(self->by_owner, self->owner_count, event->assignee, len);
         len && i < self->owner_count && strcmp(self->by_owner[i].region, event->assignee) == 0;
         i++) {
        const subscription_t *sub = &self->subs[self->by_owner[i].index];
        if (!subscription_matches(sub, event))
            continue;
        if (s_push(out, capacity, &n, sub) != 0)
            return (size_t)-1;
    }
    return n;
}

bool registry_directory_moved(registry_t *self, rconn_t *redis)
{
    return directory_refresh(self->directory, redis) == 0 &&
           directory_version(self->directory) != self->directory_version;
}

const subscription_t *registry_find(const registry_t *self, const char *id)
{
    size_t lo = 0, hi = self->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(self->subs[self->by_id[mid]].id, id);
        if (c == 0)
            return &self->subs[self->by_id[mid]];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Raises every county's version to version, pipelined. 0 or -1. */
static int s_raise(rconn_t *redis, long long version, const char *const *counties, size_t n)
{
    size_t appended = 0;
    int rc = 0;
    char v[24];
    snprintf(v, sizeof v, "%lld", version);
    for (size_t i = 0; i < n; i++) {
        char key[KEYS_MAX];
        keys_subscription_version(key, counties[i]);
        const char *args[] = {key, v};
        if (rconn_append_eval(redis, &scripts_subscription_raise, 1, 2, args, NULL) != 0) {
            rc = -1;
            break;
        }
        appended++;
    }
    for (size_t i = 0; i < appended; i++) {
        redisReply *r = rconn_reply(redis);
        if (!r || r->type == REDIS_REPLY_ERROR)
            rc = -1;
        if (r)
            freeReplyObject(r);
    }
    return rc;
}

/* One subscription_change call; its reply (the new version, 0 when nothing to delete) or -1. */
static long long s_change(rconn_t *redis, const char *op, const char *id, const char *json)
{
    const char *args[] = {"{subscriptions}:entries", "{subscriptions}:version", op, id,
                          json ? json : ""};
    if (rconn_append_eval(redis, &scripts_subscription_change, 2, json ? 5 : 4, args, NULL) != 0)
        return -1;
    redisReply *r = rconn_reply(redis);
    long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r)
        freeReplyObject(r);
    return v;
}

int registry_put(rconn_t *redis, const subscription_t *sub, const char *const *counties,
                 size_t county_count)
{
    json_t *o = subscription_json(sub, true);
    json_object_del(o, "source");
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!text)
        return -1;
    long long v = rconn_ensure(redis) == 0 ? s_change(redis, "put", sub->id, text) : -1;
    free(text);
    if (v <= 0)
        return -1;
    return s_raise(redis, v, counties, county_count);
}

int registry_remove(rconn_t *redis, const char *id, const char *const *counties,
                    size_t county_count)
{
    long long v = rconn_ensure(redis) == 0 ? s_change(redis, "del", id, NULL) : -1;
    if (v < 0)
        return -1;
    if (v == 0)
        return 0;
    return s_raise(redis, v, counties, county_count) == 0 ? 1 : -1;
}
