/* wardd_sip: the signaling role in wardd — started once this node is a
 * member of an initialised cluster (KEK on disk, cluster record and digest
 * nonce secret in the store), its listeners restarted when its TLS
 * certificate or the trusted CAs change (no process restart, the
 * in-memory registrations kept), and the registrations table
 * kept: a device's owner is written when it changes, never on a refresh. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/file.h"
#include "common/log.h"
#include "consensus/consensus.h"
#include "node/admin/admin.h"
#include "node/nodepki.h"
#include "node/sip/directory_store.h"
#include "node/sip/sip.h"
#include "node/sip/tls_peer.h"
#include "node/wardd.h"
#include "node/wardd_capture.h"
#include "node/wardd_media.h"
#include "store/prov.h"

#define SIP_TICK_S 2

static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Appends the contents of PATH to B. 0 or -1. */
static int append_file(BIO *b, const char *path)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "rb");
	int ok = f != NULL;

	while (ok && (n = fread(buf, 1, sizeof buf, f)) > 0)
		ok = BIO_write(b, buf, (int)n) == (int)n;
	if (f)
		fclose(f);
	OPENSSL_cleanse(buf, sizeof buf);
	return ok ? 0 : -1;
}

static int client_root_pem(void *arg, const struct store_trust *t)
{
	const uint8_t *p = t->der;
	X509 *x;

	if (t->category != STORE_TRUST_MIC_ROOT &&
	    t->category != STORE_TRUST_TRUNK_PEER)
		return 0;
	x = d2i_X509(NULL, &p, (long)t->der_len);
	if (x)
		PEM_write_bio_X509(arg, x);
	X509_free(x);
	return 0;
}

/* Writes DIR/agent.pem (the CallManager certificate, the cluster CA, the
 * key) and DIR/cafile.pem (the cluster CA, every mic-root and trunk-peer
 * trust entry) as sofia's TLS transport reads them; FP gets a digest of
 * both, which changes when the certificate is regenerated or the trust
 * store changes. */
static int write_tls_dir(struct wardd *w, const char *dir, uint8_t fp[32])
{
	char cm[CONFIG_PATH_MAX + 64], key[CONFIG_PATH_MAX + 64],
	    ca[CONFIG_PATH_MAX + 64], path[SIP_PATH_MAX + 32], err[256];
	BIO *agent = BIO_new(BIO_s_mem()), *cafile = BIO_new(BIO_s_mem());
	struct store_read *r = NULL;
	char *a = NULL, *c = NULL;
	long alen = 0, clen = 0;
	unsigned len = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = -1;

	nodepki_path(w->cfg.data_dir, "callmanager.pem", cm, sizeof cm);
	nodepki_path(w->cfg.data_dir, "callmanager.key", key, sizeof key);
	nodepki_path(w->cfg.data_dir, "ca.pem", ca, sizeof ca);
	if (!agent || !cafile || !md || append_file(agent, cm) ||
	    append_file(agent, ca) || append_file(agent, key) ||
	    append_file(cafile, ca) || store_read_begin(w->store, &r) != 0)
		goto out;
	store_trust_each(r, client_root_pem, cafile);
	store_read_end(r);
	alen = BIO_get_mem_data(agent, &a);
	clen = BIO_get_mem_data(cafile, &c);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		goto out;
	snprintf(path, sizeof path, "%s/agent.pem", dir);
	if (file_write_atomic(path, a, (size_t)alen, 0600, err, sizeof err))
		goto out;
	snprintf(path, sizeof path, "%s/cafile.pem", dir);
	if (file_write_atomic(path, c, (size_t)clen, 0644, err, sizeof err))
		goto out;
	rc = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
		     EVP_DigestUpdate(md, a, (size_t)alen) == 1 &&
		     EVP_DigestUpdate(md, c, (size_t)clen) == 1 &&
		     EVP_DigestFinal_ex(md, fp, &len) == 1
		 ? 0
		 : -1;
out:
	if (a)
		OPENSSL_cleanse(a, (size_t)alen);
	EVP_MD_CTX_free(md);
	BIO_free(agent);
	BIO_free(cafile);
	return rc;
}

/* Writes DIR/agent.pem (the NODE certificate, the cluster CA, the key)
 * and DIR/cafile.pem (the cluster CA alone) for the node-to-node listener
 * (call_node.h): only members' certificates chain there. FP is XORed with
 * a digest of both. */
static int write_node_tls_dir(struct wardd *w, const char *dir, uint8_t fp[32])
{
	char nc[CONFIG_PATH_MAX + 64], key[CONFIG_PATH_MAX + 64],
	    ca[CONFIG_PATH_MAX + 64], path[SIP_PATH_MAX + 32], err[256];
	BIO *agent = BIO_new(BIO_s_mem()), *cafile = BIO_new(BIO_s_mem());
	char *a = NULL, *c = NULL;
	long alen = 0, clen = 0;
	unsigned len = 0;
	uint8_t d[32];
	int rc = -1;

	nodepki_path(w->cfg.data_dir, "node.pem", nc, sizeof nc);
	nodepki_path(w->cfg.data_dir, "node.key", key, sizeof key);
	nodepki_path(w->cfg.data_dir, "ca.pem", ca, sizeof ca);
	if (!agent || !cafile || append_file(agent, nc) ||
	    append_file(agent, ca) || append_file(agent, key) ||
	    append_file(cafile, ca))
		goto out;
	alen = BIO_get_mem_data(agent, &a);
	clen = BIO_get_mem_data(cafile, &c);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		goto out;
	snprintf(path, sizeof path, "%s/agent.pem", dir);
	if (file_write_atomic(path, a, (size_t)alen, 0600, err, sizeof err))
		goto out;
	snprintf(path, sizeof path, "%s/cafile.pem", dir);
	if (file_write_atomic(path, c, (size_t)clen, 0644, err, sizeof err))
		goto out;
	if (EVP_Digest(a, (size_t)alen, d, &len, EVP_sha256(), NULL) != 1)
		goto out;
	for (int i = 0; i < 32; i++)
		fp[i] ^= d[i];
	rc = 0;
out:
	if (a)
		OPENSSL_cleanse(a, (size_t)alen);
	OPENSSL_cleanse(d, sizeof d);
	BIO_free(agent);
	BIO_free(cafile);
	return rc;
}

static void proposed(void *arg, int rc)
{
	char *device = arg;

	/* Raft thread: only a log line. */
	if (rc != 0)
		log_warn("sip", "registration of %s not replicated (%d)",
			 device, rc);
	free(device);
}

/* 1 if C authenticated with a MIC that is not DEVICE's MIC on record. */
static int mic_is_news(struct store_read *r, const char *device,
		       const struct sip_reg_contact *c)
{
	struct store_device_lsc mic;

	return c && c->cert == SIP_REG_CERT_MIC &&
	       (store_device_mic_get(r, device, &mic) != 0 ||
		memcmp(mic.sha256, c->cert_fp, 32) != 0);
}

/* The DER of C's MIC, as the TLS layer recorded it for C's address, into
 * CH (when it fits). */
static void take_mic(const struct sip_reg_contact *c,
		     struct admin_reg_change *ch)
{
	struct sockaddr_storage ss;
	uint8_t *der = NULL;
	size_t len = 0;

	memset(&ss, 0, sizeof ss);
	if (c->family == AF_INET6) {
		struct sockaddr_in6 *a = (void *)&ss;
		a->sin6_family = AF_INET6;
		memcpy(&a->sin6_addr, c->addr, 16);
		a->sin6_port = htons(c->port);
	} else {
		struct sockaddr_in *a = (void *)&ss;
		a->sin_family = AF_INET;
		memcpy(&a->sin_addr, c->addr, 4);
		a->sin_port = htons(c->port);
	}
	if (sip_tls_peer_der((struct sockaddr *)&ss, c->cert_fp, &der, &len) ==
		0 &&
	    len <= sizeof ch->mic) {
		memcpy(ch->mic, der, len);
		ch->mic_len = (uint32_t)len;
	}
	free(der);
}

/* Signaling thread: DEVICE is bound here with C (every accepted
 * registration), or lost its last binding here (C NULL). The record is
 * written only when it does not already say so: a refresh of a device
 * the record puts on this node costs a read, no Raft write. A phone that
 * authenticated with a MIC that is not the one on record has it recorded
 * too (the TFTP role encrypts its configuration to it when it has no
 * LSC): one more read per registration, a write only when it changes. */
static void on_binding(void *arg, const char *device,
		       const struct sip_reg_contact *c)
{
	struct wardd *w = arg;
	struct store_cmd *cmd = NULL;
	struct store_registration reg;
	struct admin_reg_change ch;
	struct store_read *r;
	char actor[CONFIG_NAME_MAX + 8], *copy;
	void *buf = NULL;
	size_t len = 0;
	int rc, mic_news, ours;

	if (store_read_begin(w->store, &r) != 0)
		return;
	rc = store_registration_get(r, device, &reg);
	mic_news = mic_is_news(r, device, c);
	store_read_end(r);
	ours = c && rc == 0 && reg.node_id == w->id.node_id;
	if (ours && !mic_news)
		return; /* already ours: a refresh */
	if (!c && (rc != 0 || reg.node_id != w->id.node_id))
		return; /* gone from here, but the record names another */
	memset(&ch, 0, sizeof ch);
	snprintf(ch.reg.device, sizeof ch.reg.device, "%s", device);
	ch.del = c == NULL;
	if (c) {
		ch.reg.node_id = w->id.node_id;
		ch.reg.transport =
		    c->transport == SIP_TP_TLS	 ? STORE_TRANSPORT_TLS
		    : c->transport == SIP_TP_TCP ? STORE_TRANSPORT_TCP
						 : STORE_TRANSPORT_UDP;
		if (c->family == AF_INET6) {
			char h[64];
			inet_ntop(AF_INET6, c->addr, h, sizeof h);
			snprintf(ch.reg.source, sizeof ch.reg.source, "[%s]:%u",
				 h, c->port);
		} else {
			char h[32];
			inet_ntop(AF_INET, c->addr, h, sizeof h);
			snprintf(ch.reg.source, sizeof ch.reg.source, "%s:%u",
				 h, c->port);
		}
		ch.reg.cert = c->cert == SIP_REG_CERT_LSC ? STORE_REG_CERT_LSC
			      : c->cert == SIP_REG_CERT_MIC
				  ? STORE_REG_CERT_MIC
				  : STORE_REG_CERT_NONE;
		memcpy(ch.reg.cert_sha256, c->cert_fp, 32);
		ch.reg.expires_ms = c->expires_at * 1000;
		ch.reg.since_ms = wall_ms();
		if (mic_news)
			take_mic(c, &ch);
		if (ours && !ch.mic_len)
			return; /* a refresh whose MIC the TLS layer no
				   longer holds: nothing to write */
	}
	snprintf(actor, sizeof actor, "node:%s", w->cfg.name);
	if (store_cmd_new(&cmd, w->id.node_id, wall_ms(), actor) != 0)
		return;
	rc = ch.del ? store_cmd_del_registration(cmd, device)
		    : store_cmd_put_registration(cmd, &ch.reg);
	if (rc == 0 && ch.mic_len && store_read_begin(w->store, &r) == 0) {
		if (admin_cmd_put_mic(r, cmd, device, ch.mic, ch.mic_len,
				      wall_ms()) < 0)
			ch.mic_len = 0; /* not a certificate: not recorded */
		store_read_end(r);
	}
	if (rc == 0)
		rc = store_cmd_finish(cmd, &buf, &len);
	store_cmd_free(cmd);
	if (rc != 0)
		return;
	copy = strdup(device);
	rc = copy ? consensus_propose(w->consensus, buf, len, proposed, copy)
		  : -1;
	free(buf);
	if (rc != 0) {
		free(copy);
		/* Only the leader proposes: a follower relays the change to
		 * it (wardd_sipreg.c). */
		wardd_sipreg_queue(w, &ch);
	}
}

static void on_owner_gone(void *arg, const char *device,
			  const struct sip_reg_contact *c)
{
	if (!c)
		on_binding(arg, device, NULL);
}

static void sip_config_from(struct wardd *w, struct sip_config *sc)
{
	char list[sizeof w->cfg.sip_listen], *save = NULL;
	unsigned n = 0;

	sip_config_defaults(sc);
	snprintf(list, sizeof list, "%s", w->cfg.sip_listen);
	for (char *t = strtok_r(list, ", ", &save); t && n < SIP_MAX_LISTEN;
	     t = strtok_r(NULL, ", ", &save))
		snprintf(sc->hosts[n++], SIP_HOST_MAX, "%s", t);
	sc->nhosts = n;
	sc->port = w->cfg.sip_port;
	sc->tls_port = w->cfg.sip_tls_port;
	sc->keepalive_s = w->cfg.sip_keepalive_s;
	sc->conn_per_source = w->cfg.sip_conn_per_source;
	sc->silent_s = w->cfg.sip_silent_s;
	sc->max_connections = w->cfg.sip_max_connections;
	sc->trunk_options_s = w->cfg.sip_trunk_options_s;
	snprintf(sc->tls_dir, sizeof sc->tls_dir, "%s/sip-tls",
		 w->cfg.data_dir);
	sc->node_port = w->cfg.sip_node_port;
	snprintf(sc->node_tls_dir, sizeof sc->node_tls_dir, "%s/sip-node-tls",
		 w->cfg.data_dir);
	sc->core.node_id = w->id.node_id;
	sc->call.max_calls = w->cfg.sip_max_calls;
	snprintf(sc->call.conference_number, sizeof sc->call.conference_number,
		 "%s", w->cfg.sip_conference_number);
	sc->call.max_per_device = w->cfg.sip_max_calls_per_device;
	sc->call.ring_s = w->cfg.sip_ring_s;
	sc->call.min_se_s = w->cfg.sip_min_se_s;
	sc->overload_delay_ms = w->cfg.sip_overload_delay_ms;
	sc->overload_retry_after_s = w->cfg.sip_overload_retry_after_s;
	sc->core.rate = w->cfg.sip_rate_per_source;
	sc->core.burst = w->cfg.sip_rate_per_source * 2;
	sc->core.presence.max_subs = w->cfg.sip_presence_max;
	sc->core.presence.max_per_watcher = w->cfg.sip_presence_per_watcher;
	if (w->cfg.sip_digest[0]) {
		char algs[sizeof w->cfg.sip_digest];
		enum sip_digest_alg a;
		snprintf(algs, sizeof algs, "%s", w->cfg.sip_digest);
		sc->core.digest_algs = 0;
		save = NULL;
		for (char *t = strtok_r(algs, ", ", &save); t;
		     t = strtok_r(NULL, ", ", &save))
			if (sip_digest_alg_parse(t, &a) == 0)
				sc->core.digest_algs |= 1u << a;
	}
}

/* Starts the media thread once, with the node's [media] settings. A node
 * that cannot keep keys out of core dumps, or whose settings are wrong,
 * runs its calls without the table (the B2BUA then applies the leg rule
 * to a=crypto lines and relays nothing), and says so. */
static void media_look(struct wardd *w, const struct sip_config *sc)
{
	struct wardd_media_config mc;
	char err[256];

	if (w->media || w->media_failed)
		return;
	memset(&mc, 0, sizeof mc);
	snprintf(mc.addr, sizeof mc.addr, "%s",
		 w->cfg.media_address[0] ? w->cfg.media_address
		 : sc->nhosts		 ? sc->hosts[0]
					 : "127.0.0.1");
	mc.port_min = w->cfg.media_port_min;
	mc.port_max = w->cfg.media_port_max;
	mc.max_calls = w->cfg.media_max_calls;
	mc.max_conferences = w->cfg.media_max_conferences;
	mc.conference_size = w->cfg.media_conference_size;
	snprintf(mc.suites, sizeof mc.suites, "%s", w->cfg.media_suites);
	mc.allow_bridge = w->cfg.media_allow_bridge != 0;
	snprintf(mc.hold_music, sizeof mc.hold_music, "%s",
		 w->cfg.media_hold_music);
	/* Four key sets per stream (each side's and ward's toward it) and,
	 * while an offer is out, one per other suite offered: room for audio
	 * and video. */
	mc.max_keys = (size_t)mc.max_calls * 12;
	if (!w->capture) {
		w->capture = wardd_capture_new(w->store, w->base, 0, err,
					       sizeof err);
		/* Capture is off without it; calls go on. */
		if (!w->capture)
			log_error("capture", "no key log: %s", err);
	}
	mc.capture = w->capture;
	if (wardd_media_new(&mc, &w->media, err, sizeof err) != 0) {
		log_error("media", "media relay not started: %s", err);
		w->media_failed = 1;
		return;
	}
	wardd_media_table(w->media, &w->media_table);
}

void wardd_sip_look(struct wardd *w)
{
	struct sip_config sc;
	/* Additions come through .bound (which checks the record), removals
	 * through .owner with a NULL binding. */
	struct sip_core_hooks hooks = {.owner = on_owner_gone,
				       .bound = on_binding,
				       .fail = wardd_sipfail_hook,
				       .arg = w};
	struct store_read *r;
	struct store_cluster cl;
	struct store_secret sec;
	uint8_t fp[32];
	char err[512];
	int ready, files;

	if (!w->consensus || w->sip_failed || !w->cfg.sip_port)
		return;
	if (!w->sip_dir) {
		/* Holds the KEK in the keystore until the directory goes;
		 * fails while there is no DATA/kek (not a member yet). */
		if (sip_dirstore_new(w->store, w->ks, &w->sip_dir) != 0)
			return;
		sip_dirstore_directory(w->sip_dir, &w->sip_dirview);
	}
	if (store_read_begin(w->store, &r) != 0)
		return;
	ready = store_cluster_get(r, &cl) == 0 &&
		store_secret_get(r, STORE_SECRET_DIGEST_NONCE, &sec) == 0;
	store_read_end(r);
	if (!ready)
		return; /* no cluster record or nonce secret yet */
	sip_config_from(w, &sc);
	if (store_read_begin(w->store, &r) == 0) {
		/* The cluster's parameter wins over the node's setting. */
		char v[16];
		if (store_param_get(r, "sip_keepalive_s", v, sizeof v) == 0 &&
		    atoi(v) > 0)
			sc.keepalive_s = (unsigned)atoi(v);
		store_read_end(r);
	}
	if (write_tls_dir(w, sc.tls_dir, fp) != 0) {
		sc.tls_dir[0] = '\0'; /* no certificate yet: UDP/TCP only */
		memset(fp, 0, sizeof fp);
	}
	if (!sc.node_port || !sc.tls_dir[0] ||
	    write_node_tls_dir(w, sc.node_tls_dir, fp) != 0)
		sc.node_tls_dir[0] = '\0'; /* no calls between nodes */
	if (w->sip)
		wardd_sipaddr_publish(w, sc.hosts[0], sc.port,
				      sc.tls_dir[0] ? sc.tls_port : 0,
				      sc.node_tls_dir[0] ? sc.node_port : 0);
	files = memcmp(fp, w->sip_tls_fp, 32) != 0;
	if (w->sip && !files && sc.keepalive_s == w->sip_keepalive_s)
		return;
	/* Both a start and a restart take the whole configuration: a
	 * restart without the table would leave calls unrelayed. */
	media_look(w, &sc);
	sc.media = w->media ? &w->media_table : NULL;
	if (w->sip) {
		/* New files or a new keepalive interval: taken by the
		 * running thread, nothing closed. Anything else, or files
		 * libssl will not take: new listeners on the same core — the
		 * bindings, nonce counts and limits stay; TCP/TLS peers
		 * reconnect; calls end. */
		if (sip_reload(w->sip, &sc, files, err, sizeof err) == 0) {
			if (files)
				log_info(
				    "sip",
				    "certificate or trusted CAs changed: "
				    "read again for new TLS connections "
				    "(connections, calls and registrations "
				    "kept)");
			if (sc.keepalive_s != w->sip_keepalive_s)
				log_info("sip",
					 "keepalive interval now %u s "
					 "(connections and calls kept)",
					 sc.keepalive_s);
			memcpy(w->sip_tls_fp, fp, 32);
			w->sip_keepalive_s = sc.keepalive_s;
			return;
		}
		log_info("sip",
			 "certificate, trusted CAs or listeners changed (%s): "
			 "restarting the signaling listeners (registrations "
			 "kept, calls ended)",
			 err);
		if (sip_restart(w->sip, &sc, err, sizeof err) != 0) {
			log_error("sip", "signaling not restarted: %s", err);
			sip_free(w->sip);
			w->sip = NULL;
			w->sip_failed = 1;
			return;
		}
		memcpy(w->sip_tls_fp, fp, 32);
		w->sip_keepalive_s = sc.keepalive_s;
		return;
	}
	if (sip_start(&sc, &w->sip_dirview, &hooks, &w->sip, err, sizeof err) !=
	    0) {
		log_error("sip", "signaling not started: %s", err);
		w->sip_failed = 1;
		return;
	}
	memcpy(w->sip_tls_fp, fp, 32);
	w->sip_keepalive_s = sc.keepalive_s;
}

int wardd_sip_trunk_status(void *arg, const char *trunk, char **out)
{
	struct wardd *w = arg;
	struct sip_trunk_status st;
	char buf[640], why[sizeof st.tls_refused];
	size_t k = 0;
	int n;

	if (!w->sip || sip_role_trunk_status(w->sip, trunk, &st) != 0)
		return -1;
	/* The algorithm name is ours (digest.c); the refusal's reason is
	 * ours too, with libssl's verdict: kept to printable characters
	 * other than quotes and backslashes. */
	for (const char *c = st.tls_refused; *c && k < sizeof why - 1; c++)
		why[k++] = *c >= 0x20 && *c < 0x7f && *c != '"' && *c != '\\'
			       ? *c
			       : '?';
	why[k] = '\0';
	n = snprintf(buf, sizeof buf,
		     "{\"reachable\":%s,\"status\":%d,\"auth\":\"%s\","
		     "\"auth_refused\":%s,\"tls_refused\":\"%s\","
		     "\"checked_ms\":%llu,\"rtt_ms\":%u,\"probes\":%llu}",
		     st.reachable ? "true" : "false", st.status, st.auth,
		     st.auth_refused ? "true" : "false", why,
		     (unsigned long long)st.checked_ms, st.rtt_ms,
		     (unsigned long long)st.probes);
	if (n < 0 || (size_t)n >= sizeof buf || !(*out = strdup(buf)))
		return -1;
	return 0;
}

static void on_sip_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	wardd_sipfail_drain(arg);
	wardd_sip_look(arg);
}

int wardd_sip_init(struct wardd *w)
{
	struct timeval tv = {SIP_TICK_S, 0};

	if (wardd_sipreg_init(w) != 0 || wardd_sipfail_init(w) != 0)
		return -1;
	w->ev_sip = event_new(w->base, -1, EV_PERSIST, on_sip_timer, w);
	return w->ev_sip && event_add(w->ev_sip, &tv) == 0 ? 0 : -1;
}

void wardd_sip_fini(struct wardd *w)
{
	if (w->ev_sip)
		event_free(w->ev_sip);
	w->ev_sip = NULL;
	sip_free(w->sip);
	w->sip = NULL;
	/* After the role: no call is left to use the table. */
	wardd_media_free(w->media);
	w->media = NULL;
	wardd_capture_free(w->capture); /* after the media: it logs here */
	w->capture = NULL;
	wardd_sipreg_fini(w); /* after the role: nothing queues any more */
	wardd_sipfail_fini(w);
	sip_dirstore_free(w->sip_dir);
	w->sip_dir = NULL;
}

int wardd_capture_keys(void *arg, const char *device, char **out)
{
	struct wardd *w = arg;

	/* The role and its key log live on this (the admin's) thread's
	 * timer: they cannot go away during the call. */
	return wardd_capture_keys_json(w->capture, device, out);
}
