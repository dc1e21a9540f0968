/* listing: GET /v1/appeals, a work queue as much as a search, newest first.
 *
 *   ?region=PREFIX (default the province; a prefix shorter than a county fans out over its
 *   counties) &status= &level= &channel= &category= &assignee= &department= &overdue=true|false
 *   &from= &to= (RFC 3339, on the creation time) &limit= (default 50, at most 500) &cursor=
 * -> {"appeals":[...], "next_cursor": "<created ms>:<id>" | null}
 *
 * From the per-county index index:{C}:created (id -> created ms, written with the appeal).
 * Each page reads at most limit candidates per county, merges them newest first, and filters
 * them on the appeals' fields: with selective filters a page may hold fewer than limit appeals
 * and still a next_cursor; follow it until null. The reporter is masked unless the token may
 * see contacts; the token's region bounds what is listed. */
#ifndef GRIDLINE_LISTING_H
#define GRIDLINE_LISTING_H

#include <stdint.h>

#include "auth.h"
#include "httpd.h"
#include "rconn.h"
#include "region.h"

/* An appeal of an index: its creation time and id. */
typedef struct {
    int64_t ms;
    const char *id;
} listing_candidate_t;
/* qsort order of candidates: newest first, then by id, descending. */
int listing_newest_first(const void *x, const void *y);

void listing_get(rconn_t *redis, const region_table_t *regions, const auth_token_t *token,
                 const http_request_t *req, http_response_t *res);

#endif
