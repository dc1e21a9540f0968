#include "mac.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

int mac_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                    uint8_t out[MAC_SHA256_SIZE])
{
    /* HMAC() is the one-shot call OpenSSL 3 keeps undeprecated (HMAC_CTX is not); a NULL key
     * with length 0 is its "no key" and differs from an empty one, so always pass a pointer. */
    static const uint8_t s_empty[1] = {0};
    unsigned int out_len = 0;
    if (!HMAC(EVP_sha256(), key_len ? key : s_empty, (int)key_len, msg_len ? msg : s_empty, msg_len,
              out, &out_len))
        return -1;
    return out_len == MAC_SHA256_SIZE ? 0 : -1;
}

void mac_hex(const uint8_t *data, size_t len, char *out)
{
    static const char s_digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = s_digits[data[i] >> 4];
        out[2 * i + 1] = s_digits[data[i] & 0x0f];
    }
    out[2 * len] = '\0';
}

int mac_base64(const uint8_t *data, size_t len, char *out, size_t size)
{
    if (size == 0)
        return -1;
    out[0] = '\0';
    /* EVP_EncodeBlock takes an int length and writes no newlines, unlike the EVP_Encode* stream */
    if (len > (size_t)(1 << 30) || size < 4 * ((len + 2) / 3) + 1)
        return -1;
    return EVP_EncodeBlock((unsigned char *)out, data, (int)len);
}

static int s_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

int mac_url_encode(const char *in, char *out, size_t size)
{
    static const char s_digits[] = "0123456789ABCDEF";
    if (size == 0)
        return -1;
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        size_t need = s_unreserved(*p) ? 1 : 3;
        if (n + need >= size) {
            out[0] = '\0';
            return -1;
        }
        if (need == 1) {
            out[n++] = (char)*p;
        } else {
            out[n++] = '%';
            out[n++] = s_digits[*p >> 4];
            out[n++] = s_digits[*p & 0x0f];
        }
    }
    out[n] = '\0';
    return (int)n;
}
