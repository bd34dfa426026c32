/* bench_dialplan_route: dial-plan lookups per second over the store, as the
 * signaling role makes one per INVITE (store_dialplan_route in its own read
 * transaction, the way directory_store's `route` does). A store of D phones
 * (one line each, spread over 16 partitions), 4 trunks, 10 route or
 * blocking patterns per partition and a CSS of 8 partitions; lookups mix
 * a reachable line (1/2), a number a pattern routes or blocks (1/4) and
 * one nothing reachable holds (1/4). Median of R runs of N lookups on one
 * thread. Not a test: it prints figures and their conditions.
 *
 *   bench_dialplan_route [-d DEVICES] [-n LOOKUPS] [-r RUNS] */
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/dialplan.h"
#include "store/prov.h"
#include "store/store.h"

#define PARTS 16

static uint64_t index_no;

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Applies the one command C (freed) as the next entry. */
static void apply(struct store *s, struct store_cmd *c)
{
	void *buf;
	size_t len;
	int rcs[4];
	unsigned n;

	if (store_cmd_finish(c, &buf, &len) ||
	    store_apply(s, ++index_no, buf, len, rcs, 4, &n) || n != 1 ||
	    rcs[0] != 0) {
		fprintf(stderr, "apply failed at entry %llu\n",
			(unsigned long long)index_no);
		exit(1);
	}
	free(buf);
	store_cmd_free(c);
}

static struct store_cmd *cmd(void)
{
	struct store_cmd *c;

	if (store_cmd_new(&c, 1, index_no, "bench")) {
		fprintf(stderr, "cannot build a command\n");
		exit(1);
	}
	return c;
}

static void provision(struct store *s, unsigned devices)
{
	struct store_css css = {.name = "staff"};
	struct store_cmd *c;

	for (unsigned p = 0; p < PARTS; p++) {
		struct store_partition part = {0};

		snprintf(part.name, sizeof part.name, "part%02u", p);
		c = cmd();
		store_cmd_put_partition(c, STORE_OP_PUT_NEW, &part);
		apply(s, c);
		if (p % 2 == 0)
			snprintf(css.partitions[css.n_partitions++],
				 STORE_NAME_MAX, "%s", part.name);
	}
	c = cmd();
	store_cmd_put_css(c, STORE_OP_PUT_NEW, &css);
	apply(s, c);
	for (unsigned t = 0; t < 4; t++) {
		struct store_device d = {.kind = STORE_DEVICE_TRUNK,
					 .peer_port = 5060};

		snprintf(d.name, sizeof d.name, "trunk%u", t);
		snprintf(d.profile, sizeof d.profile, "trunk-non-secure");
		snprintf(d.peer_host, sizeof d.peer_host, "192.0.2.%u", t + 1);
		snprintf(d.css, sizeof d.css, "staff");
		c = cmd();
		store_cmd_put_device(c, NULL, &d);
		apply(s, c);
	}
	for (unsigned i = 0; i < devices; i++) {
		struct store_device d = {.kind = STORE_DEVICE_PHONE,
					 .n_lines = 1};

		snprintf(d.name, sizeof d.name, "SEP%012X", i);
		snprintf(d.profile, sizeof d.profile, "standard-non-secure");
		snprintf(d.lines[0], sizeof d.lines[0], "%u", 100000 + i);
		snprintf(d.line_partitions[0], sizeof d.line_partitions[0],
			 "part%02u", i % PARTS);
		snprintf(d.css, sizeof d.css, "staff");
		c = cmd();
		store_cmd_put_device(c, NULL, &d);
		apply(s, c);
	}
	/* Ten patterns per partition: 9 then a partition-specific digit,
	 * ranges, X and !, some blocking. */
	for (unsigned p = 0; p < PARTS; p++) {
		static const char *const shapes[] = {
		    "9%u!",	  "9%u[2-9]XXXXXX", "9%u00!",  "9%u1[2-9]XX",
		    "9%uX[0-4]!", "9%u[1-3]XXXX",   "9%u011!", "9%u[5-8]X",
		    "9%u*X",	  "9%u[0-9][0-9]!"};
		for (unsigned k = 0; k < 10; k++) {
			struct store_route_pattern rp = {0};

			snprintf(rp.name, sizeof rp.name, "p%02u-%u", p, k);
			snprintf(rp.partition, sizeof rp.partition, "part%02u",
				 p);
			snprintf(rp.pattern, sizeof rp.pattern, shapes[k],
				 p % 10);
			rp.action = k % 3 == 2 ? STORE_ROUTE_BLOCK
					       : STORE_ROUTE_TO_TRUNK;
			if (rp.action == STORE_ROUTE_TO_TRUNK)
				snprintf(rp.trunk, sizeof rp.trunk, "trunk%u",
					 k % 4);
			c = cmd();
			store_cmd_put_route_pattern(c, NULL, &rp);
			apply(s, c);
		}
	}
}

/* One run: lookups per second. */
static double run(struct store *s, unsigned devices, unsigned n,
		  unsigned *verdicts)
{
	char caller[STORE_NAME_MAX], number[STORE_NAME_MAX];
	struct store_dialplan_answer a;
	uint64_t x = 88172645463325252ull;
	double t0 = now_s();

	for (unsigned i = 0; i < n; i++) {
		unsigned kind = i % 4, d;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		d = (unsigned)(x % devices);
		snprintf(caller, sizeof caller, "SEP%012X", d);
		if (kind < 2) /* a line in a partition of the CSS */
			snprintf(number, sizeof number, "%u",
				 100000 + (d & ~1u) % devices);
		else if (kind == 2) /* out: 9, a partition's digit, ... */
			snprintf(number, sizeof number,
				 (x >> 40) & 1 ? "9%u2345678" : "9%u00123",
				 (unsigned)(x >> 20) % 10);
		else /* nothing reachable: an odd partition's line */
			snprintf(number, sizeof number, "%u",
				 100000 + ((d | 1u) % devices));
		struct store_read *r;

		if (store_read_begin(s, &r) ||
		    store_dialplan_route(r, caller, number, &a)) {
			fprintf(stderr, "lookup failed\n");
			exit(1);
		}
		store_read_end(r);
		verdicts[a.res.verdict]++;
	}
	return n / (now_s() - t0);
}

int main(int argc, char **argv)
{
	const char *base = getenv("TMPDIR");
	unsigned devices = 10000, n = 200000, runs = 5;
	unsigned verdicts[4] = {0};
	double rates[32];
	char dir[512], err[256];
	struct store *s;
	int opt;

	if (!base || !*base)
		base = "/tmp";
	while ((opt = getopt(argc, argv, "d:n:r:")) != -1) {
		switch (opt) {
		case 'd':
			devices = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'n':
			n = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			runs = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr,
				"usage: %s [-d DEVICES] [-n LOOKUPS] "
				"[-r RUNS]\n",
				argv[0]);
			return 2;
		}
	}
	if (devices < 2 || runs == 0 || runs > 32 || n == 0) {
		fprintf(stderr, "bad arguments\n");
		return 2;
	}
	snprintf(dir, sizeof dir, "%s/ward-bench-dialplan.XXXXXX", base);
	if (!mkdtemp(dir) || store_open(dir, &s, err, sizeof err)) {
		fprintf(stderr, "cannot open a store in %s: %s\n", base, err);
		return 1;
	}
	provision(s, devices);
	for (unsigned i = 0; i < runs; i++)
		rates[i] = run(s, devices, n, verdicts);
	qsort(rates, runs, sizeof *rates, cmp_double);
	printf("dial-plan lookups over the store: %u phones in %d partitions, "
	       "CSS of %d, %d patterns; %u lookups x %u runs, one thread\n",
	       devices, PARTS, PARTS / 2, PARTS * 10, n, runs);
	printf("verdicts: %u line, %u route, %u block, %u none\n", verdicts[1],
	       verdicts[2], verdicts[3], verdicts[0]);
	printf("median %.0f lookups/s (min %.0f, max %.0f), %.2f us each\n",
	       rates[runs / 2], rates[0], rates[runs - 1],
	       1e6 / rates[runs / 2]);
	store_close(s);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return 0;
}
