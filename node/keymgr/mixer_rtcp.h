/* mixer_rtcp: RFC 3550 RTCP for the streams the conference mixer sends.
 * Toward each party ward is an RTP endpoint: the sender of the mixed
 * stream and the receiver of the party's own. This module keeps the
 * receiver statistics of the party's stream (RFC 3550 A.1, A.3, A.8) and
 * its last SR, writes ward's compound report (SR + SDES CNAME, 6.4.1,
 * 6.5) and reads what the party sends (bounds-checked, A.2's validity
 * checks). Pure: no allocation, no clock of its own (times come in), no
 * I/O, no keys; mixer.c does the timing, SRTCP and sockets. */
#ifndef WARD_NODE_KEYMGR_MIXER_RTCP_H
#define WARD_NODE_KEYMGR_MIXER_RTCP_H

#include <stddef.h>
#include <stdint.h>

/* CNAME length (RFC 7022 4.2: 96 random bits in base64) and the largest
 * compound packet ward sends (SR with one block, SDES). */
#define MIXER_RTCP_CNAME_LEN 16
#define MIXER_RTCP_MAX 80

/* The party's stream as ward receives it, and the party's last SR. Zero
 * it (or mixer_rtcp_rx_reset) before the first packet. */
struct mixer_rtcp_rx {
	int known;	    /* a source has been seen */
	uint32_t ssrc;	    /* its SSRC */
	uint32_t probation; /* in-sequence packets still needed (A.1) */
	uint16_t max_seq;
	uint32_t cycles, base_seq, bad_seq;
	uint32_t received, expected_prior, received_prior;
	uint32_t transit; /* of the last timed packet, timestamp units */
	int timed;	  /* TRANSIT holds a value */
	uint32_t jitter;  /* scaled by 16 (A.8) */
	int have_sr;
	uint32_t sr_ssrc, lsr; /* middle 32 bits of its NTP timestamp */
	uint64_t sr_at;	       /* arrival, 1/65536 s of the caller's clock */
};

void mixer_rtcp_rx_reset(struct mixer_rtcp_rx *rx);

/* An RTP packet of the party's: SSRC, SEQ and TS from its header,
 * ARRIVAL the arrival time in units of the stream's clock (8 kHz for
 * G.711; any origin, wrapping), TIMED 0 when the packet's timestamp
 * does not follow the audio clock (telephone-event, comfort noise): it
 * then counts for sequence and loss but not for jitter. A new SSRC
 * starts the statistics over (the party restarted its stream). */
void mixer_rtcp_rx_rtp(struct mixer_rtcp_rx *rx, uint32_t ssrc, uint16_t seq,
		       uint32_t ts, uint32_t arrival, int timed);

/* What one RTCP compound packet of the party's says. */
struct mixer_rtcp_in {
	int has_sr;	  /* the first packet is an SR */
	uint32_t ssrc;	  /* the sender's SSRC (of the first SR or RR) */
	uint32_t ntp_mid; /* the SR's middle 32 bits of NTP (has_sr) */
};

/* Reads the RTCP compound packet PKT (LEN bytes, unprotected) into *OUT.
 * 0; -1 when it is not valid RTCP (RFC 3550 A.2): a packet not of
 * version 2, a first packet neither SR nor RR or padded, padding on any
 * but the last, a length field that runs past LEN or leaves bytes over,
 * an SR or RR shorter than its report count says, a packet type outside
 * 192..223. Never reads outside PKT. */
int mixer_rtcp_read(const uint8_t *pkt, size_t len, struct mixer_rtcp_in *out);

/* The party's RTCP IN (read by mixer_rtcp_read) arrived at AT (1/65536 s,
 * the clock given to mixer_rtcp_write): an SR is kept for LSR/DLSR. */
void mixer_rtcp_rx_rtcp(struct mixer_rtcp_rx *rx,
			const struct mixer_rtcp_in *in, uint64_t at);

/* Ward's stream toward the party. */
struct mixer_rtcp_sender {
	uint32_t ssrc;	  /* the SSRC of the mixed RTP */
	uint64_t ntp;	  /* wall clock now, NTP format (RFC 3550 4) */
	uint32_t rtp_ts;  /* the RTP timestamp of that same instant */
	uint32_t packets; /* RTP packets sent so far */
	uint32_t octets;  /* their payload octets */
};

/* Writes into BUF (at least MIXER_RTCP_MAX bytes) ward's compound report
 * to the party: an SR for S with one report block about RX's source when
 * one is known (and none before), then SDES with CNAME (exactly
 * MIXER_RTCP_CNAME_LEN bytes, no NUL needed). NOW is the time of sending
 * on the clock of mixer_rtcp_rx_rtcp (1/65536 s), for DLSR. Starts RX's
 * next reporting interval (fraction lost counts from here). Returns the
 * length written. */
size_t mixer_rtcp_write(uint8_t *buf, const struct mixer_rtcp_sender *s,
			struct mixer_rtcp_rx *rx, uint64_t now,
			const char *cname);
/* Writes into BUF (at least MIXER_RTCP_MAX bytes) ward's last packet to
 * the party (6.3.7): an SR for S without a block, SDES as above, and a
 * BYE of S's SSRC (6.6); 64 bytes, returned. Small on purpose: with its
 * SRTCP trailer it stays under any RTP packet of the mixer's. */
size_t mixer_rtcp_write_bye(uint8_t *buf, const struct mixer_rtcp_sender *s,
			    const char *cname);

#endif
