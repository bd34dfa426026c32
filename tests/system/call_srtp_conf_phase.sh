# A phase of test_call_srtp.sh (sourced there, with its phones B
# encrypted over TLS and C non-secure over UDP, its helpers and node): the
# ad hoc conference with real phones (docs/sip.md, "Conference and
# barge"). Two more encrypted phones register: D (750 Hz) and E (1 kHz,
# the owner, with a range of RTP ports: it holds two calls at once). E
# dials the conference factory number, holds, calls B, transfers B to the
# factory number, takes the conference back (line 1, resume), does the
# same with D, then with G (200 Hz, registered on n2: its party on n1 is
# the node leg, n2 relays the mix to it under n2's key): four encrypted
# parties mixed in n1. Checked: `wardctl call list` on n1 shows four
# parties at level encrypted, G's among them, and n2's shows G's call
# encrypted; B and D were told security=Encrypted (E in ward's 200), G in
# an UPDATE sent on by n2; every datagram n1 sent B and D, and n2 sent G
# (a capture of n2's media ports), authenticates under that node's key to
# the phone (no plain RTP on an encrypted leg); each recording holds the
# three others' tones and not the phone's own. Then E brings in C
# (non-secure): every phone, G through n2, is told NotAuthenticated in an
# UPDATE and the list says non-secure. Barge, the seed's rule:
# F, a non-secure device sharing B's line 1002, sends an INVITE with Join
# naming B's encrypted call (sip/sipclient.py over UDP): 486, as the seed
# says the barger hears busy.
F=SEP00000000F006
CONF=8000 # the node's sip.conference_number

# conf_parties LEVEL N: N calls in the conference at LEVEL.
conf_parties() {
	ward_ctl n1 --json call list >"$CLUSTER_DIR/conf.json" &&
		[ "$(jq "[.calls[] | select(.state == \"conference\" and .security_level == \"$1\")] | length" \
			"$CLUSTER_DIR/conf.json")" = "$2" ]
}
# told_in_update PHONE [LEVEL]: an UPDATE in its SIP trace carried
# security=LEVEL (NotAuthenticated).
told_in_update() {
	awk -v l="security=${2:-NotAuthenticated}" \
		'/^UPDATE /{u=1} u && index($0, l){f=1} /^\r?$/{u=0} END{exit !f}' \
		"$CLUSTER_DIR/$1/out"
}
# listed REGEX: a line of `wardctl call list` matches.
listed() { ward_ctl n1 call list | grep -q "$1"; }
# owner_phone: E, as phone() makes one, with RTP ports E.rtp..+7.
owner_phone() {
	local d=$CLUSTER_DIR/e rtp sipp
	mkdir -p "$d/snd"
	$LIB tone "$d/tone.wav" 1000 30
	while :; do
		rtp=$(free_pair)
		ss -Htuan "( sport >= :$rtp and sport <= :$((rtp + 7)) )" | grep -q . ||
			break
	done
	echo "$rtp" >"$d/rtp"
	free_port >"$d/ctl"
	sipp=$(free_pair)
	sed -e "s|^rtp_ports .*|rtp_ports $rtp-$((rtp + 7))|" \
		-e "s|^sip_listen .*|sip_listen 127.0.0.1:$sipp|" \
		-e "s|^ctrl_tcp_listen .*|ctrl_tcp_listen 127.0.0.1:$(cat "$d/ctl")|" \
		-e "s|$CLUSTER_DIR/d/|$d/|g" -e "s|$D-mic|$E-mic|" \
		"$CLUSTER_DIR/d/config" >"$d/config"
	sed -e "s|$D|$E|" -e "s|auth_user=dave;auth_pass=dave|auth_user=erin;auth_pass=erin|" \
		"$CLUSTER_DIR/d/accounts" >"$d/accounts"
	(
		cd "$d" && exec baresip -f "$d" -s -v </dev/null >"$d/out" 2>&1
	) &
	echo $! >"$CLUSTER_DIR/e.pid"
}
# barge_busy: F's barge into B's call (encrypted): 486.
barge_busy() {
	local join
	join=$(python3 "$WARD_SRC/tests/system/sip/dialog_of.py" "$CLUSTER_DIR/b/out") ||
		fail "B's dialog not in its trace"
	python3 "$WARD_SRC/tests/system/sip/sipclient.py" --server "127.0.0.1:$SIP" \
		--transport udp --method INVITE --device $F --user frank \
		--password frank-secret-123 --alg MD5 --header "Join: $join" \
		--expect 486 >"$CLUSTER_DIR/barge.out" ||
		fail "F's barge into an encrypted call: $(tr '\n' ' ' <"$CLUSTER_DIR/barge.out")"
	grep -q "barge by $F (non-secure) into an encrypted call refused" \
		"$CLUSTER_DIR/n1.log" || fail "the refused barge was not logged"
}
# conf_bring PHONE_NUMBER N LEVEL [HOOK]: E holds the conference, calls
# the number (HOOK runs once it talks), transfers the callee to the
# factory and resumes line 1.
conf_bring() {
	ctl e hold
	sleep 0.5
	ctl e dial "sip:$1@127.0.0.1:$TLS;transport=tls"
	wait_until 15 "$1 answering E" listed " $1 .*talking"
	[ -z "${4:-}" ] || "$4"
	sleep 0.5
	ctl e transfer "sip:$CONF@127.0.0.1:$TLS;transport=tls"
	wait_until 15 "$2 parties in the conference" conf_parties "$3" "$2"
	ctl e line 1
	ctl e resume
}
# conf_heard PHONE WANT NOT: its conference recording (its longest) holds
# the WANT tones together for at least 3 s and never NOT.
conf_heard() {
	local f got
	f=$(ls -S "$CLUSTER_DIR/$1"/snd/*-dec.wav | head -1)
	got=$(python3 "$WARD_SRC/tests/system/conf_tones.py" "$f" "$2" "$3")
	echo "$1 heard $2 together for $(echo "$got" | cut -d' ' -f1) half seconds, $3 for $(echo "$got" | cut -d' ' -f2) (of $(echo "$got" | cut -d' ' -f3))"
	echo "$got" | awk '{ exit !($1 >= 6 && $2 == 0) }' ||
		fail "$1 did not hear $2 without $3: $got"
}

# conf_sent PHONE WANT NOT: the same from what the node sent the owner's
# ports (baresip 1.0 records nothing of a call after its hold and resume,
# and the owner holds its conference call to bring each party in); and
# every datagram toward them opens under the node's keys to it.
conf_sent() {
	local lo got
	lo=$(cat "$CLUSTER_DIR/$1/rtp")
	got=$(python3 "$WARD_SRC/tests/system/conf_tones.py" --capture \
		"$CLUSTER_DIR/capconf" "$CLUSTER_DIR/$1.wardkeys" "$lo" $((lo + 7)) "$2" "$3")
	echo "$1 was sent $2 together for $(echo "$got" | cut -d' ' -f1) half seconds, $3 for $(echo "$got" | cut -d' ' -f2) (of $(echo "$got" | cut -d' ' -f3))"
	echo "toward $1 (ports $lo-$((lo + 7))): $(echo "$got" | cut -d' ' -f4) datagrams, $(echo "$got" | cut -d' ' -f5) authenticated"
	echo "$got" | awk '{ exit !($1 >= 6 && $2 == 0 && $4 >= 200 && $5 == $4) }' ||
		fail "$1 was not sent $2 without $3, all SRTP: $got"
}

conference_phase() {
	step "conference: D (encrypted, 750 Hz) and E (the owner, 1 kHz) register over TLS"
	for u in dave erin frank; do
		WARD_NEW_PASSWORD=$u-secret-123 expect_rc 0 ward_ctl n1 user add $u
	done
	expect_rc 0 ward_ctl n1 device add $D --model 8841 --capabilities tls,srtp \
		--profile enc --lines 1004 --digest-user dave
	expect_rc 0 ward_ctl n1 device add $E --model 8841 --capabilities tls,srtp \
		--profile enc --lines 1005 --digest-user erin
	expect_rc 0 ward_ctl n1 device add $F --model 8841 --profile plain \
		--lines 1002 --digest-user frank
	phone d $D dave dave-secret-123 tls srtp-mand 750
	owner_phone
	wait_until 20 "$D registered over TLS" registered $D tls
	wait_until 20 "$E registered over TLS" registered $E tls

	step "conference: E dials $CONF, brings in B, D, then G (on n2) by blind transfers; F may not barge into B's call"
	sniff capconf
	sniff capg "$MLO2" "$MHI2"
	ctl e dial "sip:$CONF@127.0.0.1:$TLS;transport=tls"
	wait_until 15 "E's conference" conf_parties encrypted 1
	conf_bring 1002 2 encrypted barge_busy
	conf_bring 1004 3 encrypted
	conf_bring 1007 4 encrypted
	# The four together from here to C's bring: 3 s asked of each
	# recording (conf_heard), 4 s given.
	sleep 4
	conf_parties encrypted 4 || fail "call list: $(cat "$CLUSTER_DIR/conf.json")"
	ward_ctl n1 call list >"$CLUSTER_DIR/conf.txt"
	cat "$CLUSTER_DIR/conf.txt"
	for d in $B $D $G; do
		grep -q "$d .*$CONF .*conference .*encrypted" "$CLUSTER_DIR/conf.txt" ||
			fail "$d not a party at level encrypted on n1"
	done
	call_on n2 $G | jq -e '.state == "talking" and .security_level == "encrypted"' \
		>/dev/null || fail "n2's call list: $(ward_ctl n2 call list)"
	for p in b d; do
		trace_has $p 'Call-Info: <urn:x-cisco-remotecc:callinfo>;security=Encrypted' ||
			fail "$p was not told security=Encrypted"
	done
	told_in_update g Encrypted || fail "G (on n2) was not told security=Encrypted in an UPDATE"

	step "conference: C (non-secure) joins: everybody is told NotAuthenticated"
	conf_bring 1003 5 non-secure
	for p in e b d c g; do
		wait_until 5 "$p told NotAuthenticated in an UPDATE" told_in_update $p
	done
	# Below two parties the conference ends: C gets the node's BYE.
	for p in e b d g; do
		ctl $p hangup
	done
	wait_until 10 "the conference's end" \
		grep -q "conference of $E ended" "$CLUSTER_DIR/n1.log"
	no_g_n2() { ! call_on n2 $G; }
	wait_until 10 "G's call gone from n2" no_g_n2
	sniff_end capconf
	sniff_end capg

	step "conference: SRTP only toward the encrypted phones (G's from n2), each heard the three others"
	for p in e b d; do
		$LIB keys "$CLUSTER_DIR/$p/out" "$TLS" >"$CLUSTER_DIR/$p.wardkeys"
	done
	$LIB keys "$CLUSTER_DIR/g/out" "$TLS2" >"$CLUSTER_DIR/g.wardkeys"
	for p in b d; do
		srtp_is capconf $p $p.wardkeys '$2 == $1 && $1 >= 200'
	done
	srtp_is capg g g.wardkeys '$2 == $1 && $1 >= 200'
	conf_sent e 500,750,200 1000
	conf_heard b 1000,750,200 500
	conf_heard d 1000,500,200 750
	conf_heard g 1000,500,750 200
	for p in d e; do
		ctl $p quit || true
		wait_until 10 "phone $p to stop" sh -c "! kill -0 $(cat "$CLUSTER_DIR/$p.pid") 2>/dev/null"
		rm -f "$CLUSTER_DIR/$p.pid"
	done
}
conference_phase
