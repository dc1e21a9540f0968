#include "action.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "jsonbody.h"

struct action {
    json_t *root; /* the input's strings point into it */
    const char *name;
    lifecycle_input_t input;
};

/* The actions this door takes, and the fields each adds to actor and note. */
static const struct {
    const char *name;
    appeal_action_t action;
    const char *fields[4];
} s_actions[] = {
    {"acknowledge", APPEAL_ACKNOWLEDGE, {NULL}},
    {"resolve", APPEAL_RESOLVE, {"resolution", NULL}},
    {"feedback", APPEAL_FEEDBACK_GOOD, {"verdict", "satisfied", "solved", "comment"}},
    {"escalate", APPEAL_ESCALATE, {"reason", NULL}},
    {"transfer", APPEAL_TRANSFER, {"department", "reason", NULL}},
};
#define S_ACTIONS (sizeof s_actions / sizeof s_actions[0])

static int s_known(json_t *root, size_t a, rules_error_t *err)
{
    const char *known[6] = {"actor", "note"};
    size_t n = 2;
    for (size_t i = 0; i < 4 && s_actions[a].fields[i]; i++)
        known[n++] = s_actions[a].fields[i];
    return jsonbody_known(root, known, n, err);
}

static int s_feedback(action_t *self, rules_error_t *err)
{
    lifecycle_input_t *in = &self->input;
    const char *verdict = NULL;
    int satisfied = -1, solved = -1;
    if (jsonbody_string(self->root, "verdict", false, 32, &verdict, err) != 0 ||
        jsonbody_bool(self->root, "satisfied", &satisfied, err) != 0 ||
        jsonbody_bool(self->root, "solved", &solved, err) != 0 ||
        jsonbody_string(self->root, "comment", false, 2000, &in->comment, err) != 0)
        return -1;
    if (verdict && satisfied >= 0) {
        rules_fail(err, 400, "invalid", "verdict", "give verdict or satisfied, not both");
        return -1;
    }
    if (verdict) {
        int v = event_verdict_parse(verdict);
        if (v < 0) {
            rules_fail(err, 400, "invalid", "verdict",
                       "verdict must be satisfied, basically_satisfied or unsatisfied");
            return -1;
        }
        in->verdict = (Gridline__Verdict)v;
    } else if (satisfied >= 0) {
        in->verdict = satisfied ? GRIDLINE__VERDICT__VERDICT_SATISFIED
                                : GRIDLINE__VERDICT__VERDICT_UNSATISFIED;
    } else {
        rules_fail(err, 400, "missing", "verdict",
                   "verdict (satisfied, basically_satisfied, unsatisfied) is required");
        return -1;
    }
    in->solved = solved < 0   ? GRIDLINE__ANSWER__ANSWER_UNSET
                 : solved > 0 ? GRIDLINE__ANSWER__ANSWER_YES
                              : GRIDLINE__ANSWER__ANSWER_NO;
    if (in->verdict == GRIDLINE__VERDICT__VERDICT_UNSATISFIED) {
        in->action = APPEAL_FEEDBACK_BAD;
        in->reason_code = "unsatisfied";
        in->reason = "the resident is not satisfied";
    }
    return 0;
}

action_t *action_parse(const char *name, const char *body, size_t len, rules_error_t *err)
{
    memset(err, 0, sizeof *err);
    size_t a = 0;
    while (a < S_ACTIONS && strcmp(s_actions[a].name, name) != 0)
        a++;
    if (a == S_ACTIONS) {
        rules_fail(err, 404, "not_found", "action",
                   "no action '%.40s'; actions: acknowledge, resolve, feedback, escalate, "
                   "transfer",
                   name);
        return NULL;
    }
    json_t *root = jsonbody_load(body, len, err);
    if (!root)
        return NULL;
    action_t *self = calloc(1, sizeof *self);
    if (!self) {
        json_decref(root);
        rules_fail(err, 503, "unavailable", NULL, "out of memory");
        return NULL;
    }
    self->root = root;
    self->name = s_actions[a].name;
    lifecycle_input_t *in = &self->input;
    in->action = s_actions[a].action;
    if (s_known(root, a, err) != 0 ||
        jsonbody_string(root, "actor", true, 100, &in->actor, err) != 0 ||
        jsonbody_string(root, "note", false, 2000, &in->note, err) != 0)
        goto fail;
    for (const char *c = in->actor; *c; c++)
        if (iscntrl((unsigned char)*c)) {
            rules_fail(err, 400, "invalid", "actor", "actor must not contain control characters");
            goto fail;
        }
    switch (in->action) {
    case APPEAL_RESOLVE:
        if (jsonbody_string(root, "resolution", true, 2000, &in->resolution, err) != 0)
            goto fail;
        break;
    case APPEAL_FEEDBACK_GOOD:
        if (s_feedback(self, err) != 0)
            goto fail;
        break;
    case APPEAL_ESCALATE:
        if (jsonbody_string(root, "reason", true, 500, &in->reason, err) != 0)
            goto fail;
        in->reason_code = "manual";
        break;
    case APPEAL_TRANSFER:
        if (jsonbody_string(root, "department", true, 64, &in->department, err) != 0 ||
            jsonbody_string(root, "reason", false, 500, &in->reason, err) != 0)
            goto fail;
        in->reason_code = "transfer";
        break;
    default:
        break;
    }
    return self;
fail:
    action_destroy(&self);
    return NULL;
}

void action_destroy(action_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    json_decref((*self_p)->root);
    free(*self_p);
    *self_p = NULL;
}

const lifecycle_input_t *action_input(const action_t *self)
{
    return &self->input;
}

const char *action_name(const action_t *self)
{
    return self->name;
}
