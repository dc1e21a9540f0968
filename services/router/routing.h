/* routing: who answers an appeal ("many grids in one").
 *
 * The category names a department (config "categories"); the directory names who answers
 * for that department in a region, the entry with the longest matching region prefix winning.
 * With no entry, the appeal stays with the grid worker of its grid or village: green is
 * "solved on the spot". O(directory) per call: fine for the hundreds of entries a county has;
 * an index by department comes when directories grow. */
#ifndef GRIDLINE_ROUTING_H
#define GRIDLINE_ROUTING_H

#include "config.h"

typedef struct {
    const char *department; /* from config; never NULL */
    const char *assignee;   /* from config, or points at fallback */
    char fallback[64];      /* "grid-worker:<region>" */
} routing_decision_t;

/* 0, or -1 if the category is unknown (then nothing is filled). */
int routing_decide(const config_t *config, const char *category, const char *region,
                   routing_decision_t *out);

#endif
