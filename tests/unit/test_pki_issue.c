/* test_pki_issue: keys, the cluster CA, role certificates, chain checks
 * and the node identity of NODE certificates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <openssl/x509v3.h>

#include "store/store.h"
#include "test_pki_fixture.h"

#define DAY (24 * 3600)

/* One CA and one role key of each type, made once: RSA key generation is
 * the slow part of these tests. */
struct fx {
	X509 *ca[3]; /* by enum pki_key_type */
	EVP_PKEY *ca_key[3];
	EVP_PKEY *key[3];     /* role keys */
	X509_STORE *trust[3]; /* each holding ca[t] alone */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	for (int t = PKI_KEY_RSA2048; t <= PKI_KEY_ECDSA_P256; t++) {
		f->ca[t] = pki_fx_ca(t, &f->ca_key[t]);
		if (!f->ca[t] || pki_key_generate(t, &f->key[t]) ||
		    pki_trust_new(&f->ca[t], 1, &f->trust[t]))
			return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (int t = PKI_KEY_RSA2048; t <= PKI_KEY_ECDSA_P256; t++) {
		X509_free(f->ca[t]);
		EVP_PKEY_free(f->ca_key[t]);
		EVP_PKEY_free(f->key[t]);
		X509_STORE_free(f->trust[t]);
	}
	free(f);
	return 0;
}

static uint64_t now_s(void)
{
	return (uint64_t)time(NULL);
}

/* The first value of field NID in NAME, or "". */
static const char *name_field(X509_NAME *name, int nid, char *buf, size_t cap)
{
	buf[0] = '\0';
	X509_NAME_get_text_by_NID(name, nid, buf, (int)cap);
	return buf;
}

/* ---- tests ------------------------------------------------------------ */

static void test_ca_is_self_signed_for_ten_years_with_pathlen_0(void **state)
{
	struct fx *f = *state;
	struct pki_cert_info info;
	char buf[128], err[256];

	for (int t = PKI_KEY_RSA2048; t <= PKI_KEY_ECDSA_P256; t++) {
		X509 *ca = f->ca[t];

		assert_int_equal(X509_check_ca(ca), 1);
		assert_int_equal(X509_get_pathlen(ca), 0);
		assert_int_equal(X509_get_key_usage(ca),
				 KU_KEY_CERT_SIGN | KU_CRL_SIGN);
		assert_int_equal(X509_verify(ca, f->ca_key[t]), 1);
		assert_int_equal(X509_NAME_cmp(X509_get_subject_name(ca),
					       X509_get_issuer_name(ca)),
				 0);
		assert_string_equal(name_field(X509_get_subject_name(ca),
					       NID_commonName, buf, sizeof buf),
				    "ward CA " PKI_FX_CLUSTER);
		assert_string_equal(name_field(X509_get_subject_name(ca),
					       NID_organizationalUnitName, buf,
					       sizeof buf),
				    "lab");
		assert_int_equal(pki_cert_info(ca, &info, err, sizeof err), 0);
		assert_true(info.is_ca);
		assert_int_equal(info.key_type, t);
		/* Backdated an hour; ten years ahead. */
		assert_true(info.not_before_s <= now_s() - 3500);
		assert_true(info.not_after_s >= now_s() + 3650ull * DAY - 60);
		assert_true(info.not_after_s <= now_s() + 3650ull * DAY + 60);
		/* Verifies as its own trust anchor. */
		assert_int_equal(
		    pki_verify(f->trust[t], ca, NULL, 0, err, sizeof err), 0);
	}
}

static void check_eku(X509 *x, enum pki_role role)
{
	uint32_t want = 0, got = X509_get_extended_key_usage(x);

	switch (role) {
	case PKI_ROLE_HTTPS:
	case PKI_ROLE_CAPF:
		want = XKU_SSL_SERVER;
		break;
	case PKI_ROLE_CALLMANAGER:
	case PKI_ROLE_NODE:
	case PKI_ROLE_IPSEC:
		want = XKU_SSL_SERVER | XKU_SSL_CLIENT;
		break;
	case PKI_ROLE_TFTP:
		want = XKU_CODE_SIGN;
		break;
	default:
		fail();
	}
	assert_int_equal(got & ~XKU_ANYEKU, want);
}

static void test_every_role_is_issued_and_verifies_against_the_ca(void **state)
{
	struct fx *f = *state;
	struct pki_cert_info info;
	char buf[128], err[256];

	/* Both CA types, each with leaf keys of both types. */
	for (int ct = PKI_KEY_RSA2048; ct <= PKI_KEY_ECDSA_P256; ct++) {
		for (int kt = PKI_KEY_RSA2048; kt <= PKI_KEY_ECDSA_P256; kt++) {
			for (int role = PKI_ROLE_HTTPS; role <= PKI_ROLE_LAST;
			     role++) {
				X509 *x = pki_fx_issue(f->ca[ct], f->ca_key[ct],
						       f->key[kt], role, 7);
				uint32_t ku;

				assert_non_null(x);
				assert_int_equal(pki_verify(f->trust[ct], x,
							    NULL, 0, err,
							    sizeof err),
						 0);
				assert_int_equal(X509_check_ca(x), 0);
				assert_int_equal(
				    X509_check_host(x, "node1.example.net", 0,
						    0, NULL),
				    1);
				assert_int_equal(
				    X509_check_ip_asc(x, "127.0.0.2", 0), 1);
				assert_string_equal(
				    name_field(X509_get_subject_name(x),
					       NID_organizationalUnitName, buf,
					       sizeof buf),
				    pki_role_name(role));
				assert_string_equal(
				    name_field(X509_get_subject_name(x),
					       NID_commonName, buf, sizeof buf),
				    "node1");
				check_eku(x, role);
				ku = X509_get_key_usage(x);
				assert_int_equal(ku,
						 kt == PKI_KEY_RSA2048
						     ? (KU_DIGITAL_SIGNATURE |
							KU_KEY_ENCIPHERMENT)
						     : KU_DIGITAL_SIGNATURE);
				assert_int_equal(
				    pki_cert_info(x, &info, err, sizeof err),
				    0);
				assert_int_equal(info.key_type, kt);
				assert_false(info.is_ca);
				assert_true(info.not_after_s >=
					    now_s() + 1825ull * DAY - 60);
				X509_free(x);
			}
		}
	}
}

static void test_openssl_verifies_the_chain_it_is_given(void **state)
{
	struct fx *f = *state;
	char *dir = pki_fx_tmpdir(), *ca, *leaf, *out;
	X509 *x;

	x = pki_fx_issue(f->ca[PKI_KEY_ECDSA_P256],
			 f->ca_key[PKI_KEY_ECDSA_P256], f->key[PKI_KEY_RSA2048],
			 PKI_ROLE_CALLMANAGER, 0);
	ca = pki_fx_write_cert(dir, "ca.pem", f->ca[PKI_KEY_ECDSA_P256]);
	leaf = pki_fx_write_cert(dir, "leaf.pem", x);
	assert_non_null(ca);
	assert_non_null(leaf);
	out = pki_fx_run("openssl verify -x509_strict -purpose sslserver "
			 "-CAfile %s %s 2>&1",
			 ca, leaf);
	assert_non_null(out);
	assert_non_null(strstr(out, ": OK"));
	free(out);
	free(ca);
	free(leaf);
	X509_free(x);
	pki_fx_rmdir(dir);
}

static void test_role_certificate_never_outlives_its_ca(void **state)
{
	struct fx *f = *state;
	struct pki_subject subj = {.common_name = "n"};
	char err[256];
	EVP_PKEY *key = f->ca_key[PKI_KEY_ECDSA_P256];
	X509 *ca, *x;

	assert_int_equal(
	    pki_ca_create(key, PKI_FX_CLUSTER, "lab", 10, &ca, err, sizeof err),
	    0);
	assert_int_equal(pki_issue(ca, key, f->key[PKI_KEY_ECDSA_P256],
				   PKI_ROLE_HTTPS, &subj, 0, &x, err,
				   sizeof err),
			 0);
	assert_int_equal(
	    ASN1_TIME_compare(X509_get0_notAfter(x), X509_get0_notAfter(ca)),
	    0);
	X509_free(x);
	X509_free(ca);
}

static void test_node_certificate_names_its_node_and_cluster(void **state)
{
	struct fx *f = *state;
	char cid[PKI_UUID_LEN + 1], err[256];
	uint64_t id;
	X509 *x;

	x = pki_fx_issue(f->ca[PKI_KEY_ECDSA_P256],
			 f->ca_key[PKI_KEY_ECDSA_P256],
			 f->key[PKI_KEY_ECDSA_P256], PKI_ROLE_NODE, 42);
	assert_int_equal(pki_node_identity(x, cid, &id, err, sizeof err), 0);
	assert_string_equal(cid, PKI_FX_CLUSTER);
	assert_int_equal(id, 42);
	X509_free(x);

	x = pki_fx_issue(f->ca[PKI_KEY_ECDSA_P256],
			 f->ca_key[PKI_KEY_ECDSA_P256],
			 f->key[PKI_KEY_ECDSA_P256], PKI_ROLE_NODE, UINT64_MAX);
	assert_int_equal(pki_node_identity(x, cid, &id, err, sizeof err), 0);
	assert_true(id == UINT64_MAX);
	X509_free(x);

	/* Other roles carry no identity. */
	x = pki_fx_issue(f->ca[PKI_KEY_ECDSA_P256],
			 f->ca_key[PKI_KEY_ECDSA_P256],
			 f->key[PKI_KEY_ECDSA_P256], PKI_ROLE_HTTPS, 42);
	assert_int_equal(pki_node_identity(x, cid, &id, err, sizeof err),
			 PKI_EFORMAT);
	assert_non_null(strstr(err, "not a node certificate"));
	assert_string_equal(cid, "");
	assert_int_equal(id, 0);
	X509_free(x);
	assert_int_equal(pki_node_identity(f->ca[PKI_KEY_ECDSA_P256], cid, &id,
					   err, sizeof err),
			 PKI_EFORMAT);
}

/* A certificate signed by CA whose only extension is the SAN given in
 * OpenSSL's text syntax. */
static X509 *with_san(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *key,
		      const char *san)
{
	X509 *x = X509_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 9);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_issuer_name(x, X509_get_subject_name(ca));
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&ctx, ca, x, NULL, NULL, 0);
	ext = X509V3_EXT_nconf_nid(NULL, &ctx, NID_subject_alt_name, san);
	assert_non_null(ext);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, ca_key, EVP_sha256()) > 0);
	return x;
}

static void test_node_identity_is_exactly_one_node_and_one_cluster(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = {
	    "URI:ward://node/1,URI:ward://node/2,URI:ward://"
	    "cluster/" PKI_FX_CLUSTER,
	    "URI:ward://node/1,URI:ward://cluster/" PKI_FX_CLUSTER
	    ",URI:ward://cluster/" PKI_FX_CLUSTER,
	    "URI:ward://node/01,URI:ward://cluster/" PKI_FX_CLUSTER,
	    "URI:ward://node/0,URI:ward://cluster/" PKI_FX_CLUSTER,
	    "URI:ward://node/18446744073709551616,URI:ward://"
	    "cluster/" PKI_FX_CLUSTER,
	    "URI:ward://node/-1,URI:ward://cluster/" PKI_FX_CLUSTER,
	    "URI:ward://node/1",
	    "URI:ward://cluster/" PKI_FX_CLUSTER,
	    "URI:ward://node/1,URI:ward://cluster/"
	    "not-a-uuid-at-all-but-36-bytes-long",
	    "URI:ward://node/1,URI:ward://cluster/" PKI_FX_CLUSTER
	    ",URI:ward://admin/1",
	    "DNS:node1",
	};
	char cid[PKI_UUID_LEN + 1], err[256];
	uint64_t id;
	X509 *ca = f->ca[PKI_KEY_ECDSA_P256];
	EVP_PKEY *cak = f->ca_key[PKI_KEY_ECDSA_P256];

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		X509 *x = with_san(ca, cak, f->key[PKI_KEY_ECDSA_P256], bad[i]);

		if (pki_node_identity(x, cid, &id, err, sizeof err) !=
		    PKI_EFORMAT)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(id, 0);
		X509_free(x);
	}
	/* Other URIs are none of ward's business. */
	{
		X509 *x = with_san(
		    ca, cak, f->key[PKI_KEY_ECDSA_P256],
		    "URI:https://example.net/,URI:ward://node/"
		    "18446744073709551615,URI:ward://cluster/" PKI_FX_CLUSTER);

		assert_int_equal(
		    pki_node_identity(x, cid, &id, err, sizeof err), 0);
		assert_true(id == UINT64_MAX);
		X509_free(x);
	}
}

static void test_certificate_of_another_ca_is_refused(void **state)
{
	struct fx *f = *state;
	EVP_PKEY *other_key;
	X509 *other, *x;
	char err[256] = "";

	/* Same cluster id, same subject, another key: only the signature
	 * tells them apart. */
	other = pki_fx_ca(PKI_KEY_ECDSA_P256, &other_key);
	assert_non_null(other);
	x = pki_fx_issue(other, other_key, f->key[PKI_KEY_ECDSA_P256],
			 PKI_ROLE_NODE, 1);
	assert_non_null(x);
	assert_int_equal(pki_verify(f->trust[PKI_KEY_ECDSA_P256], x, NULL, 0,
				    err, sizeof err),
			 PKI_EVERIFY);
	assert_non_null(strstr(err, "not trusted"));
	assert_int_equal(pki_verify_node(f->trust[PKI_KEY_ECDSA_P256], x,
					 PKI_FX_CLUSTER, 1, err, sizeof err),
			 PKI_EVERIFY);
	/* Nor is the other CA itself. */
	assert_int_equal(pki_verify(f->trust[PKI_KEY_ECDSA_P256], other, NULL,
				    0, err, sizeof err),
			 PKI_EVERIFY);
	X509_free(x);
	X509_free(other);
	EVP_PKEY_free(other_key);
}

static void test_verify_node_checks_the_identity_the_peer_claims(void **state)
{
	struct fx *f = *state;
	X509_STORE *trust = f->trust[PKI_KEY_RSA2048];
	char err[256] = "";
	X509 *x, *https;

	x = pki_fx_issue(f->ca[PKI_KEY_RSA2048], f->ca_key[PKI_KEY_RSA2048],
			 f->key[PKI_KEY_ECDSA_P256], PKI_ROLE_NODE, 3);
	https = pki_fx_issue(f->ca[PKI_KEY_RSA2048], f->ca_key[PKI_KEY_RSA2048],
			     f->key[PKI_KEY_ECDSA_P256], PKI_ROLE_HTTPS, 3);
	assert_int_equal(
	    pki_verify_node(trust, x, PKI_FX_CLUSTER, 3, err, sizeof err), 0);
	assert_int_equal(
	    pki_verify_node(trust, x, PKI_FX_CLUSTER, 0, err, sizeof err), 0);
	assert_int_equal(
	    pki_verify_node(trust, x, PKI_FX_CLUSTER, 4, err, sizeof err),
	    PKI_EVERIFY);
	assert_non_null(strstr(err, "node 3, the peer claims to be node 4"));
	assert_int_equal(pki_verify_node(trust, x,
					 "ffffffff-8f43-4d2a-9c1e-2f7e8a6b5d10",
					 3, err, sizeof err),
			 PKI_EVERIFY);
	assert_non_null(strstr(err, "not of this one"));
	/* A valid certificate of the cluster, but not a node's. */
	assert_int_equal(
	    pki_verify_node(trust, https, PKI_FX_CLUSTER, 3, err, sizeof err),
	    PKI_EVERIFY);
	X509_free(x);
	X509_free(https);
}

static void test_expired_or_not_yet_valid_certificate_is_refused(void **state)
{
	struct fx *f = *state;
	X509_STORE *trust = f->trust[PKI_KEY_ECDSA_P256];
	char err[256] = "";
	X509 *x;

	x = pki_fx_issue(f->ca[PKI_KEY_ECDSA_P256],
			 f->ca_key[PKI_KEY_ECDSA_P256],
			 f->key[PKI_KEY_ECDSA_P256], PKI_ROLE_TFTP, 0);
	assert_int_equal(pki_verify(trust, x, NULL, time(NULL) + 1826L * DAY,
				    err, sizeof err),
			 PKI_EVERIFY);
	assert_non_null(strstr(err, "expired"));
	assert_int_equal(
	    pki_verify(trust, x, NULL, time(NULL) - 2 * 3600, err, sizeof err),
	    PKI_EVERIFY);
	assert_non_null(strstr(err, "not yet valid"));
	X509_free(x);
}

static void test_issue_refuses_bad_names_keys_and_issuers(void **state)
{
	struct fx *f = *state;
	X509 *ca = f->ca[PKI_KEY_ECDSA_P256], *leaf, *x;
	EVP_PKEY *cak = f->ca_key[PKI_KEY_ECDSA_P256];
	EVP_PKEY *key = f->key[PKI_KEY_ECDSA_P256], *weak, *ed;
	char cn65[66], err[256];
	struct pki_subject ok = {.common_name = "n",
				 .cluster_id = PKI_FX_CLUSTER,
				 .node_id = 1},
			   s;
	static const char *const bad_dns[] = {
	    "a,URI:ward://node/1", "bad..name", ".lead", "trail.", "sp ace",
	    "under_score",	   ""};

	memset(cn65, 'c', 65);
	cn65[65] = '\0';
	for (size_t i = 0; i < sizeof bad_dns / sizeof *bad_dns; i++) {
		s = ok;
		s.dns = bad_dns[i];
		assert_int_equal(pki_issue(ca, cak, key, PKI_ROLE_HTTPS, &s, 0,
					   &x, err, sizeof err),
				 PKI_EINVAL);
		assert_null(x);
	}
	s = ok;
	s.ip = "300.1.1.1";
	assert_int_equal(
	    pki_issue(ca, cak, key, PKI_ROLE_HTTPS, &s, 0, &x, err, sizeof err),
	    PKI_EINVAL);
	assert_non_null(strstr(err, "not an IP address"));
	s = ok;
	s.common_name = cn65;
	assert_int_equal(
	    pki_issue(ca, cak, key, PKI_ROLE_HTTPS, &s, 0, &x, err, sizeof err),
	    PKI_EINVAL);
	s.common_name = "a\nb";
	assert_int_equal(
	    pki_issue(ca, cak, key, PKI_ROLE_HTTPS, &s, 0, &x, err, sizeof err),
	    PKI_EINVAL);
	s = ok;
	s.node_id = 0;
	assert_int_equal(
	    pki_issue(ca, cak, key, PKI_ROLE_NODE, &s, 0, &x, err, sizeof err),
	    PKI_EINVAL);
	s = ok;
	s.cluster_id = "lab";
	assert_int_equal(
	    pki_issue(ca, cak, key, PKI_ROLE_NODE, &s, 0, &x, err, sizeof err),
	    PKI_EINVAL);
	/* Roles: the CA is made by pki_ca_create, not issued. */
	assert_int_equal(
	    pki_issue(ca, cak, key, PKI_ROLE_CA, &ok, 0, &x, err, sizeof err),
	    PKI_EINVAL);
	assert_int_equal(
	    pki_issue(ca, cak, key, 99, &ok, 0, &x, err, sizeof err),
	    PKI_EINVAL);
	assert_int_equal(pki_issue(ca, cak, key, PKI_ROLE_HTTPS, &ok, 36501, &x,
				   err, sizeof err),
			 PKI_EINVAL);
	/* The issuer's key must be the CA's, and the issuer a CA. */
	assert_int_equal(pki_issue(ca, key, key, PKI_ROLE_HTTPS, &ok, 0, &x,
				   err, sizeof err),
			 PKI_EINVAL);
	leaf = pki_fx_issue(ca, cak, key, PKI_ROLE_HTTPS, 0);
	assert_int_equal(pki_issue(leaf, key, key, PKI_ROLE_HTTPS, &ok, 0, &x,
				   err, sizeof err),
			 PKI_EINVAL);
	X509_free(leaf);
	/* Only RSA 2048 and P-256. */
	weak = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_int_equal(pki_key_type_of(weak), 0);
	assert_int_equal(pki_key_type_of(ed), 0);
	assert_int_equal(pki_issue(ca, cak, weak, PKI_ROLE_HTTPS, &ok, 0, &x,
				   err, sizeof err),
			 PKI_EINVAL);
	assert_int_equal(
	    pki_ca_create(ed, PKI_FX_CLUSTER, "lab", 0, &x, err, sizeof err),
	    PKI_EINVAL);
	assert_int_equal(
	    pki_ca_create(cak, "not-a-uuid", "lab", 0, &x, err, sizeof err),
	    PKI_EINVAL);
	assert_int_equal(
	    pki_ca_create(cak, PKI_FX_CLUSTER, "", 0, &x, err, sizeof err),
	    PKI_EINVAL);
	EVP_PKEY_free(weak);
	EVP_PKEY_free(ed);
}

static void test_keys_round_trip_through_their_encodings(void **state)
{
	struct fx *f = *state;
	enum pki_key_type t;
	char err[256];

	assert_int_equal(pki_key_type_parse("rsa2048", &t), 0);
	assert_int_equal(t, PKI_KEY_RSA2048);
	assert_int_equal(pki_key_type_parse("ECDSA-P256", &t), 0);
	assert_int_equal(t, PKI_KEY_ECDSA_P256);
	assert_int_equal(pki_key_type_parse("ed25519", &t), PKI_EINVAL);
	assert_int_equal(pki_key_generate(3, &f->key[0]), PKI_EINVAL);
	assert_null(f->key[0]);
	for (int kt = PKI_KEY_RSA2048; kt <= PKI_KEY_ECDSA_P256; kt++) {
		EVP_PKEY *k = f->key[kt], *back;
		uint8_t *der, *longer;
		char *pem;
		size_t len;

		assert_int_equal(pki_key_type_of(k), kt);
		/* Public key: what a joining node sends to be signed. */
		assert_int_equal(pki_pubkey_to_der(k, &der, &len), 0);
		assert_int_equal(
		    pki_pubkey_from_der(der, len, &back, err, sizeof err), 0);
		assert_int_equal(EVP_PKEY_eq(k, back), 1);
		EVP_PKEY_free(back);
		longer = malloc(len + 1);
		memcpy(longer, der, len);
		longer[len] = 0;
		assert_int_equal(pki_pubkey_from_der(longer, len + 1, &back,
						     err, sizeof err),
				 PKI_EFORMAT);
		assert_int_equal(
		    pki_pubkey_from_der(der, len - 1, &back, err, sizeof err),
		    PKI_EFORMAT);
		free(longer);
		free(der);
		/* Private key. */
		assert_int_equal(pki_key_to_pkcs8(k, &der, &len), 0);
		assert_int_equal(pki_key_from_pkcs8(der, len, &back), 0);
		assert_int_equal(EVP_PKEY_eq(k, back), 1);
		EVP_PKEY_free(back);
		assert_int_equal(pki_key_from_pkcs8(der, len - 1, &back),
				 PKI_EFORMAT);
		pki_secret_free(der, len);
		assert_int_equal(pki_key_to_pem(k, &pem, &len), 0);
		assert_int_equal(len, strlen(pem));
		assert_memory_equal(pem, "-----BEGIN PRIVATE KEY-----\n", 28);
		pki_secret_free(pem, len);
	}
	pki_secret_free(NULL, 5);
}

static void test_names_agree_with_the_store(void **state)
{
	const struct store_param_def *def = store_param_find("cert_key_type");

	for (int r = PKI_ROLE_CA; r <= PKI_ROLE_LAST; r++)
		assert_string_equal(pki_role_name(r), store_cert_role_name(r));
	assert_string_equal(pki_role_name(0), "unknown");
	assert_non_null(def);
	assert_string_equal(def->choices[0],
			    pki_key_type_name(PKI_KEY_RSA2048));
	assert_string_equal(def->choices[1],
			    pki_key_type_name(PKI_KEY_ECDSA_P256));
	assert_null(def->choices[2]);
	assert_string_equal(pki_strerror(PKI_EAUTH),
			    "authentication failed: wrong key or altered data");
	assert_string_equal(pki_strerror(0), "success");
	assert_string_equal(pki_strerror(7), "unknown pki error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		test_ca_is_self_signed_for_ten_years_with_pathlen_0),
	    cmocka_unit_test(
		test_every_role_is_issued_and_verifies_against_the_ca),
	    cmocka_unit_test(test_openssl_verifies_the_chain_it_is_given),
	    cmocka_unit_test(test_role_certificate_never_outlives_its_ca),
	    cmocka_unit_test(test_node_certificate_names_its_node_and_cluster),
	    cmocka_unit_test(
		test_node_identity_is_exactly_one_node_and_one_cluster),
	    cmocka_unit_test(test_certificate_of_another_ca_is_refused),
	    cmocka_unit_test(
		test_verify_node_checks_the_identity_the_peer_claims),
	    cmocka_unit_test(
		test_expired_or_not_yet_valid_certificate_is_refused),
	    cmocka_unit_test(test_issue_refuses_bad_names_keys_and_issuers),
	    cmocka_unit_test(test_keys_round_trip_through_their_encodings),
	    cmocka_unit_test(test_names_agree_with_the_store),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
