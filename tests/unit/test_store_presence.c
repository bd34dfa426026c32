/* test_store_presence: the presence-group record — round trip, strict
 * decoding, the encoder's bounds (12 rules, distinct groups, names), and
 * the table written by commands through store_apply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/presence.h"
#include "tests/unit/test_store_fixture.h"

static void group(struct store_presence_group *g, const char *name,
		  unsigned rules)
{
	memset(g, 0, sizeof *g);
	snprintf(g->name, sizeof g->name, "%s", name);
	snprintf(g->description, sizeof g->description, "front desk");
	for (unsigned i = 0; i < rules; i++) {
		snprintf(g->rules[i].group, sizeof g->rules[i].group,
			 "group-%02u-%.40s", i,
			 "with-a-long-name-to-fill-the-record-up");
		g->rules[i].allow = i % 2;
	}
	g->n_rules = rules;
	g->created_ms = 1;
	g->changed_ms = 2;
}

static void test_presence_group_round_trips_and_decodes_strictly(void **s)
{
	struct store_presence_group g, h;
	uint8_t buf[STORE_RECORD_MAX + 1];
	size_t len;

	(void)s;
	/* The most rules, with the longest names, fit a record. */
	group(&g, "staff", STORE_PRESENCE_RULES_MAX);
	assert_int_equal(store_presence_group_encode(&g, buf, sizeof buf, &len),
			 0);
	assert_true(len <= STORE_RECORD_MAX);
	assert_int_equal(store_presence_group_decode(buf, len, &h), 0);
	assert_memory_equal(&g, &h, sizeof g);
	assert_int_equal(store_presence_rule_of(&h, g.rules[1].group), 1);
	assert_int_equal(store_presence_rule_of(&h, g.rules[0].group), 0);
	assert_int_equal(store_presence_rule_of(&h, "staff"), -1);
	for (size_t i = 0; i < len; i++)
		assert_int_not_equal(store_presence_group_decode(buf, i, &h),
				     0);
	buf[len] = 0;
	assert_int_equal(store_presence_group_decode(buf, len + 1, &h),
			 STORE_ECORRUPT);
	/* A rule count past the bound, read from the wire, is corrupt. */
	group(&g, "staff", 1);
	assert_int_equal(store_presence_group_encode(&g, buf, sizeof buf, &len),
			 0);
	buf[1 + 2 + strlen("staff") + 2 + strlen("front desk")] = 13;
	assert_int_equal(store_presence_group_decode(buf, len, &h),
			 STORE_ECORRUPT);
}

static void test_presence_group_encoder_refuses_bad_rules(void **s)
{
	struct store_presence_group g;
	uint8_t buf[STORE_RECORD_MAX];
	size_t len;

	(void)s;
	group(&g, "staff", 2);
	snprintf(g.rules[1].group, sizeof g.rules[1].group, "%s",
		 g.rules[0].group);
	assert_int_equal(store_presence_group_encode(&g, buf, sizeof buf, &len),
			 STORE_EINVAL);
	group(&g, "staff", 1);
	snprintf(g.rules[0].group, sizeof g.rules[0].group, "../x");
	assert_int_equal(store_presence_group_encode(&g, buf, sizeof buf, &len),
			 STORE_EINVAL);
	group(&g, "staff", 1);
	g.rules[0].allow = 2;
	assert_int_equal(store_presence_group_encode(&g, buf, sizeof buf, &len),
			 STORE_EINVAL);
	group(&g, "staff", 1);
	g.n_rules = STORE_PRESENCE_RULES_MAX + 1;
	assert_int_equal(store_presence_group_encode(&g, buf, sizeof buf, &len),
			 STORE_EINVAL);
	group(&g, "-staff", 0);
	assert_int_equal(store_presence_group_encode(&g, buf, sizeof buf, &len),
			 STORE_EINVAL);
}

static int count(void *arg, const struct store_presence_group *g)
{
	(void)g;
	++*(int *)arg;
	return 0;
}

static void test_presence_groups_put_get_each_delete(void **state)
{
	struct fx *f = *state;
	struct store_presence_group g, h;
	struct store_cmd *c;
	struct store_read *r;
	uint8_t buf[STORE_RECORD_MAX];
	size_t len;
	int n = 0;

	group(&g, "staff", 3);
	c = fx_cmd();
	assert_int_equal(store_cmd_put_presence_group(c, STORE_OP_PUT_NEW, &g),
			 0);
	assert_int_equal(fx_apply(f, c), 0);
	c = fx_cmd();
	assert_int_equal(store_cmd_put_presence_group(c, STORE_OP_PUT_NEW, &g),
			 0);
	assert_int_equal(fx_apply(f, c), STORE_EEXIST);
	group(&h, "lobby", 0);
	c = fx_cmd();
	assert_int_equal(store_cmd_put_presence_group(c, STORE_OP_PUT, &h), 0);
	assert_int_equal(fx_apply(f, c), 0);
	/* A record filed under another name is refused by the getter. */
	assert_int_equal(store_presence_group_encode(&h, buf, sizeof buf, &len),
			 0);
	c = fx_cmd();
	assert_int_equal(store_cmd_op(c, STORE_OP_PUT, STORE_T_PRESENCE_GROUPS,
				      "mallory", 7, buf, len),
			 0);
	assert_int_equal(fx_apply(f, c), 0);
	r = fx_read(f);
	assert_int_equal(store_presence_group_get(r, "staff", &h), 0);
	assert_memory_equal(&g, &h, sizeof g);
	assert_int_equal(store_presence_group_get(r, "nobody", &h),
			 STORE_ENOTFOUND);
	assert_int_equal(store_presence_group_get(r, "", &h), STORE_EINVAL);
	assert_int_equal(store_presence_group_get(r, "mallory", &h),
			 STORE_ECORRUPT);
	assert_int_equal(store_presence_group_each(r, count, &n), 0);
	assert_int_equal(n, 2); /* the misfiled one skipped */
	store_read_end(r);
	c = fx_cmd();
	assert_int_equal(store_cmd_del_presence_group(c, "staff"), 0);
	assert_int_equal(fx_apply(f, c), 0);
	c = fx_cmd();
	assert_int_equal(store_cmd_del_presence_group(c, "staff"), 0);
	assert_int_equal(fx_apply(f, c), STORE_ENOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		test_presence_group_round_trips_and_decodes_strictly),
	    cmocka_unit_test(test_presence_group_encoder_refuses_bad_rules),
	    cmocka_unit_test_setup_teardown(
		test_presence_groups_put_get_each_delete, fx_setup,
		fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
