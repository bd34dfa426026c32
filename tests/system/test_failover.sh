#!/usr/bin/env bash
# Writes through a follower while the leader dies: the follower keeps
# relaying, within the request's time, until a new leader is elected; with
# no leader to be had it says why in plain words. The election timeout is
# long (2 s) so that the write certainly lands before the election ends.
. "$(dirname "$0")/lib.sh"

slow_election=("[raft]" "election_timeout_ms = 2000" "heartbeat_ms = 100")
for n in f1 f2 f3; do node_conf $n "${slow_election[@]}"; done

step "a 3-node cluster"
ward_init f1 failover
ward_join f2 f1
ward_join f3 f1
wait_until 20 "f1 leads" has_leader f1
leader=$(leader_of f1)
follower=f1; [ "$leader" != f1 ] || follower=f2

step "kill -9 the leader; a write through a follower waits for the election"
kill -9 "$(ward_pid "$leader")"
start=$(date +%s%N)
ward_ctl "$follower" --timeout 20 param set sip_keepalive_s 390 >"$CLUSTER_DIR/last.out" 2>&1 ||
	fail "the write during the election failed: $(cat "$CLUSTER_DIR/last.out")"
took=$((($(date +%s%N) - start) / 1000000))
echo "the write took $took ms"
new=$(leader_of "$follower")
[ -n "$new" ] && [ "$new" != "$leader" ] || fail "no new leader after the write"
for n in f1 f2 f3; do
	[ "$n" = "$leader" ] && continue
	wait_until 5 "$n holds the write" param_is $n sip_keepalive_s 390
done
ward_stop "$leader" 9

step "with no majority left, the relay says why when the client's time is up"
for n in f1 f2 f3; do [ "$n" = "$leader" ] || [ "$n" = "$new" ] || survivor=$n; done
kill -9 "$(ward_pid "$new")"
start=$(date +%s%N)
expect_rc 4 ward_ctl "$survivor" --timeout 8 param set sip_keepalive_s 391
took=$((($(date +%s%N) - start) / 1000000))
grep -q "leader $new unreachable: connection refused; election in progress" \
	"$CLUSTER_DIR/last.err" || fail "unclear: $(cat "$CLUSTER_DIR/last.err")"
# It kept trying for the client's time, less the margin it keeps.
[ "$took" -ge 6000 ] || fail "gave up after $took ms"
ward_stop "$new" 9
step "ok"
