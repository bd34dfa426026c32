/* fuzz_capf_write: feeds arbitrary bytes to the decoder of the enrolment
 * write a member relays to the leader (POST /v1/capf/relay), and checks
 * that what decodes encodes again to the same bytes and builds a command. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/capf.h"

static uint8_t out[STORE_CAPF_WRITE_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_capf_write w;
	struct store_cmd *c = NULL;
	size_t n;

	if (store_capf_write_decode(data, size, &w) != 0)
		return 0;
	if (store_capf_write_encode(&w, out, sizeof out, &n) != 0 ||
	    n != size || memcmp(out, data, n) != 0)
		abort();
	if (store_cmd_new(&c, 1, 1, "fuzz") != 0)
		return 0;
	if (store_cmd_capf_write(c, &w) != 0)
		abort();
	store_cmd_free(c);
	return 0;
}
