#!/usr/bin/env bash
# Call set-ups per second over persistent TLS connections, caller and
# callee registered to the same node (one ward_sipd, one signaling
# thread; TLS server certificate P-256 from mkpki.py, no client
# certificates: digest MD5 over TLS, a non-secure directory).
# bench_sip_tls_call keeps PAIRS caller and PAIRS callee connections, one
# device each, every caller placing one call after the other to its
# callee (INVITE with credentials on its nonce, 100, 180, 200, ACK, BYE,
# 200; the callee answers 180 and 200 with SDP). Prints, per count of
# pairs, the median calls/s of RUNS runs of SECONDS, ward_sipd's CPU per
# call, and its RSS growth per call (every call's transactions are still
# held when the run ends: RFC 3261's timers outlast it), with the load
# average before each run.
#   bench/sip_tls_call.sh [BUILD_DIR] [-t SECONDS] [-r RUNS] [-p "PAIRS ..."]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
[ $# -gt 0 ] && shift
secs=5 runs=3 pairs="10 50 200"
while getopts t:r:p: o; do
	case $o in
	t) secs=$OPTARG ;;
	r) runs=$OPTARG ;;
	p) pairs=$OPTARG ;;
	*) exit 2 ;;
	esac
done
dir=$(mktemp -d /tmp/ward-bench-tlscall.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
port() { echo $((20000 + (RANDOM * 32768 + RANDOM) % 40000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
max=0
for n in $pairs; do [ "$n" -gt "$max" ] && max=$n; done
python3 "$src/tests/system/sip/mkpki.py" "$dir/pki" SEP0000000000BB >/dev/null
{
	echo "realm ward.bench"
	for ((i = 0; i < 2 * max; i++)); do
		echo "user dev$i pw"
		echo "device dev$i user=dev$i line=$((10000 + i))"
	done
} >"$dir/dir.txt"
echo "conditions: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), OpenSSL $(openssl version | cut -d' ' -f2), loopback, caller and callee on the same node (one ward_sipd, one signaling thread), digest MD5 over TLS (P-256 server certificate), the client (one thread) on the same cores, $runs runs of $secs s per count of pairs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $pairs; do
	res=()
	for ((r = 0; r < runs; r++)); do
		sport=$(port) tport=$(port)
		"$build/tests/ward_sipd" --dir "$dir/dir.txt" --host 127.0.0.1 \
			--port "$sport" --tls-port "$tport" --tls-dir "$dir/pki/tls" \
			--rate 0 --conn-per-source 0 --digest MD5 --quiet \
			>/dev/null 2>"$dir/sipd.log" &
		pid=$!
		for _ in $(seq 50); do
			ss -Hlnt "sport = :$tport" | grep -q . && break
			sleep 0.1
		done
		load=$(cut -d' ' -f1 /proc/loadavg)
		rss0=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
		out=$("$build/bench/bench_sip_tls_call" 127.0.0.1 "$tport" \
			127.0.0.1 "$tport" "$n" "$secs" dev pw ward.bench 10000 "$pid")
		rss1=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
		rate=$(echo "$out" | awk 'NR == 1 {print $7}')
		calls=$(echo "$out" | sed -n 's/.*(\([0-9]*\) in .*/\1/p')
		cpu=$(echo "$out" | awk '/CPU per call/ {print $(NF - 1)}')
		other=$(echo "$out" | sed -n 's/.*, \([0-9]*\) refused 503, \([0-9]*\) other.*/\1+\2/p')
		kb=$(awk -v a="$rss0" -v b="$rss1" -v c="$calls" 'BEGIN {printf "%.1f", c ? (b - a) / c : 0}')
		echo "  $n pairs, run $((r + 1)): $rate calls/s, $cpu us CPU per call, ${kb} KiB RSS per call, refused+other $other, load $load"
		res+=("$rate $cpu $kb")
		kill "$pid"
		wait "$pid" 2>/dev/null || true
		pid=
	done
	printf '%s\n' "${res[@]}" | awk '{print $1}' | median |
		xargs printf "call set-ups/s over $n+$n persistent TLS connections (median of $runs): %s\n"
	printf '%s\n' "${res[@]}" | awk '{print $2}' | median |
		xargs printf '  CPU per call (ward_sipd): %s us\n'
	printf '%s\n' "${res[@]}" | awk '{print $3}' | median |
		xargs printf '  RSS growth per call, transactions still held: %s KiB\n'
done
