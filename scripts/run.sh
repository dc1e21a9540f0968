#!/usr/bin/env bash
# make run / make up / make down: a local Redis (var/redis, AOF on), the four services with
# the demo configuration, a webhook sink that shows alerts, and a trickle of demo appeals.
#   scripts/run.sh foreground   start everything, print where to look, Ctrl-C stops it all
#   scripts/run.sh background   start everything and return (pids in var/run)
#   scripts/run.sh stop         stop what background started
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${BUILD:-build}
VAR=${VAR_DIR:-$ROOT/var} # another directory lets a test run a demo of its own
RUN=$VAR/run
LOGS=$VAR/log
CONFIG=${GRIDLINE_CONFIG:-$ROOT/config/demo.yaml}
REDIS_PORT=${GRIDLINE_REDIS_PORT:-6390}
SINK_PORT=${SINK_PORT:-8099}
RATE=${DEMO_RATE:-2}
mode=${1:-foreground}

stop_all() {
  local f pid
  for f in "$RUN"/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    kill -TERM "$pid" 2>/dev/null || true
  done
  for f in "$RUN"/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$f"
  done
}

if [ "$mode" == stop ]; then
  stop_all
  echo "gridline: stopped"
  exit 0
fi

for f in "$RUN"/*.pid; do
  if [ -e "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; then
    echo "gridline: already running (pids in var/run); 'make down' stops it" >&2
    exit 1
  fi
done
mkdir -p "$VAR/redis" "$RUN" "$LOGS"
rm -f "$RUN"/*.pid

start() { # name, command...
  local name=$1
  shift
  "$@" >>"$LOGS/$name.log" 2>&1 &
  echo $! >"$RUN/$name.pid"
}
healthy() {
  for _ in $(seq 100); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "gridline: $2 did not come up; see var/log/$2.log" >&2
  tail -n 5 "$LOGS/$2.log" >&2 || true
  return 1
}

cat >"$VAR/redis.conf" <<CONF
port $REDIS_PORT
bind 127.0.0.1
dir $VAR/redis
appendonly yes
# an appeal answered 201 survives kill -9 of Redis too
appendfsync always
save ""
daemonize no
logfile $LOGS/redis.log
CONF
if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  echo "gridline: using the Redis already answering on port $REDIS_PORT"
else
  start redis redis-server "$VAR/redis.conf"
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    echo "gridline: redis-server did not start; var/log/redis.log says:" >&2
    tail -n 5 "$LOGS/redis.log" >&2 || true
    stop_all
    exit 1
  fi
fi

export GRIDLINE_CONFIG=$CONFIG GRIDLINE_REDIS_PORT=$REDIS_PORT
# the page the aggregator serves at /dashboard, from this build (make copies it there)
export GRIDLINE_AGGREGATOR_DASHBOARD_DIR=${GRIDLINE_AGGREGATOR_DASHBOARD_DIR:-$BUILD/dashboard}
start sink "$BUILD/gridline-sink" --port "$SINK_PORT" --out "$LOGS/alerts.jsonl" --quiet
for s in aggregator notifier router intake; do
  start "$s" "$BUILD/gridline-$s"
done
port() { GRIDLINE_CONFIG=$CONFIG "$BUILD/gridline-$1" --print-config | awk -v k="$1.http_port" '$1 == k {print $3}'; }
INTAKE_PORT=$(port intake)
AGG_PORT=$(port aggregator)
ROUTER_PORT=$(port router)
if ! healthy "http://127.0.0.1:$INTAKE_PORT/healthz" intake ||
  ! healthy "http://127.0.0.1:$AGG_PORT/healthz" aggregator; then
  stop_all
  exit 1
fi
start loadgen "$BUILD/gridline-loadgen" --url "http://127.0.0.1:$INTAKE_PORT" --token demo --rate "$RATE" --prefix 1501 --quiet
# the demo's grid workers and residents: acknowledge, resolve and give feedback on some of them
start actor scripts/demo-actor.sh "http://127.0.0.1:$INTAKE_PORT" demo

cat <<MSG

gridline is running (Redis on 127.0.0.1:$REDIS_PORT, data in var/redis, logs in var/log).
Demo appeals arrive at $RATE/s from several channels in 呼和浩特 (var/log/loadgen.log).

  Submit an appeal:
    curl -s -X POST http://127.0.0.1:$INTAKE_PORT/v1/appeals -H 'Authorization: Bearer demo' \\
      -H 'Content-Type: application/json' \\
      -d '{"channel":"hotline","region":"150123100001","category":"heating","description":"暖气不热，室温只有12度"}'
  Look at it (use the id it answered): its level, owner, clocks and history
    curl -s -H 'Authorization: Bearer demo' http://127.0.0.1:$INTAKE_PORT/v1/appeals/<id>
  The demo's grid workers act on appeals elsewhere in 呼和浩特 (var/log/actor.log), not in
  和林格尔县 (150123), so yours climbs 绿 -> 蓝 -> 黄 -> 红 every 20-30 s, a new owner each
  time (config/demo.yaml: ladder, directory). Act on it instead:
    curl -s -X POST http://127.0.0.1:$INTAKE_PORT/v1/appeals/<id>/acknowledge -H 'X-Api-Key: demo' \\
      -H 'Content-Type: application/json' -d '{"actor":"刘芳"}'
    (also resolve, feedback, escalate, transfer: see README "Escalation")
  The supervision list (open appeals at red) and the directory:
    curl -s -H 'X-Api-Key: demo' 'http://127.0.0.1:$ROUTER_PORT/v1/supervision?region=1501'
    curl -s -H 'X-Api-Key: demo' http://127.0.0.1:$ROUTER_PORT/v1/directory
  Counts (province 15, city 1501, county 150123, township, village):
    curl -s -H 'X-Api-Key: demo' 'http://127.0.0.1:$AGG_PORT/v1/stats?region=150123'
  The wall screen (大屏; token wall: region 15, no actions, no contacts), in a browser:
    http://127.0.0.1:$AGG_PORT/dashboard?token=wall
  Alerts delivered to the demo webhooks:
    tail -f var/log/alerts.jsonl      (or curl -s http://127.0.0.1:$SINK_PORT/count)
  Health and metrics of each service:
    curl -s http://127.0.0.1:$INTAKE_PORT/healthz ; curl -s http://127.0.0.1:$INTAKE_PORT/metrics

MSG
if [ "$mode" == background ]; then
  echo "Started in the background; 'make down' stops it."
  exit 0
fi
echo "Ctrl-C stops everything."
trap 'trap - EXIT; echo; stop_all; echo "gridline: stopped"; exit 0' INT TERM EXIT
while :; do sleep 1 & wait $!; done
