/* routes_admins: the admin users — list, add, change a password, remove
 * (never the last one). Passwords are hashed here, on the node that took
 * the request; only the hash goes through Raft. */
#include "node/admin/admin_int.h"

#include <stdio.h>
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
	json_t *list = json_array();
	struct store_read *r;

	if (admin_op_read_begin(op, &r) != 0) {
		json_decref(list);
		return;
	}
	store_each(r, STORE_T_ADMINS, NULL, 0, list_admin, list);
	store_read_end(r);
	admin_op_reply(op, 200, json_pack("{s:o}", "admins", list));
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

void admin_route_admin_add(struct admin_op *op)
{
	struct admin_req_admin *q = &op->u.adm;
	struct store_admin *rec = &op->rec;
	struct store_cmd *cmd;
	char errmsg[256], detail[STORE_TEXT_MAX];
	int rc;

	rc = admin_req_parse_admin_add(op->body, op->body_len, q, errmsg,
				       sizeof errmsg);
	if (rc) {
		admin_op_error(op, rc, "%s", errmsg);
		return;
	}
	memset(rec, 0, sizeof *rec);
	snprintf(rec->name, sizeof rec->name, "%s", q->name);
	rec->created_ms = rec->changed_ms = admin_now_ms();
	if (admin_password_hash(q->password, q->password_len, rec) != 0) {
		admin_op_error(op, 500, "password hashing failed");
		return;
	}
	OPENSSL_cleanse(q->password, sizeof q->password);
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

void admin_route_admin_password(struct admin_op *op)
{
	struct admin_req_admin *q = &op->u.adm;
	struct store_admin *rec = &op->rec;
	uint8_t old[1024];
	const void *val;
	size_t vlen = 0;
	struct store_read *r;
	struct store_cmd *cmd;
	char errmsg[256], detail[STORE_TEXT_MAX];
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
		admin_op_error(op, rc == STORE_ENOTFOUND ? 404 : 500,
			       "no admin \"%s\"", op->args[0]);
		return;
	}
	rec->changed_ms = admin_now_ms();
	rc = admin_password_hash(q->password, q->password_len, rec);
	OPENSSL_cleanse(q->password, sizeof q->password);
	if (rc) {
		admin_op_error(op, 500, "password hashing failed");
		return;
	}
	snprintf(detail, sizeof detail, "name=%s", rec->name);
	op->id = 0;
	cmd = admin_op_cmd(op);
	if (!cmd)
		return;
	if (store_cmd_op(cmd, STORE_OP_EXPECT, STORE_T_ADMINS, rec->name,
			 strlen(rec->name), old, vlen) ||
	    store_cmd_put_admin(cmd, STORE_OP_PUT, rec) ||
	    store_cmd_audit(cmd, "admin.password", detail)) {
		store_cmd_free(cmd);
		admin_op_error(op, 500, "building the change failed");
		return;
	}
	OPENSSL_cleanse(old, sizeof old);
	admin_op_propose(op, cmd, admin_written);
	store_cmd_free(cmd);
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
