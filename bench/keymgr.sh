#!/usr/bin/env bash
# The key manager's figures: libsrtp2 alone (protect+unprotect pairs per
# second on one thread), then SRTP packets relayed per second per core
# through the media relay for AES_CM_128_HMAC_SHA1_80 and AEAD_AES_128_GCM,
# 20 ms G.711 packets (172 bytes before SRTP). Medians of RUNS runs; rates
# are per CPU-second of the thread doing the work, so a busy machine slows
# the wall clock, not the figure (cache contention still shows).
# Then call setups per second through wardd's media table (offer, answer
# with the relay session opened on the media thread, close).
#   bench/keymgr.sh [BUILD_DIR] [CALLS] [PACKETS] [RUNS]
# then the added jitter at JITTER_CALLS concurrent calls (bench_keymgr_jitter),
# then the conference mixer's cost (bench_keymgr_mixer, MIXER_CONFS).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
calls=${2:-100}
packets=${3:-200000}
runs=${4:-5}
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/bench/bench_keymgr_srtp" 500000 "$runs"
for suite in AES_CM_128_HMAC_SHA1_80 AEAD_AES_128_GCM; do
	"$build/bench/bench_keymgr_relay" "$suite" "$calls" "$packets" "$runs" 2>/dev/null
done
for suite in AES_CM_128_HMAC_SHA1_80 AEAD_AES_128_GCM AEAD_AES_256_GCM; do
	"$build/bench/bench_media_setup" "$suite" 20000 "$runs"
done
# Concurrent encrypted calls with < 1 ms added jitter: paced senders (one
# packet per call every 20 ms), transit through the relay measured per
# packet; quiet machine wanted (other load shows as jitter).
"$build/bench/bench_keymgr_jitter" AES_CM_128_HMAC_SHA1_80 \
	"${JITTER_CALLS:-100,500,1000,2000}" "${JITTER_SECONDS:-5}" "$runs" 2>/dev/null
# The conference mixer: CPU per three-party SRTP conference per 20 ms.
"$build/bench/bench_keymgr_mixer" AES_CM_128_HMAC_SHA1_80 \
	"${MIXER_CONFS:-200}" 3 "$runs" 2>/dev/null
