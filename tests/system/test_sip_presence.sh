#!/usr/bin/env bash
# Presence against SIPp (UDP, MD5 digest as SIPp knows only that): a
# watcher of an allowed presence group subscribes to a line and gets the
# initial NOTIFY and one when the watched phone registers, for PIDF and
# for dialog state, over UDP and TCP, then unsubscribes; one watching a
# line's dialog state through a call sees it ring, talk and hang up; a watcher of a forbidden group
# gets 403; a trunk without the profile's presence option gets 403, one
# with it gets its NOTIFY. The role runs in ward_sipd over an in-memory
# directory.
. "$(dirname "$0")/lib.sh"
. "$WARD_SRC/tests/system/sip/sipd.sh"

SCEN=$WARD_SRC/tests/system/sip

cat >"$CLUSTER_DIR/dir.txt" <<DIR
realm ward.test
secret $(openssl rand -hex 32)
presence_default disallow
pgroup staff allow=staff
pgroup lobby disallow=staff
user alice pw-alice pgroup=staff
user bob pw-bob pgroup=staff
user carol pw-carol pgroup=staff
user dave pw-dave pgroup=staff
user erin pw-erin pgroup=staff
user eve pw-eve pgroup=lobby
user app1 pw-app app SUBSCRIBE pgroup=staff
device SEP001122334455 user=alice line=1001
device SEP00AABBCCDDEE user=bob line=1002
device SEP0000000000CC user=carol line=1003
device SEP0000000000DD user=dave line=1005
device SEP0000000000E1 user=erin line=1006
device SEP0000000000EE user=eve line=1004
trunk closed addr=127.0.0.2 allow=refer,notify
trunk open addr=127.0.0.3 allow=presence user=app1
DIR

PORT=$(free_port)
sipd_start sipd "$PORT" --digest MD5
TARGET=127.0.0.1:$PORT
. "$SCEN/presence.sh"

csv alice.csv 1001 1002 "[authentication username=alice password=pw-alice]"
csv alice3.csv 1001 1003 "[authentication username=alice password=pw-alice]"
csv eve.csv 1004 1002 "[authentication username=eve password=pw-eve]"
csv alice4.csv 1001 1004 "[authentication username=alice password=pw-alice]"
csv bob.csv SEP00AABBCCDDEE "[authentication username=bob password=pw-bob]"
csv carol.csv SEP0000000000CC "[authentication username=carol password=pw-carol]"
csv alice5.csv 1001 1005 "[authentication username=alice password=pw-alice]"
csv dave.csv SEP0000000000DD "[authentication username=dave password=pw-dave]"

step "alice (staff) watches bob's line 1002: closed, then open when bob registers"
watch pidf alice.csv presence application/pidf+xml "$PIDF_CLOSED" "$PIDF_OPEN" \
	bob.csv
grep -q "SIP/2.0 200 OK" "$CLUSTER_DIR"/pidf/*_messages.log ||
	fail "no 200 to the SUBSCRIBE"

step "alice watches carol's line 1003 for dialog state: version 0, then 1 when carol registers"
watch dialog alice3.csv dialog application/dialog-info+xml \
	'version=\"0\" state=\"full\"' 'version=\"1\" state=\"full\"' carol.csv

step "over TCP, the NOTIFYs come back on the watcher's connection"
SIPP_TP=t1 watch tcp alice5.csv presence application/pidf+xml "$PIDF_CLOSED" \
	"$PIDF_OPEN" dave.csv

step "alice watches erin's line 1006 while carol calls erin: it rings, talks, hangs up"
csv alice6.csv 1001 1006 "[authentication username=alice password=pw-alice]"
csv erin.csv SEP0000000000E1 "[authentication username=erin password=pw-erin]"
csv carol-calls.csv SEP0000000000CC \
	"[authentication username=carol password=pw-carol]" 1006
presence_run calls 127.0.0.1 "$SCEN/presence_watch_calls.xml" -inf alice6.csv &
WATCHER=$!
wait_until 10 "the calls watcher's initial NOTIFY" sh -c \
	"cat '$CLUSTER_DIR'/calls/*_messages.log 2>/dev/null | grep -q '^NOTIFY '"
ERIN=$(free_port)
sipp_run reg-erin "$ERIN" "$SCEN/register.xml" -inf "$CLUSTER_DIR/erin.csv" \
	"$TARGET" || fail "erin's phone did not register: $(sipp_errors reg-erin)"
sipp_bg erin-answer "$ERIN" "$SCEN/call_uas.xml"
presence_run carol-call 127.0.0.1 "$SCEN/call_uac.xml" -inf carol-calls.csv ||
	fail "carol's call to erin failed"
sipp_ok erin-answer 25
wait "$WATCHER" || fail "the watcher did not see the call end"
for st in 'state>\(trying\|early\)<' 'state>confirmed<' 'state>terminated<'; do
	grep -q "$st" "$CLUSTER_DIR"/calls/*_messages.log ||
		fail "no NOTIFY with a dialog in $st"
done
grep -q 'direction="recipient"' "$CLUSTER_DIR"/calls/*_messages.log ||
	fail "erin's dialog is not shown as the recipient's"

step "eve (lobby, which may not watch staff) gets 403, and so does alice watching eve (no rule: the default)"
refused eve-presence eve.csv presence
refused eve-dialog eve.csv dialog
refused alice-eve alice4.csv presence
grep -q "SUBSCRIBE (presence) from eve to 1002 refused" "$CLUSTER_DIR/sipd.log" ||
	fail "the refusal was not logged"

step "a trunk whose profile does not accept presence gets 403; one that does gets its NOTIFY"
for event in presence dialog; do
	sed "s/@METHOD@/SUBSCRIBE/g" "$SCEN/trunk_403.xml" >"$CLUSTER_DIR/t403.xml"
	presence_run "trunk403-$event" 127.0.0.2 t403.xml -key extra "Event: $event" ||
		fail "the closed trunk's $event SUBSCRIBE was not refused"
done
presence_run trunk-ok 127.0.0.3 "$SCEN/trunk_subscribe.xml" -key target 1002 ||
	fail "the open trunk's SUBSCRIBE did not get 200 and a NOTIFY"

step "ward_sipd stops"
kill "$(cat "$CLUSTER_DIR/sipd.pid")"
wait_until 5 "ward_sipd to stop" sh -c "! kill -0 $(cat "$CLUSTER_DIR/sipd.pid") 2>/dev/null"
rm -f "$CLUSTER_DIR/sipd.pid"
step "done"
