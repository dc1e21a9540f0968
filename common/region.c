#include "region.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

/* All rows in one array; strings in one arena; an open-addressing index on the code; and a
 * code-sorted array of pointers per level for prefix ranges. */
struct region_table {
    region_t *rows;
    size_t count;
    char *arena;
    size_t arena_len, arena_cap;
    size_t *slots; /* index + 1 into rows; 0 = empty */
    size_t slot_mask;
    const region_t **by_level[REGION_GRID + 1];
    size_t level_count[REGION_GRID + 1];
};

static const char *s_level_names[] = {"",         "province", "city", "county",
                                      "township", "village",  "grid"};
static const int s_level_digits[] = {0, 2, 4, 6, 9, 12, 14};

const char *region_level_name(region_level_t level)
{
    return level >= REGION_PROVINCE && level <= REGION_GRID ? s_level_names[level] : "unknown";
}

int region_level_of_length(size_t digits)
{
    for (int l = REGION_PROVINCE; l <= REGION_GRID; l++)
        if ((size_t)s_level_digits[l] == digits)
            return l;
    return -1;
}

static bool s_digits(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isdigit((unsigned char)text[i]))
            return false;
    return len > 0;
}

const region_t *region_lookup(const region_table_t *self, const char *code)
{
    if (!self || !code)
        return NULL;
    for (size_t i = hash_fnv1a64_str(code) & self->slot_mask;; i = (i + 1) & self->slot_mask) {
        size_t slot = self->slots[i];
        if (!slot)
            return NULL;
        if (strcmp(self->rows[slot - 1].code, code) == 0)
            return &self->rows[slot - 1];
    }
}

void region_table_destroy(region_table_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    region_table_t *self = *self_p;
    for (int l = 0; l <= REGION_GRID; l++)
        free(self->by_level[l]);
    free(self->slots);
    free(self->rows);
    free(self->arena);
    free(self);
    *self_p = NULL;
}

static int s_cmp_code(const void *a, const void *b)
{
    return strcmp((*(const region_t *const *)a)->code, (*(const region_t *const *)b)->code);
}

/* Splits a CSV line of four unquoted fields in place. */
static int s_split(char *line, char *fields[4])
{
    int n = 0;
    fields[n++] = line;
    for (char *p = line; *p; p++) {
        if (*p == ',') {
            if (n == 4)
                return -1;
            *p = '\0';
            fields[n++] = p + 1;
        }
    }
    return n == 4 ? 0 : -1;
}

region_table_t *region_table_load(const char *path, char *err, size_t errlen)
{
    FILE *file = fopen(path, "r");
    if (!file) {
        snprintf(err, errlen, "%s: %m", path);
        return NULL;
    }
    region_table_t *self = calloc(1, sizeof *self);
    char *line = NULL;
    size_t cap = 0, lineno = 0, rows_cap = 0;
    ssize_t len;
    /* parents are resolved after loading: store the parent code's arena offset meanwhile */
    size_t *parent_offsets = NULL;
    int rc = -1;
    if (!self)
        goto done;
    while ((len = getline(&line, &cap, file)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        char *text = line;
        if (lineno == 1 && strncmp(text, "\xEF\xBB\xBF", 3) == 0)
            text += 3;
        if (lineno == 1) {
            if (strcmp(text, "code,level,parent,name") != 0) {
                snprintf(err, errlen, "%s:1: header must be 'code,level,parent,name'", path);
                goto done;
            }
            continue;
        }
        if (*text == '\0')
            continue;
        char *f[4];
        if (s_split(text, f) != 0) {
            snprintf(err, errlen, "%s:%zu: expected 4 fields: code,level,parent,name", path,
                     lineno);
            goto done;
        }
        int level = -1;
        for (int l = REGION_PROVINCE; l <= REGION_VILLAGE; l++)
            if (strcmp(f[1], s_level_names[l]) == 0)
                level = l;
        size_t code_len = strlen(f[0]);
        if (level < 0) {
            snprintf(err, errlen, "%s:%zu: bad level '%.20s'", path, lineno, f[1]);
            goto done;
        }
        if (!s_digits(f[0], code_len) || code_len != (size_t)s_level_digits[level]) {
            snprintf(err, errlen, "%s:%zu: code '%.20s' is not %d digits for a %s", path, lineno,
                     f[0], s_level_digits[level], f[1]);
            goto done;
        }
        size_t parent_len = strlen(f[2]);
        if ((level == REGION_PROVINCE) != (parent_len == 0) ||
            (parent_len && (parent_len >= code_len || strncmp(f[2], f[0], parent_len) != 0))) {
            snprintf(err, errlen, "%s:%zu: parent '%.20s' is not a prefix of code '%s'", path,
                     lineno, f[2], f[0]);
            goto done;
        }
        if (*f[3] == '\0') {
            snprintf(err, errlen, "%s:%zu: empty name", path, lineno);
            goto done;
        }
        if (self->count == rows_cap) {
            rows_cap = rows_cap ? rows_cap * 2 : 1024;
            region_t *rows = realloc(self->rows, rows_cap * sizeof *rows);
            size_t *po = realloc(parent_offsets, rows_cap * sizeof *po);
            if (rows)
                self->rows = rows;
            if (po)
                parent_offsets = po;
            if (!rows || !po) {
                snprintf(err, errlen, "out of memory");
                goto done;
            }
        }
        /* Arena offsets, not pointers: the arena may move while it grows. */
        size_t need = code_len + parent_len + strlen(f[3]) + 3;
        if (self->arena_len + need > self->arena_cap) {
            size_t acap = self->arena_cap ? self->arena_cap * 2 : 1 << 19;
            while (acap < self->arena_len + need)
                acap *= 2;
            char *arena = realloc(self->arena, acap);
            if (!arena) {
                snprintf(err, errlen, "out of memory");
                goto done;
            }
            self->arena = arena;
            self->arena_cap = acap;
        }
        region_t *r = &self->rows[self->count];
        size_t at = self->arena_len;
        r->code = (const char *)(uintptr_t)at;
        memcpy(self->arena + at, f[0], code_len + 1);
        at += code_len + 1;
        parent_offsets[self->count] = at;
        memcpy(self->arena + at, f[2], parent_len + 1);
        at += parent_len + 1;
        r->name = (const char *)(uintptr_t)at;
        memcpy(self->arena + at, f[3], strlen(f[3]) + 1);
        at += strlen(f[3]) + 1;
        self->arena_len = at;
        r->level = (region_level_t)level;
        r->parent = NULL;
        self->count++;
    }
    /* Offsets become pointers; then the index. */
    for (size_t i = 0; i < self->count; i++) {
        self->rows[i].code = self->arena + (uintptr_t)self->rows[i].code;
        self->rows[i].name = self->arena + (uintptr_t)self->rows[i].name;
    }
    size_t slots = 1;
    while (slots < self->count * 2)
        slots <<= 1;
    self->slots = calloc(slots, sizeof *self->slots);
    if (!self->slots) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    self->slot_mask = slots - 1;
    for (size_t i = 0; i < self->count; i++) {
        const char *code = self->rows[i].code;
        size_t j = hash_fnv1a64_str(code) & self->slot_mask;
        for (; self->slots[j]; j = (j + 1) & self->slot_mask) {
            if (strcmp(self->rows[self->slots[j] - 1].code, code) == 0) {
                snprintf(err, errlen, "%s: duplicate code %s", path, code);
                goto done;
            }
        }
        self->slots[j] = i + 1;
        self->level_count[self->rows[i].level]++;
    }
    for (size_t i = 0; i < self->count; i++) {
        const char *parent = self->arena + parent_offsets[i];
        if (!*parent)
            continue;
        self->rows[i].parent = region_lookup(self, parent);
        if (!self->rows[i].parent) {
            snprintf(err, errlen, "%s: parent %s of %s is missing", path, parent,
                     self->rows[i].code);
            goto done;
        }
    }
    for (int l = REGION_PROVINCE; l <= REGION_VILLAGE; l++) {
        self->by_level[l] = calloc(self->level_count[l] + 1, sizeof(region_t *));
        if (!self->by_level[l]) {
            snprintf(err, errlen, "out of memory");
            goto done;
        }
        self->level_count[l] = 0;
    }
    for (size_t i = 0; i < self->count; i++) {
        region_level_t l = self->rows[i].level;
        self->by_level[l][self->level_count[l]++] = &self->rows[i];
    }
    for (int l = REGION_PROVINCE; l <= REGION_VILLAGE; l++)
        qsort(self->by_level[l], self->level_count[l], sizeof(region_t *), s_cmp_code);
    rc = 0;
done:
    free(line);
    free(parent_offsets);
    fclose(file);
    if (rc != 0)
        region_table_destroy(&self);
    return self;
}

size_t region_table_count(const region_table_t *self)
{
    return self->count;
}

int region_resolve_appeal(const region_table_t *self, const char *code, const region_t **village,
                          const char **why)
{
    const char *reason = NULL;
    size_t len = strlen(code);
    const region_t *found = NULL;
    int level = -1;
    if ((len != 12 && len != 14) || !s_digits(code, len)) {
        reason = "must be 12 or 14 digits";
    } else {
        char base[13];
        memcpy(base, code, 12);
        base[12] = '\0';
        found = region_lookup(self, base);
        if (!found) {
            reason = "unknown region";
        } else if (found->level != REGION_VILLAGE) {
            reason = "not a village or grid code";
        } else if (len == 14 && strcmp(code + 12, "00") == 0) {
            reason = "grid suffix must be 01..99";
        } else {
            level = len == 14 ? REGION_GRID : REGION_VILLAGE;
        }
    }
    if (level < 0) {
        /* a shorter known code names its level, so the user sees what they sent */
        const region_t *other = len < 12 ? region_lookup(self, code) : NULL;
        if (other)
            reason = other->level == REGION_TOWNSHIP ? "not a village or grid code (township)"
                     : other->level == REGION_COUNTY ? "not a village or grid code (county)"
                                                     : "not a village or grid code";
        if (why)
            *why = reason;
        return -1;
    }
    if (village)
        *village = found;
    if (why)
        *why = NULL;
    return level;
}

size_t region_chain(const region_table_t *self, const char *code, const region_t **out, size_t max)
{
    const region_t *village = NULL;
    if (region_resolve_appeal(self, code, &village, NULL) < 0) {
        village = region_lookup(self, code);
        if (!village)
            return 0;
    }
    size_t depth = 0;
    for (const region_t *r = village; r; r = r->parent)
        depth++;
    if (depth > max)
        return 0;
    size_t i = depth;
    for (const region_t *r = village; r; r = r->parent)
        out[--i] = r;
    return depth;
}

const region_t *const *region_counties(const region_table_t *self, size_t *count)
{
    *count = self->level_count[REGION_COUNTY];
    return self->by_level[REGION_COUNTY];
}

size_t region_under(const region_table_t *self, const char *prefix, region_level_t level,
                    const region_t **out, size_t max)
{
    if (level < REGION_PROVINCE || level > REGION_VILLAGE)
        return 0;
    const region_t **list = self->by_level[level];
    size_t n = self->level_count[level], plen = strlen(prefix);
    /* first code >= prefix */
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strncmp(list[mid]->code, prefix, plen) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t total = 0;
    for (size_t i = lo; i < n && strncmp(list[i]->code, prefix, plen) == 0; i++, total++)
        if (total < max)
            out[total] = list[i];
    return total;
}

int region_county_of(const char *code, char out[7])
{
    if (strlen(code) < 6 || !s_digits(code, 6))
        return -1;
    memcpy(out, code, 6);
    out[6] = '\0';
    return 0;
}

int region_query(const region_table_t *self, const char *code, const region_t **known)
{
    size_t len = strlen(code);
    int level = region_level_of_length(len);
    for (size_t i = 0; i < len && level >= 0; i++)
        if (!isdigit((unsigned char)code[i]))
            level = -1;
    *known = NULL;
    if (level < 0)
        return REGION_QUERY_INVALID;
    if (level == REGION_GRID) {
        const char *why = NULL;
        if (region_resolve_appeal(self, code, known, &why) != REGION_GRID)
            *known = NULL;
    } else if (level > 0) {
        *known = region_lookup(self, code);
    }
    return *known ? level : REGION_QUERY_UNKNOWN;
}

size_t region_query_counties(const region_table_t *self, const char *code, const region_t **out,
                             size_t max)
{
    if (strlen(code) >= 6) {
        char county[7];
        snprintf(county, sizeof county, "%.6s", code);
        const region_t *c = region_lookup(self, county);
        if (c && max)
            out[0] = c;
        return c ? 1 : 0;
    }
    return region_under(self, code, REGION_COUNTY, out, max);
}
