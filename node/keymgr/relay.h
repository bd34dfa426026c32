/* relay: the SRTP media relay of the key manager role — for a call whose
 * media ward terminates, one UDP socket pair (RTP, RTCP) per leg on a
 * libevent loop; symmetric RTP/RTCP with latching and a source check;
 * SRTP/SRTCP unprotected with the inbound leg's key and protected with the
 * outbound leg's, per direction; and RTP <-> SRTP bridging only where the
 * caller says policy allows it.
 *
 * Latching: a leg's packets are accepted only from the IP address its SDP
 * named. Before latching ward sends to the SDP's address and port; the
 * first packet that passes (for an SRTP leg: that authenticates) fixes the
 * peer's port, after which packets from any other port are dropped and
 * replies go back where the phone sends from (symmetric RTP, so NATs in
 * front of phones work). RTCP latches on its own socket the same way.
 *
 * Cost per packet is bounded: no allocation on the packet path, at most
 * RELAY_BATCH datagrams per wakeup (recvmmsg/sendmmsg), buffers of
 * RELAY_MTU + SRTP_MAX_TRAILER_LEN bytes. A peer that is not the leg's
 * costs one recvmmsg slot and an address compare.
 *
 * libsrtp2: the relay initialises it (once per process; nothing else may
 * call srtp_init) and puts OpenSSL's HMAC-SHA1 and AES-128 counter mode in
 * place of its NSS ones for the AES_CM suites (relay_ossl.c), after
 * libsrtp2's self-tests pass them.
 *
 * Threads: a relay and its sessions live on the thread that runs BASE. */
#ifndef WARD_NODE_KEYMGR_RELAY_H
#define WARD_NODE_KEYMGR_RELAY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <srtp2/srtp.h>

#include "node/keymgr/keymgr.h"

#define RELAY_MTU 1500
#define RELAY_BATCH 32

struct event_base;
struct relay;
struct relay_session;

/* One leg of a relayed stream. */
struct relay_leg_config {
	/* Where ward listens: an IP with port 0 (a free even/odd pair is
	 * picked) or an explicit even RTP port (RTCP on the next). */
	struct sockaddr_storage local;
	/* The leg's SDP connection address and RTP port: the source check
	 * and the destination until the leg latches. */
	struct sockaddr_storage remote;
	int srtp;     /* the leg carries SRTP (keys from the call) */
	int rtcp_mux; /* RTCP on the RTP port (RFC 5761) */
	/* 1: FD[0] and FD[1] are sockets already bound to LOCAL's RTP port
	 * and the next (portpool_claim), which relay_session_new takes
	 * whatever it returns; 0: it binds its own. */
	int bound;
	int fd[2];
};

struct relay_stats {
	uint64_t rx;		 /* datagrams read on this leg */
	uint64_t tx;		 /* datagrams sent out of the other leg */
	uint64_t dropped_source; /* wrong source address or port */
	uint64_t dropped_auth;	 /* SRTP/SRTCP that did not authenticate */
	uint64_t dropped_other;	 /* malformed, or the send failed */
};

/* A relay on BASE (borrowed, must outlive it). */
int relay_new(struct event_base *base, struct relay **out, char *errmsg,
	      size_t errcap);
/* Frees R and every session still on it. Accepts NULL. */
void relay_free(struct relay *r);

/* Opens a two-leg session (leg 0 = KEYMGR_SIDE_A, 1 = KEYMGR_SIDE_B).
 * An SRTP leg needs both its keys in CALL (borrowed; the SRTP contexts are
 * made from them now, so CALL may be freed after): the imported one to
 * unprotect what it sends, the generated one to protect what it receives.
 * One SRTP leg and one RTP leg make a bridge: KEYMGR_EREJECT unless
 * ALLOW_BRIDGE. */
int relay_session_new(struct relay *r, const struct keymgr_call *call,
		      const struct relay_leg_config legs[2], int allow_bridge,
		      struct relay_session **out, char *errmsg, size_t errcap);
/* relay_session_new in two steps, so that a thread that is not the
 * relay's can do the work and learn the errors at once:
 * relay_session_prepare does everything but the loop (keys, sockets, the
 * same errors), on any thread, touching nothing of R's; the session
 * relays nothing until relay_session_start puts it on R's loop, on R's
 * thread (0, or KEYMGR_ENOMEM: free it). A prepared session may be freed
 * on any thread until it is started. */
int relay_session_prepare(struct relay *r, const struct keymgr_call *call,
			  const struct relay_leg_config legs[2],
			  int allow_bridge, struct relay_session **out,
			  char *errmsg, size_t errcap);
int relay_session_start(struct relay_session *s);
/* Closes the sockets and wipes the SRTP contexts. Accepts NULL. */
void relay_session_free(struct relay_session *s);

/* Points SIDE's leg at REMOTE (its SDP's new address and RTP port; the
 * family of the leg's): the source check and the destination change, the
 * latch is released (the next packet that passes fixes the port again),
 * and the SRTP contexts go on — a re-INVITE that moves a phone without
 * re-keying must not restart a context under the same key. 0, or
 * KEYMGR_EINVAL for another family. */
int relay_session_retarget(struct relay_session *s, enum keymgr_side side,
			   const struct sockaddr_storage *remote);

/* Plays AUDIO (LEN bytes of 8 kHz G.711 of payload type PT, 0 PCMU or
 * 8 PCMA; borrowed, must stay until the music stops or the session is
 * freed; played in a loop) toward SIDE's phone: one 20 ms RTP packet
 * every 20 ms from ward's own SSRC, protected with ward's key toward SIDE
 * when the leg is SRTP — music on hold stays encrypted toward an
 * encrypted phone. Meanwhile RTP from the other leg is not passed to
 * SIDE (RTCP still is). Replaces music already playing. 0, KEYMGR_EINVAL
 * (no audio, another PT) or KEYMGR_ENOMEM. */
int relay_session_play(struct relay_session *s, enum keymgr_side side,
		       const uint8_t *audio, size_t len, unsigned pt);
/* Stops the music toward SIDE; relaying resumes. */
void relay_session_play_stop(struct relay_session *s, enum keymgr_side side);
/* 1 while music plays toward SIDE. */
int relay_session_playing(const struct relay_session *s, enum keymgr_side side);

/* The local RTP port of SIDE, for ward's SDP to that leg. */
unsigned relay_session_port(const struct relay_session *s,
			    enum keymgr_side side);
/* Counters of packets that arrived on SIDE. */
void relay_session_stats(const struct relay_session *s, enum keymgr_side side,
			 struct relay_stats *out);

/* An SRTP context for one key (SUITE, KEY, SALT borrowed) for any inbound
 * (INBOUND 1) or outbound SSRC. Used by the relay, its tests and benches. */
int relay_srtp_create(srtp_t *out, enum sdes_suite suite, const uint8_t *key,
		      size_t key_len, const uint8_t *salt, size_t salt_len,
		      int inbound);

#endif
