/* consensus/transport_common: what the plain TCP and the mutual-TLS
 * transports do alike — addresses, resolving them to listen and to dial, and
 * the handshake by which a caller names itself and the server it means. The
 * rest (sockets, TLS, handing streams to C-raft) is each transport's own.
 */
#include "consensus/transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/be.h"

int transport_address_copy(struct raft_uv_transport *t, const char *address,
			   char *out)
{
	if (strlen(address) > TRANSPORT_HS_ADDR_MAX) {
		snprintf(t->errmsg, sizeof t->errmsg, "address too long");
		return RAFT_NAMETOOLONG;
	}
	snprintf(out, TRANSPORT_HS_ADDR_MAX + 1, "%s", address);
	return 0;
}

/* ---- the handshake ---------------------------------------------------- */

size_t transport_hs_write(unsigned char *out, const char magic[8],
			  raft_id caller, raft_id callee, const char *address)
{
	size_t alen = strlen(address);

	memcpy(out, magic, 8);
	be64_put(out + 8, caller);
	be64_put(out + 16, callee);
	be64_put(out + 24, alen);
	memcpy(out + TRANSPORT_HS_HEAD, address, alen);
	return TRANSPORT_HS_HEAD + alen;
}

int transport_hs_head_check(const unsigned char *hs, const char magic[8],
			    raft_id self, size_t *alen)
{
	uint64_t n = be64_get(hs + 24);

	if (memcmp(hs, magic, 8) != 0 || be64_get(hs + 8) == 0 || n == 0 ||
	    n > TRANSPORT_HS_ADDR_MAX)
		return TRANSPORT_HS_MALFORMED;
	if (be64_get(hs + 16) != self)
		return TRANSPORT_HS_NOT_US;
	*alen = (size_t)n;
	return TRANSPORT_HS_OK;
}

const char *transport_hs_address(unsigned char *hs, size_t len)
{
	hs[len] = '\0';
	if (memchr(hs + TRANSPORT_HS_HEAD, '\0', len - TRANSPORT_HS_HEAD))
		return NULL;
	return (const char *)hs + TRANSPORT_HS_HEAD;
}

raft_id transport_hs_caller(const unsigned char *hs)
{
	return be64_get(hs + 8);
}

raft_id transport_hs_callee(const unsigned char *hs)
{
	return be64_get(hs + 16);
}

/* ---- listening and dialing -------------------------------------------- */

int transport_listen_resolve(struct raft_uv_transport *t, const char *address,
			     struct addrinfo **res)
{
	struct addrinfo hints;
	char host[TRANSPORT_HS_ADDR_MAX + 1], port[8];
	unsigned p;
	int rv;

	*res = NULL;
	if (addr_split(address, 0, host, sizeof host, &p) != 0) {
		snprintf(t->errmsg, sizeof t->errmsg,
			 "listen: bad address \"%.128s\"", address);
		return RAFT_INVALID;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(port, sizeof port, "%u", p);
	rv = getaddrinfo(host, port, &hints, res);
	if (rv != 0 || *res == NULL) {
		snprintf(t->errmsg, sizeof t->errmsg, "listen %.128s: %s",
			 address, gai_strerror(rv));
		return RAFT_IOERR;
	}
	return 0;
}

int transport_dial_split(struct raft_uv_transport *t, const char *address,
			 char *host, size_t hostcap, unsigned *port)
{
	if (addr_split(address, 0, host, hostcap, port) != 0) {
		snprintf(t->errmsg, sizeof t->errmsg, "bad address \"%.128s\"",
			 address);
		return RAFT_NOCONNECTION;
	}
	return 0;
}

int transport_dial_literal(const char *host, unsigned port,
			   struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof *ss);
	if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ss) == 0) {
		*len = sizeof(struct sockaddr_in);
		return 0;
	}
	if (uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)ss) == 0) {
		*len = sizeof(struct sockaddr_in6);
		return 0;
	}
	return -1;
}

int transport_dial_resolve(uv_loop_t *loop, uv_getaddrinfo_t *g,
			   uv_getaddrinfo_cb cb, const char *host,
			   unsigned port)
{
	struct addrinfo hints;
	char service[8];

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(service, sizeof service, "%u", port);
	return uv_getaddrinfo(loop, g, cb, host, service, &hints);
}
