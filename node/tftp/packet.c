/* packet: TFTP request parsing and packet building (tftp_packet.h). */
#include "node/tftp/tftp_packet.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/be.h"

/* The NUL-terminated string at BUF[*pos], or NULL if it runs past LEN. */
static const char *next_string(const uint8_t *buf, size_t len, size_t *pos)
{
	const uint8_t *nul;

	if (*pos >= len)
		return NULL;
	nul = memchr(buf + *pos, '\0', len - *pos);
	if (!nul)
		return NULL;
	const char *s = (const char *)buf + *pos;
	*pos = (size_t)(nul - buf) + 1;
	return s;
}

/* A decimal option value: digits only, at most 20 of them, no overflow. */
static int parse_number(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t n = 0;

	if (!*s)
		return -1;
	for (; *s; s++, n++) {
		if (*s < '0' || *s > '9' || n >= 20)
			return -1;
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

int tftp_name_valid(const char *name)
{
	size_t n = strlen(name);
	int at_start = 1;

	if (n == 0 || n > TFTP_NAME_MAX)
		return 0;
	for (const char *p = name; *p; p++) {
		char c = *p;

		if (c == '/') {
			if (at_start)
				return 0; /* leading '/' or "//" */
			at_start = 1;
			continue;
		}
		if (at_start && c == '.')
			return 0; /* ".", "..", hidden names */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return 0;
		at_start = 0;
	}
	return !at_start; /* no trailing '/' */
}

static void request_option(struct tftp_request *req, const char *opt,
			   const char *val)
{
	uint64_t v;

	if (strcasecmp(opt, "blksize") == 0) {
		if (req->opts & TFTP_OPT_BLKSIZE ||
		    parse_number(val, UINT64_MAX, &v) != 0 ||
		    v < TFTP_BLKSIZE_MIN)
			return;
		/* RFC 2348: the server may answer a smaller size. */
		req->blksize =
		    v > TFTP_BLKSIZE_MAX ? TFTP_BLKSIZE_MAX : (unsigned)v;
		req->opts |= TFTP_OPT_BLKSIZE;
	} else if (strcasecmp(opt, "tsize") == 0) {
		if (req->opts & TFTP_OPT_TSIZE ||
		    parse_number(val, UINT64_MAX, &v) != 0)
			return;
		req->tsize = v;
		req->opts |= TFTP_OPT_TSIZE;
	} else if (strcasecmp(opt, "timeout") == 0) {
		if (req->opts & TFTP_OPT_TIMEOUT ||
		    parse_number(val, UINT64_MAX, &v) != 0 ||
		    v < TFTP_TIMEOUT_MIN || v > TFTP_TIMEOUT_MAX)
			return;
		req->timeout_s = (unsigned)v;
		req->opts |= TFTP_OPT_TIMEOUT;
	} else if (strcasecmp(opt, "windowsize") == 0) {
		if (req->opts & TFTP_OPT_WINDOWSIZE ||
		    parse_number(val, UINT64_MAX, &v) != 0 || v < 1 ||
		    v > 65535)
			return;
		req->windowsize =
		    v > TFTP_WINDOW_MAX ? TFTP_WINDOW_MAX : (unsigned)v;
		req->opts |= TFTP_OPT_WINDOWSIZE;
	}
}

enum tftp_parse tftp_request_parse(const uint8_t *buf, size_t len,
				   struct tftp_request *req,
				   enum tftp_error *err, const char **why)
{
	const char *name, *mode, *opt, *val;
	size_t pos = 2;
	uint16_t op;

	memset(req, 0, sizeof *req);
	*err = TFTP_ERR_ILLEGAL_OP;
	*why = "malformed request";
	if (len < 2)
		return TFTP_PARSE_DROP;
	op = be16_get(buf);
	req->opcode = op;
	if (op != TFTP_OP_RRQ && op != TFTP_OP_WRQ) {
		/* DATA/ACK/ERROR/OACK to the server port belong to no
		 * transfer; anything else is not TFTP. Answering them would
		 * let two servers play ping-pong. */
		return TFTP_PARSE_DROP;
	}
	if (len > TFTP_REQUEST_MAX) {
		*why = "request too long";
		return TFTP_PARSE_REFUSE;
	}
	name = next_string(buf, len, &pos);
	mode = name ? next_string(buf, len, &pos) : NULL;
	if (!name || !mode) {
		*why = "truncated request";
		return TFTP_PARSE_REFUSE;
	}
	if (strlen(name) > TFTP_NAME_MAX) {
		*err = TFTP_ERR_NOT_FOUND;
		*why = "file name too long";
		return TFTP_PARSE_REFUSE;
	}
	memcpy(req->name, name, strlen(name) + 1);
	if (strcasecmp(mode, "octet") == 0) {
		req->netascii = 0;
	} else if (strcasecmp(mode, "netascii") == 0) {
		req->netascii = 1;
	} else {
		*why = "unsupported mode (octet or netascii)";
		return TFTP_PARSE_REFUSE;
	}
	req->blksize = TFTP_BLKSIZE_DEFAULT;
	req->windowsize = 1;
	/* Options come in pairs; a dangling option name is a malformed
	 * request, trailing bytes without a NUL too. */
	while (pos < len) {
		opt = next_string(buf, len, &pos);
		val = opt ? next_string(buf, len, &pos) : NULL;
		if (!opt || !val) {
			*why = "malformed option";
			return TFTP_PARSE_REFUSE;
		}
		request_option(req, opt, val);
	}
	return TFTP_PARSE_OK;
}

size_t tftp_build_error(uint8_t *buf, size_t cap, enum tftp_error code,
			const char *msg)
{
	size_t n = strlen(msg);

	if (n > 200)
		n = 200;
	if (cap < 5 + n)
		return 0;
	be16_put(buf, TFTP_OP_ERROR);
	be16_put(buf + 2, (uint16_t)code);
	memcpy(buf + 4, msg, n);
	buf[4 + n] = '\0';
	return 5 + n;
}

size_t tftp_build_data(uint8_t *buf, size_t cap, uint16_t block,
		       const uint8_t *data, size_t len)
{
	if (cap < 4 + len)
		return 0;
	be16_put(buf, TFTP_OP_DATA);
	be16_put(buf + 2, block);
	if (len)
		memcpy(buf + 4, data, len);
	return 4 + len;
}

static size_t put_option(uint8_t *buf, size_t cap, size_t pos, const char *name,
			 uint64_t v)
{
	int n;

	if (pos == 0)
		return 0;
	n = snprintf((char *)buf + pos, cap - pos, "%s%c%llu", name, '\0',
		     (unsigned long long)v);
	if (n < 0 || (size_t)n + 1 > cap - pos)
		return 0;
	return pos + (size_t)n + 1;
}

size_t tftp_build_oack(uint8_t *buf, size_t cap, const struct tftp_request *req,
		       unsigned opts, uint64_t tsize)
{
	size_t pos = 2;

	if (cap < 2)
		return 0;
	be16_put(buf, TFTP_OP_OACK);
	if (opts & TFTP_OPT_BLKSIZE)
		pos = put_option(buf, cap, pos, "blksize", req->blksize);
	if (opts & TFTP_OPT_TSIZE)
		pos = put_option(buf, cap, pos, "tsize", tsize);
	if (opts & TFTP_OPT_TIMEOUT)
		pos = put_option(buf, cap, pos, "timeout", req->timeout_s);
	if (opts & TFTP_OPT_WINDOWSIZE)
		pos = put_option(buf, cap, pos, "windowsize", req->windowsize);
	return pos;
}

int tftp_reply_parse(const uint8_t *buf, size_t len, struct tftp_reply *out)
{
	memset(out, 0, sizeof *out);
	if (len < 4)
		return -1;
	out->opcode = be16_get(buf);
	if (out->opcode == TFTP_OP_ACK) {
		out->block = be16_get(buf + 2);
		return 0;
	}
	if (out->opcode == TFTP_OP_ERROR) {
		out->error = be16_get(buf + 2);
		return 0;
	}
	return -1;
}
