/* routes_sipreg: registration changes a follower's signaling role relays to
 * the leader. Only the leader can propose; a follower that accepted a
 * device's first registration (or lost its last binding) hands the change
 * to the leader through POST /v1/registrations/relay, authenticated like
 * POST /v1/audit/failures: the member's node certificate is the
 * credential. A member can only claim devices for itself (the owner is the
 * node the certificate names, never a field of the body), the batch is
 * bounded, and all its changes go into one command. A change may carry the
 * device's MIC (base64 DER), which the member's registrar verified and
 * whose SHA-256 the change names: recorded when it is not the MIC on
 * record (admin_cmd_put_mic). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <openssl/evp.h>

#include "common/hex.h"
#include "common/log.h"
#include "node/admin/admin_int.h"
#include "store/prov.h"

static const char *const transport_names[] = {
    [STORE_TRANSPORT_TCP] = "tcp",
    [STORE_TRANSPORT_UDP] = "udp",
    [STORE_TRANSPORT_TLS] = "tls",
};
static const char *const cert_names[] = {
    [STORE_REG_CERT_NONE] = "none",
    [STORE_REG_CERT_MIC] = "mic",
    [STORE_REG_CERT_LSC] = "lsc",
};

static int name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (names[i] && strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

static json_t *change_json(const struct admin_reg_change *c)
{
	char fp[65];
	json_t *o;

	if (c->del)
		return json_pack("{s:s, s:b}", "device", c->reg.device,
				 "delete", 1);
	hex_encode(c->reg.cert_sha256, 32, fp);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "device",
		      c->reg.device, "transport",
		      c->reg.transport < 4 && transport_names[c->reg.transport]
			  ? transport_names[c->reg.transport]
			  : "udp",
		      "source", c->reg.source, "cert",
		      c->reg.cert < 3 ? cert_names[c->reg.cert] : "none",
		      "cert_sha256", fp, "expires_ms",
		      (json_int_t)c->reg.expires_ms, "since_ms",
		      (json_int_t)c->reg.since_ms);
	if (o && c->mic_len && c->mic_len <= ADMIN_REG_MIC_MAX) {
		char *b64 = admin_b64_encode_alloc(c->mic, c->mic_len);

		if (b64)
			json_object_set_new(o, "mic", json_string(b64));
		free(b64);
	}
	return o;
}

/* One change of the body into OUT; 0 or -1 (malformed). */
static int change_parse(const json_t *j, struct admin_reg_change *out)
{
	const char *dev = json_string_value(json_object_get(j, "device"));
	const char *src = json_string_value(json_object_get(j, "source"));
	const char *fp = json_string_value(json_object_get(j, "cert_sha256"));
	const char *mic = json_string_value(json_object_get(j, "mic"));
	json_t *exp = json_object_get(j, "expires_ms");
	json_t *since = json_object_get(j, "since_ms");
	int tp, cert;

	memset(out, 0, sizeof *out);
	if (!dev || !store_prov_name_valid(dev))
		return -1;
	snprintf(out->reg.device, sizeof out->reg.device, "%s", dev);
	if (json_is_true(json_object_get(j, "delete"))) {
		out->del = 1;
		return 0;
	}
	tp = name_index(transport_names, 4,
			json_string_value(json_object_get(j, "transport")));
	cert = name_index(cert_names, 3,
			  json_string_value(json_object_get(j, "cert")));
	if (tp < 0 || cert < 0 || !src || strlen(src) >= STORE_ADDR_MAX ||
	    !fp || hex_decode(fp, out->reg.cert_sha256, 32) != 0 ||
	    !json_is_integer(exp) || json_integer_value(exp) < 0 ||
	    !json_is_integer(since) || json_integer_value(since) < 0)
		return -1;
	out->reg.transport = (uint32_t)tp;
	out->reg.cert = (uint32_t)cert;
	snprintf(out->reg.source, sizeof out->reg.source, "%s", src);
	out->reg.expires_ms = (uint64_t)json_integer_value(exp);
	out->reg.since_ms = (uint64_t)json_integer_value(since);
	if (mic) {
		uint8_t md[32];
		long n = cert == STORE_REG_CERT_MIC
			     ? admin_b64_decode_loose(mic, strlen(mic),
						      out->mic, sizeof out->mic)
			     : -1;

		/* The MIC the change names, nothing else. */
		if (n <= 0 ||
		    !EVP_Digest(out->mic, (size_t)n, md, NULL, EVP_sha256(),
				NULL) ||
		    memcmp(md, out->reg.cert_sha256, 32) != 0)
			return -1;
		out->mic_len = (uint32_t)n;
	}
	return 0;
}

static void relay_written(struct admin_op *op, int rc)
{
	if (rc) {
		admin_op_fail(op, rc, "writing the registrations");
		return;
	}
	admin_op_reply(op, 200, json_pack("{s:b}", "written", 1));
}

/* Adds change C of MEMBER to CMD, unless the record already says so or a
 * newer one names another node (a late relay must not undo a move).
 * 1 added, 0 skipped, -1 error. */
static int change_add(struct store_read *r, struct store_cmd *cmd,
		      uint64_t member, struct admin_reg_change *c)
{
	struct store_registration cur;
	int have = store_registration_get(r, c->reg.device, &cur) == 0;

	if (c->del) {
		if (!have || cur.node_id != member)
			return 0;
		return store_cmd_del_registration(cmd, c->reg.device) == 0 ? 1
									   : -1;
	}
	if (c->mic_len) {
		int rc = admin_cmd_put_mic(r, cmd, c->reg.device, c->mic,
					   c->mic_len, admin_now_ms());

		if (rc < 0)
			return -1;
		if (have && cur.node_id == member &&
		    cur.cert == STORE_REG_CERT_MIC &&
		    memcmp(cur.cert_sha256, c->reg.cert_sha256, 32) == 0)
			return rc; /* only the MIC was news */
	}
	if (have && cur.node_id != member && cur.since_ms > c->reg.since_ms)
		return 0;
	c->reg.node_id = member;
	return store_cmd_put_registration(cmd, &c->reg) == 0 ? 1 : -1;
}

void admin_route_registrations_relay(struct admin_op *op)
{
	json_error_t jerr;
	json_t *j, *list, *rec;
	struct store_cmd *cmd;
	struct store_read *r;
	struct store_node member;
	struct admin_reg_change c;
	size_t i;
	int n = 0, rc = 0;

	if (admin_op_member(op, &member) != 0)
		return;
	j = json_loadb(op->body ? op->body : "", op->body_len, 0, &jerr);
	list = json_object_get(j, "changes");
	if (!json_is_array(list) || json_array_size(list) == 0 ||
	    json_array_size(list) > ADMIN_REG_RELAY_MAX) {
		json_decref(j);
		admin_op_error(op, 400, "want {\"changes\": [1..%d]}",
			       ADMIN_REG_RELAY_MAX);
		return;
	}
	snprintf(op->actor, sizeof op->actor, "node:%.40s", member.name);
	cmd = admin_op_cmd(op);
	if (!cmd) {
		json_decref(j);
		return;
	}
	if (admin_op_read_begin(op, &r) != 0) {
		json_decref(j);
		store_cmd_free(cmd);
		return;
	}
	json_array_foreach(list, i, rec)
	{
		if (change_parse(rec, &c) != 0 ||
		    (rc = change_add(r, cmd, member.id, &c)) < 0)
			break;
		n += rc;
		rc = 0;
	}
	store_read_end(r);
	json_decref(j);
	if (i < json_array_size(list) || rc < 0) {
		store_cmd_free(cmd);
		admin_op_error(op, 400, "change %zu refused", i);
		return;
	}
	if (n == 0) {
		store_cmd_free(cmd);
		admin_op_reply(op, 200, json_pack("{s:b}", "written", 0));
		return;
	}
	admin_op_propose(op, cmd, relay_written);
	store_cmd_free(cmd);
}

/* ---- the sending side (a follower) ------------------------------------ */

int admin_registrations_relay(struct admin *a,
			      const struct admin_reg_change *changes, size_t n,
			      admin_relay_cb cb, void *arg)
{
	json_t *list, *doc;

	if (n == 0 || n > ADMIN_REG_RELAY_MAX)
		return -1;
	list = json_array();
	for (size_t i = 0; list && i < n; i++)
		json_array_append_new(list, change_json(&changes[i]));
	doc = list ? json_pack("{s:o}", "changes", list) : NULL;
	return admin_member_relay(a, "/v1/registrations/relay", doc, cb, arg);
}
