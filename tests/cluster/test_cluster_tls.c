/* Cluster test of the mutual-TLS transport: real servers in one process on
 * 127.0.0.1 free ports, certificates made by the pki library — replication,
 * what crosses the wire, certificate reload, and the files refused at
 * start. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cluster_util.h"
#include "common/log.h"
#include "test_cluster_tls_util.h"

#define WAIT_MS 10000
#define MARKER "WARD-WIRE-MARKER-31415926"

struct fixture {
	char dir[256];
	struct tu_ca ca;
	struct tu_node n[3];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	cu_tmpdir("tls-cluster", f->dir, sizeof f->dir);
	tu_ca_init(&f->ca, f->dir, "cluster");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (int i = 0; i < 3; i++)
		tu_node_free(&f->n[i]);
	tu_ca_close(&f->ca);
	cu_rmtree(f->dir);
	free(f);
	return 0;
}

/* Node I with id 11 + I and its certificate; started unless START is 0. */
static void node_make(struct fixture *f, int i, int tls, int start)
{
	struct tu_node *n = &f->n[i];
	char tag[16], err[256];

	tu_node_init(n, 11 + (uint64_t)i);
	snprintf(tag, sizeof tag, "node%d", i);
	X509_free(
	    tu_issue(&f->ca, PKI_ROLE_NODE, n->id, NULL, tag, n->cert, n->key));
	if (i == 0)
		assert_int_equal(consensus_bootstrap(n->raft_dir, n->id,
						     n->address, err,
						     sizeof err),
				 0);
	if (start && tu_node_start(n, tls ? &f->ca : NULL, err) != 0)
		fail_msg("start %d: %s", i, err);
}

static void test_tls_cluster_replicates(void **state)
{
	struct fixture *f = *state;
	struct consensus_status st;
	char key[32], val[32], err[256];
	uint64_t d0;

	for (int i = 0; i < 3; i++)
		node_make(f, i, 1, 1);
	assert_true(tu_wait_leader(&f->n[0], WAIT_MS));
	assert_int_equal(tu_add(&f->n[0], &f->n[1], WAIT_MS), 0);
	assert_int_equal(tu_add(&f->n[0], &f->n[2], WAIT_MS), 0);
	consensus_status_get(f->n[0].c, &st);
	assert_int_equal(st.n_members, 3);
	for (int k = 0; k < 100; k++) {
		snprintf(key, sizeof key, "k%03d", k);
		snprintf(val, sizeof val, "v%d", k);
		assert_int_equal(tu_propose(&f->n[0], key, val, WAIT_MS), 0);
	}
	for (int i = 0; i < 3; i++)
		assert_true(tu_wait_value(&f->n[i], "k099", "v99", WAIT_MS));
	d0 = cu_store_digest(f->n[0].store, NULL);
	for (int i = 1; i < 3; i++)
		assert_true(cu_store_digest(f->n[i].store, NULL) == d0);

	/* The other way round: server 2 leads and dials the others. */
	assert_int_equal(consensus_transfer(f->n[0].c, f->n[1].id, NULL, NULL),
			 0);
	assert_true(tu_wait_leader(&f->n[1], WAIT_MS));
	assert_int_equal(tu_propose(&f->n[1], "from", "two", WAIT_MS), 0);
	/* A restarted server reconnects and catches up. */
	tu_node_stop(&f->n[2]);
	assert_int_equal(tu_propose(&f->n[1], "while", "down", WAIT_MS), 0);
	if (tu_node_start(&f->n[2], &f->ca, err) != 0)
		fail_msg("restart: %s", err);
	for (int i = 0; i < 3; i++)
		assert_true(tu_wait_value(&f->n[i], "while", "down", WAIT_MS));
}

/* Walks TLS records from the start of BUF: returns how many records there
 * are before the first application_data (23) one, or -1 if BUF is not a
 * sequence of TLS 1.2-framed records (a last one may be cut short). */
static int tls_plain_records(const unsigned char *buf, size_t len, int *n_app)
{
	size_t off = 0;
	int before = -1, n = 0;

	*n_app = 0;
	while (off + 5 <= len) {
		unsigned type = buf[off],
			 rlen = buf[off + 3] << 8 | buf[off + 4];

		if (type < 20 || type > 23 || buf[off + 1] != 3 ||
		    rlen > 16384 + 256)
			return -1;
		if (type == 23) {
			if (before < 0)
				before = n;
			(*n_app)++;
		}
		n++;
		off += 5 + rlen;
	}
	return before < 0 ? n : before;
}

/* Server 2 is added at a relay's address: everything server 1 sends it
 * and everything it answers is recorded. */
static void wire_capture(struct fixture *f, int tls, struct tu_relay *r)
{
	struct tu_node ghost;

	node_make(f, 0, tls, 1);
	node_make(f, 1, tls, 1);
	assert_true(tu_wait_leader(&f->n[0], WAIT_MS));
	tu_relay_start(r, f->n[1].port);
	ghost = f->n[1];
	snprintf(ghost.address, sizeof ghost.address, "127.0.0.1:%u", r->port);
	assert_int_equal(tu_add(&f->n[0], &ghost, WAIT_MS), 0);
	assert_int_equal(tu_propose(&f->n[0], "secret", MARKER, WAIT_MS), 0);
	assert_true(tu_wait_value(&f->n[1], "secret", MARKER, WAIT_MS));
	tu_node_stop(&f->n[0]);
	tu_node_stop(&f->n[1]);
	tu_relay_stop(r);
}

static void test_plain_wire_shows_raft_traffic(void **state)
{
	struct fixture *f = *state;
	struct tu_relay r;

	/* The control: the same capture over the plain transport holds the
	 * handshake and the command in clear. */
	wire_capture(f, 0, &r);
	assert_true(r.conns >= 1);
	assert_true(tu_contains(r.up, r.up_len, "WARDRFT2", 8));
	assert_true(tu_contains(r.up, r.up_len, MARKER, strlen(MARKER)));
	tu_relay_free(&r);
}

static void test_tls_wire_carries_only_tls_records(void **state)
{
	struct fixture *f = *state;
	struct tu_relay r;
	int n_app, plain;

	wire_capture(f, 1, &r);
	assert_true(r.conns >= 1);
	/* The caller's first bytes: a TLS handshake record (ClientHello). */
	assert_true(r.up_len > 5 && r.up[0] == 22 && r.up[1] == 3);
	/* What a plain socket connected to the server sees: its first bytes
	 * are a TLS handshake record (ServerHello), not Raft. */
	assert_true(r.down_len > 5 && r.down[0] == 22 && r.down[1] == 3);
	/* Each direction is TLS records only; apart from the hellos (and
	 * the middlebox-compatibility change_cipher_spec) all encrypted. */
	plain = tls_plain_records(r.up, r.up_len, &n_app);
	assert_true(plain >= 1 && plain <= 2);
	assert_true(n_app >= 2);
	plain = tls_plain_records(r.down, r.down_len, &n_app);
	assert_true(plain >= 1 && plain <= 2);
	assert_true(n_app >= 2);
	assert_false(tu_contains(r.up, r.up_len, MARKER, strlen(MARKER)));
	assert_false(tu_contains(r.up, r.up_len, "WARDTLS1", 8));
	assert_false(tu_contains(r.up, r.up_len, "WARDRFT2", 8));
	assert_false(tu_contains(r.down, r.down_len, MARKER, strlen(MARKER)));
	tu_relay_free(&r);
}

/* The certificate server N shows to a new TLS client. */
static X509 *served_cert(struct tu_node *n)
{
	SSL *ssl;
	X509 *x;

	ssl = tu_tls_client(tu_connect(n->port), NULL, NULL);
	assert_non_null(ssl);
	x = SSL_get1_peer_certificate(ssl);
	assert_non_null(x);
	tu_tls_free(ssl);
	return x;
}

static void test_tls_reload_serves_a_regenerated_certificate(void **state)
{
	struct fixture *f = *state;
	struct tu_node *b = &f->n[1];
	char err[256] = "", other[300], other_key[300];
	X509 *old, *fresh, *seen;

	node_make(f, 0, 1, 1);
	node_make(f, 1, 1, 1);
	assert_true(tu_wait_leader(&f->n[0], WAIT_MS));
	old = served_cert(b);

	/* Regenerated in place: new key, new certificate, same node. */
	fresh = tu_issue(&f->ca, PKI_ROLE_NODE, b->id, NULL, "node1", b->cert,
			 b->key);
	assert_int_not_equal(X509_cmp(old, fresh), 0);
	seen = served_cert(b);
	assert_int_equal(X509_cmp(seen, old), 0); /* not read yet */
	X509_free(seen);
	assert_int_equal(consensus_reload_tls(b->c, err, sizeof err), 0);
	seen = served_cert(b);
	assert_int_equal(X509_cmp(seen, fresh), 0);
	X509_free(seen);

	/* The cluster forms with it: both directions are new connections
	 * made after the reload. */
	assert_int_equal(tu_add(&f->n[0], b, WAIT_MS), 0);
	assert_int_equal(tu_propose(&f->n[0], "after", "reload", WAIT_MS), 0);
	assert_true(tu_wait_value(b, "after", "reload", WAIT_MS));

	/* Files that would not do are refused and the running ones stay. */
	X509_free(tu_issue(&f->ca, PKI_ROLE_NODE, 99, NULL, "node99", other,
			   other_key));
	assert_int_equal(rename(other, b->cert), 0);
	assert_int_equal(consensus_reload_tls(b->c, err, sizeof err),
			 CONSENSUS_ETLS);
	assert_non_null(strstr(err, "node 99"));
	seen = served_cert(b);
	assert_int_equal(X509_cmp(seen, fresh), 0);
	X509_free(seen);
	assert_int_equal(tu_propose(&f->n[0], "still", "fine", WAIT_MS), 0);
	assert_true(tu_wait_value(b, "still", "fine", WAIT_MS));
	X509_free(old);
	X509_free(fresh);
}

static void test_tls_start_refuses_unusable_files(void **state)
{
	struct fixture *f = *state;
	struct tu_node *n = &f->n[0];
	struct tu_ca foreign;
	struct consensus_config cfg;
	struct consensus *c = NULL;
	char err[256], cert[300], key[300];

	node_make(f, 0, 1, 0);
	memset(&cfg, 0, sizeof cfg);
	cfg.id = n->id;
	cfg.address = n->address;
	cfg.dir = n->raft_dir;
	cfg.store = n->store;

	/* Half a TLS configuration is not plain TCP. */
	cfg.tls_cert = n->cert;
	assert_int_equal(consensus_start(&cfg, &c, err, sizeof err),
			 CONSENSUS_EINVAL);
	cfg.tls_key = n->key;
	cfg.tls_ca = f->ca.ca_path;
	cfg.cluster_id = f->ca.cluster_id;

	/* A certificate of another node. */
	X509_free(tu_issue(&f->ca, PKI_ROLE_NODE, 12, NULL, "n12", cert, key));
	cfg.tls_cert = cert;
	cfg.tls_key = key;
	assert_int_equal(consensus_start(&cfg, &c, err, sizeof err),
			 CONSENSUS_ETLS);
	assert_non_null(strstr(err, "node 12"));
	/* A key that is not the certificate's. */
	cfg.tls_cert = n->cert;
	assert_int_equal(consensus_start(&cfg, &c, err, sizeof err),
			 CONSENSUS_ETLS);
	assert_non_null(strstr(err, "not the key"));
	cfg.tls_key = n->key;
	/* Another cluster's id. */
	tu_ca_init(&foreign, f->dir, "foreign");
	cfg.cluster_id = foreign.cluster_id;
	assert_int_equal(consensus_start(&cfg, &c, err, sizeof err),
			 CONSENSUS_ETLS);
	assert_non_null(strstr(err, "not of this one"));
	cfg.cluster_id = f->ca.cluster_id;
	/* A CA that did not sign it. */
	cfg.tls_ca = foreign.ca_path;
	assert_int_equal(consensus_start(&cfg, &c, err, sizeof err),
			 CONSENSUS_ETLS);
	assert_non_null(strstr(err, "not trusted"));
	/* A missing file, named. */
	cfg.tls_ca = "/nonexistent/ward/ca.crt";
	assert_int_equal(consensus_start(&cfg, &c, err, sizeof err),
			 CONSENSUS_ETLS);
	assert_non_null(strstr(err, "/nonexistent/ward/ca.crt"));
	/* A private key where the CA belongs. */
	cfg.tls_ca = n->key;
	assert_int_equal(consensus_start(&cfg, &c, err, sizeof err),
			 CONSENSUS_ETLS);
	assert_null(c);
	tu_ca_close(&foreign);

	/* Without TLS there is nothing to reload. */
	cfg.tls_cert = cfg.tls_key = cfg.tls_ca = cfg.cluster_id = NULL;
	assert_int_equal(consensus_start(&cfg, &n->c, err, sizeof err), 0);
	assert_int_equal(consensus_reload_tls(n->c, err, sizeof err),
			 CONSENSUS_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_tls_cluster_replicates, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_plain_wire_shows_raft_traffic,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_tls_wire_carries_only_tls_records, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_tls_reload_serves_a_regenerated_certificate, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_tls_start_refuses_unusable_files, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
