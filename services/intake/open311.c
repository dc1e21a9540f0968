#include "open311.h"

#include <ctype.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appeal.h"
#include "auth.h"
#include "clock.h"
#include "contact.h"
#include "jsonbuf.h"
#include "keys.h"
#include "listing.h"
#include "rules.h"
#include "utf8.h"

#define S_LIST_LIMIT 50  /* requests in one list answer */
#define S_LIST_SCAN 1000 /* newest appeals examined for one list (the spec's "1000 max") */
#define S_IDS_MAX 50     /* ids in one service_request_id filter */
#define S_DEFAULT_DAYS 90

/* ---- the form parser --------------------------------------------------------------------- */

static int s_hex(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes in[0..len) into out (NUL-terminated); -1 on a bad %XX. */
static int s_decode(const char *in, size_t len, char *out, size_t *outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (in[i] == '+') {
            out[o++] = ' ';
        } else if (in[i] == '%') {
            int hi = i + 2 < len ? s_hex((unsigned char)in[i + 1]) : -1;
            int lo = hi >= 0 ? s_hex((unsigned char)in[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return -1;
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = in[i];
        }
    }
    out[o] = '\0';
    *outlen = o;
    return 0;
}

/* 0 if text (len bytes) is valid UTF-8 without NUL and control characters (values may hold
 * \t \n \r). */
static int s_clean(const char *text, size_t len, bool value)
{
    if (!utf8_valid(text, len))
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == 0x7F || (c < 0x20 && !(value && (c == '\t' || c == '\n' || c == '\r'))))
            return -1;
    }
    return 0;
}

int open311_form_parse(const char *body, size_t len, open311_form_t *form, char *why, size_t whylen)
{
    memset(form, 0, sizeof *form);
    /* each segment of s bytes decodes to at most s bytes plus two NULs */
    char *buf = malloc(len + 2 * (len + 1) + 1);
    if (!buf) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    size_t used = 0;
    const char *p = body, *end = body + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *seg_end = amp ? amp : end;
        if (seg_end == p) { /* "a=1&&b=2" or a trailing & */
            p = seg_end + 1;
            continue;
        }
        const char *eq = memchr(p, '=', (size_t)(seg_end - p));
        const char *name_end = eq ? eq : seg_end;
        if (form->count == OPEN311_FORM_MAX_FIELDS) {
            snprintf(why, whylen, "more than %d form fields", OPEN311_FORM_MAX_FIELDS);
            goto fail;
        }
        char *name = buf + used, *value;
        size_t nlen, vlen;
        if (s_decode(p, (size_t)(name_end - p), name, &nlen) != 0) {
            snprintf(why, whylen, "a form field name holds a bad %%XX escape");
            goto fail;
        }
        used += nlen + 1;
        value = buf + used;
        if (s_decode(eq ? eq + 1 : seg_end, eq ? (size_t)(seg_end - eq - 1) : 0, value, &vlen) !=
            0) {
            snprintf(why, whylen, "form field '%.40s' holds a bad %%XX escape",
                     s_clean(name, nlen, false) == 0 ? name : "?");
            goto fail;
        }
        used += vlen + 1;
        if (nlen == 0 || s_clean(name, nlen, false) != 0) {
            snprintf(why, whylen,
                     "a form field name is empty, not UTF-8 or holds control "
                     "characters");
            goto fail;
        }
        if (s_clean(value, vlen, true) != 0) {
            snprintf(why, whylen,
                     "form field '%.40s' is not UTF-8 or holds NUL or control characters", name);
            goto fail;
        }
        if (open311_form_get(form, name)) {
            snprintf(why, whylen, "form field '%.40s' is given twice", name);
            goto fail;
        }
        form->fields[form->count++] = (open311_field_t){name, value};
        p = seg_end + 1;
    }
    form->buf = buf;
    return 0;
fail:
    free(buf);
    memset(form, 0, sizeof *form);
    return -1;
}

const char *open311_form_get(const open311_form_t *form, const char *name)
{
    for (size_t i = 0; i < form->count; i++)
        if (strcmp(form->fields[i].name, name) == 0)
            return form->fields[i].value;
    return NULL;
}

void open311_form_fini(open311_form_t *form)
{
    free(form->buf);
    memset(form, 0, sizeof *form);
}

/* ---- answers: one tree (jansson), written as JSON or as the specification's XML -------- */

typedef enum { S_XML, S_JSON } s_format_t;

static void s_xml_text(jsonbuf_t *jb, const char *text)
{
    for (const char *c = text; *c; c++) {
        switch (*c) {
        case '&':
            jsonbuf_append(jb, "&amp;");
            break;
        case '<':
            jsonbuf_append(jb, "&lt;");
            break;
        case '>':
            jsonbuf_append(jb, "&gt;");
            break;
        case '"':
            jsonbuf_append(jb, "&quot;");
            break;
        case '\'':
            jsonbuf_append(jb, "&apos;");
            break;
        default:
            /* XML 1.0 has no place for other control characters */
            if ((unsigned char)*c >= 0x20 || *c == '\t' || *c == '\n' || *c == '\r') {
                char one[2] = {*c, '\0'};
                jsonbuf_append(jb, one);
            }
        }
    }
}

/* <root><item><key>value</key>...</item>...</root> of an array of flat objects. */
static char *s_xml(const char *root, const char *item, const json_t *list)
{
    jsonbuf_t jb;
    jsonbuf_init(&jb);
    jsonbuf_append(&jb, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<");
    jsonbuf_append(&jb, root);
    jsonbuf_append(&jb, ">\n");
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o)
    {
        jsonbuf_append(&jb, "  <");
        jsonbuf_append(&jb, item);
        jsonbuf_append(&jb, ">\n");
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)o, key, v)
        {
            char num[64] = "";
            jsonbuf_append(&jb, "    <");
            jsonbuf_append(&jb, key);
            jsonbuf_append(&jb, ">");
            if (json_is_string(v))
                s_xml_text(&jb, json_string_value(v));
            else if (json_is_integer(v))
                snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
            else if (json_is_real(v))
                snprintf(num, sizeof num, "%.10g", json_real_value(v));
            else if (json_is_boolean(v))
                snprintf(num, sizeof num, "%s", json_is_true(v) ? "true" : "false");
            jsonbuf_append(&jb, num);
            jsonbuf_append(&jb, "</");
            jsonbuf_append(&jb, key);
            jsonbuf_append(&jb, ">\n");
        }
        jsonbuf_append(&jb, "  </");
        jsonbuf_append(&jb, item);
        jsonbuf_append(&jb, ">\n");
    }
    jsonbuf_append(&jb, "</");
    jsonbuf_append(&jb, root);
    jsonbuf_append(&jb, ">\n");
    return jsonbuf_take(&jb, NULL);
}

/* Answers list (taken) as a JSON array or as <root><item>...</item></root>. */
static void s_answer(http_response_t *res, int status, s_format_t fmt, const char *root,
                     const char *item, json_t *list)
{
    if (fmt == S_JSON) {
        char *text = json_dumps(list, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
        json_decref(list);
        if (text) {
            char *nl = NULL;
            if (asprintf(&nl, "%s\n", text) < 0)
                nl = NULL;
            free(text);
            text = nl;
        }
        http_response_json(res, status, text);
        return;
    }
    char *text = s_xml(root, item, list);
    json_decref(list);
    http_response_json(res, status, text);
    res->content_type = "text/xml; charset=utf-8";
}

static void s_error(http_response_t *res, s_format_t fmt, int status, const char *fmt_text, ...)
    __attribute__((format(printf, 4, 5)));
static void s_error(http_response_t *res, s_format_t fmt, int status, const char *fmt_text, ...)
{
    char description[512];
    va_list ap;
    va_start(ap, fmt_text);
    vsnprintf(description, sizeof description, fmt_text, ap);
    va_end(ap);
    json_t *list = json_array();
    json_array_append_new(list,
                          json_pack("{s:i, s:s}", "code", status, "description", description));
    s_answer(res, status, fmt, "errors", "error", list);
}

/* ---- services ----------------------------------------------------------------------------- */

static json_t *s_service(const config_category_t *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "service_code", json_string(c->name));
    json_object_set_new(o, "service_name", json_string(c->label));
    json_object_set_new(o, "description", json_string(c->label));
    json_object_set_new(o, "metadata", json_false());
    json_object_set_new(o, "type", json_string("realtime"));
    json_object_set_new(o, "keywords", json_string(""));
    json_object_set_new(o, "group", json_string(c->department));
    return o;
}

static void s_services(const config_t *cfg, s_format_t fmt, http_response_t *res)
{
    json_t *list = json_array();
    for (size_t i = 0; i < cfg->category_count; i++)
        json_array_append_new(list, s_service(&cfg->categories[i]));
    s_answer(res, 200, fmt, "services", "service", list);
}

static void s_service_definition(const config_t *cfg, const char *code, s_format_t fmt,
                                 http_response_t *res)
{
    const config_category_t *c = config_category(cfg, code);
    if (!c) {
        s_error(res, fmt, 404, "no service_code '%.40s'; see GET /open311/v2/services.%s", code,
                fmt == S_JSON ? "json" : "xml");
        return;
    }
    if (fmt == S_JSON) {
        json_t *o = json_pack("{s:s, s:[]}", "service_code", c->name, "attributes");
        char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(o);
        http_response_json(res, 200, text);
        return;
    }
    jsonbuf_t jb;
    jsonbuf_init(&jb);
    jsonbuf_append(&jb, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<service_definition>\n"
                        "  <service_code>");
    s_xml_text(&jb, c->name);
    jsonbuf_append(&jb, "</service_code>\n  <attributes></attributes>\n</service_definition>\n");
    http_response_json(res, 200, jsonbuf_take(&jb, NULL));
    res->content_type = "text/xml; charset=utf-8";
}

/* ---- POST requests ------------------------------------------------------------------------ */

/* field's value if not longer than max bytes; NULL if absent; -1 (answered) if too long. */
static int s_field(const open311_form_t *form, const char *name, size_t max, const char **out,
                   s_format_t fmt, http_response_t *res)
{
    *out = open311_form_get(form, name);
    if (*out && strlen(*out) > max) {
        s_error(res, fmt, 400, "%s is longer than %zu bytes", name, max);
        return -1;
    }
    return 0;
}

static bool s_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

static void s_post_request(collector_t *collector, const config_t *cfg,
                           const region_table_t *regions, s_format_t fmt, const http_request_t *req,
                           http_response_t *res)
{
    if (!http_request_has_type(req, "application/x-www-form-urlencoded")) {
        const char *ctype = http_request_header(req, "Content-Type");
        s_error(res, fmt, 415, "send Content-Type application/x-www-form-urlencoded, not '%.60s'",
                ctype ? ctype : "(none)");
        return;
    }
    open311_form_t form;
    char why[160];
    if (open311_form_parse(req->body, req->body_len, &form, why, sizeof why) != 0) {
        s_error(res, fmt, 400, "%s", why);
        return;
    }
    const char *api_key, *service_code, *jurisdiction, *lat, *lon, *address, *address_id, *email,
        *device_id, *account_id, *first, *last, *phone, *description, *media_url;
    if (s_field(&form, "api_key", 256, &api_key, fmt, res) ||
        s_field(&form, "service_code", 32, &service_code, fmt, res) ||
        s_field(&form, "jurisdiction_id", 128, &jurisdiction, fmt, res) ||
        s_field(&form, "lat", 32, &lat, fmt, res) || s_field(&form, "long", 32, &lon, fmt, res) ||
        s_field(&form, "address_string", 500, &address, fmt, res) ||
        s_field(&form, "address_id", 14, &address_id, fmt, res) ||
        s_field(&form, "email", 200, &email, fmt, res) ||
        s_field(&form, "device_id", 128, &device_id, fmt, res) ||
        s_field(&form, "account_id", 128, &account_id, fmt, res) ||
        s_field(&form, "first_name", 50, &first, fmt, res) ||
        s_field(&form, "last_name", 50, &last, fmt, res) ||
        s_field(&form, "phone", 40, &phone, fmt, res) ||
        s_field(&form, "description", 4000, &description, fmt, res) ||
        s_field(&form, "media_url", 1000, &media_url, fmt, res))
        goto done;
    (void)device_id; /* accepted, as the specification has it; not stored */
    /* attribute[...] fields are accepted and ignored (every service has metadata false) */

    auth_token_t tok;
    rconn_t *redis = collector_redis(collector);
    if (!api_key || !*api_key) {
        s_error(res, fmt, 401, "api_key is required");
        goto done;
    }
    switch (auth_lookup(cfg, redis, api_key, &tok)) {
    case AUTH_OK:
        if (auth_rate(cfg, redis, &tok) > 0) {
            s_error(res, fmt, 429, "api_key is over its rate; slow down");
            http_response_header(res, "Retry-After", "1");
            goto done;
        }
        break;
    case AUTH_UNAVAILABLE:
        s_error(res, fmt, 503, "the token store is unavailable; try again shortly");
        http_response_header(res, "Retry-After", "1");
        goto done;
    default:
        s_error(res, fmt, 401, "api_key is not a known key");
        goto done;
    }
    if (*cfg->open311_jurisdiction_id &&
        (!jurisdiction || strcmp(jurisdiction, cfg->open311_jurisdiction_id) != 0)) {
        s_error(res, fmt, 400, "jurisdiction_id must be '%s'", cfg->open311_jurisdiction_id);
        goto done;
    }
    if (!service_code || !*service_code) {
        s_error(res, fmt, 400, "service_code is required");
        goto done;
    }
    rules_error_t err;
    if (rules_category(cfg, service_code, &err) != 0) {
        s_error(res, fmt, 400, "unknown service_code '%.32s'; see GET /open311/v2/services.%s",
                service_code, fmt == S_JSON ? "json" : "xml");
        goto done;
    }
    if (!address_id || !*address_id) {
        s_error(res, fmt, 400,
                "address_id is required here: a 12-digit village code or a 14-digit grid code "
                "(coordinates alone cannot be mapped to a village)");
        goto done;
    }
    const region_t *village = NULL;
    const char *grid = "";
    if (rules_region(regions, address_id, &village, &grid, &err) != 0) {
        s_error(res, fmt, 400, "address_id: %s", err.message);
        goto done;
    }
    Gridline__Appeal appeal;
    gridline__appeal__init(&appeal);
    Gridline__Location location;
    gridline__location__init(&location);
    if ((lat && *lat) != (lon && *lon)) {
        s_error(res, fmt, 400, "lat and long go together");
        goto done;
    }
    if (lat && *lat) {
        char *e1, *e2;
        double y = strtod(lat, &e1), x = strtod(lon, &e2);
        double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
        if (*e1 || *e2 || !(y >= -90 && y <= 90) || !(x >= -180 && x <= 180)) {
            s_error(res, fmt, 400, "lat must be a number -90..90 and long -180..180");
            goto done;
        }
        if (sscanf(cfg->intake_bbox, "%lf,%lf,%lf,%lf", &x0, &y0, &x1, &y1) == 4 &&
            (x < x0 || x > x1 || y < y0 || y > y1)) {
            s_error(res, fmt, 400, "lat/long (%.4f, %.4f) lie outside the area served", y, x);
            goto done;
        }
        location.lat = y;
        location.lon = x;
        appeal.location = &location;
    }
    if (address && *address) {
        location.address = (char *)address;
        appeal.location = &location;
    }
    /* the reporter: 张 + 三 as 张三, John + Smith as "John Smith" */
    Gridline__Reporter contact;
    gridline__reporter__init(&contact);
    char name[CONTACT_MAX] = "", phone_n[CONTACT_MAX] = "";
    first = first ? first : "";
    last = last ? last : "";
    if (s_ascii(first) && s_ascii(last))
        snprintf(name, sizeof name, "%s%s%s", first, *first && *last ? " " : "", last);
    else
        snprintf(name, sizeof name, "%s%s", last, first);
    if (phone && *phone && contact_phone(phone, phone_n) != 0) {
        s_error(res, fmt, 400, "phone must be 7..15 digits (an optional +86, - and spaces)");
        goto done;
    }
    if (email && *email && (!strchr(email, '@') || strpbrk(email, " <>\"\r\n"))) {
        s_error(res, fmt, 400, "email must be an address");
        goto done;
    }
    if (*name || *phone_n || (email && *email)) {
        contact.name = name;
        contact.phone = phone_n;
        contact.email = (char *)(email ? email : "");
        appeal.contact = &contact;
    }
    /* the channel: the token's only one, else open311.channel */
    char channel[33];
    if (*tok.channels && !strchr(tok.channels, '|'))
        snprintf(channel, sizeof channel, "%s", tok.channels);
    else
        snprintf(channel, sizeof channel, "%s", cfg->open311_channel);
    if (rules_channel(channel, &err) != 0) {
        s_error(res, fmt, 400, "%s", err.message);
        goto done;
    }
    if (!auth_allows_channel(&tok, channel) || !auth_allows_region(&tok, address_id)) {
        bool ch = !auth_allows_channel(&tok, channel);
        s_error(res, fmt, 403, "token '%s' may not %s", tok.name,
                ch ? "submit for this channel" : "submit in this region");
        goto done;
    }
    const config_category_t *cat = config_category(cfg, service_code);
    if (!description || !*description)
        description = cat->label; /* optional in the specification */
    char title[128];
    size_t t = 0, chars = 0;
    while (description[t] && chars < 30 && t + 4 < sizeof title && description[t] != '\n' &&
           description[t] != '\r') {
        size_t n = utf8_sequence_length((const unsigned char *)description + t, 4);
        t += n ? n : 1;
        chars++;
    }
    snprintf(title, sizeof title, "%.*s", (int)t, description);
    appeal.channel = channel;
    appeal.region = (char *)address_id;
    appeal.grid = (char *)grid;
    appeal.category = (char *)service_code;
    appeal.description = (char *)description;
    appeal.title = title;
    appeal.external_id = "";
    char *media[1] = {(char *)media_url};
    if (media_url && *media_url) {
        rules_error_t merr;
        if (rules_media_url("media_url", media_url, &merr) != 0) {
            s_error(res, fmt, 400, "%s", merr.message);
            goto done;
        }
        appeal.media_urls = media;
        appeal.n_media_urls = 1;
    }

    char id[KEYS_ID_MAX];
    switch (collector_submit(collector, cfg, &appeal, tok.name, NULL, NULL, false, id)) {
    case APPEAL_CREATED:
    case APPEAL_REPLAYED:
    case APPEAL_DUPLICATE:
        break;
    default:
        s_error(res, fmt, 503, "the store is unavailable; try again shortly");
        http_response_header(res, "Retry-After", "1");
        goto done;
    }
    json_t *o = json_object();
    json_object_set_new(o, "service_request_id", json_string(id));
    json_object_set_new(o, "service_notice", json_string(""));
    json_object_set_new(o, "account_id", account_id ? json_string(account_id) : json_null());
    json_t *list = json_array();
    json_array_append_new(list, o);
    s_answer(res, 201, fmt, "service_requests", "request", list);
done:
    open311_form_fini(&form);
}

/* ---- GET requests ------------------------------------------------------------------------- */

static const char *const s_fields[] = {
    APPEAL_F_STATUS,
    APPEAL_F_CATEGORY,
    APPEAL_F_DESCRIPTION,
    APPEAL_F_DEPARTMENT,
    APPEAL_F_RESOLUTION,
    APPEAL_F_CREATED_AT_MS,
    APPEAL_F_ASSIGNED_AT_MS,
    APPEAL_F_ACKNOWLEDGED_AT_MS,
    APPEAL_F_RESOLVED_AT_MS,
    APPEAL_F_RESOLVE_DEADLINE_MS,
    APPEAL_F_ADDRESS,
    APPEAL_F_REGION,
    APPEAL_F_LAT,
    APPEAL_F_LON,
    APPEAL_F_MEDIA_URLS,
    APPEAL_F_ID,
};
enum {
    F_STATUS,
    F_CATEGORY,
    F_DESCRIPTION,
    F_DEPARTMENT,
    F_RESOLUTION,
    F_CREATED,
    F_ASSIGNED,
    F_ACKNOWLEDGED,
    F_RESOLVED,
    F_DEADLINE,
    F_ADDRESS,
    F_REGION,
    F_LAT,
    F_LON,
    F_MEDIA,
    F_ID,
    F_COUNT
};

static const char *s_value(const redisReply *r, int f)
{
    return r->element[f]->type == REDIS_REPLY_STRING ? r->element[f]->str : "";
}

static const char *s_open311_status(const char *status)
{
    return !strcmp(status, "resolved") || !strcmp(status, "closed") || !strcmp(status, "invalid")
               ? "closed"
               : "open";
}

static json_t *s_time(int64_t ms)
{
    if (ms <= 0)
        return json_null();
    char when[40];
    clock_iso(ms, when);
    return json_string(when);
}

/* One request as Open311 shows it: never a contact; phone-like digit runs masked. */
static json_t *s_request(const config_t *cfg, const char *id, const redisReply *r)
{
    const config_category_t *cat = config_category(cfg, s_value(r, F_CATEGORY));
    const char *department = s_value(r, F_DEPARTMENT);
    if (!*department && cat)
        department = cat->department;
    char *masked = contact_mask_digits(s_value(r, F_DESCRIPTION));
    int64_t updated = 0;
    const int times[] = {F_CREATED, F_ASSIGNED, F_ACKNOWLEDGED, F_RESOLVED};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        int64_t ms = strtoll(s_value(r, times[i]), NULL, 10);
        if (ms > updated)
            updated = ms;
    }
    const char *status = s_open311_status(s_value(r, F_STATUS));
    json_t *o = json_object();
    json_object_set_new(o, "service_request_id", json_string(id));
    json_object_set_new(o, "status", json_string(status));
    json_object_set_new(o, "status_notes", json_string(s_value(r, F_RESOLUTION)));
    json_object_set_new(o, "service_name", json_string(cat ? cat->label : ""));
    json_object_set_new(o, "service_code", json_string(s_value(r, F_CATEGORY)));
    json_object_set_new(o, "description", json_string(masked ? masked : ""));
    json_object_set_new(o, "agency_responsible", json_string(department));
    json_object_set_new(o, "service_notice", json_string(""));
    json_object_set_new(o, "requested_datetime", s_time(strtoll(s_value(r, F_CREATED), NULL, 10)));
    json_object_set_new(o, "updated_datetime", s_time(updated));
    json_object_set_new(
        o, "expected_datetime",
        s_time(strcmp(status, "open") == 0 ? strtoll(s_value(r, F_DEADLINE), NULL, 10) : 0));
    json_object_set_new(o, "address", json_string(s_value(r, F_ADDRESS)));
    json_object_set_new(o, "address_id", json_string(s_value(r, F_REGION)));
    json_object_set_new(o, "zipcode", json_null());
    if (*s_value(r, F_LAT) && *s_value(r, F_LON)) {
        json_object_set_new(o, "lat", json_real(strtod(s_value(r, F_LAT), NULL)));
        json_object_set_new(o, "long", json_real(strtod(s_value(r, F_LON), NULL)));
    } else {
        json_object_set_new(o, "lat", json_null());
        json_object_set_new(o, "long", json_null());
    }
    /* Open311 has one media URL: the first */
    const char *media = s_value(r, F_MEDIA);
    json_object_set_new(o, "media_url", json_stringn(media, strcspn(media, "\n")));
    free(masked);
    return o;
}

/* Pipelines HMGET of the ids' appeals. -1 if Redis is down. */
static int s_hmget(rconn_t *redis, const char *const *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char county[7] = "", akey[KEYS_MAX];
        keys_county_of_id(ids[i], county);
        keys_appeal(akey, county, ids[i]);
        const char *args[2 + F_COUNT] = {"HMGET", akey};
        for (int f = 0; f < F_COUNT; f++)
            args[2 + f] = s_fields[f];
        if (rconn_appendv(redis, 2 + F_COUNT, args, NULL) != 0)
            return -1;
    }
    return 0;
}

static bool s_exists(const redisReply *r)
{
    return r->type == REDIS_REPLY_ARRAY && r->elements == F_COUNT && *s_value(r, F_STATUS);
}

static void s_unavailable(http_response_t *res, s_format_t fmt)
{
    s_error(res, fmt, 503, "the store is unavailable; try again shortly");
    http_response_header(res, "Retry-After", "1");
}

static void s_get_request(rconn_t *redis, const config_t *cfg, const auth_token_t *tok,
                          const char *id, s_format_t fmt, http_response_t *res)
{
    if (keys_check_id(id) != 0) {
        s_error(res, fmt, 404, "'%.40s' is not a service_request_id", id);
        return;
    }
    if (s_hmget(redis, &id, 1) != 0) {
        s_unavailable(res, fmt);
        return;
    }
    redisReply *r = rconn_reply(redis);
    if (!r) {
        s_unavailable(res, fmt);
        return;
    }
    if (!s_exists(r) || (tok && !auth_allows_region(tok, s_value(r, F_REGION)))) {
        freeReplyObject(r);
        s_error(res, fmt, 404, "no service request %s", id);
        return;
    }
    json_t *list = json_array();
    json_array_append_new(list, s_request(cfg, id, r));
    freeReplyObject(r);
    s_answer(res, 200, fmt, "service_requests", "request", list);
}

static void s_list_requests(rconn_t *redis, const config_t *cfg, const region_table_t *regions,
                            const auth_token_t *tok, const http_request_t *req, s_format_t fmt,
                            http_response_t *res)
{
    const char *ids_arg = http_request_arg(req, "service_request_id"),
               *code = http_request_arg(req, "service_code"),
               *start = http_request_arg(req, "start_date"),
               *end = http_request_arg(req, "end_date"), *status = http_request_arg(req, "status");
    if (status && *status && strcmp(status, "open") && strcmp(status, "closed")) {
        s_error(res, fmt, 400, "status must be open or closed");
        return;
    }
    int64_t lo = 0, hi = INT64_MAX;
    if ((start && *start && rules_parse_time(start, &lo) != 0) ||
        (end && *end && rules_parse_time(end, &hi) != 0)) {
        s_error(res, fmt, 400, "start_date and end_date must be W3C (RFC 3339) times");
        return;
    }
    if (!(start && *start))
        lo = (hi == INT64_MAX ? clock_wall_ms() : hi) - S_DEFAULT_DAYS * 86400000LL;
    json_t *list = json_array();
    char *ids_copy = NULL;
    const char **ids = NULL;
    size_t nids = 0;
    redisReply **lists = NULL;
    listing_candidate_t *cands = NULL;
    const region_t **counties = NULL;
    size_t nc = 0;
    bool down = false;
    if (ids_arg && *ids_arg) {
        /* the ids asked for, whatever the other filters say (as the specification has it) */
        ids_copy = strdup(ids_arg);
        ids = calloc(S_IDS_MAX, sizeof *ids);
        if (!ids_copy || !ids)
            goto oom;
        char *save = NULL;
        for (char *t = strtok_r(ids_copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            while (*t == ' ')
                t++;
            if (keys_check_id(t) != 0)
                continue;
            if (nids == S_IDS_MAX) {
                s_error(res, fmt, 400, "at most %d service_request_id values", S_IDS_MAX);
                goto out;
            }
            ids[nids++] = t;
        }
        down = s_hmget(redis, ids, nids) != 0;
        for (size_t i = 0; i < nids && !down; i++) {
            redisReply *r = rconn_reply(redis);
            if (!r) {
                down = true;
                break;
            }
            if (s_exists(r) && (!tok || auth_allows_region(tok, s_value(r, F_REGION))))
                json_array_append_new(list, s_request(cfg, ids[i], r));
            freeReplyObject(r);
        }
        if (down)
            goto unavailable;
        s_answer(res, 200, fmt, "service_requests", "request", list);
        list = NULL;
        goto out;
    }
    /* newest first from every county's index:{C}:created in the token's region */
    const char *prefix = tok && *tok->region ? tok->region : "15";
    size_t all = 0;
    region_counties(regions, &all);
    counties = calloc(all ? all : 1, sizeof *counties);
    if (!counties)
        goto oom;
    nc = region_query_counties(regions, prefix, counties, all);
    lists = calloc(nc ? nc : 1, sizeof *lists);
    if (!lists)
        goto oom;
    for (size_t i = 0; i < nc && !down; i++) {
        char key[KEYS_MAX];
        keys_index_created(key, counties[i]->code);
        down = rconn_append(redis, "ZREVRANGEBYSCORE %s %lld %lld WITHSCORES LIMIT 0 %d", key,
                            (long long)hi, (long long)lo, S_LIST_SCAN) != 0;
    }
    size_t total = 0;
    for (size_t i = 0; i < nc && !down; i++) {
        if (!(lists[i] = rconn_reply(redis)))
            down = true;
        else if (lists[i]->type == REDIS_REPLY_ARRAY)
            total += lists[i]->elements / 2;
    }
    if (down)
        goto unavailable;
    cands = calloc(total ? total : 1, sizeof *cands);
    if (!cands)
        goto oom;
    size_t count = 0;
    for (size_t i = 0; i < nc; i++)
        for (size_t k = 0; lists[i]->type == REDIS_REPLY_ARRAY && k + 1 < lists[i]->elements;
             k += 2)
            cands[count++] = (listing_candidate_t){strtoll(lists[i]->element[k + 1]->str, NULL, 10),
                                                   lists[i]->element[k]->str};
    qsort(cands, count, sizeof *cands, listing_newest_first);
    if (count > S_LIST_SCAN)
        count = S_LIST_SCAN;
    /* read them in slices until the page is full */
    size_t shown = 0;
    for (size_t at = 0; at < count && shown < S_LIST_LIMIT && !down; at += 100) {
        size_t n = count - at < 100 ? count - at : 100;
        const char *slice[100];
        for (size_t i = 0; i < n; i++)
            slice[i] = cands[at + i].id;
        down = s_hmget(redis, slice, n) != 0;
        for (size_t i = 0; i < n && !down; i++) {
            redisReply *r = rconn_reply(redis);
            if (!r) {
                down = true;
                break;
            }
            if (s_exists(r) && shown < S_LIST_LIMIT &&
                (!code || !*code || strcmp(code, s_value(r, F_CATEGORY)) == 0) &&
                (!status || !*status ||
                 strcmp(status, s_open311_status(s_value(r, F_STATUS))) == 0)) {
                json_array_append_new(list, s_request(cfg, slice[i], r));
                shown++;
            }
            freeReplyObject(r);
        }
    }
    if (down)
        goto unavailable;
    s_answer(res, 200, fmt, "service_requests", "request", list);
    list = NULL;
    goto out;
oom:
    s_error(res, fmt, 503, "out of memory");
    goto out;
unavailable:
    s_unavailable(res, fmt);
out:
    json_decref(list);
    free(cands);
    for (size_t i = 0; lists && i < nc; i++)
        if (lists[i])
            freeReplyObject(lists[i]);
    free(lists);
    free(counties);
    free(ids);
    free(ids_copy);
}

/* ---- routing ------------------------------------------------------------------------------ */

/* Splits "requests/150123-....json" into the part before the extension and the format; -1 if
 * the extension is neither .xml nor .json. */
static int s_split(const char *rest, char *base, size_t size, s_format_t *fmt)
{
    const char *dot = strrchr(rest, '.');
    if (!dot || strchr(dot, '/'))
        return -1;
    if (strcmp(dot, ".xml") == 0)
        *fmt = S_XML;
    else if (strcmp(dot, ".json") == 0)
        *fmt = S_JSON;
    else
        return -1;
    if ((size_t)(dot - rest) >= size)
        return -1;
    snprintf(base, size, "%.*s", (int)(dot - rest), rest);
    return 0;
}

void open311_handle(collector_t *collector, const config_t *cfg, const region_table_t *regions,
                    const http_request_t *req, http_response_t *res)
{
    const char *rest = req->path + strlen(OPEN311_PREFIX);
    char base[128];
    s_format_t fmt = S_XML;
    if (s_split(rest, base, sizeof base, &fmt) != 0) {
        s_error(res, S_XML, 404,
                "no such resource; see /open311/v2/services.{xml,json} and "
                "/open311/v2/requests.{xml,json}");
        return;
    }
    bool get = strcmp(req->method, "GET") == 0, post = strcmp(req->method, "POST") == 0;
    if (strcmp(base, "requests") == 0 && post) {
        s_post_request(collector, cfg, regions, fmt, req, res);
        return;
    }
    if (!get) {
        s_error(res, fmt, 405, "use GET%s", strcmp(base, "requests") == 0 ? " or POST" : "");
        return;
    }
    /* reads: open to everyone (open311.public_reads) but never showing contacts; with a key,
     * or when they are closed, the key's region limits what is shown */
    rconn_t *redis = collector_redis(collector);
    const char *secret = auth_secret(req);
    if (!secret)
        secret = http_request_arg(req, "api_key");
    auth_token_t tok, *limit = NULL;
    if (secret || !cfg->open311_public_reads) {
        switch (auth_lookup(cfg, redis, secret, &tok)) {
        case AUTH_OK:
            limit = &tok;
            break;
        case AUTH_UNAVAILABLE:
            s_unavailable(res, fmt);
            return;
        default:
            s_error(res, fmt, 401, "%s",
                    secret ? "api_key is not a known key" : "api_key is required");
            return;
        }
    }
    if (strcmp(base, "services") == 0)
        s_services(cfg, fmt, res);
    else if (strncmp(base, "services/", 9) == 0 && base[9] && !strchr(base + 9, '/'))
        s_service_definition(cfg, base + 9, fmt, res);
    else if (strcmp(base, "requests") == 0)
        s_list_requests(redis, cfg, regions, limit, req, fmt, res);
    else if (strncmp(base, "requests/", 9) == 0 && base[9] && !strchr(base + 9, '/'))
        s_get_request(redis, cfg, limit, base + 9, fmt, res);
    else
        s_error(res, fmt, 404,
                "no such resource; see /open311/v2/services.{xml,json} and "
                "/open311/v2/requests.{xml,json}");
}
