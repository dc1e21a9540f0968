#include "appeal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "pending.h"
#include "scripts.h"

/* ---- the ladder ------------------------------------------------------------------------ */

static const appeal_level_t s_levels[] = {
    {GRIDLINE__LEVEL__LEVEL_GREEN, "green", "绿", "grid worker or party representative"},
    {GRIDLINE__LEVEL__LEVEL_BLUE, "blue", "蓝", "village or community party branch"},
    {GRIDLINE__LEVEL__LEVEL_YELLOW, "yellow", "黄", "township or street committee"},
    {GRIDLINE__LEVEL__LEVEL_RED, "red", "红", "county or banner committee (supervision list)"},
};
#define S_LEVELS (sizeof s_levels / sizeof s_levels[0])

const appeal_level_t *appeal_level(Gridline__Level level)
{
    for (size_t i = 0; i < S_LEVELS; i++)
        if (s_levels[i].level == level)
            return &s_levels[i];
    return NULL;
}

Gridline__Level appeal_level_parse(const char *name)
{
    for (size_t i = 0; name && i < S_LEVELS; i++)
        if (strcmp(s_levels[i].name, name) == 0)
            return s_levels[i].level;
    return GRIDLINE__LEVEL__LEVEL_UNSET;
}

Gridline__Level appeal_level_next(Gridline__Level level)
{
    if (level < GRIDLINE__LEVEL__LEVEL_GREEN)
        return GRIDLINE__LEVEL__LEVEL_GREEN;
    return level >= GRIDLINE__LEVEL__LEVEL_RED ? GRIDLINE__LEVEL__LEVEL_RED : level + 1;
}

/* ---- statuses and transitions ---------------------------------------------------------- */

static const char *s_statuses[APPEAL_STATUS_COUNT] = {
    "collected", "assigned", "acknowledged", "resolved", "closed",
    "reopened",  "signed",   "returned",     "invalid",
};

#define S_BIT(s) (1u << (s))
/* working: with a unit that owes an answer; open: that, or back with the dispatcher */
#define S_WORKING                                                                                  \
    (S_BIT(APPEAL_ASSIGNED) | S_BIT(APPEAL_SIGNED) | S_BIT(APPEAL_ACKNOWLEDGED) |                  \
     S_BIT(APPEAL_REOPENED))
#define S_OPEN (S_WORKING | S_BIT(APPEAL_RETURNED))

/* One row per action: its name, the statuses it is allowed from, the status after, the event
 * it records. KEEP: the status does not change. */
#define S_KEEP APPEAL_STATUS_COUNT
static const struct {
    const char *name;
    unsigned from;
    appeal_status_t to;
    Gridline__EventType event;
} s_actions[APPEAL_ACTION_COUNT] = {
    [APPEAL_ASSIGN] = {"assign", S_BIT(APPEAL_COLLECTED), APPEAL_ASSIGNED,
                       GRIDLINE__EVENT_TYPE__EVENT_ASSIGNED},
    [APPEAL_ACKNOWLEDGE] = {"acknowledge",
                            S_BIT(APPEAL_ASSIGNED) | S_BIT(APPEAL_REOPENED) | S_BIT(APPEAL_SIGNED),
                            APPEAL_ACKNOWLEDGED, GRIDLINE__EVENT_TYPE__EVENT_ACKNOWLEDGED},
    [APPEAL_RESOLVE] = {"resolve", S_WORKING, APPEAL_RESOLVED,
                        GRIDLINE__EVENT_TYPE__EVENT_RESOLVED},
    [APPEAL_FEEDBACK_GOOD] = {"feedback", S_BIT(APPEAL_RESOLVED), APPEAL_CLOSED,
                              GRIDLINE__EVENT_TYPE__EVENT_CLOSED},
    [APPEAL_FEEDBACK_BAD] = {"feedback", S_BIT(APPEAL_RESOLVED), APPEAL_REOPENED,
                             GRIDLINE__EVENT_TYPE__EVENT_REOPENED},
    [APPEAL_ESCALATE] = {"escalate", S_OPEN, APPEAL_ASSIGNED,
                         GRIDLINE__EVENT_TYPE__EVENT_ESCALATED},
    [APPEAL_TRANSFER] = {"transfer", S_WORKING, APPEAL_ASSIGNED,
                         GRIDLINE__EVENT_TYPE__EVENT_TRANSFERRED},
    [APPEAL_REMIND] = {"remind", S_OPEN, S_KEEP, GRIDLINE__EVENT_TYPE__EVENT_REMINDED},
    [APPEAL_SIGN] = {"sign", S_BIT(APPEAL_ASSIGNED) | S_BIT(APPEAL_REOPENED), APPEAL_SIGNED,
                     GRIDLINE__EVENT_TYPE__EVENT_SIGNED},
    [APPEAL_RETURN] = {"return",
                       S_BIT(APPEAL_ASSIGNED) | S_BIT(APPEAL_SIGNED) | S_BIT(APPEAL_ACKNOWLEDGED),
                       APPEAL_RETURNED, GRIDLINE__EVENT_TYPE__EVENT_RETURNED},
    [APPEAL_REASSIGN] = {"reassign", S_BIT(APPEAL_RETURNED), APPEAL_ASSIGNED,
                         GRIDLINE__EVENT_TYPE__EVENT_REASSIGNED},
    [APPEAL_ARBITRATE] = {"arbitrate", S_BIT(APPEAL_RETURNED), APPEAL_ASSIGNED,
                          GRIDLINE__EVENT_TYPE__EVENT_ARBITRATED},
    [APPEAL_REQUEST_EXTENSION] = {"request_extension", S_OPEN, S_KEEP,
                                  GRIDLINE__EVENT_TYPE__EVENT_EXTENSION_REQUESTED},
    [APPEAL_GRANT_EXTENSION] = {"grant_extension", S_OPEN, S_KEEP,
                                GRIDLINE__EVENT_TYPE__EVENT_EXTENSION_GRANTED},
    [APPEAL_REFUSE_EXTENSION] = {"refuse_extension", S_OPEN, S_KEEP,
                                 GRIDLINE__EVENT_TYPE__EVENT_EXTENSION_REFUSED},
    [APPEAL_URGE] = {"urge", S_OPEN, S_KEEP, GRIDLINE__EVENT_TYPE__EVENT_URGED},
    [APPEAL_INVALIDATE] = {"invalidate", S_OPEN, APPEAL_INVALID,
                           GRIDLINE__EVENT_TYPE__EVENT_INVALIDATED},
    [APPEAL_CLOSE_NO_FEEDBACK] = {"close_no_feedback", S_BIT(APPEAL_RESOLVED), APPEAL_CLOSED,
                                  GRIDLINE__EVENT_TYPE__EVENT_CLOSED},
    [APPEAL_WARN] = {"warn", S_OPEN, S_KEEP, GRIDLINE__EVENT_TYPE__EVENT_WARNED},
};

const char *appeal_status_name(appeal_status_t status)
{
    return status < APPEAL_STATUS_COUNT ? s_statuses[status] : "unknown";
}

bool appeal_channel_known(const char *channel)
{
    static const char *const channels[] = {"hotline", "wechat",  "web",      "app",
                                           "visit",   "meeting", "petition", "camera"};
    for (size_t i = 0; i < sizeof channels / sizeof channels[0]; i++)
        if (strcmp(channel, channels[i]) == 0)
            return true;
    return false;
}

int appeal_status_parse(const char *name)
{
    for (int i = 0; name && i < APPEAL_STATUS_COUNT; i++)
        if (strcmp(s_statuses[i], name) == 0)
            return i;
    return -1;
}

const char *appeal_action_name(appeal_action_t action)
{
    return action < APPEAL_ACTION_COUNT ? s_actions[action].name : "unknown";
}

int appeal_action_parse(const char *name)
{
    for (int i = 0; name && i < APPEAL_ACTION_COUNT; i++)
        if (strcmp(s_actions[i].name, name) == 0)
            return i;
    return -1;
}

bool appeal_status_open(appeal_status_t status)
{
    return status < APPEAL_STATUS_COUNT && (S_OPEN & S_BIT(status)) != 0;
}

int appeal_transition(appeal_status_t status, Gridline__Level level, appeal_action_t action,
                      appeal_status_t *next)
{
    if (status >= APPEAL_STATUS_COUNT || action >= APPEAL_ACTION_COUNT ||
        !(s_actions[action].from & S_BIT(status)))
        return -1;
    if (action == APPEAL_ESCALATE && level >= GRIDLINE__LEVEL__LEVEL_RED)
        return -1;
    if (action == APPEAL_REMIND && level < GRIDLINE__LEVEL__LEVEL_RED)
        return -1;
    *next = s_actions[action].to == S_KEEP ? status : s_actions[action].to;
    return 0;
}

Gridline__EventType appeal_action_event(appeal_action_t action)
{
    return action < APPEAL_ACTION_COUNT ? s_actions[action].event
                                        : GRIDLINE__EVENT_TYPE__EVENT_UNSET;
}

bool appeal_field_is_integer(const char *field)
{
    static const char *integers[] = {APPEAL_F_SEQ,
                                     APPEAL_F_CREATED_AT_MS,
                                     APPEAL_F_OCCURRED_AT_MS,
                                     APPEAL_F_ACK_DEADLINE_MS,
                                     APPEAL_F_RESOLVE_DEADLINE_MS,
                                     APPEAL_F_ASSIGNED_AT_MS,
                                     APPEAL_F_FIRST_ACK_DEADLINE_MS,
                                     APPEAL_F_FIRST_RESOLVE_DEADLINE_MS,
                                     APPEAL_F_RETURNS,
                                     APPEAL_F_EXTENSION_UNTIL_MS,
                                     APPEAL_F_URGES,
                                     APPEAL_F_ACKNOWLEDGED_AT_MS,
                                     APPEAL_F_RESOLVED_AT_MS};
    for (size_t i = 0; i < sizeof integers / sizeof integers[0]; i++)
        if (strcmp(field, integers[i]) == 0)
            return true;
    return false;
}

const char *const appeal_state_fields[APPEAL_STATE_FIELDS] = {APPEAL_F_SEQ,
                                                              APPEAL_F_STATUS,
                                                              APPEAL_F_LEVEL,
                                                              APPEAL_F_REGION,
                                                              APPEAL_F_CHANNEL,
                                                              APPEAL_F_CATEGORY,
                                                              APPEAL_F_DEPARTMENT,
                                                              APPEAL_F_ASSIGNEE,
                                                              APPEAL_F_ACK_DEADLINE_MS,
                                                              APPEAL_F_RESOLVE_DEADLINE_MS,
                                                              APPEAL_F_ASSIGNED_AT_MS,
                                                              APPEAL_F_FIRST_ACK_DEADLINE_MS,
                                                              APPEAL_F_FIRST_RESOLVE_DEADLINE_MS,
                                                              APPEAL_F_RETURNS,
                                                              APPEAL_F_ARBITRATED,
                                                              APPEAL_F_EXTENSION_UNTIL_MS,
                                                              APPEAL_F_URGES};

int appeal_state_fill(appeal_state_t *st, const char *id, const redisReply *r)
{
    memset(st, 0, sizeof *st);
    snprintf(st->id, sizeof st->id, "%s", id);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != APPEAL_STATE_FIELDS)
        return -1;
    const char *v[APPEAL_STATE_FIELDS];
    for (size_t i = 0; i < APPEAL_STATE_FIELDS; i++)
        v[i] = r->element[i]->type == REDIS_REPLY_STRING ? r->element[i]->str : "";
    st->seq = (uint32_t)strtoul(v[0], NULL, 10);
    if (st->seq == 0)
        return -1;
    int status = appeal_status_parse(v[1]);
    st->status = status < 0 ? APPEAL_COLLECTED : (appeal_status_t)status;
    st->level = appeal_level_parse(v[2]);
    snprintf(st->region, sizeof st->region, "%s", v[3]);
    snprintf(st->channel, sizeof st->channel, "%s", v[4]);
    snprintf(st->category, sizeof st->category, "%s", v[5]);
    snprintf(st->department, sizeof st->department, "%s", v[6]);
    snprintf(st->assignee, sizeof st->assignee, "%s", v[7]);
    st->ack_deadline_ms = strtoll(v[8], NULL, 10);
    st->resolve_deadline_ms = strtoll(v[9], NULL, 10);
    st->assigned_at_ms = strtoll(v[10], NULL, 10);
    st->first_ack_deadline_ms = strtoll(v[11], NULL, 10);
    st->first_resolve_deadline_ms = strtoll(v[12], NULL, 10);
    st->returns = atoi(v[13]);
    snprintf(st->arbitrated, sizeof st->arbitrated, "%s", v[14]);
    st->extension_until_ms = strtoll(v[15], NULL, 10);
    st->urges = atoi(v[16]);
    return 0;
}

int appeal_state_append(rconn_t *redis, const char *id)
{
    char county[7], key[KEYS_MAX];
    if (keys_county_of_id(id, county) != 0)
        return -1;
    keys_appeal(key, county, id);
    const char *args[2 + APPEAL_STATE_FIELDS] = {"HMGET", key};
    for (size_t i = 0; i < APPEAL_STATE_FIELDS; i++)
        args[2 + i] = appeal_state_fields[i];
    return rconn_appendv(redis, 2 + APPEAL_STATE_FIELDS, args, NULL);
}

int appeal_state_read(rconn_t *redis, const char *id, appeal_state_t *state)
{
    if (appeal_state_append(redis, id) != 0)
        return -1;
    redisReply *r = rconn_reply(redis);
    if (!r)
        return -1;
    int rc = appeal_state_fill(state, id, r) == 0 ? 1 : 0;
    freeReplyObject(r);
    return rc;
}

/* ---- appeal_create --------------------------------------------------------------------- */

/* The collected event of a new appeal, packed without its id (the script writes field 1). */
static uint8_t *s_collected(const appeal_create_t *in, size_t *len)
{
    Gridline__Event event = GRIDLINE__EVENT__INIT;
    event.seq = 1;
    event.type = GRIDLINE__EVENT_TYPE__EVENT_COLLECTED;
    event.actor = "intake";
    event.token = (char *)(in->token ? in->token : "");
    event.at_ms = in->now_ms;
    event.region = in->appeal->region;
    event.channel = in->appeal->channel;
    event.category = in->appeal->category;
    event.level = in->start_level; /* where the router assigns it (a rule's), unset: green */
    if (in->submitted_category) {
        event.reason_code = "rule";
        event.reason = (char *)in->submitted_category;
    }
    return event_pack(&event, len);
}

/* One appeal's ARGV section: has-idem, fingerprint, has-ext, event, field count, fields. */
static void s_create_args(argv_t *a, const appeal_create_t *in, const uint8_t *event,
                          size_t event_len)
{
    const Gridline__Appeal *appeal = in->appeal;
    bool idem = in->idempotency_key && *in->idempotency_key;
    bool ext = appeal->external_id && *appeal->external_id;
    argv_add(a, idem ? "1" : "0");
    argv_add(a, in->fingerprint ? in->fingerprint : "");
    argv_add(a, ext ? "1" : "0");
    argv_addn(a, event, event_len);
    /* the repeat-call key (repeat:{C}:<phone>|<village>|<category>, "" none) and its TTL */
    bool repeat = in->repeat_window_ms > 0 && appeal->contact && appeal->contact->phone &&
                  *appeal->contact->phone;
    if (repeat)
        argv_addf(a, "repeat:{%.6s}:%s|%.12s|%s", appeal->region, appeal->contact->phone,
                  appeal->region, appeal->category);
    else
        argv_add(a, "");
    argv_add_int(a, repeat ? in->repeat_window_ms : 0);
    /* the field/value pairs that follow (the same conditions as below) */
    bool coords = appeal->location && (appeal->location->lat != 0 || appeal->location->lon != 0);
    bool address = appeal->location && appeal->location->address && *appeal->location->address;
    argv_add_int(a, 11 + (in->submitted_category ? 1 : 0) + (appeal->contact ? 3 : 0) +
                        (in->token ? 1 : 0) + (coords ? 2 : 0) + (address ? 1 : 0) +
                        (appeal->n_media_urls ? 1 : 0));
#define S_FIELD(name, value) (argv_add(a, name), argv_add(a, (value) ? (value) : ""))
    S_FIELD(APPEAL_F_CHANNEL, appeal->channel);
    S_FIELD(APPEAL_F_REGION, appeal->region);
    S_FIELD(APPEAL_F_GRID, appeal->grid);
    S_FIELD(APPEAL_F_CATEGORY, appeal->category);
    if (in->submitted_category)
        S_FIELD(APPEAL_F_SUBMITTED_CATEGORY, in->submitted_category);
    S_FIELD(APPEAL_F_TITLE, appeal->title);
    S_FIELD(APPEAL_F_DESCRIPTION, appeal->description);
    if (appeal->contact) {
        S_FIELD(APPEAL_F_REPORTER_NAME, appeal->contact->name);
        S_FIELD(APPEAL_F_REPORTER_PHONE, appeal->contact->phone);
        S_FIELD(APPEAL_F_REPORTER_EMAIL, appeal->contact->email);
    }
    if (in->token)
        S_FIELD(APPEAL_F_TOKEN, in->token);
    S_FIELD(APPEAL_F_EXTERNAL_ID, appeal->external_id);
    S_FIELD(APPEAL_F_IDEMPOTENCY_KEY, idem ? in->idempotency_key : "");
    argv_add(a, APPEAL_F_OCCURRED_AT_MS);
    argv_add_int(a, appeal->occurred_at_ms);
    argv_add(a, APPEAL_F_CREATED_AT_MS);
    argv_add_int(a, in->now_ms);
    S_FIELD(APPEAL_F_STATUS, appeal_status_name(APPEAL_COLLECTED));
    if (coords) {
        /* (0, 0) is "no coordinates" (an address alone): never a place in Inner Mongolia */
        argv_add(a, APPEAL_F_LAT);
        argv_addf(a, "%.6f", appeal->location->lat);
        argv_add(a, APPEAL_F_LON);
        argv_addf(a, "%.6f", appeal->location->lon);
    }
    if (address)
        S_FIELD(APPEAL_F_ADDRESS, appeal->location->address);
    if (appeal->n_media_urls) {
        /* one per line: the checks (rules_media_url) let no URL hold a line break */
        size_t len = 0;
        for (size_t i = 0; i < appeal->n_media_urls; i++)
            len += strlen(appeal->media_urls[i]) + 1;
        char *joined = malloc(len), *w = joined;
        argv_add(a, APPEAL_F_MEDIA_URLS);
        if (!joined) {
            argv_add(a, "");
        } else {
            for (size_t i = 0; i < appeal->n_media_urls; i++)
                w += sprintf(w, "%s%s", i ? "\n" : "", appeal->media_urls[i]);
            argv_add_copy(a, joined, (size_t)(w - joined));
            free(joined);
        }
    }
#undef S_FIELD
}

/* The KEYS and ARGV of one appeal_create call, into a (*nkeys: how many are KEYS), with the
 * pending-index marks of its outboxes appended. 0, or -1 (call freed). */
static int s_create_build(rconn_t *redis, const appeal_create_t *ins, size_t count,
                          appeal_create_call_t *call, argv_t *a, size_t *nkeys)
{
    memset(call, 0, sizeof *call);
    if (count == 0)
        return -1;
    const appeal_create_t *first = &ins[0];
    char county[7], day[9], prefix[32], seq_key[KEYS_MAX], outbox_keys[HOP_COUNT][KEYS_MAX];
    snprintf(county, sizeof county, "%.6s", first->appeal->region);
    clock_day(first->now_ms, day);
    snprintf(prefix, sizeof prefix, "%s-%s-", county, day);
    keys_seq(seq_key, county, day);
    size_t nout = first->outbox_count < HOP_COUNT ? first->outbox_count : HOP_COUNT;
    call->items = calloc(count, sizeof *call->items);
    call->count = call->items ? count : 0;
    char(*item_keys)[2][KEYS_MAX] = calloc(count, sizeof *item_keys);
    if (!call->items || !item_keys) {
        free(item_keys);
        appeal_create_call_fini(call);
        return -1;
    }
    /* KEYS: the day counter, the outboxes, each appeal's idempotency and external id keys */
    /* (copies: a outlives this frame) */
    argv_add_copy(a, seq_key, strlen(seq_key));
    for (size_t i = 0; i < nout; i++) {
        outbox_key(first->outboxes[i], county, outbox_keys[i]);
        argv_add_copy(a, outbox_keys[i], strlen(outbox_keys[i]));
    }
    for (size_t i = 0; i < count; i++) {
        const appeal_create_t *in = &ins[i];
        appeal_create_item_t *item = &call->items[i];
        item->event = s_collected(in, &item->event_len);
        if (!item->event)
            a->failed = 1;
        item->has_fingerprint = in->fingerprint != NULL;
        snprintf(item->fingerprint, sizeof item->fingerprint, "%s",
                 in->fingerprint ? in->fingerprint : "");
        bool idem = in->idempotency_key && *in->idempotency_key;
        bool ext = in->appeal->external_id && *in->appeal->external_id;
        if (idem)
            keys_idem(item_keys[i][0], county, in->idempotency_key);
        if (ext)
            keys_ext(item_keys[i][1], county, in->appeal->channel, in->appeal->external_id);
        argv_add_copy(a, idem ? item_keys[i][0] : seq_key,
                      strlen(idem ? item_keys[i][0] : seq_key));
        argv_add_copy(a, ext ? item_keys[i][1] : seq_key, strlen(ext ? item_keys[i][1] : seq_key));
    }
    free(item_keys);
    *nkeys = a->count;
    argv_addf(a, "%s", county);
    argv_addf(a, "%s", prefix);
    argv_add_int(a, first->idempotency_ttl_s);
    argv_add_int(a, first->resend_at_ms);
    argv_add_int(a, (long long)nout);
    argv_add_int(a, (long long)count);
    for (size_t i = 0; i < count && !a->failed; i++)
        s_create_args(a, &ins[i], call->items[i].event, call->items[i].event_len);
    for (size_t i = 0; i < nout; i++)
        if (outbox_mark(first->outboxes[i], redis, county, first->now_ms) != 0)
            a->failed = 1;
    if (a->failed) {
        appeal_create_call_fini(call);
        return -1;
    }
    return 0;
}
int appeal_create_append(rconn_t *redis, const appeal_create_t *ins, size_t count,
                         appeal_create_call_t *call)
{
    argv_t a;
    size_t nkeys = 0;
    argv_init(&a);
    int rc = s_create_build(redis, ins, count, call, &a, &nkeys);
    if (rc == 0)
        rc = rconn_append_eval(redis, &scripts_appeal_create, (int)nkeys, (int)a.count, a.args,
                               a.lens);
    argv_fini(&a);
    if (rc != 0)
        appeal_create_call_fini(call);
    return rc;
}

void appeal_create_call_fini(appeal_create_call_t *call)
{
    for (size_t i = 0; call->items && i < call->count; i++)
        free(call->items[i].event);
    free(call->items);
    call->items = NULL;
    call->count = 0;
}

/* The outcomes of a call from its reply r (NULL: none); frees r and the call. 0; -1 no
 * reply; -2 an error reply (logged) or a malformed one; -3 NOSCRIPT (the script did not run). */
static int s_create_parse(redisReply *r, appeal_create_call_t *call,
                          appeal_create_result_t *results, appeal_created_t *outs)
{
    size_t count = call->count;
    int rc = r ? 0 : -1;
    for (size_t i = 0; i < count; i++) {
        results[i] = APPEAL_UNAVAILABLE;
        memset(&outs[i], 0, sizeof outs[i]);
    }
    if (r && (r->type != REDIS_REPLY_ARRAY || r->elements != 2 * count)) {
        rc = r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0 ? -3 : -2;
        if (rc == -2)
            log_error("appeal_create failed", "error",
                      r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply", NULL);
    }
    if (rc != 0)
        goto done;
    for (size_t i = 0; i < count; i++) {
        redisReply *code = r->element[2 * i], *text = r->element[2 * i + 1];
        appeal_create_item_t *item = &call->items[i];
        appeal_created_t *out = &outs[i];
        if (code->type != REDIS_REPLY_INTEGER || text->type != REDIS_REPLY_STRING)
            continue;
        const char *value = text->str;
        switch (code->integer) {
        case 1: {
            /* the stored bytes: field 1 (the id) first, then the rest, as the script wrote them */
            size_t idlen = strlen(value);
            snprintf(out->id, sizeof out->id, "%s", value);
            results[i] = APPEAL_CREATED;
            out->event = malloc(2 + idlen + item->event_len);
            if (!out->event)
                break; /* created all the same: the outbox sweeper sends it */
            out->event[0] = 0x0A;
            out->event[1] = (uint8_t)idlen;
            memcpy(out->event + 2, value, idlen);
            memcpy(out->event + 2 + idlen, item->event, item->event_len);
            out->event_len = 2 + idlen + item->event_len;
            break;
        }
        case 2: {
            /* "<id>|<fingerprint>": the same key with another body is a client's mistake */
            const char *bar = strchr(value, '|');
            snprintf(out->id, sizeof out->id, "%.*s", bar ? (int)(bar - value) : 0, value);
            results[i] = bar && item->has_fingerprint && strcmp(bar + 1, item->fingerprint) == 0
                             ? APPEAL_REPLAYED
                             : APPEAL_KEY_REUSED;
            break;
        }
        case 3:
            snprintf(out->id, sizeof out->id, "%s", value);
            results[i] = APPEAL_DUPLICATE;
            break;
        case 5:
            snprintf(out->id, sizeof out->id, "%s", value);
            results[i] = APPEAL_REPEAT_CALL;
            break;
        default:
            log_error("no free appeal id: the county's day counter is far behind its appeals",
                      "prefix", value, NULL);
            results[i] = APPEAL_NO_FREE_ID;
            break;
        }
    }
done:
    if (r)
        freeReplyObject(r);
    appeal_create_call_fini(call);
    return rc;
}

int appeal_create_read(rconn_t *redis, appeal_create_call_t *call, appeal_create_result_t *results,
                       appeal_created_t *outs)
{
    return s_create_parse(rconn_reply(redis), call, results, outs);
}

appeal_create_result_t appeal_create(rconn_t *redis, const appeal_create_t *in,
                                     appeal_created_t *out)
{
    appeal_create_call_t call;
    appeal_create_result_t result = APPEAL_UNAVAILABLE;
    memset(out, 0, sizeof *out);
    argv_t a;
    size_t nkeys = 0;
    argv_init(&a);
    /* synchronous: rconn_eval falls back to EVAL when Redis lost the script */
    if (s_create_build(redis, in, 1, &call, &a, &nkeys) == 0) {
        bool sent = rconn_is_up(redis);
        redisReply *r =
            rconn_eval(redis, &scripts_appeal_create, (int)nkeys, (int)a.count, a.args, a.lens);
        s_create_parse(r, &call, &result, out);
        /* a connection that was up took the script: without an answer, it may have run */
        if (!r && sent)
            result = APPEAL_OUTCOME_UNKNOWN;
    }
    argv_fini(&a);
    return result;
}

/* ---- appeal_advance -------------------------------------------------------------------- */

int64_t appeal_change_earliest(const appeal_change_t *c)
{
    const int64_t times[] = {c->ack_due, c->resolve_due, c->ack_warn, c->resolve_warn};
    int64_t earliest = 0;
    for (size_t i = 0; i < 4; i++)
        if (times[i] > 0 && (earliest == 0 || times[i] < earliest))
            earliest = times[i];
    return earliest;
}

int appeal_advance_append(rconn_t *redis, argv_t *a, const appeal_batch_t *batch,
                          const appeal_change_t *changes, size_t count)
{
    char trigger_key[KEYS_MAX], deadline_key[KEYS_MAX], supervision_key[KEYS_MAX];
    char outbox_keys[HOP_COUNT][KEYS_MAX];
    size_t nout = batch->outbox_count < HOP_COUNT ? batch->outbox_count : HOP_COUNT;
    argv_reset(a);
    if (changes[0].trigger)
        keys_outbox(trigger_key, batch->county, hop_name(batch->trigger_hop));
    else
        keys_deadline(trigger_key, batch->county); /* any key of the county: unused */
    keys_deadline(deadline_key, batch->county);
    keys_supervision(supervision_key, batch->county);
    argv_add(a, trigger_key);
    argv_add(a, deadline_key);
    argv_add(a, supervision_key);
    for (size_t i = 0; i < nout; i++) {
        outbox_key(batch->outboxes[i], batch->county, outbox_keys[i]);
        argv_add(a, outbox_keys[i]);
    }
    size_t nkeys = a->count;
    argv_add(a, batch->county);
    argv_add(a, hop_name(batch->trigger_hop));
    argv_add_int(a, batch->resend_at_ms);
    argv_add_int(a, HOP_MAX_TRIES);
    argv_add_int(a, batch->now_ms);
    argv_add_int(a, (long long)count);
    for (size_t i = 0; i < count; i++) {
        const appeal_change_t *c = &changes[i];
        argv_add(a, c->id);
        argv_add(a, c->trigger ? c->trigger : "");
        argv_add_int(a, c->expected_seq);
        argv_addn(a, c->received ? (const char *)c->received : "",
                  c->received ? c->received_len : 0);
        argv_addn(a, c->event, c->event_len);
        /* a clock's op: "" keep, "0" remove (with its warning), "<due>[:<warn>]" set, ":0"
         * keep it and drop its warning */
        const int64_t clocks[] = {c->ack_due, c->resolve_due, c->supervise};
        const int64_t warns[] = {c->ack_warn, c->resolve_warn, 0};
        for (size_t k = 0; k < 3; k++) {
            if (clocks[k] < 0)
                argv_add(a, warns[k] == APPEAL_WARN_DROP ? ":0" : "");
            else if (clocks[k] > 0 && warns[k] > 0)
                argv_addf(a, "%lld:%lld", (long long)clocks[k], (long long)warns[k]);
            else
                argv_add_int(a, clocks[k]);
        }
        argv_add(a, c->idem_key ? c->idem_key : "");
        argv_add(a, c->idem_key && c->idem_value ? c->idem_value : "");
        argv_add_int(a, c->idem_ttl_s > 0 ? c->idem_ttl_s : 86400);
        argv_add_int(a, (long long)(c->field_count / 2));
        for (size_t f = 0; f + 1 < c->field_count; f += 2) {
            argv_add(a, c->fields[f]);
            argv_add(a, c->fields[f + 1] ? c->fields[f + 1] : "");
        }
    }
    if (a->failed)
        return -1;
    for (size_t i = 0; i < nout; i++)
        if (outbox_mark(batch->outboxes[i], redis, batch->county, batch->now_ms) != 0)
            return -1;
    return rconn_append_eval(redis, &scripts_appeal_advance, (int)nkeys, (int)a->count, a->args,
                             a->lens);
}

int appeal_advance_read(rconn_t *redis, size_t count, long long *outcomes, uint32_t *seqs)
{
    return hop_read_outcomes(redis, scripts_appeal_advance.name, count, true, outcomes, seqs);
}
