/* portpool: a bitmap of port pairs and a cursor going round it. */
#include "node/keymgr/portpool.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

struct portpool {
	pthread_mutex_t mu;
	unsigned lo;	 /* first even port */
	unsigned npairs; /* pairs in the range */
	unsigned next;	 /* the pair to try first */
	unsigned used;
	uint8_t *taken; /* owned: one byte per pair */
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

unsigned portpool_take(struct portpool *p)
{
	unsigned port = 0;

	pthread_mutex_lock(&p->mu);
	for (unsigned k = 0; k < p->npairs && p->used < p->npairs; k++) {
		unsigned i = (p->next + k) % p->npairs;

		if (!p->taken[i]) {
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
