/* capture: the capture-window record, its reads and commands (capture.h). */
#include "store/capture.h"

#include <string.h>

#include "store/codec.h"
#include "store/internal.h"

enum { CAPTURE_V = 1 };

#define STR_MAX(field_cap) (2 + (field_cap)-1)
_Static_assert(1 + 2 * STR_MAX(STORE_NAME_MAX) + 16 <= STORE_RECORD_MAX,
	       "capture record");

static int capture_ok(const struct store_capture *r)
{
	return store_prov_name_valid(r->device) &&
	       r->until_ms > r->started_ms &&
	       r->until_ms - r->started_ms <= STORE_CAPTURE_MAX_S * 1000ull &&
	       store_prov_name_valid(r->by);
}

int store_capture_active(const struct store_capture *rec, uint64_t now_ms)
{
	return rec && now_ms < rec->until_ms;
}

int store_capture_encode(const struct store_capture *r, void *buf, size_t cap,
			 size_t *len)
{
	struct codec_w w;

	if (!capture_ok(r))
		return STORE_EINVAL;
	codec_w_init(&w, buf, cap);
	codec_put_u8(&w, CAPTURE_V);
	codec_put_str(&w, r->device, sizeof r->device);
	codec_put_u64(&w, r->started_ms);
	codec_put_u64(&w, r->until_ms);
	codec_put_str(&w, r->by, sizeof r->by);
	return record_result(&w, len);
}

int store_capture_decode(const void *buf, size_t len, struct store_capture *r)
{
	struct codec_r rd;
	uint8_t ver;
	int rc;

	memset(r, 0, sizeof *r);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, CAPTURE_V, &ver)))
		return rc;
	codec_get_str(&rd, r->device, sizeof r->device);
	r->started_ms = codec_get_u64(&rd);
	r->until_ms = codec_get_u64(&rd);
	codec_get_str(&rd, r->by, sizeof r->by);
	if ((rc = record_end(&rd)))
		return rc;
	if (!capture_ok(r)) {
		memset(r, 0, sizeof *r);
		return STORE_ECORRUPT;
	}
	return STORE_OK;
}

static int capture_from_kv(const void *key, size_t klen, const void *val,
			   size_t vlen, struct store_capture *out)
{
	int rc = store_capture_decode(val, vlen, out);

	if (rc)
		return rc;
	if (klen != strlen(out->device) ||
	    memcmp(key, out->device, klen) != 0) {
		memset(out, 0, sizeof *out);
		return STORE_ECORRUPT;
	}
	return STORE_OK;
}

int store_capture_get(struct store_read *r, const char *device,
		      struct store_capture *out)
{
	const void *v;
	size_t n;
	int rc;

	memset(out, 0, sizeof *out);
	if (!store_prov_name_valid(device))
		return STORE_EINVAL;
	if ((rc =
		 store_get(r, STORE_T_CAPTURE, device, strlen(device), &v, &n)))
		return rc;
	return capture_from_kv(device, strlen(device), v, n, out);
}

STORE_EACH_RECORD(capture, STORE_T_CAPTURE, struct store_capture)

int store_cmd_put_capture(struct store_cmd *c, const struct store_capture *r)
{
	uint8_t val[STORE_RECORD_MAX];
	size_t n;
	int rc;

	if ((rc = store_capture_encode(r, val, sizeof val, &n)))
		return rc;
	return store_cmd_op(c, STORE_OP_PUT, STORE_T_CAPTURE, r->device,
			    strlen(r->device), val, n);
}

int store_cmd_del_capture(struct store_cmd *c, const char *device)
{
	if (!store_prov_name_valid(device))
		return STORE_EINVAL;
	return store_cmd_op(c, STORE_OP_DEL_EXISTING, STORE_T_CAPTURE, device,
			    strlen(device), NULL, 0);
}
