/* tlspin: the one verification of a pinned TLS peer. It replaces
 * OpenSSL's (SSL_CTX_set_cert_verify_callback) and calls OpenSSL's own
 * X509_verify_cert only where the chain must count too, so that a leaf pin
 * can accept a self-signed certificate and a CA pin can ignore whatever
 * CAs the process otherwise trusts. */
#include "common/tlspin.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <string.h>

#include "common/hex.h"

static int tlspin_digest(X509 *x, uint8_t out[32])
{
	unsigned int n = 0;
	uint8_t md[EVP_MAX_MD_SIZE];

	if (!X509_digest(x, EVP_sha256(), md, &n) || n != 32)
		return -1;
	memcpy(out, md, 32);
	return 0;
}

/* 1 if LEAF verifies to a certificate among SENT (not LEAF itself: a leaf
 * pinned as a CA is no CA) whose SHA-256 is WANT, with that one as the
 * only trust anchor. */
static int tlspin_ca_verify(X509 *leaf, STACK_OF(X509) *sent,
			    const uint8_t want[32])
{
	X509_STORE *trust = NULL;
	X509_STORE_CTX *vctx = NULL;
	X509 *ca = NULL;
	uint8_t fp[32];
	int ok = 0;

	for (int i = 0; sent && i < sk_X509_num(sent); i++) {
		X509 *x = sk_X509_value(sent, i);

		if (X509_cmp(x, leaf) == 0)
			continue;
		if (tlspin_digest(x, fp) == 0 && hex_sha256_equal(fp, want)) {
			ca = x;
			break;
		}
	}
	if (!ca)
		return 0;
	trust = X509_STORE_new();
	if (!trust || X509_STORE_add_cert(trust, ca) != 1)
		goto out;
	X509_STORE_set_flags(trust, X509_V_FLAG_X509_STRICT);
	vctx = X509_STORE_CTX_new();
	if (!vctx || X509_STORE_CTX_init(vctx, trust, leaf, sent) != 1)
		goto out;
	ok = X509_verify_cert(vctx) == 1;
out:
	X509_STORE_CTX_free(vctx);
	X509_STORE_free(trust);
	ERR_clear_error();
	return ok;
}

static int tlspin_verify(X509_STORE_CTX *sctx, void *arg)
{
	struct tlspin_check *check = arg;
	X509 *leaf = X509_STORE_CTX_get0_cert(sctx);
	int ok = 0;

	if (!check || !leaf)
		goto refuse;
	if (tlspin_digest(leaf, check->seen_fp) != 0)
		goto refuse;
	check->seen = true;
	switch (check->pin.kind) {
	case TLSPIN_NONE:
		/* Never nothing: without a pin the chain decides. */
		return X509_verify_cert(sctx);
	case TLSPIN_LEAF:
		ok = hex_sha256_equal(check->seen_fp, check->pin.sha256);
		break;
	case TLSPIN_CA:
		ok = tlspin_ca_verify(leaf, X509_STORE_CTX_get0_untrusted(sctx),
				      check->pin.sha256);
		break;
	}
	if (!ok) {
		check->refused = true;
		goto refuse;
	}
	if (check->chain)
		return X509_verify_cert(sctx);
	return 1;
refuse:
	X509_STORE_CTX_set_error(sctx, X509_V_ERR_CERT_REJECTED);
	return 0;
}

int tlspin_install(void *sslctx, struct tlspin_check *check)
{
	if (!sslctx || !check)
		return -1;
	SSL_CTX_set_verify(sslctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(sslctx, tlspin_verify, check);
	return 0;
}
