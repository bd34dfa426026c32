/* mixer_rtcp: receiver statistics, ward's compound report and the reader
 * of a party's RTCP. See mixer_rtcp.h; the algorithms are RFC 3550
 * appendix A's, with its constants. */
#include "node/keymgr/mixer_rtcp.h"

#include <string.h>

#include "common/be.h"

#define RTP_SEQ_MOD (1u << 16)
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100
#define MIN_SEQUENTIAL 2

#define RTCP_SR 200
#define RTCP_RR 201
#define RTCP_SDES 202
#define RTCP_BYE 203
#define SDES_CNAME 1

void mixer_rtcp_rx_reset(struct mixer_rtcp_rx *rx)
{
	memset(rx, 0, sizeof *rx);
}

/* A.1 init_seq */
static void init_seq(struct mixer_rtcp_rx *rx, uint16_t seq)
{
	rx->base_seq = seq;
	rx->max_seq = seq;
	rx->bad_seq = RTP_SEQ_MOD + 1; /* so seq == bad_seq is false */
	rx->cycles = 0;
	rx->received = 0;
	rx->received_prior = 0;
	rx->expected_prior = 0;
}

/* A.1 update_seq: 1 when SEQ counts as received from a valid source. */
static int update_seq(struct mixer_rtcp_rx *rx, uint16_t seq)
{
	uint16_t udelta = (uint16_t)(seq - rx->max_seq);

	if (rx->probation) {
		if (seq == (uint16_t)(rx->max_seq + 1)) {
			rx->probation--;
			rx->max_seq = seq;
			if (rx->probation == 0) {
				init_seq(rx, seq);
				rx->received++;
				return 1;
			}
		} else {
			rx->probation = MIN_SEQUENTIAL - 1;
			rx->max_seq = seq;
		}
		return 0;
	}
	if (udelta < MAX_DROPOUT) {
		if (seq < rx->max_seq) /* wrapped */
			rx->cycles += RTP_SEQ_MOD;
		rx->max_seq = seq;
	} else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
		/* A very large jump: twice in a row means the source
		 * restarted its sequence. */
		if (seq != rx->bad_seq) {
			rx->bad_seq = (seq + 1) & (RTP_SEQ_MOD - 1);
			return 0;
		}
		init_seq(rx, seq);
		rx->timed = 0;
	}
	/* else a duplicate or a reordered packet */
	rx->received++;
	return 1;
}

void mixer_rtcp_rx_rtp(struct mixer_rtcp_rx *rx, uint32_t ssrc, uint16_t seq,
		       uint32_t ts, uint32_t arrival, int timed)
{
	uint32_t transit;
	int32_t d;

	if (!rx->known || rx->ssrc != ssrc) {
		/* A new source: its SR, if any, is kept (it may come
		 * first), the statistics start over. */
		rx->known = 1;
		rx->ssrc = ssrc;
		init_seq(rx, seq);
		rx->max_seq = (uint16_t)(seq - 1);
		rx->probation = MIN_SEQUENTIAL;
		rx->timed = 0;
		rx->jitter = 0;
	}
	if (!update_seq(rx, seq) || !timed)
		return;
	/* A.8: J += (|D| - J) / 16, J kept scaled by 16 */
	transit = arrival - ts;
	if (rx->timed) {
		d = (int32_t)(transit - rx->transit);
		if (d < 0)
			d = -d;
		rx->jitter += (uint32_t)d - ((rx->jitter + 8) >> 4);
	}
	rx->transit = transit;
	rx->timed = 1;
}

int mixer_rtcp_read(const uint8_t *pkt, size_t len, struct mixer_rtcp_in *out)
{
	size_t o = 0;

	memset(out, 0, sizeof *out);
	if (len < 8)
		return -1;
	while (o < len) {
		size_t plen, body, need = 4;
		unsigned pt, rc;

		if (len - o < 4 || (pkt[o] >> 6) != 2)
			return -1;
		rc = pkt[o] & 0x1f;
		pt = pkt[o + 1];
		plen = 4 * ((size_t)((pkt[o + 2] << 8) | pkt[o + 3]) + 1);
		if (pt < 192 || pt > 223 || plen > len - o)
			return -1;
		body = plen;
		if (pkt[o] & 0x20) { /* padding: the last packet only */
			size_t pad = pkt[o + plen - 1];

			if (o == 0 || o + plen != len || pad == 0 ||
			    pad > plen - 4)
				return -1;
			body -= pad;
		}
		if (pt == RTCP_SR)
			need = 28 + 24 * (size_t)rc;
		else if (pt == RTCP_RR)
			need = 8 + 24 * (size_t)rc;
		if (body < need)
			return -1;
		if (o == 0) {
			if (pt != RTCP_SR && pt != RTCP_RR)
				return -1;
			out->ssrc = be32_get(pkt + 4);
			if (pt == RTCP_SR) {
				out->has_sr = 1;
				out->ntp_mid = be32_get(pkt + 10);
			}
		}
		o += plen;
	}
	return 0;
}

void mixer_rtcp_rx_rtcp(struct mixer_rtcp_rx *rx,
			const struct mixer_rtcp_in *in, uint64_t at)
{
	if (!in->has_sr)
		return;
	rx->have_sr = 1;
	rx->sr_ssrc = in->ssrc;
	rx->lsr = in->ntp_mid;
	rx->sr_at = at;
}

/* One report block (6.4.1) about RX's source at B, for NOW. */
static void write_block(uint8_t *b, struct mixer_rtcp_rx *rx, uint64_t now)
{
	uint32_t ext_max = rx->cycles + rx->max_seq;
	uint32_t expected = ext_max - rx->base_seq + 1;
	uint32_t exp_int = expected - rx->expected_prior;
	uint32_t rcv_int = rx->received - rx->received_prior;
	int64_t lost = (int64_t)expected - rx->received;
	int64_t lost_int = (int64_t)exp_int - rcv_int;
	uint32_t fraction = 0, lsr = 0, dlsr = 0;

	rx->expected_prior = expected;
	rx->received_prior = rx->received;
	if (exp_int != 0 && lost_int > 0)
		fraction = (uint32_t)((lost_int << 8) / exp_int);
	if (fraction > 255)
		fraction = 255;
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	if (lost < -0x800000)
		lost = -0x800000;
	if (rx->have_sr && rx->sr_ssrc == rx->ssrc) {
		uint64_t d = now >= rx->sr_at ? now - rx->sr_at : 0;

		lsr = rx->lsr;
		dlsr = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
	}
	be32_put(b, rx->ssrc);
	be32_put(b + 4, fraction << 24 | ((uint32_t)lost & 0xffffff));
	be32_put(b + 8, ext_max);
	be32_put(b + 12, rx->jitter >> 4);
	be32_put(b + 16, lsr);
	be32_put(b + 20, dlsr);
}

/* SR (6.4.1) from S, with a block about RX's source when RX is given
 * and knows one, then SDES (6.5): one chunk, CNAME then END, padded to
 * 32 bits. */
static size_t write_report(uint8_t *buf, const struct mixer_rtcp_sender *s,
			   struct mixer_rtcp_rx *rx, uint64_t now,
			   const char *cname)
{
	unsigned rc = rx && rx->known && rx->probation == 0;
	size_t o = 28 + 24 * (size_t)rc;

	buf[0] = (uint8_t)(0x80 | rc);
	buf[1] = RTCP_SR;
	buf[2] = 0;
	buf[3] = (uint8_t)(o / 4 - 1);
	be32_put(buf + 4, s->ssrc);
	be32_put(buf + 8, (uint32_t)(s->ntp >> 32));
	be32_put(buf + 12, (uint32_t)s->ntp);
	be32_put(buf + 16, s->rtp_ts);
	be32_put(buf + 20, s->packets);
	be32_put(buf + 24, s->octets);
	if (rc)
		write_block(buf + 28, rx, now);
	buf[o] = 0x81;
	buf[o + 1] = RTCP_SDES;
	buf[o + 2] = 0;
	buf[o + 3] = 6; /* 28 bytes */
	be32_put(buf + o + 4, s->ssrc);
	buf[o + 8] = SDES_CNAME;
	buf[o + 9] = MIXER_RTCP_CNAME_LEN;
	memcpy(buf + o + 10, cname, MIXER_RTCP_CNAME_LEN);
	buf[o + 26] = 0;
	buf[o + 27] = 0;
	return o + 28;
}

size_t mixer_rtcp_write(uint8_t *buf, const struct mixer_rtcp_sender *s,
			struct mixer_rtcp_rx *rx, uint64_t now,
			const char *cname)
{
	return write_report(buf, s, rx, now, cname);
}

size_t mixer_rtcp_write_bye(uint8_t *buf, const struct mixer_rtcp_sender *s,
			    const char *cname)
{
	size_t o = write_report(buf, s, NULL, 0, cname);

	buf[o] = 0x81;
	buf[o + 1] = RTCP_BYE;
	buf[o + 2] = 0;
	buf[o + 3] = 1;
	be32_put(buf + o + 4, s->ssrc);
	return o + 8;
}
