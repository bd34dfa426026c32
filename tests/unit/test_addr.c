/* Tests of common/addr: the one address parser of the configuration, the
 * admin API and the Raft transports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "common/addr.h"

static void test_addr_reads_ipv4_with_port(void **state)
{
	struct addr a;

	(void)state;
	assert_int_equal(addr_parse("127.0.0.2:9443", 0, &a), ADDR_OK);
	assert_string_equal(a.host, "127.0.0.2");
	assert_int_equal(a.port, 9443);
	assert_int_equal(a.kind, ADDR_KIND_IPV4);
	assert_int_equal(addr_parse("0.0.0.0:1", 0, &a), ADDR_OK);
	assert_int_equal(a.port, 1);
	assert_int_equal(addr_parse("10.1.2.3:65535", 0, &a), ADDR_OK);
	assert_int_equal(a.port, 65535);
}

static void test_addr_reads_bracketed_ipv6(void **state)
{
	struct addr a;

	(void)state;
	assert_int_equal(addr_parse("[::1]:7", 0, &a), ADDR_OK);
	assert_string_equal(a.host, "::1");
	assert_int_equal(a.port, 7);
	assert_int_equal(a.kind, ADDR_KIND_IPV6);
	assert_int_equal(addr_parse("[2001:db8::10]:5060", 0, &a), ADDR_OK);
	assert_string_equal(a.host, "2001:db8::10");
	assert_int_equal(addr_parse("[::ffff:192.0.2.1]:80", 0, &a), ADDR_OK);
	assert_string_equal(a.host, "::ffff:192.0.2.1");
	assert_int_equal(a.kind, ADDR_KIND_IPV6);
}

static void test_addr_reads_host_names(void **state)
{
	struct addr a;

	(void)state;
	assert_int_equal(addr_parse("node-a.example:1", 0, &a), ADDR_OK);
	assert_string_equal(a.host, "node-a.example");
	assert_int_equal(a.kind, ADDR_KIND_NAME);
	assert_int_equal(addr_parse("localhost:8443", 0, &a), ADDR_OK);
	assert_int_equal(addr_parse("cm_1:8443", 0, &a), ADDR_OK);
	/* A label may start with a digit. */
	assert_int_equal(addr_parse("1node.example:80", 0, &a), ADDR_OK);
	assert_int_equal(a.kind, ADDR_KIND_NAME);
}

static void test_addr_port_is_optional_only_when_asked(void **state)
{
	struct addr a;

	(void)state;
	assert_int_equal(addr_parse("host.example", 0, &a), ADDR_ENOPORT);
	assert_int_equal(addr_parse("127.0.0.1", 0, &a), ADDR_ENOPORT);
	assert_int_equal(addr_parse("[::1]", 0, &a), ADDR_ENOPORT);
	assert_int_equal(addr_parse("host.example", ADDR_PORT_OPTIONAL, &a),
			 ADDR_OK);
	assert_int_equal(a.port, 0);
	assert_int_equal(addr_parse("[::1]", ADDR_PORT_OPTIONAL, &a), ADDR_OK);
	assert_string_equal(a.host, "::1");
	assert_int_equal(a.port, 0);
	assert_int_equal(addr_parse("h:80", ADDR_PORT_OPTIONAL, &a), ADDR_OK);
	assert_int_equal(a.port, 80);
}

static void test_addr_rejects_malformed_ports(void **state)
{
	static const char *const bad[] = {
	    "127.0.0.1:",     "127.0.0.1:0",   "127.0.0.1:65536",
	    "127.0.0.1:94x3", "127.0.0.1:-1",  "127.0.0.1:+80",
	    "127.0.0.1: 80",  "127.0.0.1:80 ", "127.0.0.1:000080",
	    "h:99999999999",  "[::1]:",	       "[::1]:0",
	    "[::1]:1x",	      "h:0x50",	       "h:8443\n",
	};
	struct addr a;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int rc = addr_parse(bad[i], ADDR_PORT_OPTIONAL, &a);

		if (rc != ADDR_EPORT)
			fail_msg("\"%s\": %d, not ADDR_EPORT", bad[i], rc);
	}
}

static void test_addr_rejects_malformed_hosts(void **state)
{
	static const struct {
		const char *text;
		int rc;
	} bad[] = {
	    {":9443", ADDR_EHOST},
	    {"a b:1", ADDR_EHOST},
	    {"h/x:1", ADDR_EHOST},
	    {"host..example:1", ADDR_EHOST},
	    {".example:1", ADDR_EHOST},
	    {"example.:1", ADDR_EHOST},
	    {"127.0.0.256:1", ADDR_EHOST},
	    {"127.1:1", ADDR_EHOST},
	    {"12345:1", ADDR_EHOST},
	    {"h\xc3\xa9:1", ADDR_EHOST},
	    {"::1:9443", ADDR_EV6BARE},
	    {"::1", ADDR_EV6BARE},
	    {"fe80::1%eth0:1", ADDR_EV6BARE},
	    {"[::1]9443", ADDR_EBRACKET},
	    {"[::1", ADDR_EBRACKET},
	    {"[]:1", ADDR_EBRACKET},
	    {"[127.0.0.1]:1", ADDR_EBRACKET},
	    {"[host]:1", ADDR_EBRACKET},
	    {"[fe80::1%eth0]:1", ADDR_EBRACKET},
	    {"[::1]]:1", ADDR_EBRACKET},
	    {"", ADDR_EEMPTY},
	};
	struct addr a;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int rc = addr_parse(bad[i].text, ADDR_PORT_OPTIONAL, &a);

		if (rc != bad[i].rc)
			fail_msg("\"%s\": %d (%s), not %d", bad[i].text, rc,
				 addr_strerror(rc), bad[i].rc);
	}
	assert_int_equal(addr_parse(NULL, 0, &a), ADDR_EEMPTY);
}

static void test_addr_limits_name_and_label_length(void **state)
{
	char text[400];
	struct addr a;

	(void)state;
	/* A label of 63 bytes is fine, 64 is not. */
	memset(text, 'a', 63);
	strcpy(text + 63, ".example:1");
	assert_int_equal(addr_parse(text, 0, &a), ADDR_OK);
	memset(text, 'a', 64);
	strcpy(text + 64, ".example:1");
	assert_int_equal(addr_parse(text, 0, &a), ADDR_EHOST);
	/* Names of 253 bytes are fine, 254 is not, and far longer ones are
	 * refused as too long, not read past the buffer. */
	for (int i = 0; i < 253; i++)
		text[i] = i % 2 ? '.' : 'a';
	strcpy(text + 253, ":1");
	assert_int_equal(addr_parse(text, 0, &a), ADDR_OK);
	assert_int_equal(strlen(a.host), 253);
	text[253] = 'b';
	strcpy(text + 254, ":1");
	assert_int_equal(addr_parse(text, 0, &a), ADDR_ETOOLONG);
	memset(text, 'a', 390);
	strcpy(text + 390, ":1");
	assert_int_equal(addr_parse(text, 0, &a), ADDR_ETOOLONG);
}

static void test_addr_split_refuses_a_host_that_does_not_fit(void **state)
{
	char host[8];
	unsigned port = 0;

	(void)state;
	assert_int_equal(addr_split("abcdefgh:1", 0, host, sizeof host, &port),
			 ADDR_ETOOLONG);
	assert_int_equal(addr_split("abcdefg:1", 0, host, sizeof host, &port),
			 ADDR_OK);
	assert_string_equal(host, "abcdefg");
	assert_int_equal(port, 1);
}

static void test_addr_tells_ip_literals_and_wildcards(void **state)
{
	struct addr a;

	(void)state;
	assert_true(addr_host_is_ip("127.0.0.1"));
	assert_true(addr_host_is_ip("::1"));
	assert_false(addr_host_is_ip("localhost"));
	assert_false(addr_host_is_ip("[::1]"));
	assert_false(addr_host_is_ip(NULL));

	assert_int_equal(addr_parse("192.0.2.7:1", 0, &a), ADDR_OK);
	assert_true(addr_is_dialable_ip(&a));
	assert_int_equal(addr_parse("0.0.0.0:1", 0, &a), ADDR_OK);
	assert_false(addr_is_dialable_ip(&a));
	assert_int_equal(addr_parse("[::]:1", 0, &a), ADDR_OK);
	assert_false(addr_is_dialable_ip(&a));
	assert_int_equal(addr_parse("[::2]:1", 0, &a), ADDR_OK);
	assert_true(addr_is_dialable_ip(&a));
	assert_int_equal(addr_parse("node.example:1", 0, &a), ADDR_OK);
	assert_false(addr_is_dialable_ip(&a));
}

static void test_addr_format_reads_back(void **state)
{
	static const char *const texts[] = {"127.0.0.1:80", "[::1]:5061",
					    "node.example:8443"};
	char out[64], tiny[6];
	struct addr a;

	(void)state;
	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
		assert_int_equal(addr_parse(texts[i], 0, &a), ADDR_OK);
		assert_int_equal(addr_format(a.host, a.port, out, sizeof out),
				 0);
		assert_string_equal(out, texts[i]);
	}
	assert_int_equal(addr_format("::1", 5061, tiny, sizeof tiny), -1);
	assert_string_equal(tiny, "");
}

static void test_addr_errors_have_text(void **state)
{
	(void)state;
	assert_string_equal(addr_strerror(ADDR_ENOPORT),
			    "the port is missing: HOST:PORT");
	assert_string_equal(addr_strerror(-1), "unknown address error");
	assert_string_equal(addr_strerror(1000), "unknown address error");
	for (int c = ADDR_OK; c <= ADDR_ETOOLONG; c++)
		assert_non_null(addr_strerror(c));
}

/* A socket address as text, and two compared: by family, address and
 * port, never by the bytes around them. */
static void test_addr_socket_addresses(void **state)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(5061)};
	struct sockaddr_in b = a;
	struct sockaddr_in6 c = {.sin6_family = AF_INET6,
				 .sin6_port = htons(5062)};
	struct sockaddr_in6 d = c;
	struct sockaddr e = {.sa_family = AF_UNIX};
	char out[64];
	(void)state;

	inet_pton(AF_INET, "192.0.2.7", &a.sin_addr);
	inet_pton(AF_INET, "192.0.2.7", &b.sin_addr);
	inet_pton(AF_INET6, "2001:db8::1", &c.sin6_addr);
	inet_pton(AF_INET6, "2001:db8::1", &d.sin6_addr);
	addr_sa_format((struct sockaddr *)&a, out, sizeof out);
	assert_string_equal(out, "192.0.2.7:5061");
	addr_sa_format((struct sockaddr *)&c, out, sizeof out);
	assert_string_equal(out, "[2001:db8::1]:5062");
	addr_sa_format(&e, out, sizeof out);
	assert_string_equal(out, "?");
	addr_sa_format((struct sockaddr *)&c, out, 8); /* does not fit */
	assert_string_equal(out, "?");

	assert_true(addr_sa_same((struct sockaddr *)&a, (struct sockaddr *)&b));
	assert_true(addr_sa_same((struct sockaddr *)&c, (struct sockaddr *)&d));
	b.sin_port = htons(5060);
	assert_false(addr_sa_same((struct sockaddr *)&a, (struct sockaddr *)&b));
	b.sin_port = a.sin_port;
	inet_pton(AF_INET, "192.0.2.8", &b.sin_addr);
	assert_false(addr_sa_same((struct sockaddr *)&a, (struct sockaddr *)&b));
	d.sin6_addr.s6_addr[15] = 2;
	assert_false(addr_sa_same((struct sockaddr *)&c, (struct sockaddr *)&d));
	assert_false(addr_sa_same((struct sockaddr *)&a, (struct sockaddr *)&c));
	assert_false(addr_sa_same(&e, &e));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_addr_reads_ipv4_with_port),
	    cmocka_unit_test(test_addr_reads_bracketed_ipv6),
	    cmocka_unit_test(test_addr_reads_host_names),
	    cmocka_unit_test(test_addr_port_is_optional_only_when_asked),
	    cmocka_unit_test(test_addr_rejects_malformed_ports),
	    cmocka_unit_test(test_addr_rejects_malformed_hosts),
	    cmocka_unit_test(test_addr_limits_name_and_label_length),
	    cmocka_unit_test(test_addr_split_refuses_a_host_that_does_not_fit),
	    cmocka_unit_test(test_addr_tells_ip_literals_and_wildcards),
	    cmocka_unit_test(test_addr_format_reads_back),
	    cmocka_unit_test(test_addr_errors_have_text),
	    cmocka_unit_test(test_addr_socket_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
