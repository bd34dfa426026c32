/* routes_join: POST /v1/join — a new node, holding the one-time token that
 * "node add" issued, asks to become a member. On the leader: check the
 * token, record the node (state spare) guarded by the token still being
 * there, add the server to Raft (spare, caught up, voter), then consume the
 * token and record the node a voter in one command. The token is spent only
 * by a join that succeeded: a node that could not catch up may ask again
 * with the same token until it expires. */
#include "node/admin/admin_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"

static void join_refuse(struct admin_op *op, int status, const char *why)
{
	char detail[STORE_TEXT_MAX];

	snprintf(detail, sizeof detail, "name=%s peer=%s reason=%s",
		 op->u.join.name, op->peer, why);
	admin_audit_failure(op->a, "join.fail", detail);
	admin_op_error(op, status, "join refused: %s", why);
}

static void join_done(struct admin_op *op, int rc)
{
	struct store_cluster cl;
	struct store_read *r;

	if (rc == STORE_ENOTFOUND) {
		admin_op_error(op, 409, "join refused: token already used");
		return;
	}
	if (rc) {
		admin_op_fail(op, rc, "recording the node as a voter");
		return;
	}
	memset(&cl, 0, sizeof cl);
	if (store_read_begin(op->a->store, &r) == 0) {
		store_cluster_get(r, &cl);
		store_read_end(r);
	}
	log_info(ADMIN_TAG, "node %s (%" PRIu64 ") joined as a voter",
		 op->node.name, op->node.id);
	admin_op_reply(op, 200,
		       json_pack("{s:s, s:s, s:I, s:s}", "cluster_id", cl.id,
				 "cluster_name", cl.name, "node_id",
				 (json_int_t)op->node.id, "leader",
				 op->a->node_name));
}

static void join_added(struct admin_op *op, int rc)
{
	struct store_cmd *cmd;
	char detail[STORE_TEXT_MAX];

	if (rc) {
		log_warn(ADMIN_TAG, "node %s could not be added to Raft: %s",
			 op->node.name, consensus_strerror(rc));
		admin_op_fail(op, rc, "adding the node to Raft");
		return;
	}
	op->node.state = STORE_NODE_VOTER;
	snprintf(detail, sizeof detail, "name=%s id=%" PRIu64, op->node.name,
		 op->node.id);
	cmd = admin_op_cmd(op);
	if (!cmd)
		return;
	if (store_cmd_use_join_token(cmd, op->node.name) ||
	    store_cmd_put_node(cmd, STORE_OP_PUT, &op->node) ||
	    store_cmd_audit(cmd, "node.voter", detail)) {
		store_cmd_free(cmd);
		admin_op_error(op, 500, "building the change failed");
		return;
	}
	admin_op_propose(op, cmd, join_done);
	store_cmd_free(cmd);
}

static int call_add(struct admin_op *op, consensus_cb cb)
{
	return consensus_add(op->a->consensus, op->node.id, op->node.raft_addr,
			     cb, op);
}

static void join_spare(struct admin_op *op, int rc)
{
	if (rc == STORE_ENOTFOUND) {
		admin_op_error(op, 409, "join refused: token used meanwhile");
		return;
	}
	if (rc) {
		admin_op_fail(op, rc, "recording the node");
		return;
	}
	log_info(ADMIN_TAG, "node %s (%" PRIu64 ") at %s joining: catching up",
		 op->node.name, op->node.id, op->node.raft_addr);
	admin_op_call(op, call_add, join_added);
}

/* A node listening on a wildcard address is reached at its Raft host. */
static void join_admin_addr(const struct admin_req_join *q, char *out,
			    size_t cap)
{
	char host[STORE_ADDR_MAX], rhost[STORE_ADDR_MAX];
	unsigned port, rport;

	admin_addr_split(q->admin_address, host, sizeof host, &port);
	admin_addr_split(q->raft_address, rhost, sizeof rhost, &rport);
	if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
		snprintf(out, cap, strchr(rhost, ':') ? "[%s]:%u" : "%s:%u",
			 rhost, port);
	else
		snprintf(out, cap, "%s", q->admin_address);
}

void admin_route_join(struct admin_op *op)
{
	struct admin_req_join *q = &op->u.join;
	struct store_join_token jt;
	struct store_node *n = &op->node;
	struct store_read *r;
	struct store_cmd *cmd;
	char errmsg[256], detail[STORE_TEXT_MAX], rhost[STORE_ADDR_MAX];
	uint8_t sha[32];
	uint64_t id;
	unsigned rport;
	int rc, have_token, have_node;
	const void *val;

	rc = admin_req_parse_join(op->body, op->body_len, q, errmsg,
				  sizeof errmsg);
	if (rc) {
		admin_op_error(op, rc, "%s", errmsg);
		return;
	}
	snprintf(op->actor, sizeof op->actor, "node:%.58s", q->name);
	if (admin_join_token_parse(q->token, strlen(q->token), &id, sha) != 0) {
		join_refuse(op, 401, "malformed token");
		return;
	}
	if (store_read_begin(op->a->store, &r) != 0) {
		admin_op_error(op, 500, "store unreadable");
		return;
	}
	have_token = store_join_token_get(r, q->name, &jt) == 0;
	have_node = store_node_find(r, q->name, n) == 0;
	if (have_token &&
	    (store_get(r, STORE_T_JOIN_TOKENS, q->name, strlen(q->name), &val,
		       &op->guard_len) != 0 ||
	     op->guard_len > sizeof op->guard))
		have_token = 0;
	else if (have_token)
		memcpy(op->guard, val, op->guard_len);
	store_read_end(r);
	admin_addr_split(q->raft_address, rhost, sizeof rhost, &rport);
	if (!have_token) {
		if (have_node && n->state != STORE_NODE_JOINING)
			join_refuse(op, 409, "token already used");
		else
			join_refuse(op, 401, "no such token");
		return;
	}
	switch (admin_join_token_check(&jt, id, sha, admin_now_ms(), rhost)) {
	case ADMIN_TOKEN_OK:
		break;
	case ADMIN_TOKEN_EXPIRED:
		join_refuse(op, 401, "token expired");
		return;
	case ADMIN_TOKEN_HOST:
		join_refuse(op, 401,
			    "token issued for another host than the Raft "
			    "address's");
		return;
	default:
		join_refuse(op, 401, "wrong token");
		return;
	}
	if (!have_node || n->id != id ||
	    (n->state != STORE_NODE_JOINING && n->state != STORE_NODE_SPARE)) {
		join_refuse(op, 409, "the node record is gone or not joining");
		return;
	}
	n->state = STORE_NODE_SPARE;
	snprintf(n->raft_addr, sizeof n->raft_addr, "%s", q->raft_address);
	join_admin_addr(q, n->admin_addr, sizeof n->admin_addr);
	memcpy(n->https_sha256, q->https_sha256, 32);
	snprintf(detail, sizeof detail,
		 "name=%s id=%" PRIu64 " raft=%s peer=%s", n->name, n->id,
		 n->raft_addr, op->peer);
	cmd = admin_op_cmd(op);
	if (!cmd)
		return;
	if (store_cmd_op(cmd, STORE_OP_EXPECT, STORE_T_JOIN_TOKENS, n->name,
			 strlen(n->name), op->guard, op->guard_len) ||
	    store_cmd_put_node(cmd, STORE_OP_PUT, n) ||
	    store_cmd_audit(cmd, "node.join", detail)) {
		store_cmd_free(cmd);
		admin_op_error(op, 500, "building the change failed");
		return;
	}
	admin_op_propose(op, cmd, join_spare);
	store_cmd_free(cmd);
}
