#!/usr/bin/env bash
# EST (RFC 7030) on the admin HTTPS port, with curl and openssl as the
# client: the CA certificates; simpleenroll with the authentication string
# as the HTTP Basic password (and refusals: wrong string, unknown device,
# nothing scheduled, the wrong key; wrong strings locking the operation
# after its tries); simplereenroll authenticated by the
# LSC as TLS client certificate. The issued LSC is on the device's CAPF
# record and chains to the cluster CA.
. "$(dirname "$0")/lib.sh"

node_conf n1 "[capf]" "listen = 127.0.0.1:$(free_port)" "[sip]" "port = 0" "tls_port = 0"
capf_field() { ward_ctl n1 --json capf status "$1" | jq -r ".$2"; }
D=SEP0011223344E1
E=$CLUSTER_DIR/est
mkdir -p "$E"
est() { # PATH CURL-ARGS... -> body in $E/out, HTTP status printed
	local path=$1
	shift
	curl -sk -o "$E/out" -w '%{http_code}' "$(ward_url n1)/.well-known/est/$path" "$@"
}
csr() { # CN CURVE-OR-RSA NAME
	if [ "$2" = rsa ]; then
		openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$1" \
			-keyout "$E/$3.key" -outform DER -out "$E/$3.der" 2>/dev/null
	else
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:"$2" -nodes \
			-subj "/CN=$1" -keyout "$E/$3.key" -outform DER -out "$E/$3.der" 2>/dev/null
	fi
	base64 "$E/$3.der" >"$E/$3.b64"
}
p7_to_pem() { base64 -d "$E/out" | openssl pkcs7 -inform DER -print_certs -out "$1"; }

step "init n1, one phone"
ward_init n1 esttest
expect_rc 0 ward_ctl n1 device add $D --model 8841 --capabilities tls,srtp \
	--profile standard-authenticated

step "cacerts is the cluster CA"
[ "$(est cacerts)" = 200 ] || fail "cacerts: $(cat "$E/out")"
p7_to_pem "$E/ca.pem"
[ "$(openssl x509 -in "$E/ca.pem" -noout -fingerprint -sha256)" = \
	"$(openssl x509 -in "$(ward_ca n1)" -noout -fingerprint -sha256)" ] || fail "not the cluster CA"

step "nothing scheduled: refused, no write"
csr $D P-256 a
[ "$(est simpleenroll --data-binary @"$E/a.b64" -u $D:97531)" = 403 ] || fail "enrolled unscheduled"

step "simpleenroll with the authentication string"
expect_rc 0 ward_ctl n1 capf schedule --auth auth-string --auth-string 97531 --key ec-p256 $D
[ "$(est simpleenroll --data-binary @"$E/a.b64" -u $D:11111)" = 401 ] || fail "wrong string accepted"
[ "$(est simpleenroll --data-binary @"$E/a.b64")" = 401 ] || fail "no credentials accepted"
csr SEP0011223344FF P-256 u
[ "$(est simpleenroll --data-binary @"$E/u.b64" -u SEP0011223344FF:97531)" = 403 ] || fail "unknown device"
csr $D rsa r
[ "$(est simpleenroll --data-binary @"$E/r.b64" -u $D:97531)" = 400 ] || fail "wrong key type accepted"
[ "$(est simpleenroll --data-binary @"$E/a.b64" -u $D:97531)" = 200 ] || fail "enroll: $(cat "$E/out")"
p7_to_pem "$E/lsc.pem"
openssl verify -CAfile "$(ward_ca n1)" -purpose sslclient "$E/lsc.pem" >/dev/null || fail "LSC does not verify"
openssl x509 -in "$E/lsc.pem" -noout -subject | grep -q "CN = $D" || fail "LSC CN"
[ "$(openssl x509 -in "$E/lsc.pem" -noout -serial | cut -d= -f2)" = "$(capf_field $D serial)" ] ||
	fail "serial not on the record"
[ "$(capf_field $D state)" = done ] || fail "not done"
[ "$(est simpleenroll --data-binary @"$E/a.b64" -u $D:97531)" = 403 ] || fail "enrolled twice"

step "wrong strings over EST count toward the lock"
expect_rc 0 ward_ctl n1 capf schedule --auth auth-string --auth-string 24680 --tries 2 --key ec-p256 $D
[ "$(est simpleenroll --data-binary @"$E/a.b64" -u $D:11111)" = 401 ] || fail "wrong string accepted"
[ "$(capf_field $D failed_tries)" = 1 ] || fail "the wrong string was not counted"
[ "$(est simpleenroll --data-binary @"$E/a.b64" -u $D:22222)" = 401 ] || fail "wrong string accepted"
[ "$(capf_field $D state)" = failed ] || fail "not locked after 2 wrong strings"
[ "$(est simpleenroll --data-binary @"$E/a.b64" -u $D:24680)" = 403 ] || fail "enrolled while locked"
expect_rc 0 ward_ctl n1 audit --limit 100
grep -q "capf.auth-failed" "$CLUSTER_DIR/last.out" || fail "no capf.auth-failed audit"

step "simplereenroll with the LSC as client certificate"
expect_rc 0 ward_ctl n1 capf schedule --auth existing-lsc --key ec-p384 $D
csr $D P-384 b
[ "$(est simplereenroll --data-binary @"$E/b.b64")" = 401 ] || fail "reenroll without a certificate"
[ "$(est simplereenroll --data-binary @"$E/b.b64" --cert "$E/ca.pem" --key "$E/a.key")" != 200 ] ||
	fail "reenroll with another certificate"
[ "$(est simplereenroll --data-binary @"$E/b.b64" --cert "$E/lsc.pem" --key "$E/a.key")" = 200 ] ||
	fail "reenroll: $(cat "$E/out")"
p7_to_pem "$E/lsc2.pem"
openssl verify -CAfile "$(ward_ca n1)" "$E/lsc2.pem" >/dev/null || fail "new LSC does not verify"
[ "$(openssl x509 -in "$E/lsc2.pem" -noout -serial | cut -d= -f2)" = "$(capf_field $D serial)" ] ||
	fail "new serial not on the record"

step "audited"
expect_rc 0 ward_ctl n1 audit --limit 100
grep -q "capf.est-enroll" "$CLUSTER_DIR/last.out" || fail "no capf.est-enroll audit"
step "done"
