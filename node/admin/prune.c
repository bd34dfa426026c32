/* prune: the leader deletes audit records older than the parameter
 * audit_retention_days, in bounded batches (store_cmd_prune_audit), so
 * that the audit table cannot grow without end; when there is none, it
 * collects the chunks of TFTP uploads idle for tftp_upload_idle_hours and
 * never committed (store_cmd_gc_tftp_uploads), as bounded. It runs every
 * prune_every_s on every node but acts only where this node leads; a full
 * batch is followed by the next one a second later, until nothing is
 * left. One prune is in flight at a time. */
#include "node/admin/admin_int.h"

#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include "common/log.h"
#include "store/tftpfiles.h"

#define PRUNE_AGAIN_S 1 /* after a full batch */
#define DAY_MS (24ull * 3600 * 1000)

static void prune_arm(struct admin *a, unsigned s)
{
	struct timeval tv = {s, 0};

	if (a->ev_prune)
		evtimer_add(a->ev_prune, &tv);
}

static void pruned(struct admin_op *op, int rc)
{
	struct admin *a = op->a;
	unsigned n = (unsigned)op->id;

	if (rc) {
		log_warn(ADMIN_TAG, "audit pruning: %s",
			 consensus_strerror(rc));
	} else {
		log_info(ADMIN_TAG,
			 "audit pruning: %u records older than %s days "
			 "deleted",
			 n, op->text);
		if (n >= a->limits.prune_batch)
			prune_arm(a, PRUNE_AGAIN_S);
	}
	admin_op_finish(op);
}

static void collected(struct admin_op *op, int rc)
{
	struct admin *a = op->a;
	unsigned n = (unsigned)op->id;

	if (rc)
		log_warn(ADMIN_TAG, "TFTP upload collection: %s",
			 consensus_strerror(rc));
	else {
		log_info(ADMIN_TAG,
			 "TFTP upload collection: %u operations on uploads "
			 "idle for %s hours",
			 n, op->text);
		if (n >= a->limits.prune_batch)
			prune_arm(a, PRUNE_AGAIN_S);
	}
	admin_op_finish(op);
}

/* The chunks of uploads never committed (R's, read at NOW): 1 if a
 * command was proposed (OP taken), 0 if nothing to do (OP untouched). */
static int collect_uploads(struct admin *a, struct admin_op *op,
			   struct store_read *r, uint64_t now)
{
	struct store_cmd *cmd;
	char *end;
	unsigned long hours;
	unsigned n = 0;
	int rc;

	if (store_param_get(r, "tftp_upload_idle_hours", op->text,
			    sizeof op->text) != 0)
		return 0;
	hours = strtoul(op->text, &end, 10);
	if (*end || hours == 0 || hours > 8760)
		return 0;
	cmd = admin_op_cmd(op);
	if (!cmd)
		return 1; /* OP answered (finished) */
	rc = store_cmd_gc_tftp_uploads(cmd, r, now, hours * 3600000ull,
				       a->limits.prune_batch, &n);
	if (rc != STORE_OK || n == 0) {
		if (rc != STORE_OK)
			log_warn(ADMIN_TAG, "TFTP upload collection: %s",
				 store_strerror(rc));
		store_cmd_free(cmd);
		return 0;
	}
	op->id = n;
	a->prune_op = op;
	admin_op_propose(op, cmd, collected);
	store_cmd_free(cmd);
	return 1;
}

/* 0 with *DAYS from the replicated parameter, or -1. */
static int retention_days(struct store_read *r, unsigned *days, char *text,
			  size_t cap)
{
	char *end;
	unsigned long v;

	if (store_param_get(r, "audit_retention_days", text, cap) != 0)
		return -1;
	v = strtoul(text, &end, 10);
	if (*end || v == 0 || v > 36500)
		return -1;
	*days = (unsigned)v;
	return 0;
}

static void prune_run(evutil_socket_t fd, short what, void *arg)
{
	struct admin *a = arg;
	struct admin_op *op;
	struct store_read *r;
	struct store_cmd *cmd;
	unsigned days, n = 0;
	uint64_t now = admin_now_ms();
	int rc;

	(void)fd, (void)what;
	prune_arm(a, a->limits.prune_every_s);
	if (!a->consensus || a->prune_op || !admin_is_leader(a))
		return;
	op = admin_op_new(a, NULL);
	if (!op)
		return;
	snprintf(op->actor, sizeof op->actor, "node:%.40s", a->node_name);
	if (store_read_begin(a->store, &r) != 0) {
		admin_op_finish(op);
		return;
	}
	if (retention_days(r, &days, op->text, sizeof op->text) != 0 ||
	    now < (uint64_t)days * DAY_MS) {
		if (!collect_uploads(a, op, r, now))
			admin_op_finish(op);
		store_read_end(r);
		return;
	}
	cmd = admin_op_cmd(op);
	if (!cmd) {
		store_read_end(r);
		return;
	}
	rc = store_cmd_prune_audit(cmd, r, now - (uint64_t)days * DAY_MS,
				   a->limits.prune_batch, &n);
	if (rc != STORE_OK || n == 0) {
		if (rc != STORE_OK)
			log_warn(ADMIN_TAG, "audit pruning: %s",
				 store_strerror(rc));
		store_cmd_free(cmd);
		if (!collect_uploads(a, op, r, now))
			admin_op_finish(op);
		store_read_end(r);
		return;
	}
	store_read_end(r);
	op->id = n;
	a->prune_op = op;
	admin_op_propose(op, cmd, pruned);
	store_cmd_free(cmd);
}

int admin_prune_init(struct admin *a)
{
	if (a->limits.prune_batch > STORE_PRUNE_MAX)
		a->limits.prune_batch = STORE_PRUNE_MAX;
	a->ev_prune = evtimer_new(a->base, prune_run, a);
	if (!a->ev_prune)
		return -1;
	/* Soon after start, so that a node that leads prunes what piled up
	 * while it did not. */
	prune_arm(a, PRUNE_AGAIN_S);
	return 0;
}

void admin_prune_fini(struct admin *a)
{
	if (a->ev_prune)
		event_free(a->ev_prune);
	a->ev_prune = NULL;
}
