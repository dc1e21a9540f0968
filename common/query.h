/* query: the query arguments several APIs share (?region=, ?limit=), checked, with the same
 * answers everywhere: 400 invalid / 404 unknown_region naming the argument. */
#ifndef GRIDLINE_QUERY_H
#define GRIDLINE_QUERY_H

#include "httpd.h"
#include "region.h"

/* ?region= (fallback when missing or empty) into *region: a known division code. Its level
 * (region.h; *known set), or -1 when answered (400 not a code of a level's length, 404 unknown). */
int query_region(const region_table_t *regions, const http_request_t *req, http_response_t *res,
                 const char *fallback, const char **region, const region_t **known);
/* ?limit= into *limit: def when missing, else 1..max. 0, or -1 when answered (400). */
int query_limit(const http_request_t *req, http_response_t *res, long def, long max, long *limit);

#endif
