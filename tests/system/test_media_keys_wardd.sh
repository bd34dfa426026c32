#!/usr/bin/env bash
# An encrypted call through a real wardd, and key hygiene after it: two
# encrypted-mode phones over TLS call with SDES keys through ward's media
# relay (tests/system/sip/srtpcall.py), send SRTP both ways that arrives
# intact and never in clear (tests/system/srtp_peer.c), and then
# none of those keys — raw, in hex of either case, or in base64 — is in
# the node's log (at debug level), its store, its Raft log and snapshots,
# or the audit records wardctl reads.
#
# First in a non-secure cluster, where no device certificate is checked:
# the encrypted profile is not in force, A's RTP/SAVP offer gets 488 and
# no key reaches either phone. Then in mixed mode (two tokens, a CTL),
# where it is: keys go only to an encrypted-mode profile over TLS.
. "$(dirname "$0")/lib.sh"

PKI=$CLUSTER_DIR/pki
A=SEP0000000000A1
B=SEP0000000000B2
E1=SEP00000000E003
E2=SEP00000000E004
E3=SEP00000000E005
python3 "$WARD_SRC/tests/system/sip/mkpki.py" "$PKI" --server-name localhost \
	$A $B $E1 $E2 $E3 >/dev/null
node_conf n1 "[node]" "log_level = debug"
read -r _ SIP TLS <<<"$(ward_sip n1)"

step "one node; two encrypted-mode phones (TLS) on lines 2001 and 2002"
ward_init n1 keytest
# E1..E3: callees of the early-media calls (early_media below): a phone
# that registered from a connection since closed keeps that binding.
ward_enc_phones n1 2001 $A $B $E1 $E2 $E3
wait_until 30 "n1 serves its CallManager certificate on TLS" \
	sip_serves_cm n1 "$TLS"

# call [--b DEV:CERT --number N --keys FILE] [OPTIONS]: srtpcall, A to B.
call() {
	python3 "$WARD_SRC/tests/system/sip/srtpcall.py" \
		--server "127.0.0.1:$TLS" --a "$A:$PKI/$A-mic.pem" \
		--b "$B:$PKI/$B-mic.pem" --number 2002 \
		--keys "$CLUSTER_DIR/keys.txt" --peer "$WARD_BIN/tests/srtp_peer" \
		"$@" 2>"$CLUSTER_DIR/call.err"
}
# Early media: the callee answers in a 183 and sends SRTP before its 200,
# which arrives intact at the caller (and the caller's at the callee);
# a 200 with the same key at another port moves the relay's leg there; a
# 200 with another key of the callee's is refused (488 to A, BYE to B).
early_media() {
	step "early media: SRTP both ways after a reliable 183 (PRACKed), then a 200 moving the callee's port"
	call --b "$E1:$PKI/$E1-mic.pem" --number 2003 \
		--keys "$CLUSTER_DIR/keys-early.txt" --early moved --reliable ||
		fail "call: $(cat "$CLUSTER_DIR/call.err")"
	step "a reliable 183, then a 200 without SDP: the caller's 200 repeats ward's answer"
	call --b "$E3:$PKI/$E3-mic.pem" --number 2005 \
		--keys "$CLUSTER_DIR/keys-bare.txt" --early bare --reliable ||
		fail "call: $(cat "$CLUSTER_DIR/call.err")"
	step "a 200 re-keying what its 183 keyed: 488 to the caller"
	call --b "$E2:$PKI/$E2-mic.pem" --number 2004 --early rekey ||
		fail "call: $(cat "$CLUSTER_DIR/call.err")"
	grep -q "final answer refused (488): final answer m-line 1: not the stream its provisional answer keyed" \
		"$CLUSTER_DIR/n1.log" || fail "the refusal was not logged"
}
step "a non-secure cluster: the profile is not in force, A's SRTP offer gets 488"
# The role restarts once the trust store changed: retry until it took.
refused=0
for i in $(seq 1 20); do
	call --refused 488 && refused=1 && break
	sleep 1
done
[ $refused = 1 ] || fail "call: $(cat "$CLUSTER_DIR/call.err")"
grep -q "offer refused (488): m-line 1: SRTP required but the leg may not carry keys" \
	"$CLUSTER_DIR/n1.log" || fail "the refusal was not logged"
! grep -q "answered, security level" "$CLUSTER_DIR/n1.log" || fail "a call answered"

step "mixed mode; A calls B over TLS with SDES keys; SRTP both ways through the relay"
ward_mixed n1
rm -f "$CLUSTER_DIR/keys.txt"
for i in $(seq 1 20); do
	call && break
	sleep 1
done
[ -s "$CLUSTER_DIR/keys.txt" ] || fail "call: $(cat "$CLUSTER_DIR/call.err")"
# the phones' own two, ward's toward A, and each line ward offered B
[ "$(wc -l <"$CLUSTER_DIR/keys.txt")" = 6 ] || fail "not six keys"
grep -q "answered, security level encrypted" "$CLUSTER_DIR/n1.log" ||
	fail "the call was not encrypted"
early_media
ward_ctl n1 --json audit >"$CLUSTER_DIR/audit.json"
ward_stop n1 # the store and the Raft log flushed, the log complete

step "no key in the log, the store, the Raft log or the audit"
cat "$CLUSTER_DIR/keys-early.txt" "$CLUSTER_DIR/keys-bare.txt" >>"$CLUSTER_DIR/keys.txt"
python3 "$WARD_SRC/tests/system/test_call_srtp_lib.py" leaks \
	"$CLUSTER_DIR/keys.txt" "$CLUSTER_DIR/n1.log" "$CLUSTER_DIR/audit.json" \
	"$CLUSTER_DIR/n1" || fail "a key leaked"
step "ok"
