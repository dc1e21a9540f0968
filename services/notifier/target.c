#include "target.h"

#include "url.h"
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target_alertmanager.h"
#include "target_dingtalk.h"
#include "target_webhook.h"
#include "target_wecom.h"

static const char *s_names[] = {"webhook", "wecom", "dingtalk", "alertmanager"};
#define S_TYPE_COUNT ((int)(sizeof s_names / sizeof s_names[0]))

int target_type_parse(const char *name)
{
    for (int i = 0; name && i < S_TYPE_COUNT; i++)
        if (strcmp(name, s_names[i]) == 0)
            return i;
    return -1;
}

const char *target_type_name(target_type_t type)
{
    return (int)type >= 0 && (int)type < S_TYPE_COUNT ? s_names[type] : "unknown";
}

int target_render(target_type_t type, const char *url, const char *secret, json_t *const *alerts,
                  size_t n, int64_t now_ms, target_request_t *out)
{
    memset(out, 0, sizeof *out);
    if (n == 0 || !alerts || !url)
        return -1;
    if (!secret)
        secret = "";
    int rc = -1;
    switch (type) {
    case TARGET_WEBHOOK:
        rc = target_webhook_render(url, secret, alerts, n, now_ms, out);
        break;
    case TARGET_WECOM:
        rc = target_wecom_render(url, alerts, n, out);
        break;
    case TARGET_DINGTALK:
        rc = target_dingtalk_render(url, secret, alerts, n, now_ms, out);
        break;
    case TARGET_ALERTMANAGER:
        rc = target_alertmanager_render(url, alerts, n, now_ms, out);
        break;
    }
    if (rc != 0)
        target_request_fini(out);
    return rc;
}

void target_request_fini(target_request_t *req)
{
    if (!req)
        return;
    free(req->url);
    for (size_t i = 0; i < req->header_count; i++)
        free(req->headers[i]);
    free(req->headers);
    free(req->body);
    memset(req, 0, sizeof *req);
}

int target_accepted(target_type_t type, long status, const char *body, size_t len, char *why,
                    size_t why_size)
{
    switch (type) {
    case TARGET_WEBHOOK:
        return target_webhook_accepted(status, why, why_size);
    case TARGET_WECOM:
    case TARGET_DINGTALK:
        return target_accepted_errcode(status, body, len, why, why_size);
    case TARGET_ALERTMANAGER:
        return target_alertmanager_accepted(status, body, len, why, why_size);
    }
    snprintf(why, why_size, "unknown target type %d", (int)type);
    return 0;
}

void target_url_redact(const char *url, char *out, size_t size)
{
    url_redact(url, out, size);
}

int target_request_header(target_request_t *req, const char *format, ...)
{
    char **headers = realloc(req->headers, (req->header_count + 1) * sizeof *headers);
    if (!headers)
        return -1;
    req->headers = headers;
    va_list ap;
    va_start(ap, format);
    int rc = vasprintf(&headers[req->header_count], format, ap);
    va_end(ap);
    if (rc < 0)
        return -1;
    req->header_count++;
    return 0;
}

const char *target_alert_string(const json_t *alert, const char *key)
{
    const char *text = json_string_value(json_object_get(alert, key));
    return text ? text : "";
}

/* ---- the chat robots' markdown ---- */

static const char *s_level_zh(const char *level)
{
    if (strcmp(level, "green") == 0)
        return "🟢 绿";
    if (strcmp(level, "blue") == 0)
        return "🔵 蓝";
    if (strcmp(level, "yellow") == 0)
        return "🟡 黄";
    if (strcmp(level, "red") == 0)
        return "🔴 红";
    return "⚪ 无";
}

static const char *s_event_zh(const char *event)
{
    static const char *names[][2] = {
        {"assigned", "已派单"},
        {"escalated", "已升级"},
        {"reopened", "已重开"},
        {"transferred", "已转办"},
        {"reminded", "督办提醒"},
        {"resolved", "已办结"},
        {"closed", "已关闭"},
        {"invalidated", "无效诉求"},
        {"signed", "已签收"},
        {"returned", "已退单"},
        {"reassigned", "已改派"},
        {"arbitrated", "已终审派单"},
        {"extension_requested", "申请延期"},
        {"extension_granted", "同意延期"},
        {"extension_refused", "不予延期"},
        {"urged", "催办"},
        {"warned", "即将超期预警"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(event, names[i][0]) == 0)
            return names[i][1];
    return "事件";
}

/* text onto f with control characters as spaces: a newline in a value must not end the
 * markdown line (or the quote) it stands in. */
static void s_put(FILE *f, const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        fputc(*p < 0x20 ? ' ' : *p, f);
}

/* The members of a string array joined by sep (names, recipients) onto f. */
static void s_join(FILE *f, const json_t *array, const char *sep)
{
    size_t i;
    json_t *item;
    int first = 1;
    json_array_foreach(array, i, item)
    {
        const char *text = json_string_value(item);
        if (!text || !*text)
            continue;
        fputs(first ? "" : sep, f);
        s_put(f, text);
        first = 0;
    }
    if (first)
        fputs("—", f);
}

/* One alert's lines; heading is "### …" alone, "**…**" in a group. malloc'd, or NULL. */
static char *s_block(const json_t *alert, int alone)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    const char *event = target_alert_string(alert, "event");
    const char *deadline = target_alert_string(alert, "deadline");
    const char *reason = target_alert_string(alert, "reason");
    fprintf(f, alone ? "### %s · %s\n" : "**%s · %s** ",
            s_level_zh(target_alert_string(alert, "level")), s_event_zh(event));
    fprintf(f, "%s诉求：", alone ? "> " : "");
    s_put(f, target_alert_string(alert, "appeal_id"));
    fputs("\n> 地点：", f);
    s_join(f, json_object_get(alert, "region_names"), " ");
    fputs("\n> 类别：", f);
    s_put(f, target_alert_string(alert, "category"));
    fputs("\n> 责任人：", f);
    s_join(f, json_object_get(alert, "recipients"), "、");
    fputs("\n> 期限：", f);
    s_put(f, *deadline ? deadline : "无");
    fprintf(f, "\n> 事件：%s（", s_event_zh(event));
    s_put(f, event);
    fputs("）\n", f);
    if (*reason) {
        fputs("> 原因：", f);
        s_put(f, reason);
        fputs("\n", f);
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* The longest prefix of text, at most max bytes, that ends on a UTF-8 boundary. */
static size_t s_utf8_cut(const char *text, size_t max)
{
    size_t len = strlen(text);
    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char)text[max] & 0xc0) == 0x80)
        max--;
    return max;
}

char *target_markdown(json_t *const *alerts, size_t n, size_t max_bytes)
{
    assert(max_bytes >= 128); /* room for a group's heading and the "…另有 N 条" line */
    /* room kept for "\n…另有 <20 digits> 条" whenever an alert may follow */
    static const char s_more_format[] = "\n…另有 %zu 条";
    const size_t reserve = sizeof s_more_format + 20;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    if (n > 1)
        fprintf(f, "### 网格诉求告警 %zu 条\n", n);
    size_t shown = 0;
    int failed = 0;
    for (; shown < n; shown++) {
        char *block = s_block(alerts[shown], n == 1);
        if (!block) {
            failed = 1;
            break;
        }
        fflush(f); /* len is current only after a flush */
        size_t block_len = strlen(block);
        size_t sep = shown ? 1 : 0;
        size_t room = max_bytes - 1 - len - sep; /* len < max_bytes - reserve, see below */
        size_t need = block_len + (shown + 1 < n ? reserve : 0);
        if (need <= room) {
            fprintf(f, "%s%s", sep ? "\n" : "", block);
            free(block);
            continue;
        }
        if (shown == 0) { /* nothing would be shown: this one alert, cut */
            size_t ellipsis = strlen("…");
            size_t cut = s_utf8_cut(block, room - reserve - ellipsis);
            fprintf(f, "%.*s…", (int)cut, block);
            shown = 1;
        }
        free(block);
        break;
    }
    if (!failed && shown < n)
        fprintf(f, s_more_format, n - shown);
    if (fclose(f) != 0 || failed) {
        free(text);
        return NULL;
    }
    return text;
}

char *target_markdown_title(json_t *const *alerts, size_t n)
{
    char *title = NULL;
    int rc;
    if (n == 1)
        rc = asprintf(&title, "%s %s：诉求 %s", s_level_zh(target_alert_string(alerts[0], "level")),
                      s_event_zh(target_alert_string(alerts[0], "event")),
                      target_alert_string(alerts[0], "appeal_id"));
    else
        rc = asprintf(&title, "网格诉求告警 %zu 条", n);
    return rc < 0 ? NULL : title;
}

int target_accepted_errcode(long status, const char *body, size_t len, char *why, size_t why_size)
{
    if (status != 200) {
        snprintf(why, why_size, "HTTP %ld", status);
        return 0;
    }
    json_t *answer = body && len ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *errcode = json_object_get(answer, "errcode");
    int accepted = 0;
    if (!json_is_integer(errcode))
        snprintf(why, why_size, "HTTP 200 without an errcode in the answer");
    else if (json_integer_value(errcode) != 0)
        snprintf(why, why_size, "errcode %lld: %.200s", (long long)json_integer_value(errcode),
                 target_alert_string(answer, "errmsg"));
    else
        accepted = 1;
    json_decref(answer);
    return accepted;
}
