#include "subscription.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "appeal.h"
#include "url.h"
#include "utf8.h"

static const char *const s_targets[] = {"webhook", "wecom", "dingtalk", "alertmanager"};

static int s_fail(subscription_error_t *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int s_fail(subscription_error_t *err, const char *field, const char *fmt, ...)
{
    snprintf(err->field, sizeof err->field, "%s", field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

bool subscription_id_valid(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

void subscription_new_id(char out[SUBSCRIPTION_ID_MAX])
{
    unsigned char r[8] = {0};
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        /* never expected: fall back to the clock's bits, still unique enough per process */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        memcpy(r, &ts.tv_nsec, sizeof ts.tv_nsec < 8 ? sizeof ts.tv_nsec : 8);
    }
    snprintf(out, SUBSCRIPTION_ID_MAX, "s%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3],
             r[4], r[5], r[6], r[7]);
}

/* Text: valid UTF-8, 1..max characters (0.. when optional), no control characters. */
static int s_text(json_t *body, const char *field, bool required, size_t max, char *out,
                  size_t size, subscription_error_t *err)
{
    json_t *v = json_object_get(body, field);
    *out = '\0';
    if (!v || json_is_null(v)) {
        if (required)
            return s_fail(err, field, "%s is required", field);
        return 0;
    }
    const char *s = json_string_value(v);
    if (!s)
        return s_fail(err, field, "%s must be a string", field);
    size_t len = json_string_length(v);
    if (strlen(s) != len || !utf8_valid(s, len))
        return s_fail(err, field, "%s must be UTF-8 text", field);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7F)
            return s_fail(err, field, "%s must not contain control characters", field);
    if (utf8_count(s) > max || len >= size)
        return s_fail(err, field, "%s is longer than %zu characters", field, max);
    if (required && len == 0)
        return s_fail(err, field, "%s is required", field);
    memcpy(out, s, len + 1);
    return 0;
}

static int s_url(const char *field, const char *url, subscription_error_t *err)
{
    bool scheme = strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
    for (const char *c = url; *c; c++)
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7F)
            return s_fail(err, field, "%s must be printable ASCII without spaces", field);
    if (!scheme || strlen(url) <= 8 || strlen(url) >= SUBSCRIPTION_URL_MAX)
        return s_fail(err, field, "%s must be an http:// or https:// URL under %d bytes", field,
                      SUBSCRIPTION_URL_MAX);
    return 0;
}

/* A list of names, each accepted by known(), as "|a|b|" into *out (NULL when absent). */
static int s_names(json_t *body, const char *field, bool (*known)(const char *, const void *),
                   const void *arg, char **out, subscription_error_t *err)
{
    json_t *list = json_object_get(body, field);
    *out = NULL;
    if (!list || json_is_null(list))
        return 0;
    if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > 64)
        return s_fail(err, field, "%s must be a list of 1..64 names", field);
    size_t len = 2;
    for (size_t i = 0; i < json_array_size(list); i++) {
        const char *name = json_string_value(json_array_get(list, i));
        if (!name || !known(name, arg))
            return s_fail(err, field, "%s[%zu] is not a known name", field, i);
        len += strlen(name) + 1;
    }
    char *joined = malloc(len), *w = joined;
    if (!joined)
        return s_fail(err, field, "out of memory");
    *w++ = '|';
    for (size_t i = 0; i < json_array_size(list); i++)
        w += sprintf(w, "%s|", json_string_value(json_array_get(list, i)));
    *out = joined;
    return 0;
}

static bool s_category_known(const char *name, const void *cfg)
{
    return config_category(cfg, name) != NULL;
}

static bool s_channel_known(const char *name, const void *arg)
{
    (void)arg;
    return appeal_channel_known(name);
}

static bool s_event_type_known(const char *name, const void *arg)
{
    (void)arg;
    return event_type_parse(name) > 0;
}

static uint64_t s_default_types(void)
{
    return 1ULL << GRIDLINE__EVENT_TYPE__EVENT_ASSIGNED |
           1ULL << GRIDLINE__EVENT_TYPE__EVENT_ESCALATED |
           1ULL << GRIDLINE__EVENT_TYPE__EVENT_REOPENED |
           1ULL << GRIDLINE__EVENT_TYPE__EVENT_REMINDED |
           1ULL << GRIDLINE__EVENT_TYPE__EVENT_WARNED;
}

static int s_quiet(const char *text, int *from, int *to)
{
    int h1, m1, h2, m2, n = 0;
    if (strlen(text) != 11 || sscanf(text, "%2d:%2d-%2d:%2d%n", &h1, &m1, &h2, &m2, &n) != 4 ||
        n != 11 || h1 > 23 || h2 > 23 || m1 > 59 || m2 > 59 || h1 < 0 || h2 < 0 || m1 < 0 || m2 < 0)
        return -1;
    *from = h1 * 60 + m1;
    *to = h2 * 60 + m2;
    return *from == *to ? -1 : 0;
}

static int s_seconds(json_t *body, const char *field, int *out, subscription_error_t *err)
{
    json_t *v = json_object_get(body, field);
    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 3600)
        return s_fail(err, field, "%s must be whole seconds 0..3600", field);
    *out = (int)json_integer_value(v);
    return 0;
}

static int s_target(subscription_t *sub, json_t *body, subscription_error_t *err)
{
    json_t *target = json_object_get(body, "target");
    json_t *url = json_object_get(body, "url");
    if (target && url)
        return s_fail(err, "target", "give url (a webhook) or target, not both");
    if (!target && !url)
        return s_fail(err, "url", "url (a webhook) or target is required");
    json_t *from = target ? target : body;
    const char *prefix = target ? "target." : "";
    if (target) {
        if (!json_is_object(target))
            return s_fail(err, "target", "target must be {type, url, secret}");
        const char *key;
        json_t *value;
        json_object_foreach(target, key, value)
        {
            if (strcmp(key, "type") && strcmp(key, "url") && strcmp(key, "secret"))
                return s_fail(err, "target", "target.%.40s is not a field (type, url, secret)",
                              key);
        }
        char type[16];
        if (s_text(target, "type", true, 15, type, sizeof type, err) != 0) {
            snprintf(err->field, sizeof err->field, "target.type");
            return -1;
        }
        bool known = false;
        for (size_t i = 0; i < sizeof s_targets / sizeof s_targets[0]; i++)
            known = known || strcmp(type, s_targets[i]) == 0;
        if (!known)
            return s_fail(err, "target.type",
                          "target.type must be webhook, wecom, dingtalk or alertmanager");
        snprintf(sub->target, sizeof sub->target, "%s", type);
    } else {
        snprintf(sub->target, sizeof sub->target, "webhook");
    }
    char field[32];
    snprintf(field, sizeof field, "%surl", prefix);
    if (s_text(from, "url", true, SUBSCRIPTION_URL_MAX, sub->url, sizeof sub->url, err) != 0 ||
        s_url(field, sub->url, err) != 0) {
        snprintf(err->field, sizeof err->field, "%s", field);
        return -1;
    }
    snprintf(field, sizeof field, "%ssecret", prefix);
    if (s_text(from, "secret", false, 256, sub->secret, sizeof sub->secret, err) != 0) {
        snprintf(err->field, sizeof err->field, "%s", field);
        return -1;
    }
    return 0;
}

int subscription_parse(subscription_t *sub, json_t *body, const config_t *config,
                       const region_table_t *regions, subscription_error_t *err)
{
    memset(sub, 0, sizeof *sub);
    sub->quiet_from_min = sub->quiet_to_min = -1;
    sub->min_level = GRIDLINE__LEVEL__LEVEL_GREEN;
    sub->event_types = s_default_types();
    memset(err, 0, sizeof *err);
    if (!json_is_object(body))
        return s_fail(err, "body", "the body must be a JSON object");
    static const char *const known[] = {
        "id",       "name",        "region",      "role",         "min_level",        "categories",
        "channels", "event_types", "quiet_hours", "group_wait_s", "group_interval_s", "url",
        "secret",   "target",      "source"};
    const char *key;
    json_t *value;
    json_object_foreach(body, key, value)
    {
        bool ok = false;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            ok = ok || strcmp(key, known[i]) == 0;
        if (!ok)
            return s_fail(err, key, "%.60s is not a field of a subscription", key);
    }
    char text[64];
    if (s_text(body, "id", false, 64, sub->id, sizeof sub->id, err) != 0 ||
        (*sub->id && !subscription_id_valid(sub->id)))
        return s_fail(err, "id", "id must be 1..64 of A-Z a-z 0-9 . _ -");
    if (s_text(body, "name", true, 64, sub->name, sizeof sub->name, err) != 0 ||
        s_text(body, "role", false, 64, sub->role, sizeof sub->role, err) != 0)
        goto fail;
    json_t *region = json_object_get(body, "region");
    if (!json_is_string(region))
        return s_fail(err, "region", "region is required: a division code prefix (\"\" = all)");
    const char *code = json_string_value(region);
    const region_t *found = NULL;
    if (*code && (strlen(code) >= sizeof sub->region || region_query(regions, code, &found) < 0))
        return s_fail(err, "region", "region '%.20s' is not a known division or grid code", code);
    snprintf(sub->region, sizeof sub->region, "%s", code);
    if (s_text(body, "min_level", false, 10, text, sizeof text, err) != 0)
        goto fail;
    if (*text) {
        int level = event_level_parse(text);
        if (level < GRIDLINE__LEVEL__LEVEL_GREEN || level > GRIDLINE__LEVEL__LEVEL_RED)
            return s_fail(err, "min_level", "min_level must be green, blue, yellow or red");
        sub->min_level = level;
    }
    char *types = NULL;
    if (s_names(body, "categories", s_category_known, config, &sub->categories, err) != 0 ||
        s_names(body, "channels", s_channel_known, NULL, &sub->channels, err) != 0 ||
        s_names(body, "event_types", s_event_type_known, NULL, &types, err) != 0)
        goto fail;
    if (types) {
        sub->event_types = 0;
        for (char *t = strtok(types + 1, "|"); t; t = strtok(NULL, "|"))
            sub->event_types |= 1ULL << event_type_parse(t);
        free(types);
    }
    if (s_text(body, "quiet_hours", false, 11, text, sizeof text, err) != 0)
        goto fail;
    if (*text && s_quiet(text, &sub->quiet_from_min, &sub->quiet_to_min) != 0)
        return s_fail(err, "quiet_hours", "quiet_hours must be \"HH:MM-HH:MM\" (local time)");
    if (s_seconds(body, "group_wait_s", &sub->group_wait_s, err) != 0 ||
        s_seconds(body, "group_interval_s", &sub->group_interval_s, err) != 0 ||
        s_target(sub, body, err) != 0)
        goto fail;
    return 0;
fail:
    subscription_fini(sub);
    return -1;
}

int subscription_from_config(subscription_t *sub, const config_subscription_t *entry)
{
    memset(sub, 0, sizeof *sub);
    snprintf(sub->id, sizeof sub->id, "%s", entry->name);
    snprintf(sub->name, sizeof sub->name, "%s", entry->name);
    snprintf(sub->region, sizeof sub->region, "%s", entry->region);
    snprintf(sub->url, sizeof sub->url, "%s", entry->url);
    snprintf(sub->secret, sizeof sub->secret, "%s", entry->secret ? entry->secret : "");
    snprintf(sub->target, sizeof sub->target, "webhook");
    sub->min_level = GRIDLINE__LEVEL__LEVEL_GREEN;
    sub->event_types = s_default_types();
    sub->quiet_from_min = sub->quiet_to_min = -1;
    sub->from_config = true;
    return 0;
}

int subscription_from_directory(subscription_t *sub, const char *entry_id,
                                const config_directory_entry_t *entry, bool from_config)
{
    memset(sub, 0, sizeof *sub);
    if (!entry->target_url || !*entry->target_url)
        return -1;
    snprintf(sub->id, sizeof sub->id, "dir.%.60s", entry_id);
    snprintf(sub->name, sizeof sub->name, "%s", entry->assignee);
    snprintf(sub->role, sizeof sub->role, "owner");
    snprintf(sub->assignee, sizeof sub->assignee, "%s", entry->assignee);
    snprintf(sub->url, sizeof sub->url, "%s", entry->target_url);
    snprintf(sub->secret, sizeof sub->secret, "%s",
             entry->target_secret ? entry->target_secret : "");
    snprintf(sub->target, sizeof sub->target, "%s",
             entry->target && *entry->target ? entry->target : "webhook");
    sub->min_level = GRIDLINE__LEVEL__LEVEL_GREEN;
    sub->event_types = s_default_types();
    sub->quiet_from_min = sub->quiet_to_min = -1;
    sub->from_config = from_config;
    return 0;
}

void subscription_fini(subscription_t *sub)
{
    free(sub->categories);
    free(sub->channels);
    sub->categories = sub->channels = NULL;
}

/* "|a|b|" as ["a", "b"] */
static json_t *s_list(const char *joined)
{
    json_t *list = json_array();
    const char *p = joined + 1;
    while (*p) {
        size_t n = strcspn(p, "|");
        json_array_append_new(list, json_stringn(p, n));
        p += n + (p[n] == '|');
    }
    return list;
}

json_t *subscription_json(const subscription_t *sub, bool show_secret)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(sub->id));
    json_object_set_new(o, "name", json_string(sub->name));
    json_object_set_new(o, "region", json_string(sub->region));
    if (*sub->role)
        json_object_set_new(o, "role", json_string(sub->role));
    json_object_set_new(o, "min_level", json_string(event_level_name(sub->min_level)));
    if (sub->categories)
        json_object_set_new(o, "categories", s_list(sub->categories));
    if (sub->channels)
        json_object_set_new(o, "channels", s_list(sub->channels));
    json_t *types = json_array();
    for (int t = 1; t < 64; t++)
        if (sub->event_types & (1ULL << t))
            json_array_append_new(types, json_string(event_type_name(t)));
    json_object_set_new(o, "event_types", types);
    if (sub->quiet_from_min >= 0) {
        char q[16];
        snprintf(q, sizeof q, "%02d:%02d-%02d:%02d", sub->quiet_from_min / 60,
                 sub->quiet_from_min % 60, sub->quiet_to_min / 60, sub->quiet_to_min % 60);
        json_object_set_new(o, "quiet_hours", json_string(q));
    }
    json_object_set_new(o, "group_wait_s", json_integer(sub->group_wait_s));
    json_object_set_new(o, "group_interval_s", json_integer(sub->group_interval_s));
    char url[SUBSCRIPTION_URL_MAX];
    if (show_secret)
        snprintf(url, sizeof url, "%s", sub->url);
    else
        url_redact(sub->url, url, sizeof url);
    json_t *target = json_object();
    json_object_set_new(target, "type", json_string(sub->target));
    json_object_set_new(target, "url", json_string(url));
    if (*sub->secret)
        json_object_set_new(target, "secret", json_string(show_secret ? sub->secret : "***"));
    json_object_set_new(o, "target", target);
    json_object_set_new(o, "source", json_string(sub->from_config ? "config" : "api"));
    return o;
}

static bool s_listed(const char *joined, const char *name)
{
    if (!joined)
        return true;
    size_t n = strlen(name);
    for (const char *p = strstr(joined, name); p; p = strstr(p + 1, name))
        if (p[-1] == '|' && p[n] == '|')
            return true;
    return false;
}

bool subscription_matches(const subscription_t *sub, const Gridline__Event *event)
{
    int type = (int)event->type;
    /* Alertmanager ends an alert when told so: its subscriptions hear of the appeal's end too */
    bool ends = strcmp(sub->target, "alertmanager") == 0 &&
                (event->type == GRIDLINE__EVENT_TYPE__EVENT_RESOLVED ||
                 event->type == GRIDLINE__EVENT_TYPE__EVENT_CLOSED);
    if (*sub->assignee && strcmp(sub->assignee, event->assignee) != 0)
        return false;
    return type > 0 && type < 64 && (ends || (sub->event_types & (1ULL << type))) &&
           strncmp(sub->region, event->region, strlen(sub->region)) == 0 &&
           (ends || (int)event->level >= sub->min_level) &&
           s_listed(sub->categories, event->category) && s_listed(sub->channels, event->channel);
}

bool subscription_quiet_at(const subscription_t *sub, int minute_of_day)
{
    if (sub->quiet_from_min < 0)
        return false;
    if (sub->quiet_from_min < sub->quiet_to_min)
        return minute_of_day >= sub->quiet_from_min && minute_of_day < sub->quiet_to_min;
    return minute_of_day >= sub->quiet_from_min || minute_of_day < sub->quiet_to_min;
}

int64_t subscription_hold(const subscription_t *sub, Gridline__Level level, int64_t now_ms,
                          int tz_offset_min)
{
    if (level == GRIDLINE__LEVEL__LEVEL_RED)
        return 0; /* red is never held */
    int64_t hold = 0;
    int64_t local_ms = now_ms + (int64_t)tz_offset_min * 60000;
    int minute = (int)((local_ms / 60000) % 1440);
    if (subscription_quiet_at(sub, minute)) {
        int64_t day_start = now_ms - (local_ms % 86400000);
        int to = sub->quiet_to_min;
        hold = day_start + (int64_t)to * 60000 + (to <= minute ? 86400000 : 0);
    }
    if (sub->group_wait_s > 0 || sub->group_interval_s > 0) {
        int64_t wait = now_ms + (int64_t)sub->group_wait_s * 1000;
        if (wait > hold)
            hold = wait;
    }
    return hold;
}
