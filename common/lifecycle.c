#include "lifecycle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

/* A hash field of the step, its value a number kept in step->text. */
static void s_num(lifecycle_step_t *s, size_t *n, int *t, const char *field, int64_t value)
{
    snprintf(s->text[*t], sizeof s->text[*t], "%lld", (long long)value);
    s->fields[(*n)++] = field;
    s->fields[(*n)++] = s->text[(*t)++];
}

static void s_str(lifecycle_step_t *s, size_t *n, const char *field, const char *value)
{
    s->fields[(*n)++] = field;
    s->fields[(*n)++] = value ? value : "";
}

lifecycle_result_t lifecycle_decide(const config_t *config, const directory_t *directory,
                                    const appeal_state_t *st, const lifecycle_input_t *in,
                                    int64_t now, lifecycle_step_t *out)
{
    memset(out, 0, sizeof *out);
    appeal_action_t action = in->action;
    if (st->status == APPEAL_COLLECTED && action != APPEAL_ASSIGN)
        return LIFECYCLE_NOT_ASSIGNED;
    const char *reason_code = in->reason_code;
    /* a return past workorder.max_returns, or the N-th urge, climbs one level instead */
    if (action == APPEAL_RETURN && st->returns + 1 > config->workorder_max_returns &&
        st->level < GRIDLINE__LEVEL__LEVEL_RED &&
        !(*st->arbitrated && strcmp(st->arbitrated, st->department) == 0)) {
        action = APPEAL_ESCALATE;
        reason_code = "returned_too_often";
    }
    if (action == APPEAL_URGE && config->workorder_urge_escalate_after > 0 &&
        st->urges + 1 >= config->workorder_urge_escalate_after &&
        st->level < GRIDLINE__LEVEL__LEVEL_RED && appeal_status_open(st->status)) {
        action = APPEAL_ESCALATE;
        reason_code = "urged";
    }
    /* a unit bound by a ruling cannot return the order again */
    if (action == APPEAL_RETURN && *st->arbitrated && strcmp(st->arbitrated, st->department) == 0)
        return LIFECYCLE_INVALID_STATE;
    if ((action == APPEAL_GRANT_EXTENSION || action == APPEAL_REFUSE_EXTENSION) &&
        st->extension_until_ms <= 0)
        return LIFECYCLE_INVALID_STATE;
    appeal_status_t next;
    if (appeal_transition(st->status, st->level, action, &next) != 0)
        return LIFECYCLE_INVALID_STATE;

    out->status = next;
    out->level = st->level;
    snprintf(out->assignee, sizeof out->assignee, "%s", st->assignee);
    snprintf(out->department, sizeof out->department, "%s", st->department);
    out->ack_deadline_ms = st->ack_deadline_ms;
    out->resolve_deadline_ms = st->resolve_deadline_ms;
    int64_t ack = APPEAL_CLOCK_KEEP, resolve = APPEAL_CLOCK_KEEP, supervise = APPEAL_CLOCK_KEEP;
    bool new_owner = false, new_clocks = false;

    switch (action) {
    case APPEAL_ASSIGN: {
        out->level = in->level ? in->level : GRIDLINE__LEVEL__LEVEL_GREEN;
        const config_category_t *cat = config_category(config, st->category);
        /* intake checked the category against a configuration: a reload may have dropped
         * it since. Route to the general office rather than stall. */
        snprintf(out->department, sizeof out->department, "%s",
                 cat ? cat->department : "general-office");
        new_owner = new_clocks = true;
        break;
    }
    case APPEAL_ACKNOWLEDGE:
        ack = APPEAL_CLOCK_REMOVE;
        out->ack_deadline_ms = 0;
        break;
    case APPEAL_RESOLVE:
        ack = supervise = APPEAL_CLOCK_REMOVE;
        out->ack_deadline_ms = out->resolve_deadline_ms = 0;
        /* the resolve clock now waits for the call-back: past callback.close_after with no
         * feedback the router closes the order (no_feedback) */
        resolve = config->callback_close_after_ms > 0 ? now + config->callback_close_after_ms
                                                      : APPEAL_CLOCK_REMOVE;
        break;
    case APPEAL_FEEDBACK_GOOD:
    case APPEAL_CLOSE_NO_FEEDBACK:
        resolve = APPEAL_CLOCK_REMOVE;
        break;
    case APPEAL_FEEDBACK_BAD:
    case APPEAL_ESCALATE:
        out->level = appeal_level_next(st->level);
        new_owner = new_clocks = true;
        break;
    case APPEAL_TRANSFER:
    case APPEAL_REASSIGN:
    case APPEAL_ARBITRATE: {
        /* to another department at the same level (arbitrate: by default the returning unit's):
         * a new owner and acknowledge clock; the resolve clock runs on */
        const char *dept = in->department && *in->department
                               ? routing_department(config, in->department)
                           : action == APPEAL_ARBITRATE ? st->department
                                                        : NULL;
        if (!dept)
            return LIFECYCLE_UNKNOWN_DEPARTMENT;
        snprintf(out->department, sizeof out->department, "%s", dept);
        new_owner = true;
        routing_deadlines(config, st->category, out->level, now, &out->ack_deadline_ms, NULL);
        ack = out->ack_deadline_ms;
        break;
    }
    case APPEAL_REMIND:
        ack = APPEAL_CLOCK_REMOVE;
        out->ack_deadline_ms = 0;
        resolve = now + config->ladder_remind_ms;
        break;
    case APPEAL_SIGN: /* the sign-for is the response: the acknowledge clock stops */
        ack = APPEAL_CLOCK_REMOVE;
        out->ack_deadline_ms = 0;
        if (config->ladder_resolve_from_sign && st->resolve_deadline_ms <= 0) {
            /* the resolve clock was waiting for the sign-for */
            routing_deadlines(config, st->category, out->level, now, NULL,
                              &out->resolve_deadline_ms);
            resolve = out->resolve_deadline_ms;
            supervise = out->level >= GRIDLINE__LEVEL__LEVEL_RED ? resolve : APPEAL_CLOCK_KEEP;
        }
        break;
    case APPEAL_RETURN: /* to the level's dispatcher; the resolve clock runs on */
        ack = APPEAL_CLOCK_REMOVE;
        out->ack_deadline_ms = 0;
        snprintf(out->assignee, sizeof out->assignee, "dispatcher:%s",
                 appeal_level(st->level) ? appeal_level(st->level)->name : "green");
        break;
    case APPEAL_REQUEST_EXTENSION:
    case APPEAL_REFUSE_EXTENSION:
    case APPEAL_URGE:
    case APPEAL_WARN:
        break;
    case APPEAL_GRANT_EXTENSION: {
        int64_t until = in->until_ms > 0 ? in->until_ms : st->extension_until_ms;
        resolve = out->resolve_deadline_ms = until;
        if (st->level >= GRIDLINE__LEVEL__LEVEL_RED)
            supervise = until;
        break;
    }
    case APPEAL_INVALIDATE:
        ack = resolve = supervise = APPEAL_CLOCK_REMOVE;
        out->ack_deadline_ms = out->resolve_deadline_ms = 0;
        break;
    default:
        return LIFECYCLE_INVALID_STATE;
    }
    if (in->complex && (action == APPEAL_SIGN || action == APPEAL_REASSIGN)) {
        /* a dispatcher's judgement: the order gets a complex order's resolve clock from now */
        out->resolve_deadline_ms = routing_deadline_after(
            config, now, config->workorder_complex_ms[0], config->workorder_complex_wd[0]);
        resolve = out->resolve_deadline_ms;
        supervise = out->level >= GRIDLINE__LEVEL__LEVEL_RED ? resolve : APPEAL_CLOCK_KEEP;
    }
    if (new_owner)
        routing_owner(config, directory, out->department, out->level, st->region, out->assignee);
    if (new_clocks) {
        routing_deadlines(config, st->category, out->level, now, &out->ack_deadline_ms,
                          &out->resolve_deadline_ms);
        /* a level with a sign clock: the first clock is the sign-for's (the acknowledge
         * clock's member), and the resolve clock may wait for the sign-for */
        long sign_ms = config->ladder_sign_ms[out->level >= 1 && out->level <= 4 ? out->level : 1];
        if (sign_ms > 0) {
            out->ack_deadline_ms = now + sign_ms;
            if (config->ladder_resolve_from_sign)
                out->resolve_deadline_ms = 0;
        }
        ack = out->ack_deadline_ms;
        resolve = out->resolve_deadline_ms > 0 ? out->resolve_deadline_ms : APPEAL_CLOCK_REMOVE;
        /* on the list at red; below red it was never on it (levels only climb) */
        supervise =
            out->level >= GRIDLINE__LEVEL__LEVEL_RED ? out->resolve_deadline_ms : APPEAL_CLOCK_KEEP;
    }

    Gridline__Event e = GRIDLINE__EVENT__INIT;
    e.appeal_id = (char *)st->id;
    e.seq = out->seq = st->seq + 1;
    e.type = appeal_action_event(action);
    e.level = out->level;
    e.assignee = out->assignee;
    e.actor = (char *)(in->actor ? in->actor : "");
    e.token = (char *)(in->token ? in->token : "");
    e.at_ms = now;
    e.reason = (char *)(in->reason ? in->reason : "");
    e.reason_code = (char *)(reason_code ? reason_code : "");
    e.region = (char *)st->region;
    e.channel = (char *)st->channel;
    e.category = (char *)st->category;
    e.department = out->department;
    /* a reminder tells when the resolve clock fires next; the hash keeps the level's resolve
     * deadline (the supervision list's order, the on-time count) */
    e.deadline_ms = action == APPEAL_REMIND ? resolve : out->resolve_deadline_ms;
    e.ack_deadline_ms = out->ack_deadline_ms;
    e.note = (char *)(in->note ? in->note : "");
    e.resolution = (char *)(in->resolution ? in->resolution : "");
    e.comment = (char *)(in->comment ? in->comment : "");
    e.verdict =
        action == APPEAL_CLOSE_NO_FEEDBACK ? GRIDLINE__VERDICT__VERDICT_NO_FEEDBACK : in->verdict;
    e.feedback_channel = (char *)(in->feedback_channel ? in->feedback_channel : "");
    e.solved = in->solved;
    e.assigned_at_ms = action == APPEAL_ASSIGN ? now : st->assigned_at_ms;
    if (action == APPEAL_REQUEST_EXTENSION)
        e.until_ms = in->until_ms;
    if (action == APPEAL_GRANT_EXTENSION)
        e.until_ms = out->resolve_deadline_ms;
    if (action == APPEAL_SIGN) /* the response, for the response rate */
        e.on_time = st->first_ack_deadline_ms > 0 && now <= st->first_ack_deadline_ms;
    if (action == APPEAL_ACKNOWLEDGE)
        e.on_time = st->first_ack_deadline_ms > 0 && now <= st->first_ack_deadline_ms;
    if (action == APPEAL_RESOLVE)
        e.on_time = st->first_resolve_deadline_ms > 0 && now <= st->first_resolve_deadline_ms;
    e.satisfied = in->verdict == GRIDLINE__VERDICT__VERDICT_SATISFIED ||
                  in->verdict == GRIDLINE__VERDICT__VERDICT_BASICALLY_SATISFIED;
    out->event = event_pack(&e, &out->event_len);
    if (!out->event)
        return LIFECYCLE_NO_MEMORY;

    size_t n = 0;
    int t = 0;
    s_str(out, &n, APPEAL_F_STATUS, appeal_status_name(out->status));
    if (new_owner || out->level != st->level || action == APPEAL_RETURN) {
        s_str(out, &n, APPEAL_F_LEVEL, appeal_level(out->level)->name);
        s_str(out, &n, APPEAL_F_ASSIGNEE, out->assignee);
        s_str(out, &n, APPEAL_F_DEPARTMENT, out->department);
    }
    if (ack != APPEAL_CLOCK_KEEP)
        s_num(out, &n, &t, APPEAL_F_ACK_DEADLINE_MS, out->ack_deadline_ms);
    if (resolve != APPEAL_CLOCK_KEEP && action != APPEAL_REMIND)
        s_num(out, &n, &t, APPEAL_F_RESOLVE_DEADLINE_MS, out->resolve_deadline_ms);
    if (action == APPEAL_ASSIGN) {
        s_num(out, &n, &t, APPEAL_F_ASSIGNED_AT_MS, now);
        s_num(out, &n, &t, APPEAL_F_FIRST_ACK_DEADLINE_MS, out->ack_deadline_ms);
        s_num(out, &n, &t, APPEAL_F_FIRST_RESOLVE_DEADLINE_MS, out->resolve_deadline_ms);
    }
    if (action == APPEAL_ACKNOWLEDGE)
        s_num(out, &n, &t, APPEAL_F_ACKNOWLEDGED_AT_MS, now);
    if (action == APPEAL_RESOLVE) {
        s_num(out, &n, &t, APPEAL_F_RESOLVED_AT_MS, now);
        s_str(out, &n, APPEAL_F_RESOLUTION, in->resolution);
    }
    if (action == APPEAL_FEEDBACK_GOOD || action == APPEAL_FEEDBACK_BAD)
        s_str(out, &n, APPEAL_F_VERDICT, event_verdict_name(in->verdict));
    if (action == APPEAL_CLOSE_NO_FEEDBACK)
        s_str(out, &n, APPEAL_F_VERDICT, "no_feedback");
    if (in->action == APPEAL_RETURN) /* also the return that climbed instead */
        s_num(out, &n, &t, APPEAL_F_RETURNS, st->returns + 1);
    if (action == APPEAL_ARBITRATE)
        s_str(out, &n, APPEAL_F_ARBITRATED, out->department);
    if (action == APPEAL_REQUEST_EXTENSION)
        s_num(out, &n, &t, APPEAL_F_EXTENSION_UNTIL_MS, in->until_ms);
    if (action == APPEAL_GRANT_EXTENSION || action == APPEAL_REFUSE_EXTENSION)
        s_num(out, &n, &t, APPEAL_F_EXTENSION_UNTIL_MS, 0);
    if (in->action == APPEAL_URGE) /* also the urge that climbed instead */
        s_num(out, &n, &t, APPEAL_F_URGES, st->urges + 1);

    /* warnings (ladder.warn_before) before the clocks set now; a warning given is dropped */
    int64_t ack_warn = 0, resolve_warn = 0, before = config->ladder_warn_before_ms;
    if (before > 0 && ack > 0 && ack - before > now)
        ack_warn = ack - before;
    if (before > 0 && resolve > 0 && action != APPEAL_REMIND && action != APPEAL_RESOLVE &&
        resolve - before > now)
        resolve_warn = resolve - before;
    if (action == APPEAL_WARN) {
        bool on_ack = reason_code && strcmp(reason_code, "ack_due_soon") == 0;
        *(on_ack ? &ack_warn : &resolve_warn) = APPEAL_WARN_DROP;
    }
    out->change = (appeal_change_t){
        .id = st->id,
        .expected_seq = st->seq,
        .event = out->event,
        .event_len = out->event_len,
        .ack_due = ack,
        .resolve_due = resolve,
        .supervise = supervise,
        .ack_warn = ack_warn,
        .resolve_warn = resolve_warn,
        .fields = out->fields,
        .field_count = n,
    };
    return LIFECYCLE_OK;
}

void lifecycle_step_fini(lifecycle_step_t *step)
{
    if (!step)
        return;
    free(step->event);
    step->event = NULL;
}

int lifecycle_status_after(const Gridline__Event *e)
{
    switch (e->type) {
    case GRIDLINE__EVENT_TYPE__EVENT_COLLECTED:
        return APPEAL_COLLECTED;
    case GRIDLINE__EVENT_TYPE__EVENT_ASSIGNED:
    case GRIDLINE__EVENT_TYPE__EVENT_ESCALATED:
    case GRIDLINE__EVENT_TYPE__EVENT_TRANSFERRED:
        return APPEAL_ASSIGNED;
    case GRIDLINE__EVENT_TYPE__EVENT_ACKNOWLEDGED:
        return APPEAL_ACKNOWLEDGED;
    case GRIDLINE__EVENT_TYPE__EVENT_RESOLVED:
        return APPEAL_RESOLVED;
    case GRIDLINE__EVENT_TYPE__EVENT_CLOSED:
        return APPEAL_CLOSED;
    case GRIDLINE__EVENT_TYPE__EVENT_REOPENED:
        return APPEAL_REOPENED;
    case GRIDLINE__EVENT_TYPE__EVENT_SIGNED:
        return APPEAL_SIGNED;
    case GRIDLINE__EVENT_TYPE__EVENT_RETURNED:
        return APPEAL_RETURNED;
    case GRIDLINE__EVENT_TYPE__EVENT_REASSIGNED:
    case GRIDLINE__EVENT_TYPE__EVENT_ARBITRATED:
        return APPEAL_ASSIGNED;
    case GRIDLINE__EVENT_TYPE__EVENT_INVALIDATED:
        return APPEAL_INVALID;
    default:
        return -1;
    }
}
