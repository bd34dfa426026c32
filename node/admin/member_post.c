/* member_post: a member's request to the leader on a members-only route,
 * presenting this node's certificate — the way followers hand the leader
 * what only the leader can write (registration changes, the node's own
 * SIP address, CAPF writes, the failure summary, an audited capture
 * fetch). The one sender of them all: one leader look-up, one timeout,
 * one log line when the leader does not take it. */
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "common/log.h"
#include "node/admin/admin_int.h"

#define MEMBER_POST_TIMEOUT_MS 10000

struct member_post {
	admin_member_cb cb; /* one of these two */
	admin_relay_cb ok_cb;
	admin_member_drop_fn drop;
	void *arg;
	int answered;
	char uri[64];
};

/* The op's ctx_free: the answer never came (the admin freed first). */
static void member_post_free(void *p)
{
	struct member_post *mp = p;

	if (mp && !mp->answered && mp->drop)
		mp->drop(mp->arg);
	free(mp);
}

static void sent(void *arg, int status, const char *body, size_t len,
		 const char *err)
{
	struct admin_op *op = arg;
	struct member_post *mp = op->ctx;

	op->client = NULL;
	mp->answered = 1;
	if (status != 200)
		log_info(ADMIN_TAG,
			 "%s not relayed: the leader answered %d %.*s%s",
			 mp->uri, status, (int)(len > 200 ? 200 : len),
			 body ? body : "", err ? err : "");
	if (mp->cb)
		mp->cb(mp->arg, status, body, len);
	else
		mp->ok_cb(mp->arg, status == 200 ? 0 : -1);
	admin_op_finish(op);
}

static int post(struct admin *a, const char *uri, json_t *doc,
		struct member_post *how)
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
	mp = op ? malloc(sizeof *mp) : NULL;
	if (!mp) {
		free(body);
		admin_op_finish(op);
		return -1;
	}
	*mp = *how;
	strcpy(mp->uri, uri);
	op->ctx = mp;
	op->ctx_free = member_post_free;
	rc = admin_client_send(a, &leader, EVHTTP_REQ_POST, uri, NULL, NULL,
			       body, strlen(body), MEMBER_POST_TIMEOUT_MS, sent,
			       op, &op->client);
	free(body);
	if (rc != 0) {
		mp->drop = NULL; /* the caller hears -1 */
		admin_op_finish(op);
		return -1;
	}
	return 0;
}

int admin_member_post(struct admin *a, const char *uri, json_t *doc,
		      admin_member_cb cb, admin_member_drop_fn drop, void *arg)
{
	struct member_post how = {.cb = cb, .drop = drop, .arg = arg};

	return post(a, uri, doc, &how);
}

int admin_member_relay(struct admin *a, const char *uri, json_t *doc,
		       admin_relay_cb cb, void *arg)
{
	struct member_post how = {.ok_cb = cb, .arg = arg};

	return post(a, uri, doc, &how);
}
