/* msg: CAPF message framing, parsing and building (capf_msg.h). */
#include "node/capf/capf_msg.h"

#include <string.h>

#include "common/be.h"

const char *capf_msg_strerror(int code)
{
#define CAPF_MSG_ERROR_TEXT(name, text)                                        \
	case name:                                                             \
		return text;
	switch (code) {
		CAPF_MSG_ERRORS(CAPF_MSG_ERROR_TEXT)
	}
#undef CAPF_MSG_ERROR_TEXT
	return "unknown error";
}

/* Size of a fixed-size element, 0 for variable ones, -1 for unknown tags. */
static int tag_size(uint8_t tag)
{
	switch (tag) {
	case CAPF_TAG_REASON:
	case CAPF_TAG_CERT_TYPE:
	case CAPF_TAG_VERSION:
	case CAPF_TAG_AUTH_TYPE:
	case CAPF_TAG_KEY_TYPE:
	case CAPF_TAG_CURVE:
	case CAPF_TAG_DIGEST_TYPE:
		return 1;
	case CAPF_TAG_KEY_SIZE:
		return 2;
	case CAPF_TAG_REASON_INFO:
	case CAPF_TAG_CERT:
	case CAPF_TAG_SIGNED_DATA:
	case CAPF_TAG_PUBLIC_KEY:
	case CAPF_TAG_PASSWORD:
	case CAPF_TAG_DEVICE_NAME:
	case CAPF_TAG_SUDI_DATA:
	case CAPF_TAG_SHA2_SIGNED:
		return 0;
	default:
		return -1;
	}
}

int capf_msg_frame(const uint8_t *buf, size_t len, size_t *total)
{
	uint16_t body;

	*total = 0;
	if (len >= 1 && buf[0] != CAPF_PROTOCOL_ID)
		return CAPF_MSG_EPROTO;
	if (len < CAPF_HEADER_LEN)
		return CAPF_MSG_EAGAIN;
	body = be16_get(buf + 6);
	if (body > CAPF_BODY_MAX)
		return CAPF_MSG_ETOOBIG;
	*total = CAPF_HEADER_LEN + (size_t)body;
	return CAPF_MSG_OK;
}

int capf_msg_parse(const uint8_t *buf, size_t len, struct capf_msg *out)
{
	size_t total, pos;
	uint32_t seen = 0; /* tags 1..31 seen so far */
	int rc;

	memset(out, 0, sizeof *out);
	rc = capf_msg_frame(buf, len, &total);
	if (rc != CAPF_MSG_OK)
		return rc;
	if (len != total)
		return len < total ? CAPF_MSG_ETRUNC : CAPF_MSG_ESIZE;
	out->cmd = buf[1];
	out->session = be32_get(buf + 2);
	out->body_len = be16_get(buf + 6);
	for (pos = CAPF_HEADER_LEN; pos < len;) {
		uint8_t tag;
		uint16_t elen;
		int size;

		if (len - pos < 3)
			return CAPF_MSG_ETRUNC;
		tag = buf[pos];
		elen = be16_get(buf + pos + 1);
		pos += 3;
		if (elen > len - pos)
			return CAPF_MSG_ETRUNC;
		size = tag_size(tag);
		if (size < 0)
			return CAPF_MSG_ETAG;
		if (seen & (1u << tag))
			return CAPF_MSG_EDUP;
		if (size > 0 && elen != size)
			return CAPF_MSG_ESIZE;
		if (out->n == CAPF_ELEMS_MAX)
			return CAPF_MSG_ETOOBIG; /* cannot happen: tags < 24 */
		seen |= 1u << tag;
		out->elem[out->n].tag = tag;
		out->elem[out->n].len = elen;
		out->elem[out->n].val = buf + pos;
		out->n++;
		pos += elen;
	}
	return CAPF_MSG_OK;
}

const struct capf_elem *capf_msg_find(const struct capf_msg *msg, uint8_t tag)
{
	for (size_t i = 0; i < msg->n; i++)
		if (msg->elem[i].tag == tag)
			return &msg->elem[i];
	return NULL;
}

int capf_msg_get_u8(const struct capf_msg *msg, uint8_t tag, uint8_t *out)
{
	const struct capf_elem *e = capf_msg_find(msg, tag);

	if (!e || e->len != 1)
		return CAPF_MSG_EVALUE;
	*out = e->val[0];
	return CAPF_MSG_OK;
}

int capf_msg_get_u16(const struct capf_msg *msg, uint8_t tag, uint16_t *out)
{
	const struct capf_elem *e = capf_msg_find(msg, tag);

	if (!e || e->len != 2)
		return CAPF_MSG_EVALUE;
	*out = be16_get(e->val);
	return CAPF_MSG_OK;
}

int capf_msg_get_str(const struct capf_msg *msg, uint8_t tag, char *out,
		     size_t cap)
{
	const struct capf_elem *e = capf_msg_find(msg, tag);
	size_t n;

	if (cap == 0)
		return CAPF_MSG_EVALUE;
	out[0] = '\0';
	if (!e)
		return CAPF_MSG_EVALUE;
	n = e->len;
	if (n > 0 && e->val[n - 1] == '\0')
		n--;
	if (n == 0 || n >= cap)
		return CAPF_MSG_EVALUE;
	for (size_t i = 0; i < n; i++)
		if (e->val[i] < 0x20 || e->val[i] > 0x7e)
			return CAPF_MSG_EVALUE;
	memcpy(out, e->val, n);
	out[n] = '\0';
	return CAPF_MSG_OK;
}

int capf_cert_elem_parse(const uint8_t *val, size_t len, uint8_t *type,
			 const uint8_t **der, size_t *der_len)
{
	*der = NULL;
	*der_len = 0;
	if (len <= CAPF_CERT_PREFIX_LEN || val[0] != 0x01 || val[3] != 0x00)
		return CAPF_MSG_EVALUE;
	if (be16_get(val + 1) != len - CAPF_CERT_PREFIX_LEN + 2)
		return CAPF_MSG_EVALUE;
	*type = val[4];
	*der = val + CAPF_CERT_PREFIX_LEN;
	*der_len = len - CAPF_CERT_PREFIX_LEN;
	return CAPF_MSG_OK;
}

int capf_sha2_sig_parse(const uint8_t *val, size_t len, uint8_t *digest,
			const uint8_t **sig, size_t *sig_len)
{
	*sig = NULL;
	*sig_len = 0;
	if (len < 4 || be16_get(val + 1) != len - 3)
		return CAPF_MSG_EVALUE;
	*digest = val[0];
	*sig = val + 3;
	*sig_len = len - 3;
	return CAPF_MSG_OK;
}

/* ---- building ----------------------------------------------------------- */

void capf_build_begin(struct capf_build *b, uint8_t *buf, size_t cap,
		      uint8_t cmd, uint32_t session)
{
	b->buf = buf;
	b->cap = cap < CAPF_MSG_MAX ? cap : CAPF_MSG_MAX;
	b->len = 0;
	b->err = CAPF_MSG_OK;
	if (b->cap < CAPF_HEADER_LEN) {
		b->err = CAPF_MSG_ENOSPACE;
		return;
	}
	buf[0] = CAPF_PROTOCOL_ID;
	buf[1] = cmd;
	be32_put(buf + 2, session);
	be16_put(buf + 6, 0);
	b->len = CAPF_HEADER_LEN;
}

/* Room for an element of LEN value bytes; writes its tag and length. */
static uint8_t *build_elem(struct capf_build *b, uint8_t tag, size_t len)
{
	uint8_t *p;

	if (b->err != CAPF_MSG_OK)
		return NULL;
	if (len > 0xffff || b->cap - b->len < 3 + len) {
		b->err = CAPF_MSG_ENOSPACE;
		return NULL;
	}
	p = b->buf + b->len;
	p[0] = tag;
	be16_put(p + 1, (uint16_t)len);
	b->len += 3 + len;
	return p + 3;
}

void capf_build_add(struct capf_build *b, uint8_t tag, const void *val,
		    size_t len)
{
	uint8_t *p = build_elem(b, tag, len);

	if (p && len)
		memcpy(p, val, len);
}

void capf_build_u8(struct capf_build *b, uint8_t tag, uint8_t v)
{
	capf_build_add(b, tag, &v, 1);
}

void capf_build_u16(struct capf_build *b, uint8_t tag, uint16_t v)
{
	uint8_t p[2];

	be16_put(p, v);
	capf_build_add(b, tag, p, 2);
}

void capf_build_str(struct capf_build *b, uint8_t tag, const char *s)
{
	capf_build_add(b, tag, s, strlen(s) + 1);
}

void capf_build_cert(struct capf_build *b, uint8_t type, const uint8_t *der,
		     size_t der_len)
{
	uint8_t *p;

	if (der_len > 0xffff - CAPF_CERT_PREFIX_LEN) {
		if (b->err == CAPF_MSG_OK)
			b->err = CAPF_MSG_ENOSPACE;
		return;
	}
	p = build_elem(b, CAPF_TAG_CERT, CAPF_CERT_PREFIX_LEN + der_len);
	if (!p)
		return;
	p[0] = 0x01;
	be16_put(p + 1, (uint16_t)(der_len + 2));
	p[3] = 0x00;
	p[4] = type;
	memcpy(p + CAPF_CERT_PREFIX_LEN, der, der_len);
}

void capf_build_sha2_sig(struct capf_build *b, uint8_t digest,
			 const uint8_t *sig, size_t sig_len)
{
	uint8_t *p;

	if (sig_len > 0xffff - 3) {
		if (b->err == CAPF_MSG_OK)
			b->err = CAPF_MSG_ENOSPACE;
		return;
	}
	p = build_elem(b, CAPF_TAG_SHA2_SIGNED, 3 + sig_len);
	if (!p)
		return;
	p[0] = digest;
	be16_put(p + 1, (uint16_t)sig_len);
	memcpy(p + 3, sig, sig_len);
}

int capf_build_end(struct capf_build *b, size_t *len)
{
	*len = 0;
	if (b->err != CAPF_MSG_OK)
		return b->err;
	be16_put(b->buf + 6, (uint16_t)(b->len - CAPF_HEADER_LEN));
	*len = b->len;
	return CAPF_MSG_OK;
}

const char *capf_cmd_name(uint8_t cmd)
{
	static const char *const names[] = {
	    [CAPF_CMD_AUTH_REQ] = "auth-request",
	    [CAPF_CMD_AUTH_RESP] = "auth-response",
	    [CAPF_CMD_KEYGEN_REQ] = "key-generate-request",
	    [CAPF_CMD_KEYGEN_RESP] = "key-generate-response",
	    [CAPF_CMD_STORE_CERT_REQ] = "store-certificate-request",
	    [CAPF_CMD_STORE_CERT_RESP] = "store-certificate-response",
	    [CAPF_CMD_FETCH_CERT_REQ] = "fetch-certificate-request",
	    [CAPF_CMD_FETCH_CERT_RESP] = "fetch-certificate-response",
	    [CAPF_CMD_DELETE_CERT_REQ] = "delete-certificate-request",
	    [CAPF_CMD_DELETE_CERT_RESP] = "delete-certificate-response",
	    [CAPF_CMD_END_SESSION] = "end-session",
	    [CAPF_CMD_RETRY_LATER] = "retry-later",
	    [CAPF_CMD_IN_PROGRESS] = "request-in-progress",
	    [CAPF_CMD_STATUS_REQ] = "status-request",
	    [CAPF_CMD_STATUS_RESP] = "status-response",
	    [CAPF_CMD_ABORT_REQ] = "abort-request",
	    [CAPF_CMD_ABORT_RESP] = "abort-response",
	};

	if (cmd < sizeof names / sizeof names[0] && names[cmd])
		return names[cmd];
	return "unknown";
}
