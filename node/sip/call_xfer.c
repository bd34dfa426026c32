/* call_xfer: blind transfer (an in-dialog REFER), INVITE with Replaces
 * (RFC 3891) and session timers (RFC 4028) in the B2BUA. Transfer and
 * Replaces Both put a new party in the place of one side
 * of a call: ward gets the new party's offer (its 200 to ward's INVITE
 * without SDP, or its INVITE with Replaces), re-INVITEs the side that
 * stays with it, and hands that side's answer back (in the ACK, or in the
 * 200); the side replaced gets a BYE. Session timers: see call_st_*.
 * See call_int.h for the hooks and
 * docs/sip.md ("Transfer") for the behaviour and its limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <netinet/in.h>

struct call;
#define NTA_LEG_MAGIC_T struct call
#define NTA_INCOMING_MAGIC_T struct call
#define NTA_OUTGOING_MAGIC_T struct call

#include <sofia-sip/nta.h>
#include <sofia-sip/nta_stateless.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>

#include "common/log.h"
#include "node/sip/call_int.h"

#define TAG "sip"

struct call_xfer {
	int replaces;	   /* 0: a REFER's blind transfer */
	struct side *slot; /* the side being replaced (&c->a or &c->b) */
	struct side neu;   /* the new party, until it takes the slot */
	struct side old;   /* the side replaced, once swapped */
	int swapped;
	int old_gone;		 /* the transferor hung up meanwhile */
	nta_outgoing_t *orq_new; /* REFER: the INVITE to the target */
	uint32_t new_cseq;	 /* its CSeq, for the ACK */
	nta_incoming_t *irq_new; /* Replaces: the new party's INVITE */
	nta_outgoing_t *orq_re;	 /* the re-INVITE to the side that stays */
};

static struct side *other(struct call *c, const struct side *s)
{
	return s == &c->a ? &c->b : &c->a;
}

/* The REFER's implicit subscription: a NOTIFY with the sipfrag of the
 * transfer's progress to side S. */
static void notify(struct side *s, int status, const char *phrase, int final)
{
	char frag[96];

	if (!s->leg)
		return;
	snprintf(frag, sizeof frag, "SIP/2.0 %d %s\r\n", status, phrase);
	nta_outgoing_tcreate(
	    s->leg, NULL, NULL, URL_STRING_MAKE(s->flow), SIP_METHOD_NOTIFY,
	    NULL, SIPTAG_CONTACT_STR(s->contact), SIPTAG_EVENT_STR("refer"),
	    SIPTAG_SUBSCRIPTION_STATE_STR(final ? "terminated;reason=noresource"
						: "active;expires=60"),
	    SIPTAG_CONTENT_TYPE_STR("message/sipfrag;version=2.0"),
	    SIPTAG_PAYLOAD_STR(frag), TAG_END());
}

/* Requests in the replaced side's dialog once the new party holds the
 * slot: its BYE is answered, anything else is no longer a call. */
static int on_old_leg(struct call *c, nta_leg_t *leg, nta_incoming_t *irq,
		      sip_t const *sip)
{
	(void)leg;
	if (sip->sip_request->rq_method == sip_method_ack)
		return 200;
	if (sip->sip_request->rq_method == sip_method_bye) {
		if (c->xfer)
			c->xfer->old_gone = 1;
		return 200;
	}
	(void)irq;
	return 481;
}

static void xfer_release(struct call *c)
{
	struct call_xfer *x = c->xfer;

	if (!x)
		return;
	c->xfer = NULL;
	if (x->orq_new)
		nta_outgoing_destroy(x->orq_new);
	if (x->orq_re)
		nta_outgoing_destroy(x->orq_re);
	if (x->irq_new) {
		if (nta_incoming_status(x->irq_new) < 200)
			nta_incoming_treply(x->irq_new, 500, "Call Ended",
					    TAG_END());
		nta_incoming_destroy(x->irq_new);
	}
	nta_leg_destroy(x->neu.leg);
	nta_leg_destroy(x->old.leg);
	free(x);
}

void call_xfer_free(struct call *c)
{
	struct call_xfer *x = c->xfer;

	/* The call ends mid-transfer: the target's INVITE is cancelled, and
	 * a transferor already swapped out still gets its BYE. */
	if (x && x->orq_new)
		nta_outgoing_cancel(x->orq_new);
	if (x && x->swapped && !x->old_gone)
		send_bye(c, &x->old);
	xfer_release(c);
	if (c->se_orq) {
		nta_outgoing_destroy(c->se_orq);
		c->se_orq = NULL;
	}
}

/* The new party takes the slot; the replaced side's dialog stays in
 * x->old (for the NOTIFY and the BYE) and answers only its BYE. */
static void swap_in(struct call *c)
{
	struct call_xfer *x = c->xfer;

	x->old = *x->slot;
	side_replace(c, x->slot, &x->neu);
	memset(&x->neu, 0, sizeof x->neu);
	if (x->old.leg)
		nta_leg_bind(x->old.leg, on_old_leg, c);
	x->swapped = 1;
}

static void swap_back(struct call *c)
{
	struct call_xfer *x = c->xfer;

	x->neu = *x->slot;
	side_replace(c, x->slot, &x->old);
	memset(&x->old, 0, sizeof x->old);
	if (x->slot->leg)
		nta_leg_bind(x->slot->leg, on_leg, c);
	x->swapped = 0;
}

/* After the swap the level of the new pair of legs is what the answer
 * made it; both sides hear it if it differs from what they were told. */
static void tell_level(struct call *c, enum sip_level told)
{
	char info[96];

	log_info(TAG, "call %s %s <-> %s after the %s, security level %s",
		 c->call_id, c->a.dev.name, c->b.dev.name,
		 c->xfer && c->xfer->replaces ? "replacement" : "transfer",
		 sip_level_name(c->level));
	if (c->level == told)
		return;
	/* A member across a node leg hears this node's word (and tells its
	 * phone); a phone hears the level. */
	tell_node(c, &c->a);
	tell_node(c, &c->b);
	level_hdr(c, info, sizeof info);
	if (!c->a.node.agent)
		send_req(c, &c->a, sip_method_update, "UPDATE", 0, NULL, info);
	if (!c->b.node.agent)
		send_req(c, &c->b, sip_method_update, "UPDATE", 0, NULL, info);
}

/* The side that stays answered the re-INVITE carrying the new party's
 * offer. */
static int on_resp_re(struct call *c, nta_outgoing_t *orq, sip_t const *sip)
{
	struct call_xfer *x = c->xfer;
	int status = sip && sip->sip_status ? sip->sip_status->st_status : 408;
	struct side *stay = other(c, x->slot);
	enum sip_level told = c->level;
	char *sdp = NULL, info[96];
	int st = 488;

	if (status < 200)
		return 0;
	nta_outgoing_destroy(orq);
	x->orq_re = NULL;
	if (status < 300) {
		send_simple(c, stay, sip_method_ack, "ACK",
			    sip->sip_cseq->cs_seq, NULL);
		if (is_sdp(sip))
			sdp = sdp_for(c, x->slot, 'A', sip->sip_payload, &st);
		/* A member carrying the side that stays tells its level. */
		node_told(c, stay, sip);
	}
	if (!sdp) {
		/* The side that stays keeps (or never had) the replaced
		 * party's media: the new party is let go. */
		log_info(TAG, "call %s: the %s failed: re-INVITE answered %d",
			 c->call_id, x->replaces ? "replacement" : "transfer",
			 status);
		if (status < 300) {
			/* Its session changed under an answer ward refused:
			 * nothing sane is left, the call ends. */
			swap_back(c);
			if (x->replaces) {
				nta_incoming_treply(x->irq_new, st,
						    "Not Acceptable Here",
						    TAG_END());
			} else {
				send_simple(c, &x->neu, sip_method_ack, "ACK",
					    x->new_cseq, NULL);
				send_bye(c, &x->neu);
				notify(x->slot, st, "Not Acceptable Here", 1);
			}
			send_bye(c, x->slot);
			send_bye(c, stay);
			call_free(c, "transfer failed");
			return 0;
		}
		swap_back(c);
		if (x->replaces) {
			nta_incoming_treply(x->irq_new,
					    status >= 400 ? status : 480,
					    "Replacement Failed", TAG_END());
		} else {
			send_simple(c, &x->neu, sip_method_ack, "ACK",
				    x->new_cseq, NULL);
			send_bye(c, &x->neu);
			notify(x->slot, 480, "Temporarily Unavailable", 1);
		}
		if (x->old_gone) {
			send_bye(c, stay);
			call_free(c, "transfer failed, transferor gone");
			return 0;
		}
		xfer_release(c);
		return 0;
	}
	info_to(c, x->slot, info, sizeof info);
	if (x->replaces) {
		nta_incoming_treply(x->irq_new, SIP_200_OK,
				    SIPTAG_CONTACT_STR(x->slot->contact),
				    SIPTAG_ALLOW_STR(ALLOW),
				    SIPTAG_CALL_INFO_STR(info),
				    SIPTAG_CONTENT_TYPE_STR("application/sdp"),
				    SIPTAG_PAYLOAD_STR(sdp), TAG_END());
	} else {
		send_simple(c, x->slot, sip_method_ack, "ACK", x->new_cseq,
			    sdp);
		notify(&x->old, 200, "OK", 1);
	}
	sdp_drop(sdp);
	if (!x->old_gone)
		send_bye(c, &x->old);
	if (x->slot == &c->b)
		snprintf(c->number, sizeof c->number, "%s", c->b.user);
	else
		c->se_s = 0; /* the caller's timer went with its dialog */
	tell_level(c, told);
	/* The new party's INVITE transaction (Replaces) ends with its ACK,
	 * which nta absorbs; the rest goes. */
	xfer_release(c);
	return 0;
}

/* The new party's offer, for the side that stays in a re-INVITE; the
 * slot already holds the new party. Returns 0 or a status. */
static int reinvite_stay(struct call *c, const sip_payload_t *offer)
{
	struct call_xfer *x = c->xfer;
	struct side *stay = other(c, x->slot);
	char *sdp, info[96];
	int st;

	sdp = sdp_for(c, stay, 'O', offer, &st);
	if (!sdp)
		return st;
	c->level = legs_level(c, c->cs->env.media || c->offer_keys);
	info_to(c, stay, info, sizeof info);
	x->orq_re = nta_outgoing_tcreate(
	    stay->leg, on_resp_re, c, URL_STRING_MAKE(stay->flow),
	    SIP_METHOD_INVITE, NULL, SIPTAG_CONTACT_STR(stay->contact),
	    SIPTAG_ALLOW_STR(ALLOW), SIPTAG_CALL_INFO_STR(info),
	    SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp),
	    TAG_END());
	sdp_drop(sdp);
	return x->orq_re ? 0 : 500;
}

/* The transfer target's answer to ward's INVITE (without an offer). */
static int on_resp_new(struct call *c, nta_outgoing_t *orq, sip_t const *sip)
{
	struct call_xfer *x = c->xfer;
	const char *phrase;
	int status = call_resp_status(sip, &phrase);
	int st;

	if (status < 200)
		return 0;
	nta_outgoing_destroy(orq);
	x->orq_new = NULL;
	if (status >= 300) {
		log_info(TAG, "call %s: transfer target answered %d",
			 c->call_id, status);
		notify(x->slot, status, phrase, 1);
		if (x->old_gone) {
			send_bye(c, other(c, x->slot));
			call_free(c, "transfer failed, transferor gone");
			return 0;
		}
		xfer_release(c);
		return 0;
	}
	nta_leg_rtag(x->neu.leg, sip->sip_to->a_tag);
	nta_leg_client_route(x->neu.leg, sip->sip_record_route,
			     sip->sip_contact);
	x->new_cseq = sip->sip_cseq->cs_seq;
	if (x->neu.node.agent) {
		/* A member carries the target: its word is that side's level
		 * (fail closed without one). */
		x->neu.node.level =
		    sip_call_node_level_cap(sip, SIP_LEVEL_ENCRYPTED);
		x->neu.node.asserted = 1;
	}
	swap_in(c);
	st = is_sdp(sip) ? reinvite_stay(c, sip->sip_payload) : 488;
	if (st != 0) {
		swap_back(c);
		send_simple(c, &x->neu, sip_method_ack, "ACK", x->new_cseq,
			    NULL);
		send_bye(c, &x->neu);
		notify(x->slot, st, "Not Acceptable Here", 1);
		if (x->old_gone) {
			send_bye(c, other(c, x->slot));
			call_free(c, "transfer failed, transferor gone");
			return 0;
		}
		xfer_release(c);
	}
	return 0;
}

static struct call_xfer *xfer_new(struct call *c, struct side *slot,
				  int replaces)
{
	struct call_xfer *x = calloc(1, sizeof *x);

	if (!x)
		return NULL;
	x->slot = slot;
	x->replaces = replaces;
	c->xfer = x;
	return x;
}

/* The target's answer to ward's re-INVITE without an offer (attended
 * transfer): its 200 brings the offer for the transferee. */
static int on_resp_join(struct call *c, nta_outgoing_t *orq, sip_t const *sip)
{
	struct call_xfer *x = c->xfer;
	const char *phrase;
	int status = call_resp_status(sip, &phrase);
	int st;

	if (status < 200)
		return 0;
	nta_outgoing_destroy(orq);
	x->orq_new = NULL;
	if (status < 300) {
		x->new_cseq = sip->sip_cseq->cs_seq;
		swap_in(c);
		st = is_sdp(sip) ? reinvite_stay(c, sip->sip_payload) : 488;
		if (st == 0)
			return 0;
		swap_back(c);
		send_simple(c, &x->neu, sip_method_ack, "ACK", x->new_cseq,
			    NULL);
		status = st, phrase = "Not Acceptable Here";
	}
	log_info(TAG, "call %s: attended transfer failed: %d", c->call_id,
		 status);
	send_bye(c, &x->neu);
	notify(x->slot, status, phrase, 1);
	if (x->old_gone) {
		send_bye(c, other(c, x->slot));
		call_free(c, "transfer failed, transferor gone");
		return 0;
	}
	xfer_release(c);
	return 0;
}

static struct call *by_replaces(struct sip_calls *cs, const sip_replaces_t *rp,
				struct side **slot);

/* REFER with Replaces in its Refer-To (attended transfer): the transferor
 * FROM talks to the transferee in C and to the target in another call,
 * whose dialog with the transferor the Replaces names. The target leaves
 * that call for the transferor's slot in C; the transferor's leg of the
 * other call gets a BYE. Returns 0 (202 sent) or a status. */
static int refer_replaces(struct call *c, struct side *from,
			  nta_incoming_t *irq, const char *headers)
{
	struct sip_calls *cs = c->cs;
	char esc[512], val[512];
	const char *p = strcasestr(headers, "replaces=");
	su_home_t home[1] = {SU_HOME_INIT(home)};
	sip_replaces_t *rp;
	struct side *s2 = NULL, *o2;
	struct call *c2 = NULL;
	struct call_xfer *x;
	char info[96];
	size_t n;

	/* A trunk's profile decides on Replaces, in a REFER as in an
	 * INVITE (authz.c). */
	if (from->dev.is_trunk &&
	    !(from->dev.trunk_flags & SIP_TRUNK_ALLOW_REPLACES))
		return 403;
	p += strlen("replaces=");
	n = strcspn(p, "&");
	if (n == 0 || n >= sizeof esc)
		return 400;
	memcpy(esc, p, n);
	esc[n] = 0;
	url_unescape(val, esc);
	rp = sip_replaces_make(home, val);
	if (rp)
		c2 = by_replaces(cs, rp, &s2);
	su_home_deinit(home);
	if (!rp)
		return 400;
	/* Only the transferor's own other call: a phone cannot take a call
	 * it is not in. */
	if (!c2 || c2 == c || strcmp(s2->dev.name, from->dev.name) != 0)
		return 481;
	if (c2->state != CALL_TALKING || c2->xfer || c2->pend_irq)
		return 491;
	x = xfer_new(c, from, 0);
	if (!x)
		return 500;
	nta_incoming_treply(irq, SIP_202_ACCEPTED,
			    SIPTAG_CONTACT_STR(from->contact), TAG_END());
	nta_incoming_destroy(irq);
	notify(from, 100, "Trying", 0);

	/* The target's dialog moves to this call; the other call ends with
	 * a BYE to the transferor's leg only. */
	o2 = other(c2, s2);
	x->neu = *o2;
	o2->leg = NULL; /* the other call's end leaves it alone */
	nta_leg_bind(x->neu.leg, on_leg, c);
	log_info(TAG, "call %s: %s joins %s to %s of call %s (attended)",
		 c->call_id, from->dev.name, other(c, from)->dev.name,
		 x->neu.dev.name, c2->call_id);
	send_bye(c2, s2);
	call_free(c2, "joined by an attended transfer");

	level_hdr(c, info, sizeof info);
	x->orq_new = nta_outgoing_tcreate(
	    x->neu.leg, on_resp_join, c, URL_STRING_MAKE(x->neu.flow),
	    SIP_METHOD_INVITE, NULL, SIPTAG_CONTACT_STR(x->neu.contact),
	    SIPTAG_ALLOW_STR(ALLOW), SIPTAG_CALL_INFO_STR(info), TAG_END());
	if (!x->orq_new) {
		send_bye(c, &x->neu);
		notify(from, 500, "Server Internal Error", 1);
		xfer_release(c);
	}
	return 0;
}

int call_xfer_refer(struct call *c, struct side *from, nta_incoming_t *irq,
		    sip_t const *sip)
{
	struct sip_calls *cs = c->cs;
	struct side *stay = other(c, from);
	const url_t *to_url;
	const char *number;
	struct sip_reg_contact binding;
	struct sockaddr_storage bss;
	struct call_xfer *x;
	char fromh[SIP_DIR_NAME_MAX + 96], toh[SIP_DIR_NAME_MAX + 96];
	char info[96];
	uint64_t remote = 0; /* the member holding the target's binding */
	int st;

	if (c->state != CALL_TALKING || c->xfer || c->pend_irq)
		return 491;
	if (!sip->sip_refer_to) {
		log_info(TAG, "call %s: REFER without a Refer-To", c->call_id);
		return 400;
	}
	to_url = sip->sip_refer_to->r_url;
	if (to_url->url_headers && strcasestr(to_url->url_headers, "replaces="))
		return refer_replaces(c, from, irq, to_url->url_headers);
	number = to_url->url_user;
	if (!number || !number[0] || strlen(number) >= SIP_DIR_NAME_MAX)
		return 404;
	if (call_conf_factory(cs, number)) /* into the owner's conference */
		return call_conf_refer(c, from, irq);
	x = xfer_new(c, from, 0);
	if (!x)
		return 500;
	nta_incoming_treply(irq, SIP_202_ACCEPTED,
			    SIPTAG_CONTACT_STR(from->contact), TAG_END());
	nta_incoming_destroy(irq);
	notify(from, 100, "Trying", 0);

	/* The transferor's calling search space decides. */
	st = find_callee(cs, from->dev.name, number, &x->neu.dev, &binding);
	/* A target registered on another member: reached through it, as
	 * the transferee's call (call_node.h; the member routes the number
	 * again with the transferee's calling search space). */
	if (st == 480 && cs->env.node_agent)
		st = sip_call_node_callee(cs->env.dir, cs->env.node_id,
					  from->dev.name, number, &x->neu.dev,
					  &binding, &remote);
	if (st != 0) {
		log_info(TAG, "call %s: transfer by %s to %s refused: %d",
			 c->call_id, from->dev.name, number, st);
		notify(from, st,
		       st == 403   ? "Forbidden"
		       : st == 404 ? "Not Found"
				   : "Temporarily Unavailable",
		       1);
		xfer_release(c);
		return 0;
	}
	snprintf(x->neu.user, sizeof x->neu.user, "%s", number);
	x->neu.transport = binding.transport;
	binding_addr(&binding, &bss);
	flow_url(x->neu.flow, sizeof x->neu.flow, (const struct sockaddr *)&bss,
		 binding.transport);
	contact_of(cs, x->neu.transport, x->neu.contact, sizeof x->neu.contact);
	if (remote &&
	    (node_side(cs, &x->neu, remote) != 0 ||
	     sip_call_node_assert(x->neu.node.hdrs, sizeof x->neu.node.hdrs,
				  stay->user, cs->cfg.host, stay->dev.name,
				  side_level(stay)) != 0)) {
		notify(from, 500, "Server Internal Error", 1);
		xfer_release(c);
		return 0;
	}
	x->neu.encrypted = side_level(&x->neu) == SIP_LEVEL_ENCRYPTED;
	snprintf(fromh, sizeof fromh, "<sip:%s@%s>", stay->user, cs->cfg.host);
	snprintf(toh, sizeof toh, "<sip:%s@%s>", number, cs->cfg.host);
	x->neu.leg = nta_leg_tcreate(
	    x->neu.node.agent ? x->neu.node.agent : cs->env.agent, on_leg, c,
	    SIPTAG_FROM_STR(fromh), SIPTAG_TO_STR(toh), TAG_END());
	if (!x->neu.leg || leg_tag(cs, x->neu.leg) != 0) {
		notify(from, 500, "Server Internal Error", 1);
		xfer_release(c);
		return 0;
	}
	level_hdr(c, info, sizeof info);
	x->orq_new = nta_outgoing_tcreate(
	    x->neu.leg, on_resp_new, c, URL_STRING_MAKE(x->neu.flow),
	    SIP_METHOD_INVITE, URL_STRING_MAKE(binding.uri),
	    TAG_IF(x->neu.node.hdrs[0], SIPTAG_HEADER_STR(x->neu.node.hdrs)),
	    SIPTAG_CONTACT_STR(x->neu.contact), SIPTAG_ALLOW_STR(ALLOW),
	    SIPTAG_CALL_INFO_STR(info),
	    TAG_IF(binding.path[0], SIPTAG_ROUTE_STR(binding.path)), TAG_END());
	if (!x->orq_new) {
		notify(from, 500, "Server Internal Error", 1);
		xfer_release(c);
		return 0;
	}
	log_info(TAG, "call %s: %s transfers %s to %s (%s)", c->call_id,
		 from->dev.name, stay->dev.name, number, x->neu.dev.name);
	return 0;
}

int call_xfer_bye(struct call *c, struct side *from, nta_incoming_t *irq)
{
	struct call_xfer *x = c->xfer;

	if (x->replaces || from != x->slot)
		return 0;
	/* The transferor hangs up before the target answered: the transfer
	 * goes on; if it fails, the transferee's call ends. */
	log_info(TAG, "call %s: the transferor hung up during the transfer",
		 c->call_id);
	x->old_gone = 1;
	nta_incoming_treply(irq, SIP_200_OK, TAG_END());
	nta_incoming_destroy(irq);
	return 1;
}

/* The Replaces INVITE's transaction: its CANCEL before the side that
 * stays answered, or its end. */
static int on_irq_new(struct call *c, nta_incoming_t *irq, sip_t const *sip)
{
	struct call_xfer *x = c->xfer;

	if (!x || x->irq_new != irq)
		return 0;
	if (sip && sip->sip_request->rq_method == sip_method_cancel) {
		/* nta answers 487; the re-INVITE's answer then finds the
		 * new party gone: end it as a failed replacement. */
		log_info(TAG, "call %s: replacement cancelled", c->call_id);
	}
	return 0;
}

static struct call *by_replaces(struct sip_calls *cs, const sip_replaces_t *rp,
				struct side **slot)
{
	nta_leg_t *leg = nta_leg_by_replaces(cs->env.agent, rp);

	if (!leg)
		return NULL;
	for (struct call *c = cs->head; c; c = c->next) {
		if (c->a.leg == leg) {
			*slot = &c->a;
			return c;
		}
		if (c->b.leg == leg) {
			*slot = &c->b;
			return c;
		}
	}
	return NULL;
}

int call_xfer_replaces(struct sip_calls *cs, msg_t *msg, sip_t *sip,
		       const struct sip_peer *peer, tport_t *tp,
		       const char *caller,
		       const struct sip_call_node_caller *from_node,
		       uint64_t *remote)
{
	const struct sip_directory *d = cs->env.dir;
	const char *cuser = sip->sip_from->a_url->url_user;
	nta_agent_t *ag = from_node ? cs->env.node_agent : cs->env.agent;
	struct side *slot = NULL;
	struct call *c = by_replaces(cs, sip->sip_replaces, &slot);
	struct call_xfer *x;
	struct side neu;
	uint64_t owner;
	int st;

	*remote = 0;
	/* A dialog of another member (ward's tag says which): the INVITE
	 * goes there over the node listener, never on from a member. */
	owner = sip_call_node_of_tag(sip->sip_replaces->rp_to_tag);
	if (!c && !sip->sip_to->a_tag && !from_node && cs->env.node_agent &&
	    owner && owner != cs->env.node_id) {
		*remote = owner;
		return 1;
	}
	if (!c || sip->sip_to->a_tag) {
		log_info(TAG, "INVITE with Replaces from %s: no such dialog",
			 caller);
		nta_msg_treply(ag, msg, 481, "Call/Transaction Does Not Exist",
			       TAG_END());
		return 0;
	}
	if (c->state != CALL_TALKING || c->xfer || c->pend_irq || c->ack_irq) {
		nta_msg_treply(ag, msg, 486, "Busy Here", TAG_END());
		return 0;
	}
	if (!is_sdp(sip) || !cuser || strlen(cuser) >= SIP_DIR_NAME_MAX) {
		/* An offer is needed for the side that stays. */
		nta_msg_treply(ag, msg, 488, "Not Acceptable Here", TAG_END());
		return 0;
	}
	memset(&neu, 0, sizeof neu);
	if (d->ops->device_by_name(d->ctx, caller, &neu.dev) != 0) {
		nta_msg_treply(ag, msg, 500, "Server Internal Error",
			       TAG_END());
		return 0;
	}
	snprintf(neu.user, sizeof neu.user, "%s", cuser);
	neu.transport = peer->transport;
	flow_url(neu.flow, sizeof neu.flow,
		 (const struct sockaddr *)&peer->addr, peer->transport);
	contact_of(cs, neu.transport, neu.contact, sizeof neu.contact);
	if (from_node) {
		/* The new party is the member's node leg, at the level its
		 * assertion says. */
		neu.node.asserted = 1;
		neu.node.level = from_node->level;
		if (node_side(cs, &neu, from_node->node_id) != 0) {
			nta_msg_treply(ag, msg, 500, "Server Internal Error",
				       TAG_END());
			return 0;
		}
	}
	neu.encrypted = side_level(&neu) == SIP_LEVEL_ENCRYPTED;
	x = xfer_new(c, slot, 1);
	if (!x) {
		nta_msg_treply(ag, msg, 500, "Server Internal Error",
			       TAG_END());
		return 0;
	}
	x->neu = neu;
	x->irq_new = nta_incoming_create(ag, NULL, msg, sip, NTATAG_TPORT(tp),
					 TAG_END());
	if (!x->irq_new) { /* msg freed by nta */
		xfer_release(c);
		return 0;
	}
	nta_incoming_bind(x->irq_new, on_irq_new, c);
	x->neu.leg = nta_leg_tcreate(
	    ag, on_leg, c, SIPTAG_CALL_ID(sip->sip_call_id),
	    SIPTAG_FROM(sip->sip_to), SIPTAG_TO(sip->sip_from), TAG_END());
	if (!x->neu.leg || leg_tag(cs, x->neu.leg) != 0) {
		xfer_release(c);
		return 0;
	}
	nta_incoming_tag(x->irq_new, nta_leg_get_tag(x->neu.leg));
	nta_leg_server_route(x->neu.leg, sip->sip_record_route,
			     sip->sip_contact);
	nta_incoming_treply(x->irq_new, SIP_100_TRYING, TAG_END());
	log_info(TAG, "call %s: %s replaces %s", c->call_id, caller,
		 slot->dev.name);
	swap_in(c);
	st = reinvite_stay(c, sip->sip_payload);
	if (st != 0) {
		swap_back(c);
		nta_incoming_treply(x->irq_new, st, "Not Acceptable Here",
				    TAG_END());
		xfer_release(c);
	}
	return 0;
}

/* Session timers. Ward keeps the timer of A's dialog (the one whose
 * INVITE asked for it): A refreshes when it supports "timer" and did not
 * ask ward to, ward otherwise, with an UPDATE without a body at half the
 * interval. Any re-INVITE or UPDATE answered 2xx, from either side,
 * refreshes the session; one not refreshed by its expiry ends (BYE to
 * both sides). */
int call_st_refuse(struct sip_calls *cs, msg_t *msg, sip_t const *sip)
{
	char min[16];
	const sip_session_expires_t *se = sip->sip_session_expires;

	if (!se || se->x_delta >= cs->cfg.min_se_s)
		return 0;
	log_info(TAG, "INVITE with Session-Expires %lu refused: Min-SE %u",
		 (unsigned long)se->x_delta, cs->cfg.min_se_s);
	snprintf(min, sizeof min, "%u", cs->cfg.min_se_s);
	nta_msg_treply(cs->env.agent, msg, 422, "Session Interval Too Small",
		       SIPTAG_MIN_SE_STR(min), TAG_END());
	return 1;
}

void call_st_init(struct call *c, sip_t const *sip)
{
	const sip_session_expires_t *se = sip->sip_session_expires;
	unsigned long s;

	if (!se || se->x_delta == 0)
		return;
	s = se->x_delta;
	if (sip->sip_min_se && sip->sip_min_se->min_delta > s)
		s = sip->sip_min_se->min_delta;
	if (s > 86400)
		s = 86400;
	c->se_s = (unsigned)s;
	c->se_ward =
	    !sip_has_feature(sip->sip_supported, "timer") ||
	    (se->x_refresher && strcasecmp(se->x_refresher, "uas") == 0);
	snprintf(c->se_hdr, sizeof c->se_hdr, "%u;refresher=%s", c->se_s,
		 c->se_ward ? "uas" : "uac");
}

void call_st_refreshed(struct call *c)
{
	uint64_t now = wall_ms();

	if (!c->se_s)
		return;
	c->se_until_ms = now + (uint64_t)c->se_s * 1000;
	if (c->se_ward)
		c->se_refresh_ms = now + (uint64_t)c->se_s * 500;
}

static void st_end(struct call *c, const char *why)
{
	send_bye(c, &c->a);
	send_bye(c, &c->b);
	call_free(c, why);
}

/* A's answer to ward's refresh: 408 and 481 (and no answer) say the
 * dialog is gone (RFC 4028 section 10, RFC 5057); any other answer, even
 * a 405 from a phone without UPDATE, shows it alive. */
static int on_st_resp(struct call *c, nta_outgoing_t *orq, sip_t const *sip)
{
	int status = sip && sip->sip_status ? sip->sip_status->st_status : 408;

	if (status < 200)
		return 0;
	nta_outgoing_destroy(orq);
	c->se_orq = NULL;
	if (status == 408 || status == 481) {
		log_info(TAG, "call %s: session refresh answered %d",
			 c->call_id, status);
		st_end(c, "session refresh failed");
		return 0;
	}
	call_st_refreshed(c);
	return 0;
}

int call_st_tick(struct call *c, uint64_t now_ms)
{
	if (!c->se_s || c->state != CALL_TALKING || c->xfer)
		return 0;
	if (now_ms >= c->se_until_ms) {
		log_info(TAG, "call %s: session not refreshed in %u s",
			 c->call_id, c->se_s);
		st_end(c, "session expired");
		return 1;
	}
	if (c->se_ward && !c->se_orq && !c->pend_irq &&
	    now_ms >= c->se_refresh_ms) {
		c->se_refresh_ms = c->se_until_ms;
		c->se_orq = nta_outgoing_tcreate(
		    c->a.leg, on_st_resp, c, URL_STRING_MAKE(c->a.flow),
		    SIP_METHOD_UPDATE, NULL, SIPTAG_CONTACT_STR(c->a.contact),
		    SIPTAG_SESSION_EXPIRES_STR(c->se_hdr),
		    SIPTAG_SUPPORTED_STR(SUPPORTED), TAG_END());
	}
	return 0;
}

void call_prack_b(struct call *c, nta_outgoing_t *orq, sip_t const *sip)
{
	char rack[48];

	(void)orq;
	if (!sip->sip_rseq || !sip_has_feature(sip->sip_require, "100rel") ||
	    !nta_leg_get_rtag(c->b.leg))
		return;
	/* In the early dialog, as nta_outgoing_prack would, but without its
	 * demand that the INVITE transaction know B's tag. */
	snprintf(rack, sizeof rack, "%u %u INVITE",
		 (unsigned)sip->sip_rseq->rs_response,
		 (unsigned)sip->sip_cseq->cs_seq);
	if (!nta_outgoing_tcreate(c->b.leg, NULL, NULL,
				  URL_STRING_MAKE(c->b.flow), SIP_METHOD_PRACK,
				  NULL, SIPTAG_CONTACT_STR(c->b.contact),
				  SIPTAG_RACK_STR(rack), TAG_END()))
		log_warn(TAG, "call %s: no PRACK for the callee's %d",
			 c->call_id, sip->sip_status->st_status);
}
