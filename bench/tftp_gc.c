/* bench_tftp_gc: what the leader's collection of uploads never committed
 * costs (store_cmd_gc_tftp_uploads on a real LMDB store):
 *   - the idle look, every audit_prune_s (60 s), when there is nothing to
 *     collect: FILES committed files of CHUNKS chunks each and 100 uploads
 *     under way (fresh);
 *   - building one full collection command (256 operations) for an
 *     abandoned upload of 1,024 chunks (a 64 MiB file).
 * Chunks hold 64 bytes: the look walks keys, never chunk bytes. Median of
 * RUNS runs, wall time.
 *
 *   bench_tftp_gc [FILES] [CHUNKS] [RUNS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "store/store.h"
#include "store/tftpfiles.h"

#define UUID "00000000-0000-4000-8000-000000000001"
#define HOUR_MS 3600000ull

static struct store *s;
static uint64_t idx;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void apply(struct store_cmd *c)
{
	void *buf;
	size_t len;
	int rcs[1];
	unsigned n;

	if (store_cmd_finish(c, &buf, &len) != 0 ||
	    store_apply(s, ++idx, buf, len, rcs, 1, &n) != 0 || rcs[0] != 0) {
		fprintf(stderr, "apply failed\n");
		exit(1);
	}
	store_cmd_free(c);
	free(buf);
}

static struct store_cmd *cmd(void)
{
	struct store_cmd *c;

	if (store_cmd_new(&c, 1, 1000, "bench") != 0)
		exit(1);
	return c;
}

static void sha_of(unsigned i, uint8_t sha[32])
{
	memset(sha, 0, 32);
	memcpy(sha, &i, sizeof i);
	sha[31] = 0x5a;
}

/* CHUNKS chunks of file I, and its record when NAME is given, or an
 * upload record stamped T. */
static void put_file(unsigned i, unsigned chunks, const char *name,
		     uint64_t t)
{
	static const char data[64] = "chunk";
	struct store_cmd *c = cmd();
	uint8_t sha[32];

	sha_of(i, sha);
	for (unsigned k = 0; k < chunks; k++) {
		if (store_cmd_put_tftp_chunk(c, sha, k, data, sizeof data))
			exit(1);
		if (k % 256 == 255) {
			apply(c);
			c = cmd();
		}
	}
	if (name) {
		struct store_tftp_file f = {.size = (uint64_t)chunks * 64,
					    .chunk_size = 64,
					    .n_chunks = chunks,
					    .uploaded_ms = 1};

		snprintf(f.name, sizeof f.name, "%s", name);
		memcpy(f.sha256, sha, 32);
		if (store_cmd_put_tftp_file(c, NULL, &f))
			exit(1);
	} else {
		struct store_tftp_upload u = {.last_ms = t};

		memcpy(u.sha256, sha, 32);
		if (store_cmd_put_tftp_upload(c, &u))
			exit(1);
	}
	apply(c);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One look at NOW: its seconds, *N operations. */
static double look(uint64_t t, unsigned *n)
{
	struct store_read *r;
	struct store_cmd *c = cmd();
	double t0 = now(), t1;

	if (store_read_begin(s, &r) != 0 ||
	    store_cmd_gc_tftp_uploads(c, r, t, 24 * HOUR_MS, 256, n) != 0)
		exit(1);
	t1 = now();
	store_read_end(r);
	store_cmd_free(c);
	return t1 - t0;
}

int main(int argc, char **argv)
{
	unsigned files = argc > 1 ? (unsigned)atoi(argv[1]) : 1000;
	unsigned chunks = argc > 2 ? (unsigned)atoi(argv[2]) : 64;
	int runs = argc > 3 ? atoi(argv[3]) : 5;
	char dir[] = "/tmp/bench_tftp_gc.XXXXXX", path[64], err[256],
	    name[32];
	struct store_cluster cl = {.schema_version = STORE_SCHEMA_VERSION};
	struct store_cmd *c;
	double t_idle[16], t_full[16];
	unsigned n_idle = 0, n_full = 0;
	uint64_t t0 = 100 * 24 * HOUR_MS;

	if (runs < 1 || runs > 16 || files < 1 || chunks < 1 ||
	    chunks > STORE_TFTP_CHUNKS_MAX || !mkdtemp(dir))
		return 2;
	snprintf(path, sizeof path, "%s/store", dir);
	mkdir(path, 0700);
	if (store_open(path, &s, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	snprintf(cl.id, sizeof cl.id, UUID);
	snprintf(cl.name, sizeof cl.name, "bench");
	c = cmd();
	store_cmd_put_cluster(c, &cl);
	apply(c);
	for (unsigned i = 0; i < files; i++) {
		snprintf(name, sizeof name, "file%u.bin", i);
		put_file(i, chunks, name, 0);
	}
	for (unsigned i = 0; i < 100; i++)
		put_file(files + i, 8, NULL, t0);
	put_file(files + 100, STORE_TFTP_CHUNKS_MAX, NULL, t0 - 25 * HOUR_MS);
	for (int k = 0; k < runs; k++) {
		/* before the abandoned upload is idle: nothing to do */
		t_idle[k] = look(t0 - 2 * HOUR_MS, &n_idle);
		t_full[k] = look(t0, &n_full);
	}
	qsort(t_idle, (size_t)runs, sizeof *t_idle, cmp_d);
	qsort(t_full, (size_t)runs, sizeof *t_full, cmp_d);
	printf("store: %u committed files x %u chunks, 100 uploads under way, "
	       "1 abandoned upload of %u chunks\n",
	       files, chunks, STORE_TFTP_CHUNKS_MAX);
	printf("idle look (nothing to collect, %u ops): %.2f ms (median of "
	       "%d)\n",
	       n_idle, t_idle[runs / 2] * 1e3, runs);
	printf("one collection command (%u ops): %.2f ms (median of %d)\n",
	       n_full, t_full[runs / 2] * 1e3, runs);
	store_close(s);
	snprintf(err, sizeof err, "rm -rf %s", dir);
	return system(err) == 0 ? 0 : 1;
}
