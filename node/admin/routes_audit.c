/* routes_audit: GET /v1/audit?limit=N — the newest N audit records, newest
 * first. The table is keyed by Raft index and only walks forward, so the
 * walk starts a window before the applied index and widens the window until
 * it holds N records (or reaches the beginning). */
#include "node/admin/admin_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/be.h"

#define AUDIT_LIMIT_DEFAULT 100
#define AUDIT_LIMIT_MAX 1000

struct audit_ring {
	struct store_audit *recs; /* owned, cap entries */
	size_t cap, total;	  /* total seen in this walk */
};

static int audit_visit(void *arg, const void *key, size_t klen, const void *val,
		       size_t vlen)
{
	struct audit_ring *ring = arg;
	struct store_audit *slot = &ring->recs[ring->total % ring->cap];
	const uint8_t *k = key;

	if (klen != 12 || store_audit_decode(val, vlen, slot) != 0)
		return 0;
	slot->index = store_key_to_u64(k);
	slot->pos = be32_get(k + 8);
	ring->total++;
	return 0;
}

void admin_route_audit(struct admin_op *op)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(op->req);
	long limit = admin_query_limit(evhttp_uri_get_query(uri),
				       AUDIT_LIMIT_DEFAULT, AUDIT_LIMIT_MAX);
	uint64_t applied = store_applied_index(op->a->store), window;
	struct audit_ring ring = {0};
	struct store_read *r;
	json_t *list;
	size_t n;

	if (limit < 0) {
		admin_op_error(op, 400, "limit must be a number (1-%d)",
			       AUDIT_LIMIT_MAX);
		return;
	}
	ring.cap = (size_t)limit;
	ring.recs = calloc(ring.cap, sizeof *ring.recs);
	if (!ring.recs) {
		admin_op_error(op, 500, "out of memory");
		return;
	}
	if (admin_op_read_begin(op, &r) != 0) {
		free(ring.recs);
		return;
	}
	for (window = (uint64_t)limit;; window *= 4) {
		uint64_t start = applied >= window ? applied - window + 1 : 0;
		uint8_t key[12] = {0};

		store_key_u64(start, key);
		ring.total = 0;
		store_each(r, STORE_T_AUDIT, key, sizeof key, audit_visit,
			   &ring);
		if (ring.total >= ring.cap || start == 0)
			break;
	}
	store_read_end(r);
	list = json_array();
	n = ring.total < ring.cap ? ring.total : ring.cap;
	for (size_t i = 0; i < n; i++) {
		const struct store_audit *a =
		    &ring.recs[(ring.total - 1 - i) % ring.cap];

		json_array_append_new(
		    list, json_pack("{s:I, s:I, s:I, s:s, s:s, s:s}", "index",
				    (json_int_t)a->index, "time_ms",
				    (json_int_t)a->time_ms, "node",
				    (json_int_t)a->origin, "actor", a->actor,
				    "action", a->action, "detail", a->detail));
	}
	free(ring.recs);
	admin_op_reply(op, 200, json_pack("{s:o}", "audit", list));
}
