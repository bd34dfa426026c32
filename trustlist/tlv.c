/* tlv: schema-driven TLV reader and growable writer (see tlv.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/be.h"
#include "trustlist/internal.h"
#include "trustlist/tlv.h"

uint32_t tlv_uint(const struct tlv_field *f)
{
	uint32_t v = 0;

	for (size_t i = 0; f->present && i < f->len && i < 4; i++)
		v = v << 8 | f->v[i];
	return v;
}

/* ---- reader ----------------------------------------------------------- */

static const struct tlv_rule *rule_for(const struct tlv_schema *s, uint8_t tag)
{
	for (size_t i = 0; i < s->n_rules; i++)
		if (s->rules[i].tag == tag)
			return &s->rules[i];
	return NULL;
}

static int check_value(const struct tlv_rule *r, const uint8_t *v, size_t len,
		       size_t off, char *errmsg, size_t errcap)
{
	size_t want = 0;

	switch (r->kind) {
	case TLV_U8:
		want = 1;
		break;
	case TLV_U16:
		want = 2;
		break;
	case TLV_U32:
		want = 4;
		break;
	case TLV_UINT:
		if (len >= 1 && len <= 4)
			return 0;
		return tl_err(TRUSTLIST_EMALFORMED, errmsg, errcap,
			      "%s at offset %zu: length %zu, expected 1..4",
			      r->name, off, len);
	case TLV_STRING: {
		/* Text, with or without a terminating NUL (ward writes one;
		 * not every builder does); no NUL inside, so no text hides
		 * after a terminator. MIN_LEN counts the text alone. */
		size_t text = len && v[len - 1] == 0 ? len - 1 : len;

		if (text < r->min_len || text == 0 || len > r->max_len ||
		    memchr(v, 0, text) != NULL)
			return tl_err(TRUSTLIST_EMALFORMED, errmsg, errcap,
				      "%s at offset %zu: not a string of "
				      "%u..%u bytes without NUL inside "
				      "(length %zu)",
				      r->name, off, r->min_len, r->max_len,
				      len);
		return 0;
	}
	default:
		if (len < r->min_len || len > r->max_len)
			return tl_err(TRUSTLIST_EMALFORMED, errmsg, errcap,
				      "%s at offset %zu: length %zu outside "
				      "%u..%u",
				      r->name, off, len, r->min_len,
				      r->max_len);
		return 0;
	}
	if (len != want)
		return tl_err(TRUSTLIST_EMALFORMED, errmsg, errcap,
			      "%s at offset %zu: length %zu, expected %zu",
			      r->name, off, len, want);
	return 0;
}

static int read_level(const struct tlv_schema *s, const uint8_t *buf,
		      size_t off, size_t end, int depth,
		      struct tlv_field *fields, size_t nslots, size_t *pad,
		      char *errmsg, size_t errcap)
{
	size_t next_rule = 0, npad = 0;
	int rc;

	if (depth > TLV_DEPTH_MAX)
		return tl_err(TRUSTLIST_EMALFORMED, errmsg, errcap,
			      "fields nested deeper than %d at offset %zu",
			      TLV_DEPTH_MAX, off);
	while (off < end) {
		const struct tlv_rule *r;
		size_t len, at = off;
		uint8_t tag = buf[off];
		char what[16];

		if (s->pad_tail && tag == TLV_PAD) {
			off++;
			npad++;
			continue;
		}
		if (npad)
			return tl_err(TRUSTLIST_EMALFORMED, errmsg, errcap,
				      "tag %u at offset %zu after padding", tag,
				      at);
		r = rule_for(s, tag);
		snprintf(what, sizeof what, "tag %u", tag);
		if (end - off < 3)
			return tl_err(TRUSTLIST_EMALFORMED, errmsg, errcap,
				      "%s at offset %zu: %zu bytes left, no "
				      "room for its length",
				      r ? r->name : what, at, end - off);
		len = be16_get(buf + off + 1);
		off += 3;
		if (len > end - off)
			return tl_err(TRUSTLIST_EMALFORMED, errmsg, errcap,
				      "%s at offset %zu: length %zu runs past "
				      "the end of its container (%zu bytes "
				      "left)",
				      r ? r->name : what, at, len, end - off);
		if (r == NULL) {
			if (!s->skip_unknown)
				return tl_err(
				    TRUSTLIST_EMALFORMED, errmsg, errcap,
				    "unexpected tag %u at offset %zu", tag, at);
			off += len;
			continue;
		}
		if (s->ordered) {
			if (next_rule >= s->n_rules ||
			    s->rules[next_rule].tag != tag)
				return tl_err(TRUSTLIST_EMALFORMED, errmsg,
					      errcap,
					      "%s at offset %zu out of order",
					      r->name, at);
			next_rule++;
		}
		if (r->slot >= nslots)
			return tl_err(TRUSTLIST_EINVAL, errmsg, errcap,
				      "schema slot %u out of range", r->slot);
		if (fields[r->slot].present)
			return tl_err(TRUSTLIST_EMALFORMED, errmsg, errcap,
				      "%s repeated at offset %zu", r->name, at);
		if ((rc = check_value(r, buf + off, len, at, errmsg, errcap)))
			return rc;
		fields[r->slot] = (struct tlv_field){
		    .v = buf + off, .len = len, .off = at, .present = 1};
		if (r->kind == TLV_NEST &&
		    (rc = read_level(r->nest, buf, off, off + len, depth + 1,
				     fields, nslots, NULL, errmsg, errcap)))
			return rc;
		off += len;
	}
	for (size_t i = 0; i < s->n_rules; i++) {
		const struct tlv_rule *r = &s->rules[i];

		if ((r->required || s->ordered) && !fields[r->slot].present)
			return tl_err(TRUSTLIST_EMALFORMED, errmsg, errcap,
				      "%s missing", r->name);
	}
	if (pad)
		*pad = npad;
	return 0;
}

int tlv_read(const struct tlv_schema *schema, const uint8_t *buf, size_t off,
	     size_t end, struct tlv_field *fields, size_t nslots, size_t *pad,
	     char *errmsg, size_t errcap)
{
	return read_level(schema, buf, off, end, 0, fields, nslots, pad, errmsg,
			  errcap);
}

/* ---- writer ----------------------------------------------------------- */

void tlv_buf_init(struct tlv_buf *b, size_t max)
{
	*b = (struct tlv_buf){.max = max};
}

void tlv_buf_close(struct tlv_buf *b)
{
	free(b->p);
	*b = (struct tlv_buf){0};
}

uint8_t *tlv_buf_take(struct tlv_buf *b, size_t *len)
{
	uint8_t *p = b->p;

	*len = b->len;
	*b = (struct tlv_buf){0};
	return p;
}

int tlv_buf_result(const struct tlv_buf *b)
{
	return b->err;
}

static int reserve(struct tlv_buf *b, size_t more)
{
	size_t cap;
	uint8_t *p;

	if (b->err)
		return -1;
	if (more > b->max - b->len) {
		b->err = TRUSTLIST_ETOOBIG;
		return -1;
	}
	if (b->len + more <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + more)
		cap *= 2;
	if (cap > b->max)
		cap = b->max;
	if ((p = realloc(b->p, cap)) == NULL) {
		b->err = TRUSTLIST_ENOMEM;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void tlv_put_raw(struct tlv_buf *b, const void *v, size_t len)
{
	if (reserve(b, len))
		return;
	if (len)
		memcpy(b->p + b->len, v, len);
	b->len += len;
}

static void put_head(struct tlv_buf *b, uint8_t tag, size_t len)
{
	uint8_t h[3] = {tag, (uint8_t)(len >> 8), (uint8_t)len};

	if (!b->err && len > TLV_VALUE_MAX)
		b->err = TRUSTLIST_EINVAL;
	tlv_put_raw(b, h, sizeof h);
}

void tlv_put(struct tlv_buf *b, uint8_t tag, const void *v, size_t len)
{
	put_head(b, tag, len);
	tlv_put_raw(b, v, len);
}

void tlv_put_u8(struct tlv_buf *b, uint8_t tag, uint8_t v)
{
	tlv_put(b, tag, &v, 1);
}

void tlv_put_u16(struct tlv_buf *b, uint8_t tag, uint16_t v)
{
	uint8_t p[2];

	be16_put(p, v);
	tlv_put(b, tag, p, sizeof p);
}

void tlv_put_u32(struct tlv_buf *b, uint8_t tag, uint32_t v)
{
	uint8_t p[4];

	be32_put(p, v);
	tlv_put(b, tag, p, sizeof p);
}

void tlv_put_str(struct tlv_buf *b, uint8_t tag, const char *s)
{
	tlv_put(b, tag, s, strlen(s) + 1);
}

size_t tlv_open(struct tlv_buf *b, uint8_t tag)
{
	size_t at = b->len + 1;

	put_head(b, tag, 0);
	return at;
}

void tlv_close(struct tlv_buf *b, size_t at)
{
	size_t len;

	if (b->err)
		return;
	len = b->len - (at + 2);
	if (len > TLV_VALUE_MAX) {
		b->err = TRUSTLIST_EINVAL;
		return;
	}
	tlv_patch16(b, at, (uint16_t)len);
}

void tlv_pad(struct tlv_buf *b, size_t align)
{
	static const uint8_t pad = TLV_PAD;

	while (!b->err && b->len % align)
		tlv_put_raw(b, &pad, 1);
}

void tlv_patch16(struct tlv_buf *b, size_t at, uint16_t v)
{
	if (b->err || at + 2 > b->len)
		return;
	be16_put(b->p + at, v);
}

void tlv_patch32(struct tlv_buf *b, size_t at, uint32_t v)
{
	if (b->err || at + 4 > b->len)
		return;
	be32_put(b->p + at, v);
}
