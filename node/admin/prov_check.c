/* prov_check: what differs between the provisioning resources on a write
 * (prov_int.h) — the references a record makes, what a device's model can
 * do, the users of a record that forbid deleting it, the credentials
 * wrapped under the cluster KEK, and the command that writes it.
 *
 * Credentials: a user's password becomes its HA1 set (MD5, SHA-256,
 * SHA-512-256) here, on the leader that took (or was relayed) the request;
 * the set is wrapped at once and the password and set are wiped. A realm's
 * password is wrapped as is (ward must answer challenges with it).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/errmsg.h"
#include "node/admin/admin_pki.h"
#include "node/admin/prov_int.h"
#include "pki/pki.h"

/* ---- reads ------------------------------------------------------------ */

int prov_rec_decode(const struct prov_kind *k, const void *val, size_t vlen,
		    union prov_rec *rec)
{
	int rc;

	memset(rec, 0, sizeof *rec);
	switch (k->id) {
	case PROV_PHONE_PROFILE:
		return store_phone_profile_decode(val, vlen,
						  &rec->phone_profile);
	case PROV_TRUNK_PROFILE:
		return store_trunk_profile_decode(val, vlen,
						  &rec->trunk_profile);
	case PROV_DEVICE:
		return store_device_decode(val, vlen, &rec->device);
	case PROV_USER:
	case PROV_APP_USER:
		rc = store_user_decode(val, vlen, &rec->user);
		if (rc == 0 &&
		    rec->user.kind !=
			(k->id == PROV_USER ? STORE_USER_END : STORE_USER_APP))
			rc = STORE_ENOTFOUND;
		return rc;
	case PROV_REALM:
		return store_realm_decode(val, vlen, &rec->realm);
	case PROV_NODE_GROUP:
		return store_node_group_decode(val, vlen, &rec->node_group);
	case PROV_SRST:
		return store_srst_decode(val, vlen, &rec->srst);
	case PROV_PARTITION:
		return store_partition_decode(val, vlen, &rec->partition);
	case PROV_CSS:
		return store_css_decode(val, vlen, &rec->css);
	case PROV_ROUTE_PATTERN:
		return store_route_pattern_decode(val, vlen,
						  &rec->route_pattern);
	case PROV_PRESENCE_GROUP:
		return store_presence_group_decode(val, vlen,
						   &rec->presence_group);
	default:
		return STORE_EINVAL;
	}
}

int prov_rec_read(const struct prov_kind *k, struct store_read *r,
		  const char *name, union prov_rec *rec, uint8_t *raw,
		  size_t *raw_len)
{
	const void *v;
	size_t n;
	int rc;

	memset(rec, 0, sizeof *rec);
	if (!store_prov_name_valid(name))
		return STORE_EINVAL;
	rc = store_get(r, k->table, name, strlen(name), &v, &n);
	if (rc)
		return rc;
	if (n > STORE_RECORD_MAX)
		return STORE_ECORRUPT;
	rc = prov_rec_decode(k, v, n, rec);
	if (rc == 0 && strcmp(prov_rec_name(k, rec), name) != 0)
		rc = STORE_ECORRUPT;
	if (rc == 0 && raw) {
		memcpy(raw, v, n);
		*raw_len = n;
	}
	return rc;
}

const char *prov_node_name(void *arg, uint64_t id, char *buf, size_t cap)
{
	struct store_node n;

	if (!arg || store_node_get(arg, id, &n) != 0)
		return NULL;
	snprintf(buf, cap, "%s", n.name);
	return buf;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

void prov_device_status(struct store_read *r, const struct store_device *d,
			json_t *o)
{
	struct store_registration reg;
	struct store_device_lsc lsc;
	char fp[65], nb[STORE_NAME_MAX];

	if (store_registration_get(r, d->name, &reg) == 0) {
		const char *node =
		    prov_node_name(r, reg.node_id, nb, sizeof nb);

		hex(reg.cert_sha256, 32, fp);
		json_object_set_new(
		    o, "registration",
		    json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:I, s:I}",
			      "node", node ? node : "?", "node_id",
			      (json_int_t)reg.node_id, "transport",
			      store_transport_name(reg.transport), "source",
			      reg.source, "cert", store_reg_cert_name(reg.cert),
			      "cert_sha256",
			      reg.cert == STORE_REG_CERT_NONE ? "" : fp,
			      "expires_ms", (json_int_t)reg.expires_ms,
			      "since_ms", (json_int_t)reg.since_ms));
	}
	if (store_device_lsc_get(r, d->name, &lsc) == 0) {
		hex(lsc.sha256, 32, fp);
		json_object_set_new(o, "lsc",
				    json_pack("{s:s, s:s, s:I}", "sha256", fp,
					      "serial", lsc.serial,
					      "not_after_s",
					      (json_int_t)lsc.not_after_s));
	}
	if (store_device_mic_get(r, d->name, &lsc) == 0) {
		hex(lsc.sha256, 32, fp);
		json_object_set_new(o, "mic",
				    json_pack("{s:s, s:s, s:I}", "sha256", fp,
					      "serial", lsc.serial,
					      "not_after_s",
					      (json_int_t)lsc.not_after_s));
	}
}

/* ---- deleting: who still uses it --------------------------------------- */

struct user_scan {
	const char *name;
	int field; /* 0 profile, 1 node group */
	uint32_t kind;
	char who[STORE_NAME_MAX];
};

static int device_uses(void *arg, const struct store_device *d)
{
	struct user_scan *s = arg;
	const char *v = s->field == 0 ? d->profile : d->node_group;

	if ((s->kind && d->kind != s->kind) || strcmp(v, s->name) != 0)
		return 0;
	snprintf(s->who, sizeof s->who, "%s", d->name);
	return 1;
}

static int profile_uses_srst(void *arg, const struct store_phone_profile *p)
{
	struct user_scan *s = arg;

	if (strcmp(p->srst, s->name) != 0)
		return 0;
	snprintf(s->who, sizeof s->who, "%s", p->name);
	return 1;
}

static int first_device(void *arg, const struct store_device *d)
{
	snprintf(arg, STORE_NAME_MAX, "%s", d->name);
	return 1;
}

/* ---- users of the dial plan's records ----------------------------------- */

struct plan_scan {
	const char *name;
	const char *what; /* "device", "css", "route pattern" */
	char who[STORE_NAME_MAX];
};

/* A device whose CSS is NAME, or with a line in partition NAME. */
static int device_uses_css(void *arg, const struct store_device *d)
{
	struct plan_scan *s = arg;

	if (strcmp(d->css, s->name) != 0)
		return 0;
	snprintf(s->who, sizeof s->who, "%s", d->name);
	return 1;
}

static int device_uses_partition(void *arg, const struct store_device *d)
{
	struct plan_scan *s = arg;

	for (uint32_t i = 0; i < d->n_lines; i++) {
		if (strcmp(d->line_partitions[i], s->name) == 0) {
			snprintf(s->who, sizeof s->who, "%s", d->name);
			return 1;
		}
	}
	return 0;
}

static int css_lists(void *arg, const struct store_css *c)
{
	struct plan_scan *s = arg;

	for (uint32_t i = 0; i < c->n_partitions; i++) {
		if (strcmp(c->partitions[i], s->name) == 0) {
			snprintf(s->who, sizeof s->who, "%s", c->name);
			return 1;
		}
	}
	return 0;
}

static int first_pattern(void *arg, const struct store_route_pattern *p)
{
	struct plan_scan *s = arg;

	snprintf(s->who, sizeof s->who, "%s", p->name);
	return 1;
}

static int pattern_routes_to(void *arg, const struct store_route_pattern *p)
{
	struct plan_scan *s = arg;

	if (p->action != STORE_ROUTE_TO_TRUNK || strcmp(p->trunk, s->name))
		return 0;
	snprintf(s->who, sizeof s->who, "%s", p->name);
	return 1;
}

/* 1 with S->what and S->who naming a user of the partition, CSS or trunk
 * of C; 0 if none; < 0 if the store could not be read. */
static int plan_in_use(struct prov_ctx *c, struct store_read *r,
		       struct plan_scan *s)
{
	int rc = 0;

	switch (c->k->id) {
	case PROV_PARTITION:
		s->what = "css";
		if ((rc = store_css_each(r, css_lists, s)) != 0)
			return rc;
		s->what = "device";
		if ((rc = store_device_each(r, device_uses_partition, s)) != 0)
			return rc;
		s->what = "route pattern";
		return store_route_pattern_each_in(r, s->name, first_pattern,
						   s);
	case PROV_CSS:
		s->what = "device";
		return store_device_each(r, device_uses_css, s);
	case PROV_DEVICE:
		if (c->old.device.kind != STORE_DEVICE_TRUNK)
			return 0;
		s->what = "route pattern";
		return store_route_pattern_each(r, pattern_routes_to, s);
	default:
		return 0;
	}
}

struct presence_scan {
	const char *name;
	char who[STORE_NAME_MAX + 32];
};

static int user_in_group(void *arg, const struct store_user *u)
{
	struct presence_scan *s = arg;

	if (strcmp(u->presence_group, s->name) != 0)
		return 0;
	snprintf(s->who, sizeof s->who, "%s %s",
		 u->kind == STORE_USER_APP ? "application user" : "user",
		 u->name);
	return 1;
}

static int group_has_rule(void *arg, const struct store_presence_group *g)
{
	struct presence_scan *s = arg;

	if (strcmp(g->name, s->name) == 0 ||
	    store_presence_rule_of(g, s->name) < 0)
		return 0;
	snprintf(s->who, sizeof s->who, "the rules of presence group %s",
		 g->name);
	return 1;
}

/* A presence group is in use while a user names it or another group has
 * a rule for it. */
static int presence_group_in_use(const char *name, struct store_read *r,
				 char *errmsg, size_t errcap)
{
	struct presence_scan s = {.name = name};
	int rc = store_user_each(r, user_in_group, &s);

	if (rc == 0)
		rc = store_presence_group_each(r, group_has_rule, &s);
	if (rc == 1) {
		errmsg_set(errmsg, errcap, "presence-group %s is in use by %s",
			   name, s.who);
		return 409;
	}
	if (rc) {
		errmsg_set(errmsg, errcap, "reading the users failed");
		return 500;
	}
	return 0;
}

int prov_in_use(struct prov_ctx *c, struct store_read *r, char *errmsg,
		size_t errcap)
{
	const char *name = prov_rec_name(c->k, &c->old);
	struct user_scan s = {.name = name};
	struct plan_scan ps = {.name = name};
	int rc = 0;

	rc = plan_in_use(c, r, &ps);
	if (rc == 1) {
		errmsg_set(errmsg, errcap, "%s %s is in use by %s %s",
			   c->k->what, name, ps.what, ps.who);
		return 409;
	}
	if (rc) {
		errmsg_set(errmsg, errcap, "reading the dial plan failed");
		return 500;
	}

	switch (c->k->id) {
	case PROV_PRESENCE_GROUP:
		return presence_group_in_use(name, r, errmsg, errcap);
	case PROV_PHONE_PROFILE:
	case PROV_TRUNK_PROFILE:
		s.kind = c->k->id == PROV_PHONE_PROFILE ? STORE_DEVICE_PHONE
							: STORE_DEVICE_TRUNK;
		rc = store_device_each(r, device_uses, &s);
		break;
	case PROV_NODE_GROUP:
		s.field = 1;
		rc = store_device_each(r, device_uses, &s);
		break;
	case PROV_USER:
	case PROV_APP_USER:
		rc = store_device_each_by_user(r, name, first_device, s.who);
		break;
	case PROV_SRST:
		rc = store_phone_profile_each(r, profile_uses_srst, &s);
		if (rc == 1) {
			errmsg_set(errmsg, errcap,
				   "srst %s is in use by profile %s", name,
				   s.who);
			return 409;
		}
		break;
	default:
		break;
	}
	if (rc == 1) {
		errmsg_set(errmsg, errcap, "%s %s is in use by device %s",
			   c->k->what, name, s.who);
		return 409;
	}
	if (rc) {
		errmsg_set(errmsg, errcap, "reading the devices failed");
		return 500;
	}
	return 0;
}

struct group_scan {
	uint64_t id;
	char *group;
};

static int group_lists(void *arg, const struct store_node_group *g)
{
	struct group_scan *s = arg;

	for (uint32_t i = 0; i < g->n_nodes; i++) {
		if (g->nodes[i] == s->id) {
			snprintf(s->group, STORE_NAME_MAX, "%s", g->name);
			return 1;
		}
	}
	return 0;
}

int prov_node_group_of(struct store_read *r, uint64_t id, char *group)
{
	struct group_scan s = {.id = id, .group = group};

	return store_node_group_each(r, group_lists, &s) == 1;
}

/* ---- adding and changing ----------------------------------------------- */

static int param_true(struct store_read *r, const char *name)
{
	char v[16] = "";

	return store_param_get(r, name, v, sizeof v) == 0 &&
	       strcmp(v, "true") == 0;
}

struct caps_scan {
	const struct prov_ctx *c;
	char why[320];
};

/* A changed profile must still suit every device that uses it. */
static int device_suits(void *arg, const struct store_device *d)
{
	struct caps_scan *s = arg;
	const union prov_rec *p = &s->c->rec;
	char why[200];

	if (s->c->k->id == PROV_PHONE_PROFILE) {
		if (d->kind != STORE_DEVICE_PHONE ||
		    strcmp(d->profile, p->phone_profile.name) != 0 ||
		    store_device_check_phone_profile(d, &p->phone_profile, why,
						     sizeof why) == 0)
			return 0;
	} else {
		if (d->kind != STORE_DEVICE_TRUNK ||
		    strcmp(d->profile, p->trunk_profile.name) != 0 ||
		    store_device_check_trunk_profile(d, &p->trunk_profile, why,
						     sizeof why) == 0)
			return 0;
	}
	snprintf(s->why, sizeof s->why, "device %s uses it: %s", d->name, why);
	return 1;
}

static int validate_device(struct prov_ctx *c, struct store_read *r,
			   char *errmsg, size_t errcap)
{
	struct store_device *d = &c->rec.device;
	struct store_phone_profile pp;
	struct store_trunk_profile tp;
	struct store_node_group g;
	struct store_partition part;
	struct store_css css;
	struct store_user u;
	int rc;

	if (d->kind == STORE_DEVICE_PHONE) {
		if (store_phone_profile_get(r, d->profile, &pp) != 0) {
			errmsg_set(errmsg, errcap, "no profile \"%s\"",
				   d->profile);
			return 400;
		}
		if (store_device_check_phone_profile(d, &pp, errmsg, errcap))
			return 400;
	} else {
		if (store_trunk_profile_get(r, d->profile, &tp) != 0) {
			errmsg_set(errmsg, errcap, "no trunk profile \"%s\"",
				   d->profile);
			return 400;
		}
		if (store_device_check_trunk_profile(d, &tp, errmsg, errcap))
			return 400;
	}
	if (d->digest_user[0]) {
		rc = store_user_get(r, d->digest_user, &u);
		if (rc == 0 &&
		    u.kind != (d->kind == STORE_DEVICE_PHONE ? STORE_USER_END
							     : STORE_USER_APP))
			rc = STORE_ENOTFOUND;
		OPENSSL_cleanse(&u, sizeof u);
		if (rc) {
			errmsg_set(
			    errmsg, errcap, "no %s \"%s\" for digest_user",
			    d->kind == STORE_DEVICE_PHONE ? "end user"
							  : "application user",
			    d->digest_user);
			return 400;
		}
	}
	if (d->node_group[0] &&
	    store_node_group_get(r, d->node_group, &g) != 0) {
		errmsg_set(errmsg, errcap, "no node group \"%s\"",
			   d->node_group);
		return 400;
	}
	if (c->verb == PROV_SET && c->old.device.kind == STORE_DEVICE_TRUNK &&
	    d->kind != STORE_DEVICE_TRUNK) {
		struct plan_scan ps = {.name = d->name};

		/* A pattern routing to it would route calls to a phone. */
		if (store_route_pattern_each(r, pattern_routes_to, &ps) == 1) {
			errmsg_set(errmsg, errcap,
				   "device %s is a trunk that route pattern %s "
				   "routes to",
				   d->name, ps.who);
			return 409;
		}
	}
	if (d->css[0] && store_css_get(r, d->css, &css) != 0) {
		errmsg_set(errmsg, errcap, "no css \"%s\"", d->css);
		return 400;
	}
	for (uint32_t i = 0; i < d->n_lines; i++) {
		if (d->line_partitions[i][0] &&
		    store_partition_get(r, d->line_partitions[i], &part) != 0) {
			errmsg_set(errmsg, errcap,
				   "line %s: no partition \"%s\"", d->lines[i],
				   d->line_partitions[i]);
			return 400;
		}
	}
	if (d->kind == STORE_DEVICE_PHONE)
		prov_warn_device(d, &pp, param_true(r, "tftp_encrypted_config"),
				 c->warn);
	return 0;
}

static int validate_css(struct prov_ctx *c, struct store_read *r, char *errmsg,
			size_t errcap)
{
	const struct store_css *css = &c->rec.css;
	struct store_partition p;

	for (uint32_t i = 0; i < css->n_partitions; i++) {
		if (store_partition_get(r, css->partitions[i], &p) != 0) {
			errmsg_set(errmsg, errcap, "no partition \"%s\"",
				   css->partitions[i]);
			return 400;
		}
	}
	return 0;
}

static int validate_route_pattern(struct prov_ctx *c, struct store_read *r,
				  char *errmsg, size_t errcap)
{
	const struct store_route_pattern *rp = &c->rec.route_pattern;
	char other[STORE_NAME_MAX];
	struct store_partition p;
	struct store_device dev;

	if (rp->partition[0] && store_partition_get(r, rp->partition, &p)) {
		errmsg_set(errmsg, errcap, "no partition \"%s\"",
			   rp->partition);
		return 400;
	}
	if (rp->action == STORE_ROUTE_TO_TRUNK &&
	    (store_device_get(r, rp->trunk, &dev) != 0 ||
	     dev.kind != STORE_DEVICE_TRUNK)) {
		errmsg_set(errmsg, errcap, "no trunk \"%s\"", rp->trunk);
		return 400;
	}
	if (store_route_pattern_find(r, rp->partition, rp->pattern, other) ==
		0 &&
	    strcmp(other, rp->name) != 0) {
		errmsg_set(errmsg, errcap,
			   "route pattern %s already has pattern %s in %s%s",
			   other, rp->pattern,
			   rp->partition[0] ? "partition "
					    : "the none-partition",
			   rp->partition);
		return 409;
	}
	return 0;
}

static int validate_group(struct prov_ctx *c, struct store_read *r,
			  char *errmsg, size_t errcap)
{
	struct store_node_group *g = &c->rec.node_group;
	struct store_node n;

	if (!c->x.has_nodes)
		return 0;
	g->n_nodes = 0;
	memset(g->nodes, 0, sizeof g->nodes);
	for (unsigned i = 0; i < c->x.n_nodes; i++) {
		if (store_node_find(r, c->x.nodes[i], &n) != 0) {
			errmsg_set(errmsg, errcap, "no node \"%s\"",
				   c->x.nodes[i]);
			return 400;
		}
		for (unsigned j = 0; j < g->n_nodes; j++) {
			if (g->nodes[j] == n.id) {
				errmsg_set(errmsg, errcap,
					   "node %s is listed twice", n.name);
				return 400;
			}
		}
		g->nodes[g->n_nodes++] = n.id;
	}
	if (g->n_nodes == 0) {
		errmsg_set(errmsg, errcap, "a node group lists 1 to %d nodes",
			   STORE_GROUP_NODES_MAX);
		return 400;
	}
	return 0;
}

/* Wraps PT under the cluster KEK, held by the keystore for the call, for
 * (TABLE, NAME) into OUT. */
static int wrap_secret(struct admin *a, struct store_read *r, const char *table,
		       const char *name, const void *pt, size_t pt_len,
		       uint8_t *out, uint32_t *out_len, uint8_t kek_id[8],
		       char *errmsg, size_t errcap)
{
	struct store_cluster cl;
	uint8_t *w = NULL;
	size_t n = 0;
	int rc = -1;

	if (store_cluster_get(r, &cl) != 0) {
		errmsg_set(errmsg, errcap, "the cluster record is unreadable");
		return 500;
	}
	if (admin_pki_kek_acquire(a, &cl, errmsg, errcap) != 0)
		return 500;
	if (keystore_wrap(a->ks, table, name, strlen(name), pt, pt_len, &w,
			  &n) == KEYSTORE_OK &&
	    n <= STORE_SMALL_WRAPPED_MAX) {
		memcpy(out, w, n);
		*out_len = (uint32_t)n;
		memcpy(kek_id, cl.kek_id, 8);
		rc = 0;
	} else {
		errmsg_set(errmsg, errcap, "wrapping the credentials failed");
	}
	free(w);
	keystore_kek_release(a->ks);
	return rc ? 500 : 0;
}

static int validate_user(struct admin *a, struct prov_ctx *c,
			 struct store_read *r, char *errmsg, size_t errcap)
{
	struct store_user *u = &c->rec.user;
	uint8_t ha1[STORE_HA1_SET_LEN];
	struct store_presence_group pg;
	struct store_cluster cl;
	int status;

	if (u->presence_group[0] &&
	    store_presence_group_get(r, u->presence_group, &pg) != 0) {
		errmsg_set(errmsg, errcap, "no presence group \"%s\"",
			   u->presence_group);
		return 400;
	}
	/* Phones live in the cluster's realm; its default is the
	 * cluster's name. */
	if (!u->realm[0]) {
		if (store_cluster_get(r, &cl) != 0) {
			errmsg_set(errmsg, errcap, "cluster record unreadable");
			return 500;
		}
		snprintf(u->realm, sizeof u->realm, "%s", cl.name);
	}
	if (!c->x.has_password) {
		/* The HA1 values hash the realm: they cannot follow it. */
		if (c->verb == PROV_SET && u->ha1_len &&
		    strcmp(u->realm, c->old.user.realm) != 0) {
			errmsg_set(
			    errmsg, errcap,
			    "changing the realm of %s needs its password",
			    u->name);
			return 400;
		}
		return 0;
	}
	if (store_ha1_compute(u->name, u->realm, c->x.password, ha1) != 0) {
		errmsg_set(errmsg, errcap, "computing the digest failed");
		return 500;
	}
	status =
	    wrap_secret(a, r, "users", u->name, ha1, sizeof ha1, u->ha1_wrapped,
			&u->ha1_len, u->kek_id, errmsg, errcap);
	OPENSSL_cleanse(ha1, sizeof ha1);
	return status;
}

static int validate_realm(struct admin *a, struct prov_ctx *c,
			  struct store_read *r, char *errmsg, size_t errcap)
{
	struct store_realm *m = &c->rec.realm;

	if (!m->user[0]) {
		errmsg_set(errmsg, errcap, "missing field \"user\"");
		return 400;
	}
	if (!c->x.has_password) {
		if (c->verb == PROV_ADD) {
			errmsg_set(errmsg, errcap,
				   "missing field \"password\"");
			return 400;
		}
		return 0;
	}
	if (c->x.password_len > STORE_PASSWORD_MAX) {
		errmsg_set(errmsg, errcap,
			   "a realm password has at most %d bytes",
			   STORE_PASSWORD_MAX);
		return 400;
	}
	return wrap_secret(a, r, "realms", m->name, c->x.password,
			   c->x.password_len, m->password_wrapped,
			   &m->password_len, m->kek_id, errmsg, errcap);
}

static int validate_profile_srst(struct prov_ctx *c, struct store_read *r,
				 char *errmsg, size_t errcap)
{
	const char *name = c->rec.phone_profile.srst;
	struct store_srst s;

	if (name[0] && store_srst_get(r, name, &s) != 0) {
		errmsg_set(errmsg, errcap, "no SRST reference \"%s\"", name);
		return 400;
	}
	return 0;
}

/* The certificate, when named, is an SRST trust entry. */
static int validate_srst(struct prov_ctx *c, struct store_read *r, char *errmsg,
			 size_t errcap)
{
	const char *name = c->rec.srst.certificate;
	struct store_trust t;

	if (!name[0])
		return 0;
	if (store_trust_get(r, name, &t) != 0) {
		errmsg_set(errmsg, errcap,
			   "no trust entry \"%s\" (wardctl cert import "
			   "--category srst)",
			   name);
		return 400;
	}
	if (t.category != STORE_TRUST_SRST) {
		errmsg_set(errmsg, errcap,
			   "trust entry %s is of category %s, not srst", name,
			   store_trust_category_name(t.category));
		return 400;
	}
	return 0;
}

/* Every rule names an existing group (or the group itself). */
static int validate_presence_group(struct prov_ctx *c, struct store_read *r,
				   char *errmsg, size_t errcap)
{
	const struct store_presence_group *g = &c->rec.presence_group;
	struct store_presence_group other;

	for (uint32_t i = 0; i < g->n_rules; i++) {
		if (strcmp(g->rules[i].group, g->name) == 0)
			continue;
		if (store_presence_group_get(r, g->rules[i].group, &other) !=
		    0) {
			errmsg_set(errmsg, errcap, "no presence group \"%s\"",
				   g->rules[i].group);
			return 400;
		}
	}
	return 0;
}

static void stamp(struct prov_ctx *c, uint64_t now)
{
	uint64_t *created, *changed;

	switch (c->k->id) {
	case PROV_PHONE_PROFILE:
		created = &c->rec.phone_profile.created_ms;
		changed = &c->rec.phone_profile.changed_ms;
		break;
	case PROV_TRUNK_PROFILE:
		created = &c->rec.trunk_profile.created_ms;
		changed = &c->rec.trunk_profile.changed_ms;
		break;
	case PROV_DEVICE:
		created = &c->rec.device.created_ms;
		changed = &c->rec.device.changed_ms;
		break;
	case PROV_USER:
	case PROV_APP_USER:
		created = &c->rec.user.created_ms;
		changed = &c->rec.user.changed_ms;
		break;
	case PROV_REALM:
		created = &c->rec.realm.created_ms;
		changed = &c->rec.realm.changed_ms;
		break;
	case PROV_SRST:
		created = &c->rec.srst.created_ms;
		changed = &c->rec.srst.changed_ms;
		break;
	case PROV_PARTITION:
		created = &c->rec.partition.created_ms;
		changed = &c->rec.partition.changed_ms;
		break;
	case PROV_CSS:
		created = &c->rec.css.created_ms;
		changed = &c->rec.css.changed_ms;
		break;
	case PROV_ROUTE_PATTERN:
		created = &c->rec.route_pattern.created_ms;
		changed = &c->rec.route_pattern.changed_ms;
		break;
	case PROV_PRESENCE_GROUP:
		created = &c->rec.presence_group.created_ms;
		changed = &c->rec.presence_group.changed_ms;
		break;
	default:
		created = &c->rec.node_group.created_ms;
		changed = &c->rec.node_group.changed_ms;
		break;
	}
	if (c->verb == PROV_ADD)
		*created = now;
	*changed = now;
}

int prov_validate(struct admin *a, struct prov_ctx *c, struct store_read *r,
		  char *errmsg, size_t errcap)
{
	struct caps_scan s = {.c = c};
	int status = 0;

	stamp(c, admin_now_ms());
	switch (c->k->id) {
	case PROV_PHONE_PROFILE:
	case PROV_TRUNK_PROFILE:
		if (c->verb == PROV_SET &&
		    store_device_each(r, device_suits, &s) == 1) {
			errmsg_set(errmsg, errcap, "%s", s.why);
			return 400;
		}
		if (c->k->id == PROV_PHONE_PROFILE) {
			status = validate_profile_srst(c, r, errmsg, errcap);
			prov_warn_profile(
			    &c->rec.phone_profile,
			    param_true(r, "tftp_encrypted_config"), c->warn);
		}
		break;
	case PROV_SRST:
		status = validate_srst(c, r, errmsg, errcap);
		break;
	case PROV_DEVICE:
		status = validate_device(c, r, errmsg, errcap);
		break;
	case PROV_USER:
	case PROV_APP_USER:
		status = validate_user(a, c, r, errmsg, errcap);
		break;
	case PROV_REALM:
		status = validate_realm(a, c, r, errmsg, errcap);
		break;
	case PROV_NODE_GROUP:
		status = validate_group(c, r, errmsg, errcap);
		break;
	case PROV_CSS:
		status = validate_css(c, r, errmsg, errcap);
		break;
	case PROV_ROUTE_PATTERN:
		status = validate_route_pattern(c, r, errmsg, errcap);
		break;
	case PROV_PRESENCE_GROUP:
		status = validate_presence_group(c, r, errmsg, errcap);
		break;
	default:
		break;
	}
	return status;
}

/* ---- the command ------------------------------------------------------- */

static int put_rec(struct prov_ctx *c, struct store_cmd *cmd, enum store_op op)
{
	switch (c->k->id) {
	case PROV_PHONE_PROFILE:
		return store_cmd_put_phone_profile(cmd, op,
						   &c->rec.phone_profile);
	case PROV_TRUNK_PROFILE:
		return store_cmd_put_trunk_profile(cmd, op,
						   &c->rec.trunk_profile);
	case PROV_USER:
	case PROV_APP_USER:
		return store_cmd_put_user(cmd, op, &c->rec.user);
	case PROV_REALM:
		return store_cmd_put_realm(cmd, op, &c->rec.realm);
	case PROV_NODE_GROUP:
		return store_cmd_put_node_group(cmd, op, &c->rec.node_group);
	case PROV_SRST:
		return store_cmd_put_srst(cmd, op, &c->rec.srst);
	case PROV_PARTITION:
		return store_cmd_put_partition(cmd, op, &c->rec.partition);
	case PROV_CSS:
		return store_cmd_put_css(cmd, op, &c->rec.css);
	case PROV_PRESENCE_GROUP:
		return store_cmd_put_presence_group(cmd, op,
						    &c->rec.presence_group);
	default:
		return STORE_EINVAL;
	}
}

int prov_cmd_build(struct prov_ctx *c, struct store_cmd *cmd)
{
	const char *name = prov_rec_name(c->k, &c->old);
	int rc;

	if (c->k->id == PROV_DEVICE) {
		if (c->verb == PROV_ADD)
			return store_cmd_put_device(cmd, NULL, &c->rec.device);
		if (c->verb == PROV_SET)
			return store_cmd_put_device(cmd, &c->old.device,
						    &c->rec.device);
		return store_cmd_del_device(cmd, &c->old.device);
	}
	if (c->k->id == PROV_ROUTE_PATTERN) {
		/* The pattern's index entry goes in the same command. */
		if (c->verb == PROV_ADD)
			return store_cmd_put_route_pattern(
			    cmd, NULL, &c->rec.route_pattern);
		if (c->verb == PROV_SET)
			return store_cmd_put_route_pattern(
			    cmd, &c->old.route_pattern, &c->rec.route_pattern);
		return store_cmd_del_route_pattern(cmd, &c->old.route_pattern);
	}
	if (c->verb == PROV_ADD)
		return put_rec(c, cmd, STORE_OP_PUT_NEW);
	/* The stored bytes guard the change: another write in between
	 * makes this one fail instead of undoing it. */
	rc = store_cmd_op(cmd, STORE_OP_EXPECT, c->k->table, name, strlen(name),
			  c->old_raw, c->old_len);
	if (rc)
		return rc;
	if (c->verb == PROV_SET)
		return put_rec(c, cmd, STORE_OP_PUT);
	return store_cmd_op(cmd, STORE_OP_DEL_EXISTING, c->k->table, name,
			    strlen(name), NULL, 0);
}

/* " partitions=a,b,c" (cut to fit CAP). */
static void audit_css(const struct store_css *css, char *out, size_t cap)
{
	size_t n = (size_t)snprintf(out, cap, " partitions=");

	for (uint32_t i = 0; i < css->n_partitions && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? "," : "",
				      css->partitions[i]);
}

/* " rules=a:allow,b:disallow" (cut to fit). */
static void presence_rules_text(const struct store_presence_group *g, char *out,
				size_t cap)
{
	size_t o = 0;
	int n = snprintf(out, cap, " rules=");

	if (n < 0 || (size_t)n >= cap)
		return;
	o = (size_t)n;
	for (uint32_t i = 0; i < g->n_rules && o < cap; i++) {
		n = snprintf(out + o, cap - o, "%s%s:%s", i ? "," : "",
			     g->rules[i].group,
			     g->rules[i].allow ? "allow" : "disallow");
		if (n < 0 || (size_t)n >= cap - o)
			return;
		o += (size_t)n;
	}
}

void prov_audit_detail(const struct prov_ctx *c, char *out, size_t cap)
{
	const union prov_rec *rec = c->verb == PROV_DEL ? &c->old : &c->rec;
	const struct store_device *d = &rec->device;
	int n = snprintf(out, cap, "name=%s",
			 prov_rec_name(c->k, (union prov_rec *)rec));

	if (n < 0 || (size_t)n >= cap || c->verb == PROV_DEL)
		return;
	if (c->k->id == PROV_DEVICE)
		snprintf(out + n, cap - (size_t)n,
			 " kind=%s profile=%s lines=%u digest_user=%s "
			 "node_group=%s css=%s",
			 store_device_kind_name(d->kind), d->profile,
			 d->n_lines, d->digest_user, d->node_group, d->css);
	else if (c->k->id == PROV_CSS)
		audit_css(&rec->css, out + n, cap - (size_t)n);
	else if (c->k->id == PROV_ROUTE_PATTERN)
		snprintf(out + n, cap - (size_t)n,
			 " partition=%s pattern=%s action=%s trunk=%s",
			 rec->route_pattern.partition,
			 rec->route_pattern.pattern,
			 store_route_action_name(rec->route_pattern.action),
			 rec->route_pattern.trunk);
	else if (c->k->id == PROV_PRESENCE_GROUP)
		presence_rules_text(&rec->presence_group, out + n,
				    cap - (size_t)n);
	else if (c->x.has_password)
		snprintf(out + n, cap - (size_t)n, " credentials=set");
}
