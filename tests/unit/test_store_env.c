/* test_store_env: opening the environment — damaged and foreign data
 * refused with a clear message, reads from other threads. */
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"

/* test_store_fixture.c */
char *fixture_tmpdir(void);
void fixture_rmdir(char *dir);
struct store *fixture_store_open(const char *dir);
uint8_t *fixture_dump(struct store *s, size_t *len);

static void put_param(struct store *s, uint64_t index, const char *value)
{
	struct store_cmd *c;
	void *buf;
	size_t len;
	unsigned n;
	int rc;

	assert_int_equal(store_cmd_new(&c, 1, 1, "-"), 0);
	assert_int_equal(store_cmd_put_param(c, "sip_keepalive_s", value), 0);
	assert_int_equal(store_cmd_finish(c, &buf, &len), 0);
	store_cmd_free(c);
	assert_int_equal(store_apply(s, index, buf, len, &rc, 1, &n), 0);
	free(buf);
}

/* A store at DIR holding a few entries, closed again. */
static void make_store(const char *dir)
{
	struct store *s = fixture_store_open(dir);

	assert_non_null(s);
	put_param(s, 1, "30");
	put_param(s, 2, "40");
	store_close(s);
}

/* A store of many pages: 300 node records, with audit records. */
static void make_big_store(const char *dir)
{
	struct store *s = fixture_store_open(dir);

	assert_non_null(s);
	for (uint64_t i = 1; i <= 300; i++) {
		struct store_node n = {0};
		struct store_cmd *c;
		void *buf;
		size_t len;
		unsigned k;
		int rc;

		n.id = i;
		snprintf(n.name, sizeof n.name, "node%llu",
			 (unsigned long long)i);
		assert_int_equal(store_cmd_new(&c, 1, i, "-"), 0);
		assert_int_equal(store_cmd_put_node(c, STORE_OP_PUT, &n), 0);
		assert_int_equal(store_cmd_audit(c, "node.add", n.name), 0);
		assert_int_equal(store_cmd_finish(c, &buf, &len), 0);
		store_cmd_free(c);
		assert_int_equal(store_apply(s, i, buf, len, &rc, 1, &k), 0);
		free(buf);
	}
	store_close(s);
}

static off_t data_size(const char *dir)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof path, "%s/data.mdb", dir);
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static void overwrite(const char *dir, off_t at, size_t n, unsigned seed)
{
	char path[512];
	uint8_t *junk = malloc(n);
	int fd;

	for (size_t i = 0; i < n; i++)
		junk[i] = (uint8_t)rand_r(&seed);
	snprintf(path, sizeof path, "%s/data.mdb", dir);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, junk, n, at), (ssize_t)n);
	close(fd);
	free(junk);
}

static void test_garbage_data_file_is_refused_as_corrupt(void **state)
{
	char *dir = fixture_tmpdir();
	struct store *s = (void *)1;
	char err[512] = "";

	make_store(dir);
	overwrite(dir, 0, 3 * 4096, 1);
	assert_int_equal(store_open(dir, &s, err, sizeof err), STORE_ECORRUPT);
	assert_null(s);
	assert_non_null(strstr(err, "data.mdb"));
	assert_non_null(strstr(err, "damaged"));
	fixture_rmdir(dir);
}

/* LMDB has no checksums and faults on some damaged pages: the store must
 * still answer with an error, whichever page is hit. */
static void test_damaged_pages_anywhere_are_refused_not_fatal(void **state)
{
	char *dir = fixture_tmpdir();
	char *copy = fixture_tmpdir();
	char cmd[1200], err[512];
	uint8_t *good, *dump;
	size_t good_len, dump_len;
	struct store *s;
	off_t size;
	int rc;

	make_big_store(dir);
	s = fixture_store_open(dir);
	good = fixture_dump(s, &good_len);
	store_close(s);
	size = data_size(dir);
	assert_true(size >= 16 * 4096);
	snprintf(cmd, sizeof cmd, "cp %s/data.mdb %s/pristine", dir, copy);
	assert_int_equal(system(cmd), 0);
	for (off_t at = 2 * 4096; at < size; at += 4096) {
		for (unsigned seed = 1; seed <= 2; seed++) {
			snprintf(cmd, sizeof cmd, "cp %s/pristine %s/data.mdb",
				 copy, dir);
			assert_int_equal(system(cmd), 0);
			/* Damage from this page to the end of the file. */
			overwrite(dir, at, (size_t)(size - at),
				  seed * 1000 + (unsigned)at);
			err[0] = '\0';
			s = (void *)1;
			rc = store_open(dir, &s, err, sizeof err);
			/* Every page in use is damaged from page 2 on; later
			 * on, the damage may hit only free pages, and then
			 * the content must be intact. */
			if (rc == STORE_OK && at > 2 * 4096) {
				dump = fixture_dump(s, &dump_len);
				assert_int_equal(dump_len, good_len);
				assert_memory_equal(dump, good, good_len);
				free(dump);
				store_close(s);
				continue;
			}
			assert_int_equal(rc, STORE_ECORRUPT);
			assert_null(s);
			assert_non_null(strstr(err, "damaged"));
		}
	}
	free(good);
	fixture_rmdir(copy);
	fixture_rmdir(dir);
}

static void test_truncated_data_file_is_refused(void **state)
{
	char *dir = fixture_tmpdir();
	char path[512], err[512] = "";
	struct store *s;

	make_big_store(dir);
	snprintf(path, sizeof path, "%s/data.mdb", dir);
	assert_int_equal(truncate(path, data_size(dir) / 2), 0);
	assert_int_equal(store_open(dir, &s, err, sizeof err), STORE_ECORRUPT);
	assert_non_null(strstr(err, "damaged"));
	fixture_rmdir(dir);
}

static void test_a_file_that_is_not_lmdb_is_refused(void **state)
{
	char *dir = fixture_tmpdir();
	char path[512], err[512] = "";
	struct store *s;
	FILE *fp;

	snprintf(path, sizeof path, "%s/data.mdb", dir);
	fp = fopen(path, "w");
	fputs("this is a text file, not a database\n", fp);
	fclose(fp);
	assert_int_equal(store_open(dir, &s, err, sizeof err), STORE_ECORRUPT);
	assert_non_null(strstr(err, "not a valid store"));
	fixture_rmdir(dir);
}

static void test_data_of_a_newer_schema_is_refused(void **state)
{
	char *dir = fixture_tmpdir();
	char err[512] = "";
	struct store *s;
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta;
	MDB_val k = {14, "schema_version"}, v = {4, "\0\0\0\x63"};

	make_store(dir);
	/* Written by a future build, behind the store's back. */
	assert_int_equal(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 16);
	assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &meta), 0);
	assert_int_equal(mdb_put(txn, meta, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);

	assert_int_equal(store_open(dir, &s, err, sizeof err), STORE_EVERSION);
	assert_non_null(strstr(err, "schema version 99"));
	fixture_rmdir(dir);
}

static void test_missing_directory_is_an_error_with_a_reason(void **state)
{
	char err[512] = "";
	struct store *s;

	assert_int_equal(
	    store_open("/nonexistent/ward/store", &s, err, sizeof err),
	    STORE_EIO);
	assert_non_null(strstr(err, "/nonexistent/ward/store"));
	store_close(NULL);
}

struct reader {
	struct store_read *r;
	char value[16];
	int rc;
};

static void *reader_main(void *arg)
{
	struct reader *rd = arg;

	rd->rc = store_param_get(rd->r, "sip_keepalive_s", rd->value,
				 sizeof rd->value);
	store_read_end(rd->r);
	return NULL;
}

static void test_a_read_begun_on_one_thread_ends_on_another(void **state)
{
	char *dir = fixture_tmpdir();
	struct store *s;
	struct reader rd = {0};
	struct store_read *mine;
	pthread_t th;
	char v[16];

	make_store(dir);
	s = fixture_store_open(dir);
	assert_int_equal(store_applied_index(s), 2);
	/* MDB_NOTLS: this thread may hold a read of its own meanwhile. */
	assert_int_equal(store_read_begin(s, &mine), 0);
	assert_int_equal(store_read_begin(s, &rd.r), 0);
	put_param(s, 3, "50");
	assert_int_equal(pthread_create(&th, NULL, reader_main, &rd), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(rd.rc, 0);
	assert_string_equal(rd.value, "40"); /* its snapshot, before 3 */
	store_read_end(mine);
	assert_int_equal(store_read_begin(s, &mine), 0);
	assert_int_equal(store_param_get(mine, "sip_keepalive_s", v, sizeof v),
			 0);
	assert_string_equal(v, "50");
	store_read_end(mine);
	store_close(s);
	fixture_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_garbage_data_file_is_refused_as_corrupt),
	    cmocka_unit_test(test_damaged_pages_anywhere_are_refused_not_fatal),
	    cmocka_unit_test(test_truncated_data_file_is_refused),
	    cmocka_unit_test(test_a_file_that_is_not_lmdb_is_refused),
	    cmocka_unit_test(test_data_of_a_newer_schema_is_refused),
	    cmocka_unit_test(test_missing_directory_is_an_error_with_a_reason),
	    cmocka_unit_test(test_a_read_begun_on_one_thread_ends_on_another),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
