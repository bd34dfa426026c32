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

/* ---- uploads never committed ------------------------------------------ */

#define IDLE 3600000ull /* an hour */

/* NCHUNKS chunks of the file with digest FILL, stamped at T (no record if
 * T is 0: an upload from before records existed). */
static void upload(struct fx *f, uint8_t fill, unsigned nchunks, uint64_t t)
{
	struct store_tftp_upload u = {.last_ms = t};
	struct store_cmd *c = fx_cmd();

	memset(u.sha256, fill, 32);
	for (unsigned i = 0; i < nchunks; i++)
		assert_int_equal(
		    store_cmd_put_tftp_chunk(c, u.sha256, i, "abcd", 4), 0);
	if (t)
		assert_int_equal(store_cmd_put_tftp_upload(c, &u), 0);
	assert_int_equal(fx_apply(f, c), 0);
}

static unsigned chunks_of(struct fx *f, uint8_t fill)
{
	struct store_read *r = fx_read(f);
	uint8_t sha[32];
	const uint8_t *p;
	size_t n;
	unsigned k = 0;

	memset(sha, fill, 32);
	for (uint32_t i = 0; i < 16; i++)
		k += store_tftp_chunk_get(r, sha, i, &p, &n) == 0;
	store_read_end(r);
	return k;
}

static int upload_state(struct fx *f, uint8_t fill, struct store_tftp_upload *u)
{
	struct store_read *r = fx_read(f);
	uint8_t sha[32];
	int rc;

	memset(sha, fill, 32);
	rc = store_tftp_upload_get(r, sha, u);
	store_read_end(r);
	return rc;
}

/* One collection at NOW with at most MAX operations, applied; *N ops. */
static int gc(struct fx *f, uint64_t now, unsigned max, unsigned *n)
{
	struct store_cmd *c = fx_cmd();
	struct store_read *r = fx_read(f);
	int rc = store_cmd_gc_tftp_uploads(c, r, now, IDLE, max, n);

	store_read_end(r);
	assert_int_equal(rc, 0);
	if (*n == 0) {
		store_cmd_free(c);
		return 0;
	}
	return fx_apply(f, c);
}

static void test_idle_uploads_are_collected_in_bounded_commands(void **state)
{
	struct fx *f = *state;
	struct store_tftp_file kept = rec("kept.bin", 8, 2);
	struct store_tftp_upload u;
	struct store_cmd *c;
	unsigned n, rounds = 0;

	upload(f, 1, 5, 10000); /* abandoned */
	upload(f, 2, 2, 10000); /* committed as kept.bin */
	c = fx_cmd();
	assert_int_equal(store_cmd_put_tftp_file(c, NULL, &kept), 0);
	assert_int_equal(fx_apply(f, c), 0);

	/* not idle yet: nothing */
	assert_int_equal(gc(f, 10000 + IDLE - 1, 4, &n), 0);
	assert_int_equal(n, 0);
	/* idle: 4 operations a command (guard, mark, chunks, record) */
	assert_int_equal(gc(f, 10000 + IDLE, 4, &n), 0);
	assert_int_equal(n, 3); /* guard, mark collecting, one chunk */
	assert_int_equal(chunks_of(f, 1), 4);
	assert_int_equal(upload_state(f, 1, &u), 0);
	assert_int_equal(u.state, STORE_TFTP_UPLOAD_COLLECTING);
	/* a commit guarded on the record as it was before fails */
	u.state = STORE_TFTP_UPLOAD_ACTIVE;
	c = fx_cmd();
	assert_int_equal(store_cmd_end_tftp_upload(c, &u), 0);
	assert_int_equal(fx_apply(f, c), STORE_ENOTFOUND);
	do {
		assert_int_equal(gc(f, 10000 + IDLE, 4, &n), 0);
		assert_true(n <= 4);
		assert_true(++rounds < 10);
	} while (n);
	assert_int_equal(chunks_of(f, 1), 0);
	assert_int_equal(upload_state(f, 1, &u), STORE_ENOTFOUND);
	/* the committed file keeps its chunks; its stale record goes */
	assert_int_equal(chunks_of(f, 2), 2);
	assert_int_equal(upload_state(f, 2, &u), STORE_ENOTFOUND);
}

static void test_a_chunk_during_collection_stops_it(void **state)
{
	struct fx *f = *state;
	struct store_cmd *c;
	struct store_read *r;
	unsigned n;

	upload(f, 3, 6, 10000);
	assert_int_equal(gc(f, 10000 + IDLE, 4, &n), 0);
	assert_int_equal(chunks_of(f, 3), 5);
	/* built, then a chunk comes before it is applied */
	c = fx_cmd();
	r = fx_read(f);
	assert_int_equal(
	    store_cmd_gc_tftp_uploads(c, r, 10000 + IDLE, IDLE, 64, &n), 0);
	store_read_end(r);
	assert_true(n > 0);
	upload(f, 3, 1, 10000 + IDLE); /* chunk 0 again */
	assert_int_equal(fx_apply(f, c), STORE_ENOTFOUND);
	assert_int_equal(chunks_of(f, 3), 6);
	/* active and fresh again: left alone */
	assert_int_equal(gc(f, 10000 + IDLE + 1, 64, &n), 0);
	assert_int_equal(n, 0);
}

static void
test_chunks_without_a_record_are_adopted_then_collected(void **state)
{
	struct fx *f = *state;
	struct store_tftp_upload u;
	unsigned n;

	upload(f, 4, 2, 0);
	upload(f, 5, 1, 0);
	assert_int_equal(gc(f, 50000, 64, &n), 0);
	assert_int_equal(n, 2); /* one record each */
	assert_int_equal(upload_state(f, 4, &u), 0);
	assert_int_equal(u.last_ms, 50000);
	assert_int_equal(upload_state(f, 5, &u), 0);
	assert_int_equal(gc(f, 50000 + IDLE - 1, 64, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(gc(f, 50000 + IDLE, 64, &n), 0);
	assert_int_equal(chunks_of(f, 4), 0);
	assert_int_equal(chunks_of(f, 5), 0);
	assert_int_equal(upload_state(f, 4, &u), STORE_ENOTFOUND);
	/* a record from a clock far ahead does not stay forever */
	upload(f, 6, 1, 50000 + 10 * IDLE);
	assert_int_equal(gc(f, 50000 + IDLE, 64, &n), 0);
	assert_int_equal(chunks_of(f, 6), 0);
}

static void test_upload_record_round_trips(void **state)
{
	struct store_tftp_upload u = {.last_ms = 77, .state = 1}, back;
	uint8_t buf[STORE_TFTP_UPLOAD_REC_LEN + 1];

	(void)state;
	assert_int_equal(store_tftp_upload_encode(&u, buf), 0);
	assert_int_equal(store_tftp_upload_decode(buf, sizeof buf - 1, &back),
			 0);
	assert_int_equal(back.last_ms, 77);
	assert_int_equal(back.state, 1);
	assert_int_not_equal(store_tftp_upload_decode(buf, 5, &back), 0);
	buf[STORE_TFTP_UPLOAD_REC_LEN] = 0;
	assert_int_equal(store_tftp_upload_decode(buf, sizeof buf, &back),
			 STORE_ECORRUPT);
	u.state = 2;
	assert_int_equal(store_tftp_upload_encode(&u, buf), STORE_EINVAL);
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
		test_replace_is_guarded_by_the_old_record, fx_setup,
		fx_teardown),
	    cmocka_unit_test_setup_teardown(test_each_lists_every_file,
					    fx_setup, fx_teardown),
	    cmocka_unit_test(test_oversized_chunks_are_refused),
	    cmocka_unit_test(test_upload_record_round_trips),
	    cmocka_unit_test_setup_teardown(
		test_idle_uploads_are_collected_in_bounded_commands, fx_setup,
		fx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_a_chunk_during_collection_stops_it, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_chunks_without_a_record_are_adopted_then_collected,
		fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
