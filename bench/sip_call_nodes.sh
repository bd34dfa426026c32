#!/usr/bin/env bash
# Call set-ups per second between nodes: two wardd nodes on loopback, the
# caller's phone registered on n1, the callee's on n2; SIPp places calls
# (INVITE, 407, ACK, INVITE with MD5 credentials, 100, 180, 200, ACK, BYE,
# 200) to n1, which reaches the callee through n2 over the node-to-node TLS
# listener (one persistent connection each way), and one SIPp answers on
# the callee's phone. Prints the median of RUNS runs, CPU per call of each
# node, and failed calls. One caller device places every call: the nodes
# run with max_calls_per_device 64 (SIPp keeps at most 64 open); each call
# is short (no media, no pause). Then the same call over persistent TLS
# (bench_sip_tls_call, see bench/sip_tls_call.sh): TLS_PAIRS caller
# devices connected to n1's TLS port, as many callees to n2's, digest over
# TLS, each caller calling its callee one call after the other, for
# SECONDS per run; calls/s and CPU per call of each node. Each run prints
# the load average before it.
#   bench/sip_call_nodes.sh [BUILD_DIR] [-c CALLS] [-r RUNS] [-R RATE]
#                           [-T TLS_PAIRS] [-t SECONDS]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
[ $# -gt 0 ] && shift
calls=5000 runs=3 rate=1000 tls_pairs=10 secs=5
while getopts c:r:R:T:t: o; do
	case $o in
	T) tls_pairs=$OPTARG ;;
	t) secs=$OPTARG ;;
	c) calls=$OPTARG ;;
	r) runs=$OPTARG ;;
	R) rate=$OPTARG ;;
	*) exit 2 ;;
	esac
done
export WARDD=$build/node/wardd WARDCTL=$build/tools/wardctl/wardctl
export CLUSTER_DIR
CLUSTER_DIR=$(mktemp -d /tmp/ward-bench-nodes.XXXXXX)
export WARD_USER=admin WARD_PASSWORD=bench-password-$RANDOM
. "$src/deploy/cluster.sh"
uas=
trap '[ -n "$uas" ] && kill $uas 2>/dev/null; ward_stop n2; ward_stop n1; rm -rf "$CLUSTER_DIR"' EXIT
port() { echo $((10000 + (RANDOM * 32768 + RANDOM) % 10000)); }
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

i=0
for n in n1 n2; do
	WARD_MEDIA_PORT_MIN=$((40960 + 512 * i)) WARD_SIP_PORT=$(port) \
		WARD_SIP_TLS_PORT=$(port) WARD_SIP_NODE_PORT=$(port) \
		WARD_TFTP_LISTEN=127.0.0.1:$(port) \
		WARD_TFTP_HTTP_LISTEN=127.0.0.1:$(port) \
		ward_conf $n "127.0.0.1:$(port)" "127.0.0.1:$(port)" \
		"[sip]" "digest_algorithms = MD5" "rate_per_source = 0" \
		"max_calls_per_device = 64" "conn_per_source = 0" \
		"[capf]" "listen = 127.0.0.1:$(port)"
	i=$((i + 1))
done
ward_init n1 benchnodes >/dev/null
for u in alice bob; do
	WARD_NEW_PASSWORD=$u-secret-123 ward_ctl n1 user add $u >/dev/null
done
ward_ctl n1 profile add dig --digest-auth yes >/dev/null
ward_ctl n1 device add SEP000000000001 --model 8841 --profile dig \
	--lines 1001 --digest-user alice >/dev/null
ward_ctl n1 device add SEP000000000002 --model 8841 --profile dig \
	--lines 1002 --digest-user bob >/dev/null
ward_join n2 n1 >/dev/null
read -r _ SIP1 _ <<<"$(ward_sip n1)"
read -r _ SIP2 _ <<<"$(ward_sip n2)"
published() {
	ward_ctl n1 --json node list |
		jq -e '[.nodes[] | select(.sip_node_port > 0)] | length == 2' >/dev/null
}
for _ in $(seq 1 60); do published && break; sleep 0.5; done
published || { echo "the nodes did not publish their node listeners" >&2; exit 1; }
sleep 3 # the roles restart once with their TLS files

printf 'SEQUENTIAL\nSEP000000000002;[authentication username=bob password=bob-secret-123]\n' \
	>"$CLUSTER_DIR/bob.csv"
printf 'SEQUENTIAL\nSEP000000000001;[authentication username=alice password=alice-secret-123];1002\n' \
	>"$CLUSTER_DIR/alice.csv"
BOB=$(port)
(cd "$CLUSTER_DIR" && sipp -sf "$src/tests/system/sip/register.xml" \
	-inf bob.csv -m 1 -i 127.0.0.1 -p "$BOB" -timeout 20 \
	127.0.0.1:"$SIP2" </dev/null >/dev/null 2>&1) ||
	{ echo "bob did not register" >&2; exit 1; }
for _ in $(seq 1 40); do
	ward_ctl n1 --json device show SEP000000000002 |
		jq -e '.registration.node == "n2"' >/dev/null 2>&1 && break
	sleep 0.5
done
(cd "$CLUSTER_DIR" && exec sipp -sf "$src/bench/sip/call_uas.xml" -rp 1000 \
	-buff_size 8388608 -i 127.0.0.1 -p "$BOB" </dev/null >/dev/null 2>&1) &
uas=$!
sleep 0.5

# one_run: "rate cpu_us_n1 cpu_us_n2 failed load"
one_run() {
	local t0 t1 a0 a1 b0 b1 f p1 p2 load
	load=$(cut -d' ' -f1 /proc/loadavg)
	p1=$(ward_pid n1) p2=$(ward_pid n2)
	a0=$(cpu_ticks "$p1") b0=$(cpu_ticks "$p2")
	t0=$(date +%s%N)
	(cd "$CLUSTER_DIR" && sipp -sf "$src/bench/sip/call_uac.xml" \
		-inf alice.csv -m "$calls" -r "$rate" -rp 1000 -l 64 \
		-auth_uri "1002@127.0.0.1:$SIP1" -i 127.0.0.1 -p "$(port)" \
		-timeout 300 -trace_stat -fd 3600 -stf caller.csv \
		127.0.0.1:"$SIP1" </dev/null >/dev/null 2>&1) || true
	t1=$(date +%s%N)
	a1=$(cpu_ticks "$p1") b1=$(cpu_ticks "$p2")
	f=$(awk -F';' 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == "FailedCall(C)") f = i} END {if (f) print $f + 0}' "$CLUSTER_DIR/caller.csv" 2>/dev/null || true)
	rm -f "$CLUSTER_DIR/caller.csv"
	awk -v n="$calls" -v ns=$((t1 - t0)) -v a=$((a1 - a0)) \
		-v b=$((b1 - b0)) -v hz="$hz" -v f="${f:-$calls}" -v l="$load" \
		'BEGIN { printf "%.0f %.1f %.1f %d %s\n", n / (ns / 1e9), a / hz * 1e6 / n, b / hz * 1e6 / n, f, l }'
}

echo "conditions: $(nproc) cores, SIPp $(sipp -v 2>&1 | grep -o 'v[0-9.]*' | head -1) on the same machine, UDP loopback phones, caller on n1 and callee on n2 (two wardd, node-to-node TLS), one caller device (max_calls_per_device 64, SIPp -l 64), offered rate $rate/s, $calls calls per run, no media relay traffic, load average $(cut -d' ' -f1-3 /proc/loadavg)"
res=()
for ((r = 0; r < runs; r++)); do
	res+=("$(one_run)")
	echo "  run $((r + 1)): $(echo "${res[-1]}" | awk '{printf "%s calls/s, %s us CPU per call on n1, %s on n2, %s failed, load %s", $1, $2, $3, $4, $5}')"
done
printf '%s\n' "${res[@]}" | awk '{print $1}' | median | xargs printf 'call set-ups/s between nodes (median of %d): %s\n' "$runs"
printf '%s\n' "${res[@]}" | awk '{print $2}' | median | xargs printf '  CPU per call, caller'"'"'s node n1: %s us\n'
printf '%s\n' "${res[@]}" | awk '{print $3}' | median | xargs printf '  CPU per call, callee'"'"'s node n2: %s us\n'
printf '%s\n' "${res[@]}" | awk '{s += $4} END {printf "  failed calls (all runs): %d\n", s}'

[ "$tls_pairs" -gt 0 ] || exit 0
# Over persistent TLS: devices SEP0000000020NN with lines 20000 + NN, the
# first TLS_PAIRS on n1 calling, the others on n2 answering. Every client
# connects from 127.0.0.1, and a run's connections are still closing as
# the next run opens its own: no per-source connection limit
# (conn_per_source = 0 above).
for ((i = 0; i < 2 * tls_pairs; i++)); do
	WARD_NEW_PASSWORD=tls-secret-123 ward_ctl n1 user add "tu$i" >/dev/null
	ward_ctl n1 device add "$(printf 'SEP0000000020%02d' "$i")" --model 8841 \
		--profile dig --lines $((20000 + i)) --digest-user "tu$i" >/dev/null
done
read -r _ _ TLS1 <<<"$(ward_sip n1)"
read -r _ _ TLS2 <<<"$(ward_sip n2)"
echo "over persistent TLS: $tls_pairs caller connections to n1, $tls_pairs callee connections to n2, digest MD5, $runs runs of $secs s"
tres=()
for ((r = 0; r < runs; r++)); do
	load=$(cut -d' ' -f1 /proc/loadavg)
	out=$("$build/bench/bench_sip_tls_call" 127.0.0.1 "$TLS1" 127.0.0.1 \
		"$TLS2" "$tls_pairs" "$secs" 'SEP0000000020%02d,tu' \
		tls-secret-123 - 20000 "$(ward_pid n1)" "$(ward_pid n2)")
	rate=$(echo "$out" | awk 'NR == 1 {print $7}')
	c1=$(echo "$out" | awk '/CPU per call/ {print $(NF - 1)}' | sed -n 1p)
	c2=$(echo "$out" | awk '/CPU per call/ {print $(NF - 1)}' | sed -n 2p)
	cc=$(echo "$out" | awk '/own CPU/ {print $(NF - 3)}')
	echo "  run $((r + 1)): $rate calls/s, $c1 us CPU per call on n1, $c2 on n2, $cc in the client, $(echo "$out" | sed -n 's/.*, \([0-9]*\) refused 503, \([0-9]*\) other.*/\1 refused, \2 other outcomes/p'), load $load"
	echo "$out" | grep '^  other:' | sed 's/^/  /' || true
	tres+=("$rate $c1 $c2 $cc")
done
printf '%s\n' "${tres[@]}" | awk '{print $1}' | median | xargs printf 'call set-ups/s between nodes over TLS (median of %d): %s\n' "$runs"
printf '%s\n' "${tres[@]}" | awk '{print $2}' | median | xargs printf '  CPU per call, caller'"'"'s node n1: %s us\n'
printf '%s\n' "${tres[@]}" | awk '{print $3}' | median | xargs printf '  CPU per call, callee'"'"'s node n2: %s us\n'
printf '%s\n' "${tres[@]}" | awk '{print $4}' | median | xargs printf '  CPU per call, the TLS client (same cores): %s us\n'
