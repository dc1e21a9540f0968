#include "rules.h"

#include "appeal.h"
#include "clock.h"
#include "utf8.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"

void rules_fail(rules_error_t *err, int status, const char *code, const char *field,
                const char *fmt, ...)
{
    err->status = status;
    err->code = code;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

int rules_channel(const char *channel, rules_error_t *err)
{
    if (appeal_channel_known(channel))
        return 0;
    rules_fail(err, 400, "unknown_channel", "channel",
               "unknown channel '%.32s' (hotline, wechat, web, app, visit, meeting, petition, "
               "camera)",
               channel);
    return -1;
}

int rules_region(const region_table_t *regions, const char *region, const region_t **village,
                 const char **grid, rules_error_t *err)
{
    const char *why = NULL;
    int level = region_resolve_appeal(regions, region, village, &why);
    if (level < 0) {
        rules_fail(err, 400, "unknown_region", "region", "region '%.14s': %s", region,
                   why ? why : "not acceptable");
        return -1;
    }
    *grid = level == REGION_GRID ? region + 12 : "";
    return 0;
}

int rules_category(const config_t *config, const char *category, rules_error_t *err)
{
    if (config_category(config, category))
        return 0;
    rules_fail(err, 400, "unknown_category", "category", "unknown category '%.32s'", category);
    return -1;
}

static int s_external_id(const char *text)
{
    size_t len = strlen(text);
    if (len == 0 || len > 128)
        return -1;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)text[i]) && !strchr("._-", text[i]))
            return -1;
    return 0;
}

int rules_external_id(const char *external_id, rules_error_t *err)
{
    if (s_external_id(external_id) == 0)
        return 0;
    rules_fail(err, 400, "invalid", "external_id",
               "external_id must be 1..128 of A-Z a-z 0-9 . _ -");
    return -1;
}

int rules_media_url(const char *field, const char *url, rules_error_t *err)
{
    size_t len = strlen(url);
    bool scheme = strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
    bool printable = true;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7F)
            printable = false;
    if (scheme && printable && len <= RULES_MEDIA_URL_MAX && len > 8)
        return 0;
    rules_fail(err, 400, "invalid", field,
               "%s must be an http:// or https:// URL of at most %d printable ASCII characters "
               "(percent-encode the rest)",
               field, RULES_MEDIA_URL_MAX);
    return -1;
}

int rules_time(const char *field, const char *text, int64_t *ms, rules_error_t *err)
{
    if (rules_parse_time(text, ms) == 0) {
        /* a day of slack for clocks set wrong; beyond it the time is a mistake */
        if (*ms <= clock_wall_ms() + 86400000LL)
            return 0;
        rules_fail(err, 400, "invalid", field, "%s lies in the future", field);
        return -1;
    }
    rules_fail(err, 400, "invalid", field,
               "%s must be an RFC 3339 time such as 2026-11-24T08:30:00+08:00", field);
    return -1;
}

int rules_parse_time(const char *text, int64_t *ms)
{
    int y, mo, d, h, mi, s, n = 0;
    /* digits where RFC 3339 has them: sscanf's %d alone also takes spaces and signs */
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == 'd' ? !isdigit((unsigned char)text[i]) : text[i] != shape[i])
            return -1;
    if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) != 6 || n != 19)
        return -1;
    const char *p = text + n;
    int frac_ms = 0;
    if (*p == '.') {
        int digits = 0;
        for (p++; isdigit((unsigned char)*p); p++, digits++)
            if (digits < 3)
                frac_ms = frac_ms * 10 + (*p - '0');
        if (digits == 0)
            return -1;
        for (; digits < 3; digits++)
            frac_ms *= 10;
    }
    int offset_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om, m = 0;
        if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) || p[3] != ':' ||
            !isdigit((unsigned char)p[4]) || !isdigit((unsigned char)p[5]) ||
            sscanf(p + 1, "%2d:%2d%n", &oh, &om, &m) != 2 || m != 5 || oh > 23 || om > 59)
            return -1;
        offset_min = (oh * 60 + om) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (*p || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60 || y < 1970)
        return -1;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] + (mo == 2 && leap))
        return -1; /* 2026-02-31 */
    /* days from civil (Howard Hinnant's algorithm): no timegm/TZ dependence. */
    int yy = y - (mo <= 2);
    int era = yy / 400;
    int yoe = yy - era * 400;
    int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = (int64_t)era * 146097 + doe - 719468;
    *ms = ((days * 86400 + h * 3600 + mi * 60 + s) - (int64_t)offset_min * 60) * 1000 + frac_ms;
    return 0;
}

int rules_idempotency_key(const char *key)
{
    size_t len = strlen(key);
    if (len == 0 || len > 128)
        return -1;
    for (size_t i = 0; i < len; i++)
        if (key[i] < '!' || key[i] > '~')
            return -1;
    return 0;
}

void rules_default_title(const char *description, char *out, size_t size)
{
    size_t i = 0, chars = 0;
    while (description[i] && chars < 30 && i + 4 < size) {
        size_t n = utf8_sequence_length((const unsigned char *)description + i, 4);
        n = n ? n : 1;
        if (description[i] == '\n' || description[i] == '\r')
            break;
        memcpy(out + i, description + i, n);
        i += n;
        chars++;
    }
    out[i] = '\0';
}

int rules_no_controls(const char *field, const char *text, rules_error_t *err)
{
    for (const unsigned char *c = (const unsigned char *)text; *c; c++)
        if ((*c < 0x20 && *c != '\n' && *c != '\r' && *c != '\t') || *c == 0x7F) {
            rules_fail(err, 400, "invalid", field,
                       "%s must not contain control characters (byte 0x%02X)", field, *c);
            return -1;
        }
    return 0;
}
