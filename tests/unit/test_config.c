/* config: defaults, YAML (nested and dotted), environment overrides, sections, and errors that
 * name origin, line and key. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static config_t *s_load(const char *yaml)
{
    config_t *cfg = config_new();
    assert_non_null(cfg);
    if (config_load_string(cfg, yaml, "t.yaml") != 0)
        fail_msg("load failed: %s", config_errstr(cfg));
    return cfg;
}

static void s_refuse(const char *yaml, const char *want)
{
    config_t *cfg = config_new();
    assert_int_equal(config_load_string(cfg, yaml, "t.yaml"), -1);
    if (!strstr(config_errstr(cfg), want))
        fail_msg("error '%s' does not contain '%s'", config_errstr(cfg), want);
    config_destroy(&cfg);
}

static void test_defaults(void **state)
{
    config_t *cfg = config_new();
    assert_int_equal(cfg->redis_port, 6390);
    assert_int_equal(cfg->intake_http_port, 8080);
    assert_int_equal(cfg->intake_gateway_port, 5570);
    assert_int_equal(cfg->notifier_http_port, 8082);
    assert_int_equal(cfg->aggregator_http_port, 8083);
    assert_string_equal(cfg->bind_host, "127.0.0.1");
    assert_string_equal(cfg->log_level, "info");
    assert_int_equal(cfg->category_count, 27);
    assert_string_equal(config_category(cfg, "labor")->department, "human-resources");
    assert_null(config_category(cfg, "weather"));
    assert_int_equal(cfg->directory_count, 0);
    assert_int_equal(cfg->subscription_count, 0);
    config_destroy(&cfg);
    assert_null(cfg);
    config_destroy(&cfg);
}

static void test_nested_and_dotted(void **state)
{
    config_t *cfg = s_load("redis:\n  port: 7000\n  host: 10.0.0.5\nintake.http_port: 9090\n"
                           "clock: {offset_ms: -3600000}\n");
    assert_int_equal(cfg->redis_port, 7000);
    assert_string_equal(cfg->redis_host, "10.0.0.5");
    assert_int_equal(cfg->intake_http_port, 9090);
    assert_int_equal(cfg->clock_offset_ms, -3600000L);
    config_destroy(&cfg);
}

static void test_env_beats_file(void **state)
{
    config_t *cfg = s_load("redis: {port: 7000}\n");
    char *env[] = {"PATH=/bin",
                   "GRIDLINE_REDIS_PORT=7100",
                   "GRIDLINE_CONFIG=/ignored.yaml",
                   "GRIDLINE_OUTBOX_RESEND_AFTER_MS=250",
                   "GRIDLINE_LOG_LEVEL=debug",
                   NULL};
    assert_int_equal(config_apply_env(cfg, env), 0);
    assert_int_equal(cfg->redis_port, 7100);
    assert_int_equal(cfg->outbox_resend_after_ms, 250);
    assert_string_equal(cfg->log_level, "debug");
    char *bad[] = {"GRIDLINE_REDIS_PROT=1", NULL};
    assert_int_equal(config_apply_env(cfg, bad), -1);
    assert_non_null(strstr(config_errstr(cfg), "GRIDLINE_REDIS_PROT: unknown variable"));
    char *range[] = {"GRIDLINE_REDIS_PORT=70000", NULL};
    assert_int_equal(config_apply_env(cfg, range), -1);
    assert_non_null(strstr(config_errstr(cfg), "GRIDLINE_REDIS_PORT: redis.port"));
    config_destroy(&cfg);
}

static void test_errors_name_line_and_key(void **state)
{
    s_refuse("log: {level: info}\nredis:\n  prot: 1\n", "t.yaml:3: redis.prot: unknown key");
    s_refuse("redis: {port: abc}\n", "t.yaml:1: redis.port: \"abc\" is not an integer (1..65535)");
    s_refuse("redis: {port: 0}\n", "redis.port: \"0\" is not an integer (1..65535)");
    s_refuse("log: {level: loud}\n", "log.level: \"loud\" is not one of");
    s_refuse("redis: [1, 2]\n", "redis: unknown key");
    s_refuse("redis: {port: [1]}\n", "redis.port: unknown key");
    s_refuse("- a\n- b\n", "must be a mapping");
    s_refuse("redis: {port: 1\n", "t.yaml:");
}

static void test_sections_replace_and_validate(void **state)
{
    config_t *cfg = s_load(
        "categories:\n"
        "  - {name: heating, department: heat, label: 供暖}\n"
        "directory:\n"
        "  - {department: heat, region: 150123, assignee: \"和林格尔县供热公司\"}\n"
        "subscriptions:\n"
        "  - {name: all, url: \"http://127.0.0.1:9/x\"}\n"
        "  - {name: county, region: \"150123\", url: \"https://example.invalid/y\", secret: s}\n");
    assert_int_equal(cfg->category_count, 1);
    assert_null(config_category(cfg, "power"));
    assert_string_equal(cfg->directory[0].region, "150123");
    assert_string_equal(cfg->directory[0].assignee, "和林格尔县供热公司");
    assert_int_equal(cfg->subscription_count, 2);
    assert_string_equal(cfg->subscriptions[0].region, "");
    assert_string_equal(cfg->subscriptions[1].secret, "s");
    config_destroy(&cfg);

    s_refuse("subscriptions:\n  - {name: a, url: \"http://x\"}\n  - {name: b, colour: red}\n",
             "subscriptions[1].colour: unknown field");
    s_refuse("directory:\n  - {department: heat, region: \"15\"}\n",
             "directory[0].assignee: required");
    s_refuse("directory:\n  - {department: heat, region: \"15a\", assignee: x}\n",
             "directory[0].region");
    s_refuse("categories:\n  - {name: Heat, department: x}\n", "categories[0].name");
    s_refuse("categories:\n  - {name: a, department: x}\n  - {name: a, department: y}\n",
             "categories[1].name: \"a\" appears twice");
    s_refuse("subscriptions:\n  - {name: a, url: \"ftp://x\"}\n", "subscriptions[0].url");
    s_refuse("subscriptions:\n  - just-a-string\n", "subscriptions[0]: must be a mapping");
}

static void test_subscription_names(void **state)
{
    const char *ok = "subscriptions:\n  - {name: a.B_c-9, url: \"http://x/\"}\n";
    config_t *cfg = s_load(ok);
    assert_string_equal(cfg->subscriptions[0].name, "a.B_c-9");
    config_destroy(&cfg);
    char yaml[512];
    snprintf(yaml, sizeof yaml, "subscriptions:\n  - {name: %.64s, url: \"http://x/\"}\n",
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    cfg = s_load(yaml);
    assert_int_equal(strlen(cfg->subscriptions[0].name), 64);
    config_destroy(&cfg);
    snprintf(yaml, sizeof yaml, "subscriptions:\n  - {name: %.65s, url: \"http://x/\"}\n",
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    s_refuse(yaml, "t.yaml:2: subscriptions[0].name: \"aaaa");
    s_refuse(yaml, "is longer than 64 bytes");
    /* a CR/LF would put a header of its own into the webhook request */
    s_refuse("subscriptions:\n  - {name: \"a\\r\\nX-Evil: 1\", url: \"http://x/\"}\n",
             "t.yaml:2: subscriptions[0].name: \"a??X-Evil: 1\" contains a control character");
    s_refuse("subscriptions:\n  - {name: \"two words\", url: \"http://x/\"}\n",
             "subscriptions[0].name: \"two words\" must be [A-Za-z0-9._-]{1,64}");
    s_refuse("subscriptions:\n  - {name: \"a|b\", url: \"http://x/\"}\n", "must be [A-Za-z0-9._-]");
    s_refuse("subscriptions:\n  - {name: \"\", url: \"http://x/\"}\n", "subscriptions[0].name");
    s_refuse("subscriptions:\n  - {name: a, url: \"http://\"}\n", "subscriptions[0].url");
    s_refuse("subscriptions:\n  - {name: a, url: \"http://x/a b\"}\n", "subscriptions[0].url");
    s_refuse("directory:\n  - {department: heat, region: \"123456789012345\", assignee: x}\n",
             "directory[0].region: \"123456789012345\" is longer than 14 bytes");
    s_refuse("directory:\n  - {department: heat, region: \"15\", assignee: \"a\\nb\"}\n",
             "directory[0].assignee: \"a?b\" contains a control character");
    s_refuse("subscriptions:\n  - {name: a, name: b, url: \"http://x/\"}\n",
             "subscriptions[0].name: given twice");
    s_refuse("subscriptions:\n  - {name: a, url: [\"http://x/\"]}\n",
             "subscriptions[0].url: must be a single value");
    s_refuse("subscriptions: {name: a}\n", "t.yaml:1: subscriptions: must be a list");
    s_refuse("directory: \"\"\n", "t.yaml:1: directory: must be a list");
    cfg = s_load("subscriptions: []\ncategories:\n  - {name: x, department: y}\n");
    assert_int_equal(cfg->subscription_count, 0);
    config_destroy(&cfg);
    cfg = s_load("subscriptions:\n  - {name: a, url: \"http://x/\"}\n"
                 "subscriptions:\n  # all commented out\ndirectory: ~\ncategories:\n"
                 "  - {name: x, department: y}\n");
    assert_int_equal(cfg->subscription_count, 0);
    assert_int_equal(cfg->directory_count, 0);
    assert_string_equal(cfg->categories[0].label, "");
    config_destroy(&cfg);
}

/* The errors recorded so far are exactly want, in order (each error contains its want). */
static void s_expect_errors(const config_t *cfg, const char *const *want, size_t n)
{
    size_t count = 0;
    const char *const *errors = config_errors(cfg, &count);
    for (size_t i = 0; i < count && i < n; i++)
        if (!strstr(errors[i], want[i]))
            fail_msg("error %zu '%s' does not contain '%s'", i, errors[i], want[i]);
    assert_int_equal(count, n);
}

/* Durations, the ladder's keys (and the old ones' new names), rules and directory levels, and
 * what one list says of another. */
static void test_ladder_rules_directory(void **state)
{
    long ms = 0;
    assert_int_equal(config_parse_duration("90s", &ms), 0);
    assert_int_equal(ms, 90000);
    assert_int_equal(config_parse_duration("500ms", &ms), 0);
    assert_int_equal(ms, 500);
    assert_int_equal(config_parse_duration("2h", &ms), 0);
    assert_int_equal(ms, 7200000);
    assert_int_equal(config_parse_duration("1d", &ms), 0);
    assert_int_equal(ms, 86400000);
    const char *bad[] = {"", "90", "s", "-1s", "0s", "1.5h", "2 h", "367d", "1w"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(config_parse_duration(bad[i], &ms), -1);

    config_t *cfg = config_new();
    assert_int_equal(cfg->ladder_ack_ms[1], 3600000);
    const char *yaml = "ladder:\n"
                       "  green: {ack: 2s, resolve: 30m}\n"
                       "  red.remind: 10m\n"
                       "categories:\n"
                       "  - {name: fire, department: fire-rescue, ack: 5m}\n"
                       "  - {name: heating, department: heating}\n"
                       "rules:\n"
                       "  - {keywords: 火, channel: camera, category: fire, level: yellow}\n"
                       "directory:\n"
                       "  - {department: \"*\", level: red, region: \"150123\", assignee: 县委}\n";
    assert_int_equal(config_load_string(cfg, yaml, "ok.yaml"), 0);
    assert_int_equal(cfg->ladder_ack_ms[1], 2000);
    assert_int_equal(cfg->ladder_resolve_ms[1], 1800000);
    assert_int_equal(cfg->ladder_remind_ms, 600000);
    assert_int_equal(config_category(cfg, "fire")->ack_ms, 300000);
    assert_int_equal(config_category(cfg, "heating")->ack_ms, 0);
    assert_string_equal(cfg->rules[0].level, "yellow");
    assert_string_equal(cfg->directory[0].level, "red");
    char *env[] = {"GRIDLINE_LADDER_BLUE_ACK=3m", NULL};
    assert_int_equal(config_apply_env(cfg, env), 0);
    assert_int_equal(cfg->ladder_ack_ms[2], 180000);
    config_destroy(&cfg);

    cfg = config_new();
    yaml = "ladder.green_s: 60\n"
           "ladder.blue.ack: soon\n"
           "rules:\n"
           "  - {keywords: x, category: weather}\n"
           "  - {category: power, level: purple}\n"
           "directory:\n"
           "  - {department: heating, level: pink, region: \"15\", assignee: x}\n";
    assert_int_equal(config_load_string(cfg, yaml, "bad.yaml"), -1);
    const char *want[] = {
        "bad.yaml:1: ladder.green_s: unknown key; it is now ladder.green.ack and "
        "ladder.green.resolve",
        "bad.yaml:2: ladder.blue.ack: \"soon\" is not a duration",
        "bad.yaml:5: rules[1].level: \"purple\" must be green, blue, yellow or red",
        "bad.yaml:7: directory[0].level: \"pink\" must be green, blue, yellow or red",
        "bad.yaml: rules[0].category: \"weather\" is not a category of the catalogue",
    };
    s_expect_errors(cfg, want, sizeof want / sizeof want[0]);
    config_destroy(&cfg);
}

/* Clocks in working days: "5wd" for the ladder's ack/resolve and a category's, beside durations;
 * printed back as written; other durations refuse them. */
static void test_working_day_clocks(void **state)
{
    long ms = -1;
    int wd = -1;
    assert_int_equal(config_parse_clock("5wd", &ms, &wd), 0);
    assert_int_equal(wd, 5);
    assert_int_equal(ms, 0);
    assert_int_equal(config_parse_clock("250wd", &ms, &wd), 0);
    assert_int_equal(wd, 250);
    assert_int_equal(config_parse_clock("2h", &ms, &wd), 0);
    assert_int_equal(ms, 7200000);
    assert_int_equal(wd, 0);
    const char *bad[] = {"",     "wd",   "0wd",   "251wd", "-1wd",       "5 wd", "5.5wd", "5WD",
                         "5wdx", "+5wd", "05wd0", "1w",    "99999999wd", "wd5",  "2h5wd"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (config_parse_clock(bad[i], &ms, &wd) != -1)
            fail_msg("\"%s\" accepted", bad[i]);
    /* a plain duration is still only a duration */
    assert_int_equal(config_parse_duration("5wd", &ms), -1);

    config_t *cfg = s_load("ladder:\n"
                           "  green: {ack: 1wd, resolve: 5wd}\n"
                           "  blue.resolve: 15wd\n"
                           "categories:\n"
                           "  - {name: fire, department: fire-rescue, ack: 5m, resolve: 2h}\n"
                           "  - {name: water, department: water-supply, resolve: 24h}\n"
                           "  - {name: city, department: city-management, resolve: 5wd}\n"
                           "  - {name: land, department: natural-resources, ack: 1wd, "
                           "resolve: 15wd}\n");
    assert_int_equal(cfg->ladder_ack_wd[1], 1);
    assert_int_equal(cfg->ladder_ack_ms[1], 0);
    assert_int_equal(cfg->ladder_resolve_wd[1], 5);
    assert_int_equal(cfg->ladder_resolve_wd[2], 15);
    assert_int_equal(cfg->ladder_ack_ms[2], 2 * 3600000); /* the default, untouched */
    assert_int_equal(cfg->ladder_ack_wd[2], 0);
    assert_int_equal(config_category(cfg, "water")->resolve_ms, 24 * 3600000);
    assert_int_equal(config_category(cfg, "water")->resolve_wd, 0);
    assert_int_equal(config_category(cfg, "city")->resolve_wd, 5);
    assert_int_equal(config_category(cfg, "city")->resolve_ms, 0);
    assert_int_equal(config_category(cfg, "city")->ack_wd, 0);
    assert_int_equal(config_category(cfg, "land")->ack_wd, 1);
    assert_int_equal(config_category(cfg, "land")->resolve_wd, 15);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    config_print(cfg, out);
    fclose(out);
    assert_non_null(strstr(text, "ladder.green.ack = 1wd\n"));
    assert_non_null(strstr(text, "ladder.green.resolve = 5wd\n"));
    assert_non_null(strstr(text, "ladder.blue.ack = 2h\n"));
    assert_non_null(strstr(text, "ladder.blue.resolve = 15wd\n"));
    assert_non_null(strstr(text, "calendar.file = data/calendar-cn.csv\n"));
    assert_non_null(strstr(text, "name: \"water\", department: \"water-supply\", label: \"\", "
                                 "ack: \"\", resolve: 1d}"));
    assert_non_null(strstr(text, "name: \"city\", department: \"city-management\", label: "
                                 "\"\", ack: \"\", resolve: 5wd}"));
    assert_non_null(strstr(text, "ack: 1wd, resolve: 15wd}"));
    /* what is printed loads back to the same */
    config_t *again = config_new();
    char line[256];
    FILE *in = fmemopen(text, len, "r");
    while (fgets(line, sizeof line, in)) {
        char *eq = strstr(line, " = ");
        if (eq && strncmp(line, "ladder.", 7) == 0) {
            *eq = '\0';
            eq[3 + strcspn(eq + 3, "\n")] = '\0';
            assert_int_equal(config_set(again, line, eq + 3), 0);
        }
    }
    fclose(in);
    free(text);
    assert_int_equal(again->ladder_resolve_wd[2], 15);
    assert_int_equal(again->ladder_ack_wd[1], 1);
    assert_int_equal(again->ladder_ack_ms[1], 0);
    config_destroy(&again);

    /* the environment beats the file, in either direction, leaving one of ms and wd */
    char *env[] = {"GRIDLINE_LADDER_GREEN_RESOLVE=36h", "GRIDLINE_LADDER_RED_RESOLVE=10wd", NULL};
    assert_int_equal(config_apply_env(cfg, env), 0);
    assert_int_equal(cfg->ladder_resolve_ms[1], 36 * 3600000);
    assert_int_equal(cfg->ladder_resolve_wd[1], 0);
    assert_int_equal(cfg->ladder_resolve_wd[4], 10);
    assert_int_equal(cfg->ladder_resolve_ms[4], 0);
    char *bad_env[] = {"GRIDLINE_LADDER_RED_ACK=0wd", NULL};
    assert_int_equal(config_apply_env(cfg, bad_env), -1);
    assert_non_null(strstr(config_errstr(cfg), "GRIDLINE_LADDER_RED_ACK: ladder.red.ack: \"0wd\" "
                                               "is not a duration"));
    assert_non_null(strstr(config_errstr(cfg), "or working days (\"5wd\", 1..250)"));
    config_destroy(&cfg);

    s_refuse("ladder:\n  green: {resolve: 300wd}\n",
             "t.yaml:2: ladder.green.resolve: \"300wd\" is not a duration");
    s_refuse("categories:\n  - {name: city, department: city-management, resolve: 5 wd}\n",
             "t.yaml:2: categories[0].resolve: \"5 wd\" is not a duration (\"90s\", \"30m\", "
             "\"2h\") or working days (\"5wd\", 1..250)");
    /* working days are for the ladder's clocks only */
    s_refuse("ladder.red.remind: 1wd\n",
             "t.yaml:1: ladder.red.remind: \"1wd\" is not a duration (a number and ms, s, m, h or "
             "d: \"90s\", \"2h\"; at most 366d; working days only for the ladder's clocks)");
    s_refuse("notifier.max_age: 2wd\n", "working days only for the ladder's clocks");
}

/* Every error of a file, not only the first, each with file:line: key. */
static void test_all_errors_reported(void **state)
{
    config_t *cfg = config_new();
    const char *yaml = "redis:\n"
                       "  prot: 1\n"       /* 2: unknown key */
                       "  port: 0\n"       /* 3: out of range */
                       "log.level: loud\n" /* 4 */
                       "subscriptions:\n"
                       "  - {name: ok, url: \"http://x/\"}\n"      /* 6: fine */
                       "  - {name: \"x\\ny\", url: \"ftp://x\"}\n" /* 7: two errors */
                       "  - {name: ok, colour: red}\n"             /* 8: three */
                       "directory:\n"
                       "  - {department: heat, region: \"15a\", assignee: x}\n" /* 10 */
                       "nope: 1\n";                                             /* 11 */
    assert_int_equal(config_load_string(cfg, yaml, "bad.yaml"), -1);
    const char *want[] = {
        "bad.yaml:2: redis.prot: unknown key",
        "bad.yaml:3: redis.port: \"0\" is not an integer (1..65535)",
        "bad.yaml:4: log.level: \"loud\" is not one of",
        "bad.yaml:7: subscriptions[1].name: \"x?y\" contains a control character",
        "bad.yaml:7: subscriptions[1].url: \"ftp://x\" must be an http(s) URL",
        "bad.yaml:8: subscriptions[2].colour: unknown field",
        "bad.yaml:8: subscriptions[2].url: required",
        "bad.yaml:8: subscriptions[2].name: \"ok\" appears twice",
        "bad.yaml:10: directory[0].region: \"15a\" must be a region code prefix",
        "bad.yaml:11: nope: unknown key",
        "bad.yaml: directory[0].department: \"heat\" is no category's department",
    };
    s_expect_errors(cfg, want, sizeof want / sizeof want[0]);
    size_t count = 0;
    const char *const *errors = config_errors(cfg, &count);
    assert_string_equal(config_errstr(cfg), errors[0]);

    /* the environment's errors are added to the file's; errstr is the first of the last call */
    char *env[] = {"GRIDLINE_REDIS_PROT=1", "GRIDLINE_REDIS_PORT=x", "GRIDLINE_LOG_LEVEL=debug",
                   NULL};
    assert_int_equal(config_apply_env(cfg, env), -1);
    errors = config_errors(cfg, &count);
    assert_int_equal(count, sizeof want / sizeof want[0] + 2);
    assert_non_null(strstr(errors[count - 2], "GRIDLINE_REDIS_PROT: unknown variable"));
    assert_non_null(strstr(errors[count - 1], "GRIDLINE_REDIS_PORT: redis.port: \"x\""));
    assert_string_equal(config_errstr(cfg), errors[count - 2]);
    assert_string_equal(cfg->log_level, "debug"); /* the good ones still apply */
    config_destroy(&cfg);

    /* no errors: an empty list */
    cfg = config_new();
    errors = config_errors(cfg, &count);
    assert_int_equal(count, 0);
    assert_string_equal(config_errstr(cfg), "");
    config_destroy(&cfg);

    /* many errors: a bounded list that says so */
    char big[8192] = "";
    for (int i = 0; i < 150; i++)
        snprintf(big + strlen(big), sizeof big - strlen(big), "k%d: 1\n", i);
    cfg = config_new();
    assert_int_equal(config_load_string(cfg, big, "big.yaml"), -1);
    errors = config_errors(cfg, &count);
    assert_int_equal(count, 100);
    assert_string_equal(errors[0], "big.yaml:1: k0: unknown key");
    assert_non_null(strstr(errors[99], "more errors left out"));
    config_destroy(&cfg);
}

static char *s_write_temp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/gridline-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_check(void **state)
{
    char *out_text = NULL, *err_text = NULL;
    size_t out_len = 0, err_len = 0;
    FILE *out = open_memstream(&out_text, &out_len);
    FILE *err = open_memstream(&err_text, &err_len);
    char *path = s_write_temp("redis: {port: 0}\nsubscriptions:\n  - {name: \"a b\", url: x}\n");
    char *env[] = {"GRIDLINE_NOTIFIER_TIMEOUT_MS=1", "GRIDLINE_BOGUS=1", NULL};
    assert_int_equal(config_check(path, env, out, err), -1);
    fclose(out);
    fclose(err);
    assert_int_equal(out_len, 0);
    char want[256];
    snprintf(want, sizeof want,
             "%s:1: redis.port: \"0\" is not an integer (1..65535)\n"
             "%s:3: subscriptions[0].name: \"a b\" must be [A-Za-z0-9._-]{1,64}\n"
             "%s:3: subscriptions[0].url: \"x\" must be an http(s) URL\n",
             path, path, path);
    if (strncmp(err_text, want, strlen(want)) != 0)
        fail_msg("got:\n%s\nwant first:\n%s", err_text, want);
    assert_non_null(strstr(err_text, "GRIDLINE_NOTIFIER_TIMEOUT_MS: notifier.timeout_ms: \"1\""));
    assert_non_null(strstr(err_text, "GRIDLINE_BOGUS: unknown variable"));
    assert_non_null(strstr(err_text, ": 5 errors\n"));
    free(out_text);
    free(err_text);
    unlink(path);

    out = open_memstream(&out_text, &out_len);
    err = open_memstream(&err_text, &err_len);
    char *none[] = {NULL};
    assert_int_equal(config_check("config/demo.yaml", none, out, err), 0);
    fclose(out);
    fclose(err);
    assert_string_equal(out_text, "config/demo.yaml: ok\n");
    assert_int_equal(err_len, 0);
    free(out_text);
    free(err_text);

    out = open_memstream(&out_text, &out_len);
    err = open_memstream(&err_text, &err_len);
    assert_int_equal(config_check("/nonexistent/x.yaml", none, out, err), -1);
    fclose(out);
    fclose(err);
    assert_non_null(strstr(err_text, "/nonexistent/x.yaml: No such file"));
    free(out_text);
    free(err_text);
}

static void test_references(void **state)
{
    config_t *cfg = config_new();
    config_t *other = config_ref(cfg);
    assert_ptr_equal(other, cfg);
    assert_null(config_ref(NULL));
    config_release(&cfg);
    assert_null(cfg);
    assert_int_equal(other->redis_port, 6390); /* still there: one reference left */
    config_release(&other);
    assert_null(other);
    config_release(&other);
    config_release(NULL);

    /* a slot hands out the snapshot it holds; a swap leaves held ones alone */
    config_t *first = config_new();
    assert_int_equal(config_set(first, "redis.port", "7001"), 0);
    config_slot_t *slot = config_slot_new(first);
    assert_non_null(slot);
    config_t *held = config_slot_get(slot);
    assert_ptr_equal(held, first);
    config_t *second = config_new();
    assert_int_equal(config_set(second, "redis.port", "7002"), 0);
    config_slot_swap(slot, second);
    assert_int_equal(held->redis_port, 7001);
    config_t *now = config_slot_get(slot);
    assert_int_equal(now->redis_port, 7002);
    config_release(&held); /* frees the first snapshot */
    config_release(&now);
    config_slot_destroy(&slot);
    assert_null(slot);
    config_slot_destroy(&slot);

    slot = config_slot_new(NULL);
    assert_null(config_slot_get(slot));
    config_slot_swap(slot, config_new());
    now = config_slot_get(slot);
    assert_non_null(now);
    config_release(&now);
    config_slot_destroy(&slot);
}

/* Readers take and drop snapshots while a writer swaps in new ones: every snapshot a reader
 * sees is whole (its keys agree with each other) and never older than one seen before. */
typedef struct {
    config_slot_t *slot;
    atomic_int *stop;
    long seen;
    long torn;
    long backwards;
} s_reader_t;

static void *s_reader(void *arg)
{
    s_reader_t *r = arg;
    int last = 0;
    while (!atomic_load(r->stop)) {
        config_t *cfg = config_slot_get(r->slot);
        int port = cfg->redis_port;
        if (cfg->intake_http_port != port || cfg->subscription_count != (size_t)(port % 3) ||
            (cfg->subscription_count && cfg->subscriptions[0].url[7] != 'h'))
            r->torn++;
        if (port < last)
            r->backwards++;
        last = port;
        r->seen++;
        config_release(&cfg);
    }
    return NULL;
}

static config_t *s_numbered(int n)
{
    config_t *cfg = config_new();
    char port[16], yaml[256] = "subscriptions:\n";
    snprintf(port, sizeof port, "%d", n);
    for (int i = 0; i < n % 3; i++)
        snprintf(yaml + strlen(yaml), sizeof yaml - strlen(yaml),
                 "  - {name: s%d, url: \"http://host/%d\"}\n", i, n);
    if (config_set(cfg, "redis.port", port) != 0 ||
        config_set(cfg, "intake.http_port", port) != 0 ||
        config_load_string(cfg, yaml, "t.yaml") != 0)
        fail_msg("%s", config_errstr(cfg));
    return cfg;
}

static void test_slot_threads(void **state)
{
    enum { READERS = 4, SWAPS = 2000 };
    atomic_int stop;
    atomic_init(&stop, 0);
    config_slot_t *slot = config_slot_new(s_numbered(1));
    pthread_t threads[READERS];
    s_reader_t readers[READERS];
    for (int i = 0; i < READERS; i++) {
        readers[i] = (s_reader_t){slot, &stop, 0, 0, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, s_reader, &readers[i]), 0);
    }
    for (int n = 2; n <= SWAPS; n++)
        config_slot_swap(slot, s_numbered(n));
    atomic_store(&stop, 1);
    long seen = 0;
    for (int i = 0; i < READERS; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(readers[i].torn, 0);
        assert_int_equal(readers[i].backwards, 0);
        seen += readers[i].seen;
    }
    assert_true(seen > 0);
    config_t *last = config_slot_get(slot);
    assert_int_equal(last->redis_port, SWAPS);
    config_release(&last);
    config_slot_destroy(&slot);
}

/* rankings.*: defaults, nested and dotted YAML, the environment, ratios refused out of 0..1. */
static void test_rankings(void **state)
{
    config_t *cfg = config_new();
    assert_int_equal(cfg->rankings_flags, 3);
    assert_int_equal(cfg->rankings_min_appeals, 5);
    assert_true(cfg->rankings_threshold_response == 0.9);
    assert_true(cfg->rankings_threshold_resolution == 0.8);
    assert_true(cfg->rankings_threshold_satisfaction == 0.8);
    assert_true(cfg->rankings_threshold_on_time == 0.8);
    config_destroy(&cfg);

    cfg = s_load("rankings:\n  flags: 5\n  min_appeals: 10\n"
                 "  threshold: {response: 0.95, resolution: 0.7}\n"
                 "rankings.threshold.satisfaction: 0.75\n");
    assert_int_equal(cfg->rankings_flags, 5);
    assert_int_equal(cfg->rankings_min_appeals, 10);
    assert_true(cfg->rankings_threshold_response == 0.95);
    assert_true(cfg->rankings_threshold_resolution == 0.7);
    assert_true(cfg->rankings_threshold_satisfaction == 0.75);
    assert_true(cfg->rankings_threshold_on_time == 0.8);
    char *env[] = {"GRIDLINE_RANKINGS_FLAGS=2", "GRIDLINE_RANKINGS_MIN_APPEALS=0",
                   "GRIDLINE_RANKINGS_THRESHOLD_ON_TIME=1",
                   "GRIDLINE_RANKINGS_THRESHOLD_RESPONSE=0", NULL};
    assert_int_equal(config_apply_env(cfg, env), 0);
    assert_int_equal(cfg->rankings_flags, 2);
    assert_int_equal(cfg->rankings_min_appeals, 0);
    assert_true(cfg->rankings_threshold_on_time == 1.0);
    assert_true(cfg->rankings_threshold_response == 0.0);
    char *bad[] = {"GRIDLINE_RANKINGS_THRESHOLD_RESOLUTION=80%", NULL};
    assert_int_equal(config_apply_env(cfg, bad), -1);
    assert_non_null(strstr(config_errstr(cfg), "GRIDLINE_RANKINGS_THRESHOLD_RESOLUTION: "
                                               "rankings.threshold.resolution: \"80%\" is not a "
                                               "number from 0 to 1"));
    assert_true(cfg->rankings_threshold_resolution == 0.7);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    config_print(cfg, out);
    fclose(out);
    assert_non_null(strstr(text, "rankings.threshold.resolution = 0.7\n"));
    assert_non_null(strstr(text, "rankings.flags = 2\n"));
    free(text);
    config_destroy(&cfg);

    s_refuse("rankings: {threshold: {response: 1.5}}\n",
             "t.yaml:1: rankings.threshold.response: \"1.5\" is not a number from 0 to 1");
    s_refuse("rankings.threshold.on_time: -0.1\n", "is not a number from 0 to 1");
    s_refuse("rankings.threshold.on_time: nan\n", "is not a number from 0 to 1");
    s_refuse("rankings.threshold.on_time: 1e-1\n", "is not a number from 0 to 1");
    s_refuse("rankings.threshold.on_time: \"\"\n", "is not a number from 0 to 1");
    s_refuse("rankings: {flags: -1}\n", "rankings.flags: \"-1\" is not an integer (0..1000)");
    s_refuse("rankings: {threshold: {overdue: 3}}\n", "rankings.threshold.overdue: unknown key");
}

static void test_set_print_and_help(void **state)
{
    config_t *cfg = config_new();
    assert_int_equal(config_set(cfg, "redis.password", "hunter2"), 0);
    assert_int_equal(config_set(cfg, "nope", "1"), -1);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    config_print(cfg, out);
    fclose(out);
    assert_non_null(strstr(text, "redis.password = ***\n"));
    assert_null(strstr(text, "hunter2"));
    assert_non_null(strstr(text, "redis.port = 6390\n"));
    free(text);
    /* a webhook URL's credentials (user:pass, WeCom key=, DingTalk access_token=) never shown */
    assert_int_equal(config_load_string(cfg,
                                        "subscriptions:\n  - {name: w, region: \"15\", url: "
                                        "\"https://u:p@qyapi.example/send?key=K1\", secret: s}\n",
                                        "test"),
                     0);
    out = open_memstream(&text, &len);
    config_print(cfg, out);
    fclose(out);
    assert_non_null(strstr(text, "url: \"https://qyapi.example/send\", secret: \"***\""));
    assert_null(strstr(text, "K1"));
    assert_null(strstr(text, "u:p"));
    free(text);
    /* a directory entry may carry a target (alerts naming its owner) */
    assert_int_equal(config_load_string(cfg,
                                        "directory:\n  - {department: heating, region: \"150123\", "
                                        "assignee: x, target: dingtalk, target_url: "
                                        "\"https://oapi.example/robot/send?access_token=AT\", "
                                        "target_secret: SEC}\n",
                                        "test"),
                     0);
    assert_string_equal(cfg->directory[0].target, "dingtalk");
    assert_string_equal(cfg->directory[0].target_secret, "SEC");
    out = open_memstream(&text, &len);
    config_print(cfg, out);
    fclose(out);
    assert_null(strstr(text, "access_token=AT"));
    assert_null(strstr(text, "SEC"));
    free(text);
    assert_int_equal(config_load_string(cfg,
                                        "directory:\n  - {department: heating, region: \"150123\", "
                                        "assignee: x, target: sms}\n",
                                        "test"),
                     -1);
    out = open_memstream(&text, &len);
    config_print_help(out);
    fclose(out);
    assert_non_null(strstr(text, "GRIDLINE_INTAKE_HTTP_PORT"));
    free(text);
    config_destroy(&cfg);
}

static void test_files(void **state)
{
    config_t *cfg = config_new();
    assert_int_equal(config_load_file(cfg, "/nonexistent/gridline.yaml"), -1);
    assert_non_null(strstr(config_errstr(cfg), "/nonexistent/gridline.yaml: No such file"));
    char path[] = "/tmp/gridline-config-XXXXXX";
    int fd = mkstemp(path);
    const char *yaml = "notifier:\n  timeout_ms: 1500\n";
    assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    assert_int_equal(config_load_file(cfg, path), 0);
    unlink(path);
    assert_int_equal(cfg->notifier_timeout_ms, 1500);
    /* the demo configuration that make run uses must load */
    assert_int_equal(config_load_file(cfg, "config/demo.yaml"), 0);
    assert_true(cfg->directory_count > 5);
    assert_int_equal(cfg->subscription_count, 2);
    config_destroy(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_nested_and_dotted),
        cmocka_unit_test(test_env_beats_file),
        cmocka_unit_test(test_errors_name_line_and_key),
        cmocka_unit_test(test_sections_replace_and_validate),
        cmocka_unit_test(test_subscription_names),
        cmocka_unit_test(test_all_errors_reported),
        cmocka_unit_test(test_ladder_rules_directory),
        cmocka_unit_test(test_working_day_clocks),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_references),
        cmocka_unit_test(test_slot_threads),
        cmocka_unit_test(test_rankings),
        cmocka_unit_test(test_set_print_and_help),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
