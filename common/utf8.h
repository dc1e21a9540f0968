/* utf8: strict UTF-8 validation (RFC 3629: no overlongs, no surrogates, <= U+10FFFF). */
#ifndef GRIDLINE_UTF8_H
#define GRIDLINE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length (1-4) of the valid sequence at p, or 0 if the bytes there are not valid UTF-8. */
size_t utf8_sequence_length(const unsigned char *p, size_t avail);
/* true if all len bytes are valid UTF-8 and contain no NUL. */
bool utf8_valid(const char *text, size_t len);
/* Number of code points in a valid UTF-8 string. */
size_t utf8_count(const char *text);

#endif
