/* fuzz_store_records: every record decoder and the parameter checker on
 * arbitrary bytes. Snapshots from the network carry these records, so each
 * decoder must reject what it cannot read without reading past the input,
 * and accept only canonical encodings: encode(decode(x)) == x. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

#define ROUND_TRIP(T, dec, enc)                                                \
	do {                                                                   \
		T rec;                                                         \
		size_t n;                                                      \
		if (dec(data, size, &rec) == STORE_OK) {                       \
			if (enc(&rec, out, sizeof out, &n) != STORE_OK ||      \
			    n != size || memcmp(out, data, n) != 0)            \
				abort();                                       \
		}                                                              \
	} while (0)

static void fuzz_params(const uint8_t *data, size_t size)
{
	char text[STORE_TEXT_MAX + 1], out[STORE_TEXT_MAX],
	    again[STORE_TEXT_MAX];
	char err[128];
	const struct store_param_def *defs;
	size_t n_defs;

	if (size > STORE_TEXT_MAX)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	defs = store_param_defs(&n_defs);
	for (size_t i = 0; i < n_defs; i++) {
		if (store_param_check(&defs[i], text, out, sizeof out, err,
				      sizeof err) != STORE_OK)
			continue;
		/* The canonical form is a fixed point. */
		if (store_param_check(&defs[i], out, again, sizeof again, err,
				      sizeof err) != STORE_OK ||
		    strcmp(out, again) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[STORE_RECORD_MAX];

	ROUND_TRIP(struct store_cluster, store_cluster_decode,
		   store_cluster_encode);
	ROUND_TRIP(struct store_node, store_node_decode, store_node_encode);
	ROUND_TRIP(struct store_admin, store_admin_decode, store_admin_encode);
	ROUND_TRIP(struct store_audit, store_audit_decode, store_audit_encode);
	ROUND_TRIP(struct store_join_token, store_join_token_decode,
		   store_join_token_encode);
	fuzz_params(data, size);
	return 0;
}
