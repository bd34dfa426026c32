/* sdpmap: ward's side of SDP offer/answer when it relays a call's media —
 * each side's SDP in, the SDP ward sends the other side out, with ward's
 * media address and relay ports, and a=crypto only toward a leg the key
 * manager's leg rule lets see keys (the seed's steps 1–7 in real calls).
 * No threads and no sockets here: the caller opens the relay sessions
 * this module describes (sdpmap_relay_legs), on the thread of the relay.
 *
 * Per relayed stream (an m-line with RTP/AVP, RTP/SAVP, RTP/AVPF or
 * RTP/SAVPF and a non-zero port), for an offer from side X to side Y:
 *   - X's a=crypto lines go through sdes_choose by policy: a malformed
 *     line or a repeated tag refuses the call (488); RTP/SAVP with no
 *     acceptable suite, or over a leg that may not receive keys, too;
 *     best-effort SRTP (RTP/AVP with a=crypto) falls back to RTP.
 *   - X's leg is SRTP when a suite was chosen and X may receive keys; Y's
 *     leg is SRTP when Y may receive keys and (X is SRTP or bridging is
 *     allowed). An SRTP leg facing an RTP leg is a bridge: 488 unless the
 *     configuration allows it. The call's level (keymgr_call_decide over
 *     both legs) under "encrypted or reject" refuses with 488.
 *   - keys: X's chosen key is imported (X's sending key); ward generates
 *     the key toward Y (X's suite, or the policy's first when X is RTP)
 *     and toward X (X's suite): two sets, one per direction.
 *   - out: c= ward's media address, m= ward's port for Y, RTP/SAVP with
 *     a=crypto tag 1 (ward's key toward Y in that suite) then one line
 *     per other policy suite (tags 2.., a key each), or RTP/AVP without,
 *     a=rtcp-mux, X's formats, rtpmaps, ptime and direction.
 * The answer from Y must carry for an SRTP stream one a=crypto with a
 * tag and suite ward offered (488 otherwise): the keys of the other
 * lines are wiped, and each leg of the relay runs its own suite. Ward's
 * answer to X keeps X's proto and tag and carries ward's key toward X,
 * Y's formats and direction.
 *
 * Re-offers (re-INVITE, UPDATE, hold) keep every port. A re-offer that
 * changes nothing of X's stream but its direction (hold, resume, session
 * refresh) keeps the keys and the relay session; one that only moves a
 * side (address or port: old-style hold to 0.0.0.0 and back) keeps them
 * too and points the session there (sdpmap_stream_moved). One that
 * changes X's key, suite, SRTP or rtcp-mux gets fresh keys both ways and
 * a new relay session (sdpmap_stream_changed): a relay context never
 * restarts under a key it protected with before. An answer that re-keys
 * the answering side in a re-offer that did not is refused (488): ward's
 * key toward that side is already on the wire.
 *
 * Hold: with music configured, a side that offers or answers sendonly or
 * inactive holds the other; ward's SDP to the held side says sendonly
 * (ward sends the music, SRTP toward an encrypted phone) and its answer
 * to a holder recvonly (inactive to inactive); sdpmap_stream_music says
 * which side hears it. Without music the directions pass through.
 *
 * Errors: 0, or the SIP status to answer — 488 for what the peer sent or
 * the policy refuses, 500 for ward's own limits (keys, ports). ERRMSG
 * never holds SDP or key bytes. Every SDP buffer here may hold keys: the
 * module wipes its own; the caller wipes OUT once sent.
 *
 * Threads: one call is used by one thread at a time (the keymgr_call rule);
 * CFG, KM and POOL are shared (KM and POOL are thread-safe). */
#ifndef WARD_NODE_KEYMGR_SDPMAP_H
#define WARD_NODE_KEYMGR_SDPMAP_H

#include <stddef.h>
#include <sys/socket.h>

#include "node/keymgr/keymgr.h"
#include "node/keymgr/portpool.h"
#include "node/keymgr/relay.h"
#include "sdp/sdes.h"
#include "sdp/sdp.h"

struct sdpmap_config {
	struct sdes_policy policy;    /* suites ward accepts and offers */
	int allow_bridge;	      /* SRTP <-> RTP through the relay */
	struct sockaddr_storage addr; /* ward's media address, port unused */
	struct sdp_conn conn;	      /* the same, as SDP writes it */
	/* Music on hold is loaded: a side whose SDP says sendonly or
	 * inactive holds the other, which hears the music (relay_session_
	 * play) instead of the holder's stream. */
	int music;
};

/* Fills CFG: the default policy, bridging allowed, ADDR (an IPv4 or IPv6
 * literal, not a wildcard). -1 when ADDR is not one. */
int sdpmap_config_init(struct sdpmap_config *cfg, const char *addr);

struct sdpmap_call;

/* A's offer SDP (LEN bytes, borrowed) for a call between LEGS[0] (A) and
 * LEGS[1] (B) — their media_srtp fields are ignored, this module decides
 * them. ENCRYPTED_OR_REJECT: either leg's profile option. Ward's offer to
 * B goes to OUT (CAP bytes, NUL-terminated, length in *OUT_LEN), the call
 * to *OUT_CALL (freed with sdpmap_call_free). CFG, KM and POOL borrowed,
 * must outlive the call. */
int sdpmap_offer(const struct sdpmap_config *cfg, struct keymgr *km,
		 struct portpool *pool, const struct keymgr_leg legs[2],
		 int encrypted_or_reject, const char *sdp, size_t len,
		 char *out, size_t cap, size_t *out_len,
		 struct sdpmap_call **out_call, char *errmsg, size_t errcap);

/* The answer to the pending offer (the first, or a re-offer): ward's
 * answer to the offering side to OUT, the call's level to *LEVEL. On a
 * refusal the relay keeps what it had (the caller need not change any
 * session). */
int sdpmap_answer(struct sdpmap_call *c, const char *sdp, size_t len, char *out,
		  size_t cap, size_t *out_len, enum keymgr_level *level,
		  char *errmsg, size_t errcap);

/* The answering side's answer again, right after its answer and before
 * any new offer: a final answer repeating the answer of a provisional
 * response (early media, RFC 3261 13.2.1). Nothing is written: ward's
 * answer to the offering side stands (that side has it, and ward's key in
 * it is in use). 0 when every stream is keyed as before — the same key,
 * tag, suite, SRTP and rtcp-mux — perhaps at another address or port
 * (sdpmap_stream_moved then says so: point the session there); 488 when
 * it re-keys or changes anything else, which the relay cannot follow
 * without restarting a context under a key it has protected with: the
 * caller then refuses the call. */
int sdpmap_answer_repeat(struct sdpmap_call *c, const char *sdp, size_t len,
			 char *errmsg, size_t errcap);

/* From the next offer on, the legs are LEGS (a transfer put a new party
 * on a side): which sides may receive keys, the level, "encrypted or
 * reject". */
void sdpmap_set_legs(struct sdpmap_call *c, const struct keymgr_leg legs[2],
		     int encrypted_or_reject);

/* A re-offer from SIDE for the other side. */
int sdpmap_reoffer(struct sdpmap_call *c, enum keymgr_side side,
		   const char *sdp, size_t len, char *out, size_t cap,
		   size_t *out_len, char *errmsg, size_t errcap);

/* Streams of the call (m-lines of A's first offer). */
size_t sdpmap_streams(const struct sdpmap_call *c);
/* 1 when the last answer changed stream I so that its relay session must
 * be replaced (or opened, or closed): always after the first answer. */
int sdpmap_stream_changed(const struct sdpmap_call *c, size_t i);
/* 1 when the last answer only moved SIDE of stream I (a new address or
 * port, the same keys): point the session's leg there
 * (relay_session_retarget) instead of replacing the session. */
int sdpmap_stream_moved(const struct sdpmap_call *c, size_t i,
			enum keymgr_side side);
/* 1 and *PT (0 PCMU or 8 PCMA, from that side's SDP) when, after the
 * last answer, stream I's SIDE is held and hears the music; 0 when it
 * hears the other side (or holds, or accepts neither law). */
int sdpmap_stream_music(const struct sdpmap_call *c, size_t i,
			enum keymgr_side side, unsigned *pt);
/* After an answer: 1 and LEGS filled (ward's address and port, the
 * peer's SDP address and port, SRTP, rtcp-mux per side) when stream I is
 * relayed; 0 when it is not (a side refused it). */
int sdpmap_relay_legs(const struct sdpmap_call *c, size_t i,
		      struct relay_leg_config legs[2]);
/* The keys relay_session_new takes for stream I: borrowed, valid until
 * the next offer or answer on C or its free. */
const struct keymgr_call *sdpmap_stream_keys(const struct sdpmap_call *c,
					     size_t i);

/* Wipes every key and gives the ports back to the pool: close the relay
 * sessions first (their sockets hold the ports). Accepts NULL. */
void sdpmap_call_free(struct sdpmap_call *c);

#endif
