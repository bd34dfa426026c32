/* fuzz_keymgr_mixer_rtp: arbitrary bytes as an unprotected RTP packet
 * the conference mixer takes from a party (mixer_rtp_payload). Nothing
 * may crash or read out of bounds; an accepted packet's payload lies
 * inside it. */
#include <stdint.h>
#include <stdlib.h>

#include "node/keymgr/mixer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off, plen;
	unsigned pt;
	volatile uint8_t sink = 0;

	if (mixer_rtp_payload(data, size, &off, &plen, &pt) != 0)
		return 0;
	if (off < 12 || off > size || plen > size - off || pt > 127)
		abort();
	for (size_t i = 0; i < plen; i++)
		sink ^= data[off + i];
	(void)sink;
	return 0;
}
