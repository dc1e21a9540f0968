/* intake: the HTTP front door for appeals.
 *
 *   POST /v1/appeals          create (201 + id + Location); Idempotency-Key replays the first
 *                             answer; the same channel external_id twice is 409
 *   GET  /v1/appeals/{id}     the appeal, its level, assignee, status and event history
 *
 * An appeal is answered 201 only after one Lua step stored it, its collected event and its
 * outbox entries (router, aggregator). The event is then pushed over ZeroMQ; if that fails
 * the outbox sweeper (intake_sweep) sends it later. Handlers run on httpd threads, each with
 * its own collector (Redis connection and ZeroMQ sockets) from httpd's thread hooks. */
#ifndef GRIDLINE_INTAKE_H
#define GRIDLINE_INTAKE_H

#include "httpd.h"
#include "service.h"

typedef struct intake intake_t;

intake_t *intake_new(service_t *service);
void intake_destroy(intake_t **self_p);
/* httpd callbacks; arg is the intake_t, the thread state a collector (collector.h). */
void intake_handle(void *arg, const http_request_t *req, http_response_t *res);
int intake_health(void *arg, void *thread, char *why, size_t whylen);
void *intake_thread_new(void *arg);
void intake_thread_destroy(void *arg, void *state);
/* Re-sends what the outboxes of intake's hops still hold (call every sweep interval from
 * the main thread). Returns entries re-sent or -1 when Redis is down. */
int intake_sweep(intake_t *self);

/* The largest body of a request to url: the batch's limit for /v1/appeals:batch, else
 * intake.max_body (httpd refuses a larger announced body before reading it). */
size_t intake_body_limit(void *arg, const char *url);

#endif
