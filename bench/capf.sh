#!/usr/bin/env bash
# LSCs issued per second over the CAPF protocol, each committed to the
# store (LSC + operation outcome in one Raft command, after the "in
# progress" one) before the phone hears "done". One initialized wardd on
# loopback; DEVICES phones imported, scheduled (null string) in batches,
# then enrolled by bench_capf_enrol with THREADS concurrent clients; RUNS
# runs per key type (EC P-256, RSA 2048), fresh devices each, median.
# NODES 3: a 3-node cluster, the phones enrolling at a follower, whose
# writes the leader records (POST /v1/capf/relay).
#   bench/capf.sh [BUILD_DIR] [DEVICES] [THREADS] [RUNS] [NODES]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
devices=${2:-2000}
threads=${3:-32}
runs=${4:-3}
nodes=${5:-1}
export WARDD=$build/node/wardd WARDCTL=$build/tools/wardctl/wardctl
export CLUSTER_DIR
CLUSTER_DIR=$(mktemp -d /tmp/ward-bench.XXXXXX)
export WARD_USER=admin WARD_PASSWORD=bench-password-$RANDOM
. "$src/deploy/cluster.sh"
trap 'for n in b1 b2 b3; do ward_stop $n 2>/dev/null || :; done; rm -rf "$CLUSTER_DIR"' EXIT
port() { echo $((20000 + (RANDOM * 32768 + RANDOM) % 40000)); }
declare -A capf_of=()
for n in b1 b2 b3; do
	capf_of[$n]=$(port)
	WARD_TFTP_LISTEN=127.0.0.1:$(port) WARD_TFTP_HTTP_LISTEN=127.0.0.1:$(port) \
		ward_conf $n "127.0.0.1:$(port)" "127.0.0.1:$(port)" \
		"[capf]" "listen = 127.0.0.1:${capf_of[$n]}" "max_sessions = 1024" \
		"[sip]" "port = 0" "tls_port = 0"
done
ward_init b1 bench >/dev/null
where=b1
if [ "$nodes" = 3 ]; then
	ward_join b2 b1 >/dev/null
	ward_join b3 b1 >/dev/null
	leader=$(ward_ctl b1 --json cluster status | jq -r '.leader.name')
	where=b2
	[ "$leader" != b2 ] || where=b3
fi
capf=${capf_of[$where]}
for i in $(seq 1 100); do
	ss -Hlnt "sport = :$capf" | grep -q . && break
	sleep 0.1
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# prepare RUN KEY: DEVICES phones SEP<run><index>, an install scheduled each.
prepare() {
	local run=$1 key=$2 f=$CLUSTER_DIR/dev-$1.csv i
	echo "name,model,capabilities,profile" >"$f"
	for i in $(seq 1 "$devices"); do
		printf 'SEP%02X%010X,8841,tls;srtp,standard-non-secure\n' "$run" "$i"
	done >>"$f"
	ward_ctl b1 device import "$f" >/dev/null 2>&1
	tail -n +2 "$f" | cut -d, -f1 | split -l 500 - "$CLUSTER_DIR/part-$run-"
	for p in "$CLUSTER_DIR"/part-"$run"-*; do
		ward_ctl b1 capf schedule --auth null-string --key "$key" --csv "$p" >/dev/null
		rm -f "$p"
	done
}

if [ "$nodes" = 3 ]; then
	echo "CAPF enrolment: $devices LSCs per run, $threads concurrent clients, at follower $where of 3 nodes on loopback, $(nproc) cores"
else
	echo "CAPF enrolment: $devices LSCs per run, $threads concurrent clients, one node on loopback, $(nproc) cores"
fi
run=0
for kind in ec rsa; do
	key=ec-p256
	if [ $kind = rsa ]; then key=rsa-2048; fi
	rates=()
	for r in $(seq 1 "$runs"); do
		run=$((run + 1))
		prepare $run $key
		line=$("$build/bench/bench_capf_enrol" "127.0.0.1:$capf" "$threads" \
			"$devices" 1 "$(printf 'SEP%02X' $run)" $kind)
		echo "  $key run $r: $line"
		rates+=("$(echo "$line" | awk '{print $(NF-1)}')")
	done
	echo "$key: median $(printf '%s\n' "${rates[@]}" | median) LSC/s committed"
done
