/* routing: rules choose the category and the starting level; the directory's longest prefix
 * for (department, level), then ("*", level), else the level's own unit; the ladder's clocks
 * and a category's own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "config_fixture.h"
#include "routing.h"

static const char s_yaml[] =
    "categories:\n"
    "  - {name: heating, department: heating, label: 供暖}\n"
    "  - {name: water, department: water-supply}\n"
    "  - {name: power, department: power-supply}\n"
    "  - {name: land, department: natural-resources}\n"
    "  - {name: fire, department: fire-rescue, ack: 5m, resolve: 2h}\n"
    "  - {name: other, department: general-office}\n"
    "rules:\n"
    "  - {keywords: \"停电|断电\", category: power}\n"
    "  - {channel: camera, keywords: \"火\", category: fire, level: yellow}\n"
    "  - {region: \"150203\", keywords: \"暖气\", category: heating, level: blue}\n"
    "  - {keywords: \"草场|边界\", category: land}\n"
    "directory:\n"
    "  - {department: heating, region: \"15\", assignee: province-heating}\n"
    "  - {department: heating, region: \"150123\", assignee: county-heating}\n"
    "  - {department: heating, region: \"150123100\", assignee: town-heating}\n"
    "  - {department: heating, level: blue, region: \"150123\", assignee: county-heating-blue}\n"
    "  - {department: \"*\", level: yellow, region: \"150123100\", assignee: 城关镇党委}\n"
    "  - {department: water-supply, region: \"150203\", assignee: baotou-water}\n"
    "ladder:\n"
    "  green: {ack: 90s, resolve: 1d}\n";

static int s_setup(void **state)
{
    return config_fixture_load(state, s_yaml);
}

static const char *s_owner(void **state, const char *dept, Gridline__Level level,
                           const char *region)
{
    static char out[ROUTING_ASSIGNEE_MAX];
    routing_owner(*state, NULL, dept, level, region, out);
    return out;
}

static void test_longest_prefix_wins(void **state)
{
    const Gridline__Level green = GRIDLINE__LEVEL__LEVEL_GREEN;
    assert_string_equal(s_owner(state, "heating", green, "150123100001"), "town-heating");
    assert_string_equal(s_owner(state, "heating", green, "150123200001"), "county-heating");
    assert_string_equal(s_owner(state, "heating", green, "150203001001"), "province-heating");
}

static void test_level_and_star(void **state)
{
    /* blue has its own entry; yellow only a "*" one; red none */
    assert_string_equal(s_owner(state, "heating", GRIDLINE__LEVEL__LEVEL_BLUE, "150123100001"),
                        "county-heating-blue");
    assert_string_equal(s_owner(state, "heating", GRIDLINE__LEVEL__LEVEL_YELLOW, "150123100001"),
                        "城关镇党委");
    assert_string_equal(
        s_owner(state, "water-supply", GRIDLINE__LEVEL__LEVEL_YELLOW, "150123100001"),
        "城关镇党委");
    assert_string_equal(s_owner(state, "heating", GRIDLINE__LEVEL__LEVEL_RED, "150123100001"),
                        "county:150123");
}

static void test_fallback_units(void **state)
{
    assert_string_equal(
        s_owner(state, "water-supply", GRIDLINE__LEVEL__LEVEL_GREEN, "15012320000102"),
        "grid-worker:15012320000102");
    assert_string_equal(
        s_owner(state, "water-supply", GRIDLINE__LEVEL__LEVEL_BLUE, "15012320000102"),
        "village:150123200001");
    assert_string_equal(
        s_owner(state, "water-supply", GRIDLINE__LEVEL__LEVEL_YELLOW, "150123200001"),
        "township:150123200");
    assert_string_equal(s_owner(state, "power-supply", GRIDLINE__LEVEL__LEVEL_RED, "150203001001"),
                        "county:150203");
}

static void test_department_must_match(void **state)
{
    const Gridline__Level green = GRIDLINE__LEVEL__LEVEL_GREEN;
    assert_string_equal(s_owner(state, "water-supply", green, "150203001001"), "baotou-water");
    assert_string_equal(s_owner(state, "power-supply", green, "150203001001"),
                        "grid-worker:150203001001");
}

static void test_rules(void **state)
{
    routing_class_t c;
    /* keyword in the description; the first matching rule wins */
    routing_classify(*state, "家里没电", "昨晚开始停电", "hotline", "150123100001", "other", &c);
    assert_string_equal(c.category, "power");
    assert_int_equal(c.level, GRIDLINE__LEVEL__LEVEL_GREEN);
    assert_int_equal(c.rule, 0);
    /* channel: a camera's fire starts yellow; the same words by phone are not a camera's */
    routing_classify(*state, "火情", "仓库起火", "camera", "150123100001", "other", &c);
    assert_string_equal(c.category, "fire");
    assert_int_equal(c.level, GRIDLINE__LEVEL__LEVEL_YELLOW);
    routing_classify(*state, "火情", "仓库起火", "hotline", "150123100001", "other", &c);
    assert_string_equal(c.category, "other");
    assert_int_equal(c.rule, -1);
    /* region prefix */
    routing_classify(*state, "暖气不热", "", "web", "150203001001", "other", &c);
    assert_string_equal(c.category, "heating");
    assert_int_equal(c.level, GRIDLINE__LEVEL__LEVEL_BLUE);
    routing_classify(*state, "暖气不热", "", "web", "150123100001", "other", &c);
    assert_string_equal(c.category, "other");
    /* keywords in the title */
    routing_classify(*state, "草场边界纠纷", "两户争执", "visit", "150123100001", "other", &c);
    assert_string_equal(c.category, "land");
}

static void test_departments_and_clocks(void **state)
{
    assert_string_equal(routing_department(*state, "water-supply"), "water-supply");
    assert_string_equal(routing_department(*state, "water"), "water-supply");
    assert_null(routing_department(*state, "weather"));
    const int64_t now = 1770000000000LL;
    int64_t ack, resolve;
    routing_deadlines(*state, "heating", GRIDLINE__LEVEL__LEVEL_GREEN, now, &ack, &resolve);
    assert_int_equal(ack - now, 90000);
    assert_int_equal(resolve - now, 86400000);
    routing_deadlines(*state, "heating", GRIDLINE__LEVEL__LEVEL_BLUE, now, &ack, NULL);
    assert_int_equal(ack - now, 2 * 3600000);
    routing_deadlines(*state, "fire", GRIDLINE__LEVEL__LEVEL_RED, now, &ack, &resolve);
    assert_int_equal(ack - now, 5 * 60000);
    assert_int_equal(resolve - now, 2 * 3600000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_longest_prefix_wins),
        cmocka_unit_test(test_level_and_star),
        cmocka_unit_test(test_fallback_units),
        cmocka_unit_test(test_department_must_match),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_departments_and_clocks),
    };
    return cmocka_run_group_tests(tests, s_setup, config_fixture_teardown);
}
