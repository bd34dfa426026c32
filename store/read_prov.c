/* read_prov: typed reads of the provisioning tables (store/prov.h).
 *
 * Every table is keyed by a name (the bytes, no NUL). Records that carry
 * their name must carry the key's; records that do not (LSC, registration,
 * secret) get it from the key. The line and digest-user indexes hold
 * "VALUE\0DEVICE" keys, so the devices of one value are one key range.
 */
#include <string.h>

#include "store/codec.h"
#include "store/dialplan.h"
#include "store/internal.h"
#include "store/prov.h"

/* Copies a key into NAME (STORE_NAME_MAX); 0 if it does not fit. */
static int key_to_name(const void *key, size_t klen, char *name)
{
	if (klen == 0 || klen >= STORE_NAME_MAX ||
	    memchr(key, '\0', klen) != NULL)
		return 0;
	memcpy(name, key, klen);
	name[klen] = '\0';
	return 1;
}

STORE_NAMED_RECORD(phone_profile, STORE_T_PHONE_PROFILES,
		   struct store_phone_profile)
STORE_NAMED_RECORD(trunk_profile, STORE_T_TRUNK_PROFILES,
		   struct store_trunk_profile)
STORE_NAMED_RECORD(device, STORE_T_DEVICES, struct store_device)
STORE_NAMED_RECORD(user, STORE_T_USERS, struct store_user)
STORE_NAMED_RECORD(realm, STORE_T_REALMS, struct store_realm)
STORE_NAMED_RECORD(node_group, STORE_T_NODE_GROUPS, struct store_node_group)
STORE_NAMED_RECORD(partition, STORE_T_PARTITIONS, struct store_partition)
STORE_NAMED_RECORD(css, STORE_T_CSS, struct store_css)
STORE_NAMED_RECORD(route_pattern, STORE_T_ROUTE_PATTERNS,
		   struct store_route_pattern)

/* ---- records named by their key --------------------------------------- */

static int registration_from_kv(const void *key, size_t klen, const void *val,
				size_t vlen, struct store_registration *out)
{
	char name[STORE_NAME_MAX];
	int rc;

	if (!key_to_name(key, klen, name)) {
		memset(out, 0, sizeof *out);
		return STORE_ECORRUPT;
	}
	if ((rc = store_registration_decode(val, vlen, out)))
		return rc;
	memcpy(out->device, name, klen + 1);
	return STORE_OK;
}

int store_registration_get(struct store_read *r, const char *device,
			   struct store_registration *out)
{
	const void *v;
	size_t n;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = store_get_named(r, STORE_T_REGISTRATIONS, device, &v, &n)))
		return rc;
	return registration_from_kv(device, strlen(device), v, n, out);
}

STORE_EACH_RECORD(registration, STORE_T_REGISTRATIONS,
		  struct store_registration)

static int device_cert_get(struct store_read *r, enum store_table t,
			   const char *device, struct store_device_lsc *out)
{
	const void *v;
	size_t n;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = store_get_named(r, t, device, &v, &n)) ||
	    (rc = store_device_lsc_decode(v, n, out)))
		return rc;
	strcpy(out->device, device);
	return STORE_OK;
}

int store_device_lsc_get(struct store_read *r, const char *device,
			 struct store_device_lsc *out)
{
	return device_cert_get(r, STORE_T_DEVICE_LSC, device, out);
}

int store_device_mic_get(struct store_read *r, const char *device,
			 struct store_device_lsc *out)
{
	return device_cert_get(r, STORE_T_DEVICE_MIC, device, out);
}

int store_secret_get(struct store_read *r, const char *name,
		     struct store_secret *out)
{
	const void *v;
	size_t n;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = store_get_named(r, STORE_T_SECRETS, name, &v, &n)) ||
	    (rc = store_secret_decode(v, n, out)))
		return rc;
	strcpy(out->name, name);
	return STORE_OK;
}

/* ---- indexes ---------------------------------------------------------- */

struct index_each {
	struct store_read *r;
	const uint8_t *prefix; /* VALUE + NUL */
	size_t plen;
	store_device_fn fn;
	void *arg;
	int past; /* stopped at the end of the range, not by fn */
};

static int index_each_cb(void *arg, const void *key, size_t klen,
			 const void *val, size_t vlen)
{
	struct index_each *e = arg;
	char name[STORE_NAME_MAX];
	struct store_device dev;

	(void)val;
	(void)vlen;
	if (klen <= e->plen || memcmp(key, e->prefix, e->plen) != 0) {
		e->past = 1;
		return 1;
	}
	if (!key_to_name((const uint8_t *)key + e->plen, klen - e->plen, name))
		return 0;
	/* An index entry without its device (cannot happen through the
	 * helpers) is skipped rather than handed out. */
	if (store_device_get(e->r, name, &dev) != STORE_OK)
		return 0;
	return e->fn(e->arg, &dev);
}

static int index_each(struct store_read *r, enum store_table t,
		      const char *value, size_t vmax, store_device_fn fn,
		      void *arg)
{
	uint8_t prefix[STORE_NAME_MAX + 1];
	size_t n = value ? strnlen(value, vmax) : 0;
	struct index_each e = {.r = r, .prefix = prefix, .fn = fn, .arg = arg};
	int rc;

	if (n == 0 || n == vmax)
		return STORE_EINVAL;
	memcpy(prefix, value, n);
	prefix[n] = '\0';
	e.plen = n + 1;
	rc = store_each(r, t, prefix, e.plen, index_each_cb, &e);
	return e.past ? STORE_OK : rc;
}

int store_device_each_by_line(struct store_read *r, const char *dn,
			      store_device_fn fn, void *arg)
{
	return index_each(r, STORE_T_DEVICE_LINES, dn, STORE_DN_MAX, fn, arg);
}

int store_device_each_by_user(struct store_read *r, const char *user,
			      store_device_fn fn, void *arg)
{
	return index_each(r, STORE_T_DEVICE_USERS, user, STORE_NAME_MAX, fn,
			  arg);
}

/* ---- the route pattern index ------------------------------------------ */

struct pattern_each {
	struct store_read *r;
	const uint8_t *prefix; /* PARTITION + NUL */
	size_t plen;
	const char *number; /* NULL: every pattern */
	store_route_pattern_fn fn;
	void *arg;
	int past;
};

static int pattern_each_cb(void *arg, const void *key, size_t klen,
			   const void *val, size_t vlen)
{
	struct pattern_each *e = arg;
	char name[STORE_NAME_MAX];
	struct store_route_pattern rp;

	if (klen <= e->plen || memcmp(key, e->prefix, e->plen) != 0) {
		e->past = 1;
		return 1;
	}
	if (e->number) {
		char pattern[STORE_DIALPLAN_PATTERN_MAX];

		if (klen - e->plen >= sizeof pattern)
			return 0;
		memcpy(pattern, (const uint8_t *)key + e->plen, klen - e->plen);
		pattern[klen - e->plen] = '\0';
		if (dialplan_pattern_match(pattern, e->number) == 0)
			return 0;
	}
	/* An entry whose record is gone or disagrees (cannot happen
	 * through the helpers) is skipped rather than handed out. */
	if (!key_to_name(val, vlen, name) ||
	    store_route_pattern_get(e->r, name, &rp) != STORE_OK ||
	    strlen(rp.pattern) != klen - e->plen ||
	    memcmp(rp.pattern, (const uint8_t *)key + e->plen,
		   klen - e->plen) != 0 ||
	    strlen(rp.partition) + 1 != e->plen ||
	    memcmp(rp.partition, e->prefix, e->plen - 1) != 0)
		return 0;
	return e->fn(e->arg, &rp);
}

static int pattern_each(struct store_read *r, const char *partition,
			const char *number, store_route_pattern_fn fn,
			void *arg)
{
	uint8_t prefix[STORE_NAME_MAX];
	size_t n =
	    partition ? strnlen(partition, STORE_NAME_MAX) : STORE_NAME_MAX;
	struct pattern_each e = {
	    .r = r, .prefix = prefix, .number = number, .fn = fn, .arg = arg};
	int rc;

	if (n == STORE_NAME_MAX)
		return STORE_EINVAL;
	memcpy(prefix, partition, n);
	prefix[n] = '\0';
	e.plen = n + 1;
	rc = store_each(r, STORE_T_ROUTE_PATTERN_KEYS, prefix, e.plen,
			pattern_each_cb, &e);
	return e.past ? STORE_OK : rc;
}

int store_route_pattern_each_in(struct store_read *r, const char *partition,
				store_route_pattern_fn fn, void *arg)
{
	return pattern_each(r, partition, NULL, fn, arg);
}

int store_route_pattern_each_match(struct store_read *r, const char *partition,
				   const char *number,
				   store_route_pattern_fn fn, void *arg)
{
	if (!number)
		return STORE_EINVAL;
	return pattern_each(r, partition, number, fn, arg);
}

int store_route_pattern_find(struct store_read *r, const char *partition,
			     const char *pattern, char *name)
{
	uint8_t key[STORE_NAME_MAX + 64];
	size_t pn = partition ? strnlen(partition, STORE_NAME_MAX)
			      : STORE_NAME_MAX,
	       tn = pattern ? strnlen(pattern, 64) : 64, n;
	const void *v;
	int rc;

	name[0] = '\0';
	if (pn == STORE_NAME_MAX || tn == 0 || tn == 64)
		return STORE_EINVAL;
	memcpy(key, partition, pn);
	key[pn] = '\0';
	memcpy(key + pn + 1, pattern, tn);
	rc = store_get(r, STORE_T_ROUTE_PATTERN_KEYS, key, pn + 1 + tn, &v, &n);
	if (rc)
		return rc;
	return key_to_name(v, n, name) ? STORE_OK : STORE_ECORRUPT;
}
