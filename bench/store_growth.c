/* bench_store_growth: what a full map costs when it grows online, and how
 * much map the default must hold.
 *
 * Growth: a store whose map starts at 1 MiB takes entries of 100 records of
 * 1 KB until its map reached 256 MiB (8 doublings), while READERS threads
 * read as fast as they can. It prints the median apply time of an entry
 * that did not grow the map and of one that did (abort, wait for the reads
 * to drain, mdb_env_set_mapsize, apply again), and the longest wait of a
 * read behind a growth. Median of RUNS runs.
 *
 * Sizing (-D N): N devices' records as docs/store.md estimates them — a
 * 1 KB device record, a 1.3 KB certificate, a 400 B user, a 200 B
 * registration, keys in random order, 100 devices per entry — and the size
 * of data.mdb they take.
 *
 *   bench_store_growth [-r RUNS] [-t READERS] [-d DIR] [-D DEVICES]
 *
 * Not a test: it prints figures and the conditions they were taken in. The
 * store runs with MDB_NOSYNC: page-cache writes, not the disk. */
#include <ftw.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

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

static double median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, cmp_double);
	return v[n / 2];
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static struct store *open_fresh(const char *base, char *dir, size_t cap,
				size_t map)
{
	struct store_options o = {.map_size = map};
	struct store *s = NULL;
	char err[256];

	snprintf(dir, cap, "%s/bench-growth.XXXXXX", base);
	if (!mkdtemp(dir) || store_open_with(dir, &o, &s, err, sizeof err)) {
		fprintf(stderr, "open %s: %s\n", dir, err);
		exit(1);
	}
	return s;
}

/* One entry of N records of VLEN bytes, keys KEYFMT % (seed, i). */
static void *entry(uint64_t seed, unsigned n, size_t vlen,
		   enum store_table t, const char *prefix, size_t *len)
{
	static char val[2048];
	struct store_cmd *c;
	char key[48];
	void *buf;

	memset(val, 'v', sizeof val);
	if (store_cmd_new(&c, 1, seed, "bench"))
		exit(1);
	for (unsigned i = 0; i < n; i++) {
		unsigned h = (unsigned)(seed * 100 + i) * 2654435761u;

		snprintf(key, sizeof key, "%s%08X%04u", prefix, h, i);
		if (store_cmd_op(c, STORE_OP_PUT, t, key, strlen(key), val,
				 vlen))
			exit(1);
	}
	if (store_cmd_finish(c, &buf, len))
		exit(1);
	store_cmd_free(c);
	return buf;
}

struct reader {
	pthread_t th;
	struct store *s;
	atomic_int *stop;
	unsigned long reads;
	double max_wait;
};

static void *reader_main(void *arg)
{
	struct reader *rd = arg;

	while (!atomic_load(rd->stop)) {
		struct store_read *r;
		double t0 = now_s(), dt;
		size_t n;

		if (store_read_begin(rd->s, &r))
			continue;
		dt = now_s() - t0;
		if (dt > rd->max_wait)
			rd->max_wait = dt;
		store_count(r, STORE_T_PARAMS, &n);
		store_read_end(r);
		rd->reads++;
	}
	return NULL;
}

struct growth_run {
	double plain_ms, grow_ms, read_wait_ms, reads_per_s;
	unsigned grows;
};

static void growth_run(const char *base, unsigned readers,
		       struct growth_run *out)
{
	char dir[512];
	struct store *s = open_fresh(base, dir, sizeof dir, (size_t)1 << 20);
	struct reader rd[16];
	atomic_int stop = 0;
	double plain[20000], grow[16], t0, start;
	size_t n_plain = 0, n_grow = 0;
	struct store_health h;
	uint64_t index = 1, grows = 0;

	for (unsigned i = 0; i < readers; i++) {
		memset(&rd[i], 0, sizeof rd[i]);
		rd[i].s = s;
		rd[i].stop = &stop;
		pthread_create(&rd[i].th, NULL, reader_main, &rd[i]);
	}
	start = now_s();
	do {
		size_t len;
		void *buf = entry(index, 100, 1000, STORE_T_PARAMS, "k", &len);
		int rcs[1], rc;
		unsigned found;

		t0 = now_s();
		while ((rc = store_apply(s, index, buf, len, rcs, 1,
					 &found)) == STORE_EBUSY)
			;
		if (rc) {
			fprintf(stderr, "apply: %s\n", store_strerror(rc));
			exit(1);
		}
		free(buf);
		store_health_get(s, &h);
		if (h.map_grows > grows) {
			if (n_grow < 16)
				grow[n_grow++] = (now_s() - t0) * 1e3;
			grows = h.map_grows;
		} else if (n_plain < 20000) {
			plain[n_plain++] = (now_s() - t0) * 1e3;
		}
		index++;
	} while (h.map_size < ((uint64_t)256 << 20));
	atomic_store(&stop, 1);
	out->read_wait_ms = 0;
	out->reads_per_s = 0;
	for (unsigned i = 0; i < readers; i++) {
		pthread_join(rd[i].th, NULL);
		if (rd[i].max_wait * 1e3 > out->read_wait_ms)
			out->read_wait_ms = rd[i].max_wait * 1e3;
		out->reads_per_s += (double)rd[i].reads / (now_s() - start);
	}
	out->plain_ms = median(plain, n_plain);
	out->grow_ms = median(grow, n_grow);
	out->grows = (unsigned)grows;
	store_close(s);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void sizing(const char *base, unsigned devices)
{
	static const struct {
		enum store_table t;
		const char *prefix;
		size_t vlen;
	} per_device[] = {
	    {STORE_T_PARAMS, "SEP", 1000},
	    {STORE_T_CERTS, "lsc", 1300},
	    {STORE_T_ADMINS, "user", 400},
	    {STORE_T_NODES, "reg", 200},
	};
	char dir[512];
	struct store *s = open_fresh(base, dir, sizeof dir, (size_t)64 << 20);
	struct store_health h;
	double t0 = now_s();
	uint64_t index = 1;

	for (unsigned d = 0; d < devices; d += 100) {
		for (size_t k = 0; k < 4; k++) {
			size_t len;
			void *buf = entry(d / 100 + 1, 100, per_device[k].vlen,
					  per_device[k].t,
					  per_device[k].prefix, &len);
			int rcs[1];
			unsigned found;

			if (store_apply(s, index++, buf, len, rcs, 1, &found))
				exit(1);
			free(buf);
		}
	}
	store_health_get(s, &h);
	printf("sizing: %u devices (1000+1300+400+200 B each, random keys): "
	       "data.mdb %llu MiB (%.0f B per device, %.2fx the raw bytes), "
	       "map grown %llu times to %llu MiB, %.1f s\n",
	       devices, (unsigned long long)h.data_size >> 20,
	       (double)h.data_size / devices, (double)h.data_size / devices / 2900,
	       (unsigned long long)h.map_grows,
	       (unsigned long long)h.map_size >> 20, now_s() - t0);
	store_close(s);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int main(int argc, char **argv)
{
	const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	unsigned runs = 5, readers = 4, devices = 0;
	struct growth_run r[32];
	double plain[32], grow[32], wait[32], rps[32];
	int opt;

	while ((opt = getopt(argc, argv, "r:t:d:D:")) != -1) {
		switch (opt) {
		case 'r':
			runs = (unsigned)atoi(optarg);
			break;
		case 't':
			readers = (unsigned)atoi(optarg);
			break;
		case 'd':
			base = optarg;
			break;
		case 'D':
			devices = (unsigned)atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-r RUNS] [-t READERS] "
					"[-d DIR] [-D DEVICES]\n",
				argv[0]);
			return 2;
		}
	}
	if (runs < 1 || runs > 32 || readers > 16)
		return 2;
	if (devices) {
		sizing(base, devices);
		return 0;
	}
	for (unsigned i = 0; i < runs; i++) {
		growth_run(base, readers, &r[i]);
		plain[i] = r[i].plain_ms;
		grow[i] = r[i].grow_ms;
		wait[i] = r[i].read_wait_ms;
		rps[i] = r[i].reads_per_s;
	}
	printf("growth: map 1 -> 256 MiB (%u doublings), entries of 100 x 1 KB, "
	       "%u reader threads, %ld cores, dir %s, median of %u runs\n",
	       r[0].grows, readers, sysconf(_SC_NPROCESSORS_ONLN), base, runs);
	printf("  apply, no growth:        %.3f ms\n", median(plain, runs));
	printf("  apply that grew the map: %.3f ms\n", median(grow, runs));
	printf("  longest read wait:       %.3f ms\n", median(wait, runs));
	printf("  reads/s (all readers):   %.0f\n", median(rps, runs));
	return 0;
}
