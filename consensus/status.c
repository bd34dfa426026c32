/* consensus/status: the copy of the Raft state other threads read, and the
 * on_change notification.
 *
 * Refreshed on the Raft thread after every loop iteration (uv_check) and by
 * a timer, so it is never older than one heartbeat. C-raft 0.15 has no
 * getter for the term, commit index, snapshot index or per-follower progress:
 * those are read from the public fields of struct raft (raft.h), on the
 * thread that owns it.
 */
#include <stdio.h>
#include <string.h>

#include "consensus/internal.h"

static enum consensus_member_role member_role(int role)
{
	switch (role) {
	case RAFT_VOTER:
		return CONSENSUS_MEMBER_VOTER;
	case RAFT_SPARE:
		return CONSENSUS_MEMBER_SPARE;
	default:
		return CONSENSUS_MEMBER_STANDBY;
	}
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		h = (h ^ *b++) * 1099511628211ull;
	return h;
}

static void status_fill(struct consensus *c, struct consensus_status *st,
			uint64_t *conf_hash, int *member)
{
	struct raft *r = &c->raft;
	const char *leader_address = NULL;
	raft_id leader = 0;
	int state = raft_state(r);
	uint64_t h = 14695981039346656037ull;
	unsigned i, n;

	memset(st, 0, sizeof *st);
	st->id = c->id;
	st->term = r->current_term;
	raft_leader(r, &leader, &leader_address);
	st->leader_id = leader;
	if (leader != 0 && leader_address != NULL)
		snprintf(st->leader_address, sizeof st->leader_address, "%s",
			 leader_address);
	st->commit_index = r->commit_index;
	st->last_index = raft_last_index(r);
	st->applied_index = raft_last_applied(r);
	st->snapshot_index = r->log.snapshot.last_index;

	*member = 0;
	n = r->configuration.n;
	for (i = 0; i < n; i++) {
		const struct raft_server *s = &r->configuration.servers[i];
		struct consensus_member *m;

		h = fnv(h, &s->id, sizeof s->id);
		h = fnv(h, &s->role, sizeof s->role);
		h = fnv(h, s->address, strlen(s->address));
		if (s->id == c->id)
			*member = 1;
		if (i >= CONSENSUS_MEMBERS_MAX)
			continue;
		m = &st->members[i];
		m->id = s->id;
		snprintf(m->address, sizeof m->address, "%s", s->address);
		m->role = member_role(s->role);
		m->match_index = 0;
		m->recent = -1;
		if (state == RAFT_LEADER && r->leader_state.progress != NULL) {
			if (s->id == c->id) {
				m->match_index = st->last_index;
				m->recent = 1;
			} else {
				m->match_index =
				    r->leader_state.progress[i].match_index;
				m->recent =
				    r->leader_state.progress[i].recent_recv;
			}
		}
	}
	st->n_members = n < CONSENSUS_MEMBERS_MAX ? n : CONSENSUS_MEMBERS_MAX;
	*conf_hash = h;

	if (!*member)
		st->role = CONSENSUS_ROLE_NONE;
	else if (state == RAFT_LEADER)
		st->role = CONSENSUS_ROLE_LEADER;
	else if (state == RAFT_CANDIDATE)
		st->role = CONSENSUS_ROLE_CANDIDATE;
	else if (state == RAFT_FOLLOWER)
		st->role = CONSENSUS_ROLE_FOLLOWER;
	else
		st->role = CONSENSUS_ROLE_NONE;
}

/* Snapshot schedule by role. A snapshot writes the whole store to disk
 * (LMDB sync, then C-raft's snapshot file and its fsync); measured here,
 * that burst delays the log writes a commit waits for by 30-60 ms once the
 * store holds ~20 MB. A follower's burst does not delay commits as long as
 * the other follower answers, so followers snapshot at staggered points
 * (their thresholds differ by server id, so two rarely snapshot together),
 * and the leader, whose own log write every commit waits for, lets its log
 * grow to CONSENSUS_LEADER_SNAPSHOT_FACTOR thresholds first. */
static void status_tune_snapshots(struct consensus *c, enum consensus_role role)
{
	unsigned t = c->snapshot_threshold;

	if (role == CONSENSUS_ROLE_LEADER)
		t *= CONSENSUS_LEADER_SNAPSHOT_FACTOR;
	else
		t += (unsigned)(t / 4 * (c->id % 4));
	raft_set_snapshot_threshold(&c->raft, t);
}

void consensus_status_refresh(struct consensus *c)
{
	struct consensus_status st;
	uint64_t conf_hash;
	int member, changed;

	status_fill(c, &st, &conf_hash, &member);
	if (member)
		c->was_member = 1;
	else if (c->was_member && c->raft.configuration.n > 0)
		c->removed = 1; /* a configuration without us, after one with */
	st.removed = c->removed;

	if (st.role != c->seen_role)
		status_tune_snapshots(c, st.role);
	changed = st.leader_id != c->seen_leader || st.term != c->seen_term ||
		  st.role != c->seen_role || conf_hash != c->seen_conf_hash ||
		  c->notify_due;
	c->seen_leader = st.leader_id;
	c->seen_term = st.term;
	c->seen_role = st.role;
	c->seen_conf_hash = conf_hash;

	pthread_mutex_lock(&c->lock);
	c->status = st;
	pthread_mutex_unlock(&c->lock);

	/* Not before consensus_start() returned: the callback could not use
	 * its handle yet. The first refresh on the Raft thread reports the
	 * state start found. */
	if (!c->notify)
		return;
	c->notify_due = 0;
	if (changed && c->on_change != NULL && !c->closing)
		c->on_change(c->on_change_arg);
}
