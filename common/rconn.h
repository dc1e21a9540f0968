/* rconn: one hiredis connection that reconnects, loads Lua scripts, and pipelines.
 *
 * Not thread-safe: one rconn per thread. Every call that talks to Redis first makes sure the
 * connection is up (connecting at most once per retry interval) and returns -1 / NULL with
 * rconn_errstr() set when Redis cannot be reached, so callers answer "unavailable" and retry
 * later rather than block or crash. A state change (down -> up, up -> down) is logged once,
 * and a still-down connection is logged again every 10 s, naming host:port and the reason.
 *
 * Every Redis call of gridline goes through here (so that Cluster routing has one place).
 *
 * Replies: every redisReply returned belongs to the caller (freeReplyObject).
 *
 * Pipelines are tracked here, not by callers' discipline: rconn counts the replies it owes.
 * rconn_append* queues a command whose reply the caller reads with rconn_reply, in order;
 * rconn_append_discard queues one whose reply rconn reads and frees itself. A synchronous
 * call (rconn_command, rconn_eval) made while replies are still owed to the caller means a
 * batch was abandoned half read: the connection is dropped (and reconnected on next use)
 * rather than hand the caller someone else's reply.
 *
 * Redis must not evict keys: on every connect rconn checks maxmemory-policy and refuses a
 * Redis whose policy is anything but noeviction (rconn_refused says why; services exit 2). */
#ifndef GRIDLINE_RCONN_H
#define GRIDLINE_RCONN_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>

/* A Lua script, declared once (static) and shared by every connection. Its SHA1 is computed
 * from the text by rscripts_prepare, once, before any thread uses it; the text is sent again
 * with EVAL if Redis lost it. */
typedef struct rscript {
    const char *name;
    const char *body;
    char sha[41];
} rscript_t;

/* Computes the SHA1 of every script of a NULL-terminated array (idempotent; call at start-up,
 * before threads). */
void rscripts_prepare(rscript_t **scripts);

typedef struct rconn rconn_t;

rconn_t *rconn_new(const char *host, int port, const char *password, int timeout_ms);
/* Names every later connection of this process in Redis (CLIENT SETNAME "<name>-<pid>"), so an
 * operator's CLIENT LIST tells the services apart; call once at start-up, before threads. */
void rconn_set_client_name(const char *name);
void rconn_destroy(rconn_t **self_p);
/* Scripts (a NULL-terminated array, static storage, prepared) loaded on every (re)connect. */
void rconn_set_scripts(rconn_t *self, rscript_t **scripts);
/* 0 if connected (connecting if needed), -1 if Redis cannot be reached now. */
int rconn_ensure(rconn_t *self);
bool rconn_is_up(const rconn_t *self);
const char *rconn_errstr(const rconn_t *self);
const char *rconn_address(const rconn_t *self); /* "host:port" */
/* Non-NULL (the reason) once any connection of this process met a Redis gridline must not
 * use (an eviction policy): the service stops. */
const char *rconn_refused(void);

/* One command; NULL on I/O error (connection dropped, see errstr). An error reply from Redis
 * is returned as a reply of type REDIS_REPLY_ERROR. */
redisReply *rconn_command(rconn_t *self, const char *fmt, ...);
redisReply *rconn_commandv(rconn_t *self, int argc, const char **argv, const size_t *argvlen);
/* EVALSHA with the given KEYS and ARGV (falls back to EVAL on NOSCRIPT). lens may be NULL
 * (every argument a C string). */
redisReply *rconn_eval(rconn_t *self, rscript_t *script, int nkeys, int nargs, const char **args,
                       const size_t *lens);

/* Pipelining: append any number of commands, then read their replies in order.
 * rconn_append* return 0/-1; rconn_reply returns NULL on I/O error or when no reply is owed.
 * A pipelined EVALSHA that meets NOSCRIPT answers with an error reply: the scripts are
 * reloaded for next time. */
int rconn_append(rconn_t *self, const char *fmt, ...);
int rconn_appendv(rconn_t *self, int argc, const char **argv, const size_t *argvlen);
int rconn_append_eval(rconn_t *self, rscript_t *script, int nkeys, int nargs, const char **args,
                      const size_t *lens);
/* A command whose reply nobody wants (a best-effort mark): rconn reads and frees it. */
int rconn_append_discard(rconn_t *self, const char *fmt, ...);
redisReply *rconn_reply(rconn_t *self);
/* The next owed reply if it has arrived, without waiting: 1 (*out set; NULL on I/O error), 0
 * (not yet, or none owed). For a loop that polls rconn_fd with other sockets. */
int rconn_reply_nowait(rconn_t *self, redisReply **out);
/* The connection's socket (-1 when not connected), to poll for replies. */
int rconn_fd(const rconn_t *self);
/* Replies still owed to the caller. */
size_t rconn_owed(const rconn_t *self);
/* Sends what is queued now, without waiting for replies (read them later with rconn_reply):
 * a pipeline whose replies are not needed at once. 0, or -1 (connection dropped). */
int rconn_flush(rconn_t *self);

#endif
