/* sink: a webhook receiver that records what it is sent, for tests and the demo.
 *
 * Every POST or PUT is read whole and answered `status` with {"ok":true}, except that the first
 * `fail_first` of them get 503 and are not recorded (so a sender's retries can be tested).
 * A recorded request becomes one JSON line, written to `out` and kept in memory:
 *
 *   {"at_ms":1764000000123,"method":"POST","path":"/alerts/county",
 *    "headers":{"Content-Type":"application/json","X-Gridline-Alert-Id":"…"},
 *    "body":<the body as JSON if it parses, else as a string>}
 *
 * at_ms is the wall time the whole body had arrived. Only Content-Type and the X-… headers are
 * kept, their names in canonical case (X-Gridline-Alert-Id however the client spelled it), so
 * tests can look them up by one spelling.
 *
 * GET /healthz answers "ok", GET /count {"received":N}, GET /requests a JSON array of every
 * recorded line so far. Requests are served on a thread per connection, so a `delay_ms` answer
 * delays only its own connection. */
#ifndef GRIDLINE_SINK_H
#define GRIDLINE_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct {
    const char *host; /* numeric address or name to bind; "127.0.0.1" if NULL */
    int port;         /* 0 picks a free port: see sink_port */
    FILE *out;        /* where recorded lines go; not owned; NULL = nowhere */
    int status;       /* the answer to a recorded request */
    long fail_first;  /* this many POST/PUT requests get 503 first */
    long delay_ms;    /* sleep before answering a POST/PUT */
    bool quiet;       /* no line per request on stderr */
    bool minimal;     /* record only {"at_ms","method","path","bytes"}: no parsing (benchmarks) */
} sink_options_t;

typedef struct sink sink_t;

/* Binds and listens (connections wait in the backlog until sink_start). NULL, with the reason in
 * err, if the address cannot be used. The options are copied; out must outlive the sink. */
sink_t *sink_new(const sink_options_t *options, char *err, size_t errlen);
/* Serves from now on, on threads of its own. 0, or -1 with the reason in err. */
int sink_start(sink_t *self, char *err, size_t errlen);
/* Cuts delayed answers short (they are still answered and recorded), closes every connection
 * and joins the threads. What was recorded stays readable. Idempotent. */
void sink_stop(sink_t *self);
/* Stops if still serving, then frees. Safe on NULL. */
void sink_destroy(sink_t **self_p);

/* The port bound (useful when options.port was 0). */
int sink_port(const sink_t *self);
/* The bound address in numeric form, "127.0.0.1" or "::1" (buf >= 64 bytes). */
void sink_address(const sink_t *self, char *buf, size_t buflen);
/* Requests recorded so far. Thread-safe. */
size_t sink_received(sink_t *self);

#endif
