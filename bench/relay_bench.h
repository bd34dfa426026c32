/* relay_bench: what the media relay's benchmarks share — loopback UDP
 * sockets, and a two-leg SRTP call through a relay whose A phone sends
 * from TX_FD with its own key (kept for the sender) and whose B leg ends
 * at B_REMOTE. Benchmarks only; exits on a set-up error. */
#ifndef WARD_BENCH_RELAY_BENCH_H
#define WARD_BENCH_RELAY_BENCH_H

#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include "node/keymgr/relay.h"

struct relay_bench_call {
	struct keymgr_call *call;
	struct relay_session *s;
	struct sockaddr_in relay_a; /* where A's packets go */
	srtp_t a_tx;		    /* A's sending context */
};

/* Seconds on clock ID. */
double relay_bench_clock(clockid_t id);
/* A UDP socket on 127.0.0.1, an ephemeral port; RCVBUF if not 0. */
int relay_bench_socket(int rcvbuf);
/* The address FD is bound to. */
struct sockaddr_storage relay_bench_addr(int fd);
/* A call of SUITE both ways, A sending from TX_FD, B's media to
 * B_REMOTE; rtcp-mux on both legs. */
void relay_bench_call_open(struct keymgr *km, struct relay *relay,
			   enum sdes_suite suite, int tx_fd,
			   const struct sockaddr_storage *b_remote,
			   struct relay_bench_call *c);
/* Frees what relay_bench_call_open made (the relay's session goes with
 * relay_free). */
void relay_bench_call_close(struct relay_bench_call *c);

#endif
