#!/usr/bin/env bash
# The node group with each node's published SIP ports, and SRST
# references, on a real node: wardctl srst add|set|show|list|delete
# through the admin API, checked and audited; a phone profile names one;
# the phone's SEP<MAC>.cnf.xml (over TFTP) carries it in its device pool
# with the gateway's certificate from the trust store; deleting a
# reference a profile names is refused, naming the profile.
. "$(dirname "$0")/lib.sh"
. "$WARD_SRC/tests/system/tftp.sh"

D=$CLUSTER_DIR
DEV=SEP00112233AB01
CFG=$DEV.cnf.xml
# config_has TEXT: the phone's config over TFTP holds TEXT.
config_has() { get_hpa n1 $CFG "$D/cfg.xml" && grep -qF -- "$1" "$D/cfg.xml"; }
config_lacks() { get_hpa n1 $CFG "$D/cfg.xml" && ! grep -qF -- "$1" "$D/cfg.xml"; }
audited() { ward_ctl n1 --json audit | jq -e --arg a "$1" '[.. | strings | select(. == $a)] | length > 0' >/dev/null; }

node_conf n1 "[capf]" "listen = 127.0.0.1:$(free_port)"
step "init n1; a phone on a profile of its own; an SRST gateway's certificate in the trust store"
ward_init n1 srsttest
ward_ctl n1 profile add branch >/dev/null
ward_ctl n1 device add $DEV --model 8841 --profile branch --lines 4001 >/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/O=Branch/CN=srst-gw-1" \
	-keyout "$D/gw.key" -out "$D/gw.pem" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=not-srst" \
	-keyout "$D/o.key" -out "$D/o.pem" 2>/dev/null
cert=$(ward_ctl n1 --json cert import --category srst "$D/gw.pem" | jq -r .name)
other=$(ward_ctl n1 --json cert import --category other "$D/o.pem" | jq -r .name)
[ -n "$cert" ] && [ "$cert" != null ] || fail "no trust entry name"
wait_until 10 "n1 serves the config" config_has "<name>$DEV</name>"
! grep -q srstInfo "$D/cfg.xml" || fail "an SRST reference before any"

step "the node group lists n1 with the SIP ports its node record publishes"
read -r _ sip tls <<<"$(ward_sip n1)"
[ "$sip" != 5060 ] && [ "$tls" != 5061 ] || fail "test ports are the defaults: nothing to tell apart"
wait_until 10 "the config has n1's SIP port" config_has "<sipPort>$sip</sipPort>"
grep -q "<securedSipPort>$tls</securedSipPort>" "$D/cfg.xml" || fail "$(cat "$D/cfg.xml")"

step "wardctl srst add: checked, then stored and audited"
expect_rc 2 ward_ctl n1 srst add gw1 --sip-port 5060
grep -q "address" "$D/last.err" || fail "no reason: $(cat "$D/last.err")"
expect_rc 2 ward_ctl n1 srst add gw1 --address "10.9.8.7<x>"
expect_rc 2 ward_ctl n1 srst add gw1 --address 10.9.8.7 --sip-port 0
expect_rc 2 ward_ctl n1 srst add gw1 --address 10.9.8.7 --certificate 00000000.0
grep -q "no trust entry" "$D/last.err" || fail "$(cat "$D/last.err")"
expect_rc 2 ward_ctl n1 srst add gw1 --address 10.9.8.7 --certificate "$other"
grep -q "not srst" "$D/last.err" || fail "$(cat "$D/last.err")"
expect_rc 0 ward_ctl n1 srst add gw1 --address 10.9.8.7 --tls-port 5061 \
	--certificate "$cert" --description "branch 1 router"
expect_rc 2 ward_ctl n1 srst add gw1 --address 10.9.8.7
ward_ctl n1 srst list >"$D/list.txt"
grep -q "gw1 *10.9.8.7 *5060 *5061 *$cert" "$D/list.txt" || fail "srst list: $(cat "$D/list.txt")"
[ "$(ward_ctl n1 --json srst show gw1 | jq -r .description)" = "branch 1 router" ] ||
	fail "srst show"
audited srst.add || fail "no srst.add audit record"

step "a profile names it: the config carries the gateway and its certificate"
expect_rc 2 ward_ctl n1 profile set branch --srst-reference nosuch
grep -q 'no SRST reference "nosuch"' "$D/last.err" || fail "$(cat "$D/last.err")"
expect_rc 0 ward_ctl n1 profile set branch --srst-reference gw1
wait_until 10 "the config names gw1" config_has "<name>gw1</name>"
grep -q "<sipIpAddr1>10.9.8.7</sipIpAddr1>" "$D/cfg.xml" || fail "$(cat "$D/cfg.xml")"
grep -q "<sipPort1>5060</sipPort1>" "$D/cfg.xml" || fail "sip port"
grep -q "<securedSipPort1>5061</securedSipPort1>" "$D/cfg.xml" || fail "tls port"
grep -q "<isSecure>true</isSecure>" "$D/cfg.xml" || fail "isSecure"
sed -n 's|.*<certificate>\(.*\)</certificate>.*|\1|p' "$D/cfg.xml" | base64 -d >"$D/cfg.der" ||
	fail "no certificate in the config"
cmp -s "$D/cfg.der" <(openssl x509 -in "$D/gw.pem" -outform DER) ||
	fail "the config's certificate is not the gateway's"
# The SRST block is in the device pool, after the node group.
awk '/<devicePool>/,/<\/devicePool>/' "$D/cfg.xml" | grep -q "<srstInfo>" ||
	fail "srstInfo outside the device pool"

step "srst set: the config follows; without TLS and certificate"
expect_rc 0 ward_ctl n1 srst set gw1 --sip-port 5070 --tls-port 0 --certificate ""
wait_until 10 "the config has the new port" config_has "<sipPort1>5070</sipPort1>"
grep -q "<isSecure>false</isSecure>" "$D/cfg.xml" || fail "isSecure after set"
! grep -q "securedSipPort1\|<certificate>" "$D/cfg.xml" || fail "TLS port or certificate left"
audited srst.set || fail "no srst.set audit record"

step "delete: refused while a profile names it, naming the profile"
expect_rc 2 ward_ctl n1 srst delete gw1
grep -q "srst gw1 is in use by profile branch" "$D/last.err" || fail "$(cat "$D/last.err")"
expect_rc 0 ward_ctl n1 profile set branch --srst-reference ""
wait_until 10 "the config drops the reference" config_lacks srstInfo
expect_rc 0 ward_ctl n1 srst delete gw1
expect_rc 2 ward_ctl n1 srst show gw1
audited srst.delete || fail "no srst.delete audit record"

step "done"
