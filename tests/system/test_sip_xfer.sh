#!/usr/bin/env bash
# Transfer on one node (docs/sip.md, "Transfer"): SIPp phones registered to
# ward_sipd. Blind transfer: alice calls bob, bob REFERs her to carol: 202,
# NOTIFY 100 then 200 to bob, carol rings and answers, alice's re-INVITE
# carries carol's offer, bob gets a BYE; alice and carol talk and hang up.
# A transfer to a number bob may not call: NOTIFY 403, the call goes on;
# alice hanging up while carol rings cancels carol and ends bob.
# INVITE with Replaces naming one of ward's dialogs takes
# its place (the replaced phone gets a BYE); an unknown dialog gets 481.
# Attended transfer: bob, talking to alice, calls carol, then REFERs alice
# with a Refer-To carrying Replaces of his call to carol: carol's dialog
# joins alice's (re-INVITEs both ways), bob's two legs end.
# Session timers (the node's Min-SE 2 s here): a smaller Session-Expires
# gets 422 with Min-SE; a session its caller does not refresh ends (BYE to
# both); a session ward refreshes ends when the refresh gets 481. PRACK:
# reliable provisional responses on both legs.
. "$(dirname "$0")/lib.sh"

SIPD=$WARD_BIN/tests/ward_sipd
SCEN=$WARD_SRC/tests/system/sip
command -v sipp >/dev/null || fail "sipp (sip-tester) is not installed"

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
	--digest MD5 --ring-s 5 --min-se 2 >"$CLUSTER_DIR/sipd.out" \
	2>"$CLUSTER_DIR/sipd.log" &
echo $! >"$CLUSTER_DIR/sipd.pid"
wait_until 5 "ward_sipd listening" sh -c "ss -Hlnt 'sport = :$PORT' | grep -q ."

# auth_uri NUMBER: SIPp's -auth_uri for an INVITE to NUMBER, so that the
# digest uri is the Request-URI, which ward checks (SIPp 3.6 would answer
# with sip:HOST:PORT; it adds the "sip:" itself).
auth_uri() { echo "$1@127.0.0.1:$PORT"; }

# caller_csv DEVICE USER PASSWORD NUMBER: SIPp's injection file.
caller_csv() {
	printf 'SEQUENTIAL\n%s;[authentication username=%s password=%s];%s\n' \
		"$1" "$2" "$3" "$4" >"$CLUSTER_DIR/caller-$1-$4.csv"
	echo "$CLUSTER_DIR/caller-$1-$4.csv"
}

# sipp_run NAME TRANSPORT LPORT SCENARIO [ARGS...]: one SIPp call.
sipp_run() {
	local name=$1 tp=$2 lport=$3 scen=$4
	shift 4
	mkdir -p "$CLUSTER_DIR/$name"
	(cd "$CLUSTER_DIR/$name" && timeout 20 sipp -sf "$scen" -t "$tp" -m 1 \
		-i 127.0.0.1 -p "$lport" -timeout 10 -trace_err "$@" \
		</dev/null >/dev/null 2>&1)
}

errors_of() {
	cat "$CLUSTER_DIR/$1"/*errors.log 2>/dev/null | tail -${ERR_LINES:-3}
}

# register NAME TRANSPORT LPORT DEVICE USER PASSWORD
register() {
	printf 'SEQUENTIAL\n%s;[authentication username=%s password=%s]\n' \
		"$4" "$5" "$6" >"$CLUSTER_DIR/reg-$1.csv"
	sipp_run "reg-$1" "$2" "$3" "$SCEN/register.xml" \
		-inf "$CLUSTER_DIR/reg-$1.csv" "127.0.0.1:$PORT" ||
		fail "$4 did not register: $(errors_of "reg-$1")"
}

# callee NAME TRANSPORT LPORT SCENARIO: the callee's SIPp, in the
# background (its exit status in NAME.rc).
callee() {
	(
		rc=0
		sipp_run "$@" || rc=$?
		echo $rc >"$CLUSTER_DIR/$1.rc"
	) &
	sleep 0.3
}

callee_ok() {
	wait_until 20 "$1 to end" test -e "$CLUSTER_DIR/$1.rc"
	[ "$(cat "$CLUSTER_DIR/$1.rc")" = 0 ] ||
		fail "the callee's side of $1 failed: $(errors_of "$1")"
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
BOB=$(free_port)
CAROL=$(free_port)
register bob u1 "$BOB" SEP000000000002 bob pw-bob
register carol u1 "$CAROL" SEP000000000003 carol pw-carol
# transferor TARGET: the transferor's scenario, REFERring to TARGET.
transferor() {
	local f=$CLUSTER_DIR/refer-$RANDOM.xml
	sed "s|@TARGET@|$1|" "$SCEN/xfer_transferor.xml" >"$f"
	echo "$f"
}

step "blind transfer: bob REFERs alice to carol; carol answers, alice re-INVITEd, bob NOTIFYed and ended"
callee target u1 "$CAROL" "$SCEN/xfer_target.xml"
callee transferor u1 "$BOB" "$(transferor 1003@127.0.0.1)"
sipp_run transferee u1 "$(free_port)" "$SCEN/xfer_transferee.xml" \
	-inf "$ALICE_CSV" -auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
	fail "the transfer failed: $(errors_of transferee) / $(errors_of transferor) / $(errors_of target)"
callee_ok transferor
callee_ok target
grep -q "transfers SEP000000000001 to 1003 (SEP000000000003)" "$CLUSTER_DIR/sipd.log" ||
	fail "the transfer was not logged"
grep -q "SEP000000000001 <-> SEP000000000003 after the transfer, security level non-secure" \
	"$CLUSTER_DIR/sipd.log" || fail "the level after the transfer was not logged"
wait_until 5 "the transferred call to end" grep -q ') ended: caller hung up' "$CLUSTER_DIR/sipd.log"

step "a transfer to a number the transferor may not call: NOTIFY 403, the call goes on"
sed "s|@TARGET@|9001@127.0.0.1|" "$SCEN/xfer_refused.xml" >"$CLUSTER_DIR/refused.xml"
callee refused u1 "$BOB" "$CLUSTER_DIR/refused.xml"
sipp_run refusedcall u1 "$(free_port)" "$SCEN/replace_replaced.xml" \
	-inf "$ALICE_CSV" -auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
	fail "the call did not go on after a refused transfer: $(errors_of refusedcall) / $(errors_of refused)"
callee_ok refused
grep -q "transfer by SEP000000000002 to 9001 refused: 403" "$CLUSTER_DIR/sipd.log" ||
	fail "the refused transfer was not logged"

step "the transferee hangs up while the target rings: the target gets a CANCEL, the transferor a BYE"
sed "s|@TARGET@|1003@127.0.0.1|" "$SCEN/xfer_cut.xml" >"$CLUSTER_DIR/cut.xml"
callee cut-target u1 "$CAROL" "$SCEN/call_uas_cancel.xml"
callee cut u1 "$BOB" "$CLUSTER_DIR/cut.xml"
sipp_run cutcall u1 "$(free_port)" "$SCEN/call_uac_hangup.xml" \
	-inf "$ALICE_CSV" -auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
	fail "the transferee could not hang up: $(errors_of cutcall) / $(errors_of cut)"
callee_ok cut
callee_ok cut-target

step "INVITE with Replaces: carol takes alice's place in her call with bob; alice gets a BYE"
callee stays u1 "$BOB" "$SCEN/replace_stays.xml"
mkdir -p "$CLUSTER_DIR/replaced"
(
	rc=0
	cd "$CLUSTER_DIR/replaced" && timeout 20 sipp -sf "$SCEN/replace_replaced.xml" \
		-t u1 -m 1 -i 127.0.0.1 -p "$(free_port)" -timeout 10 -trace_err \
		-trace_logs -inf "$ALICE_CSV" -auth_uri "$(auth_uri 1002)" \
		"127.0.0.1:$PORT" </dev/null >/dev/null 2>&1 || rc=$?
	echo $rc >"$CLUSTER_DIR/replaced.rc"
) &
wait_until 10 "alice's dialog to be logged" sh -c "grep -qh '^REPLACES ' '$CLUSTER_DIR'/replaced/*_logs.log"
REPLACES=$(grep -h '^REPLACES ' "$CLUSTER_DIR"/replaced/*_logs.log | head -1 | cut -d' ' -f2)
sed "s|@REPLACES@|$REPLACES|" "$SCEN/replace_replacer.xml" >"$CLUSTER_DIR/replacer.xml"
CAROL_CSV=$(caller_csv SEP000000000003 carol pw-carol 1002)
sipp_run replacer u1 "$(free_port)" "$CLUSTER_DIR/replacer.xml" \
	-inf "$CAROL_CSV" -auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
	fail "the replacing call failed: $(errors_of replacer) / $(errors_of stays)"
callee_ok stays
callee_ok replaced
grep -q "SEP000000000003 replaces SEP000000000001" "$CLUSTER_DIR/sipd.log" ||
	fail "the replacement was not logged"

step "INVITE with Replaces naming no dialog of ward's: 481"
sed "s/@STATUS@/481/; s|CSeq: \([12]\) INVITE|CSeq: \1 INVITE\n      Replaces: nosuch@127.0.0.1;to-tag=a;from-tag=b|" \
	"$SCEN/call_uac_fail.xml" >"$CLUSTER_DIR/replace-481.xml"
sipp_run replace481 u1 "$(free_port)" "$CLUSTER_DIR/replace-481.xml" \
	-inf "$CAROL_CSV" -auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
	fail "an unknown Replaces did not get 481: $(errors_of replace481)"
grep -q "INVITE with Replaces from SEP000000000003: no such dialog" \
	"$CLUSTER_DIR/sipd.log" || fail "the unknown Replaces was not logged"
grep -q "SEP000000000003 <-> SEP000000000002 after the replacement, security level non-secure" \
	"$CLUSTER_DIR/sipd.log" || fail "the level after the replacement was not logged"


step "attended transfer: bob calls carol, then REFERs alice to carol with Replaces: alice and carol talk, bob's two legs end"
callee att-target u1 "$CAROL" "$SCEN/att_target.xml"
mkdir -p "$CLUSTER_DIR/att-consult"
(
	rc=0
	cd "$CLUSTER_DIR/att-consult" && timeout 20 sipp -sf "$SCEN/replace_replaced.xml" \
		-t u1 -m 1 -i 127.0.0.1 -p "$(free_port)" -timeout 10 -trace_err \
		-trace_logs -inf "$(caller_csv SEP000000000002 bob pw-bob 1003)" \
		-auth_uri "$(auth_uri 1003)" "127.0.0.1:$PORT" </dev/null >/dev/null 2>&1 || rc=$?
	echo $rc >"$CLUSTER_DIR/att-consult.rc"
) &
wait_until 10 "bob's call to carol to be logged" sh -c "grep -qh '^REPLACES ' '$CLUSTER_DIR'/att-consult/*_logs.log"
# Refer-To: <sip:1003@HOST?Replaces=CALL-ID%3Bto-tag%3DT%3Bfrom-tag%3DF>
ESCAPED=$(grep -h '^REPLACES ' "$CLUSTER_DIR"/att-consult/*_logs.log | head -1 |
	cut -d' ' -f2 | sed 's/@/%40/g; s/;/%3B/g; s/=/%3D/g')
callee att-transferor u1 "$BOB" "$(transferor "1003@127.0.0.1?Replaces=$ESCAPED")"
sipp_run att-transferee u1 "$(free_port)" "$SCEN/xfer_transferee.xml" \
	-inf "$ALICE_CSV" -auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
	fail "the attended transfer failed: $(grep Refer-To "$CLUSTER_DIR"/refer-*.xml) $(errors_of att-transferee) / $(errors_of att-transferor) / $(errors_of att-target)"
callee_ok att-transferor
callee_ok att-target
callee_ok att-consult
grep -q "SEP000000000002 joins SEP000000000001 to SEP000000000003 of call .* (attended)" \
	"$CLUSTER_DIR/sipd.log" || fail "the attended transfer was not logged"

step "session timers: Session-Expires 1 below Min-SE 2 gets 422"
sed "s/@STATUS@/422/; s|CSeq: 2 INVITE|CSeq: 2 INVITE\n      Session-Expires: 1|" \
	"$SCEN/call_uac_fail.xml" >"$CLUSTER_DIR/st-422.xml"
sipp_run st422 u1 "$(free_port)" "$CLUSTER_DIR/st-422.xml" \
	-inf "$ALICE_CSV" -auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
	fail "a small Session-Expires did not get 422: $(errors_of st422)"
grep -q "INVITE with Session-Expires 1 refused: Min-SE 2" "$CLUSTER_DIR/sipd.log" ||
	fail "the 422 was not logged"

step "session timers: the caller refreshes (Require: timer) and does not: ward ends the call"
callee st-expire-b u1 "$BOB" "$SCEN/call_uas_answer.xml"
sipp_run st-expire u1 "$(free_port)" "$SCEN/st_expire.xml" \
	-inf "$ALICE_CSV" -auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
	fail "the unrefreshed session did not end: $(errors_of st-expire)"
callee_ok st-expire-b
grep -q "session not refreshed in 2 s" "$CLUSTER_DIR/sipd.log" ||
	fail "the expiry was not logged"

step "session timers: ward refreshes with UPDATE; a 481 to it ends the call"
callee st-refresh-b u1 "$BOB" "$SCEN/call_uas_answer.xml"
sipp_run st-refresh u1 "$(free_port)" "$SCEN/st_refresh.xml" \
	-inf "$ALICE_CSV" -auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
	fail "ward's refresh did not end the call: $(errors_of st-refresh)"
callee_ok st-refresh-b
grep -q "session refresh answered 481" "$CLUSTER_DIR/sipd.log" ||
	fail "the failed refresh was not logged"
wait_until 5 "every call to end" sh -c "[ \$(grep -c ') ended: ' '$CLUSTER_DIR/sipd.log') = 8 ]"

step "PRACK (RFC 3262): alice requires 100rel and PRACKs ward's 183; bob's reliable 183 gets ward's PRACK"
callee prack-b u1 "$BOB" "$SCEN/prack_uas.xml"
sipp_run prack u1 "$(free_port)" "$SCEN/prack_uac.xml" \
	-inf "$ALICE_CSV" -auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
	fail "reliable provisional responses failed: $(errors_of prack) / $(errors_of prack-b)"
callee_ok prack-b
wait_until 5 "the call to end" sh -c "[ \$(grep -c ') ended: ' '$CLUSTER_DIR/sipd.log') = 9 ]"

stop_sipd sipd
step "done"
