/* wardd_sipfail: the signaling role's authentication and authorization
 * failures, handed from its thread to the admin API's gate, which counts
 * them with failed logins and joins and writes at most one audit record
 * per source per window ("sip.fail"; a follower sends its summary to the
 * leader). No Raft write per failure, and bounded: the signaling thread
 * adds to a fixed table coalesced by source, name and reason; the main
 * loop takes the whole table every wardd_sip tick. When the table is full
 * a failure is counted in one aggregate and handed on as such. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "node/admin/admin.h"
#include "node/wardd.h"

#define SIPFAIL_SLOTS 256

struct sipfail_entry {
	char addr[48];
	char name[64];
	const char *why; /* static */
	unsigned count;
};

struct wardd_sipfail {
	pthread_mutex_t mu;
	struct sipfail_entry q[SIPFAIL_SLOTS]; /* under mu */
	size_t n;			       /* under mu */
	unsigned long beyond;		       /* under mu: table full */
	/* Main loop only: what the last drain took. */
	struct sipfail_entry taken[SIPFAIL_SLOTS];
};

int wardd_sipfail_init(struct wardd *w)
{
	struct wardd_sipfail *f = calloc(1, sizeof *f);

	if (!f)
		return -1;
	pthread_mutex_init(&f->mu, NULL);
	w->sipfail = f;
	return 0;
}

void wardd_sipfail_fini(struct wardd *w)
{
	struct wardd_sipfail *f = w->sipfail;

	if (!f)
		return;
	pthread_mutex_destroy(&f->mu);
	free(f);
	w->sipfail = NULL;
}

static void addr_text(const struct sockaddr *sa, char *out, size_t cap)
{
	snprintf(out, cap, "?");
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  out, (socklen_t)cap);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
			  (socklen_t)cap);
}

void wardd_sipfail_hook(void *arg, const struct sockaddr *src, const char *name,
			const char *why)
{
	struct wardd *w = arg;
	struct wardd_sipfail *f = w->sipfail;
	char addr[48], nm[64];
	size_t i;

	if (!f)
		return;
	addr_text(src, addr, sizeof addr);
	/* Names are the peer's: printable ASCII only in the audit log. */
	snprintf(nm, sizeof nm, "%s", name ? name : "");
	for (char *p = nm; *p; p++)
		if (*p < 0x21 || *p > 0x7e || *p == ',' || *p == ':')
			*p = '?';
	pthread_mutex_lock(&f->mu);
	for (i = 0; i < f->n; i++)
		if (f->q[i].why == why && strcmp(f->q[i].addr, addr) == 0 &&
		    strcmp(f->q[i].name, nm) == 0)
			break;
	if (i < f->n) {
		f->q[i].count++;
	} else if (f->n < SIPFAIL_SLOTS) {
		struct sipfail_entry *e = &f->q[f->n++];
		snprintf(e->addr, sizeof e->addr, "%s", addr);
		snprintf(e->name, sizeof e->name, "%s", nm);
		e->why = why;
		e->count = 1;
	} else {
		f->beyond++;
	}
	pthread_mutex_unlock(&f->mu);
}

void wardd_sipfail_drain(struct wardd *w)
{
	struct wardd_sipfail *f = w->sipfail;
	unsigned long beyond;
	size_t n;

	if (!f || !w->admin)
		return;
	pthread_mutex_lock(&f->mu);
	n = f->n;
	memcpy(f->taken, f->q, n * sizeof *f->q);
	beyond = f->beyond;
	f->n = 0;
	f->beyond = 0;
	pthread_mutex_unlock(&f->mu);
	for (size_t i = 0; i < n; i++)
		admin_sip_failures(w->admin, f->taken[i].addr, f->taken[i].name,
				   f->taken[i].why, f->taken[i].count);
	if (beyond) {
		log_warn("sip",
			 "%lu authentication failures beyond the %d sources "
			 "counted per tick",
			 beyond, SIPFAIL_SLOTS);
		admin_sip_failures(w->admin, "?", "",
				   "sources beyond the node's table",
				   (unsigned)beyond);
	}
}
