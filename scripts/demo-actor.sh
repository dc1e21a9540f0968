#!/usr/bin/env bash
# The demo's people (make run): every few seconds, grid workers acknowledge and resolve some of
# the newest appeals of 呼和浩特 outside 和林格尔县 (150123: README's examples go there, and are
# left to the reader) and residents give feedback, so that the dashboard's rates and
# the ladder show more than escalations. Some appeals are left alone on purpose: they climb.
# Needs only curl (no jq): ids are picked out of the listing's JSON with grep.
# Usage: scripts/demo-actor.sh INTAKE_URL TOKEN [SECONDS_BETWEEN_ROUNDS]
set -u
URL=$1
TOKEN=$2
EVERY=${3:-3}
ids() { # STATUS LIMIT: ids of the newest appeals in that status in 1501
  curl -s -H "Authorization: Bearer $TOKEN" "$URL/v1/appeals?region=1501&status=$1&limit=$2" |
    grep -o '"id":"[0-9-]*"' | cut -d'"' -f4 | grep -v '^150123-'
}
act() { # ID ACTION JSON
  curl -s -o /dev/null -X POST "$URL/v1/appeals/$1/$2" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d "$3"
}
n=0
while :; do
  for id in $(ids assigned 6); do
    n=$((n + 1))
    [ $((n % 4)) == 0 ] && continue # one in four is left to climb
    act "$id" acknowledge '{"actor":"网格员 王芳"}'
  done
  for id in $(ids acknowledged 4); do
    act "$id" resolve '{"actor":"网格员 王芳","resolution":"已上门处理"}'
  done
  for id in $(ids resolved 4); do
    n=$((n + 1))
    case $((n % 5)) in
    0) act "$id" feedback '{"actor":"居民","verdict":"unsatisfied","comment":"还没解决"}' ;;
    1) act "$id" feedback '{"actor":"居民","verdict":"basically_satisfied"}' ;;
    *) act "$id" feedback '{"actor":"居民","verdict":"satisfied","solved":true}' ;;
    esac
  done
  sleep "$EVERY"
done
