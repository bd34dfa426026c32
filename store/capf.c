/* capf (store): names, checks, the authentication-string hash, the
 * versioned encoding, reads and commands of the capf_ops table
 * (store/capf.h). Same rules as records_prov.c: a version byte first, a
 * strict decoder, an encoder that refuses what the decoder would. */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "store/capf.h"
#include "store/codec.h"
#include "store/internal.h"

enum { CAPF_OP_V = 1 };

#define STR_MAX(field_cap) (2 + (field_cap)-1)
_Static_assert(1 + 4 * 4 + 8 + STORE_CAPF_SALT_LEN + STORE_CAPF_HASH_LEN +
		       3 * 4 + STR_MAX(STORE_DESC_MAX) +
		       STR_MAX(STORE_CAPF_RESULT_MAX) +
		       STR_MAX(STORE_SERIAL_MAX) + 8 +
		       2 * STR_MAX(STORE_NAME_MAX) + 16 <=
		   STORE_RECORD_MAX,
	       "capf op record");

/* scrypt cost of the authentication-string hash: the string is short, so
 * the hash only slows down guessing by someone who has a copy of the
 * store; online guessing is stopped by max_tries. */
#define CAPF_SCRYPT_N 16384u
#define CAPF_SCRYPT_R 8u
#define CAPF_SCRYPT_P 1u

const char *store_capf_opkind_name(enum store_capf_opkind k)
{
	static const char *const n[] = {"none", "install", "delete",
					"troubleshoot"};

	return (unsigned)k < sizeof n / sizeof *n ? n[k] : "unknown";
}

int store_capf_opkind_parse(const char *name, enum store_capf_opkind *out)
{
	for (unsigned k = 0; k <= STORE_CAPF_OP_TROUBLESHOOT; k++) {
		if (strcasecmp(name, store_capf_opkind_name(k)) == 0) {
			*out = k;
			return STORE_OK;
		}
	}
	if (strcasecmp(name, "upgrade") == 0) {
		*out = STORE_CAPF_OP_INSTALL;
		return STORE_OK;
	}
	return STORE_EINVAL;
}

static const struct {
	const char *name;
	uint32_t type, bits;
} capf_keys[] = {
    {"rsa-1024", STORE_CAPF_KEY_RSA, 1024},
    {"rsa-2048", STORE_CAPF_KEY_RSA, 2048},
    {"rsa-4096", STORE_CAPF_KEY_RSA, 4096},
    {"ec-p256", STORE_CAPF_KEY_EC, 256},
    {"ec-p384", STORE_CAPF_KEY_EC, 384},
};

const char *store_capf_key_name(uint32_t type, uint32_t bits)
{
	for (size_t i = 0; i < sizeof capf_keys / sizeof *capf_keys; i++)
		if (capf_keys[i].type == type && capf_keys[i].bits == bits)
			return capf_keys[i].name;
	return NULL;
}

int store_capf_key_parse(const char *name, uint32_t *type, uint32_t *bits)
{
	for (size_t i = 0; i < sizeof capf_keys / sizeof *capf_keys; i++) {
		if (strcasecmp(name, capf_keys[i].name) == 0) {
			*type = capf_keys[i].type;
			*bits = capf_keys[i].bits;
			return STORE_OK;
		}
	}
	return STORE_EINVAL;
}

const char *store_capf_state_name(enum store_capf_state s)
{
	static const char *const n[] = {"pending", "in-progress", "done",
					"failed", "expired"};

	return (unsigned)s < sizeof n / sizeof *n ? n[s] : "unknown";
}

static int is_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static int check_fail(char *errmsg, size_t errcap, const char *why)
{
	if (errmsg && errcap)
		snprintf(errmsg, errcap, "%s", why);
	return STORE_EINVAL;
}

int store_capf_op_check(const struct store_capf_op *r, char *errmsg,
			size_t errcap)
{
	int has_hash = !is_zero(r->hash, sizeof r->hash);

	if (r->op > STORE_CAPF_OP_TROUBLESHOOT)
		return check_fail(errmsg, errcap, "unknown operation");
	if (r->auth > STORE_CAPF_AUTH_EXISTING_MIC)
		return check_fail(errmsg, errcap,
				  "unknown authentication mode");
	if (!store_capf_key_name(r->key_type, r->key_bits))
		return check_fail(errmsg, errcap,
				  "key must be rsa-1024, rsa-2048, rsa-4096, "
				  "ec-p256 or ec-p384");
	if (r->max_tries < 1 || r->max_tries > STORE_CAPF_TRIES_MAX)
		return check_fail(errmsg, errcap, "tries must be 1..100");
	if (r->state > STORE_CAPF_FAILED)
		return check_fail(errmsg, errcap, "unknown state");
	if (r->auth == STORE_CAPF_AUTH_STRING && r->op != STORE_CAPF_OP_NONE &&
	    !has_hash)
		return check_fail(errmsg, errcap,
				  "the string mode needs an authentication "
				  "string");
	if (r->auth != STORE_CAPF_AUTH_STRING && has_hash)
		return check_fail(errmsg, errcap,
				  "only the string mode has an authentication "
				  "string");
	if (r->serial[0] && !record_serial_valid(r->serial))
		return check_fail(errmsg, errcap, "bad serial");
	if (r->serial[0] &&
	    (r->state != STORE_CAPF_DONE || r->op != STORE_CAPF_OP_INSTALL))
		return check_fail(errmsg, errcap,
				  "a serial belongs to a done install");
	return STORE_OK;
}

enum store_capf_state store_capf_op_state_at(const struct store_capf_op *r,
					     uint64_t now_ms)
{
	if ((r->state == STORE_CAPF_PENDING ||
	     r->state == STORE_CAPF_IN_PROGRESS) &&
	    r->deadline_ms && now_ms > r->deadline_ms)
		return STORE_CAPF_EXPIRED;
	return r->state;
}

int store_capf_op_open(const struct store_capf_op *r, uint64_t now_ms)
{
	enum store_capf_state s = store_capf_op_state_at(r, now_ms);

	return r->op != STORE_CAPF_OP_NONE &&
	       (s == STORE_CAPF_PENDING || s == STORE_CAPF_IN_PROGRESS) &&
	       r->failed_tries < r->max_tries;
}

/* ---- the authentication string ----------------------------------------- */

int store_capf_string_valid(const char *s)
{
	size_t n = s ? strnlen(s, STORE_CAPF_STRING_MAX + 1) : 0;

	if (n < STORE_CAPF_STRING_MIN || n > STORE_CAPF_STRING_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int store_capf_string_generate(size_t len, char *out)
{
	if (len < STORE_CAPF_STRING_MIN || len > STORE_CAPF_STRING_MAX)
		return STORE_EINVAL;
	for (size_t i = 0; i < len;) {
		uint8_t b;

		if (RAND_bytes(&b, 1) != 1)
			return STORE_EIO;
		if (b >= 250) /* no bias: 250 = 25 * 10 */
			continue;
		out[i++] = (char)('0' + b % 10);
	}
	out[len] = '\0';
	return STORE_OK;
}

static int capf_scrypt(const char *s, const uint8_t *salt,
		       uint8_t out[STORE_CAPF_HASH_LEN])
{
	EVP_KDF *kdf;
	EVP_KDF_CTX *ctx;
	OSSL_PARAM params[6], *q = params;
	uint64_t n = CAPF_SCRYPT_N;
	uint32_t r = CAPF_SCRYPT_R, p = CAPF_SCRYPT_P;
	int rc = STORE_ENOMEM;

	kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_SCRYPT, NULL);
	if (!kdf)
		return STORE_ENOMEM;
	ctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (!ctx)
		return STORE_ENOMEM;
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
						 (void *)s, strlen(s));
	*q++ = OSSL_PARAM_construct_octet_string(
	    OSSL_KDF_PARAM_SALT, (void *)salt, STORE_CAPF_SALT_LEN);
	*q++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
	*q++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p);
	*q = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, STORE_CAPF_HASH_LEN, params) == 1)
		rc = STORE_OK;
	EVP_KDF_CTX_free(ctx);
	return rc;
}

int store_capf_auth_hash(struct store_capf_op *r, const char *s)
{
	if (!store_capf_string_valid(s))
		return STORE_EINVAL;
	if (RAND_bytes(r->salt, sizeof r->salt) != 1)
		return STORE_EIO;
	return capf_scrypt(s, r->salt, r->hash);
}

int store_capf_auth_check(const struct store_capf_op *r, const char *s)
{
	uint8_t h[STORE_CAPF_HASH_LEN];
	int ok;

	if (!store_capf_string_valid(s) || is_zero(r->hash, sizeof r->hash))
		return 0;
	if (capf_scrypt(s, r->salt, h) != STORE_OK)
		return 0;
	ok = CRYPTO_memcmp(h, r->hash, sizeof h) == 0;
	OPENSSL_cleanse(h, sizeof h);
	return ok;
}

/* ---- codec -------------------------------------------------------------- */

int store_capf_op_encode(const struct store_capf_op *r, void *buf, size_t cap,
			 size_t *len)
{
	struct codec_w w;

	if (store_capf_op_check(r, NULL, 0))
		return STORE_EINVAL;
	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, CAPF_OP_V);
	codec_put_u32(&w, r->op);
	codec_put_u32(&w, r->auth);
	codec_put_u32(&w, r->key_type);
	codec_put_u32(&w, r->key_bits);
	codec_put_u64(&w, r->deadline_ms);
	codec_put_bytes(&w, r->salt, sizeof r->salt);
	codec_put_bytes(&w, r->hash, sizeof r->hash);
	codec_put_u32(&w, r->max_tries);
	codec_put_u32(&w, r->failed_tries);
	codec_put_u32(&w, r->state);
	codec_put_str(&w, r->reason, sizeof r->reason);
	codec_put_str(&w, r->result, sizeof r->result);
	codec_put_str(&w, r->serial, sizeof r->serial);
	codec_put_u64(&w, r->not_after_s);
	codec_put_str(&w, r->batch, sizeof r->batch);
	codec_put_str(&w, r->by, sizeof r->by);
	codec_put_u64(&w, r->created_ms);
	codec_put_u64(&w, r->changed_ms);
	return record_result(&w, len);
}

int store_capf_op_decode(const void *buf, size_t len, struct store_capf_op *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, CAPF_OP_V, &ver)))
		return rc;
	r->op = codec_get_u32(&rd);
	r->auth = codec_get_u32(&rd);
	r->key_type = codec_get_u32(&rd);
	r->key_bits = codec_get_u32(&rd);
	r->deadline_ms = codec_get_u64(&rd);
	codec_get_bytes(&rd, r->salt, sizeof r->salt);
	codec_get_bytes(&rd, r->hash, sizeof r->hash);
	r->max_tries = codec_get_u32(&rd);
	r->failed_tries = codec_get_u32(&rd);
	r->state = codec_get_u32(&rd);
	codec_get_str(&rd, r->reason, sizeof r->reason);
	codec_get_str(&rd, r->result, sizeof r->result);
	codec_get_str(&rd, r->serial, sizeof r->serial);
	r->not_after_s = codec_get_u64(&rd);
	codec_get_str(&rd, r->batch, sizeof r->batch);
	codec_get_str(&rd, r->by, sizeof r->by);
	r->created_ms = codec_get_u64(&rd);
	r->changed_ms = codec_get_u64(&rd);
	if ((rc = record_end(&rd)) == STORE_OK &&
	    store_capf_op_check(r, NULL, 0) != STORE_OK)
		rc = STORE_ECORRUPT;
	if (rc)
		memset(r, 0, sizeof *r);
	return rc;
}

/* ---- reads -------------------------------------------------------------- */

static int capf_op_from_kv(const void *key, size_t klen, const void *val,
			   size_t vlen, struct store_capf_op *out)
{
	int rc;

	if (klen == 0 || klen >= STORE_NAME_MAX ||
	    memchr(key, '\0', klen) != NULL) {
		memset(out, 0, sizeof *out);
		return STORE_ECORRUPT;
	}
	if ((rc = store_capf_op_decode(val, vlen, out)))
		return rc;
	memcpy(out->device, key, klen);
	out->device[klen] = '\0';
	return STORE_OK;
}

int store_capf_op_get(struct store_read *r, const char *device,
		      struct store_capf_op *out)
{
	size_t klen = store_name_key_len(device), n;
	const void *v;
	int rc;

	memset(out, 0, sizeof *out);
	if (klen == 0)
		return STORE_EINVAL;
	if ((rc = store_get(r, STORE_T_CAPF_OPS, device, klen, &v, &n)))
		return rc;
	return capf_op_from_kv(device, klen, v, n, out);
}

STORE_EACH_RECORD(capf_op, STORE_T_CAPF_OPS, struct store_capf_op)

/* ---- commands ----------------------------------------------------------- */

int store_cmd_put_capf_op(struct store_cmd *c, const struct store_capf_op *old,
			  const struct store_capf_op *next)
{
	uint8_t a[STORE_RECORD_MAX], b[STORE_RECORD_MAX];
	size_t klen = store_name_key_len(next->device), na, nb;
	int rc;

	if (klen == 0)
		return STORE_EINVAL;
	if ((rc = store_capf_op_encode(next, b, sizeof b, &nb)))
		return rc;
	if (!old)
		return store_cmd_op(c, STORE_OP_PUT, STORE_T_CAPF_OPS,
				    next->device, klen, b, nb);
	if (strcmp(old->device, next->device) != 0)
		return STORE_EINVAL;
	if ((rc = store_capf_op_encode(old, a, sizeof a, &na)))
		return rc;
	return cmd_guarded_put(c, STORE_T_CAPF_OPS, next->device, klen, a, na,
			       b, nb);
}

int store_cmd_del_capf_op(struct store_cmd *c, const char *device)
{
	size_t klen = store_name_key_len(device);

	if (klen == 0)
		return STORE_EINVAL;
	return store_cmd_op(c, STORE_OP_DEL, STORE_T_CAPF_OPS, device, klen,
			    NULL, 0);
}
