/* consensus/transport: how Raft servers reach each other — the
 * raft_uv_transport that C-raft's libuv I/O uses for every RPC. Internal to
 * consensus/.
 *
 * The transport is a replaceable part. Today transport_tcp.c: plain TCP with
 * TCP_NODELAY (C-raft's own raft_uv_tcp_init leaves Nagle on, which stalls
 * small RPCs behind delayed ACKs). A mutual-TLS transport replaces that file
 * behind the same two functions: it hands C-raft a uv stream carrying
 * plaintext (e.g. one end of a socketpair pumped through OpenSSL on the same
 * loop) once the peer's certificate has been checked against the server id it
 * claims in the handshake. C-raft only reads, writes and closes the streams
 * it is given, so nothing else in consensus/ changes.
 *
 * Contract (raft/uv.h): accept_cb/connect_cb hand over a uv stream allocated
 * with raft_malloc(); C-raft closes and raft_free()s it. Everything runs on
 * the loop thread.
 */
#ifndef WARD_CONSENSUS_TRANSPORT_H
#define WARD_CONSENSUS_TRANSPORT_H

#include <raft/uv.h>

/* Fills T (caller-owned memory, must stay valid until the close callback
 * C-raft passes to t->close() has run) with a transport on LOOP. Returns 0 or
 * a RAFT_* code. */
int consensus_transport_init(struct raft_uv_transport *t, uv_loop_t *loop);
/* Frees what init allocated, after t->close() completed (or if it was never
 * used). Accepts a transport whose init failed. */
void consensus_transport_close(struct raft_uv_transport *t);

/* Splits "host:port" or "[v6]:port" into host and port. Returns 0, or -1 if
 * malformed (no port, port out of range, host too long). */
int consensus_address_split(const char *address, char *host, size_t hostcap,
			    unsigned *port);

#endif
