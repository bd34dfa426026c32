/* consensus/transport_tcp: plain TCP between Raft servers, TCP_NODELAY.
 *
 * A connection starts with a handshake from the connecting side — magic,
 * server id, address — so that the listener can tell C-raft who is calling;
 * after it the stream belongs to C-raft. The handshake is read with buffers
 * cut to the exact remaining size, so no byte of the first RPC is consumed
 * here.
 *
 * Why our own instead of raft_uv_tcp_init(): C-raft 0.15's transport never
 * sets TCP_NODELAY. A heartbeat or an AppendEntries result written while an
 * earlier segment is unacknowledged waits for the peer's delayed ACK (40 ms
 * on Linux), which showed up as 40-200 ms commit outliers on loopback.
 */
#include "consensus/transport.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The handshake's magic (its layout: transport.h). */
#define HS_MAGIC "WARDRFT2"
#define CONNECT_TIMEOUT_MS 3000
#define HANDSHAKE_TIMEOUT_MS 5000

struct tcp_transport;

struct tcp_conn {
	struct tcp_transport *tt;
	struct tcp_conn *prev, *next;
	int outgoing;
	int done; /* the outcome was reported (or the stream handed over) */
	int fail_status; /* what a firing timer reports; 0: RAFT_NOCONNECTION */
	int handles;	 /* open libuv handles and requests of this conn */
	uv_tcp_t *tcp;	 /* raft_malloc'ed: C-raft frees it once handed over */
	int tcp_open;
	uv_timer_t timer;
	/* outgoing */
	struct raft_uv_connect *req;
	raft_uv_connect_cb cb;
	uv_getaddrinfo_t gai;
	int gai_pending;
	uv_connect_t connect;
	uv_write_t write;
	unsigned port;
	/* handshake, both directions */
	unsigned char hs[TRANSPORT_HS_HEAD + TRANSPORT_HS_ADDR_MAX + 1];
	size_t hs_len, got;
};

struct tcp_transport {
	struct raft_uv_transport *t;
	uv_loop_t *loop;
	raft_id id;
	char address[TRANSPORT_HS_ADDR_MAX + 1];
	raft_uv_accept_cb accept_cb;
	uv_tcp_t listener;
	int listener_open;
	struct tcp_conn *conns;
	int closing;
	unsigned handles; /* listener + conns still to be released */
	raft_uv_transport_close_cb close_cb;
};

static void tt_maybe_closed(struct tcp_transport *tt)
{
	raft_uv_transport_close_cb cb;

	if (!tt->closing || tt->handles > 0 || tt->close_cb == NULL)
		return;
	cb = tt->close_cb;
	tt->close_cb = NULL;
	cb(tt->t);
}

static void conn_unlink(struct tcp_conn *k)
{
	struct tcp_transport *tt = k->tt;

	if (k->prev)
		k->prev->next = k->next;
	else if (tt->conns == k)
		tt->conns = k->next;
	if (k->next)
		k->next->prev = k->prev;
	k->prev = k->next = NULL;
}

/* Drops one reference (handle or request); the last one frees K. */
static void conn_release(struct tcp_conn *k)
{
	struct tcp_transport *tt = k->tt;

	if (--k->handles > 0)
		return;
	conn_unlink(k);
	free(k);
	tt->handles--;
	tt_maybe_closed(tt);
}

static void conn_tcp_close_cb(uv_handle_t *h)
{
	struct tcp_conn *k = h->data;

	raft_free(h);
	conn_release(k);
}

static void conn_timer_close_cb(uv_handle_t *h)
{
	conn_release(h->data);
}

/* Reports the outcome once: hands TCP over on success, else drops it. */
static void conn_finish(struct tcp_conn *k, int status, raft_id id)
{
	struct tcp_transport *tt = k->tt;
	uv_tcp_t *tcp = k->tcp;

	if (k->done)
		return;
	if (status == 0 && tt->closing)
		status = k->outgoing ? RAFT_CANCELED : RAFT_NOCONNECTION;
	k->done = 1;
	uv_timer_stop(&k->timer);
	uv_close((uv_handle_t *)&k->timer, conn_timer_close_cb);
	if (status == 0) {
		k->tcp = NULL;
		k->tcp_open = 0;
		k->handles--; /* the stream is C-raft's now */
	} else if (k->tcp_open) {
		k->tcp_open = 0;
		uv_close((uv_handle_t *)tcp, conn_tcp_close_cb);
	}
	if (status != 0 && k->gai_pending)
		uv_cancel((uv_req_t *)&k->gai); /* else its callback comes */
	if (k->outgoing) {
		k->cb(k->req, status == 0 ? (uv_stream_t *)tcp : NULL, status);
	} else if (status == 0) {
		tcp->data = NULL;
		tt->accept_cb(tt->t, id,
			      (const char *)k->hs + TRANSPORT_HS_HEAD,
			      (uv_stream_t *)tcp);
	}
}

static void conn_timeout_cb(uv_timer_t *timer)
{
	struct tcp_conn *k = timer->data;

	conn_finish(k, k->fail_status ? k->fail_status : RAFT_NOCONNECTION, 0);
}

/* Allocates a conn with its timer and TCP handle initialised. */
static struct tcp_conn *conn_new(struct tcp_transport *tt, int outgoing)
{
	struct tcp_conn *k = calloc(1, sizeof *k);

	if (k == NULL)
		return NULL;
	k->tcp = raft_malloc(sizeof *k->tcp);
	if (k->tcp == NULL) {
		free(k);
		return NULL;
	}
	k->tt = tt;
	k->outgoing = outgoing;
	uv_tcp_init(tt->loop, k->tcp);
	uv_timer_init(tt->loop, &k->timer);
	k->tcp->data = k;
	k->timer.data = k;
	k->tcp_open = 1;
	k->handles = 2;
	k->next = tt->conns;
	if (tt->conns)
		tt->conns->prev = k;
	tt->conns = k;
	tt->handles++;
	return k;
}

/* ---- outgoing --------------------------------------------------------- */

static void out_write_cb(uv_write_t *w, int status)
{
	struct tcp_conn *k = w->data;

	if (!k->done)
		conn_finish(k, status == 0 ? 0 : RAFT_NOCONNECTION, 0);
	conn_release(k);
}

static void out_connect_cb(uv_connect_t *c, int status)
{
	struct tcp_conn *k = c->data;
	uv_buf_t buf;

	if (!k->done && status != 0)
		conn_finish(k, RAFT_NOCONNECTION, 0);
	if (k->done)
		goto out;
	uv_tcp_nodelay(k->tcp, 1);
	buf = uv_buf_init((char *)k->hs, (unsigned)k->hs_len);
	k->write.data = k;
	if (uv_write(&k->write, (uv_stream_t *)k->tcp, &buf, 1, out_write_cb) !=
	    0) {
		conn_finish(k, RAFT_NOCONNECTION, 0);
		goto out;
	}
	k->handles++;
out:
	conn_release(k);
}

/* C-raft does not expect its connect callback while still inside
 * t->connect(): a failure found there is reported from the next loop turn. */
static void conn_fail_soon(struct tcp_conn *k)
{
	uv_timer_start(&k->timer, conn_timeout_cb, 0, 0);
}

static void out_connect_to(struct tcp_conn *k, const struct sockaddr *sa)
{
	k->connect.data = k;
	if (uv_tcp_connect(&k->connect, k->tcp, sa, out_connect_cb) != 0) {
		conn_fail_soon(k);
		return;
	}
	k->handles++;
}

static void out_gai_cb(uv_getaddrinfo_t *g, int status, struct addrinfo *res)
{
	struct tcp_conn *k = g->data;

	k->gai_pending = 0;
	if (!k->done) {
		if (status != 0 || res == NULL)
			conn_finish(k, RAFT_NOCONNECTION, 0);
		else
			out_connect_to(k, res->ai_addr);
	}
	uv_freeaddrinfo(res);
	conn_release(k);
}

static int tcp_connect(struct raft_uv_transport *t, struct raft_uv_connect *req,
		       raft_id id, const char *address, raft_uv_connect_cb cb)
{
	struct tcp_transport *tt = t->impl;
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct tcp_conn *k;
	char host[TRANSPORT_HS_ADDR_MAX + 1];
	unsigned p;
	int rv;

	if (tt->closing)
		return RAFT_CANCELED;
	rv = transport_dial_split(t, address, host, sizeof host, &p);
	if (rv != 0)
		return rv;
	k = conn_new(tt, 1);
	if (k == NULL)
		return RAFT_NOMEM;
	k->req = req;
	k->cb = cb;
	k->port = p;
	k->hs_len =
	    transport_hs_write(k->hs, HS_MAGIC, tt->id, id, tt->address);
	uv_timer_start(&k->timer, conn_timeout_cb, CONNECT_TIMEOUT_MS, 0);

	if (transport_dial_literal(host, p, &ss, &sslen) == 0) {
		out_connect_to(k, (struct sockaddr *)&ss);
		return 0;
	}
	k->gai.data = k;
	if (transport_dial_resolve(tt->loop, &k->gai, out_gai_cb, host, p) !=
	    0) {
		conn_fail_soon(k);
		return 0;
	}
	k->gai_pending = 1;
	k->handles++;
	return 0;
}

/* ---- incoming --------------------------------------------------------- */

static void in_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct tcp_conn *k = h->data;

	(void)suggested;
	/* Never more than the handshake still missing: the rest is C-raft's. */
	*buf =
	    uv_buf_init((char *)k->hs + k->got, (unsigned)(k->hs_len - k->got));
}

static void in_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct tcp_conn *k = s->data;
	struct tcp_transport *tt = k->tt;
	size_t alen;

	(void)buf;
	if (k->done || nread == 0)
		return;
	if (nread < 0) {
		conn_finish(k, RAFT_NOCONNECTION, 0);
		return;
	}
	k->got += (size_t)nread;
	if (k->got < k->hs_len)
		return;
	if (k->hs_len == TRANSPORT_HS_HEAD) {
		/* Malformed, or meant for another server: both refused. */
		if (transport_hs_head_check(k->hs, HS_MAGIC, tt->id, &alen) !=
		    TRANSPORT_HS_OK) {
			conn_finish(k, RAFT_MALFORMED, 0);
			return;
		}
		k->hs_len = TRANSPORT_HS_HEAD + alen;
		return;
	}
	if (transport_hs_address(k->hs, k->hs_len) == NULL) {
		conn_finish(k, RAFT_MALFORMED, 0);
		return;
	}
	uv_read_stop(s);
	conn_finish(k, 0, transport_hs_caller(k->hs));
}

static void in_connection_cb(uv_stream_t *server, int status)
{
	struct tcp_transport *tt = server->data;
	struct tcp_conn *k;

	if (status != 0 || tt->closing)
		return;
	k = conn_new(tt, 0);
	if (k == NULL)
		return; /* the peer retries */
	k->hs_len = TRANSPORT_HS_HEAD;
	if (uv_accept(server, (uv_stream_t *)k->tcp) != 0 ||
	    uv_read_start((uv_stream_t *)k->tcp, in_alloc_cb, in_read_cb) !=
		0) {
		conn_finish(k, RAFT_NOCONNECTION, 0);
		return;
	}
	uv_tcp_nodelay(k->tcp, 1);
	uv_timer_start(&k->timer, conn_timeout_cb, HANDSHAKE_TIMEOUT_MS, 0);
}

static int tcp_listen(struct raft_uv_transport *t, raft_uv_accept_cb cb)
{
	struct tcp_transport *tt = t->impl;
	struct addrinfo *res;
	int rv;

	rv = transport_listen_resolve(t, tt->address, &res);
	if (rv != 0)
		return rv;
	tt->accept_cb = cb;
	uv_tcp_init(tt->loop, &tt->listener);
	tt->listener.data = tt;
	tt->listener_open = 1;
	tt->handles++;
	rv = uv_tcp_bind(&tt->listener, res->ai_addr, 0);
	freeaddrinfo(res);
	if (rv == 0)
		rv = uv_listen((uv_stream_t *)&tt->listener, 128,
			       in_connection_cb);
	if (rv != 0) {
		snprintf(t->errmsg, sizeof t->errmsg, "listen %.128s: %s",
			 tt->address, uv_strerror(rv));
		return RAFT_IOERR;
	}
	return 0;
}

/* ---- lifecycle -------------------------------------------------------- */

static int tcp_init(struct raft_uv_transport *t, raft_id id,
		    const char *address)
{
	struct tcp_transport *tt = t->impl;
	int rv = transport_address_copy(t, address, tt->address);

	if (rv == 0)
		tt->id = id;
	return rv;
}

static void listener_close_cb(uv_handle_t *h)
{
	struct tcp_transport *tt = h->data;

	tt->handles--;
	tt_maybe_closed(tt);
}

static void tcp_close(struct raft_uv_transport *t,
		      raft_uv_transport_close_cb cb)
{
	struct tcp_transport *tt = t->impl;
	struct tcp_conn *k, *next;

	tt->closing = 1;
	tt->close_cb = cb;
	if (tt->listener_open) {
		tt->listener_open = 0;
		uv_close((uv_handle_t *)&tt->listener, listener_close_cb);
	}
	for (k = tt->conns; k != NULL; k = next) {
		next = k->next;
		if (k->done)
			continue;
		/* Reported from the loop, not from inside close(). */
		k->fail_status =
		    k->outgoing ? RAFT_CANCELED : RAFT_NOCONNECTION;
		uv_timer_start(&k->timer, conn_timeout_cb, 0, 0);
	}
	tt_maybe_closed(tt);
}

int consensus_transport_init(struct raft_uv_transport *t, uv_loop_t *loop)
{
	struct tcp_transport *tt;

	memset(t, 0, sizeof *t);
	tt = calloc(1, sizeof *tt);
	if (tt == NULL)
		return RAFT_NOMEM;
	tt->t = t;
	tt->loop = loop;
	t->impl = tt;
	t->init = tcp_init;
	t->listen = tcp_listen;
	t->connect = tcp_connect;
	t->close = tcp_close;
	return 0;
}

void consensus_transport_close(struct raft_uv_transport *t)
{
	if (t == NULL)
		return;
	free(t->impl);
	t->impl = NULL;
}
