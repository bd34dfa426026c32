/* bench_keymgr_jitter: how many concurrent encrypted calls the media relay
 * carries with less than 1 ms of added jitter. CALLS two-leg SRTP calls on
 * loopback; a paced sender plays the A phones, one 20 ms G.711 packet per
 * call every 20 ms, the calls spread evenly over the period (50 x CALLS
 * packets/s); the relay (its own thread, as in wardd) unprotects with A's
 * key and protects with ward's key toward B; a receiver thread reads every
 * B leg from one sink socket. Per packet the transit through the relay is
 * the receive time minus the time just before sendto (one monotonic
 * clock), so the sender's own pacing error does not count.
 *
 * Added jitter is the variation of that transit: per call, RFC 3550's
 * interarrival jitter J (J += (|D| - J) / 16 over successive packets,
 * D = the difference of their transits), reported as the mean over calls,
 * and the 99th percentile of |D| over all packets. Also the transit's
 * median and 99th percentile, and packets lost. Medians of RUNS runs.
 *   bench_keymgr_jitter [SUITE] [CALLS,CALLS,...] [SECONDS] [RUNS] */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "bench/relay_bench.h"

#define PKT_MAX (172 + SRTP_MAX_TRAILER_LEN)
#define PERIOD_NS 20000000L

struct jcall {
	struct relay_bench_call rc;
	int tx_fd;
	/* Receiver side. */
	double last_transit;
	double jitter_ms;
	int have_last;
};

struct jbench {
	enum sdes_suite suite;
	int ncalls;
	double seconds;
	struct event_base *base;
	struct keymgr *km;
	struct relay *relay;
	struct jcall *calls;
	int sink_fd;
	long npackets; /* per call */
	double *sent;  /* [call * npackets + seq]: send time, s */
	float *absd;   /* |D| of every received packet but a call's first, ms */
	float *transit; /* every received packet's transit, ms */
	long nabsd, ntransit, cap;
	atomic_int stop;
};

static double now_s(void)
{
	return relay_bench_clock(CLOCK_MONOTONIC);
}

static void setup(struct jbench *b)
{
	struct sockaddr_storage sink;
	char err[256] = "";

	b->base = event_base_new();
	b->km = keymgr_new(0, err, sizeof err);
	if (!b->base || !b->km ||
	    relay_new(b->base, &b->relay, err, sizeof err) != KEYMGR_OK) {
		fprintf(stderr, "setup: %s\n", err);
		exit(1);
	}
	b->sink_fd = relay_bench_socket(8 << 20);
	sink = relay_bench_addr(b->sink_fd);
	b->calls = calloc((size_t)b->ncalls, sizeof *b->calls);
	for (int i = 0; i < b->ncalls; i++) {
		struct jcall *c = &b->calls[i];

		c->tx_fd = relay_bench_socket(0);
		relay_bench_call_open(b->km, b->relay, b->suite, c->tx_fd,
				      &sink, &c->rc);
	}
	b->npackets = (long)(b->seconds * 50) + 1;
	b->cap = b->npackets * b->ncalls;
	b->sent = calloc((size_t)b->cap, sizeof *b->sent);
	b->absd = malloc((size_t)b->cap * sizeof *b->absd);
	b->transit = malloc((size_t)b->cap * sizeof *b->transit);
	b->nabsd = b->ntransit = 0;
	if (!b->sent || !b->absd || !b->transit) {
		fprintf(stderr, "setup: out of memory\n");
		exit(1);
	}
}

static void teardown(struct jbench *b)
{
	relay_free(b->relay);
	for (int i = 0; i < b->ncalls; i++) {
		relay_bench_call_close(&b->calls[i].rc);
		close(b->calls[i].tx_fd);
	}
	close(b->sink_fd);
	keymgr_free(b->km);
	event_base_free(b->base);
	free(b->calls);
	free(b->sent);
	free(b->absd);
	free(b->transit);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct jbench *b = arg;

	(void)fd;
	(void)what;
	if (atomic_load(&b->stop) == 2)
		event_base_loopbreak(b->base);
}

static void *relay_main(void *arg)
{
	struct jbench *b = arg;
	struct timeval tick = {0, 20000};
	struct event *ev = event_new(b->base, -1, EV_PERSIST, on_tick, b);

	event_add(ev, &tick);
	event_base_dispatch(b->base);
	event_free(ev);
	return NULL;
}

/* The B phones: the SSRC says which call (the sender uses call + 1), the
 * sequence number which packet; RTP headers are in the clear in SRTP. */
static void *recv_main(void *arg)
{
	struct jbench *b = arg;
	uint8_t p[PKT_MAX + 64];
	struct timeval tv = {0, 50000};

	setsockopt(b->sink_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	while (atomic_load(&b->stop) < 2) {
		ssize_t n = recv(b->sink_fd, p, sizeof p, 0);
		double t = now_s(), tr;
		uint32_t ssrc;
		uint16_t seq;
		struct jcall *c;

		if (n < 12)
			continue;
		ssrc = ((uint32_t)p[8] << 24) | ((uint32_t)p[9] << 16) |
		       ((uint32_t)p[10] << 8) | p[11];
		seq = (uint16_t)((p[2] << 8) | p[3]);
		if (ssrc < 1 || ssrc > (uint32_t)b->ncalls ||
		    seq >= b->npackets || b->ntransit >= b->cap)
			continue;
		c = &b->calls[ssrc - 1];
		tr = (t - b->sent[(long)(ssrc - 1) * b->npackets + seq]) * 1e3;
		b->transit[b->ntransit++] = (float)tr;
		if (c->have_last) {
			double d = fabs(tr - c->last_transit);
			c->jitter_ms += (d - c->jitter_ms) / 16;
			b->absd[b->nabsd++] = (float)d;
		}
		c->last_transit = tr;
		c->have_last = 1;
	}
	return NULL;
}

static void sleep_until(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static void *send_main(void *arg)
{
	struct jbench *b = arg;
	double t0 = now_s() + 0.05, slot = 0.020 / b->ncalls;

	for (long k = 0; k < b->npackets; k++) {
		for (int i = 0; i < b->ncalls; i++) {
			struct jcall *c = &b->calls[i];
			uint8_t p[PKT_MAX];
			int len = 172;
			uint32_t ts = (uint32_t)k * 160, ssrc = (uint32_t)i + 1;

			memset(p, 0xd5, 172);
			p[0] = 0x80;
			p[1] = 0;
			p[2] = (uint8_t)(k >> 8);
			p[3] = (uint8_t)k;
			p[4] = (uint8_t)(ts >> 24);
			p[5] = (uint8_t)(ts >> 16);
			p[6] = (uint8_t)(ts >> 8);
			p[7] = (uint8_t)ts;
			p[8] = (uint8_t)(ssrc >> 24);
			p[9] = (uint8_t)(ssrc >> 16);
			p[10] = (uint8_t)(ssrc >> 8);
			p[11] = (uint8_t)ssrc;
			if (srtp_protect(c->rc.a_tx, p, &len) !=
			    srtp_err_status_ok)
				continue;
			sleep_until(t0 + (double)k * 0.020 + i * slot);
			b->sent[(long)i * b->npackets + k] = now_s();
			if (sendto(c->tx_fd, p, (size_t)len, 0,
				   (struct sockaddr *)&c->rc.relay_a,
				   sizeof c->rc.relay_a) < 0)
				perror("sendto");
		}
	}
	return NULL;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static float pct(float *v, long n, double q)
{
	if (n == 0)
		return NAN;
	qsort(v, (size_t)n, sizeof *v, cmp_float);
	return v[(long)(q * (double)(n - 1))];
}

struct result {
	double jitter_mean, d_p99, transit_p50, transit_p99, lost;
};

static struct result run(struct jbench *b)
{
	pthread_t rt, st, rc;
	struct result res = {0};

	setup(b);
	atomic_store(&b->stop, 0);
	pthread_create(&rt, NULL, relay_main, b);
	pthread_create(&rc, NULL, recv_main, b);
	pthread_create(&st, NULL, send_main, b);
	pthread_join(st, NULL);
	usleep(200000);
	atomic_store(&b->stop, 2);
	pthread_join(rc, NULL);
	pthread_join(rt, NULL);
	for (int i = 0; i < b->ncalls; i++)
		res.jitter_mean += b->calls[i].jitter_ms;
	res.jitter_mean /= b->ncalls;
	res.d_p99 = pct(b->absd, b->nabsd, 0.99);
	res.transit_p50 = pct(b->transit, b->ntransit, 0.50);
	res.transit_p99 = pct(b->transit, b->ntransit, 0.99);
	res.lost = (double)(b->cap - b->ntransit);
	teardown(b);
	return res;
}

int main(int argc, char **argv)
{
	struct jbench b = {0};
	char list[256], *save = NULL;
	struct rlimit rl;
	int runs;

	b.suite = sdes_suite_from_name(argc > 1 ? argv[1]
						: "AES_CM_128_HMAC_SHA1_80");
	snprintf(list, sizeof list, "%s",
		 argc > 2 ? argv[2] : "100,500,1000,2000");
	b.seconds = argc > 3 ? atof(argv[3]) : 5;
	runs = argc > 4 ? atoi(argv[4]) : 3;
	if (b.suite == SDES_SUITE_NONE || b.seconds <= 0 || runs < 1 ||
	    runs > 15) {
		fprintf(stderr,
			"usage: %s [SUITE] [CALLS,...] [SECONDS] [RUNS]\n",
			argv[0]);
		return 2;
	}
	/* Three sockets a call. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	printf("relay jitter %s: 20 ms G.711 packets (172 bytes + SRTP), "
	       "%.0f s a run, %d runs, medians; transit = relay in to B out\n",
	       sdes_suite_name(b.suite), b.seconds, runs);
	for (char *t = strtok_r(list, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		double j[15], d[15], p50[15], p99[15], lost[15];

		b.ncalls = atoi(t);
		if (b.ncalls < 1)
			continue;
		for (int i = 0; i < runs; i++) {
			struct result r = run(&b);
			j[i] = r.jitter_mean;
			d[i] = r.d_p99;
			p50[i] = r.transit_p50;
			p99[i] = r.transit_p99;
			lost[i] = r.lost;
		}
		qsort(j, (size_t)runs, sizeof *j, cmp_double);
		qsort(d, (size_t)runs, sizeof *d, cmp_double);
		qsort(p50, (size_t)runs, sizeof *p50, cmp_double);
		qsort(p99, (size_t)runs, sizeof *p99, cmp_double);
		qsort(lost, (size_t)runs, sizeof *lost, cmp_double);
		printf("  %5d calls (%6d packets/s): jitter (RFC 3550, mean "
		       "of calls) %.3f ms, |D| p99 %.3f ms, transit p50 %.3f "
		       "ms p99 %.3f ms, lost %.0f  %s\n",
		       b.ncalls, b.ncalls * 50, j[runs / 2], d[runs / 2],
		       p50[runs / 2], p99[runs / 2], lost[runs / 2],
		       d[runs / 2] < 1.0 ? "< 1 ms" : ">= 1 ms");
	}
	return 0;
}
