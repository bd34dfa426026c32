/* Presence across nodes (presence_node.h): the PUBLISH bodies both ways
 * and what malformed ones are refused; who is told that a device is
 * watched, and when again; who watches a device, for how long. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "node/sip/presence_node.h"

static int parse(const char *event, const char *body, struct sip_pnode_msg *m)
{
	return sip_pnode_parse(event, body, strlen(body), m);
}

static void test_bodies_round_trip(void **state)
{
	struct sip_dialog_event ev =
				    {
					.device = "SEP000000000003",
					.line = "1003",
					.call_id = "a84b4c76e66710@pc33",
					.peer = "1002",
					.initiator = 1,
					.state = SIP_DLG_CONFIRMED,
				    },
				back;
	struct sip_pnode_msg m;
	char body[SIP_PNODE_BODY_MAX];
	int n;

	(void)state;
	n = sip_pnode_dialog_body(&ev, body, sizeof body);
	assert_true(n > 0);
	assert_int_equal(
	    sip_pnode_parse(SIP_PNODE_EVENT_DIALOG, body, (size_t)n, &m), 0);
	assert_int_equal(m.dialog, 1);
	sip_pnode_event(&m, &back);
	assert_string_equal(back.device, ev.device);
	assert_string_equal(back.line, ev.line);
	assert_string_equal(back.call_id, ev.call_id);
	assert_string_equal(back.peer, ev.peer);
	assert_int_equal(back.initiator, 1);
	assert_int_equal(back.state, SIP_DLG_CONFIRMED);
	n = sip_pnode_watch_body("SEP000000000003", body, sizeof body);
	assert_true(n > 0);
	assert_int_equal(
	    sip_pnode_parse(SIP_PNODE_EVENT_WATCH, body, (size_t)n, &m), 0);
	assert_int_equal(m.dialog, 0);
	assert_string_equal(m.device, "SEP000000000003");
	/* A registration event, or a device that is no name: no body. */
	ev.state = SIP_DLG_REGISTERED;
	assert_int_equal(sip_pnode_dialog_body(&ev, body, sizeof body), -1);
	assert_int_equal(sip_pnode_watch_body("SEP 1", body, sizeof body), -1);
}

static void test_malformed_bodies_are_refused(void **state)
{
	struct sip_pnode_msg m;
	const char *ok = "device=D\nline=1\ncall-id=c@h\npeer=2\ninitiator=0\n"
			 "state=early\n";

	(void)state;
	assert_int_equal(parse(SIP_PNODE_EVENT_DIALOG, ok, &m), 0);
	assert_int_equal(m.state, SIP_DLG_EARLY);
	/* Unknown event, missing or duplicate key, unknown key or value,
	 * a line without LF, a value out of its alphabet. */
	assert_int_equal(parse("dialog", ok, &m), -1);
	assert_int_equal(parse(SIP_PNODE_EVENT_DIALOG,
			       "device=D\nline=1\ncall-id=c\npeer=2\n"
			       "initiator=0\n",
			       &m),
			 -1);
	assert_int_equal(
	    parse(SIP_PNODE_EVENT_WATCH, "device=D\ndevice=E\n", &m), -1);
	assert_int_equal(parse(SIP_PNODE_EVENT_WATCH, "device=D\nline=1\n", &m),
			 -1);
	assert_int_equal(parse(SIP_PNODE_EVENT_WATCH, "device=D", &m), -1);
	assert_int_equal(parse(SIP_PNODE_EVENT_WATCH, "device=\n", &m), -1);
	assert_int_equal(parse(SIP_PNODE_EVENT_WATCH, "device=<D>\n", &m), -1);
	assert_int_equal(parse(SIP_PNODE_EVENT_DIALOG,
			       "device=D\nline=1\ncall-id=c h\npeer=2\n"
			       "initiator=0\nstate=early\n",
			       &m),
			 -1);
	assert_int_equal(parse(SIP_PNODE_EVENT_DIALOG,
			       "device=D\nline=1\ncall-id=c\npeer=2\n"
			       "initiator=2\nstate=early\n",
			       &m),
			 -1);
	assert_int_equal(parse(SIP_PNODE_EVENT_DIALOG,
			       "device=D\nline=1\ncall-id=c\npeer=2\n"
			       "initiator=0\nstate=registered\n",
			       &m),
			 -1);
	assert_int_equal(
	    sip_pnode_parse(SIP_PNODE_EVENT_WATCH, "device=D\0\n", 10, &m), -1);
}

static void test_a_watch_is_told_once_a_minute(void **state)
{
	struct sip_pnode *t;

	(void)state;
	assert_int_equal(sip_pnode_new(&t), 0);
	assert_int_equal(sip_pnode_announce_due(t, "D", 2, 1000), 1);
	assert_int_equal(sip_pnode_announce_due(t, "D", 2, 30000), 0);
	/* Another member now holds it: told at once. */
	assert_int_equal(sip_pnode_announce_due(t, "D", 3, 31000), 1);
	assert_int_equal(sip_pnode_announce_due(t, "D", 3, 90000), 0);
	assert_int_equal(sip_pnode_announce_due(t, "D", 3, 91000), 1);
	sip_pnode_free(t);
}

static void test_watchers_lapse(void **state)
{
	struct sip_pnode *t;
	uint64_t w[SIP_PNODE_PER_DEV];

	(void)state;
	assert_int_equal(sip_pnode_new(&t), 0);
	assert_int_equal(sip_pnode_watchers(t, "D", 0, w), 0);
	sip_pnode_watch(t, "D", 1, 1000);
	sip_pnode_watch(t, "D", 3, 2000);
	sip_pnode_watch(t, "D", 1, 3000); /* a refresh, not a second entry */
	assert_int_equal(sip_pnode_watchers(t, "D", 4000, w), 2);
	assert_int_equal(sip_pnode_watchers(t, "E", 4000, w), 0);
	/* Member 3's interest lapses first. */
	assert_int_equal(
	    sip_pnode_watchers(t, "D", 2000 + SIP_PNODE_TTL_S * 1000ULL, w), 1);
	assert_int_equal(w[0], 1);
	assert_int_equal(
	    sip_pnode_watchers(t, "D", 3000 + SIP_PNODE_TTL_S * 1000ULL, w), 0);
	/* More members than places: the one lapsing first goes. */
	for (uint64_t n = 10; n < 10 + SIP_PNODE_PER_DEV + 1; n++)
		sip_pnode_watch(t, "F", n, 5000 + n);
	assert_int_equal(sip_pnode_watchers(t, "F", 6000, w),
			 SIP_PNODE_PER_DEV);
	sip_pnode_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bodies_round_trip),
	    cmocka_unit_test(test_malformed_bodies_are_refused),
	    cmocka_unit_test(test_a_watch_is_told_once_a_minute),
	    cmocka_unit_test(test_watchers_lapse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
