/* routes_tokens: the security tokens allowed to sign the CTL, registered by
 * their certificate (the private key never leaves the token), keyed by the
 * certificate's serial. A token that signs the current CTL stays while the
 * cluster is in mixed mode: phones trust only CTLs signed by a token the
 * CTL they hold lists, so removing it could strand them. */
#include "node/admin/admin_pki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define TOKENS_FOR_MIXED 2

static const char cluster_key[] = "cluster";

struct list_ctx {
	const struct admin_ctl_status *ctl;
	json_t *list;
};

static int list_token(void *arg, const struct store_token *t)
{
	struct list_ctx *l = arg;
	char errmsg[256];
	json_t *j =
	    admin_pki_cert_json(t->der, t->der_len, errmsg, sizeof errmsg);

	if (!j)
		j = json_pack("{s:s}", "problem", errmsg);
	json_object_set_new(j, "serial", json_string(t->serial));
	json_object_set_new(j, "label", json_string(t->label));
	json_object_set_new(j, "registered_ms",
			    json_integer((json_int_t)t->registered_ms));
	json_object_set_new(j, "registered_by", json_string(t->registered_by));
	json_object_set_new(
	    j, "in_ctl", json_boolean(admin_ctl_lists_sast(l->ctl, t->sha256)));
	json_array_append_new(l->list, j);
	return 0;
}

void admin_route_tokens_list(struct admin_op *op)
{
	struct admin_ctl_status ctl;
	struct list_ctx l = {&ctl, json_array()};
	struct store_read *r;
	int rc;

	if (admin_op_read_begin(op, &r) != 0) {
		json_decref(l.list);
		return;
	}
	rc = admin_ctl_status_read(r, &ctl);
	if (rc == 0)
		rc = store_token_each(r, list_token, &l);
	store_read_end(r);
	admin_ctl_status_free(&ctl);
	if (rc) {
		json_decref(l.list);
		admin_op_fail(op, rc, "reading the tokens");
		return;
	}
	admin_op_reply(op, 200,
		       json_pack("{s:o, s:i}", "tokens", l.list,
				 "required_for_mixed", TOKENS_FOR_MIXED));
}

/* ---- register ---------------------------------------------------------- */

static void registered(struct admin_op *op, int rc)
{
	if (rc == STORE_EEXIST) {
		admin_op_error(op, 409, "registered meanwhile");
		return;
	}
	if (rc) {
		admin_op_fail(op, rc, "registering the token");
		return;
	}
	admin_op_reply_kept(op, 201);
}

/* The record and its command for X; 0, or -1 after answering. */
static int register_build(struct admin_op *op, X509 *x, const char *label,
			  struct store_cmd **out)
{
	struct pki_cert_info info;
	struct store_token t = {0}, old;
	struct store_read *r;
	char errmsg[512], detail[STORE_TEXT_MAX];
	uint8_t *der = NULL;
	size_t n = 0;
	struct store_cmd *cmd;
	int rc;

	if (pki_cert_info(x, &info, errmsg, sizeof errmsg) != 0) {
		admin_op_error(op, 400, "cert: %s", errmsg);
		return -1;
	}
	if (admin_op_read_begin(op, &r) != 0)
		return -1;
	rc = store_token_get(r, info.serial, &old);
	if (rc == 0)
		snprintf(errmsg, sizeof errmsg, "%s", old.label);
	if (rc == 0 || rc == STORE_ENOTFOUND)
		rc = store_count(r, STORE_T_TOKENS, &n) ? -1 : rc;
	store_read_end(r);
	if (rc == 0) {
		admin_op_error(op, 409,
			       "a token with serial %s is registered already "
			       "(label \"%s\")",
			       info.serial, errmsg);
		return -1;
	}
	if (rc != STORE_ENOTFOUND) {
		admin_op_error(op, 500, "store unreadable");
		return -1;
	}
	if (pki_cert_to_der(x, &der, &t.der_len) != 0) {
		admin_op_error(op, 500, "encoding the certificate failed");
		return -1;
	}
	t.der = der;
	snprintf(t.serial, sizeof t.serial, "%s", info.serial);
	snprintf(t.label, sizeof t.label, "%s", label);
	memcpy(t.sha256, info.sha256, 32);
	t.registered_ms = admin_now_ms();
	snprintf(t.registered_by, sizeof t.registered_by, "%s", op->actor);
	snprintf(detail, sizeof detail, "serial=%s label=%s %.200s", t.serial,
		 t.label, info.subject);
	cmd = admin_op_cmd(op);
	if (!cmd || store_cmd_put_token(cmd, STORE_OP_PUT_NEW, &t) ||
	    store_cmd_audit(cmd, "token.register", detail)) {
		free(der);
		store_cmd_free(cmd);
		if (cmd)
			admin_op_error(op, 500, "building the change failed");
		return -1;
	}
	admin_op_keep_answer(op, admin_pki_cert_json(der, t.der_len, NULL, 0));
	free(der);
	json_object_set_new(op->ctx, "label", json_string(t.label));
	json_object_set_new(op->ctx, "registered", json_integer((int)n + 1));
	if (n + 1 < TOKENS_FOR_MIXED)
		json_object_set_new(
		    op->ctx, "note",
		    json_string("mixed mode needs at least two registered "
				"tokens"));
	*out = cmd;
	return 0;
}

void admin_route_token_register(struct admin_op *op)
{
	struct admin_req_token *q = malloc(sizeof *q);
	struct store_cmd *cmd = NULL;
	char errmsg[512], label[STORE_NAME_MAX];
	X509 *x = NULL;
	int rc;

	if (!q) {
		admin_op_error(op, 500, "out of memory");
		return;
	}
	rc = admin_req_parse_token(op->body, op->body_len, q, errmsg,
				   sizeof errmsg);
	if (rc) {
		free(q);
		admin_op_error(op, rc, "%s", errmsg);
		return;
	}
	rc = pki_cert_parse(q->cert, q->cert_len, &x, errmsg, sizeof errmsg);
	snprintf(label, sizeof label, "%s", q->label);
	free(q);
	if (rc) {
		admin_op_error(op, 400, "cert: %s", errmsg);
		return;
	}
	if (!admin_pki_signing_key_ok(x, errmsg, sizeof errmsg)) {
		X509_free(x);
		admin_op_error(op, 400, "cert: %s", errmsg);
		return;
	}
	rc = register_build(op, x, label, &cmd);
	X509_free(x);
	if (rc)
		return;
	admin_op_propose(op, cmd, registered);
	store_cmd_free(cmd);
}

/* ---- remove ------------------------------------------------------------ */

static void removed(struct admin_op *op, int rc)
{
	if (rc == STORE_ENOTFOUND) {
		admin_op_error(op, 409,
			       "the token or the security mode changed "
			       "meanwhile: retry");
		return;
	}
	if (rc) {
		admin_op_fail(op, rc, "removing the token");
		return;
	}
	admin_op_reply(op, 200, json_pack("{s:s}", "removed", op->args[0]));
}

struct other_signer {
	const struct admin_ctl_status *ctl;
	const char *serial;
	int found;
};

static int other_sast(void *arg, const struct store_token *t)
{
	struct other_signer *o = arg;

	if (strcmp(t->serial, o->serial) != 0 &&
	    admin_ctl_lists_sast(o->ctl, t->sha256))
		o->found = 1;
	return o->found;
}

/* Why token T may not go now, into WHY; 0 if it may. */
static int remove_refused(struct store_read *r, const struct store_token *t,
			  const struct store_cluster *cl,
			  const struct admin_ctl_status *ctl, char *why,
			  size_t cap)
{
	struct other_signer o = {ctl, t->serial, 0};

	if (!admin_ctl_lists_sast(ctl, t->sha256))
		return 0;
	if (cl->security_mode == STORE_SECURITY_MIXED) {
		snprintf(why, cap,
			 "token %s signs the current CTL and the cluster is "
			 "in mixed mode: phones would lose a signer they "
			 "trust; sign a CTL without it first, or leave mixed "
			 "mode",
			 t->serial);
		return 1;
	}
	store_token_each(r, other_sast, &o);
	if (!o.found) {
		snprintf(why, cap,
			 "token %s is the last registered token the current "
			 "CTL lists: no token could sign the next CTL",
			 t->serial);
		return 1;
	}
	return 0;
}

void admin_route_token_remove(struct admin_op *op)
{
	struct admin_ctl_status ctl = {0};
	struct store_cluster cl;
	struct store_token t;
	struct store_read *r;
	struct store_cmd *cmd = NULL;
	const void *raw = NULL;
	size_t raw_len = 0;
	char why[512] = "", detail[STORE_TEXT_MAX];
	int rc, refused = 0;

	if (admin_op_read_begin(op, &r) != 0)
		return;
	rc = store_token_get(r, op->args[0], &t);
	if (rc == STORE_ENOTFOUND) {
		store_read_end(r);
		admin_op_error(op, 404, "no token with serial \"%s\"",
			       op->args[0]);
		return;
	}
	if (rc == 0)
		rc = store_cluster_get(r, &cl);
	if (rc == 0)
		rc = store_get(r, STORE_T_CLUSTER, cluster_key,
			       sizeof cluster_key - 1, &raw, &raw_len);
	if (rc == 0)
		rc = admin_ctl_status_read(r, &ctl);
	if (rc == 0)
		refused = remove_refused(r, &t, &cl, &ctl, why, sizeof why);
	admin_ctl_status_free(&ctl);
	if (rc == 0 && !refused) {
		snprintf(detail, sizeof detail, "serial=%s label=%s", t.serial,
			 t.label);
		cmd = admin_op_cmd(op);
		/* Guarded on the cluster record: the mode must not turn
		 * mixed between this check and the removal. */
		if (cmd && (store_cmd_op(cmd, STORE_OP_EXPECT, STORE_T_CLUSTER,
					 cluster_key, sizeof cluster_key - 1,
					 raw, raw_len) ||
			    store_cmd_del_token(cmd, t.serial) ||
			    store_cmd_audit(cmd, "token.remove", detail))) {
			store_cmd_free(cmd);
			cmd = NULL;
			rc = STORE_ENOMEM;
		}
	}
	store_read_end(r);
	if (rc) {
		admin_op_fail(op, rc, "removing the token");
		return;
	}
	if (refused) {
		admin_op_error(op, 409, "%s", why);
		return;
	}
	if (!cmd)
		return; /* answered by admin_op_cmd */
	admin_op_propose(op, cmd, removed);
	store_cmd_free(cmd);
}
