/* relay_ossl: HMAC-SHA1 and AES-128 counter mode for libsrtp2's AES_CM
 * suites on OpenSSL (EVP_MAC, EVP_CIPHER), registered in place of the
 * library's own. Debian builds libsrtp2 on NSS, whose primitives go through
 * the PKCS#11 soft token on every packet (context set-up, locks,
 * allocations): about two thirds of the relay's time for
 * AES_CM_128_HMAC_SHA1_80. Here each SRTP stream keeps one keyed OpenSSL
 * context per primitive, and a packet costs a re-init with a new IV or a
 * copy of the keyed HMAC state. libsrtp2 checks each replacement against
 * its own test vectors and ours (RFC 2202 case 1, RFC 3711 B.2) before it
 * takes it; the GCM suites stay on libsrtp2's own code. */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>

#include "node/keymgr/relay_int.h"

#define HMAC_SHA1_LEN 20

static EVP_MAC *hmac_mac; /* owned for the process's life */

struct hmac_state {
	EVP_MAC_CTX *ctx; /* owned */
};

/* RFC 2202, test case 1. */
static const uint8_t tc1_key[20] = {0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
				    0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
				    0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b};
static const uint8_t tc1_data[8] = {'H', 'i', ' ', 'T', 'h', 'e', 'r', 'e'};
static const uint8_t tc1_tag[20] = {0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72,
				    0x64, 0xe2, 0x8b, 0xc0, 0xb6, 0xfb, 0x37,
				    0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00};
static const srtp_auth_test_case_t tc1 = {
    sizeof tc1_key, tc1_key, sizeof tc1_data, tc1_data, sizeof tc1_tag,
    tc1_tag,	    NULL};

static const srtp_auth_type_t hmac_type;

static srtp_err_status_t hmac_alloc(srtp_auth_t **out, int key_len, int out_len)
{
	srtp_auth_t *a;
	struct hmac_state *st;

	if (key_len < 0 || key_len > 64 || out_len < 0 ||
	    out_len > HMAC_SHA1_LEN)
		return srtp_err_status_bad_param;
	a = calloc(1, sizeof *a + sizeof *st);
	if (!a)
		return srtp_err_status_alloc_fail;
	st = (struct hmac_state *)(a + 1);
	st->ctx = EVP_MAC_CTX_new(hmac_mac);
	if (!st->ctx) {
		free(a);
		return srtp_err_status_alloc_fail;
	}
	a->type = &hmac_type;
	a->state = st;
	a->out_len = out_len;
	a->key_len = key_len;
	a->prefix_len = 0;
	*out = a;
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_dealloc(srtp_auth_t *a)
{
	struct hmac_state *st = a->state;

	EVP_MAC_CTX_free(st->ctx); /* cleanses the keyed state */
	OPENSSL_cleanse(a, sizeof *a + sizeof *st);
	free(a);
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_init(void *state, const uint8_t *key, int key_len)
{
	struct hmac_state *st = state;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA1", 0),
	    OSSL_PARAM_construct_end()};

	if (EVP_MAC_init(st->ctx, key, (size_t)key_len, params) != 1)
		return srtp_err_status_auth_fail;
	return srtp_err_status_ok;
}

/* Back to the keyed start: OpenSSL's HMAC keeps the key across inits. */
static srtp_err_status_t hmac_start(void *state)
{
	struct hmac_state *st = state;

	return EVP_MAC_init(st->ctx, NULL, 0, NULL) == 1
		   ? srtp_err_status_ok
		   : srtp_err_status_auth_fail;
}

static srtp_err_status_t hmac_update(void *state, const uint8_t *buf, int len)
{
	struct hmac_state *st = state;

	return EVP_MAC_update(st->ctx, buf, (size_t)len) == 1
		   ? srtp_err_status_ok
		   : srtp_err_status_auth_fail;
}

static srtp_err_status_t hmac_compute(void *state, const uint8_t *buf, int len,
				      int tag_len, uint8_t *tag)
{
	struct hmac_state *st = state;
	uint8_t full[HMAC_SHA1_LEN];
	size_t n = 0;
	srtp_err_status_t rc = srtp_err_status_auth_fail;

	if (tag_len < 0 || tag_len > HMAC_SHA1_LEN)
		return srtp_err_status_bad_param;
	if (EVP_MAC_update(st->ctx, buf, (size_t)len) == 1 &&
	    EVP_MAC_final(st->ctx, full, &n, sizeof full) == 1 &&
	    n == HMAC_SHA1_LEN) {
		memcpy(tag, full, (size_t)tag_len);
		rc = srtp_err_status_ok;
	}
	OPENSSL_cleanse(full, sizeof full);
	/* Ready for the next packet even if the caller skips start. */
	if (rc == srtp_err_status_ok)
		rc = hmac_start(state);
	return rc;
}

static const srtp_auth_type_t hmac_type = {hmac_alloc,
					   hmac_dealloc,
					   hmac_init,
					   hmac_compute,
					   hmac_update,
					   hmac_start,
					   "HMAC-SHA1 (OpenSSL EVP_MAC, ward)",
					   &tc1,
					   SRTP_HMAC_SHA1};

/* AES-128 in SRTP's integer counter mode: the key is 16 bytes of AES key
 * then the 14-byte salt; an IV from libsrtp2 is XORed with the salt
 * (RFC 3711 4.1.1). OpenSSL's CTR mode counts over all 128 bits where
 * SRTP counts over the low 16: the same for any packet under 1 MiB. */
#define ICM_KEY 16
#define ICM_SALT 14

struct icm_state {
	EVP_CIPHER_CTX *ctx; /* owned */
	uint8_t salt[16];    /* salt, then two zero bytes */
};

static EVP_CIPHER *icm_cipher; /* owned for the process's life */

/* RFC 3711 B.2: the first 32 bytes of keystream for this key and salt. */
static const uint8_t b2_key[ICM_KEY + ICM_SALT] = {
    0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7,
    0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c, 0xf0, 0xf1, 0xf2, 0xf3,
    0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd};
static uint8_t b2_idx[16];
static const uint8_t b2_zeros[32];
static const uint8_t b2_stream[32] = {
    0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1,
    0x6d, 0xd9, 0x2b, 0x4e, 0xb4, 0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02,
    0xd0, 0xf7, 0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab};
static const srtp_cipher_test_case_t b2 = {sizeof b2_key, b2_key,
					   b2_idx,	  sizeof b2_zeros,
					   b2_zeros,	  sizeof b2_stream,
					   b2_stream,	  0,
					   NULL,	  0,
					   NULL};

static const srtp_cipher_type_t icm_type;

static srtp_err_status_t icm_alloc(srtp_cipher_t **out, int key_len,
				   int tag_len)
{
	srtp_cipher_t *c;
	struct icm_state *st;

	(void)tag_len;
	if (key_len != ICM_KEY + ICM_SALT)
		return srtp_err_status_bad_param;
	c = calloc(1, sizeof *c + sizeof *st);
	if (!c)
		return srtp_err_status_alloc_fail;
	st = (struct icm_state *)(c + 1);
	st->ctx = EVP_CIPHER_CTX_new();
	if (!st->ctx) {
		free(c);
		return srtp_err_status_alloc_fail;
	}
	c->type = &icm_type;
	c->state = st;
	c->key_len = key_len;
	c->algorithm = SRTP_AES_ICM_128;
	*out = c;
	return srtp_err_status_ok;
}

static srtp_err_status_t icm_dealloc(srtp_cipher_t *c)
{
	struct icm_state *st = c->state;

	EVP_CIPHER_CTX_free(st->ctx); /* cleanses the key schedule */
	OPENSSL_cleanse(c, sizeof *c + sizeof *st);
	free(c);
	return srtp_err_status_ok;
}

static srtp_err_status_t icm_init(void *state, const uint8_t *key)
{
	struct icm_state *st = state;

	memset(st->salt, 0, sizeof st->salt);
	memcpy(st->salt, key + ICM_KEY, ICM_SALT);
	if (EVP_EncryptInit_ex2(st->ctx, icm_cipher, key, NULL, NULL) != 1)
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t icm_set_iv(void *state, uint8_t *iv,
				    srtp_cipher_direction_t direction)
{
	struct icm_state *st = state;
	uint8_t ctr[16];

	(void)direction; /* counter mode: the same both ways */
	for (int i = 0; i < 16; i++)
		ctr[i] = st->salt[i] ^ iv[i];
	if (EVP_EncryptInit_ex2(st->ctx, NULL, NULL, ctr, NULL) != 1)
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t icm_crypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct icm_state *st = state;
	int out = 0;

	if (*len > INT32_MAX ||
	    EVP_EncryptUpdate(st->ctx, buf, &out, buf, (int)*len) != 1 ||
	    (unsigned int)out != *len)
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

static const srtp_cipher_type_t icm_type = {
    icm_alloc,
    icm_dealloc,
    icm_init,
    NULL,
    icm_crypt,
    icm_crypt,
    icm_set_iv,
    NULL,
    "AES-128 counter mode (OpenSSL EVP, ward)",
    &b2,
    SRTP_AES_ICM_128};

int relay_ossl_register(void)
{
	int rc = 0;

	hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!hmac_mac || srtp_replace_auth_type(&hmac_type, SRTP_HMAC_SHA1) !=
			     srtp_err_status_ok)
		rc = -1;
	icm_cipher = EVP_CIPHER_fetch(NULL, "AES-128-CTR", NULL);
	if (!icm_cipher ||
	    srtp_replace_cipher_type(&icm_type, SRTP_AES_ICM_128) !=
		srtp_err_status_ok)
		rc = -1;
	return rc;
}
