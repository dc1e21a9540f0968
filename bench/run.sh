#!/usr/bin/env bash
# The whole path under load: N appeals through intake -> router -> notifier/aggregator, on this
# machine, with a real Redis. Reports appeals/s end to end (first POST until the last one is
# counted as assigned), Redis commands per appeal (INFO commandstats, script-inner calls
# included) and CPU ms per appeal of each process. Usage: bench/run.sh [N] [CONCURRENCY]
# (PREFIX=150123 sends every appeal to one county, where per-county batches grow)
# MODE=batch: POST /v1/appeals:batch, BATCH (1000) NDJSON lines a request, CONCURRENCY (2) at once.
# MODE=gateway: through intake's ZeroMQ gateway instead of HTTP, CONCURRENCY submissions in
# flight (default 4000); E2E_FSYNC=everysec (default always) sets Redis's appendfsync.
set -u
MODE=${MODE:-http}
N=${1:-${N:-20000}}
C=${2:-${C:-$([ "$MODE" == gateway ] && echo 4000 || { [ "$MODE" == batch ] && echo 2; } || echo 16)}}
export GRIDLINE_LOG_LEVEL=warn
# the production default: a slow hop is not mistaken for a lost event
export GRIDLINE_OUTBOX_RESEND_AFTER_MS=${GRIDLINE_OUTBOX_RESEND_AFTER_MS:-5000}
source "$(dirname "$0")/../tests/e2e/lib.sh"
E2E_FAILED=0

cpu_ms() { # utime+stime of a pid, in ms
  awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) * 1000 / hz}' "/proc/$1/stat"
}
commands() { # total calls over all commands
  rcli info commandstats | awk -F'[=,:]' '/^cmdstat_/ {s += $3} END {print s}'
}

e2e_start_redis
e2e_start_sink
e2e_configure
e2e_start_services
if [ "$MODE" == batch ]; then # the lines, made before the clock starts
  grep -E "^${PREFIX:-15}[0-9]*,village" "$E2E_ROOT/data/regions-nmg.csv" | cut -d, -f1 |
    awk -v n="$N" 'BEGIN {srand(7)} {v[NR] = $1} END {
      for (i = 1; i <= n; i++)
        printf "{\"channel\":\"wechat\",\"region\":\"%s\",\"category\":\"heating\",\"description\":\"暖气不热，室温只有12度\",\"external_id\":\"bench-%d\"}\n", v[int(rand() * NR) + 1], i }' \
    >"$E2E_DIR/lines.ndjson"
fi
procs=(redis intake router notifier aggregator)
declare -A cpu0
for p in "${procs[@]}"; do cpu0[$p]=$(cpu_ms "${E2E_PID[$p]}"); done
rcli config resetstat >/dev/null
cmd0=$(commands)
t0=$(date +%s.%N)
if [ "$MODE" == batch ]; then
  # NDJSON batches of BATCH lines (each with its external_id), C of them in flight
  bash -c 'cd "$1" && split -l "$2" -d -a 4 lines.ndjson batch.' _ "$E2E_DIR" "${BATCH:-1000}"
  ls "$E2E_DIR"/batch.* | xargs -P "$C" -I{} curl -s -o {}.out -X POST "$INTAKE/v1/appeals:batch" \
    -H "Authorization: Bearer $E2E_TOKEN" -H 'Content-Type: application/x-ndjson' --data-binary @{}
  created=$(cat "$E2E_DIR"/batch.*.out | grep -c '"result":"created"')
  echo "{\"mode\":\"batch\",\"sent\":$N,\"created\":$created,\"batch_lines\":${BATCH:-1000}}" >"$E2E_DIR/loadgen.json"
else
  if [ "$MODE" == gateway ]; then target=(--gateway "$GATEWAY"); else target=(--url "$INTAKE"); fi
  "$BUILD/gridline-loadgen" "${target[@]}" --count "$N" --concurrency "$C" --prefix "${PREFIX:-15}" --json --quiet \
    >"$E2E_DIR/loadgen.json"
fi
t_post=$(date +%s.%N)
done_when() { [ "$(curl -s "$AGGREGATOR/v1/stats?region=15" | jq -r '.by_event.assigned // 0')" -ge "$N" ]; }
wait_until 600 done_when || echo "# not everything was assigned within 600 s"
t1=$(date +%s.%N)
county_assigned=$(curl -s "$AGGREGATOR/v1/stats?region=150123" | jq -r '.by_event.assigned // 0')
alerts_ok=$(wait_until 60 alerts_at_least "$county_assigned" && echo "yes ($county_assigned)" || echo no)
cmd1=$(commands)
echo "== gridline bench ($MODE, appendfsync ${E2E_FSYNC:-always}): $N appeals, loadgen concurrency $C, $(nproc) cores, $(date -u +%F)"
echo "loadgen: $(cat "$E2E_DIR/loadgen.json")"
awk -v n="$N" -v a="$t0" -v b="$t_post" -v c="$t1" 'BEGIN {
  printf "intake accepted:        %.0f appeals/s (%.2f s)\n", n / (b - a), b - a
  printf "end to end (assigned and counted): %.0f appeals/s (%.2f s)\n", n / (c - a), c - a }'
echo "redis commands per appeal: $(awk -v a="$cmd0" -v b="$cmd1" -v n="$N" 'BEGIN {printf "%.1f", (b - a) / n}')"
# calls and Redis-side microseconds per appeal of each command (script-inner calls included:
# the evalsha line's time includes theirs)
rcli info commandstats | awk -F'[=,:]' -v n="$N" '/^cmdstat_/ {printf "  %-22s %7.2f per appeal %8.2f us\n", $1, $3 / n, $5 / n}' | sort -k2 -nr | sed 's/cmdstat_//'
total=0
for p in "${procs[@]}"; do
  used=$(awk -v a="${cpu0[$p]}" -v b="$(cpu_ms "${E2E_PID[$p]}")" 'BEGIN {print b - a}')
  total=$(awk -v t="$total" -v u="$used" 'BEGIN {print t + u}')
  awk -v p="$p" -v u="$used" -v n="$N" 'BEGIN {printf "cpu %-11s %6.3f ms per appeal\n", p, u / n}'
done
awk -v t="$total" -v n="$N" 'BEGIN {printf "cpu %-11s %6.3f ms per appeal (services and Redis; loadgen not counted)\n", "total", t / n}'
echo "alerts delivered for the county subscription: $alerts_ok"
for s in intake router notifier aggregator; do
  port_var="GRIDLINE_${s^^}_HTTP_PORT"
  curl -s "http://127.0.0.1:${!port_var}/metrics" |
    awk -v s="$s" '/^gridline_(outbox_resent|send_deferred|.*events)_total/ && $2 > 0 {printf "metric %-10s %s %s\n", s, $1, $2}'
done
