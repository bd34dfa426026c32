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
 * are decoded into caller-owned structs whose strings live in fixed arrays,
 * except the certificates and files of the certs/keys/trust/tokens/ctl/itl
 * records, which point into the read transaction (see their section).
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
	X(STORE_ECLUSTER, "data belongs to another cluster")                 \
	X(STORE_ENOSPC, "no space left for the store")                         \
	X(STORE_EBUSY, "store busy, try again")

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
	STORE_T_CERTS,      /* key = owner node id (8 BE) + role (1) */
	STORE_T_KEYS,       /* key = as STORE_T_CERTS */
	STORE_T_TRUST,      /* key = c_rehash name "xxxxxxxx.N" */
	STORE_T_TOKENS,     /* key = token certificate serial, hex */
	STORE_T_CTL,        /* one record, key "current" */
	STORE_T_ITL,        /* key = node id, 8 bytes big-endian */
	STORE_T_RESETS,     /* key = kind (1) + name */
	/* provisioning (store/prov.h) */
	STORE_T_PHONE_PROFILES, /* key = name */
	STORE_T_TRUNK_PROFILES, /* key = name */
	STORE_T_DEVICES,        /* key = device name */
	STORE_T_DEVICE_LINES,   /* index: DN + NUL + device name, empty value */
	STORE_T_DEVICE_USERS,   /* index: user + NUL + device name, empty */
	STORE_T_DEVICE_LSC,     /* key = device name */
	STORE_T_USERS,          /* key = user name (end and app users) */
	STORE_T_REALMS,         /* key = realm */
	STORE_T_NODE_GROUPS,    /* key = name */
	STORE_T_REGISTRATIONS,  /* key = device name */
	STORE_T_SECRETS,        /* key = name */
	/* uploaded TFTP files (store/tftpfiles.h) */
	STORE_T_TFTP_FILES,  /* key = file name */
	STORE_T_TFTP_CHUNKS, /* key = file SHA-256 (32) + index (4 BE) */
	/* CAPF operations (store/capf.h) */
	STORE_T_CAPF_OPS, /* key = device name */
	/* provisioning, schema 6 (store/prov.h) */
	STORE_T_DEVICE_MIC, /* key = device name */
	STORE_T_SRST,       /* key = SRST reference name (store/srst.h) */
	/* the dial plan (store/prov.h) */
	STORE_T_PARTITIONS,	    /* key = name */
	STORE_T_CSS,		    /* key = name */
	STORE_T_ROUTE_PATTERNS,	    /* key = name */
	STORE_T_ROUTE_PATTERN_KEYS, /* index: partition + NUL + pattern,
				       value = the pattern's name */
	/* presence groups, schema 7 (store/presence.h) */
	STORE_T_PRESENCE_GROUPS, /* key = name */
	/* uploads in progress, schema 7 (store/tftpfiles.h) */
	STORE_T_TFTP_UPLOADS, /* key = file SHA-256 [32] */
	/* authorised capture windows, schema 8 (store/capture.h) */
	STORE_T_CAPTURE, /* key = device name */
	STORE_T__COUNT
};

/* Name of a table ("nodes"), NULL if out of range. */
const char *store_table_name(enum store_table t);

/* 2: tables certs..resets and cluster record v2; 3: the provisioning
 * tables phone_profiles..secrets; 4: tftp_files and tftp_chunks; 5:
 * capf_ops; 6: device_mic, srst, partitions, css, route_patterns,
 * route_pattern_keys; 7: presence_groups, tftp_uploads; 8: capture. A store
 * of an older schema is upgraded in place when opened (tables are only
 * ever added). */
#define STORE_SCHEMA_VERSION 8
#define STORE_NAME_MAX 64    /* names: nodes, admins, parameters */
#define STORE_ADDR_MAX 128   /* "host:port" */
#define STORE_TEXT_MAX 512   /* audit text, parameter values */
#define STORE_CMD_MAX (1u << 20) /* one command, encoded */
#define STORE_RECORD_MAX 2048    /* largest encoded typed record: a buffer
				    of this size always holds one */
#define STORE_KEY_MAX 511        /* longest key (LMDB's default limit) */
/* Records that carry certificates or files (certs, keys, trust, tokens,
 * ctl, itl) have their own bound: */
#define STORE_DER_MAX 16384      /* one DER certificate */
#define STORE_WRAPPED_MAX 8192   /* one wrapped private key */
#define STORE_FILE_MAX 65536     /* one signed CTL or ITL file */
#define STORE_BLOB_RECORD_MAX (72u * 1024) /* largest encoding of those */
#define STORE_SERIAL_MAX 65      /* serial number: 1..64 upper-case hex
				    digits (up to 32 bytes) + NUL */
#define STORE_TRUST_NAME_MAX 16  /* "xxxxxxxx.N", N in 0..999, + NUL */

/* ---- typed records ---------------------------------------------------- */

enum store_security_mode {
	STORE_SECURITY_NON_SECURE = 0,
	STORE_SECURITY_MIXED = 1,
};
const char *store_security_mode_name(enum store_security_mode m);

struct store_cluster {
	char id[37];                   /* UUID text */
	char name[STORE_NAME_MAX];
	uint32_t schema_version;
	uint64_t created_ms;           /* unix time, ms */
	/* version 2; a version 1 record reads as non-secure, zero ids */
	uint32_t security_mode;        /* enum store_security_mode */
	uint8_t kek_id[8];             /* id of the cluster key-encryption
					  key (pki_kek_id); all zero: none */
	uint8_t ca_sha256[32];         /* SHA-256 of the current cluster CA
					  certificate (DER); zero: none */
	/* version 3; a version 2 record reads as 0 */
	uint64_t next_node_id;         /* lowest id never handed out: node
					  ids are not reused, so a removed
					  node's certificates name no one
					  else. 0: derive it from the ids in
					  use (records before version 3) */
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
	/* Where the node's signaling role listens, as the node itself
	 * publishes it when the role starts ("" and 0 until then): phones'
	 * configuration files list it, other nodes route calls to it. */
	char sip_host[STORE_ADDR_MAX];     /* IP literal, no brackets */
	uint32_t sip_port;                 /* UDP and TCP; 0: none */
	uint32_t sip_tls_port;             /* TLS; 0: none */
	uint32_t sip_node_port;            /* node-to-node TLS (calls between
					      nodes, NODE certificates);
					      0: none (record version 3) */
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

/* ---- certificates, keys, trust store, tokens, trust lists ------------- *
 *
 * These records carry certificates and files, too large for fixed arrays.
 * Their byte fields are pointers, not arrays:
 *  - encode reads LEN bytes at the pointer (borrowed for the call);
 *  - decode points into the buffer it was given: the pointer is borrowed
 *    from that buffer and valid as long as it is — for the typed getters
 *    and iterators below, until store_read_end() (LMDB maps the value; copy
 *    what must outlive the read transaction).
 * Lengths are 1..the field's max; an empty or oversized field is refused.
 * Their encodings fit in STORE_BLOB_RECORD_MAX bytes.
 *
 * Serial numbers are text: upper-case hex digits only (BN_bn2hex), 1..64.
 */

/* Role of a certificate; the values are part of the key of certs/keys
 * (never renumber) and equal pki/'s enum pki_role. */
enum store_cert_role {
	STORE_CERT_CA = 1,      /* the cluster CA (CAPF CA), owner 0 */
	STORE_CERT_HTTPS,       /* admin API (seed: tomcat_cert) */
	STORE_CERT_CALLMANAGER, /* SIP TLS (seed: ccmnode_cert) */
	STORE_CERT_TFTP,        /* file signing */
	STORE_CERT_CAPF,        /* CAPF service (seed: CAPF_cert) */
	STORE_CERT_IPSEC,       /* seed: ipsec_cert */
	STORE_CERT_NODE,        /* Raft mutual TLS and member-to-member calls */
};
#define STORE_CERT_ROLE_LAST STORE_CERT_NODE
/* "ca", "https", "callmanager", "tftp", "capf", "ipsec", "node";
 * "unknown" out of range. */
const char *store_cert_role_name(enum store_cert_role role);
/* Inverse of store_cert_role_name (any case); STORE_EINVAL if unknown. */
int store_cert_role_parse(const char *name, enum store_cert_role *out);

/* Key algorithm; equals pki/'s enum pki_key_type. */
enum store_key_type {
	STORE_KEY_RSA2048 = 1,
	STORE_KEY_ECDSA_P256 = 2,
};

struct store_cert {
	uint64_t owner;             /* node id; 0 = cluster-wide (the CA) */
	uint32_t role;              /* enum store_cert_role */
	const uint8_t *der;         /* borrowed, see above; der_len bytes */
	size_t der_len;             /* 1..STORE_DER_MAX */
	uint8_t sha256[32];         /* of the DER */
	uint8_t sha1[20];
	char subject[STORE_TEXT_MAX]; /* one-line text */
	char issuer[STORE_TEXT_MAX];
	uint64_t not_before_s;      /* unix time, seconds */
	uint64_t not_after_s;
	uint32_t key_type;          /* enum store_key_type */
	char serial[STORE_SERIAL_MAX];
	uint64_t created_ms;
	uint32_t generation;        /* 1 for the first, +1 per regeneration */
};

/* A private key, wrapped under the cluster KEK (pki/: pki_key_wrap,
 * with pki_aad("keys", key bytes) as associated data). owner and role come
 * from the key, as the audit record's index does. */
struct store_key {
	uint64_t owner;             /* from the key */
	uint32_t role;              /* from the key */
	const uint8_t *wrapped;     /* borrowed, see above */
	size_t wrapped_len;         /* 1..STORE_WRAPPED_MAX */
	uint8_t kek_id[8];          /* KEK that wrapped it (pki_kek_id) */
};

enum store_trust_category {
	STORE_TRUST_CA_ROOT = 1,    /* CA roots (the cluster CA among them) */
	STORE_TRUST_MIC_ROOT,       /* manufacturer roots for phone MICs */
	STORE_TRUST_TRUNK_PEER,     /* SIP trunk peer certificates */
	STORE_TRUST_SRST,           /* SRST gateways */
	STORE_TRUST_CAPF,           /* CAPF certificates */
	STORE_TRUST_OTHER,
};
#define STORE_TRUST_CATEGORY_LAST STORE_TRUST_OTHER
/* "ca-root", "mic-root", "trunk-peer", "srst", "capf", "other";
 * "unknown" out of range. */
const char *store_trust_category_name(enum store_trust_category c);
int store_trust_category_parse(const char *name,
			       enum store_trust_category *out);

struct store_trust {
	char name[STORE_TRUST_NAME_MAX]; /* from the key: "xxxxxxxx.N" */
	uint32_t category;          /* enum store_trust_category */
	const uint8_t *der;         /* borrowed, see above */
	size_t der_len;             /* 1..STORE_DER_MAX */
	uint8_t sha256[32];
	uint8_t sha1[20];
	char subject[STORE_TEXT_MAX];
	char issuer[STORE_TEXT_MAX];
	uint64_t not_after_s;
	uint64_t added_ms;
	char added_by[STORE_NAME_MAX];
};
/* 1 if NAME is a c_rehash name: 8 lower-case hex digits, '.', a decimal
 * number 0..999 without leading zeros. */
int store_trust_name_valid(const char *name);

/* A security token allowed to sign the CTL. */
struct store_token {
	char serial[STORE_SERIAL_MAX]; /* its certificate's serial; the key */
	char label[STORE_NAME_MAX];    /* PKCS#11 token label */
	const uint8_t *der;            /* borrowed: the token's certificate */
	size_t der_len;                /* 1..STORE_DER_MAX */
	uint8_t sha256[32];
	uint64_t registered_ms;
	char registered_by[STORE_NAME_MAX];
};

/* The cluster's current signed Certificate Trust List. */
struct store_ctl {
	uint32_t version;           /* >= 1, +1 per new CTL */
	const uint8_t *file;        /* borrowed: the signed file */
	size_t file_len;            /* 1..STORE_FILE_MAX */
	char signer_serial[STORE_SERIAL_MAX]; /* token that signed it */
	uint8_t sha256[32];         /* of the file */
	uint64_t signed_ms;
};

/* The Initial Trust List a node serves, signed with its TFTP key. */
struct store_itl {
	uint64_t node_id;           /* from the key */
	const uint8_t *file;        /* borrowed */
	size_t file_len;            /* 1..STORE_FILE_MAX */
	uint8_t sha256[32];
	uint64_t signed_ms;
};

/* A reset owed after a security-mode change (consumed by rolling
 * restarts). kind and name come from the key. */
enum store_reset_kind {
	STORE_RESET_SERVICE = 1,
	STORE_RESET_DEVICE = 2,
};
struct store_reset {
	uint32_t kind;                  /* from the key */
	char name[STORE_NAME_MAX];      /* from the key: service or device */
	char reason[STORE_TEXT_MAX];
	uint64_t since_ms;
};

/* Codecs, with the contract of the ones above; decode leaves the byte
 * pointers borrowed from BUF. Fields taken from the key are not encoded. */
int store_cert_encode(const struct store_cert *r, void *buf, size_t cap,
		      size_t *len);
int store_cert_decode(const void *buf, size_t len, struct store_cert *r);
int store_key_encode(const struct store_key *r, void *buf, size_t cap,
		     size_t *len);
int store_key_decode(const void *buf, size_t len, struct store_key *r);
int store_trust_encode(const struct store_trust *r, void *buf, size_t cap,
		       size_t *len);
int store_trust_decode(const void *buf, size_t len, struct store_trust *r);
int store_token_encode(const struct store_token *r, void *buf, size_t cap,
		       size_t *len);
int store_token_decode(const void *buf, size_t len, struct store_token *r);
int store_ctl_encode(const struct store_ctl *r, void *buf, size_t cap,
		     size_t *len);
int store_ctl_decode(const void *buf, size_t len, struct store_ctl *r);
int store_itl_encode(const struct store_itl *r, void *buf, size_t cap,
		     size_t *len);
int store_itl_decode(const void *buf, size_t len, struct store_itl *r);
int store_reset_encode(const struct store_reset *r, void *buf, size_t cap,
		       size_t *len);
int store_reset_decode(const void *buf, size_t len, struct store_reset *r);

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
 * not a valid environment gives STORE_ECORRUPT with a reason in errmsg.
 * Uses the default options. */
int store_open(const char *dir, struct store **out, char *errmsg,
	       size_t errcap);

/* The map is the address range LMDB reserves for the data file: a limit on
 * its size, not memory or disk used (the file grows as pages are written).
 * The default is sized for 100,000 devices with room to spare
 * (docs/store.md, "Map size"); a full map grows online (doubling, up to
 * STORE_MAP_SIZE_MAX) when an apply meets it, so the setting is where the
 * map starts, not a ceiling. */
#define STORE_MAP_SIZE_DEFAULT ((size_t)4 << 30)
#define STORE_MAP_SIZE_MIN ((size_t)1 << 20)
#define STORE_MAP_SIZE_MAX ((size_t)1 << 40)

struct store_options {
	size_t map_size; /* bytes, STORE_MAP_SIZE_MIN..MAX; 0: the default.
			    A data file already larger keeps its size. */
};

/* store_open with options (O borrowed; NULL: the defaults). */
int store_open_with(const char *dir, const struct store_options *o,
		    struct store **out, char *errmsg, size_t errcap);
/* Syncs and closes. Accepts NULL. No read may be open. */
void store_close(struct store *s);

/* Index of the last applied Raft entry (0 if none). Any thread. */
uint64_t store_applied_index(struct store *s);

/* ---- health ------------------------------------------------------------ */

enum store_health_state {
	STORE_HEALTH_OK = 0,
	STORE_HEALTH_FULL, /* the last apply found no space on the disk: it is
			      retried until it fits (nothing skipped) */
};
/* "ok", "store-full"; "unknown" out of range. */
const char *store_health_name(enum store_health_state h);

struct store_health {
	enum store_health_state state;
	char dir[256];          /* the store's directory */
	uint64_t free_bytes;    /* free space there when last looked at */
	uint64_t since_ms;      /* unix ms the state began (0: OK from open) */
	uint64_t map_size;      /* bytes, as grown so far */
	uint64_t map_grows;     /* online growths since open */
	uint64_t data_size;     /* bytes the data file holds */
	char reason[256];       /* STORE_HEALTH_FULL: what failed, for people */
};

/* A copy of the current health. Any thread, never blocks for long. */
void store_health_get(struct store *s, struct store_health *out);

/* ---- state machine (called by consensus) ------------------------------- */
/* store_apply and store_restore run on the consensus thread only;
 * store_snapshot may run on another thread at the same time as
 * store_apply (it uses only LMDB's environment copy, which takes its own
 * read transaction): the copy may then hold a few entries past the Raft
 * index it is taken for, which replay skips by the applied index. */

/* Applies the Raft entry at INDEX, which holds one or more commands
 * concatenated (each self-delimiting, see store_cmd_finish). All commands of
 * the entry and the new applied index are written in one LMDB transaction;
 * each command is atomic on its own: one that fails (e.g. STORE_EEXIST for a
 * put-new) leaves no trace and the others still apply.
 *
 * rcs receives one result per command, up to max_rcs; *n_rcs the number of
 * commands found. If INDEX <= store_applied_index() the entry was applied
 * before (replay after restart): nothing is written and rcs are all 0.
 * A full map is grown (see store_options) and the entry applied again.
 *
 * Returns 0; STORE_ENOSPC when the filesystem has no room (ENOSPC, EDQUOT,
 * EFBIG): nothing was written, the health says store-full with the free
 * space, and the caller must apply the SAME entry again later (an operator
 * can free space; skipping it would make this node diverge); STORE_EBUSY
 * when the map must grow but readers did not let go in time, or
 * STORE_ENOMEM: likewise retry; STORE_EIO if LMDB failed otherwise (the
 * caller must stop: the store can no longer follow the log). A malformed
 * command is not an error of the entry: its rc is STORE_ECORRUPT on every
 * node alike. */
int store_apply(struct store *s, uint64_t index, const void *buf, size_t len,
		int *rcs, unsigned max_rcs, unsigned *n_rcs);

/* A consistent compact copy of the environment (mdb_env_copyfd2 with
 * MDB_CP_COMPACT after a sync), transferred to the caller (*buf, *len):
 * a shared mapping of an anonymous file, so the copy is in memory once;
 * release it with store_snapshot_free(). The copy is followed by a 48-byte
 * trailer with its length and SHA-256 (docs/store.md), checked by restore. */
int store_snapshot(struct store *s, void **buf, size_t *len);
/* Releases a store_snapshot() buffer. Accepts NULL. */
void store_snapshot_free(void *buf, size_t len);

/* Replaces the whole content with the snapshot BUF (borrowed). The copy is
 * written to a fresh file beside the store, checked there, and swapped in
 * for the old one (rename, then the environment reopened), so the old and
 * new data never need to fit in one map, and BUF is not copied in memory.
 * Idempotent: a
 * snapshot whose applied index is <= store_applied_index() is ignored. A
 * snapshot of another cluster (cluster id differs from a non-empty store)
 * gives STORE_ECLUSTER; a malformed one STORE_ECORRUPT; one of a newer
 * format or schema STORE_EVERSION; no room for the file STORE_ENOSPC; the
 * store is then unchanged. */
int store_restore(struct store *s, const void *buf, size_t len);

/* ---- reads (any thread) ----------------------------------------------- */

struct store_read; /* an LMDB read transaction */

/* A read holds a share of the store's gate for its life: the map can only
 * grow, and a restore swap in a new file, when no transaction is open in
 * the process (LMDB's rule for mdb_env_set_mapsize). So keep reads short,
 * and never wait for a Raft commit with one open. */
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

/* Certificates, keys, trust store, tokens, trust lists, resets. Records
 * handed out hold byte pointers borrowed from the read transaction: valid
 * until store_read_end(). A value whose fields disagree with its key
 * (owner, role, serial) gives STORE_ECORRUPT. Iterators call FN for every
 * record in key order with a record borrowed for the call (its byte
 * pointers until store_read_end()); FN returns 0 to go on, non-zero to stop
 * (that value is returned). A record this build cannot decode (a newer
 * version during a rolling upgrade) is skipped, as store_node_find does. */
int store_cert_get(struct store_read *r, uint64_t owner,
		   enum store_cert_role role, struct store_cert *out);
typedef int (*store_cert_fn)(void *arg, const struct store_cert *rec);
int store_cert_each(struct store_read *r, store_cert_fn fn, void *arg);
/* Only the certificates of OWNER (0: the cluster-wide ones). */
int store_cert_each_owner(struct store_read *r, uint64_t owner,
			  store_cert_fn fn, void *arg);
int store_key_get(struct store_read *r, uint64_t owner,
		  enum store_cert_role role, struct store_key *out);
int store_trust_get(struct store_read *r, const char *name,
		    struct store_trust *out);
typedef int (*store_trust_fn)(void *arg, const struct store_trust *rec);
int store_trust_each(struct store_read *r, store_trust_fn fn, void *arg);
/* The entry holding the certificate whose DER has this SHA-256 (linear:
 * the table is small); STORE_ENOTFOUND if none. */
int store_trust_find(struct store_read *r, const uint8_t sha256[32],
		     struct store_trust *out);
int store_token_get(struct store_read *r, const char *serial,
		    struct store_token *out);
typedef int (*store_token_fn)(void *arg, const struct store_token *rec);
int store_token_each(struct store_read *r, store_token_fn fn, void *arg);
/* The current CTL; STORE_ENOTFOUND before the first is signed. */
int store_ctl_get(struct store_read *r, struct store_ctl *out);
int store_itl_get(struct store_read *r, uint64_t node_id,
		  struct store_itl *out);
int store_reset_get(struct store_read *r, enum store_reset_kind kind,
		    const char *name, struct store_reset *out);
typedef int (*store_reset_fn)(void *arg, const struct store_reset *rec);
int store_reset_each(struct store_read *r, store_reset_fn fn, void *arg);

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
/* Deletes audit records stamped before BEFORE_MS, oldest (lowest index)
 * first: at most MAX (1..STORE_PRUNE_MAX) of them, after looking at no
 * more than 4 * MAX records, so that one command and one scan stay small
 * and a record stamped by a clock far ahead does not block the pruning.
 * Deletes are plain STORE_OP_DEL of the keys read from R: a prune applied
 * twice, or after another, is harmless. *N receives how many deletes were
 * added (0: nothing old enough). */
#define STORE_PRUNE_MAX 4096
int store_cmd_prune_audit(struct store_cmd *c, struct store_read *r,
			  uint64_t before_ms, unsigned max, unsigned *n);

/* Guards on OLD (the command fails with STORE_ENOTFOUND if the stored
 * record is no longer exactly OLD) and writes NEW: read-modify-write of the
 * cluster record (security mode, KEK id, CA fingerprint). STORE_EINVAL if
 * the ids differ. */
int store_cmd_update_cluster(struct store_cmd *c,
			     const struct store_cluster *old,
			     const struct store_cluster *next);

/* Certificates: the record's owner and role make the key; OP is PUT or
 * PUT_NEW. */
int store_cmd_put_cert(struct store_cmd *c, enum store_op op,
		       const struct store_cert *r);
/* Regeneration: guards on OLD as store_cmd_update_cluster does (so two
 * concurrent regenerations cannot both win) and writes NEXT. STORE_EINVAL
 * unless NEXT has OLD's owner and role and generation OLD's + 1. */
int store_cmd_replace_cert(struct store_cmd *c, const struct store_cert *old,
			   const struct store_cert *next);
/* Fails the whole command with STORE_ENOTFOUND if absent. */
int store_cmd_del_cert(struct store_cmd *c, uint64_t owner,
		       enum store_cert_role role);
/* Keys: put or replace at (r->owner, r->role); the delete ignores an
 * absent key. */
int store_cmd_put_key(struct store_cmd *c, const struct store_key *r);
int store_cmd_del_key(struct store_cmd *c, uint64_t owner,
		      enum store_cert_role role);
/* Trust entries at r->name; OP is PUT or PUT_NEW (STORE_EEXIST when the
 * name was taken meanwhile: pick the next c_rehash suffix). */
int store_cmd_put_trust(struct store_cmd *c, enum store_op op,
			const struct store_trust *r);
int store_cmd_del_trust(struct store_cmd *c, const char *name);
/* Tokens at r->serial; OP is PUT or PUT_NEW. */
int store_cmd_put_token(struct store_cmd *c, enum store_op op,
			const struct store_token *r);
int store_cmd_del_token(struct store_cmd *c, const char *serial);
/* A new CTL. PREV NULL: the first one (NEXT->version must be 1; fails
 * with STORE_EEXIST if a CTL exists). Else guards on PREV, and
 * NEXT->version must be PREV's + 1 (STORE_EINVAL otherwise). */
int store_cmd_put_ctl(struct store_cmd *c, const struct store_ctl *prev,
		      const struct store_ctl *next);
int store_cmd_put_itl(struct store_cmd *c, const struct store_itl *r);
int store_cmd_del_itl(struct store_cmd *c, uint64_t node_id);
/* Pending resets: put or replace; the delete (consuming one) ignores an
 * absent reset. */
int store_cmd_put_reset(struct store_cmd *c, const struct store_reset *r);
int store_cmd_del_reset(struct store_cmd *c, enum store_reset_kind kind,
			const char *name);

/* Encodes the command into a malloc'ed buffer transferred to the caller,
 * padded to 8 bytes. The builder stays usable (and must still be freed). */
int store_cmd_finish(struct store_cmd *c, void **buf, size_t *len);

/* Header of an encoded command, for logs and for splitting an entry:
 * *total receives total_len. Validates magic, version and bounds only.
 * On STORE_EVERSION *total is still set (the command can be skipped); on
 * STORE_ECORRUPT it is 0. */
int store_cmd_peek(const void *buf, size_t len, size_t *total);
/* Number of commands in an entry payload, as store_apply() reports them in
 * *n_rcs: a command of an unknown version counts and is skipped by its
 * length; a tail that cannot be delimited counts as one and ends it. The
 * one count of an entry for the store, Raft's FSM and its result array. */
unsigned store_cmd_count(const void *buf, size_t len);

/* Key helpers. */
void store_key_u64(uint64_t v, uint8_t out[8]);
uint64_t store_key_to_u64(const uint8_t in[8]);
/* Key of certs and keys: owner (8 BE) + role (1). */
#define STORE_CERT_KEY_LEN 9
void store_key_cert(uint64_t owner, enum store_cert_role role,
		    uint8_t out[STORE_CERT_KEY_LEN]);

#endif
