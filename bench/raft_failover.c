/* bench_raft_failover: how long a 3-server loopback cluster (three
 * processes, Raft over TCP on 127.0.0.1, logs on disk) goes without a leader
 * when the leader's process is killed with SIGKILL — from the kill to the
 * moment another server reports itself leader (its on_change callback,
 * written to a pipe the parent polls). The killed server is restarted on its
 * directory and the cluster given time to settle before the next round.
 * Median of ROUNDS. Not a test: it prints figures and their conditions.
 *
 *   bench_raft_failover [-r ROUNDS] [-d DIR] [-e ELECTION_MS]
 *                       [-b HEARTBEAT_MS]
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "raft_node.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Consumes events for MS milliseconds (keeps the role table fresh). */
static void settle(struct rb_cluster *cl, int ms)
{
	uint64_t end = rb_now_us() + (uint64_t)ms * 1000;
	char line[256];

	while (rb_now_us() < end)
		rb_next_event(cl, line, sizeof line,
			      (int)((end - rb_now_us()) / 1000) + 1);
}

int main(int argc, char **argv)
{
	struct rb_cluster cl;
	const char *dir = getenv("TMPDIR");
	unsigned rounds = 10;
	double ms[100];
	struct utsname un;
	int opt;

	signal(SIGPIPE, SIG_IGN); /* a dead child's pipe must not kill us */
	memset(&cl, 0, sizeof cl);
	cl.election_ms = 300;
	cl.heartbeat_ms = 50;
	cl.snapshot_threshold = 4096;
	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	while ((opt = getopt(argc, argv, "r:d:e:b:")) != -1) {
		switch (opt) {
		case 'r':
			rounds = (unsigned)atoi(optarg);
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
		default:
			fprintf(
			    stderr,
			    "usage: %s [-r ROUNDS] [-d DIR] [-e ELECTION_MS] "
			    "[-b HEARTBEAT_MS]\n",
			    argv[0]);
			return 2;
		}
	}
	if (rounds == 0 || rounds > 100) {
		fprintf(stderr, "bench: 1 <= ROUNDS <= 100\n");
		return 2;
	}
	if (rb_cluster_start(&cl, 3, dir) != 0) {
		rb_cluster_stop(&cl);
		return 1;
	}
	for (unsigned r = 0; r < rounds; r++) {
		uint64_t t_kill, t_new;
		int old, nl;

		settle(&cl, 1000);
		old = rb_leader(&cl);
		if (old < 0) {
			fprintf(stderr, "bench: no leader before round %u\n",
				r + 1);
			rb_cluster_stop(&cl);
			return 1;
		}
		t_kill = rb_now_us();
		kill(cl.nodes[old].pid, SIGKILL);
		waitpid(cl.nodes[old].pid, NULL, 0);
		close(cl.nodes[old].ctl);
		cl.nodes[old].pid = 0;
		cl.nodes[old].role = 0;
		nl = rb_wait_leader(&cl, old, 20000, &t_new);
		if (nl < 0) {
			fprintf(stderr, "bench: no new leader in round %u\n",
				r + 1);
			rb_cluster_stop(&cl);
			return 1;
		}
		ms[r] = (double)(t_new - t_kill) / 1000.0;
		fprintf(stderr,
			"  round %u: server %llu killed, server %llu "
			"leads after %.0f ms\n",
			r + 1, (unsigned long long)cl.nodes[old].id,
			(unsigned long long)cl.nodes[nl].id, ms[r]);
		if (rb_node_spawn(&cl, (unsigned)old) != 0) {
			fprintf(stderr, "bench: restart failed\n");
			rb_cluster_stop(&cl);
			return 1;
		}
	}
	rb_cluster_stop(&cl);

	qsort(ms, rounds, sizeof *ms, cmp_double);
	uname(&un);
	printf("bench_raft_failover: 3 voters, 3 processes, loopback TCP, "
	       "leader killed with SIGKILL\n");
	printf("conditions: %ld cores, %s %s, logs on %s, election %u ms "
	       "(randomised up to 2x), heartbeat %u ms, pre-vote on\n",
	       sysconf(_SC_NPROCESSORS_ONLN), un.sysname, un.release, dir,
	       cl.election_ms, cl.heartbeat_ms);
	printf("time without a leader: median %.0f ms, min %.0f ms, max %.0f "
	       "ms over %u rounds\n",
	       rounds % 2 ? ms[rounds / 2]
			  : (ms[rounds / 2 - 1] + ms[rounds / 2]) / 2,
	       ms[0], ms[rounds - 1], rounds);
	return 0;
}
