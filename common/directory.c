#include "directory.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appeal.h"
#include "scripts.h"

#define S_ENTRIES "{directory}:entries"
#define S_VERSION "{directory}:version"

struct directory {
    directory_entry_t *entries;
    size_t count;
    long long version; /* -1: never loaded */
};

directory_t *directory_new(void)
{
    directory_t *self = calloc(1, sizeof *self);
    if (self)
        self->version = -1;
    return self;
}

static void s_clear(directory_t *self)
{
    for (size_t i = 0; i < self->count; i++) {
        config_directory_entry_t *e = &self->entries[i].entry;
        free(e->department);
        free(e->level);
        free(e->region);
        free(e->assignee);
        free(e->target);
        free(e->target_url);
        free(e->target_secret);
    }
    free(self->entries);
    self->entries = NULL;
    self->count = 0;
}

void directory_destroy(directory_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    s_clear(*self_p);
    free(*self_p);
    *self_p = NULL;
}

/* "<department>\t<level>\t<region>\t<assignee>[\t<target>\t<url>\t<secret>]" into e
 * (malloc'd strings; the target's "" when absent). 0 / -1. */
static int s_parse(const char *text, size_t len, config_directory_entry_t *e)
{
    char *parts[7] = {0};
    const char *p = text, *end = text + len;
    int n = 0;
    for (; n < 7 && p <= end; n++) {
        const char *tab = memchr(p, '\t', (size_t)(end - p));
        if (!tab)
            tab = end;
        if (!(parts[n] = strndup(p, (size_t)(tab - p))))
            break;
        p = tab + 1;
    }
    for (int i = n; i < 7 && (n == 4 || n == 7); i++)
        parts[i] = strdup("");
    bool ok = n == 4 || n == 7;
    for (int i = 0; i < 7; i++)
        ok = ok && parts[i];
    if (!ok) {
        for (int i = 0; i < 7; i++)
            free(parts[i]);
        return -1;
    }
    *e = (config_directory_entry_t){parts[0], parts[1], parts[2], parts[3],
                                    parts[4], parts[5], parts[6]};
    return 0;
}

long long directory_version(const directory_t *self)
{
    return self->version;
}

int directory_refresh(directory_t *self, rconn_t *redis)
{
    redisReply *r = rconn_command(redis, "GET " S_VERSION);
    if (!r)
        return -1;
    long long version = r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10) : 0;
    freeReplyObject(r);
    if (version == self->version)
        return 0;
    r = rconn_command(redis, "HGETALL " S_ENTRIES);
    if (!r)
        return -1;
    if (r->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(r);
        return -1;
    }
    s_clear(self);
    self->entries = calloc(r->elements / 2 + 1, sizeof *self->entries);
    for (size_t i = 0; self->entries && i + 1 < r->elements; i += 2) {
        directory_entry_t *d = &self->entries[self->count];
        snprintf(d->id, sizeof d->id, "%s", r->element[i]->str);
        if (s_parse(r->element[i + 1]->str, r->element[i + 1]->len, &d->entry) == 0)
            self->count++;
    }
    freeReplyObject(r);
    if (!self->entries)
        return -1;
    self->version = version;
    return 0;
}

const directory_entry_t *directory_entries(const directory_t *self, size_t *count)
{
    *count = self ? self->count : 0;
    return self ? self->entries : NULL;
}

bool directory_overrides(const directory_t *self, const config_directory_entry_t *entry)
{
    for (size_t i = 0; self && i < self->count; i++) {
        const config_directory_entry_t *e = &self->entries[i].entry;
        if (strcmp(e->department, entry->department) == 0 && strcmp(e->level, entry->level) == 0 &&
            strcmp(e->region, entry->region) == 0)
            return true;
    }
    return false;
}

void directory_id(const config_directory_entry_t *entry, char *out)
{
    snprintf(out, DIRECTORY_ID_MAX, "%s.%s.%s", entry->department, entry->level,
             *entry->region ? entry->region : "all");
}

const char *directory_check(const config_t *config, const config_directory_entry_t *e,
                            const char **field)
{
    *field = "department";
    if (!e->department ||
        (strcmp(e->department, "*") != 0 && !config_department_known(config, e->department)))
        return "must be a department of the catalogue (or \"*\" for every department)";
    *field = "level";
    if (!e->level || appeal_level_parse(e->level) == 0)
        return "must be green, blue, yellow or red";
    *field = "region";
    if (!e->region || strlen(e->region) > 14)
        return "must be a region code prefix of at most 14 digits (\"\" for everywhere)";
    for (const char *c = e->region; *c; c++)
        if (!isdigit((unsigned char)*c))
            return "must be a region code prefix (digits only)";
    *field = "assignee";
    size_t len = e->assignee ? strlen(e->assignee) : 0;
    if (len == 0 || len > 256)
        return "must be 1..256 bytes";
    for (const char *c = e->assignee; *c; c++)
        if (iscntrl((unsigned char)*c))
            return "must not contain control characters";
    /* the target: a URL (printable, no spaces or tabs), a known type, a secret without tabs */
    const char *url = e->target_url ? e->target_url : "";
    *field = "target.url";
    if (*url && strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return "must be an http:// or https:// URL";
    for (const char *c = url; *c; c++)
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7F)
            return "must be printable ASCII without spaces";
    if (strlen(url) > 2048)
        return "must be at most 2048 bytes";
    *field = "target.type";
    const char *type = e->target ? e->target : "";
    if (*type && strcmp(type, "webhook") && strcmp(type, "wecom") && strcmp(type, "dingtalk") &&
        strcmp(type, "alertmanager"))
        return "must be webhook, wecom, dingtalk or alertmanager";
    if (*type && !*url) {
        *field = "target.url";
        return "is required with a target";
    }
    *field = "target.secret";
    for (const char *c = e->target_secret ? e->target_secret : ""; *c; c++)
        if (iscntrl((unsigned char)*c))
            return "must not contain control characters";
    return NULL;
}

static int s_change(rconn_t *redis, const char *op, const char *id, const char *value)
{
    const char *args[] = {S_ENTRIES, S_VERSION, op, id, value ? value : ""};
    redisReply *r = rconn_eval(redis, &scripts_directory_change, 2, 5, args, NULL);
    if (!r)
        return -1;
    int rc = r->type == REDIS_REPLY_INTEGER ? (int)r->integer : -1;
    freeReplyObject(r);
    return rc;
}

int directory_put(rconn_t *redis, const config_directory_entry_t *e, char *id_out)
{
    directory_id(e, id_out);
    char *value = NULL;
    bool target = e->target_url && *e->target_url;
    if (asprintf(&value, "%s\t%s\t%s\t%s%s%s%s%s%s%s", e->department, e->level, e->region,
                 e->assignee, target ? "\t" : "", target && e->target ? e->target : "",
                 target ? "\t" : "", target ? e->target_url : "", target ? "\t" : "",
                 target && e->target_secret ? e->target_secret : "") < 0)
        return -1;
    int rc = s_change(redis, "put", id_out, value);
    free(value);
    return rc == 1 ? 0 : -1;
}

int directory_remove(rconn_t *redis, const char *id)
{
    return s_change(redis, "del", id, NULL);
}
