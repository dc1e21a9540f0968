/* fuzz_open311: the application/x-www-form-urlencoded body of POST /open311/v2/requests
 * (open311_form_parse). What it accepts must be at most OPEN311_FORM_MAX_FIELDS distinct,
 * non-empty names, every name and value valid UTF-8 without NUL or control characters (values
 * may hold \t \n \r), each found again by open311_form_get; a refusal says why. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "intake/open311.h"
#include "utf8.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    return 0;
}

static void s_check(const char *s, bool value)
{
    size_t len = strlen(s);
    if (!utf8_valid(s, len))
        abort();
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0x7F || (c < 0x20 && !(value && (c == '\t' || c == '\n' || c == '\r'))))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    open311_form_t form;
    char why[160] = "";
    if (open311_form_parse((const char *)data, size, &form, why, sizeof why) != 0) {
        if (!why[0] || form.buf || form.count)
            abort();
        return 0;
    }
    if (form.count > OPEN311_FORM_MAX_FIELDS)
        abort();
    for (size_t i = 0; i < form.count; i++) {
        const open311_field_t *f = &form.fields[i];
        if (!*f->name)
            abort();
        s_check(f->name, false);
        s_check(f->value, true);
        if (open311_form_get(&form, f->name) != f->value)
            abort();
        /* nothing decodes longer than it was sent */
        if (strlen(f->name) + strlen(f->value) > size)
            abort();
    }
    open311_form_fini(&form);
    return 0;
}
