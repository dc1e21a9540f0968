/* tally: which counters one event touches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "aggregator/tally.h"
#include "clock.h"

static bool s_has(const tally_item_t *items, size_t n, const char *key, const char *field)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(items[i].key, key) == 0 && strcmp(items[i].field, field) == 0)
            return true;
    return false;
}

static Gridline__Event s_event(Gridline__EventType type, const char *region)
{
    Gridline__Event e = GRIDLINE__EVENT__INIT;
    e.appeal_id = "150123-20261124-000001";
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
    tally_item_t items[TALLY_MAX];
    size_t n = tally_event(&e, items, TALLY_MAX);
    assert_int_equal(n, 9); /* 3 levels x (ch, cat, ev) */
    assert_true(s_has(items, n, "stats:{150123}:20261124:150123", "ev:collected"));
    assert_true(s_has(items, n, "stats:{150123}:20261124:150123100", "ch:hotline"));
    assert_true(s_has(items, n, "stats:{150123}:20261124:150123100001", "cat:heating"));
    assert_true(s_has(items, n, "stats:{150123}:20261124:150123", "ev:collected"));
}

static void test_assigned_counts_level_and_grid(void **state)
{
    Gridline__Event e = s_event(GRIDLINE__EVENT_TYPE__EVENT_ASSIGNED, "15012310000102");
    e.level = GRIDLINE__LEVEL__LEVEL_GREEN;
    tally_item_t items[TALLY_MAX];
    size_t n = tally_event(&e, items, TALLY_MAX);
    assert_int_equal(n, 8); /* 4 levels x (lvl, ev) */
    assert_true(s_has(items, n, "stats:{150123}:20261124:15012310000102", "lvl:green"));
    assert_true(s_has(items, n, "stats:{150123}:20261124:150123", "ev:assigned"));
    assert_false(s_has(items, n, "stats:{150123}:20261124:150123", "ev:collected"));
}

static void test_bad_region_counts_nothing(void **state)
{
    Gridline__Event e = s_event(GRIDLINE__EVENT_TYPE__EVENT_COLLECTED, "150123");
    tally_item_t items[TALLY_MAX];
    assert_int_equal(tally_event(&e, items, TALLY_MAX), 0);
}

static void test_respects_max(void **state)
{
    Gridline__Event e = s_event(GRIDLINE__EVENT_TYPE__EVENT_COLLECTED, "15012310000102");
    tally_item_t items[5];
    assert_int_equal(tally_event(&e, items, 5), 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collected_counts_channel_category_event_at_each_level),
        cmocka_unit_test(test_assigned_counts_level_and_grid),
        cmocka_unit_test(test_bad_region_counts_nothing),
        cmocka_unit_test(test_respects_max),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
