/* conn: stream connections seen at accept (conn.h). */
#include "node/sip/conn.h"

#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif

struct entry {
	int fd;		 /* -1: free */
	uint64_t cookie; /* the socket's, to tell a reused fd */
	uint64_t since_ms;
	int spoke;
	int shut;
	struct sockaddr_storage peer;
	unsigned next; /* the next entry of its bucket + 1; 0: none */
};

/* The open entries are chained by their peer (address and port) in
 * buckets, so that a message's connection is found without a walk of
 * the table (sip_conn_spoke): peers choose their ports, so the hash is
 * keyed with the table's own random seed. */
struct table {
	struct sip_conn_config cfg;
	struct entry *e;   /* owned: cfg.max */
	unsigned *bucket;  /* owned: nbuckets; first entry + 1, 0: none */
	unsigned nbuckets; /* a power of 2, at least cfg.max */
	uint64_t seed;
	unsigned open;
	unsigned waiting; /* open entries whose first message has not come */
	struct sip_conn_stats stats;
};

static __thread struct table *conn_table;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int sip_conn_thread_begin(const struct sip_conn_config *cfg)
{
	struct table *t = calloc(1, sizeof *t);

	if (!t)
		return -1;
	t->cfg = *cfg;
	if (t->cfg.max < 16)
		t->cfg.max = 16;
	for (t->nbuckets = 16; t->nbuckets < t->cfg.max; t->nbuckets <<= 1)
		;
	t->e = calloc(t->cfg.max, sizeof *t->e);
	t->bucket = calloc(t->nbuckets, sizeof *t->bucket);
	if (!t->e || !t->bucket ||
	    RAND_bytes((unsigned char *)&t->seed, sizeof t->seed) != 1) {
		free(t->e);
		free(t->bucket);
		free(t);
		return -1;
	}
	for (unsigned i = 0; i < t->cfg.max; i++)
		t->e[i].fd = -1;
	conn_table = t;
	return 0;
}

void sip_conn_thread_end(void)
{
	struct table *t = conn_table;

	conn_table = NULL;
	if (t) {
		free(t->e);
		free(t->bucket);
	}
	free(t);
}

static int same_host(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return 0;
	if (b->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return b->sa_family == AF_INET6 &&
	       memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)b)->sin6_addr, 16) == 0;
}

static int same_peer(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (!same_host(a, b))
		return 0;
	if (b->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_port ==
		       ((const struct sockaddr_in *)b)->sin_port;
	return ((const struct sockaddr_in6 *)a)->sin6_port ==
	       ((const struct sockaddr_in6 *)b)->sin6_port;
}

/* PEER's bucket: its address and port, keyed with the table's seed. */
static unsigned bucket_of(const struct table *t, const struct sockaddr *peer)
{
	const struct sockaddr_in *v4 = (const void *)peer;
	const struct sockaddr_in6 *v6 = (const void *)peer;
	int is6 = peer->sa_family == AF_INET6;
	const uint8_t *a =
	    is6 ? v6->sin6_addr.s6_addr : (const uint8_t *)&v4->sin_addr.s_addr;
	size_t n = is6 ? 16 : 4;
	uint64_t h = t->seed;

	for (size_t i = 0; i < n; i++)
		h = (h ^ a[i]) * 0x100000001b3ull;
	h = (h ^ (is6 ? v6->sin6_port : v4->sin_port)) * 0x100000001b3ull;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return (unsigned)h & (t->nbuckets - 1);
}

static void chain(struct table *t, struct entry *e)
{
	unsigned b = bucket_of(t, (const struct sockaddr *)&e->peer);

	e->next = t->bucket[b];
	t->bucket[b] = (unsigned)(e - t->e) + 1;
}

static void unchain(struct table *t, struct entry *e)
{
	unsigned *p =
	    &t->bucket[bucket_of(t, (const struct sockaddr *)&e->peer)];
	unsigned me = (unsigned)(e - t->e) + 1;

	while (*p && *p != me)
		p = &t->e[*p - 1].next;
	if (*p)
		*p = e->next;
	e->next = 0;
}

static uint64_t cookie_of(int fd)
{
	uint64_t c = 0;
	socklen_t len = sizeof c;

	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &c, &len) != 0)
		return 0;
	return c;
}

/* The entry still names its socket: the fd is open and not reused. */
static int alive(const struct entry *e)
{
	uint64_t c = cookie_of(e->fd);

	return c != 0 && c == e->cookie;
}

static void forget(struct table *t, struct entry *e)
{
	unchain(t, e);
	if (!e->spoke)
		t->waiting--;
	e->fd = -1;
	t->open--;
}

enum check { CHECK_NONE, CHECK_HOST, CHECK_ALL };

/* Counts the entries of PEER's host and finds a free slot. With CHECK,
 * the entries of PEER's host (or all of them) whose socket closed since
 * the last sweep are forgotten first: a peer that connects and closes
 * quickly is not held to its old connections. */
static unsigned scan(struct table *t, int fd, const struct sockaddr *peer,
		     enum check check, struct entry **slot)
{
	unsigned same = 0;

	*slot = NULL;
	for (unsigned i = 0; i < t->cfg.max; i++) {
		struct entry *e = &t->e[i];
		if (e->fd >= 0 &&
		    (e->fd == fd || /* that socket closed, its fd came back */
		     (check == CHECK_ALL && !alive(e)) ||
		     (check == CHECK_HOST && same_host(&e->peer, peer) &&
		      !alive(e))))
			forget(t, e);
		if (e->fd < 0) {
			if (!*slot)
				*slot = e;
			continue;
		}
		same += same_host(&e->peer, peer);
	}
	return same;
}

/* 0 to keep the socket FD from PEER (recorded), -1 to close it. */
static int admit(struct table *t, int fd, const struct sockaddr *peer,
		 socklen_t len)
{
	struct entry *slot;
	unsigned same = scan(t, fd, peer, CHECK_NONE, &slot);

	if (!slot)
		same = scan(t, fd, peer, CHECK_ALL, &slot);
	else if (t->cfg.per_source && same >= t->cfg.per_source)
		same = scan(t, fd, peer, CHECK_HOST, &slot);
	if (t->cfg.per_source && same >= t->cfg.per_source) {
		t->stats.refused++;
		return -1;
	}
	if (!slot) {
		t->stats.full++;
		return -1;
	}
	memset(slot, 0, sizeof *slot);
	slot->fd = fd;
	slot->cookie = cookie_of(fd);
	slot->since_ms = mono_ms();
	memcpy(&slot->peer, peer,
	       len < sizeof slot->peer ? len : sizeof slot->peer);
	chain(t, slot);
	t->open++;
	t->waiting++;
	return 0;
}

typedef int (*accept_fn)(int, struct sockaddr *, socklen_t *);

/* Interposes libc's accept for libsofia's call (see conn.h). */
int accept(int fd, struct sockaddr *addr, socklen_t *addrlen)
{
	static accept_fn real;
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int s;

	if (!real) {
		accept_fn f;
		*(void **)&f = dlsym(RTLD_NEXT, "accept");
		real = f;
	}
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	if (!conn_table)
		return real(fd, addr, addrlen);
	s = real(fd, (struct sockaddr *)&ss, &len);
	if (s < 0)
		return s;
	if (addr && addrlen) {
		memcpy(addr, &ss, *addrlen < len ? *addrlen : len);
		*addrlen = len;
	}
	if ((ss.ss_family == AF_INET || ss.ss_family == AF_INET6) &&
	    admit(conn_table, s, (struct sockaddr *)&ss, len) != 0) {
		close(s);
		/* -1 with errno 0: sofia's tport_accept reports the error,
		 * and tport_error_report ignores error 0 — no log line per
		 * refused connection (the minute line counts them). */
		errno = 0;
		return -1;
	}
	return s;
}

void sip_conn_spoke(const struct sockaddr *sa)
{
	struct table *t = conn_table;

	/* Nothing waits (the usual case for a connection that spoke
	 * before): no lookup. */
	if (!t || !t->waiting ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return;
	for (unsigned i = t->bucket[bucket_of(t, sa)]; i;
	     i = t->e[i - 1].next) {
		struct entry *e = &t->e[i - 1];
		if (!e->spoke && same_peer(&e->peer, sa)) {
			e->spoke = 1;
			t->waiting--;
			return;
		}
	}
}

unsigned sip_conn_sweep(void)
{
	struct table *t = conn_table;
	uint64_t now = mono_ms();
	unsigned shut = 0;

	if (!t)
		return 0;
	for (unsigned i = 0; i < t->cfg.max; i++) {
		struct entry *e = &t->e[i];
		if (e->fd < 0)
			continue;
		if (!alive(e)) {
			forget(t, e);
			continue;
		}
		if (e->spoke || e->shut || !t->cfg.silent_ms ||
		    now - e->since_ms < t->cfg.silent_ms)
			continue;
		/* sofia owns the fd: end the stream, it closes the rest. */
		shutdown(e->fd, SHUT_RDWR);
		e->shut = 1;
		t->stats.silent++;
		shut++;
	}
	return shut;
}

void sip_conn_stats(struct sip_conn_stats *out)
{
	memset(out, 0, sizeof *out);
	if (!conn_table)
		return;
	*out = conn_table->stats;
	out->open = conn_table->open;
}
