/* call_conf: the ad hoc conference and barge of the B2BUA (docs/sip.md,
 * "Conference and barge"). A device dials the conference factory number
 * (sip.conference_number): ward answers it itself and opens a conference
 * the device owns. A blind transfer (REFER) by the owner, in another of
 * its calls, to the factory number puts the transferee into the owner's
 * conference instead of placing a call: its leg already relays through
 * ward, so no new offer is made; the transferor's dialog ends as after a
 * blind transfer. A barge (INVITE with Join) by a device sharing the line
 * of a device in a call puts both sides of that call and the barger in a
 * conference. Each participant is one side of a call (c->parts); the
 * media table mixes them. The conference's level is its weakest
 * participant's, told to each in an UPDATE whenever it changes; it ends
 * when fewer than two remain (after two were in it). A participant may be
 * a node leg (its phone on another member, whose relay feeds the mixer
 * here): the member relays the level to its phone and its word on its
 * side caps the conference's. A Join naming another member's dialog is
 * placed through that member (docs/sip.md, "Across nodes"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

struct call;
#define NTA_LEG_MAGIC_T struct call
#define NTA_INCOMING_MAGIC_T struct call
#define NTA_OUTGOING_MAGIC_T struct call

#include <sofia-sip/nta.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>

#include "common/log.h"
#include "node/sip/call.h"
#include "node/sip/call_join.h"

#define TAG "sip"
#include "node/sip/call_int.h"

struct call_conf {
	struct sip_calls *cs;
	struct sip_media_conf *mc;    /* owned by the media table */
	char owner[SIP_DIR_NAME_MAX]; /* "": a barge's, nobody's */
	unsigned n;		      /* participants */
	int had_two; /* the conference ends below two from then on */
	int ending;  /* being torn down: nested frees leave it alone */
	enum sip_level level;
	struct call_conf *next;
};

#define PART(c, s) ((s) == &(c)->a ? 1u : 2u)

static const struct sip_media_ops *ops(const struct sip_calls *cs)
{
	const struct sip_media *m = cs->env.media;
	return m && m->ops && m->ops->conf_new ? m->ops : NULL;
}

int call_conf_factory(const struct sip_calls *cs, const char *number)
{
	return cs->cfg.conference_number[0] && number &&
	       strcmp(number, cs->cfg.conference_number) == 0;
}

static struct call_conf *conf_of_owner(struct sip_calls *cs, const char *dev)
{
	for (struct call_conf *f = cs->confs; f; f = f->next)
		if (!f->ending && f->owner[0] && strcmp(f->owner, dev) == 0)
			return f;
	return NULL;
}

static const char *conf_name(const struct call_conf *f)
{
	return f->owner[0] ? f->owner : "a barge";
}

/* The conference's level: its weakest participant's as the mixer judges
 * the legs here, and for a participant on a node leg no better than the
 * member's word on its own side (its Call-Info, docs/sip.md "Calls
 * between nodes"). */
static enum sip_level conf_level_now(const struct call_conf *f)
{
	const struct sip_media *m = f->cs->env.media;
	enum sip_level l = m->ops->conf_level(m->ctx, f->mc, NULL);

	for (const struct call *c = f->cs->head; c; c = c->next) {
		if (c->conf != f)
			continue;
		for (unsigned bit = 1; bit <= 2; bit <<= 1) {
			const struct side *s = bit == 1 ? &c->a : &c->b;

			if ((c->parts & bit) && s->node.agent &&
			    s->node.asserted && s->node.level < l)
				l = s->node.level;
		}
	}
	return l;
}

static void conf_tell(struct call_conf *f, struct call *force);

/* The member's answer to the UPDATE telling its node leg the level: its
 * own word on its side, which may lower the conference's. */
static int on_member_told(struct call *c, nta_outgoing_t *orq, sip_t const *sip)
{
	int status = sip && sip->sip_status ? sip->sip_status->st_status : 408;
	struct side *s = c->told_to;
	enum sip_level told;
	int heard;

	if (status < 200)
		return 0;
	/* Read before the transaction (and the answer with it) goes. */
	heard = status < 300 && sip_call_node_told(sip, &told) == 0;
	nta_outgoing_destroy(orq);
	c->told_orq = NULL;
	c->told_to = NULL;
	if (!heard || !s || !c->conf)
		return 0;
	s->node.asserted = 1;
	s->node.level = told;
	conf_tell(c->conf, NULL);
	return 0;
}

/* Side S of C, a participant, hears the level: a phone in an UPDATE; a
 * node leg too, its member relaying it to its phone (with its own side
 * weighed) and answering with its word. */
static void tell_part(struct call *c, struct side *s, const char *info)
{
	if (!s->node.agent) {
		send_req(c, s, sip_method_update, "UPDATE", 0, NULL, info);
		return;
	}
	if (c->told_orq)
		nta_outgoing_destroy(c->told_orq);
	c->told_to = s;
	c->told_orq = nta_outgoing_tcreate(
	    s->leg, on_member_told, c, URL_STRING_MAKE(s->flow),
	    SIP_METHOD_UPDATE, NULL, SIPTAG_CONTACT_STR(s->contact),
	    SIPTAG_CALL_INFO_STR(info), TAG_END());
}

/* The conference's level now; each participant told when it changed (or
 * when FORCE names a call that joined). */
static void conf_tell(struct call_conf *f, struct call *force)
{
	enum sip_level l = conf_level_now(f);
	char info[96];

	if (l != f->level)
		log_info(TAG, "conference of %s: %u parties, security level %s",
			 conf_name(f), f->n, sip_level_name(l));
	f->level = l;
	for (struct call *c = f->cs->head; c; c = c->next) {
		if (c->conf != f || (c->level == l && c != force))
			continue;
		c->level = l;
		level_hdr(c, info, sizeof info);
		if (c->parts & 1u)
			tell_part(c, &c->a, info);
		if (c->parts & 2u)
			tell_part(c, &c->b, info);
	}
}

static struct call_conf *conf_alloc(struct sip_calls *cs, const char *owner)
{
	const struct sip_media *m = cs->env.media;
	struct call_conf *f = calloc(1, sizeof *f);

	if (!f)
		return NULL;
	f->cs = cs;
	snprintf(f->owner, sizeof f->owner, "%s", owner);
	if (m->ops->conf_new(m->ctx, &f->mc) != 0) {
		free(f);
		return NULL;
	}
	f->next = cs->confs;
	cs->confs = f;
	return f;
}

static void conf_free(struct call_conf *f)
{
	const struct sip_media *m = f->cs->env.media;

	for (struct call_conf **p = &f->cs->confs; *p; p = &(*p)->next)
		if (*p == f) {
			*p = f->next;
			break;
		}
	m->ops->conf_free(m->ctx, f->mc);
	free(f);
}

/* C's side PART joins F: the media mixes it from now on. 0 or the
 * status to refuse with. */
static int conf_add(struct call_conf *f, struct call *c, struct side *part)
{
	const struct sip_media *m = f->cs->env.media;
	int rc = m->ops->conf_join(m->ctx, f->mc, c->media,
				   part == &c->a ? 'A' : 'B');

	if (rc != 0)
		return rc;
	c->conf = f;
	c->parts |= PART(c, part);
	c->se_s = 0; /* ward answers refreshes itself now */
	if (f->owner[0])
		snprintf(c->number, sizeof c->number, "%s",
			 f->cs->cfg.conference_number);
	if (++f->n >= 2)
		f->had_two = 1;
	return 0;
}

/* Ward answers the INVITE of C's caller itself (a factory call or a
 * barge): the media terminated, *LEVEL that leg's. */
static int answer_self(struct call *c, const sip_t *sip, char **out,
		       size_t *cap, enum sip_level *level)
{
	const struct sip_media *m = c->cs->env.media;
	struct sip_media_leg la;
	size_t len = 0;

	*cap = sip->sip_payload->pl_len + 4096;
	*out = malloc(*cap);
	if (!*out)
		return 500;
	media_leg(&c->a, &la);
	return m->ops->terminate(
	    m->ctx, c->call_id, &la, sip->sip_payload->pl_data,
	    sip->sip_payload->pl_len, *out, *cap, &len, &c->media, level);
}

static void reply_self(struct call *c, char *out, size_t cap)
{
	char info[96];

	c->b_acked = 1; /* nobody on B's side */
	c->state = CALL_ANSWERED;
	c->answered_ms = wall_ms();
	level_hdr(c, info, sizeof info);
	nta_incoming_treply(c->irq_a, SIP_200_OK,
			    SIPTAG_CONTACT_STR(c->a.contact),
			    SIPTAG_ALLOW_STR(ALLOW), SIPTAG_CALL_INFO_STR(info),
			    SIPTAG_CONTENT_TYPE_STR("application/sdp"),
			    SIPTAG_PAYLOAD_STR(out), TAG_END());
	OPENSSL_cleanse(out, cap);
	free(out);
}

int call_conf_start(struct call *c, const sip_t *sip)
{
	struct sip_calls *cs = c->cs;
	struct call_conf *f;
	enum sip_level level;
	size_t cap = 0;
	char *out = NULL;
	int rc;

	if (!ops(cs))
		return 503;
	if (!is_sdp(sip))
		return 488; /* ward answers: it needs the phone's offer */
	if (conf_of_owner(cs, c->a.dev.name))
		return 486; /* one conference per owner */
	rc = answer_self(c, sip, &out, &cap, &level);
	if (rc != 0)
		goto err_after_out; /* call_free closes the media */
	f = conf_alloc(cs, c->a.dev.name);
	if (!f) {
		rc = 503;
		goto err_after_out;
	}
	rc = conf_add(f, c, &c->a);
	if (rc != 0) {
		conf_free(f);
		goto err_after_out;
	}
	f->level = c->level = conf_level_now(f);
	reply_self(c, out, cap);
	log_info(TAG, "call %s: %s opens a conference, security level %s",
		 c->call_id, f->owner, sip_level_name(c->level));
	return 0;
err_after_out:
	if (out) {
		OPENSSL_cleanse(out, cap);
		free(out);
	}
	return rc;
}

static void notify_done(struct side *s, int status, const char *phrase)
{
	char frag[96];

	snprintf(frag, sizeof frag, "SIP/2.0 %d %s\r\n", status, phrase);
	nta_outgoing_tcreate(
	    s->leg, NULL, NULL, URL_STRING_MAKE(s->flow), SIP_METHOD_NOTIFY,
	    NULL, SIPTAG_CONTACT_STR(s->contact), SIPTAG_EVENT_STR("refer"),
	    SIPTAG_SUBSCRIPTION_STATE_STR("terminated;reason=noresource"),
	    SIPTAG_CONTENT_TYPE_STR("message/sipfrag;version=2.0"),
	    SIPTAG_PAYLOAD_STR(frag), TAG_END());
}

int call_conf_refer(struct call *c, struct side *from, nta_incoming_t *irq)
{
	struct side *stay = from == &c->a ? &c->b : &c->a;
	struct call_conf *f;
	int rc;

	if (!ops(c->cs) || !c->media)
		return 503;
	f = conf_of_owner(c->cs, from->dev.name);
	if (!f || c->conf) {
		log_info(TAG,
			 "call %s: %s transfers to the conference "
			 "number without owning a conference",
			 c->call_id, from->dev.name);
		return 403;
	}
	rc = conf_add(f, c, stay);
	if (rc != 0)
		return rc;
	nta_incoming_treply(irq, SIP_202_ACCEPTED,
			    SIPTAG_CONTACT_STR(from->contact), TAG_END());
	nta_incoming_destroy(irq);
	notify_done(from, 200, "OK");
	send_bye(c, from);
	log_info(TAG, "call %s: %s brings %s into its conference (%u parties)",
		 c->call_id, from->dev.name, stay->dev.name, f->n);
	conf_tell(f, c);
	return 0;
}

/* ---- barge (RFC 3911 Join) ---- */

/* Whether BARGER and DEVICE are both on LINE as BARGER's dial plan sees
 * it. */
static int on_line(struct sip_calls *cs, const char *barger, const char *device,
		   const char *line)
{
	const struct sip_directory *d = cs->env.dir;
	struct sip_route rt;
	int mine = 0, theirs = 0;

	memset(&rt, 0, sizeof rt);
	if (!d->ops->route || d->ops->route(d->ctx, barger, line, &rt) != 0)
		return 0;
	for (unsigned i = 0; i < rt.ndevices && i < SIP_ROUTE_MAX; i++) {
		mine |= strcmp(rt.devices[i], barger) == 0;
		theirs |= strcmp(rt.devices[i], device) == 0;
	}
	return mine && theirs;
}

#define LINES_MAX 8

/* Whether BARGER shares the line side S of C is on in that call: the
 * number dialled for the callee; for the caller, one of its device's
 * lines as the directory has them (a phone's From user is often its
 * device name, not its line; only a directory that cannot list lines
 * makes it the From user). */
static int shares_line(struct sip_calls *cs, const char *barger,
		       const struct call *c, const struct side *s)
{
	const struct sip_directory *d = cs->env.dir;
	char lines[LINES_MAX][SIP_DIR_NAME_MAX];
	int n;

	if (strcmp(barger, s->dev.name) == 0)
		return 0;
	if (s == &c->b)
		return on_line(cs, barger, s->dev.name, c->number);
	if (!d->ops->device_lines)
		return on_line(cs, barger, s->dev.name, c->a.user);
	n = d->ops->device_lines(d->ctx, s->dev.name, lines, LINES_MAX);
	for (int i = 0; i < n; i++)
		if (on_line(cs, barger, s->dev.name, lines[i]))
			return 1;
	return 0;
}

/* The seed: a barger that is not encrypted cannot barge into an
 * encrypted call (it hears busy); an encrypted one may barge into any
 * call; a non-secure one into an authenticated call. 1 when refused. */
static int barge_refused(const struct call *t, enum sip_level barger)
{
	return t->level == SIP_LEVEL_ENCRYPTED && barger != SIP_LEVEL_ENCRYPTED;
}

int call_conf_barge_target(struct sip_calls *cs, msg_t *msg, sip_t *sip,
			   const char *caller, unsigned transport,
			   const struct sip_call_node_caller *from_node,
			   struct call **target, uint64_t *remote)
{
	const struct sip_directory *d = cs->env.dir;
	struct side barger;
	sip_replaces_t *rp;
	nta_leg_t *leg;
	struct side *slot = NULL;
	struct call *c;
	uint64_t owner;

	*target = NULL;
	*remote = 0;
	switch (sip_call_join_get(msg_home(msg), sip, &rp)) {
	case 0:
		return -1;
	case 1:
		break;
	default:
		return 400;
	}
	leg = nta_leg_by_replaces(cs->env.agent, rp);
	for (c = leg ? cs->head : NULL; c; c = c->next) {
		if (c->a.leg == leg || c->b.leg == leg) {
			slot = c->a.leg == leg ? &c->a : &c->b;
			break;
		}
	}
	/* A dialog of another member (ward's tag says which, as for
	 * Replaces): the INVITE goes there over the node listener, never on
	 * from a member. */
	owner = sip_call_node_of_tag(rp->rp_to_tag);
	if (!c && !from_node && cs->env.node_agent && owner &&
	    owner != cs->env.node_id) {
		*remote = owner;
		return 0;
	}
	if (!c) {
		log_info(TAG, "barge by %s: no such dialog", caller);
		return 481;
	}
	if (c->state != CALL_TALKING || c->xfer || c->pend_irq || c->conf ||
	    !c->media)
		return 486;
	if (!shares_line(cs, caller, c, slot)) {
		log_info(TAG,
			 "call %s: barge by %s refused: it does not share "
			 "the line of %s",
			 c->call_id, caller, slot->dev.name);
		return 403;
	}
	memset(&barger, 0, sizeof barger);
	barger.transport = transport;
	if (d->ops->device_by_name(d->ctx, caller, &barger.dev) != 0)
		return 403;
	if (from_node) { /* the member's word on its barger's leg */
		barger.node.asserted = 1;
		barger.node.level = from_node->level;
	}
	if (barge_refused(c, side_level(&barger))) {
		log_info(TAG,
			 "call %s: barge by %s (%s) into an encrypted call "
			 "refused",
			 c->call_id, caller,
			 sip_level_name(side_level(&barger)));
		return 486;
	}
	*target = c;
	return 0;
}

int call_conf_barge(struct call *c, const sip_t *sip, struct call *t)
{
	struct sip_calls *cs = c->cs;
	struct call_conf *f;
	enum sip_level level;
	size_t cap = 0;
	char *out = NULL;
	int rc;

	if (!ops(cs))
		return 503;
	if (!is_sdp(sip))
		return 488;
	rc = answer_self(c, sip, &out, &cap, &level);
	if (rc != 0)
		goto err_after_out;
	/* Its media too (an encrypted profile offering RTP only), and a
	 * member's word on a barger on another node. */
	if (c->a.node.asserted && c->a.node.level < level)
		level = c->a.node.level;
	if (barge_refused(t, level)) {
		log_info(TAG,
			 "call %s: barge by %s (%s) into an encrypted call "
			 "refused",
			 t->call_id, c->a.dev.name, sip_level_name(level));
		rc = 486;
		goto err_after_out;
	}
	f = conf_alloc(cs, "");
	if (!f) {
		rc = 503;
		goto err_after_out;
	}
	if ((rc = conf_add(f, t, &t->a)) != 0 ||
	    (rc = conf_add(f, t, &t->b)) != 0 || (rc = conf_add(f, c, &c->a)))
		goto err_after_conf;
	snprintf(c->number, sizeof c->number, "%s", t->number);
	f->level = c->level = conf_level_now(f);
	reply_self(c, out, cap);
	log_info(TAG, "call %s: %s barges into call %s, security level %s",
		 c->call_id, c->a.dev.name, t->call_id,
		 sip_level_name(f->level));
	conf_tell(f, t);
	return 0;
err_after_conf:
	/* Back to a two-party call: its sides relay to each other again. */
	cs->env.media->ops->conf_leave(cs->env.media->ctx, t->media, 0);
	cs->env.media->ops->conf_leave(cs->env.media->ctx, c->media, 0);
	t->conf = c->conf = NULL;
	t->parts = c->parts = 0;
	conf_free(f);
err_after_out:
	if (out) {
		OPENSSL_cleanse(out, cap);
		free(out);
	}
	return rc;
}

int call_conf_join_hdr(char *hdrs, size_t cap, const sip_t *sip)
{
	size_t n = strlen(hdrs);
	const char *val = NULL;
	int k;

	for (const sip_unknown_t *u = sip->sip_unknown; u; u = u->un_next)
		if (u->un_name && strcasecmp(u->un_name, "Join") == 0)
			val = u->un_value;
	/* Checked by call_conf_barge_target: one, well formed, bounded. */
	if (!val || strpbrk(val, "\r\n"))
		return -1;
	k = snprintf(hdrs + n, cap - n, "\r\nJoin: %s", val);
	return k > 0 && (size_t)k < cap - n ? 0 : -1;
}

/* ---- leaving ---- */

/* F after a party left: the level told, or the end below two. */
static void conf_after_leave(struct call_conf *f)
{
	if (f->ending)
		return;
	if (f->n >= 2 || (f->n == 1 && !f->had_two)) {
		conf_tell(f, NULL);
		return;
	}
	/* Fewer than two: the conference ends, and its calls. */
	f->ending = 1;
	for (;;) {
		struct call *o = f->cs->head;

		while (o && o->conf != f)
			o = o->next;
		if (!o)
			break;
		if (o->parts & 1u)
			send_bye(o, &o->a);
		if (o->parts & 2u)
			send_bye(o, &o->b);
		call_free(o, "conference ended");
	}
	log_info(TAG, "conference of %s ended", conf_name(f));
	conf_free(f);
}

void call_conf_gone(struct call *c)
{
	const struct sip_media *m = c->cs->env.media;
	struct call_conf *f = c->conf;

	if (!f)
		return;
	m->ops->conf_leave(m->ctx, c->media, 0);
	f->n -= (c->parts & 1u) + (c->parts >> 1);
	c->conf = NULL;
	c->parts = 0;
	conf_after_leave(f);
}

/* A member's word on its side in a request on node leg S (its Call-Info):
 * 1 when it changed what this node believed. */
static int member_word(struct side *s, const sip_t *sip)
{
	enum sip_level told;

	if (!s->node.agent || sip_call_node_told(sip, &told) != 0)
		return 0;
	if (s->node.asserted && s->node.level == told)
		return 0;
	s->node.asserted = 1;
	s->node.level = told;
	return 1;
}

/* A participant's re-INVITE or UPDATE: ward answers it. */
static void self_answer(struct call *c, struct side *from, nta_incoming_t *irq,
			sip_t const *sip)
{
	const struct sip_media *m = c->cs->env.media;
	size_t cap = sip->sip_payload->pl_len + 4096, len = 0;
	char *out = malloc(cap), info[96];
	int rc = out ? 0 : 500;

	if (rc == 0)
		rc = m->ops->self_answer(
		    m->ctx, c->media, from == &c->a ? 'A' : 'B',
		    sip->sip_payload->pl_data, sip->sip_payload->pl_len, out,
		    cap, &len);
	level_hdr(c, info, sizeof info);
	if (rc == 0)
		nta_incoming_treply(irq, SIP_200_OK,
				    SIPTAG_CONTACT_STR(from->contact),
				    SIPTAG_CALL_INFO_STR(info),
				    SIPTAG_CONTENT_TYPE_STR("application/sdp"),
				    SIPTAG_PAYLOAD_STR(out), TAG_END());
	else
		nta_incoming_treply(irq, rc,
				    rc == 488 ? "Not Acceptable Here"
					      : "Server Internal Error",
				    TAG_END());
	if (out) {
		OPENSSL_cleanse(out, cap);
		free(out);
	}
}

int call_conf_request(struct call *c, struct side *from, nta_incoming_t *irq,
		      sip_t const *sip)
{
	sip_method_t mt = sip->sip_request->rq_method;
	unsigned bit = PART(c, from);
	int heard;

	if (!(c->parts & bit)) {
		/* The transferor's dialog, ending. */
		if (mt == sip_method_ack)
			return 200;
		return mt == sip_method_bye ? 200 : 481;
	}
	switch (mt) {
	case sip_method_ack:
		return -1; /* call.c's: the 200's ACK */
	case sip_method_bye:
		nta_incoming_treply(irq, SIP_200_OK, TAG_END());
		nta_incoming_destroy(irq);
		if (c->parts != bit) {
			/* One side of a barged call leaves; the other stays
			 * in the conference. */
			struct call_conf *f = c->conf;
			const struct sip_media *m = c->cs->env.media;

			m->ops->conf_leave(m->ctx, c->media,
					   from == &c->a ? 'A' : 'B');
			c->parts &= ~bit;
			f->n--;
			conf_after_leave(f);
			return 0;
		}
		call_free(c, "left the conference");
		return 0;
	case sip_method_invite:
	case sip_method_update:
		heard = member_word(from, sip);
		if (is_sdp(sip)) {
			self_answer(c, from, irq, sip);
		} else if (mt == sip_method_update) {
			/* A refresh, or a member's word: ward's answer tells
			 * the conference's level. */
			char info[96];

			level_hdr(c, info, sizeof info);
			nta_incoming_treply(
			    irq, SIP_200_OK, SIPTAG_CONTACT_STR(from->contact),
			    SIPTAG_CALL_INFO_STR(info), TAG_END());
		} else {
			return 488;
		}
		nta_incoming_destroy(irq);
		if (heard)
			conf_tell(c->conf, NULL);
		return 0;
	case sip_method_refer:
		return 403;
	default:
		return 200; /* INFO, OPTIONS, NOTIFY: nothing to carry */
	}
}
