#!/usr/bin/env bash
# The media relay inside a real wardd: the [media] settings checked by
# `wardd -n`, the media thread started with the signaling role on the
# node's address and its own port range with the music-on-hold file,
# nothing bound before a call; a SIPp call through the node (with a hold)
# whose SDP names ward's address and relay ports and whose relay sockets
# live exactly as long as the call; and a clean stop. (Calls through it are the B2BUA's tests; the table itself
# is tested end to end in tests/unit/test_wardd_media.c.)
. "$(dirname "$0")/lib.sh"

SCEN=$WARD_SRC/tests/system/sip
command -v sipp >/dev/null || fail "sipp (sip-tester) is not installed"
head -c 1600 /dev/urandom >"$CLUSTER_DIR/hold.ul" # 200 ms of "music"
# SIPp 3.6 answers only the first challenge and knows only MD5.
node_conf n1 "[media]" "hold_music = $CLUSTER_DIR/hold.ul" \
	"[sip]" "digest_algorithms = MD5"
read -r _ SIP TLS <<<"$(ward_sip n1)"
lo=$(sed -n 's/^port_min = //p' "$CLUSTER_DIR/n1.conf")
hi=$(sed -n 's/^port_max = //p' "$CLUSTER_DIR/n1.conf")
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
		-i 127.0.0.1 -p "$lport" -timeout 20 -trace_err "$@" \
		</dev/null >/dev/null 2>&1)
}
errors_of() { cat "$CLUSTER_DIR/$1"/*errors.log 2>/dev/null | grep -v "^ *$" | tail -40; }
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
for u in alice bob; do
	WARD_NEW_PASSWORD=$u-secret-123 expect_rc 0 ward_ctl n1 user add $u
done
expect_rc 0 ward_ctl n1 profile add dig --digest-auth yes
expect_rc 0 ward_ctl n1 device add SEP000000000001 --model 8841 \
	--profile dig --lines 1001 --digest-user alice
expect_rc 0 ward_ctl n1 device add SEP000000000002 --model 8841 \
	--profile dig --lines 1002 --digest-user bob
# The role restarts once with its TLS files: register after that.
wait_until 30 "n1 serves its CallManager certificate on TLS" serves_file
wait_until 20 "n1's SIP port" listening
PID=$(ward_pid n1)
BOB=$(free_port)
printf 'SEQUENTIAL\nSEP000000000002;[authentication username=bob password=bob-secret-123]\n' \
	>"$CLUSTER_DIR/bob.csv"
sipp_run reg-bob "$BOB" "$SCEN/register.xml" -inf "$CLUSTER_DIR/bob.csv" \
	"127.0.0.1:$SIP" || fail "bob did not register: $(errors_of reg-bob)"
(
	rc=0
	sipp_run answer "$BOB" "$SCEN/call_uas.xml" -trace_msg || rc=$?
	echo $rc >"$CLUSTER_DIR/answer.rc"
) &
sleep 0.3
printf 'SEQUENTIAL\nSEP000000000001;[authentication username=alice password=alice-secret-123];1002\n' \
	>"$CLUSTER_DIR/alice.csv"
(
	rc=0
	sipp_run call "$(free_port)" "$SCEN/call_uac.xml" -trace_msg \
		-inf "$CLUSTER_DIR/alice.csv" -d 4000 \
		-auth_uri "1002@127.0.0.1:$SIP" "127.0.0.1:$SIP" || rc=$?
	echo $rc >"$CLUSTER_DIR/call.rc"
) &
# RTP and RTCP for each leg (SIPp offers no rtcp-mux): four sockets.
four() { [ "$(media_socks)" = 4 ]; }
wait_until 10 "the relay's sockets for the call" four
wait_until 20 "the caller to end" test -e "$CLUSTER_DIR/call.rc"
[ "$(cat "$CLUSTER_DIR/call.rc")" = 0 ] || fail "caller: $(errors_of call)"
wait_until 10 "the callee to end" test -e "$CLUSTER_DIR/answer.rc"
[ "$(cat "$CLUSTER_DIR/answer.rc")" = 0 ] || fail "callee: $(errors_of answer)"
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
