/* addr: the one parser of network addresses — "host:port", "[v6]:port" and a
 * bare host — that the configuration, the admin API and the Raft transports
 * share, so that an address one of them accepts the others accept too.
 *
 * The grammar (no white space anywhere):
 *   address = host [":" port] | "[" ipv6 "]" [":" port]
 *   host    = ipv4 | name
 *   name    = labels of [A-Za-z0-9_-], 1..63 bytes each, joined by single
 *             dots, 253 bytes at most, not made of digits and dots only
 *             (so "127.0.0.256" is refused rather than looked up as a name)
 *   port    = 1..5 decimal digits, 1..65535
 * An IPv6 address needs brackets whenever a port may follow, and inside
 * brackets it must be one (inet_pton), so "::1:80" and "[host]:80" are
 * refused. Zone indexes ("%eth0") are not accepted.
 *
 * Pure functions of their arguments: any thread. */
#ifndef WARD_COMMON_ADDR_H
#define WARD_COMMON_ADDR_H

#include <stddef.h>

/* A DNS name of 253 bytes and its NUL; any IP literal is shorter. */
#define ADDR_HOST_MAX 254

/* Flags of addr_parse. */
#define ADDR_PORT_OPTIONAL 1u /* "host" alone is accepted, port 0 */

#define ADDR_ERRORS(X)                                                         \
	X(ADDR_OK, "ok")                                                       \
	X(ADDR_EEMPTY, "the address is empty")                                 \
	X(ADDR_EHOST, "the host is not an IP address or a host name")          \
	X(ADDR_EBRACKET, "a bracketed host must be an IPv6 address")           \
	X(ADDR_EV6BARE, "an IPv6 address needs brackets: [ADDRESS]:PORT")      \
	X(ADDR_ENOPORT, "the port is missing: HOST:PORT")                      \
	X(ADDR_EPORT, "the port is not a number from 1 to 65535")              \
	X(ADDR_ETOOLONG, "the host is too long")

#define ADDR_ERROR_ENUM(name, text) name,
enum addr_error { ADDR_ERRORS(ADDR_ERROR_ENUM) };
#undef ADDR_ERROR_ENUM

enum addr_kind {
	ADDR_KIND_NAME = 1,
	ADDR_KIND_IPV4,
	ADDR_KIND_IPV6,
};

struct addr {
	char host[ADDR_HOST_MAX]; /* without brackets */
	unsigned port;		  /* 1..65535, or 0 when none was given */
	enum addr_kind kind;
};

/* Parses TEXT (borrowed, NUL-terminated; NULL is refused) into OUT
 * (caller's). A port is required unless FLAGS has ADDR_PORT_OPTIONAL. Returns
 * ADDR_OK, or an ADDR_E* code (OUT then undefined). */
int addr_parse(const char *text, unsigned flags, struct addr *out);

/* As addr_parse, with the host copied into HOST (caller's, CAP bytes) and
 * the port into *PORT: ADDR_ETOOLONG if the host does not fit (never
 * truncated). */
int addr_split(const char *text, unsigned flags, char *host, size_t cap,
	       unsigned *port);

/* 1 if TEXT (borrowed) is a valid address under FLAGS, else 0. */
int addr_valid(const char *text, unsigned flags);

/* 1 if HOST (borrowed, no brackets) is an IPv4 or IPv6 literal, else 0. */
int addr_host_is_ip(const char *host);

/* 1 if A is an IP address a peer can be sent to: an IP literal that is not
 * the wildcard (0.0.0.0 or ::). */
int addr_is_dialable_ip(const struct addr *a);

/* HOST (borrowed, no brackets) and PORT as an address addr_parse reads back:
 * "[HOST]:PORT" for an IPv6 host, else "HOST:PORT", into OUT (caller's, CAP
 * bytes). 0, or -1 if it does not fit (OUT then holds ""). */
int addr_format(const char *host, unsigned port, char *out, size_t cap);

struct sockaddr;

/* SA's address and port as addr_format writes them, into OUT (caller's,
 * CAP bytes); "?" for a family other than IPv4 and IPv6. */
void addr_sa_format(const struct sockaddr *sa, char *out, size_t cap);

/* 1 if A and B are the same IPv4 or IPv6 address and port, else 0. */
int addr_sa_same(const struct sockaddr *a, const struct sockaddr *b);

/* Static text of CODE; never NULL. */
const char *addr_strerror(int code);

#endif
