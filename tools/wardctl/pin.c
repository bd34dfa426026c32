/* pin: the server is known by the SHA-256 of its certificate when there is
 * no CA to vouch for it (a node's self-signed certificate). The hook sits
 * in OpenSSL's own verification so a wrong certificate fails the handshake
 * before any byte of the request, credentials included, is sent. */
#include "tools/wardctl/pin.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <string.h>

/* wardctl's names for common/hex, used across its commands. */
int pin_parse(const char *text, uint8_t out[32])
{
	return hex_sha256_parse(text, out);
}

void pin_format(const uint8_t fp[32], char out[PIN_TEXT_LEN])
{
	hex_sha256_text(fp, out);
}

/* Where the verify callback finds its pin_check: an ex_data slot of the
 * SSL_CTX that libcurl makes for the connection. */
static int check_index = -1;
static pthread_once_t check_index_once = PTHREAD_ONCE_INIT;

static void check_index_make(void)
{
	check_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static int verify_cb(int preverify_ok, X509_STORE_CTX *sctx)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(
	    sctx, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct pin_check *check;
	X509 *leaf = X509_STORE_CTX_get0_cert(sctx);
	uint8_t fp[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!ssl)
		return 0;
	check = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), check_index);
	if (!check || !leaf || !X509_digest(leaf, EVP_sha256(), fp, &n) ||
	    n != 32)
		return 0;
	check->seen = true;
	memcpy(check->seen_fp, fp, 32);
	if (!check->want)
		return preverify_ok;
	if (!hex_sha256_equal(fp, check->want)) {
		check->mismatch = true;
		return 0;
	}
	if (check->chain)
		return preverify_ok;
	/* The pin replaces the chain: forget what the chain said (a
	 * self-signed certificate, an unknown issuer) so that the result
	 * the handshake keeps is "ok". */
	X509_STORE_CTX_set_error(sctx, X509_V_OK);
	return 1;
}

CURLcode pin_curl_ssl_ctx(CURL *curl, void *sslctx, void *check)
{
	SSL_CTX *ctx = sslctx;

	(void)curl;
	pthread_once(&check_index_once, check_index_make);
	if (check_index < 0 || !SSL_CTX_set_ex_data(ctx, check_index, check))
		return CURLE_SSL_CONNECT_ERROR;
	/* SSL_VERIFY_PEER even when libcurl was told not to verify: in pin
	 * mode this callback is the verification. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
	return CURLE_OK;
}
