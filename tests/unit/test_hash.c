/* hash: FNV-1a 64 against the published test vectors, and the forms that must agree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hash.h"

/* From the FNV reference test suite (Fowler, Noll, Vo: fnv/test_fnv.c). */
static const struct {
    const char *text;
    uint64_t fnv1a64;
} s_vectors[] = {
    {"", 0xcbf29ce484222325ULL},       {"a", 0xaf63dc4c8601ec8cULL},
    {"b", 0xaf63df4c8601f1a5ULL},      {"foo", 0xdcb27518fed9d577ULL},
    {"foobar", 0x85944171f73967e8ULL}, {"chongo was here!\n", 0x46810940eff5f915ULL},
};

static void test_published_vectors(void **state)
{
    for (size_t i = 0; i < sizeof s_vectors / sizeof s_vectors[0]; i++) {
        const char *text = s_vectors[i].text;
        assert_int_equal(hash_fnv1a64(text, strlen(text)), s_vectors[i].fnv1a64);
        assert_int_equal(hash_fnv1a64_str(text), s_vectors[i].fnv1a64);
    }
}

static void test_bytes_not_strings(void **state)
{
    /* Every byte counts, NULs and high bytes too (a body may contain both). */
    const unsigned char bytes[] = {'a', 0, 0xe6, 0x9a, 0x96};
    assert_int_not_equal(hash_fnv1a64(bytes, sizeof bytes), hash_fnv1a64(bytes, 1));
    assert_int_equal(hash_fnv1a64(bytes, 1), hash_fnv1a64_str("a"));
    assert_int_equal(hash_fnv1a64("暖气不热", strlen("暖气不热")), hash_fnv1a64_str("暖气不热"));
    assert_int_equal(hash_fnv1a64(NULL, 0), 0xcbf29ce484222325ULL);
}

static void test_hex(void **state)
{
    char out[17];
    memset(out, 'x', sizeof out);
    hash_hex64(0x85944171f73967e8ULL, out);
    assert_string_equal(out, "85944171f73967e8");
    hash_hex64(0xaULL, out);
    assert_string_equal(out, "000000000000000a"); /* always 16 digits */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_published_vectors),
        cmocka_unit_test(test_bytes_not_strings),
        cmocka_unit_test(test_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
