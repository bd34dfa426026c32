/* wrap: the cluster key-encryption key (KEK) — its id, and AES-256-GCM
 * wrapping of the secrets the store replicates (private keys first).
 *
 * The version byte is authenticated along with the caller's AAD, so a
 * wrapped value cannot be relabelled as another format later.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "pki/internal.h"

#define KEK_ID_LABEL "ward kek id"

int pki_kek_generate(uint8_t kek[PKI_KEK_LEN])
{
	if (RAND_priv_bytes(kek, PKI_KEK_LEN) != 1) {
		ERR_clear_error();
		return PKI_ECRYPTO;
	}
	return PKI_OK;
}

int pki_kek_id(const uint8_t kek[PKI_KEK_LEN], uint8_t id[PKI_KEK_ID_LEN])
{
	uint8_t mac[32];
	size_t n = 0;

	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, kek, PKI_KEK_LEN,
		       (const unsigned char *)KEK_ID_LABEL,
		       strlen(KEK_ID_LABEL), mac, sizeof mac, &n) ||
	    n != sizeof mac) {
		ERR_clear_error();
		return PKI_ECRYPTO;
	}
	memcpy(id, mac, PKI_KEK_ID_LEN);
	return PKI_OK;
}

int pki_aad(const char *table, const void *key, size_t key_len, uint8_t *out,
	    size_t cap, size_t *out_len)
{
	size_t tlen = table ? strlen(table) : 0;
	size_t n = 1 + tlen + 2 + key_len;

	*out_len = 0;
	if (tlen > UINT8_MAX || key_len > UINT16_MAX || (key_len && !key))
		return PKI_EINVAL;
	if (n > cap)
		return PKI_ETOOBIG;
	out[0] = (uint8_t)tlen;
	memcpy(out + 1, table, tlen);
	out[1 + tlen] = (uint8_t)(key_len >> 8);
	out[2 + tlen] = (uint8_t)key_len;
	if (key_len)
		memcpy(out + 3 + tlen, key, key_len);
	*out_len = n;
	return PKI_OK;
}

/* Feeds the version byte and AAD to a GCM context. */
static int pki_gcm_aad(EVP_CIPHER_CTX *ctx, int enc, const uint8_t *version,
		       const void *aad, size_t aad_len)
{
	int n;

	if ((enc ? EVP_EncryptUpdate(ctx, NULL, &n, version, 1)
		 : EVP_DecryptUpdate(ctx, NULL, &n, version, 1)) != 1)
		return 0;
	if (aad_len == 0)
		return 1;
	return (enc ? EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_len)
		    : EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len)) == 1;
}

int pki_wrap(const uint8_t kek[PKI_KEK_LEN], const void *aad, size_t aad_len,
	     const void *pt, size_t pt_len, uint8_t *out, size_t cap,
	     size_t *out_len)
{
	uint8_t *nonce = out + 1, *ct = out + 1 + PKI_WRAP_NONCE_LEN;
	EVP_CIPHER_CTX *ctx;
	int n, rc = PKI_ECRYPTO;

	*out_len = 0;
	if (pt_len > INT_MAX - PKI_WRAP_OVERHEAD || aad_len > INT_MAX ||
	    (aad_len && !aad) || (pt_len && !pt))
		return PKI_EINVAL;
	if (cap < pt_len + PKI_WRAP_OVERHEAD)
		return PKI_ETOOBIG;
	out[0] = PKI_WRAP_VERSION;
	/* Random nonces: 2^32 wraps under one KEK keep the collision
	 * chance negligible, far beyond what a cluster writes. */
	if (RAND_bytes(nonce, PKI_WRAP_NONCE_LEN) != 1)
		goto out;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx) {
		rc = PKI_ENOMEM;
		goto out;
	}
	if (EVP_EncryptInit_ex2(ctx, EVP_aes_256_gcm(), kek, nonce, NULL) !=
		1 ||
	    !pki_gcm_aad(ctx, 1, out, aad, aad_len))
		goto out_after_ctx;
	if (pt_len && (EVP_EncryptUpdate(ctx, ct, &n, pt, (int)pt_len) != 1 ||
		       (size_t)n != pt_len))
		goto out_after_ctx;
	if (EVP_EncryptFinal_ex(ctx, ct + pt_len, &n) != 1 || n != 0 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, PKI_WRAP_TAG_LEN,
				ct + pt_len) != 1)
		goto out_after_ctx;
	*out_len = pt_len + PKI_WRAP_OVERHEAD;
	rc = PKI_OK;
out_after_ctx:
	EVP_CIPHER_CTX_free(ctx);
out:
	ERR_clear_error();
	return rc;
}

int pki_unwrap(const uint8_t kek[PKI_KEK_LEN], const void *aad, size_t aad_len,
	       const void *in, size_t in_len, uint8_t *out, size_t cap,
	       size_t *out_len)
{
	const uint8_t *p = in;
	const uint8_t *nonce = p + 1, *ct = p + 1 + PKI_WRAP_NONCE_LEN;
	size_t ct_len;
	EVP_CIPHER_CTX *ctx;
	int n, rc = PKI_EAUTH;

	*out_len = 0;
	if (!in || in_len < PKI_WRAP_OVERHEAD || p[0] != PKI_WRAP_VERSION)
		return PKI_EFORMAT;
	if (in_len > INT_MAX || aad_len > INT_MAX || (aad_len && !aad))
		return PKI_EINVAL;
	ct_len = in_len - PKI_WRAP_OVERHEAD;
	if (cap < ct_len)
		return PKI_ETOOBIG;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return PKI_ENOMEM;
	if (EVP_DecryptInit_ex2(ctx, EVP_aes_256_gcm(), kek, nonce, NULL) !=
		1 ||
	    !pki_gcm_aad(ctx, 0, p, aad, aad_len)) {
		rc = PKI_ECRYPTO;
		goto out;
	}
	if (ct_len && (EVP_DecryptUpdate(ctx, out, &n, ct, (int)ct_len) != 1 ||
		       (size_t)n != ct_len))
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, PKI_WRAP_TAG_LEN,
				(void *)(ct + ct_len)) != 1) {
		rc = PKI_ECRYPTO;
		goto out;
	}
	/* The tag is checked here, after the plaintext was written: wipe it
	 * on failure so an unauthenticated byte never reaches the caller. */
	if (EVP_DecryptFinal_ex(ctx, out + ct_len, &n) != 1)
		goto out;
	*out_len = ct_len;
	rc = PKI_OK;
out:
	if (rc)
		OPENSSL_cleanse(out, ct_len);
	EVP_CIPHER_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

/* ---- private keys ----------------------------------------------------- */

int pki_key_wrap(const uint8_t kek[PKI_KEK_LEN], const void *aad,
		 size_t aad_len, const EVP_PKEY *key, uint8_t **out,
		 size_t *out_len)
{
	uint8_t *der, *w;
	size_t der_len;
	int rc;

	*out = NULL;
	*out_len = 0;
	if ((rc = pki_key_to_pkcs8(key, &der, &der_len)))
		return rc;
	w = malloc(der_len + PKI_WRAP_OVERHEAD);
	if (!w) {
		rc = PKI_ENOMEM;
		goto out;
	}
	rc = pki_wrap(kek, aad, aad_len, der, der_len, w,
		      der_len + PKI_WRAP_OVERHEAD, out_len);
	if (rc) {
		free(w);
		goto out;
	}
	*out = w;
out:
	pki_secret_free(der, der_len);
	return rc;
}

int pki_key_unwrap(const uint8_t kek[PKI_KEK_LEN], const void *aad,
		   size_t aad_len, const void *in, size_t in_len,
		   EVP_PKEY **out)
{
	uint8_t *der;
	size_t der_len = 0;
	int rc;

	*out = NULL;
	if (!in || in_len <= PKI_WRAP_OVERHEAD)
		return PKI_EFORMAT;
	der = malloc(in_len - PKI_WRAP_OVERHEAD);
	if (!der)
		return PKI_ENOMEM;
	rc = pki_unwrap(kek, aad, aad_len, in, in_len, der,
			in_len - PKI_WRAP_OVERHEAD, &der_len);
	if (rc == PKI_OK)
		rc = pki_key_from_pkcs8(der, der_len, out);
	pki_secret_free(der, in_len - PKI_WRAP_OVERHEAD);
	return rc;
}
