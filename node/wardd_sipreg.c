/* wardd_sipreg: registration changes a follower cannot propose, relayed to
 * the leader. The signaling thread queues a change (coalesced by device:
 * the newest wins); the main loop sends the queue, up to
 * ADMIN_REG_RELAY_MAX changes per request, one request at a time, through
 * the admin API's members-only route. The queue is bounded: when it is
 * full a change is dropped and counted (the device's next registration
 * brings it back, since the record then still does not name this node). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "node/admin/admin.h"
#include "node/wardd.h"

#define SIPREG_QUEUE_MAX 1024
#define SIPREG_FLUSH_MS 200

struct wardd_sipreg {
	pthread_mutex_t mu;
	struct admin_reg_change q[SIPREG_QUEUE_MAX]; /* under mu */
	size_t n;				     /* under mu */
	unsigned long dropped;			     /* under mu */
	/* Main loop only. */
	struct admin_reg_change sent[ADMIN_REG_RELAY_MAX];
	size_t nsent;
	int busy; /* a request is in flight */
	struct event *ev;
	struct wardd *w;
};

static size_t find(const struct wardd_sipreg *s, const char *device)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->q[i].reg.device, device) == 0)
			return i;
	return s->n;
}

/* Under mu. KEEP_NEWER: C is an old change coming back; a queued one for
 * the same device is newer and wins. */
static void put_locked(struct wardd_sipreg *s, const struct admin_reg_change *c,
		       int keep_newer)
{
	size_t i = find(s, c->reg.device);

	if (i < s->n) {
		if (!keep_newer) {
			struct admin_reg_change *q = &s->q[i];

			/* A newer change of the same certificate keeps
			 * the MIC the older one carried. */
			if (!c->mic_len && q->mic_len && !c->del &&
			    memcmp(q->reg.cert_sha256, c->reg.cert_sha256,
				   32) == 0) {
				q->reg = c->reg;
				q->del = 0;
			} else {
				*q = *c;
			}
		}
		return;
	}
	if (s->n == SIPREG_QUEUE_MAX) {
		if (s->dropped++ % 1000 == 0)
			log_warn("sip",
				 "registration relay queue full: %lu changes "
				 "dropped",
				 s->dropped);
		return;
	}
	s->q[s->n++] = *c;
}

void wardd_sipreg_queue(struct wardd *w, const struct admin_reg_change *c)
{
	struct wardd_sipreg *s = w->sipreg;

	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	put_locked(s, c, 0);
	pthread_mutex_unlock(&s->mu);
}

static void requeue_sent(struct wardd_sipreg *s)
{
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->nsent; i++)
		put_locked(s, &s->sent[i], 1);
	pthread_mutex_unlock(&s->mu);
	s->nsent = 0;
}

static void relayed(void *arg, int ok)
{
	struct wardd *w = arg;
	struct wardd_sipreg *s = w->sipreg;

	if (!s)
		return;
	s->busy = 0;
	if (ok != 0)
		requeue_sent(s); /* tried again at the next tick */
	s->nsent = 0;
}

static void flush(evutil_socket_t fd, short what, void *arg)
{
	struct wardd_sipreg *s = arg;
	size_t n;

	(void)fd;
	(void)what;
	if (s->busy || !s->w->admin)
		return;
	pthread_mutex_lock(&s->mu);
	n = s->n < ADMIN_REG_RELAY_MAX ? s->n : ADMIN_REG_RELAY_MAX;
	/* A bounded number of MICs per request (the body's limit). */
	for (size_t i = 0, mics = 0; i < n; i++)
		if (s->q[i].mic_len && ++mics > ADMIN_REG_RELAY_MICS_MAX)
			n = i;
	memcpy(s->sent, s->q, n * sizeof *s->q);
	memmove(s->q, s->q + n, (s->n - n) * sizeof *s->q);
	s->n -= n;
	pthread_mutex_unlock(&s->mu);
	s->nsent = n;
	if (n == 0)
		return;
	s->busy = 1;
	if (admin_registrations_relay(s->w->admin, s->sent, n, relayed, s->w) !=
	    0) {
		s->busy = 0;
		requeue_sent(s); /* no leader known yet */
	}
}

int wardd_sipreg_init(struct wardd *w)
{
	struct timeval tv = {0, SIPREG_FLUSH_MS * 1000};
	struct wardd_sipreg *s = calloc(1, sizeof *s);

	if (!s)
		return -1;
	if (pthread_mutex_init(&s->mu, NULL) != 0) {
		free(s);
		return -1;
	}
	s->w = w;
	s->ev = event_new(w->base, -1, EV_PERSIST, flush, s);
	if (!s->ev || event_add(s->ev, &tv) != 0) {
		if (s->ev)
			event_free(s->ev);
		pthread_mutex_destroy(&s->mu);
		free(s);
		return -1;
	}
	w->sipreg = s;
	return 0;
}

void wardd_sipreg_fini(struct wardd *w)
{
	struct wardd_sipreg *s = w->sipreg;

	if (!s)
		return;
	w->sipreg = NULL;
	event_free(s->ev);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
