/* consensus/internal: the server object shared by the files of consensus/.
 *
 * Threads: the caller's threads only touch `lock`-protected fields (the
 * request queue, `stopping`, the status copy). Everything else belongs to the
 * Raft thread, which runs the libuv loop that owns the raft instance.
 */
#ifndef WARD_CONSENSUS_INTERNAL_H
#define WARD_CONSENSUS_INTERNAL_H

#include <pthread.h>
#include <raft.h>
#include <raft/uv.h>

#include "consensus/consensus.h"
#include "consensus/fsm.h"

#define CONSENSUS_TAG "raft"
#define CONSENSUS_DEFAULT_ELECTION_MS 300
#define CONSENSUS_DEFAULT_HEARTBEAT_MS 50
#define CONSENSUS_DEFAULT_SNAPSHOT_THRESHOLD 4096
#define CONSENSUS_DEFAULT_SNAPSHOT_TRAILING 1024
/* The leader snapshots after this many thresholds (status.c). */
#define CONSENSUS_LEADER_SNAPSHOT_FACTOR 4
/* Floor of the InstallSnapshot retry delay (else 10 election timeouts). */
#define CONSENSUS_MIN_INSTALL_MS 2000
/* A membership change C-raft has not answered by then is reported failed. */
#define CONSENSUS_CHANGE_TIMEOUT_MS 30000
/* A Raft-thread loop turn longer than this is logged as a stall. */
#define CONSENSUS_STALL_WARN_MS 50
/* Status refresh when nothing else wakes the loop. */
#define CONSENSUS_STATUS_TICK_MS 50

enum consensus_req_type {
	CONSENSUS_REQ_PROPOSE,
	CONSENSUS_REQ_BARRIER,
	CONSENSUS_REQ_ADD,
	CONSENSUS_REQ_REMOVE,
	CONSENSUS_REQ_TRANSFER,
};

/* One request from any thread; owned by the queue, then by the Raft thread,
 * freed after its callback ran. */
struct consensus_req {
	struct consensus_req *next;
	enum consensus_req_type type;
	consensus_cb cb;
	void *arg;
	uint64_t id;	   /* ADD, REMOVE, TRANSFER */
	char address[128]; /* ADD */
	size_t len;	   /* PROPOSE: command bytes in data[] */
	unsigned char data[];
};

struct consensus_change; /* membership.c */

struct consensus {
	/* Immutable after start. */
	uint64_t id;
	char *address;	     /* owned */
	char *dir;	     /* owned */
	struct store *store; /* borrowed */
	unsigned election_ms, heartbeat_ms;
	unsigned snapshot_threshold, snapshot_trailing;
	void (*on_change)(void *arg);
	void *on_change_arg;
	/* Mutual TLS (tls != 0): the files, re-read by consensus_reload_tls;
	 * all owned. Plain TCP otherwise, and all NULL. */
	int tls;
	char *tls_cert, *tls_key, *tls_ca, *cluster_id;
	int (*peer_check)(void *arg, uint64_t node_id, const uint8_t sha256[32],
			  uint64_t not_before_s);
	void *peer_check_arg;

	/* Cross-thread, under lock. */
	pthread_mutex_t lock;
	struct consensus_req *q_head; /* owned */
	struct consensus_req **q_tail;
	int stopping;
	struct consensus_status status;

	/* Raft thread. */
	pthread_t thread;
	uv_loop_t loop;
	uv_async_t wake;
	uv_check_t check;
	uv_timer_t tick;
	struct raft_uv_transport transport;
	struct raft_io io;
	struct consensus_fsm fsm;
	struct raft raft;
	int closing;			 /* raft_close() called */
	struct consensus_batch *batches; /* owned: in flight, for shutdown */
	struct consensus_change *change; /* owned: membership change running */
	struct consensus_barrier_req *barriers; /* owned: in flight */
	/* Last published view, to detect changes for on_change. */
	uint64_t seen_leader, seen_term;
	enum consensus_role seen_role;
	uint64_t seen_conf_hash;
	int was_member;
	int removed;
	int failed;	 /* the FSM failed: raft closed, requests refused
			    (also read under lock by enqueue) */
	int raft_closed; /* C-raft's close callback ran after a failure */
	uint64_t check_ns, idle_ns; /* stall watch: last check, idle then */
	int notify;	/* on_change allowed: the Raft thread runs */
	int notify_due; /* call on_change at the next refresh regardless */
};

/* A raft_apply in flight: the proposals packed into its entry, in order. */
struct consensus_batch {
	struct raft_apply apply; /* apply.data = this */
	struct consensus *c;
	struct consensus_batch *prev, *next;
	unsigned n;
	struct consensus_req *reqs; /* owned list, in entry order */
};

struct consensus_barrier_req {
	struct raft_barrier barrier;
	struct consensus *c;
	struct consensus_barrier_req *prev, *next;
	struct consensus_req *req; /* owned */
};

/* snprintf into errmsg (may be NULL). */
void consensus_errf(char *errmsg, size_t errcap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Maps a RAFT_* code to a CONSENSUS_* code. */
int consensus_from_raft(int rv);
/* Same for a failure to open, load or start a directory: about storage or
 * the address, whatever C-raft's code (its NOTFOUND there is a missing
 * directory, not a missing server). */
int consensus_from_raft_io(int rv);

/* Raft thread: queue draining and request handling (loop.c). */
void consensus_loop_drain(struct consensus *c);
/* Raft thread: fails the requests still queued with RC. */
void consensus_loop_fail_queue(struct consensus *c, int rc);
/* Raft thread, after C-raft closed: fails every request still held with RC
 * (queued or in flight). */
void consensus_loop_fail_all(struct consensus *c, int rc);
void consensus_req_done(struct consensus_req *q, int rc);

/* Raft thread: membership (membership.c). */
void consensus_change_start(struct consensus *c, struct consensus_req *q);
void consensus_transfer_start(struct consensus *c, struct consensus_req *q);
void consensus_change_tick(struct consensus *c);
void consensus_change_fail_all(struct consensus *c, int rc);

/* Called on a Raft thread: its io_destroy(2) calls go to a reaper thread
 * (aio_reaper.c). Does nothing unless consensus_raft_version_check() passed.
 * At most CONSENSUS_REAPER_QUEUE_MAX calls wait for the reaper; beyond that
 * the call is made in place, as C-raft would. */
#define CONSENSUS_REAPER_QUEUE_MAX 64
void consensus_aio_reaper_adopt(void);
/* Calls waiting for the reaper now; *peak: the most that ever did (for
 * tests). */
unsigned consensus_aio_reaper_queued(unsigned *peak);

/* The C-raft release (MAJOR*10000 + MINOR*100 + RELEASE; the patch level is
 * not checked) the work-arounds of aio_reaper.c and server.c were written
 * for (raft_version.c). */
#define CONSENSUS_RAFT_WRITTEN_FOR 1500
/* 0, or CONSENSUS_EVERSION with the reason in errmsg, if ward was built
 * against or runs with another C-raft. Checked once; any thread. */
int consensus_raft_version_check(char *errmsg, size_t errcap);
/* The decision, from the version string BUILT ("0.15.0") and the running
 * library's number RUNNING (-1: the library cannot tell). */
int consensus_raft_version_check_of(const char *built, int running,
				    char *errmsg, size_t errcap);

/* Raft thread: refreshes the status copy and calls on_change (status.c). */
void consensus_status_refresh(struct consensus *c);

#endif
