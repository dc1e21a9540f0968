/* gateway: intake's ZeroMQ door, for high-volume channel gateways (a call centre, a bot).
 *
 * A ROUTER socket bound on tcp://<bind_host>:<intake.gateway_port> (0: no gateway). A client
 * is a DEALER: each message it sends is one frame, a packed gridline.Submission; ROUTER adds
 * the peer's identity in front, so intake reads [identity][Submission] (a REQ client's
 * [identity][empty][Submission] works too: every frame before the last is echoed back as the
 * reply's envelope). Each Submission is answered with one message, a packed
 * gridline.SubmissionReply carrying the submission's request_id, sent only once the appeal is
 * in Redis (its appeal_create returned). Replies may come in another order than the
 * submissions: match them by request_id. Many submissions may be in flight per connection.
 *
 * The gateway runs in a thread of its own with its own collector (Redis connection, outbox
 * sockets): it reads every message waiting (up to GATEWAY_BATCH), checks each with rules.h as
 * POST /v1/appeals does, stores the good ones in one pipelined round trip
 * (collector_submit_many), then answers all. A frame that is not a Submission is answered
 * with error_code "bad_frame" if a request_id can be read from it, else dropped (counted). */
#ifndef GRIDLINE_GATEWAY_H
#define GRIDLINE_GATEWAY_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "gridline.pb-c.h"
#include "region.h"
#include "rules.h"
#include "service.h"

#define GATEWAY_BATCH 512 /* submissions stored per round trip to Redis, at most */
#define GATEWAY_REQUEST_ID_MAX 128

typedef struct gateway gateway_t;

/* Binds and starts the gateway thread when config's intake.gateway_port is not 0. 0 (and
 * *out NULL when the gateway is off), or -1 (logged: the port could not be bound). */
int gateway_start(service_t *service, gateway_t **out);
/* Stops the thread after the batch it holds (every message read is answered), closes. */
void gateway_stop(gateway_t **self_p);

/* ---- one frame, checked (no Redis, no sockets: the fuzz target's function) ------------- */

typedef struct {
    Gridline__Submission *submission; /* unpacked; NULL when the frame is not a Submission */
    Gridline__Appeal appeal;          /* when accepted: the checked appeal (points into it) */
    Gridline__Location location;
    char title[128];                             /* the default title (start of the description) */
    char request_id[GATEWAY_REQUEST_ID_MAX + 1]; /* as read, also from a refused frame */
    int has_request_id;                          /* a request_id could be read */
    char fingerprint[17];                        /* of the checked appeal: "the same request" */
} gateway_submission_t;

/* 0: accepted (out->appeal is the appeal to store; the idempotency key is
 * out->submission->idempotency_key, "" for none). -1: refused, err names the field
 * ("appeal.region", "idempotency_key", ...); code "bad_frame" when the frame is not a
 * Submission at all. Either way release out with gateway_submission_fini. */
int gateway_check(const uint8_t *frame, size_t len, const region_table_t *regions,
                  const config_t *config, gateway_submission_t *out, rules_error_t *err);
void gateway_submission_fini(gateway_submission_t *self);

#endif
