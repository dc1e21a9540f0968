/* stream: the live stream's pure parts: SSE framing, the client's filter, resumable ids, and
 * which events the stream carries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "notifier/stream.h"

static void test_frame(void **state)
{
    char buf[256];
    size_t n = stream_frame(buf, sizeof buf, "1700000000000-0", "assigned", "{\"a\":1}");
    const char *want = "id: 1700000000000-0\nevent: assigned\ndata: {\"a\":1}\n\n";
    assert_int_equal(n, strlen(want));
    assert_string_equal(buf, want);
    /* the length without a buffer, like snprintf */
    assert_int_equal(stream_frame(NULL, 0, "1700000000000-0", "assigned", "{\"a\":1}"), n);
}

static void test_frame_lines(void **state)
{
    char buf[256];
    stream_frame(buf, sizeof buf, "1-0", "escalated", "a\nb\r\nc\rd");
    assert_string_equal(buf, "id: 1-0\nevent: escalated\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
    /* CR and LF in id or event cannot start a field of their own */
    stream_frame(buf, sizeof buf, "1-0\ndata: x", "a\r\nb", "");
    assert_string_equal(buf, "id: 1-0data: x\nevent: ab\ndata: \n\n");
}

static void test_frame_short(void **state)
{
    char buf[16];
    size_t n = stream_frame(buf, sizeof buf, "1-0", "assigned", "{\"long\":\"enough\"}");
    assert_true(n >= sizeof buf);
    assert_int_equal(strlen(buf), sizeof buf - 1); /* cut and terminated, never overrun */
}

static void test_filter(void **state)
{
    stream_filter_t county = {"150123", GRIDLINE__LEVEL__LEVEL_GREEN};
    assert_true(stream_filter_passes(&county, "150123100001", "green"));
    assert_true(stream_filter_passes(&county, "150123100001", "red"));
    assert_false(stream_filter_passes(&county, "150203001015", "red"));
    assert_false(stream_filter_passes(&county, "1501", "red")); /* above the prefix */
    assert_false(stream_filter_passes(&county, NULL, "red"));
    assert_false(stream_filter_passes(&county, "150123100001", NULL));
    assert_false(stream_filter_passes(&county, "150123100001", "purple"));
    stream_filter_t yellow = {"", GRIDLINE__LEVEL__LEVEL_YELLOW};
    assert_false(stream_filter_passes(&yellow, "150123100001", "green"));
    assert_false(stream_filter_passes(&yellow, "150123100001", "blue"));
    assert_true(stream_filter_passes(&yellow, "150123100001", "yellow"));
    assert_true(stream_filter_passes(&yellow, "150203001015", "red"));
}

static void test_ids(void **state)
{
    assert_true(stream_id_valid("1700000000000-0"));
    assert_true(stream_id_valid("1700000000000-12"));
    assert_true(stream_id_valid("0"));
    assert_false(stream_id_valid(""));
    assert_false(stream_id_valid("-"));
    assert_false(stream_id_valid("1-"));
    assert_false(stream_id_valid("-1"));
    assert_false(stream_id_valid("$"));
    assert_false(stream_id_valid("+"));
    assert_false(stream_id_valid("1-0 x"));
    assert_false(stream_id_valid("1-0-0"));
    assert_false(stream_id_valid("123456789012345678901-0"));
}

static void test_carries(void **state)
{
    assert_true(stream_carries(GRIDLINE__EVENT_TYPE__EVENT_ASSIGNED));
    assert_true(stream_carries(GRIDLINE__EVENT_TYPE__EVENT_ESCALATED));
    assert_true(stream_carries(GRIDLINE__EVENT_TYPE__EVENT_REOPENED));
    assert_true(stream_carries(GRIDLINE__EVENT_TYPE__EVENT_REMINDED));
    assert_true(stream_carries(GRIDLINE__EVENT_TYPE__EVENT_TRANSFERRED));
    assert_false(stream_carries(GRIDLINE__EVENT_TYPE__EVENT_COLLECTED));
    assert_false(stream_carries(GRIDLINE__EVENT_TYPE__EVENT_RESOLVED));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame),       cmocka_unit_test(test_frame_lines),
        cmocka_unit_test(test_frame_short), cmocka_unit_test(test_filter),
        cmocka_unit_test(test_ids),         cmocka_unit_test(test_carries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
