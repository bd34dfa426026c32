#!/usr/bin/env bash
# The README's commands as a new user runs them: deploy/up starts the local
# 3-node cluster (here with the test's binaries, on free ports, in the
# test's directory), its env file is sourced, and the README's mixed-mode
# block — taken from README.md at run time, so the two cannot drift — runs
# as written, from the repository: trial tokens made by deploy/token are
# registered, one signs the CTL, the cluster goes to mixed mode. Then
# deploy/down stops it.
. "$(dirname "$0")/lib.sh"

export WARD_DIR=$CLUSTER_DIR
export WARD_ADMIN_PORT=$(free_port)
export WARD_RAFT_PORT=$(free_port)
export WARD_SIP_PORT=$(free_port) WARD_SIP_TLS_PORT=$(free_port)
export WARD_TFTP_PORT=$(free_port)
export WARD_TFTP_HTTP_PORT=$(free_port)
export WARD_BIN
unset WARD_PASSWORD SOFTHSM2_CONF WARD_TOKEN_PIN

# block: the shell block after the "mixed-mode" marker of README.md.
block=$CLUSTER_DIR/readme-mixed-mode.sh
awk '/<!-- mixed-mode/ { found = 1; next }
     found && /^```sh$/ { inside = 1; next }
     inside && /^```$/ { exit }
     inside { print }' "$WARD_SRC/README.md" >"$block"
[ -s "$block" ] || fail "no mixed-mode block after the marker in README.md"
grep -q "security mode mixed" "$block" || fail "the block: $(cat "$block")"

step "deploy/up starts the cluster (test binaries, free ports)"
(cd "$WARD_SRC" && deploy/up) >"$CLUSTER_DIR/up.out" 2>&1 ||
	fail "deploy/up: $(tail -5 "$CLUSTER_DIR/up.out")"
grep -q "a 3-node cluster is running" "$CLUSTER_DIR/up.out" || fail "deploy/up said: $(cat "$CLUSTER_DIR/up.out")"

step "every node runs the signaling role on its own address"
sip_on() { # IP: UDP, TCP and TLS ports listen on IP
	ss -Hlnu "sport = :$WARD_SIP_PORT" | grep -q " $1:$WARD_SIP_PORT " &&
		ss -Hlnt "sport = :$WARD_SIP_PORT" | grep -q " $1:$WARD_SIP_PORT " &&
		ss -Hlnt "sport = :$WARD_SIP_TLS_PORT" | grep -q " $1:$WARD_SIP_TLS_PORT "
}
for ip in 127.0.0.2 127.0.0.3 127.0.0.4; do
	wait_until 30 "SIP on $ip" sip_on $ip
done
grep -q "SIP (UDP/TCP, TLS): 127.0.0.2:$WARD_SIP_PORT,$WARD_SIP_TLS_PORT" "$CLUSTER_DIR/up.out" ||
	fail "deploy/up does not say where SIP listens: $(cat "$CLUSTER_DIR/up.out")"

step "the README's mixed-mode block runs as written"
# A new shell, as a user's terminal: only what the env file sets.
env -i HOME="$HOME" PATH=/usr/local/bin:/usr/bin:/bin \
	bash -c '. "$1/env" && cd "$2" && set -eo pipefail && . "$3"' \
	readme "$CLUSTER_DIR" "$WARD_SRC" "$block" \
	>"$CLUSTER_DIR/block.out" 2>&1 ||
	fail "the README block failed: $(tail -15 "$CLUSTER_DIR/block.out")"
grep -q "wardd -c .* --join" "$CLUSTER_DIR/block.out" || fail "node add printed no join command: $(head -20 "$CLUSTER_DIR/block.out")"
grep -q "not for production" "$CLUSTER_DIR/block.out" || fail "deploy/token did not say it is a trial token"

step "the cluster is in mixed mode with a current CTL signed by tokA"
. "$CLUSTER_DIR/env"
unset WARD_PASSWORD
[ "$("$WARDCTL" --json security status | jq -r .mode)" = mixed ] || fail "mode: $("$WARDCTL" --json security status)"
[ "$("$WARDCTL" --json token list | jq '.tokens | length')" = 2 ] || fail "tokens: $("$WARDCTL" --json token list)"
"$WARDCTL" --json ctl show >"$CLUSTER_DIR/ctl.json"
[ "$(jq -r .current "$CLUSTER_DIR/ctl.json")" = true ] || fail "CTL: $(cat "$CLUSTER_DIR/ctl.json")"
[ "$(jq -r .signer.label "$CLUSTER_DIR/ctl.json")" = tokA ] || fail "signer: $(jq -c .signer "$CLUSTER_DIR/ctl.json")"
"$WARDCTL" ctl export -o "$CLUSTER_DIR/CTLFile.tlv"
/usr/bin/python3 "$WARD_SRC/tests/unit/data/trustlist/indep.py" check \
	"$CLUSTER_DIR/CTLFile.tlv" - "$CLUSTER_DIR" >/dev/null ||
	fail "the independent checker does not verify the CTL"
# The trial certificate says what it is.
openssl x509 -in "$CLUSTER_DIR/signer.der" -inform DER -noout -subject |
	grep -q "not for production" || fail "the token's certificate is not marked as a trial"

step "deploy/token refuses a name twice, and bad names"
expect_rc 1 env WARD_DIR="$CLUSTER_DIR" SOFTHSM2_CONF="$CLUSTER_DIR/softhsm2.conf" \
	"$WARD_SRC/deploy/token" tokA
grep -q "already exists" "$CLUSTER_DIR/last.err" || fail "twice: $(cat "$CLUSTER_DIR/last.err")"
expect_rc 2 "$WARD_SRC/deploy/token" "../x"

step "deploy/down stops it"
(cd "$WARD_SRC" && deploy/down) >"$CLUSTER_DIR/down.out" 2>&1 || fail "deploy/down"
for n in n1 n2 n3; do [ -z "$(ward_pid $n)" ] || fail "$n still runs"; done
step "ok"
