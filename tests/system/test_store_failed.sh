#!/usr/bin/env bash
# What a leader whose store cannot apply does, with faults injected into
# n1's store (WARD_TEST_STORE_FAULT, tests only):
# - ENOSPC: n1 waits on the entry; the write waiting on it is answered at
#   its deadline (507), not left hanging; n2 and n3 elect and go on; once
#   the fault is lifted n1 catches up.
# - EIO (a storage error that is not about space): the write waiting on it
#   gets an error; cluster status shows n1 "failed" with the reason; n1
#   gives up leadership and stops voting while n2 and n3 elect and go on; a
#   write on n1 is refused with the reason. Restarted (the store itself is
#   sound), n1 replays the log and catches up.
. "$(dirname "$0")/lib.sh"

health_of() {
	ward_ctl "$1" --json cluster status |
		jq -r ".members[] | select(.name == \"$2\") | .health"
}
n1_failed() { [ "$(health_of n2 n1)" = failed ]; }
n1_ok() { [ "$(health_of n2 n1)" = ok ]; }

for n in n1 n2 n3; do node_conf $n; done
fault=$CLUSTER_DIR/n1.fault

step "a three-node cluster led by n1, whose store takes injected faults"
WARD_TEST_STORE_FAULT=$fault ward_init n1 failed
ward_join n2 n1
ward_join n3 n1
[ "$(leader_of n1)" = n1 ] || fail "n1 is not the leader"
ward_ctl n1 param set sip_keepalive_s 31 >/dev/null

step "n1's applies find no space: the write waiting on n1 is answered at its deadline"
echo "ENOSPC 1000000" >"$fault"
start=$(date +%s)
rc=0
ward_ctl n1 param set sip_keepalive_s 41 >"$CLUSTER_DIR/out" 2>&1 || rc=$?
took=$(($(date +%s) - start))
cat "$CLUSTER_DIR/out"
[ "$rc" != 0 ] || fail "the write on a leader without space succeeded"
[ "$took" -ge 13 ] && [ "$took" -le 20 ] || fail "the write was answered after ${took}s"
grep -q "no answer in time: this node's store is full" "$CLUSTER_DIR/out" ||
	fail "the answer does not say why"
n1_full() { [ "$(health_of n2 n1)" = store-full ]; }
wait_until 10 "n2 sees n1 store-full" n1_full
wait_until 10 "a leader other than n1" has_leader n2 n1
ward_ctl n2 param set sip_keepalive_s 42 >/dev/null

step "space again: n1 resumes and catches up, and leads again"
echo "ENOSPC 0" >"$fault"
wait_until 10 "n1 is healthy again" n1_ok
wait_until 10 "n1 has every write" param_is n1 sip_keepalive_s 42
! grep -q "state machine failed" "$CLUSTER_DIR/n1.log" ||
	fail "n1 marked its state machine failed for want of space"
n1_leads() { [ "$(leader_of n2)" = n1 ]; }
ward_ctl n2 leader transfer n1 >/dev/null
wait_until 10 "n1 leads again" n1_leads

step "n1's next apply fails with EIO: the write waiting on it gets an error"
echo "EIO 1" >"$fault"
start=$(date +%s)
rc=0
ward_ctl n1 param set sip_keepalive_s 32 >"$CLUSTER_DIR/out" 2>&1 || rc=$?
took=$(($(date +%s) - start))
cat "$CLUSTER_DIR/out"
[ "$rc" != 0 ] || fail "the write on a failing state machine succeeded"
[ "$took" -le 16 ] || fail "the write took ${took}s to fail"
grep -q "state machine failed" "$CLUSTER_DIR/out" || fail "the error does not say why"

step "cluster status shows n1 failed with the reason; n2 and n3 lead and serve"
wait_until 10 "n2 sees n1 failed" n1_failed
ward_ctl n2 cluster status
ward_ctl n2 cluster status | grep -q "n1: failed: applying entry [0-9]*: storage error" ||
	fail "cluster status does not give n1's reason"
wait_until 10 "a leader other than n1" has_leader n2 n1
ward_ctl n2 param set sip_keepalive_s 33 >/dev/null
for n in n2 n3; do wait_until 5 "$n sees the write" param_is $n sip_keepalive_s 33; done
# The entry n1 failed on committed: the others applied it.
[ "$(ward_ctl n1 --json status | jq -r .node.role)" = none ] || fail "n1 still takes part in Raft"
grep -q "state machine failed" "$CLUSTER_DIR/n1.log" || fail "n1 did not log the failure"

step "n1 refuses writes with the reason, at once; reads of its status work"
code=$(curl -s -m 5 -o "$CLUSTER_DIR/body" -w '%{http_code}' --cacert "$CLUSTER_DIR/n1/https.pem" \
	-u "admin:$WARD_PASSWORD" -X PUT -H 'Content-Type: application/json' \
	--data '{"value": "34"}' "$(ward_url n1)/v1/params/sip_keepalive_s")
[ "$code" = 503 ] || fail "a write on n1 got HTTP $code: $(cat "$CLUSTER_DIR/body")"
jq -e '.error | test("state machine failed")' "$CLUSTER_DIR/body" >/dev/null ||
	fail "503 without the reason: $(cat "$CLUSTER_DIR/body")"
cat "$CLUSTER_DIR/body"
[ "$(ward_ctl n1 --json status | jq -r .node.health)" = failed ] || fail "n1 does not say it failed"

step "two voters out of three still commit; n1 stays out while it runs"
sleep 1
ward_ctl n3 param set sip_keepalive_s 35 >/dev/null
[ "$(health_of n2 n1)" = failed ] || fail "n1 came back by itself"

step "restarted, n1 replays the log and catches up"
ward_stop n1
ward_start n1
wait_until 20 "n1 is healthy again" n1_ok
wait_until 10 "n1 has every write" param_is n1 sip_keepalive_s 35
echo "PASS"
