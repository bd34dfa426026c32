#!/usr/bin/env bash
# The TFTP role's figures: one initialized wardd on loopback (temporary
# directory) in mixed mode with a phone, then
#   - signed configuration files (SEP<MAC>.cnf.xml.sgn, ~2 KiB) served per
#     second from the cache, over TFTP (default 512-byte blocks, and
#     blksize 1428 with tsize) and over HTTP (keep-alive), CLIENTS at once,
#     each TFTP client on its own loopback address, as phones are;
#   - the cost of signing again after a change (bench_tftp_resign).
# Every figure is the median of RUNS runs.
#   bench/tftp.sh [BUILD_DIR] [CLIENTS] [SECONDS] [RUNS]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
clients=${2:-64}
secs=${3:-5}
runs=${4:-3}
. "$src/bench/tftp_node.sh"
bench_tftp_node "[tftp]" "max_transfers = 4096" "max_per_client = 64"
ward_ctl b1 security mode mixed >/dev/null
ward_ctl b1 device add SEP00112233AABB --model 8841 --capabilities tls,srtp \
	--profile standard-authenticated --lines 1001,1002 >/dev/null
name=SEP00112233AABB.cnf.xml.sgn
for i in $(seq 1 50); do
	curl -sf "http://127.0.0.1:$http_port/$name" -o /dev/null && break
	sleep 0.1
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() { # LABEL ARGS...: median files/s of RUNS runs
	local label=$1 r out rates=()
	shift
	for r in $(seq 1 "$runs"); do
		out=$("$build/bench/bench_tftp_serve" "$@")
		rates+=("$(echo "$out" | sed 's/.* \([0-9]*\) files\/s.*/\1/')")
	done
	echo "$label: $(printf '%s\n' "${rates[@]}" | median) files/s (median of $runs; last run: $out)"
}
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
measure "TFTP, 512-byte blocks" tftp 127.0.0.1 "$tftp_port" "$name" "$clients" "$secs"
measure "TFTP, blksize 1428 + tsize" tftp 127.0.0.1 "$tftp_port" "$name" "$clients" "$secs" 1428
measure "HTTP keep-alive" http 127.0.0.1 "$http_port" "$name" "$clients" "$secs"
"$build/bench/bench_tftp_resign" 2000 "$runs" cpu
