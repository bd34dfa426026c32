#!/usr/bin/env bash
# The registrar records a phone's MIC, for the TFTP role to encrypt its
# configuration to: on a two-node cluster with a test manufacturer CA in the
# trust store (mic-root), one phone registers over TLS with its (RSA) MIC
# on the leader (written with its registration) and one with its (EC) MIC
# on the follower (relayed to the leader with its registration); refreshes
# write nothing; in mixed mode the first phone's SEP<MAC>.cnf.xml.enc.sgn is
# opened with its MIC's key by the independent checker, and the second gets
# none (the format encrypts to RSA keys only), saying why.
. "$(dirname "$0")/lib.sh"
. "$WARD_SRC/tests/system/tokens.sh"
. "$WARD_SRC/tests/system/tftp.sh"

INDEP="/usr/bin/python3 $KEYS/indep.py"
CLIENT="python3 $WARD_SRC/tests/system/sip/sipclient.py"
D=$CLUSTER_DIR
PKI=$D/pki
A=SEP00112233CC0A
B=SEP00112233CC0B

declare -A SIP TLS
for n in n1 n2; do
	node_conf $n "[capf]" "listen = 127.0.0.1:$(free_port)"
	read -r _ SIP[$n] TLS[$n] <<<"$(ward_sip $n)"
done
leads() { [ "$(leader_of "$1")" = "$1" ]; }
tls_listening() { ss -Hlnt "sport = :${TLS[$1]}" | grep -q .; }
# register NODE DEVICE: REGISTER over TLS with DEVICE's MIC, digest as bob.
register() {
	$CLIENT --server "127.0.0.1:${TLS[$1]}" --transport tls --device "$2" \
		--user bob --password bob-secret-789 --alg SHA-256 \
		--cert "$PKI/$2-mic.pem" --expect 200 >"$D/client.out" ||
		fail "REGISTER $2 to $1: $(cat "$D/client.out")"
}
mic_of() { ward_ctl n1 --json device show "$1" | jq -r '.mic.sha256 // "none"'; }
der_fp() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }

step "two nodes; two test MIC CAs trusted; two phones on authenticated TLS, encryption asked"
# B: an EC MIC from mkpki's maker CA. A: an RSA MIC from another maker CA.
python3 "$WARD_SRC/tests/system/sip/mkpki.py" "$PKI" $B >/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/O=RSA maker/CN=RSA maker CA" \
	-addext basicConstraints=critical,CA:TRUE -keyout "$PKI/rsa-ca.key" -out "$PKI/rsa-ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=$A" -keyout "$D/$A.key" -out "$D/$A.csr" 2>/dev/null
openssl x509 -req -in "$D/$A.csr" -CA "$PKI/rsa-ca.pem" -CAkey "$PKI/rsa-ca.key" \
	-CAcreateserial -days 30 -out "$D/$A.crt" 2>/dev/null
cat "$D/$A.crt" "$D/$A.key" >"$PKI/$A-mic.pem"
ward_init n1 mictest
ward_join n2 n1
export WARD_NEW_PASSWORD=bob-secret-789
ward_ctl n1 user add bob >/dev/null
unset WARD_NEW_PASSWORD
ward_ctl n1 cert import --category mic-root "$PKI/mic-ca.pem" >/dev/null
ward_ctl n1 cert import --category mic-root "$PKI/rsa-ca.pem" >/dev/null
ward_ctl n1 profile add micauth --mode authenticated --transport tls --digest-auth yes \
	--tftp-encrypted-config yes >/dev/null
ward_ctl n1 node-group add ga --nodes n1 >/dev/null
ward_ctl n1 node-group add gb --nodes n2 >/dev/null
for d in $A:ga $B:gb; do
	ward_ctl n1 device add "${d%%:*}" --model 8841 --capabilities tls,srtp,encrypted-config,mic \
		--profile micauth --lines 5001 --digest-user bob --node-group "${d##*:}" >/dev/null
done
for n in n1 n2; do wait_until 20 "$n's SIP TLS port" tls_listening $n; done
# Each node publishes its SIP address once, through the leader: in before
# the writes are counted below.
sip_published() { [ "$(ward_ctl n1 --json audit | jq '[.audit[] | select(.action == "node.sip")] | length')" -ge 2 ]; }
wait_until 20 "both nodes' SIP addresses in their records" sip_published
[ "$(leader_of n1)" = n1 ] || ward_ctl n1 leader transfer n1 >/dev/null
wait_until 10 "n1 leads" leads n1
[ "$(mic_of $A)" = none ] && [ "$(mic_of $B)" = none ] || fail "a MIC before any registration"

step "$A registers with its MIC on n1, the leader: the MIC is recorded"
register n1 $A
wait_until 10 "$A's MIC on record" bash -c "[ \"\$('$WARDCTL' --url '$(ward_url n1)' --fingerprint '$(ward_fp n1)' --json device show $A | jq -r .mic.sha256)\" = $(der_fp "$PKI/$A-mic.pem") ]"

step "$B registers with its MIC on n2, a follower: relayed with its registration"
register n2 $B
wait_until 10 "$B's MIC on record" bash -c "[ \"\$('$WARDCTL' --url '$(ward_url n1)' --fingerprint '$(ward_fp n1)' --json device show $B | jq -r .mic.sha256)\" = $(der_fp "$PKI/$B-mic.pem") ]"
[ "$(ward_ctl n1 --json device show $B | jq -r .registration.node)" = n2 ] ||
	fail "$B's registration is not on n2"

step "refreshes write nothing"
applied() { ward_ctl n1 --json cluster status | jq -r '.. | .applied_index? // empty' | head -1; }
before=$(applied)
[ -n "$before" ] || fail "no applied index in cluster status"
for i in 1 2 3; do
	register n1 $A
	register n2 $B
done
sleep 1
[ "$(applied)" = "$before" ] || fail "refreshes were written: applied index $before -> $(applied): $(ward_ctl n1 --json audit --limit 3)"

step "mixed mode: $A's config is encrypted to its MIC; $B's EC MIC cannot be"
tokens_mixed n1
wait_until 10 "n2 serves $A's .enc.sgn" curl -sf "$(http_url n2 $A.cnf.xml.enc.sgn)" -o "$D/$A.enc"
$INDEP decrypt "$D/$A.enc" "$D/$A.key" "$D/$A.xml" || fail "$A's MIC key does not open it"
grep -q "<featureLabel>5001</featureLabel>" "$D/$A.xml" || fail "$(cat "$D/$A.xml")"
ward_ctl n1 tftp files $A | grep -q "encrypted to the device's MIC" || fail "tftp files $A"
curl -sf "$(http_url n2 $B.cnf.xml.sgn)" -o "$D/$B.sgn" || fail "$B's .sgn"
grep -qa "<fullConfig>true</fullConfig>" "$D/$B.sgn" || fail "$B got a stub"
curl -sf "$(http_url n2 $B.cnf.xml.enc.sgn)" -o /dev/null && fail "$B got an .enc.sgn"
ward_ctl n1 tftp files $B | grep -q "no certificate (LSC or MIC, RSA) to encrypt to" ||
	fail "tftp files $B: $(cat "$D/last.out" 2>/dev/null)"

step "done"
