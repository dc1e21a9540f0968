/* routing: who answers an appeal ("many grids in one"), shared by intake and the router.
 *
 *  - routing_classify: the configuration's rules (keywords in the title or description,
 *    channel, region prefix; the first matching rule wins) choose the category, and so the
 *    department, and may set the level the appeal starts at. No rule: the submitted category,
 *    green.
 *  - routing_owner: the directory entry with the longest region prefix for (department,
 *    level), else for ("*", level); API entries (directory.h) override the configuration's
 *    entry with the same (department, level, region). No entry: the level's own unit,
 *    grid-worker:<grid or village>, village:<12 digits>, township:<9>, county:<6>.
 *  - routing_deadlines: when the acknowledge and resolve clocks of a level (config ladder), or
 *    the category's when the catalogue gives its own (emergencies shorter), started now, fall
 *    due: now + the duration, or for a clock in working days ("5wd") 24:00 local time on the
 *    N-th working day after today (config->calendar, config->clock_tz_offset_min; calendar.h).
 * O(rules) and O(directory) per call: fine for the hundreds of entries a county has. */
#ifndef GRIDLINE_ROUTING_H
#define GRIDLINE_ROUTING_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "directory.h"
#include "gridline.pb-c.h"

#define ROUTING_ASSIGNEE_MAX 260

typedef struct {
    const char *category;  /* from config (a rule's) or the submitted one as given */
    Gridline__Level level; /* where the appeal starts */
    int rule;              /* index of the rule that matched, -1 for none */
} routing_class_t;

void routing_classify(const config_t *config, const char *title, const char *description,
                      const char *channel, const char *region, const char *category,
                      routing_class_t *out);

/* A department name, or a category name meaning its department: the department (config
 * storage), or NULL if neither. */
const char *routing_department(const config_t *config, const char *name);

/* The owner of (department, level) for region into out (ROUTING_ASSIGNEE_MAX bytes). directory
 * may be NULL (configuration only). */
void routing_owner(const config_t *config, const directory_t *directory, const char *department,
                   Gridline__Level level, const char *region, char *out);

/* The deadlines (unix ms) of the clocks of an appeal of category at level started at now_ms.
 * Either out pointer may be NULL. */
/* The deadline of one clock, ms or wd (working days, when > 0), started at now. */
int64_t routing_deadline_after(const config_t *config, int64_t now, long ms, int wd);
void routing_deadlines(const config_t *config, const char *category, Gridline__Level level,
                       int64_t now_ms, int64_t *ack_deadline_ms, int64_t *resolve_deadline_ms);

#endif
