/* read_pki: typed reads of certificates, keys, trust store, tokens, trust
 * lists and pending resets.
 *
 * Decoded records point into LMDB's map for their byte fields, which is
 * why store.h ties them to the read transaction. Every getter checks that
 * the value agrees with its key: the command helpers always write both
 * from the same record, but the generic store_cmd_op could not, and a
 * certificate filed under another node's id must not be handed out as
 * that node's.
 */
#include <string.h>

#include "store/codec.h"
#include "store/internal.h"

void store_key_cert(uint64_t owner, enum store_cert_role role,
		    uint8_t out[STORE_CERT_KEY_LEN])
{
	store_key_u64(owner, out);
	out[8] = (uint8_t)role;
}

int store_key_reset(enum store_reset_kind kind, const char *name,
		    uint8_t out[STORE_RESET_KEY_MAX], size_t *len)
{
	size_t n = name ? strnlen(name, STORE_NAME_MAX) : 0;

	if ((kind != STORE_RESET_SERVICE && kind != STORE_RESET_DEVICE) ||
	    n == 0 || n == STORE_NAME_MAX)
		return STORE_EINVAL;
	out[0] = (uint8_t)kind;
	memcpy(out + 1, name, n);
	*len = 1 + n;
	return STORE_OK;
}

/* ---- certs ------------------------------------------------------------ */

/* Decodes a cert value and checks it against its key. */
static int cert_from_kv(const void *key, size_t klen, const void *val,
			size_t vlen, struct store_cert *out)
{
	uint8_t want[STORE_CERT_KEY_LEN];
	int rc = store_cert_decode(val, vlen, out);

	if (rc)
		return rc;
	store_key_cert(out->owner, out->role, want);
	if (klen != sizeof want || memcmp(key, want, sizeof want) != 0) {
		memset(out, 0, sizeof *out);
		return STORE_ECORRUPT;
	}
	return STORE_OK;
}

int store_cert_get(struct store_read *r, uint64_t owner,
		   enum store_cert_role role, struct store_cert *out)
{
	uint8_t key[STORE_CERT_KEY_LEN];
	const void *v;
	size_t n;
	int rc;

	memset(out, 0, sizeof *out);
	store_key_cert(owner, role, key);
	if ((rc = store_get(r, STORE_T_CERTS, key, sizeof key, &v, &n)))
		return rc;
	return cert_from_kv(key, sizeof key, v, n, out);
}

struct cert_each {
	store_cert_fn fn;
	void *arg;
	int one_owner; /* stop at the first key of another owner */
	int past;      /* stopped there, not by fn */
	uint8_t owner[8];
};

static int cert_each_cb(void *arg, const void *key, size_t klen,
			const void *val, size_t vlen)
{
	struct cert_each *e = arg;
	struct store_cert rec;

	if (e->one_owner && (klen < 8 || memcmp(key, e->owner, 8) != 0)) {
		e->past = 1;
		return 1;
	}
	if (cert_from_kv(key, klen, val, vlen, &rec) != STORE_OK)
		return 0;
	return e->fn(e->arg, &rec);
}

int store_cert_each(struct store_read *r, store_cert_fn fn, void *arg)
{
	struct cert_each e = {.fn = fn, .arg = arg};

	return store_each(r, STORE_T_CERTS, NULL, 0, cert_each_cb, &e);
}

int store_cert_each_owner(struct store_read *r, uint64_t owner,
			  store_cert_fn fn, void *arg)
{
	struct cert_each e = {.fn = fn, .arg = arg, .one_owner = 1};
	int rc;

	store_key_u64(owner, e.owner);
	rc = store_each(r, STORE_T_CERTS, e.owner, sizeof e.owner, cert_each_cb,
			&e);
	return e.past ? STORE_OK : rc;
}

/* ---- keys ------------------------------------------------------------- */

int store_key_get(struct store_read *r, uint64_t owner,
		  enum store_cert_role role, struct store_key *out)
{
	uint8_t key[STORE_CERT_KEY_LEN];
	const void *v;
	size_t n;
	int rc;

	memset(out, 0, sizeof *out);
	store_key_cert(owner, role, key);
	if ((rc = store_get(r, STORE_T_KEYS, key, sizeof key, &v, &n)))
		return rc;
	if ((rc = store_key_decode(v, n, out)))
		return rc;
	out->owner = owner;
	out->role = role;
	return STORE_OK;
}

/* ---- trust ------------------------------------------------------------ */

/* The name comes from the key; a key that is not a c_rehash name is
 * corrupt. */
static int trust_from_kv(const void *key, size_t klen, const void *val,
			 size_t vlen, struct store_trust *out)
{
	char name[STORE_TRUST_NAME_MAX];
	int rc;

	if (klen == 0 || klen >= sizeof name) {
		memset(out, 0, sizeof *out);
		return STORE_ECORRUPT;
	}
	memcpy(name, key, klen);
	name[klen] = '\0';
	if (!store_trust_name_valid(name)) {
		memset(out, 0, sizeof *out);
		return STORE_ECORRUPT;
	}
	if ((rc = store_trust_decode(val, vlen, out)))
		return rc;
	memcpy(out->name, name, klen + 1);
	return STORE_OK;
}

int store_trust_get(struct store_read *r, const char *name,
		    struct store_trust *out)
{
	const void *v;
	size_t n;
	int rc;

	memset(out, 0, sizeof *out);
	if (!store_trust_name_valid(name))
		return STORE_EINVAL;
	rc = store_get(r, STORE_T_TRUST, name, strlen(name), &v, &n);
	if (rc)
		return rc;
	return trust_from_kv(name, strlen(name), v, n, out);
}

/* store_trust_each */
STORE_EACH_RECORD(trust, STORE_T_TRUST, struct store_trust)

struct trust_find {
	const uint8_t *sha256;
	struct store_trust *out;
};

static int trust_find_cb(void *arg, const struct store_trust *rec)
{
	struct trust_find *f = arg;

	if (memcmp(rec->sha256, f->sha256, 32) != 0)
		return 0;
	*f->out = *rec;
	return 1;
}

int store_trust_find(struct store_read *r, const uint8_t sha256[32],
		     struct store_trust *out)
{
	struct trust_find f = {.sha256 = sha256, .out = out};
	int rc;

	memset(out, 0, sizeof *out);
	rc = store_trust_each(r, trust_find_cb, &f);
	if (rc == 1)
		return STORE_OK;
	return rc ? rc : STORE_ENOTFOUND;
}

/* ---- tokens ----------------------------------------------------------- */

static int token_from_kv(const void *key, size_t klen, const void *val,
			 size_t vlen, struct store_token *out)
{
	int rc = store_token_decode(val, vlen, out);

	if (rc)
		return rc;
	if (klen != strlen(out->serial) || memcmp(key, out->serial, klen)) {
		memset(out, 0, sizeof *out);
		return STORE_ECORRUPT;
	}
	return STORE_OK;
}

int store_token_get(struct store_read *r, const char *serial,
		    struct store_token *out)
{
	const void *v;
	size_t n, klen;
	int rc;

	memset(out, 0, sizeof *out);
	if (!serial || !record_serial_valid(serial))
		return STORE_EINVAL;
	klen = strlen(serial);
	if ((rc = store_get(r, STORE_T_TOKENS, serial, klen, &v, &n)))
		return rc;
	return token_from_kv(serial, klen, v, n, out);
}

/* store_token_each */
STORE_EACH_RECORD(token, STORE_T_TOKENS, struct store_token)

/* ---- ctl, itl --------------------------------------------------------- */

int store_ctl_get(struct store_read *r, struct store_ctl *out)
{
	const void *v;
	size_t n;
	int rc;

	memset(out, 0, sizeof *out);
	rc = store_get(r, STORE_T_CTL, STORE_CTL_KEY, strlen(STORE_CTL_KEY), &v,
		       &n);
	if (rc)
		return rc;
	return store_ctl_decode(v, n, out);
}

int store_itl_get(struct store_read *r, uint64_t node_id, struct store_itl *out)
{
	const void *v;
	size_t n;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = store_get_id(r, STORE_T_ITL, node_id, &v, &n)))
		return rc;
	if ((rc = store_itl_decode(v, n, out)))
		return rc;
	out->node_id = node_id;
	return STORE_OK;
}

/* ---- resets ----------------------------------------------------------- */

static int reset_from_kv(const void *key, size_t klen, const void *val,
			 size_t vlen, struct store_reset *out)
{
	const uint8_t *k = key;
	int rc;

	memset(out, 0, sizeof *out);
	if (klen < 2 || klen > STORE_RESET_KEY_MAX ||
	    (k[0] != STORE_RESET_SERVICE && k[0] != STORE_RESET_DEVICE) ||
	    memchr(k + 1, '\0', klen - 1))
		return STORE_ECORRUPT;
	if ((rc = store_reset_decode(val, vlen, out)))
		return rc;
	out->kind = k[0];
	memcpy(out->name, k + 1, klen - 1);
	out->name[klen - 1] = '\0';
	return STORE_OK;
}

int store_reset_get(struct store_read *r, enum store_reset_kind kind,
		    const char *name, struct store_reset *out)
{
	uint8_t key[STORE_RESET_KEY_MAX];
	const void *v;
	size_t n, klen;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = store_key_reset(kind, name, key, &klen)))
		return rc;
	if ((rc = store_get(r, STORE_T_RESETS, key, klen, &v, &n)))
		return rc;
	return reset_from_kv(key, klen, v, n, out);
}

/* store_reset_each */
STORE_EACH_RECORD(reset, STORE_T_RESETS, struct store_reset)
