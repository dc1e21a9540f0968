/* stats: GET /v1/stats (JSON) and GET /v1/stats.csv: the counters of a region over a day or a
 * span of days, its gauges now, and per day or per child region (docs/aggregator.md).
 *
 *   ?region=PREFIX (default 15) [&day=YYYYMMDD | &from=YYYYMMDD&to=YYYYMMDD] [&by=day|child]
 * A missing day or span is today; from alone runs to today; to alone is that one day. */
#ifndef GRIDLINE_STATS_H
#define GRIDLINE_STATS_H

#include "config.h"
#include "httpd.h"
#include "rconn.h"
#include "region.h"

/* The span of a request: from/to (inclusive days) from day, from, to or today. 0, else answered
 * (400 naming the argument) and -1. single is set when the request named one day (or none). */
int stats_span(const http_request_t *req, http_response_t *res, char from[9], char to[9],
               bool *single);
void stats_get(const region_table_t *regions, rconn_t *redis, const http_request_t *req,
               http_response_t *res);
void stats_csv(const region_table_t *regions, rconn_t *redis, const http_request_t *req,
               http_response_t *res);
/* GET /v1/rankings (JSON) and /v1/rankings.csv: the children of a region at child_level
 * (township or village) ranked by a metric over a period (ranking.h does the ranking). */
void stats_rankings(const config_t *config, const region_table_t *regions, rconn_t *redis,
                    const http_request_t *req, http_response_t *res, bool csv);

#endif
