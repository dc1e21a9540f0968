/* loadgen's --gateway mode: the same appeals as protobuf Submissions to intake's ZeroMQ
 * gateway, over one DEALER connection with up to --concurrency submissions in flight. */
#ifndef GRIDLINE_LOADGEN_GATEWAY_H
#define GRIDLINE_LOADGEN_GATEWAY_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "appeal_gen.h"

typedef struct {
    const char *endpoint; /* tcp://host:port */
    double rate;          /* 0: as fast as the window allows */
    long count;           /* 0: no limit */
    double duration_s;    /* 0: none */
    long window;          /* submissions in flight at most */
    long timeout_ms;      /* no reply at all for this long: the rest are given up */
    uint64_t seed;
    bool idempotency; /* idempotency_key lg-<seed>-<n> */
    const char *token;
    const char *replies; /* file: one line per reply, "request_id result id error_code field" */
    bool json;
    bool quiet;
} lg_gateway_options_t;

/* Runs until count/duration/signal; prints the summary. The exit status: 0 if every
 * submission was answered without an error, 1 otherwise. */
int lg_gateway_run(const lg_gateway_options_t *options, appeal_gen_t *gen,
                   volatile sig_atomic_t *signals);

#endif
