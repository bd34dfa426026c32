/* Calls between nodes (call_node.h): the caller assertion's syntax both
 * ways, and where a callee registered on another member is reached — the
 * member's node listener from its node record — or not (registered here,
 * a member without a listener, a directory that cannot be read). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_parser.h>

#include "node/sip/call_node.h"

static void test_caller_assertions_parse(void **state)
{
	struct sip_call_node_caller c;

	(void)state;
	assert_int_equal(
	    sip_call_node_parse_caller("SEP000000000001;level=encrypted", &c),
	    0);
	assert_string_equal(c.device, "SEP000000000001");
	assert_int_equal(c.level, SIP_LEVEL_ENCRYPTED);
	assert_int_equal(
	    sip_call_node_parse_caller("trunk_a.b-c;level=nonsecure", &c), 0);
	assert_int_equal(c.level, SIP_LEVEL_NONSECURE);
	assert_int_equal(
	    sip_call_node_parse_caller("SEP1;level=authenticated", &c), 0);
	assert_int_equal(c.level, SIP_LEVEL_AUTHENTICATED);
}

static void test_malformed_assertions_are_refused(void **state)
{
	struct sip_call_node_caller c;
	char longname[96];
	const char *bad[] = {
	    "",
	    ";level=encrypted",
	    "SEP1",
	    "SEP1;level=",
	    "SEP1;level=Encrypted",
	    "SEP1;level=encrypted;x=y",
	    "SEP1 ;level=encrypted",
	    "SEP@1;level=encrypted",
	    "SEP1;level=encrypted ",
	    "SEP1;lvl=encrypted",
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(sip_call_node_parse_caller(bad[i], &c), -1);
	assert_int_equal(sip_call_node_parse_caller(NULL, &c), -1);
	/* 64 characters are one too many, 63 fit. */
	memset(longname, 'A', 64);
	strcpy(longname + 64, ";level=encrypted");
	assert_int_equal(sip_call_node_parse_caller(longname, &c), -1);
	assert_int_equal(sip_call_node_parse_caller(longname + 1, &c), 0);
	assert_int_equal(strlen(c.device), 63);
}

static void test_assertion_headers_round_trip(void **state)
{
	struct sip_call_node_caller c;
	char h[SIP_CALL_NODE_HDR_MAX], tiny[40];

	(void)state;
	assert_int_equal(sip_call_node_assert(h, sizeof h, "1001", "::1",
					      "SEP000000000001",
					      SIP_LEVEL_AUTHENTICATED),
			 0);
	assert_string_equal(h, "P-Asserted-Identity: <sip:1001@[::1]>\r\n"
			       "Ward-Caller: SEP000000000001;level="
			       "authenticated");
	assert_int_equal(
	    sip_call_node_parse_caller(strstr(h, "Ward-Caller: ") + 13, &c), 0);
	assert_string_equal(c.device, "SEP000000000001");
	assert_int_equal(sip_call_node_assert(tiny, sizeof tiny, "1001",
					      "127.0.0.1", "SEP000000000001",
					      SIP_LEVEL_ENCRYPTED),
			 -1);
}

/* A directory: bob (1002) registered on node 2, carol (1003) on node 1
 * (this one), dave (1004) on node 3 which publishes no node listener, eve
 * (1005) whose registration cannot be read. */
static int fake_device(void *ctx, const char *name, struct sip_device *out)
{
	static const char *const names[][2] = {
	    {"1002", "SEPB"}, {"1003", "SEPC"}, {"1004", "SEPD"},
	    {"1005", "SEPE"}, {"SEPB", "SEPB"}, {"SEPC", "SEPC"},
	    {"SEPD", "SEPD"}, {"SEPE", "SEPE"}};

	(void)ctx;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(name, names[i][0]) == 0) {
			memset(out, 0, sizeof *out);
			snprintf(out->name, sizeof out->name, "%s",
				 names[i][1]);
			return 0;
		}
	return SIP_DIR_NOTFOUND;
}

static int fake_registration(void *ctx, const char *device, uint64_t *node)
{
	(void)ctx;
	if (strcmp(device, "SEPE") == 0)
		return -1;
	*node = strcmp(device, "SEPB") == 0   ? 2
		: strcmp(device, "SEPC") == 0 ? 1
		: strcmp(device, "SEPD") == 0 ? 3
					      : 0;
	return *node ? 0 : SIP_DIR_NOTFOUND;
}

static int fake_node_sip(void *ctx, uint64_t id, char host[SIP_DIR_HOST_MAX],
			 unsigned *port)
{
	(void)ctx;
	if (id != 2)
		return SIP_DIR_NOTFOUND;
	strcpy(host, "192.0.2.2");
	*port = 5062;
	return 0;
}

static int fake_node_by_cert(void *ctx, const uint8_t fp[32], uint64_t *id)
{
	(void)ctx;
	(void)fp;
	(void)id;
	return SIP_DIR_NOTFOUND;
}

static const struct sip_directory_ops fake_ops = {
    .device_by_name = fake_device,
    .registration = fake_registration,
    .node_sip = fake_node_sip,
    .node_by_cert = fake_node_by_cert,
};

static void test_a_callee_on_another_member_is_reached_there(void **state)
{
	struct sip_directory d = {.ops = &fake_ops};
	struct sip_device dev;
	struct sip_reg_contact t;
	uint64_t node = 0;
	uint8_t want[4];
	char flow[128];

	(void)state;
	assert_int_equal(
	    sip_call_node_callee(&d, 1, "SEPA", "1002", &dev, &t, &node), 0);
	assert_string_equal(dev.name, "SEPB");
	assert_int_equal(node, 2);
	assert_string_equal(t.uri, "sip:1002@192.0.2.2:5062;transport=tls");
	assert_int_equal(t.transport, SIP_TP_TLS);
	assert_int_equal(t.family, AF_INET);
	assert_int_equal(t.port, 5062);
	inet_pton(AF_INET, "192.0.2.2", want);
	assert_memory_equal(t.addr, want, 4);
	assert_int_equal(sip_call_node_flow(&d, 2, flow, sizeof flow), 0);
	assert_string_equal(flow, "sip:192.0.2.2:5062;transport=tls");
	assert_int_equal(sip_call_node_flow(&d, 3, flow, sizeof flow), -1);
}

static void test_no_member_to_reach(void **state)
{
	struct sip_directory d = {.ops = &fake_ops};
	struct sip_directory_ops no_nodes = {.device_by_name = fake_device,
					     .registration = fake_registration};
	struct sip_directory bare = {.ops = &no_nodes};
	struct sip_device dev;
	struct sip_reg_contact t;
	uint64_t node = 0;

	(void)state;
	/* Registered on this node (no binding here any more): 480. */
	assert_int_equal(
	    sip_call_node_callee(&d, 1, "SEPA", "1003", &dev, &t, &node), 480);
	/* On a member without a node listener. */
	assert_int_equal(
	    sip_call_node_callee(&d, 1, "SEPA", "1004", &dev, &t, &node), 480);
	/* Unknown, and unreadable. */
	assert_int_equal(
	    sip_call_node_callee(&d, 1, "SEPA", "1009", &dev, &t, &node), 480);
	assert_int_equal(
	    sip_call_node_callee(&d, 1, "SEPA", "1005", &dev, &t, &node), 503);
	/* A directory without node records: calls stay on this node. */
	assert_int_equal(
	    sip_call_node_callee(&bare, 1, "SEPA", "1002", &dev, &t, &node),
	    480);
}

/* A member's 200 with CALL_INFO lines ("" none). */
static enum sip_level capped(const char *call_info, enum sip_level level)
{
	char text[1024];
	msg_t *m;
	enum sip_level l;

	snprintf(text, sizeof text,
		 "SIP/2.0 200 OK\r\n"
		 "Via: SIP/2.0/TLS 127.0.0.1:5062;branch=z9hG4bK1\r\n"
		 "From: <sip:1001@127.0.0.1>;tag=a\r\n"
		 "To: <sip:1002@127.0.0.1>;tag=b\r\n"
		 "Call-ID: x\r\nCSeq: 1 INVITE\r\n%s"
		 "Content-Length: 0\r\n\r\n",
		 call_info);
	m = msg_make(sip_default_mclass(), 0, text, (ssize_t)strlen(text));
	assert_non_null(m);
	l = sip_call_node_level_cap(sip_object(m), level);
	msg_destroy(m);
	return l;
}

/* sip_call_node_told on a member's UPDATE with CALL_INFO lines. */
static int told(const char *call_info, enum sip_level *out)
{
	char text[1024];
	msg_t *m;
	int r;

	snprintf(text, sizeof text,
		 "UPDATE sip:ward@127.0.0.1:5062;transport=tls SIP/2.0\r\n"
		 "Via: SIP/2.0/TLS 127.0.0.1:5062;branch=z9hG4bK2\r\n"
		 "From: <sip:1001@127.0.0.1>;tag=a\r\n"
		 "To: <sip:1002@127.0.0.1>;tag=b\r\n"
		 "Call-ID: x\r\nCSeq: 2 UPDATE\r\n%s"
		 "Content-Length: 0\r\n\r\n",
		 call_info);
	m = msg_make(sip_default_mclass(), 0, text, (ssize_t)strlen(text));
	assert_non_null(m);
	r = sip_call_node_told(sip_object(m), out);
	msg_destroy(m);
	return r;
}

static void test_the_members_level_caps_the_call(void **state)
{
	(void)state;
	assert_int_equal(capped("Call-Info: <urn:x-cisco-remotecc:callinfo>;"
				"security=Encrypted\r\n",
				SIP_LEVEL_ENCRYPTED),
			 SIP_LEVEL_ENCRYPTED);
	assert_int_equal(capped("Call-Info: <urn:x-cisco-remotecc:callinfo>;"
				"security=Authenticated\r\n",
				SIP_LEVEL_ENCRYPTED),
			 SIP_LEVEL_AUTHENTICATED);
	/* Never raised. */
	assert_int_equal(capped("Call-Info: <urn:x-cisco-remotecc:callinfo>;"
				"security=Encrypted\r\n",
				SIP_LEVEL_AUTHENTICATED),
			 SIP_LEVEL_AUTHENTICATED);
	/* No word, or an unknown one: fail closed. */
	assert_int_equal(capped("", SIP_LEVEL_ENCRYPTED), SIP_LEVEL_NONSECURE);
	assert_int_equal(capped("Call-Info: <urn:x-cisco-remotecc:callinfo>;"
				"security=Perfect\r\n",
				SIP_LEVEL_ENCRYPTED),
			 SIP_LEVEL_NONSECURE);
}

static void test_a_tag_names_its_member(void **state)
{
	(void)state;
	assert_int_equal(sip_call_node_of_tag("0123abcd-w2"), 2);
	assert_int_equal(sip_call_node_of_tag("00-w18446744073709551"),
			 18446744073709551ULL);
	/* Not ward's, or malformed: no member. */
	assert_int_equal(sip_call_node_of_tag("0123abcd"), 0);
	assert_int_equal(sip_call_node_of_tag("ab-w"), 0);
	assert_int_equal(sip_call_node_of_tag("ab-w2x"), 0);
	assert_int_equal(sip_call_node_of_tag("ab-w99999999999999999999"), 0);
	assert_int_equal(sip_call_node_of_tag(NULL), 0);
}

static void test_a_members_word_on_its_side(void **state)
{
	enum sip_level l = SIP_LEVEL_ENCRYPTED;

	(void)state;
	assert_int_equal(told("Call-Info: <urn:x-cisco-remotecc:callinfo>;"
			      "security=Authenticated\r\n",
			      &l),
			 0);
	assert_int_equal(l, SIP_LEVEL_AUTHENTICATED);
	/* No word: nothing told (the level stays as it was). */
	assert_int_equal(told("", &l), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_caller_assertions_parse),
	    cmocka_unit_test(test_malformed_assertions_are_refused),
	    cmocka_unit_test(test_assertion_headers_round_trip),
	    cmocka_unit_test(test_a_callee_on_another_member_is_reached_there),
	    cmocka_unit_test(test_no_member_to_reach),
	    cmocka_unit_test(test_the_members_level_caps_the_call),
	    cmocka_unit_test(test_a_tag_names_its_member),
	    cmocka_unit_test(test_a_members_word_on_its_side),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
