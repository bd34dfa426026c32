/* call_trunk: calls through SIP trunks (call_trunk.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>

struct call;
#define NTA_OUTGOING_MAGIC_T struct call

#include <sofia-sip/nta.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>
#include <sofia-sip/url.h>

#include "common/addr.h"
#include "common/log.h"
#include "node/sip/call_trunk.h"
#include "node/sip/x509match.h"

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

int sip_call_trunk_keys(const struct sip_device *dev, unsigned transport,
			int verified)
{
	return dev->is_trunk && dev->mode == SIP_SECMODE_ENCRYPTED &&
	       transport == SIP_TP_TLS && verified;
}

int sip_call_trunk_in_verified(const struct sip_device *dev,
			       const struct sip_peer *peer)
{
	return peer->transport == SIP_TP_TLS && peer->cert.present &&
	       peer->cert.verified &&
	       (!dev->x509_subject[0] ||
		sip_x509_names_match(dev->x509_subject, &peer->cert.names,
				     peer->cert.cn));
}

int sip_call_trunk_cert_ok(const struct sip_directory *dir,
			   const struct sip_device *dev,
			   const struct sip_tls_cert *cert, char *why,
			   size_t whycap)
{
	int kind;

	if (!cert->present) {
		snprintf(why, whycap, "no certificate");
		return 0;
	}
	if (!cert->chain_ok) {
		snprintf(why, whycap, "certificate not trusted: %s",
			 cert->verify_error);
		return 0;
	}
	/* As for a trunk calling in (agent.c): a trunk-peer entry, the
	 * cluster CA or a mic-root. */
	kind = dir->ops->trust_root
		   ? dir->ops->trust_root(dir->ctx, cert->root_fp)
		   : SIP_DIR_NOTFOUND;
	if (kind != SIP_TRUST_TRUNK_PEER && kind != SIP_TRUST_LSC_CA &&
	    kind != SIP_TRUST_MIC_ROOT) {
		snprintf(why, whycap,
			 "certificate not trusted: root not in the trust "
			 "store");
		return 0;
	}
	if (dev->x509_subject[0] &&
	    !sip_x509_names_match(dev->x509_subject, &cert->names, cert->cn)) {
		snprintf(why, whycap,
			 "certificate is not the profile's X.509 subject");
		return 0;
	}
	return 1;
}

/* Finding the trunk whose peer a connection reached. */
struct find_addr {
	const struct sockaddr *sa;
	const struct sip_tls_cert *cert;
	char name[SIP_DIR_NAME_MAX];
	int found;
};

/* Whether the certificate names HOST in its CN or a DNS name. */
static int cert_names(const struct sip_tls_cert *c, const char *host)
{
	if (!c->present)
		return 0;
	if (c->cn[0] && strcasecmp(c->cn, host) == 0)
		return 1;
	for (unsigned i = 0; i < c->names.ndns && i < SIP_X509_DNS_MAX; i++)
		if (strcasecmp(c->names.dns[i], host) == 0)
			return 1;
	return 0;
}

static int on_addr(void *arg, const struct sip_trunk_peer *t)
{
	struct find_addr *f = arg;
	const struct sockaddr *sa = f->sa;
	uint8_t a[16];
	int hit = 0;

	if (t->transport != SIP_TP_TLS)
		return 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;
		if (ntohs(s4->sin_port) != t->port)
			return 0;
		if (inet_pton(AF_INET, t->host, a) == 1)
			hit = memcmp(a, &s4->sin_addr, 4) == 0;
		else if (inet_pton(AF_INET6, t->host, a) != 1)
			hit = cert_names(f->cert, t->host);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		if (ntohs(s6->sin6_port) != t->port)
			return 0;
		if (inet_pton(AF_INET6, t->host, a) == 1)
			hit = memcmp(a, &s6->sin6_addr, 16) == 0;
		else if (inet_pton(AF_INET, t->host, a) != 1)
			hit = cert_names(f->cert, t->host);
	}
	if (!hit)
		return 0;
	snprintf(f->name, sizeof f->name, "%s", t->name);
	f->found = 1;
	return 1;
}

int sip_call_trunk_tls_check(const struct sip_directory *dir,
			     const struct sockaddr *sa,
			     const struct sip_tls_cert *cert, char *trunk,
			     size_t tcap, char *why, size_t whycap)
{
	struct find_addr f = {.sa = sa, .cert = cert};
	struct sip_device dev;

	trunk[0] = '\0';
	why[0] = '\0';
	if (!dir->ops->trunk_each ||
	    dir->ops->trunk_each(dir->ctx, on_addr, &f) != 0) {
		snprintf(why, whycap, "trunks unreadable");
		return -1;
	}
	if (!f.found) {
		/* Not a trunk's peer (a member, a phone): libssl's chain
		 * check alone, as before. A trunk peer's certificate there
		 * is a trunk at an address it is not on record with. */
		if (cert->present && cert->chain_ok && dir->ops->trust_root &&
		    dir->ops->trust_root(dir->ctx, cert->root_fp) ==
			SIP_TRUST_TRUNK_PEER) {
			snprintf(why, whycap,
				 "a trunk peer's certificate at an address "
				 "no trunk is on record with");
			return -1;
		}
		return 0;
	}
	snprintf(trunk, tcap, "%s", f.name);
	if (dir->ops->device_by_name(dir->ctx, f.name, &dev) != 0 ||
	    !dev.is_trunk) {
		snprintf(why, whycap, "trunk record unreadable");
		return -1;
	}
	return sip_call_trunk_cert_ok(dir, &dev, cert, why, whycap) ? 0 : -1;
}

/* The refusals of the last connections ward opened to trunks, on this
 * thread: for the caller's status and the keepalive's report. */
#define REFUSALS 16

struct refusal {
	char trunk[SIP_DIR_NAME_MAX];
	char why[SIP_CALL_TRUNK_WHY_MAX];
	uint64_t at_ms;
	uint64_t seq; /* 0: free; the lowest is replaced */
};

static __thread struct refusal refusals[REFUSALS];
static __thread uint64_t refusal_seq;

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void sip_call_trunk_tls_note(const char *trunk, const char *why)
{
	struct refusal *r = &refusals[0];

	for (size_t i = 0; i < REFUSALS; i++) {
		if (strcmp(refusals[i].trunk, trunk) == 0) {
			r = &refusals[i];
			break;
		}
		if (refusals[i].seq < r->seq)
			r = &refusals[i];
	}
	snprintf(r->trunk, sizeof r->trunk, "%s", trunk);
	snprintf(r->why, sizeof r->why, "%s", why);
	r->at_ms = wall_ms();
	r->seq = ++refusal_seq;
}

int sip_call_trunk_tls_refused(const char *trunk, uint64_t since_ms, char *why,
			       size_t whycap)
{
	for (size_t i = 0; i < REFUSALS; i++)
		if (refusals[i].seq && refusals[i].at_ms >= since_ms &&
		    strcmp(refusals[i].trunk, trunk) == 0) {
			if (why)
				snprintf(why, whycap, "%s", refusals[i].why);
			return 1;
		}
	return 0;
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

int sip_call_trunk_tls_hook(void *dir, const struct sockaddr *sa,
			    const struct sip_tls_cert *cert)
{
	char trunk[SIP_DIR_NAME_MAX], why[SIP_CALL_TRUNK_WHY_MAX],
	    who[INET6_ADDRSTRLEN + 16];

	if (sip_call_trunk_tls_check(dir, sa, cert, trunk, sizeof trunk, why,
				     sizeof why) == 0)
		return 0;
	addr_sa_format(sa, who, sizeof who);
	if (trunk[0]) {
		log_warn(TAG,
			 "TLS connection to trunk %s at %s refused, nothing "
			 "sent: %s",
			 trunk, who, why);
		sip_call_trunk_tls_note(trunk, why);
	} else {
		log_warn(TAG, "TLS connection to %s refused, nothing sent: %s",
			 who, why);
	}
	return -1;
}
