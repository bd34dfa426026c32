/* admin: the HTTPS admin API of a node (docs/admin-api.md), on a libevent
 * base of the caller's thread. Reads come from the local store; writes are
 * store commands proposed through consensus, or forwarded to the leader's
 * admin API when this node follows. */
#ifndef WARD_NODE_ADMIN_H
#define WARD_NODE_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "store/prov.h"

struct event_base;
struct store;
struct consensus;
struct keystore;

/* Lifecycle steps only wardd's main can do; called on the admin thread. */
enum { ADMIN_TFTP_NOT_FOUND = 1, ADMIN_TFTP_REFUSED = 2 };

struct admin_hooks {
	/* POST /v1/cluster/init, after the init token checked: make this node
	 * the first voter of cluster CLUSTER_ID (node id 1), start consensus
	 * and call admin_attach() before returning 0. */
	int (*bootstrap)(void *arg, const char *cluster_id, char *errmsg,
			 size_t errcap);
	/* GET /v1/tftp/file: the bytes node NODE_ID serves over TFTP as
	 * NAME, built from the store as the TFTP role builds them; any
	 * thread. 0 with *out malloc'ed (transferred) and *len, or
	 * ADMIN_TFTP_NOT_FOUND, ADMIN_TFTP_REFUSED (why says so), -1 (why).
	 * NULL: the routes answer 501. */
	int (*tftp_file)(void *arg, uint64_t node_id, const char *name,
			 uint8_t **out, size_t *len, char *why, size_t whycap);
	/* GET /v1/tftp/devices/NAME: what phone DEVICE gets from node
	 * NODE_ID and why, as JSON text in *out (malloc'ed, transferred).
	 * 0, ADMIN_TFTP_NOT_FOUND, or -1. Any thread. */
	int (*tftp_explain)(void *arg, uint64_t node_id, const char *device,
			    char **out);
	/* GET /v1/devices/NAME of a trunk: what this node's keepalive last
	 * learnt of TRUNK, as a JSON object's text in *out (malloc'ed,
	 * transferred); 0, or -1 when nothing is known. Admin thread. NULL:
	 * the field is left out. */
	int (*sip_trunk_status)(void *arg, const char *trunk, char **out);
	/* GET /v1/calls: the calls this node's signaling role carries, as
	 * JSON text ({"calls": [...]}) in *out (malloc'ed, transferred). 0
	 * or -1; on the admin's thread. NULL: the route answers 501. */
	int (*calls_json)(void *arg, char **out);
	/* GET /v1/capture/DEVICE/keys: this node's key log of DEVICE as
	 * JSON text ({"entries": [...]}) in *out (malloc'ed, transferred;
	 * it holds keys: the admin wipes it). 0 or -1; on the admin's
	 * thread. NULL: no media role, an empty list. */
	int (*capture_keys_json)(void *arg, const char *device, char **out);
	void *arg;
};

/* What one node lets clients cost it (docs/house-rules.md). Zero fields
 * take the defaults shown. */
struct admin_limits {
	unsigned max_connections; /* inbound connections at once (256) */
	unsigned login_burst;	  /* logins per client address at once (10) */
	unsigned login_per_min;	  /* ... refilled per minute (30) */
	unsigned fail_summary_s;  /* failures summarised per window (60) */
	unsigned prune_every_s;	  /* audit pruning period, leader (60) */
	unsigned prune_batch;	  /* audit records deleted per command (256) */
};

struct admin_config {
	const char *listen;    /* "host:port" to bind */
	const char *cert_file; /* PEM certificate chain of this node */
	const char *key_file;  /* PEM private key */
	const char *data_dir;  /* DATA/init.token lives here */
	const char *node_name;
	const char *raft_addr;	/* advertised "host:port" */
	const char *admin_addr; /* advertised "host:port" */
	/* The cluster key-encryption key file (DATA/kek, 0600, see
	 * pki_kek_load); NULL or "": DATA_DIR/kek. The keystore reads it
	 * only when a route needs a secret of the store (regenerating a
	 * certificate unwraps the CA key), checks it against the cluster
	 * record's kek_id, and wipes it when the route is done with it: the
	 * KEK is not kept in memory between uses. */
	const char *kek_file;
	/* The process's key store (keystore/keystore.h), borrowed: it must
	 * outlive the admin, and its KEK file should be KEK_FILE. NULL: the
	 * admin makes one of its own for KEK_FILE. */
	struct keystore *keystore;
	struct admin_hooks hooks;
	struct admin_limits limits;
};

struct admin; /* opaque */

/* Binds, loads the certificate and starts serving on BASE (made after
 * evthread_use_pthreads(): Raft callbacks wake it from their thread). A
 * listen port of 0 picks a free one (see admin_port). All strings of
 * CFG are copied. If the node is not initialized yet (no consensus attached
 * at the time of the first request), a fresh one-time init token is written
 * to DATA/init.token (0600) and only GET /v1/status and POST
 * /v1/cluster/init are served; the rest answer 503. */
int admin_new(struct event_base *base, const struct admin_config *cfg,
	      struct store *store, struct admin **out, char *errmsg,
	      size_t errcap);
/* Whether the node has no cluster yet (writes DATA/init.token). Call once,
 * right after admin_new(), for a node with no Raft state. */
int admin_expect_init(struct admin *a, char *errmsg, size_t errcap);
/* From now on the API serves the cluster through C (borrowed, must outlive
 * the admin or be detached with admin_attach(a, NULL, 0)); NODE_ID is this
 * node's Raft id. Admin thread only. */
void admin_attach(struct admin *a, struct consensus *c, uint64_t node_id);
/* Leadership or membership may have changed. Any thread (it only wakes the
 * admin loop). */
void admin_notify(struct admin *a);
/* Reloads the certificate and key files (SIGHUP); the old ones stay in use
 * if the new ones do not load. */
int admin_reload(struct admin *a, char *errmsg, size_t errcap);
/* Stops listening and frees. Accepts NULL. */
void admin_free(struct admin *a);

/* SHA-256 fingerprint of the certificate in use. */
void admin_fingerprint(struct admin *a, uint8_t out[32]);

/* The TCP port bound (useful when the listen address asked for port 0). */
int admin_port(struct admin *a);

/* COUNT SIP authentication or authorization failures from ADDR naming
 * NAME (the user or device tried; may be ""), REASON the last one's (may
 * be NULL): counted in the gate's fixed tables with the logins and joins
 * and summarised with them, "sip.fail" per source per window (the leader
 * writes, a follower hands its summary to it). Admin thread only. */
void admin_sip_failures(struct admin *a, const char *addr, const char *name,
			const char *reason, unsigned count);

/* ---- registration relay (routes_sipreg.c) ----------------------------- */

/* A registration change of this node's signaling role: REG (device,
 * transport, source, certificate, expiry, since; node_id is ignored, the
 * leader takes the sender's) put, or the device's record deleted (DEL);
 * with the device's MIC (DER, MIC_LEN bytes) when it authenticated with
 * one that is not the MIC on record (REG's cert_sha256 is its SHA-256). */
#define ADMIN_REG_MIC_MAX 2048 /* a larger MIC is not relayed */
struct admin_reg_change {
	struct store_registration reg;
	int del;
	uint32_t mic_len; /* 0: none */
	uint8_t mic[ADMIN_REG_MIC_MAX];
};

#define ADMIN_REG_RELAY_MAX 64 /* changes per relay request */
/* MICs per relay request: with base64 the body stays well under the admin
 * API's 128 KiB. */
#define ADMIN_REG_RELAY_MICS_MAX 24

/* Adds to CMD the MIC DER (LEN bytes) of DEVICE unless R holds that one
 * already (a write only when it changes): 1 added, 0 unchanged, -1 not a
 * certificate or an error. Any thread (routes_device_mic.c). */
struct store_cmd;
int admin_cmd_put_mic(struct store_read *r, struct store_cmd *cmd,
		      const char *device, const uint8_t *der, size_t len,
		      uint64_t now_ms);

/* OK 0: the leader wrote (or had no need to write) the changes; -1: it
 * refused, was unreachable or lost the lead. Admin thread. */
typedef void (*admin_relay_cb)(void *arg, int ok);
/* Sends CHANGES (1..ADMIN_REG_RELAY_MAX, copied) to the leader's POST
 * /v1/registrations/relay, presenting this node's certificate. Admin
 * thread only. 0: CB will run once (unless the admin is freed first); -1:
 * nothing sent (no leader known, no consensus), CB will not run. */
int admin_registrations_relay(struct admin *a,
			      const struct admin_reg_change *changes, size_t n,
			      admin_relay_cb cb, void *arg);

/* ---- the node's SIP address (routes_nodesip.c) ------------------------ */

/* Where this node's signaling role listens: written into the node's own
 * record, on the leader directly or through the leader's members-only
 * POST /v1/nodes/sip (a member can set only its own record). Admin thread
 * only. 0: CB will run once; -1: nothing sent, CB will not run. */
int admin_node_sip_publish(struct admin *a, const char *host, unsigned port,
			   unsigned tls_port, unsigned node_port,
			   admin_relay_cb cb, void *arg);

/* ---- CAPF relay (routes_capf_relay.c) --------------------------------- */

#define ADMIN_CAPF_RELAY_MAX 32 /* writes per relay request */
/* The leader's answer, per write: RC[i] 0 when committed, 409 when the
 * operation had changed (its guard failed), -1 (or another status) when
 * it was not recorded. Admin thread. */
typedef void (*admin_capf_relay_cb)(void *arg, const int *rc, size_t n);
/* Sends the writes BUFS[i] (LENS[i] bytes of store_capf_write_encode,
 * copied; 1..ADMIN_CAPF_RELAY_MAX, at most ADMIN_BODY_MAX in base64
 * together) to the leader's POST /v1/capf/relay, presenting this node's
 * certificate; the leader records them in one command, or one by one if
 * a guard fails. Admin thread only. 0: CB runs once (unless the admin is
 * freed first); -1: nothing sent (no leader known, this node leads, no
 * consensus), CB will not run. */
int admin_capf_relay(struct admin *a, const void *const *bufs,
		     const size_t *lens, size_t n, admin_capf_relay_cb cb,
		     void *arg);
/* A failure the CAPF role saw from a peer that has not authenticated, from
 * ADDR (no port) naming DEVICE ("" if none) for REASON: counted in the
 * admin's fixed tables and summarised with the admin's own failures
 * ("capf.fail", at most one audit record per source per window, a
 * follower's through the leader). Admin thread only. */
void admin_capf_fail(struct admin *a, const char *addr, const char *device,
		     const char *reason);

#endif
