/* sdp_write: the inverse of sdp_parse for the fields it keeps, so that what
 * ward writes parses back to the same struct. */
#include "sdp/sdp.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

struct out {
	char *buf;
	size_t cap, len;
	int failed;
};

__attribute__((format(printf, 2, 3))) static void
out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (o->failed)
		return;
	va_start(ap, fmt);
	k = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= o->cap - o->len) {
		o->failed = 1;
		return;
	}
	o->len += (size_t)k;
}

static const char *addrtype(const struct sdp_conn *c)
{
	return c->type == SDP_ADDR_IP6 ? "IP6" : "IP4";
}

/* Text the parser would read back as one token. */
static int token_ok(const char *t)
{
	if (!t[0])
		return 0;
	for (; *t; t++)
		if ((unsigned char)*t <= ' ' || *t == 0x7f)
			return 0;
	return 1;
}

static int media_ok(const struct sdp_media *m)
{
	if (!token_ok(m->type) || !token_ok(m->proto) || m->port > 65535 ||
	    m->nports == 0 || m->nfmt > SDP_MAX_FMT ||
	    m->nrtpmap > SDP_MAX_RTPMAP || m->ncrypto > SDP_MAX_CRYPTO ||
	    (m->nfmt == 0 && strstr(m->proto, "RTP/")))
		return 0;
	for (size_t i = 0; i < m->nrtpmap; i++)
		if (!token_ok(m->rtpmap[i].encoding) ||
		    strchr(m->rtpmap[i].encoding, '/') ||
		    m->rtpmap[i].clock == 0 || m->rtpmap[i].pt > 127)
			return 0;
	for (size_t i = 0; i < m->ncrypto; i++)
		if (!m->crypto[i][0] || strpbrk(m->crypto[i], "\r\n") != NULL)
			return 0;
	return 1;
}

static void write_media(struct out *o, const struct sdp_media *m)
{
	out_printf(o, "m=%s %u", m->type, m->port);
	if (m->nports != 1)
		out_printf(o, "/%u", m->nports);
	out_printf(o, " %s", m->proto);
	for (size_t i = 0; i < m->nfmt; i++)
		out_printf(o, " %u", m->fmt[i]);
	if (m->nfmt == 0)
		out_printf(o,
			   " *"); /* a non-RTP stream whose formats we drop */
	out_printf(o, "\r\n");
	if (m->has_conn)
		out_printf(o, "c=IN %s %s\r\n", addrtype(&m->conn),
			   m->conn.addr);
	for (size_t i = 0; i < m->nrtpmap; i++) {
		const struct sdp_rtpmap *r = &m->rtpmap[i];

		out_printf(o, "a=rtpmap:%u %s/%u", r->pt, r->encoding,
			   r->clock);
		if (r->channels)
			out_printf(o, "/%u", r->channels);
		out_printf(o, "\r\n");
	}
	if (m->ptime)
		out_printf(o, "a=ptime:%u\r\n", m->ptime);
	out_printf(o, "a=%s\r\n", sdp_dir_name(m->dir));
	if (m->rtcp_mux)
		out_printf(o, "a=rtcp-mux\r\n");
	for (size_t i = 0; i < m->ncrypto; i++)
		out_printf(o, "a=crypto:%s\r\n", m->crypto[i]);
}

int sdp_write(const struct sdp_session *s, char *buf, size_t cap,
	      size_t *out_len)
{
	struct out o = {buf, cap, 0, 0};

	if (!cap)
		return SDP_ESPACE;
	if (!token_ok(s->origin_user) || !token_ok(s->origin.addr) ||
	    !s->name[0] || strpbrk(s->name, "\r\n") ||
	    s->nmedia > SDP_MAX_MEDIA ||
	    (s->has_conn && !token_ok(s->conn.addr)))
		return SDP_ERANGE;
	for (size_t i = 0; i < s->nmedia; i++)
		if (!media_ok(&s->media[i]) ||
		    (s->media[i].has_conn && !token_ok(s->media[i].conn.addr)))
			return SDP_ERANGE;
	out_printf(&o, "v=0\r\no=%s %" PRIu64 " %" PRIu64 " IN %s %s\r\n",
		   s->origin_user, s->sess_id, s->sess_version,
		   addrtype(&s->origin), s->origin.addr);
	out_printf(&o, "s=%s\r\n", s->name);
	if (s->has_conn)
		out_printf(&o, "c=IN %s %s\r\n", addrtype(&s->conn),
			   s->conn.addr);
	out_printf(&o, "t=%" PRIu64 " %" PRIu64 "\r\n", s->t_start, s->t_stop);
	/* The session direction is written per m-line, where it applies. */
	for (size_t i = 0; i < s->nmedia; i++)
		write_media(&o, &s->media[i]);
	if (o.failed) {
		OPENSSL_cleanse(buf, cap);
		return SDP_ESPACE;
	}
	if (out_len)
		*out_len = o.len;
	return SDP_OK;
}
