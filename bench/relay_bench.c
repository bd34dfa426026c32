/* relay_bench: the media relay benchmarks' shared set-up. */
#include "bench/relay_bench.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

double relay_bench_clock(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int relay_bench_socket(int rcvbuf)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		perror("bind");
		exit(1);
	}
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	return fd;
}

struct sockaddr_storage relay_bench_addr(int fd)
{
	struct sockaddr_storage ss = {0};
	socklen_t len = sizeof ss;

	getsockname(fd, (struct sockaddr *)&ss, &len);
	return ss;
}

static void random_key(enum sdes_suite suite, struct sdes_crypto *c)
{
	memset(c, 0, sizeof *c);
	c->tag = 1;
	c->suite = suite;
	c->key_len = sdes_suite_key_len(suite);
	c->salt_len = sdes_suite_salt_len(suite);
	RAND_bytes(c->key, (int)c->key_len);
	RAND_bytes(c->salt, (int)c->salt_len);
}

void relay_bench_call_open(struct keymgr *km, struct relay *relay,
			   enum sdes_suite suite, int tx_fd,
			   const struct sockaddr_storage *b_remote,
			   struct relay_bench_call *c)
{
	struct relay_leg_config legs[2] = {0};
	struct sockaddr_storage la;
	struct sdes_crypto a_own, b_own;
	char err[256] = "";

	random_key(suite, &a_own);
	random_key(suite, &b_own);
	if (keymgr_call_new(km, &c->call) != KEYMGR_OK ||
	    keymgr_call_import(c->call, KEYMGR_SIDE_A, &a_own) ||
	    keymgr_call_import(c->call, KEYMGR_SIDE_B, &b_own) ||
	    keymgr_call_generate(c->call, KEYMGR_SIDE_A, suite) ||
	    keymgr_call_generate(c->call, KEYMGR_SIDE_B, suite) ||
	    relay_srtp_create(&c->a_tx, suite, a_own.key, a_own.key_len,
			      a_own.salt, a_own.salt_len, 0)) {
		fprintf(stderr, "setup: keys\n");
		exit(1);
	}
	la = relay_bench_addr(tx_fd);
	((struct sockaddr_in *)&la)->sin_port = 0;
	legs[0].local = legs[1].local = la;
	legs[0].remote = relay_bench_addr(tx_fd);
	legs[1].remote = *b_remote;
	legs[0].srtp = legs[1].srtp = 1;
	legs[0].rtcp_mux = legs[1].rtcp_mux = 1;
	if (relay_session_new(relay, c->call, legs, 0, &c->s, err,
			      sizeof err) != KEYMGR_OK) {
		fprintf(stderr, "setup: %s\n", err);
		exit(1);
	}
	memset(&c->relay_a, 0, sizeof c->relay_a);
	c->relay_a.sin_family = AF_INET;
	c->relay_a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->relay_a.sin_port =
	    htons((uint16_t)relay_session_port(c->s, KEYMGR_SIDE_A));
	sdes_crypto_wipe(&a_own);
	sdes_crypto_wipe(&b_own);
}

void relay_bench_call_close(struct relay_bench_call *c)
{
	keymgr_call_free(c->call);
	srtp_dealloc(c->a_tx);
}
