/* test_pki_lsc: the LSC of a device (pki/lsc.h) — the public key a
 * phone returns must be the one asked for, the LSC carries the device's
 * name and the usages SIP TLS needs, and the certificate-mode signatures
 * verify only over the device name, a NUL and that certificate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "pki/lsc.h"
#include "pki/pki.h"

struct fx {
	EVP_PKEY *ca_key;
	X509 *ca;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	if (!f || pki_key_generate(PKI_KEY_ECDSA_P256, &f->ca_key) != 0 ||
	    pki_ca_create(f->ca_key, "11111111-2222-3333-4444-555555555555",
			  "test", 0, &f->ca, NULL, 0) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	X509_free(f->ca);
	EVP_PKEY_free(f->ca_key);
	free(f);
	return 0;
}

static int spki(EVP_PKEY *k, uint8_t **der)
{
	*der = NULL;
	return i2d_PUBKEY(k, der);
}

static void test_pubkey_must_be_the_type_and_size_asked_for(void **state)
{
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	EVP_PKEY *out;
	uint8_t *d1, *d2;
	int n1 = spki(ec, &d1), n2 = spki(rsa, &d2);
	char why[128];

	(void)state;
	assert_int_equal(
	    pki_lsc_pubkey_check(d1, n1, 1, 256, &out, why, sizeof why), 0);
	EVP_PKEY_free(out);
	assert_int_equal(
	    pki_lsc_pubkey_check(d1, n1, 1, 384, &out, why, sizeof why), -1);
	assert_int_equal(
	    pki_lsc_pubkey_check(d1, n1, 0, 2048, &out, why, sizeof why), -1);
	assert_int_equal(
	    pki_lsc_pubkey_check(d2, n2, 0, 1024, &out, why, sizeof why), 0);
	EVP_PKEY_free(out);
	assert_int_equal(
	    pki_lsc_pubkey_check(d2, n2, 0, 2048, &out, why, sizeof why), -1);
	/* trailing garbage, truncation */
	assert_int_equal(
	    pki_lsc_pubkey_check(d1, n1 - 1, 1, 256, &out, why, sizeof why),
	    -1);
	assert_null(out);
	OPENSSL_free(d1);
	OPENSSL_free(d2);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
}

static void test_lsc_names_the_device_and_chains_to_the_ca(void **state)
{
	struct fx *f = *state;
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *lsc;
	X509_STORE *trust;
	GENERAL_NAMES *san;
	char cn[64], why[128];

	assert_int_equal(pki_lsc_issue(f->ca, f->ca_key, k, "SEP001122334455",
				       365, &lsc, why, sizeof why),
			 0);
	X509_NAME_get_text_by_NID(X509_get_subject_name(lsc), NID_commonName,
				  cn, sizeof cn);
	assert_string_equal(cn, "SEP001122334455");
	assert_int_equal(pki_trust_new(&f->ca, 1, &trust), 0);
	assert_int_equal(pki_verify(trust, lsc, NULL, 0, why, sizeof why), 0);
	assert_true(X509_get_extended_key_usage(lsc) & XKU_SSL_CLIENT);
	assert_true(X509_get_extended_key_usage(lsc) & XKU_SSL_SERVER);
	san = X509_get_ext_d2i(lsc, NID_subject_alt_name, NULL, NULL);
	assert_non_null(san);
	assert_int_equal(sk_GENERAL_NAME_num(san), 1);
	assert_int_equal(sk_GENERAL_NAME_value(san, 0)->type, GEN_URI);
	assert_string_equal(
	    ASN1_STRING_get0_data(
		sk_GENERAL_NAME_value(san, 0)->d.uniformResourceIdentifier),
	    "SEP001122334455");
	assert_int_equal(X509_check_ca(lsc), 0);
	GENERAL_NAMES_free(san);
	X509_STORE_free(trust);
	X509_free(lsc);
	EVP_PKEY_free(k);
}

static size_t sign(EVP_PKEY *k, const EVP_MD *md, const uint8_t *d, size_t n,
		   uint8_t *sig)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	size_t len = 1024;

	assert_int_equal(EVP_DigestSignInit(c, NULL, md, NULL, k), 1);
	assert_int_equal(EVP_DigestSign(c, sig, &len, d, n), 1);
	EVP_MD_CTX_free(c);
	return len;
}

static void test_signed_data_covers_name_nul_and_certificate(void **state)
{
	struct fx *f = *state;
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	uint8_t data[4096], s1[256], s2[256], *der = NULL;
	const char *dev = "SEP001122334455";
	size_t n, l1, l2;
	X509 *lsc;
	char why[128];
	int dn;

	assert_int_equal(
	    pki_lsc_issue(f->ca, f->ca_key, k, dev, 365, &lsc, why, sizeof why),
	    0);
	dn = i2d_X509(lsc, &der);
	memcpy(data, dev, strlen(dev) + 1);
	memcpy(data + strlen(dev) + 1, der, dn);
	n = strlen(dev) + 1 + dn;
	l1 = sign(k, EVP_sha1(), data, n, s1);
	l2 = sign(k, EVP_sha512(), data, n, s2);
	assert_int_equal(
	    pki_lsc_auth_sig_verify(lsc, dev, s1, l1, s2, l2, why, sizeof why),
	    0);
	/* another device name, a swapped digest, a missing element */
	assert_int_equal(pki_lsc_auth_sig_verify(lsc, "SEP001122334456", s1, l1,
						 s2, l2, why, sizeof why),
			 -1);
	assert_int_equal(
	    pki_lsc_auth_sig_verify(lsc, dev, s2, l2, s1, l1, why, sizeof why),
	    -1);
	assert_int_equal(
	    pki_lsc_auth_sig_verify(lsc, dev, NULL, 0, s2, l2, why, sizeof why),
	    -1);
	OPENSSL_free(der);
	X509_free(lsc);
	EVP_PKEY_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pubkey_must_be_the_type_and_size_asked_for),
	    cmocka_unit_test(test_lsc_names_the_device_and_chains_to_the_ca),
	    cmocka_unit_test(test_signed_data_covers_name_nul_and_certificate),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
