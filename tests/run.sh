#!/usr/bin/env bash
# Runs the unit tests (cmocka binaries in build/tests) and/or the end-to-end tests
# (tests/e2e/test_*.sh), prints one line per test file, and ends with "N passed, N failed".
# Usage: tests/run.sh unit|e2e|all [e2e test name filter]
set -u
cd "$(dirname "$0")/.."
mode=${1:-all}
filter=${2:-}
build=${BUILD:-build}
passed=0
failed=0
failures=()
logdir=$build/test-logs
mkdir -p "$logdir"
# Sanitizer builds (make test SAN=...): each test's processes write any report to
# $logdir/san/<test>/, and a report fails the test even when the process was killed later.
source tests/san/env.sh

run_unit() {
  local t name out p f
  for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    rm -rf "$logdir/san/$name"
    san_env "$logdir/san/$name"
    # in a process group of its own: what it started and left behind (a redis-server when it
    # aborted, e.g. on a sanitizer report) is killed with it and cannot hold up the run
    setsid "$t" >"$logdir/$name.log" 2>&1 &
    local pid=$!
    wait "$pid"
    local rc=$?
    kill -KILL -- "-$pid" 2>/dev/null
    out=$(cat "$logdir/$name.log")
    local rep
    if rep=$(san_reports "$logdir/san/$name"); then
      printf '%s\n' "$rep" >>"$logdir/$name.log"
      out+=$'\n'"error: sanitizer report"$'\n'"$rep"
      rc=1
    fi
    p=$(grep -oE '\[  PASSED  \] [0-9]+' <<<"$out" | grep -oE '[0-9]+$' | tail -n1)
    f=$(grep -oE '\[  FAILED  \] [0-9]+' <<<"$out" | grep -oE '[0-9]+$' | tail -n1)
    p=${p:-0}
    f=${f:-0}
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$f" -gt 0 ]; then
      failures+=("$name")
      printf 'FAIL  unit %-28s %3d passed, %d failed (log: %s)\n' "$name" "$p" "$f" "$logdir/$name.log"
      grep -E '^\[  FAILED  \]|^\[  ERROR   \]|Failure!|error:|Sanitizer' <<<"$out" | head -n 20 | sed 's/^/      /'
    else
      printf 'ok    unit %-28s %3d passed\n' "$name" "$p"
    fi
  done
}

run_e2e() {
  local t name p f log start
  for t in tests/e2e/test_*.sh; do
    name=$(basename "$t" .sh)
    [ -n "$filter" ] && [[ "$name" != *"$filter"* ]] && continue
    log="$logdir/$name.log"
    start=$(date +%s)
    rm -rf "$logdir/san/$name"
    san_env "$logdir/san/$name"
    bash "$t" >"$log" 2>&1
    local rc=$?
    # lib.sh checks too (and keeps the test's logs); this catches a test that does not use it
    if ! grep -q '^not ok - sanitizer' "$log" && san_reports "$logdir/san/$name" >>"$log"; then
      echo "not ok - sanitizer report (files in $logdir/san/$name)" >>"$log"
    fi
    p=$(grep -c '^ok ' "$log")
    f=$(grep -c '^not ok ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$f" -gt 0 ]; then
      failures+=("$name")
      printf 'FAIL  e2e  %-28s %3d passed, %d failed, %ss (log: %s)\n' "$name" "$p" "$f" "$(($(date +%s) - start))" "$log"
      grep -E '^not ok |^# ' "$log" | head -n 30 | sed 's/^/      /'
    else
      printf 'ok    e2e  %-28s %3d passed, %ss\n' "$name" "$p" "$(($(date +%s) - start))"
    fi
  done
}

case "$mode" in
  unit) run_unit ;;
  e2e) run_e2e ;;
  all) run_unit; run_e2e ;;
  *) echo "usage: tests/run.sh unit|e2e|all [filter]" >&2; exit 2 ;;
esac
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
