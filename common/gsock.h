/* gsock: the ZeroMQ sockets of a hop (named apart from CZMQ's zsock_* API).
 *
 * A hop is PUSH (every sender) -> PULL (every receiver instance). Receivers bind, senders
 * connect. Senders never block: gsock_send uses ZMQ_DONTWAIT and ZMQ_IMMEDIATE is set, so a
 * message is only queued to a peer that is connected; when none is (or its queue is full) the
 * send fails with EAGAIN and the event simply stays in its Redis outbox, where the sweeper
 * finds it. No message is ever the only copy of an event. */
#ifndef GRIDLINE_GSOCK_H
#define GRIDLINE_GSOCK_H

#include <stddef.h>
#include <stdint.h>

/* The process-wide ZeroMQ context (created on first use, thread-safe after). */
void *gsock_context(void);
void gsock_context_term(void);

/* PUSH connected to each endpoint of a comma-separated list. NULL on error (logged). */
void *gsock_push_new(const char *endpoints);
/* PULL bound to endpoint, refusing frames over max_frame bytes (ZMQ_MAXMSGSIZE: libzmq drops
 * the connection of a peer that sends one, before anything is allocated for it). NULL on
 * error (logged, naming the endpoint). */
void *gsock_pull_new(const char *endpoint, int64_t max_frame);
void gsock_destroy(void **sock_p);
/* One frame, never blocking: 0 sent, -1 not sent (errno EAGAIN when no peer is ready). */
int gsock_send(void *sock, const void *data, size_t len);

#endif
