/* admin_int: what the files of node/admin/ share — the admin object, the
 * in-flight operation (one per request that waits for Raft or for another
 * node), the route table and the helpers every route uses. Everything here
 * runs on the admin thread unless it says otherwise. */
#ifndef WARD_ADMIN_INT_H
#define WARD_ADMIN_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/http.h>
#include <event2/util.h>
#include <jansson.h>
#include <openssl/ssl.h>

#include "consensus/consensus.h"
#include "keystore/keystore.h"
#include "node/admin/admin.h"
#include "node/admin/admin_auth.h"
#include "node/admin/admin_gate.h"
#include "node/admin/admin_req.h"
#include "store/store.h"

#define ADMIN_TAG "admin"
/* A write or membership call consensus has not answered by then is
 * answered for it (503), so that no request hangs on a node whose Raft
 * thread waits for disk space or whose state machine failed. The answer
 * that comes later is dropped. */
#define ADMIN_OP_DEADLINE_MS 15000
/* Membership calls: consensus gives up on a change after 30 s itself. */
#define ADMIN_CALL_DEADLINE_MS 45000

struct admin_op;
struct admin_client;
struct admin_worker;
struct admin_conns;
struct evconnlistener;

/* Raft-thread callbacks land here; the admin thread drains it. Shared by
 * reference count between the admin and every callback still owed, so that
 * a callback arriving after admin_free() finds it (closed) and not freed
 * memory. */
struct admin_mailbox {
	pthread_mutex_t lock;
	unsigned refs;	       /* the admin + callbacks owed */
	int closed;	       /* the admin is gone */
	struct event *ev;      /* owned by the admin; NULL once closed */
	struct admin_op *head; /* delivered, not yet run */
	struct admin_op *tail;
};

/* Verified credentials, so that a client repeating its calls pays scrypt
 * once a minute and not per request. Keyed by an HMAC of (name, password)
 * under a random per-process key: the table never holds a password or a
 * value that could be tested offline without that key. */
#define ADMIN_CRED_SLOTS 64
#define ADMIN_CRED_TTL_MS 60000

struct admin_cred {
	uint8_t mac[32];
	uint8_t hash[32]; /* the admin record's hash when verified */
	uint64_t expires_ms;
};

/* Failed logins and joins are counted in memory (admin_gate.h) and written
 * as one summary command per window; nothing an unauthenticated client does
 * is proposed on its own. */
#define ADMIN_WORK_CANCELLED (-1) /* a worker job dropped at shutdown */

struct admin {
	struct event_base *base;     /* borrowed */
	struct store *store;	     /* borrowed */
	struct consensus *consensus; /* borrowed; NULL until attached */
	uint64_t node_id;
	char *listen, *cert_file, *key_file, *data_dir; /* owned */
	char *node_name, *raft_addr, *admin_addr;	/* owned */
	char *kek_file;					/* owned */
	/* The KEK and unwrapped keys go through it only; owned when
	 * ks_owned (no keystore in the config). */
	struct keystore *ks;
	int ks_owned;
	struct admin_hooks hooks;

	struct evhttp *http; /* owned */
	int port;	     /* bound port */
	SSL_CTX *tls_server; /* owned reference; swapped by admin_reload */
	SSL_CTX *tls_client; /* owned reference, same certificate */
	uint8_t fingerprint[32];

	struct admin_mailbox *mb;     /* shared, see above */
	struct event *ev_notify;      /* owned */
	struct admin_op *ops;	      /* every live op (list) */
	struct admin_client *clients; /* outgoing requests in flight */

	/* Initialization: the hash of the init token, while one is due. */
	int init_expected;
	struct admin_op *init_op; /* the init in progress, if any */
	uint8_t init_sha256[32];
	char cluster_id[37]; /* chosen by the first init attempt */

	struct admin_cred creds[ADMIN_CRED_SLOTS];
	uint8_t cred_key[32];
	struct admin_worker *login; /* owned: scrypt checks of logins */
	struct admin_worker *work;  /* owned: hashing, key generation */

	struct admin_limits limits;	 /* defaults filled in */
	struct admin_gate *gate;	 /* owned */
	struct event *ev_fail_summary;	 /* owned */
	struct admin_conns *conns;	 /* shared with open connections */
	struct evconnlistener *listener; /* borrowed from http */
	struct event *ev_prune;		 /* owned: audit pruning (leader) */
	struct admin_op *prune_op;	 /* the prune in flight, if any */

	/* The admin removal in flight, if any: one at a time, so that the
	 * last admin stays. Cleared when that op ends. */
	struct admin_op *admin_delete_op;

	/* EST authentication strings being checked, one per device at a
	 * time, so that each wrong one is counted before the next is tried
	 * (routes_capf_est.c). A slot older than a minute is free. */
	struct {
		char device[STORE_NAME_MAX];
		uint64_t since_ms;
	} est_busy[32];
};

/* ---- operations ------------------------------------------------------- */

typedef void (*admin_step_fn)(struct admin_op *op, int rc);

struct route;

/* One request being served (or one background write with req NULL). */
struct admin_op {
	struct admin *a;	      /* NULL once the admin is gone */
	struct evhttp_request *req;   /* inbound; NULL once answered */
	struct admin_op *prev, *next; /* a->ops */
	struct admin_op *qnext;	      /* mailbox queue */
	struct admin_mailbox *mb;     /* borrowed; outlives the op */
	int in_flight;		      /* a Raft callback is owed */
	int rc;			      /* result of that callback */
	admin_step_fn step;	      /* where the callback continues */

	const struct route *route;
	char args[2][ADMIN_NAME_MAX + 1]; /* captured path segments */
	char actor[STORE_NAME_MAX];	  /* admin name, "node:NAME", "-" */
	char peer[80];			  /* client address, for the audit */
	int from_node;			  /* relayed by another member */
	int relayed; /* from_node, on behalf of a client (X-Ward-Client) */
	int consistent;			  /* ?consistent=1 */
	char *body;			  /* owned copy of the request body */
	size_t body_len;

	struct event *timer;	/* owned, for polls */
	struct event *deadline; /* owned: a consensus answer is due by then */
	unsigned polls;
	struct admin_client *client; /* request in flight, if any */

	/* Relaying to the leader (forward.c). */
	uint64_t fwd_deadline_ms;
	uint64_t fwd_leader_id; /* the member last tried */
	unsigned fwd_timeout_s;
	int fwd_fresh; /* nothing done here yet: a new leader may serve it */
	char fwd_why[STORE_TEXT_MAX + 128]; /* what the last try ran into */

	/* Route state: a body parsed, records read, results kept. */
	union {
		struct admin_req_init init;
		struct admin_req_node_add node_add;
		struct admin_req_join join;
		struct admin_req_transfer transfer;
		struct admin_req_param param;
		struct admin_req_admin adm;
	} u;
	struct store_node node;
	struct store_admin rec;
	uint64_t id;
	char text[STORE_TEXT_MAX]; /* e.g. the canonical param value */
	uint8_t cred_mac[32];	   /* of the credentials being checked */
	int cred_mac_ok;
	admin_step_fn after_login;
	char token[ADMIN_JOIN_TOKEN_MAX]; /* secret: a join token to show */
	uint64_t expires_ms;
	uint8_t guard[512]; /* a record's raw value a write depends on */
	size_t guard_len;
	void *ctx; /* owned by ctx_free */
	void (*ctx_free)(void *ctx);
	/* A worker job's argument (admin_op_work): owned by the op, freed
	 * with it (on whichever thread frees the op), not by op_release,
	 * since a worker may be using it while the op is in flight. */
	void *work;
	void (*work_free)(void *work);
	char addr[ADMIN_GATE_ADDR_MAX]; /* client address, no port */
};

/* Work done on another thread (a Raft callback, a password check): hold
 * before handing OP over, then that thread calls admin_op_post(op, rc) once
 * and STEP runs with RC on the admin thread. unhold undoes a hold whose
 * hand-over failed (no post will come). */
void admin_op_hold(struct admin_op *op, admin_step_fn step);
void admin_op_unhold(struct admin_op *op);
void admin_op_post(void *op, int rc); /* any thread; a consensus_cb */

/* The mailbox's event callback (admin thread). */
void admin_mailbox_drain(evutil_socket_t fd, short what, void *arg);

/* Creates an op for REQ (NULL for a background write). */
struct admin_op *admin_op_new(struct admin *a, struct evhttp_request *req);
/* Frees OP, or leaves it to the owed callback. Accepts NULL. */
void admin_op_finish(struct admin_op *op);
/* Answers REQ (if still unanswered) with STATUS and OBJ (stolen), then
 * finishes the op. */
void admin_op_reply(struct admin_op *op, int status, json_t *obj);
/* The same for a body that holds secrets (the capture key log): every
 * copy of its text, jansson's and libevent's, is wiped (wipe.h). */
void admin_op_reply_wiped(struct admin_op *op, int status, json_t *obj);
void admin_op_error(struct admin_op *op, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Opens a read transaction on the local store into *R; if the store cannot
 * be read, answers 500 (finishing OP) and returns -1: the caller then only
 * frees what it holds and returns. */
int admin_op_read_begin(struct admin_op *op, struct store_read **r);
/* Maps a store or consensus code to an HTTP status and answers. */
void admin_op_fail(struct admin_op *op, int rc, const char *what);
int admin_http_status(int rc);

/* Encodes CMD and proposes it; STEP runs with the result on the admin
 * thread. When this node does not lead, the request is forwarded instead
 * (or answered 503). CMD stays the caller's. */
/* A write on a node whose store has no room (health store-full) would
 * wait until there is room, and must not be relayed either (this node
 * could not apply it): answers 507 and returns 1. A node whose state
 * machine failed answers 503. WHY: say where and why (the directory, the
 * failure) — only to an authenticated caller. 0 if neither. */
int admin_op_refused_full(struct admin_op *op, int why);
void admin_op_propose(struct admin_op *op, struct store_cmd *cmd,
		      admin_step_fn step);
/* Replies 200 {KEY: [...]}, the list VISIT (a store_each_fn whose ARG is
 * that JSON array) makes of the records of TABLE. */
void admin_op_reply_each(struct admin_op *op, enum store_table table,
			 const char *key, store_each_fn visit);
/* Keeps ANSWER (taken) in OP, as its ctx, until the command applied; OP
 * holds no other ctx. */
void admin_op_keep_answer(struct admin_op *op, json_t *answer);
/* Replies STATUS with the answer kept. */
void admin_op_reply_kept(struct admin_op *op, int status);
/* Proposes CMD (freed here) as admin_op_propose, when RC, how building it
 * went, is 0; else OP is answered 400 if the store refused a value
 * (STORE_EINVAL), 500 otherwise: "building WHAT failed: <reason>". */
void admin_op_propose_built(struct admin_op *op, struct store_cmd *cmd,
			    int rc, const char *what, admin_step_fn step);
/* Consensus calls with the same continuation (add, remove, transfer,
 * barrier): FN is called with the op's trampoline. */
typedef int (*admin_consensus_call)(struct admin_op *op, consensus_cb cb);
void admin_op_call(struct admin_op *op, admin_consensus_call fn,
		   admin_step_fn step);
/* Runs STEP after MS milliseconds (or at the next admin_notify). */
void admin_op_after(struct admin_op *op, unsigned ms, admin_step_fn step);

/* For steps that run later: 1 (and OP answered 503) if consensus was
 * detached meanwhile (the node is stopping). */
int admin_op_detached(struct admin_op *op);

/* A new command stamped for OP (actor, origin, now). NULL if out of memory
 * (the op is then answered 500). */
struct store_cmd *admin_op_cmd(struct admin_op *op);

uint64_t admin_now_ms(void);

/* ---- replies (reply.c) ------------------------------------------------ */

/* Sends STATUS with OBJ (stolen) as the JSON body, adds X-Ward-Leader when
 * the leader is known. */
void admin_reply_json(struct admin *a, struct evhttp_request *req, int status,
		      json_t *obj);
/* The same, the body's text handed to libevent by reference and wiped
 * once sent (admin_evbuffer_add_wiped). */
void admin_reply_json_wiped(struct admin *a, struct evhttp_request *req,
			    int status, json_t *obj);
void admin_reply_error(struct admin *a, struct evhttp_request *req, int status,
		       const char *msg);
/* The leader's node record, if one is known. 0, or -1. */
int admin_leader_node(struct admin *a, struct store_node *out);
int admin_is_leader(struct admin *a);
/* The member whose certificate has SHA-256 FP. 0, or -1. */
int admin_node_by_fp(struct admin *a, const uint8_t fp[32],
		     struct store_node *out);
/* The member whose node certificate OP came with, into OUT: 0; else OP
 * is answered 403 "members only" and -1. For ROUTE_MEMBER handlers. */
int admin_op_member(struct admin_op *op, struct store_node *out);

/* The leader's answer to a member's post: STATUS its HTTP status (200:
 * taken), 0 when it could not be reached; BODY (LEN bytes) borrowed for
 * the call. */
typedef void (*admin_member_cb)(void *arg, int status, const char *body,
				size_t len);
/* Instead of the answer: the post was dropped unanswered (the admin is
 * being freed). */
typedef void (*admin_member_drop_fn)(void *arg);
/* Posts DOC (taken, freed here) to URI (under 64 bytes), a members-only
 * route of the leader, presenting this node's certificate; an answer other
 * than 200 is logged. Admin thread only (member_post.c). 0: exactly one of
 * CB and DROP (may be NULL: nothing to do) will run with ARG; -1: nothing
 * sent (no leader known, no consensus), neither will run. */
int admin_member_post(struct admin *a, const char *uri, json_t *doc,
		      admin_member_cb cb, admin_member_drop_fn drop, void *arg);
/* The same for a caller that needs only whether the leader took it: CB's
 * OK 0 when it answered 200, else -1; CB does not run if the admin is
 * freed first. */
int admin_member_relay(struct admin *a, const char *uri, json_t *doc,
		       admin_relay_cb cb, void *arg);

/* ---- routes ----------------------------------------------------------- */

enum {
	ROUTE_AUTH = 1 << 0,   /* needs Basic credentials */
	ROUTE_WRITE = 1 << 1,  /* served by the leader only */
	ROUTE_UNINIT = 1 << 2, /* served before the cluster exists */
	ROUTE_READ = 1 << 3,   /* honours ?consistent=1 */
	/* A member's own request only (its node certificate the
	 * credential): a client's is refused wherever it arrives, never
	 * relayed — the leader would take it for the relaying member's. */
	ROUTE_MEMBER = 1 << 4,
};

struct route {
	enum evhttp_cmd_type method;
	const char *pattern; /* "/v1/nodes/+": '+' captures one segment */
	void (*handler)(struct admin_op *op);
	int flags;
	unsigned forward_timeout_s;
};

void admin_route_status(struct admin_op *op);
void admin_route_cluster_status(struct admin_op *op);
void admin_route_init(struct admin_op *op);
void admin_route_nodes_list(struct admin_op *op);
void admin_route_node_add(struct admin_op *op);
void admin_route_node_remove(struct admin_op *op);
void admin_route_join(struct admin_op *op);
void admin_route_transfer(struct admin_op *op);
void admin_route_params_list(struct admin_op *op);
void admin_route_param_get(struct admin_op *op);
void admin_route_param_set(struct admin_op *op);
void admin_route_admins_list(struct admin_op *op);
void admin_route_admin_add(struct admin_op *op);
void admin_route_admin_password(struct admin_op *op);
void admin_route_admin_remove(struct admin_op *op);
void admin_route_audit(struct admin_op *op);
/* routes_tftp.c */
void admin_route_tftp_files_list(struct admin_op *op);
void admin_route_tftp_chunk(struct admin_op *op);
void admin_route_tftp_file_commit(struct admin_op *op);
void admin_route_tftp_file_delete(struct admin_op *op);
void admin_route_tftp_file_get(struct admin_op *op);
void admin_route_tftp_device(struct admin_op *op);
/* PUT/DELETE /v1/devices/NAME/mic (routes_device_mic.c). */
void admin_route_device_mic_put(struct admin_op *op);
void admin_route_device_mic_delete(struct admin_op *op);
void admin_route_calls(struct admin_op *op);
/* routes_capf.c */
void admin_route_capf_list(struct admin_op *op);
void admin_route_capf_get(struct admin_op *op);
void admin_route_capf_schedule(struct admin_op *op);
void admin_route_capf_batch(struct admin_op *op);
void admin_route_capf_cancel(struct admin_op *op);
/* routes_capture.c */
void admin_route_capture_list(struct admin_op *op);
void admin_route_capture_start(struct admin_op *op);
void admin_route_capture_stop(struct admin_op *op);
void admin_route_capture_keys(struct admin_op *op);
void admin_route_capture_fetched(struct admin_op *op);
/* routes_capf_est.c */
void admin_route_est_cacerts(struct admin_op *op);
void admin_route_est_simpleenroll(struct admin_op *op);
void admin_route_est_simplereenroll(struct admin_op *op);
/* routes_capf_relay.c: POST /v1/capf/relay, a member's enrolment write
 * (members only). */
void admin_route_capf_relay(struct admin_op *op);
struct store_capf_write;
/* Records W (copied): proposed when this node leads, else sent to the
 * leader's POST /v1/capf/relay; what this node checked stays here. THEN
 * runs once with 0 when committed, else a store or consensus code
 * (STORE_ENOTFOUND: the operation changed meanwhile). Uses op->ctx. */
void admin_capf_write(struct admin_op *op, const struct store_capf_write *w,
		      admin_step_fn then);

/* ---- login (login.c) -------------------------------------------------- */

/* Checks the Basic credentials of OP's request, then calls DONE(op, rc):
 * rc 0 with op->actor holding the admin name; 401 (counted, not yet
 * answered); 429 when the client's address is out of login tokens
 * (Retry-After set); 503 when the scrypt queue is full. A cached credential
 * answers at once and takes no token; otherwise scrypt runs on the login
 * thread, off the event loop. */
void admin_login_check(struct admin_op *op, admin_step_fn done);
/* Audits a refusal of an authenticated admin's request (ctl.refused) as a
 * background write; logs only when this node does not lead. DETAIL holds
 * no secret. Unauthenticated failures go to admin_fail_count instead. */
void admin_audit_failure(struct admin *a, const char *action,
			 const char *detail);
/* Drops every cached credential (a record changed). */
void admin_creds_clear(struct admin *a);
/* Starts the login thread. 0 or -1. */
int admin_login_init(struct admin *a);
void admin_login_fini(struct admin *a);

/* ---- workers (worker.c) ---------------------------------------------- */

/* Runs on a worker thread with op->work; returns the rc STEP gets. */
typedef int (*admin_work_fn)(void *work);

/* A thread with a queue of at most QUEUE_MAX jobs. 0 or -1. */
int admin_worker_new(unsigned queue_max, struct admin_worker **out);
/* Stops the thread after the job in hand; queued jobs are posted with
 * ADMIN_WORK_CANCELLED. Call after the mailbox closed. Accepts NULL. */
void admin_worker_free(struct admin_worker *w);
/* Gives ARG (transferred) to OP as op->work, freeing any previous one. */
void admin_op_work_set(struct admin_op *op, void *arg,
		       void (*arg_free)(void *));
/* Queues FN(op->work) on W; STEP(op, rc) runs on the admin thread when it
 * is done. -1 if the queue is full (nothing queued: answer 503). */
int admin_op_work(struct admin_op *op, struct admin_worker *w, admin_work_fn fn,
		  admin_step_fn step);

/* ---- the gate (login.c) ------------------------------------------------ */

/* Counts a failure of KIND by OP's client, naming NAME; summarised in the
 * audit later, never written now. REASON may be NULL. */
void admin_fail_count(struct admin_op *op, enum admin_gate_kind kind,
		      const char *name, const char *reason);
/* Writes the pending summary now (also run by a timer). */
void admin_fail_flush(struct admin *a);
/* POST /v1/audit/failures: a member hands the leader its summary. */
void admin_route_audit_failures(struct admin_op *op);
/* POST /v1/registrations/relay: a member hands the leader its registration
 * changes (routes_sipreg.c). */
void admin_route_registrations_relay(struct admin_op *op);
void admin_route_node_sip(struct admin_op *op);

/* ---- audit pruning (prune.c) ------------------------------------------- */

/* Starts the periodic pruning (it acts only while this node leads). 0/-1. */
int admin_prune_init(struct admin *a);
void admin_prune_fini(struct admin *a);

/* ---- other nodes (forward.c) ------------------------------------------ */

/* Answer of another node: STATUS 0 when it could not be reached (ERR says
 * why); BODY borrowed for the call. */
typedef void (*admin_client_cb)(void *arg, int status, const char *body,
				size_t len, const char *err);

/* Sends METHOD URI to TO's admin API, pinning TO's https_sha256 and
 * presenting this node's certificate. AUTH (may be NULL) is copied into
 * Authorization, CLIENT (may be NULL) into X-Ward-Client. CB runs once,
 * unless admin_client_cancel() came first. 0; -1 if TO has no usable
 * address or fingerprint (or memory ran out); -2 if the connection failed
 * at once (nothing sent). CB does not run after an error. */
int admin_client_send(struct admin *a, const struct store_node *to,
		      enum evhttp_cmd_type method, const char *uri,
		      const char *auth, const char *client, const void *body,
		      size_t len, unsigned timeout_ms, admin_client_cb cb,
		      void *arg, struct admin_client **out);
/* Drops a request in flight; its callback will not run. Accepts NULL. */
void admin_client_cancel(struct admin_client *c);
/* In C's callback: 0 if the request may have reached the other side; 1 if
 * it certainly did not (it failed before the TLS handshake completed); 2 if
 * it did not because the peer's certificate is not the pinned one. */
int admin_client_unsent(const struct admin_client *c);

/* Time a relayed request is given, unless its route says otherwise or the
 * client (X-Ward-Timeout: seconds) asks for less. */
#define ADMIN_FORWARD_TIMEOUT_S 30
/* In the 503 of a member that refused a relayed request because it no
 * longer leads, having done nothing with it: the relay tries again. */
#define ADMIN_NOT_LEADER_TEXT "not the leader"

/* Relays OP's request to the leader and its answer back (adding
 * X-Ward-Leader). A try that certainly did not reach the leader is made
 * again, to whoever leads next, until the request's time is up; if this
 * node comes to lead and op->fwd_fresh is set, it serves OP itself
 * (admin_op_serve). Otherwise 503 saying what happened. */
void admin_forward(struct admin_op *op);
/* Serves OP on this node: credentials, then its route (server.c). */
void admin_op_serve(struct admin_op *op);

/* ---- TLS (tls.c) ------------------------------------------------------ */

/* Server and client contexts for CERT/KEY. FP receives the SHA-256 of the
 * certificate. 0, or -1 with errmsg. */
int admin_tls_load(const char *cert, const char *key, SSL_CTX **server,
		   SSL_CTX **client, uint8_t fp[32], char *errmsg,
		   size_t errcap);
/* Pins the peer of a client SSL to FP (copied). 0 or -1. */
int admin_tls_pin(SSL *ssl, const uint8_t fp[32]);
/* SHA-256 of the client certificate a request came with; 0, or -1 if it
 * came without one. */
int admin_tls_peer_fp(struct evhttp_request *req, uint8_t fp[32]);

#endif
