#!/usr/bin/env bash
# Presence fetches per second on one signaling thread, driven by SIPp over
# UDP: each is a full exchange on the wire — SUBSCRIBE (Expires: 0), 407,
# SUBSCRIBE with MD5 credentials, the presence-group check, 200, and the
# NOTIFY as a client transaction answered 200. Prints the median of RUNS
# runs and the signaling process's CPU per fetch. bench_sip_presence
# (bench/sip_presence.c) gives the presence logic alone.
#   bench/sip_presence.sh [BUILD_DIR] [-n FETCHES] [-r RUNS] [-R RATE]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
[ $# -gt 0 ] && shift
n=20000 runs=3 rate=10000 watchers=200
while getopts n:r:R: o; do
	case $o in
	n) n=$OPTARG ;;
	r) runs=$OPTARG ;;
	R) rate=$OPTARG ;;
	*) exit 2 ;;
	esac
done
dir=$(mktemp -d /tmp/ward-bench-pres.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
port() { echo $((20000 + (RANDOM * 32768 + RANDOM) % 40000)); }
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

{
	echo "realm ward.bench"
	echo "presence_default allow"
	echo "users w $watchers pw"
} >"$dir/dir.txt"
{
	echo SEQUENTIAL
	for ((i = 0; i < watchers; i++)); do
		echo "w$i;w$(((i + 1) % watchers));[authentication username=w$i password=pw]"
	done
} >"$dir/watchers.csv"

one_pass() {
	local t0 t1 c0 c1
	c0=$(cpu_ticks "$pid")
	t0=$(date +%s%N)
	(cd "$dir" && sipp -sf "$src/tests/system/sip/presence_fetch.xml" \
		-inf watchers.csv -m "$n" -r "$rate" -rp 1000 -l 500 \
		-buff_size 8388608 -i 127.0.0.1 -p "$(port)" -timeout 120 \
		-trace_screen 127.0.0.1:"$sport" </dev/null >/dev/null 2>&1) || true
	t1=$(date +%s%N)
	c1=$(cpu_ticks "$pid")
	ok=$(awk '/Successful call/ {print $NF; exit}' "$dir"/presence_fetch_*_screen.log)
	failed=$(awk '/Failed call/ {print $NF; exit}' "$dir"/presence_fetch_*_screen.log)
	rm -f "$dir"/presence_fetch_*_screen.log
	echo "  pass: $ok fetched, $failed failed" >&2
	awk -v n="${ok:-0}" -v ns=$((t1 - t0)) -v c=$((c1 - c0)) -v hz="$hz" \
		'BEGIN { printf "%.0f %.1f\n", n / (ns / 1e9), n ? c / hz * 1e6 / n : 0 }'
}

echo "conditions: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), SIPp $(sipp -v 2>&1 | grep -o 'v[0-9.]*' | head -1) on the same machine, UDP loopback, $n fetches by $watchers watchers, offered rate $rate/s, one signaling thread"
res=()
for ((r = 0; r < runs; r++)); do
	sport=$(port)
	"$build/tests/ward_sipd" --dir "$dir/dir.txt" --host 127.0.0.1 \
		--port "$sport" --rate 0 --digest MD5 --quiet \
		>"$dir/sipd.out" 2>"$dir/sipd.log" &
	pid=$!
	sleep 1
	res+=("$(one_pass)")
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
done
printf '%s\n' "${res[@]}" | awk '{print $1}' | median | xargs printf 'presence fetches/s (median of %d): %s\n' "$runs"
printf '%s\n' "${res[@]}" | awk '{print $2}' | median | xargs printf '  CPU per fetch: %s us\n'
