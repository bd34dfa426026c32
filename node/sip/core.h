/* core: the signaling role's decisions for one incoming request, without
 * any transport — bounds and sanity checks, rate limits, trunk
 * authorization, digest authentication, device checks (security mode,
 * transport, certificate, node group), the registrar — and the answer to
 * send. The agent (agent.c) feeds it sofia-parsed requests; the fuzzer and
 * the unit tests call it directly.
 *
 * Threading: one core per signaling thread; nothing in it is shared. */
#ifndef WARD_SIP_CORE_H
#define WARD_SIP_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <sofia-sip/sip.h>

#include "node/sip/dialog_event.h"
#include "node/sip/digest.h"
#include "node/sip/directory.h"
#include "node/sip/presence.h"
#include "node/sip/registrar.h"
#include "node/sip/x509match.h"

struct sip_core_config {
	uint64_t node_id;	  /* this node, for node-group checks */
	unsigned min_expires;	  /* 423 below this */
	unsigned max_expires;	  /* clamped to this */
	unsigned default_expires; /* when the request names none */
	size_t max_devices;	  /* registrar size */
	size_t nc_slots;	  /* digest nonce-count table size */
	unsigned rate;		  /* messages/s per source, 0: unlimited */
	unsigned burst;
	unsigned fail_max; /* auth failures per minute before a block */
	/* Algorithms offered and accepted, bit (1 << enum sip_digest_alg);
	 * challenges go strongest first. All three by default; peers that
	 * read only the first challenge (SIPp 3.6 knows only MD5) need
	 * fewer. */
	unsigned digest_algs;
	struct sip_presence_config presence; /* subscriptions (presence.h) */
	/* Benchmarks only (ward_sipd): accept a digest uri other than the
	 * Request-URI, as SIPp 3.6 sends (sip:HOST:PORT) for INVITEs to
	 * many numbers. wardd always checks it. */
	int digest_uri_any;
};

/* Fills CFG with the defaults (60 s min, 3600 s max, 3600 s default,
 * 100,000 devices, 200 messages/s per source, 20 failures). */
void sip_core_config_defaults(struct sip_core_config *cfg);

/* What the TLS layer learnt about the peer's certificate. */
struct sip_peer_cert {
	int present;  /* a client certificate was presented */
	int verified; /* it chains to the trust store (ward's checks) */
	int kind;     /* enum sip_reg_cert: MIC or LSC */
	char cn[SIP_DIR_NAME_MAX];
	struct sip_x509_names names; /* subject and DNS names (trunks) */
	uint8_t fp[32];
	char why[96]; /* when not verified: the chain check's verdict */
};

/* Where a request came from. */
struct sip_peer {
	unsigned transport;  /* SIP_TP_* */
	unsigned local_port; /* the port it came in on; 0: unknown */
	struct sockaddr_storage addr;
	struct sip_peer_cert cert;
};

#define SIP_REPLY_HDRS 6
#define SIP_REPLY_CONTACT_MAX 512

/* The answer: STATUS 0 means send nothing (dropped). Header values are
 * ready to add as extra header lines ("Name: value"). */
struct sip_reply {
	int status;
	const char *phrase; /* static */
	char hdr[SIP_REPLY_HDRS][SIP_DIGEST_CHALLENGE_MAX + 32];
	int nhdr;
	char contact[SIP_REPLY_CONTACT_MAX]; /* REGISTER 200: bindings */
	/* SUBSCRIBE 2xx: the To tag of the subscription's dialog, "" for
	 * none. */
	char to_tag[32];
	/* With STATUS 0: the source is over its limit and the request came
	 * over TCP or TLS: close that connection (a flooder keeps no
	 * connection, and its socket buffers, open). */
	int close;
	/* With STATUS 0: an authorised out-of-dialog INVITE from the device
	 * CALLER, for the call table (call.h) to place. */
	int call;
	char caller[SIP_DIR_NAME_MAX];
};

/* Hooks into the rest of the node. */
struct sip_core_hooks {
	/* Owner changes of registrations, to replicate (registrar.h). */
	sip_reg_owner_fn owner;
	/* Every accepted registration (new or refresh) with its binding C:
	 * the replicated record may still name another node (a follower
	 * could not write it, or the device came back), so the node checks
	 * it — a read, no write when it already names this node. */
	sip_reg_owner_fn bound;
	/* An authentication or authorization failure from SRC (borrowed)
	 * naming NAME (the digest user, device or trunk tried; borrowed,
	 * valid during the call), for WHY (static text): the node counts it
	 * in memory and summarises it into the audit log — never a write per
	 * failure. Signaling thread; may be NULL. */
	void (*fail)(void *arg, const struct sockaddr *src, const char *name,
		     const char *why);
	void *arg;
	/* A device's calls and registrations (dialog_event.h), for presence;
	 * NULL: none. */
	sip_dialog_event_fn dialog_event;
	void *dialog_arg;
};

struct sip_core;

/* DIR is borrowed and must outlive the core. Returns 0 or -1 with ERRMSG
 * (for instance when the directory has no cluster settings yet). */
int sip_core_new(const struct sip_core_config *cfg,
		 const struct sip_directory *dir,
		 const struct sip_core_hooks *hooks, struct sip_core **out,
		 char *errmsg, size_t errcap);
void sip_core_free(struct sip_core *c);

/* Decides the answer to the request SIP (borrowed, parsed by sofia; its
 * MSG_SIZE bytes long on the wire) from PEER at NOW_MS (wall clock, ms:
 * nonces carry their issue time for every node to read). */
void sip_core_handle(struct sip_core *c, const sip_t *sip, size_t msg_size,
		     const struct sip_peer *peer, uint64_t now_ms,
		     struct sip_reply *out);

/* Once a second: expires bindings, re-reads the cluster settings (nonce
 * secret, realm), logs the failure summary once a minute. */
void sip_core_tick(struct sip_core *c, uint64_t now_ms);

/* Overload control (overload.h): a request that would open a dialog
 * (INVITE, SUBSCRIBE, REFER without a To tag) and that O does not admit
 * is answered 503 with Retry-After between RETRY_AFTER_S and twice that,
 * before any store read or allocation; everything else is served as
 * usual. O (borrowed until the next call) NULL: none. */
struct sip_overload;
void sip_core_set_overload(struct sip_core *c, struct sip_overload *o,
			   unsigned retry_after_s);
/* A new dialog refused under overload elsewhere (a member's INVITE on the
 * node listener): counted with the core's own, and the Retry-After to
 * send, RETRY_AFTER_S to twice that, spread as the core's are. */
unsigned sip_core_overload_refused(struct sip_core *c);

/* The registrar, for status listings (valid until sip_core_free). */
struct sip_registrar *sip_core_registrar(struct sip_core *c);

/* The presence subscriptions (valid until sip_core_free): the agent sets
 * their sender, flushes their NOTIFYs and feeds back the responses. */
struct sip_presence *sip_core_presence(struct sip_core *c);

/* What happened to a device — a call, from the B2BUA (its registrations
 * the core sees itself): tells its presence and dialog watchers, then the
 * node's dialog_event hook (a sip_dialog_event_fn with the core as ARG).
 * EV is borrowed for the call; signaling thread only. */
void sip_core_dialog_event(void *core, const struct sip_dialog_event *ev);

/* Counters for tests and benchmarks. */
struct sip_core_stats {
	uint64_t requests, registered, challenged, auth_failed, forbidden,
	    dropped, bad;
	uint64_t overloaded; /* new dialogs refused 503 under overload */
	/* Filled by the role (sip_role_stats), not the core: nta's server
	 * and client transactions held, those lingering for RFC 3261's
	 * timers included. */
	uint64_t transactions;
};
void sip_core_stats(const struct sip_core *c, struct sip_core_stats *out);

#endif
