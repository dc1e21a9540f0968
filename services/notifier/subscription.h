/* subscription: who wants which alerts, where, and how they hear them.
 *
 * A subscription comes from the configuration ("subscriptions": name, region, url, secret) or
 * from POST /v1/subscriptions (then stored in Redis as the JSON subscription_json makes). Its
 * JSON:
 *   name              required  1..64 characters, no control characters
 *   region            required  a known division or grid code prefix ("" = everywhere)
 *   role              optional  a label shown in alerts (no effect on matching), <= 64
 *   min_level         optional  green (default), blue, yellow, red
 *   categories        optional  configured categories (default: every one)
 *   channels          optional  channels (default: every one)
 *   event_types       optional  lower-case event type names (default: assigned, escalated,
 *                               reopened, reminded)
 *   quiet_hours       optional  "22:00-07:00", local time: non-red alerts wait for the digest
 *   group_wait_s, group_interval_s  optional 0..3600 (0: no grouping)
 *   url (+ secret)    a signed webhook, or
 *   target            {type: webhook|wecom|dingtalk|alertmanager, url, secret}; both is an error
 * Anything else is refused, naming the field. */
#ifndef GRIDLINE_SUBSCRIPTION_H
#define GRIDLINE_SUBSCRIPTION_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "event.h"
#include "region.h"

#define SUBSCRIPTION_ID_MAX 65
#define SUBSCRIPTION_URL_MAX 2048

typedef struct {
    char id[SUBSCRIPTION_ID_MAX]; /* ASCII [A-Za-z0-9._-]: the config name, or "s" + 16 hex */
    char name[260];               /* 64 characters of UTF-8 at most */
    char region[16];
    char role[260];
    int min_level;        /* GRIDLINE__LEVEL__GREEN .. RED */
    char *categories;     /* "|heating|water|", or NULL: every one */
    char *channels;       /* "|hotline|web|", or NULL: every one */
    uint64_t event_types; /* bit t set: event type t alerts */
    int quiet_from_min;   /* minutes of the local day; -1: no quiet hours */
    int quiet_to_min;
    int group_wait_s;
    int group_interval_s;
    char target[16]; /* webhook, wecom, dingtalk, alertmanager */
    char url[SUBSCRIPTION_URL_MAX];
    char secret[260];
    bool from_config;
    char assignee[260]; /* a directory entry's target: only alerts naming this owner ("" none) */
} subscription_t;

typedef struct {
    char field[64];
    char message[256];
} subscription_error_t;

/* From an API body or a stored entry (id taken from "id" when given, else left empty).
 * 0, or -1 with err filled (sub left clean: subscription_fini is still safe). */
int subscription_parse(subscription_t *sub, json_t *body, const config_t *config,
                       const region_table_t *regions, subscription_error_t *err);
/* From a configuration entry: its name is its id; defaults for the rest. 0 or -1 (OOM). */
int subscription_from_config(subscription_t *sub, const config_subscription_t *entry);
/* From a directory entry with a target (its id "dir.<entry id>"): alerts naming its owner, any
 * region. 0 or -1 (no target). */
int subscription_from_directory(subscription_t *sub, const char *entry_id,
                                const config_directory_entry_t *entry, bool from_config);
void subscription_fini(subscription_t *sub);
/* Its JSON; the secret is shown as "***" unless show_secret (the stored form keeps it), and
 * URLs as scheme://host/path unless show_secret. */
json_t *subscription_json(const subscription_t *sub, bool show_secret);
/* Whether the event alerts this subscription (region prefix, level, category, channel, type).
 * An Alertmanager target also hears of resolved and closed appeals (to end its alert). */
bool subscription_matches(const subscription_t *sub, const Gridline__Event *event);
/* Whether local minute of day m (0..1439) lies in the quiet hours. */
bool subscription_quiet_at(const subscription_t *sub, int minute_of_day);
/* When an alert at level may go to sub, now_ms being now and the local time UTC + tz_offset_min:
 * 0 at once (red always; no grouping and no quiet hours), else not before this (the end of the
 * quiet hours, now + group wait: the later). */
int64_t subscription_hold(const subscription_t *sub, Gridline__Level level, int64_t now_ms,
                          int tz_offset_min);
/* A fresh id: "s" + 16 random hex digits. */
void subscription_new_id(char out[SUBSCRIPTION_ID_MAX]);
/* Whether text is an acceptable id: 1..64 of [A-Za-z0-9._-]. */
bool subscription_id_valid(const char *id);

#endif
