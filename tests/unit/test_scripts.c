/* The Lua steps of every hop, through their typed calls (appeal.h, outbox.h, pending.h), and
 * rconn, against a real redis-server on a free port: the exactly-once rules live in these
 * steps, so they are tested where they run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <zmq.h>

#include "appeal.h"
#include "config.h"
#include "event.h"
#include "gsock.h"
#include "keys.h"
#include "outbox.h"
#include "pending.h"
#include "redis_fixture.h"

#define C "150123"
#define DAY_MS 1795536000000LL /* 2026-11-24 16:00 UTC = 2026-11-25 00:00 local */

static config_t *s_config;
static outbox_t *s_to_router, *s_to_aggregator, *s_to_notifier;
static void *s_router_pull; /* a receiver for the router hop, so sends go somewhere */

static int s_setup(void **state)
{
    if (fixture_setup(state) != 0)
        return -1;
    s_config = config_new();
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", fixture_free_port());
    config_set(s_config, "router.endpoint", endpoint);
    s_router_pull = gsock_pull_new(endpoint, 1 << 20);
    s_to_router = outbox_new(HOP_ROUTER, s_config, "test");
    s_to_aggregator = outbox_new(HOP_AGGREGATOR, s_config, "test");
    s_to_notifier = outbox_new(HOP_NOTIFIER, s_config, "test");
    return s_router_pull && s_to_router && s_to_aggregator && s_to_notifier ? 0 : -1;
}

static int s_teardown(void **state)
{
    outbox_destroy(&s_to_router);
    outbox_destroy(&s_to_aggregator);
    outbox_destroy(&s_to_notifier);
    gsock_destroy(&s_router_pull);
    config_destroy(&s_config);
    gsock_context_term();
    return fixture_teardown(state);
}

static appeal_create_result_t s_create(const char *idem, const char *fingerprint, const char *ext,
                                       appeal_created_t *out)
{
    Gridline__Appeal a = GRIDLINE__APPEAL__INIT;
    a.channel = "hotline";
    a.region = C "100001";
    a.category = "heating";
    a.description = "暖气不热";
    a.external_id = (char *)(ext ? ext : "");
    outbox_t *outboxes[] = {s_to_router, s_to_aggregator};
    appeal_create_t in = {.appeal = &a,
                          .idempotency_key = idem,
                          .fingerprint = fingerprint,
                          .idempotency_ttl_s = 60,
                          .now_ms = DAY_MS,
                          .resend_at_ms = 1000,
                          .outboxes = outboxes,
                          .outbox_count = 2};
    return appeal_create(fixture_redis, &in, out);
}

static void test_create_stores_appeal_event_and_outboxes(void **state)
{
    appeal_created_t out;
    assert_int_equal(s_create(NULL, NULL, NULL, &out), APPEAL_CREATED);
    assert_string_equal(out.id, C "-20261125-000001");
    assert_int_equal(fixture_int("HGET appeal:{150123}:%s seq", out.id), 1);
    assert_int_equal(fixture_int("ZCARD %s", "outbox:{150123}:router"), 1);
    assert_int_equal(fixture_int("ZCARD %s", "outbox:{150123}:aggregator"), 1);
    /* the county is in both pending indexes */
    assert_int_equal(fixture_int("ZSCORE pending:router %s", C), DAY_MS);
    assert_int_equal(fixture_int("ZSCORE pending:aggregator %s", C), DAY_MS);
    /* the stored event holds the id, and is byte for byte what the caller got to send */
    redisReply *r = rconn_command(fixture_redis, "LINDEX events:{150123}:%s 0", out.id);
    assert_int_equal(r->len, out.event_len);
    assert_memory_equal(r->str, out.event, out.event_len);
    Gridline__Event *e = event_unpack((const uint8_t *)r->str, r->len);
    assert_non_null(e);
    assert_string_equal(e->appeal_id, out.id);
    assert_string_equal(e->region, C "100001");
    event_free(&e);
    freeReplyObject(r);
    free(out.event);
    /* the day counter is kept for good */
    assert_int_equal(fixture_int("TTL %s", "seq:{150123}:20261125"), -1);
}

static void test_create_idempotent_and_external_id(void **state)
{
    appeal_created_t out;
    assert_int_equal(s_create("key-1", "fp-a", NULL, &out), APPEAL_CREATED);
    char id[KEYS_ID_MAX];
    snprintf(id, sizeof id, "%s", out.id);
    free(out.event);
    assert_int_equal(s_create("key-1", "fp-a", NULL, &out), APPEAL_REPLAYED);
    assert_string_equal(out.id, id);
    assert_int_equal(s_create("key-1", "fp-b", NULL, &out), APPEAL_KEY_REUSED);
    assert_string_equal(out.id, id);
    assert_true(fixture_int("TTL %s", "idem:{150123}:key-1") > 0);

    assert_int_equal(s_create(NULL, NULL, "12345-1", &out), APPEAL_CREATED);
    snprintf(id, sizeof id, "%s", out.id);
    free(out.event);
    long long seq_before = fixture_int("GET %s", "seq:{150123}:20261125");
    assert_int_equal(s_create(NULL, NULL, "12345-1", &out), APPEAL_DUPLICATE);
    assert_string_equal(out.id, id);
    assert_int_equal(fixture_int("GET %s", "seq:{150123}:20261125"), seq_before);
}

/* Defect: once the day counter was gone (expired after 48 h, evicted, deleted by hand), the
 * next appeal took id ...000001 again and overwrote the first resident's appeal. */
static void test_create_never_reuses_an_id(void **state)
{
    char first[KEYS_ID_MAX] = C "-20261125-000001";
    long long before = fixture_int("LLEN events:{150123}:%s", first);
    redisReply *r = rconn_command(fixture_redis, "HGET appeal:{150123}:%s description", first);
    assert_string_equal(r->str, "暖气不热");
    freeReplyObject(r);
    fixture_do("DEL %s", "seq:{150123}:20261125");
    appeal_created_t out;
    assert_int_equal(s_create(NULL, NULL, NULL, &out), APPEAL_CREATED);
    free(out.event);
    assert_string_not_equal(out.id, first);
    assert_int_equal(fixture_int("HGET appeal:{150123}:%s seq", first), 1);
    assert_int_equal(fixture_int("LLEN events:{150123}:%s", first), before);
}

/* The assigned event for appeal id at seq 1, as the router would make it. */
static uint8_t *s_assigned(const char *id, size_t *len)
{
    Gridline__Event e = GRIDLINE__EVENT__INIT;
    e.appeal_id = (char *)id;
    e.seq = 2;
    e.type = GRIDLINE__EVENT_TYPE__EVENT_ASSIGNED;
    e.region = C "100001";
    return event_pack(&e, len);
}

/* One change through appeal_advance: the outcome, and the seq it reports. */
static long long s_advance(const char *id, const char *trigger, const uint8_t *received,
                           size_t received_len, uint32_t expected, uint32_t *seq)
{
    size_t len = 0;
    uint8_t *event = s_assigned(id, &len);
    const char *fields[] = {APPEAL_F_STATUS, "assigned"};
    appeal_change_t change = {.id = id,
                              .trigger = trigger,
                              .received = received,
                              .received_len = received_len,
                              .expected_seq = expected,
                              .event = event,
                              .event_len = len,
                              .ack_due = 5000,
                              .resolve_due = APPEAL_CLOCK_KEEP,
                              .supervise = APPEAL_CLOCK_KEEP,
                              .fields = fields,
                              .field_count = 2};
    outbox_t *outboxes[] = {s_to_notifier};
    appeal_batch_t batch = {.county = C,
                            .trigger_hop = HOP_ROUTER,
                            .outboxes = outboxes,
                            .outbox_count = 1,
                            .now_ms = DAY_MS,
                            .resend_at_ms = 2000};
    argv_t a;
    argv_init(&a);
    assert_int_equal(appeal_advance_append(fixture_redis, &a, &batch, &change, 1), 0);
    long long outcome = 99;
    uint32_t s = 0;
    assert_int_equal(appeal_advance_read(fixture_redis, 1, &outcome, &s), 0);
    argv_fini(&a);
    free(event);
    if (seq)
        *seq = s;
    return outcome;
}

/* The stored collected event of an appeal (what an honest sender sends). */
static redisReply *s_stored(const char *id)
{
    return rconn_command(fixture_redis, "LINDEX events:{150123}:%s 0", id);
}

static void test_advance_applies_once(void **state)
{
    const char *id = C "-20261125-000001", *member = C "-20261125-000001:1";
    redisReply *stored = s_stored(id);
    const uint8_t *bytes = (const uint8_t *)stored->str;
    uint32_t seq = 0;
    assert_int_equal(s_advance(id, member, bytes, stored->len, 1, &seq), HOP_APPLIED);
    assert_int_equal(seq, 2);
    /* a second copy of the same event */
    assert_int_equal(s_advance(id, member, bytes, stored->len, 1, NULL), HOP_DUPLICATE);
    freeReplyObject(stored);
    assert_int_equal(fixture_int("LLEN events:{150123}:%s", id), 2);
    assert_int_equal(fixture_int("ZSCORE deadline:{150123} %s|ack", id), 5000);
    assert_int_equal(fixture_int("ZSCORE outbox:{150123}:notifier %s", C "-20261125-000001:2"),
                     2000);
    assert_int_equal(fixture_int("ZSCORE pending:notifier %s", C), DAY_MS);
    /* without a trigger: stale seq, and no such appeal */
    assert_int_equal(s_advance(id, NULL, NULL, 0, 1, &seq), HOP_STALE);
    assert_int_equal(seq, 2);
    assert_int_equal(s_advance(C "-20261125-999999", NULL, NULL, 0, 1, NULL), HOP_GONE);
}

/* Defect: a frame sent to a PULL port by anyone re-routed a real appeal. The apply step now
 * compares the bytes received with the stored event, and changes nothing when they differ. */
static void test_advance_refuses_forged_bytes(void **state)
{
    const char *id = C "-20261125-000002", *member = C "-20261125-000002:1";
    redisReply *stored = s_stored(id);
    assert_int_equal(stored->type, REDIS_REPLY_STRING);
    /* the same event but in another village of another county */
    Gridline__Event *e = event_unpack((const uint8_t *)stored->str, stored->len);
    char *region = e->region, *category = e->category; /* unpacked: freed with e */
    e->region = "150102001001";
    e->category = "policing";
    size_t len = 0;
    uint8_t *forged = event_pack(e, &len);
    e->region = region;
    e->category = category;
    gridline__event__free_unpacked(e, NULL);
    assert_int_equal(s_advance(id, member, forged, len, 1, NULL), HOP_FORGED);
    free(forged);
    assert_int_equal(fixture_int("HGET appeal:{150123}:%s seq", id), 1);
    assert_int_equal(fixture_int("LLEN events:{150123}:%s", id), 1);
    /* the genuine entry is still there, and the genuine event still applies */
    assert_true(fixture_int("ZSCORE outbox:{150123}:router %s", member) > 0);
    assert_int_equal(s_advance(id, member, (const uint8_t *)stored->str, stored->len, 1, NULL),
                     HOP_APPLIED);
    freeReplyObject(stored);
}

/* Defect: an entry that could never apply (its appeal at another seq, or gone) was re-sent
 * for ever. Now it is parked after HOP_MAX_TRIES, and an operator can replay it. */
static void test_advance_parks_what_cannot_apply(void **state)
{
    const char *id = C "-20261125-000003", *member = C "-20261125-000003:1";
    redisReply *stored = s_stored(id);
    fixture_do("HSET appeal:{150123}:%s seq 7", id); /* another writer moved it on */
    for (int i = 1; i < HOP_MAX_TRIES; i++)
        assert_int_equal(s_advance(id, member, (const uint8_t *)stored->str, stored->len, 1, NULL),
                         HOP_STALE);
    assert_int_equal(s_advance(id, member, (const uint8_t *)stored->str, stored->len, 1, NULL),
                     HOP_PARKED);
    assert_int_equal(fixture_int("ZSCORE outbox:{150123}:router %s", member), -999);
    char parked[KEYS_MAX];
    snprintf(parked, sizeof parked, "router|%s", member);
    assert_int_equal(fixture_int("ZSCORE deadletter:{150123} %s", parked), DAY_MS);
    /* replay: back in the outbox, due now, the county marked for the sweeper */
    fixture_do("DEL %s", "pending:router");
    assert_int_equal(outbox_replay(fixture_redis, parked, DAY_MS + 5), 1);
    assert_int_equal(fixture_int("ZSCORE outbox:{150123}:router %s", member), DAY_MS + 5);
    assert_int_equal(fixture_int("ZSCORE deadletter:{150123} %s", parked), -999);
    assert_int_equal(fixture_int("ZSCORE pending:router %s", C), DAY_MS + 5);
    assert_int_equal(outbox_replay(fixture_redis, parked, DAY_MS + 5), 0);
    assert_int_equal(outbox_replay(fixture_redis, "nohop|x", DAY_MS), -1);
    freeReplyObject(stored);
}

static int s_received(void)
{
    int n = 0;
    char buf[4096];
    while (zmq_recv(s_router_pull, buf, sizeof buf, ZMQ_DONTWAIT) >= 0)
        n++;
    return n;
}

static void test_outbox_sweep_leases_and_forgets_empty_counties(void **state)
{
    s_received();
    fixture_do("DEL %s", "outbox:{150123}:router");
    fixture_do("DEL %s", "pending:router");
    /* two entries of county C (one whose event is gone), one county marked but empty */
    fixture_do("ZADD outbox:{150123}:router 1000 %s", C "-20261125-000004:1");
    fixture_do("ZADD outbox:{150123}:router 1000 %s", C "-20261125-777777:1");
    fixture_do("ZADD pending:router %s 150123 1 150102", "1");
    int64_t now = DAY_MS;
    assert_int_equal(outbox_sweep(s_to_router, fixture_redis, now), 1);
    usleep(100000);
    assert_int_equal(s_received(), 1);
    /* the entry without an event is dropped; the other is leased until now + resend_after */
    assert_int_equal(fixture_int("ZSCORE outbox:{150123}:router %s", C "-20261125-777777:1"), -999);
    assert_int_equal(fixture_int("ZSCORE outbox:{150123}:router %s", C "-20261125-000004:1"),
                     now + s_config->outbox_resend_after_ms);
    assert_int_equal(outbox_sweep(s_to_router, fixture_redis, now + 10), 0);
    /* the empty county, marked long ago, is forgotten; C (not empty) stays */
    assert_int_equal(fixture_int("ZSCORE pending:router %s", "150102"), -999);
    assert_int_equal(fixture_int("ZSCORE pending:router %s", C), 1);
    /* once C's outbox is empty, C goes only after the grace period since its last mark */
    fixture_do("DEL %s", "outbox:{150123}:router");
    fixture_do("ZADD pending:router %s 150123", "1000000");
    assert_int_equal(outbox_sweep(s_to_router, fixture_redis, 1000000 + 1000), 0);
    assert_int_equal(fixture_int("ZSCORE pending:router %s", C), 1000000);
    assert_int_equal(outbox_sweep(s_to_router, fixture_redis, 1000000 + 60000), 0);
    assert_int_equal(fixture_int("ZSCORE pending:router %s", C), -999);
}

/* The index lost a county (deleted by hand): the start-up full pass finds its entry, sends it
 * and marks the county again; later sweeps read the index only. */
static void test_outbox_full_pass_repairs_the_index(void **state)
{
    s_received();
    fixture_do("DEL %s", "outbox:{150123}:router");
    fixture_do("DEL %s", "pending:router");
    fixture_do("ZADD outbox:{150123}:router 1000 %s", C "-20261125-000004:1");
    static const char *counties[] = {"150102", C};
    outbox_t *sweeper = outbox_new(HOP_ROUTER, s_config, "test");
    outbox_set_counties(sweeper, counties, 2);
    assert_int_equal(outbox_sweep(sweeper, fixture_redis, DAY_MS), 1);
    assert_int_equal(fixture_int("ZSCORE pending:router %s", C), DAY_MS);
    assert_int_equal(fixture_int("ZSCORE pending:router %s", "150102"), -999);
    /* not a full pass again before PENDING_FULL_PASS_MS */
    fixture_do("DEL %s", "pending:router");
    assert_int_equal(outbox_sweep(sweeper, fixture_redis, DAY_MS + 10000), 0);
    assert_int_equal(outbox_sweep(sweeper, fixture_redis, DAY_MS + PENDING_FULL_PASS_MS), 1);
    outbox_destroy(&sweeper);
    usleep(100000);
    assert_int_equal(s_received(), 2);
}

static void test_pending_marks_once_per_half_grace(void **state)
{
    pending_t *p = pending_new("router", 30000);
    fixture_do("DEL %s", "pending:router");
    assert_int_equal(pending_mark(p, fixture_redis, C, 1000), 0);
    assert_int_equal(pending_mark(p, fixture_redis, C, 2000), 0); /* cached: no command */
    assert_int_equal(fixture_int("ZSCORE pending:router %s", C), 1000);
    assert_int_equal(pending_mark(p, fixture_redis, C, 1000 + 15000), 0);
    assert_int_equal(fixture_int("ZSCORE pending:router %s", C), 16000);
    /* GT: an older mark (another host's) never moves it back */
    pending_t *q = pending_new("router", 30000);
    pending_mark(q, fixture_redis, C, 500);
    assert_int_equal(fixture_int("ZSCORE pending:router %s", C), 16000);
    pending_destroy(&p);
    pending_destroy(&q);
}

static void test_rconn_tracks_pipelines(void **state)
{
    /* discarded replies are read by rconn, never handed to the caller */
    assert_int_equal(rconn_append_discard(fixture_redis, "SET %s 1", "discard-a"), 0);
    assert_int_equal(rconn_append(fixture_redis, "GET %s", "discard-a"), 0);
    assert_int_equal(rconn_append_discard(fixture_redis, "SET %s 2", "discard-a"), 0);
    assert_int_equal(rconn_owed(fixture_redis), 1);
    redisReply *r = rconn_reply(fixture_redis);
    assert_string_equal(r->str, "1");
    freeReplyObject(r);
    assert_null(rconn_reply(fixture_redis)); /* nothing more is owed */
    assert_int_equal(fixture_int("GET %s", "discard-a"), 2);
    /* an abandoned batch: the next synchronous call must not get its replies */
    assert_int_equal(rconn_append(fixture_redis, "GET %s", "discard-a"), 0);
    assert_int_equal(rconn_append(fixture_redis, "GET %s", "discard-a"), 0);
    r = rconn_command(fixture_redis, "ECHO %s", "mine");
    assert_non_null(r);
    assert_string_equal(r->str, "mine");
    freeReplyObject(r);
    assert_int_equal(rconn_owed(fixture_redis), 0);
}

static void test_rconn_script_shas_are_known_before_connecting(void **state)
{
    for (rscript_t **s = scripts_all; *s; s++)
        assert_int_equal(strlen((*s)->sha), 40);
    redisReply *r = rconn_command(fixture_redis, "SCRIPT EXISTS %s", scripts_appeal_create.sha);
    assert_int_equal(r->element[0]->integer, 1);
    freeReplyObject(r);
}

static void test_scripts_survive_script_flush(void **state)
{
    fixture_do("SCRIPT %s", "FLUSH");
    appeal_created_t out;
    assert_int_equal(s_create(NULL, NULL, NULL, &out), APPEAL_CREATED); /* NOSCRIPT -> EVAL */
    free(out.event);
}

/* Defect: gridline ran on a Redis that may evict its keys. */
static void test_rconn_refuses_an_evicting_redis(void **state)
{
    int keep_port = fixture_port;
    pid_t keep_pid = fixture_pid;
    fixture_port = fixture_free_port();
    fixture_spawn("--maxmemory-policy", "allkeys-lru");
    rconn_t *evicting = rconn_new("127.0.0.1", fixture_port, NULL, 2000);
    rconn_set_scripts(evicting, scripts_all);
    assert_null(rconn_refused());
    for (int i = 0; i < 50 && !rconn_refused(); i++) {
        rconn_ensure(evicting);
        usleep(50000);
    }
    assert_non_null(rconn_refused());
    assert_non_null(strstr(rconn_refused(), "allkeys-lru"));
    assert_false(rconn_is_up(evicting));
    rconn_destroy(&evicting);
    fixture_kill();
    fixture_port = keep_port;
    fixture_pid = keep_pid;
}

static void test_rconn_reports_and_recovers(void **state)
{
    fixture_kill();
    assert_null(rconn_command(fixture_redis, "PING"));
    assert_false(rconn_is_up(fixture_redis));
    char expect[64];
    snprintf(expect, sizeof expect, "redis unreachable at 127.0.0.1:%d", fixture_port);
    assert_non_null(strstr(rconn_errstr(fixture_redis), expect));
    fixture_spawn(NULL, NULL);
    assert_int_equal(fixture_wait_up(fixture_redis), 0);
    /* scripts were loaded again on the new server */
    appeal_created_t out;
    assert_int_equal(s_create(NULL, NULL, NULL, &out), APPEAL_CREATED);
    free(out.event);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_stores_appeal_event_and_outboxes),
        cmocka_unit_test(test_create_idempotent_and_external_id),
        cmocka_unit_test(test_create_never_reuses_an_id),
        cmocka_unit_test(test_advance_applies_once),
        cmocka_unit_test(test_advance_refuses_forged_bytes),
        cmocka_unit_test(test_advance_parks_what_cannot_apply),
        cmocka_unit_test(test_outbox_sweep_leases_and_forgets_empty_counties),
        cmocka_unit_test(test_outbox_full_pass_repairs_the_index),
        cmocka_unit_test(test_pending_marks_once_per_half_grace),
        cmocka_unit_test(test_rconn_tracks_pipelines),
        cmocka_unit_test(test_rconn_script_shas_are_known_before_connecting),
        cmocka_unit_test(test_scripts_survive_script_flush),
        cmocka_unit_test(test_rconn_refuses_an_evicting_redis),
        cmocka_unit_test(test_rconn_reports_and_recovers),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
