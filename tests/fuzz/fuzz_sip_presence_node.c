/* fuzz_sip_presence_node: arbitrary bytes as the body of a member's
 * PUBLISH on the node listener (presence_node.h), under either event
 * (the first byte picks it). Nothing may crash or read out of bounds; a
 * body accepted holds only values of the format, and the body built
 * again from it parses back to the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/sip/presence_node.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_pnode_msg m, back;
	struct sip_dialog_event ev;
	char body[SIP_PNODE_BODY_MAX];
	const char *event;
	int n;

	if (size < 1)
		return 0;
	event = data[0] & 1 ? SIP_PNODE_EVENT_DIALOG : SIP_PNODE_EVENT_WATCH;
	if (sip_pnode_parse(event, (const char *)data + 1, size - 1, &m) != 0)
		return 0;
	if (!m.device[0] || strlen(m.device) >= sizeof m.device)
		abort();
	if (!m.dialog) {
		n = sip_pnode_watch_body(m.device, body, sizeof body);
	} else {
		sip_pnode_event(&m, &ev);
		n = sip_pnode_dialog_body(&ev, body, sizeof body);
	}
	if (n <= 0 || sip_pnode_parse(event, body, (size_t)n, &back) != 0 ||
	    strcmp(back.device, m.device) != 0 ||
	    strcmp(back.call_id, m.call_id) != 0 || back.state != m.state)
		abort();
	return 0;
}
