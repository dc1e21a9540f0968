#include "tally.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"

static size_t s_add(tally_item_t *out, size_t n, size_t max, const char *keys[], size_t levels,
                    const char *field)
{
    for (size_t i = 0; i < levels && n < max; i++, n++) {
        snprintf(out[n].key, sizeof out[n].key, "%s", keys[i]);
        snprintf(out[n].field, sizeof out[n].field, "%s", field);
    }
    return n;
}

size_t tally_event(const Gridline__Event *event, tally_item_t *out, size_t max)
{
    const char *region = event->region;
    size_t len = strlen(region);
    if (len != 12 && len != 14)
        return 0;
    char day[9], county[7], township[10], village[13];
    clock_day(event->at_ms, day);
    snprintf(county, sizeof county, "%.6s", region);
    snprintf(township, sizeof township, "%.9s", region);
    snprintf(village, sizeof village, "%.12s", region);
    char keybuf[4][KEYS_MAX];
    keys_stats(keybuf[0], county, day, county);
    keys_stats(keybuf[1], county, day, township);
    keys_stats(keybuf[2], county, day, village);
    keys_stats(keybuf[3], county, day, region);
    const char *keys[4] = {keybuf[0], keybuf[1], keybuf[2], keybuf[3]};
    size_t levels = len == 14 ? 4 : 3;

    char field[64];
    size_t n = 0;
    if (event->type == GRIDLINE__EVENT_TYPE__EVENT_COLLECTED) {
        snprintf(field, sizeof field, "ch:%s", event->channel);
        n = s_add(out, n, max, keys, levels, field);
        snprintf(field, sizeof field, "cat:%s", event->category);
        n = s_add(out, n, max, keys, levels, field);
    }
    if ((event->type == GRIDLINE__EVENT_TYPE__EVENT_ASSIGNED ||
         event->type == GRIDLINE__EVENT_TYPE__EVENT_ESCALATED) &&
        event->level) {
        snprintf(field, sizeof field, "lvl:%s", event_level_name(event->level));
        n = s_add(out, n, max, keys, levels, field);
    }
    snprintf(field, sizeof field, "ev:%s", event_type_name(event->type));
    return s_add(out, n, max, keys, levels, field);
}
