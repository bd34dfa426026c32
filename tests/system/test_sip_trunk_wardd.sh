#!/usr/bin/env bash
# A SIP trunk in a secure mode inside a real wardd node in mixed mode,
# provisioned with wardctl: the peer's self-signed certificate imported into
# the trust store as `trunk-peer` (so cafile.pem holds it), a trunk profile
# naming the peer's whole subject DN, the trunk device at the peer's
# address. Our client plays the peer over TLS: its certificate is heard;
# another trusted peer's certificate (other subject), an untrusted one and
# none are refused. (The incoming-port check reads the listener's port,
# not the connection's, which names the peer.)
. "$(dirname "$0")/lib.sh"
. "$WARD_SRC/tests/system/tokens.sh"

CLIENT="python3 $WARD_SRC/tests/system/sip/sipclient.py"
D=$CLUSTER_DIR
PKI=$D/pki
PEER=127.0.0.5

# info EXPECT CERT: an out-of-dialog INFO from the peer's address.
info() {
	$CLIENT --server "127.0.0.1:$TLS" --transport tls --local $PEER \
		--method INFO --device gw ${2:+--cert "$PKI/$2.pem"} \
		--expect "$1" >"$D/client.out" ||
		fail "INFO with ${2:-no certificate}: not $1: $(cat "$D/client.out")"
}
# The role reads the security mode once a second, and restarts on the new
# cafile.pem: a peer without a certificate is refused once both are in.
refused() { $CLIENT --server "127.0.0.1:$TLS" --transport tls --local $PEER \
	--method INFO --device gw --expect 403 >/dev/null 2>&1; }

node_conf n1
read -r _ _ TLS <<<"$(ward_sip n1)"
python3 "$WARD_SRC/tests/system/sip/mkpki.py" "$PKI" --trunk
for c in trunk-self trunk; do
	awk '/BEGIN CERT/,/END CERT/' "$PKI/$c.pem" >"$PKI/$c.crt"
done

step "init n1; the peer's certificate as a trunk-peer trust entry; a secure trunk"
ward_init n1 trunktls
expect_rc 0 ward_ctl n1 cert import --category trunk-peer "$PKI/trunk-self.crt"
# another peer's certificate, trusted too: trusted is not enough
expect_rc 0 ward_ctl n1 cert import --category trunk-peer "$PKI/trunk.crt"
expect_rc 0 ward_ctl n1 trunk-profile add tls-dn --mode authenticated \
	--incoming-transport tls --incoming-port "$TLS" \
	--x509-subjects "CN=self.example.com,O=Self,C=US"
expect_rc 0 ward_ctl n1 device add gw --kind trunk --profile tls-dn \
	--peer-host $PEER --peer-port 5061 --capabilities tls

step "mixed mode (CTL signed with a token)"
tokens_mixed n1

wait_until 20 "the secure trunk enforced" refused
step "the peer with its certificate is heard"
info 501 trunk-self
step "another trusted peer's certificate, an untrusted one, none: 403"
info 403 trunk
info 403 trunk-rogue
info 403
grep -q "from trunk gw at $PEER:[0-9]* refused: peer is not the profile's X.509 subject" \
	"$D/n1.log" || fail "no refusal logged"
step "done"
