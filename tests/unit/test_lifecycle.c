/* lifecycle: each action's new status, level, owner and clocks, and the refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "config_fixture.h"
#include "event.h"
#include "lifecycle.h"

#define NOW 1795536000000LL

static const char s_yaml[] =
    "ladder:\n"
    "  green: {ack: 10s, resolve: 100s}\n"
    "  blue: {ack: 20s, resolve: 200s}\n"
    "  red: {ack: 40s, resolve: 400s, remind: 50s}\n"
    "directory:\n"
    "  - {department: \"*\", level: blue, region: \"150123\", assignee: village-branch}\n"
    "  - {department: heating, level: green, region: \"150123\", assignee: heat-crew}\n";

static int s_setup(void **state)
{
    return config_fixture_load(state, s_yaml);
}

static appeal_state_t s_state(appeal_status_t status, Gridline__Level level)
{
    appeal_state_t st = {.seq = 4, .status = status, .level = level};
    snprintf(st.id, sizeof st.id, "150123-20261125-000001");
    snprintf(st.region, sizeof st.region, "150123100001");
    snprintf(st.channel, sizeof st.channel, "hotline");
    snprintf(st.category, sizeof st.category, "heating");
    snprintf(st.department, sizeof st.department, "heating");
    snprintf(st.assignee, sizeof st.assignee, "heat-crew");
    st.ack_deadline_ms = NOW - 1;
    st.resolve_deadline_ms = NOW + 5000;
    return st;
}

static lifecycle_result_t s_decide(void **state, const appeal_state_t *st, appeal_action_t action,
                                   lifecycle_step_t *out)
{
    lifecycle_input_t in = {.action = action, .actor = "tester", .reason = "why"};
    return lifecycle_decide(*state, NULL, st, &in, NOW, out);
}

static void test_assign(void **state)
{
    appeal_state_t st = s_state(APPEAL_COLLECTED, GRIDLINE__LEVEL__LEVEL_UNSET);
    st.seq = 1;
    lifecycle_step_t s;
    assert_int_equal(s_decide(state, &st, APPEAL_ASSIGN, &s), LIFECYCLE_OK);
    assert_int_equal(s.status, APPEAL_ASSIGNED);
    assert_int_equal(s.level, GRIDLINE__LEVEL__LEVEL_GREEN);
    assert_string_equal(s.assignee, "heat-crew");
    assert_int_equal(s.change.ack_due, NOW + 10000);
    assert_int_equal(s.change.resolve_due, NOW + 100000);
    assert_int_equal(s.change.supervise, APPEAL_CLOCK_KEEP); /* not red: never on the list */
    Gridline__Event *e = event_unpack(s.event, s.event_len);
    assert_non_null(e);
    assert_int_equal(e->seq, 2);
    assert_int_equal(e->type, GRIDLINE__EVENT_TYPE__EVENT_ASSIGNED);
    assert_int_equal(e->ack_deadline_ms, NOW + 10000);
    event_free(&e);
    lifecycle_step_fini(&s);
}

static void test_acknowledge_and_resolve(void **state)
{
    appeal_state_t st = s_state(APPEAL_ASSIGNED, GRIDLINE__LEVEL__LEVEL_GREEN);
    lifecycle_step_t s;
    assert_int_equal(s_decide(state, &st, APPEAL_ACKNOWLEDGE, &s), LIFECYCLE_OK);
    assert_int_equal(s.status, APPEAL_ACKNOWLEDGED);
    assert_int_equal(s.change.ack_due, APPEAL_CLOCK_REMOVE);
    assert_int_equal(s.change.resolve_due, APPEAL_CLOCK_KEEP);
    assert_int_equal(s.resolve_deadline_ms, NOW + 5000);
    lifecycle_step_fini(&s);
    st.status = APPEAL_ACKNOWLEDGED;
    assert_int_equal(s_decide(state, &st, APPEAL_ACKNOWLEDGE, &s), LIFECYCLE_INVALID_STATE);
    assert_int_equal(s_decide(state, &st, APPEAL_RESOLVE, &s), LIFECYCLE_OK);
    assert_int_equal(s.status, APPEAL_RESOLVED);
    assert_int_equal(s.change.ack_due, APPEAL_CLOCK_REMOVE);
    /* the resolve clock now waits for the call-back: callback.close_after (7d) */
    assert_int_equal(s.change.resolve_due, NOW + 7LL * 86400000);
    assert_int_equal(s.resolve_deadline_ms, 0);
    assert_int_equal(s.change.supervise, APPEAL_CLOCK_REMOVE);
    lifecycle_step_fini(&s);
}

static void test_escalate_and_reopen(void **state)
{
    appeal_state_t st = s_state(APPEAL_ASSIGNED, GRIDLINE__LEVEL__LEVEL_GREEN);
    lifecycle_step_t s;
    assert_int_equal(s_decide(state, &st, APPEAL_ESCALATE, &s), LIFECYCLE_OK);
    assert_int_equal(s.level, GRIDLINE__LEVEL__LEVEL_BLUE);
    assert_string_equal(s.assignee, "village-branch");
    assert_int_equal(s.change.ack_due, NOW + 20000);
    assert_int_equal(s.change.resolve_due, NOW + 200000);
    lifecycle_step_fini(&s);
    /* unsatisfied feedback at red: stays red, new clocks, on the supervision list */
    st = s_state(APPEAL_RESOLVED, GRIDLINE__LEVEL__LEVEL_RED);
    assert_int_equal(s_decide(state, &st, APPEAL_FEEDBACK_BAD, &s), LIFECYCLE_OK);
    assert_int_equal(s.status, APPEAL_REOPENED);
    assert_int_equal(s.level, GRIDLINE__LEVEL__LEVEL_RED);
    assert_string_equal(s.assignee, "county:150123");
    assert_int_equal(s.change.supervise, NOW + 400000);
    lifecycle_step_fini(&s);
    /* escalate at red, and before assignment */
    st = s_state(APPEAL_ASSIGNED, GRIDLINE__LEVEL__LEVEL_RED);
    assert_int_equal(s_decide(state, &st, APPEAL_ESCALATE, &s), LIFECYCLE_INVALID_STATE);
    st = s_state(APPEAL_COLLECTED, GRIDLINE__LEVEL__LEVEL_UNSET);
    assert_int_equal(s_decide(state, &st, APPEAL_ESCALATE, &s), LIFECYCLE_NOT_ASSIGNED);
}

static void test_transfer_and_remind(void **state)
{
    appeal_state_t st = s_state(APPEAL_ACKNOWLEDGED, GRIDLINE__LEVEL__LEVEL_GREEN);
    lifecycle_step_t s;
    lifecycle_input_t in = {.action = APPEAL_TRANSFER, .actor = "t", .department = "water"};
    assert_int_equal(lifecycle_decide(*state, NULL, &st, &in, NOW, &s), LIFECYCLE_OK);
    assert_int_equal(s.status, APPEAL_ASSIGNED);
    assert_string_equal(s.department, "water-supply");
    assert_string_equal(s.assignee, "grid-worker:150123100001");
    assert_int_equal(s.change.ack_due, NOW + 10000);           /* restarts */
    assert_int_equal(s.change.resolve_due, APPEAL_CLOCK_KEEP); /* runs on */
    lifecycle_step_fini(&s);
    in.department = "weather";
    assert_int_equal(lifecycle_decide(*state, NULL, &st, &in, NOW, &s),
                     LIFECYCLE_UNKNOWN_DEPARTMENT);
    /* a missed clock at red reminds: the resolve clock fires again after ladder.red.remind */
    st = s_state(APPEAL_ASSIGNED, GRIDLINE__LEVEL__LEVEL_RED);
    assert_int_equal(s_decide(state, &st, APPEAL_REMIND, &s), LIFECYCLE_OK);
    assert_int_equal(s.status, APPEAL_ASSIGNED);
    assert_int_equal(s.change.ack_due, APPEAL_CLOCK_REMOVE);
    assert_int_equal(s.change.resolve_due, NOW + 50000);
    Gridline__Event *e = event_unpack(s.event, s.event_len);
    assert_int_equal(e->type, GRIDLINE__EVENT_TYPE__EVENT_REMINDED);
    assert_int_equal(e->deadline_ms, NOW + 50000);
    assert_int_equal(e->ack_deadline_ms, 0);
    assert_int_equal(s.resolve_deadline_ms, NOW + 5000);
    assert_int_equal(lifecycle_status_after(e), -1);
    event_free(&e);
    lifecycle_step_fini(&s);
}

/* the work-order steps (issue 11) */
static void test_sign_return_arbitrate(void **state)
{
    appeal_state_t st = s_state(APPEAL_ASSIGNED, GRIDLINE__LEVEL__LEVEL_GREEN);
    st.first_ack_deadline_ms = NOW + 1;
    lifecycle_step_t s;
    assert_int_equal(s_decide(state, &st, APPEAL_SIGN, &s), LIFECYCLE_OK);
    assert_int_equal(s.status, APPEAL_SIGNED);
    assert_int_equal(s.change.ack_due, APPEAL_CLOCK_REMOVE);
    Gridline__Event *e = event_unpack(s.event, s.event_len);
    assert_int_equal(e->type, GRIDLINE__EVENT_TYPE__EVENT_SIGNED);
    assert_true(e->on_time); /* the response for the response rate */
    event_free(&e);
    lifecycle_step_fini(&s);

    st.status = APPEAL_SIGNED;
    assert_int_equal(s_decide(state, &st, APPEAL_RETURN, &s), LIFECYCLE_OK);
    assert_int_equal(s.status, APPEAL_RETURNED);
    assert_string_equal(s.assignee, "dispatcher:green");
    assert_int_equal(s.change.resolve_due, APPEAL_CLOCK_KEEP); /* runs on */
    lifecycle_step_fini(&s);

    st.status = APPEAL_RETURNED;
    assert_int_equal(s_decide(state, &st, APPEAL_ACKNOWLEDGE, &s), LIFECYCLE_INVALID_STATE);
    assert_int_equal(s_decide(state, &st, APPEAL_ARBITRATE, &s), LIFECYCLE_OK);
    assert_int_equal(s.status, APPEAL_ASSIGNED);
    assert_string_equal(s.department, "heating"); /* the returning unit */
    lifecycle_step_fini(&s);

    /* bound by the ruling: its return is refused */
    st.status = APPEAL_ASSIGNED;
    snprintf(st.arbitrated, sizeof st.arbitrated, "heating");
    assert_int_equal(s_decide(state, &st, APPEAL_RETURN, &s), LIFECYCLE_INVALID_STATE);
}

static void test_returned_too_often_and_urged_climb(void **state)
{
    appeal_state_t st = s_state(APPEAL_ASSIGNED, GRIDLINE__LEVEL__LEVEL_GREEN);
    lifecycle_step_t s;
    st.returns = 2; /* workorder.max_returns 2: the third climbs */
    assert_int_equal(s_decide(state, &st, APPEAL_RETURN, &s), LIFECYCLE_OK);
    assert_int_equal(s.status, APPEAL_ASSIGNED);
    assert_int_equal(s.level, GRIDLINE__LEVEL__LEVEL_BLUE);
    Gridline__Event *e = event_unpack(s.event, s.event_len);
    assert_int_equal(e->type, GRIDLINE__EVENT_TYPE__EVENT_ESCALATED);
    assert_string_equal(e->reason_code, "returned_too_often");
    event_free(&e);
    lifecycle_step_fini(&s);

    st.returns = 0;
    st.urges = 1; /* the second urge: urged, unchanged */
    assert_int_equal(s_decide(state, &st, APPEAL_URGE, &s), LIFECYCLE_OK);
    assert_int_equal(s.level, GRIDLINE__LEVEL__LEVEL_GREEN);
    lifecycle_step_fini(&s);
    st.urges = 2; /* the third (workorder.urge_escalate_after 3): climbs */
    assert_int_equal(s_decide(state, &st, APPEAL_URGE, &s), LIFECYCLE_OK);
    assert_int_equal(s.level, GRIDLINE__LEVEL__LEVEL_BLUE);
    e = event_unpack(s.event, s.event_len);
    assert_string_equal(e->reason_code, "urged");
    event_free(&e);
    lifecycle_step_fini(&s);
}

static void test_extensions_and_invalid(void **state)
{
    appeal_state_t st = s_state(APPEAL_ASSIGNED, GRIDLINE__LEVEL__LEVEL_GREEN);
    lifecycle_step_t s;
    assert_int_equal(s_decide(state, &st, APPEAL_GRANT_EXTENSION, &s), LIFECYCLE_INVALID_STATE);
    st.extension_until_ms = NOW + 86400000;
    assert_int_equal(s_decide(state, &st, APPEAL_GRANT_EXTENSION, &s), LIFECYCLE_OK);
    assert_int_equal(s.status, APPEAL_ASSIGNED);
    assert_int_equal(s.resolve_deadline_ms, NOW + 86400000);
    assert_int_equal(s.change.resolve_due, NOW + 86400000);
    lifecycle_step_fini(&s);
    assert_int_equal(s_decide(state, &st, APPEAL_INVALIDATE, &s), LIFECYCLE_OK);
    assert_int_equal(s.status, APPEAL_INVALID);
    assert_int_equal(s.change.ack_due, APPEAL_CLOCK_REMOVE);
    assert_int_equal(s.change.resolve_due, APPEAL_CLOCK_REMOVE);
    lifecycle_step_fini(&s);
    st.status = APPEAL_INVALID;
    assert_int_equal(s_decide(state, &st, APPEAL_URGE, &s), LIFECYCLE_INVALID_STATE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_assign),
        cmocka_unit_test(test_acknowledge_and_resolve),
        cmocka_unit_test(test_escalate_and_reopen),
        cmocka_unit_test(test_transfer_and_remind),
        cmocka_unit_test(test_sign_return_arbitrate),
        cmocka_unit_test(test_returned_too_often_and_urged_climb),
        cmocka_unit_test(test_extensions_and_invalid),
    };
    return cmocka_run_group_tests(tests, s_setup, config_fixture_teardown);
}
