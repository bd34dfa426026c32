#!/usr/bin/env bash
# SIP trunks in a secure mode over TLS: the peer's certificate must chain to
# the trust store and be one its trunk profile's X.509 subject names name —
# the whole subject DN (not only its CN), or a bare name matching the CN or
# a subjectAltName DNS entry. Our client plays the trunk peers from two
# loopback addresses with certificates from mkpki.py --trunk.
. "$(dirname "$0")/lib.sh"

SIPD=$WARD_BIN/tests/ward_sipd
SCEN=$WARD_SRC/tests/system/sip
PKI=$CLUSTER_DIR/pki

python3 "$SCEN/mkpki.py" "$PKI" --trunk
fp() { grep "^$1 " "$PKI/fp.txt" | cut -d' ' -f2; }
cat >"$CLUSTER_DIR/dir.txt" <<EOF2
realm ward.test
secure 1
microot $(fp mic-ca.pem)
lscca $(fp cluster-ca.pem)
trunk dn addr=127.0.0.1 mode=authenticated transports=tls,tcp subject=CN=trunk.example.com,O=Example,C=US
trunk names addr=127.0.0.2 mode=encrypted transports=tls subject=other.example.com,sip.example.com
EOF2

PORT=$(free_port)
TLS=$(free_port)
"$SIPD" --dir "$CLUSTER_DIR/dir.txt" --host 127.0.0.1 --port "$PORT" \
	--tls-port "$TLS" --tls-dir "$PKI/tls" \
	>"$CLUSTER_DIR/node1.out" 2>"$CLUSTER_DIR/node1.log" &
echo $! >"$CLUSTER_DIR/node1.pid"
wait_until 5 "node1 listening" sh -c "ss -Hlnt 'sport = :$TLS' | grep -q ."

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
step "done"
