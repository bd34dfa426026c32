/* cluster_util: see cluster_util.h. */
#include "cluster_util.h"

#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void cu_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void cu_tmpdir(const char *tag, char *out, size_t cap)
{
	const char *base = getenv("TMPDIR");

	if (base == NULL || *base == '\0')
		base = "/tmp";
	snprintf(out, cap, "%s/ward-%s-XXXXXX", base, tag);
	if (mkdtemp(out) == NULL)
		cu_die("mkdtemp %s failed", out);
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void cu_rmtree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

struct store *cu_store_open(const char *dir)
{
	char path[512], err[256] = "";
	struct store *s = NULL;

	snprintf(path, sizeof path, "%s/store", dir);
	mkdir(path, 0700);
	if (store_open(path, &s, err, sizeof err) != 0)
		cu_die("store_open %s: %s", path, err);
	return s;
}

void *cu_cmd(enum store_op op, const char *key, const char *val, size_t *len)
{
	struct store_cmd *c = NULL;
	void *buf = NULL;

	if (store_cmd_new(&c, 1, 1700000000000ull, "test") != 0 ||
	    store_cmd_op(c, op, STORE_T_PARAMS, key, strlen(key), val,
			 val ? strlen(val) : 0) != 0 ||
	    store_cmd_finish(c, &buf, len) != 0)
		cu_die("cannot build a command for %s", key);
	store_cmd_free(c);
	return buf;
}

struct digest_ctx {
	uint64_t h;
	size_t n;
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		h = (h ^ *b++) * 1099511628211ull;
	return h;
}

static int digest_one(void *arg, const void *key, size_t klen, const void *val,
		      size_t vlen)
{
	struct digest_ctx *d = arg;

	d->h = fnv(d->h, &klen, sizeof klen);
	d->h = fnv(d->h, key, klen);
	d->h = fnv(d->h, &vlen, sizeof vlen);
	d->h = fnv(d->h, val, vlen);
	d->n++;
	return 0;
}

uint64_t cu_store_digest(struct store *s, size_t *n_records)
{
	struct digest_ctx d = {14695981039346656037ull, 0};
	struct store_read *r = NULL;

	if (store_read_begin(s, &r) != 0)
		cu_die("store_read_begin failed");
	for (int t = STORE_T_META + 1; t < STORE_T__COUNT; t++) {
		d.h = fnv(d.h, &t, sizeof t);
		if (store_each(r, (enum store_table)t, NULL, 0, digest_one,
			       &d) != 0)
			cu_die("store_each %d failed", t);
	}
	store_read_end(r);
	if (n_records != NULL)
		*n_records = d.n;
	return d.h;
}

int cu_store_get(struct store *s, const char *key, char *out, size_t cap)
{
	struct store_read *r = NULL;
	const void *val;
	size_t vlen;
	int rc;

	rc = store_read_begin(s, &r);
	if (rc != 0)
		return rc;
	rc = store_get(r, STORE_T_PARAMS, key, strlen(key), &val, &vlen);
	if (rc == 0) {
		if (vlen >= cap)
			vlen = cap - 1;
		memcpy(out, val, vlen);
		out[vlen] = '\0';
	}
	store_read_end(r);
	return rc;
}

uint64_t cu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

unsigned cu_free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		cu_die("cu_free_port: no loopback port");
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}
