#!/usr/bin/env bash
# Calls through a SIP trunk in a real wardd node, on provisioning made
# with wardctl (the store's dial plan, trunk and realm): alice's CSS holds
# a partition with a route pattern to the trunk; she dials 95551 and SIPp
# as the trunk's peer (127.0.0.2) challenges with 401 and checks ward's
# answer — the realm's credentials from the store — with <verifyauth>;
# 200, ACK, BYE. Then the trunk calls alice's line and her phone answers.
. "$(dirname "$0")/lib.sh"
. "$WARD_SRC/tests/system/sip/sipp.sh"

SCEN=$SIPP_SCEN
SIPP_TIMEOUT=20
# SIPp 3.6 answers only the first challenge and knows only MD5; the
# trunk keepalive's OPTIONS would reach SIPp before the call: off.
node_conf n1 "[sip]" "digest_algorithms = MD5" "trunk_options_s = 0"
read -r _ SIP TLS <<<"$(ward_sip n1)"
PEER=$(free_port)
listening() { ss -Hlnu "sport = :$SIP" | grep -q .; }

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
wait_until 30 "n1 serves its CallManager certificate on TLS" sip_serves_cm n1 "$TLS"

step "alice dials 95551: the trunk's 401 answered with the realm's credentials from the store; 200, ACK, BYE"
SIPP_IP=127.0.0.2 sipp_bg peer "$PEER" \
	"$(sipp_scen uas "$SCEN/trunk_call_uas.xml" CODE=401 HDR=WWW-Authenticate)" \
	-inf "$(sipp_csv good.csv ward-trunk trunk-secret)"
sipp_run out "$(free_port)" "$SCEN/trunk_call_uac.xml" \
	-inf "$(sipp_caller_csv SEP000000000001 alice alice-secret-123 95551)" \
	-auth_uri "95551@127.0.0.1:$SIP" "127.0.0.1:$SIP" ||
	fail "the caller's side failed: $(sipp_errors out)"
[ "$(sipp_rc peer)" = 0 ] || fail "the trunk refused ward's answer: $(sipp_errors peer)"

step "inbound: the trunk calls 1001; alice's registered phone rings and answers"
sipp_trunk_inbound "127.0.0.1:$SIP" alice-secret-123 n1.log
if grep -q "trunk-secret" "$CLUSTER_DIR/n1.log"; then
	fail "the realm's password reached the log"
fi
step "done"
