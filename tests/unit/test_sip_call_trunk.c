/* Calls through trunks (call_trunk.h): where a route's trunk is reached
 * (the peer's host and port, the profile's outgoing transport, IPv6 in
 * brackets), what is no trunk, what cannot be written into a URI, and the
 * leg rule for keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "node/sip/call_trunk.h"
#include "node/sip/directory_mem.h"

static const char dir_text[] =
    "realm ward.test\n"
    "user alice pw\n"
    "device SEP000000000001 user=alice line=1001\n"
    "trunk carrier addr=192.0.2.10 peerport=5080 out=tcp\n"
    "trunk secure addr=192.0.2.11 out=tls mode=encrypted transports=tls "
    "subject=peer.example\n"
    "trunk six addr=2001:db8::5 peerport=5062\n";

struct fx {
	struct sip_dirmem *m;
	struct sip_directory d;
};

static int setup(void **state)
{
	static struct fx f;
	char err[256];

	assert_int_equal(sip_dirmem_parse(dir_text, &f.m, err, sizeof err), 0);
	sip_dirmem_directory(f.m, &f.d);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	sip_dirmem_free(f->m);
	return 0;
}

static void test_a_trunk_is_reached_at_its_peer(void **state)
{
	struct fx *f = *state;
	struct sip_device dev;
	struct sip_reg_contact t;
	uint8_t want[4];

	assert_int_equal(
	    sip_call_trunk_target(&f->d, "carrier", "95551", &dev, &t), 0);
	assert_true(dev.is_trunk);
	assert_string_equal(dev.name, "carrier");
	assert_string_equal(t.uri, "sip:95551@192.0.2.10:5080;transport=tcp");
	assert_int_equal(t.transport, SIP_TP_TCP);
	assert_int_equal(t.family, AF_INET);
	assert_int_equal(t.port, 5080);
	inet_pton(AF_INET, "192.0.2.10", want);
	assert_memory_equal(t.addr, want, 4);

	assert_int_equal(
	    sip_call_trunk_target(&f->d, "secure", "+4930123", &dev, &t), 0);
	assert_string_equal(t.uri,
			    "sip:+4930123@192.0.2.11:5060;transport=tls");
	assert_int_equal(t.transport, SIP_TP_TLS);

	assert_int_equal(
	    sip_call_trunk_target(&f->d, "carrier", "*72#", &dev, &t), 0);
	assert_string_equal(t.uri, "sip:*72%23@192.0.2.10:5080;transport=tcp");

	assert_int_equal(sip_call_trunk_target(&f->d, "six", "1", &dev, &t), 0);
	assert_string_equal(t.uri, "sip:1@[2001:db8::5]:5062;transport=udp");
	assert_int_equal(t.family, AF_INET6);
}

static void test_phones_and_unknown_names_are_no_trunk(void **state)
{
	struct fx *f = *state;
	struct sip_device dev;
	struct sip_reg_contact t;

	assert_int_equal(
	    sip_call_trunk_target(&f->d, "SEP000000000001", "1", &dev, &t), 1);
	assert_int_equal(sip_call_trunk_target(&f->d, "1001", "1", &dev, &t),
			 1);
	assert_int_equal(sip_call_trunk_target(&f->d, "nobody", "1", &dev, &t),
			 1);
}

static void test_what_a_uri_cannot_carry_is_refused(void **state)
{
	struct fx *f = *state;
	struct sip_device dev;
	struct sip_reg_contact t;
	char longnum[200];
	const char *bad[] = {"",    "1@evil",	 "1;x=y", "1>",
			     "1 2", "1\r\nX: y", "1%40",  "1?a=b",
			     "<1",  "1\"",	 "1:2"};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(
		    sip_call_trunk_target(&f->d, "carrier", bad[i], &dev, &t),
		    -1);
	memset(longnum, '1', sizeof longnum - 1);
	longnum[sizeof longnum - 1] = '\0';
	assert_int_equal(
	    sip_call_trunk_target(&f->d, "carrier", longnum, &dev, &t), -1);
}

static void test_a_trunk_without_a_peer_listing_is_unreachable(void **state)
{
	struct fx *f = *state;
	struct sip_directory d = f->d;
	struct sip_directory_ops ops = *f->d.ops;
	struct sip_device dev;
	struct sip_reg_contact t;

	ops.trunk_each = NULL;
	d.ops = &ops;
	assert_int_equal(sip_call_trunk_target(&d, "carrier", "1", &dev, &t),
			 -1);
}

static void test_keys_only_for_an_encrypted_trunk_over_tls(void **state)
{
	struct sip_device dev;

	(void)state;
	memset(&dev, 0, sizeof dev);
	dev.is_trunk = 1;
	dev.mode = SIP_SECMODE_ENCRYPTED;
	assert_true(sip_call_trunk_keys(&dev, SIP_TP_TLS));
	assert_false(sip_call_trunk_keys(&dev, SIP_TP_TCP));
	assert_false(sip_call_trunk_keys(&dev, SIP_TP_UDP));
	dev.mode = SIP_SECMODE_AUTHENTICATED;
	assert_false(sip_call_trunk_keys(&dev, SIP_TP_TLS));
	dev.mode = SIP_SECMODE_NONSECURE;
	assert_false(sip_call_trunk_keys(&dev, SIP_TP_TLS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_trunk_is_reached_at_its_peer),
	    cmocka_unit_test(test_phones_and_unknown_names_are_no_trunk),
	    cmocka_unit_test(test_what_a_uri_cannot_carry_is_refused),
	    cmocka_unit_test(
		test_a_trunk_without_a_peer_listing_is_unreachable),
	    cmocka_unit_test(test_keys_only_for_an_encrypted_trunk_over_tls),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
