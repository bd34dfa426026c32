/* Cluster test of the mutual-TLS transport against peers that must not get
 * in: every one of them tries to inject the same forged AppendEntries — a
 * command entry a new server would append, commit and apply — into a real
 * server on 127.0.0.1. Two controls show that the forgery works when the
 * door is open: over the plain TCP transport, and over TLS with a genuine
 * node certificate. Everything else is closed and the store stays empty —
 * also a genuine node certificate that the node's own check (what its store
 * holds: consensus_config.peer_check) does not accept. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cluster_util.h"
#include "common/log.h"
#include "test_cluster_tls_util.h"

#define TARGET_ID 21
#define INTRUDER_ID 7
#define KEY "injected"
#define VAL "by-a-forged-leader"

struct fixture {
	char dir[256];
	struct tu_ca ca, foreign;
	struct tu_node target;
	unsigned char msg[4096]; /* a forged AppendEntries */
	size_t msg_len;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	void *cmd;
	size_t len;

	cu_tmpdir("tls-refuse", f->dir, sizeof f->dir);
	tu_ca_init(&f->ca, f->dir, "cluster");
	tu_ca_init(&f->foreign, f->dir, "foreign");
	cmd = cu_cmd(STORE_OP_PUT, KEY, VAL, &len);
	f->msg_len = tu_append_entries(f->msg, sizeof f->msg, 5, cmd, len);
	free(cmd);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tu_node_free(&f->target);
	tu_ca_close(&f->ca);
	tu_ca_close(&f->foreign);
	cu_rmtree(f->dir);
	free(f);
	return 0;
}

/* A new server (not bootstrapped, waiting to be added) over TLS, or plain
 * TCP if TLS is 0. */
static void target_start(struct fixture *f, int tls)
{
	char err[256];
	X509 *x;

	tu_node_init(&f->target, TARGET_ID);
	x = tu_issue(&f->ca, PKI_ROLE_NODE, TARGET_ID, NULL, "target",
		     f->target.cert, f->target.key);
	X509_free(x);
	if (tu_node_start(&f->target, tls ? &f->ca : NULL, err) != 0)
		fail_msg("start: %s", err);
}

static void assert_target_untouched(struct fixture *f)
{
	struct consensus_status st;
	char val[64];

	usleep(300 * 1000); /* time to apply, had anything been injected */
	assert_int_equal(store_applied_index(f->target.store), 0);
	assert_int_equal(cu_store_get(f->target.store, KEY, val, sizeof val),
			 STORE_ENOTFOUND);
	consensus_status_get(f->target.c, &st);
	assert_int_equal(st.term, 0);
	assert_int_equal(st.last_index, 0);
}

/* Sends BYTES then the forgery over TLS and expects the server to close. */
static void tls_attempt(struct fixture *f, const char *cert, const char *key,
			uint64_t claimed)
{
	unsigned char hs[300];
	size_t hs_len =
	    tu_hs_ward(hs, "WARDTLS1", claimed, TARGET_ID, "127.0.0.1:1");
	int fd = tu_connect(f->target.port);
	SSL *ssl = tu_tls_client(fd, cert, key);

	if (ssl == NULL) {
		close(fd); /* refused within the handshake already */
		return;
	}
	/* TLS 1.3: our side is done before the server judged our
	 * certificate; what we write now is what an intruder would try. */
	SSL_write(ssl, hs, (int)hs_len);
	SSL_write(ssl, f->msg, (int)f->msg_len);
	assert_true(tu_tls_closed_within(ssl, 3000));
	tu_tls_free(ssl);
}

static void test_plain_transport_lets_a_forged_leader_in(void **state)
{
	struct fixture *f = *state;
	unsigned char hs[300];
	size_t len =
	    tu_hs_ward(hs, "WARDRFT2", INTRUDER_ID, TARGET_ID, "127.0.0.1:1");
	int fd;

	/* The control: what the TLS transport exists to stop. */
	target_start(f, 0);
	fd = tu_connect(f->target.port);
	assert_int_equal(send(fd, hs, len, 0), (ssize_t)len);
	assert_int_equal(send(fd, f->msg, f->msg_len, 0), (ssize_t)f->msg_len);
	assert_true(tu_wait_value(&f->target, KEY, VAL, 3000));
	close(fd);
}

static void test_tls_admits_a_genuine_node_certificate(void **state)
{
	struct fixture *f = *state;
	char cert[300], key[300];
	unsigned char hs[300];
	size_t len =
	    tu_hs_ward(hs, "WARDTLS1", INTRUDER_ID, TARGET_ID, "127.0.0.1:1");
	SSL *ssl;

	/* The second control: a member of the cluster is trusted, so the
	 * forgery itself is well-formed and only the checks stop it. */
	target_start(f, 1);
	X509_free(tu_issue(&f->ca, PKI_ROLE_NODE, INTRUDER_ID, NULL, "member",
			   cert, key));
	ssl = tu_tls_client(tu_connect(f->target.port), cert, key);
	assert_non_null(ssl);
	assert_int_equal(SSL_write(ssl, hs, (int)len), (int)len);
	assert_int_equal(SSL_write(ssl, f->msg, (int)f->msg_len),
			 (int)f->msg_len);
	assert_true(tu_wait_value(&f->target, KEY, VAL, 3000));
	tu_tls_free(ssl);
}

/* What the node's store would say: only CURRENT is INTRUDER_ID's
 * certificate; what was asked is recorded. */
struct only_current {
	uint8_t current[32];
	/* Written on the Raft thread, read on the test's. */
	atomic_int asked, refused;
	_Atomic uint64_t asked_id;
};

static int check_only_current(void *arg, uint64_t node_id,
			      const uint8_t sha256[32], uint64_t not_before_s)
{
	struct only_current *oc = arg;

	(void)not_before_s;
	oc->asked++;
	oc->asked_id = node_id;
	if (node_id == INTRUDER_ID && memcmp(sha256, oc->current, 32) == 0)
		return 0;
	oc->refused++;
	return -1;
}

static void
test_tls_refuses_a_valid_certificate_the_check_does_not_hold(void **state)
{
	struct fixture *f = *state;
	struct only_current oc = {0};
	char old_cert[300], old_key[300], cert[300], key[300], err[256];
	unsigned char hs[300];
	size_t len =
	    tu_hs_ward(hs, "WARDTLS1", INTRUDER_ID, TARGET_ID, "127.0.0.1:1");
	unsigned int dlen = 0;
	X509 *x;
	SSL *ssl;

	/* Two genuine NODE certificates of the CA for the same id: one
	 * superseded (or of a removed server), one current. */
	X509_free(tu_issue(&f->ca, PKI_ROLE_NODE, INTRUDER_ID, NULL, "old",
			   old_cert, old_key));
	x = tu_issue(&f->ca, PKI_ROLE_NODE, INTRUDER_ID, NULL, "current", cert,
		     key);
	assert_int_equal(X509_digest(x, EVP_sha256(), oc.current, &dlen), 1);
	X509_free(x);
	tu_node_init(&f->target, TARGET_ID);
	X509_free(tu_issue(&f->ca, PKI_ROLE_NODE, TARGET_ID, NULL, "target",
			   f->target.cert, f->target.key));
	f->target.peer_check = check_only_current;
	f->target.peer_check_arg = &oc;
	assert_int_equal(tu_node_start(&f->target, &f->ca, err), 0);

	tls_attempt(f, old_cert, old_key, INTRUDER_ID);
	assert_target_untouched(f);
	assert_int_equal(oc.asked, 1);
	assert_int_equal(oc.asked_id, INTRUDER_ID);
	assert_int_equal(oc.refused, 1);

	/* The current one gets in: the check, not the CA, made the
	 * difference. */
	ssl = tu_tls_client(tu_connect(f->target.port), cert, key);
	assert_non_null(ssl);
	assert_int_equal(SSL_write(ssl, hs, (int)len), (int)len);
	assert_int_equal(SSL_write(ssl, f->msg, (int)f->msg_len),
			 (int)f->msg_len);
	assert_true(tu_wait_value(&f->target, KEY, VAL, 3000));
	assert_int_equal(oc.asked, 2);
	assert_int_equal(oc.refused, 1);
	tu_tls_free(ssl);
}

static void test_tls_closes_on_plain_raft_bytes(void **state)
{
	struct fixture *f = *state;
	unsigned char buf[600], got[4096];
	size_t n, got_len;
	int fd;

	target_start(f, 1);
	/* Our plain transport's handshake, then C-raft's own, each followed
	 * by the forgery. */
	for (int i = 0; i < 2; i++) {
		fd = tu_connect(f->target.port);
		n = i == 0 ? tu_hs_ward(buf, "WARDRFT2", INTRUDER_ID, TARGET_ID,
					"127.0.0.1:1")
			   : tu_hs_craft(buf, INTRUDER_ID, "127.0.0.1:1");
		send(fd, buf, n, MSG_NOSIGNAL);
		send(fd, f->msg, f->msg_len, MSG_NOSIGNAL);
		assert_true(
		    tu_closed_within(fd, 3000, got, sizeof got, &got_len));
		/* At most a TLS alert record came back, nothing of Raft. */
		assert_true(got_len == 0 || got[0] == 0x15);
		close(fd);
	}
	assert_target_untouched(f);
}

static void test_tls_refuses_a_certificate_of_a_foreign_ca(void **state)
{
	struct fixture *f = *state;
	char cert[300], key[300];

	target_start(f, 1);
	/* Same cluster id, same node id claimed: only the issuer differs. */
	X509_free(tu_issue(&f->foreign, PKI_ROLE_NODE, INTRUDER_ID,
			   f->ca.cluster_id, "foreign-node", cert, key));
	tls_attempt(f, cert, key, INTRUDER_ID);
	assert_target_untouched(f);
}

static void test_tls_refuses_a_node_claiming_another_id(void **state)
{
	struct fixture *f = *state;
	char cert[300], key[300];

	target_start(f, 1);
	X509_free(tu_issue(&f->ca, PKI_ROLE_NODE, INTRUDER_ID, NULL, "node7",
			   cert, key));
	tls_attempt(f, cert, key, INTRUDER_ID + 1);
	assert_target_untouched(f);
}

static void test_tls_refuses_a_certificate_of_another_role(void **state)
{
	struct fixture *f = *state;
	char cert[300], key[300];

	target_start(f, 1);
	/* Issued by the cluster CA, but for the admin API. */
	X509_free(
	    tu_issue(&f->ca, PKI_ROLE_HTTPS, 0, NULL, "https", cert, key));
	tls_attempt(f, cert, key, INTRUDER_ID);
	/* Client and server authentication, but no node identity. */
	X509_free(
	    tu_issue(&f->ca, PKI_ROLE_CALLMANAGER, 0, NULL, "ccm", cert, key));
	tls_attempt(f, cert, key, INTRUDER_ID);
	assert_target_untouched(f);
}

static void test_tls_refuses_a_node_of_another_cluster(void **state)
{
	struct fixture *f = *state;
	char cert[300], key[300];

	target_start(f, 1);
	/* The same CA signed it, for a cluster id that is not ours. */
	X509_free(tu_issue(&f->ca, PKI_ROLE_NODE, INTRUDER_ID,
			   f->foreign.cluster_id, "other-cluster", cert, key));
	tls_attempt(f, cert, key, INTRUDER_ID);
	assert_target_untouched(f);
}

static void test_tls_refuses_a_client_without_certificate(void **state)
{
	struct fixture *f = *state;

	target_start(f, 1);
	tls_attempt(f, NULL, NULL, INTRUDER_ID);
	assert_target_untouched(f);
}

/* Lines of FILE containing NEEDLE. */
static int count_lines(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof line, f) != NULL)
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

static void test_tls_warns_once_a_minute_per_peer(void **state)
{
	struct fixture *f = *state;
	char cert[300], key[300], log_path[300], pem[64];
	unsigned char got[4096];
	size_t got_len;
	int saved, fd;
	FILE *kf;

	target_start(f, 1);
	X509_free(tu_issue(&f->foreign, PKI_ROLE_NODE, INTRUDER_ID,
			   f->ca.cluster_id, "foreign-node", cert, key));
	/* The log goes to stderr: catch it in a file meanwhile. */
	snprintf(log_path, sizeof log_path, "%s/stderr.log", f->dir);
	fflush(stderr);
	saved = dup(2);
	fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	log_set_level(LOG_LVL_WARN);
	for (int i = 0; i < 4; i++)
		tls_attempt(f, cert, key, INTRUDER_ID);
	for (int i = 0; i < 3; i++) {
		fd = tu_connect(f->target.port);
		send(fd, "GET / HTTP/1.0\r\n\r\n", 18, MSG_NOSIGNAL);
		assert_true(
		    tu_closed_within(fd, 3000, got, sizeof got, &got_len));
		close(fd);
	}
	/* Another peer address is another peer. */
	fd = tu_connect_from("127.0.0.2", f->target.port);
	send(fd, "garbage!", 8, MSG_NOSIGNAL);
	assert_true(tu_closed_within(fd, 3000, got, sizeof got, &got_len));
	close(fd);
	log_set_level(LOG_LVL_ERROR);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);

	assert_int_equal(
	    count_lines(log_path, "connection from 127.0.0.1: refused"), 1);
	assert_int_equal(
	    count_lines(log_path, "connection from 127.0.0.2: refused"), 1);
	/* No key material: the intruder's key is nowhere in the log. */
	kf = fopen(key, "r");
	assert_non_null(kf);
	for (int i = 0; i < 2; i++) /* the first base64 line of the key */
		assert_non_null(fgets(pem, sizeof pem, kf));
	fclose(kf);
	pem[strcspn(pem, "\n")] = '\0';
	assert_int_equal(count_lines(log_path, pem), 0);
	assert_int_equal(count_lines(log_path, "PRIVATE"), 0);
	assert_target_untouched(f);
}

/* A leader adds server 31, and at its address answers an impostor with
 * CERT/KEY; the leader dials it for a second. */
static void dial_impostor(struct fixture *f, const char *cert, const char *key,
			  struct tu_fake *fake)
{
	struct tu_node *leader = &f->target, ghost;
	char err[256];

	tu_node_init(leader, TARGET_ID);
	X509_free(tu_issue(&f->ca, PKI_ROLE_NODE, TARGET_ID, NULL, "leader",
			   leader->cert, leader->key));
	assert_int_equal(consensus_bootstrap(leader->raft_dir, leader->id,
					     leader->address, err, sizeof err),
			 0);
	if (tu_node_start(leader, &f->ca, err) != 0)
		fail_msg("start: %s", err);
	assert_true(tu_wait_leader(leader, 5000));
	tu_fake_start(fake, cert, key);
	memset(&ghost, 0, sizeof ghost);
	ghost.id = 31;
	snprintf(ghost.address, sizeof ghost.address, "127.0.0.1:%u",
		 fake->port);
	/* C-raft keeps trying to catch the spare up for 5 s: no answer in
	 * one, and the attempts go to the impostor meanwhile. */
	assert_int_equal(tu_add(leader, &ghost, 1000), -1);
	tu_node_free(leader);
	tu_fake_stop(fake);
}

static void test_dialer_refuses_a_server_of_a_foreign_ca(void **state)
{
	struct fixture *f = *state;
	struct tu_fake fake;
	char cert[300], key[300];

	X509_free(tu_issue(&f->foreign, PKI_ROLE_NODE, 31, f->ca.cluster_id,
			   "impostor-ca", cert, key));
	dial_impostor(f, cert, key, &fake);
	assert_true(fake.accepted >= 2);      /* the leader tried, and again */
	assert_int_equal(fake.handshakes, 0); /* it refused the chain */
	assert_int_equal(fake.app_bytes, 0);
}

static void test_dialer_refuses_a_server_with_another_node_id(void **state)
{
	struct fixture *f = *state;
	struct tu_fake fake;
	char cert[300], key[300];

	/* A genuine certificate of the cluster, of server 99, not 31. */
	X509_free(tu_issue(&f->ca, PKI_ROLE_NODE, 99, NULL, "impostor-id", cert,
			   key));
	dial_impostor(f, cert, key, &fake);
	assert_true(fake.accepted >= 2);
	/* The handshake completes on the impostor's side before the dialer
	 * checks whose certificate it is; then it closes without a byte. */
	assert_true(fake.handshakes >= 2);
	assert_int_equal(fake.app_bytes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_plain_transport_lets_a_forged_leader_in, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_tls_admits_a_genuine_node_certificate, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_tls_refuses_a_valid_certificate_the_check_does_not_hold,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tls_closes_on_plain_raft_bytes,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_tls_refuses_a_certificate_of_a_foreign_ca, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_tls_refuses_a_node_claiming_another_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_tls_refuses_a_certificate_of_another_role, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_tls_refuses_a_node_of_another_cluster, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_tls_refuses_a_client_without_certificate, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_tls_warns_once_a_minute_per_peer, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_dialer_refuses_a_server_of_a_foreign_ca, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_dialer_refuses_a_server_with_another_node_id, setup,
		teardown),
	};

	/* Intruders write to connections the server already closed. */
	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_LVL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
