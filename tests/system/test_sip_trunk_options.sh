#!/usr/bin/env bash
# The trunk keepalive: ward sends an OPTIONS to each SIP trunk every
# second here (trunk_options_s); SIPp plays the trunk, challenges with 401
# (MD5, qop=auth) and checks ward's answer — made with the realm's
# credentials — with <verifyauth>. The same check with another password
# fails (the check can fail); with nobody listening the trunk is shown
# unreachable.
. "$(dirname "$0")/lib.sh"

SIPD=$WARD_BIN/tests/ward_sipd
SCEN=$WARD_SRC/tests/system/sip
PORT=$(free_port)
UAS=$(free_port)
cat >"$CLUSTER_DIR/dir.txt" <<EOF2
realm ward.test
credential trunk.test ward-trunk trunk-secret
trunk carrier addr=127.0.0.1 peerport=$UAS out=udp
EOF2
"$SIPD" --dir "$CLUSTER_DIR/dir.txt" --host 127.0.0.1 --port "$PORT" \
	--trunk-options-s 1 >"$CLUSTER_DIR/sipd.out" 2>"$CLUSTER_DIR/sipd.log" &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
wait_until 5 "ward_sipd listening" sh -c "ss -Hlnu 'sport = :$PORT' | grep -q ."

# trunk CSV: SIPp answers one keepalive as the trunk; its exit code says
# whether the call passed (verifyauth with the CSV's user and password).
trunk() {
	(cd "$CLUSTER_DIR" && timeout 20 sipp -sf "$SCEN/trunk_options_uas.xml" \
		-inf "$1" -t u1 -m 1 -i 127.0.0.1 -p "$UAS" -timeout 10 \
		-trace_err </dev/null >/dev/null 2>&1)
}
logged() { grep -q "$1" "$CLUSTER_DIR/sipd.log"; }

step "nobody at the trunk's address: unreachable"
wait_until 10 "the trunk shown unreachable" logged "trunk carrier unreachable"

step "SIPp as the trunk challenges; ward answers with the realm's credentials"
printf 'SEQUENTIAL\nward-trunk;trunk-secret\n' >"$CLUSTER_DIR/good.csv"
trunk good.csv || fail "verifyauth refused ward's answer: $(tail -3 "$CLUSTER_DIR"/*errors.log 2>/dev/null)"
wait_until 5 "the trunk shown reachable" \
	logged "trunk carrier reachable (200 after a challenge answered with MD5)"

step "the trunk's check can fail: expecting another password, the call fails"
printf 'SEQUENTIAL\nward-trunk;another-secret\n' >"$CLUSTER_DIR/bad.csv"
if trunk bad.csv; then
	fail "verifyauth accepted an answer made with another password"
fi
step "done"
