/* aggregator: counts every event, and answers GET /v1/stats.
 *
 * Reads events in batches (up to outbox.batch), groups them by county, and applies each
 * county's group with one stats_apply step that counts an event only while its aggregator
 * outbox entry is still there and removes it in the same step: exact under crashes and
 * duplicate copies, and a handful of Redis commands per batch instead of one per counter.
 *
 *   GET /v1/stats?region=PREFIX[&day=YYYYMMDD]
 *     region: a province, city, county, township, village or grid code (default "15");
 *     day: local day (default today). Above the county, sums over the counties beneath. */
#ifndef GRIDLINE_AGGREGATOR_H
#define GRIDLINE_AGGREGATOR_H

#include "httpd.h"
#include "service.h"

typedef struct aggregator aggregator_t;

aggregator_t *aggregator_new(service_t *service);
void aggregator_destroy(aggregator_t **self_p);
void *aggregator_socket(aggregator_t *self);
/* Main thread: reads and applies a batch. Events applied, or -1 when Redis is down. */
int aggregator_drain(aggregator_t *self);
/* Every sweep interval: (re)connects to Redis. 0, or -1 while Redis is unreachable. */
int aggregator_tick(aggregator_t *self);
/* httpd handler; each HTTP thread queries on a Redis connection of its own, made by
 * aggregator_thread_new and freed by aggregator_thread_destroy (httpd's thread hooks). */
void aggregator_handle(void *arg, const http_request_t *req, http_response_t *res);
void *aggregator_thread_new(void *arg);
void aggregator_thread_destroy(void *arg, void *state);

#endif
