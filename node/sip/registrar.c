/* registrar: an in-memory binding table keyed by device name. */
#include "node/sip/registrar.h"

#include <stdlib.h>
#include <string.h>

struct reg_entry {
	struct reg_entry *next; /* owned: bucket chain */
	char name[SIP_REG_NAME_MAX];
	int n;
	struct sip_reg_contact c[SIP_REG_CONTACTS];
};

struct sip_registrar {
	struct reg_entry **bucket; /* owned */
	size_t nbuckets;	   /* power of two */
	size_t count, max;
	sip_reg_owner_fn owner;
	void *arg;
};

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

int sip_registrar_new(size_t max_devices, sip_reg_owner_fn owner, void *arg,
		      struct sip_registrar **out)
{
	struct sip_registrar *r = calloc(1, sizeof *r);
	size_t n = 256;

	if (!r)
		return -1;
	while (n < max_devices && n < ((size_t)1 << 24))
		n <<= 1;
	r->bucket = calloc(n, sizeof *r->bucket);
	if (!r->bucket) {
		free(r);
		return -1;
	}
	r->nbuckets = n;
	r->max = max_devices;
	r->owner = owner;
	r->arg = arg;
	*out = r;
	return 0;
}

void sip_registrar_free(struct sip_registrar *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nbuckets; i++) {
		struct reg_entry *e = r->bucket[i], *next;
		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(r->bucket);
	free(r);
}

static struct reg_entry **find_slot(struct sip_registrar *r, const char *name)
{
	struct reg_entry **p = &r->bucket[name_hash(name) & (r->nbuckets - 1)];
	for (; *p; p = &(*p)->next)
		if (strcmp((*p)->name, name) == 0)
			break;
	return p;
}

static void drop_entry(struct sip_registrar *r, struct reg_entry **slot)
{
	struct reg_entry *e = *slot;
	char name[SIP_REG_NAME_MAX];

	memcpy(name, e->name, sizeof name);
	*slot = e->next;
	free(e);
	r->count--;
	if (r->owner)
		r->owner(r->arg, name, NULL);
}

static int same_binding(const struct sip_reg_contact *a,
			const struct sip_reg_contact *b)
{
	if (a->instance[0] && b->instance[0] && a->reg_id && b->reg_id)
		return strcmp(a->instance, b->instance) == 0 &&
		       a->reg_id == b->reg_id;
	return strcmp(a->uri, b->uri) == 0;
}

int sip_registrar_update(struct sip_registrar *r, const char *device,
			 const struct sip_reg_contact *c, unsigned expires,
			 uint64_t now)
{
	struct reg_entry **slot, *e;
	int i, victim = 0, fresh = 0;

	if (strlen(device) >= SIP_REG_NAME_MAX)
		return -1;
	slot = find_slot(r, device);
	e = *slot;
	if (!e) {
		if (expires == 0)
			return 0;
		if (r->count >= r->max)
			return -1;
		e = calloc(1, sizeof *e);
		if (!e)
			return -1;
		strcpy(e->name, device);
		e->next = r->bucket[name_hash(device) & (r->nbuckets - 1)];
		r->bucket[name_hash(device) & (r->nbuckets - 1)] = e;
		r->count++;
		slot = find_slot(r, device);
		fresh = 1;
	}
	for (i = 0; i < e->n; i++)
		if (same_binding(&e->c[i], c))
			break;
	if (expires == 0) {
		if (i < e->n) {
			e->c[i] = e->c[e->n - 1];
			e->n--;
		}
		if (e->n == 0)
			drop_entry(r, slot);
		return 0;
	}
	if (i == e->n) {
		if (e->n < SIP_REG_CONTACTS) {
			e->n++;
		} else {
			for (int j = 1; j < e->n; j++)
				if (e->c[j].expires_at <
				    e->c[victim].expires_at)
					victim = j;
			i = victim;
		}
	}
	e->c[i] = *c;
	e->c[i].expires_at = now + expires;
	if (fresh && r->owner)
		r->owner(r->arg, device, &e->c[i]);
	return 0;
}

void sip_registrar_remove_all(struct sip_registrar *r, const char *device)
{
	struct reg_entry **slot = find_slot(r, device);
	if (*slot)
		drop_entry(r, slot);
}

int sip_registrar_get(struct sip_registrar *r, const char *device, uint64_t now,
		      struct sip_reg_contact *out)
{
	struct reg_entry *e = *find_slot(r, device);
	int n = 0;

	if (!e)
		return 0;
	for (int i = 0; i < e->n; i++)
		if (e->c[i].expires_at > now)
			out[n++] = e->c[i];
	return n;
}

size_t sip_registrar_expire(struct sip_registrar *r, uint64_t now)
{
	size_t gone = 0;

	for (size_t b = 0; b < r->nbuckets; b++) {
		struct reg_entry **slot = &r->bucket[b];
		while (*slot) {
			struct reg_entry *e = *slot;
			for (int i = 0; i < e->n;) {
				if (e->c[i].expires_at <= now)
					e->c[i] = e->c[--e->n];
				else
					i++;
			}
			if (e->n == 0) {
				drop_entry(r, slot);
				gone++;
			} else {
				slot = &e->next;
			}
		}
	}
	return gone;
}

size_t sip_registrar_count(const struct sip_registrar *r)
{
	return r->count;
}

void sip_registrar_foreach(struct sip_registrar *r,
			   void (*fn)(void *arg, const char *device,
				      const struct sip_reg_contact *c, int n),
			   void *arg)
{
	for (size_t b = 0; b < r->nbuckets; b++)
		for (struct reg_entry *e = r->bucket[b]; e; e = e->next)
			fn(arg, e->name, e->c, e->n);
}
