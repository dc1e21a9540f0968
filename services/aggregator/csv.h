/* csv: a CSV body as docs/aggregator.md wants it (GET /v1/stats.csv, GET /v1/rankings.csv):
 * UTF-8 starting with a BOM (EF BB BF), RFC 4180 quoting (a cell with a comma, a double quote,
 * CR or LF is quoted, its quotes doubled), CRLF after every row.
 * On allocation failure the buffer turns "failed": later rows do nothing and csv_data is NULL. */
#ifndef GRIDLINE_CSV_H
#define GRIDLINE_CSV_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct csv csv_t;

/* An empty body: the BOM only. NULL on OOM. */
csv_t *csv_new(void);
/* Frees the buffer; *self_p = NULL. NULL or *self_p NULL: nothing. */
void csv_destroy(csv_t **self_p);
/* One row of n cells (a NULL cell is empty). 0, or -1 if the buffer failed. */
int csv_row(csv_t *self, const char *const *cells, size_t n);
/* The bytes (NUL-terminated, the BOM included), or NULL if the buffer failed. */
const char *csv_data(const csv_t *self);
/* How many bytes csv_data has (without the NUL); 0 if failed. */
size_t csv_len(const csv_t *self);
bool csv_failed(const csv_t *self);

/* rankings.csv from ranking_build's (or ranking_answer's) object: a header row "rank, region,
 * name, value, num, den, appeals, flag", then a row per ranked unit, then one per unranked unit
 * with an empty rank (and empty value, num, den, flag when the unit has none). Reals are printed
 * short (0.6667). A new csv_t, or NULL on OOM. */
csv_t *csv_rankings(const json_t *rankings);

#endif
