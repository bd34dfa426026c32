#!/usr/bin/env bash
# The signaling role's front door against real peers: SIPp (UDP and TCP,
# users from an injection file) and our own client (SHA-256, SHA-512-256,
# replayed nc, stale nonces, a nonce issued by another node), and trunk
# authorization in the seed's order. The role runs in ward_sipd over an
# in-memory directory.
. "$(dirname "$0")/lib.sh"
. "$WARD_SRC/tests/system/sip/sipp.sh"
. "$WARD_SRC/tests/system/sip/sipd.sh"

SCEN=$SIPP_SCEN
CLIENT="python3 $SCEN/sipclient.py"
SIPP_TIMEOUT=10

cat >"$CLUSTER_DIR/dir.txt" <<EOF
realm ward.test
secret $(openssl rand -hex 32)
user alice pw-alice
user bob pw-bob
user app1 pw-app app INVITE,NOTIFY
device SEP001122334455 user=alice line=1001
device SEP00AABBCCDDEE user=bob validity=2
device SEP0000000000AA user=alice group=7
trunk closed addr=127.0.0.2
trunk open addr=127.0.0.3 allow=refer,notify,replaces,presence
EOF

# run_sipp TRANSPORT(u1|t1) SCENARIO CSV: one call, must pass.
run_sipp() {
	local name=${2%.xml}-$1-${3%.csv}

	SIPP_TP=$1 sipp_run "$name" "$(free_port)" "$SCEN/$2" \
		-inf "$CLUSTER_DIR/$3" "127.0.0.1:$PORT" ||
		fail "sipp $2 over $1 failed: $(sipp_errors "$name")"
}

PORT=$(free_port)
# SIPp 3.6 answers only the first challenge and knows only MD5.
sipd_start md5 "$PORT" --digest MD5
sipp_csv good.csv SEP001122334455 "$(sipp_auth alice pw-alice)" >/dev/null
sipp_csv wrong.csv SEP001122334455 "$(sipp_auth alice wrong)" >/dev/null
sipp_csv unknown.csv SEP999999999999 "$(sipp_auth nobody x)" >/dev/null
for tp in u1 t1; do
	step "SIPp over $tp: MD5 digest REGISTER is accepted"
	run_sipp $tp register.xml good.csv
	step "SIPp over $tp: a wrong password and an unknown user get 401 again"
	run_sipp $tp register_refused.xml wrong.csv
	run_sipp $tp register_refused.xml unknown.csv
done
grep -q "owner change: SEP001122334455 registered here" "$CLUSTER_DIR/md5.log" ||
	fail "the registration did not change the owner"
[ "$(grep -c 'owner change: SEP001122334455' "$CLUSTER_DIR/md5.log")" = 1 ] ||
	fail "a refresh changed the owner again (a replicated write per refresh)"

step "trunk profiles: forbidden REFER, NOTIFY, Replaces, presence get 403"
trunk() {
	local ip=$1 scen=$2 method=$3 extra=$4
	sed "s/@METHOD@/$method/g" "$SCEN/$scen" >"$CLUSTER_DIR/$method-$scen"
	SIPP_IP=$ip sipp_run "trunk-$ip-$method-${scen%.xml}" "$(free_port)" \
		"$CLUSTER_DIR/$method-$scen" -key extra "$extra" "127.0.0.1:$PORT" ||
		fail "trunk $ip: $method ($extra) did not get what $scen expects"
}
for ip_scen in "127.0.0.2 trunk_403.xml" "127.0.0.3 trunk_ok.xml"; do
	set -- $ip_scen
	trunk "$1" "$2" REFER "Refer-To: <sip:3000@ward.test>"
	trunk "$1" "$2" NOTIFY "Event: message-summary"
	trunk "$1" "$2" INVITE "Replaces: abc@host;to-tag=1;from-tag=2"
	trunk "$1" "$2" SUBSCRIBE "Event: presence"
done
step "an INVITE without Replaces from the closed trunk is not refused"
trunk 127.0.0.2 trunk_ok.xml INVITE "Subject: plain"
sipd_stop md5

step "our client: SHA-256 and SHA-512-256 over UDP and TCP (all three offered)"
sipd_start node1 "$PORT" --node-id 1
PORT2=$(free_port)
sipd_start node2 "$PORT2" --node-id 2
for tp in udp tcp; do
	for alg in SHA-256 SHA-512-256 MD5; do
		$CLIENT --server "127.0.0.1:$PORT" --transport $tp \
			--device SEP001122334455 --user alice \
			--password pw-alice --alg $alg --expect 200 >/dev/null ||
			fail "$alg over $tp was not accepted"
	done
done

step "a replayed nonce count is refused"
$CLIENT --server "127.0.0.1:$PORT" --device SEP001122334455 --user alice \
	--password pw-alice --alg SHA-256 --replay --expect 401 >/dev/null ||
	fail "a replayed nc was accepted"

step "a nonce from node 1 is accepted by node 2"
$CLIENT --server "127.0.0.1:$PORT" --device SEP001122334455 --user alice \
	--password pw-alice --alg SHA-256 --save-nonce "$CLUSTER_DIR/n1" \
	--expect 200 >/dev/null || fail "node 1 refused"
$CLIENT --server "127.0.0.1:$PORT2" --device SEP001122334455 --user alice \
	--password pw-alice --alg SHA-256 --nonce-file "$CLUSTER_DIR/n1" \
	--realm ward.test --expect 200 >/dev/null ||
	fail "node 2 refused node 1's nonce"

step "an expired nonce gets 401 with stale=true (validity 2 s)"
$CLIENT --server "127.0.0.1:$PORT" --device SEP00AABBCCDDEE --user bob \
	--password pw-bob --alg SHA-256 --save-nonce "$CLUSTER_DIR/n2" \
	--expect 200 >/dev/null || fail "bob refused"
sleep 3
out=$($CLIENT --server "127.0.0.1:$PORT2" --device SEP00AABBCCDDEE \
	--user bob --password pw-bob --alg SHA-256 \
	--nonce-file "$CLUSTER_DIR/n2" --realm ward.test --expect 401) ||
	fail "an expired nonce was accepted"
[ "$out" = "401 stale" ] || fail "no stale=true on an expired nonce: $out"

step "a device outside its node group gets 403 and a log line"
$CLIENT --server "127.0.0.1:$PORT" --device SEP0000000000AA --user alice \
	--password pw-alice --alg SHA-256 --expect 403 >/dev/null ||
	fail "a device outside its group was registered"
grep -q "SEP0000000000AA refused: node not in the device's group" \
	"$CLUSTER_DIR/node1.log" || fail "no log line for the node-group refusal"

step "a CRLF keepalive on TCP is answered (RFC 5626 pong)"
python3 - "$PORT" <<'PY' || fail "no pong to a CRLF ping"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
s.sendall(b"\r\n\r\n")
assert s.recv(16) == b"\r\n"
PY

step "IPv6: the same over [::1], UDP and TCP"
PORT6=$(free_port)
"$SIPD" --dir "$CLUSTER_DIR/dir.txt" --host ::1 --port "$PORT6" \
	>"$CLUSTER_DIR/v6.out" 2>"$CLUSTER_DIR/v6.log" &
echo $! >"$CLUSTER_DIR/v6.pid"
wait_until 5 "[::1] listening" sh -c "ss -Hlnt 'sport = :$PORT6' | grep -q ."
for tp in udp tcp; do
	$CLIENT --server "[::1]:$PORT6" --transport $tp --device SEP001122334455 \
		--user alice --password pw-alice --alg SHA-256 --expect 200 \
		>/dev/null || fail "REGISTER over [::1] $tp"
done
sipd_stop v6

step "a TCP flooder's connection is closed; another source is still served"
PORTF=$(free_port)
sipd_start flood "$PORTF" --rate 5
python3 "$SCEN/tcpflood.py" --server "127.0.0.1:$PORTF" >"$CLUSTER_DIR/flood.out" ||
	fail "the flooder's connection stayed open: $(cat "$CLUSTER_DIR/flood.out")"
python3 - "$PORTF" <<'PY' || fail "127.0.0.2 not served while 127.0.0.1 floods"
import socket, sys
port = int(sys.argv[1])
s = socket.socket()
s.bind(("127.0.0.2", 0))
s.settimeout(3)
s.connect(("127.0.0.1", port))
lp = s.getsockname()[1]
s.sendall((f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.2:{lp};branch=z9hG4bK-ok\r\n"
           "From: <sip:ok@ward.test>;tag=o\r\nTo: <sip:127.0.0.1>\r\nCall-ID: ok@127.0.0.2\r\n"
           "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode())
sys.exit(0 if s.recv(4096).startswith(b"SIP/2.0 200") else 1)
PY
sipd_stop flood

step "a source holds at most --conn-per-source TCP connections"
PORTC=$(free_port)
sipd_start conncap "$PORTC" --conn-per-source 3
python3 - "$PORTC" <<'PY' || fail "per-source connection cap"
import socket, sys, time
port = int(sys.argv[1])
def conn(src):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(2)
    s.connect(("127.0.0.1", port))
    return s
def options(s, i):
    lp = s.getsockname()
    s.sendall((f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\nVia: SIP/2.0/TCP {lp[0]}:{lp[1]};branch=z9hG4bK-c{i}\r\n"
               f"From: <sip:c@ward.test>;tag=c{i}\r\nTo: <sip:127.0.0.1>\r\nCall-ID: c{i}@x\r\n"
               "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode())
    try:
        return s.recv(4096)
    except (socket.timeout, OSError):
        return b""
held = [conn("127.0.0.1") for _ in range(3)]
for i, s in enumerate(held):
    assert options(s, i).startswith(b"SIP/2.0 200"), f"connection {i} not served"
extra = conn("127.0.0.1")
assert options(extra, 9) == b"", "a 4th connection from one source was served"
other = conn("127.0.0.2")
assert options(other, 10).startswith(b"SIP/2.0 200"), "another source refused"
for i, s in enumerate(held):  # the first three are still open and served
    assert options(s, 20 + i).startswith(b"SIP/2.0 200"), f"held {i} lost"
held[0].close()
time.sleep(1.5)  # closed connections are forgotten once a second
again = conn("127.0.0.1")
assert options(again, 30).startswith(b"SIP/2.0 200"), "room not given back"
PY
sipd_stop conncap

step "the counters add up"
sipd_stop node1
sipd_stop node2
jq -e '.registered >= 9 and .auth_failed >= 1 and .forbidden >= 1' \
	"$CLUSTER_DIR/node1.out" >/dev/null ||
	fail "unexpected counters: $(cat "$CLUSTER_DIR/node1.out")"
step "done"
