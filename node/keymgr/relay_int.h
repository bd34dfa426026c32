/* relay_int: what the relay's files (relay.c, relay_play.c, relay_ossl.c)
 * share: the session structs. Not for other modules. */
#ifndef WARD_NODE_KEYMGR_RELAY_INT_H
#define WARD_NODE_KEYMGR_RELAY_INT_H

#include <stdint.h>
#include <sys/socket.h>

#include "node/keymgr/relay.h"

#define RELAY_BUF (RELAY_MTU + SRTP_MAX_TRAILER_LEN)

struct relay_leg;
struct relay_play;
struct mixer_part;

struct relay_sock {
	int fd;		  /* owned; -1 when absent (RTCP under rtcp-mux) */
	struct event *ev; /* owned */
	struct relay_leg *leg;
	int is_rtcp;
	struct sockaddr_storage peer; /* where to send; latched from rx */
	socklen_t peer_len;
	int latched;
	int connected; /* connect()ed to PEER: the kernel filters sources */
};

struct relay_leg {
	struct relay_session *s;
	int side;
	int srtp, rtcp_mux;
	srtp_t in, out;			/* owned when srtp */
	struct sockaddr_storage remote; /* the SDP's address: source check */
	struct relay_sock rtp, rtcp;
	unsigned port;
	struct relay_stats st;
	struct relay_play *play; /* owned: music toward this leg, or NULL */
	struct mixer_part *mix; /* in a conference (mixer.c owns it), or NULL */
};

struct relay_session {
	struct relay *r;
	struct relay_leg leg[2];
	int running; /* on the loop and in R's list (relay_session_start) */
	struct relay_session *prev, *next;
};

/* One batch of datagrams in flight; shared by every session of the relay,
 * which all run on its one thread. */
struct relay {
	struct event_base *base;
	struct relay_session *sessions; /* owned list */
	struct mmsghdr rmsg[RELAY_BATCH];
	struct iovec riov[RELAY_BATCH];
	struct sockaddr_storage raddr[RELAY_BATCH];
	struct mmsghdr smsg[2][RELAY_BATCH];
	struct iovec siov[2][RELAY_BATCH];
	uint8_t buf[RELAY_BATCH][RELAY_BUF];
};

/* Stops and frees the music toward LEG (relay_play.c). Accepts a leg
 * that plays nothing. */
void relay_play_stop_leg(struct relay_leg *leg);

/* mixer.c: LEG's decoded RTP packet (PKT, LEN bytes, unprotected, at
 * least 12) for its mixer; its RTCP packet (unprotected, authenticated
 * on an SRTP leg); LEG leaves its mixer (the session closes). */
void mixer_feed(struct mixer_part *p, const uint8_t *pkt, size_t len);
void mixer_feed_rtcp(struct mixer_part *p, const uint8_t *pkt, size_t len);
void mixer_leave_leg(struct relay_leg *leg);

/* Puts OpenSSL's HMAC-SHA1 and AES-128 counter mode in place of
 * libsrtp2's, once, after srtp_init. 0, or -1 when OpenSSL or libsrtp2's
 * self-test refused one (libsrtp2's own then stays: slower, equally
 * correct). */
int relay_ossl_register(void);

#endif
