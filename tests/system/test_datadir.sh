#!/usr/bin/env bash
# wardd refuses what it must not run with: bad settings, a damaged data
# directory, another cluster's data, used or wrong join tokens, a cluster
# CA other than the one pinned, a missing or foreign key-encryption key.
. "$(dirname "$0")/lib.sh"

step "-n checks the configuration"
# Refused joins are summarised into the audit each second, not minute.
node_conf a1 "fail_summary_s = 1"
node_conf b1
node_conf a2
expect_rc 0 "$WARDD" -n -c "$CLUSTER_DIR/a1.conf"
printf '[raft]\nelection_timeout_ms = 5\n' >"$CLUSTER_DIR/bad.conf"
expect_rc 2 "$WARDD" -n -c "$CLUSTER_DIR/bad.conf"
grep -q "election_timeout_ms" "$CLUSTER_DIR/last.err" || fail "no reason given"
printf '[node]\nnmae = x\n' >"$CLUSTER_DIR/bad.conf"
expect_rc 2 "$WARDD" -n -c "$CLUSTER_DIR/bad.conf"
grep -q "unknown setting" "$CLUSTER_DIR/last.err" || fail "no reason given"
# Addresses: the one parser the admin API and Raft use decides here too.
for bad in '::1:9443' '127.0.0.1:0' '127.0.0.1' 'host..example:1' '[127.0.0.1]:1'; do
	expect_rc 2 "$WARDD" -n -c "$CLUSTER_DIR/a1.conf" -s "raft.listen=$bad"
	grep -qF "raft.listen: \"$bad\" is not host:port" "$CLUSTER_DIR/last.err" ||
		fail "raft.listen=$bad: no reason given"
done
expect_rc 0 "$WARDD" -n -c "$CLUSTER_DIR/a1.conf" -s "raft.listen=[::1]:9443"
expect_rc 0 "$WARDD" -n -c "$CLUSTER_DIR/a1.conf" -s "admin.listen=localhost:8443"

step "two clusters, a and b"
ward_init a1 cluster-a
ward_init b1 cluster-b

step "a used token, a wrong token, a wrong fingerprint, another CA are refused"
token=$(ward_ctl a1 --json node add a2 127.0.0.1 | jq -r .token)
bad_token="${token%%.*}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
WARD_JOIN_TOKEN=$bad_token expect_rc 1 "$WARDD" -c "$CLUSTER_DIR/a2.conf" \
	--join "$(ward_url a1)" --ca-fingerprint "$(ward_ca_fp a1)"
grep -qi "refused" "$CLUSTER_DIR/last.err" || fail "wrong token: no clear refusal"
rm -rf "$CLUSTER_DIR/a2"
WARD_JOIN_TOKEN=$token expect_rc 1 "$WARDD" -c "$CLUSTER_DIR/a2.conf" \
	--join "$(ward_url a1)" --fingerprint "$(ward_fp b1)"
grep -q "not the pinned one" "$CLUSTER_DIR/last.err" || fail "wrong fingerprint: no clear message"
rm -rf "$CLUSTER_DIR/a2"
WARD_JOIN_TOKEN=$token expect_rc 1 "$WARDD" -c "$CLUSTER_DIR/a2.conf" \
	--join "$(ward_url a1)" --ca-fingerprint "$(ward_ca_fp b1)"
grep -q "issued by the pinned CA" "$CLUSTER_DIR/last.err" || fail "wrong CA: no clear message"
[ ! -e "$CLUSTER_DIR/a2/kek" ] || fail "a refused join left a KEK behind"
rm -rf "$CLUSTER_DIR/a2"
expect_rc 2 "$WARDD" -c "$CLUSTER_DIR/a2.conf" --join "$(ward_url a1)" --token "$token"
grep -q "ca-fingerprint" "$CLUSTER_DIR/last.err" || fail "no pin: no clear message"
# The member's own certificate is a pin too (the alternative to the CA).
WARD_JOIN_TOKEN=$token ward_start a2 --join "$(ward_url a1)" --fingerprint "$(ward_fp a1)"
wait_until 30 "a2 joined" test -s "$CLUSTER_DIR/a2/identity"
pki_ok a2
ward_stop a2
mv "$CLUSTER_DIR/a2" "$CLUSTER_DIR/a2.kept"
WARD_JOIN_TOKEN=$token expect_rc 1 "$WARDD" -c "$CLUSTER_DIR/a2.conf" \
	--join "$(ward_url a1)" --ca-fingerprint "$(ward_ca_fp a1)"
grep -qi "refused" "$CLUSTER_DIR/last.err" || fail "used token: no clear refusal"
rm -rf "$CLUSTER_DIR/a2"
mv "$CLUSTER_DIR/a2.kept" "$CLUSTER_DIR/a2"
joins_audited() {
	ward_ctl a1 --json audit |
		jq -e '[.audit[] | select(.action | test("join"))] | length >= 2'
}
wait_until 5 "refused joins are audited" joins_audited

step "a member's data directory cannot join another cluster"
token=$(ward_ctl b1 --json node add a2 127.0.0.1 | jq -r .token)
WARD_JOIN_TOKEN=$token expect_rc 1 "$WARDD" -c "$CLUSTER_DIR/a2.conf" \
	--join "$(ward_url b1)" --ca-fingerprint "$(ward_ca_fp b1)"
grep -q "already belongs" "$CLUSTER_DIR/last.err" || fail "no clear message"

step "a node without its cluster's KEK refuses to start"
ward_stop a2
cp -a "$CLUSTER_DIR/a2" "$CLUSTER_DIR/a2.good"
rm "$CLUSTER_DIR/a2/kek"
expect_rc 1 "$WARDD" -c "$CLUSTER_DIR/a2.conf"
grep -q "kek" "$CLUSTER_DIR/last.err" || fail "missing KEK: no clear message"
cp -a "$CLUSTER_DIR/b1/kek" "$CLUSTER_DIR/a2/kek" # cluster b's
expect_rc 1 "$WARDD" -c "$CLUSTER_DIR/a2.conf"
grep -q "is not the key-encryption key of cluster" "$CLUSTER_DIR/last.err" ||
	fail "foreign KEK: no clear message"
rm -rf "$CLUSTER_DIR/a2" && cp -a "$CLUSTER_DIR/a2.good" "$CLUSTER_DIR/a2"
chmod 644 "$CLUSTER_DIR/a2/kek"
expect_rc 1 "$WARDD" -c "$CLUSTER_DIR/a2.conf"
grep -qi "permission\|exposed\|too open" "$CLUSTER_DIR/last.err" ||
	fail "KEK readable by others: no clear message"
rm -rf "$CLUSTER_DIR/a2" && mv "$CLUSTER_DIR/a2.good" "$CLUSTER_DIR/a2"

step "another cluster's store is refused"
ward_stop a1
ward_stop b1
cp -a "$CLUSTER_DIR/a1" "$CLUSTER_DIR/a1.good"
rm -rf "$CLUSTER_DIR/a1/store"
cp -a "$CLUSTER_DIR/b1/store" "$CLUSTER_DIR/a1/store"
expect_rc 1 "$WARDD" -c "$CLUSTER_DIR/a1.conf"
grep -q "holds data of cluster" "$CLUSTER_DIR/last.err" || fail "no clear message"

step "a corrupt store is refused"
rm -rf "$CLUSTER_DIR/a1" && cp -a "$CLUSTER_DIR/a1.good" "$CLUSTER_DIR/a1"
head -c 65536 /dev/urandom >"$CLUSTER_DIR/a1/store/data.mdb"
expect_rc 1 "$WARDD" -c "$CLUSTER_DIR/a1.conf"
grep -qi "store" "$CLUSTER_DIR/last.err" || fail "no clear message"

step "corrupt Raft metadata is refused"
rm -rf "$CLUSTER_DIR/a1" && cp -a "$CLUSTER_DIR/a1.good" "$CLUSTER_DIR/a1"
for f in "$CLUSTER_DIR"/a1/raft/metadata*; do head -c 64 /dev/urandom >"$f"; done
expect_rc 1 "$WARDD" -c "$CLUSTER_DIR/a1.conf"
grep -qi "raft" "$CLUSTER_DIR/last.err" || fail "no clear message"

step "a data directory without its identity is refused"
rm -rf "$CLUSTER_DIR/a1" && cp -a "$CLUSTER_DIR/a1.good" "$CLUSTER_DIR/a1"
rm "$CLUSTER_DIR/a1/identity"
expect_rc 1 "$WARDD" -c "$CLUSTER_DIR/a1.conf"
grep -q "damaged" "$CLUSTER_DIR/last.err" || fail "no clear message"

step "a C-raft the work-arounds were not written for is refused"
rm -rf "$CLUSTER_DIR/a1" && cp -a "$CLUSTER_DIR/a1.good" "$CLUSTER_DIR/a1"
LD_PRELOAD=$WARD_BIN/tests/libfake_raft_version.so ASAN_OPTIONS=verify_asan_link_order=0 \
	expect_rc 1 "$WARDD" -c "$CLUSTER_DIR/a1.conf"
grep -q "C-raft 0.17.1 is loaded" "$CLUSTER_DIR/last.err" || fail "no clear message"

step "the intact data directory still starts"
rm -rf "$CLUSTER_DIR/a1" && cp -a "$CLUSTER_DIR/a1.good" "$CLUSTER_DIR/a1"
ward_start a1
ward_start a2 # a1 and a2 are the two voters of cluster a
wait_until 10 "cluster a has a leader again" has_leader a1

step "--rebuild-store rebuilds a damaged store from the Raft log"
ward_ctl a1 param set sip_keepalive_s 321 >/dev/null
wait_until 5 "a1 has the value" param_is a1 sip_keepalive_s 321
ward_stop a1
head -c 65536 /dev/urandom >"$CLUSTER_DIR/a1/store/data.mdb"
expect_rc 1 "$WARDD" -c "$CLUSTER_DIR/a1.conf"
grep -q -- "--rebuild-store" "$CLUSTER_DIR/last.err" || fail "no hint at --rebuild-store"
ward_start a1 --rebuild-store
wait_until 10 "a1 rebuilt its store" param_is a1 sip_keepalive_s 321
ls -d "$CLUSTER_DIR"/a1/store.damaged-* >/dev/null || fail "the damaged store was not kept"
step "ok"
