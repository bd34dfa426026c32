/* raft_node: a real loopback Raft cluster for the benchmarks — one child
 * process per server (store + consensus over TCP on 127.0.0.1), driven by
 * the parent through a command pipe; every child reports role changes and
 * replies on one shared event pipe, one line per write(2). With tls set the
 * servers talk mutual TLS with certificates made for the run (a cluster CA
 * and one ECDSA P-256 NODE certificate per server). */
#ifndef WARD_BENCH_RAFT_NODE_H
#define WARD_BENCH_RAFT_NODE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RB_MAX 5

struct rb_node {
	uint64_t id;
	char address[64];
	char dir[300];
	pid_t pid; /* 0 when not running */
	int ctl;   /* write end of the child's command pipe */
	int role;  /* last reported enum consensus_role */
	uint64_t term;
};

struct rb_cluster {
	char base[256]; /* owned temp dir */
	unsigned n;
	struct rb_node nodes[RB_MAX];
	int ev_read, ev_write; /* event pipe */
	char evbuf[8192];
	size_t evlen;
	unsigned election_ms, heartbeat_ms;
	unsigned snapshot_threshold;
	int tls; /* set before rb_cluster_start: mutual TLS */
	char cluster_id[40];
	char ca_path[300];
};

/* Creates the cluster's directories under BASE_PARENT, bootstraps server 1,
 * forks N children and makes them all voters. Returns 0, or -1 with a
 * message on stderr. */
int rb_cluster_start(struct rb_cluster *cl, unsigned n,
		     const char *base_parent);
/* Forks server I again (after a kill), on its existing directory. */
int rb_node_spawn(struct rb_cluster *cl, unsigned i);
/* Stops every child and removes the directories. */
void rb_cluster_stop(struct rb_cluster *cl);

/* Reads the next event line ("S id role term tmono_us" or "R id ...")
 * within timeout_ms; updates the node table on S lines. Returns 0, or -1 on
 * timeout. */
int rb_next_event(struct rb_cluster *cl, char *line, size_t cap,
		  int timeout_ms);
/* Sends CMD to server I and waits for its "R" reply (other events are
 * consumed along the way). Returns 0 or -1 on timeout. */
int rb_command(struct rb_cluster *cl, unsigned i, const char *cmd, char *reply,
	       size_t cap, int timeout_ms);
/* Index of the server that last reported itself leader with the highest
 * term among running ones, or -1. */
int rb_leader(struct rb_cluster *cl);
/* Waits until some running server other than NOT_THIS leads; its index, or
 * -1 after timeout_ms. *at_us receives CLOCK_MONOTONIC when the event was
 * read. */
int rb_wait_leader(struct rb_cluster *cl, int not_this, int timeout_ms,
		   uint64_t *at_us);

uint64_t rb_now_us(void);

#endif
