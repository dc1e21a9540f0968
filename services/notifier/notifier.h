/* notifier: delivers alerts to the subscriptions of the appeal's region.
 *
 * Receives events on notifier.endpoint (PULL). For each, one notify_accept step consumes the
 * event's notifier outbox entry and records one delivery per matching subscription (a copy
 * that arrives twice finds the entry gone and delivers nothing). A batch's deliveries are
 * POSTed at once, concurrently (webhook); a delivered one is forgotten (delivery_done), a
 * failed one is retried after
 * outbox.resend_after_ms by whichever notifier instance claims it first. Each POST carries
 * X-Gridline-Alert-Id so a receiver can drop the rare duplicate of a crash mid-POST. Each
 * accepted alert-worthy event is also appended once to the live stream (stream.h), best effort. */
#ifndef GRIDLINE_NOTIFIER_H
#define GRIDLINE_NOTIFIER_H

#include "service.h"

typedef struct notifier notifier_t;

notifier_t *notifier_new(service_t *service);
void notifier_destroy(notifier_t **self_p);
void *notifier_socket(notifier_t *self);
int notifier_drain(notifier_t *self);
/* Retries deliveries that are due. */
int notifier_sweep(notifier_t *self);
/* Whether the last sweep left deliveries due (a county gave as many as it was asked for) while
 * the sender had room: sweep again soon. */
bool notifier_backlog(notifier_t *self);

#endif
