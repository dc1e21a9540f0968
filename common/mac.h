/* mac: message authentication codes and the encodings they travel in.
 *
 * HMAC-SHA256 (RFC 2104 over SHA-256) from OpenSSL's libcrypto, the library the token hashes
 * use (common/auth.c), and the three ways a receiver expects to read one: lowercase hex (the
 * generic webhook's X-Gridline-Signature), base64 (DingTalk's sign) and percent-encoding for a
 * query string. Nothing here allocates: the caller gives the output buffer. */
#ifndef GRIDLINE_MAC_H
#define GRIDLINE_MAC_H

#include <stddef.h>
#include <stdint.h>

#define MAC_SHA256_SIZE 32

/* HMAC-SHA256 of msg under key into out. 0, or -1 if libcrypto failed. */
int mac_hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                    uint8_t out[MAC_SHA256_SIZE]);
/* len bytes as 2 * len lowercase hex digits and a NUL (out holds 2 * len + 1 bytes). */
void mac_hex(const uint8_t *data, size_t len, char *out);
/* len bytes as padded base64 (RFC 4648) and a NUL. Returns the length written, or -1 (out
 * is then "") when size is under 4 * ((len + 2) / 3) + 1. */
int mac_base64(const uint8_t *data, size_t len, char *out, size_t size);
/* in percent-encoded for a URL query (RFC 3986): unreserved characters (A-Z a-z 0-9 - . _ ~)
 * kept, every other byte as %XX (uppercase). Returns the length written, or -1 (out is then "")
 * when it does not fit in size bytes with its NUL. */
int mac_url_encode(const char *in, char *out, size_t size);

#endif
