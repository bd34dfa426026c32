/* tlspin: a TLS peer known by the SHA-256 of a certificate — its own (a
 * node's self-signed certificate) or its cluster CA's — checked inside
 * OpenSSL's verification, so a wrong peer fails the handshake before any
 * byte of the request (a token, a password) is sent. Used by wardd --join
 * and wardctl through libcurl's CURLOPT_SSL_CTX_FUNCTION; libcurl itself
 * stays out of common/. */
#ifndef WARD_COMMON_TLSPIN_H
#define WARD_COMMON_TLSPIN_H

#include <stdbool.h>
#include <stdint.h>

enum tlspin_kind {
	TLSPIN_NONE = 0, /* no pin: OpenSSL's chain check alone */
	TLSPIN_LEAF,	 /* the peer's own certificate */
	TLSPIN_CA,	 /* a CA certificate the peer's chain leads to */
};

struct tlspin {
	enum tlspin_kind kind;
	uint8_t sha256[32];
};

/* What one handshake must prove, and what it saw. Zero it, set pin and
 * chain, install it; read seen and refused after the transfer.
 *
 * - TLSPIN_NONE: OpenSSL's verification against the SSL_CTX's own trust
 *   store (whatever chain is); the leaf is only recorded.
 * - TLSPIN_LEAF: the leaf's SHA-256 must equal pin.sha256. Without chain,
 *   this is the whole verification: no chain, no host name (the caller
 *   tells libcurl not to check the name). With chain, OpenSSL's own
 *   verification must pass too.
 * - TLSPIN_CA: one of the certificates the peer sent, other than its leaf,
 *   must have pin.sha256, and the leaf must verify to it alone (X.509
 *   strict, that CA as the only trust anchor). The host name is not
 *   checked: the CA says the peer is a member. With chain, OpenSSL's own
 *   verification must pass too.
 *
 * Digests are compared in constant time (hex_sha256_equal). */
struct tlspin_check {
	struct tlspin pin;
	bool chain;	     /* also OpenSSL's verification (see above) */
	bool seen;	     /* set: the leaf's SHA-256 is in seen_fp */
	uint8_t seen_fp[32]; /* for the error message of a refusal */
	bool refused;	     /* set: the pin refused the peer */
};

/* Makes CHECK (borrowed: it must outlive every handshake on SSLCTX) the
 * whole certificate verification of SSLCTX (an SSL_CTX *, as libcurl's
 * CURLOPT_SSL_CTX_FUNCTION hands it), with SSL_VERIFY_PEER even if the
 * caller told libcurl not to verify: in pin mode this is the verification.
 * Call it from the CURLOPT_SSL_CTX_FUNCTION, and turn libcurl's session
 * cache off: a resumed session skips the verification. 0, or -1 if SSLCTX
 * or CHECK is NULL. */
int tlspin_install(void *sslctx, struct tlspin_check *check);

#endif
