/* argv: the arguments of one Redis command or script call, built up one by one.
 *
 * Strings added with argv_add are borrowed (they must outlive the call); argv_addf and
 * argv_addn_copy copy into storage the argv owns. Arrays grow as needed: a call is sized by
 * its arguments, not by a fixed cap. argv_reset keeps the storage for the next call. */
#ifndef GRIDLINE_ARGV_H
#define GRIDLINE_ARGV_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char **args;
    size_t *lens;
    size_t count, cap;
    char **owned; /* copies made by argv_addf / argv_add_copy */
    size_t owned_count, owned_cap;
    int failed; /* an allocation failed: the call must not be made */
} argv_t;

void argv_init(argv_t *self);
void argv_fini(argv_t *self);
void argv_reset(argv_t *self);
/* Each returns the index of the argument added (so a count can be filled in later). */
size_t argv_add(argv_t *self, const char *text);
size_t argv_addn(argv_t *self, const void *data, size_t len);
size_t argv_add_copy(argv_t *self, const void *data, size_t len);
size_t argv_addf(argv_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
size_t argv_add_int(argv_t *self, long long value);

#endif
