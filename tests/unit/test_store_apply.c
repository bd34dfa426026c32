/* test_store_apply: the state machine — operations, atomicity per command,
 * idempotency by the applied index, and typed reads of what was applied. */
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

/* ---- building entries ------------------------------------------------- */

struct entry {
	uint8_t *buf;
	size_t len;
};

static struct store_cmd *cmd_new(void)
{
	struct store_cmd *c;

	assert_int_equal(store_cmd_new(&c, 1, 1000, "admin"), 0);
	return c;
}

/* Appends command C (freed) to entry E. */
static void entry_add(struct entry *e, struct store_cmd *c)
{
	void *buf;
	size_t len;

	assert_int_equal(store_cmd_finish(c, &buf, &len), 0);
	store_cmd_free(c);
	e->buf = realloc(e->buf, e->len + len);
	memcpy(e->buf + e->len, buf, len);
	e->len += len;
	free(buf);
}

static void entry_add_raw(struct entry *e, const void *p, size_t len)
{
	e->buf = realloc(e->buf, e->len + len);
	memcpy(e->buf + e->len, p, len);
	e->len += len;
}

/* Applies E at INDEX, frees it, checks the per-command results. */
static void entry_apply(struct store *s, uint64_t index, struct entry *e,
			const int *want, unsigned n_want)
{
	int rcs[16];
	unsigned n = 99;

	memset(rcs, 0x7f, sizeof rcs);
	assert_int_equal(store_apply(s, index, e->buf, e->len, rcs, 16, &n),
			 STORE_OK);
	assert_int_equal(n, n_want);
	for (unsigned i = 0; i < n_want; i++)
		assert_int_equal(rcs[i], want[i]);
	free(e->buf);
	e->buf = NULL;
	e->len = 0;
}

/* One command applied alone at INDEX; returns its result. */
static int apply_one(struct store *s, uint64_t index, struct store_cmd *c)
{
	struct entry e = {0};
	int rcs[1];
	unsigned n;

	entry_add(&e, c);
	assert_int_equal(store_apply(s, index, e.buf, e.len, rcs, 1, &n), 0);
	assert_int_equal(n, 1);
	free(e.buf);
	return rcs[0];
}

static int put_param(struct store *s, uint64_t index, const char *name,
		     const char *value)
{
	struct store_cmd *c = cmd_new();

	assert_int_equal(store_cmd_put_param(c, name, value), 0);
	return apply_one(s, index, c);
}

static int raw_op(struct store *s, uint64_t index, enum store_op op,
		  const char *key, const char *val)
{
	struct store_cmd *c = cmd_new();

	assert_int_equal(store_cmd_op(c, op, STORE_T_PARAMS, key, strlen(key),
				      val, val ? strlen(val) : 0),
			 0);
	return apply_one(s, index, c);
}

/* Value of KEY in the params table as a string, or NULL if absent. */
static char *get_raw(struct store *s, const char *key)
{
	struct store_read *r;
	const void *v;
	size_t n;
	char *out = NULL;

	assert_int_equal(store_read_begin(s, &r), 0);
	if (store_get(r, STORE_T_PARAMS, key, strlen(key), &v, &n) == 0) {
		out = calloc(1, n + 1);
		memcpy(out, v, n);
	}
	store_read_end(r);
	return out;
}

static void assert_raw(struct store *s, const char *key, const char *want)
{
	char *got = get_raw(s, key);

	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void fill_node(struct store_node *n, uint64_t id, const char *name)
{
	memset(n, 0, sizeof *n);
	n->id = id;
	snprintf(n->name, sizeof n->name, "%s", name);
	snprintf(n->raft_addr, sizeof n->raft_addr, "127.0.0.%d:9443",
		 (int)id + 1);
	n->state = STORE_NODE_VOTER;
	n->roles = STORE_ROLE_SIP;
}

struct dump {
	uint8_t *buf;
	size_t len;
};

static struct dump dump_store(struct store *s)
{
	struct dump d;

	d.buf = fixture_dump(s, &d.len);
	assert_non_null(d.buf);
	return d;
}

/* ---- tests ------------------------------------------------------------ */

static void test_put_replaces_and_put_new_refuses_an_existing_key(void **state)
{
	struct fx *f = *state;

	assert_int_equal(raw_op(f->s, 1, STORE_OP_PUT, "a", "1"), 0);
	assert_int_equal(raw_op(f->s, 2, STORE_OP_PUT, "a", "2"), 0);
	assert_raw(f->s, "a", "2");
	assert_int_equal(raw_op(f->s, 3, STORE_OP_PUT_NEW, "a", "3"),
			 STORE_EEXIST);
	assert_raw(f->s, "a", "2");
	assert_int_equal(raw_op(f->s, 4, STORE_OP_PUT_NEW, "b", "3"), 0);
	assert_raw(f->s, "b", "3");
	assert_int_equal(store_applied_index(f->s), 4);
}

static void test_del_ignores_absent_keys_and_del_existing_does_not(void **state)
{
	struct fx *f = *state;

	assert_int_equal(raw_op(f->s, 1, STORE_OP_PUT, "a", "1"), 0);
	assert_int_equal(raw_op(f->s, 2, STORE_OP_DEL, "a", NULL), 0);
	assert_raw(f->s, "a", NULL);
	assert_int_equal(raw_op(f->s, 3, STORE_OP_DEL, "a", NULL), 0);
	assert_int_equal(raw_op(f->s, 4, STORE_OP_DEL_EXISTING, "a", NULL),
			 STORE_ENOTFOUND);
	assert_int_equal(raw_op(f->s, 5, STORE_OP_PUT, "a", "1"), 0);
	assert_int_equal(raw_op(f->s, 6, STORE_OP_DEL_EXISTING, "a", NULL), 0);
	assert_raw(f->s, "a", NULL);
}

static void test_expect_guards_the_rest_of_the_command(void **state)
{
	struct fx *f = *state;
	struct store_cmd *c;

	assert_int_equal(raw_op(f->s, 1, STORE_OP_PUT, "ver", "7"), 0);
	/* Compare-and-set: the write happens only if ver still holds 7. */
	c = cmd_new();
	assert_int_equal(
	    store_cmd_op(c, STORE_OP_EXPECT, STORE_T_PARAMS, "ver", 3, "6", 1),
	    0);
	assert_int_equal(
	    store_cmd_op(c, STORE_OP_PUT, STORE_T_PARAMS, "ver", 3, "8", 1), 0);
	assert_int_equal(apply_one(f->s, 2, c), STORE_ENOTFOUND);
	assert_raw(f->s, "ver", "7");
	c = cmd_new();
	assert_int_equal(
	    store_cmd_op(c, STORE_OP_EXPECT, STORE_T_PARAMS, "ver", 3, "7", 1),
	    0);
	assert_int_equal(
	    store_cmd_op(c, STORE_OP_PUT, STORE_T_PARAMS, "ver", 3, "8", 1), 0);
	assert_int_equal(apply_one(f->s, 3, c), 0);
	assert_raw(f->s, "ver", "8");
	/* A longer or shorter value is not "exactly this value". */
	assert_int_equal(raw_op(f->s, 4, STORE_OP_EXPECT, "ver", "88"),
			 STORE_ENOTFOUND);
	assert_int_equal(raw_op(f->s, 5, STORE_OP_EXPECT, "none", "8"),
			 STORE_ENOTFOUND);
}

static void
test_failing_command_leaves_no_trace_while_others_apply(void **state)
{
	static const int want[] = {0, STORE_EEXIST, 0, STORE_ENOTFOUND, 0};
	struct fx *f = *state;
	struct entry e = {0};
	struct store_cmd *c;
	size_t n_audit;
	struct store_read *r;

	assert_int_equal(raw_op(f->s, 1, STORE_OP_PUT, "taken", "x"), 0);
	c = cmd_new();
	store_cmd_op(c, STORE_OP_PUT, STORE_T_PARAMS, "a", 1, "1", 1);
	entry_add(&e, c);
	/* Writes b and an audit record, then fails: both must vanish. */
	c = cmd_new();
	store_cmd_op(c, STORE_OP_PUT, STORE_T_PARAMS, "b", 1, "1", 1);
	store_cmd_audit(c, "test", "b");
	store_cmd_op(c, STORE_OP_PUT_NEW, STORE_T_PARAMS, "taken", 5, "y", 1);
	entry_add(&e, c);
	c = cmd_new();
	store_cmd_op(c, STORE_OP_PUT, STORE_T_PARAMS, "c", 1, "1", 1);
	entry_add(&e, c);
	/* Deletes taken, then fails: taken must still be there. */
	c = cmd_new();
	store_cmd_op(c, STORE_OP_DEL_EXISTING, STORE_T_PARAMS, "taken", 5, NULL,
		     0);
	store_cmd_op(c, STORE_OP_DEL_EXISTING, STORE_T_PARAMS, "nope", 4, NULL,
		     0);
	entry_add(&e, c);
	c = cmd_new();
	store_cmd_audit(c, "test", "d");
	entry_add(&e, c);
	entry_apply(f->s, 2, &e, want, 5);

	assert_raw(f->s, "a", "1");
	assert_raw(f->s, "b", NULL);
	assert_raw(f->s, "c", "1");
	assert_raw(f->s, "taken", "x");
	assert_int_equal(store_read_begin(f->s, &r), 0);
	assert_int_equal(store_count(r, STORE_T_AUDIT, &n_audit), 0);
	assert_int_equal(n_audit, 1);
	store_read_end(r);
	assert_int_equal(store_applied_index(f->s), 2);
}

struct audit_seen {
	unsigned n;
	uint64_t index[8];
	uint32_t pos[8];
	char detail[8][16];
};

static int audit_cb(void *arg, const void *key, size_t klen, const void *val,
		    size_t vlen)
{
	struct audit_seen *a = arg;
	const uint8_t *k = key;
	struct store_audit rec;

	assert_int_equal(klen, 12);
	assert_int_equal(store_audit_decode(val, vlen, &rec), 0);
	a->index[a->n] = store_key_to_u64(k);
	a->pos[a->n] = (uint32_t)k[8] << 24 | (uint32_t)k[9] << 16 |
		       (uint32_t)k[10] << 8 | k[11];
	snprintf(a->detail[a->n], 16, "%.15s", rec.detail);
	assert_string_equal(rec.actor, "admin");
	assert_int_equal(rec.time_ms, 1000);
	a->n++;
	return 0;
}

static void test_audit_keys_are_index_and_position_in_the_entry(void **state)
{
	static const int want[] = {0, 0};
	struct fx *f = *state;
	struct audit_seen seen = {0};
	struct entry e = {0};
	struct store_read *r;
	struct store_cmd *c;

	c = cmd_new();
	store_cmd_audit(c, "t", "first");
	store_cmd_audit(c, "t", "second");
	entry_add(&e, c);
	c = cmd_new();
	store_cmd_audit(c, "t", "third");
	entry_add(&e, c);
	entry_apply(f->s, 5, &e, want, 2);
	c = cmd_new();
	store_cmd_audit(c, "t", "fourth");
	assert_int_equal(apply_one(f->s, 6, c), 0);

	assert_int_equal(store_read_begin(f->s, &r), 0);
	assert_int_equal(store_each(r, STORE_T_AUDIT, NULL, 0, audit_cb, &seen),
			 0);
	store_read_end(r);
	assert_int_equal(seen.n, 4);
	assert_int_equal(seen.index[0], 5);
	assert_int_equal(seen.pos[0], 0);
	assert_string_equal(seen.detail[0], "first");
	assert_int_equal(seen.index[1], 5);
	assert_int_equal(seen.pos[1], 1);
	assert_int_equal(seen.index[2], 5);
	assert_int_equal(seen.pos[2], 2);
	assert_string_equal(seen.detail[2], "third");
	assert_int_equal(seen.index[3], 6);
	assert_int_equal(seen.pos[3], 0);
}

/* Entries 1..5 with a mix of operations, the same bytes every call. */
static void apply_history(struct store *s, unsigned *n_cmds)
{
	struct store_node n;
	struct store_cmd *c;
	struct entry e[5] = {{0}};
	int rcs[16];
	unsigned n_rcs;

	for (int i = 0; i < 5; i++) {
		c = cmd_new();
		fill_node(&n, (uint64_t)i + 1, "node");
		n.name[4] = (char)('1' + i);
		store_cmd_put_node(c, STORE_OP_PUT_NEW, &n);
		store_cmd_audit(c, "node.add", n.name);
		entry_add(&e[i], c);
		c = cmd_new();
		store_cmd_put_param(c, "sip_keepalive_s", i % 2 ? "30" : "60");
		if (i == 3)
			store_cmd_del_node(c, 1);
		entry_add(&e[i], c);
	}
	for (int i = 0; i < 5; i++) {
		assert_int_equal(store_apply(s, (uint64_t)i + 1, e[i].buf,
					     e[i].len, rcs, 16, &n_rcs),
				 0);
		assert_int_equal(n_rcs, 2);
		n_cmds[i] = n_rcs;
		for (unsigned k = 0; k < n_rcs; k++)
			assert_int_equal(rcs[k], 0);
		free(e[i].buf);
	}
}

static void test_reapplying_an_applied_index_is_a_no_op(void **state)
{
	struct fx *f = *state;
	struct dump before, after;
	unsigned n_cmds[5];

	apply_history(f->s, n_cmds);
	before = dump_store(f->s);
	/* Replayed after a restart: PUT_NEW would fail and the node deletion
	 * would fail if they ran again; they must not. */
	apply_history(f->s, n_cmds);
	after = dump_store(f->s);
	assert_int_equal(before.len, after.len);
	assert_memory_equal(before.buf, after.buf, before.len);
	assert_int_equal(store_applied_index(f->s), 5);
	/* A lower index than applied, with new content: also ignored. */
	assert_int_equal(put_param(f->s, 3, "sip_keepalive_s", "99"), 0);
	free(after.buf);
	after = dump_store(f->s);
	assert_memory_equal(before.buf, after.buf, before.len);
	free(before.buf);
	free(after.buf);
}

static void
test_applied_index_and_content_survive_close_and_reopen(void **state)
{
	struct fx *f = *state;
	struct dump before, after;
	unsigned n_cmds[5];

	apply_history(f->s, n_cmds);
	before = dump_store(f->s);
	store_close(f->s);
	f->s = fixture_store_open(f->dir);
	assert_non_null(f->s);
	assert_int_equal(store_applied_index(f->s), 5);
	after = dump_store(f->s);
	assert_int_equal(before.len, after.len);
	assert_memory_equal(before.buf, after.buf, before.len);
	free(before.buf);
	free(after.buf);
}

static void
test_malformed_commands_fail_alone_and_the_index_advances(void **state)
{
	struct fx *f = *state;
	struct entry e = {0};
	struct store_cmd *c;
	uint8_t *raw;
	size_t len;
	int want[4];

	/* Unknown version: skipped by its length, the next one applies. */
	c = cmd_new();
	store_cmd_op(c, STORE_OP_PUT, STORE_T_PARAMS, "v2", 2, "x", 1);
	assert_int_equal(store_cmd_finish(c, (void **)&raw, &len), 0);
	store_cmd_free(c);
	raw[4] = 2;
	entry_add_raw(&e, raw, len);
	/* An op on the meta table (only apply writes it). */
	raw[4] = 1;
	raw[29 + 5 + 1] = STORE_T_META;
	entry_add_raw(&e, raw, len);
	free(raw);
	c = cmd_new();
	store_cmd_op(c, STORE_OP_PUT, STORE_T_PARAMS, "ok", 2, "1", 1);
	entry_add(&e, c);
	/* Garbage: cannot be delimited, ends the entry. */
	entry_add_raw(&e, "garbage!garbage!", 16);
	want[0] = STORE_EVERSION;
	want[1] = STORE_ECORRUPT;
	want[2] = 0;
	want[3] = STORE_ECORRUPT;
	entry_apply(f->s, 1, &e, want, 4);
	assert_raw(f->s, "v2", NULL);
	assert_raw(f->s, "ok", "1");
	assert_int_equal(store_applied_index(f->s), 1);
}

/* Raft sizes its result array with store_cmd_count() before the apply:
 * both must agree on every entry, applied or replayed. */
static void test_commands_are_counted_alike_applied_or_replayed(void **state)
{
	struct fx *f = *state;
	struct entry e = {0};
	struct store_cmd *c;
	uint8_t *raw, *copy;
	size_t len, first;
	int rcs[16];
	unsigned n;

	c = cmd_new();
	store_cmd_op(c, STORE_OP_PUT, STORE_T_PARAMS, "a", 1, "1", 1);
	entry_add(&e, c);
	first = e.len;
	assert_int_equal(store_cmd_count(e.buf, first), 1);
	/* Unknown version, between two known ones. */
	c = cmd_new();
	store_cmd_op(c, STORE_OP_PUT, STORE_T_PARAMS, "v9", 2, "x", 1);
	assert_int_equal(store_cmd_finish(c, (void **)&raw, &len), 0);
	store_cmd_free(c);
	raw[4] = 9;
	entry_add_raw(&e, raw, len);
	free(raw);
	c = cmd_new();
	store_cmd_op(c, STORE_OP_PUT, STORE_T_PARAMS, "b", 1, "2", 1);
	entry_add(&e, c);
	assert_int_equal(store_cmd_count(e.buf, e.len), 3);
	/* A tail that cannot be delimited counts as one and ends it. */
	entry_add_raw(&e, "garbage!garbage!", 16);
	assert_int_equal(store_cmd_count(e.buf, e.len), 4);
	/* So does a command cut short. */
	assert_int_equal(store_cmd_count(e.buf, first + 16), 2);
	assert_int_equal(store_cmd_count(NULL, 0), 0);
	copy = malloc(e.len);
	assert_non_null(copy);
	memcpy(copy, e.buf, e.len);
	for (int replay = 0; replay < 2; replay++) {
		n = 99;
		assert_int_equal(store_apply(f->s, 1, copy, e.len, rcs, 16, &n),
				 STORE_OK);
		assert_int_equal(n, store_cmd_count(copy, e.len));
	}
	assert_raw(f->s, "b", "2");
	free(copy);
	free(e.buf);
}

static void test_empty_entry_only_moves_the_applied_index(void **state)
{
	struct fx *f = *state;
	unsigned n = 5;

	assert_int_equal(store_apply(f->s, 9, NULL, 0, NULL, 0, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_applied_index(f->s), 9);
}

static void test_results_beyond_max_rcs_are_counted_not_written(void **state)
{
	struct fx *f = *state;
	struct entry e = {0};
	int rcs[3] = {-1, -1, -1};
	unsigned n;

	for (int i = 0; i < 4; i++) {
		struct store_cmd *c = cmd_new();

		store_cmd_op(c, STORE_OP_PUT_NEW, STORE_T_PARAMS, "k", 1, "v",
			     1);
		entry_add(&e, c);
	}
	assert_int_equal(store_apply(f->s, 1, e.buf, e.len, rcs, 2, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(rcs[0], 0);
	assert_int_equal(rcs[1], STORE_EEXIST);
	assert_int_equal(rcs[2], -1);
	free(e.buf);
}

static void test_join_token_is_consumed_exactly_once(void **state)
{
	struct fx *f = *state;
	struct store_join_token t = {0}, got;
	struct store_node n;
	struct store_cmd *c;
	struct store_read *r;

	snprintf(t.node_name, sizeof t.node_name, "node4");
	t.node_id = 4;
	t.expires_ms = 5000;
	c = cmd_new();
	assert_int_equal(store_cmd_put_join_token(c, &t), 0);
	assert_int_equal(apply_one(f->s, 1, c), 0);
	assert_int_equal(store_read_begin(f->s, &r), 0);
	assert_int_equal(store_join_token_get(r, "node4", &got), 0);
	assert_int_equal(got.node_id, 4);
	store_read_end(r);

	for (uint64_t i = 2; i <= 3; i++) {
		c = cmd_new();
		assert_int_equal(store_cmd_use_join_token(c, "node4"), 0);
		fill_node(&n, 4, "node4");
		n.created_ms = i;
		assert_int_equal(store_cmd_put_node(c, STORE_OP_PUT, &n), 0);
		assert_int_equal(apply_one(f->s, i, c),
				 i == 2 ? 0 : STORE_ENOTFOUND);
	}
	assert_int_equal(store_read_begin(f->s, &r), 0);
	assert_int_equal(store_join_token_get(r, "node4", &got),
			 STORE_ENOTFOUND);
	assert_int_equal(store_node_get(r, 4, &n), 0);
	assert_int_equal(n.created_ms, 2);
	store_read_end(r);
}

static void test_typed_reads_return_what_was_applied(void **state)
{
	struct fx *f = *state;
	struct store_cluster cl = {0}, cl2;
	struct store_admin ad = {0}, ad2;
	struct store_node n, n2;
	struct store_cmd *c = cmd_new();
	struct store_read *r;
	size_t count;

	snprintf(cl.id, sizeof cl.id, "6f1c2d3e-0000-4000-8000-000000000001");
	snprintf(cl.name, sizeof cl.name, "lab");
	cl.schema_version = STORE_SCHEMA_VERSION;
	snprintf(ad.name, sizeof ad.name, "root");
	ad.kdf = 1;
	ad.kdf_n = 16384;
	assert_int_equal(store_cmd_put_cluster(c, &cl), 0);
	assert_int_equal(store_cmd_put_admin(c, STORE_OP_PUT_NEW, &ad), 0);
	for (uint64_t id = 1; id <= 3; id++) {
		fill_node(&n, id, id == 2 ? "beta" : "other");
		assert_int_equal(store_cmd_put_node(c, STORE_OP_PUT_NEW, &n),
				 0);
	}
	assert_int_equal(apply_one(f->s, 1, c), 0);

	assert_int_equal(store_read_begin(f->s, &r), 0);
	assert_int_equal(store_cluster_get(r, &cl2), 0);
	assert_memory_equal(&cl, &cl2, sizeof cl);
	assert_int_equal(store_admin_get(r, "root", &ad2), 0);
	assert_memory_equal(&ad, &ad2, sizeof ad);
	assert_int_equal(store_admin_get(r, "nobody", &ad2), STORE_ENOTFOUND);
	assert_int_equal(store_admin_get(r, "", &ad2), STORE_EINVAL);
	assert_int_equal(store_node_get(r, 3, &n2), 0);
	assert_int_equal(n2.id, 3);
	assert_int_equal(store_node_get(r, 4, &n2), STORE_ENOTFOUND);
	assert_int_equal(store_node_find(r, "beta", &n2), 0);
	assert_int_equal(n2.id, 2);
	assert_int_equal(store_node_find(r, "gamma", &n2), STORE_ENOTFOUND);
	assert_int_equal(store_count(r, STORE_T_NODES, &count), 0);
	assert_int_equal(count, 3);
	assert_int_equal(store_count(r, STORE_T__COUNT, &count), STORE_EINVAL);
	store_read_end(r);
	store_read_end(NULL);
}

struct collect {
	unsigned n;
	uint64_t ids[8];
	int stop_at;
};

static int collect_cb(void *arg, const void *key, size_t klen, const void *val,
		      size_t vlen)
{
	struct collect *c = arg;

	c->ids[c->n++] = store_key_to_u64(key);
	return c->stop_at && (int)c->n == c->stop_at ? 42 : 0;
}

static void test_each_starts_at_a_key_and_stops_when_asked(void **state)
{
	struct fx *f = *state;
	struct store_cmd *c = cmd_new();
	struct collect col = {0};
	struct store_read *r;
	struct store_node n;
	uint8_t start[8];

	for (uint64_t id = 10; id <= 50; id += 10) {
		fill_node(&n, id, "n");
		store_cmd_put_node(c, STORE_OP_PUT, &n);
	}
	assert_int_equal(apply_one(f->s, 1, c), 0);
	assert_int_equal(store_read_begin(f->s, &r), 0);
	store_key_u64(25, start);
	assert_int_equal(
	    store_each(r, STORE_T_NODES, start, 8, collect_cb, &col), 0);
	assert_int_equal(col.n, 3);
	assert_int_equal(col.ids[0], 30);
	assert_int_equal(col.ids[2], 50);
	memset(&col, 0, sizeof col);
	col.stop_at = 2;
	assert_int_equal(
	    store_each(r, STORE_T_NODES, NULL, 0, collect_cb, &col), 42);
	assert_int_equal(col.n, 2);
	store_read_end(r);
}

static void test_a_read_sees_a_stable_view_across_applies(void **state)
{
	struct fx *f = *state;
	struct store_read *r;
	const void *v;
	size_t n;

	assert_int_equal(raw_op(f->s, 1, STORE_OP_PUT, "k", "old"), 0);
	assert_int_equal(store_read_begin(f->s, &r), 0);
	assert_int_equal(raw_op(f->s, 2, STORE_OP_PUT, "k", "new"), 0);
	assert_int_equal(store_get(r, STORE_T_PARAMS, "k", 1, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(v, "old", 3);
	store_read_end(r);
	assert_raw(f->s, "k", "new");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_put_replaces_and_put_new_refuses_an_existing_key),
	    T(test_del_ignores_absent_keys_and_del_existing_does_not),
	    T(test_expect_guards_the_rest_of_the_command),
	    T(test_failing_command_leaves_no_trace_while_others_apply),
	    T(test_audit_keys_are_index_and_position_in_the_entry),
	    T(test_reapplying_an_applied_index_is_a_no_op),
	    T(test_applied_index_and_content_survive_close_and_reopen),
	    T(test_malformed_commands_fail_alone_and_the_index_advances),
	    T(test_commands_are_counted_alike_applied_or_replayed),
	    T(test_empty_entry_only_moves_the_applied_index),
	    T(test_results_beyond_max_rcs_are_counted_not_written),
	    T(test_join_token_is_consumed_exactly_once),
	    T(test_typed_reads_return_what_was_applied),
	    T(test_each_starts_at_a_key_and_stops_when_asked),
	    T(test_a_read_sees_a_stable_view_across_applies),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
