# lib.sh: what every system test needs — a temporary cluster directory, free
# loopback ports, assertions, and a cleanup that stops every node it started.
# Sourced by tests/system/test_*.sh; CTest sets WARD_BIN and WARD_SRC.
set -euo pipefail

WARD_SRC=${WARD_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
WARD_BIN=${WARD_BIN:-$WARD_SRC/build}
export WARDD=$WARD_BIN/node/wardd
export WARDCTL=$WARD_BIN/tools/wardctl/wardctl
CLUSTER_DIR=$(mktemp -d /tmp/ward-systest.XXXXXX)
export CLUSTER_DIR
export WARD_USER=admin
export WARD_PASSWORD=test-password-$RANDOM$RANDOM
unset WARD_URL WARD_FINGERPRINT WARD_PASSWORD_FILE WARD_CACERT
. "$WARD_SRC/deploy/cluster.sh"

STARTED_AT=$(date +%s)

sys_cleanup() {
	local rc=$? pidfile
	for pidfile in "$CLUSTER_DIR"/*.pid; do
		[ -e "$pidfile" ] || continue
		kill -9 "$(cat "$pidfile")" 2>/dev/null || true
	done
	if [ $rc -ne 0 ]; then
		echo "--- FAILED; node logs (last lines):" >&2
		local log
		for log in "$CLUSTER_DIR"/*.log; do
			[ -e "$log" ] || continue
			echo "--- $log" >&2
			tail -25 "$log" >&2
		done
	fi
	port_release
	rm -rf "$CLUSTER_DIR"
	exit $rc
}
trap sys_cleanup EXIT

# free_port: a TCP port nothing listens on, not handed out before.
free_port() {
	local p
	while :; do
		# Below the media blocks (media_ports) and the kernel's
		# ephemeral ports, which connections take at any moment.
		p=$((10000 + (RANDOM * 32768 + RANDOM) % 10480))
		# Handed out earlier in this test but not bound yet: a
		# file, as $(free_port) runs in a subshell.
		grep -qx "$p" "$CLUSTER_DIR/ports.used" 2>/dev/null && continue
		ss -Htuan "sport = :$p" | grep -q . && continue
		port_claim "$p" || continue
		echo "$p" >>"$CLUSTER_DIR/ports.used"
		echo "$p"
		return
	done
}

# port_claim PORT: claims PORT for this test on the whole machine, so that
# a test running beside it (ctest -j) does not take a port this one has
# handed out and not bound yet; a claim is a file naming its test's
# directory, created only if absent, and sys_cleanup drops this test's.
# A claim whose directory is gone (a test killed) is dropped, and PORT
# is not taken this time.
PORT_CLAIMS=${TMPDIR:-/tmp}/ward-systest-ports
port_claim() {
	local f=$PORT_CLAIMS/$1 owner
	mkdir -p "$PORT_CLAIMS"
	(set -o noclobber && echo "$CLUSTER_DIR" >"$f") 2>/dev/null && return
	owner=$(cat "$f" 2>/dev/null) || return 1
	[ -n "$owner" ] && [ ! -d "$owner" ] && rm -f "$f"
	return 1
}
port_release() {
	local p
	[ -e "$CLUSTER_DIR/ports.used" ] || return 0
	while read -r p; do
		[ "$(cat "$PORT_CLAIMS/$p" 2>/dev/null)" = "$CLUSTER_DIR" ] &&
			rm -f "$PORT_CLAIMS/$p"
	done <"$CLUSTER_DIR/ports.used"
	return 0
}

# free_pair: an even free port whose next port is free too (RTP and
# RTCP take a pair; baresip's TLS listens on its SIP port + 1).
free_pair() {
	local got p mate
	while :; do
		got=$(free_port)
		p=$((got & ~1))
		mate=$((got ^ 1))
		! grep -qx "$mate" "$CLUSTER_DIR/ports.used" || continue
		port_claim "$mate" || continue
		echo "$mate" >>"$CLUSTER_DIR/ports.used"
		ss -Htuan "( sport = :$p or sport = :$((p + 1)) )" | grep -q . ||
			break
	done
	echo "$p"
}

# media_ports: the first of 512 media ports for one node — blocks below
# the kernel's ephemeral ports, each node of a test its own (the relay
# also skips ports something else holds).
media_ports() {
	local f="$CLUSTER_DIR/media.next" i
	[ -s "$f" ] || echo $((RANDOM % 24)) >"$f"
	i=$(cat "$f")
	echo $(((i + 1) % 24)) >"$f"
	echo $((20480 + 512 * i))
}

# node_conf NAME [INI LINES...]: a node on 127.0.0.1 with free ports.
node_conf() {
	local name=$1
	shift
	WARD_MEDIA_PORT_MIN=$(media_ports) \
		WARD_TFTP_LISTEN=127.0.0.1:$(free_port) \
		WARD_TFTP_HTTP_LISTEN=127.0.0.1:$(free_port) \
		WARD_SIP_PORT=$(free_port) WARD_SIP_TLS_PORT=$(free_port) \
		WARD_SIP_NODE_PORT=$(free_port) \
		WARD_CAPF_LISTEN=127.0.0.1:$(free_port) \
		ward_conf "$name" "127.0.0.1:$(free_port)" "127.0.0.1:$(free_port)" \
		"$@"
}

# conf_get NAME SECTION KEY: a value from NAME's wardd configuration.
conf_get() {
	awk -v s="[$2]" -v k="$3" '
		/^\[/ { in_s = ($0 == s) }
		in_s && $1 == k { print $3 }' "$CLUSTER_DIR/$1.conf" | tail -1
}

# big_certs DIR N: N distinct self-signed certificates of ~12 KB each (a
# long comment extension), one key for all, as $CLUSTER_DIR/DIR/c1.pem...
# — writes that weigh on a store.
big_certs() {
	local d=$CLUSTER_DIR/$1 i big
	mkdir -p "$d"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$d/key.pem" 2>/dev/null
	big=$(head -c 9000 /dev/zero | tr '\0' x)
	for i in $(seq 1 "$2"); do
		openssl req -new -x509 -key "$d/key.pem" -subj "/CN=$1 $i" \
			-days 30 -addext "nsComment=$big" -out "$d/c$i.pem" 2>/dev/null
	done
}

# ward_enc_phones NAME LINE DEVICE...: on node NAME, mkpki.py's test MIC
# CA ($PKI/mic-ca.pem) trusted, a profile enc (encrypted, TLS, no digest)
# and each DEVICE an encrypted-mode phone on it, on lines LINE, LINE + 1...
ward_enc_phones() {
	local name=$1 line=$2 dev
	shift 2
	expect_rc 0 ward_ctl "$name" cert import --category mic-root "$PKI/mic-ca.pem"
	expect_rc 0 ward_ctl "$name" profile add enc --mode encrypted --transport tls \
		--digest-auth no
	for dev in "$@"; do
		expect_rc 0 ward_ctl "$name" device add "$dev" --model 8841 \
			--capabilities tls,srtp --profile enc --lines "$line"
		line=$((line + 1))
	done
}

# wardd_past DAYS: $CLUSTER_DIR/wardd-past, a wardd running DAYS days in
# the past (libfaketime; an AddressSanitizer build must let it come first),
# for WARDD.
wardd_past() {
	local lib=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
	[ -e "$lib" ] || fail "libfaketime is missing (deploy/deps installs faketime)"
	cat >"$CLUSTER_DIR/wardd-past" <<EOF
#!/bin/sh
ASAN_OPTIONS=\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}verify_asan_link_order=0 \
LD_PRELOAD=$lib FAKETIME=-$1d FAKETIME_DONT_FAKE_MONOTONIC=1 \
	exec "$WARDD" "\$@"
EOF
	chmod +x "$CLUSTER_DIR/wardd-past"
}

# ward_mixed NAME: the cluster in mixed mode through node NAME — two trial
# security tokens (SoftHSM, deploy/token) registered and a CTL signed with
# one, as mixed mode needs (admin-api.md).
ward_mixed() {
	local hsm=/usr/lib/softhsm/libsofthsm2.so t
	export WARD_DIR=$CLUSTER_DIR/tokens
	export SOFTHSM2_CONF=$CLUSTER_DIR/tokens/softhsm2.conf
	mkdir -p "$WARD_DIR"
	for t in tokA tokB; do
		"$WARD_SRC/deploy/token" $t >/dev/null 2>&1 || fail "deploy/token $t"
		expect_rc 0 ward_ctl "$1" token register --module $hsm --token $t
	done
	expect_rc 0 ward_ctl "$1" ctl sign --module $hsm --token tokA \
		--pin-file "$WARD_DIR/tokA.pin"
	expect_rc 0 ward_ctl "$1" security mode mixed
}

step() { echo "[$(($(date +%s) - STARTED_AT))s] $*"; }
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# expect_rc RC CMD...: runs CMD and checks its exit code.
expect_rc() {
	local want=$1 got=0
	shift
	"$@" >"$CLUSTER_DIR/last.out" 2>"$CLUSTER_DIR/last.err" || got=$?
	if [ "$got" -ne "$want" ]; then
		cat "$CLUSTER_DIR/last.out" "$CLUSTER_DIR/last.err" >&2
		fail "'$*' exited $got, expected $want"
	fi
}

# out_has TEXT, err_has TEXT: the last expect_rc's output, or its error
# output, holds TEXT.
out_has() { grep -q -- "$1" "$CLUSTER_DIR/last.out" || {
	cat "$CLUSTER_DIR/last.out" >&2
	fail "stdout lacks '$1'"
}; }
err_has() { grep -q -- "$1" "$CLUSTER_DIR/last.err" || {
	cat "$CLUSTER_DIR/last.err" >&2
	fail "stderr lacks '$1'"
}; }

# wait_until SECONDS WHAT CMD...: retries CMD until it succeeds.
wait_until() {
	local secs=$1 what=$2 end
	shift 2
	end=$(($(date +%s%N) / 1000000 + secs * 1000))
	while ! "$@" >/dev/null 2>&1; do
		[ $(($(date +%s%N) / 1000000)) -lt $end ] ||
			fail "timed out after ${secs}s waiting for: $what"
		sleep 0.05
	done
}

# leader_of NAME: the leader's name as node NAME sees it (empty if none).
leader_of() {
	ward_ctl "$1" --json cluster status 2>/dev/null |
		jq -r '.leader.name // empty'
}

# has_leader NAME [NOT]: node NAME knows a leader, other than NOT.
has_leader() {
	local l
	l=$(leader_of "$1")
	[ -n "$l" ] && [ "$l" != "${2:-}" ]
}

# param_is NAME PARAM VALUE: node NAME's replica holds PARAM = VALUE.
param_is() {
	[ "$(ward_ctl "$1" --json param get "$2" | jq -r .value)" = "$3" ]
}

# mode_of FILE: its permission bits in octal ("600").
mode_of() { stat -c %a "$1"; }

# kek_id NAME: the id of node NAME's key-encryption key, as pki_kek_id
# computes it (the first 8 bytes of HMAC-SHA256(KEK, "ward kek id")).
kek_id() {
	local hex
	hex=$(od -An -tx1 -v "$CLUSTER_DIR/$1/kek" | tr -d ' \n')
	printf 'ward kek id' |
		openssl dgst -sha256 -mac HMAC -macopt "hexkey:$hex" |
		sed 's/.*= //' | cut -c1-16
}

PKI_ROLES="https callmanager tftp capf ipsec node"

# pki_ok NAME: node NAME holds the cluster KEK (0600) and, for every role,
# a certificate issued by the cluster CA (checked by openssl) with its key
# (0600) beside it; the admin API serves the HTTPS one.
pki_ok() {
	local d=$CLUSTER_DIR/$1 r
	[ "$(mode_of "$d/kek")" = 600 ] || fail "$1: kek is $(mode_of "$d/kek")"
	[ "$(stat -c %s "$d/kek")" = 32 ] || fail "$1: kek is not 32 bytes"
	for r in $PKI_ROLES; do
		openssl verify -CAfile "$d/pki/ca.pem" "$d/pki/$r.pem" >/dev/null ||
			fail "$1: $r.pem is not issued by the cluster CA"
		[ "$(mode_of "$d/pki/$r.key")" = 600 ] ||
			fail "$1: $r.key is $(mode_of "$d/pki/$r.key")"
		[ "$(openssl x509 -in "$d/pki/$r.pem" -noout -pubkey)" = \
			"$(openssl pkey -in "$d/pki/$r.key" -pubout)" ] ||
			fail "$1: $r.key is not the key of $r.pem"
	done
	cmp -s "$d/https.pem" "$d/pki/https.pem" ||
		fail "$1: the admin API does not serve its CA-issued certificate"
	"$WARDCTL" --url "$(ward_url "$1")" --cacert "$d/pki/ca.pem" \
		status >/dev/null || fail "$1: not trusted through the cluster CA"
}

# pki_digest NAME: one line per certificate and key of node NAME.
pki_digest() {
	(cd "$CLUSTER_DIR/$1" && sha256sum kek pki/*.pem pki/*.key https.pem)
}

# sip_served_fp TLS_PORT: the SHA-256 fingerprint of the certificate the SIP
# TLS port on 127.0.0.1 presents ("" when none).
sip_served_fp() {
	openssl s_client -connect "127.0.0.1:$1" </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2
}
# sip_serves_cm NODE TLS_PORT: NODE's SIP role presents its CallManager
# certificate as on disk (it restarts once with its TLS files: register
# and subscribe after that).
sip_serves_cm() {
	local served file
	served=$(sip_served_fp "$2")
	file=$(openssl x509 -in "$CLUSTER_DIR/$1/pki/callmanager.pem" -noout \
		-fingerprint -sha256 2>/dev/null | cut -d= -f2)
	[ -n "$served" ] && [ "$served" = "$file" ]
}
