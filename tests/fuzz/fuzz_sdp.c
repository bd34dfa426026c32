/* fuzz_sdp: arbitrary bytes as an SDP body — what a phone or a trunk puts
 * in an INVITE. Nothing may crash or read out of bounds; a description
 * that parses must keep the parser's promises (counts within bounds,
 * strings terminated, every live stream with a connection address) and
 * what sdp_write makes of it must parse back to the same media. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sdp/sdp.h"

static char buf[2 * SDP_MAX_LEN];

static void check_terminated(const char *s, size_t cap)
{
	if (!memchr(s, '\0', cap))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sdp_session a, b;
	size_t len;

	if (sdp_parse((const char *)data, size, &a, NULL, 0) != SDP_OK)
		return 0;
	if (a.nmedia > SDP_MAX_MEDIA)
		abort();
	check_terminated(a.name, sizeof a.name);
	for (size_t i = 0; i < a.nmedia; i++) {
		const struct sdp_media *m = &a.media[i];

		if (m->nfmt > SDP_MAX_FMT || m->nrtpmap > SDP_MAX_RTPMAP ||
		    m->ncrypto > SDP_MAX_CRYPTO || m->port > 65535)
			abort();
		if (m->port && !sdp_media_conn(&a, i))
			abort();
		for (size_t k = 0; k < m->ncrypto; k++)
			check_terminated(m->crypto[k], SDP_CRYPTO_MAX);
	}
	if (sdp_write(&a, buf, sizeof buf, &len) != SDP_OK)
		return 0; /* e.g. a non-RTP stream with no formats kept */
	if (sdp_parse(buf, len, &b, NULL, 0) != SDP_OK)
		abort();
	if (b.nmedia != a.nmedia)
		abort();
	for (size_t i = 0; i < a.nmedia; i++) {
		if (a.media[i].port != b.media[i].port ||
		    a.media[i].dir != b.media[i].dir ||
		    a.media[i].nfmt != b.media[i].nfmt ||
		    a.media[i].ncrypto != b.media[i].ncrypto ||
		    a.media[i].rtcp_mux != b.media[i].rtcp_mux)
			abort();
	}
	return 0;
}
