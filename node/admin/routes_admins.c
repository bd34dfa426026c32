/* routes_admins: the admin users — list, add, change a password, remove
 * (never the last one). Passwords are hashed here, on the node that took
 * the request, on the admin worker thread (scrypt must not stall the event
 * loop); only the hash goes through Raft. */
#include "node/admin/admin_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/log.h"

static int list_admin(void *arg, const void *key, size_t klen, const void *val,
		      size_t vlen)
{
	struct store_admin ad;

	if (store_admin_decode(val, vlen, &ad) == 0)
		json_array_append_new(
		    arg, json_pack("{s:s, s:I, s:I}", "name", ad.name,
				   "created_ms", (json_int_t)ad.created_ms,
				   "changed_ms", (json_int_t)ad.changed_ms));
	OPENSSL_cleanse(&ad, sizeof ad);
	return 0;
}

void admin_route_admins_list(struct admin_op *op)
{
	admin_op_reply_each(op, STORE_T_ADMINS, "admins", list_admin);
}

static void admin_written(struct admin_op *op, int rc)
{
	int created = op->id == 1;

	if (rc == STORE_EEXIST) {
		admin_op_error(op, 409, "admin \"%s\" exists", op->rec.name);
		return;
	}
	if (rc == STORE_ENOTFOUND) {
		admin_op_error(op, 409, "admin \"%s\" changed meanwhile: retry",
			       op->rec.name);
		return;
	}
	if (rc) {
		admin_op_fail(op, rc, "writing the admin");
		return;
	}
	admin_op_reply(op, created ? 201 : 200,
		       json_pack("{s:s}", "name", op->rec.name));
}

/* A password to hash on the worker, and what the write needs after. */
struct hash_job {
	struct store_admin rec;		 /* in: the record; out: hashed */
	char pw[ADMIN_PASSWORD_MAX + 1]; /* secret, wiped once hashed */
	size_t len;
	uint8_t old[1024]; /* the stored record a change is guarded on */
	size_t old_len;
};

static void hash_job_free(void *p)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, sizeof(struct hash_job));
	free(p);
}

/* Worker thread. */
static int hash_run(void *p)
{
	struct hash_job *job = p;
	int rc = admin_password_hash(job->pw, job->len, &job->rec);

	OPENSSL_cleanse(job->pw, sizeof job->pw);
	return rc == 0 ? 0 : 500;
}

/* Hands Q's password and REC to the worker; STEP continues with the
 * hashed record in op->work. 0, or -1 after answering. */
static int hash_start(struct admin_op *op, struct admin_req_admin *q,
		      const struct store_admin *rec, const uint8_t *old,
		      size_t old_len, admin_step_fn step)
{
	struct hash_job *job = calloc(1, sizeof *job);

	if (!job) {
		OPENSSL_cleanse(q->password, sizeof q->password);
		admin_op_error(op, 500, "out of memory");
		return -1;
	}
	job->rec = *rec;
	memcpy(job->pw, q->password, q->password_len);
	job->len = q->password_len;
	OPENSSL_cleanse(q->password, sizeof q->password);
	if (old_len) {
		memcpy(job->old, old, old_len);
		job->old_len = old_len;
	}
	admin_op_work_set(op, job, hash_job_free);
	if (admin_op_work(op, op->a->work, hash_run, step) != 0) {
		admin_op_error(op, 503,
			       "too many key operations in progress: "
			       "retry");
		return -1;
	}
	return 0;
}

/* 0 with the hashed record in op->rec, or -1 after answering. */
static int hash_done(struct admin_op *op, int rc)
{
	struct hash_job *job = op->work;

	if (rc == ADMIN_WORK_CANCELLED) {
		admin_op_error(op, 503, "shutting down");
		return -1;
	}
	if (rc) {
		admin_op_error(op, 500, "password hashing failed");
		return -1;
	}
	op->rec = job->rec;
	return 0;
}

static void admin_add_hashed(struct admin_op *op, int rc)
{
	struct store_admin *rec = &op->rec;
	struct store_cmd *cmd;
	char detail[STORE_TEXT_MAX];

	if (hash_done(op, rc) != 0)
		return;
	admin_op_work_set(op, NULL, NULL);
	snprintf(detail, sizeof detail, "name=%s", rec->name);
	op->id = 1; /* created */
	cmd = admin_op_cmd(op);
	if (!cmd)
		return;
	if (store_cmd_put_admin(cmd, STORE_OP_PUT_NEW, rec) ||
	    store_cmd_audit(cmd, "admin.add", detail)) {
		store_cmd_free(cmd);
		admin_op_error(op, 500, "building the change failed");
		return;
	}
	admin_op_propose(op, cmd, admin_written);
	store_cmd_free(cmd);
}

void admin_route_admin_add(struct admin_op *op)
{
	struct admin_req_admin *q = &op->u.adm;
	struct store_admin rec;
	char errmsg[256];
	int rc;

	rc = admin_req_parse_admin_add(op->body, op->body_len, q, errmsg,
				       sizeof errmsg);
	if (rc) {
		admin_op_error(op, rc, "%s", errmsg);
		return;
	}
	memset(&rec, 0, sizeof rec);
	snprintf(rec.name, sizeof rec.name, "%s", q->name);
	snprintf(op->rec.name, sizeof op->rec.name, "%s", q->name);
	rec.created_ms = rec.changed_ms = admin_now_ms();
	hash_start(op, q, &rec, NULL, 0, admin_add_hashed);
}

static void admin_password_hashed(struct admin_op *op, int rc)
{
	struct store_admin *rec = &op->rec;
	struct hash_job *job = op->work;
	struct store_cmd *cmd;
	char detail[STORE_TEXT_MAX];

	if (hash_done(op, rc) != 0)
		return;
	snprintf(detail, sizeof detail, "name=%s", rec->name);
	op->id = 0;
	cmd = admin_op_cmd(op);
	if (!cmd)
		return;
	if (store_cmd_op(cmd, STORE_OP_EXPECT, STORE_T_ADMINS, rec->name,
			 strlen(rec->name), job->old, job->old_len) ||
	    store_cmd_put_admin(cmd, STORE_OP_PUT, rec) ||
	    store_cmd_audit(cmd, "admin.password", detail)) {
		store_cmd_free(cmd);
		admin_op_error(op, 500, "building the change failed");
		return;
	}
	admin_op_work_set(op, NULL, NULL);
	admin_op_propose(op, cmd, admin_written);
	store_cmd_free(cmd);
}

void admin_route_admin_password(struct admin_op *op)
{
	struct admin_req_admin *q = &op->u.adm;
	struct store_admin *rec = &op->rec;
	uint8_t old[1024];
	const void *val;
	size_t vlen = 0;
	struct store_read *r;
	char errmsg[256];
	int rc;

	rc = admin_req_parse_password(op->body, op->body_len, q, errmsg,
				      sizeof errmsg);
	if (rc) {
		admin_op_error(op, rc, "%s", errmsg);
		return;
	}
	if (admin_op_read_begin(op, &r) != 0)
		return;
	/* The raw record guards the write: a removal or another change in
	 * between makes it fail instead of resurrecting the admin. */
	rc = store_get(r, STORE_T_ADMINS, op->args[0], strlen(op->args[0]),
		       &val, &vlen);
	if (rc == 0 && vlen <= sizeof old) {
		memcpy(old, val, vlen);
		rc = store_admin_decode(old, vlen, rec);
	} else if (rc == 0) {
		rc = STORE_ETOOBIG;
	}
	store_read_end(r);
	if (rc) {
		OPENSSL_cleanse(q->password, sizeof q->password);
		admin_op_error(op, rc == STORE_ENOTFOUND ? 404 : 500,
			       "no admin \"%s\"", op->args[0]);
		return;
	}
	rec->changed_ms = admin_now_ms();
	hash_start(op, q, rec, old, vlen, admin_password_hashed);
	OPENSSL_cleanse(old, sizeof old);
}

static void admin_removed(struct admin_op *op, int rc)
{
	if (rc == STORE_ENOTFOUND) {
		admin_op_error(op, 404, "no admin \"%s\"", op->args[0]);
		return;
	}
	if (rc) {
		admin_op_fail(op, rc, "removing the admin");
		return;
	}
	log_info(ADMIN_TAG, "admin %s removed by %s", op->args[0], op->actor);
	admin_op_reply(op, 200, json_pack("{s:s}", "removed", op->args[0]));
}

void admin_route_admin_remove(struct admin_op *op)
{
	struct store_admin rec;
	struct store_read *r;
	struct store_cmd *cmd;
	char detail[STORE_TEXT_MAX];
	size_t count = 0;
	int rc;

	if (admin_op_read_begin(op, &r) != 0)
		return;
	rc = store_admin_get(r, op->args[0], &rec);
	OPENSSL_cleanse(&rec, sizeof rec);
	if (rc == 0)
		rc = store_count(r, STORE_T_ADMINS, &count);
	store_read_end(r);
	if (rc == STORE_ENOTFOUND) {
		admin_op_error(op, 404, "no admin \"%s\"", op->args[0]);
		return;
	}
	if (rc) {
		admin_op_fail(op, rc, "reading the admins");
		return;
	}
	if (count <= 1) {
		admin_op_error(op, 409, "the last admin cannot be removed");
		return;
	}
	/* Two removals in flight could each see the other's victim still
	 * there and leave none: one at a time. */
	if (op->a->admin_delete_op) {
		admin_op_error(op, 409, "another admin removal is in progress");
		return;
	}
	snprintf(detail, sizeof detail, "name=%s", op->args[0]);
	cmd = admin_op_cmd(op);
	if (!cmd)
		return;
	if (store_cmd_del_admin(cmd, op->args[0]) ||
	    store_cmd_audit(cmd, "admin.remove", detail)) {
		store_cmd_free(cmd);
		admin_op_error(op, 500, "building the change failed");
		return;
	}
	op->a->admin_delete_op = op;
	admin_op_propose(op, cmd, admin_removed);
	store_cmd_free(cmd);
}
