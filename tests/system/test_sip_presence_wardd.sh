#!/usr/bin/env bash
# Presence inside a real wardd node, on provisioning made with wardctl:
# presence groups and their rules, users in them, phones with digest; a
# SIPp watcher of an allowed group gets its NOTIFYs as the watched phone
# registers (and a second one of the same watcher is over
# presence_per_watcher: 503), one of a forbidden group gets 403, and a
# changed rule applies to the next SUBSCRIBE without a restart; a phone
# registering on a second node is seen by a watcher on the first.
. "$(dirname "$0")/lib.sh"

SCEN=$WARD_SRC/tests/system/sip

# SIPp 3.6 answers only the first challenge and knows only MD5.
for n in n1 n2; do
	node_conf $n "[sip]" "digest_algorithms = MD5" "presence_per_watcher = 1"
done
read -r _ SIPPORT TLSPORT <<<"$(ward_sip n1)"
read -r _ SIPPORT2 TLSPORT2 <<<"$(ward_sip n2)"
# A restart of the role (with its TLS files: sip_serves_cm) ends its
# subscriptions: subscribe after it.
TARGET=127.0.0.1:$SIPPORT
. "$SCEN/presence.sh"

step "a node; groups staff (sees staff) and lobby (may not see staff); alice, bob in staff, eve in lobby"
ward_init n1 prestest
expect_rc 0 ward_ctl n1 presence-group add staff --allow staff
expect_rc 0 ward_ctl n1 presence-group add lobby --disallow staff
for u in alice:staff bob:staff carol:staff eve:lobby; do
	export WARD_NEW_PASSWORD=${u%:*}-secret-123
	expect_rc 0 ward_ctl n1 user add "${u%:*}" --presence-group "${u#*:}"
done
unset WARD_NEW_PASSWORD
expect_rc 0 ward_ctl n1 profile add dig --digest-auth yes
expect_rc 0 ward_ctl n1 device add SEP001122334455 --model 8841 \
	--profile dig --lines 1001 --digest-user alice
expect_rc 0 ward_ctl n1 device add SEP00AABBCCDDEE --model 8841 \
	--profile dig --lines 1002 --digest-user bob
expect_rc 0 ward_ctl n1 device add SEP0000000000EE --model 8841 \
	--profile dig --lines 1004 --digest-user eve
expect_rc 0 ward_ctl n1 device add SEP0000000000CC --model 8841 \
	--profile dig --lines 1003 --digest-user carol
wait_until 20 "n1's SIP port" sh -c "ss -Hlnu 'sport = :$SIPPORT' | grep -q ."
wait_until 30 "n1 serves its CallManager certificate" sip_serves_cm n1 "$TLSPORT"

auth() { echo "[authentication username=$1 password=$1-secret-123]"; }
csv alice.csv 1001 1002 "$(auth alice)"
csv eve.csv 1004 1002 "$(auth eve)"
csv eve1.csv 1004 1001 "$(auth eve)"
csv bob.csv SEP00AABBCCDDEE "$(auth bob)"
csv alice-reg.csv SEP001122334455 "$(auth alice)"
csv alice3.csv 1001 1003 "$(auth alice)"
csv carol.csv SEP0000000000CC "$(auth carol)"

step "alice watches bob's line: closed, then open when bob registers; meanwhile her second subscription gets 503"
WHILE_WATCHING="refused alice-second alice.csv dialog 503" \
	watch pidf alice.csv presence application/pidf+xml "$PIDF_CLOSED" \
	"$PIDF_OPEN" bob.csv

step "eve (lobby) may not watch bob (staff): 403"
refused eve-bob eve.csv presence
grep -q "SUBSCRIBE (presence) from eve to 1002 refused" "$CLUSTER_DIR/n1.log" ||
	fail "the refusal was not logged"

step "lobby now allows staff: eve watches alice's line, which registers"
expect_rc 0 ward_ctl n1 presence-group set lobby --disallow "" --allow staff
watch eve-alice eve1.csv presence application/pidf+xml "$PIDF_CLOSED" \
	"$PIDF_OPEN" alice-reg.csv

step "a second node; carol's phone registers there, alice watches her line on n1"
ward_join n2 n1
wait_until 20 "n2's SIP port" sh -c "ss -Hlnu 'sport = :$SIPPORT2' | grep -q ."
wait_until 30 "n2 serves its CallManager certificate" sip_serves_cm n2 "$TLSPORT2"
TRIGGER_TARGET=127.0.0.1:$SIPPORT2 watch carol alice3.csv presence \
	application/pidf+xml "$PIDF_CLOSED" "$PIDF_OPEN" carol.csv
ward_ctl n1 --json device show SEP0000000000CC |
	jq -e '.registration.node == "n2"' >/dev/null ||
	fail "carol's phone is not registered on n2"

step "a group in use cannot be deleted; the changes are audited"
expect_rc 2 ward_ctl n1 presence-group delete lobby
grep -q "in use by user eve" "$CLUSTER_DIR/last.err" ||
	fail "the refusal does not name eve: $(cat "$CLUSTER_DIR/last.err")"
ward_ctl n1 --json audit | jq -e '[.audit[] | select(.action |
	startswith("presence-group."))] | length == 3' >/dev/null ||
	fail "the presence-group changes are not all audited"
step "done"
