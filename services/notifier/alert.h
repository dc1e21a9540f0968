/* alert: what an alert says.
 *
 * Which events alert whom is the subscriptions' (subscription_matches). The alert id is
 * "<appeal id>:<seq>", the same for every copy, so a receiver can drop duplicates; a delivery
 * is one alert to one subscription, "<alert id>|<subscription id>". */
#ifndef GRIDLINE_ALERT_H
#define GRIDLINE_ALERT_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "event.h"
#include "region.h"
#include "subscription.h"

/* The JSON body POSTed to one subscription; malloc'd, NULL on OOM. subscription NULL: the alert
 * as the live stream carries it (no "subscription", no "role"). */
char *alert_render(const Gridline__Event *event, const region_table_t *regions,
                   const subscription_t *subscription);

#endif
