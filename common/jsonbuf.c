#include "jsonbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

void jsonbuf_init(jsonbuf_t *self)
{
    memset(self, 0, sizeof *self);
}

void jsonbuf_release(jsonbuf_t *self)
{
    free(self->data);
    memset(self, 0, sizeof *self);
}

static bool s_reserve(jsonbuf_t *self, size_t more)
{
    if (self->failed)
        return false;
    if (self->len + more + 1 <= self->cap)
        return true;
    size_t cap = self->cap ? self->cap : 256;
    while (cap < self->len + more + 1)
        cap *= 2;
    char *data = realloc(self->data, cap);
    if (!data) {
        free(self->data);
        self->data = NULL;
        self->failed = true;
        return false;
    }
    self->data = data;
    self->cap = cap;
    return true;
}

void jsonbuf_appendn(jsonbuf_t *self, const char *text, size_t len)
{
    if (!s_reserve(self, len))
        return;
    memcpy(self->data + self->len, text, len);
    self->len += len;
    self->data[self->len] = '\0';
}

void jsonbuf_append(jsonbuf_t *self, const char *text)
{
    jsonbuf_appendn(self, text, strlen(text));
}

void jsonbuf_appendf(jsonbuf_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !s_reserve(self, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(self->data + self->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    self->len += (size_t)n;
}

void jsonbuf_string(jsonbuf_t *self, const char *text)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)text;
    size_t len = strlen(text);
    jsonbuf_append(self, "\"");
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        if (c >= 0x80) {
            size_t n = utf8_sequence_length(p + i, len - i);
            if (n == 0) {
                jsonbuf_append(self, "\xEF\xBF\xBD"); /* U+FFFD */
                i++;
            } else {
                jsonbuf_appendn(self, (const char *)p + i, n);
                i += n;
            }
            continue;
        }
        switch (c) {
        case '"':
            jsonbuf_append(self, "\\\"");
            break;
        case '\\':
            jsonbuf_append(self, "\\\\");
            break;
        case '\n':
            jsonbuf_append(self, "\\n");
            break;
        case '\r':
            jsonbuf_append(self, "\\r");
            break;
        case '\t':
            jsonbuf_append(self, "\\t");
            break;
        default:
            if (c < 0x20) {
                char esc[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
                jsonbuf_append(self, esc);
            } else {
                jsonbuf_appendn(self, (const char *)&c, 1);
            }
        }
        i++;
    }
    jsonbuf_append(self, "\"");
}

void jsonbuf_kv(jsonbuf_t *self, const char *key, const char *value)
{
    jsonbuf_string(self, key);
    jsonbuf_append(self, ":");
    jsonbuf_string(self, value);
}

char *jsonbuf_take(jsonbuf_t *self, size_t *len)
{
    char *data = self->data;
    if (len)
        *len = self->len;
    memset(self, 0, sizeof *self);
    return data;
}
