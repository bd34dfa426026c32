/* hex: one encoder and one parser, so that a fingerprint printed by one
 * process is always one another process accepts. */
#include "common/hex.h"

#include <openssl/crypto.h>
#include <string.h>
#include <strings.h>

static const char hex_digits[] = "0123456789abcdef";

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void hex_encode(const uint8_t *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex_digits[in[i] >> 4];
		out[2 * i + 1] = hex_digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int hex_decode(const char *text, uint8_t *out, size_t n)
{
	if (strlen(text) != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = hex_value(text[2 * i]),
		    lo = hex_value(text[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void hex_sha256_text(const uint8_t fp[32], char out[HEX_SHA256_TEXT_LEN])
{
	memcpy(out, "sha256:", 7);
	hex_encode(fp, 32, out + 7);
}

int hex_sha256_parse(const char *text, uint8_t out[32])
{
	const char *p = text;
	size_t n = 0;

	if (!text)
		return -1;
	if (strncasecmp(p, "sha256:", 7) == 0)
		p += 7;
	while (*p) {
		int hi, lo;

		if (n == 32)
			return -1; /* too long, or a trailing colon */
		/* One colon between pairs, never before the first. */
		if (n > 0 && *p == ':')
			p++;
		hi = hex_value(p[0]);
		lo = hi < 0 ? -1 : hex_value(p[1]);
		if (lo < 0)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | lo);
		p += 2;
	}
	return n == 32 ? 0 : -1;
}

int hex_sha256_equal(const uint8_t a[32], const uint8_t b[32])
{
	return CRYPTO_memcmp(a, b, 32) == 0;
}
