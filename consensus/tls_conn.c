/* consensus/tls_conn: one connection of the mutual-TLS transport, from the
 * TCP socket to the stream C-raft gets — its lifecycle (handles, timers,
 * closing once), the TLS handshake, the peer's identity, the hand-over, and
 * the warnings when a peer is refused.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/log.h"
#include "consensus/transport_tls.h"
#include "pki/pki.h"

/* ---- warnings, at most one a minute per peer --------------------------- */

void tls_warn(struct tls_transport *tt, const char *peer, const char *fmt, ...)
{
	struct tls_warned *w = NULL, *oldest = &tt->warned[0];
	uint64_t now = uv_now(tt->loop);
	char why[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < TLS_WARN_SLOTS; i++) {
		if (strcmp(tt->warned[i].peer, peer) == 0) {
			w = &tt->warned[i];
			break;
		}
		if (tt->warned[i].at < oldest->at)
			oldest = &tt->warned[i];
	}
	if (w != NULL && w->at != 0 && now - w->at < TLS_WARN_EVERY_MS) {
		w->quiet++;
		log_debug(TLS_TAG, "server %llu: %s: %s",
			  (unsigned long long)tt->id, peer, why);
		return;
	}
	if (w == NULL) {
		w = oldest;
		snprintf(w->peer, sizeof w->peer, "%s", peer);
		w->quiet = 0;
	}
	if (w->quiet > 0)
		log_warn(TLS_TAG, "server %llu: %s: %s (and %u more since)",
			 (unsigned long long)tt->id, peer, why, w->quiet);
	else
		log_warn(TLS_TAG, "server %llu: %s: %s",
			 (unsigned long long)tt->id, peer, why);
	w->at = now ? now : 1;
	w->quiet = 0;
}

/* How the peer is named in logs. */
static void conn_peer(const struct tls_conn *k, char *out, size_t cap)
{
	if (k->outgoing)
		snprintf(out, cap, "connection to server %llu",
			 (unsigned long long)k->peer_id);
	else
		snprintf(out, cap, "connection from %s", k->ip);
}

/* The warning's rate is per peer: the server id when dialing, the address
 * when accepting (what a caller claims costs it nothing). */
void tls_conn_refuse(struct tls_conn *k, const char *fmt, ...)
{
	char why[320], peer[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	conn_peer(k, peer, sizeof peer);
	tls_warn(k->tt, peer, "refused: %s", why);
	tls_conn_close(k, RAFT_NOCONNECTION, 0);
}

/* A connection that ended without anyone to blame (peer down, restarted). */
void tls_conn_drop(struct tls_conn *k, const char *why)
{
	char peer[96];

	conn_peer(k, peer, sizeof peer);
	log_debug(TLS_TAG, "server %llu: %s: %s", (unsigned long long)k->tt->id,
		  peer, why);
	tls_conn_close(k, RAFT_NOCONNECTION, 0);
}

void tls_conn_error(struct tls_conn *k, int ssl_error)
{
	char why[128], peer[96];

	/* OpenSSL 3 reports a peer that closed without close_notify (killed,
	 * restarted) as an SSL error: for us it is a lost connection. */
	if (ssl_error != SSL_ERROR_SSL ||
	    ERR_GET_REASON(ERR_peek_last_error()) ==
		SSL_R_UNEXPECTED_EOF_WHILE_READING) {
		ERR_clear_error();
		tls_conn_drop(k, "connection lost");
		return;
	}
	/* A bad record or an alert: an attack, or the peer refusing us. */
	conn_peer(k, peer, sizeof peer);
	tls_warn(k->tt, peer, "TLS error: %s", tls_reason(k, why, sizeof why));
	tls_conn_close(k, RAFT_NOCONNECTION, 0);
}

/* OpenSSL's reason for the failure just seen; clears the error queue. */
const char *tls_reason(struct tls_conn *k, char *buf, size_t cap)
{
	unsigned long e = ERR_peek_last_error();
	long v = k->ssl ? SSL_get_verify_result(k->ssl) : X509_V_OK;

	if (v != X509_V_OK)
		snprintf(buf, cap, "certificate: %s",
			 X509_verify_cert_error_string(v));
	else if (e != 0)
		snprintf(buf, cap, "%s", ERR_reason_error_string(e));
	else
		snprintf(buf, cap, "connection closed");
	ERR_clear_error();
	return buf;
}

/* ---- lifecycle of a connection ---------------------------------------- */

void tls_transport_maybe_closed(struct tls_transport *tt)
{
	raft_uv_transport_close_cb cb;

	if (!tt->closing || tt->handles > 0 || tt->close_cb == NULL)
		return;
	cb = tt->close_cb;
	tt->close_cb = NULL;
	cb(tt->t);
}

/* Drops one reference (handle or request); the last one frees K. */
void tls_conn_release(struct tls_conn *k)
{
	struct tls_transport *tt = k->tt;

	if (--k->handles > 0)
		return;
	if (k->prev)
		k->prev->next = k->next;
	else
		tt->conns = k->next;
	if (k->next)
		k->next->prev = k->prev;
	free(k->in);
	free(k->out);
	free(k);
	tt->handles--;
	tls_transport_maybe_closed(tt);
}

static void conn_handle_closed(uv_handle_t *h)
{
	tls_conn_release(h->data);
}

void tls_conn_close(struct tls_conn *k, int status, int orderly)
{
	struct tls_transport *tt = k->tt;
	enum tls_state was = k->state;

	if (was == TLS_DONE)
		return;
	k->state = TLS_DONE;
	if (!k->outgoing && was != TLS_OPEN)
		tt->pending_in--;
	uv_timer_stop(&k->timer);
	uv_close((uv_handle_t *)&k->timer, conn_handle_closed);
	if (k->gai_pending)
		uv_cancel((uv_req_t *)&k->gai); /* its callback releases */
	if (k->ssl != NULL) {
		/* close_notify, best effort: the socket is non-blocking. */
		if (orderly && was == TLS_OPEN) {
			SSL_shutdown(k->ssl);
			ERR_clear_error();
		}
		SSL_free(k->ssl);
		k->ssl = NULL;
	}
	if (k->net_init)
		uv_close((uv_handle_t *)&k->net, conn_handle_closed);
	if (k->fd >= 0)
		close(k->fd); /* safe right after uv_close (libuv docs) */
	k->fd = -1;
	if (k->app_init)
		uv_close((uv_handle_t *)&k->app_poll, conn_handle_closed);
	if (k->app >= 0)
		close(k->app); /* C-raft's end reads EOF, or its writes fail */
	k->app = -1;
	if (k->outgoing && was != TLS_OPEN)
		k->cb(k->req, NULL,
		      tt->closing ? RAFT_CANCELED
				  : (status ? status : RAFT_NOCONNECTION));
}

void tls_conn_timeout_cb(uv_timer_t *timer)
{
	struct tls_conn *k = timer->data;

	if (k->fail_status != 0 || k->outgoing)
		tls_conn_close(k, k->fail_status, 0);
	else
		tls_conn_refuse(k, "no handshake within %d ms",
				TLS_HANDSHAKE_TIMEOUT_MS);
}

/* C-raft does not expect its connect callback while still inside
 * t->connect(): a failure found there is reported from the loop. */
void tls_conn_fail_soon(struct tls_conn *k, int status)
{
	k->fail_status = status;
	uv_timer_start(&k->timer, tls_conn_timeout_cb, 0, 0);
}

struct tls_conn *tls_conn_new(struct tls_transport *tt, int outgoing)
{
	struct tls_conn *k = calloc(1, sizeof *k);

	if (k == NULL)
		return NULL;
	k->tt = tt;
	k->outgoing = outgoing;
	k->fd = k->app = -1;
	uv_timer_init(tt->loop, &k->timer);
	k->timer.data = k;
	k->handles = 1;
	k->next = tt->conns;
	if (tt->conns)
		tt->conns->prev = k;
	tt->conns = k;
	tt->handles++;
	if (!outgoing)
		tt->pending_in++;
	return k;
}

/* Watches FD (already in k->fd) for the network side. */
int tls_conn_net_init(struct tls_conn *k)
{
	int one = 1;

	setsockopt(k->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (uv_poll_init_socket(k->tt->loop, &k->net, k->fd) != 0)
		return -1;
	k->net.data = k;
	k->net_init = 1;
	k->handles++;
	return 0;
}

void tls_conn_poll(struct tls_conn *k, int net, int app)
{
	if (k->net_init && net != k->net_events) {
		if (net)
			uv_poll_start(&k->net, net, tls_net_cb);
		else
			uv_poll_stop(&k->net);
		k->net_events = net;
	}
	if (k->app_init && app != k->app_events) {
		if (app)
			uv_poll_start(&k->app_poll, app, tls_app_cb);
		else
			uv_poll_stop(&k->app_poll);
		k->app_events = app;
	}
}

/* ---- the TLS handshake and the peer's identity ------------------------ */

void tls_conn_start(struct tls_conn *k)
{
	struct tls_transport *tt = k->tt;
	SSL_CTX *ctx;

	pthread_mutex_lock(&tt->ctx_lock);
	ctx = tt->ctx;
	SSL_CTX_up_ref(ctx);
	pthread_mutex_unlock(&tt->ctx_lock);
	k->ssl = SSL_new(ctx);
	SSL_CTX_free(ctx); /* the SSL holds its own reference */
	if (k->ssl == NULL || SSL_set_fd(k->ssl, k->fd) != 1) {
		ERR_clear_error();
		tls_conn_close(k, RAFT_NOMEM, 0);
		return;
	}
	if (k->outgoing)
		SSL_set_connect_state(k->ssl);
	else
		SSL_set_accept_state(k->ssl);
	k->state = TLS_HANDSHAKE;
	uv_timer_start(&k->timer, tls_conn_timeout_cb, TLS_HANDSHAKE_TIMEOUT_MS,
		       0);
	tls_handshake_step(k);
}

/* What the caller's check (tt->peer_check) judges: the certificate's
 * SHA-256 and notBefore. 0, or -1 if CERT cannot be encoded or dated. */
static int cert_facts(X509 *cert, uint8_t sha256[32], uint64_t *not_before_s)
{
	unsigned int len = 0;
	struct tm tm;
	time_t s;

	if (X509_digest(cert, EVP_sha256(), sha256, &len) != 1 || len != 32 ||
	    ASN1_TIME_to_tm(X509_get0_notBefore(cert), &tm) != 1) {
		ERR_clear_error();
		return -1;
	}
	s = timegm(&tm);
	*not_before_s = s > 0 ? (uint64_t)s : 0;
	return 0;
}

/* The peer's certificate, verified by the handshake against the CA, must
 * name this cluster and server ID, and pass the caller's check (the CA
 * alone cannot tell a removed server or a superseded certificate: what it
 * signed stays valid). Refuses K otherwise. */
static int peer_check(struct tls_conn *k, uint64_t id)
{
	struct tls_transport *tt = k->tt;
	X509 *cert = SSL_get0_peer_certificate(k->ssl);
	X509_STORE *trust = SSL_CTX_get_cert_store(SSL_get_SSL_CTX(k->ssl));
	char why[256] = "";
	uint8_t sha256[32];
	uint64_t not_before_s;

	if (cert == NULL || SSL_get_verify_result(k->ssl) != X509_V_OK) {
		tls_conn_refuse(k, "no verified certificate");
		return -1;
	}
	if (pki_verify_node(trust, cert, k->tt->cluster_id, id, why,
			    sizeof why) != 0) {
		tls_conn_refuse(k, "%s", why);
		return -1;
	}
	if (tt->peer_check == NULL)
		return 0;
	if (cert_facts(cert, sha256, &not_before_s) != 0) {
		tls_conn_refuse(k, "unreadable certificate");
		return -1;
	}
	if (tt->peer_check(tt->peer_check_arg, id, sha256, not_before_s) != 0) {
		tls_conn_refuse(k,
				"not the node certificate the cluster holds "
				"for server %llu (removed, or superseded)",
				(unsigned long long)id);
		return -1;
	}
	return 0;
}

/* Creates the socketpair and hands C-raft its end as *stream. */
static int conn_open(struct tls_conn *k, uv_stream_t **stream)
{
	uv_loop_t *loop = k->tt->loop;
	uv_pipe_t *p;
	int sv[2];

	k->in = malloc(TLS_IN_BUF);
	k->out = malloc(TLS_OUT_BUF);
	if (k->in == NULL || k->out == NULL)
		return RAFT_NOMEM;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		       sv) != 0)
		return RAFT_NOCONNECTION;
	p = raft_malloc(sizeof *p);
	if (p == NULL || uv_pipe_init(loop, p, 0) != 0) {
		raft_free(p);
		close(sv[0]);
		close(sv[1]);
		return RAFT_NOMEM;
	}
	if (uv_pipe_open(p, sv[1]) != 0) {
		uv_close((uv_handle_t *)p, (uv_close_cb)raft_free);
		close(sv[0]);
		close(sv[1]);
		return RAFT_NOCONNECTION;
	}
	k->app = sv[0];
	if (uv_poll_init_socket(loop, &k->app_poll, k->app) != 0) {
		uv_close((uv_handle_t *)p, (uv_close_cb)raft_free);
		return RAFT_NOCONNECTION;
	}
	k->app_poll.data = k;
	k->app_init = 1;
	k->net_readable = k->app_readable = 1; /* try both at first */
	k->handles++;
	*stream = (uv_stream_t *)p;
	return 0;
}

static void open_outgoing(struct tls_conn *k)
{
	struct tls_transport *tt = k->tt;
	uv_stream_t *stream;
	int rv;

	if (peer_check(k, k->peer_id) != 0)
		return;
	rv = conn_open(k, &stream);
	if (rv != 0) {
		tls_conn_close(k, rv, 0);
		return;
	}
	/* Our handshake goes first, inside TLS, before any RPC. */
	k->out_len = transport_hs_write(k->out, TLS_HS_MAGIC, tt->id,
					k->peer_id, tt->address);
	k->state = TLS_OPEN;
	uv_timer_stop(&k->timer);
	k->cb(k->req, stream, 0);
	if (k->state == TLS_OPEN)
		tls_pump(k);
}

static void open_incoming(struct tls_conn *k)
{
	struct tls_transport *tt = k->tt;
	uv_stream_t *stream;
	int rv;

	if (peer_check(k, k->peer_id) != 0)
		return;
	rv = conn_open(k, &stream);
	if (rv != 0) {
		tls_conn_close(k, rv, 0);
		return;
	}
	k->state = TLS_OPEN;
	tt->pending_in--;
	uv_timer_stop(&k->timer);
	log_debug(TLS_TAG, "server %llu: server %llu connected from %s",
		  (unsigned long long)tt->id, (unsigned long long)k->peer_id,
		  k->ip);
	tt->accept_cb(tt->t, k->peer_id,
		      (const char *)k->hs + TRANSPORT_HS_HEAD, stream);
	if (k->state == TLS_OPEN)
		tls_pump(k);
}

/* Accepting side, after the TLS handshake: reads the caller's handshake
 * with reads cut to the exact missing length. */
static void hello_step(struct tls_conn *k)
{
	struct tls_transport *tt = k->tt;
	char why[128];
	size_t alen;
	int n;

	while (k->got < k->hs_len) {
		ERR_clear_error();
		n = SSL_read(k->ssl, k->hs + k->got, (int)(k->hs_len - k->got));
		if (n <= 0) {
			switch (SSL_get_error(k->ssl, n)) {
			case SSL_ERROR_WANT_READ:
				tls_conn_poll(k, UV_READABLE, 0);
				return;
			case SSL_ERROR_WANT_WRITE:
				tls_conn_poll(k, UV_WRITABLE, 0);
				return;
			default:
				tls_conn_drop(k,
					      tls_reason(k, why, sizeof why));
				return;
			}
		}
		k->got += (size_t)n;
		if (k->got < k->hs_len || k->hs_len != TRANSPORT_HS_HEAD)
			continue;
		switch (transport_hs_head_check(k->hs, TLS_HS_MAGIC, tt->id,
						&alen)) {
		case TRANSPORT_HS_OK:
			break;
		case TRANSPORT_HS_NOT_US:
			tls_conn_refuse(
			    k, "meant for server %llu",
			    (unsigned long long)transport_hs_callee(k->hs));
			return;
		default:
			tls_conn_refuse(k, "malformed handshake");
			return;
		}
		k->hs_len += alen;
	}
	if (transport_hs_address(k->hs, k->hs_len) == NULL) {
		tls_conn_refuse(k, "malformed handshake");
		return;
	}
	k->peer_id = transport_hs_caller(k->hs);
	open_incoming(k);
}

void tls_handshake_step(struct tls_conn *k)
{
	char why[128];
	int rv, e;

	ERR_clear_error();
	rv = SSL_do_handshake(k->ssl);
	if (rv == 1) {
		if (k->outgoing) {
			open_outgoing(k);
		} else {
			k->state = TLS_HELLO;
			k->hs_len = TRANSPORT_HS_HEAD;
			k->got = 0;
			hello_step(k);
		}
		return;
	}
	e = SSL_get_error(k->ssl, rv);
	if (e == SSL_ERROR_WANT_READ)
		tls_conn_poll(k, UV_READABLE, 0);
	else if (e == SSL_ERROR_WANT_WRITE)
		tls_conn_poll(k, UV_WRITABLE, 0);
	else if (e == SSL_ERROR_SSL)
		tls_conn_refuse(k, "TLS handshake: %s",
				tls_reason(k, why, sizeof why));
	else
		tls_conn_drop(k, "closed during the TLS handshake");
}

void tls_net_cb(uv_poll_t *p, int status, int events)
{
	struct tls_conn *k = p->data;
	socklen_t len = sizeof(int);
	int err = 0;

	if (k->state == TLS_DONE)
		return;
	if (k->state == TLS_CONNECTING) {
		if (getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
			err = errno;
		if (status < 0 || err != 0) {
			tls_conn_drop(k,
				      err ? strerror(err) : "connect failed");
			return;
		}
		tls_conn_start(k);
		return;
	}
	if (status < 0) {
		tls_conn_drop(k, uv_strerror(status));
		return;
	}
	if (events & UV_READABLE)
		k->net_readable = 1;
	switch (k->state) {
	case TLS_HANDSHAKE:
		tls_handshake_step(k);
		break;
	case TLS_HELLO:
		hello_step(k);
		break;
	case TLS_OPEN:
		tls_pump(k);
		break;
	default:
		break;
	}
}
