/* test_admin_gate: what an unauthenticated client may cost — login tokens
 * per address with a Retry-After, failures counted per source and user and
 * summarised into a bounded number of records, fixed memory whatever the
 * number of addresses or names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node/admin/admin_gate.h"

static struct admin_gate *gate(unsigned burst, unsigned per_min)
{
	struct admin_gate_config cfg = {.burst = burst, .per_min = per_min};
	struct admin_gate *g;

	assert_int_equal(admin_gate_new(&cfg, &g), 0);
	return g;
}

/* What a summary emitted, kept for the checks. */
struct emitted {
	unsigned n;
	char action[ADMIN_GATE_RECORDS_MAX][32];
	char detail[ADMIN_GATE_RECORDS_MAX][512];
};

static void keep(void *arg, const char *action, const char *detail)
{
	struct emitted *e = arg;

	assert_true(e->n < ADMIN_GATE_RECORDS_MAX);
	assert_true(strlen(detail) < 500);
	snprintf(e->action[e->n], sizeof e->action[0], "%s", action);
	snprintf(e->detail[e->n], sizeof e->detail[0], "%s", detail);
	e->n++;
}

static int find(const struct emitted *e, const char *action, const char *needle)
{
	for (unsigned i = 0; i < e->n; i++)
		if (strcmp(e->action[i], action) == 0 &&
		    strstr(e->detail[i], needle))
			return 1;
	return 0;
}

static void test_a_burst_goes_then_429_with_retry_after(void **s)
{
	struct admin_gate *g = gate(3, 60); /* one token a second */
	uint64_t t = 1000000;

	(void)s;
	for (int i = 0; i < 3; i++)
		assert_int_equal(admin_gate_take(g, "192.0.2.1", t), 0);
	assert_int_equal(admin_gate_take(g, "192.0.2.1", t), 1);
	/* Another address has its own bucket. */
	assert_int_equal(admin_gate_take(g, "192.0.2.2", t), 0);
	/* Half a token later: still a wait, of at most a second. */
	assert_int_equal(admin_gate_take(g, "192.0.2.1", t + 500), 1);
	assert_int_equal(admin_gate_take(g, "192.0.2.1", t + 1000), 0);
	assert_int_equal(admin_gate_take(g, "192.0.2.1", t + 1000), 1);
	admin_gate_free(g);
}

static void test_retry_after_follows_the_refill_rate(void **s)
{
	struct admin_gate *g = gate(1, 2); /* one token every 30 s */
	uint64_t t = 5000000;
	unsigned wait;

	(void)s;
	assert_int_equal(admin_gate_take(g, "2001:db8::1", t), 0);
	wait = admin_gate_take(g, "2001:db8::1", t);
	assert_true(wait >= 30 && wait <= 31);
	wait = admin_gate_take(g, "2001:db8::1", t + 20000);
	assert_true(wait >= 10 && wait <= 11);
	/* The bucket refills to its burst, no further. */
	assert_int_equal(admin_gate_take(g, "2001:db8::1", t + 3600000), 0);
	assert_true(admin_gate_take(g, "2001:db8::1", t + 3600000) > 0);
	admin_gate_free(g);
}

static void test_many_addresses_cost_no_more_memory_and_keep_buckets(void **s)
{
	struct admin_gate *g = gate(2, 1);
	char addr[48];
	uint64_t t = 1000;

	(void)s;
	/* The victim spends its burst, then 100,000 made-up addresses. */
	assert_int_equal(admin_gate_take(g, "198.51.100.7", t), 0);
	assert_int_equal(admin_gate_take(g, "198.51.100.7", t), 0);
	for (unsigned i = 0; i < 100000; i++) {
		snprintf(addr, sizeof addr, "10.%u.%u.%u", i >> 16,
			 (i >> 8) & 255, i & 255);
		admin_gate_take(g, addr, t);
	}
	/* Fixed tables (one allocation of a size known at build time):
	 * slots are reused, the refilled ones first, so the flood did not
	 * hand the spent address a fresh bucket. */
	assert_int_equal(admin_gate_take(g, "198.51.100.7", t), 60);
	admin_gate_free(g);
}

static void test_failures_are_summarised_per_source_with_the_count(void **s)
{
	struct admin_gate *g = gate(0, 0);
	struct emitted e = {0};

	(void)s;
	assert_int_equal(
	    admin_gate_fail(g, ADMIN_GATE_LOGIN, "192.0.2.1", "root", "wrong"),
	    1);
	for (int i = 0; i < 29; i++)
		assert_int_equal(admin_gate_fail(g, ADMIN_GATE_LOGIN,
						 "192.0.2.1", "?", "malformed"),
				 0);
	admin_gate_fail(g, ADMIN_GATE_LOGIN, "192.0.2.9", "root", "wrong");
	admin_gate_fail(g, ADMIN_GATE_JOIN, "192.0.2.1", "n2", "wrong token");
	assert_int_equal(admin_gate_pending(g), 32);
	assert_int_equal(admin_gate_summary(g, 60, keep, &e), 4);
	assert_true(find(&e, "login.fail",
			 "peer=192.0.2.1 count=30 window=60s users=root:1,?:29"
			 " last=malformed"));
	assert_true(find(&e, "login.fail", "peer=192.0.2.9 count=1 "));
	assert_true(find(&e, "join.fail",
			 "peer=192.0.2.1 count=1 window=60s names=n2:1"));
	assert_true(find(&e, "login.fail.users", "root:2 ?:29"));
	/* A new window starts empty. */
	assert_int_equal(admin_gate_pending(g), 0);
	memset(&e, 0, sizeof e);
	assert_int_equal(admin_gate_summary(g, 60, keep, &e), 0);
	assert_int_equal(
	    admin_gate_fail(g, ADMIN_GATE_LOGIN, "192.0.2.1", "root", NULL), 1);
	admin_gate_free(g);
}

static void test_a_summary_is_bounded_whatever_the_sources_and_names(void **s)
{
	struct admin_gate *g = gate(0, 0);
	struct emitted e = {0};
	char addr[48], name[64];
	unsigned i;

	(void)s;
	for (i = 0; i < 10000; i++) {
		snprintf(addr, sizeof addr, "10.0.%u.%u", i >> 8, i & 255);
		snprintf(name, sizeof name, "user-%u-%s", i,
			 "with-a-rather-long-name-to-fill-the-record");
		admin_gate_fail(g, ADMIN_GATE_LOGIN, addr, name, "wrong");
	}
	/* One source trying many names: four kept, the rest counted. */
	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof name, "guess%u", i);
		admin_gate_fail(g, ADMIN_GATE_LOGIN, "10.0.0.0", name, NULL);
	}
	assert_int_equal(admin_gate_summary(g, 60, keep, &e),
			 ADMIN_GATE_RECORDS_MAX);
	assert_true(find(&e, "auth.fail.more", "count=9936 "));
	assert_true(find(&e, "login.fail",
			 "peer=10.0.0.0 count=51 window=60s users=user-0-"));
	assert_true(find(&e, "login.fail", "guess2:1 (+47 more)"));
	assert_true(find(&e, "login.fail.users", " more)"));
	admin_gate_free(g);
}

static void test_sip_counts_add_up_in_one_record_per_source(void **s)
{
	struct admin_gate *g = gate(0, 0);
	struct emitted e = {0};

	(void)s;
	assert_int_equal(admin_gate_fail_n(g, ADMIN_GATE_SIP, "192.0.2.5",
					   "alice", "wrong digest response",
					   12),
			 1);
	assert_int_equal(admin_gate_fail_n(g, ADMIN_GATE_SIP, "192.0.2.5",
					   "alice", "wrong digest response",
					   18),
			 0);
	assert_int_equal(
	    admin_gate_fail_n(g, ADMIN_GATE_SIP, "192.0.2.5", "x", NULL, 0), 0);
	assert_int_equal(admin_gate_pending(g), 30);
	assert_int_equal(admin_gate_summary(g, 60, keep, &e), 1);
	assert_true(find(&e, "sip.fail",
			 "peer=192.0.2.5 count=30 window=60s names=alice:30 "
			 "last=wrong digest response"));
	admin_gate_free(g);
}

static void test_capf_failures_are_their_own_summary_per_source(void **s)
{
	struct admin_gate *g = gate(0, 0);
	struct emitted e = {0};

	(void)s;
	for (int i = 0; i < 5; i++)
		admin_gate_fail(g, ADMIN_GATE_CAPF, "192.0.2.7",
				"SEP0000000000FF", "unknown device");
	admin_gate_fail(g, ADMIN_GATE_CAPF, "192.0.2.7", "", "idle too long");
	admin_gate_fail(g, ADMIN_GATE_LOGIN, "192.0.2.7", "root", "wrong");
	assert_int_equal(admin_gate_summary(g, 60, keep, &e), 3);
	assert_true(find(&e, "capf.fail",
			 "peer=192.0.2.7 count=6 window=60s "
			 "devices=SEP0000000000FF:5,?:1 last=idle too long"));
	assert_true(find(&e, "login.fail", "peer=192.0.2.7 count=1 "));
	/* device names are not admin users */
	assert_false(find(&e, "login.fail.users", "SEP0000000000FF"));
	admin_gate_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_burst_goes_then_429_with_retry_after),
	    cmocka_unit_test(test_retry_after_follows_the_refill_rate),
	    cmocka_unit_test(
		test_many_addresses_cost_no_more_memory_and_keep_buckets),
	    cmocka_unit_test(
		test_failures_are_summarised_per_source_with_the_count),
	    cmocka_unit_test(
		test_a_summary_is_bounded_whatever_the_sources_and_names),
	    cmocka_unit_test(test_sip_counts_add_up_in_one_record_per_source),
	    cmocka_unit_test(
		test_capf_failures_are_their_own_summary_per_source),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
