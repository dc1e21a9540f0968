/* routing: category -> department -> the longest matching directory prefix, else the grid
 * worker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "router/routing.h"

static const char s_yaml[] =
    "directory:\n"
    "  - {department: heating, region: \"15\", assignee: province-heating}\n"
    "  - {department: heating, region: \"150123\", assignee: county-heating}\n"
    "  - {department: heating, region: \"150123100\", assignee: town-heating}\n"
    "  - {department: water-supply, region: \"150203\", assignee: baotou-water}\n";

static int s_setup(void **state)
{
    config_t *cfg = config_new();
    if (!cfg || config_load_string(cfg, s_yaml, "test") != 0)
        return -1;
    *state = cfg;
    return 0;
}

static int s_teardown(void **state)
{
    config_t *cfg = *state;
    config_destroy(&cfg);
    return 0;
}

static void test_longest_prefix_wins(void **state)
{
    routing_decision_t d;
    assert_int_equal(routing_decide(*state, "heating", "150123100001", &d), 0);
    assert_string_equal(d.department, "heating");
    assert_string_equal(d.assignee, "town-heating");
    assert_int_equal(routing_decide(*state, "heating", "150123200001", &d), 0);
    assert_string_equal(d.assignee, "county-heating");
    assert_int_equal(routing_decide(*state, "heating", "150203001001", &d), 0);
    assert_string_equal(d.assignee, "province-heating");
}

static void test_no_entry_means_the_grid_worker(void **state)
{
    routing_decision_t d;
    assert_int_equal(routing_decide(*state, "water", "15012310000102", &d), 0);
    assert_string_equal(d.department, "water-supply");
    assert_string_equal(d.assignee, "grid-worker:15012310000102");
}

static void test_department_must_match(void **state)
{
    routing_decision_t d;
    assert_int_equal(routing_decide(*state, "water", "150203001001", &d), 0);
    assert_string_equal(d.assignee, "baotou-water");
    assert_int_equal(routing_decide(*state, "power", "150203001001", &d), 0);
    assert_string_equal(d.assignee, "grid-worker:150203001001");
}

static void test_unknown_category(void **state)
{
    routing_decision_t d;
    assert_int_equal(routing_decide(*state, "weather", "150203001001", &d), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_longest_prefix_wins),
        cmocka_unit_test(test_no_entry_means_the_grid_worker),
        cmocka_unit_test(test_department_must_match),
        cmocka_unit_test(test_unknown_category),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
