#include "contact.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

int contact_phone(const char *text, char *out)
{
    char digits[CONTACT_MAX];
    size_t n = 0;
    const char *p = text;
    while (*p == ' ')
        p++;
    bool plus = *p == '+';
    if (plus)
        p++;
    for (; *p && n + 1 < sizeof digits; p++) {
        if (isdigit((unsigned char)*p))
            digits[n++] = *p;
        else if (*p != '-' && *p != ' ' && *p != '(' && *p != ')')
            return -1;
    }
    digits[n] = '\0';
    if (plus && strncmp(digits, "86", 2) != 0)
        return -1;
    size_t body = plus ? n - 2 : n;
    if (body < 7 || body > 15)
        return -1;
    snprintf(out, CONTACT_MAX, "%s%s", plus ? "+" : "", digits);
    return 0;
}

/* The first run of 7+ digits (allowing '-' and ' ' between digits, a leading "+86"): its start
 * and end in text, or -1. */
static int s_digit_run(const char *text, size_t *start, size_t *end)
{
    for (size_t i = 0; text[i]; i++) {
        size_t j = i, digits = 0;
        if (text[j] == '+' && text[j + 1] == '8' && text[j + 2] == '6')
            j += 1;
        if (!isdigit((unsigned char)text[j]))
            continue;
        size_t last = j;
        while (text[j] &&
               (isdigit((unsigned char)text[j]) ||
                ((text[j] == '-' || text[j] == ' ') && isdigit((unsigned char)text[j + 1])))) {
            if (isdigit((unsigned char)text[j])) {
                digits++;
                last = j;
            }
            j++;
        }
        if (digits >= 7) {
            *start = i;
            *end = last + 1;
            return 0;
        }
        i = j > i ? j - 1 : i;
    }
    return -1;
}

void contact_parse(const char *text, char *name, char *phone)
{
    size_t start = 0, end = 0;
    name[0] = phone[0] = '\0';
    char rest[CONTACT_MAX];
    if (s_digit_run(text, &start, &end) == 0) {
        char run[CONTACT_MAX];
        snprintf(run, sizeof run, "%.*s", (int)(end - start), text + start);
        if (contact_phone(run, phone) != 0)
            snprintf(phone, CONTACT_MAX, "%s", run);
        snprintf(rest, sizeof rest, "%.*s%s", (int)start, text, text + end);
    } else {
        snprintf(rest, sizeof rest, "%s", text);
    }
    /* trim spaces and the separators people type between a name and a number */
    char *b = rest, *e = rest + strlen(rest);
    while (*b && strchr(" ,;:/", *b))
        b++;
    while (e > b && strchr(" ,;:/", e[-1]))
        e--;
    snprintf(name, CONTACT_MAX, "%.*s", (int)(e - b), b);
}

void contact_mask_phone(const char *phone, char *out)
{
    size_t n = strlen(phone);
    if (n < 7) {
        snprintf(out, CONTACT_MAX, "%s", n ? "****" : "");
        return;
    }
    size_t keep_head = n >= 11 ? n - 8 : 2; /* 13812345678 -> 138, +8613812345678 -> +86138 */
    snprintf(out, CONTACT_MAX, "%.*s****%s", (int)keep_head, phone, phone + n - 4);
}

void contact_mask_name(const char *name, char *out)
{
    if (!*name) {
        out[0] = '\0';
        return;
    }
    size_t first = utf8_sequence_length((const unsigned char *)name, strlen(name));
    first = first ? first : 1;
    snprintf(out, CONTACT_MAX, "%.*s*", (int)first, name);
}

void contact_mask_email(const char *email, char *out)
{
    const char *at = strchr(email, '@');
    if (!*email) {
        out[0] = '\0';
        return;
    }
    if (!at || at == email) {
        snprintf(out, CONTACT_MAX, "***");
        return;
    }
    snprintf(out, CONTACT_MAX, "%c***%s", email[0], at);
}

char *contact_mask_digits(const char *text)
{
    char *out = strdup(text);
    if (!out)
        return NULL;
    size_t offset = 0, start, end;
    while (s_digit_run(out + offset, &start, &end) == 0) {
        /* keep the first 3 and last 4 digits of the run, stars between (same length) */
        size_t seen = 0, digits = 0;
        for (size_t k = offset + start; k < offset + end; k++)
            digits += isdigit((unsigned char)out[k]) != 0;
        for (size_t k = offset + start; k < offset + end; k++)
            if (isdigit((unsigned char)out[k])) {
                if (seen >= 3 && seen < digits - 4)
                    out[k] = '*';
                seen++;
            }
        offset += end;
    }
    return out;
}
