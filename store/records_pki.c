/* records_pki: the versioned encodings of the records that carry
 * certificates and signed files — certs, keys, trust, tokens, ctl, itl —
 * and of pending resets (docs/store.md).
 *
 * Same rules as records.c: a version byte first, strict decoders, one
 * encoding per record. Byte fields (DER, wrapped keys, files) are u32
 * length + bytes, 1..their max; decode leaves them pointing into the input
 * (store.h says how long that lives). The store does not parse what they
 * hold: pki/ does, before anything is written.
 */
#include <string.h>
#include <strings.h>

#include "store/codec.h"
#include "store/store.h"

enum {
	CERT_V = 1,
	KEY_V = 1,
	TRUST_V = 1,
	TOKEN_V = 1,
	CTL_V = 1,
	ITL_V = 1,
	RESET_V = 1,
};

/* Largest encoding of each record, by field, so a change of the structs
 * or bounds that breaks STORE_BLOB_RECORD_MAX fails the build. */
#define STR_MAX(field_cap) (2 + (field_cap)-1)
#define BLOB_MAX(max) (4 + (max))
_Static_assert(1 + 1 + 8 + BLOB_MAX(STORE_DER_MAX) + 32 + 20 +
		       2 * STR_MAX(STORE_TEXT_MAX) + 8 + 8 + 1 +
		       STR_MAX(STORE_SERIAL_MAX) + 8 + 4 <=
		   STORE_BLOB_RECORD_MAX,
	       "cert record");
_Static_assert(1 + BLOB_MAX(STORE_WRAPPED_MAX) + 8 <= STORE_BLOB_RECORD_MAX,
	       "key record");
_Static_assert(1 + 1 + BLOB_MAX(STORE_DER_MAX) + 32 + 20 +
		       2 * STR_MAX(STORE_TEXT_MAX) + 8 + 8 +
		       STR_MAX(STORE_NAME_MAX) <=
		   STORE_BLOB_RECORD_MAX,
	       "trust record");
_Static_assert(1 + STR_MAX(STORE_SERIAL_MAX) + STR_MAX(STORE_NAME_MAX) +
		       BLOB_MAX(STORE_DER_MAX) + 32 + 8 +
		       STR_MAX(STORE_NAME_MAX) <=
		   STORE_BLOB_RECORD_MAX,
	       "token record");
_Static_assert(1 + 4 + BLOB_MAX(STORE_FILE_MAX) + STR_MAX(STORE_SERIAL_MAX) +
		       32 + 8 <=
		   STORE_BLOB_RECORD_MAX,
	       "ctl record");
_Static_assert(1 + BLOB_MAX(STORE_FILE_MAX) + 32 + 8 <= STORE_BLOB_RECORD_MAX,
	       "itl record");
_Static_assert(1 + STR_MAX(STORE_TEXT_MAX) + 8 <= STORE_RECORD_MAX,
	       "reset record");
/* A CTL replaced under a guard (old + new value in one command) must fit
 * in one command with room to spare for the audit record. */
_Static_assert(2 * (STORE_BLOB_RECORD_MAX + 512) <= STORE_CMD_MAX,
	       "two CTL records in one command");

/* ---- names ------------------------------------------------------------ */

static const char *const cert_role_names[] = {
    [STORE_CERT_CA] = "ca",
    [STORE_CERT_HTTPS] = "https",
    [STORE_CERT_CALLMANAGER] = "callmanager",
    [STORE_CERT_TFTP] = "tftp",
    [STORE_CERT_CAPF] = "capf",
    [STORE_CERT_IPSEC] = "ipsec",
    [STORE_CERT_NODE] = "node",
};

static const char *const trust_category_names[] = {
    [STORE_TRUST_CA_ROOT] = "ca-root",
    [STORE_TRUST_MIC_ROOT] = "mic-root",
    [STORE_TRUST_TRUNK_PEER] = "trunk-peer",
    [STORE_TRUST_SRST] = "srst",
    [STORE_TRUST_CAPF] = "capf",
    [STORE_TRUST_OTHER] = "other",
};

static int names_parse(const char *const *names, unsigned last,
		       const char *name, unsigned *out)
{
	if (!name)
		return STORE_EINVAL;
	for (unsigned i = 1; i <= last; i++) {
		if (strcasecmp(name, names[i]) == 0) {
			*out = i;
			return STORE_OK;
		}
	}
	return STORE_EINVAL;
}

const char *store_cert_role_name(enum store_cert_role role)
{
	if (role < STORE_CERT_CA || role > STORE_CERT_ROLE_LAST)
		return "unknown";
	return cert_role_names[role];
}

int store_cert_role_parse(const char *name, enum store_cert_role *out)
{
	unsigned v;
	int rc = names_parse(cert_role_names, STORE_CERT_ROLE_LAST, name, &v);

	if (rc == STORE_OK)
		*out = (enum store_cert_role)v;
	return rc;
}

const char *store_trust_category_name(enum store_trust_category c)
{
	if (c < STORE_TRUST_CA_ROOT || c > STORE_TRUST_CATEGORY_LAST)
		return "unknown";
	return trust_category_names[c];
}

int store_trust_category_parse(const char *name, enum store_trust_category *out)
{
	unsigned v;
	int rc = names_parse(trust_category_names, STORE_TRUST_CATEGORY_LAST,
			     name, &v);

	if (rc == STORE_OK)
		*out = (enum store_trust_category)v;
	return rc;
}

int store_trust_name_valid(const char *name)
{
	size_t n;

	if (!name)
		return 0;
	n = strnlen(name, STORE_TRUST_NAME_MAX);
	if (n < 10 || n > 12 || name[8] != '.')
		return 0;
	for (int i = 0; i < 8; i++) {
		if (!((name[i] >= '0' && name[i] <= '9') ||
		      (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	}
	/* One spelling per number: "x.0", never "x.00" or "x.01". */
	if (name[9] == '0' && n > 10)
		return 0;
	for (size_t i = 9; i < n; i++) {
		if (name[i] < '0' || name[i] > '9')
			return 0;
	}
	return 1;
}

int record_serial_valid(const char *s)
{
	size_t n = strnlen(s, STORE_SERIAL_MAX);

	if (n == 0 || n == STORE_SERIAL_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	}
	return 1;
}

/* ---- certs ------------------------------------------------------------ */

static int cert_fields_ok(const struct store_cert *r)
{
	return r->role >= STORE_CERT_CA && r->role <= STORE_CERT_ROLE_LAST &&
	       r->key_type >= STORE_KEY_RSA2048 &&
	       r->key_type <= STORE_KEY_ECDSA_P256 && r->generation >= 1 &&
	       record_serial_valid(r->serial);
}

int store_cert_encode(const struct store_cert *r, void *buf, size_t cap,
		      size_t *len)
{
	struct codec_w w;

	if (!cert_fields_ok(r))
		return STORE_EINVAL;
	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, CERT_V);
	codec_put_u8(&w, (uint8_t)r->role);
	codec_put_u64(&w, r->owner);
	codec_put_blob(&w, r->der, r->der_len, STORE_DER_MAX);
	codec_put_bytes(&w, r->sha256, sizeof r->sha256);
	codec_put_bytes(&w, r->sha1, sizeof r->sha1);
	codec_put_str(&w, r->subject, sizeof r->subject);
	codec_put_str(&w, r->issuer, sizeof r->issuer);
	codec_put_u64(&w, r->not_before_s);
	codec_put_u64(&w, r->not_after_s);
	codec_put_u8(&w, (uint8_t)r->key_type);
	codec_put_str(&w, r->serial, sizeof r->serial);
	codec_put_u64(&w, r->created_ms);
	codec_put_u32(&w, r->generation);
	return record_result(&w, len);
}

int store_cert_decode(const void *buf, size_t len, struct store_cert *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, CERT_V, &ver)))
		return rc;
	r->role = codec_get_u8(&rd);
	r->owner = codec_get_u64(&rd);
	codec_get_blob(&rd, &r->der, &r->der_len, STORE_DER_MAX);
	codec_get_bytes(&rd, r->sha256, sizeof r->sha256);
	codec_get_bytes(&rd, r->sha1, sizeof r->sha1);
	codec_get_str(&rd, r->subject, sizeof r->subject);
	codec_get_str(&rd, r->issuer, sizeof r->issuer);
	r->not_before_s = codec_get_u64(&rd);
	r->not_after_s = codec_get_u64(&rd);
	r->key_type = codec_get_u8(&rd);
	codec_get_str(&rd, r->serial, sizeof r->serial);
	r->created_ms = codec_get_u64(&rd);
	r->generation = codec_get_u32(&rd);
	if ((rc = record_end(&rd)))
		return rc;
	return cert_fields_ok(r) ? STORE_OK : STORE_ECORRUPT;
}

/* ---- keys ------------------------------------------------------------- */

int store_key_encode(const struct store_key *r, void *buf, size_t cap,
		     size_t *len)
{
	struct codec_w w;

	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, KEY_V);
	codec_put_blob(&w, r->wrapped, r->wrapped_len, STORE_WRAPPED_MAX);
	codec_put_bytes(&w, r->kek_id, sizeof r->kek_id);
	return record_result(&w, len);
}

int store_key_decode(const void *buf, size_t len, struct store_key *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, KEY_V, &ver)))
		return rc;
	codec_get_blob(&rd, &r->wrapped, &r->wrapped_len, STORE_WRAPPED_MAX);
	codec_get_bytes(&rd, r->kek_id, sizeof r->kek_id);
	return record_end(&rd);
}

/* ---- trust ------------------------------------------------------------ */

static int trust_category_ok(uint32_t c)
{
	return c >= STORE_TRUST_CA_ROOT && c <= STORE_TRUST_CATEGORY_LAST;
}

int store_trust_encode(const struct store_trust *r, void *buf, size_t cap,
		       size_t *len)
{
	struct codec_w w;

	if (!trust_category_ok(r->category))
		return STORE_EINVAL;
	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, TRUST_V);
	codec_put_u8(&w, (uint8_t)r->category);
	codec_put_blob(&w, r->der, r->der_len, STORE_DER_MAX);
	codec_put_bytes(&w, r->sha256, sizeof r->sha256);
	codec_put_bytes(&w, r->sha1, sizeof r->sha1);
	codec_put_str(&w, r->subject, sizeof r->subject);
	codec_put_str(&w, r->issuer, sizeof r->issuer);
	codec_put_u64(&w, r->not_after_s);
	codec_put_u64(&w, r->added_ms);
	codec_put_str(&w, r->added_by, sizeof r->added_by);
	return record_result(&w, len);
}

int store_trust_decode(const void *buf, size_t len, struct store_trust *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, TRUST_V, &ver)))
		return rc;
	r->category = codec_get_u8(&rd);
	codec_get_blob(&rd, &r->der, &r->der_len, STORE_DER_MAX);
	codec_get_bytes(&rd, r->sha256, sizeof r->sha256);
	codec_get_bytes(&rd, r->sha1, sizeof r->sha1);
	codec_get_str(&rd, r->subject, sizeof r->subject);
	codec_get_str(&rd, r->issuer, sizeof r->issuer);
	r->not_after_s = codec_get_u64(&rd);
	r->added_ms = codec_get_u64(&rd);
	codec_get_str(&rd, r->added_by, sizeof r->added_by);
	if ((rc = record_end(&rd)))
		return rc;
	return trust_category_ok(r->category) ? STORE_OK : STORE_ECORRUPT;
}

/* ---- tokens ----------------------------------------------------------- */

int store_token_encode(const struct store_token *r, void *buf, size_t cap,
		       size_t *len)
{
	struct codec_w w;

	if (!record_serial_valid(r->serial))
		return STORE_EINVAL;
	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, TOKEN_V);
	codec_put_str(&w, r->serial, sizeof r->serial);
	codec_put_str(&w, r->label, sizeof r->label);
	codec_put_blob(&w, r->der, r->der_len, STORE_DER_MAX);
	codec_put_bytes(&w, r->sha256, sizeof r->sha256);
	codec_put_u64(&w, r->registered_ms);
	codec_put_str(&w, r->registered_by, sizeof r->registered_by);
	return record_result(&w, len);
}

int store_token_decode(const void *buf, size_t len, struct store_token *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, TOKEN_V, &ver)))
		return rc;
	codec_get_str(&rd, r->serial, sizeof r->serial);
	codec_get_str(&rd, r->label, sizeof r->label);
	codec_get_blob(&rd, &r->der, &r->der_len, STORE_DER_MAX);
	codec_get_bytes(&rd, r->sha256, sizeof r->sha256);
	r->registered_ms = codec_get_u64(&rd);
	codec_get_str(&rd, r->registered_by, sizeof r->registered_by);
	if ((rc = record_end(&rd)))
		return rc;
	return record_serial_valid(r->serial) ? STORE_OK : STORE_ECORRUPT;
}

/* ---- ctl -------------------------------------------------------------- */

int store_ctl_encode(const struct store_ctl *r, void *buf, size_t cap,
		     size_t *len)
{
	struct codec_w w;

	if (r->version == 0 || !record_serial_valid(r->signer_serial))
		return STORE_EINVAL;
	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, CTL_V);
	codec_put_u32(&w, r->version);
	codec_put_blob(&w, r->file, r->file_len, STORE_FILE_MAX);
	codec_put_str(&w, r->signer_serial, sizeof r->signer_serial);
	codec_put_bytes(&w, r->sha256, sizeof r->sha256);
	codec_put_u64(&w, r->signed_ms);
	return record_result(&w, len);
}

int store_ctl_decode(const void *buf, size_t len, struct store_ctl *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, CTL_V, &ver)))
		return rc;
	r->version = codec_get_u32(&rd);
	codec_get_blob(&rd, &r->file, &r->file_len, STORE_FILE_MAX);
	codec_get_str(&rd, r->signer_serial, sizeof r->signer_serial);
	codec_get_bytes(&rd, r->sha256, sizeof r->sha256);
	r->signed_ms = codec_get_u64(&rd);
	if ((rc = record_end(&rd)))
		return rc;
	if (r->version == 0 || !record_serial_valid(r->signer_serial))
		return STORE_ECORRUPT;
	return STORE_OK;
}

/* ---- itl -------------------------------------------------------------- */

int store_itl_encode(const struct store_itl *r, void *buf, size_t cap,
		     size_t *len)
{
	struct codec_w w;

	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, ITL_V);
	codec_put_blob(&w, r->file, r->file_len, STORE_FILE_MAX);
	codec_put_bytes(&w, r->sha256, sizeof r->sha256);
	codec_put_u64(&w, r->signed_ms);
	return record_result(&w, len);
}

int store_itl_decode(const void *buf, size_t len, struct store_itl *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, ITL_V, &ver)))
		return rc;
	codec_get_blob(&rd, &r->file, &r->file_len, STORE_FILE_MAX);
	codec_get_bytes(&rd, r->sha256, sizeof r->sha256);
	r->signed_ms = codec_get_u64(&rd);
	return record_end(&rd);
}

/* ---- resets ----------------------------------------------------------- */

int store_reset_encode(const struct store_reset *r, void *buf, size_t cap,
		       size_t *len)
{
	struct codec_w w;

	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, RESET_V);
	codec_put_str(&w, r->reason, sizeof r->reason);
	codec_put_u64(&w, r->since_ms);
	return record_result(&w, len);
}

int store_reset_decode(const void *buf, size_t len, struct store_reset *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, RESET_V, &ver)))
		return rc;
	codec_get_str(&rd, r->reason, sizeof r->reason);
	r->since_ms = codec_get_u64(&rd);
	return record_end(&rd);
}
