#!/usr/bin/env bash
# Reading the counters (issue 10): how long GET /v1/stats takes for the whole province over a
# year, a quarter, a month, and with by=day over a month, against a Redis holding a full year of
# counters for every county (108 counties x 365 days, ~40 fields each, and their monthly
# roll-ups, written directly as stats_apply leaves them). Each figure is the median of R
# requests (curl's time_total), with the Redis commands per request beside it.
# Usage: bench/stats.sh [R]   (R=5; YEAR=2026)
set -u
R=${1:-5}
YEAR=${YEAR:-2026}
export GRIDLINE_LOG_LEVEL=warn
source "$(dirname "$0")/../tests/e2e/lib.sh"
E2E_FAILED=0
e2e_start_redis
e2e_configure
e2e_start_service aggregator

counties=$(grep -E '^15[0-9]{4},county' "$E2E_ROOT/data/regions-nmg.csv" | cut -d, -f1)
t0=$(date +%s%3N)
for c in $counties; do
  rcli eval '
local c, year = ARGV[1], ARGV[2]
local mdays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
local fields = {"ch:hotline", "ch:wechat", "ch:web", "ch:app", "ch:visit", "ch:meeting",
  "cat:heating", "cat:water", "cat:power", "cat:roads", "cat:land", "cat:wages", "cat:city",
  "lvl:green", "lvl:blue", "lvl:yellow", "lvl:red", "esc:ack_overdue", "esc:resolve_overdue",
  "escl:blue", "escl:yellow", "escl:red", "fb:satisfied", "fb:basically_satisfied",
  "fb:unsatisfied", "ev:collected", "ev:assigned", "ev:acknowledged", "ev:resolved",
  "ev:closed", "ev:escalated", "r:assigned", "r:ack", "r:ack_on_time", "r:res",
  "r:res_on_time", "r:fb", "r:fb_sat", "r:fb_solved", "dack:3600", "dres:86400"}
for m = 1, 12 do
  local month = string.format("%s%02d", year, m)
  local roll = {}
  for d = 1, mdays[m] do
    local args = {}
    for i, f in ipairs(fields) do
      local v = (i * 7 + d * 3 + m) % 23 + 1
      args[#args + 1] = f
      args[#args + 1] = v
      roll[f] = (roll[f] or 0) + v
    end
    redis.call("HSET", "stats:{" .. c .. "}:" .. month .. string.format("%02d", d) .. ":" .. c, unpack(args))
  end
  local args = {}
  for f, v in pairs(roll) do args[#args + 1] = f; args[#args + 1] = v end
  redis.call("HSET", "stats:{" .. c .. "}:" .. month .. ":" .. c, unpack(args))
end
return 1' 0 "$c" "$YEAR" >/dev/null
done
echo "== /v1/stats reading bench: $(nproc) cores, $(date -u +%F)"
echo "setup: $(wc -w <<<"$counties") counties x 365 days of counters written in $(($(date +%s%3N) - t0)) ms; redis keys: $(rcli dbsize)"

# one(query): "median_s commands_per_request"
one() {
  local q=$1 i times=() before after
  before=$(rcli info commandstats | awk -F'[:=,]' '/^cmdstat_/ {n += $3} END {print n}')
  for ((i = 0; i < R; i++)); do
    times+=("$(curl -s -o "$E2E_DIR/out.json" -w '%{time_total}' -H "Authorization: Bearer $E2E_TOKEN" "$AGGREGATOR/v1/stats?$q")")
  done
  after=$(rcli info commandstats | awk -F'[:=,]' '/^cmdstat_/ {n += $3} END {print n}')
  printf '%s\n' "${times[@]}" | sort -n | awk -v n="$R" -v c="$(((after - before - 1) / R))" \
    -v a="$(jq -r .appeals "$E2E_DIR/out.json")" '{v[NR] = $1} END {printf "median %.3f s, max %.3f s, %d Redis commands a request, appeals %s\n", v[int((n + 1) / 2)], v[n], c, a}'
}
printf '%-44s %s\n' "province, year ($YEAR)" "$(one "region=15&from=${YEAR}0101&to=${YEAR}1231")"
printf '%-44s %s\n' "province, Q4" "$(one "region=15&from=${YEAR}1001&to=${YEAR}1231")"
printf '%-44s %s\n' "province, November" "$(one "region=15&from=${YEAR}1101&to=${YEAR}1130")"
printf '%-44s %s\n' "province, 15 Nov - 14 Dec (days, no roll-up)" "$(one "region=15&from=${YEAR}1115&to=${YEAR}1214")"
printf '%-44s %s\n' "province, November by=day" "$(one "region=15&from=${YEAR}1101&to=${YEAR}1130&by=day")"
printf '%-44s %s\n' "province, year by=child (12 cities)" "$(one "region=15&from=${YEAR}0101&to=${YEAR}1231&by=child")"
printf '%-44s %s\n' "county 150123, year" "$(one "region=150123&from=${YEAR}0101&to=${YEAR}1231")"
