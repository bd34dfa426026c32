/* apply: the state machine — applies one committed Raft entry (one or more
 * commands) to LMDB.
 *
 * Determinism is the whole point: every node must reach the same content
 * from the same entries. So apply reads no clock and no local state other
 * than the store itself, and every outcome that depends on the bytes of a
 * command (malformed, unknown version, key exists, expectation failed) is a
 * per-command result, never an error of the entry. Only a failure of LMDB
 * itself stops the entry, and nothing of it is written then: a full map is
 * grown and the entry applied again at once; a full disk is reported
 * (STORE_ENOSPC, health store-full) for the caller to retry the same entry
 * later; anything else means the caller must stop following the log.
 */
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "store/codec.h"
#include "store/internal.h"

struct apply_ctx {
	struct store *s;
	uint64_t index;
	uint32_t audit_pos; /* audit ops seen so far in this entry */
};

/* Result of one op: a store code (> 0) for a refusal, APPLY_FATAL with the
 * LMDB code in *mrc when the entry cannot go on. */
#define APPLY_FATAL (-1)

static int apply_op(struct apply_ctx *a, MDB_txn *txn, const struct cmd_op *op,
		    int *mrc)
{
	MDB_dbi dbi = a->s->dbi[op->table];
	MDB_val k = {op->klen, (void *)op->key};
	MDB_val v = {op->vlen, (void *)op->val};
	uint8_t akey[12];
	MDB_val cur;
	int rc;

	switch (op->op) {
	case STORE_OP_PUT:
		rc = mdb_put(txn, dbi, &k, &v, 0);
		break;
	case STORE_OP_PUT_NEW:
		rc = mdb_put(txn, dbi, &k, &v, MDB_NOOVERWRITE);
		if (rc == MDB_KEYEXIST)
			return STORE_EEXIST;
		break;
	case STORE_OP_DEL:
		rc = mdb_del(txn, dbi, &k, NULL);
		if (rc == MDB_NOTFOUND)
			rc = 0;
		break;
	case STORE_OP_DEL_EXISTING:
		rc = mdb_del(txn, dbi, &k, NULL);
		if (rc == MDB_NOTFOUND)
			return STORE_ENOTFOUND;
		break;
	case STORE_OP_AUDIT:
		/* (index, position in the entry): unique and in log order,
		 * the same on every node. */
		store_key_u64(a->index, akey);
		for (int i = 0; i < 4; i++)
			akey[8 + i] = (uint8_t)(a->audit_pos >> (24 - 8 * i));
		a->audit_pos++;
		k.mv_size = sizeof akey;
		k.mv_data = akey;
		rc = mdb_put(txn, dbi, &k, &v, 0);
		break;
	case STORE_OP_EXPECT:
		rc = mdb_get(txn, dbi, &k, &cur);
		if (rc == MDB_NOTFOUND)
			return STORE_ENOTFOUND;
		if (rc)
			break;
		if (cur.mv_size != op->vlen ||
		    (op->vlen && memcmp(cur.mv_data, op->val, op->vlen) != 0))
			return STORE_ENOTFOUND;
		return STORE_OK;
	default:
		/* cmd_parse let through only known ops. */
		return STORE_ECORRUPT;
	}
	if (rc) {
		*mrc = rc;
		return APPLY_FATAL;
	}
	return STORE_OK;
}

/* Applies one parsed command inside PARENT. A command that can fail after
 * it wrote runs in a nested transaction so that its failure leaves no
 * trace; one that cannot (the common case: puts, deletes, audit, or a guard
 * first) writes straight into the parent and saves the cost of a nested
 * transaction. */
static int apply_cmd(struct apply_ctx *a, MDB_txn *parent,
		     const struct cmd_view *v, int *mrc)
{
	MDB_txn *txn = parent;
	struct cmd_op op;
	size_t off = 0;
	int rc = STORE_OK;

	if (v->needs_rollback) {
		*mrc = mdb_txn_begin(a->s->env, parent, 0, &txn);
		if (*mrc)
			return APPLY_FATAL;
	}
	for (unsigned i = 0; i < v->n_ops && rc == STORE_OK; i++) {
		cmd_op_at(v, &off, &op);
		rc = apply_op(a, txn, &op, mrc);
	}
	if (txn == parent)
		return rc;
	if (rc != STORE_OK) {
		mdb_txn_abort(txn);
		return rc;
	}
	*mrc = mdb_txn_commit(txn);
	return *mrc ? APPLY_FATAL : STORE_OK;
}

static void apply_result(int *rcs, unsigned max_rcs, unsigned n, int rc)
{
	if (rcs && n < max_rcs)
		rcs[n] = rc;
}

/* One attempt at the entry in one write transaction. Returns 0, or -1 with
 * the LMDB code in *mrc (nothing written). */
static int apply_entry(struct store *s, uint64_t index, const uint8_t *p,
		       size_t len, int *rcs, unsigned max_rcs, unsigned *n_out,
		       int *mrc)
{
	struct apply_ctx a = {.s = s, .index = index};
	struct cmd_view v;
	MDB_txn *txn;
	size_t off = 0;
	unsigned n = 0;
	int rc, fault;

	if (!s->env) {
		/* A restore could not reopen the store (logged there). */
		*mrc = EIO;
		return -1;
	}
	*mrc = mdb_txn_begin(s->env, NULL, 0, &txn);
	if (*mrc)
		return -1;
	while (off < len) {
		rc = cmd_parse(p + off, len - off, &v);
		if (rc == STORE_OK)
			rc = apply_cmd(&a, txn, &v, mrc);
		if (rc == APPLY_FATAL)
			goto err_after_txn_begin;
		apply_result(rcs, max_rcs, n++, rc);
		if (v.total == 0)
			break; /* the rest of the entry cannot be delimited */
		off += v.total;
	}
	*mrc = store_meta_put(txn, s->dbi[STORE_T_META], STORE_META_APPLIED, 8,
			      index);
	if (*mrc)
		goto err_after_txn_begin;
	store_fault_poll(s);
	fault = atomic_load(&s->fault_mrc);
	if (fault && atomic_load(&s->fault_n) > 0) {
		atomic_fetch_sub(&s->fault_n, 1);
		*mrc = fault;
		goto err_after_txn_begin;
	}
	*mrc = mdb_txn_commit(txn);
	if (*mrc)
		return -1;
	*n_out = n;
	return 0;

err_after_txn_begin:
	mdb_txn_abort(txn);
	return -1;
}

int store_apply(struct store *s, uint64_t index, const void *buf, size_t len,
		int *rcs, unsigned max_rcs, unsigned *n_rcs)
{
	const uint8_t *p = buf;
	unsigned n = 0;
	int mrc = 0, rc;

	if (n_rcs)
		*n_rcs = 0;
	if (!buf)
		len = 0;
	if (index <= atomic_load(&s->applied)) {
		n = store_cmd_count(p, len);
		for (unsigned i = 0; i < n; i++)
			apply_result(rcs, max_rcs, i, STORE_OK);
		if (n_rcs)
			*n_rcs = n;
		return STORE_OK;
	}
	for (;;) {
		/* A share of the gate for the write transaction: the map
		 * cannot be changed under it. */
		store_gate_enter(&s->gate);
		rc = apply_entry(s, index, p, len, rcs, max_rcs, &n, &mrc);
		store_gate_leave(&s->gate);
		if (rc == 0)
			break;
		if (mrc != MDB_MAP_FULL)
			goto err;
		/* Nothing was written: grow, then the whole entry again. */
		rc = store_map_grow(s);
		if (rc)
			return rc;
	}
	atomic_store(&s->applied, index);
	store_health_set_ok(s);
	if (n_rcs)
		*n_rcs = n;
	return STORE_OK;

err:
	if (store_space_error(mrc) || (mrc == EIO && store_space_short(s))) {
		store_health_set_full(s, mrc, "no space to write the store");
		return STORE_ENOSPC;
	}
	log_error("store", "cannot apply entry %llu: %s",
		  (unsigned long long)index, mdb_strerror(mrc));
	if (mrc == ENOMEM)
		return STORE_ENOMEM;
	return STORE_EIO;
}
