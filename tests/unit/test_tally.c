/* tally: which counters one event touches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "clock.h"
#include "tally.h"

static bool s_has(const tally_t *t, const char *field)
{
    for (size_t i = 0; i < t->nfields; i++)
        if (strcmp(t->fields[i], field) == 0)
            return true;
    return false;
}

static bool s_slot_has(const tally_t *t, const char *field)
{
    for (size_t i = 0; i < t->nslot_fields; i++)
        if (strcmp(t->slot_fields[i], field) == 0)
            return true;
    return false;
}

static Gridline__Event s_event(Gridline__EventType type, const char *region)
{
    Gridline__Event e = GRIDLINE__EVENT__INIT;
    e.appeal_id = "150123-20261124-000001";
    e.seq = 3;
    e.type = type;
    e.region = (char *)region;
    e.channel = "hotline";
    e.category = "heating";
    e.at_ms = 1795510800000LL; /* 2026-11-24 17:00 +08:00 */
    return e;
}

static void test_collected_counts_channel_category_event_at_each_level(void **state)
{
    clock_set_tz_offset_min(480);
    Gridline__Event e = s_event(GRIDLINE__EVENT_TYPE__EVENT_COLLECTED, "150123100001");
    tally_t t;
    assert_int_equal(tally_event(&e, &t), 0);
    assert_int_equal(t.nregions, 3);
    assert_string_equal(t.regions[0], "150123");
    assert_string_equal(t.regions[1], "150123100");
    assert_string_equal(t.regions[2], "150123100001");
    assert_string_equal(t.day, "20261124");
    assert_string_equal(t.month, "202611");
    assert_int_equal(t.nfields, 3);
    assert_true(s_has(&t, "ch:hotline"));
    assert_true(s_has(&t, "cat:heating"));
    assert_true(s_has(&t, "ev:collected"));
    assert_string_equal(t.cohort_day, ""); /* not assigned yet */
    assert_null(t.slot);
}

static void test_assigned_counts_level_grid_and_cohort(void **state)
{
    Gridline__Event e = s_event(GRIDLINE__EVENT_TYPE__EVENT_ASSIGNED, "15012310000102");
    e.level = GRIDLINE__LEVEL__LEVEL_GREEN;
    e.assigned_at_ms = e.at_ms;
    tally_t t;
    assert_int_equal(tally_event(&e, &t), 0);
    assert_int_equal(t.nregions, 4);
    assert_string_equal(t.regions[3], "15012310000102");
    assert_true(s_has(&t, "lvl:green"));
    assert_true(s_has(&t, "ev:assigned"));
    assert_false(s_has(&t, "ev:collected"));
    assert_string_equal(t.cohort_day, "20261124");
    assert_string_equal(t.slot, "agg_asg");
    assert_int_equal(t.nslot_fields, 1);
    assert_string_equal(t.slot_fields[0], "r:assigned");
}

static void test_escalation_by_reason_and_level(void **state)
{
    Gridline__Event e = s_event(GRIDLINE__EVENT_TYPE__EVENT_ESCALATED, "150123100001");
    e.level = GRIDLINE__LEVEL__LEVEL_BLUE;
    e.reason_code = "ack_overdue";
    tally_t t;
    assert_int_equal(tally_event(&e, &t), 0);
    assert_true(s_has(&t, "esc:ack_overdue"));
    assert_true(s_has(&t, "escl:blue"));
    assert_true(s_has(&t, "lvl:blue"));
}

static void test_acknowledged_fills_its_slot_in_the_cohort_day(void **state)
{
    Gridline__Event e = s_event(GRIDLINE__EVENT_TYPE__EVENT_ACKNOWLEDGED, "150123100001");
    e.assigned_at_ms = e.at_ms - 86400000LL - 600000; /* the day before, 1 d 10 min ago */
    e.on_time = true;
    tally_t t;
    assert_int_equal(tally_event(&e, &t), 0);
    assert_string_equal(t.cohort_day, "20261123");
    assert_string_equal(t.slot, "agg_ack");
    assert_false(t.slot_latest);
    assert_int_equal(t.seq, 3);
    assert_true(s_slot_has(&t, "r:ack"));
    assert_true(s_slot_has(&t, "r:ack_on_time"));
    assert_true(s_slot_has(&t, "dack:172800"));
}

static void test_resolved_late_has_no_on_time(void **state)
{
    Gridline__Event e = s_event(GRIDLINE__EVENT_TYPE__EVENT_RESOLVED, "150123100001");
    e.assigned_at_ms = e.at_ms - 30 * 1000;
    tally_t t;
    assert_int_equal(tally_event(&e, &t), 0);
    assert_string_equal(t.slot, "agg_res");
    assert_true(s_slot_has(&t, "r:res"));
    assert_false(s_slot_has(&t, "r:res_on_time"));
    assert_true(s_slot_has(&t, "dres:60"));
}

static void test_feedback_latest_wins_and_solved_defaults(void **state)
{
    Gridline__Event e = s_event(GRIDLINE__EVENT_TYPE__EVENT_CLOSED, "150123100001");
    e.assigned_at_ms = e.at_ms;
    e.verdict = GRIDLINE__VERDICT__VERDICT_BASICALLY_SATISFIED;
    tally_t t;
    assert_int_equal(tally_event(&e, &t), 0);
    assert_string_equal(t.slot, "agg_fb");
    assert_true(t.slot_latest);
    assert_true(s_has(&t, "fb:basically_satisfied"));
    assert_true(s_slot_has(&t, "r:fb"));
    assert_true(s_slot_has(&t, "r:fb_sat"));
    assert_true(s_slot_has(&t, "r:fb_solved")); /* not given: not unsatisfied */

    e.type = GRIDLINE__EVENT_TYPE__EVENT_REOPENED;
    e.verdict = GRIDLINE__VERDICT__VERDICT_UNSATISFIED;
    assert_int_equal(tally_event(&e, &t), 0);
    assert_false(s_slot_has(&t, "r:fb_sat"));
    assert_false(s_slot_has(&t, "r:fb_solved"));

    e.solved = GRIDLINE__ANSWER__ANSWER_YES; /* unsatisfied, yet solved in the resident's words */
    assert_int_equal(tally_event(&e, &t), 0);
    assert_true(s_slot_has(&t, "r:fb_solved"));
}

static void test_buckets(void **state)
{
    assert_string_equal(tally_bucket(0), "60");
    assert_string_equal(tally_bucket(60), "60");
    assert_string_equal(tally_bucket(61), "300");
    assert_string_equal(tally_bucket(2592000), "2592000");
    assert_string_equal(tally_bucket(2592001), "inf");
}

static void test_bad_region_counts_nothing(void **state)
{
    Gridline__Event e = s_event(GRIDLINE__EVENT_TYPE__EVENT_COLLECTED, "150123");
    tally_t t;
    assert_int_equal(tally_event(&e, &t), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collected_counts_channel_category_event_at_each_level),
        cmocka_unit_test(test_assigned_counts_level_grid_and_cohort),
        cmocka_unit_test(test_escalation_by_reason_and_level),
        cmocka_unit_test(test_acknowledged_fills_its_slot_in_the_cohort_day),
        cmocka_unit_test(test_resolved_late_has_no_on_time),
        cmocka_unit_test(test_feedback_latest_wins_and_solved_defaults),
        cmocka_unit_test(test_buckets),
        cmocka_unit_test(test_bad_region_counts_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
