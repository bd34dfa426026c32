/* routes_capf: scheduling certificate enrolment (store/capf.h).
 *
 *   GET    /v1/capf[?batch=ID]  every operation (or one batch's) with its
 *                               state as of now, and counts per state
 *   GET    /v1/capf/DEVICE      one device's operation
 *   PUT    /v1/capf/DEVICE      schedule (replaces any earlier one)
 *   POST   /v1/capf/batch       schedule for a profile's devices or a list
 *   DELETE /v1/capf/DEVICE      cancel
 *
 * A schedule body: {"operation": "install"|"upgrade"|"delete"|
 * "troubleshoot", "auth": "auth-string"|"null-string"|"existing-lsc"|
 * "existing-mic", "auth_string": "1234" (else one is generated),
 * "string_length": 4..16, "key": "rsa-2048"|"ec-p256"|..., "deadline_s":
 * seconds from now, "tries": 1..100}; auth and key default to the device's
 * profile. A batch's "devices" are names, or {"device": NAME,
 * "auth_string": "1234"} with the device's own string (then in the string
 * mode; a string is never echoed in an error). In the string mode the
 * answer shows each string once; the store keeps a scrypt hash of it,
 * computed on the admin worker thread. Every
 * schedule and cancel is audited (capf.schedule, capf.cancel), one record
 * per device.
 */
#include "node/admin/admin_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/log.h"
#include "store/capf.h"
#include "store/prov.h"

#define CAPF_DEADLINE_DEFAULT_S (7u * 24 * 3600)
#define CAPF_DEADLINE_MAX_S (365u * 24 * 3600)
#define CAPF_STRING_DEFAULT_LEN 8
#define CAPF_BATCH_MAX 500 /* devices per batch call (one command) */

struct capf_sched {
	size_t n;
	struct store_capf_op *ops;		    /* owned, n */
	char (*strings)[STORE_CAPF_STRING_MAX + 1]; /* owned, secret */
	char given[STORE_CAPF_STRING_MAX + 1];	    /* secret */
	uint8_t *own; /* owned, n: 1 if strings[i] was given for device i */
	size_t gen_len;
	int single; /* PUT of one device (else a batch) */
};

static void sched_free(void *p)
{
	struct capf_sched *s = p;

	if (!s)
		return;
	if (s->strings) {
		OPENSSL_cleanse(s->strings, s->n * sizeof *s->strings);
		free(s->strings);
	}
	free(s->ops);
	free(s->own);
	OPENSSL_cleanse(s, sizeof *s);
	free(s);
}

static json_t *capf_render(const struct store_capf_op *r, uint64_t now)
{
	enum store_capf_state st = store_capf_op_state_at(r, now);
	json_t *o = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:i, s:s}", "device",
	    r->device, "operation", store_capf_opkind_name(r->op), "auth",
	    store_capf_auth_name(r->auth), "key",
	    store_capf_key_name(r->key_type, r->key_bits), "state",
	    store_capf_state_name(st), "deadline_ms",
	    (json_int_t)r->deadline_ms, "failed_tries", (int)r->failed_tries,
	    "max_tries", (int)r->max_tries, "scheduled_by", r->by);

	if (!o)
		return NULL;
	if (r->reason[0])
		json_object_set_new(o, "reason", json_string(r->reason));
	if (r->result[0])
		json_object_set_new(o, "result", json_string(r->result));
	if (r->serial[0]) {
		json_object_set_new(o, "serial", json_string(r->serial));
		json_object_set_new(o, "not_after_s",
				    json_integer((json_int_t)r->not_after_s));
	}
	if (r->batch[0])
		json_object_set_new(o, "batch", json_string(r->batch));
	if (r->failed_tries >= r->max_tries && st == STORE_CAPF_FAILED)
		json_object_set_new(o, "locked", json_true());
	json_object_set_new(o, "changed_ms",
			    json_integer((json_int_t)r->changed_ms));
	return o;
}

/* ---- reads -------------------------------------------------------------- */

struct capf_list {
	json_t *list;
	const char *batch;
	uint64_t now;
	unsigned count[STORE_CAPF_EXPIRED + 1];
};

static int capf_list_one(void *arg, const struct store_capf_op *rec)
{
	struct capf_list *l = arg;

	if (l->batch[0] && strcmp(rec->batch, l->batch) != 0)
		return 0;
	l->count[store_capf_op_state_at(rec, l->now)]++;
	json_array_append_new(l->list, capf_render(rec, l->now));
	return 0;
}

void admin_route_capf_list(struct admin_op *op)
{
	const char *query =
	    evhttp_uri_get_query(evhttp_request_get_evhttp_uri(op->req));
	char batch[STORE_NAME_MAX] = "";
	struct capf_list l = {.list = json_array(), .batch = batch};
	struct store_read *r;
	json_t *progress;

	l.now = admin_now_ms();
	if (admin_query_value(query, "batch", batch, sizeof batch) &&
	    !store_prov_name_valid(batch)) {
		json_decref(l.list);
		admin_op_error(op, 400, "batch must be a name");
		return;
	}
	if (!l.list || admin_op_read_begin(op, &r) != 0) {
		json_decref(l.list);
		return;
	}
	store_capf_op_each(r, capf_list_one, &l);
	store_read_end(r);
	progress = json_object();
	for (unsigned s = 0; s <= STORE_CAPF_EXPIRED; s++)
		json_object_set_new(progress, store_capf_state_name(s),
				    json_integer(l.count[s]));
	admin_op_reply(op, 200,
		       json_pack("{s:o, s:o}", "operations", l.list, "progress",
				 progress));
}

/* The operation of the device the path names into REC: 0, or -1 after
 * answering (404 when there is none). */
static int capf_op_read(struct admin_op *op, struct store_capf_op *rec)
{
	struct store_read *r;
	int rc;

	if (admin_op_read_begin(op, &r) != 0)
		return -1;
	rc = store_capf_op_get(r, op->args[0], rec);
	store_read_end(r);
	if (rc == STORE_ENOTFOUND || rc == STORE_EINVAL) {
		admin_op_error(op, 404, "no CAPF operation for \"%s\"",
			       op->args[0]);
		return -1;
	}
	if (rc) {
		admin_op_fail(op, rc, "reading");
		return -1;
	}
	return 0;
}

void admin_route_capf_get(struct admin_op *op)
{
	struct store_capf_op rec;

	if (capf_op_read(op, &rec) != 0)
		return;
	admin_op_reply(op, 200, capf_render(&rec, admin_now_ms()));
}

/* ---- schedule ----------------------------------------------------------- */

/* The parameters of a schedule body, before they meet a device. */
struct capf_params {
	uint32_t op;
	int auth; /* -1: the profile's */
	int has_key;
	uint32_t key_type, key_bits;
	uint64_t deadline_s;
	uint32_t tries;
	size_t gen_len;
	char given[STORE_CAPF_STRING_MAX + 1];
};

static int capf_params_parse(json_t *body, struct capf_params *p, char *err,
			     size_t errcap)
{
	const char *s;
	json_t *v;

	memset(p, 0, sizeof *p);
	p->op = STORE_CAPF_OP_INSTALL;
	p->auth = -1;
	p->deadline_s = CAPF_DEADLINE_DEFAULT_S;
	p->tries = STORE_CAPF_TRIES_DEFAULT;
	p->gen_len = CAPF_STRING_DEFAULT_LEN;
	if ((v = json_object_get(body, "operation"))) {
		enum store_capf_opkind k;

		if (!(s = json_string_value(v)) ||
		    store_capf_opkind_parse(s, &k) != 0 ||
		    k == STORE_CAPF_OP_NONE)
			goto bad_op;
		p->op = k;
	}
	if ((v = json_object_get(body, "auth"))) {
		enum store_capf_auth a;

		if (!(s = json_string_value(v)) ||
		    store_capf_auth_parse(s, &a) != 0) {
			snprintf(err, errcap,
				 "auth must be auth-string, null-string, "
				 "existing-lsc or existing-mic");
			return 400;
		}
		p->auth = (int)a;
	}
	if ((v = json_object_get(body, "key"))) {
		if (!(s = json_string_value(v)) ||
		    store_capf_key_parse(s, &p->key_type, &p->key_bits) != 0) {
			snprintf(err, errcap,
				 "key must be rsa-1024, rsa-2048, rsa-4096, "
				 "ec-p256 or ec-p384");
			return 400;
		}
		p->has_key = 1;
	}
	if ((v = json_object_get(body, "deadline_s"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > CAPF_DEADLINE_MAX_S) {
			snprintf(err, errcap, "deadline_s must be 1..%u",
				 CAPF_DEADLINE_MAX_S);
			return 400;
		}
		p->deadline_s = (uint64_t)json_integer_value(v);
	}
	if ((v = json_object_get(body, "tries"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > STORE_CAPF_TRIES_MAX) {
			snprintf(err, errcap, "tries must be 1..%d",
				 STORE_CAPF_TRIES_MAX);
			return 400;
		}
		p->tries = (uint32_t)json_integer_value(v);
	}
	if ((v = json_object_get(body, "string_length"))) {
		if (!json_is_integer(v) ||
		    json_integer_value(v) < STORE_CAPF_STRING_MIN ||
		    json_integer_value(v) > STORE_CAPF_STRING_MAX) {
			snprintf(err, errcap, "string_length must be 4..16");
			return 400;
		}
		p->gen_len = (size_t)json_integer_value(v);
	}
	if ((v = json_object_get(body, "auth_string"))) {
		s = json_string_value(v);
		if (!s || !store_capf_string_valid(s)) {
			snprintf(err, errcap,
				 "auth_string must be 4..16 digits");
			return 400;
		}
		snprintf(p->given, sizeof p->given, "%s", s);
	}
	return 0;

bad_op:
	snprintf(err, errcap,
		 "operation must be install, upgrade, delete or troubleshoot");
	return 400;
}

/* The record for DEVICE under P, with the profile's defaults. */
static int capf_op_fill(struct store_read *r, const char *device,
			const struct capf_params *p, const char *batch,
			const char *actor, uint64_t now,
			struct store_capf_op *out, char *err, size_t errcap)
{
	struct store_device dev;
	struct store_phone_profile prof;
	int rc;

	rc = store_device_get(r, device, &dev);
	if (rc == STORE_ENOTFOUND || rc == STORE_EINVAL) {
		snprintf(err, errcap, "no device \"%s\"", device);
		return 404;
	}
	if (rc) {
		snprintf(err, errcap, "reading device %s: %s", device,
			 store_strerror(rc));
		return 500;
	}
	if (dev.kind != STORE_DEVICE_PHONE) {
		snprintf(err, errcap, "%s is not a phone", device);
		return 400;
	}
	memset(out, 0, sizeof *out);
	snprintf(out->device, sizeof out->device, "%s", device);
	out->op = p->op;
	out->auth = STORE_CAPF_AUTH_NULL;
	out->key_type = STORE_CAPF_KEY_RSA;
	out->key_bits = 2048;
	if (store_phone_profile_get(r, dev.profile, &prof) == STORE_OK) {
		out->auth = prof.capf_auth;
		if (store_capf_key_name(STORE_CAPF_KEY_RSA, prof.key_size))
			out->key_bits = prof.key_size;
	}
	if (p->auth >= 0)
		out->auth = (uint32_t)p->auth;
	if (p->has_key) {
		out->key_type = p->key_type;
		out->key_bits = p->key_bits;
	}
	out->deadline_ms = now + p->deadline_s * 1000;
	out->max_tries = p->tries;
	out->state = STORE_CAPF_PENDING;
	snprintf(out->batch, sizeof out->batch, "%s", batch);
	snprintf(out->by, sizeof out->by, "%s", actor);
	out->created_ms = out->changed_ms = now;
	return 0;
}

/* Worker thread: the strings and their scrypt hashes. */
static int capf_sched_work(void *arg)
{
	struct capf_sched *s = arg;

	for (size_t i = 0; i < s->n; i++) {
		struct store_capf_op *o = &s->ops[i];
		char *str = s->strings[i];

		if (o->auth != STORE_CAPF_AUTH_STRING)
			continue;
		if (s->own[i])
			; /* the device's own, from the batch */
		else if (s->given[0])
			memcpy(str, s->given, sizeof s->given);
		else if (store_capf_string_generate(s->gen_len, str) != 0)
			return STORE_EIO;
		if (store_capf_auth_hash(o, str) != 0)
			return STORE_ENOMEM;
	}
	return 0;
}

static void capf_sched_written(struct admin_op *op, int rc)
{
	struct capf_sched *s = op->work;
	uint64_t now = admin_now_ms();
	json_t *list, *o;

	if (rc) {
		admin_op_fail(op, rc, "writing");
		return;
	}
	list = json_array();
	for (size_t i = 0; list && i < s->n; i++) {
		o = capf_render(&s->ops[i], now);
		/* Shown here once; only the hash is kept. */
		if (o && s->ops[i].auth == STORE_CAPF_AUTH_STRING)
			json_object_set_new(o, "auth_string",
					    json_string(s->strings[i]));
		json_array_append_new(list, o);
	}
	log_info(ADMIN_TAG, "CAPF: %zu operation(s) scheduled by %s", s->n,
		 op->actor);
	if (s->single) {
		o = json_incref(json_array_get(list, 0));
		json_decref(list);
	} else {
		o = json_pack("{s:s, s:i, s:o}", "batch", s->ops[0].batch,
			      "scheduled", (int)s->n, "operations", list);
	}
	/* The strings are in the answer now; the copies go (the reply
	 * frees the op and its work). */
	OPENSSL_cleanse(s->strings, s->n * sizeof *s->strings);
	admin_op_reply(op, 200, o);
}

static void capf_sched_hashed(struct admin_op *op, int rc)
{
	struct capf_sched *s = op->work;
	char detail[STORE_TEXT_MAX];
	struct store_cmd *cmd;

	if (rc == ADMIN_WORK_CANCELLED) {
		admin_op_error(op, 503, "shutting down");
		return;
	}
	if (rc) {
		admin_op_fail(op, rc, "hashing the authentication string");
		return;
	}
	if (!(cmd = admin_op_cmd(op)))
		return;
	for (size_t i = 0; rc == 0 && i < s->n; i++) {
		const struct store_capf_op *o = &s->ops[i];

		snprintf(detail, sizeof detail,
			 "%s %s auth %s key %s deadline_ms %llu tries %u%s%s",
			 o->device, store_capf_opkind_name(o->op),
			 store_capf_auth_name(o->auth),
			 store_capf_key_name(o->key_type, o->key_bits),
			 (unsigned long long)o->deadline_ms, o->max_tries,
			 o->batch[0] ? " batch " : "", o->batch);
		rc = store_cmd_put_capf_op(cmd, NULL, o);
		if (rc == 0)
			rc = store_cmd_audit(cmd, "capf.schedule", detail);
	}
	admin_op_propose_built(op, cmd, rc, "the schedule", capf_sched_written);
}

static struct capf_sched *sched_new(size_t n)
{
	struct capf_sched *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	s->ops = calloc(n ? n : 1, sizeof *s->ops);
	s->strings = calloc(n ? n : 1, sizeof *s->strings);
	s->own = calloc(n ? n : 1, 1);
	if (!s->ops || !s->strings || !s->own) {
		sched_free(s);
		return NULL;
	}
	return s;
}

static void sched_start(struct admin_op *op, struct capf_sched *s)
{
	admin_op_work_set(op, s, sched_free);
	if (admin_op_work(op, op->a->work, capf_sched_work,
			  capf_sched_hashed) != 0)
		admin_op_error(op, 503, "busy: try again");
}

static json_t *body_json(struct admin_op *op)
{
	json_error_t jerr;

	if (!op->body || op->body_len == 0)
		return json_object();
	return json_loadb(op->body, op->body_len, JSON_REJECT_DUPLICATES,
			  &jerr);
}

void admin_route_capf_schedule(struct admin_op *op)
{
	struct capf_params p;
	struct capf_sched *s;
	struct store_read *r;
	char err[256];
	json_t *body = body_json(op);
	int status;

	if (!json_is_object(body)) {
		json_decref(body);
		admin_op_error(op, 400, "the body must be a JSON object");
		return;
	}
	status = capf_params_parse(body, &p, err, sizeof err);
	json_decref(body);
	if (status) {
		admin_op_error(op, status, "%s", err);
		return;
	}
	if (!(s = sched_new(1))) {
		OPENSSL_cleanse(&p, sizeof p);
		admin_op_error(op, 500, "out of memory");
		return;
	}
	s->n = 1;
	s->single = 1;
	s->gen_len = p.gen_len;
	memcpy(s->given, p.given, sizeof s->given);
	OPENSSL_cleanse(p.given, sizeof p.given);
	if (admin_op_read_begin(op, &r) != 0) {
		sched_free(s);
		return;
	}
	status = capf_op_fill(r, op->args[0], &p, "", op->actor, admin_now_ms(),
			      &s->ops[0], err, sizeof err);
	store_read_end(r);
	if (status) {
		sched_free(s);
		admin_op_error(op, status, "%s", err);
		return;
	}
	sched_start(op, s);
}

struct batch_pick {
	const char *profile;
	char (*names)[STORE_NAME_MAX];
	size_t n, cap;
	int over;
};

static int batch_pick_one(void *arg, const struct store_device *d)
{
	struct batch_pick *b = arg;

	if (d->kind != STORE_DEVICE_PHONE || strcmp(d->profile, b->profile))
		return 0;
	if (b->n == b->cap) {
		b->over = 1;
		return 1;
	}
	snprintf(b->names[b->n++], STORE_NAME_MAX, "%s", d->name);
	return 0;
}

/* Device I's own authentication string from ITEM ({"device",
 * "auth_string"}), if it has one: checked (4..16 digits), and it puts the
 * device in the string mode unless the batch names another mode. The
 * string never appears in ERR. 0 or 400. */
static int batch_own_string(json_t *item, const struct capf_params *p,
			    struct capf_sched *s, size_t i, char *err,
			    size_t errcap)
{
	json_t *v =
	    json_is_object(item) ? json_object_get(item, "auth_string") : NULL;
	const char *str = json_string_value(v);

	if (!v)
		return 0;
	if (!str || !store_capf_string_valid(str)) {
		snprintf(err, errcap,
			 "devices[%zu] (%s): auth_string must be 4..16 digits",
			 i, s->ops[i].device);
		return 400;
	}
	if (p->auth >= 0 && p->auth != STORE_CAPF_AUTH_STRING) {
		snprintf(err, errcap,
			 "devices[%zu] (%s): an auth_string needs the "
			 "auth-string mode",
			 i, s->ops[i].device);
		return 400;
	}
	s->ops[i].auth = STORE_CAPF_AUTH_STRING;
	snprintf(s->strings[i], sizeof s->strings[i], "%s", str);
	s->own[i] = 1;
	return 0;
}

void admin_route_capf_batch(struct admin_op *op)
{
	struct batch_pick pick = {0};
	struct capf_params p;
	struct capf_sched *s = NULL;
	struct store_read *r;
	char err[256], batch[STORE_NAME_MAX];
	json_t *body = body_json(op), *devs, *prof;
	uint8_t rnd[6];
	uint64_t now = admin_now_ms();
	int status = 0;

	if (!json_is_object(body)) {
		json_decref(body);
		admin_op_error(op, 400, "the body must be a JSON object");
		return;
	}
	status = capf_params_parse(body, &p, err, sizeof err);
	devs = json_object_get(body, "devices");
	prof = json_object_get(body, "profile");
	if (!status && !!devs == !!prof) {
		snprintf(err, sizeof err,
			 "give either \"profile\" or \"devices\"");
		status = 400;
	}
	if (!status && devs &&
	    (!json_is_array(devs) || json_array_size(devs) == 0 ||
	     json_array_size(devs) > CAPF_BATCH_MAX)) {
		snprintf(err, sizeof err,
			 "devices must be a list of 1..%d names",
			 CAPF_BATCH_MAX);
		status = 400;
	}
	if (!status && prof && !json_is_string(prof)) {
		snprintf(err, sizeof err, "profile must be a name");
		status = 400;
	}
	pick.cap = CAPF_BATCH_MAX;
	pick.names = calloc(pick.cap, STORE_NAME_MAX);
	if (!status && !pick.names) {
		snprintf(err, sizeof err, "out of memory");
		status = 500;
	}
	if (!status && admin_op_read_begin(op, &r) != 0) {
		json_decref(body);
		free(pick.names);
		return;
	}
	if (!status) {
		if (prof) {
			pick.profile = json_string_value(prof);
			store_device_each(r, batch_pick_one, &pick);
		} else {
			for (size_t i = 0; i < json_array_size(devs); i++) {
				json_t *it = json_array_get(devs, i);
				const char *d =
				    json_is_object(it)
					? json_string_value(
					      json_object_get(it, "device"))
					: json_string_value(it);

				snprintf(pick.names[pick.n++], STORE_NAME_MAX,
					 "%s", d ? d : "");
			}
		}
		if (pick.over) {
			snprintf(err, sizeof err,
				 "more than %d devices: schedule in parts",
				 CAPF_BATCH_MAX);
			status = 400;
		} else if (pick.n == 0) {
			snprintf(err, sizeof err, "no phone has profile %s",
				 pick.profile);
			status = 404;
		}
		if (!status && (RAND_bytes(rnd, sizeof rnd) != 1 ||
				!(s = sched_new(pick.n)))) {
			snprintf(err, sizeof err, "out of memory");
			status = 500;
		}
		if (!status) {
			snprintf(batch, sizeof batch,
				 "b%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
				 rnd[2], rnd[3], rnd[4], rnd[5]);
			s->n = pick.n;
			s->gen_len = p.gen_len;
			memcpy(s->given, p.given, sizeof s->given);
		}
		for (size_t i = 0; !status && i < pick.n; i++)
			status =
			    capf_op_fill(r, pick.names[i], &p, batch, op->actor,
					 now, &s->ops[i], err, sizeof err);
		for (size_t i = 0; !status && devs && i < pick.n; i++)
			status = batch_own_string(json_array_get(devs, i), &p,
						  s, i, err, sizeof err);
		store_read_end(r);
	}
	OPENSSL_cleanse(p.given, sizeof p.given);
	json_decref(body);
	free(pick.names);
	if (status) {
		sched_free(s);
		admin_op_error(op, status, "%s", err);
		return;
	}
	sched_start(op, s);
}

/* ---- cancel ------------------------------------------------------------- */

static void capf_cancelled(struct admin_op *op, int rc)
{
	if (rc) {
		admin_op_fail(op, rc, "writing");
		return;
	}
	log_info(ADMIN_TAG, "CAPF operation of %s cancelled by %s", op->args[0],
		 op->actor);
	admin_op_reply(op, 200, json_pack("{s:s}", "cancelled", op->args[0]));
}

void admin_route_capf_cancel(struct admin_op *op)
{
	struct store_capf_op rec;
	struct store_cmd *cmd;
	int rc;

	if (capf_op_read(op, &rec) != 0)
		return;
	if (!(cmd = admin_op_cmd(op)))
		return;
	rc = store_cmd_del_capf_op(cmd, rec.device);
	if (rc == 0)
		rc = store_cmd_audit(cmd, "capf.cancel", rec.device);
	if (rc) {
		store_cmd_free(cmd);
		admin_op_fail(op, rc, "building the change");
		return;
	}
	admin_op_propose(op, cmd, capf_cancelled);
	store_cmd_free(cmd);
}
