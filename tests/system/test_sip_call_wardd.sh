#!/usr/bin/env bash
# A call through a real wardd node, on provisioning made with wardctl: two
# SIPp phones with digest profiles register, one calls the other's line;
# while they talk `wardctl call list` (GET /v1/calls) shows the call with
# its state and security level, and once they hang up it is gone.
. "$(dirname "$0")/lib.sh"

SCEN=$WARD_SRC/tests/system/sip
command -v sipp >/dev/null || fail "sipp (sip-tester) is not installed"
# SIPp 3.6 answers only the first challenge and knows only MD5.
node_conf n1 "[sip]" "digest_algorithms = MD5"
read -r _ SIP TLS <<<"$(ward_sip n1)"
listening() { ss -Hlnu "sport = :$SIP" | grep -q .; }
serves_file() {
	local served file
	served=$(openssl s_client -connect "127.0.0.1:$TLS" </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2)
	file=$(openssl x509 -in "$CLUSTER_DIR/n1/pki/callmanager.pem" -noout \
		-fingerprint -sha256 | cut -d= -f2)
	[ -n "$served" ] && [ "$served" = "$file" ]
}

# sipp_run NAME LPORT SCENARIO [ARGS...]: one SIPp call over UDP.
sipp_run() {
	local name=$1 lport=$2 scen=$3
	shift 3
	mkdir -p "$CLUSTER_DIR/$name"
	(cd "$CLUSTER_DIR/$name" && timeout 30 sipp -sf "$scen" -t u1 -m 1 \
		-i 127.0.0.1 -p "$lport" -timeout 20 -trace_err "$@" \
		</dev/null >/dev/null 2>&1)
}
errors_of() { cat "$CLUSTER_DIR/$1"/*errors.log 2>/dev/null | grep -v "^ *$" | tail -40; }

step "one node; alice (line 1001) and bob (line 1002) with a digest profile"
ward_init n1 calltest
for u in alice bob; do
	WARD_NEW_PASSWORD=$u-secret-123 expect_rc 0 ward_ctl n1 user add $u
done
expect_rc 0 ward_ctl n1 profile add dig --digest-auth yes
expect_rc 0 ward_ctl n1 device add SEP000000000001 --model 8841 \
	--profile dig --lines 1001 --digest-user alice
expect_rc 0 ward_ctl n1 device add SEP000000000002 --model 8841 \
	--profile dig --lines 1002 --digest-user bob
wait_until 20 "n1's SIP port" listening
# The role restarts once with its TLS files: register after that.
wait_until 30 "n1 serves its CallManager certificate on TLS" serves_file

step "bob registers; alice calls 1002 and they talk"
BOB=$(free_port)
printf 'SEQUENTIAL\nSEP000000000002;[authentication username=bob password=bob-secret-123]\n' \
	>"$CLUSTER_DIR/bob.csv"
sipp_run reg-bob "$BOB" "$SCEN/register.xml" -inf "$CLUSTER_DIR/bob.csv" \
	"127.0.0.1:$SIP" || fail "bob did not register: $(errors_of reg-bob)"
(
	rc=0
	sipp_run answer "$BOB" "$SCEN/call_uas.xml" || rc=$?
	echo $rc >"$CLUSTER_DIR/answer.rc"
) &
sleep 0.3
printf 'SEQUENTIAL\nSEP000000000001;[authentication username=alice password=alice-secret-123];1002\n' \
	>"$CLUSTER_DIR/alice.csv"
(
	rc=0
	# -auth_uri: the digest uri must be the Request-URI (SIPp adds
	# "sip:"; by default it would answer with sip:HOST:PORT).
	sipp_run call "$(free_port)" "$SCEN/call_uac.xml" \
		-inf "$CLUSTER_DIR/alice.csv" -d 4000 \
		-auth_uri "1002@127.0.0.1:$SIP" "127.0.0.1:$SIP" || rc=$?
	echo $rc >"$CLUSTER_DIR/call.rc"
) &

step "wardctl call list shows the call, talking, with its security level"
talking() {
	ward_ctl n1 --json call list >"$CLUSTER_DIR/calls.json" &&
		jq -e '.calls | length == 1 and .[0].caller == "SEP000000000001" and .[0].callee == "SEP000000000002" and .[0].number == "1002" and .[0].state == "talking" and .[0].security_level == "non-secure" and .[0].answered_ms > 0' \
			"$CLUSTER_DIR/calls.json"
}
wait_until 10 "the call listed as talking" talking
ward_ctl n1 call list >"$CLUSTER_DIR/calls.txt"
grep -q "SEP000000000001 .*SEP000000000002 .*1002 .*talking .*non-secure" \
	"$CLUSTER_DIR/calls.txt" || fail "call list: $(cat "$CLUSTER_DIR/calls.txt")"

step "they hang up: both sides done, the list empty"
wait_until 20 "the caller to end" test -e "$CLUSTER_DIR/call.rc"
[ "$(cat "$CLUSTER_DIR/call.rc")" = 0 ] || fail "caller: $(errors_of call)"
wait_until 10 "the callee to end" test -e "$CLUSTER_DIR/answer.rc"
[ "$(cat "$CLUSTER_DIR/answer.rc")" = 0 ] || fail "callee: $(errors_of answer)"
empty() {
	ward_ctl n1 --json call list | jq -e '.calls | length == 0'
}
wait_until 5 "the call gone from the list" empty
grep -q "answered, security level non-secure" "$CLUSTER_DIR/n1.log" ||
	fail "the call's level was not logged"
step "done"
