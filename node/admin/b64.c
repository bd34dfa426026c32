/* b64: base64 for the byte fields of the admin API — certificates and
 * signed files travel inside JSON as base64, and people paste them with
 * line breaks. The strict codec is in codec.c; this adds whitespace
 * tolerance and sizes too large for a stack buffer. */
#include "node/admin/admin_req.h"

#include <stdlib.h>
#include <string.h>

long admin_b64_decode_loose(const char *in, size_t n, uint8_t *out, size_t cap)
{
	char *packed;
	size_t m = 0;
	long got;

	/* Worst case: nothing to drop. */
	packed = malloc(n + 1);
	if (!packed)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		packed[m++] = c;
	}
	got = m ? admin_b64_decode(packed, m, out, cap, 0) : -1;
	free(packed);
	return got;
}

char *admin_b64_encode_alloc(const uint8_t *in, size_t n)
{
	size_t need;
	char *out;

	if (n > (SIZE_MAX - 1) / 4 * 3 - 3)
		return NULL;
	need = (n + 2) / 3 * 4 + 1;
	out = malloc(need);
	if (!out)
		return NULL;
	admin_b64_encode(in, n, out, 0);
	return out;
}
