/* call_trunk: calls through SIP trunks (call_trunk.h). */
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>

struct call;
#define NTA_OUTGOING_MAGIC_T struct call

#include <sofia-sip/nta.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/url.h>

#include "common/log.h"
#include "node/sip/call_trunk.h"

#define TAG "sip"

struct find_peer {
	const char *name;
	struct sip_trunk_peer peer;
	int found;
};

static int on_peer(void *arg, const struct sip_trunk_peer *t)
{
	struct find_peer *f = arg;

	if (strcmp(t->name, f->name) != 0)
		return 0;
	f->peer = *t;
	f->found = 1;
	return 1;
}

/* Whether S is 1.. characters, each a letter, a digit or one of OK:
 * nothing that would end or extend the URI ward writes it into. */
static int only(const char *s, const char *ok)
{
	if (!s[0])
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z') || strchr(ok, *s)))
			return 0;
	return 1;
}

/* NUMBER as a URI's user part: '#' escaped (RFC 3261 25.1 has no '#' in
 * a user part). 0, or -1 when it does not fit CAP. */
static int user_part(const char *number, char *out, size_t cap)
{
	size_t o = 0;

	for (; *number; number++) {
		const char *piece = *number == '#' ? "%23" : NULL;
		size_t len = piece ? 3 : 1;
		if (o + len >= cap)
			return -1;
		if (piece)
			memcpy(out + o, piece, len);
		else
			out[o] = *number;
		o += len;
	}
	out[o] = '\0';
	return 0;
}

int sip_call_trunk_target(const struct sip_directory *dir, const char *name,
			  const char *number, struct sip_device *dev,
			  struct sip_reg_contact *target)
{
	struct find_peer f = {.name = name};
	char user[SIP_CALL_TRUNK_URI_MAX];
	const char *tp;
	int v6, n;

	if (dir->ops->device_by_name(dir->ctx, name, dev) != 0 ||
	    !dev->is_trunk)
		return 1;
	if (!dir->ops->trunk_each ||
	    dir->ops->trunk_each(dir->ctx, on_peer, &f) != 0 || !f.found) {
		log_warn(TAG, "trunk %s: no peer on record for a call", name);
		return -1;
	}
	if (!only(number, "+*#-._!~") || !only(f.peer.host, "-._:") ||
	    user_part(number, user, sizeof user) != 0 || !f.peer.port ||
	    f.peer.port > 65535)
		return -1;
	memset(target, 0, sizeof *target);
	target->transport = f.peer.transport == SIP_TP_TLS   ? SIP_TP_TLS
			    : f.peer.transport == SIP_TP_TCP ? SIP_TP_TCP
							     : SIP_TP_UDP;
	tp = target->transport == SIP_TP_TLS   ? "tls"
	     : target->transport == SIP_TP_TCP ? "tcp"
					       : "udp";
	v6 = strchr(f.peer.host, ':') != NULL;
	n = snprintf(target->uri, sizeof target->uri,
		     "sip:%s@%s%s%s:%u;transport=%s", user, v6 ? "[" : "",
		     f.peer.host, v6 ? "]" : "", f.peer.port, tp);
	if (n < 0 || (size_t)n >= SIP_CALL_TRUNK_URI_MAX)
		return -1;
	target->port = (uint16_t)f.peer.port;
	if (inet_pton(AF_INET, f.peer.host, target->addr) == 1)
		target->family = AF_INET;
	else if (inet_pton(AF_INET6, f.peer.host, target->addr) == 1)
		target->family = AF_INET6;
	return 0;
}

int sip_call_trunk_keys(const struct sip_device *dev, unsigned transport)
{
	return dev->is_trunk && dev->mode == SIP_SECMODE_ENCRYPTED &&
	       transport == SIP_TP_TLS;
}

nta_outgoing_t *sip_call_trunk_answer(struct sip_uac_auth *auth,
				      const struct sip_directory *dir,
				      nta_leg_t *leg, const char *flow,
				      nta_outgoing_t *orq, const sip_t *resp,
				      nta_response_f *cb,
				      nta_outgoing_magic_t *magic)
{
	int proxy =
	    resp && resp->sip_status && resp->sip_status->st_status == 407;
	struct sip_uac_challenge ch;
	struct sip_realm_cred cred;
	char v[SIP_UAC_ANSWER_MAX], uri[SIP_REG_URI_MAX];
	nta_outgoing_t *next = NULL;
	msg_t *req = NULL;
	sip_t *rs;
	int rc;

	if (!resp || sip_uac_choose(proxy ? resp->sip_proxy_authenticate
					  : resp->sip_www_authenticate,
				    &ch) != 0) {
		log_info(TAG, "trunk challenge without a usable Digest one");
		return NULL;
	}
	if (!dir->ops->realm_cred ||
	    dir->ops->realm_cred(dir->ctx, ch.realm, &cred) != 0) {
		log_warn(TAG,
			 "a trunk challenges a call for realm %s: no "
			 "credentials for it",
			 ch.realm);
		return NULL;
	}
	req = nta_outgoing_getrequest(orq);
	rs = req ? sip_object(req) : NULL;
	rc = -1;
	if (rs && rs->sip_request &&
	    url_e(uri, (isize_t)sizeof uri, rs->sip_request->rq_url) > 0 &&
	    strlen(uri) < sizeof uri - 1)
		rc = sip_uac_auth_answer(auth, &ch, "INVITE", uri, cred.user,
					 cred.password, v, sizeof v);
	OPENSSL_cleanse(&cred, sizeof cred);
	if (rc == 0)
		next = nta_outgoing_tcreate(
		    leg, cb, magic, URL_STRING_MAKE(flow), SIP_METHOD_INVITE,
		    URL_STRING_MAKE(uri),
		    TAG_IF(rs->sip_contact, SIPTAG_CONTACT(rs->sip_contact)),
		    TAG_IF(rs->sip_allow, SIPTAG_ALLOW(rs->sip_allow)),
		    TAG_IF(rs->sip_call_info,
			   SIPTAG_CALL_INFO(rs->sip_call_info)),
		    TAG_IF(!proxy, SIPTAG_AUTHORIZATION_STR(v)),
		    TAG_IF(proxy, SIPTAG_PROXY_AUTHORIZATION_STR(v)),
		    TAG_IF(rs->sip_route, SIPTAG_ROUTE(rs->sip_route)),
		    TAG_IF(rs->sip_content_type,
			   SIPTAG_CONTENT_TYPE(rs->sip_content_type)),
		    TAG_IF(rs->sip_payload, SIPTAG_PAYLOAD(rs->sip_payload)),
		    TAG_END());
	OPENSSL_cleanse(v, sizeof v);
	msg_destroy(req);
	if (next)
		log_info(TAG, "trunk challenge for realm %s answered with %s",
			 ch.realm, sip_digest_alg_name(ch.alg));
	return next;
}
