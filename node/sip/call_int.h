/* call_int: what the call modules share inside node/sip — the call's
 * state and the helpers of call.c that call_xfer.c (transfer, Replaces,
 * session timers) uses. Not an interface outside node/sip/call*.c.
 *
 * The includer defines NTA_LEG_MAGIC_T, NTA_INCOMING_MAGIC_T and
 * NTA_OUTGOING_MAGIC_T as struct call before including sofia's headers. */
#ifndef WARD_SIP_CALL_INT_H
#define WARD_SIP_CALL_INT_H

#include "node/sip/call.h"
#include "node/sip/call_devs.h"
#include "node/sip/call_node.h"

#define FLOW_MAX 128
#define CONTACT_MAX 192
#define ALLOW "INVITE, ACK, CANCEL, BYE, UPDATE, INFO, OPTIONS, REFER"
#define SUPPORTED "replaces, timer"

enum call_state {
	CALL_TRYING = 0, /* INVITE sent to B */
	CALL_EARLY,	 /* B rings */
	CALL_ANSWERED,	 /* 200 sent to A, its ACK awaited */
	CALL_TALKING,	 /* A acknowledged */
	CALL_ENDING,	 /* cancelled: B's final answer awaited */
};

/* One side of a call: the dialog ward holds with a device. */
struct side {
	struct sip_device dev;
	char user[SIP_DIR_NAME_MAX]; /* its number as the other side sees it */
	unsigned transport;	     /* SIP_TP_* */
	char flow[FLOW_MAX];	     /* where requests to it go */
	char contact[CONTACT_MAX];   /* ward's Contact toward it */
	nta_leg_t *leg;		     /* owned */
	int encrypted;		     /* may receive keys: encrypted over TLS */
	struct sip_call_node_leg node; /* a node-to-node leg (call_node.h) */
};

struct call {
	struct sip_calls *cs;
	struct call *prev, *next;
	enum call_state state;
	char call_id[96]; /* A's */
	char number[SIP_DIR_NAME_MAX];
	struct side a, b;
	nta_incoming_t *irq_a; /* A's INVITE, until its ACK or a final */
	nta_outgoing_t *orq_b; /* the INVITE to B, until its final */
	int a_offered;	       /* A's INVITE held the offer */
	int b_acked;
	uint32_t b_invite_cseq;
	int b_challenged; /* a trunk's challenge answered (call_trunk.h) */
	/* One relayed in-dialog request at a time. */
	nta_incoming_t *pend_irq;
	nta_outgoing_t *pend_orq;
	struct side *pend_from;
	struct sip_media_call *media; /* owned by the media table */
	enum sip_level level;
	/* The media table's last verdict on an answer (media_said set): a
	 * cap on what a member's word makes of the level. */
	enum sip_level media_level;
	int media_said;
	enum sip_level told_b; /* the level B's INVITE announced */
	int offer_keys;	       /* A's offer carried a=crypto */
	char *answer_a;	       /* ward's answer to A, for 18x then 200; owned,
				* wiped */
	char *answer_b; /* B's SDP answer_a was made from; owned, wiped */
	int early_sent;
	uint64_t started_ms, answered_ms, ring_until_ms;
	uint64_t end_by_ms;	/* CALL_ENDING: freed by then whatever B does */
	struct call_xfer *xfer; /* a transfer or Replaces under way; owned */
	/* Session timer (RFC 4028): 0 off; else the call ends unless
	 * refreshed by se_until_ms. */
	unsigned se_s;
	uint64_t se_until_ms;
	int se_ward;		/* ward refreshes (UPDATE to A) */
	uint64_t se_refresh_ms; /* se_ward: the next refresh */
	nta_outgoing_t *se_orq; /* se_ward: the refresh under way */
	char se_hdr[48];	/* Session-Expires value toward A */
	/* In a conference (call_conf.c): PARTS the participants' sides
	 * (bit 0 A, bit 1 B: both after a barge); a side not in it is ward's
	 * own or a transferor's ending dialog. */
	struct call_conf *conf;
	unsigned parts;
	/* The UPDATE telling a member the level (tell_node), and to whom. */
	nta_outgoing_t *told_orq;
	struct side *told_to;
	/* A relayed re-INVITE without an offer (a member relays ward's
	 * attended transfer so): the 2xx brought the offer, the answer
	 * comes in the sender's ACK and goes on in the ACK to ack_to. */
	int pend_offered; /* the relayed re-INVITE held an offer */
	struct side *ack_to;
	uint32_t ack_cseq;
	nta_incoming_t *ack_irq; /* that re-INVITE, until the sender's ACK */
};

struct sip_calls {
	struct sip_call_config cfg;
	struct sip_calls_env env;
	struct call *head;
	size_t n;
	uint64_t now_ms;
	struct sip_uac_auth *auth; /* answers trunks' challenges; owned */
	/* The agent the INVITE being placed came to: the node listener's
	 * (call_node.h) or, NULL, the phones'. */
	nta_agent_t *rx_agent;
	struct call_conf *confs; /* owned list (call_conf.c) */
	/* The calls each device takes part in (max_per_device): the names
	 * of every call in the list, counted as they change. */
	struct call_devs devs;
};

struct call_xfer;

/* call.c's helpers (see their comments there). */
uint64_t wall_ms(void);
void flow_url(char *out, size_t cap, const struct sockaddr *sa, unsigned tp);
void contact_of(const struct sip_calls *cs, unsigned tp, char *out, size_t cap);
enum sip_level side_level(const struct side *s);
enum sip_level legs_level(const struct call *c, int keys);
void level_hdr(const struct call *c, char *out, size_t cap);
/* Ward's tag for LEG: 128 random bits and "-wN", N this member's node id
 * (none without one), so that an INVITE with Replaces reaching another
 * member is routed here. 0 or -1. */
int leg_tag(const struct sip_calls *cs, nta_leg_t *leg);
/* The Call-Info telling side S the level: C's level to a phone, this
 * node's own word (near_level) to a node leg. */
void info_to(const struct call *c, const struct side *s, char *out, size_t cap);
enum sip_level near_level(const struct call *c, const struct side *n);
/* A member's word in SIP on node leg S (its Call-Info security): S's
 * level becomes it and C's level is recomputed; 1 when that changed it. */
int node_told(struct call *c, struct side *s, const sip_t *sip);
/* S's ends toward member NODE_ID over the node listener: 0 or -1. */
int node_side(struct sip_calls *cs, struct side *s, uint64_t node_id);
/* Node leg S hears this node's level in an UPDATE without a body; the
 * member's answer tells its own, and a change reaches the phone on the
 * other side in an UPDATE. Nothing for a phone's side. */
void tell_node(struct call *c, struct side *s);
int is_sdp(const sip_t *sip);
char *sdp_for(struct call *c, const struct side *to, int kind,
	      const sip_payload_t *pl, int *status);
void sdp_drop(char *sdp);
/* C (its devices set) heads cs's list and is counted against its
 * devices: 0, or -1 (no memory; C not listed). call_free unlinks it. */
int call_link(struct call *c);
void call_free(struct call *c, const char *why);
/* Side S of C (a call in the list) becomes a copy of WITH, the devices'
 * counts following: every change of a listed call's side goes here. */
void side_replace(struct call *c, struct side *s, const struct side *with);
/* For tests: 0 when every device's count (cs->devs) is what a walk of
 * the calls gives, -1 otherwise. */
int call_devs_check(const struct sip_calls *cs);
void send_req(struct call *c, struct side *s, sip_method_t method,
	      const char *name, uint32_t cseq, const char *body,
	      const char *info);
void send_simple(struct call *c, struct side *s, sip_method_t method,
		 const char *name, uint32_t cseq, const char *body);
void send_bye(struct call *c, struct side *s);
int find_callee(struct sip_calls *cs, const char *caller, const char *number,
		struct sip_device *dev, struct sip_reg_contact *binding);
void binding_addr(const struct sip_reg_contact *b, struct sockaddr_storage *ss);
int on_leg(struct call *c, nta_leg_t *leg, nta_incoming_t *irq,
	   sip_t const *sip);
void media_leg(const struct side *s, struct sip_media_leg *l);

/* call_conf.c, hooked from call.c and call_xfer.c. */

/* An INVITE with Join (RFC 3911) from CALLER: 0 with *TARGET (the call
 * barged) when CALLER may try (the Join names a talking call here and
 * CALLER shares the barged device's line: the dialled line on the
 * callee's side, one of the caller device's lines on the caller's), 0
 * with *REMOTE instead when the Join names by ward's tag (-wN) a dialog
 * of another member N (the caller places the INVITE, its Join kept,
 * through N; never for FROM_NODE, an INVITE a member sent), else the
 * status to refuse with (400 malformed Join, 481 no such dialog, 486
 * busy or the seed's rule — a barger not encrypted (its profile and
 * TRANSPORT, or FROM_NODE's word) into an encrypted call —, 403 not a
 * device sharing the line); -1 for an INVITE without Join. */
int call_conf_barge_target(struct sip_calls *cs, msg_t *msg, sip_t *sip,
			   const char *caller, unsigned transport,
			   const struct sip_call_node_caller *from_node,
			   struct call **target, uint64_t *remote);
/* Appends "\r\nJoin: ..." (SIP's Join, as checked above) to the node
 * leg's headers HDRS (CAP bytes): 0, or -1 when it does not fit. */
int call_conf_join_hdr(char *hdrs, size_t cap, const sip_t *sip);
/* In place of placing B: the barge of TARGET by C's caller (ward answers
 * it and mixes the three), or the status (486: the seed's rule, a barger
 * that is not encrypted into an encrypted call). */
int call_conf_barge(struct call *c, const sip_t *sip, struct call *target);

/* 1 when NUMBER is the conference factory number. */
int call_conf_factory(const struct sip_calls *cs, const char *number);
/* In place of placing B: ward answers A's INVITE itself and opens a
 * conference A's device owns. 0 (answered 200) or the status to answer
 * A with (488 no offer, 486 A owns one already, 503 none possible). */
int call_conf_start(struct call *c, const sip_t *sip);
/* A REFER by FROM to the factory number: the other side joins FROM's
 * conference (IRQ answered 202 when 0 is returned; NOTIFY 200 and a BYE
 * end FROM's dialog), or the status to refuse with (403 FROM owns no
 * conference, 486 it is full). */
int call_conf_refer(struct call *c, struct side *from, nta_incoming_t *irq);
/* A request in a conference call's dialogs: the on_leg status, or -1 for
 * on_leg's own handling. */
int call_conf_request(struct call *c, struct side *from, nta_incoming_t *irq,
		      sip_t const *sip);
/* C ends: it leaves its conference, which may end (the last party's
 * call freed). */
void call_conf_gone(struct call *c);

/* call_xfer.c, hooked from call.c. */

/* An in-dialog REFER from side FROM (IRQ owned from here when 0 is
 * returned): blind transfer of the other side to the Refer-To number.
 * Returns 0 (answered 202, NOTIFYs follow) or the status to refuse with. */
int call_xfer_refer(struct call *c, struct side *from, nta_incoming_t *irq,
		    sip_t const *sip);
/* A BYE from FROM while a transfer is under way: 1 when the transfer took
 * it (answered), 0 when the call ends as usual. */
int call_xfer_bye(struct call *c, struct side *from, nta_incoming_t *irq);
/* An INVITE with Replaces (MSG transferred, as for sip_calls_invite;
 * FROM_NODE: it came from a member on the node listener, its new party
 * being that node leg). Returns 0 when handled, or 1 (MSG still the
 * caller's) with *REMOTE the member whose dialog the Replaces names (by
 * ward's tag, leg_tag): the caller places it through that member. */
int call_xfer_replaces(struct sip_calls *cs, msg_t *msg, sip_t *sip,
		       const struct sip_peer *peer, tport_t *tp,
		       const char *caller,
		       const struct sip_call_node_caller *from_node,
		       uint64_t *remote);
/* The call ends: whatever the transfer holds is released. */
void call_xfer_free(struct call *c);

/* A reliable provisional response (RFC 3262) from B to ward's INVITE
 * ORQ: ward acknowledges it with a PRACK in B's dialog. A's side needs
 * nothing here: to an INVITE with Require: 100rel nta sends every 1xx
 * reliably and answers A's PRACK itself. */
void call_prack_b(struct call *c, nta_outgoing_t *orq, sip_t const *sip);

/* Session timers (RFC 4028). An initial INVITE whose Session-Expires is
 * below the node's Min-SE is answered 422 with Min-SE: returns 1 then
 * (MSG consumed), 0 otherwise. */
int call_st_refuse(struct sip_calls *cs, msg_t *msg, sip_t const *sip);
/* The session timer A's INVITE asked for (none without Session-Expires):
 * A refreshes when it supports timer, ward otherwise. */
void call_st_init(struct call *c, sip_t const *sip);
/* A session refresh (the answer, a re-INVITE or UPDATE answered 2xx). */
void call_st_refreshed(struct call *c);
/* Once a second: ward's refresh, or the end of a session not refreshed
 * in time (BYE both sides). Returns 1 when C was freed. */
int call_st_tick(struct call *c, uint64_t now_ms);

/* The status of the answer SIP to a request of ward's and its phrase in
 * *PHRASE; 408 "Request Timeout" where nta gives none (no answer). */
static inline int call_resp_status(sip_t const *sip, const char **phrase)
{
	if (sip && sip->sip_status) {
		*phrase = sip->sip_status->st_phrase;
		return sip->sip_status->st_status;
	}
	*phrase = "Request Timeout";
	return 408;
}

#endif
