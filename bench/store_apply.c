/* bench_store_apply: how fast the store state machine applies committed
 * entries — N entries of 1 and of 64 small commands (a node record put and
 * an audit record each), on a fresh store per run, median of 5 runs. Each
 * shape runs twice: "plain" (put, then audit: written straight into the
 * entry's transaction) and "guarded" (audit, then put-new: the put-new can
 * fail after a write, so the command runs in a nested transaction).
 * Not a test: it prints figures and the conditions they were taken in.
 *
 *   bench_store_apply [-n ENTRIES] [-r RUNS] [-d DIR]
 *
 * DIR (default $TMPDIR or /tmp) decides the file system: the store runs
 * with MDB_NOSYNC, so it measures page-cache writes, not the disk. */
#include <ftw.h>
#include <getopt.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

struct entry {
	void *buf;
	size_t len;
};

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
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

/* The ops of one command: a node put and its audit record. */
static int cmd_ops(struct store_cmd *c, const struct store_node *node,
		   int guarded)
{
	if (guarded)
		return store_cmd_audit(c, "node.add", node->name) ||
		       store_cmd_put_node(c, STORE_OP_PUT_NEW, node);
	return store_cmd_put_node(c, STORE_OP_PUT, node) ||
	       store_cmd_audit(c, "node.add", node->name);
}

/* Entries of PER commands each; ids scattered so inserts are not appends. */
static struct entry *build(unsigned n, unsigned per, int guarded,
			   size_t *cmd_bytes)
{
	struct entry *e = calloc(n, sizeof *e);
	uint64_t seq = 0;

	for (unsigned i = 0; i < n; i++) {
		uint8_t *buf = NULL;
		size_t len = 0;

		for (unsigned k = 0; k < per; k++, seq++) {
			struct store_node node = {0};
			struct store_cmd *c;
			void *one;
			size_t one_len;

			node.id = (seq * 2654435761u) % 4294967291u + 1;
			snprintf(node.name, sizeof node.name, "node%llu",
				 (unsigned long long)seq);
			snprintf(node.raft_addr, sizeof node.raft_addr,
				 "10.1.%u.%u:9443", (unsigned)(seq >> 8) & 255,
				 (unsigned)seq & 255);
			node.state = STORE_NODE_VOTER;
			if (store_cmd_new(&c, 1, seq, "bench") ||
			    cmd_ops(c, &node, guarded) ||
			    store_cmd_finish(c, &one, &one_len)) {
				fprintf(stderr, "cannot build a command\n");
				exit(1);
			}
			store_cmd_free(c);
			*cmd_bytes = one_len;
			buf = realloc(buf, len + one_len);
			memcpy(buf + len, one, one_len);
			len += one_len;
			free(one);
		}
		e[i].buf = buf;
		e[i].len = len;
	}
	return e;
}

/* One run on a fresh store: entries per second. */
static double run(const char *base, struct entry *e, unsigned n, unsigned per)
{
	char dir[512], err[256];
	struct store *s;
	int rcs[64];
	unsigned n_rcs;
	double t0, t1;

	snprintf(dir, sizeof dir, "%s/ward-bench-store.XXXXXX", base);
	if (!mkdtemp(dir) || store_open(dir, &s, err, sizeof err)) {
		fprintf(stderr, "cannot open a store in %s: %s\n", base, err);
		exit(1);
	}
	t0 = now_s();
	for (unsigned i = 0; i < n; i++) {
		if (store_apply(s, i + 1, e[i].buf, e[i].len, rcs, 64,
				&n_rcs) ||
		    n_rcs != per || rcs[0] != 0) {
			fprintf(stderr, "apply failed at entry %u\n", i + 1);
			exit(1);
		}
	}
	t1 = now_s();
	store_close(s);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return n / (t1 - t0);
}

static void cpu_model(char *out, size_t cap)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(out, cap, "unknown CPU");
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && colon) {
			snprintf(out, cap, "%s", colon + 2);
			out[strcspn(out, "\n")] = '\0';
			break;
		}
	}
	fclose(f);
}

static const char *fs_name(const char *dir)
{
	struct statfs st;

	if (statfs(dir, &st))
		return "?";
	switch ((unsigned long)st.f_type) {
	case 0x01021994:
		return "tmpfs";
	case 0xEF53:
		return "ext4";
	case 0x9123683E:
		return "btrfs";
	case 0x58465342:
		return "xfs";
	case 0x794c7630:
		return "overlayfs";
	default:
		return "other";
	}
}

int main(int argc, char **argv)
{
	static const unsigned shapes[] = {1, 64};
	const char *base = getenv("TMPDIR");
	unsigned n = 20000, runs = 5;
	char cpu[128];
	int opt;

	if (!base || !*base)
		base = "/tmp";
	while ((opt = getopt(argc, argv, "n:r:d:")) != -1) {
		switch (opt) {
		case 'n':
			n = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			runs = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'd':
			base = optarg;
			break;
		default:
			fprintf(stderr,
				"usage: %s [-n ENTRIES] [-r RUNS] [-d DIR]\n",
				argv[0]);
			return 2;
		}
	}
	if (n == 0 || runs == 0 || runs > 99)
		return 2;
	cpu_model(cpu, sizeof cpu);
	printf("bench_store_apply: %s, %ld CPUs online\n", cpu,
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("  %s, MDB_NOSYNC, store in %s (%s), fresh store per run, "
	       "median of %u runs\n",
	       MDB_VERSION_STRING, base, fs_name(base), runs);
	printf("  command = put of a node record + an audit record\n");
	printf("%8s %9s %8s %10s %12s %12s %22s\n", "shape", "cmds/ent",
	       "entries", "cmd bytes", "entries/s", "cmds/s",
	       "range entries/s");
	for (size_t k = 0; k < 2 * sizeof shapes / sizeof *shapes; k++) {
		unsigned per = shapes[k % 2];
		int guarded = (int)(k / 2);
		/* The same number of commands for both shapes. */
		unsigned n_ent = per == 1 ? n : (n / per ? n / per : 1);
		size_t cmd_bytes = 0;
		struct entry *e = build(n_ent, per, guarded, &cmd_bytes);
		double rate[99], med;

		for (unsigned r = 0; r < runs; r++)
			rate[r] = run(base, e, n_ent, per);
		qsort(rate, runs, sizeof *rate, cmp_double);
		med = rate[runs / 2];
		printf("%8s %9u %8u %10zu %12.0f %12.0f %10.0f..%-10.0f\n",
		       guarded ? "guarded" : "plain", per, n_ent, cmd_bytes,
		       med, med * per, rate[0], rate[runs - 1]);
		for (unsigned i = 0; i < n_ent; i++)
			free(e[i].buf);
		free(e);
	}
	return 0;
}
