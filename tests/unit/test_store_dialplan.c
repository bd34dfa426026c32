/* test_store_dialplan: the dial plan — pattern syntax and matching, the
 * precedence of dialplan_resolve (CSS order, the none-partition, a line
 * before a pattern, the most specific pattern, blocking, numbers outside
 * the caller's reach not revealed), and the records and tables behind it
 * (partitions, calling search spaces, route patterns and their index,
 * devices of version 1 read as version 2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/codec.h"
#include "store/dialplan.h"
#include "store/prov.h"
#include "tests/unit/test_store_fixture.h"

/* ---- patterns --------------------------------------------------------- */

static void
test_pattern_check_accepts_the_syntax_and_names_the_fault(void **state)
{
	static const char *const good[] = {
	    "1000", "1XXX", "9[2-9]XXXXXX", "[135]", "[1-35-7]X", "00!",
	    "!",    "+41!", "*67X",	    "#",     "[0-9]!"};
	static const char *const bad[] = {
	    "",	     "1x",  "1X!2", "!!",  "[]",  "[5-1]",
	    "[1-]",  "[a]", "[1",   "1.!", "1 2", "12]",
	    "[[1]]", "-",   "1\t2", "X-",  "9.",  "[1-2"};
	char err[128], longp[80];

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		assert_int_equal(dialplan_pattern_check(good[i], NULL, 0), 0);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		err[0] = '\0';
		assert_int_equal(
		    dialplan_pattern_check(bad[i], err, sizeof err), -1);
		assert_true(err[0] != '\0');
	}
	assert_int_equal(dialplan_pattern_check("1X!2", err, sizeof err), -1);
	assert_non_null(strstr(err, "position 3"));
	/* 31 positions, but not 32; 63 characters, but not 64. */
	memset(longp, 'X', 31);
	longp[31] = '\0';
	assert_int_equal(dialplan_pattern_check(longp, NULL, 0), 0);
	longp[31] = 'X';
	longp[32] = '\0';
	assert_int_equal(dialplan_pattern_check(longp, err, sizeof err), -1);
	for (int i = 0; i < 12; i++)
		memcpy(longp + 5 * i, "[0-9]", 5);
	longp[60] = '\0';
	assert_int_equal(dialplan_pattern_check(longp, NULL, 0), 0);
	memcpy(longp + 60, "[0-9]", 6);
	assert_int_equal(dialplan_pattern_check(longp, err, sizeof err), -1);
	assert_int_equal(dialplan_pattern_check(NULL, NULL, 0), -1);
}

static void test_pattern_match_counts_the_numbers_it_matches(void **state)
{
	(void)state;
	assert_true(dialplan_pattern_match("1000", "1000") == 1);
	assert_true(dialplan_pattern_match("1000", "1001") == 0);
	assert_true(dialplan_pattern_match("1XXX", "1234") == 1000);
	assert_true(dialplan_pattern_match("1XXX", "123") == 0);
	assert_true(dialplan_pattern_match("1XXX", "12345") == 0);
	assert_true(dialplan_pattern_match("[2-4]X", "31") == 30);
	assert_true(dialplan_pattern_match("[2-4]X", "51") == 0);
	assert_true(dialplan_pattern_match("[135]", "3") == 3);
	assert_true(dialplan_pattern_match("[135]", "2") == 0);
	/* '!' is one or more digits: its count grows with the number. */
	assert_true(dialplan_pattern_match("00!", "00") == 0);
	assert_true(dialplan_pattern_match("00!", "001") == 10);
	assert_true(dialplan_pattern_match("00!", "0041791234567") ==
		    (dialplan_count)100000000000ULL);
	assert_true(dialplan_pattern_match("!", "5") == 10);
	assert_true(dialplan_pattern_match("+41!", "+4144") == 100);
	assert_true(dialplan_pattern_match("X", "*") == 0);
	assert_true(dialplan_pattern_match("*67X", "*675") == 10);
	assert_true(dialplan_pattern_match("!", "1*") == 0);
	/* A malformed pattern or number matches nothing. */
	assert_true(dialplan_pattern_match("[5-1]", "3") == 0);
	assert_true(dialplan_pattern_match("X", "a") == 0);
	assert_true(dialplan_pattern_match("X", "") == 0);
}

/* ---- resolving over a table ------------------------------------------- */

struct entry {
	const char *partition;
	const char *line;    /* a line, or NULL */
	const char *pattern; /* or a pattern */
	uint32_t action;
	const char *target;
};

struct table {
	const struct entry *e;
	size_t n;
	int fail; /* the source fails */
	unsigned line_calls;
};

static int t_has_line(void *ctx, const char *partition, const char *number)
{
	struct table *t = ctx;

	t->line_calls++;
	if (t->fail)
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		if (t->e[i].line && strcmp(t->e[i].partition, partition) == 0 &&
		    strcmp(t->e[i].line, number) == 0)
			return 1;
	}
	return 0;
}

static int t_each(void *ctx, const char *partition, const char *number,
		  dialplan_pattern_fn fn, void *arg)
{
	struct table *t = ctx;

	(void)number; /* hands over every one: resolve must filter */
	/* Backwards, so no test depends on the listing order. */
	for (size_t i = t->n; i-- > 0;) {
		struct dialplan_pattern p = {.pattern = t->e[i].pattern,
					     .action = t->e[i].action,
					     .target = t->e[i].target,
					     .name = t->e[i].pattern};

		if (!t->e[i].pattern ||
		    strcmp(t->e[i].partition, partition) != 0)
			continue;
		if (fn(arg, &p))
			return 1;
	}
	return 0;
}

static const struct dialplan_source tsrc = {.has_line = t_has_line,
					    .each_pattern = t_each};

#define R STORE_ROUTE_TO_TRUNK
#define B STORE_ROUTE_BLOCK

static const struct entry plan[] = {
    {"internal", "1000", NULL, 0, NULL},
    {"internal", "1001", NULL, 0, NULL},
    {"exec", "2000", NULL, 0, NULL},
    {"", "3000", NULL, 0, NULL}, /* the none-partition */
    {"internal", NULL, "1XXX", R, "pbx-trunk"},
    {"pstn", NULL, "9!", R, "pstn-trunk"},
    {"pstn", NULL, "9[2-9]XXXXXX", R, "local-trunk"},
    {"pstn", NULL, "900!", B, ""},
    {"pstn", NULL, "9[0-1]!", B, ""},
    {"pstn", NULL, "9[0-1]!", R, "zz-trunk"},
    {"pstn", NULL, "91[2-3]X", R, "b-trunk"},
    {"pstn", NULL, "91X[2-3]", R, "a-trunk"},
    {"block", NULL, "1001", B, ""},
    {"", NULL, "4XXX", R, "none-trunk"},
};

static struct dialplan_result resolve(const char *const *css, unsigned n,
				      const char *number)
{
	char names[STORE_CSS_PARTITIONS_MAX][STORE_NAME_MAX];
	struct table t = {.e = plan, .n = sizeof plan / sizeof *plan};
	struct dialplan_result res;

	for (unsigned i = 0; i < n; i++)
		snprintf(names[i], sizeof names[i], "%s", css[i]);
	assert_int_equal(dialplan_resolve(&tsrc, &t, names, n, number, &res),
			 0);
	return res;
}

static void test_resolve_exact_line_beats_a_pattern(void **state)
{
	static const char *const css[] = {"internal"};
	struct dialplan_result r;

	(void)state;
	r = resolve(css, 1, "1000");
	assert_int_equal(r.verdict, DIALPLAN_LINE);
	assert_string_equal(r.partition, "internal");
	r = resolve(css, 1, "1234");
	assert_int_equal(r.verdict, DIALPLAN_ROUTE);
	assert_string_equal(r.target, "pbx-trunk");
	assert_string_equal(r.pattern, "1XXX");
}

static void test_resolve_follows_css_order_then_the_none_partition(void **state)
{
	static const char *const blocked_first[] = {"block", "internal"};
	static const char *const internal_first[] = {"internal", "block"};
	struct dialplan_result r;

	(void)state;
	/* The first partition of the CSS that holds the number wins. */
	r = resolve(blocked_first, 2, "1001");
	assert_int_equal(r.verdict, DIALPLAN_BLOCK);
	assert_string_equal(r.partition, "block");
	r = resolve(internal_first, 2, "1001");
	assert_int_equal(r.verdict, DIALPLAN_LINE);
	assert_string_equal(r.partition, "internal");
	/* The none-partition comes last, for every CSS, even an empty one. */
	r = resolve(internal_first, 2, "3000");
	assert_int_equal(r.verdict, DIALPLAN_LINE);
	assert_string_equal(r.partition, "");
	r = resolve(NULL, 0, "3000");
	assert_int_equal(r.verdict, DIALPLAN_LINE);
	r = resolve(NULL, 0, "4321");
	assert_int_equal(r.verdict, DIALPLAN_ROUTE);
	assert_string_equal(r.target, "none-trunk");
}

static void test_resolve_does_not_reveal_numbers_outside_the_css(void **state)
{
	static const char *const css[] = {"internal"};
	struct dialplan_result out_of_reach, unknown;

	(void)state;
	/* 2000 exists, in "exec", which the caller cannot reach: the answer
	 * is the very one of a number that exists nowhere. */
	out_of_reach = resolve(css, 1, "2000");
	unknown = resolve(css, 1, "2999");
	assert_int_equal(out_of_reach.verdict, DIALPLAN_NONE);
	assert_memory_equal(&out_of_reach, &unknown, sizeof unknown);
	/* A pattern of an unreachable partition is no more visible. */
	assert_int_equal(resolve(css, 1, "900123").verdict, DIALPLAN_NONE);
	/* Nor is anything for what is not a directory number. */
	assert_int_equal(resolve(css, 1, "10a0").verdict, DIALPLAN_NONE);
	assert_int_equal(resolve(css, 1, "").verdict, DIALPLAN_NONE);
}

static void test_resolve_picks_the_most_specific_pattern(void **state)
{
	static const char *const css[] = {"pstn"};
	struct dialplan_result r;

	(void)state;
	/* 9[2-9]XXXXXX (8 * 10^6 numbers of 8 digits) beats 9! (10^7). */
	r = resolve(css, 1, "92345678");
	assert_int_equal(r.verdict, DIALPLAN_ROUTE);
	assert_string_equal(r.target, "local-trunk");
	/* 900! (10^k) beats 9[0-1]! (2 * 10^k): blocked. */
	r = resolve(css, 1, "90012345");
	assert_int_equal(r.verdict, DIALPLAN_BLOCK);
	assert_string_equal(r.pattern, "900!");
	assert_string_equal(r.target, "");
	/* Equal counts: the blocking pattern first (fail closed). */
	r = resolve(css, 1, "9101");
	assert_int_equal(r.verdict, DIALPLAN_BLOCK);
	assert_string_equal(r.pattern, "9[0-1]!");
	/* Equal counts, same action: the pattern text decides. */
	r = resolve(css, 1, "9123");
	assert_int_equal(r.verdict, DIALPLAN_ROUTE);
	assert_string_equal(r.pattern, "91X[2-3]");
	assert_string_equal(r.target, "a-trunk");
	r = resolve(css, 1, "9555");
	assert_int_equal(r.verdict, DIALPLAN_ROUTE);
	assert_string_equal(r.target, "pstn-trunk");
}

static void test_resolve_fails_closed_when_the_source_fails(void **state)
{
	char css[1][STORE_NAME_MAX] = {"internal"};
	struct table t = {
	    .e = plan, .n = sizeof plan / sizeof *plan, .fail = 1};
	struct dialplan_result r;

	(void)state;
	assert_int_equal(dialplan_resolve(&tsrc, &t, css, 1, "1000", &r), -1);
	assert_int_equal(t.line_calls, 1);
}

/* ---- records and tables ----------------------------------------------- */

static void
test_dial_plan_records_round_trip_and_refuse_bad_fields(void **state)
{
	struct store_partition p = {.name = "internal",
				    .description = "d",
				    .created_ms = 1,
				    .changed_ms = 2},
			       p2;
	struct store_css c = {.name = "phones", .n_partitions = 2}, c2;
	struct store_route_pattern rp = {.name = "pstn-out",
					 .partition = "pstn",
					 .pattern = "9[2-9]XXXXXX",
					 .action = STORE_ROUTE_TO_TRUNK,
					 .trunk = "gw1"},
				   rp2;
	uint8_t buf[STORE_RECORD_MAX];
	size_t len;

	(void)state;
	assert_int_equal(store_partition_encode(&p, buf, sizeof buf, &len), 0);
	assert_int_equal(store_partition_decode(buf, len, &p2), 0);
	assert_memory_equal(&p, &p2, sizeof p);

	for (int i = 0; i < STORE_CSS_PARTITIONS_MAX; i++)
		snprintf(c.partitions[i], sizeof c.partitions[i],
			 "partition-with-a-rather-long-name-number-%02d-"
			 "padding-xx",
			 i);
	c.n_partitions = STORE_CSS_PARTITIONS_MAX;
	memset(c.description, 'x', sizeof c.description - 1);
	assert_int_equal(store_css_encode(&c, buf, sizeof buf, &len), 0);
	assert_int_equal(store_css_decode(buf, len, &c2), 0);
	assert_memory_equal(&c, &c2, sizeof c);
	snprintf(c.partitions[1], sizeof c.partitions[1], "%s",
		 c.partitions[0]);
	assert_int_equal(store_css_encode(&c, buf, sizeof buf, &len),
			 STORE_EINVAL); /* listed twice */
	c.n_partitions = STORE_CSS_PARTITIONS_MAX + 1;
	assert_int_equal(store_css_encode(&c, buf, sizeof buf, &len),
			 STORE_EINVAL);

	assert_int_equal(store_route_pattern_encode(&rp, buf, sizeof buf, &len),
			 0);
	assert_int_equal(store_route_pattern_decode(buf, len, &rp2), 0);
	assert_memory_equal(&rp, &rp2, sizeof rp);
	snprintf(rp.pattern, sizeof rp.pattern, "9[9-2]");
	assert_int_equal(store_route_pattern_encode(&rp, buf, sizeof buf, &len),
			 STORE_EINVAL);
	snprintf(rp.pattern, sizeof rp.pattern, "900!");
	rp.action = STORE_ROUTE_BLOCK; /* a block names no trunk */
	assert_int_equal(store_route_pattern_encode(&rp, buf, sizeof buf, &len),
			 STORE_EINVAL);
	rp.trunk[0] = '\0';
	assert_int_equal(store_route_pattern_encode(&rp, buf, sizeof buf, &len),
			 0);
	rp.action = STORE_ROUTE_TO_TRUNK; /* a route names one */
	assert_int_equal(store_route_pattern_encode(&rp, buf, sizeof buf, &len),
			 STORE_EINVAL);
	rp.action = 7;
	assert_int_equal(store_route_pattern_encode(&rp, buf, sizeof buf, &len),
			 STORE_EINVAL);
	assert_string_equal(store_route_action_name(STORE_ROUTE_BLOCK),
			    "block");
}

/* A version 1 device record, as the store held before partitions: it reads
 * with its lines in the none-partition and no calling search space. */
static void test_version_1_device_reads_with_no_partitions(void **state)
{
	static const uint8_t v1[] = {
	    1, /* version */
	    0,	 15,  'S', 'E', 'P', '0', '0', '1', '1', '2', '2',
	    '3', '3', '4', '4', 'A', 'A', /* name */
	    1,				  /* kind phone */
	    0,	 0,			  /* description */
	    0,	 4,   '7', '9', '7', '0', /* model */
	    0,	 0,   0,   3,		  /* caps tls, srtp */
	    0,	 19,  's', 't', 'a', 'n', 'd', 'a', 'r', 'd', '-',
	    'n', 'o', 'n', '-', 's', 'e', 'c', 'u', 'r', 'e', /* profile */
	    1,	 0,   4,   '1', '0', '0', '1',		      /* one line */
	    0,	 0,   0,   0,	0,   0,		  /* user, group, host */
	    0,	 0,				  /* port */
	    0,	 0,   0,   0,	0,   0,	  0,   5, /* created */
	    0,	 0,   0,   0,	0,   0,	  0,   6, /* changed */
	};
	struct store_device d, d2;
	uint8_t buf[STORE_RECORD_MAX];
	size_t len;

	(void)state;
	assert_int_equal(store_device_decode(v1, sizeof v1, &d), 0);
	assert_string_equal(d.name, "SEP0011223344AA");
	assert_int_equal(d.n_lines, 1);
	assert_string_equal(d.lines[0], "1001");
	assert_string_equal(d.line_partitions[0], "");
	assert_string_equal(d.css, "");
	assert_int_equal(d.changed_ms, 6);
	/* Written back as version 2, it holds the same device. */
	assert_int_equal(store_device_encode(&d, buf, sizeof buf, &len), 0);
	assert_int_equal(buf[0], 2);
	assert_int_equal(store_device_decode(buf, len, &d2), 0);
	assert_memory_equal(&d, &d2, sizeof d);
	/* A partition or CSS that is not a name does not encode. */
	snprintf(d.css, sizeof d.css, "bad name");
	assert_int_equal(store_device_encode(&d, buf, sizeof buf, &len),
			 STORE_EINVAL);
}

static int collect_pattern(void *arg, const struct store_route_pattern *rp)
{
	char *out = arg;

	strcat(out, rp->pattern);
	strcat(out, " ");
	return 0;
}

static void put_pattern(struct fx *f, const char *name, const char *part,
			const char *pattern, int want)
{
	struct store_route_pattern rp = {.action = STORE_ROUTE_BLOCK};
	struct store_cmd *c = fx_cmd();

	snprintf(rp.name, sizeof rp.name, "%s", name);
	snprintf(rp.partition, sizeof rp.partition, "%s", part);
	snprintf(rp.pattern, sizeof rp.pattern, "%s", pattern);
	assert_int_equal(store_cmd_put_route_pattern(c, NULL, &rp), 0);
	assert_int_equal(fx_apply(f, c), want);
}

static void
test_route_patterns_are_unique_per_partition_and_indexed(void **state)
{
	struct fx *f = *state;
	struct store_route_pattern old, next;
	struct store_read *r;
	struct store_cmd *c;
	char seen[256] = "", name[STORE_NAME_MAX];

	put_pattern(f, "a", "pstn", "900!", 0);
	put_pattern(f, "b", "pstn", "9[0-1]!", 0);
	put_pattern(f, "c", "", "900!", 0); /* another partition: fine */
	put_pattern(f, "d", "pstn", "900!", STORE_EEXIST);
	put_pattern(f, "a", "other", "1X", STORE_EEXIST);
	r = fx_read(f);
	assert_int_equal(
	    store_route_pattern_each_in(r, "pstn", collect_pattern, seen), 0);
	assert_string_equal(seen, "900! 9[0-1]! ");
	seen[0] = '\0';
	assert_int_equal(
	    store_route_pattern_each_in(r, "", collect_pattern, seen), 0);
	assert_string_equal(seen, "900! ");
	seen[0] = '\0';
	assert_int_equal(store_route_pattern_each_match(r, "pstn", "9123",
							collect_pattern, seen),
			 0);
	assert_string_equal(seen, "9[0-1]! ");
	seen[0] = '\0';
	store_route_pattern_each_match(r, "pstn", "9001", collect_pattern,
				       seen);
	assert_string_equal(seen, "900! 9[0-1]! ");
	seen[0] = '\0';
	store_route_pattern_each_match(r, "pstn", "8001", collect_pattern,
				       seen);
	assert_string_equal(seen, "");
	assert_int_equal(store_route_pattern_find(r, "pstn", "9[0-1]!", name),
			 0);
	assert_string_equal(name, "b");
	assert_int_equal(store_route_pattern_find(r, "pstn", "1X", name),
			 STORE_ENOTFOUND);
	assert_int_equal(store_route_pattern_get(r, "a", &old), 0);
	store_read_end(r);
	/* Moving "a" to another partition moves its index entry. */
	next = old;
	snprintf(next.partition, sizeof next.partition, "intl");
	c = fx_cmd();
	assert_int_equal(store_cmd_put_route_pattern(c, &old, &next), 0);
	assert_int_equal(fx_apply(f, c), 0);
	/* An edit made from the old record loses. */
	c = fx_cmd();
	assert_int_equal(store_cmd_put_route_pattern(c, &old, &old), 0);
	assert_int_equal(fx_apply(f, c), STORE_ENOTFOUND);
	r = fx_read(f);
	seen[0] = '\0';
	store_route_pattern_each_in(r, "pstn", collect_pattern, seen);
	assert_string_equal(seen, "9[0-1]! ");
	seen[0] = '\0';
	store_route_pattern_each_in(r, "intl", collect_pattern, seen);
	assert_string_equal(seen, "900! ");
	store_read_end(r);
	c = fx_cmd();
	assert_int_equal(store_cmd_del_route_pattern(c, &next), 0);
	assert_int_equal(fx_apply(f, c), 0);
	r = fx_read(f);
	seen[0] = '\0';
	store_route_pattern_each_in(r, "intl", collect_pattern, seen);
	assert_string_equal(seen, "");
	assert_int_equal(store_route_pattern_get(r, "a", &old),
			 STORE_ENOTFOUND);
	store_read_end(r);
	/* The pattern is free again. */
	put_pattern(f, "e", "pstn", "900!", 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		test_pattern_check_accepts_the_syntax_and_names_the_fault),
	    cmocka_unit_test(test_pattern_match_counts_the_numbers_it_matches),
	    cmocka_unit_test(test_resolve_exact_line_beats_a_pattern),
	    cmocka_unit_test(
		test_resolve_follows_css_order_then_the_none_partition),
	    cmocka_unit_test(
		test_resolve_does_not_reveal_numbers_outside_the_css),
	    cmocka_unit_test(test_resolve_picks_the_most_specific_pattern),
	    cmocka_unit_test(test_resolve_fails_closed_when_the_source_fails),
	    cmocka_unit_test(
		test_dial_plan_records_round_trip_and_refuse_bad_fields),
	    cmocka_unit_test(test_version_1_device_reads_with_no_partitions),
	    cmocka_unit_test_setup_teardown(
		test_route_patterns_are_unique_per_partition_and_indexed,
		fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
