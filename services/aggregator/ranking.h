/* ranking: the units of one level ranked by one metric (GET /v1/rankings, docs/aggregator.md).
 *
 * Pure: the caller reads the counts (Redis) and gets back the "ranked", "unranked" and
 * "lagging" members of the answer. A unit's value is num/den for a rate metric (none when den is
 * 0: the unit is unranked), and num itself for overdue and appeals (den ignored).
 *   - rates and appeals sort high to low, overdue low to high; equal values share a rank
 *     (1, 2, 2, 4) and are listed by region code.
 *   - red_flag: the units ranked within the top `flags` ranks; snail: within the bottom `flags`
 *     (counted from the bottom the same way, so a tie across a boundary flags every tied unit).
 *     With fewer than 2 x flags ranked units, flags becomes half of them (rounded down): the odd
 *     middle unit is unflagged. A unit that would get both (ties) gets none. appeals: no flags.
 *   - unranked: fewer than min_appeals appeals ("fewer than N appeals"), else a rate metric with
 *     den 0 ("no feedback/assignments in the period"); listed by region code.
 *   - lagging: ranked units whose value is below the threshold, in ranked order.
 * Values (and thresholds) are rounded to 4 decimals; counts are integers. jansson prints a real
 * with 17 digits by default (0.6667 as 0.66669999999999996): dump the answer with
 * JSON_REAL_PRECISION(RANKING_REAL_PRECISION). */
#ifndef GRIDLINE_RANKING_H
#define GRIDLINE_RANKING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define RANKING_REAL_PRECISION 15
/* from..to may span at most this many days (3 years, one of them leap). */
#define RANKING_MAX_DAYS 1096

typedef enum {
    RANKING_RESOLUTION_RATE,
    RANKING_RESPONSE_RATE,
    RANKING_SATISFACTION_RATE,
    RANKING_ON_TIME_RATE,
    RANKING_OVERDUE,
    RANKING_APPEALS,
} ranking_metric_t;

typedef struct {
    const char *region; /* division code */
    const char *name;
    long long appeals; /* in the period */
    long long num;     /* rate: numerator; overdue / appeals: the count */
    long long den;     /* rate: denominator; ignored otherwise */
} ranking_unit_t;

typedef struct {
    ranking_metric_t metric;
    int flags;             /* rankings.flags (3); 0: none */
    long long min_appeals; /* rankings.min_appeals (5) */
    bool has_threshold;    /* lagging lists nothing without one */
    double threshold;      /* rankings.threshold.<metric> */
} ranking_options_t;

/* "resolution_rate" ... "appeals" -> the metric, or -1. */
int ranking_metric_parse(const char *text);
/* The metric's name as in the query ("resolution_rate"); "" for anything else. */
const char *ranking_metric_name(ranking_metric_t metric);
/* Whether the metric is a rate (num/den). */
bool ranking_metric_is_rate(ranking_metric_t metric);

/* The defaults: flags 3, min_appeals 5, the default threshold of the metric (none for overdue
 * and appeals). */
void ranking_options_init(ranking_options_t *opt, ranking_metric_t metric);
/* The same from a configuration (rankings.flags, rankings.min_appeals,
 * rankings.threshold.<metric>). */
void ranking_options_from_config(ranking_options_t *opt, ranking_metric_t metric,
                                 const config_t *cfg);

/* {"ranked": [...], "unranked": [...], "lagging": [...]} (a new reference), NULL on OOM. The
 * strings are copied; units is not changed. ranking_answer puts the rest of the answer in
 * front. */
json_t *ranking_build(const ranking_unit_t *units, size_t count, const ranking_options_t *opt);
/* The whole answer of GET /v1/rankings: region, child_level, metric, from, to, then what
 * ranking_build makes. A new reference, NULL on OOM. */
json_t *ranking_answer(const char *region, const char *child_level, const char *from,
                       const char *to, const ranking_unit_t *units, size_t count,
                       const ranking_options_t *opt);

/* "2026-11", "2026-Q4" (or q4), "2026" -> the first and last local day, YYYYMMDD, inclusive.
 * 0, or -1 for anything else (the out-arrays are then "" ). Years 1000..9999. */
int ranking_period_parse(const char *period, char from[9], char to[9]);
/* Whether from and to are real days YYYYMMDD, from <= to, and at most RANKING_MAX_DAYS days
 * (both included). 0, or -1 with *why (may be NULL) saying what is wrong. */
int ranking_range_check(const char *from, const char *to, const char **why);

#endif
