/* open311: Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) over intake's core, so
 * that existing Open311 clients work unchanged. XML (the specification's shapes) and JSON, by the
 * path's extension:
 *
 *   GET  /open311/v2/services.{xml,json}          categories: code = name, name = label,
 *                                                  group = department
 *   GET  /open311/v2/services/{code}.{xml,json}   a definition without attributes
 *   POST /open311/v2/requests.{xml,json}          form-encoded, api_key required; stored with
 *                                                  collector_submit under the token's name
 *   GET  /open311/v2/requests.{xml,json}          filters service_request_id, service_code,
 *                                                  start_date, end_date, status
 *   GET  /open311/v2/requests/{id}.{xml,json}
 *
 * One deviation: address_id (a village or grid code) is required, since coordinates cannot be
 * mapped to a village here. Errors are Open311's: [{"code":400,"description":"..."}] or
 * <errors><error><code>400</code><description>...</description></error></errors>. The GETs are
 * readable without a key (open311.public_reads) and never show contacts; phone-like digit runs
 * in descriptions are masked. */
#ifndef GRIDLINE_OPEN311_H
#define GRIDLINE_OPEN311_H

#include <stddef.h>

#include "collector.h"
#include "config.h"
#include "httpd.h"
#include "region.h"

#define OPEN311_PREFIX "/open311/v2/"
#define OPEN311_FORM_MAX_FIELDS 64

typedef struct {
    const char *name, *value; /* decoded, NUL-terminated, valid UTF-8 */
} open311_field_t;

typedef struct {
    open311_field_t fields[OPEN311_FORM_MAX_FIELDS];
    size_t count;
    char *buf; /* the decoded names and values */
} open311_form_t;

/* Parses an application/x-www-form-urlencoded body ("a=1&b=x+y%20z"): %XX and + decoded; every
 * name and value must be valid UTF-8 without NUL or other control characters (\t \n \r allowed
 * in values); a name given twice or more than OPEN311_FORM_MAX_FIELDS fields are refused.
 * 0, or -1 with why (form->buf NULL, nothing to free) set. */
int open311_form_parse(const char *body, size_t len, open311_form_t *form, char *why,
                       size_t whylen);
/* The value of name, or NULL. */
const char *open311_form_get(const open311_form_t *form, const char *name);
void open311_form_fini(open311_form_t *form);

/* Handles a request whose path starts with OPEN311_PREFIX. */
void open311_handle(collector_t *collector, const config_t *config, const region_table_t *regions,
                    const http_request_t *req, http_response_t *res);

#endif
