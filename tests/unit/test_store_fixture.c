/* test_store_fixture: temporary directories and stores shared by the store
 * tests. Each test program declares what it uses from here. */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"
#include "tests/unit/test_store_fixture.h"

/* A fresh empty directory under $TMPDIR or /tmp; malloc'ed, transferred. */
char *fixture_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *dir;

	if (!base || !*base)
		base = "/tmp";
	if (asprintf(&dir, "%s/ward-store-test.XXXXXX", base) < 0)
		return NULL;
	if (!mkdtemp(dir)) {
		free(dir);
		return NULL;
	}
	return dir;
}

static int fixture_rm_one(const char *path, const struct stat *st, int flag,
			  struct FTW *ftw)
{
	return remove(path);
}

/* Removes DIR and everything in it, then frees DIR. Accepts NULL. */
void fixture_rmdir(char *dir)
{
	if (!dir)
		return;
	nftw(dir, fixture_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

/* Opens a store in DIR; NULL (and a message) on failure. */
struct store *fixture_store_open(const char *dir)
{
	struct store *s = NULL;
	char err[256] = "";
	int rc = store_open(dir, &s, err, sizeof err);

	if (rc) {
		fprintf(stderr, "store_open(%s): %s: %s\n", dir,
			store_strerror(rc), err);
		return NULL;
	}
	return s;
}

struct fixture_dump {
	uint8_t *buf;
	size_t len;
	int failed;
};

static int fixture_dump_cb(void *arg, const void *key, size_t klen,
			   const void *val, size_t vlen)
{
	struct fixture_dump *d = arg;
	size_t n = 16 + klen + vlen;
	uint8_t *p = realloc(d->buf, d->len + n);
	uint64_t k64 = klen, v64 = vlen;

	if (!p) {
		d->failed = 1;
		return 1;
	}
	d->buf = p;
	memcpy(p + d->len, &k64, 8);
	memcpy(p + d->len + 8, &v64, 8);
	memcpy(p + d->len + 16, key, klen);
	memcpy(p + d->len + 16 + klen, val, vlen);
	d->len += n;
	return 0;
}

/* Every record of every table (the meta table included) as one byte
 * string, so that equal content compares equal with memcmp. Malloc'ed,
 * transferred; NULL on failure. */
uint8_t *fixture_dump(struct store *s, size_t *len)
{
	struct fixture_dump d = {0};
	struct store_read *r;

	if (store_read_begin(s, &r))
		return NULL;
	for (int t = 0; t < STORE_T__COUNT && !d.failed; t++) {
		uint8_t mark = (uint8_t)t;

		fixture_dump_cb(&d, &mark, 1, "", 0);
		if (store_each(r, t, NULL, 0, fixture_dump_cb, &d))
			d.failed = 1;
	}
	store_read_end(r);
	if (d.failed) {
		free(d.buf);
		return NULL;
	}
	*len = d.len;
	return d.buf;
}

int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	if (!f)
		return -1;
	f->dir = fixture_tmpdir();
	if (!f->dir)
		return -1;
	f->s = fixture_store_open(f->dir);
	if (!f->s)
		return -1;
	*state = f;
	return 0;
}

int fx_teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->s);
	fixture_rmdir(f->dir);
	free(f);
	return 0;
}

struct store_cmd *fx_cmd(void)
{
	struct store_cmd *c;

	assert_int_equal(store_cmd_new(&c, 1, 1000, "admin"), 0);
	return c;
}

int fx_apply(struct fx *f, struct store_cmd *c)
{
	void *buf;
	size_t len;
	int rcs[1];
	unsigned n;

	assert_int_equal(store_cmd_finish(c, &buf, &len), 0);
	store_cmd_free(c);
	assert_int_equal(store_apply(f->s, ++f->index, buf, len, rcs, 1, &n),
			 0);
	assert_int_equal(n, 1);
	free(buf);
	return rcs[0];
}

struct store_read *fx_read(struct fx *f)
{
	struct store_read *r;

	assert_int_equal(store_read_begin(f->s, &r), 0);
	return r;
}
