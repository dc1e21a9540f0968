/* appeal_gen (tools/loadgen): the bodies loadgen sends must be ones the intake accepts, look
 * like real appeals, and repeat exactly for one seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

/* The Makefile links unit tests with common/ and the services' modules, not the tools'; the
 * module is compiled in here instead (its static helpers then stay private to this test). */
#include "../../tools/loadgen/appeal_gen.c"

static const char s_csv[] = "code,level,parent,name\n"
                            "15,province,,内蒙古自治区\n"
                            "1501,city,15,呼和浩特市\n"
                            "150123,county,1501,和林格尔县\n"
                            "150123100,township,150123,城关镇\n"
                            "150123100001,village,150123100,昭君道社区居民委员会\n"
                            "150123100201,village,150123100,大新营村民委员会\n"
                            "1502,city,15,包头市\n"
                            "150203,county,1502,昆都仑区\n"
                            "150203001,township,150203,沙河街道\n"
                            "150203001001,village,150203001,友谊社区居委会\n";

static char s_path[64];

static void s_write(const char *text)
{
    FILE *file = fopen(s_path, "w");
    assert_non_null(file);
    fputs(text, file);
    fclose(file);
}

static int s_setup(void **state)
{
    snprintf(s_path, sizeof s_path, "/tmp/test_appeal_gen.%d.csv", (int)getpid());
    s_write(s_csv);
    return 0;
}

static int s_teardown(void **state)
{
    unlink(s_path);
    return 0;
}

static appeal_gen_t *s_gen(const char *prefix, uint64_t seed)
{
    char err[256] = "";
    appeal_gen_t *gen = appeal_gen_new(s_path, prefix, seed, err, sizeof err);
    if (!gen)
        fail_msg("appeal_gen_new: %s", err);
    appeal_gen_set_day(gen, "20261124");
    return gen;
}

static bool s_in(const char *value, const char *const *set)
{
    for (; *set; set++)
        if (strcmp(value, *set) == 0)
            return true;
    return false;
}

static void test_same_seed_same_appeals(void **state)
{
    appeal_gen_t *a = s_gen("15", 42), *b = s_gen("15", 42), *c = s_gen("15", 43);
    int differ = 0;
    for (int i = 0; i < 200; i++) {
        char *x = appeal_gen_next(a, NULL), *y = appeal_gen_next(b, NULL);
        char *z = appeal_gen_next(c, NULL);
        assert_string_equal(x, y);
        differ += strcmp(x, z) != 0;
        free(x);
        free(y);
        free(z);
    }
    assert_true(differ > 150);
    appeal_gen_destroy(&a);
    appeal_gen_destroy(&b);
    appeal_gen_destroy(&c);
    assert_null(a);
    appeal_gen_destroy(&a); /* safe twice */
}

/* Field by field, the rules of services/intake/submission.h. */
static void test_bodies_fit_the_intake_api(void **state)
{
    static const char *const channels[] = {"hotline", "wechat",   "web",    "app", "visit",
                                           "meeting", "petition", "camera", NULL};
    static const char *const categories[] = {
        "power", "water", "heating", "gas",    "policing", "city",      "market", "environment",
        "roads", "labor", "land",    "social", "health",   "education", "other",  NULL};
    static const char *const known[] = {"channel",  "region",      "category",
                                        "title",    "description", "reporter",
                                        "location", "external_id", NULL};
    appeal_gen_t *gen = s_gen("150123", 7);
    assert_int_equal(appeal_gen_village_count(gen), 2);
    for (int i = 0; i < 500; i++) {
        size_t len = 0;
        char *text = appeal_gen_next(gen, &len);
        assert_int_equal(len, strlen(text));
        json_error_t error;
        json_t *body = json_loads(text, 0, &error);
        if (!body)
            fail_msg("not JSON (%s): %s", error.text, text);
        const char *key;
        json_t *value;
        json_object_foreach(body, key, value)
        {
            if (!s_in(key, known))
                fail_msg("unknown field %s", key);
        }
        const char *channel = json_string_value(json_object_get(body, "channel"));
        const char *region = json_string_value(json_object_get(body, "region"));
        assert_true(channel && s_in(channel, channels));
        assert_true(s_in(json_string_value(json_object_get(body, "category")), categories));
        assert_non_null(region);
        assert_true(strncmp(region, "150123100", 9) == 0);
        assert_true(strlen(region) == 12 || (strlen(region) == 14 && region[12] == '0' &&
                                             region[13] >= '1' && region[13] <= '4'));
        const char *description = json_string_value(json_object_get(body, "description"));
        assert_true(description && description[0]);
        assert_true(strlen(json_string_value(json_object_get(body, "title"))) > 0);
        json_t *location = json_object_get(body, "location");
        const char *address = json_string_value(json_object_get(location, "address"));
        assert_non_null(address);
        assert_true(strncmp(address, "和林格尔县城关镇", strlen("和林格尔县城关镇")) == 0);
        assert_true(strstr(address, "昭君道社区") || strstr(address, "大新营村"));
        assert_null(strstr(address, "委员会"));
        json_t *lat = json_object_get(location, "lat"), *lon = json_object_get(location, "lon");
        assert_true((lat == NULL) == (lon == NULL));
        if (lat) { /* 和林格尔 lies about 40.4 N 111.8 E */
            assert_true(json_real_value(lat) > 39.5 && json_real_value(lat) < 41.5);
            assert_true(json_real_value(lon) > 110.5 && json_real_value(lon) < 113.0);
        }
        const char *external_id = json_string_value(json_object_get(body, "external_id"));
        if (strcmp(channel, "hotline") == 0) {
            char expected[64];
            snprintf(expected, sizeof expected, "12345-20261124-7-%04d", i + 1);
            assert_non_null(external_id);
            assert_string_equal(external_id, expected);
        } else {
            assert_null(external_id);
        }
        if (strcmp(channel, "camera") == 0)
            assert_null(json_object_get(body, "reporter"));
        json_decref(body);
        free(text);
    }
    appeal_gen_destroy(&gen);
}

static void test_mix_is_realistic(void **state)
{
    appeal_gen_t *gen = s_gen("15", 1);
    assert_int_equal(appeal_gen_village_count(gen), 3);
    int channels[S_CHANNELS] = {0}, categories[S_CATEGORIES] = {0}, grids = 0;
    const int total = 4000;
    for (int i = 0; i < total; i++) {
        char *text = appeal_gen_next(gen, NULL);
        json_t *body = json_loads(text, 0, NULL);
        const char *channel = json_string_value(json_object_get(body, "channel"));
        const char *category = json_string_value(json_object_get(body, "category"));
        for (size_t c = 0; c < S_CHANNELS; c++)
            channels[c] += strcmp(channel, s_channels[c].name) == 0;
        for (size_t c = 0; c < S_CATEGORIES; c++)
            categories[c] += strcmp(category, s_categories[c].name) == 0;
        grids += strlen(json_string_value(json_object_get(body, "region"))) == 14;
        json_decref(body);
        free(text);
    }
    for (size_t c = 1; c < S_CHANNELS; c++)
        assert_true(channels[0] > channels[c]); /* the hotline leads */
    for (size_t c = 0; c < S_CATEGORIES; c++)
        assert_true(categories[c] > 0);
    assert_in_range(grids, total / 5, total * 3 / 10); /* about one in four */
    appeal_gen_destroy(&gen);
}

static void test_short_names(void **state)
{
    char out[128];
    bool community;
    s_short_name("昭君道社区居民委员会", out, sizeof out, &community);
    assert_string_equal(out, "昭君道社区");
    assert_true(community);
    s_short_name("大新营村民委员会", out, sizeof out, &community);
    assert_string_equal(out, "大新营村");
    assert_false(community);
    s_short_name("水泉沟村村委会", out, sizeof out, &community);
    assert_string_equal(out, "水泉沟村");
    s_short_name("协日嘎嘎查委员会", out, sizeof out, &community);
    assert_string_equal(out, "协日嘎嘎查");
    s_short_name("第三分场生活区", out, sizeof out, &community);
    assert_string_equal(out, "第三分场生活区");
    assert_true(community);
}

/* The regions file is read by common/region.c, as the intake reads it: its reasons name the file
 * and line, and a file the intake would refuse is refused here too. */
static void test_refuses_bad_input(void **state)
{
    char err[256];
    assert_null(appeal_gen_new("/nonexistent/regions.csv", "15", 1, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/regions.csv: No such file"));
    assert_null(appeal_gen_new(s_path, "99", 1, err, sizeof err));
    assert_non_null(strstr(err, "no village code starts with '99'"));
    assert_null(appeal_gen_new(s_path, "1x", 1, err, sizeof err));
    assert_null(appeal_gen_new(s_path, "", 1, err, sizeof err));
    s_write("id,name\n1,x\n");
    assert_null(appeal_gen_new(s_path, "15", 1, err, sizeof err));
    assert_non_null(strstr(err, ":1: header must be 'code,level,parent,name'"));
    s_write("code,level,parent,name\n150123100001 village\n");
    assert_null(appeal_gen_new(s_path, "15", 1, err, sizeof err));
    assert_non_null(strstr(err, ":2: expected"));
    s_write("code,level,parent,name\n150123100001,village,150123100,某村民委员会\n");
    assert_null(appeal_gen_new(s_path, "15", 1, err, sizeof err));
    assert_non_null(strstr(err, "parent 150123100 of 150123100001 is missing"));
    s_write("code,level,parent,name\r\n15,province,,内蒙古自治区\r\n1501,city,15,呼和浩特市\r\n"
            "150123,county,1501,和林格尔县\r\n150123100,township,150123,城关镇\r\n\r\n"
            "150123100001,village,150123100,某村民委员会\r\n\r\n");
    appeal_gen_t *gen = appeal_gen_new(s_path, "15", 1, err, sizeof err);
    assert_non_null(gen); /* CRLF and blank lines are fine */
    char *text = appeal_gen_next(gen, NULL);
    assert_non_null(strstr(text, "\"address\":\"和林格尔县城关镇某村"));
    free(text);
    appeal_gen_destroy(&gen);
    s_write(s_csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_same_appeals),
        cmocka_unit_test(test_bodies_fit_the_intake_api),
        cmocka_unit_test(test_mix_is_realistic),
        cmocka_unit_test(test_short_names),
        cmocka_unit_test(test_refuses_bad_input),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
