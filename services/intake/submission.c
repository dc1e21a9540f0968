#include "submission.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contact.h"
#include "hash.h"
#include "jsonbody.h"
#include "rules.h"
#include "utf8.h"

struct submission {
    json_t *root; /* the strings of appeal point into it */
    Gridline__Appeal appeal;
    Gridline__Location location;
    Gridline__Reporter contact;
    char name[CONTACT_MAX], phone[CONTACT_MAX], email[CONTACT_MAX];
    const char *bbox;
    char *media[RULES_MEDIA_URLS]; /* point into root */
    char title[1024];
    const region_t *village;
};

/* media_urls: an array of at most RULES_MEDIA_URLS URLs. */
static int s_media(submission_t *self, submission_error_t *err)
{
    json_t *list = json_object_get(self->root, "media_urls");
    if (!list)
        return 0;
    if (!json_is_array(list) || json_array_size(list) > RULES_MEDIA_URLS) {
        rules_fail(err, 400, "invalid", "media_urls",
                   "media_urls must be an array of at most %d URLs", RULES_MEDIA_URLS);
        return -1;
    }
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *url = json_string_value(json_array_get(list, i));
        char field[32];
        snprintf(field, sizeof field, "media_urls[%zu]", i);
        if (!url) {
            rules_fail(err, 400, "invalid", field, "%s must be a string", field);
            return -1;
        }
        if (rules_media_url(field, url, err) != 0)
            return -1;
        self->media[i] = (char *)url;
    }
    self->appeal.media_urls = self->media;
    self->appeal.n_media_urls = json_array_size(list);
    return 0;
}

static int s_check_fields(json_t *root, submission_error_t *err)
{
    static const char *const known[] = {"channel",     "region",    "category", "description",
                                        "title",       "reporter",  "location", "external_id",
                                        "occurred_at", "media_urls"};
    return jsonbody_known(root, known, sizeof known / sizeof known[0], err);
}

/* reporter: a plain string ("张三 13812345678": the digits are the phone, the rest the name) or
 * {"name", "phone", "email"}. */
static int s_reporter(submission_t *self, submission_error_t *err)
{
    json_t *r = json_object_get(self->root, "reporter");
    if (!r || json_is_null(r))
        return 0;
    gridline__reporter__init(&self->contact);
    if (json_is_string(r)) {
        const char *text = NULL;
        if (jsonbody_string(self->root, "reporter", false, 200, &text, err) != 0)
            return -1;
        contact_parse(text, self->name, self->phone);
    } else if (json_is_object(r)) {
        static const char *const known[] = {"name", "phone", "email"};
        const char *name = NULL, *phone = NULL, *email = NULL;
        if (jsonbody_known(r, known, 3, err) != 0 ||
            jsonbody_string(r, "name", false, 100, &name, err) != 0 ||
            jsonbody_string(r, "phone", false, 40, &phone, err) != 0 ||
            jsonbody_string(r, "email", false, 200, &email, err) != 0) {
            char field[64];
            snprintf(field, sizeof field, "reporter.%s", err->field);
            snprintf(err->field, sizeof err->field, "%s", field);
            return -1;
        }
        if (phone && *phone && contact_phone(phone, self->phone) != 0) {
            rules_fail(err, 400, "invalid", "reporter.phone",
                       "reporter.phone must be 7..15 digits (an optional +86, - and spaces)");
            return -1;
        }
        if (email && *email && (!strchr(email, '@') || strpbrk(email, " <>\"\r\n"))) {
            rules_fail(err, 400, "invalid", "reporter.email", "reporter.email must be an address");
            return -1;
        }
        snprintf(self->name, sizeof self->name, "%s", name ? name : "");
        snprintf(self->email, sizeof self->email, "%s", email ? email : "");
    } else {
        rules_fail(err, 400, "invalid", "reporter",
                   "reporter must be a string or {\"name\", \"phone\", \"email\"}");
        return -1;
    }
    self->contact.name = self->name;
    self->contact.phone = self->phone;
    self->contact.email = self->email;
    self->appeal.contact = &self->contact;
    return 0;
}

static int s_location(submission_t *self, submission_error_t *err)
{
    json_t *loc = json_object_get(self->root, "location");
    if (!loc || json_is_null(loc))
        return 0;
    if (!json_is_object(loc)) {
        rules_fail(err, 400, "invalid", "location", "location must be an object");
        return -1;
    }
    const char *key;
    json_t *value;
    json_object_foreach(loc, key, value)
    {
        if (strcmp(key, "lat") && strcmp(key, "lon") && strcmp(key, "address")) {
            rules_fail(err, 400, "unknown_field", "location", "unknown field 'location.%.50s'",
                       key);
            return -1;
        }
    }
    gridline__location__init(&self->location);
    json_t *lat = json_object_get(loc, "lat"), *lon = json_object_get(loc, "lon");
    if ((lat != NULL) != (lon != NULL)) {
        rules_fail(err, 400, "invalid", lat ? "location.lon" : "location.lat",
                   "location needs both lat and lon");
        return -1;
    }
    if (lat) {
        if (!json_is_number(lat) || fabs(json_number_value(lat)) > 90) {
            rules_fail(err, 400, "invalid", "location.lat",
                       "location.lat must be a number -90..90");
            return -1;
        }
        if (!json_is_number(lon) || fabs(json_number_value(lon)) > 180) {
            rules_fail(err, 400, "invalid", "location.lon",
                       "location.lon must be a number -180..180");
            return -1;
        }
        self->location.lat = json_number_value(lat);
        self->location.lon = json_number_value(lon);
        double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
        if (sscanf(self->bbox, "%lf,%lf,%lf,%lf", &x0, &y0, &x1, &y1) == 4 &&
            (self->location.lon < x0 || self->location.lon > x1 || self->location.lat < y0 ||
             self->location.lat > y1)) {
            rules_fail(err, 400, "invalid", "location",
                       "location (%.4f, %.4f) lies outside the area served (intake.bbox %s)",
                       self->location.lat, self->location.lon, self->bbox);
            return -1;
        }
    }
    const char *address = NULL;
    if (jsonbody_string(loc, "address", false, 500, &address, err) != 0) {
        snprintf(err->field, sizeof err->field, "location.address");
        return -1;
    }
    self->location.address = (char *)(address ? address : "");
    self->appeal.location = &self->location;
    return 0;
}

void submission_fingerprint_of(const submission_t *self, char out[17])
{
    /* the parsed fields, keys sorted: the same content sent with other spacing or key order
     * is the same request */
    char *text = json_dumps(self->root, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    submission_fingerprint(text ? text : "", text ? strlen(text) : 0, out);
    free(text);
}

void submission_fingerprint(const char *body, size_t len, char out[17])
{
    hash_hex64(hash_fnv1a64(body, len), out);
}

submission_t *submission_parse(const char *body, size_t len, const region_table_t *regions,
                               const config_t *config, submission_error_t *err)
{
    memset(err, 0, sizeof *err);
    json_t *root = jsonbody_load(body, len, err);
    if (!root)
        return NULL;
    submission_t *self = calloc(1, sizeof *self);
    if (!self) {
        json_decref(root);
        rules_fail(err, 503, "unavailable", NULL, "out of memory");
        return NULL;
    }
    self->root = root;
    self->bbox = config->intake_bbox;
    Gridline__Appeal *a = &self->appeal;
    gridline__appeal__init(a);
    const char *channel, *region, *category, *description, *title, *external_id, *occurred;
    if (s_check_fields(root, err) != 0 ||
        jsonbody_string(root, "channel", true, 32, &channel, err) != 0 ||
        jsonbody_string(root, "region", true, 14, &region, err) != 0 ||
        jsonbody_string(root, "category", true, 32, &category, err) != 0 ||
        jsonbody_string(root, "description", true, 4000, &description, err) != 0 ||
        jsonbody_string(root, "title", false, 200, &title, err) != 0 ||

        jsonbody_string(root, "external_id", false, 128, &external_id, err) != 0 ||
        jsonbody_string(root, "occurred_at", false, 40, &occurred, err) != 0)
        goto fail;

    const char *grid = "";
    int64_t occurred_ms = 0;
    if (rules_channel(channel, err) != 0 ||
        rules_region(regions, region, &self->village, &grid, err) != 0 ||
        rules_category(config, category, err) != 0 ||
        (external_id && rules_external_id(external_id, err) != 0) ||
        (occurred && rules_time("occurred_at", occurred, &occurred_ms, err) != 0))
        goto fail;
    if (s_location(self, err) != 0 || s_reporter(self, err) != 0 || s_media(self, err) != 0)
        goto fail;

    a->channel = (char *)channel;
    a->region = (char *)region;
    a->grid = (char *)grid;
    a->category = (char *)category;
    a->description = (char *)description;
    if (!title || !*title) {
        rules_default_title(description, self->title, sizeof self->title);
        title = self->title;
    }
    a->title = (char *)title;
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

int submission_parse_time(const char *text, int64_t *ms)
{
    return rules_parse_time(text, ms);
}

int submission_check_idempotency_key(const char *key)
{
    return rules_idempotency_key(key);
}
