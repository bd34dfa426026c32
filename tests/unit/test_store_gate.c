/* test_store_gate: a store that cannot fill up silently — the map grows
 * online when an apply meets its end (with reads running on other threads),
 * a nested read cannot deadlock the growth, and a full disk is reported
 * (store-full, free space, the directory) with nothing written, until the
 * same entry goes through once there is room. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "store/fault.h"
#include "store/store.h"

/* test_store_fixture.c */
char *fixture_tmpdir(void);
void fixture_rmdir(char *dir);
uint8_t *fixture_dump(struct store *s, size_t *len);

#define MIB ((size_t)1 << 20)
#define VAL_LEN 2000

struct fx {
	char *dir;
	struct store *s;
};

static struct store *open_map(const char *dir, size_t map)
{
	struct store_options o = {.map_size = map};
	struct store *s = NULL;
	char err[256] = "";

	assert_int_equal(store_open_with(dir, &o, &s, err, sizeof err), 0);
	return s;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	f->dir = fixture_tmpdir();
	if (!f->dir)
		return -1;
	f->s = open_map(f->dir, MIB);
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

/* Entry INDEX: N records of VAL_LEN bytes under keys "INDEX/i". */
static void *entry(uint64_t index, unsigned n, size_t *len)
{
	struct store_cmd *c;
	char key[32], val[VAL_LEN];
	void *buf;

	assert_int_equal(store_cmd_new(&c, 1, index, "flood"), 0);
	for (unsigned i = 0; i < n; i++) {
		snprintf(key, sizeof key, "%llu/%u", (unsigned long long)index,
			 i);
		memset(val, 'a' + (int)(index % 26), sizeof val);
		assert_int_equal(store_cmd_op(c, STORE_OP_PUT, STORE_T_PARAMS,
					      key, strlen(key), val,
					      sizeof val),
				 0);
	}
	assert_int_equal(store_cmd_finish(c, &buf, len), 0);
	store_cmd_free(c);
	return buf;
}

static int apply_entry(struct store *s, uint64_t index, unsigned n)
{
	size_t len;
	void *buf = entry(index, n, &len);
	unsigned found;
	int rcs[1], rc;

	rc = store_apply(s, index, buf, len, rcs, 1, &found);
	if (rc == 0)
		assert_int_equal(rcs[0], 0);
	free(buf);
	return rc;
}

static size_t count_params(struct store *s)
{
	struct store_read *r;
	size_t n;

	assert_int_equal(store_read_begin(s, &r), 0);
	assert_int_equal(store_count(r, STORE_T_PARAMS, &n), 0);
	store_read_end(r);
	return n;
}

static void test_a_full_map_grows_and_the_entry_applies(void **state)
{
	struct fx *f = *state;
	struct store_health h;

	store_health_get(f->s, &h);
	assert_int_equal(h.map_size, MIB);
	assert_int_equal(h.map_grows, 0);
	/* 8 MB of records into a 1 MiB map: every entry must apply. */
	for (uint64_t i = 1; i <= 40; i++)
		assert_int_equal(apply_entry(f->s, i, 100), 0);
	assert_int_equal(store_applied_index(f->s), 40);
	assert_int_equal(count_params(f->s), 4000);
	store_health_get(f->s, &h);
	assert_true(h.map_size >= 8 * MIB);
	assert_true(h.map_grows >= 3);
	assert_int_equal(h.state, STORE_HEALTH_OK);
	assert_true(h.data_size > 8 * MIB);

	/* Reopened with the small setting: the file keeps its size. */
	store_close(f->s);
	f->s = open_map(f->dir, MIB);
	assert_int_equal(count_params(f->s), 4000);
	assert_int_equal(apply_entry(f->s, 41, 100), 0);
	assert_int_equal(count_params(f->s), 4100);
}

struct reader {
	struct store *s;
	_Atomic int stop;
	unsigned long reads;
	int bad;
};

static void *reader_main(void *arg)
{
	struct reader *rd = arg;

	while (!rd->stop) {
		struct store_read *r;
		const void *v;
		size_t vlen;

		if (store_read_begin(rd->s, &r) != 0) {
			rd->bad++;
			continue;
		}
		/* Entry 1 is always there; its value must read whole. */
		if (store_get(r, STORE_T_PARAMS, "1/0", 3, &v, &vlen) != 0 ||
		    vlen != VAL_LEN || ((const char *)v)[VAL_LEN - 1] != 'b')
			rd->bad++;
		store_read_end(r);
		rd->reads++;
	}
	return NULL;
}

static void test_the_map_grows_under_concurrent_readers(void **state)
{
	struct fx *f = *state;
	struct reader rd[3];
	pthread_t t[3];
	struct store_health h;

	assert_int_equal(apply_entry(f->s, 1, 10), 0);
	for (int i = 0; i < 3; i++) {
		memset(&rd[i], 0, sizeof rd[i]);
		rd[i].s = f->s;
		assert_int_equal(
		    pthread_create(&t[i], NULL, reader_main, &rd[i]), 0);
	}
	for (uint64_t i = 2; i <= 40; i++) {
		int rc;

		while ((rc = apply_entry(f->s, i, 100)) == STORE_EBUSY)
			;
		assert_int_equal(rc, 0);
	}
	for (int i = 0; i < 3; i++) {
		rd[i].stop = 1;
		pthread_join(t[i], NULL);
		assert_int_equal(rd[i].bad, 0);
		assert_true(rd[i].reads > 0);
	}
	store_health_get(f->s, &h);
	assert_true(h.map_grows >= 3);
	assert_int_equal(store_applied_index(f->s), 40);
}

static void
test_a_read_held_by_the_applier_delays_growth_not_forever(void **state)
{
	struct fx *f = *state;
	struct store_read *r;
	uint64_t i = 1;
	int rc;

	/* Fill until the next entry needs a growth, with a read open on
	 * this very thread: the growth must give up (EBUSY, nothing
	 * written), not wait for a read that cannot end. */
	assert_int_equal(store_read_begin(f->s, &r), 0);
	while ((rc = apply_entry(f->s, i, 50)) == 0)
		i++;
	assert_int_equal(rc, STORE_EBUSY);
	assert_int_equal(store_applied_index(f->s), i - 1);
	store_read_end(r);
	/* The same entry, again, now goes through. */
	assert_int_equal(apply_entry(f->s, i, 50), 0);
	assert_int_equal(store_applied_index(f->s), i);
}

/* Caps the size of files this process writes (EFBIG beyond): a full
 * filesystem as far as LMDB's writes can tell. */
static void limit_file_size(rlim_t bytes)
{
	struct rlimit rl;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = bytes;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

static void test_a_full_disk_is_reported_and_the_entry_waits(void **state)
{
	struct fx *f = *state;
	struct store_health h;
	struct rlimit saved;
	struct stat st;
	char path[600];
	uint64_t i;
	size_t before_len, after_len;
	uint8_t *before, *after;
	int rc;

	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	for (i = 1; i <= 5; i++)
		assert_int_equal(apply_entry(f->s, i, 20), 0);
	snprintf(path, sizeof path, "%s/data.mdb", f->dir);
	assert_int_equal(stat(path, &st), 0);
	limit_file_size((rlim_t)st.st_size + 64 * 1024);
	before = fixture_dump(f->s, &before_len);
	while ((rc = apply_entry(f->s, i, 20)) == 0) {
		free(before);
		before = fixture_dump(f->s, &before_len);
		i++;
	}
	assert_int_equal(rc, STORE_ENOSPC);
	/* Nothing of the entry was written, and it says why. */
	assert_int_equal(store_applied_index(f->s), i - 1);
	after = fixture_dump(f->s, &after_len);
	assert_int_equal(before_len, after_len);
	assert_memory_equal(before, after, before_len);
	free(after);
	store_health_get(f->s, &h);
	assert_int_equal(h.state, STORE_HEALTH_FULL);
	assert_string_equal(store_health_name(h.state), "store-full");
	assert_non_null(strstr(h.reason, f->dir));
	assert_non_null(strstr(h.reason, "bytes free"));
	assert_true(h.since_ms > 0);
	/* Still full: the same entry fails the same way. */
	assert_int_equal(apply_entry(f->s, i, 20), STORE_ENOSPC);
	/* Space is freed: the same entry applies, health is back. */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	assert_int_equal(apply_entry(f->s, i, 20), 0);
	assert_int_equal(store_applied_index(f->s), i);
	store_health_get(f->s, &h);
	assert_int_equal(h.state, STORE_HEALTH_OK);
	assert_int_equal(count_params(f->s), (size_t)i * 20);
	free(before);
	signal(SIGXFSZ, SIG_DFL);
}

static void test_an_injected_failure_writes_nothing(void **state)
{
	struct fx *f = *state;

	assert_int_equal(apply_entry(f->s, 1, 3), 0);
	store_fault_inject(f->s, EIO, 1);
	assert_int_equal(apply_entry(f->s, 2, 3), STORE_EIO);
	assert_int_equal(store_applied_index(f->s), 1);
	assert_int_equal(count_params(f->s), 3);
	store_fault_inject(f->s, ENOSPC, 2);
	assert_int_equal(apply_entry(f->s, 2, 3), STORE_ENOSPC);
	assert_int_equal(apply_entry(f->s, 2, 3), STORE_ENOSPC);
	assert_int_equal(apply_entry(f->s, 2, 3), 0);
	assert_int_equal(count_params(f->s), 6);
}

static void test_map_size_outside_its_bounds_is_refused(void **state)
{
	struct fx *f = *state;
	struct store_options o = {.map_size = MIB / 2};
	struct store *s = NULL;
	char err[256] = "";

	assert_int_equal(store_open_with(f->dir, &o, &s, err, sizeof err),
			 STORE_EINVAL);
	assert_null(s);
	assert_non_null(strstr(err, "map size"));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_a_full_map_grows_and_the_entry_applies),
	    T(test_the_map_grows_under_concurrent_readers),
	    T(test_a_read_held_by_the_applier_delays_growth_not_forever),
	    T(test_a_full_disk_is_reported_and_the_entry_waits),
	    T(test_an_injected_failure_writes_nothing),
	    T(test_map_size_outside_its_bounds_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
