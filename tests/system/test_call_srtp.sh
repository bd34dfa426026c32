#!/usr/bin/env bash
# Real phones, real wardd: two baresip 1.0 processes register over TLS with
# their MICs (a test MIC CA imported as mic-root, the cluster in mixed mode)
# and call each other with mandatory SDES-SRTP through the node's relay.
# A plays a 1 kHz tone, B a 500 Hz one, each records what it hears
# (sndfile). Checked: `wardctl call list` says encrypted; both phones got
# the level in a Call-Info header; a capture on loopback of every datagram
# to or from the node's media ports shows no plain RTP toward either phone
# and both tones arrive. A third phone on a non-secure profile over UDP:
# the call is non-secure, its leg carries plain RTP (the capture sees the
# tone in clear: the sniffer works), the encrypted phone's leg stays SRTP.
# Then key hygiene: no SRTP master key seen in the phones' SDP is in the
# node's log (at debug level), its data directory (LMDB, Raft log,
# snapshots) or the audit log, raw, in hex or in base64.
. "$(dirname "$0")/lib.sh"
. "$WARD_SRC/tests/system/baresip.sh"

PKI=$CLUSTER_DIR/pki
A=SEP00000000A001
B=SEP00000000B002
C=SEP00000000C003
D=SEP00000000D004 # D and E: the conference phase's (call_srtp_conf_phase.sh)
E=SEP00000000E005
G=SEP00000000D007 # on n2 (two_nodes below), a party of the conference too
baresip_on_exit a b c d e g

# baresip 1.0 (libre) answers only MD5 and only the first challenge.
# The log at debug level: the key hygiene check below reads all of it.
node_conf n1 "[node]" "log_level = debug" "[sip]" "digest_algorithms = MD5" \
	"conference_number = 8000" \
	"[media]" "hold_music = $CLUSTER_DIR/hold.ul" \
	"[capf]" "listen = 127.0.0.1:$(free_port)"
node_conf n2 "[node]" "log_level = debug" "[sip]" "digest_algorithms = MD5" \
	"[capf]" "listen = 127.0.0.1:$(free_port)"
read -r _ SIP TLS <<<"$(ward_sip n1)"
read -r _ _ TLS2 <<<"$(ward_sip n2)"
MLO=$(sed -n 's/^port_min = //p' "$CLUSTER_DIR/n1.conf")
MHI=$(sed -n 's/^port_max = //p' "$CLUSTER_DIR/n1.conf")
MLO2=$(sed -n 's/^port_min = //p' "$CLUSTER_DIR/n2.conf")
MHI2=$(sed -n 's/^port_max = //p' "$CLUSTER_DIR/n2.conf")
# Music on hold: a 2 kHz tone (period 4 samples), 2 s.
$LIB ulaw "$CLUSTER_DIR/hold.ul" 2000 2
python3 "$WARD_SRC/tests/system/sip/mkpki.py" "$PKI" $A $B $C $D $E $G >/dev/null

# ---- Two nodes: G's baresip registers on n2, A (on n1) calls it. The
# call crosses the node-to-node TLS leg (NODE certificates), each node
# relaying its side; capture is on for A's device, and the key log alone
# decrypts what a sniffer saw on every leg. Then the level changes across
# the nodes: A blind-transfers G to C (non-secure, on n1), and G, on n2,
# is told NotAuthenticated in Call-Info; both nodes list non-secure. ----
two_nodes_join() {
	step "n2 joins the mixed-mode cluster; G (line 1007, encrypted) for it"
	ward_join n2 n1 || fail "n2 did not join"
	WARD_NEW_PASSWORD=gina-secret-123 expect_rc 0 ward_ctl n1 user add gina
	expect_rc 0 ward_ctl n1 device add $G --model 8841 \
		--capabilities tls,srtp --profile enc --lines 1007 --digest-user gina
}
# call_on NODE DEVICE: NODE's call of DEVICE, as JSON.
call_on() {
	ward_ctl "$1" --json call list |
		jq -ce ".calls[] | select(.caller == \"$2\" or .callee == \"$2\")"
}
talking_on() {
	call_on "$1" "$2" >"$CLUSTER_DIR/call-$1.json" &&
		jq -e '.state == "talking"' "$CLUSTER_DIR/call-$1.json"
}
# two_nodes_phone: G's baresip (200 Hz) registers on n2; it stays for the
# conference phase (a party on n2 of E's conference on n1) and the calls
# below.
two_nodes_phone() {
	step "baresip G registers over TLS on n2 with its MIC"
	n2_ready() { trusts n2 "$PKI/mic-ca.pem" && ss -Hlnt "sport = :$TLS2" | grep -q .; }
	wait_until 30 "n2's SIP TLS port trusting the MIC CA" n2_ready
	phone g $G gina gina-secret-123 tls srtp-mand 200 "$TLS2"
	on_n2() {
		registered $G tls && jq -e '.registration.node == "n2" and
			.registration.cert == "mic"' "$CLUSTER_DIR/show.json"
	}
	wait_until 20 "G registered on n2 over TLS with its MIC" on_n2
}
two_nodes_call() {
	local n0 n0g n p to pto from pfrom
	step "capture on for A; A calls 1007 on n1, n2 rings G; tones for 4 s"
	expect_rc 0 ward_ctl n1 capture start --seconds 600 $A
	n0=$(wc -l <"$CLUSTER_DIR/a/out")
	n0g=$(wc -l <"$CLUSTER_DIR/g/out")
	sniff cap3 "$((MLO < MLO2 ? MLO : MLO2))" "$((MHI > MHI2 ? MHI : MHI2))"
	ctl a dial "sip:1007@127.0.0.1:$TLS;transport=tls"
	wait_until 15 "the call talking on n1" talking_on n1 $A
	wait_until 5 "the call talking on n2" talking_on n2 $A
	sleep 4

	step "encrypted on both nodes' call lists and to both phones"
	for n in n1 n2; do
		jq -e '.caller == "'$A'" and .callee == "'$G'" and .number == "1007" and .security_level == "encrypted"' \
			"$CLUSTER_DIR/call-$n.json" >/dev/null ||
			fail "$n's call list: $(cat "$CLUSTER_DIR/call-$n.json")"
	done
	grep -q "$A -> $G (1007) over tls" "$CLUSTER_DIR/n1.log" ||
		fail "n1 did not send the call to n2"
	grep -q "$A -> $G (1007) answered, security level encrypted" \
		"$CLUSTER_DIR/n2.log" || fail "n2 did not log the level"
	trace_since g "$n0g" 'Call-Info: <urn:x-cisco-remotecc:callinfo>;security=Encrypted' ||
		fail "G got no Call-Info security=Encrypted for this call"
	trace_since a "$n0" 'Call-Info: <urn:x-cisco-remotecc:callinfo>;security=Encrypted' ||
		fail "A got no Call-Info security=Encrypted for this call"
	[ "$(m_ports g | awk -v lo="$MLO2" -v hi="$MHI2" \
		'$1 >= lo && $1 <= hi && $2 == "RTP/SAVP"' | wc -l)" -ge 1 ] &&
		[ -z "$(m_ports g | awk '$2 != "RTP/SAVP"')" ] ||
		fail "G was not offered SRTP by n2's relay: $(m_ports g)"

	step "A hangs up; the capture: SRTP only, on every leg and between the nodes"
	ctl a hangup
	wait_until 10 "the call gone from n1" no_call $A
	no_call_n2() { ! call_on n2 $A; }
	wait_until 10 "the call gone from n2" no_call_n2
	sniff_end cap3
	read -r n p <<<"$($LIB plain "$CLUSTER_DIR/cap3")"
	echo "all legs: $n RTP-sized datagrams, $p plain"
	[ "$n" -ge 800 ] && [ "$p" = 0 ] || fail "not SRTP only: $n datagrams, $p plain"
	read -r n p <<<"$($LIB plain "$CLUSTER_DIR/cap3" "$MLO" "$MHI" "$MLO2" "$MHI2")"
	echo "between n1 and n2: $n datagrams, $p plain"
	[ "$n" -ge 300 ] && [ "$p" = 0 ] || fail "the node-to-node leg: $n datagrams, $p plain"
	for p in a g; do
		read -r to pto from pfrom <<<"$(media_of cap3 $p)"
		echo "$p: $to datagrams to it ($pto plain), $from from it ($pfrom plain)"
		[ "$to" -ge 150 ] && [ "$from" -ge 150 ] || fail "$p: too little media"
	done

	step "the audio arrived: G heard A's 1 kHz, A heard G's 200 Hz"
	heard g 1000
	heard a 200

	step "the key log alone decrypts the capture, every leg on both nodes"
	for n in n1 n2; do
		ward_ctl $n --json capture keys $A >"$CLUSTER_DIR/keylog-$n.json"
		[ "$(jq '.entries | length' "$CLUSTER_DIR/keylog-$n.json")" = 4 ] ||
			fail "$n: not four keys: $(jq -c '.entries | map(del(.inline))' \
				"$CLUSTER_DIR/keylog-$n.json")"
	done
	for n in n1 n2; do
		$LIB keylog "$CLUSTER_DIR/cap3" "$CLUSTER_DIR/keylog-$n.json"
	done >"$CLUSTER_DIR/keylog.out"
	cat "$CLUSTER_DIR/keylog.out"
	echo "(node leg sender direction: datagrams, decrypted, periods 4 8 16 20 40)"
	# A->B is A's 1 kHz (period 8), B->A G's 200 Hz (period 40), on each
	# of the eight flows, every datagram decrypted by its entry's key.
	[ "$(awk '$5 >= 150 && $6 == $5 &&
		(($4 == "A->B" && $8 >= 150) || ($4 == "B->A" && $11 >= 150))' \
		"$CLUSTER_DIR/keylog.out" | wc -l)" = 8 ] ||
		fail "the key log does not decrypt every leg"
	expect_rc 0 ward_ctl n1 capture stop $A

	step "no key of this call (the node-to-node leg's too) in either node's log or data"
	for n in n1 n2; do
		jq -r '.entries[] | "\(.inline) \(.suite)"' "$CLUSTER_DIR/keylog-$n.json"
	done >"$CLUSTER_DIR/keys3"
	$LIB hygiene "$CLUSTER_DIR/keys3" "$CLUSTER_DIR/n1.log" "$CLUSTER_DIR/n2.log" \
		"$CLUSTER_DIR/n1" "$CLUSTER_DIR/n2" >"$CLUSTER_DIR/hygiene3.out"
	[ ! -s "$CLUSTER_DIR/hygiene3.out" ] ||
		fail "keys found: $(cat "$CLUSTER_DIR/hygiene3.out")"
	step "the level changes across nodes: A blind-transfers G to C (non-secure, on n1); G on n2 is told"
	# The profile said encrypted or reject above: a transfer to C would
	# be refused (488).
	expect_rc 0 ward_ctl n1 profile set enc --encrypted-or-reject no
	n0=$(wc -l <"$CLUSTER_DIR/g/out")
	ctl a dial "sip:1007@127.0.0.1:$TLS;transport=tls"
	wait_until 15 "the call talking on n1" talking_on n1 $A
	wait_until 5 "the call talking on n2" talking_on n2 $A
	ctl a transfer "sip:1003@127.0.0.1:$TLS;transport=tls"
	g_with_c() {
		call_on n1 $C >"$CLUSTER_DIR/call-n1.json" &&
			jq -e '.state == "talking" and .security_level == "non-secure"' \
				"$CLUSTER_DIR/call-n1.json" &&
			call_on n2 $G >"$CLUSTER_DIR/call-n2.json" &&
			jq -e '.security_level == "non-secure"' "$CLUSTER_DIR/call-n2.json"
	}
	wait_until 15 "G and C talking, non-secure on both nodes' lists" g_with_c
	trace_since g "$n0" 'Call-Info: <urn:x-cisco-remotecc:callinfo>;security=NotAuthenticated' ||
		fail "G (on n2) was not told security=NotAuthenticated"
	ctl c hangup
	wait_until 10 "the call gone from n1" no_call $C
	no_g_n2() { ! call_on n2 $G; }
	wait_until 10 "the call gone from n2" no_g_n2
	ctl g quit || true
	wait_until 10 "phone g to stop" sh -c "! kill -0 $(cat "$CLUSTER_DIR/g.pid") 2>/dev/null"
	rm -f "$CLUSTER_DIR/g.pid"
}

step "a node in mixed mode (two trial tokens, a signed CTL), the MIC CA trusted"
ward_init n1 srtptest
ward_mixed n1
expect_rc 0 ward_ctl n1 cert import --category mic-root "$PKI/mic-ca.pem"

step "profiles and phones: A and B encrypted over TLS, C non-secure over UDP"
for u in alice bob carol; do
	WARD_NEW_PASSWORD=$u-secret-123 expect_rc 0 ward_ctl n1 user add $u
done
expect_rc 0 ward_ctl n1 profile add enc --mode encrypted --transport tls \
	--digest-auth yes
expect_rc 0 ward_ctl n1 profile add plain --mode non-secure --transport udp \
	--digest-auth yes
expect_rc 0 ward_ctl n1 device add $A --model 8841 --capabilities tls,srtp \
	--profile enc --lines 1001 --digest-user alice
expect_rc 0 ward_ctl n1 device add $B --model 8841 --capabilities tls,srtp \
	--profile enc --lines 1002 --digest-user bob
expect_rc 0 ward_ctl n1 device add $C --model 8841 --profile plain \
	--lines 1003 --digest-user carol

two_nodes_join
# The role restarts with the TLS files holding the MIC CA: wait for it.
wait_until 30 "the MIC CA in the node's SIP trust file" trusts n1 "$PKI/mic-ca.pem"
wait_until 30 "n1's SIP TLS port" tls_listening


# phone NAME DEVICE USER SECRET TRANSPORT MEDIAENC TONE_HZ [TLS_PORT]: a
# baresip (baresip_start) with DEVICE's MIC, registering with n1 (or the
# node whose SIP TLS port is TLS_PORT) over TRANSPORT as USER.
phone() {
	local name=$1 dev=$2 user=$3 secret=$4 tp=$5 enc=$6 hz=$7 port=${8:-$TLS}
	[ "$tp" = udp ] && port=$SIP
	baresip_start "$name" 127.0.0.1 "$PKI/$dev-mic.pem" "$hz" \
		"<sip:$dev@127.0.0.1:$port;transport=$tp>;auth_user=$user;auth_pass=$secret;regint=60" \
		"$enc"
}

step "baresip A and B register over TLS with their MICs, SRTP mandatory"
phone a $A alice alice-secret-123 tls srtp-mand 1000
phone b $B bob bob-secret-123 tls srtp-mand 500
for d in $A $B; do
	wait_until 20 "$d registered over TLS" registered $d tls
	jq -e '.registration.cert == "mic"' "$CLUSTER_DIR/show.json" >/dev/null ||
		fail "$d not authenticated by its MIC: $(jq -c .registration "$CLUSTER_DIR/show.json")"
done


# trace_has PHONE REGEX: baresip's SIP trace holds a line matching REGEX.
trace_has() { grep -qE "$2" "$CLUSTER_DIR/$1/out"; }
# trace_since PHONE LINE TEXT: the same for the fixed TEXT, from line LINE
# on (one reader of the whole file: `tail | grep -q` under pipefail fails
# when grep leaves first and tail gets SIGPIPE).
trace_since() {
	awk -v n="$2" -v t="$3" 'NR >= n && index($0, t) { f = 1 } END { exit !f }' \
		"$CLUSTER_DIR/$1/out"
}
# sdp_to PHONE: the SDP bodies the phone received (after "-> 127.0.0.1:"
# lines naming its own SIP port are not needed: the trace prints each
# message; an m= line sent by ward names a port of the node's range).
m_ports() {
	grep -oE '^m=audio [0-9]+ RTP/[A-Z]+' "$CLUSTER_DIR/$1/out" |
		awk '{ print $2, $3 }'
}
relayed_to() {
	local port proto seen=0
	while read -r port proto; do
		[ "$port" -ge "$MLO" ] && [ "$port" -le "$MHI" ] || continue
		seen=1
		[ "$proto" = "$2" ] || fail "$1 was offered $proto by the node, not $2"
	done < <(m_ports "$1")
	[ $seen = 1 ] || fail "$1 got no SDP naming the node's relay"
}

step "A calls 1002; B answers by itself; 1 kHz and 500 Hz tones for 4 s"
sniff cap1
ctl a dial "sip:1002@127.0.0.1:$TLS;transport=tls"
wait_until 15 "the call talking" talking $A
sleep 4

step "wardctl call list: encrypted; the node logged it"
jq -e '.caller == "'$A'" and .callee == "'$B'" and .number == "1002" and .security_level == "encrypted"' \
	"$CLUSTER_DIR/call.json" >/dev/null || fail "call list: $(cat "$CLUSTER_DIR/call.json")"
ward_ctl n1 call list | grep -q "$A .*$B .*1002 .*talking .*encrypted" ||
	fail "call list: $(ward_ctl n1 call list)"
grep -q "$A -> $B (1002) answered, security level encrypted" "$CLUSTER_DIR/n1.log" ||
	fail "the level was not logged"

step "both phones got the level: B in the INVITE, A in the 200"
trace_has b 'Call-Info: <urn:x-cisco-remotecc:callinfo>;security=Encrypted' ||
	fail "B got no Call-Info security=Encrypted"
trace_has a 'Call-Info: <urn:x-cisco-remotecc:callinfo>;security=Encrypted' ||
	fail "A got no Call-Info security=Encrypted"
relayed_to a RTP/SAVP
relayed_to b RTP/SAVP

step "hold: A holds; the node plays its music (2 kHz) to B; the level stays"
ctl a hold
wait_until 10 "B told sendonly" trace_has b '^a=sendonly'
sleep 3
call_of $A | jq -e '.security_level == "encrypted"' >/dev/null ||
	fail "the level changed on hold: $(call_of $A)"
ctl a resume
sleep 2

step "A hangs up; the capture: SRTP only, both ways, on both legs"
ctl a hangup
wait_until 10 "the call gone" no_call $A
sniff_end cap1
for p in a b; do
	read -r to pto from pfrom <<<"$(media_of cap1 $p)"
	echo "$p: $to datagrams to it ($pto plain), $from from it ($pfrom plain)"
	[ "$to" -ge 200 ] && [ "$from" -ge 200 ] || fail "$p: too little media captured"
	[ "$pto" = 0 ] && [ "$pfrom" = 0 ] || fail "$p: plain RTP on an encrypted leg"
done

step "the SRTP toward each phone opens with the node's key to it, and only with it"
# The keys the node sent each phone (in its INVITE, 200 and re-INVITEs),
# and the keys each phone sent (its own sending keys).
for p in a b; do
	$LIB keys "$CLUSTER_DIR/$p/out" "$TLS" >"$CLUSTER_DIR/$p.wardkeys"
	grep -v -F -f <(cut -d' ' -f1 "$CLUSTER_DIR/$p.wardkeys") \
		<($LIB keys "$CLUSTER_DIR/$p/out") >"$CLUSTER_DIR/$p.ownkeys" || true
	[ -s "$CLUSTER_DIR/$p.wardkeys" ] && [ -s "$CLUSTER_DIR/$p.ownkeys" ] ||
		fail "$p: no keys in its SIP trace"
done
# srtp_is CAPTURE PHONE KEYS WANT: "N AUTH SSRCS P4 P8 P16 P20" checked
# by the awk condition WANT.
srtp_is() {
	local got
	got=$($LIB srtp "$CLUSTER_DIR/$1" "$CLUSTER_DIR/$3" "$(cat "$CLUSTER_DIR/$2/rtp")")
	echo "toward $2 under $3: $got (datagrams, authenticated, SSRCs, periods 4 8 16 20)"
	echo "$got" | awk "{ exit !($4) }" || fail "toward $2 under $3: $got"
}
# B: A's 1 kHz (period 8) and, from the node's own SSRC, the music (4).
srtp_is cap1 b b.wardkeys '$2 == $1 && $3 == 2 && $5 >= 150 && $4 >= 50'
# A: B's 500 Hz (period 16).
srtp_is cap1 a a.wardkeys '$2 == $1 && $3 == 1 && $6 >= 150'
# Keys per direction: no packet toward B opens with A's or B's own key.
srtp_is cap1 b a.ownkeys '$2 == 0'
srtp_is cap1 b b.ownkeys '$2 == 0'

step "the audio arrived: B heard A's 1 kHz, A heard B's 500 Hz"
heard b 1000
heard a 500
# baresip 1.0 does not play the music it receives: on the SSRC change it
# compares the new source's RTP timestamps with the old one's and drops
# them ("rtp timestamp wraps backwards"); the capture above shows the
# music arriving as SRTP B could decrypt.

step "C registers over UDP on a non-secure profile, without SRTP"
phone c $C carol carol-secret-123 udp "" 400
wait_until 20 "C registered over UDP" registered $C udp

step "A calls C: non-secure, reported to both; plain RTP toward C only"
sniff cap2
ctl a dial "sip:1003@127.0.0.1:$TLS;transport=tls"
wait_until 15 "the call talking" talking $A
sleep 3
jq -e '.callee == "'$C'" and .security_level == "non-secure"' "$CLUSTER_DIR/call.json" \
	>/dev/null || fail "call list: $(cat "$CLUSTER_DIR/call.json")"
grep -q "$A -> $C (1003) answered, security level non-secure" "$CLUSTER_DIR/n1.log" ||
	fail "the level was not logged"
trace_has c 'Call-Info: <urn:x-cisco-remotecc:callinfo>;security=NotAuthenticated' ||
	fail "C got no Call-Info security=NotAuthenticated"
trace_has a 'Call-Info: <urn:x-cisco-remotecc:callinfo>;security=NotAuthenticated' ||
	fail "A got no Call-Info security=NotAuthenticated"
relayed_to c RTP/AVP
! trace_has c 'a=crypto' || fail "a key reached the phone over UDP"
ctl a hangup
wait_until 10 "the call gone" no_call $A
sniff_end cap2
read -r to pto from pfrom <<<"$(media_of cap2 c)"
echo "c: $to datagrams to it ($pto plain), $from from it ($pfrom plain)"
[ "$to" -ge 100 ] && [ "$pto" -ge $((to * 9 / 10)) ] &&
	[ "$pfrom" -ge $((from * 9 / 10)) ] || fail "C's leg is not plain RTP"
read -r to pto from pfrom <<<"$(media_of cap2 a)"
echo "a: $to datagrams to it ($pto plain), $from from it ($pfrom plain)"
[ "$to" -ge 100 ] && [ "$pto" = 0 ] && [ "$pfrom" = 0 ] ||
	fail "A's leg is not SRTP only"
$LIB keys "$CLUSTER_DIR/a/out" "$TLS" >"$CLUSTER_DIR/a.wardkeys"
srtp_is cap2 a a.wardkeys '$2 == $1 && $7 >= 100'
heard c 1000
heard a 400

two_nodes_phone
. "$WARD_SRC/tests/system/call_srtp_conf_phase.sh"

step "A's profile 'encrypted or reject': A calls C: 488; A calls B: encrypted"
expect_rc 0 ward_ctl n1 profile set enc --encrypted-or-reject yes
ward_ctl n1 --json profile show enc | jq -e '.encrypted_or_reject == true' >/dev/null ||
	fail "the profile does not show the option"
rejected() { grep -q '^SIP/2.0 488' "$CLUSTER_DIR/a/out"; }
! rejected || fail "a 488 before the test"
invites=$(grep -c '^INVITE ' "$CLUSTER_DIR/c/out")
ctl a dial "sip:1003@127.0.0.1:$TLS;transport=tls"
wait_until 10 "A to get 488" rejected
wait_until 5 "no call left" no_call $A
[ "$(grep -c "$A -> $C (1003) answered" "$CLUSTER_DIR/n1.log")" = 1 ] ||
	fail "the refused call was answered"
[ "$(grep -c '^INVITE ' "$CLUSTER_DIR/c/out")" = "$invites" ] ||
	fail "C was called"
ctl a dial "sip:1002@127.0.0.1:$TLS;transport=tls"
wait_until 15 "the call talking" talking $A
jq -e '.callee == "'$B'" and .security_level == "encrypted"' "$CLUSTER_DIR/call.json" \
	>/dev/null || fail "call list: $(cat "$CLUSTER_DIR/call.json")"
ctl a hangup
wait_until 10 "the call gone" no_call $A

two_nodes_call

step "key hygiene: no SRTP key in the node's log, data directory or audit log"
for p in a b c; do $LIB keys "$CLUSTER_DIR/$p/out"; done | sort -u >"$CLUSTER_DIR/allkeys"
n=$(wc -l <"$CLUSTER_DIR/allkeys")
[ "$n" -ge 6 ] || fail "only $n keys seen"
grep -q "Z debug n1 " "$CLUSTER_DIR/n1.log" || fail "the log is not at debug level"
ward_ctl n1 --json audit --limit 1000 >"$CLUSTER_DIR/audit.json"
[ -s "$CLUSTER_DIR/audit.json" ] || fail "no audit log"
# The search finds what is there: every key is in the phones' traces.
[ "$($LIB hygiene "$CLUSTER_DIR/allkeys" "$CLUSTER_DIR/a/out" "$CLUSTER_DIR/b/out" \
	"$CLUSTER_DIR/c/out" 2>/dev/null | cut -d' ' -f2 | sort -u | wc -l)" = "$n" ] ||
	fail "the search does not find the keys where they are"
$LIB hygiene "$CLUSTER_DIR/allkeys" "$CLUSTER_DIR/n1.log" "$CLUSTER_DIR/n1" \
	"$CLUSTER_DIR/audit.json" >"$CLUSTER_DIR/hygiene.out"
[ ! -s "$CLUSTER_DIR/hygiene.out" ] || fail "keys found: $(cat "$CLUSTER_DIR/hygiene.out")"
for p in a b c; do
	ctl $p quit || true
done
for p in a b c; do
	wait_until 10 "phone $p to stop" sh -c "! kill -0 $(cat "$CLUSTER_DIR/$p.pid") 2>/dev/null"
	rm -f "$CLUSTER_DIR/$p.pid"
done
step "done"
