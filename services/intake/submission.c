#include "submission.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

struct submission {
    json_t *root; /* the strings of appeal point into it */
    Gridline__Appeal appeal;
    Gridline__Location location;
    char title[1024];
    const region_t *village;
};

static const char *s_channels[] = {"hotline", "wechat",  "web",      "app",
                                   "visit",   "meeting", "petition", "camera"};

static void s_fail(submission_error_t *err, int status, const char *code, const char *field,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void s_fail(submission_error_t *err, int status, const char *code, const char *field,
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

/* A string member: NULL if absent (and not required); checks type and length in characters. */
static int s_string(json_t *root, const char *name, bool required, size_t max_chars,
                    const char **out, submission_error_t *err)
{
    json_t *value = json_object_get(root, name);
    *out = NULL;
    if (!value || json_is_null(value)) {
        if (required) {
            s_fail(err, 400, "missing", name, "%s is required", name);
            return -1;
        }
        return 0;
    }
    if (!json_is_string(value)) {
        s_fail(err, 400, "invalid", name, "%s must be a string", name);
        return -1;
    }
    const char *text = json_string_value(value);
    if (strlen(text) != json_string_length(value)) {
        s_fail(err, 400, "invalid", name, "%s must not contain NUL characters", name);
        return -1;
    }
    size_t chars = utf8_count(text);
    if (required && chars == 0) {
        s_fail(err, 400, "missing", name, "%s must not be empty", name);
        return -1;
    }
    if (chars > max_chars) {
        s_fail(err, 400, "invalid", name, "%s is longer than %zu characters", name, max_chars);
        return -1;
    }
    *out = text;
    return 0;
}

static int s_check_fields(json_t *root, submission_error_t *err)
{
    static const char *known[] = {"channel",  "region",   "category",    "description", "title",
                                  "reporter", "location", "external_id", "occurred_at"};
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value)
    {
        bool ok = false;
        for (size_t i = 0; i < sizeof known / sizeof known[0] && !ok; i++)
            ok = strcmp(key, known[i]) == 0;
        if (!ok) {
            s_fail(err, 400, "unknown_field", key, "unknown field '%.60s'", key);
            return -1;
        }
    }
    return 0;
}

static int s_location(submission_t *self, submission_error_t *err)
{
    json_t *loc = json_object_get(self->root, "location");
    if (!loc || json_is_null(loc))
        return 0;
    if (!json_is_object(loc)) {
        s_fail(err, 400, "invalid", "location", "location must be an object");
        return -1;
    }
    const char *key;
    json_t *value;
    json_object_foreach(loc, key, value)
    {
        if (strcmp(key, "lat") && strcmp(key, "lon") && strcmp(key, "address")) {
            s_fail(err, 400, "unknown_field", "location", "unknown field 'location.%.50s'", key);
            return -1;
        }
    }
    gridline__location__init(&self->location);
    json_t *lat = json_object_get(loc, "lat"), *lon = json_object_get(loc, "lon");
    if ((lat != NULL) != (lon != NULL)) {
        s_fail(err, 400, "invalid", lat ? "location.lon" : "location.lat",
               "location needs both lat and lon");
        return -1;
    }
    if (lat) {
        if (!json_is_number(lat) || fabs(json_number_value(lat)) > 90) {
            s_fail(err, 400, "invalid", "location.lat", "location.lat must be a number -90..90");
            return -1;
        }
        if (!json_is_number(lon) || fabs(json_number_value(lon)) > 180) {
            s_fail(err, 400, "invalid", "location.lon", "location.lon must be a number -180..180");
            return -1;
        }
        self->location.lat = json_number_value(lat);
        self->location.lon = json_number_value(lon);
    }
    const char *address = NULL;
    if (s_string(loc, "address", false, 500, &address, err) != 0) {
        snprintf(err->field, sizeof err->field, "location.address");
        return -1;
    }
    self->location.address = (char *)(address ? address : "");
    self->appeal.location = &self->location;
    return 0;
}

int submission_parse_time(const char *text, int64_t *ms)
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
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 || y < 1970)
        return -1;
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

int submission_check_idempotency_key(const char *key)
{
    size_t len = strlen(key);
    if (len == 0 || len > 128)
        return -1;
    for (size_t i = 0; i < len; i++)
        if (key[i] < '!' || key[i] > '~')
            return -1;
    return 0;
}

void submission_fingerprint(const char *body, size_t len, char out[17])
{
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        hash ^= (unsigned char)body[i];
        hash *= 0x100000001b3ULL;
    }
    snprintf(out, 17, "%016llx", (unsigned long long)hash);
}

static int s_check_external_id(const char *text)
{
    size_t len = strlen(text);
    if (len == 0 || len > 128)
        return -1;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)text[i]) && !strchr("._-", text[i]))
            return -1;
    return 0;
}

/* The first 30 characters of the description, for an appeal sent without a title. */
static void s_default_title(const char *description, char *out, size_t size)
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

submission_t *submission_parse(const char *body, size_t len, const region_table_t *regions,
                               const config_t *config, submission_error_t *err)
{
    memset(err, 0, sizeof *err);
    if (!utf8_valid(body, len)) {
        s_fail(err, 400, "bad_utf8", "body", "the body is not valid UTF-8 text");
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        s_fail(err, 400, "bad_json", "body", "not valid JSON (line %d, column %d): %s", jerr.line,
               jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        s_fail(err, 400, "bad_json", "body", "the body must be a JSON object");
        return NULL;
    }
    submission_t *self = calloc(1, sizeof *self);
    if (!self) {
        json_decref(root);
        s_fail(err, 503, "unavailable", NULL, "out of memory");
        return NULL;
    }
    self->root = root;
    Gridline__Appeal *a = &self->appeal;
    gridline__appeal__init(a);
    const char *channel, *region, *category, *description, *title, *reporter, *external_id,
        *occurred;
    if (s_check_fields(root, err) != 0 || s_string(root, "channel", true, 32, &channel, err) != 0 ||
        s_string(root, "region", true, 14, &region, err) != 0 ||
        s_string(root, "category", true, 32, &category, err) != 0 ||
        s_string(root, "description", true, 4000, &description, err) != 0 ||
        s_string(root, "title", false, 200, &title, err) != 0 ||
        s_string(root, "reporter", false, 200, &reporter, err) != 0 ||
        s_string(root, "external_id", false, 128, &external_id, err) != 0 ||
        s_string(root, "occurred_at", false, 40, &occurred, err) != 0)
        goto fail;

    bool known = false;
    for (size_t i = 0; i < sizeof s_channels / sizeof s_channels[0] && !known; i++)
        known = strcmp(channel, s_channels[i]) == 0;
    if (!known) {
        s_fail(err, 400, "unknown_channel", "channel",
               "unknown channel '%.32s' (hotline, wechat, web, app, visit, meeting, petition, "
               "camera)",
               channel);
        goto fail;
    }
    const char *why = NULL;
    int level = region_resolve_appeal(regions, region, &self->village, &why);
    if (level < 0) {
        s_fail(err, 400, "unknown_region", "region", "region '%.14s': %s", region,
               why ? why : "not acceptable");
        goto fail;
    }
    if (!config_category(config, category)) {
        s_fail(err, 400, "unknown_category", "category", "unknown category '%.32s'", category);
        goto fail;
    }
    if (external_id && s_check_external_id(external_id) != 0) {
        s_fail(err, 400, "invalid", "external_id",
               "external_id must be 1..128 of A-Z a-z 0-9 . _ -");
        goto fail;
    }
    int64_t occurred_ms = 0;
    if (occurred && submission_parse_time(occurred, &occurred_ms) != 0) {
        s_fail(err, 400, "invalid", "occurred_at",
               "occurred_at must be an RFC 3339 time such as 2026-11-24T08:30:00+08:00");
        goto fail;
    }
    if (s_location(self, err) != 0)
        goto fail;

    a->channel = (char *)channel;
    a->region = (char *)region;
    a->grid = (char *)(level == REGION_GRID ? region + 12 : "");
    a->category = (char *)category;
    a->description = (char *)description;
    if (!title || !*title) {
        s_default_title(description, self->title, sizeof self->title);
        title = self->title;
    }
    a->title = (char *)title;
    a->reporter = (char *)(reporter ? reporter : "");
    a->external_id = (char *)(external_id ? external_id : "");
    a->occurred_at_ms = occurred_ms;
    return self;
fail:
    submission_destroy(&self);
    return NULL;
}

void submission_destroy(submission_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    json_decref((*self_p)->root);
    free(*self_p);
    *self_p = NULL;
}

Gridline__Appeal *submission_appeal(submission_t *self)
{
    return &self->appeal;
}

const region_t *submission_village(const submission_t *self)
{
    return self->village;
}
