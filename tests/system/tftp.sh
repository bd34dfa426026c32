# tftp.sh: the TFTP clients of the system tests (tftp-hpa, atftp, curl on
# the HTTP port), sourced after lib.sh. Their output stays in
# $CLUSTER_DIR/hpa.out and atftp.out, for a failure.

# tftp_port NAME: node NAME's TFTP port.
tftp_port() { local a; a=$(conf_get "$1" tftp listen); echo "${a##*:}"; }
# http_url NAME FILE: FILE's URL on node NAME's HTTP port.
http_url() { echo "http://$(conf_get "$1" tftp http_listen)/$2"; }

# get_hpa NAME FILE OUT [MODE]: tftp-hpa (no options) fetches FILE.
get_hpa() {
	(cd "$CLUSTER_DIR" && tftp -m "${4:-binary}" 127.0.0.1 "$(tftp_port "$1")" \
		-c get "$2" "$3") >"$CLUSTER_DIR/hpa.out" 2>&1
	! grep -qi "error\|timed out" "$CLUSTER_DIR/hpa.out"
}
# get_atftp NAME FILE OUT [OPTION...]: atftp fetches FILE with options.
get_atftp() {
	local name=$1 file=$2 out=$3 opt args=()
	shift 3
	for opt in "$@"; do args+=(--option "$opt"); done
	atftp "${args[@]}" -g -r "$file" -l "$out" 127.0.0.1 "$(tftp_port "$name")" \
		>"$CLUSTER_DIR/atftp.out" 2>&1
}
# same A B WHAT: the test fails unless files A and B are the same bytes.
same() { cmp -s "$1" "$2" || fail "$3: $1 and $2 differ"; }
