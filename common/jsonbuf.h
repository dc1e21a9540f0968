/* jsonbuf: a growable byte buffer with JSON string escaping.
 * Used where building a jansson tree would cost more than the text (log lines, hot replies).
 * On allocation failure the buffer turns "failed" (data == NULL) and later appends do nothing. */
#ifndef GRIDLINE_JSONBUF_H
#define GRIDLINE_JSONBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *data; /* NUL-terminated while not failed */
    size_t len;
    size_t cap;
    bool failed;
} jsonbuf_t;

void jsonbuf_init(jsonbuf_t *self);
void jsonbuf_release(jsonbuf_t *self);
/* Raw text. */
void jsonbuf_append(jsonbuf_t *self, const char *text);
void jsonbuf_appendn(jsonbuf_t *self, const char *text, size_t len);
void jsonbuf_appendf(jsonbuf_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A quoted, escaped JSON string. Bytes that are not valid UTF-8 become U+FFFD. */
void jsonbuf_string(jsonbuf_t *self, const char *text);
/* "key":"value" */
void jsonbuf_kv(jsonbuf_t *self, const char *key, const char *value);
/* Hands the buffer to the caller (free() it); the jsonbuf is left empty. */
char *jsonbuf_take(jsonbuf_t *self, size_t *len);

#endif
