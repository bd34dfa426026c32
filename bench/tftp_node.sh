# tftp_node.sh: sourced by the TFTP benchmarks. Starts node b1 from BUILD on
# loopback in a temporary directory, with TFTP and HTTP on random ports
# ($tftp_port, $http_port), the [tftp] lines given as arguments, two trial
# tokens registered and a CTL signed with tokA; stops it and removes the
# directory at exit. Needs $src and $build.
#   bench_tftp_node "[tftp]" "max_transfers = 4096" ...
bench_tftp_node() {
	export WARDD=$build/node/wardd WARDCTL=$build/tools/wardctl/wardctl
	export CLUSTER_DIR WARD_DIR
	CLUSTER_DIR=$(mktemp -d /tmp/ward-bench.XXXXXX)
	WARD_DIR=$CLUSTER_DIR
	export SOFTHSM2_CONF=$CLUSTER_DIR/softhsm2.conf
	export WARD_USER=admin WARD_PASSWORD=bench-password-$RANDOM
	. "$src/deploy/cluster.sh"
	trap 'ward_stop b1; rm -rf "$CLUSTER_DIR"' EXIT
	port() { echo $((20000 + (RANDOM * 32768 + RANDOM) % 40000)); }
	tftp_port=$(port)
	http_port=$(port)
	WARD_TFTP_LISTEN=127.0.0.1:$tftp_port \
		WARD_TFTP_HTTP_LISTEN=127.0.0.1:$http_port \
		ward_conf b1 "127.0.0.1:$(port)" "127.0.0.1:$(port)" "$@"
	ward_init b1 bench
	M=/usr/lib/softhsm/libsofthsm2.so
	local t
	for t in tokA tokB; do
		"$src/deploy/token" $t >/dev/null
		ward_ctl b1 token register --module $M --token $t >/dev/null
	done
	ward_ctl b1 ctl sign --module $M --token tokA \
		--pin-file "$WARD_DIR/tokA.pin" >/dev/null
}
