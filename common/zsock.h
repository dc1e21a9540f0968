/* zsock: the ZeroMQ sockets of a hop.
 *
 * A hop is PUSH (every sender) -> PULL (every receiver instance). Receivers bind, senders
 * connect. Senders never block: zsock_send uses ZMQ_DONTWAIT and ZMQ_IMMEDIATE is set, so a
 * message is only queued to a peer that is connected; when none is (or its queue is full) the
 * send fails with EAGAIN and the event simply stays in its Redis outbox, where the sweeper
 * finds it. No message is ever the only copy of an event. */
#ifndef GRIDLINE_ZSOCK_H
#define GRIDLINE_ZSOCK_H

#include <stddef.h>

/* The process-wide ZeroMQ context (created on first use, thread-safe after). */
void *zsock_context(void);
void zsock_context_term(void);

/* PUSH connected to each endpoint of a comma-separated list. NULL on error (logged). */
void *zsock_push_new(const char *endpoints);
/* PULL bound to endpoint. NULL on error (logged, naming the endpoint). */
void *zsock_pull_new(const char *endpoint);
void zsock_destroy(void **sock_p);
/* One frame, never blocking: 0 sent, -1 not sent (errno EAGAIN when no peer is ready). */
int zsock_send(void *sock, const void *data, size_t len);

#endif
