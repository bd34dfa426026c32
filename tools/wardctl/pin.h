/* pin: certificate fingerprints ("sha256:HEX") and the OpenSSL verify hook
 * that pins the server's leaf certificate or records it. */
#ifndef WARD_TOOLS_WARDCTL_PIN_H
#define WARD_TOOLS_WARDCTL_PIN_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/hex.h"

#define PIN_TEXT_LEN HEX_SHA256_TEXT_LEN /* "sha256:" + 64 hex + NUL */

/* hex_sha256_parse (common/hex.h): "sha256:HEX", 64 hex digits of either
 * case, optionally in colon-separated pairs ("AB:CD:..."), prefix optional.
 * 0, or -1 if TEXT is anything else (wrong length, bad digit, other
 * algorithm). */
int pin_parse(const char *text, uint8_t out[32]);

/* hex_sha256_text (common/hex.h): "sha256:" + 64 lower-case hex digits into
 * OUT (PIN_TEXT_LEN bytes). */
void pin_format(const uint8_t fp[32], char out[PIN_TEXT_LEN]);

/* What one TLS handshake must prove and what it saw. */
struct pin_check {
	const uint8_t *want; /* borrowed; NULL: accept by the chain alone */
	bool chain;	     /* the chain must verify too (CA mode) */
	bool seen;	     /* set: the leaf's digest is in seen_fp */
	uint8_t seen_fp[32];
	bool mismatch; /* set: a leaf was refused for not matching want */
};

/* A CURLOPT_SSL_CTX_FUNCTION for libcurl's OpenSSL backend: installs a
 * verify callback on SSLCTX that reports to CHECK (a struct pin_check,
 * borrowed: it must outlive the transfer). With check->want and not
 * check->chain, the chain is not judged at all: only the leaf's SHA-256,
 * compared in constant time, decides. */
CURLcode pin_curl_ssl_ctx(CURL *curl, void *sslctx, void *check);

#endif
