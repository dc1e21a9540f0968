/* jsonbody: a request body that must be one JSON object, read field by field with errors that
 * name the field (rules_error_t). Shared by every JSON shape intake reads (appeals, actions). */
#ifndef GRIDLINE_JSONBODY_H
#define GRIDLINE_JSONBODY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "rules.h"

/* The body as a JSON object (valid UTF-8, no duplicate keys), or NULL with err filled
 * (bad_utf8, bad_json). The caller json_decref's it. */
json_t *jsonbody_load(const char *body, size_t len, rules_error_t *err);
/* Refuses any member not in known (unknown_field, naming it). 0 / -1. */
int jsonbody_known(json_t *root, const char *const *known, size_t count, rules_error_t *err);
/* A string member: *out NULL if absent or null (and not required); checks type, NUL and the
 * length in characters. 0 / -1. */
int jsonbody_string(json_t *root, const char *name, bool required, size_t max_chars,
                    const char **out, rules_error_t *err);
/* A boolean member: *out -1 absent or null, 0 false, 1 true. 0 / -1 (not a boolean). */
int jsonbody_bool(json_t *root, const char *name, int *out, rules_error_t *err);

#endif
