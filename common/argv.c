#include "argv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void argv_init(argv_t *self)
{
    memset(self, 0, sizeof *self);
}

void argv_reset(argv_t *self)
{
    for (size_t i = 0; i < self->owned_count; i++)
        free(self->owned[i]);
    self->owned_count = 0;
    self->count = 0;
    self->failed = 0;
}

void argv_fini(argv_t *self)
{
    argv_reset(self);
    free(self->args);
    free(self->lens);
    free(self->owned);
    memset(self, 0, sizeof *self);
}

static int s_grow(argv_t *self)
{
    if (self->count < self->cap)
        return 0;
    size_t cap = self->cap ? 2 * self->cap : 32;
    const char **args = realloc(self->args, cap * sizeof *args);
    if (!args)
        return -1;
    self->args = args;
    size_t *lens = realloc(self->lens, cap * sizeof *lens);
    if (!lens)
        return -1;
    self->lens = lens;
    self->cap = cap;
    return 0;
}

size_t argv_addn(argv_t *self, const void *data, size_t len)
{
    if (s_grow(self) != 0) {
        self->failed = 1;
        return self->count;
    }
    self->args[self->count] = data;
    self->lens[self->count] = len;
    return self->count++;
}

size_t argv_add(argv_t *self, const char *text)
{
    return argv_addn(self, text, strlen(text));
}

static char *s_keep(argv_t *self, char *copy)
{
    if (!copy)
        return NULL;
    if (self->owned_count == self->owned_cap) {
        size_t cap = self->owned_cap ? 2 * self->owned_cap : 16;
        char **owned = realloc(self->owned, cap * sizeof *owned);
        if (!owned) {
            free(copy);
            return NULL;
        }
        self->owned = owned;
        self->owned_cap = cap;
    }
    self->owned[self->owned_count++] = copy;
    return copy;
}

size_t argv_add_copy(argv_t *self, const void *data, size_t len)
{
    char *copy = s_keep(self, malloc(len + 1));
    if (!copy) {
        self->failed = 1;
        return self->count;
    }
    memcpy(copy, data, len);
    copy[len] = '\0';
    return argv_addn(self, copy, len);
}

size_t argv_addf(argv_t *self, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof buf) {
        self->failed = 1;
        return self->count;
    }
    return argv_add_copy(self, buf, (size_t)n);
}

size_t argv_add_int(argv_t *self, long long value)
{
    return argv_addf(self, "%lld", value);
}
