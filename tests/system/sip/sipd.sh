# sipd.sh: ward_sipd, the signaling role over an in-memory directory, for
# the system tests; sourced after lib.sh. Each instance is named: its pid
# in $CLUSTER_DIR/NAME.pid, its log in NAME.log.

SIPD=$WARD_BIN/tests/ward_sipd

# sipd_start NAME PORT [ARGS...]: ward_sipd on 127.0.0.1:PORT (UDP and
# TCP) over the directory ${SIPD_DIR:-$CLUSTER_DIR/dir.txt}, with ARGS;
# returns once it listens on PORT and on the --tls-port of ARGS, if any.
sipd_start() {
	local name=$1 port=$2 prev="" a tls=""
	shift 2
	for a in "$@"; do
		[ "$prev" = --tls-port ] && tls=$a
		prev=$a
	done
	"$SIPD" --dir "${SIPD_DIR:-$CLUSTER_DIR/dir.txt}" --host 127.0.0.1 \
		--port "$port" "$@" >"$CLUSTER_DIR/$name.out" \
		2>"$CLUSTER_DIR/$name.log" &
	echo $! >"$CLUSTER_DIR/$name.pid"
	for a in $port $tls; do
		wait_until 5 "$name listening on $a" \
			sh -c "ss -Hlnt 'sport = :$a' | grep -q ."
	done
}

# sipd_stop NAME: ends it.
sipd_stop() {
	kill "$(cat "$CLUSTER_DIR/$1.pid")"
	wait_until 5 "$1 to stop" sh -c "! kill -0 $(cat "$CLUSTER_DIR/$1.pid") 2>/dev/null"
	rm -f "$CLUSTER_DIR/$1.pid"
}

# sipd_stop_clean NAME: sipd_stop; under a sanitizer build (WARD_SANITIZE)
# a leak or a bad access shows in its log, and a device still counted in
# calls once every call ended (call_devs.h) in any build.
sipd_stop_clean() {
	sipd_stop "$1"
	if grep -q "Sanitizer" "$CLUSTER_DIR/$1.log"; then
		fail "sanitizer report: $(grep -A12 Sanitizer "$CLUSTER_DIR/$1.log" | head -30)"
	fi
	if grep -q "still counted after the last call" "$CLUSTER_DIR/$1.log"; then
		fail "max_calls_per_device's table missed a change of a call's devices"
	fi
}

# sipd_fp FILE: the fingerprint mkpki.py noted for its FILE ($PKI/fp.txt).
sipd_fp() { grep "^$1 " "$PKI/fp.txt" | cut -d' ' -f2; }
# sipd_secure: the lines of a directory that make its cluster a secure one
# trusting mkpki.py's test MIC CA and cluster CA (LSCs).
sipd_secure() {
	echo "secure 1"
	echo "microot $(sipd_fp mic-ca.pem)"
	echo "lscca $(sipd_fp cluster-ca.pem)"
}

# sipd_phones_dir: $CLUSTER_DIR/dir.txt with four phones — alice 1001, bob
# 1002, carol 1003 and dave 1004, whose profile is "encrypted or reject";
# passwords pw-NAME — and the numbers 900X blocked.
sipd_phones_dir() {
	cat >"$CLUSTER_DIR/dir.txt" <<DIR
realm ward.test
secret $(openssl rand -hex 32)
user alice pw-alice
user bob pw-bob
user carol pw-carol
user dave pw-dave
device SEP000000000001 user=alice line=1001
device SEP000000000002 user=bob line=1002
device SEP000000000003 user=carol line=1003
device SEP000000000004 user=dave line=1004 reject=1
pattern 900X block
DIR
}
