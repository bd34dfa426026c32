/* wardd_capf: the CAPF role in wardd — started once this node runs
 * consensus and holds its CAPF certificate (after cluster init or join),
 * stopped before consensus so that no proposal is made into a stopped
 * Raft, freed after it. A node that cannot listen logs why once and runs
 * without the role.
 *
 * On a follower the role's writes go to the leader: the CAPF thread queues
 * each one here (a bounded queue: CAPF_RELAY_MAX writes queued or in
 * flight, more are refused and the phone hears "retry later"), the main
 * loop sends what is queued through the admin API's members-only POST
 * /v1/capf/relay (up to ADMIN_CAPF_RELAY_MAX writes a request, which the
 * leader records in one command), and each answer goes back to its
 * session, which waits for it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/log.h"
#include "node/admin/admin.h"
#include "node/capf/capf.h"
#include "node/nodepki.h"
#include "node/wardd.h"

#define CAPF_TICK_S 2
#define CAPF_RELAY_MAX 256 /* writes queued or in flight */
#define CAPF_FAILS_MAX 256 /* failures queued for the admin's summary */
/* Base64 of the writes of one request, under the admin's body limit. */
#define CAPF_RELAY_BODY (96u * 1024)

/* A failure on its way to the admin's summary (admin_capf_fail). */
struct fail_note {
	char addr[48];
	char device[64];
	char reason[64];
};

struct relay_item {
	struct relay_item *next;
	struct wardd_capf_relay *r;
	void (*done)(void *arg, int rc); /* NULL once called */
	void *arg;
	size_t len;
	uint8_t buf[]; /* the encoded write */
};

struct wardd_capf_relay {
	pthread_mutex_t mu;
	struct relay_item *queued;   /* under mu */
	unsigned n;		     /* queued + in flight, under mu */
	int stopped;		     /* under mu */
	struct relay_item *sent;     /* main loop only */
	struct relay_batch *batches; /* in flight, main loop only */
	struct event *ev;
	struct wardd *w;
	/* Failures, a fixed ring: beyond it they are only counted (the
	 * summary says how many as from "?"). Under mu. */
	struct fail_note fails[CAPF_FAILS_MAX];
	unsigned n_fails, fails_dropped;
	struct fail_note fails_out[CAPF_FAILS_MAX]; /* main loop only */
	struct event *ev_fails;
};

/* The writes of one request, in flight. */
struct relay_batch {
	struct relay_batch *next;
	struct wardd_capf_relay *r;
	size_t n;
	struct relay_item *items[ADMIN_CAPF_RELAY_MAX];
};

static void item_done(struct relay_item *it, int rc)
{
	if (it->done)
		it->done(it->arg, rc);
	it->done = NULL;
}

/* Main loop: takes IT off the in-flight list and frees it. */
static void item_free(struct relay_item *it)
{
	struct wardd_capf_relay *r = it->r;

	for (struct relay_item **p = &r->sent; *p; p = &(*p)->next)
		if (*p == it) {
			*p = it->next;
			break;
		}
	pthread_mutex_lock(&r->mu);
	r->n--;
	pthread_mutex_unlock(&r->mu);
	free(it);
}

static void batch_unlink(struct relay_batch *b)
{
	for (struct relay_batch **p = &b->r->batches; *p; p = &(*p)->next)
		if (*p == b) {
			*p = b->next;
			break;
		}
}

static void relay_answered(void *arg, const int *rc, size_t n)
{
	struct relay_batch *b = arg;

	for (size_t i = 0; i < b->n; i++) {
		item_done(b->items[i], i < n && rc[i] == 0 ? 0 : -1);
		item_free(b->items[i]);
	}
	batch_unlink(b);
	free(b);
}

/* Sends B; on failure answers its writes "not recorded" and frees it. */
static void batch_send(struct wardd_capf_relay *r, struct relay_batch *b)
{
	const void *bufs[ADMIN_CAPF_RELAY_MAX];
	size_t lens[ADMIN_CAPF_RELAY_MAX];

	for (size_t i = 0; i < b->n; i++) {
		bufs[i] = b->items[i]->buf;
		lens[i] = b->items[i]->len;
	}
	b->next = r->batches;
	r->batches = b;
	if (admin_capf_relay(r->w->admin, bufs, lens, b->n, relay_answered,
			     b) != 0) {
		int rc[ADMIN_CAPF_RELAY_MAX];

		for (size_t i = 0; i < b->n; i++)
			rc[i] = -1; /* no leader known: retry later */
		relay_answered(b, rc, b->n);
	}
}

static void relay_drain(evutil_socket_t fd, short what, void *arg)
{
	struct wardd_capf_relay *r = arg;
	struct relay_item *list, *it;
	struct relay_batch *b = NULL;
	size_t body = 0;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&r->mu);
	list = r->queued;
	r->queued = NULL;
	pthread_mutex_unlock(&r->mu);
	while ((it = list)) {
		size_t b64 = (it->len + 2) / 3 * 4 + 4;

		if (b && (b->n == ADMIN_CAPF_RELAY_MAX ||
			  body + b64 > CAPF_RELAY_BODY)) {
			batch_send(r, b);
			b = NULL;
		}
		if (!b && !(b = calloc(1, sizeof *b))) {
			/* Out of memory: this write is not recorded. */
			list = it->next;
			it->next = r->sent;
			r->sent = it;
			item_done(it, -1);
			item_free(it);
			continue;
		}
		b->r = r;
		if (b->n == 0)
			body = 0;
		list = it->next;
		it->next = r->sent;
		r->sent = it;
		b->items[b->n++] = it;
		body += b64;
	}
	if (b)
		batch_send(r, b);
}

/* The role's hook (capf.h): CAPF thread. */
static int relay_hand(void *arg, const void *buf, size_t len,
		      void (*done)(void *done_arg, int rc), void *done_arg)
{
	struct wardd_capf_relay *r = arg;
	struct relay_item *it = malloc(sizeof *it + len), **tail;

	if (!it)
		return -1;
	it->next = NULL;
	it->r = r;
	it->done = done;
	it->arg = done_arg;
	it->len = len;
	memcpy(it->buf, buf, len);
	pthread_mutex_lock(&r->mu);
	if (r->stopped || r->n >= CAPF_RELAY_MAX) {
		pthread_mutex_unlock(&r->mu);
		free(it);
		return -1;
	}
	for (tail = &r->queued; *tail; tail = &(*tail)->next)
		;
	*tail = it;
	r->n++;
	pthread_mutex_unlock(&r->mu);
	event_active(r->ev, EV_READ, 0);
	return 0;
}

/* The role's failure hook (capf.h): CAPF thread. */
static void fail_hand(void *arg, const char *addr, const char *device,
		      const char *reason)
{
	struct wardd_capf_relay *r = arg;
	struct fail_note *f;
	int wake;

	pthread_mutex_lock(&r->mu);
	wake = r->n_fails == 0 && r->fails_dropped == 0;
	if (r->n_fails < CAPF_FAILS_MAX) {
		f = &r->fails[r->n_fails++];
		snprintf(f->addr, sizeof f->addr, "%s", addr);
		snprintf(f->device, sizeof f->device, "%s", device);
		snprintf(f->reason, sizeof f->reason, "%s", reason);
	} else {
		r->fails_dropped++;
	}
	pthread_mutex_unlock(&r->mu);
	if (wake)
		event_active(r->ev_fails, EV_READ, 0);
}

static void fails_drain(evutil_socket_t fd, short what, void *arg)
{
	struct wardd_capf_relay *r = arg;
	struct fail_note *batch = r->fails_out;
	unsigned n, dropped;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&r->mu);
	n = r->n_fails;
	memcpy(batch, r->fails, n * sizeof *r->fails);
	dropped = r->fails_dropped;
	r->n_fails = r->fails_dropped = 0;
	pthread_mutex_unlock(&r->mu);
	for (unsigned i = 0; i < n; i++)
		admin_capf_fail(r->w->admin, batch[i].addr, batch[i].device,
				batch[i].reason);
	for (unsigned i = 0; i < dropped; i++)
		admin_capf_fail(r->w->admin, "?", "", "queue full");
}

static struct wardd_capf_relay *relay_new(struct wardd *w)
{
	struct wardd_capf_relay *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	if (pthread_mutex_init(&r->mu, NULL) != 0) {
		free(r);
		return NULL;
	}
	r->w = w;
	r->ev = event_new(w->base, -1, 0, relay_drain, r);
	r->ev_fails = event_new(w->base, -1, 0, fails_drain, r);
	if (!r->ev || !r->ev_fails) {
		if (r->ev)
			event_free(r->ev);
		if (r->ev_fails)
			event_free(r->ev_fails);
		pthread_mutex_destroy(&r->mu);
		free(r);
		return NULL;
	}
	return r;
}

/* After the role stopped: every write still owed an answer gets a
 * failure, so that the role's records of them are freed with it. */
static void relay_stop(struct wardd_capf_relay *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stopped = 1;
	pthread_mutex_unlock(&r->mu);
	for (struct relay_item *it = r->queued; it; it = it->next)
		item_done(it, -1);
	for (struct relay_item *it = r->sent; it; it = it->next)
		item_done(it, -1);
}

/* After the main loop ended: no answer can come any more. */
static void relay_free(struct wardd_capf_relay *r)
{
	struct relay_item *it;

	if (!r)
		return;
	relay_stop(r);
	while ((it = r->queued)) {
		r->queued = it->next;
		free(it);
	}
	while ((it = r->sent)) {
		r->sent = it->next;
		free(it);
	}
	while (r->batches) {
		struct relay_batch *b = r->batches;

		r->batches = b->next;
		free(b);
	}
	event_free(r->ev);
	event_free(r->ev_fails);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

static void wardd_capf_look(struct wardd *w)
{
	char cert[CONFIG_PATH_MAX + 64], key[CONFIG_PATH_MAX + 64],
	    ca[CONFIG_PATH_MAX + 64], err[512];
	struct capf_config cfg;
	char listen[CONFIG_ADDR_MAX];
	struct addr admin;

	if (w->capf || w->capf_failed || !w->consensus || !w->ks)
		return;
	nodepki_path(w->cfg.data_dir, "capf.pem", cert, sizeof cert);
	nodepki_path(w->cfg.data_dir, "capf.key", key, sizeof key);
	nodepki_path(w->cfg.data_dir, "ca.pem", ca, sizeof ca);
	if (access(cert, R_OK) != 0 || access(key, R_OK) != 0 ||
	    access(ca, R_OK) != 0)
		return;
	capf_config_defaults(&cfg);
	snprintf(listen, sizeof listen, "%s", w->cfg.capf_listen);
	if (!listen[0] &&
	    (addr_parse(w->cfg.admin_listen, 0, &admin) != ADDR_OK ||
	     addr_format(admin.host, 3804, listen, sizeof listen) != 0)) {
		log_warn("capf",
			 "no address for the CAPF role: set capf.listen");
		w->capf_failed = 1;
		return;
	}
	cfg.listen = listen;
	cfg.cert_file = cert;
	cfg.key_file = key;
	cfg.ca_file = ca;
	cfg.max_sessions = w->cfg.capf_max_sessions;
	cfg.session_timeout_ms = w->cfg.capf_session_timeout_ms;
	cfg.idle_timeout_ms = w->cfg.capf_idle_timeout_ms;
	if (!w->capf_relay)
		w->capf_relay = relay_new(w);
	if (w->capf_relay) {
		cfg.relay = relay_hand;
		cfg.relay_arg = w->capf_relay;
		cfg.failed = fail_hand;
		cfg.failed_arg = w->capf_relay;
	}
	if (capf_new(&cfg, w->store, w->ks, w->consensus, w->id.node_id,
		     w->cfg.name, &w->capf, err, sizeof err) != 0 ||
	    capf_start(w->capf, err, sizeof err) != 0) {
		log_warn("capf", "the CAPF role does not run: %s", err);
		capf_free(w->capf);
		w->capf = NULL;
		w->capf_failed = 1;
	}
}

static void on_capf_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	wardd_capf_look(arg);
}

int wardd_capf_init(struct wardd *w)
{
	struct timeval tv = {CAPF_TICK_S, 0};

	w->ev_capf = event_new(w->base, -1, EV_PERSIST, on_capf_timer, w);
	if (!w->ev_capf || event_add(w->ev_capf, &tv) != 0)
		return -1;
	wardd_capf_look(w);
	return 0;
}

void wardd_capf_stop(struct wardd *w)
{
	if (w->ev_capf)
		event_free(w->ev_capf);
	w->ev_capf = NULL;
	capf_stop(w->capf);
	relay_stop(w->capf_relay);
}

void wardd_capf_fini(struct wardd *w)
{
	wardd_capf_stop(w);
	capf_free(w->capf);
	w->capf = NULL;
	relay_free(w->capf_relay);
	w->capf_relay = NULL;
}
