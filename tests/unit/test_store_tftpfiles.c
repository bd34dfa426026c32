/* test_store_tftpfiles: uploaded TFTP files — records, chunks, and the
 * commands that write them — through store_apply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/tftpfiles.h"
#include "tests/unit/test_store_fixture.h"

static struct store_tftp_file rec(const char *name, uint64_t size, uint8_t fill)
{
	struct store_tftp_file r = {.size = size, .chunk_size = 4};

	snprintf(r.name, sizeof r.name, "%s", name);
	memset(r.sha256, fill, 32);
	r.n_chunks = store_tftp_n_chunks(size, 4);
	r.uploaded_ms = 42;
	snprintf(r.uploaded_by, sizeof r.uploaded_by, "admin");
	return r;
}

static void test_file_record_round_trips_and_checks_its_fields(void **state)
{
	struct store_tftp_file r = rec("ring.raw", 10, 7), back;
	uint8_t buf[512];
	size_t n;

	assert_int_equal(r.n_chunks, 3);
	assert_int_equal(store_tftp_file_encode(&r, buf, sizeof buf, &n), 0);
	assert_int_equal(store_tftp_file_decode(buf, n, &back), 0);
	assert_int_equal(back.size, 10);
	assert_int_equal(back.n_chunks, 3);
	assert_memory_equal(back.sha256, r.sha256, 32);
	assert_string_equal(back.uploaded_by, "admin");
	assert_int_equal(store_tftp_file_decode(buf, n - 1, &back),
			 STORE_ECORRUPT);
	r.n_chunks = 2; /* does not cover the size */
	assert_int_equal(store_tftp_file_encode(&r, buf, sizeof buf, &n),
			 STORE_EINVAL);
	r = rec("x", (uint64_t)STORE_TFTP_FILE_MAX + 1, 1);
	assert_int_equal(store_tftp_file_encode(&r, buf, sizeof buf, &n),
			 STORE_EINVAL);
}

static void test_names_are_what_a_tftp_client_may_ask_for(void **state)
{
	assert_true(store_tftp_name_valid("English_United_States/mk.jar"));
	assert_true(store_tftp_name_valid("SIP88xx.14-2-1.loads"));
	assert_false(store_tftp_name_valid("../x"));
	assert_false(store_tftp_name_valid("/x"));
	assert_false(store_tftp_name_valid("a//b"));
	assert_false(store_tftp_name_valid(".x"));
	assert_false(store_tftp_name_valid("a b"));
	assert_false(store_tftp_name_valid(""));
}

static void test_chunks_then_record_make_a_file(void **state)
{
	struct fx *f = *state;
	struct store_tftp_file r = rec("a/b.bin", 6, 9), got;
	struct store_cmd *c = fx_cmd();
	struct store_read *rd;
	const uint8_t *p;
	size_t n;

	assert_int_equal(store_cmd_put_tftp_chunk(c, r.sha256, 0, "abcd", 4),
			 0);
	assert_int_equal(fx_apply(f, c), 0);
	c = fx_cmd();
	assert_int_equal(store_cmd_put_tftp_chunk(c, r.sha256, 1, "ef", 2), 0);
	assert_int_equal(store_cmd_put_tftp_file(c, NULL, &r), 0);
	assert_int_equal(fx_apply(f, c), 0);
	/* a second "new" file of that name is refused */
	c = fx_cmd();
	assert_int_equal(store_cmd_put_tftp_file(c, NULL, &r), 0);
	assert_int_equal(fx_apply(f, c), STORE_EEXIST);

	assert_int_equal(store_read_begin(f->s, &rd), 0);
	assert_int_equal(store_tftp_file_get(rd, "a/b.bin", &got), 0);
	assert_string_equal(got.name, "a/b.bin");
	assert_int_equal(got.n_chunks, 2);
	assert_int_equal(store_tftp_chunk_get(rd, got.sha256, 1, &p, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(p, "ef", 2);
	assert_int_equal(store_tftp_chunk_get(rd, got.sha256, 2, &p, &n),
			 STORE_ENOTFOUND);
	assert_int_equal(store_tftp_file_get(rd, "../etc", &got),
			 STORE_ENOTFOUND);
	store_read_end(rd);
}

static void test_replace_is_guarded_by_the_old_record(void **state)
{
	struct fx *f = *state;
	struct store_tftp_file a = rec("f", 4, 1), b = rec("f", 8, 2),
			       stale = rec("f", 4, 3), got;
	struct store_cmd *c = fx_cmd();
	struct store_read *rd;

	assert_int_equal(store_cmd_put_tftp_file(c, NULL, &a), 0);
	assert_int_equal(fx_apply(f, c), 0);
	c = fx_cmd();
	assert_int_equal(store_cmd_put_tftp_file(c, &stale, &b), 0);
	assert_int_equal(fx_apply(f, c), STORE_ENOTFOUND);
	c = fx_cmd();
	assert_int_equal(store_cmd_put_tftp_file(c, &a, &b), 0);
	assert_int_equal(fx_apply(f, c), 0);
	assert_int_equal(store_read_begin(f->s, &rd), 0);
	assert_int_equal(store_tftp_file_get(rd, "f", &got), 0);
	assert_int_equal(got.size, 8);
	store_read_end(rd);
	c = fx_cmd();
	assert_int_equal(store_cmd_del_tftp_file(c, "f"), 0);
	assert_int_equal(fx_apply(f, c), 0);
	c = fx_cmd();
	assert_int_equal(store_cmd_del_tftp_file(c, "f"), 0);
	assert_int_equal(fx_apply(f, c), STORE_ENOTFOUND);
}

static int count_file(void *arg, const struct store_tftp_file *r)
{
	(*(int *)arg)++;
	return 0;
}

static void test_each_lists_every_file(void **state)
{
	struct fx *f = *state;
	struct store_cmd *c = fx_cmd();
	struct store_tftp_file a = rec("one", 1, 1), b = rec("two", 1, 2);
	struct store_read *rd;
	int n = 0;

	assert_int_equal(store_cmd_put_tftp_file(c, NULL, &a), 0);
	assert_int_equal(store_cmd_put_tftp_file(c, NULL, &b), 0);
	assert_int_equal(fx_apply(f, c), 0);
	assert_int_equal(store_read_begin(f->s, &rd), 0);
	assert_int_equal(store_tftp_file_each(rd, count_file, &n), 0);
	store_read_end(rd);
	assert_int_equal(n, 2);
	assert_string_equal(store_table_name(STORE_T_TFTP_FILES), "tftp_files");
	assert_string_equal(store_table_name(STORE_T_TFTP_CHUNKS),
			    "tftp_chunks");
}

static void test_oversized_chunks_are_refused(void **state)
{
	struct store_cmd *c = fx_cmd();
	uint8_t sha[32] = {0};
	static uint8_t big[STORE_TFTP_CHUNK_MAX + 1];

	assert_int_equal(store_cmd_put_tftp_chunk(c, sha, 0, big, sizeof big),
			 STORE_EINVAL);
	assert_int_equal(store_cmd_put_tftp_chunk(c, sha, 0, big, 0),
			 STORE_EINVAL);
	assert_int_equal(
	    store_cmd_put_tftp_chunk(c, sha, STORE_TFTP_CHUNKS_MAX, big, 1),
	    STORE_EINVAL);
	store_cmd_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		test_file_record_round_trips_and_checks_its_fields),
	    cmocka_unit_test(test_names_are_what_a_tftp_client_may_ask_for),
	    cmocka_unit_test_setup_teardown(test_chunks_then_record_make_a_file,
					    fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_replace_is_guarded_by_the_old_record, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_each_lists_every_file, fx_setup,
					    fx_teardown),
	    cmocka_unit_test(test_oversized_chunks_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
