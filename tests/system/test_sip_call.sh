#!/usr/bin/env bash
# Calls through the B2BUA on one node: SIPp phones registered to
# ward_sipd (over an in-memory directory) call each other — INVITE, 180,
# 200, ACK, hold, BYE from either side; CANCEL while ringing; busy (486);
# no answer (480 after ring_s); an unknown number (404), a
# number the dial plan blocks (403), a callee not registered (480), "encrypted or reject" on a leg that cannot
# be encrypted (488); every call ended and freed. The per-device bound
# (max_calls_per_device 1): 486 for a callee or a caller in a call, none
# once it ended. Then phones over TLS with
# certificates in a secure cluster (callpair.py): keys and the security
# level on each leg.
. "$(dirname "$0")/lib.sh"
. "$WARD_SRC/tests/system/sip/sipp.sh"

SIPD=$WARD_BIN/tests/ward_sipd
SCEN=$SIPP_SCEN
SIPP_TIMEOUT=10

cat >"$CLUSTER_DIR/dir.txt" <<DIR
realm ward.test
secret $(openssl rand -hex 32)
user alice pw-alice
user bob pw-bob
user carol pw-carol
user dave pw-dave
device SEP000000000001 user=alice line=1001
device SEP000000000002 user=bob line=1002
device SEP000000000003 user=carol line=1003
device SEP000000000004 user=dave line=1004 reject=1
pattern 900X block
DIR

PORT=$(free_port)
"$SIPD" --dir "$CLUSTER_DIR/dir.txt" --host 127.0.0.1 --port "$PORT" \
	--digest MD5 --ring-s 2 >"$CLUSTER_DIR/sipd.out" \
	2>"$CLUSTER_DIR/sipd.log" &
echo $! >"$CLUSTER_DIR/sipd.pid"
wait_until 5 "ward_sipd listening" sh -c "ss -Hlnt 'sport = :$PORT' | grep -q ."

# auth_uri NUMBER: -auth_uri for an INVITE to NUMBER.
auth_uri() { sipp_auth_uri "$1" "127.0.0.1:$PORT"; }

# caller_csv DEVICE USER PASSWORD NUMBER: SIPp's injection file.
caller_csv() {
	sipp_csv "caller-$4.csv" "$1" "$(sipp_auth "$2" "$3")" "$4"
}

# stop_sipd NAME: ends it; under a sanitizer build (WARD_SANITIZE) a leak
# or a bad access shows in its log, and a device still counted in calls
# once every call ended (call_devs.h) in any build.
stop_sipd() {
	kill "$(cat "$CLUSTER_DIR/$1.pid")"
	wait_until 5 "$1 to stop" sh -c "! kill -0 $(cat "$CLUSTER_DIR/$1.pid") 2>/dev/null"
	rm -f "$CLUSTER_DIR/$1.pid"
	if grep -q "Sanitizer" "$CLUSTER_DIR/$1.log"; then
		fail "sanitizer report: $(grep -A12 Sanitizer "$CLUSTER_DIR/$1.log" | head -30)"
	fi
	if grep -q "still counted after the last call" "$CLUSTER_DIR/$1.log"; then
		fail "max_calls_per_device's table missed a change of a call's devices"
	fi
}

ALICE_CSV=$(caller_csv SEP000000000001 alice pw-alice 1002)
for tp in u1 t1; do
	BOB=$(free_port)
	SIPP_TP=$tp sipp_register "reg-bob-$tp" "$BOB" "127.0.0.1:$PORT" \
		SEP000000000002 bob pw-bob

	step "over $tp: alice calls bob: 180, 183, 200, ACK, hold (re-INVITE), resume (UPDATE), INFO, BYE relayed"
	SIPP_TP=$tp sipp_bg "answer-$tp" "$BOB" "$SCEN/call_uas.xml"
	SIPP_TP=$tp sipp_run "call-$tp" "$(free_port)" "$SCEN/call_uac.xml" \
		-inf "$ALICE_CSV" -auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
		fail "the caller's side failed over $tp: $(sipp_errors "call-$tp")"
	sipp_ok "answer-$tp" 20

	step "over $tp: alice cancels while bob rings: 487 to her, CANCEL to him"
	SIPP_TP=$tp sipp_bg "cancel-$tp" "$BOB" "$SCEN/call_uas_cancel.xml"
	SIPP_TP=$tp sipp_run "cancelcall-$tp" "$(free_port)" \
		"$SCEN/call_uac_cancel.xml" -inf "$ALICE_CSV" \
		-auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
		fail "the caller's CANCEL failed over $tp: $(sipp_errors "cancelcall-$tp")"
	sipp_ok "cancel-$tp" 20
done

BOB=$(free_port)
sipp_register reg-bob-again "$BOB" "127.0.0.1:$PORT" SEP000000000002 bob \
	pw-bob
step "bob hangs up: his BYE reaches alice"
sipp_bg byer "$BOB" "$SCEN/call_uas_bye.xml"
sipp_run byed "$(free_port)" "$SCEN/call_uac_byed.xml" \
	-inf "$ALICE_CSV" -auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
	fail "the caller did not get bob's BYE: $(sipp_errors byed)"
sipp_ok byer 20

step "bob is busy: his 486 reaches alice"
sipp_bg busy "$BOB" "$SCEN/call_uas_busy.xml"
sed "s/@STATUS@/486/" "$SCEN/call_uac_fail.xml" >"$CLUSTER_DIR/fail-486.xml"
sipp_run busycall "$(free_port)" "$CLUSTER_DIR/fail-486.xml" \
	-inf "$ALICE_CSV" -auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
	fail "the caller did not get 486: $(sipp_errors busycall)"
sipp_ok busy 20

step "bob does not answer: after ring_s alice gets 480, bob a CANCEL"
sipp_bg noanswer "$BOB" "$SCEN/call_uas_cancel.xml"
sed "s/@STATUS@/480/" "$SCEN/call_uac_fail.xml" >"$CLUSTER_DIR/fail-480r.xml"
sipp_run ringout "$(free_port)" "$CLUSTER_DIR/fail-480r.xml" \
	-inf "$ALICE_CSV" -auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
	fail "the caller did not get 480 after ringing: $(sipp_errors ringout)"
sipp_ok noanswer 20

# refused NUMBER STATUS: alice dials NUMBER and gets STATUS.
refused() {
	sed "s/@STATUS@/$2/" "$SCEN/call_uac_fail.xml" >"$CLUSTER_DIR/fail-$2.xml"
	sipp_run "fail-$1" "$(free_port)" "$CLUSTER_DIR/fail-$2.xml" \
		-inf "$(caller_csv SEP000000000001 alice pw-alice "$1")" \
		-auth_uri "$(auth_uri "$1")" "127.0.0.1:$PORT" || fail "calling $1 did not get $2: $(sipp_errors "fail-$1")"
}
step "an unknown number gets 404, a blocked one 403, a callee not registered 480"
refused 9999 404
refused 9001 403
refused 1003 480

step "encrypted or reject: a call that cannot be encrypted gets 488"
sipp_register reg-dave "$(free_port)" "127.0.0.1:$PORT" SEP000000000004 \
	dave pw-dave
refused 1004 488

step "every call ended and freed; dialog events given; no SDP logged"
wait_until 5 "7 calls to end" sh -c "[ \$(grep -c ') ended: ' '$CLUSTER_DIR/sipd.log') = 7 ]"
grep -q "dialog event: SEP000000000002 line 1002 call .* confirmed" \
	"$CLUSTER_DIR/sipd.log" || fail "no confirmed dialog event for bob"
grep -q "dialog event: SEP000000000001 .* terminated (initiator)" \
	"$CLUSTER_DIR/sipd.log" || fail "no terminated dialog event for alice"
grep -q "answered, security level non-secure" "$CLUSTER_DIR/sipd.log" ||
	fail "the call's security level was not logged"
if grep -q "m=audio\|a=rtpmap" "$CLUSTER_DIR/sipd.log"; then
	fail "an SDP body reached the log"
fi
stop_sipd sipd

step "max_calls_per_device 1: bob in a call is busy to carol (486 from ward), alice in one cannot call carol (486); once it ends, carol reaches bob"
PORT=$(free_port)
"$SIPD" --dir "$CLUSTER_DIR/dir.txt" --host 127.0.0.1 --port "$PORT" \
	--digest MD5 --max-per-device 1 >"$CLUSTER_DIR/bound.out" \
	2>"$CLUSTER_DIR/bound.log" &
echo $! >"$CLUSTER_DIR/bound.pid"
wait_until 5 "ward_sipd listening" sh -c "ss -Hlnt 'sport = :$PORT' | grep -q ."
BOB=$(free_port)
sipp_register reg-bob-bound "$BOB" "127.0.0.1:$PORT" SEP000000000002 bob \
	pw-bob
sipp_register reg-carol-bound "$(free_port)" "127.0.0.1:$PORT" \
	SEP000000000003 carol pw-carol
# bob hangs up after 3 s of talk.
sed 's/<pause milliseconds="100"\/>/<pause milliseconds="3000"\/>/' \
	"$SCEN/call_uas_bye.xml" >"$CLUSTER_DIR/bye-late.xml"
sipp_bg bound-bob "$BOB" "$CLUSTER_DIR/bye-late.xml"
sipp_bg bound-alice "$(free_port)" "$SCEN/call_uac_byed.xml" \
	-inf "$(caller_csv SEP000000000001 alice pw-alice 1002)" \
	-auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT"
wait_until 5 "alice's call to bob to be answered" grep -q "answered" \
	"$CLUSTER_DIR/bound.log"
sipp_run bound-carol "$(free_port)" "$CLUSTER_DIR/fail-486.xml" \
	-inf "$(caller_csv SEP000000000003 carol pw-carol 1002)" \
	-auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
	fail "carol did not get 486 calling bob in his one call: $(sipp_errors bound-carol)"
grep -q "INVITE from SEP000000000003 to 1002 refused: 486" \
	"$CLUSTER_DIR/bound.log" || fail "the callee's bound was not logged"
sipp_run bound-alice2 "$(free_port)" "$CLUSTER_DIR/fail-486.xml" \
	-inf "$(caller_csv SEP000000000001 alice pw-alice 1003)" \
	-auth_uri "$(auth_uri 1003)" "127.0.0.1:$PORT" ||
	fail "alice in her one call did not get 486 calling carol: $(sipp_errors bound-alice2)"
sipp_ok bound-bob 20
sipp_ok bound-alice 20
wait_until 5 "the call to end" grep -q ") ended: callee hung up" \
	"$CLUSTER_DIR/bound.log"
sipp_bg bound-bob2 "$BOB" "$SCEN/call_uas_bye.xml"
sipp_run bound-carol2 "$(free_port)" "$SCEN/call_uac_byed.xml" \
	-inf "$(caller_csv SEP000000000003 carol pw-carol 1002)" \
	-auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
	fail "carol did not reach bob after his call ended: $(sipp_errors bound-carol2)"
sipp_ok bound-bob2 20
stop_sipd bound

step "TLS, a secure cluster: two encrypted phones talk at level Encrypted, keys both ways"
PKI=$CLUSTER_DIR/pki
python3 "$SCEN/mkpki.py" "$PKI" SEP0000000000A1 SEP0000000000B2 \
	SEP0000000000C3 SEP0000000000D4 >/dev/null
fp() { grep "^$1 " "$PKI/fp.txt" | cut -d' ' -f2; }
cat >"$CLUSTER_DIR/tls.txt" <<DIR
realm ward.test
secure 1
microot $(fp mic-ca.pem)
lscca $(fp cluster-ca.pem)
user alice pw-alice
user bob pw-bob
user carol pw-carol
user dave pw-dave
device SEP0000000000A1 user=alice line=2001 mode=encrypted transports=tls lsc=$(fp SEP0000000000A1-lsc.pem)
device SEP0000000000B2 user=bob line=2002 mode=encrypted transports=tls lsc=$(fp SEP0000000000B2-lsc.pem)
device SEP0000000000C3 user=carol line=2003 mode=authenticated transports=tls
device SEP0000000000D4 user=dave line=2004 mode=encrypted transports=tls lsc=$(fp SEP0000000000D4-lsc.pem) reject=1
DIR
TLS=$(free_port)
# Under ASan: sofia's TLS transport leaks its SSL contexts at exit (full
# stacks, for the suppressions to match).
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0 \
	LSAN_OPTIONS=suppressions=$SCEN/lsan_sofia_tls.supp \
	"$SIPD" --dir "$CLUSTER_DIR/tls.txt" --host 127.0.0.1 --port "$(free_port)" \
	--tls-port "$TLS" --tls-dir "$PKI/tls" >"$CLUSTER_DIR/tls.out" \
	2>"$CLUSTER_DIR/tls.log" &
echo $! >"$CLUSTER_DIR/tls.pid"
wait_until 5 "ward_sipd TLS listening" sh -c "ss -Hlnt 'sport = :$TLS' | grep -q ."
# phone DEVICE USER CERT [LINE]: callpair.py's phone.
phone() { echo "$1:$2:pw-$2:$PKI/$1-$3.pem:${4:-}"; }
pair() {
	python3 "$SCEN/callpair.py" --server "127.0.0.1:$TLS" "$@" \
		>"$CLUSTER_DIR/pair.out" 2>&1 ||
		fail "callpair $*: $(cat "$CLUSTER_DIR/pair.out")"
}
pair --caller "$(phone SEP0000000000A1 alice lsc)" \
	--callee "$(phone SEP0000000000B2 bob lsc 2002)" \
	--level Encrypted --caller-keys yes --callee-keys yes

step "an authenticated callee: no keys reach it, the level is Authenticated for both"
pair --caller "$(phone SEP0000000000A1 alice lsc)" \
	--callee "$(phone SEP0000000000C3 carol mic 2003)" \
	--level Authenticated --caller-keys no --callee-keys no

step "encrypted or reject: dave's call to the authenticated phone gets 488"
pair --caller "$(phone SEP0000000000D4 dave lsc)" \
	--callee "$(phone SEP0000000000C3 carol mic 2003)" --status 488
grep -q "answered, security level encrypted" "$CLUSTER_DIR/tls.log" ||
	fail "no encrypted call logged"
if grep -q "inline:" "$CLUSTER_DIR/tls.log"; then
	fail "a key reached the log"
fi
stop_sipd tls
step "done"
