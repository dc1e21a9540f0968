/* mac: HMAC-SHA256 against the RFC 4231 test vectors, and the hex, base64 and URL encodings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mac.h"

typedef struct {
    uint8_t key[131];
    size_t key_len;
    uint8_t data[160];
    size_t data_len;
    const char *hex; /* the expected HMAC, or its first bytes (test case 5 truncates) */
} s_vector_t;

static void s_fill(uint8_t *buf, uint8_t byte, size_t len)
{
    memset(buf, byte, len);
}

static size_t s_text(uint8_t *buf, const char *text)
{
    size_t len = strlen(text);
    memcpy(buf, text, len);
    return len;
}

static void test_rfc4231_vectors(void **state)
{
    static s_vector_t v[7];
    memset(v, 0, sizeof v);
    /* 1: 20 x 0x0b, "Hi There" */
    s_fill(v[0].key, 0x0b, v[0].key_len = 20);
    v[0].data_len = s_text(v[0].data, "Hi There");
    v[0].hex = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
    /* 2: a key shorter than the output */
    v[1].key_len = s_text(v[1].key, "Jefe");
    v[1].data_len = s_text(v[1].data, "what do ya want for nothing?");
    v[1].hex = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    /* 3: 20 x 0xaa, 50 x 0xdd */
    s_fill(v[2].key, 0xaa, v[2].key_len = 20);
    s_fill(v[2].data, 0xdd, v[2].data_len = 50);
    v[2].hex = "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe";
    /* 4: 0x01..0x19, 50 x 0xcd */
    for (size_t i = 0; i < 25; i++)
        v[3].key[i] = (uint8_t)(i + 1);
    v[3].key_len = 25;
    s_fill(v[3].data, 0xcd, v[3].data_len = 50);
    v[3].hex = "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b";
    /* 5: the RFC gives only the first 128 bits */
    s_fill(v[4].key, 0x0c, v[4].key_len = 20);
    v[4].data_len = s_text(v[4].data, "Test With Truncation");
    v[4].hex = "a3b6167473100ee06e0c796c2955552b";
    /* 6 and 7: a key longer than SHA-256's block, hashed first */
    s_fill(v[5].key, 0xaa, v[5].key_len = 131);
    v[5].data_len = s_text(v[5].data, "Test Using Larger Than Block-Size Key - Hash Key First");
    v[5].hex = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54";
    s_fill(v[6].key, 0xaa, v[6].key_len = 131);
    v[6].data_len = s_text(v[6].data, "This is a test using a larger than block-size key and a "
                                      "larger than block-size data. The key needs to be hashed "
                                      "before being used by the HMAC algorithm.");
    v[6].hex = "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2";

    for (size_t i = 0; i < 7; i++) {
        uint8_t mac[MAC_SHA256_SIZE];
        char hex[2 * MAC_SHA256_SIZE + 1];
        assert_int_equal(mac_hmac_sha256(v[i].key, v[i].key_len, v[i].data, v[i].data_len, mac), 0);
        mac_hex(mac, sizeof mac, hex);
        size_t want = strlen(v[i].hex);
        assert_true(strncmp(hex, v[i].hex, want) == 0);
    }
}

static void test_hmac_empty(void **state)
{
    /* HMAC-SHA256("", "") (openssl dgst -sha256 -hmac '' < /dev/null) */
    uint8_t mac[MAC_SHA256_SIZE];
    char hex[2 * MAC_SHA256_SIZE + 1];
    assert_int_equal(mac_hmac_sha256("", 0, "", 0, mac), 0);
    mac_hex(mac, sizeof mac, hex);
    assert_string_equal(hex, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

static void test_hex(void **state)
{
    const uint8_t bytes[] = {0x00, 0x0f, 0xa0, 0xff};
    char out[9];
    mac_hex(bytes, sizeof bytes, out);
    assert_string_equal(out, "000fa0ff");
    mac_hex(bytes, 0, out);
    assert_string_equal(out, "");
}

static void test_base64(void **state)
{
    /* RFC 4648 section 10 */
    static const char *want[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    char out[16];
    for (size_t len = 0; len <= 6; len++) {
        assert_int_equal(mac_base64((const uint8_t *)"foobar", len, out, sizeof out),
                         (int)strlen(want[len]));
        assert_string_equal(out, want[len]);
    }
    /* 32 bytes take 44 characters and the NUL */
    uint8_t mac[MAC_SHA256_SIZE] = {0};
    char b64[45];
    assert_int_equal(mac_base64(mac, sizeof mac, b64, sizeof b64), 44);
    assert_int_equal(mac_base64(mac, sizeof mac, b64, 44), -1);
    assert_string_equal(b64, "");
    const uint8_t high[] = {0xfb, 0xff};
    assert_int_equal(mac_base64(high, sizeof high, out, sizeof out), 4);
    assert_string_equal(out, "+/8=");
}

static void test_url_encode(void **state)
{
    char out[64];
    assert_int_equal(mac_url_encode("AZaz09-._~", out, sizeof out), 10);
    assert_string_equal(out, "AZaz09-._~");
    assert_true(mac_url_encode("a+b/c=d e&f", out, sizeof out) > 0);
    assert_string_equal(out, "a%2Bb%2Fc%3Dd%20e%26f");
    assert_true(mac_url_encode("红", out, sizeof out) > 0);
    assert_string_equal(out, "%E7%BA%A2");
    assert_int_equal(mac_url_encode("", out, sizeof out), 0);
    assert_string_equal(out, "");
    /* too small: "%2B" and its NUL need 4 bytes */
    assert_int_equal(mac_url_encode("+", out, 3), -1);
    assert_string_equal(out, "");
    assert_int_equal(mac_url_encode("+", out, 4), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4231_vectors),
        cmocka_unit_test(test_hmac_empty),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_url_encode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
