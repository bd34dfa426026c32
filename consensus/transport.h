/* consensus/transport: how Raft servers reach each other — the
 * raft_uv_transport that C-raft's libuv I/O uses for every RPC. Internal to
 * consensus/.
 *
 * Two implementations behind one contract:
 *  - transport_tls.c, what a node runs: mutual TLS 1.3. It hands C-raft one
 *    end of a socketpair that the loop pumps through OpenSSL, once the peer's
 *    certificate has been checked against the cluster CA and against the
 *    server id it claims (tls_ctx.c builds the OpenSSL context from the
 *    node's PEM files).
 *  - transport_tcp.c: plain TCP with TCP_NODELAY (C-raft's own
 *    raft_uv_tcp_init leaves Nagle on, which stalls small RPCs behind delayed
 *    ACKs). No authentication: for tests, benchmarks and bootstrap (which
 *    never connects).
 * What both do alike — the address, resolving for listening and dialing,
 * the handshake that names the caller — is transport_common.c. C-raft only
 * reads, writes and closes the streams it is given, so nothing else in
 * consensus/ depends on which one runs.
 *
 * Contract (raft/uv.h): accept_cb/connect_cb hand over a uv stream allocated
 * with raft_malloc(); C-raft closes and raft_free()s it. Everything runs on
 * the loop thread unless a function says otherwise.
 */
#ifndef WARD_CONSENSUS_TRANSPORT_H
#define WARD_CONSENSUS_TRANSPORT_H

#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <openssl/ssl.h>
#include <raft/uv.h>

/* Plain TCP. Fills T (caller-owned memory, must stay valid until the close
 * callback C-raft passes to t->close() has run) with a transport on LOOP.
 * Returns 0 or a RAFT_* code. */
int consensus_transport_init(struct raft_uv_transport *t, uv_loop_t *loop);
/* Frees what init allocated, after t->close() completed (or if it was never
 * used). Accepts a transport whose init failed. */
void consensus_transport_close(struct raft_uv_transport *t);

/* Mutual TLS, as consensus_transport_init. CTX (from consensus_tls_ctx_new)
 * is transferred, also on failure; CLUSTER_ID (borrowed) is copied: the
 * cluster every peer certificate must name. */
int consensus_transport_tls_init(struct raft_uv_transport *t, uv_loop_t *loop,
				 SSL_CTX *ctx, const char *cluster_id);
/* A check of the peer's certificate after the CA's, for connections made
 * from now on (consensus_config.peer_check says what it is). FN NULL: none.
 * Loop thread, before the transport is used. */
void consensus_transport_tls_set_peer_check(struct raft_uv_transport *t,
					    int (*fn)(void *arg,
						      uint64_t node_id,
						      const uint8_t sha256[32],
						      uint64_t not_before_s),
					    void *arg);
/* Connections made from now on use CTX (transferred); those already open
 * keep theirs. Any thread. */
void consensus_transport_tls_set_ctx(struct raft_uv_transport *t, SSL_CTX *ctx);
/* As consensus_transport_close, for the TLS transport. */
void consensus_transport_tls_close(struct raft_uv_transport *t);

/* Reads the PEM files CERT (this node's NODE certificate, then any chain),
 * KEY (its unencrypted private key) and CA (the cluster CA certificates) and
 * makes the TLS 1.3 context of the transport: *out transferred. Fails with
 * CONSENSUS_ETLS and the reason in errmsg unless the certificate chains to
 * the CA, is a NODE certificate of CLUSTER_ID for server ID and matches the
 * key. Any thread; reads files. */
int consensus_tls_ctx_new(const char *cert, const char *key, const char *ca,
			  const char *cluster_id, uint64_t id, SSL_CTX **out,
			  char *errmsg, size_t errcap);

/* ---- shared by both transports (transport_common.c) -------------------- */

/* The handshake a dialer sends before any RPC (TCP: on the socket; TLS:
 * inside TLS), so that the listener can tell C-raft who is calling:
 *   magic 8 | caller id u64 BE | callee id u64 BE | address length u64 BE
 * then the caller's address (no NUL). The callee id is what the caller
 * meant to reach: a server that is not it (an address now used by another
 * cluster or server, e.g. after a restart on another port) refuses the
 * stream. Each transport has its own magic, so neither mistakes the other's
 * stream for its own. */
#define TRANSPORT_HS_HEAD 32
#define TRANSPORT_HS_ADDR_MAX 255

enum transport_hs_check {
	TRANSPORT_HS_OK = 0,
	TRANSPORT_HS_MALFORMED, /* magic, caller id 0, address length */
	TRANSPORT_HS_NOT_US,	/* well formed, for another server id */
};

/* t->init of either transport: RAFT_NAMETOOLONG (with t->errmsg) if
 * ADDRESS (borrowed) is longer than TRANSPORT_HS_ADDR_MAX, else 0 with it
 * copied into OUT (TRANSPORT_HS_ADDR_MAX + 1 bytes, caller's). */
int transport_address_copy(struct raft_uv_transport *t, const char *address,
			   char *out);

/* Writes the handshake of CALLER, sent to CALLEE, into OUT (caller's,
 * TRANSPORT_HS_HEAD + strlen(ADDRESS) bytes; ADDRESS borrowed, at most
 * TRANSPORT_HS_ADDR_MAX long). Returns the bytes written. */
size_t transport_hs_write(unsigned char *out, const char magic[8],
			  raft_id caller, raft_id callee, const char *address);
/* Judges the head HS (TRANSPORT_HS_HEAD bytes, borrowed) received by
 * server SELF: a transport_hs_check; on TRANSPORT_HS_OK, *ALEN is the
 * length of the address that follows (1..TRANSPORT_HS_ADDR_MAX). */
int transport_hs_head_check(const unsigned char *hs, const char magic[8],
			    raft_id self, size_t *alen);
/* The caller's address in the whole handshake HS of LEN bytes (the buffer
 * has room for one more): NUL-terminated in place, valid as long as HS; or
 * NULL if the address holds a NUL byte. */
const char *transport_hs_address(unsigned char *hs, size_t len);
/* The caller and callee ids of a handshake head HS. */
raft_id transport_hs_caller(const unsigned char *hs);
raft_id transport_hs_callee(const unsigned char *hs);

/* Listening: resolves ADDRESS (borrowed) with AI_PASSIVE. 0 with *res
 * (transferred: freeaddrinfo() it), or RAFT_INVALID (malformed) or
 * RAFT_IOERR (does not resolve) with t->errmsg. */
int transport_listen_resolve(struct raft_uv_transport *t, const char *address,
			     struct addrinfo **res);

/* Dialing: splits ADDRESS (borrowed) into HOST (HOSTCAP bytes, caller's)
 * and *port. 0, or RAFT_NOCONNECTION with t->errmsg. */
int transport_dial_split(struct raft_uv_transport *t, const char *address,
			 char *host, size_t hostcap, unsigned *port);
/* 0 with *ss and *len set if HOST is an IPv4 or IPv6 literal, else -1:
 * it is a name to resolve with transport_dial_resolve. */
int transport_dial_literal(const char *host, unsigned port,
			   struct sockaddr_storage *ss, socklen_t *len);
/* Starts resolving HOST:PORT for a stream on LOOP with G (caller's, its
 * data set by the caller; CB gets the result). uv_getaddrinfo's result. */
int transport_dial_resolve(uv_loop_t *loop, uv_getaddrinfo_t *g,
			   uv_getaddrinfo_cb cb, const char *host,
			   unsigned port);

#endif
