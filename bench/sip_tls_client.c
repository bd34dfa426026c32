/* sip_tls_client: the persistent-TLS benchmarks' shared parts. */
#include "sip_tls_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "node/sip/uac_auth.h"

double bench_now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int bench_tls_connect(struct bench_tls *c, SSL_CTX *ctx, const char *host,
		      int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port)};
	int one = 1;

	if (inet_pton(AF_INET, host, &a.sin_addr) != 1)
		return -1;
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->ssl = SSL_new(ctx);
	if (!c->ssl)
		return -1;
	SSL_set_fd(c->ssl, c->fd);
	if (SSL_connect(c->ssl) != 1)
		return -1;
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	c->inlen = 0;
	return 0;
}

int bench_tls_send(struct bench_tls *c, const char *buf, int n)
{
	return SSL_write(c->ssl, buf, n) == n ? 0 : -1;
}

int bench_tls_read(struct bench_tls *c)
{
	int r;

	while (c->inlen < sizeof c->in - 1 &&
	       (r = SSL_read(c->ssl, c->in + c->inlen,
			     (int)(sizeof c->in - 1 - c->inlen))) > 0)
		c->inlen += (size_t)r;
	if (c->inlen >= sizeof c->in - 1)
		return -1;
	return SSL_get_error(c->ssl, r) == SSL_ERROR_WANT_READ ? 0 : -1;
}

int bench_sip_take(struct bench_tls *c, char *msg, size_t cap)
{
	char *end, *p;
	size_t head, body = 0, used;

	/* CRLF keepalives (RFC 5626) between messages. */
	while (c->inlen >= 2 && c->in[0] == '\r' && c->in[1] == '\n') {
		memmove(c->in, c->in + 2, c->inlen - 2);
		c->inlen -= 2;
	}
	c->in[c->inlen] = '\0';
	end = strstr(c->in, "\r\n\r\n");
	if (!end)
		return 0;
	head = (size_t)(end + 4 - c->in);
	for (p = strstr(c->in, "\r\n"); p && p < end;
	     p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, "Content-Length:", 15) == 0)
			body = strtoul(p + 17, NULL, 10);
		else if (strncasecmp(p + 2, "l:", 2) == 0)
			body = strtoul(p + 4, NULL, 10);
	}
	used = head + body;
	if (used >= cap)
		return -1;
	if (used > c->inlen)
		return 0;
	memcpy(msg, c->in, used);
	msg[used] = '\0';
	memmove(c->in, c->in + used, c->inlen - used);
	c->inlen -= used;
	return (int)used;
}

int bench_sip_status(const char *msg)
{
	int status;

	return sscanf(msg, "SIP/2.0 %d", &status) == 1 ? status : 0;
}

/* The start of the first line of MSG's headers named NAME, past "NAME:"
 * and blanks; NULL if none. */
static const char *hdr_at(const char *msg, const char *name)
{
	size_t n = strlen(name);
	const char *end = strstr(msg, "\r\n\r\n");

	for (const char *p = strstr(msg, "\r\n"); p && p < end;
	     p = strstr(p, "\r\n")) {
		p += 2;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			return p;
		}
	}
	return NULL;
}

const char *bench_sip_hdr(const char *msg, const char *name, char *out,
			  size_t cap)
{
	const char *v = hdr_at(msg, name), *e;

	if (!v || !(e = strstr(v, "\r\n")) || (size_t)(e - v) >= cap)
		return NULL;
	memcpy(out, v, (size_t)(e - v));
	out[e - v] = '\0';
	return out;
}

void bench_sip_vias(const char *msg, char *out, size_t cap)
{
	const char *end = strstr(msg, "\r\n\r\n");
	size_t o = 0;

	out[0] = '\0';
	for (const char *p = strstr(msg, "\r\n"); p && p < end;
	     p = strstr(p, "\r\n")) {
		const char *e;
		p += 2;
		if (strncasecmp(p, "Via:", 4) != 0 &&
		    strncasecmp(p, "v:", 2) != 0)
			continue;
		e = strstr(p, "\r\n");
		if (!e || o + (size_t)(e - p) + 3 > cap)
			return;
		memcpy(out + o, p, (size_t)(e + 2 - p));
		o += (size_t)(e + 2 - p);
		out[o] = '\0';
	}
}

int bench_sip_nonce(const char *msg, char *nonce, size_t cap)
{
	const char *p = strstr(msg, "nonce=\""), *q;
	const char *end = strstr(msg, "\r\n\r\n");

	if (!p || p > end || !(q = strchr(p + 7, '"')) ||
	    (size_t)(q - p - 7) >= cap)
		return -1;
	memcpy(nonce, p + 7, (size_t)(q - p - 7));
	nonce[q - p - 7] = '\0';
	return 0;
}

int bench_sip_digest(char *out, size_t cap, const char *hdr, const char *user,
		     const char *realm, const char *password, const char *nonce,
		     unsigned nc, const char *method, const char *uri)
{
	struct sip_uac_challenge ch = {.alg = SIP_DIGEST_MD5, .qop_auth = 1};
	char answer[SIP_UAC_ANSWER_MAX], cnonce[17];
	int n;

	if (snprintf(ch.realm, sizeof ch.realm, "%s", realm) >=
		(int)sizeof ch.realm ||
	    snprintf(ch.nonce, sizeof ch.nonce, "%s", nonce) >=
		(int)sizeof ch.nonce)
		return -1;
	snprintf(cnonce, sizeof cnonce, "%08x%08x", (unsigned)rand(), nc);
	if (sip_uac_auth_answer_with(&ch, method, uri, user, password, cnonce,
				     nc, answer, sizeof answer) != 0)
		return -1;
	n = snprintf(out, cap, "%s: %s\r\n", hdr, answer);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}
