#!/usr/bin/env bash
# Scale-out: two instances of router, notifier and aggregator (one intake, connected to both
# routers; each router to both notifiers and both aggregators). Events spread over the
# instances; one router is SIGKILLed for good mid-flow and the other finishes its work: no
# instance holds state the other cannot pick up. Every appeal assigned, alerted and counted once.
source "$(dirname "$0")/lib.sh"
N=${N:-200}
e2e_start_redis
e2e_start_sink
e2e_configure
# second instances: their own HTTP ports and event endpoints
declare -A EP2 HTTP2
for s in ROUTER NOTIFIER AGGREGATOR; do
  free_port p
  EP2[$s]="tcp://127.0.0.1:$p"
  free_port p
  HTTP2[$s]=$p
done
EP1_ROUTER=$GRIDLINE_ROUTER_ENDPOINT
EP1_NOTIFIER=$GRIDLINE_NOTIFIER_ENDPOINT
EP1_AGGREGATOR=$GRIDLINE_AGGREGATOR_ENDPOINT
both() { echo "$1,$2"; }
start2() { # NAME SUFFIX HTTP_PORT ENV...
  local name=$1 suffix=$2 port=$3
  shift 3
  env GRIDLINE_INSTANCE="$name-$suffix" "GRIDLINE_${name^^}_HTTP_PORT=$port" "$@" \
    "$BUILD/gridline-$name" >>"$E2E_DIR/$name-$suffix.log" 2>&1 &
  E2E_PIDS+=($!)
  E2E_PID[$name-$suffix]=$!
  wait_until 10 curl -sf "http://127.0.0.1:$port/healthz" || { echo "# $name-$suffix did not start"; exit 1; }
}
for s in aggregator notifier; do
  S=${s^^}
  start2 "$s" a "$(eval echo \$GRIDLINE_${S}_HTTP_PORT)"
  start2 "$s" b "${HTTP2[$S]}" "GRIDLINE_${S}_ENDPOINT=${EP2[$S]}"
done
ROUTER_ENV=("GRIDLINE_NOTIFIER_ENDPOINT=$(both "$EP1_NOTIFIER" "${EP2[NOTIFIER]}")"
  "GRIDLINE_AGGREGATOR_ENDPOINT=$(both "$EP1_AGGREGATOR" "${EP2[AGGREGATOR]}")")
start2 router a "$GRIDLINE_ROUTER_HTTP_PORT" "${ROUTER_ENV[@]}"
start2 router b "${HTTP2[ROUTER]}" "${ROUTER_ENV[@]}" "GRIDLINE_ROUTER_ENDPOINT=${EP2[ROUTER]}"
start2 intake a "$GRIDLINE_INTAKE_HTTP_PORT" \
  "GRIDLINE_ROUTER_ENDPOINT=$(both "$EP1_ROUTER" "${EP2[ROUTER]}")" \
  "GRIDLINE_AGGREGATOR_ENDPOINT=$(both "$EP1_AGGREGATOR" "${EP2[AGGREGATOR]}")"

villages=($(county_villages))
: >"$E2E_DIR/accepted"
send() {
  local i code
  for ((i = 0; i < N; i++)); do
    code=$(curl -s -o "$E2E_DIR/resp" -w '%{http_code}' -X POST "$INTAKE/v1/appeals" \
      -H 'Content-Type: application/json' \
      --data-binary "$(appeal_json "${villages[$((i % ${#villages[@]}))]}" heating app)")
    [ "$code" == 201 ] && jq -r .id "$E2E_DIR/resp" >>"$E2E_DIR/accepted"
    sleep 0.005
  done
}
send &
sender=$!
sleep 1.5
e2e_kill router-a KILL
echo "# router-a killed for good after $(wc -l <"$E2E_DIR/accepted") accepted"
wait "$sender"
check_eq "every appeal accepted" "$N" "$(wc -l <"$E2E_DIR/accepted")"
check "router-b finished router-a's work" wait_until 30 all_assigned "$N"
check_eq "assigned exactly once" 0 "$(histories_not_assigned_once)"
check "every alert delivered" wait_until 30 alerts_at_least "$N"
sleep 1.5
check_eq "alerted exactly once" "$N" "$(alerts_count)"
check "counted exactly once" wait_until 20 stat_is 150123 .appeals "$N"
check "assignments counted exactly once" wait_until 20 stat_is 150123 .by_event.assigned "$N"
check_eq "either aggregator answers the same" "$N" \
  "$(curl -s "http://127.0.0.1:${HTTP2[AGGREGATOR]}/v1/stats?region=150123" | jq -r .appeals)"
metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m {print $2}'; }
for s in ROUTER NOTIFIER AGGREGATOR; do
  name=${s,,}
  mname="gridline_${name}_events_total{result=\"applied\"}"
  b=$(metric "${HTTP2[$s]}" "$mname")
  check "$name-b did a share of the work ($b)" test "${b:-0}" -gt 0
  if [ $name != router ]; then
    a=$(metric "$(eval echo \$GRIDLINE_${s}_HTTP_PORT)" "$mname")
    check "$name-a did a share of the work ($a)" test "${a:-0}" -gt 0
  fi
done
exit 0
