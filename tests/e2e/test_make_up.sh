#!/usr/bin/env bash
# `make up` / `make down` (scripts/run.sh) as a user runs them: its own Redis with AOF under the
# var directory, the four services, the sink and demo traffic; then everything stops.
# Runs on free ports in a private var directory, so it does not meet a demo already running.
source "$(dirname "$0")/lib.sh"
free_port REDIS_PORT
free_port SINK_PORT
e2e_configure
export GRIDLINE_REDIS_PORT=$REDIS_PORT SINK_PORT VAR_DIR="$E2E_DIR/var" DEMO_RATE=20
out=$(cd "$E2E_ROOT" && BUILD="$BUILD" scripts/run.sh background 2>&1)
check_eq "make up: exit 0" 0 "$?"
check "make up prints how to submit an appeal" grep -q "curl -s -X POST http://127.0.0.1:$GRIDLINE_INTAKE_HTTP_PORT/v1/appeals" <<<"$out"
check "redis runs with AOF on" test "$(rcli config get appendonly | tail -n 1)" == yes
check "redis fsyncs every write" test "$(rcli config get appendfsync | tail -n 1)" == always
check "redis keeps its data in the var directory" test "$(rcli config get dir | tail -n 1)" == "$E2E_DIR/var/redis"
res=$(post_appeal "$(appeal_json)")
check_eq "an appeal is accepted" 201 "${res%% *}"
id=$(jq -r .id <<<"${res#* }")
assigned() { [ "$(curl -s "$INTAKE/v1/appeals/$1" | jq -r .status)" == assigned ]; }
check "and assigned" wait_until 10 assigned "$id"
demo_flows() { [ "$(curl -s "$AGGREGATOR/v1/stats?region=1501" | jq -r .appeals)" -ge 5 ]; }
check "demo traffic flows and is counted" wait_until 15 demo_flows
check "alerts reach the sink" wait_until 15 alerts_at_least 1
out=$(cd "$E2E_ROOT" && scripts/run.sh background 2>&1)
check_eq "a second make up refuses" 1 "$?"
(cd "$E2E_ROOT" && scripts/run.sh stop >/dev/null 2>&1)
gone() { ! ls "$E2E_DIR"/var/run/*.pid >/dev/null 2>&1 && ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; }
check "make down stops everything it started" wait_until 10 gone
check "services logged a clean stop" grep -q '"msg":"stopped"' "$E2E_DIR/var/log/router.log"
exit 0
