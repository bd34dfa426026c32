/* routes_prov: list, show, add, change and delete for every provisioning
 * resource (prov_req.h): /v1/profiles, /v1/trunk-profiles, /v1/devices,
 * /v1/users, /v1/app-users, /v1/realms, /v1/node-groups, /v1/srst, the
 * dial plan's /v1/partitions, /v1/css, /v1/route-patterns, and
 * /v1/presence-groups.
 *
 * One set of handlers serves them all; the resource comes from the route's
 * pattern. What differs — references to check, secrets to wrap, users of a
 * record that forbid its deletion — is in prov_check.c. Every write is one
 * command: the record (guarded on the value read when it changes), the
 * device indexes, and the audit record.
 */
#include "node/admin/admin_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "node/admin/prov_int.h"

static const struct {
	const char *prefix; /* the collection's path */
	enum prov_kind_id id;
} collections[] = {
    {"/v1/profiles", PROV_PHONE_PROFILE},
    {"/v1/trunk-profiles", PROV_TRUNK_PROFILE},
    {"/v1/devices", PROV_DEVICE},
    {"/v1/users", PROV_USER},
    {"/v1/app-users", PROV_APP_USER},
    {"/v1/realms", PROV_REALM},
    {"/v1/node-groups", PROV_NODE_GROUP},
    {"/v1/srst", PROV_SRST},
    {"/v1/partitions", PROV_PARTITION},
    {"/v1/css", PROV_CSS},
    {"/v1/route-patterns", PROV_ROUTE_PATTERN},
    {"/v1/presence-groups", PROV_PRESENCE_GROUP},
};

const struct prov_kind *prov_route_kind(const struct admin_op *op)
{
	const char *p = op->route->pattern;

	for (size_t i = 0; i < sizeof collections / sizeof *collections; i++) {
		size_t n = strlen(collections[i].prefix);

		if (strncmp(p, collections[i].prefix, n) == 0 &&
		    (p[n] == '\0' || p[n] == '/'))
			return prov_kind_get(collections[i].id);
	}
	return NULL;
}

static void prov_ctx_free(void *ctx)
{
	struct prov_ctx *c = ctx;

	if (!c)
		return;
	json_decref(c->warn);
	OPENSSL_cleanse(c, sizeof *c);
	free(c);
}

static struct prov_ctx *prov_ctx_new(struct admin_op *op)
{
	struct prov_ctx *c = calloc(1, sizeof *c);

	if (!c || !(c->warn = json_array())) {
		free(c);
		admin_op_error(op, 500, "out of memory");
		return NULL;
	}
	c->k = prov_route_kind(op);
	op->ctx = c;
	op->ctx_free = prov_ctx_free;
	return c;
}

/* ---- reads ------------------------------------------------------------ */

/* A page of a list: at most LIMIT records after the name AFTER. */
#define PROV_LIST_DEFAULT 1000
#define PROV_LIST_MAX 5000

struct list_ctx {
	const struct prov_kind *k;
	struct store_read *r;
	json_t *list;
	const char *after; /* skip keys up to and including it */
	size_t after_len;
	long left;		   /* records still wanted */
	int more;		   /* stopped with records left */
	char next[STORE_NAME_MAX]; /* the last one listed, when more remain */
};

static int list_one(void *arg, const void *key, size_t klen, const void *val,
		    size_t vlen)
{
	struct list_ctx *l = arg;
	union prov_rec rec;

	/* store_each starts at the first key >= AFTER: skip AFTER itself. */
	if (l->after_len && klen == l->after_len &&
	    memcmp(key, l->after, klen) == 0)
		return 0;
	if (prov_rec_decode(l->k, val, vlen, &rec) != 0)
		return 0;
	if (l->left == 0) {
		/* One more exists: the page ends at the previous one. */
		l->more = 1;
		return 1;
	}
	json_array_append_new(l->list,
			      prov_render(l->k, &rec, prov_node_name, l->r));
	snprintf(l->next, sizeof l->next, "%s", prov_rec_name(l->k, &rec));
	l->left--;
	OPENSSL_cleanse(&rec, sizeof rec);
	return 0;
}

void admin_route_prov_list(struct admin_op *op)
{
	const char *query =
	    evhttp_uri_get_query(evhttp_request_get_evhttp_uri(op->req));
	struct list_ctx l = {.k = prov_route_kind(op), .list = json_array()};
	char after[STORE_NAME_MAX] = "";
	json_t *ans;
	l.left = admin_query_limit(query, PROV_LIST_DEFAULT, PROV_LIST_MAX);
	if (l.left < 0) {
		json_decref(l.list);
		admin_op_error(op, 400, "limit must be a number (1-%d)",
			       PROV_LIST_MAX);
		return;
	}
	if (admin_query_value(query, "after", after, sizeof after) &&
	    !store_prov_name_valid(after)) {
		json_decref(l.list);
		admin_op_error(op, 400, "after must be a name");
		return;
	}
	l.after = after;
	l.after_len = strlen(after);
	if (!l.list || admin_op_read_begin(op, &l.r) != 0) {
		json_decref(l.list);
		return;
	}
	store_each(l.r, l.k->table, l.after_len ? after : NULL, l.after_len,
		   list_one, &l);
	store_read_end(l.r);
	ans = json_pack("{s:o}", l.k->plural, l.list);
	/* Where the next page starts: ?after=NEXT. */
	if (ans && l.more)
		json_object_set_new(ans, "next", json_string(l.next));
	admin_op_reply(op, 200, ans);
}

/* The trunk keepalive's view from this node (in memory, not replicated):
 * "reachability", with the node's name. */
static void prov_trunk_reachability(struct admin *a, const char *trunk,
				    json_t *o)
{
	char *text = NULL;
	json_t *j;

	if (a->hooks.sip_trunk_status(a->hooks.arg, trunk, &text) != 0)
		return;
	j = json_loads(text, 0, NULL);
	free(text);
	if (!json_is_object(j)) {
		json_decref(j);
		return;
	}
	json_object_set_new(j, "node", json_string(a->node_name));
	json_object_set_new(o, "reachability", j);
}

void admin_route_prov_get(struct admin_op *op)
{
	const struct prov_kind *k = prov_route_kind(op);
	struct store_read *r;
	union prov_rec rec;
	json_t *o;
	int rc;

	if (admin_op_read_begin(op, &r) != 0)
		return;
	rc = prov_rec_read(k, r, op->args[0], &rec, NULL, NULL);
	o = rc == 0 ? prov_render(k, &rec, prov_node_name, r) : NULL;
	if (o && k->id == PROV_DEVICE)
		prov_device_status(r, &rec.device, o);
	store_read_end(r);
	if (o && rc == 0 && k->id == PROV_DEVICE &&
	    rec.device.kind == STORE_DEVICE_TRUNK &&
	    op->a->hooks.sip_trunk_status)
		prov_trunk_reachability(op->a, rec.device.name, o);
	OPENSSL_cleanse(&rec, sizeof rec);
	if (rc == STORE_ENOTFOUND || rc == STORE_EINVAL) {
		admin_op_error(op, 404, "no %s \"%s\"", k->what, op->args[0]);
		return;
	}
	if (rc || !o) {
		json_decref(o);
		admin_op_fail(op, rc ? rc : STORE_ENOMEM, "reading");
		return;
	}
	admin_op_reply(op, 200, o);
}

/* ---- writes ----------------------------------------------------------- */

static void prov_written(struct admin_op *op, int rc)
{
	struct prov_ctx *c = op->ctx;
	const char *name = prov_rec_name(c->k, &c->rec);
	struct store_read *r;
	json_t *o;

	if (rc == STORE_EEXIST) {
		admin_op_error(op, 409, "%s \"%s\" exists", c->k->what, name);
		return;
	}
	if (rc == STORE_ENOTFOUND && c->verb == PROV_DEL) {
		admin_op_error(op, 404, "no %s \"%s\"", c->k->what, name);
		return;
	}
	if (rc == STORE_ENOTFOUND) {
		admin_op_error(op, 409, "%s \"%s\" changed meanwhile: retry",
			       c->k->what, name);
		return;
	}
	if (rc) {
		admin_op_fail(op, rc, "writing");
		return;
	}
	if (c->verb == PROV_DEL) {
		log_info(ADMIN_TAG, "%s %s removed by %s", c->k->what, name,
			 op->actor);
		admin_op_reply(op, 200, json_pack("{s:s}", "removed", name));
		return;
	}
	r = NULL;
	if (store_read_begin(op->a->store, &r) != 0)
		r = NULL;
	o = prov_render(c->k, &c->rec, r ? prov_node_name : NULL, r);
	store_read_end(r);
	if (!o) {
		admin_op_error(op, 500, "out of memory");
		return;
	}
	if (json_array_size(c->warn) > 0)
		json_object_set(o, "warnings", c->warn);
	admin_op_reply(op, c->verb == PROV_ADD ? 201 : 200, o);
}

/* Builds and proposes the command of C's verb. */
static void prov_propose(struct admin_op *op, struct prov_ctx *c)
{
	const char *name = prov_rec_name(c->k, &c->rec);
	static const char *const verbs[] = {"add", "set", "delete"};
	char action[STORE_NAME_MAX], detail[STORE_TEXT_MAX];
	char what[STORE_NAME_MAX + 64];
	struct store_cmd *cmd;
	int rc;

	snprintf(action, sizeof action, "%s.%s", c->k->what, verbs[c->verb]);
	prov_audit_detail(c, detail, sizeof detail);
	cmd = admin_op_cmd(op);
	if (!cmd)
		return;
	rc = prov_cmd_build(c, cmd);
	if (rc == 0)
		rc = store_cmd_audit(cmd, action, detail);
	snprintf(what, sizeof what, "the change of %s %s", c->k->what, name);
	admin_op_propose_built(op, cmd, rc, what, prov_written);
}

static void prov_write(struct admin_op *op, enum prov_verb verb)
{
	struct prov_ctx *c = prov_ctx_new(op);
	struct store_read *r;
	char errmsg[512] = "";
	int status;

	if (!c)
		return;
	c->verb = verb;
	if (verb == PROV_ADD) {
		prov_rec_init(c->k, &c->rec, NULL);
	}
	if (admin_op_read_begin(op, &r) != 0)
		return;
	if (verb != PROV_ADD) {
		int rc = prov_rec_read(c->k, r, op->args[0], &c->old,
				       c->old_raw, &c->old_len);

		if (rc) {
			store_read_end(r);
			if (rc == STORE_ENOTFOUND || rc == STORE_EINVAL)
				admin_op_error(op, 404, "no %s \"%s\"",
					       c->k->what, op->args[0]);
			else
				admin_op_fail(op, rc, "reading");
			return;
		}
		c->rec = c->old;
	}
	if (verb == PROV_DEL) {
		status = prov_in_use(c, r, errmsg, sizeof errmsg);
	} else {
		status =
		    prov_req_apply(c->k, op->body, op->body_len, &c->rec, &c->x,
				   verb == PROV_ADD, errmsg, sizeof errmsg);
		if (status == 0)
			status = prov_rec_check(c->k, &c->rec, &c->x, errmsg,
						sizeof errmsg);
		if (status == 0)
			status =
			    prov_validate(op->a, c, r, errmsg, sizeof errmsg);
	}
	store_read_end(r);
	OPENSSL_cleanse(c->x.password, sizeof c->x.password);
	if (status) {
		admin_op_error(op, status, "%s", errmsg);
		return;
	}
	prov_propose(op, c);
}

void admin_route_prov_add(struct admin_op *op)
{
	prov_write(op, PROV_ADD);
}

void admin_route_prov_set(struct admin_op *op)
{
	prov_write(op, PROV_SET);
}

void admin_route_prov_delete(struct admin_op *op)
{
	prov_write(op, PROV_DEL);
}
