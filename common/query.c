#include "query.h"

#include <ctype.h>
#include <stdlib.h>

int query_region(const region_table_t *regions, const http_request_t *req, http_response_t *res,
                 const char *fallback, const char **region, const region_t **known)
{
    const char *arg = http_request_arg(req, "region");
    *region = arg && *arg ? arg : fallback;
    int level = region_query(regions, *region, known);
    if (level < 0) {
        bool invalid = level == REGION_QUERY_INVALID;
        http_response_error(res, invalid ? 400 : 404, invalid ? "invalid" : "unknown_region",
                            "region", "region '%.20s' is not a known division code", *region);
        return -1;
    }
    return level;
}

int query_limit(const http_request_t *req, http_response_t *res, long def, long max, long *limit)
{
    const char *arg = http_request_arg(req, "limit");
    char *end = NULL;
    *limit = arg ? strtol(arg, &end, 10) : def;
    if ((arg && (!isdigit((unsigned char)*arg) || *end)) || *limit < 1 || *limit > max) {
        http_response_error(res, 400, "invalid", "limit", "limit must be 1..%ld", max);
        return -1;
    }
    return 0;
}
