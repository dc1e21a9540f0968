#!/usr/bin/env bash
# Every service's GET /metrics is what Prometheus reads: `promtool check metrics` (Debian package
# prometheus, a test-only tool) parses it and lints it, with some traffic counted first.
source "$(dirname "$0")/lib.sh"
if ! command -v promtool >/dev/null 2>&1; then
  echo "# skip: promtool not installed (apt-get install prometheus)"
  exit 0
fi
e2e_start_redis
e2e_start_sink
e2e_configure
e2e_start_services
res=$(post_appeal "$(appeal_json)")
check_eq "an appeal is accepted" 201 "${res%% *}"
check "an alert reaches the sink" wait_until 15 alerts_at_least 1
for s in intake router notifier aggregator; do
  port_var="GRIDLINE_${s^^}_HTTP_PORT"
  curl -s -o "$E2E_DIR/$s.metrics" "http://127.0.0.1:${!port_var}/metrics"
  check "$s: /metrics has samples" grep -q '^gridline_' "$E2E_DIR/$s.metrics"
  said=$(promtool check metrics <"$E2E_DIR/$s.metrics" 2>&1)
  rc=$?
  [ -z "$said" ] || printf '%s\n' "$said" | sed "s/^/# $s: /"
  check_eq "$s: promtool check metrics is clean" "0 " "$rc $said"
done
exit 0
