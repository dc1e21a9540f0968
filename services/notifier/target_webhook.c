#include "target_webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mac.h"

/* The body: one alert as it is, a group wrapped (the caller keeps its references). */
static char *s_body(json_t *const *alerts, size_t n)
{
    if (n == 1)
        return json_dumps(alerts[0], JSON_COMPACT);
    json_t *list = json_array();
    json_t *wrapper = json_object();
    char *body = NULL;
    if (list && wrapper && json_object_set(wrapper, "alerts", list) == 0) {
        int failed = 0;
        for (size_t i = 0; i < n && !failed; i++)
            failed = json_array_append(list, alerts[i]) != 0;
        if (!failed)
            body = json_dumps(wrapper, JSON_COMPACT);
    }
    json_decref(list);
    json_decref(wrapper);
    return body;
}

/* "id1,id2,…" of a group; malloc'd, or NULL. */
static char *s_id_list(json_t *const *alerts, size_t n)
{
    size_t size = 1;
    for (size_t i = 0; i < n; i++)
        size += strlen(target_alert_string(alerts[i], "id")) + 1;
    char *ids = malloc(size);
    if (!ids)
        return NULL;
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(ids + len, size - len, "%s%s", i ? "," : "",
                                target_alert_string(alerts[i], "id"));
    return ids;
}

/* X-Gridline-Signature's value for body at timestamp; 0, or -1. */
static int s_sign(const char *secret, const char *timestamp, const char *body,
                  char hex[2 * MAC_SHA256_SIZE + 1])
{
    char *message = NULL;
    int len = asprintf(&message, "%s.%s", timestamp, body);
    if (len < 0)
        return -1;
    uint8_t mac[MAC_SHA256_SIZE];
    int rc = mac_hmac_sha256(secret, strlen(secret), message, (size_t)len, mac);
    free(message);
    if (rc == 0)
        mac_hex(mac, sizeof mac, hex);
    return rc;
}

/* The headers every webhook request has, and the signature over out->body. 0, or -1. */
static int s_headers(target_request_t *out, const char *secret, const char *alert_id,
                     const char *ids, int64_t now_ms)
{
    char timestamp[24];
    snprintf(timestamp, sizeof timestamp, "%lld", (long long)(now_ms / 1000));
    if (target_request_header(out, "Content-Type: application/json") != 0 ||
        target_request_header(out, "X-Gridline-Alert-Id: %s", alert_id) != 0 ||
        target_request_header(out, "X-Gridline-Timestamp: %s", timestamp) != 0 ||
        (ids && target_request_header(out, "X-Gridline-Alert-Ids: %s", ids) != 0))
        return -1;
    if (*secret) {
        char hex[2 * MAC_SHA256_SIZE + 1];
        if (s_sign(secret, timestamp, out->body, hex) != 0 ||
            target_request_header(out, "X-Gridline-Signature: sha256=%s", hex) != 0)
            return -1;
    }
    return 0;
}

int target_webhook_render(const char *url, const char *secret, json_t *const *alerts, size_t n,
                          int64_t now_ms, target_request_t *out)
{
    out->url = strdup(url);
    out->body = s_body(alerts, n);
    if (!out->url || !out->body)
        return -1;
    char *ids = n > 1 ? s_id_list(alerts, n) : NULL;
    if (n > 1 && !ids)
        return -1;
    int rc = s_headers(out, secret, target_alert_string(alerts[0], "id"), ids, now_ms);
    free(ids);
    return rc;
}

int target_webhook_render_text(const char *url, const char *secret, const char *body,
                               const char *alert_id, int64_t now_ms, target_request_t *out)
{
    memset(out, 0, sizeof *out);
    out->url = strdup(url);
    out->body = strdup(body);
    if (!out->url || !out->body || s_headers(out, secret ? secret : "", alert_id, NULL, now_ms)) {
        target_request_fini(out);
        return -1;
    }
    return 0;
}

int target_webhook_accepted(long status, char *why, size_t why_size)
{
    if (status >= 200 && status < 300)
        return 1;
    snprintf(why, why_size, "HTTP %ld", status);
    return 0;
}
