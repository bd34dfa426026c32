/* routes_dialplan: GET /v1/dial-plan/route?caller=DEVICE&number=N — what
 * the dial plan does with a call from DEVICE to N, as the signaling role
 * would decide it (store_dialplan_route over the local store): the
 * operator's check of partitions, calling search spaces and patterns
 * before a phone tries. Reads only. */
#include "node/admin/admin_int.h"

#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "store/dialplan.h"
#include "store/prov.h"

/* The query value KEY, percent-decoded ('+' kept: a number may start with
 * it), into OUT (CAP bytes). 0, or -1 if absent, too long or holding a
 * NUL. */
static int query_text(const char *query, const char *key, char *out, size_t cap)
{
	char raw[3 * STORE_NAME_MAX + 1];
	size_t n = 0;
	char *dec;
	int rc = -1;

	if (!admin_query_value(query, key, raw, sizeof raw) ||
	    strlen(raw) >= sizeof raw - 1)
		return -1;
	dec = evhttp_uridecode(raw, 0, &n);
	if (dec && n < cap && strlen(dec) == n) {
		memcpy(out, dec, n + 1);
		rc = 0;
	}
	free(dec);
	return rc;
}

static const char *const verdicts[] = {"none", "line", "route", "block"};

void admin_route_dialplan_route(struct admin_op *op)
{
	const char *query =
	    evhttp_uri_get_query(evhttp_request_get_evhttp_uri(op->req));
	char caller[STORE_NAME_MAX], number[STORE_NAME_MAX];
	struct store_dialplan_answer a;
	struct store_read *r;
	json_t *o, *devs;
	int rc;

	if (!query || query_text(query, "caller", caller, sizeof caller) ||
	    !store_prov_name_valid(caller) ||
	    query_text(query, "number", number, sizeof number)) {
		admin_op_error(op, 400,
			       "caller (a device name) and number are "
			       "required");
		return;
	}
	if (admin_op_read_begin(op, &r) != 0)
		return;
	rc = store_dialplan_route(r, caller, number, &a);
	store_read_end(r);
	if (rc == STORE_ENOTFOUND) {
		admin_op_error(op, 404, "no device \"%s\"", caller);
		return;
	}
	if (rc) {
		admin_op_fail(op, rc, "reading the dial plan");
		return;
	}
	devs = json_array();
	for (unsigned i = 0; devs && i < a.ndevices; i++)
		json_array_append_new(devs, json_string(a.devices[i]));
	if (devs && a.res.verdict == DIALPLAN_ROUTE)
		json_array_append_new(devs, json_string(a.res.target));
	/* The SIP answer the role gives: a reachable line or route goes
	 * on; a block is 403; nothing reachable is 404, whether the
	 * number exists elsewhere or not. */
	o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:i}", "caller",
		      caller, "number", number, "verdict",
		      verdicts[a.res.verdict], "partition", a.res.partition,
		      "devices", devs ? devs : json_array(), "pattern",
		      a.res.pattern, "route_pattern", a.res.name, "sip_status",
		      a.res.verdict == DIALPLAN_BLOCK  ? 403
		      : a.res.verdict == DIALPLAN_NONE ? 404
						       : 0);
	admin_op_reply(op, 200, o);
}
