/* target: what each receiver type is sent (read back with jansson), its headers and signatures
 * (recomputed here with libcrypto, or an openssl(1) vector), the WeCom length cap, the
 * accepted/receiver-error judgement, and URL redaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "clock.h"
#include "notifier/target.h"
#include "notifier/target_dingtalk.h"
#include "notifier/target_wecom.h"
#include "utf8.h"

#define S_NOW_MS 1764100000000LL /* 2025-11-25T19:46:40Z */

/* An alert shaped as alert_render makes it (docs/notifier.md, The alert). */
static json_t *s_alert(const char *appeal_id, unsigned seq, const char *event, const char *level)
{
    char id[64];
    snprintf(id, sizeof id, "%s:%u", appeal_id, seq);
    json_t *alert = json_pack(
        "{s:s, s:s, s:s, s:i, s:s, s:s, s:[s,s,s,s,s], s:s, s:s, s:s, s:[s], s:s, s:s, s:s,"
        " s:s}",
        "id", id, "appeal_id", appeal_id, "event", event, "seq", (int)seq, "level", level, "region",
        "150123100001", "region_names", "内蒙古自治区", "呼和浩特市", "和林格尔县", "城关镇",
        "南园村", "channel", "hotline", "category", "heating", "department", "供热办", "recipients",
        "王五", "summary", "[红] 和林格尔县 南园村 heating: escalated", "at",
        "2025-11-26T03:40:00.000+08:00", "deadline", "2025-11-27T03:40:00.000+08:00",
        "subscription", "ops");
    assert_non_null(alert);
    return alert;
}

/* The value of header name in req, or NULL. */
static const char *s_header(const target_request_t *req, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < req->header_count; i++)
        if (strncmp(req->headers[i], name, len) == 0 &&
            strncmp(req->headers[i] + len, ": ", 2) == 0)
            return req->headers[i] + len + 2;
    return NULL;
}

static json_t *s_body(const target_request_t *req)
{
    json_error_t error;
    json_t *body = json_loads(req->body, 0, &error);
    if (!body)
        fail_msg("body is not JSON (%s): %s", error.text, req->body);
    return body;
}

static size_t s_count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + strlen(needle), needle))
        n++;
    return n;
}

/* The webhook signature computed here, straight from libcrypto (not through common/mac). */
static void s_expected_signature(const char *secret, const char *timestamp, const char *body,
                                 char *out, size_t size)
{
    size_t len = strlen(timestamp) + 1 + strlen(body);
    char *message = malloc(len + 1);
    assert_non_null(message);
    snprintf(message, len + 1, "%s.%s", timestamp, body);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    assert_non_null(HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)message, len,
                         mac, &mac_len));
    free(message);
    assert_int_equal(mac_len, 32);
    size_t n = (size_t)snprintf(out, size, "sha256=");
    for (unsigned i = 0; i < mac_len; i++)
        n += (size_t)snprintf(out + n, size - n, "%02x", mac[i]);
}

static void test_type_names(void **state)
{
    const char *names[] = {"webhook", "wecom", "dingtalk", "alertmanager"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(target_type_parse(names[i]), i);
        assert_string_equal(target_type_name((target_type_t)i), names[i]);
    }
    assert_int_equal(target_type_parse("slack"), -1);
    assert_int_equal(target_type_parse(""), -1);
    assert_int_equal(target_type_parse("WeCom"), -1);
    assert_int_equal(target_type_parse(NULL), -1);
    assert_string_equal(target_type_name((target_type_t)9), "unknown");
}

static void test_webhook_one(void **state)
{
    json_t *alert = s_alert("A1", 2, "escalated", "red");
    target_request_t req;
    assert_int_equal(target_render(TARGET_WEBHOOK, "http://127.0.0.1:8080/hook", NULL, &alert, 1,
                                   S_NOW_MS + 999, &req),
                     0);
    assert_string_equal(req.url, "http://127.0.0.1:8080/hook");
    json_t *body = s_body(&req);
    assert_true(json_equal(body, alert)); /* the alert itself */
    json_decref(body);
    assert_string_equal(s_header(&req, "Content-Type"), "application/json");
    assert_string_equal(s_header(&req, "X-Gridline-Alert-Id"), "A1:2");
    assert_string_equal(s_header(&req, "X-Gridline-Timestamp"), "1764100000");
    assert_null(s_header(&req, "X-Gridline-Alert-Ids"));
    assert_null(s_header(&req, "X-Gridline-Signature")); /* no secret, no signature */
    target_request_fini(&req);
    assert_null(req.url);
    assert_int_equal(req.header_count, 0);
    target_request_fini(&req); /* twice is fine */

    assert_int_equal(
        target_render(TARGET_WEBHOOK, "http://h/x", "s3cret", &alert, 1, S_NOW_MS, &req), 0);
    char want[80];
    s_expected_signature("s3cret", "1764100000", req.body, want, sizeof want);
    assert_string_equal(s_header(&req, "X-Gridline-Signature"), want);
    /* the signature covers the timestamp: a second later it differs */
    target_request_t later;
    assert_int_equal(
        target_render(TARGET_WEBHOOK, "http://h/x", "s3cret", &alert, 1, S_NOW_MS + 1000, &later),
        0);
    assert_string_equal(req.body, later.body);
    assert_string_not_equal(s_header(&req, "X-Gridline-Signature"),
                            s_header(&later, "X-Gridline-Signature"));
    target_request_fini(&later);
    target_request_fini(&req);
    json_decref(alert);
}

static void test_webhook_group(void **state)
{
    json_t *alerts[3] = {s_alert("A1", 2, "escalated", "red"),
                         s_alert("B2", 3, "assigned", "green"),
                         s_alert("C3", 4, "reminded", "yellow")};
    target_request_t req;
    assert_int_equal(target_render(TARGET_WEBHOOK, "http://h/x", "k", alerts, 3, S_NOW_MS, &req),
                     0);
    json_t *body = s_body(&req);
    json_t *list = json_object_get(body, "alerts");
    assert_int_equal(json_array_size(list), 3);
    for (size_t i = 0; i < 3; i++)
        assert_true(json_equal(json_array_get(list, i), alerts[i]));
    assert_int_equal(json_object_size(body), 1);
    json_decref(body);
    assert_string_equal(s_header(&req, "X-Gridline-Alert-Ids"), "A1:2,B2:3,C3:4");
    assert_string_equal(s_header(&req, "X-Gridline-Alert-Id"), "A1:2");
    char want[80];
    s_expected_signature("k", s_header(&req, "X-Gridline-Timestamp"), req.body, want, sizeof want);
    assert_string_equal(s_header(&req, "X-Gridline-Signature"), want);
    target_request_fini(&req);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(alerts[i]->refcount, 1); /* the caller's references are left alone */
        json_decref(alerts[i]);
    }
}

static void test_wecom_format(void **state)
{
    json_t *alert = s_alert("A1", 2, "escalated", "red");
    json_object_set_new(alert, "reason", json_string("超时未处理"));
    const char *url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc";
    target_request_t req;
    assert_int_equal(target_render(TARGET_WECOM, url, "ignored", &alert, 1, S_NOW_MS, &req), 0);
    assert_string_equal(req.url, url);
    assert_string_equal(s_header(&req, "Content-Type"), "application/json");
    json_t *body = s_body(&req);
    assert_string_equal(json_string_value(json_object_get(body, "msgtype")), "markdown");
    const char *content =
        json_string_value(json_object_get(json_object_get(body, "markdown"), "content"));
    assert_non_null(content);
    const char *parts[] = {"🔴 红",
                           "已升级",
                           "escalated",
                           "A1",
                           "内蒙古自治区 呼和浩特市 和林格尔县 城关镇 南园村",
                           "heating",
                           "王五",
                           "2025-11-27T03:40:00.000+08:00",
                           "超时未处理"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (!strstr(content, parts[i]))
            fail_msg("'%s' not in: %s", parts[i], content);
    json_decref(body);
    target_request_fini(&req);

    /* a newline in a value stays inside its line */
    json_object_set_new(alert, "reason", json_string("第一行\n### 第二行"));
    assert_int_equal(target_render(TARGET_WECOM, url, NULL, &alert, 1, S_NOW_MS, &req), 0);
    body = s_body(&req);
    content = json_string_value(json_object_get(json_object_get(body, "markdown"), "content"));
    assert_non_null(strstr(content, "> 原因：第一行 ### 第二行\n"));
    json_decref(body);
    target_request_fini(&req);

    /* each level's colour as emoji and word; a group lists every alert */
    json_t *alerts[4] = {s_alert("G1", 1, "assigned", "green"),
                         s_alert("B1", 1, "assigned", "blue"),
                         s_alert("Y1", 1, "reminded", "yellow"), alert};
    assert_int_equal(target_render(TARGET_WECOM, url, NULL, alerts, 4, S_NOW_MS, &req), 0);
    body = s_body(&req);
    content = json_string_value(json_object_get(json_object_get(body, "markdown"), "content"));
    const char *group[] = {"🟢 绿", "🔵 蓝", "🟡 黄", "🔴 红", "G1", "B1", "Y1", "A1", "4 条"};
    for (size_t i = 0; i < sizeof group / sizeof group[0]; i++)
        if (!strstr(content, group[i]))
            fail_msg("'%s' not in: %s", group[i], content);
    assert_null(strstr(content, "另有"));
    json_decref(body);
    target_request_fini(&req);
    for (size_t i = 0; i < 4; i++)
        json_decref(alerts[i]);
}

static void test_wecom_cap(void **state)
{
    json_t *alerts[200];
    for (size_t i = 0; i < 200; i++) {
        char id[16];
        snprintf(id, sizeof id, "AP%03zu", i);
        alerts[i] = s_alert(id, 2, "escalated", "red");
    }
    target_request_t req;
    assert_int_equal(
        target_render(TARGET_WECOM, "https://q/send?key=k", NULL, alerts, 200, S_NOW_MS, &req), 0);
    json_t *body = s_body(&req);
    const char *content =
        json_string_value(json_object_get(json_object_get(body, "markdown"), "content"));
    size_t len = strlen(content);
    assert_true(len < TARGET_WECOM_CONTENT_MAX);
    assert_true(len > TARGET_WECOM_CONTENT_MAX / 2); /* filled, not cut short */
    assert_true(utf8_valid(content, len));
    size_t shown = s_count(content, "诉求：");
    assert_true(shown >= 2 && shown < 200);
    char more[32];
    snprintf(more, sizeof more, "…另有 %zu 条", 200 - shown);
    if (!strstr(content, more))
        fail_msg("'%s' not in: %s", more, content);
    json_decref(body);
    target_request_fini(&req);

    /* one alert too long by itself is cut on a UTF-8 boundary */
    json_t *alert = alerts[0];
    char *reason = malloc(3 * 3000 + 1);
    assert_non_null(reason);
    for (size_t i = 0; i < 3000; i++)
        memcpy(reason + 3 * i, "暖", 3);
    reason[3 * 3000] = '\0';
    json_object_set_new(alert, "reason", json_string(reason));
    free(reason);
    for (size_t n = 1; n <= 2; n++) {
        assert_int_equal(
            target_render(TARGET_WECOM, "https://q/send", NULL, alerts, n, S_NOW_MS, &req), 0);
        body = s_body(&req);
        content = json_string_value(json_object_get(json_object_get(body, "markdown"), "content"));
        len = strlen(content);
        assert_true(len < TARGET_WECOM_CONTENT_MAX && len > 3000);
        assert_true(utf8_valid(content, len));
        if (n == 1)
            assert_string_equal(content + len - strlen("…"), "…");
        else
            assert_non_null(strstr(content, "…另有 1 条"));
        json_decref(body);
        target_request_fini(&req);
    }
    for (size_t i = 0; i < 200; i++)
        json_decref(alerts[i]);
}

static void test_dingtalk(void **state)
{
    /* printf '1764100000000\n%s' "$S" | openssl dgst -sha256 -hmac "$S" -binary | base64,
     * then percent-encoded: + / = are not unreserved */
    const char *secret = "SEC0f6a1b2c3d4e5f60718293a4b5c6d7e8f9011223344556677889900aabbccdde";
    const char *sign = "wJQHdgFqq%2B1IwwNlGcppn%2B1W9waLlsSPHCtPpzAm%2B1c%3D";
    char out[128];
    assert_int_equal(target_dingtalk_sign(secret, S_NOW_MS, out, sizeof out), 0);
    assert_string_equal(out, sign);

    json_t *alert = s_alert("A1", 2, "escalated", "red");
    const char *url = "https://oapi.dingtalk.com/robot/send?access_token=tok";
    target_request_t req;
    assert_int_equal(target_render(TARGET_DINGTALK, url, secret, &alert, 1, S_NOW_MS, &req), 0);
    char want[256];
    snprintf(want, sizeof want, "%s&timestamp=1764100000000&sign=%s", url, sign);
    assert_string_equal(req.url, want);
    assert_string_equal(s_header(&req, "Content-Type"), "application/json");
    json_t *body = s_body(&req);
    assert_string_equal(json_string_value(json_object_get(body, "msgtype")), "markdown");
    json_t *markdown = json_object_get(body, "markdown");
    const char *title = json_string_value(json_object_get(markdown, "title"));
    const char *text = json_string_value(json_object_get(markdown, "text"));
    assert_non_null(title);
    assert_non_null(text);
    assert_non_null(strstr(title, "🔴 红"));
    assert_non_null(strstr(title, "A1"));
    assert_non_null(strstr(text, "和林格尔县"));
    assert_non_null(strstr(text, "已升级"));
    assert_non_null(strstr(text, "王五"));
    json_decref(body);
    target_request_fini(&req);

    /* no secret: the URL as given; a URL without a query gets '?' */
    assert_int_equal(target_render(TARGET_DINGTALK, url, "", &alert, 1, S_NOW_MS, &req), 0);
    assert_string_equal(req.url, url);
    target_request_fini(&req);
    assert_int_equal(
        target_render(TARGET_DINGTALK, "http://h/robot", secret, &alert, 1, S_NOW_MS, &req), 0);
    snprintf(want, sizeof want, "http://h/robot?timestamp=1764100000000&sign=%s", sign);
    assert_string_equal(req.url, want);
    target_request_fini(&req);
    json_decref(alert);
}

static void test_alertmanager(void **state)
{
    json_t *alerts[2] = {s_alert("A1", 2, "escalated", "red"),
                         s_alert("B2", 5, "resolved", "yellow")};
    json_object_set_new(alerts[1], "department", json_string(""));
    json_object_del(alerts[1], "deadline");
    target_request_t req;
    assert_int_equal(target_render(TARGET_ALERTMANAGER, "http://127.0.0.1:9093//", NULL, alerts, 2,
                                   S_NOW_MS, &req),
                     0);
    assert_string_equal(req.url, "http://127.0.0.1:9093/api/v2/alerts");
    assert_string_equal(s_header(&req, "Content-Type"), "application/json");
    json_t *body = s_body(&req);
    assert_true(json_is_array(body));
    assert_int_equal(json_array_size(body), 2);

    json_t *first = json_array_get(body, 0);
    json_t *want_labels =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "alertname", "gridline_appeal",
                  "appeal_id", "A1", "region", "150123100001", "county", "150123", "level", "red",
                  "category", "heating", "department", "供热办");
    assert_true(json_equal(json_object_get(first, "labels"), want_labels));
    json_decref(want_labels);
    json_t *annotations = json_object_get(first, "annotations");
    assert_string_equal(json_string_value(json_object_get(annotations, "event")), "escalated");
    assert_string_equal(json_string_value(json_object_get(annotations, "deadline")),
                        "2025-11-27T03:40:00.000+08:00");
    assert_non_null(strstr(json_string_value(json_object_get(annotations, "summary")), "[红]"));
    const char *description = json_string_value(json_object_get(annotations, "description"));
    assert_non_null(description);
    assert_non_null(strstr(description, "和林格尔县"));
    assert_non_null(strstr(description, "王五"));
    assert_string_equal(json_string_value(json_object_get(first, "startsAt")),
                        "2025-11-26T03:40:00.000+08:00");
    assert_null(json_object_get(first, "endsAt"));
    assert_null(json_object_get(first, "generatorURL"));
    assert_int_equal(json_object_size(first), 3);

    /* resolved: endsAt is now; no empty label, no deadline */
    json_t *second = json_array_get(body, 1);
    char now_iso[40];
    clock_iso(S_NOW_MS, now_iso);
    assert_string_equal(json_string_value(json_object_get(second, "endsAt")), now_iso);
    assert_null(json_object_get(json_object_get(second, "labels"), "department"));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(second, "labels"), "level")), "yellow");
    assert_null(json_object_get(json_object_get(second, "annotations"), "deadline"));
    json_decref(body);
    target_request_fini(&req);

    /* a base with a path or a query keeps them around the API path */
    assert_int_equal(target_render(TARGET_ALERTMANAGER, "https://u:p@am.example/am/?tenant=x", NULL,
                                   alerts, 1, S_NOW_MS, &req),
                     0);
    assert_string_equal(req.url, "https://u:p@am.example/am/api/v2/alerts?tenant=x");
    target_request_fini(&req);

    /* closed and invalidated end it too */
    const char *ending[] = {"closed", "invalidated", "reopened"};
    for (size_t i = 0; i < 3; i++) {
        json_object_set_new(alerts[0], "event", json_string(ending[i]));
        assert_int_equal(
            target_render(TARGET_ALERTMANAGER, "http://am:9093", NULL, alerts, 1, S_NOW_MS, &req),
            0);
        assert_string_equal(req.url, "http://am:9093/api/v2/alerts");
        body = s_body(&req);
        assert_int_equal(json_object_get(json_array_get(body, 0), "endsAt") != NULL, i < 2);
        json_decref(body);
        target_request_fini(&req);
    }
    json_decref(alerts[0]);
    json_decref(alerts[1]);
}

static void test_accepted(void **state)
{
    char why[256];
    /* webhook and Alertmanager: any 2xx */
    long yes[] = {200, 201, 202, 204, 299};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(target_accepted(TARGET_WEBHOOK, yes[i], "", 0, why, sizeof why), 1);
        assert_int_equal(target_accepted(TARGET_ALERTMANAGER, yes[i], "", 0, why, sizeof why), 1);
    }
    long no[] = {0, 100, 302, 400, 404, 500, 503};
    for (size_t i = 0; i < 7; i++) {
        char want[32];
        snprintf(want, sizeof want, "HTTP %ld", no[i]);
        why[0] = '\0';
        assert_int_equal(target_accepted(TARGET_WEBHOOK, no[i], NULL, 0, why, sizeof why), 0);
        assert_string_equal(why, want);
    }
    const char *am_error = "{\"code\":400,\"message\":\"start time must be before end time\"}";
    assert_int_equal(
        target_accepted(TARGET_ALERTMANAGER, 400, am_error, strlen(am_error), why, sizeof why), 0);
    assert_non_null(strstr(why, "HTTP 400"));
    assert_non_null(strstr(why, "start time must be before end time"));

    /* the chat robots: HTTP 200 and errcode 0 */
    target_type_t chats[] = {TARGET_WECOM, TARGET_DINGTALK};
    for (size_t i = 0; i < 2; i++) {
        const char *ok = "{\"errcode\":0,\"errmsg\":\"ok\"}";
        assert_int_equal(target_accepted(chats[i], 200, ok, strlen(ok), why, sizeof why), 1);
        const char *bad = "{\"errcode\":93000,\"errmsg\":\"invalid webhook url\"}";
        assert_int_equal(target_accepted(chats[i], 200, bad, strlen(bad), why, sizeof why), 0);
        assert_string_equal(why, "errcode 93000: invalid webhook url");
        const char *sign = "{\"errcode\":310000,\"errmsg\":\"sign not match\"}";
        assert_int_equal(target_accepted(chats[i], 200, sign, strlen(sign), why, sizeof why), 0);
        assert_non_null(strstr(why, "310000"));
        assert_int_equal(target_accepted(chats[i], 500, ok, strlen(ok), why, sizeof why), 0);
        assert_string_equal(why, "HTTP 500");
        assert_int_equal(target_accepted(chats[i], 204, "", 0, why, sizeof why), 0);
        assert_int_equal(target_accepted(chats[i], 200, "<html>", 6, why, sizeof why), 0);
        assert_int_equal(target_accepted(chats[i], 200, "{}", 2, why, sizeof why), 0);
        assert_int_equal(target_accepted(chats[i], 200, NULL, 0, why, sizeof why), 0);
        const char *text = "{\"errcode\":\"0\"}"; /* a string is not the number */
        assert_int_equal(target_accepted(chats[i], 200, text, strlen(text), why, sizeof why), 0);
    }
}

static void test_url_redact(void **state)
{
    const char *cases[][2] = {
        {"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx",
         "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"},
        {"https://oapi.dingtalk.com/robot/send?access_token=abc&timestamp=1&sign=x",
         "https://oapi.dingtalk.com/robot/send"},
        {"http://user:pass@127.0.0.1:9093/am?x=1", "http://127.0.0.1:9093/am"},
        {"http://user:p@ss@am.example:9093/base/#frag", "http://am.example:9093/base/"},
        {"http://admin@host/path", "http://host/path"},
        {"http://host", "http://host"},
        {"http://host:8080?key=k", "http://host:8080"},
        {"https://example.org/a@b?c", "https://example.org/a@b"}, /* '@' in the path stays */
        {"", ""},
    };
    char out[128];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        target_url_redact(cases[i][0], out, sizeof out);
        assert_string_equal(out, cases[i][1]);
    }
    target_url_redact("https://qyapi.weixin.qq.com/x?key=k", out, 12); /* cut, terminated */
    assert_string_equal(out, "https://qya");
}

static void test_render_refused(void **state)
{
    json_t *alert = s_alert("A1", 2, "escalated", "red");
    target_request_t req;
    assert_int_equal(target_render(TARGET_WEBHOOK, "http://h", NULL, &alert, 0, S_NOW_MS, &req),
                     -1);
    assert_null(req.url);
    assert_null(req.body);
    assert_int_equal(target_render((target_type_t)7, "http://h", NULL, &alert, 1, S_NOW_MS, &req),
                     -1);
    assert_null(req.body);
    assert_int_equal(req.header_count, 0);
    target_request_fini(&req);
    target_request_fini(NULL);
    json_decref(alert);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_names),    cmocka_unit_test(test_webhook_one),
        cmocka_unit_test(test_webhook_group), cmocka_unit_test(test_wecom_format),
        cmocka_unit_test(test_wecom_cap),     cmocka_unit_test(test_dingtalk),
        cmocka_unit_test(test_alertmanager),  cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_url_redact),    cmocka_unit_test(test_render_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
