/* consensus/fsm: C-raft FSM callbacks over the store.
 *
 * C-raft replays the log after the last snapshot at every start, and a
 * follower may receive a snapshot that already covers entries it applied: the
 * store makes both harmless by keeping the applied index inside LMDB, so the
 * adapter only has to pass the right index (raft_last_applied() + 1, since
 * C-raft bumps last_applied after the apply returns).
 *
 * An entry that cannot be applied for a reason an operator can fix (the
 * disk is full) is retried here, on the Raft thread, with a backoff, until
 * it goes through: C-raft 0.15 has no way to pause applying — an error
 * from apply is ignored on a leader and, on a follower, turns the server
 * unavailable at the next heartbeat that advances the commit index
 * (recvCb -> convertToUnavailable) — and returning 0 without applying
 * would skip the entry for good. Blocking here stops this node only: the
 * others elect a leader among themselves and go on, this one answers
 * writes with 507 meanwhile (the store's health), and once space is freed
 * it applies the entry, in order, and catches up from the log.
 */
#include "consensus/fsm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "store/store.h"

#define TAG "raft"
/* Backoff between attempts at an entry that waits for space. */
#define FSM_RETRY_FIRST_MS 10
#define FSM_RETRY_MAX_MS 1000

static void fsm_sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Applies the entry, retrying what an operator can fix or time cures.
 * Returns the store's last code. */
static int fsm_apply_retry(struct consensus_fsm *f, uint64_t index,
			   const struct raft_buffer *buf, unsigned *found)
{
	unsigned delay = FSM_RETRY_FIRST_MS;
	int rc;

	for (;;) {
		rc = store_apply(f->store, index, buf->base, buf->len, f->rcs,
				 f->rcs_cap, found);
		if (rc != STORE_ENOSPC && rc != STORE_EBUSY &&
		    rc != STORE_ENOMEM)
			break;
		if (rc == STORE_ENOSPC)
			atomic_store(&f->waiting, 1);
		if (atomic_load(&f->stop))
			break;
		f->n_retries++;
		fsm_sleep_ms(delay);
		delay =
		    delay * 2 > FSM_RETRY_MAX_MS ? FSM_RETRY_MAX_MS : delay * 2;
	}
	atomic_store(&f->waiting, 0);
	return rc;
}

void consensus_fsm_stop(struct consensus_fsm *f)
{
	atomic_store(&f->stop, 1);
}

static int fsm_grow(struct consensus_fsm *f, unsigned n)
{
	int *rcs;
	unsigned cap;

	if (n <= f->rcs_cap)
		return 0;
	cap = f->rcs_cap ? f->rcs_cap : 64;
	while (cap < n)
		cap *= 2;
	rcs = realloc(f->rcs, cap * sizeof *rcs);
	if (rcs == NULL)
		return -1;
	f->rcs = rcs;
	f->rcs_cap = cap;
	return 0;
}

static int fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf,
		     void **result)
{
	struct consensus_fsm *f = fsm->data;
	uint64_t index = raft_last_applied(f->raft) + 1;
	unsigned n, found = 0;
	int rc;

	if (f->failed)
		return RAFT_IOERR;
	n = store_cmd_count(buf->base, buf->len);
	if (fsm_grow(f, n) != 0)
		return RAFT_NOMEM; /* C-raft retries at the next commit */
	rc = fsm_apply_retry(f, index, buf, &found);
	if (rc != 0 && atomic_load(&f->stop))
		return RAFT_IOERR; /* stopping: applied again after restart */
	if (rc != 0) {
		/* The store can no longer follow the log: refuse every later
		 * entry rather than skip one, so that this node never diverges
		 * silently. Consensus sees `failed` after this step and takes
		 * the node out (status.c); the log is intact. */
		snprintf(f->failed_reason, sizeof f->failed_reason,
			 "applying entry %llu: %s", (unsigned long long)index,
			 store_strerror(rc));
		log_error(TAG, "%s; this node stops applying",
			  f->failed_reason);
		f->failed = 1;
		return RAFT_IOERR;
	}
	if (found > f->rcs_cap)
		found = f->rcs_cap;
	f->n_applies++;
	f->result.n = found;
	f->result.rcs = f->rcs;
	*result = &f->result;
	return 0;
}

/* Version 2 and 3: the buffers stay ours (C-raft neither frees nor keeps
 * them after snapshot_finalize()): the store maps them
 * (store_snapshot_free).
 *
 * Synchronous (version 2): the copy is taken here, on the Raft thread. */
static int fsm_snapshot_now(struct consensus_fsm *f, struct raft_buffer *b)
{
	void *data;
	size_t len;
	int rc;

	rc = store_snapshot(f->store, &data, &len);
	if (rc != 0) {
		log_warn(TAG, "snapshot: %s (retried later)",
			 store_strerror(rc));
		/* RAFT_BUSY makes C-raft skip this round quietly. */
		return rc == STORE_ENOMEM ? RAFT_NOMEM : RAFT_BUSY;
	}
	b->base = data;
	b->len = len;
	f->n_snapshots++;
	return 0;
}

static int fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[],
			unsigned *n_bufs)
{
	struct consensus_fsm *f = fsm->data;
	struct raft_buffer *b;
	int rv;

	b = calloc(1, sizeof *b);
	if (b == NULL)
		return RAFT_NOMEM;
	*bufs = b;
	*n_bufs = 1;
	if (f->fsm.version >= 3)
		return 0; /* the copy comes in fsm_snapshot_async() */
	rv = fsm_snapshot_now(f, b);
	if (rv != 0) {
		free(b);
		*bufs = NULL;
		*n_bufs = 0;
	}
	return rv;
}

/* Asynchronous (version 3): on a libuv worker thread while the Raft thread
 * goes on applying. The copy (sync, compaction, digest: 5-25 ms for a few MB
 * here) then never stalls commits. It may include entries applied after the
 * snapshot's index: harmless, because the store records its applied index
 * inside the copy and skips those entries when C-raft replays them. LMDB
 * allows the copy (its own read transaction) beside the apply's write. */
static int fsm_snapshot_async(struct raft_fsm *fsm, struct raft_buffer *bufs[],
			      unsigned *n_bufs)
{
	struct consensus_fsm *f = fsm->data;

	if (*bufs == NULL || *n_bufs != 1)
		return RAFT_INVALID;
	return fsm_snapshot_now(f, &(*bufs)[0]);
}

static int fsm_snapshot_finalize(struct raft_fsm *fsm,
				 struct raft_buffer *bufs[], unsigned *n_bufs)
{
	unsigned i;

	(void)fsm;
	if (*bufs == NULL)
		return 0;
	for (i = 0; i < *n_bufs; i++)
		store_snapshot_free((*bufs)[i].base, (*bufs)[i].len);
	free(*bufs);
	*bufs = NULL;
	*n_bufs = 0;
	return 0;
}

/* On success the buffer belongs to us (C-raft's snapshotRestore contract). */
static int fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf)
{
	struct consensus_fsm *f = fsm->data;
	unsigned delay = FSM_RETRY_FIRST_MS;
	int rc;

	/* Room for the file, or readers letting go: wait as apply does. */
	while ((rc = store_restore(f->store, buf->base, buf->len)) ==
		   STORE_ENOSPC ||
	       rc == STORE_EBUSY) {
		if (rc == STORE_ENOSPC)
			atomic_store(&f->waiting, 1);
		if (atomic_load(&f->stop))
			break;
		f->n_retries++;
		fsm_sleep_ms(delay);
		delay =
		    delay * 2 > FSM_RETRY_MAX_MS ? FSM_RETRY_MAX_MS : delay * 2;
	}
	atomic_store(&f->waiting, 0);
	if (rc != 0) {
		log_error(TAG, "restore snapshot (%zu bytes): %s", buf->len,
			  store_strerror(rc));
		switch (rc) {
		case STORE_ENOMEM:
			return RAFT_NOMEM;
		case STORE_EIO:
			return RAFT_IOERR;
		default:
			return RAFT_CORRUPT;
		}
	}
	raft_free(buf->base);
	f->n_restores++;
	return 0;
}

void consensus_fsm_init(struct consensus_fsm *f, struct store *store,
			struct raft *raft)
{
	memset(f, 0, sizeof *f);
	f->store = store;
	f->raft = raft;
	f->fsm.version = 2;
	f->fsm.data = f;
	f->fsm.apply = fsm_apply;
	f->fsm.snapshot = fsm_snapshot;
	f->fsm.snapshot_finalize = fsm_snapshot_finalize;
	f->fsm.restore = fsm_restore;
}

int consensus_fsm_enable_async(struct consensus_fsm *f,
			       const struct raft_io *io)
{
	if (io->version < 2 || io->async_work == NULL)
		return 0;
	f->fsm.version = 3;
	f->fsm.snapshot_async = fsm_snapshot_async;
	return 1;
}

void consensus_fsm_set_raft(struct consensus_fsm *f, struct raft *raft)
{
	f->raft = raft;
}

void consensus_fsm_close(struct consensus_fsm *f)
{
	if (f == NULL)
		return;
	free(f->rcs);
	f->rcs = NULL;
	f->rcs_cap = 0;
}
