/* consensus/membership: adding, removing and promoting servers, and
 * leadership transfer — one operation at a time.
 *
 * Add is two configuration changes: raft_add() puts the server in as a
 * spare (no vote, so an unreachable newcomer cannot cost the quorum), then
 * raft_assign(RAFT_VOTER) makes C-raft replicate to it in catch-up rounds and
 * only then append the configuration that gives it a vote. C-raft 0.15 aborts
 * a catch-up whose round lasts longer than max_catch_up_round_duration (the
 * server is down) with RAFT_NOCONNECTION; the server then stays a spare and a
 * new consensus_add() resumes at the promotion. As a last resort, a change
 * C-raft has not answered within CONSENSUS_CHANGE_TIMEOUT_MS is reported
 * failed (C-raft still owns the request until it answers; only then is it
 * freed).
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "consensus/internal.h"

struct consensus_change {
	struct consensus *c;
	struct consensus_req *req; /* owned until reported */
	struct raft_change change;
	struct raft_transfer transfer;
	int in_raft;	   /* C-raft holds change or transfer */
	uint64_t deadline; /* uv_now() when it is given up */
};

static struct consensus_change *change_new(struct consensus *c,
					   struct consensus_req *q)
{
	struct consensus_change *ch = calloc(1, sizeof *ch);

	if (ch == NULL)
		return NULL;
	ch->c = c;
	ch->req = q;
	ch->change.data = ch;
	ch->transfer.data = ch;
	ch->deadline = uv_now(&c->loop) + CONSENSUS_CHANGE_TIMEOUT_MS;
	return ch;
}

/* Answers the caller (once) and frees the change unless C-raft holds it. */
static void change_report(struct consensus_change *ch, int rc)
{
	struct consensus *c = ch->c;

	if (ch->req != NULL) {
		if (rc != 0)
			log_warn(CONSENSUS_TAG,
				 "membership change for %llu: %s",
				 (unsigned long long)ch->req->id,
				 consensus_strerror(rc));
		consensus_req_done(ch->req, rc);
		ch->req = NULL;
	}
	if (!ch->in_raft) {
		if (c->change == ch)
			c->change = NULL;
		free(ch);
	}
}

static int change_status(struct consensus *c, int status)
{
	if (status == 0)
		return 0;
	return c->failed    ? CONSENSUS_EFAILED
	       : c->closing ? CONSENSUS_ESHUTDOWN
			    : consensus_from_raft(status);
}

static void assign_cb(struct raft_change *rc, int status)
{
	struct consensus_change *ch = rc->data;

	ch->in_raft = 0;
	change_report(ch, change_status(ch->c, status));
}

static void change_assign(struct consensus_change *ch)
{
	struct consensus *c = ch->c;
	int rv;

	rv = raft_assign(&c->raft, &ch->change, ch->req->id, RAFT_VOTER,
			 assign_cb);
	if (rv != 0) {
		log_warn(CONSENSUS_TAG, "promote %llu: %s",
			 (unsigned long long)ch->req->id,
			 raft_errmsg(&c->raft));
		change_report(ch, consensus_from_raft(rv));
		return;
	}
	ch->in_raft = 1;
}

static void add_cb(struct raft_change *rc, int status)
{
	struct consensus_change *ch = rc->data;
	int rv = change_status(ch->c, status);

	ch->in_raft = 0;
	/* A timed-out add is not continued: the caller was told it failed. */
	if (rv == 0 && ch->req != NULL && !ch->c->closing) {
		change_assign(ch);
		return;
	}
	change_report(ch, rv ? rv : CONSENSUS_ESHUTDOWN);
}

static void remove_cb(struct raft_change *rc, int status)
{
	struct consensus_change *ch = rc->data;

	ch->in_raft = 0;
	change_report(ch, change_status(ch->c, status));
}

static const struct raft_server *conf_find(const struct raft *r, uint64_t id)
{
	for (unsigned i = 0; i < r->configuration.n; i++)
		if (r->configuration.servers[i].id == id)
			return &r->configuration.servers[i];
	return NULL;
}

void consensus_change_start(struct consensus *c, struct consensus_req *q)
{
	const struct raft_server *s;
	struct consensus_change *ch;
	int rv;

	if (raft_state(&c->raft) != RAFT_LEADER) {
		consensus_req_done(q, CONSENSUS_ENOTLEADER);
		return;
	}
	if (c->change != NULL) {
		consensus_req_done(q, CONSENSUS_EBUSY);
		return;
	}
	s = conf_find(&c->raft, q->id);
	if (q->type == CONSENSUS_REQ_ADD && s != NULL &&
	    strcmp(s->address, q->address) != 0) {
		consensus_req_done(q, CONSENSUS_EINVAL);
		return;
	}
	if (q->type == CONSENSUS_REQ_ADD && s != NULL &&
	    s->role == RAFT_VOTER) {
		consensus_req_done(q, 0); /* already done: idempotent */
		return;
	}
	if (q->type == CONSENSUS_REQ_REMOVE && s == NULL) {
		consensus_req_done(q, CONSENSUS_ENOTFOUND);
		return;
	}
	ch = change_new(c, q);
	if (ch == NULL) {
		consensus_req_done(q, CONSENSUS_ENOMEM);
		return;
	}
	c->change = ch;
	if (q->type == CONSENSUS_REQ_ADD && s != NULL) {
		/* A spare left by an earlier, failed add: just promote it. */
		change_assign(ch);
		return;
	}
	if (q->type == CONSENSUS_REQ_ADD)
		rv = raft_add(&c->raft, &ch->change, q->id, q->address, add_cb);
	else
		rv = raft_remove(&c->raft, &ch->change, q->id, remove_cb);
	if (rv != 0) {
		log_warn(CONSENSUS_TAG, "%s %llu: %s",
			 q->type == CONSENSUS_REQ_ADD ? "add" : "remove",
			 (unsigned long long)q->id, raft_errmsg(&c->raft));
		change_report(ch, consensus_from_raft(rv));
		return;
	}
	ch->in_raft = 1;
}

static void transfer_cb(struct raft_transfer *t)
{
	struct consensus_change *ch = t->data;
	struct consensus *c = ch->c;
	const char *address;
	raft_id leader = 0;
	int rc = 0;

	ch->in_raft = 0;
	raft_leader(&c->raft, &leader, &address);
	if (c->closing)
		rc = CONSENSUS_ESHUTDOWN;
	else if (leader == 0)
		rc = CONSENSUS_ENOLEADER;
	else if (leader == c->id || (t->id != 0 && leader != t->id))
		rc = CONSENSUS_ERAFT; /* the target did not take over in time */
	change_report(ch, rc);
}

void consensus_transfer_start(struct consensus *c, struct consensus_req *q)
{
	struct consensus_change *ch;
	int rv;

	if (raft_state(&c->raft) != RAFT_LEADER) {
		consensus_req_done(q, CONSENSUS_ENOTLEADER);
		return;
	}
	if (q->id == c->id) {
		consensus_req_done(q, CONSENSUS_EINVAL);
		return;
	}
	if (c->change != NULL) {
		consensus_req_done(q, CONSENSUS_EBUSY);
		return;
	}
	ch = change_new(c, q);
	if (ch == NULL) {
		consensus_req_done(q, CONSENSUS_ENOMEM);
		return;
	}
	c->change = ch;
	rv = raft_transfer(&c->raft, &ch->transfer, q->id, transfer_cb);
	if (rv != 0) {
		log_warn(CONSENSUS_TAG, "transfer to %llu: %s",
			 (unsigned long long)q->id, raft_errmsg(&c->raft));
		change_report(ch, consensus_from_raft(rv));
		return;
	}
	ch->in_raft = 1;
}

void consensus_change_tick(struct consensus *c)
{
	struct consensus_change *ch = c->change;

	if (ch == NULL || ch->req == NULL)
		return;
	if (uv_now(&c->loop) < ch->deadline)
		return;
	log_warn(CONSENSUS_TAG,
		 "membership change for %llu not answered in %u ms: giving up",
		 (unsigned long long)ch->req->id, CONSENSUS_CHANGE_TIMEOUT_MS);
	/* Still held by C-raft: reported now, freed when C-raft answers. */
	change_report(ch, CONSENSUS_EIO);
}

void consensus_change_fail_all(struct consensus *c, int rc)
{
	struct consensus_change *ch = c->change;

	if (ch == NULL)
		return;
	ch->in_raft = 0; /* C-raft closed: it will not answer any more */
	change_report(ch, rc);
}
