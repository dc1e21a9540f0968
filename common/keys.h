/* keys: every Redis key of gridline, in one place.
 *
 * Every per-appeal key carries the county code as a Redis Cluster hash tag, so one appeal's
 * record, history, outbox entries, deadline and counters all live in one slot and one Lua
 * script can change them atomically, on a single Redis or on a cluster. The readable appeal
 * id starts with the county ("150123-20261124-000042"), so every key is computable from it.
 *
 *   appeal:{C}:<id>              hash   the appeal: fields below + seq/status/level/assignee
 *   events:{C}:<id>              list   Event protobufs; index seq-1 holds event seq
 *   seq:{C}:<day>                string INCR -> the id counter of county C on local day;
 *                                       kept for good (an id is never handed out twice)
 *   idem:{C}:<idempotency-key>   string "<id>|<fingerprint of the request>", TTL
 *   ext:{C}:<channel>:<ext-id>   string the appeal id a channel's external id became
 *   outbox:{C}:<hop>             zset   "<id>:<seq>" -> time to (re)send it to hop
 *                                       (hop = router | notifier | aggregator)
 *   deadline:{C}                 zset   "<id>|ack", "<id>|resolve" -> when that clock of the
 *                                       appeal falls due (a router's lease pushes it later)
 *   index:{C}:created            zset   "<id>" -> created ms: listings (GET /v1/appeals), recounts
 *   supervision:{C}              zset   "<id>" -> resolve deadline: the open appeals at red
 *   {deadline}:index             zset   county -> its earliest due clock (over-approximate:
 *                                       never later than the truth; see deadline.h)
 *   {deadline}:gen               hash   county -> count of writes that set a clock there
 *   {directory}:entries          hash   API directory entries (see directory.h)
 *   {directory}:version          string moves on every directory change
 *   delivery:{C}                 zset   "<alert id>|<subscription>" -> time to (re)try the POST
 *   delivery:{C}:body            hash   "<alert id>|<subscription>" -> JSON body to POST
 *   delivery:{C}:meta            hash   delivery -> "<first queued ms>:<failed tries>:<leases>"
 *   delivery:{C}:sent            hash   subscription id -> when it was last sent to (grouping)
 *   delivery:{C}:dead            zset   deliveries that failed past notifier.max_age -> when
 *   subver:{C}                   string the subscriptions' version the county's events must be
 *                                       matched against (raised by every subscription change)
 *   {subscriptions}:entries      hash   subscription id -> its JSON (the API's subscriptions)
 *   {subscriptions}:version      string INCR on every change
 *   {alerts}:stream              stream the notifier's live view (GET /v1/stream): each accepted
 *                                       alert once, XADD MAXLEN ~ 100000, fields region,
 *                                       level, type, data; written after the accept, never
 *                                       inside a script (best effort, see notifier/stream.h)
 *   deadletter:{C}               zset   "<hop>|<id>:<seq>" -> when an outbox entry that could
 *                                       not apply after outbox.max_tries was parked there
 *   deadletter:{C}:tries         hash   "<hop>|<id>:<seq>" -> failed applies so far
 *   pending:<name>               zset   county -> when a sender last marked it (unix ms): the
 *                                       counties whose outbox:{C}:<name> (or, for "delivery",
 *                                       delivery:{C}) may hold entries. Over-approximate by
 *                                       design; no county tag: written apart from the
 *                                       scripts, never inside one (see pending.h)
 *   stats:{C}:<day>:<region>     hash   counters of one region (county or below) for a day:
 *                                       ch:<channel>, cat:<category>, lvl:<level>,
 *                                       ev:<event type> (ev:collected = appeals)
 *
 * Levels above the county (city, province) are summed over their counties when read, so no
 * write ever spans two slots. Scripts derive appeal:/events:/stats: keys from the county tag
 * they were given: they stay in the slot of their declared keys. */
#ifndef GRIDLINE_KEYS_H
#define GRIDLINE_KEYS_H

#include <stddef.h>

#define KEYS_MAX 256
#define KEYS_ALERTS_STREAM "{alerts}:stream"
#define KEYS_ID_MAX 40 /* "150123-20261124-000042" and room for long counters */

/* Each writes the key into buf (KEYS_MAX bytes) and returns its length. */
int keys_appeal(char *buf, const char *county, const char *id);
int keys_events(char *buf, const char *county, const char *id);
int keys_seq(char *buf, const char *county, const char *day);
int keys_idem(char *buf, const char *county, const char *idempotency_key);
int keys_ext(char *buf, const char *county, const char *channel, const char *external_id);
int keys_outbox(char *buf, const char *county, const char *hop);
int keys_deadline(char *buf, const char *county);
int keys_supervision(char *buf, const char *county);
int keys_index_created(char *buf, const char *county);
int keys_delivery(char *buf, const char *county);
int keys_delivery_body(char *buf, const char *county);
int keys_subscription_version(char *buf, const char *county);
/* delivery:{C}:<part>: meta, sent, dead */
int keys_delivery_part(char *buf, const char *county, const char *part);
int keys_stats(char *buf, const char *county, const char *day, const char *region);
int keys_deadletter(char *buf, const char *county);
int keys_pending(char *buf, const char *name);

/* The county of an appeal id or outbox member: its first 6 digits, if followed by '-'.
 * 0, or -1 if id is not of that form. */
int keys_county_of_id(const char *id, char county[7]);
/* Checks the whole id form "CCCCCC-YYYYMMDD-NNNNNN" (6+ digit counter): 0 / -1. */
int keys_check_id(const char *id);

#endif
