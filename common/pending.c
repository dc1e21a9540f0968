#include "pending.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "keys.h"
#include "scripts.h"

/* The mark cache: county code (6 digits) -> when this process last marked it, per index
 * name, shared by every pending_t of the process (each HTTP thread of intake has its own
 * outboxes; one mark per county and half grace is enough for all of them). 1024 slots per
 * name, open addressing; a full table just means marking every time. */
#define S_SLOTS 1024
#define S_NAMES 8

typedef struct {
    _Atomic int county; /* 0 = free */
    _Atomic int64_t marked_ms;
} s_slot_t;

static struct {
    char name[32];
    s_slot_t slots[S_SLOTS];
} s_tables[S_NAMES];
static pthread_mutex_t s_tables_lock = PTHREAD_MUTEX_INITIALIZER;

struct pending {
    char key[KEYS_MAX];
    int64_t grace_ms;
    s_slot_t *slots; /* s_tables[..].slots of this name, or NULL: no cache */
    argv_t argv;
    const char *const *counties; /* for full passes */
    size_t county_count;
    int64_t last_full_ms;
};

static s_slot_t *s_table(const char *name)
{
    s_slot_t *slots = NULL;
    pthread_mutex_lock(&s_tables_lock);
    for (int i = 0; i < S_NAMES && !slots; i++) {
        if (!s_tables[i].name[0])
            snprintf(s_tables[i].name, sizeof s_tables[i].name, "%s", name);
        if (strcmp(s_tables[i].name, name) == 0)
            slots = s_tables[i].slots;
    }
    pthread_mutex_unlock(&s_tables_lock);
    return slots;
}

pending_t *pending_new(const char *name, int64_t grace_ms)
{
    pending_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    keys_pending(self->key, name);
    self->grace_ms = grace_ms;
    self->slots = s_table(name);
    argv_init(&self->argv);
    return self;
}

void pending_destroy(pending_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    argv_fini(&(*self_p)->argv);
    free(*self_p);
    *self_p = NULL;
}

int64_t pending_grace_for(int64_t resend_after_ms)
{
    return 2 * resend_after_ms < 10000 ? 10000 : 2 * resend_after_ms;
}

int64_t pending_grace_ms(const pending_t *self)
{
    return self->grace_ms;
}

static s_slot_t *s_slot(pending_t *self, const char *county)
{
    int code = atoi(county);
    if (code <= 0 || !self->slots)
        return NULL;
    for (int i = 0; i < S_SLOTS; i++) {
        s_slot_t *slot = &self->slots[(code + i) % S_SLOTS];
        int seen = atomic_load(&slot->county);
        if (seen == code)
            return slot;
        if (seen == 0 && atomic_compare_exchange_strong(&slot->county, &seen, code))
            return slot;
        if (seen == code) /* another thread took the free slot for the same county */
            return slot;
    }
    return NULL;
}

/* The mark itself: GT, so an older mark (another host's clock) never moves it back. */
static int s_mark(pending_t *self, rconn_t *redis, const char *county, int64_t now_ms)
{
    return rconn_append_discard(redis, "ZADD %s GT %lld %s", self->key, (long long)now_ms, county);
}

int pending_mark(pending_t *self, rconn_t *redis, const char *county, int64_t now_ms)
{
    s_slot_t *slot = s_slot(self, county);
    int64_t marked = slot ? atomic_load(&slot->marked_ms) : 0;
    if (marked && now_ms - marked < self->grace_ms / 2 && now_ms >= marked)
        return 0;
    if (s_mark(self, redis, county, now_ms) != 0)
        return -1;
    if (slot)
        atomic_store(&slot->marked_ms, now_ms);
    return 0;
}

void pending_set_counties(pending_t *self, const char *const *counties, size_t count)
{
    self->counties = counties;
    self->county_count = count;
}

/* Room for n counties in list. 0, or -1 (list freed). */
static int s_list_alloc(pending_list_t *list, size_t n)
{
    list->counties = calloc(n + 1, sizeof *list->counties);
    list->marked_ms = calloc(n + 1, sizeof *list->marked_ms);
    list->empty = calloc(n + 1, sizeof *list->empty);
    if (list->counties && list->marked_ms && list->empty)
        return 0;
    pending_list_free(list);
    return -1;
}

static int s_full_list(pending_t *self, int64_t now_ms, pending_list_t *list)
{
    size_t n = self->county_count;
    if (s_list_alloc(list, n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        list->counties[i] = self->counties[i];
    list->count = n;
    list->full = true;
    self->last_full_ms = now_ms;
    return 0;
}

int pending_list(pending_t *self, rconn_t *redis, int64_t now_ms, pending_list_t *list)
{
    memset(list, 0, sizeof *list);
    if (self->county_count &&
        (!self->last_full_ms || now_ms - self->last_full_ms >= PENDING_FULL_PASS_MS))
        return rconn_ensure(redis) == 0 ? s_full_list(self, now_ms, list) : -1;
    redisReply *r = rconn_command(redis, "ZRANGE %s 0 -1 WITHSCORES", self->key);
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        if (r)
            freeReplyObject(r);
        return -1;
    }
    size_t n = r->elements / 2;
    list->reply = r;
    if (s_list_alloc(list, n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        list->counties[i] = r->element[2 * i]->str;
        list->marked_ms[i] = strtoll(r->element[2 * i + 1]->str, NULL, 10);
    }
    list->count = n;
    return 0;
}

void pending_list_free(pending_list_t *list)
{
    if (list->reply)
        freeReplyObject(list->reply);
    free(list->counties);
    free(list->marked_ms);
    free(list->empty);
    memset(list, 0, sizeof *list);
}

bool pending_wants_count(const pending_t *self, const pending_list_t *list, size_t i,
                         int64_t now_ms)
{
    return list->full || list->marked_ms[i] < now_ms - self->grace_ms;
}

int pending_forget(pending_t *self, rconn_t *redis, const pending_list_t *list, int64_t now_ms)
{
    if (list->full) {
        for (size_t i = 0; i < list->count; i++)
            if (!list->empty[i] && rconn_append_discard(redis, "ZADD %s GT %lld %s", self->key,
                                                        (long long)now_ms, list->counties[i]) != 0)
                return -1;
        return 0;
    }
    int64_t cutoff = now_ms - self->grace_ms;
    argv_t *a = &self->argv;
    argv_reset(a);
    argv_add(a, self->key);
    argv_add_int(a, cutoff);
    for (size_t i = 0; i < list->count; i++)
        if (list->empty[i] && list->marked_ms[i] < cutoff)
            argv_add(a, list->counties[i]);
    if (a->failed)
        return -1;
    if (a->count == 2)
        return 0;
    /* the script checks the mark again: a sender may have marked the county since */
    redisReply *r = rconn_eval(redis, &scripts_pending_unmark, 1, (int)a->count, a->args, a->lens);
    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}
