/* raft_cluster: a raft_fixture cluster whose servers apply to real stores
 * through consensus/fsm.c — the deterministic half of the cluster tests. */
#ifndef WARD_TESTS_RAFT_CLUSTER_H
#define WARD_TESTS_RAFT_CLUSTER_H

#include <raft.h>
#include <raft/fixture.h>

#include "consensus/fsm.h"

#define RC_MAX RAFT_FIXTURE_MAX_SERVERS

struct rc_cluster {
	struct raft_fixture f;
	unsigned n;
	char dir[RC_MAX][256];	     /* owned temp dirs */
	struct store *store[RC_MAX]; /* owned unless shared */
	struct consensus_fsm fsm[RC_MAX];
	int shared; /* stores borrowed from another */
};

/* Result of one rc_propose(), filled by the apply callback. */
struct rc_apply {
	struct raft_apply req;
	int done;
	int status;
	unsigned n;
	int rcs[16];
};

/* N servers, the first N_VOTERS voters, bootstrapped and started. Snapshot
 * threshold and trailing are set on every server when non-zero. */
struct rc_cluster *rc_new(unsigned n, unsigned n_voters, unsigned threshold,
			  unsigned trailing);
/* Same, but servers apply to STORES (borrowed), for a restart. Nothing is
 * bootstrapped or started. */
struct rc_cluster *rc_new_on(unsigned n, struct store **stores);
void rc_free(struct rc_cluster *c);

/* Adds one more server (own store), started, not in the configuration. */
unsigned rc_grow(struct rc_cluster *c);

struct raft *rc_raft(struct rc_cluster *c, unsigned i);
/* Index of the stable leader, or c->n after max_ms of stepping. */
unsigned rc_leader(struct rc_cluster *c, unsigned max_ms);

/* Steps until a stable leader other than server OLD; its index, or c->n. */
unsigned rc_new_leader(struct rc_cluster *c, unsigned old, unsigned max_ms);

/* Cuts server I off from every other (messages silently dropped both ways),
 * or heals that. */
void rc_isolate(struct rc_cluster *c, unsigned i);
void rc_heal(struct rc_cluster *c, unsigned i);

/* Appends one entry holding the given commands (concatenated) on server I.
 * Returns the raft_apply code; *index receives the entry's index. */
int rc_propose(struct rc_cluster *c, unsigned i, struct rc_apply *out,
	       const char *const *keys, const char *const *vals, const int *ops,
	       unsigned n, raft_index *index);
/* One PUT key=val entry on the leader, stepped until the leader applied it.
 * Returns its index. */
raft_index rc_put(struct rc_cluster *c, const char *key, const char *val);

/* Steps until server I (c->n: every live server) applied INDEX. */
int rc_until_applied(struct rc_cluster *c, unsigned i, raft_index index,
		     unsigned max_ms);

#endif
