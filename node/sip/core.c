/* core: sanity checks, dispatch, digest authentication and device checks
 * for one request. */
#include "node/sip/core_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/url.h>

#include "common/errmsg.h"
#include "common/log.h"
#include "node/sip/overload.h"

#define TAG "sip"
#define SUMMARY_EVERY_MS 60000

void sip_core_config_defaults(struct sip_core_config *cfg)
{
	*cfg = (struct sip_core_config){
	    .node_id = 0,
	    .min_expires = 60,
	    .max_expires = 3600,
	    .default_expires = 3600,
	    .max_devices = 100000,
	    .nc_slots = 1 << 17,
	    .rate = 200,
	    .burst = 400,
	    .fail_max = 20,
	    .digest_algs = (1u << SIP_DIGEST_NALG) - 1,
	};
	sip_presence_config_defaults(&cfg->presence);
}

void sip_core_dialog_event(void *core, const struct sip_dialog_event *ev)
{
	struct sip_core *c = core;

	sip_presence_on_event(c->presence, ev);
	if (c->hooks.dialog_event)
		c->hooks.dialog_event(c->hooks.dialog_arg, ev);
}

/* The registrar's owner hook: the node's hook, then the watchers. */
static void core_owner(void *arg, const char *device,
		       const struct sip_reg_contact *b)
{
	struct sip_core *c = arg;
	struct sip_dialog_event ev = {
	    .device = device,
	    .line = "",
	    .call_id = "",
	    .peer = "",
	    .state = b ? SIP_DLG_REGISTERED : SIP_DLG_UNREGISTERED,
	};

	if (c->hooks.owner)
		c->hooks.owner(c->hooks.arg, device, b);
	sip_core_dialog_event(c, &ev);
}

/* Registered: a binding here, or another node named by the replicated
 * registrations table (written when a device's first binding comes and
 * its last goes, never on a refresh: a node that died holding a device
 * keeps naming it until the device registers elsewhere). */
static int core_registered(void *arg, const char *device)
{
	struct sip_core *c = arg;
	struct sip_reg_contact b[SIP_REG_CONTACTS];
	uint64_t node = 0;

	/* Bindings past their time go at the next tick, which tells the
	 * watchers: until then the device counts as registered. */
	if (sip_registrar_get(c->reg, device, 0, b) > 0)
		return 1;
	return c->dir->ops->registration &&
	       c->dir->ops->registration(c->dir->ctx, device, &node) == 0 &&
	       node != c->cfg.node_id;
}

int sip_core_new(const struct sip_core_config *cfg,
		 const struct sip_directory *dir,
		 const struct sip_core_hooks *hooks, struct sip_core **out,
		 char *errmsg, size_t errcap)
{
	struct sip_core *c = calloc(1, sizeof *c);
	struct sip_limit_config lc = {
	    .rate = cfg->rate,
	    .burst = cfg->burst ? cfg->burst : 1,
	    .fail_max = cfg->fail_max,
	    .fail_window_s = 60,
	    .slots = 16384,
	};

	if (!c) {
		errmsg_set(errmsg, errcap, "out of memory");
		return -1;
	}
	c->cfg = *cfg;
	c->dir = dir;
	if (hooks)
		c->hooks = *hooks;
	if (dir->ops->cluster(dir->ctx, &c->cluster) != 0) {
		errmsg_set(errmsg, errcap,
			   "sip: no cluster settings (realm, nonce secret)");
		goto err_after_alloc;
	}
	if (sip_digest_new(c->cluster.nonce_secret, cfg->nc_slots, &c->digest,
			   errmsg, errcap) != 0)
		goto err_after_alloc;
	if (sip_registrar_new(cfg->max_devices, core_owner, c, &c->reg) != 0 ||
	    sip_limit_new(&lc, &c->limit) != 0 ||
	    sip_presence_new(&cfg->presence, dir, core_registered, c,
			     &c->presence) != 0) {
		errmsg_set(errmsg, errcap, "sip: out of memory");
		goto err_after_alloc;
	}
	*out = c;
	return 0;

err_after_alloc:
	sip_core_free(c);
	return -1;
}

void sip_core_free(struct sip_core *c)
{
	if (!c)
		return;
	sip_presence_free(c->presence);
	sip_limit_free(c->limit);
	sip_registrar_free(c->reg);
	sip_digest_free(c->digest);
	OPENSSL_cleanse(&c->cluster, sizeof c->cluster);
	free(c);
}

struct sip_registrar *sip_core_registrar(struct sip_core *c)
{
	return c->reg;
}

struct sip_presence *sip_core_presence(struct sip_core *c)
{
	return c->presence;
}

void sip_core_stats(const struct sip_core *c, struct sip_core_stats *out)
{
	*out = c->stats;
}

void core_reply(struct sip_reply *out, int status, const char *phrase)
{
	out->status = status;
	out->phrase = phrase;
}

void core_reply_hdr(struct sip_reply *out, const char *name, const char *value)
{
	if (out->nhdr >= SIP_REPLY_HDRS)
		return;
	snprintf(out->hdr[out->nhdr++], sizeof out->hdr[0], "%s: %s", name,
		 value);
}

void core_peer_text(const struct sip_peer *peer, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (peer->addr.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)&peer->addr;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
		port = ntohs(a->sin_port);
		snprintf(out, cap, "%s:%u", host, port);
	} else if (peer->addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)&peer->addr;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
		port = ntohs(a->sin6_port);
		snprintf(out, cap, "[%s]:%u", host, port);
	} else {
		snprintf(out, cap, "?");
	}
}

void core_fail(struct sip_core *c, const struct sip_peer *peer,
	       const char *name, const char *why)
{
	if (c->hooks.fail)
		c->hooks.fail(c->hooks.arg,
			      (const struct sockaddr *)&peer->addr,
			      name ? name : "", why);
}

static const char *tp_name(unsigned tp)
{
	return tp == SIP_TP_TLS ? "TLS" : tp == SIP_TP_TCP ? "TCP" : "UDP";
}

static uint32_t str_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; s && *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static void challenge(struct sip_core *c, uint64_t now_ms, int proxy, int stale,
		      struct sip_reply *out)
{
	char nonce[SIP_DIGEST_NONCE_TEXT], v[SIP_DIGEST_CHALLENGE_MAX];

	if (sip_digest_nonce(c->digest, now_ms, nonce) != 0) {
		core_reply(out, 500, "Server Internal Error");
		return;
	}
	core_reply(out, proxy ? 407 : 401,
		   proxy ? "Proxy Authentication Required" : "Unauthorized");
	for (int a = 0; a < SIP_DIGEST_NALG; a++)
		if ((c->cfg.digest_algs & (1u << a)) &&
		    sip_digest_challenge(c->digest, (enum sip_digest_alg)a,
					 c->cluster.realm, nonce, stale,
					 v) == 0)
			core_reply_hdr(out,
				       proxy ? "Proxy-Authenticate"
					     : "WWW-Authenticate",
				       v);
	c->stats.challenged++;
}

/* The credentials' uri names the Request-URI (RFC 7616 3.4.6, RFC 3261
 * 22.4): the same text, or the same URI by RFC 3261 19.1.4's comparison.
 * Without it, an answer captured for one request would authorise
 * another. */
static int uri_matches(const sip_t *sip, const char *uri)
{
	char rq[SIP_DIGEST_FIELD_MAX], copy[SIP_DIGEST_FIELD_MAX];
	isize_t n = url_e(rq, sizeof rq, sip->sip_request->rq_url);
	url_t u;

	if (n > 0 && (size_t)n < sizeof rq) {
		rq[n] = '\0';
		if (strcmp(rq, uri) == 0)
			return 1;
	}
	snprintf(copy, sizeof copy, "%s", uri);
	return url_d(&u, copy) == 0 && u.url_type != url_unknown &&
	       url_cmp_all(&u, sip->sip_request->rq_url) == 0;
}

int core_authenticate(struct sip_core *c, const sip_t *sip,
		      const struct sip_peer *peer, uint64_t now_ms,
		      unsigned validity_s, const char *expect_user, int proxy,
		      struct sip_authn *authn, struct sip_reply *out)
{
	const msg_auth_t *au =
	    proxy ? sip->sip_proxy_authorization : sip->sip_authorization;
	struct sip_digest_creds *best = NULL, cand[2];
	struct sip_user u = {0};
	enum sip_digest_verdict v;
	int malformed = 0, r, known;
	unsigned n = 0;

	/* The strongest Digest answer to our realm; at most 8 headers. */
	for (; au && n < 8; au = au->au_next, n++) {
		struct sip_digest_creds *slot =
		    best == &cand[0] ? &cand[1] : &cand[0];
		if (!au->au_scheme || strcasecmp(au->au_scheme, "Digest"))
			continue;
		if (sip_digest_parse(au->au_params, slot) != 0) {
			malformed = 1;
			continue;
		}
		if (strcmp(slot->realm, c->cluster.realm) != 0 ||
		    !(c->cfg.digest_algs & (1u << slot->alg)))
			continue;
		if (!best || slot->alg < best->alg)
			best = slot;
	}
	if (!best) {
		if (malformed) {
			core_reply(out, 400, "Malformed Credentials");
			c->stats.bad++;
			return 1;
		}
		challenge(c, now_ms, proxy, 0, out);
		return 1;
	}
	if (!c->cfg.digest_uri_any && !uri_matches(sip, best->uri)) {
		/* Known user or not, the same refusal, before any lookup. */
		c->stats.auth_failed++;
		sip_limit_fail(c->limit, (const struct sockaddr *)&peer->addr,
			       now_ms);
		core_fail(c, peer, best->username,
			  "credentials for another URI");
		core_reply(out, 400, "Credentials URI Mismatch");
		return 1;
	}
	r = c->dir->ops->user(c->dir->ctx, best->username, best->alg, &u);
	if (r < 0) {
		core_reply(out, 503, "Service Unavailable");
		return 1;
	}
	known = r == 0 && u.ha1_len > 0 &&
		(!expect_user || strcmp(expect_user, best->username) == 0);
	v = sip_digest_verify(c->digest, best, sip->sip_request->rq_method_name,
			      known ? u.ha1 : NULL, known ? u.ha1_len : 0,
			      now_ms, validity_s, sip->sip_cseq->cs_seq,
			      str_hash(sip->sip_call_id->i_id));
	authn->methods = u.methods;
	authn->is_app = u.is_app;
	OPENSSL_cleanse(&u, sizeof u);
	switch (v) {
	case SIP_DIGEST_OK:
		snprintf(authn->user, sizeof authn->user, "%s", best->username);
		return 0;
	case SIP_DIGEST_STALE:
		challenge(c, now_ms, proxy, 1, out);
		return 1;
	case SIP_DIGEST_MALFORMED:
		core_reply(out, 400, "Malformed Credentials");
		c->stats.bad++;
		return 1;
	case SIP_DIGEST_BAD:
	case SIP_DIGEST_REPLAY:
	default:
		c->stats.auth_failed++;
		sip_limit_fail(c->limit, (const struct sockaddr *)&peer->addr,
			       now_ms);
		core_fail(c, peer, best->username,
			  v == SIP_DIGEST_REPLAY ? "replayed nonce count"
						 : "wrong digest response");
		challenge(c, now_ms, proxy, 0, out);
		return 1;
	}
}

static void forbid(struct sip_core *c, const struct sip_device *dev,
		   const struct sip_peer *peer, const char *method,
		   const char *why, struct sip_reply *out)
{
	char src[64];

	core_peer_text(peer, src, sizeof src);
	log_warn(TAG, "%s from %s (%s) as %s refused: %s", method, src,
		 tp_name(peer->transport), dev->name, why);
	core_reply(out, 403, "Forbidden");
	c->stats.forbidden++;
	core_fail(c, peer, dev->name, why);
}

int core_check_device(struct sip_core *c, const struct sip_device *dev,
		      const struct sip_peer *peer, const char *method,
		      struct sip_reply *out)
{
	const struct sip_peer_cert *pc = &peer->cert;
	int in_group = dev->ngroup == 0;

	if (c->cluster.secure && dev->mode != SIP_SECMODE_NONSECURE) {
		const char *why = NULL;
		if (peer->transport != SIP_TP_TLS)
			why = "profile requires TLS";
		else if (!pc->present)
			why = "no client certificate";
		else if (!pc->verified)
			why = pc->why[0] ? pc->why : "certificate not trusted";
		else if (strcmp(pc->cn, dev->name) != 0)
			why = "certificate names another device";
		else if (dev->has_lsc &&
			 (pc->kind != SIP_REG_CERT_LSC ||
			  CRYPTO_memcmp(pc->fp, dev->lsc_fp, 32) != 0))
			why = "not the LSC on record";
		else if (!dev->has_lsc && pc->kind != SIP_REG_CERT_MIC)
			why = "LSC not on record";
		if (why) {
			forbid(c, dev, peer, method, why, out);
			return -1;
		}
	}
	if (c->cluster.secure && !(dev->transports & peer->transport)) {
		forbid(c, dev, peer, method, "transport not in profile", out);
		return -1;
	}
	for (unsigned i = 0; i < dev->ngroup && i < SIP_DIR_GROUP_MAX; i++)
		if (dev->group[i] == c->cfg.node_id)
			in_group = 1;
	if (!in_group) {
		forbid(c, dev, peer, method, "node not in the device's group",
		       out);
		return -1;
	}
	return 0;
}

/* Requests sofia parsed but that are not well-formed SIP for us. */
static const char *malformed(const sip_t *sip)
{
	if (sip->sip_error)
		return "Bad Header";
	/* Not a URI at all, such as one in <> (RFC 4475 3.1.2.7). */
	if (sip->sip_request->rq_url->url_type == url_invalid)
		return "Bad Request-URI";
	if (!sip->sip_from || !sip->sip_to || !sip->sip_call_id ||
	    !sip->sip_cseq)
		return "Missing Mandatory Header";
	if (sip->sip_cseq->cs_method != sip->sip_request->rq_method ||
	    (sip->sip_cseq->cs_method == sip_method_unknown &&
	     strcmp(sip->sip_cseq->cs_method_name,
		    sip->sip_request->rq_method_name) != 0))
		return "CSeq Method Mismatch";
	if (sip->sip_via->v_next && !sip->sip_via->v_next->v_protocol)
		return "Bad Via";
	/* A datagram shorter than its Content-Length was cut (RFC 3261
	 * 18.3); streams are framed by it, so there the two agree. Without
	 * one the body is the rest of the datagram (RFC 3261 18.3, as RFC
	 * 2543 agents send it: RFC 4475 3.4.1). */
	if (sip->sip_content_length &&
	    sip->sip_content_length->l_length !=
		(sip->sip_payload ? sip->sip_payload->pl_len : 0))
		return "Bad Content-Length";
	return NULL;
}

/* RFC 3261 8.2.2.3: options in Require or Proxy-Require (ward is the
 * phones' first proxy and their UAS) that ward does not know get 420 and
 * an Unsupported header naming them. */
static int unsupported(const sip_t *sip, struct sip_reply *out)
{
	static const char *const known[] = {"outbound", "path", "replaces",
					    "timer", "100rel", "join"};
	const sip_require_t *h[2] = {sip->sip_require, sip->sip_proxy_require};
	char list[256] = "";
	size_t used = 0;

	for (int i = 0; i < 2; i++)
		for (; h[i]; h[i] = h[i]->k_next)
			for (size_t j = 0; h[i]->k_items && h[i]->k_items[j];
			     j++) {
				const char *opt = h[i]->k_items[j];
				size_t k = 0;
				int n;

				while (k < sizeof known / sizeof known[0] &&
				       strcasecmp(opt, known[k]) != 0)
					k++;
				if (k < sizeof known / sizeof known[0])
					continue;
				n = snprintf(list + used, sizeof list - used,
					     "%s%s", used ? ", " : "", opt);
				if (n < 0 || (size_t)n >= sizeof list - used)
					break; /* enough named */
				used += (size_t)n;
			}
	if (!used)
		return 0;
	core_reply(out, 420, "Bad Extension");
	core_reply_hdr(out, "Unsupported", list);
	return 1;
}

void sip_core_set_overload(struct sip_core *c, struct sip_overload *o,
			   unsigned retry_after_s)
{
	c->overload = o;
	c->overload_retry_s = retry_after_s ? retry_after_s : 1;
}

/* A request that would open a dialog (RFC 3261 12.1; RFC 6665; an
 * out-of-dialog REFER): refused first under overload. */
static int opens_dialog(const sip_t *sip)
{
	sip_method_t m = sip->sip_request->rq_method;

	return !sip->sip_to->a_tag &&
	       (m == sip_method_invite || m == sip_method_subscribe ||
		m == sip_method_refer);
}

/* A Retry-After spread over [s, 2s] so that the refused do not all come
 * back in the same second; the refusal counted. */
unsigned sip_core_overload_refused(struct sip_core *c)
{
	unsigned s = c->overload_retry_s ? c->overload_retry_s : 1;

	c->overload_jitter = c->overload_jitter * 1103515245u + 12345u;
	c->stats.overloaded++;
	return s + (c->overload_jitter >> 16) % (s + 1);
}

static void refuse_overloaded(struct sip_core *c, struct sip_reply *out)
{
	char v[16];

	snprintf(v, sizeof v, "%u", sip_core_overload_refused(c));
	core_reply(out, 503, "Service Unavailable");
	core_reply_hdr(out, "Retry-After", v);
}

void sip_core_handle(struct sip_core *c, const sip_t *sip, size_t msg_size,
		     const struct sip_peer *peer, uint64_t now_ms,
		     struct sip_reply *out)
{
	struct sip_device trunk;
	const char *bad;
	int r;

	memset(out, 0, sizeof *out);
	c->stats.requests++;
	if (!sip || !sip->sip_request || !sip->sip_via) {
		c->stats.dropped++; /* no Via: nowhere to answer */
		return;
	}
	if (!sip_limit_admit(c->limit, (const struct sockaddr *)&peer->addr,
			     now_ms)) {
		/* Over the limit: silence costs the least; a stream
		 * connection is closed. */
		c->stats.dropped++;
		out->close = peer->transport != SIP_TP_UDP;
		return;
	}
	(void)msg_size;
	if (!sip->sip_request->rq_version ||
	    strcmp(sip->sip_request->rq_version, "SIP/2.0") != 0) {
		c->stats.bad++;
		core_reply(out, 505, "Version Not Supported");
		return;
	}
	if ((bad = malformed(sip)) != NULL) {
		c->stats.bad++;
		core_reply(out, 400, bad);
		return;
	}
	if (sip->sip_max_forwards && sip->sip_max_forwards->mf_count == 0 &&
	    sip->sip_request->rq_method != sip_method_register) {
		core_reply(out, 483, "Too Many Hops");
		return;
	}
	if (sip->sip_request->rq_method == sip_method_ack)
		return; /* nothing answers an ACK */
	if (sip->sip_request->rq_url->url_type != url_sip &&
	    sip->sip_request->rq_url->url_type != url_sips &&
	    sip->sip_request->rq_url->url_type != url_tel) {
		core_reply(out, 416, "Unsupported URI Scheme");
		return;
	}
	if (c->overload && opens_dialog(sip) &&
	    !sip_overload_admit(c->overload)) {
		refuse_overloaded(c, out);
		return;
	}
	if (sip->sip_request->rq_method != sip_method_cancel &&
	    unsupported(sip, out))
		return;
	switch (sip->sip_request->rq_method) {
	case sip_method_cancel:
		core_reply(out, 481, "Call/Transaction Does Not Exist");
		return;
	case sip_method_options:
		core_reply(out, 200, "OK");
		return;
	case sip_method_register:
		core_handle_register(c, sip, peer, now_ms, out);
		return;
	default:
		break;
	}
	r = c->dir->ops->trunk_by_addr(
	    c->dir->ctx, (const struct sockaddr *)&peer->addr, &trunk);
	if (r < 0) {
		core_reply(out, 503, "Service Unavailable");
		return;
	}
	if (r == 0)
		core_handle_trunk(c, sip, &trunk, peer, now_ms, out);
	else
		core_handle_device_request(c, sip, peer, now_ms, out);
}

void sip_core_tick(struct sip_core *c, uint64_t now_ms)
{
	struct sip_cluster cl;
	struct sip_limit_summary s;

	sip_registrar_expire(c->reg, now_ms / 1000);
	sip_presence_tick(c->presence, now_ms);
	if (c->dir->ops->cluster(c->dir->ctx, &cl) == 0) {
		if (CRYPTO_memcmp(cl.nonce_secret, c->cluster.nonce_secret,
				  SIP_DIGEST_SECRET_LEN) != 0)
			sip_digest_set_secret(c->digest, cl.nonce_secret);
		c->cluster = cl;
		OPENSSL_cleanse(&cl, sizeof cl);
	}
	if (!c->last_summary_ms)
		c->last_summary_ms = now_ms;
	if (now_ms - c->last_summary_ms < SUMMARY_EVERY_MS)
		return;
	c->last_summary_ms = now_ms;
	if (c->stats.overloaded != c->overload_logged)
		log_warn(TAG,
			 "last minute: %llu new dialogs refused 503 under "
			 "overload",
			 (unsigned long long)(c->stats.overloaded -
					      c->overload_logged));
	c->overload_logged = c->stats.overloaded;
	sip_limit_take_summary(c->limit, &s);
	if (s.failures || s.dropped)
		log_warn(TAG,
			 "last minute: %llu authentication failures (most: "
			 "%llu from %s), %llu messages dropped by limits, %llu "
			 "sources blocked",
			 (unsigned long long)s.failures,
			 (unsigned long long)s.top_failures,
			 s.top[0] ? s.top : "-", (unsigned long long)s.dropped,
			 (unsigned long long)s.blocked_sources);
}
