/* directory_store: sip_directory callbacks reading the store. */
#include "node/sip/directory_store.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "keystore/keystore.h"
#include "pki/pki.h"
#include "store/dialplan.h"
#include "store/presence.h"
#include "store/prov.h"

#define TRUNKS_MAX 256

struct cached_trunk {
	struct sockaddr_storage addr;
	uint32_t port;
	char name[STORE_NAME_MAX];
};

struct sip_dirstore {
	struct store *store; /* borrowed */
	struct keystore *ks; /* borrowed; holds the KEK for us */
	struct cached_trunk trunks[TRUNKS_MAX];
	size_t ntrunks;
};

int sip_dirstore_new(struct store *store, struct keystore *ks,
		     struct sip_dirstore **out)
{
	struct sip_dirstore *d = calloc(1, sizeof *d);

	if (!d)
		return -1;
	if (keystore_kek_acquire(ks, NULL, NULL, 0) != KEYSTORE_OK) {
		free(d);
		return -1;
	}
	d->store = store;
	d->ks = ks;
	*out = d;
	return 0;
}

void sip_dirstore_free(struct sip_dirstore *d)
{
	if (!d)
		return;
	keystore_kek_release(d->ks);
	free(d);
}

static unsigned transports_of(uint32_t t)
{
	switch (t) {
	case STORE_TRANSPORT_TCP:
		return SIP_TP_TCP;
	case STORE_TRANSPORT_UDP:
		return SIP_TP_UDP;
	case STORE_TRANSPORT_TLS:
		return SIP_TP_TLS;
	default:
		return SIP_TP_TCP | SIP_TP_UDP;
	}
}

static int first_device(void *arg, const struct store_device *rec)
{
	*(struct store_device *)arg = *rec;
	return 1;
}

/* Fills OUT from DEV and its profile, node group and LSC. */
static int fill_device(struct store_read *r, const struct store_device *dev,
		       struct sip_device *out)
{
	struct store_node_group g;
	struct store_device_lsc lsc;
	struct store_cluster cl;

	memset(out, 0, sizeof *out);
	snprintf(out->name, sizeof out->name, "%s", dev->name);
	snprintf(out->digest_user, sizeof out->digest_user, "%s",
		 dev->digest_user);
	if (dev->kind == STORE_DEVICE_TRUNK) {
		struct store_trunk_profile p;
		out->is_trunk = 1;
		if (store_trunk_profile_get(r, dev->profile, &p) != 0)
			return -1;
		out->mode = (enum sip_secmode)p.mode;
		out->transports = transports_of(p.in_transport);
		out->digest = (p.flags & STORE_TP_DIGEST_AUTH) != 0;
		out->nonce_validity_s = p.nonce_validity_s;
		out->trunk_flags =
		    ((p.flags & STORE_TP_OOD_REFER) ? SIP_TRUNK_ALLOW_REFER
						    : 0) |
		    ((p.flags & STORE_TP_UNSOL_NOTIFY) ? SIP_TRUNK_ALLOW_NOTIFY
						       : 0) |
		    ((p.flags & STORE_TP_REPLACES) ? SIP_TRUNK_ALLOW_REPLACES
						   : 0) |
		    ((p.flags & STORE_TP_PRESENCE_SUB)
			 ? SIP_TRUNK_ALLOW_PRESENCE
			 : 0) |
		    ((p.flags & STORE_TP_APP_AUTH) ? SIP_TRUNK_APP_AUTH : 0);
		snprintf(out->x509_subject, sizeof out->x509_subject, "%s",
			 p.x509_subjects);
		out->in_port = p.in_port;
	} else {
		struct store_phone_profile p;
		if (store_phone_profile_get(r, dev->profile, &p) != 0)
			return -1;
		out->mode = (enum sip_secmode)p.mode;
		out->transports = transports_of(p.transport);
		out->digest = (p.flags & STORE_PP_DIGEST_AUTH) != 0;
		out->nonce_validity_s = p.nonce_validity_s;
		out->encrypted_or_reject =
		    (p.flags & STORE_PP_ENCRYPTED_OR_REJECT) != 0;
	}
	if (dev->node_group[0] &&
	    store_node_group_get(r, dev->node_group, &g) == 0) {
		for (uint32_t i = 0; i < g.n_nodes && i < SIP_DIR_GROUP_MAX;
		     i++)
			out->group[out->ngroup++] = g.nodes[i];
	}
	if (store_device_lsc_get(r, dev->name, &lsc) == 0) {
		out->has_lsc = 1;
		memcpy(out->lsc_fp, lsc.sha256, 32);
	}
	/* The profile's mode is in force only in a secure (mixed) cluster
	 * (directory.h); an unreadable cluster record counts as non-secure. */
	if (store_cluster_get(r, &cl) != 0 ||
	    cl.security_mode != STORE_SECURITY_MIXED)
		out->mode = SIP_SECMODE_NONSECURE;
	return 0;
}

static int op_device(void *ctx, const char *name, struct sip_device *out)
{
	struct sip_dirstore *d = ctx;
	struct store_read *r;
	struct store_device dev;
	int rc;

	if (store_read_begin(d->store, &r) != 0)
		return -1;
	rc = store_device_get(r, name, &dev);
	if (rc == STORE_ENOTFOUND || rc == STORE_EINVAL) {
		/* A line number names its device. */
		memset(&dev, 0, sizeof dev);
		rc = store_dn_valid(name) &&
			     store_device_each_by_line(r, name, first_device,
						       &dev) >= 0 &&
			     dev.name[0]
			 ? 0
			 : STORE_ENOTFOUND;
	}
	if (rc == 0)
		rc = fill_device(r, &dev, out) == 0 ? 0 : -1;
	else if (rc == STORE_ENOTFOUND)
		rc = SIP_DIR_NOTFOUND;
	else
		rc = -1;
	store_read_end(r);
	return rc;
}

static int op_lines(void *ctx, const char *name, char out[][SIP_DIR_NAME_MAX],
		    unsigned max)
{
	struct sip_dirstore *d = ctx;
	struct store_read *r;
	struct store_device dev;
	int rc;
	unsigned n = 0;

	if (store_read_begin(d->store, &r) != 0)
		return -1;
	rc = store_device_get(r, name, &dev);
	for (uint32_t i = 0; rc == 0 && i < dev.n_lines && n < max; i++)
		snprintf(out[n++], SIP_DIR_NAME_MAX, "%s", dev.lines[i]);
	store_read_end(r);
	if (rc == 0)
		return (int)n;
	return rc == STORE_ENOTFOUND || rc == STORE_EINVAL ? 0 : -1;
}

static int same_host(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return 0;
	if (b->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

static int op_trunk(void *ctx, const struct sockaddr *sa,
		    struct sip_device *out)
{
	struct sip_dirstore *d = ctx;
	struct store_read *r;
	struct store_device dev;
	int rc = SIP_DIR_NOTFOUND;

	for (size_t i = 0; i < d->ntrunks; i++) {
		if (!same_host(&d->trunks[i].addr, sa))
			continue;
		if (store_read_begin(d->store, &r) != 0)
			return -1;
		if (store_device_get(r, d->trunks[i].name, &dev) == 0)
			rc = fill_device(r, &dev, out) == 0 ? 0 : -1;
		store_read_end(r);
		return rc;
	}
	return SIP_DIR_NOTFOUND;
}

static int op_user(void *ctx, const char *name, enum sip_digest_alg alg,
		   struct sip_user *out)
{
	static const size_t off[SIP_DIGEST_NALG] = {
	    [SIP_DIGEST_MD5] = STORE_HA1_MD5_OFF,
	    [SIP_DIGEST_SHA256] = STORE_HA1_SHA256_OFF,
	    [SIP_DIGEST_SHA512_256] = STORE_HA1_SHA512_256_OFF,
	};
	struct sip_dirstore *d = ctx;
	struct store_read *r;
	struct store_user u;
	uint8_t set[STORE_SMALL_WRAPPED_MAX];
	size_t set_len = 0;
	int rc;

	memset(out, 0, sizeof *out);
	if (store_read_begin(d->store, &r) != 0)
		return -1;
	rc = store_user_get(r, name, &u);
	store_read_end(r);
	if (rc == STORE_ENOTFOUND || rc == STORE_EINVAL)
		return SIP_DIR_NOTFOUND;
	if (rc != 0)
		return -1;
	out->is_app = u.kind == STORE_USER_APP;
	out->methods =
	    ((u.methods & STORE_SIP_INVITE) ? SIP_METHOD_BIT_INVITE : 0) |
	    ((u.methods & STORE_SIP_REFER) ? SIP_METHOD_BIT_REFER : 0) |
	    ((u.methods & STORE_SIP_NOTIFY) ? SIP_METHOD_BIT_NOTIFY : 0) |
	    ((u.methods & STORE_SIP_SUBSCRIBE) ? SIP_METHOD_BIT_SUBSCRIBE : 0) |
	    ((u.methods & STORE_SIP_MESSAGE) ? SIP_METHOD_BIT_MESSAGE : 0) |
	    ((u.methods & STORE_SIP_OPTIONS) ? SIP_METHOD_BIT_OPTIONS : 0) |
	    ((u.methods &
	      (STORE_SIP_PUBLISH | STORE_SIP_INFO | STORE_SIP_UPDATE))
		 ? SIP_METHOD_BIT_OTHER
		 : 0);
	if (u.ha1_len == 0)
		return 0; /* no credentials: ha1_len stays 0 */
	if (keystore_unwrap(d->ks, "users", name, strlen(name), u.ha1_wrapped,
			    u.ha1_len, set, sizeof set, &set_len) != 0 ||
	    set_len != STORE_HA1_SET_LEN) {
		OPENSSL_cleanse(set, sizeof set);
		return -1;
	}
	out->ha1_len = alg == SIP_DIGEST_MD5 ? 16 : 32;
	memcpy(out->ha1, set + off[alg], out->ha1_len);
	OPENSSL_cleanse(set, sizeof set);
	return 0;
}

static int cache_trunk(void *arg, const struct store_device *rec)
{
	struct sip_dirstore *d = arg;
	struct cached_trunk *t;

	if (rec->kind != STORE_DEVICE_TRUNK || d->ntrunks >= TRUNKS_MAX)
		return 0;
	t = &d->trunks[d->ntrunks];
	memset(t, 0, sizeof *t);
	if (inet_pton(AF_INET, rec->peer_host,
		      &((struct sockaddr_in *)&t->addr)->sin_addr) == 1)
		t->addr.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, rec->peer_host,
			   &((struct sockaddr_in6 *)&t->addr)->sin6_addr) == 1)
		t->addr.ss_family = AF_INET6;
	else
		return 0; /* host names are not resolved here */
	t->port = rec->peer_port;
	snprintf(t->name, sizeof t->name, "%s", rec->name);
	d->ntrunks++;
	return 0;
}

static int op_cluster(void *ctx, struct sip_cluster *out)
{
	struct sip_dirstore *d = ctx;
	struct store_read *r;
	struct store_cluster cl;
	struct store_secret sec;
	uint8_t pt[STORE_SMALL_WRAPPED_MAX];
	size_t pt_len = 0;
	char v[32];
	int ok;

	memset(out, 0, sizeof *out);
	if (store_read_begin(d->store, &r) != 0)
		return -1;
	ok = store_cluster_get(r, &cl) == 0 &&
	     store_secret_get(r, STORE_SECRET_DIGEST_NONCE, &sec) == 0;
	if (ok) {
		snprintf(out->realm, sizeof out->realm, "%s", cl.name);
		out->secure = cl.security_mode == STORE_SECURITY_MIXED;
		out->default_nonce_validity_s = 600;
		if (store_param_get(r, "digest_nonce_validity_s", v,
				    sizeof v) == 0 &&
		    atoi(v) > 0)
			out->default_nonce_validity_s = (unsigned)atoi(v);
		d->ntrunks = 0;
		store_device_each(r, cache_trunk, d);
	}
	store_read_end(r);
	if (!ok)
		return -1;
	if (keystore_unwrap(d->ks, "secrets", STORE_SECRET_DIGEST_NONCE,
			    strlen(STORE_SECRET_DIGEST_NONCE), sec.wrapped,
			    sec.wrapped_len, pt, sizeof pt, &pt_len) != 0 ||
	    pt_len != SIP_DIGEST_SECRET_LEN) {
		OPENSSL_cleanse(pt, sizeof pt);
		return -1;
	}
	memcpy(out->nonce_secret, pt, SIP_DIGEST_SECRET_LEN);
	OPENSSL_cleanse(pt, sizeof pt);
	return 0;
}

static int op_trust(void *ctx, const uint8_t fp[32])
{
	struct sip_dirstore *d = ctx;
	struct store_read *r;
	struct store_cluster cl;
	struct store_trust t;
	int rc = SIP_DIR_NOTFOUND;

	if (store_read_begin(d->store, &r) != 0)
		return -1;
	if (store_cluster_get(r, &cl) == 0 &&
	    CRYPTO_memcmp(cl.ca_sha256, fp, 32) == 0)
		rc = SIP_TRUST_LSC_CA;
	else if (store_trust_find(r, fp, &t) == 0) {
		if (t.category == STORE_TRUST_MIC_ROOT)
			rc = SIP_TRUST_MIC_ROOT;
		else if (t.category == STORE_TRUST_TRUNK_PEER)
			rc = SIP_TRUST_TRUNK_PEER;
	}
	store_read_end(r);
	return rc;
}

/* ---- the dial plan ---------------------------------------------------- */

static int op_route(void *ctx, const char *caller, const char *number,
		    struct sip_route *out)
{
	struct sip_dirstore *d = ctx;
	struct store_dialplan_answer a;
	struct store_read *r;
	int rc;

	memset(out, 0, sizeof *out);
	if (store_read_begin(d->store, &r) != 0)
		return -1;
	rc = store_dialplan_route(r, caller, number, &a);
	store_read_end(r);
	if (rc == STORE_ENOTFOUND)
		return SIP_DIR_FORBIDDEN; /* an unknown caller reaches nothing
					   */
	if (rc)
		return -1;
	switch (a.res.verdict) {
	case DIALPLAN_LINE:
		for (unsigned i = 0; i < a.ndevices && i < SIP_ROUTE_MAX; i++)
			snprintf(out->devices[out->ndevices++],
				 sizeof out->devices[0], "%s", a.devices[i]);
		break;
	case DIALPLAN_ROUTE:
		snprintf(out->devices[0], sizeof out->devices[0], "%s",
			 a.res.target);
		out->ndevices = 1;
		break;
	case DIALPLAN_BLOCK:
		return SIP_DIR_FORBIDDEN;
	default:
		/* Out of reach or unknown: the same answer. */
		return SIP_DIR_NOTFOUND;
	}
	snprintf(out->number, sizeof out->number, "%s", number);
	snprintf(out->partition, sizeof out->partition, "%s", a.res.partition);
	return 0;
}

static int op_presence_group(void *ctx, const char *user,
			     char group[SIP_DIR_NAME_MAX])
{
	struct sip_dirstore *d = ctx;
	struct store_read *r;
	struct store_user u;
	int rc;

	if (store_read_begin(d->store, &r) != 0)
		return -1;
	rc = store_user_get(r, user, &u);
	store_read_end(r);
	if (rc == 0)
		snprintf(group, SIP_DIR_NAME_MAX, "%s", u.presence_group);
	OPENSSL_cleanse(&u, sizeof u);
	if (rc == STORE_ENOTFOUND || rc == STORE_EINVAL)
		return SIP_DIR_NOTFOUND;
	return rc == 0 ? 0 : -1;
}

static int op_presence_rule(void *ctx, const char *watcher, const char *watched,
			    int *allow)
{
	struct sip_dirstore *d = ctx;
	struct store_presence_group g;
	struct store_read *r;
	int rc;

	if (store_read_begin(d->store, &r) != 0)
		return -1;
	rc = store_presence_group_get(r, watcher, &g);
	store_read_end(r);
	if (rc == STORE_ENOTFOUND || rc == STORE_EINVAL)
		return SIP_DIR_NOTFOUND;
	if (rc != 0)
		return -1;
	rc = store_presence_rule_of(&g, watched);
	if (rc < 0)
		return SIP_DIR_NOTFOUND;
	*allow = rc;
	return 0;
}

static int op_registration(void *ctx, const char *device, uint64_t *node_id)
{
	struct sip_dirstore *d = ctx;
	struct store_registration reg;
	struct store_read *r;
	int rc;

	if (store_read_begin(d->store, &r) != 0)
		return -1;
	rc = store_registration_get(r, device, &reg);
	store_read_end(r);
	if (rc == STORE_ENOTFOUND || rc == STORE_EINVAL)
		return SIP_DIR_NOTFOUND;
	if (rc != 0)
		return -1;
	*node_id = reg.node_id;
	return 0;
}

static int op_presence_default(void *ctx)
{
	struct sip_dirstore *d = ctx;
	struct store_read *r;
	char v[16] = "";
	int rc;

	if (store_read_begin(d->store, &r) != 0)
		return -1;
	rc = store_param_get(r, "presence_default_subscription", v, sizeof v);
	store_read_end(r);
	if (rc != 0)
		return -1;
	return strcmp(v, "allow") == 0;
}

/* The outgoing transport of each trunk's profile, looked up after the
 * devices were listed (one read transaction at a time). */
struct peer_list {
	struct sip_trunk_peer p[TRUNKS_MAX];
	char profile[TRUNKS_MAX][STORE_NAME_MAX];
	size_t n;
};

static int list_trunk(void *arg, const struct store_device *rec)
{
	struct peer_list *l = arg;
	struct sip_trunk_peer *p;

	if (rec->kind != STORE_DEVICE_TRUNK || !rec->peer_host[0])
		return 0;
	if (l->n >= TRUNKS_MAX)
		return 1;
	p = &l->p[l->n];
	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "%s", rec->name);
	snprintf(p->host, sizeof p->host, "%s", rec->peer_host);
	p->port = rec->peer_port ? rec->peer_port : 5060;
	snprintf(l->profile[l->n], sizeof l->profile[0], "%s", rec->profile);
	l->n++;
	return 0;
}

static int op_trunk_each(void *ctx, sip_trunk_peer_fn fn, void *arg)
{
	struct sip_dirstore *d = ctx;
	struct peer_list *l = calloc(1, sizeof *l);
	struct store_read *r;

	if (!l || store_read_begin(d->store, &r) != 0) {
		free(l);
		return -1;
	}
	store_device_each(r, list_trunk, l);
	for (size_t i = 0; i < l->n; i++) {
		struct store_trunk_profile tp;
		l->p[i].transport = SIP_TP_UDP;
		if (store_trunk_profile_get(r, l->profile[i], &tp) == 0)
			l->p[i].transport =
			    tp.out_transport == STORE_TRANSPORT_TLS ? SIP_TP_TLS
			    : tp.out_transport == STORE_TRANSPORT_TCP
				? SIP_TP_TCP
				: SIP_TP_UDP;
	}
	store_read_end(r);
	for (size_t i = 0; i < l->n; i++)
		if (fn(arg, &l->p[i]))
			break;
	free(l);
	return 0;
}

static int op_realm_cred(void *ctx, const char *realm,
			 struct sip_realm_cred *out)
{
	struct sip_dirstore *d = ctx;
	struct store_read *r;
	struct store_realm rec;
	uint8_t pt[STORE_SMALL_WRAPPED_MAX];
	size_t pt_len = 0;
	int rc;

	memset(out, 0, sizeof *out);
	if (store_read_begin(d->store, &r) != 0)
		return -1;
	rc = store_realm_get(r, realm, &rec);
	store_read_end(r);
	if (rc != 0)
		return rc == STORE_ENOTFOUND ? SIP_DIR_NOTFOUND : -1;
	if (keystore_unwrap(d->ks, "realms", realm, strlen(realm),
			    rec.password_wrapped, rec.password_len, pt,
			    sizeof pt, &pt_len) != 0 ||
	    pt_len >= sizeof out->password) {
		OPENSSL_cleanse(pt, sizeof pt);
		OPENSSL_cleanse(&rec, sizeof rec);
		return -1;
	}
	snprintf(out->user, sizeof out->user, "%s", rec.user);
	memcpy(out->password, pt, pt_len);
	out->password[pt_len] = '\0';
	OPENSSL_cleanse(pt, sizeof pt);
	OPENSSL_cleanse(&rec, sizeof rec);
	return 0;
}

struct node_fp {
	const uint8_t *fp;
	uint64_t owner;
};

static int match_node_cert(void *arg, const struct store_cert *rec)
{
	struct node_fp *m = arg;

	if (rec->role != STORE_CERT_NODE || rec->owner == 0 ||
	    CRYPTO_memcmp(rec->sha256, m->fp, 32) != 0)
		return 0;
	m->owner = rec->owner;
	return 1;
}

static int is_member(const struct store_node *n)
{
	return n->state == STORE_NODE_SPARE || n->state == STORE_NODE_VOTER;
}

static int op_node_by_cert(void *ctx, const uint8_t fp[32], uint64_t *node_id)
{
	struct sip_dirstore *d = ctx;
	struct node_fp m = {.fp = fp};
	struct store_node n;
	struct store_read *r;
	int rc;

	if (store_read_begin(d->store, &r) != 0)
		return -1;
	rc = store_cert_each(r, match_node_cert, &m);
	if (rc == 1)
		rc = store_node_get(r, m.owner, &n);
	else if (rc == 0)
		rc = STORE_ENOTFOUND;
	store_read_end(r);
	if (rc == STORE_ENOTFOUND || (rc == 0 && !is_member(&n)))
		return SIP_DIR_NOTFOUND;
	if (rc != 0)
		return -1;
	*node_id = n.id;
	return 0;
}

static int op_node_sip(void *ctx, uint64_t node_id, char host[SIP_DIR_HOST_MAX],
		       unsigned *port)
{
	struct sip_dirstore *d = ctx;
	struct store_node n;
	struct store_read *r;
	int rc;

	if (store_read_begin(d->store, &r) != 0)
		return -1;
	rc = store_node_get(r, node_id, &n);
	store_read_end(r);
	if (rc == STORE_ENOTFOUND ||
	    (rc == 0 && (!is_member(&n) || !n.sip_host[0] || !n.sip_node_port)))
		return SIP_DIR_NOTFOUND;
	if (rc != 0)
		return -1;
	snprintf(host, SIP_DIR_HOST_MAX, "%s", n.sip_host);
	*port = n.sip_node_port;
	return 0;
}

static const struct sip_directory_ops store_ops = {
    .node_by_cert = op_node_by_cert,
    .node_sip = op_node_sip,
    .presence_group = op_presence_group,
    .presence_rule = op_presence_rule,
    .presence_default = op_presence_default,
    .registration = op_registration,
    .trunk_each = op_trunk_each,
    .realm_cred = op_realm_cred,
    .device_by_name = op_device,
    .trunk_by_addr = op_trunk,
    .user = op_user,
    .cluster = op_cluster,
    .trust_root = op_trust,
    .route = op_route,
    .device_lines = op_lines,
};

void sip_dirstore_directory(struct sip_dirstore *d, struct sip_directory *out)
{
	out->ops = &store_ops;
	out->ctx = d;
}
