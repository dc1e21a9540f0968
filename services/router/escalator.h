/* escalator: fires the clocks that are due, for any number of routers sharing them.
 *
 * Every tick: the counties due now from the deadline index (one Redis call when none is),
 * then per county, pipelined: lease its due clocks (deadline_lease.lua), decide each
 * (lifecycle.h: below red a missed clock escalates one level, reason ack_overdue or
 * resolve_overdue; at red it reminds), apply the decisions (appeal_advance, seq-checked: a
 * decision on a state that moved meanwhile does not apply, and its clock is decided again when
 * it falls due), push the new events to the notifier and the aggregator, and settle the county
 * in the index at its next clock (deadline.h). A tick works for at most a few hundred ms and
 * goes on at the next one. At start and every DEADLINE_FULL_PASS_MS it also visits every
 * county (the index's safety net). */
#ifndef GRIDLINE_ESCALATOR_H
#define GRIDLINE_ESCALATOR_H

#include <stddef.h>

#include "directory.h"
#include "outbox.h"
#include "rconn.h"
#include "service.h"

typedef struct escalator escalator_t;

/* Uses (does not own) redis, directory and the outboxes the new events go to. */
escalator_t *escalator_new(service_t *service, rconn_t *redis, directory_t *directory,
                           outbox_t *const *outboxes, size_t outbox_count);
void escalator_destroy(escalator_t **self_p);
/* Fires what is due. Returns the changes applied, or -1 (Redis down). */
int escalator_tick(escalator_t *self);

#endif
