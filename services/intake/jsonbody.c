#include "jsonbody.h"

#include <string.h>

#include "utf8.h"

json_t *jsonbody_load(const char *body, size_t len, rules_error_t *err)
{
    if (!utf8_valid(body, len)) {
        rules_fail(err, 400, "bad_utf8", "body", "the body is not valid UTF-8 text");
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        rules_fail(err, 400, "bad_json", "body", "not valid JSON (line %d, column %d): %s",
                   jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        rules_fail(err, 400, "bad_json", "body", "the body must be a JSON object");
        return NULL;
    }
    return root;
}

int jsonbody_known(json_t *root, const char *const *known, size_t count, rules_error_t *err)
{
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value)
    {
        bool ok = false;
        for (size_t i = 0; i < count && !ok; i++)
            ok = strcmp(key, known[i]) == 0;
        if (!ok) {
            rules_fail(err, 400, "unknown_field", key, "unknown field '%.60s'", key);
            return -1;
        }
    }
    return 0;
}

int jsonbody_string(json_t *root, const char *name, bool required, size_t max_chars,
                    const char **out, rules_error_t *err)
{
    json_t *value = json_object_get(root, name);
    *out = NULL;
    if (!value || json_is_null(value)) {
        if (required) {
            rules_fail(err, 400, "missing", name, "%s is required", name);
            return -1;
        }
        return 0;
    }
    if (!json_is_string(value)) {
        rules_fail(err, 400, "invalid", name, "%s must be a string", name);
        return -1;
    }
    const char *text = json_string_value(value);
    if (strlen(text) != json_string_length(value)) {
        rules_fail(err, 400, "invalid", name, "%s must not contain NUL characters", name);
        return -1;
    }
    if (rules_no_controls(name, text, err) != 0)
        return -1;
    size_t chars = utf8_count(text);
    if (required && chars == 0) {
        rules_fail(err, 400, "missing", name, "%s must not be empty", name);
        return -1;
    }
    if (chars > max_chars) {
        rules_fail(err, 400, "invalid", name, "%s is longer than %zu characters", name, max_chars);
        return -1;
    }
    *out = text;
    return 0;
}

int jsonbody_bool(json_t *root, const char *name, int *out, rules_error_t *err)
{
    json_t *value = json_object_get(root, name);
    *out = -1;
    if (!value || json_is_null(value))
        return 0;
    if (!json_is_boolean(value)) {
        rules_fail(err, 400, "invalid", name, "%s must be true or false", name);
        return -1;
    }
    *out = json_is_true(value) ? 1 : 0;
    return 0;
}
