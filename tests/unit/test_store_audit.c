/* test_store_audit: pruning the audit table — only records older than the
 * cut-off go, at most a batch per command, oldest first, the same on every
 * replica, and a record stamped far ahead does not stop the pruning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/store.h"

/* test_store_fixture.c */
char *fixture_tmpdir(void);
void fixture_rmdir(char *dir);
struct store *fixture_store_open(const char *dir);
uint8_t *fixture_dump(struct store *s, size_t *len);

struct fx {
	char *dir;
	struct store *s;
	uint64_t index; /* the last index applied */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	f->dir = fixture_tmpdir();
	if (!f->dir)
		return -1;
	f->s = fixture_store_open(f->dir);
	if (!f->s)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->s);
	fixture_rmdir(f->dir);
	free(f);
	return 0;
}

/* Applies C (freed) as the next entry; returns its result. */
static int apply(struct fx *f, struct store_cmd *c)
{
	void *buf;
	size_t len;
	int rcs[1];
	unsigned n;

	assert_int_equal(store_cmd_finish(c, &buf, &len), 0);
	store_cmd_free(c);
	assert_int_equal(store_apply(f->s, ++f->index, buf, len, rcs, 1, &n),
			 STORE_OK);
	free(buf);
	assert_int_equal(n, 1);
	return rcs[0];
}

/* One entry of N audit records stamped TIME_MS. */
static void audit_at(struct fx *f, uint64_t time_ms, unsigned n)
{
	struct store_cmd *c;
	char detail[32];

	assert_int_equal(store_cmd_new(&c, 1, time_ms, "admin"), 0);
	for (unsigned i = 0; i < n; i++) {
		snprintf(detail, sizeof detail, "t=%llu i=%u",
			 (unsigned long long)time_ms, i);
		assert_int_equal(store_cmd_audit(c, "test", detail), 0);
	}
	assert_int_equal(apply(f, c), STORE_OK);
}

/* Builds a prune of at most MAX records before BEFORE and applies it;
 * returns how many deletes it held. */
static unsigned prune(struct fx *f, uint64_t before, unsigned max)
{
	struct store_read *r;
	struct store_cmd *c;
	unsigned n = 99;

	assert_int_equal(store_cmd_new(&c, 1, 999999, "node:n1"), 0);
	assert_int_equal(store_read_begin(f->s, &r), 0);
	assert_int_equal(store_cmd_prune_audit(c, r, before, max, &n), 0);
	store_read_end(r);
	if (n == 0) {
		store_cmd_free(c);
		return 0;
	}
	assert_int_equal(apply(f, c), STORE_OK);
	return n;
}

static size_t audit_count(struct fx *f)
{
	struct store_read *r;
	size_t n;

	assert_int_equal(store_read_begin(f->s, &r), 0);
	assert_int_equal(store_count(r, STORE_T_AUDIT, &n), 0);
	store_read_end(r);
	return n;
}

static int oldest_time(void *arg, const void *key, size_t klen, const void *val,
		       size_t vlen)
{
	struct store_audit a;

	(void)key, (void)klen;
	assert_int_equal(store_audit_decode(val, vlen, &a), 0);
	*(uint64_t *)arg = a.time_ms;
	return 1;
}

static uint64_t first_time(struct fx *f)
{
	struct store_read *r;
	uint64_t t = 0;

	assert_int_equal(store_read_begin(f->s, &r), 0);
	store_each(r, STORE_T_AUDIT, NULL, 0, oldest_time, &t);
	store_read_end(r);
	return t;
}

static void test_prune_deletes_only_records_older_than_the_cutoff(void **s)
{
	struct fx *f = *s;

	audit_at(f, 1000, 3);
	audit_at(f, 2000, 2);
	audit_at(f, 3000, 4);
	assert_int_equal(audit_count(f), 9);
	assert_int_equal(prune(f, 2500, 100), 5);
	assert_int_equal(audit_count(f), 4);
	assert_int_equal(first_time(f), 3000);
	assert_int_equal(prune(f, 2500, 100), 0); /* nothing left to do */
	assert_int_equal(audit_count(f), 4);
}

static void test_prune_is_bounded_per_command_and_goes_oldest_first(void **s)
{
	struct fx *f = *s;
	unsigned rounds = 0, n;

	audit_at(f, 1000, 40);
	audit_at(f, 1500, 40);
	audit_at(f, 9000, 5);
	n = prune(f, 5000, 32);
	assert_int_equal(n, 32);
	assert_int_equal(audit_count(f), 85 - 32);
	assert_int_equal(first_time(f), 1000); /* 8 of the oldest remain */
	while ((n = prune(f, 5000, 32)) != 0) {
		assert_true(n <= 32);
		rounds++;
	}
	assert_int_equal(rounds, 2); /* 48 more: 32 + 16 */
	assert_int_equal(audit_count(f), 5);
	assert_int_equal(first_time(f), 9000);
}

static void test_a_record_from_the_future_does_not_block_pruning(void **s)
{
	struct fx *f = *s;

	audit_at(f, 1ull << 50, 1); /* a clock far ahead */
	audit_at(f, 1000, 10);
	assert_int_equal(prune(f, 5000, 8), 8);
	assert_int_equal(prune(f, 5000, 8), 2);
	assert_int_equal(audit_count(f), 1);
	assert_int_equal(first_time(f), 1ull << 50);
}

static void test_a_prune_applied_twice_is_harmless(void **s)
{
	struct fx *f = *s;
	struct store_read *r;
	struct store_cmd *c1, *c2;
	unsigned n1, n2;

	audit_at(f, 1000, 4);
	audit_at(f, 8000, 1);
	/* Two leaders in turn, each building from the same view. */
	assert_int_equal(store_cmd_new(&c1, 1, 9000, "node:n1"), 0);
	assert_int_equal(store_cmd_new(&c2, 2, 9000, "node:n2"), 0);
	assert_int_equal(store_read_begin(f->s, &r), 0);
	assert_int_equal(store_cmd_prune_audit(c1, r, 5000, 10, &n1), 0);
	assert_int_equal(store_cmd_prune_audit(c2, r, 5000, 10, &n2), 0);
	store_read_end(r);
	assert_int_equal(n1, 4);
	assert_int_equal(n2, 4);
	assert_int_equal(apply(f, c1), STORE_OK);
	assert_int_equal(apply(f, c2), STORE_OK);
	assert_int_equal(audit_count(f), 1);
}

static void test_prune_refuses_an_unbounded_batch(void **s)
{
	struct fx *f = *s;
	struct store_read *r;
	struct store_cmd *c;
	unsigned n;

	assert_int_equal(store_cmd_new(&c, 1, 9000, "node:n1"), 0);
	assert_int_equal(store_read_begin(f->s, &r), 0);
	assert_int_equal(store_cmd_prune_audit(c, r, 5000, 0, &n),
			 STORE_EINVAL);
	assert_int_equal(
	    store_cmd_prune_audit(c, r, 5000, STORE_PRUNE_MAX + 1, &n),
	    STORE_EINVAL);
	store_read_end(r);
	store_cmd_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	    T(test_prune_deletes_only_records_older_than_the_cutoff),
	    T(test_prune_is_bounded_per_command_and_goes_oldest_first),
	    T(test_a_record_from_the_future_does_not_block_pruning),
	    T(test_a_prune_applied_twice_is_harmless),
	    T(test_prune_refuses_an_unbounded_batch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
