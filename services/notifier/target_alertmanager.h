/* target_alertmanager: Prometheus Alertmanager's API v2 (docs/notifier.md, Targets).
 *
 * POST <base URL>/api/v2/alerts, a JSON array with one postable alert per gridline alert:
 *   labels       alertname "gridline_appeal", appeal_id, region, county (the region's first 6
 *                digits), level, category, department (an empty one is left out: Alertmanager
 *                treats an empty label as absent)
 *   annotations  summary, description (place, category, owner, reason in words), event,
 *                deadline (when the appeal has one)
 *   startsAt     the alert's "at"
 *   endsAt       now, for an alert whose event ends the appeal (resolved, closed, invalidated),
 *                so Alertmanager resolves it; absent otherwise (Alertmanager's resolve_timeout)
 * Alertmanager groups, deduplicates (by labels: one alert per appeal) and routes from there.
 * Accepted: any 2xx. */
#ifndef GRIDLINE_TARGET_ALERTMANAGER_H
#define GRIDLINE_TARGET_ALERTMANAGER_H

#include "target.h"

/* target_render for TARGET_ALERTMANAGER. 0, or -1 (out of memory). */
int target_alertmanager_render(const char *url, json_t *const *alerts, size_t n, int64_t now_ms,
                               target_request_t *out);
/* Any 2xx; otherwise why has the status and the start of Alertmanager's error text. */
int target_alertmanager_accepted(long status, const char *body, size_t len, char *why,
                                 size_t why_size);

#endif
