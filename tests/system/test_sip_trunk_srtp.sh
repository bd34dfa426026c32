#!/usr/bin/env bash
# A secure SIP trunk carries SRTP over verified TLS. A wardd node in mixed
# mode; baresip A, an encrypted phone over TLS with its MIC, dials out
# through route patterns to four trunks:
#   9XXXX  gw: an encrypted trunk profile over TLS naming the peer's DN;
#          its peer is a second baresip (B, TLS with a self-signed
#          certificate imported as trunk-peer) answering SRTP only. The
#          trunk leg carries only SRTP (a capture on loopback), B decrypts
#          it with the key ward sent it (its SIP trace) and hears A's tone,
#          A hears B's; `wardctl call list` says authenticated, never
#          encrypted; a CA trusted during the call is read into the
#          TLS listener in place (the next client is asked for it, a
#          session of before is not resumed), so is a new keepalive
#          interval, and the call goes on. Then the peer calls A over
#          mutual TLS from the trunk's address with its certificate
#          (tls_invite.py; the core checks it against the profile): ward
#          answers with its own key and the SRTP it sends there opens
#          with that key.
#   8XXXX  other: the same profile; its peer (tls_sink.py) shows a
#          certificate of another trusted trunk-peer CA, whose subject the
#          profile does not name; 7XXXX rogue: a peer whose certificate chains to no
#          trust entry. Neither receives a single byte, from a call or
#          from the keepalive; A gets 502; the refusal is logged and
#          `wardctl device show` shows it (reachability: 502, why).
#   6XXXX  plain: an encrypted-mode trunk profile going out over UDP: the
#          INVITE it receives (a UDP sink) holds RTP/AVP and no key.
. "$(dirname "$0")/lib.sh"
. "$WARD_SRC/tests/system/baresip.sh"

SCEN=$WARD_SRC/tests/system/sip
PKI=$CLUSTER_DIR/pki
A=SEP00000000A001
baresip_on_exit a b

node_conf n1 "[sip]" "digest_algorithms = MD5" "trunk_options_s = 1"
read -r _ SIP TLS <<<"$(ward_sip n1)"
MLO=$(sed -n 's/^port_min = //p' "$CLUSTER_DIR/n1.conf")
MHI=$(sed -n 's/^port_max = //p' "$CLUSTER_DIR/n1.conf")
python3 "$SCEN/mkpki.py" "$PKI" --trunk $A >/dev/null
awk '/BEGIN CERT/,/END CERT/' "$PKI/trunk-self.pem" >"$PKI/trunk-self.crt"

step "a node in mixed mode; the MIC CA and two trunk peers' certificates trusted"
ward_init n1 trunksrtp
ward_mixed n1
expect_rc 0 ward_ctl n1 cert import --category mic-root "$PKI/mic-ca.pem"
expect_rc 0 ward_ctl n1 cert import --category trunk-peer "$PKI/trunk-self.crt"
# another trunk peers' CA: trunk-other.pem chains to it
expect_rc 0 ward_ctl n1 cert import --category trunk-peer "$PKI/cluster-ca.pem"

step "A (encrypted, TLS); four trunks and their route patterns"
WARD_NEW_PASSWORD=alice-secret-123 expect_rc 0 ward_ctl n1 user add alice
expect_rc 0 ward_ctl n1 profile add enc --mode encrypted --transport tls \
	--digest-auth yes
expect_rc 0 ward_ctl n1 partition add pstn
expect_rc 0 ward_ctl n1 css add phones --partitions pstn
expect_rc 0 ward_ctl n1 device add $A --model 8841 --capabilities tls,srtp \
	--profile enc --lines 1001 --digest-user alice --css phones
DN="CN=self.example.com,O=Self,C=US"
expect_rc 0 ward_ctl n1 trunk-profile add sec --mode encrypted \
	--incoming-transport tls --outgoing-transport tls --incoming-port "$TLS" \
	--x509-subjects "$DN"
expect_rc 0 ward_ctl n1 trunk-profile add plain --mode encrypted \
	--incoming-transport udp --outgoing-transport udp --incoming-port "$SIP"
baresip_start b 127.0.0.5 "$PKI/trunk-self.pem" 500 \
	"<sip:95551@127.0.0.5>;regint=0" srtp-mand
BTLS=$(($(cat "$CLUSTER_DIR/b/sip") + 1))
OTHER=$(free_port)
ROGUE=$(free_port)
PLAIN=$(free_port)
n=9
for t in "gw 127.0.0.5 $BTLS sec" "other 127.0.0.6 $OTHER sec" \
	"rogue 127.0.0.7 $ROGUE sec" "plain 127.0.0.8 $PLAIN plain"; do
	set -- $t
	expect_rc 0 ward_ctl n1 device add "$1" --kind trunk --profile "$4" \
		--peer-host "$2" --peer-port "$3" --capabilities tls,srtp
	expect_rc 0 ward_ctl n1 route-pattern add "to-$1" --partition pstn \
		--pattern "${n}XXXX" --action route --trunk "$1"
	n=$((n - 1))
done
for x in "other 127.0.0.6 $OTHER trunk-other" "rogue 127.0.0.7 $ROGUE trunk-rogue"; do
	set -- $x
	python3 "$SCEN/tls_sink.py" "$2" "$3" "$PKI/$4.pem" \
		"$CLUSTER_DIR/sink-$1" 120 2>"$CLUSTER_DIR/sink-$1.err" &
	echo $! >"$CLUSTER_DIR/sink-$1.pid"
done
python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.8", int(sys.argv[1])))
open(sys.argv[2] + ".ready", "w").close()
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536))
' "$PLAIN" "$CLUSTER_DIR/sink-plain" &
echo $! >"$CLUSTER_DIR/sink-plain.pid"
for x in other rogue plain; do
	wait_until 5 "the $x peer listening" test -e "$CLUSTER_DIR/sink-$x.ready"
done

wait_until 30 "the trunk peer in the node's SIP trust file" \
	trusts n1 "$PKI/trunk-self.crt"
wait_until 30 "n1's SIP TLS port" tls_listening
baresip_start a 127.0.0.1 "$PKI/$A-mic.pem" 1000 \
	"<sip:$A@127.0.0.1:$TLS;transport=tls>;auth_user=alice;auth_pass=alice-secret-123;regint=60" \
	srtp-mand
wait_until 20 "A registered over TLS" registered $A tls

step "A dials 95551 through the secure trunk; B answers; tones for 3 s; a CA trusted meanwhile"
sniff cap
ctl a dial "sip:95551@127.0.0.1:$TLS;transport=tls"
wait_until 15 "the call talking" talking $A
# New trust while the call talks: read into the listeners in place —
# asked of the next TLS client, nothing closed, the call goes on.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-subj "/CN=ward reload probe" -days 1 -keyout "$PKI/probe-ca.key" \
	-out "$PKI/probe-ca.pem" 2>/dev/null
reloads() { grep -c "read again for new TLS connections" "$CLUSTER_DIR/n1.log" || true; }
# tls_session ARGS: how a TLS client's session went (New or Reused).
tls_session() {
	(sleep 0.5) | timeout 5 openssl s_client -connect "127.0.0.1:$TLS" \
		"$@" 2>/dev/null | sed -n 's/^\(New\|Reused\),.*/\1/p'
}
tls_session -sess_out "$CLUSTER_DIR/tls.sess" >/dev/null || true
[ "$(tls_session -sess_in "$CLUSTER_DIR/tls.sess")" = Reused ] ||
	fail "a TLS session was not resumed"
before=$(reloads)
expect_rc 0 ward_ctl n1 cert import --category mic-root "$PKI/probe-ca.pem"
reloaded() { [ "$(reloads)" -gt "$before" ]; }
wait_until 10 "the new trust read in place" reloaded
wait_until 5 "the new CA asked of a new TLS client" trusts n1 "$PKI/probe-ca.pem"
[ "$(tls_session -sess_in "$CLUSTER_DIR/tls.sess")" = New ] ||
	fail "a TLS session of the old trust was resumed"
# A new keepalive interval is taken in place too.
expect_rc 0 ward_ctl n1 param set sip_keepalive_s 45
ka_taken() { grep -q "keepalive interval now 45 s" "$CLUSTER_DIR/n1.log"; }
wait_until 10 "the new keepalive interval taken in place" ka_taken
sleep 2
talking $A >/dev/null || fail "the call did not outlive the new trust"
! grep -q "restarting the signaling listeners" "$CLUSTER_DIR/n1.log" ||
	fail "the listeners were restarted"
jq -e '.callee == "gw" and .security_level == "authenticated"' \
	"$CLUSTER_DIR/call.json" >/dev/null ||
	fail "call list: $(cat "$CLUSTER_DIR/call.json")"
ctl a hangup
wait_until 10 "the call gone" no_call $A
sniff_end cap

step "the trunk leg: SRTP only, opened by B with the key ward sent it"
grep -qE '^m=audio [0-9]+ RTP/SAVP' "$CLUSTER_DIR/b/out" || fail "B was offered no SRTP"
read -r to pto from pfrom <<<"$(media_of cap b)"
echo "b: $to datagrams to it ($pto plain), $from from it ($pfrom plain)"
[ "$to" -ge 100 ] && [ "$from" -ge 100 ] || fail "too little media on the trunk leg"
read -r ato apto afrom apfrom <<<"$(media_of cap a)"
echo "a: $ato datagrams to it ($apto plain), $afrom from it ($apfrom plain)"
[ "$pto" = 0 ] && [ "$pfrom" = 0 ] || fail "plain RTP on the trunk leg"
# The keys in B's trace but not in what B sent: ward's to B.
$LIB keys "$CLUSTER_DIR/b/out" "$BTLS" >"$CLUSTER_DIR/b.own"
$LIB keys "$CLUSTER_DIR/b/out" | grep -v -F -f <(cut -d' ' -f1 "$CLUSTER_DIR/b.own") \
	>"$CLUSTER_DIR/b.ward" || true
[ -s "$CLUSTER_DIR/b.ward" ] && [ -s "$CLUSTER_DIR/b.own" ] || fail "no keys in B's trace"
got=$($LIB srtp "$CLUSTER_DIR/cap" "$CLUSTER_DIR/b.ward" "$(cat "$CLUSTER_DIR/b/rtp")")
echo "toward B under ward's key: $got (datagrams, authenticated, SSRCs, periods 4 8 16 20)"
echo "$got" | awk '{ exit !($2 == $1 && $5 >= 100) }' || fail "toward B: $got"
got=$($LIB srtp "$CLUSTER_DIR/cap" "$CLUSTER_DIR/b.own" "$(cat "$CLUSTER_DIR/b/rtp")")
echo "$got" | awk '{ exit !($2 == 0) }' || fail "toward B under B's own key: $got"
heard b 1000 3
# The other way: B's SRTP, opened by the relay with B's key, reaches A
# re-encrypted with ward's key to A, carrying B's 500 Hz (period 16).
$LIB keys "$CLUSTER_DIR/a/out" "$TLS" >"$CLUSTER_DIR/a.ward"
got=$($LIB srtp "$CLUSTER_DIR/cap" "$CLUSTER_DIR/a.ward" "$(cat "$CLUSTER_DIR/a/rtp")")
echo "toward A under ward's key: $got"
echo "$got" | awk '{ exit !($1 >= 100 && $2 == $1 && $6 >= 100) }' || fail "toward A: $got"

step "inbound: the trunk's peer calls 1001 over mutual TLS; ward answers with its key; SRTP toward it"
# tls_invite.py plays the peer from its address with its certificate; A
# answers by itself and plays its 1 kHz tone.
INRTP=$(free_pair)
python3 "$SCEN/tls_invite.py" "127.0.0.1:$TLS" 127.0.0.5 "$PKI/trunk-self.pem" \
	1001 "$INRTP" "$CLUSTER_DIR/in" 2.5 >"$CLUSTER_DIR/in.out" 2>&1 ||
	fail "the trunk's call failed: $(cat "$CLUSTER_DIR/in.out")"
[ "$(tr '\n' ' ' <"$CLUSTER_DIR/in.out")" = "200 200 " ] ||
	fail "the trunk's call: $(cat "$CLUSTER_DIR/in.out")"
grep -q "call .* gw -> $A (1001) answered, security level authenticated" "$CLUSTER_DIR/n1.log" ||
	fail "the inbound call was not logged authenticated"
grep -q "^m=audio [0-9]* RTP/SAVP" "$CLUSTER_DIR/in.sdp" || fail "ward answered the trunk without SRTP"
sed -n 's/^a=crypto:[0-9]* \([A-Z0-9_]*\) inline:\([A-Za-z0-9+\/=]*\).*/\2 \1/p' \
	"$CLUSTER_DIR/in.sdp" >"$CLUSTER_DIR/in.keys"
[ "$(wc -l <"$CLUSTER_DIR/in.keys")" = 1 ] || fail "not one key in ward's answer"
got=$($LIB srtp "$CLUSTER_DIR/in.cap" "$CLUSTER_DIR/in.keys" "$INRTP")
echo "toward the trunk under ward's answered key: $got (datagrams, authenticated, SSRCs, periods 4 8 16 20)"
echo "$got" | awk '{ exit !($1 >= 100 && $2 == $1 && $5 >= 100) }' || fail "toward the trunk: $got"
[ "$(awk 'length($4) >= 200 && $3 != 0' "$CLUSTER_DIR/in.cap" | wc -l)" = 0 ] ||
	fail "plain RTP toward the trunk"
wait_until 10 "the call gone" no_call gw

step "trunk peers whose certificates the profile does not name: nothing sent, A gets 502"
for t in "88888 other" "77777 rogue"; do
	set -- $t
	before=$(grep -c '^SIP/2.0 502' "$CLUSTER_DIR/a/out" || true)
	ctl a dial "sip:$1@127.0.0.1:$TLS;transport=tls"
	got502() { [ "$(grep -c '^SIP/2.0 502' "$CLUSTER_DIR/a/out" || true)" -gt "$before" ]; }
	wait_until 10 "A to get 502 for $2" got502
	grep -q "TLS connection to trunk $2 at .* refused, nothing sent" "$CLUSTER_DIR/n1.log" ||
		fail "the refusal of $2 was not logged"
	[ -s "$CLUSTER_DIR/sink-$2" ] &&
		fail "the $2 peer received: $(head -c 200 "$CLUSTER_DIR/sink-$2")"
	wait_until 5 "no call left" no_call $A
done
grep -q "refused, nothing sent: certificate is not the profile's X.509 subject" "$CLUSTER_DIR/n1.log" ||
	fail "no subject refusal logged"
grep -q "refused, nothing sent: certificate not trusted" "$CLUSTER_DIR/n1.log" ||
	fail "no trust refusal logged"
# The keepalive (every second here) is refused the same way.
shown() {
	ward_ctl n1 --json device show "$1" >"$CLUSTER_DIR/show.json" &&
		jq -e ".reachability.reachable == false and .reachability.status == 502 and (.reachability.tls_refused | startswith(\"$2\"))" \
			"$CLUSTER_DIR/show.json" >/dev/null
}
wait_until 10 "other shown refused" shown other "certificate is not the profile's X.509 subject"
wait_until 10 "rogue shown refused" shown rogue "certificate not trusted"
reachable() {
	ward_ctl n1 --json device show gw >"$CLUSTER_DIR/show.json" &&
		jq -e '.reachability.reachable == true and .reachability.tls_refused == ""' \
			"$CLUSTER_DIR/show.json" >/dev/null
}
wait_until 10 "gw shown reachable" reachable
for x in other rogue; do
	[ -s "$CLUSTER_DIR/sink-$x" ] &&
		fail "the $x peer received: $(head -c 200 "$CLUSTER_DIR/sink-$x")"
done

step "a trunk going out over UDP never sees a key, whatever its profile"
ctl a dial "sip:66666@127.0.0.1:$TLS;transport=tls"
invited() { grep -q "^INVITE sip:66666@" "$CLUSTER_DIR/sink-plain"; }
wait_until 10 "the INVITE at the UDP trunk" invited
ctl a hangup || true
grep -q "^m=audio [0-9]* RTP/AVP" "$CLUSTER_DIR/sink-plain" || fail "no RTP/AVP offer"
! grep -q "a=crypto" "$CLUSTER_DIR/sink-plain" || fail "a key reached a trunk over UDP"
for p in a b; do ctl $p quit || true; done
step "done"
