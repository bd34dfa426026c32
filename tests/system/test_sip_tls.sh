#!/usr/bin/env bash
# Device authentication on the SIP TLS port: a test MIC CA in the trust store
# (mic-root) and the cluster CA (LSCs); our client and baresip register with
# device certificates; every wrong certificate, a missing one, and the right
# device over UDP or TCP are refused with a reason in the log and a bare 403
# on the wire.
. "$(dirname "$0")/lib.sh"
. "$WARD_SRC/tests/system/sip/sipd.sh"

SCEN=$WARD_SRC/tests/system/sip
PKI=$CLUSTER_DIR/pki
MIC=SEP0000000000BB
LSC=SEP0000000000CC
command -v baresip >/dev/null || fail "baresip is not installed"

python3 "$SCEN/mkpki.py" "$PKI" $MIC $LSC
cat >"$CLUSTER_DIR/dir.txt" <<EOF2
realm ward.test
$(sipd_secure)
user alice pw-alice
device $MIC user=alice mode=authenticated transports=tls
device $LSC user=alice mode=encrypted transports=tls lsc=$(sipd_fp $LSC-lsc.pem)
device SEP0000000000DD user=alice
EOF2

# start_sipd NAME [ARGS...]: ward_sipd on $PORT and TLS $TLS.
start_sipd() { sipd_start "$1" "$PORT" --tls-port "$TLS" --tls-dir "$PKI/tls" "${@:2}"; }

# reg EXPECT DEVICE TRANSPORT [CERT]: our client registers DEVICE.
reg() {
	local want=$1 dev=$2 tp=$3 cert=${4:-} port=$PORT
	[ "$tp" = tls ] && port=$TLS
	python3 "$SCEN/sipclient.py" --server "127.0.0.1:$port" --transport "$tp" \
		--device "$dev" --user alice --password pw-alice --alg SHA-256 \
		${cert:+--cert "$PKI/$cert.pem"} --expect "$want" >/dev/null ||
		fail "$dev over $tp with ${cert:-no certificate}: not $want"
}
# refused_because DEVICE WHY: the log names the reason.
refused_because() {
	grep -q "as $1 refused: $2" "$CLUSTER_DIR/node1.log" ||
		fail "no log line: $1 refused: $2"
}

PORT=$(free_port)
TLS=$(free_port)
start_sipd node1

step "a MIC from the trusted MIC CA naming the device registers over TLS"
reg 200 $MIC tls $MIC-mic
step "the LSC on record registers; the MIC of a device with an LSC does not"
reg 200 $LSC tls $LSC-lsc
reg 403 $LSC tls $LSC-mic
refused_because $LSC "not the LSC on record"
step "untrusted CA, another device's name, expired, no certificate: 403"
reg 403 $MIC tls $MIC-rogue
refused_because $MIC "certificate not trusted"
reg 403 $MIC tls $LSC-mic
refused_because $MIC "certificate names another device"
reg 403 $MIC tls $MIC-expired
refused_because $MIC "certificate not trusted: certificate has expired"
reg 403 $MIC tls
refused_because $MIC "no client certificate"
step "the right device over UDP and over TCP: 403"
reg 403 $MIC udp
reg 403 $MIC tcp
refused_because $MIC "profile requires TLS"
step "the peer learns nothing: every refusal is the same bare 403"
grep -c "refused:" "$CLUSTER_DIR/node1.log" | grep -qx 7 ||
	fail "expected 7 refusals: $(grep refused: "$CLUSTER_DIR/node1.log")"
step "a non-secure device still registers over UDP"
reg 200 SEP0000000000DD udp
sipd_stop node1

step "baresip registers over TLS with its MIC (MD5: libre reads only the first challenge)"
start_sipd node2 --digest MD5
BS=$CLUSTER_DIR/baresip
mkdir -p "$BS"
cat >"$BS/config" <<EOF2
poll_method epoll
sip_listen 127.0.0.1:$(free_port)
sip_certificate $PKI/$MIC-mic.pem
net_interface 127.0.0.1
module_path /usr/lib/baresip/modules
module account.so
module g711.so
EOF2
echo "<sip:$MIC@127.0.0.1:$TLS;transport=tls>;auth_user=alice;auth_pass=pw-alice;regint=60" >"$BS/accounts"
timeout 20 baresip -f "$BS" -t 3 </dev/null >"$CLUSTER_DIR/baresip.out" 2>&1 || true
grep -q "owner change: $MIC registered here" "$CLUSTER_DIR/node2.log" ||
	fail "baresip did not register: $(tail -5 "$CLUSTER_DIR/baresip.out")"
step "baresip with a rogue certificate is refused"
sed -i "s|$MIC-mic.pem|$MIC-rogue.pem|" "$BS/config"
timeout 20 baresip -f "$BS" -t 3 </dev/null >"$CLUSTER_DIR/baresip.out" 2>&1 || true
[ "$(grep -c "owner change: $MIC registered here" "$CLUSTER_DIR/node2.log")" = 1 ] ||
	fail "baresip registered with a rogue certificate"
grep -q "as $MIC refused: certificate not trusted" "$CLUSTER_DIR/node2.log" ||
	fail "no refusal logged for baresip's rogue certificate"
sipd_stop node2
step "done"
