#!/usr/bin/env bash
# Mutual-TLS handshakes per second on the SIP TLS port (the server asks
# every client for its certificate and ward judges it), with an RSA 2048
# and an ECDSA P-256 server certificate, and the RSS each idle TLS
# connection costs at 10,000 connections. Runs the role alone (ward_sipd)
# on loopback.
#   - handshakes: `openssl s_time -new` (full handshakes, one at a time)
#     with a device MIC (P-256), median of RUNS runs of SECONDS each;
#   - idle connections: bench/sip_tls_idle.py opens CONNECTIONS TLS
#     connections with the MIC, PER_SOURCE from each loopback source address
#     (127.1.x.y: as phones, each from its own address, under the default
#     conn_per_source of 32), sends one OPTIONS on each and reads its 200,
#     then holds them all; RSS growth of ward_sipd divided by the
#     connections still open, and how many the node closed, are printed.
#     The file-descriptor limit is raised to the hard limit (both processes
#     need one per connection);
#   - registrations over persistent TLS connections: bench_sip_tls_register
#     keeps REG_CONNS connections (one device each, no client certificate,
#     digest MD5), each refreshing its registration with credentials on
#     its nonce (nc rising) one request at a time; REGISTER/s answered 200,
#     median of RUNS runs of SECONDS, for each count in REG_CONNS
#     (space-separated; default "100 1000").
#   bench/sip_tls.sh [BUILD_DIR] [-t SECONDS] [-r RUNS] [-c CONNECTIONS]
#                    [-s PER_SOURCE] [-p CONN_PER_SOURCE]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
[ $# -gt 0 ] && shift
secs=10 runs=3 conns=10000 per_source=25 cap=32
while getopts t:r:c:s:p: o; do
	case $o in
	t) secs=$OPTARG ;;
	r) runs=$OPTARG ;;
	c) conns=$OPTARG ;;
	s) per_source=$OPTARG ;;
	p) cap=$OPTARG ;;
	*) exit 2 ;;
	esac
done
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -gt $((conns + 100)) ] || {
	echo "need a file-descriptor limit above $((conns + 100)), have $(ulimit -n)" >&2
	exit 1
}
dir=$(mktemp -d /tmp/ward-bench-tls.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
port() { echo $((20000 + (RANDOM * 32768 + RANDOM) % 40000)); }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
dev=SEP0000000000BB
echo "conditions: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), load $(cut -d' ' -f1-3 /proc/loadavg), OpenSSL $(openssl version | cut -d' ' -f2), loopback, one signaling thread"
echo "handshakes: openssl s_time -new (full handshakes, sequential, TLS 1.3), client MIC P-256, median of $runs runs of $secs s"

start() { # KIND: ward_sipd with a KIND (rsa or p256) server certificate
	rm -rf "$dir/pki"
	python3 "$src/tests/system/sip/mkpki.py" "$dir/pki" \
		$([ "$1" = rsa ] && echo --rsa) $dev
	fp() { grep "^$1 " "$dir/pki/fp.txt" | cut -d' ' -f2; }
	printf 'realm ward.bench\nsecure 1\nmicroot %s\nlscca %s\nuser u pw\ndevice %s user=u mode=authenticated\n' \
		"$(fp mic-ca.pem)" "$(fp cluster-ca.pem)" $dev >"$dir/dir.txt"
	sport=$(port) tport=$(port)
	"$build/tests/ward_sipd" --dir "$dir/dir.txt" --host 127.0.0.1 \
		--port "$sport" --tls-port "$tport" --tls-dir "$dir/pki/tls" \
		--rate 0 --conn-per-source "$cap" --quiet \
		>/dev/null 2>"$dir/sipd.log" &
	pid=$!
	for _ in $(seq 50); do
		ss -Hlnt "sport = :$tport" | grep -q . && return
		sleep 0.1
	done
	echo "ward_sipd did not start: $(cat "$dir/sipd.log")" >&2
	exit 1
}
stop() {
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
}

for kind in rsa p256; do
	start $kind
	rates=()
	for ((r = 0; r < runs; r++)); do
		rates+=("$(openssl s_time -connect "127.0.0.1:$tport" -new \
			-time "$secs" -cert "$dir/pki/$dev-mic.pem" \
			-key "$dir/pki/$dev-mic.pem" 2>/dev/null |
			awk '/connections in .* real seconds/ {print $1 / $4}' |
			head -1)")
	done
	printf '%s\n' "${rates[@]}" | median |
		xargs printf "TLS handshakes/s, $kind server certificate (median of $runs: ${rates[*]}): %.0f\n"
	stop
done

start p256
sleep 1
base=$(rss_kb "$pid")
python3 "$src/bench/sip_tls_idle.py" 127.0.0.1 "$tport" "$conns" \
	"$per_source" "$dir/pki/$dev-mic.pem" "$pid" >"$dir/idle.txt"
read -r after open answered secs_open <"$dir/idle.txt"
echo "idle connections: $conns asked, $per_source per source address, conn_per_source $cap; $answered answered OPTIONS 200, $open still open after holding (opened in ${secs_open} s)"
awk -v a="$after" -v b="$base" -v n="$open" \
	'BEGIN {printf "RSS: %d KiB before, %d KiB with the connections held: %.1f KiB per idle TLS connection (P-256 server certificate)\n", b, a, n ? (a - b) / n : 0}'
stop

# Registrations over persistent TLS connections (P-256 server certificate).
printf 'realm ward.bench\nusers dev %d pw\n' 2000 >"$dir/users.txt"
sport=$(port) tport=$(port)
"$build/tests/ward_sipd" --dir "$dir/users.txt" --host 127.0.0.1 \
	--port "$sport" --tls-port "$tport" --tls-dir "$dir/pki/tls" \
	--rate 0 --conn-per-source 0 --digest MD5 --quiet \
	>/dev/null 2>"$dir/sipd.log" &
pid=$!
sleep 1
for n in ${REG_CONNS:-100 1000}; do
	rates=()
	for ((r = 0; r < runs; r++)); do
		rates+=("$("$build/bench/bench_sip_tls_register" 127.0.0.1 "$tport" \
			"$n" "$secs" dev pw ward.bench | awk '{print $3}')")
	done
	printf '%s\n' "${rates[@]}" | median |
		xargs printf "registrations over $n persistent TLS connections, REGISTER/s with credentials answered 200 (median of $runs: ${rates[*]}): %.0f\n"
done
stop
