/* notifier_api: the notifier's HTTP API (notifier.http_port), guarded by the API tokens.
 *
 *   POST   /v1/subscriptions        a subscription (subscription.h) -> 201 with its server-made
 *                                   id; stored in Redis: every notifier instance applies it to
 *                                   every event accepted after this answered
 *   GET    /v1/subscriptions        {"subscriptions":[...]}: the configuration's ("source":
 *                                   "config") and the API's, within the token's region
 *   GET    /v1/subscriptions/{id}   one; 404 none
 *   DELETE /v1/subscriptions/{id}   204; 409 read_only for a configuration one; 404 none
 * A token limited to a region prefix sees and makes subscriptions within it only. Secrets are
 * shown as "***" and URLs as scheme://host/path (a WeCom key= or DingTalk access_token= is a
 * credential). Each HTTP thread has its own Redis connection. */
#ifndef GRIDLINE_NOTIFIER_API_H
#define GRIDLINE_NOTIFIER_API_H

#include <stddef.h>

#include "httpd.h"
#include "service.h"

/* Per-thread state: arg is the service_t. */
void *notifier_api_thread_new(void *arg);
void notifier_api_thread_destroy(void *arg, void *state);
/* The handler; arg is the service_t, req->thread the state above. */
void notifier_api_handle(void *arg, const http_request_t *req, http_response_t *res);

#endif
