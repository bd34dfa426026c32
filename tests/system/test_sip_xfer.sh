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
. "$WARD_SRC/tests/system/sip/sipp.sh"
. "$WARD_SRC/tests/system/sip/sipd.sh"

SCEN=$SIPP_SCEN
SIPP_TIMEOUT=10

sipd_phones_dir
PORT=$(free_port)
sipd_start sipd "$PORT" --digest MD5 --ring-s 5 --min-se 2

# auth_uri NUMBER: -auth_uri for an INVITE to NUMBER.
auth_uri() { sipp_auth_uri "$1" "127.0.0.1:$PORT"; }

ALICE_CSV=$(sipp_caller_csv SEP000000000001 alice pw-alice 1002)
BOB=$(free_port)
CAROL=$(free_port)
sipp_register reg-bob "$BOB" "127.0.0.1:$PORT" SEP000000000002 bob pw-bob
sipp_register reg-carol "$CAROL" "127.0.0.1:$PORT" SEP000000000003 carol pw-carol
# transferor TARGET: the transferor's scenario, REFERring to TARGET.
transferor() { sipp_scen "refer-$RANDOM" "$SCEN/xfer_transferor.xml" "TARGET=$1"; }

step "blind transfer: bob REFERs alice to carol; carol answers, alice re-INVITEd, bob NOTIFYed and ended"
sipp_bg target "$CAROL" "$SCEN/xfer_target.xml"
sipp_bg transferor "$BOB" "$(transferor 1003@127.0.0.1)"
sipp_run transferee "$(free_port)" "$SCEN/xfer_transferee.xml" \
	-inf "$ALICE_CSV" -auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
	fail "the transfer failed: $(sipp_errors transferee) / $(sipp_errors transferor) / $(sipp_errors target)"
sipp_ok transferor 20
sipp_ok target 20
grep -q "transfers SEP000000000001 to 1003 (SEP000000000003)" "$CLUSTER_DIR/sipd.log" ||
	fail "the transfer was not logged"
grep -q "SEP000000000001 <-> SEP000000000003 after the transfer, security level non-secure" \
	"$CLUSTER_DIR/sipd.log" || fail "the level after the transfer was not logged"
wait_until 5 "the transferred call to end" grep -q ') ended: caller hung up' "$CLUSTER_DIR/sipd.log"

step "a transfer to a number the transferor may not call: NOTIFY 403, the call goes on"
sed "s|@TARGET@|9001@127.0.0.1|" "$SCEN/xfer_refused.xml" >"$CLUSTER_DIR/refused.xml"
sipp_bg refused "$BOB" "$CLUSTER_DIR/refused.xml"
sipp_run refusedcall "$(free_port)" "$SCEN/replace_replaced.xml" \
	-inf "$ALICE_CSV" -auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
	fail "the call did not go on after a refused transfer: $(sipp_errors refusedcall) / $(sipp_errors refused)"
sipp_ok refused 20
grep -q "transfer by SEP000000000002 to 9001 refused: 403" "$CLUSTER_DIR/sipd.log" ||
	fail "the refused transfer was not logged"

step "the transferee hangs up while the target rings: the target gets a CANCEL, the transferor a BYE"
sed "s|@TARGET@|1003@127.0.0.1|" "$SCEN/xfer_cut.xml" >"$CLUSTER_DIR/cut.xml"
sipp_bg cut-target "$CAROL" "$SCEN/call_uas_cancel.xml"
sipp_bg cut "$BOB" "$CLUSTER_DIR/cut.xml"
sipp_run cutcall "$(free_port)" "$SCEN/call_uac_hangup.xml" \
	-inf "$ALICE_CSV" -auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
	fail "the transferee could not hang up: $(sipp_errors cutcall) / $(sipp_errors cut)"
sipp_ok cut 20
sipp_ok cut-target 20

step "INVITE with Replaces: carol takes alice's place in her call with bob; alice gets a BYE"
sipp_bg stays "$BOB" "$SCEN/replace_stays.xml"
sipp_spawn replaced "$(free_port)" "$SCEN/replace_replaced.xml" -trace_logs \
	-inf "$ALICE_CSV" -auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT"
wait_until 10 "alice's dialog to be logged" sipp_logged replaced REPLACES
sipp_scen replacer "$SCEN/replace_replacer.xml" \
	"REPLACES=$(sipp_logged replaced REPLACES)" >/dev/null
CAROL_CSV=$(sipp_caller_csv SEP000000000003 carol pw-carol 1002)
sipp_run replacer "$(free_port)" "$CLUSTER_DIR/replacer.xml" \
	-inf "$CAROL_CSV" -auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
	fail "the replacing call failed: $(sipp_errors replacer) / $(sipp_errors stays)"
sipp_ok stays 20
sipp_ok replaced 20
grep -q "SEP000000000003 replaces SEP000000000001" "$CLUSTER_DIR/sipd.log" ||
	fail "the replacement was not logged"

step "INVITE with Replaces naming no dialog of ward's: 481"
sed "s/@STATUS@/481/; s|CSeq: \([12]\) INVITE|CSeq: \1 INVITE\n      Replaces: nosuch@127.0.0.1;to-tag=a;from-tag=b|" \
	"$SCEN/call_uac_fail.xml" >"$CLUSTER_DIR/replace-481.xml"
sipp_run replace481 "$(free_port)" "$CLUSTER_DIR/replace-481.xml" \
	-inf "$CAROL_CSV" -auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
	fail "an unknown Replaces did not get 481: $(sipp_errors replace481)"
grep -q "INVITE with Replaces from SEP000000000003: no such dialog" \
	"$CLUSTER_DIR/sipd.log" || fail "the unknown Replaces was not logged"
grep -q "SEP000000000003 <-> SEP000000000002 after the replacement, security level non-secure" \
	"$CLUSTER_DIR/sipd.log" || fail "the level after the replacement was not logged"


step "attended transfer: bob calls carol, then REFERs alice to carol with Replaces: alice and carol talk, bob's two legs end"
sipp_attended "127.0.0.1:$PORT" "$BOB" "$CAROL" "$ALICE_CSV" \
	"$(sipp_caller_csv SEP000000000002 bob pw-bob 1003)" "$SCEN/xfer_transferee.xml"
grep -q "SEP000000000002 joins SEP000000000001 to SEP000000000003 of call .* (attended)" \
	"$CLUSTER_DIR/sipd.log" || fail "the attended transfer was not logged"

step "session timers: Session-Expires 1 below Min-SE 2 gets 422"
sed "s/@STATUS@/422/; s|CSeq: 2 INVITE|CSeq: 2 INVITE\n      Session-Expires: 1|" \
	"$SCEN/call_uac_fail.xml" >"$CLUSTER_DIR/st-422.xml"
sipp_run st422 "$(free_port)" "$CLUSTER_DIR/st-422.xml" \
	-inf "$ALICE_CSV" -auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
	fail "a small Session-Expires did not get 422: $(sipp_errors st422)"
grep -q "INVITE with Session-Expires 1 refused: Min-SE 2" "$CLUSTER_DIR/sipd.log" ||
	fail "the 422 was not logged"

step "session timers: the caller refreshes (Require: timer) and does not: ward ends the call"
sipp_bg st-expire-b "$BOB" "$SCEN/call_uas_answer.xml"
sipp_run st-expire "$(free_port)" "$SCEN/st_expire.xml" \
	-inf "$ALICE_CSV" -auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
	fail "the unrefreshed session did not end: $(sipp_errors st-expire)"
sipp_ok st-expire-b 20
grep -q "session not refreshed in 2 s" "$CLUSTER_DIR/sipd.log" ||
	fail "the expiry was not logged"

step "session timers: ward refreshes with UPDATE; a 481 to it ends the call"
sipp_bg st-refresh-b "$BOB" "$SCEN/call_uas_answer.xml"
sipp_run st-refresh "$(free_port)" "$SCEN/st_refresh.xml" \
	-inf "$ALICE_CSV" -auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
	fail "ward's refresh did not end the call: $(sipp_errors st-refresh)"
sipp_ok st-refresh-b 20
grep -q "session refresh answered 481" "$CLUSTER_DIR/sipd.log" ||
	fail "the failed refresh was not logged"
wait_until 5 "every call to end" sh -c "[ \$(grep -c ') ended: ' '$CLUSTER_DIR/sipd.log') = 8 ]"

step "PRACK (RFC 3262): alice requires 100rel and PRACKs ward's 183; bob's reliable 183 gets ward's PRACK"
sipp_bg prack-b "$BOB" "$SCEN/prack_uas.xml"
sipp_run prack "$(free_port)" "$SCEN/prack_uac.xml" \
	-inf "$ALICE_CSV" -auth_uri "$(auth_uri 1002)" "127.0.0.1:$PORT" ||
	fail "reliable provisional responses failed: $(sipp_errors prack) / $(sipp_errors prack-b)"
sipp_ok prack-b 20
wait_until 5 "the call to end" sh -c "[ \$(grep -c ') ended: ' '$CLUSTER_DIR/sipd.log') = 9 ]"

sipd_stop_clean sipd
step "done"
