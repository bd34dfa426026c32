#!/usr/bin/env bash
# RFC 4475's torture messages on the wire: each of the 49 sent to the
# signaling role over UDP, over TCP (a connection each) and over TLS (a
# connection each); the role survives them all and still answers a phone.
# (What it answers to each is tests/unit/test_sip_torture.c's business:
# the answers go to each message's Via, which is not this test.)
. "$(dirname "$0")/lib.sh"
. "$WARD_SRC/tests/system/sip/sipd.sh"

SCEN=$WARD_SRC/tests/system/sip
PKI=$CLUSTER_DIR/pki
CORPUS=$WARD_SRC/tests/fuzz/corpus/sip_ingress

python3 "$SCEN/mkpki.py" "$PKI" SEP001122334455
cat >"$CLUSTER_DIR/dir.txt" <<EOF2
realm ward.test
user alice pw-alice
user user pw
device SEP001122334455 user=alice line=1001
EOF2
PORT=$(free_port)
TLS=$(free_port)
sipd_start node1 "$PORT" --tls-port "$TLS" --tls-dir "$PKI/tls" --rate 0

alive() {
	kill -0 "$(cat "$CLUSTER_DIR/node1.pid")" || fail "ward_sipd died ($1)"
	python3 "$SCEN/sipclient.py" --server "127.0.0.1:$PORT" --transport udp \
		--device SEP001122334455 --user alice --password pw-alice \
		--alg SHA-256 --expect 200 >/dev/null ||
		fail "no registration after the torture messages ($1)"
}

step "the 49 messages over UDP, TCP and TLS"
python3 - "$PORT" "$TLS" "$CORPUS" <<'PY' || fail "sending the messages"
import glob, os, socket, ssl, sys
port, tls, corpus = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
files = sorted(glob.glob(os.path.join(corpus, "rfc4475_*")))
assert len(files) == 49, len(files)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
for f in files:
    data = open(f, "rb").read()[1:]  # without the fuzz seed's peer byte
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.sendto(data, ("127.0.0.1", port))
    u.close()
    for p, wrap in ((port, False), (tls, True)):
        s = socket.create_connection(("127.0.0.1", p), timeout=5)
        if wrap:
            s = ctx.wrap_socket(s)
        s.sendall(data)
        s.close()
PY
step "ward still registers a phone"
alive "after all"
step "done"
