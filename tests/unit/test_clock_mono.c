/* clock_mono_us: the microsecond view of the monotonic clock agrees with clock_mono_ms. (The
 * wall clock, days and offsets are tested in test_event.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "clock.h"

static void test_mono_us_agrees_with_ms(void **state)
{
    int64_t ms_before = clock_mono_ms();
    int64_t us = clock_mono_us();
    int64_t ms_after = clock_mono_ms();
    assert_true(us / 1000 >= ms_before && us / 1000 <= ms_after);
    struct timespec pause = {.tv_nsec = 2 * 1000 * 1000};
    nanosleep(&pause, NULL);
    int64_t later = clock_mono_us();
    assert_true(later - us >= 2000);
    assert_true(later - us < 2 * 1000 * 1000); /* not seconds, on any machine that runs tests */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mono_us_agrees_with_ms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
