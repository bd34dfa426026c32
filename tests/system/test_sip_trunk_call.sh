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
. "$WARD_SRC/tests/system/sip/sipd.sh"

SCEN=$WARD_SRC/tests/system/sip
command -v sipp >/dev/null || fail "sipp (sip-tester) is not installed"

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

auth_uri() { echo "$1@127.0.0.1:$PORT"; }
errors_of() { cat "$CLUSTER_DIR/$1"/*errors.log 2>/dev/null | tail -3; }

# sipp_run NAME IP LPORT SCENARIO [ARGS...]: one SIPp call over UDP
# (over $TP when set: t1 for TCP).
sipp_run() {
	local name=$1 ip=$2 lport=$3 scen=$4
	shift 4
	mkdir -p "$CLUSTER_DIR/$name"
	(cd "$CLUSTER_DIR/$name" && timeout 20 sipp -sf "$scen" -t "${TP:-u1}" -m 1 \
		-i "$ip" -p "$lport" -timeout 10 -trace_err "$@" \
		</dev/null >/dev/null 2>&1)
}

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

# background NAME IP LPORT SCENARIO [ARGS...]: a SIPp that waits for a
# call; its exit status in NAME.rc.
background() {
	local name=$1
	rm -f "$CLUSTER_DIR/$name.rc"
	(
		rc=0
		sipp_run "$@" || rc=$?
		echo $rc >"$CLUSTER_DIR/$name.rc"
	) &
	sleep 0.3
}
rc_of() {
	wait_until 20 "$1 to end" test -e "$CLUSTER_DIR/$1.rc"
	cat "$CLUSTER_DIR/$1.rc"
}

caller_csv() { # DEVICE USER PASSWORD NUMBER
	printf 'SEQUENTIAL\n%s;[authentication username=%s password=%s];%s\n' \
		"$1" "$2" "$3" "$4" >"$CLUSTER_DIR/caller-$1-$4.csv"
	echo "$CLUSTER_DIR/caller-$1-$4.csv"
}
printf 'SEQUENTIAL\nward-trunk;trunk-secret\n' >"$CLUSTER_DIR/good.csv"
printf 'SEQUENTIAL\nward-trunk;another-secret\n' >"$CLUSTER_DIR/bad.csv"

for ch in "407 Proxy-Authenticate" "401 WWW-Authenticate"; do
	code=${ch% *} hdr=${ch#* }
	step "alice dials 95551 (a route pattern to the trunk): $code answered with the realm's credentials, 200, ACK, BYE"
	background "peer-$code" 127.0.0.2 "$PEER" "$(uas "$code" "$hdr")" \
		-inf "$CLUSTER_DIR/good.csv" -trace_msg
	sipp_run "out-$code" 127.0.0.1 "$(free_port)" "$SCEN/trunk_call_uac.xml" \
		-inf "$(caller_csv SEP000000000001 alice pw-alice 95551)" \
		-auth_uri "$(auth_uri 95551)" "127.0.0.1:$PORT" ||
		fail "the caller's side failed after a $code: $(errors_of "out-$code")"
	[ "$(rc_of "peer-$code")" = 0 ] ||
		fail "the trunk refused ward's answer to its $code: $(errors_of "peer-$code")"
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
TP=t1 background peer-tcp 127.0.0.3 "$PEER_TCP" "$(uas 401 WWW-Authenticate)" \
	-inf "$CLUSTER_DIR/good.csv"
sipp_run out-tcp 127.0.0.1 "$(free_port)" "$SCEN/trunk_call_uac.xml" \
	-inf "$(caller_csv SEP000000000001 alice pw-alice 85551)" \
	-auth_uri "$(auth_uri 85551)" "127.0.0.1:$PORT" ||
	fail "the caller's side of the TCP trunk call failed: $(errors_of out-tcp)"
[ "$(rc_of peer-tcp)" = 0 ] ||
	fail "the TCP trunk refused ward's answer: $(errors_of peer-tcp)"
grep -q "tcpcarrier (85551) over tcp" "$CLUSTER_DIR/sipd.log" ||
	fail "the call did not go over TCP"

step "alice cancels while the trunk rings after its challenge: the CANCEL reaches the answered INVITE"
background peer-cancel 127.0.0.2 "$PEER" "$SCEN/trunk_call_uas_cancel.xml"
sipp_run out-cancel 127.0.0.1 "$(free_port)" "$SCEN/call_uac_cancel.xml" \
	-inf "$(caller_csv SEP000000000001 alice pw-alice 95553)" \
	-auth_uri "$(auth_uri 95553)" "127.0.0.1:$PORT" ||
	fail "the caller's CANCEL failed: $(errors_of out-cancel)"
[ "$(rc_of peer-cancel)" = 0 ] ||
	fail "the trunk did not get the CANCEL: $(errors_of peer-cancel)"

# refused DEVICE USER NUMBER STATUS [SIPp name]: the call ends with STATUS.
refused() {
	sed "s/@STATUS@/$4/" "$SCEN/call_uac_fail.xml" >"$CLUSTER_DIR/fail-$4.xml"
	sipp_run "fail-$2-$4" 127.0.0.1 "$(free_port)" "$CLUSTER_DIR/fail-$4.xml" \
		-inf "$(caller_csv "$1" "$2" "pw-$2" "$3")" \
		-auth_uri "$(auth_uri "$3")" "127.0.0.1:$PORT" ||
		fail "$2 calling $3 did not get $4: $(errors_of "fail-$2-$4")"
}

step "bob's CSS lacks the route pattern's partition: 404, nothing reaches the trunk"
refused SEP000000000002 bob 95551 404

step "the trunk expects another password: challenged again, ward does not retry, alice gets 403"
background peer-bad 127.0.0.2 "$PEER" "$(uas 401 WWW-Authenticate)" \
	-inf "$CLUSTER_DIR/bad.csv" -trace_msg
refused SEP000000000001 alice 95552 403
[ "$(rc_of peer-bad)" != 0 ] ||
	fail "the trunk accepted an answer made with another password"
n=$(grep -c "^INVITE sip:95552@" "$CLUSTER_DIR"/peer-bad/*messages.log)
[ "$n" = 2 ] || fail "the trunk got $n INVITEs, not 2 (one answer only)"

step "inbound: the trunk calls alice's line 1001; her phone rings and answers"
ALICE=$(free_port)
printf 'SEQUENTIAL\nSEP000000000001;[authentication username=alice password=pw-alice]\n' \
	>"$CLUSTER_DIR/reg-alice.csv"
sipp_run reg-alice 127.0.0.1 "$ALICE" "$SCEN/register.xml" \
	-inf "$CLUSTER_DIR/reg-alice.csv" "127.0.0.1:$PORT" ||
	fail "alice did not register: $(errors_of reg-alice)"
background phone 127.0.0.1 "$ALICE" "$SCEN/trunk_call_phone.xml"
printf 'SEQUENTIAL\n1001\n' >"$CLUSTER_DIR/in.csv"
sipp_run in 127.0.0.2 "$(free_port)" "$SCEN/trunk_call_in.xml" \
	-inf "$CLUSTER_DIR/in.csv" "127.0.0.1:$PORT" ||
	fail "the trunk's call failed: $(errors_of in)"
[ "$(rc_of phone)" = 0 ] || fail "alice's phone side failed: $(errors_of phone)"
grep -q "call .* carrier -> SEP000000000001 (1001)" "$CLUSTER_DIR/sipd.log" ||
	fail "the inbound call was not logged"

step "a trunk without the Replaces permission: an INVITE with Replaces gets 403"
sed "s/@METHOD@/INVITE/g" "$SCEN/trunk_403.xml" >"$CLUSTER_DIR/t403.xml"
sipp_run replaces 127.0.0.2 "$(free_port)" "$CLUSTER_DIR/t403.xml" \
	-key extra "Replaces: abc@host;to-tag=1;from-tag=2" "127.0.0.1:$PORT" ||
	fail "an INVITE with Replaces from the trunk was not refused with 403"

step "every call ended and freed"
wait_until 5 "6 calls to end" sh -c "[ \$(grep -c ') ended: ' '$CLUSTER_DIR/sipd.log') = 6 ]"
kill "$(cat "$CLUSTER_DIR/sipd.pid")"
wait_until 5 "ward_sipd to stop" sh -c "! kill -0 $(cat "$CLUSTER_DIR/sipd.pid") 2>/dev/null"
if grep -q "Sanitizer" "$CLUSTER_DIR/sipd.log"; then
	fail "sanitizer report: $(grep -A12 Sanitizer "$CLUSTER_DIR/sipd.log" | head -30)"
fi
if grep -q "trunk-secret" "$CLUSTER_DIR/sipd.log"; then
	fail "the realm's password reached the log"
fi
step "done"
