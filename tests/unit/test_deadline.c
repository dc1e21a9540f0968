/* The clocks' Redis side (deadline.h: mark, due, lease, settle, full pass) and the API
 * directory (directory.h), against a real redis-server on a free port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "deadline.h"
#include "directory.h"
#include "redis_fixture.h"

#define C "150123"

static void s_appeal(const char *id, const char *status)
{
    redisReply *r = rconn_command(fixture_redis,
                                  "HSET appeal:{" C "}:%s seq 3 status %s level green "
                                  "region 150123100001",
                                  id, status);
    freeReplyObject(r);
}

static void test_mark_due_settle(void **state)
{
    fixture_do("FLUSHALL", NULL);
    deadline_due_t due;
    /* idle: nothing due, one call */
    assert_int_equal(deadline_due(fixture_redis, 1000, 64, &due), 0);
    assert_int_equal(due.count, 0);
    deadline_due_free(&due);
    /* a writer marks 150123 due at 500, later at 800 (LT keeps 500), gen counts both */
    assert_int_equal(deadline_mark(fixture_redis, C, 500), 0);
    assert_int_equal(deadline_mark(fixture_redis, C, 800), 0);
    assert_int_equal(fixture_int("ZSCORE {deadline}:index %s", C), 500);
    assert_int_equal(fixture_int("HGET {deadline}:gen %s", C), 2);
    assert_int_equal(deadline_due(fixture_redis, 1000, 64, &due), 0);
    assert_int_equal(due.count, 1);
    assert_string_equal(due.counties[0], C);
    assert_string_equal(due.gens[0], "2");
    /* a mark after the router read the index: the settle refuses, the county stays due */
    assert_int_equal(deadline_mark(fixture_redis, C, 900), 0);
    assert_int_equal(deadline_settle_append(fixture_redis, C, due.scores[0], due.gens[0], 5000), 0);
    redisReply *r = rconn_reply(fixture_redis);
    assert_int_equal(r->integer, 0);
    freeReplyObject(r);
    assert_int_equal(fixture_int("ZSCORE {deadline}:index %s", C), 500);
    deadline_due_free(&due);
    /* read again: now the settle moves the county to its next clock, or out when none */
    assert_int_equal(deadline_due(fixture_redis, 1000, 64, &due), 0);
    assert_int_equal(deadline_settle_append(fixture_redis, C, due.scores[0], due.gens[0], 5000), 0);
    r = rconn_reply(fixture_redis);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    assert_int_equal(fixture_int("ZSCORE {deadline}:index %s", C), 5000);
    deadline_due_free(&due);
    assert_int_equal(deadline_due(fixture_redis, 6000, 64, &due), 0);
    assert_int_equal(deadline_settle_append(fixture_redis, C, due.scores[0], due.gens[0], -1), 0);
    freeReplyObject(rconn_reply(fixture_redis));
    deadline_due_free(&due);
    assert_int_equal(fixture_int("ZCARD {deadline}:index", NULL), 0);
}

static void test_lease(void **state)
{
    fixture_do("FLUSHALL", NULL);
    const char *a = C "-20261125-000001", *b = C "-20261125-000002", *c = C "-20261125-000003";
    s_appeal(a, "assigned");
    s_appeal(b, "acknowledged");
    s_appeal(c, "resolved");
    redisReply *r = rconn_command(fixture_redis,
                                  "ZADD deadline:{" C "} 100 %s|ack 200 %s|resolve 150 %s|ack "
                                  "300 %s|resolve 120 %s|ack 9000 %s|resolve",
                                  a, a, b, b, c, c);
    freeReplyObject(r);
    assert_int_equal(deadline_lease_append(fixture_redis, C, 250, 5000, 100), 0);
    redisReply *reply;
    int64_t next;
    const char **members;
    const redisReply **states;
    long n = deadline_lease_read(fixture_redis, &reply, &next, &members, &states);
    /* a's two clocks are leased with a's state; b's ack clock (acknowledged) and c's (resolved)
     * are dropped; b's resolve clock is not due yet */
    assert_int_equal(n, 2);
    assert_string_equal(members[0], C "-20261125-000001|ack");
    assert_string_equal(members[1], C "-20261125-000001|resolve");
    assert_string_equal(states[0]->element[1]->str, "assigned");
    assert_int_equal(next, 300);
    free(members);
    free(states);
    freeReplyObject(reply);
    char member[64];
    snprintf(member, sizeof member, "%s|ack", a);
    assert_int_equal(fixture_int("ZSCORE deadline:{" C "} %s", member), 5000);
    snprintf(member, sizeof member, "%s|ack", b);
    assert_int_equal(fixture_int("ZSCORE deadline:{" C "} %s", member), -999);
    /* the full pass puts the county back into the index at its earliest clock */
    const char *counties[] = {C, "150102"};
    assert_int_equal(deadline_full_pass(fixture_redis, counties, 2), 1);
    assert_int_equal(fixture_int("ZSCORE {deadline}:index %s", C), 300);
}

static void test_directory(void **state)
{
    fixture_do("FLUSHALL", NULL);
    config_t *cfg = config_new();
    directory_t *dir = directory_new();
    assert_int_equal(directory_refresh(dir, fixture_redis), 0);
    size_t count = 9;
    directory_entries(dir, &count);
    assert_int_equal(count, 0);
    config_directory_entry_t e = {"heating", "blue", "150123", "村党支部", NULL, NULL, NULL};
    const char *field = NULL;
    assert_null(directory_check(cfg, &e, &field));
    char id[DIRECTORY_ID_MAX];
    assert_int_equal(directory_put(fixture_redis, &e, id), 0);
    assert_string_equal(id, "heating.blue.150123");
    /* the same triple replaces the entry */
    e.assignee = "新书记";
    assert_int_equal(directory_put(fixture_redis, &e, id), 0);
    assert_int_equal(directory_refresh(dir, fixture_redis), 0);
    const directory_entry_t *entries = directory_entries(dir, &count);
    assert_int_equal(count, 1);
    assert_string_equal(entries[0].entry.assignee, "新书记");
    assert_true(directory_overrides(dir, &e));
    assert_int_equal(directory_remove(fixture_redis, id), 1);
    assert_int_equal(directory_remove(fixture_redis, id), 0);
    assert_int_equal(directory_refresh(dir, fixture_redis), 0);
    directory_entries(dir, &count);
    assert_int_equal(count, 0);
    /* checks name the field */
    config_directory_entry_t bad = {"weather", "blue", "150123", "x", NULL, NULL, NULL};
    assert_non_null(directory_check(cfg, &bad, &field));
    assert_string_equal(field, "department");
    bad = (config_directory_entry_t){"*", "purple", "150123", "x", NULL, NULL, NULL};
    assert_non_null(directory_check(cfg, &bad, &field));
    assert_string_equal(field, "level");
    bad = (config_directory_entry_t){"water", "red", "15a", "x", NULL, NULL, NULL};
    assert_non_null(directory_check(cfg, &bad, &field));
    assert_string_equal(field, "department"); /* a category name is the API's to map */
    bad = (config_directory_entry_t){"water-supply", "red", "15", "a\tb", NULL, NULL, NULL};
    assert_non_null(directory_check(cfg, &bad, &field));
    assert_string_equal(field, "assignee");
    /* a target: stored with the entry, read back */
    e = (config_directory_entry_t){"heating",           "blue", "150123", "村党支部", "wecom",
                                   "https://x/y?key=K", "sk"};
    assert_null(directory_check(cfg, &e, &field));
    assert_int_equal(directory_put(fixture_redis, &e, id), 0);
    assert_int_equal(directory_refresh(dir, fixture_redis), 0);
    entries = directory_entries(dir, &count);
    assert_int_equal(count, 1);
    assert_string_equal(entries[0].entry.target, "wecom");
    assert_string_equal(entries[0].entry.target_url, "https://x/y?key=K");
    assert_string_equal(entries[0].entry.target_secret, "sk");
    assert_int_equal(directory_remove(fixture_redis, id), 1);
    bad = (config_directory_entry_t){"heating", "blue", "150123", "x", "sms", "http://a/b", NULL};
    assert_non_null(directory_check(cfg, &bad, &field));
    assert_string_equal(field, "target.type");
    bad = (config_directory_entry_t){"heating", "blue", "150123", "x", "wecom", "", NULL};
    assert_non_null(directory_check(cfg, &bad, &field));
    assert_string_equal(field, "target.url");
    directory_destroy(&dir);
    config_destroy(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mark_due_settle),
        cmocka_unit_test(test_lease),
        cmocka_unit_test(test_directory),
    };
    return cmocka_run_group_tests(tests, fixture_setup, fixture_teardown);
}
