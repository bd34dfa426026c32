/* call_conf: the ad hoc conference of the B2BUA (docs/sip.md, "Conference
 * and barge"). A device dials the conference factory number
 * (sip.conference_number): ward answers it itself and opens a conference
 * the device owns. A blind transfer (REFER) by the owner, in another of
 * its calls, to the factory number puts the transferee into the owner's
 * conference instead of placing a call: its leg already relays through
 * ward, so no new offer is made; the transferor's dialog ends as after a
 * blind transfer. Each participant is one side of a call (c->part); the
 * media table mixes them. The conference's level is its weakest
 * participant's, told to each in an UPDATE whenever it changes; it ends
 * when fewer than two remain (after two were in it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#define TAG "sip"
#include "node/sip/call_int.h"

struct call_conf {
	struct sip_calls *cs;
	struct sip_media_conf *mc; /* owned by the media table */
	char owner[SIP_DIR_NAME_MAX];
	unsigned n;  /* participants */
	int had_two; /* the conference ends below two from then on */
	int ending;  /* being torn down: nested frees leave it alone */
	enum sip_level level;
	struct call_conf *next;
};

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
		if (!f->ending && strcmp(f->owner, dev) == 0)
			return f;
	return NULL;
}

static char side_id(const struct call *c, const struct side *s)
{
	return s == &c->a ? 'A' : 'B';
}

/* The conference's level now; each participant told when it changed (or
 * when FORCE names a call that joined). */
static void conf_tell(struct call_conf *f, struct call *force)
{
	const struct sip_media *m = f->cs->env.media;
	enum sip_level l = m->ops->conf_level(m->ctx, f->mc, NULL);
	char info[96];

	if (l != f->level)
		log_info(TAG, "conference of %s: %u parties, security level %s",
			 f->owner, f->n, sip_level_name(l));
	f->level = l;
	for (struct call *c = f->cs->head; c; c = c->next) {
		if (c->conf != f || (c->level == l && c != force))
			continue;
		c->level = l;
		level_hdr(c, info, sizeof info);
		send_req(c, c->part, sip_method_update, "UPDATE", 0, NULL,
			 info);
	}
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

/* C's participant joins F: the media mixes it from now on. 0 or the
 * status to refuse with. */
static int conf_add(struct call_conf *f, struct call *c, struct side *part)
{
	const struct sip_media *m = f->cs->env.media;
	int rc = m->ops->conf_join(m->ctx, f->mc, c->media, side_id(c, part));

	if (rc != 0)
		return rc;
	c->conf = f;
	c->part = part;
	c->se_s = 0; /* ward answers refreshes itself now */
	snprintf(c->number, sizeof c->number, "%s",
		 f->cs->cfg.conference_number);
	if (++f->n >= 2)
		f->had_two = 1;
	return 0;
}

int call_conf_start(struct call *c, const sip_t *sip)
{
	struct sip_calls *cs = c->cs;
	const struct sip_media *m = cs->env.media;
	struct sip_media_leg la;
	struct call_conf *f;
	size_t cap, len = 0;
	char *out, info[96];
	enum sip_level level;
	int rc;

	if (!ops(cs))
		return 503;
	if (!is_sdp(sip))
		return 488; /* ward answers: it needs the phone's offer */
	if (conf_of_owner(cs, c->a.dev.name))
		return 486; /* one conference per owner */
	f = calloc(1, sizeof *f);
	if (!f)
		return 500;
	cap = sip->sip_payload->pl_len + 4096;
	out = malloc(cap);
	if (!out) {
		free(f);
		return 500;
	}
	f->cs = cs;
	snprintf(f->owner, sizeof f->owner, "%s", c->a.dev.name);
	rc = m->ops->conf_new(m->ctx, &f->mc);
	if (rc != 0)
		goto err_after_alloc;
	media_leg(&c->a, &la);
	rc = m->ops->terminate(
	    m->ctx, c->call_id, &la, sip->sip_payload->pl_data,
	    sip->sip_payload->pl_len, out, cap, &len, &c->media, &level);
	if (rc != 0)
		goto err_after_conf;
	rc = conf_add(f, c, &c->a);
	if (rc != 0)
		goto err_after_conf; /* call_free closes the media */
	f->next = cs->confs;
	cs->confs = f;
	c->b_acked = 1; /* nobody on B's side */
	c->state = CALL_ANSWERED;
	c->answered_ms = wall_ms();
	f->level = c->level = m->ops->conf_level(m->ctx, f->mc, NULL);
	level_hdr(c, info, sizeof info);
	nta_incoming_treply(c->irq_a, SIP_200_OK,
			    SIPTAG_CONTACT_STR(c->a.contact),
			    SIPTAG_ALLOW_STR(ALLOW), SIPTAG_CALL_INFO_STR(info),
			    SIPTAG_CONTENT_TYPE_STR("application/sdp"),
			    SIPTAG_PAYLOAD_STR(out), TAG_END());
	OPENSSL_cleanse(out, cap);
	free(out);
	log_info(TAG, "call %s: %s opens a conference, security level %s",
		 c->call_id, f->owner, sip_level_name(c->level));
	return 0;
err_after_conf:
	m->ops->conf_free(m->ctx, f->mc);
err_after_alloc:
	OPENSSL_cleanse(out, cap);
	free(out);
	free(f);
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

void call_conf_gone(struct call *c)
{
	const struct sip_media *m = c->cs->env.media;
	struct call_conf *f = c->conf;

	if (!f)
		return;
	m->ops->conf_leave(m->ctx, c->media);
	c->conf = NULL;
	f->n--;
	if (f->ending)
		return;
	if (f->n >= 2 || (f->n == 1 && !f->had_two)) {
		conf_tell(f, NULL);
		return;
	}
	/* Fewer than two: the conference ends, and the last party's call. */
	f->ending = 1;
	for (;;) {
		struct call *o = c->cs->head;

		while (o && o->conf != f)
			o = o->next;
		if (!o)
			break;
		send_bye(o, o->part);
		call_free(o, "conference ended");
	}
	log_info(TAG, "conference of %s ended", f->owner);
	conf_free(f);
}

/* A participant's re-INVITE or UPDATE: ward answers it. */
static void self_answer(struct call *c, nta_incoming_t *irq, sip_t const *sip)
{
	const struct sip_media *m = c->cs->env.media;
	size_t cap = sip->sip_payload->pl_len + 4096, len = 0;
	char *out = malloc(cap), info[96];
	int rc = out ? 0 : 500;

	if (rc == 0)
		rc = m->ops->self_answer(m->ctx, c->media, side_id(c, c->part),
					 sip->sip_payload->pl_data,
					 sip->sip_payload->pl_len, out, cap,
					 &len);
	level_hdr(c, info, sizeof info);
	if (rc == 0)
		nta_incoming_treply(irq, SIP_200_OK,
				    SIPTAG_CONTACT_STR(c->part->contact),
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

	if (from != c->part) {
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
		call_free(c, "left the conference");
		return 0;
	case sip_method_invite:
	case sip_method_update:
		if (is_sdp(sip)) {
			self_answer(c, irq, sip);
			nta_incoming_destroy(irq);
			return 0;
		}
		/* A refresh without an offer: nothing changes. */
		return mt == sip_method_update ? 200 : 488;
	case sip_method_refer:
		return 403;
	default:
		return 200; /* INFO, OPTIONS, NOTIFY: nothing to carry */
	}
}
