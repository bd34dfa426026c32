/* tlv: the tag-length-value layer of trust-list files (internal to
 * trustlist/): a schema-driven reader that checks every length against what
 * remains, and a growable writer.
 *
 * Layout: 1-byte tag, 2-byte big-endian length, value. In a header, tag 13
 * (padding) is a lone byte with no length.
 */
#ifndef WARD_TRUSTLIST_TLV_H
#define WARD_TRUSTLIST_TLV_H

#include <stddef.h>
#include <stdint.h>

#define TLV_PAD 13
/* Containers nest at most this deep (the header uses 2). */
#define TLV_DEPTH_MAX 4
#define TLV_VALUE_MAX 0xffffu

/* ---- reader ----------------------------------------------------------- */

enum tlv_kind {
	TLV_BYTES,  /* opaque, min..max bytes */
	TLV_STRING, /* text, NUL-terminated or not, no NUL inside */
	TLV_U8,
	TLV_U16,
	TLV_U32,
	TLV_NEST, /* the value is itself a sequence of TLVs */
	TLV_UINT, /* unsigned big-endian of 1..4 bytes: read any width
		     other builders chose for a code */
};

struct tlv_schema;

struct tlv_rule {
	uint8_t tag;
	uint8_t kind; /* enum tlv_kind */
	uint8_t required;
	uint8_t slot;	  /* index into the caller's field array */
	uint16_t min_len; /* TLV_BYTES/TLV_STRING/TLV_NEST */
	uint16_t max_len;
	const struct tlv_schema *nest; /* TLV_NEST only */
	const char *name;	       /* for error messages */
};

struct tlv_schema {
	const struct tlv_rule *rules;
	size_t n_rules;
	/* Fields must appear in the order of RULES (all are then required):
	 * the header's layout is fixed. Otherwise any order. */
	uint8_t ordered;
	/* A tag with no rule is skipped (its length still checked) instead
	 * of refused: only where the enclosing length bounds it and no field
	 * changes meaning. */
	uint8_t skip_unknown;
	/* Lone padding bytes may end the sequence (header only). */
	uint8_t pad_tail;
};

/* What the reader found for one rule: V points into the buffer given to
 * tlv_read() (borrowed from it). */
struct tlv_field {
	const uint8_t *v;
	size_t len;
	size_t off; /* of the tag byte */
	uint8_t present;
};

/* Reads BUF[off, end) against SCHEMA into FIELDS (indexed by rule slot,
 * zeroed by the caller; NSLOTS entries), recursing into nested rules.
 * Returns 0 or -1 with a reason in ERRMSG; never reads outside
 * [buf + off, buf + end). *PAD (if not NULL) receives the count of
 * trailing padding bytes. */
int tlv_read(const struct tlv_schema *schema, const uint8_t *buf, size_t off,
	     size_t end, struct tlv_field *fields, size_t nslots, size_t *pad,
	     char *errmsg, size_t errcap);

/* Value of a present TLV_UINT (or TLV_U8/U16/U32) field; 0 if absent. */
uint32_t tlv_uint(const struct tlv_field *f);

/* ---- writer ----------------------------------------------------------- */

/* Sticky errors: after the first failure every call is a no-op and
 * tlv_buf_result() reports it. */
struct tlv_buf {
	uint8_t *p; /* owned */
	size_t len, cap;
	size_t max; /* never grows past this */
	int err;    /* 0, TRUSTLIST_ENOMEM, _ETOOBIG or _EINVAL */
};

void tlv_buf_init(struct tlv_buf *b, size_t max);
/* Frees the bytes. */
void tlv_buf_close(struct tlv_buf *b);
/* Hands the bytes over (caller frees) and resets B. */
uint8_t *tlv_buf_take(struct tlv_buf *b, size_t *len);
int tlv_buf_result(const struct tlv_buf *b);

void tlv_put_raw(struct tlv_buf *b, const void *v, size_t len);
/* A TLV; a value over 65535 bytes sets TRUSTLIST_EINVAL. */
void tlv_put(struct tlv_buf *b, uint8_t tag, const void *v, size_t len);
void tlv_put_u8(struct tlv_buf *b, uint8_t tag, uint8_t v);
void tlv_put_u16(struct tlv_buf *b, uint8_t tag, uint16_t v);
void tlv_put_u32(struct tlv_buf *b, uint8_t tag, uint32_t v);
/* Text with its terminating NUL. */
void tlv_put_str(struct tlv_buf *b, uint8_t tag, const char *s);
/* Starts a container; returns the offset tlv_close() needs. */
size_t tlv_open(struct tlv_buf *b, uint8_t tag);
/* Writes the container's length: everything written since tlv_open(). */
void tlv_close(struct tlv_buf *b, size_t at);
/* Padding bytes until the length is a multiple of ALIGN. */
void tlv_pad(struct tlv_buf *b, size_t align);
/* Overwrites 2 or 4 bytes at AT, which must already be written. */
void tlv_patch16(struct tlv_buf *b, size_t at, uint16_t v);
void tlv_patch32(struct tlv_buf *b, size_t at, uint32_t v);

#endif
