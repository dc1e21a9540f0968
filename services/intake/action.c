#include "action.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
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
    const char *fields[5];
} s_actions[] = {
    {"acknowledge", APPEAL_ACKNOWLEDGE, {NULL}},
    {"resolve", APPEAL_RESOLVE, {"resolution", NULL}},
    {"feedback", APPEAL_FEEDBACK_GOOD, {"verdict", "satisfied", "solved", "comment", "channel"}},
    {"escalate", APPEAL_ESCALATE, {"reason", NULL}},
    {"transfer", APPEAL_TRANSFER, {"department", "reason", NULL}},
    {"sign", APPEAL_SIGN, {"complex", NULL}},
    {"return", APPEAL_RETURN, {"reason", NULL}},
    {"reassign", APPEAL_REASSIGN, {"department", "complex", NULL}},
    {"arbitrate", APPEAL_ARBITRATE, {"department", NULL}},
    {"request_extension", APPEAL_REQUEST_EXTENSION, {"reason", "until", NULL}},
    {"grant_extension", APPEAL_GRANT_EXTENSION, {"until", NULL}},
    {"refuse_extension", APPEAL_REFUSE_EXTENSION, {"reason", NULL}},
    {"urge", APPEAL_URGE, {NULL}},
    {"invalidate", APPEAL_INVALIDATE, {"reason", NULL}},
};
#define S_ACTIONS (sizeof s_actions / sizeof s_actions[0])

static int s_known(json_t *root, size_t a, rules_error_t *err)
{
    const char *known[7] = {"actor", "note"};
    size_t n = 2;
    for (size_t i = 0; i < 5 && s_actions[a].fields[i]; i++)
        known[n++] = s_actions[a].fields[i];
    return jsonbody_known(root, known, n, err);
}

/* complex: true/false (optional): a complex order (workorder.complex_resolve). */
static int s_complex(json_t *root, lifecycle_input_t *in, rules_error_t *err)
{
    int complex = -1;
    if (jsonbody_bool(root, "complex", &complex, err) != 0)
        return -1;
    in->complex = complex > 0;
    return 0;
}

/* A code from a closed list, required. */
static int s_code(json_t *root, const char *field, const char *const *codes, const char **out,
                  rules_error_t *err)
{
    if (jsonbody_string(root, field, true, 40, out, err) != 0)
        return -1;
    for (size_t i = 0; codes[i]; i++)
        if (strcmp(codes[i], *out) == 0)
            return 0;
    char list[200] = "";
    size_t used = 0;
    for (size_t i = 0; codes[i]; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", codes[i]);
    rules_fail(err, 400, "invalid", field, "%s must be one of %s", field, list);
    return -1;
}

/* until: a local date (the end of that day: 24:00 local) or an RFC 3339 time, in the future. */
static int s_until(json_t *root, bool required, int64_t *until, rules_error_t *err)
{
    const char *text = NULL;
    if (jsonbody_string(root, "until", required, 40, &text, err) != 0)
        return -1;
    if (!text)
        return 0;
    int y, m, d, used = 0;
    if (strlen(text) == 10 && sscanf(text, "%4d-%2d-%2d%n", &y, &m, &d, &used) == 3 && used == 10) {
        char iso[40];
        snprintf(iso, sizeof iso, "%sT00:00:00+00:00", text);
        int64_t ms;
        if (rules_parse_time(iso, &ms) != 0) {
            rules_fail(err, 400, "invalid", "until",
                       "until must be a date (2026-12-01) or an "
                       "RFC 3339 time");
            return -1;
        }
        *until = ms + 86400000LL - (int64_t)clock_tz_offset_min() * 60000;
    } else if (rules_time("until", text, until, err) != 0) {
        return -1;
    }
    if (*until <= clock_wall_ms()) {
        rules_fail(err, 400, "invalid", "until", "until must be in the future");
        return -1;
    }
    return 0;
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
        if (v < 0 || v == GRIDLINE__VERDICT__VERDICT_NO_FEEDBACK) { /* that one is time's */
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
    static const char *const channels[] = {"phone", "sms", NULL};
    if (json_object_get(self->root, "channel") &&
        s_code(self->root, "channel", channels, &in->feedback_channel, err) != 0)
        return -1;
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
                   "transfer, sign, return, reassign, arbitrate, request_extension, "
                   "grant_extension, refuse_extension, urge, invalidate",
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
    case APPEAL_RETURN: {
        static const char *const reasons[] = {"wrong_area", "unclear_ownership",
                                              "overlapping_duties", "other", NULL};
        if (s_code(root, "reason", reasons, &in->reason_code, err) != 0)
            goto fail;
        if (!in->note || !*in->note) { /* the explanation is required here */
            rules_fail(err, 400, "missing", "note", "a return needs its explanation in note");
            goto fail;
        }
        break;
    }
    case APPEAL_REASSIGN:
    case APPEAL_ARBITRATE:
        if (jsonbody_string(root, "department", in->action == APPEAL_REASSIGN, 64, &in->department,
                            err) != 0)
            goto fail;
        if (in->action == APPEAL_REASSIGN && s_complex(root, in, err) != 0)
            goto fail;
        break;
    case APPEAL_SIGN:
        if (s_complex(root, in, err) != 0)
            goto fail;
        break;
    case APPEAL_REQUEST_EXTENSION:
        if (jsonbody_string(root, "reason", true, 500, &in->reason, err) != 0 ||
            s_until(root, true, &in->until_ms, err) != 0)
            goto fail;
        break;
    case APPEAL_GRANT_EXTENSION:
        if (s_until(root, false, &in->until_ms, err) != 0)
            goto fail;
        break;
    case APPEAL_REFUSE_EXTENSION:
        if (jsonbody_string(root, "reason", false, 500, &in->reason, err) != 0)
            goto fail;
        break;
    case APPEAL_INVALIDATE: {
        static const char *const reasons[] = {"harassment", "duplicate", "out_of_scope",
                                              "test",       "other",     NULL};
        if (s_code(root, "reason", reasons, &in->reason_code, err) != 0)
            goto fail;
        break;
    }
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
