/* portpool: a bitmap of port pairs and a cursor going round it. */
#include "node/keymgr/portpool.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

struct portpool {
	pthread_mutex_t mu;
	unsigned lo;	 /* first even port */
	unsigned npairs; /* pairs in the range */
	unsigned next;	 /* the pair to try first */
	unsigned used;
	uint8_t *taken; /* owned: one byte per pair */
	/* owned: per port (two a pair), the socket its probe bound and kept
	 * for the relay session (portpool_claim), or -1 */
	int *held;
	int probe; /* check pairs with a bind before handing them out */
	struct sockaddr_storage addr;
};

struct portpool *portpool_new(unsigned lo, unsigned hi)
{
	struct portpool *p;

	if (lo % 2)
		lo++;
	if (lo < 1024 || hi > 65535 || lo >= hi)
		return NULL;
	p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->lo = lo;
	p->npairs = (hi - lo + 1) / 2;
	p->taken = calloc(p->npairs, 1);
	p->held = malloc(2 * p->npairs * sizeof *p->held);
	if (!p->taken || !p->held || pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p->taken);
		free(p->held);
		free(p);
		return NULL;
	}
	for (unsigned i = 0; i < 2 * p->npairs; i++)
		p->held[i] = -1;
	return p;
}

void portpool_free(struct portpool *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < 2 * p->npairs; i++)
		if (p->held[i] >= 0)
			close(p->held[i]);
	pthread_mutex_destroy(&p->mu);
	free(p->held);
	free(p->taken);
	free(p);
}

void portpool_probe_on(struct portpool *p, const struct sockaddr_storage *addr)
{
	pthread_mutex_lock(&p->mu);
	p->addr = *addr;
	p->probe = addr->ss_family == AF_INET || addr->ss_family == AF_INET6;
	pthread_mutex_unlock(&p->mu);
}

/* Binds PORT on P's address over UDP: the socket (non-blocking), -1 when
 * another socket holds the port, -2 when no socket could be made (no
 * verdict: the relay's bind will say). */
static int port_bind(const struct portpool *p, unsigned port)
{
	struct sockaddr_storage a = p->addr;
	socklen_t len = sizeof(struct sockaddr_in);
	int fd;

	if (a.ss_family == AF_INET6) {
		((struct sockaddr_in6 *)&a)->sin6_port = htons((uint16_t)port);
		len = sizeof(struct sockaddr_in6);
	} else {
		((struct sockaddr_in *)&a)->sin_port = htons((uint16_t)port);
	}
	fd = socket(a.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -2;
	if (bind(fd, (struct sockaddr *)&a, len) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* 1 when both ports of pair I can be bound now; their sockets are kept
 * in P->held. */
static int pair_free(struct portpool *p, unsigned i)
{
	int rtp = port_bind(p, p->lo + 2 * i), rtcp;

	if (rtp == -1)
		return 0;
	rtcp = port_bind(p, p->lo + 2 * i + 1);
	if (rtcp == -1) {
		if (rtp >= 0)
			close(rtp);
		return 0;
	}
	if (rtp < 0 || rtcp < 0) { /* no verdict on one: hold neither */
		if (rtp >= 0)
			close(rtp);
		if (rtcp >= 0)
			close(rtcp);
		return 1;
	}
	p->held[2 * i] = rtp;
	p->held[2 * i + 1] = rtcp;
	return 1;
}

static void pair_drop(struct portpool *p, unsigned i)
{
	for (unsigned k = 2 * i; k < 2 * i + 2; k++)
		if (p->held[k] >= 0) {
			close(p->held[k]);
			p->held[k] = -1;
		}
}

unsigned portpool_take(struct portpool *p)
{
	unsigned port = 0;

	pthread_mutex_lock(&p->mu);
	for (unsigned k = 0; k < p->npairs && p->used < p->npairs; k++) {
		unsigned i = (p->next + k) % p->npairs;

		if (!p->taken[i] && (!p->probe || pair_free(p, i))) {
			p->taken[i] = 1;
			p->used++;
			p->next = (i + 1) % p->npairs;
			port = p->lo + 2 * i;
			break;
		}
	}
	pthread_mutex_unlock(&p->mu);
	return port;
}

void portpool_give(struct portpool *p, unsigned port)
{
	unsigned i;

	if (!p || port < p->lo || (port - p->lo) % 2)
		return;
	i = (port - p->lo) / 2;
	pthread_mutex_lock(&p->mu);
	if (i < p->npairs && p->taken[i]) {
		pair_drop(p, i); /* the relay never claimed them */
		p->taken[i] = 0;
		p->used--;
	}
	pthread_mutex_unlock(&p->mu);
}

int portpool_claim(struct portpool *p, unsigned port, int fd[2])
{
	unsigned i;
	int rc = -1;

	fd[0] = fd[1] = -1;
	if (!p || port < p->lo || (port - p->lo) % 2)
		return -1;
	i = (port - p->lo) / 2;
	pthread_mutex_lock(&p->mu);
	if (i < p->npairs && p->taken[i] && p->held[2 * i] >= 0 &&
	    p->held[2 * i + 1] >= 0) {
		fd[0] = p->held[2 * i];
		fd[1] = p->held[2 * i + 1];
		p->held[2 * i] = p->held[2 * i + 1] = -1;
		rc = 0;
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}

unsigned portpool_used(struct portpool *p)
{
	unsigned n;

	pthread_mutex_lock(&p->mu);
	n = p->used;
	pthread_mutex_unlock(&p->mu);
	return n;
}
