/* consensus/loop: the Raft thread's side of the request queue — batching
 * proposals into entries, barriers, and fanning results back out.
 *
 * Batching: whatever proposals piled up while the thread was busy (writing,
 * applying, sending) are packed into one entry, so N concurrent writers cost
 * one disk write, one round trip and one LMDB transaction instead of N. The
 * store applies each command of the entry atomically on its own and returns
 * one result per command, which apply_cb hands to each proposal in order.
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "consensus/internal.h"
#include "store/store.h"

void consensus_req_done(struct consensus_req *q, int rc)
{
	if (q->cb != NULL)
		q->cb(q->arg, rc);
	free(q);
}

static void reqs_fail(struct consensus_req *list, int rc)
{
	struct consensus_req *next;

	for (; list != NULL; list = next) {
		next = list->next;
		consensus_req_done(list, rc);
	}
}

static void batch_unlink(struct consensus *c, struct consensus_batch *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else
		c->batches = b->next;
	if (b->next)
		b->next->prev = b->prev;
	b->prev = b->next = NULL;
}

static void apply_cb(struct raft_apply *a, int status, void *result)
{
	struct consensus_batch *b = a->data;
	struct consensus *c = b->c;
	const struct consensus_fsm_result *res = result;
	struct consensus_req *q, *next;
	unsigned i = 0;
	int rc;

	batch_unlink(c, b);
	for (q = b->reqs; q != NULL; q = next, i++) {
		next = q->next;
		if (status != 0)
			rc = c->failed	  ? CONSENSUS_EFAILED
			     : c->closing ? CONSENSUS_ESHUTDOWN
					  : consensus_from_raft(status);
		else if (res != NULL && i < res->n)
			rc = res->rcs[i];
		else
			rc = STORE_ECORRUPT; /* the entry held fewer commands */
		consensus_req_done(q, rc);
	}
	free(b);
}

/* Turns a run of proposals into one raft_apply. Takes ownership of RUN. */
static void batch_submit(struct consensus *c, struct consensus_req *run,
			 unsigned n, size_t bytes)
{
	struct consensus_batch *b;
	struct consensus_req *q;
	struct raft_buffer buf;
	unsigned char *p;
	int rv;

	if (run == NULL)
		return;
	if (raft_state(&c->raft) != RAFT_LEADER) {
		reqs_fail(run, CONSENSUS_ENOTLEADER);
		return;
	}
	b = calloc(1, sizeof *b);
	buf.base = raft_malloc(bytes);
	buf.len = bytes;
	if (b == NULL || buf.base == NULL) {
		free(b);
		raft_free(buf.base);
		reqs_fail(run, CONSENSUS_ENOMEM);
		return;
	}
	p = buf.base;
	for (q = run; q != NULL; q = q->next) {
		memcpy(p, q->data, q->len);
		p += q->len;
	}
	b->c = c;
	b->n = n;
	b->reqs = run;
	b->apply.data = b;
	rv = raft_apply(&c->raft, &b->apply, &buf, 1, apply_cb);
	if (rv != 0) {
		raft_free(buf.base); /* not transferred on failure */
		free(b);
		log_debug(CONSENSUS_TAG, "apply: %s", raft_errmsg(&c->raft));
		reqs_fail(run, consensus_from_raft(rv));
		return;
	}
	b->next = c->batches;
	if (c->batches)
		c->batches->prev = b;
	c->batches = b;
}

static void barrier_unlink(struct consensus *c, struct consensus_barrier_req *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else
		c->barriers = b->next;
	if (b->next)
		b->next->prev = b->prev;
	b->prev = b->next = NULL;
}

static void barrier_cb(struct raft_barrier *rb, int status)
{
	struct consensus_barrier_req *b = rb->data;
	struct consensus *c = b->c;
	int rc = 0;

	if (status != 0)
		rc = c->failed	  ? CONSENSUS_EFAILED
		     : c->closing ? CONSENSUS_ESHUTDOWN
				  : consensus_from_raft(status);
	barrier_unlink(c, b);
	consensus_req_done(b->req, rc);
	free(b);
}

static void barrier_start(struct consensus *c, struct consensus_req *q)
{
	struct consensus_barrier_req *b;
	int rv;

	if (raft_state(&c->raft) != RAFT_LEADER) {
		consensus_req_done(q, CONSENSUS_ENOTLEADER);
		return;
	}
	b = calloc(1, sizeof *b);
	if (b == NULL) {
		consensus_req_done(q, CONSENSUS_ENOMEM);
		return;
	}
	b->c = c;
	b->req = q;
	b->barrier.data = b;
	rv = raft_barrier(&c->raft, &b->barrier, barrier_cb);
	if (rv != 0) {
		free(b);
		consensus_req_done(q, consensus_from_raft(rv));
		return;
	}
	b->next = c->barriers;
	if (c->barriers)
		c->barriers->prev = b;
	c->barriers = b;
}

void consensus_loop_drain(struct consensus *c)
{
	struct consensus_req *list, *q, *next;
	struct consensus_req *run = NULL, **run_tail = &run;
	size_t bytes = 0;
	unsigned n = 0;

	pthread_mutex_lock(&c->lock);
	list = c->q_head;
	c->q_head = NULL;
	c->q_tail = &c->q_head;
	pthread_mutex_unlock(&c->lock);

	for (q = list; q != NULL; q = next) {
		next = q->next;
		q->next = NULL;
		if (q->type == CONSENSUS_REQ_PROPOSE) {
			if (bytes + q->len > CONSENSUS_BATCH_MAX) {
				batch_submit(c, run, n, bytes);
				run = NULL;
				run_tail = &run;
				bytes = 0;
				n = 0;
			}
			*run_tail = q;
			run_tail = &q->next;
			bytes += q->len;
			n++;
			continue;
		}
		/* Keep the order callers see: what was proposed before a
		 * barrier is in the log before it. */
		batch_submit(c, run, n, bytes);
		run = NULL;
		run_tail = &run;
		bytes = 0;
		n = 0;
		switch (q->type) {
		case CONSENSUS_REQ_BARRIER:
			barrier_start(c, q);
			break;
		case CONSENSUS_REQ_TRANSFER:
			consensus_transfer_start(c, q);
			break;
		default:
			consensus_change_start(c, q);
			break;
		}
	}
	batch_submit(c, run, n, bytes);
}

void consensus_loop_fail_queue(struct consensus *c, int rc)
{
	struct consensus_req *list;

	pthread_mutex_lock(&c->lock);
	list = c->q_head;
	c->q_head = NULL;
	c->q_tail = &c->q_head;
	pthread_mutex_unlock(&c->lock);
	reqs_fail(list, rc);
}

void consensus_loop_fail_all(struct consensus *c, int rc)
{
	consensus_loop_fail_queue(c, rc);

	/* C-raft has let go of these (its close callback ran) without
	 * answering: answer for it. */
	while (c->batches != NULL) {
		struct consensus_batch *b = c->batches;

		batch_unlink(c, b);
		reqs_fail(b->reqs, rc);
		free(b);
	}
	while (c->barriers != NULL) {
		struct consensus_barrier_req *b = c->barriers;

		barrier_unlink(c, b);
		consensus_req_done(b->req, rc);
		free(b);
	}
	consensus_change_fail_all(c, rc);
}
