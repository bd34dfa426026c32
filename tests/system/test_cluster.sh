#!/usr/bin/env bash
# A 3-node cluster of real wardd processes on loopback, driven by wardctl:
# the cluster PKI every node receives, replication, forwarding, refusals,
# leader failure, catch-up, removal, joining from a snapshot after
# compaction, and a full restart.
. "$(dirname "$0")/lib.sh"

# voters_are NAME N: node NAME sees N voters.
voters_are() {
	[ "$(ward_ctl "$1" --json cluster status |
		jq '[.members[] | select(.role == "voter")] | length')" = "$2" ]
}

raft_small=("[raft]" "snapshot_threshold = 32" "snapshot_trailing = 8")
# Failed logins are summarised into the audit each second, not minute.
for n in n1 n2 n3 n4; do node_conf $n "fail_summary_s = 1" "${raft_small[@]}"; done

step "init n1, join n2 through n1 and n3 through n2 (a follower relays both phases)"
ward_init n1 systest
ward_join n2 n1
ward_join n3 n2
wait_until 5 "n1 sees 3 voters" voters_are n1 3

step "every node holds the cluster KEK and certificates issued by the CA"
for n in n1 n2 n3; do
	pki_ok $n
	cmp -s "$CLUSTER_DIR/n1/pki/ca.pem" "$CLUSTER_DIR/$n/pki/ca.pem" ||
		fail "$n holds another CA"
	[ "$(kek_id $n)" = "$(kek_id n1)" ] || fail "$n holds another KEK"
done
openssl x509 -in "$CLUSTER_DIR/n2/pki/node.pem" -noout -ext subjectAltName |
	grep -q "URI:ward://node/2" || fail "n2's node certificate names no node id"

step "regenerated certificates: n2 switches its admin API and Raft, no restart"
old_fp=$(ward_fp n2)
ward_ctl n1 cert regenerate n2 https >/dev/null
ward_ctl n1 cert regenerate n2 node >/dev/null
fp_moved() { [ "$(ward_fp n2)" != "$old_fp" ]; }
wait_until 5 "n2 serves its new HTTPS certificate" fp_moved
wait_until 5 "n2 switched Raft to its new node certificate" \
	grep -q "node certificate: now generation 2" "$CLUSTER_DIR/n2.log"
pki_ok n2
ward_ctl n1 --json cluster status |
	jq -e '[.members[] | select(.name == "n2" and .health == "ok")] | length == 1' >/dev/null ||
	fail "the leader does not reach n2 at its new certificate"

step "a write on the leader is read on every node"
leader=$(leader_of n1)
[ -n "$leader" ] || fail "no leader"
ward_ctl "$leader" param set sip_keepalive_s 300 >/dev/null
for n in n1 n2 n3; do wait_until 5 "$n sees the parameter" param_is $n sip_keepalive_s 300; done

step "a write on a follower is forwarded to the leader"
follower=n1; [ "$leader" != n1 ] || follower=n2
ward_ctl "$follower" param set digest_nonce_validity_s 900 >/dev/null
for n in n1 n2 n3; do wait_until 5 "$n sees the forwarded write" param_is $n digest_nonce_validity_s 900; done

step "bad credentials, bad JSON, bad values and unknown nodes are refused"
WARD_PASSWORD=wrong-password expect_rc 5 ward_ctl n2 param list
wait_until 5 "the failed login is audited" \
	sh -c "\"\$WARDCTL\" --url $(ward_url n1) --fingerprint $(ward_fp n1) --json audit | jq -e '[.audit[] | select(.action == \"login.fail\")] | length > 0'"
code=$(curl -s -o "$CLUSTER_DIR/body" -w '%{http_code}' --cacert "$CLUSTER_DIR/n1/https.pem" \
	-u "admin:$WARD_PASSWORD" -X PUT -H 'Content-Type: application/json' \
	--data '{"value": ' "$(ward_url n1)/v1/params/sip_keepalive_s")
[ "$code" = 400 ] || fail "malformed JSON got HTTP $code"
jq -e '.error | length > 0' "$CLUSTER_DIR/body" >/dev/null || fail "400 without a reason"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CLUSTER_DIR/n1/https.pem" \
	"$(ward_url n1)/v1/params")
[ "$code" = 401 ] || fail "no credentials got HTTP $code"
# Status lines carry the phrases of common/http_reason.
status=$(curl -s -o /dev/null -D - --cacert "$CLUSTER_DIR/n1/https.pem" \
	"$(ward_url n1)/v1/params" | head -1 | tr -d '\r')
[ "$status" = "HTTP/1.1 401 Unauthorized" ] || fail "status line: $status"
expect_rc 2 ward_ctl n1 param set sip_keepalive_s 99999999
expect_rc 2 ward_ctl n1 param set no_such_parameter 1
expect_rc 2 ward_ctl n1 node remove no-such-node

step "kill -9 the leader: a write through a follower rides through the election"
ward_stop "$leader" 9
other=n1; [ "$leader" != n1 ] || other=n2
# At once, while the follower still has the dead leader on record.
ward_ctl "$other" param set sip_keepalive_s 390 >/dev/null ||
	fail "a write during the election failed"
wait_until 5 "the write reaches $other" param_is "$other" sip_keepalive_s 390
wait_until 10 "a new leader" has_leader "$other" "$leader"
new_leader=$(leader_of "$other")
ward_ctl "$new_leader" param set sip_keepalive_s 400 >/dev/null

step "the killed node restarts and catches up"
ward_start "$leader"
wait_until 10 "$leader catches up" param_is "$leader" sip_keepalive_s 400

step "remove n3"
n3_id=$(ward_ctl n1 --json node list | jq '.nodes[] | select(.name == "n3") | .id')
[ "$n3_id" = 3 ] || fail "n3 has id $n3_id"
leader=$(leader_of n1)
ward_ctl "$leader" node remove n3 >/dev/null
names=$(ward_ctl n1 --json --consistent node list | jq -r '[.nodes[].name] | sort | join(",")')
[ "$names" = "n1,n2" ] || fail "nodes after removal: $names"
wait_until 10 "n3 stops after its removal" sh -c "[ -z \"\$(ward_pid n3)\" ]"

step "n3's node certificate, still valid from the CA, no longer speaks Raft"
# What the removed node keeps: its NODE certificate and key. It presents
# them with a well-formed hello (transport.h: magic, caller 3, callee 1,
# address) so that only the check against the store can stop it.
[ -s "$CLUSTER_DIR/n3/pki/node.pem" ] && [ -s "$CLUSTER_DIR/n3/pki/node.key" ] ||
	fail "n3's data directory lost its node certificate"
openssl verify -CAfile "$CLUSTER_DIR/n1/pki/ca.pem" "$CLUSTER_DIR/n3/pki/node.pem" \
	>/dev/null || fail "n3's node certificate is not one of the CA"
n1_raft=$(sed -n 's/^listen = //p' "$CLUSTER_DIR/n1.conf" | head -1)
n3_raft=$(sed -n 's/^listen = //p' "$CLUSTER_DIR/n3.conf" | head -1)
hello() { # hello CALLER CALLEE ADDRESS
	printf 'WARDTLS1'
	printf '%016x%016x%016x' "$1" "$2" "${#3}" | xxd -r -p
	printf '%s' "$3"
}
probe_removed() {
	(hello 3 1 "$n3_raft"; sleep 1) |
		timeout 5 openssl s_client -connect "$n1_raft" -tls1_3 -ign_eof \
			-cert "$CLUSTER_DIR/n3/pki/node.pem" \
			-key "$CLUSTER_DIR/n3/pki/node.key" 2>&1 || true
}
probe_removed >"$CLUSTER_DIR/probe-n3" 
grep -q "CONNECTED" "$CLUSTER_DIR/probe-n3" ||
	fail "the probe did not reach n1's Raft port"
wait_until 5 "n1 refuses the removed node's certificate" \
	grep -q "refused: not the node certificate the cluster holds for server 3" \
	"$CLUSTER_DIR/n1.log"

step "compact the log, then join n4: it catches up from a snapshot"
for i in $(seq 1 80); do
	ward_ctl n1 param set audit_retention_days $((100 + i)) >/dev/null
done
ward_join n4 n1
wait_until 10 "n4 has the latest value" param_is n4 audit_retention_days 180
# Ids are never handed out twice: n3's certificate must name no one else.
n4_id=$(ward_ctl n1 --json node list | jq '.nodes[] | select(.name == "n4") | .id')
[ "$n4_id" = 4 ] || fail "n4 got id $n4_id after n3 (id 3) was removed"
snap=$(ward_ctl n4 --json status | jq .node.snapshot_index)
[ "$snap" -gt 0 ] || fail "n4 did not install a snapshot (snapshot_index $snap)"
wait_until 5 "n1 sees 3 voters after n4 joined" voters_are n1 3

step "stop every node and start them again: nothing is lost"
pki_ok n4
for n in n1 n2 n4; do pki_digest $n >"$CLUSTER_DIR/$n.pki"; done
for n in n1 n2 n4; do ward_stop $n; done
for n in n1 n2 n4; do ward_start $n; done
wait_until 10 "a leader after the restart" has_leader n1
for n in n1 n2 n4; do
	param_is $n audit_retention_days 180 || fail "$n lost a write"
	param_is $n sip_keepalive_s 400 || fail "$n lost a write"
done
ward_ctl n1 param set sip_keepalive_s 500 >/dev/null
for n in n1 n2 n4; do wait_until 5 "$n after restart" param_is $n sip_keepalive_s 500; done
for n in n1 n2 n4; do
	pki_digest $n | cmp -s - "$CLUSTER_DIR/$n.pki" ||
		fail "$n's certificates changed across the restart"
	pki_ok $n
done

step "Raft speaks only to node certificates of this cluster"
raft=$(sed -n 's/^listen = //p' "$CLUSTER_DIR/n1.conf" | head -1)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$CLUSTER_DIR/foreign.key" -out "$CLUSTER_DIR/foreign.pem" \
	-subj /CN=foreign -days 1 2>/dev/null
# raft_probe [OPENSSL ARGS...]: sends bytes over TLS to n1's Raft port.
raft_probe() {
	(printf 'not raft\n'; sleep 1) |
		timeout 5 openssl s_client -connect "$raft" -tls1_3 -ign_eof "$@" 2>&1 || true
}
raft_probe | grep -q "alert certificate required" ||
	fail "Raft accepted a client without a certificate"
raft_probe -cert "$CLUSTER_DIR/foreign.pem" -key "$CLUSTER_DIR/foreign.key" |
	grep -q "alert unknown ca" || fail "Raft accepted a foreign certificate"
# An HTTPS role certificate of this very cluster is no node certificate.
raft_probe -cert "$CLUSTER_DIR/n2/pki/https.pem" -key "$CLUSTER_DIR/n2/pki/https.key" \
	| grep -q "alert unsupported certificate" ||
	fail "Raft accepted an HTTPS role certificate"
head -c 65536 /dev/urandom | timeout 5 bash -c "cat >/dev/tcp/${raft%:*}/${raft##*:}" 2>/dev/null || true
ward_ctl n1 param set sip_keepalive_s 600 >/dev/null
for n in n1 n2 n4; do wait_until 5 "$n after the probes" param_is $n sip_keepalive_s 600; done
step "ok"
