#!/usr/bin/env bash
# Authenticated REGISTERs per second on one signaling thread, driven by SIPp
# over UDP: each registration is the full digest exchange (REGISTER, 401,
# REGISTER with MD5 credentials, 200). "new" registers N devices that hold no
# binding yet; "refresh" registers the same N again. Prints the median of
# RUNS runs, the signaling process's CPU per registration, and its RSS per
# registered device.
# P SIPp processes share the devices (SIPp, not the registrar, is the limit
# on this machine: one SIPp drives about 4,000 exchanges/s).
#   bench/sip_register.sh [BUILD_DIR] [-n DEVICES] [-r RUNS] [-R RATE] [-P SIPP]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
[ $# -gt 0 ] && shift
n=50000 runs=3 rate=30000 procs=2
while getopts n:r:R:P: o; do
	case $o in
	P) procs=$OPTARG ;;
	n) n=$OPTARG ;;
	r) runs=$OPTARG ;;
	R) rate=$OPTARG ;;
	*) exit 2 ;;
	esac
done
dir=$(mktemp -d /tmp/ward-bench-sip.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
port() { echo $((20000 + (RANDOM * 32768 + RANDOM) % 40000)); }
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

{
	echo "realm ward.bench"
	echo "users dev $n pw"
} >"$dir/dir.txt"
per=$((n / procs))
for ((p = 0; p < procs; p++)); do
	{
		echo SEQUENTIAL
		for ((i = p * per; i < (p + 1) * per; i++)); do
			echo "dev$i;[authentication username=dev$i password=pw]"
		done
	} >"$dir/users$p.csv"
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# one PASS: SIPp registers every device once; prints "rate cpu_us".
one_pass() {
	local t0 t1 c0 c1 p sp=()
	c0=$(cpu_ticks "$pid")
	t0=$(date +%s%N)
	for ((p = 0; p < procs; p++)); do
		(cd "$dir" && sipp -sf "$src/tests/system/sip/register.xml" \
			-inf "users$p.csv" -m "$per" -r $((rate / procs)) \
			-rp 1000 -l 200 -buff_size 8388608 -i 127.0.0.1 \
			-p "$(port)" -timeout 120 127.0.0.1:"$sport" \
			</dev/null >/dev/null 2>&1) &
		sp+=($!)
	done
	wait "${sp[@]}" || true
	t1=$(date +%s%N)
	c1=$(cpu_ticks "$pid")
	awk -v n=$((per * procs)) -v ns=$((t1 - t0)) -v c=$((c1 - c0)) \
		-v hz="$hz" \
		'BEGIN { printf "%.0f %.1f\n", n / (ns / 1e9), c / hz * 1e6 / n }'
}

echo "conditions: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), SIPp $(sipp -v 2>&1 | grep -o 'v[0-9.]*' | head -1) on the same machine, UDP loopback, $n devices, $procs SIPp processes, offered rate $rate/s, one signaling thread"
new=() refresh=() rss=()
for ((r = 0; r < runs; r++)); do
	sport=$(port)
	"$build/tests/ward_sipd" --dir "$dir/dir.txt" --host 127.0.0.1 \
		--port "$sport" --rate 0 --digest MD5 --quiet \
		>"$dir/sipd.out" 2>"$dir/sipd.log" &
	pid=$!
	sleep 1
	base=$(rss_kb "$pid")
	new+=("$(one_pass)")
	after=$(rss_kb "$pid")
	rss+=("$(awk -v a="$after" -v b="$base" -v n="$n" 'BEGIN {printf "%.0f", (a - b) * 1024 / n}')")
	refresh+=("$(one_pass)")
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	grep -o '"registered":[0-9]*' "$dir/sipd.out" >&2 || true
	pid=
done
printf '%s\n' "${new[@]}" | awk '{print $1}' | median | xargs printf 'new registrations/s (median of %d): %s\n' "$runs"
printf '%s\n' "${new[@]}" | awk '{print $2}' | median | xargs printf '  CPU per new registration: %s us\n'
printf '%s\n' "${refresh[@]}" | awk '{print $1}' | median | xargs printf 'refresh registrations/s (median of %d): %s\n' "$runs"
printf '%s\n' "${refresh[@]}" | awk '{print $2}' | median | xargs printf '  CPU per refresh: %s us\n'
printf '%s\n' "${rss[@]}" | median | xargs printf 'RSS per registered UDP device: %s bytes\n'
