/* target: what one kind of receiver is sent, and how its answer is read.
 *
 * A target is a receiver type: the generic webhook, a WeCom (企业微信) or DingTalk (钉钉) group
 * robot, or Prometheus Alertmanager. target_render turns alerts (the JSON objects of
 * alert_render, docs/notifier.md "The alert") into one signed HTTP POST for that type;
 * target_accepted says whether the receiver took it. Neither does I/O: delivery posts what is
 * rendered and asks target_accepted. Each type lives in its own module (target_<type>.c); this
 * one dispatches on the type and holds what they share (the request's headers, the Chinese
 * markdown the two chat robots show, the chat robots' errcode answer). */
#ifndef GRIDLINE_TARGET_H
#define GRIDLINE_TARGET_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    TARGET_WEBHOOK = 0,
    TARGET_WECOM,
    TARGET_DINGTALK,
    TARGET_ALERTMANAGER
} target_type_t;

/* "webhook", "wecom", "dingtalk", "alertmanager"; -1 for anything else */
int target_type_parse(const char *name);
/* The name target_type_parse reads; "unknown" for a value outside the enum. */
const char *target_type_name(target_type_t type);

typedef struct {
    char *url;      /* what to POST to (malloc'd): DingTalk adds &timestamp=…&sign=…,
                       Alertmanager appends /api/v2/alerts to the base URL */
    char **headers; /* "Name: value" lines (malloc'd), Content-Type included */
    size_t header_count;
    char *body; /* malloc'd, NUL-terminated */
} target_request_t;

/* The request that delivers alerts[0..n) (n >= 1; n > 1 is a group) to one target, signed at
 * now_ms (every attempt is rendered and signed afresh). secret may be NULL or "" (unsigned).
 * The caller keeps the alerts; out is the caller's to target_request_fini, also after -1 (it
 * is then empty). 0, or -1 (out of memory, or an unknown type, n == 0). */
int target_render(target_type_t type, const char *url, const char *secret, json_t *const *alerts,
                  size_t n, int64_t now_ms, target_request_t *out);
/* Frees what the request holds and empties it; safe on an empty or zeroed request. */
void target_request_fini(target_request_t *req);
/* Whether the receiver took it: 1 yes; 0 a receiver error (retried), with why filled. */
int target_accepted(target_type_t type, long status, const char *body, size_t len, char *why,
                    size_t why_size);
/* The URL for logs and --print-config: scheme, host and path only (no query, no user:pass). */
void target_url_redact(const char *url, char *out, size_t size);

/* ---- shared by the target_<type> modules ---- */

/* Appends one "Name: value" header line (printf format). 0, or -1 (out of memory). */
int target_request_header(target_request_t *req, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/* A string member of an alert, or "" when it is absent or not a string. */
const char *target_alert_string(const json_t *alert, const char *key);
/* The Chinese markdown the chat robots show for alerts[0..n): per alert the level's colour as
 * emoji and word, the event, place, category, owner and deadline. At most max_bytes - 1 bytes
 * (max_bytes >= 128): whole alerts while they fit, then a "…另有 N 条" line for the rest; one
 * alert too long by itself is cut on a UTF-8 boundary and ends with "…". malloc'd, or NULL. */
char *target_markdown(json_t *const *alerts, size_t n, size_t max_bytes);
/* A short title for the same alerts (DingTalk's notification line). malloc'd, or NULL. */
char *target_markdown_title(json_t *const *alerts, size_t n);
/* The chat robots' judgement: HTTP 200 and a JSON body with errcode 0. */
int target_accepted_errcode(long status, const char *body, size_t len, char *why, size_t why_size);

#endif
