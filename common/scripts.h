/* scripts: every Lua script gridline runs in Redis. The text of each is common/lua/<name>.lua
 * (with common/lua/lib.lua's helpers before it), embedded at build time.
 *
 * Each script touches one county's slot only: its KEYS carry the {county} tag and any key it
 * derives (appeal:, events:, stats:, deadletter:) is built from the same tag. Callers do not
 * build KEYS/ARGV themselves: each script has one typed wrapper, in the module of its noun
 * (appeal.c: appeal_create, appeal_advance; outbox.c: outbox_claim, pending_unmark,
 * deadletter_replay; inbox.c: stats_apply, notify_accept; delivery.c in the notifier:
 * delivery_claim, delivery_done). Each .lua file documents its KEYS, ARGV and reply. */
#ifndef GRIDLINE_SCRIPTS_H
#define GRIDLINE_SCRIPTS_H

#include "rconn.h"

extern rscript_t scripts_appeal_create;
extern rscript_t scripts_appeal_advance;
extern rscript_t scripts_outbox_claim;
extern rscript_t scripts_stats_apply;
extern rscript_t scripts_notify_accept;
extern rscript_t scripts_delivery_claim;
extern rscript_t scripts_delivery_done;
extern rscript_t scripts_pending_unmark;
extern rscript_t scripts_deadletter_replay;
extern rscript_t scripts_directory_change;
extern rscript_t scripts_deadline_lease;
extern rscript_t scripts_deadline_settle;
extern rscript_t scripts_auth_token;
extern rscript_t scripts_auth_rate;
extern rscript_t scripts_subscription_change;
extern rscript_t scripts_subscription_raise;

/* NULL-terminated, for rconn_set_scripts. */
extern rscript_t *scripts_all[];

/* Computes every script's SHA1 once (call before threads start; idempotent). */
void scripts_prepare(void);

#endif
