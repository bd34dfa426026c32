/* A trunk profile's X.509 subject names against certificates made here:
 * whole subject DNs in either RDN order and with ',' or ';', compared as
 * X509_NAMEs (case and inner spaces do not count, escapes and quotes are
 * read), bare names against the CN and subjectAltName DNS entries, lists
 * of several names, malformed lists; and the core's trunk check on them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sofia-sip/msg.h>
#include <sofia-sip/sip_parser.h>
#include <sofia-sip/su.h>

#include "node/sip/core.h"
#include "node/sip/directory_mem.h"
#include "node/sip/x509match.h"

/* A self-signed certificate with subject ENTRIES ("C", "US", "O", ...,
 * NULL; in certificate order) and subjectAltName SAN (or NULL). */
static X509 *make_cert(const char *const *entries, const char *san)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	assert_non_null(k);
	assert_non_null(x);
	for (size_t i = 0; entries[i]; i += 2)
		assert_int_equal(X509_NAME_add_entry_by_txt(
				     n, entries[i], MBSTRING_UTF8,
				     (const unsigned char *)entries[i + 1], -1,
				     -1, 0),
				 1);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, k);
	if (san) {
		X509V3_CTX ctx;
		X509_EXTENSION *e;

		X509V3_set_ctx_nodb(&ctx);
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		e = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
		assert_non_null(e);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	X509_NAME_free(n);
	EVP_PKEY_free(k);
	return x;
}

struct peer_names {
	struct sip_x509_names n;
	char cn[64];
};

static void names_of(X509 *x, struct peer_names *p)
{
	sip_x509_names_of(x, &p->n);
	memset(p->cn, 0, sizeof p->cn);
	X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
				  p->cn, sizeof p->cn);
}

static const char *const trunk_subject[] = {
    "C", "US", "O", "Example", "CN", "trunk.example.com", NULL};

static int matches(const struct peer_names *p, const char *list)
{
	return sip_x509_names_match(list, &p->n, p->cn);
}

static void test_x509match_whole_dn_in_either_order(void **state)
{
	X509 *x = make_cert(trunk_subject, "DNS:sip.example.com");
	struct peer_names p;

	(void)state;
	names_of(x, &p);
	assert_true(p.n.subject_len > 0);
	/* RFC 4514 order (most specific first) and certificate order */
	assert_true(matches(&p, "CN=trunk.example.com,O=Example,C=US"));
	assert_true(matches(&p, "C=US,O=Example,CN=trunk.example.com"));
	/* ';' separators, spaces around them and '=', any case */
	assert_true(matches(&p, "C=US; O=Example; CN=trunk.example.com"));
	assert_true(matches(&p, "cn = Trunk.Example.COM , o=EXAMPLE , c=us"));
	/* long names and an OID as attribute types */
	assert_true(matches(&p, "commonName=trunk.example.com,"
				"organizationName=Example,2.5.4.6=US"));
	/* a hex escape and a quoted value are read, not compared as text */
	assert_true(matches(&p, "CN=trunk.example.com,O=Ex\\61mple,C=US"));
	assert_true(matches(&p, "CN=\"trunk.example.com\",O=Example,C=US"));
	/* the whole subject, no less and no more, in no other order */
	assert_false(matches(&p, "CN=trunk.example.com,O=Example"));
	assert_false(matches(&p, "CN=trunk.example.com"));
	assert_false(
	    matches(&p, "CN=trunk.example.com,OU=Voice,O=Example,C=US"));
	assert_false(matches(&p, "CN=trunk.example.com,O=Other,C=US"));
	assert_false(matches(&p, "O=Example,CN=trunk.example.com,C=US"));
	/* a DN never matches by a DNS name */
	assert_false(matches(&p, "CN=sip.example.com,O=Example,C=US"));
	X509_free(x);
}

static void test_x509match_values_with_separators(void **state)
{
	static const char *const subj[] = {"O", "Example, Inc.", "CN", "gw 1;a",
					   NULL};
	X509 *x = make_cert(subj, NULL);
	struct peer_names p;

	(void)state;
	names_of(x, &p);
	assert_true(matches(&p, "CN=gw 1\\;a,O=\"Example, Inc.\""));
	assert_true(matches(&p, "CN=\"gw 1;a\";O=Example\\, Inc."));
	assert_false(matches(&p, "CN=gw 1,O=Example"));
	X509_free(x);
}

static void test_x509match_bare_names_cn_and_dns(void **state)
{
	X509 *x =
	    make_cert(trunk_subject, "DNS:sip.example.com,DNS:SIP2.example.com,"
				     "IP:192.0.2.7");
	struct peer_names p;

	(void)state;
	names_of(x, &p);
	assert_int_equal(p.n.ndns, 2);
	assert_true(matches(&p, "trunk.example.com"));
	assert_true(matches(&p, "sip.example.com"));
	assert_true(matches(&p, "sip2.EXAMPLE.com"));
	assert_false(matches(&p, "example.com"));
	assert_false(matches(&p, "Example"));	/* the O is no name */
	assert_false(matches(&p, "192.0.2.7")); /* nor an IP SAN */
	assert_false(matches(&p, "sip.example.co"));
	assert_false(matches(&p, ""));
	X509_free(x);
}

static void test_x509match_lists(void **state)
{
	X509 *x = make_cert(trunk_subject, "DNS:sip.example.com");
	struct peer_names p;

	(void)state;
	names_of(x, &p);
	assert_true(
	    matches(&p, "a.example.com, b.example.com sip.example.com"));
	assert_true(matches(&p, "a.example.com,trunk.example.com"));
	/* DNs separated by a space, then a bare name after a DN */
	assert_true(
	    matches(&p, "CN=a,O=b CN=trunk.example.com,O=Example,C=US"));
	assert_true(
	    matches(&p, "CN=trunk.example.com,O=Example,C=US, b.example"));
	assert_true(matches(&p, "CN=x,O=y,C=US, sip.example.com"));
	assert_false(matches(&p, "CN=x,O=y,C=US, other.example.com"));
	assert_false(matches(&p, "CN=a,O=b CN=c,O=d"));
	X509_free(x);
}

static void test_x509match_malformed_lists_match_nothing(void **state)
{
	X509 *x = make_cert(trunk_subject, "DNS:sip.example.com");
	struct peer_names p;
	char big[2048];

	(void)state;
	names_of(x, &p);
	assert_false(matches(&p, "CN=\"trunk.example.com,O=Example,C=US"));
	assert_false(matches(&p, "CN=trunk.example.com,C=USA,O=Example"));
	assert_false(matches(&p, "CN=,O=,C="));
	assert_false(matches(&p, "=,;=;\\"));
	assert_false(matches(&p, "CN=\\"));
	assert_false(sip_x509_names_match(NULL, &p.n, p.cn));
	/* too many RDNs, too long a value */
	big[0] = '\0';
	for (int i = 0; i < 40; i++)
		strcat(big, "OU=x,");
	strcat(big, "CN=trunk.example.com");
	assert_false(matches(&p, big));
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	memcpy(big, "CN=", 3);
	assert_false(matches(&p, big));
	X509_free(x);
}

static void test_x509match_oversized_subject_leaves_bare_names(void **state)
{
	char longv[61];
	const char *subj[] = {"OU", longv,	     "OU", longv, "OU", longv,
			      "OU", longv,	     "OU", longv, "OU", longv,
			      "CN", "t.example.com", NULL};
	X509 *x;
	struct peer_names p;

	(void)state;
	memset(longv, 'v', sizeof longv - 1);
	longv[sizeof longv - 1] = '\0';
	x = make_cert(subj, NULL);
	names_of(x, &p);
	assert_int_equal(p.n.subject_len, 0);
	assert_true(matches(&p, "t.example.com"));
	X509_free(x);
}

/* The core: a trunk in a secure mode is heard over TLS only from a
 * verified certificate its profile names. */
static void test_x509match_core_trunk_check(void **state)
{
	static const char dirtext[] =
	    "realm ward.test\n"
	    "secret "
	    "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n"
	    "secure 1\n"
	    "trunk gw addr=10.0.0.9 mode=authenticated transports=tls "
	    "subject=CN=trunk.example.com,O=Example,C=US\n"
	    "trunk gw2 addr=10.0.0.10 mode=authenticated transports=tls "
	    "subject=other.example.com,sip.example.com\n";
	static const char req[] =
	    "OPTIONS sip:ward.test SIP/2.0\r\n"
	    "Via: SIP/2.0/TLS 10.0.0.9;branch=z9hG4bK1\r\n"
	    "From: <sip:gw@example.com>;tag=1\r\n"
	    "To: <sip:ward.test>\r\n"
	    "Call-ID: x509match\r\n"
	    "CSeq: 1 OPTIONS\r\n"
	    "Content-Length: 0\r\n\r\n";
	static const char sub[] =
	    "INFO sip:1001@ward.test SIP/2.0\r\n"
	    "Via: SIP/2.0/TLS 10.0.0.9;branch=z9hG4bK2\r\n"
	    "From: <sip:gw@example.com>;tag=1\r\n"
	    "To: <sip:1001@ward.test>\r\n"
	    "Call-ID: x509match2\r\n"
	    "CSeq: 1 INFO\r\n"
	    "Content-Length: 0\r\n\r\n";
	static const char *const other[] = {
	    "C", "US", "O", "Other", "CN", "trunk.example.com", NULL};
	struct sip_dirmem *mem;
	struct sip_directory dir;
	struct sip_core_config cfg;
	struct sip_core *core;
	struct sip_peer peer;
	struct sockaddr_in *a = (void *)&peer.addr;
	struct sip_reply rep;
	X509 *good = make_cert(trunk_subject, "DNS:sip.example.com");
	X509 *bad = make_cert(other, NULL);
	char err[128];
	msg_t *m;
	struct {
		const char *ip;
		X509 *cert;
		int verified;
		int want;
	} cases[] = {
	    {"10.0.0.9", good, 1, 1},  /* the whole DN */
	    {"10.0.0.9", bad, 1, 0},   /* same CN, another O */
	    {"10.0.0.9", good, 0, 0},  /* not verified */
	    {"10.0.0.9", NULL, 0, 0},  /* no certificate */
	    {"10.0.0.10", good, 1, 1}, /* a DNS name of the list */
	    {"10.0.0.10", bad, 1, 0},
	};

	(void)state;
	assert_int_equal(sip_dirmem_parse(dirtext, &mem, err, sizeof err), 0);
	sip_dirmem_directory(mem, &dir);
	sip_core_config_defaults(&cfg);
	cfg.rate = 0;
	assert_int_equal(sip_core_new(&cfg, &dir, NULL, &core, err, sizeof err),
			 0);
	m = msg_make(sip_default_mclass(), 0, sub, sizeof sub - 1);
	assert_non_null(m);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&peer, 0, sizeof peer);
		a->sin_family = AF_INET;
		inet_pton(AF_INET, cases[i].ip, &a->sin_addr);
		peer.transport = SIP_TP_TLS;
		if (cases[i].cert) {
			peer.cert.present = 1;
			peer.cert.verified = cases[i].verified;
			sip_x509_names_of(cases[i].cert, &peer.cert.names);
			X509_NAME_get_text_by_NID(
			    X509_get_subject_name(cases[i].cert),
			    NID_commonName, peer.cert.cn, sizeof peer.cert.cn);
		}
		sip_core_handle(core, sip_object(m), sizeof sub - 1, &peer,
				1800000000000ull + i, &rep);
		if (cases[i].want)
			assert_int_not_equal(rep.status, 403);
		else
			assert_int_equal(rep.status, 403);
	}
	msg_destroy(m);
	/* OPTIONS is answered whatever the peer (it is not a trunk check) */
	m = msg_make(sip_default_mclass(), 0, req, sizeof req - 1);
	sip_core_handle(core, sip_object(m), sizeof req - 1, &peer,
			1800000000100ull, &rep);
	assert_int_equal(rep.status, 200);
	msg_destroy(m);
	sip_core_free(core);
	sip_dirmem_free(mem);
	X509_free(good);
	X509_free(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_x509match_whole_dn_in_either_order),
	    cmocka_unit_test(test_x509match_values_with_separators),
	    cmocka_unit_test(test_x509match_bare_names_cn_and_dns),
	    cmocka_unit_test(test_x509match_lists),
	    cmocka_unit_test(test_x509match_malformed_lists_match_nothing),
	    cmocka_unit_test(
		test_x509match_oversized_subject_leaves_bare_names),
	    cmocka_unit_test(test_x509match_core_trunk_check),
	};
	int rc;

	su_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	su_deinit();
	return rc;
}
