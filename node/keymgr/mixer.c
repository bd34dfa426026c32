/* mixer: the 20 ms tick that mixes N-1 for each participant and sends
 * each one ward's RTCP, and what the relay's packet path hands it
 * (relay.c calls mixer_feed and mixer_feed_rtcp for a leg in a mixer).
 * See mixer.h for the contract. */
#include "node/keymgr/mixer.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/be.h"
#include "node/keymgr/g711.h"
#include "node/keymgr/keymgr.h"
#include "node/keymgr/mixer_rtcp.h"
#include "node/keymgr/relay_int.h"

#define FIFO_CAP (8 * MIXER_FIFO_MS) /* samples */
#define TICK_MS 20
#define NTP_UNIX_OFFSET 2208988800u /* 1900 to 1970, seconds */

struct mixer_part {
	struct mixer *mx;
	struct relay_leg *leg;
	unsigned slot;
	int16_t fifo[FIFO_CAP];
	unsigned head, count; /* FIFO: oldest at HEAD */
	int16_t frame[MIXER_FRAME];
	int has_frame;
	unsigned pt;
	uint16_t seq;
	uint32_t ts, ssrc;
	struct mixer_stats st;
	uint32_t octets;	 /* payload octets sent, for the SR */
	unsigned rtcp_left;	 /* ticks to the next report */
	struct mixer_rtcp_rx rx; /* the party's stream and last SR */
	uint8_t buf[RELAY_BUF];
};

struct mixer {
	struct relay *r;
	struct event *ev; /* owned: the 20 ms timer */
	unsigned max, n;
	unsigned rtcp_ticks; /* the mean report interval, in ticks */
	uint64_t tick_at;    /* the last tick, 1/65536 s monotonic */
	char cname[MIXER_RTCP_CNAME_LEN + 1];
	struct mixer_part *part[]; /* owned; the first N used */
};

static void mixer_tick_cb(evutil_socket_t fd, short what, void *arg);
static void part_rtcp(struct mixer_part *p, int bye);

/* Ticks to a party's next report: the interval times a random factor in
 * 0.5..1.5 (RFC 3550 6.3.1), halved for the first (6.2). */
static unsigned rtcp_next(const struct mixer *mx, int first)
{
	unsigned t = mx->rtcp_ticks, span, rnd = 0;

	if (first)
		t = (t + 1) / 2;
	span = t + 1;
	if (RAND_bytes((unsigned char *)&rnd, sizeof rnd) != 1)
		rnd = span / 2; /* no randomness: the mean */
	t = t / 2 + rnd % span;
	return t ? t : 1;
}

int mixer_new(struct relay *r, unsigned max, struct mixer **out)
{
	struct timeval tv = {0, TICK_MS * 1000};
	unsigned char rnd[MIXER_RTCP_CNAME_LEN * 3 / 4];
	struct mixer *mx;

	*out = NULL;
	if (max == 0 || max > MIXER_MAX)
		return KEYMGR_EINVAL;
	mx = calloc(1, sizeof *mx + max * sizeof mx->part[0]);
	if (!mx)
		return KEYMGR_ENOMEM;
	/* A CNAME of the conference's own, random (RFC 7022 4.2): it
	 * names neither the node nor anyone in the call. */
	if (RAND_bytes(rnd, sizeof rnd) != 1) {
		free(mx);
		return KEYMGR_ERANDOM;
	}
	EVP_EncodeBlock((unsigned char *)mx->cname, rnd, sizeof rnd);
	mx->r = r;
	mx->max = max;
	mx->rtcp_ticks = MIXER_RTCP_MS / TICK_MS;
	mx->ev = event_new(r->base, -1, EV_PERSIST, mixer_tick_cb, mx);
	if (!mx->ev || event_add(mx->ev, &tv) != 0) {
		if (mx->ev)
			event_free(mx->ev);
		free(mx);
		return KEYMGR_ENOMEM;
	}
	*out = mx;
	return KEYMGR_OK;
}

/* PT leaves: a stream it heard ends with a BYE (RFC 3550 6.3.7). */
static void part_free(struct mixer_part *pt)
{
	if (pt->st.sent > 0)
		part_rtcp(pt, 1);
	pt->leg->mix = NULL;
	OPENSSL_cleanse(pt, sizeof *pt); /* decoded voice */
	free(pt);
}

void mixer_free(struct mixer *mx)
{
	if (!mx)
		return;
	for (unsigned i = 0; i < mx->n; i++)
		part_free(mx->part[i]);
	event_free(mx->ev);
	free(mx);
}

int mixer_add(struct mixer *mx, struct relay_session *s, enum keymgr_side side,
	      unsigned pt)
{
	struct relay_leg *leg = &s->leg[side == KEYMGR_SIDE_B];
	struct mixer_part *p;

	if (leg->mix || (pt != 0 && pt != 8))
		return KEYMGR_EINVAL;
	if (mx->n >= mx->max)
		return KEYMGR_ENOMEM;
	p = calloc(1, sizeof *p);
	if (!p)
		return KEYMGR_ENOMEM;
	/* Ward's own stream toward the participant, as for the music. */
	if (RAND_bytes((unsigned char *)&p->ssrc, sizeof p->ssrc) != 1 ||
	    RAND_bytes((unsigned char *)&p->seq, sizeof p->seq) != 1 ||
	    RAND_bytes((unsigned char *)&p->ts, sizeof p->ts) != 1) {
		free(p);
		return KEYMGR_ERANDOM;
	}
	p->seq &= 0x7fff; /* room before the rollover (RFC 3711 3.3.1) */
	p->mx = mx;
	p->leg = leg;
	p->pt = pt;
	p->slot = mx->n;
	p->rtcp_left = rtcp_next(mx, 1);
	relay_play_stop_leg(leg);
	leg->mix = p;
	mx->part[mx->n++] = p;
	return KEYMGR_OK;
}

void mixer_leave_leg(struct relay_leg *leg)
{
	struct mixer_part *p = leg->mix;
	struct mixer *mx;

	if (!p)
		return;
	mx = p->mx;
	mx->part[p->slot] = mx->part[--mx->n];
	mx->part[p->slot]->slot = p->slot;
	mx->part[mx->n] = NULL;
	part_free(p);
}

void mixer_remove(struct relay_session *s, enum keymgr_side side)
{
	mixer_leave_leg(&s->leg[side == KEYMGR_SIDE_B]);
}

int mixer_has(const struct relay_session *s, enum keymgr_side side)
{
	return s->leg[side == KEYMGR_SIDE_B].mix != NULL;
}

unsigned mixer_count(const struct mixer *mx)
{
	return mx->n;
}

void mixer_set_rtcp_interval(struct mixer *mx, unsigned ms)
{
	mx->rtcp_ticks = ms < TICK_MS ? 1 : ms / TICK_MS;
	for (unsigned i = 0; i < mx->n; i++)
		mx->part[i]->rtcp_left = rtcp_next(mx, 0);
}

void mixer_part_stats(const struct relay_session *s, enum keymgr_side side,
		      struct mixer_stats *out)
{
	const struct mixer_part *p = s->leg[side == KEYMGR_SIDE_B].mix;

	if (p)
		*out = p->st;
	else
		memset(out, 0, sizeof *out);
}

int mixer_rtp_payload(const uint8_t *pkt, size_t len, size_t *off, size_t *plen,
		      unsigned *pt)
{
	size_t o, end = len, pad;

	if (len < 12 || (pkt[0] >> 6) != 2)
		return -1;
	*pt = pkt[1] & 0x7f;
	o = 12 + 4 * (size_t)(pkt[0] & 0x0f);
	if (pkt[0] & 0x10) { /* RFC 3550 5.3.1: a header extension */
		if (o + 4 > len)
			return -1;
		o += 4 + 4 * (size_t)((pkt[o + 2] << 8) | pkt[o + 3]);
	}
	if (o > len)
		return -1;
	if (pkt[0] & 0x20) { /* padding: its count in the last octet */
		pad = pkt[len - 1];
		if (pad == 0 || pad > len - o)
			return -1;
		end -= pad;
	}
	*off = o;
	*plen = end - o;
	return 0;
}

/* The monotonic clock in 1/65536 s, the unit of DLSR. */
static uint64_t mono_65536(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return ((uint64_t)t.tv_sec << 16) +
	       (((uint64_t)t.tv_nsec << 16) / 1000000000u);
}

void mixer_feed(struct mixer_part *p, const uint8_t *pkt, size_t len)
{
	struct timespec t;
	size_t off, plen;
	unsigned pt;

	if (mixer_rtp_payload(pkt, len, &off, &plen, &pt) != 0)
		return;
	/* The report's statistics count every packet of the party's
	 * stream; jitter only those on the 8 kHz audio clock. */
	clock_gettime(CLOCK_MONOTONIC, &t);
	mixer_rtcp_rx_rtp(
	    &p->rx, be32_get(pkt + 8), be16_get(pkt + 2), be32_get(pkt + 4),
	    (uint32_t)t.tv_sec * 8000u + (uint32_t)(t.tv_nsec / 125000),
	    pt == 0 || pt == 8);
	if ((pt != 0 && pt != 8) || plen == 0)
		return;
	if (plen > MIXER_MAX_PAYLOAD) /* more than the FIFO could keep */
		return;
	len = off + plen;
	p->pt = pt;
	p->st.frames_in++;
	for (size_t i = off; i < len; i++) {
		int16_t v = pt == 0 ? g711_ulaw_decode(pkt[i])
				    : g711_alaw_decode(pkt[i]);
		if (p->count == FIFO_CAP) { /* the oldest go */
			p->head = (p->head + 1) % FIFO_CAP;
			p->count--;
		}
		p->fifo[(p->head + p->count) % FIFO_CAP] = v;
		p->count++;
	}
}

void mixer_feed_rtcp(struct mixer_part *p, const uint8_t *pkt, size_t len)
{
	struct mixer_rtcp_in in;

	if (mixer_rtcp_read(pkt, len, &in) != 0) {
		p->st.rtcp_bad++;
		return;
	}
	p->st.rtcp_in++;
	mixer_rtcp_rx_rtcp(&p->rx, &in, mono_65536());
}

/* One frame out of P's FIFO; keeps at most three frames queued so that
 * a burst does not add lasting delay. */
static void part_take(struct mixer_part *p)
{
	while (p->count > 3 * MIXER_FRAME) {
		p->head = (p->head + MIXER_FRAME) % FIFO_CAP;
		p->count -= MIXER_FRAME;
	}
	p->has_frame = p->count >= MIXER_FRAME;
	if (!p->has_frame)
		return;
	for (unsigned i = 0; i < MIXER_FRAME; i++)
		p->frame[i] = p->fifo[(p->head + i) % FIFO_CAP];
	p->head = (p->head + MIXER_FRAME) % FIFO_CAP;
	p->count -= MIXER_FRAME;
}

/* LEN bytes of B out of SK to its peer: 0, or -1 when not all were sent. */
static int sock_send(const struct relay_sock *sk, const uint8_t *b, int len)
{
	ssize_t n = sk->connected ? send(sk->fd, b, (size_t)len, 0)
				  : sendto(sk->fd, b, (size_t)len, 0,
					   (const struct sockaddr *)&sk->peer,
					   sk->peer_len);

	return n == len ? 0 : -1;
}

static void part_send(struct mixer_part *p, const int32_t *sum)
{
	struct relay_leg *leg = p->leg;
	struct relay_sock *sk = &leg->rtp;
	uint8_t *b = p->buf;
	int len = 12 + MIXER_FRAME;

	b[0] = 0x80;
	b[1] = (uint8_t)p->pt;
	be16_put(b + 2, p->seq);
	be32_put(b + 4, p->ts);
	be32_put(b + 8, p->ssrc);
	for (unsigned i = 0; i < MIXER_FRAME; i++) {
		int32_t v = sum[i] - (p->has_frame ? p->frame[i] : 0);

		v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
		b[12 + i] = p->pt == 8 ? g711_alaw_encode((int16_t)v)
				       : g711_ulaw_encode((int16_t)v);
	}
	p->seq++;
	p->ts += MIXER_FRAME;
	if (leg->srtp &&
	    srtp_protect(leg->out, b, &len) != srtp_err_status_ok) {
		p->st.dropped++;
		return;
	}
	if (sock_send(sk, b, len) != 0) {
		p->st.dropped++;
	} else {
		p->st.sent++;
		p->octets += MIXER_FRAME;
	}
}

/* Ward's compound report to P, sent right after the tick's RTP packet
 * (the SR's RTP timestamp is then that packet's, its NTP time now), or
 * with BYE when P leaves (the timestamp carried on from the last tick).
 * Protected with ward's key toward P on an SRTP leg (a plain one never
 * leaves there); on the leg's RTCP socket, or its RTP one under
 * rtcp-mux, to where the relay sends the leg's RTCP. */
static void part_rtcp(struct mixer_part *p, int bye)
{
	struct relay_leg *leg = p->leg;
	struct relay_sock *sk = leg->rtcp.fd >= 0 ? &leg->rtcp : &leg->rtp;
	uint8_t b[MIXER_RTCP_MAX + SRTP_MAX_TRAILER_LEN + 4];
	struct mixer_rtcp_sender snd;
	uint64_t now = mono_65536(), since = bye ? now - p->mx->tick_at : 0;
	struct timespec t;
	int len;

	clock_gettime(CLOCK_REALTIME, &t);
	snd.ssrc = p->ssrc;
	snd.ntp = ((uint64_t)t.tv_sec + NTP_UNIX_OFFSET) << 32 |
		  (((uint64_t)t.tv_nsec << 32) / 1000000000u);
	snd.rtp_ts = p->ts - MIXER_FRAME + (uint32_t)((since * 8000) >> 16);
	snd.packets = (uint32_t)p->st.sent;
	snd.octets = p->octets;
	len = (int)(bye ? mixer_rtcp_write_bye(b, &snd, p->mx->cname)
			: mixer_rtcp_write(b, &snd, &p->rx, now, p->mx->cname));
	if (leg->srtp &&
	    srtp_protect_rtcp(leg->out, b, &len) != srtp_err_status_ok) {
		p->st.dropped++;
		return;
	}
	if (sock_send(sk, b, len) != 0)
		p->st.dropped++;
	else
		p->st.rtcp_sent++;
}

static void mixer_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mixer *mx = arg;
	int32_t sum[MIXER_FRAME];

	(void)fd;
	(void)what;
	mx->tick_at = mono_65536();
	memset(sum, 0, sizeof sum);
	for (unsigned k = 0; k < mx->n; k++) {
		struct mixer_part *p = mx->part[k];

		part_take(p);
		if (p->has_frame)
			for (unsigned i = 0; i < MIXER_FRAME; i++)
				sum[i] += p->frame[i];
	}
	for (unsigned k = 0; k < mx->n; k++) {
		struct mixer_part *p = mx->part[k];

		part_send(p, sum);
		if (--p->rtcp_left == 0) {
			part_rtcp(p, 0);
			p->rtcp_left = rtcp_next(mx, 0);
		}
	}
	OPENSSL_cleanse(sum, sizeof sum);
}
