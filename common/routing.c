#include "routing.h"

#include <stdio.h>
#include <string.h>

#include "appeal.h"

/* Whether any of the '|'-separated keywords occurs in text. */
static bool s_keyword_in(const char *keywords, const char *text)
{
    if (!text || !*text)
        return false;
    for (const char *k = keywords; *k;) {
        const char *bar = strchr(k, '|');
        size_t len = bar ? (size_t)(bar - k) : strlen(k);
        if (len > 0 && memmem(text, strlen(text), k, len))
            return true;
        k += len + (bar ? 1 : 0);
    }
    return false;
}

void routing_classify(const config_t *config, const char *title, const char *description,
                      const char *channel, const char *region, const char *category,
                      routing_class_t *out)
{
    out->category = category;
    out->level = GRIDLINE__LEVEL__LEVEL_GREEN;
    out->rule = -1;
    for (size_t i = 0; i < config->rule_count; i++) {
        const config_rule_t *r = &config->rules[i];
        if (*r->channel && (!channel || strcmp(r->channel, channel) != 0))
            continue;
        if (*r->region && (!region || strncmp(r->region, region, strlen(r->region)) != 0))
            continue;
        if (*r->keywords && !s_keyword_in(r->keywords, title) &&
            !s_keyword_in(r->keywords, description))
            continue;
        out->category = r->category;
        if (*r->level)
            out->level = appeal_level_parse(r->level);
        out->rule = (int)i;
        return;
    }
}

const char *routing_department(const config_t *config, const char *name)
{
    if (!name || !*name)
        return NULL;
    for (size_t i = 0; i < config->category_count; i++)
        if (strcmp(config->categories[i].department, name) == 0)
            return config->categories[i].department;
    const config_category_t *cat = config_category(config, name);
    return cat ? cat->department : NULL;
}

/* The best of one list for (department, level): the longest prefix of region, or keeps *best. */
static void s_consider(const config_directory_entry_t *e, const char *department, const char *level,
                       const char *region, const config_directory_entry_t **best, size_t *best_len)
{
    size_t len = strlen(e->region);
    if (strcmp(e->department, department) != 0 || strcmp(e->level, level) != 0 ||
        strncmp(e->region, region, len) != 0)
        return;
    if (!*best || len > *best_len) {
        *best = e;
        *best_len = len;
    }
}

/* The entry for exactly this department ("*" included) and level, or NULL. API entries first,
 * so that at equal length they win; a config entry they override is skipped anyway. */
static const config_directory_entry_t *s_lookup(const config_t *config,
                                                const directory_t *directory,
                                                const char *department, const char *level,
                                                const char *region)
{
    const config_directory_entry_t *best = NULL;
    size_t best_len = 0, count = 0;
    const directory_entry_t *api = directory_entries(directory, &count);
    for (size_t i = 0; i < count; i++)
        s_consider(&api[i].entry, department, level, region, &best, &best_len);
    for (size_t i = 0; i < config->directory_count; i++)
        if (!directory_overrides(directory, &config->directory[i]))
            s_consider(&config->directory[i], department, level, region, &best, &best_len);
    return best;
}

void routing_owner(const config_t *config, const directory_t *directory, const char *department,
                   Gridline__Level level, const char *region, char *out)
{
    const appeal_level_t *lv = appeal_level(level);
    const char *name = lv ? lv->name : "green";
    const config_directory_entry_t *e = s_lookup(config, directory, department, name, region);
    if (!e)
        e = s_lookup(config, directory, "*", name, region);
    if (e) {
        snprintf(out, ROUTING_ASSIGNEE_MAX, "%s", e->assignee);
        return;
    }
    switch (level) {
    case GRIDLINE__LEVEL__LEVEL_BLUE:
        snprintf(out, ROUTING_ASSIGNEE_MAX, "village:%.12s", region);
        break;
    case GRIDLINE__LEVEL__LEVEL_YELLOW:
        snprintf(out, ROUTING_ASSIGNEE_MAX, "township:%.9s", region);
        break;
    case GRIDLINE__LEVEL__LEVEL_RED:
        snprintf(out, ROUTING_ASSIGNEE_MAX, "county:%.6s", region);
        break;
    default:
        snprintf(out, ROUTING_ASSIGNEE_MAX, "grid-worker:%s", region);
        break;
    }
}

int64_t routing_deadline_after(const config_t *config, int64_t now, long ms, int wd)
{
    if (wd > 0)
        return calendar_add_workdays(config->calendar, now, wd, config->clock_tz_offset_min);
    return now + ms;
}

void routing_deadlines(const config_t *config, const char *category, Gridline__Level level,
                       int64_t now_ms, int64_t *ack_deadline_ms, int64_t *resolve_deadline_ms)
{
    int i = level >= GRIDLINE__LEVEL__LEVEL_GREEN && level <= GRIDLINE__LEVEL__LEVEL_RED
                ? (int)level
                : GRIDLINE__LEVEL__LEVEL_GREEN;
    long ack_ms = config->ladder_ack_ms[i], resolve_ms = config->ladder_resolve_ms[i];
    int ack_wd = config->ladder_ack_wd[i], resolve_wd = config->ladder_resolve_wd[i];
    const config_category_t *cat = category ? config_category(config, category) : NULL;
    if (cat && (cat->ack_ms || cat->ack_wd)) {
        ack_ms = cat->ack_ms;
        ack_wd = cat->ack_wd;
    }
    if (cat && (cat->resolve_ms || cat->resolve_wd)) {
        resolve_ms = cat->resolve_ms;
        resolve_wd = cat->resolve_wd;
    }
    if (ack_deadline_ms)
        *ack_deadline_ms = routing_deadline_after(config, now_ms, ack_ms, ack_wd);
    if (resolve_deadline_ms)
        *resolve_deadline_ms = routing_deadline_after(config, now_ms, resolve_ms, resolve_wd);
}
