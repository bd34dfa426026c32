/* srst: the SRST reference record, its reads and commands (srst.h). */
#include "store/srst.h"

#include <string.h>

#include "store/codec.h"
#include "store/internal.h"

enum { SRST_V = 1 };

#define STR_MAX(field_cap) (2 + (field_cap)-1)
_Static_assert(1 + STR_MAX(STORE_NAME_MAX) + STR_MAX(STORE_DESC_MAX) +
		       STR_MAX(STORE_ADDR_MAX) + 2 * 4 +
		       STR_MAX(STORE_TRUST_NAME_MAX) + 16 <=
		   STORE_RECORD_MAX,
	       "srst record");

int store_srst_address_valid(const char *addr)
{
	size_t n = addr ? strnlen(addr, STORE_ADDR_MAX) : 0;

	if (n == 0 || n == STORE_ADDR_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)addr[i];

		if (ch <= 0x20 || ch >= 0x7f || strchr("/<>&\"'", ch))
			return 0;
	}
	return 1;
}

static int srst_ok(const struct store_srst *r)
{
	return store_prov_name_valid(r->name) &&
	       store_srst_address_valid(r->address) && r->sip_port >= 1 &&
	       r->sip_port <= 65535 && r->tls_port <= 65535 &&
	       (r->certificate[0] == '\0' ||
		store_trust_name_valid(r->certificate));
}

int store_srst_encode(const struct store_srst *r, void *buf, size_t cap,
		      size_t *len)
{
	struct codec_w w;

	if (!srst_ok(r))
		return STORE_EINVAL;
	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, SRST_V);
	codec_put_str(&w, r->name, sizeof r->name);
	codec_put_str(&w, r->description, sizeof r->description);
	codec_put_str(&w, r->address, sizeof r->address);
	codec_put_u32(&w, r->sip_port);
	codec_put_u32(&w, r->tls_port);
	codec_put_str(&w, r->certificate, sizeof r->certificate);
	codec_put_u64(&w, r->created_ms);
	codec_put_u64(&w, r->changed_ms);
	return record_result(&w, len);
}

int store_srst_decode(const void *buf, size_t len, struct store_srst *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, SRST_V, &ver)))
		return rc;
	codec_get_str(&rd, r->name, sizeof r->name);
	codec_get_str(&rd, r->description, sizeof r->description);
	codec_get_str(&rd, r->address, sizeof r->address);
	r->sip_port = codec_get_u32(&rd);
	r->tls_port = codec_get_u32(&rd);
	codec_get_str(&rd, r->certificate, sizeof r->certificate);
	r->created_ms = codec_get_u64(&rd);
	r->changed_ms = codec_get_u64(&rd);
	if ((rc = record_end(&rd)))
		return rc;
	if (!srst_ok(r)) {
		memset(r, 0, sizeof *r);
		return STORE_ECORRUPT;
	}
	return STORE_OK;
}

static int srst_from_kv(const void *key, size_t klen, const void *val,
			size_t vlen, struct store_srst *out)
{
	int rc = store_srst_decode(val, vlen, out);

	if (rc)
		return rc;
	if (klen != strlen(out->name) || memcmp(key, out->name, klen) != 0) {
		memset(out, 0, sizeof *out);
		return STORE_ECORRUPT;
	}
	return STORE_OK;
}

int store_srst_get(struct store_read *r, const char *name,
		   struct store_srst *out)
{
	const void *v;
	size_t n;
	int rc;

	memset(out, 0, sizeof *out);
	if (!store_prov_name_valid(name))
		return STORE_EINVAL;
	if ((rc = store_get(r, STORE_T_SRST, name, strlen(name), &v, &n)))
		return rc;
	return srst_from_kv(name, strlen(name), v, n, out);
}

STORE_EACH_RECORD(srst, STORE_T_SRST, struct store_srst)

int store_cmd_put_srst(struct store_cmd *c, enum store_op op,
		       const struct store_srst *r)
{
	uint8_t val[STORE_RECORD_MAX];
	size_t n;
	int rc;

	if (op != STORE_OP_PUT && op != STORE_OP_PUT_NEW)
		return STORE_EINVAL;
	if ((rc = store_srst_encode(r, val, sizeof val, &n)))
		return rc;
	return store_cmd_op(c, op, STORE_T_SRST, r->name, strlen(r->name), val,
			    n);
}

int store_cmd_del_srst(struct store_cmd *c, const char *name)
{
	if (!store_prov_name_valid(name))
		return STORE_EINVAL;
	return store_cmd_op(c, STORE_OP_DEL_EXISTING, STORE_T_SRST, name,
			    strlen(name), NULL, 0);
}
