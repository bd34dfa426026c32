#!/usr/bin/env bash
# End to end: PHONES devices provisioned by a CSV import through wardctl,
# then a cluster-wide security-mode change (non-secure -> mixed, CTL
# signed beforehand with two trial tokens from deploy/token), then every
# phone downloads its SEP<MAC>.cnf.xml.sgn over TFTP from the node,
# CLIENTS transfers at once (bench_tftp_fleet, each on its own loopback
# address). Reports the time from the start of "wardctl security mode
# mixed" to the last completed download (target < 10 s for 10,000).
#
# Meanwhile 8 other clients fetch a file that is not signed again (the
# node's ITL, from the cache) over and over: their files/s during the
# change, against the same just before, shows whether serving stalls
# while the phones' files are being signed.
#
# Each run starts from non-secure with the node restarted (an empty file
# cache), so every run signs every phone's file again; the median of RUNS
# runs is printed with the conditions.
#   bench/tftp_e2e.sh [BUILD_DIR] [PHONES] [CLIENTS] [RUNS] [SIGN_THREADS]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
phones=${2:-10000}
clients=${3:-512}
runs=${4:-3}
threads=${5:-2}
. "$src/bench/tftp_node.sh"
bench_tftp_node "[tftp]" "max_transfers = 4096" "sign_threads = $threads"

prefix=00AB12
csv=$CLUSTER_DIR/devices.csv
echo "name,model,capabilities,profile,lines" >"$csv"
for i in $(seq 0 $((phones - 1))); do
	printf 'SEP%s%06X,8841,tls;srtp,standard-authenticated,%d\n' \
		"$prefix" "$i" "$((200000 + i))"
done >>"$csv"
t0=$(date +%s%N)
ward_ctl b1 device import "$csv" >"$CLUSTER_DIR/import.out" 2>&1 ||
	{ tail -3 "$CLUSTER_DIR/import.out"; exit 1; }
t1=$(date +%s%N)
echo "provisioned by CSV import in $(((t1 - t0) / 1000000)) ms: $(tail -1 "$CLUSTER_DIR/import.out")"
grep -q "$phones added, 0 refused" "$CLUSTER_DIR/import.out" ||
	{ echo "the import did not add every device" >&2; exit 1; }

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg);" \
	"$phones phones, $clients transfers at once, 512-byte blocks," \
	"$threads signing threads, RSA-2048 SHA-1 TFTP key"
results=()
for r in $(seq 1 "$runs"); do
	ward_ctl b1 security mode non-secure >/dev/null 2>&1 || true
	ward_stop b1
	ward_start b1
	# the node serves again (its ITL) before the clock starts
	for i in $(seq 1 100); do
		curl -sf "http://127.0.0.1:$http_port/ITLFile.tlv" -o /dev/null && break
		sleep 0.1
	done
	idle=$("$build/bench/bench_tftp_serve" tftp 127.0.0.1 "$tftp_port" \
		ITLFile.tlv 8 3 | sed 's/.* \([0-9]*\) files\/s.*/\1/')
	"$build/bench/bench_tftp_serve" tftp 127.0.0.1 "$tftp_port" ITLFile.tlv \
		8 5 >"$CLUSTER_DIR/probe.out" &
	probe=$!
	t0=$(date +%s%N)
	ward_ctl b1 security mode mixed >/dev/null
	out=$("$build/bench/bench_tftp_fleet" 127.0.0.1 "$tftp_port" "$prefix" \
		"$phones" "$clients" 60) || { echo "run $r failed: $out" >&2; exit 1; }
	wait "$probe"
	busy=$(sed 's/.* \([0-9]*\) files\/s.*/\1/' "$CLUSTER_DIR/probe.out")
	echo "run $r: the ITL served to 8 other clients: $idle files/s before," \
		"$busy files/s during the first 5 s of the change"
	last=$(echo "$out" | sed 's/.*last_ns \([0-9]*\).*/\1/')
	ms=$(((last - t0) / 1000000))
	results+=("$ms")
	echo "run $r: ${ms} ms from the mode change to the last download ($out)"
done
echo "mode change -> $phones phones downloaded: median $(printf '%s\n' "${results[@]}" | median) ms of $runs runs (${results[*]})"
