#!/usr/bin/env bash
# Provisioning through real wardd nodes and wardctl: the default profiles,
# add/set/show/list/delete of every group, refusals with their reasons
# (bad MAC, unknown profile, a model that cannot do what its profile asks,
# deleting what a device uses), credentials that never come back, the
# warning about digest credentials in clear, changes through a follower,
# and CSV imports with bad rows (a verdict per row, nothing half-applied,
# progress on a big file).
. "$(dirname "$0")/lib.sh"

count_of() { ward_ctl "$1" --json "$2" list | jq ".$3 | length"; }
voters_are() {
	[ "$(ward_ctl "$1" --json cluster status |
		jq '[.members[] | select(.role == "voter")] | length')" = "$2" ]
}
device_is() { [ "$(ward_ctl "$1" --json device show "$2" | jq -r ".$3")" = "$4" ]; }

for n in n1 n2; do node_conf $n; done

step "init n1, join n2"
ward_init n1 provtest
ward_join n2 n1
wait_until 10 "n1 sees 2 voters" voters_are n1 2
leader=$(leader_of n1)
follower=n1; [ "$leader" != n1 ] || follower=n2

step "the default profiles exist"
[ "$(count_of n1 profile profiles)" = 3 ] || fail "not 3 phone profiles"
[ "$(count_of n1 trunk-profile trunk_profiles)" = 3 ] || fail "not 3 trunk profiles"
expect_rc 0 ward_ctl n1 profile show standard-encrypted
out_has "mode: encrypted"

step "a user, a node group and a phone, added through the follower"
expect_rc 0 ward_ctl $follower presence-group add staff
export WARD_NEW_PASSWORD=alice-secret-123
expect_rc 0 ward_ctl $follower user add alice --presence-group staff
unset WARD_NEW_PASSWORD
expect_rc 0 ward_ctl $follower node-group add g1 --nodes "n1,n2"
expect_rc 0 ward_ctl $follower device add SEP0011223344AA --model 8841 \
	--capabilities tls,srtp,encrypted-config --profile standard-encrypted \
	--lines 1001,1002 --digest-user alice --node-group g1
wait_until 10 "n2 has the device" device_is n2 SEP0011223344AA model 8841
[ "$(ward_ctl n1 --json device show SEP0011223344AA | jq -c .lines)" = '["1001","1002"]' ] ||
	fail "lines not kept"
[ "$(ward_ctl n1 --json node-group show g1 | jq -c .nodes)" = '["n1","n2"]' ] ||
	fail "node group order not kept"
expect_rc 0 ward_ctl n1 device set SEP0011223344AA --description "front desk"
wait_until 10 "description on n2" device_is n2 SEP0011223344AA description "front desk"
expect_rc 0 ward_ctl n1 device list
out_has "SEP0011223344AA"

step "credentials never come back"
expect_rc 0 ward_ctl n1 --json user show alice
[ "$(jq -r .credentials "$CLUSTER_DIR/last.out")" = true ] || fail "no credentials"
for cmd in "user show alice" "user list" "--json user list"; do
	# shellcheck disable=SC2086
	ward_ctl n1 $cmd >"$CLUSTER_DIR/show.out"
	! grep -q "alice-secret-123" "$CLUSTER_DIR/show.out" || fail "password shown"
	! grep -qi "ha1\|password" "$CLUSTER_DIR/show.out" || fail "secret field shown"
done

step "refusals carry their reason"
expect_rc 2 ward_ctl n1 device add SEP00112233 --profile standard-non-secure
err_has "MAC"
expect_rc 2 ward_ctl n1 device add SEP0011223344BB --profile nope
err_has 'no profile "nope"'
expect_rc 2 ward_ctl n1 device add SEP0011223344BB --profile standard-encrypted \
	--capabilities tls
err_has "SRTP"
expect_rc 2 ward_ctl n1 device add SEP0011223344BB --digest-user ghost
err_has 'no end user "ghost"'
expect_rc 2 ward_ctl n1 profile delete standard-encrypted
err_has "in use by device SEP0011223344AA"
expect_rc 2 ward_ctl n1 user delete alice
err_has "SEP0011223344AA"
expect_rc 2 ward_ctl n1 node-group delete g1
err_has "SEP0011223344AA"
expect_rc 1 ward_ctl n1 profile add p --digest-auth maybe
err_has "yes or no"

step "digest credentials in clear are warned about"
expect_rc 0 ward_ctl n1 profile add dig --digest-auth yes
err_has "warning: .*in clear"
expect_rc 0 ward_ctl n1 device add SEP0011223344CC --profile dig --digest-user alice
err_has "warning: .*alice.*in clear"
expect_rc 0 ward_ctl n1 param set tftp_encrypted_config true
expect_rc 0 ward_ctl n1 device set SEP0011223344CC --description x
! grep -q warning "$CLUSTER_DIR/last.err" || fail "warned with encryption on"

step "trunks, app users and realms"
export WARD_NEW_PASSWORD=app-secret-1234
expect_rc 0 ward_ctl n1 app-user add gwapp --methods invite,refer,replaces
unset WARD_NEW_PASSWORD
printf 'trunk-secret-99\n' >"$CLUSTER_DIR/realm.pw"
expect_rc 0 ward_ctl n1 realm add carrier.example --user ward \
	--new-password-file "$CLUSTER_DIR/realm.pw"
expect_rc 0 ward_ctl n1 trunk-profile add tp1 --digest-auth yes \
	--application-level-authorization yes --accept-out-of-dialog-refer no
expect_rc 0 ward_ctl n1 device add gw1 --kind trunk --profile tp1 \
	--peer-host 127.0.0.1 --peer-port 5080 --digest-user gwapp
expect_rc 2 ward_ctl n1 trunk-profile delete tp1
err_has "gw1"
expect_rc 0 ward_ctl n1 --json realm show carrier.example
! grep -q "trunk-secret" "$CLUSTER_DIR/last.out" || fail "realm password shown"

step "device import: good rows added, bad rows refused whole"
cat >"$CLUSTER_DIR/devices.csv" <<'EOF'
name,model,capabilities,profile,lines,digest_user
SEP000000000001,7970,tls;srtp,standard-non-secure,2001,alice
SEP00000000002,7970,,standard-non-secure,2002,
SEP000000000003,7970,,nope,2003,
SEP000000000004,7940,,standard-encrypted,2004,
SEP000000000001,7970,,standard-non-secure,2005,
SEP000000000006,7970,tls,standard-non-secure,"2006,2007",ghost
SEP000000000007,7970,tls,standard-non-secure,"2008,2009",
SEP000000000008,7970
EOF
expect_rc 2 ward_ctl n1 device import "$CLUSTER_DIR/devices.csv"
out_has "row 2 SEP000000000001: added"
out_has "row 3 SEP00000000002: refused: .*MAC"
out_has "row 4 SEP000000000003: refused: .*no profile"
out_has "row 5 SEP000000000004: refused: .*TLS"
out_has "row 6 SEP000000000001: refused: .*exists"
out_has "row 7 SEP000000000006: refused: .*ghost"
out_has "row 8 SEP000000000007: added"
out_has "row 9 SEP000000000008: refused: 2 cells"
out_has "8 rows: 2 added, 6 refused."
# Nothing of a refused row is left: not the device, not its lines.
expect_rc 2 ward_ctl n1 device show SEP000000000006
[ "$(ward_ctl n1 --json device show SEP000000000007 | jq -c .lines)" = '["2008","2009"]' ] ||
	fail "quoted list cell"
[ "$(ward_ctl n1 --json device show SEP000000000001 | jq -c .lines)" = '["2001"]' ] ||
	fail "the duplicate row changed the first"
expect_rc 1 ward_ctl n1 device import /nonexistent.csv
printf 'name,colour\nSEP000000000009,red\n' >"$CLUSTER_DIR/bad.csv"
expect_rc 1 ward_ctl n1 device import "$CLUSTER_DIR/bad.csv"
err_has "no field"

step "deletes, audited"
expect_rc 0 ward_ctl n1 device delete SEP0011223344AA
expect_rc 0 ward_ctl n1 node-group delete g1
expect_rc 0 ward_ctl n1 --json audit --limit 1000
for a in device.add device.set device.delete user.add node-group.delete realm.add; do
	jq -e --arg a "$a" '[.audit[] | select(.action == $a)] | length > 0' \
		"$CLUSTER_DIR/last.out" >/dev/null || fail "no audit of $a"
done
step "user import of 1050 rows shows progress; a short password is refused; lists page"
{
	echo "name,password,presence_group"
	for i in $(seq 1 1049); do echo "u$i,user-secret-$i,staff"; done
	echo "u1050,short,staff"
} >"$CLUSTER_DIR/users.csv"
expect_rc 2 ward_ctl n1 user import "$CLUSTER_DIR/users.csv"
out_has "1050 rows: 1049 added, 1 refused."
out_has "row 1051 u1050: refused: .*password"
err_has "import: 100 of 1050 rows"
err_has "import: 1000 of 1050 rows"
[ "$(ward_ctl n2 --json user show u777 | jq -r .credentials)" = true ] ||
	fail "imported user without credentials"
# alice and 1049 imported users, over two pages of 1000.
[ "$(ward_ctl n1 --json user list | jq '.users | length')" = 1050 ] ||
	fail "user list is not 1050 long"
[ "$(ward_ctl n1 user list | grep -c '^u[0-9]')" = 1049 ] ||
	fail "user table is not 1049 imported rows"

step "ok"
