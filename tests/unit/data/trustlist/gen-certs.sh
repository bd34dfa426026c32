#!/usr/bin/env bash
# Regenerates the fixed test keys and certificates of the trust-list tests.
# They are committed: the golden files depend on them, so run this only
# together with regenerating the golden files (WARD_TRUSTLIST_REGEN=1, see
# tests/unit/test_trustlist_golden.c). Test material only — never trust it.
set -euo pipefail
cd "$(dirname "$0")"
days=36500

key() { # name rsa|rsa4096|rsa3072|ec
	case $2 in
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" ;;
	rsa3072) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$1.key" ;;
	rsa4096) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:4096 -out "$1.key" ;;
	ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" ;;
	esac
}

selfsigned() { # name type subject serial
	key "$1" "$2"
	openssl req -x509 -new -key "$1.key" -subj "$3" -days $days \
		-set_serial "$4" -sha256 -out "$1.crt"
}

issued() { # name type subject serial
	key "$1" "$2"
	openssl req -new -key "$1.key" -subj "$3" -out "$1.csr"
	openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -days $days \
		-set_serial "$4" -sha256 -out "$1.crt" 2>/dev/null
	rm -f "$1.csr"
}

selfsigned ca rsa "/O=ward test/CN=ward test token CA" 1
issued sast1 rsa "/O=ward test/OU=security token/CN=SAST token 1" 0x5a510001
issued sast2 rsa "/O=ward test/OU=security token/CN=SAST token 2" 0x5a510002
issued sast3 rsa "/O=ward test/OU=security token/CN=SAST token 3 (unregistered)" 0x5a510003
issued sast-4096 rsa4096 "/O=ward test/OU=security token/CN=SAST token 4096" 0x5a514096
issued sast-3072 rsa3072 "/O=ward test/OU=security token/CN=SAST token 3072" 0x5a513072
issued sast-ec1 ec "/O=ward test/OU=security token/CN=SAST EC token 1" 0x5a51ec01
issued sast-ec2 ec "/O=ward test/OU=security token/CN=SAST EC token 2" 0x5a51ec02
selfsigned ccm1 rsa "/O=ward test/OU=callmanager/CN=node1.ward.test" 0x0c01
selfsigned ccm2 rsa "/O=ward test/OU=callmanager/CN=node2.ward.test" 0x0c02
selfsigned tftp1 rsa "/O=ward test/OU=tftp/CN=node1.ward.test" 0x7f01
selfsigned tftp-ec1 ec "/O=ward test/OU=tftp/CN=node1.ward.test" 0x7fec
selfsigned capf rsa "/O=ward test/OU=capf/CN=CAPF-ward-test" 0xcaf1
selfsigned https1 rsa "/O=ward test/OU=https/CN=node1.ward.test" 0x4711
