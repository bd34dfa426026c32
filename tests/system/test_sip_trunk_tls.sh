#!/usr/bin/env bash
# SIP trunks in a secure mode over TLS: the peer's certificate must chain to
# the trust store and be one its trunk profile's X.509 subject names name —
# the whole subject DN (not only its CN), or a bare name matching the CN or
# a subjectAltName DNS entry. The certificate chains to the cluster CA or
# is (or is issued by) a trunk-peer trust entry, which authenticates trunks
# only. Our client plays the trunk peers from loopback addresses with
# certificates from mkpki.py --trunk.
# Then the other way: the keepalive opens TLS connections to three trunk
# peers (tls_sink.py): the one whose certificate its profile names gets
# OPTIONS; one with a certificate of the cluster CA under another subject
# and one of a rogue CA get nothing at all (their sinks stay empty), are
# shown unreachable with 502 and the reason, and each refusal is logged.
. "$(dirname "$0")/lib.sh"
. "$WARD_SRC/tests/system/sip/sipd.sh"

SCEN=$WARD_SRC/tests/system/sip
PKI=$CLUSTER_DIR/pki

python3 "$SCEN/mkpki.py" "$PKI" --trunk
cat >"$CLUSTER_DIR/dir.txt" <<EOF2
realm ward.test
$(sipd_secure)
trunk dn addr=127.0.0.1 mode=authenticated transports=tls,tcp subject=CN=trunk.example.com,O=Example,C=US
trunk names addr=127.0.0.2 mode=encrypted transports=tls subject=other.example.com,sip.example.com
trunkroot $(sipd_fp trunk-self.pem)
trunk self addr=127.0.0.3 mode=authenticated transports=tls subject=CN=self.example.com,O=Self,C=US
device self.example.com user=alice mode=authenticated transports=tls
user alice pw-alice
EOF2

PORT=$(free_port)
TLS=$(free_port)
sipd_start node1 "$PORT" --tls-port "$TLS" --tls-dir "$PKI/tls"

CLIENT=$SCEN/sipclient.py
# info EXPECT FROM TRANSPORT [CERT]: an out-of-dialog INFO from FROM.
info() {
	local want=$1 from=$2 tp=$3 cert=${4:-} port=$PORT
	[ "$tp" = tls ] && port=$TLS
	python3 "$CLIENT" --server "127.0.0.1:$port" --transport "$tp" \
		--local "$from" --method INFO --device gw \
		${cert:+--cert "$PKI/$cert.pem"} --expect "$want" >/dev/null ||
		fail "INFO from $from over $tp with ${cert:-no certificate}: not $want"
}
refusals() { grep -c "from trunk $1 .* refused: peer is not the profile's X.509 subject" "$CLUSTER_DIR/node1.log" || true; }

step "the trunk whose certificate carries the profile's whole subject DN is heard"
info 501 127.0.0.1 tls trunk
[ "$(refusals dn)" = 0 ] || fail "the right trunk was refused"
step "the same CN under another O, a rogue CA, no certificate, plain TCP: 403"
info 403 127.0.0.1 tls trunk-other
info 403 127.0.0.1 tls trunk-rogue
info 403 127.0.0.1 tls
info 403 127.0.0.1 tcp
[ "$(refusals dn)" = 4 ] || fail "expected 4 refusals of trunk dn: $(grep refused "$CLUSTER_DIR/node1.log")"
step "a profile listing DNS names: the certificate's subjectAltName matches"
info 501 127.0.0.2 tls trunk
info 403 127.0.0.2 tls trunk-rogue
[ "$(refusals names)" = 1 ] || fail "expected 1 refusal of trunk names"
step "a self-signed trunk certificate in the trust store as trunk-peer authenticates its trunk"
info 501 127.0.0.3 tls trunk-self
info 403 127.0.0.3 tls trunk
[ "$(refusals self)" = 1 ] || fail "expected 1 refusal of trunk self"
step "but no phone: a device of that name with that certificate is refused"
python3 "$CLIENT" --server "127.0.0.1:$TLS" --transport tls --local 127.0.0.4 \
	--device self.example.com --user alice --password pw-alice --alg SHA-256 \
	--cert "$PKI/trunk-self.pem" --expect 403 >/dev/null ||
	fail "a trunk-peer certificate registered a phone"
grep -q "as self.example.com refused: LSC not on record" "$CLUSTER_DIR/node1.log" ||
	fail "no refusal logged for the phone with a trunk-peer certificate"

step "outgoing TLS: the keepalive reaches only the peer its profile names"
P1=$(free_port)
P2=$(free_port)
P3=$(free_port)
cat >"$CLUSTER_DIR/dir2.txt" <<EOF2
realm ward.test
lscca $(sipd_fp cluster-ca.pem)
trunk good addr=127.0.0.6 peerport=$P1 out=tls transports=tls subject=CN=trunk.example.com,O=Example,C=US
trunk other addr=127.0.0.7 peerport=$P2 out=tls transports=tls subject=CN=trunk.example.com,O=Example,C=US
trunk rogue addr=127.0.0.8 peerport=$P3 out=tls transports=tls subject=CN=trunk.example.com,O=Example,C=US
EOF2
for x in "good 127.0.0.6 $P1 trunk" "other 127.0.0.7 $P2 trunk-other" \
	"rogue 127.0.0.8 $P3 trunk-rogue"; do
	set -- $x
	python3 "$SCEN/tls_sink.py" "$2" "$3" "$PKI/$4.pem" \
		"$CLUSTER_DIR/sink-$1" 20 2>"$CLUSTER_DIR/sink-$1.err" &
	echo $! >"$CLUSTER_DIR/sink-$1.pid"
	wait_until 5 "the $1 peer listening" test -e "$CLUSTER_DIR/sink-$1.ready"
done
PORT2=$(free_port)
"$SIPD" --dir "$CLUSTER_DIR/dir2.txt" --host 127.0.0.1 --port "$PORT2" \
	--tls-port "$(free_port)" --tls-dir "$PKI/tls" --trunk-options-s 1 \
	>"$CLUSTER_DIR/node2.out" 2>"$CLUSTER_DIR/node2.log" &
echo $! >"$CLUSTER_DIR/node2.pid"
seen() { grep -q "$1" "$CLUSTER_DIR/node2.log"; }
wait_until 10 "good reachable" seen "trunk good reachable (200)"
wait_until 5 "other refused" seen "trunk other unreachable (502: TLS peer refused, certificate is not the profile's X.509 subject)"
wait_until 5 "rogue refused" seen "trunk rogue unreachable (502: TLS peer refused, certificate not trusted: "
seen "TLS connection to trunk other at 127.0.0.7:$P2 refused, nothing sent" ||
	fail "the refusal of other was not logged"
grep -q "^OPTIONS sip:127.0.0.6:$P1;transport=tls" "$CLUSTER_DIR/sink-good" ||
	fail "the good peer got no OPTIONS"
# a second round reached them too: still nothing at the refused peers
wait_until 5 "a second refusal" sh -c "[ \$(grep -c 'TLS connection to trunk rogue' '$CLUSTER_DIR/node2.log') -ge 2 ]"
for x in other rogue; do
	[ -s "$CLUSTER_DIR/sink-$x" ] &&
		fail "the $x peer received: $(head -c 200 "$CLUSTER_DIR/sink-$x")"
done
step "done"
