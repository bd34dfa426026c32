#!/usr/bin/env bash
# Encrypted configuration over TFTP and HTTP, judged by code that is not
# ward's: a phone whose profile asks for an encrypted config gets an RSA
# LSC (EST with curl and openssl, the key kept by the test); in mixed mode
# tftp-hpa, atftp and curl fetch SEP<MAC>.cnf.xml.enc.sgn, the same bytes
# from the node's cache (the admin API's copy, encrypted afresh, holds the
# same plaintext); the independent checker
# (tests/unit/data/trustlist/indep.py) verifies its signature and decrypts
# it with the phone's private key, and openssl does the same on the fields
# it extracts; the plaintext is the expected XML (the phone's plain config
# with its digest credentials, HA1 computed here); the plain .sgn is the
# stub; a tampered file fails both.
. "$(dirname "$0")/lib.sh"
. "$WARD_SRC/tests/system/tokens.sh"
. "$WARD_SRC/tests/system/tftp.sh"

INDEP="/usr/bin/python3 $KEYS/indep.py"
D=$CLUSTER_DIR
DEV=SEP00112233EEC1
CFG=$DEV.cnf.xml

# body FILE OUT: what follows a signed file's header.
body() {
	local hlen
	hlen=$(od -An -tu1 -j8 -N2 "$1" | awk '{ print $1 * 256 + $2 }')
	tail -c +$((hlen + 1)) "$1" >"$2"
}

node_conf n1 "[capf]" "listen = 127.0.0.1:$(free_port)"

step "init n1; a phone whose profile asks for an encrypted config, with a digest user"
ward_init n1 tftpenc
export WARD_NEW_PASSWORD=bob-secret-456
ward_ctl n1 user add bob >/dev/null
unset WARD_NEW_PASSWORD
ward_ctl n1 profile add enc-auth --mode authenticated --transport tls \
	--tftp-encrypted-config true >/dev/null
ward_ctl n1 device add $DEV --model 8841 --capabilities tls,srtp,encrypted-config \
	--profile enc-auth --lines 3001,3002 --digest-user bob >/dev/null
# The node publishes its SIP address once; the config lists it.
sip_published() { ward_ctl n1 --json audit | jq -e '[.audit[] | select(.action == "node.sip")] | length > 0' >/dev/null; }
wait_until 20 "n1's SIP address in its record" sip_published
wait_until 10 "n1 serves the plain config" get_hpa n1 $CFG "$D/plain.xml"

step "the phone enrolls an RSA LSC (EST); its private key stays here"
ward_ctl n1 capf schedule --auth auth-string --auth-string 24680 --key rsa-2048 $DEV >/dev/null
openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$DEV" -keyout "$D/dev.key" \
	-outform DER -out "$D/dev.csr" 2>/dev/null
code=$(curl -sk -o "$D/est.out" -w '%{http_code}' --data-binary @<(base64 "$D/dev.csr") \
	-u $DEV:24680 "$(ward_url n1)/.well-known/est/simpleenroll")
[ "$code" = 200 ] || fail "EST enroll: $code $(cat "$D/est.out")"
base64 -d "$D/est.out" | openssl pkcs7 -inform DER -print_certs -out "$D/lsc.pem"
openssl x509 -in "$D/lsc.pem" -outform DER -out "$D/lsc.der"

step "non-secure: no encrypted file"
get_hpa n1 $CFG.enc.sgn "$D/none" && fail "an .enc.sgn in non-secure mode"

step "mixed mode (CTL signed with two tokens)"
tokens_mixed n1

step "tftp-hpa, atftp and HTTP fetch $CFG.enc.sgn: the same bytes from the cache"
wait_until 10 "n1 serves $CFG.enc.sgn" get_hpa n1 $CFG.enc.sgn "$D/enc.hpa"
cp "$D/enc.hpa" "$D/enc.admin"
get_atftp n1 $CFG.enc.sgn "$D/enc.atftp" "blksize 1428" "tsize 0" ||
	fail "atftp: $(cat "$D/atftp.out")"
same "$D/enc.admin" "$D/enc.atftp" "atftp blksize/tsize"
get_atftp n1 $CFG.enc.sgn "$D/enc.win" "windowsize 4" "blksize 256" ||
	fail "atftp windowsize: $(cat "$D/atftp.out")"
same "$D/enc.admin" "$D/enc.win" "atftp windowsize"
curl -sf "$(http_url n1 $CFG.enc.sgn)" -o "$D/enc.http" || fail "HTTP .enc.sgn"
same "$D/enc.admin" "$D/enc.http" "HTTP"
ward_ctl n1 tftp files $DEV >"$D/files.txt"
grep -q "encrypted" "$D/files.txt" || fail "tftp files: $(cat "$D/files.txt")"

step "the independent checker verifies the signature and decrypts with the phone's key"
mkdir -p "$D/chk"
$INDEP check "$D/enc.hpa" "$D/n1/pki/tftp.pem" "$D/chk" >/dev/null ||
	fail "the independent verifier refuses the .enc.sgn"
$INDEP decrypt "$D/enc.hpa" "$D/dev.key" "$D/dec.xml" || fail "indep.py cannot decrypt"
openssl req -new -newkey rsa:2048 -nodes -subj "/CN=other" -keyout "$D/other.key" \
	-out /dev/null 2>/dev/null
$INDEP decrypt "$D/enc.hpa" "$D/other.key" "$D/none" >/dev/null &&
	fail "another key decrypts the file"

step "the plaintext is the expected XML: the full config with its credentials"
realm=$(ward_ctl n1 --json user show bob | jq -r .realm)
[ -n "$realm" ] && [ "$realm" != null ] || fail "no realm for bob"
ha1=$(printf 'bob:%s:bob-secret-456' "$realm" | md5sum | cut -d' ' -f1)
sed -e 's|<encrConfig>false</encrConfig>|<encrConfig>true</encrConfig>|' \
	-e "s|^\( *\)<authName>bob</authName>\$|&\n\1<authHash>$ha1</authHash>|" \
	"$D/plain.xml" >"$D/expected.xml"
[ "$(grep -c "<authHash>$ha1</authHash>" "$D/expected.xml")" = 2 ] ||
	fail "expected XML not built: $(cat "$D/expected.xml")"
same "$D/expected.xml" "$D/dec.xml" "decrypted config"
# The admin API builds its own copy: a fresh AES key, the same plaintext.
ward_ctl n1 tftp get -o "$D/enc.api" $CFG.enc.sgn
cmp -s "$D/enc.api" "$D/enc.hpa" && fail "two encryptions with the same key and IV"
$INDEP decrypt "$D/enc.api" "$D/dev.key" "$D/dec.api.xml" || fail "the admin API's copy"
same "$D/expected.xml" "$D/dec.api.xml" "the admin API's copy, decrypted"
! grep -q "authHash" "$D/plain.xml" || fail "a credential in the plain config"

step "openssl on the extracted fields: unwrap the key, decrypt, check the digest"
mkdir -p "$D/f"
$INDEP fields "$D/enc.hpa" "$D/f" || fail "fields"
openssl pkeyutl -decrypt -inkey "$D/dev.key" -pkeyopt rsa_padding_mode:pkcs1 \
	-in "$D/f/key.bin" -out "$D/f/aes.bin" || fail "openssl cannot unwrap the key"
[ "$(stat -c %s "$D/f/aes.bin")" = 16 ] || fail "the wrapped key is not AES-128"
openssl enc -d -aes-128-cbc -nopad -K "$(od -An -tx1 -v "$D/f/aes.bin" | tr -d ' \n')" \
	-iv "$(cat "$D/f/iv.hex")" -in "$D/f/body.bin" -out "$D/f/padded.xml" ||
	fail "openssl cannot decrypt"
pad=$(cat "$D/f/pad")
[ "$(tail -c "$pad" "$D/f/padded.xml" | tr -d '\r' | wc -c)" = 0 ] || fail "padding is not \\r"
head -c -"$pad" "$D/f/padded.xml" >"$D/f/plain.xml"
same "$D/expected.xml" "$D/f/plain.xml" "openssl's plaintext"
[ "$(openssl dgst -"$(cat "$D/f/digest.alg")" -r "$D/f/plain.xml" | cut -d' ' -f1)" = \
	"$(cat "$D/f/digest.hex")" ] || fail "the plaintext digest differs"

step "the plain .sgn is the stub: no secret, the LSC's MD5"
get_atftp n1 $CFG.sgn "$D/stub.sgn" "tsize 0" || fail "atftp stub: $(cat "$D/atftp.out")"
curl -sf "$(http_url n1 $CFG.sgn)" -o "$D/stub.http" || fail "HTTP stub"
same "$D/stub.sgn" "$D/stub.http" "stub over HTTP"
mkdir -p "$D/chk.stub"
$INDEP check "$D/stub.sgn" "$D/n1/pki/tftp.pem" "$D/chk.stub" >/dev/null ||
	fail "the independent verifier refuses the stub"
body "$D/stub.sgn" "$D/stub.xml"
grep -q "<fullConfig>false</fullConfig>" "$D/stub.xml" || fail "stub: $(cat "$D/stub.xml")"
grep -q "<encrConfig>true</encrConfig>" "$D/stub.xml" || fail "stub: $(cat "$D/stub.xml")"
grep -q "<certHash>$(md5sum <"$D/lsc.der" | cut -d' ' -f1)</certHash>" "$D/stub.xml" ||
	fail "stub certHash is not the LSC's MD5: $(cat "$D/stub.xml")"
! grep -q "authName\|authHash\|featureLabel" "$D/stub.xml" || fail "the stub carries the config"

step "a phone without an LSC: encrypted to the MIC the admin records"
DEV2=SEP00112233EEC2
ward_ctl n1 device add $DEV2 --model 8841 --capabilities tls,srtp,encrypted-config,mic \
	--profile enc-auth --lines 3003 >/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/O=Phone Maker/CN=CP-8841-$DEV2" \
	-keyout "$D/mic.key" -out "$D/mic.pem" 2>/dev/null
openssl x509 -in "$D/mic.pem" -outform DER -out "$D/mic.der"
wait_until 10 "no MIC yet: tftp files says why" bash -c \
	"'$WARDCTL' --url '$(ward_url n1)' --fingerprint '$(ward_fp n1)' tftp files $DEV2 |
		grep -q 'no certificate (LSC or MIC, RSA) to encrypt to'"
get_hpa n1 $DEV2.cnf.xml.enc.sgn "$D/none" && fail "an .enc.sgn without LSC or MIC"
ward_ctl n1 device mic $DEV2 "$D/mic.pem" | grep -q "MIC sha256:$(sha256sum <"$D/mic.der" | cut -d' ' -f1)" ||
	fail "device mic: $(cat "$D/last.out" 2>/dev/null)"
[ "$(ward_ctl n1 --json device show $DEV2 | jq -r .mic.sha256)" = \
	"$(sha256sum <"$D/mic.der" | cut -d' ' -f1)" ] || fail "device show: no MIC"
ward_ctl n1 --json audit | jq -e '[.. | strings | select(test("device.mic"))] | length > 0' \
	>/dev/null || fail "no audit record for the MIC"
wait_until 10 "n1 serves $DEV2's .enc.sgn" get_hpa n1 $DEV2.cnf.xml.enc.sgn "$D/enc2"
$INDEP decrypt "$D/enc2" "$D/mic.key" "$D/dec2.xml" || fail "the MIC's key does not open it"
grep -q "<featureLabel>3003</featureLabel>" "$D/dec2.xml" || fail "$(cat "$D/dec2.xml")"
mkdir -p "$D/chk2"
$INDEP check "$D/enc2" "$D/n1/pki/tftp.pem" "$D/chk2" >/dev/null || fail "MIC .enc.sgn signature"
curl -sf "$(http_url n1 $DEV2.cnf.xml.sgn)" -o "$D/stub2.sgn" || fail "HTTP stub 2"
body "$D/stub2.sgn" "$D/stub2.xml"
grep -q "<certHash>$(md5sum <"$D/mic.der" | cut -d' ' -f1)</certHash>" "$D/stub2.xml" ||
	fail "stub certHash is not the MIC's MD5: $(cat "$D/stub2.xml")"
ward_ctl n1 tftp files $DEV2 | grep -q "encrypted to the device's MIC" || fail "tftp files: not the MIC"
mics() { ward_ctl n1 --json audit | jq '[.. | strings | select(test("^device.mic$"))] | length'; }
before=$(mics)
[ "$before" -gt 0 ] || fail "no device.mic audit record"
ward_ctl n1 device mic $DEV2 "$D/mic.pem" >/dev/null
[ "$(mics)" = "$before" ] || fail "the same MIC again was written"
# The first phone has an LSC: a MIC beside it changes nothing.
ward_ctl n1 device mic $DEV "$D/mic.pem" >/dev/null
ward_ctl n1 tftp get -o "$D/enc.lsc" $CFG.enc.sgn
$INDEP decrypt "$D/enc.lsc" "$D/dev.key" "$D/none" >/dev/null || fail "not the LSC any more"
# Forgotten: no encrypted file again.
ward_ctl n1 device mic $DEV2 none >/dev/null
wait_until 10 "$DEV2 loses its .enc.sgn" bash -c "! curl -sf '$(http_url n1 $DEV2.cnf.xml.enc.sgn)' -o /dev/null"
expect_rc 2 ward_ctl n1 device mic $DEV2 "$D/dev.key"
expect_rc 2 ward_ctl n1 device mic SEP0000000000FF "$D/mic.pem"

step "a tampered file fails verification and decryption"
for at in 40 $(($(stat -c %s "$D/enc.hpa") - 10)); do
	cp "$D/enc.hpa" "$D/bad"
	printf '\xa5' | dd of="$D/bad" bs=1 seek=$at conv=notrunc 2>/dev/null
	mkdir -p "$D/chk.bad"
	$INDEP check "$D/bad" "$D/n1/pki/tftp.pem" "$D/chk.bad" >/dev/null 2>&1 &&
		fail "a file tampered at $at passes the verifier"
done
$INDEP decrypt "$D/bad" "$D/dev.key" "$D/none" >/dev/null 2>&1 &&
	fail "a tampered body decrypts to the signed digest"

step "done"
