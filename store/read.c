/* read: read transactions and the typed getters.
 *
 * A store_read wraps one LMDB read-only transaction. The environment is
 * opened with MDB_NOTLS, so the transaction belongs to the handle, not the
 * thread: any thread may begin one, and a handle may move between threads as
 * long as only one uses it at a time.
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "store/internal.h"

int store_read_begin(struct store *s, struct store_read **out)
{
	struct store_read *r;
	int mrc;

	*out = NULL;
	r = malloc(sizeof *r);
	if (!r)
		return STORE_ENOMEM;
	r->s = s;
	store_gate_enter(&s->gate);
	if (!s->env) {
		/* A restore could not reopen the store (logged there). */
		store_gate_leave(&s->gate);
		free(r);
		return STORE_EIO;
	}
	mrc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &r->txn);
	if (mrc) {
		/* MDB_READERS_FULL lands here: too many reads open at once. */
		log_error("store", "read: %s", mdb_strerror(mrc));
		store_gate_leave(&s->gate);
		free(r);
		return store_mdb_rc(mrc);
	}
	*out = r;
	return STORE_OK;
}

void store_read_end(struct store_read *r)
{
	if (!r)
		return;
	mdb_txn_abort(r->txn);
	store_gate_leave(&r->s->gate);
	free(r);
}

static int read_table_ok(enum store_table t)
{
	return (unsigned)t < STORE_T__COUNT;
}

int store_get(struct store_read *r, enum store_table t, const void *key,
	      size_t klen, const void **val, size_t *vlen)
{
	MDB_val k = {klen, (void *)key}, v;
	int mrc;

	*val = NULL;
	*vlen = 0;
	if (!read_table_ok(t) || klen == 0 || klen > STORE_KEY_MAX)
		return STORE_EINVAL;
	mrc = mdb_get(r->txn, r->s->dbi[t], &k, &v);
	if (mrc)
		return store_mdb_rc(mrc);
	*val = v.mv_data;
	*vlen = v.mv_size;
	return STORE_OK;
}

int store_get_id(struct store_read *r, enum store_table t, uint64_t id,
		 const void **val, size_t *vlen)
{
	uint8_t key[8];

	store_key_u64(id, key);
	return store_get(r, t, key, sizeof key, val, vlen);
}

size_t store_name_key_len(const char *name)
{
	size_t n = name ? strnlen(name, STORE_NAME_MAX) : 0;

	return n == STORE_NAME_MAX ? 0 : n;
}

int store_key_is(const void *key, size_t klen, const char *name)
{
	return klen == strlen(name) && memcmp(key, name, klen) == 0;
}

int store_get_named(struct store_read *r, enum store_table t, const char *name,
		    const void **val, size_t *vlen)
{
	size_t klen = store_name_key_len(name);

	if (klen == 0)
		return STORE_EINVAL;
	return store_get(r, t, name, klen, val, vlen);
}

int store_each(struct store_read *r, enum store_table t, const void *start,
	       size_t slen, store_each_fn fn, void *arg)
{
	MDB_cursor *cur;
	MDB_val k = {slen, (void *)start}, v;
	int mrc, rc = STORE_OK;

	if (!read_table_ok(t) || (start && (slen == 0 || slen > STORE_KEY_MAX)))
		return STORE_EINVAL;
	mrc = mdb_cursor_open(r->txn, r->s->dbi[t], &cur);
	if (mrc)
		return store_mdb_rc(mrc);
	mrc = mdb_cursor_get(cur, &k, &v, start ? MDB_SET_RANGE : MDB_FIRST);
	while (mrc == 0) {
		rc = fn(arg, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
		if (rc)
			break;
		mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	if (rc)
		return rc;
	return mrc == MDB_NOTFOUND ? STORE_OK : store_mdb_rc(mrc);
}

int store_count(struct store_read *r, enum store_table t, size_t *n)
{
	MDB_stat st;
	int mrc;

	*n = 0;
	if (!read_table_ok(t))
		return STORE_EINVAL;
	mrc = mdb_stat(r->txn, r->s->dbi[t], &st);
	if (mrc)
		return store_mdb_rc(mrc);
	*n = st.ms_entries;
	return STORE_OK;
}

/* ---- typed ------------------------------------------------------------ */

int store_cluster_get(struct store_read *r, struct store_cluster *out)
{
	const void *v;
	size_t n;
	int rc;

	memset(out, 0, sizeof *out);
	rc = store_get(r, STORE_T_CLUSTER, STORE_CLUSTER_KEY,
		       strlen(STORE_CLUSTER_KEY), &v, &n);
	if (rc)
		return rc;
	return store_cluster_decode(v, n, out);
}

int store_node_get(struct store_read *r, uint64_t id, struct store_node *out)
{
	const void *v;
	size_t n;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = store_get_id(r, STORE_T_NODES, id, &v, &n)))
		return rc;
	return store_node_decode(v, n, out);
}

struct node_find {
	const char *name;
	struct store_node *out;
};

static int node_find_cb(void *arg, const void *key, size_t klen,
			const void *val, size_t vlen)
{
	struct node_find *f = arg;
	struct store_node node;

	/* A record this build cannot read is skipped, not fatal: the others
	 * are still findable. */
	if (store_node_decode(val, vlen, &node) != STORE_OK)
		return 0;
	if (strcmp(node.name, f->name) != 0)
		return 0;
	*f->out = node;
	return 1;
}

int store_node_find(struct store_read *r, const char *name,
		    struct store_node *out)
{
	struct node_find f = {.name = name, .out = out};
	int rc;

	memset(out, 0, sizeof *out);
	if (!name)
		return STORE_EINVAL;
	rc = store_each(r, STORE_T_NODES, NULL, 0, node_find_cb, &f);
	if (rc == 1)
		return STORE_OK;
	return rc ? rc : STORE_ENOTFOUND;
}

int store_admin_get(struct store_read *r, const char *name,
		    struct store_admin *out)
{
	const void *v;
	size_t n;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = store_get_named(r, STORE_T_ADMINS, name, &v, &n)))
		return rc;
	return store_admin_decode(v, n, out);
}

int store_join_token_get(struct store_read *r, const char *node_name,
			 struct store_join_token *out)
{
	const void *v;
	size_t n;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = store_get_named(r, STORE_T_JOIN_TOKENS, node_name, &v, &n)))
		return rc;
	return store_join_token_decode(v, n, out);
}
