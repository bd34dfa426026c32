#!/usr/bin/env bash
# The dial plan through a real wardd and wardctl: partitions, calling search
# spaces (their order kept), route and blocking patterns (malformed ones
# refused with the reason, one pattern per partition), lines in partitions
# with the bare-DN syntax still meaning the none-partition, a device's CSS,
# refusals of unknown partitions and CSSs, deletes of what is still in use
# refused naming the user, the CSV device import with the new fields, and
# every change audited.
. "$(dirname "$0")/lib.sh"

json_is() { # json_is WHAT NAME JQ WANT
	local got
	got=$(ward_ctl n1 --json "$1" show "$2" | jq -c "$3")
	[ "$got" = "$4" ] || fail "$1 $2 $3 is $got, not $4"
}

node_conf n1
step "init n1"
ward_init n1 plantest

step "partitions and a calling search space, order kept"
for p in internal exec pstn; do
	expect_rc 0 ward_ctl n1 partition add $p --description "the $p numbers"
done
[ "$(ward_ctl n1 --json partition list | jq '.partitions | length')" = 3 ] ||
	fail "not 3 partitions"
expect_rc 0 ward_ctl n1 css add staff --partitions pstn,internal
json_is css staff .partitions '["pstn","internal"]'
expect_rc 0 ward_ctl n1 css set staff --partitions internal,pstn
json_is css staff .partitions '["internal","pstn"]'
expect_rc 0 ward_ctl n1 css list
out_has "staff"
expect_rc 2 ward_ctl n1 css add bad --partitions internal,ghost
err_has 'no partition "ghost"'
expect_rc 2 ward_ctl n1 css add bad --partitions internal,internal
err_has "listed twice"

step "a trunk with a CSS, route and blocking patterns"
expect_rc 0 ward_ctl n1 device add gw1 --kind trunk --profile trunk-non-secure \
	--peer-host 127.0.0.1 --peer-port 5080 --css staff
json_is device gw1 .css '"staff"'
expect_rc 0 ward_ctl n1 route-pattern add pstn-out --partition pstn \
	--pattern '9!' --action route --trunk gw1
json_is route-pattern pstn-out '[.partition,.pattern,.action,.trunk]' \
	'["pstn","9!","route","gw1"]'
expect_rc 0 ward_ctl n1 route-pattern add premium --partition pstn \
	--pattern '900!' --action block
expect_rc 0 ward_ctl n1 route-pattern add local --partition pstn \
	--pattern '9[2-9]XXXXXX' --action route --trunk gw1
expect_rc 0 ward_ctl n1 route-pattern list
out_has "9\[2-9\]XXXXXX"

step "malformed and conflicting patterns are refused with the reason"
expect_rc 2 ward_ctl n1 route-pattern add bad --pattern '9[5-1]' --action block
err_has "needs a digit not below 5"
expect_rc 2 ward_ctl n1 route-pattern add bad --pattern '9!1' --action block
err_has "only the last character"
expect_rc 2 ward_ctl n1 route-pattern add bad --pattern '9a' --action block
err_has "not one of"
expect_rc 2 ward_ctl n1 route-pattern add bad \
	--pattern "$(printf 'X%.0s' $(seq 1 32))" --action block
err_has "at most 31"
expect_rc 2 ward_ctl n1 route-pattern add bad --pattern '9!' --partition pstn \
	--action block
err_has "route pattern pstn-out already has pattern 9!"
expect_rc 2 ward_ctl n1 route-pattern add bad --pattern '8!' --action route
err_has "names its trunk"
expect_rc 2 ward_ctl n1 route-pattern add bad --pattern '8!' --action route \
	--trunk nowhere
err_has 'no trunk "nowhere"'
expect_rc 2 ward_ctl n1 route-pattern add bad --pattern '8!' --action block \
	--partition ghost
err_has 'no partition "ghost"'
expect_rc 2 ward_ctl n1 route-pattern add bad --pattern '8!' --action sideways
err_has "one of route, block"
expect_rc 2 ward_ctl n1 route-pattern show bad

step "lines in partitions; a bare DN is in the none-partition"
expect_rc 0 ward_ctl n1 device add SEP0011223344AA --profile standard-non-secure \
	--lines 1000@internal,1001 --css staff
json_is device SEP0011223344AA .lines '["1000@internal","1001"]'
json_is device SEP0011223344AA .css '"staff"'
expect_rc 0 ward_ctl n1 device add SEP0011223344AB --profile standard-non-secure \
	--lines 2000
json_is device SEP0011223344AB .lines '["2000"]'
json_is device SEP0011223344AB .css '""'
expect_rc 0 ward_ctl n1 device set SEP0011223344AB --css staff \
	--lines 2000@exec
json_is device SEP0011223344AB .lines '["2000@exec"]'
expect_rc 2 ward_ctl n1 device set SEP0011223344AB --lines 2000@ghost
err_has 'no partition "ghost"'
expect_rc 2 ward_ctl n1 device set SEP0011223344AB --lines '2000@bad/name'
err_has "the partition after @"
expect_rc 2 ward_ctl n1 device set SEP0011223344AB --css ghost
err_has 'no css "ghost"'
json_is device SEP0011223344AB .css '"staff"'

step "the lookup: CSS order, none-partition, patterns, numbers out of reach"
route_is() { # route_is CALLER NUMBER JQ WANT
	local got
	got=$(ward_ctl n1 --json dial-plan route "$1" "$2" | jq -c "$3")
	[ "$got" = "$4" ] || fail "$1 dials $2: $3 is $got, not $4"
}
route_is SEP0011223344AA 1000 '[.verdict,.partition,.devices]' \
	'["line","internal",["SEP0011223344AA"]]'
route_is SEP0011223344AA 1001 '[.verdict,.partition]' '["line",""]'
route_is SEP0011223344AA 92345678 '[.verdict,.route_pattern,.devices]' \
	'["route","local",["gw1"]]'
route_is SEP0011223344AA 9555 '[.verdict,.route_pattern]' '["route","pstn-out"]'
route_is SEP0011223344AA 900123 '[.verdict,.sip_status,.devices]' '["block",403,[]]'
route_is gw1 1000 '.devices' '["SEP0011223344AA"]'
# 2000 exists in exec, outside staff: answered as a number that does not
# exist at all.
reach=$(ward_ctl n1 --json dial-plan route SEP0011223344AA 2000 | jq -c 'del(.number)')
none=$(ward_ctl n1 --json dial-plan route SEP0011223344AA 2999 | jq -c 'del(.number)')
[ "$reach" = "$none" ] || fail "2000 out of reach differs from unknown: $reach / $none"
route_is SEP0011223344AA 2000 '[.verdict,.sip_status]' '["none",404]'
route_is SEP0011223344AA '*67#' '[.number,.verdict]' '["*67#","none"]'
route_is SEP0011223344AA '+41791234567' '[.number,.verdict]' '["+41791234567","none"]'
expect_rc 0 ward_ctl n1 css add boss --partitions exec,internal
expect_rc 0 ward_ctl n1 device set SEP0011223344AB --css boss
route_is SEP0011223344AB 2000 '[.verdict,.partition,.devices]' \
	'["line","exec",["SEP0011223344AB"]]'
route_is SEP0011223344AB 92345678 '.verdict' '"none"'
expect_rc 0 ward_ctl n1 device set SEP0011223344AB --css staff
expect_rc 0 ward_ctl n1 css delete boss
expect_rc 0 ward_ctl n1 dial-plan route SEP0011223344AA 900123
out_has "blocked by route pattern premium (900!) in partition pstn: 403 Forbidden"
expect_rc 0 ward_ctl n1 dial-plan route SEP0011223344AA 2000
out_has "404 Not Found"
expect_rc 2 ward_ctl n1 dial-plan route SEP00112233FFFF 1000
err_has 'no device "SEP00112233FFFF"'

step "deleting what is in use is refused, naming the user"
expect_rc 2 ward_ctl n1 partition delete internal
err_has "partition internal is in use by css staff"
expect_rc 2 ward_ctl n1 css delete staff
err_has "css staff is in use by device SEP0011223344AA"
expect_rc 2 ward_ctl n1 device delete gw1
err_has "device gw1 is in use by route pattern"
expect_rc 0 ward_ctl n1 css set staff --partitions pstn
expect_rc 2 ward_ctl n1 partition delete internal
err_has "partition internal is in use by device SEP0011223344AA"
expect_rc 2 ward_ctl n1 partition delete pstn
err_has "partition pstn is in use by css staff"
expect_rc 0 ward_ctl n1 css set staff --partitions ""
expect_rc 2 ward_ctl n1 partition delete pstn
err_has "partition pstn is in use by route pattern"

step "device import with partitions and CSSs"
cat >"$CLUSTER_DIR/devices.csv" <<'EOF'
name,profile,lines,css
SEP000000000011,standard-non-secure,3000@internal;3001,staff
SEP000000000012,standard-non-secure,3002@ghost,
SEP000000000013,standard-non-secure,3003,ghostcss
SEP000000000014,standard-non-secure,3004,
EOF
expect_rc 2 ward_ctl n1 device import "$CLUSTER_DIR/devices.csv"
out_has "row 2 SEP000000000011: added"
out_has 'row 3 SEP000000000012: refused: .*no partition "ghost"'
out_has 'row 4 SEP000000000013: refused: .*no css "ghostcss"'
out_has "row 5 SEP000000000014: added"
json_is device SEP000000000011 '[.lines,.css]' '[["3000@internal","3001"],"staff"]'
json_is device SEP000000000014 '[.lines,.css]' '[["3004"],""]'
expect_rc 2 ward_ctl n1 device show SEP000000000012

step "the dial plan taken apart again"
expect_rc 0 ward_ctl n1 route-pattern set premium --description "premium rate"
json_is route-pattern premium .description '"premium rate"'
expect_rc 0 ward_ctl n1 route-pattern set local --partition exec
# The pattern moved: the old place is free again.
expect_rc 0 ward_ctl n1 route-pattern add local2 --partition pstn \
	--pattern '9[2-9]XXXXXX' --action block
for rp in pstn-out premium local local2; do
	expect_rc 0 ward_ctl n1 route-pattern delete $rp
done
expect_rc 0 ward_ctl n1 device delete gw1
expect_rc 0 ward_ctl n1 device delete SEP000000000011
expect_rc 0 ward_ctl n1 device set SEP0011223344AA --lines 1001 --css ""
expect_rc 0 ward_ctl n1 device set SEP0011223344AB --lines 2000 --css ""
expect_rc 0 ward_ctl n1 css delete staff
for p in internal exec pstn; do
	expect_rc 0 ward_ctl n1 partition delete $p
done
[ "$(ward_ctl n1 --json partition list | jq '.partitions | length')" = 0 ] ||
	fail "partitions left"

step "every change audited"
expect_rc 0 ward_ctl n1 --json audit --limit 1000
for a in partition.add partition.delete css.add css.set css.delete \
	route-pattern.add route-pattern.set route-pattern.delete device.set; do
	jq -e --arg a "$a" '[.audit[] | select(.action == $a)] | length > 0' \
		"$CLUSTER_DIR/last.out" >/dev/null || fail "no audit of $a"
done
jq -e '[.audit[] | select(.action == "route-pattern.add" and
	(.detail | test("pattern=9!.*action=route trunk=gw1")))] | length == 1' \
	"$CLUSTER_DIR/last.out" >/dev/null || fail "route-pattern.add detail"
jq -e '[.audit[] | select(.action == "css.set" and
	(.detail | test("partitions=internal,pstn")))] | length == 1' \
	"$CLUSTER_DIR/last.out" >/dev/null || fail "css.set detail"

step "ok"
