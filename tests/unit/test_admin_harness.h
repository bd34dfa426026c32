/* test_admin_harness: what the admin end-to-end tests share — nodes of a
 * test cluster in one process and an HTTPS client for them. */
#ifndef WARD_TEST_ADMIN_HARNESS_H
#define WARD_TEST_ADMIN_HARNESS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct store;
struct consensus;
struct event_base;
struct admin;

struct node {
	char name[16];
	uint64_t id;
	char dir[64];
	char store_dir[96], raft_dir[96], cert[96], key[96];
	char raft_addr[32], admin_addr[32], url[64];
	struct store *store;
	struct consensus *consensus;
	struct event_base *base;
	struct admin *admin;
	pthread_t thread;
	int running;
};

extern struct node nodes[2];
extern char init_token[128];	 /* N1's, read by init_cluster() */
extern char last_leader_hdr[80]; /* X-Ward-Leader of the last answer */
extern char join_body[1024];	 /* the body join_n2() sent */

#define N1 (&nodes[0])
#define N2 (&nodes[1])
#define ADMIN "root", "root-password-1"

/* Store, certificate and admin API of a node; its loop does not run yet. */
void node_make(struct node *n, const char *name);
void node_run(struct node *n);
/* Stops the loop, frees admin, Raft, store; removes the directory. */
void node_stop(struct node *n);
/* cmocka fixtures: N1 uninitialized and running; teardown stops both. */
int setup(void **state);
int teardown(void **state);

/* One HTTPS request (USER NULL: no credentials), pinned to the node's own
 * certificate. Fails the test unless the answer is JSON (with "error" when
 * >= 400, and WWW-Authenticate on 401). Caller decrefs. */
json_t *call_node(struct node *n, const char *method, const char *path,
		  const char *body, const char *user, const char *pw,
		  long *status);
json_t *call(const char *method, const char *path, const char *body,
	     const char *user, const char *pw, long *status);
/* j[key] as a string, "" if absent. Borrowed from j. */
const char *str(json_t *j, const char *key);

/* POST /v1/cluster/init on N1 with the token from its init.token file
 * (which must be 0600 and gone afterwards); cluster "lab", admin root. */
void init_cluster(void);
/* 1 once N1's audit holds ACTION with NEEDLE in its detail (polls 4 s:
 * failures are summarised once a second). */
int audit_has(const char *action, const char *needle);
/* admin_reload() of N1, run on its loop thread. */
int reload_n1(void);
/* Adds N2 as "wardd --join" does; returns once N2 serves the cluster. */
void join_n2(void);

#endif
