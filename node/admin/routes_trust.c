/* routes_trust: the trust store — CA roots (the cluster CA among them),
 * manufacturer roots for phone certificates, trunk peers, SRST gateways —
 * named by their c_rehash value ("xxxxxxxx.N"). Imports take one
 * certificate in PEM or DER and nothing else: anything else is refused
 * with what it was, so that an operator who picked the wrong file learns
 * which one it is. */
#include "node/admin/admin_pki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"

static json_t *trust_json(const struct store_trust *t, int cluster_ca)
{
	char sha1[PKI_FP_TEXT_MAX], sha256[PKI_FP_TEXT_MAX];

	admin_pki_fp(t->sha1, sizeof t->sha1, sha1);
	admin_pki_fp(t->sha256, sizeof t->sha256, sha256);
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:s, s:b}",
			 "name", t->name, "category",
			 store_trust_category_name(t->category), "subject",
			 t->subject, "issuer", t->issuer, "not_after",
			 (json_int_t)t->not_after_s, "sha1", sha1, "sha256",
			 sha256, "added_ms", (json_int_t)t->added_ms,
			 "added_by", t->added_by, "cluster_ca", cluster_ca);
}

/* 1 if T is the cluster CA's own entry, which stays. */
static int is_cluster_ca(const struct store_trust *t,
			 const struct store_cluster *cl)
{
	return t->category == STORE_TRUST_CA_ROOT &&
	       hex_sha256_equal(t->sha256, cl->ca_sha256);
}

struct list_ctx {
	struct store_cluster cl;
	json_t *list;
};

static int list_trust(void *arg, const struct store_trust *t)
{
	struct list_ctx *l = arg;

	json_array_append_new(l->list, trust_json(t, is_cluster_ca(t, &l->cl)));
	return 0;
}

void admin_route_trust_list(struct admin_op *op)
{
	struct list_ctx l = {.list = json_array()};
	struct store_read *r;
	int rc;

	if (admin_op_read_begin(op, &r) != 0) {
		json_decref(l.list);
		return;
	}
	if (store_cluster_get(r, &l.cl) != 0)
		memset(&l.cl, 0, sizeof l.cl);
	rc = store_trust_each(r, list_trust, &l);
	store_read_end(r);
	if (rc) {
		json_decref(l.list);
		admin_op_fail(op, rc, "reading the trust store");
		return;
	}
	admin_op_reply(op, 200, json_pack("{s:o}", "trust", l.list));
}

/* The entry the path names. 0, or -1 after answering. */
static int trust_find(struct admin_op *op, struct store_read *r,
		      struct store_trust *t, struct store_cluster *cl)
{
	int rc;

	if (!store_trust_name_valid(op->args[0])) {
		admin_op_error(op, 404,
			       "\"%s\" is no trust store name (xxxxxxxx.N)",
			       op->args[0]);
		return -1;
	}
	rc = store_trust_get(r, op->args[0], t);
	if (rc == STORE_ENOTFOUND) {
		admin_op_error(op, 404, "no trust store entry \"%s\"",
			       op->args[0]);
		return -1;
	}
	if (rc) {
		admin_op_fail(op, rc, "reading the trust store");
		return -1;
	}
	if (store_cluster_get(r, cl) != 0)
		memset(cl, 0, sizeof *cl);
	return 0;
}

void admin_route_trust_get(struct admin_op *op)
{
	struct store_cluster cl;
	struct store_trust t;
	struct store_read *r;
	int format;

	format = admin_pki_format(op,
				  ADMIN_FORMAT_BIT(ADMIN_FORMAT_JSON) |
				      ADMIN_FORMAT_BIT(ADMIN_FORMAT_PEM) |
				      ADMIN_FORMAT_BIT(ADMIN_FORMAT_DER),
				  0);
	if (format < 0)
		return;
	if (admin_op_read_begin(op, &r) != 0)
		return;
	if (trust_find(op, r, &t, &cl) == 0)
		admin_pki_reply_cert(op, format,
				     trust_json(&t, is_cluster_ca(&t, &cl)),
				     t.der, t.der_len, t.name);
	store_read_end(r);
}

/* ---- import ------------------------------------------------------------ */

static int name_used(void *arg, const char *name)
{
	struct store_trust t;

	return store_trust_get(arg, name, &t) != STORE_ENOTFOUND;
}

static void imported(struct admin_op *op, int rc)
{
	if (rc == STORE_EEXIST) {
		admin_op_error(op, 409,
			       "the name was taken meanwhile by another "
			       "import: retry");
		return;
	}
	if (rc) {
		admin_op_fail(op, rc, "importing the certificate");
		return;
	}
	admin_op_reply_kept(op, 201);
}

/* Builds the import of X as NAME in CATEGORY; 0, or -1 after answering. */
static int import_build(struct admin_op *op, struct store_read *r, X509 *x,
			enum store_trust_category category,
			struct store_cmd **out)
{
	struct pki_cert_info info;
	struct store_trust t = {0}, dup;
	char errmsg[512], detail[STORE_TEXT_MAX], fp[PKI_FP_TEXT_MAX], hash[9];
	uint8_t *der = NULL;
	size_t der_len = 0;
	struct store_cmd *cmd = NULL;
	int rc;

	if (pki_cert_info(x, &info, errmsg, sizeof errmsg) != 0) {
		admin_op_error(op, 400, "cert: %s", errmsg);
		return -1;
	}
	if (store_trust_find(r, info.sha256, &dup) == 0) {
		admin_op_error(op, 409, "already in the trust store as %s (%s)",
			       dup.name,
			       store_trust_category_name(dup.category));
		return -1;
	}
	rc = pki_rehash_name(x, name_used, r, t.name);
	if (rc == PKI_EFULL) {
		admin_op_error(op, 409,
			       "all 1000 names of this subject hash "
			       "are taken");
		return -1;
	}
	if (rc || pki_cert_to_der(x, &der, &der_len) != 0) {
		admin_op_error(op, 500, "encoding the certificate failed");
		return -1;
	}
	t.category = category;
	t.der = der;
	t.der_len = der_len;
	memcpy(t.sha256, info.sha256, 32);
	memcpy(t.sha1, info.sha1, 20);
	snprintf(t.subject, sizeof t.subject, "%s", info.subject);
	snprintf(t.issuer, sizeof t.issuer, "%s", info.issuer);
	t.not_after_s = info.not_after_s;
	t.added_ms = admin_now_ms();
	snprintf(t.added_by, sizeof t.added_by, "%s", op->actor);
	admin_pki_fp(info.sha256, 32, fp);
	snprintf(detail, sizeof detail, "name=%s category=%s sha256=%s %.200s",
		 t.name, store_trust_category_name(category), fp, t.subject);
	cmd = admin_op_cmd(op);
	if (!cmd) {
		free(der);
		return -1;
	}
	if (store_cmd_put_trust(cmd, STORE_OP_PUT_NEW, &t) ||
	    store_cmd_audit(cmd, "trust.import", detail)) {
		free(der);
		store_cmd_free(cmd);
		admin_op_error(op, 500, "building the change failed");
		return -1;
	}
	/* The answer, kept until the command applied. */
	admin_op_keep_answer(op, trust_json(&t, 0));
	snprintf(hash, sizeof hash, "%08x", info.subject_hash);
	json_object_set_new(op->ctx, "subject_hash", json_string(hash));
	free(der);
	*out = cmd;
	return 0;
}

void admin_route_trust_import(struct admin_op *op)
{
	struct admin_req_trust *q = malloc(sizeof *q);
	enum store_trust_category category;
	struct store_read *r;
	struct store_cmd *cmd = NULL;
	char errmsg[512];
	X509 *x = NULL;
	int rc;

	if (!q) {
		admin_op_error(op, 500, "out of memory");
		return;
	}
	rc = admin_req_parse_trust(op->body, op->body_len, q, errmsg,
				   sizeof errmsg);
	if (rc) {
		free(q);
		admin_op_error(op, rc, "%s", errmsg);
		return;
	}
	if (store_trust_category_parse(q->category, &category) != 0) {
		free(q);
		admin_op_error(op, 400,
			       "category: one of ca-root, mic-root, "
			       "trunk-peer, srst, capf, other");
		return;
	}
	rc = pki_cert_parse(q->cert, q->cert_len, &x, errmsg, sizeof errmsg);
	free(q);
	if (rc) {
		admin_op_error(op, 400, "cert: %s", errmsg);
		return;
	}
	if (admin_op_read_begin(op, &r) != 0) {
		X509_free(x);
		return;
	}
	rc = import_build(op, r, x, category, &cmd);
	store_read_end(r);
	X509_free(x);
	if (rc)
		return;
	admin_op_propose(op, cmd, imported);
	store_cmd_free(cmd);
}

/* ---- delete ------------------------------------------------------------ */

static void deleted(struct admin_op *op, int rc)
{
	if (rc == STORE_ENOTFOUND) {
		admin_op_error(op, 404, "no trust store entry \"%s\"",
			       op->args[0]);
		return;
	}
	if (rc) {
		admin_op_fail(op, rc, "deleting the entry");
		return;
	}
	admin_op_reply(op, 200, json_pack("{s:s}", "deleted", op->args[0]));
}

void admin_route_trust_delete(struct admin_op *op)
{
	struct store_cluster cl;
	struct store_trust t;
	struct store_read *r;
	struct store_cmd *cmd;
	char detail[STORE_TEXT_MAX], fp[PKI_FP_TEXT_MAX];

	if (admin_op_read_begin(op, &r) != 0)
		return;
	if (trust_find(op, r, &t, &cl) != 0) {
		store_read_end(r);
		return;
	}
	if (is_cluster_ca(&t, &cl)) {
		store_read_end(r);
		admin_op_error(op, 409,
			       "%s is the cluster CA: every node and phone "
			       "certificate chains to it",
			       op->args[0]);
		return;
	}
	admin_pki_fp(t.sha256, 32, fp);
	snprintf(detail, sizeof detail, "name=%s category=%s sha256=%s %.200s",
		 t.name, store_trust_category_name(t.category), fp, t.subject);
	store_read_end(r);
	cmd = admin_op_cmd(op);
	if (!cmd)
		return;
	if (store_cmd_del_trust(cmd, op->args[0]) ||
	    store_cmd_audit(cmd, "trust.delete", detail)) {
		store_cmd_free(cmd);
		admin_op_error(op, 500, "building the change failed");
		return;
	}
	admin_op_propose(op, cmd, deleted);
	store_cmd_free(cmd);
}
