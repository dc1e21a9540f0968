#include "pending.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "keys.h"
#include "scripts.h"

/* The mark cache: county code (6 digits) -> when this object last marked it. 1024 slots,
 * open addressing; a full table just means marking every time. */
#define S_SLOTS 1024

typedef struct {
    int county; /* 0 = free */
    int64_t marked_ms;
} s_slot_t;

struct pending {
    char key[KEYS_MAX];
    int64_t grace_ms;
    s_slot_t slots[S_SLOTS];
    argv_t argv;
};

pending_t *pending_new(const char *name, int64_t grace_ms)
{
    pending_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    keys_pending(self->key, name);
    self->grace_ms = grace_ms;
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

int64_t pending_grace_ms(const pending_t *self)
{
    return self->grace_ms;
}

static s_slot_t *s_slot(pending_t *self, const char *county)
{
    int code = atoi(county);
    if (code <= 0)
        return NULL;
    for (int i = 0; i < S_SLOTS; i++) {
        s_slot_t *slot = &self->slots[(code + i) % S_SLOTS];
        if (slot->county == code || slot->county == 0) {
            slot->county = code;
            return slot;
        }
    }
    return NULL;
}

int pending_mark(pending_t *self, rconn_t *redis, const char *county, int64_t now_ms)
{
    s_slot_t *slot = s_slot(self, county);
    if (slot && slot->marked_ms && now_ms - slot->marked_ms < self->grace_ms / 2)
        return 0;
    if (rconn_append_discard(redis, "ZADD %s GT %lld %s", self->key, (long long)now_ms, county) !=
        0)
        return -1;
    if (slot)
        slot->marked_ms = now_ms;
    return 0;
}

redisReply *pending_counties(pending_t *self, rconn_t *redis)
{
    redisReply *r = rconn_command(redis, "ZRANGE %s 0 -1", self->key);
    if (r && r->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

int pending_unmark(pending_t *self, rconn_t *redis, const char *const *counties, size_t count,
                   int64_t now_ms)
{
    if (count == 0)
        return 0;
    argv_t *a = &self->argv;
    argv_reset(a);
    argv_add(a, self->key);
    argv_add_int(a, now_ms - self->grace_ms);
    for (size_t i = 0; i < count; i++)
        argv_add(a, counties[i]);
    if (a->failed)
        return -1;
    redisReply *r = rconn_eval(redis, &scripts_pending_unmark, 1, (int)a->count, a->args, a->lens);
    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}
