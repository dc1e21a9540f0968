/* callback: GET /v1/callbacks/due: resolved orders whose call-back (回访) is due, for the
 * operators who phone or text the residents.
 *
 *   ?region=PREFIX (default: the token's, else 15) &limit= (default 50, at most 500)
 *   -> {"callbacks":[{"id","region","resolved_at","resolved_at_ms","waiting_s"}...]}
 * Oldest first: orders resolved at least callback.due_after ago and still resolved (no
 * feedback yet). They come from callback:{C} (docs/aggregator.md), which the scripts that
 * change an appeal keep: no scan. Past callback.close_after the router closes an order with
 * verdict no_feedback, and it leaves the list. */
#ifndef GRIDLINE_CALLBACK_H
#define GRIDLINE_CALLBACK_H

#include "auth.h"
#include "config.h"
#include "httpd.h"
#include "rconn.h"
#include "region.h"

void callback_due(const config_t *config, rconn_t *redis, const region_table_t *regions,
                  const auth_token_t *token, const http_request_t *req, http_response_t *res);

#endif
