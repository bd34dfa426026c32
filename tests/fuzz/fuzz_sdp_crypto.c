/* fuzz_sdp_crypto: arbitrary bytes as a=crypto values (RFC 4568) — split
 * on newlines into one offer's lines. Nothing may crash; a value that
 * parses has the suite's exact key and salt lengths and writes back to a
 * value that parses to the same key; a refused value leaves nothing of a
 * key behind. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sdp/sdes.h"

static void check_one(const char *text)
{
	struct sdes_crypto c, d;
	char out[SDES_VALUE_MAX];

	if (sdes_parse(text, &c) != SDES_OK) {
		for (size_t i = 0; i < sizeof c.key; i++)
			if (c.key[i])
				abort();
		return;
	}
	if (c.key_len != sdes_suite_key_len(c.suite) ||
	    c.salt_len != sdes_suite_salt_len(c.suite) || c.key_len == 0)
		abort();
	if (sdes_format(&c, out, sizeof out) != SDES_OK ||
	    sdes_parse(out, &d) != SDES_OK ||
	    memcmp(c.key, d.key, c.key_len) != 0 ||
	    memcmp(c.salt, d.salt, c.salt_len) != 0 || c.tag != d.tag)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *lines[8];
	struct sdes_policy p;
	struct sdes_crypto c;
	size_t n = 0;
	char *text;

	if (size > 4096)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (char *s = text; n < 8;) {
		char *nl = strchr(s, '\n');

		lines[n++] = s;
		if (!nl)
			break;
		*nl = '\0';
		s = nl + 1;
	}
	for (size_t i = 0; i < n; i++)
		check_one(lines[i]);
	sdes_policy_default(&p);
	if (sdes_choose(&p, lines, n, &c) == SDES_OK &&
	    c.key_len != sdes_suite_key_len(c.suite))
		abort();
	free(text);
	return 0;
}
