#!/usr/bin/env bash
# Redis instructions per appeal, counted by callgrind: repeatable whatever else the machine does,
# so two builds compare exactly (BUILD=other/build bench/redis-instructions.sh). The whole path
# (intake -> router -> notifier/aggregator) with sweeps and resends pushed out of the run, so
# only the per-appeal work counts. Usage: bench/redis-instructions.sh [N] [CONCURRENCY]
# (PREFIX=150123: every appeal in one county)
set -u
N=${1:-2000}
C=${2:-8}
export GRIDLINE_LOG_LEVEL=warn
export GRIDLINE_OUTBOX_RESEND_AFTER_MS=600000
export GRIDLINE_OUTBOX_SWEEP_INTERVAL_MS=600000
OUT=$(mktemp -d /tmp/gridline-callgrind.XXXXXX)
source "$(dirname "$0")/../tests/e2e/lib.sh"
E2E_FAILED=0
wait_redis() { for _ in $(seq 600); do rcli ping >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
free_port REDIS_PORT
mkdir -p "$E2E_DIR/redis"
valgrind --tool=callgrind --callgrind-out-file="$OUT/redis.%p" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$E2E_DIR/redis" \
  --appendonly yes --appendfsync everysec --save '' --daemonize no --logfile "$E2E_DIR/redis.log" \
  2>"$E2E_DIR/valgrind.log" &
E2E_PID[redis]=$!
E2E_PIDS+=($!)
export GRIDLINE_REDIS_PORT=$REDIS_PORT
wait_redis || { echo "redis did not start"; exit 1; }
e2e_start_sink
e2e_configure
e2e_start_services
"$BUILD/gridline-loadgen" --url "$INTAKE" --count 50 --concurrency 2 --prefix 15 --quiet --seed 1 >/dev/null
# done: the aggregator counted every event (collected + assigned per appeal). Read from its
# /metrics, not /v1/stats, so that waiting costs Redis nothing.
done_when() {
  [ "$(curl -s "$AGGREGATOR/metrics" | awk '/^gridline_aggregator_events_total\{result="(counted|applied)"\}/ {s += $2} END {print s + 0}')" -ge $((2 * $1)) ]
}
wait_until 120 done_when 50
callgrind_control -z "${E2E_PID[redis]}" >/dev/null # count from here
"$BUILD/gridline-loadgen" --url "$INTAKE" --count "$N" --concurrency "$C" --prefix "${PREFIX:-15}" --quiet --seed 2 >/dev/null
wait_until 600 done_when $((N + 50)) || echo "# not all assigned"
sleep 1
callgrind_control -d "${E2E_PID[redis]}" >/dev/null
sleep 1
total=$(for f in "$OUT"/redis.*.*; do callgrind_annotate "$f" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'; done | sort -n | tail -n1)
echo "redis instructions per appeal: $(awk -v t="$total" -v n="$N" 'BEGIN {printf "%.0f", t / n}') ($N appeals, build $BUILD)"
kill "${E2E_PID[redis]}" 2>/dev/null
[ -n "${KEEP:-}" ] && echo "callgrind output kept in $OUT" || rm -rf "$OUT"
