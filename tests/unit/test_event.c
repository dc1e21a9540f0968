/* event + keys + clock: the wire envelope, key shapes and local days. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clock.h"
#include "event.h"
#include "keys.h"

static void test_names_round_trip(void **state)
{
    for (int t = 1; t <= 7; t++)
        assert_int_equal(event_type_parse(event_type_name((Gridline__EventType)t)), t);
    for (int l = 1; l <= 4; l++)
        assert_int_equal(event_level_parse(event_level_name((Gridline__Level)l)), l);
    assert_int_equal(event_type_parse("nope"), -1);
    assert_string_equal(event_level_name(GRIDLINE__LEVEL__LEVEL_RED), "red");
}

static uint8_t *s_sample(size_t *len)
{
    Gridline__Event e = GRIDLINE__EVENT__INIT;
    e.appeal_id = "150123-20261124-000042";
    e.seq = 2;
    e.type = GRIDLINE__EVENT_TYPE__EVENT_ASSIGNED;
    e.level = GRIDLINE__LEVEL__LEVEL_GREEN;
    e.assignee = "城关镇供热站 李明";
    e.region = "150123100001";
    return event_pack(&e, len);
}

static void test_envelope_wraps_packed_event(void **state)
{
    size_t blob_len = 0, len = 0;
    uint8_t *blob = s_sample(&blob_len);
    uint8_t *frame = event_envelope_wrap("notifier", "test-1", blob, blob_len, &len);
    char err[128];
    Gridline__Envelope *env = event_envelope_unwrap(frame, len, err, sizeof err);
    assert_non_null(env);
    assert_int_equal(env->version, EVENT_ENVELOPE_VERSION);
    assert_string_equal(env->hop, "notifier");
    assert_string_equal(env->event->appeal_id, "150123-20261124-000042");
    assert_int_equal(env->event->seq, 2);
    assert_string_equal(env->event->assignee, "城关镇供热站 李明");
    event_envelope_free(&env);
    assert_null(env);
    free(frame);
    free(blob);
}

static void test_envelope_refuses_newer_version_and_garbage(void **state)
{
    size_t blob_len = 0, len = 0;
    uint8_t *blob = s_sample(&blob_len);
    Gridline__Envelope env = GRIDLINE__ENVELOPE__INIT;
    env.version = EVENT_ENVELOPE_VERSION + 1;
    env.event = event_unpack(blob, blob_len);
    uint8_t buf[512];
    len = gridline__envelope__pack(&env, buf);
    char err[128];
    assert_null(event_envelope_unwrap(buf, len, err, sizeof err));
    assert_non_null(strstr(err, "version"));
    event_free(&env.event);
    assert_null(event_envelope_unwrap((const uint8_t *)"\xff\xff\xff", 3, err, sizeof err));
    free(blob);
}

static void test_unknown_fields_are_skipped(void **state)
{
    /* A newer sender adds field 99 (varint): an older receiver still reads the rest. */
    size_t blob_len = 0;
    uint8_t *blob = s_sample(&blob_len);
    uint8_t *longer = malloc(blob_len + 3);
    memcpy(longer, blob, blob_len);
    longer[blob_len] = 0x98; /* (99 << 3 | 0) = 792 as a varint: 0x98 0x06, then value 1 */
    longer[blob_len + 1] = 0x06;
    longer[blob_len + 2] = 0x01;
    Gridline__Event *e = event_unpack(longer, blob_len + 3);
    assert_non_null(e);
    assert_int_equal(e->seq, 2);
    event_free(&e);
    free(longer);
    free(blob);
}

static void test_keys_share_the_county_tag(void **state)
{
    char buf[KEYS_MAX];
    keys_appeal(buf, "150123", "150123-20261124-000042");
    assert_string_equal(buf, "appeal:{150123}:150123-20261124-000042");
    keys_outbox(buf, "150123", "router");
    assert_string_equal(buf, "outbox:{150123}:router");
    keys_stats(buf, "150123", "20261124", "150123100");
    assert_string_equal(buf, "stats:{150123}:20261124:150123100");
    char county[7];
    assert_int_equal(keys_county_of_id("150123-20261124-000042", county), 0);
    assert_string_equal(county, "150123");
    assert_int_equal(keys_county_of_id("15012-", county), -1);
    assert_int_equal(keys_check_id("150123-20261124-000042"), 0);
    assert_int_equal(keys_check_id("150123-20261124-1234567"), 0);
    assert_int_equal(keys_check_id("150123-2026112-000042"), -1);
    assert_int_equal(keys_check_id("150123-20261124-00004"), -1);
    assert_int_equal(keys_check_id("150123-20261124-000042x"), -1);
}

static void test_clock_local_day_is_china_time(void **state)
{
    char day[9], iso[40];
    /* 2026-11-24T16:30:00Z is 2026-11-25 00:30 in +08:00 */
    int64_t t = 1795537800000LL;
    clock_set_tz_offset_min(480);
    clock_day(t, day);
    assert_string_equal(day, "20261125");
    clock_iso(t, iso);
    assert_string_equal(iso, "2026-11-25T00:30:00.000+08:00");
    clock_set_tz_offset_min(0);
    clock_day(t, day);
    assert_string_equal(day, "20261124");
    clock_set_tz_offset_min(480);
    clock_freeze(t);
    assert_int_equal(clock_wall_ms(), t);
    clock_freeze(0);
    int64_t before = clock_wall_ms();
    clock_set_offset_ms(3600000);
    assert_true(clock_wall_ms() - before >= 3600000);
    clock_set_offset_ms(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_round_trip),
        cmocka_unit_test(test_envelope_wraps_packed_event),
        cmocka_unit_test(test_envelope_refuses_newer_version_and_garbage),
        cmocka_unit_test(test_unknown_fields_are_skipped),
        cmocka_unit_test(test_keys_share_the_county_tag),
        cmocka_unit_test(test_clock_local_day_is_china_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
