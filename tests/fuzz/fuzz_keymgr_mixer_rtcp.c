/* fuzz_keymgr_mixer_rtcp: arbitrary bytes as the RTCP a conference party
 * sends ward (mixer_rtcp_read), then as a run of that party's RTP
 * headers for the receiver statistics. Nothing may crash or read out of
 * bounds; what the reader accepts is consistent with the bytes; ward's
 * own report, whatever the statistics hold, with or without BYE, fits
 * MIXER_RTCP_MAX and reads back as a valid SR from ward's SSRC. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/keymgr/mixer_rtcp.h"

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mixer_rtcp_sender snd = {0x5eed0001, 0, 0, 0, 0};
	struct mixer_rtcp_rx rx;
	struct mixer_rtcp_in in, back;
	uint8_t *out;
	size_t len;

	mixer_rtcp_rx_reset(&rx);
	if (mixer_rtcp_read(data, size, &in) == 0) {
		if (size < 8 || data[1] < 200 || data[1] > 201 ||
		    in.ssrc != get32(data + 4) ||
		    in.has_sr != (data[1] == 200) ||
		    (in.has_sr &&
		     (size < 28 || in.ntp_mid != get32(data + 10))))
			abort();
		mixer_rtcp_rx_rtcp(&rx, &in, 7);
	}
	/* the same bytes as RTP headers: SSRC choice, seq, ts, arrival,
	 * timed; ten bytes each */
	for (size_t o = 0; o + 10 <= size; o += 10) {
		const uint8_t *p = data + o;

		mixer_rtcp_rx_rtp(&rx, p[0] & 1 ? in.ssrc : 0x1234,
				  (uint16_t)(p[1] << 8 | p[2]), get32(p + 3),
				  (uint32_t)(p[7] << 8 | p[8]) * 160, p[9] & 1);
	}
	out = malloc(MIXER_RTCP_MAX); /* exactly: ASan sees an overrun */
	if (!out)
		return 0;
	len = size % 2 /* sometimes the last report, with BYE */
		  ? mixer_rtcp_write_bye(out, &snd, "0123456789abcdef")
		  : mixer_rtcp_write(out, &snd, &rx, size, "0123456789abcdef");
	if (len > MIXER_RTCP_MAX || mixer_rtcp_read(out, len, &back) != 0 ||
	    !back.has_sr || back.ssrc != snd.ssrc)
		abort();
	free(out);
	return 0;
}
