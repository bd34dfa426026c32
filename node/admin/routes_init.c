/* routes_init: POST /v1/cluster/init — turns an uninitialized node into the
 * first voter of a new cluster. The one-time token from DATA/init.token
 * proves the caller can read this node's data directory. */
#include "node/admin/admin_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/log.h"

#define INIT_POLL_MS 100
#define INIT_POLLS 100 /* up to 10 s to win the first election */

static int uuid_v4(char out[37])
{
	uint8_t b[16];
	char hex[33];

	if (RAND_bytes(b, sizeof b) != 1)
		return -1;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	admin_hex(b, sizeof b, hex);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
		 hex + 16, hex + 20);
	return 0;
}

static void init_done(struct admin_op *op, int rc)
{
	struct admin *a = op->a;
	char path[4096];

	if (rc) {
		admin_op_fail(op, rc, "writing the new cluster");
		return;
	}
	snprintf(path, sizeof path, "%s/init.token", a->data_dir);
	if (unlink(path) != 0 && errno != ENOENT)
		log_warn(ADMIN_TAG, "%s: %s (remove it by hand)", path,
			 strerror(errno));
	a->init_expected = 0;
	OPENSSL_cleanse(a->init_sha256, sizeof a->init_sha256);
	log_info(ADMIN_TAG, "cluster %s (%s) initialized; first admin %s",
		 op->text, a->cluster_id, op->rec.name);
	admin_op_reply(
	    op, 200,
	    json_pack("{s:s, s:s, s:s, s:I, s:s}", "cluster_id", a->cluster_id,
		      "name", op->text, "cluster_name", op->text, "node_id",
		      (json_int_t)a->node_id, "node_name", a->node_name));
}

/* A wildcard listen address is no address to publish: use the Raft host. */
static void public_admin_addr(struct admin *a, char *out, size_t cap)
{
	char host[STORE_ADDR_MAX], rhost[STORE_ADDR_MAX];
	unsigned port = 0, rport = 0;

	if (admin_addr_split(a->admin_addr, host, sizeof host, &port) == 0 &&
	    (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0) &&
	    admin_addr_split(a->raft_addr, rhost, sizeof rhost, &rport) == 0)
		snprintf(out, cap, strchr(rhost, ':') ? "[%s]:%u" : "%s:%u",
			 rhost, port ? port : (unsigned)a->port);
	else
		snprintf(out, cap, "%s", a->admin_addr);
}

static void init_write(struct admin_op *op)
{
	struct admin *a = op->a;
	struct store_cluster cl = {0};
	struct store_node n = {0};
	struct store_cmd *cmd;
	char detail[STORE_TEXT_MAX];
	uint64_t now = admin_now_ms();

	snprintf(cl.id, sizeof cl.id, "%s", a->cluster_id);
	snprintf(cl.name, sizeof cl.name, "%.63s", op->text);
	cl.schema_version = STORE_SCHEMA_VERSION;
	cl.created_ms = now;
	n.id = a->node_id;
	snprintf(n.name, sizeof n.name, "%s", a->node_name);
	snprintf(n.raft_addr, sizeof n.raft_addr, "%s", a->raft_addr);
	public_admin_addr(a, n.admin_addr, sizeof n.admin_addr);
	n.roles = STORE_ROLE_SIP | STORE_ROLE_TFTP | STORE_ROLE_CAPF |
		  STORE_ROLE_ADMIN;
	n.state = STORE_NODE_VOTER;
	memcpy(n.https_sha256, a->fingerprint, 32);
	n.created_ms = now;
	snprintf(detail, sizeof detail, "cluster=%s id=%s node=%s admin=%s",
		 cl.name, cl.id, n.name, op->rec.name);
	cmd = admin_op_cmd(op);
	if (!cmd)
		return;
	if (store_cmd_put_cluster(cmd, &cl) ||
	    store_cmd_put_node(cmd, STORE_OP_PUT_NEW, &n) ||
	    store_cmd_put_admin(cmd, STORE_OP_PUT_NEW, &op->rec) ||
	    store_cmd_audit(cmd, "cluster.init", detail)) {
		store_cmd_free(cmd);
		admin_op_error(op, 500, "building the change failed");
		return;
	}
	admin_op_propose(op, cmd, init_done);
	store_cmd_free(cmd);
}

static void init_wait_leader(struct admin_op *op, int rc)
{
	if (admin_is_leader(op->a)) {
		init_write(op);
		return;
	}
	if (op->polls++ >= INIT_POLLS) {
		admin_op_error(op, 503,
			       "bootstrapped, but this node did not become "
			       "leader in time: retry the init");
		return;
	}
	admin_op_after(op, INIT_POLL_MS, init_wait_leader);
}

void admin_route_init(struct admin_op *op)
{
	struct admin *a = op->a;
	struct admin_req_init *q = &op->u.init;
	struct store_cluster cl;
	struct store_read *r;
	char errmsg[256] = "";
	uint8_t sha[32];
	int rc, exists = 0;

	rc = admin_req_parse_init(op->body, op->body_len, q, errmsg,
				  sizeof errmsg);
	if (rc) {
		admin_op_error(op, rc, "%s", errmsg);
		return;
	}
	if (store_read_begin(a->store, &r) == 0) {
		exists = store_cluster_get(r, &cl) == 0;
		store_read_end(r);
	}
	/* A retry after a failed write may find consensus already running:
	 * only this process's own bootstrap counts then. */
	if (!a->init_expected || exists ||
	    (a->consensus && !a->cluster_id[0])) {
		admin_op_error(op, 409, "this node is initialized already");
		return;
	}
	if (a->init_op) {
		admin_op_error(op, 409, "an initialization is in progress");
		return;
	}
	rc = admin_secret_hash(q->token, strlen(q->token), sha);
	if (rc != 0 || CRYPTO_memcmp(sha, a->init_sha256, 32) != 0) {
		log_warn(ADMIN_TAG, "cluster init with a wrong token from %s",
			 op->peer);
		admin_op_error(op, 401, "wrong init token (see %s/init.token)",
			       a->data_dir);
		return;
	}
	memset(&op->rec, 0, sizeof op->rec);
	snprintf(op->rec.name, sizeof op->rec.name, "%s", q->admin);
	op->rec.created_ms = op->rec.changed_ms = admin_now_ms();
	rc = admin_password_hash(q->password, q->password_len, &op->rec);
	OPENSSL_cleanse(q->password, sizeof q->password);
	if (rc) {
		admin_op_error(op, 500, "password hashing failed");
		return;
	}
	snprintf(op->text, sizeof op->text, "%s", q->cluster_name);
	snprintf(op->actor, sizeof op->actor, "%s", q->admin);
	a->init_op = op;
	if (!a->consensus) {
		if (uuid_v4(a->cluster_id) != 0) {
			admin_op_error(op, 500, "no randomness");
			return;
		}
		if (!a->hooks.bootstrap ||
		    a->hooks.bootstrap(a->hooks.arg, a->cluster_id, errmsg,
				       sizeof errmsg) != 0 ||
		    !a->consensus) {
			a->cluster_id[0] = '\0';
			admin_op_error(op, 500, "bootstrap failed: %s",
				       a->hooks.bootstrap ? errmsg : "no hook");
			return;
		}
		log_info(ADMIN_TAG, "bootstrapped cluster %s; waiting to lead",
			 a->cluster_id);
	}
	init_wait_leader(op, 0);
}
