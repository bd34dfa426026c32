#!/usr/bin/env bash
# A call through a real wardd node, on provisioning made with wardctl: two
# SIPp phones with digest profiles register, one calls the other's line;
# while they talk `wardctl call list` (GET /v1/calls) shows the call with
# its state and security level, and once they hang up it is gone.
. "$(dirname "$0")/lib.sh"
. "$WARD_SRC/tests/system/sip/sipp.sh"

# SIPp 3.6 answers only the first challenge and knows only MD5.
node_conf n1 "[sip]" "digest_algorithms = MD5"
read -r _ SIP TLS <<<"$(ward_sip n1)"
listening() { ss -Hlnu "sport = :$SIP" | grep -q .; }

step "one node; alice (line 1001) and bob (line 1002) with a digest profile"
ward_init n1 calltest
sipp_ward_pair n1
wait_until 20 "n1's SIP port" listening
# The role restarts once with its TLS files: register after that.
wait_until 30 "n1 serves its CallManager certificate on TLS" \
	sip_serves_cm n1 "$TLS"

step "bob registers; alice calls 1002 and they talk"
BOB=$(free_port)
sipp_register reg-bob "$BOB" "127.0.0.1:$SIP" SEP000000000002 bob \
	bob-secret-123
sipp_bg answer "$BOB" "$SIPP_SCEN/call_uas.xml"
sipp_bg call "$(free_port)" "$SIPP_SCEN/call_uac.xml" -d 4000 \
	-inf "$(sipp_csv alice.csv SEP000000000001 \
		"$(sipp_auth alice alice-secret-123)" 1002)" \
	-auth_uri "$(sipp_auth_uri 1002 "127.0.0.1:$SIP")" "127.0.0.1:$SIP"

step "wardctl call list shows the call, talking, with its security level"
talking() {
	ward_ctl n1 --json call list >"$CLUSTER_DIR/calls.json" &&
		jq -e '.calls | length == 1 and .[0].caller == "SEP000000000001" and .[0].callee == "SEP000000000002" and .[0].number == "1002" and .[0].state == "talking" and .[0].security_level == "non-secure" and .[0].answered_ms > 0' \
			"$CLUSTER_DIR/calls.json"
}
wait_until 10 "the call listed as talking" talking
ward_ctl n1 call list >"$CLUSTER_DIR/calls.txt"
grep -q "SEP000000000001 .*SEP000000000002 .*1002 .*talking .*non-secure" \
	"$CLUSTER_DIR/calls.txt" || fail "call list: $(cat "$CLUSTER_DIR/calls.txt")"

step "they hang up: both sides done, the list empty"
sipp_ok call 20
sipp_ok answer 10
empty() {
	ward_ctl n1 --json call list | jq -e '.calls | length == 0'
}
wait_until 5 "the call gone from the list" empty
grep -q "answered, security level non-secure" "$CLUSTER_DIR/n1.log" ||
	fail "the call's level was not logged"
step "done"
