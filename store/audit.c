/* audit: pruning the audit table (store.h). The records are keyed by the
 * Raft index of the command that wrote them, so key order is log order and
 * the oldest come first; pruning deletes them by key in bounded batches,
 * one ordinary command at a time, so that every node deletes the same. */
#include <string.h>

#include "store/internal.h"

/* How far past MAX records a prune looks for old ones: a record stamped
 * by a clock far ahead must not stop the pruning behind it for ever, and
 * the scan must stay bounded. */
#define PRUNE_SCAN_FACTOR 4
#define PRUNE_STOP (-1) /* what prune_visit returns to end the walk */

struct prune_ctx {
	struct store_cmd *c;
	uint64_t before_ms;
	unsigned max, n, seen;
	int rc;
};

static int prune_visit(void *arg, const void *key, size_t klen, const void *val,
		       size_t vlen)
{
	struct prune_ctx *p = arg;
	struct store_audit a;

	if (++p->seen > p->max * PRUNE_SCAN_FACTOR)
		return PRUNE_STOP;
	/* A record this build cannot read is kept: it is evidence. */
	if (klen != 12 || store_audit_decode(val, vlen, &a) != STORE_OK ||
	    a.time_ms >= p->before_ms)
		return 0;
	p->rc =
	    store_cmd_op(p->c, STORE_OP_DEL, STORE_T_AUDIT, key, klen, NULL, 0);
	if (p->rc != STORE_OK)
		return PRUNE_STOP;
	return ++p->n >= p->max ? PRUNE_STOP : 0;
}

int store_cmd_prune_audit(struct store_cmd *c, struct store_read *r,
			  uint64_t before_ms, unsigned max, unsigned *n)
{
	struct prune_ctx p = {.c = c, .before_ms = before_ms, .max = max};
	int rc;

	*n = 0;
	if (max == 0 || max > STORE_PRUNE_MAX)
		return STORE_EINVAL;
	rc = store_each(r, STORE_T_AUDIT, NULL, 0, prune_visit, &p);
	if (rc != STORE_OK && rc != PRUNE_STOP)
		return rc;
	if (p.rc != STORE_OK)
		return p.rc;
	*n = p.n;
	return STORE_OK;
}
