/* cmd_pki: typed command helpers for the cluster record's security fields,
 * certificates, keys, trust store, tokens, trust lists and resets
 * (store.h).
 *
 * Records with certificates or files are encoded into a heap buffer of
 * STORE_BLOB_RECORD_MAX: 72 KiB is too much for the stack of an event-loop
 * thread. Where a value must change only from a known previous value
 * (regenerated certificate, next CTL, security mode), the helper writes a
 * guard (EXPECT old) and the put in one command, so two administrators
 * racing each other cannot both win: the second command fails with
 * STORE_ENOTFOUND on every node alike.
 */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "store/codec.h"
#include "store/internal.h"

/* One encoder signature for all records, so the helpers below can share
 * the buffer handling; each wrapper calls the typed encoder. */
typedef int (*cmd_enc_fn)(const void *r, void *buf, size_t cap, size_t *len);

static int enc_cluster(const void *r, void *buf, size_t cap, size_t *len)
{
	return store_cluster_encode(r, buf, cap, len);
}

static int enc_cert(const void *r, void *buf, size_t cap, size_t *len)
{
	return store_cert_encode(r, buf, cap, len);
}

static int enc_key(const void *r, void *buf, size_t cap, size_t *len)
{
	return store_key_encode(r, buf, cap, len);
}

static int enc_trust(const void *r, void *buf, size_t cap, size_t *len)
{
	return store_trust_encode(r, buf, cap, len);
}

static int enc_token(const void *r, void *buf, size_t cap, size_t *len)
{
	return store_token_encode(r, buf, cap, len);
}

static int enc_ctl(const void *r, void *buf, size_t cap, size_t *len)
{
	return store_ctl_encode(r, buf, cap, len);
}

static int enc_itl(const void *r, void *buf, size_t cap, size_t *len)
{
	return store_itl_encode(r, buf, cap, len);
}

static int enc_reset(const void *r, void *buf, size_t cap, size_t *len)
{
	return store_reset_encode(r, buf, cap, len);
}

/* Encodes REC and adds OP (T, KEY) = encoding. */
static int cmd_put_rec(struct store_cmd *c, enum store_op op,
		       enum store_table t, const void *key, size_t klen,
		       cmd_enc_fn enc, const void *rec)
{
	uint8_t *val = malloc(STORE_BLOB_RECORD_MAX);
	size_t n;
	int rc;

	if (!val)
		return STORE_ENOMEM;
	rc = enc(rec, val, STORE_BLOB_RECORD_MAX, &n);
	if (rc == STORE_OK)
		rc = store_cmd_op(c, op, t, key, klen, val, n);
	/* Wrapped keys are not secrets, but cheap to wipe all the same. */
	OPENSSL_cleanse(val, STORE_BLOB_RECORD_MAX);
	free(val);
	return rc;
}

/* Encodes OLD and NEXT and adds the guarded put of NEXT. */
static int cmd_replace_rec(struct store_cmd *c, enum store_table t,
			   const void *key, size_t klen, cmd_enc_fn enc,
			   const void *old, const void *next)
{
	uint8_t *a = malloc(STORE_BLOB_RECORD_MAX);
	uint8_t *b = malloc(STORE_BLOB_RECORD_MAX);
	size_t na, nb;
	int rc = STORE_ENOMEM;

	if (!a || !b)
		goto out;
	rc = enc(old, a, STORE_BLOB_RECORD_MAX, &na);
	if (rc == STORE_OK)
		rc = enc(next, b, STORE_BLOB_RECORD_MAX, &nb);
	if (rc == STORE_OK)
		rc = cmd_guarded_put(c, t, key, klen, a, na, b, nb);
out:
	free(a);
	free(b);
	return rc;
}

static int cmd_put_op_ok(enum store_op op)
{
	return op == STORE_OP_PUT || op == STORE_OP_PUT_NEW;
}

/* ---- cluster ---------------------------------------------------------- */

int store_cmd_update_cluster(struct store_cmd *c,
			     const struct store_cluster *old,
			     const struct store_cluster *next)
{
	if (strncmp(old->id, next->id, sizeof old->id) != 0)
		return STORE_EINVAL;
	return cmd_replace_rec(c, STORE_T_CLUSTER, STORE_CLUSTER_KEY,
			       strlen(STORE_CLUSTER_KEY), enc_cluster, old,
			       next);
}

/* ---- certs and keys --------------------------------------------------- */

static int cert_role_ok(uint32_t role)
{
	return role >= STORE_CERT_CA && role <= STORE_CERT_ROLE_LAST;
}

int store_cmd_put_cert(struct store_cmd *c, enum store_op op,
		       const struct store_cert *r)
{
	uint8_t key[STORE_CERT_KEY_LEN];

	if (!cmd_put_op_ok(op) || !cert_role_ok(r->role))
		return STORE_EINVAL;
	store_key_cert(r->owner, r->role, key);
	return cmd_put_rec(c, op, STORE_T_CERTS, key, sizeof key, enc_cert, r);
}

int store_cmd_replace_cert(struct store_cmd *c, const struct store_cert *old,
			   const struct store_cert *next)
{
	uint8_t key[STORE_CERT_KEY_LEN];

	if (old->owner != next->owner || old->role != next->role ||
	    !cert_role_ok(next->role) || old->generation == UINT32_MAX ||
	    next->generation != old->generation + 1)
		return STORE_EINVAL;
	store_key_cert(next->owner, next->role, key);
	return cmd_replace_rec(c, STORE_T_CERTS, key, sizeof key, enc_cert, old,
			       next);
}

int store_cmd_del_cert(struct store_cmd *c, uint64_t owner,
		       enum store_cert_role role)
{
	uint8_t key[STORE_CERT_KEY_LEN];

	if (!cert_role_ok(role))
		return STORE_EINVAL;
	store_key_cert(owner, role, key);
	return store_cmd_op(c, STORE_OP_DEL_EXISTING, STORE_T_CERTS, key,
			    sizeof key, NULL, 0);
}

int store_cmd_put_key(struct store_cmd *c, const struct store_key *r)
{
	uint8_t key[STORE_CERT_KEY_LEN];

	if (!cert_role_ok(r->role))
		return STORE_EINVAL;
	store_key_cert(r->owner, r->role, key);
	return cmd_put_rec(c, STORE_OP_PUT, STORE_T_KEYS, key, sizeof key,
			   enc_key, r);
}

int store_cmd_del_key(struct store_cmd *c, uint64_t owner,
		      enum store_cert_role role)
{
	uint8_t key[STORE_CERT_KEY_LEN];

	if (!cert_role_ok(role))
		return STORE_EINVAL;
	store_key_cert(owner, role, key);
	return store_cmd_op(c, STORE_OP_DEL, STORE_T_KEYS, key, sizeof key,
			    NULL, 0);
}

/* ---- trust ------------------------------------------------------------ */

int store_cmd_put_trust(struct store_cmd *c, enum store_op op,
			const struct store_trust *r)
{
	if (!cmd_put_op_ok(op) || !store_trust_name_valid(r->name))
		return STORE_EINVAL;
	return cmd_put_rec(c, op, STORE_T_TRUST, r->name, strlen(r->name),
			   enc_trust, r);
}

int store_cmd_del_trust(struct store_cmd *c, const char *name)
{
	if (!store_trust_name_valid(name))
		return STORE_EINVAL;
	return store_cmd_op(c, STORE_OP_DEL_EXISTING, STORE_T_TRUST, name,
			    strlen(name), NULL, 0);
}

/* ---- tokens ----------------------------------------------------------- */

int store_cmd_put_token(struct store_cmd *c, enum store_op op,
			const struct store_token *r)
{
	if (!cmd_put_op_ok(op) || !record_serial_valid(r->serial))
		return STORE_EINVAL;
	return cmd_put_rec(c, op, STORE_T_TOKENS, r->serial, strlen(r->serial),
			   enc_token, r);
}

int store_cmd_del_token(struct store_cmd *c, const char *serial)
{
	if (!serial || !record_serial_valid(serial))
		return STORE_EINVAL;
	return store_cmd_op(c, STORE_OP_DEL_EXISTING, STORE_T_TOKENS, serial,
			    strlen(serial), NULL, 0);
}

/* ---- ctl, itl --------------------------------------------------------- */

int store_cmd_put_ctl(struct store_cmd *c, const struct store_ctl *prev,
		      const struct store_ctl *next)
{
	if (!prev) {
		if (next->version != 1)
			return STORE_EINVAL;
		return cmd_put_rec(c, STORE_OP_PUT_NEW, STORE_T_CTL,
				   STORE_CTL_KEY, strlen(STORE_CTL_KEY),
				   enc_ctl, next);
	}
	if (prev->version == UINT32_MAX || next->version != prev->version + 1)
		return STORE_EINVAL;
	return cmd_replace_rec(c, STORE_T_CTL, STORE_CTL_KEY,
			       strlen(STORE_CTL_KEY), enc_ctl, prev, next);
}

int store_cmd_put_itl(struct store_cmd *c, const struct store_itl *r)
{
	uint8_t key[8];

	if (r->node_id == 0)
		return STORE_EINVAL;
	store_key_u64(r->node_id, key);
	return cmd_put_rec(c, STORE_OP_PUT, STORE_T_ITL, key, sizeof key,
			   enc_itl, r);
}

int store_cmd_del_itl(struct store_cmd *c, uint64_t node_id)
{
	uint8_t key[8];

	if (node_id == 0)
		return STORE_EINVAL;
	store_key_u64(node_id, key);
	return store_cmd_op(c, STORE_OP_DEL, STORE_T_ITL, key, sizeof key, NULL,
			    0);
}

/* ---- resets ----------------------------------------------------------- */

int store_cmd_put_reset(struct store_cmd *c, const struct store_reset *r)
{
	uint8_t key[STORE_RESET_KEY_MAX];
	size_t klen;
	int rc;

	if ((rc = store_key_reset(r->kind, r->name, key, &klen)))
		return rc;
	return cmd_put_rec(c, STORE_OP_PUT, STORE_T_RESETS, key, klen,
			   enc_reset, r);
}

int store_cmd_del_reset(struct store_cmd *c, enum store_reset_kind kind,
			const char *name)
{
	uint8_t key[STORE_RESET_KEY_MAX];
	size_t klen;
	int rc;

	if ((rc = store_key_reset(kind, name, key, &klen)))
		return rc;
	return store_cmd_op(c, STORE_OP_DEL, STORE_T_RESETS, key, klen, NULL,
			    0);
}
