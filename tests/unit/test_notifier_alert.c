/* alert: who is alerted for which event, and what the JSON says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "config.h"
#include "notifier/alert.h"
#include "region.h"

typedef struct {
    config_t *config;
    region_table_t *regions;
} s_fixture_t;

static int s_setup(void **state)
{
    static s_fixture_t f;
    char err[256];
    f.config = config_new();
    f.regions = region_table_load("data/regions-nmg.csv", err, sizeof err);
    if (!f.config || !f.regions ||
        config_load_string(f.config,
                           "subscriptions:\n"
                           "  - {name: all, region: \"\", url: \"http://127.0.0.1:9/a\"}\n"
                           "  - {name: hohhot, region: \"1501\", url: \"http://127.0.0.1:9/b\"}\n"
                           "  - {name: baotou, region: \"1502\", url: \"http://127.0.0.1:9/c\"}\n",
                           "test") != 0)
        return -1;
    *state = &f;
    return 0;
}

static int s_teardown(void **state)
{
    s_fixture_t *f = *state;
    config_destroy(&f->config);
    region_table_destroy(&f->regions);
    return 0;
}

static Gridline__Event s_event(Gridline__EventType type)
{
    Gridline__Event e = GRIDLINE__EVENT__INIT;
    e.appeal_id = "150123-20261124-000042";
    e.seq = 2;
    e.type = type;
    e.level = GRIDLINE__LEVEL__LEVEL_GREEN;
    e.assignee = "城关镇供热站 李明";
    e.region = "15012310000102";
    e.channel = "hotline";
    e.category = "heating";
    e.department = "heating";
    e.at_ms = 1795510800000LL;
    e.deadline_ms = 1795514400000LL;
    return e;
}

static void test_worthy_events(void **state)
{
    Gridline__Event e = s_event(GRIDLINE__EVENT_TYPE__EVENT_ASSIGNED);
    assert_true(alert_worthy(&e));
    e.type = GRIDLINE__EVENT_TYPE__EVENT_ESCALATED;
    assert_true(alert_worthy(&e));
    e.type = GRIDLINE__EVENT_TYPE__EVENT_REOPENED;
    assert_true(alert_worthy(&e));
    e.type = GRIDLINE__EVENT_TYPE__EVENT_COLLECTED;
    assert_false(alert_worthy(&e));
    e.type = GRIDLINE__EVENT_TYPE__EVENT_RESOLVED;
    assert_false(alert_worthy(&e));
}

static void test_match_by_prefix(void **state)
{
    s_fixture_t *f = *state;
    size_t subs[8];
    size_t n = alert_match(f->config, "15012310000102", subs, 8);
    assert_int_equal(n, 2);
    assert_string_equal(f->config->subscriptions[subs[0]].name, "all");
    assert_string_equal(f->config->subscriptions[subs[1]].name, "hohhot");
    assert_int_equal(alert_match(f->config, "150203001015", subs, 8), 2);
    assert_int_equal(alert_match(f->config, "150702001001", subs, 1), 1);
}

static void test_render(void **state)
{
    s_fixture_t *f = *state;
    Gridline__Event e = s_event(GRIDLINE__EVENT_TYPE__EVENT_ASSIGNED);
    char *text = alert_render(&e, f->regions, &f->config->subscriptions[1]);
    assert_non_null(text);
    json_error_t err;
    json_t *o = json_loads(text, 0, &err);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "id")), "150123-20261124-000042:2");
    assert_string_equal(json_string_value(json_object_get(o, "event")), "assigned");
    assert_string_equal(json_string_value(json_object_get(o, "level")), "green");
    assert_string_equal(json_string_value(json_object_get(o, "subscription")), "hohhot");
    assert_string_equal(json_string_value(json_array_get(json_object_get(o, "recipients"), 0)),
                        "城关镇供热站 李明");
    assert_string_equal(json_string_value(json_array_get(json_object_get(o, "region_names"), 2)),
                        "和林格尔县");
    assert_string_equal(json_string_value(json_object_get(o, "deadline")),
                        "2026-11-24T18:00:00.000+08:00");
    assert_non_null(strstr(json_string_value(json_object_get(o, "summary")), "[绿] 和林格尔县"));
    json_decref(o);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worthy_events),
        cmocka_unit_test(test_match_by_prefix),
        cmocka_unit_test(test_render),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
