/* uac_options: OPTIONS keepalives to the SIP trunks (uac_options.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct probe;
#define NTA_OUTGOING_MAGIC_T struct probe
#define NTA_LEG_MAGIC_T struct probe

#include <openssl/crypto.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>

#include "common/log.h"
#include "node/sip/call_trunk.h"
#include "node/sip/uac_auth.h"
#include "node/sip/uac_options.h"

#define TAG "sip"

/* One trunk's probe state. */
struct probe {
	struct sip_keepalive *k;
	struct sip_trunk_status st;
	char uri[SIP_DIR_HOST_MAX + 48];
	int used;	     /* the slot holds a trunk */
	int listed;	     /* seen in the current round's listing */
	nta_leg_t *leg;	     /* owned while a probe is in flight */
	nta_outgoing_t *orq; /* owned while a probe is in flight */
	int answered;	     /* a challenge was answered this probe */
	uint64_t sent_ms;    /* monotonic */
	uint64_t sent_wall_ms;
	int tls; /* the probe goes over TLS */
};

struct sip_keepalive {
	nta_agent_t *agent;		 /* borrowed */
	const struct sip_directory *dir; /* borrowed */
	char from[SIP_DIR_HOST_MAX + 16];
	unsigned every_ms;
	uint64_t last_round_ms;
	sip_keepalive_report_fn report;
	void *arg;
	struct sip_uac_auth *auth; /* owned */
	/* Slots keep their place: a probe in flight is nta's magic. */
	struct probe p[SIP_KEEPALIVE_TRUNKS];
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int sip_keepalive_new(struct nta_agent_s *agent,
		      const struct sip_directory *dir, const char *from_uri,
		      unsigned every_s, sip_keepalive_report_fn report,
		      void *arg, struct sip_keepalive **out)
{
	struct sip_keepalive *k = calloc(1, sizeof *k);

	if (!k)
		return -1;
	if (sip_uac_auth_new(SIP_KEEPALIVE_TRUNKS, &k->auth) != 0) {
		free(k);
		return -1;
	}
	k->agent = agent;
	k->dir = dir;
	snprintf(k->from, sizeof k->from, "<%s>", from_uri);
	k->every_ms = every_s * 1000;
	k->report = report;
	k->arg = arg;
	*out = k;
	return 0;
}

static void probe_end(struct probe *p)
{
	if (p->orq)
		nta_outgoing_destroy(p->orq);
	if (p->leg)
		nta_leg_destroy(p->leg);
	p->orq = NULL;
	p->leg = NULL;
}

void sip_keepalive_free(struct sip_keepalive *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < SIP_KEEPALIVE_TRUNKS; i++)
		probe_end(&k->p[i]);
	sip_uac_auth_free(k->auth);
	free(k);
}

static int on_response(struct probe *p, nta_outgoing_t *orq, const sip_t *sip);

static int send_probe(struct probe *p, const char *auth_hdr, int proxy)
{
	p->orq = nta_outgoing_tcreate(
	    p->leg, on_response, p, NULL, SIP_METHOD_OPTIONS,
	    URL_STRING_MAKE(p->uri),
	    TAG_IF(auth_hdr && !proxy, SIPTAG_AUTHORIZATION_STR(auth_hdr)),
	    TAG_IF(auth_hdr && proxy, SIPTAG_PROXY_AUTHORIZATION_STR(auth_hdr)),
	    SIPTAG_ACCEPT_STR("application/sdp"), TAG_END());
	return p->orq ? 0 : -1;
}

/* Answers the challenge of SIP (a 401 or 407) with the realm's
 * credentials: 0 when the answer went, -1 when there is none to give. */
static int answer(struct probe *p, const sip_t *sip, int status)
{
	struct sip_keepalive *k = p->k;
	struct sip_uac_challenge ch;
	struct sip_realm_cred cred;
	char v[SIP_UAC_ANSWER_MAX];
	int proxy = status == 407, rc;

	if (!sip || sip_uac_choose(proxy ? sip->sip_proxy_authenticate
					 : sip->sip_www_authenticate,
				   &ch) != 0)
		return -1;
	if (!k->dir->ops->realm_cred ||
	    k->dir->ops->realm_cred(k->dir->ctx, ch.realm, &cred) != 0) {
		log_warn(TAG,
			 "trunk %s challenges the keepalive for realm %s: no "
			 "credentials for it",
			 p->st.name, ch.realm);
		return -1;
	}
	rc = sip_uac_auth_answer(k->auth, &ch, "OPTIONS", p->uri, cred.user,
				 cred.password, v, sizeof v);
	OPENSSL_cleanse(&cred, sizeof cred);
	if (rc != 0)
		return -1;
	nta_outgoing_destroy(p->orq);
	p->orq = NULL;
	p->answered = 1;
	snprintf(p->st.auth, sizeof p->st.auth, "%s",
		 sip_digest_alg_name(ch.alg));
	rc = send_probe(p, v, proxy);
	OPENSSL_cleanse(v, sizeof v);
	return rc;
}

static int on_response(struct probe *p, nta_outgoing_t *orq, const sip_t *sip)
{
	int status = nta_outgoing_status(orq);
	int was = p->st.reachable;

	if (status < 200)
		return 0;
	if (!p->used) { /* the trunk went meanwhile */
		probe_end(p);
		return 0;
	}
	if ((status == 401 || status == 407) && !p->answered &&
	    answer(p, sip, status) == 0)
		return 0;
	p->st.tls_refused[0] = '\0';
	/* The peer's certificate refused before anything went: 502, why. */
	if (p->tls && status == 503 &&
	    sip_call_trunk_tls_refused(p->st.name, p->sent_wall_ms,
				       p->st.tls_refused,
				       sizeof p->st.tls_refused))
		status = 502;
	p->st.status = status;
	p->st.reachable = status != 408 && status != 503 && status != 502;
	p->st.auth_refused = (status == 401 || status == 407) && p->answered;
	if (!p->answered)
		p->st.auth[0] = '\0';
	p->st.checked_ms = wall_ms();
	p->st.rtt_ms = (unsigned)(mono_ms() - p->sent_ms);
	if (was != p->st.reachable || p->st.probes == 1)
		log_info(TAG, "trunk %s %s (%d%s%s%s%s)", p->st.name,
			 p->st.reachable ? "reachable" : "unreachable", status,
			 p->answered ? " after a challenge answered with " : "",
			 p->answered ? p->st.auth : "",
			 p->st.tls_refused[0] ? ": TLS peer refused, " : "",
			 p->st.tls_refused);
	probe_end(p);
	if (p->k->report)
		p->k->report(p->k->arg, &p->st);
	return 0;
}

static struct probe *find(struct sip_keepalive *k, const char *name)
{
	for (size_t i = 0; i < SIP_KEEPALIVE_TRUNKS; i++)
		if (k->p[i].used && strcmp(k->p[i].st.name, name) == 0)
			return &k->p[i];
	return NULL;
}

static struct probe *slot_new(struct sip_keepalive *k, const char *name)
{
	for (size_t i = 0; i < SIP_KEEPALIVE_TRUNKS; i++) {
		struct probe *p = &k->p[i];
		if (p->used || p->orq)
			continue;
		memset(p, 0, sizeof *p);
		p->used = 1;
		p->k = k;
		snprintf(p->st.name, sizeof p->st.name, "%s", name);
		return p;
	}
	return NULL;
}

/* A trunk listed: its probe goes unless one is still in flight. */
static int on_trunk(void *arg, const struct sip_trunk_peer *t)
{
	struct sip_keepalive *k = arg;
	struct probe *p = find(k, t->name);
	int v6 = strchr(t->host, ':') != NULL;

	if (!p && !(p = slot_new(k, t->name)))
		return 1; /* more trunks than slots */
	p->listed = 1;
	snprintf(p->uri, sizeof p->uri, "sip:%s%s%s:%u;transport=%s",
		 v6 ? "[" : "", t->host, v6 ? "]" : "", t->port,
		 t->transport == SIP_TP_TLS   ? "tls"
		 : t->transport == SIP_TP_TCP ? "tcp"
					      : "udp");
	if (p->orq)
		return 0;
	p->leg = nta_leg_tcreate(k->agent, NULL, NULL, SIPTAG_FROM_STR(k->from),
				 SIPTAG_TO_STR(p->uri), TAG_END());
	if (!p->leg)
		return 0;
	nta_leg_tag(p->leg, NULL);
	p->answered = 0;
	p->sent_ms = mono_ms();
	p->sent_wall_ms = wall_ms();
	p->tls = t->transport == SIP_TP_TLS;
	p->st.probes++;
	if (send_probe(p, NULL, 0) != 0) {
		log_warn(TAG, "trunk %s: cannot send the keepalive to %s",
			 t->name, p->uri);
		probe_end(p);
	}
	return 0;
}

void sip_keepalive_tick(struct sip_keepalive *k, uint64_t now_ms)
{
	if (!k || !k->every_ms || !k->dir->ops->trunk_each)
		return;
	if (k->last_round_ms && now_ms - k->last_round_ms < k->every_ms)
		return;
	k->last_round_ms = now_ms;
	for (size_t i = 0; i < SIP_KEEPALIVE_TRUNKS; i++)
		k->p[i].listed = 0;
	if (k->dir->ops->trunk_each(k->dir->ctx, on_trunk, k) != 0)
		return;
	/* Trunks gone from the directory: forgotten (a probe in flight
	 * ends on its own, its slot reused only after). */
	for (size_t i = 0; i < SIP_KEEPALIVE_TRUNKS; i++) {
		struct probe *p = &k->p[i];
		if (!p->used || p->listed)
			continue;
		p->used = 0;
		p->st.removed = 1;
		if (k->report)
			k->report(k->arg, &p->st);
	}
}
