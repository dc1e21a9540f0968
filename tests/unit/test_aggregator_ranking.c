/* ranking: ranks, ties, flags, unranked and lagging units, periods and ranges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aggregator/ranking.h"

static ranking_options_t s_opt(ranking_metric_t metric)
{
    ranking_options_t opt;
    ranking_options_init(&opt, metric);
    return opt;
}

/* "region:rank:flag" of every ranked unit, "|" between them; flag "-" when null. */
static void s_ranked(const json_t *out, char *buf, size_t size)
{
    const json_t *ranked = json_object_get(out, "ranked");
    size_t i, n = 0;
    json_t *u;
    buf[0] = '\0';
    json_array_foreach(ranked, i, u)
    {
        const char *flag = json_string_value(json_object_get(u, "flag"));
        n += (size_t)snprintf(buf + n, size - n, "%s%s:%lld:%s", i ? "|" : "",
                              json_string_value(json_object_get(u, "region")),
                              (long long)json_integer_value(json_object_get(u, "rank")),
                              flag ? flag : "-");
        assert_true(n < size);
    }
}

static void s_expect(const ranking_unit_t *units, size_t n, const ranking_options_t *opt,
                     const char *want)
{
    json_t *out = ranking_build(units, n, opt);
    assert_non_null(out);
    char got[1024];
    s_ranked(out, got, sizeof got);
    assert_string_equal(got, want);
    json_decref(out);
}

static void test_metric_names(void **state)
{
    assert_int_equal(ranking_metric_parse("resolution_rate"), RANKING_RESOLUTION_RATE);
    assert_int_equal(ranking_metric_parse("response_rate"), RANKING_RESPONSE_RATE);
    assert_int_equal(ranking_metric_parse("satisfaction_rate"), RANKING_SATISFACTION_RATE);
    assert_int_equal(ranking_metric_parse("on_time_rate"), RANKING_ON_TIME_RATE);
    assert_int_equal(ranking_metric_parse("overdue"), RANKING_OVERDUE);
    assert_int_equal(ranking_metric_parse("appeals"), RANKING_APPEALS);
    assert_int_equal(ranking_metric_parse("resolution"), -1);
    assert_int_equal(ranking_metric_parse(""), -1);
    assert_int_equal(ranking_metric_parse(NULL), -1);
    for (int m = RANKING_RESOLUTION_RATE; m <= RANKING_APPEALS; m++)
        assert_int_equal(ranking_metric_parse(ranking_metric_name((ranking_metric_t)m)), m);
    assert_string_equal(ranking_metric_name((ranking_metric_t)99), "");
    ranking_options_t opt = s_opt(RANKING_RESPONSE_RATE);
    assert_int_equal(opt.flags, 3);
    assert_int_equal(opt.min_appeals, 5);
    assert_true(opt.has_threshold && opt.threshold == 0.9);
    opt = s_opt(RANKING_ON_TIME_RATE);
    assert_true(opt.has_threshold && opt.threshold == 0.8);
    assert_false(s_opt(RANKING_OVERDUE).has_threshold);
    assert_false(s_opt(RANKING_APPEALS).has_threshold);
}

static void test_options_from_config(void **state)
{
    config_t *cfg = config_new();
    assert_non_null(cfg);
    assert_int_equal(config_set(cfg, "rankings.flags", "2"), 0);
    assert_int_equal(config_set(cfg, "rankings.min_appeals", "7"), 0);
    assert_int_equal(config_set(cfg, "rankings.threshold.satisfaction", "0.6"), 0);
    assert_int_equal(config_set(cfg, "rankings.threshold.resolution", "0"), 0);
    ranking_options_t opt;
    ranking_options_from_config(&opt, RANKING_SATISFACTION_RATE, cfg);
    assert_int_equal(opt.metric, RANKING_SATISFACTION_RATE);
    assert_int_equal(opt.flags, 2);
    assert_int_equal(opt.min_appeals, 7);
    assert_true(opt.has_threshold && opt.threshold == 0.6);
    ranking_options_from_config(&opt, RANKING_RESPONSE_RATE, cfg);
    assert_true(opt.has_threshold && opt.threshold == 0.9);
    ranking_options_from_config(&opt, RANKING_RESOLUTION_RATE, cfg); /* 0: never lagging */
    assert_false(opt.has_threshold);
    ranking_options_from_config(&opt, RANKING_OVERDUE, cfg);
    assert_false(opt.has_threshold);
    config_destroy(&cfg);
}

/* The contract's shape: every member, values rounded to 4 decimals, printed short. */
static void test_shape_and_rounding(void **state)
{
    const ranking_unit_t units[] = {
        {"150123100", "城关镇", 12, 2, 3},
        {"150123101", "盛乐镇", 40, 19, 20},
        {"150123102", "巧什营镇", 2, 1, 1},
    };
    ranking_options_t opt = s_opt(RANKING_RESOLUTION_RATE);
    json_t *out = ranking_answer("150123", "township", "20261101", "20261130", units, 3, &opt);
    assert_non_null(out);
    char *text = json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(RANKING_REAL_PRECISION));
    assert_string_equal(
        text, "{\"region\":\"150123\",\"child_level\":\"township\",\"metric\":\"resolution_rate\","
              "\"from\":\"20261101\",\"to\":\"20261130\","
              "\"ranked\":[{\"rank\":1,\"region\":\"150123101\",\"name\":\"盛乐镇\","
              "\"value\":0.95,\"appeals\":40,\"num\":19,\"den\":20,\"flag\":\"red_flag\"},"
              "{\"rank\":2,\"region\":\"150123100\",\"name\":\"城关镇\",\"value\":0.6667,"
              "\"appeals\":12,\"num\":2,\"den\":3,\"flag\":\"snail\"}],"
              "\"unranked\":[{\"region\":\"150123102\",\"name\":\"巧什营镇\",\"appeals\":2,"
              "\"reason\":\"fewer than 5 appeals\"}],"
              "\"lagging\":[{\"region\":\"150123100\",\"name\":\"城关镇\",\"value\":0.6667,"
              "\"threshold\":0.8}]}");
    free(text);
    json_decref(out);
}

/* 1, 2, 2, 4; tied units by region code. */
static void test_ties_share_a_rank(void **state)
{
    const ranking_unit_t units[] = {
        {"09", "", 10, 5, 10}, {"03", "", 10, 9, 10},
        {"07", "", 10, 8, 10}, {"05", "", 10, 4, 5}, /* 0.8, the same as 8/10 */
        {"01", "", 10, 1, 10},
    };
    ranking_options_t opt = s_opt(RANKING_RESOLUTION_RATE);
    opt.flags = 0;
    s_expect(units, 5, &opt, "03:1:-|05:2:-|07:2:-|09:4:-|01:5:-");
}

static void test_flags_top_and_bottom(void **state)
{
    ranking_unit_t units[8];
    char regions[8][4];
    for (int i = 0; i < 8; i++) {
        snprintf(regions[i], sizeof regions[i], "r%d", i);
        units[i] = (ranking_unit_t){regions[i], "", 10, 10 - i, 10};
    }
    ranking_options_t opt = s_opt(RANKING_SATISFACTION_RATE);
    s_expect(units, 8, &opt,
             "r0:1:red_flag|r1:2:red_flag|r2:3:red_flag|r3:4:-|r4:5:-|r5:6:snail|r6:7:snail|"
             "r7:8:snail");
    /* exactly 2 x flags: everyone flagged */
    s_expect(units, 6, &opt,
             "r0:1:red_flag|r1:2:red_flag|r2:3:red_flag|r3:4:snail|r4:5:snail|r5:6:snail");
    opt.flags = 1;
    s_expect(units, 4, &opt, "r0:1:red_flag|r1:2:-|r2:3:-|r3:4:snail");
    opt.flags = 0;
    s_expect(units, 4, &opt, "r0:1:-|r1:2:-|r2:3:-|r3:4:-");
}

/* Fewer than 2 x flags: the top half and the bottom half; an odd middle one unflagged. */
static void test_small_sets(void **state)
{
    const ranking_unit_t units[] = {
        {"a", "", 10, 9, 10}, {"b", "", 10, 8, 10}, {"c", "", 10, 7, 10},
        {"d", "", 10, 6, 10}, {"e", "", 10, 5, 10},
    };
    ranking_options_t opt = s_opt(RANKING_ON_TIME_RATE);
    s_expect(units, 5, &opt, "a:1:red_flag|b:2:red_flag|c:3:-|d:4:snail|e:5:snail");
    s_expect(units, 4, &opt, "a:1:red_flag|b:2:red_flag|c:3:snail|d:4:snail");
    s_expect(units, 3, &opt, "a:1:red_flag|b:2:-|c:3:snail");
    s_expect(units, 2, &opt, "a:1:red_flag|b:2:snail");
    s_expect(units, 1, &opt, "a:1:-");
    s_expect(units, 0, &opt, "");
}

/* A tie across the boundary: every unit at the boundary rank gets the flag. */
static void test_tie_at_flag_boundary(void **state)
{
    const ranking_unit_t units[] = {
        {"a", "", 10, 10, 10}, {"b", "", 10, 9, 10}, {"c", "", 10, 8, 10},
        {"d", "", 10, 8, 10},  {"e", "", 10, 7, 10}, {"f", "", 10, 6, 10},
        {"g", "", 10, 5, 10},  {"h", "", 10, 4, 10}, {"i", "", 10, 4, 10},
    };
    ranking_options_t opt = s_opt(RANKING_RESOLUTION_RATE);
    s_expect(units, 9, &opt,
             "a:1:red_flag|b:2:red_flag|c:3:red_flag|d:3:red_flag|e:5:-|f:6:-|g:7:snail|"
             "h:8:snail|i:8:snail");
    /* the bottom tie reaches the third place from the bottom */
    const ranking_unit_t low[] = {
        {"a", "", 10, 10, 10}, {"b", "", 10, 9, 10}, {"c", "", 10, 8, 10},
        {"d", "", 10, 7, 10},  {"e", "", 10, 6, 10}, {"f", "", 10, 2, 10},
        {"g", "", 10, 2, 10},  {"h", "", 10, 2, 10}, {"i", "", 10, 2, 10},
    };
    s_expect(low, 9, &opt,
             "a:1:red_flag|b:2:red_flag|c:3:red_flag|d:4:-|e:5:-|f:6:snail|g:6:snail|h:6:snail|"
             "i:6:snail");
    /* everyone tied: neither top nor bottom */
    const ranking_unit_t same[] = {
        {"a", "", 10, 1, 2}, {"b", "", 10, 2, 4}, {"c", "", 10, 3, 6}, {"d", "", 10, 5, 10}};
    s_expect(same, 4, &opt, "a:1:-|b:1:-|c:1:-|d:1:-");
}

static void test_overdue_ascending(void **state)
{
    const ranking_unit_t units[] = {
        {"a", "", 10, 4, 0}, {"b", "", 10, 0, 0}, {"c", "", 10, 9, 0},
        {"d", "", 10, 0, 0}, {"e", "", 10, 2, 0}, {"f", "", 10, 7, 7},
    };
    ranking_options_t opt = s_opt(RANKING_OVERDUE);
    opt.flags = 2;
    s_expect(units, 6, &opt, "b:1:red_flag|d:1:red_flag|e:3:-|a:4:-|f:5:snail|c:6:snail");
    json_t *out = ranking_build(units, 6, &opt);
    json_t *first = json_array_get(json_object_get(out, "ranked"), 0);
    assert_true(json_is_integer(json_object_get(first, "value")));
    assert_int_equal(json_integer_value(json_object_get(first, "value")), 0);
    assert_int_equal(json_array_size(json_object_get(out, "unranked")), 0); /* den 0 is fine */
    assert_int_equal(json_array_size(json_object_get(out, "lagging")), 0);
    json_decref(out);
}

static void test_appeals_no_flags(void **state)
{
    const ranking_unit_t units[] = {
        {"a", "", 12, 12, 0}, {"b", "", 40, 40, 0}, {"c", "", 7, 7, 0}, {"d", "", 12, 12, 0},
        {"e", "", 3, 3, 0},   {"f", "", 9, 9, 0},   {"g", "", 5, 5, 0},
    };
    ranking_options_t opt = s_opt(RANKING_APPEALS);
    s_expect(units, 7, &opt, "b:1:-|a:2:-|d:2:-|f:4:-|c:5:-|g:6:-");
    json_t *out = ranking_build(units, 7, &opt);
    assert_int_equal(json_array_size(json_object_get(out, "unranked")), 1);
    assert_int_equal(json_array_size(json_object_get(out, "lagging")), 0);
    json_decref(out);
}

static void test_unranked(void **state)
{
    const ranking_unit_t units[] = {
        {"d", "丁", 4, 4, 4},                         /* too few appeals, though it has a rate */
        {"b", "乙", 8, 0, 0},                         /* no feedback */
        {"a", "甲", 10, 9, 10}, {"c", "丙", 0, 0, 0}, /* both: the appeals reason */
        {"e", "戊", 5, 1, 5},                         /* exactly min_appeals: ranked */
    };
    ranking_options_t opt = s_opt(RANKING_SATISFACTION_RATE);
    json_t *out = ranking_build(units, 5, &opt);
    char got[256];
    s_ranked(out, got, sizeof got);
    assert_string_equal(got, "a:1:red_flag|e:2:snail");
    json_t *unranked = json_object_get(out, "unranked");
    assert_int_equal(json_array_size(unranked), 3);
    const char *want[][3] = {{"b", "乙", "no feedback/assignments in the period"},
                             {"c", "丙", "fewer than 5 appeals"},
                             {"d", "丁", "fewer than 5 appeals"}};
    for (size_t i = 0; i < 3; i++) {
        json_t *u = json_array_get(unranked, i);
        assert_string_equal(json_string_value(json_object_get(u, "region")), want[i][0]);
        assert_string_equal(json_string_value(json_object_get(u, "name")), want[i][1]);
        assert_string_equal(json_string_value(json_object_get(u, "reason")), want[i][2]);
        assert_int_equal(json_object_size(u), 4);
    }
    json_decref(out);
    opt.min_appeals = 10;
    out = ranking_build(units, 5, &opt);
    json_t *u = json_array_get(json_object_get(out, "unranked"), 0);
    assert_string_equal(json_string_value(json_object_get(u, "reason")), "fewer than 10 appeals");
    assert_int_equal(json_array_size(json_object_get(out, "ranked")), 1);
    json_decref(out);
}

static void test_lagging(void **state)
{
    const ranking_unit_t units[] = {
        {"a", "甲", 10, 9, 10}, {"b", "乙", 10, 8, 10}, /* at the threshold: not lagging */
        {"c", "丙", 10, 1, 3},  {"d", "丁", 10, 7, 10}, {"e", "戊", 10, 0, 0},
    };
    ranking_options_t opt = s_opt(RANKING_RESOLUTION_RATE);
    json_t *out = ranking_build(units, 5, &opt);
    json_t *lagging = json_object_get(out, "lagging");
    char *text = json_dumps(lagging, JSON_COMPACT | JSON_REAL_PRECISION(RANKING_REAL_PRECISION));
    assert_string_equal(text, "[{\"region\":\"d\",\"name\":\"丁\",\"value\":0.7,\"threshold\":0.8},"
                              "{\"region\":\"c\",\"name\":\"丙\",\"value\":0.3333,"
                              "\"threshold\":0.8}]");
    free(text);
    json_decref(out);
    /* response: 0.9 by default, so 0.8 lags too */
    opt = s_opt(RANKING_RESPONSE_RATE);
    out = ranking_build(units, 5, &opt);
    lagging = json_object_get(out, "lagging");
    assert_int_equal(json_array_size(lagging), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(lagging, 0), "region")),
                        "b");
    assert_true(json_real_value(json_object_get(json_array_get(lagging, 0), "threshold")) == 0.9);
    json_decref(out);
    /* no threshold: nothing lags */
    opt.has_threshold = false;
    out = ranking_build(units, 5, &opt);
    assert_int_equal(json_array_size(json_object_get(out, "lagging")), 0);
    json_decref(out);
}

static void s_period(const char *period, const char *from, const char *to)
{
    char f[9], t[9];
    if (ranking_period_parse(period, f, t) != 0)
        fail_msg("%s refused", period);
    assert_string_equal(f, from);
    assert_string_equal(t, to);
}

static void test_periods(void **state)
{
    s_period("2026-11", "20261101", "20261130");
    s_period("2026-12", "20261201", "20261231");
    s_period("2026-02", "20260201", "20260228");
    s_period("2024-02", "20240201", "20240229"); /* leap */
    s_period("2000-02", "20000201", "20000229"); /* divisible by 400 */
    s_period("2100-02", "21000201", "21000228"); /* by 100, not 400 */
    s_period("2026-04", "20260401", "20260430");
    s_period("2026-Q1", "20260101", "20260331");
    s_period("2026-Q2", "20260401", "20260630");
    s_period("2026-Q3", "20260701", "20260930");
    s_period("2026-Q4", "20261001", "20261231");
    s_period("2026-q4", "20261001", "20261231");
    s_period("2026", "20260101", "20261231");
    s_period("2024", "20240101", "20241231");
    const char *bad[] = {"",         "2026-13",  "2026-00",  "2026-1", "2026-Q0", "2026-Q5",
                         "2026-Q",   "2026-Q12", "2026-11-", "202611", "26-11",   "2026/11",
                         " 2026",    "2026 ",    "2026-1a",  "0999",   "abcd",    "2026-11-01",
                         "20261101", "-2026-11", "２０２６"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char f[9] = "x", t[9] = "x";
        if (ranking_period_parse(bad[i], f, t) != -1)
            fail_msg("\"%s\" accepted", bad[i]);
        assert_string_equal(f, "");
        assert_string_equal(t, "");
    }
    char f[9], t[9];
    assert_int_equal(ranking_period_parse(NULL, f, t), -1);
}

static void test_ranges(void **state)
{
    const char *why = "x";
    assert_int_equal(ranking_range_check("20261101", "20261130", &why), 0);
    assert_null(why);
    assert_int_equal(ranking_range_check("20261101", "20261101", NULL), 0);
    assert_int_equal(ranking_range_check("20240229", "20240301", NULL), 0);
    assert_int_equal(ranking_range_check("20230229", "20230301", &why), -1);
    assert_string_equal(why, "from is not a day YYYYMMDD");
    assert_int_equal(ranking_range_check("20261101", "20261131", &why), -1);
    assert_string_equal(why, "to is not a day YYYYMMDD");
    assert_int_equal(ranking_range_check("20261102", "20261101", &why), -1);
    assert_string_equal(why, "to is before from");
    /* 3 years, one of them leap: 1096 days */
    assert_int_equal(ranking_range_check("20240101", "20261231", NULL), 0);
    assert_int_equal(ranking_range_check("20231231", "20261231", &why), -1);
    assert_string_equal(why, "from..to is longer than 3 years");
    assert_int_equal(ranking_range_check("20250101", "20271231", NULL), 0); /* 1095 days */
    const char *bad[] = {"",         "2026110",  "202611011", "2026-11-", "20261301",
                         "20260001", "20260100", "2026110a",  "09991231"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (ranking_range_check(bad[i], "20261130", NULL) != -1)
            fail_msg("from \"%s\" accepted", bad[i]);
        if (ranking_range_check("20261101", bad[i], NULL) != -1)
            fail_msg("to \"%s\" accepted", bad[i]);
    }
    assert_int_equal(ranking_range_check(NULL, "20261130", NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metric_names),
        cmocka_unit_test(test_options_from_config),
        cmocka_unit_test(test_shape_and_rounding),
        cmocka_unit_test(test_ties_share_a_rank),
        cmocka_unit_test(test_flags_top_and_bottom),
        cmocka_unit_test(test_small_sets),
        cmocka_unit_test(test_tie_at_flag_boundary),
        cmocka_unit_test(test_overdue_ascending),
        cmocka_unit_test(test_appeals_no_flags),
        cmocka_unit_test(test_unranked),
        cmocka_unit_test(test_lagging),
        cmocka_unit_test(test_periods),
        cmocka_unit_test(test_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
