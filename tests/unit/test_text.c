/* utf8 + jsonbuf: validation and escaping that every error message and log line relies on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jsonbuf.h"
#include "utf8.h"

static void test_utf8_accepts_chinese_and_ascii(void **state)
{
    const char *text = "暖气不热, room 12°C 😀";
    assert_true(utf8_valid(text, strlen(text)));
    assert_int_equal(utf8_count("暖气不热"), 4);
}

static void test_utf8_rejects_malformed(void **state)
{
    assert_false(utf8_valid("\xff", 1));             /* never valid */
    assert_false(utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    assert_false(utf8_valid("\xe6\x9a", 2));         /* truncated */
    assert_false(utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    assert_false(utf8_valid("a\0b", 3));             /* embedded NUL */
    assert_true(utf8_valid("", 0));
}

static void test_jsonbuf_escapes(void **state)
{
    jsonbuf_t jb;
    jsonbuf_init(&jb);
    jsonbuf_string(&jb, "a\"b\\c\n\x01暖");
    assert_string_equal(jb.data, "\"a\\\"b\\\\c\\n\\u0001暖\"");
    jsonbuf_release(&jb);
}

static void test_jsonbuf_replaces_bad_bytes(void **state)
{
    jsonbuf_t jb;
    jsonbuf_init(&jb);
    jsonbuf_string(&jb, "x\xffy");
    assert_string_equal(jb.data, "\"x\xEF\xBF\xBDy\"");
    size_t len = 0;
    char *text = jsonbuf_take(&jb, &len);
    assert_int_equal(len, strlen(text));
    free(text);
    assert_null(jb.data);
}

static void test_jsonbuf_grows(void **state)
{
    jsonbuf_t jb;
    jsonbuf_init(&jb);
    for (int i = 0; i < 1000; i++)
        jsonbuf_appendf(&jb, "%04d,", i);
    assert_int_equal(jb.len, 5000);
    assert_memory_equal(jb.data + 4995, "0999,", 5);
    jsonbuf_release(&jb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_accepts_chinese_and_ascii),
        cmocka_unit_test(test_utf8_rejects_malformed),
        cmocka_unit_test(test_jsonbuf_escapes),
        cmocka_unit_test(test_jsonbuf_replaces_bad_bytes),
        cmocka_unit_test(test_jsonbuf_grows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
