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

SCEN=$WARD_SRC/tests/system/sip
command -v sipp >/dev/null || fail "sipp (sip-tester) is not installed"
node_conf n1 "[sip]" "digest_algorithms = MD5" "conference_number = 8000"
read -r _ SIP TLS <<<"$(ward_sip n1)"
listening() { ss -Hlnu "sport = :$SIP" | grep -q .; }
serves_file() {
	local served file
	served=$(openssl s_client -connect "127.0.0.1:$TLS" </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2)
	file=$(openssl x509 -in "$CLUSTER_DIR/n1/pki/callmanager.pem" -noout \
		-fingerprint -sha256 | cut -d= -f2)
	[ -n "$served" ] && [ "$served" = "$file" ]
}
# sipp_run NAME LPORT SCENARIO [ARGS...]: one SIPp call over UDP.
sipp_run() {
	local name=$1 lport=$2 scen=$3
	shift 3
	mkdir -p "$CLUSTER_DIR/$name"
	(cd "$CLUSTER_DIR/$name" && timeout 30 sipp -sf "$scen" -t u1 -m 1 \
		-i 127.0.0.1 -p "$lport" -timeout 20 -trace_err -trace_msg "$@" \
		</dev/null >/dev/null 2>&1)
}
errors_of() { cat "$CLUSTER_DIR/$1"/*errors.log 2>/dev/null | grep -v "^ *$" | tail -40; }
# bg NAME ...: sipp_run in the background, its status in NAME.rc.
bg() {
	local name=$1
	(
		rc=0
		sipp_run "$@" || rc=$?
		echo $rc >"$CLUSTER_DIR/$name.rc"
	) &
}
ok() {
	wait_until 25 "$1 to end" test -e "$CLUSTER_DIR/$1.rc"
	[ "$(cat "$CLUSTER_DIR/$1.rc")" = 0 ] || fail "$1: $(errors_of "$1")"
}
# csv NAME DEVICE USER NUMBER: a caller's injection file.
csv() {
	printf 'SEQUENTIAL\n%s;[authentication username=%s password=%s-secret-123];%s\n' \
		"$2" "$3" "$3" "$4" >"$CLUSTER_DIR/$1.csv"
	echo "$CLUSTER_DIR/$1.csv"
}
# scen NAME FILE SUBST...: FILE with @KEY@ replaced (KEY=VALUE pairs).
scen() {
	local out=$CLUSTER_DIR/$1.xml f=$2 kv
	shift 2
	cp "$f" "$out"
	for kv in "$@"; do sed -i "s|@${kv%%=*}@|${kv#*=}|g" "$out"; done
	echo "$out"
}

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
wait_until 30 "n1 serves its CallManager certificate on TLS" serves_file
wait_until 20 "n1's SIP port" listening
BOB=$(free_port)
printf 'SEQUENTIAL\nSEP000000000002;[authentication username=bob password=bob-secret-123]\n' \
	>"$CLUSTER_DIR/bob.csv"
sipp_run reg-bob "$BOB" "$SCEN/register.xml" -inf "$CLUSTER_DIR/bob.csv" \
	"127.0.0.1:$SIP" || fail "bob did not register: $(errors_of reg-bob)"

step "a REFER to the factory number by a device owning no conference: 403"
bg refused-bob "$BOB" "$SCEN/call_uas_answer.xml"
sleep 0.3
sipp_run refused "$(free_port)" \
	"$(scen refused "$SCEN/conf_refer_refused.xml" TARGET=8000)" \
	-inf "$(csv carol SEP000000000003 carol 1002)" \
	-auth_uri "1002@127.0.0.1:$SIP" "127.0.0.1:$SIP" ||
	fail "refused transfer: $(errors_of refused)"
ok refused-bob

step "alice opens a conference; she brings bob in by a blind transfer"
bg owner "$(free_port)" "$(scen owner "$SCEN/conf_owner.xml" STAY=3000)" \
	-inf "$(csv owner SEP000000000001 alice 8000)" \
	-auth_uri "8000@127.0.0.1:$SIP" "127.0.0.1:$SIP"
bg party "$BOB" "$(scen party "$SCEN/conf_party.xml" LEVEL=NotAuthenticated)"
wait_until 10 "the conference opened" \
	grep -q "SEP000000000001 opens a conference" "$CLUSTER_DIR/n1.log"
sipp_run xfer "$(free_port)" \
	"$(scen xfer "$SCEN/conf_transferor.xml" TARGET=8000)" \
	-inf "$(csv alice SEP000000000001 alice 1002)" \
	-auth_uri "1002@127.0.0.1:$SIP" "127.0.0.1:$SIP" ||
	fail "transfer into the conference: $(errors_of xfer)"
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
ok owner
ok party
wait_until 5 "the conference's end" \
	grep -q "conference of SEP000000000001 ended" "$CLUSTER_DIR/n1.log"
# ward's answers to alice named its own relay port
grep -A30 "message received" "$CLUSTER_DIR/owner"/*messages.log |
	grep -q "^c=IN IP4 127.0.0.1" || fail "no SDP from ward to the owner"
sleep 1.1
[ "$(ward_ctl n1 call list | grep -c conference)" = 0 ] || fail "calls left"

step "barge: alice calls bob; 403 to a device not on the line, 481 to no dialog"
bg barged "$BOB" "$SCEN/barge_callee.xml" -trace_logs
sleep 0.3
bg caller "$(free_port)" "$SCEN/barge_caller.xml" \
	-inf "$(csv caller SEP000000000001 alice 1002)" \
	-auth_uri "1002@127.0.0.1:$SIP" "127.0.0.1:$SIP"
joinable() { grep -qh '^JOIN ' "$CLUSTER_DIR"/barged/*_logs.log 2>/dev/null; }
wait_until 10 "bob's dialog logged" joinable
JOIN=$(grep -h '^JOIN ' "$CLUSTER_DIR"/barged/*_logs.log | head -1 | cut -d' ' -f2)
# refused WHO DEVICE USER JOIN STATUS
refused() {
	sed "s/@STATUS@/$5/; s|CSeq: \([12]\) INVITE|CSeq: \1 INVITE\n      Join: $4|" \
		"$SCEN/call_uac_fail.xml" >"$CLUSTER_DIR/$1.xml"
	sipp_run "$1" "$(free_port)" "$CLUSTER_DIR/$1.xml" \
		-inf "$(csv "$1" "$2" "$3" 1002)" \
		-auth_uri "1002@127.0.0.1:$SIP" "127.0.0.1:$SIP" ||
		fail "$1: not $5: $(errors_of "$1") $(grep -a "$2\|refused\|denied" "$CLUSTER_DIR/n1.log" | tail -5)"
}
refused carol-barge SEP000000000003 carol "$JOIN" 403
grep -q "barge by SEP000000000003 refused: it does not share the line" \
	"$CLUSTER_DIR/n1.log" || fail "the refusal was not logged"
refused nosuch-barge SEP000000000004 bob2 "nosuch@127.0.0.1;to-tag=a;from-tag=b" 481

step "barge: bob2 (sharing line 1002) barges in; everybody told the level"
sipp_run barger "$(free_port)" \
	"$(scen barger "$SCEN/barge_barger.xml" "JOIN=$JOIN" STAY=2500)" \
	-inf "$(csv barger SEP000000000004 bob2 1002)" \
	-auth_uri "1002@127.0.0.1:$SIP" "127.0.0.1:$SIP" ||
	fail "barge: $(errors_of barger)"
ok caller
ok barged
grep -q "SEP000000000004 barges into call .*, security level non-secure" \
	"$CLUSTER_DIR/n1.log" || fail "the barge was not logged"
wait_until 5 "the barge's end" \
	grep -q "conference of a barge ended" "$CLUSTER_DIR/n1.log"

step "barge the caller's side: alice2 (sharing alice's line 1001) barges into alice's call"
bg barged2 "$BOB" "$SCEN/barge_callee.xml"
sleep 0.3
bg caller2 "$(free_port)" "$SCEN/barge_caller.xml" -trace_logs \
	-inf "$(csv caller2 SEP000000000001 alice 1002)" \
	-auth_uri "1002@127.0.0.1:$SIP" "127.0.0.1:$SIP"
joinable2() { grep -qh '^JOIN ' "$CLUSTER_DIR"/caller2/*_logs.log 2>/dev/null; }
wait_until 10 "alice's dialog logged" joinable2
JOIN=$(grep -h '^JOIN ' "$CLUSTER_DIR"/caller2/*_logs.log | head -1 | cut -d' ' -f2)
sipp_run barger2 "$(free_port)" \
	"$(scen barger2 "$SCEN/barge_barger.xml" "JOIN=$JOIN" STAY=1500)" \
	-inf "$(csv barger2 SEP000000000005 alice2 1001)" \
	-auth_uri "1001@127.0.0.1:$SIP" "127.0.0.1:$SIP" ||
	fail "barge of the caller's side: $(errors_of barger2) $(grep -a "barge" "$CLUSTER_DIR/n1.log" | tail -3)"
ok caller2
ok barged2
grep -q "SEP000000000005 barges into call .*, security level non-secure" \
	"$CLUSTER_DIR/n1.log" || fail "the caller-side barge was not logged"
two_ended() { [ "$(grep -c "conference of a barge ended" "$CLUSTER_DIR/n1.log")" = 2 ]; }
wait_until 5 "the second barge's end" two_ended

ward_stop n1
! grep -q "calls still open" "$CLUSTER_DIR/n1.log" || fail "calls left open"
! grep -q "still counted after the last call" "$CLUSTER_DIR/n1.log" ||
	fail "max_calls_per_device's table missed a change of a call's devices"
step "ok"
