#!/usr/bin/env bash
# Certificates, security tokens, the CTL and the cluster security mode on a
# 3-node cluster of real wardd processes, driven by wardctl, with SoftHSM2
# tokens in a directory of their own: two tokens registered, a CTL signed
# by one, mixed mode, a node's CallManager certificate rotated and the CTL
# signed again by the other token (key continuity), a third, unregistered
# token refused, the trust store, and a restart of every node.
. "$(dirname "$0")/lib.sh"
. "$WARD_SRC/tests/system/tokens.sh"

# hex FILE: the bytes of FILE as one line of hex.
hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }

# colon_fp FILE: the SHA-256 of a PEM certificate as the API prints it.
colon_fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//'; }

voters_are() {
	[ "$(ward_ctl "$1" --json cluster status |
		jq '[.members[] | select(.role == "voter")] | length')" = "$2" ]
}
mode_is() { [ "$(ward_ctl "$1" --json security status | jq -r .mode)" = "$2" ]; }
ctl_version_is() { [ "$(ward_ctl "$1" --json ctl show | jq -r .version)" = "$2" ]; }
ctl_current() { [ "$(ward_ctl "$1" --json ctl show | jq -r .current)" = true ]; }
file_fp_is() { [ "$(colon_fp "$1")" = "$2" ]; }
sign() { ward_ctl "$1" ctl sign --module "$MODULE" --token "$2" --pin-file "$PIN_FILE"; }

for n in n1 n2 n3; do node_conf $n; done
tokens_dir

step "init n1, join n2 and n3"
ward_init n1 sectest
ward_join n2 n1
ward_join n3 n1
wait_until 10 "n1 sees 3 voters" voters_are n1 3
leader=$(leader_of n1)
follower=n1; [ "$leader" != n1 ] || follower=n2

step "two SoftHSM2 tokens are registered (one through a follower)"
make_token tokA sast1 01
make_token tokB sast2 02
make_token tokC sast3 03
ward_ctl "$leader" token register --module "$MODULE" --token tokA >/dev/null
ward_ctl "$follower" token register --module "$MODULE" --token tokB >/dev/null
[ "$(ward_ctl n3 --json --consistent token list | jq '.tokens | length')" = 2 ] ||
	fail "n3 does not see two tokens"

step "mixed mode is refused without a CTL"
expect_rc 2 ward_ctl n1 security mode mixed
grep -q "signed CTL" "$CLUSTER_DIR/last.err" || fail "no reason given: $(cat "$CLUSTER_DIR/last.err")"

step "token A signs the CTL; it verifies, here and with an independent parser and openssl"
sign n1 tokA >/dev/null
ward_ctl n1 --json ctl show >"$CLUSTER_DIR/ctl1.json"
[ "$(jq -r .version "$CLUSTER_DIR/ctl1.json")" = 1 ] || fail "CTL version $(jq -r .version "$CLUSTER_DIR/ctl1.json")"
[ "$(jq -r .current "$CLUSTER_DIR/ctl1.json")" = true ] || fail "the new CTL is not current"
# 2 tokens, 3 nodes x (CCM, TFTP, HTTPS), the CAPF record.
[ "$(jq -r .records "$CLUSTER_DIR/ctl1.json")" = 12 ] || fail "records: $(jq -r .records "$CLUSTER_DIR/ctl1.json")"
ward_ctl n3 ctl verify | grep -q "signature OK" || fail "ctl verify on n3"
ward_ctl n2 ctl export -o "$CLUSTER_DIR/ctl1.tlv"
/usr/bin/python3 "$KEYS/indep.py" check "$CLUSTER_DIR/ctl1.tlv" - "$CLUSTER_DIR" >/dev/null ||
	fail "the independent check does not verify the CTL"

step "mixed mode, set through a follower, replicated and audited"
ward_ctl "$follower" security mode mixed >/dev/null
for n in n1 n2 n3; do wait_until 5 "$n is mixed" mode_is $n mixed; done
[ "$(ward_ctl n1 --json security status | jq '.resets | length')" = 10 ] ||
	fail "resets: $(ward_ctl n1 --json security status | jq -c .resets)"
ward_ctl n1 --json audit | jq -e '[.audit[] | select(.action == "security.mode")] | length == 1' >/dev/null ||
	fail "the mode change is not audited"

step "regenerate n2's CallManager certificate: n2 switches to it, the CTL is stale"
ward_ctl n1 cert export --der n2 callmanager -o "$CLUSTER_DIR/cm-old.der"
old_fp=$(ward_ctl n1 --json cert fingerprint n2 callmanager | jq -r .sha256)
ward_ctl n1 cert regenerate n2 callmanager >/dev/null
new_fp=$(ward_ctl n1 --json --consistent cert fingerprint n2 callmanager | jq -r .sha256)
[ "$new_fp" != "$old_fp" ] || fail "the fingerprint did not change"
[ "$(ward_ctl n1 --json cert show n2 callmanager | jq -r .generation)" = 2 ] || fail "generation"
wait_until 10 "n2 uses its new CallManager certificate" \
	file_fp_is "$CLUSTER_DIR/n2/pki/callmanager.pem" "$new_fp"
! ctl_current n1 || fail "the CTL is still current"
ward_ctl n1 ctl show | grep -q "n2 callmanager" || fail "ctl show does not name what is missing"

step "token B signs the next CTL (key continuity): it lists n2's new certificate"
WARD_TOKEN_PIN=$(cat "$PIN_FILE") ward_ctl n1 ctl sign --module "$MODULE" --token tokB >/dev/null
for n in n1 n2 n3; do wait_until 5 "$n has CTL version 2" ctl_version_is $n 2; done
ctl_current n1 || fail "CTL 2 is not current"
ward_ctl n1 ctl export -o "$CLUSTER_DIR/ctl2.tlv"
openssl x509 -in "$CLUSTER_DIR/n2/pki/callmanager.pem" -outform DER -out "$CLUSTER_DIR/cm-new.der"
hex "$CLUSTER_DIR/ctl2.tlv" | grep -q "$(hex "$CLUSTER_DIR/cm-new.der")" ||
	fail "CTL 2 does not hold n2's new CallManager certificate"
! hex "$CLUSTER_DIR/ctl2.tlv" | grep -q "$(hex "$CLUSTER_DIR/cm-old.der")" ||
	fail "CTL 2 still holds n2's old CallManager certificate"
[ "$(ward_ctl n1 --json ctl show | jq -r .signer.label)" = tokB ] || fail "signer"
/usr/bin/python3 "$KEYS/indep.py" check "$CLUSTER_DIR/ctl2.tlv" - "$CLUSTER_DIR" >/dev/null ||
	fail "the independent check does not verify CTL 2"

step "a CTL signed by a third, unregistered token is refused and audited"
expect_rc 2 sign n1 tokC
grep -q "signer not allowed" "$CLUSTER_DIR/last.err" || fail "refusal: $(cat "$CLUSTER_DIR/last.err")"
ctl_version_is n1 2 || fail "the refused CTL was stored"
wait_until 5 "the refusal is audited" sh -c \
	"\"\$WARDCTL\" --url $(ward_url n1) --fingerprint $(ward_fp n1) --json audit | jq -e '[.audit[] | select(.action == \"ctl.refused\")] | length > 0'"
expect_rc 2 ward_ctl n1 token remove "$(openssl x509 -in "$KEYS/sast2.crt" -noout -serial | sed 's/.*=//')"

step "trust store: PEM and DER imports named as openssl hashes them"
ward_ctl n1 --json cert import --category mic-root "$KEYS/ca.crt" >"$CLUSTER_DIR/imp1.json"
[ "$(jq -r .name "$CLUSTER_DIR/imp1.json")" = "$(openssl x509 -in "$KEYS/ca.crt" -noout -hash).0" ] ||
	fail "name $(jq -r .name "$CLUSTER_DIR/imp1.json")"
openssl x509 -in "$KEYS/ccm1.crt" -outform DER -out "$CLUSTER_DIR/peer.der"
ward_ctl n2 --json cert import --category trunk-peer "$CLUSTER_DIR/peer.der" >"$CLUSTER_DIR/imp2.json"
[ "$(jq -r .name "$CLUSTER_DIR/imp2.json")" = "$(openssl x509 -in "$KEYS/ccm1.crt" -noout -hash).0" ] ||
	fail "name $(jq -r .name "$CLUSTER_DIR/imp2.json")"
expect_rc 2 ward_ctl n1 cert import --category ca-root "$KEYS/sast1.key"
grep -q "private key" "$CLUSTER_DIR/last.err" || fail "what it was: $(cat "$CLUSTER_DIR/last.err")"
ca_entry=$(ward_ctl n1 --json cert list --trust | jq -r '.trust[] | select(.cluster_ca) | .name')
expect_rc 2 ward_ctl n1 cert delete "$ca_entry"

step "restart every node: trust store, tokens, CTL and mode are intact"
state() {
	ward_ctl "$1" --json --consistent cert list --trust | jq -S '[.trust[] | {name, category, sha256}]'
	ward_ctl "$1" --json --consistent token list | jq -S '[.tokens[] | {serial, "label": .label, in_ctl}]'
	ward_ctl "$1" --json --consistent ctl show | jq -S '{version, sha256, current, verifies}'
	ward_ctl "$1" --json --consistent security status | jq -S '{mode, resets: (.resets | length)}'
}
state n1 >"$CLUSTER_DIR/before"
for n in n1 n2 n3; do ward_stop $n; done
for n in n1 n2 n3; do ward_start $n; done
wait_until 15 "a leader after the restart" has_leader n1
for n in n1 n2 n3; do
	wait_until 10 "$n serves after the restart" sh -c \
		"\"\$WARDCTL\" --url $(ward_url $n) --fingerprint $(ward_fp $n) --consistent status"
	state $n >"$CLUSTER_DIR/after.$n"
	diff "$CLUSTER_DIR/before" "$CLUSTER_DIR/after.$n" >&2 || fail "$n lost state in the restart"
	ward_ctl $n ctl verify | grep -q "current: yes" || fail "$n: CTL not current after restart"
done
step "ok"
