/* lsc: public-key checks, LSC issuing and the authentication signatures of
 * a device (lsc.h). */
#include "pki/lsc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

static int fail(char *why, size_t cap, const char *msg)
{
	if (why && cap)
		snprintf(why, cap, "%s", msg);
	return -1;
}

int pki_lsc_pubkey_check(const uint8_t *der, size_t len, uint32_t key_type,
			 uint32_t bits, EVP_PKEY **out, char *why,
			 size_t whycap)
{
	const unsigned char *p = der;
	EVP_PKEY *k;
	char group[32] = "";
	size_t glen = 0;

	*out = NULL;
	if (len == 0 || len > 4096)
		return fail(why, whycap, "public key of a bad size");
	k = d2i_PUBKEY(NULL, &p, (long)len);
	if (!k || p != der + len) {
		EVP_PKEY_free(k);
		return fail(why, whycap, "not a DER public key");
	}
	if (key_type == 0) {
		BIGNUM *e = NULL;
		int ok = EVP_PKEY_is_a(k, "RSA") &&
			 EVP_PKEY_get_bits(k) == (int)bits &&
			 EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e) &&
			 BN_is_word(e, 65537);

		BN_free(e);
		if (!ok) {
			EVP_PKEY_free(k);
			return fail(why, whycap,
				    "not the RSA key asked for (size or "
				    "exponent)");
		}
	} else {
		const char *want = bits == 256 ? "prime256v1" : "secp384r1";

		if (!EVP_PKEY_is_a(k, "EC") ||
		    !EVP_PKEY_get_utf8_string_param(
			k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
			&glen) ||
		    strcmp(group, want) != 0) {
			EVP_PKEY_free(k);
			return fail(why, whycap,
				    "not an EC key on the curve asked for");
		}
	}
	*out = k;
	return 0;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -1;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

int pki_lsc_issue(X509 *ca_cert, EVP_PKEY *ca_key, EVP_PKEY *pub,
		  const char *device, unsigned days, X509 **out, char *why,
		  size_t whycap)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	BIGNUM *bn = BN_new();
	ASN1_INTEGER *serial = NULL;
	uint8_t rnd[16];
	char san[96];
	int rc = -1;

	*out = NULL;
	if (!x || !name || !bn || RAND_bytes(rnd, sizeof rnd) != 1)
		goto out;
	rnd[0] &= 0x7f; /* positive, at most 127 bits */
	rnd[0] |= 0x40; /* and never short */
	if (!BN_bin2bn(rnd, sizeof rnd, bn) ||
	    !(serial = BN_to_ASN1_INTEGER(bn, NULL)) ||
	    !X509_set_version(x, X509_VERSION_3) ||
	    !X509_set_serialNumber(x, serial))
		goto out;
	if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
					(const unsigned char *)"ward", -1, -1,
					0) ||
	    !X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_ASC,
					(const unsigned char *)"lsc", -1, -1,
					0) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					(const unsigned char *)device, -1, -1,
					0) ||
	    !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca_cert)))
		goto out;
	if (!X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL))
		goto out;
	if (ASN1_TIME_compare(X509_get0_notAfter(x),
			      X509_get0_notAfter(ca_cert)) > 0 &&
	    !X509_set1_notAfter(x, X509_get0_notAfter(ca_cert)))
		goto out;
	if (!X509_set_pubkey(x, pub))
		goto out;
	snprintf(san, sizeof san, "URI:%s", device);
	if (add_ext(x, ca_cert, NID_basic_constraints, "critical,CA:FALSE") ||
	    add_ext(x, ca_cert, NID_key_usage,
		    EVP_PKEY_is_a(pub, "RSA")
			? "critical,digitalSignature,keyEncipherment"
			: "critical,digitalSignature") ||
	    add_ext(x, ca_cert, NID_ext_key_usage, "serverAuth,clientAuth") ||
	    add_ext(x, ca_cert, NID_subject_key_identifier, "hash") ||
	    add_ext(x, ca_cert, NID_authority_key_identifier, "keyid") ||
	    add_ext(x, ca_cert, NID_subject_alt_name, san))
		goto out;
	if (X509_sign(x, ca_key, EVP_sha256()) <= 0)
		goto out;
	*out = x;
	x = NULL;
	rc = 0;
out:
	if (rc)
		fail(why, whycap, "issuing the LSC failed");
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	X509_NAME_free(name);
	X509_free(x);
	return rc;
}

static int verify_one(EVP_PKEY *key, const EVP_MD *md, const uint8_t *data,
		      size_t len, const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
		 EVP_DigestVerify(ctx, sig, sig_len, data, len) == 1;

	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

int pki_lsc_auth_sig_verify(X509 *cert, const char *device, const uint8_t *sig1,
			    size_t sig1_len, const uint8_t *sig512,
			    size_t sig512_len, char *why, size_t whycap)
{
	EVP_PKEY *key = X509_get0_pubkey(cert);
	unsigned char *der = NULL;
	uint8_t *data;
	size_t dn = strlen(device), len;
	int n, rc = -1;

	if (!sig1 || !sig512)
		return fail(why, whycap,
			    "both signed data elements (6 and 20) are needed");
	if (!key || (n = i2d_X509(cert, &der)) <= 0)
		return fail(why, whycap, "unusable certificate");
	len = dn + 1 + (size_t)n;
	data = malloc(len);
	if (data) {
		memcpy(data, device, dn + 1);
		memcpy(data + dn + 1, der, (size_t)n);
		if (verify_one(key, EVP_sha1(), data, len, sig1, sig1_len))
			fail(why, whycap,
			     "the SHA-1 signature does not verify");
		else if (verify_one(key, EVP_sha512(), data, len, sig512,
				    sig512_len))
			fail(why, whycap,
			     "the SHA-512 signature does not verify");
		else
			rc = 0;
	} else {
		fail(why, whycap, "out of memory");
	}
	free(data);
	OPENSSL_free(der);
	return rc;
}
