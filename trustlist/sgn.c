/* sgn: .enc.sgn files — a configuration file encrypted to one device
 * (AES-128-CBC under a fresh key, the key wrapped with RSA PKCS#1 v1.5 to
 * the device's certificate) behind a header of version 2.0 signed like a
 * .sgn (docs/ctl.md section 4a). The .sgn builder and the header codec
 * are in build.c and ctl.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "trustlist/internal.h"
#include "trustlist/sgn.h"
#include "trustlist/tlv.h"

#define AES_KEY_LEN 16
#define AES_BLOCK 16
#define WRAPPED_MAX 512 /* RSA-4096 */

enum {
	E_CIPHER_INFO,
	E_CIPHER,
	E_IV,
	E_PADDING,
	E_KEY_INFO,
	E_KEY_ALG,
	E_KEY_BITS,
	E_KEY_TYPE,
	E_KEY,
	E__SLOTS
};

static const struct tlv_rule cipher_rules[] = {
    {HDR_ENC_CIPHER, TLV_UINT, 1, E_CIPHER, 0, 0, NULL, "cipher (tag 18)"},
    {HDR_ENC_IV, TLV_BYTES, 1, E_IV, AES_BLOCK, AES_BLOCK, NULL, "IV (tag 19)"},
    {HDR_ENC_PADDING, TLV_UINT, 1, E_PADDING, 0, 0, NULL,
     "padding count (tag 20)"},
};
static const struct tlv_schema cipher_schema = {
    cipher_rules, sizeof cipher_rules / sizeof *cipher_rules, 0, 0, 0};

static const struct tlv_rule key_rules[] = {
    {HDR_ENC_KEY_ALG, TLV_UINT, 1, E_KEY_ALG, 0, 0, NULL,
     "key algorithm (tag 22)"},
    {HDR_ENC_KEY_BITS, TLV_UINT, 1, E_KEY_BITS, 0, 0, NULL,
     "key size (tag 23)"},
    {HDR_ENC_KEY_TYPE, TLV_UINT, 1, E_KEY_TYPE, 0, 0, NULL,
     "key type (tag 24)"},
    {HDR_ENC_KEY, TLV_BYTES, 1, E_KEY, 64, WRAPPED_MAX, NULL,
     "encrypted key (tag 25)"},
};
static const struct tlv_schema key_schema = {
    key_rules, sizeof key_rules / sizeof *key_rules, 0, 0, 0};

static const struct tlv_rule enc_rules[] = {
    {HDR_ENC_CIPHER_INFO, TLV_NEST, 1, E_CIPHER_INFO, 1, 256, &cipher_schema,
     "cipher info (tag 17)"},
    {HDR_ENC_KEY_INFO, TLV_NEST, 1, E_KEY_INFO, 1, 1024, &key_schema,
     "key info (tag 21)"},
};
static const struct tlv_schema enc_schema = {
    enc_rules, sizeof enc_rules / sizeof *enc_rules, 0, 0, 0};

/* Wraps KEY to the device certificate's RSA key. */
static int wrap_key(const uint8_t *cert_der, size_t cert_len,
		    const uint8_t key[AES_KEY_LEN], uint8_t *out,
		    size_t *out_len, char *errmsg, size_t errcap)
{
	const unsigned char *p = cert_der;
	EVP_PKEY_CTX *ctx = NULL;
	X509 *cert;
	int rc = 0;

	if (cert_der == NULL || cert_len == 0 || cert_len > TRUSTLIST_MAX)
		return tl_err(TRUSTLIST_ECERT, errmsg, errcap,
			      "no device certificate");
	cert = d2i_X509(NULL, &p, (long)cert_len);
	if (cert == NULL || p != cert_der + cert_len) {
		X509_free(cert);
		ERR_clear_error();
		return tl_err(TRUSTLIST_ECERT, errmsg, errcap,
			      "the device certificate is not DER");
	}
	if (EVP_PKEY_get_base_id(X509_get0_pubkey(cert)) != EVP_PKEY_RSA ||
	    EVP_PKEY_get_size(X509_get0_pubkey(cert)) > WRAPPED_MAX) {
		rc = tl_err(TRUSTLIST_EUNSUPPORTED, errmsg, errcap,
			    "the device certificate's key is not RSA of at "
			    "most 4096 bits: phones unwrap config keys with "
			    "RSA");
		goto out;
	}
	*out_len = WRAPPED_MAX;
	if ((ctx = EVP_PKEY_CTX_new(X509_get0_pubkey(cert), NULL)) == NULL ||
	    EVP_PKEY_encrypt_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_encrypt(ctx, out, out_len, key, AES_KEY_LEN) != 1)
		rc = tl_err(TRUSTLIST_ECRYPTO, errmsg, errcap,
			    "cannot wrap the key to the device certificate");
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(ctx);
	X509_free(cert);
	return rc;
}

/* AES-128-CBC without padding of LEN bytes (a multiple of 16). */
static int aes_cbc(int enc, const uint8_t key[AES_KEY_LEN],
		   const uint8_t iv[AES_BLOCK], const uint8_t *in, size_t len,
		   uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, fin = 0, ok;

	ok = ctx && len <= INT32_MAX &&
	     EVP_CipherInit_ex(ctx, EVP_aes_128_cbc(), NULL, key, iv, enc) ==
		 1 &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	     EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1 &&
	     EVP_CipherFinal_ex(ctx, out + n, &fin) == 1 &&
	     (size_t)(n + fin) == len;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

int trustlist_encsgn_build(const char *name, const uint8_t *plain, size_t len,
			   const uint8_t *device_cert, size_t device_cert_len,
			   const struct trustlist_signer *signer,
			   const struct trustlist_options *opts, uint8_t **out,
			   size_t *out_len, char *errmsg, size_t errcap)
{
	const unsigned digest = opts && opts->sig == TRUSTLIST_SIG_RSA_SHA512
				    ? TRUSTLIST_DIGEST_SHA512
				    : TRUSTLIST_DIGEST_SHA1;
	char filename[TRUSTLIST_SGN_NAME_MAX + sizeof ".enc.sgn"];
	uint8_t key[AES_KEY_LEN], iv[AES_BLOCK], wrapped[WRAPPED_MAX];
	uint8_t md[EVP_MAX_MD_SIZE], *body = NULL;
	size_t wrapped_len = 0, pad, body_len, at, inner;
	unsigned md_len;
	struct tlv_buf x;
	int rc;

	if (out == NULL || out_len == NULL)
		return tl_err(TRUSTLIST_EINVAL, errmsg, errcap,
			      "missing argument");
	*out = NULL;
	*out_len = 0;
	if (name == NULL || name[0] == 0 ||
	    strlen(name) > TRUSTLIST_SGN_NAME_MAX)
		return tl_err(TRUSTLIST_EINVAL, errmsg, errcap,
			      ".enc.sgn needs the file's name (1..%d bytes)",
			      TRUSTLIST_SGN_NAME_MAX);
	if ((plain == NULL && len) || len > TRUSTLIST_SGN_MAX / 2)
		return tl_err(TRUSTLIST_EINVAL, errmsg, errcap,
			      "no content, or content over %u bytes",
			      TRUSTLIST_SGN_MAX / 2);
	snprintf(filename, sizeof filename, "%s.enc.sgn", name);
	pad = (AES_BLOCK - len % AES_BLOCK) % AES_BLOCK;
	body_len = len + pad;
	if ((body = malloc(body_len ? body_len : 1)) == NULL)
		return tl_err(TRUSTLIST_ENOMEM, errmsg, errcap,
			      "out of memory");
	if (RAND_bytes(key, sizeof key) != 1 ||
	    RAND_bytes(iv, sizeof iv) != 1) {
		rc = tl_err(TRUSTLIST_ECRYPTO, errmsg, errcap,
			    "no random bytes for the key");
		goto err_after_body;
	}
	if ((rc = wrap_key(device_cert, device_cert_len, key, wrapped,
			   &wrapped_len, errmsg, errcap)))
		goto err_after_key;
	if (!EVP_Digest(plain ? plain : (const uint8_t *)"", len, md, &md_len,
			tl_digest_md(digest), NULL)) {
		rc = tl_err(TRUSTLIST_ECRYPTO, errmsg, errcap,
			    "cannot digest the content");
		goto err_after_key;
	}
	/* Padded with '\r' (the header counts them), encrypted in place. */
	if (len)
		memcpy(body, plain, len);
	memset(body + len, '\r', pad);
	if (aes_cbc(1, key, iv, body, body_len, body)) {
		rc = tl_err(TRUSTLIST_ECRYPTO, errmsg, errcap,
			    "cannot encrypt the content");
		goto err_after_key;
	}

	tlv_buf_init(&x, 4096);
	at = tlv_open(&x, HDR_ENC);
	inner = tlv_open(&x, HDR_ENC_CIPHER_INFO);
	tlv_put_u8(&x, HDR_ENC_CIPHER, 0);
	tlv_put(&x, HDR_ENC_IV, iv, sizeof iv);
	tlv_put_u16(&x, HDR_ENC_PADDING, (uint16_t)pad);
	tlv_close(&x, inner);
	inner = tlv_open(&x, HDR_ENC_KEY_INFO);
	tlv_put_u8(&x, HDR_ENC_KEY_ALG, 0);
	tlv_put_u16(&x, HDR_ENC_KEY_BITS, (uint16_t)(wrapped_len * 8));
	tlv_put_u8(&x, HDR_ENC_KEY_TYPE, 1);
	tlv_put(&x, HDR_ENC_KEY, wrapped, wrapped_len);
	tlv_close(&x, inner);
	tlv_close(&x, at);
	tlv_put_u8(&x, HDR_ENC_DIGEST_ALG, (uint8_t)digest);
	tlv_put(&x, HDR_ENC_DIGEST, md, md_len);
	if ((rc = tlv_buf_result(&x)))
		tl_err(rc, errmsg, errcap, "cannot write the encryption info");
	else {
		struct tl_build_args a = {.what = TL_FILE_ENC,
					  .content = body,
					  .content_len = body_len,
					  .extra = x.p,
					  .extra_len = x.len,
					  .filename = filename};

		rc = tl_build_file(&a, signer, opts, out, out_len, errmsg,
				   errcap);
	}
	tlv_buf_close(&x);
err_after_key:
	OPENSSL_cleanse(key, sizeof key);
err_after_body:
	OPENSSL_cleanse(body, body_len);
	free(body);
	return rc;
}

int trustlist_encsgn_parse(const uint8_t *buf, size_t len,
			   struct trustlist **out, struct trustlist_enc *enc,
			   char *errmsg, size_t errcap)
{
	struct tlv_field f[E__SLOTS] = {{0}};
	struct trustlist *tl;
	int rc;

	if (out == NULL || enc == NULL)
		return tl_err(TRUSTLIST_EINVAL, errmsg, errcap,
			      "missing argument");
	*enc = (struct trustlist_enc){0};
	if ((rc = tl_parse(buf, len, TL_FILE_ENC, &tl, errmsg, errcap)))
		return rc;
	if ((rc =
		 tlv_read(&enc_schema, tl->enc_block.data, 0, tl->enc_block.len,
			  f, E__SLOTS, NULL, errmsg, errcap)))
		goto err_after_parse;
	*enc = (struct trustlist_enc){
	    .cipher = tlv_uint(&f[E_CIPHER]),
	    .iv = {f[E_IV].v, f[E_IV].len},
	    .padding = tlv_uint(&f[E_PADDING]),
	    .key_alg = tlv_uint(&f[E_KEY_ALG]),
	    .key_bits = tlv_uint(&f[E_KEY_BITS]),
	    .key_type = tlv_uint(&f[E_KEY_TYPE]),
	    .wrapped_key = {f[E_KEY].v, f[E_KEY].len},
	    .digest_alg = tl->enc_digest_alg,
	    .digest = tl->enc_digest,
	};
	if (enc->cipher != 0 || enc->key_alg != 0) {
		rc = tl_err(TRUSTLIST_EUNSUPPORTED, errmsg, errcap,
			    "cipher %u, key algorithm %u: only 0 (AES-128-CBC, "
			    "RSA PKCS#1 v1.5) is known",
			    enc->cipher, enc->key_alg);
		goto err_after_parse;
	}
	if (tl->content.len % AES_BLOCK || enc->padding >= AES_BLOCK ||
	    enc->padding > tl->content.len) {
		rc = tl_err(TRUSTLIST_EMALFORMED, errmsg, errcap,
			    "encrypted content of %zu bytes with %u padding "
			    "bytes: not whole AES blocks",
			    tl->content.len, enc->padding);
		goto err_after_parse;
	}
	*out = tl;
	return 0;

err_after_parse:
	*enc = (struct trustlist_enc){0};
	trustlist_free(tl);
	return rc;
}

int trustlist_encsgn_decrypt(const struct trustlist *tl,
			     const struct trustlist_enc *enc,
			     EVP_PKEY *device_key, uint8_t **plain,
			     size_t *plain_len, char *errmsg, size_t errcap)
{
	const EVP_MD *md;
	uint8_t key[WRAPPED_MAX], digest[EVP_MAX_MD_SIZE], *body = NULL;
	size_t key_len = sizeof key, n;
	unsigned digest_len;
	EVP_PKEY_CTX *ctx;
	int rc = 0, ok;

	if (tl == NULL || enc == NULL || device_key == NULL || plain == NULL ||
	    plain_len == NULL || enc->iv.len != AES_BLOCK)
		return tl_err(TRUSTLIST_EINVAL, errmsg, errcap,
			      "missing argument");
	*plain = NULL;
	*plain_len = 0;
	if ((md = tl_digest_md(enc->digest_alg)) == NULL)
		return tl_err(TRUSTLIST_EUNSUPPORTED, errmsg, errcap,
			      "plaintext digest code %u unknown",
			      enc->digest_alg);
	ctx = EVP_PKEY_CTX_new(device_key, NULL);
	ok = ctx && EVP_PKEY_decrypt_init(ctx) == 1 &&
	     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
	     EVP_PKEY_decrypt(ctx, key, &key_len, enc->wrapped_key.data,
			      enc->wrapped_key.len) == 1 &&
	     key_len == AES_KEY_LEN;
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	if (!ok) {
		rc = tl_err(TRUSTLIST_ECRYPTO, errmsg, errcap,
			    "the device key does not unwrap the file key");
		goto out;
	}
	n = tl->content.len;
	if ((body = malloc(n ? n : 1)) == NULL) {
		rc = tl_err(TRUSTLIST_ENOMEM, errmsg, errcap, "out of memory");
		goto out;
	}
	if (aes_cbc(0, key, enc->iv.data, tl->content.data, n, body)) {
		rc = tl_err(TRUSTLIST_ECRYPTO, errmsg, errcap,
			    "cannot decrypt the content");
		goto out;
	}
	n -= enc->padding;
	if (!EVP_Digest(body, n, digest, &digest_len, md, NULL) ||
	    digest_len != enc->digest.len ||
	    CRYPTO_memcmp(digest, enc->digest.data, digest_len) != 0) {
		rc = tl_err(TRUSTLIST_ESIGNATURE, errmsg, errcap,
			    "the decrypted content does not have the digest "
			    "the header gives");
		goto out;
	}
	*plain = body;
	*plain_len = n;
	body = NULL;
out:
	OPENSSL_cleanse(key, sizeof key);
	if (body) {
		OPENSSL_cleanse(body, tl->content.len);
		free(body);
	}
	return rc;
}
