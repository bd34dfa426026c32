/* Digest as a client (answering a trunk's 401/407): RFC 7616's worked
 * examples, the choice among several challenges, nonce counting and the
 * refusals of what cannot be answered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip_parser.h>
#include <sofia-sip/su.h>

#include "node/sip/uac_auth.h"

/* RFC 7616 section 3.9.1: user Mufasa, password "Circle of Life". */
#define RFC_NONCE "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define RFC_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
#define RFC_OPAQUE "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"

static void rfc_challenge(const char *alg, struct sip_uac_challenge *ch)
{
	char a[48];
	const char *params[] = {"realm=\"http-auth@example.org\"",
				"qop=\"auth, auth-int\"",
				a,
				"nonce=\"" RFC_NONCE "\"",
				"opaque=\"" RFC_OPAQUE "\"",
				NULL};

	snprintf(a, sizeof a, "algorithm=%s", alg);
	assert_int_equal(sip_uac_challenge_parse(params, ch), 0);
}

static void test_uac_answers_rfc7616_sha256_example(void **s)
{
	struct sip_uac_challenge ch;
	char out[SIP_UAC_ANSWER_MAX];

	(void)s;
	rfc_challenge("SHA-256", &ch);
	assert_int_equal(ch.alg, SIP_DIGEST_SHA256);
	assert_int_equal(ch.qop_auth, 1);
	assert_int_equal(sip_uac_auth_answer_with(
			     &ch, "GET", "/dir/index.html", "Mufasa",
			     "Circle of Life", RFC_CNONCE, 1, out, sizeof out),
			 0);
	assert_string_equal(
	    out, "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", "
		 "nonce=\"" RFC_NONCE "\", uri=\"/dir/index.html\", "
		 "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697"
		 "cf8db5856cb6c1\", algorithm=SHA-256, opaque=\"" RFC_OPAQUE
		 "\", qop=auth, nc=00000001, cnonce=\"" RFC_CNONCE "\"");
}

static void test_uac_answers_rfc7616_md5_example(void **s)
{
	struct sip_uac_challenge ch;
	char out[SIP_UAC_ANSWER_MAX];

	(void)s;
	rfc_challenge("MD5", &ch);
	assert_int_equal(sip_uac_auth_answer_with(
			     &ch, "GET", "/dir/index.html", "Mufasa",
			     "Circle of Life", RFC_CNONCE, 1, out, sizeof out),
			 0);
	assert_non_null(
	    strstr(out, "response=\"8ca523f5e9506fed4657c9700eebdbec\""));
	assert_non_null(strstr(out, "algorithm=MD5"));
}

/* A 401 with these challenges, parsed by sofia: the strongest usable. */
static int choose_from(const char *hdrs, struct sip_uac_challenge *ch)
{
	char text[2048];
	msg_t *m;
	sip_t *sip;
	int r;

	snprintf(text, sizeof text,
		 "SIP/2.0 401 Unauthorized\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
		 "From: <sip:ward@ward.test>;tag=1\r\n"
		 "To: <sip:trunk@192.0.2.9>;tag=2\r\n"
		 "Call-ID: c1\r\nCSeq: 1 OPTIONS\r\n%s"
		 "Content-Length: 0\r\n\r\n",
		 hdrs);
	m = msg_make(sip_default_mclass(), 0, text, strlen(text));
	sip = m ? sip_object(m) : NULL;
	assert_non_null(sip);
	r = sip_uac_choose(sip->sip_www_authenticate, ch);
	msg_destroy(m);
	return r;
}

static void test_uac_chooses_the_strongest_known_challenge(void **s)
{
	struct sip_uac_challenge ch;

	(void)s;
	su_init();
	assert_int_equal(
	    choose_from("WWW-Authenticate: Digest realm=\"t\", nonce=\"n1\", "
			"algorithm=MD5, qop=\"auth\"\r\n"
			"WWW-Authenticate: Digest realm=\"t\", nonce=\"n2\", "
			"algorithm=SHA-512-256-sess, qop=\"auth\"\r\n"
			"WWW-Authenticate: Digest realm=\"t\", nonce=\"n3\", "
			"algorithm=SHA-256, qop=\"auth\", stale=TRUE\r\n"
			"WWW-Authenticate: Basic realm=\"t\"\r\n",
			&ch),
	    0);
	assert_int_equal(ch.alg, SIP_DIGEST_SHA256); /* -sess: not known */
	assert_string_equal(ch.nonce, "n3");
	assert_int_equal(ch.stale, 1);
	assert_int_equal(
	    choose_from("WWW-Authenticate: Digest realm=\"t\", nonce=\"n1\"\r\n"
			"WWW-Authenticate: Digest realm=\"t\", nonce=\"n4\", "
			"algorithm=SHA-512-256, qop=\"auth\"\r\n",
			&ch),
	    0);
	assert_int_equal(ch.alg, SIP_DIGEST_SHA512_256);
	/* Nothing usable: auth-int only, an unknown algorithm, Basic. */
	assert_int_equal(
	    choose_from("WWW-Authenticate: Digest realm=\"t\", nonce=\"n\", "
			"qop=\"auth-int\"\r\n"
			"WWW-Authenticate: Digest realm=\"t\", nonce=\"n\", "
			"algorithm=SHA-1\r\n"
			"WWW-Authenticate: Basic realm=\"t\"\r\n",
			&ch),
	    -1);
	su_deinit();
}

static void test_uac_counts_answers_to_the_same_nonce(void **s)
{
	struct sip_uac_auth *a;
	struct sip_uac_challenge ch, other;
	char out[SIP_UAC_ANSWER_MAX], cnonce1[64], cnonce2[64];
	const char *c;

	(void)s;
	assert_int_equal(sip_uac_auth_new(16, &a), 0);
	rfc_challenge("SHA-256", &ch);
	assert_int_equal(sip_uac_auth_answer(a, &ch, "OPTIONS", "sip:t", "ward",
					     "pw", out, sizeof out),
			 0);
	assert_non_null(strstr(out, "nc=00000001"));
	c = strstr(out, "cnonce=\"");
	assert_non_null(c);
	snprintf(cnonce1, sizeof cnonce1, "%s", c);
	assert_int_equal(strlen(cnonce1), strlen("cnonce=\"\"") + 32);
	assert_int_equal(sip_uac_auth_answer(a, &ch, "OPTIONS", "sip:t", "ward",
					     "pw", out, sizeof out),
			 0);
	assert_non_null(strstr(out, "nc=00000002"));
	snprintf(cnonce2, sizeof cnonce2, "%s", strstr(out, "cnonce=\""));
	assert_string_not_equal(cnonce1, cnonce2); /* fresh each time */
	/* Another nonce starts at 1; many more push the oldest out. */
	other = ch;
	strcpy(other.nonce, "another");
	assert_int_equal(sip_uac_auth_answer(a, &other, "OPTIONS", "sip:t",
					     "ward", "pw", out, sizeof out),
			 0);
	assert_non_null(strstr(out, "nc=00000001"));
	for (int i = 0; i < 40; i++) {
		snprintf(other.nonce, sizeof other.nonce, "n%d", i);
		sip_uac_auth_answer(a, &other, "OPTIONS", "sip:t", "ward", "pw",
				    out, sizeof out);
	}
	assert_int_equal(sip_uac_auth_answer(a, &ch, "OPTIONS", "sip:t", "ward",
					     "pw", out, sizeof out),
			 0);
	assert_non_null(strstr(out, "nc=00000001"));
	sip_uac_auth_free(a);
}

static void test_uac_answers_a_challenge_without_qop_the_rfc2069_way(void **s)
{
	struct sip_uac_challenge ch;
	char out[SIP_UAC_ANSWER_MAX];
	const char *params[] = {"realm=\"testrealm@host.com\"",
				"nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"",
				NULL};

	(void)s;
	assert_int_equal(sip_uac_challenge_parse(params, &ch), 0);
	assert_int_equal(ch.qop_auth, 0);
	assert_int_equal(ch.alg, SIP_DIGEST_MD5);
	/* RFC 2069 2.4's example. */
	assert_int_equal(sip_uac_auth_answer_with(&ch, "GET", "/dir/index.html",
						  "Mufasa", "CircleOfLife", "x",
						  1, out, sizeof out),
			 0);
	assert_non_null(
	    strstr(out, "response=\"1949323746fe6a43ef61f9606e7febea\""));
	assert_null(strstr(out, "qop="));
	assert_null(strstr(out, "nc="));
}

static void test_uac_refuses_what_it_cannot_quote_or_parse(void **s)
{
	struct sip_uac_challenge ch;
	char out[SIP_UAC_ANSWER_MAX], small[64];
	const char *broken[] = {"realm=\"t", "nonce=\"n\"", NULL};
	const char *no_nonce[] = {"realm=\"t\"", NULL};

	(void)s;
	assert_int_equal(sip_uac_challenge_parse(broken, &ch), -1);
	assert_int_equal(sip_uac_challenge_parse(no_nonce, &ch), -1);
	rfc_challenge("MD5", &ch);
	assert_int_equal(sip_uac_auth_answer_with(&ch, "GET", "/", "a\"b", "pw",
						  "c", 1, out, sizeof out),
			 -1);
	assert_int_equal(sip_uac_auth_answer_with(&ch, "GET", "/", "ab", "pw",
						  "c", 1, small, sizeof small),
			 -1);
	assert_string_equal(small, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_uac_answers_rfc7616_sha256_example),
	    cmocka_unit_test(test_uac_answers_rfc7616_md5_example),
	    cmocka_unit_test(test_uac_chooses_the_strongest_known_challenge),
	    cmocka_unit_test(test_uac_counts_answers_to_the_same_nonce),
	    cmocka_unit_test(
		test_uac_answers_a_challenge_without_qop_the_rfc2069_way),
	    cmocka_unit_test(test_uac_refuses_what_it_cannot_quote_or_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
