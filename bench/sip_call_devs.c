/* bench_sip_call_devs: what an INVITE pays to read max_calls_per_device's
 * counts (the callee's and the caller's) with CALLS calls in progress:
 * the per-device table (call_devs.h, now) against the walk of every call
 * that did it before (device_calls, copied below), calls allocated and
 * listed as ward does (calloc, call_link). Also the table's upkeep: a
 * call entering and leaving it. Each phone takes part in two calls.
 *   bench_sip_call_devs [RUNS]
 * Prints each size's runs and medians, in ns; wall clock, one thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unistd.h>

struct call;
#define NTA_LEG_MAGIC_T struct call
#define NTA_INCOMING_MAGIC_T struct call
#define NTA_OUTGOING_MAGIC_T struct call

#include <sofia-sip/nta.h>

#include "common/log.h"
#include "node/sip/call_int.h"

#define LOOKUPS 2000 /* INVITEs per run */

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The walk max_calls_per_device read before call_devs (call.c's
 * device_calls as it was). */
static unsigned device_calls(const struct sip_calls *cs, const char *dev)
{
	unsigned n = 0;
	for (const struct call *c = cs->head; c; c = c->next)
		n += strcmp(c->a.dev.name, dev) == 0 ||
		     strcmp(c->b.dev.name, dev) == 0;
	return n;
}

static void dev_name(char *out, size_t cap, unsigned i)
{
	snprintf(out, cap, "SEP%012X", i);
}

static void bench(unsigned ncalls, int runs)
{
	struct sip_call_config cfg;
	struct sip_calls_env env;
	struct sip_calls *cs;
	unsigned phones = ncalls; /* two calls each: a call has two phones */
	double walk[64], table[64], upkeep[64];
	volatile unsigned sink = 0;
	static char a[LOOKUPS][SIP_DIR_NAME_MAX], b[LOOKUPS][SIP_DIR_NAME_MAX];

	sip_call_config_defaults(&cfg);
	cfg.max_calls = ncalls;
	memset(&env, 0, sizeof env);
	if (sip_calls_new(&cfg, &env, &cs) != 0)
		exit(1);
	for (unsigned i = 0; i < ncalls; i++) {
		struct call *c = calloc(1, sizeof *c);
		if (!c)
			exit(1);
		c->cs = cs;
		dev_name(c->a.dev.name, sizeof c->a.dev.name, i);
		dev_name(c->b.dev.name, sizeof c->b.dev.name,
			 (i + phones / 2) % phones);
		if (call_link(c) != 0)
			exit(1);
	}
	for (int r = 0; r < runs; r++) {
		double t0;

		/* Each INVITE: a callee and a caller among the phones. */
		srand(1 + (unsigned)r);
		for (int k = 0; k < LOOKUPS; k++) {
			dev_name(a[k], sizeof a[k], (unsigned)rand() % phones);
			dev_name(b[k], sizeof b[k], (unsigned)rand() % phones);
		}
		t0 = now_ns();
		for (int k = 0; k < LOOKUPS; k++)
			sink += device_calls(cs, a[k]) + device_calls(cs, b[k]);
		walk[r] = (now_ns() - t0) / LOOKUPS;

		t0 = now_ns();
		for (int k = 0; k < LOOKUPS; k++)
			sink += call_devs_calls(&cs->devs, a[k]) +
				call_devs_calls(&cs->devs, b[k]);
		table[r] = (now_ns() - t0) / LOOKUPS;

		/* A new call between them, entering and leaving the table
		 * (call_link, call_free's unlink). */
		t0 = now_ns();
		for (int k = 0; k < LOOKUPS; k++) {
			if (call_devs_enter(&cs->devs, b[k], a[k]) != 0)
				exit(1);
			call_devs_leave(&cs->devs, b[k], a[k]);
		}
		upkeep[r] = (now_ns() - t0) / LOOKUPS;
	}
	if (call_devs_check(cs) != 0) {
		fprintf(stderr, "the table is not what the walk gives\n");
		exit(1);
	}
	printf("%u calls in progress, %u phones (two calls each), %zu-byte "
	       "calls:\n  walk per INVITE (ns):",
	       ncalls, phones, sizeof(struct call));
	for (int r = 0; r < runs; r++)
		printf(" %.0f", walk[r]);
	printf("\n  table per INVITE (ns):");
	for (int r = 0; r < runs; r++)
		printf(" %.0f", table[r]);
	printf("\n  table upkeep per call (ns):");
	for (int r = 0; r < runs; r++)
		printf(" %.0f", upkeep[r]);
	printf("\n  median: walk %.1f us, table %.0f ns per INVITE (callee "
	       "and caller counted); upkeep %.0f ns per call; %zu names, "
	       "%zu buckets\n",
	       median(walk, runs) / 1000, median(table, runs),
	       median(upkeep, runs), cs->devs.names, cs->devs.nbuckets);
	(void)sink;
	sip_calls_free(cs);
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 9;
	double load[3] = {0};

	if (runs < 1 || runs > 64)
		runs = 9;
	log_set_level(LOG_LVL_WARN); /* not a line per call freed */
	if (getloadavg(load, 3) < 0)
		load[0] = load[1] = load[2] = -1;
	printf("bench_sip_call_devs: %d runs of %d INVITEs each, %ld cores, "
	       "load average %.2f %.2f %.2f\n",
	       runs, LOOKUPS, sysconf(_SC_NPROCESSORS_ONLN), load[0], load[1],
	       load[2]);
	bench(1000, runs);
	bench(10000, runs);
	return 0;
}
