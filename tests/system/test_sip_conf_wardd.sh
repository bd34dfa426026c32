#!/usr/bin/env bash
# The ad hoc conference in a real wardd (docs/sip.md, "Conference and
# barge"), SIPp phones over UDP: alice dials the factory number
# (sip.conference_number) and ward answers it itself with its own SDP and
# the level; her hold there is answered by ward; she calls bob and
# REFERs him to the factory number: 202, NOTIFY 200, her dialog with bob
# ends with ward's BYE, and bob is told the conference's level in an
# UPDATE; `wardctl call list` shows both parties in the conference, the
# relay mixes their legs; alice hangs up and the conference (below two)
# ends with a BYE to bob. A REFER to the factory number by a device that
# owns no conference gets 403 and the call goes on. Barge (INVITE with
# Join, RFC 3911, naming bob's dialog with ward): alice calls bob; carol
# (no shared line) gets 403, a Join naming no dialog 481; bob2, sharing
# bob's line 1002, barges in: ward answers it, alice and bob are told the
# level in an UPDATE, the three are mixed; alice hangs up (two stay), then
# bob2: the conference ends with a BYE to bob. The caller's side too:
# alice2, sharing alice's line 1001, barges into alice's call with bob (a
# SIPp caller's From user is its device name: the line is the device's,
# from the directory).
. "$(dirname "$0")/lib.sh"
. "$WARD_SRC/tests/system/sip/sipp.sh"

SCEN=$SIPP_SCEN
SIPP_TIMEOUT=20
node_conf n1 "[sip]" "digest_algorithms = MD5" "conference_number = 8000"
read -r _ SIP TLS <<<"$(ward_sip n1)"
listening() { ss -Hlnu "sport = :$SIP" | grep -q .; }
# caller_csv DEVICE USER NUMBER: DEVICE calls NUMBER, digest as USER.
caller_csv() { sipp_caller_csv "$1" "$2" "$2-secret-123" "$3"; }

step "a node with the conference factory number 8000"
ward_init n1 conftest
wait_until 20 "n1's SIP port" listening
for u in alice bob carol bob2 alice2; do
	WARD_NEW_PASSWORD=$u-secret-123 expect_rc 0 ward_ctl n1 user add $u
done
expect_rc 0 ward_ctl n1 profile add dig --digest-auth yes
n=1
for u in alice bob carol; do
	expect_rc 0 ward_ctl n1 device add SEP00000000000$n --model 8841 \
		--profile dig --lines 100$n --digest-user $u
	n=$((n + 1))
done
expect_rc 0 ward_ctl n1 device add SEP000000000004 --model 8841 \
	--profile dig --lines 1002 --digest-user bob2
expect_rc 0 ward_ctl n1 device add SEP000000000005 --model 8841 \
	--profile dig --lines 1001 --digest-user alice2
wait_until 30 "n1 serves its CallManager certificate on TLS" sip_serves_cm n1 "$TLS"
wait_until 20 "n1's SIP port" listening
BOB=$(free_port)
sipp_register reg-bob "$BOB" "127.0.0.1:$SIP" SEP000000000002 bob bob-secret-123

step "a REFER to the factory number by a device owning no conference: 403"
sipp_bg refused-bob "$BOB" "$SCEN/call_uas_answer.xml"
sipp_run refused "$(free_port)" \
	"$(sipp_scen refused "$SCEN/conf_refer_refused.xml" TARGET=8000)" \
	-inf "$(caller_csv SEP000000000003 carol 1002)" \
	-auth_uri "1002@127.0.0.1:$SIP" "127.0.0.1:$SIP" ||
	fail "refused transfer: $(sipp_errors refused)"
sipp_ok refused-bob 25

step "alice opens a conference; she brings bob in by a blind transfer"
sipp_spawn owner "$(free_port)" \
	"$(sipp_scen owner "$SCEN/conf_owner.xml" STAY=3000)" -trace_msg \
	-inf "$(caller_csv SEP000000000001 alice 8000)" \
	-auth_uri "8000@127.0.0.1:$SIP" "127.0.0.1:$SIP"
sipp_spawn party "$BOB" "$(sipp_scen party "$SCEN/conf_party.xml" LEVEL=NotAuthenticated)"
wait_until 10 "the conference opened" \
	grep -q "SEP000000000001 opens a conference" "$CLUSTER_DIR/n1.log"
sipp_run xfer "$(free_port)" \
	"$(sipp_scen xfer "$SCEN/conf_transferor.xml" TARGET=8000)" \
	-inf "$(caller_csv SEP000000000001 alice 1002)" \
	-auth_uri "1002@127.0.0.1:$SIP" "127.0.0.1:$SIP" ||
	fail "transfer into the conference: $(sipp_errors xfer)"
grep -q "brings SEP000000000002 into its conference (2 parties)" \
	"$CLUSTER_DIR/n1.log" || fail "no join logged"
# The list is the signaling thread's snapshot, made once a second.
listed() {
	ward_ctl n1 call list >"$CLUSTER_DIR/list.txt"
	[ "$(grep -c "8000 .*conference .*non-secure" "$CLUSTER_DIR/list.txt")" = 2 ]
}
listed || sleep 1.2
listed || fail "call list: $(cat "$CLUSTER_DIR/list.txt")"

step "alice hangs up: the conference ends, bob gets a BYE"
sipp_ok owner 25
sipp_ok party 25
wait_until 5 "the conference's end" \
	grep -q "conference of SEP000000000001 ended" "$CLUSTER_DIR/n1.log"
# ward's answers to alice named its own relay port
grep -A30 "message received" "$CLUSTER_DIR/owner"/*messages.log |
	grep -q "^c=IN IP4 127.0.0.1" || fail "no SDP from ward to the owner"
sleep 1.1
[ "$(ward_ctl n1 call list | grep -c conference)" = 0 ] || fail "calls left"

step "barge: alice calls bob; 403 to a device not on the line, 481 to no dialog"
sipp_bg barged "$BOB" "$SCEN/barge_callee.xml" -trace_logs
sipp_spawn caller "$(free_port)" "$SCEN/barge_caller.xml" \
	-inf "$(caller_csv SEP000000000001 alice 1002)" \
	-auth_uri "1002@127.0.0.1:$SIP" "127.0.0.1:$SIP"
wait_until 10 "bob's dialog logged" sipp_logged barged JOIN
JOIN=$(sipp_logged barged JOIN)
# refused WHO DEVICE USER JOIN STATUS
refused() {
	sed "s/@STATUS@/$5/; s|CSeq: \([12]\) INVITE|CSeq: \1 INVITE\n      Join: $4|" \
		"$SCEN/call_uac_fail.xml" >"$CLUSTER_DIR/$1.xml"
	sipp_run "$1" "$(free_port)" "$CLUSTER_DIR/$1.xml" \
		-inf "$(caller_csv "$2" "$3" 1002)" \
		-auth_uri "1002@127.0.0.1:$SIP" "127.0.0.1:$SIP" ||
		fail "$1: not $5: $(sipp_errors "$1") $(grep -a "$2\|refused\|denied" "$CLUSTER_DIR/n1.log" | tail -5)"
}
refused carol-barge SEP000000000003 carol "$JOIN" 403
grep -q "barge by SEP000000000003 refused: it does not share the line" \
	"$CLUSTER_DIR/n1.log" || fail "the refusal was not logged"
refused nosuch-barge SEP000000000004 bob2 "nosuch@127.0.0.1;to-tag=a;from-tag=b" 481

step "barge: bob2 (sharing line 1002) barges in; everybody told the level"
sipp_run barger "$(free_port)" \
	"$(sipp_scen barger "$SCEN/barge_barger.xml" "JOIN=$JOIN" STAY=2500)" \
	-inf "$(caller_csv SEP000000000004 bob2 1002)" \
	-auth_uri "1002@127.0.0.1:$SIP" "127.0.0.1:$SIP" ||
	fail "barge: $(sipp_errors barger)"
sipp_ok caller 25
sipp_ok barged 25
grep -q "SEP000000000004 barges into call .*, security level non-secure" \
	"$CLUSTER_DIR/n1.log" || fail "the barge was not logged"
wait_until 5 "the barge's end" \
	grep -q "conference of a barge ended" "$CLUSTER_DIR/n1.log"

step "barge the caller's side: alice2 (sharing alice's line 1001) barges into alice's call"
sipp_bg barged2 "$BOB" "$SCEN/barge_callee.xml"
sipp_spawn caller2 "$(free_port)" "$SCEN/barge_caller.xml" -trace_logs \
	-inf "$(caller_csv SEP000000000001 alice 1002)" \
	-auth_uri "1002@127.0.0.1:$SIP" "127.0.0.1:$SIP"
wait_until 10 "alice's dialog logged" sipp_logged caller2 JOIN
JOIN=$(sipp_logged caller2 JOIN)
sipp_run barger2 "$(free_port)" \
	"$(sipp_scen barger2 "$SCEN/barge_barger.xml" "JOIN=$JOIN" STAY=1500)" \
	-inf "$(caller_csv SEP000000000005 alice2 1001)" \
	-auth_uri "1001@127.0.0.1:$SIP" "127.0.0.1:$SIP" ||
	fail "barge of the caller's side: $(sipp_errors barger2) $(grep -a "barge" "$CLUSTER_DIR/n1.log" | tail -3)"
sipp_ok caller2 25
sipp_ok barged2 25
grep -q "SEP000000000005 barges into call .*, security level non-secure" \
	"$CLUSTER_DIR/n1.log" || fail "the caller-side barge was not logged"
two_ended() { [ "$(grep -c "conference of a barge ended" "$CLUSTER_DIR/n1.log")" = 2 ]; }
wait_until 5 "the second barge's end" two_ended

ward_stop n1
! grep -q "calls still open" "$CLUSTER_DIR/n1.log" || fail "calls left open"
! grep -q "still counted after the last call" "$CLUSTER_DIR/n1.log" ||
	fail "max_calls_per_device's table missed a change of a call's devices"
step "ok"
