#!/usr/bin/env bash
# Calls through SIP trunks on one node (ward_sipd over an in-memory
# directory): a phone dials a number a route pattern in its calling
# search space sends to a trunk; SIPp plays the trunk's peer, challenges
# the INVITE (407, then 401 in a second call) and checks ward's answer —
# made with the realm's credentials — with <verifyauth>; 180, 200, ACK and
# the caller's BYE go through; the same over TCP to a trunk whose profile
# goes out over TCP. A phone whose CSS lacks the pattern gets
# 404. With another password expected the trunk challenges again: ward
# answers once only (two INVITEs reach the trunk) and the caller gets 403.
# A caller's CANCEL after the challenge reaches the answered INVITE.
# Inbound: SIPp as the trunk (from its address) calls a phone's line; the
# registered phone rings and answers. A trunk without the Replaces
# permission still gets 403 for an INVITE with Replaces.
. "$(dirname "$0")/lib.sh"
. "$WARD_SRC/tests/system/sip/sipp.sh"
. "$WARD_SRC/tests/system/sip/sipd.sh"

SCEN=$SIPP_SCEN
SIPP_TIMEOUT=10

PORT=$(free_port)
PEER=$(free_port)
PEER_TCP=$(free_port)
cat >"$CLUSTER_DIR/dir.txt" <<DIR
realm ward.test
secret $(openssl rand -hex 32)
credential trunk.test ward-trunk trunk-secret
user alice pw-alice
user bob pw-bob
css phones pstn
device SEP000000000001 user=alice line=1001 css=phones
device SEP000000000002 user=bob line=1002
trunk carrier addr=127.0.0.2 peerport=$PEER out=udp
pattern 9XXXX route=carrier partition=pstn
trunk tcpcarrier addr=127.0.0.3 peerport=$PEER_TCP out=tcp
pattern 8XXXX route=tcpcarrier partition=pstn
DIR
sipd_start sipd "$PORT" --digest MD5

# auth_uri NUMBER: -auth_uri for an INVITE to NUMBER.
auth_uri() { sipp_auth_uri "$1" "127.0.0.1:$PORT"; }

# uas CODE HEADER: the trunk's peer scenario challenging with CODE.
# SIPp's <verifyauth> reads only Authorization: after a 407 the scenario
# checks that Proxy-Authorization is there and digest_check.py checks
# the answer in the message trace.
uas() {
	local verify=''
	[ "$1" = 407 ] && verify='s|<verifyauth .*<!-- @VERIFY@ -->|<ereg regexp="Proxy-Authorization: Digest username=.ward-trunk." search_in="msg" check_it="true" assign_to="authvalid"/>|'
	sed "s/@CODE@/$1/g; s/@HDR@/$2/g" "$SCEN/trunk_call_uas.xml" |
		sed "$verify" >"$CLUSTER_DIR/uas-$1.xml"
	echo "$CLUSTER_DIR/uas-$1.xml"
}

GOOD_CSV=$(sipp_csv good.csv ward-trunk trunk-secret)
BAD_CSV=$(sipp_csv bad.csv ward-trunk another-secret)

for ch in "407 Proxy-Authenticate" "401 WWW-Authenticate"; do
	code=${ch% *} hdr=${ch#* }
	step "alice dials 95551 (a route pattern to the trunk): $code answered with the realm's credentials, 200, ACK, BYE"
	SIPP_IP=127.0.0.2 sipp_bg "peer-$code" "$PEER" "$(uas "$code" "$hdr")" \
		-inf "$GOOD_CSV" -trace_msg
	sipp_run "out-$code" "$(free_port)" "$SCEN/trunk_call_uac.xml" \
		-inf "$(sipp_caller_csv SEP000000000001 alice pw-alice 95551)" \
		-auth_uri "$(auth_uri 95551)" "127.0.0.1:$PORT" ||
		fail "the caller's side failed after a $code: $(sipp_errors "out-$code")"
	[ "$(sipp_rc "peer-$code" 20)" = 0 ] ||
		fail "the trunk refused ward's answer to its $code: $(sipp_errors "peer-$code")"
	python3 "$SCEN/digest_check.py" "$CLUSTER_DIR/peer-$code"/*messages.log \
		ward-trunk trunk-secret || fail "ward's answer to the $code is wrong"
	cseqs=$(awk '/^INVITE sip:/ { inv = 1 } inv && /^CSeq:/ { print $2; inv = 0 }' \
		"$CLUSTER_DIR/peer-$code"/*messages.log | tr '\n' ' ')
	read -r first second rest <<<"$cseqs"
	[ -z "$rest" ] && [ -n "$second" ] && [ "$second" = $((first + 1)) ] ||
		fail "the answered INVITE's CSeq is not the first's + 1: $cseqs"
	# The check can fail: another password does not match.
	if python3 "$SCEN/digest_check.py" "$CLUSTER_DIR/peer-$code"/*messages.log \
		ward-trunk another-secret >/dev/null; then
		fail "digest_check accepted another password"
	fi
done
grep -q "trunk challenge for realm trunk.test answered with MD5" \
	"$CLUSTER_DIR/sipd.log" || fail "the answered challenge was not logged"
grep -q "answered, security level non-secure" "$CLUSTER_DIR/sipd.log" ||
	fail "the trunk call's level was not logged"

step "a trunk whose profile goes out over TCP: alice dials 85551, the 401 answered over TCP"
SIPP_TP=t1 SIPP_IP=127.0.0.3 sipp_bg peer-tcp "$PEER_TCP" "$(uas 401 WWW-Authenticate)" \
	-inf "$GOOD_CSV"
sipp_run out-tcp "$(free_port)" "$SCEN/trunk_call_uac.xml" \
	-inf "$(sipp_caller_csv SEP000000000001 alice pw-alice 85551)" \
	-auth_uri "$(auth_uri 85551)" "127.0.0.1:$PORT" ||
	fail "the caller's side of the TCP trunk call failed: $(sipp_errors out-tcp)"
[ "$(sipp_rc peer-tcp 20)" = 0 ] ||
	fail "the TCP trunk refused ward's answer: $(sipp_errors peer-tcp)"
grep -q "tcpcarrier (85551) over tcp" "$CLUSTER_DIR/sipd.log" ||
	fail "the call did not go over TCP"

step "alice cancels while the trunk rings after its challenge: the CANCEL reaches the answered INVITE"
SIPP_IP=127.0.0.2 sipp_bg peer-cancel "$PEER" "$SCEN/trunk_call_uas_cancel.xml"
sipp_run out-cancel "$(free_port)" "$SCEN/call_uac_cancel.xml" \
	-inf "$(sipp_caller_csv SEP000000000001 alice pw-alice 95553)" \
	-auth_uri "$(auth_uri 95553)" "127.0.0.1:$PORT" ||
	fail "the caller's CANCEL failed: $(sipp_errors out-cancel)"
[ "$(sipp_rc peer-cancel 20)" = 0 ] ||
	fail "the trunk did not get the CANCEL: $(sipp_errors peer-cancel)"

# refused DEVICE USER NUMBER STATUS [SIPp name]: the call ends with STATUS.
refused() {
	sed "s/@STATUS@/$4/" "$SCEN/call_uac_fail.xml" >"$CLUSTER_DIR/fail-$4.xml"
	sipp_run "fail-$2-$4" "$(free_port)" "$CLUSTER_DIR/fail-$4.xml" \
		-inf "$(sipp_caller_csv "$1" "$2" "pw-$2" "$3")" \
		-auth_uri "$(auth_uri "$3")" "127.0.0.1:$PORT" ||
		fail "$2 calling $3 did not get $4: $(sipp_errors "fail-$2-$4")"
}

step "bob's CSS lacks the route pattern's partition: 404, nothing reaches the trunk"
refused SEP000000000002 bob 95551 404

step "the trunk expects another password: challenged again, ward does not retry, alice gets 403"
SIPP_IP=127.0.0.2 sipp_bg peer-bad "$PEER" "$(uas 401 WWW-Authenticate)" \
	-inf "$BAD_CSV" -trace_msg
refused SEP000000000001 alice 95552 403
rc=$(sipp_rc peer-bad 20) # the wait's failure ends the test here
[ "$rc" != 0 ] || fail "the trunk accepted an answer made with another password"
n=$(grep -c "^INVITE sip:95552@" "$CLUSTER_DIR"/peer-bad/*messages.log)
[ "$n" = 2 ] || fail "the trunk got $n INVITEs, not 2 (one answer only)"

step "inbound: the trunk calls alice's line 1001; her phone rings and answers"
sipp_trunk_inbound "127.0.0.1:$PORT" pw-alice sipd.log

step "a trunk without the Replaces permission: an INVITE with Replaces gets 403"
sed "s/@METHOD@/INVITE/g" "$SCEN/trunk_403.xml" >"$CLUSTER_DIR/t403.xml"
SIPP_IP=127.0.0.2 sipp_run replaces "$(free_port)" "$CLUSTER_DIR/t403.xml" \
	-key extra "Replaces: abc@host;to-tag=1;from-tag=2" "127.0.0.1:$PORT" ||
	fail "an INVITE with Replaces from the trunk was not refused with 403"

step "every call ended and freed"
wait_until 5 "6 calls to end" sh -c "[ \$(grep -c ') ended: ' '$CLUSTER_DIR/sipd.log') = 6 ]"
sipd_stop_clean sipd
if grep -q "trunk-secret" "$CLUSTER_DIR/sipd.log"; then
	fail "the realm's password reached the log"
fi
step "done"
