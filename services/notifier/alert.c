#include "alert.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"

static const char *s_colour_zh(Gridline__Level level)
{
    static const char *names[] = {"", "绿", "蓝", "黄", "红"};
    return (int)level >= 0 && (int)level <= 4 ? names[level] : "";
}

char *alert_render(const Gridline__Event *event, const region_table_t *regions,
                   const subscription_t *subscription)
{
    char alert_id[96], at[40], deadline[40], summary[512];
    snprintf(alert_id, sizeof alert_id, "%s:%u", event->appeal_id, event->seq);
    clock_iso(event->at_ms, at);

    /* The Alert message is the schema of what is said; JSON is how webhooks hear it. */
    Gridline__Alert alert = GRIDLINE__ALERT__INIT;
    alert.id = alert_id;
    alert.appeal_id = event->appeal_id;
    alert.event = (Gridline__Event *)event;
    alert.level = event->level;
    alert.region = event->region;
    char *recipients[1] = {event->assignee};
    alert.n_recipients = *event->assignee ? 1 : 0;
    alert.recipients = recipients;

    const region_t *chain[6];
    size_t depth = region_chain(regions, event->region, chain, 6);
    const char *county_name = depth >= 3 ? chain[2]->name : "";
    const char *place = depth ? chain[depth - 1]->name : event->region;
    snprintf(summary, sizeof summary, "[%s] %s %s %s: %s -> %s", s_colour_zh(event->level),
             county_name, place, event->category, event_type_name(event->type), event->assignee);
    alert.summary = summary;

    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(alert.id));
    json_object_set_new(o, "appeal_id", json_string(alert.appeal_id));
    json_object_set_new(o, "event", json_string(event_type_name(event->type)));
    json_object_set_new(o, "seq", json_integer(event->seq));
    json_object_set_new(o, "level", json_string(event_level_name(alert.level)));
    json_object_set_new(o, "region", json_string(alert.region));
    json_t *names = json_array();
    for (size_t i = 0; i < depth; i++)
        json_array_append_new(names, json_string(chain[i]->name));
    json_object_set_new(o, "region_names", names);
    json_object_set_new(o, "channel", json_string(event->channel));
    json_object_set_new(o, "category", json_string(event->category));
    json_object_set_new(o, "department", json_string(event->department));
    json_t *to = json_array();
    for (size_t i = 0; i < alert.n_recipients; i++)
        json_array_append_new(to, json_string(alert.recipients[i]));
    json_object_set_new(o, "recipients", to);
    json_object_set_new(o, "summary", json_string(alert.summary));
    if (*event->reason_code)
        json_object_set_new(o, "reason_code", json_string(event->reason_code));
    if (*event->reason)
        json_object_set_new(o, "reason", json_string(event->reason));
    json_object_set_new(o, "at", json_string(at));
    if (event->deadline_ms) {
        clock_iso(event->deadline_ms, deadline);
        json_object_set_new(o, "deadline", json_string(deadline));
    }
    if (subscription)
        json_object_set_new(o, "subscription", json_string(subscription->name));
    if (subscription && *subscription->role)
        json_object_set_new(o, "role", json_string(subscription->role));
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return text;
}
