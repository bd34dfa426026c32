/* routes_capf_relay: the writes of enrolment (store_capf_write: an LSC
 * issued, a step's outcome, a failed try counted) made where a device
 * reached a node, recorded by the leader.
 *
 * Every node serves CAPF and EST; only the leader proposes. A follower
 * sends each write to the leader's POST /v1/capf/relay, authenticated like
 * POST /v1/registrations/relay: the member's node certificate is the
 * credential, and the audit record names that member as the actor. The
 * leader builds from the write the very command the member would have
 * proposed, guarded on the operation record as the member read it: a write
 * that arrives after a re-schedule or a cancel (or twice) fails on the
 * guard (409) and changes nothing, so one operation never records two
 * certificates. Only an authenticated device's session makes a write, so
 * this route carries nothing an unauthenticated peer chose to cause. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/http.h>

#include "common/log.h"
#include "node/admin/admin_int.h"
#include "node/admin/admin_req.h"
#include "store/capf.h"

#define CAPF_RELAY_URI "/v1/capf/relay"
#define CAPF_RELAY_TIMEOUT_MS 10000

/* {"write": base64} of the encoded write BUF: JSON or NULL. */
static json_t *relay_doc(const void *buf, size_t len)
{
	char *b64 = admin_b64_encode_alloc(buf, len);
	json_t *doc = b64 ? json_pack("{s:s}", "write", b64) : NULL;

	free(b64);
	return doc;
}

static char *relay_body(const void *buf, size_t len)
{
	json_t *doc = relay_doc(buf, len);
	char *body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

	json_decref(doc);
	return body;
}

/* ---- the receiving side (the leader) ------------------------------------ */

static void relay_written(struct admin_op *op, int rc)
{
	if (rc) {
		admin_op_fail(op, rc, "recording the enrolment");
		return;
	}
	admin_op_reply(op, 200, json_pack("{s:b}", "written", 1));
}

void admin_route_capf_relay(struct admin_op *op)
{
	struct store_capf_write *w = NULL;
	struct store_node member;
	struct store_cmd *cmd;
	json_error_t jerr;
	json_t *j = NULL;
	const char *b64;
	uint8_t fp[32], *buf = NULL;
	char why[128] = "malformed";
	long n = -1;
	int rc;

	if (!op->from_node || admin_tls_peer_fp(op->req, fp) != 0 ||
	    admin_node_by_fp(op->a, fp, &member) != 0) {
		admin_op_error(op, 403, "members only");
		return;
	}
	j = json_loadb(op->body ? op->body : "", op->body_len, 0, &jerr);
	b64 = json_string_value(json_object_get(j, "write"));
	w = calloc(1, sizeof *w);
	buf = malloc(STORE_CAPF_WRITE_MAX);
	if (b64 && w && buf)
		n = admin_b64_decode_loose(b64, strlen(b64), buf,
					   STORE_CAPF_WRITE_MAX);
	if (n <= 0 || store_capf_write_decode(buf, (size_t)n, w) != 0) {
		if (n > 0)
			store_capf_write_check(w, why, sizeof why);
		admin_op_error(op, 400, "want {\"write\": base64}: %s", why);
		goto out;
	}
	snprintf(op->actor, sizeof op->actor, "node:%.40s", member.name);
	if (!(cmd = admin_op_cmd(op)))
		goto out;
	rc = store_cmd_capf_write(cmd, w);
	if (rc) {
		store_cmd_free(cmd);
		admin_op_fail(op, rc, "building the change");
		goto out;
	}
	admin_op_propose(op, cmd, relay_written);
	store_cmd_free(cmd);
out:
	json_decref(j);
	free(buf);
	free(w);
}

/* ---- a write of this node's admin (EST) --------------------------------- */

struct capf_write_ctx {
	void *cmd; /* the command, finished */
	size_t cmd_len;
	char *body; /* the relay body */
	admin_step_fn then;
};

static void write_ctx_free(void *p)
{
	struct capf_write_ctx *x = p;

	if (!x)
		return;
	free(x->cmd);
	free(x->body);
	free(x);
}

static int write_propose(struct admin_op *op, consensus_cb cb)
{
	struct capf_write_ctx *x = op->ctx;

	return consensus_propose(op->a->consensus, x->cmd, x->cmd_len, cb, op);
}

static void write_relayed(void *arg, int status, const char *body, size_t len,
			  const char *err)
{
	struct admin_op *op = arg;
	struct capf_write_ctx *x = op->ctx;

	op->client = NULL;
	if (status != 200)
		log_info(ADMIN_TAG,
			 "enrolment not relayed: the leader answered %d "
			 "%.*s%s",
			 status, (int)(len > 200 ? 200 : len), body ? body : "",
			 err ? err : "");
	x->then(op, status == 200   ? 0
		    : status == 409 ? STORE_ENOTFOUND
				    : CONSENSUS_ENOLEADER);
}

static void write_proposed(struct admin_op *op, int rc)
{
	struct capf_write_ctx *x = op->ctx;
	struct store_node leader;

	if (rc != CONSENSUS_ENOTLEADER) {
		x->then(op, rc);
		return;
	}
	/* A follower: the leader records it; what this node checked (the
	 * client's certificate or string) stays here. */
	if (admin_leader_node(op->a, &leader) != 0 ||
	    admin_client_send(op->a, &leader, EVHTTP_REQ_POST, CAPF_RELAY_URI,
			      NULL, op->peer, x->body, strlen(x->body),
			      CAPF_RELAY_TIMEOUT_MS, write_relayed, op,
			      &op->client) != 0)
		x->then(op, CONSENSUS_ENOLEADER);
}

void admin_capf_write(struct admin_op *op, const struct store_capf_write *w,
		      admin_step_fn then)
{
	struct capf_write_ctx *x = calloc(1, sizeof *x);
	struct store_cmd *cmd = NULL;
	uint8_t *buf = malloc(STORE_CAPF_WRITE_MAX);
	size_t len = 0;
	int rc = STORE_ENOMEM;

	if (x && buf &&
	    (rc = store_capf_write_encode(w, buf, STORE_CAPF_WRITE_MAX,
					  &len)) == 0 &&
	    (rc = store_cmd_new(&cmd, op->a->node_id, admin_now_ms(),
				op->actor)) == 0 &&
	    (rc = store_cmd_capf_write(cmd, w)) == 0)
		rc = store_cmd_finish(cmd, &x->cmd, &x->cmd_len);
	store_cmd_free(cmd);
	if (rc == 0 && !(x->body = relay_body(buf, len)))
		rc = STORE_ENOMEM;
	free(buf);
	if (rc) {
		write_ctx_free(x);
		then(op, rc);
		return;
	}
	x->then = then;
	if (op->ctx_free)
		op->ctx_free(op->ctx);
	op->ctx = x;
	op->ctx_free = write_ctx_free;
	admin_op_call(op, write_propose, write_proposed);
}

/* ---- the sending side of another role (CAPF) ---------------------------- */

int admin_capf_relay(struct admin *a, const void *buf, size_t len,
		     admin_relay_cb cb, void *arg)
{
	struct store_node leader;

	if (!a || !a->consensus || len == 0 || len > STORE_CAPF_WRITE_MAX ||
	    admin_leader_node(a, &leader) != 0 || leader.id == a->node_id)
		return -1;
	return admin_member_post(a, CAPF_RELAY_URI, relay_doc(buf, len), cb,
				 arg);
}

void admin_capf_fail(struct admin *a, const char *addr, const char *device,
		     const char *reason)
{
	struct timeval tv;

	if (!a || !a->gate)
		return;
	tv.tv_sec = a->limits.fail_summary_s;
	tv.tv_usec = 0;
	if (admin_gate_fail(a->gate, ADMIN_GATE_CAPF, addr, device, reason) &&
	    a->ev_fail_summary)
		evtimer_add(a->ev_fail_summary, &tv);
}
