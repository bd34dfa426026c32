#!/usr/bin/env bash
# CAPF and EST on a 3-node cluster: an operation scheduled through n1, the
# phone (our own client, tests/system/capf/capfclient.py) enrolling at a
# follower, which hands its writes to the leader; the outcome (done, the
# serial) read through every node; the device then registering over SIP
# TLS with its LSC on another node; a wrong string at a follower counted
# toward the lock; an unknown device at a follower costing no write but
# one summary record per source and window in the audit; EST
# re-enrolment at a follower authenticated by the LSC as TLS client
# certificate (the follower checks it and relays only the write); a
# delete at a follower, after which the LSC no longer registers anywhere.
. "$(dirname "$0")/lib.sh"

declare -A CAPF_PORT=()
for n in n1 n2 n3; do
	CAPF_PORT[$n]=$(free_port)
	node_conf $n "fail_summary_s = 2" "[capf]" "listen = 127.0.0.1:${CAPF_PORT[$n]}"
done
CLIENT="python3 $WARD_SRC/tests/system/capf/capfclient.py"
# phone NODE DEVICE EXPECT-REASON [ARGS...]: one CAPF session at NODE.
phone() {
	local node=$1 dev=$2 want=$3
	shift 3
	$CLIENT --server 127.0.0.1:${CAPF_PORT[$node]} --cafile "$(ward_ca n1)" \
		--device "$dev" --expect-reason "$want" "$@" >"$CLUSTER_DIR/last.json" || {
		cat "$CLUSTER_DIR/last.json" >&2
		fail "CAPF session of $dev at $node did not end with $want"
	}
}
capf_field() { ward_ctl "$1" --json capf status "$2" | jq -r ".$3"; }
field_is() { [ "$(capf_field "$1" "$2" "$3")" = "$4" ]; }
applied() { ward_ctl "$1" --json status | jq -r '.store.applied_index // .applied_index'; }

step "init n1, join n2 and n3"
ward_init n1 capfcluster
ward_join n2 n1
ward_join n3 n1
leader=$(leader_of n1)
[ -n "$leader" ] || fail "no leader"
followers=()
for n in n1 n2 n3; do [ "$n" = "$leader" ] || followers+=("$n"); done
f1=${followers[0]} f2=${followers[1]}
step "leader $leader, the phone enrols at $f1, registers at $f2"
D=SEP00112233C001
expect_rc 0 ward_ctl n1 device add $D --model 8841 --capabilities tls,srtp \
	--profile standard-authenticated

step "mixed mode (two trial tokens, a signed CTL)"
ward_mixed n1

step "an unknown device at a follower: end session 9, no write"
wait_until 20 "CAPF on $f1" sh -c "ss -Hlnt 'sport = :${CAPF_PORT[$f1]}' | grep -q ."
before=$(applied "$leader")
phone "$f1" SEP0000000000FF 9
phone "$f1" SEP0000000000FF 9
[ "$(applied "$leader")" = "$before" ] || fail "an unknown device caused a write"
step "summarised: one audit record for the source, through the leader"
capf_fail_audited() {
	ward_ctl n1 --json audit --limit 200 | jq -e --arg f "$f1" '[.. | objects |
		select(.action == "capf.fail" and (.detail | test("peer=127.0.0.1 count=2 .*devices=SEP0000000000FF:2.*seen by " + $f)))] |
		length == 1' >/dev/null
}
wait_until 15 "the follower's CAPF failures summarised in the audit" capf_fail_audited

step "a wrong string at a follower is counted toward the lock (relayed)"
expect_rc 0 ward_ctl n1 capf schedule --auth auth-string --auth-string 97531 \
	--key ec-p256 --tries 3 $D
phone "$f1" $D 7 --password 1111
for n in n1 n2 n3; do wait_until 10 "$n counts the failed try" field_is $n $D failed_tries 1; done

step "install at a follower: the writes go to the leader, the phone waits"
phone "$f1" $D 1 --password 97531 --lsc-out "$CLUSTER_DIR/lsc.pem"
serial=$(jq -r .lsc_serial "$CLUSTER_DIR/last.json")
[ -n "$serial" ] && [ "$serial" != null ] || fail "no LSC sent"
jq -e '.steps | index(17)' "$CLUSTER_DIR/last.json" >/dev/null ||
	fail "the phone was not told the request is in progress"
openssl verify -CAfile "$(ward_ca n1)" -purpose sslclient "$CLUSTER_DIR/lsc.pem" >/dev/null ||
	fail "the LSC does not chain to the cluster CA"

step "capf status through every node: done, with the serial"
for n in n1 n2 n3; do
	wait_until 10 "$n sees it done" field_is $n $D state done
	[ "$(capf_field $n $D serial)" = "$serial" ] || fail "$n shows another serial"
done
step "one certificate for the operation: done means nothing more to issue"
phone "$f2" $D 0 --password 97531

step "a write that arrives after a re-schedule changes nothing (the guard holds across nodes)"
D2=SEP00112233C002
expect_rc 0 ward_ctl n1 device add $D2 --model 8841 --capabilities tls,srtp \
	--profile standard-authenticated
expect_rc 0 ward_ctl n1 capf schedule --auth null-string --key ec-p256 $D2
for n in n1 n2 n3; do wait_until 10 "$n sees $D2 pending" field_is $n $D2 state pending; done
$CLIENT --server 127.0.0.1:${CAPF_PORT[$f1]} --cafile "$(ward_ca n1)" --device $D2 \
	--expect-reason 0 --pause-before-store 3 >"$CLUSTER_DIR/stale.json" &
stale=$!
wait_until 10 "$D2 in progress" field_is "$leader" $D2 state in-progress
expect_rc 0 ward_ctl n1 capf schedule --auth null-string --key ec-p384 $D2
wait "$stale" || fail "the stale outcome was not refused: $(cat "$CLUSTER_DIR/stale.json")"
jq -e '.lsc_serial' "$CLUSTER_DIR/stale.json" >/dev/null || fail "no LSC sent before the pause"
[ "$(capf_field "$leader" $D2 state)" = pending ] || fail "the re-schedule was overwritten"
[ "$(capf_field "$leader" $D2 key)" = ec-p384 ] || fail "the re-schedule was overwritten"
[ "$(capf_field "$leader" $D2 serial)" = null ] || fail "a stale LSC was recorded"
phone "$f1" $D2 1
for n in n1 n2 n3; do wait_until 10 "$n sees $D2 done" field_is $n $D2 state done; done

step "the relay route is for members only"
code=$(curl -sk -o /dev/null -w '%{http_code}' -u "$WARD_USER:$WARD_PASSWORD" \
	-d '{"writes": ["AQ=="]}' "$(ward_url "$leader")/v1/capf/relay")
[ "$code" = 403 ] || fail "an admin reached the relay route: $code"

step "the device registers over SIP TLS with its LSC at $f2"
read -r _ _ siptls <<<"$(ward_sip "$f2")"
wait_until 20 "SIP TLS on $f2" sh -c "ss -Hlnt 'sport = :$siptls' | grep -q ."
python3 "$WARD_SRC/tests/system/sip/sipclient.py" --server "127.0.0.1:$siptls" \
	--transport tls --device $D --cert "$CLUSTER_DIR/lsc.pem" --key "$CLUSTER_DIR/lsc.pem.key" \
	--expect 200 >"$CLUSTER_DIR/sip.out" 2>&1 ||
	fail "REGISTER with the LSC at $f2: $(cat "$CLUSTER_DIR/sip.out")"

step "EST at a follower, authenticated by the LSC as TLS client certificate"
expect_rc 0 ward_ctl n1 capf schedule --auth existing-lsc --key ec-p384 $D
for n in n1 n2 n3; do wait_until 10 "$n sees it pending" field_is $n $D state pending; done
E=$CLUSTER_DIR/est
mkdir -p "$E"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -subj "/CN=$D" \
	-keyout "$E/b.key" -outform DER -out "$E/b.der" 2>/dev/null
base64 "$E/b.der" >"$E/b.b64"
est() { curl -sk -o "$E/out" -w '%{http_code}' "$(ward_url "$f1")/.well-known/est/$1" "${@:2}"; }
[ "$(est simplereenroll --data-binary @"$E/b.b64")" = 401 ] ||
	fail "re-enrolled without a certificate"
code=$(est simplereenroll --data-binary @"$E/b.b64" --cert "$CLUSTER_DIR/lsc.pem" \
	--key "$CLUSTER_DIR/lsc.pem.key")
[ "$code" = 200 ] || fail "EST at $f1: $code $(cat "$E/out")"
base64 -d "$E/out" | openssl pkcs7 -inform DER -print_certs -out "$E/lsc2.pem"
openssl verify -CAfile "$(ward_ca n1)" "$E/lsc2.pem" >/dev/null || fail "the new LSC does not verify"
serial2=$(openssl x509 -in "$E/lsc2.pem" -noout -serial | cut -d= -f2)
for n in n1 n2 n3; do
	wait_until 10 "$n sees the EST enrolment" field_is $n $D serial "$serial2"
done
[ "$(est simplereenroll --data-binary @"$E/b.b64" --cert "$CLUSTER_DIR/lsc.pem" \
	--key "$CLUSTER_DIR/lsc.pem.key")" = 403 ] || fail "the old LSC re-enrolled again"

step "delete at a follower: the LSC no longer registers at the other"
expect_rc 0 ward_ctl n1 capf schedule --operation delete --auth null-string $D
for n in n1 n2 n3; do wait_until 10 "$n sees the delete pending" field_is $n $D state pending; done
phone "$f2" $D 1
read -r _ _ siptls1 <<<"$(ward_sip "$f1")"
lsc_gone_at_f1() {
	python3 "$WARD_SRC/tests/system/sip/sipclient.py" --server "127.0.0.1:$siptls1" \
		--transport tls --device $D --cert "$E/lsc2.pem" --key "$E/b.key" \
		--expect 403 >"$CLUSTER_DIR/sip.out" 2>&1
}
wait_until 10 "the deleted LSC refused at $f1" lsc_gone_at_f1

step "audited, the follower named as the actor"
expect_rc 0 ward_ctl n1 --json audit --limit 200
for a in capf.auth-failed capf.start capf.install capf.est-enroll; do
	jq -e --arg a $a --arg n "node:$f1" \
		'[.. | objects | select(.action == $a and .actor == $n)] | length > 0' \
		"$CLUSTER_DIR/last.out" >/dev/null || fail "no $a by node:$f1 in the audit"
done
step "done"
