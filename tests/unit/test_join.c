/* test_join: the joining node's checks of what the cluster answered to
 * POST /v1/join/certs, before it writes anything — the pinned CA, the node
 * id of its token, certificates for its own keys, names and roles, and the
 * KEK sealed to it — and the token's node id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/crypto.h>

#include "node/join.h"
#include "node/nodepki.h"

#define CLUSTER "6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e"
#define NODE_ID 5

struct fx {
	EVP_PKEY *ca_key;
	X509 *ca;
	uint8_t kek[PKI_KEK_LEN];
	struct join_keys keys;	 /* the joiner's */
	struct join_grant grant; /* what a member answers */
	struct join_pin pin;	 /* the CA, pinned */
	struct nodepki_names names;
};

static X509 *issue(struct fx *x, EVP_PKEY *key, enum pki_role role,
		   const struct nodepki_names *n)
{
	struct pki_subject subj;
	char errmsg[256];
	X509 *out = NULL;

	nodepki_subject(n, &subj);
	if (pki_issue(x->ca, x->ca_key, key, role, &subj, 0, &out, errmsg,
		      sizeof errmsg) != 0)
		fail_msg("issue: %s", errmsg);
	return out;
}

/* The grant a correct member makes for the joiner's keys. */
static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof *x);
	char errmsg[256];
	unsigned int n = 32;

	assert_int_equal(pki_key_generate(PKI_KEY_ECDSA_P256, &x->ca_key), 0);
	assert_int_equal(pki_ca_create(x->ca_key, CLUSTER, "lab", 0, &x->ca,
				       errmsg, sizeof errmsg),
			 0);
	assert_int_equal(join_keys_generate(&x->keys, PKI_KEY_ECDSA_P256,
					    errmsg, sizeof errmsg),
			 0);
	nodepki_names_make("n5", "127.0.0.5:8443", "127.0.0.5:9443", CLUSTER,
			   NODE_ID, &x->names);
	snprintf(x->grant.cluster_id, sizeof x->grant.cluster_id, CLUSTER);
	x->grant.node_id = NODE_ID;
	x->grant.ca = X509_dup(x->ca);
	for (int i = 0; i < NODEPKI_ROLES; i++)
		x->grant.cert[i] =
		    issue(x, x->keys.set.key[i], nodepki_roles[i], &x->names);
	assert_int_equal(pki_kek_generate(x->kek), 0);
	assert_int_equal(pki_kek_id(x->kek, x->grant.kek_id), 0);
	assert_int_equal(pki_kek_seal(x->kek, x->keys.kex_pub, CLUSTER, NODE_ID,
				      x->grant.kek_sealed),
			 0);
	x->pin.kind = JOIN_PIN_CA;
	assert_true(X509_digest(x->ca, EVP_sha256(), x->pin.sha256, &n));
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	join_grant_clear(&x->grant);
	join_keys_clear(&x->keys);
	X509_free(x->ca);
	EVP_PKEY_free(x->ca_key);
	free(x);
	return 0;
}

/* Runs the check; returns its result, with the reason in ERRMSG. On
 * success the keystore holds the KEK the member sealed: what the member
 * wraps with it unwraps there. */
static int check(struct fx *x, char *errmsg, size_t errcap)
{
	struct keystore *ks;
	uint8_t id[PKI_KEK_ID_LEN], aad[64], w[64], back[8];
	size_t aad_len = 0, wlen = 0, blen = 0;
	int rc;

	assert_int_equal(keystore_new("/nonexistent/kek", &ks), KEYSTORE_OK);
	errmsg[0] = '\0';
	rc = join_grant_check(&x->grant, &x->pin, NODE_ID, "n5", &x->keys, ks,
			      errmsg, errcap);
	if (rc == 0) {
		assert_int_equal(keystore_kek_id(ks, id), KEYSTORE_OK);
		assert_memory_equal(id, x->grant.kek_id, sizeof id);
		assert_int_equal(
		    pki_aad("t", "k", 1, aad, sizeof aad, &aad_len), 0);
		assert_int_equal(pki_wrap(x->kek, aad, aad_len, "secret", 6, w,
					  sizeof w, &wlen),
				 0);
		assert_int_equal(keystore_unwrap(ks, "t", "k", 1, w, wlen, back,
						 sizeof back, &blen),
				 KEYSTORE_OK);
		assert_memory_equal(back, "secret", 6);
		keystore_kek_release(ks);
	} else {
		assert_int_equal(keystore_kek_id(ks, id), KEYSTORE_ENOKEK);
	}
	keystore_free(ks);
	return rc;
}

static void refused_with(struct fx *x, const char *why)
{
	char errmsg[512];

	assert_int_equal(check(x, errmsg, sizeof errmsg), -1);
	if (!strstr(errmsg, why))
		fail_msg("expected \"%s\" in \"%s\"", why, errmsg);
	/* Nothing moved into the joiner's set. */
	for (int i = 0; i < NODEPKI_ROLES; i++)
		assert_null(x->keys.set.cert[i]);
}

static void replace_cert(struct fx *x, enum pki_role role, X509 *by)
{
	int i = nodepki_role_index(role);

	X509_free(x->grant.cert[i]);
	x->grant.cert[i] = by;
}

static void test_grant_for_our_keys_opens_the_kek(void **state)
{
	struct fx *x = *state;
	char errmsg[512];

	assert_int_equal(check(x, errmsg, sizeof errmsg), 0);
	for (int i = 0; i < NODEPKI_ROLES; i++) {
		assert_non_null(x->keys.set.cert[i]);
		assert_null(x->grant.cert[i]);
		assert_int_equal(
		    EVP_PKEY_eq(X509_get0_pubkey(x->keys.set.cert[i]),
				x->keys.set.key[i]),
		    1);
	}
}

static void test_other_ca_than_the_pinned_one_is_refused(void **state)
{
	struct fx *x = *state;

	x->pin.sha256[7] ^= 1;
	refused_with(x, "not the one pinned");
}

static void test_leaf_pin_trusts_the_answer_of_that_member(void **state)
{
	struct fx *x = *state;
	char errmsg[512];

	/* The TLS connection was pinned to the member itself. */
	x->pin.kind = JOIN_PIN_LEAF;
	memset(x->pin.sha256, 0xab, 32);
	assert_int_equal(check(x, errmsg, sizeof errmsg), 0);
}

static void test_ca_that_is_no_ca_is_refused(void **state)
{
	struct fx *x = *state;
	unsigned int n = 32;

	X509_free(x->grant.ca);
	x->grant.ca = X509_dup(x->grant.cert[0]);
	assert_true(X509_digest(x->grant.ca, EVP_sha256(), x->pin.sha256, &n));
	refused_with(x, "no CA");
}

static void test_certificate_for_another_key_is_refused(void **state)
{
	struct fx *x = *state;
	EVP_PKEY *other;

	assert_int_equal(pki_key_generate(PKI_KEY_ECDSA_P256, &other), 0);
	replace_cert(x, PKI_ROLE_CALLMANAGER,
		     issue(x, other, PKI_ROLE_CALLMANAGER, &x->names));
	refused_with(x, "callmanager certificate the cluster issued is for "
			"another key");
	EVP_PKEY_free(other);
}

static void test_node_certificate_for_another_node_is_refused(void **state)
{
	struct fx *x = *state;
	struct nodepki_names other = x->names;
	int i = nodepki_role_index(PKI_ROLE_NODE);

	other.node_id = NODE_ID + 1;
	replace_cert(x, PKI_ROLE_NODE,
		     issue(x, x->keys.set.key[i], PKI_ROLE_NODE, &other));
	refused_with(x, "node certificate");
}

static void test_node_certificate_of_another_cluster_is_refused(void **state)
{
	struct fx *x = *state;
	struct nodepki_names other = x->names;
	int i = nodepki_role_index(PKI_ROLE_NODE);

	snprintf(other.cluster_id, sizeof other.cluster_id,
		 "00000000-4a5b-4c6d-8e7f-901a2b3c4d5e");
	replace_cert(x, PKI_ROLE_NODE,
		     issue(x, x->keys.set.key[i], PKI_ROLE_NODE, &other));
	refused_with(x, "node certificate");
}

static void test_grant_for_another_node_than_the_token_is_refused(void **state)
{
	struct fx *x = *state;
	char errmsg[512];
	struct keystore *ks;

	assert_int_equal(keystore_new("/nonexistent/kek", &ks), KEYSTORE_OK);
	assert_int_equal(join_grant_check(&x->grant, &x->pin, NODE_ID + 1, "n5",
					  &x->keys, ks, errmsg, sizeof errmsg),
			 -1);
	keystore_free(ks);
	assert_non_null(strstr(errmsg, "the token is for node 6"));
}

static void test_certificate_for_another_name_is_refused(void **state)
{
	struct fx *x = *state;
	struct nodepki_names other = x->names;
	int i = nodepki_role_index(PKI_ROLE_HTTPS);

	snprintf(other.cn, sizeof other.cn, "n6");
	replace_cert(x, PKI_ROLE_HTTPS,
		     issue(x, x->keys.set.key[i], PKI_ROLE_HTTPS, &other));
	refused_with(x, "not the https certificate of node n5");
}

static void test_certificate_in_another_role_is_refused(void **state)
{
	struct fx *x = *state;
	int i = nodepki_role_index(PKI_ROLE_IPSEC);

	/* An HTTPS certificate for the IPsec key, in the IPsec slot. */
	replace_cert(x, PKI_ROLE_IPSEC,
		     issue(x, x->keys.set.key[i], PKI_ROLE_HTTPS, &x->names));
	refused_with(x, "is not the ipsec certificate");
}

static void test_certificate_of_another_ca_is_refused(void **state)
{
	struct fx *x = *state;
	EVP_PKEY *k;
	X509 *ca, *leaf = NULL;
	struct pki_subject subj;
	char errmsg[256];
	int i = nodepki_role_index(PKI_ROLE_TFTP);

	assert_int_equal(pki_key_generate(PKI_KEY_ECDSA_P256, &k), 0);
	assert_int_equal(
	    pki_ca_create(k, CLUSTER, "lab", 0, &ca, errmsg, sizeof errmsg), 0);
	nodepki_subject(&x->names, &subj);
	assert_int_equal(pki_issue(ca, k, x->keys.set.key[i], PKI_ROLE_TFTP,
				   &subj, 0, &leaf, errmsg, sizeof errmsg),
			 0);
	replace_cert(x, PKI_ROLE_TFTP, leaf);
	refused_with(x, "tftp certificate");
	X509_free(ca);
	EVP_PKEY_free(k);
}

static void test_kek_with_another_id_is_refused(void **state)
{
	struct fx *x = *state;

	x->grant.kek_id[0] ^= 0x80;
	refused_with(x, "key-encryption key delivered has id");
}

static void test_kek_sealed_to_another_key_is_refused(void **state)
{
	struct fx *x = *state;
	EVP_PKEY *priv;
	uint8_t pub[PKI_X25519_LEN];

	assert_int_equal(pki_kex_keygen(&priv, pub), 0);
	assert_int_equal(
	    pki_kek_seal(x->kek, pub, CLUSTER, NODE_ID, x->grant.kek_sealed),
	    0);
	refused_with(x, "does not open");
	EVP_PKEY_free(priv);
}

static void test_kek_sealed_for_another_node_is_refused(void **state)
{
	struct fx *x = *state;

	assert_int_equal(pki_kek_seal(x->kek, x->keys.kex_pub, CLUSTER,
				      NODE_ID + 1, x->grant.kek_sealed),
			 0);
	refused_with(x, "does not open");
}

static void test_token_names_its_node(void **state)
{
	uint64_t id = 0;

	(void)state;
	assert_int_equal(join_token_node_id("12.secret", &id), 0);
	assert_int_equal(id, 12);
	assert_int_equal(join_token_node_id("0.secret", &id), -1);
	assert_int_equal(join_token_node_id(".secret", &id), -1);
	assert_int_equal(join_token_node_id("12.", &id), -1);
	assert_int_equal(join_token_node_id("1x.secret", &id), -1);
	assert_int_equal(join_token_node_id("secret", &id), -1);
	assert_int_equal(
	    join_token_node_id("123456789012345678901.secret", &id), -1);
}

static void test_exactly_one_pin_is_taken(void **state)
{
	static const char fp[] = "sha256:00112233445566778899aabbccddeeff"
				 "00112233445566778899AABBCCDDEEFF";
	struct join_pin pin;
	char errmsg[256];

	(void)state;
	assert_int_equal(join_pin_parse(fp, NULL, &pin, errmsg, sizeof errmsg),
			 0);
	assert_int_equal(pin.kind, JOIN_PIN_CA);
	assert_int_equal(pin.sha256[1], 0x11);
	assert_int_equal(pin.sha256[31], 0xff);
	assert_int_equal(join_pin_parse(NULL, fp, &pin, errmsg, sizeof errmsg),
			 0);
	assert_int_equal(pin.kind, JOIN_PIN_LEAF);
	assert_int_equal(join_pin_parse(fp, fp, &pin, errmsg, sizeof errmsg),
			 -1);
	assert_int_equal(
	    join_pin_parse(NULL, NULL, &pin, errmsg, sizeof errmsg), -1);
	assert_non_null(strstr(errmsg, "--ca-fingerprint"));
	assert_int_equal(
	    join_pin_parse("sha256:0011", NULL, &pin, errmsg, sizeof errmsg),
	    -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	    T(test_grant_for_our_keys_opens_the_kek),
	    T(test_other_ca_than_the_pinned_one_is_refused),
	    T(test_leaf_pin_trusts_the_answer_of_that_member),
	    T(test_ca_that_is_no_ca_is_refused),
	    T(test_certificate_for_another_key_is_refused),
	    T(test_node_certificate_for_another_node_is_refused),
	    T(test_node_certificate_of_another_cluster_is_refused),
	    T(test_grant_for_another_node_than_the_token_is_refused),
	    T(test_certificate_for_another_name_is_refused),
	    T(test_certificate_in_another_role_is_refused),
	    T(test_certificate_of_another_ca_is_refused),
	    T(test_kek_with_another_id_is_refused),
	    T(test_kek_sealed_to_another_key_is_refused),
	    T(test_kek_sealed_for_another_node_is_refused),
	    cmocka_unit_test(test_token_names_its_node),
	    cmocka_unit_test(test_exactly_one_pin_is_taken),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
