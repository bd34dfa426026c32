#!/usr/bin/env bash
# A node whose disk fills up: n3 runs on a 64 MB tmpfs; a filler file takes
# the rest of it and writes go on through the leader n1. n3 reports
# store-full (cluster status, its log naming the data directory and the
# free space) and refuses writes with 507, without ever marking its state
# machine failed; n1 and n2 keep serving. The filler is removed: n3 resumes
# by itself and catches up, with every write, in order.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	fail "this test mounts a tmpfs: run it as root"
fi

# The tmpfs is unmounted before lib.sh removes the cluster directory.
diskfull_cleanup() {
	local rc=$?
	[ -z "$(ward_pid n3)" ] || kill -9 "$(ward_pid n3)" 2>/dev/null || true
	sleep 0.2
	mountpoint -q "$CLUSTER_DIR/n3" && umount -l "$CLUSTER_DIR/n3"
	(exit $rc)
	sys_cleanup
}
trap diskfull_cleanup EXIT

import() {
	ward_ctl "$1" cert import --category other "$CLUSTER_DIR/certs/c$2.pem" >/dev/null
}

health_of() {
	ward_ctl n1 --json cluster status |
		jq -r ".members[] | select(.name == \"$1\") | .health"
}
is_full() { [ "$(health_of n3)" = store-full ]; }
is_ok() { [ "$(health_of n3)" = ok ]; }
applied_of() { ward_ctl "$1" --json status | jq -r .node.applied_index; }
trust_of() { ward_ctl "$1" --json cert list --trust | jq -c '[.. | .sha256? // empty] | sort'; }

for n in n1 n2 n3; do node_conf $n; done
mkdir -p "$CLUSTER_DIR/n3"
mount -t tmpfs -o size=64m,mode=0700 ward-systest "$CLUSTER_DIR/n3"
big_certs certs 80

step "a three-node cluster, n3 on a 64 MB tmpfs"
ward_init n1 diskfull
ward_join n2 n1
ward_join n3 n1
[ "$(leader_of n1)" = n1 ] || fail "n1 is not the leader"
import n1 1
n3_has_it() { [ "$(trust_of n3)" = "$(trust_of n1)" ]; }
wait_until 10 "n3 has the first write" n3_has_it

step "a filler file takes all the free space of n3's filesystem"
dd if=/dev/zero of="$CLUSTER_DIR/n3/filler" bs=64k 2>/dev/null || true
df -h "$CLUSTER_DIR/n3" | tail -1

step "writes through the leader go on; n3 reports store-full"
i=2
while ! is_full; do
	[ $i -le 40 ] || fail "n3 never reported store-full"
	import n1 $i || fail "write $i through the leader failed"
	i=$((i + 1))
done
echo "  n3 full after write $((i - 1))"
ward_ctl n1 cluster status
ward_ctl n1 cluster status | grep -q "n3: store-full: .*$CLUSTER_DIR/n3/store.*bytes free" ||
	fail "cluster status does not say why n3 is full"
grep -q "store full: .* in data directory $CLUSTER_DIR/n3/store .*: [0-9]* bytes free" "$CLUSTER_DIR/n3.log" ||
	fail "n3's log does not name its data directory and free space"

step "n3 refuses writes with 507 and says why; the others keep serving"
code=$(curl -s -o "$CLUSTER_DIR/body" -w '%{http_code}' --cacert "$CLUSTER_DIR/n3/https.pem" \
	-u "admin:$WARD_PASSWORD" -X PUT -H 'Content-Type: application/json' \
	--data '{"value": "77"}' "$(ward_url n3)/v1/params/sip_keepalive_s")
[ "$code" = 507 ] || fail "a write on n3 got HTTP $code: $(cat "$CLUSTER_DIR/body")"
jq -e '.error | test("store is full")' "$CLUSTER_DIR/body" >/dev/null ||
	fail "507 without a clear reason: $(cat "$CLUSTER_DIR/body")"
cat "$CLUSTER_DIR/body"
for j in $(seq $i $((i + 9))); do
	import n1 $j || fail "write $j through the leader failed while n3 was full"
done
ward_ctl n2 param set sip_keepalive_s 88 >/dev/null
last=$((i + 9))
[ "$(health_of n3)" = store-full ] || fail "n3 is $(health_of n3), not store-full"
n1_applied=$(applied_of n1)
[ "$(applied_of n3)" -lt "$n1_applied" ] || fail "n3 applied everything on a full disk?"

step "space is freed: n3 resumes by itself and catches up, nothing lost"
rm -f "$CLUSTER_DIR/n3/filler"
wait_until 20 "n3 is healthy again" is_ok
same_applied() { [ "$(applied_of n3)" -ge "$n1_applied" ]; }
wait_until 20 "n3 applied every entry" same_applied
[ "$(trust_of n3)" = "$(trust_of n1)" ] || fail "n3's trust store differs from n1's"
[ "$(trust_of n3 | jq length)" -ge "$last" ] || fail "n3 lost certificates"
param_is n3 sip_keepalive_s 88 || fail "n3 lost the parameter written meanwhile"
grep -q "space available again" "$CLUSTER_DIR/n3.log" || fail "n3 did not log that it resumed"
! grep -q "state machine failed" "$CLUSTER_DIR/n3.log" || fail "n3 marked its state machine failed"
ward_ctl n3 param set sip_keepalive_s 99 >/dev/null || fail "a write on n3 failed after it resumed"
for n in n1 n2 n3; do wait_until 5 "$n sees the write made on n3" param_is $n sip_keepalive_s 99; done
echo "--- n3's log while full:"
grep -E "store full|space available|busy for" "$CLUSTER_DIR/n3.log" | head -5
echo "PASS"
