/* mixer: the 20 ms tick that mixes N-1 for each participant, and what the
 * relay's packet path hands it (relay.c calls mixer_feed for a leg in a
 * mixer). See mixer.h for the contract. */
#include "node/keymgr/mixer.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "node/keymgr/g711.h"
#include "node/keymgr/keymgr.h"
#include "node/keymgr/relay_int.h"

#define FIFO_CAP (8 * MIXER_FIFO_MS) /* samples */

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
	uint8_t buf[RELAY_BUF];
};

struct mixer {
	struct relay *r;
	struct event *ev; /* owned: the 20 ms timer */
	unsigned max, n;
	struct mixer_part *part[]; /* owned; the first N used */
};

static void mixer_tick_cb(evutil_socket_t fd, short what, void *arg);

int mixer_new(struct relay *r, unsigned max, struct mixer **out)
{
	struct timeval tv = {0, 20000};
	struct mixer *mx;

	*out = NULL;
	if (max == 0 || max > MIXER_MAX)
		return KEYMGR_EINVAL;
	mx = calloc(1, sizeof *mx + max * sizeof mx->part[0]);
	if (!mx)
		return KEYMGR_ENOMEM;
	mx->r = r;
	mx->max = max;
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

static void part_free(struct mixer_part *pt)
{
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

void mixer_feed(struct mixer_part *p, const uint8_t *pkt, size_t len)
{
	size_t off, plen;
	unsigned pt;

	if (mixer_rtp_payload(pkt, len, &off, &plen, &pt) != 0 ||
	    (pt != 0 && pt != 8) || plen == 0)
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

static void part_send(struct mixer_part *p, const int32_t *sum)
{
	struct relay_leg *leg = p->leg;
	struct relay_sock *sk = &leg->rtp;
	uint8_t *b = p->buf;
	int len = 12 + MIXER_FRAME;

	b[0] = 0x80;
	b[1] = (uint8_t)p->pt;
	b[2] = (uint8_t)(p->seq >> 8);
	b[3] = (uint8_t)p->seq;
	b[4] = (uint8_t)(p->ts >> 24);
	b[5] = (uint8_t)(p->ts >> 16);
	b[6] = (uint8_t)(p->ts >> 8);
	b[7] = (uint8_t)p->ts;
	memcpy(b + 8, &p->ssrc, 4);
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
	if ((sk->connected ? send(sk->fd, b, (size_t)len, 0)
			   : sendto(sk->fd, b, (size_t)len, 0,
				    (const struct sockaddr *)&sk->peer,
				    sk->peer_len)) != len)
		p->st.dropped++;
	else
		p->st.sent++;
}

static void mixer_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct mixer *mx = arg;
	int32_t sum[MIXER_FRAME];

	(void)fd;
	(void)what;
	memset(sum, 0, sizeof sum);
	for (unsigned k = 0; k < mx->n; k++) {
		struct mixer_part *p = mx->part[k];

		part_take(p);
		if (p->has_frame)
			for (unsigned i = 0; i < MIXER_FRAME; i++)
				sum[i] += p->frame[i];
	}
	for (unsigned k = 0; k < mx->n; k++)
		part_send(mx->part[k], sum);
	OPENSSL_cleanse(sum, sizeof sum);
}
