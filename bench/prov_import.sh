#!/usr/bin/env bash
# Starts one initialized wardd on loopback (in a temporary directory) and
# measures how fast "wardctl device import" and "wardctl user import" add
# rows (batches of 100 rows, one Raft command per row), RUNS times each
# with fresh names, and prints every run and the median.
#   bench/prov_import.sh [BUILD_DIR] [ROWS] [RUNS]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
rows=${2:-5000}
runs=${3:-3}
export WARDD=$build/node/wardd WARDCTL=$build/tools/wardctl/wardctl
export CLUSTER_DIR
CLUSTER_DIR=$(mktemp -d /tmp/ward-bench.XXXXXX)
export WARD_USER=admin WARD_PASSWORD=bench-password-$RANDOM
. "$src/deploy/cluster.sh"
trap 'ward_stop b1; rm -rf "$CLUSTER_DIR"' EXIT
port() { echo $((20000 + (RANDOM * 32768 + RANDOM) % 40000)); }
ward_conf b1 "127.0.0.1:$(port)" "127.0.0.1:$(port)"
ward_init b1 bench >/dev/null

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# measure KIND RUN: rows/s of one import of $rows fresh rows.
measure() {
	local kind=$1 run=$2 f=$CLUSTER_DIR/$1-$2.csv t0 t1
	if [ "$kind" = device ]; then
		echo "name,model,capabilities,profile,lines" >"$f"
		for i in $(seq 1 "$rows"); do
			printf 'SEP%02X%010X,8841,tls;srtp,standard-non-secure,%d\n' \
				"$run" "$i" "$((run * 1000000 + i))"
		done >>"$f"
	else
		echo "name,password,presence_group" >"$f"
		for i in $(seq 1 "$rows"); do
			printf 'r%du%d,user-secret-%d,staff\n' "$run" "$i" "$i"
		done >>"$f"
	fi
	t0=$(date +%s%N)
	ward_ctl b1 "$kind" import "$f" >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $((rows * 1000000000 / (t1 - t0)))
}

echo "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); $rows rows per import"
for kind in device user; do
	results=()
	for run in $(seq 1 "$runs"); do
		results+=("$(measure "$kind" "$run")")
	done
	echo "$kind import: ${results[*]} rows/s; median $(printf '%s\n' "${results[@]}" | median) rows/s"
done
