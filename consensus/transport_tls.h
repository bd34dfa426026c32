/* consensus/transport_tls: the objects of the mutual-TLS transport, shared
 * by the transport itself (transport_tls.c: listening, dialing, closing),
 * each connection's setup (tls_conn.c) and its data path (tls_pump.c).
 * Internal to consensus/; everything here runs on the loop thread, except
 * ctx/ctx_lock.
 */
#ifndef WARD_CONSENSUS_TRANSPORT_TLS_H
#define WARD_CONSENSUS_TRANSPORT_TLS_H

#include <pthread.h>
#include <stdint.h>

#include <openssl/ssl.h>
#include <raft/uv.h>

#include "consensus/transport.h"

#define TLS_TAG "raft"
/* The magic of the handshake the dialer sends inside TLS (its layout:
 * transport.h). */
#define TLS_HS_MAGIC "WARDTLS1"
#define TLS_CONNECT_TIMEOUT_MS 3000
/* TLS handshake plus our handshake, from either side. */
#define TLS_HANDSHAKE_TIMEOUT_MS 5000
/* Incoming connections still in their handshake: more are dropped, so a
 * flood of silent sockets costs bounded memory. */
#define TLS_PENDING_IN_MAX 64
#define TLS_ACCEPT_BURST 32
#define TLS_ACCEPT_PAUSE_MS 100
#define TLS_BACKLOG 128
/* Plaintext of one TLS record. */
#define TLS_IN_BUF 16384
/* What C-raft wrote and one SSL_write takes: many small RPCs in one record,
 * a large AppendEntries in four. */
#define TLS_OUT_BUF 65536
#define TLS_WARN_SLOTS 16
#define TLS_WARN_EVERY_MS 60000

enum tls_state {
	TLS_CONNECTING, /* TCP connect in progress (dialer) */
	TLS_HANDSHAKE,	/* TLS handshake */
	TLS_HELLO,	/* reading the caller's handshake (acceptor) */
	TLS_OPEN,	/* C-raft has the stream: pumping */
	TLS_DONE,	/* closed; waiting for the handles */
};

struct tls_transport;

struct tls_conn {
	struct tls_transport *tt;
	struct tls_conn *prev, *next;
	int outgoing;
	enum tls_state state;
	int handles; /* timer, polls, getaddrinfo: the last frees the conn */
	uv_timer_t timer;
	int fail_status; /* what a firing timer reports; 0: a timeout */

	int fd; /* TCP, -1 once closed */
	uv_poll_t net;
	int net_init, net_events;
	SSL *ssl; /* owned */

	int app; /* our end of the socketpair, -1 if none */
	uv_poll_t app_poll;
	int app_init, app_events;

	/* Dialing. */
	struct raft_uv_connect *req;
	raft_uv_connect_cb cb;
	uv_getaddrinfo_t gai;
	int gai_pending;

	/* The id dialed, or the one the caller claimed once verified; the
	 * address (dialed host, or the caller's IP) for logs. */
	uint64_t peer_id;
	char ip[64];

	/* The caller's handshake (acceptor). */
	unsigned char hs[TRANSPORT_HS_HEAD + TRANSPORT_HS_ADDR_MAX + 1];
	size_t hs_len, got;

	/* Pump: peer -> C-raft (in), C-raft -> peer (out). Owned. */
	unsigned char *in, *out;
	size_t in_len, in_off, out_len, out_off;
	int net_eof, app_eof;
	/* The poll said readable and we have not found the source empty
	 * since. */
	int net_readable, app_readable;
};

/* A peer that was warned about: at most one warning a minute each. */
struct tls_warned {
	char peer[96];
	uint64_t at; /* loop time of the last warning; 0: never */
	unsigned quiet;
};

struct tls_transport {
	struct raft_uv_transport *t;
	uv_loop_t *loop;
	raft_id id;
	char address[TRANSPORT_HS_ADDR_MAX + 1];
	char *cluster_id; /* owned */

	/* The caller's check of a peer's certificate, after the CA's; NULL:
	 * none. Loop thread. */
	int (*peer_check)(void *arg, uint64_t node_id, const uint8_t sha256[32],
			  uint64_t not_before_s);
	void *peer_check_arg;

	pthread_mutex_t ctx_lock; /* guards ctx: reloads come from any thread */
	SSL_CTX *ctx;		  /* owned */

	raft_uv_accept_cb accept_cb;
	int listen_fd;
	uv_poll_t listener;
	uv_timer_t listen_timer; /* resumes accepting after EMFILE */
	int listener_open;
	struct tls_conn *conns; /* owned */
	unsigned pending_in;
	int closing;
	unsigned handles; /* listener handles + conns still to be released */
	raft_uv_transport_close_cb close_cb;
	struct tls_warned warned[TLS_WARN_SLOTS];
};

/* Logs "server ID: PEER: why" as a warning, or at debug level if PEER was
 * warned about less than a minute ago. */
void tls_warn(struct tls_transport *tt, const char *peer, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Closes K with a (rate-limited) warning: the peer is not who it must be. */
void tls_conn_refuse(struct tls_conn *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Closes K, logged at debug level: the peer went away. */
void tls_conn_drop(struct tls_conn *k, const char *why);
/* Closes K once (later calls do nothing): releases its handles, and
 * reports STATUS to C-raft if it was dialing and had not connected.
 * ORDERLY: send close_notify first. */
void tls_conn_close(struct tls_conn *k, int status, int orderly);
/* Closes K after SSL_read/SSL_write failed with SSL_ERROR: a warning for a
 * TLS error (bad record, alert from the peer), debug for a lost
 * connection. */
void tls_conn_error(struct tls_conn *k, int ssl_error);
/* OpenSSL's reason for the last failure on K, into BUF. */
const char *tls_reason(struct tls_conn *k, char *buf, size_t cap);
/* Sets what the network and socketpair polls wait for (UV_READABLE |
 * UV_WRITABLE, or 0 to stop). */
void tls_conn_poll(struct tls_conn *k, int net, int app);

void tls_handshake_step(struct tls_conn *k);
void tls_net_cb(uv_poll_t *p, int status, int events);

/* A connection, linked into TT (incoming: counted as pending), with its
 * timer; NULL without memory. */
struct tls_conn *tls_conn_new(struct tls_transport *tt, int outgoing);
/* Drops one reference (handle or request); the last one frees K. */
void tls_conn_release(struct tls_conn *k);
/* Watches k->fd (TCP_NODELAY set). 0 or -1. */
int tls_conn_net_init(struct tls_conn *k);
/* Starts the TLS handshake over k->fd with the transport's current
 * context. */
void tls_conn_start(struct tls_conn *k);
/* Closes K with STATUS from the next loop turn: C-raft must not get its
 * connect callback inside t->connect() or t->close(). */
void tls_conn_fail_soon(struct tls_conn *k, int status);
/* Timer callback: a timeout, or a failure tls_conn_fail_soon queued. */
void tls_conn_timeout_cb(uv_timer_t *timer);
/* Calls the transport's close callback once nothing of it is left. */
void tls_transport_maybe_closed(struct tls_transport *tt);

/* tls_pump.c: moves what can move both ways without blocking, then waits. */
void tls_pump(struct tls_conn *k);
void tls_app_cb(uv_poll_t *p, int status, int events);

#endif
