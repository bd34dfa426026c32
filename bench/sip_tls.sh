#!/usr/bin/env bash
# Mutual-TLS handshakes per second on the SIP TLS port (the server asks
# every client for its certificate and ward judges it), with an RSA 2048
# and an ECDSA P-256 server certificate, and the RSS each idle TLS
# connection costs. Runs the role alone (ward_sipd) on loopback; the client
# is `openssl s_time` (full handshakes, one at a time) with a device MIC.
#   bench/sip_tls.sh [BUILD_DIR] [-t SECONDS] [-r RUNS] [-c IDLE_CONNECTIONS]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
[ $# -gt 0 ] && shift
secs=10 runs=3 conns=2000
while getopts t:r:c: o; do
	case $o in
	t) secs=$OPTARG ;;
	r) runs=$OPTARG ;;
	c) conns=$OPTARG ;;
	*) exit 2 ;;
	esac
done
dir=$(mktemp -d /tmp/ward-bench-tls.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
port() { echo $((20000 + (RANDOM * 32768 + RANDOM) % 40000)); }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
dev=SEP0000000000BB
echo "conditions: $(nproc) cores, OpenSSL $(openssl version | cut -d' ' -f2), loopback, openssl s_time -new (full handshakes, sequential), client MIC P-256, $secs s per run"
ulimit -n 65536 2>/dev/null || true

for kind in rsa p256; do
	rm -rf "$dir/pki"
	python3 "$src/tests/system/sip/mkpki.py" "$dir/pki" \
		$([ $kind = rsa ] && echo --rsa) $dev
	fp() { grep "^$1 " "$dir/pki/fp.txt" | cut -d' ' -f2; }
	printf 'realm ward.bench\nsecure 1\nmicroot %s\nlscca %s\nuser u pw\ndevice %s user=u mode=authenticated\n' \
		"$(fp mic-ca.pem)" "$(fp cluster-ca.pem)" $dev >"$dir/dir.txt"
	sport=$(port) tport=$(port)
	"$build/tests/ward_sipd" --dir "$dir/dir.txt" --host 127.0.0.1 \
		--port "$sport" --tls-port "$tport" --tls-dir "$dir/pki/tls" \
		--rate 0 --conn-per-source 0 --silent-s 0 --quiet \
		>/dev/null 2>"$dir/sipd.log" &
	pid=$!
	sleep 1
	rates=()
	for ((r = 0; r < runs; r++)); do
		rates+=("$(openssl s_time -connect "127.0.0.1:$tport" -new \
			-time "$secs" -cert "$dir/pki/$dev-mic.pem" \
			-key "$dir/pki/$dev-mic.pem" 2>/dev/null |
			awk '/connections in .* real seconds/ {print $1 / $4}' |
			head -1)")
	done
	printf '%s\n' "${rates[@]}" | median |
		xargs printf "TLS handshakes/s, $kind server certificate (median of $runs): %.0f\n"
	if [ $kind = p256 ]; then
		base=$(rss_kb "$pid")
		python3 - "$tport" "$conns" "$dir/pki/$dev-mic.pem" "$pid" <<'PY' >"$dir/idle.txt"
import socket, ssl, sys, time
port, n, cert, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.load_cert_chain(cert)
held = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    held.append(ctx.wrap_socket(s))
time.sleep(2)
rss = [l for l in open("/proc/%s/status" % pid) if l.startswith("VmRSS")][0].split()[1]
print(rss)
PY
		after=$(cat "$dir/idle.txt")
		awk -v a="$after" -v b="$base" -v n="$conns" \
			'BEGIN {printf "RSS per idle TLS connection (%d held): %.1f KiB\n", n, (a - b) / n}'
	fi
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
done
