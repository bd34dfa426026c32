/* cmd_prov: command helpers for the provisioning tables (store/prov.h).
 *
 * Devices carry two indexes (lines, digest user) that the device helpers
 * keep in the same command as the device, so a reader never sees one
 * without the other. A change of a device is guarded on the record the
 * administrator saw: two edits racing each other cannot both win, and the
 * loser's index entries are never half-applied.
 */
#include <openssl/crypto.h>
#include <string.h>

#include "store/codec.h"
#include "store/internal.h"
#include "store/prov.h"

typedef int (*prov_enc_fn)(const void *r, void *buf, size_t cap, size_t *len);

static size_t name_len(const char *name)
{
	size_t n = name ? strnlen(name, STORE_NAME_MAX) : 0;

	return n == STORE_NAME_MAX ? 0 : n;
}

/* Encodes REC (fits STORE_RECORD_MAX) and adds OP (T, NAME) = encoding. */
static int put_named(struct store_cmd *c, enum store_op op, enum store_table t,
		     const char *name, prov_enc_fn enc, const void *rec)
{
	uint8_t val[STORE_RECORD_MAX];
	size_t klen = name_len(name), n;
	int rc;

	if (klen == 0 || (op != STORE_OP_PUT && op != STORE_OP_PUT_NEW))
		return STORE_EINVAL;
	rc = enc(rec, val, sizeof val, &n);
	if (rc == STORE_OK)
		rc = store_cmd_op(c, op, t, name, klen, val, n);
	/* Wrapped values are not secrets; wiping the stack copy is cheap. */
	OPENSSL_cleanse(val, sizeof val);
	return rc;
}

static int del_named(struct store_cmd *c, enum store_op op, enum store_table t,
		     const char *name)
{
	size_t klen = name_len(name);

	if (klen == 0)
		return STORE_EINVAL;
	return store_cmd_op(c, op, t, name, klen, NULL, 0);
}

#define ENC(fname, type)                                                       \
	static int enc_##fname(const void *r, void *buf, size_t cap,           \
			       size_t *len)                                    \
	{                                                                      \
		return store_##fname##_encode((const type *)r, buf, cap, len); \
	}

ENC(phone_profile, struct store_phone_profile)
ENC(trunk_profile, struct store_trunk_profile)
ENC(device, struct store_device)
ENC(user, struct store_user)
ENC(realm, struct store_realm)
ENC(node_group, struct store_node_group)
ENC(registration, struct store_registration)
ENC(secret, struct store_secret)
ENC(partition, struct store_partition)
ENC(css, struct store_css)
ENC(route_pattern, struct store_route_pattern)

int store_cmd_put_partition(struct store_cmd *c, enum store_op op,
			    const struct store_partition *r)
{
	return put_named(c, op, STORE_T_PARTITIONS, r->name, enc_partition, r);
}

int store_cmd_del_partition(struct store_cmd *c, const char *name)
{
	return del_named(c, STORE_OP_DEL_EXISTING, STORE_T_PARTITIONS, name);
}

int store_cmd_put_css(struct store_cmd *c, enum store_op op,
		      const struct store_css *r)
{
	return put_named(c, op, STORE_T_CSS, r->name, enc_css, r);
}

int store_cmd_del_css(struct store_cmd *c, const char *name)
{
	return del_named(c, STORE_OP_DEL_EXISTING, STORE_T_CSS, name);
}

int store_cmd_put_phone_profile(struct store_cmd *c, enum store_op op,
				const struct store_phone_profile *r)
{
	return put_named(c, op, STORE_T_PHONE_PROFILES, r->name,
			 enc_phone_profile, r);
}

int store_cmd_del_phone_profile(struct store_cmd *c, const char *name)
{
	return del_named(c, STORE_OP_DEL_EXISTING, STORE_T_PHONE_PROFILES,
			 name);
}

int store_cmd_put_trunk_profile(struct store_cmd *c, enum store_op op,
				const struct store_trunk_profile *r)
{
	return put_named(c, op, STORE_T_TRUNK_PROFILES, r->name,
			 enc_trunk_profile, r);
}

int store_cmd_del_trunk_profile(struct store_cmd *c, const char *name)
{
	return del_named(c, STORE_OP_DEL_EXISTING, STORE_T_TRUNK_PROFILES,
			 name);
}

int store_cmd_put_user(struct store_cmd *c, enum store_op op,
		       const struct store_user *r)
{
	return put_named(c, op, STORE_T_USERS, r->name, enc_user, r);
}

int store_cmd_del_user(struct store_cmd *c, const char *name)
{
	return del_named(c, STORE_OP_DEL_EXISTING, STORE_T_USERS, name);
}

int store_cmd_put_realm(struct store_cmd *c, enum store_op op,
			const struct store_realm *r)
{
	return put_named(c, op, STORE_T_REALMS, r->name, enc_realm, r);
}

int store_cmd_del_realm(struct store_cmd *c, const char *name)
{
	return del_named(c, STORE_OP_DEL_EXISTING, STORE_T_REALMS, name);
}

int store_cmd_put_node_group(struct store_cmd *c, enum store_op op,
			     const struct store_node_group *r)
{
	return put_named(c, op, STORE_T_NODE_GROUPS, r->name, enc_node_group,
			 r);
}

int store_cmd_del_node_group(struct store_cmd *c, const char *name)
{
	return del_named(c, STORE_OP_DEL_EXISTING, STORE_T_NODE_GROUPS, name);
}

int store_cmd_put_registration(struct store_cmd *c,
			       const struct store_registration *r)
{
	return put_named(c, STORE_OP_PUT, STORE_T_REGISTRATIONS, r->device,
			 enc_registration, r);
}

int store_cmd_del_registration(struct store_cmd *c, const char *device)
{
	return del_named(c, STORE_OP_DEL, STORE_T_REGISTRATIONS, device);
}

int store_cmd_put_secret(struct store_cmd *c, enum store_op op,
			 const struct store_secret *r)
{
	return put_named(c, op, STORE_T_SECRETS, r->name, enc_secret, r);
}

static int put_device_cert(struct store_cmd *c, enum store_table t,
			   const struct store_device_lsc *r)
{
	uint8_t *val = NULL;
	size_t klen = name_len(r->device), n;
	int rc;

	if (klen == 0)
		return STORE_EINVAL;
	/* Up to 16 KiB of DER: too much for an event-loop thread's stack. */
	val = OPENSSL_malloc(STORE_BLOB_RECORD_MAX);
	if (!val)
		return STORE_ENOMEM;
	rc = store_device_lsc_encode(r, val, STORE_BLOB_RECORD_MAX, &n);
	if (rc == STORE_OK)
		rc = store_cmd_op(c, STORE_OP_PUT, t, r->device, klen, val, n);
	OPENSSL_free(val);
	return rc;
}

int store_cmd_put_device_lsc(struct store_cmd *c,
			     const struct store_device_lsc *r)
{
	return put_device_cert(c, STORE_T_DEVICE_LSC, r);
}

int store_cmd_put_device_mic(struct store_cmd *c,
			     const struct store_device_lsc *r)
{
	return put_device_cert(c, STORE_T_DEVICE_MIC, r);
}

int store_cmd_del_device_mic(struct store_cmd *c, const char *device)
{
	return del_named(c, STORE_OP_DEL, STORE_T_DEVICE_MIC, device);
}

int store_cmd_del_device_lsc(struct store_cmd *c, const char *device)
{
	return del_named(c, STORE_OP_DEL, STORE_T_DEVICE_LSC, device);
}

/* ---- devices ---------------------------------------------------------- */

/* Adds OP on the index key VALUE + NUL + DEVICE of table T. */
static int index_op(struct store_cmd *c, enum store_op op, enum store_table t,
		    const char *value, const char *device)
{
	uint8_t key[2 * STORE_NAME_MAX];
	size_t vn = strnlen(value, STORE_NAME_MAX), dn = name_len(device);

	if (vn == 0 || vn == STORE_NAME_MAX || dn == 0)
		return STORE_EINVAL;
	memcpy(key, value, vn);
	key[vn] = '\0';
	memcpy(key + vn + 1, device, dn);
	return store_cmd_op(c, op, t, key, vn + 1 + dn,
			    op == STORE_OP_DEL ? NULL : "", 0);
}

/* Adds (OP PUT) or drops (OP DEL) the index entries of D. */
static int device_indexes(struct store_cmd *c, enum store_op op,
			  const struct store_device *d)
{
	int rc = STORE_OK;

	for (uint32_t i = 0; i < d->n_lines && rc == STORE_OK; i++) {
		if (!store_dn_valid(d->lines[i]))
			return STORE_EINVAL;
		rc =
		    index_op(c, op, STORE_T_DEVICE_LINES, d->lines[i], d->name);
	}
	if (rc == STORE_OK && d->digest_user[0])
		rc = index_op(c, op, STORE_T_DEVICE_USERS, d->digest_user,
			      d->name);
	return rc;
}

int store_cmd_put_device(struct store_cmd *c, const struct store_device *old,
			 const struct store_device *next)
{
	uint8_t a[STORE_RECORD_MAX], b[STORE_RECORD_MAX];
	size_t klen = name_len(next->name), na, nb;
	int rc;

	if (klen == 0)
		return STORE_EINVAL;
	if (!old) {
		rc = put_named(c, STORE_OP_PUT_NEW, STORE_T_DEVICES, next->name,
			       enc_device, next);
		return rc ? rc : device_indexes(c, STORE_OP_PUT, next);
	}
	if (strcmp(old->name, next->name) != 0)
		return STORE_EINVAL;
	if ((rc = store_device_encode(old, a, sizeof a, &na)))
		return rc;
	if ((rc = store_device_encode(next, b, sizeof b, &nb)))
		return rc;
	rc =
	    cmd_guarded_put(c, STORE_T_DEVICES, next->name, klen, a, na, b, nb);
	if (rc == STORE_OK)
		rc = device_indexes(c, STORE_OP_DEL, old);
	if (rc == STORE_OK)
		rc = device_indexes(c, STORE_OP_PUT, next);
	return rc;
}

int store_cmd_del_device(struct store_cmd *c, const struct store_device *old)
{
	uint8_t a[STORE_RECORD_MAX];
	size_t klen = name_len(old->name), na;
	int rc;

	if (klen == 0)
		return STORE_EINVAL;
	if ((rc = store_device_encode(old, a, sizeof a, &na)))
		return rc;
	rc = store_cmd_op(c, STORE_OP_EXPECT, STORE_T_DEVICES, old->name, klen,
			  a, na);
	if (rc == STORE_OK)
		rc = del_named(c, STORE_OP_DEL_EXISTING, STORE_T_DEVICES,
			       old->name);
	if (rc == STORE_OK)
		rc = device_indexes(c, STORE_OP_DEL, old);
	if (rc == STORE_OK)
		rc = store_cmd_del_device_lsc(c, old->name);
	if (rc == STORE_OK)
		rc = store_cmd_del_device_mic(c, old->name);
	if (rc == STORE_OK)
		rc = store_cmd_del_registration(c, old->name);
	return rc;
}

/* ---- route patterns --------------------------------------------------- */

/* Adds OP on the index key PARTITION + NUL + PATTERN of R (value: R's
 * name). PUT_NEW makes a second pattern alike in the partition fail. */
static int pattern_index_op(struct store_cmd *c, enum store_op op,
			    const struct store_route_pattern *r)
{
	uint8_t key[STORE_NAME_MAX + sizeof r->pattern];
	size_t pn = strnlen(r->partition, STORE_NAME_MAX),
	       tn = strnlen(r->pattern, sizeof r->pattern),
	       nn = name_len(r->name);

	if (pn == STORE_NAME_MAX || tn == 0 || tn == sizeof r->pattern ||
	    nn == 0)
		return STORE_EINVAL;
	memcpy(key, r->partition, pn);
	key[pn] = '\0';
	memcpy(key + pn + 1, r->pattern, tn);
	if (op == STORE_OP_DEL)
		return store_cmd_op(c, op, STORE_T_ROUTE_PATTERN_KEYS, key,
				    pn + 1 + tn, NULL, 0);
	return store_cmd_op(c, op, STORE_T_ROUTE_PATTERN_KEYS, key, pn + 1 + tn,
			    r->name, nn);
}

int store_cmd_put_route_pattern(struct store_cmd *c,
				const struct store_route_pattern *old,
				const struct store_route_pattern *next)
{
	uint8_t a[STORE_RECORD_MAX], b[STORE_RECORD_MAX];
	size_t klen = name_len(next->name), na, nb;
	int rc;

	if (klen == 0)
		return STORE_EINVAL;
	if (!old) {
		rc = put_named(c, STORE_OP_PUT_NEW, STORE_T_ROUTE_PATTERNS,
			       next->name, enc_route_pattern, next);
		return rc ? rc : pattern_index_op(c, STORE_OP_PUT_NEW, next);
	}
	if (strcmp(old->name, next->name) != 0)
		return STORE_EINVAL;
	if ((rc = store_route_pattern_encode(old, a, sizeof a, &na)))
		return rc;
	if ((rc = store_route_pattern_encode(next, b, sizeof b, &nb)))
		return rc;
	rc = cmd_guarded_put(c, STORE_T_ROUTE_PATTERNS, next->name, klen, a, na,
			     b, nb);
	if (rc == STORE_OK)
		rc = pattern_index_op(c, STORE_OP_DEL, old);
	if (rc == STORE_OK)
		rc = pattern_index_op(c, STORE_OP_PUT_NEW, next);
	return rc;
}

int store_cmd_del_route_pattern(struct store_cmd *c,
				const struct store_route_pattern *old)
{
	uint8_t a[STORE_RECORD_MAX];
	size_t klen = name_len(old->name), na;
	int rc;

	if (klen == 0)
		return STORE_EINVAL;
	if ((rc = store_route_pattern_encode(old, a, sizeof a, &na)))
		return rc;
	rc = store_cmd_op(c, STORE_OP_EXPECT, STORE_T_ROUTE_PATTERNS, old->name,
			  klen, a, na);
	if (rc == STORE_OK)
		rc = del_named(c, STORE_OP_DEL_EXISTING, STORE_T_ROUTE_PATTERNS,
			       old->name);
	if (rc == STORE_OK)
		rc = pattern_index_op(c, STORE_OP_DEL, old);
	return rc;
}
