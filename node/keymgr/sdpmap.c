/* sdpmap: offer and answer through the relay, one stream per m-line. */
#include "node/keymgr/sdpmap.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/errmsg.h"
#include "node/keymgr/keymgr_int.h"

#define SIP_NOT_ACCEPTABLE 488
#define SIP_SERVER_ERROR 500

/* What one side of one stream runs with (or, pending, will). */
struct sdpmap_side {
	int active; /* a non-zero port on both ends of the exchange */
	int srtp;
	int rtcp_mux;
	unsigned tag;	       /* the a=crypto tag ward writes to this side */
	enum sdes_suite suite; /* this side's suite when srtp */
	struct sockaddr_storage remote; /* its SDP address and RTP port */
	char proto[SDP_TOKEN_MAX];	/* as this side wrote it */
	enum sdp_dir dir;		/* as this side wrote it */
	int pcmu, pcma;			/* formats it accepts: 0, 8 */
};

struct sdpmap_stream {
	struct keymgr_call *keys; /* owned */
	/* Ward's keys toward the answering side in the pending offer's other
	 * suites (tags 2..): the answer picks one, the rest are wiped. */
	struct keymgr_call *alt[SDES_SUITE_COUNT]; /* owned */
	enum sdes_suite alt_suite[SDES_SUITE_COUNT];
	size_t nalt;
	unsigned port[2]; /* ward's port toward each side; 0: none */
	struct sdpmap_side cur[2], pend[2];
	int rekey;   /* the pending offer changed the offering side */
	int changed; /* the last answer: replace the relay session */
	/* Only a side's address or port changed (its keys did not): the
	 * session is kept and pointed there (pending, then for the last
	 * answer), so no SRTP context restarts under its old key. */
	int moving[2], moved[2];
	int music[2]; /* the side is held and hears the music */
	unsigned music_pt[2];
};

struct sdpmap_call {
	const struct sdpmap_config *cfg;
	struct keymgr *km;
	struct portpool *pool;
	struct keymgr_leg leg[2];
	int eor;
	size_t n;
	struct sdpmap_stream st[SDP_MAX_MEDIA];
	uint64_t sess_id[2], version[2];
	int offerer;	  /* side of the pending offer; -1: none */
	int first;	  /* the pending offer is A's first */
	int dirty;	  /* a refused exchange touched keys: re-key next */
	size_t offered_n; /* m-lines in ward's pending offer */
	int answerer;	  /* side of the last answer; -1: none yet */
};

int sdpmap_config_init(struct sdpmap_config *cfg, const char *addr)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)&cfg->addr;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&cfg->addr;

	memset(cfg, 0, sizeof *cfg);
	sdes_policy_default(&cfg->policy);
	cfg->allow_bridge = 1;
	if (strlen(addr) >= sizeof cfg->conn.addr)
		return -1;
	/* A wildcard would read as "no media" (c=0.0.0.0 is the old hold)
	 * and is no address a phone can send to. */
	if (inet_pton(AF_INET, addr, &a4->sin_addr) == 1 &&
	    a4->sin_addr.s_addr != htonl(INADDR_ANY)) {
		a4->sin_family = AF_INET;
		cfg->conn.type = SDP_ADDR_IP4;
	} else if (inet_pton(AF_INET6, addr, &a6->sin6_addr) == 1 &&
		   !IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr)) {
		a6->sin6_family = AF_INET6;
		cfg->conn.type = SDP_ADDR_IP6;
	} else {
		return -1;
	}
	snprintf(cfg->conn.addr, sizeof cfg->conn.addr, "%s", addr);
	return 0;
}

static int is_rtp_proto(const char *p)
{
	return strcmp(p, "RTP/AVP") == 0 || strcmp(p, "RTP/SAVP") == 0 ||
	       strcmp(p, "RTP/AVPF") == 0 || strcmp(p, "RTP/SAVPF") == 0;
}

/* The effective c= of media I with PORT, in ward's family. -1 otherwise. */
static int remote_addr(const struct sdpmap_call *c, const struct sdp_session *s,
		       size_t i, unsigned port, struct sockaddr_storage *out)
{
	const struct sdp_conn *conn = sdp_media_conn(s, i);
	struct sockaddr_in *a4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)out;

	memset(out, 0, sizeof *out);
	if (!conn || c->cfg->addr.ss_family !=
			 (conn->type == SDP_ADDR_IP6 ? AF_INET6 : AF_INET))
		return -1;
	if (conn->type == SDP_ADDR_IP6) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		return inet_pton(AF_INET6, conn->addr, &a6->sin6_addr) == 1
			   ? 0
			   : -1;
	}
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, conn->addr, &a4->sin_addr) == 1 ? 0 : -1;
}

static int same_remote(const struct sockaddr_storage *a,
		       const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET6)
		return memcmp(a, b, sizeof(struct sockaddr_in6)) == 0;
	return memcmp(a, b, sizeof(struct sockaddr_in)) == 0;
}

/* The same stream but perhaps for its address and port. */
static int same_keys(const struct sdpmap_side *a, const struct sdpmap_side *b)
{
	return a->active == b->active && a->srtp == b->srtp &&
	       a->rtcp_mux == b->rtcp_mux && a->suite == b->suite;
}

/* 1 when CH is not the key SIDE's phone sends with now. */
static int key_differs(const struct keymgr_call *call, enum keymgr_side side,
		       const struct sdes_crypto *ch)
{
	const struct keymgr_key *k = keymgr_call_key(call, side, 0);

	return !k || k->suite != ch->suite || k->key_len != ch->key_len ||
	       k->salt_len != ch->salt_len ||
	       CRYPTO_memcmp(k->key, ch->key, ch->key_len) != 0 ||
	       CRYPTO_memcmp(k->salt, ch->salt, ch->salt_len) != 0;
}

static void out_header(struct sdpmap_call *c, int side, struct sdp_session *o)
{
	memset(o, 0, sizeof *o);
	snprintf(o->origin_user, sizeof o->origin_user, "ward");
	o->sess_id = c->sess_id[side];
	o->sess_version = ++c->version[side];
	o->origin = c->cfg->conn;
	snprintf(o->name, sizeof o->name, "ward");
	o->has_conn = 1;
	o->conn = c->cfg->conn;
	o->dir = SDP_DIR_SENDRECV;
}

/* The m-line's codecs and direction, as ward passes them on. */
static void media_copy(const struct sdp_media *m, struct sdp_media *o)
{
	memset(o, 0, sizeof *o);
	memcpy(o->type, m->type, sizeof o->type);
	memcpy(o->fmt, m->fmt, sizeof o->fmt);
	o->nfmt = m->nfmt;
	memcpy(o->rtpmap, m->rtpmap, sizeof o->rtpmap);
	o->nrtpmap = m->nrtpmap;
	o->ptime = m->ptime;
	o->has_dir = 1;
	o->dir = m->dir;
	o->nports = 1;
}

/* A stream ward does not relay: port 0, no keys. */
static void media_refuse(const struct sdp_media *m, const char *proto,
			 struct sdp_media *o)
{
	media_copy(m, o);
	o->port = 0;
	o->has_dir = 0;
	snprintf(o->proto, sizeof o->proto, "%s", proto);
}

/* PROTO of an SRTP (or RTP) stream keeping the feedback profile's F. */
static void proto_for(const char *in, int srtp, char *out, size_t cap)
{
	size_t n = strlen(in);
	int f = n > 0 && in[n - 1] == 'F';

	snprintf(out, cap, "%s%s", srtp ? "RTP/SAVP" : "RTP/AVP", f ? "F" : "");
}

/* Ward's a=crypto toward SIDE of stream ST into O. */
static int put_crypto(struct sdpmap_call *c, struct sdpmap_stream *st, int side,
		      unsigned tag, struct sdp_media *o)
{
	struct keymgr_leg leg = c->leg[side];
	int rc;

	leg.media_srtp = 1;
	rc = keymgr_call_crypto_for_leg(st->keys, (enum keymgr_side)side, &leg,
					tag, o->crypto[0], sizeof o->crypto[0]);
	if (rc != KEYMGR_OK)
		return rc;
	o->ncrypto = 1;
	return KEYMGR_OK;
}

/* sdes_choose over the a=crypto values of M (an array of arrays, not of
 * pointers). */
static int choose(const struct sdes_policy *policy, const struct sdp_media *m,
		  size_t n, struct sdes_crypto *out)
{
	const char *lines[SDP_MAX_CRYPTO];

	for (size_t i = 0; i < n && i < SDP_MAX_CRYPTO; i++)
		lines[i] = m->crypto[i];
	return sdes_choose(policy, lines, n, out);
}

static int holds(enum sdp_dir d)
{
	return d == SDP_DIR_SENDONLY || d == SDP_DIR_INACTIVE;
}

static void side_formats(const struct sdp_media *m, struct sdpmap_side *sd)
{
	sd->dir = m->dir;
	for (size_t k = 0; k < m->nfmt; k++) {
		sd->pcmu |= m->fmt[k] == 0;
		sd->pcma |= m->fmt[k] == 8;
	}
}

/* The call's level and the "encrypted or reject" check, SRTP[side] being
 * whether every active stream of that side is SRTP. */
static int decide(struct sdpmap_call *c, const int srtp[2],
		  enum keymgr_level *level)
{
	struct keymgr_leg legs[2] = {c->leg[0], c->leg[1]};

	legs[0].media_srtp = srtp[0];
	legs[1].media_srtp = srtp[1];
	return keymgr_call_decide(legs, 2, c->eor, level);
}

static void alt_drop(struct sdpmap_stream *st)
{
	for (size_t k = 0; k < st->nalt; k++)
		keymgr_call_free(st->alt[k]);
	memset(st->alt, 0, sizeof st->alt);
	st->nalt = 0;
}

/* Ward's offer toward Y in the policy's other suites: a key each, a line
 * each (tags 2..), so that Y may answer with a suite X did not choose —
 * the relay's legs need not share one. */
static int alt_offer(struct sdpmap_call *c, struct sdpmap_stream *st, int y,
		     enum sdes_suite primary, struct sdp_media *o)
{
	const struct sdes_policy *pol = &c->cfg->policy;
	int rc;

	for (size_t k = 0; k < pol->n && o->ncrypto < SDP_MAX_CRYPTO; k++) {
		struct keymgr_leg leg = c->leg[y];
		struct keymgr_call *kc;

		if (pol->prefer[k] == primary)
			continue;
		rc = keymgr_call_new(c->km, &kc);
		if (rc != KEYMGR_OK)
			return rc;
		st->alt[st->nalt] = kc;
		st->alt_suite[st->nalt] = pol->prefer[k];
		st->nalt++;
		rc = keymgr_call_generate(kc, (enum keymgr_side)y,
					  pol->prefer[k]);
		leg.media_srtp = 1;
		if (rc == KEYMGR_OK)
			rc = keymgr_call_crypto_for_leg(
			    kc, (enum keymgr_side)y, &leg,
			    (unsigned)(st->nalt + 1), o->crypto[o->ncrypto],
			    sizeof o->crypto[o->ncrypto]);
		if (rc != KEYMGR_OK)
			return rc;
		o->ncrypto++;
	}
	return KEYMGR_OK;
}

static int stream_ready(struct sdpmap_call *c, struct sdpmap_stream *st)
{
	if (!st->port[0]) {
		st->port[0] = portpool_take(c->pool);
		st->port[1] = portpool_take(c->pool);
	}
	if (!st->port[0] || !st->port[1])
		return -1;
	if (!st->keys && keymgr_call_new(c->km, &st->keys) != KEYMGR_OK)
		return -1;
	return 0;
}

/* X's offer IN for Y into OUT. */
static int map_offer(struct sdpmap_call *c, int x, const struct sdp_session *in,
		     struct sdp_session *out, char *errmsg, size_t errcap)
{
	const struct sdpmap_config *cfg = c->cfg;
	int y = !x, all[2] = {1, 1}, any = 0, rc;
	int xkeys = keymgr_leg_may_receive_keys(&c->leg[x]);
	int ykeys = keymgr_leg_may_receive_keys(&c->leg[y]);
	enum keymgr_level level;
	struct sdes_crypto ch;

	if (!c->first && in->nmedia < c->n) {
		errmsg_set(errmsg, errcap, "re-offer removes an m-line");
		return SIP_NOT_ACCEPTABLE;
	}
	out_header(c, y, out);
	out->nmedia = in->nmedia;
	for (size_t i = 0; i < in->nmedia; i++) {
		const struct sdp_media *m = &in->media[i];
		struct sdp_media *o = &out->media[i];
		struct sdpmap_stream *st = &c->st[i];
		struct sdpmap_side *px, *py;
		int chosen = 0;

		memset(&ch, 0, sizeof ch);
		if (i >= c->n || m->port == 0 || !is_rtp_proto(m->proto)) {
			media_refuse(m, m->proto, o);
			if (i < c->n) {
				memset(st->pend, 0, sizeof st->pend);
				st->rekey = st->cur[x].active;
			}
			continue;
		}
		px = &st->pend[x];
		py = &st->pend[y];
		memset(st->pend, 0, sizeof st->pend);
		if (m->ncrypto) {
			rc = choose(&cfg->policy, m, m->ncrypto, &ch);
			if (rc != SDES_OK && rc != SDES_ENOMATCH) {
				errmsg_set(errmsg, errcap, "m-line %zu: %s",
					   i + 1, sdes_strerror(rc));
				return SIP_NOT_ACCEPTABLE;
			}
			chosen = rc == SDES_OK;
		}
		if (strstr(m->proto, "SAVP") && (!chosen || !xkeys)) {
			sdes_crypto_wipe(&ch);
			errmsg_set(errmsg, errcap,
				   "m-line %zu: SRTP required but %s", i + 1,
				   chosen ? "the leg may not carry keys"
					  : "no acceptable crypto suite");
			return SIP_NOT_ACCEPTABLE;
		}
		px->srtp = chosen && xkeys;
		py->srtp = ykeys && (px->srtp || cfg->allow_bridge);
		if (px->srtp != py->srtp && !cfg->allow_bridge) {
			sdes_crypto_wipe(&ch);
			errmsg_set(errmsg, errcap,
				   "m-line %zu: SRTP to RTP bridging not "
				   "allowed",
				   i + 1);
			return SIP_NOT_ACCEPTABLE;
		}
		if (remote_addr(c, in, i, m->port, &px->remote) != 0) {
			sdes_crypto_wipe(&ch);
			errmsg_set(errmsg, errcap,
				   "m-line %zu: address family differs from "
				   "the media address",
				   i + 1);
			return SIP_NOT_ACCEPTABLE;
		}
		px->active = py->active = 1;
		px->rtcp_mux = m->rtcp_mux;
		px->tag = px->srtp ? ch.tag : 0;
		px->suite = px->srtp ? ch.suite : SDES_SUITE_NONE;
		snprintf(px->proto, sizeof px->proto, "%s", m->proto);
		side_formats(m, px);
		py->tag = 1;
		/* Y keeps the suite it chose; a new SRTP leg is offered X's
		 * first (then the policy's others). */
		py->suite = !py->srtp ? SDES_SUITE_NONE
			    : st->cur[y].active && st->cur[y].srtp
				? st->cur[y].suite
			    : px->srtp ? ch.suite
				       : cfg->policy.prefer[0];
		proto_for(m->proto, py->srtp, py->proto, sizeof py->proto);
		if (stream_ready(c, st) != 0) {
			sdes_crypto_wipe(&ch);
			errmsg_set(errmsg, errcap,
				   "no media ports or keys left");
			return SIP_SERVER_ERROR;
		}
		st->rekey = c->first || c->dirty ||
			    !same_keys(&st->cur[x], px) ||
			    py->srtp != st->cur[y].srtp ||
			    (py->srtp && py->suite != st->cur[y].suite) ||
			    (px->srtp && key_differs(st->keys, x, &ch));
		st->moving[x] =
		    !st->rekey && !same_remote(&st->cur[x].remote, &px->remote);
		st->moving[y] = 0;
		rc = KEYMGR_OK;
		if (st->rekey && px->srtp) {
			rc = keymgr_call_import(st->keys, x, &ch);
			if (rc == KEYMGR_OK)
				rc =
				    keymgr_call_generate(st->keys, x, ch.suite);
		}
		if (rc == KEYMGR_OK && st->rekey && py->srtp)
			rc = keymgr_call_generate(st->keys, y, py->suite);
		sdes_crypto_wipe(&ch);
		media_copy(m, o);
		if (cfg->music && holds(m->dir))
			o->dir = SDP_DIR_SENDONLY; /* ward plays to Y */
		o->port = st->port[y];
		snprintf(o->proto, sizeof o->proto, "%s", py->proto);
		o->rtcp_mux = 1;
		alt_drop(st);
		if (rc == KEYMGR_OK && py->srtp)
			rc = put_crypto(c, st, y, py->tag, o);
		if (rc == KEYMGR_OK && py->srtp && st->rekey)
			rc = alt_offer(c, st, y, py->suite, o);
		if (rc != KEYMGR_OK) {
			c->dirty = 1;
			errmsg_set(errmsg, errcap, "m-line %zu: keys: %s",
				   i + 1, keymgr_strerror(rc));
			return SIP_SERVER_ERROR;
		}
		any = 1;
		all[x] &= px->srtp;
		all[y] &= py->srtp;
	}
	all[0] &= any;
	all[1] &= any;
	if (decide(c, all, &level) == KEYMGR_EREJECT) {
		errmsg_set(errmsg, errcap,
			   "call would be %s: encrypted or reject",
			   keymgr_level_name(level));
		return SIP_NOT_ACCEPTABLE;
	}
	c->offered_n = in->nmedia;
	return 0;
}

/* Y's answer IN to the pending offer, for X into OUT. */
static int map_answer(struct sdpmap_call *c, const struct sdp_session *in,
		      struct sdp_session *out, enum keymgr_level *level,
		      char *errmsg, size_t errcap)
{
	int x = c->offerer, y = !x, all[2] = {1, 1}, any = 0, rc;
	struct sdes_crypto ch;

	if (in->nmedia != c->offered_n) {
		errmsg_set(errmsg, errcap, "answer has %zu m-lines, offer %zu",
			   in->nmedia, c->offered_n);
		return SIP_NOT_ACCEPTABLE;
	}
	out_header(c, x, out);
	out->nmedia = in->nmedia;
	for (size_t i = 0; i < in->nmedia; i++) {
		const struct sdp_media *m = &in->media[i];
		struct sdp_media *o = &out->media[i];
		struct sdpmap_stream *st = &c->st[i];
		struct sdpmap_side *px = &st->pend[x], *py = &st->pend[y];
		int changed, alt_pick = -1;

		memset(&ch, 0, sizeof ch);
		if (i >= c->n || !px->active) {
			media_refuse(m, m->proto, o);
			continue;
		}
		if (m->port == 0) {
			/* Y refused the stream: so does ward toward X. */
			px->active = py->active = 0;
			media_refuse(m, px->proto, o);
			continue;
		}
		if (!is_rtp_proto(m->proto) ||
		    remote_addr(c, in, i, m->port, &py->remote) != 0) {
			errmsg_set(errmsg, errcap,
				   "answer m-line %zu: protocol or address "
				   "family",
				   i + 1);
			return SIP_NOT_ACCEPTABLE;
		}
		py->rtcp_mux = m->rtcp_mux;
		snprintf(py->proto, sizeof py->proto, "%s", m->proto);
		side_formats(m, py);
		if (py->srtp && m->ncrypto == 0) {
			py->srtp = 0; /* answered as RTP */
			py->suite = SDES_SUITE_NONE;
			if (px->srtp && !c->cfg->allow_bridge) {
				errmsg_set(errmsg, errcap,
					   "answer m-line %zu: RTP, and "
					   "bridging is not allowed",
					   i + 1);
				return SIP_NOT_ACCEPTABLE;
			}
		} else if (py->srtp) {
			rc = m->ncrypto == 1
				 ? choose(&c->cfg->policy, m, 1, &ch)
				 : SDES_ESYNTAX;
			if (rc == SDES_OK &&
			    (ch.tag != py->tag || ch.suite != py->suite)) {
				/* one of the other suites ward offered? */
				size_t k = ch.tag >= 2 ? ch.tag - 2 : st->nalt;

				if (k < st->nalt &&
				    st->alt_suite[k] == ch.suite) {
					alt_pick = (int)k;
					py->suite = ch.suite;
					py->tag = ch.tag;
				} else {
					rc = SDES_ENOMATCH;
				}
			}
			if (rc != SDES_OK) {
				sdes_crypto_wipe(&ch);
				errmsg_set(errmsg, errcap,
					   "answer m-line %zu: %s", i + 1,
					   sdes_strerror(rc));
				return SIP_NOT_ACCEPTABLE;
			}
		}
		st->moving[y] =
		    !st->rekey && !same_remote(&st->cur[y].remote, &py->remote);
		changed = !same_keys(&st->cur[y], py) ||
			  (py->srtp && key_differs(st->keys, y, &ch));
		if (changed && !st->rekey) {
			sdes_crypto_wipe(&ch);
			errmsg_set(errmsg, errcap,
				   "answer m-line %zu: re-keys a "
				   "stream the offer kept",
				   i + 1);
			return SIP_NOT_ACCEPTABLE;
		}
		rc = st->rekey && py->srtp
			 ? keymgr_call_import(st->keys, y, &ch)
			 : KEYMGR_OK;
		sdes_crypto_wipe(&ch);
		if (rc == KEYMGR_OK && alt_pick >= 0)
			keymgr_call_move_generated(st->keys, st->alt[alt_pick],
						   (enum keymgr_side)y);
		media_copy(m, o);
		if (c->cfg->music && holds(m->dir))
			o->dir =
			    SDP_DIR_SENDONLY; /* Y holds: ward plays to X */
		else if (c->cfg->music && holds(px->dir))
			o->dir = px->dir == SDP_DIR_INACTIVE ? SDP_DIR_INACTIVE
							     : SDP_DIR_RECVONLY;
		o->port = st->port[x];
		snprintf(o->proto, sizeof o->proto, "%s", px->proto);
		o->rtcp_mux = px->rtcp_mux;
		if (rc == KEYMGR_OK && px->srtp)
			rc = put_crypto(c, st, x, px->tag, o);
		if (rc != KEYMGR_OK) {
			c->dirty = 1;
			errmsg_set(errmsg, errcap, "m-line %zu: keys: %s",
				   i + 1, keymgr_strerror(rc));
			return SIP_SERVER_ERROR;
		}
		any = 1;
		all[x] &= px->srtp;
		all[y] &= py->srtp;
	}
	all[0] &= any;
	all[1] &= any;
	if (decide(c, all, level) == KEYMGR_EREJECT) {
		errmsg_set(errmsg, errcap,
			   "call would be %s: encrypted or reject",
			   keymgr_level_name(*level));
		return SIP_NOT_ACCEPTABLE;
	}
	for (size_t i = 0; i < c->n; i++) {
		struct sdpmap_stream *st = &c->st[i];
		int was = st->cur[0].active && st->cur[1].active;
		int now = st->pend[0].active && st->pend[1].active;

		st->changed = c->first || st->rekey || was != now;
		for (int sd = 0; sd < 2; sd++) {
			const struct sdpmap_side *me = &st->pend[sd];

			st->moved[sd] = !st->changed && now && st->moving[sd];
			/* Held by the other side, and able to hear G.711. */
			st->music[sd] = c->cfg->music && now &&
					holds(st->pend[!sd].dir) &&
					(me->pcmu || me->pcma);
			st->music_pt[sd] = me->pcmu ? 0 : 8;
		}
		memcpy(st->cur, st->pend, sizeof st->cur);
		st->rekey = 0;
		alt_drop(st);
	}
	c->dirty = 0;
	return 0;
}

/* Parses SDP, runs STEP (map_offer with SIDE, or map_answer), writes. */
static int run(struct sdpmap_call *c, int answer, int side, const char *sdp,
	       size_t len, char *out, size_t cap, size_t *out_len,
	       enum keymgr_level *level, char *errmsg, size_t errcap)
{
	struct sdp_session *in = malloc(sizeof *in), *o = malloc(sizeof *o);
	char why[128];
	int rc;

	*out_len = 0;
	if (!in || !o) {
		free(in);
		free(o);
		errmsg_set(errmsg, errcap, "out of memory");
		return SIP_SERVER_ERROR;
	}
	memset(o, 0, sizeof *o);
	rc = sdp_parse(sdp, len, in, why, sizeof why);
	if (rc != SDP_OK) {
		errmsg_set(errmsg, errcap, "SDP: %s", why);
		rc = SIP_NOT_ACCEPTABLE;
	} else {
		rc = answer ? map_answer(c, in, o, level, errmsg, errcap)
			    : map_offer(c, side, in, o, errmsg, errcap);
	}
	if (rc == 0 && sdp_write(o, out, cap, out_len) != SDP_OK) {
		errmsg_set(errmsg, errcap, "SDP larger than the buffer");
		rc = SIP_SERVER_ERROR;
	}
	if (rc != 0) {
		if (cap)
			OPENSSL_cleanse(out, cap);
		*out_len = 0;
		c->dirty = 1;
	}
	sdp_session_wipe(in);
	sdp_session_wipe(o);
	free(in);
	free(o);
	return rc;
}

int sdpmap_offer(const struct sdpmap_config *cfg, struct keymgr *km,
		 struct portpool *pool, const struct keymgr_leg legs[2],
		 int encrypted_or_reject, const char *sdp, size_t len,
		 char *out, size_t cap, size_t *out_len,
		 struct sdpmap_call **out_call, char *errmsg, size_t errcap)
{
	struct sdpmap_call *c = calloc(1, sizeof *c);
	int rc;

	*out_call = NULL;
	*out_len = 0;
	if (!c) {
		errmsg_set(errmsg, errcap, "out of memory");
		return SIP_SERVER_ERROR;
	}
	c->cfg = cfg;
	c->km = km;
	c->pool = pool;
	c->leg[0] = legs[0];
	c->leg[1] = legs[1];
	c->eor = encrypted_or_reject;
	if (RAND_bytes((unsigned char *)c->sess_id, sizeof c->sess_id) != 1) {
		free(c);
		errmsg_set(errmsg, errcap, "random generator failed");
		return SIP_SERVER_ERROR;
	}
	/* o= session ids as decimal that every parser reads. */
	c->sess_id[0] >>= 2;
	c->sess_id[1] >>= 2;
	/* n is the stream count: the first offer's m-lines, bounded. */
	c->n = SDP_MAX_MEDIA;
	c->first = 1;
	c->offerer = KEYMGR_SIDE_A;
	c->answerer = -1;
	rc = run(c, 0, KEYMGR_SIDE_A, sdp, len, out, cap, out_len, NULL, errmsg,
		 errcap);
	if (rc != 0) {
		sdpmap_call_free(c);
		return rc;
	}
	c->n = c->offered_n;
	*out_call = c;
	return 0;
}

void sdpmap_set_legs(struct sdpmap_call *c, const struct keymgr_leg legs[2],
		     int encrypted_or_reject)
{
	c->leg[0] = legs[0];
	c->leg[1] = legs[1];
	c->eor = encrypted_or_reject;
}

int sdpmap_reoffer(struct sdpmap_call *c, enum keymgr_side side,
		   const char *sdp, size_t len, char *out, size_t cap,
		   size_t *out_len, char *errmsg, size_t errcap)
{
	int rc;

	c->offerer = side == KEYMGR_SIDE_B;
	c->answerer = -1;
	c->first = 0;
	rc = run(c, 0, c->offerer, sdp, len, out, cap, out_len, NULL, errmsg,
		 errcap);
	if (rc != 0)
		c->offerer = -1;
	return rc;
}

int sdpmap_answer(struct sdpmap_call *c, const char *sdp, size_t len, char *out,
		  size_t cap, size_t *out_len, enum keymgr_level *level,
		  char *errmsg, size_t errcap)
{
	int rc;

	*out_len = 0;
	*level = KEYMGR_LEVEL_NONSECURE;
	if (c->offerer < 0) {
		errmsg_set(errmsg, errcap, "no offer pending");
		return SIP_SERVER_ERROR;
	}
	rc = run(c, 1, 0, sdp, len, out, cap, out_len, level, errmsg, errcap);
	c->answerer = rc == 0 ? !c->offerer : -1;
	c->offerer = -1;
	c->first = 0;
	return rc;
}

/* IN against what the last answer made of side Y: 0 when it keys every
 * stream the same, each move noted in st->moved[y] (and cur[y].remote
 * updated); 488 otherwise. */
static int map_repeat(struct sdpmap_call *c, int y,
		      const struct sdp_session *in, char *errmsg, size_t errcap)
{
	struct sockaddr_storage remote[SDP_MAX_MEDIA];

	if (in->nmedia != c->offered_n) {
		errmsg_set(errmsg, errcap, "answer has %zu m-lines, was %zu",
			   in->nmedia, c->offered_n);
		return SIP_NOT_ACCEPTABLE;
	}
	for (size_t i = 0; i < in->nmedia && i < c->n; i++) {
		const struct sdp_media *m = &in->media[i];
		const struct sdpmap_side *cy = &c->st[i].cur[y];
		struct sdes_crypto ch;
		int same = 1;

		memset(&remote[i], 0, sizeof remote[i]);
		if (!cy->active) {
			same = m->port == 0 || !c->st[i].cur[!y].active;
		} else if (m->port == 0 || !is_rtp_proto(m->proto) ||
			   remote_addr(c, in, i, m->port, &remote[i]) != 0 ||
			   m->rtcp_mux != cy->rtcp_mux) {
			same = 0;
		} else if (!cy->srtp) {
			same = m->ncrypto == 0;
		} else {
			memset(&ch, 0, sizeof ch);
			same = m->ncrypto == 1 &&
			       choose(&c->cfg->policy, m, 1, &ch) == SDES_OK &&
			       ch.tag == cy->tag && ch.suite == cy->suite &&
			       !key_differs(c->st[i].keys, y, &ch);
			sdes_crypto_wipe(&ch);
		}
		if (!same) {
			errmsg_set(errmsg, errcap,
				   "final answer m-line %zu: not the stream "
				   "its provisional answer keyed",
				   i + 1);
			return SIP_NOT_ACCEPTABLE;
		}
	}
	for (size_t i = 0; i < c->n; i++) {
		struct sdpmap_stream *st = &c->st[i];

		st->changed = 0;
		st->moved[!y] = 0;
		st->moved[y] = st->cur[y].active &&
			       !same_remote(&st->cur[y].remote, &remote[i]);
		if (st->moved[y])
			st->cur[y].remote = remote[i];
	}
	return 0;
}

int sdpmap_answer_repeat(struct sdpmap_call *c, const char *sdp, size_t len,
			 char *errmsg, size_t errcap)
{
	struct sdp_session *in = malloc(sizeof *in);
	char why[128];
	int rc;

	if (!in) {
		errmsg_set(errmsg, errcap, "out of memory");
		return SIP_SERVER_ERROR;
	}
	if (c->offerer >= 0 || c->answerer < 0) {
		errmsg_set(errmsg, errcap, "no answer to repeat");
		rc = SIP_SERVER_ERROR;
	} else if (sdp_parse(sdp, len, in, why, sizeof why) != SDP_OK) {
		errmsg_set(errmsg, errcap, "SDP: %s", why);
		rc = SIP_NOT_ACCEPTABLE;
	} else {
		rc = map_repeat(c, c->answerer, in, errmsg, errcap);
	}
	sdp_session_wipe(in);
	free(in);
	return rc;
}

size_t sdpmap_streams(const struct sdpmap_call *c)
{
	return c->n;
}

int sdpmap_stream_music(const struct sdpmap_call *c, size_t i,
			enum keymgr_side side, unsigned *pt)
{
	int sd = side == KEYMGR_SIDE_B;

	if (i >= c->n || !c->st[i].music[sd])
		return 0;
	*pt = c->st[i].music_pt[sd];
	return 1;
}

int sdpmap_stream_moved(const struct sdpmap_call *c, size_t i,
			enum keymgr_side side)
{
	return i < c->n && c->st[i].moved[side == KEYMGR_SIDE_B];
}

int sdpmap_stream_changed(const struct sdpmap_call *c, size_t i)
{
	return i < c->n && c->st[i].changed;
}

int sdpmap_relay_legs(const struct sdpmap_call *c, size_t i,
		      struct relay_leg_config legs[2])
{
	const struct sdpmap_stream *st;

	if (i >= c->n)
		return 0;
	st = &c->st[i];
	if (!st->cur[0].active || !st->cur[1].active)
		return 0;
	memset(legs, 0, 2 * sizeof *legs);
	for (int s = 0; s < 2; s++) {
		legs[s].local = c->cfg->addr;
		if (legs[s].local.ss_family == AF_INET6)
			((struct sockaddr_in6 *)&legs[s].local)->sin6_port =
			    htons((uint16_t)st->port[s]);
		else
			((struct sockaddr_in *)&legs[s].local)->sin_port =
			    htons((uint16_t)st->port[s]);
		legs[s].remote = st->cur[s].remote;
		legs[s].srtp = st->cur[s].srtp;
		legs[s].rtcp_mux = st->cur[s].rtcp_mux;
	}
	return 1;
}

const struct keymgr_call *sdpmap_stream_keys(const struct sdpmap_call *c,
					     size_t i)
{
	return i < c->n ? c->st[i].keys : NULL;
}

void sdpmap_call_free(struct sdpmap_call *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < SDP_MAX_MEDIA; i++) {
		keymgr_call_free(c->st[i].keys);
		alt_drop(&c->st[i]);
		portpool_give(c->pool, c->st[i].port[0]);
		portpool_give(c->pool, c->st[i].port[1]);
	}
	OPENSSL_cleanse(c, sizeof *c);
	free(c);
}
