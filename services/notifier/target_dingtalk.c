#include "target_dingtalk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mac.h"

int target_dingtalk_sign(const char *secret, int64_t timestamp_ms, char *out, size_t size)
{
    char message[64 + 256];
    int len = snprintf(message, sizeof message, "%lld\n%s", (long long)timestamp_ms, secret);
    if (len < 0 || (size_t)len >= sizeof message)
        return -1; /* DingTalk's secrets are 67 characters ("SEC" and 64 hex) */
    uint8_t mac[MAC_SHA256_SIZE];
    char base64[4 * ((MAC_SHA256_SIZE + 2) / 3) + 1];
    if (mac_hmac_sha256(secret, strlen(secret), message, (size_t)len, mac) != 0 ||
        mac_base64(mac, sizeof mac, base64, sizeof base64) < 0)
        return -1;
    return mac_url_encode(base64, out, size) < 0 ? -1 : 0;
}

int target_dingtalk_render(const char *url, const char *secret, json_t *const *alerts, size_t n,
                           int64_t now_ms, target_request_t *out)
{
    char *title = target_markdown_title(alerts, n);
    char *text = target_markdown(alerts, n, TARGET_DINGTALK_TEXT_MAX);
    json_t *body = title && text ? json_pack("{s:s, s:{s:s, s:s}}", "msgtype", "markdown",
                                             "markdown", "title", title, "text", text)
                                 : NULL;
    free(title);
    free(text);
    out->body = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!out->body)
        return -1;
    if (*secret) {
        char sign[128];
        if (target_dingtalk_sign(secret, now_ms, sign, sizeof sign) != 0 ||
            asprintf(&out->url, "%s%ctimestamp=%lld&sign=%s", url, strchr(url, '?') ? '&' : '?',
                     (long long)now_ms, sign) < 0) {
            out->url = NULL;
            return -1;
        }
    } else if (!(out->url = strdup(url))) {
        return -1;
    }
    return target_request_header(out, "Content-Type: application/json");
}
