/* bench_raft_commits: commit throughput and latency of a real 3-server
 * cluster on loopback — three processes, each a store and a consensus
 * server over TCP on 127.0.0.1, Raft log and LMDB on disk. The leader's
 * process proposes N PUT commands with 1 and with 64 in flight; a commit is
 * counted when the proposer's callback ran (applied on the leader, so
 * replicated to a majority and fsync'ed there). Median of RUNS runs.
 * Not a test: it prints figures and the conditions they were taken in.
 *
 *   bench_raft_commits [-n N] [-r RUNS] [-p PAYLOAD] [-d DIR]
 *                      [-e ELECTION_MS] [-b HEARTBEAT_MS] [-s THRESHOLD]
 *
 * DIR (default $TMPDIR or /tmp) decides the file system of the Raft logs.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "raft_node.h"

struct result {
	double rate;
	double p50, p99, max; /* ms */
	unsigned errors;
	size_t cmd_len;
	unsigned slow; /* commits above 10 ms */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int run_load(struct rb_cluster *cl, unsigned n, unsigned k,
		    unsigned payload, unsigned run, struct result *out)
{
	char cmd[128], reply[256];
	unsigned long long p50, p99, max;
	unsigned got;
	int l = rb_leader(cl);

	if (l < 0)
		return -1;
	snprintf(cmd, sizeof cmd, "LOAD %u %u %u %u\n", n, k, payload, run);
	if (rb_command(cl, (unsigned)l, cmd, reply, sizeof reply, 600000) != 0)
		return -1;
	if (sscanf(reply, "load %u %lf %llu %llu %llu %u %zu %u", &got,
		   &out->rate, &p50, &p99, &max, &out->errors, &out->cmd_len,
		   &out->slow) != 8)
		return -1;
	out->p50 = p50 / 1000.0;
	out->p99 = p99 / 1000.0;
	out->max = max / 1000.0;
	return 0;
}

static const char *fs_name(const char *dir)
{
	struct statfs sf;

	if (statfs(dir, &sf) != 0)
		return "?";
	switch ((unsigned long)sf.f_type) {
	case 0xEF53:
		return "ext4";
	case 0x01021994:
		return "tmpfs";
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
	static const unsigned inflight[] = {1, 64};
	struct rb_cluster cl;
	const char *dir = getenv("TMPDIR");
	unsigned n = 5000, runs = 5, payload = 100;
	struct utsname un;
	int opt;

	signal(SIGPIPE, SIG_IGN); /* a dead child's pipe must not kill us */
	memset(&cl, 0, sizeof cl);
	cl.election_ms = 300;
	cl.heartbeat_ms = 50;
	cl.snapshot_threshold = 4096;
	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	while ((opt = getopt(argc, argv, "n:r:p:d:e:b:s:")) != -1) {
		switch (opt) {
		case 'n':
			n = (unsigned)atoi(optarg);
			break;
		case 'r':
			runs = (unsigned)atoi(optarg);
			break;
		case 'p':
			payload = (unsigned)atoi(optarg);
			break;
		case 'd':
			dir = optarg;
			break;
		case 'e':
			cl.election_ms = (unsigned)atoi(optarg);
			break;
		case 'b':
			cl.heartbeat_ms = (unsigned)atoi(optarg);
			break;
		case 's':
			cl.snapshot_threshold = (unsigned)atoi(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: %s [-n N] [-r RUNS] [-p PAYLOAD] "
				"[-d DIR] [-e ELECTION_MS] [-b HEARTBEAT_MS] "
				"[-s SNAPSHOT_THRESHOLD]\n",
				argv[0]);
			return 2;
		}
	}
	if (n < 100 || runs == 0 || runs > 50) {
		fprintf(stderr, "bench: N >= 100 and 1 <= RUNS <= 50\n");
		return 2;
	}
	if (rb_cluster_start(&cl, 3, dir) != 0) {
		rb_cluster_stop(&cl);
		return 1;
	}
	uname(&un);
	printf("bench_raft_commits: 3 voters, 3 processes, loopback TCP "
	       "(TCP_NODELAY)\n");
	printf("conditions: %ld cores, %s %s, logs on %s (%s), election %u ms, "
	       "heartbeat %u ms, snapshot every %u entries\n",
	       sysconf(_SC_NPROCESSORS_ONLN), un.sysname, un.release, dir,
	       fs_name(dir), cl.election_ms, cl.heartbeat_ms,
	       cl.snapshot_threshold);

	for (unsigned f = 0; f < sizeof inflight / sizeof *inflight; f++) {
		double rate[50], p50[50], p99[50], max[50], worst = 0;
		unsigned errors = 0, slow = 0;
		size_t cmd_len = 0;
		unsigned nn = inflight[f] == 1 ? n : n * 4;

		for (unsigned r = 0; r < runs; r++) {
			struct result res;

			if (run_load(&cl, nn, inflight[f], payload, f * 100 + r,
				     &res) != 0) {
				fprintf(stderr, "bench: run failed\n");
				rb_cluster_stop(&cl);
				return 1;
			}
			rate[r] = res.rate;
			p50[r] = res.p50;
			p99[r] = res.p99;
			max[r] = res.max;
			if (res.max > worst)
				worst = res.max;
			errors += res.errors;
			slow += res.slow;
			cmd_len = res.cmd_len;
			fprintf(stderr,
				"  run %u, %u in flight: %.0f commits/s, p50 "
				"%.2f ms, p99 %.2f ms, max %.2f ms, %u over "
				"10 ms\n",
				r + 1, inflight[f], res.rate, res.p50, res.p99,
				res.max, res.slow);
		}
		printf("%2u in flight: %u commits x %u runs, payload %u B "
		       "(command %zu B): %.0f commits/s, p50 %.2f ms, "
		       "p99 %.2f ms, max %.2f ms (median of runs; worst max "
		       "%.2f ms; %u of %u commits over 10 ms), %u errors\n",
		       inflight[f], nn, runs, payload, cmd_len,
		       median(rate, runs), median(p50, runs), median(p99, runs),
		       median(max, runs), worst, slow, nn * runs, errors);
		fflush(stdout);
	}
	rb_cluster_stop(&cl);
	return 0;
}
