/* alert: which events alert whom, and what the alert says.
 *
 * Alert-worthy: assigned, escalated, reopened, transferred (someone new must act) and reminded
 * (an appeal at red is overdue). A subscription matches
 * when its region is a prefix of the appeal's region ("" matches everything). The alert id is
 * "<appeal id>:<seq>", the same for every copy, so a receiver can drop duplicates; a delivery
 * is one alert to one subscription, "<alert id>|<subscription name>". */
#ifndef GRIDLINE_ALERT_H
#define GRIDLINE_ALERT_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "event.h"
#include "region.h"

bool alert_worthy(const Gridline__Event *event);
/* Indexes of matching subscriptions into out; returns how many (at most max). */
size_t alert_match(const config_t *config, const char *region, size_t *out, size_t max);
/* The JSON body POSTed to one subscription; malloc'd, NULL on OOM. */
char *alert_render(const Gridline__Event *event, const region_table_t *regions,
                   const config_subscription_t *subscription);

#endif
