# baresip.sh: baresip 1.0 as a real SIP phone with SRTP in the system
# tests, and the node's view of its calls; sourced after lib.sh. LIB runs
# test_call_srtp_lib.py (tones, ctrl_tcp, the loopback sniffer, SRTP).
# Each phone lives in $CLUSTER_DIR/NAME: its trace (baresip -s) in out,
# its RTP port in rtp, its SIP port in sip, its ctrl_tcp port in ctl.
LIB="python3 $WARD_SRC/tests/system/test_call_srtp_lib.py"
command -v baresip >/dev/null || fail "baresip is not installed"
[ "$(id -u)" = 0 ] || fail "the loopback capture needs root (AF_PACKET)"

# baresip_start NAME IP CERT HZ ACCOUNT [MEDIAENC]: a baresip listening for
# SIP on IP (TLS on its SIP port + 1) with certificate CERT, auto-answering,
# playing a HZ tone, recording what it hears, driven through ctrl_tcp.
# ACCOUNT is its account line up to the answer mode; MEDIAENC (srtp-mand)
# its media encryption. Its media is on 127.0.0.1 whatever IP (baresip 1.0
# sends RTP from an unbound socket, and the relay checks the source
# against the SDP).
baresip_start() {
	local name=$1 ip=$2 cert=$3 hz=$4 acc=$5 enc=${6:-} d=$CLUSTER_DIR/$1 rtp sipp
	mkdir -p "$d/snd"
	$LIB tone "$d/tone.wav" "$hz" 20
	rtp=$(free_pair)
	sipp=$(free_pair)
	echo "$rtp" >"$d/rtp"
	echo "$sipp" >"$d/sip"
	free_port >"$d/ctl"
	cat >"$d/config" <<EOF2
poll_method epoll
sip_listen $ip:$sipp
sip_certificate $cert
net_interface 127.0.0.1
rtp_ports $rtp-$((rtp + 1))
audio_source aufile,$d/tone.wav
audio_alert aufile,$d/tone.wav
snd_path $d/snd
ctrl_tcp_listen 127.0.0.1:$(cat "$d/ctl")
module_path /usr/lib/baresip/modules
module g711.so
module srtp.so
module aufile.so
module sndfile.so
module menu.so
module ctrl_tcp.so
module account.so
EOF2
	echo "$acc;answermode=auto;audio_codecs=PCMU${enc:+;mediaenc=$enc}" >"$d/accounts"
	(cd "$d" && exec baresip -f "$d" -s -v </dev/null >"$d/out" 2>&1) &
	echo $! >"$CLUSTER_DIR/$name.pid"
}

# baresip_on_exit PHONE...: on a failure, before lib.sh's cleanup, the end
# of each phone's trace, without its keys; with $SRTP_KEEP set, the
# phones, the logs and the captures (cap*, sink-*) are copied there.
baresip_on_exit() {
	BARESIP_PHONES=("$@")
	trap 'rc=$?; set +e; baresip_tails $rc; (exit $rc); sys_cleanup' EXIT
}
baresip_tails() {
	local p dirs=()
	[ "$1" = 0 ] && return 0
	for p in "${BARESIP_PHONES[@]}"; do
		dirs+=("$CLUSTER_DIR/$p")
		[ -e "$CLUSTER_DIR/$p/out" ] || continue
		echo "--- $CLUSTER_DIR/$p/out" >&2
		grep -v "a=crypto" "$CLUSTER_DIR/$p/out" | tail -30 >&2
	done
	if [ -n "${SRTP_KEEP:-}" ]; then
		mkdir -p "$SRTP_KEEP"
		cp -a "${dirs[@]}" "$CLUSTER_DIR"/*.log "$CLUSTER_DIR"/cap* \
			"$CLUSTER_DIR"/sink-* "$SRTP_KEEP" 2>/dev/null || true
	fi
}

# ctl PHONE COMMAND [PARAMS]: one command to the phone's ctrl_tcp.
ctl() { $LIB ctl "$(cat "$CLUSTER_DIR/$1/ctl")" "${@:2}" >/dev/null; }

# registered DEVICE TRANSPORT: n1 shows its binding, over TRANSPORT (the
# device as JSON in show.json).
registered() {
	ward_ctl n1 --json device show "$1" >"$CLUSTER_DIR/show.json" &&
		jq -e ".registration.transport == \"$2\"" "$CLUSTER_DIR/show.json"
}

# call_of DEVICE: n1's call with DEVICE as caller or callee, as JSON.
call_of() {
	ward_ctl n1 --json call list |
		jq -ce ".calls[] | select(.caller == \"$1\" or .callee == \"$1\")"
}
# talking DEVICE: its call talking (the call in call.json).
talking() {
	call_of "$1" >"$CLUSTER_DIR/call.json" &&
		jq -e '.state == "talking"' "$CLUSTER_DIR/call.json"
}
no_call() { ! call_of "$1"; }

# sniff NAME [LO HI]: captures, in $CLUSTER_DIR/NAME, the datagrams to and
# from the media ports (n1's, $MLO..$MHI, or LO..HI); sniff_end NAME ends it.
sniff() {
	$LIB sniff "$CLUSTER_DIR/$1" "${2:-$MLO}" "${3:-$MHI}" 60 &
	echo $! >"$CLUSTER_DIR/$1-sniff.pid"
	wait_until 5 "the capture" test -e "$CLUSTER_DIR/$1.ready"
}
sniff_end() {
	touch "$CLUSTER_DIR/$1.stop"
	wait "$(cat "$CLUSTER_DIR/$1-sniff.pid")" || fail "the capture failed"
	rm "$CLUSTER_DIR/$1-sniff.pid"
}
# media_of CAPTURE PHONE: "TO PLAIN_TO FROM PLAIN_FROM" for its RTP port.
media_of() { $LIB media "$CLUSTER_DIR/$1" "$(cat "$CLUSTER_DIR/$2/rtp")"; }

# heard PHONE HZ [N]: at least N (default 4) half seconds of the
# phone's recording of its last call are a pure HZ tone (±10 Hz, at least
# 80% of the power).
heard() {
	local f n
	f=$(ls -t "$CLUSTER_DIR/$1"/snd/*-dec.wav | head -1)
	$LIB freq "$f" >"$CLUSTER_DIR/$1.freq"
	n=$(awk -v hz="$2" '$1 >= hz - 10 && $1 <= hz + 10 && $2 >= 0.8' \
		"$CLUSTER_DIR/$1.freq" | wc -l)
	echo "$1 heard $2 Hz for $n half seconds"
	[ "$n" -ge "${3:-4}" ] ||
		fail "$1 did not hear $2 Hz: $(ls "$CLUSTER_DIR/$1/snd") $(tr '\n' ' ' <"$CLUSTER_DIR/$1.freq")"
}

# tls_listening: n1's SIP TLS port ($TLS) listens.
tls_listening() { ss -Hlnt "sport = :$TLS" | grep -q .; }
# trusts NAME CERT: node NAME's SIP trust file holds certificate CERT,
# and its TLS listener has read it: a new client is asked for CERT's CA.
trusts() {
	local host tls subj
	grep -q "$(sed -n 2p "$2")" "$CLUSTER_DIR/$1/sip-tls/cafile.pem" ||
		return 1
	read -r host _ tls <<<"$(ward_sip "$1")"
	subj=$(openssl x509 -in "$2" -noout -subject) || return 1
	openssl s_client -connect "$host:$tls" </dev/null 2>/dev/null |
		grep -qxF "${subj#subject=}"
}
