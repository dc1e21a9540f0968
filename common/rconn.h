/* rconn: one hiredis connection that reconnects, loads Lua scripts, and pipelines.
 *
 * Not thread-safe: one rconn per thread. Every call that talks to Redis first makes sure the
 * connection is up (connecting at most once per retry interval) and returns -1 / NULL with
 * rconn_errstr() set when Redis cannot be reached, so callers answer "unavailable" and retry
 * later rather than block or crash. A state change (down -> up, up -> down) is logged once,
 * and a still-down connection is logged again every 10 s, naming host:port and the reason.
 *
 * Replies: every redisReply returned belongs to the caller (freeReplyObject). */
#ifndef GRIDLINE_RCONN_H
#define GRIDLINE_RCONN_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>

/* A Lua script, declared once (static) and shared by every connection. Its SHA1 is learnt
 * from SCRIPT LOAD on first connect; the text is sent again with EVAL if Redis lost it. */
typedef struct rscript {
    const char *name;
    const char *body;
    char sha[41];
} rscript_t;

typedef struct rconn rconn_t;

rconn_t *rconn_new(const char *host, int port, const char *password, int timeout_ms);
void rconn_destroy(rconn_t **self_p);
/* Scripts (a NULL-terminated array, static storage) loaded on every (re)connect. */
void rconn_set_scripts(rconn_t *self, rscript_t **scripts);
/* 0 if connected (connecting if needed), -1 if Redis cannot be reached now. */
int rconn_ensure(rconn_t *self);
bool rconn_is_up(const rconn_t *self);
const char *rconn_errstr(const rconn_t *self);
const char *rconn_address(const rconn_t *self); /* "host:port" */

/* One command; NULL on I/O error (connection dropped, see errstr). An error reply from Redis
 * is returned as a reply of type REDIS_REPLY_ERROR. */
redisReply *rconn_command(rconn_t *self, const char *fmt, ...);
redisReply *rconn_commandv(rconn_t *self, int argc, const char **argv, const size_t *argvlen);
/* EVALSHA with the given KEYS and ARGV (falls back to EVAL on NOSCRIPT). */
redisReply *rconn_eval(rconn_t *self, rscript_t *script, int nkeys, int nargs, const char **args,
                       const size_t *lens);

/* Pipelining: append any number of commands, then read their replies in order.
 * rconn_append* return 0/-1; rconn_reply returns NULL on I/O error. A pipelined EVALSHA that
 * meets NOSCRIPT answers with an error reply: the scripts are reloaded for next time. */
int rconn_append(rconn_t *self, const char *fmt, ...);
int rconn_appendv(rconn_t *self, int argc, const char **argv, const size_t *argvlen);
int rconn_append_eval(rconn_t *self, rscript_t *script, int nkeys, int nargs, const char **args,
                      const size_t *lens);
redisReply *rconn_reply(rconn_t *self);

#endif
