/* Cluster test of what a store that cannot apply does to the real
 * consensus: three threaded servers on loopback, real stores, and faults
 * injected where LMDB would report them (store/fault.h).
 *
 * - A node whose disk is full waits on the entry, in order, while the
 *   others go on, and catches up with the same content once there is room:
 *   nothing skipped, nothing failed.
 * - A leader whose disk is full gives way to a new leader.
 * - A state machine that does fail is visible (status failed, with the
 *   reason), leaves Raft (no leading, no voting), and every request on it
 *   fails at once or within its wait, never hangs. */
#include <arpa/inet.h>
#include <errno.h>
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
#include "store/fault.h"

#define N 3
#define WAIT_MS 10000

struct node {
	uint64_t id;
	char address[64];
	char dir[256];
	char raft_dir[300];
	struct store *store;
	struct consensus *c;
};

static struct node nodes[N];

struct waiter {
	pthread_mutex_t m;
	int done, rc;
};

static void waiter_init(struct waiter *w)
{
	pthread_mutex_init(&w->m, NULL);
	w->done = 0;
	w->rc = -1;
}

static void waiter_cb(void *arg, int rc)
{
	struct waiter *w = arg;

	pthread_mutex_lock(&w->m);
	w->rc = rc;
	w->done = 1;
	pthread_mutex_unlock(&w->m);
}

/* The callback's rc, or -1 if it did not come within MS. */
static int waiter_wait(struct waiter *w, unsigned ms)
{
	uint64_t end = cu_now_ms() + ms;
	int done = 0, rc = -1;

	while (cu_now_ms() < end) {
		pthread_mutex_lock(&w->m);
		done = w->done;
		rc = w->rc;
		pthread_mutex_unlock(&w->m);
		if (done)
			return rc;
		usleep(1000);
	}
	return -1;
}

static struct consensus_status status_of(int i)
{
	struct consensus_status st;

	consensus_status_get(nodes[i].c, &st);
	return st;
}

/* Index of a leader other than NOT_THIS, waiting up to MS; -1 if none. */
static int wait_leader(unsigned ms, int not_this)
{
	uint64_t end = cu_now_ms() + ms;

	while (cu_now_ms() < end) {
		for (int i = 0; i < N; i++)
			if (i != not_this && nodes[i].c &&
			    status_of(i).role == CONSENSUS_ROLE_LEADER)
				return i;
		usleep(5000);
	}
	return -1;
}

static int propose(int i, const char *key, const char *val, struct waiter *w)
{
	size_t len;
	void *cmd = cu_cmd(STORE_OP_PUT, key, val, &len);
	int rc;

	waiter_init(w);
	rc = consensus_propose(nodes[i].c, cmd, len, waiter_cb, w);
	free(cmd);
	return rc;
}

static int propose_wait(int i, const char *key, const char *val)
{
	struct waiter w;
	int rc = propose(i, key, val, &w);

	return rc ? rc : waiter_wait(&w, WAIT_MS);
}

/* Every node in MASK applied up to the leader's applied index, and they
 * hold the same content. */
static void assert_converged(int leader, unsigned mask)
{
	uint64_t want = store_applied_index(nodes[leader].store);
	uint64_t end = cu_now_ms() + WAIT_MS, digest;
	size_t n, n0;

	digest = cu_store_digest(nodes[leader].store, &n0);
	for (int i = 0; i < N; i++) {
		if (!(mask & (1u << i)))
			continue;
		while (store_applied_index(nodes[i].store) < want &&
		       cu_now_ms() < end)
			usleep(2000);
		assert_true(store_applied_index(nodes[i].store) >= want);
		assert_int_equal(cu_store_digest(nodes[i].store, &n), digest);
		assert_int_equal(n, n0);
	}
}

static int setup(void **state)
{
	uint64_t id_base = 7 + (uint64_t)(getpid() % 100000) * 10;
	char err[256] = "";

	(void)state;
	for (int i = 0; i < N; i++) {
		struct node *n = &nodes[i];
		struct consensus_config cfg;

		memset(n, 0, sizeof *n);
		n->id = id_base + (uint64_t)i;
		snprintf(n->address, sizeof n->address, "127.0.0.1:%u",
			 cu_free_port());
		cu_tmpdir("fsm", n->dir, sizeof n->dir);
		snprintf(n->raft_dir, sizeof n->raft_dir, "%s/raft", n->dir);
		assert_int_equal(mkdir(n->raft_dir, 0700), 0);
		n->store = cu_store_open(n->dir);
		if (i == 0)
			assert_int_equal(consensus_bootstrap(n->raft_dir, n->id,
							     n->address, err,
							     sizeof err),
					 0);
		memset(&cfg, 0, sizeof cfg);
		cfg.id = n->id;
		cfg.address = n->address;
		cfg.dir = n->raft_dir;
		cfg.store = n->store;
		assert_int_equal(consensus_start(&cfg, &n->c, err, sizeof err),
				 0);
	}
	assert_int_equal(wait_leader(WAIT_MS, -1), 0);
	for (int i = 1; i < N; i++) {
		struct waiter w;

		waiter_init(&w);
		assert_int_equal(consensus_add(nodes[0].c, nodes[i].id,
					       nodes[i].address, waiter_cb, &w),
				 0);
		assert_int_equal(waiter_wait(&w, WAIT_MS), 0);
	}
	assert_int_equal(propose_wait(0, "first", "1"), 0);
	assert_converged(0, 7);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < N; i++) {
		consensus_stop(nodes[i].c);
		nodes[i].c = NULL;
	}
	for (int i = 0; i < N; i++) {
		store_close(nodes[i].store);
		nodes[i].store = NULL;
		cu_rmtree(nodes[i].dir);
	}
	return 0;
}

static void test_a_follower_without_space_waits_then_catches_up(void **st)
{
	struct store_health h;
	char key[32];
	int saw_full = 0;

	(void)st;
	/* Six failed attempts: ~0.6 s of backoff on follower 1's thread. */
	store_fault_inject(nodes[1].store, ENOSPC, 6);
	for (int k = 0; k < 20; k++) {
		snprintf(key, sizeof key, "k%02d", k);
		/* Leader and node 2 make the quorum: no write waits. */
		assert_int_equal(propose_wait(0, key, "v"), 0);
		store_health_get(nodes[1].store, &h);
		if (h.state == STORE_HEALTH_FULL)
			saw_full = 1;
	}
	assert_true(saw_full);
	assert_converged(0, 7);
	store_health_get(nodes[1].store, &h);
	assert_int_equal(h.state, STORE_HEALTH_OK);
	assert_false(status_of(1).failed);
	assert_int_equal(propose_wait(0, "after", "v"), 0);
	assert_converged(0, 7);
}

static void test_a_leader_without_space_gives_way_and_catches_up(void **st)
{
	struct waiter w;
	int leader;

	(void)st;
	/* ~4 s of backoff: longer than an election. */
	store_fault_inject(nodes[0].store, ENOSPC, 10);
	assert_int_equal(propose(0, "stuck", "v", &w), 0);
	leader = wait_leader(WAIT_MS, 0);
	assert_true(leader > 0);
	assert_int_equal(propose_wait(leader, "meanwhile", "v"), 0);
	/* The entry node 0 waited on was committed: once applied, its
	 * proposer hears so. */
	assert_int_equal(waiter_wait(&w, WAIT_MS), 0);
	assert_converged(leader, 7);
	assert_false(status_of(0).failed);
}

static void test_a_failed_state_machine_leaves_and_refuses(void **st)
{
	struct consensus_status s;
	struct waiter w;
	char out[16];
	int leader;

	(void)st;
	/* A storage error that is not about space: the leader's state
	 * machine fails on the next entry. */
	store_fault_inject(nodes[0].store, EIO, 1);
	assert_int_equal(propose(0, "doomed", "v", &w), 0);
	/* Its proposer gets an answer that says why, not silence. */
	assert_int_equal(waiter_wait(&w, WAIT_MS), CONSENSUS_EFAILED);
	leader = wait_leader(WAIT_MS, 0);
	assert_true(leader > 0);
	s = status_of(0);
	assert_true(s.failed);
	assert_non_null(strstr(s.failed_reason, "storage error"));
	assert_int_equal(s.role, CONSENSUS_ROLE_NONE);
	/* Every request on it fails at once. */
	assert_int_equal(propose(0, "more", "v", &w), CONSENSUS_EFAILED);
	waiter_init(&w);
	assert_int_equal(consensus_barrier(nodes[0].c, waiter_cb, &w),
			 CONSENSUS_EFAILED);
	/* The other two go on without it, the entry included (it committed
	 * before node 0 failed to apply it). */
	assert_int_equal(propose_wait(leader, "without", "v"), 0);
	assert_int_equal(
	    cu_store_get(nodes[leader].store, "without", out, sizeof out), 0);
	assert_converged(leader, 6);
	/* It stays out: no vote, no lead, for as long as it runs. */
	usleep(1000 * 1000);
	assert_int_equal(status_of(0).role, CONSENSUS_ROLE_NONE);
	assert_true(status_of(leader).role == CONSENSUS_ROLE_LEADER);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_a_follower_without_space_waits_then_catches_up),
	    T(test_a_leader_without_space_gives_way_and_catches_up),
	    T(test_a_failed_state_machine_leaves_and_refuses),
	};

	log_set_level(LOG_LVL_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
