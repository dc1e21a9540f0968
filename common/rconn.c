#include "rconn.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"

#define RCONN_RETRY_MS 500
#define RCONN_RELOG_MS 10000
#define RCONN_MAX_ARGS 4096

/* Bumped whenever any connection of this process gets through: a connection waiting out its
 * retry interval tries again at once, so Redis coming back is noticed by every thread on
 * its next use, not up to RCONN_RETRY_MS later. */
static _Atomic unsigned long s_up_epoch;

/* rscript_t.sha is shared by the connections of every thread (intake: one per HTTP worker):
 * each (re)connect writes it while the others read it for EVALSHA. */
static pthread_mutex_t s_sha_lock = PTHREAD_MUTEX_INITIALIZER;

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
};

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
        if (r->type != REDIS_REPLY_STRING || r->len != 40) {
            snprintf(self->errstr, sizeof self->errstr, "SCRIPT LOAD %s failed: %s", (*s)->name,
                     r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
            freeReplyObject(r);
            return -2;
        }
        pthread_mutex_lock(&s_sha_lock);
        memcpy((*s)->sha, r->str, 40);
        (*s)->sha[40] = '\0';
        pthread_mutex_unlock(&s_sha_lock);
        freeReplyObject(r);
    }
    return 0;
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
    int rc = s_load_scripts(self);
    if (rc != 0) {
        if (rc == -2)
            log_error("redis script load failed", "redis", self->address, "error", self->errstr,
                      NULL);
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

redisReply *rconn_command(rconn_t *self, const char *fmt, ...)
{
    if (rconn_ensure(self) != 0)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    void *reply = redisvCommand(self->ctx, fmt, ap);
    va_end(ap);
    return s_checked(self, reply);
}

redisReply *rconn_commandv(rconn_t *self, int argc, const char **argv, const size_t *argvlen)
{
    if (rconn_ensure(self) != 0)
        return NULL;
    return s_checked(self, redisCommandArgv(self->ctx, argc, argv, argvlen));
}

/* Builds EVALSHA/EVAL argv: cmd, sha-or-body, nkeys, args... EVALSHA (with a copy of the sha
 * in sha_buf) only if by_sha and the sha is known. */
static int s_eval_argv(rscript_t *script, bool by_sha, int nkeys, int nargs, const char **args,
                       const size_t *lens, const char **argv, size_t *argvlen, char *nkeys_buf,
                       char sha_buf[41])
{
    if (nargs + 3 > RCONN_MAX_ARGS)
        return -1;
    if (by_sha) {
        pthread_mutex_lock(&s_sha_lock);
        memcpy(sha_buf, script->sha, 41);
        pthread_mutex_unlock(&s_sha_lock);
        by_sha = sha_buf[0] != '\0';
    }
    snprintf(nkeys_buf, 16, "%d", nkeys);
    argv[0] = by_sha ? "EVALSHA" : "EVAL";
    argvlen[0] = strlen(argv[0]);
    argv[1] = by_sha ? sha_buf : script->body;
    argvlen[1] = strlen(argv[1]);
    argv[2] = nkeys_buf;
    argvlen[2] = strlen(nkeys_buf);
    for (int i = 0; i < nargs; i++) {
        argv[3 + i] = args[i];
        argvlen[3 + i] = lens ? lens[i] : strlen(args[i]);
    }
    return nargs + 3;
}

static bool s_is_noscript(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0;
}

redisReply *rconn_eval(rconn_t *self, rscript_t *script, int nkeys, int nargs, const char **args,
                       const size_t *lens)
{
    if (rconn_ensure(self) != 0)
        return NULL;
    const char *argv[RCONN_MAX_ARGS];
    size_t argvlen[RCONN_MAX_ARGS];
    char nkeys_buf[16], sha_buf[41];
    int argc =
        s_eval_argv(script, true, nkeys, nargs, args, lens, argv, argvlen, nkeys_buf, sha_buf);
    if (argc < 0) {
        snprintf(self->errstr, sizeof self->errstr, "too many script arguments");
        return NULL;
    }
    redisReply *r = rconn_commandv(self, argc, argv, argvlen);
    if (s_is_noscript(r)) {
        freeReplyObject(r);
        argc =
            s_eval_argv(script, false, nkeys, nargs, args, lens, argv, argvlen, nkeys_buf, sha_buf);
        r = rconn_commandv(self, argc, argv, argvlen);
    }
    return r;
}

int rconn_append(rconn_t *self, const char *fmt, ...)
{
    if (rconn_ensure(self) != 0)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    int rc = redisvAppendCommand(self->ctx, fmt, ap);
    va_end(ap);
    return rc == REDIS_OK ? 0 : -1;
}

int rconn_appendv(rconn_t *self, int argc, const char **argv, const size_t *argvlen)
{
    if (rconn_ensure(self) != 0)
        return -1;
    return redisAppendCommandArgv(self->ctx, argc, argv, argvlen) == REDIS_OK ? 0 : -1;
}

int rconn_append_eval(rconn_t *self, rscript_t *script, int nkeys, int nargs, const char **args,
                      const size_t *lens)
{
    const char *argv[RCONN_MAX_ARGS];
    size_t argvlen[RCONN_MAX_ARGS];
    char nkeys_buf[16], sha_buf[41];
    int argc =
        s_eval_argv(script, true, nkeys, nargs, args, lens, argv, argvlen, nkeys_buf, sha_buf);
    if (argc < 0)
        return -1;
    return rconn_appendv(self, argc, argv, argvlen);
}

redisReply *rconn_reply(rconn_t *self)
{
    if (!self->ctx)
        return NULL;
    void *reply = NULL;
    if (redisGetReply(self->ctx, &reply) != REDIS_OK)
        return s_checked(self, NULL);
    if (s_is_noscript(reply)) {
        /* Redis lost its scripts (restart without AOF, SCRIPT FLUSH, failover): the next
         * rconn_ensure reconnects and loads them again; this reply stays an error. */
        self->next_try_ms = 0;
        self->up = false;
    }
    return reply;
}
