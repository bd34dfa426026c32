/* pin: the server is known by the SHA-256 of its certificate when there is
 * no CA to vouch for it (a node's self-signed certificate), or by its
 * cluster CA's. The check itself is common/tlspin's: it sits in OpenSSL's
 * verification, so a wrong certificate fails the handshake before any byte
 * of the request, credentials included, is sent. */
#include "tools/wardctl/pin.h"

/* wardctl's names for common/hex, used across its commands. */
int pin_parse(const char *text, uint8_t out[32])
{
	return hex_sha256_parse(text, out);
}

void pin_format(const uint8_t fp[32], char out[PIN_TEXT_LEN])
{
	hex_sha256_text(fp, out);
}

CURLcode pin_curl_ssl_ctx(CURL *curl, void *sslctx, void *check)
{
	(void)curl;
	return tlspin_install(sslctx, check) == 0 ? CURLE_OK
						  : CURLE_SSL_CONNECT_ERROR;
}
