/* call_node: where a callee on another member is reached, what a member's
 * request on the node listener must show. See call_node.h. */
#include "node/sip/call_node.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/nta_stateless.h>
#include <sofia-sip/sip_header.h>

#include "common/addr.h"
#include "common/log.h"

#include "node/sip/tls_peer.h"

static const char *const level_names[] = {
    [SIP_LEVEL_NONSECURE] = "nonsecure",
    [SIP_LEVEL_AUTHENTICATED] = "authenticated",
    [SIP_LEVEL_ENCRYPTED] = "encrypted",
};

static int name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
}

int sip_call_node_parse_caller(const char *value,
			       struct sip_call_node_caller *out)
{
	size_t n = 0;
	const char *lv;

	memset(out, 0, sizeof *out);
	if (!value)
		return -1;
	while (value[n] && name_char(value[n]))
		n++;
	if (n == 0 || n >= sizeof out->device ||
	    strncmp(value + n, ";level=", 7) != 0)
		return -1;
	lv = value + n + 7;
	for (int l = SIP_LEVEL_NONSECURE; l <= SIP_LEVEL_ENCRYPTED; l++)
		if (strcmp(lv, level_names[l]) == 0) {
			memcpy(out->device, value, n);
			out->device[n] = '\0';
			out->level = (enum sip_level)l;
			return 0;
		}
	return -1;
}

int sip_call_node_assert(char *out, size_t cap, const char *user,
			 const char *host, const char *device,
			 enum sip_level level)
{
	int v6 = strchr(host, ':') != NULL;
	int n = snprintf(
	    out, cap,
	    "P-Asserted-Identity: <sip:%s@%s%s%s>\r\n"
	    "Ward-Caller: %s;level=%s",
	    user, v6 ? "[" : "", host, v6 ? "]" : "", device,
	    level_names[level <= SIP_LEVEL_ENCRYPTED ? level
						     : SIP_LEVEL_NONSECURE]);
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* "sip:USER@HOST:PORT;transport=tls" (USER "" for none). */
static int node_url(char *out, size_t cap, const char *user, const char *host,
		    unsigned port)
{
	int v6 = strchr(host, ':') != NULL;
	int n = snprintf(out, cap, "sip:%s%s%s%s%s:%u;transport=tls", user,
			 user[0] ? "@" : "", v6 ? "[" : "", host, v6 ? "]" : "",
			 port);
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

int sip_call_node_flow(const struct sip_directory *dir, uint64_t node_id,
		       char *out, size_t cap)
{
	char host[SIP_DIR_HOST_MAX];
	unsigned port = 0;

	if (!dir->ops->node_sip ||
	    dir->ops->node_sip(dir->ctx, node_id, host, &port) != 0)
		return -1;
	return node_url(out, cap, "", host, port);
}

int sip_call_node_target(const struct sip_directory *dir, uint64_t node_id,
			 const char *number, struct sip_reg_contact *t)
{
	char host[SIP_DIR_HOST_MAX];
	unsigned port = 0;
	int r = dir->ops->node_sip(dir->ctx, node_id, host, &port);

	if (r < 0)
		return -1;
	if (r != 0 || port == 0 || port > 65535)
		return 1;
	memset(t, 0, sizeof *t);
	if (inet_pton(AF_INET, host, t->addr) == 1)
		t->family = AF_INET;
	else if (inet_pton(AF_INET6, host, t->addr) == 1)
		t->family = AF_INET6;
	else
		return 1;
	t->port = (uint16_t)port;
	t->transport = SIP_TP_TLS;
	t->expires_at = UINT64_MAX;
	return node_url(t->uri, sizeof t->uri, number, host, port) == 0 ? 0 : 1;
}

int sip_call_node_callee(const struct sip_directory *dir, uint64_t self,
			 const char *caller, const char *number,
			 struct sip_device *dev, struct sip_reg_contact *target,
			 uint64_t *node_id)
{
	const struct sip_directory_ops *o = dir->ops;
	struct sip_route rt;
	int r;

	if (!o->registration || !o->node_sip || !o->node_by_cert || !self)
		return 480;
	memset(&rt, 0, sizeof rt);
	if (o->route) {
		r = o->route(dir->ctx, caller, number, &rt);
	} else {
		r = o->device_by_name(dir->ctx, number, dev);
		if (r == 0) {
			rt.ndevices = 1;
			snprintf(rt.devices[0], sizeof rt.devices[0], "%s",
				 dev->name);
		}
	}
	if (r < 0)
		return 503;
	if (r != 0)
		return 480; /* the local lookup answered 403/404 already */
	for (unsigned i = 0; i < rt.ndevices && i < SIP_ROUTE_MAX; i++) {
		uint64_t node = 0;

		r = o->registration(dir->ctx, rt.devices[i], &node);
		if (r < 0)
			return 503;
		if (r != 0 || node == self)
			continue;
		if (o->device_by_name(dir->ctx, rt.devices[i], dev) != 0 ||
		    dev->is_trunk)
			continue;
		r = sip_call_node_target(dir, node, number, target);
		if (r < 0)
			return 503;
		if (r != 0)
			continue;
		*node_id = node;
		return 0;
	}
	return 480;
}

/* Whether TC is the NODE certificate of a current member: 0 with
 * *NODE_ID, or -1 with WHY. */
static int member_cert(const struct sip_directory *dir,
		       const struct sip_tls_cert *tc, uint64_t *node_id,
		       char *why, size_t whycap)
{
	int r;

	if (!dir->ops->node_by_cert || !dir->ops->trust_root) {
		snprintf(why, whycap, "no node records");
		return -1;
	}
	if (!tc->present) {
		snprintf(why, whycap, "no certificate");
		return -1;
	}
	if (!tc->chain_ok) {
		snprintf(why, whycap, "certificate not from the cluster CA: %s",
			 tc->verify_error);
		return -1;
	}
	/* The listener's cafile holds the cluster CA alone; checked again
	 * here so that a wider cafile could never widen the trust. */
	if (dir->ops->trust_root(dir->ctx, tc->root_fp) != SIP_TRUST_LSC_CA) {
		snprintf(why, whycap, "certificate not from the cluster CA");
		return -1;
	}
	r = dir->ops->node_by_cert(dir->ctx, tc->fp, node_id);
	if (r != 0) {
		snprintf(why, whycap,
			 "%s (CN %s, SHA-256 %02X:%02X:%02X:%02X...)",
			 r < 0 ? "node records unreadable"
			       : "not the NODE certificate of a member",
			 tc->cn, tc->fp[0], tc->fp[1], tc->fp[2], tc->fp[3]);
		return -1;
	}
	return 0;
}

uint64_t sip_call_node_of_tag(const char *tag)
{
	const char *w = tag ? strstr(tag, "-w") : NULL;
	uint64_t id = 0;
	size_t n = 0;

	if (!w)
		return 0;
	for (w += 2; w[n]; n++) {
		if (w[n] < '0' || w[n] > '9' || n >= 19)
			return 0;
		id = id * 10 + (uint64_t)(w[n] - '0');
	}
	return n ? id : 0;
}

int sip_call_node_peer(const struct sip_directory *dir,
		       const struct sockaddr *sa, uint64_t *node_id, char *why,
		       size_t whycap)
{
	struct sip_tls_cert tc;

	if (sip_tls_peer_lookup(sa, &tc) != 0 || !tc.present) {
		snprintf(why, whycap, "no client certificate");
		return -1;
	}
	return member_cert(dir, &tc, node_id, why, whycap);
}

int sip_call_node_at(const struct sip_directory *dir, uint64_t node_id,
		     const struct sockaddr *sa)
{
	char host[SIP_DIR_HOST_MAX];
	unsigned port = 0;
	uint8_t a[16];

	if (dir->ops->node_sip(dir->ctx, node_id, host, &port) != 0)
		return 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;
		return inet_pton(AF_INET, host, a) == 1 &&
		       memcmp(a, &s4->sin_addr, 4) == 0 &&
		       ntohs(s4->sin_port) == port;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		return inet_pton(AF_INET6, host, a) == 1 &&
		       memcmp(a, &s6->sin6_addr, 16) == 0 &&
		       ntohs(s6->sin6_port) == port;
	}
	return 0;
}

int sip_call_node_server(void *dir_arg, const struct sockaddr *server,
			 const struct sip_tls_cert *tc)
{
	const struct sip_directory *dir = dir_arg;
	char why[160], who[INET6_ADDRSTRLEN + 16];
	uint64_t node = 0;

	if (member_cert(dir, tc, &node, why, sizeof why) == 0) {
		if (sip_call_node_at(dir, node, server))
			return 0;
		snprintf(why, sizeof why,
			 "the NODE certificate of member %llu, which is not "
			 "the member at this address",
			 (unsigned long long)node);
	}
	addr_sa_format(server, who, sizeof who);
	log_warn("sip", "node leg to %s refused before sending: %s", who, why);
	return -1;
}

int sip_call_node_caller_of(const sip_t *sip, struct sip_call_node_caller *out)
{
	int found = 0;

	memset(out, 0, sizeof *out);
	for (const sip_unknown_t *u = sip->sip_unknown; u; u = u->un_next) {
		if (!u->un_name || strcasecmp(u->un_name, "Ward-Caller") != 0)
			continue;
		/* Exactly one. */
		if (found++ || sip_call_node_parse_caller(u->un_value, out))
			return -1;
	}
	return found ? 0 : -1;
}

int sip_call_node_told(const sip_t *sip, enum sip_level *out)
{
	enum sip_level told = SIP_LEVEL_NONSECURE;
	int found = 0;

	for (const sip_call_info_t *ci = sip ? sip->sip_call_info : NULL; ci;
	     ci = ci->ci_next) {
		const char *v = msg_params_find(ci->ci_params, "security=");
		enum sip_level l;

		if (!v)
			continue;
		if (strcasecmp(v, "Encrypted") == 0)
			l = SIP_LEVEL_ENCRYPTED;
		else if (strcasecmp(v, "Authenticated") == 0)
			l = SIP_LEVEL_AUTHENTICATED;
		else
			l = SIP_LEVEL_NONSECURE;
		told = found && told < l ? told : l;
		found = 1;
	}
	*out = told;
	return found ? 0 : -1;
}

enum sip_level sip_call_node_level_cap(const sip_t *sip, enum sip_level level)
{
	enum sip_level told = SIP_LEVEL_NONSECURE;

	if (sip_call_node_told(sip, &told) != 0)
		told = SIP_LEVEL_NONSECURE; /* fail closed */
	return told < level ? told : level;
}

static void peer_text(const struct sip_peer *p, char *out, size_t cap)
{
	addr_sa_format((const struct sockaddr *)&p->addr, out, cap);
}

int sip_call_node_admit(const struct sip_directory *dir, nta_agent_t *agent,
			msg_t *msg, sip_t *sip, const struct sip_peer *peer,
			struct sip_call_node_caller *from, int *close)
{
	char why[128], who[INET6_ADDRSTRLEN + 16];
	uint64_t node = 0;

	*close = 0;
	peer_text(peer, who, sizeof who);
	if (peer->transport != SIP_TP_TLS ||
	    sip_call_node_peer(dir, (const struct sockaddr *)&peer->addr, &node,
			       why, sizeof why) != 0) {
		if (peer->transport != SIP_TP_TLS)
			snprintf(why, sizeof why, "not over TLS");
		log_warn("sip", "node listener: %s from %s refused: %s",
			 sip->sip_request->rq_method_name, who, why);
		*close = 1;
		nta_msg_treply(agent, msg, 403, "Forbidden", TAG_END());
		return -1;
	}
	if (sip->sip_to && sip->sip_to->a_tag &&
	    sip->sip_request->rq_method != sip_method_ack) {
		nta_msg_treply(agent, msg, 481, "Call Does Not Exist",
			       TAG_END());
		return -1;
	}
	if (sip->sip_request->rq_method == sip_method_ack) {
		msg_destroy(msg);
		return -1;
	}
	if (sip->sip_request->rq_method != sip_method_invite) {
		nta_msg_treply(agent, msg, 405, "Method Not Allowed",
			       SIPTAG_ALLOW_STR("INVITE"), TAG_END());
		return -1;
	}
	if (sip_call_node_caller_of(sip, from) != 0) {
		log_warn("sip",
			 "node listener: INVITE from member %llu at %s "
			 "refused: no valid caller assertion",
			 (unsigned long long)node, who);
		nta_msg_treply(agent, msg, 400, "Bad Caller Assertion",
			       TAG_END());
		return -1;
	}
	from->node_id = node;
	return 0;
}
