#!/usr/bin/env bash
# The signaling role inside real wardd nodes, on provisioning made with
# wardctl: a digest REGISTER over UDP, the binding's owner in `wardctl device
# show` (written once, not on refreshes), a nonce issued by one node
# accepted by another, a node outside the device's group refusing it, and a
# SIGKILL of the node holding the binding with the phone re-registering on
# the next node of its group, a follower, which relays the change to the
# leader; the relay route refuses anyone but a member. A regenerated
# CallManager certificate is served without a restart and keeps the
# bindings in n1's memory.
. "$(dirname "$0")/lib.sh"
. "$WARD_SRC/tests/system/sip/sipp.sh"

CLIENT="python3 $WARD_SRC/tests/system/sip/sipclient.py"
declare -A SIP TLS
for n in n1 n2 n3; do
	# n1 alone probes the trunks, every second.
	keepalive=0
	[ $n = n1 ] && keepalive=1
	node_conf $n "fail_summary_s = 2" "[sip]" "trunk_options_s = $keepalive" # free SIP ports of its own (ward_sip)
	read -r _ SIP[$n] TLS[$n] <<<"$(ward_sip $n)"
done
served_fp() { sip_served_fp "${TLS[$1]}"; }
serves_file() { sip_serves_cm "$1" "${TLS[$1]}"; }
listening() { ss -Hlnu "sport = :${SIP[$1]}" | grep -q .; }
reg_node() {
	ward_ctl "$1" --json device show SEP001122334455 |
		jq -r '.registration.node // empty'
}
reg_on() { [ "$(reg_node "$1")" = "$2" ]; } # SEEN_BY OWNER
leads() { [ "$(leader_of "$1")" = "$1" ]; }
register() { # NODE EXPECT [ARGS...]
	local n=$1 want=$2
	shift 2
	$CLIENT --server "127.0.0.1:${SIP[$n]}" --device SEP001122334455 \
		--user alice --password alice-secret-123 --alg SHA-256 \
		--expect "$want" "$@" >"$CLUSTER_DIR/client.out" ||
		fail "REGISTER to $n: $(cat "$CLUSTER_DIR/client.out")"
}

step "a three-node cluster; alice, a digest profile, group g1 = n1, n2"
ward_init n1 siptest
ward_join n2 n1
ward_join n3 n1
export WARD_NEW_PASSWORD=alice-secret-123
expect_rc 0 ward_ctl n1 user add alice
unset WARD_NEW_PASSWORD
expect_rc 0 ward_ctl n1 profile add dig --digest-auth yes
expect_rc 0 ward_ctl n1 node-group add g1 --nodes "n1,n2"
expect_rc 0 ward_ctl n1 device add SEP001122334455 --model 8841 \
	--profile dig --lines 1001 --digest-user alice --node-group g1
for n in n1 n2 n3; do
	wait_until 20 "$n's SIP port" listening $n
done
[ "$(leader_of n1)" = n1 ] || expect_rc 0 ward_ctl n1 leader transfer n1
wait_until 10 "n1 leads" leads n1

step "every node publishes its SIP address in its node record, once"
sip_of() { # SEEN_BY NODE: "host port tls_port" as the record says
	ward_ctl "$1" --json node list |
		jq -r --arg n "$2" '.nodes[] | select(.name == $n) |
			"\(.sip_host) \(.sip_port) \(.sip_tls_port)"'
}
published() { [ "$(sip_of n1 "$1")" = "127.0.0.1 ${SIP[$1]} ${TLS[$1]}" ]; }
for n in n1 n2 n3; do
	wait_until 20 "$n's SIP address in its record" published $n
done
[ "$(sip_of n3 n2)" = "127.0.0.1 ${SIP[n2]} ${TLS[n2]}" ] ||
	fail "n3 reads n2's SIP address as '$(sip_of n3 n2)'"
sleep 5 # a few more looks: a record that says so costs no write
for n in n1 n2 n3; do
	c=$(ward_ctl n1 --json audit | jq --arg n "node=$n " \
		'[.audit[] | select(.action == "node.sip" and
			(.detail | startswith($n)))] | length')
	[ "$c" = 1 ] || fail "$n's SIP address written $c times, want 1"
done
ward_ctl n1 node list | grep -q "127.0.0.1 ${SIP[n2]}/${TLS[n2]}" ||
	fail "node list does not show n2's SIP address"

step "the SIP TLS port serves n1's CallManager certificate, and its regeneration without a restart"
wait_until 20 "n1 serves its CallManager certificate on TLS" serves_file n1
old=$(served_fp n1)
pid1=$(ward_pid n1)
expect_rc 0 ward_ctl n1 cert regenerate n1 callmanager
wait_until 30 "n1 serves the regenerated certificate" sh -c "[ \"\$(openssl s_client -connect 127.0.0.1:${TLS[n1]} </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2)\" != '$old' ]"
wait_until 10 "the new one is the file's" serves_file n1
[ "$(ward_pid n1)" = "$pid1" ] || fail "wardd restarted"
for n in n1 n2 n3; do
	wait_until 20 "$n's SIP port after the reload" listening $n
done

step "the phone registers on n1 with SHA-256 digest; every node sees the owner"
register n1 200 --save-nonce "$CLUSTER_DIR/nonce"
for n in n1 n2 n3; do
	wait_until 10 "$n shows the binding on n1" reg_on $n n1
done
ward_ctl n1 --json device show SEP001122334455 >"$CLUSTER_DIR/show.json"
jq -e '.registration.transport == "udp" and (.registration.source | startswith("127.0.0.1:")) and .registration.cert == "none" and .registration.expires_ms > 0' \
	"$CLUSTER_DIR/show.json" >/dev/null ||
	fail "registration record: $(jq -c .registration "$CLUSTER_DIR/show.json")"
since=$(jq .registration.since_ms "$CLUSTER_DIR/show.json")
expect_rc 0 ward_ctl n2 device status SEP001122334455
grep -q "^SEP001122334455: on n1 via udp from 127.0.0.1:" "$CLUSTER_DIR/last.out" ||
	fail "device status: $(cat "$CLUSTER_DIR/last.out")"

step "a refresh changes nothing replicated"
register n1 200
sleep 1
[ "$(ward_ctl n1 --json device show SEP001122334455 | jq .registration.since_ms)" = "$since" ] ||
	fail "a refresh rewrote the registration"

step "a regenerated certificate keeps n1's registrar: the bindings stay"
# One binding over TLS (a non-secure cluster: no client certificate).
register n1 200 --transport tls --server "127.0.0.1:${TLS[n1]}"
register n1 200 --query --expect-contacts 2
grep -q "^contact sip:SEP001122334455@127.0.0.1:[0-9]*;transport=tls$" "$CLUSTER_DIR/client.out" ||
	fail "no TLS binding: $(cat "$CLUSTER_DIR/client.out")"
old=$(served_fp n1)
expect_rc 0 ward_ctl n1 cert regenerate n1 callmanager
wait_until 30 "n1 serves the regenerated certificate" sh -c "[ \"\$(openssl s_client -connect 127.0.0.1:${TLS[n1]} </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2)\" != '$old' ]"
wait_until 10 "the new one is the file's" serves_file n1
wait_until 20 "n1's SIP port after the reload" listening n1
register n1 200 --query --expect-contacts 2
grep -q "^contact sip:SEP001122334455@127.0.0.1:[0-9]*;transport=tls$" "$CLUSTER_DIR/client.out" ||
	fail "the TLS binding was lost: $(cat "$CLUSTER_DIR/client.out")"
grep -q "registrations kept" "$CLUSTER_DIR/n1.log" || fail "no reload line in n1's log"
[ "$(ward_ctl n1 --json device show SEP001122334455 | jq .registration.since_ms)" = "$since" ] ||
	fail "the reload rewrote the registration"

step "n1's nonce is accepted by n2"
$CLIENT --server "127.0.0.1:${SIP[n2]}" --device SEP001122334455 \
	--user alice --password alice-secret-123 --alg SHA-256 \
	--nonce-file "$CLUSTER_DIR/nonce" --realm siptest --expect 200 \
	>"$CLUSTER_DIR/client.out" || fail "n2 refused n1's nonce: $(cat "$CLUSTER_DIR/client.out")"

step "n3 is not in the phone's group: 403 and a log line"
register n3 403
grep -q "SEP001122334455 refused: node not in the device's group" "$CLUSTER_DIR/n3.log" ||
	fail "no log line on n3"

step "SIP failures are summarised: 30 wrong passwords on n2, one audit record, the index barely moves"
sip_fail_records() { # NODE: sip.fail records seen by NODE, on n1
	ward_ctl n1 --json audit --limit 1000 |
		jq "[.audit[] | select(.action == \"sip.fail\" and (.detail | endswith(\"(seen by $1)\")))]"
}
has_record() { [ "$(sip_fail_records "$1" | jq length)" -ge 1 ]; }
wait_until 20 "n3's refusal summarised into n1's audit" has_record n3
sip_fail_records n3 | jq -e '.[0].detail | test("peer=127.0.0.1 count=1 .*names=SEP001122334455:1 last=node not in the device.s group")' >/dev/null ||
	fail "n3's summary: $(sip_fail_records n3 | jq -c .)"
applied() { ward_ctl n1 --json status | jq -r .node.applied_index; }
a0=$(applied)
# From 127.0.0.7: the source gets blocked, the phone must not be.
$CLIENT --server "127.0.0.1:${SIP[n2]}" --local 127.0.0.7 \
	--device SEP001122334455 --user alice --password wrong-password --alg SHA-256 --repeat 30 --timeout 0.5 \
	>"$CLUSTER_DIR/client.out" || fail "wrong passwords: $(cat "$CLUSTER_DIR/client.out")"
fails=$(grep -c '^fail$' "$CLUSTER_DIR/client.out")
# 20 failures in a minute block the source: the rest go unanswered.
[ "$fails" -ge 20 ] || fail "only $fails refusals: $(cat "$CLUSTER_DIR/client.out")"
wait_until 20 "n2's summary in n1's audit" has_record n2
sleep 3 # another window: nothing more may come
sip_fail_records n2 >"$CLUSTER_DIR/fail.json"
[ "$(jq length "$CLUSTER_DIR/fail.json")" = 1 ] || fail "records: $(jq -c . "$CLUSTER_DIR/fail.json")"
jq -e ".[0].detail | test(\"^peer=127.0.0.7 count=$fails window=2s names=alice:$fails last=wrong digest response\")" \
	"$CLUSTER_DIR/fail.json" >/dev/null || fail "record: $(jq -c . "$CLUSTER_DIR/fail.json")"
a1=$(applied)
echo "applied index $a0 -> $a1 for $fails failures"
[ $((a1 - a0)) -le 3 ] || fail "$fails failures moved the applied index by $((a1 - a0))"

step "n1's OPTIONS keepalive: SIPp as a trunk challenges it, ward answers with the realm's credentials"
UAS=$(free_port)
printf 'trunk-secret-99\n' >"$CLUSTER_DIR/realm.pw"
expect_rc 0 ward_ctl n1 realm add trunk.test --user ward-trunk \
	--new-password-file "$CLUSTER_DIR/realm.pw"
expect_rc 0 ward_ctl n1 trunk-profile add tpk --outgoing-transport udp
expect_rc 0 ward_ctl n1 device add carrier --kind trunk --profile tpk \
	--peer-host 127.0.0.1 --peer-port "$UAS"
reach() { ward_ctl n1 --json device show carrier | jq -c .reachability; }
unreachable() { reach | jq -e '.reachable == false'; }
wait_until 20 "n1 finds the trunk unreachable" unreachable
SIPP_TIMEOUT=10 sipp_run trunk "$UAS" "$SIPP_SCEN/trunk_options_uas.xml" \
	-inf "$(sipp_csv trunk.csv ward-trunk trunk-secret-99)" ||
	fail "the trunk refused ward's answer to its challenge: $(sipp_errors trunk)"
reachable() { reach | jq -e '.reachable == true and .status == 200 and .auth == "MD5" and .node == "n1"'; }
wait_until 10 "device show: the trunk reachable, after an MD5 challenge" reachable
expect_rc 0 ward_ctl n1 device show carrier
grep -q "reachability" "$CLUSTER_DIR/last.out" || fail "device show: $(cat "$CLUSTER_DIR/last.out")"

step "the relay route is for members only: an admin's claim is refused"
# n1's nonce step registered the phone on n2, a follower: relayed.
wait_until 10 "n1 shows the binding on n2" reg_on n1 n2
before=n2
code=$(curl -s -o "$CLUSTER_DIR/body" -w '%{http_code}' --cacert "$CLUSTER_DIR/n1/https.pem" \
	-u "admin:$WARD_PASSWORD" -X POST -H 'Content-Type: application/json' \
	--data '{"changes":[{"device":"SEP001122334455","delete":true}]}' \
	"$(ward_url n1)/v1/registrations/relay")
[ "$code" = 403 ] || fail "an admin's relay got HTTP $code: $(cat "$CLUSTER_DIR/body")"
sleep 1
[ "$(reg_node n1)" = "$before" ] || fail "the refused relay changed the record"
# Through a follower, too: it must not relay a client's request to the
# leader under its own certificate (the leader would take it for n2's).
n2_sip=$(sip_of n1 n2)
for auth in "" "-u admin:$WARD_PASSWORD"; do
	for route in 'registrations/relay {"changes":[{"device":"SEP001122334455","delete":true}]}' \
		'nodes/sip {"host":"127.0.0.9","port":5999,"tls_port":5998}' \
		'audit/failures {"records":[]}' 'capf/relay {"writes":[]}'; do
		# shellcheck disable=SC2086
		code=$(curl -s -o "$CLUSTER_DIR/body" -w '%{http_code}' \
			--cacert "$CLUSTER_DIR/n2/https.pem" $auth -X POST \
			-H 'Content-Type: application/json' --data "${route#* }" \
			"$(ward_url n2)/v1/${route%% *}")
		[ "$code" = 403 ] ||
			fail "a client's ${route%% *} through a follower got HTTP $code: $(cat "$CLUSTER_DIR/body")"
	done
done
sleep 1
[ "$(reg_node n1)" = "$before" ] || fail "a refused relay through n2 changed the record"
[ "$(sip_of n1 n2)" = "$n2_sip" ] || fail "a client moved n2's SIP address"
register n1 200 # back on n1 for the failover
wait_until 10 "n3 shows the binding on n1" reg_on n3 n1

step "SIGKILL n1; the phone re-registers on n2, the next node of its group"
kill -9 "$(ward_pid n1)"
wait_until 20 "a new leader" has_leader n2 n1
# n2 must not lead: a follower relays its registration change to the
# leader (POST /v1/registrations/relay). If n2 won the election, n3 leads.
[ "$(leader_of n2)" = n3 ] || expect_rc 0 ward_ctl n2 leader transfer n3
wait_until 20 "n3 leads" leads n3
register n2 200
for n in n2 n3; do
	wait_until 10 "$n shows the binding on n2" reg_on $n n2
done
expect_rc 0 ward_ctl n3 device status
grep -q "^SEP001122334455: on n2 via udp" "$CLUSTER_DIR/last.out" ||
	fail "device status after the move: $(cat "$CLUSTER_DIR/last.out")"
step "done"
