#!/usr/bin/env bash
# A store whose map fills up grows it online: two nodes whose map starts at
# 1 MiB (store.map_size_mb = 1) take a flood of writes (~2 MB of
# certificates) larger than that; every write succeeds, both nodes log the
# growth and report the grown map in their status, and both hold the same
# data, also after a restart with the small setting.
. "$(dirname "$0")/lib.sh"

# flood NAME FROM TO: imports certificates FROM..TO into the trust store
# through node NAME, four at a time (each a replicated write of ~9 KB);
# prints one line per failure.
flood() {
	local name=$1 from=$2 to=$3 i
	for i in $(seq "$from" "$to"); do
		ward_ctl "$name" cert import --category other \
			"$CLUSTER_DIR/flood/c$i.pem" >/dev/null 2>"$CLUSTER_DIR/flood/e$i" ||
			echo "c$i: $(cat "$CLUSTER_DIR/flood/e$i")" &
		[ $((i % 4)) != 0 ] || wait
	done
	wait
}

# map_of NAME FIELD: a figure of node NAME's store from its status.
map_of() { ward_ctl "$1" --json status | jq -r ".node.store.$2"; }

small=("[store]" "map_size_mb = 1")
node_conf n1 "${small[@]}"
node_conf n2 "${small[@]}"

step "a two-node cluster whose maps start at 1 MiB"
ward_init n1 growth
ward_join n2 n1
[ "$(map_of n1 map_size)" -le $((4 << 20)) ] || fail "n1's map did not start small"

step "a flood of 200 writes of ~9 KB each (certificates into the trust store)"
big_certs flood 210
failed=$(flood n1 1 200)
[ -z "$failed" ] || fail "writes failed: $failed"

step "both maps grew online, and both nodes say so"
for n in n1 n2; do
	size=$(map_of $n map_size)
	grows=$(map_of $n map_grows)
	data=$(map_of $n data_size)
	echo "  $n: map $((size >> 20)) MiB after $grows growths, data $((data >> 10)) KiB"
	[ "$size" -gt $((1 << 20)) ] || fail "$n's map did not grow"
	[ "$grows" -ge 1 ] || fail "$n counts no growth"
	[ "$data" -gt $((1 << 20)) ] || fail "$n holds less than the 1 MiB it started with"
	grep -q "map full at 1 MiB, grown to 2 MiB" "$CLUSTER_DIR/$n.log" ||
		fail "$n did not log the growth"
	[ "$(ward_ctl $n --json status | jq -r .node.health)" = ok ] ||
		fail "$n is not healthy"
done

step "both applied the same entries and hold the same trust store"
applied_of() { ward_ctl "$1" --json status | jq -r .node.applied_index; }
same_applied() { [ "$(applied_of n1)" = "$(applied_of n2)" ]; }
wait_until 10 "n2 applied what n1 did" same_applied
t1=$(ward_ctl n1 --json cert list --trust | jq -c '[.. | .sha256? // empty] | sort')
t2=$(ward_ctl n2 --json cert list --trust | jq -c '[.. | .sha256? // empty] | sort')
[ "$(echo "$t1" | jq length)" -ge 200 ] || fail "n1 holds fewer than the 200 certificates"
[ "$t1" = "$t2" ] || fail "n1 and n2 hold different trust stores"

step "restarted with the small setting, the grown store opens and takes writes"
ward_stop n2
ward_start n2
wait_until 10 "a leader again (two voters need both)" has_leader n1
failed=$(flood n1 201 210)
[ -z "$failed" ] || fail "writes after the restart failed: $failed"
wait_until 10 "n2 caught up after its restart" same_applied
t2=$(ward_ctl n2 --json cert list --trust | jq '[.. | .sha256? // empty] | length')
[ "$t2" -ge 210 ] || fail "n2 holds $t2 certificates after catching up"
echo "PASS"
