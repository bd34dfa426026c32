/* forward: this node as a client of the other members' admin APIs — to relay
 * a write to the leader, or to ask every member for its status. The only
 * trust is the fingerprint the nodes table holds for the member called; this
 * node presents its own certificate so the other side knows it is a member.
 */
#include "node/admin/admin_int.h"

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

static const char *client_err_text(struct admin_client *c, char *buf,
				   size_t cap)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(c->evcon);
	unsigned long tls = bev ? bufferevent_get_openssl_error(bev) : 0;

	if (tls) {
		char e[160];

		ERR_error_string_n(tls, e, sizeof e);
		snprintf(buf, cap, "TLS: %s (certificate not the one pinned?)",
			 e);
		return buf;
	}
	if (!c->has_err)
		return "connection failed";
	switch (c->err) {
	case EVREQ_HTTP_TIMEOUT:
		return "timed out";
	case EVREQ_HTTP_EOF:
		return "connection closed (refused, or TLS rejected)";
	case EVREQ_HTTP_INVALID_HEADER:
		return "malformed answer";
	case EVREQ_HTTP_DATA_TOO_LONG:
		return "answer too large";
	default:
		return "connection failed";
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
	int rc;

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
	if (rc != 0 || c->finished)
		goto err_after_ssl;
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
	return -1;
}

static void forward_done(void *arg, int status, const char *body, size_t len,
			 const char *err)
{
	struct admin_op *op = arg;
	struct evkeyvalq *h;
	struct evbuffer *out;

	op->client = NULL;
	if (!op->req) {
		admin_op_finish(op);
		return;
	}
	if (!status) {
		admin_op_error(op, 503,
			       "the leader (%s) could not be reached: %s",
			       op->text, err ? err : "?");
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

void admin_forward(struct admin_op *op)
{
	struct admin *a = op->a;
	struct evkeyvalq *h = evhttp_request_get_input_headers(op->req);
	unsigned timeout_s = op->route && op->route->forward_timeout_s
				 ? op->route->forward_timeout_s
				 : 30;
	struct store_node leader;

	if (admin_leader_node(a, &leader) != 0) {
		admin_op_error(op, 503, "no leader: retry in a moment");
		return;
	}
	if (leader.id == a->node_id) {
		admin_op_error(op, 503, "leadership is changing: retry");
		return;
	}
	snprintf(op->text, sizeof op->text, "%s", leader.name);
	if (admin_client_send(a, &leader, evhttp_request_get_command(op->req),
			      evhttp_request_get_uri(op->req),
			      evhttp_find_header(h, "Authorization"), op->peer,
			      op->body, op->body_len, timeout_s * 1000,
			      forward_done, op, &op->client) != 0)
		admin_op_error(op, 503,
			       "cannot relay to the leader (%s): no address "
			       "or fingerprint on record",
			       leader.name);
}
