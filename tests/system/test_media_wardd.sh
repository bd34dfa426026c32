#!/usr/bin/env bash
# The media relay inside a real wardd: the [media] settings checked by
# `wardd -n`, the media thread started with the signaling role on the
# node's address and its own port range with the music-on-hold file,
# nothing bound before a call, and a clean stop. (Calls through it are the B2BUA's tests; the table itself
# is tested end to end in tests/unit/test_wardd_media.c.)
. "$(dirname "$0")/lib.sh"

head -c 1600 /dev/urandom >"$CLUSTER_DIR/hold.ul" # 200 ms of "music"
node_conf n1 "[media]" "hold_music = $CLUSTER_DIR/hold.ul"
read -r _ SIP _ <<<"$(ward_sip n1)"
lo=$(sed -n 's/^port_min = //p' "$CLUSTER_DIR/n1.conf")
hi=$(sed -n 's/^port_max = //p' "$CLUSTER_DIR/n1.conf")
listening() { ss -Hlnu "sport = :$SIP" | grep -q .; }
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

step "a clean stop: no call left open"
ward_stop n1
grep -q "stopped" "$CLUSTER_DIR/n1.log" || fail "no stop line"
! grep -q "calls still open" "$CLUSTER_DIR/n1.log" || fail "calls left open"
step "ok"
