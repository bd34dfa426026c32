/* call: the B2BUA's dialogs — an authorised INVITE placed on the callee's
 * binding, responses relayed back, ACK, BYE, CANCEL and in-dialog requests
 * carried from one dialog to the other. See call.h for the contract. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

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
#include "node/sip/call.h"
#include "node/sip/call_node.h"
#include "node/sip/call_trunk.h"

#define TAG "sip"
#include "node/sip/call_int.h"
_Static_assert(SIP_CALL_TRUNK_URI_MAX <= FLOW_MAX, "a trunk uri is a flow");

void sip_call_config_defaults(struct sip_call_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->max_calls = 10000;
	cfg->max_per_device = 8;
	cfg->ring_s = 120;
	cfg->min_se_s = 90;
	strcpy(cfg->host, "127.0.0.1");
	cfg->port = 5060;
	cfg->tls_port = 5061;
}

uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *tp_name(unsigned tp)
{
	return tp == SIP_TP_TLS ? "tls" : tp == SIP_TP_TCP ? "tcp" : "udp";
}

/* "sip:ADDR:PORT;transport=T" for the flow the device is reached on. */
void flow_url(char *out, size_t cap, const struct sockaddr *sa, unsigned tp)
{
	char ip[INET6_ADDRSTRLEN] = "";
	unsigned port = 0;

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
		port = ntohs(s6->sin6_port);
		snprintf(out, cap, "sip:[%s]:%u;transport=%s", ip, port,
			 tp_name(tp));
		return;
	}
	inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip,
		  sizeof ip);
	port = ntohs(((const struct sockaddr_in *)sa)->sin_port);
	snprintf(out, cap, "sip:%s:%u;transport=%s", ip, port, tp_name(tp));
}

void contact_of(const struct sip_calls *cs, unsigned tp, char *out, size_t cap)
{
	int v6 = strchr(cs->cfg.host, ':') != NULL;
	snprintf(out, cap, "<sip:ward@%s%s%s:%u;transport=%s>", v6 ? "[" : "",
		 cs->cfg.host, v6 ? "]" : "",
		 tp == SIP_TP_TLS ? cs->cfg.tls_port : cs->cfg.port,
		 tp_name(tp));
}

/* The leg's level: encrypted needs an encrypted-mode profile over TLS,
 * authenticated an authenticated (or better) one over TLS; a trunk is at
 * most authenticated. */
enum sip_level side_level(const struct side *s)
{
	if (s->node.asserted) /* the first node's word on the caller's leg */
		return s->node.level;
	if (s->transport != SIP_TP_TLS || s->dev.mode == SIP_SECMODE_NONSECURE)
		return SIP_LEVEL_NONSECURE;
	if (s->dev.mode == SIP_SECMODE_ENCRYPTED && !s->dev.is_trunk)
		return SIP_LEVEL_ENCRYPTED;
	return SIP_LEVEL_AUTHENTICATED;
}

/* The value of the Call-Info security parameter the phones of the seed's
 * family read (docs/sip.md, "Calls"). */
static const char *level_param(enum sip_level l)
{
	return l == SIP_LEVEL_ENCRYPTED	      ? "Encrypted"
	       : l == SIP_LEVEL_AUTHENTICATED ? "Authenticated"
					      : "NotAuthenticated";
}

void level_hdr(const struct call *c, char *out, size_t cap)
{
	snprintf(out, cap, "<urn:x-cisco-remotecc:callinfo>;security=%s",
		 level_param(c->level));
}

int leg_tag(const struct sip_calls *cs, nta_leg_t *leg)
{
	uint8_t r[16];
	char t[64];
	size_t n = 0;

	if (RAND_bytes(r, sizeof r) != 1)
		return -1;
	for (size_t i = 0; i < sizeof r; i++)
		n += (size_t)snprintf(t + n, sizeof t - n, "%02x", r[i]);
	if (cs->env.node_id)
		snprintf(t + n, sizeof t - n, "-w%llu",
			 (unsigned long long)cs->env.node_id);
	OPENSSL_cleanse(r, sizeof r);
	return nta_leg_tag(leg, t) ? 0 : -1;
}

/* This node's own word on call C toward node leg N (call_node.h, "Level
 * across nodes"): the level of the other side's leg and of the keys,
 * capped by the media table's last verdict, whatever the member told of
 * its side — what the member combines with its own. */
enum sip_level near_level(const struct call *c, const struct side *n)
{
	const struct side *o = n == &c->a ? &c->b : &c->a;
	enum sip_level l = side_level(o);

	if (l == SIP_LEVEL_ENCRYPTED && (!(c->cs->env.media || c->offer_keys) ||
					 !o->encrypted || !n->encrypted))
		l = SIP_LEVEL_AUTHENTICATED;
	if (c->media_said && c->media_level < l)
		l = c->media_level;
	return l;
}

void info_to(const struct call *c, const struct side *s, char *out, size_t cap)
{
	snprintf(out, cap, "<urn:x-cisco-remotecc:callinfo>;security=%s",
		 level_param(s->node.agent ? near_level(c, s) : c->level));
}

int node_told(struct call *c, struct side *s, const sip_t *sip)
{
	enum sip_level told, before = c->level;

	if (!s->node.agent || !sip || sip_call_node_told(sip, &told) != 0)
		return 0;
	s->node.asserted = 1;
	s->node.level = told;
	c->level = legs_level(c, c->cs->env.media || c->offer_keys);
	if (c->media_said && c->media_level < c->level)
		c->level = c->media_level;
	if (c->level == before)
		return 0;
	log_info(TAG, "call %s security level now %s (member %llu told %s)",
		 c->call_id, sip_level_name(c->level),
		 (unsigned long long)s->node.node_id, sip_level_name(told));
	return 1;
}

void media_leg(const struct side *s, struct sip_media_leg *l)
{
	l->mode = s->dev.mode;
	l->transport = s->transport;
	l->is_trunk = s->dev.is_trunk;
	/* A trunk the leg rule denies keys (its peer not verified): none
	 * from the key manager either, whatever its profile says. */
	if (l->is_trunk && !s->encrypted && l->mode == SIP_SECMODE_ENCRYPTED)
		l->mode = SIP_SECMODE_AUTHENTICATED;
	l->encrypted_or_reject = s->dev.encrypted_or_reject;
	snprintf(l->device, sizeof l->device, "%s", s->dev.name);
}

static void emit(struct call *c, const struct side *s, int initiator,
		 enum sip_dialog_state st)
{
	struct sip_dialog_event ev;
	const struct side *o = s == &c->a ? &c->b : &c->a;

	/* A node leg's device is a member's: that member tells (presence
	 * across nodes, presence_node.h). */
	if (!c->cs->env.dialog_event || s->node.agent)
		return;
	ev.device = s->dev.name;
	ev.line = s == &c->b ? c->number : s->user;
	ev.call_id = c->call_id;
	ev.peer = s == &c->a ? c->number : o->user;
	ev.initiator = initiator;
	ev.state = st;
	c->cs->env.dialog_event(c->cs->env.dialog_arg, &ev);
}

static void emit_both(struct call *c, enum sip_dialog_state st)
{
	emit(c, &c->a, 1, st);
	emit(c, &c->b, 0, st);
}

int is_sdp(const sip_t *sip)
{
	return sip && sip->sip_payload && sip->sip_payload->pl_len &&
	       sip->sip_content_type && sip->sip_content_type->c_type &&
	       strcasecmp(sip->sip_content_type->c_type, "application/sdp") ==
		   0;
}

/* The level the legs allow, KEYS: the offer carried keys (without a
 * media table the keys go phone to phone: both legs must may hold them). */
enum sip_level legs_level(const struct call *c, int keys)
{
	enum sip_level la = side_level(&c->a), lb = side_level(&c->b);
	enum sip_level l = la < lb ? la : lb;

	if (l == SIP_LEVEL_ENCRYPTED &&
	    (!keys || !c->a.encrypted || !c->b.encrypted))
		l = SIP_LEVEL_AUTHENTICATED;
	return l;
}

/* SDP from one side rewritten for side TO: by the media table (KIND 'o'
 * first offer, 'a' first answer, 'O' re-offer, 'A' re-answer) or by the
 * leg rule. Returns a heap buffer the caller wipes and frees, NULL with
 * *STATUS set (488 refused, 500 no memory). */
char *sdp_for(struct call *c, const struct side *to, int kind,
	      const sip_payload_t *pl, int *status)
{
	const struct sip_media *m = c->cs->env.media;
	size_t cap = pl->pl_len + 4096, len = 0;
	char *out = malloc(cap);
	int rc = 0, had;

	*status = 500;
	if (!out)
		return NULL;
	if (m && m->ops) {
		struct sip_media_leg la, lb;
		enum sip_level lvl = c->level;
		media_leg(&c->a, &la);
		media_leg(&c->b, &lb);
		if (kind == 'o')
			rc = m->ops->offer(m->ctx, c->call_id, &la, &lb,
					   pl->pl_data, pl->pl_len, out, cap,
					   &len, &c->media);
		else if (kind == 'a')
			rc = m->ops->answer(m->ctx, c->media, pl->pl_data,
					    pl->pl_len, out, cap, &len, &lvl);
		else if (kind == 'O')
			rc = m->ops->reoffer(
			    m->ctx, c->media, to == &c->b ? 'A' : 'B', &la, &lb,
			    pl->pl_data, pl->pl_len, out, cap, &len);
		else
			rc = m->ops->reanswer(m->ctx, c->media, pl->pl_data,
					      pl->pl_len, out, cap, &len, &lvl);
		if (rc == 0 && (kind == 'a' || kind == 'A')) {
			c->level = lvl;
			c->media_level = lvl;
			c->media_said = 1;
			/* The media judges this node's legs; a member's last
			 * word on its side caps them (a re-INVITE it relayed
			 * told a lower level before this answer came). */
			if (c->a.node.asserted && c->a.node.level < c->level)
				c->level = c->a.node.level;
			if (c->b.node.asserted && c->b.node.level < c->level)
				c->level = c->b.node.level;
		}
	} else {
		int n = sip_call_sdp_filter(pl->pl_data, pl->pl_len,
					    to->encrypted, out, cap, &had);
		rc = n < 0 ? 488 : 0;
		if (kind == 'o')
			c->offer_keys = had;
		if (kind == 'a' || kind == 'A')
			c->level = legs_level(c, had);
	}
	if (rc != 0) {
		OPENSSL_cleanse(out, cap);
		free(out);
		*status = rc;
		return NULL;
	}
	return out;
}

void sdp_drop(char *sdp)
{
	if (sdp) {
		OPENSSL_cleanse(sdp, strlen(sdp));
		free(sdp);
	}
}

/* B's answer PL again in a later response (a 183 then the 200): 0 when
 * the relay follows it (the same SDP, or the same keys at another address
 * or port), else the status to refuse the call with. Without a media
 * table A gets B's new SDP through the leg rule. */
static int answer_again(struct call *c, const sip_payload_t *pl, int *status)
{
	const struct sip_media *m = c->cs->env.media;
	size_t n = strlen(c->answer_b);
	char *sdp;

	if (pl->pl_len == n && memcmp(pl->pl_data, c->answer_b, n) == 0)
		return 0;
	if (m && m->ops) {
		*status = m->ops->answer_again
			      ? m->ops->answer_again(m->ctx, c->media,
						     pl->pl_data, pl->pl_len)
			      : 488;
		return *status;
	}
	sdp = sdp_for(c, &c->a, 'a', pl, status);
	if (!sdp)
		return *status;
	sdp_drop(c->answer_a);
	c->answer_a = sdp;
	return 0;
}

/* Ward's answer to A from B's answer: made once (early media in a 183,
 * then the 200 repeat it: one offer, one answer), copied for each
 * response; a later response whose SDP differs goes through answer_again.
 * NULL with *STATUS on refusal. */
static char *answer_for_a(struct call *c, const sip_payload_t *pl, int *status)
{
	char *sdp;

	if (!c->answer_a) {
		c->answer_a = sdp_for(c, &c->a, 'a', pl, status);
		if (!c->answer_a)
			return NULL;
		c->answer_b = malloc(pl->pl_len + 1);
		if (c->answer_b) {
			memcpy(c->answer_b, pl->pl_data, pl->pl_len);
			c->answer_b[pl->pl_len] = '\0';
		}
	} else if (!c->answer_b || answer_again(c, pl, status) != 0) {
		if (!c->answer_b)
			*status = 500;
		return NULL;
	}
	sdp = strdup(c->answer_a);
	*status = 500;
	return sdp;
}

int call_link(struct call *c)
{
	struct sip_calls *cs = c->cs;

	if (call_devs_enter(&cs->devs, c->a.dev.name, c->b.dev.name) != 0)
		return -1;
	c->next = cs->head;
	if (cs->head)
		cs->head->prev = c;
	cs->head = c;
	cs->n++;
	return 0;
}

static void call_unlink(struct call *c)
{
	call_devs_leave(&c->cs->devs, c->a.dev.name, c->b.dev.name);
	if (c->prev)
		c->prev->next = c->next;
	else
		c->cs->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->cs->n--;
}

/* Ends the call's objects: whatever transaction still waits gets a final
 * answer, every leg is destroyed. Nothing of C is used after. */
void call_free(struct call *c, const char *why)
{
	const struct sip_media *m = c->cs->env.media;

	log_info(TAG, "call %s %s -> %s (%s) ended: %s", c->call_id,
		 c->a.dev.name, c->b.dev.name, c->number, why);
	call_xfer_free(c);
	call_conf_gone(c);
	if (c->irq_a) {
		if (nta_incoming_status(c->irq_a) < 200)
			nta_incoming_treply(c->irq_a, 500, "Call Ended",
					    TAG_END());
		nta_incoming_destroy(c->irq_a);
	}
	if (c->orq_b)
		nta_outgoing_destroy(c->orq_b);
	if (c->pend_irq) {
		if (nta_incoming_status(c->pend_irq) < 200)
			nta_incoming_treply(c->pend_irq, 481,
					    "Call Does Not Exist", TAG_END());
		nta_incoming_destroy(c->pend_irq);
	}
	if (c->pend_orq)
		nta_outgoing_destroy(c->pend_orq);
	if (c->told_orq)
		nta_outgoing_destroy(c->told_orq);
	if (c->ack_irq)
		nta_incoming_destroy(c->ack_irq);
	nta_leg_destroy(c->a.leg);
	nta_leg_destroy(c->b.leg);
	if (m && m->ops && c->media)
		m->ops->close(m->ctx, c->media);
	sdp_drop(c->answer_a);
	sdp_drop(c->answer_b);
	emit_both(c, SIP_DLG_TERMINATED);
	call_unlink(c);
	free(c);
}

/* Cancelled: B's final answer ends the call, or 32 s (64*T1) do. */
static void set_ending(struct call *c)
{
	c->state = CALL_ENDING;
	c->end_by_ms = wall_ms() + 32000;
}

/* A request ward makes in side S's dialog (BYE, ACK, an UPDATE telling
 * the level), its answers left to nta. The handle is let go at once: nta
 * frees a transaction nobody holds when its timers end, but never one
 * still held — and nobody would release an ACK's, which gets no answer
 * (every call's ACK to the callee stayed for good). An ACK over a
 * connection is sent statelessly: a 2xx repeated there only crosses the
 * ACK already delivered, and nothing needs keeping for 64*T1 (RFC 3261
 * 17.1.1.3: the ACK of a 2xx is no transaction of its own). */
void send_req(struct call *c, struct side *s, sip_method_t method,
	      const char *name, uint32_t cseq, const char *body,
	      const char *info)
{
	int forget = method == sip_method_ack && s->transport != SIP_TP_UDP;
	nta_outgoing_t *orq;
	char cs_str[32];

	(void)c;
	if (!s->leg) /* a conference call's side held by ward itself */
		return;
	snprintf(cs_str, sizeof cs_str, "%u %s", cseq, name);
	orq = nta_outgoing_tcreate(
	    s->leg, NULL, NULL, URL_STRING_MAKE(s->flow), method, name, NULL,
	    TAG_IF(forget, NTATAG_STATELESS(1)), SIPTAG_CONTACT_STR(s->contact),
	    TAG_IF(cseq, SIPTAG_CSEQ_STR(cs_str)),
	    TAG_IF(info, SIPTAG_CALL_INFO_STR(info)),
	    TAG_IF(body, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
	    TAG_IF(body, SIPTAG_PAYLOAD_STR(body)), TAG_END());
	if (orq && !forget) /* a stateless one is nta's from the start */
		nta_outgoing_destroy(orq);
}

/* The member's answer to ward's UPDATE telling it the level: its own word
 * back, and the phone on the other side hears what that changed. */
static int on_resp_told(struct call *c, nta_outgoing_t *orq, sip_t const *sip)
{
	int status = sip && sip->sip_status ? sip->sip_status->st_status : 408;
	struct side *s = c->told_to, *o;
	char info[96];

	if (status < 200)
		return 0;
	c->told_orq = NULL;
	c->told_to = NULL;
	/* SIP is the transaction's: read before it goes. */
	if (status < 300 && s && node_told(c, s, sip)) {
		o = s == &c->a ? &c->b : &c->a;
		if (o->leg && !o->node.agent) {
			level_hdr(c, info, sizeof info);
			send_req(c, o, sip_method_update, "UPDATE", 0, NULL,
				 info);
		}
	}
	nta_outgoing_destroy(orq);
	return 0;
}

void tell_node(struct call *c, struct side *s)
{
	char info[96];

	if (!s->node.agent || !s->leg)
		return;
	if (c->told_orq)
		nta_outgoing_destroy(c->told_orq);
	info_to(c, s, info, sizeof info);
	c->told_to = s;
	c->told_orq = nta_outgoing_tcreate(
	    s->leg, on_resp_told, c, URL_STRING_MAKE(s->flow),
	    SIP_METHOD_UPDATE, NULL, SIPTAG_CONTACT_STR(s->contact),
	    SIPTAG_CALL_INFO_STR(info), TAG_END());
}

void send_simple(struct call *c, struct side *s, sip_method_t method,
		 const char *name, uint32_t cseq, const char *body)
{
	send_req(c, s, method, name, cseq, body, NULL);
}

void send_bye(struct call *c, struct side *s)
{
	send_simple(c, s, sip_method_bye, "BYE", 0, NULL);
}

/* A acknowledged the 200: B gets its ACK now if it waited for A's answer
 * (an INVITE without an offer). */
static void on_ack_a(struct call *c, const sip_t *sip)
{
	char *sdp = NULL;
	int st;

	if (c->state != CALL_ANSWERED)
		return;
	if (!c->b_acked) {
		if (is_sdp(sip))
			sdp = sdp_for(c, &c->b, 'a', sip->sip_payload, &st);
		send_simple(c, &c->b, sip_method_ack, "ACK", c->b_invite_cseq,
			    sdp);
		sdp_drop(sdp);
		c->b_acked = 1;
	}
	c->state = CALL_TALKING;
}

/* A's INVITE transaction: CANCEL, the ACK of a 2xx, or its end without one
 * (SIP NULL). */
static int on_irq_a(struct call *c, nta_incoming_t *irq, sip_t const *sip)
{
	if (!sip) {
		if (c->state == CALL_ANSWERED) {
			send_bye(c, &c->b);
			call_free(c, "no ACK from the caller");
		}
		return 0;
	}
	if (sip->sip_request->rq_method == sip_method_cancel) {
		if (c->state >= CALL_ANSWERED)
			return 0;
		log_info(TAG, "call %s cancelled by the caller", c->call_id);
		set_ending(c);
		if (c->orq_b)
			nta_outgoing_cancel(c->orq_b);
		else
			call_free(c, "cancelled");
		return 0; /* nta answers A's INVITE with 487 */
	}
	if (sip->sip_request->rq_method == sip_method_ack) {
		on_ack_a(c, sip);
		if (c->irq_a == irq) {
			nta_incoming_destroy(irq);
			c->irq_a = NULL;
		}
	}
	return 0;
}

/* B's final answer to a call that ended meanwhile: a 2xx gets its ACK and
 * a BYE. */
static void end_answered_b(struct call *c, const sip_t *sip)
{
	nta_leg_rtag(c->b.leg, sip->sip_to->a_tag);
	nta_leg_client_route(c->b.leg, sip->sip_record_route, sip->sip_contact);
	send_simple(c, &c->b, sip_method_ack, "ACK", sip->sip_cseq->cs_seq,
		    NULL);
	send_bye(c, &c->b);
}

/* What A hears of B's failure: busy and declines as they are, ward's own
 * and unusable answers as "unavailable". */
static int map_failure(int status, const char **phrase)
{
	switch (status) {
	case 403: /* a trunk refused ward's credentials */
	case 404:
	case 486:
	case 488:
	case 600:
	case 603:
	case 606:
		return status;
	case 408: /* B never answered: unreachable */
	default:
		*phrase = "Temporarily Unavailable";
		return 480;
	}
}

static int on_resp_b(struct call *c, nta_outgoing_t *orq, sip_t const *sip)
{
	const char *phrase;
	int status = call_resp_status(sip, &phrase);
	char *sdp = NULL, info[96], retry[24] = "";
	int st;

	if (status < 200) {
		if (status == 100 || c->state >= CALL_ANSWERED ||
		    c->state == CALL_ENDING)
			return 0;
		if (sip->sip_to->a_tag && !nta_leg_get_rtag(c->b.leg))
			nta_leg_rtag(c->b.leg, sip->sip_to->a_tag);
		call_prack_b(c, orq, sip);
		if (is_sdp(sip) && c->a_offered)
			sdp = answer_for_a(c, sip->sip_payload, &st);
		nta_incoming_treply(
		    c->irq_a, status, phrase, SIPTAG_CONTACT_STR(c->a.contact),
		    SIPTAG_ALLOW_STR(ALLOW),
		    TAG_IF(sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
		    TAG_IF(sdp, SIPTAG_PAYLOAD_STR(sdp)), TAG_END());
		sdp_drop(sdp);
		c->state = CALL_EARLY;
		if (!c->early_sent) {
			c->early_sent = 1;
			emit_both(c, SIP_DLG_EARLY);
		}
		return 0;
	}
	if ((status == 401 || status == 407) && c->b.dev.is_trunk) {
		/* The trunk challenges ward: one answer (call_trunk.h); a
		 * second challenge is its refusal. */
		nta_outgoing_t *again = NULL;
		if (!c->b_challenged && c->state != CALL_ENDING)
			again = sip_call_trunk_answer(
			    c->cs->auth, c->cs->env.dir, c->b.leg, c->b.flow,
			    orq, sip, on_resp_b, c);
		c->b_challenged = 1;
		if (again) {
			nta_outgoing_destroy(orq);
			c->orq_b = again;
			return 0;
		}
		status = 403, phrase = "Forbidden";
	}
	nta_outgoing_destroy(orq);
	c->orq_b = NULL;
	if (status >= 300) {
		if (c->state == CALL_ENDING) {
			call_free(c, "cancelled");
			return 0;
		}
		st = map_failure(status, &phrase);
		/* The member holding a replaced dialog answers as the local
		 * case does. */
		if (c->b.node.agent && status == 481)
			st = 481, phrase = "Call/Transaction Does Not Exist";
		/* The trunk's TLS peer was refused before anything went
		 * (call_trunk.h): whatever the stack made of it, 502. */
		if (c->b.dev.is_trunk && c->b.transport == SIP_TP_TLS &&
		    sip_call_trunk_tls_refused(c->b.dev.name, c->started_ms,
					       NULL, 0))
			st = 502, phrase = "Bad Gateway";
		log_info(TAG, "call %s: callee answered %d, caller gets %d",
			 c->call_id, status, st);
		/* The callee's side said when to try again (a member under
		 * overload, RFC 3261 21.5.4): A's 480 says it too (21.4.18),
		 * a number of seconds and no more. */
		if (st == 480 && sip && sip->sip_retry_after)
			snprintf(retry, sizeof retry, "%lu",
				 (unsigned long)sip->sip_retry_after->af_delta);
		nta_incoming_treply(
		    c->irq_a, st, phrase,
		    TAG_IF(retry[0], SIPTAG_RETRY_AFTER_STR(retry)), TAG_END());
		call_free(c, "refused");
		return 0;
	}
	if (c->state == CALL_ENDING) {
		end_answered_b(c, sip);
		call_free(c, "answered after a cancel");
		return 0;
	}
	nta_leg_rtag(c->b.leg, sip->sip_to->a_tag);
	nta_leg_client_route(c->b.leg, sip->sip_record_route, sip->sip_contact);
	c->b_invite_cseq = sip->sip_cseq->cs_seq;
	if (is_sdp(sip)) {
		/* An answer (A offered) or B's offer, answered in A's ACK. */
		sdp = c->a_offered
			  ? answer_for_a(c, sip->sip_payload, &st)
			  : sdp_for(c, &c->a, 'o', sip->sip_payload, &st);
		if (!sdp) {
			end_answered_b(c, sip);
			nta_incoming_treply(c->irq_a, st, "Not Acceptable Here",
					    TAG_END());
			call_free(c, "answer refused");
			return 0;
		}
	} else if (c->a_offered && c->answer_a) {
		/* B answered in a reliable 18x: A's 200 repeats ward's answer,
		 * which A may have had only in an unreliable 18x. */
		sdp = strdup(c->answer_a);
	}
	/* A member carried the callee's side: its word caps the level, and
	 * is its side's level from now on (side_level). */
	if (c->b.node.agent) {
		c->level = sip_call_node_level_cap(sip, c->level);
		c->b.node.level =
		    sip_call_node_level_cap(sip, SIP_LEVEL_ENCRYPTED);
		c->b.node.asserted = 1;
	}
	c->state = CALL_ANSWERED;
	c->answered_ms = wall_ms();
	call_st_refreshed(c);
	info_to(c, &c->b, info, sizeof info);
	if (c->a_offered) {
		send_simple(c, &c->b, sip_method_ack, "ACK", c->b_invite_cseq,
			    NULL);
		c->b_acked = 1;
	}
	if (c->level != c->told_b && c->b_acked && sip->sip_allow &&
	    sip_is_allowed(sip->sip_allow, sip_method_update, "UPDATE")) {
		/* B's INVITE announced another level than the answer made:
		 * B learns it in an UPDATE without a body (RFC 3311). */
		send_req(c, &c->b, sip_method_update, "UPDATE", 0, NULL, info);
		c->told_b = c->level;
	}
	info_to(c, &c->a, info, sizeof info);
	nta_incoming_treply(
	    c->irq_a, SIP_200_OK, SIPTAG_CONTACT_STR(c->a.contact),
	    SIPTAG_ALLOW_STR(ALLOW), SIPTAG_CALL_INFO_STR(info),
	    SIPTAG_SUPPORTED_STR(SUPPORTED),
	    TAG_IF(c->se_s, SIPTAG_SESSION_EXPIRES_STR(c->se_hdr)),
	    TAG_IF(c->se_s && !c->se_ward, SIPTAG_REQUIRE_STR("timer")),
	    TAG_IF(sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
	    TAG_IF(sdp, SIPTAG_PAYLOAD_STR(sdp)), TAG_END());
	sdp_drop(sdp);
	log_info(TAG, "call %s %s -> %s (%s) answered, security level %s",
		 c->call_id, c->a.dev.name, c->b.dev.name, c->number,
		 sip_level_name(c->level));
	emit_both(c, SIP_DLG_CONFIRMED);
	return 0;
}

/* The sender's ACK to a relayed re-INVITE that had no offer: the answer
 * it holds goes on in the ACK to the side whose 2xx made the offer (no
 * ACK in time: that side gets one without a body). */
static int on_irq_ack(struct call *c, nta_incoming_t *irq, sip_t const *sip)
{
	char *sdp = NULL;
	int st;

	if (irq != c->ack_irq)
		return 0;
	if (sip && sip->sip_request->rq_method != sip_method_ack)
		return 0;
	if (c->ack_to) {
		if (sip && is_sdp(sip))
			sdp = sdp_for(c, c->ack_to, 'A', sip->sip_payload, &st);
		send_simple(c, c->ack_to, sip_method_ack, "ACK", c->ack_cseq,
			    sdp);
		sdp_drop(sdp);
	}
	c->ack_to = NULL;
	nta_incoming_destroy(c->ack_irq);
	c->ack_irq = NULL;
	return 0;
}

/* The answer to a relayed in-dialog request goes back to its sender. */
static int on_resp_relay(struct call *c, nta_outgoing_t *orq, sip_t const *sip)
{
	const char *phrase;
	int status = call_resp_status(sip, &phrase);
	struct side *from = c->pend_from, *to = from == &c->a ? &c->b : &c->a;
	int invite = nta_outgoing_method(orq) == sip_method_invite;
	enum sip_level before = c->level;
	char *sdp = NULL, info[96];
	int st;

	if (status < 200)
		return 0;
	if (invite && status < 300 && !c->pend_offered && is_sdp(sip)) {
		/* A re-INVITE without an offer: the 2xx holds it, the
		 * sender's ACK will hold the answer for TO's ACK. */
		c->ack_to = to;
		c->ack_cseq = sip->sip_cseq->cs_seq;
	} else if (invite && status < 300) {
		send_simple(c, to, sip_method_ack, "ACK", sip->sip_cseq->cs_seq,
			    NULL);
	}
	if (status < 300 &&
	    (invite || nta_outgoing_method(orq) == sip_method_update))
		call_st_refreshed(c);
	if (status < 300 && is_sdp(sip)) {
		sdp = sdp_for(c, from, c->ack_to ? 'O' : 'A', sip->sip_payload,
			      &st);
		if (!sdp) {
			status = st, phrase = "Not Acceptable Here";
			if (c->ack_to) { /* TO's 2xx still needs its ACK */
				send_simple(c, to, sip_method_ack, "ACK",
					    c->ack_cseq, NULL);
				c->ack_to = NULL;
			}
		}
	}
	/* A member's answer tells the level of its side. */
	if (status < 300)
		node_told(c, to, sip);
	info_to(c, from, info, sizeof info);
	if (status == 408 && !(sip && sip->sip_status))
		phrase = "Request Timeout";
	nta_incoming_treply(
	    c->pend_irq, status, phrase,
	    TAG_IF(status < 300, SIPTAG_CONTACT_STR(from->contact)),
	    TAG_IF(status < 300 &&
		       (invite || from->node.agent || to->node.agent),
		   SIPTAG_CALL_INFO_STR(info)),
	    TAG_IF(c->se_s && from == &c->a && status < 300,
		   SIPTAG_SESSION_EXPIRES_STR(c->se_hdr)),
	    TAG_IF(sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
	    TAG_IF(sdp, SIPTAG_PAYLOAD_STR(sdp)), TAG_END());
	sdp_drop(sdp);
	if (c->ack_to) {
		c->ack_irq = c->pend_irq;
		nta_incoming_bind(c->ack_irq, on_irq_ack, c);
	} else {
		nta_incoming_destroy(c->pend_irq);
	}
	nta_outgoing_destroy(orq);
	c->pend_irq = NULL;
	c->pend_orq = NULL;
	c->pend_from = NULL;
	if (c->level != before)
		log_info(TAG, "call %s security level now %s", c->call_id,
			 sip_level_name(c->level));
	return 0;
}

/* An in-dialog request other than ACK and BYE, carried to the other side
 * with its body; its answer comes back through on_resp_relay. */
static int relay(struct call *c, struct side *from, nta_incoming_t *irq,
		 sip_t const *sip)
{
	struct side *to = from == &c->a ? &c->b : &c->a;
	sip_method_t m = sip->sip_request->rq_method;
	char *sdp = NULL, info[96];
	const char *ctype = NULL, *body = NULL;
	int st, tell;

	if (c->state < CALL_ANSWERED || c->state == CALL_ENDING)
		return 491;
	if (c->pend_irq || c->xfer || c->ack_irq)
		return 491;
	/* Across nodes the level rides on re-INVITE and UPDATE: a member's
	 * word on its side (believed on a node leg only), this node's word
	 * to a member, and the resulting level to the phone. */
	tell = (m == sip_method_invite || m == sip_method_update) &&
	       (from->node.agent || to->node.agent);
	if (tell)
		node_told(c, from, sip);
	info_to(c, to, info, sizeof info);
	if (is_sdp(sip) && (m == sip_method_invite || m == sip_method_update)) {
		sdp = sdp_for(c, to, 'O', sip->sip_payload, &st);
		if (!sdp)
			return st;
		ctype = "application/sdp";
		body = sdp;
	} else if (sip->sip_payload && sip->sip_content_type) {
		/* INFO and the like: the body as it came — never SDP, whose
		 * keys go only through the rule above, nor a multipart body
		 * that could carry one. */
		if (is_sdp(sip))
			return 488;
		if (!sip->sip_content_type->c_type ||
		    strncasecmp(sip->sip_content_type->c_type, "multipart/",
				10) == 0)
			return 415;
		ctype = sip->sip_content_type->c_type;
	}
	c->pend_offered = body != NULL;
	c->ack_to = NULL;
	c->pend_orq = nta_outgoing_tcreate(
	    to->leg, on_resp_relay, c, URL_STRING_MAKE(to->flow), m,
	    sip->sip_request->rq_method_name, NULL,
	    SIPTAG_CONTACT_STR(to->contact),
	    TAG_IF(tell, SIPTAG_CALL_INFO_STR(info)),
	    TAG_IF(ctype, SIPTAG_CONTENT_TYPE_STR(ctype)),
	    TAG_IF(body, SIPTAG_PAYLOAD_STR(body)),
	    TAG_IF(!body && ctype, SIPTAG_PAYLOAD(sip->sip_payload)),
	    TAG_END());
	sdp_drop(sdp);
	if (!c->pend_orq)
		return 500;
	c->pend_irq = irq;
	c->pend_from = from;
	return 0;
}

int on_leg(struct call *c, nta_leg_t *leg, nta_incoming_t *irq,
	   sip_t const *sip)
{
	struct side *from = leg == c->a.leg ? &c->a : &c->b;
	struct side *to = from == &c->a ? &c->b : &c->a;
	int st;

	if (c->conf && (st = call_conf_request(c, from, irq, sip)) >= 0)
		return st;
	switch (sip->sip_request->rq_method) {
	case sip_method_ack:
		if (from == &c->a)
			on_ack_a(c, sip);
		return 200; /* no answer to an ACK; ends the transaction */
	case sip_method_refer:
		return call_xfer_refer(c, from, irq, sip);
	case sip_method_bye:
		if (c->xfer && call_xfer_bye(c, from, irq))
			return 0;
		if (from == &c->a && c->orq_b) {
			/* Before B answered: B gets a CANCEL, A's INVITE a
			 * 487; the call ends with B's final answer. (Any
			 * other BYE ends the call now: its "ended" line
			 * says who hung up.) */
			log_info(
			    TAG,
			    "call %s: BYE from the caller before an answer",
			    c->call_id);
			set_ending(c);
			if (c->irq_a && nta_incoming_status(c->irq_a) < 200)
				nta_incoming_treply(c->irq_a,
						    SIP_487_REQUEST_CANCELLED,
						    TAG_END());
			nta_outgoing_cancel(c->orq_b);
			return 200;
		}
		if (from == &c->b && c->irq_a &&
		    nta_incoming_status(c->irq_a) < 200)
			nta_incoming_treply(c->irq_a, 480,
					    "Temporarily Unavailable",
					    TAG_END());
		else
			send_bye(c, to);
		nta_incoming_treply(irq, SIP_200_OK, TAG_END());
		nta_incoming_destroy(irq);
		call_free(c,
			  from == &c->a ? "caller hung up" : "callee hung up");
		return 0;
	case sip_method_cancel:
		return 481;
	default:
		return relay(c, from, irq, sip);
	}
}

int sip_calls_new(const struct sip_call_config *cfg,
		  const struct sip_calls_env *env, struct sip_calls **out)
{
	struct sip_calls *cs = calloc(1, sizeof *cs);

	if (!cs)
		return -1;
	cs->cfg = *cfg;
	cs->env = *env;
	if (call_devs_init(&cs->devs, cfg->max_calls) != 0)
		goto err_after_alloc;
	if (sip_uac_auth_new(64, &cs->auth) != 0)
		goto err_after_devs;
	*out = cs;
	return 0;
err_after_devs:
	call_devs_close(&cs->devs);
err_after_alloc:
	free(cs);
	return -1;
}

void sip_calls_free(struct sip_calls *cs)
{
	if (!cs)
		return;
	while (cs->head) {
		struct call *c = cs->head;
		if (c->state >= CALL_ANSWERED && c->state != CALL_ENDING) {
			send_bye(c, &c->a);
			send_bye(c, &c->b);
		} else if (c->orq_b) {
			nta_outgoing_cancel(c->orq_b);
		}
		call_free(c, "signaling stopped");
	}
	/* No call left: a name still counted is a change of a call's
	 * devices the table missed (the system tests look for this). */
	if (cs->devs.names)
		log_error(TAG, "%zu devices still counted after the last call",
			  cs->devs.names);
	sip_uac_auth_free(cs->auth);
	call_devs_close(&cs->devs);
	free(cs);
}

size_t sip_calls_count(const struct sip_calls *cs)
{
	return cs ? cs->n : 0;
}

void side_replace(struct call *c, struct side *s, const struct side *with)
{
	call_devs_sub(&c->cs->devs, c->a.dev.name, c->b.dev.name);
	*s = *with;
	call_devs_add(&c->cs->devs, c->a.dev.name, c->b.dev.name);
}

/* The calls DEV takes part in, by walking them: what cs->devs counts. */
static unsigned walk_calls(const struct sip_calls *cs, const struct call *end,
			   const char *dev)
{
	unsigned n = 0;
	for (const struct call *c = cs->head; c != end; c = c->next)
		n += strcmp(c->a.dev.name, dev) == 0 ||
		     strcmp(c->b.dev.name, dev) == 0;
	return n;
}

int call_devs_check(const struct sip_calls *cs)
{
	size_t names = 0;

	for (const struct call *c = cs->head; c; c = c->next) {
		for (int i = 0; i < 2; i++) {
			const char *dev = i ? c->b.dev.name : c->a.dev.name;

			if (i && strcmp(dev, c->a.dev.name) == 0)
				continue;
			if (call_devs_calls(&cs->devs, dev) !=
			    walk_calls(cs, NULL, dev))
				return -1;
			names += walk_calls(cs, c, dev) == 0; /* first seen */
		}
	}
	return names == cs->devs.names ? 0 : -1;
}

/* The callee: the dial plan's devices (or, without one, the device that
 * has the number as a line), the first registered here. Returns 0 with
 * DEV and BINDING filled, or the status to refuse with. */
int find_callee(struct sip_calls *cs, const char *caller, const char *number,
		struct sip_device *dev, struct sip_reg_contact *binding)
{
	const struct sip_directory *d = cs->env.dir;
	struct sip_route rt;
	struct sip_reg_contact bs[SIP_REG_CONTACTS];
	int r;

	memset(&rt, 0, sizeof rt);
	if (d->ops->route) {
		r = d->ops->route(d->ctx, caller, number, &rt);
	} else {
		r = d->ops->device_by_name(d->ctx, number, dev);
		if (r == 0) {
			rt.ndevices = 1;
			snprintf(rt.devices[0], sizeof rt.devices[0], "%s",
				 dev->name);
		}
	}
	if (r < 0)
		return 503;
	if (r == SIP_DIR_FORBIDDEN)
		return 403;
	if (r != 0 || rt.ndevices == 0)
		return 404;
	for (unsigned i = 0; i < rt.ndevices && i < SIP_ROUTE_MAX; i++) {
		int n = sip_registrar_get(cs->env.reg, rt.devices[i],
					  (uint64_t)time(NULL), bs);
		if (n <= 0) {
			/* No binding: a route pattern's trunk is reached at
			 * its peer (call_trunk.h). */
			if (sip_call_trunk_target(d, rt.devices[i], number, dev,
						  binding) == 0)
				return 0;
			continue;
		}
		if (d->ops->device_by_name(d->ctx, rt.devices[i], dev) != 0)
			continue;
		/* The binding refreshed last is the likeliest alive. */
		*binding = bs[0];
		for (int k = 1; k < n; k++)
			if (bs[k].expires_at > binding->expires_at)
				*binding = bs[k];
		return 0;
	}
	return 480;
}

void binding_addr(const struct sip_reg_contact *b, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (b->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (void *)ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, b->addr, 16);
		s6->sin6_port = htons(b->port);
	} else {
		struct sockaddr_in *s4 = (void *)ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, b->addr, 4);
		s4->sin_port = htons(b->port);
	}
}

/* Refuses MSG (transferred) statelessly, before any call exists. */
static void refuse(struct sip_calls *cs, msg_t *msg, int status,
		   const char *phrase)
{
	nta_msg_treply(cs->rx_agent ? cs->rx_agent : cs->env.agent, msg, status,
		       phrase, TAG_END());
}

static const char *phrase_of(int status)
{
	switch (status) {
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 481:
		return "Call Does Not Exist";
	case 404:
		return "Not Found";
	case 480:
		return "Temporarily Unavailable";
	case 486:
		return "Busy Here";
	case 488:
		return "Not Acceptable Here";
	default:
		return "Service Unavailable";
	}
}

/* B's dialog and its INVITE. Returns 0 or the status to answer A with. */
static int place_b(struct call *c, const sip_t *sip,
		   const struct sip_reg_contact *binding)
{
	struct sip_calls *cs = c->cs;
	char from[SIP_DIR_NAME_MAX * 2 + 96], to[SIP_REG_URI_MAX + 96];
	char *sdp = NULL, info[96];
	int st;
	const char *disp = sip->sip_from->a_display;

	snprintf(from, sizeof from, "%s%s<sip:%s@%s>", disp ? disp : "",
		 disp ? " " : "", c->a.user, cs->cfg.host);
	snprintf(to, sizeof to, "<sip:%s@%s>", c->number, cs->cfg.host);
	c->b.leg = nta_leg_tcreate(
	    c->b.node.agent ? c->b.node.agent : cs->env.agent, on_leg, c,
	    SIPTAG_FROM_STR(from), SIPTAG_TO_STR(to), TAG_END());
	if (!c->b.leg || leg_tag(cs, c->b.leg) != 0)
		return 500;
	if (is_sdp(sip)) {
		c->a_offered = 1;
		sdp = sdp_for(c, &c->b, 'o', sip->sip_payload, &st);
		if (!sdp)
			return st;
	}
	/* The level the legs and the offer allow: B's answer may still
	 * lower it (then an UPDATE says so). */
	c->told_b = c->level = legs_level(c, cs->env.media || c->offer_keys);
	level_hdr(c, info, sizeof info);
	c->orq_b = nta_outgoing_tcreate(
	    c->b.leg, on_resp_b, c, URL_STRING_MAKE(c->b.flow),
	    SIP_METHOD_INVITE, URL_STRING_MAKE(binding->uri),
	    TAG_IF(c->b.node.hdrs[0], SIPTAG_HEADER_STR(c->b.node.hdrs)),
	    SIPTAG_CONTACT_STR(c->b.contact), SIPTAG_ALLOW_STR(ALLOW),
	    SIPTAG_SUPPORTED_STR("100rel"), SIPTAG_CALL_INFO_STR(info),
	    TAG_IF(binding->path[0], SIPTAG_ROUTE_STR(binding->path)),
	    TAG_IF(sdp, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
	    TAG_IF(sdp, SIPTAG_PAYLOAD_STR(sdp)), TAG_END());
	sdp_drop(sdp);
	return c->orq_b ? 0 : 500;
}

/* A node-to-node leg's ends (call_node.h): S toward member NODE_ID, its
 * requests over the node listener. 0, or -1 when the member names no
 * listener. */
int node_side(struct sip_calls *cs, struct side *s, uint64_t node_id)
{
	int v6 = strchr(cs->cfg.host, ':') != NULL;

	s->node.agent = cs->env.node_agent;
	s->node.node_id = node_id;
	s->transport = SIP_TP_TLS;
	snprintf(s->contact, sizeof s->contact,
		 "<sip:ward@%s%s%s:%u;transport=tls>", v6 ? "[" : "",
		 cs->cfg.host, v6 ? "]" : "", cs->env.node_port);
	return s->node.agent ? sip_call_node_flow(cs->env.dir, node_id, s->flow,
						  sizeof s->flow)
			     : -1;
}

static void invite(struct sip_calls *cs, msg_t *msg, sip_t *sip,
		   const struct sip_peer *peer, tport_t *tp, const char *caller,
		   const struct sip_call_node_caller *from_node);

/* A Replaces header for RP appended to the node headers HDRS: 0, or -1
 * when it does not fit. */
static int replaces_hdr(char *hdrs, size_t cap, const sip_replaces_t *rp)
{
	size_t n = strlen(hdrs);
	int k;

	if (!rp->rp_call_id || !rp->rp_to_tag || !rp->rp_from_tag)
		return -1;
	k = snprintf(hdrs + n, cap - n,
		     "\r\nReplaces: %s;to-tag=%s;from-tag=%s%s", rp->rp_call_id,
		     rp->rp_to_tag, rp->rp_from_tag,
		     rp->rp_early_only ? ";early-only" : "");
	return k > 0 && (size_t)k < cap - n ? 0 : -1;
}

void sip_calls_invite(struct sip_calls *cs, msg_t *msg, sip_t *sip,
		      const struct sip_peer *peer, tport_t *tp,
		      const char *caller)
{
	invite(cs, msg, sip, peer, tp, caller, NULL);
}

void sip_calls_node_request(struct sip_calls *cs, msg_t *msg, sip_t *sip,
			    const struct sip_peer *peer, tport_t *tp,
			    int *close)
{
	struct sip_call_node_caller from;

	if (!cs->env.node_agent) {
		msg_destroy(msg);
		return;
	}
	if (sip_call_node_admit(cs->env.dir, cs->env.node_agent, msg, sip, peer,
				&from, close) != 0)
		return;
	cs->rx_agent = cs->env.node_agent;
	invite(cs, msg, sip, peer, tp, from.device, &from);
	cs->rx_agent = NULL;
}

/* FROM_NODE: the INVITE came from a member on the node listener. */
static void invite(struct sip_calls *cs, msg_t *msg, sip_t *sip,
		   const struct sip_peer *peer, tport_t *tp, const char *caller,
		   const struct sip_call_node_caller *from_node)
{
	uint64_t remote = 0; /* the member holding the callee's binding */
	uint64_t joined = 0; /* the member holding a Join's dialog */
	const struct sip_directory *d = cs->env.dir;
	const char *number = sip->sip_request->rq_url->url_user;
	const char *cuser = sip->sip_from->a_url->url_user;
	struct sip_reg_contact binding;
	struct sockaddr_storage bss;
	struct sip_device callee;
	struct call *c, *barged = NULL;
	int st, factory = call_conf_factory(cs, number);

	memset(&binding, 0, sizeof binding);
	memset(&callee, 0, sizeof callee);
	if (sip->sip_replaces &&
	    call_xfer_replaces(cs, msg, sip, peer, tp, caller, from_node,
			       &remote) == 0)
		return;
	if (sip->sip_to->a_tag) {
		refuse(cs, msg, 481, "Call Does Not Exist");
		return;
	}
	if (call_st_refuse(cs, msg, sip))
		return;
	if (!number || !number[0] || strlen(number) >= SIP_DIR_NAME_MAX ||
	    !cuser || strlen(cuser) >= SIP_DIR_NAME_MAX ||
	    strlen(sip->sip_call_id->i_id) >= sizeof c->call_id) {
		refuse(cs, msg, 404, "Not Found");
		return;
	}
	if (cs->n >= cs->cfg.max_calls) {
		log_warn(TAG, "INVITE from %s refused: %u calls on this node",
			 caller, cs->cfg.max_calls);
		refuse(cs, msg, 503, "Too Many Calls");
		return;
	}
	st = call_conf_barge_target(cs, msg, sip, caller, peer->transport,
				    from_node, &barged, &joined);
	if (st > 0) {
		refuse(cs, msg, st, phrase_of(st));
		return;
	}
	if (joined) /* a barge into a call another member holds */
		remote = joined;
	factory |= barged != NULL;
	if (factory) { /* ward answers: its side B is nobody's (call_conf.c) */
		snprintf(callee.name, sizeof callee.name, "conference");
		st = 0;
	} else if (remote) {
		/* An INVITE with Replaces (or Join) naming member REMOTE's
		 * dialog: that member places it (its callee is who the dialog
		 * holds). */
		memset(&callee, 0, sizeof callee);
		snprintf(callee.name, sizeof callee.name, "member-%llu",
			 (unsigned long long)remote);
		st = sip_call_node_target(d, remote, number, &binding) == 0
			 ? 0
			 : 481;
	} else {
		st = find_callee(cs, caller, number, &callee, &binding);
	}
	if (st == 480 && !from_node && !remote && cs->env.node_agent)
		st = sip_call_node_callee(cs->env.dir, cs->env.node_id, caller,
					  number, &callee, &binding, &remote);
	/* A trunk carries many calls: only phones have the per-device
	 * bound (a replaced dialog's member holds the device's count). */
	if (st == 0 && !callee.is_trunk && !sip->sip_replaces &&
	    call_devs_calls(&cs->devs, callee.name) >= cs->cfg.max_per_device)
		st = 486;
	if (st != 0) {
		log_info(TAG, "INVITE from %s to %s refused: %d", caller,
			 number, st);
		refuse(cs, msg, st, phrase_of(st));
		return;
	}
	c = calloc(1, sizeof *c);
	if (!c || d->ops->device_by_name(d->ctx, caller, &c->a.dev) != 0) {
		free(c);
		refuse(cs, msg, 500, "Server Internal Error");
		return;
	}
	if (!c->a.dev.is_trunk &&
	    call_devs_calls(&cs->devs, caller) >= cs->cfg.max_per_device) {
		free(c);
		refuse(cs, msg, 486, "Busy Here");
		return;
	}
	c->cs = cs;
	c->b.dev = callee;
	snprintf(c->call_id, sizeof c->call_id, "%s", sip->sip_call_id->i_id);
	snprintf(c->number, sizeof c->number, "%s", number);
	snprintf(c->a.user, sizeof c->a.user, "%s", cuser);
	snprintf(c->b.user, sizeof c->b.user, "%s", number);
	c->a.transport = peer->transport;
	c->b.transport = binding.transport;
	flow_url(c->a.flow, sizeof c->a.flow,
		 (const struct sockaddr *)&peer->addr, peer->transport);
	binding_addr(&binding, &bss);
	flow_url(c->b.flow, sizeof c->b.flow, (const struct sockaddr *)&bss,
		 binding.transport);
	if (callee.is_trunk) /* its peer, by name or address (fits: the
			      * target's uri is below FLOW_MAX) */
		memcpy(c->b.flow, binding.uri, sizeof c->b.flow);
	contact_of(cs, c->a.transport, c->a.contact, sizeof c->a.contact);
	contact_of(cs, c->b.transport, c->b.contact, sizeof c->b.contact);
	if (from_node) {
		c->a.node.asserted = 1;
		c->a.node.level = from_node->level;
		st = node_side(cs, &c->a, from_node->node_id);
	}
	if (remote)
		st = node_side(cs, &c->b, remote) ||
		     sip_call_node_assert(c->b.node.hdrs, sizeof c->b.node.hdrs,
					  c->a.user, cs->cfg.host, caller,
					  side_level(&c->a)) ||
		     (sip->sip_replaces &&
		      replaces_hdr(c->b.node.hdrs, sizeof c->b.node.hdrs,
				   sip->sip_replaces)) ||
		     (joined && call_conf_join_hdr(c->b.node.hdrs,
						   sizeof c->b.node.hdrs, sip));
	if (st != 0) {
		free(c);
		refuse(cs, msg, 500, "Server Internal Error");
		return;
	}
	c->a.encrypted = side_level(&c->a) == SIP_LEVEL_ENCRYPTED;
	c->b.encrypted = side_level(&c->b) == SIP_LEVEL_ENCRYPTED;
	/* A trunk calling in: its certificate as the core heard it. A
	 * trunk ward calls out to: nothing is written on the connection
	 * before its peer passed the outgoing check (call_trunk.h). */
	if (c->a.dev.is_trunk)
		c->a.encrypted = sip_call_trunk_keys(
		    &c->a.dev, c->a.transport,
		    sip_call_trunk_in_verified(&c->a.dev, peer));
	if (c->b.dev.is_trunk)
		c->b.encrypted =
		    sip_call_trunk_keys(&c->b.dev, c->b.transport, 1);
	if ((c->a.dev.encrypted_or_reject || callee.encrypted_or_reject) &&
	    !cs->env.media && (!c->a.encrypted || !c->b.encrypted)) {
		log_info(TAG,
			 "INVITE from %s to %s refused: a profile says "
			 "encrypted or reject and a leg cannot be encrypted",
			 caller, number);
		free(c);
		refuse(cs, msg, 488, "Not Acceptable Here");
		return;
	}
	call_st_init(c, sip);
	c->started_ms = wall_ms();
	c->ring_until_ms = c->started_ms + (uint64_t)cs->cfg.ring_s * 1000;
	if (call_link(c) != 0) {
		free(c);
		refuse(cs, msg, 500, "Server Internal Error");
		return;
	}

	c->irq_a = nta_incoming_create(
	    c->a.node.agent ? c->a.node.agent : cs->env.agent, NULL, msg, sip,
	    NTATAG_TPORT(tp), TAG_END());
	if (!c->irq_a) { /* msg freed by nta */
		call_unlink(c);
		free(c);
		return;
	}
	nta_incoming_bind(c->irq_a, on_irq_a, c);
	c->a.leg = nta_leg_tcreate(
	    c->a.node.agent ? c->a.node.agent : cs->env.agent, on_leg, c,
	    SIPTAG_CALL_ID(sip->sip_call_id), SIPTAG_FROM(sip->sip_to),
	    SIPTAG_TO(sip->sip_from), TAG_END());
	if (!c->a.leg || leg_tag(cs, c->a.leg) != 0) {
		call_free(c, "out of memory");
		return;
	}
	nta_incoming_tag(c->irq_a, nta_leg_get_tag(c->a.leg));
	nta_leg_server_route(c->a.leg, sip->sip_record_route, sip->sip_contact);
	nta_incoming_treply(c->irq_a, SIP_100_TRYING, TAG_END());
	log_info(TAG, "call %s %s -> %s (%s) over %s", c->call_id, caller,
		 callee.name, number, tp_name(c->b.transport));
	emit_both(c, SIP_DLG_TRYING);
	st = barged    ? call_conf_barge(c, sip, barged)
	     : factory ? call_conf_start(c, sip)
		       : place_b(c, sip, &binding);
	if (st != 0) {
		nta_incoming_treply(c->irq_a, st, phrase_of(st), TAG_END());
		call_free(c, "not placed");
	}
}

void sip_calls_node_refused(struct sip_calls *cs, const struct sockaddr *server)
{
	for (struct call *c = cs->head; c; c = c->next)
		if (c->state == CALL_TRYING && c->b.node.agent &&
		    sip_call_node_at(cs->env.dir, c->b.node.node_id, server))
			c->b.node.refused = 1;
}

void sip_calls_tick(struct sip_calls *cs, uint64_t now_ms)
{
	struct call *next;

	cs->now_ms = now_ms;
	for (struct call *c = cs->head; c; c = next) {
		next = c->next;
		if (call_st_tick(c, now_ms))
			continue;
		if (c->state == CALL_TRYING && c->b.node.refused) {
			nta_incoming_treply(c->irq_a, 480,
					    "Temporarily Unavailable",
					    TAG_END());
			call_free(c, "the member's node listener failed the "
				     "certificate check");
			continue;
		}
		if (c->state == CALL_ENDING && now_ms >= c->end_by_ms) {
			call_free(c, "no final answer to the CANCEL");
			continue;
		}
		if (c->state > CALL_EARLY || now_ms < c->ring_until_ms ||
		    !c->orq_b)
			continue;
		log_info(TAG, "call %s: no answer in %u s", c->call_id,
			 cs->cfg.ring_s);
		nta_incoming_treply(c->irq_a, 480, "No Answer", TAG_END());
		set_ending(c);
		nta_outgoing_cancel(c->orq_b);
	}
}

size_t sip_calls_list(struct sip_calls *cs, struct sip_call_info *out,
		      size_t cap)
{
	size_t i = 0;

	for (struct call *c = cs->head; c; c = c->next, i++) {
		if (i >= cap)
			continue;
		memset(&out[i], 0, sizeof out[i]);
		snprintf(out[i].call_id, sizeof out[i].call_id, "%s",
			 c->call_id);
		snprintf(out[i].caller, sizeof out[i].caller, "%s",
			 c->a.dev.name);
		snprintf(out[i].callee, sizeof out[i].callee, "%s",
			 c->b.dev.name);
		snprintf(out[i].number, sizeof out[i].number, "%s", c->number);
		out[i].state = c->conf			 ? "conference"
			       : c->state <= CALL_EARLY	 ? "ringing"
			       : c->state == CALL_ENDING ? "ending"
							 : "talking";
		out[i].level = c->level;
		out[i].started_ms = c->started_ms;
		out[i].answered_ms = c->answered_ms;
	}
	return i;
}
