/* fuzz_sip_call_join: arbitrary bytes as a SIP message through sofia's
 * parser, then the Join header's reading. Nothing may crash or read out
 * of bounds; a Join accepted has a Call-ID and both tags. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip_parser.h>

#include "node/sip/call_join.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	msg_t *msg = msg_make(sip_default_mclass(), 0, data, (isize_t)size);
	sip_replaces_t *rp;
	sip_t *sip;

	if (!msg)
		return 0;
	sip = sip_object(msg);
	if (sip_call_join_get(msg_home(msg), sip, &rp) == 1 &&
	    (!rp || !rp->rp_call_id[0] || !rp->rp_to_tag || !rp->rp_from_tag))
		abort();
	msg_destroy(msg);
	return 0;
}
