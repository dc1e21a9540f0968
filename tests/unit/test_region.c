/* region: the real division table, and a loader that names the bad line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "region.h"

static int s_setup(void **state)
{
    char err[256];
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    region_table_t *t = region_table_load("data/regions-nmg.csv", err, sizeof err);
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (!t) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    /* informational, never asserted: speed belongs in benchmarks */
    printf("# loaded %zu regions in %.1f ms\n", region_table_count(t),
           (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6);
    *state = t;
    return 0;
}

static int s_teardown(void **state)
{
    region_table_t *t = *state;
    region_table_destroy(&t);
    assert_null(t);
    region_table_destroy(&t); /* safe on NULL */
    return 0;
}

static void test_counts_per_level(void **state)
{
    const region_table_t *t = *state;
    assert_int_equal(region_table_count(t), 15938);
    const region_t *out[1];
    assert_int_equal(region_under(t, "", REGION_PROVINCE, out, 1), 1);
    assert_int_equal(region_under(t, "", REGION_CITY, out, 1), 12);
    assert_int_equal(region_under(t, "", REGION_COUNTY, out, 1), 108);
    assert_int_equal(region_under(t, "", REGION_TOWNSHIP, out, 1), 1225);
    assert_int_equal(region_under(t, "", REGION_VILLAGE, out, 1), 14592);
}

static void test_lookup_and_chain(void **state)
{
    const region_table_t *t = *state;
    const region_t *county = region_lookup(t, "150123");
    assert_non_null(county);
    assert_string_equal(county->name, "和林格尔县");
    assert_int_equal(county->level, REGION_COUNTY);
    assert_string_equal(county->parent->code, "1501");
    assert_null(region_lookup(t, "150199"));
    const region_t *chain[6];
    assert_int_equal(region_chain(t, "15012310000102", chain, 6), 5);
    assert_string_equal(chain[0]->name, "内蒙古自治区");
    assert_string_equal(chain[1]->name, "呼和浩特市");
    assert_string_equal(chain[3]->name, "城关镇");
    assert_string_equal(chain[4]->name, "昭君道社区居民委员会");
    assert_int_equal(region_chain(t, "150123", chain, 6), 3);
    assert_int_equal(region_chain(t, "159999", chain, 6), 0);
}

static void test_resolve_appeal_region(void **state)
{
    const region_table_t *t = *state;
    const region_t *village = NULL;
    const char *why = NULL;
    assert_int_equal(region_resolve_appeal(t, "150123100001", &village, &why), REGION_VILLAGE);
    assert_string_equal(village->code, "150123100001");
    assert_int_equal(region_resolve_appeal(t, "15012310000199", &village, &why), REGION_GRID);
    assert_int_equal(region_resolve_appeal(t, "15012310000100", &village, &why), -1);
    assert_string_equal(why, "grid suffix must be 01..99");
    assert_int_equal(region_resolve_appeal(t, "150123100", &village, &why), -1);
    assert_string_equal(why, "not a village or grid code (township)");
    assert_int_equal(region_resolve_appeal(t, "150123100999", &village, &why), -1);
    assert_string_equal(why, "unknown region");
    assert_int_equal(region_resolve_appeal(t, "1501231000011", &village, &why), -1);
    assert_string_equal(why, "must be 12 or 14 digits");
    assert_int_equal(region_resolve_appeal(t, "15012310000a", &village, &why), -1);
}

static void test_counties_and_ranges(void **state)
{
    const region_table_t *t = *state;
    size_t n = 0;
    const region_t *const *counties = region_counties(t, &n);
    assert_int_equal(n, 108);
    for (size_t i = 1; i < n; i++)
        assert_true(strcmp(counties[i - 1]->code, counties[i]->code) < 0);
    const region_t *out[200];
    assert_int_equal(region_under(t, "150123", REGION_VILLAGE, out, 200), 160);
    for (size_t i = 0; i < 160; i++)
        assert_memory_equal(out[i]->code, "150123", 6);
    assert_int_equal(region_under(t, "1501", REGION_COUNTY, out, 3), 10); /* total, 3 stored */
    assert_int_equal(region_under(t, "1599", REGION_COUNTY, out, 3), 0);
}

static void test_names_and_codes(void **state)
{
    assert_string_equal(region_level_name(REGION_TOWNSHIP), "township");
    assert_int_equal(region_level_of_length(9), REGION_TOWNSHIP);
    assert_int_equal(region_level_of_length(14), REGION_GRID);
    assert_int_equal(region_level_of_length(5), -1);
    char county[7];
    assert_int_equal(region_county_of("15012310000102", county), 0);
    assert_string_equal(county, "150123");
    assert_int_equal(region_county_of("1501", county), -1);
}

/* Writes text to a temp file and loads it: NULL expected, err must contain want. */
static void s_bad(const char *text, const char *want)
{
    char path[] = "/tmp/gridline-region-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char err[256] = "";
    region_table_t *t = region_table_load(path, err, sizeof err);
    unlink(path);
    assert_null(t);
    if (!strstr(err, want))
        fail_msg("error '%s' does not contain '%s'", err, want);
}

static void test_bad_files_name_the_line(void **state)
{
    const char *head = "code,level,parent,name\n15,province,,内蒙古自治区\n";
    char text[512];
    snprintf(text, sizeof text, "%s1501,city,15\n", head);
    s_bad(text, ":3: expected 4 fields");
    snprintf(text, sizeof text, "%s1501,town,15,x\n", head);
    s_bad(text, ":3: bad level 'town'");
    snprintf(text, sizeof text, "%s150,city,15,x\n", head);
    s_bad(text, ":3: code '150' is not 4 digits");
    snprintf(text, sizeof text, "%s1501,city,14,x\n", head);
    s_bad(text, ":3: parent '14' is not a prefix");
    snprintf(text, sizeof text, "%s1501,city,15,x\n1501,city,15,y\n", head);
    s_bad(text, "duplicate code 1501");
    snprintf(text, sizeof text, "%s150123,county,1501,x\n", head);
    s_bad(text, "parent 1501 of 150123 is missing");
    s_bad("id,name\n", ":1: header");
    char err[256];
    assert_null(region_table_load("/nonexistent/regions.csv", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/regions.csv"));
}

static void test_bom_and_crlf(void **state)
{
    char path[] = "/tmp/gridline-region-XXXXXX";
    int fd = mkstemp(path);
    const char *text =
        "\xEF\xBB\xBF"
        "code,level,parent,name\r\n15,province,,内蒙古自治区\r\n1501,city,15,呼和浩特市\r\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char err[256];
    region_table_t *t = region_table_load(path, err, sizeof err);
    unlink(path);
    assert_non_null(t);
    assert_string_equal(region_lookup(t, "1501")->name, "呼和浩特市");
    region_table_destroy(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_per_level),
        cmocka_unit_test(test_lookup_and_chain),
        cmocka_unit_test(test_resolve_appeal_region),
        cmocka_unit_test(test_counties_and_ranges),
        cmocka_unit_test(test_names_and_codes),
        cmocka_unit_test(test_bad_files_name_the_line),
        cmocka_unit_test(test_bom_and_crlf),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
