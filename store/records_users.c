/* records_users: the versioned encodings of users, realms, node groups,
 * registrations and secrets, the SIP method names of application users,
 * and the HA1 computation (store/prov.h, docs/store.md).
 *
 * Wrapped fields are fixed arrays with a length: 0 means none (a user
 * without digest credentials); a length past the array is corrupt.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

#include "store/codec.h"
#include "store/prov.h"

enum {
	USER_V = 1,
	REALM_V = 1,
	NODE_GROUP_V = 1,
	REGISTRATION_V = 1,
	SECRET_V = 1,
};

#define STR_MAX(field_cap) (2 + (field_cap)-1)
#define WRAPPED_MAX (4 + STORE_SMALL_WRAPPED_MAX)
_Static_assert(1 + STR_MAX(STORE_NAME_MAX) + 1 + STR_MAX(STORE_DESC_MAX) +
		       STR_MAX(STORE_NAME_MAX) + 4 + STR_MAX(STORE_NAME_MAX) +
		       8 + WRAPPED_MAX + 16 <=
		   STORE_RECORD_MAX,
	       "user record");
_Static_assert(1 + STR_MAX(STORE_NAME_MAX) + STR_MAX(STORE_DESC_MAX) +
		       STR_MAX(STORE_NAME_MAX) + 8 + WRAPPED_MAX + 16 <=
		   STORE_RECORD_MAX,
	       "realm record");
_Static_assert(1 + STR_MAX(STORE_NAME_MAX) + STR_MAX(STORE_DESC_MAX) + 1 +
		       8 * STORE_GROUP_NODES_MAX + 16 <=
		   STORE_RECORD_MAX,
	       "node group record");
_Static_assert(1 + 8 + 1 + STR_MAX(STORE_ADDR_MAX) + 1 + 32 + 16 <=
		   STORE_RECORD_MAX,
	       "registration record");
_Static_assert(1 + 8 + WRAPPED_MAX + 8 <= STORE_RECORD_MAX, "secret record");
_Static_assert(STORE_PASSWORD_MAX + 29 <= STORE_SMALL_WRAPPED_MAX &&
		   STORE_HA1_SET_LEN + 29 <= STORE_SMALL_WRAPPED_MAX,
	       "wrapped field too small");

/* ---- names ------------------------------------------------------------ */

static const char *const sip_method_names[] = {
    "invite",  "subscribe", "notify",  "refer", "replaces",
    "message", "options",   "publish", "info",	"update",
};
_Static_assert(sizeof sip_method_names / sizeof *sip_method_names == 10 &&
		   STORE_SIP_ALL == (1u << 10) - 1,
	       "one name per method bit");

const char *store_sip_method_name(uint32_t bit)
{
	for (unsigned i = 0; i < 10; i++) {
		if (bit == 1u << i)
			return sip_method_names[i];
	}
	return NULL;
}

uint32_t store_sip_method_parse(const char *name)
{
	if (!name)
		return 0;
	for (unsigned i = 0; i < 10; i++) {
		if (strcasecmp(name, sip_method_names[i]) == 0)
			return 1u << i;
	}
	return 0;
}

const char *store_user_kind_name(enum store_user_kind k)
{
	return k == STORE_USER_END   ? "end"
	       : k == STORE_USER_APP ? "app"
				     : "unknown";
}

const char *store_reg_cert_name(enum store_reg_cert c)
{
	switch (c) {
	case STORE_REG_CERT_NONE:
		return "none";
	case STORE_REG_CERT_MIC:
		return "mic";
	case STORE_REG_CERT_LSC:
		return "lsc";
	}
	return "unknown";
}

/* ---- HA1 -------------------------------------------------------------- */

static int ha1_one(const char *md, const char *user, const char *realm,
		   const char *password, uint8_t *out, size_t want)
{
	EVP_MD *alg = EVP_MD_fetch(NULL, md, NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok = alg && ctx && EVP_DigestInit_ex(ctx, alg, NULL) &&
		 EVP_DigestUpdate(ctx, user, strlen(user)) &&
		 EVP_DigestUpdate(ctx, ":", 1) &&
		 EVP_DigestUpdate(ctx, realm, strlen(realm)) &&
		 EVP_DigestUpdate(ctx, ":", 1) &&
		 EVP_DigestUpdate(ctx, password, strlen(password)) &&
		 EVP_DigestFinal_ex(ctx, out, &n) && n == want;

	EVP_MD_CTX_free(ctx);
	EVP_MD_free(alg);
	return ok ? STORE_OK : STORE_ENOMEM;
}

int store_ha1_compute(const char *user, const char *realm, const char *password,
		      uint8_t out[STORE_HA1_SET_LEN])
{
	int rc =
	    ha1_one("MD5", user, realm, password, out + STORE_HA1_MD5_OFF, 16);

	if (rc == STORE_OK)
		rc = ha1_one("SHA2-256", user, realm, password,
			     out + STORE_HA1_SHA256_OFF, 32);
	if (rc == STORE_OK)
		rc = ha1_one("SHA2-512/256", user, realm, password,
			     out + STORE_HA1_SHA512_256_OFF, 32);
	if (rc)
		OPENSSL_cleanse(out, STORE_HA1_SET_LEN);
	return rc;
}

/* ---- wrapped fields ---------------------------------------------------- */

static void put_wrapped(struct codec_w *w, const uint8_t *p, uint32_t n)
{
	if (n > STORE_SMALL_WRAPPED_MAX) {
		w->invalid = 1;
		return;
	}
	codec_put_u32(w, n);
	codec_put_bytes(w, p, n);
}

static void get_wrapped(struct codec_r *r, uint8_t *p, uint32_t *n)
{
	*n = codec_get_u32(r);
	if (*n > STORE_SMALL_WRAPPED_MAX) {
		r->bad = 1;
		*n = 0;
		return;
	}
	codec_get_bytes(r, p, *n);
}

/* ---- users ------------------------------------------------------------ */

static int user_ok(const struct store_user *r)
{
	if (r->kind != STORE_USER_END && r->kind != STORE_USER_APP)
		return 0;
	return (r->methods & ~STORE_SIP_ALL) == 0 &&
	       r->ha1_len <= STORE_SMALL_WRAPPED_MAX;
}

int store_user_encode(const struct store_user *r, void *buf, size_t cap,
		      size_t *len)
{
	struct codec_w w;

	if (!user_ok(r))
		return STORE_EINVAL;
	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, USER_V);
	codec_put_str(&w, r->name, sizeof r->name);
	codec_put_u8(&w, (uint8_t)r->kind);
	codec_put_str(&w, r->description, sizeof r->description);
	codec_put_str(&w, r->presence_group, sizeof r->presence_group);
	codec_put_u32(&w, r->methods);
	codec_put_str(&w, r->realm, sizeof r->realm);
	codec_put_bytes(&w, r->kek_id, sizeof r->kek_id);
	put_wrapped(&w, r->ha1_wrapped, r->ha1_len);
	codec_put_u64(&w, r->created_ms);
	codec_put_u64(&w, r->changed_ms);
	return record_result(&w, len);
}

int store_user_decode(const void *buf, size_t len, struct store_user *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, USER_V, &ver)))
		return rc;
	codec_get_str(&rd, r->name, sizeof r->name);
	r->kind = codec_get_u8(&rd);
	codec_get_str(&rd, r->description, sizeof r->description);
	codec_get_str(&rd, r->presence_group, sizeof r->presence_group);
	r->methods = codec_get_u32(&rd);
	codec_get_str(&rd, r->realm, sizeof r->realm);
	codec_get_bytes(&rd, r->kek_id, sizeof r->kek_id);
	get_wrapped(&rd, r->ha1_wrapped, &r->ha1_len);
	r->created_ms = codec_get_u64(&rd);
	r->changed_ms = codec_get_u64(&rd);
	if ((rc = record_end(&rd)))
		return rc;
	return user_ok(r) ? STORE_OK : STORE_ECORRUPT;
}

/* ---- realms ----------------------------------------------------------- */

int store_realm_encode(const struct store_realm *r, void *buf, size_t cap,
		       size_t *len)
{
	struct codec_w w;

	if (r->password_len == 0 || r->password_len > STORE_SMALL_WRAPPED_MAX)
		return STORE_EINVAL;
	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, REALM_V);
	codec_put_str(&w, r->name, sizeof r->name);
	codec_put_str(&w, r->description, sizeof r->description);
	codec_put_str(&w, r->user, sizeof r->user);
	codec_put_bytes(&w, r->kek_id, sizeof r->kek_id);
	put_wrapped(&w, r->password_wrapped, r->password_len);
	codec_put_u64(&w, r->created_ms);
	codec_put_u64(&w, r->changed_ms);
	return record_result(&w, len);
}

int store_realm_decode(const void *buf, size_t len, struct store_realm *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, REALM_V, &ver)))
		return rc;
	codec_get_str(&rd, r->name, sizeof r->name);
	codec_get_str(&rd, r->description, sizeof r->description);
	codec_get_str(&rd, r->user, sizeof r->user);
	codec_get_bytes(&rd, r->kek_id, sizeof r->kek_id);
	get_wrapped(&rd, r->password_wrapped, &r->password_len);
	r->created_ms = codec_get_u64(&rd);
	r->changed_ms = codec_get_u64(&rd);
	if ((rc = record_end(&rd)))
		return rc;
	return r->password_len ? STORE_OK : STORE_ECORRUPT;
}

/* ---- node groups ------------------------------------------------------ */

static int node_group_ok(const struct store_node_group *r)
{
	if (r->n_nodes == 0 || r->n_nodes > STORE_GROUP_NODES_MAX)
		return 0;
	for (uint32_t i = 0; i < r->n_nodes; i++) {
		if (r->nodes[i] == 0)
			return 0;
		for (uint32_t j = 0; j < i; j++) {
			if (r->nodes[j] == r->nodes[i])
				return 0;
		}
	}
	return 1;
}

int store_node_group_encode(const struct store_node_group *r, void *buf,
			    size_t cap, size_t *len)
{
	struct codec_w w;

	if (!node_group_ok(r))
		return STORE_EINVAL;
	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, NODE_GROUP_V);
	codec_put_str(&w, r->name, sizeof r->name);
	codec_put_str(&w, r->description, sizeof r->description);
	codec_put_u8(&w, (uint8_t)r->n_nodes);
	for (uint32_t i = 0; i < r->n_nodes; i++)
		codec_put_u64(&w, r->nodes[i]);
	codec_put_u64(&w, r->created_ms);
	codec_put_u64(&w, r->changed_ms);
	return record_result(&w, len);
}

int store_node_group_decode(const void *buf, size_t len,
			    struct store_node_group *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, NODE_GROUP_V, &ver)))
		return rc;
	codec_get_str(&rd, r->name, sizeof r->name);
	codec_get_str(&rd, r->description, sizeof r->description);
	r->n_nodes = codec_get_u8(&rd);
	if (r->n_nodes == 0 || r->n_nodes > STORE_GROUP_NODES_MAX)
		return STORE_ECORRUPT;
	for (uint32_t i = 0; i < r->n_nodes; i++)
		r->nodes[i] = codec_get_u64(&rd);
	r->created_ms = codec_get_u64(&rd);
	r->changed_ms = codec_get_u64(&rd);
	if ((rc = record_end(&rd)))
		return rc;
	return node_group_ok(r) ? STORE_OK : STORE_ECORRUPT;
}

/* ---- registrations ---------------------------------------------------- */

static int registration_ok(const struct store_registration *r)
{
	return r->node_id != 0 && r->transport >= STORE_TRANSPORT_TCP &&
	       r->transport <= STORE_TRANSPORT_TLS &&
	       r->cert <= STORE_REG_CERT_LSC;
}

int store_registration_encode(const struct store_registration *r, void *buf,
			      size_t cap, size_t *len)
{
	struct codec_w w;

	if (!registration_ok(r))
		return STORE_EINVAL;
	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, REGISTRATION_V);
	codec_put_u64(&w, r->node_id);
	codec_put_u8(&w, (uint8_t)r->transport);
	codec_put_str(&w, r->source, sizeof r->source);
	codec_put_u8(&w, (uint8_t)r->cert);
	codec_put_bytes(&w, r->cert_sha256, sizeof r->cert_sha256);
	codec_put_u64(&w, r->expires_ms);
	codec_put_u64(&w, r->since_ms);
	return record_result(&w, len);
}

int store_registration_decode(const void *buf, size_t len,
			      struct store_registration *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, REGISTRATION_V, &ver)))
		return rc;
	r->node_id = codec_get_u64(&rd);
	r->transport = codec_get_u8(&rd);
	codec_get_str(&rd, r->source, sizeof r->source);
	r->cert = codec_get_u8(&rd);
	codec_get_bytes(&rd, r->cert_sha256, sizeof r->cert_sha256);
	r->expires_ms = codec_get_u64(&rd);
	r->since_ms = codec_get_u64(&rd);
	if ((rc = record_end(&rd)))
		return rc;
	return registration_ok(r) ? STORE_OK : STORE_ECORRUPT;
}

/* ---- secrets ---------------------------------------------------------- */

int store_secret_encode(const struct store_secret *r, void *buf, size_t cap,
			size_t *len)
{
	struct codec_w w;

	if (r->wrapped_len == 0 || r->wrapped_len > STORE_SMALL_WRAPPED_MAX)
		return STORE_EINVAL;
	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, SECRET_V);
	codec_put_bytes(&w, r->kek_id, sizeof r->kek_id);
	put_wrapped(&w, r->wrapped, r->wrapped_len);
	codec_put_u64(&w, r->created_ms);
	return record_result(&w, len);
}

int store_secret_decode(const void *buf, size_t len, struct store_secret *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, SECRET_V, &ver)))
		return rc;
	codec_get_bytes(&rd, r->kek_id, sizeof r->kek_id);
	get_wrapped(&rd, r->wrapped, &r->wrapped_len);
	r->created_ms = codec_get_u64(&rd);
	if ((rc = record_end(&rd)))
		return rc;
	return r->wrapped_len ? STORE_OK : STORE_ECORRUPT;
}
