/* wardd's start-up checks: the data directory, its lock, and that what it
 * holds is one node's of one cluster, whole. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "consensus/consensus.h"
#include "node/certs.h"
#include "node/wardd.h"
#include "store/store.h"

int wardd_mkdir(const char *path, char *errmsg, size_t errcap)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		snprintf(errmsg, errcap, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* One wardd per data directory: two would corrupt each other's Raft log. */
int wardd_lock(struct wardd *w, char *errmsg, size_t errcap)
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

/* The data directory must be one node's, of one cluster, whole. */
int wardd_check_data(struct wardd *w, int have_identity, char *errmsg,
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
	rc = certs_kek_check(w->ks, w->cfg.data_dir, w->store, errmsg, errcap);
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
int wardd_set_store_aside(struct wardd *w, int have_identity, char *errmsg,
			  size_t errcap)
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
