/* consensus/transport_tls: mutual TLS 1.3 between Raft servers.
 *
 * C-raft reads and writes plain uv streams. Each connection here is a TCP
 * socket carrying TLS plus a socketpair: C-raft gets one end as a uv_pipe_t,
 * and the loop pumps the other end through OpenSSL (tls_pump.c). Every socket
 * is non-blocking and watched with uv_poll on the Raft loop, so a slow or
 * silent peer never blocks it; OpenSSL reads and writes the TCP socket itself
 * (no memory BIO), so plaintext is copied once on each side, into or out of
 * the socketpair.
 *
 * A stream is handed to C-raft only once the peer is known:
 *  - dialing: the TLS handshake, then the server's certificate must chain to
 *    the cluster CA and be a NODE certificate of this cluster for the id
 *    C-raft dialed. Then, inside TLS, the same handshake the TCP transport
 *    sends: magic, caller id, callee id, caller address.
 *  - accepting: the TLS handshake (a client certificate chaining to the CA
 *    is required), then that handshake is read — exactly, so no byte of the
 *    first RPC is consumed — and the certificate must name this cluster and
 *    the caller id it claims, and the callee id must be ours.
 * Anything else closes the connection, with a warning at most once a minute
 * per peer (its id when dialing, its IP address when accepting).
 */
#include "consensus/transport_tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- dialing ---------------------------------------------------------- */

static void out_connect(struct tls_conn *k, const struct sockaddr *sa,
			socklen_t salen)
{
	k->fd = socket(sa->sa_family,
		       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (k->fd < 0 || tls_conn_net_init(k) != 0) {
		tls_conn_fail_soon(k, RAFT_NOCONNECTION);
		return;
	}
	if (connect(k->fd, sa, salen) != 0 && errno != EINPROGRESS) {
		tls_conn_fail_soon(k, RAFT_NOCONNECTION);
		return;
	}
	/* Writable once connected (or failed): never decided in here, since
	 * this may run inside t->connect(). */
	k->state = TLS_CONNECTING;
	tls_conn_poll(k, UV_WRITABLE, 0);
}

static void out_gai_cb(uv_getaddrinfo_t *g, int status, struct addrinfo *res)
{
	struct tls_conn *k = g->data;

	k->gai_pending = 0;
	if (k->state != TLS_DONE) {
		if (status != 0 || res == NULL)
			tls_conn_drop(k, "cannot resolve the address");
		else
			out_connect(k, res->ai_addr, res->ai_addrlen);
	}
	uv_freeaddrinfo(res);
	tls_conn_release(k);
}

static int tls_connect(struct raft_uv_transport *t, struct raft_uv_connect *req,
		       raft_id id, const char *address, raft_uv_connect_cb cb)
{
	struct tls_transport *tt = t->impl;
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct tls_conn *k;
	char host[TRANSPORT_HS_ADDR_MAX + 1];
	unsigned p;
	int rv;

	if (tt->closing)
		return RAFT_CANCELED;
	rv = transport_dial_split(t, address, host, sizeof host, &p);
	if (rv != 0)
		return rv;
	k = tls_conn_new(tt, 1);
	if (k == NULL)
		return RAFT_NOMEM;
	k->req = req;
	k->cb = cb;
	k->peer_id = id;
	k->state = TLS_CONNECTING;
	uv_timer_start(&k->timer, tls_conn_timeout_cb, TLS_CONNECT_TIMEOUT_MS,
		       0);
	if (transport_dial_literal(host, p, &ss, &sslen) == 0) {
		out_connect(k, (struct sockaddr *)&ss, sslen);
		return 0;
	}
	k->gai.data = k;
	if (transport_dial_resolve(tt->loop, &k->gai, out_gai_cb, host, p) !=
	    0) {
		tls_conn_fail_soon(k, RAFT_NOCONNECTION);
		return 0;
	}
	k->gai_pending = 1;
	k->handles++;
	return 0;
}

/* ---- accepting -------------------------------------------------------- */

static void listener_resume_cb(uv_timer_t *timer);

static void in_accept(struct tls_transport *tt, int fd,
		      const struct sockaddr_storage *ss)
{
	struct tls_conn *k = tls_conn_new(tt, 0);

	if (k == NULL) {
		close(fd);
		return;
	}
	k->fd = fd;
	if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)ss)->sin6_addr, k->ip,
			  sizeof k->ip);
	else
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
			  k->ip, sizeof k->ip);
	if (tls_conn_net_init(k) != 0) {
		tls_conn_close(k, RAFT_NOCONNECTION, 0);
		return;
	}
	tls_conn_start(k);
}

static void listener_cb(uv_poll_t *p, int status, int events)
{
	struct tls_transport *tt = p->data;
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	(void)status;
	(void)events;
	for (int i = 0; i < TLS_ACCEPT_BURST && !tt->closing; i++) {
		len = sizeof ss;
		fd = accept4(tt->listen_fd, (struct sockaddr *)&ss, &len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* The poll is level-triggered: pause rather
				 * than spin on a queue we cannot take. */
				tls_warn(tt, "listener", "accept: %s",
					 strerror(errno));
				uv_poll_stop(&tt->listener);
				uv_timer_start(&tt->listen_timer,
					       listener_resume_cb,
					       TLS_ACCEPT_PAUSE_MS, 0);
			}
			return;
		}
		if (tt->pending_in >= TLS_PENDING_IN_MAX) {
			close(fd);
			tls_warn(tt, "listener",
				 "%d handshakes in progress: connection "
				 "dropped",
				 TLS_PENDING_IN_MAX);
			continue;
		}
		in_accept(tt, fd, &ss);
	}
}

static void listener_resume_cb(uv_timer_t *timer)
{
	struct tls_transport *tt = timer->data;

	if (!tt->closing)
		uv_poll_start(&tt->listener, UV_READABLE, listener_cb);
}

static int tls_listen(struct raft_uv_transport *t, raft_uv_accept_cb cb)
{
	struct tls_transport *tt = t->impl;
	struct addrinfo *res;
	int rv, fd, one = 1;

	rv = transport_listen_resolve(t, tt->address, &res);
	if (rv != 0)
		return rv;
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) != 0 ||
	    listen(fd, TLS_BACKLOG) != 0) {
		snprintf(t->errmsg, sizeof t->errmsg, "listen %.128s: %s",
			 tt->address, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return RAFT_IOERR;
	}
	freeaddrinfo(res);
	if (uv_poll_init_socket(tt->loop, &tt->listener, fd) != 0) {
		close(fd);
		snprintf(t->errmsg, sizeof t->errmsg, "listen %.128s: poll",
			 tt->address);
		return RAFT_IOERR;
	}
	tt->listen_fd = fd;
	tt->listener.data = tt;
	tt->listener_open = 1;
	tt->handles++;
	uv_timer_init(tt->loop, &tt->listen_timer);
	tt->listen_timer.data = tt;
	tt->handles++;
	tt->accept_cb = cb;
	uv_poll_start(&tt->listener, UV_READABLE, listener_cb);
	return 0;
}

/* ---- the transport ---------------------------------------------------- */

static int tls_init(struct raft_uv_transport *t, raft_id id,
		    const char *address)
{
	struct tls_transport *tt = t->impl;
	int rv = transport_address_copy(t, address, tt->address);

	if (rv == 0)
		tt->id = id;
	return rv;
}

static void tt_handle_closed(uv_handle_t *h)
{
	struct tls_transport *tt = h->data;

	tt->handles--;
	tls_transport_maybe_closed(tt);
}

static void tls_close(struct raft_uv_transport *t,
		      raft_uv_transport_close_cb cb)
{
	struct tls_transport *tt = t->impl;
	struct tls_conn *k;

	tt->closing = 1;
	tt->close_cb = cb;
	if (tt->listener_open) {
		tt->listener_open = 0;
		uv_close((uv_handle_t *)&tt->listener, tt_handle_closed);
		close(tt->listen_fd);
		tt->listen_fd = -1;
		uv_close((uv_handle_t *)&tt->listen_timer, tt_handle_closed);
	}
	for (k = tt->conns; k != NULL; k = k->next) {
		if (k->state == TLS_DONE)
			continue;
		if (k->outgoing && k->state != TLS_OPEN)
			/* Reported from the loop, not from inside close(). */
			tls_conn_fail_soon(k, RAFT_CANCELED);
		else
			tls_conn_close(k, 0, 1);
	}
	tls_transport_maybe_closed(tt);
}

int consensus_transport_tls_init(struct raft_uv_transport *t, uv_loop_t *loop,
				 SSL_CTX *ctx, const char *cluster_id)
{
	struct tls_transport *tt;

	memset(t, 0, sizeof *t);
	tt = calloc(1, sizeof *tt);
	if (tt == NULL || cluster_id == NULL ||
	    (tt->cluster_id = strdup(cluster_id)) == NULL) {
		free(tt);
		SSL_CTX_free(ctx);
		return RAFT_NOMEM;
	}
	pthread_mutex_init(&tt->ctx_lock, NULL);
	tt->ctx = ctx;
	tt->t = t;
	tt->loop = loop;
	tt->listen_fd = -1;
	t->impl = tt;
	t->init = tls_init;
	t->listen = tls_listen;
	t->connect = tls_connect;
	t->close = tls_close;
	return 0;
}

void consensus_transport_tls_set_peer_check(struct raft_uv_transport *t,
					    int (*fn)(void *arg,
						      uint64_t node_id,
						      const uint8_t sha256[32],
						      uint64_t not_before_s),
					    void *arg)
{
	struct tls_transport *tt = t->impl;

	tt->peer_check = fn;
	tt->peer_check_arg = arg;
}

void consensus_transport_tls_set_ctx(struct raft_uv_transport *t, SSL_CTX *ctx)
{
	struct tls_transport *tt = t->impl;
	SSL_CTX *old;

	pthread_mutex_lock(&tt->ctx_lock);
	old = tt->ctx;
	tt->ctx = ctx;
	pthread_mutex_unlock(&tt->ctx_lock);
	SSL_CTX_free(old); /* open connections hold their own reference */
}

void consensus_transport_tls_close(struct raft_uv_transport *t)
{
	struct tls_transport *tt;

	if (t == NULL || t->impl == NULL)
		return;
	tt = t->impl;
	SSL_CTX_free(tt->ctx);
	pthread_mutex_destroy(&tt->ctx_lock);
	free(tt->cluster_id);
	free(tt);
	t->impl = NULL;
}
