#!/usr/bin/env bash
# Installs the Debian packages gridline builds, runs and tests with (only the missing ones).
# Uses sudo only when not root. Safe to run again: does nothing when all are present.
set -euo pipefail
packages=(
  build-essential pkg-config protobuf-c-compiler
  libzmq3-dev libprotobuf-c-dev libhiredis-dev libmicrohttpd-dev libjansson-dev
  libcurl4-openssl-dev libyaml-dev libcmocka-dev
  redis-server redis-tools curl jq procps
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} Debian packages present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: installed ${#missing[@]} packages"
