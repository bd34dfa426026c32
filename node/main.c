/* wardd: the node daemon. Wires the store, consensus and the roles together
 * in one start-up ladder that unwinds in reverse, and owns the process
 * lifecycle: first start, joining, signals, leaving. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "consensus/consensus.h"
#include "node/admin/admin.h"
#include "node/certs.h"
#include "node/config.h"
#include "node/identity.h"
#include "node/join.h"
#include "node/nodepki.h"
#include "node/tlscert.h"
#include "store/store.h"

#define TAG "wardd"
/* How often the certificate watcher looks at the store when consensus
 * does not say it changed (apply does not call on_change). */
#define WARDD_CERTS_TICK_MS 500

struct wardd {
	struct config cfg;
	const char *cfg_path;
	char store_dir[CONFIG_PATH_MAX + 16];
	char raft_dir[CONFIG_PATH_MAX + 16];
	char cert_path[CONFIG_PATH_MAX + 16];
	char key_path[CONFIG_PATH_MAX + 16];
	char kek_path[CONFIG_PATH_MAX + 16];
	struct identity id;
	int lock_fd;
	struct event_base *base;     /* owned */
	struct store *store;	     /* owned */
	struct consensus *consensus; /* owned */
	struct admin *admin;	     /* owned */
	struct certs *certs;	     /* owned: the certificate watcher */
	struct event *ev_signal[3];  /* owned: TERM, INT, HUP */
	struct event *ev_change;     /* owned: woken by the Raft thread */
	struct event *ev_stop;	     /* owned: leadership handed over */
	struct event *ev_deadline;   /* owned: stop even if it was not */
	struct event *ev_certs;	     /* owned: the watcher's timer */
	int stopping;
	int fatal; /* stopping because of an error: exit 1 */
	atomic_int exit_code;
};

static void wardd_begin_stop(struct wardd *w, const char *why);

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: wardd -c CONFIG [options]\n"
	    "  -c, --config FILE        settings (INI, see docs/wardd.md)\n"
	    "  -n, --check              check the configuration and exit\n"
	    "  -s, --set SECTION.KEY=VALUE  override a setting\n"
	    "      --join URL           join the cluster a member of which "
	    "answers at URL\n"
	    "      --token TOKEN        join token from 'wardctl node add'\n"
	    "      --token-file FILE    the same, read from FILE (or env "
	    "WARD_JOIN_TOKEN)\n"
	    "      --ca-fingerprint FP  sha256 fingerprint of the cluster CA "
	    "(printed by\n"
	    "                           'wardctl node add'): the member's "
	    "certificate\n"
	    "                           must be issued by that CA\n"
	    "      --fingerprint FP     or: sha256 fingerprint of that "
	    "member's own\n"
	    "                           certificate\n"
	    "      --rebuild-store      set a damaged store aside and rebuild "
	    "it from the Raft log\n"
	    "  -h, --help\n");
}

static int wardd_mkdir(const char *path, char *errmsg, size_t errcap)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		snprintf(errmsg, errcap, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* One wardd per data directory: two would corrupt each other's Raft log. */
static int wardd_lock(struct wardd *w, char *errmsg, size_t errcap)
{
	char path[CONFIG_PATH_MAX + 16];

	snprintf(path, sizeof path, "%s/lock", w->cfg.data_dir);
	w->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (w->lock_fd < 0) {
		snprintf(errmsg, errcap, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(w->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(errmsg, errcap, "%s is in use by another wardd (%s)",
			 w->cfg.data_dir, strerror(errno));
		return -1;
	}
	return 0;
}

static void wardd_on_change(void *arg)
{
	struct wardd *w = arg;

	/* Raft thread: only wake the main loop. */
	if (w->admin)
		admin_notify(w->admin);
	event_active(w->ev_change, 0, 0);
}

static int max_node_key(void *arg, const void *key, size_t klen,
			const void *val, size_t vlen)
{
	uint64_t *max = arg;

	(void)val;
	(void)vlen;
	if (klen == 8 && store_key_to_u64(key) > *max)
		*max = store_key_to_u64(key);
	return 0;
}

/* Raft thread, at every handshake, after the CA check: is the peer's
 * certificate the NODE certificate the store holds for NODE_ID? One read
 * transaction. Accepted on the CA check alone where the store cannot judge:
 * it is empty (a joining node not caught up yet), it does not know the id
 * yet (at or above next_node_id: a node added after what this store has
 * applied), or it holds no NODE certificate for it. Refused: an id handed
 * out and no longer in nodes (removed: ids are never reused), and a
 * certificate other than the stored one that is not newer than it
 * (superseded; a newer one is a regeneration this store has not applied
 * yet, and refusing it could keep this node from ever catching up). */
static int wardd_raft_peer_check(void *arg, uint64_t node_id,
				 const uint8_t sha256[32],
				 uint64_t not_before_s)
{
	struct wardd *w = arg;
	struct store_read *r;
	struct store_cluster cl;
	struct store_node n;
	struct store_cert c;
	uint64_t next = 0;
	size_t n_nodes = 0;
	int rc = 0;

	if (store_read_begin(w->store, &r) != 0)
		return -1; /* fail closed: this node cannot follow anyway */
	if (store_node_get(r, node_id, &n) == 0) {
		if (store_cert_get(r, node_id, STORE_CERT_NODE, &c) == 0 &&
		    CRYPTO_memcmp(c.sha256, sha256, 32) != 0 &&
		    not_before_s <= c.not_before_s)
			rc = -1;
	} else if (store_count(r, STORE_T_NODES, &n_nodes) == 0 &&
		   n_nodes > 0) {
		if (store_cluster_get(r, &cl) == 0)
			next = cl.next_node_id;
		if (next == 0) { /* a cluster record older than it */
			store_each(r, STORE_T_NODES, NULL, 0, max_node_key,
				   &next);
			next++;
		}
		if (node_id < next)
			rc = -1;
	}
	store_read_end(r);
	if (rc != 0)
		log_debug(TAG,
			  "raft peer %" PRIu64 ": certificate refused "
			  "by the store",
			  node_id);
	return rc;
}

static int wardd_start_consensus(struct wardd *w, uint64_t node_id,
				 char *errmsg, size_t errcap)
{
	char cert[NODEPKI_PATH_MAX], key[NODEPKI_PATH_MAX];
	char ca[NODEPKI_PATH_MAX];
	struct consensus_config cc = {
	    .id = node_id,
	    .address = w->cfg.raft_listen,
	    .dir = w->raft_dir,
	    .store = w->store,
	    .election_timeout_ms = w->cfg.election_timeout_ms,
	    .heartbeat_ms = w->cfg.heartbeat_ms,
	    .snapshot_threshold = w->cfg.snapshot_threshold,
	    .snapshot_trailing = w->cfg.snapshot_trailing,
	    .on_change = wardd_on_change,
	    .on_change_arg = w,
	    /* Mutual TLS with this node's NODE certificate (DATA/pki). */
	    .tls_cert = cert,
	    .tls_key = key,
	    .tls_ca = ca,
	    .cluster_id = w->id.cluster_id,
	    .peer_check = wardd_raft_peer_check,
	    .peer_check_arg = w,
	};

	nodepki_path(w->cfg.data_dir, "node.pem", cert, sizeof cert);
	nodepki_path(w->cfg.data_dir, "node.key", key, sizeof key);
	nodepki_path(w->cfg.data_dir, "ca.pem", ca, sizeof ca);
	return consensus_start(&cc, &w->consensus, errmsg, errcap);
}

/* ---- the certificate watcher's hooks ---------------------------------- */

static int wardd_certs_https(void *arg, char *errmsg, size_t errcap)
{
	struct wardd *w = arg;

	return admin_reload(w->admin, errmsg, errcap);
}

static void wardd_certs_https_served(void *arg, uint8_t out[32])
{
	struct wardd *w = arg;

	admin_fingerprint(w->admin, out);
}

static int wardd_certs_node(void *arg, char *errmsg, size_t errcap)
{
	struct wardd *w = arg;

	return w->consensus ? consensus_reload_tls(w->consensus, errmsg, errcap)
			    : 0;
}

static int wardd_certs_is_leader(void *arg)
{
	struct wardd *w = arg;
	struct consensus_status st;

	if (!w->consensus)
		return 0;
	consensus_status_get(w->consensus, &st);
	return st.role == CONSENSUS_ROLE_LEADER;
}

static int wardd_certs_propose(void *arg, const void *cmd, size_t len,
			       void (*done)(void *, int), void *done_arg)
{
	struct wardd *w = arg;

	return w->consensus
		   ? consensus_propose(w->consensus, cmd, len, done, done_arg)
		   : -1;
}

static void wardd_certs_look(struct wardd *w)
{
	char errmsg[1024];

	if (!w->certs || w->stopping)
		return;
	if (certs_check(w->certs, errmsg, sizeof errmsg) != 0) {
		log_error(TAG, "%s", errmsg);
		w->fatal = 1;
		wardd_begin_stop(w, "no usable key-encryption key");
	}
}

static void wardd_on_certs_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	wardd_certs_look(arg);
}

/* Starts watching once this node is a member (consensus runs). */
static int wardd_watch_certs(struct wardd *w, char *errmsg, size_t errcap)
{
	struct timeval tick = {0, WARDD_CERTS_TICK_MS * 1000};
	struct certs_config cc = {
	    .data_dir = w->cfg.data_dir,
	    .cert_file = w->cert_path,
	    .key_file = w->key_path,
	    .node_name = w->cfg.name,
	    .node_id = w->id.node_id,
	    .store = w->store,
	    .hooks =
		{
		    .https = wardd_certs_https,
		    .https_served = wardd_certs_https_served,
		    .node = wardd_certs_node,
		    .is_leader = wardd_certs_is_leader,
		    .propose = wardd_certs_propose,
		    .arg = w,
		},
	};

	if (certs_new(&cc, &w->certs, errmsg, errcap) != 0)
		return -1;
	w->ev_certs =
	    event_new(w->base, -1, EV_PERSIST, wardd_on_certs_tick, w);
	if (!w->ev_certs || event_add(w->ev_certs, &tick) != 0) {
		snprintf(errmsg, errcap, "libevent: out of memory");
		return -1;
	}
	event_active(w->ev_certs, EV_TIMEOUT, 0);
	return 0;
}

/* admin hook: POST /v1/cluster/init accepted. */
static int wardd_bootstrap(void *arg, const char *cluster_id, char *errmsg,
			   size_t errcap)
{
	struct wardd *w = arg;
	struct identity id = {.node_id = 1};

	if (w->consensus) {
		snprintf(errmsg, errcap, "already initialized");
		return -1;
	}
	snprintf(id.cluster_id, sizeof id.cluster_id, "%s", cluster_id);
	snprintf(id.name, sizeof id.name, "%s", w->cfg.name);
	if (consensus_bootstrap(w->raft_dir, 1, w->cfg.raft_listen, errmsg,
				errcap) != 0)
		return -1;
	if (identity_save(w->cfg.data_dir, &id, errmsg, errcap) != 0)
		return -1;
	w->id = id;
	/* The admin route wrote DATA/pki before calling: Raft starts with
	 * this node's certificate. */
	if (wardd_start_consensus(w, 1, errmsg, errcap) != 0)
		return -1;
	admin_attach(w->admin, w->consensus, 1);
	if (wardd_watch_certs(w, errmsg, errcap) != 0)
		return -1;
	log_info(TAG, "bootstrapped cluster %s as node 1", cluster_id);
	return 0;
}

static void wardd_stop_now(struct wardd *w)
{
	event_base_loopbreak(w->base);
}

static void wardd_on_transferred(void *arg, int rc)
{
	struct wardd *w = arg;

	/* Raft thread. */
	if (rc != 0)
		log_warn(TAG, "leadership transfer: %s",
			 consensus_strerror(rc));
	event_active(w->ev_stop, 0, 0);
}

static void wardd_begin_stop(struct wardd *w, const char *why)
{
	struct consensus_status st;
	struct timeval deadline = {3, 0};

	if (w->stopping)
		return;
	w->stopping = 1;
	log_info(TAG, "stopping (%s)", why);
	event_add(w->ev_deadline, &deadline);
	if (w->consensus) {
		consensus_status_get(w->consensus, &st);
		if (st.role == CONSENSUS_ROLE_LEADER && st.n_members > 1 &&
		    consensus_transfer(w->consensus, 0, wardd_on_transferred,
				       w) == 0) {
			log_info(TAG, "handing leadership over");
			return;
		}
	}
	wardd_stop_now(w);
}

static void wardd_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct wardd *w = arg;
	char errmsg[256];
	struct config fresh;
	enum log_level lvl;

	(void)what;
	if (sig != SIGHUP) {
		wardd_begin_stop(w, sig == SIGTERM ? "SIGTERM" : "SIGINT");
		return;
	}
	/* Reload what can change at run time: log level, certificate. */
	config_defaults(&fresh);
	if (w->cfg_path &&
	    config_load(&fresh, w->cfg_path, errmsg, sizeof errmsg) != 0) {
		log_error(TAG, "SIGHUP: %s; keeping the running settings",
			  errmsg);
		return;
	}
	if (w->cfg_path && log_level_parse(fresh.log_level, &lvl) == 0)
		log_set_level(lvl);
	if (w->admin && admin_reload(w->admin, errmsg, sizeof errmsg) != 0)
		log_error(TAG, "SIGHUP: certificate: %s", errmsg);
	log_info(TAG, "reloaded");
}

static void wardd_on_change_main(evutil_socket_t fd, short what, void *arg)
{
	struct wardd *w = arg;
	struct consensus_status st;

	(void)fd;
	(void)what;
	if (!w->consensus)
		return;
	consensus_status_get(w->consensus, &st);
	if (st.removed && !w->stopping) {
		log_info(TAG, "this node was removed from the cluster");
		wardd_begin_stop(w, "removed");
	}
	wardd_certs_look(w);
}

static void wardd_on_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	wardd_stop_now(arg);
}

static int wardd_join(struct wardd *w, const char *url, const char *token,
		      const struct join_pin *pin, char *errmsg, size_t errcap)
{
	uint8_t mine[32], kek[PKI_KEK_LEN];
	struct join_keys keys = {0};
	struct join_result res;
	uint64_t node_id;
	struct join_request req = {
	    .url = url,
	    .pin = pin,
	    .token = token,
	    .name = w->cfg.name,
	    .raft_addr = w->cfg.raft_listen,
	    .admin_addr = w->cfg.admin_listen,
	    .timeout_s = 30,
	};
	int rc = -1;

	if (join_token_node_id(token, &node_id) != 0) {
		snprintf(errmsg, errcap, "the join token is malformed");
		return -1;
	}
	log_info(TAG, "joining the cluster at %s as node %" PRIu64, url,
		 node_id);
	/* Phase 1: keys made here, certificates and KEK from the cluster,
	 * checked, written to DATA; the admin API serves its CA-issued
	 * certificate from now on. */
	if (join_prepare(&req, node_id, w->cfg.data_dir, w->cert_path,
			 w->key_path, &keys, kek, w->id.cluster_id, errmsg,
			 errcap) != 0 ||
	    admin_reload(w->admin, errmsg, errcap) != 0)
		goto out;
	log_info(TAG, "certificates of cluster %s received", w->id.cluster_id);
	admin_fingerprint(w->admin, mine);
	/* Our Raft server must listen before the leader adds us. */
	if (wardd_start_consensus(w, node_id, errmsg, errcap) != 0)
		goto out;
	req.timeout_s = 120;
	if (join_cluster(&req, kek, node_id, &keys.set, mine, &res, errmsg,
			 errcap) != 0)
		goto err_after_start;
	if (res.node_id != node_id ||
	    strcmp(res.cluster_id, w->id.cluster_id) != 0) {
		snprintf(errmsg, errcap,
			 "the cluster answered node %" PRIu64
			 " of cluster %s, not node %" PRIu64 " of %s",
			 res.node_id, res.cluster_id, node_id,
			 w->id.cluster_id);
		goto err_after_start;
	}
	w->id.node_id = node_id;
	snprintf(w->id.name, sizeof w->id.name, "%s", w->cfg.name);
	if (identity_save(w->cfg.data_dir, &w->id, errmsg, errcap) != 0)
		goto err_after_start;
	log_info(TAG, "joined cluster %s (%s) as node %" PRIu64,
		 res.cluster_name, res.cluster_id, node_id);
	rc = 0;
	goto out;
err_after_start:
	consensus_stop(w->consensus);
	w->consensus = NULL;
out:
	OPENSSL_cleanse(kek, sizeof kek);
	join_keys_clear(&keys);
	return rc;
}

/* The data directory must be one node's, of one cluster, whole. */
static int wardd_check_data(struct wardd *w, int have_identity, char *errmsg,
			    size_t errcap)
{
	int have_raft = consensus_has_state(w->raft_dir);
	struct store_cluster cl;
	struct store_read *r;
	int rc;

	if (!have_identity) {
		if (have_raft) {
			snprintf(errmsg, errcap,
				 "%s holds Raft state but %s/identity is "
				 "missing: the data directory is damaged",
				 w->raft_dir, w->cfg.data_dir);
			return -1;
		}
		return 0;
	}
	if (!have_raft) {
		snprintf(errmsg, errcap,
			 "%s/identity says node %" PRIu64
			 " of cluster %s but %s holds no Raft state: the "
			 "data directory is damaged",
			 w->cfg.data_dir, w->id.node_id, w->id.cluster_id,
			 w->raft_dir);
		return -1;
	}
	if (strcmp(w->id.name, w->cfg.name) != 0) {
		snprintf(errmsg, errcap,
			 "%s belongs to node \"%s\", not \"%s\"",
			 w->cfg.data_dir, w->id.name, w->cfg.name);
		return -1;
	}
	if (store_read_begin(w->store, &r) != 0) {
		snprintf(errmsg, errcap, "%s: cannot read", w->store_dir);
		return -1;
	}
	rc = store_cluster_get(r, &cl);
	store_read_end(r);
	if (rc == 0 && strcmp(cl.id, w->id.cluster_id) != 0) {
		snprintf(errmsg, errcap,
			 "%s holds data of cluster %s but this node belongs "
			 "to cluster %s: refusing to mix them",
			 w->store_dir, cl.id, w->id.cluster_id);
		return -1;
	}
	/* The KEK opens every private key of this node: without the right
	 * one it could serve nothing secure. */
	rc = certs_kek_check(w->cfg.data_dir, w->store, errmsg, errcap);
	if (rc < 0)
		return -1;
	if (rc > 0)
		log_warn(TAG,
			 "the store holds no cluster record yet: %s is "
			 "checked once it does",
			 w->kek_path);
	return 0;
}

/* --rebuild-store: the store is a cache of the Raft log (snapshot and
 * entries), so a damaged one is set aside, not deleted, and rebuilt by the
 * restore and replay every start does. */
static int wardd_set_store_aside(struct wardd *w, int have_identity,
				 char *errmsg, size_t errcap)
{
	char aside[CONFIG_PATH_MAX + 64];

	if (!have_identity || !consensus_has_state(w->raft_dir)) {
		snprintf(errmsg, errcap,
			 "--rebuild-store needs a node's data directory with "
			 "its identity and Raft state");
		return -1;
	}
	snprintf(aside, sizeof aside, "%s.damaged-%lld", w->store_dir,
		 (long long)time(NULL));
	if (rename(w->store_dir, aside) != 0) {
		snprintf(errmsg, errcap, "%s: %s", w->store_dir,
			 strerror(errno));
		return -1;
	}
	log_warn(TAG, "store set aside as %s; rebuilding it from the Raft log",
		 aside);
	return wardd_mkdir(w->store_dir, errmsg, errcap);
}

struct wardd_args {
	int check;
	const char *join_url, *token, *token_file;
	const char *fingerprint, *ca_fingerprint;
	int rebuild_store;
};

static int wardd_parse(struct wardd *w, int argc, char **argv,
		       struct wardd_args *args)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"check", no_argument, NULL, 'n'},
	    {"set", required_argument, NULL, 's'},
	    {"join", required_argument, NULL, 'J'},
	    {"token", required_argument, NULL, 'T'},
	    {"token-file", required_argument, NULL, 'F'},
	    {"fingerprint", required_argument, NULL, 'P'},
	    {"ca-fingerprint", required_argument, NULL, 'C'},
	    {"rebuild-store", no_argument, NULL, 'R'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	char errmsg[512];
	int ch;

	/* Settings from the file first, then the --set overrides. */
	for (int i = 1; i < argc - 1; i++)
		if (strcmp(argv[i], "-c") == 0 ||
		    strcmp(argv[i], "--config") == 0)
			w->cfg_path = argv[i + 1];
	if (w->cfg_path &&
	    config_load(&w->cfg, w->cfg_path, errmsg, sizeof errmsg) != 0) {
		fprintf(stderr, "wardd: %s\n", errmsg);
		return -1;
	}
	while ((ch = getopt_long(argc, argv, "c:ns:h", opts, NULL)) != -1) {
		char key[128], *eq;

		switch (ch) {
		case 'c':
			break;
		case 'n':
			args->check = 1;
			break;
		case 's':
			eq = strchr(optarg, '=');
			if (!eq || (size_t)(eq - optarg) >= sizeof key) {
				fprintf(
				    stderr,
				    "wardd: --set wants SECTION.KEY=VALUE\n");
				return -1;
			}
			memcpy(key, optarg, (size_t)(eq - optarg));
			key[eq - optarg] = '\0';
			if (config_set(&w->cfg, key, eq + 1, errmsg,
				       sizeof errmsg) != 0) {
				fprintf(stderr, "wardd: --set %s\n", errmsg);
				return -1;
			}
			break;
		case 'J':
			args->join_url = optarg;
			break;
		case 'T':
			args->token = optarg;
			break;
		case 'F':
			args->token_file = optarg;
			break;
		case 'P':
			args->fingerprint = optarg;
			break;
		case 'C':
			args->ca_fingerprint = optarg;
			break;
		case 'R':
			args->rebuild_store = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	if (config_check(&w->cfg, errmsg, sizeof errmsg) != 0) {
		fprintf(stderr, "wardd: %s\n", errmsg);
		return -1;
	}
	return 0;
}

static int wardd_make_events(struct wardd *w)
{
	static const int sigs[3] = {SIGTERM, SIGINT, SIGHUP};

	for (int i = 0; i < 3; i++) {
		w->ev_signal[i] =
		    evsignal_new(w->base, sigs[i], wardd_on_signal, w);
		if (!w->ev_signal[i] || evsignal_add(w->ev_signal[i], NULL))
			return -1;
	}
	w->ev_change = event_new(w->base, -1, 0, wardd_on_change_main, w);
	w->ev_stop = event_new(w->base, -1, 0, wardd_on_stop, w);
	w->ev_deadline = evtimer_new(w->base, wardd_on_stop, w);
	return w->ev_change && w->ev_stop && w->ev_deadline ? 0 : -1;
}

static void wardd_free_events(struct wardd *w)
{
	for (int i = 0; i < 3; i++)
		if (w->ev_signal[i])
			event_free(w->ev_signal[i]);
	if (w->ev_change)
		event_free(w->ev_change);
	if (w->ev_stop)
		event_free(w->ev_stop);
	if (w->ev_deadline)
		event_free(w->ev_deadline);
	if (w->ev_certs)
		event_free(w->ev_certs);
}

int main(int argc, char **argv)
{
	static struct wardd w = {.lock_fd = -1};
	struct wardd_args args = {0};
	struct join_pin pin = {0};
	char errmsg[4096], host[CONFIG_ADDR_MAX], token[512];
	int have_identity, open_rc;
	enum log_level lvl;
	unsigned port;
	struct admin_config ac;

	config_defaults(&w.cfg);
	if (wardd_parse(&w, argc, argv, &args) != 0)
		return 2;
	if (args.check) {
		printf("wardd: configuration ok\n");
		return 0;
	}
	if (args.join_url &&
	    join_pin_parse(args.ca_fingerprint, args.fingerprint, &pin, errmsg,
			   sizeof errmsg) != 0) {
		fprintf(stderr, "wardd: %s\n", errmsg);
		return 2;
	}
	log_set_ident(w.cfg.name);
	if (log_level_parse(w.cfg.log_level, &lvl) == 0)
		log_set_level(lvl);
	signal(SIGPIPE, SIG_IGN);
	evthread_use_pthreads();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	atomic_store(&w.exit_code, 1);

	snprintf(w.store_dir, sizeof w.store_dir, "%s/store", w.cfg.data_dir);
	snprintf(w.raft_dir, sizeof w.raft_dir, "%s/raft", w.cfg.data_dir);
	snprintf(w.cert_path, sizeof w.cert_path, "%s/https.pem",
		 w.cfg.data_dir);
	snprintf(w.key_path, sizeof w.key_path, "%s/https.key", w.cfg.data_dir);
	nodepki_kek_path(w.cfg.data_dir, w.kek_path, sizeof w.kek_path);
	if (wardd_mkdir(w.cfg.data_dir, errmsg, sizeof errmsg) ||
	    wardd_lock(&w, errmsg, sizeof errmsg) ||
	    wardd_mkdir(w.store_dir, errmsg, sizeof errmsg) ||
	    wardd_mkdir(w.raft_dir, errmsg, sizeof errmsg))
		goto err;
	config_split_addr(w.cfg.admin_listen, host, sizeof host, &port);
	if (tlscert_ensure(w.cert_path, w.key_path, w.cfg.name, host, errmsg,
			   sizeof errmsg) != 0)
		goto err;

	have_identity =
	    identity_load(w.cfg.data_dir, &w.id, errmsg, sizeof errmsg);
	if (have_identity < 0)
		goto err;
	have_identity = have_identity == 0;
	if (args.join_url && have_identity) {
		snprintf(errmsg, sizeof errmsg,
			 "%s already belongs to node %" PRIu64
			 " of cluster %s: join with an empty data directory",
			 w.cfg.data_dir, w.id.node_id, w.id.cluster_id);
		goto err;
	}
	if (args.rebuild_store &&
	    wardd_set_store_aside(&w, have_identity, errmsg, sizeof errmsg))
		goto err;
	open_rc = store_open(w.store_dir, &w.store, errmsg, sizeof errmsg);
	if (open_rc != 0) {
		if (open_rc == STORE_ECORRUPT && have_identity) {
			size_t n = strlen(errmsg);

			snprintf(errmsg + n, sizeof errmsg - n,
				 "; the Raft log holds everything: start once "
				 "with --rebuild-store to rebuild it");
		}
		goto err;
	}
	if (wardd_check_data(&w, have_identity, errmsg, sizeof errmsg) != 0)
		goto err_after_store;

	w.base = event_base_new();
	if (!w.base || wardd_make_events(&w) != 0) {
		snprintf(errmsg, sizeof errmsg, "libevent: out of memory");
		goto err_after_base;
	}
	ac = (struct admin_config){
	    .listen = w.cfg.admin_listen,
	    .cert_file = w.cert_path,
	    .key_file = w.key_path,
	    .data_dir = w.cfg.data_dir,
	    .node_name = w.cfg.name,
	    .raft_addr = w.cfg.raft_listen,
	    .admin_addr = w.cfg.admin_listen,
	    .hooks = {.bootstrap = wardd_bootstrap, .arg = &w},
	};
	if (admin_new(w.base, &ac, w.store, &w.admin, errmsg, sizeof errmsg) !=
	    0)
		goto err_after_base;

	if (have_identity) {
		if (wardd_start_consensus(&w, w.id.node_id, errmsg,
					  sizeof errmsg) != 0)
			goto err_after_admin;
		admin_attach(w.admin, w.consensus, w.id.node_id);
		log_info(TAG, "node %" PRIu64 " of cluster %s started",
			 w.id.node_id, w.id.cluster_id);
	} else if (args.join_url) {
		int rc;

		if (join_token_read(args.token, args.token_file, token,
				    sizeof token, errmsg, sizeof errmsg))
			goto err_after_admin;
		rc = wardd_join(&w, args.join_url, token, &pin, errmsg,
				sizeof errmsg);
		OPENSSL_cleanse(token, sizeof token);
		if (rc != 0)
			goto err_after_admin;
		admin_attach(w.admin, w.consensus, w.id.node_id);
	} else if (admin_expect_init(w.admin, errmsg, sizeof errmsg) != 0) {
		goto err_after_admin;
	}
	if (w.consensus && wardd_watch_certs(&w, errmsg, sizeof errmsg) != 0)
		goto err_after_admin;

	event_base_dispatch(w.base);
	if (!w.fatal)
		atomic_store(&w.exit_code, 0);

	admin_attach(w.admin, NULL, 0);
	consensus_stop(w.consensus);
	w.consensus = NULL;
	log_info(TAG, "stopped");
	errmsg[0] = '\0';
err_after_admin:
	/* Raft first: its thread calls admin_notify() until it stops. */
	admin_attach(w.admin, NULL, 0);
	consensus_stop(w.consensus);
	w.consensus = NULL;
	admin_free(w.admin);
	/* After consensus: no ITL proposal is in flight any more. */
	certs_free(w.certs);
err_after_base:
	wardd_free_events(&w);
	if (w.base)
		event_base_free(w.base);
err_after_store:
	store_close(w.store);
err:
	if (errmsg[0] && atomic_load(&w.exit_code) != 0)
		log_error(TAG, "%s", errmsg);
	if (w.lock_fd >= 0)
		close(w.lock_fd);
	curl_global_cleanup();
	return atomic_load(&w.exit_code);
}
