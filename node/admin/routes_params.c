/* routes_params: cluster parameters — each declared once in store/params.c
 * with its type, bounds and default; values are replicated text. */
#include "node/admin/admin_int.h"

#include <stdio.h>
#include <string.h>

static const struct store_param_def *param_def(struct admin_op *op)
{
	const struct store_param_def *def = store_param_find(op->args[0]);

	if (!def)
		admin_op_error(op, 404, "no parameter \"%s\"", op->args[0]);
	return def;
}

void admin_route_params_list(struct admin_op *op)
{
	const struct store_param_def *defs;
	struct store_read *r;
	json_t *list = json_array();
	size_t n = 0;

	defs = store_param_defs(&n);
	if (admin_op_read_begin(op, &r) != 0) {
		json_decref(list);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char value[STORE_TEXT_MAX];

		if (store_param_get(r, defs[i].name, value, sizeof value) != 0)
			snprintf(value, sizeof value, "%s", defs[i].def);
		json_array_append_new(
		    list, json_pack("{s:s, s:s, s:s, s:b, s:s}", "name",
				    defs[i].name, "value", value, "default",
				    defs[i].def, "runtime", defs[i].runtime,
				    "help", defs[i].help ? defs[i].help : ""));
	}
	store_read_end(r);
	admin_op_reply(op, 200, json_pack("{s:o}", "params", list));
}

void admin_route_param_get(struct admin_op *op)
{
	const struct store_param_def *def = param_def(op);
	char value[STORE_TEXT_MAX];
	struct store_read *r;
	int rc;

	if (!def)
		return;
	if (admin_op_read_begin(op, &r) != 0)
		return;
	rc = store_param_get(r, def->name, value, sizeof value);
	store_read_end(r);
	if (rc) {
		admin_op_fail(op, rc, "reading the parameter");
		return;
	}
	admin_op_reply(
	    op, 200,
	    json_pack("{s:s, s:s}", "name", def->name, "value", value));
}

static void param_set(struct admin_op *op, int rc)
{
	if (rc) {
		admin_op_fail(op, rc, "setting the parameter");
		return;
	}
	admin_op_reply(
	    op, 200,
	    json_pack("{s:s, s:s}", "name", op->args[0], "value", op->text));
}

void admin_route_param_set(struct admin_op *op)
{
	const struct store_param_def *def = param_def(op);
	struct admin_req_param *q = &op->u.param;
	char errmsg[256], detail[STORE_TEXT_MAX];
	struct store_cmd *cmd;
	int rc;

	if (!def)
		return;
	rc = admin_req_parse_param(op->body, op->body_len, q, errmsg,
				   sizeof errmsg);
	if (rc) {
		admin_op_error(op, rc, "%s", errmsg);
		return;
	}
	if (store_param_check(def, q->value, op->text, sizeof op->text, errmsg,
			      sizeof errmsg) != 0) {
		admin_op_error(op, 400, "%s: %s", def->name, errmsg);
		return;
	}
	snprintf(detail, sizeof detail, "%s=%.400s", def->name, op->text);
	cmd = admin_op_cmd(op);
	if (!cmd)
		return;
	if (store_cmd_put_param(cmd, def->name, op->text) ||
	    store_cmd_audit(cmd, "param.set", detail)) {
		store_cmd_free(cmd);
		admin_op_error(op, 500, "building the change failed");
		return;
	}
	admin_op_propose(op, cmd, param_set);
	store_cmd_free(cmd);
}
