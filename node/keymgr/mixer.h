/* mixer: the conference bridge of the media relay — ward terminates the
 * media of each participant and sends each one the others' voices,
 * encrypted with ward's own key toward that participant wherever its leg
 * is SRTP, so a conference of encrypted phones stays encrypted end to end
 * between each phone and ward (the seed's version 5.0 fell back to RTP).
 *
 * A participant is one leg (one side) of a relay session (relay.h). From
 * mixer_add on, that leg's RTP is no longer relayed to the session's other
 * leg: it is unprotected with the leg's inbound context as before, its
 * G.711 payload (PT 0 PCMU, PT 8 PCMA; other payload types such as
 * telephone-event or comfort noise are ignored) decoded to 16-bit linear
 * PCM into a jitter FIFO of MIXER_FIFO_MS; nothing from the other leg is
 * passed to it any more (RTP or RTCP) and music toward it stops.
 *
 * Every 20 ms (one libevent timer per mixer) each participant gives 160
 * samples (8 kHz) from its FIFO, silence when it sent nothing; each
 * participant then receives the sum of the OTHERS' frames (N-1, saturated
 * to 16 bits), encoded in the law it last sent (the PT given to
 * mixer_add until it sends), as one RTP packet from ward's own SSRC with
 * continuous sequence and timestamp for that participant, protected with
 * the leg's outbound SRTP context (ward's key toward that phone) when the
 * leg is SRTP, and sent where the leg sends (latched or SDP address). A
 * plain RTP packet never leaves on an SRTP leg: a protect failure drops
 * the frame.
 *
 * RTCP (RFC 3550, mixer_rtcp.h): toward each participant ward is the
 * sender of that mixed stream and the receiver of the participant's.
 * Every MIXER_RTCP_MS on average (each interval drawn from 0.5..1.5 of
 * it, the first halved; counted in ticks) the participant gets one
 * compound packet right after that tick's RTP: an SR from the mixed
 * stream's SSRC (NTP time now, the RTP timestamp of the packet just
 * sent, packets and payload octets sent) with one report block about
 * the participant's own stream (once two of its packets came in
 * sequence: loss, extended highest sequence, jitter, LSR/DLSR from its
 * last SR), then SDES with the conference's random CNAME; protected with
 * the leg's outbound context as SRTCP on an SRTP leg (a protect failure
 * drops it), sent on the leg's RTCP socket, or its RTP one under
 * rtcp-mux, where the leg's RTCP goes. The participant's RTCP,
 * authenticated with the leg's inbound context as before (on an SRTP leg
 * what does not authenticate never gets here), is read by a
 * bounds-checked parser (mixer_rtcp_read); a malformed one is counted and
 * dropped; an SR is kept (middle 32 bits of NTP, arrival) for LSR/DLSR;
 * nothing of it goes to anyone else. A participant that leaves (or
 * every one, at mixer_free) after ward sent it anything gets a last
 * report with a BYE of ward's SSRC.
 *
 * Bounds: at most MAX participants (mixer_new), each holding one fixed
 * FIFO and its RTCP state; no allocation on the packet or timer path.
 * The number of mixers per node is the caller's bound (wardd:
 * media.max_conferences).
 *
 * Ownership: a mixer is borrowed by nothing; mixer_free releases every
 * leg (they go back to relaying). A relay session freed while a leg of it
 * is in a mixer leaves the mixer by itself.
 *
 * Threads: a mixer lives on the relay's thread, like its sessions. */
#ifndef WARD_NODE_KEYMGR_MIXER_H
#define WARD_NODE_KEYMGR_MIXER_H

#include <stdint.h>

#include "node/keymgr/relay.h"

#define MIXER_FRAME 160	   /* samples per 20 ms at 8 kHz */
#define MIXER_FIFO_MS 100  /* per participant; beyond, the oldest go */
#define MIXER_MAX 64	   /* hard cap on participants per mixer */
#define MIXER_RTCP_MS 5000 /* mean RTCP interval (RFC 3550 6.2 minimum) */

struct mixer;

/* A mixer on R's loop (borrowed, must outlive it) for at most MAX
 * participants (1..MIXER_MAX). KEYMGR_OK, KEYMGR_EINVAL, KEYMGR_ENOMEM or
 * KEYMGR_ERANDOM (no CNAME). */
int mixer_new(struct relay *r, unsigned max, struct mixer **out);
/* Releases every participant's leg and stops the timer. Accepts NULL. */
void mixer_free(struct mixer *mx);

/* SIDE of S joins MX; PT (0 or 8) is the law it hears until it sends.
 * KEYMGR_OK; KEYMGR_EINVAL when the leg is already in a mixer or PT is
 * neither; KEYMGR_ENOMEM when MX is full. */
int mixer_add(struct mixer *mx, struct relay_session *s, enum keymgr_side side,
	      unsigned pt);
/* SIDE of S leaves whatever mixer it is in; its leg relays again. A leg
 * in no mixer is left alone. */
void mixer_remove(struct relay_session *s, enum keymgr_side side);
/* 1 when SIDE of S is in a mixer. */
int mixer_has(const struct relay_session *s, enum keymgr_side side);
/* Participants now. */
unsigned mixer_count(const struct mixer *mx);
/* The mean RTCP interval of MX in ms (rounded down to whole 20 ms ticks,
 * at least one), MIXER_RTCP_MS until set; every participant's next
 * report is drawn again. For tests: RFC 3550 6.2 wants 5 s. */
void mixer_set_rtcp_interval(struct mixer *mx, unsigned ms);

/* The payload of the RTP packet PKT (LEN bytes, unprotected): *OFF its
 * offset past the CSRCs and any header extension, *PLEN its length
 * without padding, *PT the payload type. 0, or -1 when the packet is not
 * RTP version 2 or its header, extension or padding overruns LEN. The
 * mixer takes G.711 payloads of 1 to MIXER_MAX_PAYLOAD bytes. */
#define MIXER_MAX_PAYLOAD (8 * MIXER_FIFO_MS)
int mixer_rtp_payload(const uint8_t *pkt, size_t len, size_t *off, size_t *plen,
		      unsigned *pt);

struct mixer_stats {
	uint64_t frames_in; /* G.711 packets decoded from the participant */
	uint64_t sent;	    /* mixed packets sent to it */
	uint64_t dropped;   /* protect or send failures (RTP or RTCP) */
	uint64_t rtcp_sent; /* compound reports sent to it */
	uint64_t rtcp_in;   /* its RTCP packets read */
	uint64_t rtcp_bad;  /* its RTCP packets dropped as malformed */
};
/* The counters of SIDE of S while it is in a mixer; zeros otherwise. */
void mixer_part_stats(const struct relay_session *s, enum keymgr_side side,
		      struct mixer_stats *out);

#endif
