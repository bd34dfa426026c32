/* routes_nodes: the members — list, add (issues a join token), remove, and
 * leadership transfer. Joining itself is in routes_join.c. */
#include "node/admin/admin_int.h"
#include "node/admin/prov_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define JOIN_TOKEN_TTL_MS (3600u * 1000)
#define LEADER_POLL_MS 100
#define LEADER_POLLS 50 /* 5 s for a new leader to show */

static json_t *node_json(const struct store_node *n)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} role_names[] = {{STORE_ROLE_SIP, "sip"},
			  {STORE_ROLE_TFTP, "tftp"},
			  {STORE_ROLE_CAPF, "capf"},
			  {STORE_ROLE_ADMIN, "admin"}};
	static const uint8_t zero[32];
	json_t *roles = json_array();
	char fp[7 + 65] = "";

	for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++)
		if (n->roles & role_names[i].bit)
			json_array_append_new(roles,
					      json_string(role_names[i].name));
	if (memcmp(n->https_sha256, zero, 32) != 0) {
		memcpy(fp, "sha256:", 7);
		admin_hex(n->https_sha256, 32, fp + 7);
	}
	return json_pack(
	    "{s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:i, s:i, "
	    "s:i}",
	    "id", (json_int_t)n->id, "name", n->name, "raft_address",
	    n->raft_addr, "admin_address", n->admin_addr, "state",
	    store_node_state_name(n->state), "roles", roles, "https_sha256", fp,
	    "sip_host", n->sip_host, "sip_port", (int)n->sip_port,
	    "sip_tls_port", (int)n->sip_tls_port, "sip_node_port",
	    (int)n->sip_node_port);
}

static int list_node(void *arg, const void *key, size_t klen, const void *val,
		     size_t vlen)
{
	struct store_node n;

	if (store_node_decode(val, vlen, &n) == 0)
		json_array_append_new(arg, node_json(&n));
	return 0;
}

void admin_route_nodes_list(struct admin_op *op)
{
	admin_op_reply_each(op, STORE_T_NODES, "nodes", list_node);
}

/* ---- add -------------------------------------------------------------- */

static int max_node_id(void *arg, const void *key, size_t klen, const void *val,
		       size_t vlen)
{
	uint64_t *max = arg;

	if (klen == 8 && store_key_to_u64(key) > *max)
		*max = store_key_to_u64(key);
	return 0;
}

static int max_token_id(void *arg, const void *key, size_t klen,
			const void *val, size_t vlen)
{
	uint64_t *max = arg;
	struct store_join_token t;

	if (store_join_token_decode(val, vlen, &t) == 0 && t.node_id > *max)
		*max = t.node_id;
	return 0;
}

/* A new id is one never handed out: the cluster record's next_node_id,
 * and above every id in use or promised — records, tokens, and the Raft
 * configuration (which may still hold a removed server) — for a record
 * written before next_node_id existed (0). Ids are not reused because a
 * removed node keeps a CA-issued NODE certificate naming its id. */
static uint64_t next_node_id(struct admin *a, struct store_read *r,
			     const struct store_cluster *cl)
{
	struct consensus_status st;
	uint64_t max = cl->next_node_id ? cl->next_node_id - 1 : 0;

	store_each(r, STORE_T_NODES, NULL, 0, max_node_id, &max);
	store_each(r, STORE_T_JOIN_TOKENS, NULL, 0, max_token_id, &max);
	consensus_status_get(a->consensus, &st);
	for (unsigned i = 0; i < st.n_members; i++)
		if (st.members[i].id > max)
			max = st.members[i].id;
	return max + 1;
}

/* "sha256:HEX" of the cluster CA (the cluster record's ca_sha256) into
 * OUT, or "" for a cluster without a PKI. */
static void cluster_ca_fingerprint(struct admin *a, char out[7 + 65])
{
	static const uint8_t zero[32];
	struct store_cluster cl;
	struct store_read *r;
	int rc = -1;

	out[0] = '\0';
	if (store_read_begin(a->store, &r) == 0) {
		rc = store_cluster_get(r, &cl);
		store_read_end(r);
	}
	if (rc != 0 || memcmp(cl.ca_sha256, zero, 32) == 0)
		return;
	memcpy(out, "sha256:", 7);
	admin_hex(cl.ca_sha256, 32, out + 7);
}

/* The answer pins both ways a joining node may check a member: the CA
 * (ca_fingerprint, good for every member) and this node's own certificate
 * (fingerprint). */
static void node_added(struct admin_op *op, int rc)
{
	char fp[7 + 65] = "sha256:", ca_fp[7 + 65];

	if (rc == STORE_EEXIST) {
		admin_op_error(op, 409, "node \"%s\" was added meanwhile",
			       op->node.name);
		return;
	}
	/* The guard on the cluster record: another addition took the id. */
	if (rc == STORE_ENOTFOUND) {
		admin_op_error(op, 409,
			       "another node was added meanwhile: try again");
		return;
	}
	if (rc) {
		admin_op_fail(op, rc, "adding the node");
		return;
	}
	admin_hex(op->a->fingerprint, 32, fp + 7);
	cluster_ca_fingerprint(op->a, ca_fp);
	admin_op_reply(op, 201,
		       json_pack("{s:I, s:s, s:s, s:I, s:s, s:s*}", "id",
				 (json_int_t)op->node.id, "name", op->node.name,
				 "token", op->token, "expires_ms",
				 (json_int_t)op->expires_ms, "fingerprint", fp,
				 "ca_fingerprint", ca_fp[0] ? ca_fp : NULL));
}

void admin_route_node_add(struct admin_op *op)
{
	struct admin_req_node_add *q = &op->u.node_add;
	struct store_join_token jt = {0};
	struct store_cluster cl, next;
	struct store_node *n = &op->node, other;
	struct store_read *r;
	struct store_cmd *cmd;
	char errmsg[256], detail[STORE_TEXT_MAX];
	uint64_t now = admin_now_ms();
	int rc;

	rc = admin_req_parse_node_add(op->body, op->body_len, q, errmsg,
				      sizeof errmsg);
	if (rc) {
		admin_op_error(op, rc, "%s", errmsg);
		return;
	}
	if (admin_op_read_begin(op, &r) != 0)
		return;
	if (store_cluster_get(r, &cl) != 0) {
		store_read_end(r);
		admin_op_error(op, 409, "the cluster is not initialized");
		return;
	}
	rc = store_node_find(r, q->name, &other);
	memset(n, 0, sizeof *n);
	n->id = next_node_id(op->a, r, &cl);
	store_read_end(r);
	if (rc == 0) {
		admin_op_error(op, 409, "node \"%s\" exists", q->name);
		return;
	}
	next = cl;
	next.next_node_id = n->id + 1;
	snprintf(n->name, sizeof n->name, "%s", q->name);
	n->roles = STORE_ROLE_SIP | STORE_ROLE_TFTP | STORE_ROLE_CAPF |
		   STORE_ROLE_ADMIN;
	n->state = STORE_NODE_JOINING;
	n->created_ms = now;
	if (admin_join_token_make(n->id, op->token, sizeof op->token,
				  jt.secret_sha256) != 0) {
		admin_op_error(op, 500, "no randomness for the token");
		return;
	}
	snprintf(jt.node_name, sizeof jt.node_name, "%s", n->name);
	jt.node_id = n->id;
	op->expires_ms = jt.expires_ms = now + JOIN_TOKEN_TTL_MS;
	snprintf(jt.host, sizeof jt.host, "%s", q->host);
	snprintf(detail, sizeof detail, "name=%s id=%" PRIu64 " host=%s",
		 n->name, n->id, jt.host);
	cmd = admin_op_cmd(op);
	if (!cmd)
		return;
	if (store_cmd_update_cluster(cmd, &cl, &next) ||
	    store_cmd_put_node(cmd, STORE_OP_PUT_NEW, n) ||
	    store_cmd_put_join_token(cmd, &jt) ||
	    store_cmd_audit(cmd, "node.add", detail)) {
		store_cmd_free(cmd);
		admin_op_error(op, 500, "building the change failed");
		return;
	}
	admin_op_propose(op, cmd, node_added);
	store_cmd_free(cmd);
}

/* ---- remove ----------------------------------------------------------- */

static int call_remove(struct admin_op *op, consensus_cb cb)
{
	return consensus_remove(op->a->consensus, op->node.id, cb, op);
}

static int call_transfer(struct admin_op *op, consensus_cb cb)
{
	return consensus_transfer(op->a->consensus, op->id, cb, op);
}

static void node_removed(struct admin_op *op, int rc)
{
	if (rc) {
		admin_op_fail(op, rc, "removing the node record");
		return;
	}
	log_info(ADMIN_TAG, "node %s (%" PRIu64 ") removed by %s",
		 op->node.name, op->node.id, op->actor);
	admin_op_reply(op, 200, json_pack("{s:s}", "removed", op->node.name));
}

/* Everything filed under the node's id goes with its record, in the same
 * command: its certificates (the NODE one among them, which the Raft
 * transport checks peers against), its wrapped keys and its ITL. Deletes
 * that ignore an absent record: a node removed while joining has none. */
static int del_node_files(struct store_cmd *cmd, uint64_t id)
{
	uint8_t key[STORE_CERT_KEY_LEN];

	for (int role = STORE_CERT_HTTPS; role <= STORE_CERT_ROLE_LAST;
	     role++) {
		store_key_cert(id, role, key);
		if (store_cmd_op(cmd, STORE_OP_DEL, STORE_T_CERTS, key,
				 sizeof key, NULL, 0) ||
		    store_cmd_del_key(cmd, id, role))
			return -1;
	}
	return store_cmd_del_itl(cmd, id);
}

static void node_left_raft(struct admin_op *op, int rc)
{
	struct store_cmd *cmd;
	char detail[STORE_TEXT_MAX];

	/* Never added to Raft (still joining): only the record goes. */
	if (rc && rc != CONSENSUS_ENOTFOUND) {
		admin_op_fail(op, rc, "removing the node from Raft");
		return;
	}
	snprintf(detail, sizeof detail, "name=%s id=%" PRIu64, op->node.name,
		 op->node.id);
	cmd = admin_op_cmd(op);
	if (!cmd)
		return;
	if (store_cmd_del_node(cmd, op->node.id) ||
	    del_node_files(cmd, op->node.id) ||
	    store_cmd_op(cmd, STORE_OP_DEL, STORE_T_JOIN_TOKENS, op->node.name,
			 strlen(op->node.name), NULL, 0) ||
	    store_cmd_audit(cmd, "node.remove", detail)) {
		store_cmd_free(cmd);
		admin_op_error(op, 500, "building the change failed");
		return;
	}
	admin_op_propose(op, cmd, node_removed);
	store_cmd_free(cmd);
}

/* This node handed leadership over: the new leader removes us. */
static void self_wait_leader(struct admin_op *op, int rc)
{
	struct consensus_status st;

	if (admin_op_detached(op))
		return;
	consensus_status_get(op->a->consensus, &st);
	if (st.leader_id && st.leader_id != op->a->node_id) {
		admin_forward(op);
		return;
	}
	if (op->polls++ >= LEADER_POLLS) {
		admin_op_error(op, 503, "no new leader after the transfer");
		return;
	}
	admin_op_after(op, LEADER_POLL_MS, self_wait_leader);
}

static void self_transferred(struct admin_op *op, int rc)
{
	if (rc) {
		admin_op_fail(op, rc, "handing leadership over first");
		return;
	}
	self_wait_leader(op, 0);
}

void admin_route_node_remove(struct admin_op *op)
{
	struct consensus_status st;
	struct store_read *r;
	char group[STORE_NAME_MAX];
	int rc, in_raft = 0, voters = 0;

	if (admin_op_read_begin(op, &r) != 0)
		return;
	rc = store_node_find(r, op->args[0], &op->node);
	/* Phones fail over along node groups: one that still lists the
	 * node must be changed first. */
	if (rc == 0 && prov_node_group_of(r, op->node.id, group) == 1) {
		store_read_end(r);
		admin_op_error(op, 409,
			       "node %s is in node group %s: take it out "
			       "first",
			       op->node.name, group);
		return;
	}
	store_read_end(r);
	if (rc) {
		admin_op_error(op, 404, "no node \"%s\"", op->args[0]);
		return;
	}
	consensus_status_get(op->a->consensus, &st);
	for (unsigned i = 0; i < st.n_members; i++) {
		if (st.members[i].id == op->node.id)
			in_raft = 1;
		if (st.members[i].role == CONSENSUS_MEMBER_VOTER)
			voters++;
	}
	if (op->node.id == op->a->node_id) {
		if (voters <= 1) {
			admin_op_error(op, 409,
				       "the last voter cannot be removed");
			return;
		}
		op->id = 0; /* the most up-to-date voter */
		admin_op_call(op, call_transfer, self_transferred);
		return;
	}
	if (in_raft)
		admin_op_call(op, call_remove, node_left_raft);
	else
		node_left_raft(op, 0);
}

/* ---- leadership transfer ---------------------------------------------- */

static void transfer_wait(struct admin_op *op, int rc)
{
	struct consensus_status st;
	struct store_node n;
	struct store_read *r;

	if (admin_op_detached(op))
		return;
	consensus_status_get(op->a->consensus, &st);
	if (st.leader_id && st.leader_id != op->a->node_id) {
		snprintf(n.name, sizeof n.name, "?");
		if (store_read_begin(op->a->store, &r) == 0) {
			store_node_get(r, st.leader_id, &n);
			store_read_end(r);
		}
		admin_op_reply(op, 200, json_pack("{s:s}", "leader", n.name));
		return;
	}
	if (op->polls++ >= LEADER_POLLS) {
		admin_op_error(op, 503, "no new leader after the transfer");
		return;
	}
	admin_op_after(op, LEADER_POLL_MS, transfer_wait);
}

static void transferred(struct admin_op *op, int rc)
{
	if (rc) {
		admin_op_fail(op, rc, "leadership transfer");
		return;
	}
	transfer_wait(op, 0);
}

static void transfer_audited(struct admin_op *op, int rc)
{
	if (rc) {
		admin_op_fail(op, rc, "leadership transfer");
		return;
	}
	admin_op_call(op, call_transfer, transferred);
}

void admin_route_transfer(struct admin_op *op)
{
	struct admin_req_transfer *q = &op->u.transfer;
	struct store_read *r;
	struct store_cmd *cmd;
	char errmsg[256], detail[STORE_TEXT_MAX];
	int rc;

	rc = admin_req_parse_transfer(op->body, op->body_len, q, errmsg,
				      sizeof errmsg);
	if (rc) {
		admin_op_error(op, rc, "%s", errmsg);
		return;
	}
	op->id = 0;
	if (q->node[0]) {
		if (admin_op_read_begin(op, &r) != 0)
			return;
		rc = store_node_find(r, q->node, &op->node);
		store_read_end(r);
		if (rc) {
			admin_op_error(op, 404, "no node \"%s\"", q->node);
			return;
		}
		if (op->node.id == op->a->node_id) {
			admin_op_reply(
			    op, 200,
			    json_pack("{s:s}", "leader", op->a->node_name));
			return;
		}
		op->id = op->node.id;
	}
	snprintf(detail, sizeof detail, "to=%s",
		 q->node[0] ? q->node : "(any)");
	cmd = admin_op_cmd(op);
	if (!cmd)
		return;
	if (store_cmd_audit(cmd, "leader.transfer", detail)) {
		store_cmd_free(cmd);
		admin_op_error(op, 500, "building the change failed");
		return;
	}
	admin_op_propose(op, cmd, transfer_audited);
	store_cmd_free(cmd);
}
