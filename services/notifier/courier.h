/* courier: the notifier's sender. One thread with one long-lived curl multi handle and its own
 * Redis connection: the notifier's loop hands it jobs (the sends of events it accepted, the
 * retries and groups its sweep claimed) and goes on; each transfer finishes and settles on its
 * own (delivery_settle: forgotten, retried with backoff and jitter, or a dead letter), so a slow
 * receiver holds only its own transfers.
 *
 * Caps: notifier.max_per_host transfers at once to one host and notifier.max_in_flight in all;
 * the rest wait in the courier's queue (at most 4 x max_in_flight jobs; beyond it a job is
 * refused and stays leased in Redis until a sweep claims it again). A job is started only while
 * its lease outlasts a whole transfer (notifier.timeout_ms): one whose lease ran out while it
 * waited is dropped, not sent, so another instance's claim of it is never a double. The only
 * repeats come from a crash between a POST and its settle, bounded by the transfers in flight.
 *
 * Every send is rendered and signed afresh by its target (target.h) and carries
 * X-Gridline-Subscription (the subscription id); X-Gridline-Alert-Id(s) come from the target. */
#ifndef GRIDLINE_COURIER_H
#define GRIDLINE_COURIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "subscription.h"
#include "target.h"

/* One request: one alert, or a group of one subscription in one county. */
typedef struct {
    char county[7];
    char subscription[SUBSCRIPTION_ID_MAX];
    target_type_t target;
    char *url, *secret;
    char **members; /* "<alert id>|<subscription id>", each settled with the request's outcome */
    char **bodies;  /* the alerts (JSON) */
    size_t count, capacity;
    int64_t first_ms;       /* when the oldest was first queued (the delivery-time histogram) */
    int64_t lease_until_ms; /* the Redis lease: started only if a transfer ends before it */
} courier_job_t;

/* A job for sub in county, no alerts yet. NULL on OOM. */
courier_job_t *courier_job_new(const char *county, const subscription_t *sub, int64_t first_ms,
                               int64_t lease_until_ms);
/* Adds one alert (copied). 0, -1 OOM. */
int courier_job_add(courier_job_t *job, const char *member, const char *body, int64_t first_ms);
void courier_job_destroy(courier_job_t **job_p);

typedef struct courier courier_t;

/* Starts the thread. NULL if it cannot (OOM, no curl). */
courier_t *courier_new(const config_t *config);
/* Stops starting transfers, lets the ones in flight finish (each within notifier.timeout_ms)
 * and settles them, then joins; queued jobs are dropped (their leases bring them back). */
void courier_destroy(courier_t **self_p);
/* Hands the job over. false: the queue is full and the job is still the caller's (release its
 * leases, so a sweep sends it soon, and destroy it). */
bool courier_submit(courier_t *self, courier_job_t *job);
/* Jobs queued or in flight. */
size_t courier_load(courier_t *self);

#endif
