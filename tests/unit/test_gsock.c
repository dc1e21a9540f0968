/* gsock: PUSH -> PULL over real TCP on loopback; a send with no receiver never blocks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <zmq.h>

#include "clock.h"
#include "log.h"
#include "gsock.h"

static void test_push_pull_round_trip(void **state)
{
    void *pull = gsock_pull_new("tcp://127.0.0.1:*", 1 << 20);
    assert_non_null(pull);
    char endpoint[128];
    size_t len = sizeof endpoint;
    zmq_getsockopt(pull, ZMQ_LAST_ENDPOINT, endpoint, &len);
    void *push = gsock_push_new(endpoint); /* waits for the connection */
    assert_non_null(push);
    assert_int_equal(gsock_send(push, "hello", 5), 0);
    char buf[16] = "";
    zmq_pollitem_t item = {.socket = pull, .events = ZMQ_POLLIN};
    assert_int_equal(zmq_poll(&item, 1, 2000), 1);
    assert_int_equal(zmq_recv(pull, buf, sizeof buf, 0), 5);
    assert_memory_equal(buf, "hello", 5);
    gsock_destroy(&push);
    gsock_destroy(&pull);
    assert_null(push);
}

static void test_no_receiver_fails_fast(void **state)
{
    /* Nobody listens there: the send must fail at once (EAGAIN), not queue or block. */
    void *push = gsock_push_new("tcp://127.0.0.1:9");
    assert_non_null(push);
    int64_t start = clock_mono_ms();
    assert_int_equal(gsock_send(push, "x", 1), -1);
    assert_int_equal(errno, EAGAIN);
    assert_true(clock_mono_ms() - start < 100);
    gsock_destroy(&push);
}

static void test_bad_endpoints(void **state)
{
    log_set_level(LOG_ERROR + 1); /* quiet: the failures are the point */
    assert_null(gsock_pull_new("nonsense://x", 1 << 20));
    assert_null(gsock_push_new("tcp://127.0.0.1:1,bogus"));
    void *pull = gsock_pull_new("tcp://127.0.0.1:*", 1 << 20);
    char endpoint[128];
    size_t len = sizeof endpoint;
    zmq_getsockopt(pull, ZMQ_LAST_ENDPOINT, endpoint, &len);
    assert_null(gsock_pull_new(endpoint, 1 << 20)); /* already bound */
    gsock_destroy(&pull);
    log_set_level(LOG_INFO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_pull_round_trip),
        cmocka_unit_test(test_no_receiver_fails_fast),
        cmocka_unit_test(test_bad_endpoints),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    gsock_context_term();
    return rc;
}
