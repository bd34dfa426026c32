/* signer: the node's TFTP certificate and key, which sign every file the
 * role serves in mixed mode (tftp_source.h). Read from DATA/pki, where
 * the certificate watcher keeps them current. */
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keystore/keystore.h"
#include "node/tftp/tftp_source.h"
#include "pki/pki.h"
#include "store/store.h"
#include "trustlist/sgn.h"

void tftp_signer_free(struct tftp_signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->key);
	free(s->der);
	free(s);
}

struct tftp_signer *tftp_signer_load(const char *pki_dir, const char **why)
{
	char path[1024];
	struct tftp_signer *s = calloc(1, sizeof *s);
	X509 *x = NULL;
	FILE *f;
	int n;

	*why = "no TFTP certificate and key in DATA/pki";
	if (!s || !pki_dir || !pki_dir[0])
		goto err;
	snprintf(path, sizeof path, "%s/tftp.pem", pki_dir);
	if (!(f = fopen(path, "r")))
		goto err;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	snprintf(path, sizeof path, "%s/tftp.key", pki_dir);
	if (!x || !(f = fopen(path, "r")))
		goto err;
	s->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	n = i2d_X509(x, &s->der);
	if (!s->key || n <= 0 || !X509_check_private_key(x, s->key)) {
		*why =
		    "the TFTP key in DATA/pki does not match its certificate";
		goto err;
	}
	s->der_len = (size_t)n;
	EVP_Digest(s->der, s->der_len, s->sha256, NULL, EVP_sha256(), NULL);
	X509_free(x);
	*why = "";
	return s;
err:
	X509_free(x);
	tftp_signer_free(s);
	return NULL;
}

int tftp_kek_load(const char *pki_dir, uint8_t kek[32])
{
	char path[1024], err[256];

	if (!pki_dir || !pki_dir[0])
		return -1;
	snprintf(path, sizeof path, "%s/../kek", pki_dir);
	return pki_kek_load(path, kek, err, sizeof err) == 0 ? 0 : -1;
}

struct tftp_signer *tftp_signer_from_keystore(struct keystore *ks,
					      struct store_read *r,
					      uint64_t node_id)
{
	struct store_cert c;
	struct store_key k;
	struct tftp_signer *s;
	char err[256];

	if (!ks || node_id == 0 ||
	    store_cert_get(r, node_id, STORE_CERT_TFTP, &c) != 0)
		return NULL;
	/* The keystore holds the key once the certificate watcher or this
	 * role loaded it from the store's wrapped record. */
	if (!keystore_key_held(ks, node_id, PKI_ROLE_TFTP)) {
		X509 *x = NULL;
		int ok;

		if (store_key_get(r, node_id, STORE_CERT_TFTP, &k) != 0 ||
		    pki_cert_parse(c.der, c.der_len, &x, err, sizeof err) != 0)
			return NULL;
		if (keystore_kek_acquire(ks, NULL, err, sizeof err) != 0) {
			X509_free(x);
			return NULL;
		}
		ok = keystore_key_check(ks, node_id, PKI_ROLE_TFTP, k.wrapped,
					k.wrapped_len, x, err,
					sizeof err) == 0 &&
		     keystore_key_load(ks, node_id, PKI_ROLE_TFTP, k.wrapped,
				       k.wrapped_len, err, sizeof err) == 0;
		keystore_kek_release(ks);
		X509_free(x);
		if (!ok)
			return NULL;
	}
	s = calloc(1, sizeof *s);
	if (!s || !(s->der = malloc(c.der_len))) {
		free(s);
		return NULL;
	}
	memcpy(s->der, c.der, c.der_len);
	s->der_len = c.der_len;
	memcpy(s->sha256, c.sha256, 32);
	s->ks = ks;
	s->owner = node_id;
	return s;
}

struct sign_args {
	const struct tftp_signer *s;
	const char *base;
	const uint8_t *content, *enc_cert;
	size_t len, enc_cert_len;
	uint32_t timestamp;
	uint8_t **out;
	size_t *out_len;
	char *err;
	size_t errcap;
};

static int sign_with(EVP_PKEY *key, void *arg)
{
	struct sign_args *a = arg;
	struct trustlist_signer signer = {
	    .cert_der = a->s->der, .cert_len = a->s->der_len, .key = key};
	struct trustlist_options opts = {.timestamp = a->timestamp};

	if (a->enc_cert)
		return trustlist_encsgn_build(
		    a->base, a->content, a->len, a->enc_cert, a->enc_cert_len,
		    &signer, &opts, a->out, a->out_len, a->err, a->errcap);
	return trustlist_sgn_build(a->base, a->content, a->len, &signer, &opts,
				   a->out, a->out_len, a->err, a->errcap);
}

int tftp_signer_sign(const struct tftp_signer *s, const char *base,
		     const uint8_t *content, size_t len,
		     const uint8_t *enc_cert, size_t enc_cert_len,
		     uint32_t timestamp, uint8_t **out, size_t *out_len,
		     char *err, size_t errcap)
{
	struct sign_args a = {.s = s,
			      .base = base,
			      .content = content,
			      .enc_cert = enc_cert,
			      .len = len,
			      .enc_cert_len = enc_cert_len,
			      .timestamp = timestamp,
			      .out = out,
			      .out_len = out_len,
			      .err = err,
			      .errcap = errcap};
	int rc;

	if (s->key)
		return sign_with(s->key, &a);
	rc = keystore_key_use(s->ks, s->owner, PKI_ROLE_TFTP, sign_with, &a);
	if (rc == KEYSTORE_ENOKEY)
		snprintf(err, errcap, "the keystore holds no TFTP key");
	return rc;
}
