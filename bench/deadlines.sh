#!/usr/bin/env bash
# Deadlines under load: N open appeals (assigned green, both clocks pending) on this machine with
# a real Redis. Reports
#   - the Redis calls of a router's idle tick (nothing due): INFO commandstats over S seconds
#     with the router running, minus S seconds with it stopped (SIGSTOP), divided by the ticks
#     (one per outbox.sweep_interval_ms), with few and with N open appeals;
#   - deadlines fired per second by one router (N green acks overdue at once -> blue), then by
#     two routers (N blue acks overdue at once -> yellow), with Redis calls and CPU per firing.
# Deadlines fall due by starting the firing routers with clock.offset_ms ahead (their own
# endpoints; router "a", real clock, assigns and stays idle). Only the new level's ack deadline
# lies 2..5 days ahead of the firing routers' now, so counting the deadline sets' members there
# counts the escalations applied (router side; the aggregator's count is reported beside it).
# Usage: bench/deadlines.sh [N] [SECONDS]   (N=100000, S=10; PREFIX=15: the whole province;
# SMALL=1000: the "few open appeals" idle measure; C=16 loadgen concurrency)
set -u
N=${1:-${N:-100000}}
S=${2:-${S:-10}}
PREFIX=${PREFIX:-15}
SMALL=${SMALL:-1000}
C=${C:-16}
export GRIDLINE_LOG_LEVEL=warn
export GRIDLINE_OUTBOX_RESEND_AFTER_MS=${GRIDLINE_OUTBOX_RESEND_AFTER_MS:-5000}
export GRIDLINE_OUTBOX_SWEEP_INTERVAL_MS=${GRIDLINE_OUTBOX_SWEEP_INTERVAL_MS:-1000}
source "$(dirname "$0")/../tests/e2e/lib.sh"
E2E_FAILED=0
if ! "$BUILD/gridline-router" --help 2>&1 | grep -q 'ladder\.green\.ack'; then
  echo "this build has no ladder.green.ack (escalation not built yet)"
  exit 1
fi
H=3600000
D=$((24 * H))
export GRIDLINE_LADDER_GREEN_ACK=1h GRIDLINE_LADDER_GREEN_RESOLVE=30d
export GRIDLINE_LADDER_BLUE_ACK=3d GRIDLINE_LADDER_BLUE_RESOLVE=30d
export GRIDLINE_LADDER_YELLOW_ACK=3d GRIDLINE_LADDER_YELLOW_RESOLVE=30d
export GRIDLINE_LADDER_RED_ACK=3d GRIDLINE_LADDER_RED_RESOLVE=30d GRIDLINE_LADDER_RED_REMIND=3d
# firing 1: every green ack (1h) overdue; firing 2: every blue ack (3d after firing 1) overdue
OFFSET1=$((H + 60000))
OFFSET2=$((OFFSET1 + 3 * D + 60000))
TICKS=$((S * 1000 / GRIDLINE_OUTBOX_SWEEP_INTERVAL_MS))

cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) * 1000 / hz}' "/proc/$1/stat"; }
# commandstats as "command calls" lines, INFO/CONFIG (this script's own) left out
cmdstats() { rcli info commandstats | awk -F'[=,:]' '/^cmdstat_/ && $1 !~ /_(info|config)$/ {sub("cmdstat_", "", $1); print $1, $3}'; }
sum2() { awk '{s += $2} END {print s + 0}' "$@"; }
ms() { date +%s%3N; }

e2e_start_redis
e2e_configure
cat >"$E2E_CONFIG" <<'YAML'
directory: []
subscriptions: []
YAML
for s in aggregator notifier router intake; do e2e_start_service "$s"; done
declare -A RPORT REP
for r in b c; do
  free_port p
  RPORT[$r]=$p
  free_port p
  REP[$r]="tcp://127.0.0.1:$p"
done
start_router() { # b|c OFFSET
  env GRIDLINE_INSTANCE="router-$1" GRIDLINE_ROUTER_HTTP_PORT="${RPORT[$1]}" \
    GRIDLINE_ROUTER_ENDPOINT="${REP[$1]}" GRIDLINE_CLOCK_OFFSET_MS="$2" \
    "$BUILD/gridline-router" >>"$E2E_DIR/router-$1.log" 2>&1 &
  E2E_PIDS+=($!)
  E2E_PID[router-$1]=$!
}

assigned_at_least() { [ "$(curl -s "$AGGREGATOR/v1/stats?region=$PREFIX" | jq -r '.by_event.assigned // 0')" -ge "$1" ]; }
load() { # COUNT SEED
  "$BUILD/gridline-loadgen" --url "$INTAKE" --count "$1" --concurrency "$C" --prefix "$PREFIX" \
    --seed "$2" --json --quiet >>"$E2E_DIR/loadgen.json"
}

# idle_tick LABEL: Redis calls per tick of router a (nothing due), and of the whole stack per s
idle_tick() {
  # the last traffic's marks age out of the pending indexes (grace: 2 x resend, >= 10 s)
  sleep "${IDLE_AFTER:-12}"
  rcli config resetstat >/dev/null
  sleep "$S"
  cmdstats >"$E2E_DIR/idle.all"
  kill -STOP "${E2E_PID[router]}"
  sleep 1
  rcli config resetstat >/dev/null
  sleep "$S"
  cmdstats >"$E2E_DIR/idle.norouter"
  kill -CONT "${E2E_PID[router]}"
  local all none
  all=$(sum2 "$E2E_DIR/idle.all")
  none=$(sum2 "$E2E_DIR/idle.norouter")
  IDLE_LINE[$1]=$(awk -v a="$all" -v b="$none" -v t="$TICKS" -v s="$S" 'BEGIN {
    printf "%6.1f calls/tick   (stack %.1f calls/s, without the router %.1f)", (a - b) / t, a / s, b / s }')
  IDLE_CMDS[$1]=$(awk -v t="$TICKS" 'NR == FNR {b[$1] = $2; next} {d = ($2 - b[$1]) / t; if (d > 0.05) printf "%s %.1f, ", $1, d}' \
    "$E2E_DIR/idle.norouter" "$E2E_DIR/idle.all" | sed 's/, $//')
}
declare -A IDLE_LINE IDLE_CMDS FIRE_LINE FIRE_CMDS

# ---- load: SMALL appeals, idle tick, then the rest, idle tick ----
t0=$(ms)
load "$SMALL" 1
wait_until 120 assigned_at_least "$SMALL" || echo "# not all $SMALL assigned"
t1=$(ms)
idle_tick small
t2=$(ms)
load $((N - SMALL)) 2
wait_until 600 assigned_at_least "$N" || echo "# not all $N assigned within 600 s"
t3=$(ms)
LOAD_S=$(awk -v a=$((t1 - t0 + t3 - t2)) 'BEGIN {printf "%.2f", a / 1000}')
COUNTIES=($(rcli --raw keys 'deadline:{*}' | sed 's/^deadline:{\(.*\)}$/\1/' | sort))
idle_tick large

# climbed LO: members of the deadline sets in [now+LO, now+LO+3d] (the new level's ack deadlines)
climbed() {
  local now
  now=$(ms)
  rcli eval "local n=0 for _,k in ipairs(KEYS) do n=n+redis.call('zcount',k,ARGV[1],ARGV[2]) end return n" \
    "${#COUNTIES[@]}" $(printf 'deadline:{%s} ' "${COUNTIES[@]}") $((now + $1)) $((now + $1 + 3 * D))
}
# the aggregator's ev:escalated over PREFIX on the local days of the firing routers' clock
# (their events' at_ms; the stats API, not KEYS over the whole keyspace while timing)
DAYS=()
day_of() { date -u -d "@$(($(date +%s) + $1 / 1000 + 8 * 3600))" +%Y%m%d; }
escalated_counted() {
  local d n=0
  for d in "${DAYS[@]}"; do
    n=$((n + $(curl -s "$AGGREGATOR/v1/stats?region=$PREFIX&day=$d" | jq -r '.by_event.escalated // 0')))
  done
  echo "$n"
}
# entries left in the notifier's and the aggregator's outboxes
outbox_left() {
  rcli eval "local n=0 for _,k in ipairs(KEYS) do n=n+redis.call('zcard',k) end return n" \
    $((2 * ${#COUNTIES[@]})) $(for c in "${COUNTIES[@]}"; do echo "outbox:{$c}:notifier outbox:{$c}:aggregator"; done)
}

# fire LABEL OFFSET LO ROUTERS...: start the routers, poll until N climbed (or nothing moves)
fire() {
  local label=$1 offset=$2 lo=$3 r n last=-1 polls=0 stalled=$SECONDS t_first=0 t_start t_done
  shift 3
  DAYS=($(day_of "$offset"))
  local before=$(($(escalated_counted)))
  declare -A cpu0
  cmdstats >"$E2E_DIR/fire.before"
  cpu0[redis]=$(cpu_ms "${E2E_PID[redis]}")
  t_start=$(ms)
  for r in "$@"; do start_router "$r" "$offset"; done
  while :; do
    n=$(climbed "$lo")
    polls=$((polls + 1))
    [ "$t_first" == 0 ] && [ "$n" -gt 0 ] && t_first=$(ms)
    [ "$n" -ge "$N" ] && break
    [ "$n" != "$last" ] && { last=$n; stalled=$SECONDS; }
    [ $((SECONDS - stalled)) -ge 20 ] && { echo "# $label: stalled at $n of $N"; break; }
    sleep 0.1
  done
  t_done=$(ms)
  [ "$(day_of "$offset")" != "${DAYS[0]}" ] && DAYS+=("$(day_of "$offset")")
  local cpu_routers=0
  for r in "$@"; do cpu_routers=$(awk -v a="$cpu_routers" -v b="$(cpu_ms "${E2E_PID[router-$r]}")" 'BEGIN {print a + b}'); done
  counted_all() { [ $(($(escalated_counted) - before)) -ge "$n" ]; }
  wait_until 120 counted_all
  local t_counted
  t_counted=$(ms)
  outbox_empty() { [ "$(outbox_left)" == 0 ]; }
  wait_until 60 outbox_empty
  # Redis work of the whole stack for these firings (the router's, the notifier's and the
  # aggregator's), up to the last event counted
  local cpu_redis
  cpu_redis=$(awk -v a="${cpu0[redis]}" -v b="$(cpu_ms "${E2E_PID[redis]}")" 'BEGIN {print b - a}')
  cmdstats >"$E2E_DIR/fire.after"
  # less this script's own calls: per poll one EVAL and one ZCOUNT per county; the waits above
  # (the stats API's reads, one EVAL + a ZCARD per outbox) are left in: small beside N
  local cmds
  cmds=$(awk -v p="$polls" -v k="${#COUNTIES[@]}" '{s += $2} END {print s - p * (1 + k)}' \
    <(awk 'NR == FNR {b[$1] = $2; next} {print $1, $2 - b[$1]}' "$E2E_DIR/fire.before" "$E2E_DIR/fire.after"))
  if [ "$t_first" == 0 ]; then
    FIRE_LINE[$label]="nothing fired within 20 s"
    return
  fi
  FIRE_LINE[$label]=$(awk -v n="$n" -v s="$t_start" -v f="$t_first" -v d="$t_done" -v c="$t_counted" -v cmds="$cmds" \
    -v cr="$cpu_routers" -v cd="$cpu_redis" 'BEGIN {
    printf "%6.0f fired/s  (%d in %.2f s from the first; first after %.2f s; counted by the aggregator after %.2f s)  per firing: %.1f redis calls (stack), cpu router %.3f ms, redis %.3f ms",
      n / ((d - f) / 1000), n, (d - f) / 1000, (f - s) / 1000, (c - s) / 1000, cmds / n, cr / n, cd / n }')
  FIRE_CMDS[$label]=$(awk 'NR == FNR {b[$1] = $2; next} {print $1, $2 - b[$1]}' "$E2E_DIR/fire.before" "$E2E_DIR/fire.after" |
    sort -k2 -nr | head -n 8 | awk -v n="$n" '{printf "%s%s %.2f", (NR > 1 ? ", " : ""), $1, $2 / n}')
  for r in "$@"; do
    curl -s "http://127.0.0.1:${RPORT[$r]}/metrics" | grep -E '^gridline_router_clocks' |
      awk -v l="$label" -v r="$r" '$2 > 0 {sub("gridline_router_", ""); printf "%s%s", (n++ ? ", " : "#   " l ", router-" r ": "), $1 " " $2} END {if (n) print ""}' >>"$E2E_DIR/fire.metrics"
  done
}

fire one $OFFSET1 $((2 * D)) b
e2e_kill router-b TERM
fire two $OFFSET2 $((5 * D)) b c

echo "== gridline deadlines bench: $N open appeals in ${#COUNTIES[@]} counties (prefix $PREFIX), sweep interval ${GRIDLINE_OUTBOX_SWEEP_INTERVAL_MS} ms, appendfsync ${E2E_FSYNC:-always}, $(nproc) cores, $(date -u +%F)"
echo "load: $N appeals accepted and assigned in $LOAD_S s ($(awk -v n="$N" -v s="$LOAD_S" 'BEGIN {printf "%.0f", n / s}')/s; loadgen concurrency $C, $SMALL first)"
printf '%-44s %s\n' "idle tick of a router, $SMALL open appeals:" "${IDLE_LINE[small]}"
printf '%-44s %s\n' "" "${IDLE_CMDS[small]}"
printf '%-44s %s\n' "idle tick of a router, $N open appeals:" "${IDLE_LINE[large]}"
printf '%-44s %s\n' "" "${IDLE_CMDS[large]}"
printf '%-44s %s\n' "deadlines fired, 1 router (green -> blue):" "${FIRE_LINE[one]}"
printf '%-44s %s\n' "  calls per firing (top 8, stack):" "${FIRE_CMDS[one]:-}"
printf '%-44s %s\n' "deadlines fired, 2 routers (blue -> yellow):" "${FIRE_LINE[two]}"
printf '%-44s %s\n' "  calls per firing (top 8, stack):" "${FIRE_CMDS[two]:-}"
[ -s "$E2E_DIR/fire.metrics" ] && cat "$E2E_DIR/fire.metrics"
exit 0
