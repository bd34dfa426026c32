#!/usr/bin/env bash
# Writes through a follower while the leader dies: a 3-node cluster of real
# wardd processes on loopback; each round, a client writes a parameter
# through a follower at RATE writes/s for SECONDS, and one second in the
# leader is killed with SIGKILL. The killed node is restarted and the
# cluster given time to settle before the next round. Reports, per round
# and as the median of ROUNDS, the failed writes (target 0) and the longest
# write (target <= 1 s). Not a test.
#   bench/admin_failover.sh [BUILD_DIR] [-r ROUNDS] [-w RATE] [-s SECONDS]
#                           [-e ELECTION_MS]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
	build=$1
	shift
fi
rounds=10 rate=50 secs=4 election=300
while getopts r:w:s:e: opt; do
	case $opt in
	r) rounds=$OPTARG ;;
	w) rate=$OPTARG ;;
	s) secs=$OPTARG ;;
	e) election=$OPTARG ;;
	*) exit 2 ;;
	esac
done
export WARDD=$build/node/wardd WARDCTL=$build/tools/wardctl/wardctl
writer=$build/bench/bench_admin_writer
export CLUSTER_DIR
CLUSTER_DIR=$(mktemp -d /tmp/ward-bench.XXXXXX)
export WARD_USER=admin WARD_PASSWORD=bench-password-$RANDOM$RANDOM
. "$src/deploy/cluster.sh"
nodes=(f1 f2 f3)
cleanup() {
	for n in "${nodes[@]}"; do ward_stop "$n" 9 >/dev/null 2>&1 || true; done
	rm -rf "$CLUSTER_DIR"
}
trap cleanup EXIT
declare -A used=()
port() {
	local p
	while :; do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		[ -z "${used[$p]:-}" ] || continue
		ss -Htan "sport = :$p" | grep -q . && continue
		used[$p]=1
		echo "$p"
		return
	done
}
leader_of() {
	ward_ctl "$1" --timeout 5 --json cluster status 2>/dev/null |
		jq -r '.leader.name // empty'
}
healthy() { # every node a voter, one leader, every replica at the leader's value
	local l v n
	l=$(leader_of "$1")
	[ -n "$l" ] || return 1
	v=$(ward_ctl "$l" --json param get sip_keepalive_s | jq -r .value)
	for n in "${nodes[@]}"; do
		[ -n "$(ward_pid "$n")" ] || return 1
		[ "$(ward_ctl "$n" --json param get sip_keepalive_s | jq -r .value)" = "$v" ] ||
			return 1
	done
}
wait_for() { # SECONDS CMD...
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.1
	done
}

for n in "${nodes[@]}"; do
	ward_conf "$n" "127.0.0.1:$(port)" "127.0.0.1:$(port)" \
		"[raft]" "election_timeout_ms = $election" "heartbeat_ms = 50"
done
ward_init f1 bench >/dev/null
ward_join f2 f1 >/dev/null
ward_join f3 f1 >/dev/null
wait_for 30 healthy f1 || { echo "the cluster did not settle" >&2; exit 1; }

echo "bench_admin_failover: $rounds rounds; ${rate} writes/s through a follower for ${secs} s;"
echo "  the leader SIGKILLed 1 s in; 3 wardd on 127.0.0.1; election ${election} ms, heartbeat 50 ms"
echo "  $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')), load $(cut -d' ' -f1-3 /proc/loadavg)"
fails=() maxes=()
for r in $(seq 1 "$rounds"); do
	leader=$(leader_of f1)
	[ -n "$leader" ] || { echo "round $r: no leader" >&2; exit 1; }
	for via in "${nodes[@]}"; do [ "$via" = "$leader" ] || break; done
	out=$CLUSTER_DIR/round$r.txt
	"$writer" "$(ward_url "$via")" "$(ward_ca f1)" "$rate" "$secs" >"$out" &
	wpid=$!
	sleep 1
	ward_stop "$leader" 9
	wait "$wpid"
	summary=$(tail -1 "$out")
	failed=$(echo "$summary" | sed 's/.*failed=\([0-9]*\).*/\1/')
	max=$(echo "$summary" | sed 's/.*max_ms=\([0-9.]*\).*/\1/')
	new=$(leader_of "$via")
	printf 'round %2d: killed %s (leader), wrote through %s, new leader %s: %s\n' \
		"$r" "$leader" "$via" "${new:-?}" "${summary#done }"
	if [ "$failed" != 0 ]; then
		awk '$1 != "done" && $3 != 200' "$out" | head -3 | sed 's/^/    failed: /'
	fi
	fails+=("$failed")
	maxes+=("$max")
	ward_start "$leader" >/dev/null
	wait_for 60 healthy "$via" || { echo "round $r: the cluster did not settle" >&2; exit 1; }
	sleep 1
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "median of $rounds rounds: failed writes $(median "${fails[@]}") (target 0), longest write $(median "${maxes[@]}") ms (target <= 1000)"
echo "worst round: failed writes $(printf '%s\n' "${fails[@]}" | sort -g | tail -1), longest write $(printf '%s\n' "${maxes[@]}" | sort -g | tail -1) ms"
