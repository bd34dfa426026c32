/* codec: the small text codecs of the admin API — base64 for Basic
 * credentials, base64url for tokens, hex for fingerprints — and the syntax of
 * names and addresses. Every input is hostile: lengths are checked before
 * every write. */
#include "node/admin/admin_auth.h"

#include "common/hex.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t admin_b64_encode(const uint8_t *in, size_t n, char *out, int url)
{
	const char *abc = url ? b64_url : b64_std;
	size_t o = 0, i = 0;

	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
			     in[i + 2];

		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = abc[v >> 6 & 63];
		out[o++] = abc[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		if (!url) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = abc[v >> 6 & 63];
		if (!url)
			out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

static int b64_value(char c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

long admin_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap,
		      int url)
{
	size_t o = 0, pad = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	if (!url) {
		/* Standard base64 comes in padded quads. */
		if (n % 4 != 0)
			return -1;
		while (pad < 2 && n > 0 && in[n - 1] == '=') {
			n--;
			pad++;
		}
	}
	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value(in[i], url);

		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Leftover bits must be zero: one text, one value. */
	if (acc != 0)
		return -1;
	if (!url && pad != (4 - n % 4) % 4)
		return -1;
	return (long)o;
}

/* The admin API's names for common/hex, kept for its callers. */
void admin_hex(const uint8_t *in, size_t n, char *out)
{
	hex_encode(in, n, out);
}

int admin_sha256_parse(const char *text, uint8_t out[32])
{
	return hex_sha256_parse(text, out);
}

int admin_name_valid(const char *name)
{
	size_t n = 0;

	for (; name[n]; n++) {
		unsigned char c = (unsigned char)name[n];

		if (n >= ADMIN_NAME_MAX)
			return 0;
		if (!isalnum(c) && c != '.' && c != '_' && c != '-')
			return 0;
	}
	return n > 0;
}
