/* presence: the subscription table, SUBSCRIBE handling, events and the
 * NOTIFY flow (presence.h). */
#include "node/sip/presence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/url.h>

#include "common/log.h"
#include "node/sip/core.h"

#define TAG "sip"
#define TAG_MAX 24    /* our tag: 16 hex digits */
#define RTAG_MAX 64   /* the subscriber's tag */
#define URI_MAX 256   /* From, To, Contact URIs */
#define ROUTE_MAX 512 /* the route set */
#define BODY_MAX 4096 /* one NOTIFY body */
#define ENTITY_MAX (SIP_DIR_NAME_MAX + 80)

struct sub {
	uint8_t used, pkg, in_flight, dirty, queued, ending;
	uint32_t cseq;	      /* our last NOTIFY's */
	uint32_t remote_cseq; /* the last SUBSCRIBE's */
	uint32_t version;     /* dialog-info version */
	uint64_t expires_ms;
	uint64_t sent_ms; /* when the NOTIFY in flight left */
	int32_t next_cid, next_watcher, next_dev; /* chains, -1 ends */
	int32_t dev;
	const char *reason; /* static: why it ends */
	char call_id[SIP_PRESENCE_CALLID_MAX];
	char local_tag[TAG_MAX];
	char remote_tag[RTAG_MAX];
	char watcher[SIP_DIR_NAME_MAX];
	char target[SIP_DIR_NAME_MAX]; /* Request-URI user */
	char entity[ENTITY_MAX];
	char local_uri[URI_MAX], remote_uri[URI_MAX], contact[URI_MAX];
	char route[ROUTE_MAX];
	unsigned transport;
	struct sockaddr_storage source;
};

/* A watched device: its state and its subscriptions. */
struct dev {
	uint8_t used;
	int32_t next_name, first_sub;
	unsigned nsubs;
	char name[SIP_DIR_NAME_MAX];
	struct sip_presence_state st;
};

struct sip_presence {
	struct sip_presence_config cfg;
	const struct sip_directory *dir; /* borrowed */
	sip_presence_registered_fn registered;
	void *reg_arg;
	sip_presence_send_fn send;
	void *send_arg;
	sip_presence_watch_fn watch;
	void *watch_arg;
	struct sub *subs; /* owned, cfg.max_subs */
	struct dev *devs; /* owned, cfg.max_subs */
	/* Free slots: a list of freed ones, then the never used ones above
	 * the high-water marks (so the tables' pages are touched only as
	 * they fill). */
	int32_t free_sub, free_dev;
	size_t hw_sub, hw_dev;
	size_t nlive;
	/* Hash chains: by Call-ID, by watcher, by device name. */
	int32_t *cid_head, *watcher_head, *dev_head; /* owned */
	size_t mask;
	/* Owned: ring of sub indices, twice the table (a freed slot's entry
	 * stays until the next flush). */
	uint32_t *queue;
	size_t qcap;
	size_t qhead, qlen;
	uint64_t now_ms;
	size_t poll_next; /* the next device to look at again */
	struct sip_presence_stats stats;
};

/* Every watched device's registered state is looked at again within this
 * many ticks (seconds): registrations on other nodes come only so. */
#define POLL_TICKS 5
/* A NOTIFY unanswered this long lost its transaction (nta gives 408
 * after 32 s; a transaction dropped with its agent gives nothing): the
 * subscription ends. */
#define IN_FLIGHT_MAX_MS 64000

void sip_presence_config_defaults(struct sip_presence_config *cfg)
{
	*cfg = (struct sip_presence_config){
	    .max_subs = 10000,
	    .max_per_watcher = 64,
	    .min_expires = 60,
	    .max_expires = 3600,
	    .default_expires = 3600,
	};
}

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

int sip_presence_new(const struct sip_presence_config *cfg,
		     const struct sip_directory *dir,
		     sip_presence_registered_fn registered, void *arg,
		     struct sip_presence **out)
{
	struct sip_presence *p = calloc(1, sizeof *p);
	size_t nb = 16, n;

	if (!p)
		return -1;
	p->cfg = *cfg;
	if (!p->cfg.max_subs)
		p->cfg.max_subs = 1;
	n = p->cfg.max_subs;
	while (nb < n)
		nb <<= 1;
	p->mask = nb - 1;
	p->dir = dir;
	p->registered = registered;
	p->reg_arg = arg;
	p->subs = calloc(n, sizeof *p->subs);
	p->devs = calloc(n, sizeof *p->devs);
	p->qcap = 2 * n;
	p->queue = calloc(p->qcap, sizeof *p->queue);
	p->cid_head = malloc(nb * sizeof *p->cid_head);
	p->watcher_head = malloc(nb * sizeof *p->watcher_head);
	p->dev_head = malloc(nb * sizeof *p->dev_head);
	if (!p->subs || !p->devs || !p->queue || !p->cid_head ||
	    !p->watcher_head || !p->dev_head) {
		sip_presence_free(p);
		return -1;
	}
	for (size_t i = 0; i < nb; i++)
		p->cid_head[i] = p->watcher_head[i] = p->dev_head[i] = -1;
	p->free_sub = p->free_dev = -1;
	*out = p;
	return 0;
}

void sip_presence_free(struct sip_presence *p)
{
	if (!p)
		return;
	free(p->subs);
	free(p->devs);
	free(p->queue);
	free(p->cid_head);
	free(p->watcher_head);
	free(p->dev_head);
	free(p);
}

void sip_presence_set_sender(struct sip_presence *p, sip_presence_send_fn send,
			     void *arg)
{
	p->send = send;
	p->send_arg = arg;
}

void sip_presence_set_watch(struct sip_presence *p, sip_presence_watch_fn fn,
			    void *arg)
{
	p->watch = fn;
	p->watch_arg = arg;
}

void sip_presence_stats(const struct sip_presence *p,
			struct sip_presence_stats *out)
{
	*out = p->stats;
	out->subscriptions = p->nlive;
}

/* ---- the table --------------------------------------------------------- */

/* Removes IDX from the chain starting at *HEAD linked through the field
 * at OFF. */
static void unlink_from(struct sip_presence *p, int32_t *head, int32_t idx,
			size_t off)
{
	for (int32_t *at = head; *at >= 0;
	     at = (int32_t *)((char *)&p->subs[*at] + off)) {
		if (*at == idx) {
			*at = *(int32_t *)((char *)&p->subs[idx] + off);
			return;
		}
	}
}

static int32_t dev_find(struct sip_presence *p, const char *name)
{
	for (int32_t i = p->dev_head[hash(name) & p->mask]; i >= 0;
	     i = p->devs[i].next_name)
		if (strcmp(p->devs[i].name, name) == 0)
			return i;
	return -1;
}

/* A free slot of the subscriptions or the devices, or -1. */
static int32_t slot_take(int32_t *free_list, size_t *hw, size_t max,
			 const int32_t *next_of_head)
{
	int32_t i = *free_list;

	if (i >= 0) {
		*free_list = *next_of_head;
		return i;
	}
	return *hw < max ? (int32_t)(*hw)++ : -1;
}

static int room(const struct sip_presence *p)
{
	return (p->free_sub >= 0 || p->hw_sub < p->cfg.max_subs) &&
	       (p->free_dev >= 0 || p->hw_dev < p->cfg.max_subs);
}

static int32_t dev_get(struct sip_presence *p, const char *name)
{
	int32_t i = dev_find(p, name);
	struct dev *d;
	size_t b;

	if (i >= 0)
		return i;
	i = slot_take(&p->free_dev, &p->hw_dev, p->cfg.max_subs,
		      p->free_dev >= 0 ? &p->devs[p->free_dev].next_name
				       : NULL);
	if (i < 0)
		return -1;
	d = &p->devs[i];
	memset(d, 0, sizeof *d);
	d->used = 1;
	d->first_sub = -1;
	snprintf(d->name, sizeof d->name, "%s", name);
	d->st.registered = p->registered ? p->registered(p->reg_arg, name) : 0;
	b = hash(name) & p->mask;
	d->next_name = p->dev_head[b];
	p->dev_head[b] = i;
	return i;
}

static void dev_put(struct sip_presence *p, int32_t i)
{
	struct dev *d = &p->devs[i];
	int32_t *at = &p->dev_head[hash(d->name) & p->mask];

	if (--d->nsubs > 0)
		return;
	for (; *at >= 0; at = &p->devs[*at].next_name) {
		if (*at == i) {
			*at = d->next_name;
			break;
		}
	}
	d->used = 0;
	d->next_name = p->free_dev;
	p->free_dev = i;
}

static void sub_free(struct sip_presence *p, int32_t idx)
{
	struct sub *s = &p->subs[idx];
	struct dev *d = &p->devs[s->dev];

	unlink_from(p, &p->cid_head[hash(s->call_id) & p->mask], idx,
		    offsetof(struct sub, next_cid));
	unlink_from(p, &p->watcher_head[hash(s->watcher) & p->mask], idx,
		    offsetof(struct sub, next_watcher));
	unlink_from(p, &d->first_sub, idx, offsetof(struct sub, next_dev));
	dev_put(p, s->dev);
	/* A queued index of a freed slot is skipped by flush (not used);
	 * reused, it is sent once more: harmless, full state. */
	s->used = 0;
	s->next_cid = p->free_sub;
	p->free_sub = idx;
	p->nlive--;
	p->stats.ended++;
}

static unsigned watcher_count(struct sip_presence *p, const char *watcher)
{
	unsigned n = 0;

	for (int32_t i = p->watcher_head[hash(watcher) & p->mask]; i >= 0;
	     i = p->subs[i].next_watcher)
		n += strcmp(p->subs[i].watcher, watcher) == 0;
	return n;
}

/* The subscription of a dialog: Call-ID, our tag (NULL: any, for an
 * initial SUBSCRIBE sent again) and the subscriber's tag. */
static int32_t sub_find(struct sip_presence *p, const char *call_id,
			const char *local_tag, const char *remote_tag)
{
	for (int32_t i = p->cid_head[hash(call_id) & p->mask]; i >= 0;
	     i = p->subs[i].next_cid) {
		const struct sub *s = &p->subs[i];

		if (strcmp(s->call_id, call_id) == 0 &&
		    strcmp(s->remote_tag, remote_tag) == 0 &&
		    (!local_tag || strcmp(s->local_tag, local_tag) == 0))
			return i;
	}
	return -1;
}

static void queue_sub(struct sip_presence *p, int32_t idx)
{
	struct sub *s = &p->subs[idx];

	if (s->in_flight) {
		s->dirty = 1;
		return;
	}
	if (s->queued || p->qlen == p->qcap)
		return;
	s->queued = 1;
	p->queue[(p->qhead + p->qlen++) % p->qcap] = (uint32_t)idx;
}

/* ---- replies ------------------------------------------------------------ */

static void reply(struct sip_reply *out, int status, const char *phrase)
{
	out->status = status;
	out->phrase = phrase;
}

static void reply_hdr(struct sip_reply *out, const char *name, unsigned v)
{
	if (out->nhdr < SIP_REPLY_HDRS)
		snprintf(out->hdr[out->nhdr++], sizeof out->hdr[0], "%s: %u",
			 name, v);
}

static void reply_ok(struct sip_presence *p, const struct sub *s,
		     struct sip_reply *out)
{
	uint64_t left = s->ending || s->expires_ms <= p->now_ms
			    ? 0
			    : (s->expires_ms - p->now_ms + 999) / 1000;

	reply(out, 200, "OK");
	reply_hdr(out, "Expires", (unsigned)left);
	snprintf(out->to_tag, sizeof out->to_tag, "%s", s->local_tag);
}

/* URL as text into OUT (CAP); -1 if it does not fit. */
static int url_text(const url_t *u, char *out, size_t cap)
{
	isize_t n = u ? url_e(out, (isize_t)cap, u) : -1;

	if (n < 0 || (size_t)n >= cap)
		return -1;
	out[n] = '\0';
	return 0;
}

/* The route set of a UAS: the Record-Route values in order (RFC 3261
 * 12.1.1). */
static int route_text(const sip_t *sip, char *out, size_t cap)
{
	size_t o = 0;
	unsigned n = 0;

	out[0] = '\0';
	for (const sip_record_route_t *r = sip->sip_record_route; r;
	     r = r->r_next, n++) {
		char uri[URI_MAX];
		int w;

		if (n >= 8 || url_text(r->r_url, uri, sizeof uri) != 0)
			return -1;
		w = snprintf(out + o, cap - o, "%s<%s>", o ? ", " : "", uri);
		if (w < 0 || (size_t)w >= cap - o)
			return -1;
		o += (size_t)w;
	}
	return 0;
}

static int copy_bounded(char *out, size_t cap, const char *s)
{
	size_t n = s ? strnlen(s, cap) : cap;

	if (n == 0 || n >= cap)
		return -1;
	memcpy(out, s, n + 1);
	return 0;
}

/* ---- SUBSCRIBE ---------------------------------------------------------- */

static int package_of(const sip_t *sip, enum sip_presence_package *pkg)
{
	const char *t = sip->sip_event ? sip->sip_event->o_type : NULL;

	if (!t)
		return -1;
	if (strcasecmp(t, "presence") == 0)
		*pkg = SIP_PRESENCE_PKG_PRESENCE;
	else if (strcasecmp(t, "dialog") == 0)
		*pkg = SIP_PRESENCE_PKG_DIALOG;
	else
		return -1;
	return 0;
}

/* A SUBSCRIBE inside an existing subscription from PEER: refresh or
 * unsubscribe. */
static void refresh(struct sip_presence *p, const sip_t *sip,
		    const char *watcher, const struct sip_peer *peer,
		    enum sip_presence_package pkg, unsigned expires,
		    struct sip_reply *out)
{
	int32_t idx = sub_find(p, sip->sip_call_id->i_id, sip->sip_to->a_tag,
			       sip->sip_from->a_tag);
	uint32_t cseq = sip->sip_cseq->cs_seq;
	char contact[URI_MAX];
	struct sub *s;

	if (idx < 0 || p->subs[idx].pkg != pkg) {
		reply(out, 481, "Subscription Does Not Exist");
		return;
	}
	s = &p->subs[idx];
	if (strcmp(s->watcher, watcher) != 0) {
		reply(out, 403, "Forbidden");
		p->stats.refused++;
		return;
	}
	if (cseq == s->remote_cseq) {
		reply_ok(p, s, out); /* the same request again */
		return;
	}
	if (s->ending) {
		reply(out, 481, "Subscription Does Not Exist");
		return;
	}
	if (cseq < s->remote_cseq) {
		reply(out, 500, "Out of Order");
		return;
	}
	if (expires && expires < p->cfg.min_expires) {
		reply(out, 423, "Interval Too Brief");
		reply_hdr(out, "Min-Expires", p->cfg.min_expires);
		return;
	}
	if (sip->sip_contact &&
	    url_text(sip->sip_contact->m_url, contact, sizeof contact)) {
		reply(out, 400, "Contact Too Long");
		return;
	}
	/* A target refresh, perhaps over a new connection. */
	if (sip->sip_contact)
		memcpy(s->contact, contact, sizeof contact);
	if (peer) {
		s->transport = peer->transport;
		s->source = peer->addr;
	}
	s->remote_cseq = cseq;
	if (expires == 0) {
		s->ending = 1;
		s->reason = "timeout";
	} else {
		s->expires_ms = p->now_ms + (uint64_t)expires * 1000;
		if (p->watch)
			p->watch(p->watch_arg, p->devs[s->dev].name);
	}
	reply_ok(p, s, out);
	/* The current state follows every accepted SUBSCRIBE (RFC 6665
	 * 4.2.1.2), a final one for an unsubscribe. */
	queue_sub(p, idx);
}

/* Fills the new subscription S from SIP; 0, or -1 with the 400 set. */
static int fill_sub(struct sub *s, const sip_t *sip, const char *watcher,
		    const char *target, struct sip_reply *out)
{
	const url_t *ru = sip->sip_request->rq_url;

	if (copy_bounded(s->call_id, sizeof s->call_id,
			 sip->sip_call_id->i_id) ||
	    copy_bounded(s->remote_tag, sizeof s->remote_tag,
			 sip->sip_from->a_tag)) {
		reply(out, 400, "Bad Call-ID or From Tag");
		return -1;
	}
	if (!sip->sip_contact ||
	    url_text(sip->sip_contact->m_url, s->contact, sizeof s->contact) ||
	    url_text(sip->sip_from->a_url, s->remote_uri,
		     sizeof s->remote_uri) ||
	    url_text(sip->sip_to->a_url, s->local_uri, sizeof s->local_uri) ||
	    route_text(sip, s->route, sizeof s->route)) {
		reply(out, 400, "Bad Contact, From, To or Record-Route");
		return -1;
	}
	if (!ru->url_host || strlen(ru->url_host) >= ENTITY_MAX - 80) {
		reply(out, 400, "Bad Request-URI");
		return -1;
	}
	snprintf(s->entity, sizeof s->entity, "sip:%s@%s", target,
		 ru->url_host);
	snprintf(s->watcher, sizeof s->watcher, "%s", watcher);
	snprintf(s->target, sizeof s->target, "%s", target);
	return 0;
}

static void new_tag(char out[TAG_MAX])
{
	uint8_t r[8];

	if (RAND_bytes(r, sizeof r) != 1)
		memset(r, 0, sizeof r); /* a tag need not be secret */
	for (int i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

void sip_presence_subscribe(struct sip_presence *p, const sip_t *sip,
			    const char *watcher, const struct sip_peer *peer,
			    uint64_t now_ms, struct sip_reply *out)
{
	const char *target = sip->sip_request->rq_url->url_user;
	enum sip_presence_package pkg;
	unsigned expires = p->cfg.default_expires;
	struct sip_device dev;
	struct sub *s;
	int32_t idx, d;
	size_t b;
	int r;

	p->now_ms = now_ms;
	watcher = watcher ? watcher : "";
	if (package_of(sip, &pkg) != 0) {
		reply(out, 489, "Bad Event");
		if (out->nhdr < SIP_REPLY_HDRS)
			snprintf(out->hdr[out->nhdr++], sizeof out->hdr[0],
				 "Allow-Events: presence, dialog");
		return;
	}
	if (!sip->sip_from->a_tag ||
	    strlen(sip->sip_call_id->i_id) >= SIP_PRESENCE_CALLID_MAX) {
		reply(out, 400, "Bad Call-ID or From Tag");
		return;
	}
	if (sip->sip_expires)
		expires = sip->sip_expires->ex_delta;
	if (expires > p->cfg.max_expires)
		expires = p->cfg.max_expires;
	if (sip->sip_to->a_tag) {
		refresh(p, sip, watcher, peer, pkg, expires, out);
		return;
	}
	/* The initial SUBSCRIBE again (a stateless agent sees every
	 * retransmission): the same answer. */
	idx = sub_find(p, sip->sip_call_id->i_id, NULL, sip->sip_from->a_tag);
	if (idx >= 0 && p->subs[idx].remote_cseq == sip->sip_cseq->cs_seq &&
	    strcmp(p->subs[idx].watcher, watcher) == 0) {
		reply_ok(p, &p->subs[idx], out);
		return;
	}
	if (expires && expires < p->cfg.min_expires) {
		reply(out, 423, "Interval Too Brief");
		reply_hdr(out, "Min-Expires", p->cfg.min_expires);
		return;
	}
	if (!target || !*target || strlen(target) >= SIP_DIR_NAME_MAX) {
		reply(out, 404, "Not Found");
		return;
	}
	r = p->dir->ops->device_by_name(p->dir->ctx, target, &dev);
	if (r < 0) {
		reply(out, 503, "Service Unavailable");
		return;
	}
	if (r != 0 || dev.is_trunk) {
		reply(out, 404, "Not Found");
		return;
	}
	r = sip_presence_authorize(p->dir, watcher, &dev);
	if (r < 0) {
		reply(out, 503, "Service Unavailable");
		return;
	}
	if (r == 0) {
		log_info(TAG,
			 "SUBSCRIBE (%s) from %s to %s refused: the presence "
			 "groups do not permit it",
			 pkg == SIP_PRESENCE_PKG_PRESENCE ? "presence"
							  : "dialog",
			 watcher[0] ? watcher : "(no user)", target);
		reply(out, 403, "Forbidden");
		p->stats.refused++;
		return;
	}
	if (!sip_presence_accepts(sip->sip_accept, pkg)) {
		reply(out, 406, "Not Acceptable");
		return;
	}
	if (!p->send) {
		reply(out, 480, "Temporarily Unavailable");
		return;
	}
	if (!room(p) || watcher_count(p, watcher) >= p->cfg.max_per_watcher) {
		log_warn(TAG,
			 "SUBSCRIBE from %s to %s refused: %s subscriptions",
			 watcher[0] ? watcher : "(no user)", target,
			 !room(p) ? "the node holds its maximum of"
				  : "the watcher holds its maximum of");
		reply(out, 503, "Too Many Subscriptions");
		return;
	}
	idx =
	    slot_take(&p->free_sub, &p->hw_sub, p->cfg.max_subs,
		      p->free_sub >= 0 ? &p->subs[p->free_sub].next_cid : NULL);
	s = &p->subs[idx];
	memset(s, 0, sizeof *s);
	if (fill_sub(s, sip, watcher, target, out) != 0 ||
	    (d = dev_get(p, dev.name)) < 0) {
		s->next_cid = p->free_sub; /* back to the free list */
		p->free_sub = idx;
		return;
	}
	s->used = 1;
	s->pkg = (uint8_t)pkg;
	s->dev = d;
	s->remote_cseq = sip->sip_cseq->cs_seq;
	s->expires_ms = now_ms + (uint64_t)expires * 1000;
	s->transport = peer ? peer->transport : SIP_TP_UDP;
	if (peer)
		s->source = peer->addr;
	if (expires == 0) {
		s->ending = 1; /* a fetch: one NOTIFY, then gone */
		s->reason = "timeout";
	}
	new_tag(s->local_tag);
	b = hash(s->call_id) & p->mask;
	s->next_cid = p->cid_head[b];
	p->cid_head[b] = idx;
	b = hash(s->watcher) & p->mask;
	s->next_watcher = p->watcher_head[b];
	p->watcher_head[b] = idx;
	s->next_dev = p->devs[d].first_sub;
	p->devs[d].first_sub = idx;
	p->devs[d].nsubs++;
	p->nlive++;
	p->stats.accepted++;
	reply_ok(p, s, out);
	queue_sub(p, idx);
	if (p->watch)
		p->watch(p->watch_arg, p->devs[d].name);
}

/* ---- events ------------------------------------------------------------- */

static void apply_call(struct sip_presence_state *st,
		       const struct sip_dialog_event *ev)
{
	struct sip_presence_dialog *dl = NULL;
	unsigned n = 0;

	/* Dialogs reported ended once are forgotten at the next event. */
	for (unsigned i = 0; i < st->ndialogs; i++)
		if (st->dialogs[i].state != SIP_DLG_TERMINATED)
			st->dialogs[n++] = st->dialogs[i];
	st->ndialogs = n;
	if (!ev->call_id || !ev->call_id[0])
		return;
	for (unsigned i = 0; i < st->ndialogs; i++)
		if (strcmp(st->dialogs[i].call_id, ev->call_id) == 0)
			dl = &st->dialogs[i];
	if (!dl) {
		if (ev->state == SIP_DLG_TERMINATED ||
		    st->ndialogs == SIP_PRESENCE_DIALOGS)
			return;
		dl = &st->dialogs[st->ndialogs++];
		memset(dl, 0, sizeof *dl);
		snprintf(dl->call_id, sizeof dl->call_id, "%s", ev->call_id);
	}
	dl->state = ev->state;
	dl->initiator = ev->initiator;
	snprintf(dl->peer, sizeof dl->peer, "%s", ev->peer ? ev->peer : "");
}

void sip_presence_on_event(struct sip_presence *p,
			   const struct sip_dialog_event *ev)
{
	int32_t d;
	struct dev *dv;

	if (!ev || !ev->device || (d = dev_find(p, ev->device)) < 0)
		return; /* nobody watches it */
	dv = &p->devs[d];
	switch (ev->state) {
	case SIP_DLG_REGISTERED:
		dv->st.registered = 1;
		break;
	case SIP_DLG_UNREGISTERED:
		/* Gone from here; another node may hold it now. */
		dv->st.registered =
		    p->registered ? p->registered(p->reg_arg, dv->name) : 0;
		if (!dv->st.registered)
			dv->st.ndialogs = 0;
		break;
	default:
		apply_call(&dv->st, ev);
		break;
	}
	for (int32_t i = dv->first_sub; i >= 0; i = p->subs[i].next_dev)
		queue_sub(p, i);
	/* At once: events come from the registrar and from the B2BUA's
	 * transactions, outside any SUBSCRIBE's answer. */
	sip_presence_flush(p);
}

/* ---- NOTIFY ------------------------------------------------------------- */

static void send_notify(struct sip_presence *p, int32_t idx)
{
	struct sub *s = &p->subs[idx];
	const struct sip_presence_state *st = &p->devs[s->dev].st;
	char body[BODY_MAX], state[64], from[URI_MAX + TAG_MAX + 8],
	    to[URI_MAX + RTAG_MAX + 8];
	struct sip_presence_notify n = {0};
	int len;

	if (s->pkg == SIP_PRESENCE_PKG_PRESENCE)
		len = sip_presence_pidf(s->entity, st, body, sizeof body);
	else
		len = sip_presence_dialog_info(s->entity, s->version++, st,
					       body, sizeof body);
	if (s->ending)
		snprintf(state, sizeof state, "terminated;reason=%s",
			 s->reason ? s->reason : "noresource");
	else
		snprintf(state, sizeof state, "active;expires=%llu",
			 (unsigned long long)(s->expires_ms > p->now_ms
						  ? (s->expires_ms - p->now_ms +
						     999) /
							1000
						  : 0));
	snprintf(from, sizeof from, "<%s>;tag=%s", s->local_uri, s->local_tag);
	snprintf(to, sizeof to, "<%s>;tag=%s", s->remote_uri, s->remote_tag);
	n.request_uri = s->contact;
	n.route = s->route;
	n.call_id = s->call_id;
	n.from = from;
	n.to = to;
	n.cseq = ++s->cseq;
	n.event = s->pkg == SIP_PRESENCE_PKG_PRESENCE ? "presence" : "dialog";
	n.state = state;
	if (len >= 0) {
		n.content_type = s->pkg == SIP_PRESENCE_PKG_PRESENCE
				     ? "application/pidf+xml"
				     : "application/dialog-info+xml";
		n.body = body;
		n.body_len = (size_t)len;
	}
	n.transport = s->transport;
	n.source = &s->source;
	s->dirty = 0;
	if (p->send(p->send_arg, &n) != 0) {
		p->stats.notify_failures++;
		sub_free(p, idx);
		return;
	}
	s->in_flight = 1;
	s->sent_ms = p->now_ms;
	p->stats.notifies++;
}

void sip_presence_flush(struct sip_presence *p)
{
	while (p->qlen > 0) {
		int32_t idx = (int32_t)p->queue[p->qhead];
		struct sub *s = &p->subs[idx];

		p->qhead = (p->qhead + 1) % p->qcap;
		p->qlen--;
		s->queued = 0;
		if (!s->used)
			continue;
		if (s->in_flight) {
			s->dirty = 1;
			continue;
		}
		if (p->send)
			send_notify(p, idx);
	}
}

void sip_presence_on_response(struct sip_presence *p, const char *call_id,
			      uint32_t cseq, int status)
{
	int32_t idx = -1;

	if (!call_id || status < 200)
		return;
	for (int32_t i = p->cid_head[hash(call_id) & p->mask]; i >= 0;
	     i = p->subs[i].next_cid) {
		const struct sub *s = &p->subs[i];

		if (s->in_flight && s->cseq == cseq &&
		    strcmp(s->call_id, call_id) == 0) {
			idx = i;
			break;
		}
	}
	if (idx < 0)
		return;
	p->subs[idx].in_flight = 0;
	if (status >= 300) {
		log_info(TAG,
			 "subscription of %s to %s ended: NOTIFY answered %d",
			 p->subs[idx].watcher, p->subs[idx].target, status);
		p->stats.notify_failures++;
		sub_free(p, idx);
		return;
	}
	if (p->subs[idx].ending)
		sub_free(p, idx);
	else if (p->subs[idx].dirty)
		queue_sub(p, idx);
}

/* A slice of the watched devices: registered elsewhere, or no longer? */
static void poll_devices(struct sip_presence *p)
{
	size_t n = (p->hw_dev + POLL_TICKS - 1) / POLL_TICKS;

	for (size_t k = 0; k < n && p->hw_dev > 0; k++) {
		size_t i = p->poll_next++ % p->hw_dev;
		struct dev *d = &p->devs[i];
		int reg;

		if (!d->used || !p->registered)
			continue;
		if (p->watch)
			p->watch(p->watch_arg, d->name);
		reg = p->registered(p->reg_arg, d->name) ? 1 : 0;
		if (reg == d->st.registered)
			continue;
		d->st.registered = reg;
		if (!reg)
			d->st.ndialogs = 0;
		for (int32_t s = d->first_sub; s >= 0; s = p->subs[s].next_dev)
			queue_sub(p, s);
	}
}

void sip_presence_tick(struct sip_presence *p, uint64_t now_ms)
{
	p->now_ms = now_ms;
	poll_devices(p);
	for (size_t i = 0; i < p->hw_sub; i++) {
		struct sub *s = &p->subs[i];

		if (s->used && s->in_flight &&
		    now_ms > s->sent_ms + IN_FLIGHT_MAX_MS) {
			log_info(TAG,
				 "subscription of %s to %s ended: NOTIFY "
				 "never answered",
				 s->watcher, s->target);
			p->stats.notify_failures++;
			sub_free(p, (int32_t)i);
			continue;
		}
		if (!s->used || s->ending || s->expires_ms > now_ms)
			continue;
		s->ending = 1;
		s->reason = "timeout";
		queue_sub(p, (int32_t)i);
	}
}
