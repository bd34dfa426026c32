#!/usr/bin/env bash
# Authorised capture through a real wardd: a call with capture off logs no
# key; `wardctl capture start` on a device, an encrypted call (SDES over
# TLS, tests/system/sip/srtpcall.py), and `wardctl capture keys` gives the
# four keys of the call per direction — each phone's own as it sent it,
# ward's toward each phone as ward's SDP to it said; `capture stop`, or the
# window's end, wipes them; start, stop and fetch are audited; the windows
# are bounded; a leg that moves (the callee's 200 at another port than
# its 183, the caller's re-INVITE at another port, the same keys) shows
# its new peer; and no key is in the node's log (at debug level), its
# store, its Raft log or the audit records.
. "$(dirname "$0")/lib.sh"

PKI=$CLUSTER_DIR/pki
A=SEP0000000000A1
# The callee of each call is another phone: a phone that registered
# from a connection since closed keeps that binding until it expires.
B=SEP0000000000B2
B1=SEP0000000000B3
B2=SEP0000000000B4
B3=SEP0000000000B5
python3 "$WARD_SRC/tests/system/sip/mkpki.py" "$PKI" --server-name localhost \
	$A $B $B1 $B2 $B3 >/dev/null
node_conf n1 "[node]" "log_level = debug"
node_conf n2 "[node]" "log_level = debug"
read -r _ SIP TLS <<<"$(ward_sip n1)"
# call FILE CALLEE LINE [ARGS]: A calls; the keys each side saw, in FILE
# (srtpcall.py's order: A's own, the callee's own, ward's toward A, ward's
# lines toward the callee).
call() {
	python3 "$WARD_SRC/tests/system/sip/srtpcall.py" \
		--server "127.0.0.1:$TLS" --a "$A:$PKI/$A-mic.pem" \
		--b "$2:$PKI/$2-mic.pem" --number "$3" --keys "$1" "${@:4}" \
		2>"$CLUSTER_DIR/call.err"
}
keys_json() { ward_ctl n1 --json capture keys "$1"; }
nkeys() { keys_json "$1" | jq '.entries | length'; }
no_keys() { [ "$(nkeys "$1")" = 0 ]; }

step "one node in mixed mode (encryption needs device authentication); encrypted-mode phones (TLS) on lines 2001..2005"
ward_init n1 capturetest
ward_mixed n1
ward_enc_phones n1 2001 $A $B $B1 $B2 $B3
wait_until 30 "n1 serves its CallManager certificate on TLS" sip_serves_cm n1 "$TLS"

step "windows are bounded and need a known device"
expect_rc 2 ward_ctl n1 capture start SEP0000000000FF
grep -q 404 "$CLUSTER_DIR/last.err" || fail "unknown device: not 404"
expect_rc 2 ward_ctl n1 capture start --seconds 0 $A
expect_rc 2 ward_ctl n1 capture start --seconds 3601 $A
expect_rc 2 ward_ctl n1 capture keys SEP0000000000FF
expect_rc 2 ward_ctl n1 capture stop $A
[ "$(ward_ctl n1 --json capture list | jq '.captures | length')" = 0 ] ||
	fail "a window without a start"

step "capture off: a call logs no key"
for i in $(seq 1 20); do
	call "$CLUSTER_DIR/keys0.txt" $B 2002 && break
	sleep 1
done
[ -s "$CLUSTER_DIR/keys0.txt" ] || fail "call: $(cat "$CLUSTER_DIR/call.err")"
expect_rc 0 ward_ctl n1 capture start --seconds 60 $A
no_keys $A || fail "keys of a call made before the capture"
! grep -q "logged for capture" "$CLUSTER_DIR/n1.log" || fail "keys logged"

step "capture on: the call's four keys, each as its SDP carried it"
[ "$(ward_ctl n1 --json capture list | jq -r '.captures[0] |
	"\(.device) \(.active) \(.started_by)"')" = "$A true admin" ] ||
	fail "the window is not listed"
call "$CLUSTER_DIR/keys1.txt" $B1 2003 || fail "call: $(cat "$CLUSTER_DIR/call.err")"
keys_json $A >"$CLUSTER_DIR/log1.json"
mapfile -t K <"$CLUSTER_DIR/keys1.txt"
pick() { # LEG SENDER DIRECTION
	jq -r --arg l "$1" --arg s "$2" --arg d "$3" '.entries[] |
		select(.leg == $l and .sender == $s and .direction == $d) |
		.inline' "$CLUSTER_DIR/log1.json"
}
[ "$(jq '.entries | length' "$CLUSTER_DIR/log1.json")" = 4 ] ||
	fail "not four keys: $(jq -c '.entries | map(del(.inline))' \
		"$CLUSTER_DIR/log1.json")"
[ "$(pick A phone 'A->B')" = "${K[0]}" ] || fail "A's own key"
[ "$(pick B phone 'B->A')" = "${K[1]}" ] || fail "B's own key"
[ "$(pick A ward 'B->A')" = "${K[2]}" ] || fail "ward's key toward A"
[ "$(pick B ward 'A->B')" = "${K[3]}" ] || fail "ward's key toward B"
[ "$(jq -r '.node' "$CLUSTER_DIR/log1.json")" = n1 ] || fail "node not named"
[ "$(jq -r '[.entries[].suite] | unique | .[]' "$CLUSTER_DIR/log1.json")" = \
	AES_CM_128_HMAC_SHA1_80 ] || fail "suite"
# the callee is not under capture: its own name has no log
no_keys $B1 || fail "B's log without a window"
# the human form shows them too
ward_ctl n1 capture keys $A | grep -q -- "${K[0]}" || fail "wardctl table"

step "capture stop wipes the keys"
expect_rc 0 ward_ctl n1 capture stop $A
wait_until 5 "the keys wiped after the stop" \
	grep -q "logged key(s) wiped" "$CLUSTER_DIR/n1.log"
no_keys $A || fail "keys after the stop"

step "the window's end wipes them too"
expect_rc 0 ward_ctl n1 capture start --seconds 3 $A
call "$CLUSTER_DIR/keys2.txt" $B2 2004 || fail "call: $(cat "$CLUSTER_DIR/call.err")"
[ "$(nkeys $A)" = 4 ] || fail "no keys in the second window"
wait_until 10 "the window's end" no_keys $A
wiped_twice() {
	[ "$(grep -c "logged key(s) wiped" "$CLUSTER_DIR/n1.log")" -ge 2 ]
}
wait_until 3 "the keys wiped at the window's end" wiped_twice

step "a leg that moves: its entries show the new peer, the same keys"
expect_rc 0 ward_ctl n1 capture start --seconds 60 $A
call "$CLUSTER_DIR/keys3.txt" $B3 2005 --early moved --move \
	--peers "$CLUSTER_DIR/peers3.txt" ||
	fail "call: $(cat "$CLUSTER_DIR/call.err")"
keys_json $A >"$CLUSTER_DIR/log3.json"
read -r _ A1 A2 < <(grep '^A ' "$CLUSTER_DIR/peers3.txt")
read -r _ B1P B2P < <(grep '^B ' "$CLUSTER_DIR/peers3.txt")
[ "$A1" != "$A2" ] && [ "$B1P" != "$B2P" ] || fail "the phones did not move"
[ "$(jq '.entries | length' "$CLUSTER_DIR/log3.json")" = 4 ] ||
	fail "a move logged other keys: $(jq -c '.entries | map(del(.inline))' \
		"$CLUSTER_DIR/log3.json")"
peers_of() { jq -r --arg l "$1" '[.entries[] | select(.leg == $l) | .peer] |
	unique | join(",")' "$CLUSTER_DIR/log3.json"; }
[ "$(peers_of A)" = "$A2" ] || fail "leg A: $(peers_of A), moved to $A2"
[ "$(peers_of B)" = "$B2P" ] || fail "leg B: $(peers_of B), moved to $B2P"
mapfile -t K3 <"$CLUSTER_DIR/keys3.txt"
[ "$(jq -r '.entries[] | select(.leg == "A" and .sender == "phone") |
	.inline' "$CLUSTER_DIR/log3.json")" = "${K3[0]}" ] ||
	fail "A's key after the move"
grep -q "moved to a new peer" "$CLUSTER_DIR/n1.log" ||
	fail "the move not in the log"
ward_ctl n1 capture keys $A | grep -q -- "$A2" || fail "wardctl table: peer"

step "a follower serves its own log, its fetch audited through the leader"
ward_join n2 n1 || fail "n2 did not join"
on_n2() { [ "$(ward_ctl n2 --json capture keys $A | jq -r .node)" = n2 ]; }
wait_until 20 "n2 answering for its own key log" on_n2
[ "$(ward_ctl n2 --json capture keys $A | jq '.entries | length')" = 0 ] ||
	fail "n2 relayed no call but has keys"
# --all-nodes asks each member in turn (pinning the cluster's CA: a
# node's own certificate fits that node only)
ctl_ca() {
	"$WARDCTL" --url "$(ward_url "$1")" --ca-fingerprint "$(ward_ca_fp n1)" \
		"${@:2}"
}
[ "$(ctl_ca n1 --json capture keys --all-nodes $A |
	jq -r '[.answers[].node] | sort | join(",")')" = n1,n2 ] ||
	fail "--all-nodes did not ask both nodes"
ctl_ca n2 capture keys --all-nodes $A >"$CLUSTER_DIR/all.txt"
grep -q "on node n1" "$CLUSTER_DIR/all.txt" &&
	grep -q "on node n2" "$CLUSTER_DIR/all.txt" || fail "--all-nodes table"
# the members' route is not for anyone else, on either node
for n in n1 n2; do
	code=$(curl -sk -o /dev/null -w '%{http_code}' -X POST \
		-d '{"device": "'$A'", "admin": "mallory"}' \
		"$(ward_url $n)/v1/capture-fetched")
	[ "$code" = 403 ] || fail "$n: a stranger's fetch record got $code"
done

step "every start, stop and fetch audited"
ward_ctl n1 --json audit >"$CLUSTER_DIR/audit.json"
for a in capture.start capture.stop capture.fetch; do
	grep -q "\"$a\"" "$CLUSTER_DIR/audit.json" || fail "no $a record"
done
[ "$(grep -o '"capture.fetch"' "$CLUSTER_DIR/audit.json" | wc -l)" -ge 5 ] ||
	fail "fetches not each audited"
jq -e '.. | strings | select(test("^SEP0000000000A1 node n2 by admin$"))' \
	"$CLUSTER_DIR/audit.json" >/dev/null || fail "n2's fetch not audited"
! grep -q mallory "$CLUSTER_DIR/audit.json" || fail "a stranger's record"
ward_stop n2
ward_stop n1 # the store and the Raft log flushed, the log complete

step "no key in the log, the store, the Raft log or the audit"
cat "$CLUSTER_DIR"/keys[0123].txt >"$CLUSTER_DIR/allkeys.txt"
python3 "$WARD_SRC/tests/system/test_call_srtp_lib.py" leaks \
	"$CLUSTER_DIR/allkeys.txt" "$CLUSTER_DIR/n1.log" "$CLUSTER_DIR/audit.json" \
	"$CLUSTER_DIR/n2.log" "$CLUSTER_DIR/n1" "$CLUSTER_DIR/n2" ||
	fail "a key leaked"
step "ok"
