/* forward: this node as a client of the other members' admin APIs — to relay
 * a write to the leader, or to ask every member for its status. The only
 * trust is the fingerprint the nodes table holds for the member called; this
 * node presents its own certificate so the other side knows it is a member.
 */
#include "node/admin/admin_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "common/http_reason.h"
#include "common/log.h"

/* Answers of members are small JSON documents. */
#define CLIENT_BODY_MAX (4u << 20)

struct admin_client {
	struct admin *a;
	struct admin_client *prev, *next; /* a->clients */
	struct evhttp_connection *evcon;  /* owned */
	struct event *ev_reap;		  /* owned: frees after completion */
	admin_client_cb cb;
	void *arg;
	int sending;  /* inside evhttp_make_request */
	int finished; /* the request completed */
	enum evhttp_request_error err;
	int has_err;
	int sys_err;	 /* errno of a failed connection */
	int handshaken;	 /* TLS handshake completed: the request may leave */
	int pin_refused; /* the peer's certificate was not the pinned one */
	bufferevent_event_cb next_event; /* evhttp's, while connecting */
	void *next_arg;
	int unsent; /* it failed before a byte of the request left: 1, or
		     * 2 when the peer's certificate was not the pinned one */
	unsigned timeout_s;
};

static void client_unlink(struct admin_client *c)
{
	struct admin *a = c->a;

	if (c->prev)
		c->prev->next = c->next;
	else if (a->clients == c)
		a->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void client_destroy(struct admin_client *c)
{
	client_unlink(c);
	if (c->ev_reap)
		event_free(c->ev_reap);
	if (c->evcon)
		evhttp_connection_free(c->evcon);
	free(c);
}

void admin_client_cancel(struct admin_client *c)
{
	if (c)
		client_destroy(c);
}

/* The connection cannot be freed inside its own callback: later. */
static void client_reap(evutil_socket_t fd, short what, void *arg)
{
	client_destroy(arg);
}

static void client_on_error(enum evhttp_request_error e, void *arg)
{
	struct admin_client *c = arg;

	c->err = e;
	c->has_err = 1;
}

/* Sees the connection's events before evhttp does, while it connects:
 * libevent hands the event callback the errno of the failed call (it saves
 * it for deferred callbacks), which evhttp's clean-up then overwrites. */
static void client_on_bev_event(struct bufferevent *bev, short what, void *arg)
{
	struct admin_client *c = arg;

	SSL *ssl = bufferevent_openssl_get_ssl(bev);

	if (what & BEV_EVENT_CONNECTED)
		c->handshaken = 1;
	if ((what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) && !c->sys_err)
		c->sys_err = EVUTIL_SOCKET_ERROR();
	if (ssl && SSL_get_verify_result(ssl) == X509_V_ERR_CERT_REJECTED)
		c->pin_refused = 1;
	c->next_event(bev, what, c->next_arg);
}

int admin_client_unsent(const struct admin_client *c)
{
	return c->unsent;
}

/* What went wrong, in plain words, and whether the request certainly never
 * left: TLS sends no application data before the handshake completes, so a
 * failure before that point (refused, reset, handshake refused) cannot have
 * delivered it. After it, the other side may have acted on it. */
static const char *client_err_text(struct admin_client *c, char *buf,
				   size_t cap)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(c->evcon);
	unsigned long tls = bev ? bufferevent_get_openssl_error(bev) : 0;
	int lib = tls ? ERR_GET_LIB(tls) : 0;

	if (!c->handshaken) {
		c->unsent = 1;
		if (c->pin_refused) {
			c->unsent = 2;
			return "its certificate is not the one on record (pin "
			       "mismatch)";
		}
		if (c->has_err && c->err == EVREQ_HTTP_TIMEOUT) {
			snprintf(buf, cap,
				 "no connection within %u s (request not sent)",
				 c->timeout_s);
			return buf;
		}
		if (c->sys_err == ECONNREFUSED)
			return "connection refused";
		if (c->sys_err == ECONNRESET || c->sys_err == EPIPE)
			return "connection reset before the request was sent";
		if (c->sys_err == EHOSTUNREACH || c->sys_err == ENETUNREACH)
			return "no route to it";
		/* libevent stores SSL_get_error()'s code, not a library error,
		 * when the socket failed under the handshake. */
		if (lib != 0) {
			const char *why = ERR_reason_error_string(tls);

			snprintf(buf, cap, "TLS handshake failed: %s",
				 why ? why : "refused");
			return buf;
		}
		return "connection closed before the request was sent";
	}
	if (!c->has_err)
		return "connection failed after the request was sent";
	switch (c->err) {
	case EVREQ_HTTP_TIMEOUT:
		snprintf(buf, cap, "no answer within %u s", c->timeout_s);
		return buf;
	case EVREQ_HTTP_EOF:
		return "connection closed after the request was sent";
	case EVREQ_HTTP_INVALID_HEADER:
		return "malformed answer";
	case EVREQ_HTTP_DATA_TOO_LONG:
		return "answer too large";
	default:
		return "connection failed after the request was sent";
	}
}

static void client_on_done(struct evhttp_request *resp, void *arg)
{
	struct admin_client *c = arg;
	int status = resp ? evhttp_request_get_response_code(resp) : 0;
	const char *body = NULL, *err = NULL;
	struct timeval now = {0, 0};
	char ebuf[256];
	size_t len = 0;

	c->finished = 1;
	if (c->sending)
		return; /* failed at once: admin_client_send reports it */
	if (status) {
		struct evbuffer *in = evhttp_request_get_input_buffer(resp);

		len = evbuffer_get_length(in);
		body = (const char *)evbuffer_pullup(in, -1);
	} else {
		err = client_err_text(c, ebuf, sizeof ebuf);
	}
	evtimer_add(c->ev_reap, &now);
	if (c->cb)
		c->cb(c->arg, status, body ? body : "", body ? len : 0, err);
}

int admin_client_send(struct admin *a, const struct store_node *to,
		      enum evhttp_cmd_type method, const char *uri,
		      const char *auth, const char *client, const void *body,
		      size_t len, unsigned timeout_ms, admin_client_cb cb,
		      void *arg, struct admin_client **out)
{
	static const uint8_t zero[32];
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	struct evhttp_request *req;
	struct bufferevent *bev;
	struct evkeyvalq *h;
	struct admin_client *c;
	char host[STORE_ADDR_MAX];
	unsigned port;
	SSL *ssl;
	int rc = -1;

	if (addr_split(to->admin_addr, ADDR_PORT_OPTIONAL, host, sizeof host,
		       &port) != 0 ||
	    port == 0 || memcmp(to->https_sha256, zero, 32) == 0)
		return -1;
	c = calloc(1, sizeof *c);
	if (!c)
		return -1;
	c->a = a;
	c->cb = cb;
	c->arg = arg;
	c->timeout_s = (timeout_ms + 999) / 1000;
	c->ev_reap = evtimer_new(a->base, client_reap, c);
	ssl = SSL_new(a->tls_client);
	if (!c->ev_reap || !ssl || admin_tls_pin(ssl, to->https_sha256) != 0)
		goto err_after_ssl;
	if (!addr_host_is_ip(host))
		SSL_set_tlsext_host_name(ssl, host);
	bev = bufferevent_openssl_socket_new(
	    a->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (!bev)
		goto err_after_ssl;
	ssl = NULL; /* the bufferevent owns it now */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	c->evcon = evhttp_connection_base_bufferevent_new(a->base, NULL, bev,
							  host, (uint16_t)port);
	if (!c->evcon) {
		bufferevent_free(bev);
		goto err_after_ssl;
	}
	evhttp_connection_set_timeout_tv(c->evcon, &tv);
	evhttp_connection_set_retries(c->evcon, 0);
	evhttp_connection_set_max_body_size(c->evcon, CLIENT_BODY_MAX);
	req = evhttp_request_new(client_on_done, c);
	if (!req)
		goto err_after_ssl;
	evhttp_request_set_error_cb(req, client_on_error);
	h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Host", to->admin_addr);
	evhttp_add_header(h, "Connection", "close");
	if (auth)
		evhttp_add_header(h, "Authorization", auth);
	if (client)
		evhttp_add_header(h, "X-Ward-Client", client);
	if (len) {
		evhttp_add_header(h, "Content-Type", "application/json");
		evbuffer_add(evhttp_request_get_output_buffer(req), body, len);
	}
	c->sending = 1;
	rc = evhttp_make_request(c->evcon, req, method, uri);
	c->sending = 0;
	if (rc != 0 || c->finished) {
		/* Refused at once (a local port): nothing was sent. */
		rc = c->finished ? -2 : -1;
		goto err_after_ssl;
	}
	/* evhttp installed its connect callback (no read or write ones yet):
	 * put ours in front. It replaces them all once connected. */
	{
		bufferevent_data_cb rd, wr;

		bufferevent_getcb(bev, &rd, &wr, &c->next_event, &c->next_arg);
		if (!rd && !wr && c->next_event)
			bufferevent_setcb(bev, NULL, NULL, client_on_bev_event,
					  c);
	}
	c->next = a->clients;
	if (a->clients)
		a->clients->prev = c;
	a->clients = c;
	*out = c;
	return 0;
err_after_ssl:
	SSL_free(ssl);
	if (c->ev_reap)
		event_free(c->ev_reap);
	if (c->evcon)
		evhttp_connection_free(c->evcon);
	free(c);
	return rc == -2 ? -2 : -1;
}

/* ---- relaying a request to the leader ---------------------------------
 *
 * A write that reaches a follower goes to the leader. When the leader has
 * just died, the follower keeps it on record until the election that
 * follows (an election timeout or two); a request that certainly never
 * reached it (refused, reset or refused at the handshake) is safe to send
 * again, to whichever member leads next, until the request's own time is
 * up. A request that may have reached it is never sent twice: the client
 * gets a 503 that says what happened. */

/* Pause between tries while no usable leader is known. Leadership changes
 * wake the wait early (admin_notify). */
#define FORWARD_RETRY_MS 50
/* A try still connecting to a leader that is no longer on record is
 * abandoned (it has sent nothing) for the new one: a host that died
 * without a reset would otherwise hold the request until its timeout. */
#define FORWARD_WATCH_MS 100
/* The follower answers this long before the client's own deadline, so the
 * client reads the reason rather than its timeout. */
#define FORWARD_MARGIN_MS 1000

static void forward_try(struct admin_op *op, int rc);

/* Answers OP with 503 and everything known about why. */
static void forward_give_up(struct admin_op *op)
{
	struct store_node leader;
	const char *now;

	if (admin_leader_node(op->a, &leader) != 0)
		now = "election in progress";
	else if (leader.id == op->fwd_leader_id)
		now = "it is still the leader on record";
	else
		now = "leadership is changing";
	if (op->fwd_why[0])
		admin_op_error(op, 503, "%s; %s", op->fwd_why, now);
	else
		admin_op_error(op, 503, "no leader within %u s; %s",
			       op->fwd_timeout_s, now);
}

/* Waits for a leader (or a change of leader), then tries again. */
static void forward_wait(struct admin_op *op)
{
	uint64_t now = admin_now_ms();

	if (now + FORWARD_RETRY_MS >= op->fwd_deadline_ms) {
		forward_give_up(op);
		return;
	}
	admin_op_after(op, FORWARD_RETRY_MS, forward_try);
}

/* While a try is in flight: gives it up for a new leader as long as it has
 * sent nothing. */
static void forward_watch(struct admin_op *op, int rc)
{
	struct store_node leader;

	(void)rc;
	if (!op->client)
		return;
	if (!op->client->handshaken && admin_leader_node(op->a, &leader) == 0 &&
	    leader.id != op->fwd_leader_id) {
		admin_client_cancel(op->client);
		op->client = NULL;
		snprintf(op->fwd_why, sizeof op->fwd_why,
			 "leader %s unreachable: no connection", op->text);
		forward_try(op, 0);
		return;
	}
	admin_op_after(op, FORWARD_WATCH_MS, forward_watch);
}

static void forward_done(void *arg, int status, const char *body, size_t len,
			 const char *err)
{
	struct admin_op *op = arg;
	int unsent = op->client ? admin_client_unsent(op->client) : 0;
	struct evkeyvalq *h;
	struct evbuffer *out;

	op->client = NULL;
	if (op->timer)
		evtimer_del(op->timer); /* the watch */
	if (!op->req) {
		admin_op_finish(op);
		return;
	}
	if (!status) {
		snprintf(op->fwd_why, sizeof op->fwd_why,
			 "leader %s unreachable: %s", op->text,
			 err ? err : "?");
		if (unsent == 1) {
			forward_wait(op);
			return;
		}
		/* Asking again would meet the same certificate. */
		if (unsent == 2) {
			admin_op_error(op, 503, "%s; nothing was sent",
				       op->fwd_why);
			return;
		}
		admin_op_error(op, 503,
			       "leader %s: %s; the change may or may not "
			       "have been made: check before repeating it",
			       op->text, err ? err : "?");
		return;
	}
	/* The member no longer led when the request arrived and refused it
	 * before doing anything (admin_on_request, admin_op_propose). */
	if (status == 503 && len &&
	    memmem(body, len, ADMIN_NOT_LEADER_TEXT,
		   strlen(ADMIN_NOT_LEADER_TEXT)) != NULL) {
		snprintf(op->fwd_why, sizeof op->fwd_why, "%s no longer leads",
			 op->text);
		forward_wait(op);
		return;
	}
	h = evhttp_request_get_output_headers(op->req);
	out = evbuffer_new();
	if (!out) {
		admin_op_error(op, 500, "out of memory");
		return;
	}
	evbuffer_add(out, body, len);
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Ward-Leader", op->text);
	if (status == 401)
		evhttp_add_header(h, "WWW-Authenticate",
				  "Basic realm=\"ward\"");
	evhttp_send_reply(op->req, status, http_reason_phrase(status), out);
	evbuffer_free(out);
	op->req = NULL;
	admin_op_finish(op);
}

static void forward_try(struct admin_op *op, int rc)
{
	struct admin *a = op->a;
	struct evkeyvalq *h = evhttp_request_get_input_headers(op->req);
	uint64_t now = admin_now_ms();
	struct store_node leader;

	(void)rc;
	if (now >= op->fwd_deadline_ms) {
		forward_give_up(op);
		return;
	}
	if (admin_leader_node(a, &leader) != 0) {
		forward_wait(op);
		return;
	}
	if (leader.id == a->node_id) {
		/* Elected meanwhile: serve it here if nothing was done with it
		 * yet, as the leader would have. */
		if (op->fwd_fresh && admin_is_leader(a)) {
			admin_op_serve(op);
			return;
		}
		/* Part of it ran here before, as a follower's: the client
		 * repeats it rather than this node guess what is left. */
		if (admin_is_leader(a)) {
			admin_op_error(op, 503,
				       "leadership moved to this node while "
				       "the request was relayed: repeat it");
			return;
		}
		forward_wait(op);
		return;
	}
	op->fwd_leader_id = leader.id;
	snprintf(op->text, sizeof op->text, "%s", leader.name);
	rc = admin_client_send(a, &leader, evhttp_request_get_command(op->req),
			       evhttp_request_get_uri(op->req),
			       evhttp_find_header(h, "Authorization"), op->peer,
			       op->body, op->body_len,
			       (unsigned)(op->fwd_deadline_ms - now),
			       forward_done, op, &op->client);
	if (rc != 0) {
		snprintf(op->fwd_why, sizeof op->fwd_why,
			 rc == -2 ? "leader %s unreachable: connection failed "
				    "at once"
				  : "cannot relay to the leader (%s): no "
				    "address or fingerprint on record",
			 leader.name);
		forward_wait(op);
		return;
	}
	admin_op_after(op, FORWARD_WATCH_MS, forward_watch);
}

void admin_forward(struct admin_op *op)
{
	const char *want = evhttp_find_header(
	    evhttp_request_get_input_headers(op->req), "X-Ward-Timeout");
	unsigned timeout_s = op->route && op->route->forward_timeout_s
				 ? op->route->forward_timeout_s
				 : ADMIN_FORWARD_TIMEOUT_S;
	uint64_t ms;
	char *end;
	unsigned long v;

	/* The client's own deadline, if it says so and it is shorter. */
	if (want) {
		errno = 0;
		v = strtoul(want, &end, 10);
		if (errno == 0 && end != want && *end == '\0' && v > 0 &&
		    v < timeout_s)
			timeout_s = (unsigned)v;
	}
	op->fwd_timeout_s = timeout_s;
	ms = (uint64_t)timeout_s * 1000;
	if (ms > 2 * FORWARD_MARGIN_MS)
		ms -= FORWARD_MARGIN_MS;
	op->fwd_deadline_ms = admin_now_ms() + ms;
	op->fwd_leader_id = 0;
	op->fwd_why[0] = '\0';
	forward_try(op, 0);
}
