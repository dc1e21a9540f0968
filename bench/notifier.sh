#!/usr/bin/env bash
# The notifier under load (issue 9), on this machine, real processes, all on loopback:
#
#  a) Delivery latency: appeals at a paced rate through the whole stack (intake -> router ->
#     notifier -> a webhook subscription for the whole province -> gridline-sink). Latency of
#     an alert = the sink's at_ms (its clock when the POST arrived) minus the appeal's
#     created_at_ms in Redis (appeal:{C}:<id>, stamped by intake just before it stores the
#     appeal and answers 201: so the figure includes intake's own store, at most a little
#     more than "from the 201"). Same machine, same wall clock. First receipt of each alert.
#     1,000 appeals/s for LAT_SECONDS (20), then steps of STEP_SECONDS (10) at 2000, 3000, ...
#     until a step falls behind: loadgen below 90% of the rate, a non-201, an alert missing
#     30 s after the step, or p99 over 1 s (a queue building somewhere).
#     The foundation's notifier (FOUNDATION_REF, default 18ed22c: the tree before the courier
#     work) is built once into FOUNDATION_DIR from git (git archive, no worktree) and run at
#     1,000/s in the same run, in turns with this tree (PAIRS times each), for the ratio of the
#     mean p99s. FOUNDATION=0 skips it.
#  b) Alerts/s to a local webhook sink, gridline beside a real Alertmanager, same run:
#     gridline: THROUGHPUT_N (20000) appeals unpaced through the whole stack, first POST to the
#     sink's last receipt (the whole stack, not the notifier alone: a lower bound for it);
#     Alertmanager: the same number of distinct alerts (one group each: group_by appeal_id,
#     group_wait 0s) POSTed to /api/v2/alerts 100 a request, first POST to the sink's last
#     receipt of its webhook.
#
#     The notifier alone: THROUGHPUT_N deliveries written due into Redis by one script (as
#     notify_accept leaves them; the write is not timed, its duration is printed), the notifier
#     already running: from the write's answer to the sink's last receipt.
#
# Usage: bench/notifier.sh   (make bench runs it). Internal phases: latency RATE:SECONDS...,
# throughput N, alertmanager N.
set -u
export GRIDLINE_LOG_LEVEL=warn
export GRIDLINE_OUTBOX_RESEND_AFTER_MS=${GRIDLINE_OUTBOX_RESEND_AFTER_MS:-5000}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
phase=${1:-all}

# ---- one stack: the four services, one subscription for the province (15) to the sink ----
s_stack() {
  e2e_start_redis
  e2e_start_sink
  e2e_configure
  sed -i -e '/name: baotou/d' -e "s|^  - {name: county-150123.*|  - {name: province, region: \"15\", url: \"http://127.0.0.1:$SINK_PORT/alerts/province\"}|" \
    "$E2E_CONFIG"
  e2e_start_services
}

# s_latencies FROM_LINE: "appeal_id latency_ms" of each alert first received from that line of
# the sink's record on (the assigned events)
s_latencies() {
  tail -n "+$1" "$E2E_DIR/alerts.jsonl" |
    jq -r '[.headers["X-Gridline-Alert-Id"], .at_ms] | @tsv' |
    awk -F'\t' '{split($1, a, ":"); if (!(a[1] in seen)) {seen[a[1]] = 1; print a[1], $2}}' \
      >"$E2E_DIR/received"
  awk '{printf "HGET appeal:{%s}:%s created_at_ms\n", substr($1, 1, 6), $1}' "$E2E_DIR/received" |
    rcli >"$E2E_DIR/created"
  paste -d' ' "$E2E_DIR/received" "$E2E_DIR/created" | awk '$3 != "" {print $1, $2 - $3}'
}

# s_percentiles < latencies: "p50 p90 p99 max count"
s_percentiles() {
  awk '{print $2}' | sort -n | awk '{v[NR] = $1} END {
    if (NR == 0) {print "- - - - 0"; exit}
    split("50 90 99", q, " ")
    for (i = 1; i <= 3; i++) {k = int((q[i] * NR + 99) / 100); printf "%d ", v[k < 1 ? 1 : k]}
    printf "%d %d\n", v[NR], NR }'
}

phase_latency() { # RATE:SECONDS... (stops at the first step that falls behind)
  source "$ROOT/tests/e2e/lib.sh"
  s_stack
  local step rate secs from sent ok achieved expected p50 p90 p99 max count why
  for step in "$@"; do
    rate=${step%%:*}
    secs=${step##*:}
    from=$(($(wc -l <"$E2E_DIR/alerts.jsonl") + 1))
    "$BUILD/gridline-loadgen" --url "$INTAKE" --rate "$rate" --duration "$secs" --concurrency 64 \
      --prefix 15 --json --quiet >"$E2E_DIR/loadgen.json" 2>"$E2E_DIR/loadgen.err"
    sent=$(jq -r .sent "$E2E_DIR/loadgen.json")
    ok=$(jq -r '.status["201"] // 0' "$E2E_DIR/loadgen.json")
    achieved=$(jq -r .rate "$E2E_DIR/loadgen.json")
    expected=$((from - 1 + ok))
    why=""
    wait_until 30 alerts_at_least "$expected" || why="alerts missing 30 s after the step"
    read -r p50 p90 p99 max count < <(s_latencies "$from" | s_percentiles)
    [ "$ok" == "$sent" ] || why="${why:+$why; }$((sent - ok)) appeals not 201"
    awk -v a="$achieved" -v r="$rate" 'BEGIN {exit !(a < 0.9 * r)}' && why="${why:+$why; }loadgen reached $achieved/s"
    [ "$p99" != - ] && [ "$p99" -gt 1000 ] && why="${why:+$why; }p99 over 1 s"
    printf 'latency %s %d %s %d %s %s %s %s %s %d "%s"\n' "${LABEL:-current}" \
      "$rate" "$achieved" "$secs" "$p50" "$p90" "$p99" "$max" "$count" "$ok" "${why:-sustained}"
    [ -z "$why" ] || break
  done
}

phase_throughput() { # N
  source "$ROOT/tests/e2e/lib.sh"
  s_stack
  local n=$1 t0
  t0=$(date +%s%3N)
  "$BUILD/gridline-loadgen" --url "$INTAKE" --count "$n" --concurrency 16 --prefix 15 --json \
    --quiet >"$E2E_DIR/loadgen.json"
  wait_received 120 "$n" || echo "# gridline: not every alert within 120 s"
  jq -r .at_ms "$E2E_DIR/alerts.jsonl" | sort -n |
    awk -v t0="$t0" -v n="$n" 'NR == 1 {f = $1} {l = $1} END {
      printf "throughput gridline %d %d %d %d\n", n, NR, l - t0, f - t0 }'
}

# received_at_least N: the sink has recorded N requests (a line each in its --out file): cheap
# enough to poll while the machine is being measured (jq and curl every 0.1 s took ~15 % of it)
received_at_least() { [ "$(wc -l <"$E2E_DIR/alerts.jsonl")" -ge "$1" ]; }
# wait_received SECONDS N: polls that every 0.25 s
wait_received() {
  local deadline=$((SECONDS + $1))
  until received_at_least "$2"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.25
  done
}

# cpu_ms PID: the process's user + system CPU so far, in ms (from /proc, clock ticks)
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$1/stat" 2>/dev/null || echo 0; }

phase_notifier() { # N: the notifier alone, from deliveries already due in Redis
  source "$ROOT/tests/e2e/lib.sh"
  e2e_start_redis
  e2e_start_sink --minimal # the receiver should cost the senders little
  e2e_configure
  sed -i -e '/name: baotou/d' -e "s|^  - {name: county-150123.*|  - {name: province, region: \"15\", url: \"http://127.0.0.1:$SINK_PORT/alerts/province\"}|" \
    "$E2E_CONFIG"
  local n=$1 t0
  # the notifier runs first (idle), sweeping every 100 ms like Alertmanager's group_wait 0s
  # flushes at once; then N deliveries of the subscription become due at once, spread over the
  # province's counties, as notify_accept leaves them for a sweep (bodies shaped like
  # alert_render's, ~700 bytes). t0: just before they are written.
  GRIDLINE_OUTBOX_SWEEP_INTERVAL_MS=100 e2e_start_service notifier
  local c_n c_r c_s
  c_s=$(cpu_ms "${E2E_PID[sink]}")
  c_n=$(cpu_ms "${E2E_PID[notifier]}")
  c_r=$(cpu_ms "${E2E_PID[redis]}")
  local t_w
  t_w=$(date +%s%3N)
  rcli eval "
    local now, n = ARGV[1], tonumber(ARGV[2])
    local counties = {}
    for i = 3, #ARGV do counties[#counties + 1] = ARGV[i] end
    for i = 1, n do
      local c = counties[(i % #counties) + 1]
      local id = string.format('%s-20261125-%06d', c, i)
      local m = id .. ':2|province'
      local body = string.format('{\"id\":\"%s:2\",\"appeal_id\":\"%s\",\"event\":\"assigned\",\"seq\":2,\"level\":\"green\",\"region\":\"%s100001\",\"region_names\":[\"内蒙古自治区\",\"呼和浩特市\",\"和林格尔县\",\"城关镇\",\"陶家窑村民委员会\"],\"channel\":\"hotline\",\"category\":\"heating\",\"department\":\"heating\",\"recipients\":[\"grid-worker:%s100001\"],\"summary\":\"[绿] 和林格尔县 陶家窑村民委员会 heating: assigned -> grid-worker\",\"reason_code\":\"routed\",\"at\":\"2026-11-25T05:11:58.792+08:00\",\"deadline\":\"2026-11-26T05:11:58.792+08:00\",\"subscription\":\"province\"}', id, id, c, c)
      redis.call('ZADD', 'delivery:{' .. c .. '}', now, m)
      redis.call('HSET', 'delivery:{' .. c .. '}:body', m, body)
      redis.call('HSET', 'delivery:{' .. c .. '}:meta', m, now .. ':0:0')
      redis.call('ZADD', 'pending:delivery', now, c)
    end
    return n" 0 "$(date +%s%3N)" "$n" \
    $(grep -E '^15[0-9]{4},county' "$E2E_ROOT/data/regions-nmg.csv" | cut -d, -f1) >/dev/null
  # t0: when the write (one script, atomic: nothing of it is visible before) answered, i.e. the
  # moment N deliveries are due, as Alertmanager's clock starts with its batches already made
  t0=$(date +%s%3N)
  echo "setup writing $n deliveries into Redis took $((t0 - t_w)) ms (not timed)"
  wait_received 120 "$n" || echo "# notifier alone: not every alert within 120 s"
  echo "cpu notifier $(( $(cpu_ms "${E2E_PID[notifier]}") - c_n )) redis $(( $(cpu_ms "${E2E_PID[redis]}") - c_r )) sink $(( $(cpu_ms "${E2E_PID[sink]}") - c_s )) ms for $n alerts (writing them into Redis included in redis)"
  jq -r .at_ms "$E2E_DIR/alerts.jsonl" | sort -n |
    awk -v t0="$t0" -v n="$n" 'NR == 1 {f = $1} {l = $1} END {
      printf "throughput notifier %d %d %d %d\n", n, NR, l - t0, f - t0 }'
}

phase_alertmanager() { # N
  source "$ROOT/tests/e2e/lib.sh"
  e2e_start_sink --minimal # the receiver should cost the senders little
  e2e_start_alertmanager "http://127.0.0.1:$SINK_PORT/am"
  local n=$1 per=100 b t0 now
  now=$(date -u +%FT%T.%3NZ)
  mkdir -p "$E2E_DIR/am"
  # the batches, made before the clock starts
  for ((b = 0; b * per < n; b++)); do
    awk -v b="$b" -v per="$per" -v n="$n" -v now="$now" 'BEGIN {
      printf "["
      for (i = b * per; i < (b + 1) * per && i < n; i++)
        printf "%s{\"labels\":{\"alertname\":\"gridline_appeal\",\"appeal_id\":\"bench-%06d\",\"region\":\"150123100204\",\"county\":\"150123\",\"level\":\"green\",\"category\":\"heating\",\"department\":\"heating\"},\"annotations\":{\"summary\":\"[绿] 和林格尔县 heating: assigned\",\"event\":\"assigned\"},\"startsAt\":\"%s\"}", (i > b * per ? "," : ""), i, now
      printf "]" }' >"$E2E_DIR/am/$(printf %05d "$b").json"
  done
  local c_a c_s
  c_a=$(cpu_ms "${E2E_PID[alertmanager]}")
  c_s=$(cpu_ms "${E2E_PID[sink]}")
  # one curl for every batch, one kept-alive connection (a curl process per batch would count
  # its start-up against Alertmanager)
  local sep=""
  for f in "$E2E_DIR"/am/*.json; do
    printf '%surl = "%s/api/v2/alerts"\nrequest = "POST"\nheader = "Content-Type: application/json"\ndata-binary = "@%s"\noutput = "/dev/null"\nfail\nsilent\n' \
      "$sep" "$ALERTMANAGER" "$f"
    sep=$'next\n'
  done >"$E2E_DIR/am.curl"
  t0=$(date +%s%3N)
  command curl -K "$E2E_DIR/am.curl" || echo "# alertmanager refused a batch"
  wait_received 120 "$n" || echo "# alertmanager: not every alert within 120 s"
  echo "cpu alertmanager $(( $(cpu_ms "${E2E_PID[alertmanager]}") - c_a )) sink $(( $(cpu_ms "${E2E_PID[sink]}") - c_s )) ms for $n alerts"
  # one alert a notification (group_by appeal_id, a distinct appeal_id each): count requests
  # (the sink is --minimal: it does not parse bodies)
  jq -r '[.at_ms, 1] | @tsv' "$E2E_DIR/alerts.jsonl" | sort -n |
    awk -v t0="$t0" -v n="$n" 'NR == 1 {f = $1} {l = $1; a += $2} END {
      printf "throughput alertmanager %d %d %d %d\n", n, a, l - t0, f - t0 }'
}

# ---- the whole run ----
foundation_build() { # prints the build directory of the foundation's binaries, or nothing
  local ref=${FOUNDATION_REF:-18ed22c} dir
  dir=${FOUNDATION_DIR:-/tmp/gridline-foundation-$ref}
  if [ ! -x "$dir/build/gridline-notifier" ]; then
    rm -rf "$dir" && mkdir -p "$dir" &&
      git -C "$ROOT" archive "$ref" | tar -x -C "$dir" &&
      make -C "$dir" -j"$(nproc)" build/gridline-intake build/gridline-router \
        build/gridline-notifier build/gridline-aggregator >"$dir.build.log" 2>&1 ||
      { echo "# could not build the foundation ($ref): see $dir.build.log" >&2; return; }
  fi
  # the same measuring tools for both: this tree's sink and loadgen
  ln -sf "$BUILD/gridline-sink" "$BUILD/gridline-loadgen" "$dir/build/" || return
  echo "$dir/build"
}

run_all() {
  local lat_s=${LAT_SECONDS:-20} step_s=${STEP_SECONDS:-10} n=${THROUGHPUT_N:-20000} old r
  local steps=("1000:$lat_s")
  for r in 2000 3000 4000 5000 6000 8000; do steps+=("$r:$step_s"); done
  BUILD=${BUILD:-$ROOT/build}
  case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
  echo "== gridline notifier bench: $(nproc) cores, appendfsync ${E2E_FSYNC:-always}, $(date -u +%F)"
  echo "latency = sink receipt - appeal created_at_ms (ms), first receipt of each alert; one webhook subscription (region 15)"
  local out
  out=$(BUILD=$BUILD "$0" latency "${steps[@]}")
  # the same with notifier.max_per_host 64 (default 32): one webhook host takes every alert here
  out+=$'\n'$(BUILD=$BUILD LABEL=current/ph64 GRIDLINE_NOTIFIER_MAX_PER_HOST=64 "$0" latency "${steps[@]}")
  # the p99 at 1,000/s swings by 2x between runs on this shared machine: the foundation and
  # this tree take turns, PAIRS (2) times each, and their mean p99s are compared
  if [ "${FOUNDATION:-1}" != 0 ] && old=$(foundation_build) && [ -n "$old" ]; then
    for ((r = 0; r < ${PAIRS:-2}; r++)); do
      out+=$'\n'$(BUILD=$old LABEL=foundation "$0" latency "1000:$lat_s")
      out+=$'\n'$(BUILD=$BUILD LABEL=pair "$0" latency "1000:$lat_s")
    done
  fi
  printf '%-13s %6s %9s %4s %6s %6s %6s %6s %7s  %s\n' stack rate achieved s p50 p90 p99 max alerts result
  grep '^latency' <<<"$out" | sed 's/^latency //' |
    awk '{printf "%-13s %6s %9s %4s %6s %6s %6s %6s %7s  ", $1, $2, $3, $4, $5, $6, $7, $8, $9
      $1 = $2 = $3 = $4 = $5 = $6 = $7 = $8 = $9 = $10 = ""; sub(/^ +/, ""); print}'
  local label top
  for label in current current/ph64; do
    top=$(awk -v l="$label" '$1 == "latency" && $2 == l && /"sustained"/ {r = $3} END {print r + 0}' <<<"$out")
    echo "$label: highest rate sustained $top appeals/s"
  done
  # "pair" rows: this tree (defaults) in turns with the foundation; mean p99 of each
  awk '$1 == "latency" && $3 == 1000 && ($2 == "pair" || $2 == "foundation") {s[$2] += $8; n[$2]++}
    END { if (n["pair"] && n["foundation"] && s["foundation"] > 0)
      printf "p99 at 1000/s, mean of %d turns each: this tree %.0f ms, foundation %.0f ms: ratio %.2f (target <= 1.2)\n",
        n["pair"], s["pair"] / n["pair"], s["foundation"] / n["foundation"],
        (s["pair"] / n["pair"]) / (s["foundation"] / n["foundation"]) }' <<<"$out"
  local g o o64 a rate_g rate_o rate_o64 rate_a
  g=$(BUILD=$BUILD "$0" throughput "$n" | grep '^throughput')
  local o_all a_all
  o_all=$(BUILD=$BUILD "$0" notifier "$n")
  o=$(grep '^throughput' <<<"$o_all")
  o64=$(BUILD=$BUILD GRIDLINE_NOTIFIER_MAX_PER_HOST=64 "$0" notifier "$n" | grep '^throughput')
  a_all=$("$0" alertmanager "$n")
  a=$(grep '^throughput' <<<"$a_all")
  rate_g=$(awk '{printf "%.0f", $4 / ($5 / 1000)}' <<<"$g")
  rate_o=$(awk '{printf "%.0f", $4 / ($5 / 1000)}' <<<"$o")
  rate_a=$(awk '{printf "%.0f", $4 / ($5 / 1000)}' <<<"$a")
  rate_o64=$(awk '{printf "%.0f", $4 / ($5 / 1000)}' <<<"$o64")
  awk -v r="$rate_o" '{printf "gridline notifier alone (%d deliveries made due at once in Redis, 108 counties, notifier running, sweep 100 ms; due to last receipt): %d in %.2f s: %d alerts/s\n", $3, $4, $5 / 1000, r}' <<<"$o"
  awk -v r="$rate_o64" '{printf "gridline notifier alone, max_per_host 64: %d in %.2f s: %d alerts/s\n", $4, $5 / 1000, r}' <<<"$o64"
  awk -v r="$rate_g" '{printf "gridline whole stack (%d appeals unpaced, loadgen concurrency 16; first POST to last receipt): %d in %.2f s: %d alerts/s\n", $3, $4, $5 / 1000, r}' <<<"$g"
  awk -v r="$rate_a" '{printf "alertmanager (%d alerts, 100 a POST, one group each; first POST to last webhook receipt): %d in %.2f s: %d alerts/s\n", $3, $4, $5 / 1000, r}' <<<"$a"
  # CPU per alert of the sender itself (the sink's and the bench's own are the same for both)
  grep '^cpu' <<<"$o_all"$'\n'"$a_all" | awk -v n="$n" '{
    if ($2 == "notifier") printf "cpu per alert: gridline notifier %.3f ms, redis %.3f ms (the bench writing the deliveries included), the sink %.3f ms\n", $3 / n, $5 / n, $7 / n
    else printf "cpu per alert: alertmanager %.3f ms, the sink %.3f ms\n", $3 / n, $5 / n }'
  awk -v o="$rate_o" -v o64="$rate_o64" -v g="$rate_g" -v a="$rate_a" 'BEGIN {
    printf "ratio to alertmanager (target >= 2): notifier alone %.2f (max_per_host 64: %.2f), whole stack %.2f\n", (a > 0 ? o / a : 0), (a > 0 ? o64 / a : 0), (a > 0 ? g / a : 0) }'
}

case "$phase" in
latency) shift; phase_latency "$@" ;;
throughput) phase_throughput "$2" ;;
notifier) phase_notifier "$2" ;;
alertmanager) phase_alertmanager "$2" ;;
all) run_all ;;
*) echo "usage: $0 [latency RATE:SECONDS... | throughput N | alertmanager N]" >&2; exit 2 ;;
esac
