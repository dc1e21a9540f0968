#!/usr/bin/env bash
# The idle cost: the four services with a real Redis and no traffic. Reports Redis calls per
# second (INFO commandstats, script-inner calls included) over SECONDS, after a warm-up, with
# the production sweep interval. Usage: bench/idle.sh [SECONDS]
set -u
S=${1:-10}
export GRIDLINE_LOG_LEVEL=warn
export GRIDLINE_OUTBOX_RESEND_AFTER_MS=${GRIDLINE_OUTBOX_RESEND_AFTER_MS:-5000}
export GRIDLINE_OUTBOX_SWEEP_INTERVAL_MS=${GRIDLINE_OUTBOX_SWEEP_INTERVAL_MS:-1000}
source "$(dirname "$0")/../tests/e2e/lib.sh"
E2E_FAILED=0
commands() { rcli info commandstats | awk -F'[=,:]' '/^cmdstat_/ {s += $3} END {print s + 0}'; }
e2e_start_redis
e2e_start_sink
e2e_configure
e2e_start_services
# a little traffic first, then none: the idle stack after work, as make up leaves it
for i in 1 2 3; do post_appeal "$(appeal_json)" >/dev/null; done
sleep "${IDLE_AFTER:-3}"
rcli config resetstat >/dev/null
c0=$(commands)
sleep "$S"
c1=$(commands)
echo "idle: $(awk -v a="$c0" -v b="$c1" -v s="$S" 'BEGIN {printf "%.1f", (b - a - 1) / s}') redis calls/s over ${S}s (sweep interval ${GRIDLINE_OUTBOX_SWEEP_INTERVAL_MS} ms)"
rcli info commandstats | awk -F'[=,:]' -v s="$S" '/^cmdstat_/ {printf "  %-22s %8.1f/s\n", $1, $3 / s}' | sed 's/cmdstat_//' | sort -k2 -nr | head -8
