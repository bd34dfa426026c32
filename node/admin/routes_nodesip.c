/* routes_nodesip: where a member's signaling role listens. Each node
 * publishes it into its own node record when its role starts (phones'
 * configuration files list it; other nodes route calls to it): the member
 * posts it to the leader's POST /v1/nodes/sip, its node certificate being
 * the credential, and can change only its own record. A record that
 * already says so costs no write. */
#include <stdio.h>
#include <string.h>

#include "common/addr.h"
#include "node/admin/admin_int.h"

static void written(struct admin_op *op, int rc)
{
	if (rc) {
		admin_op_fail(op, rc, "writing the node record");
		return;
	}
	admin_op_reply(op, 200, json_pack("{s:b}", "written", 1));
}

static int port_of(const json_t *j, unsigned *out)
{
	if (!json_is_integer(j) || json_integer_value(j) < 0 ||
	    json_integer_value(j) > 65535)
		return -1;
	*out = (unsigned)json_integer_value(j);
	return 0;
}

void admin_route_node_sip(struct admin_op *op)
{
	json_error_t jerr;
	json_t *j;
	const char *host;
	struct store_node member, n;
	struct store_read *r;
	struct store_cmd *cmd;
	const void *raw = NULL;
	size_t raw_len = 0;
	char detail[STORE_TEXT_MAX];
	uint8_t key[8];
	unsigned port = 0, tls_port = 0, node_port = 0;
	const json_t *jn;
	int rc;

	if (admin_op_member(op, &member) != 0)
		return;
	j = json_loadb(op->body ? op->body : "", op->body_len, 0, &jerr);
	host = json_string_value(json_object_get(j, "host"));
	/* node_port: absent from a member not yet upgraded (0: none). */
	jn = json_object_get(j, "node_port");
	if (!host || strlen(host) >= sizeof n.sip_host ||
	    !addr_host_is_ip(host) ||
	    port_of(json_object_get(j, "port"), &port) != 0 ||
	    port_of(json_object_get(j, "tls_port"), &tls_port) != 0 ||
	    (jn && port_of(jn, &node_port) != 0)) {
		json_decref(j);
		admin_op_error(
		    op, 400,
		    "want {\"host\": IP literal, \"port\": 0..65535, "
		    "\"tls_port\": 0..65535, \"node_port\": "
		    "0..65535}");
		return;
	}
	snprintf(op->actor, sizeof op->actor, "node:%.40s", member.name);
	if (admin_op_read_begin(op, &r) != 0) {
		json_decref(j);
		return;
	}
	store_key_u64(member.id, key);
	rc = store_get(r, STORE_T_NODES, key, sizeof key, &raw, &raw_len);
	if (rc == 0)
		rc = store_node_decode(raw, raw_len, &n);
	if (rc != 0) {
		store_read_end(r);
		json_decref(j);
		admin_op_error(op, 404, "no record of this member");
		return;
	}
	if (strcmp(n.sip_host, host) == 0 && n.sip_port == port &&
	    n.sip_tls_port == tls_port && n.sip_node_port == node_port) {
		store_read_end(r);
		json_decref(j);
		admin_op_reply(op, 200, json_pack("{s:b}", "written", 0));
		return;
	}
	snprintf(n.sip_host, sizeof n.sip_host, "%s", host);
	n.sip_port = port;
	n.sip_tls_port = tls_port;
	n.sip_node_port = node_port;
	json_decref(j);
	snprintf(detail, sizeof detail,
		 "node=%s sip=%s port=%u tls_port=%u node_port=%u", n.name,
		 n.sip_host, port, tls_port, node_port);
	cmd = admin_op_cmd(op);
	/* Only over the record as read: a change in between (a certificate
	 * regenerated) fails the command rather than being undone. */
	rc = !cmd || store_cmd_op(cmd, STORE_OP_EXPECT, STORE_T_NODES, key,
				  sizeof key, raw, raw_len) ||
	     store_cmd_put_node(cmd, STORE_OP_PUT, &n) ||
	     store_cmd_audit(cmd, "node.sip", detail);
	store_read_end(r);
	if (rc) {
		store_cmd_free(cmd);
		if (cmd)
			admin_op_error(op, 500, "building the change failed");
		return;
	}
	admin_op_propose(op, cmd, written);
	store_cmd_free(cmd);
}

int admin_node_sip_publish(struct admin *a, const char *host, unsigned port,
			   unsigned tls_port, unsigned node_port,
			   admin_relay_cb cb, void *arg)
{
	return admin_member_relay(
	    a, "/v1/nodes/sip",
	    json_pack("{s:s, s:i, s:i, s:i}", "host", host, "port", (int)port,
		      "tls_port", (int)tls_port, "node_port", (int)node_port),
	    cb, arg);
}
