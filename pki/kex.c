/* kex: delivering the KEK to a joining node — X25519, HKDF-SHA256 and
 * AES-256-GCM (pki.h gives the format).
 *
 * The join request travels over TLS pinned to the cluster CA and is
 * authenticated by the join token, so the joiner's public key reaches a
 * genuine member unaltered; sealing to it means the KEK never crosses the
 * wire, nor sits in a log, in a form a recorded session could open later.
 * The info string binds the sealed KEK to the cluster and the node it was
 * meant for: a sealed KEK for node 4 opened by node 5 fails.
 */
#include <ctype.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "pki/internal.h"

#define KEX_LABEL "ward kek delivery v1"
#define KEX_VERSION 1
#define KEX_INFO_LEN (sizeof KEX_LABEL - 1 + PKI_UUID_LEN + 8)

/* The info string: label | cluster id (lower case) | node id u64 BE. */
static int kex_info(const char *cluster_id, uint64_t node_id,
		    uint8_t info[KEX_INFO_LEN])
{
	size_t l = sizeof KEX_LABEL - 1;

	if (!pki_uuid_valid(cluster_id) || node_id == 0)
		return PKI_EINVAL;
	memcpy(info, KEX_LABEL, l);
	for (int i = 0; i < PKI_UUID_LEN; i++)
		info[l + i] = (uint8_t)tolower((unsigned char)cluster_id[i]);
	for (int i = 0; i < 8; i++)
		info[l + PKI_UUID_LEN + i] = (uint8_t)(node_id >> (56 - 8 * i));
	return PKI_OK;
}

/* ECDH of MINE and the raw public key PEER, then HKDF to KEY; SALT is the
 * member's public key then the joiner's. */
static int kex_derive(EVP_PKEY *mine, const uint8_t peer[PKI_X25519_LEN],
		      const uint8_t member_pub[PKI_X25519_LEN],
		      const uint8_t joiner_pub[PKI_X25519_LEN],
		      const uint8_t *info, uint8_t key[PKI_KEK_LEN])
{
	uint8_t shared[32], salt[2 * PKI_X25519_LEN];
	size_t shared_len = sizeof shared;
	EVP_PKEY *pp = NULL;
	EVP_PKEY_CTX *dctx = NULL;
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *kctx = NULL;
	OSSL_PARAM params[5];
	int rc = PKI_EAUTH;

	pp = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer,
					 PKI_X25519_LEN);
	dctx = EVP_PKEY_CTX_new(mine, NULL);
	if (!pp || !dctx)
		goto out;
	/* OpenSSL refuses a shared secret of zeros (a low-order point from
	 * a hostile peer) here. */
	if (EVP_PKEY_derive_init(dctx) != 1 ||
	    EVP_PKEY_derive_set_peer(dctx, pp) != 1 ||
	    EVP_PKEY_derive(dctx, shared, &shared_len) != 1 ||
	    shared_len != sizeof shared)
		goto out;
	memcpy(salt, member_pub, PKI_X25519_LEN);
	memcpy(salt + PKI_X25519_LEN, joiner_pub, PKI_X25519_LEN);
	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	if (!kctx) {
		rc = PKI_ECRYPTO;
		goto out;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						     (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						      shared, sizeof shared);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt,
						      sizeof salt);
	params[3] = OSSL_PARAM_construct_octet_string(
	    OSSL_KDF_PARAM_INFO, (void *)info, KEX_INFO_LEN);
	params[4] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, key, PKI_KEK_LEN, params) != 1) {
		rc = PKI_ECRYPTO;
		goto out;
	}
	rc = PKI_OK;
out:
	OPENSSL_cleanse(shared, sizeof shared);
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_free(pp);
	ERR_clear_error();
	return rc;
}

int pki_kex_keygen(EVP_PKEY **priv, uint8_t pub[PKI_X25519_LEN])
{
	size_t n = PKI_X25519_LEN;

	*priv = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	if (!*priv) {
		ERR_clear_error();
		return PKI_ECRYPTO;
	}
	if (EVP_PKEY_get_raw_public_key(*priv, pub, &n) != 1 ||
	    n != PKI_X25519_LEN) {
		EVP_PKEY_free(*priv);
		*priv = NULL;
		ERR_clear_error();
		return PKI_ECRYPTO;
	}
	return PKI_OK;
}

int pki_kek_seal(const uint8_t kek[PKI_KEK_LEN],
		 const uint8_t joiner_pub[PKI_X25519_LEN],
		 const char *cluster_id, uint64_t node_id,
		 uint8_t out[PKI_KEK_SEALED_LEN])
{
	uint8_t info[KEX_INFO_LEN], key[PKI_KEK_LEN];
	uint8_t *member_pub = out + 1;
	EVP_PKEY *eph;
	size_t n;
	int rc;

	if ((rc = kex_info(cluster_id, node_id, info)))
		return rc;
	/* A fresh key per delivery: nothing of it outlives this call. */
	if ((rc = pki_kex_keygen(&eph, member_pub)))
		return rc;
	rc = kex_derive(eph, joiner_pub, member_pub, joiner_pub, info, key);
	EVP_PKEY_free(eph);
	if (rc)
		return rc == PKI_EAUTH ? PKI_EINVAL : rc; /* a bad key given */
	out[0] = KEX_VERSION;
	rc = pki_wrap(key, info, sizeof info, kek, PKI_KEK_LEN,
		      out + 1 + PKI_X25519_LEN,
		      PKI_KEK_SEALED_LEN - 1 - PKI_X25519_LEN, &n);
	OPENSSL_cleanse(key, sizeof key);
	if (rc == PKI_OK && n != PKI_KEK_SEALED_LEN - 1 - PKI_X25519_LEN)
		rc = PKI_ECRYPTO;
	if (rc)
		OPENSSL_cleanse(out, PKI_KEK_SEALED_LEN);
	return rc;
}

int pki_kek_open(EVP_PKEY *joiner_priv, const char *cluster_id,
		 uint64_t node_id, const void *in, size_t in_len,
		 uint8_t kek[PKI_KEK_LEN])
{
	const uint8_t *p = in;
	uint8_t info[KEX_INFO_LEN], key[PKI_KEK_LEN], joiner_pub[32];
	size_t n = sizeof joiner_pub;
	int rc;

	OPENSSL_cleanse(kek, PKI_KEK_LEN);
	if ((rc = kex_info(cluster_id, node_id, info)))
		return rc;
	if (!joiner_priv || !EVP_PKEY_is_a(joiner_priv, "X25519"))
		return PKI_EINVAL;
	if (!in || in_len != PKI_KEK_SEALED_LEN || p[0] != KEX_VERSION)
		return PKI_EFORMAT;
	if (EVP_PKEY_get_raw_public_key(joiner_priv, joiner_pub, &n) != 1) {
		ERR_clear_error();
		return PKI_ECRYPTO;
	}
	rc = kex_derive(joiner_priv, p + 1, p + 1, joiner_pub, info, key);
	if (rc == PKI_OK)
		rc = pki_unwrap(key, info, sizeof info, p + 1 + PKI_X25519_LEN,
				in_len - 1 - PKI_X25519_LEN, kek, PKI_KEK_LEN,
				&n);
	OPENSSL_cleanse(key, sizeof key);
	if (rc == PKI_OK && n != PKI_KEK_LEN)
		rc = PKI_EAUTH;
	if (rc) {
		OPENSSL_cleanse(kek, PKI_KEK_LEN);
		/* Whatever failed past the format, the sender was not who
		 * (or what) it should be. */
		if (rc != PKI_ENOMEM && rc != PKI_ECRYPTO)
			rc = PKI_EAUTH;
	}
	return rc;
}
