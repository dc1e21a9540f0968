#!/usr/bin/env bash
# Redis down: every service says so clearly, keeps retrying, answers 503 rather than losing
# anything, and carries on by itself when Redis comes back. A restarted downstream picks up
# what intake accepted while it was away.
source "$(dirname "$0")/lib.sh"
free_port REDIS_PORT
export GRIDLINE_REDIS_PORT=$REDIS_PORT
free_port SINK_PORT
e2e_configure
for s in aggregator notifier router intake; do
  port_var="GRIDLINE_${s^^}_HTTP_PORT"
  "$BUILD/gridline-$s" >>"$E2E_DIR/$s.log" 2>&1 &
  E2E_PIDS+=($!)
  E2E_PID[$s]=$!
done
up() { curl -s -o /dev/null "http://127.0.0.1:$1/healthz"; }
check "intake serves HTTP without Redis" wait_until 10 up "$GRIDLINE_INTAKE_HTTP_PORT"
health=$(curl -s -w ' %{http_code}' "$INTAKE/healthz")
check_eq "healthz is 503 while Redis is down" 503 "${health##* }"
check "healthz names Redis and the address" grep -q "redis unreachable at 127.0.0.1:$REDIS_PORT" <<<"$health"
res=$(post_appeal "$(appeal_json)")
check_eq "POST is 503 while Redis is down" 503 "${res%% *}"
check_eq "503 says why" unavailable "$(jq -r .error.code <<<"${res#* }")"
for s in intake router notifier aggregator; do
  check "$s logs that Redis is unreachable" wait_until 5 grep -q '"msg":"redis unreachable".*"redis":"127.0.0.1:'"$REDIS_PORT" "$E2E_DIR/$s.log"
done

# Redis comes up: everyone reconnects by themselves.
e2e_start_redis_on() {
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$E2E_DIR" --appendonly yes --appendfsync always --save '' \
    --logfile "$E2E_DIR/redis.log" &
  E2E_PIDS+=($!)
  E2E_PID[redis]=$!
}
e2e_start_redis_on
healthy() { [ "$(curl -s "$INTAKE/healthz" | jq -r .status)" == ok ]; }
check "intake healthy again without a restart" wait_until 10 healthy
res=$(post_appeal "$(appeal_json)")
check_eq "POST works again" 201 "${res%% *}"
id=$(jq -r .id <<<"${res#* }")
assigned() { [ "$(curl -s "$INTAKE/v1/appeals/$1" | jq -r .status)" == assigned ]; }
check "router reconnected and assigns" wait_until 10 assigned "$id"
check "router logs the reconnect" grep -q '"msg":"redis connected"' "$E2E_DIR/router.log"

# Downstream away: intake keeps accepting; restarted services finish the work.
e2e_kill router TERM
e2e_kill aggregator TERM
ids=()
for i in 1 2 3 4 5; do
  res=$(post_appeal "$(appeal_json 150123100002 heating web)")
  check_eq "accepted while router is down ($i)" 201 "${res%% *}"
  ids+=("$(jq -r .id <<<"${res#* }")")
done
check_eq "queued in the router outbox" 5 "$(rcli zcard 'outbox:{150123}:router')"
e2e_start_service router
e2e_start_service aggregator
for id in "${ids[@]}"; do
  check "restarted router assigns $id" wait_until 15 assigned "$id"
done
counted() { [ "$(curl -s "$AGGREGATOR/v1/stats?region=150123100002" | jq -r .appeals)" == 5 ]; }
check "restarted aggregator counts them" wait_until 15 counted
check_eq "router outbox empty" 0 "$(rcli zcard 'outbox:{150123}:router')"

# Redis dies (SIGKILL) right after answering: with appendfsync always, nothing it
# acknowledged is lost.
for i in $(seq 1 30); do
  res=$(post_appeal "$(appeal_json 150123100003 water app)")
  [ "${res%% *}" == 201 ] && echo "${res#* }" >>"$E2E_DIR/burst"
done
check_eq "burst accepted" 30 "$(wc -l <"$E2E_DIR/burst")"
e2e_kill redis KILL
# the first write of each HTTP thread after the kill goes out on a connection that was up: its
# outcome is unknown (504); once a thread knows its connection is down, nothing is sent (503)
codes=$(for i in $(seq 12); do r=$(post_appeal "$(appeal_json)"); echo "${r%% *}"; done | sort | uniq -c | tr -s ' \n' ' ')
check "while Redis is away: only 504 outcome_unknown and 503 (got:$codes)" test -z "$(grep -oE ' (2|4)[0-9][0-9]' <<<"$codes")"
check "... and 503 once a connection knows (got:$codes)" grep -q " 503" <<<"$codes"
e2e_start_redis_on
check "healthy after Redis restarts" wait_until 10 healthy
check_eq "AOF kept every acknowledged appeal" 36 "$(appeal_count)"
check "the burst is assigned after the restart" wait_until 15 assigned "$(tail -n1 "$E2E_DIR/burst" | jq -r .id)"

# A Redis that may evict keys would lose appeals silently: a service refuses it and stops
# (exit 2), naming the policy.
rcli config set maxmemory-policy allkeys-lru >/dev/null
free_port p1
free_port p2
timeout 10 env GRIDLINE_ROUTER_ENDPOINT="tcp://127.0.0.1:$p1" GRIDLINE_ROUTER_HTTP_PORT="$p2" \
  "$BUILD/gridline-router" >"$E2E_DIR/evicting.log" 2>&1
check_eq "a service refuses an evicting Redis (exit 2)" 2 "$?"
check "and says why" grep -q 'maxmemory-policy allkeys-lru; gridline needs noeviction' "$E2E_DIR/evicting.log"
exit 0
