/* call_devs: per-device call counts, a chained hash table of names whose
 * entries come from a spare list each call fills on entering (see
 * call_devs.h). */
#include "node/sip/call_devs.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "node/sip/directory.h"

struct call_dev {
	struct call_dev *next; /* bucket chain, or the spare list */
	unsigned calls;
	char name[SIP_DIR_NAME_MAX];
};

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

int call_devs_init(struct call_devs *t, unsigned max_calls)
{
	size_t n = 16;

	memset(t, 0, sizeof *t);
	/* Two names a call at most; a few per chain at the bound. */
	while (n < max_calls / 2 && n < ((size_t)1 << 16))
		n <<= 1;
	t->bucket = calloc(n, sizeof *t->bucket);
	if (!t->bucket)
		return -1;
	t->nbuckets = n;
	return 0;
}

static void free_chain(struct call_dev *e)
{
	while (e) {
		struct call_dev *next = e->next;
		free(e);
		e = next;
	}
}

void call_devs_close(struct call_devs *t)
{
	for (size_t i = 0; i < t->nbuckets; i++)
		free_chain(t->bucket[i]);
	free_chain(t->spare);
	free(t->bucket);
	memset(t, 0, sizeof *t);
}

static struct call_dev **slot(const struct call_devs *t, const char *name)
{
	struct call_dev **p = &t->bucket[name_hash(name) & (t->nbuckets - 1)];

	while (*p && strcmp((*p)->name, name) != 0)
		p = &(*p)->next;
	return p;
}

/* A broken invariant of the table's callers: nothing sane to go on with. */
static _Noreturn void broken(const char *what, const char *name)
{
	log_error("sip", "per-device call counts: %s %s", what, name);
	abort();
}

static void count(struct call_devs *t, const char *name)
{
	struct call_dev **p = slot(t, name), *e = *p;

	if (!e) {
		/* The spares hold two per call in the table, and the calls'
		 * names counted never exceed that. */
		if (!t->spare)
			broken("no spare entry for", name);
		e = t->spare;
		t->spare = e->next;
		e->next = NULL;
		e->calls = 0;
		snprintf(e->name, sizeof e->name, "%s", name);
		*p = e;
		t->names++;
	}
	e->calls++;
}

static void uncount(struct call_devs *t, const char *name)
{
	struct call_dev **p = slot(t, name), *e = *p;

	if (!e)
		broken("never counted:", name);
	if (--e->calls > 0)
		return;
	*p = e->next;
	e->next = t->spare;
	t->spare = e;
	t->names--;
}

void call_devs_add(struct call_devs *t, const char *a, const char *b)
{
	count(t, a);
	if (strcmp(a, b) != 0)
		count(t, b);
}

void call_devs_sub(struct call_devs *t, const char *a, const char *b)
{
	uncount(t, a);
	if (strcmp(a, b) != 0)
		uncount(t, b);
}

int call_devs_enter(struct call_devs *t, const char *a, const char *b)
{
	for (int i = 0; i < 2; i++) {
		struct call_dev *e = malloc(sizeof *e);

		if (!e) {
			if (i == 1) {
				e = t->spare;
				t->spare = e->next;
				free(e);
			}
			return -1;
		}
		e->next = t->spare;
		t->spare = e;
	}
	call_devs_add(t, a, b);
	return 0;
}

void call_devs_leave(struct call_devs *t, const char *a, const char *b)
{
	call_devs_sub(t, a, b);
	for (int i = 0; i < 2; i++) {
		struct call_dev *e = t->spare;

		t->spare = e->next;
		free(e);
	}
}

unsigned call_devs_calls(const struct call_devs *t, const char *device)
{
	const struct call_dev *e = *slot(t, device);

	return e ? e->calls : 0;
}
