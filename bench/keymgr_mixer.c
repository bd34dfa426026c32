/* bench_keymgr_mixer: what the conference mixer costs the media thread.
 * CONFS conferences of three parties on loopback, every party's leg SRTP
 * with SUITE; the parties' sockets are sinks and the parties are silent,
 * so each 20 ms tick per conference is: three frames mixed N-1, three
 * packets of 160 G.711 bytes encoded, protected with ward's key toward
 * each party and sent. (A party's speech adds one unprotect and one
 * decode per packet on arrival, as much as a relayed packet's unprotect.)
 * The figure is the media thread's CPU time per conference-tick and the
 * conferences one core carries at that cost (20 ms / cost), medians of
 * RUNS runs of SECONDS each.
 *   bench_keymgr_mixer [SUITE] [CONFS] [SECONDS] [RUNS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "bench/relay_bench.h"
#include "node/keymgr/mixer.h"

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	enum sdes_suite suite = sdes_suite_from_name(
	    argc > 1 ? argv[1] : "AES_CM_128_HMAC_SHA1_80");
	int confs = argc > 2 ? atoi(argv[2]) : 100;
	double secs = argc > 3 ? atof(argv[3]) : 3;
	int runs = argc > 4 ? atoi(argv[4]) : 5;
	struct rlimit rl;
	double cost[32];
	char err[256] = "";

	if (suite == SDES_SUITE_NONE || confs < 1 || secs <= 0 || runs < 1 ||
	    runs > 32) {
		fprintf(stderr, "usage: %s [SUITE] [CONFS] [SECONDS] [RUNS]\n",
			argv[0]);
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	printf("mixer %s: %d conferences of 3 parties, %.1f s per run, %d "
	       "runs; cost = media thread CPU per conference per 20 ms tick\n",
	       sdes_suite_name(suite), confs, secs, runs);
	for (int r = 0; r < runs; r++) {
		struct event_base *base = event_base_new();
		struct keymgr *km = keymgr_new(0, err, sizeof err);
		struct relay *relay;
		struct mixer **mx = calloc((size_t)confs, sizeof *mx);
		struct relay_bench_call *calls =
		    calloc((size_t)confs * 3, sizeof *calls);
		int *fds = calloc((size_t)confs * 3, sizeof *fds);
		struct timeval tv = {
		    (time_t)secs, (suseconds_t)((secs - (time_t)secs) * 1e6)};
		double c0, c1, w0, w1, ticks;

		if (!base || !km || !mx || !calls || !fds ||
		    relay_new(base, &relay, err, sizeof err) != KEYMGR_OK) {
			fprintf(stderr, "setup: %s\n", err);
			return 1;
		}
		for (int k = 0; k < confs; k++) {
			if (mixer_new(relay, 3, &mx[k]) != KEYMGR_OK)
				return 1;
			for (int p = 0; p < 3; p++) {
				struct relay_bench_call *c = &calls[k * 3 + p];
				struct sockaddr_storage sink;

				fds[k * 3 + p] = relay_bench_socket(4096);
				sink = relay_bench_addr(fds[k * 3 + p]);
				relay_bench_call_open(km, relay, suite,
						      fds[k * 3 + p], &sink, c);
				if (mixer_add(mx[k], c->s, KEYMGR_SIDE_A, 0) !=
				    KEYMGR_OK)
					return 1;
			}
		}
		event_base_loopexit(base, &tv);
		c0 = relay_bench_clock(CLOCK_THREAD_CPUTIME_ID);
		w0 = relay_bench_clock(CLOCK_MONOTONIC);
		event_base_dispatch(base);
		c1 = relay_bench_clock(CLOCK_THREAD_CPUTIME_ID);
		w1 = relay_bench_clock(CLOCK_MONOTONIC);
		ticks = (w1 - w0) / 0.020 * confs;
		cost[r] = (c1 - c0) / ticks;
		printf("  run %d: %6.2f us per conference-tick (CPU %.3f s of "
		       "%.3f s)\n",
		       r + 1, cost[r] * 1e6, c1 - c0, w1 - w0);
		for (int k = 0; k < confs; k++)
			mixer_free(mx[k]);
		relay_free(relay);
		for (int i = 0; i < confs * 3; i++) {
			relay_bench_call_close(&calls[i]);
			close(fds[i]);
		}
		keymgr_free(km);
		event_base_free(base);
		free(mx);
		free(calls);
		free(fds);
	}
	qsort(cost, (size_t)runs, sizeof cost[0], cmp);
	printf("median: %.2f us per 3-party conference per 20 ms; one core "
	       "carries about %.0f such conferences\n",
	       cost[runs / 2] * 1e6, 0.020 / cost[runs / 2]);
	return 0;
}
