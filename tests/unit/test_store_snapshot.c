/* test_store_snapshot: snapshots and their restore — equal content, index
 * idempotency, foreign and damaged snapshots refused with the store
 * unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "store/store.h"

/* test_store_fixture.c */
char *fixture_tmpdir(void);
void fixture_rmdir(char *dir);
struct store *fixture_store_open(const char *dir);
uint8_t *fixture_dump(struct store *s, size_t *len);

#define TRAILER 48 /* magic, version, length, SHA-256 (docs/store.md) */

struct fx {
	char *dir_a, *dir_b;
	struct store *a, *b;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	f->dir_a = fixture_tmpdir();
	f->dir_b = fixture_tmpdir();
	if (!f->dir_a || !f->dir_b)
		return -1;
	f->a = fixture_store_open(f->dir_a);
	f->b = fixture_store_open(f->dir_b);
	if (!f->a || !f->b)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->a);
	store_close(f->b);
	fixture_rmdir(f->dir_a);
	fixture_rmdir(f->dir_b);
	free(f);
	return 0;
}

static void apply(struct store *s, uint64_t index, struct store_cmd *c)
{
	void *buf;
	size_t len;
	unsigned n;
	int rc;

	assert_int_equal(store_cmd_finish(c, &buf, &len), 0);
	store_cmd_free(c);
	assert_int_equal(store_apply(s, index, buf, len, &rc, 1, &n), 0);
	assert_int_equal(rc, 0);
	free(buf);
}

static void init_cluster(struct store *s, uint64_t index, const char *id)
{
	struct store_cluster cl = {0};
	struct store_cmd *c;

	snprintf(cl.id, sizeof cl.id, "%s", id);
	snprintf(cl.name, sizeof cl.name, "lab");
	cl.schema_version = STORE_SCHEMA_VERSION;
	assert_int_equal(store_cmd_new(&c, 1, 1, "-"), 0);
	assert_int_equal(store_cmd_put_cluster(c, &cl), 0);
	assert_int_equal(store_cmd_audit(c, "cluster.init", id), 0);
	apply(s, index, c);
}

/* Entries FROM..TO: a node and a parameter each. */
static void grow(struct store *s, uint64_t from, uint64_t to)
{
	for (uint64_t i = from; i <= to; i++) {
		struct store_node n = {0};
		struct store_cmd *c;

		n.id = i;
		snprintf(n.name, sizeof n.name, "node%llu",
			 (unsigned long long)i);
		snprintf(n.raft_addr, sizeof n.raft_addr, "10.0.0.%llu:9443",
			 (unsigned long long)i);
		assert_int_equal(store_cmd_new(&c, 1, i, "admin"), 0);
		assert_int_equal(store_cmd_put_node(c, STORE_OP_PUT, &n), 0);
		assert_int_equal(store_cmd_put_param(c, "sip_keepalive_s",
						     i % 2 ? "30" : "40"),
				 0);
		assert_int_equal(store_cmd_audit(c, "node.add", n.name), 0);
		apply(s, i, c);
	}
}

static void assert_same(struct store *x, struct store *y)
{
	size_t lx, ly;
	uint8_t *dx = fixture_dump(x, &lx), *dy = fixture_dump(y, &ly);

	assert_non_null(dx);
	assert_non_null(dy);
	assert_int_equal(lx, ly);
	assert_memory_equal(dx, dy, lx);
	assert_int_equal(store_applied_index(x), store_applied_index(y));
	free(dx);
	free(dy);
}

/* Runs restore and checks that B is byte for byte as before. */
static void assert_refused(struct fx *f, const void *snap, size_t len, int rc)
{
	size_t l0, l1;
	uint8_t *d0 = fixture_dump(f->b, &l0), *d1;
	uint64_t applied = store_applied_index(f->b);

	assert_int_equal(store_restore(f->b, snap, len), rc);
	d1 = fixture_dump(f->b, &l1);
	assert_int_equal(l0, l1);
	assert_memory_equal(d0, d1, l0);
	assert_int_equal(store_applied_index(f->b), applied);
	free(d0);
	free(d1);
}

static void test_restore_into_an_empty_store_gives_equal_content(void **state)
{
	struct fx *f = *state;
	void *snap;
	size_t len;

	init_cluster(f->a, 1, "aaaaaaaa-0000-4000-8000-000000000001");
	grow(f->a, 2, 40);
	assert_int_equal(store_snapshot(f->a, &snap, &len), 0);
	assert_true(len > TRAILER);
	assert_int_equal(store_restore(f->b, snap, len), 0);
	assert_int_equal(store_applied_index(f->b), 40);
	assert_same(f->a, f->b);
	/* And it is durable. */
	store_close(f->b);
	f->b = fixture_store_open(f->dir_b);
	assert_non_null(f->b);
	assert_same(f->a, f->b);
	/* Restoring the same snapshot again changes nothing. */
	assert_int_equal(store_restore(f->b, snap, len), 0);
	assert_same(f->a, f->b);
	store_snapshot_free(snap, len);
}

static void test_restore_replaces_divergent_content(void **state)
{
	struct fx *f = *state;
	struct store_cmd *c;
	void *snap;
	size_t len;

	init_cluster(f->a, 1, "aaaaaaaa-0000-4000-8000-000000000001");
	grow(f->a, 2, 9);
	/* B is the same cluster, behind, and holds records A does not. */
	init_cluster(f->b, 1, "aaaaaaaa-0000-4000-8000-000000000001");
	assert_int_equal(store_cmd_new(&c, 1, 1, "-"), 0);
	assert_int_equal(
	    store_cmd_op(c, STORE_OP_PUT, STORE_T_ADMINS, "gone", 4, "x", 1),
	    0);
	apply(f->b, 2, c);
	assert_int_equal(store_snapshot(f->a, &snap, &len), 0);
	assert_int_equal(store_restore(f->b, snap, len), 0);
	assert_same(f->a, f->b);
	store_snapshot_free(snap, len);
}

static void test_restoring_an_older_snapshot_is_ignored(void **state)
{
	struct fx *f = *state;
	void *old, *cur;
	size_t old_len, cur_len;

	init_cluster(f->a, 1, "aaaaaaaa-0000-4000-8000-000000000001");
	grow(f->a, 2, 3);
	assert_int_equal(store_snapshot(f->a, &old, &old_len), 0);
	grow(f->a, 4, 6);
	assert_int_equal(store_snapshot(f->a, &cur, &cur_len), 0);
	assert_int_equal(store_restore(f->b, cur, cur_len), 0);
	assert_refused(f, old, old_len, 0);
	assert_same(f->a, f->b);
	assert_int_equal(store_applied_index(f->b), 6);
	store_snapshot_free(old, old_len);
	store_snapshot_free(cur, cur_len);
}

static void test_snapshot_of_another_cluster_is_refused(void **state)
{
	struct fx *f = *state;
	void *snap;
	size_t len;

	init_cluster(f->a, 1, "aaaaaaaa-0000-4000-8000-000000000001");
	grow(f->a, 2, 8);
	init_cluster(f->b, 1, "bbbbbbbb-0000-4000-8000-000000000002");
	grow(f->b, 2, 3);
	assert_int_equal(store_snapshot(f->a, &snap, &len), 0);
	assert_refused(f, snap, len, STORE_ECLUSTER);
	store_snapshot_free(snap, len);
	/* A snapshot taken before any cluster existed is foreign too. */
	store_close(f->a);
	fixture_rmdir(f->dir_a);
	f->dir_a = fixture_tmpdir();
	f->a = fixture_store_open(f->dir_a);
	grow(f->a, 1, 9);
	assert_int_equal(store_snapshot(f->a, &snap, &len), 0);
	assert_refused(f, snap, len, STORE_ECLUSTER);
	store_snapshot_free(snap, len);
}

/* Builds a snapshot from raw LMDB bytes with a trailer that matches them. */
static uint8_t *with_trailer(const uint8_t *data, size_t n, uint32_t version)
{
	uint8_t *p = malloc(n + TRAILER);
	unsigned dlen = 32;

	memcpy(p, data, n);
	memcpy(p + n, "WSNP", 4);
	for (int i = 0; i < 4; i++)
		p[n + 4 + i] = (uint8_t)(version >> (24 - 8 * i));
	for (int i = 0; i < 8; i++)
		p[n + 8 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
	assert_int_equal(
	    EVP_Digest(p, n, p + n + 16, &dlen, EVP_sha256(), NULL), 1);
	return p;
}

static void test_damaged_snapshots_are_refused_and_change_nothing(void **state)
{
	struct fx *f = *state;
	uint8_t *snap, *t, junk[9000];
	size_t len, data_len;
	unsigned seed = 7;

	init_cluster(f->a, 1, "aaaaaaaa-0000-4000-8000-000000000001");
	grow(f->a, 2, 30);
	init_cluster(f->b, 1, "aaaaaaaa-0000-4000-8000-000000000001");
	grow(f->b, 2, 3);
	assert_int_equal(store_snapshot(f->a, (void **)&snap, &len), 0);
	data_len = len - TRAILER;

	assert_refused(f, NULL, 0, STORE_ECORRUPT);
	/* Truncations, each in a buffer of exactly that size. */
	for (size_t n = 0; n < len; n += (n < 64 || len - n < 64) ? 1 : 251) {
		t = malloc(n ? n : 1);
		memcpy(t, snap, n);
		assert_refused(f, t, n, STORE_ECORRUPT);
		free(t);
	}
	/* One flipped bit anywhere, the trailer included. */
	for (size_t at = 0; at < len; at += 509) {
		snap[at] ^= 0x10;
		assert_refused(f, snap, len, STORE_ECORRUPT);
		snap[at] ^= 0x10;
	}
	/* Pure garbage. */
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (uint8_t)rand_r(&seed);
	assert_refused(f, junk, sizeof junk, STORE_ECORRUPT);

	/* Past the digest: garbage and truncated copies, each with a trailer
	 * that matches it. LMDB itself must refuse them without faulting. */
	t = with_trailer(junk, sizeof junk, 1);
	assert_refused(f, t, sizeof junk + TRAILER, STORE_ECORRUPT);
	free(t);
	for (size_t n = 4096; n < data_len; n += 4096) {
		t = with_trailer(snap, n, 1);
		assert_refused(f, t, n + TRAILER, STORE_ECORRUPT);
		free(t);
	}
	t = with_trailer(snap, data_len / 2 + 100, 1);
	assert_refused(f, t, data_len / 2 + 100 + TRAILER, STORE_ECORRUPT);
	free(t);
	t = with_trailer(snap, data_len, 2);
	assert_refused(f, t, len, STORE_EVERSION);
	free(t);

	/* The good one still restores. */
	assert_int_equal(store_restore(f->b, snap, len), 0);
	assert_same(f->a, f->b);
	store_snapshot_free(snap, len);
}

static void test_snapshot_at_index_zero_is_ignored(void **state)
{
	struct fx *f = *state;
	void *snap;
	size_t len;

	/* Index 0: nothing to take over, ignored. */
	assert_int_equal(store_snapshot(f->a, &snap, &len), 0);
	assert_refused(f, snap, len, 0);
	store_snapshot_free(snap, len);
}

/* N raw records of 2000 bytes into the admins table, entry INDEX, keys
 * FILL + FROM.. */
static void bulk(struct store *s, uint64_t index, unsigned from, unsigned n,
		 char fill)
{
	struct store_cmd *c;
	char key[32], val[2000];

	memset(val, fill, sizeof val);
	assert_int_equal(store_cmd_new(&c, 1, index, "-"), 0);
	for (unsigned i = from; i < from + n; i++) {
		snprintf(key, sizeof key, "%c%05u", fill, i);
		assert_int_equal(store_cmd_op(c, STORE_OP_PUT, STORE_T_ADMINS,
					      key, strlen(key), val,
					      sizeof val),
				 0);
	}
	apply(s, index, c);
}

static void test_restore_needs_no_room_for_old_and_new_at_once(void **state)
{
	struct fx *f = *state;
	struct store_options o = {.map_size = (size_t)3 << 20};
	char err[256], path[600];
	struct stat st;
	void *snap;
	size_t len;

	/* B: a 3 MiB map holding ~2 MB; A's snapshot holds ~2 MB of other
	 * records. Replacing B's content inside its own map would need both
	 * at once (and LMDB's free pages besides); a fresh file does not. */
	store_close(f->b);
	assert_int_equal(store_open_with(f->dir_b, &o, &f->b, err, sizeof err),
			 0);
	init_cluster(f->a, 1, "aaaaaaaa-0000-4000-8000-000000000001");
	init_cluster(f->b, 1, "aaaaaaaa-0000-4000-8000-000000000001");
	for (unsigned i = 0; i < 3; i++) {
		bulk(f->b, 2 + i, 300 * i, 300, 'b');
		bulk(f->a, 2 + i, 300 * i, 300, 'a');
	}
	bulk(f->a, 5, 0, 10, 'c');
	assert_int_equal(store_snapshot(f->a, &snap, &len), 0);
	assert_true(len > ((size_t)3 << 20) / 2);
	assert_int_equal(store_restore(f->b, snap, len), 0);
	assert_same(f->a, f->b);
	store_snapshot_free(snap, len);
	/* Only the store's own files remain. */
	snprintf(path, sizeof path, "%s/restore.mdb", f->dir_b);
	assert_int_not_equal(stat(path, &st), 0);
	snprintf(path, sizeof path, "%s/data.mdb.prev", f->dir_b);
	assert_int_not_equal(stat(path, &st), 0);
	/* The swapped-in file is the store from now on. */
	store_close(f->b);
	f->b = fixture_store_open(f->dir_b);
	assert_non_null(f->b);
	assert_same(f->a, f->b);
	bulk(f->b, 6, 0, 5, 'd');
	assert_int_equal(store_applied_index(f->b), 6);
}

static void test_a_read_open_during_restore_sees_the_old_content(void **state)
{
	struct fx *f = *state;
	struct store_read *r;
	void *snap;
	size_t len, n;

	init_cluster(f->a, 1, "aaaaaaaa-0000-4000-8000-000000000001");
	grow(f->a, 2, 20);
	init_cluster(f->b, 1, "aaaaaaaa-0000-4000-8000-000000000001");
	grow(f->b, 2, 3);
	assert_int_equal(store_snapshot(f->a, &snap, &len), 0);
	/* A read held across the restore keeps the swap waiting; the
	 * restore gives up (busy) rather than pull the file from under it,
	 * and the store is unchanged. */
	assert_int_equal(store_read_begin(f->b, &r), 0);
	assert_int_equal(store_count(r, STORE_T_NODES, &n), 0);
	assert_int_equal(n, 2);
	assert_refused(f, snap, len, STORE_EBUSY);
	store_read_end(r);
	assert_int_equal(store_restore(f->b, snap, len), 0);
	assert_same(f->a, f->b);
	store_snapshot_free(snap, len);
}

/* 1 if ADDR lies in a shared mapping of a file (/proc/self/maps: "s" in
 * the permissions, a path): the memfd itself, not heap memory. (The name is
 * not checked: under ThreadSanitizer the memfd shows as a /dev/shm file.) */
static int mapped_shared(const void *addr)
{
	char line[512], perms[8];
	unsigned long lo, hi, a = (unsigned long)addr;
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	assert_non_null(f);
	while (!found && fgets(line, sizeof line, f))
		found = sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3 &&
			a >= lo && a < hi && perms[3] == 's' &&
			strchr(line, '/') != NULL;
	fclose(f);
	return found;
}

static void test_a_snapshot_is_held_once_as_a_mapping_of_its_copy(void **state)
{
	struct fx *f = *state;
	void *snap;
	size_t len;

	init_cluster(f->a, 1, "aaaaaaaa-0000-4000-8000-000000000001");
	grow(f->a, 2, 50);
	assert_int_equal(store_snapshot(f->a, &snap, &len), 0);
	/* The buffer is the memfd LMDB copied into, not a second copy of
	 * it on the heap. */
	assert_true(mapped_shared(snap));
	assert_true(mapped_shared((char *)snap + len - 1));
	assert_int_equal(store_restore(f->b, snap, len), 0);
	assert_same(f->a, f->b);
	store_snapshot_free(snap, len);
	assert_false(mapped_shared(snap));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_restore_into_an_empty_store_gives_equal_content),
	    T(test_restore_needs_no_room_for_old_and_new_at_once),
	    T(test_a_snapshot_is_held_once_as_a_mapping_of_its_copy),
	    T(test_a_read_open_during_restore_sees_the_old_content),
	    T(test_restore_replaces_divergent_content),
	    T(test_restoring_an_older_snapshot_is_ignored),
	    T(test_snapshot_of_another_cluster_is_refused),
	    T(test_damaged_snapshots_are_refused_and_change_nothing),
	    T(test_snapshot_at_index_zero_is_ignored),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
