#include "routing.h"

#include <stdio.h>
#include <string.h>

int routing_decide(const config_t *config, const char *category, const char *region,
                   routing_decision_t *out)
{
    const config_category_t *cat = config_category(config, category);
    if (!cat)
        return -1;
    out->department = cat->department;
    out->assignee = NULL;
    size_t best = 0;
    for (size_t i = 0; i < config->directory_count; i++) {
        const config_directory_entry_t *e = &config->directory[i];
        size_t len = strlen(e->region);
        if (strcmp(e->department, cat->department) != 0 || strncmp(e->region, region, len) != 0)
            continue;
        if (!out->assignee || len > best) {
            out->assignee = e->assignee;
            best = len;
        }
    }
    if (!out->assignee) {
        snprintf(out->fallback, sizeof out->fallback, "grid-worker:%s", region);
        out->assignee = out->fallback;
    }
    return 0;
}
