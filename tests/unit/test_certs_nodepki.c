/* test_certs_nodepki: the pieces of a node's PKI that init, join and the
 * watcher share — the names certificates carry, store records that unwrap
 * only where they belong, the ITL and when it must be rebuilt, and the
 * files of DATA/pki. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "node/nodepki.h"
#include "tests/unit/test_certs_fixture.h"
#include "trustlist/trustlist.h"

/* ---- names ------------------------------------------------------------ */

static void test_names_take_the_admin_host(void **state)
{
	struct nodepki_names n;

	(void)state;
	nodepki_names_make("n1", "127.0.0.2:8443", "127.0.0.3:9443",
			   CFX_CLUSTER, 1, &n);
	assert_string_equal(n.cn, "n1");
	assert_string_equal(n.dns, "n1");
	assert_string_equal(n.ip, "127.0.0.2");
	assert_string_equal(n.cluster_id, CFX_CLUSTER);
}

static void test_names_of_a_wildcard_listener_take_the_raft_host(void **s)
{
	struct nodepki_names n;

	(void)s;
	nodepki_names_make("n1", "0.0.0.0:8443", "10.0.0.7:9443", CFX_CLUSTER,
			   1, &n);
	assert_string_equal(n.ip, "10.0.0.7");
	nodepki_names_make("n1", "[::]:8443", "[fd00::7]:9443", CFX_CLUSTER, 1,
			   &n);
	assert_string_equal(n.ip, "fd00::7");
	nodepki_names_make("n1", "0.0.0.0:8443", "0.0.0.0:9443", CFX_CLUSTER, 1,
			   &n);
	assert_string_equal(n.ip, "");
}

static void test_names_that_are_no_dns_names_are_left_out(void **s)
{
	struct nodepki_names n;

	(void)s;
	nodepki_names_make("node_1", "host.example:8443", "host.example:9443",
			   CFX_CLUSTER, 1, &n);
	assert_string_equal(n.cn, "node_1");
	assert_string_equal(n.dns, "");
	assert_string_equal(n.ip, ""); /* a host name is no IP SAN */
	nodepki_names_make("a..b", "1.2.3.4:1", "1.2.3.4:2", CFX_CLUSTER, 1,
			   &n);
	assert_string_equal(n.dns, "");
}

/* ---- records and checks ----------------------------------------------- */

static int setup(void **state)
{
	struct cfx *f = calloc(1, sizeof *f);

	cfx_make(f, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	cfx_free(*state);
	free(*state);
	return 0;
}

static void test_wrapped_key_opens_only_where_it_belongs(void **state)
{
	struct cfx *f = *state;
	struct store_read *r;
	struct store_key k;
	char errmsg[256];
	int i = nodepki_role_index(PKI_ROLE_CAPF);
	X509 *cert = f->pki.node.cert[i];

	assert_int_equal(store_read_begin(f->s, &r), 0);
	assert_int_equal(store_key_get(r, 1, STORE_CERT_CAPF, &k), 0);
	assert_int_equal(keystore_key_check(f->ks, 1, PKI_ROLE_CAPF, k.wrapped,
					    k.wrapped_len, cert, errmsg,
					    sizeof errmsg),
			 KEYSTORE_OK);
	/* Moved to another role or node, it does not open. */
	assert_int_equal(keystore_key_check(f->ks, 1, PKI_ROLE_TFTP, k.wrapped,
					    k.wrapped_len, cert, errmsg,
					    sizeof errmsg),
			 KEYSTORE_EUNWRAP);
	assert_int_equal(keystore_key_check(f->ks, 2, PKI_ROLE_CAPF, k.wrapped,
					    k.wrapped_len, cert, errmsg,
					    sizeof errmsg),
			 KEYSTORE_EUNWRAP);
	assert_non_null(strstr(errmsg, "does not unwrap"));
	store_read_end(r);
}

struct ca_seen {
	struct cfx *f;
	int calls, same_cert, same_key;
};

static int ca_seen(X509 *ca, EVP_PKEY *key, void *arg)
{
	struct ca_seen *s = arg;

	s->calls++;
	s->same_cert = X509_cmp(ca, s->f->pki.ca) == 0;
	s->same_key = EVP_PKEY_eq(key, s->f->pki.ca_key) == 1;
	return 0;
}

static void test_ca_is_lent_from_the_store(void **state)
{
	struct cfx *f = *state;
	struct store_read *r;
	struct ca_seen seen = {.f = f};
	struct keystore *other;
	char errmsg[256], path[700];
	uint8_t id[PKI_KEK_ID_LEN];

	assert_int_equal(store_read_begin(f->s, &r), 0);
	assert_int_equal(
	    nodepki_ca_use(r, f->ks, ca_seen, &seen, errmsg, sizeof errmsg), 0);
	assert_int_equal(seen.calls, 1);
	assert_true(seen.same_cert);
	assert_true(seen.same_key);
	/* Under another KEK the key does not unwrap and nothing is lent. */
	snprintf(path, sizeof path, "%s/other.kek", f->dir);
	assert_int_equal(keystore_new(path, &other), KEYSTORE_OK);
	assert_int_equal(keystore_kek_generate(other, id), KEYSTORE_OK);
	assert_int_not_equal(
	    nodepki_ca_use(r, other, ca_seen, &seen, errmsg, sizeof errmsg), 0);
	assert_int_equal(seen.calls, 1);
	assert_non_null(strstr(errmsg, "does not unwrap"));
	store_read_end(r);
	keystore_free(other);
}

static void test_issued_set_passes_its_own_checks(void **state)
{
	struct cfx *f = *state;
	char errmsg[256];

	for (int i = 0; i < NODEPKI_ROLES; i++)
		if (nodepki_check_issued(f->pki.ca, f->pki.node.cert[i],
					 nodepki_roles[i], "n1", CFX_CLUSTER, 1,
					 errmsg, sizeof errmsg) != 0)
			fail_msg("%s: %s", pki_role_name(nodepki_roles[i]),
				 errmsg);
	/* The CA does not vouch for a certificate as another node's. */
	assert_int_equal(nodepki_check_issued(
			     f->pki.ca, f->pki.node.cert[0], nodepki_roles[0],
			     "n2", CFX_CLUSTER, 1, errmsg, sizeof errmsg),
			 -1);
}

/* ---- the ITL ---------------------------------------------------------- */

static void itl_of(struct cfx *f, uint8_t **file, size_t *len)
{
	struct nodepki_set *s = &f->pki.node;
	int t = nodepki_role_index(PKI_ROLE_TFTP);
	int cm = nodepki_role_index(PKI_ROLE_CALLMANAGER);
	int capf = nodepki_role_index(PKI_ROLE_CAPF);
	char errmsg[256];

	if (nodepki_itl_build(s->cert[t], s->key[t], s->cert[cm], s->cert[capf],
			      &f->names, file, len, errmsg, sizeof errmsg) != 0)
		fail_msg("itl: %s", errmsg);
}

static void der_of(X509 *x, uint8_t **der, size_t *len)
{
	assert_int_equal(pki_cert_to_der(x, der, len), 0);
}

static void test_itl_lists_tftp_callmanager_and_capf(void **state)
{
	struct cfx *f = *state;
	struct nodepki_set *s = &f->pki.node;
	struct trustlist *tl;
	const struct trustlist_record *signer;
	uint8_t *file, *d[3];
	size_t len, n[3];
	const enum pki_role roles[3] = {PKI_ROLE_TFTP, PKI_ROLE_CALLMANAGER,
					PKI_ROLE_CAPF};
	const unsigned fns[3] = {TRUSTLIST_FN_TFTP, TRUSTLIST_FN_CCM,
				 TRUSTLIST_FN_CAPF};

	itl_of(f, &file, &len);
	assert_int_equal(trustlist_parse(file, len, &tl, NULL, 0), 0);
	assert_int_equal(trustlist_verify(tl, TRUSTLIST_ITL, &signer, NULL, 0),
			 0);
	/* The TFTP key signs, and is listed first as the SAST a phone
	 * checks the ITL with, then as TFTP. */
	assert_int_equal(signer->function, TRUSTLIST_FN_SAST);
	assert_int_equal(tl->n_records, 4);
	for (int i = 0; i < 3; i++) {
		der_of(s->cert[nodepki_role_index(roles[i])], &d[i], &n[i]);
		assert_int_equal(tl->records[i + 1].function, fns[i]);
		assert_int_equal(tl->records[i + 1].cert.len, n[i]);
		assert_memory_equal(tl->records[i + 1].cert.data, d[i], n[i]);
		assert_string_equal(tl->records[i + 1].dns_name, "n1");
	}
	assert_memory_equal(tl->records[0].cert.data, d[0], n[0]);
	assert_int_equal(
	    EVP_PKEY_get_base_id(s->key[nodepki_role_index(PKI_ROLE_TFTP)]),
	    EVP_PKEY_RSA);
	assert_true(
	    nodepki_itl_current(file, len, d[0], n[0], d[1], n[1], d[2], n[2]));
	/* Listing the same certificates in other functions is not current,
	 * nor is an altered file. */
	assert_false(
	    nodepki_itl_current(file, len, d[0], n[0], d[2], n[2], d[1], n[1]));
	file[len - 1] ^= 1;
	assert_false(
	    nodepki_itl_current(file, len, d[0], n[0], d[1], n[1], d[2], n[2]));
	assert_false(
	    nodepki_itl_current(NULL, 0, d[0], n[0], d[1], n[1], d[2], n[2]));
	for (int i = 0; i < 3; i++)
		free(d[i]);
	trustlist_free(tl);
	free(file);
}

static void test_itl_of_an_old_tftp_certificate_is_stale(void **state)
{
	struct cfx *f = *state;
	struct nodepki_set *s = &f->pki.node;
	uint8_t *file, *d[3];
	size_t len, n[3];
	EVP_PKEY *k;

	itl_of(f, &file, &len);
	der_of(s->cert[nodepki_role_index(PKI_ROLE_TFTP)], &d[0], &n[0]);
	der_of(s->cert[nodepki_role_index(PKI_ROLE_CALLMANAGER)], &d[1], &n[1]);
	der_of(s->cert[nodepki_role_index(PKI_ROLE_CAPF)], &d[2], &n[2]);
	cfx_regenerate(f, 1, PKI_ROLE_TFTP, &k);
	free(d[0]);
	{
		struct store_read *r;
		struct store_cert c;

		assert_int_equal(store_read_begin(f->s, &r), 0);
		assert_int_equal(store_cert_get(r, 1, STORE_CERT_TFTP, &c), 0);
		d[0] = malloc(c.der_len);
		memcpy(d[0], c.der, c.der_len);
		n[0] = c.der_len;
		store_read_end(r);
	}
	assert_false(
	    nodepki_itl_current(file, len, d[0], n[0], d[1], n[1], d[2], n[2]));
	for (int i = 0; i < 3; i++)
		free(d[i]);
	free(file);
	EVP_PKEY_free(k);
}

/* ---- files ------------------------------------------------------------ */

static void test_role_files_hold_the_chain_and_a_private_key(void **state)
{
	struct cfx *f = *state;
	char path[700];
	struct stat st;

	assert_int_equal(
	    nodepki_write_set(f->dir, f->pki.ca, &f->pki.node, NULL, 0), 0);
	snprintf(path, sizeof path, "%s/pki", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(path, sizeof path, "%s/pki/ipsec.pem", f->dir);
	assert_int_equal(cfx_pem_count(path), 2);
	snprintf(path, sizeof path, "%s/pki/ca.pem", f->dir);
	assert_int_equal(cfx_pem_count(path), 1);
	snprintf(path, sizeof path, "%s/pki/ipsec.key", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* No temporary file is left behind. */
	snprintf(path, sizeof path, "ls %s/pki | grep -c tmp", f->dir);
	{
		FILE *p = popen(path, "r");
		int n = -1;

		assert_int_equal(fscanf(p, "%d", &n), 1);
		pclose(p);
		assert_int_equal(n, 0);
	}
}

static void test_https_pair_is_installed_for_the_admin_api(void **state)
{
	struct cfx *f = *state;
	uint8_t a[32], b[32];
	char path[700], errmsg[256];
	struct stat st;

	assert_int_equal(nodepki_install_https(f->dir, f->cert_file,
					       f->key_file, errmsg,
					       sizeof errmsg),
			 -1); /* nothing to install yet */
	assert_int_equal(
	    nodepki_write_set(f->dir, f->pki.ca, &f->pki.node, NULL, 0), 0);
	assert_int_equal(nodepki_install_https(f->dir, f->cert_file,
					       f->key_file, errmsg,
					       sizeof errmsg),
			 0);
	snprintf(path, sizeof path, "%s/pki/https.pem", f->dir);
	cfx_file_sha(path, a);
	cfx_file_sha(f->cert_file, b);
	assert_memory_equal(a, b, 32);
	assert_int_equal(cfx_pem_count(f->cert_file), 2);
	assert_int_equal(stat(f->key_file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(nodepki_file_sha256("/nonexistent/x.pem", a), 1);
	assert_int_equal(nodepki_file_sha256(f->kek_path, a), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names_take_the_admin_host),
	    cmocka_unit_test(
		test_names_of_a_wildcard_listener_take_the_raft_host),
	    cmocka_unit_test(test_names_that_are_no_dns_names_are_left_out),
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	    T(test_wrapped_key_opens_only_where_it_belongs),
	    T(test_ca_is_lent_from_the_store),
	    T(test_issued_set_passes_its_own_checks),
	    T(test_itl_lists_tftp_callmanager_and_capf),
	    T(test_itl_of_an_old_tftp_certificate_is_stale),
	    T(test_role_files_hold_the_chain_and_a_private_key),
	    T(test_https_pair_is_installed_for_the_admin_api),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
