/* fuzz_sip_call_node: arbitrary bytes as the Ward-Caller value a member
 * sends on the node listener. Nothing may crash or read out of bounds; a
 * value accepted names a device of 1..63 name characters and a level,
 * and the assertion built from it parses back to the same. The same
 * bytes as a Replaces to-tag name a member only when they end in "-w"
 * and 1..18 digits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/sip/call_node.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_call_node_caller c, back;
	char *v = malloc(size + 1), hdrs[SIP_CALL_NODE_HDR_MAX];
	const char *w;

	if (!v)
		return 0;
	memcpy(v, data, size);
	v[size] = '\0';
	if (sip_call_node_parse_caller(v, &c) == 0) {
		size_t n = strlen(c.device);
		if (n == 0 || n >= sizeof c.device ||
		    c.level > SIP_LEVEL_ENCRYPTED)
			abort();
		if (sip_call_node_assert(hdrs, sizeof hdrs, "1001", "127.0.0.1",
					 c.device, c.level) != 0)
			abort();
		w = strstr(hdrs, "Ward-Caller: ");
		if (!w || sip_call_node_parse_caller(w + 13, &back) != 0 ||
		    strcmp(back.device, c.device) != 0 || back.level != c.level)
			abort();
	}
	{
		uint64_t id = sip_call_node_of_tag(v);
		const char *t = strstr(v, "-w");
		if (id && (!t || strspn(t + 2, "0123456789") == 0))
			abort();
	}
	free(v);
	return 0;
}
