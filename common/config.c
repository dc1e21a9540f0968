#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "log.h"

typedef enum { S_STRING, S_INT, S_LONG } s_type_t;

typedef struct {
    const char *name;
    s_type_t type;
    size_t offset;
    const char *fallback;
    long min, max;
    const char *help;
} s_key_t;

#define S_STR(name, field, def, help)                                                              \
    {                                                                                              \
        name, S_STRING, offsetof(config_t, field), def, 0, 0, help                                 \
    }
#define S_NUM(name, field, def, lo, hi, help)                                                      \
    {                                                                                              \
        name, S_INT, offsetof(config_t, field), def, lo, hi, help                                  \
    }

/* The one table of every scalar key. */
static const s_key_t s_keys[] = {
    S_STR("instance", instance, "", "instance name in logs and metrics (default host-pid)"),
    S_STR("log.level", log_level, "info", "debug | info | warn | error"),
    S_STR("bind_host", bind_host, "127.0.0.1", "IPv4 address the HTTP listeners bind"),
    S_STR("regions.file", regions_file, "data/regions-nmg.csv", "the division codes (CSV)"),
    S_STR("redis.host", redis_host, "127.0.0.1", "Redis host"),
    S_NUM("redis.port", redis_port, "6390", 1, 65535, "Redis port"),
    S_STR("redis.password", redis_password, "", "Redis AUTH password (empty: none)"),
    S_NUM("redis.timeout_ms", redis_timeout_ms, "2000", 10, 600000, "Redis connect/IO timeout"),
    S_NUM("intake.http_port", intake_http_port, "8080", 0, 65535, "intake HTTP port"),
    S_NUM("intake.gateway_port", intake_gateway_port, "5570", 0, 65535,
          "intake ZeroMQ gateway port (reserved for the gateway issue)"),
    S_NUM("intake.max_body", intake_max_body, "65536", 256, 16777216, "largest request body"),
    S_NUM("intake.idempotency_ttl_s", intake_idempotency_ttl_s, "86400", 1, 31536000,
          "how long an Idempotency-Key is remembered"),
    S_NUM("intake.http_threads", intake_http_threads, "8", 1, 64,
          "intake HTTP threads (more in flight = more appeals per Redis fsync)"),
    S_NUM("router.http_port", router_http_port, "8081", 0, 65535, "router HTTP port"),
    S_STR("router.endpoint", router_endpoint, "tcp://127.0.0.1:5571",
          "router event endpoint (it binds, senders connect)"),
    S_NUM("notifier.http_port", notifier_http_port, "8082", 0, 65535, "notifier HTTP port"),
    S_STR("notifier.endpoint", notifier_endpoint, "tcp://127.0.0.1:5572",
          "notifier event endpoint"),
    S_NUM("notifier.timeout_ms", notifier_timeout_ms, "3000", 10, 600000, "webhook POST timeout"),
    S_NUM("aggregator.http_port", aggregator_http_port, "8083", 0, 65535, "aggregator HTTP port"),
    S_STR("aggregator.endpoint", aggregator_endpoint, "tcp://127.0.0.1:5573",
          "aggregator event endpoint"),
    S_NUM("outbox.resend_after_ms", outbox_resend_after_ms, "5000", 10, 3600000,
          "an unacknowledged event is sent again after this"),
    S_NUM("outbox.sweep_interval_ms", outbox_sweep_interval_ms, "1000", 10, 600000,
          "how often outboxes are swept"),
    S_NUM("outbox.batch", outbox_batch, "256", 1, 100000, "events per batch and per county sweep"),
    S_NUM("ladder.green_s", ladder_green_s, "3600", 1, 31536000, "deadline at green"),
    S_NUM("ladder.blue_s", ladder_blue_s, "14400", 1, 31536000, "deadline at blue"),
    S_NUM("ladder.yellow_s", ladder_yellow_s, "43200", 1, 31536000, "deadline at yellow"),
    S_NUM("ladder.red_s", ladder_red_s, "86400", 1, 31536000, "deadline at red"),
    {"clock.offset_ms", S_LONG, offsetof(config_t, clock_offset_ms), "0", LONG_MIN, LONG_MAX,
     "shift of the wall clock (tests)"},
    S_NUM("clock.tz_offset_min", clock_tz_offset_min, "480", -720, 840,
          "local time offset from UTC in minutes (days are local)"),
};
#define S_KEY_COUNT (sizeof s_keys / sizeof s_keys[0])

static const char *s_default_categories[][3] = {
    {"power", "power-supply", "供电"},
    {"water", "water-supply", "供水"},
    {"heating", "heating", "供暖"},
    {"gas", "gas", "燃气"},
    {"policing", "public-security", "治安"},
    {"city", "city-management", "城市管理"},
    {"market", "market-supervision", "市场监管"},
    {"environment", "ecology-environment", "生态环境"},
    {"roads", "transport", "道路交通"},
    {"labor", "human-resources", "劳动保障"},
    {"land", "natural-resources", "土地草原"},
    {"social", "civil-affairs", "民政救助"},
    {"health", "health", "卫生健康"},
    {"education", "education", "教育"},
    {"other", "general-office", "其他"},
};

static int s_fail(config_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int s_fail(config_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(self->errstr, sizeof self->errstr, fmt, ap);
    va_end(ap);
    return -1;
}

static const s_key_t *s_key(const char *name)
{
    for (size_t i = 0; i < S_KEY_COUNT; i++)
        if (strcmp(s_keys[i].name, name) == 0)
            return &s_keys[i];
    return NULL;
}

/* Sets one scalar from text; where is "file:line: " or "GRIDLINE_X: " for messages. */
static int s_set(config_t *self, const s_key_t *key, const char *value, const char *where)
{
    void *field = (char *)self + key->offset;
    if (key->type == S_STRING) {
        if (strcmp(key->name, "log.level") == 0 && log_level_parse(value) < 0)
            return s_fail(self, "%s%s: \"%.60s\" is not one of debug, info, warn, error", where,
                          key->name, value);
        char *copy = strdup(value);
        if (!copy)
            return s_fail(self, "out of memory");
        free(*(char **)field);
        *(char **)field = copy;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    long n = strtol(value, &end, 10);
    if (!*value || *end || errno || n < key->min || n > key->max) {
        if (key->type == S_LONG)
            return s_fail(self, "%s%s: \"%.60s\" is not an integer", where, key->name, value);
        return s_fail(self, "%s%s: \"%.60s\" is not an integer (%ld..%ld)", where, key->name, value,
                      key->min, key->max);
    }
    if (key->type == S_INT)
        *(int *)field = (int)n;
    else
        *(long *)field = n;
    return 0;
}

static void s_free_categories(config_t *self)
{
    for (size_t i = 0; i < self->category_count; i++) {
        free(self->categories[i].name);
        free(self->categories[i].department);
        free(self->categories[i].label);
    }
    free(self->categories);
    self->categories = NULL;
    self->category_count = 0;
}

static void s_free_directory(config_t *self)
{
    for (size_t i = 0; i < self->directory_count; i++) {
        free(self->directory[i].department);
        free(self->directory[i].region);
        free(self->directory[i].assignee);
    }
    free(self->directory);
    self->directory = NULL;
    self->directory_count = 0;
}

static void s_free_subscriptions(config_t *self)
{
    for (size_t i = 0; i < self->subscription_count; i++) {
        free(self->subscriptions[i].name);
        free(self->subscriptions[i].region);
        free(self->subscriptions[i].url);
        free(self->subscriptions[i].secret);
    }
    free(self->subscriptions);
    self->subscriptions = NULL;
    self->subscription_count = 0;
}

void config_destroy(config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    config_t *self = *self_p;
    for (size_t i = 0; i < S_KEY_COUNT; i++)
        if (s_keys[i].type == S_STRING)
            free(*(char **)((char *)self + s_keys[i].offset));
    s_free_categories(self);
    s_free_directory(self);
    s_free_subscriptions(self);
    free(self);
    *self_p = NULL;
}

config_t *config_new(void)
{
    config_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    for (size_t i = 0; i < S_KEY_COUNT; i++)
        if (s_set(self, &s_keys[i], s_keys[i].fallback, "") != 0)
            goto fail;
    size_t n = sizeof s_default_categories / sizeof s_default_categories[0];
    self->categories = calloc(n, sizeof *self->categories);
    if (!self->categories)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        config_category_t *c = &self->categories[i];
        c->name = strdup(s_default_categories[i][0]);
        c->department = strdup(s_default_categories[i][1]);
        c->label = strdup(s_default_categories[i][2]);
        self->category_count++;
        if (!c->name || !c->department || !c->label)
            goto fail;
    }
    return self;
fail:
    config_destroy(&self);
    return NULL;
}

const char *config_errstr(const config_t *self)
{
    return self->errstr;
}

int config_set(config_t *self, const char *key, const char *value)
{
    const s_key_t *k = s_key(key);
    if (!k)
        return s_fail(self, "%s: unknown key", key);
    return s_set(self, k, value, "");
}

/* ---- YAML ------------------------------------------------------------------------------ */

typedef struct {
    config_t *self;
    yaml_document_t *doc;
    const char *origin;
} s_walk_t;

static int s_line(const yaml_node_t *node)
{
    return (int)node->start_mark.line + 1;
}

static const char *s_scalar(const yaml_node_t *node)
{
    return (const char *)node->data.scalar.value;
}

/* One field of a section item: the scalar for name, or NULL if absent. */
typedef struct {
    const char *name;
    bool required;
    char **target;
} s_field_t;

static bool s_region_ok(const char *region)
{
    size_t len = strlen(region);
    if (len > 14)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isdigit((unsigned char)region[i]))
            return false;
    return true;
}

static bool s_category_name_ok(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > 32)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!islower((unsigned char)name[i]) && !isdigit((unsigned char)name[i]) &&
            name[i] != '_' && name[i] != '-')
            return false;
    return true;
}

static int s_item(s_walk_t *w, const char *section, size_t index, yaml_node_t *item,
                  s_field_t *fields, size_t nfields)
{
    config_t *self = w->self;
    if (item->type != YAML_MAPPING_NODE)
        return s_fail(self, "%s:%d: %s[%zu]: must be a mapping", w->origin, s_line(item), section,
                      index);
    for (yaml_node_pair_t *p = item->data.mapping.pairs.start; p < item->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
        if (k->type != YAML_SCALAR_NODE)
            return s_fail(self, "%s:%d: %s[%zu]: keys must be plain names", w->origin, s_line(k),
                          section, index);
        s_field_t *f = NULL;
        for (size_t i = 0; i < nfields && !f; i++)
            if (strcmp(fields[i].name, s_scalar(k)) == 0)
                f = &fields[i];
        if (!f)
            return s_fail(self, "%s:%d: %s[%zu].%s: unknown field", w->origin, s_line(k), section,
                          index, s_scalar(k));
        if (v->type != YAML_SCALAR_NODE)
            return s_fail(self, "%s:%d: %s[%zu].%s: must be a single value", w->origin, s_line(v),
                          section, index, f->name);
        free(*f->target);
        *f->target = strdup(s_scalar(v));
        if (!*f->target)
            return s_fail(self, "out of memory");
    }
    for (size_t i = 0; i < nfields; i++) {
        if (!*fields[i].target && fields[i].required)
            return s_fail(self, "%s:%d: %s[%zu].%s: required", w->origin, s_line(item), section,
                          index, fields[i].name);
        if (!*fields[i].target && !(*fields[i].target = strdup("")))
            return s_fail(self, "out of memory");
    }
    return 0;
}

static int s_section(s_walk_t *w, const char *name, yaml_node_t *seq)
{
    config_t *self = w->self;
    size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    if (strcmp(name, "categories") == 0) {
        s_free_categories(self);
        self->categories = calloc(n ? n : 1, sizeof *self->categories);
        if (!self->categories)
            return s_fail(self, "out of memory");
        for (size_t i = 0; i < n; i++) {
            config_category_t *c = &self->categories[i];
            self->category_count++;
            s_field_t fields[] = {{"name", true, &c->name},
                                  {"department", true, &c->department},
                                  {"label", false, &c->label}};
            yaml_node_t *item = yaml_document_get_node(w->doc, seq->data.sequence.items.start[i]);
            if (s_item(w, name, i, item, fields, 3) != 0)
                return -1;
            if (!s_category_name_ok(c->name))
                return s_fail(self,
                              "%s:%d: categories[%zu].name: \"%.40s\" must be [a-z0-9_-]{1,32}",
                              w->origin, s_line(item), i, c->name);
            for (size_t j = 0; j < i; j++)
                if (strcmp(self->categories[j].name, c->name) == 0)
                    return s_fail(self, "%s:%d: categories[%zu].name: \"%s\" appears twice",
                                  w->origin, s_line(item), i, c->name);
        }
    } else if (strcmp(name, "directory") == 0) {
        s_free_directory(self);
        self->directory = calloc(n ? n : 1, sizeof *self->directory);
        if (!self->directory)
            return s_fail(self, "out of memory");
        for (size_t i = 0; i < n; i++) {
            config_directory_entry_t *d = &self->directory[i];
            self->directory_count++;
            s_field_t fields[] = {{"department", true, &d->department},
                                  {"region", true, &d->region},
                                  {"assignee", true, &d->assignee}};
            yaml_node_t *item = yaml_document_get_node(w->doc, seq->data.sequence.items.start[i]);
            if (s_item(w, name, i, item, fields, 3) != 0)
                return -1;
            if (!s_region_ok(d->region))
                return s_fail(self, "%s:%d: directory[%zu].region: \"%.20s\" must be 0..14 digits",
                              w->origin, s_line(item), i, d->region);
        }
    } else if (strcmp(name, "subscriptions") == 0) {
        s_free_subscriptions(self);
        self->subscriptions = calloc(n ? n : 1, sizeof *self->subscriptions);
        if (!self->subscriptions)
            return s_fail(self, "out of memory");
        for (size_t i = 0; i < n; i++) {
            config_subscription_t *s = &self->subscriptions[i];
            self->subscription_count++;
            s_field_t fields[] = {{"name", true, &s->name},
                                  {"region", false, &s->region},
                                  {"url", true, &s->url},
                                  {"secret", false, &s->secret}};
            yaml_node_t *item = yaml_document_get_node(w->doc, seq->data.sequence.items.start[i]);
            if (s_item(w, name, i, item, fields, 4) != 0)
                return -1;
            if (!s_region_ok(s->region))
                return s_fail(self,
                              "%s:%d: subscriptions[%zu].region: \"%.20s\" must be 0..14 digits",
                              w->origin, s_line(item), i, s->region);
            if (strncmp(s->url, "http://", 7) != 0 && strncmp(s->url, "https://", 8) != 0)
                return s_fail(self, "%s:%d: subscriptions[%zu].url: must be an http(s) URL",
                              w->origin, s_line(item), i);
            for (size_t j = 0; j < i; j++)
                if (strcmp(self->subscriptions[j].name, s->name) == 0)
                    return s_fail(self, "%s:%d: subscriptions[%zu].name: \"%s\" appears twice",
                                  w->origin, s_line(item), i, s->name);
        }
    } else {
        return s_fail(self, "%s:%d: %s: unknown key (a list where none belongs)", w->origin,
                      s_line(seq), name);
    }
    return 0;
}

static int s_mapping(s_walk_t *w, const char *prefix, yaml_node_t *map)
{
    config_t *self = w->self;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
        if (k->type != YAML_SCALAR_NODE)
            return s_fail(self, "%s:%d: keys must be plain names", w->origin, s_line(k));
        char name[128];
        snprintf(name, sizeof name, "%s%s%s", prefix, *prefix ? "." : "", s_scalar(k));
        if (v->type == YAML_MAPPING_NODE) {
            if (s_mapping(w, name, v) != 0)
                return -1;
        } else if (v->type == YAML_SEQUENCE_NODE) {
            if (*prefix)
                return s_fail(self, "%s:%d: %s: unknown key", w->origin, s_line(k), name);
            if (s_section(w, name, v) != 0)
                return -1;
        } else {
            const s_key_t *key = s_key(name);
            if (!key)
                return s_fail(self, "%s:%d: %s: unknown key", w->origin, s_line(k), name);
            char where[300];
            snprintf(where, sizeof where, "%s:%d: ", w->origin, s_line(v));
            if (s_set(self, key, s_scalar(v), where) != 0)
                return -1;
        }
    }
    return 0;
}

static int s_load(config_t *self, yaml_parser_t *parser, const char *origin)
{
    yaml_document_t doc;
    if (!yaml_parser_load(parser, &doc))
        return s_fail(self, "%s:%zu: YAML: %s %s", origin, parser->problem_mark.line + 1,
                      parser->problem ? parser->problem : "parse error",
                      parser->context ? parser->context : "");
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    int rc = 0;
    if (root && root->type == YAML_MAPPING_NODE) {
        s_walk_t w = {self, &doc, origin};
        rc = s_mapping(&w, "", root);
    } else if (root && !(root->type == YAML_SCALAR_NODE && !*s_scalar(root))) {
        rc = s_fail(self, "%s:%d: the configuration must be a mapping of keys", origin,
                    s_line(root));
    }
    yaml_document_delete(&doc);
    return rc;
}

int config_load_string(config_t *self, const char *yaml, const char *origin)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return s_fail(self, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, strlen(yaml));
    int rc = s_load(self, &parser, origin ? origin : "(string)");
    yaml_parser_delete(&parser);
    return rc;
}

int config_load_file(config_t *self, const char *path)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return s_fail(self, "%s: %s", path, strerror(errno));
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        fclose(file);
        return s_fail(self, "out of memory");
    }
    yaml_parser_set_input_file(&parser, file);
    int rc = s_load(self, &parser, path);
    yaml_parser_delete(&parser);
    fclose(file);
    return rc;
}

/* "redis.port" -> "GRIDLINE_REDIS_PORT" */
static void s_env_name(const char *key, char *out, size_t size)
{
    size_t n = (size_t)snprintf(out, size, "GRIDLINE_");
    for (; *key && n + 1 < size; key++)
        out[n++] = *key == '.' ? '_' : (char)toupper((unsigned char)*key);
    out[n] = '\0';
}

int config_apply_env(config_t *self, char *const *envp)
{
    for (char *const *e = envp; e && *e; e++) {
        if (strncmp(*e, "GRIDLINE_", 9) != 0)
            continue;
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        size_t len = (size_t)(eq - *e);
        if (len == strlen("GRIDLINE_CONFIG") && strncmp(*e, "GRIDLINE_CONFIG", len) == 0)
            continue;
        const s_key_t *found = NULL;
        char env[128];
        for (size_t i = 0; i < S_KEY_COUNT && !found; i++) {
            s_env_name(s_keys[i].name, env, sizeof env);
            if (strlen(env) == len && strncmp(env, *e, len) == 0)
                found = &s_keys[i];
        }
        if (!found)
            return s_fail(self, "%.*s: unknown variable (see --help for the keys)", (int)len, *e);
        char where[160];
        snprintf(where, sizeof where, "%.*s: ", (int)len, *e);
        if (s_set(self, found, eq + 1, where) != 0)
            return -1;
    }
    return 0;
}

static void s_value(const config_t *self, const s_key_t *key, char *out, size_t size)
{
    const void *field = (const char *)self + key->offset;
    if (key->type == S_STRING) {
        const char *v = *(char *const *)field;
        bool secret = strcmp(key->name, "redis.password") == 0 && v && *v;
        snprintf(out, size, "%s", secret ? "***" : (v ? v : ""));
    } else if (key->type == S_INT) {
        snprintf(out, size, "%d", *(const int *)field);
    } else {
        snprintf(out, size, "%ld", *(const long *)field);
    }
}

void config_print(const config_t *self, FILE *out)
{
    char value[512];
    for (size_t i = 0; i < S_KEY_COUNT; i++) {
        s_value(self, &s_keys[i], value, sizeof value);
        fprintf(out, "%s = %s\n", s_keys[i].name, value);
    }
    fprintf(out, "categories:\n");
    for (size_t i = 0; i < self->category_count; i++)
        fprintf(out, "  - {name: %s, department: %s, label: %s}\n", self->categories[i].name,
                self->categories[i].department, self->categories[i].label);
    fprintf(out, "directory:\n");
    for (size_t i = 0; i < self->directory_count; i++)
        fprintf(out, "  - {department: %s, region: \"%s\", assignee: \"%s\"}\n",
                self->directory[i].department, self->directory[i].region,
                self->directory[i].assignee);
    fprintf(out, "subscriptions:\n");
    for (size_t i = 0; i < self->subscription_count; i++)
        fprintf(out, "  - {name: %s, region: \"%s\", url: \"%s\"%s}\n", self->subscriptions[i].name,
                self->subscriptions[i].region, self->subscriptions[i].url,
                *self->subscriptions[i].secret ? ", secret: ***" : "");
}

void config_print_help(FILE *out)
{
    char env[128];
    for (size_t i = 0; i < S_KEY_COUNT; i++) {
        s_env_name(s_keys[i].name, env, sizeof env);
        fprintf(out, "  %-26s %-36s default %-22s %s\n", s_keys[i].name, env,
                *s_keys[i].fallback ? s_keys[i].fallback : "\"\"", s_keys[i].help);
    }
    fprintf(out,
            "  Lists (file only): categories, directory, subscriptions; see config/demo.yaml\n");
}

const config_category_t *config_category(const config_t *self, const char *name)
{
    for (size_t i = 0; i < self->category_count; i++)
        if (strcmp(self->categories[i].name, name) == 0)
            return &self->categories[i];
    return NULL;
}
