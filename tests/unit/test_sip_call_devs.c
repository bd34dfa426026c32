/* The calls each device takes part in (call_devs.h; docs/sip.md,
 * "Bounds"): the count max_calls_per_device reads must be what a walk of
 * the calls gives after every change of a call's devices — a call placed
 * and freed, a blind transfer's swap and its swap back, an attended
 * transfer (the target's side moving from its call to the transferee's),
 * an INVITE with Replaces, a conference's factory call and a REFER into
 * it, a barge, a call across nodes and a trunk's. Calls are made here as
 * call.c makes them (call_link, call_free) and their sides replaced as
 * call_xfer.c does (side_replace); call_devs_check compares with the walk
 * after each step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct call;
#define NTA_LEG_MAGIC_T struct call
#define NTA_INCOMING_MAGIC_T struct call
#define NTA_OUTGOING_MAGIC_T struct call

#include <sofia-sip/nta.h>

#include "common/log.h"
#include "node/sip/call_int.h"

static struct sip_calls *table(void)
{
	struct sip_call_config cfg;
	struct sip_calls_env env;
	struct sip_calls *cs = NULL;

	sip_call_config_defaults(&cfg);
	memset(&env, 0, sizeof env);
	assert_int_equal(sip_calls_new(&cfg, &env, &cs), 0);
	return cs;
}

static void side(struct side *s, const char *dev)
{
	memset(s, 0, sizeof *s);
	snprintf(s->dev.name, sizeof s->dev.name, "%s", dev);
}

/* A call from device A to device B, listed as invite() lists it. */
static struct call *call(struct sip_calls *cs, const char *a, const char *b)
{
	struct call *c = calloc(1, sizeof *c);

	assert_non_null(c);
	c->cs = cs;
	side(&c->a, a);
	side(&c->b, b);
	snprintf(c->call_id, sizeof c->call_id, "%s-%s", a, b);
	assert_int_equal(call_link(c), 0);
	return c;
}

static unsigned calls(struct sip_calls *cs, const char *dev)
{
	assert_int_equal(call_devs_check(cs), 0);
	return call_devs_calls(&cs->devs, dev);
}

static void test_a_call_counts_once_for_each_device(void **state)
{
	struct sip_calls *cs = table();
	struct call *c1, *c2, *self;

	(void)state;
	c1 = call(cs, "alice", "bob");
	c2 = call(cs, "alice", "carol");
	assert_int_equal(calls(cs, "alice"), 2);
	assert_int_equal(calls(cs, "bob"), 1);
	assert_int_equal(calls(cs, "carol"), 1);
	assert_int_equal(calls(cs, "dave"), 0);
	/* A device calling itself (its voicemail line, say): once. */
	self = call(cs, "alice", "alice");
	assert_int_equal(calls(cs, "alice"), 3);
	call_free(self, "test");
	call_free(c1, "test");
	assert_int_equal(calls(cs, "alice"), 1);
	assert_int_equal(calls(cs, "bob"), 0);
	call_free(c2, "test");
	assert_int_equal(calls(cs, "alice"), 0);
	assert_int_equal(cs->devs.names, 0); /* entries leave at zero */
	sip_calls_free(cs);
}

/* Blind transfer (call_xfer.c swap_in, swap_back): bob REFERs alice to
 * carol; carol takes bob's slot once she answers; a failed re-INVITE
 * puts bob back. */
static void test_a_transfer_moves_the_count(void **state)
{
	struct sip_calls *cs = table();
	struct call *c = call(cs, "alice", "bob");
	struct side neu, old;

	(void)state;
	side(&neu, "carol");
	old = c->b;
	side_replace(c, &c->b, &neu); /* swap_in */
	assert_int_equal(calls(cs, "bob"), 0);
	assert_int_equal(calls(cs, "carol"), 1);
	assert_int_equal(calls(cs, "alice"), 1);
	neu = c->b;
	side_replace(c, &c->b, &old); /* swap_back */
	assert_int_equal(calls(cs, "bob"), 1);
	assert_int_equal(calls(cs, "carol"), 0);
	/* Transferred to alice herself: one call of hers. */
	side(&neu, "alice");
	side_replace(c, &c->b, &neu);
	assert_int_equal(calls(cs, "alice"), 1);
	assert_int_equal(calls(cs, "bob"), 0);
	/* And out again (a second transfer, by the caller's side). */
	side(&neu, "dave");
	side_replace(c, &c->a, &neu);
	assert_int_equal(calls(cs, "alice"), 1);
	assert_int_equal(calls(cs, "dave"), 1);
	call_free(c, "test");
	assert_int_equal(cs->devs.names, 0);
	sip_calls_free(cs);
}

/* Attended transfer (refer_replaces): bob talks to alice in C1 and to
 * carol in C2; carol's side leaves C2, which ends, for bob's slot in C1.
 * Then dave's INVITE with Replaces takes alice's side. */
static void test_attended_transfer_and_replaces(void **state)
{
	struct sip_calls *cs = table();
	struct call *c1 = call(cs, "alice", "bob");
	struct call *c2 = call(cs, "bob", "carol");
	struct side neu;

	(void)state;
	assert_int_equal(calls(cs, "bob"), 2);
	neu = c2->b;
	c2->b.leg = NULL;
	call_free(c2, "joined by an attended transfer");
	assert_int_equal(calls(cs, "carol"), 0);
	assert_int_equal(calls(cs, "bob"), 1);
	side_replace(c1, &c1->b, &neu);
	assert_int_equal(calls(cs, "bob"), 0);
	assert_int_equal(calls(cs, "carol"), 1);
	side(&neu, "dave");
	side_replace(c1, &c1->a, &neu);
	assert_int_equal(calls(cs, "alice"), 0);
	assert_int_equal(calls(cs, "dave"), 1);
	assert_int_equal(calls(cs, "carol"), 1);
	call_free(c1, "test");
	assert_int_equal(cs->devs.names, 0);
	sip_calls_free(cs);
}

/* A conference (call_conf.c) changes no call's devices: the factory
 * call's B side is ward's "conference"; a REFER into it leaves the
 * transferor's side in its call (ending) until the call is freed; a
 * barge adds the barger's own call; a side leaving a barged call keeps
 * its device in the call. Calls across nodes and trunks count by name
 * too, as the walk did (the bound skips trunks, not the count). */
static void test_conferences_nodes_and_trunks(void **state)
{
	struct sip_calls *cs = table();
	struct call *conf = call(cs, "alice", "conference");
	struct call *c = call(cs, "bob", "alice");
	struct call *barged = call(cs, "carol", "dave");
	struct call *barger = call(cs, "erin", "conference");
	struct call *node = call(cs, "erin", "member-2");
	struct call *trunk = call(cs, "pstn", "carol");

	(void)state;
	c->parts = 1u; /* alice REFERs bob into her conference */
	assert_int_equal(calls(cs, "alice"), 2);
	assert_int_equal(calls(cs, "conference"), 2);
	barged->parts = 1u; /* dave leaves the barge */
	assert_int_equal(calls(cs, "dave"), 1);
	assert_int_equal(calls(cs, "erin"), 2);
	assert_int_equal(calls(cs, "member-2"), 1);
	assert_int_equal(calls(cs, "pstn"), 1);
	assert_int_equal(calls(cs, "carol"), 2);
	call_free(c, "test");
	call_free(conf, "test");
	assert_int_equal(calls(cs, "alice"), 0);
	call_free(barger, "test");
	assert_int_equal(calls(cs, "conference"), 0);
	call_free(node, "test");
	call_free(barged, "test");
	call_free(trunk, "test");
	assert_int_equal(cs->devs.names, 0);
	sip_calls_free(cs);
}

/* Many calls among few devices, placed, freed and their sides replaced
 * at random: the counts stay the walk's after every step. */
static void test_random_changes_keep_the_walk(void **state)
{
	static const char *names[] = {"d0", "d1", "d2", "d3", "d4", "d5"};
	struct sip_calls *cs = table();
	struct call *live[64] = {0};
	unsigned seed = 12345;

	(void)state;
	for (int step = 0; step < 20000; step++) {
		unsigned r = seed = seed * 1103515245u + 12345u;
		unsigned k = (r >> 8) % 64, n = (r >> 16) % 6,
			 m = (r >> 20) % 6;
		struct side neu;

		if (!live[k]) {
			live[k] = call(cs, names[n], names[m]);
		} else if ((r >> 4) % 3 == 0) {
			call_free(live[k], "test");
			live[k] = NULL;
		} else {
			side(&neu, names[n]);
			side_replace(live[k],
				     (r >> 24) & 1 ? &live[k]->a : &live[k]->b,
				     &neu);
		}
		if (step % 16 == 0)
			assert_int_equal(call_devs_check(cs), 0);
	}
	assert_int_equal(call_devs_check(cs), 0);
	sip_calls_free(cs); /* frees the calls left */
}

/* The check is no formality: a side changed behind the table's back is
 * seen. */
static void test_the_check_sees_a_change_it_was_not_told(void **state)
{
	struct sip_calls *cs = table();
	struct call *c = call(cs, "alice", "bob");

	(void)state;
	assert_int_equal(call_devs_check(cs), 0);
	snprintf(c->b.dev.name, sizeof c->b.dev.name, "carol");
	assert_int_equal(call_devs_check(cs), -1);
	snprintf(c->b.dev.name, sizeof c->b.dev.name, "alice");
	assert_int_equal(call_devs_check(cs), -1);
	snprintf(c->b.dev.name, sizeof c->b.dev.name, "bob");
	assert_int_equal(call_devs_check(cs), 0);
	call_free(c, "test");
	sip_calls_free(cs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_call_counts_once_for_each_device),
	    cmocka_unit_test(test_a_transfer_moves_the_count),
	    cmocka_unit_test(test_attended_transfer_and_replaces),
	    cmocka_unit_test(test_conferences_nodes_and_trunks),
	    cmocka_unit_test(test_random_changes_keep_the_walk),
	    cmocka_unit_test(test_the_check_sees_a_change_it_was_not_told),
	};
	log_set_level(LOG_LVL_WARN); /* not a line per call freed */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
