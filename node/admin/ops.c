/* ops: the life of a request that waits — for a Raft commit, a membership
 * change, a poll or another node — and the replies every route sends.
 *
 * Consensus calls back on its own thread. The trampoline there only queues
 * the op into the mailbox and wakes the admin loop; the op's next step runs
 * on the admin thread, where every other piece of the admin lives. */
#include "node/admin/admin_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>

#include "common/hex.h"
#include "common/http_reason.h"
#include "common/log.h"
#include "node/admin/wipe.h"

uint64_t admin_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct admin_op *admin_op_new(struct admin *a, struct evhttp_request *req)
{
	struct admin_op *op = calloc(1, sizeof *op);

	if (!op)
		return NULL;
	op->a = a;
	op->req = req;
	op->mb = a->mb;
	snprintf(op->actor, sizeof op->actor, "-");
	op->next = a->ops;
	if (a->ops)
		a->ops->prev = op;
	a->ops = op;
	return op;
}

/* Frees what the op holds on the admin thread; idempotent. */
static void op_release(struct admin_op *op)
{
	struct admin *a = op->a;

	if (a) {
		if (a->admin_delete_op == op)
			a->admin_delete_op = NULL;
		if (a->init_op == op)
			a->init_op = NULL;
		if (a->prune_op == op)
			a->prune_op = NULL;
		if (op->prev)
			op->prev->next = op->next;
		else if (a->ops == op)
			a->ops = op->next;
		if (op->next)
			op->next->prev = op->prev;
		op->prev = op->next = NULL;
	}
	admin_client_cancel(op->client);
	op->client = NULL;
	if (op->timer)
		event_free(op->timer);
	op->timer = NULL;
	if (op->deadline)
		event_free(op->deadline);
	op->deadline = NULL;
	if (op->ctx_free)
		op->ctx_free(op->ctx);
	op->ctx = NULL;
	op->ctx_free = NULL;
	if (op->body) {
		OPENSSL_cleanse(op->body, op->body_len);
		free(op->body);
	}
	op->body = NULL;
}

static void op_free_mem(struct admin_op *op)
{
	if (op->work_free)
		op->work_free(op->work);
	/* Passwords and tokens pass through the union and token fields. */
	OPENSSL_cleanse(op, sizeof *op);
	free(op);
}

void admin_op_finish(struct admin_op *op)
{
	if (!op)
		return;
	op_release(op);
	if (op->in_flight) {
		/* Only admin_free gets here: the callback frees the memory. */
		op->a = NULL;
		return;
	}
	op_free_mem(op);
}

/* ---- the mailbox ------------------------------------------------------ */

/* Raft or worker thread. */
void admin_op_post(void *arg, int rc)
{
	struct admin_op *op = arg;
	struct admin_mailbox *mb = op->mb;
	int last = 0;

	pthread_mutex_lock(&mb->lock);
	mb->refs--;
	if (mb->closed) {
		last = mb->refs == 0;
		pthread_mutex_unlock(&mb->lock);
		op_free_mem(op);
		if (last) {
			pthread_mutex_destroy(&mb->lock);
			free(mb);
		}
		return;
	}
	op->rc = rc;
	op->qnext = NULL;
	if (mb->tail)
		mb->tail->qnext = op;
	else
		mb->head = op;
	mb->tail = op;
	event_active(mb->ev, EV_READ, 0);
	pthread_mutex_unlock(&mb->lock);
}

void admin_op_hold(struct admin_op *op, admin_step_fn step)
{
	op->step = step;
	op->in_flight = 1;
	pthread_mutex_lock(&op->mb->lock);
	op->mb->refs++;
	pthread_mutex_unlock(&op->mb->lock);
}

/* The call failed at once: no callback will come. */
void admin_op_unhold(struct admin_op *op)
{
	op->in_flight = 0;
	pthread_mutex_lock(&op->mb->lock);
	op->mb->refs--;
	pthread_mutex_unlock(&op->mb->lock);
}

/* Admin thread: runs the steps of every op whose callback came. */
void admin_mailbox_drain(evutil_socket_t fd, short what, void *arg)
{
	struct admin *a = arg;
	struct admin_op *op, *next;

	pthread_mutex_lock(&a->mb->lock);
	op = a->mb->head;
	a->mb->head = a->mb->tail = NULL;
	pthread_mutex_unlock(&a->mb->lock);
	for (; op; op = next) {
		next = op->qnext;
		op->in_flight = 0;
		if (!op->a) {
			/* Answered at its deadline: nothing waits for this. */
			op_free_mem(op);
			continue;
		}
		if (op->deadline)
			evtimer_del(op->deadline);
		op->step(op, op->rc);
	}
}

/* ---- steps ------------------------------------------------------------ */

int admin_op_detached(struct admin_op *op)
{
	if (op->a->consensus)
		return 0;
	admin_op_error(op, 503, "this node is not part of a cluster (now)");
	return 1;
}

static int not_attached(struct admin_op *op)
{
	return admin_op_detached(op);
}

static void op_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct admin_op *op = arg;
	struct store_health h;

	if (!op->in_flight)
		return;
	store_health_get(op->a->store, &h);
	if (h.state == STORE_HEALTH_FULL)
		admin_op_error(op, 507,
			       "no answer in time: this node's store is full "
			       "(%s)",
			       h.reason);
	else
		admin_op_error(op, 503,
			       "no answer from the cluster in time; the change "
			       "may still be applied");
}

/* Arms the deadline of a call to consensus that is about to be made. */
static void op_arm_deadline(struct admin_op *op, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	if (!op->deadline)
		op->deadline = evtimer_new(op->a->base, op_on_deadline, op);
	if (op->deadline)
		evtimer_add(op->deadline, &tv);
}

int admin_op_refused_full(struct admin_op *op, int why)
{
	struct consensus_status st;
	struct store_health h;

	if (op->a->consensus) {
		consensus_status_get(op->a->consensus, &st);
		if (st.failed) {
			admin_op_error(
			    op, 503,
			    "this node's state machine failed%s%s%s: "
			    "it takes no writes until repaired; "
			    "use another node",
			    why ? " (" : "", why ? st.failed_reason : "",
			    why ? ")" : "");
			return 1;
		}
	}
	store_health_get(op->a->store, &h);
	if (h.state != STORE_HEALTH_FULL)
		return 0;
	if (why)
		admin_op_error(op, 507,
			       "this node's store is full: %s. Writes resume "
			       "by themselves once space is freed there",
			       h.reason);
	else
		admin_op_error(op, 507,
			       "this node's store is full (no space left on "
			       "its disk; wardctl status says where). Writes "
			       "resume by themselves once space is freed");
	return 1;
}

void admin_op_propose(struct admin_op *op, struct store_cmd *cmd,
		      admin_step_fn step)
{
	void *buf = NULL;
	size_t len = 0;
	int rc;

	if (not_attached(op) || admin_op_refused_full(op, 1))
		return;
	rc = store_cmd_finish(cmd, &buf, &len);
	if (rc != 0) {
		admin_op_fail(op, rc, "encoding the change");
		return;
	}
	admin_op_hold(op, step);
	op_arm_deadline(op, ADMIN_OP_DEADLINE_MS);
	rc = consensus_propose(op->a->consensus, buf, len, admin_op_post, op);
	free(buf);
	if (rc == 0)
		return;
	if (op->deadline)
		evtimer_del(op->deadline);
	admin_op_unhold(op);
	if (rc == CONSENSUS_ENOTLEADER && op->req && !op->from_node)
		admin_forward(op);
	else
		admin_op_fail(op, rc, "proposing the change");
}

void admin_op_reply_each(struct admin_op *op, enum store_table table,
			 const char *key, store_each_fn visit)
{
	json_t *list;
	struct store_read *r;

	if (admin_op_read_begin(op, &r) != 0)
		return;
	list = json_array();
	store_each(r, table, NULL, 0, visit, list);
	store_read_end(r);
	admin_op_reply(op, 200, json_pack("{s:o}", key, list));
}

static void answer_free(void *p)
{
	json_decref(p);
}

void admin_op_keep_answer(struct admin_op *op, json_t *answer)
{
	op->ctx = answer;
	op->ctx_free = answer_free;
}

void admin_op_reply_kept(struct admin_op *op, int status)
{
	json_t *ans = op->ctx;

	op->ctx = NULL;
	op->ctx_free = NULL;
	admin_op_reply(op, status, ans);
}

void admin_op_propose_built(struct admin_op *op, struct store_cmd *cmd, int rc,
			    const char *what, admin_step_fn step)
{
	if (rc)
		admin_op_error(op, rc == STORE_EINVAL ? 400 : 500,
			       "building %s failed: %s", what,
			       store_strerror(rc));
	else
		admin_op_propose(op, cmd, step);
	store_cmd_free(cmd);
}

void admin_op_call(struct admin_op *op, admin_consensus_call fn,
		   admin_step_fn step)
{
	int rc;

	if (not_attached(op))
		return;
	admin_op_hold(op, step);
	op_arm_deadline(op, ADMIN_CALL_DEADLINE_MS);
	rc = fn(op, admin_op_post);
	if (rc == 0)
		return;
	if (op->deadline)
		evtimer_del(op->deadline);
	admin_op_unhold(op);
	step(op, rc);
}

static void op_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct admin_op *op = arg;

	/* Woken early by admin_notify: the timeout must not fire again. */
	evtimer_del(op->timer);
	op->step(op, 0);
}

void admin_op_after(struct admin_op *op, unsigned ms, admin_step_fn step)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	op->step = step;
	if (!op->timer)
		op->timer = evtimer_new(op->a->base, op_on_timer, op);
	if (!op->timer || evtimer_add(op->timer, &tv) != 0) {
		admin_op_error(op, 500, "out of memory");
		return;
	}
}

struct store_cmd *admin_op_cmd(struct admin_op *op)
{
	struct store_cmd *cmd = NULL;

	if (store_cmd_new(&cmd, op->a->node_id, admin_now_ms(), op->actor) !=
	    0) {
		admin_op_error(op, 500, "out of memory");
		return NULL;
	}
	return cmd;
}

/* ---- replies ---------------------------------------------------------- */

int admin_http_status(int rc)
{
	switch (rc) {
	case STORE_EEXIST:
	case STORE_ENOTFOUND: /* a guard failed: changed meanwhile */
	case CONSENSUS_EBUSY:
		return 409;
	case STORE_EINVAL:
	case CONSENSUS_EINVAL:
		return 400;
	case STORE_ETOOBIG:
		return 413;
	case CONSENSUS_ENOTFOUND:
		return 404;
	case CONSENSUS_ENOTLEADER:
	case CONSENSUS_ENOLEADER:
	case CONSENSUS_ESHUTDOWN:
	case CONSENSUS_ELEADERSHIP:
	case CONSENSUS_EFAILED:
		return 503;
	case STORE_ENOSPC:
		return 507;
	default:
		return 500;
	}
}

void admin_op_fail(struct admin_op *op, int rc, const char *what)
{
	admin_op_error(op, admin_http_status(rc), "%s: %s", what,
		       consensus_strerror(rc));
}

void admin_op_reply(struct admin_op *op, int status, json_t *obj)
{
	if (op->req && op->a)
		admin_reply_json(op->a, op->req, status, obj);
	else
		json_decref(obj);
	op->req = NULL;
	admin_op_finish(op);
}

void admin_op_reply_wiped(struct admin_op *op, int status, json_t *obj)
{
	if (op->req && op->a)
		admin_reply_json_wiped(op->a, op->req, status, obj);
	else
		json_decref(obj);
	op->req = NULL;
	admin_op_finish(op);
}

int admin_op_read_begin(struct admin_op *op, struct store_read **r)
{
	if (store_read_begin(op->a->store, r) == 0)
		return 0;
	admin_op_error(op, 500, "store unreadable");
	return -1;
}

void admin_op_error(struct admin_op *op, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!op->req && status >= 500 && op->a)
		log_warn(ADMIN_TAG, "background write: %s", msg);
	admin_op_reply(op, status, json_pack("{s:s}", "error", msg));
}

/* WIPED: TEXT goes to OUT by reference and is wiped once sent. */
static void reply_json(struct admin *a, struct evhttp_request *req, int status,
		       json_t *obj, int wiped)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *out = evbuffer_new();
	struct store_node leader;
	char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	int rc;

	json_decref(obj);
	if (!text || !out) {
		if (text)
			admin_json_wipe_free(text);
		if (out)
			evbuffer_free(out);
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	if (wiped) {
		rc = admin_evbuffer_add_wiped(out, text, strlen(text), NULL);
	} else {
		rc = evbuffer_add(out, text, strlen(text));
		free(text);
	}
	if (rc != 0 || evbuffer_add(out, "\n", 1) != 0) {
		evbuffer_free(out);
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "Cache-Control", "no-store");
	if (status == 401)
		evhttp_add_header(h, "WWW-Authenticate",
				  "Basic realm=\"ward\"");
	if (!evhttp_find_header(h, "X-Ward-Leader") &&
	    admin_leader_node(a, &leader) == 0)
		evhttp_add_header(h, "X-Ward-Leader", leader.name);
	evhttp_send_reply(req, status, http_reason_phrase(status), out);
	evbuffer_free(out);
}

void admin_reply_json(struct admin *a, struct evhttp_request *req, int status,
		      json_t *obj)
{
	reply_json(a, req, status, obj, 0);
}

void admin_reply_json_wiped(struct admin *a, struct evhttp_request *req,
			    int status, json_t *obj)
{
	reply_json(a, req, status, obj, 1);
}

void admin_reply_error(struct admin *a, struct evhttp_request *req, int status,
		       const char *msg)
{
	admin_reply_json(a, req, status, json_pack("{s:s}", "error", msg));
}

int admin_is_leader(struct admin *a)
{
	struct consensus_status st;

	if (!a->consensus)
		return 0;
	consensus_status_get(a->consensus, &st);
	return st.role == CONSENSUS_ROLE_LEADER;
}

int admin_leader_node(struct admin *a, struct store_node *out)
{
	struct consensus_status st;
	struct store_read *r;
	int rc;

	if (!a->consensus)
		return -1;
	consensus_status_get(a->consensus, &st);
	if (st.leader_id == 0 || store_read_begin(a->store, &r) != 0)
		return -1;
	rc = store_node_get(r, st.leader_id, out);
	store_read_end(r);
	return rc == 0 ? 0 : -1;
}

struct fp_search {
	const uint8_t *fp;
	struct store_node *out;
};

static int fp_visit(void *arg, const void *key, size_t klen, const void *val,
		    size_t vlen)
{
	struct fp_search *s = arg;

	if (store_node_decode(val, vlen, s->out) != 0)
		return 0;
	return hex_sha256_equal(s->out->https_sha256, s->fp);
}

int admin_node_by_fp(struct admin *a, const uint8_t fp[32],
		     struct store_node *out)
{
	static const uint8_t zero[32];
	struct fp_search s = {fp, out};
	struct store_read *r;
	int rc;

	/* A node that has not joined yet has no fingerprint: never match. */
	if (hex_sha256_equal(fp, zero) || store_read_begin(a->store, &r) != 0)
		return -1;
	rc = store_each(r, STORE_T_NODES, NULL, 0, fp_visit, &s);
	store_read_end(r);
	return rc == 1 ? 0 : -1;
}

int admin_op_member(struct admin_op *op, struct store_node *out)
{
	uint8_t fp[32];

	if (!op->from_node || admin_tls_peer_fp(op->req, fp) != 0 ||
	    admin_node_by_fp(op->a, fp, out) != 0) {
		admin_op_error(op, 403, "members only");
		return -1;
	}
	return 0;
}
