# Sanitizer run-time options for the tests (sourced by tests/run.sh and tests/e2e/lib.sh).
#   san_env DIR     every sanitized process started afterwards writes its report, if any, to
#                   DIR/<asan|ubsan|tsan>.<pid> (also processes whose output a test captures)
#   san_reports DIR...   prints the first lines of every report found in DIR... (files of
#                   san_env, service logs); returns 0 if there was one
# Options a caller already set are kept after ours, so they win.
SAN_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SAN_PATTERN='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|WARNING: ThreadSanitizer|ERROR: ThreadSanitizer|SUMMARY: (Address|Leak|Thread|UndefinedBehavior)Sanitizer'
SAN_USER_ASAN=${SAN_USER_ASAN-${ASAN_OPTIONS:-}}
SAN_USER_LSAN=${SAN_USER_LSAN-${LSAN_OPTIONS:-}}
SAN_USER_UBSAN=${SAN_USER_UBSAN-${UBSAN_OPTIONS:-}}
SAN_USER_TSAN=${SAN_USER_TSAN-${TSAN_OPTIONS:-}}
export SAN_USER_ASAN SAN_USER_LSAN SAN_USER_UBSAN SAN_USER_TSAN

san_env() {
  local dir=$1
  mkdir -p "$dir"
  export SAN_LOG_DIR=$dir
  # halt_on_error: the first report ends the process (exit code 1/66), so a unit test fails by
  # its exit status; a service's report is found by san_reports even when it was SIGKILLed
  # later. detect_leaks: at exit (a SIGKILLed process is not checked, which is fine).
  export ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:log_path=$dir/asan${SAN_USER_ASAN:+:$SAN_USER_ASAN}"
  export LSAN_OPTIONS="suppressions=$SAN_ROOT/tests/san/lsan.supp:print_suppressions=0${SAN_USER_LSAN:+:$SAN_USER_LSAN}"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$dir/ubsan${SAN_USER_UBSAN:+:$SAN_USER_UBSAN}"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$SAN_ROOT/tests/san/tsan.supp:print_suppressions=0:log_path=$dir/tsan${SAN_USER_TSAN:+:$SAN_USER_TSAN}"
}

san_reports() {
  local files
  files=$(grep -rlE "$SAN_PATTERN" "$@" 2>/dev/null) || return 1
  local f
  for f in $files; do
    echo "sanitizer report in $f:"
    grep -E -m 1 -A 12 "$SAN_PATTERN" "$f"
  done
  return 0
}
