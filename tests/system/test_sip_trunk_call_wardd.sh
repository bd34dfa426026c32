#!/usr/bin/env bash
# Calls through a SIP trunk in a real wardd node, on provisioning made
# with wardctl (the store's dial plan, trunk and realm): alice's CSS holds
# a partition with a route pattern to the trunk; she dials 95551 and SIPp
# as the trunk's peer (127.0.0.2) challenges with 401 and checks ward's
# answer — the realm's credentials from the store — with <verifyauth>;
# 200, ACK, BYE. Then the trunk calls alice's line and her phone answers.
. "$(dirname "$0")/lib.sh"

SCEN=$WARD_SRC/tests/system/sip
command -v sipp >/dev/null || fail "sipp (sip-tester) is not installed"
# SIPp 3.6 answers only the first challenge and knows only MD5; the
# trunk keepalive's OPTIONS would reach SIPp before the call: off.
node_conf n1 "[sip]" "digest_algorithms = MD5" "trunk_options_s = 0"
read -r _ SIP TLS <<<"$(ward_sip n1)"
PEER=$(free_port)
listening() { ss -Hlnu "sport = :$SIP" | grep -q .; }
serves_file() {
	local served file
	served=$(openssl s_client -connect "127.0.0.1:$TLS" </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2)
	file=$(openssl x509 -in "$CLUSTER_DIR/n1/pki/callmanager.pem" -noout \
		-fingerprint -sha256 | cut -d= -f2)
	[ -n "$served" ] && [ "$served" = "$file" ]
}

# sipp_run NAME IP LPORT SCENARIO [ARGS...]: one SIPp call over UDP.
sipp_run() {
	local name=$1 ip=$2 lport=$3 scen=$4
	shift 4
	mkdir -p "$CLUSTER_DIR/$name"
	(cd "$CLUSTER_DIR/$name" && timeout 30 sipp -sf "$scen" -t u1 -m 1 \
		-i "$ip" -p "$lport" -timeout 20 -trace_err "$@" \
		</dev/null >/dev/null 2>&1)
}
errors_of() { cat "$CLUSTER_DIR/$1"/*errors.log 2>/dev/null | grep -v "^ *$" | tail -20; }
# background NAME IP LPORT SCENARIO [ARGS...]: its exit status in NAME.rc.
background() {
	local name=$1
	(
		rc=0
		sipp_run "$@" || rc=$?
		echo $rc >"$CLUSTER_DIR/$name.rc"
	) &
	sleep 0.3
}
rc_of() {
	wait_until 30 "$1 to end" test -e "$CLUSTER_DIR/$1.rc"
	cat "$CLUSTER_DIR/$1.rc"
}

step "one node; alice (line 1001, CSS phones: pstn) and a trunk to 127.0.0.2 with route pattern 9XXXX in pstn"
ward_init n1 trunkcall
WARD_NEW_PASSWORD=alice-secret-123 expect_rc 0 ward_ctl n1 user add alice
WARD_NEW_PASSWORD=trunk-secret expect_rc 0 ward_ctl n1 realm add trunk.test \
	--user ward-trunk
expect_rc 0 ward_ctl n1 profile add dig --digest-auth yes
expect_rc 0 ward_ctl n1 partition add pstn
expect_rc 0 ward_ctl n1 css add phones --partitions pstn
expect_rc 0 ward_ctl n1 device add SEP000000000001 --model 8841 \
	--profile dig --lines 1001 --digest-user alice --css phones
expect_rc 0 ward_ctl n1 trunk-profile add carrier-udp \
	--incoming-transport udp --outgoing-transport udp --incoming-port "$SIP"
expect_rc 0 ward_ctl n1 device add carrier --kind trunk \
	--profile carrier-udp --peer-host 127.0.0.2 --peer-port "$PEER"
expect_rc 0 ward_ctl n1 route-pattern add out --partition pstn \
	--pattern 9XXXX --action route --trunk carrier
wait_until 20 "n1's SIP port" listening
# The role restarts once with its TLS files: register after that.
wait_until 30 "n1 serves its CallManager certificate on TLS" serves_file

step "alice dials 95551: the trunk's 401 answered with the realm's credentials from the store; 200, ACK, BYE"
printf 'SEQUENTIAL\nward-trunk;trunk-secret\n' >"$CLUSTER_DIR/good.csv"
sed "s/@CODE@/401/g; s/@HDR@/WWW-Authenticate/g" "$SCEN/trunk_call_uas.xml" \
	>"$CLUSTER_DIR/uas.xml"
background peer 127.0.0.2 "$PEER" "$CLUSTER_DIR/uas.xml" \
	-inf "$CLUSTER_DIR/good.csv"
printf 'SEQUENTIAL\nSEP000000000001;[authentication username=alice password=alice-secret-123];95551\n' \
	>"$CLUSTER_DIR/alice.csv"
sipp_run out 127.0.0.1 "$(free_port)" "$SCEN/trunk_call_uac.xml" \
	-inf "$CLUSTER_DIR/alice.csv" -auth_uri "95551@127.0.0.1:$SIP" \
	"127.0.0.1:$SIP" || fail "the caller's side failed: $(errors_of out)"
[ "$(rc_of peer)" = 0 ] || fail "the trunk refused ward's answer: $(errors_of peer)"

step "inbound: the trunk calls 1001; alice's registered phone rings and answers"
ALICE=$(free_port)
printf 'SEQUENTIAL\nSEP000000000001;[authentication username=alice password=alice-secret-123]\n' \
	>"$CLUSTER_DIR/reg.csv"
sipp_run reg 127.0.0.1 "$ALICE" "$SCEN/register.xml" \
	-inf "$CLUSTER_DIR/reg.csv" "127.0.0.1:$SIP" ||
	fail "alice did not register: $(errors_of reg)"
background phone 127.0.0.1 "$ALICE" "$SCEN/trunk_call_phone.xml"
printf 'SEQUENTIAL\n1001\n' >"$CLUSTER_DIR/in.csv"
sipp_run in 127.0.0.2 "$(free_port)" "$SCEN/trunk_call_in.xml" \
	-inf "$CLUSTER_DIR/in.csv" "127.0.0.1:$SIP" ||
	fail "the trunk's call failed: $(errors_of in)"
[ "$(rc_of phone)" = 0 ] || fail "alice's phone side failed: $(errors_of phone)"
grep -q "call .* carrier -> SEP000000000001 (1001)" "$CLUSTER_DIR/n1.log" ||
	fail "the inbound call was not logged"
if grep -q "trunk-secret" "$CLUSTER_DIR/n1.log"; then
	fail "the realm's password reached the log"
fi
step "done"
