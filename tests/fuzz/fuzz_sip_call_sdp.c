/* fuzz_sip_call_sdp: arbitrary bytes as the SDP body the B2BUA passes
 * from one phone to the other without a media table. Nothing may crash or
 * read out of bounds; what comes out is terminated, never longer than
 * what came in, and toward a leg that may not hold keys carries no
 * a=crypto line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "node/sip/call.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char out[70000];
	size_t cap = size < sizeof out ? size + 1 : sizeof out;
	int had, n;

	for (int enc = 0; enc <= 1; enc++) {
		n = sip_call_sdp_filter((const char *)data, size, enc, out, cap,
					&had);
		if (n < 0)
			continue;
		if ((size_t)n >= cap || out[n] != '\0' || (size_t)n > size)
			abort();
		if (!enc && (strncasecmp(out, "a=crypto:", 9) == 0 ||
			     strcasestr(out, "\na=crypto:")))
			abort();
	}
	return 0;
}
