/* consensus/tls_pump: the data path of the mutual-TLS transport — records
 * from the peer decrypted into the socketpair C-raft reads, and what C-raft
 * writes encrypted to the peer.
 *
 * Each pass moves everything that can move without blocking, then waits only
 * for what stopped it: a direction whose destination is full stops reading
 * its source (backpressure, so a stalled C-raft or peer holds at most one
 * buffer here), and OpenSSL's WANT_READ / WANT_WRITE say which way the TCP
 * socket must become ready.
 *
 * A source is read only when its poll said so (or OpenSSL holds buffered
 * bytes), and is taken to be empty after a read that returned less than
 * asked, or a record with nothing buffered behind it: the polls are
 * level-triggered, so what is left is reported at once, and asking anyway
 * would cost, per small RPC, a read(2) answering EAGAIN. A pass woken by one
 * socket never tries the other for nothing.
 */
#include <errno.h>
#include <sys/socket.h>

#include <openssl/err.h>

#include "common/log.h"
#include "consensus/transport_tls.h"

/* Peer -> C-raft. Returns -1 if the connection must close now. */
static int pump_in(struct tls_conn *k, int *net, int *app)
{
	ssize_t n;
	int r;

	for (;;) {
		if (k->in_off < k->in_len) {
			n = send(k->app, k->in + k->in_off,
				 k->in_len - k->in_off, MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 &&
			    (errno == EAGAIN || errno == EWOULDBLOCK)) {
				*app |= UV_WRITABLE;
				return 0;
			}
			if (n < 0) {
				tls_conn_close(k, 0, 1); /* C-raft let go */
				return -1;
			}
			k->in_off += (size_t)n;
			if (k->in_off < k->in_len) {
				*app |= UV_WRITABLE;
				return 0;
			}
			k->in_off = k->in_len = 0;
		}
		if (k->net_eof)
			return 0;
		if (!k->net_readable && !SSL_has_pending(k->ssl)) {
			*net |= UV_READABLE;
			return 0;
		}
		ERR_clear_error();
		r = SSL_read(k->ssl, k->in, TLS_IN_BUF);
		if (r > 0) {
			k->in_len = (size_t)r;
			k->net_readable =
			    0; /* read-ahead took what was there */
			continue;
		}
		switch (SSL_get_error(k->ssl, r)) {
		case SSL_ERROR_WANT_READ:
			k->net_readable = 0;
			*net |= UV_READABLE;
			return 0;
		case SSL_ERROR_WANT_WRITE:
			*net |= UV_WRITABLE;
			return 0;
		case SSL_ERROR_ZERO_RETURN:
			k->net_eof = 1; /* close_notify: deliver, then close */
			return 0;
		default:
			tls_conn_error(k, SSL_get_error(k->ssl, r));
			return -1;
		}
	}
}

/* C-raft -> peer. Returns -1 if the connection must close now. */
static int pump_out(struct tls_conn *k, int *net, int *app)
{
	ssize_t n;
	int r;

	for (;;) {
		if (k->out_off < k->out_len) {
			ERR_clear_error();
			r = SSL_write(k->ssl, k->out + k->out_off,
				      (int)(k->out_len - k->out_off));
			if (r > 0) {
				k->out_off += (size_t)r;
				if (k->out_off == k->out_len)
					k->out_off = k->out_len = 0;
				continue;
			}
			switch (SSL_get_error(k->ssl, r)) {
			case SSL_ERROR_WANT_WRITE:
				*net |= UV_WRITABLE;
				return 0;
			case SSL_ERROR_WANT_READ:
				*net |= UV_READABLE;
				return 0;
			default:
				tls_conn_error(k, SSL_get_error(k->ssl, r));
				return -1;
			}
		}
		if (k->app_eof)
			return 0;
		if (!k->app_readable) {
			*app |= UV_READABLE;
			return 0;
		}
		n = recv(k->app, k->out, TLS_OUT_BUF, 0);
		if (n > 0) {
			/* A stream socket returns all it holds: a short read
			 * emptied it. */
			if ((size_t)n < TLS_OUT_BUF)
				k->app_readable = 0;
			k->out_len = (size_t)n;
			continue;
		}
		if (n == 0) {
			k->app_eof = 1; /* C-raft closed: flush, then close */
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			k->app_readable = 0;
			*app |= UV_READABLE;
			return 0;
		}
		tls_conn_close(k, 0, 1);
		return -1;
	}
}

void tls_pump(struct tls_conn *k)
{
	int net = 0, app = 0;

	if (pump_in(k, &net, &app) != 0 || pump_out(k, &net, &app) != 0)
		return;
	if ((k->app_eof && k->out_len == 0) || (k->net_eof && k->in_len == 0)) {
		tls_conn_close(k, 0, 1);
		return;
	}
	tls_conn_poll(k, net, app);
}

void tls_app_cb(uv_poll_t *p, int status, int events)
{
	struct tls_conn *k = p->data;

	if (k->state != TLS_OPEN)
		return;
	if (status < 0) {
		tls_conn_drop(k, uv_strerror(status));
		return;
	}
	if (events & UV_READABLE)
		k->app_readable = 1;
	tls_pump(k);
}
