/* appeal: what an appeal is in Redis and how it may change.
 *
 * One table of ladder levels (name, Chinese colour, config key), the statuses, and the
 * transitions: appeal_transition answers whether an action is allowed in a status and which
 * status follows. The names of the appeal hash's fields. And the typed calls of the two
 * scripts that write appeals (appeal_create.lua, appeal_advance.lua): only this module knows
 * their KEYS and ARGV positions.
 *
 *   appeal:{C}:<id>   hash, fields APPEAL_F_* (see keys.h for every key) */
#ifndef GRIDLINE_APPEAL_H
#define GRIDLINE_APPEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "argv.h"
#include "event.h"
#include "hop.h"
#include "keys.h"
#include "outbox.h"
#include "rconn.h"

/* ---- the ladder ------------------------------------------------------------------------ */

typedef struct {
    Gridline__Level level;
    const char *name;  /* "green" */
    const char *label; /* "绿" */
    const char *owner; /* who holds an appeal at this level */
} appeal_level_t;

/* NULL for LEVEL_UNSET or out of range. */
const appeal_level_t *appeal_level(Gridline__Level level);
/* LEVEL_UNSET (0) if unknown. */
Gridline__Level appeal_level_parse(const char *name);
/* One colour up; red stays red. */
Gridline__Level appeal_level_next(Gridline__Level level);

/* ---- statuses and transitions ---------------------------------------------------------- */

typedef enum {
    APPEAL_COLLECTED = 0,
    APPEAL_ASSIGNED,
    APPEAL_ACKNOWLEDGED,
    APPEAL_RESOLVED,
    APPEAL_CLOSED,
    APPEAL_REOPENED,
    APPEAL_SIGNED,   /* signed for (签收) by its owner */
    APPEAL_RETURNED, /* returned (退单): with its level's dispatcher */
    APPEAL_INVALID,  /* an invalid call (无效诉求): kept, counted apart */
    APPEAL_STATUS_COUNT,
} appeal_status_t;

typedef enum {
    APPEAL_ASSIGN = 0,        /* router: collected -> assigned */
    APPEAL_ACKNOWLEDGE,       /* assigned, reopened -> acknowledged */
    APPEAL_RESOLVE,           /* assigned, acknowledged, reopened -> resolved */
    APPEAL_FEEDBACK_GOOD,     /* resolved -> closed */
    APPEAL_FEEDBACK_BAD,      /* resolved -> reopened (one level up) */
    APPEAL_ESCALATE,          /* open, below red -> assigned one level up */
    APPEAL_TRANSFER,          /* open -> assigned, same level */
    APPEAL_REMIND,            /* open, at red -> unchanged (a missed clock re-alerts the owner) */
    APPEAL_SIGN,              /* assigned, reopened -> signed */
    APPEAL_RETURN,            /* assigned, signed, acknowledged -> returned (the dispatcher's) */
    APPEAL_REASSIGN,          /* returned -> assigned, another department */
    APPEAL_ARBITRATE,         /* returned -> assigned, the ruled department: no second return */
    APPEAL_REQUEST_EXTENSION, /* open -> unchanged, an extension pending */
    APPEAL_GRANT_EXTENSION,   /* open with one pending -> unchanged, the resolve deadline moved */
    APPEAL_REFUSE_EXTENSION,  /* open with one pending -> unchanged */
    APPEAL_URGE,              /* open -> unchanged (the N-th: escalated, reason urged) */
    APPEAL_INVALIDATE,        /* open -> invalid */
    APPEAL_CLOSE_NO_FEEDBACK, /* resolved -> closed by time, verdict no_feedback (the router) */
    APPEAL_WARN,              /* open -> unchanged: a clock is near (the router), once a clock */
    APPEAL_ACTION_COUNT,
} appeal_action_t;

const char *appeal_status_name(appeal_status_t status);
int appeal_status_parse(const char *name); /* -1 if unknown */
/* The channels appeals come by: hotline, wechat, web, app, visit, meeting, petition, camera. */
bool appeal_channel_known(const char *channel);
const char *appeal_action_name(appeal_action_t action);
int appeal_action_parse(const char *name); /* -1 if unknown */
/* Open: assigned, signed, acknowledged, reopened or returned (someone owes the resident an
 * answer). */
bool appeal_status_open(appeal_status_t status);
/* 0 and *next set if action is allowed from status (escalate at red is not), else -1. */
int appeal_transition(appeal_status_t status, Gridline__Level level, appeal_action_t action,
                      appeal_status_t *next);
/* The event an action records. */
Gridline__EventType appeal_action_event(appeal_action_t action);

/* ---- the appeal hash ------------------------------------------------------------------- */

#define APPEAL_F_ID "id"
#define APPEAL_F_SEQ "seq"
#define APPEAL_F_STATUS "status"
#define APPEAL_F_LEVEL "level"
#define APPEAL_F_ASSIGNEE "assignee"
#define APPEAL_F_DEPARTMENT "department"
#define APPEAL_F_ACK_DEADLINE_MS "ack_deadline_ms"         /* 0: the clock does not run */
#define APPEAL_F_RESOLVE_DEADLINE_MS "resolve_deadline_ms" /* 0: the clock does not run */
#define APPEAL_F_ASSIGNED_AT_MS "assigned_at_ms"           /* first assignment */
/* the deadlines set at the first assignment: the response and on-time rates' yardstick */
#define APPEAL_F_FIRST_ACK_DEADLINE_MS "first_ack_deadline_ms"
#define APPEAL_F_FIRST_RESOLVE_DEADLINE_MS "first_resolve_deadline_ms"
/* the work-order steps: returns so far, the department a ruling (arbitrate) bound, a pending
 * extension's requested resolve deadline (0: none), urges so far */
#define APPEAL_F_RETURNS "returns"
#define APPEAL_F_ARBITRATED "arbitrated_department"
#define APPEAL_F_EXTENSION_UNTIL_MS "extension_until_ms"
#define APPEAL_F_URGES "urges"
#define APPEAL_F_ACKNOWLEDGED_AT_MS "acknowledged_at_ms"
#define APPEAL_F_RESOLVED_AT_MS "resolved_at_ms"
#define APPEAL_F_RESOLUTION "resolution"
#define APPEAL_F_VERDICT "verdict"
#define APPEAL_F_SUBMITTED_CATEGORY "submitted_category" /* when a rule changed the category */
#define APPEAL_F_CHANNEL "channel"
#define APPEAL_F_REGION "region"
#define APPEAL_F_GRID "grid"
#define APPEAL_F_CATEGORY "category"
#define APPEAL_F_TITLE "title"
#define APPEAL_F_DESCRIPTION "description"
#define APPEAL_F_REPORTER_NAME "reporter_name"
#define APPEAL_F_REPORTER_PHONE "reporter_phone"
#define APPEAL_F_REPORTER_EMAIL "reporter_email"
#define APPEAL_F_TOKEN "token" /* the API token that created it */
#define APPEAL_F_EXTERNAL_ID "external_id"
#define APPEAL_F_IDEMPOTENCY_KEY "idempotency_key"
#define APPEAL_F_OCCURRED_AT_MS "occurred_at_ms"
#define APPEAL_F_CREATED_AT_MS "created_at_ms"
#define APPEAL_F_LAT "lat"
#define APPEAL_F_LON "lon"
#define APPEAL_F_ADDRESS "address"
#define APPEAL_F_MEDIA_URLS "media_urls" /* the URLs, one per line */
/* Whether a field holds an integer (ms, seq) when shown as JSON. */
bool appeal_field_is_integer(const char *field);

/* What a decision on an appeal needs of its hash (appeal_state_read, deadline_lease). */
typedef struct {
    char id[KEYS_ID_MAX];
    uint32_t seq; /* 0: no such appeal */
    appeal_status_t status;
    Gridline__Level level;
    char region[16];
    char channel[33];
    char category[33];
    char department[65];
    char assignee[260];
    int64_t ack_deadline_ms;
    int64_t resolve_deadline_ms;
    int64_t assigned_at_ms; /* first assignment, 0 before */
    int64_t first_ack_deadline_ms;
    int64_t first_resolve_deadline_ms;
    int returns;
    char arbitrated[65];
    int64_t extension_until_ms;
    int urges;
} appeal_state_t;

/* The hash fields of appeal_state_t, in the order appeal_state_fill reads them. */
#define APPEAL_STATE_FIELDS 17
extern const char *const appeal_state_fields[APPEAL_STATE_FIELDS];
/* Fills state from the values of appeal_state_fields (an HMGET's array). 0, or -1 when the
 * appeal does not exist (or the reply is not such an array). */
int appeal_state_fill(appeal_state_t *state, const char *id, const redisReply *values);
/* Appends the HMGET of appeal id's state (read it with appeal_state_read). 0 / -1. */
int appeal_state_append(rconn_t *redis, const char *id);
/* 1 found, 0 no such appeal, -1 Redis down. */
int appeal_state_read(rconn_t *redis, const char *id, appeal_state_t *state);

/* ---- appeal_create --------------------------------------------------------------------- */

typedef enum {
    APPEAL_CREATED = 1,         /* new: id and event set */
    APPEAL_REPLAYED,            /* the idempotency key was seen with the same fingerprint: id set */
    APPEAL_KEY_REUSED,          /* the key was seen with another request: id of that appeal */
    APPEAL_DUPLICATE,           /* the channel's external id was seen: id of that appeal */
    APPEAL_NO_FREE_ID,          /* the county's day counter is far behind its appeals */
    APPEAL_REPEAT_CALL,         /* the resident's open order of the same kind: id of it (nothing
                                 * stored; the caller urges it) */
    APPEAL_UNAVAILABLE = -1,    /* Redis down (nothing sent) or a script error (logged) */
    APPEAL_OUTCOME_UNKNOWN = -2 /* sent, and no answer came (a timeout): it may be stored */
} appeal_create_result_t;

typedef struct {
    const Gridline__Appeal *appeal; /* checked; id and created time are set by the call */
    const char *submitted_category; /* when a rule changed appeal->category, else NULL */
    const char *token;              /* the API token's name, or NULL */
    Gridline__Level start_level;    /* where it starts (a rule's), LEVEL_UNSET: green */
    const char *idempotency_key;    /* or NULL */
    const char *fingerprint;        /* of the request, with an idempotency key */
    int idempotency_ttl_s;
    int64_t now_ms;
    int64_t resend_at_ms;
    outbox_t *const *outboxes; /* hops that get the collected event */
    size_t outbox_count;
    /* > 0: a resident's call (same phone, village, category) within this of an order still
     * open answers APPEAL_REPEAT_CALL instead of storing; a stored one is remembered as long */
    int64_t repeat_window_ms;
} appeal_create_t;

typedef struct {
    char id[KEYS_ID_MAX];
    uint8_t *event; /* created: the collected event as stored (malloc'd; the caller frees) */
    size_t event_len;
} appeal_created_t;

appeal_create_result_t appeal_create(rconn_t *redis, const appeal_create_t *in,
                                     appeal_created_t *out);

/* appeal_create for many appeals of one county in one script call, pipelined (the ZeroMQ
 * gateway): every ins[i] names the same county (region), day (now_ms), outboxes, TTL and
 * resend time, as ins[0]. Appends the call (0, or -1: Redis down, out of memory; nothing
 * appended); then, in order with other pipelined calls, appeal_create_read sets results[i]
 * and outs[i] (each outs[i].event malloc'd when created) for each, and frees the call. */
typedef struct {
    uint8_t *event; /* the collected event without its id (malloc'd) */
    size_t event_len;
    bool has_fingerprint;
    char fingerprint[65];
} appeal_create_item_t;
typedef struct {
    appeal_create_item_t *items;
    size_t count;
} appeal_create_call_t;
int appeal_create_append(rconn_t *redis, const appeal_create_t *ins, size_t count,
                         appeal_create_call_t *call);
/* 0; -1 no reply (Redis down or timed out: the appeals may or may not be stored); -2 an error
 * reply (logged); -3 NOSCRIPT: the script did not run and nothing was stored (rconn reloads
 * the scripts, so the same call may be made again). */
int appeal_create_read(rconn_t *redis, appeal_create_call_t *call, appeal_create_result_t *results,
                       appeal_created_t *outs);
void appeal_create_call_fini(appeal_create_call_t *call);

/* ---- appeal_advance -------------------------------------------------------------------- */

/* A clock of a change: keep it as it is, remove it, or set it to a time (unix ms > 0). */
#define APPEAL_CLOCK_KEEP (-1)
#define APPEAL_CLOCK_REMOVE 0
#define APPEAL_WARN_DROP (-2)

/* One change of one appeal: its next event, the hash fields it sets, its deadline. */
typedef struct {
    const char *id;
    const char *trigger;     /* the outbox member that caused it ("<id>:<seq>"), or NULL */
    const uint8_t *received; /* the trigger's bytes as received (compared with the stored) */
    size_t received_len;
    uint32_t expected_seq; /* the appeal's seq the change was decided on */
    const uint8_t *event;  /* the new event, packed, seq = expected_seq + 1 */
    size_t event_len;
    int64_t ack_due;     /* the acknowledge clock: APPEAL_CLOCK_KEEP, _REMOVE, or when */
    int64_t resolve_due; /* the resolve clock */
    int64_t supervise;   /* the supervision list (red): keep, remove, or its deadline */
    /* the warnings (预警) before the two clocks: with a clock set, when its warning fires (0:
     * none); with it kept, APPEAL_WARN_DROP removes the warning alone. A removed clock takes
     * its warning with it. */
    int64_t ack_warn, resolve_warn;
    const char *idem_key;   /* an Idempotency-Key to remember with the change, or NULL */
    const char *idem_value; /* "<id>|<fingerprint>|#": # becomes the new seq */
    int idem_ttl_s;
    const char *const *fields; /* field, value, field, value, ... */
    size_t field_count;        /* entries of fields (twice the pairs) */
} appeal_change_t;

typedef struct {
    const char *county;
    hop_t trigger_hop;         /* the outbox the triggers are in (ignored without triggers) */
    outbox_t *const *outboxes; /* hops that get each new event */
    size_t outbox_count;
    int64_t now_ms;
    int64_t resend_at_ms;
} appeal_batch_t;

/* The earliest time a change's clocks or warnings fall due (for the deadline index), 0 none. */
int64_t appeal_change_earliest(const appeal_change_t *change);
/* Appends one appeal_advance call for changes of one county (with the pending-index marks
 * of its outboxes). 0, or -1 (Redis down, out of memory). Read its outcomes with
 * appeal_advance_read, in order with other pipelined calls. scratch is reused storage. */
int appeal_advance_append(rconn_t *redis, argv_t *scratch, const appeal_batch_t *batch,
                          const appeal_change_t *changes, size_t count);
/* Reads the outcomes (hop_outcome_t) and resulting seqs of count changes. 0; -1 when the
 * reply is missing (Redis down); -2 when it is an error (logged; outcomes unset). */
int appeal_advance_read(rconn_t *redis, size_t count, long long *outcomes, uint32_t *seqs);

#endif
