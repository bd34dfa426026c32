/* End-to-end tests of the certificate and trust-store routes of the admin
 * API: one node with a real store, real single-node Raft and its PKI as
 * cluster init makes it, over HTTPS with libcurl. Fingerprints and c_rehash
 * names are checked against what OpenSSL computes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "node/admin/admin_auth.h"
#include "pki/pki.h"
#include "store/store.h"
#include "tests/unit/test_admin_harness.h"
#include "tests/unit/test_admin_pki_fixture.h"
#include "tests/unit/test_trustlist_fixture.h"

static json_t *get(const char *path, long want)
{
	long status;
	json_t *j = call("GET", path, NULL, ADMIN, &status);

	if (status != want)
		fail_msg("GET %s: %ld (%s)", path, status, str(j, "error"));
	return j;
}

static json_t *post(const char *path, json_t *body, long want)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	long status;
	json_t *j = call("POST", path, text, ADMIN, &status);

	if (status != want)
		fail_msg("POST %s: %ld (%s)", path, status, str(j, "error"));
	free(text);
	json_decref(body);
	return j;
}

static void fp_text(const uint8_t *p, size_t n, const EVP_MD *md, char *out)
{
	uint8_t d[64];
	unsigned int dl = 0;

	assert_int_equal(EVP_Digest(p, n, d, &dl, md, NULL), 1);
	pki_fingerprint_text(d, dl, out, PKI_FP_TEXT_MAX);
}

static json_t *find_cert(json_t *list, const char *node, const char *role)
{
	json_t *c;
	size_t i;

	json_array_foreach(list, i, c)
	{
		if (strcmp(str(c, "node"), node) == 0 &&
		    strcmp(str(c, "role"), role) == 0)
			return c;
	}
	return NULL;
}

static void test_certs_list_every_role_with_fingerprints_of_the_der(void **s)
{
	static const char *const roles[] = {"https", "callmanager", "tftp",
					    "capf",  "ipsec",	    "node"};
	json_t *j = get("/v1/certs", 200), *list = json_object_get(j, "certs");
	char sha1[PKI_FP_TEXT_MAX], sha256[PKI_FP_TEXT_MAX], path[128],
	    ctype[64];
	uint8_t *der;
	size_t len;
	long status;

	(void)s;
	assert_int_equal(json_array_size(list), 7);
	assert_non_null(find_cert(list, "cluster", "ca"));
	for (size_t i = 0; i < 6; i++) {
		json_t *c = find_cert(list, "n1", roles[i]);

		assert_non_null(c);
		assert_int_equal(
		    json_integer_value(json_object_get(c, "generation")), 1);
		snprintf(path, sizeof path, "/v1/certs/n1/%s?format=der",
			 roles[i]);
		der = apki_get_raw(path, &status, &len, ctype, sizeof ctype);
		assert_int_equal(status, 200);
		assert_string_equal(ctype, "application/pkix-cert");
		fp_text(der, len, EVP_sha1(), sha1);
		fp_text(der, len, EVP_sha256(), sha256);
		assert_string_equal(str(c, "sha1"), sha1);
		assert_string_equal(str(c, "sha256"), sha256);
		free(der);
	}
	json_decref(j);
}

static void test_cert_export_pem_der_and_json_are_one_certificate(void **s)
{
	char ctype[64];
	uint8_t *pem, *der;
	size_t pem_len, der_len;
	long status;
	json_t *j;
	BIO *bio;
	X509 *x;
	unsigned char *again = NULL;
	int n;

	(void)s;
	pem = apki_get_raw("/v1/certs/cluster/ca?format=pem", &status, &pem_len,
			   ctype, sizeof ctype);
	assert_int_equal(status, 200);
	assert_string_equal(ctype, "application/x-pem-file");
	der = apki_get_raw("/v1/certs/cluster/ca?format=der", &status, &der_len,
			   ctype, sizeof ctype);
	assert_int_equal(status, 200);
	bio = BIO_new_mem_buf(pem, (int)pem_len);
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	assert_non_null(x);
	n = i2d_X509(x, &again);
	assert_int_equal((size_t)n, der_len);
	assert_memory_equal(again, der, der_len);
	j = get("/v1/certs/cluster/ca", 200);
	assert_string_equal(str(j, "pem"), (char *)pem);
	assert_true(json_is_true(json_object_get(j, "is_ca")) ||
		    !json_object_get(j, "is_ca"));
	json_decref(j);
	/* Private keys are served by no format. */
	assert_null(strstr((char *)pem, "PRIVATE"));
	OPENSSL_free(again);
	X509_free(x);
	BIO_free(bio);
	free(pem);
	free(der);

	json_decref(get("/v1/certs/cluster/ca?format=p12", 400));
	json_decref(get("/v1/certs/n1/secret", 404));
	json_decref(get("/v1/certs/n9/https", 404));
	json_decref(get("/v1/certs/n1/ca", 404));
}

static void test_regenerate_bumps_generation_and_the_pinned_https_fp(void **s)
{
	json_t *j, *before, *after, *list, *n;
	char old[PKI_FP_TEXT_MAX], pin[PKI_FP_TEXT_MAX];
	uint8_t raw[32];
	size_t i;

	(void)s;
	before = get("/v1/certs/n1/https", 200);
	snprintf(old, sizeof old, "%s", str(before, "sha256"));
	j = post("/v1/certs/n1/https/regenerate", NULL, 200);
	assert_int_equal(json_integer_value(json_object_get(j, "generation")),
			 2);
	assert_string_not_equal(str(j, "sha256"), old);
	/* The default key type of the cluster parameter. */
	assert_string_equal(str(j, "key_type"), "rsa2048");
	json_decref(j);
	after = get("/v1/certs/n1/https", 200);
	assert_int_equal(
	    json_integer_value(json_object_get(after, "generation")), 2);
	assert_string_equal(str(after, "subject"), str(before, "subject"));
	assert_string_equal(str(after, "issuer"), str(before, "issuer"));
	/* Members pin the new certificate from now on. */
	list = get("/v1/nodes", 200);
	json_array_foreach(json_object_get(list, "nodes"), i, n)
	{
		if (strcmp(str(n, "name"), "n1") != 0)
			continue;
		assert_int_equal(
		    admin_sha256_parse(str(n, "https_sha256"), raw), 0);
		pki_fingerprint_text(raw, 32, pin, sizeof pin);
		assert_string_equal(pin, str(after, "sha256"));
	}
	assert_true(audit_has("cert.regenerate", "role=https generation=2"));
	json_decref(list);
	json_decref(before);
	json_decref(after);
}

/* The new key is in the store, wrapped under the KEK, and matches the
 * certificate, which the CA issued. */
static void
test_regenerated_key_unwraps_and_matches_the_ca_issued_cert(void **s)
{
	struct store_read *r;
	struct store_cert c, ca;
	struct store_key k;
	uint8_t kek[PKI_KEK_LEN], key[STORE_CERT_KEY_LEN], aad[64];
	size_t aad_len;
	char path[256];
	EVP_PKEY *pk = NULL;
	X509 *x = NULL, *cax = NULL;
	X509_STORE *trust = NULL;

	(void)s;
	assert_int_equal(apki_regenerate("n1", "callmanager"), 200);
	snprintf(path, sizeof path, "%s/kek", N1->dir);
	assert_int_equal(pki_kek_load(path, kek, NULL, 0), 0);
	assert_int_equal(store_read_begin(N1->store, &r), 0);
	assert_int_equal(store_cert_get(r, 1, STORE_CERT_CALLMANAGER, &c), 0);
	assert_int_equal(store_cert_get(r, 0, STORE_CERT_CA, &ca), 0);
	assert_int_equal(store_key_get(r, 1, STORE_CERT_CALLMANAGER, &k), 0);
	assert_int_equal(c.generation, 2);
	store_key_cert(1, STORE_CERT_CALLMANAGER, key);
	assert_int_equal(
	    pki_aad("keys", key, sizeof key, aad, sizeof aad, &aad_len), 0);
	assert_int_equal(
	    pki_key_unwrap(kek, aad, aad_len, k.wrapped, k.wrapped_len, &pk),
	    0);
	assert_int_equal(pki_cert_parse(c.der, c.der_len, &x, NULL, 0), 0);
	assert_int_equal(pki_cert_parse(ca.der, ca.der_len, &cax, NULL, 0), 0);
	store_read_end(r);
	assert_int_equal(X509_check_private_key(x, pk), 1);
	assert_int_equal(pki_trust_new(&cax, 1, &trust), 0);
	assert_int_equal(pki_verify(trust, x, NULL, 0, NULL, 0), 0);
	OPENSSL_cleanse(kek, sizeof kek);
	X509_STORE_free(trust);
	X509_free(x);
	X509_free(cax);
	EVP_PKEY_free(pk);
}

static void test_regenerate_follows_key_type_refuses_ca_and_needs_kek(void **s)
{
	char path[256], moved[256];
	long status;
	json_t *j;

	(void)s;
	j = call("PUT", "/v1/params/cert_key_type",
		 "{\"value\":\"ecdsa-p256\"}", ADMIN, &status);
	assert_int_equal(status, 200);
	json_decref(j);
	j = post("/v1/certs/n1/node/regenerate", NULL, 200);
	assert_string_equal(str(j, "key_type"), "ecdsa-p256");
	json_decref(j);
	j = post("/v1/certs/cluster/ca/regenerate", NULL, 400);
	json_decref(j);
	/* Without the KEK the CA key cannot be unwrapped: say so. */
	snprintf(path, sizeof path, "%s/kek", N1->dir);
	snprintf(moved, sizeof moved, "%s/kek.away", N1->dir);
	assert_int_equal(rename(path, moved), 0);
	j = post("/v1/certs/n1/tftp/regenerate", NULL, 503);
	assert_non_null(strstr(str(j, "error"), "cluster key"));
	json_decref(j);
	assert_int_equal(rename(moved, path), 0);
	json_decref(post("/v1/certs/n1/tftp/regenerate", NULL, 200));
}

/* ---- trust store ------------------------------------------------------- */

static char *openssl_hash(const char *pem_path)
{
	char cmd[512], buf[64] = "";
	FILE *p;

	snprintf(cmd, sizeof cmd, "openssl x509 -hash -noout -in '%s'",
		 pem_path);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(buf, sizeof buf, p));
	pclose(p);
	buf[strcspn(buf, "\n")] = 0;
	return strdup(buf);
}

static json_t *import(const char *category, const char *cert, long want)
{
	return post("/v1/trust",
		    json_pack("{s:s, s:s}", "category", category, "cert", cert),
		    want);
}

static void test_trust_import_pem_and_der_named_as_openssl_hashes(void **s)
{
	size_t len, der_len;
	uint8_t *pem = tlf_read(tlf_path("sast1.crt"), &len), *der, *back;
	char *hash1 = openssl_hash(tlf_path("sast1.crt"));
	char *hash2 = openssl_hash(tlf_path("ccm1.crt"));
	char want[32], path[64], ctype[64], *b64;
	long status;
	json_t *j;

	(void)s;
	pem = realloc(pem, len + 1);
	pem[len] = 0;
	j = import("ca-root", (char *)pem, 201);
	snprintf(want, sizeof want, "%s.0", hash1);
	assert_string_equal(str(j, "name"), want);
	assert_string_equal(str(j, "subject_hash"), hash1);
	json_decref(j);
	/* The same certificate again: it is there already. */
	json_decref(import("ca-root", (char *)pem, 409));

	der = apki_cert_der("ccm1", &der_len);
	b64 = apki_b64(der, der_len);
	j = import("trunk-peer", b64, 201);
	snprintf(want, sizeof want, "%s.0", hash2);
	assert_string_equal(str(j, "name"), want);
	assert_string_equal(str(j, "category"), "trunk-peer");
	json_decref(j);
	snprintf(path, sizeof path, "/v1/trust/%s?format=der", want);
	back = apki_get_raw(path, &status, &len, ctype, sizeof ctype);
	assert_int_equal(status, 200);
	assert_int_equal(len, der_len);
	assert_memory_equal(back, der, der_len);
	free(back);
	assert_true(audit_has("trust.import", want));

	j = get("/v1/trust", 200);
	assert_int_equal(json_array_size(json_object_get(j, "trust")), 3);
	json_decref(j);
	free(b64);
	free(der);
	free(pem);
	free(hash1);
	free(hash2);
}

/* Two certificates with one subject: .0 and .1, as c_rehash names them. */
static void test_trust_names_of_one_subject_take_the_next_suffix(void **s)
{
	char names[2][32];

	(void)s;
	for (int i = 0; i < 2; i++) {
		EVP_PKEY *key = NULL;
		X509 *x = NULL;
		char *pem = NULL;
		size_t n;
		json_t *j;

		assert_int_equal(pki_key_generate(PKI_KEY_ECDSA_P256, &key), 0);
		assert_int_equal(pki_ca_create(key,
					       "11111111-2222-4333-8444-"
					       "555555555555",
					       "peer", 0, &x, NULL, 0),
				 0);
		assert_int_equal(pki_cert_to_pem(x, &pem, &n), 0);
		j = import("srst", pem, 201);
		snprintf(names[i], sizeof names[i], "%s", str(j, "name"));
		json_decref(j);
		free(pem);
		X509_free(x);
		EVP_PKEY_free(key);
	}
	assert_int_equal(strlen(names[0]), 10);
	assert_memory_equal(names[0], names[1], 9);
	assert_string_equal(names[0] + 9, "0");
	assert_string_equal(names[1] + 9, "1");
}

static void test_trust_import_refuses_what_is_no_certificate(void **s)
{
	char cmd[1024], p12[512], *b64;
	size_t len;
	uint8_t *bytes;
	json_t *j;

	(void)s;
	j = import("ca-root", "hello, world", 400);
	assert_non_null(strstr(str(j, "error"), "neither PEM"));
	json_decref(j);
	/* A private key in PEM. */
	bytes = tlf_read(tlf_path("sast1.key"), &len);
	bytes = realloc(bytes, len + 1);
	bytes[len] = 0;
	j = import("ca-root", (char *)bytes, 400);
	assert_non_null(strstr(str(j, "error"), "private key"));
	json_decref(j);
	free(bytes);
	/* A PKCS#12 archive, base64. */
	snprintf(p12, sizeof p12, "%s/test.p12", N1->dir);
	snprintf(cmd, sizeof cmd,
		 "openssl pkcs12 -export -in '%s' -inkey '%s' -passout "
		 "pass:x -out '%s' 2>/dev/null",
		 tlf_path("sast1.crt"), tlf_path("sast1.key"), p12);
	assert_int_equal(system(cmd), 0);
	bytes = tlf_read(p12, &len);
	b64 = apki_b64(bytes, len);
	j = import("ca-root", b64, 400);
	assert_non_null(strstr(str(j, "error"), "PKCS#12"));
	json_decref(j);
	free(b64);
	free(bytes);
	/* Random bytes, base64. */
	j = import("ca-root", "q83vASNFZ4mrze8BI0VniavN7wEjRWeJ", 400);
	json_decref(j);
	/* An unknown category; an unknown field. */
	j = import("friends", "AAAA", 400);
	assert_non_null(strstr(str(j, "error"), "category"));
	json_decref(j);
	json_decref(post("/v1/trust",
			 json_pack("{s:s, s:s, s:s}", "category", "srst",
				   "cert", "AAAA", "note", "x"),
			 400));
}

static void test_trust_delete_keeps_the_cluster_ca(void **s)
{
	char path[64], name[32] = "";
	json_t *j, *t;
	long status;
	size_t i;

	(void)s;
	j = get("/v1/trust", 200);
	json_array_foreach(json_object_get(j, "trust"), i, t)
	{
		if (json_is_true(json_object_get(t, "cluster_ca")))
			snprintf(name, sizeof name, "%s", str(t, "name"));
	}
	json_decref(j);
	assert_true(name[0]);
	snprintf(path, sizeof path, "/v1/trust/%s", name);
	j = call("DELETE", path, NULL, ADMIN, &status);
	assert_int_equal(status, 409);
	json_decref(j);
	j = get(path, 200);
	json_decref(j);

	{
		size_t len;
		uint8_t *der = apki_cert_der("https1", &len);
		char *b64 = apki_b64(der, len);

		j = import("other", b64, 201);
		snprintf(path, sizeof path, "/v1/trust/%s", str(j, "name"));
		json_decref(j);
		free(b64);
		free(der);
	}
	j = call("DELETE", path, NULL, ADMIN, &status);
	assert_int_equal(status, 200);
	json_decref(j);
	j = call("DELETE", path, NULL, ADMIN, &status);
	assert_int_equal(status, 404);
	json_decref(j);
	assert_true(audit_has("trust.delete", path + 10));
	j = call("DELETE", "/v1/trust/not-a-name", NULL, ADMIN, &status);
	assert_int_equal(status, 404);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, apki_setup, apki_teardown)
	    T(test_certs_list_every_role_with_fingerprints_of_the_der),
	    T(test_cert_export_pem_der_and_json_are_one_certificate),
	    T(test_regenerate_bumps_generation_and_the_pinned_https_fp),
	    T(test_regenerated_key_unwraps_and_matches_the_ca_issued_cert),
	    T(test_regenerate_follows_key_type_refuses_ca_and_needs_kek),
	    T(test_trust_import_pem_and_der_named_as_openssl_hashes),
	    T(test_trust_names_of_one_subject_take_the_next_suffix),
	    T(test_trust_import_refuses_what_is_no_certificate),
	    T(test_trust_delete_keeps_the_cluster_ca),
#undef T
	};

	apki_global_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
