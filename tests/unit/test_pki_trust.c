/* test_pki_trust: the trust-store helpers — PEM and DER only, a clear
 * refusal of everything else, c_rehash names as openssl computes them,
 * fingerprints, names, serials and export. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "test_pki_fixture.h"

struct fx {
	char *dir;
	EVP_PKEY *key;	   /* EC: the CA's */
	X509 *ca;	   /* EC CA */
	EVP_PKEY *rsa_key; /* RSA: a leaf's */
	X509 *leaf;	   /* HTTPS, RSA key, signed by ca */
	char err[512];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	f->dir = pki_fx_tmpdir();
	f->ca = pki_fx_ca(PKI_KEY_ECDSA_P256, &f->key);
	if (!f->dir || !f->ca || pki_key_generate(PKI_KEY_RSA2048, &f->rsa_key))
		return -1;
	f->leaf = pki_fx_issue(f->ca, f->key, f->rsa_key, PKI_ROLE_HTTPS, 0);
	if (!f->leaf)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	X509_free(f->leaf);
	X509_free(f->ca);
	EVP_PKEY_free(f->key);
	EVP_PKEY_free(f->rsa_key);
	pki_fx_rmdir(f->dir);
	free(f);
	return 0;
}

/* Parses BUF as one certificate, expects a refusal whose message holds
 * WANT. */
static void expect_refused(struct fx *f, const void *buf, size_t len,
			   const char *want)
{
	X509 *x = (X509 *)1;

	f->err[0] = '\0';
	assert_int_equal(pki_cert_parse(buf, len, &x, f->err, sizeof f->err),
			 PKI_EFORMAT);
	assert_null(x);
	if (!strstr(f->err, want))
		fail_msg("\"%s\" does not say \"%s\"", f->err, want);
}

static uint8_t *der_of(X509 *x, size_t *len)
{
	uint8_t *der;

	assert_int_equal(pki_cert_to_der(x, &der, len), 0);
	return der;
}

/* ---- accepted --------------------------------------------------------- */

static void test_pem_and_der_certificates_are_accepted(void **state)
{
	struct fx *f = *state;
	X509 *certs[] = {f->ca, f->leaf};
	char *pem, *text;
	uint8_t *der, *der2;
	size_t len, len2;
	X509 *x;

	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(pki_cert_to_pem(certs[i], &pem, &len), 0);
		assert_int_equal(len, strlen(pem));
		assert_int_equal(
		    pki_cert_parse(pem, len, &x, f->err, sizeof f->err), 0);
		assert_int_equal(X509_cmp(x, certs[i]), 0);
		X509_free(x);
		/* Explanatory text around the block (RFC 7468), as
		 * `openssl x509 -text` writes it. */
		assert_true(asprintf(&text,
				     "Certificate:\n  Data: ...\n%s\n"
				     "trailing words\n",
				     pem) > 0);
		assert_int_equal(pki_cert_parse(text, strlen(text), &x, f->err,
						sizeof f->err),
				 0);
		assert_int_equal(X509_cmp(x, certs[i]), 0);
		X509_free(x);
		free(text);
		free(pem);

		/* DER, and export gives back the same bytes. */
		der = der_of(certs[i], &len);
		assert_int_equal(der[0], 0x30);
		assert_int_equal(
		    pki_cert_parse(der, len, &x, f->err, sizeof f->err), 0);
		der2 = der_of(x, &len2);
		assert_int_equal(len, len2);
		assert_memory_equal(der, der2, len);
		X509_free(x);
		free(der);
		free(der2);
	}
}

static void test_a_bundle_is_accepted_only_when_asked_for(void **state)
{
	struct fx *f = *state;
	char *a, *b, *both;
	size_t la, lb;
	STACK_OF(X509) * sk;
	X509 *x;

	assert_int_equal(pki_cert_to_pem(f->ca, &a, &la), 0);
	assert_int_equal(pki_cert_to_pem(f->leaf, &b, &lb), 0);
	assert_true(asprintf(&both, "%s%s", a, b) > 0);
	expect_refused(f, both, la + lb, "2 certificates");
	assert_int_equal(
	    pki_certs_parse(both, la + lb, &sk, f->err, sizeof f->err), 0);
	assert_int_equal(sk_X509_num(sk), 2);
	assert_int_equal(X509_cmp(sk_X509_value(sk, 0), f->ca), 0);
	assert_int_equal(X509_cmp(sk_X509_value(sk, 1), f->leaf), 0);
	sk_X509_pop_free(sk, X509_free);
	/* A bundle of one is a certificate. */
	assert_int_equal(pki_certs_parse(a, la, &sk, f->err, sizeof f->err), 0);
	assert_int_equal(sk_X509_num(sk), 1);
	sk_X509_pop_free(sk, X509_free);
	assert_int_equal(pki_cert_parse(a, la, &x, f->err, sizeof f->err), 0);
	X509_free(x);
	free(a);
	free(b);
	free(both);
}

/* ---- refused ---------------------------------------------------------- */

static void test_pkcs12_is_refused_saying_so(void **state)
{
	struct fx *f = *state;
	PKCS12 *p12;
	unsigned char *der = NULL;
	int len;

	p12 = PKCS12_create("secret", "node1", f->rsa_key, f->leaf, NULL, 0, 0,
			    0, 0, 0);
	assert_non_null(p12);
	len = i2d_PKCS12(p12, &der);
	assert_true(len > 0);
	expect_refused(f, der, (size_t)len, "PKCS#12");
	OPENSSL_free(der);
	PKCS12_free(p12);
}

static void test_private_keys_are_refused_in_any_form(void **state)
{
	struct fx *f = *state;
	char *key_pem, *cert_pem, *both;
	uint8_t *der;
	size_t kl, cl, dl;
	BIO *bio;
	BUF_MEM *mem;

	assert_int_equal(pki_key_to_pem(f->rsa_key, &key_pem, &kl), 0);
	expect_refused(f, key_pem, kl, "private key");
	/* A certificate with its key in one file: refused as a whole. */
	assert_int_equal(pki_cert_to_pem(f->leaf, &cert_pem, &cl), 0);
	assert_true(asprintf(&both, "%s%s", cert_pem, key_pem) > 0);
	expect_refused(f, both, cl + kl, "PEM block 2 is a private key");
	free(both);
	free(cert_pem);
	pki_secret_free(key_pem, kl);
	/* The traditional "EC PRIVATE KEY" form. */
	bio = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_PrivateKey_traditional(
			     bio, f->key, NULL, NULL, 0, NULL, NULL),
			 1);
	BIO_get_mem_ptr(bio, &mem);
	assert_non_null(memmem(mem->data, mem->length, "EC PRIVATE KEY", 14));
	expect_refused(f, mem->data, mem->length, "private key");
	BIO_free(bio);
	/* DER PKCS#8. */
	assert_int_equal(pki_key_to_pkcs8(f->rsa_key, &der, &dl), 0);
	expect_refused(f, der, dl, "private key");
	pki_secret_free(der, dl);
}

static void test_other_objects_are_named(void **state)
{
	struct fx *f = *state;
	X509_REQ *req = X509_REQ_new();
	unsigned char *der = NULL;
	uint8_t *pub;
	size_t pl;
	BIO *bio;
	BUF_MEM *mem;
	char *path, *out;
	int len;

	/* Public key, PEM and DER. */
	bio = BIO_new(BIO_s_mem());
	PEM_write_bio_PUBKEY(bio, f->key);
	BIO_get_mem_ptr(bio, &mem);
	expect_refused(f, mem->data, mem->length, "a public key");
	BIO_free(bio);
	assert_int_equal(pki_pubkey_to_der(f->key, &pub, &pl), 0);
	expect_refused(f, pub, pl, "a public key");
	free(pub);

	/* Certificate request, PEM and DER. */
	X509_REQ_set_pubkey(req, f->key);
	X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN",
				   MBSTRING_ASC, (unsigned char *)"x", -1, -1,
				   0);
	assert_true(X509_REQ_sign(req, f->key, EVP_sha256()) > 0);
	bio = BIO_new(BIO_s_mem());
	PEM_write_bio_X509_REQ(bio, req);
	BIO_get_mem_ptr(bio, &mem);
	expect_refused(f, mem->data, mem->length, "certificate request");
	BIO_free(bio);
	len = i2d_X509_REQ(req, &der);
	expect_refused(f, der, (size_t)len, "certificate request");
	OPENSSL_free(der);
	X509_REQ_free(req);

	/* PKCS#7, DER, made by the openssl tool. */
	path = pki_fx_write_cert(f->dir, "p7in.pem", f->ca);
	out = pki_fx_run("openssl crl2pkcs7 -nocrl -certfile %s -outform DER "
			 "-out %s/p7.der && echo ok",
			 path, f->dir);
	assert_non_null(out);
	free(out);
	free(path);
	{
		char p[512];
		FILE *fp;
		uint8_t buf[8192];
		size_t n;

		snprintf(p, sizeof p, "%s/p7.der", f->dir);
		fp = fopen(p, "rb");
		assert_non_null(fp);
		n = fread(buf, 1, sizeof buf, fp);
		fclose(fp);
		expect_refused(f, buf, n, "PKCS#7");
	}
	/* A PEM block of a type nobody uses here. */
	{
		static const char foo[] =
		    "-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n";

		expect_refused(f, foo, strlen(foo), "of type \"FOO\"");
	}
}

static void test_garbage_truncated_and_empty_input_are_refused(void **state)
{
	struct fx *f = *state;
	static const char text[] = "hello, I am a certificate\n";
	static const uint8_t bin[] = {0x00, 0x01, 0xff, 0x30, 0x82};
	char *pem;
	uint8_t *der, *t;
	size_t len, dl;

	expect_refused(f, "", 0, "empty");
	expect_refused(f, text, sizeof text - 1, "neither PEM");
	expect_refused(f, bin, sizeof bin, "neither PEM");

	/* DER cut anywhere: refused, and after the header says how long it
	 * should be, the message says it is truncated. */
	der = der_of(f->leaf, &dl);
	for (size_t n = 1; n < dl; n++) {
		t = malloc(n);
		memcpy(t, der, n);
		expect_refused(f, t, n, n >= 4 ? "truncated" : "");
		free(t);
	}
	/* DER with bytes after the certificate. */
	t = malloc(dl + 3);
	memcpy(t, der, dl);
	memset(t + dl, 0, 3);
	expect_refused(f, t, dl + 3, "followed by 3 more bytes");
	free(t);
	/* A damaged byte inside: the tag of the TBSCertificate. */
	t = malloc(dl);
	memcpy(t, der, dl);
	t[4] ^= 0xff;
	expect_refused(f, t, dl, "");
	free(t);
	free(der);

	/* PEM cut before its END line, or with damaged base64. */
	assert_int_equal(pki_cert_to_pem(f->leaf, &pem, &len), 0);
	expect_refused(f, pem, len / 2, "malformed PEM");
	pem[40] = '*';
	expect_refused(f, pem, len, "malformed");
	free(pem);
}

/* ---- names, fingerprints, info ---------------------------------------- */

/* A self-signed certificate with subject fields FIELDS (pairs of type
 * and UTF-8 value, NULL-terminated), for the canonicalisation that the
 * hash depends on. */
static X509 *self_signed(EVP_PKEY *key, const char *const *fields, long serial)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_get_subject_name(x);

	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	for (; fields[0]; fields += 2)
		X509_NAME_add_entry_by_txt(n, fields[0], MBSTRING_UTF8,
					   (const unsigned char *)fields[1], -1,
					   -1, 0);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, key);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

static int used_in_set(void *arg, const char *name)
{
	const char *const *set = arg;

	for (; *set; set++) {
		if (strcmp(*set, name) == 0)
			return 1;
	}
	return 0;
}

static void test_rehash_names_equal_openssl_x509_hash(void **state)
{
	struct fx *f = *state;
	static const char *const odd[] = {
	    "CN", "  Mixed   CASE  name ", "O", "Ünïcödé Ltd", "C", "DE", NULL};
	static const char *const many[] = {"CN", "a", "OU",	"b", "OU",
					   "c",	 "L", "Zürich", NULL};
	X509 *extra[2] = {self_signed(f->key, odd, 1),
			  self_signed(f->key, many, 2)};
	X509 *certs[] = {f->ca, f->leaf, extra[0], extra[1]};

	for (size_t i = 0; i < sizeof certs / sizeof *certs; i++) {
		char name[PKI_REHASH_NAME_MAX], file[32], *path, *out;

		snprintf(file, sizeof file, "c%zu.pem", i);
		path = pki_fx_write_cert(f->dir, file, certs[i]);
		assert_non_null(path);
		out = pki_fx_run("openssl x509 -hash -noout -in %s", path);
		assert_non_null(out);
		assert_int_equal(pki_rehash_name(certs[i], NULL, NULL, name),
				 0);
		assert_int_equal(strlen(name), 10);
		assert_memory_equal(name, out, 8);
		assert_string_equal(out + 8, "");
		assert_string_equal(name + 8, ".0");
		free(out);
		free(path);
	}
	X509_free(extra[0]);
	X509_free(extra[1]);
}

static void test_rehash_name_collisions_take_the_next_suffix(void **state)
{
	struct fx *f = *state;
	char name[PKI_REHASH_NAME_MAX], h[9], n0[16], n1[16], n3[16];
	const char *set[1003];
	uint32_t hash;

	assert_int_equal(pki_subject_hash(f->leaf, &hash), 0);
	snprintf(h, sizeof h, "%08x", hash);
	snprintf(n0, sizeof n0, "%08x.0", hash);
	snprintf(n1, sizeof n1, "%08x.1", hash);
	snprintf(n3, sizeof n3, "%08x.3", hash);
	set[0] = n0;
	set[1] = n1;
	set[2] = n3;
	set[3] = NULL;
	assert_int_equal(pki_rehash_name(f->leaf, used_in_set, set, name), 0);
	assert_string_equal(name + 8, ".2");
	assert_memory_equal(name, h, 8);
	/* All 1000 taken. */
	{
		static char all[1000][16];

		for (int i = 0; i < 1000; i++) {
			snprintf(all[i], sizeof all[i], "%08x.%d", hash, i);
			set[i] = all[i];
		}
		set[1000] = NULL;
		assert_int_equal(
		    pki_rehash_name(f->leaf, used_in_set, set, name),
		    PKI_EFULL);
		assert_string_equal(name, "");
	}
}

/* Value after '=' of what openssl prints for OPT on CERT. */
static char *openssl_field(struct fx *f, X509 *cert, const char *opt)
{
	char *path = pki_fx_write_cert(f->dir, "field.pem", cert), *out, *v;

	assert_non_null(path);
	out = pki_fx_run("openssl x509 -noout %s -in %s", opt, path);
	free(path);
	assert_non_null(out);
	v = strchr(out, '=');
	assert_non_null(v);
	v = strdup(v + 1);
	free(out);
	return v;
}

static void test_fingerprints_and_serial_match_openssl(void **state)
{
	struct fx *f = *state;
	X509 *certs[] = {f->ca, f->leaf};
	struct pki_cert_info info;
	char fp[PKI_FP_TEXT_MAX], *want;

	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(
		    pki_cert_info(certs[i], &info, f->err, sizeof f->err), 0);
		pki_fingerprint_text(info.sha256, 32, fp, sizeof fp);
		assert_int_equal(strlen(fp), 95);
		want = openssl_field(f, certs[i], "-fingerprint -sha256");
		assert_string_equal(fp, want);
		free(want);
		pki_fingerprint_text(info.sha1, 20, fp, sizeof fp);
		want = openssl_field(f, certs[i], "-fingerprint -sha1");
		assert_string_equal(fp, want);
		free(want);
		want = openssl_field(f, certs[i], "-serial");
		assert_string_equal(info.serial, want);
		free(want);
	}
	/* Short buffers cut at a whole byte. */
	pki_fingerprint_text((const uint8_t *)"\xab\xcd\xef", 3, fp, 6);
	assert_string_equal(fp, "AB:CD");
	pki_fingerprint_text((const uint8_t *)"\xab\xcd\xef", 3, fp, 5);
	assert_string_equal(fp, "AB");
}

static void test_names_dates_and_odd_certificates(void **state)
{
	struct fx *f = *state;
	struct pki_cert_info info;
	const char *fields[2 * 24 + 1];
	char ou[64];
	X509 *x;

	assert_int_equal(pki_cert_info(f->leaf, &info, f->err, sizeof f->err),
			 0);
	assert_string_equal(info.subject, "O = ward, OU = https, CN = node1");
	assert_string_equal(info.issuer,
			    "O = ward, OU = lab, CN = ward CA " PKI_FX_CLUSTER);
	assert_int_equal(info.key_type, PKI_KEY_RSA2048);
	assert_true(info.not_after_s - info.not_before_s >=
		    1825ull * 86400 + 3600);

	/* A subject longer than the store's field: cut, marked. */
	memset(ou, 'u', 60);
	ou[60] = '\0';
	for (int i = 0; i < 24; i++) {
		fields[2 * i] = "OU";
		fields[2 * i + 1] = ou;
	}
	fields[48] = NULL;
	x = self_signed(f->key, fields, 3);
	assert_int_equal(pki_cert_info(x, &info, f->err, sizeof f->err), 0);
	assert_int_equal(strlen(info.subject), PKI_TEXT_MAX - 1);
	assert_string_equal(info.subject + PKI_TEXT_MAX - 4, "...");
	assert_int_equal(info.key_type, PKI_KEY_ECDSA_P256);
	X509_free(x);

	/* A negative serial cannot be a key in the store. */
	fields[2] = NULL;
	x = self_signed(f->key, fields, -5);
	assert_int_equal(pki_cert_info(x, &info, f->err, sizeof f->err),
			 PKI_EFORMAT);
	assert_non_null(strstr(f->err, "serial"));
	X509_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pem_and_der_certificates_are_accepted),
	    cmocka_unit_test(test_a_bundle_is_accepted_only_when_asked_for),
	    cmocka_unit_test(test_pkcs12_is_refused_saying_so),
	    cmocka_unit_test(test_private_keys_are_refused_in_any_form),
	    cmocka_unit_test(test_other_objects_are_named),
	    cmocka_unit_test(
		test_garbage_truncated_and_empty_input_are_refused),
	    cmocka_unit_test(test_rehash_names_equal_openssl_x509_hash),
	    cmocka_unit_test(test_rehash_name_collisions_take_the_next_suffix),
	    cmocka_unit_test(test_fingerprints_and_serial_match_openssl),
	    cmocka_unit_test(test_names_dates_and_odd_certificates),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
