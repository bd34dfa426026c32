/* sip: the signaling role — a thread of its own running sofia-sip's
 * su_root and an nta agent that listens on SIP UDP/TCP (5060) and TLS
 * (5061) and answers statelessly through the core (core.h).
 *
 * Every sofia object is created, used and destroyed on that thread; other
 * threads only call sip_start/sip_reload/sip_restart/sip_stop/sip_free
 * and read the counters. The core (core.h) is not a sofia object: it
 * outlives a restart of the thread. */
#ifndef WARD_SIP_SIP_H
#define WARD_SIP_SIP_H

#include <stddef.h>

#include "node/sip/call.h"
#include "node/sip/conn.h"
#include "node/sip/core.h"
#include "node/sip/directory.h"
#include "node/sip/uac_options.h"

#define SIP_MAX_LISTEN 4
#define SIP_HOST_MAX 64
#define SIP_PATH_MAX 600

struct sip_config {
	char hosts[SIP_MAX_LISTEN][SIP_HOST_MAX]; /* IPv4 or IPv6 literals */
	unsigned nhosts;
	unsigned port;	   /* UDP and TCP; 0: none */
	unsigned tls_port; /* 0: no TLS */
	/* Directory holding agent.pem (chain + key) and cafile.pem, as
	 * sofia's TLS transport reads them; "" for no TLS. */
	char tls_dir[SIP_PATH_MAX];
	/* The node-to-node TLS listener (call_node.h): its port and the
	 * directory of its agent.pem (the NODE certificate) and cafile.pem
	 * (the cluster CA alone); 0 or "" for none. */
	unsigned node_port;
	char node_tls_dir[SIP_PATH_MAX];
	unsigned keepalive_s; /* CRLF keepalive on TCP/TLS, 0: off */
	unsigned idle_s;      /* idle connections closed after this */
	size_t max_msg;	      /* largest accepted message, bytes */
	/* TCP/TLS connections one source address may hold (counted from
	 * accept, conn.h; 0: no cap). */
	unsigned conn_per_source;
	/* A TCP/TLS connection without a message this long after accept is
	 * closed; 0: only the idle reaper closes it. */
	unsigned silent_s;
	/* TCP/TLS connections the listeners hold at once (conn.h); one
	 * beyond is closed at accept. */
	unsigned max_connections;
	/* An OPTIONS to each SIP trunk this often (uac_options.h); 0: off. */
	unsigned trunk_options_s;
	struct sip_core_config core;
	/* Transaction lifetime (64*T1: timers B, F, H, J), ms; 0: RFC 3261's
	 * 32 s. Every stateful transaction over UDP (the calls') lingers
	 * this long after its end to absorb retransmissions. */
	unsigned t1x64_ms;
	/* Overload control (overload.h): above this queueing delay, ms, of
	 * the role's own probe, a share of new dialogs get 503 with
	 * Retry-After of overload_retry_after_s..2x; 0: off. */
	unsigned overload_delay_ms;
	unsigned overload_retry_after_s;
	/* Calls: bounds and ring time (host and ports come from above). */
	struct sip_call_config call;
	/* The media table (borrowed, outlives the role); NULL: SDP passed
	 * through under the leg rule. */
	const struct sip_media *media;
};

/* Fills CFG with the defaults: 127.0.0.1, 5060, 5061, 30 s keepalive,
 * 120 s idle, 64 KiB messages, 32 connections per source and 16,384 in
 * all, 5 s to the first message, trunk keepalives every 30 s, the core's defaults. */
void sip_config_defaults(struct sip_config *cfg);

struct sip_role;

/* Starts the thread and its listeners. DIR and HOOKS are borrowed and
 * must outlive the role; the directory's callbacks and the hooks run on
 * the role's thread. Returns 0 once listening, or -1 with ERRMSG (the
 * thread then is gone). */
int sip_start(const struct sip_config *cfg, const struct sip_directory *dir,
	      const struct sip_core_hooks *hooks, struct sip_role **out,
	      char *errmsg, size_t errcap);

/* What can change under a running thread: with FILES, the contents of
 * the listeners' TLS files, read again into their contexts (tls_reload.h)
 * — the handshakes from then on use them; and CFG->keepalive_s, set on
 * every transport (each connection takes it at its next timer).
 * Listeners, connections, transactions and calls stay. 0 once done; -1
 * with ERRMSG when CFG changes more than that (ERRMSG says what), when a
 * file is unusable, or the role is stopped: sip_restart() then. Waits for
 * the thread's next tick (up to 100 ms). */
int sip_reload(struct sip_role *r, const struct sip_config *cfg, int files,
	       char *errmsg, size_t errcap);

/* Restarts the listeners with CFG (new TLS files, keepalive, ports):
 * joins the thread, which closes every socket and connection, and starts
 * another on the same core — bindings, nonce counts and limits are kept
 * (CFG->core is ignored: the core keeps its own). Returns 0 once
 * listening, or -1 with ERRMSG: the role is then stopped, its core kept
 * until sip_free. */
int sip_restart(struct sip_role *r, const struct sip_config *cfg,
		char *errmsg, size_t errcap);

/* Asks the thread to close its listeners and end, and joins it. */
void sip_stop(struct sip_role *r);
/* Stops if needed and frees. Accepts NULL. */
void sip_free(struct sip_role *r);

/* The calls a listing shows at most. */
#define SIP_CALLS_LISTED 1024

/* The calls in progress as of the last second (any thread): up to CAP
 * copied to OUT; returns how many there were (at most
 * SIP_CALLS_LISTED). */
size_t sip_role_calls(struct sip_role *r, struct sip_call_info *out,
		      size_t cap);

/* A copy of the core's counters (any thread; updated once a second). */
void sip_role_stats(struct sip_role *r, struct sip_core_stats *out);
/* A copy of the connection counters (conn.h; any thread; once a second;
 * the current thread's since its last restart). */
void sip_role_conn_stats(struct sip_role *r, struct sip_conn_stats *out);
/* What the keepalive last learnt of trunk NAME (any thread): 0 with OUT
 * filled, or -1 when no probe of it ended yet. */
int sip_role_trunk_status(struct sip_role *r, const char *name,
			  struct sip_trunk_status *out);

#endif
