/* codec: bounds-checked big-endian writer and reader (see codec.h). */
#include "store/codec.h"

#include <string.h>

#include "common/be.h"
#include "store/store.h"

void codec_w_init(struct codec_w *w, void *buf, size_t cap)
{
	w->buf = buf;
	w->cap = buf ? cap : 0;
	w->len = 0;
	w->overflow = 0;
	w->invalid = 0;
}

/* Reserves N bytes; NULL when they do not fit (the length still grows so
 * that a counting pass reports the size that would have been needed). */
static uint8_t *codec_w_reserve(struct codec_w *w, size_t n)
{
	uint8_t *p = NULL;

	if (!w->overflow && n <= w->cap - w->len)
		p = w->buf + w->len;
	else
		w->overflow = 1;
	w->len += n;
	return p;
}

void codec_put_u8(struct codec_w *w, uint8_t v)
{
	uint8_t *p = codec_w_reserve(w, 1);

	if (p)
		p[0] = v;
}

void codec_put_u16(struct codec_w *w, uint16_t v)
{
	uint8_t *p = codec_w_reserve(w, 2);

	if (p)
		be16_put(p, v);
}

void codec_put_u32(struct codec_w *w, uint32_t v)
{
	uint8_t *p = codec_w_reserve(w, 4);

	if (p)
		be32_put(p, v);
}

void codec_put_u64(struct codec_w *w, uint64_t v)
{
	uint8_t *p = codec_w_reserve(w, 8);

	if (p)
		store_key_u64(v, p);
}

void codec_put_bytes(struct codec_w *w, const void *src, size_t n)
{
	uint8_t *p = codec_w_reserve(w, n);

	if (p && n)
		memcpy(p, src, n);
}

void codec_put_str(struct codec_w *w, const char *s, size_t field_cap)
{
	size_t n = strnlen(s, field_cap);

	/* No NUL inside the field, or longer than a u16 can say. */
	if (n == field_cap || n > UINT16_MAX) {
		w->invalid = 1;
		return;
	}
	codec_put_u16(w, (uint16_t)n);
	codec_put_bytes(w, s, n);
}

void codec_put_blob(struct codec_w *w, const void *p, size_t n, size_t max)
{
	if (!p || n == 0 || n > max || n > UINT32_MAX) {
		w->invalid = 1;
		return;
	}
	codec_put_u32(w, (uint32_t)n);
	codec_put_bytes(w, p, n);
}

int codec_w_result(const struct codec_w *w)
{
	if (w->invalid)
		return STORE_EINVAL;
	if (w->overflow)
		return STORE_ETOOBIG;
	return STORE_OK;
}

void codec_r_init(struct codec_r *r, const void *buf, size_t len)
{
	r->buf = buf;
	r->len = buf ? len : 0;
	r->off = 0;
	r->bad = 0;
}

const uint8_t *codec_get_ref(struct codec_r *r, size_t n)
{
	const uint8_t *p;

	if (r->bad || n > r->len - r->off) {
		r->bad = 1;
		return NULL;
	}
	p = r->buf + r->off;
	r->off += n;
	return p;
}

uint8_t codec_get_u8(struct codec_r *r)
{
	const uint8_t *p = codec_get_ref(r, 1);

	return p ? p[0] : 0;
}

uint16_t codec_get_u16(struct codec_r *r)
{
	const uint8_t *p = codec_get_ref(r, 2);

	return p ? be16_get(p) : 0;
}

uint32_t codec_get_u32(struct codec_r *r)
{
	const uint8_t *p = codec_get_ref(r, 4);

	return p ? be32_get(p) : 0;
}

uint64_t codec_get_u64(struct codec_r *r)
{
	const uint8_t *p = codec_get_ref(r, 8);

	return p ? store_key_to_u64(p) : 0;
}

void codec_get_bytes(struct codec_r *r, void *out, size_t n)
{
	const uint8_t *p = codec_get_ref(r, n);

	if (p)
		memcpy(out, p, n);
	else
		memset(out, 0, n);
}

void codec_get_str(struct codec_r *r, char *out, size_t field_cap)
{
	uint16_t n = codec_get_u16(r);
	const uint8_t *p;

	out[0] = '\0';
	if (r->bad)
		return;
	/* Checked before reading so that a huge length fails as "oversized"
	 * without consuming anything. */
	if ((size_t)n >= field_cap) {
		r->bad = 1;
		return;
	}
	p = codec_get_ref(r, n);
	if (!p)
		return;
	if (memchr(p, '\0', n)) {
		r->bad = 1;
		return;
	}
	memcpy(out, p, n);
	out[n] = '\0';
}

void codec_get_blob(struct codec_r *r, const uint8_t **p, size_t *n, size_t max)
{
	uint32_t len = codec_get_u32(r);

	*p = NULL;
	*n = 0;
	if (r->bad)
		return;
	/* As codec_get_str: an impossible length fails before any use. */
	if (len == 0 || len > max) {
		r->bad = 1;
		return;
	}
	*p = codec_get_ref(r, len);
	if (*p)
		*n = len;
}

size_t codec_r_left(const struct codec_r *r)
{
	return r->bad ? 0 : r->len - r->off;
}

int codec_r_done(const struct codec_r *r)
{
	return !r->bad && r->off == r->len;
}

void store_key_u64(uint64_t v, uint8_t out[8])
{
	be64_put(out, v);
}

uint64_t store_key_to_u64(const uint8_t in[8])
{
	return be64_get(in);
}
