#!/usr/bin/env bash
# Installs the Debian packages gridline needs (only the missing ones), by purpose:
#   run    build and run gridline: compiler, protoc-c, the libraries, redis-server, curl
#          (scripts/run.sh waits for /healthz with curl; it needs neither jq nor procps), and
#          node >= 18 with npm (the build fetches ECharts for /dashboard with npm ci): Debian's
#          nodejs and npm only when npm is missing (a NodeSource nodejs carries its own npm and
#          conflicts with Debian's npm package)
#   test   run + what only the tests use: cmocka (unit), jq (e2e reads JSON answers),
#          prometheus-alertmanager (the Alertmanager target's e2e test) and prometheus (its
#          promtool checks the /metrics text), chromium and fonts-wqy-microhei (the dashboard's
#          e2e test renders the page headless and takes a screenshot with Chinese text)
#   fuzz   test + clang and its libFuzzer/sanitizer runtimes (make fuzz)
#   bench  run + jq (bench/run.sh reads the aggregator's JSON)
#   lint   run + clang-format and cppcheck (make lint)
# Usage: scripts/deps.sh [run|test|fuzz|bench|lint]...   (no argument: test, what CI needs)
# `make run`/`make up` ask for run only, `make test` for test, `make fuzz` for fuzz.
# Uses sudo only when not root. Safe to run again: does nothing when all are present.
set -euo pipefail
run_pkgs=(
  build-essential pkg-config protobuf-c-compiler
  libzmq3-dev libprotobuf-c-dev libhiredis-dev libmicrohttpd-dev libjansson-dev
  libcurl4-openssl-dev libyaml-dev libssl-dev
  redis-server redis-tools curl
)
# node and npm: by command, not by package (see above)
command -v npm >/dev/null 2>&1 || run_pkgs+=(nodejs npm)
test_pkgs=(libcmocka-dev jq prometheus-alertmanager prometheus chromium fonts-wqy-microhei)
fuzz_pkgs=(clang libclang-rt-14-dev)
bench_pkgs=(jq)
lint_pkgs=(clang-format cppcheck)

sets=("$@")
[ ${#sets[@]} -gt 0 ] || sets=(test)
packages=("${run_pkgs[@]}")
for s in "${sets[@]}"; do
  case "$s" in
    run) ;;
    test) packages+=("${test_pkgs[@]}") ;;
    fuzz) packages+=("${test_pkgs[@]}" "${fuzz_pkgs[@]}") ;;
    bench) packages+=("${bench_pkgs[@]}") ;;
    lint) packages+=("${lint_pkgs[@]}") ;;
    *) echo "usage: scripts/deps.sh [run|test|fuzz|bench|lint]..." >&2; exit 2 ;;
  esac
done
# one of each, in order
declare -A seen
uniq=()
for p in "${packages[@]}"; do
  [ -n "${seen[$p]:-}" ] || uniq+=("$p")
  seen[$p]=1
done
packages=("${uniq[@]}")

# node >= 18 (ECharts' npm ci and the dashboard's build); Debian 12's nodejs is 18
s_check_node() {
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -lt 18 ]; then
    echo "deps: node >= 18 is needed (found: $(node -v 2>/dev/null || echo none))" >&2
    exit 1
  fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} Debian packages present (${sets[*]})"
  s_check_node
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps: installing ${missing[*]} (${sets[*]})"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: installed ${#missing[@]} packages"
s_check_node
