/* routes_security: the cluster security mode (seed: cluster and device
 * security mode). Mixed mode needs a CTL that verifies, lists today's
 * certificates and carries at least two security tokens — a phone that
 * trusts one token only would be stranded if it were lost. A change of
 * mode is one command: the cluster record, a pending reset for every
 * service that reads the mode and for the devices, and the audit record;
 * rolling restarts consume the resets later. */
#include "node/admin/admin_pki.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define TOKENS_FOR_MIXED 2

static const char ctl_key[] = "current";
static const char *const node_services[] = {"sip", "tftp", "capf"};

static int list_reset(void *arg, const struct store_reset *rs)
{
	json_array_append_new(
	    arg,
	    json_pack("{s:s, s:s, s:s, s:I}", "kind",
		      rs->kind == STORE_RESET_DEVICE ? "device" : "service",
		      "name", rs->name, "reason", rs->reason, "since_ms",
		      (json_int_t)rs->since_ms));
	return 0;
}

/* Why the cluster cannot be mixed now, into WHY; 0 if it can. */
static int mixed_blocked(struct store_read *r,
			 const struct admin_ctl_status *ctl, char *why,
			 size_t cap)
{
	size_t n_tokens = 0;

	if (store_count(r, STORE_T_TOKENS, &n_tokens) != 0)
		n_tokens = 0;
	if (n_tokens < TOKENS_FOR_MIXED) {
		snprintf(why, cap,
			 "mixed mode needs at least %d registered security "
			 "tokens (%zu now): wardctl token register",
			 TOKENS_FOR_MIXED, n_tokens);
		return 1;
	}
	if (!ctl->present) {
		snprintf(why, cap,
			 "mixed mode needs a signed CTL: wardctl ctl sign");
		return 1;
	}
	if (!ctl->verifies || !ctl->current) {
		snprintf(why, cap, "%s: wardctl ctl sign", ctl->problem);
		return 1;
	}
	if (ctl->n_sast < TOKENS_FOR_MIXED) {
		snprintf(why, cap,
			 "the CTL lists %zu security token(s); mixed mode "
			 "needs at least %d",
			 ctl->n_sast, TOKENS_FOR_MIXED);
		return 1;
	}
	return 0;
}

void admin_route_security_get(struct admin_op *op)
{
	struct admin_ctl_status ctl = {0};
	struct store_cluster cl;
	struct store_read *r;
	json_t *resets = json_array(), *ctl_json = NULL;
	char why[1024] = "";
	size_t n_tokens = 0;
	int rc, blocked = 1;

	if (admin_op_read_begin(op, &r) != 0) {
		json_decref(resets);
		return;
	}
	rc = store_cluster_get(r, &cl);
	if (rc == 0)
		rc = admin_ctl_status_read(r, &ctl);
	if (rc == 0)
		rc = store_reset_each(r, list_reset, resets);
	if (rc == 0)
		rc = store_count(r, STORE_T_TOKENS, &n_tokens);
	if (rc == 0) {
		ctl_json = admin_ctl_status_json(r, &ctl);
		blocked = mixed_blocked(r, &ctl, why, sizeof why);
	}
	store_read_end(r);
	admin_ctl_status_free(&ctl);
	if (rc) {
		json_decref(resets);
		admin_op_fail(op, rc, "reading the security state");
		return;
	}
	admin_op_reply(op, 200,
		       json_pack("{s:s, s:o, s:I, s:b, s:s?, s:o}", "mode",
				 store_security_mode_name(cl.security_mode),
				 "ctl", ctl_json, "tokens",
				 (json_int_t)n_tokens, "mixed_ready", !blocked,
				 "mixed_blocked_by", blocked ? why : NULL,
				 "resets", resets));
}

/* ---- change ------------------------------------------------------------ */

static void mode_changed(struct admin_op *op, int rc)
{
	if (rc == STORE_ENOTFOUND) {
		admin_op_error(op, 409,
			       "the cluster or its CTL changed meanwhile: "
			       "retry");
		return;
	}
	if (rc) {
		admin_op_fail(op, rc, "changing the security mode");
		return;
	}
	log_info(ADMIN_TAG, "%s", op->text);
	admin_op_reply(op, 200,
		       json_pack("{s:s, s:s, s:b, s:I}", "mode", op->args[1],
				 "previous", op->args[0], "changed", 1,
				 "resets", (json_int_t)op->id));
}

struct resets_ctx {
	struct store_cmd *cmd;
	const char *reason;
	uint64_t now;
	uint64_t n;
	int rc;
};

static int add_reset(struct resets_ctx *c, enum store_reset_kind kind,
		     const char *name)
{
	struct store_reset rs = {.kind = kind, .since_ms = c->now};

	snprintf(rs.name, sizeof rs.name, "%s", name);
	snprintf(rs.reason, sizeof rs.reason, "%s", c->reason);
	c->rc = store_cmd_put_reset(c->cmd, &rs);
	c->n++;
	return c->rc;
}

static int node_resets(void *arg, const void *key, size_t klen, const void *val,
		       size_t vlen)
{
	struct resets_ctx *c = arg;
	struct store_node n;
	char name[STORE_NAME_MAX + 16];

	if (store_node_decode(val, vlen, &n) != 0 ||
	    n.state == STORE_NODE_JOINING)
		return 0;
	for (size_t i = 0; i < 3; i++) {
		/* A name that long leaves no room: the id says it too. */
		if ((size_t)snprintf(name, sizeof name, "%s/%s", n.name,
				     node_services[i]) >= STORE_NAME_MAX)
			snprintf(name, sizeof name, "node%" PRIu64 "/%s", n.id,
				 node_services[i]);
		if (add_reset(c, STORE_RESET_SERVICE, name))
			return 1;
	}
	return 0;
}

/* The command of a change from OLD to mode M. 0, or -1 after answering. */
static int mode_cmd(struct admin_op *op, struct store_read *r,
		    const struct store_cluster *old, enum store_security_mode m,
		    struct store_cmd **out)
{
	struct store_cluster next = *old;
	struct resets_ctx c = {0};
	const void *raw;
	size_t raw_len;
	char reason[STORE_TEXT_MAX], detail[STORE_TEXT_MAX];

	next.security_mode = m;
	snprintf(reason, sizeof reason, "security mode \xe2\x86\x92 %s",
		 store_security_mode_name(m));
	c.reason = reason;
	c.now = admin_now_ms();
	c.cmd = admin_op_cmd(op);
	if (!c.cmd)
		return -1;
	if (store_cmd_update_cluster(c.cmd, old, &next))
		goto err;
	/* Mixed was allowed for this CTL: it must still be the one. */
	if (m == STORE_SECURITY_MIXED &&
	    (store_get(r, STORE_T_CTL, ctl_key, sizeof ctl_key - 1, &raw,
		       &raw_len) ||
	     store_cmd_op(c.cmd, STORE_OP_EXPECT, STORE_T_CTL, ctl_key,
			  sizeof ctl_key - 1, raw, raw_len)))
		goto err;
	if (store_each(r, STORE_T_NODES, NULL, 0, node_resets, &c) || c.rc ||
	    add_reset(&c, STORE_RESET_DEVICE, "*"))
		goto err;
	snprintf(detail, sizeof detail, "%s \xe2\x86\x92 %s; resets=%" PRIu64,
		 store_security_mode_name(old->security_mode),
		 store_security_mode_name(m), c.n);
	if (store_cmd_audit(c.cmd, "security.mode", detail))
		goto err;
	snprintf(op->text, sizeof op->text,
		 "security mode changed by %.63s: %.400s", op->actor, detail);
	op->id = c.n;
	*out = c.cmd;
	return 0;
err:
	store_cmd_free(c.cmd);
	admin_op_error(op, 500, "building the change failed");
	return -1;
}

void admin_route_security_mode(struct admin_op *op)
{
	struct admin_req_mode q;
	struct admin_ctl_status ctl = {0};
	struct store_cluster cl;
	struct store_read *r;
	struct store_cmd *cmd = NULL;
	enum store_security_mode m;
	char errmsg[1024];
	int rc;

	rc = admin_req_parse_mode(op->body, op->body_len, &q, errmsg,
				  sizeof errmsg);
	if (rc) {
		admin_op_error(op, rc, "%s", errmsg);
		return;
	}
	if (strcmp(q.mode, "mixed") == 0)
		m = STORE_SECURITY_MIXED;
	else if (strcmp(q.mode, "non-secure") == 0)
		m = STORE_SECURITY_NON_SECURE;
	else {
		admin_op_error(op, 400, "mode: \"mixed\" or \"non-secure\"");
		return;
	}
	if (admin_op_read_begin(op, &r) != 0)
		return;
	rc = store_cluster_get(r, &cl);
	if (rc == 0 && m == STORE_SECURITY_MIXED)
		rc = admin_ctl_status_read(r, &ctl);
	if (rc) {
		store_read_end(r);
		admin_ctl_status_free(&ctl);
		admin_op_fail(op, rc, "reading the cluster");
		return;
	}
	/* This route captures no path segment: args carry the two modes
	 * to the answer. */
	snprintf(op->args[0], sizeof op->args[0], "%s",
		 store_security_mode_name(cl.security_mode));
	snprintf(op->args[1], sizeof op->args[1], "%s",
		 store_security_mode_name(m));
	if (cl.security_mode == m) {
		store_read_end(r);
		admin_ctl_status_free(&ctl);
		admin_op_reply(op, 200,
			       json_pack("{s:s, s:s, s:b, s:i}", "mode",
					 op->args[1], "previous", op->args[0],
					 "changed", 0, "resets", 0));
		return;
	}
	if (m == STORE_SECURITY_MIXED &&
	    mixed_blocked(r, &ctl, errmsg, sizeof errmsg)) {
		store_read_end(r);
		admin_ctl_status_free(&ctl);
		admin_op_error(op, 409, "%s", errmsg);
		return;
	}
	rc = mode_cmd(op, r, &cl, m, &cmd);
	store_read_end(r);
	admin_ctl_status_free(&ctl);
	if (rc)
		return;
	admin_op_propose(op, cmd, mode_changed);
	store_cmd_free(cmd);
}
