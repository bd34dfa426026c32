/* server: the CAPF listener — its thread and libevent loop, TLS with the
 * node's CAPF certificate, bounded sessions with deadlines, framing of
 * messages, and Raft completions brought back to this thread (capf.h). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "common/errmsg.h"
#include "common/log.h"
#include "node/capf/capf_int.h"

#define CAPF_SUMMARY_S 60

uint64_t capf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void capf_config_defaults(struct capf_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->listen = "127.0.0.1:3804";
	cfg->max_sessions = 256;
	cfg->session_timeout_ms = 30000;
	cfg->idle_timeout_ms = 10000;
	cfg->lsc_days = 1825;
}

void capf_count(struct capf *c, size_t offset)
{
	pthread_mutex_lock(&c->lock);
	(*(uint64_t *)((char *)&c->stats + offset))++;
	pthread_mutex_unlock(&c->lock);
}

void capf_fail(struct capf_session *s, size_t offset, const char *reason)
{
	struct capf *c = s->c;

	capf_count(c, offset);
	if (c->cfg.failed)
		c->cfg.failed(
		    c->cfg.failed_arg, s->addr[0] ? s->addr : "?",
		    store_phone_name_valid(s->device) ? s->device : "", reason);
}

void capf_stats_get(struct capf *c, struct capf_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->stats;
	pthread_mutex_unlock(&c->lock);
}

/* ---- sessions ----------------------------------------------------------- */

static void session_free(struct capf_session *s)
{
	struct capf *c = s->c;

	if (s->prev)
		s->prev->next = s->next;
	else
		c->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	c->n_sessions--;
	if (s->bev)
		bufferevent_free(s->bev);
	if (s->deadline)
		event_free(s->deadline);
	X509_free(s->lsc);
	X509_free(s->mic);
	OPENSSL_cleanse(s, sizeof *s);
	free(s);
}

static struct capf_session *session_find(struct capf *c, uint64_t sid)
{
	for (struct capf_session *s = c->sessions; s; s = s->next)
		if (s->sid == sid)
			return s;
	return NULL;
}

int capf_send(struct capf_session *s, size_t len)
{
	/* One write: phones stall when header and body arrive apart. */
	return bufferevent_write(s->bev, s->out, len);
}

static void on_flushed(struct bufferevent *bev, void *arg)
{
	struct capf_session *s = arg;

	(void)bev;
	if (s->step == CAPF_S_CLOSING &&
	    evbuffer_get_length(bufferevent_get_output(s->bev)) == 0)
		session_free(s);
}

/* Sends B, the session's last message, stops reading and frees the
 * session once it is flushed (at once if it cannot be sent). */
static void send_last(struct capf_session *s, struct capf_build *b)
{
	size_t len;

	s->step = CAPF_S_CLOSING;
	bufferevent_disable(s->bev, EV_READ);
	if (capf_build_end(b, &len) != 0 || capf_send(s, len) != 0) {
		session_free(s);
		return;
	}
	bufferevent_setcb(s->bev, NULL, on_flushed, NULL, s);
}

void capf_end(struct capf_session *s, uint8_t reason, const char *info)
{
	struct capf_build b;

	capf_build_begin(&b, s->out, sizeof s->out, CAPF_CMD_END_SESSION,
			 s->wire_id);
	capf_build_u8(&b, CAPF_TAG_REASON, reason);
	if (info && *info)
		capf_build_str(&b, CAPF_TAG_REASON_INFO, info);
	send_last(s, &b);
}

void capf_retry_later(struct capf_session *s)
{
	struct capf_build b;

	capf_build_begin(&b, s->out, sizeof s->out, CAPF_CMD_RETRY_LATER,
			 s->wire_id);
	send_last(s, &b);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct capf_session *s = arg;
	struct capf *c = s->c;
	uint64_t sid = s->sid;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t buf[CAPF_MSG_MAX], *p;
	size_t have, total;
	struct capf_msg m;
	int rc;

	while (s->step != CAPF_S_CLOSING && s->step != CAPF_S_COMMIT &&
	       s->step != CAPF_S_CHECKING) {
		have = evbuffer_get_length(in);
		if (have == 0)
			return;
		p = evbuffer_pullup(in, have < CAPF_HEADER_LEN
					    ? (ev_ssize_t)have
					    : CAPF_HEADER_LEN);
		rc = capf_msg_frame(p, have, &total);
		if (rc == CAPF_MSG_EAGAIN)
			return;
		if (rc == CAPF_MSG_OK && have < total)
			return;
		if (rc == CAPF_MSG_OK) {
			evbuffer_remove(in, buf, total);
			rc = capf_msg_parse(buf, total, &m);
		}
		if (rc == CAPF_MSG_OK && m.session != s->wire_id)
			rc = CAPF_MSG_EVALUE;
		if (rc != CAPF_MSG_OK) {
			CAPF_FAIL(s, malformed,
				  rc == CAPF_MSG_EVALUE
				      ? "wrong session id"
				      : capf_msg_strerror(rc));
			log_info(CAPF_TAG, "%s: %s", s->peer,
				 rc == CAPF_MSG_EVALUE ? "wrong session id"
						       : capf_msg_strerror(rc));
			capf_end(s, CAPF_REASON_INVALID_ELEMENT,
				 capf_msg_strerror(rc));
			return;
		}
		capf_session_on_msg(s, &m);
		/* It may have ended the session: go on only if it lives. */
		if (session_find(c, sid) != s)
			return;
	}
}

/* The CN of the certificate the phone showed in the handshake, if any,
 * into s->hint. */
static void peer_hint(struct capf_session *s)
{
	SSL *ssl = bufferevent_openssl_get_ssl(s->bev);
	X509 *x = ssl ? SSL_get1_peer_certificate(ssl) : NULL;

	if (x &&
	    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
				      s->hint, sizeof s->hint) <= 0)
		s->hint[0] = '\0';
	X509_free(x);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct capf_session *s = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		s->connected = 1;
		peer_hint(s);
		capf_session_begin(s);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		CAPF_FAIL(s, timed_out, "idle too long");
		log_info(CAPF_TAG, "%s%s%s: idle too long, closed", s->peer,
			 s->device[0] ? " " : "", s->device);
	} else if (!s->connected && (what & BEV_EVENT_ERROR))
		CAPF_FAIL(s, malformed, "TLS handshake failed");
	if (s->step == CAPF_S_COMMIT) {
		/* The outcome is on its way through Raft: keep the record of
		 * the session until it lands, without a socket. */
		bufferevent_free(s->bev);
		s->bev = NULL;
		return;
	}
	session_free(s);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct capf_session *s = arg;

	(void)fd;
	(void)what;
	CAPF_FAIL(s, timed_out, "session deadline passed");
	log_info(CAPF_TAG, "%s%s%s: session deadline passed, closed", s->peer,
		 s->device[0] ? " " : "", s->device);
	if (s->step == CAPF_S_COMMIT && s->bev) {
		bufferevent_free(s->bev);
		s->bev = NULL;
		return;
	}
	if (s->step != CAPF_S_COMMIT)
		session_free(s);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd,
		      struct sockaddr *sa, int salen, void *arg)
{
	struct capf *c = arg;
	struct capf_session *s;
	struct timeval idle = {c->cfg.idle_timeout_ms / 1000,
			       (c->cfg.idle_timeout_ms % 1000) * 1000};
	struct timeval dl = {c->cfg.session_timeout_ms / 1000,
			     (c->cfg.session_timeout_ms % 1000) * 1000};
	SSL *ssl;

	(void)l;
	if (c->n_sessions >= c->cfg.max_sessions ||
	    !(s = calloc(1, sizeof *s))) {
		CAPF_COUNT(c, refused_busy);
		evutil_closesocket(fd);
		return;
	}
	CAPF_COUNT(c, sessions);
	s->c = c;
	s->sid = ++c->next_sid;
	do {
		if (RAND_bytes((uint8_t *)&s->wire_id, sizeof s->wire_id) != 1)
			s->wire_id = ++c->next_wire;
	} while (s->wire_id == 0);
	if (sa->sa_family == AF_INET6) {
		char h[46];

		evutil_inet_ntop(AF_INET6,
				 &((struct sockaddr_in6 *)sa)->sin6_addr, h,
				 sizeof h);
		snprintf(s->peer, sizeof s->peer, "[%s]:%u", h,
			 ntohs(((struct sockaddr_in6 *)sa)->sin6_port));
		snprintf(s->addr, sizeof s->addr, "%s", h);
	} else if (sa->sa_family == AF_INET &&
		   salen >= (int)sizeof(struct sockaddr_in)) {
		char h[16];

		evutil_inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr,
				 h, sizeof h);
		snprintf(s->peer, sizeof s->peer, "%s:%u", h,
			 ntohs(((struct sockaddr_in *)sa)->sin_port));
		snprintf(s->addr, sizeof s->addr, "%s", h);
	}
	s->next = c->sessions;
	if (c->sessions)
		c->sessions->prev = s;
	c->sessions = s;
	c->n_sessions++;
	/* The context of the moment (capf_reload_tls swaps it); the SSL
	 * holds its own reference. */
	pthread_mutex_lock(&c->lock);
	ssl = SSL_new(c->tls);
	pthread_mutex_unlock(&c->lock);
	s->bev = ssl ? bufferevent_openssl_socket_new(c->base, fd, ssl,
						      BUFFEREVENT_SSL_ACCEPTING,
						      BEV_OPT_CLOSE_ON_FREE)
		     : NULL;
	s->deadline = event_new(c->base, -1, 0, on_deadline, s);
	if (!s->bev || !s->deadline) {
		if (!s->bev) {
			SSL_free(ssl);
			evutil_closesocket(fd);
		}
		session_free(s);
		return;
	}
	bufferevent_setcb(s->bev, on_read, NULL, on_event, s);
	bufferevent_set_timeouts(s->bev, &idle, NULL);
	bufferevent_setwatermark(s->bev, EV_READ, 0, CAPF_MSG_MAX);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	event_add(s->deadline, &dl);
}

/* ---- Raft completions --------------------------------------------------- */

struct capf_pending {
	struct capf *c;
	uint64_t sid;
};

static void on_proposed(void *arg, int rc)
{
	struct capf_pending *p = arg;
	struct capf *c = p->c;
	struct capf_done *d = malloc(sizeof *d);

	/* Raft thread: queue it for the CAPF thread. */
	if (d) {
		d->sid = p->sid;
		d->rc = rc;
		d->check = 0;
		pthread_mutex_lock(&c->lock);
		d->next = c->done;
		c->done = d;
		pthread_mutex_unlock(&c->lock);
		event_active(c->ev_done, EV_READ, 0);
	}
	free(p);
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
	struct capf *c = arg;
	struct capf_done *list, *d;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&c->lock);
	list = c->done;
	c->done = NULL;
	pthread_mutex_unlock(&c->lock);
	while ((d = list)) {
		struct capf_session *s = session_find(c, d->sid);

		list = d->next;
		if (s && d->check && s->step == CAPF_S_CHECKING) {
			capf_session_checked(s, d->rc == 0);
		} else if (s && !d->check && s->step == CAPF_S_COMMIT) {
			if (!s->bev) /* the phone is gone: drop the record */
				session_free(s);
			else
				capf_session_committed(s, d->rc);
		}
		free(d);
	}
}

static struct capf_pending *pending_new(struct capf_session *s)
{
	struct capf_pending *p = malloc(sizeof *p);

	if (p) {
		p->c = s->c;
		p->sid = s->sid;
	}
	return p;
}

/* A follower: the write goes to the leader through the hook. */
static int relay_write(struct capf_session *s, const struct store_capf_write *w)
{
	struct capf *c = s->c;
	struct capf_pending *p;
	uint8_t *buf;
	size_t len;
	int rc = -1;

	if (!c->cfg.relay || !(buf = malloc(STORE_CAPF_WRITE_MAX)))
		return -1;
	if (store_capf_write_encode(w, buf, STORE_CAPF_WRITE_MAX, &len) == 0 &&
	    (p = pending_new(s))) {
		rc = c->cfg.relay(c->cfg.relay_arg, buf, len, on_proposed, p);
		if (rc != 0)
			free(p);
	}
	free(buf);
	if (rc == 0)
		CAPF_COUNT(c, relayed);
	return rc;
}

int capf_write(struct capf_session *s, const struct store_capf_write *w,
	       int *relayed)
{
	struct store_cmd *cmd = NULL;
	struct capf_pending *p = NULL;
	void *buf = NULL;
	size_t len = 0;
	int rc;

	*relayed = 0;
	if (!s->c->consensus)
		return -1;
	rc = store_cmd_new(&cmd, s->c->node_id, capf_now_ms(), s->c->actor);
	if (rc == 0)
		rc = store_cmd_capf_write(cmd, w);
	if (rc == 0)
		rc = store_cmd_finish(cmd, &buf, &len);
	store_cmd_free(cmd);
	if (rc == 0 && !(p = pending_new(s)))
		rc = STORE_ENOMEM;
	if (rc == 0)
		rc = consensus_propose(s->c->consensus, buf, len, on_proposed,
				       p);
	free(buf);
	if (rc == 0)
		return 0;
	free(p);
	if (rc != CONSENSUS_ENOTLEADER || relay_write(s, w) != 0)
		return -1;
	*relayed = 1;
	return 0;
}

/* ---- string checks, off the event loop ----------------------------------- */

int capf_check_submit(struct capf_session *s, const char *pw)
{
	struct capf *c = s->c;
	struct capf_check *k, **tail;

	if (!c->checker_running || !(k = calloc(1, sizeof *k)))
		return -1;
	k->sid = s->sid;
	k->op = s->op;
	snprintf(k->pw, sizeof k->pw, "%s", pw);
	pthread_mutex_lock(&c->lock);
	if (c->n_checks >= CAPF_CHECKS_MAX) {
		pthread_mutex_unlock(&c->lock);
		OPENSSL_cleanse(k, sizeof *k);
		free(k);
		return -1;
	}
	for (tail = &c->checks; *tail; tail = &(*tail)->next)
		;
	*tail = k;
	c->n_checks++;
	pthread_cond_signal(&c->check_cv);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static void *checker_main(void *arg)
{
	struct capf *c = arg;
	struct capf_check *k;
	struct capf_done *d;
	int ok;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->checks && !c->check_stop)
			pthread_cond_wait(&c->check_cv, &c->lock);
		if (c->check_stop)
			break;
		k = c->checks;
		c->checks = k->next;
		c->n_checks--;
		pthread_mutex_unlock(&c->lock);
		ok = store_capf_auth_check(&k->op, k->pw);
		d = malloc(sizeof *d);
		pthread_mutex_lock(&c->lock);
		if (d) {
			d->sid = k->sid;
			d->rc = ok ? 0 : 1;
			d->check = 1;
			d->next = c->done;
			c->done = d;
			event_active(c->ev_done, EV_READ, 0);
		}
		OPENSSL_cleanse(k, sizeof *k);
		free(k);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* ---- the role ----------------------------------------------------------- */

static void on_summary(evutil_socket_t fd, short what, void *arg)
{
	struct capf *c = arg;
	struct capf_stats now;

	(void)fd;
	(void)what;
	capf_stats_get(c, &now);
	if (now.unknown_device != c->logged.unknown_device ||
	    now.nothing_scheduled != c->logged.nothing_scheduled ||
	    now.malformed != c->logged.malformed ||
	    now.auth_failed != c->logged.auth_failed ||
	    now.refused_busy != c->logged.refused_busy)
		log_info(
		    CAPF_TAG,
		    "last %ds: %llu unknown device, %llu nothing "
		    "scheduled, %llu malformed, %llu failed "
		    "authentication, %llu refused (busy)",
		    CAPF_SUMMARY_S,
		    (unsigned long long)(now.unknown_device -
					 c->logged.unknown_device),
		    (unsigned long long)(now.nothing_scheduled -
					 c->logged.nothing_scheduled),
		    (unsigned long long)(now.malformed - c->logged.malformed),
		    (unsigned long long)(now.auth_failed -
					 c->logged.auth_failed),
		    (unsigned long long)(now.refused_busy -
					 c->logged.refused_busy));
	c->logged = now;
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct capf *c = arg;

	(void)fd;
	(void)what;
	event_base_loopbreak(c->base);
}

/* A certificate the phone shows is not trusted here: it only names the
 * device before it says its name (the auth request then carries its
 * operation's auth type); the auth response is what is checked. */
static int accept_any_peer(int ok, X509_STORE_CTX *ctx)
{
	(void)ok;
	(void)ctx;
	return 1;
}

/* A context with the CAPF certificate and key of the files now: *OUT, or
 * -1 with ERRMSG. Its session-id context is new each time, so a session
 * of an older certificate is not resumed. */
static int tls_ctx_new(const struct capf *c, SSL_CTX **out, char *errmsg,
		       size_t errcap)
{
	unsigned char sid_ctx[16];
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx || RAND_bytes(sid_ctx, sizeof sid_ctx) != 1 ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_use_certificate_chain_file(ctx, c->cfg.cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, c->cfg.key_file,
					SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1 ||
	    SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof sid_ctx) != 1) {
		SSL_CTX_free(ctx);
		errmsg_set(errmsg, errcap,
			   "capf: cannot use the CAPF certificate %s / %s",
			   c->cfg.cert_file, c->cfg.key_file);
		return -1;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any_peer);
	*out = ctx;
	return 0;
}

int capf_reload_tls(struct capf *c, char *errmsg, size_t errcap)
{
	SSL_CTX *ctx, *old;

	if (tls_ctx_new(c, &ctx, errmsg, errcap) != 0)
		return -1;
	pthread_mutex_lock(&c->lock);
	old = c->tls;
	c->tls = ctx;
	pthread_mutex_unlock(&c->lock);
	SSL_CTX_free(old); /* sessions in progress hold their own */
	return 0;
}

static int load_tls(struct capf *c, char *errmsg, size_t errcap)
{
	FILE *f;

	if (tls_ctx_new(c, &c->tls, errmsg, errcap) != 0)
		return -1;
	f = fopen(c->cfg.ca_file, "r");
	c->ca = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	if (!c->ca) {
		errmsg_set(errmsg, errcap, "capf: cannot read the CA %s",
			   c->cfg.ca_file);
		return -1;
	}
	return 0;
}

int capf_new(const struct capf_config *cfg, struct store *store,
	     struct keystore *ks, struct consensus *consensus, uint64_t node_id,
	     const char *node_name, struct capf **out, char *errmsg,
	     size_t errcap)
{
	struct capf *c = calloc(1, sizeof *c);
	struct timeval summary = {CAPF_SUMMARY_S, 0};

	*out = NULL;
	if (!c) {
		errmsg_set(errmsg, errcap, "capf: out of memory");
		return -1;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->check_cv, NULL);
	c->cfg = *cfg;
	snprintf(c->listen, sizeof c->listen, "%s", cfg->listen);
	c->cfg.listen = c->listen;
	c->cfg.cert_file = c->cert_file = strdup(cfg->cert_file);
	c->cfg.key_file = c->key_file = strdup(cfg->key_file);
	c->cfg.ca_file = c->ca_file = strdup(cfg->ca_file);
	if (!c->cert_file || !c->key_file || !c->ca_file) {
		errmsg_set(errmsg, errcap, "capf: out of memory");
		goto err;
	}
	if (c->cfg.max_sessions == 0)
		c->cfg.max_sessions = 1;
	c->store = store;
	c->ks = ks;
	c->consensus = consensus;
	c->node_id = node_id;
	snprintf(c->actor, sizeof c->actor, "node:%s", node_name);
	if (load_tls(c, errmsg, errcap) != 0)
		goto err;
	c->base = event_base_new();
	c->ev_stop = c->base ? event_new(c->base, -1, 0, on_stop, c) : NULL;
	c->ev_done = c->base ? event_new(c->base, -1, 0, on_done, c) : NULL;
	c->ev_summary =
	    c->base ? event_new(c->base, -1, EV_PERSIST, on_summary, c) : NULL;
	if (!c->ev_stop || !c->ev_done || !c->ev_summary ||
	    event_add(c->ev_summary, &summary) != 0) {
		errmsg_set(errmsg, errcap, "capf: out of memory");
		goto err;
	}
	*out = c;
	return 0;
err:
	capf_free(c);
	return -1;
}

static void *capf_main(void *arg)
{
	struct capf *c = arg;

	event_base_dispatch(c->base);
	return NULL;
}

int capf_start(struct capf *c, char *errmsg, size_t errcap)
{
	struct sockaddr_storage ss;
	int sslen = sizeof ss, rc;
	struct sockaddr *bound = (struct sockaddr *)&ss;
	socklen_t blen = sizeof ss;

	memset(&ss, 0, sizeof ss);
	if (evutil_parse_sockaddr_port(c->listen, (struct sockaddr *)&ss,
				       &sslen) != 0) {
		errmsg_set(errmsg, errcap, "capf: bad listen address %s",
			   c->listen);
		return -1;
	}
	c->listener = evconnlistener_new_bind(
	    c->base, on_accept, c,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    128, (struct sockaddr *)&ss, sslen);
	if (!c->listener) {
		errmsg_set(errmsg, errcap, "capf: cannot listen on %s: %s",
			   c->listen, strerror(errno));
		return -1;
	}
	if (getsockname(evconnlistener_get_fd(c->listener), bound, &blen) == 0)
		c->port = ntohs(bound->sa_family == AF_INET6
				    ? ((struct sockaddr_in6 *)bound)->sin6_port
				    : ((struct sockaddr_in *)bound)->sin_port);
	rc = pthread_create(&c->checker, NULL, checker_main, c);
	if (rc != 0) {
		errmsg_set(errmsg, errcap, "capf thread: %s", strerror(rc));
		return -1;
	}
	c->checker_running = 1;
	rc = pthread_create(&c->thread, NULL, capf_main, c);
	if (rc != 0) {
		errmsg_set(errmsg, errcap, "capf thread: %s", strerror(rc));
		return -1;
	}
	c->running = 1;
	log_info(CAPF_TAG, "CAPF on %s (TLS, port %d)", c->listen, c->port);
	return 0;
}

int capf_port(const struct capf *c)
{
	return c->port;
}

void capf_stop(struct capf *c)
{
	if (!c)
		return;
	if (c->running) {
		event_active(c->ev_stop, EV_READ, 0);
		pthread_join(c->thread, NULL);
		c->running = 0;
	}
	if (c->checker_running) {
		pthread_mutex_lock(&c->lock);
		c->check_stop = 1;
		pthread_cond_broadcast(&c->check_cv);
		pthread_mutex_unlock(&c->lock);
		pthread_join(c->checker, NULL);
		c->checker_running = 0;
	}
}

void capf_free(struct capf *c)
{
	struct capf_done *d;

	if (!c)
		return;
	capf_stop(c);
	while (c->sessions)
		session_free(c->sessions);
	while ((d = c->done)) {
		c->done = d->next;
		free(d);
	}
	while (c->checks) {
		struct capf_check *k = c->checks;

		c->checks = k->next;
		OPENSSL_cleanse(k, sizeof *k);
		free(k);
	}
	pthread_cond_destroy(&c->check_cv);
	if (c->listener)
		evconnlistener_free(c->listener);
	if (c->ev_stop)
		event_free(c->ev_stop);
	if (c->ev_done)
		event_free(c->ev_done);
	if (c->ev_summary)
		event_free(c->ev_summary);
	if (c->base)
		event_base_free(c->base);
	SSL_CTX_free(c->tls);
	X509_free(c->ca);
	free(c->cert_file);
	free(c->key_file);
	free(c->ca_file);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
