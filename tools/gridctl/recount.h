/* recount: gridctl recount: the aggregator's counters and the county gauges computed again
 * from the stored appeals (their histories, events:{C}:<id>, found through the county's index
 * index:{C}:created), compared with what Redis holds, every difference reported.
 *
 * Every appeal of each county the region covers is read (an event on a day of the span may
 * belong to an appeal created long before it). The counters compared are those of regions
 * under the prefix, of the days from..to and the months they touch (all when no span is
 * given); the gauges (gauge:{C}, open:{C}) when the region is a county or above. Run it when
 * the system is quiet: an event in flight shows as a difference. */
#ifndef GRIDLINE_RECOUNT_H
#define GRIDLINE_RECOUNT_H

#include <stdio.h>

#include "rconn.h"
#include "region.h"

typedef struct {
    long long counties, appeals, events, keys, fields, differences;
} recount_result_t;

/* from/to: YYYYMMDD or NULL (no bound). Differences are printed to out, one a line. 0, or -1
 * (Redis down, a history that cannot be read: said on out). */
int recount_run(rconn_t *redis, const region_table_t *regions, const char *region, const char *from,
                const char *to, FILE *out, recount_result_t *result);

#endif
