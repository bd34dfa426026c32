/* prov_req: the field tables of the provisioning resources, and the one
 * parser and renderer that walk them (prov_req.h). */
#include "node/admin/prov_req.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/errmsg.h"
#include "node/admin/admin_req.h"
#include "store/dialplan.h"

enum pf_type {
	PF_NAME,     /* char[cap], a provisioning name */
	PF_NAME_OPT, /* the same, or "" for none */
	PF_TEXT,     /* char[cap], printable */
	PF_HOST,     /* char[cap], printable, no spaces, not empty */
	PF_ENUM,     /* uint32 index into names */
	PF_FLAG,     /* one bit of a uint32: true/false */
	PF_U32,	     /* uint32 in [min, max] */
	PF_BITS,     /* array of names -> uint32 bitmask, names[i] = bit i */
	PF_LINES,    /* device lines: array of "DN" or "DN@PARTITION" */
	PF_PARTS,    /* CSS: array of partition names, search order */
	PF_PATTERN,  /* route pattern: char[cap], dialplan_pattern_check */
	PF_NODES,    /* node group members: array of node names (extra) */
	PF_PASSWORD, /* extra: the secret */
	PF_REALM,    /* users: text, marks extra->has_realm */
	PF_RULES,    /* presence group rules of one kind (bit: allow) */
};

struct prov_field {
	const char *key;
	enum pf_type type;
	size_t off;
	size_t cap; /* char arrays */
	uint32_t bit;
	uint32_t min, max;
	const char *const *names;
	unsigned n_names;
};

static const char *const devmode_names[] = {"non-secure", "authenticated",
					    "encrypted"};
static const char *const transport_names[] = {"tcp+udp", "tcp", "udp", "tls"};
static const char *const capf_names[] = {"auth-string", "null-string",
					 "existing-lsc", "existing-mic"};
static const char *const settings_names[] = {"enabled", "disabled",
					     "restricted"};
static const char *const kind_names[] = {NULL, "phone", "trunk"};
static const char *const cap_names[] = {"tls", "srtp", "encrypted-config",
					"mic"};
static const char *const route_action_names[] = {"route", "block"};
static const char *const method_names[] = {
    "invite",  "subscribe", "notify",  "refer", "replaces",
    "message", "options",   "publish", "info",	"update"};

#define N_OF(a) (sizeof(a) / sizeof *(a))
#define STR(type, m) .off = offsetof(type, m), .cap = sizeof(((type *)0)->m)
#define ENUM_OF(a) .names = a, .n_names = N_OF(a)

#define PP struct store_phone_profile
static const struct prov_field phone_profile_fields[] = {
    {.key = "name", .type = PF_NAME, STR(PP, name)},
    {.key = "description", .type = PF_TEXT, STR(PP, description)},
    {.key = "mode",
     .type = PF_ENUM,
     .off = offsetof(PP, mode),
     ENUM_OF(devmode_names)},
    {.key = "transport",
     .type = PF_ENUM,
     .off = offsetof(PP, transport),
     ENUM_OF(transport_names)},
    {.key = "digest_auth",
     .type = PF_FLAG,
     .off = offsetof(PP, flags),
     .bit = STORE_PP_DIGEST_AUTH},
    {.key = "nonce_validity_s",
     .type = PF_U32,
     .off = offsetof(PP, nonce_validity_s),
     .min = 0,
     .max = 86400},
    {.key = "tftp_encrypted_config",
     .type = PF_FLAG,
     .off = offsetof(PP, flags),
     .bit = STORE_PP_TFTP_ENCRYPTED},
    {.key = "exclude_digest_credentials",
     .type = PF_FLAG,
     .off = offsetof(PP, flags),
     .bit = STORE_PP_EXCLUDE_DIGEST},
    {.key = "capf_auth",
     .type = PF_ENUM,
     .off = offsetof(PP, capf_auth),
     ENUM_OF(capf_names)},
    {.key = "key_size",
     .type = PF_U32,
     .off = offsetof(PP, key_size),
     .min = 1024,
     .max = 4096},
    {.key = "pc_port",
     .type = PF_FLAG,
     .off = offsetof(PP, flags),
     .bit = STORE_PP_PC_PORT},
    {.key = "settings_access",
     .type = PF_ENUM,
     .off = offsetof(PP, settings_access),
     ENUM_OF(settings_names)},
    {.key = "web_access",
     .type = PF_FLAG,
     .off = offsetof(PP, flags),
     .bit = STORE_PP_WEB_ACCESS},
    {.key = "gratuitous_arp",
     .type = PF_FLAG,
     .off = offsetof(PP, flags),
     .bit = STORE_PP_GARP},
    {.key = "voice_vlan_access",
     .type = PF_FLAG,
     .off = offsetof(PP, flags),
     .bit = STORE_PP_VOICE_VLAN},
    {.key = "span_to_pc_port",
     .type = PF_FLAG,
     .off = offsetof(PP, flags),
     .bit = STORE_PP_SPAN_PC},
    {.key = "srst_reference", .type = PF_NAME_OPT, STR(PP, srst)},
    {.key = "encrypted_or_reject",
     .type = PF_FLAG,
     .off = offsetof(PP, flags),
     .bit = STORE_PP_ENCRYPTED_OR_REJECT},
};
#undef PP

#define TP struct store_trunk_profile
static const struct prov_field trunk_profile_fields[] = {
    {.key = "name", .type = PF_NAME, STR(TP, name)},
    {.key = "description", .type = PF_TEXT, STR(TP, description)},
    {.key = "mode",
     .type = PF_ENUM,
     .off = offsetof(TP, mode),
     ENUM_OF(devmode_names)},
    {.key = "incoming_transport",
     .type = PF_ENUM,
     .off = offsetof(TP, in_transport),
     ENUM_OF(transport_names)},
    {.key = "outgoing_transport",
     .type = PF_ENUM,
     .off = offsetof(TP, out_transport),
     ENUM_OF(transport_names)},
    {.key = "incoming_port",
     .type = PF_U32,
     .off = offsetof(TP, in_port),
     .min = 1,
     .max = 65535},
    {.key = "x509_subjects", .type = PF_TEXT, STR(TP, x509_subjects)},
    {.key = "digest_auth",
     .type = PF_FLAG,
     .off = offsetof(TP, flags),
     .bit = STORE_TP_DIGEST_AUTH},
    {.key = "nonce_validity_s",
     .type = PF_U32,
     .off = offsetof(TP, nonce_validity_s),
     .min = 0,
     .max = 86400},
    {.key = "accept_presence_subscription",
     .type = PF_FLAG,
     .off = offsetof(TP, flags),
     .bit = STORE_TP_PRESENCE_SUB},
    {.key = "accept_out_of_dialog_refer",
     .type = PF_FLAG,
     .off = offsetof(TP, flags),
     .bit = STORE_TP_OOD_REFER},
    {.key = "accept_unsolicited_notify",
     .type = PF_FLAG,
     .off = offsetof(TP, flags),
     .bit = STORE_TP_UNSOL_NOTIFY},
    {.key = "accept_replaces",
     .type = PF_FLAG,
     .off = offsetof(TP, flags),
     .bit = STORE_TP_REPLACES},
    {.key = "application_level_authorization",
     .type = PF_FLAG,
     .off = offsetof(TP, flags),
     .bit = STORE_TP_APP_AUTH},
};
#undef TP

#define DV struct store_device
static const struct prov_field device_fields[] = {
    {.key = "name", .type = PF_NAME, STR(DV, name)},
    {.key = "kind",
     .type = PF_ENUM,
     .off = offsetof(DV, kind),
     ENUM_OF(kind_names)},
    {.key = "description", .type = PF_TEXT, STR(DV, description)},
    {.key = "model", .type = PF_TEXT, STR(DV, model)},
    {.key = "capabilities",
     .type = PF_BITS,
     .off = offsetof(DV, caps),
     ENUM_OF(cap_names)},
    {.key = "profile", .type = PF_NAME, STR(DV, profile)},
    {.key = "lines", .type = PF_LINES, .off = 0},
    {.key = "digest_user", .type = PF_NAME_OPT, STR(DV, digest_user)},
    {.key = "node_group", .type = PF_NAME_OPT, STR(DV, node_group)},
    {.key = "peer_host", .type = PF_TEXT, STR(DV, peer_host)},
    {.key = "peer_port",
     .type = PF_U32,
     .off = offsetof(DV, peer_port),
     .min = 0,
     .max = 65535},
    {.key = "css", .type = PF_NAME_OPT, STR(DV, css)},
};
#undef DV

#define US struct store_user
static const struct prov_field user_fields[] = {
    {.key = "name", .type = PF_NAME, STR(US, name)},
    {.key = "description", .type = PF_TEXT, STR(US, description)},
    {.key = "presence_group", .type = PF_NAME_OPT, STR(US, presence_group)},
    {.key = "realm", .type = PF_REALM, STR(US, realm)},
    {.key = "password", .type = PF_PASSWORD, .off = 0},
};
static const struct prov_field app_user_fields[] = {
    {.key = "name", .type = PF_NAME, STR(US, name)},
    {.key = "description", .type = PF_TEXT, STR(US, description)},
    {.key = "presence_group", .type = PF_NAME_OPT, STR(US, presence_group)},
    {.key = "methods",
     .type = PF_BITS,
     .off = offsetof(US, methods),
     ENUM_OF(method_names)},
    {.key = "realm", .type = PF_REALM, STR(US, realm)},
    {.key = "password", .type = PF_PASSWORD, .off = 0},
};
#undef US

#define RL struct store_realm
static const struct prov_field realm_fields[] = {
    {.key = "name", .type = PF_NAME, STR(RL, name)},
    {.key = "description", .type = PF_TEXT, STR(RL, description)},
    {.key = "user", .type = PF_HOST, STR(RL, user)},
    {.key = "password", .type = PF_PASSWORD, .off = 0},
};
#undef RL

#define NG struct store_node_group
static const struct prov_field node_group_fields[] = {
    {.key = "name", .type = PF_NAME, STR(NG, name)},
    {.key = "description", .type = PF_TEXT, STR(NG, description)},
    {.key = "nodes", .type = PF_NODES, .off = 0},
};
#undef NG

#define SR struct store_srst
static const struct prov_field srst_fields[] = {
    {.key = "name", .type = PF_NAME, STR(SR, name)},
    {.key = "description", .type = PF_TEXT, STR(SR, description)},
    {.key = "address", .type = PF_HOST, STR(SR, address)},
    {.key = "sip_port",
     .type = PF_U32,
     .off = offsetof(SR, sip_port),
     .min = 1,
     .max = 65535},
    {.key = "tls_port",
     .type = PF_U32,
     .off = offsetof(SR, tls_port),
     .min = 0,
     .max = 65535},
    {.key = "certificate", .type = PF_NAME_OPT, STR(SR, certificate)},
};
#undef SR
#define PT struct store_partition
static const struct prov_field partition_fields[] = {
    {.key = "name", .type = PF_NAME, STR(PT, name)},
    {.key = "description", .type = PF_TEXT, STR(PT, description)},
};
#undef PT

#define CS struct store_css
static const struct prov_field css_fields[] = {
    {.key = "name", .type = PF_NAME, STR(CS, name)},
    {.key = "description", .type = PF_TEXT, STR(CS, description)},
    {.key = "partitions", .type = PF_PARTS, .off = 0},
};
#undef CS

#define RP struct store_route_pattern
static const struct prov_field route_pattern_fields[] = {
    {.key = "name", .type = PF_NAME, STR(RP, name)},
    {.key = "description", .type = PF_TEXT, STR(RP, description)},
    {.key = "partition", .type = PF_NAME_OPT, STR(RP, partition)},
    {.key = "pattern", .type = PF_PATTERN, STR(RP, pattern)},
    {.key = "action",
     .type = PF_ENUM,
     .off = offsetof(RP, action),
     ENUM_OF(route_action_names)},
    {.key = "trunk", .type = PF_NAME_OPT, STR(RP, trunk)},
};
#undef RP

#define KIND(idv, w, pl, t, f, pw)                                             \
	{                                                                      \
		.id = idv, .what = w, .plural = pl, .table = t, .fields = f,   \
		.n_fields = N_OF(f), .password = pw                            \
	}

static const struct prov_field presence_group_fields[] = {
    {.key = "name", .type = PF_NAME, STR(struct store_presence_group, name)},
    {.key = "description",
     .type = PF_TEXT,
     STR(struct store_presence_group, description)},
    {.key = "allow", .type = PF_RULES, .off = 0, .bit = 1},
    {.key = "disallow", .type = PF_RULES, .off = 0, .bit = 0},
};

static const struct prov_kind kinds[PROV__COUNT] = {
    KIND(PROV_PHONE_PROFILE, "profile", "profiles", STORE_T_PHONE_PROFILES,
	 phone_profile_fields, 0),
    KIND(PROV_TRUNK_PROFILE, "trunk-profile", "trunk_profiles",
	 STORE_T_TRUNK_PROFILES, trunk_profile_fields, 0),
    KIND(PROV_DEVICE, "device", "devices", STORE_T_DEVICES, device_fields, 0),
    KIND(PROV_USER, "user", "users", STORE_T_USERS, user_fields, 1),
    KIND(PROV_APP_USER, "app-user", "app_users", STORE_T_USERS, app_user_fields,
	 1),
    KIND(PROV_REALM, "realm", "realms", STORE_T_REALMS, realm_fields, 1),
    KIND(PROV_NODE_GROUP, "node-group", "node_groups", STORE_T_NODE_GROUPS,
	 node_group_fields, 0),
    KIND(PROV_SRST, "srst", "srst", STORE_T_SRST, srst_fields, 0),
    KIND(PROV_PARTITION, "partition", "partitions", STORE_T_PARTITIONS,
	 partition_fields, 0),
    KIND(PROV_CSS, "css", "css", STORE_T_CSS, css_fields, 0),
    KIND(PROV_ROUTE_PATTERN, "route-pattern", "route_patterns",
	 STORE_T_ROUTE_PATTERNS, route_pattern_fields, 0),
    KIND(PROV_PRESENCE_GROUP, "presence-group", "presence_groups",
	 STORE_T_PRESENCE_GROUPS, presence_group_fields, 0),
};

const struct prov_kind *prov_kind_get(enum prov_kind_id id)
{
	return (unsigned)id < PROV__COUNT ? &kinds[id] : NULL;
}

char *prov_rec_name(const struct prov_kind *k, union prov_rec *rec)
{
	/* "name" is the first field of every table. */
	return (char *)rec + k->fields[0].off;
}

void prov_rec_init(const struct prov_kind *k, union prov_rec *rec,
		   const char *name)
{
	memset(rec, 0, sizeof *rec);
	switch (k->id) {
	case PROV_PHONE_PROFILE:
		store_phone_profile_default(STORE_DEVMODE_NON_SECURE,
					    &rec->phone_profile);
		rec->phone_profile.description[0] = '\0';
		break;
	case PROV_TRUNK_PROFILE:
		store_trunk_profile_default(STORE_DEVMODE_NON_SECURE,
					    &rec->trunk_profile);
		rec->trunk_profile.description[0] = '\0';
		break;
	case PROV_DEVICE:
		rec->device.kind = STORE_DEVICE_PHONE;
		snprintf(rec->device.profile, sizeof rec->device.profile,
			 "standard-non-secure");
		break;
	case PROV_USER:
		rec->user.kind = STORE_USER_END;
		break;
	case PROV_APP_USER:
		rec->user.kind = STORE_USER_APP;
		rec->user.methods = STORE_SIP_INVITE;
		break;
	case PROV_SRST:
		rec->srst.sip_port = 5060;
		break;
	default:
		break;
	}
	snprintf(prov_rec_name(k, rec), k->fields[0].cap, "%s",
		 name ? name : "");
}

/* ---- parsing ---------------------------------------------------------- */

static int name_index(const struct prov_field *f, const char *s)
{
	for (unsigned i = 0; i < f->n_names; i++) {
		if (f->names[i] && strcmp(f->names[i], s) == 0)
			return (int)i;
	}
	return -1;
}

static void list_names(const struct prov_field *f, char *out, size_t cap)
{
	size_t n = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < f->n_names && n < cap; i++) {
		if (f->names[i])
			n += (size_t)snprintf(out + n, cap - n, "%s%s",
					      n ? ", " : "", f->names[i]);
	}
}

static int field_string(const struct prov_field *f, json_t *v, char *out,
			char *errmsg, size_t errcap)
{
	const char *s;
	size_t n;

	if (!json_is_string(v)) {
		errmsg_set(errmsg, errcap, "field \"%s\" must be a string",
			   f->key);
		return 400;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (n >= f->cap || strlen(s) != n || !admin_text_printable(s, n)) {
		errmsg_set(errmsg, errcap,
			   "field \"%s\": at most %zu printable characters",
			   f->key, f->cap - 1);
		return 400;
	}
	if ((f->type == PF_NAME || (f->type == PF_NAME_OPT && n > 0)) &&
	    !store_prov_name_valid(s)) {
		errmsg_set(errmsg, errcap,
			   "field \"%s\": a name is 1-63 characters of A-Z a-z "
			   "0-9 . _ - (not starting with . or -)",
			   f->key);
		return 400;
	}
	if ((f->type == PF_HOST) && (n == 0 || strpbrk(s, " \t\"\\"))) {
		errmsg_set(errmsg, errcap,
			   "field \"%s\": not empty, without spaces or quotes",
			   f->key);
		return 400;
	}
	memcpy(out, s, n + 1);
	return 0;
}

static int field_array_of_strings(const struct prov_field *f, json_t *v,
				  size_t max, char *errmsg, size_t errcap)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v) || json_array_size(v) > max) {
		errmsg_set(
		    errmsg, errcap,
		    "field \"%s\" must be an array of at most %zu strings",
		    f->key, max);
		return 400;
	}
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e)) {
			errmsg_set(errmsg, errcap,
				   "field \"%s\" must be an array of strings",
				   f->key);
			return 400;
		}
	}
	return 0;
}

/* "allow" or "disallow": replaces the group's rules of that kind. A group
 * named by both fields, or twice, is refused. */
static int rules_apply(const struct prov_field *f, json_t *v,
		       struct store_presence_group *g, char *errmsg,
		       size_t errcap)
{
	struct store_presence_rule keep[STORE_PRESENCE_RULES_MAX];
	uint32_t n = 0;
	size_t i;
	json_t *e;
	int rc;

	if ((rc = field_array_of_strings(f, v, STORE_PRESENCE_RULES_MAX, errmsg,
					 errcap)))
		return rc;
	for (uint32_t j = 0; j < g->n_rules && j < STORE_PRESENCE_RULES_MAX;
	     j++) {
		if (g->rules[j].allow != f->bit)
			keep[n++] = g->rules[j];
	}
	json_array_foreach(v, i, e)
	{
		const char *s = json_string_value(e);

		if (!store_prov_name_valid(s)) {
			errmsg_set(
			    errmsg, errcap,
			    "field \"%s\": \"%.40s\" is not a group name",
			    f->key, s);
			return 400;
		}
		for (uint32_t j = 0; j < n; j++) {
			if (strcmp(keep[j].group, s) == 0) {
				errmsg_set(errmsg, errcap,
					   "group %s has more than one rule",
					   s);
				return 400;
			}
		}
		if (n == STORE_PRESENCE_RULES_MAX) {
			errmsg_set(errmsg, errcap,
				   "a presence group has at most %d rules",
				   STORE_PRESENCE_RULES_MAX);
			return 400;
		}
		memset(&keep[n], 0, sizeof keep[n]);
		snprintf(keep[n].group, sizeof keep[n].group, "%s", s);
		keep[n++].allow = f->bit;
	}
	memset(g->rules, 0, sizeof g->rules);
	memcpy(g->rules, keep, n * sizeof *keep);
	g->n_rules = n;
	return 0;
}

static int field_apply(const struct prov_field *f, json_t *v, uint8_t *rec,
		       struct prov_extra *x, char *errmsg, size_t errcap)
{
	char choices[160];
	uint32_t *u = (uint32_t *)(rec + f->off);
	json_int_t iv;
	size_t i;
	json_t *e;
	int idx, rc;

	switch (f->type) {
	case PF_NAME:
	case PF_NAME_OPT:
	case PF_TEXT:
	case PF_HOST:
		return field_string(f, v, (char *)rec + f->off, errmsg, errcap);
	case PF_PATTERN: {
		char why[160];

		if ((rc = field_string(f, v, (char *)rec + f->off, errmsg,
				       errcap)))
			return rc;
		if (dialplan_pattern_check((char *)rec + f->off, why,
					   sizeof why) != 0) {
			errmsg_set(errmsg, errcap, "field \"%s\": %s", f->key,
				   why);
			return 400;
		}
		return 0;
	}
	case PF_PARTS: {
		struct store_css *c = (struct store_css *)rec;

		if ((rc = field_array_of_strings(f, v, STORE_CSS_PARTITIONS_MAX,
						 errmsg, errcap)))
			return rc;
		memset(c->partitions, 0, sizeof c->partitions);
		c->n_partitions = 0;
		json_array_foreach(v, i, e)
		{
			const char *p = json_string_value(e);

			if (!store_prov_name_valid(p)) {
				errmsg_set(
				    errmsg, errcap,
				    "partition \"%.40s\": a name is 1-63 "
				    "characters of A-Z a-z 0-9 . _ -",
				    p);
				return 400;
			}
			for (uint32_t j = 0; j < c->n_partitions; j++) {
				if (strcmp(c->partitions[j], p) == 0) {
					errmsg_set(errmsg, errcap,
						   "partition %s listed twice",
						   p);
					return 400;
				}
			}
			snprintf(c->partitions[c->n_partitions++],
				 STORE_NAME_MAX, "%s", p);
		}
		return 0;
	}
	case PF_REALM:
		x->has_realm = 1;
		rc = field_string(f, v, (char *)rec + f->off, errmsg, errcap);
		/* It goes into challenges as realm="...": no quoting. */
		if (rc == 0 && (((char *)rec + f->off)[0] == '\0' ||
				strpbrk((char *)rec + f->off, "\"\\"))) {
			errmsg_set(
			    errmsg, errcap,
			    "field \"realm\": not empty, without \" or \\");
			return 400;
		}
		return rc;
	case PF_ENUM:
		if (!json_is_string(v) ||
		    (idx = name_index(f, json_string_value(v))) < 0) {
			list_names(f, choices, sizeof choices);
			errmsg_set(errmsg, errcap, "field \"%s\": one of %s",
				   f->key, choices);
			return 400;
		}
		*u = (uint32_t)idx;
		return 0;
	case PF_FLAG:
		if (!json_is_boolean(v)) {
			errmsg_set(errmsg, errcap,
				   "field \"%s\" must be true or false",
				   f->key);
			return 400;
		}
		if (json_is_true(v))
			*u |= f->bit;
		else
			*u &= ~f->bit;
		return 0;
	case PF_U32:
		if (!json_is_integer(v) ||
		    (iv = json_integer_value(v)) < (json_int_t)f->min ||
		    iv > (json_int_t)f->max) {
			errmsg_set(errmsg, errcap,
				   "field \"%s\": an integer in %u..%u", f->key,
				   f->min, f->max);
			return 400;
		}
		*u = (uint32_t)iv;
		return 0;
	case PF_BITS:
		if ((rc = field_array_of_strings(f, v, 32, errmsg, errcap)))
			return rc;
		*u = 0;
		json_array_foreach(v, i, e)
		{
			idx = name_index(f, json_string_value(e));
			if (idx < 0) {
				list_names(f, choices, sizeof choices);
				errmsg_set(errmsg, errcap,
					   "field \"%s\": \"%.40s\" is not one "
					   "of %s",
					   f->key, json_string_value(e),
					   choices);
				return 400;
			}
			*u |= 1u << idx;
		}
		return 0;
	case PF_LINES: {
		struct store_device *d = (struct store_device *)rec;

		if ((rc = field_array_of_strings(f, v, STORE_LINES_MAX, errmsg,
						 errcap)))
			return rc;
		memset(d->lines, 0, sizeof d->lines);
		memset(d->line_partitions, 0, sizeof d->line_partitions);
		d->n_lines = 0;
		json_array_foreach(v, i, e)
		{
			/* "DN" (the none-partition) or "DN@PARTITION". */
			char dn[STORE_DN_MAX + STORE_NAME_MAX + 1];
			const char *s = json_string_value(e), *part = "";
			char *at;

			if (json_string_length(e) >= sizeof dn ||
			    strlen(s) != json_string_length(e)) {
				errmsg_set(errmsg, errcap,
					   "line \"%.40s\": DN or DN@PARTITION",
					   s);
				return 400;
			}
			memcpy(dn, s, json_string_length(e) + 1);
			if ((at = strchr(dn, '@')) != NULL) {
				*at = '\0';
				part = at + 1;
				if (!store_prov_name_valid(part)) {
					errmsg_set(
					    errmsg, errcap,
					    "line \"%.40s\": the partition "
					    "after @ is a name (A-Z a-z "
					    "0-9 . _ -)",
					    s);
					return 400;
				}
			}
			if (!store_dn_valid(dn)) {
				errmsg_set(errmsg, errcap,
					   "line \"%.40s\": a directory number "
					   "is 1-31 of 0-9 * # +",
					   dn);
				return 400;
			}
			for (uint32_t j = 0; j < d->n_lines; j++) {
				if (strcmp(d->lines[j], dn) == 0) {
					errmsg_set(errmsg, errcap,
						   "line %s given twice", dn);
					return 400;
				}
			}
			snprintf(d->line_partitions[d->n_lines], STORE_NAME_MAX,
				 "%s", part);
			/* store_dn_valid: fits in a line. */
			memcpy(d->lines[d->n_lines++], dn, strlen(dn) + 1);
		}
		return 0;
	}
	case PF_NODES:
		if ((rc = field_array_of_strings(f, v, STORE_GROUP_NODES_MAX,
						 errmsg, errcap)))
			return rc;
		x->has_nodes = 1;
		x->n_nodes = 0;
		json_array_foreach(v, i, e)
		{
			const char *s = json_string_value(e);

			if (!admin_name_valid(s)) {
				errmsg_set(
				    errmsg, errcap,
				    "field \"nodes\": \"%.40s\" is not a "
				    "node name",
				    s);
				return 400;
			}
			snprintf(x->nodes[x->n_nodes++], ADMIN_NAME_MAX + 1,
				 "%s", s);
		}
		return 0;
	case PF_RULES:
		return rules_apply(f, v, (struct store_presence_group *)rec,
				   errmsg, errcap);
	case PF_PASSWORD:
		if (!json_is_string(v) ||
		    json_string_length(v) < ADMIN_PASSWORD_MIN ||
		    json_string_length(v) > ADMIN_PASSWORD_MAX ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			errmsg_set(errmsg, errcap,
				   "field \"password\": %d to %d bytes",
				   ADMIN_PASSWORD_MIN, ADMIN_PASSWORD_MAX);
			return 400;
		}
		x->password_len = json_string_length(v);
		memcpy(x->password, json_string_value(v), x->password_len);
		x->password[x->password_len] = '\0';
		x->has_password = 1;
		return 0;
	}
	return 400;
}

/* Wipes the password's text inside the parsed document. */
static void wipe_password(json_t *root)
{
	json_t *v = json_object_get(root, "password");

	if (json_is_string(v))
		OPENSSL_cleanse((char *)json_string_value(v),
				json_string_length(v));
}

int prov_req_apply(const struct prov_kind *k, const void *body, size_t len,
		   union prov_rec *rec, struct prov_extra *extra, int creating,
		   char *errmsg, size_t errcap)
{
	char was[STORE_NAME_MAX];
	const char *key;
	json_t *root, *v;
	int rc = 0;

	memset(extra, 0, sizeof *extra);
	if ((rc = admin_req_object(body, len, &root, errmsg, errcap)))
		return rc;
	snprintf(was, sizeof was, "%s", prov_rec_name(k, rec));
	if (creating && !json_object_get(root, "name")) {
		errmsg_set(errmsg, errcap, "missing field \"name\"");
		rc = 400;
		goto out;
	}
	json_object_foreach(root, key, v)
	{
		unsigned i;

		for (i = 0; i < k->n_fields; i++) {
			if (strcmp(k->fields[i].key, key) == 0)
				break;
		}
		if (i == k->n_fields) {
			errmsg_set(errmsg, errcap, "unknown field \"%.64s\"",
				   key);
			rc = 400;
			goto out;
		}
		rc = field_apply(&k->fields[i], v, (uint8_t *)rec, extra,
				 errmsg, errcap);
		if (rc)
			goto out;
	}
	if (!creating && strcmp(was, prov_rec_name(k, rec)) != 0) {
		errmsg_set(errmsg, errcap, "a %s cannot be renamed", k->what);
		rc = 400;
	}
out:
	wipe_password(root);
	json_decref(root);
	if (rc)
		OPENSSL_cleanse(extra, sizeof *extra);
	return rc;
}

/* ---- rendering -------------------------------------------------------- */

static json_t *render_bits(const struct prov_field *f, uint32_t v)
{
	json_t *a = json_array();

	for (unsigned i = 0; a && i < f->n_names; i++) {
		if (v & (1u << i))
			json_array_append_new(a, json_string(f->names[i]));
	}
	return a;
}

static json_t *render_field(const struct prov_field *f, const uint8_t *rec)
{
	uint32_t u = *(const uint32_t *)(rec + f->off);

	switch (f->type) {
	case PF_NAME:
	case PF_NAME_OPT:
	case PF_TEXT:
	case PF_HOST:
	case PF_REALM:
	case PF_PATTERN:
		return json_string((const char *)rec + f->off);
	case PF_PARTS: {
		const struct store_css *c = (const void *)rec;
		json_t *a = json_array();

		for (uint32_t i = 0; a && i < c->n_partitions; i++)
			json_array_append_new(a, json_string(c->partitions[i]));
		return a;
	}
	case PF_ENUM:
		return json_string(u < f->n_names && f->names[u] ? f->names[u]
								 : "unknown");
	case PF_FLAG:
		return json_boolean(u & f->bit);
	case PF_U32:
		return json_integer(u);
	case PF_BITS:
		return render_bits(f, u);
	case PF_LINES: {
		const struct store_device *d = (const void *)rec;
		json_t *a = json_array();

		char line[STORE_DN_MAX + STORE_NAME_MAX + 1];

		/* As given: a bare DN is in the none-partition. */
		for (uint32_t i = 0; a && i < d->n_lines; i++) {
			snprintf(line, sizeof line, "%s%s%s", d->lines[i],
				 d->line_partitions[i][0] ? "@" : "",
				 d->line_partitions[i]);
			json_array_append_new(a, json_string(line));
		}
		return a;
	}
	case PF_RULES: {
		const struct store_presence_group *g = (const void *)rec;
		json_t *a = json_array();

		for (uint32_t i = 0; a && i < g->n_rules; i++) {
			if (g->rules[i].allow == f->bit)
				json_array_append_new(
				    a, json_string(g->rules[i].group));
		}
		return a;
	}
	case PF_NODES:
	case PF_PASSWORD:
		break;
	}
	return NULL;
}

json_t *prov_render(const struct prov_kind *k, const union prov_rec *rec,
		    prov_node_name_fn node_name, void *arg)
{
	json_t *o = json_object();
	uint64_t created = 0, changed = 0;

	if (!o)
		return NULL;
	for (unsigned i = 0; i < k->n_fields; i++) {
		json_t *v = render_field(&k->fields[i], (const uint8_t *)rec);

		if (v)
			json_object_set_new(o, k->fields[i].key, v);
	}
	switch (k->id) {
	case PROV_PHONE_PROFILE:
		created = rec->phone_profile.created_ms;
		changed = rec->phone_profile.changed_ms;
		break;
	case PROV_TRUNK_PROFILE:
		created = rec->trunk_profile.created_ms;
		changed = rec->trunk_profile.changed_ms;
		break;
	case PROV_DEVICE:
		created = rec->device.created_ms;
		changed = rec->device.changed_ms;
		break;
	case PROV_USER:
	case PROV_APP_USER:
		/* Whether credentials exist, never what they are. */
		json_object_set_new(o, "credentials",
				    json_boolean(rec->user.ha1_len > 0));
		json_object_set_new(
		    o, "kind",
		    json_string(store_user_kind_name(rec->user.kind)));
		created = rec->user.created_ms;
		changed = rec->user.changed_ms;
		break;
	case PROV_REALM:
		json_object_set_new(o, "credentials",
				    json_boolean(rec->realm.password_len > 0));
		created = rec->realm.created_ms;
		changed = rec->realm.changed_ms;
		break;
	case PROV_NODE_GROUP: {
		json_t *a = json_array();
		char buf[STORE_NAME_MAX];

		for (uint32_t i = 0; a && i < rec->node_group.n_nodes; i++) {
			uint64_t id = rec->node_group.nodes[i];
			const char *n =
			    node_name ? node_name(arg, id, buf, sizeof buf)
				      : NULL;

			if (!n) {
				snprintf(buf, sizeof buf, "#%llu",
					 (unsigned long long)id);
				n = buf;
			}
			json_array_append_new(a, json_string(n));
		}
		json_object_set_new(o, "nodes", a);
		created = rec->node_group.created_ms;
		changed = rec->node_group.changed_ms;
		break;
	}
	case PROV_SRST:
		created = rec->srst.created_ms;
		changed = rec->srst.changed_ms;
		break;
	case PROV_PARTITION:
		created = rec->partition.created_ms;
		changed = rec->partition.changed_ms;
		break;
	case PROV_CSS:
		created = rec->css.created_ms;
		changed = rec->css.changed_ms;
		break;
	case PROV_ROUTE_PATTERN:
		created = rec->route_pattern.created_ms;
		changed = rec->route_pattern.changed_ms;
		break;
	case PROV_PRESENCE_GROUP:
		created = rec->presence_group.created_ms;
		changed = rec->presence_group.changed_ms;
		break;
	default:
		break;
	}
	json_object_set_new(o, "created_ms", json_integer((json_int_t)created));
	json_object_set_new(o, "changed_ms", json_integer((json_int_t)changed));
	return o;
}

/* ---- checks and warnings ---------------------------------------------- */

int prov_rec_check(const struct prov_kind *k, const union prov_rec *rec,
		   const struct prov_extra *extra, char *errmsg, size_t errcap)
{
	const struct store_device *d = &rec->device;

	(void)extra;
	switch (k->id) {
	case PROV_TRUNK_PROFILE:
		if (rec->trunk_profile.out_transport ==
		    STORE_TRANSPORT_TCP_UDP) {
			errmsg_set(errmsg, errcap,
				   "outgoing_transport: one of tcp, udp, tls");
			return 400;
		}
		break;
	case PROV_DEVICE:
		if (d->kind == STORE_DEVICE_PHONE &&
		    !store_phone_name_valid(d->name)) {
			errmsg_set(
			    errmsg, errcap,
			    "device \"%s\": a phone's name is SEP and its "
			    "MAC address as 12 upper-case hex digits",
			    d->name);
			return 400;
		}
		if (d->kind == STORE_DEVICE_PHONE &&
		    (d->peer_host[0] || d->peer_port)) {
			errmsg_set(errmsg, errcap,
				   "peer_host and peer_port are for trunks");
			return 400;
		}
		if (d->kind == STORE_DEVICE_TRUNK &&
		    (!d->peer_host[0] || strpbrk(d->peer_host, " \t\"\\") ||
		     d->peer_port == 0)) {
			errmsg_set(errmsg, errcap,
				   "a trunk needs peer_host and peer_port");
			return 400;
		}
		break;
	case PROV_ROUTE_PATTERN:
		if (!rec->route_pattern.pattern[0]) {
			errmsg_set(errmsg, errcap, "missing field \"pattern\"");
			return 400;
		}
		if (rec->route_pattern.action == STORE_ROUTE_TO_TRUNK &&
		    !rec->route_pattern.trunk[0]) {
			errmsg_set(
			    errmsg, errcap,
			    "a route pattern with action route names its "
			    "trunk");
			return 400;
		}
		if (rec->route_pattern.action == STORE_ROUTE_BLOCK &&
		    rec->route_pattern.trunk[0]) {
			errmsg_set(errmsg, errcap,
				   "a blocking pattern names no trunk (give "
				   "\"trunk\": \"\")");
			return 400;
		}
		break;
	case PROV_NODE_GROUP:
		/* At least one member; distinct ones are checked once the
		 * names are resolved to ids. */
		if (rec->node_group.n_nodes == 0 &&
		    !(extra && extra->has_nodes && extra->n_nodes > 0)) {
			errmsg_set(errmsg, errcap,
				   "a node group lists 1 to %d nodes",
				   STORE_GROUP_NODES_MAX);
			return 400;
		}
		break;
	case PROV_SRST:
		if (!store_srst_address_valid(rec->srst.address)) {
			errmsg_set(
			    errmsg, errcap,
			    "address: an IP address or host name "
			    "(required), without spaces, quotes, / < > &");
			return 400;
		}
		if (rec->srst.certificate[0] &&
		    !store_trust_name_valid(rec->srst.certificate)) {
			errmsg_set(errmsg, errcap,
				   "certificate: the name of a trust entry "
				   "(wardctl cert list), as 0a1b2c3d.0");
			return 400;
		}
		break;
	default:
		break;
	}
	return 0;
}

/* Digest credentials go into a config file when the profile asks for
 * digest authentication and does not exclude them. */
static int carries_clear_digest(const struct store_phone_profile *p,
				int encrypted_param)
{
	return (p->flags & STORE_PP_DIGEST_AUTH) &&
	       !(p->flags & STORE_PP_EXCLUDE_DIGEST) && !encrypted_param &&
	       !(p->flags & STORE_PP_TFTP_ENCRYPTED);
}

void prov_warn_profile(const struct store_phone_profile *p, int encrypted_param,
		       json_t *warn)
{
	char msg[256];

	if (!carries_clear_digest(p, encrypted_param))
		return;
	snprintf(msg, sizeof msg,
		 "profile %s: digest authentication is on and config "
		 "encryption is off: digest credentials will be sent to "
		 "phones in clear in their config files",
		 p->name);
	json_array_append_new(warn, json_string(msg));
}

void prov_warn_device(const struct store_device *d,
		      const struct store_phone_profile *p, int encrypted_param,
		      json_t *warn)
{
	char msg[256];

	if (!p || d->kind != STORE_DEVICE_PHONE || !d->digest_user[0] ||
	    !carries_clear_digest(p, encrypted_param))
		return;
	snprintf(msg, sizeof msg,
		 "device %s: config encryption is off: the digest "
		 "credentials of %s will be sent in clear in its config file",
		 d->name, d->digest_user);
	json_array_append_new(warn, json_string(msg));
}
