/* consensus/fsm: the store as C-raft's state machine. Internal to consensus/
 * and its tests: both the libuv server and the raft_fixture cluster tests run
 * the same adapter, so what the tests prove holds for the real node.
 */
#ifndef WARD_CONSENSUS_FSM_H
#define WARD_CONSENSUS_FSM_H

#include <stdatomic.h>
#include <stdint.h>

#include <raft.h>

struct store;

/* What one applied entry produced, handed to the raft_apply callback through
 * its `result` pointer. Valid only during that callback: C-raft calls it
 * right after the apply, and the next apply overwrites it. */
struct consensus_fsm_result {
	unsigned n; /* commands found in the entry */
	int *rcs;   /* n results: 0 or a store code (borrowed) */
};

struct consensus_fsm {
	struct raft_fsm fsm; /* give &fsm to raft_init() */
	struct store *store; /* borrowed */
	struct raft *raft;   /* borrowed; set before raft_start() */
	struct consensus_fsm_result result;
	int *rcs; /* owned: result storage */
	unsigned rcs_cap;
	int failed;		 /* the store cannot follow the log: stop */
	char failed_reason[256]; /* why, once failed */
	_Atomic int stop;	 /* set by any thread: give up waiting */
	_Atomic int waiting;	 /* an entry waits for space (store-full) */
	uint64_t n_retries;	 /* applies retried after ENOSPC/EBUSY/ENOMEM */
	uint64_t n_applies;	 /* entries handed to the store */
	uint64_t n_snapshots;	 /* snapshots taken (for status, tests) */
	uint64_t n_restores;	 /* snapshots restored */
};

/* Prepares F to apply entries to STORE (borrowed, must outlive F). RAFT is
 * the instance F belongs to (borrowed), needed because an entry's index is
 * raft_last_applied() + 1 at apply time; it may be set later with
 * consensus_fsm_set_raft() but before the first apply. */
void consensus_fsm_init(struct consensus_fsm *f, struct store *store,
			struct raft *raft);
void consensus_fsm_set_raft(struct consensus_fsm *f, struct raft *raft);
/* Takes snapshots on a worker thread (FSM version 3) if IO (initialised)
 * can run async work; call before raft_init(). Returns whether it does. */
int consensus_fsm_enable_async(struct consensus_fsm *f,
			       const struct raft_io *io);
/* Makes an apply that waits for space give up (its entry stays unapplied:
 * C-raft applies it again after a restart). Any thread: call before
 * stopping the Raft thread. */
void consensus_fsm_stop(struct consensus_fsm *f);

/* Frees the result storage. Accepts NULL. */
void consensus_fsm_close(struct consensus_fsm *f);

#endif
