/* alert, subscription, registry: who is alerted for which event (through the region index, with
 * the stored subscriptions of a real Redis), and what the JSON says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "config.h"
#include "notifier/alert.h"
#include "notifier/registry.h"
#include "notifier/subscription.h"
#include "redis_fixture.h"
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
    return fixture_setup(NULL);
}

static int s_teardown(void **state)
{
    s_fixture_t *f = *state;
    config_destroy(&f->config);
    region_table_destroy(&f->regions);
    return fixture_teardown(NULL);
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

/* A subscription from JSON text; asserts it parses. */
static void s_parse(s_fixture_t *f, subscription_t *sub, const char *text)
{
    json_error_t jerr;
    json_t *body = json_loads(text, 0, &jerr);
    assert_non_null(body);
    subscription_error_t err;
    int rc = subscription_parse(sub, body, f->config, f->regions, &err);
    if (rc != 0)
        fprintf(stderr, "%s: %s\n", err.field, err.message);
    assert_int_equal(rc, 0);
    json_decref(body);
}

static void s_refused(s_fixture_t *f, const char *text, const char *field)
{
    json_error_t jerr;
    json_t *body = json_loads(text, 0, &jerr);
    assert_non_null(body);
    subscription_t sub;
    subscription_error_t err;
    assert_int_equal(subscription_parse(&sub, body, f->config, f->regions, &err), -1);
    assert_string_equal(err.field, field);
    assert_true(strlen(err.message) > 0);
    subscription_fini(&sub);
    json_decref(body);
}

static void test_default_event_types(void **state)
{
    s_fixture_t *f = *state;
    subscription_t sub;
    subscription_from_config(&sub, &f->config->subscriptions[0]);
    Gridline__Event e = s_event(GRIDLINE__EVENT_TYPE__EVENT_ASSIGNED);
    assert_true(subscription_matches(&sub, &e));
    e.type = GRIDLINE__EVENT_TYPE__EVENT_ESCALATED;
    assert_true(subscription_matches(&sub, &e));
    e.type = GRIDLINE__EVENT_TYPE__EVENT_REOPENED;
    assert_true(subscription_matches(&sub, &e));
    e.type = GRIDLINE__EVENT_TYPE__EVENT_REMINDED;
    assert_true(subscription_matches(&sub, &e));
    e.type = GRIDLINE__EVENT_TYPE__EVENT_COLLECTED;
    assert_false(subscription_matches(&sub, &e));
    e.type = GRIDLINE__EVENT_TYPE__EVENT_RESOLVED;
    assert_false(subscription_matches(&sub, &e));
    e.type = GRIDLINE__EVENT_TYPE__EVENT_TRANSFERRED;
    assert_false(subscription_matches(&sub, &e));
    subscription_fini(&sub);
}

static void test_filters(void **state)
{
    s_fixture_t *f = *state;
    subscription_t sub;
    s_parse(f, &sub,
            "{\"name\":\"县督办\",\"region\":\"150123\",\"min_level\":\"yellow\","
            "\"categories\":[\"heating\",\"water\"],\"channels\":[\"hotline\"],"
            "\"event_types\":[\"escalated\",\"transferred\"],\"quiet_hours\":\"22:00-07:00\","
            "\"target\":{\"type\":\"wecom\",\"url\":\"https://qyapi.weixin.qq.com/x?key=K\"}}");
    Gridline__Event e = s_event(GRIDLINE__EVENT_TYPE__EVENT_ESCALATED);
    assert_false(subscription_matches(&sub, &e)); /* green, under yellow */
    e.level = GRIDLINE__LEVEL__LEVEL_YELLOW;
    assert_true(subscription_matches(&sub, &e));
    e.type = GRIDLINE__EVENT_TYPE__EVENT_ASSIGNED;
    assert_false(subscription_matches(&sub, &e)); /* not among its event types */
    e.type = GRIDLINE__EVENT_TYPE__EVENT_TRANSFERRED;
    assert_true(subscription_matches(&sub, &e));
    e.category = "power";
    assert_false(subscription_matches(&sub, &e));
    e.category = "water";
    e.channel = "web";
    assert_false(subscription_matches(&sub, &e));
    e.channel = "hotline";
    e.region = "150203001015";
    assert_false(subscription_matches(&sub, &e));
    assert_true(subscription_quiet_at(&sub, 23 * 60));
    assert_true(subscription_quiet_at(&sub, 6 * 60 + 59));
    assert_false(subscription_quiet_at(&sub, 7 * 60));
    assert_false(subscription_quiet_at(&sub, 12 * 60));
    json_t *shown = subscription_json(&sub, false);
    json_t *target = json_object_get(shown, "target");
    assert_string_equal(json_string_value(json_object_get(target, "url")),
                        "https://qyapi.weixin.qq.com/x"); /* the key is a credential */
    assert_string_equal(json_string_value(json_object_get(shown, "source")), "api");
    json_decref(shown);
    subscription_fini(&sub);
}

static void test_hold(void **state)
{
    s_fixture_t *f = *state;
    subscription_t sub;
    s_parse(f, &sub,
            "{\"name\":\"q\",\"region\":\"150123\",\"quiet_hours\":\"22:00-07:00\","
            "\"url\":\"http://127.0.0.1:9/q\"}");
    /* 2026-11-24 23:30 in UTC+8 is 15:30 UTC: held to 07:00 the next morning, 23:00 UTC */
    int64_t now = 1795534200000LL; /* 2026-11-24T15:30:00Z */
    assert_int_equal(subscription_hold(&sub, GRIDLINE__LEVEL__LEVEL_GREEN, now, 480),
                     1795561200000LL); /* 2026-11-24T23:00:00Z */
    assert_int_equal(subscription_hold(&sub, GRIDLINE__LEVEL__LEVEL_RED, now, 480), 0);
    /* 06:59 local: held to 07:00 the same morning */
    int64_t early = 1795561140000LL; /* 2026-11-24T22:59:00Z */
    assert_int_equal(subscription_hold(&sub, GRIDLINE__LEVEL__LEVEL_BLUE, early, 480),
                     1795561200000LL);
    /* 12:00 local: not quiet, no grouping: at once */
    assert_int_equal(subscription_hold(&sub, GRIDLINE__LEVEL__LEVEL_BLUE, 1795579200000LL, 480), 0);
    sub.group_wait_s = 30;
    assert_int_equal(subscription_hold(&sub, GRIDLINE__LEVEL__LEVEL_BLUE, 1795579200000LL, 480),
                     1795579230000LL);
    subscription_fini(&sub);
}

static void test_refusals_name_the_field(void **state)
{
    s_fixture_t *f = *state;
    const char *url = ",\"url\":\"http://127.0.0.1:9/a\"";
    char text[512];
    s_refused(f, "[]", "body");
    snprintf(text, sizeof text, "{\"region\":\"150123\"%s}", url);
    s_refused(f, text, "name");
    snprintf(text, sizeof text, "{\"name\":\"a\\r\\nX-Evil: 1\",\"region\":\"150123\"%s}", url);
    s_refused(f, text, "name");
    snprintf(text, sizeof text, "{\"name\":\"%0120d\",\"region\":\"150123\"%s}", 0, url);
    s_refused(f, text, "name");
    snprintf(text, sizeof text, "{\"name\":\"a\",\"region\":\"159999\"%s}", url);
    s_refused(f, text, "region");
    snprintf(text, sizeof text, "{\"name\":\"a\",\"region\":\"150123\",\"min_level\":\"pink\"%s}",
             url);
    s_refused(f, text, "min_level");
    snprintf(text, sizeof text,
             "{\"name\":\"a\",\"region\":\"150123\",\"categories\":[\"snow\"]%s}", url);
    s_refused(f, text, "categories");
    snprintf(text, sizeof text,
             "{\"name\":\"a\",\"region\":\"150123\",\"quiet_hours\":\"22:00-25:00\"%s}", url);
    s_refused(f, text, "quiet_hours");
    snprintf(text, sizeof text, "{\"name\":\"a\",\"region\":\"150123\",\"grop_wait_s\":1%s}", url);
    s_refused(f, text, "grop_wait_s");
    s_refused(f, "{\"name\":\"a\",\"region\":\"150123\"}", "url");
    s_refused(f, "{\"name\":\"a\",\"region\":\"150123\",\"url\":\"ftp://x/y\"}", "url");
    s_refused(f,
              "{\"name\":\"a\",\"region\":\"150123\",\"url\":\"http://a/b\","
              "\"target\":{\"type\":\"webhook\",\"url\":\"http://a/b\"}}",
              "target");
    s_refused(f,
              "{\"name\":\"a\",\"region\":\"150123\",\"target\":{\"type\":\"sms\","
              "\"url\":\"http://a/b\"}}",
              "target.type");
    s_refused(f,
              "{\"name\":\"a\",\"region\":\"150123\",\"target\":{\"type\":\"wecom\","
              "\"url\":\"http://a/b c\"}}",
              "target.url");
}

/* The region index against Redis: config and stored subscriptions, every level, no cap. */
static void test_registry_matches_every_level(void **state)
{
    s_fixture_t *f = *state;
    const char *counties[] = {"150123", "150203"};
    const char *regions[] = {"15",           "1501",           "150123", "150123100",
                             "150123100001", "15012310000102", "150124", "1502"};
    for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++) {
        for (int k = 0; k < 20; k++) { /* 20 per region: far past the old cap of 32 in all */
            subscription_t sub;
            char text[256];
            snprintf(text, sizeof text,
                     "{\"name\":\"n\",\"region\":\"%s\",\"url\":\"http://127.0.0.1:9/%d\"}",
                     regions[i], k);
            s_parse(f, &sub, text);
            snprintf(sub.id, sizeof sub.id, "s-%s-%02d", regions[i], k);
            assert_int_equal(registry_put(fixture_redis, &sub, counties, 2), 0);
            subscription_fini(&sub);
        }
    }
    assert_true(fixture_int("GET %s", "subver:{150123}") >= 160);
    registry_t *reg = registry_new();
    assert_int_equal(registry_load(reg, f->config, f->regions, fixture_redis), 0);
    assert_int_equal(registry_count(reg), 3 + 160);
    assert_int_equal(registry_version(reg), fixture_int("GET %s", "{subscriptions}:version"));
    const subscription_t **out = NULL;
    size_t cap = 0;
    Gridline__Event e = s_event(GRIDLINE__EVENT_TYPE__EVENT_ASSIGNED);
    /* config "all" and "hohhot", and 6 levels x 20 stored */
    assert_int_equal(registry_match(reg, &e, &out, &cap), 2 + 120);
    e.region = "150123100002"; /* another village: not the village's nor its grid's */
    assert_int_equal(registry_match(reg, &e, &out, &cap), 2 + 80);
    e.region = "150203001015";
    assert_int_equal(registry_match(reg, &e, &out, &cap), 2 + 40);
    assert_non_null(registry_find(reg, "s-150123-07"));
    assert_non_null(registry_find(reg, "hohhot"));
    assert_null(registry_find(reg, "s-150123-99"));
    assert_int_equal(registry_remove(fixture_redis, "s-150123-07", counties, 2), 1);
    assert_int_equal(registry_remove(fixture_redis, "s-150123-07", counties, 2), 0);
    assert_int_equal(registry_load(reg, f->config, f->regions, fixture_redis), 0);
    assert_null(registry_find(reg, "s-150123-07"));
    e.region = "15012310000102";
    assert_int_equal(registry_match(reg, &e, &out, &cap), 2 + 119);
    free(out);
    registry_destroy(&reg);
    assert_null(reg);
    fixture_do("DEL %s", "{subscriptions}:entries");
}

static double s_ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* 50,000 stored subscriptions (4 on each of 12,500 villages): loaded and matched through the
 * index; each event finds exactly its village's 4 and the configuration's. The times are
 * printed for the record (bench/results.md), never asserted. */
static void test_registry_50000(void **state)
{
    s_fixture_t *f = *state;
    FILE *csv = fopen("data/regions-nmg.csv", "r");
    assert_non_null(csv);
    static char villages[12500][16];
    size_t nv = 0;
    char line[512];
    while (nv < 12500 && fgets(line, sizeof line, csv))
        if (strncmp(line + 12, ",village,", 9) == 0)
            snprintf(villages[nv++], sizeof villages[0], "%.12s", line);
    fclose(csv);
    assert_int_equal(nv, 12500);
    fixture_do("DEL %s", "{subscriptions}:entries");
    for (size_t i = 0; i < 4 * nv; i++) {
        char id[32], json[256];
        snprintf(id, sizeof id, "s%015zu", i);
        snprintf(json, sizeof json,
                 "{\"name\":\"v%zu\",\"region\":\"%s\",\"target\":{\"type\":\"webhook\","
                 "\"url\":\"http://127.0.0.1:9/%zu\"}}",
                 i, villages[i / 4], i);
        assert_int_equal(
            rconn_append(fixture_redis, "HSET {subscriptions}:entries %s %s", id, json), 0);
    }
    for (size_t i = 0; i < 4 * nv; i++) {
        redisReply *r = rconn_reply(fixture_redis);
        assert_non_null(r);
        freeReplyObject(r);
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    registry_t *reg = registry_new();
    assert_int_equal(registry_load(reg, f->config, f->regions, fixture_redis), 0);
    double load_ms = s_ms_since(&t0);
    assert_int_equal(registry_count(reg), 3 + 50000);
    const subscription_t **out = NULL;
    size_t cap = 0, total = 0;
    Gridline__Event e = s_event(GRIDLINE__EVENT_TYPE__EVENT_ASSIGNED);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t i = 0; i < 100000; i++) {
        const char *v = villages[(i * 7919) % nv];
        e.region = (char *)v;
        size_t n = registry_match(reg, &e, &out, &cap);
        size_t want = 4 + 1 + (strncmp(v, "1501", 4) == 0) + (strncmp(v, "1502", 4) == 0);
        if (n != want)
            fail_msg("%s: %zu matches, want %zu", v, n, want);
        total += n;
    }
    double match_ms = s_ms_since(&t0);
    fprintf(stderr,
            "# registry of 50,003 subscriptions: loaded in %.0f ms; 100,000 events matched in %.0f "
            "ms (%.2f us each, %zu deliveries)\n",
            load_ms, match_ms, match_ms * 1000 / 100000, total);
    free(out);
    registry_destroy(&reg);
    fixture_do("DEL %s", "{subscriptions}:entries");
}

static void test_render(void **state)
{
    s_fixture_t *f = *state;
    Gridline__Event e = s_event(GRIDLINE__EVENT_TYPE__EVENT_ASSIGNED);
    subscription_t sub;
    subscription_from_config(&sub, &f->config->subscriptions[1]);
    char *text = alert_render(&e, f->regions, &sub);
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

/* The live stream's alert: the same, without a subscription. */
static void test_render_for_stream(void **state)
{
    s_fixture_t *f = *state;
    Gridline__Event e = s_event(GRIDLINE__EVENT_TYPE__EVENT_ASSIGNED);
    char *text = alert_render(&e, f->regions, NULL);
    assert_non_null(text);
    assert_null(strchr(text, '\n')); /* one line: one SSE data: line */
    json_error_t err;
    json_t *o = json_loads(text, 0, &err);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "id")), "150123-20261124-000042:2");
    assert_null(json_object_get(o, "subscription"));
    assert_null(json_object_get(o, "role"));
    json_decref(o);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_event_types),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_refusals_name_the_field),
        cmocka_unit_test(test_hold),
        cmocka_unit_test(test_registry_matches_every_level),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_render_for_stream),
        cmocka_unit_test(test_registry_50000),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
