/* store: the replicated data of a node — one LMDB environment, typed records,
 * and the state machine that applies Raft commands to it.
 *
 * The store knows nothing of Raft. Consensus calls store_apply() for every
 * committed entry, store_snapshot() and store_restore(); everyone else reads
 * through read transactions (any thread, no locks: LMDB MVCC) and writes by
 * building a command (store_cmd_*) and proposing it to consensus.
 *
 * Ownership, as in lmdb.h: every pointer returned by a read is borrowed from
 * the read transaction and stays valid until store_read_end(); typed records
 * are decoded into caller-owned structs whose strings live in fixed arrays.
 */
#ifndef WARD_STORE_H
#define WARD_STORE_H

#include <stddef.h>
#include <stdint.h>

/* Error codes of the store (0 is success). */
#define STORE_ERRORS(X)                                                        \
	X(STORE_ENOMEM, "out of memory")                                       \
	X(STORE_EIO, "storage error")                                          \
	X(STORE_ECORRUPT, "data is corrupt or malformed")                      \
	X(STORE_EVERSION, "record or command version not supported")           \
	X(STORE_ENOTFOUND, "not found")                                        \
	X(STORE_EEXIST, "already exists")                                      \
	X(STORE_EINVAL, "invalid argument")                                    \
	X(STORE_ETOOBIG, "too large")                                          \
	X(STORE_ECLUSTER, "data belongs to another cluster")

enum {
	STORE_OK = 0,
#define STORE_X_ENUM(code, msg) code,
	STORE_ERRORS(STORE_X_ENUM)
#undef STORE_X_ENUM
};

/* Static string for a code; never NULL. */
const char *store_strerror(int rc);

/* Tables (LMDB named sub-databases). The numeric value is part of the
 * command encoding: never renumber, only append. */
enum store_table {
	STORE_T_META = 0,   /* internal: applied index, schema version */
	STORE_T_CLUSTER,    /* one record, key "cluster" */
	STORE_T_PARAMS,     /* cluster parameters, key = name, value = text */
	STORE_T_NODES,      /* key = node id, 8 bytes big-endian */
	STORE_T_ADMINS,     /* key = admin name */
	STORE_T_AUDIT,      /* key = raft index (8 BE) + position (4 BE) */
	STORE_T_JOIN_TOKENS, /* key = node name */
	STORE_T__COUNT
};

/* Name of a table ("nodes"), NULL if out of range. */
const char *store_table_name(enum store_table t);

#define STORE_SCHEMA_VERSION 1
#define STORE_NAME_MAX 64    /* names: nodes, admins, parameters */
#define STORE_ADDR_MAX 128   /* "host:port" */
#define STORE_TEXT_MAX 512   /* audit text, parameter values */
#define STORE_CMD_MAX (1u << 20) /* one command, encoded */
#define STORE_RECORD_MAX 1024    /* largest encoded typed record: a buffer
				    of this size always holds one */
#define STORE_KEY_MAX 511        /* longest key (LMDB's default limit) */

/* ---- typed records ---------------------------------------------------- */

struct store_cluster {
	char id[37];                   /* UUID text */
	char name[STORE_NAME_MAX];
	uint32_t schema_version;
	uint64_t created_ms;           /* unix time, ms */
};

enum store_node_state {
	STORE_NODE_JOINING = 0, /* token issued, not yet in Raft */
	STORE_NODE_SPARE,       /* in Raft, catching up, not voting */
	STORE_NODE_VOTER,
	STORE_NODE_LEAVING,
};
const char *store_node_state_name(enum store_node_state s);

#define STORE_ROLE_SIP (1u << 0)
#define STORE_ROLE_TFTP (1u << 1)
#define STORE_ROLE_CAPF (1u << 2)
#define STORE_ROLE_ADMIN (1u << 3)

struct store_node {
	uint64_t id;                       /* Raft server id, >= 1 */
	char name[STORE_NAME_MAX];
	char raft_addr[STORE_ADDR_MAX];    /* host:port */
	char admin_addr[STORE_ADDR_MAX];   /* host:port of the HTTPS admin API */
	uint32_t roles;                    /* STORE_ROLE_* */
	uint32_t state;                    /* enum store_node_state */
	uint8_t https_sha256[32];          /* fingerprint of the admin cert;
					      all zero until the node joined */
	uint64_t created_ms;
};

struct store_admin {
	char name[STORE_NAME_MAX];
	uint8_t salt[16];
	uint32_t kdf;          /* 1 = scrypt */
	uint64_t kdf_n;        /* scrypt N */
	uint32_t kdf_r, kdf_p;
	uint8_t hash[32];      /* KDF output */
	uint64_t created_ms;
	uint64_t changed_ms;   /* last password change */
};

struct store_audit {
	uint64_t index;        /* Raft index of the command (from the key) */
	uint32_t pos;          /* position within that command */
	uint64_t time_ms;      /* time the proposer stamped */
	uint64_t origin;       /* node id that proposed */
	char actor[STORE_NAME_MAX];   /* admin name, "node:NAME", "-" */
	char action[STORE_NAME_MAX];  /* "param.set", "login.fail", ... */
	char detail[STORE_TEXT_MAX];  /* never a secret */
};

struct store_join_token {
	char node_name[STORE_NAME_MAX];
	uint64_t node_id;
	uint8_t secret_sha256[32];  /* only the hash of the token is stored */
	uint64_t expires_ms;
	char host[STORE_ADDR_MAX];  /* the address given to "node add" */
};

/* Record codecs: versioned, bounds-checked. encode writes at most cap bytes
 * and returns the length through *len (STORE_ETOOBIG if cap is short);
 * decode rejects truncated, oversized or unknown-version input with
 * STORE_ECORRUPT / STORE_EVERSION and never reads past len. */
int store_cluster_encode(const struct store_cluster *r, void *buf, size_t cap,
			 size_t *len);
int store_cluster_decode(const void *buf, size_t len, struct store_cluster *r);
int store_node_encode(const struct store_node *r, void *buf, size_t cap,
		      size_t *len);
int store_node_decode(const void *buf, size_t len, struct store_node *r);
int store_admin_encode(const struct store_admin *r, void *buf, size_t cap,
		       size_t *len);
int store_admin_decode(const void *buf, size_t len, struct store_admin *r);
/* audit: index and pos come from the key, not the value. */
int store_audit_encode(const struct store_audit *r, void *buf, size_t cap,
		       size_t *len);
int store_audit_decode(const void *buf, size_t len, struct store_audit *r);
int store_join_token_encode(const struct store_join_token *r, void *buf,
			    size_t cap, size_t *len);
int store_join_token_decode(const void *buf, size_t len,
			    struct store_join_token *r);

/* ---- cluster parameters ----------------------------------------------- */

/* Every tunable is declared once (store/params.c) with its type, bounds,
 * default and whether a change takes effect at run time. */
enum store_param_type { STORE_PARAM_INT, STORE_PARAM_BOOL, STORE_PARAM_ENUM };

struct store_param_def {
	const char *name;
	enum store_param_type type;
	int64_t min, max;          /* INT */
	const char *const *choices; /* ENUM: NULL-terminated */
	const char *def;           /* default, as text */
	int runtime;               /* 1: applies without a restart */
	const char *help;
};

/* The table of declared parameters; *n receives its length. Static. */
const struct store_param_def *store_param_defs(size_t *n);
/* NULL if NAME is not a declared parameter. */
const struct store_param_def *store_param_find(const char *name);
/* Checks VALUE against the definition; writes the canonical text form
 * ("true"/"false", decimal) into out. Returns STORE_EINVAL with a reason in
 * errmsg if out of bounds or malformed. */
int store_param_check(const struct store_param_def *def, const char *value,
		      char *out, size_t outcap, char *errmsg, size_t errcap);

/* ---- the environment -------------------------------------------------- */

struct store; /* opaque */

/* Opens (creating if needed) the LMDB environment in directory DIR (which
 * must exist), MDB_NOSYNC: the Raft log is the durable record. A file that is
 * not a valid environment gives STORE_ECORRUPT with a reason in errmsg. */
int store_open(const char *dir, struct store **out, char *errmsg,
	       size_t errcap);
/* Syncs and closes. Accepts NULL. No read may be open. */
void store_close(struct store *s);

/* Index of the last applied Raft entry (0 if none). Any thread. */
uint64_t store_applied_index(struct store *s);

/* ---- state machine (called by consensus, on its thread only) ---------- */

/* Applies the Raft entry at INDEX, which holds one or more commands
 * concatenated (each self-delimiting, see store_cmd_finish). All commands of
 * the entry and the new applied index are written in one LMDB transaction;
 * each command is atomic on its own: one that fails (e.g. STORE_EEXIST for a
 * put-new) leaves no trace and the others still apply.
 *
 * rcs receives one result per command, up to max_rcs; *n_rcs the number of
 * commands found. If INDEX <= store_applied_index() the entry was applied
 * before (replay after restart): nothing is written and rcs are all 0.
 * Returns 0, or STORE_EIO if LMDB failed (the caller must stop: the store can
 * no longer follow the log). A malformed command is not an error of the
 * entry: its rc is STORE_ECORRUPT on every node alike. */
int store_apply(struct store *s, uint64_t index, const void *buf, size_t len,
		int *rcs, unsigned max_rcs, unsigned *n_rcs);

/* A consistent compact copy of the environment (mdb_env_copyfd2 with
 * MDB_CP_COMPACT after a sync), in a malloc'ed buffer transferred to the
 * caller (*buf, *len; free with free()). The copy is followed by a 48-byte
 * trailer with its length and SHA-256 (docs/store.md), checked by restore. */
int store_snapshot(struct store *s, void **buf, size_t *len);

/* Replaces the whole content with the snapshot BUF (borrowed). Idempotent: a
 * snapshot whose applied index is <= store_applied_index() is ignored. A
 * snapshot of another cluster (cluster id differs from a non-empty store)
 * gives STORE_ECLUSTER; a malformed one STORE_ECORRUPT; one of a newer
 * format or schema STORE_EVERSION; the store is then unchanged. */
int store_restore(struct store *s, const void *buf, size_t len);

/* ---- reads (any thread) ----------------------------------------------- */

struct store_read; /* an LMDB read transaction */

int store_read_begin(struct store *s, struct store_read **out);
/* Ends the transaction; every pointer obtained from it becomes invalid.
 * Accepts NULL. */
void store_read_end(struct store_read *r);

/* Raw value of KEY in table T: *val borrowed until store_read_end().
 * STORE_ENOTFOUND if absent. */
int store_get(struct store_read *r, enum store_table t, const void *key,
	      size_t klen, const void **val, size_t *vlen);

/* Calls fn for every record of T in key order, starting at the first key >=
 * start (NULL: from the beginning). key/val borrowed for the call only.
 * fn returns 0 to go on, non-zero to stop (that value is returned). */
typedef int (*store_each_fn)(void *arg, const void *key, size_t klen,
			     const void *val, size_t vlen);
int store_each(struct store_read *r, enum store_table t, const void *start,
	       size_t slen, store_each_fn fn, void *arg);

/* Typed reads: decode into caller-owned structs. */
int store_cluster_get(struct store_read *r, struct store_cluster *out);
int store_node_get(struct store_read *r, uint64_t id, struct store_node *out);
/* Linear search by name (the table is small). */
int store_node_find(struct store_read *r, const char *name,
		    struct store_node *out);
int store_admin_get(struct store_read *r, const char *name,
		    struct store_admin *out);
int store_join_token_get(struct store_read *r, const char *node_name,
			 struct store_join_token *out);
/* Current value of a declared parameter, or its default when never set. */
int store_param_get(struct store_read *r, const char *name, char *out,
		    size_t outcap);
/* Number of records in table T. */
int store_count(struct store_read *r, enum store_table t, size_t *n);

/* ---- commands (writes) ------------------------------------------------ */

/* A command is an atomic batch of operations, built here, proposed through
 * consensus, and applied by store_apply() on every node.
 *
 * Wire format (all integers big-endian), see docs/store.md:
 *   header: magic "WCMD" | version u8 | flags u8 | n_ops u16 | total_len u32
 *           | origin node u64 | time_ms u64 | actor len u8 | actor
 *   op:     opcode u8 | table u8 | klen u16 | vlen u32 | key | value
 *   zero padding up to a multiple of 8 bytes (C-raft needs it).
 * total_len counts the header, the ops and the padding. */
enum store_op {
	STORE_OP_PUT = 1,      /* insert or replace */
	STORE_OP_PUT_NEW,      /* insert; STORE_EEXIST if present */
	STORE_OP_DEL,          /* delete if present */
	STORE_OP_DEL_EXISTING, /* delete; STORE_ENOTFOUND if absent */
	STORE_OP_AUDIT,        /* append to audit: key assigned at apply time
				  (index, op position), value = audit record */
	STORE_OP_EXPECT,       /* fail with STORE_ENOTFOUND unless the key holds
				  exactly this value (compare-and-set guard) */
};

struct store_cmd; /* builder, heap */

/* ACTOR (borrowed, copied) is who asked: an admin name, "node:NAME", "-".
 * TIME_MS is the proposer's clock; apply never reads a clock. */
int store_cmd_new(struct store_cmd **out, uint64_t origin, uint64_t time_ms,
		  const char *actor);
void store_cmd_free(struct store_cmd *c); /* accepts NULL */

/* Generic operation; key and value are copied. STORE_EINVAL for what apply
 * would refuse: the meta table, an unknown op or table, a key of 0 or more
 * than STORE_KEY_MAX bytes, a value on a delete, STORE_OP_AUDIT outside
 * STORE_T_AUDIT (or with a key), other ops on STORE_T_AUDIT than deleting
 * a 12-byte key. STORE_ETOOBIG past STORE_CMD_MAX. */
int store_cmd_op(struct store_cmd *c, enum store_op op, enum store_table t,
		 const void *key, size_t klen, const void *val, size_t vlen);

/* Typed helpers over store_cmd_op. */
int store_cmd_put_cluster(struct store_cmd *c, const struct store_cluster *r);
int store_cmd_put_node(struct store_cmd *c, enum store_op op,
		       const struct store_node *r);
/* Deletes fail the whole command with STORE_ENOTFOUND if absent. */
int store_cmd_del_node(struct store_cmd *c, uint64_t id);
int store_cmd_put_admin(struct store_cmd *c, enum store_op op,
			const struct store_admin *r);
int store_cmd_del_admin(struct store_cmd *c, const char *name);
int store_cmd_put_param(struct store_cmd *c, const char *name,
			const char *value);
int store_cmd_put_join_token(struct store_cmd *c,
			     const struct store_join_token *r);
/* Consumes a token: fails the whole command if it is gone (already used). */
int store_cmd_use_join_token(struct store_cmd *c, const char *node_name);
/* Appends an audit record stamped with the command's time, origin, actor. */
int store_cmd_audit(struct store_cmd *c, const char *action,
		    const char *detail);

/* Encodes the command into a malloc'ed buffer transferred to the caller,
 * padded to 8 bytes. The builder stays usable (and must still be freed). */
int store_cmd_finish(struct store_cmd *c, void **buf, size_t *len);

/* Header of an encoded command, for logs and for splitting an entry:
 * *total receives total_len. Validates magic, version and bounds only.
 * On STORE_EVERSION *total is still set (the command can be skipped); on
 * STORE_ECORRUPT it is 0. */
int store_cmd_peek(const void *buf, size_t len, size_t *total);

/* Key helpers. */
void store_key_u64(uint64_t v, uint8_t out[8]);
uint64_t store_key_to_u64(const uint8_t in[8]);

#endif
