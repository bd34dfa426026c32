/* internal: what the files of store/ share — the environment struct, the
 * meta keys and the parsed view of an encoded command. Not for other
 * folders. */
#ifndef WARD_STORE_INTERNAL_H
#define WARD_STORE_INTERNAL_H

#include <lmdb.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define STORE_MAP_SIZE ((size_t)1 << 30)

/* Keys of STORE_T_META. */
#define STORE_META_APPLIED "applied_index" /* u64 BE */
#define STORE_META_SCHEMA "schema_version" /* u32 BE */
/* Key of the one record of STORE_T_CLUSTER. */
#define STORE_CLUSTER_KEY "cluster"
/* Key of the one record of STORE_T_CTL. */
#define STORE_CTL_KEY "current"

/* Key of STORE_T_RESETS: kind (1 byte) + name (1..STORE_NAME_MAX-1 bytes)
 * into OUT; STORE_EINVAL for an unknown kind or a bad name. */
#define STORE_RESET_KEY_MAX STORE_NAME_MAX
int store_key_reset(enum store_reset_kind kind, const char *name,
		    uint8_t out[STORE_RESET_KEY_MAX], size_t *len);

struct store {
	MDB_env *env;		     /* owned */
	MDB_dbi dbi[STORE_T__COUNT]; /* opened once, at store_open */
	_Atomic uint64_t applied;    /* mirror of META applied_index */
};

struct store_read {
	struct store *s; /* borrowed */
	MDB_txn *txn;	 /* owned, read-only */
};

/* store_get under the key of a numeric ID (store_key_u64: 8 bytes, big
 * endian), as nodes and ITLs are filed. */
int store_get_id(struct store_read *r, enum store_table t, uint64_t id,
		 const void **val, size_t *vlen);

/* Defines store_NAME_each(r, fn, arg) (declared in store.h): every record
 * of TABLE, decoded and checked against its key by NAME_from_kv (key, klen,
 * val, vlen, TYPE *out) and handed to the caller's store_NAME_fn. A record
 * that does not decode is skipped, so one damaged record does not hide the
 * others. */
#define STORE_EACH_RECORD(name, table, type)                                   \
	struct name##_each {                                                   \
		store_##name##_fn fn;                                          \
		void *arg;                                                     \
	};                                                                     \
	static int name##_each_cb(void *arg, const void *key, size_t klen,     \
				  const void *val, size_t vlen)                \
	{                                                                      \
		struct name##_each *e = arg;                                   \
		type rec;                                                      \
                                                                               \
		if (name##_from_kv(key, klen, val, vlen, &rec) != STORE_OK)    \
			return 0;                                              \
		return e->fn(e->arg, &rec);                                    \
	}                                                                      \
	int store_##name##_each(struct store_read *r, store_##name##_fn fn,    \
				void *arg)                                     \
	{                                                                      \
		struct name##_each e = {.fn = fn, .arg = arg};                 \
                                                                               \
		return store_each(r, table, NULL, 0, name##_each_cb, &e);      \
	}

/* Maps an LMDB return code to a store code: the "not an environment /
 * damaged pages" family to STORE_ECORRUPT, ENOMEM to STORE_ENOMEM, the
 * rest to STORE_EIO. */
int store_mdb_rc(int mdb_rc);

/* Reads every page of the environment in DIR in a child process (see
 * verify.c): STORE_ECORRUPT with a reason in errmsg if it is damaged. A
 * directory without a data file passes. */
int store_verify_dir(const char *dir, char *errmsg, size_t errcap);

/* Reads a big-endian integer of SIZE (4 or 8) bytes under KEY in the meta
 * table; absent gives *out = 0 and 0; a value of another size gives
 * STORE_ECORRUPT. */
int store_meta_get(MDB_txn *txn, MDB_dbi meta, const char *key, size_t size,
		   uint64_t *out);
/* Writes it; returns an LMDB code. */
int store_meta_put(MDB_txn *txn, MDB_dbi meta, const char *key, size_t size,
		   uint64_t v);

/* ---- encoded commands (cmd.c), for apply.c ---------------------------- */

#define CMD_MAGIC "WCMD"
#define CMD_VERSION 1
#define CMD_HDR_LEN 29 /* fixed part, before the actor */
#define CMD_OP_HDR_LEN 8

struct cmd_view {
	size_t total; /* total_len: bytes to skip to the next one */
	unsigned n_ops;
	uint64_t origin, time_ms;
	const uint8_t *ops; /* borrowed from the entry */
	size_t ops_len;	    /* without the padding */
	int needs_rollback; /* an op that can fail follows one that wrote */
};

struct cmd_op {
	uint8_t op, table;
	const uint8_t *key, *val; /* borrowed from the entry */
	size_t klen, vlen;
};

/* Parses and fully validates the command at the start of BUF. Returns 0;
 * STORE_EVERSION (v->total set: the command can be skipped);
 * STORE_ECORRUPT with v->total set (malformed inside known bounds) or 0
 * (the header itself is unusable: nothing after it can be delimited). */
int cmd_parse(const void *buf, size_t len, struct cmd_view *v);

/* Iterates the ops of a view that cmd_parse accepted: *off starts at 0. */
void cmd_op_at(const struct cmd_view *v, size_t *off, struct cmd_op *op);

/* Adds EXPECT (T, KEY) == OLD then PUT (T, KEY) = VAL, both or neither:
 * the compare-and-set behind the store_cmd_update_* / replace_* helpers. */
int cmd_guarded_put(struct store_cmd *c, enum store_table t, const void *key,
		    size_t klen, const void *old, size_t old_len,
		    const void *val, size_t vlen);

#endif
