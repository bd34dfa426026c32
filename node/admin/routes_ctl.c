/* routes_ctl: the cluster's Certificate Trust List. The cluster says what
 * the CTL must list (GET /v1/ctl/entries); wardctl builds it and has a
 * security token sign it (the key never leaves the token); the leader
 * accepts it only if it verifies, is signed by a token the current CTL
 * lists (or, for the first, by a registered token), and lists exactly
 * today's certificates. Refusals of a signature or a signer are audited:
 * they are what an attack would look like. */
#include "node/admin/admin_pki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/log.h"

static json_t *entry_json(const struct admin_ctl_entry *e)
{
	char fp[PKI_FP_TEXT_MAX];

	admin_pki_fp(e->sha256, 32, fp);
	return json_pack(
	    "{s:i, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s, "
	    "s:o}",
	    "function", (int)e->function, "function_name",
	    trustlist_function_name(e->function), "what", e->what, "node",
	    e->node[0] ? e->node : NULL, "role", e->role[0] ? e->role : NULL,
	    "token", e->token[0] ? e->token : NULL, "dns_name",
	    e->dns_name[0] ? e->dns_name : NULL, "ip", e->ip[0] ? e->ip : NULL,
	    "sha256", fp, "cert", admin_json_b64(e->der, e->der_len));
}

void admin_route_ctl_entries(struct admin_op *op)
{
	struct admin_ctl_set want;
	struct store_ctl cur;
	struct store_read *r;
	json_t *list;
	uint32_t next = 1;
	int rc;

	if (admin_op_read_begin(op, &r) != 0)
		return;
	rc = admin_ctl_expected(r, &want);
	if (rc) {
		store_read_end(r);
		admin_op_fail(op, rc, "reading the cluster");
		return;
	}
	if (store_ctl_get(r, &cur) == 0)
		next = cur.version + 1;
	list = json_array();
	for (size_t i = 0; i < want.n; i++)
		json_array_append_new(list, entry_json(&want.v[i]));
	store_read_end(r);
	admin_ctl_set_free(&want);
	admin_op_reply(op, 200,
		       json_pack("{s:o, s:I}", "entries", list, "next_version",
				 (json_int_t)next));
}

void admin_route_ctl_get(struct admin_op *op)
{
	struct admin_ctl_status st;
	struct store_read *r;
	json_t *j = NULL;
	int rc;

	if (admin_op_read_begin(op, &r) != 0)
		return;
	rc = admin_ctl_status_read(r, &st);
	if (rc == 0 && st.present)
		j = admin_ctl_status_json(r, &st);
	store_read_end(r);
	admin_ctl_status_free(&st);
	if (rc)
		admin_op_fail(op, rc, "reading the CTL");
	else if (!j)
		admin_op_error(op, 404, "no CTL has been signed yet");
	else
		admin_op_reply(op, 200, j);
}

void admin_route_ctl_file(struct admin_op *op)
{
	struct store_ctl cur;
	struct store_read *r;
	char fp[PKI_FP_TEXT_MAX];
	int format, rc;

	format = admin_pki_format(op,
				  ADMIN_FORMAT_BIT(ADMIN_FORMAT_JSON) |
				      ADMIN_FORMAT_BIT(ADMIN_FORMAT_RAW),
				  1);
	if (format < 0)
		return;
	if (admin_op_read_begin(op, &r) != 0)
		return;
	rc = store_ctl_get(r, &cur);
	if (rc == STORE_ENOTFOUND)
		admin_op_error(op, 404, "no CTL has been signed yet");
	else if (rc)
		admin_op_fail(op, rc, "reading the CTL");
	else if (format == ADMIN_FORMAT_RAW)
		admin_op_reply_bytes(op, "application/octet-stream",
				     "CTLFile.tlv", cur.file, cur.file_len);
	else {
		admin_pki_fp(cur.sha256, 32, fp);
		admin_op_reply(
		    op, 200,
		    json_pack("{s:I, s:I, s:s, s:o}", "version",
			      (json_int_t)cur.version, "size",
			      (json_int_t)cur.file_len, "sha256", fp, "file",
			      admin_json_b64(cur.file, cur.file_len)));
	}
	store_read_end(r);
}

/* ---- upload ------------------------------------------------------------ */

/* The upload in progress: owned by the op until it is answered. */
struct upload {
	struct admin_req_ctl req;
	struct trustlist *cand, *cur; /* owned */
	struct trustlist_bytes *regs; /* owned array, DERs borrowed */
	char (*serials)[STORE_SERIAL_MAX];
	size_t n_regs, cap_regs;
	json_t *answer;
};

static void upload_free(void *p)
{
	struct upload *u = p;

	if (!u)
		return;
	trustlist_free(u->cand);
	trustlist_free(u->cur);
	free(u->regs);
	free(u->serials);
	json_decref(u->answer);
	free(u);
}

static int collect_reg(void *arg, const struct store_token *t)
{
	struct upload *u = arg;

	if (u->n_regs == u->cap_regs) {
		size_t cap = u->cap_regs ? 2 * u->cap_regs : 8;
		void *a = realloc(u->regs, cap * sizeof *u->regs);

		if (!a)
			return STORE_ENOMEM;
		u->regs = a;
		a = realloc(u->serials, cap * sizeof *u->serials);
		if (!a)
			return STORE_ENOMEM;
		u->serials = a;
		u->cap_regs = cap;
	}
	u->regs[u->n_regs].data = t->der;
	u->regs[u->n_regs].len = t->der_len;
	snprintf(u->serials[u->n_regs], STORE_SERIAL_MAX, "%s", t->serial);
	u->n_regs++;
	return 0;
}

/* Who signed: the registered token's serial, or the record's own. */
static void signer_serial(const struct upload *u,
			  const struct trustlist_record *s, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i = 0, o = 0;

	for (size_t k = 0; k < u->n_regs; k++)
		if (u->regs[k].len == s->cert.len &&
		    memcmp(u->regs[k].data, s->cert.data, s->cert.len) == 0) {
			snprintf(out, STORE_SERIAL_MAX, "%s", u->serials[k]);
			return;
		}
	/* As BN_bn2hex: leading zero bytes dropped. */
	while (i + 1 < s->serial.len && s->serial.data[i] == 0)
		i++;
	for (; i < s->serial.len && o + 2 < STORE_SERIAL_MAX; i++) {
		out[o++] = hex[s->serial.data[i] >> 4];
		out[o++] = hex[s->serial.data[i] & 15];
	}
	out[o] = '\0';
	if (!o)
		snprintf(out, STORE_SERIAL_MAX, "0");
}

/* A refusal that is audited: a signature or signer that is not right. */
static void refuse_audited(struct admin_op *op, int status, const char *why)
{
	char detail[STORE_TEXT_MAX];

	snprintf(detail, sizeof detail, "by=%.63s peer=%.79s: %.300s",
		 op->actor, op->peer, why);
	admin_audit_failure(op->a, "ctl.refused", detail);
	admin_op_error(op, status, "%s", why);
}

static void uploaded(struct admin_op *op, int rc)
{
	struct upload *u = op->ctx;
	json_t *ans;

	if (rc == STORE_EEXIST || rc == STORE_ENOTFOUND) {
		admin_op_error(op, 409,
			       "another CTL was committed meanwhile: fetch "
			       "the entries and sign again");
		return;
	}
	if (rc) {
		admin_op_fail(op, rc, "storing the CTL");
		return;
	}
	log_info(ADMIN_TAG, "%s", op->text);
	ans = u->answer;
	u->answer = NULL;
	admin_op_reply(op, 201, ans);
}

/* Checks the candidate in R and builds its command. 0, or -1 after
 * answering. */
static int upload_check(struct admin_op *op, struct upload *u,
			struct store_read *r, struct store_cmd **out)
{
	const struct trustlist_record *signer = NULL;
	struct admin_ctl_set want = {0}, have = {0};
	struct store_ctl prev, next = {0};
	char err[768], why[1024], detail[STORE_TEXT_MAX], fp[PKI_FP_TEXT_MAX];
	struct store_cmd *cmd;
	unsigned int dlen = 0;
	int has_prev, rc;

	rc = store_ctl_get(r, &prev);
	if (rc && rc != STORE_ENOTFOUND) {
		admin_op_fail(op, rc, "reading the current CTL");
		return -1;
	}
	has_prev = rc == 0;
	if (has_prev && trustlist_parse(prev.file, prev.file_len, &u->cur, err,
					sizeof err) != 0) {
		admin_op_error(op, 500, "the current CTL does not parse: %s",
			       err);
		return -1;
	}
	rc = store_token_each(r, collect_reg, u);
	if (rc) {
		admin_op_fail(op, rc, "reading the tokens");
		return -1;
	}
	if (trustlist_verify(u->cand, TRUSTLIST_CTL, &signer, err,
			     sizeof err) != 0) {
		snprintf(why, sizeof why, "the CTL does not verify: %s", err);
		refuse_audited(op, 400, why);
		return -1;
	}
	rc = trustlist_ctl_accepts(u->cur, u->cand, u->regs, u->n_regs, err,
				   sizeof err);
	if (rc) {
		snprintf(why, sizeof why, "%s: %s",
			 rc == TRUSTLIST_EUNTRUSTED ? "signer not allowed"
						    : "the CTL is refused",
			 err);
		refuse_audited(op, rc == TRUSTLIST_EUNTRUSTED ? 403 : 400, why);
		return -1;
	}
	rc = admin_ctl_expected(r, &want);
	if (rc == 0)
		rc = admin_ctl_listed(u->cand, &have);
	if (rc) {
		admin_ctl_set_free(&want);
		admin_op_fail(op, rc, "reading the cluster");
		return -1;
	}
	rc = admin_ctl_compare(&want, &have, err, sizeof err);
	admin_ctl_set_free(&want);
	admin_ctl_set_free(&have);
	if (!rc) {
		admin_op_error(op, 409,
			       "the CTL does not list the cluster's current "
			       "certificates (%s): fetch the entries and sign "
			       "again",
			       err);
		return -1;
	}
	next.version = has_prev ? prev.version + 1 : 1;
	next.file = u->req.file;
	next.file_len = u->req.file_len;
	signer_serial(u, signer, next.signer_serial);
	if (EVP_Digest(next.file, next.file_len, next.sha256, &dlen,
		       EVP_sha256(), NULL) != 1) {
		admin_op_error(op, 500, "hashing the CTL failed");
		return -1;
	}
	next.signed_ms = u->cand->timestamp
			     ? (uint64_t)u->cand->timestamp * 1000
			     : admin_now_ms();
	admin_pki_fp(next.sha256, 32, fp);
	snprintf(detail, sizeof detail,
		 "version=%u signer=%s records=%zu size=%zu sha256=%s",
		 next.version, next.signer_serial, u->cand->n_records,
		 next.file_len, fp);
	snprintf(op->text, sizeof op->text, "CTL stored by %.63s: %.400s",
		 op->actor, detail);
	cmd = admin_op_cmd(op);
	if (!cmd)
		return -1;
	if (store_cmd_put_ctl(cmd, has_prev ? &prev : NULL, &next) ||
	    store_cmd_audit(cmd, "ctl.upload", detail)) {
		store_cmd_free(cmd);
		admin_op_error(op, 500, "building the change failed");
		return -1;
	}
	u->answer = json_pack(
	    "{s:I, s:s, s:s, s:I, s:I}", "version", (json_int_t)next.version,
	    "signer", next.signer_serial, "sha256", fp, "records",
	    (json_int_t)u->cand->n_records, "size", (json_int_t)next.file_len);
	*out = cmd;
	return 0;
}

void admin_route_ctl_upload(struct admin_op *op)
{
	struct upload *u = calloc(1, sizeof *u);
	struct store_cmd *cmd = NULL;
	struct store_read *r;
	char err[512];
	int rc;

	if (!u) {
		admin_op_error(op, 500, "out of memory");
		return;
	}
	op->ctx = u;
	op->ctx_free = upload_free;
	rc = admin_req_parse_ctl(op->body, op->body_len, &u->req, err,
				 sizeof err);
	if (rc) {
		admin_op_error(op, rc, "%s", err);
		return;
	}
	rc = trustlist_parse(u->req.file, u->req.file_len, &u->cand, err,
			     sizeof err);
	if (rc) {
		admin_op_error(op, rc == TRUSTLIST_ETOOBIG ? 413 : 400,
			       "file: %s", err);
		return;
	}
	if (admin_op_read_begin(op, &r) != 0)
		return;
	rc = upload_check(op, u, r, &cmd);
	store_read_end(r);
	if (rc)
		return;
	admin_op_propose(op, cmd, uploaded);
	store_cmd_free(cmd);
}
