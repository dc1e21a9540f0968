/* scripts: every Lua script gridline runs in Redis, in one place (common/scripts.c).
 *
 * Each script touches one county's slot only: its KEYS carry the {county} tag and any key it
 * derives (appeal:, events:, stats:) is built from the same tag. Return shapes are documented
 * beside each script. */
#ifndef GRIDLINE_SCRIPTS_H
#define GRIDLINE_SCRIPTS_H

#include "rconn.h"

extern rscript_t scripts_appeal_create;  /* intake: new appeal + collected event + outboxes */
extern rscript_t scripts_appeal_advance; /* any state change: next event, fields, outboxes */
extern rscript_t scripts_outbox_claim;   /* sweeper: lease due outbox entries, with events */
extern rscript_t scripts_stats_apply;    /* aggregator: consume events, add their counts */
extern rscript_t scripts_notify_accept;  /* notifier: consume an event, queue deliveries */
extern rscript_t scripts_delivery_claim; /* notifier: lease due deliveries, with bodies */
extern rscript_t scripts_delivery_done;  /* notifier: forget a delivered alert */

/* NULL-terminated, for rconn_set_scripts. */
extern rscript_t *scripts_all[];

#endif
