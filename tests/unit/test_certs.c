/* test_certs: wardd's certificate watcher against a real store — the files
 * it writes from the store, the services it switches when a generation
 * changes (and only then), the KEK it insists on, and the ITLs the leader
 * keeps current. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>

#include "node/certs.h"
#include "node/nodepki.h"
#include "store/prov.h"
#include "store/store.h"
#include "tests/unit/test_certs_fixture.h"

struct hooks {
	struct cfx *f;
	int https, node, proposed, leader;
	int refuse_https;
	int served_set;
	uint8_t served[32];
};

static int on_https(void *arg, char *errmsg, size_t errcap)
{
	struct hooks *h = arg;

	h->https++;
	if (h->refuse_https) {
		snprintf(errmsg, errcap, "refused by the test");
		return -1;
	}
	cfx_file_sha(h->f->cert_file, h->served);
	h->served_set = 1;
	return 0;
}

static void on_https_served(void *arg, uint8_t out[32])
{
	struct hooks *h = arg;

	if (h->served_set)
		memcpy(out, h->served, 32);
	else
		memset(out, 0, 32);
}

static int on_node(void *arg, char *errmsg, size_t errcap)
{
	struct hooks *h = arg;

	h->node++;
	return 0;
}

static int on_leader(void *arg)
{
	return ((struct hooks *)arg)->leader;
}

/* As consensus would: applied at once, then DONE. */
static int on_propose(void *arg, const void *cmd, size_t len,
		      void (*done)(void *, int), void *done_arg)
{
	struct hooks *h = arg;

	h->proposed++;
	done(done_arg, cfx_apply_raw(h->f, cmd, len));
	return 0;
}

struct fx {
	struct cfx c;
	struct hooks h;
	struct certs *w;
};

static struct certs *watcher(struct fx *x)
{
	struct certs *w = NULL;
	char errmsg[256];
	struct certs_config cc = {
	    .data_dir = x->c.dir,
	    .cert_file = x->c.cert_file,
	    .key_file = x->c.key_file,
	    .node_name = "n1",
	    .node_id = x->c.node_id,
	    .store = x->c.s,
	    .hooks =
		{
		    .https = on_https,
		    .https_served = on_https_served,
		    .node = on_node,
		    .is_leader = on_leader,
		    .propose = on_propose,
		    .arg = &x->h,
		},
	};

	assert_int_equal(certs_new(&cc, &w, errmsg, sizeof errmsg), 0);
	return w;
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof *x);

	cfx_make(&x->c, 1);
	x->h.f = &x->c;
	x->w = watcher(x);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	certs_free(x->w);
	cfx_free(&x->c);
	free(x);
	return 0;
}

static void look(struct fx *x)
{
	char errmsg[512] = "";

	if (certs_check(x->w, errmsg, sizeof errmsg) != 0)
		fail_msg("certs_check: %s", errmsg);
}

static void role_path(struct fx *x, const char *role, const char *ext,
		      char *out, size_t cap)
{
	snprintf(out, cap, "%s/pki/%s.%s", x->c.dir, role, ext);
}

static void assert_sha_eq(const uint8_t *a, const uint8_t *b)
{
	assert_memory_equal(a, b, 32);
}

static void cert_sha(X509 *x, uint8_t out[32])
{
	unsigned int n = 32;

	assert_true(X509_digest(x, EVP_sha256(), out, &n));
}

/* ---- files ------------------------------------------------------------ */

static void test_first_look_writes_every_role_from_the_store(void **state)
{
	struct fx *x = *state;
	char path[700];
	uint8_t want[32], got[32];
	struct stat st;

	look(x);
	for (int i = 0; i < NODEPKI_ROLES; i++) {
		const char *role = pki_role_name(nodepki_roles[i]);
		EVP_PKEY *key;
		X509 *leaf;
		FILE *fp;

		role_path(x, role, "pem", path, sizeof path);
		cert_sha(x->c.pki.node.cert[i], want);
		cfx_file_sha(path, got);
		assert_sha_eq(got, want);
		/* Leaf then CA, so that a service sends the chain. */
		assert_int_equal(cfx_pem_count(path), 2);
		fp = fopen(path, "r");
		leaf = PEM_read_X509(fp, NULL, NULL, NULL);
		fclose(fp);
		role_path(x, role, "key", path, sizeof path);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		fp = fopen(path, "r");
		key = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
		fclose(fp);
		assert_non_null(key);
		assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(leaf), key), 1);
		EVP_PKEY_free(key);
		X509_free(leaf);
	}
	snprintf(path, sizeof path, "%s/pki/ca.pem", x->c.dir);
	cfx_file_sha(path, got);
	assert_sha_eq(got, x->c.pki.ca_sha256);
	/* The admin API serves the HTTPS certificate, and was told. */
	cert_sha(x->c.pki.node.cert[nodepki_role_index(PKI_ROLE_HTTPS)], want);
	cfx_file_sha(x->c.cert_file, got);
	assert_sha_eq(got, want);
	assert_int_equal(stat(x->c.key_file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(x->h.https, 1);
	assert_int_equal(x->h.node, 1);
	assert_int_equal(certs_in_use(x->w, PKI_ROLE_HTTPS, got), 0);
	assert_sha_eq(got, want);
}

static void test_unchanged_store_switches_nothing(void **state)
{
	struct fx *x = *state;
	char path[700];
	struct stat before, after;
	struct store_cmd *cmd;

	look(x);
	role_path(x, "tftp", "pem", path, sizeof path);
	assert_int_equal(stat(path, &before), 0);
	look(x);
	/* Another table changes: the certificates did not. */
	cmd = cfx_cmd();
	assert_int_equal(store_cmd_put_param(cmd, "sip_keepalive_s", "300"), 0);
	assert_int_equal(cfx_apply(&x->c, cmd), 0);
	look(x);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	assert_int_equal(x->h.https, 1);
	assert_int_equal(x->h.node, 1);
}

static void test_files_in_use_at_start_are_kept(void **state)
{
	struct fx *x = *state;
	struct certs *again;

	look(x);
	/* wardd restarts: what is on disk is what the store holds. */
	again = watcher(x);
	certs_free(x->w);
	x->w = again;
	x->h.https = x->h.node = 0;
	look(x);
	assert_int_equal(x->h.https, 0);
	assert_int_equal(x->h.node, 0);
}

static void test_damaged_file_is_rewritten_at_start(void **state)
{
	struct fx *x = *state;
	char path[700];
	uint8_t want[32], got[32];
	FILE *fp;

	look(x);
	role_path(x, "capf", "pem", path, sizeof path);
	fp = fopen(path, "w");
	fputs("not a certificate\n", fp);
	fclose(fp);
	certs_free(x->w);
	x->w = watcher(x);
	look(x);
	cert_sha(x->c.pki.node.cert[nodepki_role_index(PKI_ROLE_CAPF)], want);
	cfx_file_sha(path, got);
	assert_sha_eq(got, want);
}

/* ---- generations ------------------------------------------------------ */

static void test_new_generation_is_written_and_switched(void **state)
{
	struct fx *x = *state;
	char path[700];
	EVP_PKEY *key, *on_disk;
	uint8_t got[32], in_use[32];
	FILE *fp;

	look(x);
	assert_int_equal(cfx_regenerate(&x->c, 1, PKI_ROLE_NODE, &key), 2);
	look(x);
	role_path(x, "node", "key", path, sizeof path);
	fp = fopen(path, "r");
	on_disk = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_int_equal(EVP_PKEY_eq(on_disk, key), 1);
	role_path(x, "node", "pem", path, sizeof path);
	cfx_file_sha(path, got);
	assert_int_equal(certs_in_use(x->w, PKI_ROLE_NODE, in_use), 0);
	assert_sha_eq(got, in_use);
	/* Raft reloads; the admin API has nothing new. */
	assert_int_equal(x->h.node, 2);
	assert_int_equal(x->h.https, 1);
	EVP_PKEY_free(on_disk);
	EVP_PKEY_free(key);
}

static void test_new_https_generation_reaches_the_admin_api(void **state)
{
	struct fx *x = *state;
	uint8_t before[32], after[32];

	look(x);
	cfx_file_sha(x->c.cert_file, before);
	cfx_regenerate(&x->c, 1, PKI_ROLE_HTTPS, NULL);
	look(x);
	cfx_file_sha(x->c.cert_file, after);
	assert_memory_not_equal(before, after, 32);
	assert_int_equal(x->h.https, 2);
	assert_int_equal(x->h.node, 1);
}

static void test_refused_reload_is_tried_again(void **state)
{
	struct fx *x = *state;

	x->h.refuse_https = 1;
	look(x);
	assert_int_equal(x->h.https, 1);
	look(x); /* nothing was applied, but the switch is still owed */
	assert_int_equal(x->h.https, 2);
	x->h.refuse_https = 0;
	look(x);
	assert_int_equal(x->h.https, 3);
	look(x);
	assert_int_equal(x->h.https, 3);
}

static void test_other_nodes_certificates_are_not_ours(void **state)
{
	struct fx *x = *state;
	struct nodepki_set other = {0};
	struct nodepki_names names = x->c.names;
	struct store_cmd *cmd = cfx_cmd();
	char errmsg[256], path[700];
	uint8_t before[32], after[32];

	look(x);
	role_path(x, "tftp", "pem", path, sizeof path);
	cfx_file_sha(path, before);
	names.node_id = 2;
	assert_int_equal(nodepki_set_keygen(&other, PKI_KEY_ECDSA_P256, errmsg,
					    sizeof errmsg),
			 0);
	assert_int_equal(nodepki_set_issue(&other, x->c.pki.ca, x->c.pki.ca_key,
					   &names, errmsg, sizeof errmsg),
			 0);
	assert_int_equal(nodepki_cmd_put_set(cmd, x->c.ks, 2, &other, 5, errmsg,
					     sizeof errmsg),
			 0);
	assert_int_equal(cfx_apply(&x->c, cmd), 0);
	look(x);
	cfx_file_sha(path, after);
	assert_sha_eq(before, after);
	assert_int_equal(x->h.node, 1);
	nodepki_set_clear(&other);
}

/* ---- the KEK ---------------------------------------------------------- */

static void test_foreign_kek_stops_the_node(void **state)
{
	struct fx *x = *state;
	uint8_t other[PKI_KEK_LEN];
	char errmsg[512] = "";

	assert_int_equal(pki_kek_generate(other), 0);
	assert_int_equal(pki_kek_save(x->c.kek_path, other, NULL, 0), 0);
	assert_int_equal(certs_check(x->w, errmsg, sizeof errmsg), -1);
	assert_non_null(strstr(errmsg, "is not the key-encryption key"));
	assert_int_equal(x->h.https, 0);
}

static void test_missing_kek_stops_the_node(void **state)
{
	struct fx *x = *state;
	char errmsg[512] = "";

	assert_int_equal(unlink(x->c.kek_path), 0);
	assert_int_equal(certs_check(x->w, errmsg, sizeof errmsg), -1);
	assert_non_null(strstr(errmsg, "restore the file"));
}

static void test_cluster_without_pki_is_refused(void **state)
{
	struct fx *x = *state;
	struct store_cluster cl = {0};
	struct store_cmd *cmd = cfx_cmd();
	char errmsg[512] = "";

	snprintf(cl.id, sizeof cl.id, "%s", CFX_CLUSTER);
	snprintf(cl.name, sizeof cl.name, "old");
	cl.schema_version = 1;
	assert_int_equal(store_cmd_put_cluster(cmd, &cl), 0);
	assert_int_equal(cfx_apply(&x->c, cmd), 0);
	assert_int_equal(
	    certs_kek_check(x->c.ks, x->c.dir, x->c.s, errmsg, sizeof errmsg),
	    -1);
	assert_non_null(strstr(errmsg, "predates the cluster PKI"));
}

static void test_store_without_cluster_waits(void **state)
{
	struct cfx c = {0};
	char errmsg[256] = "", dir[700], kek[760];
	struct keystore *ks;
	struct store *s;

	c.dir = cfx_tmpdir();
	snprintf(dir, sizeof dir, "%s", c.dir);
	snprintf(kek, sizeof kek, "%s/kek", c.dir);
	assert_int_equal(keystore_new(kek, &ks), KEYSTORE_OK);
	assert_int_equal(store_open(dir, &s, errmsg, sizeof errmsg), 0);
	assert_int_equal(certs_kek_check(ks, c.dir, s, errmsg, sizeof errmsg),
			 1);
	store_close(s);
	keystore_free(ks);
	cfx_rmdir(c.dir);
}

/* ---- ITLs ------------------------------------------------------------- */

static int itl_is_current(struct fx *x, uint64_t node)
{
	struct store_read *r;
	struct store_itl itl;
	struct store_cert t, cm, capf;
	int ok;

	assert_int_equal(store_read_begin(x->c.s, &r), 0);
	ok = store_itl_get(r, node, &itl) == 0 &&
	     store_cert_get(r, node, STORE_CERT_TFTP, &t) == 0 &&
	     store_cert_get(r, node, STORE_CERT_CALLMANAGER, &cm) == 0 &&
	     store_cert_get(r, node, STORE_CERT_CAPF, &capf) == 0 &&
	     nodepki_itl_current(itl.file, itl.file_len, t.der, t.der_len,
				 cm.der, cm.der_len, capf.der, capf.der_len);
	store_read_end(r);
	return ok;
}

static void test_leader_writes_a_missing_itl(void **state)
{
	struct fx *x = *state;

	x->h.leader = 1;
	assert_false(itl_is_current(x, 1));
	look(x);
	assert_int_equal(x->h.proposed, 1);
	assert_true(itl_is_current(x, 1));
	look(x);
	look(x);
	assert_int_equal(x->h.proposed, 1);
}

/* A cluster made before the provisioning tables: the leader adds the
 * default profiles and a nonce secret that unwraps under the KEK. */
static void test_leader_adds_missing_provisioning_defaults(void **state)
{
	struct fx *x = *state;
	struct store_cmd *cmd = cfx_cmd();
	struct store_phone_profile p;
	struct store_secret sec;
	struct store_read *r;
	uint8_t secret[64];
	size_t n;

	assert_int_equal(store_cmd_op(cmd, STORE_OP_DEL_EXISTING,
				      STORE_T_SECRETS, "digest_nonce", 12, NULL,
				      0),
			 0);
	assert_int_equal(store_cmd_del_phone_profile(cmd, "standard-encrypted"),
			 0);
	assert_int_equal(cfx_apply(&x->c, cmd), 0);
	x->h.leader = 1;
	look(x); /* the ITL */
	look(x);
	assert_int_equal(store_read_begin(x->c.s, &r), 0);
	assert_int_equal(store_phone_profile_get(r, "standard-encrypted", &p),
			 0);
	assert_int_equal(p.mode, STORE_DEVMODE_ENCRYPTED);
	assert_int_equal(store_secret_get(r, STORE_SECRET_DIGEST_NONCE, &sec),
			 0);
	assert_int_equal(keystore_unwrap(x->c.ks, "secrets", "digest_nonce", 12,
					 sec.wrapped, sec.wrapped_len, secret,
					 sizeof secret, &n),
			 KEYSTORE_OK);
	assert_int_equal(n, STORE_SECRET_LEN);
	store_read_end(r);
	/* Nothing more to add. */
	n = x->h.proposed;
	look(x);
	assert_int_equal(x->h.proposed, n);
}

static void test_follower_proposes_no_itl(void **state)
{
	struct fx *x = *state;

	look(x);
	assert_int_equal(x->h.proposed, 0);
	assert_false(itl_is_current(x, 1));
}

static void test_new_leader_looks_at_itls_at_once(void **state)
{
	struct fx *x = *state;

	look(x);
	assert_int_equal(x->h.proposed, 0);
	/* Leadership moves here; nothing new is applied. */
	x->h.leader = 1;
	look(x);
	assert_int_equal(x->h.proposed, 1);
	assert_true(itl_is_current(x, 1));
}

static void test_itl_follows_a_regenerated_tftp_certificate(void **state)
{
	struct fx *x = *state;

	x->h.leader = 1;
	look(x);
	assert_true(itl_is_current(x, 1));
	cfx_regenerate(&x->c, 1, PKI_ROLE_TFTP, NULL);
	assert_false(itl_is_current(x, 1));
	look(x);
	assert_int_equal(x->h.proposed, 2);
	assert_true(itl_is_current(x, 1));
	/* A regenerated IPsec certificate is not in the ITL. */
	cfx_regenerate(&x->c, 1, PKI_ROLE_IPSEC, NULL);
	look(x);
	assert_int_equal(x->h.proposed, 2);
}

static void test_leader_writes_other_nodes_itls(void **state)
{
	struct fx *x = *state;
	struct nodepki_set other = {0};
	struct nodepki_names names = x->c.names;
	struct store_node n = {.id = 2, .state = STORE_NODE_SPARE};
	struct store_cmd *cmd = cfx_cmd();
	char errmsg[256];

	x->h.leader = 1;
	look(x);
	names.node_id = 2;
	snprintf(n.name, sizeof n.name, "n2");
	assert_int_equal(nodepki_set_keygen(&other, PKI_KEY_ECDSA_P256, errmsg,
					    sizeof errmsg),
			 0);
	assert_int_equal(nodepki_set_issue(&other, x->c.pki.ca, x->c.pki.ca_key,
					   &names, errmsg, sizeof errmsg),
			 0);
	assert_int_equal(nodepki_cmd_put_set(cmd, x->c.ks, 2, &other, 5, errmsg,
					     sizeof errmsg),
			 0);
	assert_int_equal(store_cmd_put_node(cmd, STORE_OP_PUT_NEW, &n), 0);
	assert_int_equal(cfx_apply(&x->c, cmd), 0);
	look(x);
	assert_true(itl_is_current(x, 2));
	assert_true(itl_is_current(x, 1));
	nodepki_set_clear(&other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	    T(test_first_look_writes_every_role_from_the_store),
	    T(test_unchanged_store_switches_nothing),
	    T(test_files_in_use_at_start_are_kept),
	    T(test_damaged_file_is_rewritten_at_start),
	    T(test_new_generation_is_written_and_switched),
	    T(test_new_https_generation_reaches_the_admin_api),
	    T(test_refused_reload_is_tried_again),
	    T(test_other_nodes_certificates_are_not_ours),
	    T(test_foreign_kek_stops_the_node),
	    T(test_missing_kek_stops_the_node),
	    T(test_cluster_without_pki_is_refused),
	    cmocka_unit_test(test_store_without_cluster_waits),
	    T(test_leader_writes_a_missing_itl),
	    T(test_leader_adds_missing_provisioning_defaults),
	    T(test_follower_proposes_no_itl),
	    T(test_new_leader_looks_at_itls_at_once),
	    T(test_itl_follows_a_regenerated_tftp_certificate),
	    T(test_leader_writes_other_nodes_itls),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
