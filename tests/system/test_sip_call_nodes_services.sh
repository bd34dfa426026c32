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
. "$WARD_SRC/tests/system/sip/sipp.sh"

SCEN=$SIPP_SCEN
SIPP_TIMEOUT=15
for n in n1 n2; do
	node_conf $n "[sip]" "digest_algorithms = MD5" "conference_number = 8000"
done
read -r _ SIP1 _ <<<"$(ward_sip n1)"
read -r _ SIP2 _ <<<"$(ward_sip n2)"
# caller_csv DEVICE USER NUMBER: DEVICE calls NUMBER, digest as USER.
caller_csv() { sipp_caller_csv "$1" "$2" "$2-secret-123" "$3"; }
# transferor TARGET: the transferor's scenario, REFERring to TARGET.
transferor() { sipp_scen "refer-$RANDOM" "$SCEN/xfer_transferor.xml" "TARGET=$1"; }

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
sipp_register reg-bob "$BOB" "127.0.0.1:$SIP1" SEP000000000002 bob bob-secret-123
sipp_register reg-carol "$CAROL" "127.0.0.1:$SIP2" SEP000000000003 carol \
	carol-secret-123
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
sipp_callee target "$CAROL" "$SCEN/xfer_target.xml"
sipp_callee transferor "$BOB" "$(transferor 1003@127.0.0.1)"
sipp_run transferee "$(free_port)" "$CLUSTER_DIR/transferee.xml" \
	-inf "$ALICE_CSV" -auth_uri "1002@127.0.0.1:$SIP1" "127.0.0.1:$SIP1" ||
	fail "the transfer failed: $(sipp_errors transferee) / $(sipp_errors transferor) / $(sipp_errors target)"
sipp_ok transferor
sipp_ok target
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
sipp_attended "127.0.0.1:$SIP1" "$BOB" "$CAROL" "$ALICE_CSV" \
	"$(caller_csv SEP000000000002 bob 1003)" "$CLUSTER_DIR/transferee.xml"
grep -q "SEP000000000002 joins SEP000000000001 to SEP000000000003 of call .* (attended)" \
	"$CLUSTER_DIR/n1.log" || fail "the attended transfer was not logged"
wait_until 5 "the calls gone from n1" empty n1
wait_until 5 "the calls gone from n2" empty n2

step "INVITE with Replaces across nodes: carol (n2) takes alice's place in her call with bob (n1)"
sed 's/m=audio 7072 /m=audio [0-9][0-9]* /' "$SCEN/replace_stays.xml" \
	>"$CLUSTER_DIR/stays.xml"
sipp_callee stays "$BOB" "$CLUSTER_DIR/stays.xml"
sipp_spawn replaced "$(free_port)" "$SCEN/replace_replaced.xml" -trace_logs \
	-inf "$ALICE_CSV" -auth_uri "1002@127.0.0.1:$SIP1" "127.0.0.1:$SIP1"
wait_until 10 "alice's dialog to be logged" sipp_logged replaced REPLACES
sipp_scen replacer "$SCEN/replace_replacer.xml" \
	"REPLACES=$(sipp_logged replaced REPLACES)" >/dev/null
sipp_run replacer "$(free_port)" "$CLUSTER_DIR/replacer.xml" \
	-inf "$(caller_csv SEP000000000003 carol 1002)" \
	-auth_uri "1002@127.0.0.1:$SIP2" "127.0.0.1:$SIP2" ||
	fail "the replacing call failed: $(sipp_errors replacer) / $(sipp_errors stays)"
sipp_ok stays
sipp_ok replaced 10
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
	fail "an unknown Replaces did not get 481: $(sipp_errors replace481)"
grep -q "INVITE with Replaces from SEP000000000003: no such dialog" \
	"$CLUSTER_DIR/n1.log" || fail "n1 did not answer the unknown Replaces"

step "presence across nodes: alice watches carol's line on n1; carol (n2) calls bob (n1)"
SIPP_TIMEOUT=25 sipp_spawn watch "$(free_port)" "$SCEN/presence_watch_calls.xml" \
	-trace_msg -inf "$(sipp_csv watch.csv 1001 1003 "$(sipp_auth alice alice-secret-123)")" \
	-auth_uri "1003@127.0.0.1:$SIP1" "127.0.0.1:$SIP1"
wait_until 10 "the watcher's initial NOTIFY" sh -c \
	"cat '$CLUSTER_DIR'/watch/*_messages.log 2>/dev/null | grep -q '^NOTIFY '"
# Bob's phone (n1) must hear the level on carol's hold and resume, which
# n2 relays over the node leg with its word on the level (Call-Info).
sed 's#\(assign_to="\(hold\|resume\)"/>\)#\1\n      <ereg regexp="security=NotAuthenticated" search_in="hdr" header="Call-Info:" check_it="true" assign_to="lvl_\2"/>\n      <log message="level [$lvl_\2]"/>#' \
	"$SCEN/call_uas.xml" >"$CLUSTER_DIR/uas_level.xml"
[ "$(grep -c 'assign_to="lvl_' "$CLUSTER_DIR/uas_level.xml")" = 2 ] ||
	fail "the level checks were not added to the callee's scenario"
sipp_callee bob-answers "$BOB" "$CLUSTER_DIR/uas_level.xml"
sipp_run carol-calls "$(free_port)" "$SCEN/call_uac.xml" -d 500 \
	-inf "$(caller_csv SEP000000000003 carol 1002)" \
	-auth_uri "1002@127.0.0.1:$SIP2" "127.0.0.1:$SIP2" ||
	fail "carol's call to bob failed: $(sipp_errors carol-calls)"
sipp_ok bob-answers
sipp_ok watch 15
for st in 'state>\(trying\|early\)<' 'state>confirmed<' 'state>terminated<'; do
	grep -q "$st" "$CLUSTER_DIR"/watch/*_messages.log ||
		fail "no NOTIFY on n1 with carol's dialog in $st"
done
grep -q 'direction="initiator"' "$CLUSTER_DIR"/watch/*_messages.log ||
	fail "carol's dialog is not shown as the initiator's"
step "conference across nodes: alice (n1) brings carol (n2) into her conference"
sipp_callee owner "$(free_port)" "$(sipp_scen owner "$SCEN/conf_owner.xml" STAY=2500)" \
	-inf "$(caller_csv SEP000000000001 alice 8000)" \
	-auth_uri "8000@127.0.0.1:$SIP1" "127.0.0.1:$SIP1"
wait_until 10 "the conference to open on n1" \
	grep -q "SEP000000000001 opens a conference" "$CLUSTER_DIR/n1.log"
sipp_callee party "$CAROL" "$(sipp_scen party "$SCEN/conf_party.xml" LEVEL=NotAuthenticated)"
sipp_run conf-xfer "$(free_port)" \
	"$(sipp_scen conf-xfer "$SCEN/conf_transferor.xml" TARGET=8000)" \
	-inf "$(caller_csv SEP000000000001 alice 1003)" \
	-auth_uri "1003@127.0.0.1:$SIP1" "127.0.0.1:$SIP1" ||
	fail "transfer into the conference: $(sipp_errors conf-xfer) / $(sipp_errors party)"
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
sipp_ok owner
sipp_ok party
grep -q "conference of SEP000000000001 ended" "$CLUSTER_DIR/n1.log" ||
	fail "the conference did not end on n1"
wait_until 5 "the calls gone from n1" empty n1
wait_until 5 "the calls gone from n2" empty n2

step "barge across nodes: bob2 (line 1002) sends its Join to n2; n1 holds bob's dialog"
sipp_callee barged "$BOB" "$SCEN/barge_callee.xml" -trace_logs
sipp_spawn caller "$(free_port)" "$SCEN/barge_caller.xml" \
	-inf "$(caller_csv SEP000000000001 alice 1002)" \
	-auth_uri "1002@127.0.0.1:$SIP1" "127.0.0.1:$SIP1"
wait_until 10 "bob's dialog logged" sipp_logged barged JOIN
JOIN=$(sipp_logged barged JOIN)
case $JOIN in *-w1\;from-tag=*) ;; *) fail "ward's tag does not name n1: $JOIN" ;; esac
sipp_run barger "$(free_port)" \
	"$(sipp_scen barger "$SCEN/barge_barger.xml" "JOIN=$JOIN" STAY=1500)" \
	-inf "$(caller_csv SEP000000000004 bob2 1002)" \
	-auth_uri "1002@127.0.0.1:$SIP2" "127.0.0.1:$SIP2" ||
	fail "barge across nodes: $(sipp_errors barger)"
sipp_ok caller
sipp_ok barged
grep -q "SEP000000000004 -> member-1 (1002) over tls" "$CLUSTER_DIR/n2.log" ||
	fail "n2 did not send the barge to n1"
grep -q "SEP000000000004 barges into call .*, security level non-secure" \
	"$CLUSTER_DIR/n1.log" || fail "n1 did not take the barge"
wait_until 5 "the barge's end" \
	grep -q "conference of a barge ended" "$CLUSTER_DIR/n1.log"
wait_until 5 "the calls gone from n1" empty n1
wait_until 5 "the calls gone from n2" empty n2

step "carol (n2) dials 8000: n2 serves its factory number itself"
sipp_run n2-owner "$(free_port)" "$(sipp_scen n2-owner "$SCEN/conf_owner.xml" STAY=100)" \
	-inf "$(caller_csv SEP000000000003 carol 8000)" \
	-auth_uri "8000@127.0.0.1:$SIP2" "127.0.0.1:$SIP2" ||
	fail "carol's conference on n2: $(sipp_errors n2-owner)"
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
