/* pin: certificate fingerprints ("sha256:HEX") and the libcurl hook that
 * pins the server's certificate or its CA (common/tlspin) or records it. */
#ifndef WARD_TOOLS_WARDCTL_PIN_H
#define WARD_TOOLS_WARDCTL_PIN_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "common/hex.h"
#include "common/tlspin.h"

#define PIN_TEXT_LEN HEX_SHA256_TEXT_LEN /* "sha256:" + 64 hex + NUL */

/* hex_sha256_parse (common/hex.h): "sha256:HEX", 64 hex digits of either
 * case, optionally in colon-separated pairs ("AB:CD:..."), prefix optional.
 * 0, or -1 if TEXT is anything else (wrong length, bad digit, other
 * algorithm). */
int pin_parse(const char *text, uint8_t out[32]);

/* hex_sha256_text (common/hex.h): "sha256:" + 64 lower-case hex digits into
 * OUT (PIN_TEXT_LEN bytes). */
void pin_format(const uint8_t fp[32], char out[PIN_TEXT_LEN]);

/* A CURLOPT_SSL_CTX_FUNCTION for libcurl's OpenSSL backend: installs
 * common/tlspin's verification on SSLCTX, reporting to CHECK (a struct
 * tlspin_check, borrowed: it must outlive the transfer). */
CURLcode pin_curl_ssl_ctx(CURL *curl, void *sslctx, void *check);

#endif
