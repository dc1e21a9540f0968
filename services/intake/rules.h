/* rules: what intake accepts in an appeal, whatever shape it came in (JSON body, Open311
 * form fields, an NDJSON line, a gateway frame). Each check takes plain values and, when one
 * is refused, fills a rules_error_t naming the field: the shape's parser only extracts.
 *
 *   channel       hotline | wechat | web | app | visit | meeting | petition | camera
 *   region        12-digit village/community code of the regions table, or + 2-digit grid
 *   category      a configured category (config "categories")
 *   external_id   the channel's own reference, [A-Za-z0-9._-]{1,128}
 *   times         RFC 3339 ("2026-11-24T08:30:00+08:00")
 *   Idempotency-Key  1..128 printable ASCII */
#ifndef GRIDLINE_RULES_H
#define GRIDLINE_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "region.h"

typedef struct {
    int status;       /* HTTP status: 400, 413, 415, 503 */
    const char *code; /* "bad_json", "bad_utf8", "missing", "invalid", "unknown_region", ... */
    char field[64];
    char message[320];
} rules_error_t;

void rules_fail(rules_error_t *err, int status, const char *code, const char *field,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Each: 0, or -1 with err filled. */
int rules_channel(const char *channel, rules_error_t *err);
/* *village: the appeal's village; *grid: the grid suffix ("" for a village code). */
int rules_region(const region_table_t *regions, const char *region, const region_t **village,
                 const char **grid, rules_error_t *err);
int rules_category(const config_t *config, const char *category, rules_error_t *err);
int rules_external_id(const char *external_id, rules_error_t *err);
/* A media URL: http:// or https://, then 1..RULES_MEDIA_URL_MAX printable ASCII bytes, no
 * spaces (so a list of them joins with line breaks); field names it in errors. An appeal holds
 * at most RULES_MEDIA_URLS. */
#define RULES_MEDIA_URL_MAX 1000
#define RULES_MEDIA_URLS 10
int rules_media_url(const char *field, const char *url, rules_error_t *err);
/* field names the value in errors ("occurred_at"). */
int rules_time(const char *field, const char *text, int64_t *ms, rules_error_t *err);
/* RFC 3339 into unix ms; -1 if malformed. */
int rules_parse_time(const char *text, int64_t *ms);
/* Refuses control characters in text: C0 but newline, carriage return and tab, and DEL. */
int rules_no_controls(const char *field, const char *text, rules_error_t *err);
/* The title of an appeal sent without one: the description's first 30 characters, up to its
 * first line end (whole UTF-8 characters; size >= 5). */
void rules_default_title(const char *description, char *out, size_t size);
/* 0 if the Idempotency-Key header value is acceptable, else -1. */
int rules_idempotency_key(const char *key);

#endif
