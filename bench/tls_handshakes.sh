#!/usr/bin/env bash
# Starts one initialized wardd on loopback (in a temporary directory) and
# measures TLS handshakes/s of its admin API, full and resumed.
#   bench/tls_handshakes.sh [BUILD_DIR] [-n CONNECTIONS] [-r RUNS]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
shift || true
export WARDD=$build/node/wardd WARDCTL=$build/tools/wardctl/wardctl
export CLUSTER_DIR
CLUSTER_DIR=$(mktemp -d /tmp/ward-bench.XXXXXX)
export WARD_USER=admin WARD_PASSWORD=bench-password-$RANDOM
. "$src/deploy/cluster.sh"
trap 'ward_stop b1; rm -rf "$CLUSTER_DIR"' EXIT
port() { echo $((20000 + (RANDOM * 32768 + RANDOM) % 40000)); }
WARD_TFTP_LISTEN=127.0.0.1:$(port) WARD_TFTP_HTTP_LISTEN=127.0.0.1:$(port) \
	ward_conf b1 "127.0.0.1:$(port)" "127.0.0.1:$(port)"
ward_init b1 bench
admin=$(cat "$CLUSTER_DIR/b1.admin")
echo "node: $(openssl x509 -in "$CLUSTER_DIR/b1/https.pem" -noout -text |
	grep -m1 'Public Key Algorithm' | sed 's/^ *//') certificate"
"$build/bench/bench_tls_handshakes" "${admin%:*}" "${admin##*:}" "$@"
