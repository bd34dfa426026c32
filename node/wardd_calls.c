/* wardd_calls: the admin API's view of the calls the signaling role
 * carries (GET /v1/calls), as JSON. */
#include <stdlib.h>

#include <jansson.h>

#include "node/sip/sip.h"
#include "node/wardd.h"

int wardd_calls_json(void *arg, char **out)
{
	struct wardd *w = arg;
	struct sip_call_info *calls;
	json_t *doc, *list;
	size_t n = 0;

	*out = NULL;
	calls = calloc(SIP_CALLS_LISTED, sizeof *calls);
	list = json_array();
	doc = json_pack("{s:o}", "calls", list);
	if (!calls || !list || !doc) {
		free(calls);
		json_decref(doc);
		return -1;
	}
	/* The role lives on this (the admin's) thread's timer: it cannot
	 * go away during the call. */
	if (w->sip)
		n = sip_role_calls(w->sip, calls, SIP_CALLS_LISTED);
	for (size_t i = 0; i < n && i < SIP_CALLS_LISTED; i++) {
		const struct sip_call_info *c = &calls[i];
		json_array_append_new(
		    list, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I}",
				    "call_id", c->call_id, "caller", c->caller,
				    "callee", c->callee, "number", c->number,
				    "state", c->state ? c->state : "-",
				    "security_level", sip_level_name(c->level),
				    "started_ms", (json_int_t)c->started_ms,
				    "answered_ms", (json_int_t)c->answered_ms));
	}
	free(calls);
	*out = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	return *out ? 0 : -1;
}
