/* consensus: server lifecycle (bootstrap, start, stop) and the thread-safe
 * entry points that queue requests to the Raft thread.
 */
#include "consensus/consensus.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/log.h"
#include "consensus/internal.h"
#include "consensus/transport.h"
#include "store/store.h"

static const char *const consensus_msgs[] = {
#define CONSENSUS_X_MSG(code, msg) msg,
    CONSENSUS_ERRORS(CONSENSUS_X_MSG)
#undef CONSENSUS_X_MSG
};

const char *consensus_strerror(int rc)
{
	if (rc == 0)
		return "ok";
	if (rc > CONSENSUS__BASE &&
	    rc <= CONSENSUS__BASE +
		      (int)(sizeof consensus_msgs / sizeof *consensus_msgs))
		return consensus_msgs[rc - CONSENSUS__BASE - 1];
	if (rc > 0 && rc < CONSENSUS__BASE)
		return store_strerror(rc);
	return "unknown error";
}

int consensus_from_raft(int rv)
{
	switch (rv) {
	case 0:
		return 0;
	case RAFT_NOMEM:
		return CONSENSUS_ENOMEM;
	case RAFT_NOTLEADER:
		return CONSENSUS_ENOTLEADER;
	case RAFT_LEADERSHIPLOST:
		return CONSENSUS_ELEADERSHIP;
	case RAFT_SHUTDOWN:
	case RAFT_CANCELED:
		return CONSENSUS_ESHUTDOWN;
	case RAFT_CANTCHANGE:
	case RAFT_BUSY:
		return CONSENSUS_EBUSY;
	case RAFT_BADID:
	case RAFT_NOTFOUND:
		return CONSENSUS_ENOTFOUND;
	case RAFT_DUPLICATEID:
	case RAFT_DUPLICATEADDRESS:
	case RAFT_BADROLE:
	case RAFT_INVALID:
	case RAFT_MALFORMED:
	case RAFT_NAMETOOLONG:
	case RAFT_TOOBIG:
		return CONSENSUS_EINVAL;
	case RAFT_IOERR:
	case RAFT_CORRUPT:
	case RAFT_NOSPACE:
	case RAFT_NOCONNECTION:
	case RAFT_UNAUTHORIZED:
		return CONSENSUS_EIO;
	default:
		return CONSENSUS_ERAFT;
	}
}

int consensus_from_raft_io(int rv)
{
	switch (rv) {
	case RAFT_NOMEM:
		return CONSENSUS_ENOMEM;
	case RAFT_INVALID:
	case RAFT_NAMETOOLONG:
		return CONSENSUS_EINVAL;
	default:
		return CONSENSUS_EIO;
	}
}

const char *consensus_role_name(enum consensus_role r)
{
	switch (r) {
	case CONSENSUS_ROLE_FOLLOWER:
		return "follower";
	case CONSENSUS_ROLE_CANDIDATE:
		return "candidate";
	case CONSENSUS_ROLE_LEADER:
		return "leader";
	default:
		return "none";
	}
}

const char *consensus_member_role_name(enum consensus_member_role r)
{
	switch (r) {
	case CONSENSUS_MEMBER_VOTER:
		return "voter";
	case CONSENSUS_MEMBER_SPARE:
		return "spare";
	default:
		return "standby";
	}
}

void consensus_errf(char *errmsg, size_t errcap, const char *fmt, ...)
{
	va_list ap;

	if (errmsg == NULL || errcap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(errmsg, errcap, fmt, ap);
	va_end(ap);
}

/* ---- bootstrap -------------------------------------------------------- */

static void bootstrap_close_cb(struct raft *r)
{
	*(int *)r->data = 1;
}

int consensus_bootstrap(const char *dir, uint64_t id, const char *address,
			char *errmsg, size_t errcap)
{
	struct raft_uv_transport transport;
	struct raft_configuration conf;
	struct consensus_fsm fsm; /* never applies: nothing is started */
	struct raft_io io;
	struct raft raft;
	uv_loop_t loop;
	int closed = 0, rv, rc = CONSENSUS_ERAFT;

	if (dir == NULL || id == 0 || address == NULL) {
		consensus_errf(errmsg, errcap,
			       "raft: bootstrap: invalid argument");
		return CONSENSUS_EINVAL;
	}
	if (uv_loop_init(&loop) != 0) {
		consensus_errf(errmsg, errcap,
			       "raft: bootstrap: cannot create a loop");
		return CONSENSUS_ENOMEM;
	}
	rv = consensus_transport_init(&transport, &loop);
	if (rv != 0) {
		rc = CONSENSUS_ENOMEM;
		consensus_errf(errmsg, errcap, "raft: bootstrap: %s",
			       raft_strerror(rv));
		goto err_after_loop;
	}
	rv = raft_uv_init(&io, &loop, dir, &transport);
	if (rv != 0) {
		rc = consensus_from_raft(rv);
		consensus_errf(errmsg, errcap, "raft: open %s: %s", dir,
			       io.errmsg);
		goto err_after_transport;
	}
	consensus_fsm_init(&fsm, NULL, &raft);
	rv = raft_init(&raft, &io, &fsm.fsm, id, address);
	if (rv != 0) {
		rc = consensus_from_raft_io(rv);
		consensus_errf(errmsg, errcap, "raft: load %s: %s", dir,
			       raft_errmsg(&raft));
		raft_uv_close(&io);
		goto err_after_transport;
	}
	raft.data = &closed;
	raft_configuration_init(&conf);
	rv = raft_configuration_add(&conf, id, address, RAFT_VOTER);
	if (rv == 0)
		rv = raft_bootstrap(&raft, &conf);
	raft_configuration_close(&conf);
	if (rv == RAFT_CANTBOOTSTRAP) {
		rc = CONSENSUS_EINVAL;
		consensus_errf(errmsg, errcap,
			       "raft: bootstrap %s: already holds state", dir);
	} else if (rv != 0) {
		rc = consensus_from_raft_io(rv);
		consensus_errf(errmsg, errcap, "raft: bootstrap %s: %s", dir,
			       raft_errmsg(&raft));
	} else {
		rc = 0;
	}
	raft_close(&raft, bootstrap_close_cb);
	while (!closed)
		uv_run(&loop, UV_RUN_ONCE);
	raft_uv_close(&io);
err_after_transport:
	/* Run the loop dry: the transport may still be closing handles. */
	uv_run(&loop, UV_RUN_DEFAULT);
	consensus_transport_close(&transport);
err_after_loop:
	uv_loop_close(&loop);
	return rc;
}

int consensus_has_state(const char *dir)
{
	struct dirent *e;
	DIR *d;
	int found = 0;

	d = opendir(dir);
	if (d == NULL)
		return 0;
	/* metadata1/2 hold term and vote; segments and snapshots the log. A
	 * joined server writes metadata at its first vote or term. */
	while (!found && (e = readdir(d)) != NULL)
		found = strncmp(e->d_name, "metadata", 8) == 0 ||
			strncmp(e->d_name, "snapshot-", 9) == 0 ||
			strncmp(e->d_name, "open-", 5) == 0 ||
			(e->d_name[0] >= '0' && e->d_name[0] <= '9');
	closedir(d);
	return found;
}

/* ---- requests --------------------------------------------------------- */

/* Queues Q (transferred) for the Raft thread. Fails, freeing Q, once the
 * server is stopping. */
static int enqueue(struct consensus *c, struct consensus_req *q)
{
	pthread_mutex_lock(&c->lock);
	if (c->stopping || c->failed) {
		int rc = c->stopping ? CONSENSUS_ESHUTDOWN : CONSENSUS_EFAILED;

		pthread_mutex_unlock(&c->lock);
		free(q);
		return rc;
	}
	q->next = NULL;
	*c->q_tail = q;
	c->q_tail = &q->next;
	pthread_mutex_unlock(&c->lock);
	uv_async_send(&c->wake);
	return 0;
}

static struct consensus_req *req_new(enum consensus_req_type type,
				     consensus_cb cb, void *arg, size_t len)
{
	struct consensus_req *q = malloc(sizeof *q + len);

	if (q == NULL)
		return NULL;
	memset(q, 0, sizeof *q);
	q->type = type;
	q->cb = cb;
	q->arg = arg;
	q->len = len;
	return q;
}

/* 0 if the last published status says we lead, else why not: a cheap
 * early answer for followers and failed servers; the Raft thread checks
 * again when it takes the request. */
static int lead_check(struct consensus *c)
{
	int rc;

	pthread_mutex_lock(&c->lock);
	rc = c->failed				       ? CONSENSUS_EFAILED
	     : c->status.role == CONSENSUS_ROLE_LEADER ? 0
						       : CONSENSUS_ENOTLEADER;
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int consensus_propose(struct consensus *c, const void *cmd, size_t len,
		      consensus_cb cb, void *arg)
{
	struct consensus_req *q;
	int rc;

	if (c == NULL || cmd == NULL || len == 0 || len % 8 != 0 ||
	    len > CONSENSUS_BATCH_MAX)
		return CONSENSUS_EINVAL;
	if ((rc = lead_check(c)) != 0)
		return rc;
	q = req_new(CONSENSUS_REQ_PROPOSE, cb, arg, len);
	if (q == NULL)
		return CONSENSUS_ENOMEM;
	memcpy(q->data, cmd, len);
	return enqueue(c, q);
}

int consensus_barrier(struct consensus *c, consensus_cb cb, void *arg)
{
	struct consensus_req *q;
	int rc;

	if (c == NULL)
		return CONSENSUS_EINVAL;
	if ((rc = lead_check(c)) != 0)
		return rc;
	q = req_new(CONSENSUS_REQ_BARRIER, cb, arg, 0);
	if (q == NULL)
		return CONSENSUS_ENOMEM;
	return enqueue(c, q);
}

int consensus_add(struct consensus *c, uint64_t id, const char *address,
		  consensus_cb cb, void *arg)
{
	struct consensus_req *q;
	char host[128];
	unsigned port;

	if (c == NULL || id == 0 || address == NULL ||
	    strlen(address) >= sizeof q->address ||
	    addr_split(address, 0, host, sizeof host, &port) != 0)
		return CONSENSUS_EINVAL;
	q = req_new(CONSENSUS_REQ_ADD, cb, arg, 0);
	if (q == NULL)
		return CONSENSUS_ENOMEM;
	q->id = id;
	snprintf(q->address, sizeof q->address, "%s", address);
	return enqueue(c, q);
}

int consensus_remove(struct consensus *c, uint64_t id, consensus_cb cb,
		     void *arg)
{
	struct consensus_req *q;

	if (c == NULL || id == 0)
		return CONSENSUS_EINVAL;
	q = req_new(CONSENSUS_REQ_REMOVE, cb, arg, 0);
	if (q == NULL)
		return CONSENSUS_ENOMEM;
	q->id = id;
	return enqueue(c, q);
}

int consensus_transfer(struct consensus *c, uint64_t id, consensus_cb cb,
		       void *arg)
{
	struct consensus_req *q;

	if (c == NULL)
		return CONSENSUS_EINVAL;
	q = req_new(CONSENSUS_REQ_TRANSFER, cb, arg, 0);
	if (q == NULL)
		return CONSENSUS_ENOMEM;
	q->id = id;
	return enqueue(c, q);
}

void consensus_status_get(struct consensus *c, struct consensus_status *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->status;
	pthread_mutex_unlock(&c->lock);
}

int consensus_leader(struct consensus *c, uint64_t *id, char *address,
		     size_t cap)
{
	int rc;

	pthread_mutex_lock(&c->lock);
	rc = c->status.leader_id != 0 ? 0 : CONSENSUS_ENOLEADER;
	if (id != NULL)
		*id = c->status.leader_id;
	if (address != NULL && cap > 0)
		snprintf(address, cap, "%s", c->status.leader_address);
	pthread_mutex_unlock(&c->lock);
	return rc;
}
