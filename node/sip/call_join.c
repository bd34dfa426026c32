/* call_join: see call_join.h. */
#include "node/sip/call_join.h"

#include <string.h>
#include <strings.h>

#include <sofia-sip/sip_header.h>

int sip_call_join_get(su_home_t *home, const sip_t *sip, sip_replaces_t **out)
{
	const char *val = NULL;
	sip_replaces_t *rp;

	*out = NULL;
	for (const sip_unknown_t *u = sip ? sip->sip_unknown : NULL; u;
	     u = u->un_next) {
		if (!u->un_name || strcasecmp(u->un_name, "Join") != 0)
			continue;
		if (val || !u->un_value)
			return -1; /* one dialog, or none */
		val = u->un_value;
	}
	if (!val)
		return 0;
	if (strnlen(val, SIP_CALL_JOIN_MAX + 1) > SIP_CALL_JOIN_MAX)
		return -1;
	rp = sip_replaces_make(home, val);
	if (!rp || !rp->rp_call_id || !rp->rp_call_id[0] || !rp->rp_to_tag ||
	    !rp->rp_to_tag[0] || !rp->rp_from_tag || !rp->rp_from_tag[0])
		return -1;
	*out = rp;
	return 1;
}
