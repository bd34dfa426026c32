/* fuzz_keymgr_sdpmap: a call's offer and answer from the wire through
 * ward's SDP rewrite. Input: one byte choosing the legs (mode and
 * transport of A and B, "encrypted or reject", bridging, music on hold),
 * then A's offer and B's answer separated by a NUL. Nothing may crash;
 * what ward writes must parse, hold a=crypto only toward a leg the leg
 * rule lets see keys, and a freed call must leave no key and no port
 * behind. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/keymgr/sdpmap.h"

static const struct keymgr_leg kinds[4] = {
    {KEYMGR_MODE_ENCRYPTED, KEYMGR_TRANSPORT_TLS, 0, 0},
    {KEYMGR_MODE_AUTHENTICATED, KEYMGR_TRANSPORT_TLS, 0, 0},
    {KEYMGR_MODE_NONSECURE, KEYMGR_TRANSPORT_UDP, 0, 0},
    {KEYMGR_MODE_ENCRYPTED, KEYMGR_TRANSPORT_TLS, 1, 0},
};

static char out[2 * SDP_MAX_LEN];
static struct sdp_session parsed;

static void check_out(size_t len, const struct keymgr_leg *to)
{
	if (sdp_parse(out, len, &parsed, NULL, 0) != SDP_OK)
		abort();
	for (size_t i = 0; i < parsed.nmedia; i++)
		if (parsed.media[i].ncrypto && !keymgr_leg_may_receive_keys(to))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct keymgr *km;
	static struct portpool *pool;
	static struct sdpmap_config cfg;
	struct keymgr_leg legs[2];
	struct sdpmap_call *call = NULL;
	enum keymgr_level level;
	const char *offer, *ans;
	const uint8_t *sep;
	size_t len, olen, alen;

	if (!km) {
		km = keymgr_new(1024, NULL, 0);
		pool = portpool_new(20000, 20999);
		if (!km || !pool || sdpmap_config_init(&cfg, "192.0.2.1"))
			abort();
	}
	if (size < 1)
		return 0;
	legs[0] = kinds[data[0] & 3];
	legs[1] = kinds[(data[0] >> 2) & 3];
	cfg.allow_bridge = (data[0] >> 5) & 1;
	cfg.music = (data[0] >> 6) & 1;
	offer = (const char *)data + 1;
	sep = memchr(data + 1, '\0', size - 1);
	olen = sep ? (size_t)(sep - (data + 1)) : size - 1;
	ans = sep ? (const char *)sep + 1 : "";
	alen = sep ? size - 1 - olen - 1 : 0;
	if (sdpmap_offer(&cfg, km, pool, legs, (data[0] >> 4) & 1, offer, olen,
			 out, sizeof out, &len, &call, NULL, 0) == 0) {
		check_out(len, &legs[1]);
		if (sdpmap_answer(call, ans, alen, out, sizeof out, &len,
				  &level, NULL, 0) == 0) {
			check_out(len, &legs[0]);
			/* a final answer after an early one: the offer's
			 * bytes as that answer, then the answer's again */
			(void)sdpmap_answer_repeat(call, offer, olen, NULL, 0);
			(void)sdpmap_answer_repeat(call, ans, alen, NULL, 0);
		}
		if (sdpmap_reoffer(call, KEYMGR_SIDE_B, ans, alen, out,
				   sizeof out, &len, NULL, 0) == 0) {
			check_out(len, &legs[0]);
			if (sdpmap_answer(call, offer, olen, out, sizeof out,
					  &len, &level, NULL, 0) == 0)
				check_out(len, &legs[1]);
		}
	}
	sdpmap_call_free(call);
	if (keymgr_keys_in_use(km) != 0 || portpool_used(pool) != 0)
		abort();
	return 0;
}
