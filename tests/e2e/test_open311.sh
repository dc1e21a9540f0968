#!/usr/bin/env bash
# Open311 GeoReport v2 (issue 8): the specification's example requests with our values, in XML
# and JSON: the service list and one service, a request POSTed form-encoded with api_key, read
# back by id and in the filtered list; Open311's error format for a missing address_id (our one
# deviation), an unknown service_code, a bad api_key and a wrong media type; reads without a key
# show no contacts and mask phone-like digits.
source "$(dirname "$0")/lib.sh"
e2e_start_redis
e2e_start_sink
e2e_configure
e2e_start_services
O="$INTAKE/open311/v2"
F='Content-Type: application/x-www-form-urlencoded'
# status CURL-ARGS...: the HTTP status of a request with no token but the ones given
status() { command curl -s -o "$E2E_DIR/out" -w '%{http_code}' "$@"; }
out() { cat "$E2E_DIR/out"; }
xml() { xmllint --xpath "$1" "$E2E_DIR/out" 2>/dev/null; }

# GET Service List
check_eq "services.json: 200" 200 "$(status "$O/services.json")"
check_eq "heating's name is its label" "供暖" "$(out | jq -r '.[]|select(.service_code=="heating").service_name')"
check_eq "group is the department" heating "$(out | jq -r '.[]|select(.service_code=="heating").group')"
check_eq "metadata false, type realtime" "false realtime" "$(out | jq -r '.[0]|"\(.metadata) \(.type)"')"
check_eq "services.xml: 200" 200 "$(status "$O/services.xml")"
check "services.xml is well-formed XML" xmllint --noout "$E2E_DIR/out"
check_eq "xml: heating's group" heating "$(xml 'string(/services/service[service_code="heating"]/group)')"
# GET Service Definition
check_eq "services/heating.json: 200" 200 "$(status "$O/services/heating.json")"
check_eq "its code, no attributes" "heating 0" "$(out | jq -r '"\(.service_code) \(.attributes|length)"')"
check_eq "services/heating.xml" heating "$(status "$O/services/heating.xml" >/dev/null; xml 'string(/service_definition/service_code)')"
check_eq "unknown service: 404" 404 "$(status "$O/services/nope.json")"
check_eq "in Open311's error format" 404 "$(out | jq -r '.[0].code')"

# POST Service Request (the specification's example, with our values)
# form [NAME=VALUE...]: curl arguments of the example request, each NAME given replacing its
# field ("NAME=" leaves it out)
form() {
  local -A f=([api_key]=e2e-token [service_code]=heating [address_id]=150123100001 [lat]=40.38
    [long]=111.82 [address_string]='和林格尔县城关镇 1 号楼' [email]=zhang@example.com
    [device_id]=tt222111 [account_id]=123456 [first_name]=三 [last_name]=张 [phone]=13812345678
    [description]='暖气不热，室温只有12度，请回电 13812345678'
    [media_url]=http://example.org/photo.jpg ['attribute[WHISPAWN]']=123456)
  local a k
  for a in "$@"; do f[${a%%=*}]=${a#*=}; done
  for k in "${!f[@]}"; do [ -n "${f[$k]}" ] && printf '%s\0' --data-urlencode "$k=${f[$k]}"; done
}
mapfile -d '' ex < <(form)
check_eq "POST requests.json: 201" 201 "$(status -X POST "$O/requests.json" -H "$F" "${ex[@]}")"
id=$(out | jq -r '.[0].service_request_id')
check_eq "a service_request_id, stored" 1 "$(rcli exists "appeal:{150123}:$id")"
check_eq "account_id echoed, service_notice" "123456 " "$(out | jq -r '.[0]|"\(.account_id) \(.service_notice)"')"
check_eq "POST requests.xml: 201" 201 "$(status -X POST "$O/requests.xml" -H "$F" "${ex[@]}")"
xid=$(xml 'string(/service_requests/request/service_request_id)')
check "xml: a service_request_id" test -n "$xid"
check_eq "stored: the token's name" e2e "$(rcli hget "appeal:{150123}:$id" token)"
check_eq "stored: the channel (open311.channel)" web "$(rcli hget "appeal:{150123}:$id" channel)"
check_eq "stored: the reporter" "张三 13812345678 zhang@example.com" "$(rcli hmget "appeal:{150123}:$id" reporter_name reporter_phone reporter_email | tr '\n' ' ' | sed 's/ $//')"
check_eq "stored in the create step: media_urls" http://example.org/photo.jpg "$(rcli hget "appeal:{150123}:$id" media_urls)"
check_eq "GET /v1/appeals/{id}: media_urls" '["http://example.org/photo.jpg"]' "$(curl -s "$INTAKE/v1/appeals/$id" | jq -c .media_urls)"

# GET Service Request, without a key
check_eq "GET requests/{id}.json without a key: 200" 200 "$(status "$O/requests/$id.json")"
check_eq "status open" open "$(out | jq -r '.[0].status')"
check_eq "service_code, service_name" "heating 供暖" "$(out | jq -r '.[0]|"\(.service_code) \(.service_name)"')"
check_eq "address_id, lat, long" "150123100001 40.38 111.82" "$(out | jq -r '.[0]|"\(.address_id) \(.lat) \(.long)"')"
check_eq "media_url" http://example.org/photo.jpg "$(out | jq -r '.[0].media_url')"
check "digits in the description are masked" grep -q '138\*\*\*\*5678' "$E2E_DIR/out"
check "no contact anywhere" sh -c "! grep -qE '13812345678|zhang@|张三' '$E2E_DIR/out'"
check "requested_datetime" test "$(out | jq -r '.[0].requested_datetime')" != null
assigned() { [ "$(rcli hget "appeal:{150123}:$id" status)" == assigned ]; }
check "the router assigns it" wait_until 10 assigned
check_eq "agency_responsible: the department" heating "$(status "$O/requests/$id.json" >/dev/null; out | jq -r '.[0].agency_responsible')"
check "expected_datetime: the resolve deadline" test "$(out | jq -r '.[0].expected_datetime')" != null
check_eq "requests/{id}.xml" open "$(status "$O/requests/$xid.xml" >/dev/null; xml 'string(/service_requests/request/status)')"
check "xml: no contact" sh -c "! grep -qE '13812345678|zhang@' '$E2E_DIR/out'"
check_eq "unknown id: 404" 404 "$(status "$O/requests/150123-20200101-999999.json")"

# GET Service Requests with filters
check_eq "requests.json?service_request_id=a,b" 2 "$(status "$O/requests.json?service_request_id=$id,$xid" >/dev/null; out | jq length)"
check_eq "service_code=heating&status=open lists both" 2 "$(status "$O/requests.json?service_code=heating&status=open" >/dev/null; out | jq '[.[]|select(.service_request_id=="'$id'" or .service_request_id=="'$xid'")]|length')"
check_eq "status=closed: none" 0 "$(status "$O/requests.json?status=closed" >/dev/null; out | jq length)"
check_eq "service_code=water: none" 0 "$(status "$O/requests.json?service_code=water" >/dev/null; out | jq length)"
check_eq "end_date in the past: none" 0 "$(status "$O/requests.json?end_date=2020-01-01T00:00:00Z" >/dev/null; out | jq length)"
check_eq "requests.xml lists them" 2 "$(status "$O/requests.xml?service_code=heating" >/dev/null; xml 'count(/service_requests/request)' | cut -d. -f1)"
check_eq "bad status: 400" 400 "$(status "$O/requests.json?status=maybe")"

# errors, in Open311's format
mapfile -d '' nf < <(form address_id=)
check_eq "no address_id: 400" 400 "$(status -X POST "$O/requests.json" -H "$F" "${nf[@]}")"
check "it says address_id is required" sh -c "jq -r '.[0].description' '$E2E_DIR/out' | grep -q 'address_id is required'"
check_eq "xml: no address_id: 400" 400 "$(status -X POST "$O/requests.xml" -H "$F" "${nf[@]}")"
check_eq "xml error code" 400 "$(xml 'string(/errors/error/code)')"
check_eq "unknown service_code: 400" 400 "$(mapfile -d '' a < <(form service_code=nope); status -X POST "$O/requests.json" -H "$F" "${a[@]}")"
check "it says unknown service_code" sh -c "jq -r '.[0].description' '$E2E_DIR/out' | grep -q 'unknown service_code'"
mapfile -d '' bad < <(form api_key=wrong)
check_eq "bad api_key: 401" 401 "$(status -X POST "$O/requests.json" -H "$F" "${bad[@]}")"
check_eq "401 in Open311's format" 401 "$(out | jq -r '.[0].code')"
check_eq "JSON body: 415" 415 "$(status -X POST "$O/requests.json" -H 'Content-Type: application/json' -d '{}')"
check_eq "no Content-Type: 415" 415 "$(status -X POST "$O/requests.json" -H 'Content-Type:' --data-binary 'api_key=e2e-token')"
mapfile -d '' nokey < <(form api_key=)
check_eq "no api_key: 401" 401 "$(status -X POST "$O/requests.json" -H "$F" "${nokey[@]}")"
check_eq "a field twice: 400" 400 "$(status -X POST "$O/requests.json" -H "$F" "${ex[@]}" --data-urlencode service_code=water)"
mapfile -d '' far < <(form lat=22.54 long=114.05)
check_eq "coordinates outside Inner Mongolia: 400" 400 "$(status -X POST "$O/requests.json" -H "$F" "${far[@]}")"
check_eq "a bad %XX: 400" 400 "$(status -X POST "$O/requests.json" -H "$F" --data-binary 'api_key=e2e-token&service_code=%zz')"
check_eq "nothing stored by the refusals" 2 "$(rcli eval "return #redis.call('keys','appeal:*')" 0)"
check_eq "another Host: 421" 421 "$(status "$O/services.json" -H 'Host: evil.example')"

# a token of one channel and one county: its channel; another county is 403
e2e_token_add wx-150123 wx-secret wechat 150123 "" 0
mapfile -d '' wx < <(form api_key=wx-secret 'description=<b>管道 & 阀门</b>')
check_eq "a one-channel token: 201" 201 "$(status -X POST "$O/requests.xml" -H "$F" "${wx[@]}")"
wid=$(xml 'string(/service_requests/request/service_request_id)')
check_eq "stored with the token's channel" wechat "$(rcli hget "appeal:{150123}:$wid" channel)"
status "$O/requests/$wid.xml" >/dev/null
check "markup in a description is escaped in XML" xmllint --noout "$E2E_DIR/out"
check_eq "and reads back as sent" '<b>管道 & 阀门</b>' "$(xml 'string(/service_requests/request/description)')"
mapfile -d '' wxo < <(form api_key=wx-secret address_id=150203001015 lat= long=)
check_eq "outside its county: 403" 403 "$(status -X POST "$O/requests.json" -H "$F" "${wxo[@]}")"
check_eq "403 in Open311's format" 403 "$(out | jq -r '.[0].code')"

# open311.public_reads off: the reads need a key too
e2e_kill intake
e2e_start_service intake GRIDLINE_OPEN311_PUBLIC_READS=off
check_eq "public_reads off: no key is 401" 401 "$(status "$O/requests/$id.json")"
check_eq "in Open311's format" 401 "$(out | jq -r '.[0].code')"
check_eq "with api_key: 200" 200 "$(status "$O/requests/$id.json?api_key=$E2E_TOKEN")"
check_eq "with a Bearer token: 200" 200 "$(status "$O/services.xml" -H "Authorization: Bearer $E2E_TOKEN")"
exit 0
