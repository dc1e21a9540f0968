/* stream: the notifier's live view, GET /v1/stream as Server-Sent Events (issue 9).
 *
 * Every alert-worthy event a notifier instance accepts (assigned, escalated, reopened,
 * transferred, reminded) is appended, once, to one Redis stream shared by every instance:
 *
 *   {alerts}:stream   XADD MAXLEN ~ 100000, fields region, level, type, data (the alert JSON,
 *                     alert_render without a subscription: no contacts, no "subscription")
 *
 * The append is a plain pipelined XADD after notify_accept's replies are read, not part of the
 * accept script (which stays in its county's slot): a crash between the two loses that entry.
 * The stream is a best-effort live view for the dashboard and a supervisor's browser; the
 * deliveries to subscriptions are the guarantee.
 *
 * A client's stream reads the Redis stream with XREAD COUNT 200 (never BLOCK) each time httpd
 * asks it for more (about every HTTPD_STREAM_POLL_MS while idle). The stream fn gets no
 * per-thread state and may run on any of httpd's threads, so each open stream has its own Redis
 * connection, made when the client subscribes and closed when the response ends: one connection
 * per watching client. Resuming (Last-Event-ID, or ?last_event_id=) works on any instance, since
 * the ids are the Redis stream's; an id older than what MAXLEN kept resumes at the oldest entry
 * kept. */
#ifndef GRIDLINE_NOTIFIER_STREAM_H
#define GRIDLINE_NOTIFIER_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "httpd.h"
#include "keys.h"
#include "rconn.h"
#include "service.h"

#define STREAM_KEY KEYS_ALERTS_STREAM
#define STREAM_MAXLEN 100000
#define STREAM_RETRY_MS 2000 /* the client's reconnection delay (SSE "retry:") */

/* Whether events of this type go to the live stream. */
bool stream_carries(Gridline__EventType type);
/* Appends the XADD of one alert (its reply read and dropped by rconn): 0 or -1. */
int stream_publish_append(rconn_t *redis, const Gridline__Event *event, const char *alert);

/* What a client watches: alerts whose region starts with region, at min_level or above. */
typedef struct {
    char region[16];
    int min_level; /* Gridline__Level */
} stream_filter_t;

bool stream_filter_passes(const stream_filter_t *filter, const char *region, const char *level);
/* Whether id is a stream id a client may resume after ("<ms>-<seq>" or "<ms>"). */
bool stream_id_valid(const char *id);
/* One SSE message into buf, like snprintf: "id: …\nevent: …\ndata: …\n\n" (each line of data its
 * own "data:" line; CR and LF dropped from id and event). Returns its whole length: it fits, NUL
 * included, when that is below max (buf may be NULL when max is 0). */
size_t stream_frame(char *buf, size_t max, const char *id, const char *event, const char *data);

/* GET and OPTIONS /v1/stream (redis: the HTTP thread's, for the token). */
void stream_handle(service_t *svc, rconn_t *redis, const http_request_t *req, http_response_t *res);

#endif
