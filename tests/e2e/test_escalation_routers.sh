#!/usr/bin/env bash
# Escalation (issue 7, docs/escalation.md) with two routers sharing one deadline set: N appeals
# climb green -> blue -> yellow -> red on 1-second acknowledge clocks, the appeals spread over
# both routers; one router is SIGKILLed mid-climb and the other finishes. Every escalation happens
# exactly once (history: collected, assigned, escalated blue, yellow, red), every step is alerted
# and counted exactly once. Red's clocks are long, so the climbs stop there.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/esc_lib.sh"
N=${N:-150}
for l in GREEN BLUE YELLOW; do
  export "GRIDLINE_LADDER_${l}_ACK=1s" "GRIDLINE_LADDER_${l}_RESOLVE=1h"
done
export GRIDLINE_LADDER_RED_ACK=1h GRIDLINE_LADDER_RED_RESOLVE=2h
e2e_start_redis
e2e_start_sink
e2e_configure
cat >"$E2E_CONFIG" <<YAML
directory:
  - {department: heating, level: green, region: "150123", assignee: "网格员"}
  - {department: heating, level: blue, region: "150123", assignee: "村党支部"}
  - {department: heating, level: yellow, region: "150123", assignee: "镇党委"}
  - {department: heating, level: red, region: "150123", assignee: "县委督查室"}
subscriptions:
  - {name: county-150123, region: "150123", url: "http://127.0.0.1:$SINK_PORT/alerts/county"}
YAML
free_port p
EP2_ROUTER="tcp://127.0.0.1:$p"
free_port HTTP2_ROUTER
start_router() { # SUFFIX HTTP_PORT ENV...
  local suffix=$1 port=$2
  shift 2
  env GRIDLINE_INSTANCE="router-$suffix" "GRIDLINE_ROUTER_HTTP_PORT=$port" "$@" \
    "$BUILD/gridline-router" >>"$E2E_DIR/router-$suffix.log" 2>&1 &
  E2E_PIDS+=($!)
  E2E_PID[router-$suffix]=$!
  wait_until 10 curl -sf "http://127.0.0.1:$port/healthz" || { echo "# router-$suffix did not start"; exit 1; }
}
e2e_start_service aggregator
e2e_start_service notifier
start_router a "$GRIDLINE_ROUTER_HTTP_PORT"
start_router b "$HTTP2_ROUTER" "GRIDLINE_ROUTER_ENDPOINT=$EP2_ROUTER"
e2e_start_service intake "GRIDLINE_ROUTER_ENDPOINT=$GRIDLINE_ROUTER_ENDPOINT,$EP2_ROUTER"

villages=($(county_villages))
: >"$E2E_DIR/accepted"
send() {
  local i id
  for ((i = 0; i < N; i++)); do
    id=$(new_appeal "${villages[$((i % ${#villages[@]}))]}" heating app)
    [ -n "$id" ] && echo "$id" >>"$E2E_DIR/accepted"
  done
}
send &
sender=$!
# mid-climb: the first appeals are climbing (clocks due, leased, being applied), more arriving
wait_until 10 bash -c "[ \$(wc -l <'$E2E_DIR/accepted') -ge $((N / 3)) ]"
sleep 1
levels_now=$(rcli eval "local n = {} for _, k in ipairs(redis.call('keys', 'appeal:*')) do
  local l = redis.call('hget', k, 'level') or '?' n[l] = (n[l] or 0) + 1 end
  local o = {} for l, c in pairs(n) do o[#o + 1] = l .. '=' .. c end table.sort(o) return table.concat(o, ' ')" 0)
echo "# levels when router-a is SIGKILLed: $levels_now"
e2e_kill router-a KILL
wait "$sender"
check_eq "every appeal accepted" "$N" "$(wc -l <"$E2E_DIR/accepted")"

all_red() {
  [ "$(rcli eval "local n = 0 for _, k in ipairs(redis.call('keys', 'appeal:*')) do
    if redis.call('hget', k, 'level') == 'red' then n = n + 1 end end return n" 0)" == "$N" ]
}
check "router-b finishes every climb" wait_until 40 all_red
# every history exactly: collected, assigned green, escalated blue, yellow, red (ack_overdue)
bad=$(rcli eval "$ESC_LUA_DECODE"'
local bad, n = {}, 0
for _, k in ipairs(redis.call("keys", "events:*")) do
  local t = {}
  for _, raw in ipairs(redis.call("lrange", k, 0, -1)) do
    local e = decode(raw)
    t[#t + 1] = e.type .. (e.type == "escalated" and (":" .. e.level .. ":" .. e.reason_code) or "")
  end
  local h = table.concat(t, " ")
  if h ~= "collected assigned escalated:blue:ack_overdue escalated:yellow:ack_overdue escalated:red:ack_overdue" then
    n = n + 1
    if #bad < 3 then bad[#bad + 1] = k .. ": " .. h end
  end
end
return n .. (n > 0 and (" e.g. " .. table.concat(bad, " | ")) or "")' 0)
check_eq "every escalation exactly once" 0 "$bad"
check_eq "owners from the directory" "县委督查室" \
  "$(rcli eval "local s = {} for _, k in ipairs(redis.call('keys', 'appeal:*')) do
    s[redis.call('hget', k, 'assignee')] = 1 end local o = {} for a in pairs(s) do o[#o + 1] = a end
    return table.concat(o, ' ')" 0)"
check "router-b fired clocks" bash -c "curl -s http://127.0.0.1:$HTTP2_ROUTER/metrics | grep -Eq 'result=\"escalated\"\} [1-9]'"

alert_ids() { curl -s "http://127.0.0.1:$SINK_PORT/requests" | jq -r '.[].body.id' | sort -u | wc -l; }
alerts_done() { [ "$(alert_ids)" -ge $((4 * N)) ]; }
check "every step alerted" wait_until 20 alerts_done
check_eq "one alert id per step (assigned + 3 escalations)" $((4 * N)) "$(alert_ids)"
check_eq "every alert names its event's owner" "" \
  "$(curl -s "http://127.0.0.1:$SINK_PORT/requests" | jq -r '.[].body | select(
    (.level == "green" and .recipients[0] != "网格员") or (.level == "blue" and .recipients[0] != "村党支部") or
    (.level == "yellow" and .recipients[0] != "镇党委") or (.level == "red" and .recipients[0] != "县委督查室")) | .id')"
ESC_EXPECT_TYPES="escalated" check_counters 20
check_eq "ev:escalated = 3 N" "ev:escalated $((3 * N))" "$(counters_actual | grep '^ev:escalated ')"
check_eq "outboxes drained" 0 "$(outbox_entries)"
exit 0
