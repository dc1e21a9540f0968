/* appeal: the ladder table, the statuses and the transitions every writer consults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "appeal.h"
#include "config.h"

static void test_ladder(void **state)
{
    const appeal_level_t *green = appeal_level(GRIDLINE__LEVEL__LEVEL_GREEN);
    assert_string_equal(green->name, "green");
    assert_string_equal(green->label, "绿");
    assert_string_equal(appeal_level(GRIDLINE__LEVEL__LEVEL_RED)->label, "红");
    assert_null(appeal_level(GRIDLINE__LEVEL__LEVEL_UNSET));
    assert_int_equal(appeal_level_parse("yellow"), GRIDLINE__LEVEL__LEVEL_YELLOW);
    assert_int_equal(appeal_level_parse("purple"), GRIDLINE__LEVEL__LEVEL_UNSET);
    assert_int_equal(appeal_level_next(GRIDLINE__LEVEL__LEVEL_GREEN), GRIDLINE__LEVEL__LEVEL_BLUE);
    assert_int_equal(appeal_level_next(GRIDLINE__LEVEL__LEVEL_RED), GRIDLINE__LEVEL__LEVEL_RED);
}

static void test_statuses(void **state)
{
    for (int s = 0; s < APPEAL_STATUS_COUNT; s++)
        assert_int_equal(appeal_status_parse(appeal_status_name(s)), s);
    assert_int_equal(appeal_status_parse("lost"), -1);
    assert_true(appeal_status_open(APPEAL_ASSIGNED));
    assert_true(appeal_status_open(APPEAL_REOPENED));
    assert_false(appeal_status_open(APPEAL_COLLECTED));
    assert_false(appeal_status_open(APPEAL_CLOSED));
    assert_int_equal(appeal_action_parse("escalate"), APPEAL_ESCALATE);
    assert_int_equal(appeal_action_parse("fly"), -1);
}

static void test_transitions(void **state)
{
    appeal_status_t next;
    const Gridline__Level green = GRIDLINE__LEVEL__LEVEL_GREEN, red = GRIDLINE__LEVEL__LEVEL_RED;
    assert_int_equal(appeal_transition(APPEAL_COLLECTED, green, APPEAL_ASSIGN, &next), 0);
    assert_int_equal(next, APPEAL_ASSIGNED);
    assert_int_equal(appeal_transition(APPEAL_ASSIGNED, green, APPEAL_ACKNOWLEDGE, &next), 0);
    assert_int_equal(next, APPEAL_ACKNOWLEDGED);
    assert_int_equal(appeal_transition(APPEAL_ACKNOWLEDGED, green, APPEAL_RESOLVE, &next), 0);
    assert_int_equal(next, APPEAL_RESOLVED);
    assert_int_equal(appeal_transition(APPEAL_RESOLVED, green, APPEAL_FEEDBACK_BAD, &next), 0);
    assert_int_equal(next, APPEAL_REOPENED);
    assert_int_equal(appeal_transition(APPEAL_RESOLVED, green, APPEAL_FEEDBACK_GOOD, &next), 0);
    assert_int_equal(next, APPEAL_CLOSED);
    /* not allowed: acknowledge before assignment, anything after closing, escalate at red */
    assert_int_equal(appeal_transition(APPEAL_COLLECTED, green, APPEAL_ACKNOWLEDGE, &next), -1);
    assert_int_equal(appeal_transition(APPEAL_CLOSED, green, APPEAL_RESOLVE, &next), -1);
    assert_int_equal(appeal_transition(APPEAL_ASSIGNED, red, APPEAL_ESCALATE, &next), -1);
    assert_int_equal(appeal_transition(APPEAL_ASSIGNED, green, APPEAL_ESCALATE, &next), 0);
    assert_int_equal(appeal_action_event(APPEAL_ESCALATE), GRIDLINE__EVENT_TYPE__EVENT_ESCALATED);
    assert_true(appeal_field_is_integer(APPEAL_F_RESOLVE_DEADLINE_MS));
    /* remind only at red, and it keeps the status */
    assert_int_equal(appeal_transition(APPEAL_ASSIGNED, green, APPEAL_REMIND, &next), -1);
    assert_int_equal(appeal_transition(APPEAL_ACKNOWLEDGED, red, APPEAL_REMIND, &next), 0);
    assert_int_equal(next, APPEAL_ACKNOWLEDGED);
    assert_int_equal(appeal_action_event(APPEAL_TRANSFER), GRIDLINE__EVENT_TYPE__EVENT_TRANSFERRED);
    assert_int_equal(appeal_action_event(APPEAL_FEEDBACK_GOOD), GRIDLINE__EVENT_TYPE__EVENT_CLOSED);
    assert_false(appeal_field_is_integer(APPEAL_F_ASSIGNEE));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ladder),
        cmocka_unit_test(test_statuses),
        cmocka_unit_test(test_transitions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
