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
export WARDD=$build/node/wardd WARDCTL=$build/tools/wardctl/wardctl
export CLUSTER_DIR WARD_DIR
CLUSTER_DIR=$(mktemp -d /tmp/ward-bench.XXXXXX)
WARD_DIR=$CLUSTER_DIR
export SOFTHSM2_CONF=$CLUSTER_DIR/softhsm2.conf
export WARD_USER=admin WARD_PASSWORD=bench-password-$RANDOM
. "$src/deploy/cluster.sh"
trap 'ward_stop b1; rm -rf "$CLUSTER_DIR"' EXIT
port() { echo $((20000 + (RANDOM * 32768 + RANDOM) % 40000)); }
tftp_port=$(port)
http_port=$(port)
WARD_TFTP_LISTEN=127.0.0.1:$tftp_port WARD_TFTP_HTTP_LISTEN=127.0.0.1:$http_port \
	ward_conf b1 "127.0.0.1:$(port)" "127.0.0.1:$(port)" \
	"[tftp]" "max_transfers = 4096" "max_per_client = 64"
ward_init b1 bench
M=/usr/lib/softhsm/libsofthsm2.so
for t in tokA tokB; do
	"$src/deploy/token" $t >/dev/null
	ward_ctl b1 token register --module $M --token $t >/dev/null
done
ward_ctl b1 ctl sign --module $M --token tokA --pin-file "$WARD_DIR/tokA.pin" >/dev/null
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
