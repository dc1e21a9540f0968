/* batch: how an NDJSON body is split into numbered lines, each checked like a single appeal
 * (plus a required external_id), and how the answer lines read. No Redis. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "config_fixture.h"
#include "intake/batch.h"
#include "region.h"

typedef config_fixture_t s_fixture_t;

static batch_t *s_parse(void **state, const char *body, size_t max_lines, rules_error_t *err)
{
    s_fixture_t *f = *state;
    return batch_parse(body, strlen(body), max_lines, f->regions, f->config, err);
}

#define GOOD(ext)                                                                                  \
    "{\"channel\":\"wechat\",\"region\":\"150123100001\",\"category\":\"heating\","                \
    "\"description\":\"暖气不热\",\"external_id\":\"" ext "\"}"

static void test_lines_are_numbered_and_checked(void **state)
{
    /* physical lines 1..7, joined by LF (line 4 ends in CRLF, line 7 has no LF) */
    static const char *const lines[] = {
        GOOD("a"),       /* 1 */
        "",              /* 2: blank, no answer */
        "{\"channel\":", /* 3: bad JSON */
        GOOD("b") "\r",  /* 4: CRLF */
        " \t\r",         /* 5: blank */
        "{\"channel\":\"wechat\",\"region\":\"150123100001\",\"category\":\"heating\","
        "\"description\":\"x\"}", /* 6: no external_id */
        GOOD("c"),                /* 7 */
    };
    char body[2048] = "";
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        strcat(body, lines[i]);
        if (i + 1 < sizeof lines / sizeof lines[0])
            strcat(body, "\n");
    }
    rules_error_t err;
    batch_t *b = s_parse(state, body, 10, &err);
    assert_non_null(b);
    assert_int_equal(b->count, 5);
    size_t numbers[] = {1, 3, 4, 6, 7};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(b->lines[i].line, numbers[i]);
    assert_non_null(b->lines[0].sub);
    assert_string_equal(submission_appeal(b->lines[0].sub)->external_id, "a");
    assert_null(b->lines[1].sub);
    assert_string_equal(b->lines[1].err.code, "bad_json");
    assert_non_null(b->lines[2].sub);
    assert_string_equal(submission_appeal(b->lines[2].sub)->external_id, "b");
    assert_null(b->lines[3].sub);
    assert_string_equal(b->lines[3].err.code, "missing");
    assert_string_equal(b->lines[3].err.field, "external_id");
    assert_non_null(b->lines[4].sub);
    batch_destroy(&b);
    assert_null(b);
}

static void test_limits_and_edges(void **state)
{
    rules_error_t err;
    /* the limit counts appeals, not blank lines */
    batch_t *b = s_parse(state, "\n\n" GOOD("a") "\n\n" GOOD("b") "\n\n", 2, &err);
    assert_non_null(b);
    assert_int_equal(b->count, 2);
    assert_int_equal(b->lines[1].line, 5);
    batch_destroy(&b);
    b = s_parse(state, GOOD("a") "\n" GOOD("b") "\n" GOOD("c") "\n", 2, &err);
    assert_null(b);
    assert_int_equal(err.status, 413);
    assert_string_equal(err.code, "too_large");
    /* empty and blank-only bodies: no appeals, no answers */
    b = s_parse(state, "", 2, &err);
    assert_non_null(b);
    assert_int_equal(b->count, 0);
    batch_destroy(&b);
    b = s_parse(state, "\r\n \n", 2, &err);
    assert_non_null(b);
    assert_int_equal(b->count, 0);
    batch_destroy(&b);
    /* a NUL inside a line is that line's error, not the end of the body */
    s_fixture_t *f = *state;
    static const char nul[] = GOOD("a") "\n{\0}\n" GOOD("b");
    b = batch_parse(nul, sizeof nul - 1, 10, f->regions, f->config, &err);
    assert_non_null(b);
    assert_int_equal(b->count, 3);
    assert_null(b->lines[1].sub);
    assert_non_null(b->lines[2].sub);
    assert_int_equal(b->lines[2].line, 3);
    batch_destroy(&b);
}

static void test_answer_lines(void **state)
{
    jsonbuf_t out;
    jsonbuf_init(&out);
    batch_answer_id(&out, 3, "150123-20261124-000042", "created");
    rules_error_t err;
    rules_fail(&err, 400, "missing", "external_id", "external_id \"is\" required");
    batch_answer_error(&out, 4, &err);
    rules_fail(&err, 503, "unavailable", NULL, "redis down");
    batch_answer_error(&out, 5, &err);
    assert_string_equal(
        out.data,
        "{\"line\":3,\"id\":\"150123-20261124-000042\",\"result\":\"created\"}\n"
        "{\"line\":4,\"error\":{\"code\":\"missing\",\"field\":\"external_id\","
        "\"message\":\"external_id \\\"is\\\" required\"}}\n"
        "{\"line\":5,\"error\":{\"code\":\"unavailable\",\"field\":null,\"message\":\"redis "
        "down\"}}\n");
    jsonbuf_release(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines_are_numbered_and_checked),
        cmocka_unit_test(test_limits_and_edges),
        cmocka_unit_test(test_answer_lines),
    };
    return cmocka_run_group_tests(tests, config_fixture_regions_setup,
                                  config_fixture_regions_teardown);
}
