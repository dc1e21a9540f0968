/* counts: reading the counters back (docs/aggregator.md): sums of stats:{C}:<period>:<region>
 * over the periods of a span of days and over the counties beneath a region, the county
 * gauges, and what the API shows of a sum (groups, escalations, rates, durations).
 *
 * A span of local days is read as whole months from the counties' monthly roll-ups and the rest
 * as days, so a province-wide year is 12 x 108 hashes; below a county, day by day. All reads of one
 * call go in one round trip. */
#ifndef GRIDLINE_COUNTS_H
#define GRIDLINE_COUNTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "rconn.h"
#include "region.h"

/* At most this many days in a span (three years and a day). */
#define COUNTS_MAX_DAYS 1097

/* 0 if day is a real local date YYYYMMDD. */
int counts_day_check(const char *day);
/* The periods that cover from..to (inclusive days): "YYYYMM" for a whole month, else
 * "YYYYMMDD". Returns how many (at most max), -1 if from/to are not real days or from > to or
 * the span is longer than COUNTS_MAX_DAYS. */
int counts_periods(const char *from, const char *to, char (*out)[9], size_t max);
/* Every day of from..to into out (at most max); how many, -1 as above. */
int counts_days(const char *from, const char *to, char (*out)[9], size_t max);

/* Appends the reads of region (any level; above a county: each county beneath) over the
 * periods; *reads is how many replies to collect with counts_collect. 0, -1 (Redis down,
 * out of memory). */
int counts_append(rconn_t *redis, const region_table_t *regions, const char *region,
                  char (*periods)[9], size_t nperiods, size_t *reads);
/* Reads `reads` replies and adds every field into sums (a JSON object field -> integer). 0, or
 * -1 (Redis down). */
int counts_collect(rconn_t *redis, size_t reads, json_t *sums);

/* The county gauges of region (a county or above: summed over its counties), added into now:
 * {"by_status":{..},"by_level":{..},"open":N,"overdue":N}. Below a county: nothing (0). 0, -1. */
int counts_now(rconn_t *redis, const region_table_t *regions, const char *region, int64_t now_ms,
               json_t *now);

/* The county gauges of every county as Prometheus families (gridline_appeals_now by county
 * and status, gridline_appeals_open by county and level, gridline_appeals_overdue by county),
 * counties with no appeal left out: region labels stop at the county (bounded). Malloc'd text,
 * NULL when Redis failed. */
char *counts_metrics(rconn_t *redis, const region_table_t *regions, int64_t now_ms);

/* Into out: appeals, by_channel, by_category, by_level, by_event, escalations, rates,
 * durations, from sums. */
void counts_render(json_t *out, const json_t *sums);
/* {"num":N,"den":D,"value":V|null} */
json_t *counts_rate(long long num, long long den);
/* The rates alone ({"response":..,"resolution":..,"satisfaction":..,"on_time":..}). */
json_t *counts_rates(const json_t *sums);
/* The median and p90 (seconds, the bucket's upper bound; null past the last bound) of the
 * duration buckets with prefix ("dack:" or "dres:"): {"count":N,"median_s":..,"p90_s":..}. */
json_t *counts_durations(const json_t *sums, const char *prefix);

#endif
