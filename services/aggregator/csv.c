#include "csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct csv {
    char *data; /* NUL-terminated while not failed */
    size_t len;
    size_t cap;
    bool failed;
};

static const char s_bom[] = "\xEF\xBB\xBF";

static void s_append(csv_t *self, const char *bytes, size_t n)
{
    if (self->failed)
        return;
    if (self->len + n + 1 > self->cap) {
        size_t cap = self->cap ? self->cap : 256;
        while (self->len + n + 1 > cap)
            cap *= 2;
        char *data = realloc(self->data, cap);
        if (!data) {
            free(self->data);
            self->data = NULL;
            self->len = self->cap = 0;
            self->failed = true;
            return;
        }
        self->data = data;
        self->cap = cap;
    }
    memcpy(self->data + self->len, bytes, n);
    self->len += n;
    self->data[self->len] = '\0';
}

csv_t *csv_new(void)
{
    csv_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    s_append(self, s_bom, sizeof s_bom - 1);
    if (self->failed)
        csv_destroy(&self);
    return self;
}

void csv_destroy(csv_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->data);
    free(*self_p);
    *self_p = NULL;
}

static void s_cell(csv_t *self, const char *cell)
{
    if (!cell)
        return;
    if (!strpbrk(cell, ",\"\r\n")) {
        s_append(self, cell, strlen(cell));
        return;
    }
    s_append(self, "\"", 1);
    for (const char *p = cell; *p;) {
        const char *quote = strchr(p, '"');
        size_t n = quote ? (size_t)(quote - p) + 1 : strlen(p);
        s_append(self, p, n);
        if (quote)
            s_append(self, "\"", 1); /* the quote once more */
        p += n;
    }
    s_append(self, "\"", 1);
}

int csv_row(csv_t *self, const char *const *cells, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            s_append(self, ",", 1);
        s_cell(self, cells[i]);
    }
    s_append(self, "\r\n", 2);
    return self->failed ? -1 : 0;
}

const char *csv_data(const csv_t *self)
{
    return self->failed ? NULL : self->data;
}

size_t csv_len(const csv_t *self)
{
    return self->failed ? 0 : self->len;
}

bool csv_failed(const csv_t *self)
{
    return self->failed;
}

/* A JSON scalar as a cell: strings as they are, integers, reals short; anything else empty. */
static const char *s_text(const json_t *v, char buf[32])
{
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v))
        snprintf(buf, 32, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, 32, "%.15g", json_real_value(v));
    else
        buf[0] = '\0';
    return buf;
}

static const char *const s_columns[] = {"rank", "region", "name",    "value",
                                        "num",  "den",    "appeals", "flag"};
#define S_COLUMNS (sizeof s_columns / sizeof s_columns[0])

static void s_unit_row(csv_t *self, const json_t *unit)
{
    char bufs[S_COLUMNS][32];
    const char *cells[S_COLUMNS];
    for (size_t c = 0; c < S_COLUMNS; c++)
        cells[c] = s_text(json_object_get(unit, s_columns[c]), bufs[c]);
    csv_row(self, cells, S_COLUMNS);
}

csv_t *csv_rankings(const json_t *rankings)
{
    csv_t *self = csv_new();
    if (!self)
        return NULL;
    csv_row(self, s_columns, S_COLUMNS);
    size_t i;
    const json_t *unit;
    json_array_foreach(json_object_get(rankings, "ranked"), i, unit)
    {
        s_unit_row(self, unit);
    }
    json_array_foreach(json_object_get(rankings, "unranked"), i, unit)
    {
        s_unit_row(self, unit);
    }
    if (self->failed)
        csv_destroy(&self);
    return self;
}
