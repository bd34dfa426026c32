/* Cluster test of the real consensus: three servers in one process, each on
 * its own Raft thread with C-raft's disk I/O in a temp dir and our TCP
 * transport on 127.0.0.1 free ports, applying to real stores. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
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
#include "consensus/consensus.h"

#define N 3
#define WAIT_MS 10000

struct node {
	uint64_t id;
	char address[64];
	char dir[256];
	char raft_dir[300];
	struct store *store;
	struct consensus *c;
	atomic_int changes;    /* on_change calls */
	atomic_int saw_leader; /* on_change saw this server lead */
};

static struct node nodes[N + 1];

/* A callback result another thread can wait for. */
struct waiter {
	pthread_mutex_t m;
	pthread_cond_t cv;
	int done;
	int rc;
};

static void waiter_init(struct waiter *w)
{
	pthread_mutex_init(&w->m, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->done = 0;
	w->rc = -1;
}

static void waiter_cb(void *arg, int rc)
{
	struct waiter *w = arg;

	pthread_mutex_lock(&w->m);
	w->rc = rc;
	w->done = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->m);
}

static int waiter_wait(struct waiter *w, unsigned ms)
{
	uint64_t end = cu_now_ms() + ms;
	int rc;

	pthread_mutex_lock(&w->m);
	while (!w->done && cu_now_ms() < end) {
		pthread_mutex_unlock(&w->m);
		usleep(1000);
		pthread_mutex_lock(&w->m);
	}
	rc = w->done ? w->rc : -1;
	pthread_mutex_unlock(&w->m);
	return rc;
}

static void on_change(void *arg)
{
	struct node *n = arg;
	struct consensus_status st;

	/* On the Raft thread, with the handle usable already. */
	consensus_status_get(n->c, &st);
	if (st.role == CONSENSUS_ROLE_LEADER)
		atomic_store(&n->saw_leader, 1);
	atomic_fetch_add(&n->changes, 1);
}

/* on_change runs just after the status it reports is published. */
static int wait_flag(atomic_int *flag)
{
	uint64_t end = cu_now_ms() + 1000;

	while (!atomic_load(flag) && cu_now_ms() < end)
		usleep(1000);
	return atomic_load(flag);
}

static void node_start(struct node *n)
{
	struct consensus_config cfg;
	char err[256] = "";
	int rc;

	memset(&cfg, 0, sizeof cfg);
	cfg.id = n->id;
	cfg.address = n->address;
	cfg.dir = n->raft_dir;
	cfg.store = n->store;
	cfg.snapshot_threshold = 16; /* exercise snapshots in passing */
	cfg.snapshot_trailing = 8;
	cfg.on_change = on_change;
	cfg.on_change_arg = n;
	rc = consensus_start(&cfg, &n->c, err, sizeof err);
	if (rc != 0)
		fail_msg("start %llu: %s: %s", (unsigned long long)n->id,
			 consensus_strerror(rc), err);
}

static void node_stop(struct node *n)
{
	consensus_stop(n->c);
	n->c = NULL;
}

static enum consensus_role role_of(struct node *n)
{
	struct consensus_status st;

	consensus_status_get(n->c, &st);
	return st.role;
}

/* Index of the node that leads, after waiting up to ms. */
static int wait_leader(unsigned ms, int not_this)
{
	uint64_t end = cu_now_ms() + ms;

	while (cu_now_ms() < end) {
		for (int i = 0; i < N; i++)
			if (i != not_this && nodes[i].c != NULL &&
			    role_of(&nodes[i]) == CONSENSUS_ROLE_LEADER)
				return i;
		usleep(5000);
	}
	return -1;
}

/* Waits until every running node applied at least the leader's commit. */
static void wait_converged(int leader, int line)
{
	struct consensus_status st;
	uint64_t end = cu_now_ms() + WAIT_MS, want;

	consensus_status_get(nodes[leader].c, &st);
	want = store_applied_index(nodes[leader].store);
	for (int i = 0; i < N; i++) {
		if (nodes[i].c == NULL)
			continue;
		while (store_applied_index(nodes[i].store) < want &&
		       cu_now_ms() < end)
			usleep(2000);
		if (store_applied_index(nodes[i].store) < want)
			fail_msg("line %d: server %d applied %llu, leader %llu",
				 line, i + 1,
				 (unsigned long long)store_applied_index(
				     nodes[i].store),
				 (unsigned long long)want);
	}
}

static int propose_wait(struct node *n, enum store_op op, const char *key,
			const char *val)
{
	struct waiter w;
	size_t len;
	void *cmd = cu_cmd(op, key, val, &len);
	int rc;

	waiter_init(&w);
	rc = consensus_propose(n->c, cmd, len, waiter_cb, &w);
	free(cmd);
	if (rc != 0)
		return rc;
	return waiter_wait(&w, WAIT_MS);
}

struct writer {
	int leader;
	int t;
	int n;
	int errors;
};

/* Writes n keys, 16 in flight, from its own thread. */
static void *writer_main(void *arg)
{
	struct writer *wr = arg;
	struct waiter w[16];
	char key[32], val[32];

	for (int k = 0; k < wr->n; k += 16) {
		int m = wr->n - k < 16 ? wr->n - k : 16;

		for (int j = 0; j < m; j++) {
			size_t len;
			void *cmd;

			snprintf(key, sizeof key, "w%d-%04d", wr->t, k + j);
			snprintf(val, sizeof val, "%d", k + j);
			cmd = cu_cmd(STORE_OP_PUT_NEW, key, val, &len);
			waiter_init(&w[j]);
			if (consensus_propose(nodes[wr->leader].c, cmd, len,
					      waiter_cb, &w[j]) != 0)
				waiter_cb(&w[j], -2);
			free(cmd);
		}
		for (int j = 0; j < m; j++)
			if (waiter_wait(&w[j], WAIT_MS) != 0)
				wr->errors++;
	}
	return NULL;
}

static void test_consensus_cluster_lifecycle(void **state)
{
	struct consensus_status st;
	struct waiter w;
	struct writer wr[4];
	pthread_t th[4];
	char err[256] = "", val[32];
	uint64_t digest[N];
	size_t records[N];
	uint64_t id_base = 1 + (uint64_t)(getpid() % 100000) * 10;
	int leader, nl;

	(void)state;
	for (int i = 0; i < N; i++) {
		struct node *n = &nodes[i];

		/* Ids unlikely to be those of another test process that may
		 * reuse a port of ours once we let it go. */
		n->id = id_base + (uint64_t)i;
		snprintf(n->address, sizeof n->address, "127.0.0.1:%u",
			 cu_free_port());
		char tmp[256];

		cu_tmpdir("consensus", tmp, sizeof tmp);
		snprintf(n->dir, sizeof n->dir, "%s", tmp);
		snprintf(n->raft_dir, sizeof n->raft_dir, "%s/raft", tmp);
		assert_int_equal(mkdir(n->raft_dir, 0700), 0);
		n->store = cu_store_open(n->dir);
	}

	/* Bootstrap the first; the others start empty and wait. */
	assert_false(consensus_has_state(nodes[0].raft_dir));
	assert_int_equal(consensus_bootstrap(nodes[0].raft_dir, nodes[0].id,
					     nodes[0].address, err, sizeof err),
			 0);
	assert_true(consensus_has_state(nodes[0].raft_dir));
	assert_int_equal(consensus_bootstrap(nodes[0].raft_dir, nodes[0].id,
					     nodes[0].address, err, sizeof err),
			 CONSENSUS_EINVAL);
	for (int i = 0; i < N; i++)
		node_start(&nodes[i]);
	assert_int_equal(wait_leader(WAIT_MS, -1), 0);
	consensus_status_get(nodes[1].c, &st);
	assert_int_equal(st.role, CONSENSUS_ROLE_NONE);

	for (int i = 1; i < N; i++) {
		waiter_init(&w);
		assert_int_equal(consensus_add(nodes[0].c, nodes[i].id,
					       nodes[i].address, waiter_cb, &w),
				 0);
		assert_int_equal(waiter_wait(&w, WAIT_MS), 0);
	}
	consensus_status_get(nodes[0].c, &st);
	assert_int_equal(st.n_members, 3);
	assert_true(wait_flag(&nodes[0].saw_leader));
	assert_true(wait_flag(&nodes[2].changes));
	for (unsigned i = 0; i < st.n_members; i++)
		assert_int_equal(st.members[i].role, CONSENSUS_MEMBER_VOTER);

	/* Writers on four threads, 16 in flight each: batched entries, one
	 * result per proposal. */
	for (int t = 0; t < 4; t++) {
		wr[t] = (struct writer){.leader = 0, .t = t, .n = 200};
		pthread_create(&th[t], NULL, writer_main, &wr[t]);
	}
	for (int t = 0; t < 4; t++) {
		pthread_join(th[t], NULL);
		assert_int_equal(wr[t].errors, 0);
	}
	/* Refused by the store, alike on every node, reported to the caller. */
	assert_int_equal(
	    propose_wait(&nodes[0], STORE_OP_PUT_NEW, "w0-0000", "x"),
	    STORE_EEXIST);
	wait_converged(0, __LINE__);
	for (int i = 0; i < N; i++) {
		digest[i] = cu_store_digest(nodes[i].store, &records[i]);
		assert_int_equal(records[i], 800);
		assert_true(digest[i] == digest[0]);
		assert_int_equal(
		    cu_store_get(nodes[i].store, "w3-0199", val, sizeof val),
		    0);
		assert_string_equal(val, "199");
	}
	/* Followers compacted their logs (the leader waits longer). The
	 * snapshot runs on a worker thread: under a sanitizer, or on a busy
	 * machine, it may still be running when the data converged. */
	for (int i = 1; i < N; i++) {
		uint64_t end = cu_now_ms() + 10000;

		do {
			consensus_status_get(nodes[i].c, &st);
			if (st.snapshot_index > 0)
				break;
			usleep(10000);
		} while (cu_now_ms() < end);
		assert_true(st.snapshot_index > 0);
	}
	consensus_status_get(nodes[0].c, &st);
	assert_int_equal(st.leader_id, nodes[0].id);
	assert_string_equal(st.leader_address, nodes[0].address);
	for (unsigned i = 0; i < st.n_members; i++)
		assert_true(st.members[i].match_index > 0);

	/* A follower refuses proposals and names the leader. */
	{
		size_t len;
		void *cmd = cu_cmd(STORE_OP_PUT, "f", "1", &len);
		uint64_t lid = 0;
		char laddr[128];

		assert_int_equal(
		    consensus_propose(nodes[2].c, cmd, len, waiter_cb, &w),
		    CONSENSUS_ENOTLEADER);
		free(cmd);
		assert_int_equal(
		    consensus_leader(nodes[2].c, &lid, laddr, sizeof laddr), 0);
		assert_int_equal(lid, nodes[0].id);
		assert_string_equal(laddr, nodes[0].address);
	}

	/* Hand leadership to server 2. */
	waiter_init(&w);
	assert_int_equal(
	    consensus_transfer(nodes[0].c, nodes[1].id, waiter_cb, &w), 0);
	assert_int_equal(waiter_wait(&w, WAIT_MS), 0);
	nl = wait_leader(WAIT_MS, -1);
	assert_int_equal(nl, 1);
	assert_true(wait_flag(&nodes[1].saw_leader));
	assert_int_equal(propose_wait(&nodes[1], STORE_OP_PUT, "after", "t"),
			 0);

	/* A follower dies while the leader streams entries to it: the
	 * leader's writes then fail with EPIPE, which must not kill the
	 * process (default SIGPIPE disposition here). It comes back, catches
	 * up, and the cluster never stopped committing. */
	{
		struct writer w3 = {.leader = 1, .t = 7, .n = 3000};
		pthread_t t3;

		pthread_create(&t3, NULL, writer_main, &w3);
		usleep(20000);
		node_stop(&nodes[2]);
		usleep(300000);
		pthread_join(t3, NULL);
		assert_int_equal(w3.errors, 0);
		node_start(&nodes[2]);
		wait_converged(1, __LINE__);
		assert_true(cu_store_digest(nodes[2].store, NULL) ==
			    cu_store_digest(nodes[1].store, NULL));
	}

	/* Remove server 3. */
	waiter_init(&w);
	assert_int_equal(
	    consensus_remove(nodes[1].c, nodes[2].id, waiter_cb, &w), 0);
	assert_int_equal(waiter_wait(&w, WAIT_MS), 0);
	consensus_status_get(nodes[1].c, &st);
	assert_int_equal(st.n_members, 2);
	node_stop(&nodes[2]);
	assert_int_equal(propose_wait(&nodes[1], STORE_OP_PUT, "two", "2"), 0);
	wait_converged(1, __LINE__);
	digest[0] = cu_store_digest(nodes[0].store, &records[0]);
	assert_true(cu_store_digest(nodes[1].store, NULL) == digest[0]);

	/* Stop everything, start again: the log and the stores agree and
	 * nothing is lost or applied twice. */
	node_stop(&nodes[0]);
	node_stop(&nodes[1]);
	node_start(&nodes[0]);
	node_start(&nodes[1]);
	leader = wait_leader(WAIT_MS, -1);
	assert_true(leader >= 0);
	for (int i = 0; i < 2; i++)
		assert_true(cu_store_digest(nodes[i].store, &records[i]) ==
			    digest[0]);
	assert_int_equal(
	    propose_wait(&nodes[leader], STORE_OP_PUT, "restart", "ok"), 0);
	wait_converged(leader, __LINE__);
	assert_true(cu_store_digest(nodes[0].store, NULL) ==
		    cu_store_digest(nodes[1].store, NULL));
	assert_int_equal(
	    cu_store_get(nodes[1 - leader].store, "restart", val, sizeof val),
	    0);

	/* Adding a server nobody runs fails, it does not hang. */
	waiter_init(&w);
	assert_int_equal(consensus_add(nodes[leader].c, id_base + 8,
				       "127.0.0.1:1", waiter_cb, &w),
			 0);
	assert_int_equal(waiter_wait(&w, 20000), CONSENSUS_EIO);
	consensus_status_get(nodes[leader].c, &st);
	assert_int_equal(st.n_members, 3);
	assert_int_equal(st.members[2].role, CONSENSUS_MEMBER_SPARE);
	assert_int_equal(role_of(&nodes[leader]), CONSENSUS_ROLE_LEADER);

	/* Stopping answers pending requests. */
	{
		struct waiter pend[32];
		size_t len;
		void *cmd = cu_cmd(STORE_OP_PUT, "late", "1", &len);
		int accepted = 0;

		for (int k = 0; k < 32; k++) {
			waiter_init(&pend[k]);
			if (consensus_propose(nodes[leader].c, cmd, len,
					      waiter_cb, &pend[k]) == 0)
				accepted++;
			else
				waiter_cb(&pend[k], CONSENSUS_ESHUTDOWN);
		}
		free(cmd);
		node_stop(&nodes[leader]);
		for (int k = 0; k < 32; k++) {
			int rc = waiter_wait(&pend[k], 0);

			assert_true(pend[k].done);
			assert_true(rc == 0 || rc == CONSENSUS_ESHUTDOWN ||
				    rc == CONSENSUS_ELEADERSHIP);
		}
		assert_true(accepted > 0);
	}
	node_stop(&nodes[1 - leader]);
}

/* Also after a failure: no Raft thread may outlive the test. */
static int cluster_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < N; i++) {
		if (nodes[i].c != NULL)
			node_stop(&nodes[i]);
		store_close(nodes[i].store);
		nodes[i].store = NULL;
		if (nodes[i].dir[0] != '\0')
			cu_rmtree(nodes[i].dir);
		nodes[i].dir[0] = '\0';
	}
	return 0;
}

static void test_consensus_start_reports_bad_directory(void **state)
{
	struct consensus_config cfg;
	struct consensus *c = NULL;
	struct store *s;
	char dir[256], err[256] = "";

	(void)state;
	cu_tmpdir("consensus-bad", dir, sizeof dir);
	s = cu_store_open(dir);
	memset(&cfg, 0, sizeof cfg);
	cfg.id = 1;
	cfg.address = "127.0.0.1:1";
	cfg.dir = "/nonexistent/ward/raft";
	cfg.store = s;
	assert_int_not_equal(consensus_start(&cfg, &c, err, sizeof err), 0);
	assert_null(c);
	assert_non_null(strstr(err, "/nonexistent/ward/raft"));
	store_close(s);
	cu_rmtree(dir);
}

static void test_consensus_start_reports_corrupt_metadata(void **state)
{
	struct consensus_config cfg;
	struct consensus *c = NULL;
	struct store *s;
	char dir[256], raft[300], path[340], err[256] = "";
	FILE *f;

	(void)state;
	cu_tmpdir("consensus-corrupt", dir, sizeof dir);
	snprintf(raft, sizeof raft, "%s/raft", dir);
	assert_int_equal(mkdir(raft, 0700), 0);
	assert_int_equal(
	    consensus_bootstrap(raft, 1, "127.0.0.1:1", err, sizeof err), 0);
	snprintf(path, sizeof path, "%s/metadata1", raft);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not raft metadata, this is not raft metadata", f);
	fclose(f);
	snprintf(path, sizeof path, "%s/metadata2", raft);
	unlink(path);

	s = cu_store_open(dir);
	memset(&cfg, 0, sizeof cfg);
	cfg.id = 1;
	cfg.address = "127.0.0.1:1";
	cfg.dir = raft;
	cfg.store = s;
	assert_int_not_equal(consensus_start(&cfg, &c, err, sizeof err), 0);
	assert_null(c);
	/* Names the directory and what C-raft found wrong. */
	assert_non_null(strstr(err, raft));
	assert_non_null(strstr(err, "metadata"));
	store_close(s);
	cu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_consensus_start_reports_bad_directory),
	    cmocka_unit_test(test_consensus_start_reports_corrupt_metadata),
	    cmocka_unit_test_teardown(test_consensus_cluster_lifecycle,
				      cluster_teardown),
	};

	log_set_level(LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
