/* webhook: POSTs a batch of alerts at once (libcurl multi).
 *
 * Every POST of a batch runs concurrently over one connection cache (keep-alive per host),
 * so one slow or dead receiver holds the batch for at most the timeout, not once per alert.
 * A POST succeeded when the receiver answered 2xx. */
#ifndef GRIDLINE_WEBHOOK_H
#define GRIDLINE_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    /* in */
    const char *url;
    const char *body;
    const char *alert_id;     /* X-Gridline-Alert-Id */
    const char *subscription; /* X-Gridline-Subscription */
    /* out */
    bool ok;
    long status;     /* HTTP status, 0 if none */
    char error[128]; /* why not, when !ok */
} webhook_post_t;

typedef struct webhook webhook_t;

webhook_t *webhook_new(int timeout_ms);
void webhook_destroy(webhook_t **self_p);
/* Runs every post; returns when each has answered, failed or timed out. */
void webhook_post_all(webhook_t *self, webhook_post_t *posts, size_t count);

#endif
