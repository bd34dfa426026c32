/* fuzz_dialplan: the route pattern checker and matcher (store/dialplan.h)
 * on arbitrary bytes. Patterns come from the admin API and numbers from
 * SIP requests, so neither may read past its text; a pattern the checker
 * refuses matches nothing; a match is counted within what the pattern's
 * positions allow (1..10^31) and only for a number of the pattern's shape.
 *
 * Input: PATTERN, a NUL byte, NUMBER (each cut to 80 bytes). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/dialplan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char pattern[81], number[81], err[160];
	const uint8_t *nul = memchr(data, '\0', size);
	size_t pn = nul ? (size_t)(nul - data) : size,
	       nn = nul ? size - pn - 1 : 0;
	dialplan_count count, max = 1;
	int ok;

	if (pn > 80)
		pn = 80;
	memcpy(pattern, data, pn);
	pattern[pn] = '\0';
	if (nn > 0) {
		if (nn > 80)
			nn = 80;
		memcpy(number, nul + 1, nn);
	}
	number[nn] = '\0';
	ok = dialplan_pattern_check(pattern, err, sizeof err) == 0;
	if (!ok && err[0] == '\0')
		abort(); /* a refusal always says why */
	count = dialplan_pattern_match(pattern, number);
	if (!ok && count != 0)
		abort();
	for (int i = 0; i < STORE_DIALPLAN_POSITIONS_MAX; i++)
		max *= 10;
	if (count > max)
		abort();
	/* A number that matches is a directory number. */
	if (count && !store_dn_valid(number))
		abort();
	/* The pattern matches itself when it is only literals. */
	if (ok && strspn(pattern, "0123456789*#+") == strlen(pattern) &&
	    dialplan_pattern_match(pattern, pattern) != 1)
		abort();
	return 0;
}
