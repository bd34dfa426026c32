/* The level across nodes (call_int.h near_level, node_told, info_to;
 * docs/sip.md "Level across nodes"): what a node tells a member is its
 * own word (its phone's leg and the keys, capped by the media table's
 * verdict), never what the member told it, so a level that rises on one
 * side is not held down; a member's word lowers and raises the call's
 * level; a phone hears the call's level, a member this node's word. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

struct call;
#define NTA_LEG_MAGIC_T struct call
#define NTA_INCOMING_MAGIC_T struct call
#define NTA_OUTGOING_MAGIC_T struct call

#include <sofia-sip/msg.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_parser.h>

#include "node/sip/call_int.h"

/* A call between an encrypted phone over TLS (A) and a node leg (B),
 * keys in the offer. */
static void setup(struct sip_calls *cs, struct call *c)
{
	memset(cs, 0, sizeof *cs);
	memset(c, 0, sizeof *c);
	c->cs = cs;
	c->offer_keys = 1;
	c->a.transport = SIP_TP_TLS;
	c->a.dev.mode = SIP_SECMODE_ENCRYPTED;
	c->a.encrypted = 1;
	c->b.transport = SIP_TP_TLS;
	c->b.dev.mode = SIP_SECMODE_ENCRYPTED;
	c->b.encrypted = 1;
	/* Only compared with NULL: a node leg. */
	c->b.node.agent = (nta_agent_t *)(uintptr_t)1;
	c->b.node.node_id = 2;
	c->level = legs_level(c, 1);
}

/* node_told with a member's UPDATE carrying SECURITY ("" none). */
static int told(struct call *c, struct side *s, const char *security)
{
	char text[1024];
	msg_t *m;
	int r;

	snprintf(text, sizeof text,
		 "UPDATE sip:ward@127.0.0.1:5062;transport=tls SIP/2.0\r\n"
		 "Via: SIP/2.0/TLS 127.0.0.1:5062;branch=z9hG4bK3\r\n"
		 "From: <sip:1001@127.0.0.1>;tag=a\r\n"
		 "To: <sip:1002@127.0.0.1>;tag=b\r\n"
		 "Call-ID: x\r\nCSeq: 3 UPDATE\r\n%s%s%s"
		 "Content-Length: 0\r\n\r\n",
		 security[0] ? "Call-Info: <urn:x-cisco-remotecc:callinfo>;"
			       "security="
			     : "",
		 security, security[0] ? "\r\n" : "");
	m = msg_make(sip_default_mclass(), 0, text, (ssize_t)strlen(text));
	assert_non_null(m);
	r = node_told(c, s, sip_object(m));
	msg_destroy(m);
	return r;
}

static void test_a_members_word_lowers_and_raises(void **state)
{
	struct sip_calls cs;
	struct call c;

	(void)state;
	setup(&cs, &c);
	assert_int_equal(c.level, SIP_LEVEL_ENCRYPTED);
	assert_int_equal(told(&c, &c.b, "NotAuthenticated"), 1);
	assert_int_equal(c.level, SIP_LEVEL_NONSECURE);
	/* This node's word is still its own: its phone's leg and keys. */
	assert_int_equal(near_level(&c, &c.b), SIP_LEVEL_ENCRYPTED);
	/* The member's side became encrypted (a transfer there): up again. */
	assert_int_equal(told(&c, &c.b, "Encrypted"), 1);
	assert_int_equal(c.level, SIP_LEVEL_ENCRYPTED);
	/* No word: nothing changes. */
	assert_int_equal(told(&c, &c.b, ""), 0);
	assert_int_equal(c.level, SIP_LEVEL_ENCRYPTED);
	/* A phone's side never takes a word. */
	assert_int_equal(told(&c, &c.a, "NotAuthenticated"), 0);
	assert_int_equal(c.level, SIP_LEVEL_ENCRYPTED);
}

static void test_this_nodes_word(void **state)
{
	struct sip_calls cs;
	struct call c;
	char info[96];

	(void)state;
	setup(&cs, &c);
	assert_int_equal(told(&c, &c.b, "Authenticated"), 1);
	/* The phone hears the call's level, the member this node's word. */
	info_to(&c, &c.a, info, sizeof info);
	assert_non_null(strstr(info, "security=Authenticated"));
	info_to(&c, &c.b, info, sizeof info);
	assert_non_null(strstr(info, "security=Encrypted"));
	/* Without keys in the offer, at most authenticated. */
	c.offer_keys = 0;
	assert_int_equal(near_level(&c, &c.b), SIP_LEVEL_AUTHENTICATED);
	c.offer_keys = 1;
	/* The phone's leg over UDP: non-secure. */
	c.a.transport = SIP_TP_UDP;
	assert_int_equal(near_level(&c, &c.b), SIP_LEVEL_NONSECURE);
	c.a.transport = SIP_TP_TLS;
	/* The media table's verdict (hold with music in clear) caps both
	 * this node's word and what it makes of the member's. */
	c.media_said = 1;
	c.media_level = SIP_LEVEL_NONSECURE;
	assert_int_equal(near_level(&c, &c.b), SIP_LEVEL_NONSECURE);
	told(&c, &c.b, "Encrypted");
	assert_int_equal(c.level, SIP_LEVEL_NONSECURE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_members_word_lowers_and_raises),
	    cmocka_unit_test(test_this_nodes_word),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
