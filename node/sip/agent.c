/* agent: the signaling thread — su_root, a stateless nta agent, its
 * transports, and the glue from sofia's parsed messages to the core. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

struct sip_role;
#define NTA_AGENT_MAGIC_T struct sip_role
#define NTA_OUTGOING_MAGIC_T struct sip_role
#define SU_ROOT_MAGIC_T struct sip_role
#define SU_TIMER_ARG_T struct sip_role

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/nta_stateless.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/tport.h>
#include <sofia-sip/tport_tag.h>

#include "common/errmsg.h"
#include "common/log.h"
#include "node/sip/call.h"
#include "node/sip/call_node.h"
#include "node/sip/call_trunk.h"
#include "node/sip/conn.h"
#include "node/sip/overload.h"
#include "node/sip/presence_node.h"
#include "node/sip/sip.h"
#include "node/sip/tls_peer.h"
#include "node/sip/tls_reload.h"
#include "node/sip/uac_options.h"

#define TAG "sip"
#define TIMER_MS 100
/* Flooders' connections closed at the next tick, at most this many per
 * tick (the next message of another one is dropped and queued again). */
#define CLOSE_MAX 64
/* TCP/TLS connections tracked for the per-source cap (a power of 2): above
 * the 10,000 TLS phones a node is sized for, since a connection that finds
 * the table full is closed (about 2 MiB). */
#define CONN_MAX 16384
/* nta_agent_create binds "sip:*:*" for a NULL URL; (void *)-1 binds
 * nothing, and add_tports() then binds what the configuration names. */
#define NO_TPORTS_YET ((url_string_t *)(intptr_t)-1)

struct sip_role {
	struct sip_config cfg;
	const struct sip_directory *dir; /* borrowed */
	struct sip_core_hooks hooks;
	pthread_t thread;
	int started;
	atomic_int stop;
	/* Start-up hand-shake with sip_start(). */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int ready; /* 1 listening, -1 failed */
	char errmsg[256];
	/* sip_reload's hand-shake: asked of the thread's timer (what, under
	 * mu), which answers under mu (1 done, -1 failed with errmsg). */
	atomic_int reload;
	int reload_files;
	unsigned reload_keepalive_s;
	int reloaded;
	struct sip_core_stats stats;	  /* under mu */
	struct sip_conn_stats conn_stats; /* under mu */
	/* The trunks' reachability (uac_options.h), under mu: it outlives
	 * a restart of the thread. */
	struct sip_trunk_status trunk_st[SIP_KEEPALIVE_TRUNKS];
	size_t ntrunk_st;
	struct sip_keepalive *ka; /* signaling thread */
	/* The calls as of the last second (under mu), for listings. */
	struct sip_call_info *calls_snap; /* owned */
	size_t ncalls_snap;
	/* Signaling thread only. */
	su_root_t *root;
	nta_agent_t *agent;
	su_timer_t *timer;
	struct sip_core *core;
	struct sip_calls *calls;
	struct sip_overload *ovl; /* owned; NULL: no overload control */
	/* The node listener (call_node.h): an agent of its own, so that
	 * nothing sent to a node leaves with the phones' certificate and
	 * nothing sent to a phone with the NODE certificate. */
	nta_agent_t *node_agent;
	struct sip_tls_out_check node_check; /* its servers' check */
	/* Presence across nodes (presence_node.h): outlives a restart of
	 * the thread like the core; its PUBLISHes in flight. */
	struct sip_pnode *pnode;
	unsigned pnode_in_flight;
	unsigned long pnode_dropped;
	unsigned ticks;
	tport_t *closing[CLOSE_MAX]; /* referenced */
	unsigned nclosing;
	unsigned long closed; /* flooders' connections closed */
	/* Stream connections seen, by tport (open addressing), referenced;
	 * closed ones are dropped once a second. */
	struct conn {
		tport_t *tp;
		struct sockaddr_storage addr;
	} * conns;
	unsigned long capped; /* connections over the per-source cap */
	/* sip_conn's counters at the last minute's log line. */
	unsigned long conn_refused, conn_full, conn_silent;
};

void sip_config_defaults(struct sip_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	strcpy(cfg->hosts[0], "127.0.0.1");
	cfg->nhosts = 1;
	cfg->port = 5060;
	cfg->tls_port = 5061;
	cfg->keepalive_s = 30;
	cfg->idle_s = 120;
	cfg->max_msg = 65536;
	cfg->conn_per_source = 32;
	cfg->silent_s = 5;
	cfg->max_connections = 16384;
	cfg->trunk_options_s = 30;
	cfg->overload_delay_ms = 100;
	cfg->overload_retry_after_s = 2;
	sip_core_config_defaults(&cfg->core);
	sip_call_config_defaults(&cfg->call);
}

/* Wall-clock time: nonces carry their issue time and every node of the
 * cluster must read it the same way. */
static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* What ward concludes of the certificate the TLS peer presented: libssl
 * checked the chain against cafile.pem (the trust store's CAs) and the
 * dates; ward checks the root is a MIC root or the cluster CA, which makes
 * the leaf a MIC or an LSC. The device checks (core.c) do the rest. */
static void tls_cert_of(struct sip_role *r, struct sip_peer *p)
{
	struct sip_tls_cert tc;
	int kind;

	if (sip_tls_peer_lookup((const struct sockaddr *)&p->addr, &tc) != 0 ||
	    !tc.present)
		return;
	p->cert.present = 1;
	memcpy(p->cert.fp, tc.fp, 32);
	snprintf(p->cert.cn, sizeof p->cert.cn, "%s", tc.cn);
	p->cert.names = tc.names;
	snprintf(p->cert.why, sizeof p->cert.why, "certificate not trusted: %s",
		 tc.chain_ok ? "root not in the trust store" : tc.verify_error);
	if (!tc.chain_ok || !r->dir->ops->trust_root)
		return;
	kind = r->dir->ops->trust_root(r->dir->ctx, tc.root_fp);
	if (kind == SIP_TRUST_MIC_ROOT)
		p->cert.kind = SIP_REG_CERT_MIC;
	else if (kind == SIP_TRUST_LSC_CA)
		p->cert.kind = SIP_REG_CERT_LSC;
	else if (kind != SIP_TRUST_TRUNK_PEER)
		return; /* a trunk-peer root: no MIC or LSC, no phone */
	p->cert.verified = 1;
}

static void peer_of(struct sip_role *r, msg_t *msg, struct sip_peer *p)
{
	su_addrinfo_t *ai = msg_addrinfo(msg);
	tport_t *tp = tport_delivered_by(nta_agent_tports(r->agent), msg);

	memset(p, 0, sizeof *p);
	if (ai && ai->ai_addr && ai->ai_addrlen <= sizeof p->addr)
		memcpy(&p->addr, ai->ai_addr, ai->ai_addrlen);
	/* A connection's (secondary) tport is named after the peer; the
	 * port it came in on is its listener's. */
	if (tp && tport_is_secondary(tp))
		tp = tport_parent(tp);
	if (tp && tport_name(tp) && tport_name(tp)->tpn_port)
		p->local_port = (unsigned)atoi(tport_name(tp)->tpn_port);
	if (tp && tport_has_tls(tp))
		p->transport = SIP_TP_TLS;
	else if (ai && ai->ai_protocol == IPPROTO_TCP)
		p->transport = SIP_TP_TCP;
	else
		p->transport = SIP_TP_UDP;
	if (p->transport == SIP_TP_TLS)
		tls_cert_of(r, p);
}

/* Closing a connection from inside its own receive callback would pull
 * the socket from under sofia: the next tick does it. */
static void close_later(struct sip_role *r, msg_t *msg)
{
	tport_t *tp = tport_delivered_by(nta_agent_tports(r->agent), msg);

	if (!tp || !tport_is_secondary(tp) || !tport_is_stream(tp))
		return;
	for (unsigned i = 0; i < r->nclosing; i++)
		if (r->closing[i] == tp)
			return;
	if (r->nclosing < CLOSE_MAX)
		r->closing[r->nclosing++] = tport_ref(tp);
}

/* The same for a connection already looked up (its message gone). */
static void close_later_tp(struct sip_role *r, tport_t *tp)
{
	if (!tp || !tport_is_secondary(tp) || !tport_is_stream(tp))
		return;
	for (unsigned i = 0; i < r->nclosing; i++)
		if (r->closing[i] == tp)
			return;
	if (r->nclosing < CLOSE_MAX)
		r->closing[r->nclosing++] = tport_ref(tp);
}

static void close_flooders(struct sip_role *r)
{
	for (unsigned i = 0; i < r->nclosing; i++) {
		tport_shutdown(r->closing[i], 2);
		tport_unref(r->closing[i]);
		r->closed++;
	}
	r->nclosing = 0;
}

static int same_host(const struct sockaddr_storage *a,
		     const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return a->ss_family == AF_INET6 &&
	       memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

static size_t conn_slot(const tport_t *tp)
{
	return (size_t)(((uintptr_t)tp >> 4) * 2654435761u) & (CONN_MAX - 1);
}

/* A message came on the stream connection TP from ADDR: a connection not
 * seen before is counted against its source, and closed (at the next
 * tick) when the source already holds conn_per_source of them or the
 * table is full: -1, and the message is dropped. */
static int conn_seen(struct sip_role *r, msg_t *msg,
		     const struct sockaddr_storage *addr)
{
	tport_t *tp = tport_delivered_by(nta_agent_tports(r->agent), msg);
	size_t i, free_slot = CONN_MAX;
	unsigned n = 0;

	if (!r->conns || !tp || !tport_is_secondary(tp) || !tport_is_stream(tp))
		return 0;
	i = conn_slot(tp);
	for (size_t k = 0; k < CONN_MAX; k++, i = (i + 1) & (CONN_MAX - 1)) {
		if (r->conns[i].tp == tp)
			return 0; /* known */
		if (!r->conns[i].tp) {
			free_slot = i;
			break;
		}
	}
	for (size_t k = 0; k < CONN_MAX; k++)
		n += r->conns[k].tp && same_host(&r->conns[k].addr, addr);
	if (free_slot == CONN_MAX ||
	    (r->cfg.conn_per_source && n >= r->cfg.conn_per_source)) {
		r->capped++;
		close_later(r, msg);
		return -1;
	}
	r->conns[free_slot].tp = tport_ref(tp);
	r->conns[free_slot].addr = *addr;
	sip_conn_spoke((const struct sockaddr *)addr); /* no longer silent */
	return 0;
}

/* Once a second: forgets closed connections (rebuilding the table keeps
 * the probe chains whole). */
static void conn_sweep(struct sip_role *r, int all)
{
	struct conn *old = r->conns;
	size_t i;

	if (!old)
		return;
	r->conns = calloc(CONN_MAX, sizeof *r->conns);
	for (size_t k = 0; k < CONN_MAX; k++) {
		if (!old[k].tp)
			continue;
		if (all || !r->conns || tport_is_closed(old[k].tp)) {
			tport_unref(old[k].tp);
			continue;
		}
		for (i = conn_slot(old[k].tp); r->conns[i].tp;
		     i = (i + 1) & (CONN_MAX - 1))
			;
		r->conns[i] = old[k];
	}
	free(old);
	if (all) {
		free(r->conns);
		r->conns = NULL;
	}
}

/* The live stream connection from exactly ADDR (host and port), if the
 * table knows one: NOTIFYs go back over the subscriber's connection. */
static tport_t *conn_from(struct sip_role *r,
			  const struct sockaddr_storage *addr)
{
	for (size_t k = 0; r->conns && k < CONN_MAX; k++) {
		const struct sockaddr_storage *a = &r->conns[k].addr;
		tport_t *tp = r->conns[k].tp;

		if (!tp || tport_is_closed(tp) || !same_host(a, addr))
			continue;
		if (a->ss_family == AF_INET
			? ((const struct sockaddr_in *)a)->sin_port ==
			      ((const struct sockaddr_in *)addr)->sin_port
			: ((const struct sockaddr_in6 *)a)->sin6_port ==
			      ((const struct sockaddr_in6 *)addr)->sin6_port)
			return tp;
	}
	return NULL;
}

/* A NOTIFY's final response (or nta's 408 on timeout) to presence. */
static int on_notify_response(struct sip_role *r, nta_outgoing_t *orq,
			      sip_t const *sip)
{
	int status = nta_outgoing_status(orq);
	msg_t *req;
	sip_t *rs;

	(void)sip;
	if (status < 200)
		return 0;
	req = nta_outgoing_getrequest(orq);
	rs = req ? sip_object(req) : NULL;
	if (rs && rs->sip_call_id && rs->sip_cseq)
		sip_presence_on_response(sip_core_presence(r->core),
					 rs->sip_call_id->i_id,
					 rs->sip_cseq->cs_seq, status);
	msg_destroy(req);
	nta_outgoing_destroy(orq);
	sip_presence_flush(sip_core_presence(r->core));
	return 0;
}

/* "sip:HOST:PORT;transport=udp" of the address A; -1 if none. */
static int source_url(const struct sockaddr_storage *a, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN];
	int n;

	if (a->ss_family == AF_INET)
		n = inet_ntop(AF_INET, &((const struct sockaddr_in *)a)->sin_addr,
			      host, sizeof host)
			? snprintf(out, cap, "sip:%s:%u;transport=udp", host,
				   ntohs(((const struct sockaddr_in *)a)
					     ->sin_port))
			: -1;
	else if (a->ss_family == AF_INET6)
		n = inet_ntop(AF_INET6,
			      &((const struct sockaddr_in6 *)a)->sin6_addr, host,
			      sizeof host)
			? snprintf(out, cap, "sip:[%s]:%u;transport=udp", host,
				   ntohs(((const struct sockaddr_in6 *)a)
					     ->sin6_port))
			: -1;
	else
		n = -1;
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

/* presence.h's sender: the NOTIFY as a client transaction. Over UDP
 * without a route set it goes to the address the SUBSCRIBE came from, as
 * a phone behind NAT needs and so that a Contact naming someone else
 * makes no NOTIFY go there; over TCP/TLS on that very connection while
 * it is open; else to the Contact. */
static int send_notify(void *arg, const struct sip_presence_notify *n)
{
	struct sip_role *r = arg;
	msg_t *msg = nta_msg_create(r->agent, 0);
	sip_t *sip = sip_object(msg);
	tport_t *tp = NULL;
	char via_source[INET6_ADDRSTRLEN + 48];
	int to_source = 0;
	su_home_t *home;
	url_t *ru;

	if (!msg)
		return -1;
	home = msg_home(msg);
	ru = url_make(home, n->request_uri);
	if (!ru ||
	    sip_add_tl(
		msg, sip,
		SIPTAG_REQUEST(sip_request_create(home, SIP_METHOD_NOTIFY,
						  (url_string_t *)ru, NULL)),
		TAG_IF(n->route[0], SIPTAG_ROUTE_STR(n->route)),
		SIPTAG_FROM_STR(n->from), SIPTAG_TO_STR(n->to),
		SIPTAG_CALL_ID_STR(n->call_id),
		SIPTAG_CSEQ(sip_cseq_create(home, n->cseq, SIP_METHOD_NOTIFY)),
		SIPTAG_MAX_FORWARDS_STR("70"),
		SIPTAG_CONTACT(nta_agent_contact(r->agent)),
		SIPTAG_EVENT_STR(n->event),
		SIPTAG_SUBSCRIPTION_STATE_STR(n->state),
		TAG_IF(n->content_type,
		       SIPTAG_CONTENT_TYPE_STR(n->content_type)),
		TAG_IF(n->content_type,
		       SIPTAG_PAYLOAD(sip_payload_create(
			   home, n->body, (isize_t)n->body_len))),
		TAG_END()) < 0) {
		msg_destroy(msg);
		return -1;
	}
	if (n->transport != SIP_TP_UDP)
		tp = conn_from(r, n->source);
	else if (!n->route[0])
		to_source =
		    source_url(n->source, via_source, sizeof via_source) == 0;
	/* On success the transaction owns msg. */
	if (!nta_outgoing_mcreate(r->agent, on_notify_response, r,
				  to_source ? URL_STRING_MAKE(via_source)
					    : NULL,
				  msg, TAG_IF(tp, NTATAG_TPORT(tp)),
				  TAG_END())) {
		msg_destroy(msg);
		return -1;
	}
	return 0;
}

static int on_message(struct sip_role *r, nta_agent_t *agent, msg_t *msg,
		      sip_t *sip)
{
	struct sip_peer peer;
	struct sip_reply rep;
	char hdrs[SIP_REPLY_HDRS * (SIP_DIGEST_CHALLENGE_MAX + 34)];
	size_t o = 0;
	int sub2xx;

	if (!sip || !sip->sip_request) {
		msg_destroy(msg); /* stray responses: we send no requests */
		return 0;
	}
	if (r->ovl) {
		su_addrinfo_t *ai = msg_addrinfo(msg);

		if (ai && sip->sip_call_id &&
		    sip_overload_probe_seen(r->ovl, ai->ai_addr,
					    sip->sip_call_id->i_id,
					    mono_ms())) {
			msg_destroy(msg);
			return 0;
		}
	}
	peer_of(r, msg, &peer);
	if (peer.transport != SIP_TP_UDP &&
	    conn_seen(r, msg, &peer.addr) != 0) {
		msg_destroy(msg);
		return 0;
	}
	sip_core_handle(r->core, sip, msg_size(msg), &peer, now_ms(), &rep);
	if (rep.status == 0 && rep.call) {
		/* The call table owns msg from here. */
		sip_calls_invite(
		    r->calls, msg, sip, &peer,
		    tport_delivered_by(nta_agent_tports(agent), msg),
		    rep.caller);
		return 0;
	}
	if (rep.status == 0 && rep.close)
		close_later(r, msg);
	if (rep.status == 0) {
		msg_destroy(msg);
		return 0;
	}
	hdrs[0] = '\0';
	for (int i = 0; i < rep.nhdr; i++) {
		int n = snprintf(hdrs + o, sizeof hdrs - o, "%s%s",
				 i ? "\r\n" : "", rep.hdr[i]);
		if (n < 0 || (size_t)n >= sizeof hdrs - o)
			break;
		o += (size_t)n;
	}
	/* A subscription's dialog: our tag, and where the subscriber
	 * reaches us (RFC 6665 4.2.1.1). */
	if (rep.to_tag[0] && !sip->sip_to->a_tag)
		sip_to_tag(msg_home(msg), sip->sip_to, rep.to_tag);
	sub2xx = rep.to_tag[0] && rep.status < 300;
	/* nta_msg_treply owns msg from here, even when it fails. */
	nta_msg_treply(agent, msg, rep.status, rep.phrase,
		       TAG_IF(rep.contact[0], SIPTAG_CONTACT_STR(rep.contact)),
		       TAG_IF(sub2xx, SIPTAG_CONTACT(nta_agent_contact(agent))),
		       TAG_IF(o > 0, SIPTAG_HEADER_STR(hdrs)), TAG_END());
	/* NOTIFYs queued by this request leave after its answer. */
	sip_presence_flush(sip_core_presence(r->core));
	return 0;
}

/* ---- presence across nodes (presence_node.h) ---------------------------- */

static int on_pnode_response(struct sip_role *r, nta_outgoing_t *orq,
			     sip_t const *sip)
{
	(void)sip;
	if (nta_outgoing_status(orq) < 200)
		return 0;
	nta_outgoing_destroy(orq);
	if (r->pnode_in_flight)
		r->pnode_in_flight--;
	return 0;
}

/* A PUBLISH of EVENT with BODY to member NODE's node listener. */
static void pnode_send(struct sip_role *r, uint64_t node, const char *event,
		       const char *body, int len)
{
	char url[SIP_HOST_MAX + 64], from[SIP_HOST_MAX + 48],
	    to[SIP_HOST_MAX + 16];
	const char *h = r->cfg.hosts[0];
	int v6 = strchr(h, ':') != NULL;
	msg_t *msg;
	sip_t *sip;
	su_home_t *home;
	uint8_t tag[8];

	if (r->pnode_in_flight >= SIP_PNODE_IN_FLIGHT) {
		r->pnode_dropped++;
		return;
	}
	if (sip_call_node_flow(r->dir, node, url, sizeof url) != 0 ||
	    RAND_bytes(tag, sizeof tag) != 1)
		return;
	snprintf(from, sizeof from,
		 "<sip:ward@%s%s%s>;tag=%02x%02x%02x%02x%02x%02x%02x%02x",
		 v6 ? "[" : "", h, v6 ? "]" : "", tag[0], tag[1], tag[2],
		 tag[3], tag[4], tag[5], tag[6], tag[7]);
	snprintf(to, sizeof to, "<sip:ward@%s%s%s>", v6 ? "[" : "", h,
		 v6 ? "]" : "");
	msg = nta_msg_create(r->node_agent, 0);
	if (!msg)
		return;
	sip = sip_object(msg);
	home = msg_home(msg);
	if (sip_add_tl(
		msg, sip,
		SIPTAG_REQUEST(sip_request_create(
		    home, SIP_METHOD_PUBLISH,
		    (url_string_t *)url_make(home, url), NULL)),
		SIPTAG_FROM_STR(from), SIPTAG_TO_STR(to),
		SIPTAG_CALL_ID(sip_call_id_create(home, NULL)),
		SIPTAG_CSEQ(sip_cseq_create(home, 1, SIP_METHOD_PUBLISH)),
		SIPTAG_MAX_FORWARDS_STR("70"), SIPTAG_EVENT_STR(event),
		SIPTAG_CONTENT_TYPE_STR(SIP_PNODE_CTYPE),
		SIPTAG_PAYLOAD(sip_payload_create(home, body, (isize_t)len)),
		TAG_END()) < 0 ||
	    !nta_outgoing_mcreate(r->node_agent, on_pnode_response, r, NULL,
				  msg, TAG_END())) {
		msg_destroy(msg);
		return;
	}
	r->pnode_in_flight++;
}

/* presence.h's watch hook: the member that handles DEVICE's calls hears
 * that this node watches it (once a minute at most). */
static void on_watch(void *arg, const char *device)
{
	struct sip_role *r = arg;
	char body[SIP_PNODE_BODY_MAX];
	uint64_t node = 0;
	int n;

	if (!r->node_agent || !r->pnode || !r->dir->ops->registration ||
	    r->dir->ops->registration(r->dir->ctx, device, &node) != 0 ||
	    !node || node == r->cfg.core.node_id ||
	    !sip_pnode_announce_due(r->pnode, device, node, now_ms()))
		return;
	n = sip_pnode_watch_body(device, body, sizeof body);
	if (n > 0)
		pnode_send(r, node, SIP_PNODE_EVENT_WATCH, body, n);
}

/* The calls' dialog events: presence here, the node's hook, and the
 * members that watch the device. */
static void on_call_event(void *arg, const struct sip_dialog_event *ev)
{
	struct sip_role *r = arg;
	uint64_t to[SIP_PNODE_PER_DEV];
	char body[SIP_PNODE_BODY_MAX];
	size_t n;
	int len;

	sip_core_dialog_event(r->core, ev);
	if (!r->node_agent || !r->pnode || ev->state < SIP_DLG_TRYING)
		return;
	n = sip_pnode_watchers(r->pnode, ev->device, now_ms(), to);
	if (n == 0 || (len = sip_pnode_dialog_body(ev, body, sizeof body)) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (to[i] != r->cfg.core.node_id)
			pnode_send(r, to[i], SIP_PNODE_EVENT_DIALOG, body, len);
}

/* A PUBLISH on the node listener: a member's interest in a device, or a
 * device's dialog state from the member that handles its calls. */
static void node_publish(struct sip_role *r, nta_agent_t *agent, msg_t *msg,
			 sip_t *sip, const struct sip_peer *peer, int *close)
{
	struct sip_pnode_msg m;
	struct sip_dialog_event ev;
	uint64_t node = 0;
	char why[160];

	if (peer->transport != SIP_TP_TLS ||
	    sip_call_node_peer(r->dir, (const struct sockaddr *)&peer->addr,
			       &node, why, sizeof why) != 0) {
		log_warn(TAG, "node listener: PUBLISH refused: %s",
			 peer->transport != SIP_TP_TLS ? "not over TLS" : why);
		*close = 1;
		nta_msg_treply(agent, msg, 403, "Forbidden", TAG_END());
		return;
	}
	if (!r->pnode || (sip->sip_to && sip->sip_to->a_tag) ||
	    !sip->sip_event || !sip->sip_payload ||
	    sip_pnode_parse(sip->sip_event->o_type, sip->sip_payload->pl_data,
			    sip->sip_payload->pl_len, &m) != 0) {
		nta_msg_treply(agent, msg, 400, "Bad Presence Publication",
			       TAG_END());
		return;
	}
	if (m.dialog) {
		sip_pnode_event(&m, &ev);
		sip_presence_on_event(sip_core_presence(r->core), &ev);
	} else {
		sip_pnode_watch(r->pnode, m.device, node, now_ms());
	}
	nta_msg_treply(agent, msg, 200, "OK", TAG_END());
}

/* A request on the node listener: members only (call_node.h). */
static int on_node_message(struct sip_role *r, nta_agent_t *agent, msg_t *msg,
			   sip_t *sip)
{
	su_addrinfo_t *ai = msg_addrinfo(msg);
	tport_t *tp = tport_delivered_by(nta_agent_tports(agent), msg);
	struct sip_peer peer;
	int close = 0;

	if (!sip || !sip->sip_request || !tp) {
		msg_destroy(msg);
		return 0;
	}
	/* The connection spoke (conn.h): without this, every connection
	 * this listener accepted was shut down silent_s after its accept,
	 * whatever it carried, failing the requests in flight on it. */
	if (ai && ai->ai_addr)
		sip_conn_spoke(ai->ai_addr);
	/* Under overload a member's new call is refused as a phone's is
	 * (core.h): before the admission's checks and lookups, counted and
	 * its Retry-After spread with the phones' refusals. */
	if (r->ovl && sip->sip_request->rq_method == sip_method_invite &&
	    sip->sip_to && !sip->sip_to->a_tag && !sip_overload_admit(r->ovl)) {
		char ra[16];
		snprintf(ra, sizeof ra, "%u",
			 sip_core_overload_refused(r->core));
		nta_msg_treply(agent, msg, 503, "Service Unavailable",
			       SIPTAG_RETRY_AFTER_STR(ra), TAG_END());
		return 0;
	}
	memset(&peer, 0, sizeof peer);
	if (ai && ai->ai_addr && ai->ai_addrlen <= sizeof peer.addr)
		memcpy(&peer.addr, ai->ai_addr, ai->ai_addrlen);
	peer.transport = tport_has_tls(tp) ? SIP_TP_TLS : SIP_TP_TCP;
	peer.local_port = r->cfg.node_port;
	if (sip->sip_request->rq_method == sip_method_publish)
		node_publish(r, agent, msg, sip, &peer, &close);
	else
		sip_calls_node_request(r->calls, msg, sip, &peer, tp, &close);
	if (close)
		close_later_tp(r, tp);
	return 0;
}

/* The check of a server the node agent connects to (tls_peer.h): a
 * refused one fails the calls trying it at once. */
static int node_server_check(void *arg, const struct sockaddr *server,
			     const struct sip_tls_cert *cert)
{
	struct sip_role *r = arg;

	if (sip_call_node_server((void *)r->dir, server, cert) == 0)
		return 0;
	if (r->calls)
		sip_calls_node_refused(r->calls, server);
	return -1;
}

/* The node listener's agent and transport: the NODE certificate, the
 * cluster CA alone; ward judges the peer's certificate (call_node.h). */
static int start_node_agent(struct sip_role *r, char *errmsg, size_t errcap)
{
	const char *h = r->cfg.hosts[0];
	int v6 = strchr(h, ':') != NULL;
	char url[SIP_HOST_MAX + 64];
	int rc;

	r->pnode_in_flight = 0; /* a new agent: nothing of the last one's */
	if (!r->cfg.node_port || !r->cfg.node_tls_dir[0] || !r->cfg.nhosts)
		return 0;
	r->node_agent = nta_agent_create(
	    r->root, NO_TPORTS_YET, on_node_message, r, NTATAG_STATELESS(1),
	    NTATAG_MAXSIZE(r->cfg.max_msg), NTATAG_UA(1),
	    TAG_IF(r->cfg.t1x64_ms, NTATAG_SIP_T1X64(r->cfg.t1x64_ms)),
	    NTATAG_SERVER_RPORT(1), NTATAG_TCP_RPORT(1),
	    TPTAG_KEEPALIVE(r->cfg.keepalive_s * 1000), TPTAG_PONG2PING(1),
	    TPTAG_IDLE(r->cfg.idle_s * 1000), TAG_END());
	if (!r->node_agent) {
		errmsg_set(errmsg, errcap, "sip: cannot create the node agent");
		return -1;
	}
	snprintf(url, sizeof url, "sips:%s%s%s:%u;transport=tls", v6 ? "[" : "",
		 h, v6 ? "]" : "", r->cfg.node_port);
	/* A member reached must show its own NODE certificate, chaining to
	 * the cluster CA (cafile.pem), before anything is sent to it
	 * (call_node.h: this context's own check, not the thread's);
	 * incoming peers are judged by call_node.c, which answers and logs.
	 * The requests queued for a refused one fail at once. */
	r->node_check.fn = node_server_check;
	r->node_check.arg = r;
	sip_tls_peer_out_check_begin(&r->node_check);
	sip_tls_reload_begin(r->cfg.node_tls_dir);
	rc = nta_agent_add_tport(r->node_agent, URL_STRING_MAKE(url),
				 TPTAG_CERTIFICATE(r->cfg.node_tls_dir),
				 TPTAG_TLS_VERIFY_POLICY(TPTLS_VERIFY_OUT),
				 TPTAG_SDWN_ERROR(1), TPTAG_PONG2PING(1),
				 TPTAG_KEEPALIVE(r->cfg.keepalive_s * 1000),
				 TPTAG_IDLE(r->cfg.idle_s * 1000), TAG_END());
	sip_tls_reload_end();
	sip_tls_peer_out_check_end();
	if (rc < 0) {
		errmsg_set(errmsg, errcap, "sip: cannot listen on %s: %s", url,
			   strerror(errno));
		return -1;
	}
	return 0;
}

/* The core's counters with nta's transactions held (under r->mu). */
static void take_stats(struct sip_role *r)
{
	usize_t irq = 0, orq = 0;

	sip_core_stats(r->core, &r->stats);
	nta_agent_get_stats(r->agent, NTATAG_S_IRQ_HASH_USED_REF(irq),
			    NTATAG_S_ORQ_HASH_USED_REF(orq), TAG_END());
	r->stats.transactions = (uint64_t)irq + orq;
	sip_conn_stats(&r->conn_stats);
}

/* A new keepalive interval on every transport of AGENT: the primaries'
 * parameters, which their connections share, so each connection takes it
 * at its next timer. */
static void set_keepalive(nta_agent_t *agent, unsigned ka_s)
{
	tport_t *tp = agent ? nta_agent_tports(agent) : NULL;

	if (!tp)
		return;
	tport_set_params(tp, TPTAG_KEEPALIVE(ka_s * 1000), TAG_END());
	for (tp = tport_primaries(tp); tp; tp = tport_next(tp))
		tport_set_params(tp, TPTAG_KEEPALIVE(ka_s * 1000), TAG_END());
}

/* sip_reload's work, on the thread: the answer under mu. */
static void reload(struct sip_role *r)
{
	char err[sizeof r->errmsg];
	int files, rc = 0;
	unsigned ka;

	pthread_mutex_lock(&r->mu);
	files = r->reload_files;
	ka = r->reload_keepalive_s;
	pthread_mutex_unlock(&r->mu);
	if (files)
		rc = sip_tls_reload(err, sizeof err);
	if (rc == 0 && ka != r->cfg.keepalive_s) {
		set_keepalive(r->agent, ka);
		set_keepalive(r->node_agent, ka);
		r->cfg.keepalive_s = ka;
	}

	pthread_mutex_lock(&r->mu);
	r->reloaded = rc == 0 ? 1 : -1;
	if (rc != 0)
		memcpy(r->errmsg, err, sizeof err);
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static void on_timer(struct sip_role *r, su_timer_t *t, struct sip_role *arg)
{
	(void)t;
	(void)arg;
	if (atomic_load(&r->stop)) {
		su_root_break(r->root);
		return;
	}
	if (atomic_exchange(&r->reload, 0))
		reload(r);
	close_flooders(r);
	sip_overload_tick(r->ovl, mono_ms());
	if (++r->ticks % (60000 / TIMER_MS) == 0) {
		struct sip_conn_stats cs;
		sip_conn_stats(&cs);
		if (r->closed || r->capped || cs.refused != r->conn_refused ||
		    cs.full != r->conn_full || cs.silent != r->conn_silent)
			log_info(TAG,
				 "closed %lu TCP/TLS connections in the last "
				 "minute (%lu over the per-source cap of %u, "
				 "the rest flooding); at accept: %lu over the "
				 "cap, %lu over the total of %u; %lu silent "
				 "for %u s",
				 r->closed, r->capped, r->cfg.conn_per_source,
				 cs.refused - r->conn_refused,
				 cs.full - r->conn_full,
				 r->cfg.max_connections,
				 cs.silent - r->conn_silent, r->cfg.silent_s);
		r->closed = r->capped = 0;
		r->conn_refused = cs.refused;
		r->conn_full = cs.full;
		r->conn_silent = cs.silent;
	}
	if (r->ticks % (1000 / TIMER_MS) == 0) {
		sip_conn_sweep();
		conn_sweep(r, 0);
		sip_keepalive_tick(r->ka, mono_ms());
		sip_core_tick(r->core, now_ms());
		sip_calls_tick(r->calls, now_ms());
		sip_presence_flush(sip_core_presence(r->core));
		pthread_mutex_lock(&r->mu);
		take_stats(r);
		r->ncalls_snap = 0;
		if (r->calls_snap) {
			size_t n = sip_calls_list(r->calls, r->calls_snap,
						  SIP_CALLS_LISTED);
			r->ncalls_snap =
			    n < SIP_CALLS_LISTED ? n : SIP_CALLS_LISTED;
		}
		pthread_mutex_unlock(&r->mu);
	}
}

/* The keepalive's word on a trunk (signaling thread): kept for
 * sip_role_trunk_status. */
static void on_trunk_status(void *arg, const struct sip_trunk_status *st)
{
	struct sip_role *r = arg;
	size_t i;

	pthread_mutex_lock(&r->mu);
	for (i = 0; i < r->ntrunk_st; i++)
		if (strcmp(r->trunk_st[i].name, st->name) == 0)
			break;
	if (st->removed) {
		if (i < r->ntrunk_st)
			r->trunk_st[i] = r->trunk_st[--r->ntrunk_st];
	} else if (i < r->ntrunk_st) {
		r->trunk_st[i] = *st;
	} else if (r->ntrunk_st < SIP_KEEPALIVE_TRUNKS) {
		r->trunk_st[r->ntrunk_st++] = *st;
	}
	pthread_mutex_unlock(&r->mu);
}

static int add_tports(struct sip_role *r, char *errmsg, size_t errcap)
{
	unsigned ka = r->cfg.keepalive_s * 1000, idle = r->cfg.idle_s * 1000;

	for (unsigned i = 0; i < r->cfg.nhosts; i++) {
		const char *h = r->cfg.hosts[i];
		int v6 = strchr(h, ':') != NULL;
		char url[SIP_HOST_MAX + 64];

		if (r->cfg.port) {
			snprintf(url, sizeof url, "sip:%s%s%s:%u",
				 v6 ? "[" : "", h, v6 ? "]" : "", r->cfg.port);
			/* Bursts of REGISTERs outrun the default receive
			 * buffer: a lost request costs the peer a
			 * retransmission, which costs us the work again. */
			if (nta_agent_add_tport(
				r->agent, URL_STRING_MAKE(url),
				TPTAG_UDP_RMEM(4 << 20),
				TPTAG_UDP_WMEM(4 << 20), TPTAG_PONG2PING(1),
				TPTAG_KEEPALIVE(ka), TPTAG_IDLE(idle),
				TAG_END()) < 0) {
				errmsg_set(errmsg, errcap,
					   "sip: cannot listen on %s: %s", url,
					   strerror(errno));
				return -1;
			}
		}
		if (r->cfg.tls_port && r->cfg.tls_dir[0]) {
			int rc;

			snprintf(url, sizeof url,
				 "sips:%s%s%s:%u;transport=tls", v6 ? "[" : "",
				 h, v6 ? "]" : "", r->cfg.tls_port);
			sip_tls_reload_begin(r->cfg.tls_dir);
			rc = nta_agent_add_tport(
			    r->agent, URL_STRING_MAKE(url),
			    TPTAG_CERTIFICATE(r->cfg.tls_dir),
			    /* A connection ward opens carries nothing
			     * until its peer's certificate chains to
			     * cafile.pem and passes the outgoing check
			     * (call_trunk.h); incoming peers are
			     * judged by the core, which answers. */
			    TPTAG_TLS_VERIFY_POLICY(TPTLS_VERIFY_OUT),
			    /* ... and the requests queued for a
			     * refused one fail at once (503 from the
			     * stack), not after timer B or F. */
			    TPTAG_SDWN_ERROR(1), TPTAG_PONG2PING(1),
			    TPTAG_KEEPALIVE(ka), TPTAG_IDLE(idle), TAG_END());
			sip_tls_reload_end();
			if (rc < 0) {
				errmsg_set(errmsg, errcap,
					   "sip: cannot listen on %s: %s", url,
					   strerror(errno));
				return -1;
			}
		}
	}
	return 0;
}

/* The call table, reached at the first listening address. */
static int start_calls(struct sip_role *r)
{
	struct sip_call_config cc = r->cfg.call;
	struct sip_calls_env env = {
	    .agent = r->agent,
	    .dir = r->dir,
	    .reg = sip_core_registrar(r->core),
	    .media = r->cfg.media,
	    /* Calls tell presence, which tells the node's hook. */
	    .dialog_event = on_call_event,
	    .dialog_arg = r,
	    .node_id = r->cfg.core.node_id,
	    .node_agent = r->node_agent,
	    .node_port = r->cfg.node_port,
	};

	snprintf(cc.host, sizeof cc.host, "%s", r->cfg.hosts[0]);
	cc.port = r->cfg.port;
	cc.tls_port = r->cfg.tls_dir[0] ? r->cfg.tls_port : 0;
	return sip_calls_new(&cc, &env, &r->calls);
}

static void signal_ready(struct sip_role *r, int ready, const char *err)
{
	pthread_mutex_lock(&r->mu);
	r->ready = ready;
	if (err)
		snprintf(r->errmsg, sizeof r->errmsg, "%s", err);
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static void *sip_thread(void *arg)
{
	struct sip_role *r = arg;
	char err[256] = "";

	if (su_init() != 0) {
		signal_ready(r, -1, "sip: su_init failed");
		return NULL;
	}
	if (sip_tls_peer_thread_begin(4096) != 0) {
		signal_ready(r, -1, "sip: out of memory");
		goto err_after_init;
	}
	{
		struct sip_conn_config cc = {
		    .per_source = r->cfg.conn_per_source,
		    .max = r->cfg.max_connections,
		    .silent_ms = r->cfg.silent_s * 1000,
		};
		if (sip_conn_thread_begin(&cc) != 0) {
			signal_ready(r, -1, "sip: out of memory");
			goto err_after_tls_table;
		}
	}
	/* Every TLS connection this thread opens: a trunk's peer must be
	 * the one its profile names before anything is sent. */
	sip_tls_peer_set_outgoing(sip_call_trunk_tls_hook, (void *)r->dir);
	r->root = su_root_create(r);
	if (!r->root) {
		signal_ready(r, -1, "sip: cannot create su_root");
		goto err_after_tls_table;
	}
	/* A restarted thread keeps the core: bindings, nonce counts and
	 * limits outlive the listeners. */
	if (!r->core && sip_core_new(&r->cfg.core, r->dir, &r->hooks, &r->core,
				     err, sizeof err) != 0) {
		signal_ready(r, -1, err);
		goto err_after_root;
	}
	r->agent = nta_agent_create(
	    r->root, NO_TPORTS_YET, on_message, r, NTATAG_STATELESS(1),
	    NTATAG_MAXSIZE(r->cfg.max_msg),
	    /* A user agent for the calls' transactions (call.h): 2xx to an
	     * INVITE retransmitted until its ACK, which comes back to the
	     * transaction. Stateless requests are not concerned. */
	    NTATAG_UA(1),
	    TAG_IF(r->cfg.t1x64_ms, NTATAG_SIP_T1X64(r->cfg.t1x64_ms)),
	    NTATAG_SERVER_RPORT(1), NTATAG_TCP_RPORT(1),
	    TPTAG_KEEPALIVE(r->cfg.keepalive_s * 1000), TPTAG_PONG2PING(1),
	    TPTAG_IDLE(r->cfg.idle_s * 1000), TAG_END());
	if (!r->agent) {
		signal_ready(r, -1, "sip: cannot create the nta agent");
		goto err_after_core;
	}
	sip_presence_set_sender(sip_core_presence(r->core), send_notify, r);
	if (!r->pnode && sip_pnode_new(&r->pnode) != 0) {
		signal_ready(r, -1, "sip: out of memory");
		goto err_after_agent;
	}
	sip_presence_set_watch(sip_core_presence(r->core), on_watch, r);
	r->conns = calloc(CONN_MAX, sizeof *r->conns);
	if (!r->conns) {
		signal_ready(r, -1, "sip: out of memory");
		goto err_after_agent;
	}
	if (add_tports(r, err, sizeof err) != 0 ||
	    start_node_agent(r, err, sizeof err) != 0) {
		signal_ready(r, -1, err);
		goto err_after_agent;
	}
	if (r->cfg.trunk_options_s && r->cfg.nhosts) {
		char from[SIP_HOST_MAX + 32];
		int v6 = strchr(r->cfg.hosts[0], ':') != NULL;
		snprintf(from, sizeof from, "sip:ward@%s%s%s", v6 ? "[" : "",
			 r->cfg.hosts[0], v6 ? "]" : "");
		if (sip_keepalive_new(r->agent, r->dir, from,
				      r->cfg.trunk_options_s, on_trunk_status,
				      r, &r->ka) != 0) {
			signal_ready(r, -1, "sip: out of memory");
			goto err_after_agent;
		}
	}
	/* The probe goes to the first UDP listener (overload.h). */
	if (r->cfg.overload_delay_ms && r->cfg.port && r->cfg.nhosts &&
	    sip_overload_new(r->cfg.hosts[0], r->cfg.port,
			     r->cfg.overload_delay_ms, &r->ovl) != 0)
		log_warn(TAG, "no overload probe toward %s:%u: %s",
			 r->cfg.hosts[0], r->cfg.port, strerror(errno));
	sip_core_set_overload(r->core, r->ovl, r->cfg.overload_retry_after_s);
	if (start_calls(r) != 0) {
		signal_ready(r, -1, "sip: out of memory");
		goto err_after_agent;
	}
	r->timer = su_timer_create(su_root_task(r->root), TIMER_MS);
	if (!r->timer || su_timer_run(r->timer, on_timer, r) != 0) {
		signal_ready(r, -1, "sip: cannot create the timer");
		goto err_after_timer;
	}
	log_info(TAG, "listening on port %u (UDP, TCP)%s", r->cfg.port,
		 r->cfg.tls_dir[0] ? " and TLS" : "");
	if (r->node_agent)
		log_info(TAG, "node listener on port %u (TLS, members only)",
			 r->cfg.node_port);
	signal_ready(r, 1, NULL);
	su_root_run(r->root);
	pthread_mutex_lock(&r->mu);
	take_stats(r); /* the last word */
	pthread_mutex_unlock(&r->mu);

err_after_timer:
	close_flooders(r); /* drops the references */
	su_timer_destroy(r->timer);
err_after_agent:
	sip_keepalive_free(r->ka); /* before the agent: its transactions */
	r->ka = NULL;
	sip_calls_free(r->calls); /* before the agent: its legs */
	r->calls = NULL;
	nta_agent_destroy(r->node_agent); /* after the calls: their legs */
	r->node_agent = NULL;
	conn_sweep(r, 1); /* before the agent: drops the references */
	nta_agent_destroy(r->agent);
	sip_core_set_overload(r->core, NULL, 0);
	sip_overload_free(r->ovl);
	r->ovl = NULL;
err_after_core: /* the core stays with the role (sip_free) */
err_after_root:
	su_root_destroy(r->root);
err_after_tls_table:
	sip_conn_thread_end();
	sip_tls_reload_thread_end();
	sip_tls_peer_thread_end();
err_after_init:
	su_deinit();
	return NULL;
}

/* Starts the thread and waits until it listens: 0, or -1 with ERRMSG
 * (the thread then is gone). */
static int start_thread(struct sip_role *r, char *errmsg, size_t errcap)
{
	sigset_t all, old;
	int rc;

	atomic_store(&r->stop, 0);
	r->ready = 0;
	/* Signals are the process's main thread's business: the signaling
	 * thread starts with all of them blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&r->thread, NULL, sip_thread, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		errmsg_set(errmsg, errcap, "sip: cannot start the thread");
		return -1;
	}
	r->started = 1;
	pthread_mutex_lock(&r->mu);
	while (!r->ready)
		pthread_cond_wait(&r->cv, &r->mu);
	pthread_mutex_unlock(&r->mu);
	if (r->ready < 0) {
		errmsg_set(errmsg, errcap, "%s", r->errmsg);
		sip_stop(r);
		return -1;
	}
	return 0;
}

int sip_start(const struct sip_config *cfg, const struct sip_directory *dir,
	      const struct sip_core_hooks *hooks, struct sip_role **out,
	      char *errmsg, size_t errcap)
{
	struct sip_role *r = calloc(1, sizeof *r);

	if (!r) {
		errmsg_set(errmsg, errcap, "out of memory");
		return -1;
	}
	r->cfg = *cfg;
	r->dir = dir;
	r->calls_snap = calloc(SIP_CALLS_LISTED, sizeof *r->calls_snap);
	if (hooks)
		r->hooks = *hooks;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	if (start_thread(r, errmsg, errcap) != 0) {
		sip_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

/* What, besides the files' contents, CFG changes of the listeners A was
 * started with; NULL: nothing. */
static const char *listeners_changed(const struct sip_config *a,
				     const struct sip_config *cfg)
{
	if (strcmp(a->tls_dir, cfg->tls_dir) != 0)
		return "the TLS listener comes or goes";
	if (strcmp(a->node_tls_dir, cfg->node_tls_dir) != 0)
		return "the node listener comes or goes";
	if (a->media != cfg->media)
		return "the media relay changed";
	if (a->nhosts != cfg->nhosts || a->port != cfg->port ||
	    a->tls_port != cfg->tls_port || a->node_port != cfg->node_port ||
	    memcmp(a->hosts, cfg->hosts, sizeof a->hosts) != 0)
		return "the listening addresses changed";
	return NULL;
}

int sip_reload(struct sip_role *r, const struct sip_config *cfg, int files,
	       char *errmsg, size_t errcap)
{
	const char *why = listeners_changed(&r->cfg, cfg);
	int rc;

	if (!r->started) {
		errmsg_set(errmsg, errcap, "the role is stopped");
		return -1;
	}
	if (why) {
		errmsg_set(errmsg, errcap, "%s", why);
		return -1;
	}
	pthread_mutex_lock(&r->mu);
	r->reloaded = 0;
	r->reload_files = files;
	r->reload_keepalive_s = cfg->keepalive_s;
	atomic_store(&r->reload, 1);
	while (!r->reloaded)
		pthread_cond_wait(&r->cv, &r->mu);
	rc = r->reloaded > 0 ? 0 : -1;
	if (rc != 0)
		errmsg_set(errmsg, errcap, "%s", r->errmsg);
	pthread_mutex_unlock(&r->mu);
	return rc;
}

int sip_restart(struct sip_role *r, const struct sip_config *cfg, char *errmsg,
		size_t errcap)
{
	struct sip_core_config keep = r->cfg.core;

	sip_stop(r);
	r->cfg = *cfg;
	r->cfg.core = keep; /* the core, kept, was made with it */
	return start_thread(r, errmsg, errcap);
}

void sip_stop(struct sip_role *r)
{
	if (!r || !r->started)
		return;
	atomic_store(&r->stop, 1);
	pthread_join(r->thread, NULL);
	r->started = 0;
}

void sip_free(struct sip_role *r)
{
	if (!r)
		return;
	sip_stop(r);
	sip_core_free(r->core);
	sip_pnode_free(r->pnode);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r->calls_snap);
	free(r);
}

void sip_role_stats(struct sip_role *r, struct sip_core_stats *out)
{
	pthread_mutex_lock(&r->mu);
	*out = r->stats;
	pthread_mutex_unlock(&r->mu);
}

void sip_role_conn_stats(struct sip_role *r, struct sip_conn_stats *out)
{
	pthread_mutex_lock(&r->mu);
	*out = r->conn_stats;
	pthread_mutex_unlock(&r->mu);
}

int sip_role_trunk_status(struct sip_role *r, const char *name,
			  struct sip_trunk_status *out)
{
	int rc = -1;

	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < r->ntrunk_st; i++)
		if (strcmp(r->trunk_st[i].name, name) == 0) {
			*out = r->trunk_st[i];
			rc = 0;
			break;
		}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

size_t sip_role_calls(struct sip_role *r, struct sip_call_info *out, size_t cap)
{
	size_t n;

	pthread_mutex_lock(&r->mu);
	n = r->ncalls_snap;
	memcpy(out, r->calls_snap, (n < cap ? n : cap) * sizeof *out);
	pthread_mutex_unlock(&r->mu);
	return n;
}
