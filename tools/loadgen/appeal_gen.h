/* appeal_gen: realistic appeals (诉求) for demo traffic and benchmarks, as intake request bodies.
 *
 *   {"channel":"hotline","region":"150123100201","category":"heating","title":"暖气不热",
 *    "description":"市民来电反映：家里暖气不热，室温只有12度…","reporter":"138****1234",
 *    "location":{"lat":40.38,"lon":111.82,"address":"和林格尔县城关镇昭君道社区3号楼2单元"},
 *    "external_id":"12345-20261124-42-0007"}
 *
 * The region is a village of the regions CSV (code,level,parent,name; header first) whose code
 * starts with the prefix; about one in four gets a grid suffix 01..04. Channels and categories
 * are weighted (the 12345 hotline most common), texts are short Chinese complaints of the
 * category, the address names the county, township and village. Only hotline appeals carry an
 * external_id: 12345-<day>-<seed>-<n>. The seed is in it so that two runs on one day (the demo
 * restarted, say) do not reuse ids the intake would refuse as duplicates (409).
 *
 * Deterministic: the same CSV, prefix, seed and day give the same bodies in the same order
 * (a private splitmix64 generator; nothing reads the clock or rand()). */
#ifndef GRIDLINE_APPEAL_GEN_H
#define GRIDLINE_APPEAL_GEN_H

#include <stddef.h>
#include <stdint.h>

typedef struct appeal_gen appeal_gen_t;

/* Loads the villages under prefix (1..12 digits) with common/region.h's region_table_load, so
 * exactly the files the intake accepts. NULL, with the reason in err (file and line), if the file
 * cannot be read or is refused, or has no village under prefix. */
appeal_gen_t *appeal_gen_new(const char *regions_path, const char *prefix, uint64_t seed, char *err,
                             size_t errlen);
void appeal_gen_destroy(appeal_gen_t **self_p);

/* Villages that can be drawn. */
size_t appeal_gen_village_count(const appeal_gen_t *self);
/* The day in hotline external ids, "YYYYMMDD" (default: today in China Standard Time). */
void appeal_gen_set_day(appeal_gen_t *self, const char *day);
/* The next appeal's JSON body, NUL-terminated, malloc'd: the caller frees it. len (if not NULL)
 * gets its length. NULL if out of memory. */
char *appeal_gen_next(appeal_gen_t *self, size_t *len);

#endif
