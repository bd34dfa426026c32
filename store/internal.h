/* internal: what the files of store/ share — the environment struct, the
 * meta keys and the parsed view of an encoded command. Not for other
 * folders. */
#ifndef WARD_STORE_INTERNAL_H
#define WARD_STORE_INTERNAL_H

#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Longest the apply thread waits for readers to let go of the gate
 * before it gives up a growth for now (STORE_EBUSY, retried by the
 * caller): a reader that nests a second read on the same thread must not
 * deadlock against it. */
#define STORE_GATE_WAIT_MS 200
/* A restore swaps files under the gate: it waits this long in all, then
 * gives up (STORE_EBUSY; consensus retries it). */
#define STORE_GATE_RESTORE_MS 2000
/* While the disk stays full, the log line repeats this often. */
#define STORE_FULL_LOG_MS 30000

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

/* The gate: every transaction holds a share of it; growing the map and
 * swapping in a restored file take it whole, since LMDB allows neither
 * with a transaction open in the process. A condition variable rather than
 * a rwlock: a read may end on another thread than the one that began it,
 * and a waiting exclusive taker must hold back new readers (or a steady
 * stream of reads would starve the growth). */
struct store_gate {
	pthread_mutex_t lock;
	pthread_cond_t cond; /* CLOCK_MONOTONIC */
	unsigned readers;    /* shares held */
	int exclusive;	     /* 1: wanted or held: new shares wait */
};

struct store {
	MDB_env *env;		     /* owned; replaced only under the whole
					gate (restore) */
	MDB_dbi dbi[STORE_T__COUNT]; /* opened with env */
	_Atomic uint64_t applied;    /* mirror of META applied_index */
	char *dir;		     /* owned */
	size_t map_size;	     /* current; changed under the whole gate
					by the apply thread */
	struct store_gate gate;
	pthread_mutex_t health_lock;
	struct store_health health; /* under health_lock */
	uint64_t full_logged_ms;    /* apply thread: last store-full line */
	/* Fault injection for tests (store/fault.h). */
	_Atomic int fault_mrc;
	_Atomic unsigned fault_n;
	char *fault_file; /* owned; NULL: not watched */
};

/* Apply thread: reads the file store_fault_watch named, if it is there. */
void store_fault_poll(struct store *s);

struct store_read {
	struct store *s; /* borrowed */
	MDB_txn *txn;	 /* owned, read-only */
};

/* The gate (gate.c). enter/leave: a share, for the life of a
 * transaction. lock: the whole gate, waiting at most TIMEOUT_MS for the
 * shares to go (STORE_EBUSY then); the caller holds no share. */
int store_gate_init(struct store_gate *g);
void store_gate_destroy(struct store_gate *g);
void store_gate_enter(struct store_gate *g);
void store_gate_leave(struct store_gate *g);
int store_gate_lock(struct store_gate *g, unsigned timeout_ms);
void store_gate_unlock(struct store_gate *g);

/* Apply thread, no transaction open: doubles the map (up to
 * STORE_MAP_SIZE_MAX) under the whole gate. STORE_EBUSY if readers held
 * on; STORE_ENOSPC at the maximum (health says so); STORE_EIO. */
int store_map_grow(struct store *s);
/* 1 if an LMDB/errno code means the filesystem has no room. */
int store_space_error(int mrc);
/* 1 if the filesystem of S is (nearly) out of room: less than
 * STORE_SPACE_LOW free, or the data file that close to the process's file
 * size limit. LMDB reports a write cut short by a full disk as EIO (it
 * does not retry to get the ENOSPC), so an EIO is a full disk when this
 * says so. */
#define STORE_SPACE_LOW ((uint64_t)4 << 20)
int store_space_short(struct store *s);
/* Apply thread: the disk is full (MRC from LMDB): health store-full with
 * the free space, logged on the change and every STORE_FULL_LOG_MS. */
void store_health_set_full(struct store *s, int mrc, const char *what);
/* Apply thread: an apply went through: back to OK (logged if it was
 * not). */
void store_health_set_ok(struct store *s);
/* Unix time in ms. */
uint64_t store_now_ms(void);

/* Opens the LMDB environment of S in S->dir with S->map_size and its tables
 * (env.c): used by open and by restore's swap. On failure S->env is NULL. */
int store_env_load(struct store *s, char *errmsg, size_t errcap);

/* store_get under the key of a numeric ID (store_key_u64: 8 bytes, big
 * endian), as nodes and ITLs are filed. */
int store_get_id(struct store_read *r, enum store_table t, uint64_t id,
		 const void **val, size_t *vlen);

/* The key of NAME in a table keyed by names (the bytes, no NUL): its
 * length, or 0 if it cannot be a key (NULL, empty, STORE_NAME_MAX bytes or
 * more). */
size_t store_name_key_len(const char *name);
/* Whether KEY (KLEN bytes) is the key of NAME. */
int store_key_is(const void *key, size_t klen, const char *name);
/* store_get under NAME's key: STORE_EINVAL if NAME cannot be a key. */
int store_get_named(struct store_read *r, enum store_table t, const char *name,
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

/* Defines REC_from_kv, store_REC_get(r, name, out) and store_REC_each
 * (declared in the table's header) for a TABLE keyed by name whose
 * records of TYPE hold their own name (->name): a record must hold its
 * key's, or it reads as STORE_ECORRUPT. */
#define STORE_NAMED_RECORD(rec, table, type)                                   \
	static int rec##_from_kv(const void *key, size_t klen,                 \
				 const void *val, size_t vlen, type *out)      \
	{                                                                      \
		int rc = store_##rec##_decode(val, vlen, out);                 \
                                                                               \
		if (rc)                                                        \
			return rc;                                             \
		if (!store_key_is(key, klen, out->name)) {                     \
			memset(out, 0, sizeof *out);                           \
			return STORE_ECORRUPT;                                 \
		}                                                              \
		return STORE_OK;                                               \
	}                                                                      \
	int store_##rec##_get(struct store_read *r, const char *key,           \
			      type *out)                                       \
	{                                                                      \
		const void *v;                                                 \
		size_t n;                                                      \
		int rc;                                                        \
                                                                               \
		memset(out, 0, sizeof *out);                                   \
		if ((rc = store_get_named(r, table, key, &v, &n)))             \
			return rc;                                             \
		return rec##_from_kv(key, strlen(key), v, n, out);             \
	}                                                                      \
	STORE_EACH_RECORD(rec, table, type)

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
