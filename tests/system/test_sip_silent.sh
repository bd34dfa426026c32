#!/usr/bin/env bash
# Silent connections on the SIP TCP and TLS ports: 300 connections to each
# from 127.0.0.1 that never send a message (the TLS ones complete their
# handshake when let in). The per-source cap applies at accept (the excess
# is closed at once), the rest are closed once their first message is
# overdue (silent_s); the process's memory stays bounded, and a device from
# 127.0.0.5 registers over TCP and TLS all along. Prints the RSS figures.
. "$(dirname "$0")/lib.sh"

SIPD=$WARD_BIN/tests/ward_sipd
SCEN=$WARD_SRC/tests/system/sip
PKI=$CLUSTER_DIR/pki
python3 "$SCEN/mkpki.py" "$PKI" SEP0000000000DD >/dev/null
cat >"$CLUSTER_DIR/dir.txt" <<EOF2
realm ward.test
user alice pw-alice
device SEP0000000000DD user=alice
EOF2
PORT=$(free_port)
TLS=$(free_port)
"$SIPD" --dir "$CLUSTER_DIR/dir.txt" --host 127.0.0.1 --port "$PORT" \
	--tls-port "$TLS" --tls-dir "$PKI/tls" --conn-per-source 32 \
	--silent-s 2 >"$CLUSTER_DIR/sipd.out" 2>"$CLUSTER_DIR/sipd.log" &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
wait_until 5 "ward_sipd listening" sh -c "ss -Hlnt 'sport = :$TLS' | grep -q ."
rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
reg() { # TRANSPORT: the device from 127.0.0.5
	local port=$PORT
	[ "$1" = tls ] && port=$TLS
	python3 "$SCEN/sipclient.py" --server "127.0.0.1:$port" --transport "$1" \
		--local 127.0.0.5 --device SEP0000000000DD --user alice \
		--password pw-alice --alg SHA-256 --expect 200 >/dev/null ||
		fail "the device from 127.0.0.5 over $1 was not served"
}

step "a device registers over TCP and TLS"
reg tcp
reg tls
rss0=$(rss)

step "300 silent connections to each port from 127.0.0.1"
python3 "$SCEN/silent.py" --server "127.0.0.1:$PORT" --count 300 \
	>"$CLUSTER_DIR/tcp.json" &
tcp=$!
python3 "$SCEN/silent.py" --server "127.0.0.1:$TLS" --count 300 --tls \
	>"$CLUSTER_DIR/tls.json" &
tls=$!
peak=$rss0
while kill -0 $tcp 2>/dev/null || kill -0 $tls 2>/dev/null; do
	r=$(rss)
	[ "$r" -gt "$peak" ] && peak=$r
	reg tcp # served meanwhile
	reg tls
	sleep 0.2
done
wait $tcp || fail "TCP: silent connections left open: $(cat "$CLUSTER_DIR/tcp.json")"
wait $tls || fail "TLS: silent connections left open: $(cat "$CLUSTER_DIR/tls.json")"
for p in tcp tls; do
	jq -e '.closed == 300' "$CLUSTER_DIR/$p.json" >/dev/null ||
		fail "$p: $(cat "$CLUSTER_DIR/$p.json")"
done
wait_until 10 "no connection left on the server's side" sh -c "[ \$(ss -Htn state established '( sport = :$PORT or sport = :$TLS )' | wc -l) -eq 0 ]"
reg tcp
reg tls
rss1=$(rss)
kill $pid
wait $pid || true
trap - EXIT
# Every silent connection was closed either at accept (the source at its
# cap of 32, both ports together) or by the first-message deadline.
jq -e '.conn_refused >= 268 and .conn_silent >= 32 and .conn_refused + .conn_silent == 600' \
	"$CLUSTER_DIR/sipd.out" >/dev/null || fail "ward_sipd's counters: $(cat "$CLUSTER_DIR/sipd.out")"
echo "RSS: before ${rss0} KiB, peak ${peak} KiB (+$((peak - rss0)) KiB), after ${rss1} KiB; $(jq -c '{conn_refused, conn_silent}' "$CLUSTER_DIR/sipd.out"); tcp $(cat "$CLUSTER_DIR/tcp.json"); tls $(cat "$CLUSTER_DIR/tls.json")"
[ $((peak - rss0)) -lt 32768 ] || fail "600 silent connections grew RSS by $((peak - rss0)) KiB"
step "done"
