#!/usr/bin/env bash
# CAPF through real wardd nodes and wardctl: scheduling an operation for
# one device (the authentication string shown once, only a hash kept),
# for a profile's devices and a CSV list with progress, status, cancel,
# and refusals (unknown device, bad key, bad string). Every step audited.
. "$(dirname "$0")/lib.sh"

out_has() { grep -q -- "$1" "$CLUSTER_DIR/last.out" || {
	cat "$CLUSTER_DIR/last.out" >&2
	fail "stdout lacks '$1'"
}; }
capf_field() { ward_ctl "$1" --json capf status "$2" | jq -r ".$3"; }

node_conf n1
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

step "every step audited"
expect_rc 0 ward_ctl n1 audit --limit 50
out_has "capf.schedule"
out_has "capf.cancel"
step "done"
