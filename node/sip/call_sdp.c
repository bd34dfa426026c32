/* call_sdp: the leg rule on SDP passed through without a media table —
 * keys (a=crypto) reach only an encrypted-mode leg over TLS. Line by line
 * over text from outside: any content, bounded by CAP. */
#include "node/sip/call.h"

#include <string.h>
#include <strings.h>

static int put(char *out, size_t cap, size_t *o, const char *s, size_t n)
{
	if (*o + n >= cap)
		return -1;
	memcpy(out + *o, s, n);
	*o += n;
	return 0;
}

int sip_call_sdp_filter(const char *sdp, size_t len, int to_encrypted,
			char *out, size_t cap, int *had_crypto)
{
	size_t o = 0, i = 0;

	*had_crypto = 0;
	if (!cap || memchr(sdp, '\0', len))
		return -1;
	while (i < len) {
		const char *line = sdp + i, *nl = memchr(line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) + 1 : len - i;
		static const char savp[] = "RTP/SAVP";
		const char *p;

		i += n;
		if (n >= 9 && strncasecmp(line, "a=crypto:", 9) == 0) {
			*had_crypto = 1;
			if (!to_encrypted)
				continue;
		}
		/* m=audio PORT RTP/SAVP ...: the profile without the S. */
		if (!to_encrypted && n > 2 && strncmp(line, "m=", 2) == 0 &&
		    (p = memmem(line, n, savp, sizeof savp - 1)) != NULL) {
			size_t pre = (size_t)(p - line) + 4; /* "RTP/" */
			if (put(out, cap, &o, line, pre) != 0 ||
			    put(out, cap, &o, p + 5, n - pre - 1) != 0)
				return -1;
			continue;
		}
		if (put(out, cap, &o, line, n) != 0)
			return -1;
	}
	out[o] = '\0';
	return (int)o;
}
