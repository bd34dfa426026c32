/* Calls through trunks (call_trunk.h): where a route's trunk is reached
 * (the peer's host and port, the profile's outgoing transport, IPv6 in
 * brackets), what is no trunk, what cannot be written into a URI, the
 * leg rule for keys, and the check of a TLS connection ward opens to a
 * trunk's peer (its certificate against the trust roots and the profile's
 * X.509 subject names) and its refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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
    "trunk six addr=2001:db8::5 peerport=5062\n"
    "trunk open addr=192.0.2.12 peerport=5071 out=tls mode=encrypted\n"
    "trunk named addr=192.0.2.13 peerport=5072 out=tls subject=gw.example\n"
    "trunkroot "
    "1111111111111111111111111111111111111111111111111111111111111111\n"
    "lscca 2222222222222222222222222222222222222222222222222222222222222222\n";

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
	assert_true(sip_call_trunk_keys(&dev, SIP_TP_TLS, 1));
	assert_false(sip_call_trunk_keys(&dev, SIP_TP_TLS, 0));
	assert_false(sip_call_trunk_keys(&dev, SIP_TP_TCP, 1));
	assert_false(sip_call_trunk_keys(&dev, SIP_TP_UDP, 1));
	dev.mode = SIP_SECMODE_AUTHENTICATED;
	assert_false(sip_call_trunk_keys(&dev, SIP_TP_TLS, 1));
	dev.mode = SIP_SECMODE_NONSECURE;
	assert_false(sip_call_trunk_keys(&dev, SIP_TP_TLS, 1));
}

static struct sockaddr_in at(const char *ip, unsigned port)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	assert_int_equal(inet_pton(AF_INET, ip, &sa.sin_addr), 1);
	return sa;
}

/* A verified certificate with CN CN rooted at the entry whose SHA-256 is
 * 32 bytes of ROOT. */
static struct sip_tls_cert cert_of(const char *cn, uint8_t root)
{
	struct sip_tls_cert c;

	memset(&c, 0, sizeof c);
	c.present = 1;
	c.chain_ok = 1;
	memset(c.root_fp, root, 32);
	snprintf(c.cn, sizeof c.cn, "%s", cn);
	return c;
}

static int check(struct fx *f, const char *ip, unsigned port,
		 const struct sip_tls_cert *c, char *trunk, char *why)
{
	struct sockaddr_in sa = at(ip, port);

	return sip_call_trunk_tls_check(&f->d, (const struct sockaddr *)&sa, c,
					trunk, SIP_DIR_NAME_MAX, why,
					SIP_CALL_TRUNK_WHY_MAX);
}

static void test_a_trunk_peer_must_show_the_profile_certificate(void **state)
{
	struct fx *f = *state;
	char trunk[SIP_DIR_NAME_MAX], why[SIP_CALL_TRUNK_WHY_MAX];
	struct sip_tls_cert c = cert_of("peer.example", 0x11);

	/* secure: the profile names peer.example (peer port 5060) */
	assert_int_equal(check(f, "192.0.2.11", 5060, &c, trunk, why), 0);
	assert_string_equal(trunk, "secure");
	c = cert_of("other.example", 0x11);
	assert_int_equal(check(f, "192.0.2.11", 5060, &c, trunk, why), -1);
	assert_string_equal(trunk, "secure");
	assert_string_equal(why,
			    "certificate is not the profile's X.509 subject");
	/* the cluster CA is trusted for trunks as inbound; another root
	 * is not */
	c = cert_of("peer.example", 0x22);
	assert_int_equal(check(f, "192.0.2.11", 5060, &c, trunk, why), 0);
	c = cert_of("peer.example", 0x33);
	assert_int_equal(check(f, "192.0.2.11", 5060, &c, trunk, why), -1);
	assert_string_equal(why, "certificate not trusted: root not in the "
				 "trust store");
	c = cert_of("peer.example", 0x11);
	c.chain_ok = 0;
	snprintf(c.verify_error, sizeof c.verify_error,
		 "self-signed certificate");
	assert_int_equal(check(f, "192.0.2.11", 5060, &c, trunk, why), -1);
	assert_string_equal(why,
			    "certificate not trusted: self-signed certificate");
	memset(&c, 0, sizeof c);
	assert_int_equal(check(f, "192.0.2.11", 5060, &c, trunk, why), -1);
	assert_string_equal(why, "no certificate");
	/* a profile without subject names: a trusted chain is enough */
	c = cert_of("anything", 0x11);
	assert_int_equal(check(f, "192.0.2.12", 5071, &c, trunk, why), 0);
	assert_string_equal(trunk, "open");
	c.chain_ok = 0;
	assert_int_equal(check(f, "192.0.2.12", 5071, &c, trunk, why), -1);
}

static void test_a_connection_to_no_trunk(void **state)
{
	struct fx *f = *state;
	char trunk[SIP_DIR_NAME_MAX], why[SIP_CALL_TRUNK_WHY_MAX];
	struct sip_tls_cert c = cert_of("node1", 0x22);

	/* a member or a phone: the chain check of libssl alone */
	assert_int_equal(check(f, "192.0.2.50", 5061, &c, trunk, why), 0);
	assert_string_equal(trunk, "");
	/* another port of a trunk's host is no trunk either */
	assert_int_equal(check(f, "192.0.2.11", 5099, &c, trunk, why), 0);
	/* a TCP trunk's address: ward never opens TLS to it as a trunk */
	assert_int_equal(check(f, "192.0.2.10", 5080, &c, trunk, why), 0);
	/* a trunk's certificate where no trunk is on record */
	c = cert_of("peer.example", 0x11);
	assert_int_equal(check(f, "192.0.2.50", 5061, &c, trunk, why), -1);
	assert_string_equal(trunk, "");
}

/* A directory of one trunk whose peer is a host name. */
static int named_each(void *ctx, sip_trunk_peer_fn fn, void *arg)
{
	struct sip_trunk_peer t = {.name = "named",
				   .host = "gw.example",
				   .port = 5061,
				   .transport = SIP_TP_TLS};

	(void)ctx;
	fn(arg, &t);
	return 0;
}

static int named_device(void *ctx, const char *name, struct sip_device *out)
{
	(void)ctx;
	if (strcmp(name, "named") != 0)
		return SIP_DIR_NOTFOUND;
	memset(out, 0, sizeof *out);
	snprintf(out->name, sizeof out->name, "%s", name);
	out->is_trunk = 1;
	return 0;
}

static int named_trust(void *ctx, const uint8_t fp[32])
{
	(void)ctx;
	return fp[0] == 0x11 ? SIP_TRUST_TRUNK_PEER : SIP_DIR_NOTFOUND;
}

static void test_a_host_name_peer_is_known_by_its_certificate(void **state)
{
	static const struct sip_directory_ops ops = {
	    .device_by_name = named_device,
	    .trunk_each = named_each,
	    .trust_root = named_trust,
	};
	struct sip_directory d = {.ops = &ops};
	char trunk[SIP_DIR_NAME_MAX], why[SIP_CALL_TRUNK_WHY_MAX];
	struct sockaddr_in sa = at("192.0.2.99", 5061);
	struct sip_tls_cert c = cert_of("gw.example", 0x11);

	(void)state;
	/* the certificate names the host (CN, or a DNS name) */
	assert_int_equal(sip_call_trunk_tls_check(&d, (struct sockaddr *)&sa,
						  &c, trunk, sizeof trunk, why,
						  sizeof why),
			 0);
	assert_string_equal(trunk, "named");
	c = cert_of("x", 0x11);
	snprintf(c.names.dns[0], sizeof c.names.dns[0], "GW.example");
	c.names.ndns = 1;
	assert_int_equal(sip_call_trunk_tls_check(&d, (struct sockaddr *)&sa,
						  &c, trunk, sizeof trunk, why,
						  sizeof why),
			 0);
	assert_string_equal(trunk, "named");
	/* another name under a trunk-peer root: a trunk's certificate
	 * where no trunk is: refused */
	c = cert_of("other.example", 0x11);
	assert_int_equal(sip_call_trunk_tls_check(&d, (struct sockaddr *)&sa,
						  &c, trunk, sizeof trunk, why,
						  sizeof why),
			 -1);
	assert_string_equal(trunk, "");
	/* the right name on another port is no trunk of it */
	sa = at("192.0.2.99", 5062);
	c = cert_of("gw.example", 0x11);
	assert_int_equal(sip_call_trunk_tls_check(&d, (struct sockaddr *)&sa,
						  &c, trunk, sizeof trunk, why,
						  sizeof why),
			 -1);
	assert_string_equal(trunk, "");
}

static void test_a_trunk_calling_in_gets_keys_only_verified(void **state)
{
	struct fx *f = *state;
	struct sip_device dev;
	struct sip_peer p;

	assert_int_equal(f->d.ops->device_by_name(f->d.ctx, "secure", &dev), 0);
	memset(&p, 0, sizeof p);
	p.transport = SIP_TP_TLS;
	p.cert.present = 1;
	p.cert.verified = 1;
	snprintf(p.cert.cn, sizeof p.cert.cn, "peer.example");
	assert_true(sip_call_trunk_in_verified(&dev, &p));
	/* another subject, an unverified chain, TCP: no */
	snprintf(p.cert.cn, sizeof p.cert.cn, "other.example");
	assert_false(sip_call_trunk_in_verified(&dev, &p));
	snprintf(p.cert.cn, sizeof p.cert.cn, "peer.example");
	p.cert.verified = 0;
	assert_false(sip_call_trunk_in_verified(&dev, &p));
	p.cert.verified = 1;
	p.transport = SIP_TP_TCP;
	assert_false(sip_call_trunk_in_verified(&dev, &p));
	/* a profile without subject names: a verified chain is enough */
	assert_int_equal(f->d.ops->device_by_name(f->d.ctx, "open", &dev), 0);
	p.transport = SIP_TP_TLS;
	snprintf(p.cert.cn, sizeof p.cert.cn, "anything");
	assert_true(sip_call_trunk_in_verified(&dev, &p));
	p.cert.present = 0;
	assert_false(sip_call_trunk_in_verified(&dev, &p));
}

static void test_refusals_are_noted_per_trunk(void **state)
{
	char why[SIP_CALL_TRUNK_WHY_MAX];

	(void)state;
	assert_int_equal(
	    sip_call_trunk_tls_refused("secure", 0, why, sizeof why), 0);
	sip_call_trunk_tls_note("secure", "no certificate");
	assert_int_equal(
	    sip_call_trunk_tls_refused("secure", 0, why, sizeof why), 1);
	assert_string_equal(why, "no certificate");
	assert_int_equal(sip_call_trunk_tls_refused("open", 0, NULL, 0), 0);
	/* only refusals since the call began count */
	assert_int_equal(
	    sip_call_trunk_tls_refused("secure", UINT64_MAX, NULL, 0), 0);
	/* more trunks than slots: the oldest goes, the newest stays */
	for (int i = 0; i < 40; i++) {
		char name[16];
		snprintf(name, sizeof name, "t%d", i);
		sip_call_trunk_tls_note(name, "no certificate");
	}
	assert_int_equal(sip_call_trunk_tls_refused("t39", 0, NULL, 0), 1);
	assert_int_equal(sip_call_trunk_tls_refused("t0", 0, NULL, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_trunk_is_reached_at_its_peer),
	    cmocka_unit_test(
		test_a_trunk_peer_must_show_the_profile_certificate),
	    cmocka_unit_test(test_a_connection_to_no_trunk),
	    cmocka_unit_test(test_a_host_name_peer_is_known_by_its_certificate),
	    cmocka_unit_test(test_a_trunk_calling_in_gets_keys_only_verified),
	    cmocka_unit_test(test_refusals_are_noted_per_trunk),
	    cmocka_unit_test(test_phones_and_unknown_names_are_no_trunk),
	    cmocka_unit_test(test_what_a_uri_cannot_carry_is_refused),
	    cmocka_unit_test(
		test_a_trunk_without_a_peer_listing_is_unreachable),
	    cmocka_unit_test(test_keys_only_for_an_encrypted_trunk_over_tls),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
