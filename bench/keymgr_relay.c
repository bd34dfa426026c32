/* bench_keymgr_relay: SRTP packets relayed per second per core through the
 * key manager's media relay. CALLS two-leg calls on loopback, both legs
 * SRTP with SUITE; a sender thread plays the A phones, sending PACKETS
 * pre-protected 20 ms G.711 packets (172 bytes before SRTP) round-robin,
 * one per call at a time, as fast as it can; the B phones' sockets are
 * sinks. The relay runs on its own thread; the figure is packets relayed
 * (unprotected with A's key, protected with ward's key toward B, sent)
 * divided by the relay thread's CPU time, so it is the per-core rate
 * whatever else the machine runs. Each run sets everything up afresh.
 *   bench_keymgr_relay [SUITE] [CALLS] [PACKETS] [RUNS]
 * SUITE: AES_CM_128_HMAC_SHA1_80 (default), AEAD_AES_128_GCM, ... */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "bench/relay_bench.h"

#define PKT_MAX (172 + SRTP_MAX_TRAILER_LEN)

struct bench_call {
	struct relay_bench_call rc;
	int tx_fd, sink_fd;
	uint32_t ssrc;
};

struct bench {
	enum sdes_suite suite;
	int ncalls;
	long npackets;
	struct event_base *base;
	struct keymgr *km;
	struct relay *relay;
	struct bench_call *calls;
	uint8_t (*pkts)[PKT_MAX];
	int *lens;
	atomic_int stop;
	double relay_cpu, relay_wall, send_wall;
};

#define clock_s relay_bench_clock

static void setup(struct bench *b)
{
	char err[256] = "";

	b->base = event_base_new();
	b->km = keymgr_new(0, err, sizeof err);
	if (!b->base || !b->km ||
	    relay_new(b->base, &b->relay, err, sizeof err) != KEYMGR_OK) {
		fprintf(stderr, "setup: %s\n", err);
		exit(1);
	}
	b->calls = calloc((size_t)b->ncalls, sizeof *b->calls);
	for (int i = 0; i < b->ncalls; i++) {
		struct bench_call *c = &b->calls[i];
		struct sockaddr_storage sink;

		c->tx_fd = relay_bench_socket(0);
		c->sink_fd = relay_bench_socket(4096);
		sink = relay_bench_addr(c->sink_fd);
		relay_bench_call_open(b->km, b->relay, b->suite, c->tx_fd,
				      &sink, &c->rc);
		RAND_bytes((unsigned char *)&c->ssrc, sizeof c->ssrc);
	}
	/* Packet j belongs to call j % CALLS, in sequence within its call. */
	b->pkts = malloc((size_t)b->npackets * PKT_MAX);
	b->lens = malloc((size_t)b->npackets * sizeof *b->lens);
	for (long j = 0; j < b->npackets; j++) {
		struct bench_call *c = &b->calls[j % b->ncalls];
		uint32_t seq = (uint32_t)(j / b->ncalls);
		uint8_t *p = b->pkts[j];
		int len = 172;

		memset(p, 0xd5, 172); /* G.711 silence */
		p[0] = 0x80;
		p[1] = 0;
		p[2] = (uint8_t)(seq >> 8);
		p[3] = (uint8_t)seq;
		p[4] = (uint8_t)((seq * 160) >> 24);
		p[5] = (uint8_t)((seq * 160) >> 16);
		p[6] = (uint8_t)((seq * 160) >> 8);
		p[7] = (uint8_t)(seq * 160);
		memcpy(p + 8, &c->ssrc, 4);
		if (srtp_protect(c->rc.a_tx, p, &len) != srtp_err_status_ok) {
			fprintf(stderr, "setup: protect\n");
			exit(1);
		}
		b->lens[j] = len;
	}
}

static void teardown(struct bench *b)
{
	relay_free(b->relay);
	for (int i = 0; i < b->ncalls; i++) {
		relay_bench_call_close(&b->calls[i].rc);
		close(b->calls[i].tx_fd);
		close(b->calls[i].sink_fd);
	}
	keymgr_free(b->km);
	event_base_free(b->base);
	free(b->calls);
	free(b->pkts);
	free(b->lens);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct bench *b = arg;

	(void)fd;
	(void)what;
	if (atomic_load(&b->stop))
		event_base_loopbreak(b->base);
}

static void *relay_main(void *arg)
{
	struct bench *b = arg;
	struct timeval tick = {0, 20000};
	struct event *ev = event_new(b->base, -1, EV_PERSIST, on_tick, b);
	double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
	double w0 = clock_s(CLOCK_MONOTONIC);

	event_add(ev, &tick);
	event_base_dispatch(b->base);
	b->relay_cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	b->relay_wall = clock_s(CLOCK_MONOTONIC) - w0;
	event_free(ev);
	return NULL;
}

static void *send_main(void *arg)
{
	struct bench *b = arg;
	double w0 = clock_s(CLOCK_MONOTONIC);

	for (long j = 0; j < b->npackets; j++) {
		struct bench_call *c = &b->calls[j % b->ncalls];

		if (sendto(c->tx_fd, b->pkts[j], (size_t)b->lens[j], 0,
			   (struct sockaddr *)&c->rc.relay_a,
			   sizeof c->rc.relay_a) < 0)
			perror("sendto");
		/* Leave the relay a chance to keep up on a shared machine. */
		if (j % 4096 == 4095)
			sched_yield();
	}
	b->send_wall = clock_s(CLOCK_MONOTONIC) - w0;
	return NULL;
}

struct result {
	double per_core, relayed, dropped;
};

static struct result run(struct bench *b)
{
	pthread_t rt, st;
	struct result res = {0};
	uint64_t tx = 0, rx = 0, bad = 0;

	setup(b);
	atomic_store(&b->stop, 0);
	pthread_create(&rt, NULL, relay_main, b);
	pthread_create(&st, NULL, send_main, b);
	pthread_join(st, NULL);
	usleep(200000); /* let the relay drain its sockets */
	atomic_store(&b->stop, 1);
	pthread_join(rt, NULL);
	for (int i = 0; i < b->ncalls; i++) {
		struct relay_stats s;

		relay_session_stats(b->calls[i].rc.s, KEYMGR_SIDE_A, &s);
		tx += s.tx;
		rx += s.rx;
		bad += s.dropped_auth + s.dropped_source + s.dropped_other;
	}
	if (bad)
		fprintf(stderr, "warning: %llu packets refused by the relay\n",
			(unsigned long long)bad);
	res.per_core = (double)tx / b->relay_cpu;
	res.relayed = (double)tx;
	res.dropped = (double)(b->npackets - (long)rx); /* socket overflow */
	teardown(b);
	return res;
}

static int cmp_result(const void *a, const void *b)
{
	double x = ((const struct result *)a)->per_core;
	double y = ((const struct result *)b)->per_core;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	struct bench b = {0};
	struct result r[32];
	int runs;

	b.suite = sdes_suite_from_name(argc > 1 ? argv[1]
						: "AES_CM_128_HMAC_SHA1_80");
	b.ncalls = argc > 2 ? atoi(argv[2]) : 100;
	b.npackets = argc > 3 ? atol(argv[3]) : 200000;
	runs = argc > 4 ? atoi(argv[4]) : 5;
	if (b.suite == SDES_SUITE_NONE || b.ncalls < 1 || b.npackets < 1 ||
	    runs < 1 || runs > 32) {
		fprintf(stderr, "usage: %s [SUITE] [CALLS] [PACKETS] [RUNS]\n",
			argv[0]);
		return 2;
	}
	printf("relay %s: %d calls, %ld packets/run of 172 bytes + SRTP, "
	       "%d runs; rate = relayed / relay thread CPU time\n",
	       sdes_suite_name(b.suite), b.ncalls, b.npackets, runs);
	for (int i = 0; i < runs; i++) {
		r[i] = run(&b);
		printf("  run %d: %8.0f packets/s per core  (relayed %.0f, "
		       "lost before the relay %.0f, relay CPU %.3f s of "
		       "%.3f s)\n",
		       i + 1, r[i].per_core, r[i].relayed, r[i].dropped,
		       b.relay_cpu, b.relay_wall);
	}
	qsort(r, (size_t)runs, sizeof *r, cmp_result);
	printf("  median %.0f packets/s per core (min %.0f, max %.0f)\n",
	       r[runs / 2].per_core, r[0].per_core, r[runs - 1].per_core);
	return 0;
}
