#include "target_alertmanager.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

/* Sets key to the alert's member of the same name, unless that is empty. */
static int s_copy(json_t *to, const json_t *alert, const char *key)
{
    const char *text = target_alert_string(alert, key);
    return *text ? json_object_set_new(to, key, json_string(text)) : 0;
}

static int s_ends_appeal(const char *event)
{
    return strcmp(event, "resolved") == 0 || strcmp(event, "closed") == 0 ||
           strcmp(event, "invalidated") == 0;
}

/* "<place> · <category> · 责任人 <owner> · <reason>", the parts there are; malloc'd or NULL. */
static char *s_description(const json_t *alert)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    size_t i;
    json_t *item;
    int first = 1;
    json_array_foreach(json_object_get(alert, "region_names"), i, item)
    {
        fprintf(f, "%s%s", first ? "" : " ",
                json_string_value(item) ? json_string_value(item) : "");
        first = 0;
    }
    const char *category = target_alert_string(alert, "category");
    if (*category)
        fprintf(f, "%s%s", first ? "" : " · ", category);
    first = first && !*category;
    json_array_foreach(json_object_get(alert, "recipients"), i, item)
    {
        if (json_string_value(item)) {
            fprintf(f, "%s责任人 %s", first ? "" : " · ", json_string_value(item));
            first = 0;
        }
    }
    const char *reason = target_alert_string(alert, "reason");
    if (*reason)
        fprintf(f, "%s%s", first ? "" : " · ", reason);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* One postable alert; NULL if out of memory. */
static json_t *s_alert(const json_t *alert, const char *now_iso)
{
    json_t *labels = json_object();
    json_t *annotations = json_object();
    json_t *posted = json_object();
    char *description = s_description(alert);
    const char *region = target_alert_string(alert, "region");
    char county[7] = "";
    if (strlen(region) >= 6)
        snprintf(county, sizeof county, "%.6s", region);
    int failed = !labels || !annotations || !posted || !description;
    if (!failed)
        failed = json_object_set_new(labels, "alertname", json_string("gridline_appeal")) ||
                 s_copy(labels, alert, "appeal_id") || s_copy(labels, alert, "region") ||
                 (*county && json_object_set_new(labels, "county", json_string(county))) ||
                 s_copy(labels, alert, "level") || s_copy(labels, alert, "category") ||
                 s_copy(labels, alert, "department") || s_copy(annotations, alert, "summary") ||
                 (*description &&
                  json_object_set_new(annotations, "description", json_string(description))) ||
                 s_copy(annotations, alert, "event") || s_copy(annotations, alert, "deadline") ||
                 json_object_set(posted, "labels", labels) ||
                 json_object_set(posted, "annotations", annotations);
    free(description);
    json_decref(labels);
    json_decref(annotations);
    const char *at = target_alert_string(alert, "at");
    if (!failed && *at)
        failed = json_object_set_new(posted, "startsAt", json_string(at)) != 0;
    if (!failed && s_ends_appeal(target_alert_string(alert, "event")))
        failed = json_object_set_new(posted, "endsAt", json_string(now_iso)) != 0;
    if (failed) {
        json_decref(posted);
        return NULL;
    }
    return posted;
}

int target_alertmanager_render(const char *url, json_t *const *alerts, size_t n, int64_t now_ms,
                               target_request_t *out)
{
    /* the base's path without trailing slashes, then the API path, then any query */
    size_t path_end = strcspn(url, "?#");
    size_t base = path_end;
    while (base > 0 && url[base - 1] == '/')
        base--;
    if (asprintf(&out->url, "%.*s/api/v2/alerts%s", (int)base, url, url + path_end) < 0) {
        out->url = NULL;
        return -1;
    }
    char now_iso[40];
    clock_iso(now_ms, now_iso);
    json_t *list = json_array();
    int failed = !list;
    for (size_t i = 0; i < n && !failed; i++) {
        json_t *posted = s_alert(alerts[i], now_iso);
        failed = !posted || json_array_append_new(list, posted) != 0;
    }
    if (!failed)
        out->body = json_dumps(list, JSON_COMPACT);
    json_decref(list);
    if (!out->body)
        return -1;
    return target_request_header(out, "Content-Type: application/json");
}

int target_alertmanager_accepted(long status, const char *body, size_t len, char *why,
                                 size_t why_size)
{
    if (status >= 200 && status < 300)
        return 1;
    int shown = len > 200 ? 200 : (int)len;
    snprintf(why, why_size, "HTTP %ld%s%.*s", status, shown ? ": " : "", shown, body ? body : "");
    return 0;
}
