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
	int probe;	/* check pairs with a bind before handing them out */
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
	if (!p->taken || pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p->taken);
		free(p);
		return NULL;
	}
	return p;
}

void portpool_free(struct portpool *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->mu);
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

/* 1 when PORT can be bound on P's address over UDP now. */
static int port_free(const struct portpool *p, unsigned port)
{
	struct sockaddr_storage a = p->addr;
	socklen_t len = sizeof(struct sockaddr_in);
	int fd, ok;

	if (a.ss_family == AF_INET6) {
		((struct sockaddr_in6 *)&a)->sin6_port = htons((uint16_t)port);
		len = sizeof(struct sockaddr_in6);
	} else {
		((struct sockaddr_in *)&a)->sin_port = htons((uint16_t)port);
	}
	fd = socket(a.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 1; /* no verdict: let the relay's bind say */
	ok = bind(fd, (struct sockaddr *)&a, len) == 0;
	close(fd);
	return ok;
}

unsigned portpool_take(struct portpool *p)
{
	unsigned port = 0;

	pthread_mutex_lock(&p->mu);
	for (unsigned k = 0; k < p->npairs && p->used < p->npairs; k++) {
		unsigned i = (p->next + k) % p->npairs;

		if (!p->taken[i] &&
		    (!p->probe || (port_free(p, p->lo + 2 * i) &&
				   port_free(p, p->lo + 2 * i + 1)))) {
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
		p->taken[i] = 0;
		p->used--;
	}
	pthread_mutex_unlock(&p->mu);
}

unsigned portpool_used(struct portpool *p)
{
	unsigned n;

	pthread_mutex_lock(&p->mu);
	n = p->used;
	pthread_mutex_unlock(&p->mu);
	return n;
}
