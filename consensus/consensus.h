/* consensus: C-raft behind a small interface — one Raft server per node, run
 * on its own libuv thread, applying committed entries to the store.
 *
 * Every function here is thread-safe unless it says otherwise: requests are
 * queued to the Raft thread. Completion callbacks run ON THE RAFT THREAD; they
 * must be quick and must not call back into consensus synchronously (queue
 * the work to your own thread instead, e.g. with event_active()).
 *
 * Proposals are batched: every proposal queued while the Raft thread is busy
 * goes into one Raft entry (up to CONSENSUS_BATCH_MAX bytes), so many
 * concurrent writers share one disk write and one round trip. Each proposal
 * still applies atomically and gets its own result.
 */
#ifndef WARD_CONSENSUS_H
#define WARD_CONSENSUS_H

#include <stddef.h>
#include <stdint.h>

struct store;

#define CONSENSUS_ERRORS(X)                                                    \
	X(CONSENSUS_ENOMEM, "out of memory")                                   \
	X(CONSENSUS_EINVAL, "invalid argument")                                \
	X(CONSENSUS_ENOTLEADER, "not the leader")                              \
	X(CONSENSUS_ENOLEADER, "no leader elected")                            \
	X(CONSENSUS_ESHUTDOWN, "consensus is stopping")                        \
	X(CONSENSUS_ELEADERSHIP, "leadership lost before the entry committed") \
	X(CONSENSUS_EBUSY, "a membership change is already in progress")       \
	X(CONSENSUS_ENOTFOUND, "no such server")                               \
	X(CONSENSUS_EIO, "storage or transport error")                         \
	X(CONSENSUS_ERAFT, "raft error")                                       \
	X(CONSENSUS_ETLS, "TLS certificate, key or CA file refused")           \
	X(CONSENSUS_EFAILED, "this node's state machine failed")               \
	X(CONSENSUS_EVERSION, "C-raft release not the one ward was written "   \
			      "for")

enum {
	CONSENSUS_OK = 0,
	/* Codes start above the store's so a callback rc is unambiguous. */
	CONSENSUS__BASE = 100,
#define CONSENSUS_X_ENUM(code, msg) code,
	CONSENSUS_ERRORS(CONSENSUS_X_ENUM)
#undef CONSENSUS_X_ENUM
};

/* Static string for a consensus or store code; never NULL. */
const char *consensus_strerror(int rc);

#define CONSENSUS_BATCH_MAX (4u << 20)

struct consensus_config {
	uint64_t id;		      /* this server's Raft id, >= 1 */
	const char *address;	      /* "host:port" to listen on (borrowed) */
	const char *dir;	      /* Raft data directory, must exist */
	struct store *store;	      /* borrowed; the FSM */
	unsigned election_timeout_ms; /* 0: default (LAN: 300) */
	unsigned heartbeat_ms;	      /* 0: default (LAN: 50) */
	unsigned snapshot_threshold;  /* entries between snapshots; 0: 4096 */
	unsigned snapshot_trailing;   /* entries kept after one; 0: 1024 */
	/* Optional: called on the Raft thread whenever leadership or the
	 * configuration changes. */
	void (*on_change)(void *arg);
	void *on_change_arg;
	/* Mutual TLS 1.3 between servers: all four set. All NULL: plain TCP,
	 * unauthenticated — for tests and benchmarks only. PEM file paths
	 * (borrowed, copied): this node's NODE certificate (then any chain),
	 * its unencrypted private key, the cluster CA certificate(s). A peer
	 * is accepted only with a certificate chaining to that CA that is a
	 * NODE certificate of CLUSTER_ID (UUID text, borrowed, copied) for
	 * the server id it claims; our own certificate must be one for ID. */
	const char *tls_cert;
	const char *tls_key;
	const char *tls_ca;
	const char *cluster_id;
	/* Optional, with TLS: asked after those checks passed, on the Raft
	 * thread at every handshake (either direction), so it must be quick.
	 * NODE_ID is the server the peer is, SHA256 that of its certificate
	 * (DER), NOT_BEFORE_S the certificate's notBefore (unix seconds).
	 * Returns 0 to accept, non-zero to refuse: how the caller tells a
	 * removed server, or a superseded certificate, from a current one —
	 * the CA alone cannot, since what it signed stays valid. */
	int (*peer_check)(void *arg, uint64_t node_id, const uint8_t sha256[32],
			  uint64_t not_before_s);
	void *peer_check_arg;
};

/* Writes the initial configuration (this server alone, as voter) into an
 * empty Raft directory. Call once, before consensus_start(), for the first
 * node of a new cluster. */
int consensus_bootstrap(const char *dir, uint64_t id, const char *address,
			char *errmsg, size_t errcap);

/* Whether DIR holds Raft state (a bootstrapped or joined server). */
int consensus_has_state(const char *dir);

struct consensus; /* opaque */

/* Starts the Raft thread: loads the log, restores the last snapshot and
 * replays the entries after it into the store, then takes part in the
 * cluster. A server started on an empty, non-bootstrapped directory waits to
 * be added by the leader. Errors (corrupt log, address in use) are returned
 * with a reason in errmsg. */
int consensus_start(const struct consensus_config *cfg, struct consensus **out,
		    char *errmsg, size_t errcap);

/* Reads the TLS files named at start again (e.g. after the node's
 * certificate was regenerated): connections made from now on use them;
 * those already open stay as they are. Returns 0, CONSENSUS_EINVAL if the
 * server runs without TLS, or CONSENSUS_ETLS with the reason in errmsg if
 * the files are not acceptable (as at start) — the old ones then stay in
 * use. Thread-safe; reads the files on the caller's thread. */
int consensus_reload_tls(struct consensus *c, char *errmsg, size_t errcap);

/* Stops the Raft thread and frees everything. Pending requests complete with
 * CONSENSUS_ESHUTDOWN. Accepts NULL. Must not be called from a callback. */
void consensus_stop(struct consensus *c);

/* RC is 0, a store code (the command was committed but refused by the state
 * machine, on every node alike), or a consensus code. */
typedef void (*consensus_cb)(void *arg, int rc);

/* Proposes one encoded command (store_cmd_finish output; copied). On a
 * follower it fails at once with CONSENSUS_ENOTLEADER: the caller forwards
 * the request to consensus_leader(). The callback runs once, on the Raft
 * thread, after the command applied on this node (or failed).
 *
 * Returns 0 (the callback will run exactly once) or an error (it never
 * runs): CONSENSUS_EINVAL if LEN is 0, not a multiple of 8 or above
 * CONSENSUS_BATCH_MAX; CONSENSUS_ENOTLEADER if this server was not the
 * leader at its last step; CONSENSUS_ESHUTDOWN once stopping;
 * CONSENSUS_EFAILED once the state machine failed (status.failed): that
 * holds for every request below, and requests in flight then complete
 * with it. Leadership can
 * still be lost after a 0 return: the callback then gets ENOTLEADER (never
 * appended) or ELEADERSHIP (appended, outcome unknown: it may yet commit).
 * The same return/callback rule holds for the other requests below. */
int consensus_propose(struct consensus *c, const void *cmd, size_t len,
		      consensus_cb cb, void *arg);

/* The leader as of the last Raft-thread step: *id (0 if unknown) and its
 * "host:port" into address (cap bytes, NUL-terminated; either may be NULL).
 * Returns 0, or CONSENSUS_ENOLEADER if none is known. Any thread. */
int consensus_leader(struct consensus *c, uint64_t *id, char *address,
		     size_t cap);

/* Completes once every entry committed before the call has been applied on
 * this node (leader only): a linearizable read may follow. */
int consensus_barrier(struct consensus *c, consensus_cb cb, void *arg);

/* Adds server ID at ADDRESS as a spare, waits for it to catch up, then makes
 * it a voter. The callback runs when it is a voter, or on failure: EIO when
 * the server did not catch up (unreachable: C-raft gives up after a 5 s
 * catch-up round; or no answer within 30 s); it then stays a spare and
 * calling consensus_add() again resumes at the promotion. Adding a voter
 * that is already one succeeds at once. One membership change or transfer
 * at a time: CONSENSUS_EBUSY otherwise. Leader only (ENOTLEADER). */
int consensus_add(struct consensus *c, uint64_t id, const char *address,
		  consensus_cb cb, void *arg);
/* Removes server ID from the configuration (ENOTFOUND if absent). A leader
 * that removes itself steps down once the change commits. */
int consensus_remove(struct consensus *c, uint64_t id, consensus_cb cb,
		     void *arg);
/* Hands leadership to ID (0: the most up-to-date voter). The callback gets
 * 0 once another server leads, or CONSENSUS_ERAFT / ENOLEADER if it did not
 * happen within an election timeout. */
int consensus_transfer(struct consensus *c, uint64_t id, consensus_cb cb,
		       void *arg);

enum consensus_role {
	CONSENSUS_ROLE_NONE = 0, /* not in the configuration (yet) */
	CONSENSUS_ROLE_FOLLOWER,
	CONSENSUS_ROLE_CANDIDATE,
	CONSENSUS_ROLE_LEADER,
};
const char *consensus_role_name(enum consensus_role r);

enum consensus_member_role {
	CONSENSUS_MEMBER_STANDBY = 0,
	CONSENSUS_MEMBER_VOTER,
	CONSENSUS_MEMBER_SPARE,
};
const char *consensus_member_role_name(enum consensus_member_role r);

#define CONSENSUS_MEMBERS_MAX 16

struct consensus_member {
	uint64_t id;
	char address[128];
	enum consensus_member_role role;
	/* Leader only: highest index known replicated on that server, and
	 * whether it answered within an election timeout. 0/-1 elsewhere. */
	uint64_t match_index;
	int recent;
};

struct consensus_status {
	uint64_t id;
	enum consensus_role role;
	uint64_t term;
	uint64_t leader_id; /* 0 if unknown */
	char leader_address[128];
	uint64_t commit_index;
	uint64_t last_index;
	uint64_t applied_index;
	uint64_t snapshot_index; /* last snapshot taken or installed */
	unsigned n_members;
	struct consensus_member members[CONSENSUS_MEMBERS_MAX];
	/* This server left the configuration. Seen only if it received the
	 * configuration without itself: a removed server usually just stops
	 * hearing from the leader. */
	int removed;
	/* The state machine failed (a store that cannot follow the log: a
	 * corrupt store, a bug): the server left Raft — it neither leads nor
	 * votes — and every request fails with CONSENSUS_EFAILED. The reason
	 * is for people. A restart (after repairing the store) clears it. */
	int failed;
	char failed_reason[256];
};

/* A copy of the state as of the last Raft-thread step (refreshed at least
 * every heartbeat). Any thread; never blocks for long. */
void consensus_status_get(struct consensus *c, struct consensus_status *out);

#endif
