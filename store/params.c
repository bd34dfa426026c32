/* params: the declared cluster parameters (enterprise parameters), their
 * bounds, defaults and canonical text forms.
 *
 * Each tunable is declared once, here. Values are stored as canonical text
 * in STORE_T_PARAMS (key = name, value = text without NUL) so that every
 * node compares and prints them alike; a name that was never set reads as
 * its default.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/errmsg.h"
#include "common/log.h"
#include "store/store.h"

static const char *const cert_key_types[] = {"rsa2048", "ecdsa-p256", NULL};
static const char *const capf_key_sizes[] = {"1024", "2048", NULL};
static const char *const presence_defaults[] = {"allow", "disallow", NULL};

static const struct store_param_def param_defs[] = {
    {
	.name = "digest_nonce_validity_s",
	.type = STORE_PARAM_INT,
	.min = 30,
	.max = 86400,
	.def = "600",
	.runtime = 1,
	.help = "seconds a digest authentication nonce stays valid",
    },
    {
	.name = "sip_keepalive_s",
	.type = STORE_PARAM_INT,
	.min = 10,
	.max = 3600,
	.def = "120",
	.runtime = 1,
	.help = "seconds between keepalives on SIP TCP/TLS connections",
    },
    {
	.name = "tftp_encrypted_config",
	.type = STORE_PARAM_BOOL,
	.def = "false",
	.runtime = 1,
	.help = "serve device configuration files encrypted "
		"(.enc.sgn) to devices that support it",
    },
    {
	.name = "cert_key_type",
	.type = STORE_PARAM_ENUM,
	.choices = cert_key_types,
	.def = "rsa2048",
	.runtime = 0,
	.help = "key type of node certificates; used when they are "
		"(re)generated, so a change needs a restart",
    },
    {
	.name = "capf_key_size",
	.type = STORE_PARAM_ENUM,
	.choices = capf_key_sizes,
	.def = "2048",
	.runtime = 1,
	.help = "RSA key size CAPF asks phones to generate for an LSC",
    },
    {
	.name = "audit_retention_days",
	.type = STORE_PARAM_INT,
	.min = 1,
	.max = 3650,
	.def = "365",
	.runtime = 1,
	.help = "days audit records are kept before they are pruned",
    },
    {
	.name = "presence_default_subscription",
	.type = STORE_PARAM_ENUM,
	.choices = presence_defaults,
	.def = "disallow",
	.runtime = 1,
	.help = "whether members of a presence group may watch members of "
		"a group it has no rule for (and users without a group)",
    },
    {
	.name = "tftp_upload_idle_hours",
	.type = STORE_PARAM_INT,
	.min = 1,
	.max = 8760,
	.def = "24",
	.runtime = 1,
	.help = "hours after its last chunk an uploaded TFTP file that was "
		"never committed is collected",
    },
};

#define N_PARAMS (sizeof param_defs / sizeof *param_defs)

const struct store_param_def *store_param_defs(size_t *n)
{
	*n = N_PARAMS;
	return param_defs;
}

const struct store_param_def *store_param_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < N_PARAMS; i++) {
		if (strcmp(param_defs[i].name, name) == 0)
			return &param_defs[i];
	}
	return NULL;
}

/* Strict decimal: optional sign, 1..19 digits, nothing else (no spaces, no
 * hex, no "1e3"), so that one value has exactly one canonical form. */
static int param_parse_int(const char *s, int64_t *out)
{
	const char *p = s;
	char *end;
	long long v;

	if (*p == '-' || *p == '+')
		p++;
	if (*p < '0' || *p > '9' || strlen(p) > 19)
		return -1;
	for (const char *q = p; *q; q++) {
		if (*q < '0' || *q > '9')
			return -1;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int param_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static int param_copy(const char *text, char *out, size_t outcap)
{
	size_t n = strlen(text);

	if (n >= outcap)
		return STORE_ETOOBIG;
	memcpy(out, text, n + 1);
	return STORE_OK;
}

int store_param_check(const struct store_param_def *def, const char *value,
		      char *out, size_t outcap, char *errmsg, size_t errcap)
{
	char num[24];
	int64_t v;
	int b;

	if (!def || !value) {
		errmsg_set(errmsg, errcap, "no parameter or no value");
		return STORE_EINVAL;
	}
	switch (def->type) {
	case STORE_PARAM_INT:
		if (param_parse_int(value, &v)) {
			errmsg_set(errmsg, errcap, "%s: not a decimal integer",
				   def->name);
			return STORE_EINVAL;
		}
		if (v < def->min || v > def->max) {
			errmsg_set(errmsg, errcap,
				   "%s: %lld is outside %lld..%lld", def->name,
				   (long long)v, (long long)def->min,
				   (long long)def->max);
			return STORE_EINVAL;
		}
		snprintf(num, sizeof num, "%lld", (long long)v);
		return param_copy(num, out, outcap);
	case STORE_PARAM_BOOL:
		if (param_parse_bool(value, &b)) {
			errmsg_set(errmsg, errcap, "%s: expected true or false",
				   def->name);
			return STORE_EINVAL;
		}
		return param_copy(b ? "true" : "false", out, outcap);
	case STORE_PARAM_ENUM:
		for (size_t i = 0; def->choices && def->choices[i]; i++) {
			if (strcasecmp(value, def->choices[i]) == 0)
				return param_copy(def->choices[i], out, outcap);
		}
		errmsg_set(errmsg, errcap, "%s: not one of the choices",
			   def->name);
		return STORE_EINVAL;
	}
	errmsg_set(errmsg, errcap, "%s: unknown type", def->name);
	return STORE_EINVAL;
}

int store_param_get(struct store_read *r, const char *name, char *out,
		    size_t outcap)
{
	const struct store_param_def *def = store_param_find(name);
	char text[STORE_TEXT_MAX];
	const void *val;
	size_t vlen;
	int rc;

	if (!def)
		return STORE_ENOTFOUND;
	rc = store_get(r, STORE_T_PARAMS, name, strlen(name), &val, &vlen);
	if (rc == STORE_ENOTFOUND)
		return param_copy(def->def, out, outcap);
	if (rc)
		return rc;
	/* A stored value that no longer passes (bounds narrowed by a newer
	 * build, or a raw write) must not reach the roles: fall back to the
	 * default and say so. */
	if (vlen >= sizeof text || memchr(val, '\0', vlen)) {
		log_warn("store",
			 "parameter %s: stored value unreadable, "
			 "using the default",
			 name);
		return param_copy(def->def, out, outcap);
	}
	memcpy(text, val, vlen);
	text[vlen] = '\0';
	rc = store_param_check(def, text, out, outcap, NULL, 0);
	if (rc == STORE_EINVAL) {
		log_warn("store",
			 "parameter %s: stored value \"%s\" invalid, "
			 "using the default",
			 name, text);
		return param_copy(def->def, out, outcap);
	}
	return rc;
}
