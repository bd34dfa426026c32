/* routes_status: GET /v1/status (this node) and GET /v1/cluster/status
 * (every member, each asked for its own status in parallel). */
#include "node/admin/admin_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

/* A member this many entries behind the most advanced one is "lagging". */
#define ADMIN_LAG_ENTRIES 1000
#define ADMIN_FANOUT_TIMEOUT_MS 2000
#define ADMIN_MEMBERS_MAX 64

static json_t *id_name(uint64_t id, const char *name)
{
	if (!id)
		return json_null();
	return json_pack("{s:I, s:s}", "id", (json_int_t)id, "name", name);
}

static json_t *cluster_json(struct store_read *r)
{
	struct store_cluster cl;

	if (!r || store_cluster_get(r, &cl) != 0)
		return json_null();
	return json_pack("{s:s, s:s}", "id", cl.id, "name", cl.name);
}

/* This node's health: "failed" (its state machine stopped: the reason
 * says why), "store-full" (an entry waits for disk space), or "ok"; the
 * detail says what an operator should know. */
static const char *node_health(struct admin *a,
			       const struct consensus_status *st,
			       const struct store_health *h,
			       const char **detail)
{
	*detail = "";
	if (st->failed) {
		*detail = st->failed_reason;
		return "failed";
	}
	if (h->state == STORE_HEALTH_FULL) {
		*detail = h->reason;
		return store_health_name(h->state);
	}
	return "ok";
}

static json_t *store_json(const struct store_health *h)
{
	return json_pack("{s:s, s:I, s:I, s:I, s:I}", "dir", h->dir, "map_size",
			 (json_int_t)h->map_size, "map_grows",
			 (json_int_t)h->map_grows, "data_size",
			 (json_int_t)h->data_size, "free_bytes",
			 (json_int_t)h->free_bytes);
}

static json_t *status_json(struct admin *a)
{
	struct consensus_status st;
	struct store_health h;
	struct store_node leader;
	struct store_read *r = NULL;
	json_t *node, *cluster;
	const char *health, *detail;

	memset(&st, 0, sizeof st);
	if (a->consensus)
		consensus_status_get(a->consensus, &st);
	store_health_get(a->store, &h);
	health = node_health(a, &st, &h, &detail);
	if (store_read_begin(a->store, &r) != 0)
		r = NULL;
	if (!st.leader_id || !r ||
	    store_node_get(r, st.leader_id, &leader) != 0)
		snprintf(leader.name, sizeof leader.name, "?");
	node = json_pack("{s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:o}",
			 "id", (json_int_t)a->node_id, "name", a->node_name,
			 "state", a->consensus ? "running" : "uninitialized",
			 "role", consensus_role_name(st.role), "term",
			 (json_int_t)st.term, "commit_index",
			 (json_int_t)st.commit_index, "last_index",
			 (json_int_t)st.last_index, "applied_index",
			 (json_int_t)store_applied_index(a->store),
			 "snapshot_index", (json_int_t)st.snapshot_index,
			 "leader", id_name(st.leader_id, leader.name));
	json_object_set_new(node, "health", json_string(health));
	json_object_set_new(node, "health_detail", json_string(detail));
	json_object_set_new(node, "store", store_json(&h));
	cluster = cluster_json(r);
	store_read_end(r);
	return json_pack("{s:o, s:o}", "node", node, "cluster", cluster);
}

void admin_route_status(struct admin_op *op)
{
	admin_op_reply(op, 200, status_json(op->a));
}

/* ---- cluster status --------------------------------------------------- */

struct member {
	struct store_node node;
	const char *role;
	int reachable;
	char health[16]; /* its own word: "ok", "store-full", "failed" */
	char detail[256];
	uint64_t applied, term;
	struct admin_client *client;
	struct admin_op *op; /* back pointer for the callback */
};

struct fanout {
	struct member m[ADMIN_MEMBERS_MAX];
	unsigned n, pending;
};

static void fanout_free(void *arg)
{
	struct fanout *f = arg;

	for (unsigned i = 0; i < f->n; i++)
		admin_client_cancel(f->m[i].client);
	free(f);
}

static int collect_node(void *arg, const void *key, size_t klen,
			const void *val, size_t vlen)
{
	struct fanout *f = arg;

	if (f->n == ADMIN_MEMBERS_MAX)
		return 1;
	if (store_node_decode(val, vlen, &f->m[f->n].node) == 0)
		f->n++;
	return 0;
}

static void fanout_reply(struct admin_op *op)
{
	struct fanout *f = op->ctx;
	struct admin *a = op->a;
	struct consensus_status st;
	struct store_read *r = NULL;
	struct store_node leader;
	uint64_t best = 0;
	json_t *members, *cluster;

	if (admin_op_detached(op))
		return;
	members = json_array();
	consensus_status_get(a->consensus, &st);
	for (unsigned i = 0; i < f->n; i++)
		if (f->m[i].reachable && f->m[i].applied > best)
			best = f->m[i].applied;
	for (unsigned i = 0; i < f->n; i++) {
		struct member *m = &f->m[i];
		/* What the member says of itself comes first: a failed or
		 * full node is also behind, and "lagging" would hide why. */
		const char *health =
		    !m->reachable ? "unreachable"
		    : m->health[0] && strcmp(m->health, "ok") != 0 ? m->health
		    : m->applied + ADMIN_LAG_ENTRIES < best	   ? "lagging"
								   : "ok";

		json_array_append_new(
		    members,
		    json_pack(
			"{s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:I, "
			"s:I, s:s, s:s}",
			"id", (json_int_t)m->node.id, "name", m->node.name,
			"raft_address", m->node.raft_addr, "admin_address",
			m->node.admin_addr, "role", m->role, "state",
			store_node_state_name(m->node.state), "reachable",
			m->reachable, "applied_index", (json_int_t)m->applied,
			"term", (json_int_t)m->term, "health", health,
			"health_detail", m->reachable ? m->detail : ""));
	}
	if (store_read_begin(a->store, &r) != 0)
		r = NULL;
	if (!st.leader_id || !r ||
	    store_node_get(r, st.leader_id, &leader) != 0)
		snprintf(leader.name, sizeof leader.name, "?");
	cluster = cluster_json(r);
	store_read_end(r);
	admin_op_reply(op, 200,
		       json_pack("{s:o, s:o, s:o}", "cluster", cluster,
				 "leader", id_name(st.leader_id, leader.name),
				 "members", members));
}

static void fanout_answer(void *arg, int status, const char *body, size_t len,
			  const char *err)
{
	struct member *m = arg;
	struct admin_op *op = m->op;
	struct fanout *f = op->ctx;
	json_t *root = NULL, *node;

	m->client = NULL;
	if (status == 200)
		root = json_loadb(body, len, 0, NULL);
	node = root ? json_object_get(root, "node") : NULL;
	if (json_is_object(node)) {
		json_t *ap = json_object_get(node, "applied_index");
		json_t *t = json_object_get(node, "term");
		json_t *he = json_object_get(node, "health");
		json_t *hd = json_object_get(node, "health_detail");

		m->reachable = 1;
		m->applied =
		    json_is_integer(ap) ? (uint64_t)json_integer_value(ap) : 0;
		m->term =
		    json_is_integer(t) ? (uint64_t)json_integer_value(t) : 0;
		snprintf(m->health, sizeof m->health, "%s",
			 json_is_string(he) ? json_string_value(he) : "ok");
		snprintf(m->detail, sizeof m->detail, "%s",
			 json_is_string(hd) ? json_string_value(hd) : "");
	}
	json_decref(root);
	if (--f->pending == 0)
		fanout_reply(op);
}

static const char *member_role(const struct consensus_status *st, uint64_t id)
{
	for (unsigned i = 0; i < st->n_members; i++)
		if (st->members[i].id == id)
			return consensus_member_role_name(st->members[i].role);
	return "none";
}

void admin_route_cluster_status(struct admin_op *op)
{
	struct admin *a = op->a;
	struct evkeyvalq *h = evhttp_request_get_input_headers(op->req);
	const char *auth = evhttp_find_header(h, "Authorization");
	struct consensus_status st;
	struct store_read *r;
	struct fanout *f = calloc(1, sizeof *f);

	if (!f) {
		admin_op_error(op, 500, "out of memory");
		return;
	}
	op->ctx = f;
	op->ctx_free = fanout_free;
	if (admin_op_read_begin(op, &r) != 0)
		return;
	store_each(r, STORE_T_NODES, NULL, 0, collect_node, f);
	store_read_end(r);
	consensus_status_get(a->consensus, &st);
	/* Count first: an answer may not complete the op before all went. */
	f->pending = 1;
	for (unsigned i = 0; i < f->n; i++) {
		struct member *m = &f->m[i];

		m->op = op;
		m->role = member_role(&st, m->node.id);
		if (m->node.id == a->node_id) {
			struct store_health sh;
			const char *health, *detail;

			store_health_get(a->store, &sh);
			health = node_health(a, &st, &sh, &detail);
			m->reachable = 1;
			m->applied = store_applied_index(a->store);
			m->term = st.term;
			snprintf(m->health, sizeof m->health, "%s", health);
			snprintf(m->detail, sizeof m->detail, "%s", detail);
			continue;
		}
		f->pending++;
		if (admin_client_send(a, &m->node, EVHTTP_REQ_GET, "/v1/status",
				      auth, op->peer, NULL, 0,
				      ADMIN_FANOUT_TIMEOUT_MS, fanout_answer, m,
				      &m->client) != 0)
			f->pending--;
	}
	if (--f->pending == 0)
		fanout_reply(op);
}
