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
 * C-raft only reads, writes and closes the streams it is given, so nothing
 * else in consensus/ depends on which one runs.
 *
 * Contract (raft/uv.h): accept_cb/connect_cb hand over a uv stream allocated
 * with raft_malloc(); C-raft closes and raft_free()s it. Everything runs on
 * the loop thread unless a function says otherwise.
 */
#ifndef WARD_CONSENSUS_TRANSPORT_H
#define WARD_CONSENSUS_TRANSPORT_H

#include <stdint.h>

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

/* Splits "host:port" or "[v6]:port" into host and port. Returns 0, or -1 if
 * malformed (no port, port out of range, host too long). */
int consensus_address_split(const char *address, char *host, size_t hostcap,
			    unsigned *port);

#endif
