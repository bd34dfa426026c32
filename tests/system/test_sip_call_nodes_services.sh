#!/usr/bin/env bash
# Transfer and presence across nodes (docs/sip.md, "Calls between
# nodes"): bob's phone registers on n1, carol's on n2. Blind transfer:
# alice calls bob through n1, bob REFERs her to carol's line; n1 reaches carol through
# n2 over the node listener, carol answers, alice is re-INVITEd with her
# offer, bob gets NOTIFY 200 and a BYE; alice and carol talk and hang up.
# Attended transfer: bob calls carol (through n2), then REFERs alice with
# Replaces of that call: carol's node leg joins alice's call, bob's two
# legs end. INVITE with Replaces sent to n2 naming alice's dialog on n1:
# n2 routes it to n1, which puts carol in alice's place (and answers 481
# for a dialog it does not hold). Presence: alice watches carol's line
# on n1 while carol's call is handled on n2: n2 sends each dialog state
# to n1 (node-to-node PUBLISH), and alice gets trying/early, confirmed
# and terminated; bob's phone hears the level in carol's hold and resume,
# relayed over the node leg. Conference across nodes: alice opens a
# conference on n1 (factory number 8000), calls carol (n2) and REFERs her
# to 8000: carol's node leg joins n1's mixer, carol hears the
# conference's level in an UPDATE n2 relays, both nodes list the call,
# and alice's hang-up ends the conference with a BYE to carol. Carol
# dialling 8000 gets a conference of n2's own (the factory number is
# served where the caller is). Barge across nodes: alice calls bob (both
# on n1); bob2, sharing bob's line 1002, sends its INVITE with Join to n2:
# the Join's ward tag (-w1) names n1, n2 places it through n1, which
# answers and mixes the three; the level reaches bob2 through n2.
. "$(dirname "$0")/lib.sh"

SCEN=$WARD_SRC/tests/system/sip
command -v sipp >/dev/null || fail "sipp (sip-tester) is not installed"
for n in n1 n2; do
	node_conf $n "[sip]" "digest_algorithms = MD5" "conference_number = 8000"
done
read -r _ SIP1 _ <<<"$(ward_sip n1)"
read -r _ SIP2 _ <<<"$(ward_sip n2)"
sipp_run() {
	local name=$1 lport=$2 scen=$3
	shift 3
	mkdir -p "$CLUSTER_DIR/$name"
	(cd "$CLUSTER_DIR/$name" && timeout 30 sipp -sf "$scen" -t u1 -m 1 \
		-i 127.0.0.1 -p "$lport" -timeout 15 -trace_err "$@" \
		</dev/null >/dev/null 2>&1)
}
errors_of() { cat "$CLUSTER_DIR/$1"/*errors.log 2>/dev/null | grep -v "^ *$" | tail -20; }
# callee NAME PORT SCENARIO [ARGS]: a phone's SIPp in the background, its
# code in NAME.rc.
callee() {
	local name=$1
	rm -f "$CLUSTER_DIR/$name.rc"
	(
		rc=0
		sipp_run "$@" || rc=$?
		echo $rc >"$CLUSTER_DIR/$name.rc"
	) &
	wait_until 5 "$name's SIPp listening" sh -c "ss -Hlnu 'sport = :$2' | grep -q ."
}
callee_ok() {
	wait_until 30 "$1 to end" test -e "$CLUSTER_DIR/$1.rc"
	[ "$(cat "$CLUSTER_DIR/$1.rc")" = 0 ] || fail "$1: $(errors_of "$1")"
}
# caller_csv DEVICE USER NUMBER: SIPp's injection file.
caller_csv() {
	printf 'SEQUENTIAL\n%s;[authentication username=%s password=%s-secret-123];%s\n' \
		"$1" "$2" "$2" "$3" >"$CLUSTER_DIR/caller-$2-$3.csv"
	echo "$CLUSTER_DIR/caller-$2-$3.csv"
}
# register NAME PORT DEVICE USER SIPPORT
register() {
	printf 'SEQUENTIAL\n%s;[authentication username=%s password=%s-secret-123]\n' \
		"$3" "$4" "$4" >"$CLUSTER_DIR/reg-$1.csv"
	sipp_run "reg-$1" "$2" "$SCEN/register.xml" -inf "$CLUSTER_DIR/reg-$1.csv" \
		"127.0.0.1:$5" || fail "$3 did not register: $(errors_of "reg-$1")"
}
transferor() {
	local f=$CLUSTER_DIR/refer-$RANDOM.xml
	sed "s|@TARGET@|$1|" "$SCEN/xfer_transferor.xml" >"$f"
	echo "$f"
}

step "two nodes; alice 1001, bob 1002 (n1), carol 1003 (n2)"
ward_init n1 nodexfer
expect_rc 0 ward_ctl n1 presence-group add staff --allow staff
for u in alice bob carol bob2; do
	WARD_NEW_PASSWORD=$u-secret-123 expect_rc 0 ward_ctl n1 user add $u \
		--presence-group staff
done
expect_rc 0 ward_ctl n1 profile add dig --digest-auth yes
i=1
for u in alice bob carol; do
	expect_rc 0 ward_ctl n1 device add SEP00000000000$i --model 8841 \
		--profile dig --lines 100$i --digest-user $u
	i=$((i + 1))
done
expect_rc 0 ward_ctl n1 device add SEP000000000004 --model 8841 \
	--profile dig --lines 1002 --digest-user bob2
ward_join n2 n1
published() {
	ward_ctl n1 --json node list |
		jq -e '[.nodes[] | select(.sip_node_port > 0)] | length == 2'
}
wait_until 30 "both nodes publish their node listener" published
BOB=$(free_port)
CAROL=$(free_port)
register bob "$BOB" SEP000000000002 bob "$SIP1"
register carol "$CAROL" SEP000000000003 carol "$SIP2"
on_n2() {
	ward_ctl n1 --json device show SEP000000000003 |
		jq -e '.registration.node == "n2"'
}
wait_until 20 "n1 to see carol's phone on n2" on_n2
ALICE_CSV=$(caller_csv SEP000000000001 alice 1002)
# The media relay of each node rewrites the target's port (7070).
sed 's/m=audio 7070 /m=audio [0-9][0-9]* /' "$SCEN/xfer_transferee.xml" \
	>"$CLUSTER_DIR/transferee.xml"

step "blind transfer across nodes: bob (n1) REFERs alice to carol (n2)"
callee target "$CAROL" "$SCEN/xfer_target.xml"
callee transferor "$BOB" "$(transferor 1003@127.0.0.1)"
sipp_run transferee "$(free_port)" "$CLUSTER_DIR/transferee.xml" \
	-inf "$ALICE_CSV" -auth_uri "1002@127.0.0.1:$SIP1" "127.0.0.1:$SIP1" ||
	fail "the transfer failed: $(errors_of transferee) / $(errors_of transferor) / $(errors_of target)"
callee_ok transferor
callee_ok target
grep -q "transfers SEP000000000001 to 1003 (SEP000000000003)" "$CLUSTER_DIR/n1.log" ||
	fail "the transfer was not logged on n1"
grep -q "call .* SEP000000000001 -> SEP000000000003 (1003) over" "$CLUSTER_DIR/n2.log" ||
	fail "n2 did not place the transferee's call to carol"
grep -q "SEP000000000001 <-> SEP000000000003 after the transfer" "$CLUSTER_DIR/n1.log" ||
	fail "the transfer did not complete on n1"
empty() { ward_ctl "$1" --json call list | jq -e '.calls | length == 0'; }
wait_until 5 "the calls gone from n1" empty n1
wait_until 5 "the calls gone from n2" empty n2

step "attended transfer across nodes: bob calls carol (n2), then REFERs alice with Replaces"
callee att-target "$CAROL" "$SCEN/att_target.xml"
mkdir -p "$CLUSTER_DIR/att-consult"
(
	rc=0
	cd "$CLUSTER_DIR/att-consult" && timeout 30 sipp -sf "$SCEN/replace_replaced.xml" \
		-t u1 -m 1 -i 127.0.0.1 -p "$(free_port)" -timeout 15 -trace_err \
		-trace_logs -inf "$(caller_csv SEP000000000002 bob 1003)" \
		-auth_uri "1003@127.0.0.1:$SIP1" "127.0.0.1:$SIP1" </dev/null >/dev/null 2>&1 || rc=$?
	echo $rc >"$CLUSTER_DIR/att-consult.rc"
) &
wait_until 10 "bob's call to carol to be logged" sh -c "grep -qh '^REPLACES ' '$CLUSTER_DIR'/att-consult/*_logs.log"
ESCAPED=$(grep -h '^REPLACES ' "$CLUSTER_DIR"/att-consult/*_logs.log | head -1 |
	cut -d' ' -f2 | sed 's/@/%40/g; s/;/%3B/g; s/=/%3D/g')
callee att-transferor "$BOB" "$(transferor "1003@127.0.0.1?Replaces=$ESCAPED")"
sipp_run att-transferee "$(free_port)" "$CLUSTER_DIR/transferee.xml" \
	-inf "$ALICE_CSV" -auth_uri "1002@127.0.0.1:$SIP1" "127.0.0.1:$SIP1" ||
	fail "the attended transfer failed: $(errors_of att-transferee) / $(errors_of att-transferor) / $(errors_of att-target)"
callee_ok att-transferor
callee_ok att-target
callee_ok att-consult
grep -q "SEP000000000002 joins SEP000000000001 to SEP000000000003 of call .* (attended)" \
	"$CLUSTER_DIR/n1.log" || fail "the attended transfer was not logged"
wait_until 5 "the calls gone from n1" empty n1
wait_until 5 "the calls gone from n2" empty n2

step "INVITE with Replaces across nodes: carol (n2) takes alice's place in her call with bob (n1)"
sed 's/m=audio 7072 /m=audio [0-9][0-9]* /' "$SCEN/replace_stays.xml" \
	>"$CLUSTER_DIR/stays.xml"
callee stays "$BOB" "$CLUSTER_DIR/stays.xml"
mkdir -p "$CLUSTER_DIR/replaced"
(
	rc=0
	cd "$CLUSTER_DIR/replaced" && timeout 30 sipp -sf "$SCEN/replace_replaced.xml" \
		-t u1 -m 1 -i 127.0.0.1 -p "$(free_port)" -timeout 15 -trace_err \
		-trace_logs -inf "$ALICE_CSV" -auth_uri "1002@127.0.0.1:$SIP1" \
		"127.0.0.1:$SIP1" </dev/null >/dev/null 2>&1 || rc=$?
	echo $rc >"$CLUSTER_DIR/replaced.rc"
) &
wait_until 10 "alice's dialog to be logged" sh -c "grep -qh '^REPLACES ' '$CLUSTER_DIR'/replaced/*_logs.log"
REPLACES=$(grep -h '^REPLACES ' "$CLUSTER_DIR"/replaced/*_logs.log | head -1 | cut -d' ' -f2)
sed "s|@REPLACES@|$REPLACES|" "$SCEN/replace_replacer.xml" >"$CLUSTER_DIR/replacer.xml"
sipp_run replacer "$(free_port)" "$CLUSTER_DIR/replacer.xml" \
	-inf "$(caller_csv SEP000000000003 carol 1002)" \
	-auth_uri "1002@127.0.0.1:$SIP2" "127.0.0.1:$SIP2" ||
	fail "the replacing call failed: $(errors_of replacer) / $(errors_of stays)"
callee_ok stays
wait_until 10 "alice's side to end" test -e "$CLUSTER_DIR/replaced.rc"
[ "$(cat "$CLUSTER_DIR/replaced.rc")" = 0 ] || fail "alice: $(errors_of replaced)"
grep -q "SEP000000000003 replaces SEP000000000001" "$CLUSTER_DIR/n1.log" ||
	fail "n1 did not log the replacement"
wait_until 5 "the calls gone from n1" empty n1
wait_until 5 "the calls gone from n2" empty n2

step "INVITE with Replaces naming no dialog of n1's: n1 answers 481 through n2"
sed "s/@STATUS@/481/; s|CSeq: \([12]\) INVITE|CSeq: \1 INVITE\n      Replaces: nosuch@127.0.0.1;to-tag=00-w1;from-tag=b|" \
	"$SCEN/call_uac_fail.xml" >"$CLUSTER_DIR/replace-481.xml"
sipp_run replace481 "$(free_port)" "$CLUSTER_DIR/replace-481.xml" \
	-inf "$(caller_csv SEP000000000003 carol 1002)" \
	-auth_uri "1002@127.0.0.1:$SIP2" "127.0.0.1:$SIP2" ||
	fail "an unknown Replaces did not get 481: $(errors_of replace481)"
grep -q "INVITE with Replaces from SEP000000000003: no such dialog" \
	"$CLUSTER_DIR/n1.log" || fail "n1 did not answer the unknown Replaces"

step "presence across nodes: alice watches carol's line on n1; carol (n2) calls bob (n1)"
printf 'SEQUENTIAL\n1001;1003;[authentication username=alice password=alice-secret-123]\n' \
	>"$CLUSTER_DIR/watch.csv"
mkdir -p "$CLUSTER_DIR/watch"
(
	rc=0
	cd "$CLUSTER_DIR/watch" && timeout 30 sipp -sf "$SCEN/presence_watch_calls.xml" \
		-t u1 -m 1 -i 127.0.0.1 -p "$(free_port)" -timeout 25 -trace_err \
		-trace_msg -inf "$CLUSTER_DIR/watch.csv" -auth_uri "1003@127.0.0.1:$SIP1" \
		"127.0.0.1:$SIP1" </dev/null >/dev/null 2>&1 || rc=$?
	echo $rc >"$CLUSTER_DIR/watch.rc"
) &
wait_until 10 "the watcher's initial NOTIFY" sh -c \
	"cat '$CLUSTER_DIR'/watch/*_messages.log 2>/dev/null | grep -q '^NOTIFY '"
# Bob's phone (n1) must hear the level on carol's hold and resume, which
# n2 relays over the node leg with its word on the level (Call-Info).
sed 's#\(assign_to="\(hold\|resume\)"/>\)#\1\n      <ereg regexp="security=NotAuthenticated" search_in="hdr" header="Call-Info:" check_it="true" assign_to="lvl_\2"/>\n      <log message="level [$lvl_\2]"/>#' \
	"$SCEN/call_uas.xml" >"$CLUSTER_DIR/uas_level.xml"
[ "$(grep -c 'assign_to="lvl_' "$CLUSTER_DIR/uas_level.xml")" = 2 ] ||
	fail "the level checks were not added to the callee's scenario"
callee bob-answers "$BOB" "$CLUSTER_DIR/uas_level.xml"
sipp_run carol-calls "$(free_port)" "$SCEN/call_uac.xml" -d 500 \
	-inf "$(caller_csv SEP000000000003 carol 1002)" \
	-auth_uri "1002@127.0.0.1:$SIP2" "127.0.0.1:$SIP2" ||
	fail "carol's call to bob failed: $(errors_of carol-calls)"
callee_ok bob-answers
wait_until 15 "the watcher to see the call end" test -e "$CLUSTER_DIR/watch.rc"
[ "$(cat "$CLUSTER_DIR/watch.rc")" = 0 ] || fail "the watcher: $(errors_of watch)"
for st in 'state>\(trying\|early\)<' 'state>confirmed<' 'state>terminated<'; do
	grep -q "$st" "$CLUSTER_DIR"/watch/*_messages.log ||
		fail "no NOTIFY on n1 with carol's dialog in $st"
done
grep -q 'direction="initiator"' "$CLUSTER_DIR"/watch/*_messages.log ||
	fail "carol's dialog is not shown as the initiator's"
step "conference across nodes: alice (n1) brings carol (n2) into her conference"
# scen NAME FILE SUBST...: FILE with @KEY@ replaced (KEY=VALUE pairs).
scen() {
	local out=$CLUSTER_DIR/$1.xml f=$2 kv
	shift 2
	cp "$f" "$out"
	for kv in "$@"; do sed -i "s|@${kv%%=*}@|${kv#*=}|g" "$out"; done
	echo "$out"
}
callee owner "$(free_port)" "$(scen owner "$SCEN/conf_owner.xml" STAY=2500)" \
	-inf "$(caller_csv SEP000000000001 alice 8000)" \
	-auth_uri "8000@127.0.0.1:$SIP1" "127.0.0.1:$SIP1"
wait_until 10 "the conference to open on n1" \
	grep -q "SEP000000000001 opens a conference" "$CLUSTER_DIR/n1.log"
callee party "$CAROL" "$(scen party "$SCEN/conf_party.xml" LEVEL=NotAuthenticated)"
sipp_run conf-xfer "$(free_port)" \
	"$(scen conf-xfer "$SCEN/conf_transferor.xml" TARGET=8000)" \
	-inf "$(caller_csv SEP000000000001 alice 1003)" \
	-auth_uri "1003@127.0.0.1:$SIP1" "127.0.0.1:$SIP1" ||
	fail "transfer into the conference: $(errors_of conf-xfer) / $(errors_of party)"
grep -q "brings SEP000000000003 into its conference (2 parties)" \
	"$CLUSTER_DIR/n1.log" || fail "carol's node leg did not join n1's conference"
in_conf() {
	ward_ctl n1 call list >"$CLUSTER_DIR/list1.txt"
	ward_ctl n2 call list >"$CLUSTER_DIR/list2.txt"
	[ "$(grep -c "8000 .*non-secure" "$CLUSTER_DIR/list1.txt")" = 2 ] &&
		grep -q "SEP000000000003 .*non-secure" "$CLUSTER_DIR/list2.txt"
}
in_conf || sleep 1.2
in_conf || fail "call lists: $(cat "$CLUSTER_DIR/list1.txt" "$CLUSTER_DIR/list2.txt")"
callee_ok owner
callee_ok party
grep -q "conference of SEP000000000001 ended" "$CLUSTER_DIR/n1.log" ||
	fail "the conference did not end on n1"
wait_until 5 "the calls gone from n1" empty n1
wait_until 5 "the calls gone from n2" empty n2

step "barge across nodes: bob2 (line 1002) sends its Join to n2; n1 holds bob's dialog"
callee barged "$BOB" "$SCEN/barge_callee.xml" -trace_logs
sipp_bg_caller() {
	local name=$1
	shift
	rm -f "$CLUSTER_DIR/$name.rc"
	(
		rc=0
		sipp_run "$name" "$@" || rc=$?
		echo $rc >"$CLUSTER_DIR/$name.rc"
	) &
}
sipp_bg_caller caller "$(free_port)" "$SCEN/barge_caller.xml" \
	-inf "$(caller_csv SEP000000000001 alice 1002)" \
	-auth_uri "1002@127.0.0.1:$SIP1" "127.0.0.1:$SIP1"
joinable() { grep -qh '^JOIN ' "$CLUSTER_DIR"/barged/*_logs.log 2>/dev/null; }
wait_until 10 "bob's dialog logged" joinable
JOIN=$(grep -h '^JOIN ' "$CLUSTER_DIR"/barged/*_logs.log | head -1 | cut -d' ' -f2)
case $JOIN in *-w1\;from-tag=*) ;; *) fail "ward's tag does not name n1: $JOIN" ;; esac
sipp_run barger "$(free_port)" \
	"$(scen barger "$SCEN/barge_barger.xml" "JOIN=$JOIN" STAY=1500)" \
	-inf "$(caller_csv SEP000000000004 bob2 1002)" \
	-auth_uri "1002@127.0.0.1:$SIP2" "127.0.0.1:$SIP2" ||
	fail "barge across nodes: $(errors_of barger)"
callee_ok caller
callee_ok barged
grep -q "SEP000000000004 -> member-1 (1002) over tls" "$CLUSTER_DIR/n2.log" ||
	fail "n2 did not send the barge to n1"
grep -q "SEP000000000004 barges into call .*, security level non-secure" \
	"$CLUSTER_DIR/n1.log" || fail "n1 did not take the barge"
wait_until 5 "the barge's end" \
	grep -q "conference of a barge ended" "$CLUSTER_DIR/n1.log"
wait_until 5 "the calls gone from n1" empty n1
wait_until 5 "the calls gone from n2" empty n2

step "carol (n2) dials 8000: n2 serves its factory number itself"
sipp_run n2-owner "$(free_port)" "$(scen n2-owner "$SCEN/conf_owner.xml" STAY=100)" \
	-inf "$(caller_csv SEP000000000003 carol 8000)" \
	-auth_uri "8000@127.0.0.1:$SIP2" "127.0.0.1:$SIP2" ||
	fail "carol's conference on n2: $(errors_of n2-owner)"
grep -q "SEP000000000003 opens a conference" "$CLUSTER_DIR/n2.log" ||
	fail "n2 did not open carol's conference"

step "both nodes stop: no device still counted in calls (max_calls_per_device's table followed the transfers and barges)"
ward_stop n1 &
STOP1=$!
ward_stop n2 &
wait $STOP1 $!
for n in n1 n2; do
	! grep -q "still counted after the last call" "$CLUSTER_DIR/$n.log" ||
		fail "$n: the per-device table missed a change of a call's devices"
done
step "done"
