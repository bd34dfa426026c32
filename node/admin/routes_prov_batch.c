/* routes_prov_batch: POST /v1/C/batch — many adds in one request, for bulk
 * imports. Each row is checked as a single add would be and becomes its
 * own command, so a row is applied whole or not at all whatever its
 * neighbours do; all commands are proposed at once, letting consensus
 * batch them into few Raft entries. The answer gives every row's verdict.
 */
#include "node/admin/admin_int.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "node/admin/prov_int.h"

#define PROV_BATCH_MAX 500

struct batch;

struct batch_row {
	struct batch *b; /* back pointer, for the Raft-thread callback */
	char name[STORE_NAME_MAX];
	int status; /* HTTP status of the row; 0 while in flight */
	int rc;	    /* the command's result */
	char error[256];
	json_t *warn; /* owned */
};

struct batch {
	struct admin_op *op;
	atomic_uint pending; /* callbacks owed + 1 while proposing */
	unsigned n;
	struct batch_row rows[];
};

static void batch_free(void *ctx)
{
	struct batch *b = ctx;

	if (!b)
		return;
	for (unsigned i = 0; i < b->n; i++)
		json_decref(b->rows[i].warn);
	free(b);
}

/* Raft thread (or the admin thread for the last reference). */
static void batch_release(struct batch *b)
{
	if (atomic_fetch_sub(&b->pending, 1) == 1)
		admin_op_post(b->op, 0);
}

static void row_done(void *arg, int rc)
{
	struct batch_row *row = arg;

	row->rc = rc;
	batch_release(row->b);
}

static int row_status(const struct batch_row *row, char *error, size_t cap)
{
	if (row->rc == 0)
		return 201;
	if (row->rc == STORE_EEXIST)
		snprintf(error, cap, "\"%s\" exists", row->name);
	else if (row->rc == STORE_ENOTFOUND)
		snprintf(error, cap,
			 "\"%s\": a record it names changed "
			 "meanwhile: retry",
			 row->name);
	else
		snprintf(error, cap, "not written: %s",
			 consensus_strerror(row->rc));
	return admin_http_status(row->rc);
}

static void batch_done(struct admin_op *op, int rc)
{
	struct batch *b = op->ctx;
	json_t *results = json_array();
	unsigned added = 0;

	(void)rc;
	for (unsigned i = 0; results && i < b->n; i++) {
		struct batch_row *row = &b->rows[i];
		json_t *o;

		if (row->status == 0)
			row->status =
			    row_status(row, row->error, sizeof row->error);
		added += row->status == 201;
		o = json_pack("{s:s, s:i}", "name", row->name, "status",
			      row->status);
		if (o && row->status != 201)
			json_object_set_new(o, "error",
					    json_string(row->error));
		if (o && row->warn && json_array_size(row->warn))
			json_object_set(o, "warnings", row->warn);
		json_array_append_new(results, o);
	}
	admin_op_reply(op, 200,
		       json_pack("{s:o, s:i, s:i}", "results", results, "added",
				 added, "refused", b->n - added));
}

/* Checks ROW (a JSON object) as an add of C's kind and builds its
 * command. 0 with *CMD; or the row's status with its reason. */
static int row_prepare(struct admin_op *op, struct prov_ctx *c,
		       struct store_read *r, json_t *row, struct batch_row *out,
		       struct store_cmd **cmd)
{
	char action[STORE_NAME_MAX], detail[STORE_TEXT_MAX];
	char *text;
	int status, rc;

	*cmd = NULL;
	const struct prov_kind *k = c->k;

	json_decref(c->warn);
	OPENSSL_cleanse(c, sizeof *c);
	c->k = k;
	c->warn = json_array();
	c->verb = PROV_ADD;
	prov_rec_init(c->k, &c->rec, NULL);
	if (!json_is_object(row) || !c->warn) {
		snprintf(out->error, sizeof out->error,
			 "each row must be a JSON object");
		return 400;
	}
	snprintf(out->name, sizeof out->name, "%s",
		 json_string_value(json_object_get(row, "name"))
		     ? json_string_value(json_object_get(row, "name"))
		     : "");
	text = json_dumps(row, JSON_COMPACT);
	if (!text) {
		snprintf(out->error, sizeof out->error, "out of memory");
		return 500;
	}
	status = prov_req_apply(c->k, text, strlen(text), &c->rec, &c->x, 1,
				out->error, sizeof out->error);
	OPENSSL_cleanse(text, strlen(text));
	free(text);
	if (status == 0)
		status = prov_rec_check(c->k, &c->rec, &c->x, out->error,
					sizeof out->error);
	if (status == 0)
		status =
		    prov_validate(op->a, c, r, out->error, sizeof out->error);
	OPENSSL_cleanse(&c->x, sizeof c->x);
	if (status)
		return status;
	snprintf(action, sizeof action, "%s.add", c->k->what);
	prov_audit_detail(c, detail, sizeof detail);
	if (store_cmd_new(cmd, op->a->node_id, admin_now_ms(), op->actor) != 0)
		rc = STORE_ENOMEM;
	else if ((rc = prov_cmd_build(c, *cmd)) == 0)
		rc = store_cmd_audit(*cmd, action, detail);
	if (rc) {
		store_cmd_free(*cmd);
		*cmd = NULL;
		snprintf(out->error, sizeof out->error,
			 "building the change failed: %s", store_strerror(rc));
		return rc == STORE_EINVAL ? 400 : 500;
	}
	out->warn = c->warn;
	c->warn = NULL;
	return 0;
}

static void batch_propose(struct admin_op *op, struct batch *b, json_t *rows)
{
	struct prov_ctx *c = calloc(1, sizeof *c);
	struct store_read *r;
	struct store_cmd *cmd;
	void *buf;
	size_t len;
	int rc;

	if (!c) {
		admin_op_error(op, 500, "out of memory");
		return;
	}
	c->k = prov_route_kind(op);
	if (admin_op_read_begin(op, &r) != 0) {
		free(c);
		return;
	}
	admin_op_hold(op, batch_done);
	for (unsigned i = 0; i < b->n; i++) {
		struct batch_row *row = &b->rows[i];

		row->b = b;
		row->status =
		    row_prepare(op, c, r, json_array_get(rows, i), row, &cmd);
		if (row->status)
			continue;
		rc = store_cmd_finish(cmd, &buf, &len);
		store_cmd_free(cmd);
		if (rc == 0) {
			atomic_fetch_add(&b->pending, 1);
			rc = consensus_propose(op->a->consensus, buf, len,
					       row_done, row);
			free(buf);
			if (rc != 0)
				atomic_fetch_sub(&b->pending, 1);
		}
		if (rc != 0) {
			row->rc = rc;
			row->status =
			    row_status(row, row->error, sizeof row->error);
		}
	}
	store_read_end(r);
	json_decref(c->warn);
	OPENSSL_cleanse(c, sizeof *c);
	free(c);
	/* Our own reference: the last release answers. */
	batch_release(b);
}

void admin_route_prov_batch(struct admin_op *op)
{
	json_error_t jerr;
	json_t *root, *rows;
	struct batch *b;
	size_t n;

	if (op->body_len > ADMIN_BODY_MAX) {
		admin_op_error(op, 413, "body larger than %u bytes",
			       ADMIN_BODY_MAX);
		return;
	}
	root =
	    json_loadb(op->body, op->body_len, JSON_REJECT_DUPLICATES, &jerr);
	rows = json_object_get(root, "rows");
	if (!json_is_array(rows) || json_object_size(root) != 1) {
		json_decref(root);
		admin_op_error(op, 400,
			       "the body must be {\"rows\": [object, ...]}");
		return;
	}
	n = json_array_size(rows);
	if (n == 0 || n > PROV_BATCH_MAX) {
		json_decref(root);
		admin_op_error(op, 400, "1 to %d rows per batch",
			       PROV_BATCH_MAX);
		return;
	}
	if (admin_op_detached(op)) {
		json_decref(root);
		return;
	}
	b = calloc(1, sizeof *b + n * sizeof b->rows[0]);
	if (!b) {
		json_decref(root);
		admin_op_error(op, 500, "out of memory");
		return;
	}
	b->op = op;
	b->n = (unsigned)n;
	atomic_init(&b->pending, 1);
	op->ctx = b;
	op->ctx_free = batch_free;
	batch_propose(op, b, rows);
	json_decref(root);
}
