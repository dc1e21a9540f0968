/* contact: a resident's name, phone and email, read from what a channel sent and masked for
 * readers whose token may not see contacts.
 *
 *   contact_parse("张三 13812345678")  name "张三", phone "13812345678"
 *   phones: digits only, "+86" kept when given ("+86 138-1234-5678" -> "+8613812345678")
 *   masks:  "13812345678" -> "138****5678", "张三" -> "张*", "zhang@example.com" ->
 * "z***@example.com" Text buffers are CONTACT_MAX bytes. */
#ifndef GRIDLINE_CONTACT_H
#define GRIDLINE_CONTACT_H

#include <stddef.h>

#define CONTACT_MAX 256

/* Splits a plain string: the first run of 7 or more digits (with separators - and spaces, and
 * a leading +86) is the phone, the rest (trimmed) the name. */
void contact_parse(const char *text, char *name, char *phone);
/* 0 with the normalised phone in out, or -1 if text is not 7..15 digits (+86 optional). */
int contact_phone(const char *text, char *out);
void contact_mask_phone(const char *phone, char *out);
void contact_mask_name(const char *name, char *out);
void contact_mask_email(const char *email, char *out);
/* text with every run of 7 or more digits masked like a phone; malloc'd (NULL on OOM). */
char *contact_mask_digits(const char *text);

#endif
