/* server: the listener, TLS set-up, and the dispatch of every request
 * through one table of {method, path, handler, flags}. What a request may
 * do is decided here, once: uninitialized nodes serve only init and status,
 * writes go to the leader, reads may ask for a barrier, and every route but
 * init and join needs an admin's credentials. */
#include "node/admin/wipe.h"
#include "node/admin/admin_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "node/admin/admin_pki.h"
#include "node/admin/prov_int.h"

#define PATH_SEGS_MAX 5

static const struct route routes[] = {
    {EVHTTP_REQ_GET, "/v1/status", admin_route_status,
     ROUTE_AUTH | ROUTE_UNINIT, 0},
    {EVHTTP_REQ_GET, "/v1/cluster/status", admin_route_cluster_status,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_POST, "/v1/cluster/init", admin_route_init, ROUTE_UNINIT, 0},
    {EVHTTP_REQ_GET, "/v1/nodes", admin_route_nodes_list,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_POST, "/v1/nodes", admin_route_node_add,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_DELETE, "/v1/nodes/+", admin_route_node_remove,
     ROUTE_AUTH | ROUTE_WRITE, 60},
    /* The token is the credential; catching up may take a while. */
    {EVHTTP_REQ_POST, "/v1/join", admin_route_join, ROUTE_WRITE, 300},
    {EVHTTP_REQ_POST, "/v1/join/certs", admin_route_join, ROUTE_WRITE, 30},
    {EVHTTP_REQ_POST, "/v1/leader/transfer", admin_route_transfer,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_GET, "/v1/params", admin_route_params_list,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_GET, "/v1/params/+", admin_route_param_get,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_PUT, "/v1/params/+", admin_route_param_set,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_GET, "/v1/admins", admin_route_admins_list,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_POST, "/v1/admins", admin_route_admin_add,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_PUT, "/v1/admins/+/password", admin_route_admin_password,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_DELETE, "/v1/admins/+", admin_route_admin_remove,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_GET, "/v1/audit", admin_route_audit, ROUTE_AUTH | ROUTE_READ,
     0},
    /* A member's summary of the failures it counted: its certificate is
     * the credential. */
    {EVHTTP_REQ_POST, "/v1/audit/failures", admin_route_audit_failures,
     ROUTE_WRITE | ROUTE_MEMBER, 10},
    /* A member's registration changes (its certificate is the credential). */
    {EVHTTP_REQ_POST, "/v1/registrations/relay",
     admin_route_registrations_relay, ROUTE_WRITE | ROUTE_MEMBER, 10},
    /* A member's own SIP address (its certificate is the credential). */
    {EVHTTP_REQ_POST, "/v1/nodes/sip", admin_route_node_sip,
     ROUTE_WRITE | ROUTE_MEMBER, 10},
    /* A member's enrolment writes (its certificate is the credential). */
    {EVHTTP_REQ_POST, "/v1/capf/relay", admin_route_capf_relay,
     ROUTE_WRITE | ROUTE_MEMBER, 10},
    /* Certificates, trust store, tokens, CTL, security mode
     * (admin_pki.h). */
    {EVHTTP_REQ_GET, "/v1/certs", admin_route_certs_list,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_GET, "/v1/certs/+/+", admin_route_cert_get,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_POST, "/v1/certs/+/+/regenerate", admin_route_cert_regenerate,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_GET, "/v1/trust", admin_route_trust_list,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_GET, "/v1/trust/+", admin_route_trust_get,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_POST, "/v1/trust", admin_route_trust_import,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_DELETE, "/v1/trust/+", admin_route_trust_delete,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_GET, "/v1/tokens", admin_route_tokens_list,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_POST, "/v1/tokens", admin_route_token_register,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_DELETE, "/v1/tokens/+", admin_route_token_remove,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_GET, "/v1/ctl", admin_route_ctl_get, ROUTE_AUTH | ROUTE_READ,
     0},
    {EVHTTP_REQ_POST, "/v1/ctl", admin_route_ctl_upload,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_GET, "/v1/ctl/entries", admin_route_ctl_entries,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_GET, "/v1/ctl/file", admin_route_ctl_file,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_GET, "/v1/security", admin_route_security_get,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_PUT, "/v1/security/mode", admin_route_security_mode,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    /* Provisioning (prov_int.h): one set of handlers, the resource from
     * the path. */
    {EVHTTP_REQ_GET, "/v1/profiles", admin_route_prov_list,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_GET, "/v1/profiles/+", admin_route_prov_get,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_POST, "/v1/profiles", admin_route_prov_add,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_POST, "/v1/profiles/batch", admin_route_prov_batch,
     ROUTE_AUTH | ROUTE_WRITE, 60},
    {EVHTTP_REQ_PUT, "/v1/profiles/+", admin_route_prov_set,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_DELETE, "/v1/profiles/+", admin_route_prov_delete,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_GET, "/v1/trunk-profiles", admin_route_prov_list,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_GET, "/v1/trunk-profiles/+", admin_route_prov_get,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_POST, "/v1/trunk-profiles", admin_route_prov_add,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_POST, "/v1/trunk-profiles/batch", admin_route_prov_batch,
     ROUTE_AUTH | ROUTE_WRITE, 60},
    {EVHTTP_REQ_PUT, "/v1/trunk-profiles/+", admin_route_prov_set,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_DELETE, "/v1/trunk-profiles/+", admin_route_prov_delete,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_GET, "/v1/devices", admin_route_prov_list,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_GET, "/v1/devices/+", admin_route_prov_get,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_POST, "/v1/devices", admin_route_prov_add,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_POST, "/v1/devices/batch", admin_route_prov_batch,
     ROUTE_AUTH | ROUTE_WRITE, 60},
    {EVHTTP_REQ_PUT, "/v1/devices/+", admin_route_prov_set,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_DELETE, "/v1/devices/+", admin_route_prov_delete,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_PUT, "/v1/devices/+/mic", admin_route_device_mic_put,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_DELETE, "/v1/devices/+/mic", admin_route_device_mic_delete,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_GET, "/v1/users", admin_route_prov_list,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_GET, "/v1/users/+", admin_route_prov_get,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_POST, "/v1/users", admin_route_prov_add,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_POST, "/v1/users/batch", admin_route_prov_batch,
     ROUTE_AUTH | ROUTE_WRITE, 60},
    {EVHTTP_REQ_PUT, "/v1/users/+", admin_route_prov_set,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_DELETE, "/v1/users/+", admin_route_prov_delete,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_GET, "/v1/app-users", admin_route_prov_list,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_GET, "/v1/app-users/+", admin_route_prov_get,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_POST, "/v1/app-users", admin_route_prov_add,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_POST, "/v1/app-users/batch", admin_route_prov_batch,
     ROUTE_AUTH | ROUTE_WRITE, 60},
    {EVHTTP_REQ_PUT, "/v1/app-users/+", admin_route_prov_set,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_DELETE, "/v1/app-users/+", admin_route_prov_delete,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_GET, "/v1/realms", admin_route_prov_list,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_GET, "/v1/realms/+", admin_route_prov_get,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_POST, "/v1/realms", admin_route_prov_add,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_POST, "/v1/realms/batch", admin_route_prov_batch,
     ROUTE_AUTH | ROUTE_WRITE, 60},
    {EVHTTP_REQ_PUT, "/v1/realms/+", admin_route_prov_set,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_DELETE, "/v1/realms/+", admin_route_prov_delete,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_GET, "/v1/node-groups", admin_route_prov_list,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_GET, "/v1/node-groups/+", admin_route_prov_get,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_POST, "/v1/node-groups", admin_route_prov_add,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_POST, "/v1/node-groups/batch", admin_route_prov_batch,
     ROUTE_AUTH | ROUTE_WRITE, 60},
    {EVHTTP_REQ_PUT, "/v1/node-groups/+", admin_route_prov_set,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_DELETE, "/v1/node-groups/+", admin_route_prov_delete,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_GET, "/v1/srst", admin_route_prov_list,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_GET, "/v1/srst/+", admin_route_prov_get,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_POST, "/v1/srst", admin_route_prov_add,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_PUT, "/v1/srst/+", admin_route_prov_set,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_DELETE, "/v1/srst/+", admin_route_prov_delete,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    /* The dial plan: the same handlers (prov_int.h), and its lookup. */
    {EVHTTP_REQ_GET, "/v1/dial-plan/route", admin_route_dialplan_route,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_GET, "/v1/partitions", admin_route_prov_list,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_GET, "/v1/partitions/+", admin_route_prov_get,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_POST, "/v1/partitions", admin_route_prov_add,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_PUT, "/v1/partitions/+", admin_route_prov_set,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_DELETE, "/v1/partitions/+", admin_route_prov_delete,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_GET, "/v1/css", admin_route_prov_list,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_GET, "/v1/css/+", admin_route_prov_get,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_POST, "/v1/css", admin_route_prov_add,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_PUT, "/v1/css/+", admin_route_prov_set,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_DELETE, "/v1/css/+", admin_route_prov_delete,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_GET, "/v1/route-patterns", admin_route_prov_list,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_GET, "/v1/route-patterns/+", admin_route_prov_get,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_POST, "/v1/route-patterns", admin_route_prov_add,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_PUT, "/v1/route-patterns/+", admin_route_prov_set,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_DELETE, "/v1/route-patterns/+", admin_route_prov_delete,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_GET, "/v1/presence-groups", admin_route_prov_list,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_GET, "/v1/presence-groups/+", admin_route_prov_get,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_POST, "/v1/presence-groups", admin_route_prov_add,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_POST, "/v1/presence-groups/batch", admin_route_prov_batch,
     ROUTE_AUTH | ROUTE_WRITE, 60},
    {EVHTTP_REQ_PUT, "/v1/presence-groups/+", admin_route_prov_set,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_DELETE, "/v1/presence-groups/+", admin_route_prov_delete,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    /* Files phones fetch from the TFTP role (routes_tftp.c). */
    {EVHTTP_REQ_GET, "/v1/tftp/files", admin_route_tftp_files_list,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_POST, "/v1/tftp/chunks", admin_route_tftp_chunk,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_POST, "/v1/tftp/files", admin_route_tftp_file_commit,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_DELETE, "/v1/tftp/file", admin_route_tftp_file_delete,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_GET, "/v1/tftp/file", admin_route_tftp_file_get,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_GET, "/v1/tftp/devices/+", admin_route_tftp_device,
     ROUTE_AUTH | ROUTE_READ, 0},
    /* The calls this node carries (routes_calls.c). */
    {EVHTTP_REQ_GET, "/v1/calls", admin_route_calls, ROUTE_AUTH | ROUTE_READ,
     0},
    /* Authorised capture (routes_capture.c). */
    {EVHTTP_REQ_GET, "/v1/capture", admin_route_capture_list,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_POST, "/v1/capture/+", admin_route_capture_start,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_DELETE, "/v1/capture/+", admin_route_capture_stop,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    /* Served by the node asked: the keys are in its memory. */
    {EVHTTP_REQ_GET, "/v1/capture/+/keys", admin_route_capture_keys,
     ROUTE_AUTH, 0},
    /* A member's fetch, for the audit (its certificate is the
     * credential); members post it to the leader themselves. */
    {EVHTTP_REQ_POST, "/v1/capture-fetched", admin_route_capture_fetched,
     ROUTE_MEMBER, 0},
    /* Certificate enrolment (routes_capf.c). */
    {EVHTTP_REQ_GET, "/v1/capf", admin_route_capf_list,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_POST, "/v1/capf/batch", admin_route_capf_batch,
     ROUTE_AUTH | ROUTE_WRITE, 120},
    {EVHTTP_REQ_GET, "/v1/capf/+", admin_route_capf_get,
     ROUTE_AUTH | ROUTE_READ, 0},
    {EVHTTP_REQ_PUT, "/v1/capf/+", admin_route_capf_schedule,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    {EVHTTP_REQ_DELETE, "/v1/capf/+", admin_route_capf_cancel,
     ROUTE_AUTH | ROUTE_WRITE, 30},
    /* EST (RFC 7030), authenticated by the device, not an admin. */
    {EVHTTP_REQ_GET, "/.well-known/est/cacerts", admin_route_est_cacerts,
     ROUTE_READ, 0},
    {EVHTTP_REQ_POST, "/.well-known/est/simpleenroll",
     admin_route_est_simpleenroll, 0, 0},
    {EVHTTP_REQ_POST, "/.well-known/est/simplereenroll",
     admin_route_est_simplereenroll, 0, 0},
};

#define N_ROUTES (sizeof routes / sizeof routes[0])

static const char *method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	default:
		return "?";
	}
}

/* 1 if the segments match PATTERN; '+' segments are captured into ARGS. */
static int route_match(const char *pattern, char segs[][ADMIN_NAME_MAX + 1],
		       int n, char args[2][ADMIN_NAME_MAX + 1])
{
	const char *p = pattern + 1;
	int i = 0, na = 0;

	for (; *p; i++) {
		size_t len = strcspn(p, "/");

		if (i == n)
			return 0;
		if (len == 1 && p[0] == '+') {
			if (na < 2)
				memcpy(args[na++], segs[i], ADMIN_NAME_MAX + 1);
		} else if (strlen(segs[i]) != len ||
			   memcmp(segs[i], p, len) != 0) {
			return 0;
		}
		p += len;
		if (*p == '/')
			p++;
	}
	return i == n;
}

/* Finds the route; 0, 404 or 405 (Allow then lists the methods). */
static int route_find(const char *path, enum evhttp_cmd_type method,
		      const struct route **out,
		      char args[2][ADMIN_NAME_MAX + 1], char *allow, size_t cap)
{
	char segs[PATH_SEGS_MAX][ADMIN_NAME_MAX + 1];
	int n = admin_path_split(path, segs, PATH_SEGS_MAX);
	int found = 0;

	allow[0] = '\0';
	if (n < 0)
		return 404;
	for (size_t i = 0; i < N_ROUTES; i++) {
		if (!route_match(routes[i].pattern, segs, n, args))
			continue;
		if (routes[i].method == method) {
			*out = &routes[i];
			return 0;
		}
		found = 1;
		snprintf(allow + strlen(allow), cap - strlen(allow), "%s%s",
			 allow[0] ? ", " : "", method_name(routes[i].method));
	}
	return found ? 405 : 404;
}

/* The address part of PEER ("a.b.c.d:port", "[v6]:port"). */
static void peer_addr(const char *peer, char *out, size_t cap)
{
	const char *end;

	if (peer[0] == '[') {
		end = strchr(peer, ']');
		peer++;
	} else {
		end = strrchr(peer, ':');
	}
	if (!end)
		end = peer + strlen(peer);
	snprintf(out, cap, "%.*s", (int)(end - peer), peer);
}

/* A member relaying a request shows its certificate; only then is its
 * X-Ward-Client header (the original client's address) believed. */
static void op_identify(struct admin_op *op)
{
	struct evhttp_connection *evcon =
	    evhttp_request_get_connection(op->req);
	struct evkeyvalq *h = evhttp_request_get_input_headers(op->req);
	const char *client = evhttp_find_header(h, "X-Ward-Client");
	struct store_node node;
	char *addr = NULL;
	uint16_t port = 0;
	uint8_t fp[32];

	evhttp_connection_get_peer(evcon, &addr, &port);
	snprintf(op->peer, sizeof op->peer, "%s%s%s:%u",
		 addr && strchr(addr, ':') ? "[" : "", addr ? addr : "?",
		 addr && strchr(addr, ':') ? "]" : "", port);
	snprintf(op->addr, sizeof op->addr, "%s", addr ? addr : "?");
	if (!op->a->consensus || admin_tls_peer_fp(op->req, fp) != 0 ||
	    admin_node_by_fp(op->a, fp, &node) != 0)
		return;
	op->from_node = 1;
	op->relayed = client != NULL;
	if (client && strlen(client) < 48 &&
	    strspn(client, "0123456789abcdefABCDEF.:[]") == strlen(client)) {
		snprintf(op->peer, sizeof op->peer, "%s via %.24s", client,
			 node.name);
		peer_addr(client, op->addr, sizeof op->addr);
	}
}

static int op_take_body(struct admin_op *op)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(op->req);
	size_t len = evbuffer_get_length(in);

	if (len > ADMIN_BODY_MAX) {
		admin_op_error(op, 413, "body larger than %u bytes",
			       ADMIN_BODY_MAX);
		return -1;
	}
	op->body = malloc(len + 1);
	if (!op->body) {
		admin_op_error(op, 500, "out of memory");
		return -1;
	}
	evbuffer_remove(in, op->body, len);
	op->body[len] = '\0';
	op->body_len = len;
	return 0;
}

static void op_after_barrier(struct admin_op *op, int rc)
{
	if (rc != 0) {
		admin_op_fail(op, rc, "consistent read");
		return;
	}
	op->route->handler(op);
}

static int call_barrier(struct admin_op *op, consensus_cb cb)
{
	return consensus_barrier(op->a->consensus, cb, op);
}

/* evhttp closes connections without a TLS close_notify; a client then
 * sees a truncated stream and drops its session, so the next handshake
 * could not resume. Say goodbye properly. */
static void admin_on_close(struct evhttp_connection *evcon, void *arg)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;

	if (ssl && SSL_is_init_finished(ssl))
		(void)SSL_shutdown(ssl);
}

static void op_after_login(struct admin_op *op, int rc)
{
	if (rc == 401) {
		admin_op_error(op, 401, "wrong or missing credentials");
		return;
	}
	if (rc == 429) {
		admin_op_error(op, 429,
			       "too many logins from this address: retry after "
			       "%s s",
			       evhttp_find_header(
				   evhttp_request_get_output_headers(op->req),
				   "Retry-After"));
		return;
	}
	if (rc) {
		evhttp_add_header(evhttp_request_get_output_headers(op->req),
				  "Retry-After", "1");
		admin_op_error(op, 503, "too many logins in progress: retry");
		return;
	}
	if (op->consistent) {
		admin_op_call(op, call_barrier, op_after_barrier);
		return;
	}
	op->route->handler(op);
}

void admin_op_serve(struct admin_op *op)
{
	if ((op->route->flags & ROUTE_AUTH) && op->a->consensus)
		admin_login_check(op, op_after_login);
	else
		op_after_login(op, 0);
}

static void admin_on_request(struct evhttp_request *req, void *arg)
{
	struct admin *a = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	const struct route *route = NULL;
	char args[2][ADMIN_NAME_MAX + 1] = {{0}};
	char allow[64];
	struct admin_op *op;
	int rc, leader;

	/* evhttp falls back to a plain socket if the TLS set-up failed: never
	 * serve over that. */
	if (!evcon || !bufferevent_openssl_get_ssl(
			  evhttp_connection_get_bufferevent(evcon))) {
		evhttp_send_error(req, 400, "TLS required");
		return;
	}
	evhttp_connection_set_closecb(evcon, admin_on_close, NULL);
	rc = route_find(path, evhttp_request_get_command(req), &route, args,
			allow, sizeof allow);
	if (rc == 405)
		evhttp_add_header(evhttp_request_get_output_headers(req),
				  "Allow", allow);
	if (rc) {
		admin_reply_error(a, req, rc,
				  rc == 404 ? "unknown path"
					    : "method not allowed here");
		return;
	}
	op = admin_op_new(a, req);
	if (!op) {
		admin_reply_error(a, req, 500, "out of memory");
		return;
	}
	op->route = route;
	memcpy(op->args, args, sizeof args);
	op_identify(op);
	if (op_take_body(op) != 0)
		return;
	if (!a->consensus && !(route->flags & ROUTE_UNINIT)) {
		admin_op_error(op, 503,
			       a->init_expected
				   ? "this node is not initialized: POST "
				     "/v1/cluster/init or join it to a "
				     "cluster"
				   : "this node is not part of a cluster "
				     "(yet)");
		return;
	}
	if ((route->flags & ROUTE_MEMBER) && (!op->from_node || op->relayed)) {
		admin_op_error(op, 403, "members only");
		return;
	}
	/* Before relaying, and before the credentials are checked: so
	 * without the details. */
	if ((route->flags & ROUTE_WRITE) && a->consensus &&
	    admin_op_refused_full(op, 0))
		return;
	leader = admin_is_leader(a);
	if (route->flags & ROUTE_READ)
		op->consistent =
		    admin_query_consistent(evhttp_uri_get_query(uri));
	/* The leader checks the credentials of what it is relayed. */
	if (a->consensus && !leader &&
	    ((route->flags & ROUTE_WRITE) || op->consistent)) {
		if (op->from_node) {
			admin_op_error(op, 503,
				       ADMIN_NOT_LEADER_TEXT
				       " (leadership moved)");
		} else {
			op->fwd_fresh = 1;
			admin_forward(op);
		}
		return;
	}
	admin_op_serve(op);
}

/* ---- the connection cap ----------------------------------------------- */

/* Inbound connections are counted by the TLS object each one owns: it is
 * freed with the connection however that ends (idle timeout, error, a
 * client that never sent a request). At the cap the listener stops
 * accepting, so further clients wait in the kernel's backlog and cost this
 * process nothing. The counter outlives the admin when libevent frees a
 * connection after it. Admin thread only. */
struct admin_conns {
	struct admin *a; /* NULL once the admin is gone */
	unsigned open;
	unsigned refs; /* the admin + open connections */
	int paused;    /* the listener is disabled */
};

static int conn_idx = -1;
static pthread_once_t conn_once = PTHREAD_ONCE_INIT;

static void conns_unref(struct admin_conns *c)
{
	if (--c->refs == 0)
		free(c);
}

static void conn_ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
			 long argl, void *argp)
{
	struct admin_conns *c = ptr;

	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	if (!c)
		return; /* any other SSL of the process */
	c->open--;
	if (c->a && c->paused && c->open < c->a->limits.max_connections) {
		c->paused = 0;
		evconnlistener_enable(c->a->listener);
		log_info(ADMIN_TAG, "accepting connections again (%u open)",
			 c->open);
	}
	conns_unref(c);
}

static void conn_idx_init(void)
{
	conn_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_ex_free);
}

static struct bufferevent *admin_on_bev(struct event_base *base, void *arg)
{
	struct admin *a = arg;
	struct admin_conns *c = a->conns;
	struct bufferevent *bev;
	SSL *ssl = SSL_new(a->tls_server);

	if (!ssl)
		return NULL;
	if (conn_idx < 0 || SSL_set_ex_data(ssl, conn_idx, c) != 1) {
		SSL_free(ssl);
		return NULL;
	}
	c->open++;
	c->refs++;
	if (c->open >= a->limits.max_connections && !c->paused && a->listener) {
		c->paused = 1;
		evconnlistener_disable(a->listener);
		log_warn(
		    ADMIN_TAG,
		    "%u connections open: the limit (admin.max_connections)"
		    "; not accepting more until one closes",
		    c->open);
	}
	bev = bufferevent_openssl_socket_new(
	    base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		SSL_free(ssl); /* counts the connection out again */
		return NULL;
	}
	/* Many clients close without close_notify; that is no error here. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

static void admin_on_notify(evutil_socket_t fd, short what, void *arg)
{
	struct admin *a = arg;

	/* Ops polling for a leadership change look again now. */
	for (struct admin_op *op = a->ops; op; op = op->next)
		if (op->timer && evtimer_pending(op->timer, NULL))
			event_active(op->timer, EV_TIMEOUT, 0);
}

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

static int admin_bind(struct admin *a, char *errmsg, size_t errcap)
{
	struct evhttp_bound_socket *bound;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	char host[STORE_ADDR_MAX];
	unsigned port;

	if (addr_split(a->listen, ADDR_PORT_OPTIONAL, host, sizeof host,
		       &port) != 0) {
		snprintf(errmsg, errcap,
			 "admin listen address \"%s\": want "
			 "host:port",
			 a->listen);
		return -1;
	}
	bound = evhttp_bind_socket_with_handle(a->http, host, (uint16_t)port);
	if (!bound) {
		snprintf(errmsg, errcap, "cannot listen on %s: %s", a->listen,
			 strerror(errno));
		return -1;
	}
	a->listener = evhttp_bound_socket_get_listener(bound);
	if (getsockname(evhttp_bound_socket_get_fd(bound),
			(struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET)
			a->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else if (ss.ss_family == AF_INET6)
			a->port =
			    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	}
	return 0;
}

/* What admin_new copied or made from the configuration before the event
 * loop's parts: the TLS contexts, the strings, an owned key store. */
static void admin_release(struct admin *a)
{
	SSL_CTX_free(a->tls_server);
	SSL_CTX_free(a->tls_client);
	free(a->listen);
	free(a->cert_file);
	free(a->key_file);
	free(a->data_dir);
	free(a->node_name);
	free(a->raft_addr);
	free(a->admin_addr);
	free(a->kek_file);
	if (a->ks_owned)
		keystore_free(a->ks);
}

int admin_new(struct event_base *base, const struct admin_config *cfg,
	      struct store *store, struct admin **out, char *errmsg,
	      size_t errcap)
{
	struct admin *a = calloc(1, sizeof *a);

	if (!a) {
		snprintf(errmsg, errcap, "out of memory");
		return -1;
	}
	/* Before any request: every block jansson frees is wiped (the
	 * capture key log's reply passes through it). */
	admin_json_wipe_init();
	a->base = base;
	a->store = store;
	a->hooks = cfg->hooks;
	a->limits = cfg->limits;
	a->listen = dup_or_empty(cfg->listen);
	a->cert_file = dup_or_empty(cfg->cert_file);
	a->key_file = dup_or_empty(cfg->key_file);
	a->data_dir = dup_or_empty(cfg->data_dir);
	a->node_name = dup_or_empty(cfg->node_name);
	a->raft_addr = dup_or_empty(cfg->raft_addr);
	a->admin_addr = dup_or_empty(cfg->admin_addr);
	if (cfg->kek_file && cfg->kek_file[0])
		a->kek_file = strdup(cfg->kek_file);
	else if (asprintf(&a->kek_file, "%s/kek",
			  a->data_dir ? a->data_dir : "") < 0)
		a->kek_file = NULL;
	a->ks = cfg->keystore;
	if (!a->ks && a->kek_file &&
	    keystore_new(a->kek_file, &a->ks) == KEYSTORE_OK)
		a->ks_owned = 1;
	if (!a->listen || !a->cert_file || !a->key_file || !a->data_dir ||
	    !a->node_name || !a->raft_addr || !a->admin_addr || !a->kek_file ||
	    !a->ks) {
		snprintf(errmsg, errcap, "out of memory");
		goto err_after_alloc;
	}
	if (admin_tls_load(a->cert_file, a->key_file, &a->tls_server,
			   &a->tls_client, a->fingerprint, errmsg, errcap) != 0)
		goto err_after_alloc;
	a->mb = calloc(1, sizeof *a->mb);
	if (!a->mb) {
		snprintf(errmsg, errcap, "out of memory");
		goto err_after_alloc;
	}
	pthread_mutex_init(&a->mb->lock, NULL);
	a->mb->refs = 1;
	a->mb->ev = event_new(base, -1, EV_PERSIST, admin_mailbox_drain, a);
	a->ev_notify = event_new(base, -1, EV_PERSIST, admin_on_notify, a);
	if (!a->mb->ev || !a->ev_notify) {
		snprintf(errmsg, errcap, "out of memory");
		goto err_after_events;
	}
	if (admin_login_init(a) != 0) {
		snprintf(errmsg, errcap, "cannot start the login thread");
		goto err_after_login;
	}
	pthread_once(&conn_once, conn_idx_init);
	a->conns = calloc(1, sizeof *a->conns);
	if (!a->conns || conn_idx < 0 || admin_prune_init(a) != 0) {
		snprintf(errmsg, errcap, "out of memory");
		goto err_after_login;
	}
	a->conns->a = a;
	a->conns->refs = 1;
	a->http = evhttp_new(base);
	if (!a->http) {
		snprintf(errmsg, errcap, "out of memory");
		goto err_after_login;
	}
	evhttp_set_bevcb(a->http, admin_on_bev, a);
	evhttp_set_gencb(a->http, admin_on_request, a);
	evhttp_set_max_body_size(a->http, ADMIN_BODY_MAX);
	evhttp_set_max_headers_size(a->http, 16 * 1024);
	/* Above consensus_add's 30 s bound: a join waits for the catch-up. */
	evhttp_set_timeout(a->http, 60);
	evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
						EVHTTP_REQ_PUT |
						EVHTTP_REQ_DELETE);
	if (admin_bind(a, errmsg, errcap) != 0)
		goto err_after_http;
	log_info(ADMIN_TAG, "admin API on https://%s (port %d)", a->listen,
		 a->port);
	*out = a;
	return 0;
err_after_http:
	a->conns->a = NULL;
	evhttp_free(a->http);
err_after_login:
	if (a->conns)
		conns_unref(a->conns);
	admin_prune_fini(a);
	admin_login_fini(a);
err_after_events:
	if (a->mb->ev)
		event_free(a->mb->ev);
	if (a->ev_notify)
		event_free(a->ev_notify);
	pthread_mutex_destroy(&a->mb->lock);
	free(a->mb);
err_after_alloc:
	admin_release(a);
	free(a);
	return -1;
}

int admin_expect_init(struct admin *a, char *errmsg, size_t errcap)
{
	char path[4096], text[ADMIN_SECRET_TEXT_LEN + 2];
	size_t n;
	int fd, ok;

	snprintf(path, sizeof path, "%s/init.token", a->data_dir);
	if (admin_secret_new(text, sizeof text, a->init_sha256) != 0) {
		snprintf(errmsg, errcap, "no randomness for the init token");
		return -1;
	}
	n = strlen(text);
	text[n++] = '\n';
	unlink(path); /* a stale one, maybe of another owner or mode */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		snprintf(errmsg, errcap, "%s: %s", path, strerror(errno));
		OPENSSL_cleanse(text, sizeof text);
		return -1;
	}
	ok = fchmod(fd, 0600) == 0 && write(fd, text, n) == (ssize_t)n &&
	     fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	OPENSSL_cleanse(text, sizeof text);
	if (!ok) {
		snprintf(errmsg, errcap, "%s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	a->init_expected = 1;
	log_info(ADMIN_TAG,
		 "not initialized: the one-time init token is in %s "
		 "(POST /v1/cluster/init, or wardctl cluster init)",
		 path);
	return 0;
}

void admin_attach(struct admin *a, struct consensus *c, uint64_t node_id)
{
	a->consensus = c;
	a->node_id = c ? node_id : 0;
	admin_creds_clear(a);
}

void admin_notify(struct admin *a)
{
	if (a)
		event_active(a->ev_notify, EV_READ, 0);
}

/* 1 if this node's record names another certificate than FP: members
 * relaying to this node pin the record's. Init and regeneration write the
 * new fingerprint into the record before the node serves the certificate,
 * and a joining node has no record here yet: neither is a mismatch. */
static int record_pins_other(struct admin *a, const uint8_t fp[32])
{
	static const uint8_t zero[32];
	struct store_node n;
	struct store_read *r;
	int rc;

	if (!a->store || !a->node_id || store_read_begin(a->store, &r) != 0)
		return 0;
	rc = store_node_get(r, a->node_id, &n);
	store_read_end(r);
	return rc == 0 && memcmp(n.https_sha256, zero, 32) != 0 &&
	       memcmp(n.https_sha256, fp, 32) != 0;
}

int admin_reload(struct admin *a, char *errmsg, size_t errcap)
{
	SSL_CTX *s, *c;
	uint8_t fp[32];

	if (admin_tls_load(a->cert_file, a->key_file, &s, &c, fp, errmsg,
			   errcap) != 0)
		return -1;
	/* Connections in progress keep a reference to the old contexts. */
	SSL_CTX_free(a->tls_server);
	SSL_CTX_free(a->tls_client);
	a->tls_server = s;
	a->tls_client = c;
	if (memcmp(fp, a->fingerprint, 32) != 0 && record_pins_other(a, fp))
		log_warn(ADMIN_TAG,
			 "certificate changed: members pin the old "
			 "fingerprint until this node's record is updated");
	memcpy(a->fingerprint, fp, 32);
	log_info(ADMIN_TAG, "certificate reloaded from %s", a->cert_file);
	return 0;
}

void admin_fingerprint(struct admin *a, uint8_t out[32])
{
	memcpy(out, a->fingerprint, 32);
}

int admin_port(struct admin *a)
{
	return a->port;
}

void admin_free(struct admin *a)
{
	struct admin_op *op, *next;
	struct admin_mailbox *mb;
	struct event *ev;
	int last;

	if (!a)
		return;
	/* Answer everything still waiting, then close the mailbox: a Raft
	 * callback that comes later frees its op and nothing else. */
	for (op = a->ops; op; op = next) {
		next = op->next;
		if (op->req)
			admin_reply_error(a, op->req, 503, "shutting down");
		op->req = NULL;
		admin_op_finish(op);
	}
	while (a->clients)
		admin_client_cancel(a->clients);
	mb = a->mb;
	/* Once our reference is dropped, a callback still owed (Raft, the
	 * login thread) may free the mailbox: take what we need first. */
	pthread_mutex_lock(&mb->lock);
	mb->closed = 1;
	ev = mb->ev;
	mb->ev = NULL;
	op = mb->head;
	mb->head = mb->tail = NULL;
	last = --mb->refs == 0;
	pthread_mutex_unlock(&mb->lock);
	for (; op; op = next) {
		next = op->qnext;
		OPENSSL_cleanse(op, sizeof *op);
		free(op);
	}
	event_free(ev);
	if (last) {
		pthread_mutex_destroy(&mb->lock);
		free(mb);
	}
	event_free(a->ev_notify);
	a->conns->a = NULL;
	evhttp_free(a->http);
	conns_unref(a->conns);
	admin_prune_fini(a);
	admin_login_fini(a);
	admin_release(a);
	OPENSSL_cleanse(a, sizeof *a);
	free(a);
}
