/* sdp_parse: one pass over the lines, a small state machine for their order,
 * and fixed-size output. Errors name the line number, never its text: an
 * a=crypto line carries keys. */
#include "sdp/sdp.h"

#include <arpa/inet.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/errmsg.h"

const char *sdp_strerror(int code)
{
	switch (code) {
#define X(c, text)                                                             \
	case c:                                                                \
		return text;
		SDP_ERRORS(X)
#undef X
	}
	return "unknown error";
}

static const char *const dir_names[] = {"sendrecv", "sendonly", "recvonly",
					"inactive"};

const char *sdp_dir_name(enum sdp_dir dir)
{
	if ((unsigned)dir >= sizeof dir_names / sizeof *dir_names)
		return "sendrecv";
	return dir_names[dir];
}

void sdp_session_wipe(struct sdp_session *s)
{
	size_t n;

	if (!s)
		return;
	/* The crypto lines are the only secrets: those of the m-lines in
	 * use and of the next (one being filled), not all 39 KB twice per
	 * rewrite. */
	n = s->nmedia < SDP_MAX_MEDIA ? s->nmedia + 1 : SDP_MAX_MEDIA;
	for (size_t i = 0; i < n; i++)
		OPENSSL_cleanse(s->media[i].crypto, sizeof s->media[i].crypto);
	s->nmedia = 0;
}

const struct sdp_conn *sdp_media_conn(const struct sdp_session *s, size_t i)
{
	if (!s || i >= s->nmedia)
		return NULL;
	if (s->media[i].has_conn)
		return &s->media[i].conn;
	return s->has_conn ? &s->conn : NULL;
}

/* A view of part of a line: not NUL-terminated. */
struct span {
	const char *p;
	size_t n;
};

/* Splits off the next space-separated token of *REST into *TOK. Runs of
 * spaces separate; 0 when no token is left. */
static int span_token(struct span *rest, struct span *tok)
{
	while (rest->n && rest->p[0] == ' ') {
		rest->p++;
		rest->n--;
	}
	if (!rest->n)
		return 0;
	tok->p = rest->p;
	tok->n = 0;
	while (rest->n && rest->p[0] != ' ') {
		rest->p++;
		rest->n--;
		tok->n++;
	}
	return 1;
}

static int span_eq(struct span s, const char *lit)
{
	return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

/* Copies S into DST (CAP bytes) NUL-terminated; SDP_ERANGE if it does not
 * fit or is empty. */
static int span_copy(struct span s, char *dst, size_t cap)
{
	if (s.n == 0 || s.n >= cap)
		return SDP_ERANGE;
	memcpy(dst, s.p, s.n);
	dst[s.n] = '\0';
	return SDP_OK;
}

/* Decimal digits only, at most 20, value <= MAX. */
static int span_u64(struct span s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s.n == 0 || s.n > 20)
		return SDP_ESYNTAX;
	for (size_t i = 0; i < s.n; i++) {
		unsigned d = (unsigned char)s.p[i] - '0';

		if (d > 9)
			return SDP_ESYNTAX;
		if (v > (UINT64_MAX - d) / 10)
			return SDP_ERANGE;
		v = v * 10 + d;
	}
	if (v > max)
		return SDP_ERANGE;
	*out = v;
	return SDP_OK;
}

static int span_uint(struct span s, unsigned max, unsigned *out)
{
	uint64_t v;
	int rc = span_u64(s, max, &v);

	if (rc == SDP_OK)
		*out = (unsigned)v;
	return rc;
}

/* "IN" ADDRTYPE ADDRESS: an IP literal of the type named (the relay checks
 * sources against it, so host names and multicast TTLs are refused). */
static int parse_conn(struct span *rest, struct sdp_conn *c)
{
	struct span net, type, addr, extra;
	unsigned char bin[16];
	int rc;

	if (!span_token(rest, &net) || !span_token(rest, &type) ||
	    !span_token(rest, &addr) || span_token(rest, &extra))
		return SDP_ESYNTAX;
	if (!span_eq(net, "IN"))
		return SDP_ESYNTAX;
	if (span_eq(type, "IP4"))
		c->type = SDP_ADDR_IP4;
	else if (span_eq(type, "IP6"))
		c->type = SDP_ADDR_IP6;
	else
		return SDP_ESYNTAX;
	if ((rc = span_copy(addr, c->addr, sizeof c->addr)) != SDP_OK)
		return rc;
	if (inet_pton(c->type == SDP_ADDR_IP4 ? AF_INET : AF_INET6, c->addr,
		      bin) != 1)
		return SDP_ERANGE;
	return SDP_OK;
}

static int parse_origin(struct span rest, struct sdp_session *s)
{
	struct span user, id, ver;
	int rc;

	if (!span_token(&rest, &user) || !span_token(&rest, &id) ||
	    !span_token(&rest, &ver))
		return SDP_ESYNTAX;
	if ((rc = span_copy(user, s->origin_user, sizeof s->origin_user)) ||
	    (rc = span_u64(id, UINT64_MAX, &s->sess_id)) ||
	    (rc = span_u64(ver, UINT64_MAX, &s->sess_version)))
		return rc;
	return parse_conn(&rest, &s->origin);
}

static int is_rtp_proto(const char *proto)
{
	return strstr(proto, "RTP/") != NULL;
}

static int parse_media_line(struct span rest, struct sdp_media *m)
{
	struct span type, port, proto, fmt;
	const char *slash;
	int rc;

	if (!span_token(&rest, &type) || !span_token(&rest, &port) ||
	    !span_token(&rest, &proto))
		return SDP_ESYNTAX;
	if ((rc = span_copy(type, m->type, sizeof m->type)) ||
	    (rc = span_copy(proto, m->proto, sizeof m->proto)))
		return rc;
	m->nports = 1;
	slash = memchr(port.p, '/', port.n);
	if (slash) {
		struct span n = {slash + 1,
				 port.n - (size_t)(slash - port.p) - 1};

		port.n = (size_t)(slash - port.p);
		if ((rc = span_uint(n, 65535, &m->nports)) || m->nports == 0)
			return rc ? rc : SDP_ERANGE;
	}
	if ((rc = span_uint(port, 65535, &m->port)))
		return rc;
	if (!span_token(&rest, &fmt))
		return SDP_ESYNTAX;
	do {
		if (!is_rtp_proto(m->proto))
			continue; /* formats of other protocols are not ours */
		if (m->nfmt == SDP_MAX_FMT)
			return SDP_ETOOMANY;
		if ((rc = span_uint(fmt, 127, &m->fmt[m->nfmt++])))
			return rc;
	} while (span_token(&rest, &fmt));
	m->dir = SDP_DIR_SENDRECV;
	return SDP_OK;
}

/* "PT ENCODING/CLOCK[/CHANNELS]" */
static int parse_rtpmap(struct span v, struct sdp_media *m)
{
	struct span pt, enc, clock, ch = {NULL, 0};
	struct sdp_rtpmap *r;
	const char *slash;
	int rc;

	if (!span_token(&v, &pt) || !span_token(&v, &enc) ||
	    span_token(&v, &clock))
		return SDP_ESYNTAX;
	if (m->nrtpmap == SDP_MAX_RTPMAP)
		return SDP_ETOOMANY;
	r = &m->rtpmap[m->nrtpmap];
	if ((rc = span_uint(pt, 127, &r->pt)))
		return rc;
	for (size_t i = 0; i < m->nrtpmap; i++)
		if (m->rtpmap[i].pt == r->pt)
			return SDP_ESYNTAX;
	slash = memchr(enc.p, '/', enc.n);
	if (!slash)
		return SDP_ESYNTAX;
	clock.p = slash + 1;
	clock.n = enc.n - (size_t)(slash - enc.p) - 1;
	enc.n = (size_t)(slash - enc.p);
	slash = memchr(clock.p, '/', clock.n);
	if (slash) {
		ch.p = slash + 1;
		ch.n = clock.n - (size_t)(slash - clock.p) - 1;
		clock.n = (size_t)(slash - clock.p);
	}
	if ((rc = span_copy(enc, r->encoding, sizeof r->encoding)) ||
	    (rc = span_uint(clock, 10000000, &r->clock)))
		return rc;
	if (r->clock == 0)
		return SDP_ERANGE;
	r->channels = 0;
	if (ch.p && ((rc = span_uint(ch, 255, &r->channels)) || !r->channels))
		return rc ? rc : SDP_ERANGE;
	m->nrtpmap++;
	return SDP_OK;
}

static int dir_from_name(struct span name, enum sdp_dir *out)
{
	for (unsigned i = 0; i < sizeof dir_names / sizeof *dir_names; i++) {
		if (span_eq(name, dir_names[i])) {
			*out = (enum sdp_dir)i;
			return 1;
		}
	}
	return 0;
}

/* An a= line at session level (M NULL) or media level. */
static int parse_attr(struct span v, struct sdp_session *s, struct sdp_media *m,
		      int *session_dir_seen)
{
	struct span name = v, value = {NULL, 0};
	const char *colon = memchr(v.p, ':', v.n);
	enum sdp_dir dir;

	if (colon) {
		name.n = (size_t)(colon - v.p);
		value.p = colon + 1;
		value.n = v.n - name.n - 1;
	}
	if (name.n == 0)
		return SDP_ESYNTAX;
	if (dir_from_name(name, &dir)) {
		int *seen = m ? &m->has_dir : session_dir_seen;

		if (colon || *seen)
			return SDP_ESYNTAX;
		*seen = 1;
		if (m)
			m->dir = dir;
		else
			s->dir = dir;
		return SDP_OK;
	}
	if (span_eq(name, "crypto")) {
		/* RFC 4568 keys belong to one stream: never session-wide. */
		if (!m || !colon)
			return SDP_ESYNTAX;
		if (m->ncrypto == SDP_MAX_CRYPTO)
			return SDP_ETOOMANY;
		return span_copy(value, m->crypto[m->ncrypto++],
				 SDP_CRYPTO_MAX);
	}
	if (!m)
		return SDP_OK; /* other session attributes are not ours */
	if (span_eq(name, "rtpmap"))
		return colon ? parse_rtpmap(value, m) : SDP_ESYNTAX;
	if (span_eq(name, "rtcp-mux")) {
		if (colon)
			return SDP_ESYNTAX;
		m->rtcp_mux = 1;
		return SDP_OK;
	}
	if (span_eq(name, "ptime"))
		return colon ? span_uint(value, 10000, &m->ptime) : SDP_ESYNTAX;
	return SDP_OK;
}

enum parse_state { ST_V, ST_O, ST_S, ST_SESSION, ST_MEDIA };

static int parse_line(char type, struct span v, enum parse_state *st,
		      struct sdp_session *s, int *have_t, int *session_dir)
{
	struct sdp_media *m = s->nmedia ? &s->media[s->nmedia - 1] : NULL;
	struct span t0, t1;
	int rc;

	switch (*st) {
	case ST_V:
		if (type != 'v')
			return SDP_EORDER;
		*st = ST_O;
		return span_eq(v, "0") ? SDP_OK : SDP_ERANGE;
	case ST_O:
		if (type != 'o')
			return SDP_EORDER;
		*st = ST_S;
		return parse_origin(v, s);
	case ST_S:
		if (type != 's')
			return SDP_EORDER;
		*st = ST_SESSION;
		/* s= may be one space (RFC 4566 asks senders for "-"). */
		if (v.n == 0 || (v.n == 1 && v.p[0] == ' '))
			return span_copy((struct span){"-", 1}, s->name,
					 sizeof s->name);
		return span_copy(v, s->name, sizeof s->name);
	case ST_SESSION:
	case ST_MEDIA:
		break;
	}
	switch (type) {
	case 'v':
	case 'o':
	case 's':
		return SDP_EORDER;
	case 'c':
		if (m) {
			if (m->has_conn)
				return SDP_ESYNTAX;
			m->has_conn = 1;
			return parse_conn(&v, &m->conn);
		}
		if (s->has_conn)
			return SDP_ESYNTAX;
		s->has_conn = 1;
		return parse_conn(&v, &s->conn);
	case 't':
		if (m)
			return SDP_EORDER;
		if (*have_t)
			return SDP_OK; /* further times: we keep the first */
		if (!span_token(&v, &t0) || !span_token(&v, &t1) ||
		    span_token(&v, &t0))
			return SDP_ESYNTAX;
		*have_t = 1;
		if ((rc = span_u64(t0, UINT64_MAX, &s->t_start)))
			return rc;
		return span_u64(t1, UINT64_MAX, &s->t_stop);
	case 'm':
		if (!*have_t)
			return SDP_EORDER;
		if (s->nmedia == SDP_MAX_MEDIA)
			return SDP_ETOOMANY;
		*st = ST_MEDIA;
		return parse_media_line(v, &s->media[s->nmedia++]);
	case 'a':
		return parse_attr(v, s, m, session_dir);
	default:
		return SDP_OK; /* i u e p b z k r: not needed for media */
	}
}

int sdp_parse(const char *text, size_t len, struct sdp_session *out,
	      char *errmsg, size_t errcap)
{
	enum parse_state st = ST_V;
	int have_t = 0, session_dir = 0, rc = SDP_OK;
	size_t pos = 0, lineno = 0;

	memset(out, 0, sizeof *out);
	if (!text || len > SDP_MAX_LEN) {
		rc = SDP_ETOOBIG;
		goto err;
	}
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;

		pos += n + (nl ? 1 : 0);
		lineno++;
		if (n && line[n - 1] == '\r')
			n--;
		if (n == 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)line[i];

			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				rc = SDP_ESYNTAX;
				goto err;
			}
		}
		if (n < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z') {
			rc = SDP_ESYNTAX;
			goto err;
		}
		rc = parse_line(line[0], (struct span){line + 2, n - 2}, &st,
				out, &have_t, &session_dir);
		if (rc != SDP_OK)
			goto err;
	}
	lineno = 0;
	if (st != ST_SESSION && st != ST_MEDIA) {
		rc = SDP_EORDER;
		goto err;
	}
	if (!have_t) {
		rc = SDP_EORDER;
		goto err;
	}
	for (size_t i = 0; i < out->nmedia; i++) {
		struct sdp_media *m = &out->media[i];

		if (!m->has_dir)
			m->dir = out->dir;
		if (m->port != 0 && !sdp_media_conn(out, i)) {
			rc = SDP_ENOCONN;
			goto err;
		}
	}
	return SDP_OK;
err:
	sdp_session_wipe(out);
	if (lineno)
		errmsg_set(errmsg, errcap, "sdp: %s at line %zu",
			   sdp_strerror(rc), lineno);
	else
		errmsg_set(errmsg, errcap, "sdp: %s", sdp_strerror(rc));
	return rc;
}
