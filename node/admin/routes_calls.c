/* routes_calls: GET /v1/calls — the calls this node's signaling role
 * carries (caller, callee, number, state, security level), from the hook
 * wardd fills; each node lists its own. */
#include "node/admin/admin_int.h"

#include <stdlib.h>

#include <jansson.h>

void admin_route_calls(struct admin_op *op)
{
	struct admin *a = op->a;
	char *text = NULL;
	json_error_t e;
	json_t *doc;

	if (!a->hooks.calls_json) {
		admin_op_error(op, 501, "this node runs no signaling role");
		return;
	}
	doc = a->hooks.calls_json(a->hooks.arg, &text) == 0
		  ? json_loads(text, 0, &e)
		  : NULL;
	free(text);
	if (!doc) {
		admin_op_error(op, 500, "listing the calls failed");
		return;
	}
	admin_op_reply(op, 200, doc);
}
