/* submission: what intake accepts, and the error (status, code, field) for what it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "config_fixture.h"
#include "intake/submission.h"
#include "region.h"

typedef config_fixture_t s_fixture_t;

static submission_t *s_parse(void **state, const char *body, submission_error_t *err)
{
    s_fixture_t *f = *state;
    return submission_parse(body, strlen(body), f->regions, f->config, err);
}

static void test_valid_appeal(void **state)
{
    submission_error_t err;
    submission_t *sub = s_parse(
        state,
        "{\"channel\":\"hotline\",\"region\":\"15012310000102\",\"category\":\"heating\","
        "\"description\":\"家里暖气不热，室温只有12度，老人孩子都冻感冒了\",\"reporter\":\"138****"
        "1234\","
        "\"location\":{\"lat\":40.38,\"lon\":111.82,\"address\":\"城关镇\"},"
        "\"external_id\":\"12345-20261124-0042\",\"occurred_at\":\"2026-11-24T08:30:00+08:00\"}",
        &err);
    assert_non_null(sub);
    Gridline__Appeal *a = submission_appeal(sub);
    assert_string_equal(a->channel, "hotline");
    assert_string_equal(a->region, "15012310000102");
    assert_string_equal(a->grid, "02");
    assert_string_equal(a->title,
                        "家里暖气不热，室温只有12度，老人孩子都冻感冒了"); /* <= 30 chars */
    assert_int_equal(a->occurred_at_ms, 1795480200000LL);
    assert_non_null(a->location);
    assert_string_equal(submission_village(sub)->code, "150123100001");
    submission_destroy(&sub);
    assert_null(sub);
}

static void s_expect(void **state, const char *body, int status, const char *code,
                     const char *field)
{
    submission_error_t err;
    submission_t *sub = s_parse(state, body, &err);
    assert_null(sub);
    assert_int_equal(err.status, status);
    assert_string_equal(err.code, code);
    assert_string_equal(err.field, field);
    assert_true(strlen(err.message) > 0);
}

#define BASE "\"channel\":\"hotline\",\"region\":\"150123100001\",\"category\":\"heating\""

static void test_refusals_name_the_field(void **state)
{
    s_expect(state, "{", 400, "bad_json", "body");
    s_expect(state, "[]", 400, "bad_json", "body");
    s_expect(state, "{\"channel\":\"hotline\",\"channel\":\"web\"}", 400, "bad_json", "body");
    s_expect(state, "{" BASE ",\"description\":\"\xc3\x28\"}", 400, "bad_utf8", "body");
    s_expect(state, "{" BASE "}", 400, "missing", "description");
    s_expect(state, "{" BASE ",\"description\":\"\"}", 400, "missing", "description");
    s_expect(state, "{" BASE ",\"description\":1}", 400, "invalid", "description");
    s_expect(state, "{" BASE ",\"description\":\"x\",\"extra\":1}", 400, "unknown_field", "extra");
    s_expect(state,
             "{\"channel\":\"fax\",\"region\":\"150123100001\",\"category\":\"heating\","
             "\"description\":\"x\"}",
             400, "unknown_channel", "channel");
    s_expect(state,
             "{\"channel\":\"web\",\"region\":\"150123100999\",\"category\":\"heating\","
             "\"description\":\"x\"}",
             400, "unknown_region", "region");
    s_expect(state,
             "{\"channel\":\"web\",\"region\":\"15012310000100\",\"category\":\"heating\","
             "\"description\":\"x\"}",
             400, "unknown_region", "region");
    s_expect(state,
             "{\"channel\":\"web\",\"region\":\"150123100001\",\"category\":\"snow\","
             "\"description\":\"x\"}",
             400, "unknown_category", "category");
    s_expect(state, "{" BASE ",\"description\":\"x\",\"external_id\":\"a b\"}", 400, "invalid",
             "external_id");
    s_expect(state, "{" BASE ",\"description\":\"x\",\"occurred_at\":\"2026-11-24\"}", 400,
             "invalid", "occurred_at");
    s_expect(state, "{" BASE ",\"description\":\"x\",\"location\":{\"lat\":1}}", 400, "invalid",
             "location.lon");
    s_expect(state, "{" BASE ",\"description\":\"x\",\"location\":{\"lat\":1,\"lon\":200}}", 400,
             "invalid", "location.lon");
    s_expect(state, "{" BASE ",\"description\":\"x\",\"location\":{\"alt\":1}}", 400,
             "unknown_field", "location");
    s_expect(state, "{" BASE ",\"description\":\"x\",\"media_urls\":[\"ftp://a/b\"]}", 400,
             "invalid", "media_urls[0]");
    s_expect(state, "{" BASE ",\"description\":\"x\",\"media_urls\":[\"http://a/\",2]}", 400,
             "invalid", "media_urls[1]");
    s_expect(state, "{" BASE ",\"description\":\"x\",\"media_urls\":{}}", 400, "invalid",
             "media_urls");
}

static void test_media_urls(void **state)
{
    submission_error_t err;
    submission_t *sub =
        s_parse(state,
                "{" BASE ",\"description\":\"x\",\"media_urls\":[\"https://img.example/1.jpg\","
                "\"http://v.example/a.mp4?t=1\"]}",
                &err);
    assert_non_null(sub);
    Gridline__Appeal *a = submission_appeal(sub);
    assert_int_equal(a->n_media_urls, 2);
    assert_string_equal(a->media_urls[1], "http://v.example/a.mp4?t=1");
    submission_destroy(&sub);
}

static void test_description_length_counts_characters(void **state)
{
    /* 4000 Chinese characters (12000 bytes) are fine; 4001 are not. */
    char *body = malloc(13000);
    for (int n = 4000; n <= 4001; n++) {
        strcpy(body, "{" BASE ",\"description\":\"");
        for (int i = 0; i < n; i++)
            strcat(body, "暖");
        strcat(body, "\"}");
        submission_error_t err;
        submission_t *sub = s_parse(state, body, &err);
        if (n == 4000) {
            assert_non_null(sub);
        } else {
            assert_null(sub);
            assert_string_equal(err.field, "description");
        }
        submission_destroy(&sub);
    }
    free(body);
}

static void test_helpers(void **state)
{
    int64_t ms;
    assert_int_equal(submission_parse_time("2026-11-24T00:30:00Z", &ms), 0);
    assert_int_equal(ms, 1795480200000LL); /* the same instant as 08:30 +08:00 */
    assert_int_equal(submission_parse_time("2026-11-24T08:30:00.5+08:00", &ms), 0);
    assert_int_equal(ms, 1795480200500LL);
    assert_int_equal(submission_parse_time("2026-11-24T08:30:00", &ms), -1);
    /* found by make fuzz: sscanf's %d took spaces and signs where digits belong */
    assert_int_equal(submission_parse_time("2026-11-24T 8:30:00.5+08:00", &ms), -1);
    assert_int_equal(submission_parse_time("2026-11-24T-1:-1:-1Z", &ms), -1);
    assert_int_equal(submission_parse_time("+026-11-24T08:30:00Z", &ms), -1);
    assert_int_equal(submission_parse_time("2026-11-24T08:30:00+-1:-1", &ms), -1);
    assert_int_equal(submission_parse_time("2026-11-24T08:30:00+ 8:00", &ms), -1);
    assert_int_equal(submission_check_idempotency_key("abc-123"), 0);
    assert_int_equal(submission_check_idempotency_key(""), -1);
    assert_int_equal(submission_check_idempotency_key("a b"), -1);
    char a[17], b[17];
    submission_fingerprint("x", 1, a);
    submission_fingerprint("y", 1, b);
    assert_int_equal(strlen(a), 16);
    assert_string_not_equal(a, b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_appeal),
        cmocka_unit_test(test_refusals_name_the_field),
        cmocka_unit_test(test_description_length_counts_characters),
        cmocka_unit_test(test_helpers),
        cmocka_unit_test(test_media_urls),
    };
    return cmocka_run_group_tests(tests, config_fixture_regions_setup,
                                  config_fixture_regions_teardown);
}
