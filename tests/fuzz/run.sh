#!/usr/bin/env bash
# make fuzz / make fuzz-merge: runs the libFuzzer targets built in $BUILD/fuzz (build-fuzz/).
#   tests/fuzz/run.sh NAME...           each target for FUZZ_SECONDS (30) from its seed corpus
#                                       tests/fuzz/corpus/NAME (read only) and the scratch corpus
#                                       $BUILD/fuzz-corpus/NAME (new inputs land there); a crash
#                                       is saved as $BUILD/fuzz-artifacts/NAME-crash-... and
#                                       makes the run fail (after the other targets ran)
#   tests/fuzz/run.sh --merge NAME...   minimises scratch + seeds into tests/fuzz/corpus/NAME
# FUZZ_ARGS adds libFuzzer flags (e.g. FUZZ_ARGS=-jobs=2).
set -u
cd "$(dirname "$0")/../.."
build=${BUILD:-build-fuzz}
seconds=${FUZZ_SECONDS:-30}
merge=0
if [ "${1:-}" == --merge ]; then
  merge=1
  shift
fi
# a report stops the target at once; leaks are reports too
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
failed=()
for name in "$@"; do
  bin=$build/fuzz/fuzz_$name
  seeds=tests/fuzz/corpus/$name
  scratch=$build/fuzz-corpus/$name
  artifacts=$build/fuzz-artifacts
  log=$build/fuzz-logs/$name.log
  mkdir -p "$scratch" "$artifacts" "$(dirname "$log")" "$seeds"
  dict=()
  [ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
  if [ "$merge" -eq 1 ]; then
    tmp=$(mktemp -d)
    "$bin" -merge=1 "${dict[@]}" "$tmp" "$seeds" "$scratch" >"$log" 2>&1 &&
      rm -f "$seeds"/* && cp "$tmp"/* "$seeds"/ 2>/dev/null
    echo "fuzz-merge $name: $(ls "$seeds" | wc -l) inputs, $(du -sb "$seeds" | cut -f1) bytes in $seeds"
    rm -rf "$tmp"
    continue
  fi
  start=$(date +%s)
  "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/$name-" "${dict[@]}" ${FUZZ_ARGS:-} "$scratch" "$seeds" >"$log" 2>&1
  rc=$?
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -n1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n1)
  if [ "$rc" -ne 0 ]; then
    failed+=("$name")
    printf 'FAIL  fuzz %-12s after %ss (log: %s)\n' "$name" "$(($(date +%s) - start))" "$log"
    grep -E 'ERROR: |runtime error:|SUMMARY:|Test unit written to|==[0-9]+== ?(ERROR|WARNING)' "$log" |
      head -n 10 | sed 's/^/      /'
  else
    printf 'ok    fuzz %-12s %ss, %s runs, %s, corpus %s new in %s\n' "$name" "$seconds" "${runs:-?}" \
      "${cov:-?}" "$(ls "$scratch" | wc -l)" "$scratch"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in ${failed[*]} (inputs in $build/fuzz-artifacts/; replay: BIN FILE)"
  exit 1
fi
