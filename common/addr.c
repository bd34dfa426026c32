/* addr: one parser of "host:port", "[v6]:port" and bare hosts (see addr.h
 * for the grammar). */
#include "common/addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define ADDR_NAME_MAX 253
#define ADDR_LABEL_MAX 63

static int addr_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int addr_name_char(char c)
{
	return addr_is_digit(c) || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

/* The N bytes at S as a host name: labels of name characters, single dots
 * between them, not digits and dots only. */
static int addr_name_ok(const char *s, size_t n)
{
	size_t label = 0;
	int letters = 0;

	if (n == 0 || n > ADDR_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!addr_name_char(s[i]) || ++label > ADDR_LABEL_MAX)
			return 0;
		if (!addr_is_digit(s[i]))
			letters = 1;
	}
	return label > 0 && letters;
}

/* "1".."65535" in decimal digits only: no sign, space or leading zeros
 * beyond five digits. */
static int addr_port_parse(const char *s, unsigned *port)
{
	unsigned long p = 0;
	size_t n = 0;

	for (; s[n]; n++) {
		if (!addr_is_digit(s[n]) || n >= 5)
			return -1;
		p = p * 10 + (unsigned long)(s[n] - '0');
	}
	if (n == 0 || p == 0 || p > 65535)
		return -1;
	*port = (unsigned)p;
	return 0;
}

int addr_parse(const char *text, unsigned flags, struct addr *out)
{
	unsigned char bin[16];
	const char *h, *rest;
	size_t hlen;

	if (!text || !*text)
		return ADDR_EEMPTY;
	memset(out, 0, sizeof *out);
	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close)
			return ADDR_EBRACKET;
		h = text + 1;
		hlen = (size_t)(close - h);
		rest = close + 1;
		if (*rest && *rest != ':')
			return ADDR_EBRACKET;
		if (hlen >= ADDR_HOST_MAX)
			return ADDR_ETOOLONG;
		memcpy(out->host, h, hlen);
		out->host[hlen] = '\0';
		if (inet_pton(AF_INET6, out->host, bin) != 1)
			return ADDR_EBRACKET;
		out->kind = ADDR_KIND_IPV6;
	} else {
		const char *colon = strchr(text, ':');

		if (colon && strchr(colon + 1, ':'))
			return ADDR_EV6BARE;
		hlen = colon ? (size_t)(colon - text) : strlen(text);
		rest = text + hlen;
		if (hlen == 0)
			return ADDR_EHOST;
		if (hlen >= ADDR_HOST_MAX)
			return ADDR_ETOOLONG;
		memcpy(out->host, text, hlen);
		out->host[hlen] = '\0';
		if (inet_pton(AF_INET, out->host, bin) == 1)
			out->kind = ADDR_KIND_IPV4;
		else if (addr_name_ok(out->host, hlen))
			out->kind = ADDR_KIND_NAME;
		else
			return ADDR_EHOST;
	}
	if (*rest == '\0')
		return flags & ADDR_PORT_OPTIONAL ? ADDR_OK : ADDR_ENOPORT;
	return addr_port_parse(rest + 1, &out->port) == 0 ? ADDR_OK
							  : ADDR_EPORT;
}

int addr_split(const char *text, unsigned flags, char *host, size_t cap,
	       unsigned *port)
{
	struct addr a;
	size_t n;
	int rc = addr_parse(text, flags, &a);

	if (rc != ADDR_OK)
		return rc;
	n = strlen(a.host);
	if (n >= cap)
		return ADDR_ETOOLONG;
	memcpy(host, a.host, n + 1);
	*port = a.port;
	return ADDR_OK;
}

int addr_valid(const char *text, unsigned flags)
{
	struct addr a;

	return addr_parse(text, flags, &a) == ADDR_OK;
}

int addr_host_is_ip(const char *host)
{
	unsigned char bin[16];

	return host && (inet_pton(AF_INET, host, bin) == 1 ||
			inet_pton(AF_INET6, host, bin) == 1);
}

int addr_is_dialable_ip(const struct addr *a)
{
	static const unsigned char zero[16];
	unsigned char bin[16];

	if (a->kind == ADDR_KIND_IPV4)
		return inet_pton(AF_INET, a->host, bin) == 1 &&
		       memcmp(bin, zero, 4) != 0;
	if (a->kind == ADDR_KIND_IPV6)
		return inet_pton(AF_INET6, a->host, bin) == 1 &&
		       memcmp(bin, zero, 16) != 0;
	return 0;
}

int addr_format(const char *host, unsigned port, char *out, size_t cap)
{
	int n = snprintf(out, cap, strchr(host, ':') ? "[%s]:%u" : "%s:%u",
			 host, port);

	if (n < 0 || (size_t)n >= cap) {
		if (cap)
			out[0] = '\0';
		return -1;
	}
	return 0;
}

void addr_sa_format(const struct sockaddr *sa, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
		if (addr_format(ip, ntohs(s4->sin_port), out, cap) == 0)
			return;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
		if (addr_format(ip, ntohs(s6->sin6_port), out, cap) == 0)
			return;
	}
	snprintf(out, cap, "?");
}

int addr_sa_same(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a,
					 *y = (const void *)b;
		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a,
					  *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
	}
	return 0;
}

const char *addr_strerror(int code)
{
#define ADDR_ERROR_TEXT(name, text) [name] = text,
	static const char *const texts[] = {ADDR_ERRORS(ADDR_ERROR_TEXT)};
#undef ADDR_ERROR_TEXT

	if (code < 0 || (size_t)code >= sizeof texts / sizeof *texts)
		return "unknown address error";
	return texts[code];
}
