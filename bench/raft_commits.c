/* bench_raft_commits: commit throughput and latency of a real 3-server
 * cluster on loopback — three processes, each a store and a consensus
 * server over TCP on 127.0.0.1, Raft log and LMDB on disk. The leader's
 * process proposes N PUT commands with 1 and with 64 in flight; a commit is
 * counted when the proposer's callback ran (applied on the leader, so
 * replicated to a majority and fsync'ed there). Median of RUNS runs.
 * Not a test: it prints figures and the conditions they were taken in.
 *
 *   bench_raft_commits [--tls] [-n N] [-r RUNS] [-p PAYLOAD] [-d DIR]
 *                      [-e ELECTION_MS] [-b HEARTBEAT_MS] [-s THRESHOLD]
 *
 * DIR (default $TMPDIR or /tmp) decides the file system of the Raft logs.
 * --tls runs two clusters side by side, plain TCP and mutual TLS, with their
 * runs interleaved (so both see the same machine and disk), and prints both
 * and the ratio TLS / TCP.
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

struct series {
	double rate[50], p50[50], p99[50], max[50], worst;
	unsigned errors, slow;
	size_t cmd_len;
};

static const char *const transport_name[] = {"tcp", "tls"};

static void series_print(const char *name, const struct series *s,
			 unsigned inflight, unsigned nn, unsigned runs,
			 unsigned payload, double *rate, double *p50)
{
	struct series m = *s; /* median() sorts */

	*rate = median(m.rate, runs);
	*p50 = median(m.p50, runs);
	printf("%s%2u in flight: %u commits x %u runs, payload %u B "
	       "(command %zu B): %.0f commits/s, p50 %.2f ms, p99 %.2f ms, "
	       "max %.2f ms (median of runs; worst max %.2f ms; %u of %u "
	       "commits over 10 ms), %u errors\n",
	       name, inflight, nn, runs, payload, s->cmd_len, *rate, *p50,
	       median(m.p99, runs), median(m.max, runs), s->worst, s->slow,
	       nn * runs, s->errors);
}

int main(int argc, char **argv)
{
	static const unsigned inflight[] = {1, 64};
	static const struct option longopts[] = {
	    {"tls", no_argument, NULL, 't'}, {NULL, 0, NULL, 0}};
	struct rb_cluster cl[2];
	const char *dir = getenv("TMPDIR");
	unsigned n = 5000, runs = 5, payload = 100, modes = 1, first = 0;
	unsigned election = 300, heartbeat = 50, threshold = 4096;
	struct utsname un;
	int opt;

	signal(SIGPIPE, SIG_IGN); /* a dead child's pipe must not kill us */
	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	while ((opt = getopt_long(argc, argv, "tn:r:p:d:e:b:s:", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 't':
			modes = 2;
			break;
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
			election = (unsigned)atoi(optarg);
			break;
		case 'b':
			heartbeat = (unsigned)atoi(optarg);
			break;
		case 's':
			threshold = (unsigned)atoi(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: %s [--tls] [-n N] [-r RUNS] "
				"[-p PAYLOAD] [-d DIR] [-e ELECTION_MS] "
				"[-b HEARTBEAT_MS] [-s SNAPSHOT_THRESHOLD]\n",
				argv[0]);
			return 2;
		}
	}
	if (n < 100 || runs == 0 || runs > 50) {
		fprintf(stderr, "bench: N >= 100 and 1 <= RUNS <= 50\n");
		return 2;
	}
	memset(cl, 0, sizeof cl);
	for (unsigned m = 0; m < modes; m++) {
		cl[m].election_ms = election;
		cl[m].heartbeat_ms = heartbeat;
		cl[m].snapshot_threshold = threshold;
		cl[m].tls = m == 1;
		if (rb_cluster_start(&cl[m], 3, dir) != 0) {
			for (unsigned j = 0; j <= m; j++)
				rb_cluster_stop(&cl[j]);
			return 1;
		}
	}
	uname(&un);
	if (modes == 2)
		printf("bench_raft_commits: 3 voters, 3 processes per cluster; "
		       "two clusters side by side, runs interleaved: tcp = "
		       "plain loopback TCP, tls = mutual TLS 1.3 (ECDSA P-256 "
		       "node certificates, AES-128-GCM), both TCP_NODELAY\n");
	else
		printf("bench_raft_commits: 3 voters, 3 processes, loopback "
		       "TCP (TCP_NODELAY)\n");
	printf("conditions: %ld cores, %s %s, logs on %s (%s), election %u ms, "
	       "heartbeat %u ms, snapshot every %u entries\n",
	       sysconf(_SC_NPROCESSORS_ONLN), un.sysname, un.release, dir,
	       fs_name(dir), election, heartbeat, threshold);

	for (unsigned f = 0; f < sizeof inflight / sizeof *inflight; f++) {
		struct series s[2];
		unsigned nn = inflight[f] == 1 ? n : n * 4;
		double rate[2], p50[2];

		memset(s, 0, sizeof s);
		for (unsigned r = 0; r < runs; r++) {
			/* Alternate which transport goes first. */
			for (unsigned mm = 0; mm < modes; mm++) {
				unsigned m = (mm + first) % modes;
				struct result res;

				if (run_load(&cl[m], nn, inflight[f], payload,
					     f * 100 + r, &res) != 0) {
					fprintf(stderr, "bench: run failed\n");
					for (unsigned j = 0; j < modes; j++)
						rb_cluster_stop(&cl[j]);
					return 1;
				}
				s[m].rate[r] = res.rate;
				s[m].p50[r] = res.p50;
				s[m].p99[r] = res.p99;
				s[m].max[r] = res.max;
				if (res.max > s[m].worst)
					s[m].worst = res.max;
				s[m].errors += res.errors;
				s[m].slow += res.slow;
				s[m].cmd_len = res.cmd_len;
				fprintf(stderr,
					"  %s run %u, %u in flight: %.0f "
					"commits/s, p50 %.2f ms, p99 %.2f ms, "
					"max %.2f ms, %u over 10 ms\n",
					transport_name[m], r + 1, inflight[f],
					res.rate, res.p50, res.p99, res.max,
					res.slow);
			}
			first = (first + 1) % modes;
		}
		for (unsigned m = 0; m < modes; m++)
			series_print(modes == 2 ? (m ? "tls " : "tcp ") : "",
				     &s[m], inflight[f], nn, runs, payload,
				     &rate[m], &p50[m]);
		if (modes == 2)
			printf("tls/tcp %2u in flight: commits/s x%.3f, p50 "
			       "x%.3f (%+.3f ms)\n",
			       inflight[f], rate[1] / rate[0], p50[1] / p50[0],
			       p50[1] - p50[0]);
		fflush(stdout);
	}
	for (unsigned m = 0; m < modes; m++)
		rb_cluster_stop(&cl[m]);
	return 0;
}
