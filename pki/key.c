/* key: key generation and the encodings of public and private keys. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "pki/internal.h"

int pki_key_generate(enum pki_key_type t, EVP_PKEY **out)
{
	*out = NULL;
	switch (t) {
	case PKI_KEY_RSA2048:
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		break;
	case PKI_KEY_ECDSA_P256:
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	default:
		return PKI_EINVAL;
	}
	if (!*out) {
		ERR_clear_error();
		return PKI_ECRYPTO;
	}
	return PKI_OK;
}

int pki_key_type_of(const EVP_PKEY *key)
{
	char group[64];
	size_t n;

	if (!key)
		return 0;
	if (EVP_PKEY_is_a(key, "RSA"))
		return EVP_PKEY_get_bits(key) == 2048 ? PKI_KEY_RSA2048 : 0;
	if (EVP_PKEY_is_a(key, "EC") &&
	    EVP_PKEY_get_group_name(key, group, sizeof group, &n) == 1 &&
	    (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0))
		return PKI_KEY_ECDSA_P256;
	return 0;
}

void pki_secret_free(void *p, size_t len)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}

/* ---- public keys ------------------------------------------------------ */

int pki_pubkey_to_der(const EVP_PKEY *key, uint8_t **der, size_t *len)
{
	unsigned char *q;
	int n;

	*der = NULL;
	*len = 0;
	n = i2d_PUBKEY(key, NULL);
	if (n <= 0) {
		ERR_clear_error();
		return PKI_EINVAL;
	}
	*der = malloc((size_t)n);
	if (!*der)
		return PKI_ENOMEM;
	q = *der;
	if (i2d_PUBKEY(key, &q) != n) {
		ERR_clear_error();
		free(*der);
		*der = NULL;
		return PKI_ECRYPTO;
	}
	*len = (size_t)n;
	return PKI_OK;
}

int pki_pubkey_from_der(const void *der, size_t len, EVP_PKEY **out,
			char *errmsg, size_t errcap)
{
	const unsigned char *p = der;
	EVP_PKEY *key;

	*out = NULL;
	if (!der || len == 0 || len > 16384)
		return pki_fail(errmsg, errcap, PKI_EFORMAT,
				"public key: empty or too large");
	key = d2i_PUBKEY(NULL, &p, (long)len);
	if (!key)
		return pki_fail_ssl(errmsg, errcap, PKI_EFORMAT,
				    "not a DER SubjectPublicKeyInfo");
	if ((size_t)(p - (const unsigned char *)der) != len) {
		EVP_PKEY_free(key);
		return pki_fail(errmsg, errcap, PKI_EFORMAT,
				"public key: trailing bytes after the DER");
	}
	if (!pki_key_type_of(key)) {
		EVP_PKEY_free(key);
		return pki_fail(errmsg, errcap, PKI_EFORMAT,
				"public key: only RSA 2048 and EC P-256 keys "
				"are accepted");
	}
	*out = key;
	return PKI_OK;
}

/* ---- private keys ----------------------------------------------------- */

int pki_key_to_pkcs8(const EVP_PKEY *key, uint8_t **der, size_t *len)
{
	PKCS8_PRIV_KEY_INFO *p8;
	unsigned char *q;
	int n, rc = PKI_ECRYPTO;

	*der = NULL;
	*len = 0;
	/* PKCS8_PRIV_KEY_INFO wipes its key octets when freed. */
	p8 = EVP_PKEY2PKCS8(key);
	if (!p8)
		goto out;
	n = i2d_PKCS8_PRIV_KEY_INFO(p8, NULL);
	if (n <= 0)
		goto out_after_p8;
	*der = malloc((size_t)n);
	if (!*der) {
		rc = PKI_ENOMEM;
		goto out_after_p8;
	}
	q = *der;
	if (i2d_PKCS8_PRIV_KEY_INFO(p8, &q) != n) {
		pki_secret_free(*der, (size_t)n);
		*der = NULL;
		goto out_after_p8;
	}
	*len = (size_t)n;
	rc = PKI_OK;
out_after_p8:
	PKCS8_PRIV_KEY_INFO_free(p8);
out:
	ERR_clear_error();
	return rc;
}

int pki_key_from_pkcs8(const void *der, size_t len, EVP_PKEY **out)
{
	const unsigned char *p = der;
	PKCS8_PRIV_KEY_INFO *p8;
	EVP_PKEY *key = NULL;
	int rc = PKI_EFORMAT;

	*out = NULL;
	if (!der || len == 0 || len > 16384)
		return PKI_EFORMAT;
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
	if (!p8)
		goto out;
	if ((size_t)(p - (const unsigned char *)der) != len)
		goto out_after_p8;
	key = EVP_PKCS82PKEY(p8);
	if (!key)
		goto out_after_p8;
	if (!pki_key_type_of(key)) {
		EVP_PKEY_free(key);
		goto out_after_p8;
	}
	*out = key;
	rc = PKI_OK;
out_after_p8:
	PKCS8_PRIV_KEY_INFO_free(p8);
out:
	ERR_clear_error();
	return rc;
}

int pki_key_to_pem(const EVP_PKEY *key, char **pem, size_t *len)
{
	BIO *bio;
	int rc = PKI_ECRYPTO;

	*pem = NULL;
	*len = 0;
	/* A secure-memory BIO wipes its buffer when freed. */
	bio = BIO_new(BIO_s_secmem());
	if (!bio)
		return PKI_ENOMEM;
	if (PEM_write_bio_PKCS8PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL))
		rc = pki_bio_text(bio, pem, len);
	BIO_free(bio);
	ERR_clear_error();
	return rc;
}
