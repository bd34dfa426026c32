/* server: the TFTP role's thread, request port and transfers (tftp.h).
 *
 * The request port only parses requests and starts transfers; each
 * transfer answers from a fresh socket (a new TID, RFC 1350 section 4)
 * connected to the client, so the kernel drops packets from anyone else. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/errmsg.h"
#include "common/log.h"
#include "node/tftp/tftp_int.h"
#include "store/store.h"

/* A netascii copy is made per transfer: bound it. */
#define NETASCII_MAX (64u << 10) /* x 2 x max_transfers at worst */
#define SUMMARY_S 60

struct tftp_transfer {
	struct tftp_transfer *next, *prev;
	struct tftp *t;
	evutil_socket_t fd;	/* owned */
	struct event *ev_read;	/* owned */
	struct event *ev_timer; /* owned */
	struct sockaddr_storage peer;
	socklen_t peerlen;
	struct tftp_blob *blob; /* owned reference */
	uint8_t *ascii;		/* owned: netascii copy, or NULL */
	struct tftp_xfer x;
};

void tftp_config_defaults(struct tftp_config *c)
{
	*c = (struct tftp_config){
	    .listen = "0.0.0.0:69",
	    .http_listen = "0.0.0.0:6970",
	    .max_transfers = 512,
	    .max_per_client = 8,
	    .timeout_ms = 1000,
	    .max_retries = 5,
	    .http_max_conns = 512,
	    .http_idle_s = 10,
	    .cache_bytes = 256u << 20,
	};
}

int tftp_resolve(const char *hostport, int type, struct sockaddr_storage *addr,
		 socklen_t *len, char *errmsg, size_t errcap)
{
	char host[128];
	const char *colon, *h = hostport;
	size_t hlen;
	struct addrinfo hints = {.ai_socktype = type,
				 .ai_flags = AI_NUMERICSERV | AI_PASSIVE},
			*ai;
	int rc;

	if (hostport[0] == '[') {
		const char *close = strchr(hostport, ']');

		if (!close || close[1] != ':')
			goto err_syntax;
		h = hostport + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(hostport, ':');
		if (!colon)
			goto err_syntax;
		hlen = (size_t)(colon - hostport);
	}
	if (hlen == 0 || hlen >= sizeof host)
		goto err_syntax;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	rc = getaddrinfo(host, colon + 1, &hints, &ai);
	if (rc != 0) {
		errmsg_set(errmsg, errcap, "%s: %s", hostport,
			   gai_strerror(rc));
		return -1;
	}
	memcpy(addr, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
err_syntax:
	errmsg_set(errmsg, errcap, "\"%s\" is not host:port", hostport);
	return -1;
}

static int same_host(const struct sockaddr_storage *a,
		     const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr,
			      16) == 0;
	return 0;
}

enum tftp_files_result tftp_lookup(struct tftp *t, const char *name,
				   struct tftp_blob **out, const char **why)
{
	*why = "";
	if (!tftp_name_valid(name))
		return TFTP_FILES_NOT_FOUND;
	/* Both only grow: their sum changes with every store change and
	 * every change of identity. */
	return tftp_files_get(
	    t->files, store_applied_index(t->store) + atomic_load(&t->gen),
	    atomic_load(&t->node_id), name, out, why);
}

static void transfer_free(struct tftp_transfer *tr)
{
	struct tftp *t = tr->t;

	if (tr->prev)
		tr->prev->next = tr->next;
	else
		t->xfers = tr->next;
	if (tr->next)
		tr->next->prev = tr->prev;
	t->n_xfers--;
	if (tr->ev_read)
		event_free(tr->ev_read);
	if (tr->ev_timer)
		event_free(tr->ev_timer);
	if (tr->fd >= 0)
		close(tr->fd);
	tftp_blob_unref(tr->blob);
	free(tr->ascii);
	free(tr);
}

/* Sends what the window allows and arms the timer. A full socket buffer
 * ends the burst early; the timer resends from the first unacked block. */
static void transfer_pump(struct tftp_transfer *tr)
{
	struct tftp *t = tr->t;
	struct timeval tv;
	unsigned ms;
	size_t n;

	while ((n = tftp_xfer_next(&tr->x, t->pkt, sizeof t->pkt)) > 0)
		if (send(tr->fd, t->pkt, n, 0) < 0)
			break;
	ms = tftp_xfer_wait_ms(&tr->x);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(tr->ev_timer, &tv);
}

static void transfer_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct tftp_transfer *tr = arg;

	if (tftp_xfer_on_timeout(&tr->x) == TFTP_XFER_FAILED) {
		log_debug(TAG, "%s: client stopped answering", tr->x.req.name);
		tr->t->c.failed++;
		transfer_free(tr);
		return;
	}
	transfer_pump(tr);
}

static void transfer_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct tftp_transfer *tr = arg;
	struct tftp *t = tr->t;
	struct tftp_reply r;
	enum tftp_xfer_state st = TFTP_XFER_SENDING;
	int progress = 0, any = 0;
	ssize_t n;

	/* Drain what is queued, but a bounded amount per wakeup. */
	for (int i = 0; i < 64; i++) {
		int p;

		n = recv(fd, t->pkt, sizeof t->pkt, MSG_DONTWAIT);
		if (n < 0)
			break;
		if (tftp_reply_parse(t->pkt, (size_t)n, &r) != 0)
			continue; /* not an ACK or ERROR: ignore */
		st = tftp_xfer_on_reply(&tr->x, &r, &p);
		progress |= p;
		any = 1;
		if (st != TFTP_XFER_SENDING)
			break;
	}
	if (!any)
		return;
	if (st == TFTP_XFER_DONE) {
		t->c.served++;
		transfer_free(tr);
		return;
	}
	if (st == TFTP_XFER_FAILED) {
		log_debug(TAG, "%s: client sent an error", tr->x.req.name);
		t->c.failed++;
		transfer_free(tr);
		return;
	}
	if (progress)
		transfer_pump(tr);
}

/* An ERROR from the request port; no state is kept. */
static void answer_error(struct tftp *t, const struct sockaddr_storage *peer,
			 socklen_t peerlen, enum tftp_error code,
			 const char *why)
{
	uint8_t buf[256];
	size_t n = tftp_build_error(buf, sizeof buf, code, why);

	t->c.refused++;
	if (n)
		sendto(t->fd, buf, n, 0, (const struct sockaddr *)peer,
		       peerlen);
}

/* netascii (RFC 764): CR LF for a line end, CR NUL for a lone CR. */
static uint8_t *netascii_copy(const struct tftp_blob *b, size_t *len)
{
	uint8_t *out = malloc(b->len * 2 + 1), *p = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < b->len; i++) {
		if (b->data[i] == '\n') {
			*p++ = '\r';
			*p++ = '\n';
		} else if (b->data[i] == '\r') {
			*p++ = '\r';
			*p++ = '\0';
		} else {
			*p++ = b->data[i];
		}
	}
	*len = (size_t)(p - out);
	return out;
}

static void transfer_start(struct tftp *t, const struct tftp_request *req,
			   const struct sockaddr_storage *peer,
			   socklen_t peerlen, struct tftp_blob *blob)
{
	struct tftp_transfer *tr = calloc(1, sizeof *tr);
	struct sockaddr_storage local = t->addr;
	const uint8_t *data = blob->data;
	size_t len = blob->len;

	if (!tr) {
		tftp_blob_unref(blob);
		answer_error(t, peer, peerlen, TFTP_ERR_UNDEF, "busy");
		return;
	}
	tr->t = t;
	tr->blob = blob;
	tr->fd = -1;
	tr->peer = *peer;
	tr->peerlen = peerlen;
	tr->next = t->xfers;
	if (t->xfers)
		t->xfers->prev = tr;
	t->xfers = tr;
	t->n_xfers++;
	if (req->netascii) {
		if (blob->len > NETASCII_MAX) {
			answer_error(t, peer, peerlen, TFTP_ERR_UNDEF,
				     "file too large for netascii: use octet");
			goto err_after_list;
		}
		tr->ascii = netascii_copy(blob, &len);
		if (!tr->ascii)
			goto err_busy;
		data = tr->ascii;
	}
	/* A fresh port on the address the request came to. */
	if (local.ss_family == AF_INET)
		((struct sockaddr_in *)&local)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&local)->sin6_port = 0;
	tr->fd = socket(local.ss_family,
			SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (tr->fd < 0 ||
	    bind(tr->fd, (struct sockaddr *)&local, t->addrlen) != 0 ||
	    connect(tr->fd, (const struct sockaddr *)peer, peerlen) != 0)
		goto err_busy;
	tr->ev_read = event_new(t->base, tr->fd, EV_READ | EV_PERSIST,
				transfer_on_read, tr);
	tr->ev_timer = evtimer_new(t->base, transfer_on_timer, tr);
	if (!tr->ev_read || !tr->ev_timer || event_add(tr->ev_read, NULL))
		goto err_busy;
	tftp_xfer_init(&tr->x, req, data, len, t->cfg.timeout_ms,
		       t->cfg.max_retries);
	transfer_pump(tr);
	return;
err_busy:
	answer_error(t, peer, peerlen, TFTP_ERR_UNDEF, "server busy");
err_after_list:
	transfer_free(tr);
}

static unsigned transfers_of(struct tftp *t,
			     const struct sockaddr_storage *peer)
{
	unsigned n = 0;

	for (struct tftp_transfer *tr = t->xfers; tr; tr = tr->next)
		n += same_host(&tr->peer, peer);
	return n;
}

static void on_request(struct tftp *t, const uint8_t *buf, size_t len,
		       const struct sockaddr_storage *peer, socklen_t peerlen)
{
	struct tftp_request req;
	struct tftp_blob *blob;
	enum tftp_error err;
	const char *why;

	switch (tftp_request_parse(buf, len, &req, &err, &why)) {
	case TFTP_PARSE_DROP:
		t->c.dropped++;
		return;
	case TFTP_PARSE_REFUSE:
		answer_error(t, peer, peerlen, err, why);
		return;
	case TFTP_PARSE_OK:
		break;
	}
	if (req.opcode == TFTP_OP_WRQ) {
		answer_error(t, peer, peerlen, TFTP_ERR_ACCESS,
			     "write requests are not accepted");
		return;
	}
	if (t->n_xfers >= t->cfg.max_transfers ||
	    transfers_of(t, peer) >= t->cfg.max_per_client) {
		answer_error(t, peer, peerlen, TFTP_ERR_UNDEF,
			     "server busy, try again");
		return;
	}
	switch (tftp_lookup(t, req.name, &blob, &why)) {
	case TFTP_FILES_OK:
		transfer_start(t, &req, peer, peerlen, blob);
		return;
	case TFTP_FILES_NOT_FOUND:
		answer_error(t, peer, peerlen, TFTP_ERR_NOT_FOUND,
			     "file not found");
		return;
	case TFTP_FILES_REFUSED:
		answer_error(t, peer, peerlen, TFTP_ERR_ACCESS, why);
		return;
	case TFTP_FILES_ERROR:
		log_warn(TAG, "%s: %s", req.name, why);
		answer_error(t, peer, peerlen, TFTP_ERR_UNDEF,
			     "file unavailable");
		return;
	}
}

static void on_request_port(evutil_socket_t fd, short what, void *arg)
{
	struct tftp *t = arg;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	ssize_t n;

	/* A bounded batch per wakeup keeps transfers moving under a flood. */
	for (int i = 0; i < 64; i++) {
		peerlen = sizeof peer;
		n = recvfrom(fd, t->pkt, sizeof t->pkt, MSG_DONTWAIT,
			     (struct sockaddr *)&peer, &peerlen);
		if (n < 0)
			return;
		on_request(t, t->pkt, (size_t)n, &peer, peerlen);
	}
}

/* Failures are counted, and summarised once a minute, not logged one by
 * one: a flood must not fill the disk. */
static void on_summary(evutil_socket_t fd, short what, void *arg)
{
	struct tftp *t = arg;
	struct tftp_counters *c = &t->c, *l = &t->c_logged;

	if (c->refused != l->refused || c->dropped != l->dropped ||
	    c->failed != l->failed || c->http_refused != l->http_refused)
		log_info(
		    TAG,
		    "last %ds: %llu served, %llu refused, %llu dropped, "
		    "%llu abandoned; http %llu served, %llu refused",
		    SUMMARY_S, (unsigned long long)(c->served - l->served),
		    (unsigned long long)(c->refused - l->refused),
		    (unsigned long long)(c->dropped - l->dropped),
		    (unsigned long long)(c->failed - l->failed),
		    (unsigned long long)(c->http_served - l->http_served),
		    (unsigned long long)(c->http_refused - l->http_refused));
	*l = *c;
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct tftp *t = arg;

	event_base_loopbreak(t->base);
}

static int bind_request_port(struct tftp *t, char *errmsg, size_t errcap)
{
	int one = 1;

	if (tftp_resolve(t->listen, SOCK_DGRAM, &t->addr, &t->addrlen, errmsg,
			 errcap) != 0)
		return -1;
	t->fd = socket(t->addr.ss_family,
		       SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		errmsg_set(errmsg, errcap, "tftp socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(t->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(t->fd, (struct sockaddr *)&t->addr, t->addrlen) != 0) {
		errmsg_set(errmsg, errcap, "tftp listen %s: %s", t->listen,
			   strerror(errno));
		return -1;
	}
	t->addrlen = sizeof t->addr;
	getsockname(t->fd, (struct sockaddr *)&t->addr, &t->addrlen);
	return 0;
}

int tftp_new(const struct tftp_config *cfg, struct store *store,
	     struct tftp **out, char *errmsg, size_t errcap)
{
	struct tftp *t = calloc(1, sizeof *t);
	struct timeval summary = {SUMMARY_S, 0};

	if (!t) {
		errmsg_set(errmsg, errcap, "tftp: out of memory");
		return -1;
	}
	t->cfg = *cfg;
	t->fd = -1;
	t->store = store;
	snprintf(t->listen, sizeof t->listen, "%s", cfg->listen);
	snprintf(t->http_listen, sizeof t->http_listen, "%s",
		 cfg->http_listen ? cfg->http_listen : "");
	t->cfg.listen = t->listen;
	t->cfg.http_listen = t->http_listen;
	if (t->cfg.max_per_client == 0)
		t->cfg.max_per_client = 1;
	t->base = event_base_new();
	if (!t->base || tftp_files_new(store, cfg->cache_bytes, &t->files)) {
		errmsg_set(errmsg, errcap, "tftp: out of memory");
		goto err;
	}
	tftp_files_set_pki_dir(t->files, cfg->pki_dir);
	tftp_files_set_keystore(t->files, cfg->ks);
	if (bind_request_port(t, errmsg, errcap) != 0)
		goto err;
	t->ev_request =
	    event_new(t->base, t->fd, EV_READ | EV_PERSIST, on_request_port, t);
	t->ev_stop = event_new(t->base, -1, 0, on_stop, t);
	t->ev_summary = event_new(t->base, -1, EV_PERSIST, on_summary, t);
	if (!t->ev_request || !t->ev_stop || !t->ev_summary ||
	    event_add(t->ev_request, NULL) ||
	    event_add(t->ev_summary, &summary)) {
		errmsg_set(errmsg, errcap, "tftp: out of memory");
		goto err;
	}
	if (t->http_listen[0] &&
	    tftp_http_new(t, t->http_listen, &t->http, errmsg, errcap) != 0)
		goto err;
	*out = t;
	return 0;
err:
	tftp_free(t);
	return -1;
}

static void *tftp_main(void *arg)
{
	struct tftp *t = arg;

	event_base_dispatch(t->base);
	return NULL;
}

int tftp_start(struct tftp *t, char *errmsg, size_t errcap)
{
	int rc = pthread_create(&t->thread, NULL, tftp_main, t);

	if (rc != 0) {
		errmsg_set(errmsg, errcap, "tftp thread: %s", strerror(rc));
		return -1;
	}
	t->started = 1;
	log_info(TAG, "serving TFTP on %s%s%s", t->listen,
		 t->http ? ", HTTP on " : "", t->http ? t->http_listen : "");
	return 0;
}

void tftp_set_node(struct tftp *t, uint64_t node_id)
{
	if (t) {
		atomic_store(&t->node_id, node_id);
		atomic_fetch_add(&t->gen, 1);
	}
}

void tftp_notify(struct tftp *t)
{
	if (t)
		atomic_fetch_add(&t->gen, 1);
}

unsigned tftp_port(const struct tftp *t)
{
	if (t->addr.ss_family == AF_INET6)
		return ntohs(
		    ((const struct sockaddr_in6 *)&t->addr)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&t->addr)->sin_port);
}

unsigned tftp_http_port(const struct tftp *t)
{
	return t->http ? tftp_http_port_of(t->http) : 0;
}

void tftp_free(struct tftp *t)
{
	if (!t)
		return;
	if (t->started) {
		event_active(t->ev_stop, 0, 0);
		pthread_join(t->thread, NULL);
	}
	while (t->xfers)
		transfer_free(t->xfers);
	tftp_http_free(t->http);
	if (t->ev_request)
		event_free(t->ev_request);
	if (t->ev_stop)
		event_free(t->ev_stop);
	if (t->ev_summary)
		event_free(t->ev_summary);
	if (t->fd >= 0)
		close(t->fd);
	tftp_files_free(t->files);
	if (t->base)
		event_base_free(t->base);
	free(t);
}
