/* raft_cluster: see raft_cluster.h. */
#include "raft_cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_util.h"

static void rc_die(const char *what, int rv)
{
	fprintf(stderr, "raft_cluster: %s: %s\n", what, raft_strerror(rv));
	abort();
}

static void rc_add_server(struct rc_cluster *c, unsigned i, struct store *s)
{
	int rv;

	if (s == NULL) {
		cu_tmpdir("fixture", c->dir[i], sizeof c->dir[i]);
		s = cu_store_open(c->dir[i]);
	}
	c->store[i] = s;
	consensus_fsm_init(&c->fsm[i], s, NULL);
	rv = raft_fixture_grow(&c->f, &c->fsm[i].fsm);
	/* Same snapshot path as the real server when the fixture can run
	 * async work; else the synchronous one. */
	if (rv == 0)
		consensus_fsm_enable_async(&c->fsm[i], &c->f.servers[i].io);
	if (rv != 0)
		rc_die("grow", rv);
	consensus_fsm_set_raft(&c->fsm[i], raft_fixture_get(&c->f, i));
	raft_set_pre_vote(raft_fixture_get(&c->f, i), true);
}

struct rc_cluster *rc_new_on(unsigned n, struct store **stores)
{
	struct rc_cluster *c = calloc(1, sizeof *c);
	int rv;

	if (c == NULL)
		abort();
	rv = raft_fixture_initialize(&c->f);
	if (rv != 0)
		rc_die("initialize", rv);
	c->shared = stores != NULL;
	for (unsigned i = 0; i < n; i++)
		rc_add_server(c, i, stores ? stores[i] : NULL);
	c->n = n;
	return c;
}

struct rc_cluster *rc_new(unsigned n, unsigned n_voters, unsigned threshold,
			  unsigned trailing)
{
	struct rc_cluster *c = rc_new_on(n, NULL);
	struct raft_configuration conf;
	int rv;

	for (unsigned i = 0; i < n; i++) {
		if (threshold)
			raft_set_snapshot_threshold(rc_raft(c, i), threshold);
		if (trailing)
			raft_set_snapshot_trailing(rc_raft(c, i), trailing);
	}
	rv = raft_fixture_configuration(&c->f, n_voters, &conf);
	if (rv == 0)
		rv = raft_fixture_bootstrap(&c->f, &conf);
	raft_configuration_close(&conf);
	if (rv == 0)
		rv = raft_fixture_start(&c->f);
	if (rv != 0)
		rc_die("bootstrap/start", rv);
	return c;
}

unsigned rc_grow(struct rc_cluster *c)
{
	unsigned i = c->n;
	struct raft *leader = rc_raft(c, 0);
	int rv;

	rc_add_server(c, i, NULL);
	c->n++;
	raft_set_snapshot_threshold(rc_raft(c, i), leader->snapshot.threshold);
	raft_set_snapshot_trailing(rc_raft(c, i), leader->snapshot.trailing);
	rv = raft_start(rc_raft(c, i));
	if (rv != 0)
		rc_die("start", rv);
	return i;
}

void rc_free(struct rc_cluster *c)
{
	if (c == NULL)
		return;
	raft_fixture_close(&c->f);
	for (unsigned i = 0; i < c->n; i++) {
		consensus_fsm_close(&c->fsm[i]);
		if (!c->shared) {
			store_close(c->store[i]);
			cu_rmtree(c->dir[i]);
		}
	}
	free(c);
}

struct raft *rc_raft(struct rc_cluster *c, unsigned i)
{
	return raft_fixture_get(&c->f, i);
}

unsigned rc_leader(struct rc_cluster *c, unsigned max_ms)
{
	raft_fixture_step_until_has_leader(&c->f, max_ms);
	return raft_fixture_leader_index(&c->f);
}

struct other_leader {
	unsigned old;
	unsigned n;
};

static bool has_other_leader(struct raft_fixture *f, void *arg)
{
	struct other_leader *o = arg;
	unsigned l = raft_fixture_leader_index(f);

	return l < o->n && l != o->old;
}

unsigned rc_new_leader(struct rc_cluster *c, unsigned old, unsigned max_ms)
{
	struct other_leader o = {old, c->n};

	if (!raft_fixture_step_until(&c->f, has_other_leader, &o, max_ms))
		return c->n;
	return raft_fixture_leader_index(&c->f);
}

void rc_isolate(struct rc_cluster *c, unsigned i)
{
	for (unsigned j = 0; j < c->n; j++) {
		if (j == i)
			continue;
		raft_fixture_saturate(&c->f, i, j);
		raft_fixture_saturate(&c->f, j, i);
	}
}

void rc_heal(struct rc_cluster *c, unsigned i)
{
	for (unsigned j = 0; j < c->n; j++) {
		if (j == i)
			continue;
		raft_fixture_desaturate(&c->f, i, j);
		raft_fixture_desaturate(&c->f, j, i);
	}
}

static void rc_apply_cb(struct raft_apply *req, int status, void *result)
{
	struct rc_apply *out = req->data;
	const struct consensus_fsm_result *res = result;

	out->done = 1;
	out->status = status;
	if (status == 0 && res != NULL) {
		out->n = res->n;
		for (unsigned i = 0; i < res->n && i < 16; i++)
			out->rcs[i] = res->rcs[i];
	}
}

int rc_propose(struct rc_cluster *c, unsigned i, struct rc_apply *out,
	       const char *const *keys, const char *const *vals, const int *ops,
	       unsigned n, raft_index *index)
{
	struct raft_buffer buf = {NULL, 0};
	struct raft *r = rc_raft(c, i);
	int rv;

	for (unsigned k = 0; k < n; k++) {
		size_t len;
		void *cmd = cu_cmd(ops ? (enum store_op)ops[k] : STORE_OP_PUT,
				   keys[k], vals[k], &len);

		buf.base = raft_realloc(buf.base, buf.len + len);
		memcpy((char *)buf.base + buf.len, cmd, len);
		buf.len += len;
		free(cmd);
	}
	memset(out, 0, sizeof *out);
	out->req.data = out;
	rv = raft_apply(r, &out->req, &buf, 1, rc_apply_cb);
	if (rv != 0) {
		raft_free(buf.base);
		return rv;
	}
	if (index != NULL)
		*index = raft_last_index(r);
	return 0;
}

raft_index rc_put(struct rc_cluster *c, const char *key, const char *val)
{
	static struct rc_apply out; /* C-raft keeps it until applied */
	unsigned l = rc_leader(c, 10000);
	raft_index index = 0;
	int rv;

	if (l >= c->n)
		rc_die("no leader", RAFT_NOTLEADER);
	rv = rc_propose(c, l, &out, &key, &val, NULL, 1, &index);
	if (rv != 0)
		rc_die("apply", rv);
	if (!rc_until_applied(c, l, index, 10000) || out.status != 0)
		rc_die("not applied on the leader", out.status);
	return index;
}

struct until_applied {
	struct rc_cluster *c;
	unsigned i;
	raft_index index;
};

static bool has_applied(struct raft_fixture *f, void *arg)
{
	struct until_applied *u = arg;

	for (unsigned k = 0; k < u->c->n; k++) {
		if (u->i != u->c->n && k != u->i)
			continue;
		if (u->i == u->c->n && !raft_fixture_alive(f, k))
			continue;
		if (raft_last_applied(raft_fixture_get(f, k)) < u->index)
			return false;
	}
	return true;
}

int rc_until_applied(struct rc_cluster *c, unsigned i, raft_index index,
		     unsigned max_ms)
{
	struct until_applied u = {c, i, index};

	return raft_fixture_step_until(&c->f, has_applied, &u, max_ms);
}
