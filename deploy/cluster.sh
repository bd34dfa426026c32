# cluster.sh: shell functions that run a local ward cluster, one wardd per
# node, each with its own data directory under $CLUSTER_DIR. Sourced by
# deploy/up and by the system tests.
#
# Needs: WARDD and WARDCTL (paths of the binaries), CLUSTER_DIR (exists),
# and for ward_ctl the admin credentials in WARD_USER / WARD_PASSWORD.

# ward_conf NAME RAFT_ADDR ADMIN_ADDR [INI LINES...]: writes NAME.conf. The
# TFTP and SIP roles listen on ADMIN_ADDR's host (SIP on WARD_SIP_PORT and
# WARD_SIP_TLS_PORT, default 5060 and 5061, node to node on
# WARD_SIP_NODE_PORT, default 5062); NAME.sip and NAME.sipnode
# say where. CAPF listens on WARD_CAPF_LISTEN if set (else its default).
ward_conf() {
	local name=$1 raft=$2 admin=$3 sip_host
	shift 3
	sip_host=${admin%:*}
	sip_host=${sip_host#[}
	sip_host=${sip_host%]}
	mkdir -p "$CLUSTER_DIR"
	{
		echo "[node]"
		echo "name = $name"
		echo "data_dir = $CLUSTER_DIR/$name"
		echo "[raft]"
		echo "listen = $raft"
		echo "[tftp]"
		echo "listen = ${WARD_TFTP_LISTEN:-${admin%:*}:69}"
		echo "http_listen = ${WARD_TFTP_HTTP_LISTEN:-${admin%:*}:6970}"
		# The signaling role on the admin API's address.
		echo "[sip]"
		echo "listen = $sip_host"
		echo "port = ${WARD_SIP_PORT:-5060}"
		echo "tls_port = ${WARD_SIP_TLS_PORT:-5061}"
		echo "node_port = ${WARD_SIP_NODE_PORT:-5062}"
		# Nodes sharing a host need CAPF ports and media port ranges
		# of their own.
		if [ -n "${WARD_CAPF_LISTEN:-}" ]; then
			echo "[capf]"
			echo "listen = $WARD_CAPF_LISTEN"
		fi
		if [ -n "${WARD_MEDIA_PORT_MIN:-}" ]; then
			echo "[media]"
			echo "port_min = $WARD_MEDIA_PORT_MIN"
			echo "port_max = $((WARD_MEDIA_PORT_MIN + 511))"
		fi
		# Last: the lines given below without a section are [admin]'s.
		echo "[admin]"
		echo "listen = $admin"
		local line
		for line in "$@"; do echo "$line"; done
	} >"$CLUSTER_DIR/$name.conf"
	echo "$admin" >"$CLUSTER_DIR/$name.admin"
	echo "$sip_host ${WARD_SIP_PORT:-5060} ${WARD_SIP_TLS_PORT:-5061}" \
		>"$CLUSTER_DIR/$name.sip"
	echo "${WARD_SIP_NODE_PORT:-5062}" >"$CLUSTER_DIR/$name.sipnode"
}

# ward_sip NAME: "HOST PORT TLS_PORT" of the node's signaling role.
ward_sip() { cat "$CLUSTER_DIR/$1.sip" 2>/dev/null || echo "? ? ?"; }
# ward_sip_node NAME: the port of its node-to-node listener.
ward_sip_node() { cat "$CLUSTER_DIR/$1.sipnode" 2>/dev/null || echo "?"; }

ward_url() { echo "https://$(cat "$CLUSTER_DIR/$1.admin")"; }

# ward_pid NAME: the pid of a running node, empty if none.
ward_pid() {
	local f="$CLUSTER_DIR/$1.pid"
	[ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && cat "$f"
	return 0
}

# ward_start NAME [WARDD ARGS...]: starts a node in the background and
# waits until its admin API listens. Fails if wardd exits first.
ward_start() {
	local name=$1 admin i pid
	shift
	admin=$(cat "$CLUSTER_DIR/$name.admin")
	# Started from a subshell, so that it is no job of ours: it outlives
	# deploy/up, and a kill -9 is no job-status noise.
	(
		"$WARDD" -c "$CLUSTER_DIR/$name.conf" "$@" \
			>>"$CLUSTER_DIR/$name.log" 2>&1 &
		echo $! >"$CLUSTER_DIR/$name.pid"
	)
	pid=$(cat "$CLUSTER_DIR/$name.pid")
	for i in $(seq 1 200); do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "ward_start: $name exited; its log ends:" >&2
			tail -5 "$CLUSTER_DIR/$name.log" >&2
			return 1
		fi
		if ss -Htln "sport = :${admin##*:}" | grep -q "${admin%:*}:"; then
			return 0
		fi
		sleep 0.05
	done
	echo "ward_start: $name does not listen on $admin" >&2
	return 1
}

# ward_stop NAME [SIGNAL]: stops a node (TERM by default) and waits.
ward_stop() {
	local name=$1 sig=${2:-TERM} pid i
	pid=$(ward_pid "$name")
	[ -n "$pid" ] || return 0
	kill -"$sig" "$pid" 2>/dev/null || true
	for i in $(seq 1 200); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "ward_stop: $name did not stop on $sig; killing" >&2
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$CLUSTER_DIR/$name.pid"
}

# ward_cert_fp FILE: "sha256:HEX" of the first certificate in FILE.
ward_cert_fp() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 |
		sed 's/.*=//; s/://g; s/^/sha256:/' | tr 'A-F' 'a-f'
}

# ward_fp NAME: "sha256:HEX" of the node's HTTPS certificate (read each
# time: the node switches to a CA-issued one when it joins a cluster).
ward_fp() { ward_cert_fp "$CLUSTER_DIR/$1/https.pem"; }

# ward_ca NAME: the cluster CA certificate as node NAME holds it.
ward_ca() { echo "$CLUSTER_DIR/$1/pki/ca.pem"; }

# ward_ca_fp NAME: "sha256:HEX" of that CA, what a joining node pins.
ward_ca_fp() { ward_cert_fp "$(ward_ca "$1")"; }

# ward_ctl NAME ARGS...: wardctl against node NAME, its certificate pinned.
ward_ctl() {
	local name=$1
	shift
	"$WARDCTL" --url "$(ward_url "$name")" --fingerprint "$(ward_fp "$name")" "$@"
}

# ward_init NAME CLUSTER_NAME: starts NAME uninitialized and makes it the
# first node of a new cluster, with admin WARD_USER / WARD_PASSWORD.
ward_init() {
	local name=$1 cluster=$2 i
	ward_start "$name" || return 1
	for i in $(seq 1 100); do
		[ -s "$CLUSTER_DIR/$name/init.token" ] && break
		sleep 0.05
	done
	ward_ctl "$name" cluster init --name "$cluster" \
		--token-file "$CLUSTER_DIR/$name/init.token" >/dev/null
}

# ward_join NAME VIA: asks node VIA for a join token for NAME (configured
# with ward_conf) and starts NAME with it, pinning the cluster CA.
ward_join() {
	local name=$1 via=$2 host out token
	host=$(grep '^listen' "$CLUSTER_DIR/$name.conf" | head -1)
	host=${host#*= }
	host=${host%:*}
	out=$(ward_ctl "$via" --json node add "$name" "$host") || return 1
	token=$(echo "$out" | jq -r .token)
	WARD_JOIN_TOKEN=$token ward_start "$name" --join "$(ward_url "$via")" \
		--ca-fingerprint "$(ward_ca_fp "$via")" || return 1
	# The join returns once the node is a voter; wait for wardd to say so.
	local i
	for i in $(seq 1 600); do
		[ -s "$CLUSTER_DIR/$name/identity" ] && return 0
		[ -n "$(ward_pid "$name")" ] || break
		sleep 0.05
	done
	echo "ward_join: $name did not join; its log ends:" >&2
	tail -5 "$CLUSTER_DIR/$name.log" >&2
	return 1
}
