#!/usr/bin/env bash
# The media relay inside a real wardd: the [media] settings checked by
# `wardd -n`, the media thread started with the signaling role on the
# node's address and its own port range with the music-on-hold file,
# nothing bound before a call; a SIPp call through the node (with a hold)
# whose SDP names ward's address and relay ports and whose relay sockets
# live exactly as long as the call; and a clean stop. (Calls through it are the B2BUA's tests; the table itself
# is tested end to end in tests/unit/test_wardd_media.c.)
. "$(dirname "$0")/lib.sh"
. "$WARD_SRC/tests/system/sip/sipp.sh"

head -c 1600 /dev/urandom >"$CLUSTER_DIR/hold.ul" # 200 ms of "music"
# SIPp 3.6 answers only the first challenge and knows only MD5.
node_conf n1 "[media]" "hold_music = $CLUSTER_DIR/hold.ul" \
	"[sip]" "digest_algorithms = MD5"
read -r _ SIP TLS <<<"$(ward_sip n1)"
lo=$(sed -n 's/^port_min = //p' "$CLUSTER_DIR/n1.conf")
hi=$(sed -n 's/^port_max = //p' "$CLUSTER_DIR/n1.conf")
listening() { ss -Hlnu "sport = :$SIP" | grep -q .; }
# The relay's sockets the node holds now.
media_socks() {
	ss -Hanup "( sport >= :$lo and sport <= :$hi )" | grep -c "pid=$PID," || true
}
# Ports of the node's range that the node itself holds (other tests on
# the machine may hold some of the range: the relay skips those).
media_bound() {
	ss -Hanup "( sport >= :$lo and sport <= :$hi )" |
		grep -q "pid=$PID,"
}

step "wardd -n refuses wrong [media] settings and names them"
expect_rc 0 "$WARDD" -n -c "$CLUSTER_DIR/n1.conf"
expect_rc 2 "$WARDD" -n -c "$CLUSTER_DIR/n1.conf" \
	-s media.crypto_suites=AES_256_CM_HMAC_SHA1_80
why=$("$WARDD" -n -c "$CLUSTER_DIR/n1.conf" \
	-s media.crypto_suites=F8_128_HMAC_SHA1_80 2>&1 || true)
[[ $why == *media.crypto_suites* ]] || fail "no reason given: $why"
expect_rc 2 "$WARDD" -n -c "$CLUSTER_DIR/n1.conf" -s media.port_min=30000 \
	-s media.port_max=20000
expect_rc 2 "$WARDD" -n -c "$CLUSTER_DIR/n1.conf" -s media.max_calls=0
expect_rc 2 "$WARDD" -n -c "$CLUSTER_DIR/n1.conf" -s media.address=0.0.0.0
expect_rc 2 "$WARDD" -n -c "$CLUSTER_DIR/n1.conf" -s media.address=ward.example
expect_rc 0 "$WARDD" -n -c "$CLUSTER_DIR/n1.conf" -s media.address=127.0.0.1
expect_rc 2 "$WARDD" -n -c "$CLUSTER_DIR/n1.conf" -s media.allow_rtp_bridge=2
expect_rc 0 "$WARDD" -n -c "$CLUSTER_DIR/n1.conf" \
	-s media.crypto_suites=AES_CM_128_HMAC_SHA1_80,AES_CM_128_HMAC_SHA1_32

step "a node: the media thread starts with the signaling role"
ward_init n1 mediatest
wait_until 20 "n1's SIP port" listening
PID=$(ward_pid n1)
wait_until 10 "the media relay's start line" \
	grep -q "media: relay on 127.0.0.1, ports $lo-$hi, at most 4096 calls, music on hold" "$CLUSTER_DIR/n1.log"
! grep -q "media relay not started" "$CLUSTER_DIR/n1.log" ||
	fail "media relay not started"
! media_bound || fail "media ports bound before any call"

step "a call through the node: its media relayed, the sockets gone after"
sipp_ward_pair n1
# The role restarts once with its TLS files: register after that.
wait_until 30 "n1 serves its CallManager certificate on TLS" \
	sip_serves_cm n1 "$TLS"
wait_until 20 "n1's SIP port" listening
PID=$(ward_pid n1)
BOB=$(free_port)
sipp_register reg-bob "$BOB" "127.0.0.1:$SIP" SEP000000000002 bob \
	bob-secret-123
sipp_bg answer "$BOB" "$SIPP_SCEN/call_uas.xml" -trace_msg
sipp_bg call "$(free_port)" "$SIPP_SCEN/call_uac.xml" -trace_msg -d 4000 \
	-inf "$(sipp_csv alice.csv SEP000000000001 \
		"$(sipp_auth alice alice-secret-123)" 1002)" \
	-auth_uri "$(sipp_auth_uri 1002 "127.0.0.1:$SIP")" "127.0.0.1:$SIP"
# RTP and RTCP for each leg (SIPp offers no rtcp-mux): four sockets.
four() { [ "$(media_socks)" = 4 ]; }
wait_until 10 "the relay's sockets for the call" four
sipp_ok call 20
sipp_ok answer 10
none() { [ "$(media_socks)" = 0 ]; }
wait_until 5 "the relay's sockets closed" none
# What each phone was sent names ward's media address and a relay port,
# never the other phone's (SIPp's own media port is 6000 and up).
received() { # the messages a SIPp phone received, from its trace
	awk '/message received/ {r = 1; next} /message sent/ {r = 0} r' \
		"$CLUSTER_DIR/$1"/*messages.log
}
for who in answer call; do
	msgs=$(received $who)
	port=$(grep -m1 -o "^m=audio [0-9]*" <<<"$msgs" | cut -d' ' -f2)
	[ -n "$port" ] && [ "$port" -ge "$lo" ] && [ "$port" -le "$hi" ] ||
		fail "SDP to a phone: m=audio port ${port:-none} not the relay's"
	grep -q "^c=IN IP4 127.0.0.1" <<<"$msgs" || fail "SDP: no c= of ward"
done

step "a clean stop: no call left open"
ward_stop n1
grep -q "stopped" "$CLUSTER_DIR/n1.log" || fail "no stop line"
! grep -q "calls still open" "$CLUSTER_DIR/n1.log" || fail "calls left open"
step "ok"
