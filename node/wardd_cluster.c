/* wardd's membership: consensus with its peer check, the certificate
 * watcher (certificates and the ITL kept in step with the store), bootstrap
 * of a new cluster and joining an existing one. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "consensus/consensus.h"
#include "keystore/keystore.h"
#include "node/admin/admin.h"
#include "node/capf/capf.h"
#include "node/certs.h"
#include "node/join.h"
#include "node/nodepki.h"
#include "node/tftp/tftp.h"
#include "node/wardd.h"
#include "store/store.h"

/* How often the certificate watcher looks at the store when consensus
 * does not say it changed (apply does not call on_change). */
#define WARDD_CERTS_TICK_MS 500

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

int wardd_start_consensus(struct wardd *w, uint64_t node_id, char *errmsg,
			  size_t errcap)
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

/* A role not started yet reads the new files when it starts. */
static int wardd_certs_capf(void *arg, char *errmsg, size_t errcap)
{
	struct wardd *w = arg;

	if (!w->capf)
		return 0;
	if (capf_reload_tls(w->capf, errmsg, errcap) != 0)
		return -1;
	log_info("capf", "CAPF certificate changed: shown to the next phones "
			 "(sessions in progress kept)");
	return 0;
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

void wardd_certs_look(struct wardd *w)
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
int wardd_watch_certs(struct wardd *w, char *errmsg, size_t errcap)
{
	struct timeval tick = {0, WARDD_CERTS_TICK_MS * 1000};
	struct certs_config cc = {
	    .data_dir = w->cfg.data_dir,
	    .cert_file = w->cert_path,
	    .key_file = w->key_path,
	    .node_name = w->cfg.name,
	    .node_id = w->id.node_id,
	    .store = w->store,
	    .keystore = w->ks,
	    .hooks =
		{
		    .https = wardd_certs_https,
		    .https_served = wardd_certs_https_served,
		    .node = wardd_certs_node,
		    .capf = wardd_certs_capf,
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
int wardd_bootstrap(void *arg, const char *cluster_id, char *errmsg,
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
	tftp_set_node(w->tftp, 1);
	if (wardd_watch_certs(w, errmsg, errcap) != 0)
		return -1;
	log_info(TAG, "bootstrapped cluster %s as node 1", cluster_id);
	return 0;
}

int wardd_join(struct wardd *w, const char *url, const char *token,
	       const struct join_pin *pin, char *errmsg, size_t errcap)
{
	uint8_t mine[32];
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
			 w->key_path, &keys, w->ks, w->id.cluster_id, errmsg,
			 errcap) != 0)
		goto out_no_kek;
	if (admin_reload(w->admin, errmsg, errcap) != 0)
		goto out;
	log_info(TAG, "certificates of cluster %s received", w->id.cluster_id);
	admin_fingerprint(w->admin, mine);
	/* Our Raft server must listen before the leader adds us. */
	if (wardd_start_consensus(w, node_id, errmsg, errcap) != 0)
		goto out;
	req.timeout_s = 120;
	if (join_cluster(&req, w->ks, node_id, &keys.set, mine, &res, errmsg,
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
	tftp_set_node(w->tftp, node_id);
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
	keystore_kek_release(w->ks);
out_no_kek:
	join_keys_clear(&keys);
	return rc;
}
