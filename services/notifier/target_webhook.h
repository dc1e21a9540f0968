/* target_webhook: the generic JSON webhook (docs/notifier.md, Targets).
 *
 * Body: the alert object itself, or {"alerts":[…]} for a group. Headers: Content-Type,
 * X-Gridline-Alert-Id (the first alert's id), X-Gridline-Alert-Ids (a group: every id, comma
 * separated), X-Gridline-Timestamp (unix seconds) and, with a secret,
 * X-Gridline-Signature: sha256=<lowercase hex HMAC-SHA256(secret, timestamp "." body)>.
 * A receiver checks the signature over the bytes it got and refuses an old timestamp. */
#ifndef GRIDLINE_TARGET_WEBHOOK_H
#define GRIDLINE_TARGET_WEBHOOK_H

#include "target.h"

/* target_render for TARGET_WEBHOOK (secret "" signs nothing). 0, or -1 (out of memory). */
int target_webhook_render(const char *url, const char *secret, json_t *const *alerts, size_t n,
                          int64_t now_ms, target_request_t *out);
/* The same for one alert already serialised (body, its id): no parse and dump again (the
 * courier's common case). The body is sent byte for byte as given. 0, or -1. */
int target_webhook_render_text(const char *url, const char *secret, const char *body,
                               const char *alert_id, int64_t now_ms, target_request_t *out);
/* Any 2xx. */
int target_webhook_accepted(long status, char *why, size_t why_size);

#endif
