/* scripts + rconn + outbox against a real redis-server on a free port: the exactly-once
 * rules of every hop live in these Lua steps, so they are tested where they run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "event.h"
#include "keys.h"
#include "outbox.h"
#include "rconn.h"
#include "scripts.h"

extern char **environ;
static pid_t s_redis_pid;
static int s_port;
static rconn_t *s_redis;

static int s_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(fd, (struct sockaddr *)&addr, sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd, (struct sockaddr *)&addr, &len);
    close(fd);
    return ntohs(addr.sin_port);
}

static void s_spawn_redis(void);

static int s_setup(void **state)
{
    s_port = s_free_port();
    s_spawn_redis();
    s_redis = rconn_new("127.0.0.1", s_port, NULL, 2000);
    rconn_set_scripts(s_redis, scripts_all);
    for (int i = 0; i < 100; i++) {
        if (rconn_ensure(s_redis) == 0)
            return 0;
        usleep(50000);
    }
    return -1;
}

static int s_teardown(void **state)
{
    rconn_destroy(&s_redis);
    kill(s_redis_pid, SIGKILL);
    waitpid(s_redis_pid, NULL, 0);
    return 0;
}

static redisReply *s_cmd(const char *fmt, const char *arg)
{
    redisReply *r = rconn_command(s_redis, fmt, arg);
    assert_non_null(r);
    return r;
}

static long long s_int(const char *fmt, const char *arg)
{
    redisReply *r = s_cmd(fmt, arg);
    long long v = r->type == REDIS_REPLY_INTEGER  ? r->integer
                  : r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10)
                                                  : -999;
    freeReplyObject(r);
    return v;
}

/* appeal_create with optional idempotency key and external id; returns the reply. */
static redisReply *s_create(const char *idem, const char *fingerprint, const char *ext)
{
    Gridline__Event e = GRIDLINE__EVENT__INIT;
    e.seq = 1;
    e.type = GRIDLINE__EVENT_TYPE__EVENT_COLLECTED;
    e.region = "150123100001";
    size_t len = 0;
    uint8_t *blob = event_pack(&e, &len);
    char seq[KEYS_MAX], ikey[KEYS_MAX], xkey[KEYS_MAX], o1[KEYS_MAX], o2[KEYS_MAX];
    keys_seq(seq, "150123", "20261124");
    keys_idem(ikey, "150123", idem ? idem : "");
    keys_ext(xkey, "150123", "hotline", ext ? ext : "");
    keys_outbox(o1, "150123", "router");
    keys_outbox(o2, "150123", "aggregator");
    const char *args[] = {seq,
                          idem ? ikey : seq,
                          ext ? xkey : seq,
                          o1,
                          o2,
                          "150123",
                          "150123-20261124-",
                          idem ? "1" : "0",
                          fingerprint ? fingerprint : "",
                          "60",
                          ext ? "1" : "0",
                          "1000",
                          (const char *)blob,
                          "status",
                          "collected"};
    size_t lens[15];
    for (int i = 0; i < 15; i++) /* the event blob is binary, not NUL-terminated */
        lens[i] = i == 12 ? len : strlen(args[i]);
    redisReply *r = rconn_eval(s_redis, &scripts_appeal_create, 5, 15, args, lens);
    free(blob);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    return r;
}

static void test_create_stores_appeal_event_and_outboxes(void **state)
{
    redisReply *r = s_create(NULL, NULL, NULL);
    assert_int_equal(r->element[0]->integer, 1);
    assert_string_equal(r->element[1]->str, "150123-20261124-000001");
    freeReplyObject(r);
    assert_int_equal(s_int("HGET appeal:{150123}:%s seq", "150123-20261124-000001"), 1);
    assert_int_equal(s_int("ZCARD %s", "outbox:{150123}:router"), 1);
    assert_int_equal(s_int("ZCARD %s", "outbox:{150123}:aggregator"), 1);
    /* the script wrote the id into the stored event */
    r = s_cmd("LINDEX events:{150123}:%s 0", "150123-20261124-000001");
    Gridline__Event *e = event_unpack((const uint8_t *)r->str, r->len);
    assert_non_null(e);
    assert_string_equal(e->appeal_id, "150123-20261124-000001");
    assert_string_equal(e->region, "150123100001");
    event_free(&e);
    freeReplyObject(r);
}

static void test_create_idempotent_and_external_id(void **state)
{
    redisReply *r = s_create("key-1", "fp-a", NULL);
    assert_int_equal(r->element[0]->integer, 1);
    char id[64];
    snprintf(id, sizeof id, "%s", r->element[1]->str);
    freeReplyObject(r);
    r = s_create("key-1", "fp-b", NULL);
    assert_int_equal(r->element[0]->integer, 2);
    char expect[96];
    snprintf(expect, sizeof expect, "%s|fp-a", id);
    assert_string_equal(r->element[1]->str, expect);
    freeReplyObject(r);
    assert_true(s_int("TTL %s", "idem:{150123}:key-1") > 0);

    r = s_create(NULL, NULL, "12345-1");
    assert_int_equal(r->element[0]->integer, 1);
    snprintf(id, sizeof id, "%s", r->element[1]->str);
    freeReplyObject(r);
    long long seq_before = s_int("GET %s", "seq:{150123}:20261124");
    r = s_create(NULL, NULL, "12345-1");
    assert_int_equal(r->element[0]->integer, 3);
    assert_string_equal(r->element[1]->str, id);
    freeReplyObject(r);
    assert_int_equal(s_int("GET %s", "seq:{150123}:20261124"), seq_before);
}

static redisReply *s_advance(const char *id, const char *member, const char *expected)
{
    char akey[KEYS_MAX], ekey[KEYS_MAX], from[KEYS_MAX], dkey[KEYS_MAX], to[KEYS_MAX];
    keys_appeal(akey, "150123", id);
    keys_events(ekey, "150123", id);
    keys_outbox(from, "150123", "router");
    keys_deadline(dkey, "150123");
    keys_outbox(to, "150123", "notifier");
    const char *args[] = {akey,     ekey,   from,   dkey,   to,       id,        member,
                          expected, "blob", "2000", "5000", "status", "assigned"};
    redisReply *r = rconn_eval(s_redis, &scripts_appeal_advance, 5, 13, args, NULL);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    return r;
}

static void test_advance_applies_once(void **state)
{
    const char *id = "150123-20261124-000001", *member = "150123-20261124-000001:1";
    redisReply *r = s_advance(id, member, "1");
    assert_int_equal(r->element[0]->integer, 1);
    assert_int_equal(r->element[1]->integer, 2);
    freeReplyObject(r);
    r = s_advance(id, member, "1"); /* a second copy of the same event */
    assert_int_equal(r->element[0]->integer, 0);
    freeReplyObject(r);
    assert_int_equal(s_int("LLEN events:{150123}:%s", id), 2);
    assert_int_equal(s_int("ZSCORE deadline:{150123} %s", id), 5000);
    assert_int_equal(s_int("ZSCORE outbox:{150123}:notifier %s", "150123-20261124-000001:2"), 2000);
    r = s_advance(id, "", "1"); /* no trigger, stale seq */
    assert_int_equal(r->element[0]->integer, -1);
    assert_int_equal(r->element[1]->integer, 2);
    freeReplyObject(r);
    r = s_advance("150123-20261124-999999", "", "1");
    assert_int_equal(r->element[0]->integer, -2);
    freeReplyObject(r);
}

static int s_sent;
static char s_last_member[128];
static void s_count_send(void *arg, const char *hop, const char *member, const uint8_t *blob,
                         size_t len)
{
    s_sent++;
    snprintf(s_last_member, sizeof s_last_member, "%s", member);
}

static void test_outbox_sweep_leases(void **state)
{
    const char *counties[] = {"150102", "150123"};
    s_sent = 0;
    /* The router outbox entries of earlier tests are due at 1000 ms. */
    int n = outbox_sweep(s_redis, counties, 2, "aggregator", 1500, 10000, 100, s_count_send, NULL);
    assert_true(n >= 1);
    assert_int_equal(n, s_sent);
    /* leased: not due again until 11500 */
    s_sent = 0;
    assert_int_equal(
        outbox_sweep(s_redis, counties, 2, "aggregator", 2000, 10000, 100, s_count_send, NULL), 0);
    assert_int_equal(
        outbox_sweep(s_redis, counties, 2, "aggregator", 11500, 10000, 100, s_count_send, NULL), n);
    /* an entry whose event is gone is dropped, not sent */
    freeReplyObject(
        rconn_command(s_redis, "ZADD outbox:{150123}:router 1 150123-20261124-777777:1"));
    s_sent = 0;
    outbox_sweep(s_redis, counties, 2, "router", 1500, 10000, 100, s_count_send, NULL);
    assert_int_equal(s_int("ZSCORE outbox:{150123}:router %s", "150123-20261124-777777:1"), -999);
}

static long long s_stats_apply(const char *member, const char *member2)
{
    const char *args[] = {"outbox:{150123}:aggregator",
                          member2 ? "2" : "1",
                          member,
                          "1",
                          "stats:{150123}:20261124:150123",
                          "appeals",
                          member2 ? member2 : "",
                          "1",
                          "stats:{150123}:20261124:150123",
                          "appeals"};
    redisReply *r = rconn_eval(s_redis, &scripts_stats_apply, 1, member2 ? 10 : 6, args, NULL);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

static void test_stats_count_once(void **state)
{
    freeReplyObject(rconn_command(s_redis, "DEL stats:{150123}:20261124:150123"));
    freeReplyObject(rconn_command(s_redis, "ZADD outbox:{150123}:aggregator 1 A:1 1 B:1"));
    /* the same event twice in one batch, then again in a later batch */
    assert_int_equal(s_stats_apply("A:1", "A:1"), 1);
    assert_int_equal(s_stats_apply("A:1", NULL), 0);
    assert_int_equal(s_stats_apply("B:1", NULL), 1);
    assert_int_equal(s_int("HGET %s appeals", "stats:{150123}:20261124:150123"), 2);
}

static void test_notify_accept_once(void **state)
{
    freeReplyObject(rconn_command(s_redis, "ZADD outbox:{150123}:notifier 1 N:2"));
    const char *args[] = {"outbox:{150123}:notifier",
                          "delivery:{150123}",
                          "delivery:{150123}:body",
                          "N:2",
                          "9000",
                          "N:2|sub",
                          "{}"};
    for (int round = 0; round < 2; round++) {
        redisReply *r = rconn_eval(s_redis, &scripts_notify_accept, 3, 7, args, NULL);
        assert_int_equal(r->integer, round == 0 ? 1 : 0);
        freeReplyObject(r);
    }
    assert_int_equal(s_int("ZSCORE delivery:{150123} %s", "N:2|sub"), 9000);
    const char *done[] = {"delivery:{150123}", "delivery:{150123}:body", "N:2|sub"};
    redisReply *r = rconn_eval(s_redis, &scripts_delivery_done, 2, 3, done, NULL);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    assert_int_equal(s_int("HLEN %s", "delivery:{150123}:body"), 0);
}

static void test_scripts_survive_script_flush(void **state)
{
    freeReplyObject(rconn_command(s_redis, "SCRIPT FLUSH"));
    freeReplyObject(rconn_command(s_redis, "ZADD outbox:{150123}:aggregator 1 C:1"));
    assert_int_equal(s_stats_apply("C:1", NULL), 1); /* NOSCRIPT -> EVAL fallback */
}

static void s_spawn_redis(void)
{
    char port[16];
    snprintf(port, sizeof port, "%d", s_port);
    char *argv[] = {"redis-server", "--port",    port,           "--bind", "127.0.0.1",
                    "--save",       "",          "--appendonly", "no",     "--loglevel",
                    "warning",      "--logfile", "/dev/null",    NULL};
    assert_int_equal(posix_spawnp(&s_redis_pid, "redis-server", NULL, NULL, argv, environ), 0);
}

/* The connections of several threads share the scripts' SHAs (intake: one per HTTP worker): a
 * connect in one thread writes them (SCRIPT LOAD) while another sends EVALSHA. A data race
 * until they were guarded; make test SAN=thread checks this. */
static void *s_eval_loop(void *arg)
{
    rconn_t *c = rconn_new("127.0.0.1", s_port, NULL, 2000);
    rconn_set_scripts(c, scripts_all);
    const char *done[] = {"delivery:{150123}", "delivery:{150123}:body", "none"};
    intptr_t ok = 0;
    for (int i = 0; i < 200; i++) {
        redisReply *r = rconn_eval(c, &scripts_delivery_done, 2, 3, done, NULL);
        ok += r && r->type == REDIS_REPLY_INTEGER;
        freeReplyObject(r);
    }
    rconn_destroy(&c);
    return (void *)ok;
}

static void test_threads_share_scripts(void **state)
{
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, s_eval_loop, NULL), 0);
    for (int i = 0; i < 20; i++) {
        rconn_t *c = rconn_new("127.0.0.1", s_port, NULL, 2000);
        rconn_set_scripts(c, scripts_all);
        assert_int_equal(rconn_ensure(c), 0);
        rconn_destroy(&c);
    }
    void *ok;
    assert_int_equal(pthread_join(thread, &ok), 0);
    assert_int_equal((intptr_t)ok, 200);
}

static void test_rconn_reports_and_recovers(void **state)
{
    kill(s_redis_pid, SIGKILL);
    waitpid(s_redis_pid, NULL, 0);
    assert_null(rconn_command(s_redis, "PING"));
    assert_false(rconn_is_up(s_redis));
    char expect[64];
    snprintf(expect, sizeof expect, "redis unreachable at 127.0.0.1:%d", s_port);
    assert_non_null(strstr(rconn_errstr(s_redis), expect));
    s_spawn_redis();
    int tries = 0;
    while (rconn_ensure(s_redis) != 0 && tries++ < 100)
        usleep(50000);
    assert_true(rconn_is_up(s_redis));
    /* scripts were loaded again on the new server */
    freeReplyObject(rconn_command(s_redis, "ZADD outbox:{150123}:aggregator 1 D:1"));
    assert_int_equal(s_stats_apply("D:1", NULL), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_stores_appeal_event_and_outboxes),
        cmocka_unit_test(test_create_idempotent_and_external_id),
        cmocka_unit_test(test_advance_applies_once),
        cmocka_unit_test(test_outbox_sweep_leases),
        cmocka_unit_test(test_stats_count_once),
        cmocka_unit_test(test_notify_accept_once),
        cmocka_unit_test(test_scripts_survive_script_flush),
        cmocka_unit_test(test_threads_share_scripts),
        cmocka_unit_test(test_rconn_reports_and_recovers),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
