#!/usr/bin/env bash
# The wall screen (issue 10): the aggregator serves /dashboard's files without a token (plain
# file names only, each with its Content-Type), and the page, rendered by headless Chromium with
# a wall token (region 15, no actions, no contacts), shows the numbers /v1/stats answers: today's
# appeals, and whichever of the month's rates and the current gauges (now) the API gives. A
# 1920x1080 screenshot is a non-empty PNG (SCREENSHOT_OUT=path keeps a copy).
# DASHBOARD_DEMO=1 (for docs/dashboard.png): short ladder clocks and demo traffic (loadgen in
# 呼和浩特) while the screenshot is taken with the live ticker on, for real time rather than
# virtual time (an open EventSource never lets virtual time run out). The clocks then climb
# while the checks run, so a level count may move between the API and the page: a picture mode.
source "$(dirname "$0")/lib.sh"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { echo "ok - dashboard rendered in a browser # SKIP no chromium"; exit 0; }
DASH_DIR=$BUILD/dashboard
[ -f "$DASH_DIR/index.html" ] && [ -f "$DASH_DIR/echarts.min.js" ] ||
  { echo "not ok - $DASH_DIR has the page and echarts.min.js (make builds them)"; exit 1; }
export GRIDLINE_AGGREGATOR_DASHBOARD_DIR=$DASH_DIR
if [ -n "${DASHBOARD_DEMO:-}" ]; then
  export GRIDLINE_LADDER_GREEN_ACK=4s GRIDLINE_LADDER_GREEN_RESOLVE=40s
  export GRIDLINE_LADDER_BLUE_ACK=8s GRIDLINE_LADDER_BLUE_RESOLVE=60s
  export GRIDLINE_LADDER_YELLOW_ACK=15s GRIDLINE_LADDER_YELLOW_RESOLVE=90s
fi
e2e_start_redis
e2e_start_sink
e2e_configure
NOTIFIER="http://127.0.0.1:$GRIDLINE_NOTIFIER_HTTP_PORT"
export GRIDLINE_NOTIFIER_CORS_ORIGIN=$AGGREGATOR # the page reads the notifier's stream
e2e_start_services
e2e_token_add wall wall-secret "" 15 "" 0 # the wall screen's: may not read contacts
WALL=wall-secret

# --- the static files
get() { command curl -s --path-as-is -o "$E2E_DIR/got" -w '%{http_code} %{content_type}' "$@"; }
check_eq "/dashboard: the page, no token needed" "200 text/html; charset=utf-8" "$(get "$AGGREGATOR/dashboard")"
check "/dashboard is the page's HTML" grep -q 'id="today-appeals"' "$E2E_DIR/got"
check_eq "/dashboard/: the same page" "200 text/html; charset=utf-8" "$(get "$AGGREGATOR/dashboard/")"
check_eq "/dashboard/app.js: JavaScript" "200 text/javascript; charset=utf-8" "$(get "$AGGREGATOR/dashboard/app.js")"
check_eq "/dashboard/style.css: CSS" "200 text/css; charset=utf-8" "$(get "$AGGREGATOR/dashboard/style.css")"
check_eq "/dashboard/echarts.min.js: served whole" "$(stat -c %s "$DASH_DIR/echarts.min.js")" \
  "$(command curl -s -o /dev/null -w '%{size_download}' "$AGGREGATOR/dashboard/echarts.min.js")"
check_eq "/dashboard/../ refused" 404 "$(get "$AGGREGATOR/dashboard/../Makefile" | cut -d' ' -f1)"
check_eq "/dashboard/%2e%2e%2f refused" 404 "$(get "$AGGREGATOR/dashboard/%2e%2e%2fMakefile" | cut -d' ' -f1)"
check_eq "/dashboard/a/b refused" 404 "$(get "$AGGREGATOR/dashboard/x/index.html" | cut -d' ' -f1)"
check_eq "a dot file refused" 404 "$(get "$AGGREGATOR/dashboard/.index.html" | cut -d' ' -f1)"
check_eq "a missing file: 404" 404 "$(get "$AGGREGATOR/dashboard/nope.js" | cut -d' ' -f1)"
check_eq "/dashboardx is not the dashboard's" 404 "$(get "$AGGREGATOR/dashboardx" | cut -d' ' -f1)"
check_eq "POST /dashboard: 405" 405 "$(get -X POST "$AGGREGATOR/dashboard" | cut -d' ' -f1)"
check_eq "/v1/stats still needs a token" 401 "$(get "$AGGREGATOR/v1/stats" | cut -d' ' -f1)"

# --- some appeals, counted
n=0
for a in "150123100001 heating hotline" "150123100001 water wechat" "150123100002 heating app" \
  "150203001015 power hotline" "150102001001 city web" "150123100001 heating camera"; do
  read -r region category channel <<<"$a"
  res=$(post_appeal "$(appeal_json "$region" "$category" "$channel")")
  [ "${res%% *}" == 201 ] && n=$((n + 1))
done
check_eq "6 appeals accepted" 6 "$n"
check "the aggregator counts them" wait_until 20 stat_is 15 .appeals 6
wcurl() { command curl -s -H "Authorization: Bearer $WALL" "$@"; }
today=$(wcurl "$AGGREGATOR/v1/stats?region=15")
day=$(jq -r .day <<<"$today")
month=$(wcurl "$AGGREGATOR/v1/stats?region=15&from=${day:0:6}01&to=$day&by=day")
check_eq "the wall token reads the province's counts" 6 "$(jq -r .appeals <<<"$today")"
check_eq "the wall token opens the live stream in a URL, CORS for the page" "200 $AGGREGATOR" \
  "$(command curl -s -D - -o /dev/null --max-time 2 -H "Origin: $AGGREGATOR" \
    "$NOTIFIER/v1/stream?region=15&access_token=$WALL" | tr -d '\r' |
    awk '/^HTTP/{c=$2} tolower($1)=="access-control-allow-origin:"{o=$2} END{print c, o}')"

# --- the page in headless Chromium
browse() { # URL, flags...: what headless Chromium made of the page (its output on stdout)
  local url=$1
  shift
  TZ=Asia/Shanghai timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --no-first-run --user-data-dir="$E2E_DIR/chromium" --enable-logging=stderr --v=0 \
    "$@" "$url" 2>>"$E2E_DIR/chromium.log"
}
text_of() { # ID: the text of the element with that id in the dumped DOM
  grep -o "id=\"$1\"[^>]*>[^<]*<" "$E2E_DIR/dom.html" | head -n1 | sed 's/.*>\([^<]*\)<$/\1/'
}
# the API's rate as the page prints it (JavaScript's toFixed, one decimal), or —
pct() { node -p "var v=$1; typeof v==='number' ? (v*100).toFixed(1)+'%' : '—'"; }
PAGE="$AGGREGATOR/dashboard?token=$WALL&ticker=0"
browse "$PAGE" --virtual-time-budget=10000 --dump-dom >"$E2E_DIR/dom.html"
check "the page finished a refresh" grep -q 'data-loaded="1"' "$E2E_DIR/dom.html"
check_eq "today's appeals on the page = the API's" "$(jq -r .appeals <<<"$today")" "$(text_of today-appeals)"
if jq -e .from <<<"$month" >/dev/null; then
  check_eq "this month's appeals = the API's" "$(jq -r .appeals <<<"$month")" "$(text_of month-appeals)"
else
  check_eq "this month's appeals: — while the API reads no range" "—" "$(text_of month-appeals)"
fi
for r in response resolution satisfaction on_time; do
  want=$(pct "$(jq -c ".rates.$r.value // null" <<<"$month")")
  [ "$(jq -r .from <<<"$month")" != null ] || want="—"
  check_eq "rate $r on the page = the API's ($want)" "$want" "$(text_of "rate-$r")"
done
if jq -e '.now | objects' <<<"$today" >/dev/null; then
  check_eq "open now = the API's" "$(jq -r .now.open <<<"$today")" "$(text_of now-open)"
  check_eq "overdue now = the API's" "$(jq -r .now.overdue <<<"$today")" "$(text_of now-overdue)"
  by=.now.by_level
else
  check_eq "open now: — while the API gives no gauges" "—" "$(text_of now-open)"
  by=.by_level
fi
for l in green blue yellow red; do
  check_eq "level $l on the page = the API's $by" "$(jq -r "$by.$l // 0" <<<"$today")" "$(text_of "now-level-$l")"
done
check "no script error on the page" bash -c "! grep -E 'Uncaught|dashboard: ' '$E2E_DIR/chromium.log'"

# a township: the breadcrumb names every region above it (the page asks for their names)
browse "$AGGREGATOR/dashboard/?token=$WALL&ticker=0&region=150123100" --virtual-time-budget=10000 --dump-dom >"$E2E_DIR/dom2.html"
check "a township's breadcrumb: 内蒙古自治区 › 呼和浩特市 › 和林格尔县 › 城关镇" \
  grep -qE '内蒙古自治区.*呼和浩特市.*和林格尔县.*城关镇' "$E2E_DIR/dom2.html"
check_eq "the township's appeals today" "$(wcurl "$AGGREGATOR/v1/stats?region=150123100" | jq -r .appeals)" \
  "$(cp "$E2E_DIR/dom2.html" "$E2E_DIR/dom.html"; text_of today-appeals)"
check_eq "no token: the page says so" 1 "$(browse "$AGGREGATOR/dashboard?ticker=0" --virtual-time-budget=10000 --dump-dom | grep -c '缺少访问令牌')"

# --- the screenshot
if [ -n "${DASHBOARD_DEMO:-}" ]; then
  "$BUILD/gridline-loadgen" --url "$INTAKE" --count 400 --prefix 1501 --seed 10 --quiet >/dev/null
  "$BUILD/gridline-loadgen" --url "$INTAKE" --rate 4 --duration 40 --prefix 1501 --seed 11 --quiet \
    >/dev/null 2>&1 &
  E2E_PIDS+=($!)
  # make run's grid workers and residents, so that the rates show something
  "$E2E_ROOT/scripts/demo-actor.sh" "$INTAKE" "$E2E_TOKEN" 1 >/dev/null 2>&1 &
  E2E_PIDS+=($!)
  sleep 20 # let the ladder's clocks climb a few (a picture, not a check)
  # a refresh done and the ticker showing at least 8 alerts
  TZ=Asia/Shanghai node "$E2E_ROOT/tests/e2e/shot.js" "$CHROMIUM" \
    "$AGGREGATOR/dashboard?token=$WALL&notifier=$NOTIFIER" "$E2E_DIR/dashboard.png" \
    "document.body.dataset.loaded && document.querySelectorAll('#ticker li:not(.empty)').length >= 8" \
    "$E2E_DIR/chromium-live" 2>>"$E2E_DIR/chromium.log"
else
  browse "$PAGE" --virtual-time-budget=10000 --screenshot="$E2E_DIR/dashboard.png" \
    --window-size=1920,1080 --hide-scrollbars >/dev/null
fi
check "the screenshot is a non-empty PNG" bash -c \
  "[ \$(stat -c %s '$E2E_DIR/dashboard.png') -gt 10000 ] && [ \"\$(head -c 8 '$E2E_DIR/dashboard.png' | od -An -tx1 | tr -d ' ')\" == 89504e470d0a1a0a ]"
[ -z "${SCREENSHOT_OUT:-}" ] || cp "$E2E_DIR/dashboard.png" "$SCREENSHOT_OUT"
exit 0
