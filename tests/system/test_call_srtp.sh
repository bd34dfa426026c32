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
# node's log, its data directory (LMDB, Raft log, snapshots) or the audit
# log, raw, in hex or in base64.
. "$(dirname "$0")/lib.sh"

LIB="python3 $WARD_SRC/tests/system/test_call_srtp_lib.py"
PKI=$CLUSTER_DIR/pki
A=SEP00000000A001
B=SEP00000000B002
C=SEP00000000C003
# On failure, the end of each phone's output too.
phone_tails() {
	local d
	[ "$1" = 0 ] && return 0
	for d in "$CLUSTER_DIR"/[abc]; do
		[ -e "$d/out" ] || continue
		echo "--- $d/out" >&2
		grep -v "a=crypto" "$d/out" | tail -30 >&2
	done
	[ -z "${SRTP_KEEP:-}" ] || cp -a "$CLUSTER_DIR" "$SRTP_KEEP"
}
trap 'rc=$?; phone_tails $rc; (exit $rc); sys_cleanup' EXIT
command -v baresip >/dev/null || fail "baresip is not installed"
[ "$(id -u)" = 0 ] || fail "the loopback capture needs root (AF_PACKET)"

# baresip 1.0 (libre) answers only MD5 and only the first challenge.
node_conf n1 "[sip]" "digest_algorithms = MD5" \
	"[capf]" "listen = 127.0.0.1:$(free_port)"
read -r _ SIP TLS <<<"$(ward_sip n1)"
MLO=$(sed -n 's/^port_min = //p' "$CLUSTER_DIR/n1.conf")
MHI=$(sed -n 's/^port_max = //p' "$CLUSTER_DIR/n1.conf")
python3 "$WARD_SRC/tests/system/sip/mkpki.py" "$PKI" $A $B $C >/dev/null

step "a node in mixed mode (two trial tokens, a signed CTL), the MIC CA trusted"
ward_init n1 srtptest
export WARD_DIR=$CLUSTER_DIR/tokens SOFTHSM2_CONF=$CLUSTER_DIR/tokens/softhsm2.conf
mkdir -p "$WARD_DIR"
HSM=/usr/lib/softhsm/libsofthsm2.so
for t in tokA tokB; do
	"$WARD_SRC/deploy/token" $t >/dev/null 2>&1 || fail "deploy/token $t"
	expect_rc 0 ward_ctl n1 token register --module $HSM --token $t
done
expect_rc 0 ward_ctl n1 ctl sign --module $HSM --token tokA \
	--pin-file "$WARD_DIR/tokA.pin"
expect_rc 0 ward_ctl n1 security mode mixed
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

# The role restarts with the TLS files holding the MIC CA: wait for it.
has_mic_ca() { grep -q "$(sed -n 2p "$PKI/mic-ca.pem")" "$CLUSTER_DIR/n1/sip-tls/cafile.pem"; }
wait_until 30 "the MIC CA in the node's SIP trust file" has_mic_ca
tls_listening() { ss -Hlnt "sport = :$TLS" | grep -q .; }
wait_until 30 "n1's SIP TLS port" tls_listening

# phone NAME DEVICE USER SECRET TRANSPORT MEDIAENC TONE_HZ: a baresip in
# CLUSTER_DIR/NAME, auto-answering, playing a tone, recording what it
# hears, driven through ctrl_tcp; NAME.ctl holds that port, NAME.rtp its
# RTP port.
phone() {
	local name=$1 dev=$2 user=$3 secret=$4 tp=$5 enc=$6 hz=$7
	local d=$CLUSTER_DIR/$name rtp port uri
	mkdir -p "$d/snd"
	$LIB tone "$d/tone.wav" "$hz" 20
	rtp=$(free_port)
	rtp=$((rtp & ~1))
	echo "$rtp" >"$d/rtp"
	free_port >"$d/ctl"
	cat >"$d/config" <<EOF2
poll_method epoll
sip_listen 127.0.0.1:$(free_port)
sip_certificate $PKI/$dev-mic.pem
net_interface 127.0.0.1
rtp_ports $rtp-$((rtp + 1))
audio_source aufile,$d/tone.wav
audio_alert aufile,$d/tone.wav
snd_path $d/snd
ctrl_tcp_listen 127.0.0.1:$(cat "$d/ctl")
module_path /usr/lib/baresip/modules
module account.so
module g711.so
module srtp.so
module aufile.so
module sndfile.so
module menu.so
module ctrl_tcp.so
EOF2
	port=$TLS
	[ "$tp" = udp ] && port=$SIP
	uri="<sip:$dev@127.0.0.1:$port;transport=$tp>"
	echo "$uri;auth_user=$user;auth_pass=$secret;regint=60;answermode=auto;audio_codecs=PCMU${enc:+;mediaenc=$enc}" \
		>"$d/accounts"
	(
		cd "$d" && exec baresip -f "$d" -s -v </dev/null >"$d/out" 2>&1
	) &
	echo $! >"$CLUSTER_DIR/$name.pid"
}
# registered DEVICE TRANSPORT: the node shows its binding, over TRANSPORT.
registered() {
	ward_ctl n1 --json device show "$1" >"$CLUSTER_DIR/show.json" &&
		jq -e ".registration.transport == \"$2\"" "$CLUSTER_DIR/show.json"
}

step "baresip A and B register over TLS with their MICs, SRTP mandatory"
phone a $A alice alice-secret-123 tls srtp-mand 1000
phone b $B bob bob-secret-123 tls srtp-mand 500
wait_until 20 "A registered over TLS" registered $A tls
jq -c .registration "$CLUSTER_DIR/show.json"
wait_until 20 "B registered over TLS" registered $B tls

step "A calls 1002, B answers by itself"
# Every datagram to or from the node's media ports, from before the call.
$LIB sniff "$CLUSTER_DIR/cap1" "$MLO" "$MHI" 60 &
wait_until 5 "the capture" test -e "$CLUSTER_DIR/cap1.ready"
$LIB ctl "$(cat "$CLUSTER_DIR/a/ctl")" dial "sip:1002@127.0.0.1:$TLS;transport=tls"
sleep 10
touch "$CLUSTER_DIR/cap1.stop"
sleep 1
ward_ctl n1 call list
cat $CLUSTER_DIR/cap1 | awk '{print $1, $2, $3}' | sort | uniq -c
fail debug-stop
