/* member_post: a member's request to the leader on a members-only route,
 * presenting this node's certificate — the way followers hand the leader
 * what only the leader can write (registration changes, the node's own
 * SIP address). */
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "common/log.h"
#include "node/admin/admin_int.h"

struct member_post {
	admin_relay_cb cb;
	void *arg;
	char uri[64];
};

static void sent(void *arg, int status, const char *body, size_t len,
		 const char *err)
{
	struct admin_op *op = arg;
	struct member_post *mp = op->ctx;

	op->client = NULL;
	if (status != 200)
		log_info(ADMIN_TAG,
			 "%s not relayed: the leader answered %d %.*s%s",
			 mp ? mp->uri : "request", status,
			 (int)(len > 200 ? 200 : len), body ? body : "",
			 err ? err : "");
	if (mp && mp->cb)
		mp->cb(mp->arg, status == 200 ? 0 : -1);
	admin_op_finish(op);
}

int admin_member_post(struct admin *a, const char *uri, json_t *doc,
		      admin_relay_cb cb, void *arg)
{
	struct store_node leader;
	struct admin_op *op = NULL;
	struct member_post *mp = NULL;
	char *body = NULL;
	int rc;

	if (a && a->consensus && doc && strlen(uri) < sizeof mp->uri &&
	    admin_leader_node(a, &leader) == 0)
		body = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	op = body ? admin_op_new(a, NULL) : NULL;
	mp = op ? calloc(1, sizeof *mp) : NULL;
	if (!mp) {
		free(body);
		admin_op_finish(op);
		return -1;
	}
	mp->cb = cb;
	mp->arg = arg;
	strcpy(mp->uri, uri);
	op->ctx = mp;
	op->ctx_free = free;
	rc = admin_client_send(a, &leader, EVHTTP_REQ_POST, uri, NULL, NULL,
			       body, strlen(body), 10000, sent, op,
			       &op->client);
	free(body);
	if (rc != 0) {
		admin_op_finish(op);
		return -1;
	}
	return 0;
}
