# End-to-end test harness: real redis-server, real services, real HTTP, on free ports of
# 127.0.0.1, in a private temp directory, all stopped on exit. Two runs can share a machine.
#
#   source tests/e2e/lib.sh
#   e2e_start_redis; e2e_start_sink; e2e_start_services
#   check "name" command...      prints "ok - name" / "not ok - name"
#   wait_until SECONDS command... polls until the command succeeds
set -u
E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$E2E_ROOT/build}
case "$BUILD" in /*) ;; *) BUILD=$E2E_ROOT/$BUILD ;; esac
E2E_DIR=$(mktemp -d /tmp/gridline-e2e.XXXXXX)
E2E_PIDS=()
declare -A E2E_PID
E2E_FAILED=0

# Every service of this run reads the same environment.
export GRIDLINE_REGIONS_FILE="$E2E_ROOT/data/regions-nmg.csv"
export GRIDLINE_CALENDAR_FILE="$E2E_ROOT/data/calendar-cn.csv"
export GRIDLINE_LOG_LEVEL=${GRIDLINE_LOG_LEVEL:-info}
export GRIDLINE_OUTBOX_RESEND_AFTER_MS=${GRIDLINE_OUTBOX_RESEND_AFTER_MS:-1000}
export GRIDLINE_OUTBOX_SWEEP_INTERVAL_MS=${GRIDLINE_OUTBOX_SWEEP_INTERVAL_MS:-200}
unset GRIDLINE_CONFIG

# Sanitizer builds (BUILD=build-san-*): reports go to files tests/run.sh named, or to this
# test's own directory; any report, or one in a service log, fails the test (see e2e_cleanup).
source "$E2E_ROOT/tests/san/env.sh"
[ -n "${SAN_LOG_DIR:-}" ] || san_env "$E2E_DIR/san"

e2e_cleanup() {
  local pid rc=$?
  for pid in "${E2E_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
  wait 2>/dev/null
  if san_reports "$E2E_DIR" "$SAN_LOG_DIR" | sed 's/^/# /' | grep .; then
    echo "not ok - sanitizer report (files in $SAN_LOG_DIR or $E2E_DIR)"
    E2E_FAILED=1
    rc=1
  fi
  if [ "$E2E_FAILED" -eq 0 ] && [ -z "${E2E_KEEP:-}" ]; then
    rm -rf "$E2E_DIR"
  else
    echo "# logs kept in $E2E_DIR"
  fi
  exit "$rc"
}
trap e2e_cleanup EXIT

# A port nobody listens on now (random, probed) and not handed out before in this test (a
# port chosen for a process that has not bound it yet still looks free). Call it directly,
# not in $(...), so the record of ports handed out survives: free_port VAR.
E2E_PORTS=" "
free_port() {
  local port
  while :; do
    # below the ephemeral range (32768-60999), where outgoing connections take ports
    port=$((12000 + RANDOM % 20000))
    [[ "$E2E_PORTS" == *" $port "* ]] && continue
    if ! (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
      E2E_PORTS+="$port "
      printf -v "$1" '%s' "$port"
      return
    fi
  done
}

check() {
  local name=$1
  shift
  if "$@" >/dev/null 2>&1; then
    echo "ok - $name"
  else
    echo "not ok - $name"
    E2E_FAILED=1
  fi
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
  if [ "$2" == "$3" ]; then
    echo "ok - $1"
  else
    echo "not ok - $1 (expected '$2', got '$3')"
    E2E_FAILED=1
  fi
}

wait_until() {
  local seconds=$1
  shift
  local deadline=$((SECONDS + seconds))
  while [ $SECONDS -lt $deadline ]; do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

# Every API request of a test carries the e2e token (auth.required is on, as in production):
# e2e_start_redis stores it in Redis as `gridctl token create` would; curl in a test is this
# function; loadgen and gridctl read GRIDLINE_TOKEN. A test of the locks calls `command curl`.
E2E_TOKEN=e2e-token
export GRIDLINE_TOKEN=$E2E_TOKEN
# no per-token rate limit in tests and benchmarks (test_auth sets one for its own token)
export GRIDLINE_AUTH_RATE=${GRIDLINE_AUTH_RATE:-0}
curl() {
  command curl -H "Authorization: Bearer $E2E_TOKEN" "$@"
}

# e2e_token_add NAME SECRET CHANNELS REGION ACTIONS CONTACTS(0|1): an API token, straight into Redis
e2e_token_add() {
  local sha
  sha=$(printf %s "$2" | sha256sum | cut -d' ' -f1)
  rcli hset '{auth}:tokens' "$sha" "$1"$'\t'"$3"$'\t'"$4"$'\t'"$5"$'\t'"$6" >/dev/null
  rcli hset '{auth}:names' "$1" "$sha" >/dev/null
}

e2e_start_redis() {
  free_port REDIS_PORT
  mkdir -p "$E2E_DIR/redis"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$E2E_DIR/redis" \
    --appendonly yes --appendfsync "${E2E_FSYNC:-always}" --save '' --daemonize no --logfile "$E2E_DIR/redis.log" &
  E2E_PIDS+=($!)
  E2E_PID[redis]=$!
  export GRIDLINE_REDIS_PORT=$REDIS_PORT
  wait_until 10 redis-cli -p "$REDIS_PORT" ping || { echo "# redis did not start"; exit 1; }
  e2e_token_add e2e "$E2E_TOKEN" "" "" "*" 1
}

rcli() {
  redis-cli -p "$REDIS_PORT" "$@"
}

e2e_start_sink() {
  free_port SINK_PORT
  "$BUILD/gridline-sink" --port "$SINK_PORT" --out "$E2E_DIR/alerts.jsonl" --quiet "$@" \
    >"$E2E_DIR/sink.out" 2>"$E2E_DIR/sink.log" &
  E2E_PIDS+=($!)
  E2E_PID[sink]=$!
  wait_until 10 curl -sf "http://127.0.0.1:$SINK_PORT/healthz" || { echo "# sink did not start"; exit 1; }
}

# e2e_start_alertmanager RECEIVER_URL: a real Prometheus Alertmanager on a free port of
# 127.0.0.1 (no cluster, its data in this test's directory) whose one route sends every group
# (by appeal_id) at once, then at most every second, to a webhook at RECEIVER_URL, resolved
# notifications included. Exports ALERTMANAGER=http://127.0.0.1:<port> once /-/ready answers.
e2e_start_alertmanager() {
  local receiver=$1 dir=$E2E_DIR/alertmanager sudo=""
  if [ ! -x /usr/bin/prometheus-alertmanager ]; then
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y prometheus-alertmanager prometheus \
      >"$E2E_DIR/apt.log" 2>&1 || { echo "# could not install prometheus-alertmanager"; exit 1; }
  fi
  free_port ALERTMANAGER_PORT
  mkdir -p "$dir/data"
  cat >"$dir/alertmanager.yml" <<YAML
route:
  receiver: e2e
  group_by: ['appeal_id']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: e2e
    webhook_configs:
      - url: '$receiver'
        send_resolved: true
YAML
  /usr/bin/prometheus-alertmanager --config.file="$dir/alertmanager.yml" \
    --web.listen-address="127.0.0.1:$ALERTMANAGER_PORT" --cluster.listen-address= \
    --storage.path="$dir/data" >"$E2E_DIR/alertmanager.log" 2>&1 &
  E2E_PIDS+=($!)
  E2E_PID[alertmanager]=$!
  export ALERTMANAGER=http://127.0.0.1:$ALERTMANAGER_PORT
  wait_until 30 command curl -sf "$ALERTMANAGER/-/ready" || {
    echo "# alertmanager did not become ready"
    tail -n 20 "$E2E_DIR/alertmanager.log" | sed 's/^/# /'
    exit 1
  }
}

# Ports and endpoints for every service, and a config file with a directory and the sink's
# subscriptions. Call once before starting services.
e2e_configure() {
  local p s
  for s in INTAKE ROUTER NOTIFIER AGGREGATOR; do
    free_port p
    export "GRIDLINE_${s}_HTTP_PORT=$p"
  done
  for s in ROUTER NOTIFIER AGGREGATOR; do
    free_port p
    export "GRIDLINE_${s}_ENDPOINT=tcp://127.0.0.1:$p"
  done
  free_port p # intake's ZeroMQ gateway: not the default 5570, which another run may hold
  export GRIDLINE_INTAKE_GATEWAY_PORT=$p
  GATEWAY="tcp://127.0.0.1:$p"
  INTAKE="http://127.0.0.1:$GRIDLINE_INTAKE_HTTP_PORT"
  AGGREGATOR="http://127.0.0.1:$GRIDLINE_AGGREGATOR_HTTP_PORT"
  E2E_CONFIG="$E2E_DIR/gridline.yaml"
  # most tests post the same resident's appeal again and again on purpose: a repeat call urging
  # the open order (workorder.repeat_window) is off unless a test turns it on
  export GRIDLINE_WORKORDER_REPEAT_WINDOW=${GRIDLINE_WORKORDER_REPEAT_WINDOW:-0}
  cat >"$E2E_CONFIG" <<YAML
directory:
  - {department: heating, region: "150123", assignee: "和林格尔县供热公司"}
  - {department: heating, region: "150123100", assignee: "城关镇供热站 李明"}
  - {department: power-supply, region: "15", assignee: "内蒙古电力 调度中心"}
subscriptions:
  - {name: county-150123, region: "150123", url: "http://127.0.0.1:${SINK_PORT:-9}/alerts/county"}
  - {name: baotou, region: "1502", url: "http://127.0.0.1:${SINK_PORT:-9}/alerts/baotou"}
tokens:
  - {name: e2e, sha256: cc318af2129b329b084ebdf17f2608bf3d8a7da6082f345cebf205833876fd88, actions: "*", contacts: true}
  - {name: demo, sha256: 2a97516c354b68848cdbd8f54a226a0a55b21ed138e207ad6c5cbb9c00aa5aea, actions: "*", contacts: true}
YAML
  export GRIDLINE_CONFIG=$E2E_CONFIG
}

# e2e_start_service NAME [extra env assignments...]
e2e_start_service() {
  local name=$1
  shift
  local port_var="GRIDLINE_${name^^}_HTTP_PORT"
  # E2E_WRAP="valgrind --leak-check=full" runs every service under a tool
  env "$@" ${E2E_WRAP:-} "$BUILD/gridline-$name" >>"$E2E_DIR/$name.log" 2>&1 &
  E2E_PIDS+=($!)
  E2E_PID[$name]=$!
  wait_until 10 curl -sf "http://127.0.0.1:${!port_var}/healthz" ||
    { echo "# $name did not become healthy"; tail -n 20 "$E2E_DIR/$name.log" | sed 's/^/# /'; exit 1; }
}

# e2e_start_two_notifiers: the services with two notifier instances, a on the configured ports
# and b on its own, the router pushing to both. Sets NOTIFIER and NOTIFIER2 (their base URLs);
# E2E_PID[notifier] is b's.
e2e_start_two_notifiers() {
  local p
  free_port p
  NOTIFIER_EP2="tcp://127.0.0.1:$p"
  free_port NOTIFIER2_PORT
  NOTIFIER="http://127.0.0.1:$GRIDLINE_NOTIFIER_HTTP_PORT"
  NOTIFIER2="http://127.0.0.1:$NOTIFIER2_PORT"
  e2e_start_service aggregator
  e2e_start_service notifier GRIDLINE_INSTANCE=notifier-a
  e2e_start_service notifier GRIDLINE_INSTANCE=notifier-b "GRIDLINE_NOTIFIER_HTTP_PORT=$NOTIFIER2_PORT" \
    "GRIDLINE_NOTIFIER_ENDPOINT=$NOTIFIER_EP2"
  wait_until 10 curl -sf "$NOTIFIER2/healthz" || { echo "# notifier b did not start"; exit 1; }
  e2e_start_service router "GRIDLINE_NOTIFIER_ENDPOINT=$GRIDLINE_NOTIFIER_ENDPOINT,$NOTIFIER_EP2"
  e2e_start_service intake
}

e2e_start_services() {
  local s
  for s in aggregator notifier router intake; do e2e_start_service "$s"; done
}

e2e_kill() {
  local name=$1 sig=${2:-KILL}
  kill "-$sig" "${E2E_PID[$name]}" 2>/dev/null
  wait "${E2E_PID[$name]}" 2>/dev/null
}

# post_appeal JSON [curl args...] -> prints "STATUS BODY"
post_appeal() {
  local body=$1
  shift
  curl -s -o "$E2E_DIR/last.json" -w '%{http_code}' -X POST "$INTAKE/v1/appeals" \
    -H "Content-Type: ${CT:-application/json}" "$@" --data-binary "$body"
  echo " $(cat "$E2E_DIR/last.json")"
}

appeal_json() {
  local region=${1:-150123100001} category=${2:-heating} channel=${3:-hotline}
  printf '{"channel":"%s","region":"%s","category":"%s","title":"暖气不热","description":"家里暖气不热，室温只有12度","reporter":"张三 13812341234"}' \
    "$channel" "$region" "$category"
}

alerts_count() {
  curl -s "http://127.0.0.1:$SINK_PORT/count" | jq -r .received
}

# alerts_at_least N: for wait_until (evaluated on every poll, unlike "$(alerts_count)")
alerts_at_least() {
  [ "$(alerts_count)" -ge "$1" ]
}

# stat_is REGION JQ-PATH VALUE: the aggregator's figure, for wait_until
stat_is() {
  [ "$(curl -s "$AGGREGATOR/v1/stats?region=$1" | jq -r "$2")" == "$3" ]
}

# ---- what Redis holds, for the exactly-once checks (KEYS is fine on a test's own Redis) ----

# The first 40 villages of 和林格尔县 (150123): appeals there match exactly one subscription.
county_villages() {
  grep -E '^150123[0-9]{6},village' "$E2E_ROOT/data/regions-nmg.csv" | cut -d, -f1 | head -n 40
}
appeal_count() {
  rcli eval "return #redis.call('keys','appeal:*')" 0
}
# all_assigned N: exactly N appeals are in status assigned (for wait_until)
all_assigned() {
  [ "$(rcli eval "local n=0 for _,k in ipairs(redis.call('keys','appeal:*')) do if redis.call('hget',k,'status')=='assigned' then n=n+1 end end return n" 0)" == "$1" ]
}
# histories other than "collected, assigned": 0 means every appeal was assigned exactly once
histories_not_assigned_once() {
  rcli eval "local n=0 for _,k in ipairs(redis.call('keys','events:*')) do if redis.call('llen',k)~=2 then n=n+1 end end return n" 0
}
outbox_entries() {
  rcli eval "local n=0 for _,k in ipairs(redis.call('keys','outbox:*')) do n=n+redis.call('zcard',k) end return n" 0
}
