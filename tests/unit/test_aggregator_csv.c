/* csv: the BOM, RFC 4180 quoting, CRLF, and rankings.csv. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "aggregator/csv.h"
#include "aggregator/ranking.h"

#define BOM "\xEF\xBB\xBF"

static void s_expect(const csv_t *csv, const char *want)
{
    assert_non_null(csv_data(csv));
    assert_int_equal(csv_len(csv), strlen(want));
    assert_memory_equal(csv_data(csv), want, strlen(want));
}

static void test_bom_only(void **state)
{
    csv_t *csv = csv_new();
    assert_non_null(csv);
    s_expect(csv, BOM);
    assert_int_equal(csv_len(csv), 3);
    assert_false(csv_failed(csv));
    csv_destroy(&csv);
    assert_null(csv);
    csv_destroy(&csv);
    csv_destroy(NULL);
}

static void test_rows_crlf(void **state)
{
    csv_t *csv = csv_new();
    const char *header[] = {"region", "name", "appeals"};
    const char *row[] = {"150123", "和林格尔县", "12"};
    const char *blanks[] = {"", NULL, ""};
    assert_int_equal(csv_row(csv, header, 3), 0);
    assert_int_equal(csv_row(csv, row, 3), 0);
    assert_int_equal(csv_row(csv, blanks, 3), 0);
    assert_int_equal(csv_row(csv, NULL, 0), 0);
    s_expect(csv, BOM "region,name,appeals\r\n150123,和林格尔县,12\r\n,,\r\n\r\n");
    csv_destroy(&csv);
}

static void test_quoting(void **state)
{
    csv_t *csv = csv_new();
    const char *row[] = {"城关镇,东区", "\"盛乐\"镇", "巧什营\r\n镇", "line\nfeed",
                         "cr\ronly",    "\"",         "a\"\"b",       "plain 镇 with spaces"};
    assert_int_equal(csv_row(csv, row, 8), 0);
    s_expect(csv, BOM "\"城关镇,东区\",\"\"\"盛乐\"\"镇\",\"巧什营\r\n镇\",\"line\nfeed\","
                      "\"cr\ronly\",\"\"\"\",\"a\"\"\"\"b\",plain 镇 with spaces\r\n");
    csv_destroy(&csv);
}

/* Enough rows to grow the buffer many times over. */
static void test_grows(void **state)
{
    csv_t *csv = csv_new();
    const char *row[] = {"一二三四五六七八九十", "x,y"};
    for (int i = 0; i < 10000; i++)
        assert_int_equal(csv_row(csv, row, 2), 0);
    size_t line = strlen("一二三四五六七八九十,\"x,y\"\r\n");
    assert_int_equal(csv_len(csv), 3 + 10000 * line);
    assert_int_equal(strlen(csv_data(csv)), csv_len(csv));
    assert_memory_equal(csv_data(csv) + 3 + 9999 * line, "一二三四五六七八九十,\"x,y\"\r\n", line);
    csv_destroy(&csv);
}

static void test_rankings(void **state)
{
    const ranking_unit_t units[] = {
        {"150123100", "城关镇,东区", 12, 2, 3}, {"150123101", "\"盛乐\"镇", 40, 19, 20},
        {"150123102", "巧什营镇", 2, 1, 1},     {"150123103", "新店子镇", 9, 0, 0},
        {"150123104", "黑老夭乡", 20, 10, 20},
    };
    ranking_options_t opt;
    ranking_options_init(&opt, RANKING_RESOLUTION_RATE);
    json_t *r = ranking_answer("150123", "township", "20261101", "20261130", units, 5, &opt);
    assert_non_null(r);
    csv_t *csv = csv_rankings(r);
    assert_non_null(csv);
    s_expect(csv, BOM "rank,region,name,value,num,den,appeals,flag\r\n"
                      "1,150123101,\"\"\"盛乐\"\"镇\",0.95,19,20,40,red_flag\r\n"
                      "2,150123100,\"城关镇,东区\",0.6667,2,3,12,\r\n"
                      "3,150123104,黑老夭乡,0.5,10,20,20,snail\r\n"
                      ",150123102,巧什营镇,,,,2,\r\n"
                      ",150123103,新店子镇,,,,9,\r\n");
    csv_destroy(&csv);
    json_decref(r);
    /* overdue: counts as integers, fewest first; nothing ranked: the header only */
    ranking_options_init(&opt, RANKING_OVERDUE);
    r = ranking_build(units, 2, &opt);
    csv = csv_rankings(r);
    s_expect(csv, BOM "rank,region,name,value,num,den,appeals,flag\r\n"
                      "1,150123100,\"城关镇,东区\",2,2,3,12,red_flag\r\n"
                      "2,150123101,\"\"\"盛乐\"\"镇\",19,19,20,40,snail\r\n");
    csv_destroy(&csv);
    json_decref(r);
    r = ranking_build(units, 0, &opt);
    csv = csv_rankings(r);
    s_expect(csv, BOM "rank,region,name,value,num,den,appeals,flag\r\n");
    csv_destroy(&csv);
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bom_only), cmocka_unit_test(test_rows_crlf),
        cmocka_unit_test(test_quoting),  cmocka_unit_test(test_grows),
        cmocka_unit_test(test_rankings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
