/* directory_mem: users, devices and trunks in hash tables. */
#include "node/sip/directory_mem.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/errmsg.h"
#include "common/hex.h"
#include "store/dialplan.h"

struct mem_user {
	char name[SIP_DIR_NAME_MAX];
	char pgroup[SIP_DIR_NAME_MAX]; /* presence group, "" none */
	struct sip_user u[SIP_DIGEST_NALG];
};

#define PGROUPS_MAX 32
#define PRULES_TEXT 512

/* A presence group: its rules as the file gives them, comma-separated. */
struct mem_pgroup {
	char name[SIP_DIR_NAME_MAX];
	char allow[PRULES_TEXT], disallow[PRULES_TEXT];
};


struct mem_trunk {
	struct sip_device dev;
	struct sockaddr_storage addr;
	char css[SIP_DIR_NAME_MAX]; /* "" none */
	unsigned peer_port;
	unsigned out_tp;
};

struct mem_cred {
	char realm[SIP_DIR_REALM_MAX];
	struct sip_realm_cred cred;
};

/* A calling search space. */
struct mem_css {
	char name[SIP_DIR_NAME_MAX];
	char parts[STORE_CSS_PARTITIONS_MAX][STORE_NAME_MAX];
	unsigned n;
};

/* A route or blocking pattern. */
struct mem_pattern {
	char partition[SIP_DIR_NAME_MAX]; /* "" the none-partition */
	char pattern[STORE_DIALPLAN_PATTERN_MAX];
	uint32_t action; /* enum store_route_action */
	char trunk[SIP_DIR_NAME_MAX];
};

struct sip_dirmem {
	struct sip_cluster cluster;
	struct mem_user *users; /* owned */
	size_t nusers, capusers;
	struct sip_device *devs; /* owned */
	size_t ndevs, capdevs;
	char (*lines)[SIP_DIR_NAME_MAX];      /* owned: lines[i] of devs[i] */
	char (*line_parts)[SIP_DIR_NAME_MAX]; /* owned: its partition */
	char (*dev_css)[SIP_DIR_NAME_MAX];    /* owned: devs[i]'s CSS */
	struct mem_css *css;		      /* owned */
	size_t ncss, capcss;
	struct mem_pattern *patterns; /* owned */
	size_t npatterns, cappatterns;
	struct mem_trunk *trunks; /* owned */
	size_t ntrunks, captrunks;
	struct mem_cred *creds; /* owned */
	size_t ncreds, capcreds;
	size_t *uidx, *didx, *lidx; /* owned: open hash, index + 1 */
	struct mem_pgroup pgroups[PGROUPS_MAX];
	size_t npgroups;
	int presence_allow; /* the default for pairs without a rule */
	uint8_t roots[8][32];
	int root_kind[8];
	size_t nroots;
	size_t hcap;
};

static uint32_t h32(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	void *p;
	size_t n = *cap ? *cap : 16;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*arr, n * elem);
	if (!p)
		return -1;
	memset((char *)p + *cap * elem, 0, (n - *cap) * elem);
	*arr = p;
	*cap = n;
	return 0;
}

static int build_index(struct sip_dirmem *m)
{
	size_t cap = 64;

	while (cap < 2 * (m->nusers + m->ndevs) + 2)
		cap *= 2;
	free(m->uidx);
	free(m->didx);
	free(m->lidx);
	m->uidx = calloc(cap, sizeof *m->uidx);
	m->didx = calloc(cap, sizeof *m->didx);
	m->lidx = calloc(cap, sizeof *m->lidx);
	if (!m->uidx || !m->didx || !m->lidx)
		return -1;
	m->hcap = cap;
	for (size_t i = 0; i < m->nusers; i++) {
		size_t h = h32(m->users[i].name) & (cap - 1);
		while (m->uidx[h])
			h = (h + 1) & (cap - 1);
		m->uidx[h] = i + 1;
	}
	for (size_t i = 0; i < m->ndevs; i++) {
		size_t h = h32(m->devs[i].name) & (cap - 1);
		while (m->didx[h])
			h = (h + 1) & (cap - 1);
		m->didx[h] = i + 1;
		if (!m->lines[i][0])
			continue;
		h = h32(m->lines[i]) & (cap - 1);
		while (m->lidx[h])
			h = (h + 1) & (cap - 1);
		m->lidx[h] = i + 1;
	}
	return 0;
}

static struct mem_user *find_user(struct sip_dirmem *m, const char *name)
{
	if (!m->hcap)
		return NULL;
	for (size_t h = h32(name) & (m->hcap - 1); m->uidx[h];
	     h = (h + 1) & (m->hcap - 1))
		if (strcmp(m->users[m->uidx[h] - 1].name, name) == 0)
			return &m->users[m->uidx[h] - 1];
	return NULL;
}

struct sip_device *sip_dirmem_device(struct sip_dirmem *m, const char *name)
{
	if (!m->hcap)
		return NULL;
	for (size_t h = h32(name) & (m->hcap - 1); m->didx[h];
	     h = (h + 1) & (m->hcap - 1))
		if (strcmp(m->devs[m->didx[h] - 1].name, name) == 0)
			return &m->devs[m->didx[h] - 1];
	for (size_t h = h32(name) & (m->hcap - 1); m->lidx[h];
	     h = (h + 1) & (m->hcap - 1))
		if (strcmp(m->lines[m->lidx[h] - 1], name) == 0)
			return &m->devs[m->lidx[h] - 1];
	return NULL;
}

struct sip_cluster *sip_dirmem_cluster(struct sip_dirmem *m)
{
	return &m->cluster;
}

/* The profile's mode as the directory contract gives it: in force only in
 * a secure cluster (directory.h). */
static void in_force(const struct sip_dirmem *m, struct sip_device *out)
{
	if (!m->cluster.secure)
		out->mode = SIP_SECMODE_NONSECURE;
}

static int op_device(void *ctx, const char *name, struct sip_device *out)
{
	struct sip_dirmem *m = ctx;
	struct sip_device *d = sip_dirmem_device(m, name);

	/* A trunk by its name too, as the store answers (a route pattern's
	 * trunk, a trunk calling). */
	for (size_t i = 0; !d && i < m->ntrunks; i++)
		if (strcmp(m->trunks[i].dev.name, name) == 0)
			d = &m->trunks[i].dev;
	if (!d)
		return SIP_DIR_NOTFOUND;
	*out = *d;
	in_force(m, out);
	return 0;
}

static int op_lines(void *ctx, const char *name, char out[][SIP_DIR_NAME_MAX],
		    unsigned max)
{
	struct sip_dirmem *m = ctx;

	/* One line a device here, by the device's own name only. */
	for (size_t i = 0; i < m->ndevs; i++) {
		if (strcmp(m->devs[i].name, name) != 0)
			continue;
		if (!m->lines[i][0] || max == 0)
			return 0;
		snprintf(out[0], SIP_DIR_NAME_MAX, "%s", m->lines[i]);
		return 1;
	}
	return 0;
}

static int same_addr(const struct sockaddr_storage *t,
		     const struct sockaddr *sa)
{
	if (t->ss_family != sa->sa_family)
		return 0;
	if (sa->sa_family == AF_INET)
		return memcmp(&((const struct sockaddr_in *)t)->sin_addr,
			      &((const struct sockaddr_in *)sa)->sin_addr,
			      4) == 0;
	if (sa->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)t)->sin6_addr,
			      &((const struct sockaddr_in6 *)sa)->sin6_addr,
			      16) == 0;
	return 0;
}

static int op_trunk(void *ctx, const struct sockaddr *sa,
		    struct sip_device *out)
{
	struct sip_dirmem *m = ctx;
	for (size_t i = 0; i < m->ntrunks; i++)
		if (same_addr(&m->trunks[i].addr, sa)) {
			*out = m->trunks[i].dev;
			in_force(m, out);
			return 0;
		}
	return SIP_DIR_NOTFOUND;
}

static int op_user(void *ctx, const char *name, enum sip_digest_alg alg,
		   struct sip_user *out)
{
	struct mem_user *u = find_user(ctx, name);
	if (!u || alg >= SIP_DIGEST_NALG)
		return SIP_DIR_NOTFOUND;
	*out = u->u[alg];
	return 0;
}

static int op_cluster(void *ctx, struct sip_cluster *out)
{
	*out = ((struct sip_dirmem *)ctx)->cluster;
	return 0;
}

static int op_trust(void *ctx, const uint8_t fp[32])
{
	struct sip_dirmem *m = ctx;
	for (size_t i = 0; i < m->nroots; i++)
		if (memcmp(m->roots[i], fp, 32) == 0)
			return m->root_kind[i];
	return SIP_DIR_NOTFOUND;
}

/* ---- the dial plan ---------------------------------------------------- */

/* The devices with line NUMBER in PARTITION, through the line hash (every
 * device with a line is in it), into OUT (may be NULL); how many match. */
static unsigned each_line(struct sip_dirmem *m, const char *partition,
			  const char *number, struct sip_route *out)
{
	unsigned n = 0;

	if (!m->hcap)
		return 0;
	for (size_t h = h32(number) & (m->hcap - 1); m->lidx[h];
	     h = (h + 1) & (m->hcap - 1)) {
		size_t i = m->lidx[h] - 1;

		if (strcmp(m->lines[i], number) != 0 ||
		    strcmp(m->line_parts[i], partition) != 0)
			continue;
		n++;
		if (out && out->ndevices < SIP_ROUTE_MAX)
			snprintf(out->devices[out->ndevices++],
				 SIP_DIR_NAME_MAX, "%s", m->devs[i].name);
	}
	return n;
}

static int mem_has_line(void *ctx, const char *partition, const char *number)
{
	return each_line(ctx, partition, number, NULL) > 0;
}

static int mem_each_pattern(void *ctx, const char *partition,
			    const char *number, dialplan_pattern_fn fn,
			    void *arg)
{
	struct sip_dirmem *m = ctx;

	for (size_t i = 0; i < m->npatterns; i++) {
		const struct mem_pattern *mp = &m->patterns[i];
		struct dialplan_pattern p = {.pattern = mp->pattern,
					     .action = mp->action,
					     .target = mp->trunk,
					     .name = mp->pattern};

		(void)number; /* every one: dialplan_resolve matches */
		if (strcmp(mp->partition, partition) == 0 && fn(arg, &p))
			return 1;
	}
	return 0;
}

static const struct dialplan_source mem_plan = {
    .has_line = mem_has_line,
    .each_pattern = mem_each_pattern,
};

/* CALLER's CSS name into *CSS: 0, or SIP_DIR_FORBIDDEN if no device or
 * trunk has that name. */
static int caller_css_name(struct sip_dirmem *m, const char *caller,
			   const char **css)
{
	if (m->hcap) {
		for (size_t h = h32(caller) & (m->hcap - 1); m->didx[h];
		     h = (h + 1) & (m->hcap - 1)) {
			size_t i = m->didx[h] - 1;

			if (strcmp(m->devs[i].name, caller) == 0) {
				*css = m->dev_css[i];
				return 0;
			}
		}
	}
	for (size_t i = 0; i < m->ntrunks; i++) {
		if (strcmp(m->trunks[i].dev.name, caller) == 0) {
			*css = m->trunks[i].css;
			return 0;
		}
	}
	return SIP_DIR_FORBIDDEN;
}

static int op_route(void *ctx, const char *caller, const char *number,
		    struct sip_route *out)
{
	struct sip_dirmem *m = ctx;
	const struct mem_css *c = NULL;
	struct dialplan_result res;
	const char *css = "";
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = caller_css_name(m, caller, &css)) != 0)
		return rc;
	for (size_t i = 0; css[0] && i < m->ncss && !c; i++) {
		if (strcmp(m->css[i].name, css) == 0)
			c = &m->css[i];
	}
	if (css[0] && !c)
		return -1; /* a CSS nobody declared: fail closed */
	if (dialplan_resolve(&mem_plan, m, c ? c->parts : NULL, c ? c->n : 0,
			     number, &res) != 0)
		return -1;
	switch (res.verdict) {
	case DIALPLAN_LINE:
		each_line(m, res.partition, number, out);
		break;
	case DIALPLAN_ROUTE:
		snprintf(out->devices[0], sizeof out->devices[0], "%s",
			 res.target);
		out->ndevices = 1;
		break;
	case DIALPLAN_BLOCK:
		return SIP_DIR_FORBIDDEN;
	default:
		return SIP_DIR_NOTFOUND;
	}
	snprintf(out->number, sizeof out->number, "%s", number);
	snprintf(out->partition, sizeof out->partition, "%s", res.partition);
	return 0;
}

static int op_presence_group(void *ctx, const char *user,
			     char group[SIP_DIR_NAME_MAX])
{
	struct mem_user *u = find_user(ctx, user);

	if (!u)
		return SIP_DIR_NOTFOUND;
	memcpy(group, u->pgroup, SIP_DIR_NAME_MAX);
	return 0;
}

/* 1 if NAME is one of the comma-separated LIST. */
static int listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; *p;) {
		size_t k = strcspn(p, ",");
		if (k == n && strncmp(p, name, n) == 0)
			return 1;
		p += k;
		p += *p == ',';
	}
	return 0;
}

static int op_presence_rule(void *ctx, const char *watcher, const char *watched,
			    int *allow)
{
	struct sip_dirmem *m = ctx;

	for (size_t i = 0; i < m->npgroups; i++) {
		if (strcmp(m->pgroups[i].name, watcher) != 0)
			continue;
		*allow = listed(m->pgroups[i].allow, watched);
		if (*allow || listed(m->pgroups[i].disallow, watched))
			return 0;
	}
	return SIP_DIR_NOTFOUND;
}

static int op_presence_default(void *ctx)
{
	return ((struct sip_dirmem *)ctx)->presence_allow;
}

static int op_trunk_each(void *ctx, sip_trunk_peer_fn fn, void *arg)
{
	struct sip_dirmem *m = ctx;

	for (size_t i = 0; i < m->ntrunks; i++) {
		const struct mem_trunk *t = &m->trunks[i];
		struct sip_trunk_peer p = {.port = t->peer_port,
					   .transport = t->out_tp};
		snprintf(p.name, sizeof p.name, "%s", t->dev.name);
		if (t->addr.ss_family == AF_INET)
			inet_ntop(
			    AF_INET,
			    &((const struct sockaddr_in *)&t->addr)->sin_addr,
			    p.host, sizeof p.host);
		else
			inet_ntop(
			    AF_INET6,
			    &((const struct sockaddr_in6 *)&t->addr)->sin6_addr,
			    p.host, sizeof p.host);
		if (fn(arg, &p))
			break;
	}
	return 0;
}

static int op_realm_cred(void *ctx, const char *realm,
			 struct sip_realm_cred *out)
{
	struct sip_dirmem *m = ctx;

	for (size_t i = 0; i < m->ncreds; i++)
		if (strcmp(m->creds[i].realm, realm) == 0) {
			*out = m->creds[i].cred;
			return 0;
		}
	return SIP_DIR_NOTFOUND;
}

static const struct sip_directory_ops mem_ops = {
    .presence_group = op_presence_group,
    .presence_rule = op_presence_rule,
    .presence_default = op_presence_default,
    .trunk_each = op_trunk_each,
    .realm_cred = op_realm_cred,
    .trust_root = op_trust,
    .device_by_name = op_device,
    .trunk_by_addr = op_trunk,
    .user = op_user,
    .cluster = op_cluster,
    .route = op_route,
    .device_lines = op_lines,
};

void sip_dirmem_directory(struct sip_dirmem *m, struct sip_directory *out)
{
	out->ops = &mem_ops;
	out->ctx = m;
}

static unsigned parse_methods(const char *s)
{
	static const struct {
		const char *n;
		unsigned bit;
	} t[] = {{"INVITE", SIP_METHOD_BIT_INVITE},
		 {"REFER", SIP_METHOD_BIT_REFER},
		 {"NOTIFY", SIP_METHOD_BIT_NOTIFY},
		 {"SUBSCRIBE", SIP_METHOD_BIT_SUBSCRIBE},
		 {"MESSAGE", SIP_METHOD_BIT_MESSAGE},
		 {"OPTIONS", SIP_METHOD_BIT_OPTIONS}};
	unsigned bits = 0;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strstr(s, t[i].n))
			bits |= t[i].bit;
	return bits;
}

static int add_user(struct sip_dirmem *m, const char *name, const char *pw,
		    unsigned methods, int is_app)
{
	struct mem_user *u;

	if (strlen(name) >= SIP_DIR_NAME_MAX ||
	    grow((void **)&m->users, &m->capusers, m->nusers + 1,
		 sizeof *m->users))
		return -1;
	u = &m->users[m->nusers++];
	strcpy(u->name, name);
	for (int a = 0; a < SIP_DIGEST_NALG; a++) {
		int n = sip_digest_ha1((enum sip_digest_alg)a, name,
				       m->cluster.realm, pw, u->u[a].ha1);
		if (n < 0)
			return -1;
		u->u[a].ha1_len = (size_t)n;
		u->u[a].methods = methods;
		u->u[a].is_app = is_app;
	}
	return 0;
}

static struct sip_device *add_device(struct sip_dirmem *m, const char *name)
{
	size_t old = m->capdevs, c1 = old, c2 = old, c3 = old;
	struct sip_device *d;

	if (strlen(name) >= SIP_DIR_NAME_MAX ||
	    grow((void **)&m->devs, &m->capdevs, m->ndevs + 1, sizeof *m->devs))
		return NULL;
	/* The per-device arrays follow devs (grow zeroes the new part). */
	if (grow((void **)&m->lines, &c1, m->capdevs, sizeof *m->lines) ||
	    grow((void **)&m->line_parts, &c2, m->capdevs,
		 sizeof *m->line_parts) ||
	    grow((void **)&m->dev_css, &c3, m->capdevs, sizeof *m->dev_css))
		return NULL;
	d = &m->devs[m->ndevs++];
	strcpy(d->name, name);
	d->transports = SIP_TP_UDP | SIP_TP_TCP | SIP_TP_TLS;
	d->digest = 1;
	return d;
}

static enum sip_secmode parse_mode(const char *v)
{
	if (strcmp(v, "authenticated") == 0)
		return SIP_SECMODE_AUTHENTICATED;
	if (strcmp(v, "encrypted") == 0)
		return SIP_SECMODE_ENCRYPTED;
	return SIP_SECMODE_NONSECURE;
}

/* One "key=value" option of a device or trunk line. */
static int device_opt(struct sip_dirmem *m, struct sip_device *d, size_t idx,
		      struct sockaddr_storage *addr, char *css, char *kv)
{
	char *v = strchr(kv, '=');

	if (!v)
		return -1;
	*v++ = '\0';
	if (strcmp(kv, "user") == 0)
		snprintf(d->digest_user, sizeof d->digest_user, "%s", v);
	else if (strcmp(kv, "line") == 0 && !d->is_trunk) {
		/* DN or DN@PARTITION: a bare DN is in the none-partition. */
		char *at = strchr(v, '@');

		if (at) {
			*at++ = '\0';
			if (!store_prov_name_valid(at))
				return -1;
			snprintf(m->line_parts[idx], sizeof m->line_parts[idx],
				 "%s", at);
		}
		if (!store_dn_valid(v))
			return -1;
		snprintf(m->lines[idx], sizeof m->lines[idx], "%s", v);
	} else if (strcmp(kv, "css") == 0 && css) {
		if (!store_prov_name_valid(v))
			return -1;
		snprintf(css, SIP_DIR_NAME_MAX, "%s", v);
	} else if (strcmp(kv, "mode") == 0)
		d->mode = parse_mode(v);
	else if (strcmp(kv, "digest") == 0)
		d->digest = atoi(v) != 0;
	else if (strcmp(kv, "reject") == 0)
		d->encrypted_or_reject = atoi(v) != 0;
	else if (strcmp(kv, "validity") == 0)
		d->nonce_validity_s = (unsigned)atoi(v);
	else if (strcmp(kv, "transports") == 0)
		d->transports = (strstr(v, "udp") ? SIP_TP_UDP : 0) |
				(strstr(v, "tcp") ? SIP_TP_TCP : 0) |
				(strstr(v, "tls") ? SIP_TP_TLS : 0);
	else if (strcmp(kv, "group") == 0) {
		char *save = NULL;
		d->ngroup = 0;
		for (char *t = strtok_r(v, ",", &save);
		     t && d->ngroup < SIP_DIR_GROUP_MAX;
		     t = strtok_r(NULL, ",", &save))
			d->group[d->ngroup++] = strtoull(t, NULL, 10);
	} else if (strcmp(kv, "lsc") == 0) {
		if (hex_decode(v, d->lsc_fp, 32) != 0)
			return -1;
		d->has_lsc = 1;
	} else if (strcmp(kv, "allow") == 0) {
		d->trunk_flags |=
		    (strstr(v, "refer") ? SIP_TRUNK_ALLOW_REFER : 0) |
		    (strstr(v, "notify") ? SIP_TRUNK_ALLOW_NOTIFY : 0) |
		    (strstr(v, "replaces") ? SIP_TRUNK_ALLOW_REPLACES : 0) |
		    (strstr(v, "presence") ? SIP_TRUNK_ALLOW_PRESENCE : 0);
	} else if (strcmp(kv, "appauth") == 0) {
		if (atoi(v))
			d->trunk_flags |= SIP_TRUNK_APP_AUTH;
	} else if (strcmp(kv, "port") == 0 && d->is_trunk)
		d->in_port = (unsigned)atoi(v);
	else if (strcmp(kv, "peerport") == 0 && d->is_trunk && addr)
		((struct mem_trunk *)(void *)d)->peer_port = (unsigned)atoi(v);
	else if (strcmp(kv, "out") == 0 && d->is_trunk && addr)
		((struct mem_trunk *)(void *)d)->out_tp =
		    strcmp(v, "tls") == 0   ? SIP_TP_TLS
		    : strcmp(v, "tcp") == 0 ? SIP_TP_TCP
					    : SIP_TP_UDP;
	else if (strcmp(kv, "subject") == 0)
		snprintf(d->x509_subject, sizeof d->x509_subject, "%s", v);
	else if (strcmp(kv, "addr") == 0 && addr) {
		struct sockaddr_in *a4 = (void *)addr;
		struct sockaddr_in6 *a6 = (void *)addr;
		if (inet_pton(AF_INET, v, &a4->sin_addr) == 1)
			a4->sin_family = AF_INET;
		else if (inet_pton(AF_INET6, v, &a6->sin6_addr) == 1)
			a6->sin6_family = AF_INET6;
		else
			return -1;
	} else
		return -1;
	return 0;
}

/* "css NAME P1,P2,...": the partitions in search order. */
static int add_css(struct sip_dirmem *m, const char *name, char *parts)
{
	struct mem_css *c;
	char *save = NULL;

	if (!store_prov_name_valid(name) ||
	    grow((void **)&m->css, &m->capcss, m->ncss + 1, sizeof *m->css))
		return -1;
	c = &m->css[m->ncss++];
	snprintf(c->name, sizeof c->name, "%s", name);
	for (char *t = strtok_r(parts, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		if (c->n == STORE_CSS_PARTITIONS_MAX ||
		    !store_prov_name_valid(t))
			return -1;
		snprintf(c->parts[c->n++], sizeof c->parts[0], "%s", t);
	}
	return 0;
}

/* "pattern PATTERN route=TRUNK|block [partition=P]". */
static int add_pattern(struct sip_dirmem *m, const char *pattern, char *what,
		       char *where)
{
	struct mem_pattern *p;

	if (dialplan_pattern_check(pattern, NULL, 0) != 0 ||
	    grow((void **)&m->patterns, &m->cappatterns, m->npatterns + 1,
		 sizeof *m->patterns))
		return -1;
	p = &m->patterns[m->npatterns];
	memset(p, 0, sizeof *p);
	snprintf(p->pattern, sizeof p->pattern, "%s", pattern);
	if (strcmp(what, "block") == 0) {
		p->action = STORE_ROUTE_BLOCK;
	} else if (strncmp(what, "route=", 6) == 0 &&
		   store_prov_name_valid(what + 6)) {
		p->action = STORE_ROUTE_TO_TRUNK;
		snprintf(p->trunk, sizeof p->trunk, "%s", what + 6);
	} else {
		return -1;
	}
	if (where) {
		if (strncmp(where, "partition=", 10) != 0 ||
		    !store_prov_name_valid(where + 10))
			return -1;
		snprintf(p->partition, sizeof p->partition, "%s", where + 10);
	}
	m->npatterns++;
	return 0;
}

static int parse_line(struct sip_dirmem *m, char *line)
{
	char *save = NULL, *w[12];
	const char *pgroup = "";
	int n = 0;

	for (char *t = strtok_r(line, " \t\r", &save); t && n < 12;
	     t = strtok_r(NULL, " \t\r", &save))
		w[n++] = t;
	if (n == 0 || w[0][0] == '#')
		return 0;
	if (strcmp(w[0], "realm") == 0 && n == 2)
		return snprintf(m->cluster.realm, sizeof m->cluster.realm, "%s",
				w[1]) < (int)sizeof m->cluster.realm
			   ? 0
			   : -1;
	if (strcmp(w[0], "secure") == 0 && n == 2)
		return m->cluster.secure = atoi(w[1]) != 0, 0;
	if (strcmp(w[0], "validity") == 0 && n == 2)
		return m->cluster.default_nonce_validity_s =
			   (unsigned)atoi(w[1]),
		       0;
	if ((strcmp(w[0], "microot") == 0 || strcmp(w[0], "lscca") == 0 ||
	     strcmp(w[0], "trunkroot") == 0) &&
	    n == 2 && m->nroots < 8) {
		m->root_kind[m->nroots] = w[0][0] == 'm' ? SIP_TRUST_MIC_ROOT
					  : w[0][0] == 'l'
					      ? SIP_TRUST_LSC_CA
					      : SIP_TRUST_TRUNK_PEER;
		return hex_decode(w[1], m->roots[m->nroots++], 32);
	}
	if (strcmp(w[0], "secret") == 0 && n == 2)
		return hex_decode(w[1], m->cluster.nonce_secret,
				  SIP_DIGEST_SECRET_LEN);
	if (strcmp(w[0], "user") == 0 && n >= 4 &&
	    strncmp(w[n - 1], "pgroup=", 7) == 0) {
		/* The user's presence group, last. */
		if (strlen(w[n - 1] + 7) >= SIP_DIR_NAME_MAX)
			return -1;
		pgroup = w[--n] + 7;
	}
	if (strcmp(w[0], "user") == 0 && (n == 3 || n == 5)) {
		if (add_user(m, w[1], w[2], n == 5 ? parse_methods(w[4]) : 0,
			     n == 5 && strcmp(w[3], "app") == 0) != 0)
			return -1;
		strcpy(m->users[m->nusers - 1].pgroup, pgroup);
		return 0;
	}
	if (strcmp(w[0], "presence_default") == 0 && n == 2) {
		m->presence_allow = strcmp(w[1], "allow") == 0;
		return strcmp(w[1], "allow") == 0 ||
			       strcmp(w[1], "disallow") == 0
			   ? 0
			   : -1;
	}
	if (strcmp(w[0], "pgroup") == 0 && n >= 2 &&
	    m->npgroups < PGROUPS_MAX) {
		struct mem_pgroup *g = &m->pgroups[m->npgroups++];
		if (snprintf(g->name, sizeof g->name, "%s", w[1]) >=
		    (int)sizeof g->name)
			return -1;
		for (int i = 2; i < n; i++) {
			int is_allow = strncmp(w[i], "allow=", 6) == 0;
			const char *v = strchr(w[i], '=');
			if (!v || (!is_allow && strncmp(w[i], "disallow=", 9)))
				return -1;
			if (snprintf(is_allow ? g->allow : g->disallow,
				     PRULES_TEXT, "%s", v + 1) >= PRULES_TEXT)
				return -1;
		}
		return 0;
	}
	if (strcmp(w[0], "users") == 0 && (n == 4 || n == 5)) {
		long count = atol(w[2]);
		unsigned long long dn = 0;
		char name[SIP_DIR_NAME_MAX], *end = NULL;

		/* "line=FIRST": device i has line FIRST + i. */
		if (n == 5) {
			if (strncmp(w[4], "line=", 5) != 0 ||
			    !store_dn_valid(w[4] + 5) ||
			    strspn(w[4] + 5, "0123456789") !=
				strlen(w[4] + 5) ||
			    strlen(w[4] + 5) > 18)
				return -1;
			dn = strtoull(w[4] + 5, &end, 10);
		}
		for (long i = 0; i < count; i++) {
			struct sip_device *d;
			snprintf(name, sizeof name, "%s%ld", w[1], i);
			if (add_user(m, name, w[3], 0, 0) != 0 ||
			    !(d = add_device(m, name)))
				return -1;
			snprintf(d->digest_user, sizeof d->digest_user, "%s",
				 name);
			if (n == 5)
				snprintf(m->lines[m->ndevs - 1],
					 sizeof m->lines[0], "%llu",
					 dn + (unsigned long long)i);
		}
		return 0;
	}
	if (strcmp(w[0], "css") == 0 && (n == 2 || n == 3))
		return add_css(m, w[1], n == 3 ? w[2] : "");
	if (strcmp(w[0], "pattern") == 0 && (n == 3 || n == 4))
		return add_pattern(m, w[1], w[2], n == 4 ? w[3] : NULL);
	if (strcmp(w[0], "device") == 0 && n >= 2) {
		struct sip_device *d = add_device(m, w[1]);
		if (!d)
			return -1;
		for (int i = 2; i < n; i++)
			if (device_opt(m, d, m->ndevs - 1, NULL,
				       m->dev_css[m->ndevs - 1], w[i]) != 0)
				return -1;
		return 0;
	}
	if (strcmp(w[0], "credential") == 0 && n == 4) {
		struct mem_cred *c;
		if (grow((void **)&m->creds, &m->capcreds, m->ncreds + 1,
			 sizeof *m->creds))
			return -1;
		c = &m->creds[m->ncreds++];
		memset(c, 0, sizeof *c);
		if (snprintf(c->realm, sizeof c->realm, "%s", w[1]) >=
			(int)sizeof c->realm ||
		    snprintf(c->cred.user, sizeof c->cred.user, "%s", w[2]) >=
			(int)sizeof c->cred.user ||
		    snprintf(c->cred.password, sizeof c->cred.password, "%s",
			     w[3]) >= (int)sizeof c->cred.password)
			return -1;
		return 0;
	}
	if (strcmp(w[0], "trunk") == 0 && n >= 3) {
		struct mem_trunk *t;
		if (grow((void **)&m->trunks, &m->captrunks, m->ntrunks + 1,
			 sizeof *m->trunks))
			return -1;
		t = &m->trunks[m->ntrunks++];
		memset(t, 0, sizeof *t);
		t->peer_port = 5060;
		t->out_tp = SIP_TP_UDP;
		snprintf(t->dev.name, sizeof t->dev.name, "%s", w[1]);
		t->dev.is_trunk = 1;
		t->dev.transports = SIP_TP_UDP | SIP_TP_TCP | SIP_TP_TLS;
		for (int i = 2; i < n; i++)
			if (device_opt(m, &t->dev, 0, &t->addr, t->css, w[i]) !=
			    0)
				return -1;
		return t->addr.ss_family ? 0 : -1;
	}
	return -1;
}

int sip_dirmem_parse(const char *text, struct sip_dirmem **out, char *errmsg,
		     size_t errcap)
{
	struct sip_dirmem *m = calloc(1, sizeof *m);
	char *copy = strdup(text), *save = NULL;
	unsigned lineno = 0;

	if (!m || !copy)
		goto err_nomem;
	strcpy(m->cluster.realm, "ward");
	m->cluster.default_nonce_validity_s = 600;
	if (RAND_bytes(m->cluster.nonce_secret, SIP_DIGEST_SECRET_LEN) != 1)
		goto err_nomem;
	/* strtok_r skips empty lines, so count them by hand. */
	for (char *p = copy, *nl; p && *p; p = nl) {
		nl = strchr(p, '\n');
		if (nl)
			*nl++ = '\0';
		lineno++;
		if (parse_line(m, p) != 0) {
			errmsg_set(errmsg, errcap, "line %u: not understood",
				   lineno);
			goto err_after_alloc;
		}
	}
	(void)save;
	if (build_index(m) != 0)
		goto err_nomem;
	free(copy);
	*out = m;
	return 0;

err_nomem:
	errmsg_set(errmsg, errcap, "out of memory");
err_after_alloc:
	free(copy);
	sip_dirmem_free(m);
	return -1;
}

int sip_dirmem_load(const char *path, struct sip_dirmem **out, char *errmsg,
		    size_t errcap)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0;
	int r;

	if (!f) {
		errmsg_set(errmsg, errcap, "%s: cannot open", path);
		return -1;
	}
	if (getdelim(&text, &len, '\0', f) < 0) {
		fclose(f);
		free(text);
		errmsg_set(errmsg, errcap, "%s: cannot read", path);
		return -1;
	}
	fclose(f);
	r = sip_dirmem_parse(text, out, errmsg, errcap);
	free(text);
	return r;
}

void sip_dirmem_free(struct sip_dirmem *m)
{
	if (!m)
		return;
	if (m->users)
		OPENSSL_cleanse(m->users, m->capusers * sizeof *m->users);
	free(m->users);
	free(m->devs);
	free(m->lines);
	free(m->line_parts);
	free(m->dev_css);
	free(m->css);
	free(m->patterns);
	free(m->trunks);
	if (m->creds)
		OPENSSL_cleanse(m->creds, m->ncreds * sizeof *m->creds);
	free(m->creds);
	free(m->uidx);
	free(m->didx);
	free(m->lidx);
	OPENSSL_cleanse(&m->cluster, sizeof m->cluster);
	free(m);
}
