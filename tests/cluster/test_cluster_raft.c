/* Cluster tests on raft_fixture: C-raft's deterministic in-memory cluster,
 * every server applying to its own real LMDB store through consensus/fsm.c.
 * Time is simulated, so elections, partitions and crashes replay exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cluster_util.h"
#include "raft_cluster.h"

static void assert_stores_equal(struct rc_cluster *c, unsigned skip)
{
	uint64_t d0 = 0;
	size_t n0 = 0, n;
	int first = 1;

	for (unsigned i = 0; i < c->n; i++) {
		uint64_t d;

		if (i == skip)
			continue;
		d = cu_store_digest(c->store[i], &n);
		if (first) {
			d0 = d;
			n0 = n;
			first = 0;
			continue;
		}
		assert_int_equal(n, n0);
		assert_true(d == d0);
	}
}

static void assert_value(struct store *s, const char *key, const char *want)
{
	char got[256];
	int rc = cu_store_get(s, key, got, sizeof got);

	if (want == NULL) {
		assert_int_equal(rc, STORE_ENOTFOUND);
		return;
	}
	assert_int_equal(rc, 0);
	assert_string_equal(got, want);
}

static void test_raft_elects_one_leader_that_others_follow(void **state)
{
	struct rc_cluster *c = rc_new(3, 3, 0, 0);
	unsigned l = rc_leader(c, 10000), followers = 0;

	(void)state;
	assert_true(l < 3);
	for (unsigned i = 0; i < 3; i++) {
		if (i == l)
			continue;
		assert_int_equal(raft_state(rc_raft(c, i)), RAFT_FOLLOWER);
		assert_true(rc_raft(c, i)->current_term ==
			    rc_raft(c, l)->current_term);
		followers++;
	}
	assert_int_equal(followers, 2);
	rc_free(c);
}

static void test_raft_entry_applies_on_every_store_alike(void **state)
{
	struct rc_cluster *c = rc_new(3, 3, 0, 0);
	const char *keys[] = {"alpha", "alpha", "beta"};
	const char *vals[] = {"1", "2", "3"};
	const int ops[] = {STORE_OP_PUT, STORE_OP_PUT_NEW, STORE_OP_PUT};
	struct rc_apply out;
	raft_index index;
	unsigned l = rc_leader(c, 10000);

	(void)state;
	assert_int_equal(rc_propose(c, l, &out, keys, vals, ops, 3, &index), 0);
	assert_true(rc_until_applied(c, 3, index, 5000));
	/* One entry, three commands, one result each: the PUT_NEW of a key
	 * the first command created is refused alone. */
	assert_true(out.done);
	assert_int_equal(out.status, 0);
	assert_int_equal(out.n, 3);
	assert_int_equal(out.rcs[0], 0);
	assert_int_equal(out.rcs[1], STORE_EEXIST);
	assert_int_equal(out.rcs[2], 0);
	for (unsigned i = 0; i < 3; i++) {
		assert_value(c->store[i], "alpha", "1");
		assert_value(c->store[i], "beta", "3");
		assert_true(store_applied_index(c->store[i]) == index);
	}
	assert_stores_equal(c, RC_MAX);
	rc_free(c);
}

static void test_raft_partitioned_leader_is_replaced_and_rejoins(void **state)
{
	struct rc_cluster *c = rc_new(3, 3, 0, 0);
	const char *lost_key = "lost", *lost_val = "never";
	struct rc_apply lost;
	raft_index index = 0, lost_index;
	unsigned old = rc_leader(c, 10000), nl;
	char val[16];

	(void)state;
	rc_put(c, "before", "1");
	rc_isolate(c, old);
	/* The cut-off leader still accepts an entry it can never commit. */
	assert_int_equal(rc_propose(c, old, &lost, &lost_key, &lost_val, NULL,
				    1, &lost_index),
			 0);
	nl = rc_new_leader(c, old, 10000);
	assert_true(nl < 3);
	/* Without a quorum's answers the old leader steps down by itself. */
	assert_true(
	    raft_fixture_step_until_state_is(&c->f, old, RAFT_FOLLOWER, 10000));

	for (int k = 0; k < 5; k++) {
		snprintf(val, sizeof val, "%d", k);
		index = rc_put(c, "after", val);
	}
	rc_heal(c, old);
	assert_true(rc_until_applied(c, 3, index, 10000));
	assert_true(lost.done);
	assert_int_not_equal(lost.status, 0);
	for (unsigned i = 0; i < 3; i++) {
		assert_value(c->store[i], "before", "1");
		assert_value(c->store[i], "after", "4");
		assert_value(c->store[i], "lost", NULL);
	}
	assert_stores_equal(c, RC_MAX);
	rc_free(c);
}

static void test_raft_killed_leader_is_replaced_and_catches_up(void **state)
{
	struct rc_cluster *c = rc_new(3, 3, 0, 0);
	unsigned old = rc_leader(c, 10000), nl;
	raft_index index = 0;
	char key[16];

	(void)state;
	rc_put(c, "k0", "v");
	raft_fixture_kill(&c->f, old);
	nl = rc_new_leader(c, old, 10000);
	assert_true(nl < 3);
	for (int k = 1; k <= 10; k++) {
		snprintf(key, sizeof key, "k%d", k);
		index = rc_put(c, key, "v");
	}
	assert_true(rc_until_applied(c, 3, index, 5000));
	assert_true(raft_last_applied(rc_raft(c, old)) < index);

	raft_fixture_revive(&c->f, old);
	assert_true(rc_until_applied(c, old, index, 10000));
	assert_value(c->store[old], "k10", "v");
	assert_stores_equal(c, RC_MAX);
	rc_free(c);
}

static void
test_raft_compacts_log_and_sends_snapshot_to_lagging_follower(void **state)
{
	struct rc_cluster *c = rc_new(3, 3, 8, 2);
	unsigned l = rc_leader(c, 10000), lag = (l + 1) % 3;
	raft_index index = 0;
	char key[16];

	(void)state;
	rc_put(c, "first", "1");
	raft_fixture_kill(&c->f, lag);
	for (int k = 0; k < 40; k++) {
		snprintf(key, sizeof key, "k%02d", k);
		index = rc_put(c, key, "v");
	}
	/* The leader's log no longer holds what the follower misses. */
	assert_true(c->fsm[l].n_snapshots > 0);
	assert_true(rc_raft(c, l)->log.snapshot.last_index >
		    raft_last_applied(rc_raft(c, lag)) + 2);
	assert_int_equal(c->fsm[lag].n_restores, 0);

	raft_fixture_revive(&c->f, lag);
	assert_true(rc_until_applied(c, lag, index, 20000));
	assert_true(c->fsm[lag].n_restores >= 1);
	assert_value(c->store[lag], "k39", "v");
	assert_value(c->store[lag], "first", "1");
	assert_stores_equal(c, RC_MAX);
	rc_free(c);
}

struct change_out {
	struct raft_change req;
	int done;
	int status;
};

static void change_cb(struct raft_change *req, int status)
{
	struct change_out *o = req->data;

	o->done = 1;
	o->status = status;
}

static bool change_done(struct raft_fixture *f, void *arg)
{
	(void)f;
	return ((struct change_out *)arg)->done;
}

static void
test_raft_new_server_is_caught_up_by_snapshot_then_votes(void **state)
{
	struct rc_cluster *c = rc_new(3, 3, 8, 2);
	struct change_out ch;
	unsigned l, n;
	raft_index index = 0;
	char key[16];

	(void)state;
	for (int k = 0; k < 30; k++) {
		snprintf(key, sizeof key, "k%02d", k);
		index = rc_put(c, key, "v");
	}
	l = rc_leader(c, 10000);
	n = rc_grow(c);

	memset(&ch, 0, sizeof ch);
	ch.req.data = &ch;
	assert_int_equal(raft_add(rc_raft(c, l), &ch.req, n + 1,
				  c->f.servers[n].address, change_cb),
			 0);
	assert_true(raft_fixture_step_until(&c->f, change_done, &ch, 10000));
	assert_int_equal(ch.status, 0);

	memset(&ch, 0, sizeof ch);
	ch.req.data = &ch;
	assert_int_equal(
	    raft_assign(rc_raft(c, l), &ch.req, n + 1, RAFT_VOTER, change_cb),
	    0);
	assert_true(raft_fixture_step_until(&c->f, change_done, &ch, 30000));
	assert_int_equal(ch.status, 0);

	index = rc_put(c, "after", "join");
	assert_true(rc_until_applied(c, 4, index, 10000));
	assert_true(c->fsm[n].n_restores >= 1);
	assert_value(c->store[n], "k00", "v");
	assert_value(c->store[n], "after", "join");
	assert_stores_equal(c, RC_MAX);
	for (unsigned i = 0; i < rc_raft(c, l)->configuration.n; i++)
		assert_int_equal(rc_raft(c, l)->configuration.servers[i].role,
				 RAFT_VOTER);
	rc_free(c);
}

/* consensus_add() relies on this: C-raft gives up promoting a server that
 * does not answer, instead of waiting forever. */
static void test_raft_promotion_of_unreachable_server_fails(void **state)
{
	struct rc_cluster *c = rc_new(3, 3, 0, 0);
	struct change_out ch;
	unsigned l = rc_leader(c, 10000), n;

	(void)state;
	rc_put(c, "k", "v");
	n = rc_grow(c);
	memset(&ch, 0, sizeof ch);
	ch.req.data = &ch;
	assert_int_equal(raft_add(rc_raft(c, l), &ch.req, n + 1,
				  c->f.servers[n].address, change_cb),
			 0);
	assert_true(raft_fixture_step_until(&c->f, change_done, &ch, 10000));
	assert_int_equal(ch.status, 0);

	raft_fixture_kill(&c->f, n);
	memset(&ch, 0, sizeof ch);
	ch.req.data = &ch;
	assert_int_equal(
	    raft_assign(rc_raft(c, l), &ch.req, n + 1, RAFT_VOTER, change_cb),
	    0);
	assert_true(raft_fixture_step_until(&c->f, change_done, &ch, 60000));
	assert_int_equal(ch.status, RAFT_NOCONNECTION);
	/* Still a spare: the quorum never depended on it. */
	assert_int_equal(rc_raft(c, l)->configuration.servers[n].role,
			 RAFT_SPARE);
	assert_int_equal(raft_state(rc_raft(c, l)), RAFT_LEADER);
	rc_free(c);
}

struct snap_get {
	struct raft_io_snapshot_get req;
	struct raft_snapshot *snapshot;
	int done;
};

static void snap_get_cb(struct raft_io_snapshot_get *req,
			struct raft_snapshot *snapshot, int status)
{
	struct snap_get *g = req->data;

	assert_int_equal(status, 0);
	g->snapshot = snapshot;
	g->done = 1;
}

static bool snap_got(struct raft_fixture *f, void *arg)
{
	(void)f;
	return ((struct snap_get *)arg)->done;
}

/* Hands the persisted state of server I of A (its last snapshot, the log
 * after it, its term) to server I of B, as a process restart would find it
 * on disk. */
static void copy_persisted(struct rc_cluster *a, struct rc_cluster *b,
			   unsigned i)
{
	struct raft *r = rc_raft(a, i);
	struct raft_io *io = r->io;
	struct snap_get g;
	raft_index last = raft_last_index(r), k;

	memset(&g, 0, sizeof g);
	g.req.data = &g;
	assert_int_equal(io->snapshot_get(io, &g.req, snap_get_cb), 0);
	assert_true(raft_fixture_step_until(&a->f, snap_got, &g, 1000));
	assert_non_null(g.snapshot);
	raft_fixture_set_term(&b->f, i, r->current_term);
	for (k = g.snapshot->index + 1; k <= last; k++) {
		const struct raft_log *log = &r->log;
		size_t pos =
		    (log->front + (size_t)(k - log->offset - 1)) % log->size;
		struct raft_entry e = log->entries[pos];

		e.buf.base = raft_malloc(e.buf.len);
		memcpy(e.buf.base, log->entries[pos].buf.base, e.buf.len);
		e.batch = NULL;
		raft_fixture_add_entry(&b->f, i, &e); /* takes e.buf */
	}
	raft_fixture_set_snapshot(&b->f, i, g.snapshot); /* takes it */
}

static void test_raft_restart_restores_snapshot_and_replays_once(void **state)
{
	struct rc_cluster *a = rc_new(3, 3, 8, 2), *b;
	struct store *stores[3];
	uint64_t digest[3];
	size_t n;
	raft_index index = 0;
	char key[16];

	(void)state;
	for (int k = 0; k < 21; k++) {
		snprintf(key, sizeof key, "k%02d", k);
		index = rc_put(a, key, "v");
	}
	assert_true(rc_until_applied(a, 3, index, 10000));
	for (unsigned i = 0; i < 3; i++) {
		/* A snapshot, and entries after it to replay. */
		assert_true(a->fsm[i].n_snapshots > 0);
		assert_true(rc_raft(a, i)->log.snapshot.last_index < index);
		stores[i] = a->store[i];
		digest[i] = cu_store_digest(a->store[i], &n);
		assert_true(store_applied_index(a->store[i]) == index);
	}

	b = rc_new_on(3, stores);
	for (unsigned i = 0; i < 3; i++)
		copy_persisted(a, b, i);
	assert_int_equal(raft_fixture_start(&b->f), 0);
	/* Started on stores that already hold everything: the snapshot
	 * restore and the replay must leave them exactly as they were. */
	assert_true(rc_leader(b, 20000) < 3);
	assert_true(rc_until_applied(b, 3, index, 20000));
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(b->fsm[i].n_restores, 1);
		assert_true(b->fsm[i].n_applies > 0);
		assert_true(cu_store_digest(b->store[i], &n) == digest[i]);
		assert_true(digest[i] == digest[0]);
	}
	index = rc_put(b, "after", "restart");
	assert_true(rc_until_applied(b, 3, index, 10000));
	for (unsigned i = 0; i < 3; i++) {
		assert_value(b->store[i], "after", "restart");
		assert_value(b->store[i], "k20", "v");
		assert_true(store_applied_index(b->store[i]) == index);
	}
	assert_stores_equal(b, RC_MAX);
	rc_free(b);
	rc_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_raft_elects_one_leader_that_others_follow),
	    cmocka_unit_test(test_raft_entry_applies_on_every_store_alike),
	    cmocka_unit_test(
		test_raft_partitioned_leader_is_replaced_and_rejoins),
	    cmocka_unit_test(
		test_raft_killed_leader_is_replaced_and_catches_up),
	    cmocka_unit_test(
		test_raft_compacts_log_and_sends_snapshot_to_lagging_follower),
	    cmocka_unit_test(
		test_raft_new_server_is_caught_up_by_snapshot_then_votes),
	    cmocka_unit_test(test_raft_promotion_of_unreachable_server_fails),
	    cmocka_unit_test(
		test_raft_restart_restores_snapshot_and_replays_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
