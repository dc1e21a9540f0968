#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "log.h"
#include "url.h"

typedef enum { S_STRING, S_INT, S_LONG, S_DURATION, S_CLOCK, S_BOOL, S_RATIO } s_type_t;

typedef struct {
    const char *name;
    s_type_t type;
    size_t offset;
    const char *fallback;
    long min, max;
    const char *help;
    size_t wd_offset; /* S_CLOCK: the int field of working days (offset: the long ms field) */
} s_key_t;

/* One key (designated, so that a field only some types use may be left out). */
#define S_KEY(n, t, off, def, lo, hi, h)                                                           \
    {                                                                                              \
        .name = n, .type = t, .offset = off, .fallback = def, .min = lo, .max = hi, .help = h      \
    }
#define S_STR(n, field, def, h) S_KEY(n, S_STRING, offsetof(config_t, field), def, 0, 0, h)
#define S_NUM(n, field, def, lo, hi, h) S_KEY(n, S_INT, offsetof(config_t, field), def, lo, hi, h)

/* A duration (long milliseconds): "500ms", "90s", "30m", "2h", "1d". */
#define S_DUR(n, field, def, h) S_KEY(n, S_DURATION, offsetof(config_t, field), def, 0, 0, h)

/* A clock of the ladder: a duration into field##_ms, or working days ("5wd") into field##_wd. */
#define S_CLK(n, field, index, def, h)                                                             \
    {                                                                                              \
        .name = n, .type = S_CLOCK, .offset = offsetof(config_t, field##_ms[index]),               \
        .fallback = def, .help = h, .wd_offset = offsetof(config_t, field##_wd[index])             \
    }

/* The same where 0 ("0", "0s", ...) means off. */
#define S_DUR0(n, field, def, h) S_KEY(n, S_DURATION, offsetof(config_t, field), def, 1, 0, h)

/* A ratio (double) from 0 to 1: "0.85". */
#define S_FRAC(n, field, def, h) S_KEY(n, S_RATIO, offsetof(config_t, field), def, 0, 1, h)

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
          "intake ZeroMQ gateway port (ROUTER, protobuf Submissions; 0: off)"),
    S_NUM("intake.max_body", intake_max_body, "65536", 256, 16777216, "largest request body"),
    S_NUM("intake.max_batch_body", intake_max_batch_body, "4194304", 256, 67108864,
          "largest body of POST /v1/appeals:batch"),
    S_NUM("intake.max_batch_lines", intake_max_batch_lines, "1000", 1, 1000000,
          "most appeals (non-blank lines) in one batch"),
    S_NUM("intake.idempotency_ttl_s", intake_idempotency_ttl_s, "86400", 1, 31536000,
          "how long an Idempotency-Key is remembered"),
    S_NUM("intake.http_threads", intake_http_threads, "8", 1, 64,
          "intake HTTP threads (more in flight = more appeals per Redis fsync)"),
    S_STR("intake.bbox", intake_bbox, "97.1,37.3,126.1,53.4",
          "min_lon,min_lat,max_lon,max_lat: coordinates outside are refused (Inner Mongolia)"),
    S_NUM("router.http_port", router_http_port, "8081", 0, 65535, "router HTTP port"),
    S_STR("router.endpoint", router_endpoint, "tcp://127.0.0.1:5571",
          "router event endpoint (it binds, senders connect)"),
    S_NUM("notifier.http_port", notifier_http_port, "8082", 0, 65535, "notifier HTTP port"),
    S_STR("notifier.endpoint", notifier_endpoint, "tcp://127.0.0.1:5572",
          "notifier event endpoint"),
    S_NUM("notifier.timeout_ms", notifier_timeout_ms, "3000", 10, 600000, "webhook POST timeout"),
    S_NUM("notifier.max_in_flight", notifier_max_in_flight, "256", 1, 10000,
          "POSTs at once, all receivers together"),
    S_NUM("notifier.max_per_host", notifier_max_per_host, "32", 1, 1000,
          "POSTs at once to one host"),
    S_DUR("notifier.retry_base", notifier_retry_base_ms, "1s",
          "first retry of a failed delivery after about this (doubling, with jitter)"),
    S_DUR("notifier.retry_max", notifier_retry_max_ms, "5m", "retries at most this far apart"),
    S_DUR("notifier.max_age", notifier_max_age_ms, "1d",
          "a delivery still failing after this goes to its subscription's dead letters"),
    S_NUM("notifier.group_max", notifier_group_max, "100", 1, 1000,
          "alerts in one grouped message at most"),
    S_DUR("notifier.alertmanager_repeat", notifier_alertmanager_repeat_ms, "1m",
          "an Alertmanager target gets an open appeal's alert again this often (keep it under "
          "Alertmanager's resolve_timeout); 0: never"),
    S_DUR("notifier.stream_heartbeat", notifier_stream_heartbeat_ms, "15s",
          "GET /v1/stream sends a heartbeat comment this often"),
    S_STR("notifier.cors_origin", notifier_cors_origin, "",
          "Access-Control-Allow-Origin of GET /v1/stream (the dashboard's origin); empty: none"),
    S_NUM("aggregator.http_port", aggregator_http_port, "8083", 0, 65535, "aggregator HTTP port"),
    S_STR("aggregator.endpoint", aggregator_endpoint, "tcp://127.0.0.1:5573",
          "aggregator event endpoint"),
    S_STR("aggregator.dashboard_dir", aggregator_dashboard_dir, "build/dashboard",
          "the files of GET /dashboard (make builds them there)"),
    S_NUM("rankings.flags", rankings_flags, "3", 0, 1000,
          "GET /v1/rankings: the top this many get red_flag, the bottom this many snail"),
    S_NUM("rankings.min_appeals", rankings_min_appeals, "5", 0, 1000000,
          "GET /v1/rankings: a unit with fewer appeals in the period is unranked"),
    S_FRAC("rankings.threshold.response", rankings_threshold_response, "0.9",
           "GET /v1/rankings: lagging below this response rate (0..1; 0: never)"),
    S_FRAC("rankings.threshold.resolution", rankings_threshold_resolution, "0.8",
           "lagging below this resolution rate (0..1; 0: never)"),
    S_FRAC("rankings.threshold.satisfaction", rankings_threshold_satisfaction, "0.8",
           "lagging below this satisfaction rate (0..1; 0: never)"),
    S_FRAC("rankings.threshold.on_time", rankings_threshold_on_time, "0.8",
           "lagging below this on-time rate (0..1; 0: never)"),
    S_NUM("outbox.resend_after_ms", outbox_resend_after_ms, "5000", 10, 3600000,
          "an unacknowledged event is sent again after this"),
    S_NUM("outbox.sweep_interval_ms", outbox_sweep_interval_ms, "1000", 10, 600000,
          "how often outboxes are swept"),
    S_NUM("outbox.batch", outbox_batch, "256", 1, 100000, "events per batch and per county sweep"),
    S_CLK("ladder.green.ack", ladder_ack, 1, "1h", "green: acknowledge within (2h, or 1wd)"),
    S_CLK("ladder.green.resolve", ladder_resolve, 1, "1d", "green: resolve within (1d, or 5wd)"),
    S_CLK("ladder.blue.ack", ladder_ack, 2, "2h", "blue: acknowledge within"),
    S_CLK("ladder.blue.resolve", ladder_resolve, 2, "2d", "blue: resolve within"),
    S_CLK("ladder.yellow.ack", ladder_ack, 3, "4h", "yellow: acknowledge within"),
    S_CLK("ladder.yellow.resolve", ladder_resolve, 3, "3d", "yellow: resolve within"),
    S_CLK("ladder.red.ack", ladder_ack, 4, "8h", "red: acknowledge within"),
    S_CLK("ladder.red.resolve", ladder_resolve, 4, "5d", "red: resolve within"),
#define S_SIGN(n, i, lvl)                                                                          \
    S_KEY(n, S_DURATION, offsetof(config_t, ladder_sign_ms[i]), "0", 1, 0,                         \
          lvl                                                                                      \
          ": sign for (签收) within this, or the order climbs (sign_overdue); 0: no sign clock")
    S_SIGN("ladder.green.sign", 1, "green"),
    S_SIGN("ladder.blue.sign", 2, "blue"),
    S_SIGN("ladder.yellow.sign", 3, "yellow"),
    S_SIGN("ladder.red.sign", 4, "red"),
    S_KEY("ladder.resolve_from_sign", S_BOOL, offsetof(config_t, ladder_resolve_from_sign), "off",
          0, 1, "with a sign clock, the resolve clock starts at sign-for instead of assignment"),
    S_CLK("workorder.complex_resolve", workorder_complex, 0, "15wd",
          "the resolve clock of an order marked complex (complex: true on sign or reassign)"),
    S_DUR0("ladder.warn_before", ladder_warn_before_ms, "0",
           "the owner is warned (a warned event) this long before each clock falls due; 0: no "
           "warnings"),
    S_DUR("ladder.red.remind", ladder_remind_ms, "1d",
          "red: a missed clock reminds the owner again this often until resolved"),
    S_STR("calendar.file", calendar_file, "data/calendar-cn.csv",
          "holidays and make-up working days (CSV) for clocks in working days (5wd); "
          "empty: Monday..Friday"),
    S_KEY("clock.offset_ms", S_LONG, offsetof(config_t, clock_offset_ms), "0", LONG_MIN, LONG_MAX,
          "shift of the wall clock (tests)"),
    S_NUM("workorder.max_returns", workorder_max_returns, "2", 0, 100,
          "an order returned more often than this climbs one level (returned_too_often)"),
    S_NUM("workorder.urge_escalate_after", workorder_urge_escalate_after, "3", 0, 100,
          "the N-th urge of an open order climbs one level (urged); 0: never"),
    S_DUR0("workorder.repeat_window", workorder_repeat_window_ms, "3d",
           "a resident's call again (same phone, village, category) within this urges the open "
           "order instead of opening one; 0: off"),
    S_DUR("callback.due_after", callback_due_after_ms, "1d",
          "a resolved order is listed for its call-back (GET /v1/callbacks/due) after this"),
    S_DUR0("callback.close_after", callback_close_after_ms, "7d",
           "a resolved order with no feedback after this closes, verdict no_feedback; 0: never"),
    S_NUM("clock.tz_offset_min", clock_tz_offset_min, "480", -720, 840,
          "local time offset from UTC in minutes (days are local)"),
    S_STR("http.allowed_hosts", allowed_hosts, "",
          "Host names the APIs answer, a|b (default: bind_host, localhost, 127.0.0.1); "
          "others get 421, against DNS rebinding"),
    S_NUM("auth.rate", auth_rate, "200", 0, 1000000,
          "API requests per second per token, all instances together (0: no limit)"),
    S_KEY("auth.required", S_BOOL, offsetof(config_t, auth_required), "on", 0, 1,
          "every API request needs a token (off: only for a closed lab)"),
    S_STR("open311.jurisdiction_id", open311_jurisdiction_id, "",
          "Open311 jurisdiction_id requests must name (empty: not checked)"),
    S_STR("open311.channel", open311_channel, "web",
          "channel of Open311 requests whose token has not exactly one channel"),
    S_KEY("open311.public_reads", S_BOOL, offsetof(config_t, open311_public_reads), "on", 0, 1,
          "Open311 GET endpoints readable without a token (never showing contacts)"),
};
#define S_KEY_COUNT (sizeof s_keys / sizeof s_keys[0])

/* ---- list sections --------------------------------------------------------------------- */

typedef enum { FT_STRING, FT_INT, FT_BOOL, FT_DURATION, FT_CLOCK } f_type_t;

/* A validator of one string field: NULL if value is acceptable, else what it must be. */
typedef const char *(f_check_fn)(const char *value);

/* One field of a list element. Strings never contain control characters (CR, LF, ...). */
typedef struct {
    const char *name;
    f_type_t type;        /* FT_STRING: char *, FT_INT: int, FT_BOOL: bool, FT_DURATION: long,
                             FT_CLOCK: long ms at offset, int working days at wd_offset */
    bool required;        /* else absent = fallback */
    size_t offset;        /* in the element struct */
    size_t max_len;       /* FT_STRING: most bytes */
    long min, max;        /* FT_INT: bounds */
    f_check_fn *check;    /* FT_STRING: NULL or a validator */
    const char *fallback; /* when absent and not required; NULL: "", 0, false */
    bool secret;          /* printed as *** */
    bool url;             /* printed as scheme://host/path: a query may hold a credential */
    size_t wd_offset;     /* FT_CLOCK: the int field of working days */
} f_field_t;

/* One list section: its name, its element struct and where the array and count live. */
typedef struct {
    const char *name;
    size_t elem_size;
    size_t items_offset; /* the element array (a pointer) in config_t */
    size_t count_offset; /* its size_t count in config_t */
    const f_field_t *fields;
    size_t field_count;
    const char *unique; /* a string field no two elements share, or NULL */
} f_section_t;

#define REQUIRED true
#define OPTIONAL false
/* A string field: element struct, field, REQUIRED/OPTIONAL, longest in bytes, validator. */
#define F_STR(T, f, req, len, fn)                                                                  \
    {                                                                                              \
        .name = #f, .type = FT_STRING, .required = req, .offset = offsetof(T, f), .max_len = len,  \
        .check = fn                                                                                \
    }
/* A string field printed as ***. */
#define F_SECRET(T, f, req, len)                                                                   \
    {                                                                                              \
        .name = #f, .type = FT_STRING, .required = req, .offset = offsetof(T, f), .max_len = len,  \
        .secret = true                                                                             \
    }
/* An int field: element struct, field, REQUIRED/OPTIONAL, bounds, default when absent. */
#define F_INT(T, f, req, lo, hi, def)                                                              \
    {                                                                                              \
        .name = #f, .type = FT_INT, .required = req, .offset = offsetof(T, f), .min = lo,          \
        .max = hi, .fallback = def                                                                 \
    }
/* A bool field (true/false, yes/no, on/off): element struct, field, REQUIRED/OPTIONAL, default. */
#define F_BOOL(T, f, req, def)                                                                     \
    {                                                                                              \
        .name = #f, .type = FT_BOOL, .required = req, .offset = offsetof(T, f), .fallback = def    \
    }
/* A duration field (long ms; absent = 0). */
#define F_DUR(T, f)                                                                                \
    {                                                                                              \
        .name = #f, .type = FT_DURATION, .required = OPTIONAL, .offset = offsetof(T, f##_ms)       \
    }
/* A clock field: a duration into f##_ms or working days ("5wd") into f##_wd (absent = 0, 0). */
#define F_CLK(T, f)                                                                                \
    {                                                                                              \
        .name = #f, .type = FT_CLOCK, .required = OPTIONAL, .offset = offsetof(T, f##_ms),         \
        .wd_offset = offsetof(T, f##_wd)                                                           \
    }
/* A section: config_t's array and count fields, element struct, field table, unique field. */
#define F_SECTION(items, count, T, table, uniq)                                                    \
    {                                                                                              \
        .name = #items, .elem_size = sizeof(T), .items_offset = offsetof(config_t, items),         \
        .count_offset = offsetof(config_t, count), .fields = table,                                \
        .field_count = sizeof table / sizeof table[0], .unique = uniq                              \
    }

/* A region code prefix: 0..14 digits ("" = everywhere). */
static const char *s_check_region(const char *v)
{
    for (; *v; v++)
        if (!isdigit((unsigned char)*v))
            return "must be a region code prefix (digits only)";
    return NULL;
}

/* A category name: [a-z0-9_-]{1,32} (the length by max_len). */
static const char *s_check_slug(const char *v)
{
    if (!*v)
        return "must be [a-z0-9_-]{1,32}";
    for (; *v; v++)
        if (!islower((unsigned char)*v) && !isdigit((unsigned char)*v) && *v != '_' && *v != '-')
            return "must be [a-z0-9_-]{1,32}";
    return NULL;
}

/* A name that goes into HTTP headers, Redis members and logs as is: [A-Za-z0-9._-]{1,64}. */
static const char *s_check_name(const char *v)
{
    if (!*v)
        return "must be [A-Za-z0-9._-]{1,64}";
    for (; *v; v++)
        if (!isalnum((unsigned char)*v) && *v != '.' && *v != '_' && *v != '-')
            return "must be [A-Za-z0-9._-]{1,64}";
    return NULL;
}

/* 64 lowercase hex digits. */
static const char *s_check_sha256(const char *v)
{
    size_t n = 0;
    for (; v[n]; n++)
        if (!isdigit((unsigned char)v[n]) && !(v[n] >= 'a' && v[n] <= 'f'))
            break;
    return n == 64 && !v[n] ? NULL
                            : "must be the SHA-256 of the token, 64 lowercase hex digits "
                              "(printf %s TOKEN | sha256sum)";
}

/* A ladder level name. */
static const char *s_check_level(const char *v)
{
    static const char *const levels[] = {"green", "blue", "yellow", "red"};
    for (size_t i = 0; i < 4; i++)
        if (strcmp(v, levels[i]) == 0)
            return NULL;
    return "must be green, blue, yellow or red";
}

/* Empty, or a ladder level name. */
static const char *s_check_level_or_none(const char *v)
{
    return *v ? s_check_level(v) : NULL;
}

/* A department: a slug, or "*" (every department). */
static const char *s_check_department(const char *v)
{
    return strcmp(v, "*") == 0 ? NULL : s_check_slug(v);
}

/* http://host... or https://host..., no spaces. */
static const char *s_check_url(const char *v)
{
    const char *rest = strncmp(v, "http://", 7) == 0    ? v + 7
                       : strncmp(v, "https://", 8) == 0 ? v + 8
                                                        : NULL;
    if (!rest || !*rest || *rest == '/')
        return "must be an http(s) URL";
    if (strpbrk(v, " \"<>\\^`{|}"))
        return "must be an http(s) URL (no spaces or quotes)";
    return NULL;
}

static const char *s_check_url_or_empty(const char *v)
{
    return *v ? s_check_url(v) : NULL;
}

static const char *s_check_target(const char *v)
{
    static const char *const types[] = {"", "webhook", "wecom", "dingtalk", "alertmanager"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(v, types[i]) == 0)
            return NULL;
    return "must be webhook, wecom, dingtalk or alertmanager";
}

/* The lists. A new one: its element struct, array and count in config.h, a field table and a
 * line in s_sections. */
static const f_field_t s_category_fields[] = {
    F_STR(config_category_t, name, REQUIRED, 32, s_check_slug),
    F_STR(config_category_t, department, REQUIRED, 64, NULL),
    F_STR(config_category_t, label, OPTIONAL, 128, NULL),
    F_CLK(config_category_t, ack),
    F_CLK(config_category_t, resolve),
};
static const f_field_t s_directory_fields[] = {
    F_STR(config_directory_entry_t, department, REQUIRED, 64, s_check_department),
    {.name = "level",
     .type = FT_STRING,
     .offset = offsetof(config_directory_entry_t, level),
     .max_len = 6,
     .check = s_check_level,
     .fallback = "green"},
    F_STR(config_directory_entry_t, region, REQUIRED, 14, s_check_region),
    F_STR(config_directory_entry_t, assignee, REQUIRED, 256, NULL),
    F_STR(config_directory_entry_t, target, OPTIONAL, 16, s_check_target),
    {.name = "target_url",
     .type = FT_STRING,
     .required = OPTIONAL,
     .offset = offsetof(config_directory_entry_t, target_url),
     .max_len = 2048,
     .check = s_check_url_or_empty,
     .url = true},
    F_SECRET(config_directory_entry_t, target_secret, OPTIONAL, 256),
};
static const f_field_t s_rule_fields[] = {
    F_STR(config_rule_t, keywords, OPTIONAL, 1000, NULL),
    F_STR(config_rule_t, channel, OPTIONAL, 32, NULL),
    F_STR(config_rule_t, region, OPTIONAL, 14, s_check_region),
    F_STR(config_rule_t, category, REQUIRED, 32, s_check_slug),
    F_STR(config_rule_t, level, OPTIONAL, 6, s_check_level_or_none),
};
static const f_field_t s_subscription_fields[] = {
    F_STR(config_subscription_t, name, REQUIRED, 64, s_check_name),
    F_STR(config_subscription_t, region, OPTIONAL, 14, s_check_region),
    {.name = "url",
     .type = FT_STRING,
     .required = REQUIRED,
     .offset = offsetof(config_subscription_t, url),
     .max_len = 2048,
     .check = s_check_url,
     .url = true},
    F_SECRET(config_subscription_t, secret, OPTIONAL, 256),
};
static const f_field_t s_token_fields[] = {
    F_STR(config_token_t, name, REQUIRED, 64, s_check_name),
    {.name = "sha256",
     .type = FT_STRING,
     .required = REQUIRED,
     .offset = offsetof(config_token_t, sha256),
     .max_len = 64,
     .check = s_check_sha256},
    F_STR(config_token_t, channels, OPTIONAL, 256, NULL),
    F_STR(config_token_t, region, OPTIONAL, 14, s_check_region),
    F_STR(config_token_t, actions, OPTIONAL, 512, NULL),
    F_BOOL(config_token_t, contacts, OPTIONAL, "false"),
    F_INT(config_token_t, rate, OPTIONAL, 0, 1000000, "0"),
};
static const f_section_t s_sections[] = {
    F_SECTION(categories, category_count, config_category_t, s_category_fields, "name"),
    F_SECTION(directory, directory_count, config_directory_entry_t, s_directory_fields, NULL),
    F_SECTION(subscriptions, subscription_count, config_subscription_t, s_subscription_fields,
              "name"),
    F_SECTION(rules, rule_count, config_rule_t, s_rule_fields, NULL),
    F_SECTION(tokens, token_count, config_token_t, s_token_fields, "name"),
};
#define F_SECTION_COUNT (sizeof s_sections / sizeof s_sections[0])

/* Loaded through the same declarations as any file. */
static const char s_default_yaml[] =
    "categories:\n"
    "  - {name: power, department: power-supply, label: 供电}\n"
    "  - {name: water, department: water-supply, label: 供水}\n"
    "  - {name: heating, department: heating, label: 供暖}\n"
    "  - {name: gas, department: gas, label: 燃气}\n"
    "  - {name: policing, department: public-security, label: 治安}\n"
    "  - {name: city, department: city-management, label: 城市管理}\n"
    "  - {name: market, department: market-supervision, label: 市场监管}\n"
    "  - {name: environment, department: ecology-environment, label: 生态环境}\n"
    "  - {name: roads, department: transport, label: 道路交通}\n"
    "  - {name: labor, department: human-resources, label: 劳动保障}\n"
    "  - {name: land, department: natural-resources, label: 土地草原}\n"
    "  - {name: social, department: civil-affairs, label: 民政救助}\n"
    "  - {name: health, department: health, label: 卫生健康}\n"
    "  - {name: education, department: education, label: 教育}\n"
    "  - {name: other, department: general-office, label: 其他}\n"
    "  - {name: fire, department: fire-rescue, label: 消防安全, ack: 5m, resolve: 4h}\n"
    "  - {name: sanitation, department: city-management, label: 环境卫生}\n"
    "  - {name: property, department: housing, label: 物业服务}\n"
    "  - {name: housing, department: housing, label: 住房保障}\n"
    "  - {name: livestock, department: agriculture, label: 畜牧兽医}\n"
    "  - {name: irrigation, department: water-resources, label: 农田水利}\n"
    "  - {name: wages, department: human-resources, label: 欠薪讨薪}\n"
    "  - {name: hukou, department: public-security, label: 户籍办理}\n"
    "  - {name: noise, department: ecology-environment, label: 噪音扰民}\n"
    "  - {name: elderly-care, department: civil-affairs, label: 养老服务}\n"
    "  - {name: border, department: border-management, label: 边境管理}\n"
    "  - {name: policy, department: general-office, label: 政策咨询}\n";

/* ---- the object: a config_t with its reference count and its errors --------------------- */

#define S_MAX_ERRORS 100

typedef struct {
    config_t pub; /* first: a config_t * is a s_config_t * */
    atomic_size_t refs;
    char **errors;
    size_t error_count;
    size_t call_errors; /* errors of the call under way */
} s_config_t;

static s_config_t *s_priv(const config_t *self)
{
    return (s_config_t *)self;
}

/* Records one error; the first of a call also goes to errstr. Always -1. */
static int s_fail(config_t *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int s_fail(config_t *self, const char *fmt, ...)
{
    s_config_t *priv = s_priv(self);
    char text[sizeof self->errstr];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (priv->call_errors++ == 0)
        memcpy(self->errstr, text, sizeof text);
    if (priv->error_count >= S_MAX_ERRORS)
        return -1;
    if (!priv->errors && !(priv->errors = calloc(S_MAX_ERRORS, sizeof *priv->errors)))
        return -1;
    if (priv->error_count == S_MAX_ERRORS - 1)
        snprintf(text, sizeof text, "(more errors left out)");
    if ((priv->errors[priv->error_count] = strdup(text)))
        priv->error_count++;
    return -1;
}

/* Each public call that can fail starts with s_begin and ends with s_end. */
static void s_begin(config_t *self)
{
    s_priv(self)->call_errors = 0;
}

static int s_end(config_t *self)
{
    return s_priv(self)->call_errors ? -1 : 0;
}

static const s_key_t *s_key(const char *name)
{
    for (size_t i = 0; i < S_KEY_COUNT; i++)
        if (strcmp(s_keys[i].name, name) == 0)
            return &s_keys[i];
    return NULL;
}

static const f_section_t *s_section_decl(const char *name)
{
    for (size_t i = 0; i < F_SECTION_COUNT; i++)
        if (strcmp(s_sections[i].name, name) == 0)
            return &s_sections[i];
    return NULL;
}

/* A value fit for an error message: at most 40 bytes (whole UTF-8 characters), control
 * characters as '?', "..." if cut. */
static const char *s_shown(const char *value, char out[48])
{
    size_t n = strlen(value), max = 40;
    bool cut = n > max;
    if (cut)
        for (n = max; n > 0 && ((unsigned char)value[n] & 0xC0) == 0x80; n--)
            ;
    for (size_t i = 0; i < n; i++)
        out[i] = iscntrl((unsigned char)value[i]) ? '?' : value[i];
    snprintf(out + n, 48 - n, "%s", cut ? "..." : "");
    return out;
}

int config_parse_duration(const char *text, long *ms)
{
    static const struct {
        const char *unit;
        long ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
    if (!text || !isdigit((unsigned char)*text))
        return -1;
    char *end = NULL;
    errno = 0;
    long n = strtol(text, &end, 10);
    if (errno || n <= 0 || n > 366L * 86400000)
        return -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].unit) == 0) {
            if (n > 366L * 86400000 / units[i].ms)
                return -1;
            *ms = n * units[i].ms;
            return 0;
        }
    return -1;
}

int config_parse_clock(const char *text, long *ms, int *wd)
{
    size_t len = text ? strlen(text) : 0;
    if (len > 2 && strcmp(text + len - 2, "wd") == 0) {
        if (!isdigit((unsigned char)*text) || strspn(text, "0123456789") != len - 2 || len > 6)
            return -1;
        long n = strtol(text, NULL, 10);
        if (n < 1 || n > CONFIG_WD_MAX)
            return -1;
        *wd = (int)n;
        *ms = 0;
        return 0;
    }
    long v = 0;
    if (config_parse_duration(text, &v) != 0)
        return -1;
    *ms = v;
    *wd = 0;
    return 0;
}

/* A clock as written: "5wd", or s_duration_text; "" when neither is set. */
static void s_duration_text(long ms, char *out, size_t size);
static void s_clock_text(long ms, int wd, char *out, size_t size)
{
    if (wd)
        snprintf(out, size, "%dwd", wd);
    else if (ms)
        s_duration_text(ms, out, size);
    else
        snprintf(out, size, "%s", "");
}

/* The largest whole unit: 90000 -> "90s", 7200000 -> "2h". */
static void s_duration_text(long ms, char *out, size_t size)
{
    static const struct {
        const char *unit;
        long ms;
    } units[] = {{"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ms > 0 && ms % units[i].ms == 0) {
            snprintf(out, size, "%ld%s", ms / units[i].ms, units[i].unit);
            return;
        }
    snprintf(out, size, "%ldms", ms);
}

/* Keys that were renamed: a file still using one gets told the new names. */
static const struct {
    const char *old;
    const char *now;
} s_renamed[] = {
    {"ladder.green_s", "ladder.green.ack and ladder.green.resolve"},
    {"ladder.blue_s", "ladder.blue.ack and ladder.blue.resolve"},
    {"ladder.yellow_s", "ladder.yellow.ack and ladder.yellow.resolve"},
    {"ladder.red_s", "ladder.red.ack and ladder.red.resolve"},
};

static const char *s_renamed_to(const char *name)
{
    for (size_t i = 0; i < sizeof s_renamed / sizeof s_renamed[0]; i++)
        if (strcmp(s_renamed[i].old, name) == 0)
            return s_renamed[i].now;
    return NULL;
}

/* Sets one scalar from text; where is "file:line: " or "GRIDLINE_X: " for messages. */
static int s_set(config_t *self, const s_key_t *key, const char *value, const char *where)
{
    void *field = (char *)self + key->offset;
    char shown[48];
    if (key->type == S_STRING) {
        if (strcmp(key->name, "log.level") == 0 && log_level_parse(value) < 0)
            return s_fail(self, "%s%s: \"%s\" is not one of debug, info, warn, error", where,
                          key->name, s_shown(value, shown));
        char *copy = strdup(value);
        if (!copy)
            return s_fail(self, "out of memory");
        free(*(char **)field);
        *(char **)field = copy;
        return 0;
    }
    if (key->type == S_BOOL) {
        static const char *const yes[] = {"on", "true", "yes", "1"}, *const no[] = {"off", "false",
                                                                                    "no", "0"};
        for (size_t i = 0; i < 4; i++)
            if (strcasecmp(value, yes[i]) == 0 || strcasecmp(value, no[i]) == 0) {
                *(int *)field = strcasecmp(value, yes[i]) == 0;
                return 0;
            }
        return s_fail(self, "%s%s: \"%s\" is not on or off", where, key->name,
                      s_shown(value, shown));
    }
    if (key->type == S_DURATION) {
        long ms = 0;
        bool zero =
            key->min == 1 && value[0] == '0' && (!value[1] || isalpha((unsigned char)value[1]));
        if (!zero && config_parse_duration(value, &ms) != 0)
            return s_fail(self,
                          "%s%s: \"%s\" is not a duration (a number and ms, s, m, h or d: "
                          "\"90s\", \"2h\"; at most 366d%s)",
                          where, key->name, s_shown(value, shown),
                          strstr(value, "wd") ? "; working days only for the ladder's clocks" : "");
        *(long *)field = ms;
        return 0;
    }
    if (key->type == S_CLOCK) {
        long ms = 0;
        int wd = 0;
        if (config_parse_clock(value, &ms, &wd) != 0)
            return s_fail(self,
                          "%s%s: \"%s\" is not a duration (a number and ms, s, m, h or d: "
                          "\"90s\", \"2h\"; at most 366d) or working days (\"5wd\", 1..%d)",
                          where, key->name, s_shown(value, shown), CONFIG_WD_MAX);
        *(long *)field = ms;
        *(int *)((char *)self + key->wd_offset) = wd;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    if (key->type == S_RATIO) {
        double r = strtod(value, &end);
        /* digits and one point only: no "nan", "inf", hex or exponents */
        if (!*value || *end || errno || strspn(value, "0123456789.") != strlen(value) ||
            !(r >= 0 && r <= 1))
            return s_fail(self, "%s%s: \"%s\" is not a number from 0 to 1", where, key->name,
                          s_shown(value, shown));
        *(double *)field = r;
        return 0;
    }
    long n = strtol(value, &end, 10);
    if (!*value || *end || errno || n < key->min || n > key->max) {
        if (key->type == S_LONG)
            return s_fail(self, "%s%s: \"%s\" is not an integer", where, key->name,
                          s_shown(value, shown));
        return s_fail(self, "%s%s: \"%s\" is not an integer (%ld..%ld)", where, key->name,
                      s_shown(value, shown), key->min, key->max);
    }
    if (key->type == S_INT)
        *(int *)field = (int)n;
    else
        *(long *)field = n;
    return 0;
}

static void s_free_section(config_t *self, const f_section_t *sec)
{
    char **items = (char **)((char *)self + sec->items_offset);
    size_t *count = (size_t *)((char *)self + sec->count_offset);
    for (size_t i = 0; *items && i < *count; i++)
        for (size_t f = 0; f < sec->field_count; f++)
            if (sec->fields[f].type == FT_STRING)
                free(*(char **)(*items + i * sec->elem_size + sec->fields[f].offset));
    free(*items);
    *items = NULL;
    *count = 0;
}

static void s_free(config_t *self)
{
    s_config_t *priv = s_priv(self);
    for (size_t i = 0; i < S_KEY_COUNT; i++)
        if (s_keys[i].type == S_STRING)
            free(*(char **)((char *)self + s_keys[i].offset));
    for (size_t i = 0; i < F_SECTION_COUNT; i++)
        s_free_section(self, &s_sections[i]);
    calendar_destroy(&self->calendar);
    for (size_t i = 0; i < priv->error_count; i++)
        free(priv->errors[i]);
    free(priv->errors);
    free(priv);
}

config_t *config_ref(config_t *self)
{
    if (self)
        atomic_fetch_add_explicit(&s_priv(self)->refs, 1, memory_order_relaxed);
    return self;
}

void config_release(config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    config_t *self = *self_p;
    *self_p = NULL;
    if (atomic_fetch_sub_explicit(&s_priv(self)->refs, 1, memory_order_acq_rel) == 1)
        s_free(self);
}

void config_destroy(config_t **self_p)
{
    config_release(self_p);
}

config_t *config_new(void)
{
    s_config_t *priv = calloc(1, sizeof *priv);
    if (!priv)
        return NULL;
    atomic_init(&priv->refs, 1);
    config_t *self = &priv->pub;
    for (size_t i = 0; i < S_KEY_COUNT; i++)
        if (s_set(self, &s_keys[i], s_keys[i].fallback, "") != 0)
            goto fail;
    if (config_load_string(self, s_default_yaml, "(built-in)") != 0)
        goto fail;
    return self;
fail:
    config_destroy(&self);
    return NULL;
}

const char *config_errstr(const config_t *self)
{
    return self->errstr;
}

const char *const *config_errors(const config_t *self, size_t *count)
{
    const s_config_t *priv = s_priv(self);
    if (count)
        *count = priv->error_count;
    return (const char *const *)priv->errors;
}

int config_load_calendar(config_t *self)
{
    s_begin(self);
    calendar_destroy(&self->calendar);
    if (!self->calendar_file || !*self->calendar_file)
        return 0;
    char err[400];
    self->calendar = calendar_load(self->calendar_file, err, sizeof err);
    if (!self->calendar)
        return s_fail(self, "calendar.file: %s", err);
    return s_end(self);
}

int config_set(config_t *self, const char *key, const char *value)
{
    s_begin(self);
    const s_key_t *k = s_key(key);
    if (!k)
        s_fail(self, "%s: unknown key", key);
    else
        s_set(self, k, value, "");
    return s_end(self);
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

/* Sets one field of an element from text; line and "section[i]" for messages. */
static int s_field(s_walk_t *w, const f_field_t *f, void *elem, const char *value, int line,
                   const char *at)
{
    config_t *self = w->self;
    void *target = (char *)elem + f->offset;
    char shown[48];
    if (f->type == FT_STRING) {
        size_t len = strlen(value);
        if (len > f->max_len)
            return s_fail(self, "%s:%d: %s.%s: \"%s\" is longer than %zu bytes", w->origin, line,
                          at, f->name, s_shown(value, shown), f->max_len);
        for (const char *c = value; *c; c++)
            if (iscntrl((unsigned char)*c))
                return s_fail(self, "%s:%d: %s.%s: \"%s\" contains a control character", w->origin,
                              line, at, f->name, s_shown(value, shown));
        const char *why = f->check ? f->check(value) : NULL;
        if (why)
            return s_fail(self, "%s:%d: %s.%s: \"%s\" %s", w->origin, line, at, f->name,
                          s_shown(value, shown), why);
        char *copy = strdup(value);
        if (!copy)
            return s_fail(self, "out of memory");
        free(*(char **)target);
        *(char **)target = copy;
    } else if (f->type == FT_INT) {
        char *end = NULL;
        errno = 0;
        long n = strtol(value, &end, 10);
        if (!*value || *end || errno || n < f->min || n > f->max)
            return s_fail(self, "%s:%d: %s.%s: \"%s\" is not an integer (%ld..%ld)", w->origin,
                          line, at, f->name, s_shown(value, shown), f->min, f->max);
        *(int *)target = (int)n;
    } else if (f->type == FT_DURATION) {
        long ms = 0;
        if (*value && config_parse_duration(value, &ms) != 0)
            return s_fail(self, "%s:%d: %s.%s: \"%s\" is not a duration (\"90s\", \"30m\", \"2h\")",
                          w->origin, line, at, f->name, s_shown(value, shown));
        *(long *)target = ms;
    } else if (f->type == FT_CLOCK) {
        long ms = 0;
        int wd = 0;
        if (*value && config_parse_clock(value, &ms, &wd) != 0)
            return s_fail(self,
                          "%s:%d: %s.%s: \"%s\" is not a duration (\"90s\", \"30m\", \"2h\") or "
                          "working days (\"5wd\", 1..%d)",
                          w->origin, line, at, f->name, s_shown(value, shown), CONFIG_WD_MAX);
        *(long *)target = ms;
        *(int *)((char *)elem + f->wd_offset) = wd;
    } else {
        static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no",
                                                                               "off"};
        int b = -1;
        for (size_t i = 0; i < 3; i++) {
            if (strcasecmp(value, yes[i]) == 0)
                b = 1;
            if (strcasecmp(value, no[i]) == 0)
                b = 0;
        }
        if (b < 0)
            return s_fail(self, "%s:%d: %s.%s: \"%s\" is not true or false", w->origin, line, at,
                          f->name, s_shown(value, shown));
        *(bool *)target = b == 1;
    }
    return 0;
}

/* One element of a list: every field checked; absent ones required or set to their default. */
static void s_element(s_walk_t *w, const f_section_t *sec, size_t index, yaml_node_t *item,
                      void *elem)
{
    config_t *self = w->self;
    char at[96];
    snprintf(at, sizeof at, "%s[%zu]", sec->name, index);
    uint64_t given = 0; /* bit f: field f was in the element (at most 64 fields) */
    if (item->type != YAML_MAPPING_NODE) {
        s_fail(self, "%s:%d: %s: must be a mapping", w->origin, s_line(item), at);
    } else {
        for (yaml_node_pair_t *p = item->data.mapping.pairs.start; p < item->data.mapping.pairs.top;
             p++) {
            yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
            yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
            if (k->type != YAML_SCALAR_NODE) {
                s_fail(self, "%s:%d: %s: keys must be plain names", w->origin, s_line(k), at);
                continue;
            }
            size_t f = 0;
            while (f < sec->field_count && strcmp(sec->fields[f].name, s_scalar(k)) != 0)
                f++;
            char shown[48];
            if (f == sec->field_count)
                s_fail(self, "%s:%d: %s.%s: unknown field", w->origin, s_line(k), at,
                       s_shown(s_scalar(k), shown));
            else if (given & (UINT64_C(1) << f))
                s_fail(self, "%s:%d: %s.%s: given twice", w->origin, s_line(k), at,
                       sec->fields[f].name);
            else if (v->type != YAML_SCALAR_NODE)
                s_fail(self, "%s:%d: %s.%s: must be a single value", w->origin, s_line(v), at,
                       sec->fields[f].name);
            else
                s_field(w, &sec->fields[f], elem, s_scalar(v), s_line(v), at);
            if (f < sec->field_count)
                given |= UINT64_C(1) << f;
        }
    }
    for (size_t f = 0; f < sec->field_count; f++) {
        const f_field_t *field = &sec->fields[f];
        if (given & (UINT64_C(1) << f))
            continue;
        if (field->required) {
            if (item->type == YAML_MAPPING_NODE)
                s_fail(self, "%s:%d: %s.%s: required", w->origin, s_line(item), at, field->name);
            continue;
        }
        const char *fallback = field->fallback              ? field->fallback
                               : field->type == FT_STRING   ? ""
                               : field->type == FT_INT      ? "0"
                               : field->type == FT_DURATION ? ""
                               : field->type == FT_CLOCK    ? ""
                                                            : "false";
        s_field(w, field, elem, fallback, s_line(item), at);
    }
    /* strings are never NULL, even after an error */
    for (size_t f = 0; f < sec->field_count; f++) {
        char **s = (char **)((char *)elem + sec->fields[f].offset);
        if (sec->fields[f].type == FT_STRING && !*s && !(*s = strdup("")))
            s_fail(self, "out of memory");
    }
}

/* An empty value (`key:`, `~`, `null`), which for a list means none. */
static bool s_null(const yaml_node_t *node)
{
    if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *v = s_scalar(node);
    return !*v || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
           strcmp(v, "NULL") == 0;
}

/* A list section (a sequence, or empty): replaces the one there was. */
static void s_section(s_walk_t *w, const f_section_t *sec, yaml_node_t *seq)
{
    config_t *self = w->self;
    size_t n = seq->type == YAML_SEQUENCE_NODE
                   ? (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start)
                   : 0;
    s_free_section(self, sec);
    char **items = (char **)((char *)self + sec->items_offset);
    size_t *count = (size_t *)((char *)self + sec->count_offset);
    if (!(*items = calloc(n ? n : 1, sec->elem_size))) {
        s_fail(self, "out of memory");
        return;
    }
    if (sec->field_count > 64) {
        s_fail(self, "%s: more than 64 fields declared", sec->name);
        return;
    }
    const f_field_t *unique = NULL;
    for (size_t f = 0; sec->unique && f < sec->field_count; f++)
        if (strcmp(sec->fields[f].name, sec->unique) == 0)
            unique = &sec->fields[f];
    for (size_t i = 0; i < n; i++) {
        char *elem = *items + i * sec->elem_size;
        yaml_node_t *item = yaml_document_get_node(w->doc, seq->data.sequence.items.start[i]);
        (*count)++;
        s_element(w, sec, i, item, elem);
        if (!unique)
            continue;
        const char *key = *(char **)(elem + unique->offset);
        for (size_t j = 0; *key && j < i; j++)
            if (strcmp(*(char **)(*items + j * sec->elem_size + unique->offset), key) == 0) {
                char shown[48];
                s_fail(self, "%s:%d: %s[%zu].%s: \"%s\" appears twice", w->origin, s_line(item),
                       sec->name, i, unique->name, s_shown(key, shown));
                break;
            }
    }
}

static void s_mapping(s_walk_t *w, const char *prefix, yaml_node_t *map)
{
    config_t *self = w->self;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
        if (k->type != YAML_SCALAR_NODE) {
            s_fail(self, "%s:%d: keys must be plain names", w->origin, s_line(k));
            continue;
        }
        char name[128];
        snprintf(name, sizeof name, "%s%s%s", prefix, *prefix ? "." : "", s_scalar(k));
        const f_section_t *sec = *prefix ? NULL : s_section_decl(name);
        if (sec && (v->type == YAML_SEQUENCE_NODE || s_null(v))) {
            s_section(w, sec, v);
        } else if (sec) {
            s_fail(self, "%s:%d: %s: must be a list (- {...} items, or [] for none)", w->origin,
                   s_line(v), name);
        } else if (v->type == YAML_MAPPING_NODE) {
            s_mapping(w, name, v);
        } else if (v->type == YAML_SEQUENCE_NODE) {
            s_fail(self, "%s:%d: %s: unknown key%s", w->origin, s_line(k), name,
                   *prefix ? "" : " (a list where none belongs)");
        } else {
            const s_key_t *key = s_key(name);
            if (!key) {
                const char *now = s_renamed_to(name);
                s_fail(self, "%s:%d: %s: unknown key%s%s", w->origin, s_line(k), name,
                       now ? "; it is now " : "", now ? now : "");
                continue;
            }
            char where[300];
            snprintf(where, sizeof where, "%s:%d: ", w->origin, s_line(v));
            s_set(self, key, s_scalar(v), where);
        }
    }
}

/* What one list says of another: a rule's category is in the catalogue, a directory entry's
 * department is one of the catalogue's (or "*"). */
static void s_cross_check(config_t *self, const char *origin)
{
    for (size_t i = 0; i < self->rule_count; i++)
        if (*self->rules[i].category && !config_category(self, self->rules[i].category))
            s_fail(self, "%s: rules[%zu].category: \"%s\" is not a category of the catalogue",
                   origin, i, self->rules[i].category);
    for (size_t i = 0; i < self->directory_count; i++) {
        const char *d = self->directory[i].department;
        if (*d && strcmp(d, "*") != 0 && !config_department_known(self, d))
            s_fail(self,
                   "%s: directory[%zu].department: \"%s\" is no category's department (or \"*\")",
                   origin, i, d);
    }
}

static void s_load(config_t *self, yaml_parser_t *parser, const char *origin)
{
    yaml_document_t doc;
    if (!yaml_parser_load(parser, &doc)) {
        s_fail(self, "%s:%zu: YAML: %s %s", origin, parser->problem_mark.line + 1,
               parser->problem ? parser->problem : "parse error",
               parser->context ? parser->context : "");
        return;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root && root->type == YAML_MAPPING_NODE) {
        s_walk_t w = {self, &doc, origin};
        s_mapping(&w, "", root);
        s_cross_check(self, origin);
    } else if (root && !(root->type == YAML_SCALAR_NODE && !*s_scalar(root))) {
        s_fail(self, "%s:%d: the configuration must be a mapping of keys", origin, s_line(root));
    }
    yaml_document_delete(&doc);
}

int config_load_string(config_t *self, const char *yaml, const char *origin)
{
    s_begin(self);
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return s_fail(self, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, strlen(yaml));
    s_load(self, &parser, origin ? origin : "(string)");
    yaml_parser_delete(&parser);
    return s_end(self);
}

int config_load_file(config_t *self, const char *path)
{
    s_begin(self);
    FILE *file = fopen(path, "rb");
    if (!file)
        return s_fail(self, "%s: %s", path, strerror(errno));
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        fclose(file);
        return s_fail(self, "out of memory");
    }
    yaml_parser_set_input_file(&parser, file);
    s_load(self, &parser, path);
    yaml_parser_delete(&parser);
    fclose(file);
    return s_end(self);
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
    s_begin(self);
    for (char *const *e = envp; e && *e; e++) {
        if (strncmp(*e, "GRIDLINE_", 9) != 0)
            continue;
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        size_t len = (size_t)(eq - *e);
        if ((len == strlen("GRIDLINE_CONFIG") && strncmp(*e, "GRIDLINE_CONFIG", len) == 0) ||
            (len == strlen("GRIDLINE_TOKEN") && strncmp(*e, "GRIDLINE_TOKEN", len) == 0))
            continue;
        const s_key_t *found = NULL;
        char env[128];
        for (size_t i = 0; i < S_KEY_COUNT && !found; i++) {
            s_env_name(s_keys[i].name, env, sizeof env);
            if (strlen(env) == len && strncmp(env, *e, len) == 0)
                found = &s_keys[i];
        }
        if (!found) {
            s_fail(self, "%.*s: unknown variable (see --help for the keys)", (int)len, *e);
            continue;
        }
        char where[160];
        snprintf(where, sizeof where, "%.*s: ", (int)len, *e);
        s_set(self, found, eq + 1, where);
    }
    return s_end(self);
}

int config_check(const char *path, char *const *envp, FILE *out, FILE *err)
{
    config_t *self = config_new();
    if (!self) {
        fprintf(err, "out of memory\n");
        return -1;
    }
    if (path && *path)
        config_load_file(self, path);
    config_apply_env(self, envp);
    config_load_calendar(self);
    size_t count = 0;
    const char *const *errors = config_errors(self, &count);
    for (size_t i = 0; i < count; i++)
        fprintf(err, "%s\n", errors[i]);
    const char *name = path && *path ? path : "(defaults)";
    if (count)
        fprintf(err, "%s: %zu error%s\n", name, count, count == 1 ? "" : "s");
    else
        fprintf(out, "%s: ok\n", name);
    config_destroy(&self);
    return count ? -1 : 0;
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
    } else if (key->type == S_DURATION) {
        s_duration_text(*(const long *)field, out, size);
    } else if (key->type == S_CLOCK) {
        s_clock_text(*(const long *)field, *(const int *)((const char *)self + key->wd_offset), out,
                     size);
    } else if (key->type == S_BOOL) {
        snprintf(out, size, "%s", *(const int *)field ? "on" : "off");
    } else if (key->type == S_RATIO) {
        snprintf(out, size, "%.15g", *(const double *)field);
    } else {
        snprintf(out, size, "%ld", *(const long *)field);
    }
}

/* A YAML double-quoted string. */
static void s_print_quoted(const char *v, FILE *out)
{
    fputc('"', out);
    for (; *v; v++) {
        if (*v == '"' || *v == '\\')
            fputc('\\', out);
        fputc(*v, out);
    }
    fputc('"', out);
}

void config_print(const config_t *self, FILE *out)
{
    char value[512];
    for (size_t i = 0; i < S_KEY_COUNT; i++) {
        s_value(self, &s_keys[i], value, sizeof value);
        fprintf(out, "%s = %s\n", s_keys[i].name, value);
    }
    for (size_t s = 0; s < F_SECTION_COUNT; s++) {
        const f_section_t *sec = &s_sections[s];
        const char *items = *(char *const *)((const char *)self + sec->items_offset);
        size_t count = *(const size_t *)((const char *)self + sec->count_offset);
        fprintf(out, "%s:\n", sec->name);
        for (size_t i = 0; i < count; i++) {
            const char *elem = items + i * sec->elem_size;
            fprintf(out, "  - {");
            for (size_t f = 0; f < sec->field_count; f++) {
                const f_field_t *field = &sec->fields[f];
                const void *v = elem + field->offset;
                fprintf(out, "%s%s: ", f ? ", " : "", field->name);
                if (field->type == FT_INT)
                    fprintf(out, "%d", *(const int *)v);
                else if (field->type == FT_DURATION) {
                    char d[32];
                    s_duration_text(*(const long *)v, d, sizeof d);
                    fprintf(out, "%s", *(const long *)v ? d : "\"\"");
                } else if (field->type == FT_CLOCK) {
                    char d[32];
                    s_clock_text(*(const long *)v, *(const int *)(elem + field->wd_offset), d,
                                 sizeof d);
                    fprintf(out, "%s", *d ? d : "\"\"");
                } else if (field->type == FT_BOOL)
                    fprintf(out, "%s", *(const bool *)v ? "true" : "false");
                else if (field->secret && **(char *const *)v)
                    fprintf(out, "\"***\"");
                else if (field->url) {
                    /* WeCom's key= and DingTalk's access_token= are credentials */
                    char shown[2100];
                    url_redact(*(char *const *)v, shown, sizeof shown);
                    s_print_quoted(shown, out);
                } else
                    s_print_quoted(*(char *const *)v, out);
            }
            fprintf(out, "}\n");
        }
    }
}

void config_print_help(FILE *out)
{
    char env[128];
    for (size_t i = 0; i < S_KEY_COUNT; i++) {
        s_env_name(s_keys[i].name, env, sizeof env);
        fprintf(out, "  %-26s %-36s default %-22s %s\n", s_keys[i].name, env,
                *s_keys[i].fallback ? s_keys[i].fallback : "\"\"", s_keys[i].help);
    }
    fprintf(out, "  Lists (file only; * = required; see config/demo.yaml):\n");
    for (size_t s = 0; s < F_SECTION_COUNT; s++) {
        fprintf(out, "    %s: - {", s_sections[s].name);
        for (size_t f = 0; f < s_sections[s].field_count; f++)
            fprintf(out, "%s%s%s", f ? ", " : "", s_sections[s].fields[f].name,
                    s_sections[s].fields[f].required ? "*" : "");
        fprintf(out, "}\n");
    }
}

bool config_department_known(const config_t *self, const char *department)
{
    for (size_t i = 0; i < self->category_count; i++)
        if (strcmp(self->categories[i].department, department) == 0)
            return true;
    return false;
}

const config_category_t *config_category(const config_t *self, const char *name)
{
    for (size_t i = 0; i < self->category_count; i++)
        if (strcmp(self->categories[i].name, name) == 0)
            return &self->categories[i];
    return NULL;
}

/* ---- the current snapshot ------------------------------------------------------------- */

/* A mutex, not a bare atomic pointer: taking a reference has to happen before a concurrent
 * swap can drop the slot's own, and the critical sections are a few instructions. */
struct config_slot {
    pthread_mutex_t lock;
    config_t *current;
};

config_slot_t *config_slot_new(config_t *cfg)
{
    config_slot_t *self = calloc(1, sizeof *self);
    if (!self || pthread_mutex_init(&self->lock, NULL) != 0) {
        free(self);
        config_release(&cfg);
        return NULL;
    }
    self->current = cfg;
    return self;
}

config_t *config_slot_get(config_slot_t *self)
{
    pthread_mutex_lock(&self->lock);
    config_t *cfg = config_ref(self->current);
    pthread_mutex_unlock(&self->lock);
    return cfg;
}

void config_slot_swap(config_slot_t *self, config_t *cfg)
{
    pthread_mutex_lock(&self->lock);
    config_t *old = self->current;
    self->current = cfg;
    pthread_mutex_unlock(&self->lock);
    config_release(&old); /* outside the lock: freeing may take a while */
}

void config_slot_destroy(config_slot_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    config_slot_t *self = *self_p;
    config_release(&self->current);
    pthread_mutex_destroy(&self->lock);
    free(self);
    *self_p = NULL;
}
