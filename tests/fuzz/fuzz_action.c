/* fuzz_action: the JSON body of POST /v1/appeals/{id}/{action} (action_parse). The first byte
 * picks the action's name (one of the five, or an unknown one); the rest is the body. What it
 * accepts must hold an actor and what its action needs, and decide on an assigned appeal without
 * a crash; every refusal is a 4xx with a code and a message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "intake/action.h"
#include "lifecycle.h"

static config_t *s_config;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    s_config = config_new();
    if (!s_config)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *names[] = {"acknowledge", "resolve",  "feedback",
                                  "escalate",    "transfer", "archive"};
    if (size < 1)
        return 0;
    const char *name = names[data[0] % (sizeof names / sizeof names[0])];
    rules_error_t err;
    action_t *action = action_parse(name, (const char *)data + 1, size - 1, &err);
    if (!action) {
        if (err.status < 400 || err.status > 499 || !err.code || !err.message[0] ||
            !memchr(err.field, '\0', sizeof err.field))
            abort();
        return 0;
    }
    const lifecycle_input_t *in = action_input(action);
    if (!in->actor || !*in->actor || strcmp(action_name(action), name) != 0)
        abort();
    if (in->action == APPEAL_RESOLVE && (!in->resolution || !*in->resolution))
        abort();
    if (in->action == APPEAL_TRANSFER && !in->department)
        abort();
    appeal_state_t st = {.seq = 3, .status = APPEAL_ASSIGNED, .level = GRIDLINE__LEVEL__LEVEL_BLUE};
    snprintf(st.id, sizeof st.id, "150123-20261125-000001");
    snprintf(st.region, sizeof st.region, "150123100001");
    snprintf(st.category, sizeof st.category, "heating");
    snprintf(st.department, sizeof st.department, "heating");
    lifecycle_step_t step;
    if (lifecycle_decide(s_config, NULL, &st, in, 1795536000000LL, &step) == LIFECYCLE_OK)
        lifecycle_step_fini(&step);
    action_destroy(&action);
    return 0;
}
