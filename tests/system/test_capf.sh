#!/usr/bin/env bash
# CAPF through a real wardd, wardctl and our own phone-side client
# (tests/system/capf/capfclient.py): scheduling for one device (the
# authentication string shown once, only a hash kept), for a profile's
# devices and a CSV list with progress, cancel, refusals; then the protocol
# over TLS: install with each authentication mode, RSA and EC; the LSC
# registering over SIP TLS in mixed mode; wrong strings locking; expiry;
# unknown devices costing no write; troubleshoot; delete (the LSC then
# refused by SIP); malformed, truncated, oversized messages; a stalled
# client reaped; 20 enrolments in parallel with 10 stalled clients; a
# regenerated CAPF certificate shown to the next phone without a restart.
. "$(dirname "$0")/lib.sh"

capf_field() { ward_ctl "$1" --json capf status "$2" | jq -r ".$3"; }
state_is() { [ "$(capf_field n1 "$1" state)" = "$2" ]; }

CAPF=$(free_port)
SIP=$(free_port)
SIPTLS=$(free_port)
node_conf n1 "[capf]" "listen = 127.0.0.1:$CAPF" "idle_timeout_ms = 2000" \
	"session_timeout_ms = 6000" "max_sessions = 40" \
	"[sip]" "port = $SIP" "tls_port = $SIPTLS"
CLIENT="python3 $WARD_SRC/tests/system/capf/capfclient.py"
# phone DEVICE EXPECT-REASON [ARGS...]: one CAPF session; its JSON in last.json
phone() {
	local dev=$1 want=$2
	shift 2
	$CLIENT --server 127.0.0.1:$CAPF --cafile "$(ward_ca n1)" --device "$dev" \
		--expect-reason "$want" "$@" >"$CLUSTER_DIR/last.json" || {
		cat "$CLUSTER_DIR/last.json" >&2
		fail "CAPF session of $dev did not end with $want"
	}
}
step "init n1, three phones"
ward_init n1 capftest
for mac in 001122334401 001122334402 001122334403; do
	expect_rc 0 ward_ctl n1 device add SEP$mac --model 8841 \
		--capabilities tls,srtp --profile standard-authenticated
done

step "schedule with a given string: shown once, hash only"
expect_rc 0 ward_ctl n1 --json capf schedule --auth auth-string \
	--auth-string 246813 --key ec-p256 --tries 2 SEP001122334401
[ "$(jq -r .auth_string "$CLUSTER_DIR/last.out")" = 246813 ] || fail "string not shown"
[ "$(capf_field n1 SEP001122334401 state)" = pending ] || fail "not pending"
[ "$(capf_field n1 SEP001122334401 key)" = ec-p256 ] || fail "key not kept"
[ "$(capf_field n1 SEP001122334401 auth_string)" = null ] || fail "string shown again"
[ "$(capf_field n1 SEP001122334401 max_tries)" = 2 ] || fail "tries not kept"
grep -rqa 246813 "$CLUSTER_DIR/n1" && fail "the string is stored in clear"

step "a generated string of the asked length"
expect_rc 0 ward_ctl n1 --json capf schedule --auth auth-string \
	--string-length 12 SEP001122334402
jq -r .auth_string "$CLUSTER_DIR/last.out" | grep -Eqx '[0-9]{12}' ||
	fail "no 12-digit string"

step "refusals"
expect_rc 2 ward_ctl n1 capf schedule SEP0011223344FF
expect_rc 2 ward_ctl n1 capf schedule --key rsa-512 SEP001122334401
expect_rc 2 ward_ctl n1 capf schedule --auth auth-string --auth-string 12 SEP001122334401
expect_rc 2 ward_ctl n1 capf schedule --operation reboot SEP001122334401

step "bulk: by profile and by CSV, with progress"
expect_rc 0 ward_ctl n1 --json capf schedule --auth null-string \
	--profile standard-authenticated
batch=$(jq -r .batch "$CLUSTER_DIR/last.out")
[ "$(jq .scheduled "$CLUSTER_DIR/last.out")" = 3 ] || fail "not 3 scheduled"
[ "$(ward_ctl n1 --json capf status --batch "$batch" | jq .progress.pending)" = 3 ] ||
	fail "batch progress"
printf 'device\nSEP001122334401\n# skipped\nSEP001122334403,extra\n' >"$CLUSTER_DIR/devs.csv"
expect_rc 0 ward_ctl n1 --json capf schedule --operation troubleshoot \
	--csv "$CLUSTER_DIR/devs.csv"
[ "$(jq .scheduled "$CLUSTER_DIR/last.out")" = 2 ] || fail "not 2 from CSV"
expect_rc 0 ward_ctl n1 capf status
out_has "troubleshoot"
out_has "Progress: pending 3"

step "cancel"
expect_rc 0 ward_ctl n1 capf cancel SEP001122334403
expect_rc 2 ward_ctl n1 capf status SEP001122334403
expect_rc 2 ward_ctl n1 capf cancel SEP001122334403

step "bulk by CSV with each device's own authentication string"
printf 'device,model,auth_string\nSEP001122334401,8841,2468\nSEP001122334402,8841,13579135\n' \
	>"$CLUSTER_DIR/own.csv"
expect_rc 0 ward_ctl n1 --json capf schedule --key ec-p256 --csv "$CLUSTER_DIR/own.csv"
[ "$(jq -r '.operations[] | select(.device == "SEP001122334402") | .auth_string' \
	"$CLUSTER_DIR/last.out")" = 13579135 ] || fail "the device's string not shown once"
[ "$(jq -r '.operations[] | select(.device == "SEP001122334401") | .auth' \
	"$CLUSTER_DIR/last.out")" = auth-string ] || fail "not in the string mode"
[ "$(capf_field n1 SEP001122334402 auth_string)" = null ] || fail "string shown again"
expect_rc 0 ward_ctl n1 capf status
grep -q 13579135 "$CLUSTER_DIR/last.out" && fail "status echoes a string"
grep -rqa 13579135 "$CLUSTER_DIR/n1" && fail "the string is stored in clear"
printf 'SEP001122334401,24x8\n' >"$CLUSTER_DIR/bad.csv"
expect_rc 2 ward_ctl n1 capf schedule --csv "$CLUSTER_DIR/bad.csv"
grep -q "24x8" "$CLUSTER_DIR/last.out" "$CLUSTER_DIR/last.err" && fail "a bad string echoed"
printf 'SEP001122334401,123\n' >"$CLUSTER_DIR/bad.csv"
expect_rc 2 ward_ctl n1 capf schedule --csv "$CLUSTER_DIR/bad.csv"
wait_until 10 "CAPF listening" sh -c "ss -Hlnt 'sport = :$CAPF' | grep -q ."
phone SEP001122334402 7 --password 2468
phone SEP001122334402 1 --password 13579135

step "mixed mode (two trial tokens, a signed CTL): device security is enforced"
ward_mixed n1

step "the CAPF port answers with the node's CAPF certificate"
wait_until 10 "CAPF listening" sh -c "ss -Hlnt 'sport = :$CAPF' | grep -q ."

step "unknown device: end session 9, no write"
applied() { ward_ctl n1 --json status | jq -r '.store.applied_index // .applied_index'; }
before=$(applied)
phone SEP00000000FFFF 9
phone SEP00000000FFFF 9
[ "$(applied)" = "$before" ] || fail "an unknown device caused a write"

step "nothing scheduled (cancelled above): end session 0"
phone SEP001122334403 0

step "install by authentication string, EC P-256"
expect_rc 0 ward_ctl n1 --json capf schedule --auth auth-string \
	--auth-string 13579 --key ec-p256 SEP001122334401
phone SEP001122334401 1 --password 13579 --lsc-out "$CLUSTER_DIR/401.pem" --in-progress
[ "$(jq -r .key "$CLUSTER_DIR/last.json")" = ec-secp256r1 ] || fail "not asked for P-256"
[ "$(jq -r .lsc_cn "$CLUSTER_DIR/last.json")" = SEP001122334401 ] || fail "LSC CN"
openssl verify -CAfile "$(ward_ca n1)" -purpose sslclient "$CLUSTER_DIR/401.pem" >/dev/null ||
	fail "LSC does not chain to the cluster CA for clientAuth"
openssl x509 -in "$CLUSTER_DIR/401.pem" -noout -ext subjectAltName | grep -q "URI:SEP001122334401" ||
	fail "no URI SAN"
[ "$(capf_field n1 SEP001122334401 state)" = done ] || fail "not done"
serial=$(jq -r .lsc_serial "$CLUSTER_DIR/last.json")
[ "$(capf_field n1 SEP001122334401 serial)" = "$serial" ] || fail "serial not recorded"
phone SEP001122334401 0 --password 13579  # done: nothing scheduled

step "the enrolled phone registers over SIP TLS with its new LSC"
wait_until 20 "SIP TLS listening" sh -c "ss -Hlnt 'sport = :$SIPTLS' | grep -q ."
sipreg() { # DEVICE CERT EXPECT
	python3 "$WARD_SRC/tests/system/sip/sipclient.py" --server "127.0.0.1:$SIPTLS" \
		--transport tls --device "$1" --cert "$2" --key "$2.key" \
		--expect "$3" >"$CLUSTER_DIR/sip.out" 2>&1
}
sipreg SEP001122334401 "$CLUSTER_DIR/401.pem" 200 ||
	fail "REGISTER with the LSC: $(cat "$CLUSTER_DIR/sip.out")"

step "install by null string, RSA 2048"
expect_rc 0 ward_ctl n1 capf schedule --auth null-string --key rsa-2048 SEP001122334402
phone SEP001122334402 1 --lsc-out "$CLUSTER_DIR/402.pem"
[ "$(jq -r .key "$CLUSTER_DIR/last.json")" = rsa-2048 ] || fail "not RSA 2048"

step "upgrade by the existing LSC (LSC precedence), EC P-384"
expect_rc 0 ward_ctl n1 capf schedule --auth existing-lsc --key ec-p384 SEP001122334401
phone SEP001122334401 1 --cert "$CLUSTER_DIR/401.pem" --cert-key "$CLUSTER_DIR/401.pem.key" \
	--cert-type lsc --lsc-out "$CLUSTER_DIR/401b.pem"
[ "$(jq -r .key "$CLUSTER_DIR/last.json")" = ec-secp384r1 ] || fail "not P-384"
[ "$(jq -c .auth_types "$CLUSTER_DIR/last.json")" = "[3]" ] ||
	fail "the LSC shown in the handshake did not make the auth request name LSC (3)"
step "the old LSC no longer authenticates"
expect_rc 0 ward_ctl n1 capf schedule --auth existing-lsc SEP001122334401
phone SEP001122334401 7 --cert "$CLUSTER_DIR/401.pem" --cert-key "$CLUSTER_DIR/401.pem.key"

step "install by an existing MIC from a trusted MIC root"
python3 "$WARD_SRC/tests/system/sip/mkpki.py" "$CLUSTER_DIR/mic" SEP001122334403 SEP0000000000EE >/dev/null
expect_rc 0 ward_ctl n1 cert import --category mic-root "$CLUSTER_DIR/mic/mic-ca.pem"
expect_rc 0 ward_ctl n1 capf schedule --auth existing-mic --key rsa-2048 SEP001122334403
phone SEP001122334403 1 --cert "$CLUSTER_DIR/mic/SEP001122334403-mic.pem" --cert-type mic
[ "$(jq -c .auth_types "$CLUSTER_DIR/last.json")" = "[4]" ] ||
	fail "the auth request did not name MIC (4)"
mic_fp=$(openssl x509 -in "$CLUSTER_DIR/mic/SEP001122334403-mic.pem" -outform DER | sha256sum | cut -d' ' -f1)
mic_of() { ward_ctl n1 --json device show "$1" | jq -r '.mic.sha256 // "none"'; }
[ "$(mic_of SEP001122334403)" = "$mic_fp" ] || fail "the MIC that authenticated is not recorded"
step "a MIC from an untrusted root is refused"
expect_rc 0 ward_ctl n1 capf schedule --auth existing-mic SEP001122334403
phone SEP001122334403 7 --cert "$CLUSTER_DIR/mic/SEP001122334403-rogue.pem" --cert-type mic
[ "$(mic_of SEP001122334403)" = "$mic_fp" ] || fail "a rogue MIC replaced the recorded one"

step "wrong strings lock the operation after the limit"
expect_rc 0 ward_ctl n1 capf schedule --auth auth-string --auth-string 8642 --tries 2 SEP001122334402
step "a phone configured for another mode is asked again with its operation's auth type"
phone SEP001122334402 7
[ "$(jq -c .auth_types "$CLUSTER_DIR/last.json")" = "[0,1]" ] ||
	fail "not asked again for the password (1): $(cat "$CLUSTER_DIR/last.json")"
phone SEP001122334402 7 --password 2222
wait_until 5 "locked" state_is SEP001122334402 failed
phone SEP001122334402 0 --password 8642
[ "$(jq -r .info "$CLUSTER_DIR/last.json")" = locked ] || fail "not locked"

step "parallel guesses count one at a time, never past the limit"
expect_rc 0 ward_ctl n1 capf schedule --auth auth-string --auth-string 8642 --tries 3 SEP001122334402
for i in 1 2 3 4 5 6 7 8; do
	$CLIENT --server 127.0.0.1:$CAPF --device SEP001122334402 --password 1$i$i$i >/dev/null &
done
wait
tries=$(capf_field n1 SEP001122334402 failed_tries)
[ "$tries" -ge 1 ] && [ "$tries" -le 3 ] || fail "failed_tries $tries after 8 parallel guesses"

step "an expired operation is refused"
expect_rc 0 ward_ctl n1 capf schedule --auth null-string --deadline 1 SEP001122334402
sleep 2
phone SEP001122334402 0
[ "$(jq -r .info "$CLUSTER_DIR/last.json")" = "operation expired" ] || fail "not expired"
[ "$(capf_field n1 SEP001122334402 state)" = expired ] || fail "status not expired"

step "troubleshoot fetches the phone's certificates"
expect_rc 0 ward_ctl n1 capf schedule --operation troubleshoot --auth null-string SEP001122334401
phone SEP001122334401 1 --have-lsc "$CLUSTER_DIR/401b.pem"
capf_field n1 SEP001122334401 result | grep -q "LSC serial .*; MIC none" || fail "no fetch result"
[ "$(mic_of SEP001122334401)" = none ] || fail "a MIC recorded from nothing"
# A fetched MIC is recorded when it chains to a mic-root, never otherwise.
expect_rc 0 ward_ctl n1 capf schedule --operation troubleshoot --auth null-string SEP001122334402
phone SEP001122334402 1 --have-mic "$CLUSTER_DIR/mic/SEP001122334403-rogue.pem"
[ "$(mic_of SEP001122334402)" = none ] || fail "an untrusted fetched MIC was recorded"
expect_rc 0 ward_ctl n1 capf schedule --operation troubleshoot --auth null-string SEP001122334402
phone SEP001122334402 1 --have-mic "$CLUSTER_DIR/mic/SEP0000000000EE-mic.pem"
[ "$(mic_of SEP001122334402)" = "$(openssl x509 -in "$CLUSTER_DIR/mic/SEP0000000000EE-mic.pem" \
	-outform DER | sha256sum | cut -d' ' -f1)" ] || fail "the fetched MIC is not recorded"

step "delete removes the LSC from the device record"
expect_rc 0 ward_ctl n1 capf schedule --operation delete --auth null-string SEP001122334401
phone SEP001122334401 1
expect_rc 0 ward_ctl n1 capf schedule --auth existing-lsc SEP001122334401
phone SEP001122334401 7 --cert "$CLUSTER_DIR/401b.pem" --cert-key "$CLUSTER_DIR/401b.pem.key"

step "the deleted LSC no longer registers over SIP TLS"
sipreg SEP001122334401 "$CLUSTER_DIR/401b.pem" 403 ||
	fail "REGISTER with a deleted LSC: $(cat "$CLUSTER_DIR/sip.out")"

step "malformed, truncated, oversized, unknown tags: end session 7"
for a in garbage truncated oversized unknown-tag; do
	$CLIENT --server 127.0.0.1:$CAPF --device SEP001122334401 --abuse $a >"$CLUSTER_DIR/abuse.json"
	[ "$(jq -r .reason "$CLUSTER_DIR/abuse.json")" = 7 ] ||
		fail "$a: $(cat "$CLUSTER_DIR/abuse.json")"
done

step "a stalled client is reaped by the idle timeout"
$CLIENT --server 127.0.0.1:$CAPF --device SEP001122334401 --abuse stall >"$CLUSTER_DIR/stall.json"
awk -v t="$(jq -r .closed_after_s "$CLUSTER_DIR/stall.json")" 'BEGIN { exit !(t >= 1.5 && t <= 4) }' ||
	fail "stall not reaped in time: $(cat "$CLUSTER_DIR/stall.json")"

step "many at once: 20 phones enrol in parallel while 10 stall"
: >"$CLUSTER_DIR/many.csv"
for i in $(seq 10 29); do
	expect_rc 0 ward_ctl n1 device add SEP0000000000$i --model 8841 \
		--capabilities tls,srtp --profile standard-authenticated
	echo SEP0000000000$i >>"$CLUSTER_DIR/many.csv"
done
expect_rc 0 ward_ctl n1 --json capf schedule --auth null-string --key ec-p256 --csv "$CLUSTER_DIR/many.csv"
batch=$(jq -r .batch "$CLUSTER_DIR/last.out")
for i in $(seq 1 10); do
	$CLIENT --server 127.0.0.1:$CAPF --device SEP000000000010 --abuse stall >/dev/null &
done
pids=()
for i in $(seq 10 29); do
	$CLIENT --server 127.0.0.1:$CAPF --device SEP0000000000$i >"$CLUSTER_DIR/many.$i" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a parallel enrolment failed"; done
wait
[ "$(ward_ctl n1 --json capf status --batch "$batch" | jq .progress.done)" = 20 ] ||
	fail "not 20 done in the batch"

step "a regenerated CAPF certificate: shown to the next phone, which enrols; the role not restarted"
capf_fp() {
	openssl s_client -connect "127.0.0.1:$CAPF" </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 | cut -d= -f2
}
old_fp=$(capf_fp)
expect_rc 0 ward_ctl n1 cert regenerate n1 capf
regenerated() {
	sed -n 's/.*role=capf generation=2 .*sha256=\([0-9A-F:]*\).*/\1/p' \
		"$CLUSTER_DIR/n1.log" | grep .
}
wait_until 10 "the regeneration logged" regenerated
want=$(regenerated)
[ "$want" != "$old_fp" ] || fail "the same certificate after regeneration"
shown() { [ "$(capf_fp)" = "$want" ]; }
wait_until 10 "the regenerated CAPF certificate shown" shown
grep -q "CAPF certificate changed: shown to the next phones" "$CLUSTER_DIR/n1.log" ||
	fail "the change of certificate was not logged"
[ "$(grep -c "capf: CAPF on " "$CLUSTER_DIR/n1.log")" = 1 ] ||
	fail "the CAPF role was restarted"
expect_rc 0 ward_ctl n1 device add SEP000000000030 --model 8841 \
	--capabilities tls,srtp --profile standard-authenticated
expect_rc 0 ward_ctl n1 capf schedule --auth null-string SEP000000000030
phone SEP000000000030 1

step "every step audited"
expect_rc 0 ward_ctl n1 audit --limit 1000
out_has "capf.schedule"
out_has "capf.cancel"
out_has "capf.install"
out_has "capf.auth-failed"
out_has "capf.delete"
out_has "capf.fetch"
step "done"
