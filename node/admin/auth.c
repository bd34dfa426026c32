/* auth: admin password hashes (scrypt through EVP_KDF), one-time secrets and
 * join tokens, and the Basic credentials of a request. */
#include "node/admin/admin_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "store/store.h"

/* Bounds on the parameters a stored record may ask for: a corrupt or hostile
 * record must not make a login allocate gigabytes. */
#define SCRYPT_N_MIN (1u << 10)
#define SCRYPT_N_MAX (1u << 20)
#define SCRYPT_MAXMEM (1025ull << 20)

static int scrypt_derive(const char *pw, size_t len, const uint8_t *salt,
			 size_t slen, uint64_t n, uint32_t r, uint32_t p,
			 uint8_t out[32])
{
	EVP_KDF *kdf;
	EVP_KDF_CTX *ctx;
	OSSL_PARAM params[7], *q = params;
	uint64_t maxmem = SCRYPT_MAXMEM;
	int rc = -1;

	kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_SCRYPT, NULL);
	if (!kdf)
		return -1;
	ctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (!ctx)
		return -1;
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
						 (void *)pw, len);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
						 (void *)salt, slen);
	*q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p);
	*q++ =
	    OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem);
	*q = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, 32, params) == 1)
		rc = 0;
	EVP_KDF_CTX_free(ctx);
	return rc;
}

int admin_password_hash(const char *pw, size_t len, struct store_admin *rec)
{
	if (RAND_bytes(rec->salt, sizeof rec->salt) != 1)
		return -1;
	rec->kdf = ADMIN_KDF_SCRYPT;
	rec->kdf_n = ADMIN_SCRYPT_N;
	rec->kdf_r = ADMIN_SCRYPT_R;
	rec->kdf_p = ADMIN_SCRYPT_P;
	return scrypt_derive(pw, len, rec->salt, sizeof rec->salt, rec->kdf_n,
			     rec->kdf_r, rec->kdf_p, rec->hash);
}

int admin_password_verify(const struct store_admin *rec, const char *pw,
			  size_t len)
{
	uint8_t got[32];
	int rc;

	if (rec->kdf != ADMIN_KDF_SCRYPT || rec->kdf_n < SCRYPT_N_MIN ||
	    rec->kdf_n > SCRYPT_N_MAX || (rec->kdf_n & (rec->kdf_n - 1)) ||
	    rec->kdf_r < 1 || rec->kdf_r > 32 || rec->kdf_p < 1 ||
	    rec->kdf_p > 16)
		return -1;
	if (scrypt_derive(pw, len, rec->salt, sizeof rec->salt, rec->kdf_n,
			  rec->kdf_r, rec->kdf_p, got) != 0)
		return -1;
	rc = CRYPTO_memcmp(got, rec->hash, sizeof got) == 0 ? 0 : 1;
	OPENSSL_cleanse(got, sizeof got);
	return rc;
}

void admin_password_burn(const char *pw, size_t len)
{
	static const uint8_t salt[16];
	uint8_t out[32];

	(void)scrypt_derive(pw, len, salt, sizeof salt, ADMIN_SCRYPT_N,
			    ADMIN_SCRYPT_R, ADMIN_SCRYPT_P, out);
	OPENSSL_cleanse(out, sizeof out);
}

int admin_secret_new(char *text, size_t cap, uint8_t sha256[32])
{
	uint8_t raw[ADMIN_SECRET_LEN];
	int rc = -1;

	if (cap < ADMIN_SECRET_TEXT_LEN + 1)
		return -1;
	if (RAND_bytes(raw, sizeof raw) != 1)
		goto out;
	admin_b64_encode(raw, sizeof raw, text, 1);
	if (EVP_Digest(raw, sizeof raw, sha256, NULL, EVP_sha256(), NULL) != 1)
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(raw, sizeof raw);
	return rc;
}

int admin_secret_hash(const char *text, size_t len, uint8_t sha256[32])
{
	uint8_t raw[ADMIN_SECRET_LEN + 1];
	long n;
	int rc = -1;

	if (len != ADMIN_SECRET_TEXT_LEN)
		return -1;
	n = admin_b64_decode(text, len, raw, sizeof raw, 1);
	if (n == ADMIN_SECRET_LEN && EVP_Digest(raw, ADMIN_SECRET_LEN, sha256,
						NULL, EVP_sha256(), NULL) == 1)
		rc = 0;
	OPENSSL_cleanse(raw, sizeof raw);
	return rc;
}

int admin_join_token_make(uint64_t id, char *out, size_t cap,
			  uint8_t sha256[32])
{
	char secret[ADMIN_SECRET_TEXT_LEN + 1];
	int n;

	if (id == 0 || admin_secret_new(secret, sizeof secret, sha256) != 0)
		return -1;
	n = snprintf(out, cap, "%llu.%s", (unsigned long long)id, secret);
	OPENSSL_cleanse(secret, sizeof secret);
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

int admin_join_token_parse(const char *text, size_t len, uint64_t *id,
			   uint8_t sha256[32])
{
	const char *dot = memchr(text, '.', len);
	uint64_t v = 0;

	if (!dot || dot == text || dot - text > 20)
		return -1;
	for (const char *p = text; p < dot; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v == 0)
		return -1;
	*id = v;
	return admin_secret_hash(dot + 1, len - (size_t)(dot + 1 - text),
				 sha256);
}

enum admin_token_verdict
admin_join_token_check(const struct store_join_token *rec, uint64_t id,
		       const uint8_t sha256[32], uint64_t now_ms,
		       const char *raft_host)
{
	/* Compare the secret first and always: the other answers must not
	 * tell a guesser anything the secret did not already prove. */
	int same = CRYPTO_memcmp(rec->secret_sha256, sha256, 32) == 0;
	char host[STORE_ADDR_MAX];
	unsigned port;

	if (!same || rec->node_id != id)
		return ADMIN_TOKEN_WRONG;
	if (now_ms >= rec->expires_ms)
		return ADMIN_TOKEN_EXPIRED;
	/* The token names a host; a stored "host:port" still means host. */
	if (addr_split(rec->host, ADDR_PORT_OPTIONAL, host, sizeof host,
		       &port) != 0 ||
	    strcasecmp(host, raft_host) != 0)
		return ADMIN_TOKEN_HOST;
	return ADMIN_TOKEN_OK;
}

int admin_basic_parse(const char *header, char *user, char *pw, size_t *pw_len)
{
	/* user:password of at most 63 + 1 + 256 bytes, base64: 428 chars. */
	uint8_t raw[ADMIN_NAME_MAX + 1 + ADMIN_PASSWORD_MAX + 1];
	const char *b64, *colon;
	size_t n, ulen;
	long dlen;
	int rc = -1;

	if (!header || strncasecmp(header, "Basic ", 6) != 0)
		return -1;
	b64 = header + 6;
	while (*b64 == ' ')
		b64++;
	n = strlen(b64);
	while (n > 0 && (b64[n - 1] == ' ' || b64[n - 1] == '\t'))
		n--;
	dlen = admin_b64_decode(b64, n, raw, sizeof raw - 1, 0);
	if (dlen <= 0)
		goto out;
	colon = memchr(raw, ':', (size_t)dlen);
	if (!colon)
		goto out;
	ulen = (size_t)(colon - (const char *)raw);
	if (ulen == 0 || ulen > ADMIN_NAME_MAX)
		goto out;
	memcpy(user, raw, ulen);
	user[ulen] = '\0';
	if (!admin_name_valid(user))
		goto out;
	*pw_len = (size_t)dlen - ulen - 1;
	if (*pw_len > ADMIN_PASSWORD_MAX ||
	    memchr(colon + 1, '\0', *pw_len) != NULL)
		goto out;
	memcpy(pw, colon + 1, *pw_len);
	pw[*pw_len] = '\0';
	rc = 0;
out:
	OPENSSL_cleanse(raw, sizeof raw);
	return rc;
}
