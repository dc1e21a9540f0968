/* config: defaults, YAML (nested and dotted), environment overrides, sections, and errors that
 * name origin, line and key. */
#include <setjmp.h>
#include <stdarg.h>
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
    assert_int_equal(cfg->category_count, 15);
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
        cmocka_unit_test(test_set_print_and_help),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
