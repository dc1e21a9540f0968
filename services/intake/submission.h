/* submission: one appeal as a channel sent it (JSON), checked and turned into an Appeal.
 *
 * Body (POST /v1/appeals):
 *   channel      required  hotline | wechat | web | app | visit | meeting | petition | camera
 *   region       required  12-digit village/community code, or + 2-digit grid suffix
 *   category     required  a configured category (config "categories")
 *   description  required  1..4000 characters
 *   title        optional  <= 200 characters (default: the start of the description)
 *   reporter     optional  <= 200 characters
 *   location     optional  {"lat": -90..90, "lon": -180..180, "address": <= 500 characters}
 *   external_id  optional  the channel's own reference, [A-Za-z0-9._-]{1,128}
 *   occurred_at  optional  RFC 3339 time ("2026-11-24T08:30:00+08:00")
 *   media_urls   optional  up to 10 http(s) URLs of photos or recordings the channel holds
 * Anything else in the body is refused, naming the field, so a typo never passes silently. */
#ifndef GRIDLINE_SUBMISSION_H
#define GRIDLINE_SUBMISSION_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "gridline.pb-c.h"
#include "region.h"
#include "rules.h"

/* The domain checks are rules.h's; this module reads the JSON shape. */
typedef rules_error_t submission_error_t;

typedef struct submission submission_t;

/* NULL with err filled when the body is not an acceptable appeal. */
submission_t *submission_parse(const char *body, size_t len, const region_table_t *regions,
                               const config_t *config, submission_error_t *err);
void submission_destroy(submission_t **self_p);
/* The appeal (id and created time still empty); owned by the submission. */
Gridline__Appeal *submission_appeal(submission_t *self);
/* The appeal's village (for names and the county). */
const region_t *submission_village(const submission_t *self);
/* FNV-1a 64 of the parsed body (keys sorted, compact), as 16 hex digits: "the same request"
 * for idempotency, whatever the spacing and key order. */
void submission_fingerprint_of(const submission_t *self, char out[17]);
/* FNV-1a 64 of bytes, as 16 hex digits. */
void submission_fingerprint(const char *body, size_t len, char out[17]);
/* rules_idempotency_key and rules_parse_time under this module's older names. */
int submission_check_idempotency_key(const char *key);
int submission_parse_time(const char *text, int64_t *ms);

#endif
