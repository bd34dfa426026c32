/* routes_capf_relay: the writes of enrolment (store_capf_write: an LSC
 * issued, a step's outcome, a failed try counted) made where a device
 * reached a node, recorded by the leader; and the CAPF role's failures
 * handed to the admin gate's summary (admin_capf_fail).
 *
 * Every node serves CAPF and EST; only the leader proposes. A follower
 * sends its writes (up to ADMIN_CAPF_RELAY_MAX a request) to the leader's
 * POST /v1/capf/relay, authenticated like POST /v1/registrations/relay:
 * the member's node certificate is the credential, and the audit records
 * name that member as the actor. The leader builds from each write the
 * very command the member would have proposed, guarded on the operation
 * record as the member read it, all of a request in one command; when a
 * guard fails, each alone, in order: a write that arrives after a
 * re-schedule or a cancel (or twice) fails on its guard (409) and changes
 * nothing, so one operation never records two certificates. Only a
 * scheduled device's session writes (once it authenticated, or a failed
 * try counted at most `tries` times), so this route carries nothing an
 * unauthenticated peer can multiply. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/log.h"
#include "node/admin/admin_int.h"
#include "node/admin/admin_req.h"
#include "store/capf.h"

#define CAPF_RELAY_URI "/v1/capf/relay"

/* ---- the receiving side (the leader) ------------------------------------ */

/* The writes of one request, decoded. */
struct relay_in {
	size_t n, next;
	struct store_capf_write w[ADMIN_CAPF_RELAY_MAX];
	uint8_t *buf[ADMIN_CAPF_RELAY_MAX]; /* what w[i] borrows from */
	int result[ADMIN_CAPF_RELAY_MAX];   /* 0, or an HTTP status */
};

static void relay_in_free(void *p)
{
	struct relay_in *x = p;

	if (!x)
		return;
	for (size_t i = 0; i < x->n; i++)
		free(x->buf[i]);
	free(x);
}

static void relay_reply(struct admin_op *op)
{
	struct relay_in *x = op->ctx;
	json_t *list = json_array();

	for (size_t i = 0; list && i < x->n; i++)
		json_array_append_new(list, json_integer(x->result[i]));
	admin_op_reply(op, 200, json_pack("{s:o}", "results", list));
}

static void relay_one_done(struct admin_op *op, int rc);

/* Proposes write x->next alone. */
static void relay_one(struct admin_op *op)
{
	struct relay_in *x = op->ctx;
	struct store_cmd *cmd = admin_op_cmd(op);
	int rc;

	if (!cmd)
		return;
	rc = store_cmd_capf_write(cmd, &x->w[x->next]);
	if (rc) {
		store_cmd_free(cmd);
		admin_op_fail(op, rc, "building the change");
		return;
	}
	admin_op_propose(op, cmd, relay_one_done);
	store_cmd_free(cmd);
}

static void relay_one_done(struct admin_op *op, int rc)
{
	struct relay_in *x = op->ctx;

	if (rc && rc != STORE_ENOTFOUND) {
		/* Not a guard: leadership or the store; the rest would fare
		 * no better. */
		admin_op_fail(op, rc, "recording the enrolment");
		return;
	}
	x->result[x->next++] = rc ? admin_http_status(rc) : 0;
	if (x->next < x->n)
		relay_one(op);
	else
		relay_reply(op);
}

/* All writes in one command: the common case, one commit. A guard that
 * failed fails it whole; then each is tried alone, in order, so that one
 * stale write does not cost the others. */
static void relay_all_done(struct admin_op *op, int rc)
{
	struct relay_in *x = op->ctx;

	if (rc == STORE_ENOTFOUND && x->n > 1) {
		x->next = 0;
		relay_one(op);
		return;
	}
	if (rc && rc != STORE_ENOTFOUND) {
		admin_op_fail(op, rc, "recording the enrolment");
		return;
	}
	for (size_t i = 0; i < x->n; i++)
		x->result[i] = rc ? admin_http_status(rc) : 0;
	relay_reply(op);
}

void admin_route_capf_relay(struct admin_op *op)
{
	struct relay_in *x = NULL;
	struct store_node member;
	struct store_cmd *cmd;
	json_error_t jerr;
	json_t *j, *list, *it;
	char why[128] = "malformed";
	size_t i;
	int rc = 0;

	if (admin_op_member(op, &member) != 0)
		return;
	j = json_loadb(op->body ? op->body : "", op->body_len, 0, &jerr);
	list = json_object_get(j, "writes");
	if (!json_is_array(list) || json_array_size(list) == 0 ||
	    json_array_size(list) > ADMIN_CAPF_RELAY_MAX ||
	    !(x = calloc(1, sizeof *x))) {
		json_decref(j);
		admin_op_error(op, 400, "want {\"writes\": [1..%d base64]}",
			       ADMIN_CAPF_RELAY_MAX);
		return;
	}
	json_array_foreach(list, i, it)
	{
		const char *b64 = json_string_value(it);
		long n = -1;

		x->buf[i] = malloc(STORE_CAPF_WRITE_MAX);
		x->n = i + 1;
		if (b64 && x->buf[i])
			n = admin_b64_decode_loose(b64, strlen(b64), x->buf[i],
						   STORE_CAPF_WRITE_MAX);
		if (n <= 0 ||
		    store_capf_write_decode(x->buf[i], (size_t)n, &x->w[i])) {
			if (n > 0)
				store_capf_write_check(&x->w[i], why,
						       sizeof why);
			rc = -1;
			break;
		}
	}
	json_decref(j);
	if (rc) {
		relay_in_free(x);
		admin_op_error(op, 400, "write %zu refused: %s", i, why);
		return;
	}
	op->ctx = x;
	op->ctx_free = relay_in_free;
	snprintf(op->actor, sizeof op->actor, "node:%.40s", member.name);
	if (!(cmd = admin_op_cmd(op)))
		return;
	for (i = 0; rc == 0 && i < x->n; i++)
		rc = store_cmd_capf_write(cmd, &x->w[i]);
	if (rc) {
		store_cmd_free(cmd);
		admin_op_fail(op, rc, "building the change");
		return;
	}
	admin_op_propose(op, cmd, relay_all_done);
	store_cmd_free(cmd);
}

/* {"writes": [base64 of each of BUFS]}, or NULL. */
static json_t *relay_doc(const void *const *bufs, const size_t *lens, size_t n)
{
	json_t *list = json_array();
	char *b64;

	for (size_t i = 0; list && i < n; i++) {
		if (!(b64 = admin_b64_encode_alloc(bufs[i], lens[i])) ||
		    json_array_append_new(list, json_string(b64)) != 0) {
			free(b64);
			json_decref(list);
			return NULL;
		}
		free(b64);
	}
	return list ? json_pack("{s:o}", "writes", list) : NULL;
}

/* The leader's per-write results (0 committed, else a status) from an
 * answer BODY of STATUS into RC (N): -1 for every write when the request
 * failed as a whole. */
static void relay_results(int status, const char *body, size_t len, int *rc,
			  size_t n)
{
	json_error_t jerr;
	json_t *j = status == 200 ? json_loadb(body, len, 0, &jerr) : NULL;
	json_t *list = json_object_get(j, "results");

	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(list, i);

		rc[i] = json_is_integer(v) ? (int)json_integer_value(v) : -1;
	}
	json_decref(j);
}

/* ---- a write of this node's admin (EST) --------------------------------- */

struct capf_write_ctx {
	void *cmd; /* the command, finished */
	size_t cmd_len;
	json_t *doc; /* the relay body */
	admin_step_fn then;
};

static void write_ctx_free(void *p)
{
	struct capf_write_ctx *x = p;

	if (!x)
		return;
	free(x->cmd);
	json_decref(x->doc);
	free(x);
}

static int write_propose(struct admin_op *op, consensus_cb cb)
{
	struct capf_write_ctx *x = op->ctx;

	return consensus_propose(op->a->consensus, x->cmd, x->cmd_len, cb, op);
}

/* The leader's answer to OP's write, held for it: continues at THEN. */
static void write_relayed(void *arg, int status, const char *body, size_t len)
{
	int rc;

	relay_results(status, body, len, &rc, 1);
	if (status == 200 && rc != 0)
		log_info(ADMIN_TAG, "enrolment not recorded by the leader: %d",
			 rc);
	admin_op_post(arg, rc == 0     ? 0
			   : rc == 409 ? STORE_ENOTFOUND
				       : CONSENSUS_ENOLEADER);
}

static void write_dropped(void *arg)
{
	admin_op_post(arg, CONSENSUS_ENOLEADER);
}

static void write_proposed(struct admin_op *op, int rc)
{
	struct capf_write_ctx *x = op->ctx;

	if (rc != CONSENSUS_ENOTLEADER) {
		x->then(op, rc);
		return;
	}
	/* A follower: the leader records it; what this node checked (the
	 * client's certificate or string) stays here. Sent as this member's
	 * own request (no X-Ward-Client): the route takes no other. */
	admin_op_hold(op, x->then);
	if (admin_member_post(op->a, CAPF_RELAY_URI, json_incref(x->doc),
			      write_relayed, write_dropped, op) != 0) {
		admin_op_unhold(op);
		x->then(op, CONSENSUS_ENOLEADER);
	}
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
	if (rc == 0) {
		const void *one = buf;

		if (!(x->doc = relay_doc(&one, &len, 1)))
			rc = STORE_ENOMEM;
	}
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

struct relay_out {
	admin_capf_relay_cb cb;
	void *arg;
	size_t n;
};

static void relay_sent(void *arg, int status, const char *body, size_t len)
{
	struct relay_out *ro = arg;
	int rc[ADMIN_CAPF_RELAY_MAX];

	relay_results(status, body, len, rc, ro->n);
	ro->cb(ro->arg, rc, ro->n);
	free(ro);
}

int admin_capf_relay(struct admin *a, const void *const *bufs,
		     const size_t *lens, size_t n, admin_capf_relay_cb cb,
		     void *arg)
{
	struct store_node leader;
	struct relay_out *ro;

	if (!a || !a->consensus || n == 0 || n > ADMIN_CAPF_RELAY_MAX ||
	    admin_leader_node(a, &leader) != 0 || leader.id == a->node_id ||
	    !(ro = malloc(sizeof *ro)))
		return -1;
	ro->cb = cb;
	ro->arg = arg;
	ro->n = n;
	if (admin_member_post(a, CAPF_RELAY_URI, relay_doc(bufs, lens, n),
			      relay_sent, free, ro) != 0) {
		free(ro);
		return -1;
	}
	return 0;
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
