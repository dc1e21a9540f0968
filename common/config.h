/* config: the configuration of every gridline process.
 *
 * All scalar keys are declared in one table in config.c (name, type, bounds, default, help).
 * They are read from a YAML file (nested `redis: {port: 6390}` or dotted `redis.port: 6390`),
 * then from the environment: GRIDLINE_<KEY> with dots as underscores (GRIDLINE_REDIS_PORT).
 * Environment beats file beats default. Anything unknown or out of range is refused, naming
 * the origin, the line and the key.
 *
 * Clocks of the ladder (and a category's) may be in working days ("5wd"): config_parse_clock,
 * calendar.file, config_load_calendar.
 *
 * Lists (categories, directory, subscriptions) are declared in a second table in config.c:
 * the section name, the element struct, and per field its name, type, whether it is required,
 * its longest length and a validator. Every element is checked field by field; an unknown field
 * is refused like an unknown key. A section given in a file replaces the default one. A new
 * list is: its element struct and the array + count below, and a few lines of declaration.
 *
 * Errors: loading does not stop at the first one. Every call (config_load_*, config_apply_env,
 * config_set) returns -1 if it found any; config_errors lists all of them ("file:line: key:
 * message", in order, across calls) and config_errstr gives the first of the last failing call.
 *
 * Lifetime: a config is built by one thread (config_new, then load / apply_env / set), and from
 * then on it is an immutable snapshot: nothing modifies it. Threads share it by reference
 * (config_ref / config_release, an atomic count; the last release frees it). A config_slot_t
 * holds the current snapshot: readers take a reference with config_slot_get and keep using that
 * snapshot for as long as they hold it; a reload builds a new config and config_slot_swap
 * replaces the snapshot whole, so a reader never sees half of an old and half of a new one. */
#ifndef GRIDLINE_CONFIG_H
#define GRIDLINE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "calendar.h"

/* The ladder's clocks (ladder.<level>.ack / .resolve, and a category's ack / resolve) are
 * written either as a duration ("30m", "2h", "1d": around the clock) or in working days
 * ("5wd": calendar.h). Each is two fields: <clock>_ms and <clock>_wd, at most one of them
 * non-zero. routing_deadlines turns them into deadlines. */
#define CONFIG_WD_MAX 250 /* about a year of working days */

typedef struct {
    char *name;       /* "heating" */
    char *department; /* "heating" */
    char *label;      /* "供暖" */
    long ack_ms;      /* 0 and ack_wd 0: the ladder's; else the acknowledge clock at every level */
    int ack_wd;       /* working days */
    long resolve_ms;  /* 0 and resolve_wd 0: the ladder's; else the resolve clock at every level */
    int resolve_wd;
} config_category_t;

typedef struct {
    char *department; /* a department of the catalogue, or "*" for every department */
    char *level;      /* green | blue | yellow | red */
    char *region;     /* code prefix; "" = everywhere */
    char *assignee;
    /* where alerts naming this owner go as well (the notifier); "" = nowhere */
    char *target;        /* webhook | wecom | dingtalk | alertmanager ("" with a url: webhook) */
    char *target_url;    /* http(s) */
    char *target_secret; /* HMAC key (webhook, DingTalk) */
} config_directory_entry_t;

/* An API token of the configuration: only its SHA-256 is written down (auth.h). */
typedef struct {
    char *name;     /* [A-Za-z0-9._-]{1,64}: recorded on every event it causes */
    char *sha256;   /* lowercase hex of SHA-256(secret) */
    char *channels; /* "hotline|wechat"; "" = every channel */
    char *region;   /* code prefix; "" = everywhere */
    char *actions;  /* "acknowledge|resolve"; "*" = every action; "" = none */
    bool contacts;  /* may read residents' contacts */
    int rate;       /* requests per second; 0: auth.rate */
} config_token_t;

/* A routing rule: every condition given must hold; the first matching rule wins. */
typedef struct {
    char *keywords; /* "停电|断电": any of them in the title or the description; "" = any */
    char *channel;  /* "" = any */
    char *region;   /* code prefix; "" = everywhere */
    char *category; /* the category the appeal gets */
    char *level;    /* "" = green: where the appeal starts */
} config_rule_t;

/* The ladder's levels 1..4 (green..red), index 0 unused. */
#define CONFIG_LEVELS 5

typedef struct {
    char *name;   /* [A-Za-z0-9._-]{1,64}: goes into a header and a delivery id as is */
    char *region; /* code prefix; "" = everywhere */
    char *url;    /* http:// or https:// */
    char *secret;
} config_subscription_t;

typedef struct config {
    char *instance;
    char *log_level;
    char *bind_host;
    char *regions_file;
    char *redis_host;
    int redis_port;
    char *redis_password;
    int redis_timeout_ms;
    int intake_http_port;
    int intake_gateway_port;
    int intake_max_body;
    int intake_max_batch_body;
    int intake_max_batch_lines;
    int intake_idempotency_ttl_s;
    int intake_http_threads;
    char *intake_bbox; /* "min_lon,min_lat,max_lon,max_lat": where coordinates may lie */
    int router_http_port;
    char *router_endpoint;
    int notifier_http_port;
    char *notifier_endpoint;
    int notifier_timeout_ms;
    int notifier_max_in_flight;  /* POSTs at once, every receiver together */
    int notifier_max_per_host;   /* POSTs at once to one host */
    long notifier_retry_base_ms; /* first retry after about this (doubling, with jitter) */
    long notifier_retry_max_ms;  /* retries at most this far apart */
    long notifier_max_age_ms;    /* a delivery failing this long goes to the dead letters */
    int notifier_group_max;      /* alerts in one grouped message at most */
    long notifier_alertmanager_repeat_ms; /* an open appeal's alert posted again; 0: never */
    long notifier_stream_heartbeat_ms;    /* GET /v1/stream: a comment line this often */
    char *notifier_cors_origin; /* Access-Control-Allow-Origin of /v1/stream; "": none sent */
    int aggregator_http_port;
    char *aggregator_endpoint;
    char *aggregator_dashboard_dir;       /* GET /dashboard/<file> reads <file> here */
    int rankings_flags;                   /* GET /v1/rankings: red flags and snails, each */
    int rankings_min_appeals;             /* fewer appeals in the period: unranked */
    double rankings_threshold_response;   /* lagging below this (0..1; 0: never) */
    double rankings_threshold_resolution; /* the same for the resolution rate */
    double rankings_threshold_satisfaction;
    double rankings_threshold_on_time;
    int outbox_resend_after_ms;
    int outbox_sweep_interval_ms;
    int outbox_batch;
    long ladder_ack_ms[CONFIG_LEVELS];     /* by level (1 green .. 4 red); 0 if in working days */
    int ladder_ack_wd[CONFIG_LEVELS];      /* working days; 0 if in ms */
    long ladder_resolve_ms[CONFIG_LEVELS]; /* by level */
    int ladder_resolve_wd[CONFIG_LEVELS];
    long ladder_remind_ms;      /* ladder.red.remind */
    long ladder_warn_before_ms; /* a warning (预警) this long before each clock; 0: none */
    long ladder_sign_ms[CONFIG_LEVELS]; /* sign-for (签收) within this; 0: no sign clock */
    int ladder_resolve_from_sign;       /* the resolve clock starts at sign-for, not assignment */
    long workorder_complex_ms[1]; /* a complex order's resolve clock (workorder.complex_resolve) */
    int workorder_complex_wd[1];  /* ... in working days (15wd by default) */
    char *calendar_file; /* calendar.file: holidays and make-up working days; "" = weekends only */
    int workorder_max_returns;         /* one more return climbs a level (returned_too_often) */
    int workorder_urge_escalate_after; /* the N-th urge climbs a level (urged); 0: never */
    long workorder_repeat_window_ms;   /* a call again within this urges the open order; 0 off */
    long callback_due_after_ms;        /* resolved this long ago: on GET /v1/callbacks/due */
    long callback_close_after_ms;      /* resolved this long with no feedback: closed; 0 never */
    long clock_offset_ms;
    int clock_tz_offset_min;
    int auth_required;   /* 0 / 1 */
    int auth_rate;       /* requests per second per token, all instances together; 0: no limit */
    char *allowed_hosts; /* "gridline.example|10.0.0.5"; "" = bind_host, localhost, 127.0.0.1 */
    char *open311_jurisdiction_id; /* "" = jurisdiction_id not checked */
    char *open311_channel;    /* channel of Open311 requests when the token has no single one */
    int open311_public_reads; /* 0 / 1: Open311 GETs readable without a token */

    config_category_t *categories;
    size_t category_count;
    config_directory_entry_t *directory;
    size_t directory_count;
    config_subscription_t *subscriptions;
    size_t subscription_count;
    config_rule_t *rules;
    size_t rule_count;
    config_token_t *tokens;
    size_t token_count;
    /* calendar.file as config_load_calendar read it; NULL: not loaded, or calendar.file "" */
    calendar_t *calendar;
    char errstr[512]; /* see config_errstr */
} config_t;

/* Every key at its default, and the built-in categories; one reference. NULL on OOM. */
config_t *config_new(void);
/* Another reference to self (NULL stays NULL); thread-safe. Returns self. */
config_t *config_ref(config_t *self);
/* Drops the reference *self_p and sets *self_p to NULL; the last one frees. Thread-safe. */
void config_release(config_t **self_p);
/* The same as config_release (kept for the callers that own the only reference). */
void config_destroy(config_t **self_p);

/* 0, or -1 with every error recorded (nothing half-applied is relied on: callers exit, or drop
 * the new config and keep the old snapshot). */
int config_load_file(config_t *self, const char *path);
int config_load_string(config_t *self, const char *yaml, const char *origin);
/* GRIDLINE_* variables of envp; unknown ones are an error, except GRIDLINE_CONFIG and
 * GRIDLINE_TOKEN (a client's token: gridctl's and loadgen's, never a service's). */
int config_apply_env(config_t *self, char *const *envp);
/* Loads calendar.file into self->calendar (after the file and the environment, which may name
 * it; "" = none). A file that cannot be read or parsed is an error like any other, naming its
 * line. Services, --check-config and --print-config call it; a config that never does has no
 * calendar (working days are then Monday..Friday). 0 / -1. */
int config_load_calendar(config_t *self);
/* One scalar by its dotted name, checked like the file. */
int config_set(config_t *self, const char *key, const char *value);
/* The first error of the last call that failed ("" if none did). */
const char *config_errstr(const config_t *self);
/* Every error recorded since config_new, in order; *count gets how many (at most 100: the
 * last then says that more were left out). The array lives as long as self. */
const char *const *config_errors(const config_t *self, size_t *count);
/* --check-config: the defaults, then the file at path (NULL or "": none), then the GRIDLINE_*
 * variables of envp. Prints every error to err, one a line, or "<path>: ok" to out. Starts
 * nothing. 0 if the configuration is valid, -1 if not. */
int config_check(const char *path, char *const *envp, FILE *out, FILE *err);
/* "key = value" for every scalar (password as ***), then the sections. */
void config_print(const config_t *self, FILE *out);
/* Every key with its variable, default and meaning, and the lists' fields (for --help). */
void config_print_help(FILE *out);
const config_category_t *config_category(const config_t *self, const char *name);
/* Whether some category names this department. */
bool config_department_known(const config_t *self, const char *department);
/* "500ms", "90s", "30m", "2h", "1d" into milliseconds (1 ms .. 366 days). 0 / -1. */
int config_parse_duration(const char *text, long *ms);
/* A clock: a duration (*ms set, *wd 0) or working days "5wd" (*wd 1..CONFIG_WD_MAX, *ms 0).
 * 0 / -1 (nothing set). */
int config_parse_clock(const char *text, long *ms, int *wd);

/* A holder of the current snapshot, shared by threads (a mutex guards the pointer). */
typedef struct config_slot config_slot_t;
/* Takes over the caller's reference to cfg (which may be NULL). NULL on OOM (cfg released). */
config_slot_t *config_slot_new(config_t *cfg);
/* A new reference to the current snapshot (release it with config_release), or NULL if none. */
config_t *config_slot_get(config_slot_t *self);
/* Makes cfg (the caller's reference, taken over) the current snapshot and drops the slot's
 * reference to the old one: readers still holding it keep it until they release it. */
void config_slot_swap(config_slot_t *self, config_t *cfg);
/* Drops the slot's reference and frees the slot; *self_p = NULL. */
void config_slot_destroy(config_slot_t **self_p);

#endif
