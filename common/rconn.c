#include "rconn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>
#include <poll.h>
#include <pthread.h>

#include "clock.h"
#include "log.h"

#define RCONN_RETRY_MS 500
#define RCONN_RELOG_MS 10000
#define RCONN_STACK_ARGS 64

/* Bumped whenever any connection of this process gets through: a connection waiting out its
 * retry interval tries again at once, so Redis coming back is noticed by every thread on
 * its next use, not up to RCONN_RETRY_MS later. */
static _Atomic unsigned long s_up_epoch;
/* Set once a Redis with an eviction policy was met (see rconn_refused). */
static char s_refused[256];
static _Atomic int s_refused_set;
static pthread_mutex_t s_prepare_lock = PTHREAD_MUTEX_INITIALIZER;

void rscripts_prepare(rscript_t **scripts)
{
    pthread_mutex_lock(&s_prepare_lock);
    for (rscript_t **s = scripts; s && *s; s++) {
        if ((*s)->sha[0])
            continue;
        unsigned char digest[SHA_DIGEST_LENGTH];
        SHA1((const unsigned char *)(*s)->body, strlen((*s)->body), digest);
        for (int i = 0; i < SHA_DIGEST_LENGTH; i++)
            snprintf((*s)->sha + 2 * i, 3, "%02x", digest[i]);
    }
    pthread_mutex_unlock(&s_prepare_lock);
}

const char *rconn_refused(void)
{
    return atomic_load(&s_refused_set) ? s_refused : NULL;
}

struct rconn {
    redisContext *ctx;
    char host[256];
    int port;
    char *password;
    int timeout_ms;
    rscript_t **scripts;
    bool up;
    bool ever_up;
    int64_t next_try_ms;
    unsigned long failed_epoch;
    int64_t last_log_ms;
    char address[300];
    char errstr[256];
    /* Replies the server owes, oldest first: 1 = read and freed by rconn, 0 = the caller's. */
    unsigned char *queue;
    size_t queue_cap, queue_head, queue_len;
    size_t owed; /* entries of queue that are the caller's */
};

static char s_client_name[64];

void rconn_set_client_name(const char *name)
{
    size_t j = 0;
    int n = snprintf(s_client_name, sizeof s_client_name, "%s-%ld", name ? name : "gridline",
                     (long)getpid());
    if (n < 0)
        s_client_name[0] = '\0';
    for (size_t i = 0; s_client_name[i]; i++) /* Redis refuses spaces and newlines in a name */
        if ((unsigned char)s_client_name[i] > ' ' && s_client_name[i] != 0x7f)
            s_client_name[j++] = s_client_name[i];
    s_client_name[j] = '\0';
}

rconn_t *rconn_new(const char *host, int port, const char *password, int timeout_ms)
{
    rconn_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    snprintf(self->host, sizeof self->host, "%s", host);
    self->port = port;
    self->password = (password && *password) ? strdup(password) : NULL;
    self->timeout_ms = timeout_ms > 0 ? timeout_ms : 2000;
    snprintf(self->address, sizeof self->address, "%s:%d", host, port);
    snprintf(self->errstr, sizeof self->errstr, "not connected");
    return self;
}

static void s_drop(rconn_t *self, const char *why)
{
    /* why may point into the context: use it before freeing that. */
    if (why)
        snprintf(self->errstr, sizeof self->errstr, "redis unreachable at %s: %s", self->address,
                 why);
    if (self->ctx) {
        redisFree(self->ctx);
        self->ctx = NULL;
    }
    self->queue_head = self->queue_len = self->owed = 0;
    if (self->up) {
        log_error("redis connection lost", "redis", self->address, "error", self->errstr, "action",
                  "retrying", NULL);
        self->last_log_ms = clock_mono_ms();
    }
    self->up = false;
}

void rconn_destroy(rconn_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    rconn_t *self = *self_p;
    if (self->ctx)
        redisFree(self->ctx);
    free(self->queue);
    free(self->password);
    free(self);
    *self_p = NULL;
}

static int s_load_scripts(rconn_t *self);

void rconn_set_scripts(rconn_t *self, rscript_t **scripts)
{
    self->scripts = scripts;
    if (self->up && self->ctx && s_load_scripts(self) != 0)
        s_drop(self, "loading scripts failed");
}

static int s_load_scripts(rconn_t *self)
{
    for (rscript_t **s = self->scripts; s && *s; s++) {
        redisReply *r = redisCommand(self->ctx, "SCRIPT LOAD %s", (*s)->body);
        if (!r)
            return -1;
        if (r->type != REDIS_REPLY_STRING || r->len != 40 || strcmp(r->str, (*s)->sha) != 0) {
            snprintf(self->errstr, sizeof self->errstr, "SCRIPT LOAD %s failed: %s", (*s)->name,
                     r->type == REDIS_REPLY_ERROR    ? r->str
                     : r->type == REDIS_REPLY_STRING ? "SHA differs (scripts not prepared?)"
                                                     : "unexpected reply");
            freeReplyObject(r);
            return -2;
        }
        freeReplyObject(r);
    }
    return 0;
}

/* gridline keeps facts in Redis that must never be evicted (appeals, outboxes, counters). */
static int s_check_policy(rconn_t *self)
{
    redisReply *r = redisCommand(self->ctx, "INFO memory");
    if (!r)
        return -1;
    const char *p = r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS
                        ? strstr(r->str, "maxmemory_policy:")
                        : NULL;
    int rc = 0;
    if (p) {
        p += strlen("maxmemory_policy:");
        size_t n = strcspn(p, "\r\n");
        if (n != 10 || strncmp(p, "noeviction", 10) != 0) {
            snprintf(self->errstr, sizeof self->errstr,
                     "redis at %s has maxmemory-policy %.*s; gridline needs noeviction (an "
                     "evicted appeal, outbox or counter is lost for good)",
                     self->address, (int)(n < 40 ? n : 40), p);
            if (!atomic_exchange(&s_refused_set, 1))
                snprintf(s_refused, sizeof s_refused, "%s", self->errstr);
            rc = -2;
        }
    }
    freeReplyObject(r);
    return rc;
}

int rconn_ensure(rconn_t *self)
{
    if (self->up && self->ctx && !self->ctx->err)
        return 0;
    if (self->ctx && self->ctx->err)
        s_drop(self, self->ctx->errstr);
    else if (self->ctx)
        s_drop(self, NULL); /* marked down (NOSCRIPT): reconnect, which reloads the scripts */
    int64_t now = clock_mono_ms();
    if (now < self->next_try_ms && atomic_load(&s_up_epoch) == self->failed_epoch)
        return -1;
    self->failed_epoch = atomic_load(&s_up_epoch);
    self->next_try_ms = now + RCONN_RETRY_MS;
    struct timeval tv = {self->timeout_ms / 1000, (self->timeout_ms % 1000) * 1000};
    self->ctx = redisConnectWithTimeout(self->host, self->port, tv);
    if (!self->ctx || self->ctx->err) {
        s_drop(self, self->ctx ? self->ctx->errstr : "out of memory");
        if (!self->last_log_ms || now - self->last_log_ms >= RCONN_RELOG_MS) {
            log_error("redis unreachable", "redis", self->address, "error", self->errstr, "action",
                      "retrying every 0.5 s", NULL);
            self->last_log_ms = now;
        }
        return -1;
    }
    redisSetTimeout(self->ctx, tv);
    redisEnableKeepAlive(self->ctx);
    if (self->password) {
        redisReply *r = redisCommand(self->ctx, "AUTH %s", self->password);
        int bad = !r || r->type == REDIS_REPLY_ERROR;
        if (bad) {
            char why[200];
            snprintf(why, sizeof why, "AUTH failed: %s", r ? r->str : self->ctx->errstr);
            if (r)
                freeReplyObject(r);
            s_drop(self, why);
            log_error("redis refused the password", "redis", self->address, "error", self->errstr,
                      NULL);
            return -1;
        }
        freeReplyObject(r);
    }
    if (s_client_name[0]) {
        redisReply *r = redisCommand(self->ctx, "CLIENT SETNAME %s", s_client_name);
        if (r) /* a refusal only costs the name */
            freeReplyObject(r);
    }
    int rc = s_check_policy(self);
    if (rc == 0)
        rc = s_load_scripts(self);
    if (rc != 0) {
        if (rc == -2)
            log_error("redis refused", "redis", self->address, "error", self->errstr, NULL);
        s_drop(self, rc == -1 ? self->ctx->errstr : NULL);
        return -1;
    }
    self->up = true;
    atomic_fetch_add(&s_up_epoch, 1);
    log_info(self->ever_up ? "redis reconnected" : "redis connected", "redis", self->address, NULL);
    self->ever_up = true;
    self->last_log_ms = 0;
    self->errstr[0] = '\0';
    return 0;
}

bool rconn_is_up(const rconn_t *self)
{
    return self->up;
}

const char *rconn_errstr(const rconn_t *self)
{
    return self->errstr;
}

const char *rconn_address(const rconn_t *self)
{
    return self->address;
}

/* A NULL reply means the connection is broken: hiredis cannot be used again after it. */
static redisReply *s_checked(rconn_t *self, void *reply)
{
    if (!reply) {
        s_drop(self, self->ctx ? self->ctx->errstr : "connection lost");
        return NULL;
    }
    return reply;
}

/* The queue of replies owed: a ring of flags, grown as needed. */
static int s_owe(rconn_t *self, unsigned char discard)
{
    if (self->queue_len == self->queue_cap) {
        size_t cap = self->queue_cap ? 2 * self->queue_cap : 64;
        unsigned char *q = malloc(cap);
        if (!q)
            return -1;
        for (size_t i = 0; i < self->queue_len; i++)
            q[i] = self->queue[(self->queue_head + i) % self->queue_cap];
        free(self->queue);
        self->queue = q;
        self->queue_cap = cap;
        self->queue_head = 0;
    }
    self->queue[(self->queue_head + self->queue_len) % self->queue_cap] = discard;
    self->queue_len++;
    if (!discard)
        self->owed++;
    return 0;
}

static void *s_next_reply(rconn_t *self)
{
    void *reply = NULL;
    if (redisGetReply(self->ctx, &reply) != REDIS_OK)
        return s_checked(self, NULL);
    return reply;
}

/* Before a synchronous call: replies owed to a caller mean an abandoned batch, and the
 * connection is dropped. 0 ready, -1 not connected. */
static int s_settle(rconn_t *self)
{
    if (self->owed > 0) {
        log_warn("pipelined replies abandoned: reconnecting", "redis", self->address, NULL);
        s_drop(self, "pipelined replies abandoned");
        self->next_try_ms = 0;
    }
    return rconn_ensure(self);
}

/* A synchronous call's reply, once its command is appended: the replies rconn owes itself
 * (queued before it, in the same round trip) are read and dropped first. */
static redisReply *s_sync_reply(rconn_t *self, int appended)
{
    if (appended != REDIS_OK)
        return s_checked(self, NULL);
    while (self->ctx && self->queue_len > 0) {
        self->queue_head = (self->queue_head + 1) % self->queue_cap;
        self->queue_len--;
        void *reply = s_next_reply(self);
        if (!reply)
            return NULL;
        freeReplyObject(reply);
    }
    return self->ctx ? s_next_reply(self) : NULL;
}

redisReply *rconn_command(rconn_t *self, const char *fmt, ...)
{
    if (s_settle(self) != 0)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    int rc = redisvAppendCommand(self->ctx, fmt, ap);
    va_end(ap);
    return s_sync_reply(self, rc);
}

redisReply *rconn_commandv(rconn_t *self, int argc, const char **argv, const size_t *argvlen)
{
    if (s_settle(self) != 0)
        return NULL;
    return s_sync_reply(self, redisAppendCommandArgv(self->ctx, argc, argv, argvlen));
}

/* EVALSHA/EVAL argv: cmd, sha-or-body, nkeys, args..., in arrays of nargs + 3 (on the stack
 * when small). */
typedef struct {
    const char **argv;
    size_t *argvlen;
    const char *stack_argv[RCONN_STACK_ARGS];
    size_t stack_len[RCONN_STACK_ARGS];
    char nkeys[16];
    int argc;
} s_evalv_t;

static int s_evalv_init(s_evalv_t *v, rscript_t *script, bool by_sha, int nkeys, int nargs,
                        const char **args, const size_t *lens)
{
    v->argc = nargs + 3;
    if (v->argc <= RCONN_STACK_ARGS) {
        v->argv = v->stack_argv;
        v->argvlen = v->stack_len;
    } else {
        v->argv = malloc((size_t)v->argc * sizeof *v->argv);
        v->argvlen = malloc((size_t)v->argc * sizeof *v->argvlen);
        if (!v->argv || !v->argvlen) {
            free(v->argv);
            free(v->argvlen);
            return -1;
        }
    }
    snprintf(v->nkeys, sizeof v->nkeys, "%d", nkeys);
    v->argv[0] = by_sha ? "EVALSHA" : "EVAL";
    v->argv[1] = by_sha ? script->sha : script->body;
    v->argv[2] = v->nkeys;
    for (int i = 0; i < 3; i++)
        v->argvlen[i] = strlen(v->argv[i]);
    for (int i = 0; i < nargs; i++) {
        v->argv[3 + i] = args[i];
        v->argvlen[3 + i] = lens ? lens[i] : strlen(args[i]);
    }
    return 0;
}

static void s_evalv_fini(s_evalv_t *v)
{
    if (v->argv != v->stack_argv) {
        free(v->argv);
        free(v->argvlen);
    }
}

static bool s_is_noscript(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0;
}

redisReply *rconn_eval(rconn_t *self, rscript_t *script, int nkeys, int nargs, const char **args,
                       const size_t *lens)
{
    s_evalv_t v;
    bool by_sha = script->sha[0] != '\0';
    if (s_evalv_init(&v, script, by_sha, nkeys, nargs, args, lens) != 0) {
        snprintf(self->errstr, sizeof self->errstr, "out of memory");
        return NULL;
    }
    redisReply *r = rconn_commandv(self, v.argc, v.argv, v.argvlen);
    if (s_is_noscript(r)) {
        freeReplyObject(r);
        v.argv[0] = "EVAL";
        v.argv[1] = script->body;
        v.argvlen[0] = 4;
        v.argvlen[1] = strlen(script->body);
        r = rconn_commandv(self, v.argc, v.argv, v.argvlen);
    }
    s_evalv_fini(&v);
    return r;
}

static int s_appended(rconn_t *self, int rc, unsigned char discard)
{
    if (rc != REDIS_OK)
        return -1;
    if (s_owe(self, discard) != 0) {
        s_drop(self, "out of memory");
        return -1;
    }
    return 0;
}

static int s_vappend(rconn_t *self, unsigned char discard, const char *fmt, va_list ap)
{
    if (rconn_ensure(self) != 0)
        return -1;
    return s_appended(self, redisvAppendCommand(self->ctx, fmt, ap), discard);
}

int rconn_append(rconn_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = s_vappend(self, 0, fmt, ap);
    va_end(ap);
    return rc;
}

int rconn_append_discard(rconn_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = s_vappend(self, 1, fmt, ap);
    va_end(ap);
    return rc;
}

int rconn_appendv(rconn_t *self, int argc, const char **argv, const size_t *argvlen)
{
    if (rconn_ensure(self) != 0)
        return -1;
    return s_appended(self, redisAppendCommandArgv(self->ctx, argc, argv, argvlen), 0);
}

int rconn_append_eval(rconn_t *self, rscript_t *script, int nkeys, int nargs, const char **args,
                      const size_t *lens)
{
    s_evalv_t v;
    if (s_evalv_init(&v, script, script->sha[0] != '\0', nkeys, nargs, args, lens) != 0)
        return -1;
    int rc = rconn_appendv(self, v.argc, v.argv, v.argvlen);
    s_evalv_fini(&v);
    return rc;
}

redisReply *rconn_reply(rconn_t *self)
{
    while (self->ctx && self->queue_len > 0) {
        unsigned char discard = self->queue[self->queue_head];
        self->queue_head = (self->queue_head + 1) % self->queue_cap;
        self->queue_len--;
        if (!discard)
            self->owed--;
        redisReply *reply = s_next_reply(self);
        if (!reply)
            return NULL;
        if (s_is_noscript(reply)) {
            /* Redis lost its scripts (restart without AOF, SCRIPT FLUSH, failover): the next
             * rconn_ensure reconnects and loads them again; this reply stays an error. */
            self->next_try_ms = 0;
            self->up = false;
        }
        if (!discard)
            return reply;
        freeReplyObject(reply);
    }
    if (self->ctx)
        snprintf(self->errstr, sizeof self->errstr, "no reply owed (a caller read too many)");
    return NULL;
}

int rconn_reply_nowait(rconn_t *self, redisReply **out)
{
    *out = NULL;
    while (self->ctx && self->queue_len > 0) {
        void *reply = NULL;
        if (redisGetReplyFromReader(self->ctx, &reply) != REDIS_OK) {
            s_checked(self, NULL);
            return 1;
        }
        if (!reply) {
            struct pollfd p = {.fd = self->ctx->fd, .events = POLLIN};
            if (poll(&p, 1, 0) <= 0)
                return 0;
            if (redisBufferRead(self->ctx) != REDIS_OK) {
                s_checked(self, NULL);
                return 1;
            }
            if (redisGetReplyFromReader(self->ctx, &reply) != REDIS_OK) {
                s_checked(self, NULL);
                return 1;
            }
            if (!reply)
                return 0;
        }
        unsigned char discard = self->queue[self->queue_head];
        self->queue_head = (self->queue_head + 1) % self->queue_cap;
        self->queue_len--;
        if (!discard)
            self->owed--;
        if (s_is_noscript(reply)) {
            self->next_try_ms = 0;
            self->up = false;
        }
        if (!discard) {
            *out = reply;
            return 1;
        }
        freeReplyObject(reply);
    }
    return 0;
}

int rconn_fd(const rconn_t *self)
{
    return self->ctx ? self->ctx->fd : -1;
}

size_t rconn_owed(const rconn_t *self)
{
    return self->owed;
}

int rconn_flush(rconn_t *self)
{
    if (!self->ctx)
        return -1;
    int done = 0;
    while (!done)
        if (redisBufferWrite(self->ctx, &done) != REDIS_OK) {
            s_checked(self, NULL);
            return -1;
        }
    return 0;
}
