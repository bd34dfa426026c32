/* records_prov: names, enumerations and the versioned encodings of the
 * security profiles and devices (store/prov.h, docs/store.md).
 *
 * Same rules as records.c: a version byte first, strict decoders (no
 * trailing bytes, no value outside its enumeration, no unknown flag), one
 * encoding per record, and an encoder that refuses what the decoder would.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "store/codec.h"
#include "store/dialplan.h"
#include "store/prov.h"

enum {
	PHONE_PROFILE_V = 2, /* v2: the SRST reference */
	TRUNK_PROFILE_V = 1,
	DEVICE_V = 2, /* 2: line partitions and calling search space */
	DEVICE_LSC_V = 1,
	PARTITION_V = 1,
	CSS_V = 1,
	ROUTE_PATTERN_V = 1,
};

#define STR_MAX(field_cap) (2 + (field_cap)-1)
_Static_assert(1 + STR_MAX(STORE_NAME_MAX) + STR_MAX(STORE_DESC_MAX) + 7 * 4 +
		       16 + STR_MAX(STORE_NAME_MAX) <=
		   STORE_RECORD_MAX,
	       "phone profile record");
_Static_assert(1 + STR_MAX(STORE_NAME_MAX) + STR_MAX(STORE_DESC_MAX) + 4 * 4 +
		       STR_MAX(STORE_TEXT_MAX) + 2 * 4 + 16 <=
		   STORE_RECORD_MAX,
	       "trunk profile record");
_Static_assert(1 + STR_MAX(STORE_NAME_MAX) + 1 + STR_MAX(STORE_DESC_MAX) +
		       STR_MAX(STORE_NAME_MAX) + 4 + STR_MAX(STORE_NAME_MAX) +
		       1 + STORE_LINES_MAX * STR_MAX(STORE_DN_MAX) +
		       2 * STR_MAX(STORE_NAME_MAX) + STR_MAX(STORE_ADDR_MAX) +
		       2 + 16 + STR_MAX(STORE_NAME_MAX) +
		       STORE_LINES_MAX * STR_MAX(STORE_NAME_MAX) <=
		   STORE_RECORD_MAX,
	       "device record");
_Static_assert(1 + STR_MAX(STORE_NAME_MAX) + STR_MAX(STORE_DESC_MAX) + 1 +
		       STORE_CSS_PARTITIONS_MAX * STR_MAX(STORE_NAME_MAX) +
		       16 <=
		   STORE_RECORD_MAX,
	       "css record");
_Static_assert(1 + 3 * STR_MAX(STORE_NAME_MAX) + STR_MAX(STORE_DESC_MAX) +
		       STR_MAX(STORE_DIALPLAN_PATTERN_MAX) + 1 + 16 <=
		   STORE_RECORD_MAX,
	       "route pattern record");
_Static_assert(sizeof(((struct store_route_pattern *)0)->pattern) ==
		   STORE_DIALPLAN_PATTERN_MAX,
	       "route pattern field");
_Static_assert(1 + 4 + STORE_DER_MAX + 32 + STR_MAX(STORE_SERIAL_MAX) + 16 <=
		   STORE_BLOB_RECORD_MAX,
	       "device lsc record");

/* ---- names ------------------------------------------------------------ */

static int name_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
}

int store_prov_name_valid(const char *name)
{
	size_t n;

	if (!name)
		return 0;
	n = strnlen(name, STORE_NAME_MAX);
	if (n == 0 || n == STORE_NAME_MAX || name[0] == '.' || name[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!name_char_ok(name[i]))
			return 0;
	}
	return 1;
}

int store_phone_name_valid(const char *name)
{
	if (!name || strnlen(name, 16) != 15 || strncmp(name, "SEP", 3) != 0)
		return 0;
	for (int i = 3; i < 15; i++) {
		char ch = name[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'F')))
			return 0;
	}
	return 1;
}

int store_dn_valid(const char *dn)
{
	size_t n;

	if (!dn)
		return 0;
	n = strnlen(dn, STORE_DN_MAX);
	if (n == 0 || n == STORE_DN_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!((dn[i] >= '0' && dn[i] <= '9') || dn[i] == '*' ||
		      dn[i] == '#' || dn[i] == '+'))
			return 0;
	}
	return 1;
}

/* ---- enumerations ----------------------------------------------------- */

static const char *const devmode_names[] = {"non-secure", "authenticated",
					    "encrypted"};
static const char *const transport_names[] = {"tcp+udp", "tcp", "udp", "tls"};
static const char *const capf_auth_names[] = {"auth-string", "null-string",
					      "existing-lsc", "existing-mic"};
static const char *const settings_names[] = {"enabled", "disabled",
					     "restricted"};
static const char *const kind_names[] = {NULL, "phone", "trunk"};
static const char *const route_action_names[] = {"route", "block"};

#define N_OF(a) (sizeof(a) / sizeof *(a))

static const char *enum_name(const char *const *names, size_t n, unsigned v)
{
	return v < n && names[v] ? names[v] : "unknown";
}

static int enum_parse(const char *const *names, size_t n, const char *name,
		      unsigned *out)
{
	if (!name)
		return STORE_EINVAL;
	for (unsigned i = 0; i < n; i++) {
		if (names[i] && strcasecmp(name, names[i]) == 0) {
			*out = i;
			return STORE_OK;
		}
	}
	return STORE_EINVAL;
}

#define ENUM_FUNCS(fname, type, table)                                         \
	const char *store_##fname##_name(type v)                               \
	{                                                                      \
		return enum_name(table, N_OF(table), (unsigned)v);             \
	}                                                                      \
	int store_##fname##_parse(const char *name, type *out)                 \
	{                                                                      \
		unsigned v;                                                    \
		int rc = enum_parse(table, N_OF(table), name, &v);             \
                                                                               \
		if (rc == STORE_OK)                                            \
			*out = (type)v;                                        \
		return rc;                                                     \
	}

ENUM_FUNCS(device_mode, enum store_device_mode, devmode_names)
ENUM_FUNCS(transport, enum store_transport, transport_names)
ENUM_FUNCS(capf_auth, enum store_capf_auth, capf_auth_names)
ENUM_FUNCS(settings_access, enum store_settings_access, settings_names)
ENUM_FUNCS(device_kind, enum store_device_kind, kind_names)
ENUM_FUNCS(route_action, enum store_route_action, route_action_names)

/* ---- defaults --------------------------------------------------------- */

static const char *const default_phone_names[STORE_DEFAULT_PROFILES] = {
    "standard-non-secure", "standard-authenticated", "standard-encrypted"};
static const char *const default_trunk_names[STORE_DEFAULT_PROFILES] = {
    "trunk-non-secure", "trunk-authenticated", "trunk-encrypted"};

int store_phone_profile_default(unsigned i, struct store_phone_profile *out)
{
	memset(out, 0, sizeof *out);
	if (i >= STORE_DEFAULT_PROFILES)
		return STORE_EINVAL;
	snprintf(out->name, sizeof out->name, "%s", default_phone_names[i]);
	snprintf(out->description, sizeof out->description,
		 "Standard %s phone profile", devmode_names[i]);
	out->mode = i;
	out->transport = i == STORE_DEVMODE_NON_SECURE ? STORE_TRANSPORT_UDP
						       : STORE_TRANSPORT_TLS;
	/* Secure profiles ship with the phone hardened and the config
	 * encrypted, as the seed recommends for encrypted phones. */
	out->flags = STORE_PP_PC_PORT | STORE_PP_GARP | STORE_PP_VOICE_VLAN;
	if (i == STORE_DEVMODE_NON_SECURE)
		out->flags |= STORE_PP_WEB_ACCESS | STORE_PP_SPAN_PC;
	if (i == STORE_DEVMODE_ENCRYPTED)
		out->flags = STORE_PP_PC_PORT | STORE_PP_TFTP_ENCRYPTED;
	out->capf_auth = STORE_CAPF_AUTH_NULL;
	out->key_size = 2048;
	out->settings_access = STORE_SETTINGS_ENABLED;
	return STORE_OK;
}

int store_trunk_profile_default(unsigned i, struct store_trunk_profile *out)
{
	memset(out, 0, sizeof *out);
	if (i >= STORE_DEFAULT_PROFILES)
		return STORE_EINVAL;
	snprintf(out->name, sizeof out->name, "%s", default_trunk_names[i]);
	snprintf(out->description, sizeof out->description,
		 "Standard %s SIP trunk profile", devmode_names[i]);
	out->mode = i;
	out->in_transport = i == STORE_DEVMODE_NON_SECURE
				? STORE_TRANSPORT_TCP_UDP
				: STORE_TRANSPORT_TLS;
	out->out_transport = i == STORE_DEVMODE_NON_SECURE
				 ? STORE_TRANSPORT_TCP
				 : STORE_TRANSPORT_TLS;
	out->in_port = i == STORE_DEVMODE_NON_SECURE ? 5060 : 5061;
	return STORE_OK;
}

/* ---- phone profiles --------------------------------------------------- */

static int key_size_ok(uint32_t bits)
{
	return bits == 1024 || bits == 2048 || bits == 4096;
}

static int phone_profile_ok(const struct store_phone_profile *r)
{
	return r->mode <= STORE_DEVMODE_ENCRYPTED &&
	       r->transport <= STORE_TRANSPORT_TLS &&
	       (r->flags & ~STORE_PP_ALL) == 0 &&
	       r->capf_auth <= STORE_CAPF_AUTH_EXISTING_MIC &&
	       key_size_ok(r->key_size) &&
	       r->settings_access <= STORE_SETTINGS_RESTRICTED &&
	       (r->srst[0] == '\0' || store_prov_name_valid(r->srst));
}

int store_phone_profile_encode(const struct store_phone_profile *r, void *buf,
			       size_t cap, size_t *len)
{
	struct codec_w w;

	if (!phone_profile_ok(r))
		return STORE_EINVAL;
	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, PHONE_PROFILE_V);
	codec_put_str(&w, r->name, sizeof r->name);
	codec_put_str(&w, r->description, sizeof r->description);
	codec_put_u32(&w, r->mode);
	codec_put_u32(&w, r->transport);
	codec_put_u32(&w, r->flags);
	codec_put_u32(&w, r->nonce_validity_s);
	codec_put_u32(&w, r->capf_auth);
	codec_put_u32(&w, r->key_size);
	codec_put_u32(&w, r->settings_access);
	codec_put_u64(&w, r->created_ms);
	codec_put_u64(&w, r->changed_ms);
	codec_put_str(&w, r->srst, sizeof r->srst);
	return record_result(&w, len);
}

int store_phone_profile_decode(const void *buf, size_t len,
			       struct store_phone_profile *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, PHONE_PROFILE_V, &ver)))
		return rc;
	codec_get_str(&rd, r->name, sizeof r->name);
	codec_get_str(&rd, r->description, sizeof r->description);
	r->mode = codec_get_u32(&rd);
	r->transport = codec_get_u32(&rd);
	r->flags = codec_get_u32(&rd);
	r->nonce_validity_s = codec_get_u32(&rd);
	r->capf_auth = codec_get_u32(&rd);
	r->key_size = codec_get_u32(&rd);
	r->settings_access = codec_get_u32(&rd);
	r->created_ms = codec_get_u64(&rd);
	r->changed_ms = codec_get_u64(&rd);
	if (ver >= 2)
		codec_get_str(&rd, r->srst, sizeof r->srst);
	if ((rc = record_end(&rd)))
		return rc;
	return phone_profile_ok(r) ? STORE_OK : STORE_ECORRUPT;
}

/* ---- trunk profiles --------------------------------------------------- */

static int trunk_profile_ok(const struct store_trunk_profile *r)
{
	return r->mode <= STORE_DEVMODE_ENCRYPTED &&
	       r->in_transport <= STORE_TRANSPORT_TLS &&
	       r->out_transport >= STORE_TRANSPORT_TCP &&
	       r->out_transport <= STORE_TRANSPORT_TLS && r->in_port >= 1 &&
	       r->in_port <= 65535 && (r->flags & ~STORE_TP_ALL) == 0;
}

int store_trunk_profile_encode(const struct store_trunk_profile *r, void *buf,
			       size_t cap, size_t *len)
{
	struct codec_w w;

	if (!trunk_profile_ok(r))
		return STORE_EINVAL;
	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, TRUNK_PROFILE_V);
	codec_put_str(&w, r->name, sizeof r->name);
	codec_put_str(&w, r->description, sizeof r->description);
	codec_put_u32(&w, r->mode);
	codec_put_u32(&w, r->in_transport);
	codec_put_u32(&w, r->out_transport);
	codec_put_u32(&w, r->in_port);
	codec_put_str(&w, r->x509_subjects, sizeof r->x509_subjects);
	codec_put_u32(&w, r->flags);
	codec_put_u32(&w, r->nonce_validity_s);
	codec_put_u64(&w, r->created_ms);
	codec_put_u64(&w, r->changed_ms);
	return record_result(&w, len);
}

int store_trunk_profile_decode(const void *buf, size_t len,
			       struct store_trunk_profile *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, TRUNK_PROFILE_V, &ver)))
		return rc;
	codec_get_str(&rd, r->name, sizeof r->name);
	codec_get_str(&rd, r->description, sizeof r->description);
	r->mode = codec_get_u32(&rd);
	r->in_transport = codec_get_u32(&rd);
	r->out_transport = codec_get_u32(&rd);
	r->in_port = codec_get_u32(&rd);
	codec_get_str(&rd, r->x509_subjects, sizeof r->x509_subjects);
	r->flags = codec_get_u32(&rd);
	r->nonce_validity_s = codec_get_u32(&rd);
	r->created_ms = codec_get_u64(&rd);
	r->changed_ms = codec_get_u64(&rd);
	if ((rc = record_end(&rd)))
		return rc;
	return trunk_profile_ok(r) ? STORE_OK : STORE_ECORRUPT;
}

/* ---- devices ---------------------------------------------------------- */

/* A name field that may be empty: "" or a provisioning name. */
static int name_opt_ok(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) && (!s[0] || store_prov_name_valid(s));
}

static int device_ok(const struct store_device *r)
{
	if (r->kind != STORE_DEVICE_PHONE && r->kind != STORE_DEVICE_TRUNK)
		return 0;
	if ((r->caps & ~STORE_CAP_ALL) != 0 || r->n_lines > STORE_LINES_MAX ||
	    r->peer_port > 65535)
		return 0;
	if (!name_opt_ok(r->css, sizeof r->css))
		return 0;
	for (uint32_t i = 0; i < r->n_lines; i++) {
		if (!name_opt_ok(r->line_partitions[i],
				 sizeof r->line_partitions[i]))
			return 0;
	}
	return 1;
}

int store_device_encode(const struct store_device *r, void *buf, size_t cap,
			size_t *len)
{
	struct codec_w w;

	if (!device_ok(r))
		return STORE_EINVAL;
	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, DEVICE_V);
	codec_put_str(&w, r->name, sizeof r->name);
	codec_put_u8(&w, (uint8_t)r->kind);
	codec_put_str(&w, r->description, sizeof r->description);
	codec_put_str(&w, r->model, sizeof r->model);
	codec_put_u32(&w, r->caps);
	codec_put_str(&w, r->profile, sizeof r->profile);
	codec_put_u8(&w, (uint8_t)r->n_lines);
	for (uint32_t i = 0; i < r->n_lines; i++)
		codec_put_str(&w, r->lines[i], sizeof r->lines[i]);
	codec_put_str(&w, r->digest_user, sizeof r->digest_user);
	codec_put_str(&w, r->node_group, sizeof r->node_group);
	codec_put_str(&w, r->peer_host, sizeof r->peer_host);
	codec_put_u16(&w, (uint16_t)r->peer_port);
	codec_put_u64(&w, r->created_ms);
	codec_put_u64(&w, r->changed_ms);
	codec_put_str(&w, r->css, sizeof r->css);
	for (uint32_t i = 0; i < r->n_lines; i++)
		codec_put_str(&w, r->line_partitions[i],
			      sizeof r->line_partitions[i]);
	return record_result(&w, len);
}

int store_device_decode(const void *buf, size_t len, struct store_device *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, DEVICE_V, &ver)))
		return rc;
	codec_get_str(&rd, r->name, sizeof r->name);
	r->kind = codec_get_u8(&rd);
	codec_get_str(&rd, r->description, sizeof r->description);
	codec_get_str(&rd, r->model, sizeof r->model);
	r->caps = codec_get_u32(&rd);
	codec_get_str(&rd, r->profile, sizeof r->profile);
	r->n_lines = codec_get_u8(&rd);
	if (r->n_lines > STORE_LINES_MAX)
		return STORE_ECORRUPT;
	for (uint32_t i = 0; i < r->n_lines; i++)
		codec_get_str(&rd, r->lines[i], sizeof r->lines[i]);
	codec_get_str(&rd, r->digest_user, sizeof r->digest_user);
	codec_get_str(&rd, r->node_group, sizeof r->node_group);
	codec_get_str(&rd, r->peer_host, sizeof r->peer_host);
	r->peer_port = codec_get_u16(&rd);
	r->created_ms = codec_get_u64(&rd);
	r->changed_ms = codec_get_u64(&rd);
	if (ver >= 2) {
		codec_get_str(&rd, r->css, sizeof r->css);
		for (uint32_t i = 0; i < r->n_lines; i++)
			codec_get_str(&rd, r->line_partitions[i],
				      sizeof r->line_partitions[i]);
	}
	if ((rc = record_end(&rd)))
		return rc;
	return device_ok(r) ? STORE_OK : STORE_ECORRUPT;
}

int store_device_check_phone_profile(const struct store_device *dev,
				     const struct store_phone_profile *p,
				     char *errmsg, size_t errcap)
{
	const char *why = NULL;

	if (p->mode != STORE_DEVMODE_NON_SECURE && !(dev->caps & STORE_CAP_TLS))
		why = "needs TLS, which the model cannot do";
	else if (p->mode == STORE_DEVMODE_ENCRYPTED &&
		 !(dev->caps & STORE_CAP_SRTP))
		why = "needs SRTP, which the model cannot do";
	else if (p->transport == STORE_TRANSPORT_TLS &&
		 !(dev->caps & STORE_CAP_TLS))
		why = "uses TLS transport, which the model cannot do";
	else if ((p->flags & STORE_PP_TFTP_ENCRYPTED) &&
		 !(dev->caps & STORE_CAP_ENC_CONFIG))
		why = "encrypts the config file, which the model cannot read";
	if (!why)
		return STORE_OK;
	if (errmsg && errcap)
		snprintf(errmsg, errcap, "profile %s (%s) %s", p->name,
			 store_device_mode_name(p->mode), why);
	return STORE_EINVAL;
}

int store_device_check_trunk_profile(const struct store_device *dev,
				     const struct store_trunk_profile *p,
				     char *errmsg, size_t errcap)
{
	const char *why = NULL;

	if (p->mode != STORE_DEVMODE_NON_SECURE && !(dev->caps & STORE_CAP_TLS))
		why = "needs TLS, which the trunk's peer cannot do";
	else if (p->mode == STORE_DEVMODE_ENCRYPTED &&
		 !(dev->caps & STORE_CAP_SRTP))
		why = "needs SRTP, which the trunk's peer cannot do";
	else if ((p->in_transport == STORE_TRANSPORT_TLS ||
		  p->out_transport == STORE_TRANSPORT_TLS) &&
		 !(dev->caps & STORE_CAP_TLS))
		why = "uses TLS transport, which the trunk's peer cannot do";
	if (!why)
		return STORE_OK;
	if (errmsg && errcap)
		snprintf(errmsg, errcap, "trunk profile %s (%s) %s", p->name,
			 store_device_mode_name(p->mode), why);
	return STORE_EINVAL;
}

/* ---- device LSC ------------------------------------------------------- */

int store_device_lsc_encode(const struct store_device_lsc *r, void *buf,
			    size_t cap, size_t *len)
{
	struct codec_w w;

	if (!record_serial_valid(r->serial))
		return STORE_EINVAL;
	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, DEVICE_LSC_V);
	codec_put_blob(&w, r->der, r->der_len, STORE_DER_MAX);
	codec_put_bytes(&w, r->sha256, sizeof r->sha256);
	codec_put_str(&w, r->serial, sizeof r->serial);
	codec_put_u64(&w, r->not_after_s);
	codec_put_u64(&w, r->issued_ms);
	return record_result(&w, len);
}

int store_device_lsc_decode(const void *buf, size_t len,
			    struct store_device_lsc *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, DEVICE_LSC_V, &ver)))
		return rc;
	codec_get_blob(&rd, &r->der, &r->der_len, STORE_DER_MAX);
	codec_get_bytes(&rd, r->sha256, sizeof r->sha256);
	codec_get_str(&rd, r->serial, sizeof r->serial);
	r->not_after_s = codec_get_u64(&rd);
	r->issued_ms = codec_get_u64(&rd);
	if ((rc = record_end(&rd))) {
		memset(r, 0, sizeof *r);
		return rc;
	}
	if (!record_serial_valid(r->serial)) {
		memset(r, 0, sizeof *r);
		return STORE_ECORRUPT;
	}
	return STORE_OK;
}

/* ---- the dial plan ---------------------------------------------------- */

int store_partition_encode(const struct store_partition *r, void *buf,
			   size_t cap, size_t *len)
{
	struct codec_w w;

	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, PARTITION_V);
	codec_put_str(&w, r->name, sizeof r->name);
	codec_put_str(&w, r->description, sizeof r->description);
	codec_put_u64(&w, r->created_ms);
	codec_put_u64(&w, r->changed_ms);
	return record_result(&w, len);
}

int store_partition_decode(const void *buf, size_t len,
			   struct store_partition *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, PARTITION_V, &ver)))
		return rc;
	codec_get_str(&rd, r->name, sizeof r->name);
	codec_get_str(&rd, r->description, sizeof r->description);
	r->created_ms = codec_get_u64(&rd);
	r->changed_ms = codec_get_u64(&rd);
	return record_end(&rd);
}

static int css_ok(const struct store_css *r)
{
	if (r->n_partitions > STORE_CSS_PARTITIONS_MAX)
		return 0;
	for (uint32_t i = 0; i < r->n_partitions; i++) {
		if (!memchr(r->partitions[i], '\0', sizeof r->partitions[i]) ||
		    !store_prov_name_valid(r->partitions[i]))
			return 0;
		for (uint32_t j = 0; j < i; j++) {
			if (strcmp(r->partitions[i], r->partitions[j]) == 0)
				return 0;
		}
	}
	return 1;
}

int store_css_encode(const struct store_css *r, void *buf, size_t cap,
		     size_t *len)
{
	struct codec_w w;

	if (!css_ok(r))
		return STORE_EINVAL;
	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, CSS_V);
	codec_put_str(&w, r->name, sizeof r->name);
	codec_put_str(&w, r->description, sizeof r->description);
	codec_put_u8(&w, (uint8_t)r->n_partitions);
	for (uint32_t i = 0; i < r->n_partitions; i++)
		codec_put_str(&w, r->partitions[i], sizeof r->partitions[i]);
	codec_put_u64(&w, r->created_ms);
	codec_put_u64(&w, r->changed_ms);
	return record_result(&w, len);
}

int store_css_decode(const void *buf, size_t len, struct store_css *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, CSS_V, &ver)))
		return rc;
	codec_get_str(&rd, r->name, sizeof r->name);
	codec_get_str(&rd, r->description, sizeof r->description);
	r->n_partitions = codec_get_u8(&rd);
	if (r->n_partitions > STORE_CSS_PARTITIONS_MAX)
		return STORE_ECORRUPT;
	for (uint32_t i = 0; i < r->n_partitions; i++)
		codec_get_str(&rd, r->partitions[i], sizeof r->partitions[i]);
	r->created_ms = codec_get_u64(&rd);
	r->changed_ms = codec_get_u64(&rd);
	if ((rc = record_end(&rd)))
		return rc;
	return css_ok(r) ? STORE_OK : STORE_ECORRUPT;
}

static int route_pattern_ok(const struct store_route_pattern *r)
{
	if (!name_opt_ok(r->partition, sizeof r->partition) ||
	    !name_opt_ok(r->trunk, sizeof r->trunk) ||
	    !memchr(r->pattern, '\0', sizeof r->pattern) ||
	    dialplan_pattern_check(r->pattern, NULL, 0) != 0)
		return 0;
	if (r->action == STORE_ROUTE_TO_TRUNK)
		return r->trunk[0] != '\0';
	return r->action == STORE_ROUTE_BLOCK && r->trunk[0] == '\0';
}

int store_route_pattern_encode(const struct store_route_pattern *r, void *buf,
			       size_t cap, size_t *len)
{
	struct codec_w w;

	if (!route_pattern_ok(r))
		return STORE_EINVAL;
	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, ROUTE_PATTERN_V);
	codec_put_str(&w, r->name, sizeof r->name);
	codec_put_str(&w, r->description, sizeof r->description);
	codec_put_str(&w, r->partition, sizeof r->partition);
	codec_put_str(&w, r->pattern, sizeof r->pattern);
	codec_put_u8(&w, (uint8_t)r->action);
	codec_put_str(&w, r->trunk, sizeof r->trunk);
	codec_put_u64(&w, r->created_ms);
	codec_put_u64(&w, r->changed_ms);
	return record_result(&w, len);
}

int store_route_pattern_decode(const void *buf, size_t len,
			       struct store_route_pattern *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, ROUTE_PATTERN_V, &ver)))
		return rc;
	codec_get_str(&rd, r->name, sizeof r->name);
	codec_get_str(&rd, r->description, sizeof r->description);
	codec_get_str(&rd, r->partition, sizeof r->partition);
	codec_get_str(&rd, r->pattern, sizeof r->pattern);
	r->action = codec_get_u8(&rd);
	codec_get_str(&rd, r->trunk, sizeof r->trunk);
	r->created_ms = codec_get_u64(&rd);
	r->changed_ms = codec_get_u64(&rd);
	if ((rc = record_end(&rd)))
		return rc;
	return route_pattern_ok(r) ? STORE_OK : STORE_ECORRUPT;
}
