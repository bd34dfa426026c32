/* relay_play: music toward one leg of a relayed stream — a libevent timer
 * every 20 ms that cuts the next 160 bytes of G.711 from the operator's
 * file into an RTP packet, protects it with the leg's outbound SRTP
 * context (ward's key toward that phone) and sends it where the leg
 * sends. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/be.h"
#include "node/keymgr/keymgr.h"
#include "node/keymgr/relay_int.h"

#define PLAY_SAMPLES 160 /* 20 ms at 8 kHz */

struct relay_play {
	struct relay_leg *leg;
	struct event *ev; /* owned: the 20 ms timer */
	const uint8_t *audio;
	size_t len, off;
	unsigned pt;
	uint16_t seq;
	uint32_t ts, ssrc;
	uint8_t buf[RELAY_BUF];
};

static void play_tick(evutil_socket_t fd, short what, void *arg)
{
	struct relay_play *pl = arg;
	struct relay_leg *leg = pl->leg;
	struct relay_sock *sk = &leg->rtp;
	uint8_t *p = pl->buf;
	int len = 12 + PLAY_SAMPLES;

	(void)fd;
	(void)what;
	p[0] = 0x80;
	p[1] = (uint8_t)pl->pt;
	be16_put(p + 2, pl->seq);
	be32_put(p + 4, pl->ts);
	memcpy(p + 8, &pl->ssrc, 4);
	for (int i = 0; i < PLAY_SAMPLES; i++) {
		p[12 + i] = pl->audio[pl->off++];
		if (pl->off == pl->len)
			pl->off = 0;
	}
	pl->seq++;
	pl->ts += PLAY_SAMPLES;
	if (leg->srtp &&
	    srtp_protect(leg->out, p, &len) != srtp_err_status_ok) {
		leg->st.dropped_other++;
		return;
	}
	if ((sk->connected ? send(sk->fd, p, (size_t)len, 0)
			   : sendto(sk->fd, p, (size_t)len, 0,
				    (const struct sockaddr *)&sk->peer,
				    sk->peer_len)) != len)
		leg->st.dropped_other++;
}

void relay_play_stop_leg(struct relay_leg *leg)
{
	struct relay_play *pl = leg->play;

	if (!pl)
		return;
	if (pl->ev)
		event_free(pl->ev);
	OPENSSL_cleanse(pl, sizeof *pl);
	free(pl);
	leg->play = NULL;
}

int relay_session_play(struct relay_session *s, enum keymgr_side side,
		       const uint8_t *audio, size_t len, unsigned pt)
{
	struct relay_leg *leg = &s->leg[side == KEYMGR_SIDE_B];
	struct timeval tv = {0, 20000};
	struct relay_play *pl;

	if (!audio || len < PLAY_SAMPLES || (pt != 0 && pt != 8))
		return KEYMGR_EINVAL;
	relay_play_stop_leg(leg);
	pl = calloc(1, sizeof *pl);
	if (!pl)
		return KEYMGR_ENOMEM;
	pl->leg = leg;
	pl->audio = audio;
	pl->len = len;
	pl->pt = pt;
	/* A fresh SSRC, sequence and timestamp: the music is ward's own
	 * stream, not a continuation of the held phone's. */
	if (RAND_bytes((unsigned char *)&pl->ssrc, sizeof pl->ssrc) != 1 ||
	    RAND_bytes((unsigned char *)&pl->seq, sizeof pl->seq) != 1 ||
	    RAND_bytes((unsigned char *)&pl->ts, sizeof pl->ts) != 1) {
		free(pl);
		return KEYMGR_ERANDOM;
	}
	pl->seq &= 0x7fff; /* room before the rollover (RFC 3711 3.3.1) */
	pl->ev = event_new(s->r->base, -1, EV_PERSIST, play_tick, pl);
	if (!pl->ev || event_add(pl->ev, &tv) != 0) {
		if (pl->ev)
			event_free(pl->ev);
		free(pl);
		return KEYMGR_ENOMEM;
	}
	leg->play = pl;
	return KEYMGR_OK;
}

void relay_session_play_stop(struct relay_session *s, enum keymgr_side side)
{
	relay_play_stop_leg(&s->leg[side == KEYMGR_SIDE_B]);
}

int relay_session_playing(const struct relay_session *s, enum keymgr_side side)
{
	return s->leg[side == KEYMGR_SIDE_B].play != NULL;
}
