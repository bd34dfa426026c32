/* records: the versioned encodings of the typed records (docs/store.md).
 *
 * Every value starts with a version byte. A newer version only appends
 * fields, so a decoder reads the fields of version 1, then those of each
 * later version it finds, and leaves the defaults (zero, set by the initial
 * memset) for fields an older writer did not know. A version this build does
 * not know is refused (STORE_EVERSION) rather than half-read: rolling
 * upgrades must finish before new versions are written.
 *
 * Decoders are strict so that decode(x) succeeds only for x that the encoder
 * produces: no trailing bytes, no oversized or NUL-holding strings, no
 * values outside their enumerations. encode(decode(x)) == x for every
 * accepted x of the current version; an older version re-encodes as the
 * current one, with the defaults (the record fuzzer checks both).
 *
 * The records of certificates, trust store and trust lists are in
 * records_pki.c.
 */
#include <string.h>

#include "store/codec.h"
#include "store/store.h"

/* Current version of each record. Bump when appending fields. */
enum {
	CLUSTER_V =
	    3, /* 2: security_mode, kek_id, ca_sha256; 3: next_node_id */
	NODE_V = 3,
	ADMIN_V = 1,
	AUDIT_V = 1,
	JOIN_TOKEN_V = 1,
};

/* Largest encoding of each record, by field, so a change of the structs
 * that breaks STORE_RECORD_MAX fails the build. */
#define STR_MAX(field_cap) (2 + (field_cap)-1)
_Static_assert(1 + STR_MAX(37) + STR_MAX(STORE_NAME_MAX) + 4 + 8 + 4 + 8 + 32 +
		       8 <=
		   STORE_RECORD_MAX,
	       "cluster record");
_Static_assert(1 + 8 + STR_MAX(STORE_NAME_MAX) + 2 * STR_MAX(STORE_ADDR_MAX) +
		       4 + 4 + 32 + 8 <=
		   STORE_RECORD_MAX,
	       "node record");
_Static_assert(1 + STR_MAX(STORE_NAME_MAX) + 16 + 4 + 8 + 4 + 4 + 32 + 8 + 8 <=
		   STORE_RECORD_MAX,
	       "admin record");
_Static_assert(1 + 8 + 8 + 2 * STR_MAX(STORE_NAME_MAX) +
		       STR_MAX(STORE_TEXT_MAX) <=
		   STORE_RECORD_MAX,
	       "audit record");
_Static_assert(1 + STR_MAX(STORE_NAME_MAX) + 8 + 32 + 8 +
		       STR_MAX(STORE_ADDR_MAX) <=
		   STORE_RECORD_MAX,
	       "join token record");

static const char *const node_state_names[] = {
    [STORE_NODE_JOINING] = "joining",
    [STORE_NODE_SPARE] = "spare",
    [STORE_NODE_VOTER] = "voter",
    [STORE_NODE_LEAVING] = "leaving",
};

static const char *const security_mode_names[] = {
    [STORE_SECURITY_NON_SECURE] = "non-secure",
    [STORE_SECURITY_MIXED] = "mixed",
};

const char *store_security_mode_name(enum store_security_mode m)
{
	if ((unsigned)m >=
	    sizeof security_mode_names / sizeof *security_mode_names)
		return "unknown";
	return security_mode_names[m];
}

const char *store_node_state_name(enum store_node_state s)
{
	if ((unsigned)s >= sizeof node_state_names / sizeof *node_state_names)
		return "unknown";
	return node_state_names[s];
}

int record_version(struct codec_r *rd, uint8_t current, uint8_t *ver)
{
	*ver = codec_get_u8(rd);
	if (rd->bad)
		return STORE_ECORRUPT;
	if (*ver == 0 || *ver > current)
		return STORE_EVERSION;
	return STORE_OK;
}

int record_end(const struct codec_r *rd)
{
	return codec_r_done(rd) ? STORE_OK : STORE_ECORRUPT;
}

int record_result(const struct codec_w *w, size_t *len)
{
	int rc = codec_w_result(w);

	if (rc == STORE_OK)
		*len = w->len;
	return rc;
}

/* ---- cluster ---------------------------------------------------------- */

int store_cluster_encode(const struct store_cluster *r, void *buf, size_t cap,
			 size_t *len)
{
	struct codec_w w;

	if (r->security_mode > STORE_SECURITY_MIXED)
		return STORE_EINVAL;
	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, CLUSTER_V);
	codec_put_str(&w, r->id, sizeof r->id);
	codec_put_str(&w, r->name, sizeof r->name);
	codec_put_u32(&w, r->schema_version);
	codec_put_u64(&w, r->created_ms);
	codec_put_u32(&w, r->security_mode);
	codec_put_bytes(&w, r->kek_id, sizeof r->kek_id);
	codec_put_bytes(&w, r->ca_sha256, sizeof r->ca_sha256);
	codec_put_u64(&w, r->next_node_id);
	return record_result(&w, len);
}

int store_cluster_decode(const void *buf, size_t len, struct store_cluster *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, CLUSTER_V, &ver)))
		return rc;
	codec_get_str(&rd, r->id, sizeof r->id);
	codec_get_str(&rd, r->name, sizeof r->name);
	r->schema_version = codec_get_u32(&rd);
	r->created_ms = codec_get_u64(&rd);
	if (ver >= 2) {
		r->security_mode = codec_get_u32(&rd);
		codec_get_bytes(&rd, r->kek_id, sizeof r->kek_id);
		codec_get_bytes(&rd, r->ca_sha256, sizeof r->ca_sha256);
	}
	if (ver >= 3)
		r->next_node_id = codec_get_u64(&rd);
	if ((rc = record_end(&rd)))
		return rc;
	if (r->security_mode > STORE_SECURITY_MIXED)
		return STORE_ECORRUPT;
	return STORE_OK;
}

/* ---- nodes ------------------------------------------------------------ */

int store_node_encode(const struct store_node *r, void *buf, size_t cap,
		      size_t *len)
{
	struct codec_w w;

	/* The decoder refuses these: never write what cannot be read. */
	if (r->id == 0 || r->state > STORE_NODE_LEAVING)
		return STORE_EINVAL;
	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, NODE_V);
	codec_put_u64(&w, r->id);
	codec_put_str(&w, r->name, sizeof r->name);
	codec_put_str(&w, r->raft_addr, sizeof r->raft_addr);
	codec_put_str(&w, r->admin_addr, sizeof r->admin_addr);
	codec_put_u32(&w, r->roles);
	codec_put_u32(&w, r->state);
	codec_put_bytes(&w, r->https_sha256, sizeof r->https_sha256);
	codec_put_u64(&w, r->created_ms);
	codec_put_str(&w, r->sip_host, sizeof r->sip_host);
	codec_put_u32(&w, r->sip_port);
	codec_put_u32(&w, r->sip_tls_port);
	codec_put_u32(&w, r->sip_node_port);
	return record_result(&w, len);
}

int store_node_decode(const void *buf, size_t len, struct store_node *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, NODE_V, &ver)))
		return rc;
	r->id = codec_get_u64(&rd);
	codec_get_str(&rd, r->name, sizeof r->name);
	codec_get_str(&rd, r->raft_addr, sizeof r->raft_addr);
	codec_get_str(&rd, r->admin_addr, sizeof r->admin_addr);
	r->roles = codec_get_u32(&rd);
	r->state = codec_get_u32(&rd);
	codec_get_bytes(&rd, r->https_sha256, sizeof r->https_sha256);
	r->created_ms = codec_get_u64(&rd);
	if (ver >= 2) {
		codec_get_str(&rd, r->sip_host, sizeof r->sip_host);
		r->sip_port = codec_get_u32(&rd);
		r->sip_tls_port = codec_get_u32(&rd);
	}
	if (ver >= 3)
		r->sip_node_port = codec_get_u32(&rd);
	if ((rc = record_end(&rd)))
		return rc;
	if (r->id == 0 || r->state > STORE_NODE_LEAVING ||
	    r->sip_port > 65535 || r->sip_tls_port > 65535 ||
	    r->sip_node_port > 65535)
		return STORE_ECORRUPT;
	return STORE_OK;
}

/* ---- admins ----------------------------------------------------------- */

int store_admin_encode(const struct store_admin *r, void *buf, size_t cap,
		       size_t *len)
{
	struct codec_w w;

	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, ADMIN_V);
	codec_put_str(&w, r->name, sizeof r->name);
	codec_put_bytes(&w, r->salt, sizeof r->salt);
	codec_put_u32(&w, r->kdf);
	codec_put_u64(&w, r->kdf_n);
	codec_put_u32(&w, r->kdf_r);
	codec_put_u32(&w, r->kdf_p);
	codec_put_bytes(&w, r->hash, sizeof r->hash);
	codec_put_u64(&w, r->created_ms);
	codec_put_u64(&w, r->changed_ms);
	return record_result(&w, len);
}

int store_admin_decode(const void *buf, size_t len, struct store_admin *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, ADMIN_V, &ver)))
		return rc;
	codec_get_str(&rd, r->name, sizeof r->name);
	codec_get_bytes(&rd, r->salt, sizeof r->salt);
	r->kdf = codec_get_u32(&rd);
	r->kdf_n = codec_get_u64(&rd);
	r->kdf_r = codec_get_u32(&rd);
	r->kdf_p = codec_get_u32(&rd);
	codec_get_bytes(&rd, r->hash, sizeof r->hash);
	r->created_ms = codec_get_u64(&rd);
	r->changed_ms = codec_get_u64(&rd);
	return record_end(&rd);
}

/* ---- audit ------------------------------------------------------------ */

int store_audit_encode(const struct store_audit *r, void *buf, size_t cap,
		       size_t *len)
{
	struct codec_w w;

	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, AUDIT_V);
	codec_put_u64(&w, r->time_ms);
	codec_put_u64(&w, r->origin);
	codec_put_str(&w, r->actor, sizeof r->actor);
	codec_put_str(&w, r->action, sizeof r->action);
	codec_put_str(&w, r->detail, sizeof r->detail);
	return record_result(&w, len);
}

int store_audit_decode(const void *buf, size_t len, struct store_audit *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, AUDIT_V, &ver)))
		return rc;
	r->time_ms = codec_get_u64(&rd);
	r->origin = codec_get_u64(&rd);
	codec_get_str(&rd, r->actor, sizeof r->actor);
	codec_get_str(&rd, r->action, sizeof r->action);
	codec_get_str(&rd, r->detail, sizeof r->detail);
	return record_end(&rd);
}

/* ---- join tokens ------------------------------------------------------ */

int store_join_token_encode(const struct store_join_token *r, void *buf,
			    size_t cap, size_t *len)
{
	struct codec_w w;

	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, JOIN_TOKEN_V);
	codec_put_str(&w, r->node_name, sizeof r->node_name);
	codec_put_u64(&w, r->node_id);
	codec_put_bytes(&w, r->secret_sha256, sizeof r->secret_sha256);
	codec_put_u64(&w, r->expires_ms);
	codec_put_str(&w, r->host, sizeof r->host);
	return record_result(&w, len);
}

int store_join_token_decode(const void *buf, size_t len,
			    struct store_join_token *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, JOIN_TOKEN_V, &ver)))
		return rc;
	codec_get_str(&rd, r->node_name, sizeof r->node_name);
	r->node_id = codec_get_u64(&rd);
	codec_get_bytes(&rd, r->secret_sha256, sizeof r->secret_sha256);
	r->expires_ms = codec_get_u64(&rd);
	codec_get_str(&rd, r->host, sizeof r->host);
	return record_end(&rd);
}
