/* Presence as protocol traces: who may watch whom between presence groups,
 * the PIDF and dialog-info bodies, and subscriptions — initial NOTIFY,
 * NOTIFYs as the watched device registers and calls, refresh,
 * unsubscribe, expiry, a NOTIFY answered 481, retransmissions and the
 * table's bounds. The authenticated watcher is given, as the core passes
 * it once digest passed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip_parser.h>
#include <sofia-sip/su.h>

#include "node/sip/core.h"
#include "node/sip/directory_mem.h"
#include "node/sip/presence.h"

static const char dirtext[] = "realm ward.test\n"
			      "presence_default disallow\n"
			      "pgroup staff allow=staff,execs\n"
			      "pgroup execs disallow=staff\n"
			      "pgroup lobby\n"
			      "user alice pw-alice pgroup=staff\n"
			      "user bob pw-bob pgroup=staff\n"
			      "user carl pw-carl pgroup=execs\n"
			      "user eve pw-eve pgroup=lobby\n"
			      "user nogroup pw-x\n"
			      "device SEP001122334455 user=alice line=1001\n"
			      "device SEP00AABBCCDDEE user=bob line=1002\n"
			      "device SEP0000000000CC user=carl line=1003\n"
			      "device SEP0000000000EE user=eve line=1004\n"
			      "trunk gw addr=10.0.0.2 allow=presence\n";

#define SENT_MAX 16

struct sent {
	char call_id[128], state[64], event[16], body[4096], from[300];
	uint32_t cseq;
};

struct fixture {
	struct sip_dirmem *mem;
	struct sip_directory dir;
	struct sip_presence *p;
	struct sent sent[SENT_MAX];
	int nsent;
	int fail_send;
	int registered; /* what the registrar answers */
	uint64_t now;
};

static int on_send(void *arg, const struct sip_presence_notify *n)
{
	struct fixture *f = arg;
	struct sent *s;

	if (f->fail_send)
		return -1;
	assert_true(f->nsent < SENT_MAX);
	s = &f->sent[f->nsent++];
	snprintf(s->call_id, sizeof s->call_id, "%s", n->call_id);
	snprintf(s->state, sizeof s->state, "%s", n->state);
	snprintf(s->event, sizeof s->event, "%s", n->event);
	snprintf(s->from, sizeof s->from, "%s", n->from);
	snprintf(s->body, sizeof s->body, "%.*s", (int)n->body_len,
		 n->body ? n->body : "");
	s->cseq = n->cseq;
	return 0;
}

static int on_registered(void *arg, const char *device)
{
	(void)device;
	return ((struct fixture *)arg)->registered;
}

static int setup_max(void **state, size_t max_subs, unsigned per_watcher)
{
	static struct fixture f;
	struct sip_presence_config cfg;
	char err[256];

	memset(&f, 0, sizeof f);
	su_init();
	assert_int_equal(sip_dirmem_parse(dirtext, &f.mem, err, sizeof err), 0);
	sip_dirmem_directory(f.mem, &f.dir);
	sip_presence_config_defaults(&cfg);
	cfg.max_subs = max_subs;
	cfg.max_per_watcher = per_watcher;
	assert_int_equal(
	    sip_presence_new(&cfg, &f.dir, on_registered, &f, &f.p), 0);
	sip_presence_set_sender(f.p, on_send, &f);
	f.now = 1800000000000ull;
	*state = &f;
	return 0;
}

static int setup(void **state)
{
	return setup_max(state, 100, 8);
}

static int setup_small(void **state)
{
	return setup_max(state, 3, 2);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sip_presence_free(f->p);
	sip_dirmem_free(f->mem);
	su_deinit();
	return 0;
}

/* A SUBSCRIBE for TARGET's EVENT in dialog CALL (To tag TOTAG or none),
 * answered. */
static struct sip_reply subscribe(struct fixture *f, const char *watcher,
				  const char *target, const char *event,
				  const char *call, const char *totag,
				  unsigned cseq, const char *extra)
{
	char text[2048], to[128] = "";
	struct sip_reply rep;
	msg_t *m;
	sip_t *sip;

	if (totag)
		snprintf(to, sizeof to, ";tag=%s", totag);
	snprintf(text, sizeof text,
		 "SUBSCRIBE sip:%s@ward.test SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bK%u\r\n"
		 "Max-Forwards: 70\r\n"
		 "From: <sip:1001@ward.test>;tag=w1\r\n"
		 "To: <sip:%s@ward.test>%s\r\n"
		 "Call-ID: %s\r\n"
		 "CSeq: %u SUBSCRIBE\r\n"
		 "Contact: <sip:1001@192.0.2.1:5062>\r\n"
		 "Event: %s\r\n"
		 "%s"
		 "Content-Length: 0\r\n\r\n",
		 target, cseq, target, to, call, cseq, event,
		 extra ? extra : "");
	m = msg_make(sip_default_mclass(), 0, text, strlen(text));
	sip = sip_object(m);
	assert_non_null(sip);
	memset(&rep, 0, sizeof rep);
	sip_presence_subscribe(f->p, sip, watcher, NULL, f->now, &rep);
	msg_destroy(m);
	sip_presence_flush(f->p);
	return rep;
}

static const char *hdr(const struct sip_reply *rep, const char *name)
{
	size_t n = strlen(name);

	for (int i = 0; i < rep->nhdr; i++)
		if (strncmp(rep->hdr[i], name, n) == 0 && rep->hdr[i][n] == ':')
			return rep->hdr[i] + n + 2;
	return NULL;
}

static void answer_last(struct fixture *f, int status)
{
	const struct sent *s = &f->sent[f->nsent - 1];

	sip_presence_on_response(f->p, s->call_id, s->cseq, status);
	sip_presence_flush(f->p);
}

static void event(struct fixture *f, const char *device,
		  enum sip_dialog_state st, const char *call_id)
{
	struct sip_dialog_event ev = {
	    .device = device,
	    .line = "",
	    .call_id = call_id ? call_id : "",
	    .peer = "2000",
	    .initiator = 1,
	    .state = st,
	};

	sip_presence_on_event(f->p, &ev);
	sip_presence_flush(f->p);
}

/* ---- the permission check ----------------------------------------------- */

static void test_permission_rules_then_same_group_then_default(void **s)
{
	(void)s;
	/* A rule wins, either way, even within one group. */
	assert_int_equal(sip_presence_permitted("a", "b", 1, 0), 1);
	assert_int_equal(sip_presence_permitted("a", "b", 0, 1), 0);
	assert_int_equal(sip_presence_permitted("a", "a", 0, 1), 0);
	/* Without one: members of a group see each other... */
	assert_int_equal(sip_presence_permitted("a", "a", -1, 0), 1);
	/* ...and other pairs take the cluster default. */
	assert_int_equal(sip_presence_permitted("a", "b", -1, 0), 0);
	assert_int_equal(sip_presence_permitted("a", "b", -1, 1), 1);
	/* No group: only the default. */
	assert_int_equal(sip_presence_permitted("", "", -1, 0), 0);
	assert_int_equal(sip_presence_permitted("", "b", 1, 0), 0);
	assert_int_equal(sip_presence_permitted("a", "", -1, 1), 1);
}

static void test_authorize_reads_the_groups_of_both_users(void **state)
{
	struct fixture *f = *state;
	struct sip_device bob, carl, eve;

	assert_int_equal(f->dir.ops->device_by_name(f->dir.ctx, "1002", &bob),
			 0);
	assert_int_equal(f->dir.ops->device_by_name(f->dir.ctx, "1003", &carl),
			 0);
	assert_int_equal(f->dir.ops->device_by_name(f->dir.ctx, "1004", &eve),
			 0);
	assert_int_equal(sip_presence_authorize(&f->dir, "alice", &bob), 1);
	assert_int_equal(sip_presence_authorize(&f->dir, "alice", &carl), 1);
	assert_int_equal(sip_presence_authorize(&f->dir, "carl", &bob), 0);
	assert_int_equal(sip_presence_authorize(&f->dir, "eve", &bob), 0);
	assert_int_equal(sip_presence_authorize(&f->dir, "nogroup", &bob), 0);
	assert_int_equal(sip_presence_authorize(&f->dir, "ghost", &bob), 0);
	assert_int_equal(sip_presence_authorize(&f->dir, "", &bob), 0);
	/* Lobby has no rules: one member may see another. */
	assert_int_equal(sip_presence_authorize(&f->dir, "eve", &eve), 1);
}

static void test_authorize_fails_closed_without_presence_data(void **state)
{
	struct fixture *f = *state;
	struct sip_directory_ops ops = *f->dir.ops;
	struct sip_directory dir = {.ops = &ops, .ctx = f->dir.ctx};
	struct sip_device bob;

	assert_int_equal(f->dir.ops->device_by_name(f->dir.ctx, "1002", &bob),
			 0);
	ops.presence_rule = NULL;
	assert_int_equal(sip_presence_authorize(&dir, "alice", &bob), 0);
}

/* ---- bodies -------------------------------------------------------------- */

static void test_pidf_says_open_closed_and_on_the_phone(void **s)
{
	struct sip_presence_state st = {0};
	char out[2048];

	(void)s;
	assert_true(
	    sip_presence_pidf("sip:1002@ward.test", &st, out, sizeof out) > 0);
	assert_non_null(strstr(out, "<basic>closed</basic>"));
	assert_non_null(strstr(out, "entity=\"sip:1002@ward.test\""));
	assert_null(strstr(out, "on-the-phone"));
	st.registered = 1;
	st.ndialogs = 1;
	snprintf(st.dialogs[0].call_id, sizeof st.dialogs[0].call_id, "c1");
	st.dialogs[0].state = SIP_DLG_CONFIRMED;
	assert_true(
	    sip_presence_pidf("sip:1002@ward.test", &st, out, sizeof out) > 0);
	assert_non_null(strstr(out, "<basic>open</basic>"));
	assert_non_null(strstr(out, "<rpid:on-the-phone/>"));
	/* Too small: refused, not cut. */
	assert_int_equal(sip_presence_pidf("sip:1002@ward.test", &st, out, 40),
			 -1);
}

static void test_dialog_info_escapes_what_callers_chose(void **s)
{
	struct sip_presence_state st = {.registered = 1, .ndialogs = 2};
	char out[4096];
	int n;

	(void)s;
	snprintf(st.dialogs[0].call_id, sizeof st.dialogs[0].call_id,
		 "a\"><x>&'\x01\xff");
	st.dialogs[0].state = SIP_DLG_EARLY;
	snprintf(st.dialogs[0].peer, sizeof st.dialogs[0].peer, "<2000>");
	snprintf(st.dialogs[1].call_id, sizeof st.dialogs[1].call_id, "c2");
	st.dialogs[1].state = SIP_DLG_TERMINATED;
	st.dialogs[1].initiator = 1;
	n = sip_presence_dialog_info("sip:1&2@h", 7, &st, out, sizeof out);
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(out));
	assert_non_null(strstr(out, "version=\"7\" state=\"full\""));
	assert_non_null(strstr(out, "entity=\"sip:1&amp;2@h\""));
	assert_non_null(
	    strstr(out, "call-id=\"a&quot;&gt;&lt;x&gt;&amp;&apos;\""));
	assert_non_null(strstr(out, "direction=\"recipient\"><state>early"));
	assert_non_null(strstr(out, "<identity>&lt;2000&gt;</identity>"));
	assert_non_null(
	    strstr(out, "direction=\"initiator\"><state>terminated"));
	assert_null(strchr(out, '\x01'));
	assert_null(strchr(out, '\xff'));
}

static void test_accept_lists(void **s)
{
	su_home_t home[1] = {SU_HOME_INIT(home)};
	sip_accept_t *pidf = sip_accept_make(home, "application/pidf+xml");
	sip_accept_t *both =
	    sip_accept_make(home, "text/plain, application/dialog-info+xml");
	sip_accept_t *any = sip_accept_make(home, "application/*");
	sip_accept_t *text = sip_accept_make(home, "text/plain");

	(void)s;
	assert_true(sip_presence_accepts(NULL, SIP_PRESENCE_PKG_DIALOG));
	assert_true(sip_presence_accepts(pidf, SIP_PRESENCE_PKG_PRESENCE));
	assert_false(sip_presence_accepts(pidf, SIP_PRESENCE_PKG_DIALOG));
	assert_true(sip_presence_accepts(both, SIP_PRESENCE_PKG_DIALOG));
	assert_true(sip_presence_accepts(any, SIP_PRESENCE_PKG_PRESENCE));
	assert_false(sip_presence_accepts(text, SIP_PRESENCE_PKG_PRESENCE));
	su_home_deinit(home);
}

/* ---- subscriptions ------------------------------------------------------- */

static void test_subscription_notifies_registration_and_calls(void **state)
{
	struct fixture *f = *state;
	struct sip_reply rep;

	rep = subscribe(f, "alice", "1002", "presence", "s1", NULL, 1, NULL);
	assert_int_equal(rep.status, 200);
	assert_string_equal(hdr(&rep, "Expires"), "3600");
	assert_true(strlen(rep.to_tag) == 16);
	/* The initial NOTIFY: bob is not registered. */
	assert_int_equal(f->nsent, 1);
	assert_string_equal(f->sent[0].event, "presence");
	assert_string_equal(f->sent[0].state, "active;expires=3600");
	assert_non_null(strstr(f->sent[0].body, "<basic>closed</basic>"));
	assert_non_null(strstr(f->sent[0].from, rep.to_tag));
	answer_last(f, 200);

	/* Bob's phone registers, rings, talks and hangs up. */
	event(f, "SEP00AABBCCDDEE", SIP_DLG_REGISTERED, NULL);
	assert_int_equal(f->nsent, 2);
	assert_non_null(strstr(f->sent[1].body, "<basic>open</basic>"));
	assert_true(f->sent[1].cseq > f->sent[0].cseq);
	answer_last(f, 200);
	event(f, "SEP00AABBCCDDEE", SIP_DLG_CONFIRMED, "call-1");
	assert_int_equal(f->nsent, 3);
	assert_non_null(strstr(f->sent[2].body, "on-the-phone"));
	answer_last(f, 200);
	event(f, "SEP00AABBCCDDEE", SIP_DLG_TERMINATED, "call-1");
	assert_int_equal(f->nsent, 4);
	assert_null(strstr(f->sent[3].body, "on-the-phone"));
	answer_last(f, 200);
	/* Other devices' events reach nobody. */
	event(f, "SEP001122334455", SIP_DLG_REGISTERED, NULL);
	assert_int_equal(f->nsent, 4);
}

static void test_dialog_package_full_state_with_versions(void **state)
{
	struct fixture *f = *state;
	struct sip_reply rep;

	f->registered = 1;
	rep = subscribe(f, "alice", "1002", "dialog", "s2", NULL, 1,
			"Accept: application/dialog-info+xml\r\n");
	assert_int_equal(rep.status, 200);
	assert_int_equal(f->nsent, 1);
	assert_non_null(strstr(f->sent[0].body, "version=\"0\""));
	assert_null(strstr(f->sent[0].body, "<dialog "));
	answer_last(f, 200);
	event(f, "SEP00AABBCCDDEE", SIP_DLG_EARLY, "call-9");
	assert_non_null(strstr(f->sent[1].body, "version=\"1\""));
	assert_non_null(strstr(f->sent[1].body, "<state>early</state>"));
	assert_non_null(strstr(f->sent[1].body, "call-id=\"call-9\""));
	/* A change while a NOTIFY is unanswered waits for its answer and
	 * then goes as the full state. */
	event(f, "SEP00AABBCCDDEE", SIP_DLG_CONFIRMED, "call-9");
	assert_int_equal(f->nsent, 2);
	answer_last(f, 200);
	assert_int_equal(f->nsent, 3);
	assert_non_null(strstr(f->sent[2].body, "version=\"2\""));
	assert_non_null(strstr(f->sent[2].body, "<state>confirmed</state>"));
}

static void test_forbidden_pairs_unknown_lines_and_bad_events(void **state)
{
	struct fixture *f = *state;
	struct sip_reply rep;

	rep = subscribe(f, "carl", "1002", "presence", "x1", NULL, 1, NULL);
	assert_int_equal(rep.status, 403);
	rep = subscribe(f, "eve", "1001", "dialog", "x2", NULL, 1, NULL);
	assert_int_equal(rep.status, 403);
	rep = subscribe(f, "nogroup", "1001", "presence", "x3", NULL, 1, NULL);
	assert_int_equal(rep.status, 403);
	rep = subscribe(f, "alice", "9999", "presence", "x4", NULL, 1, NULL);
	assert_int_equal(rep.status, 404);
	rep = subscribe(f, "alice", "gw", "presence", "x5", NULL, 1, NULL);
	assert_int_equal(rep.status, 404);
	rep = subscribe(f, "alice", "1002", "message-summary", "x6", NULL, 1,
			NULL);
	assert_int_equal(rep.status, 489);
	assert_string_equal(hdr(&rep, "Allow-Events"), "presence, dialog");
	rep = subscribe(f, "alice", "1002", "presence", "x7", NULL, 1,
			"Accept: text/plain\r\n");
	assert_int_equal(rep.status, 406);
	rep = subscribe(f, "alice", "1002", "presence", "x8", NULL, 1,
			"Expires: 10\r\n");
	assert_int_equal(rep.status, 423);
	assert_string_equal(hdr(&rep, "Min-Expires"), "60");
	/* None of them holds a subscription or sent anything. */
	assert_int_equal(f->nsent, 0);
	{
		struct sip_presence_stats st;
		sip_presence_stats(f->p, &st);
		assert_int_equal(st.subscriptions, 0);
		assert_int_equal(st.refused, 3);
	}
}

static void test_refresh_retransmission_and_unsubscribe(void **state)
{
	struct fixture *f = *state;
	struct sip_reply rep, again;
	char tag[32];
	struct sip_presence_stats st;

	rep = subscribe(f, "alice", "1002", "presence", "s3", NULL, 1,
			"Expires: 600\r\n");
	assert_int_equal(rep.status, 200);
	assert_string_equal(hdr(&rep, "Expires"), "600");
	snprintf(tag, sizeof tag, "%s", rep.to_tag);
	answer_last(f, 200);
	/* The initial request again (UDP, stateless): same tag, no new
	 * subscription, no NOTIFY. */
	again = subscribe(f, "alice", "1002", "presence", "s3", NULL, 1,
			  "Expires: 600\r\n");
	assert_int_equal(again.status, 200);
	assert_string_equal(again.to_tag, tag);
	assert_int_equal(f->nsent, 1);
	/* A refresh: new expiry, a NOTIFY with the current state. */
	f->now += 100000;
	rep = subscribe(f, "alice", "1002", "presence", "s3", tag, 2,
			"Expires: 900\r\n");
	assert_int_equal(rep.status, 200);
	assert_string_equal(hdr(&rep, "Expires"), "900");
	assert_int_equal(f->nsent, 2);
	answer_last(f, 200);
	/* Only the watcher may refresh it; a wrong tag is no dialog. */
	rep = subscribe(f, "bob", "1002", "presence", "s3", tag, 3, NULL);
	assert_int_equal(rep.status, 403);
	rep = subscribe(f, "alice", "1002", "presence", "s3", "0000", 3, NULL);
	assert_int_equal(rep.status, 481);
	rep = subscribe(f, "alice", "1002", "presence", "s3", tag, 1, NULL);
	assert_int_equal(rep.status, 500);
	/* Unsubscribe: a final NOTIFY, then gone once answered. */
	rep = subscribe(f, "alice", "1002", "presence", "s3", tag, 4,
			"Expires: 0\r\n");
	assert_int_equal(rep.status, 200);
	assert_string_equal(hdr(&rep, "Expires"), "0");
	assert_int_equal(f->nsent, 3);
	assert_string_equal(f->sent[2].state, "terminated;reason=timeout");
	/* Its 200 lost, the unsubscribe comes again: the same answer, no
	 * NOTIFY; anything newer finds no subscription. */
	rep = subscribe(f, "alice", "1002", "presence", "s3", tag, 4,
			"Expires: 0\r\n");
	assert_int_equal(rep.status, 200);
	assert_int_equal(f->nsent, 3);
	rep = subscribe(f, "alice", "1002", "presence", "s3", tag, 6,
			"Expires: 600\r\n");
	assert_int_equal(rep.status, 481);
	answer_last(f, 200);
	sip_presence_stats(f->p, &st);
	assert_int_equal(st.subscriptions, 0);
	rep = subscribe(f, "alice", "1002", "presence", "s3", tag, 5, NULL);
	assert_int_equal(rep.status, 481);
}

static void test_expiry_ends_and_481_ends(void **state)
{
	struct fixture *f = *state;
	struct sip_presence_stats st;
	struct sip_reply rep;

	rep = subscribe(f, "alice", "1002", "presence", "e1", NULL, 1,
			"Expires: 60\r\n");
	assert_int_equal(rep.status, 200);
	answer_last(f, 200);
	rep = subscribe(f, "alice", "1003", "presence", "e2", NULL, 1, NULL);
	assert_int_equal(rep.status, 200);
	answer_last(f, 200);
	sip_presence_tick(f->p, f->now + 59000);
	sip_presence_flush(f->p);
	assert_int_equal(f->nsent, 2);
	sip_presence_tick(f->p, f->now + 60000);
	sip_presence_flush(f->p);
	assert_int_equal(f->nsent, 3);
	assert_string_equal(f->sent[2].call_id, "e1");
	assert_string_equal(f->sent[2].state, "terminated;reason=timeout");
	answer_last(f, 408); /* an error ends it too */
	/* The subscriber forgot e2: 481 ends it. */
	event(f, "SEP0000000000CC", SIP_DLG_REGISTERED, NULL);
	assert_int_equal(f->nsent, 4);
	answer_last(f, 481);
	sip_presence_stats(f->p, &st);
	assert_int_equal(st.subscriptions, 0);
	event(f, "SEP0000000000CC", SIP_DLG_UNREGISTERED, NULL);
	assert_int_equal(f->nsent, 4);
	/* A stale answer changes nothing. */
	sip_presence_on_response(f->p, "e2", 99, 200);
	/* A NOTIFY whose transaction vanished (no answer, not even nta's
	 * 408) ends its subscription after 64 s. */
	rep = subscribe(f, "alice", "1002", "presence", "e3", NULL, 1, NULL);
	assert_int_equal(rep.status, 200);
	sip_presence_tick(f->p, f->now + 60000);
	sip_presence_stats(f->p, &st);
	assert_int_equal(st.subscriptions, 1);
	sip_presence_tick(f->p, f->now + 65000);
	sip_presence_stats(f->p, &st);
	assert_int_equal(st.subscriptions, 0);
}

static void test_table_bounds_per_node_and_per_watcher(void **state)
{
	struct fixture *f = *state;
	struct sip_reply rep;

	rep = subscribe(f, "alice", "1002", "presence", "b1", NULL, 1, NULL);
	assert_int_equal(rep.status, 200);
	answer_last(f, 200);
	rep = subscribe(f, "alice", "1003", "presence", "b2", NULL, 1, NULL);
	assert_int_equal(rep.status, 200);
	answer_last(f, 200);
	rep = subscribe(f, "alice", "1001", "presence", "b3", NULL, 1, NULL);
	assert_int_equal(rep.status, 503); /* alice holds her 2 */
	rep = subscribe(f, "bob", "1001", "presence", "b4", NULL, 1, NULL);
	assert_int_equal(rep.status, 200);
	answer_last(f, 200);
	rep = subscribe(f, "eve", "1004", "presence", "b5", NULL, 1, NULL);
	assert_int_equal(rep.status, 503); /* the node holds its 3 */
	/* A failed send ends the subscription at once, freeing room. */
	f->fail_send = 1;
	event(f, "SEP00AABBCCDDEE", SIP_DLG_REGISTERED, NULL);
	f->fail_send = 0;
	rep = subscribe(f, "eve", "1004", "presence", "b6", NULL, 1, NULL);
	assert_int_equal(rep.status, 200);
}

/* Registrations on other nodes are seen by looking again, each watched
 * device within 5 ticks. */
static void test_registration_elsewhere_is_seen_within_five_ticks(void **state)
{
	struct fixture *f = *state;
	struct sip_reply rep;
	int ticks = 0;

	rep = subscribe(f, "alice", "1002", "presence", "p1", NULL, 1, NULL);
	assert_int_equal(rep.status, 200);
	answer_last(f, 200);
	/* Nothing changed: no NOTIFY however often it looks. */
	for (int i = 0; i < 10; i++)
		sip_presence_tick(f->p, f->now + 1000 * (uint64_t)i);
	sip_presence_flush(f->p);
	assert_int_equal(f->nsent, 1);
	f->registered = 1; /* another node now holds bob's phone */
	while (f->nsent == 1 && ticks < 5) {
		sip_presence_tick(f->p, f->now + 1000 * (uint64_t)++ticks);
		sip_presence_flush(f->p);
	}
	assert_int_equal(f->nsent, 2);
	assert_non_null(strstr(f->sent[1].body, "<basic>open</basic>"));
	answer_last(f, 200);
	/* Its last binding here gone, the device is still registered
	 * elsewhere: no NOTIFY saying closed. */
	event(f, "SEP00AABBCCDDEE", SIP_DLG_UNREGISTERED, NULL);
	assert_int_equal(f->nsent, 3);
	assert_non_null(strstr(f->sent[2].body, "<basic>open</basic>"));
}

static void test_fetch_with_expires_zero(void **state)
{
	struct fixture *f = *state;
	struct sip_presence_stats st;
	struct sip_reply rep;

	f->registered = 1;
	rep = subscribe(f, "alice", "1002", "presence", "f1", NULL, 1,
			"Expires: 0\r\n");
	assert_int_equal(rep.status, 200);
	assert_int_equal(f->nsent, 1);
	assert_string_equal(f->sent[0].state, "terminated;reason=timeout");
	assert_non_null(strstr(f->sent[0].body, "<basic>open</basic>"));
	answer_last(f, 200);
	sip_presence_stats(f->p, &st);
	assert_int_equal(st.subscriptions, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		test_permission_rules_then_same_group_then_default),
	    cmocka_unit_test_setup_teardown(
		test_authorize_reads_the_groups_of_both_users, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_authorize_fails_closed_without_presence_data, setup,
		teardown),
	    cmocka_unit_test(test_pidf_says_open_closed_and_on_the_phone),
	    cmocka_unit_test(test_dialog_info_escapes_what_callers_chose),
	    cmocka_unit_test(test_accept_lists),
	    cmocka_unit_test_setup_teardown(
		test_subscription_notifies_registration_and_calls, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_dialog_package_full_state_with_versions, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_forbidden_pairs_unknown_lines_and_bad_events, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_refresh_retransmission_and_unsubscribe, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expiry_ends_and_481_ends,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_table_bounds_per_node_and_per_watcher, setup_small,
		teardown),
	    cmocka_unit_test_setup_teardown(test_fetch_with_expires_zero, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_registration_elsewhere_is_seen_within_five_ticks, setup,
		teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
