/* region: the administrative divisions (data/regions-nmg.csv), looked up in O(1).
 *
 * Codes are hierarchical by prefix: province 2 digits, city 4, county 6, township 9,
 * village/community 12; a grid (not in the file) is a village code + 2 digits 01..99. */
#ifndef GRIDLINE_REGION_H
#define GRIDLINE_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    REGION_PROVINCE = 1,
    REGION_CITY,
    REGION_COUNTY,
    REGION_TOWNSHIP,
    REGION_VILLAGE,
    REGION_GRID
} region_level_t;

typedef struct region {
    const char *code;
    const char *name;
    const struct region *parent; /* NULL for the province */
    region_level_t level;
} region_t;

typedef struct region_table region_table_t;

/* Loads the CSV (code,level,parent,name). NULL with a reason in err naming path and line. */
region_table_t *region_table_load(const char *path, char *err, size_t errlen);
void region_table_destroy(region_table_t **self_p);
size_t region_table_count(const region_table_t *self);
/* Exact lookup, O(1); NULL if absent. Does not resolve grids. */
const region_t *region_lookup(const region_table_t *self, const char *code);
/* What an appeal may carry: a village code, or one + a grid suffix 01..99. Returns
 * REGION_VILLAGE or REGION_GRID and sets *village; -1 with a reason in *why otherwise. */
int region_resolve_appeal(const region_table_t *self, const char *code, const region_t **village,
                          const char **why);
/* Province down to the village of a village or grid code (or down to any known code). */
size_t region_chain(const region_table_t *self, const char *code, const region_t **out, size_t max);
/* Every county, sorted by code; owned by the table. */
const region_t *const *region_counties(const region_table_t *self, size_t *count);
/* Regions of level under prefix, sorted by code; at most max stored, the total returned. */
size_t region_under(const region_table_t *self, const char *prefix, region_level_t level,
                    const region_t **out, size_t max);
const char *region_level_name(region_level_t level);
int region_level_of_length(size_t digits);
int region_county_of(const char *code, char out[7]);
/* A region given in a query (?region=): digits of a level's length naming a known division
 * (or a grid of a known village). Its level (*known set), REGION_QUERY_INVALID (not digits of
 * a level's length), or REGION_QUERY_UNKNOWN (no such division). */
#define REGION_QUERY_INVALID (-1)
#define REGION_QUERY_UNKNOWN (-2)
int region_query(const region_table_t *self, const char *code, const region_t **known);
/* The counties a known region of the query covers into out (at most max; the county itself at
 * or below a county). Returns how many. */
size_t region_query_counties(const region_table_t *self, const char *code, const region_t **out,
                             size_t max);

#endif
