/* capf: the CAPF role — phones enrol, replace, delete and report their
 * locally significant certificates (LSC) over the phones' CAPF protocol on
 * TCP 3804 over TLS, following the operation an admin scheduled for them
 * (store/capf.h). Runs its own thread and libevent loop (docs/capf.md).
 *
 * A session: TLS with the node's CAPF certificate, the server speaks first
 * (auth request), the phone names itself and authenticates as its
 * operation says (string, null string, existing LSC or MIC), then the
 * operation runs; the LSC is issued by the cluster CA (whose key is lent
 * by the keystore for the one signature) and committed to the device
 * record with the operation's outcome in one Raft command, before the
 * phone is told it is done.
 *
 * Bounds (the house rule): at most max_sessions at once (more are closed
 * at accept), each with an overall deadline and an idle timeout, 16 KiB
 * per message. Unknown devices, devices with nothing scheduled, failed
 * handshakes, malformed and stalled sessions are counted in memory and
 * handed to the node's failure summary (the failed hook); they never
 * cause a write of their own.
 * Wrong authentication strings or signatures of a scheduled device are
 * written (the counter that locks the operation), at most max_tries per
 * schedule.
 *
 * Writes are proposed on this node when it leads; a follower hands each
 * one (store_capf_write) to the leader through the relay hook and the
 * session waits for it, the phone told "request in progress" (17)
 * meanwhile. Without a hook a follower answers "retry later" (16).
 */
#ifndef WARD_CAPF_H
#define WARD_CAPF_H

#include <stddef.h>
#include <stdint.h>

#include "consensus/consensus.h"
#include "keystore/keystore.h"
#include "store/store.h"

struct capf_config {
	/* The strings are borrowed for capf_new, which copies them. */
	const char *listen;	     /* "host:port" */
	const char *cert_file;	     /* the node's CAPF certificate (PEM) */
	const char *key_file;	     /* and its key */
	const char *ca_file;	     /* the cluster CA certificate (PEM) */
	unsigned max_sessions;	     /* sessions at once */
	unsigned session_timeout_ms; /* overall, per session */
	unsigned idle_timeout_ms;    /* no byte from the phone for that long */
	unsigned lsc_days;	     /* validity of an issued LSC */
	/* A follower's writes: hands BUF (LEN bytes of
	 * store_capf_write_encode, borrowed for the call) to the leader.
	 * Called on the CAPF thread. Returns 0, and DONE(DONE_ARG, rc) then
	 * runs exactly once on any thread (rc 0 once the leader committed
	 * it), or -1: nothing sent, DONE never runs. NULL: no relay. */
	int (*relay)(void *relay_arg, const void *buf, size_t len,
		     void (*done)(void *done_arg, int rc), void *done_arg);
	void *relay_arg; /* borrowed */
	/* A failure of a peer that has not authenticated (an unknown or
	 * unscheduled device, a failed handshake, a malformed or stalled
	 * session) from ADDR (no port), naming DEVICE (a phone name, or ""),
	 * REASON: for the node's summary of failures, at most one audit
	 * record per source per window (docs/house-rules.md), never a write
	 * each. Any thread, must not block. NULL: counted here only. */
	void (*failed)(void *failed_arg, const char *addr, const char *device,
		       const char *reason);
	void *failed_arg; /* borrowed */
};

/* Defaults: 127.0.0.1:3804, 256 sessions, 30 s, 10 s, 1825 days. */
void capf_config_defaults(struct capf_config *cfg);

struct capf; /* opaque */

/* A role for STORE, KS and CONSENSUS (all borrowed; they must outlive
 * it), as node NODE_ID named NODE_NAME. Reads the certificate files now.
 * *out transferred: capf_free. 0 or -1 with errmsg. */
int capf_new(const struct capf_config *cfg, struct store *store,
	     struct keystore *ks, struct consensus *consensus, uint64_t node_id,
	     const char *node_name, struct capf **out, char *errmsg,
	     size_t errcap);
/* Binds and starts the thread. 0 or -1 with errmsg. */
int capf_start(struct capf *c, char *errmsg, size_t errcap);
/* The bound port (tests ask for port 0). */
int capf_port(const struct capf *c);
/* Reads the CAPF certificate and key files again (any thread): the
 * sessions accepted from now on show them; the sessions in progress keep
 * theirs. 0, or -1 with ERRMSG and the old ones still in use. */
int capf_reload_tls(struct capf *c, char *errmsg, size_t errcap);
/* Stops the thread (no proposal is made after it returns); completions
 * still owed land in a queue nobody reads. Call before consensus_stop,
 * and capf_free after it. Accepts NULL. */
void capf_stop(struct capf *c);
/* Stops the thread if running, closes every session, frees C. Accepts
 * NULL. */
void capf_free(struct capf *c);

/* Counters, for status and tests. */
struct capf_stats {
	uint64_t sessions, refused_busy, unknown_device, nothing_scheduled,
	    malformed, auth_failed, issued, deleted, fetched, timed_out,
	    relayed;
};
void capf_stats_get(struct capf *c, struct capf_stats *out);

#endif
