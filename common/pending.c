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

int pending_list(pending_t *self, rconn_t *redis, pending_list_t *list)
{
    memset(list, 0, sizeof *list);
    redisReply *r = rconn_command(redis, "ZRANGE %s 0 -1 WITHSCORES", self->key);
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        if (r)
            freeReplyObject(r);
        return -1;
    }
    size_t n = r->elements / 2;
    list->reply = r;
    list->counties = calloc(n + 1, sizeof *list->counties);
    list->marked_ms = calloc(n + 1, sizeof *list->marked_ms);
    list->empty = calloc(n + 1, sizeof *list->empty);
    if (!list->counties || !list->marked_ms || !list->empty) {
        pending_list_free(list);
        return -1;
    }
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

int pending_forget(pending_t *self, rconn_t *redis, const pending_list_t *list, int64_t now_ms)
{
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
