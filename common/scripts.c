#include "scripts.h"

/* The texts, generated from common/lua by scripts/embed-lua.sh (build/gen/scripts_lua.c). */
#define S_SCRIPT(id)                                                                               \
    extern const char scripts_lua_##id[];                                                          \
    rscript_t scripts_##id = {.name = #id, .body = scripts_lua_##id}

S_SCRIPT(appeal_create);
S_SCRIPT(appeal_advance);
S_SCRIPT(outbox_claim);
S_SCRIPT(stats_apply);
S_SCRIPT(notify_accept);
S_SCRIPT(delivery_claim);
S_SCRIPT(delivery_done);
S_SCRIPT(pending_unmark);
S_SCRIPT(deadletter_replay);
S_SCRIPT(directory_change);
S_SCRIPT(deadline_lease);
S_SCRIPT(deadline_settle);
S_SCRIPT(auth_token);
S_SCRIPT(auth_rate);
S_SCRIPT(subscription_change);
S_SCRIPT(subscription_raise);

rscript_t *scripts_all[] = {
    &scripts_appeal_create,
    &scripts_appeal_advance,
    &scripts_outbox_claim,
    &scripts_stats_apply,
    &scripts_notify_accept,
    &scripts_delivery_claim,
    &scripts_delivery_done,
    &scripts_pending_unmark,
    &scripts_deadletter_replay,
    &scripts_directory_change,
    &scripts_deadline_lease,
    &scripts_deadline_settle,
    &scripts_auth_token,
    &scripts_auth_rate,
    &scripts_subscription_change,
    &scripts_subscription_raise,
    NULL,
};

void scripts_prepare(void)
{
    rscripts_prepare(scripts_all);
}
