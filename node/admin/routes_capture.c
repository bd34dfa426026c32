/* routes_capture: authorised capture (store/capture.h, docs/keymgr.md
 * "Authorised capture").
 *
 *   GET    /v1/capture               every window, open or ended
 *   POST   /v1/capture/DEVICE        open a window: {"seconds": 1..3600}
 *                                    (default 600); replaces an open one
 *   DELETE /v1/capture/DEVICE        close it
 *   GET    /v1/capture/DEVICE/keys   this node's key log of DEVICE
 *   POST   /v1/capture-fetched       members only: a follower's fetch,
 *                                    for the audit log (served where it
 *                                    arrives: never relayed by a follower)
 *
 * Every start, stop and fetch is audited (capture.start, capture.stop,
 * capture.fetch) before it takes effect: a fetch answers only once its
 * audit record is committed (on a follower, once the leader wrote the
 * record the follower posted it), and not at all when that fails. Keys
 * live in the memory of the node whose relay carries the call, so a fetch
 * is served by the node asked (the answer names it): ask each node. The
 * keys are never logged; the key log's text is wiped once parsed.
 */
#include "node/admin/admin_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/log.h"
#include "store/capture.h"
#include "store/prov.h"

#define CAPTURE_DEFAULT_S 600

static json_t *capture_render(const struct store_capture *r, uint64_t now)
{
	return json_pack("{s:s, s:I, s:I, s:s, s:b}", "device", r->device,
			 "started_ms", (json_int_t)r->started_ms, "until_ms",
			 (json_int_t)r->until_ms, "started_by", r->by, "active",
			 store_capture_active(r, now));
}

struct capture_list {
	json_t *list;
	uint64_t now;
};

static int list_one(void *arg, const struct store_capture *rec)
{
	struct capture_list *l = arg;

	json_array_append_new(l->list, capture_render(rec, l->now));
	return 0;
}

void admin_route_capture_list(struct admin_op *op)
{
	struct capture_list l = {.list = json_array(), .now = admin_now_ms()};
	struct store_read *r;

	if (!l.list || admin_op_read_begin(op, &r) != 0) {
		json_decref(l.list);
		return;
	}
	store_capture_each(r, list_one, &l);
	store_read_end(r);
	admin_op_reply(op, 200, json_pack("{s:o}", "captures", l.list));
}

/* 0 when DEVICE is a provisioned device; else answers 404 or 500 and
 * returns -1. */
static int device_known(struct admin_op *op, struct store_read *r,
			const char *device)
{
	struct store_device dev;
	int rc = store_device_get(r, device, &dev);

	if (rc == STORE_OK)
		return 0;
	if (rc == STORE_ENOTFOUND || rc == STORE_EINVAL)
		admin_op_error(op, 404, "no device \"%s\"", device);
	else
		admin_op_fail(op, rc, "reading the device");
	return -1;
}

static void started(struct admin_op *op, int rc)
{
	struct store_capture *rec = op->ctx;

	if (rc) {
		admin_op_fail(op, rc, "opening the capture window");
		return;
	}
	log_info(ADMIN_TAG, "capture of %s opened by %s until %llu",
		 rec->device, op->actor, (unsigned long long)rec->until_ms);
	admin_op_reply(op, 200, capture_render(rec, admin_now_ms()));
}

void admin_route_capture_start(struct admin_op *op)
{
	struct store_capture *rec;
	struct store_read *r;
	struct store_cmd *cmd;
	char detail[STORE_TEXT_MAX];
	json_error_t jerr;
	json_t *body = NULL, *v;
	json_int_t seconds = CAPTURE_DEFAULT_S;
	int rc;

	if (op->body && op->body_len) {
		body = json_loadb(op->body, op->body_len,
				  JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(body)) {
			json_decref(body);
			admin_op_error(op, 400,
				       "the body must be a JSON object");
			return;
		}
		if ((v = json_object_get(body, "seconds"))) {
			seconds =
			    json_is_integer(v) ? json_integer_value(v) : -1;
		}
		json_decref(body);
	}
	if (seconds < 1 || seconds > STORE_CAPTURE_MAX_S) {
		admin_op_error(op, 400, "seconds must be 1..%d",
			       STORE_CAPTURE_MAX_S);
		return;
	}
	if (admin_op_read_begin(op, &r) != 0)
		return;
	rc = device_known(op, r, op->args[0]);
	store_read_end(r);
	if (rc)
		return;
	rec = calloc(1, sizeof *rec);
	if (!rec) {
		admin_op_error(op, 500, "out of memory");
		return;
	}
	op->ctx = rec;
	op->ctx_free = free;
	snprintf(rec->device, sizeof rec->device, "%s", op->args[0]);
	snprintf(rec->by, sizeof rec->by, "%s", op->actor);
	rec->started_ms = admin_now_ms();
	rec->until_ms = rec->started_ms + (uint64_t)seconds * 1000;
	snprintf(detail, sizeof detail, "%s seconds %lld until_ms %llu",
		 rec->device, (long long)seconds,
		 (unsigned long long)rec->until_ms);
	if (!(cmd = admin_op_cmd(op)))
		return;
	rc = store_cmd_put_capture(cmd, rec);
	if (rc == 0)
		rc = store_cmd_audit(cmd, "capture.start", detail);
	admin_op_propose_built(op, cmd, rc, "the change", started);
}

static void stopped(struct admin_op *op, int rc)
{
	if (rc == STORE_ENOTFOUND) {
		admin_op_error(op, 404, "no capture of \"%s\"", op->args[0]);
		return;
	}
	if (rc) {
		admin_op_fail(op, rc, "closing the capture window");
		return;
	}
	log_info(ADMIN_TAG, "capture of %s closed by %s", op->args[0],
		 op->actor);
	admin_op_reply(
	    op, 200,
	    json_pack("{s:s, s:b}", "device", op->args[0], "stopped", 1));
}

void admin_route_capture_stop(struct admin_op *op)
{
	struct store_capture rec;
	struct store_read *r;
	struct store_cmd *cmd;
	int rc;

	if (admin_op_read_begin(op, &r) != 0)
		return;
	rc = store_capture_get(r, op->args[0], &rec);
	store_read_end(r);
	if (rc == STORE_ENOTFOUND || rc == STORE_EINVAL) {
		admin_op_error(op, 404, "no capture of \"%s\"", op->args[0]);
		return;
	}
	if (rc) {
		admin_op_fail(op, rc, "reading");
		return;
	}
	if (!(cmd = admin_op_cmd(op)))
		return;
	rc = store_cmd_del_capture(cmd, op->args[0]);
	if (rc == 0)
		rc = store_cmd_audit(cmd, "capture.stop", op->args[0]);
	if (rc) {
		store_cmd_free(cmd);
		admin_op_error(op, 500, "building the change failed: %s",
			       store_strerror(rc));
		return;
	}
	admin_op_propose(op, cmd, stopped);
	store_cmd_free(cmd);
}

/* ---- fetching the keys ---------------------------------------------- */

/* The audit record is committed: the keys. */
static void fetch_audited(struct admin_op *op, int rc)
{
	struct admin *a = op->a;
	json_error_t jerr;
	char *text = NULL;
	json_t *doc = NULL;

	if (rc) {
		/* Fail closed: no audit record, no keys. */
		admin_op_error(op, 503,
			       "the fetch could not be audited: try again");
		return;
	}
	if (a->hooks.capture_keys_json &&
	    a->hooks.capture_keys_json(a->hooks.arg, op->args[0], &text) == 0)
		doc = json_loads(text, 0, &jerr);
	else if (!a->hooks.capture_keys_json)
		doc = json_pack("{s:[]}", "entries");
	if (text) {
		OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
	if (!doc) {
		admin_op_error(op, 500, "reading the key log failed");
		return;
	}
	json_object_set_new(doc, "device", json_string(op->args[0]));
	json_object_set_new(doc, "node", json_string(a->node_name));
	log_info(ADMIN_TAG, "capture keys of %s fetched by %s (%zu)",
		 op->args[0], op->actor,
		 json_array_size(json_object_get(doc, "entries")));
	/* jansson's copies are wiped as it frees them (wipe.h), the
	 * reply's text once libevent has sent it. */
	admin_op_reply_wiped(op, 200, doc);
}

static void fetch_relayed(void *arg, int status, const char *body, size_t len)
{
	admin_op_post(arg, status == 200 ? 0 : -1);
}

static void fetch_dropped(void *arg)
{
	admin_op_post(arg, -1);
}

void admin_route_capture_keys(struct admin_op *op)
{
	struct admin *a = op->a;
	struct store_read *r;
	struct store_cmd *cmd;
	char detail[STORE_TEXT_MAX];
	int rc;

	if (admin_op_read_begin(op, &r) != 0)
		return;
	rc = device_known(op, r, op->args[0]);
	store_read_end(r);
	if (rc)
		return;
	if (!admin_is_leader(a)) {
		/* The leader writes the record this node posts. */
		admin_op_hold(op, fetch_audited);
		if (admin_member_post(a, "/v1/capture-fetched",
				      json_pack("{s:s, s:s}", "device",
						op->args[0], "admin",
						op->actor),
				      fetch_relayed, fetch_dropped, op) != 0) {
			admin_op_unhold(op);
			admin_op_error(op, 503,
				       "no leader to audit the fetch: try "
				       "again");
		}
		return;
	}
	snprintf(detail, sizeof detail, "%s node %s", op->args[0],
		 a->node_name);
	if (!(cmd = admin_op_cmd(op)))
		return;
	admin_op_propose_built(op, cmd,
			       store_cmd_audit(cmd, "capture.fetch", detail),
			       "the audit record", fetch_audited);
}

static void fetched_written(struct admin_op *op, int rc)
{
	if (rc) {
		admin_op_fail(op, rc, "writing the audit record");
		return;
	}
	admin_op_reply(op, 200, json_pack("{s:b}", "written", 1));
}

void admin_route_capture_fetched(struct admin_op *op)
{
	struct store_node member;
	struct store_cmd *cmd;
	char detail[STORE_TEXT_MAX];
	const char *device, *admin;
	json_error_t jerr;
	json_t *j;

	if (admin_op_member(op, &member) != 0)
		return;
	j = json_loadb(op->body ? op->body : "", op->body_len, 0, &jerr);
	device = json_string_value(json_object_get(j, "device"));
	admin = json_string_value(json_object_get(j, "admin"));
	if (!device || !admin || !store_prov_name_valid(device) ||
	    strlen(admin) >= STORE_NAME_MAX) {
		json_decref(j);
		admin_op_error(op, 400,
			       "want {\"device\": name, \"admin\": name}");
		return;
	}
	snprintf(op->actor, sizeof op->actor, "node:%.40s", member.name);
	snprintf(detail, sizeof detail, "%s node %s by %s", device, member.name,
		 admin);
	json_decref(j);
	if (!(cmd = admin_op_cmd(op)))
		return;
	admin_op_propose_built(op, cmd,
			       store_cmd_audit(cmd, "capture.fetch", detail),
			       "the audit record", fetched_written);
}
