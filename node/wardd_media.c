/* wardd_media: the media thread, its request queue, and the media table. */
#include "node/wardd_media.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "common/errmsg.h"
#include "common/log.h"
#include "node/keymgr/holdmusic.h"
#include "node/keymgr/keymgr.h"
#include "node/keymgr/mixer.h"
#include "node/keymgr/portpool.h"
#include "node/keymgr/relay.h"
#include "node/keymgr/sdpmap.h"
#include "node/wardd_capture.h"

#define TAGM "media"

enum media_op {
	MEDIA_APPLY,
	MEDIA_START,
	MEDIA_CLOSE_FREE,
	MEDIA_SYNC, /* nothing: the requests before it are done */
	MEDIA_STOP,
	MEDIA_CONF_NEW,
	MEDIA_CONF_JOIN,
	MEDIA_CONF_LEAVE,
	MEDIA_CONF_FREE,
};

/* One request to the media thread; lives on the caller's stack, who
 * waits for DONE. */
struct media_req {
	enum media_op op;
	struct sip_media_call *call;
	struct sip_media_conf *conf;
	unsigned sides; /* conference joins and leaves: bit 0 A, bit 1 B */
	int rc;		/* 0, or the SIP status */
	int done;
	struct media_req *next;
};

struct sip_media_call {
	struct wardd_media *m;
	struct sdpmap_call *map;	    /* owned */
	struct sip_media_call *prev, *next; /* the open calls, under m->mu */
	/* The media thread's: only that thread dereferences them. */
	struct relay_session *sess[SDP_MAX_MEDIA];
	/* For authorised capture (wardd_capture.h). */
	char call_id[128];
	char device[2][SIP_DIR_NAME_MAX];
	/* The legs as the key manager judges them (a participant's level),
	 * and either's "encrypted or reject". */
	struct keymgr_leg kleg[2];
	int eor;
	/* In a conference (signaling thread's): the sides of its first
	 * stream in CONF (bit 0 A, bit 1 B: both after a barge). */
	struct sip_media_conf *conf;
	unsigned conf_sides;
	struct sip_media_call *conf_next;
	/* Signaling thread's: relay sessions were opened (or are being). */
	int opened;
	/* Its MEDIA_START: the sessions of its first answer, prepared on the
	 * signaling thread; the media thread starts them and moves them to
	 * SESS, nobody waits. */
	struct relay_session *ready[SDP_MAX_MEDIA];
	struct media_req start_rq;
	/* Its MEDIA_CLOSE_FREE: the media thread closes and frees the call,
	 * nobody waits. */
	struct media_req close_rq;
};

/* A conference: the mixer is the media thread's, the list the signaling
 * thread's. */
struct sip_media_conf {
	struct wardd_media *m;
	struct mixer *mx; /* owned */
	struct sip_media_call *parts;
	unsigned n;
};

struct wardd_media {
	struct sdpmap_config map;
	struct keymgr *km;     /* owned */
	struct portpool *pool; /* owned */
	unsigned max_calls;
	atomic_uint calls;
	unsigned max_confs, conf_size,
	    confs;		   /* confs: the signaling thread's */
	_Atomic time_t refused_at; /* the last "max_calls reached" line */
	int allow_bridge;
	struct holdmusic music;	       /* owned; len 0: none */
	struct wardd_capture *capture; /* borrowed; NULL: none */
	pthread_t thread;
	int started;
	struct event_base *base; /* owned; the media thread's */
	struct relay *relay;	 /* owned; the media thread's */
	struct event *ev_wake;	 /* owned */
	struct event *ev_sweep;	 /* owned */
	int wake_fd;		 /* owned: eventfd */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct media_req *head, *tail; /* under MU */
	int woken; /* under MU: WAKE_FD written since the queue was taken */
	struct sip_media_call *open; /* under MU: calls not closed yet */
};

/* ---- the media thread ---- */

static void conf_rejoin(struct sip_media_call *call);
static void conf_on_thread(struct wardd_media *m, struct media_req *rq);
static void conf_unlink(struct sip_media_call *call);
static void release(struct wardd_media *m, struct sip_media_call *call);

static unsigned local_port(const struct sockaddr_storage *a)
{
	return ntohs(a->ss_family == AF_INET6
			 ? ((const struct sockaddr_in6 *)a)->sin6_port
			 : ((const struct sockaddr_in *)a)->sin_port);
}

/* After an answer, stream I's relay session of CALL, ready to start, to
 * *OUT (NULL when the stream is not relayed): the sockets that proved the
 * ports free, when the pool still holds them (a first session), taken
 * over, no new bind. 0 or the SIP status. */
static int prepare_stream(struct wardd_media *m, struct sip_media_call *call,
			  size_t i, struct relay_session **out)
{
	struct relay_leg_config legs[2];
	char err[256];
	int rc;

	*out = NULL;
	if (!sdpmap_relay_legs(call->map, i, legs))
		return 0;
	for (int sd = 0; sd < 2; sd++)
		legs[sd].bound =
		    portpool_claim(m->pool, local_port(&legs[sd].local),
				   legs[sd].fd) == 0;
	rc = relay_session_prepare(m->relay, sdpmap_stream_keys(call->map, i),
				   legs, m->allow_bridge, out, err, sizeof err);
	if (rc == KEYMGR_OK)
		return 0;
	log_warn(TAGM, "stream %zu not relayed: %s", i + 1, err);
	return rc == KEYMGR_EREJECT ? 488 : 500;
}

/* On the media thread: S (prepared for stream I of CALL) on the loop as
 * CALL's; 0, or 500 (S freed, the stream silent). */
static int start_stream(struct sip_media_call *call, size_t i,
			struct relay_session *s)
{
	if (relay_session_start(s) == KEYMGR_OK) {
		call->sess[i] = s;
		return 0;
	}
	log_warn(TAGM, "call %s: stream %zu not relayed: %s", call->call_id,
		 i + 1, keymgr_strerror(KEYMGR_ENOMEM));
	relay_session_free(s);
	return 500;
}

static void apply(struct wardd_media *m, struct media_req *rq)
{
	struct sip_media_call *call = rq->call;
	size_t n = sdpmap_streams(call->map);

	rq->rc = 0;
	for (size_t i = 0; i < n; i++) {
		struct relay_leg_config legs[2];
		struct relay_session *s;
		int rc;

		if (!sdpmap_stream_changed(call->map, i)) {
			/* Moved without new keys: the session goes on. */
			if (call->sess[i] &&
			    sdpmap_relay_legs(call->map, i, legs))
				for (int sd = 0; sd < 2; sd++)
					if (sdpmap_stream_moved(call->map, i,
								sd) &&
					    relay_session_retarget(
						call->sess[i], sd,
						&legs[sd].remote) != KEYMGR_OK)
						rq->rc = 500;
			continue;
		}
		/* The old session holds the ports: close it first. */
		relay_session_free(call->sess[i]);
		call->sess[i] = NULL;
		rc = prepare_stream(m, call, i, &s);
		if (rc == 0 && s)
			rc = start_stream(call, i, s);
		if (rc != 0)
			rq->rc = rc;
	}
}

/* Music toward each held side of the streams of CALL, and none toward
 * the others. */
static void music(struct wardd_media *m, struct sip_media_call *call)
{
	size_t n = sdpmap_streams(call->map);

	for (size_t i = 0; i < n; i++) {
		if (!call->sess[i] || call->conf)
			continue; /* a participant hears the mixer */
		for (int sd = 0; sd < 2; sd++) {
			unsigned pt;
			int want = sdpmap_stream_music(call->map, i, sd, &pt);

			if (want && !relay_session_playing(call->sess[i], sd)) {
				if (relay_session_play(
					call->sess[i], sd,
					pt == 8 ? m->music.pcma : m->music.pcmu,
					m->music.len, pt) != KEYMGR_OK)
					log_warn(TAGM, "no music on hold");
			} else if (!want) {
				relay_session_play_stop(call->sess[i], sd);
			}
		}
	}
}

/* The sessions of CALL's first answer (MEDIA_START) on the loop; one
 * that cannot start (out of memory) leaves its stream silent. */
static void start(struct sip_media_call *call)
{
	for (size_t i = 0; i < SDP_MAX_MEDIA; i++) {
		if (call->ready[i])
			(void)start_stream(call, i, call->ready[i]);
		call->ready[i] = NULL;
	}
}

static void close_sessions(struct sip_media_call *call)
{
	for (size_t i = 0; i < SDP_MAX_MEDIA; i++) {
		relay_session_free(call->sess[i]);
		call->sess[i] = NULL;
	}
}

/* Runs the queued requests in their order. */
static void drain(struct wardd_media *m)
{
	struct media_req *rq, *next;

	pthread_mutex_lock(&m->mu);
	rq = m->head;
	m->head = m->tail = NULL;
	m->woken = 0;
	pthread_mutex_unlock(&m->mu);
	for (; rq; rq = next) {
		next = rq->next;
		switch (rq->op) {
		case MEDIA_APPLY:
			apply(m, rq);
			music(m, rq->call);
			if (rq->call->conf)
				conf_rejoin(rq->call);
			break;
		case MEDIA_START:
			/* RQ lives in the call, which may go next. */
			start(rq->call);
			continue;
		case MEDIA_CONF_NEW:
		case MEDIA_CONF_JOIN:
		case MEDIA_CONF_LEAVE:
		case MEDIA_CONF_FREE:
			conf_on_thread(m, rq);
			break;
		case MEDIA_CLOSE_FREE:
			/* RQ lives in the call: gone after this. */
			close_sessions(rq->call);
			release(m, rq->call);
			continue;
		case MEDIA_STOP:
			event_base_loopbreak(m->base);
			break;
		case MEDIA_SYNC:
			break;
		}
		pthread_mutex_lock(&m->mu);
		rq->done = 1;
		pthread_cond_broadcast(&m->cv);
		pthread_mutex_unlock(&m->mu);
	}
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	uint64_t v;

	(void)what;
	if (read(fd, &v, sizeof v) < 0 && errno != EAGAIN)
		log_warn(TAGM, "wake-up read: %s", strerror(errno));
	drain(arg);
}

/* Every SWEEP_MS: the requests queued without a wake-up (closes) that no
 * other request took along. */
#define SWEEP_MS 100
static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct wardd_media *m = arg;
	int queued;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&m->mu);
	queued = m->head != NULL;
	pthread_mutex_unlock(&m->mu);
	if (queued)
		drain(m);
}

/* A participant whose session was replaced (re-keyed) joins again. */
static void conf_rejoin(struct sip_media_call *call)
{
	struct relay_session *s = call->sess[0];

	for (int sd = 0; sd < 2 && s; sd++)
		if ((call->conf_sides & (1u << sd)) && !mixer_has(s, sd) &&
		    mixer_add(call->conf->mx, s, sd, 0) != KEYMGR_OK)
			log_warn(TAGM, "call %s: lost its conference seat",
				 call->call_id);
}

static void conf_on_thread(struct wardd_media *m, struct media_req *rq)
{
	struct relay_session *s = rq->call ? rq->call->sess[0] : NULL;

	rq->rc = 0;
	switch (rq->op) {
	case MEDIA_CONF_NEW:
		if (mixer_new(m->relay, m->conf_size, &rq->conf->mx) !=
		    KEYMGR_OK)
			rq->rc = 500;
		break;
	case MEDIA_CONF_JOIN:
		if (!s)
			rq->rc = 488; /* no relayed stream to mix */
		else if (mixer_count(rq->conf->mx) >= m->conf_size)
			rq->rc = 486;
		else if (mixer_add(rq->conf->mx, s, rq->sides == 2, 0) !=
			 KEYMGR_OK)
			rq->rc = 500;
		break;
	case MEDIA_CONF_LEAVE:
		for (int sd = 0; sd < 2 && s; sd++)
			if (rq->sides & (1u << sd))
				mixer_remove(s, sd);
		break;
	default:
		mixer_free(rq->conf->mx);
		rq->conf->mx = NULL;
		break;
	}
}

static void *media_main(void *arg)
{
	struct wardd_media *m = arg;

	event_base_dispatch(m->base);
	return NULL;
}

/* Queues RQ for the media thread. WAKE: wakes it, unless a wake-up is on
 * its way already (the thread has not taken the queue since); 0: the
 * request goes with the next wake-up or sweep (within SWEEP_MS), which
 * spares a close the thread's wake-up of its own. */
static void enqueue_as(struct wardd_media *m, struct media_req *rq, int wake)
{
	uint64_t one = 1;

	rq->done = 0;
	rq->next = NULL;
	pthread_mutex_lock(&m->mu);
	if (m->tail)
		m->tail->next = rq;
	else
		m->head = rq;
	m->tail = rq;
	wake = wake && !m->woken;
	if (wake)
		m->woken = 1;
	pthread_mutex_unlock(&m->mu);
	/* An eventfd counter cannot overflow here: the thread reads it. */
	if (wake && write(m->wake_fd, &one, sizeof one) != sizeof one)
		log_warn(TAGM, "wake-up write: %s", strerror(errno));
}

static void enqueue(struct wardd_media *m, struct media_req *rq)
{
	enqueue_as(m, rq, 1);
}

/* Runs RQ on the media thread and waits for it. */
static void submit(struct wardd_media *m, struct media_req *rq)
{
	enqueue(m, rq);
	pthread_mutex_lock(&m->mu);
	while (!rq->done)
		pthread_cond_wait(&m->cv, &m->mu);
	pthread_mutex_unlock(&m->mu);
}

/* ---- the table (signaling thread) ---- */

static void leg_from(const struct sip_media_leg *in, struct keymgr_leg *out)
{
	memset(out, 0, sizeof *out);
	out->mode = in->mode == SIP_SECMODE_ENCRYPTED ? KEYMGR_MODE_ENCRYPTED
		    : in->mode == SIP_SECMODE_AUTHENTICATED
			? KEYMGR_MODE_AUTHENTICATED
			: KEYMGR_MODE_NONSECURE;
	out->transport = in->transport == SIP_TP_TLS   ? KEYMGR_TRANSPORT_TLS
			 : in->transport == SIP_TP_TCP ? KEYMGR_TRANSPORT_TCP
						       : KEYMGR_TRANSPORT_UDP;
	out->is_trunk = in->is_trunk;
}

static enum sip_level level_to_sip(enum keymgr_level l)
{
	return l == KEYMGR_LEVEL_ENCRYPTED	 ? SIP_LEVEL_ENCRYPTED
	       : l == KEYMGR_LEVEL_AUTHENTICATED ? SIP_LEVEL_AUTHENTICATED
						 : SIP_LEVEL_NONSECURE;
}

static void release(struct wardd_media *m, struct sip_media_call *call)
{
	pthread_mutex_lock(&m->mu);
	if (call->prev)
		call->prev->next = call->next;
	else
		m->open = call->next;
	if (call->next)
		call->next->prev = call->prev;
	pthread_mutex_unlock(&m->mu);
	sdpmap_call_free(call->map);
	free(call);
}

static int media_offer(void *ctx, const char *call_id,
		       const struct sip_media_leg *a,
		       const struct sip_media_leg *b, const char *sdp_a,
		       size_t len, char *out, size_t cap, size_t *out_len,
		       struct sip_media_call **callp)
{
	struct wardd_media *m = ctx;
	struct keymgr_leg legs[2];
	struct sip_media_call *call;
	char err[256];
	int rc;

	*callp = NULL;
	*out_len = 0;
	if (atomic_fetch_add(&m->calls, 1) >= m->max_calls) {
		atomic_fetch_sub(&m->calls, 1);
		/* Under overload: one line a second, not one per call. */
		if (time(NULL) != atomic_load(&m->refused_at)) {
			atomic_store(&m->refused_at, time(NULL));
			log_warn(TAGM,
				 "media.max_calls (%u) reached: calls "
				 "refused with 500 (the first %s)",
				 m->max_calls, call_id);
		}
		return 500;
	}
	call = calloc(1, sizeof *call);
	if (!call) {
		atomic_fetch_sub(&m->calls, 1);
		return 500;
	}
	call->m = m;
	snprintf(call->call_id, sizeof call->call_id, "%s", call_id);
	snprintf(call->device[0], sizeof call->device[0], "%s", a->device);
	snprintf(call->device[1], sizeof call->device[1], "%s", b->device);
	leg_from(a, &legs[0]);
	leg_from(b, &legs[1]);
	call->kleg[0] = legs[0];
	call->kleg[1] = legs[1];
	call->eor = a->encrypted_or_reject || b->encrypted_or_reject;
	rc = sdpmap_offer(&m->map, m->km, m->pool, legs, call->eor, sdp_a, len,
			  out, cap, out_len, &call->map, err, sizeof err);
	if (rc != 0) {
		/* ERR names the rule and the m-line, never SDP content. */
		log_info(TAGM, "call %s: offer refused (%d): %s", call_id, rc,
			 err);
		free(call);
		atomic_fetch_sub(&m->calls, 1);
		return rc;
	}
	pthread_mutex_lock(&m->mu);
	call->next = m->open;
	if (m->open)
		m->open->prev = call;
	m->open = call;
	pthread_mutex_unlock(&m->mu);
	*callp = call;
	return 0;
}

/* The common first answer (no session yet, no music): its sessions
 * prepared on this thread, so that errors come at once, and started on
 * the media thread without waiting for it; the requests after it for the
 * call are queued after it. 1 (*RC: 0 or the SIP status) when done so, 0
 * when the answer needs apply(). */
static int open_first(struct wardd_media *m, struct sip_media_call *call,
		      int *rc)
{
	size_t n = sdpmap_streams(call->map);

	if (call->opened)
		return 0;
	for (size_t i = 0; i < n; i++)
		for (int sd = 0; sd < 2; sd++) {
			unsigned pt;

			if (sdpmap_stream_music(call->map, i, sd, &pt))
				return 0;
		}
	*rc = 0;
	for (size_t i = 0; i < n && *rc == 0; i++)
		*rc = prepare_stream(m, call, i, &call->ready[i]);
	if (*rc != 0) {
		for (size_t i = 0; i < SDP_MAX_MEDIA; i++) {
			relay_session_free(call->ready[i]);
			call->ready[i] = NULL;
		}
		return 1;
	}
	call->opened = 1;
	call->start_rq = (struct media_req){.op = MEDIA_START, .call = call};
	enqueue(m, &call->start_rq);
	return 1;
}

/* After an answer: the relay sessions to match; on failure OUT is wiped. */
static int apply_answer(struct wardd_media *m, struct sip_media_call *call,
			char *out, size_t cap, size_t *out_len)
{
	struct media_req rq = {.op = MEDIA_APPLY, .call = call};

	if (!open_first(m, call, &rq.rc)) {
		submit(m, &rq);
		call->opened = 1;
	}
	if (rq.rc != 0) {
		OPENSSL_cleanse(out, cap);
		*out_len = 0;
	}
	return rq.rc;
}

static int media_answer(void *ctx, struct sip_media_call *call,
			const char *sdp_b, size_t len, char *out, size_t cap,
			size_t *out_len, enum sip_level *level)
{
	struct wardd_media *m = ctx;
	enum keymgr_level l;
	char err[256];
	int rc;

	rc = sdpmap_answer(call->map, sdp_b, len, out, cap, out_len, &l, err,
			   sizeof err);
	*level = level_to_sip(l);
	if (rc != 0) {
		log_info(TAGM, "answer refused (%d): %s", rc, err);
		return rc;
	}
	rc = apply_answer(m, call, out, cap, out_len);
	if (rc == 0) {
		const char *const devs[2] = {call->device[0], call->device[1]};

		log_debug(TAGM, "media relayed, level %s",
			  keymgr_level_name(l));
		/* The keys of this answer are final now. */
		wardd_capture_note(m->capture, call->call_id, devs, call->map);
	}
	return rc;
}

static int media_answer_again(void *ctx, struct sip_media_call *call,
			      const char *sdp_b, size_t len)
{
	struct wardd_media *m = ctx;
	struct media_req rq = {.op = MEDIA_APPLY, .call = call};
	char err[256];
	int rc;

	rc = sdpmap_answer_repeat(call->map, sdp_b, len, err, sizeof err);
	if (rc != 0) {
		log_info(TAGM, "call %s: final answer refused (%d): %s",
			 call->call_id, rc, err);
		return rc;
	}
	submit(m, &rq); /* a moved side's session pointed there */
	if (rq.rc == 0) {
		const char *const devs[2] = {call->device[0], call->device[1]};

		wardd_capture_note(m->capture, call->call_id, devs, call->map);
	}
	return rq.rc;
}

/* CALL's legs from now on A and B (NULL: as they were). */
static void set_legs(struct sip_media_call *call, const struct sip_media_leg *a,
		     const struct sip_media_leg *b)
{
	leg_from(a, &call->kleg[0]);
	leg_from(b, &call->kleg[1]);
	snprintf(call->device[0], sizeof call->device[0], "%s", a->device);
	snprintf(call->device[1], sizeof call->device[1], "%s", b->device);
	call->eor = a->encrypted_or_reject || b->encrypted_or_reject;
	sdpmap_set_legs(call->map, call->kleg, call->eor);
}

/* SIDE's re-offer; A and B: the call's legs now (a transfer), or NULL
 * (as they were). */
static int reoffer(struct sip_media_call *call, int side,
		   const struct sip_media_leg *a, const struct sip_media_leg *b,
		   const char *sdp, size_t len, char *out, size_t cap,
		   size_t *out_len)
{
	struct keymgr_leg kleg[2];
	char device[2][SIP_DIR_NAME_MAX];
	int eor = call->eor;
	char err[256];
	int rc;

	if (side != 'A' && side != 'B') {
		*out_len = 0;
		return 500;
	}
	memcpy(kleg, call->kleg, sizeof kleg);
	memcpy(device, call->device, sizeof device);
	if (a && b)
		set_legs(call, a, b);
	rc = sdpmap_reoffer(call->map,
			    side == 'B' ? KEYMGR_SIDE_B : KEYMGR_SIDE_A, sdp,
			    len, out, cap, out_len, err, sizeof err);
	if (rc != 0) {
		log_info(TAGM, "re-offer from %c refused (%d): %s", side, rc,
			 err);
		if (a && b) { /* the legs that were, for the call that stays */
			memcpy(call->kleg, kleg, sizeof kleg);
			memcpy(call->device, device, sizeof device);
			call->eor = eor;
			sdpmap_set_legs(call->map, kleg, eor);
		}
	}
	return rc;
}

static int media_reoffer(void *ctx, struct sip_media_call *call, int side,
			 const struct sip_media_leg *a,
			 const struct sip_media_leg *b, const char *sdp,
			 size_t len, char *out, size_t cap, size_t *out_len)
{
	(void)ctx;
	return reoffer(call, side, a, b, sdp, len, out, cap, out_len);
}

static void media_close(void *ctx, struct sip_media_call *call)
{
	struct wardd_media *m = ctx;

	if (!call)
		return;
	conf_unlink(call);
	atomic_fetch_sub(&m->calls, 1);
	/* Not waited for: the media thread closes the sockets (they hold
	 * the ports the call gives back), then wipes the keys and frees the
	 * call; this thread never touches it again. Queued in order, so a
	 * stop closes it first; no wake-up of its own: under load the next
	 * call's takes it along, else the sweep within SWEEP_MS. */
	call->close_rq =
	    (struct media_req){.op = MEDIA_CLOSE_FREE, .call = call};
	enqueue_as(m, &call->close_rq, 0);
}

/* ---- conferences (signaling thread) ---- */

/* The answer a phone would give to ward's own offer OFFER (ward's SDP to
 * the side nobody holds any more): the offer itself, one a=crypto per
 * m-line (the first, ward's key in the preferred suite) and each
 * direction mirrored (RFC 3264 6). OUT: CAP bytes; 0 or -1 (too long). */
static int echo_answer(const char *offer, char *out, size_t cap)
{
	size_t o = 0;
	int crypto_seen = 0;

	for (const char *l = offer; *l;) {
		const char *e = strchr(l, '\n');
		size_t n = e ? (size_t)(e - l) + 1 : strlen(l);
		const char *line = l, *swap = NULL;

		l += n;
		if (strncmp(line, "m=", 2) == 0)
			crypto_seen = 0;
		if (strncmp(line, "a=crypto:", 9) == 0 && crypto_seen++)
			continue;
		if (strncmp(line, "a=sendonly", 10) == 0)
			swap = "a=recvonly\r\n";
		else if (strncmp(line, "a=recvonly", 10) == 0)
			swap = "a=sendonly\r\n";
		if (swap) {
			line = swap;
			n = strlen(swap);
		}
		if (o + n + 1 > cap)
			return -1;
		memcpy(out + o, line, n);
		o += n;
	}
	out[o] = '\0';
	return 0;
}

/* Ward's offer to the side nobody holds (OFFER, LEN bytes) answered by
 * ward itself: the answer to the offering side to OUT. */
static int self_close_loop(struct wardd_media *m, struct sip_media_call *call,
			   char *offer, size_t len, char *out, size_t cap,
			   size_t *out_len, enum sip_level *level)
{
	char *echo = malloc(len + 1);
	int rc;

	if (!echo)
		return 500;
	rc = echo_answer(offer, echo, len + 1) == 0 ? 0 : 500;
	if (rc == 0)
		rc = media_answer(m, call, echo, strlen(echo), out, cap,
				  out_len, level);
	OPENSSL_cleanse(echo, len + 1);
	free(echo);
	return rc;
}

static int media_terminate(void *ctx, const char *call_id,
			   const struct sip_media_leg *a, const char *sdp_a,
			   size_t len, char *out, size_t cap, size_t *out_len,
			   struct sip_media_call **callp, enum sip_level *level)
{
	struct wardd_media *m = ctx;
	size_t bcap = len + 4096, blen = 0;
	char *offer_b = malloc(bcap);
	struct sip_media_leg self = *a;
	int rc;

	*callp = NULL;
	*out_len = 0;
	if (!offer_b)
		return 500;
	/* The far side is ward: it mirrors A, so the level is A's. */
	snprintf(self.device, sizeof self.device, "%s", "");
	rc = media_offer(m, call_id, a, &self, sdp_a, len, offer_b, bcap, &blen,
			 callp);
	if (rc == 0) {
		rc = self_close_loop(m, *callp, offer_b, blen, out, cap,
				     out_len, level);
		if (rc != 0) {
			media_close(m, *callp);
			*callp = NULL;
		}
	}
	OPENSSL_cleanse(offer_b, bcap);
	free(offer_b);
	return rc;
}

static int media_self_answer(void *ctx, struct sip_media_call *call, int side,
			     const char *sdp, size_t len, char *out, size_t cap,
			     size_t *out_len)
{
	struct wardd_media *m = ctx;
	size_t ycap = len + 4096, ylen = 0;
	char *offer_y = malloc(ycap);
	enum sip_level level;
	int rc;

	*out_len = 0;
	if (!offer_y)
		return 500;
	rc = reoffer(call, side, NULL, NULL, sdp, len, offer_y, ycap, &ylen);
	if (rc == 0)
		rc = self_close_loop(m, call, offer_y, ylen, out, cap, out_len,
				     &level);
	OPENSSL_cleanse(offer_y, ycap);
	free(offer_y);
	return rc;
}

static int media_conf_new(void *ctx, struct sip_media_conf **out)
{
	struct wardd_media *m = ctx;
	struct media_req rq = {.op = MEDIA_CONF_NEW};
	struct sip_media_conf *conf;

	*out = NULL;
	if (m->confs >= m->max_confs) {
		log_warn(TAGM, "media.max_conferences (%u) reached",
			 m->max_confs);
		return 503;
	}
	conf = calloc(1, sizeof *conf);
	if (!conf)
		return 500;
	conf->m = m;
	rq.conf = conf;
	submit(m, &rq);
	if (rq.rc != 0) {
		free(conf);
		return rq.rc;
	}
	m->confs++;
	*out = conf;
	return 0;
}

static void conf_unlink(struct sip_media_call *call)
{
	struct sip_media_conf *conf = call->conf;

	if (!conf)
		return;
	for (struct sip_media_call **p = &conf->parts; *p; p = &(*p)->conf_next)
		if (*p == call) {
			*p = call->conf_next;
			conf->n -=
			    (call->conf_sides & 1) + (call->conf_sides >> 1);
			break;
		}
	call->conf = NULL;
	call->conf_next = NULL;
	call->conf_sides = 0;
}

static int media_conf_join(void *ctx, struct sip_media_conf *conf,
			   struct sip_media_call *call, int side)
{
	struct wardd_media *m = ctx;
	struct media_req rq = {
	    .op = MEDIA_CONF_JOIN, .conf = conf, .call = call};

	rq.sides = side == 'B' ? 2u : side == 'A' ? 1u : 0u;
	/* Both sides of one call may join one conference (a barge). */
	if (!rq.sides || (call->conf && call->conf != conf) ||
	    (call->conf_sides & rq.sides))
		return 500;
	submit(m, &rq);
	if (rq.rc != 0)
		return rq.rc;
	if (!call->conf) {
		call->conf = conf;
		call->conf_next = conf->parts;
		conf->parts = call;
	}
	call->conf_sides |= rq.sides;
	conf->n++;
	return 0;
}

static void media_conf_leave(void *ctx, struct sip_media_call *call, int side)
{
	struct wardd_media *m = ctx;
	struct media_req rq = {.op = MEDIA_CONF_LEAVE, .call = call};

	if (!call || !call->conf)
		return;
	rq.sides = side == 'A' ? 1u : side == 'B' ? 2u : 3u;
	rq.sides &= call->conf_sides;
	submit(m, &rq);
	if (rq.sides == call->conf_sides) {
		conf_unlink(call);
		return;
	}
	call->conf_sides &= ~rq.sides;
	call->conf->n--;
}

/* A participant's own legs (the weaker of two after a barge): the
 * profile and transport, and whether its first stream runs SRTP. */
static enum keymgr_level part_level(const struct sip_media_call *call)
{
	struct relay_leg_config legs[2];
	enum keymgr_level out = KEYMGR_LEVEL_ENCRYPTED;
	int relayed = sdpmap_relay_legs(call->map, 0, legs);

	for (int sd = 0; sd < 2; sd++) {
		struct keymgr_leg l = call->kleg[sd];
		enum keymgr_level v;

		if (!(call->conf_sides & (1u << sd)))
			continue;
		l.media_srtp = relayed && legs[sd].srtp;
		v = keymgr_leg_level(&l);
		out = v < out ? v : out;
	}
	return out;
}

static enum sip_level media_conf_level(void *ctx, struct sip_media_conf *conf,
				       unsigned *count)
{
	enum keymgr_level l = KEYMGR_LEVEL_ENCRYPTED;

	(void)ctx;
	for (const struct sip_media_call *c = conf->parts; c;
	     c = c->conf_next) {
		enum keymgr_level p = part_level(c);
		if (p < l)
			l = p;
	}
	if (count)
		*count = conf->n;
	return conf->n ? level_to_sip(l) : SIP_LEVEL_NONSECURE;
}

static void media_conf_free(void *ctx, struct sip_media_conf *conf)
{
	struct wardd_media *m = ctx;
	struct media_req rq = {.op = MEDIA_CONF_FREE, .conf = conf};

	if (!conf)
		return;
	while (conf->parts)
		media_conf_leave(m, conf->parts, 0);
	submit(m, &rq);
	m->confs--;
	free(conf);
}

static const struct sip_media_ops media_ops = {
    .offer = media_offer,
    .answer = media_answer,
    .reoffer = media_reoffer,
    .reanswer = media_answer,
    .answer_again = media_answer_again,
    .close = media_close,
    .conf_new = media_conf_new,
    .terminate = media_terminate,
    .self_answer = media_self_answer,
    .conf_join = media_conf_join,
    .conf_leave = media_conf_leave,
    .conf_level = media_conf_level,
    .conf_free = media_conf_free,
};

void wardd_media_table(struct wardd_media *m, struct sip_media *out)
{
	out->ops = &media_ops;
	out->ctx = m;
}

unsigned wardd_media_calls(struct wardd_media *m)
{
	return atomic_load(&m->calls);
}

unsigned wardd_media_ports_used(struct wardd_media *m)
{
	struct media_req rq = {.op = MEDIA_SYNC};

	if (m->started)
		submit(m, &rq); /* the closes queued so far gave theirs back */
	return portpool_used(m->pool);
}

/* ---- start and stop ---- */

int wardd_media_new(const struct wardd_media_config *cfg,
		    struct wardd_media **out, char *errmsg, size_t errcap)
{
	struct wardd_media *m;
	char err[256];

	*out = NULL;
	m = calloc(1, sizeof *m);
	if (!m) {
		errmsg_set(errmsg, errcap, "media: out of memory");
		return -1;
	}
	m->wake_fd = -1;
	m->max_calls = cfg->max_calls;
	m->max_confs = cfg->max_conferences;
	m->conf_size = cfg->conference_size ? cfg->conference_size : 8;
	if (m->conf_size < 3 || m->conf_size > MIXER_MAX) {
		errmsg_set(errmsg, errcap, "media.conference_size: 3 to %d",
			   MIXER_MAX);
		goto err_after_alloc;
	}
	m->allow_bridge = cfg->allow_bridge;
	m->capture = cfg->capture;
	if (sdpmap_config_init(&m->map, cfg->addr) != 0) {
		errmsg_set(errmsg, errcap,
			   "media.address \"%s\" is not an IP address a "
			   "phone can send to (set media.address when "
			   "sip.listen is a wildcard)",
			   cfg->addr);
		goto err_after_alloc;
	}
	m->map.allow_bridge = cfg->allow_bridge;
	if (cfg->suites[0] &&
	    sdes_policy_parse(cfg->suites, &m->map.policy) != 0) {
		errmsg_set(errmsg, errcap,
			   "media.crypto_suites: unknown or repeated suite");
		goto err_after_alloc;
	}
	m->pool = portpool_new(cfg->port_min, cfg->port_max);
	if (!m->pool) {
		errmsg_set(errmsg, errcap,
			   "media.port_min/port_max: no even port pair in "
			   "%u-%u",
			   cfg->port_min, cfg->port_max);
		goto err_after_alloc;
	}
	if (cfg->hold_music[0]) {
		if (holdmusic_load(&m->music, cfg->hold_music, err,
				   sizeof err) != 0) {
			errmsg_set(errmsg, errcap, "media.hold_music: %s", err);
			goto err_after_pool;
		}
		m->map.music = 1;
	}
	portpool_probe_on(m->pool, &m->map.addr);
	m->km = keymgr_new(cfg->max_keys, err, sizeof err);
	if (!m->km) {
		errmsg_set(errmsg, errcap, "media: %s", err);
		goto err_after_pool;
	}
	if (pthread_mutex_init(&m->mu, NULL) != 0)
		goto err_after_km;
	if (pthread_cond_init(&m->cv, NULL) != 0)
		goto err_after_mutex;
	m->base = event_base_new();
	m->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!m->base || m->wake_fd < 0) {
		errmsg_set(errmsg, errcap, "media: event loop");
		goto err_after_base;
	}
	if (relay_new(m->base, &m->relay, err, sizeof err) != KEYMGR_OK) {
		errmsg_set(errmsg, errcap, "media: %s", err);
		goto err_after_base;
	}
	m->ev_wake =
	    event_new(m->base, m->wake_fd, EV_READ | EV_PERSIST, on_wake, m);
	m->ev_sweep = event_new(m->base, -1, EV_PERSIST, on_sweep, m);
	if (!m->ev_wake || event_add(m->ev_wake, NULL) != 0 || !m->ev_sweep ||
	    event_add(m->ev_sweep, &(struct timeval){0, SWEEP_MS * 1000}) !=
		0) {
		errmsg_set(errmsg, errcap, "media: event");
		goto err_after_relay;
	}
	if (pthread_create(&m->thread, NULL, media_main, m) != 0) {
		errmsg_set(errmsg, errcap, "media: thread");
		goto err_after_relay;
	}
	m->started = 1;
	if (!keymgr_is_locked(m->km))
		log_warn(TAGM, "key pages not locked in memory "
			       "(RLIMIT_MEMLOCK): they may be swapped");
	log_info(TAGM, "relay on %s, ports %u-%u, at most %u calls, %s",
		 cfg->addr, cfg->port_min, cfg->port_max, cfg->max_calls,
		 m->music.len ? "music on hold" : "no music on hold");
	*out = m;
	return 0;
err_after_relay:
	if (m->ev_wake)
		event_free(m->ev_wake);
	if (m->ev_sweep)
		event_free(m->ev_sweep);
	relay_free(m->relay);
err_after_base:
	if (m->wake_fd >= 0)
		close(m->wake_fd);
	if (m->base)
		event_base_free(m->base);
	pthread_cond_destroy(&m->cv);
err_after_mutex:
	pthread_mutex_destroy(&m->mu);
err_after_km:
	keymgr_free(m->km);
err_after_pool:
	holdmusic_free(&m->music);
	portpool_free(m->pool);
err_after_alloc:
	free(m);
	return -1;
}

void wardd_media_free(struct wardd_media *m)
{
	struct media_req rq = {.op = MEDIA_STOP};

	if (!m)
		return;
	if (m->started) {
		submit(m, &rq);
		pthread_join(m->thread, NULL);
	}
	if (m->open)
		log_warn(TAGM, "%u calls still open at stop: closed",
			 atomic_load(&m->calls));
	/* The thread is gone: its sessions are this thread's now. */
	while (m->open) {
		close_sessions(m->open);
		release(m, m->open);
	}
	event_free(m->ev_wake);
	event_free(m->ev_sweep);
	relay_free(m->relay); /* any session left: sockets closed, wiped */
	close(m->wake_fd);
	event_base_free(m->base);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->mu);
	keymgr_free(m->km);
	portpool_free(m->pool);
	holdmusic_free(&m->music);
	free(m);
}
