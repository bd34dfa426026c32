#!/usr/bin/env bash
# linphone (Debian linphone-cli) as a second real SIP user agent: it
# registers over TLS with a device certificate (MIC) issued by a test MIC
# CA in the trust store, verifying ward's certificate by its DNS name
# (linphone matches no IP SAN: the server certificate names localhost), and
# over UDP with SHA-256 digest, where SIPp and baresip know only MD5. Its
# account is told the algorithm (auth_info algorithm=SHA-256): then of the
# three challenges ward sends it answers the SHA-256 one; untold, liblinphone
# 5.1 takes the first (SHA-512-256), which it does not know, and gives up.
# A rogue certificate is refused.
#
# linphone-daemon, not linphonec: both come in linphone-cli, but liblinphone
# 5.1 applies no transport port from the configuration file at start, and
# linphonec can set only the UDP one (`ports sip N`); the daemon's `port sip
# N tls` sets the TLS one.
. "$(dirname "$0")/lib.sh"
. "$WARD_SRC/tests/system/sip/sipd.sh"

PKI=$CLUSTER_DIR/pki
MIC=SEP0000000000BB
DEV=SEP0000000000DD
command -v linphone-daemon >/dev/null || fail "linphone-cli is not installed"

python3 "$WARD_SRC/tests/system/sip/mkpki.py" "$PKI" --server-name localhost $MIC
cat >"$CLUSTER_DIR/dir.txt" <<EOF2
realm ward.test
$(sipd_secure)
user alice pw-alice
device $MIC user=alice mode=authenticated transports=tls
device $DEV user=alice
EOF2
# linphone reads the certificate and its key from two files.
for kind in mic rogue; do
	awk '/BEGIN CERT/,/END CERT/' "$PKI/$MIC-$kind.pem" >"$PKI/$kind.crt"
	awk '/BEGIN PRIVATE/,/END PRIVATE/' "$PKI/$MIC-$kind.pem" >"$PKI/$kind.key"
done

# start_sipd NAME [ARGS...]: ward_sipd on $PORT and TLS $TLS.
start_sipd() { sipd_start "$1" "$PORT" --tls-port "$TLS" --tls-dir "$PKI/tls" "${@:2}"; }

# verdicts NODE DEVICE: how many registrations or refusals of DEVICE
# NODE's log holds.
verdicts() {
	grep -cE "owner change: $2 registered here|as $2 refused:" \
		"$CLUSTER_DIR/$1.log" || true
}

# [ROOT_CA=FILE] linphone NAME NODE CERT TRANSPORT IDENTITY PROXY: one
# linphone-daemon run trusting PKI/ROOT_CA (the cluster CA) for the server,
# with client certificate CERT (mic, rogue or none) that registers
# IDENTITY at PROXY over TRANSPORT (tls or udp) as alice (SHA-256 digest
# credentials in its configuration), until NODE's log
# has a new registration or refusal of IDENTITY or 10 s pass. Its log is CLUSTER_DIR/NAME.lp.log.
linphone() {
	local name=$1 node=$2 cert=$3 tp=$4 id=$5 proxy=$6 dir=$CLUSTER_DIR/$1
	local user=${id#sip:} seen
	user=${user%@*}
	seen=$(verdicts "$node" "$user")
	mkdir -p "$dir/home"
	{
		echo "[sip]"
		echo "root_ca=$PKI/${ROOT_CA:-cluster-ca.pem}"
		echo "verify_server_certs=1"
		echo "verify_server_cn=1"
		if [ "$cert" != none ]; then
			echo "client_cert_chain=$PKI/$cert.crt"
			echo "client_cert_key=$PKI/$cert.key"
		fi
		echo "register_only_when_network_is_up=0"
		echo "[sound]"
		echo "echocancellation=0"
		echo "[auth_info_0]"
		echo "username=$user"
		echo "userid=alice"
		echo "passwd=pw-alice"
		echo "realm=ward.test"
		echo "algorithm=SHA-256"
	} >"$dir/linphonerc"
	{
		echo "port sip $(free_port) $tp"
		echo "register $id $proxy NULL NULL NULL"
		for _ in $(seq 50); do
			[ "$(verdicts "$node" "$user")" -gt "$seen" ] && break
			sleep 0.2
		done
		# until linphone has heard the answer too
		for _ in $(seq 25); do
			echo "register-status ALL"
			sleep 0.2
			grep -qE "State: LinphoneRegistration(Ok|Failed)" \
				"$dir/out" && break
		done
		echo quit
	} | HOME=$dir/home timeout 30 linphone-daemon --config "$dir/linphonerc" \
		--log "$CLUSTER_DIR/$name.lp.log" >"$dir/out" 2>&1 || true
}

PORT=$(free_port)
TLS=$(free_port)

step "linphone registers over TLS with its MIC, verifying ward's certificate for localhost"
start_sipd node1
linphone lp-tls node1 mic tls "sip:$MIC@localhost" "sip:localhost:$TLS;transport=tls"
grep -q "owner change: $MIC registered here" "$CLUSTER_DIR/node1.log" ||
	fail "linphone did not register over TLS: $(grep -E 'State|rror' "$CLUSTER_DIR/lp-tls/out" | tail -3)"
grep -q "State: LinphoneRegistrationOk" "$CLUSTER_DIR/lp-tls/out" ||
	fail "linphone does not report its registration: $(cat "$CLUSTER_DIR/lp-tls/out")"
step "of SHA-512-256, SHA-256 and MD5 it answered SHA-256"
grep -q "^Authorization: .*algorithm=SHA-256" "$CLUSTER_DIR/lp-tls.lp.log" ||
	fail "no SHA-256 answer: $(grep '^Authorization' "$CLUSTER_DIR/lp-tls.lp.log")"

step "linphone with a rogue certificate is refused"
linphone lp-rogue node1 rogue tls "sip:$MIC@localhost" "sip:localhost:$TLS;transport=tls"
[ "$(grep -c "owner change: $MIC registered here" "$CLUSTER_DIR/node1.log")" = 1 ] ||
	fail "linphone registered with a rogue certificate"
grep -q "as $MIC refused: certificate not trusted" "$CLUSTER_DIR/node1.log" ||
	fail "no refusal logged for linphone's rogue certificate"
grep -q "State: LinphoneRegistrationFailed" "$CLUSTER_DIR/lp-rogue/out" ||
	fail "linphone does not report the refusal: $(cat "$CLUSTER_DIR/lp-rogue/out")"
step "linphone trusting another CA refuses ward's certificate: no registration"
ROOT_CA=rogue-ca.pem linphone lp-untrusted node1 mic tls "sip:$MIC@localhost" "sip:localhost:$TLS;transport=tls"
[ "$(verdicts node1 $MIC)" = 2 ] ||
	fail "a registration went through a server certificate linphone cannot verify"
grep -q "State: LinphoneRegistrationFailed" "$CLUSTER_DIR/lp-untrusted/out" ||
	fail "linphone does not report the failure: $(cat "$CLUSTER_DIR/lp-untrusted/out")"
sipd_stop node1

step "linphone registers over UDP where ward accepts only SHA-256 digest"
start_sipd node2 --digest SHA-256
linphone lp-udp node2 none udp "sip:$DEV@127.0.0.1" "sip:127.0.0.1:$PORT;transport=udp"
grep -q "owner change: $DEV registered here" "$CLUSTER_DIR/node2.log" ||
	fail "linphone did not register over UDP with SHA-256: $(grep -E 'State|rror' "$CLUSTER_DIR/lp-udp/out" | tail -3)"
grep -q "^Authorization: .*algorithm=SHA-256" "$CLUSTER_DIR/lp-udp.lp.log" ||
	fail "no SHA-256 answer over UDP"
sipd_stop node2
step "done"
