#!/usr/bin/env bash
# Call set-ups per second through the B2BUA on one signaling thread,
# driven by SIPp over UDP: each call is INVITE, 407, ACK, INVITE with MD5
# credentials, 100, 180, 200, ACK, BYE, 200 on the caller's side and
# INVITE, 180, 200, ACK, BYE, 200 on the callee's, between phones
# registered to ward_sipd. Prints the median of RUNS runs, the signaling
# process's CPU per call, and how many calls failed.
# P SIPp processes place the calls and P others answer them (SIPp, not
# ward, is the limit here). SIPp 3.6 answers the 407 with
# the digest uri sip:HOST:PORT, not the Request-URI, and one -auth_uri
# cannot name every callee: ward_sipd runs with --digest-uri-any (wardd
# always refuses such an answer).
# Offered above what the node serves, overload control answers new
# INVITEs 503 (docs/sip.md, "Overload"): the calls/s printed are those
# answered and completed; the 503s are counted apart.
#   [T1X64=MS] [OVERLOAD_MS=MS] bench/sip_call.sh [BUILD_DIR] [-c CALLS]
#       [-r RUNS] [-R RATE] [-P SIPP]
# (T1X64: ward_sipd --t1x64-ms, the transactions' lifetime, RFC 3261: 32 s;
# OVERLOAD_MS: --overload-delay-ms, default 100, 0 turns it off)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
[ $# -gt 0 ] && shift
calls=10000 runs=3 rate=2000 procs=2 phones=1000
while getopts c:r:R:P: o; do
	case $o in
	P) procs=$OPTARG ;;
	c) calls=$OPTARG ;;
	r) runs=$OPTARG ;;
	R) rate=$OPTARG ;;
	*) exit 2 ;;
	esac
done
dir=$(mktemp -d /tmp/ward-bench-call.XXXXXX)
pid= uas=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; [ -n "$uas" ] && kill $uas 2>/dev/null; rm -rf "$dir"' EXIT
port() { echo $((20000 + (RANDOM * 32768 + RANDOM) % 40000)); }
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Phones dev0..: the first half call, the second half answer.
half=$((phones / 2))
# Each phone has a line (the dial plan routes numbers, not device names).
{
	echo "realm ward.bench"
	for ((i = 0; i < phones; i++)); do
		echo "user dev$i pw"
		echo "device dev$i user=dev$i line=$((10000 + i))"
	done
} >"$dir/dir.txt"
per=$((half / procs))
# The callees in PROCS groups, each registered from and answered by its
# own SIPp (one answering SIPp alone drops datagrams past ~2,000 calls/s).
for ((p = 0; p < procs; p++)); do
	{
		echo SEQUENTIAL
		for ((i = half + p * per; i < half + (p + 1) * per; i++)); do
			echo "dev$i;[authentication username=dev$i password=pw]"
		done
	} >"$dir/callees$p.csv"
done
for ((p = 0; p < procs; p++)); do
	{
		echo SEQUENTIAL
		for ((i = p * per; i < (p + 1) * per; i++)); do
			echo "dev$i;[authentication username=dev$i password=pw];$((10000 + i + half))"
		done
	} >"$dir/callers$p.csv"
done

# one_run: prints "rate cpu_us failed refused load" (the caller adds the
# peak RSS): rate counts the calls answered and completed (BYE answered),
# not those refused 503 by overload control; CPU per completed call.
one_run() {
	local t0 t1 c0 c1 p f sp=() n=$((calls / procs)) failed=0 refused load
	load=$(cut -d' ' -f1 /proc/loadavg)
	rm -f "$dir"/call_uac_*_logs.log
	c0=$(cpu_ticks "$pid")
	t0=$(date +%s%N)
	for ((p = 0; p < procs; p++)); do
		(cd "$dir" && sipp -sf "$src/bench/sip/call_uac.xml" \
			-inf "callers$p.csv" -m "$n" -r $((rate / procs)) \
			-rp 1000 -l 2000 -buff_size 8388608 -i 127.0.0.1 \
			-p "$(port)" -timeout 300 -trace_stat -fd 3600 -trace_logs \
			-stf "caller$p.csv" 127.0.0.1:"$sport" \
			</dev/null >/dev/null 2>&1) &
		sp+=($!)
	done
	wait "${sp[@]}" || true
	t1=$(date +%s%N)
	c1=$(cpu_ticks "$pid")
	for ((p = 0; p < procs; p++)); do
		# No statistics from a SIPp: all its calls count as failed.
		f=$(awk -F';' 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == "FailedCall(C)") f = i} END {if (f) print $f + 0}' "$dir/caller$p.csv" 2>/dev/null || true)
		failed=$((failed + ${f:-$n}))
	done
	refused=$(cat "$dir"/call_uac_*_logs.log 2>/dev/null | grep -c '^refused' || true)
	awk -v n=$((n * procs - failed - refused)) -v ns=$((t1 - t0)) \
		-v c=$((c1 - c0)) -v hz="$hz" -v f="$failed" -v x="$refused" \
		-v l="$load" \
		'BEGIN { printf "%.0f %.1f %d %d %s\n", n / (ns / 1e9), n ? c / hz * 1e6 / n : 0, f, x, l }'
}

echo "conditions: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), SIPp $(sipp -v 2>&1 | grep -o 'v[0-9.]*' | head -1) on the same machine, UDP loopback, caller and callee registered to the same node (one ward_sipd, one signaling thread), $half callers and $half callees, $procs calling SIPp processes and $procs answering, offered rate $rate/s, $calls calls per run, no media, load average $(cut -d' ' -f1-3 /proc/loadavg)"
res=()
for ((r = 0; r < runs; r++)); do
	sport=$(port)
	"$build/tests/ward_sipd" --dir "$dir/dir.txt" --host 127.0.0.1 \
		--port "$sport" --rate 0 --digest MD5 --digest-uri-any --quiet ${T1X64:+--t1x64-ms $T1X64} \
		${OVERLOAD_MS:+--overload-delay-ms $OVERLOAD_MS} \
		>"$dir/sipd.out" 2>"$dir/sipd.log" &
	pid=$!
	sleep 1
	uas=
	for ((p = 0; p < procs; p++)); do
		uport=$(port)
		(cd "$dir" && sipp -sf "$src/tests/system/sip/register.xml" \
			-inf "callees$p.csv" -m "$per" -r 1000 -i 127.0.0.1 \
			-p "$uport" -timeout 60 127.0.0.1:"$sport" \
			</dev/null >/dev/null 2>&1) ||
			{ echo "the callees did not register" >&2; exit 1; }
		(cd "$dir" && exec sipp -sf "$src/bench/sip/call_uas.xml" \
			-rp 1000 -buff_size 8388608 -i 127.0.0.1 -p "$uport" \
			</dev/null >/dev/null 2>&1) &
		uas="$uas $!"
	done
	sleep 0.5
	rss0=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
	res+=("$(one_run) $(awk '/VmHWM/ {print $2}' "/proc/$pid/status")")
	# Every call of the run is still held (its transactions' timers
	# outlast the run): peak RSS growth per call completed.
	res[-1]="${res[-1]} $(echo "${res[-1]}" | awk -v a="$rss0" -v n="$calls" '{c = n - $3 - $4; printf "%.1f", c > 0 ? ($6 - a) / c : 0}')"
	echo "  run $((r + 1)): $(echo "${res[-1]}" | awk '{printf "%s calls/s completed, %s us CPU per call, %s failed, %s refused 503, load %s, peak RSS %s KiB (%s KiB per call)", $1, $2, $3, $4, $5, $6, $7}')"
	kill $uas 2>/dev/null || true
	wait $uas 2>/dev/null || true
	uas=
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
done
printf '%s\n' "${res[@]}" | awk '{print $1}' | median | xargs printf 'call set-ups/s completed (median of %d): %s\n' "$runs"
printf '%s\n' "${res[@]}" | awk '{print $2}' | median | xargs printf '  CPU per call (ward_sipd): %s us\n'
printf '%s\n' "${res[@]}" | awk '{print $6}' | median | xargs printf '  peak RSS of ward_sipd: %s KiB\n'
printf '%s\n' "${res[@]}" | awk '{print $7}' | median | xargs printf '  RSS growth per call (every call of a run still held): %s KiB\n'
printf '%s\n' "${res[@]}" | awk '{s += $3; x += $4} END {printf "  failed calls (all runs): %d; refused 503 by overload control: %d\n", s, x}'
