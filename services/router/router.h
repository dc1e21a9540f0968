/* router: turns collected appeals into assignments.
 *
 * Receives events on the router hop (inbox), decides department and assignee (routing), and,
 * per county, one appeal_advance call consumes the events' router outbox entries, checks the
 * received bytes against the stored events, records each assigned event (the level a rule
 * chose, else green; its owner; its clocks), and queues it for the notifier and the
 * aggregator; then pushes them to both.
 * A batch costs one Redis round trip. The sweeper re-sends what the notifier and aggregator
 * outboxes still hold. */
#ifndef GRIDLINE_ROUTER_H
#define GRIDLINE_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include "service.h"

typedef struct router router_t;

router_t *router_new(service_t *service);
void router_destroy(router_t **self_p);
/* The PULL socket to poll. */
void *router_socket(router_t *self);
/* Reads what is waiting (up to outbox.batch) and applies it. Returns events applied, or -1
 * when Redis is down (the events stay in their outboxes and come again). */
int router_drain(router_t *self);
/* The tick: re-sends what the router's outboxes still hold, and fires the clocks that are due
 * (escalator.h). Returns events re-sent, or -1 (Redis down). */
int router_tick(router_t *self);

#endif
