#!/usr/bin/env bash
# Two routers share 10,000 deadlines that fall due at once; one is SIGKILLed mid-way (and
# restarted): every appeal climbs exactly one level (green -> blue, reason ack_overdue), no
# escalation happens twice, and the deadline set, its index, the outboxes and the counters
# agree afterwards.
#
# How the deadlines fall due at once, with nothing restarted to change a duration:
#   1. router "a" (the one intake sends to, real clock) assigns N appeals: green ack 1h;
#   2. routers "b" and "c" start afterwards with clock.offset_ms = 1h + 60s and their own
#      endpoints (nobody sends to them): in their time every green ack is overdue, and they
#      share the N due entries through Redis; router "a" sees nothing due and leaves them be;
#   3. "b" is SIGKILLed when ~KILL_AT% have climbed, at a moment it holds leased clocks it has
#      not applied yet (b leases for 6 s, c for 1 s: the lease end tells whose a lease is),
#      and restarted (RESTART=1) right after: the orphaned clocks fall due again at their
#      lease end, for either router.
# Every other clock is far away (green resolve 30d, blue ack 3d), so the new blue ack deadline
# is the only thing in [now+2d, now+5d]: counting it counts the escalations applied.
#
# N=10000 PREFIX=1501 (the counties of Hohhot) KILL_AT=30 RESTART=1 RESTART_AFTER=0.2 (s) by default;
# STALL=15: seconds without progress before the test gives up waiting. With N below ~5000 all
# may be done before the kill point (two routers fire ~5,000/s on 2 cores).
E2E_FSYNC=${E2E_FSYNC:-everysec} # no Redis crash here: the routers are what is killed
source "$(dirname "$0")/lib.sh"
N=${N:-10000}
PREFIX=${PREFIX:-1501}
KILL_AT=${KILL_AT:-30}
RESTART=${RESTART:-1}
OFFSET_MS=$((3600 * 1000 + 60 * 1000))
T_START=$SECONDS

if ! "$BUILD/gridline-router" --help 2>&1 | grep -q 'ladder\.green\.ack'; then
  echo "not ok - this build has no ladder.green.ack (escalation not built yet)"
  exit 1
fi
export GRIDLINE_LADDER_GREEN_ACK=1h GRIDLINE_LADDER_GREEN_RESOLVE=30d
export GRIDLINE_LADDER_BLUE_ACK=3d GRIDLINE_LADDER_BLUE_RESOLVE=30d
export GRIDLINE_LADDER_YELLOW_ACK=3d GRIDLINE_LADDER_YELLOW_RESOLVE=30d
export GRIDLINE_LADDER_RED_ACK=3d GRIDLINE_LADDER_RED_RESOLVE=30d GRIDLINE_LADDER_RED_REMIND=3d

e2e_start_redis
e2e_configure
# No subscriptions (alerts are not what this test checks: the notifier still consumes its
# outbox) and no directory: each level's owner is its unit (blue: village:<12 digits>).
cat >"$E2E_CONFIG" <<'YAML'
directory: []
subscriptions: []
YAML
for s in aggregator notifier router intake; do e2e_start_service "$s"; done

# routers b and c: own HTTP ports and endpoints, the clock 1h+60s ahead
declare -A RPORT REP
for r in b c; do
  free_port p
  RPORT[$r]=$p
  free_port p
  REP[$r]="tcp://127.0.0.1:$p"
done
B_LEASE_MS=6000 # far from c's 1 s: a lease of b stays told apart for seconds
start_router() { # b|c
  local r=$1 lease=$GRIDLINE_OUTBOX_RESEND_AFTER_MS
  [ "$r" == b ] && lease=$B_LEASE_MS
  env GRIDLINE_INSTANCE="router-$r" GRIDLINE_OUTBOX_RESEND_AFTER_MS=$lease GRIDLINE_ROUTER_HTTP_PORT="${RPORT[$r]}" \
    GRIDLINE_ROUTER_ENDPOINT="${REP[$r]}" GRIDLINE_CLOCK_OFFSET_MS=$OFFSET_MS \
    ${E2E_WRAP:-} "$BUILD/gridline-router" >>"$E2E_DIR/router-$r.log" 2>&1 &
  E2E_PIDS+=($!)
  E2E_PID[router-$r]=$!
  wait_until 10 curl -sf "http://127.0.0.1:${RPORT[$r]}/healthz" ||
    { echo "# router-$r did not start"; tail -n 20 "$E2E_DIR/router-$r.log" | sed 's/^/# /'; exit 1; }
}
# what a router's /metrics says about clocks (for the log), and one of its figures
router_metrics() {
  curl -s "http://127.0.0.1:$1/metrics" | grep -E '^gridline_router_clocks' | awk '$2 > 0' |
    sed 's/^gridline_router_//' | tr '\n' ' '
}
rmetric() { # PORT NAME{labels}
  curl -s "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m {v = $2} END {print v + 0}'
}
ESCALATED='gridline_router_clocks_total{result="escalated"}'

# ---- 1. N appeals, assigned green by router a ----
t0=$SECONDS
"$BUILD/gridline-loadgen" --url "$INTAKE" --count "$N" --concurrency 16 --prefix "$PREFIX" \
  --seed 7 --json --quiet >"$E2E_DIR/loadgen.json" 2>"$E2E_DIR/loadgen.err"
check_eq "loadgen: every appeal accepted" "$N" "$(jq -r '.status["201"] // 0' "$E2E_DIR/loadgen.json")"
check "every appeal assigned" wait_until 60 all_assigned "$N"
echo "# $N appeals accepted and assigned in $((SECONDS - t0)) s"
COUNTIES=($(rcli --raw keys 'deadline:{*}' | sed 's/^deadline:{\(.*\)}$/\1/' | sort))
echo "# ${#COUNTIES[@]} counties: ${COUNTIES[*]}"
green=$(rcli eval "local n=0 for _,k in ipairs(redis.call('keys','appeal:*')) do if redis.call('hget',k,'level')=='green' then n=n+1 end end return n" 0)
check_eq "every appeal starts green" "$N" "$green"
members=0
for c in "${COUNTIES[@]}"; do members=$((members + $(rcli zcard "deadline:{$c}"))); done
check_eq "two clocks per appeal in the deadline sets (ack, resolve)" $((2 * N)) "$members"
due_now=0
now_ms=$(($(date +%s%3N)))
for c in "${COUNTIES[@]}"; do due_now=$((due_now + $(rcli zcount "deadline:{$c}" -inf "$now_ms"))); done
check_eq "nothing is due in real time" 0 "$due_now"

# escalations applied so far: new blue ack deadlines, in [now+2d, now+5d]
climbed() {
  local now
  now=$(date +%s%3N)
  rcli eval "local n=0 for _,k in ipairs(KEYS) do n=n+redis.call('zcount',k,ARGV[1],ARGV[2]) end return n" \
    "${#COUNTIES[@]}" $(printf 'deadline:{%s} ' "${COUNTIES[@]}") $((now + 2 * 86400000)) $((now + 5 * 86400000))
}
climbed_at_least() { [ "$(climbed)" -ge "$1" ]; }
# clocks under b's lease: b leases for B_LEASE_MS, c for GRIDLINE_OUTBOX_RESEND_AFTER_MS (1 s),
# so a lease end in (now + 1.5 s, now + B_LEASE_MS] is b's (from a round started < 1.5 s ago).
b_leased() {
  local now c
  now=$(($(date +%s%3N) + OFFSET_MS))
  for c in "${COUNTIES[@]}"; do
    echo "ZCOUNT deadline:{$c} ($((now + 1500)) $((now + B_LEASE_MS + 100))"
  done | rcli | awk '{n += $1} END {print n + 0}'
}

# ---- 2. routers b and c, whose clock says every green ack is overdue ----
t_due=$(date +%s.%N)
start_router b
start_router c
kill_at=$((N * KILL_AT / 100))
deadline=$((SECONDS + ${STALL:-15}))
while [ "$(climbed)" -lt "$kill_at" ] && [ $SECONDS -lt $deadline ]; do sleep 0.02; done
# Then kill b at a moment it holds leased clocks it has not applied: on one connection kept
# open, Redis is told to refuse writes for a moment (CLIENT PAUSE WRITE: what b's apply has
# not done yet cannot land) and, in the same write, asked for b's leases; if there are some, b
# dies, and its connections are closed, before we end the pause (its 5 s bound only guards
# against this script dying; 1 s was once too short on a loaded machine), so that part of its
# apply never runs; else the pause ends at once and the probe is repeated.
exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT"
probe() { # -> b's leases, with writes paused
  local now c cmds="CLIENT PAUSE 5000 WRITE"$'\r\n' line n=0
  now=$(($(date +%s%3N) + OFFSET_MS))
  for c in "${COUNTIES[@]}"; do
    cmds+="ZCOUNT deadline:{$c} ($((now + 1500)) $((now + B_LEASE_MS + 100))"$'\r\n'
  done
  printf '%s' "$cmds" >&3
  read -r line <&3
  for c in "${COUNTIES[@]}"; do
    read -r line <&3
    line=${line#:}
    n=$((n + ${line%$'\r'}))
  done
  echo "$n"
}
unpause() {
  local line
  printf 'CLIENT UNPAUSE\r\n' >&3
  read -r line <&3
}
tries=0
b_closed=0
deadline=$((SECONDS + 10))
while [ $SECONDS -lt $deadline ]; do
  tries=$((tries + 1))
  if [ "$(probe)" -gt 0 ]; then
    b_pid=${E2E_PID[router-b]}
    e2e_kill router-b KILL
    # A write b sent before it died waits in Redis, postponed by the pause; were its connection
    # still open at the unpause, that write would run after all. Close them first.
    for id in $(rcli client list | awk -v n="name=gridline-router-$b_pid" \
      '{ for (i = 1; i <= NF; i++) if ($i == n) { sub("id=", "", $1); print $1 } }'); do
      rcli client kill id "$id" >/dev/null && b_closed=$((b_closed + 1))
    done
    unpause
    break
  fi
  unpause
  [ $((tries % 100)) == 0 ] && [ "$(climbed)" -ge "$N" ] && break
done
exec 3>&-
[ -d "/proc/${E2E_PID[router-b]}" ] && e2e_kill router-b KILL
sleep 0.1
orphans=$(b_leased)
echo "# router-b SIGKILLed at $(climbed) climbed (aimed at $kill_at), $(awk -v a="$t_due" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}') s after the deadlines fell due"
echo "# closed $b_closed Redis connections of router-b's before the unpause"
check "router-b died holding $orphans leased clocks it had not applied ($tries tries)" test "$orphans" -gt 0
if [ "$RESTART" == 1 ]; then
  sleep "${RESTART_AFTER:-0.2}"
  start_router b
  echo "# router-b restarted at $(climbed) climbed"
fi
# until all have climbed, or nothing moved for STALL seconds
climb_done() {
  local last=-1 n stalled=$SECONDS
  while :; do
    n=$(climbed)
    [ "$n" -ge "$N" ] && return 0
    [ "$n" != "$last" ] && { last=$n; stalled=$SECONDS; }
    [ $((SECONDS - stalled)) -ge "${STALL:-15}" ] && { echo "# stalled at $n climbed"; return 1; }
    sleep 0.2
  done
}
climb_done
check_eq "every appeal climbed" "$N" "$(climbed)"
t_all=$(date +%s.%N)
echo "# all $(climbed) climbed $(awk -v a="$t_due" -v b="$t_all" -v n="$N" 'BEGIN {printf "%.2f s (%.0f/s)", b - a, n / (b - a)}') after they fell due (kill and restart included)"
[ "$RESTART" == 1 ] && echo "# router-b after its restart: $(router_metrics "${RPORT[b]}")"
echo "# router-c: $(router_metrics "${RPORT[c]}")"
echo "# router-a (real clock): $(router_metrics "$GRIDLINE_ROUTER_HTTP_PORT")"
c_escalated=$(rmetric "${RPORT[c]}" "$ESCALATED")
b2_escalated=0
[ "$RESTART" == 1 ] && b2_escalated=$(rmetric "${RPORT[b]}" "$ESCALATED")
# what b did before its kill: the rest (exact when every escalation happened once, checked below)
b_escalated=$((N - c_escalated - b2_escalated))
check "router-b escalated a share before its kill ($b_escalated)" test "$b_escalated" -gt 0
check "router-c escalated a share ($c_escalated)" test "$c_escalated" -gt 0
check_eq "router-a (real clock) fired nothing" 0 "$(rmetric "$GRIDLINE_ROUTER_HTTP_PORT" 'gridline_router_clocks_leased_total')"

# ---- 3. exactly once, and the state agrees ----
outbox_empty() { [ "$(outbox_entries)" == 0 ]; }
check "outboxes drained" wait_until 30 outbox_empty
sleep 2 # a late second escalation (a lease given back twice) would land within this
check_eq "still every appeal climbed (blue ack deadlines)" "$N" "$(climbed)"

# One pass over every appeal: its history decoded (Event fields 2 seq, 3 type, 4 level,
# 5 assignee, 9 region, 15 reason_code), its hash and its deadline members.
cat >"$E2E_DIR/check.lua" <<'LUA'
local function varint(s, pos)
  local v, mul, b = 0, 1, 0
  repeat
    b = s:byte(pos); pos = pos + 1
    v = v + (b % 128) * mul; mul = mul * 128
  until b < 128
  return v, pos
end
local function decode(s)
  local f, pos = {}, 1
  while pos <= #s do
    local key
    key, pos = varint(s, pos)
    local field, wt = math.floor(key / 8), key % 8
    if wt == 0 then f[field], pos = varint(s, pos)
    elseif wt == 2 then
      local l
      l, pos = varint(s, pos)
      f[field] = s:sub(pos, pos + l - 1); pos = pos + l
    elseif wt == 1 then pos = pos + 8
    elseif wt == 5 then pos = pos + 4
    else return nil end
  end
  return f
end
local ESCALATED, GREEN, BLUE = 4, 1, 2
local bad, first = {}, {}
local function fail(what, id)
  bad[what] = (bad[what] or 0) + 1
  if not first[what] then first[what] = id end
end
local lists, per_county = 0, {}
for _, k in ipairs(redis.call('KEYS', 'events:*')) do
  lists = lists + 1
  local c, id = k:match('^events:{(%d+)}:(.+)$')
  per_county[c] = (per_county[c] or 0) + 1
  local evs = redis.call('LRANGE', k, 0, -1)
  local esc, prev = 0, nil
  for i, blob in ipairs(evs) do
    local e = decode(blob)
    if not e then fail('undecodable event', id) break end
    if (e[2] or 0) ~= i then fail('seq not index+1', id) end
    if (e[3] or 0) == ESCALATED then
      esc = esc + 1
      if not prev or (prev[4] or 0) ~= GREEN or (e[4] or 0) ~= BLUE then fail('escalated not green->blue', id) end
      if e[15] ~= 'ack_overdue' then fail('reason_code not ack_overdue (' .. tostring(e[15]) .. ')', id) end
      if e[5] ~= 'village:' .. (e[9] or ''):sub(1, 12) then fail('blue owner not village:<12> (' .. tostring(e[5]) .. ')', id) end
    end
    prev = e
  end
  if esc == 0 then fail('never escalated', id) elseif esc > 1 then fail('escalated more than once', id) end
  if #evs ~= 3 then fail('history not collected,assigned,escalated', id) end
  local a = redis.call('HMGET', 'appeal:{' .. c .. '}:' .. id, 'status', 'level', 'seq', 'ack_deadline_ms', 'resolve_deadline_ms')
  if a[1] ~= 'assigned' then fail('status not assigned (' .. tostring(a[1]) .. ')', id) end
  if a[2] ~= 'blue' then fail('level not blue (' .. tostring(a[2]) .. ')', id) end
  if tonumber(a[3]) ~= #evs then fail('hash seq not history length', id) end
  local dk = 'deadline:{' .. c .. '}'
  local sa, sr = redis.call('ZSCORE', dk, id .. '|ack'), redis.call('ZSCORE', dk, id .. '|resolve')
  if not sa or tonumber(sa) ~= tonumber(a[4]) then fail('ack member score ~= ack_deadline_ms (lease left behind?)', id) end
  if not sr or tonumber(sr) ~= tonumber(a[5]) then fail('resolve member score ~= resolve_deadline_ms', id) end
end
-- the sets hold nothing else, and the index never says later than a set's earliest entry
for c, n in pairs(per_county) do
  local dk = 'deadline:{' .. c .. '}'
  if redis.call('ZCARD', dk) ~= 2 * n then fail('deadline set size ~= 2 per appeal', c) end
  local min = redis.call('ZRANGE', dk, 0, 0, 'WITHSCORES')[2]
  local idx = redis.call('ZSCORE', '{deadline}:index', c)
  if min and (not idx or tonumber(idx) > tonumber(min)) then fail('index later than earliest due (or missing)', c) end
end
local out = {'lists', lists}
for what, n in pairs(bad) do
  out[#out + 1] = what .. ' (e.g. ' .. first[what] .. ')'
  out[#out + 1] = n
end
return out
LUA
rcli --raw eval "$(cat "$E2E_DIR/check.lua")" 0 | paste - - >"$E2E_DIR/check.out"
sed 's/^/# /' "$E2E_DIR/check.out"
check_eq "one history per appeal" "$N" "$(awk -F'\t' '$1 == "lists" {print $2}' "$E2E_DIR/check.out")"
check_eq "every history: collected, assigned green, escalated once green->blue (ack_overdue, village owner); hash and deadline members agree" \
  "" "$(awk -F'\t' '$1 != "lists" {printf "%s%s: %s", sep, $1, $2; sep = "; "}' "$E2E_DIR/check.out")"
check_eq "no deadletter" 0 "$(rcli eval "local n=0 for _,k in ipairs(redis.call('keys','deadletter:*')) do if redis.call('type',k).ok=='zset' then n=n+redis.call('zcard',k) end end return n" 0)"
echo "# {deadline}:gen: $(rcli --raw hgetall '{deadline}:gen' | paste -sd' ' | cut -c1-300)"
echo "# {deadline}:index: $(rcli --raw zrange '{deadline}:index' 0 -1 withscores | paste -sd' ' | cut -c1-300)"

# counters: ev:escalated over every day (the routers' clock is ahead) and every county
esc_counted() {
  rcli eval "local n=0 for _,k in ipairs(redis.call('keys','stats:*')) do local c,r=k:match('^stats:{(%d+)}:%d%d%d%d%d%d%d%d:(%d+)$') if c and c==r then n=n+tonumber(redis.call('hget',k,'ev:escalated') or 0) end end return n" 0
}
esc_counted_is() { [ "$(esc_counted)" == "$1" ]; }
check "escalations counted exactly once (ev:escalated summed over counties)" wait_until 20 esc_counted_is "$N"
check_eq "ev:escalated, summed over counties" "$N" "$(esc_counted)"
# the API answers one local day: the days of the routers' clock from the deadlines on
local_day() { date -u -d "@$(($1 + OFFSET_MS / 1000 + 8 * 3600))" +%Y%m%d; }
api=0
for day in $(printf '%s\n' "$(local_day "${t_due%.*}")" "$(local_day "$(date +%s)")" | sort -u); do
  api=$((api + $(curl -s "$AGGREGATOR/v1/stats?region=$PREFIX&day=$day" | jq -r '.by_event.escalated // 0')))
done
check_eq "the aggregator's API says the same" "$N" "$api"
echo "# total $((SECONDS - T_START)) s"
exit 0
