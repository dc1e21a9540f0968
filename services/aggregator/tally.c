#include "tally.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "hop.h"
#include "log.h"
#include "scripts.h"

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
         event->type == GRIDLINE__EVENT_TYPE__EVENT_ESCALATED ||
         event->type == GRIDLINE__EVENT_TYPE__EVENT_REOPENED) &&
        event->level) {
        snprintf(field, sizeof field, "lvl:%s", event_level_name(event->level));
        n = s_add(out, n, max, keys, levels, field);
    }
    if (event->type == GRIDLINE__EVENT_TYPE__EVENT_ESCALATED && *event->reason_code) {
        snprintf(field, sizeof field, "esc:%.50s", event->reason_code);
        n = s_add(out, n, max, keys, levels, field);
    }
    if (event->verdict) {
        snprintf(field, sizeof field, "fb:%s", event_verdict_name(event->verdict));
        n = s_add(out, n, max, keys, levels, field);
    }
    snprintf(field, sizeof field, "ev:%s", event_type_name(event->type));
    return s_add(out, n, max, keys, levels, field);
}

int tally_apply_append(rconn_t *redis, argv_t *a, const char *county, int64_t now_ms,
                       const tally_event_t *events, size_t count)
{
    char key[KEYS_MAX];
    keys_outbox(key, county, hop_name(HOP_AGGREGATOR));
    argv_reset(a);
    argv_add(a, key);
    argv_add(a, county);
    argv_add_int(a, HOP_MAX_TRIES);
    argv_add_int(a, now_ms);
    argv_add_int(a, (long long)count);
    for (size_t i = 0; i < count; i++) {
        const tally_event_t *e = &events[i];
        argv_add(a, e->member);
        argv_addn(a, e->received, e->received_len);
        argv_add_int(a, (long long)e->count);
        for (size_t k = 0; k < e->count; k++) {
            argv_add(a, e->items[k].key);
            argv_add(a, e->items[k].field);
        }
    }
    if (a->failed)
        return -1;
    return rconn_append_eval(redis, &scripts_stats_apply, 1, (int)a->count, a->args, a->lens);
}

int tally_apply_read(rconn_t *redis, size_t count, long long *outcomes)
{
    return hop_read_outcomes(redis, scripts_stats_apply.name, count, false, outcomes, NULL);
}
