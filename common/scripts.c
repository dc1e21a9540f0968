#include "scripts.h"

/* appeal_create
 * KEYS  1 seq:{C}:<day>  2 idem:{C}:<key> (or KEYS[1] when none)  3 ext:{C}:<ch>:<ext>
 *       (or KEYS[1])  4 outbox:{C}:router  5 outbox:{C}:aggregator
 * ARGV  1 county  2 id prefix "C-YYYYMMDD-"  3 "1" if an idempotency key is given
 *       4 request fingerprint  5 idempotency TTL s  6 "1" if an external id is given
 *       7 resend-at ms  8 the collected Event, packed without field 1 (appeal_id)
 *       9.. appeal hash field/value pairs
 * -> {1, id} created | {2, "<id>|<fingerprint>"} idempotent replay | {3, id} external id seen
 * The id exists only once INCR ran, so the script writes it into the event itself: field 1
 * (tag 0x0A, length, bytes) placed first; protobuf accepts fields in any order. */
rscript_t scripts_appeal_create = {
    .name = "appeal_create",
    .body = "if ARGV[3] == '1' then\n"
            "  local prev = redis.call('GET', KEYS[2])\n"
            "  if prev then return {2, prev} end\n"
            "end\n"
            "if ARGV[6] == '1' then\n"
            "  local prev = redis.call('GET', KEYS[3])\n"
            "  if prev then return {3, prev} end\n"
            "end\n"
            "local n = redis.call('INCR', KEYS[1])\n"
            "if n == 1 then redis.call('EXPIRE', KEYS[1], 172800) end\n"
            "local id = ARGV[2] .. string.format('%06d', n)\n"
            "local tag = '{' .. ARGV[1] .. '}:'\n"
            "local fields = {'id', id, 'seq', 1}\n"
            "for i = 9, #ARGV do fields[#fields + 1] = ARGV[i] end\n"
            "redis.call('HSET', 'appeal:' .. tag .. id, unpack(fields))\n"
            "redis.call('RPUSH', 'events:' .. tag .. id, string.char(10, #id) .. id .. ARGV[8])\n"
            "local member = id .. ':1'\n"
            "redis.call('ZADD', KEYS[4], ARGV[7], member)\n"
            "redis.call('ZADD', KEYS[5], ARGV[7], member)\n"
            "if ARGV[3] == '1' then\n"
            "  redis.call('SET', KEYS[2], id .. '|' .. ARGV[4], 'EX', ARGV[5])\n"
            "end\n"
            "if ARGV[6] == '1' then redis.call('SET', KEYS[3], id) end\n"
            "return {1, id}\n",
};

/* appeal_advance: the one way an appeal changes after intake.
 * KEYS  1 appeal:{C}:<id>  2 events:{C}:<id>  3 the outbox the triggering event came from
 *       (or KEYS[1] when none)  4 deadline:{C}  5.. outboxes that must carry the new event
 * ARGV  1 id  2 the triggering outbox member ("" when none)  3 the seq the change expects
 *       4 the new Event, packed, with seq = expected + 1  5 resend-at ms
 *       6 deadline: "" keep, "0" remove, else the new due time ms  7.. field/value pairs
 * -> {1, seq} applied | {0, seq} the trigger was already consumed (a duplicate copy)
 *    | {-1, seq} the appeal is at another seq (the caller re-reads and retries)
 *    | {-2, 0} no such appeal
 * The trigger is checked before anything changes and consumed in the same step as the
 * change: a copy that arrives twice is applied once. */
rscript_t scripts_appeal_advance = {
    .name = "appeal_advance",
    .body = "if ARGV[2] ~= '' and not redis.call('ZSCORE', KEYS[3], ARGV[2]) then\n"
            "  return {0, tonumber(redis.call('HGET', KEYS[1], 'seq') or 0)}\n"
            "end\n"
            "local cur = redis.call('HGET', KEYS[1], 'seq')\n"
            "if not cur then return {-2, 0} end\n"
            "cur = tonumber(cur)\n"
            "if cur ~= tonumber(ARGV[3]) then return {-1, cur} end\n"
            "if ARGV[2] ~= '' then redis.call('ZREM', KEYS[3], ARGV[2]) end\n"
            "local seq = cur + 1\n"
            "local fields = {'seq', seq}\n"
            "for i = 7, #ARGV do fields[#fields + 1] = ARGV[i] end\n"
            "redis.call('HSET', KEYS[1], unpack(fields))\n"
            "redis.call('RPUSH', KEYS[2], ARGV[4])\n"
            "local member = ARGV[1] .. ':' .. seq\n"
            "for i = 5, #KEYS do redis.call('ZADD', KEYS[i], ARGV[5], member) end\n"
            "if ARGV[6] == '0' then redis.call('ZREM', KEYS[4], ARGV[1])\n"
            "elseif ARGV[6] ~= '' then redis.call('ZADD', KEYS[4], ARGV[6], ARGV[1]) end\n"
            "return {1, seq}\n",
};

/* outbox_claim: the sweeper's lease. Entries due (score <= now) get score = lease-until, so
 * another sweeper does not send them again before then.
 * KEYS  1 outbox:{C}:<hop>
 * ARGV  1 now ms  2 lease-until ms  3 limit  4 county
 * -> {member, event bytes, member, event bytes, ...}; event bytes are "" when the event is
 *    gone (the entry is then dropped: there is nothing to send, ever). */
rscript_t scripts_outbox_claim = {
    .name = "outbox_claim",
    .body = "local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, "
            "tonumber(ARGV[3]))\n"
            "local out = {}\n"
            "for _, m in ipairs(due) do\n"
            "  local id, seq = string.match(m, '^(.+):(%d+)$')\n"
            "  local blob = false\n"
            "  if id then\n"
            "    blob = redis.call('LINDEX', 'events:{' .. ARGV[4] .. '}:' .. id, "
            "tonumber(seq) - 1)\n"
            "  end\n"
            "  if blob then redis.call('ZADD', KEYS[1], ARGV[2], m)\n"
            "  else redis.call('ZREM', KEYS[1], m); blob = '' end\n"
            "  out[#out + 1] = m\n"
            "  out[#out + 1] = blob\n"
            "end\n"
            "return out\n",
};

/* stats_apply: a batch of one county's events, each counted only if its outbox entry is
 * still there (consumed in the same step), with the increments folded before writing.
 * KEYS  1 outbox:{C}:aggregator
 * ARGV  1 number of events, then per event: member, n, then n pairs of (stats key, field)
 * -> number of events applied (the others were duplicate copies) */
rscript_t scripts_stats_apply = {
    .name = "stats_apply",
    .body = "local acc, order = {}, {}\n"
            "local i, applied = 2, 0\n"
            "for e = 1, tonumber(ARGV[1]) do\n"
            "  local member, n = ARGV[i], tonumber(ARGV[i + 1])\n"
            "  i = i + 2\n"
            "  if redis.call('ZREM', KEYS[1], member) == 1 then\n"
            "    applied = applied + 1\n"
            "    for f = 0, n - 1 do\n"
            "      local k, fld = ARGV[i + 2 * f], ARGV[i + 2 * f + 1]\n"
            "      local h = acc[k]\n"
            "      if not h then h = {}; acc[k] = h; order[#order + 1] = k end\n"
            "      h[fld] = (h[fld] or 0) + 1\n"
            "    end\n"
            "  end\n"
            "  i = i + 2 * n\n"
            "end\n"
            "for _, k in ipairs(order) do\n"
            "  for fld, n in pairs(acc[k]) do redis.call('HINCRBY', k, fld, n) end\n"
            "end\n"
            "return applied\n",
};

/* notify_accept: consume one event and queue its deliveries (leased to the caller, who
 * POSTs them at once; if it dies, another notifier retries them when the lease ends).
 * KEYS  1 outbox:{C}:notifier  2 delivery:{C}  3 delivery:{C}:body
 * ARGV  1 member  2 lease-until ms, then pairs (delivery member, JSON body)
 * -> 1 accepted | 0 already accepted before (a duplicate copy: deliver nothing) */
rscript_t scripts_notify_accept = {
    .name = "notify_accept",
    .body = "if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return 0 end\n"
            "for i = 3, #ARGV, 2 do\n"
            "  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[i])\n"
            "  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])\n"
            "end\n"
            "return 1\n",
};

/* delivery_claim: lease due deliveries (failed or orphaned ones).
 * KEYS  1 delivery:{C}  2 delivery:{C}:body
 * ARGV  1 now ms  2 lease-until ms  3 limit
 * -> {member, body, ...} (a member with no body is dropped and not returned) */
rscript_t scripts_delivery_claim = {
    .name = "delivery_claim",
    .body = "local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, "
            "tonumber(ARGV[3]))\n"
            "local out = {}\n"
            "for _, m in ipairs(due) do\n"
            "  local body = redis.call('HGET', KEYS[2], m)\n"
            "  if body then\n"
            "    redis.call('ZADD', KEYS[1], ARGV[2], m)\n"
            "    out[#out + 1] = m\n"
            "    out[#out + 1] = body\n"
            "  else redis.call('ZREM', KEYS[1], m) end\n"
            "end\n"
            "return out\n",
};

/* delivery_done: KEYS 1 delivery:{C}  2 delivery:{C}:body; ARGV 1 member -> 1 | 0 */
rscript_t scripts_delivery_done = {
    .name = "delivery_done",
    .body = "redis.call('HDEL', KEYS[2], ARGV[1])\n"
            "return redis.call('ZREM', KEYS[1], ARGV[1])\n",
};

rscript_t *scripts_all[] = {
    &scripts_appeal_create, &scripts_appeal_advance, &scripts_outbox_claim,  &scripts_stats_apply,
    &scripts_notify_accept, &scripts_delivery_claim, &scripts_delivery_done, NULL,
};
