/* sdes: a=crypto values of the four suites ward speaks parse to the right
 * key and salt, anything weak, unknown, malformed or ambiguous is refused
 * (the caller answers 488), and the policy, not the offer's order, picks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sdp/sdes.h"

/* base64 of bytes 0, 1, 2, ... (28, 30 and 44 of them). */
#define B28 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw=="
#define B30 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"
#define B44 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKis="
#define B29 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw="

static void expect_counting_bytes(const struct sdes_crypto *c)
{
	for (size_t i = 0; i < c->key_len; i++)
		assert_int_equal(c->key[i], i);
	for (size_t i = 0; i < c->salt_len; i++)
		assert_int_equal(c->salt[i], c->key_len + i);
}

static void test_sdes_parses_each_suite_with_its_lengths(void **state)
{
	struct sdes_crypto c;

	(void)state;
	assert_int_equal(
	    sdes_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" B30, &c), SDES_OK);
	assert_int_equal(c.tag, 1);
	assert_int_equal(c.suite, SDES_AES_CM_128_HMAC_SHA1_80);
	assert_int_equal(c.key_len, 16);
	assert_int_equal(c.salt_len, 14);
	expect_counting_bytes(&c);
	assert_int_equal(
	    sdes_parse("22 AES_CM_128_HMAC_SHA1_32 inline:" B30 "|2^31", &c),
	    SDES_OK);
	assert_int_equal(c.tag, 22);
	assert_int_equal(c.suite, SDES_AES_CM_128_HMAC_SHA1_32);
	assert_int_equal(sdes_parse("3 AEAD_AES_128_GCM inline:" B28, &c),
			 SDES_OK);
	assert_int_equal(c.key_len, 16);
	assert_int_equal(c.salt_len, 12);
	expect_counting_bytes(&c);
	assert_int_equal(
	    sdes_parse("4 AEAD_AES_256_GCM inline:" B44 " WSH=128", &c),
	    SDES_OK);
	assert_int_equal(c.key_len, 32);
	assert_int_equal(c.salt_len, 12);
	expect_counting_bytes(&c);
	sdes_crypto_wipe(&c);
	assert_int_equal(c.key[5], 0);
}

static void test_sdes_accepts_unpadded_base64(void **state)
{
	struct sdes_crypto c;

	(void)state;
	assert_int_equal(sdes_parse("3 AEAD_AES_128_GCM inline:"
				    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw",
				    &c),
			 SDES_OK);
	expect_counting_bytes(&c);
}

static void test_sdes_refuses_weak_and_unknown_suites(void **state)
{
	struct sdes_crypto c;

	(void)state;
	assert_int_equal(sdes_parse("1 F8_128_HMAC_SHA1_80 inline:" B30, &c),
			 SDES_EWEAK);
	assert_int_equal(sdes_parse("1 NULL_HMAC_SHA1_80 inline:" B30, &c),
			 SDES_EWEAK);
	assert_int_equal(sdes_parse("1 AES_CM_128_NULL_AUTH inline:" B30, &c),
			 SDES_EWEAK);
	assert_int_equal(
	    sdes_parse("1 AES_256_CM_HMAC_SHA1_80 inline:" B44, &c),
	    SDES_EUNKNOWN);
	assert_int_equal(
	    sdes_parse("1 aes_cm_128_hmac_sha1_80 inline:" B30, &c),
	    SDES_EUNKNOWN);
}

static void test_sdes_refuses_wrong_key_and_salt_lengths(void **state)
{
	struct sdes_crypto c;

	(void)state;
	assert_int_equal(
	    sdes_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" B29, &c),
	    SDES_EKEYLEN);
	assert_int_equal(
	    sdes_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" B28, &c),
	    SDES_EKEYLEN);
	assert_int_equal(sdes_parse("1 AEAD_AES_128_GCM inline:" B30, &c),
			 SDES_EKEYLEN);
	assert_int_equal(sdes_parse("1 AEAD_AES_256_GCM inline:" B30, &c),
			 SDES_EKEYLEN);
	/* the buffer bound, not only the suite, stops an overlong key */
	assert_int_equal(sdes_parse("1 AEAD_AES_256_GCM inline:" B44 B44, &c),
			 SDES_EKEY);
	for (size_t i = 0; i < sizeof c; i++)
		assert_int_equal(((unsigned char *)&c)[i], 0);
}

static void test_sdes_refuses_malformed_key_params(void **state)
{
	const char *bad[] = {
	    "1 AES_CM_128_HMAC_SHA1_80 " B30,
	    "1 AES_CM_128_HMAC_SHA1_80 inline:",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" B30 "!",
	    "1 AES_CM_128_HMAC_SHA1_80 "
	    "inline:AAE=CAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" B30 ";inline:" B30,
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" B30 "|",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" B30 "|2^x",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" B30 "|2^31|2^31",
	    "1 AES_CM_128_HMAC_SHA1_80 INLINE:" B30,
	};
	struct sdes_crypto c;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (sdes_parse(bad[i], &c) != SDES_EKEY)
			fail_msg("not EKEY: %s", bad[i]);
}

static void test_sdes_refuses_syntax_errors(void **state)
{
	const char *bad[] = {
	    "",
	    "x AES_CM_128_HMAC_SHA1_80 inline:" B30,
	    "1234567890 AES_CM_128_HMAC_SHA1_80 inline:" B30,
	    "1  AES_CM_128_HMAC_SHA1_80 inline:" B30,
	    "1 AES_CM_128_HMAC_SHA1_80",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" B30 " ",
	    "1 AES-CM inline:" B30,
	    "-1 AES_CM_128_HMAC_SHA1_80 inline:" B30,
	};
	struct sdes_crypto c;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (sdes_parse(bad[i], &c) != SDES_ESYNTAX)
			fail_msg("not ESYNTAX: %s", bad[i]);
}

static void test_sdes_lifetime_mki_and_session_params(void **state)
{
	struct sdes_crypto c;

	(void)state;
	assert_int_equal(
	    sdes_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" B30 "|2^48", &c),
	    SDES_OK);
	assert_int_equal(sdes_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" B30
				    "|2147483648",
				    &c),
			 SDES_OK);
	assert_int_equal(
	    sdes_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" B30 "|2^20", &c),
	    SDES_ELIFETIME);
	assert_int_equal(
	    sdes_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" B30 "|2^49", &c),
	    SDES_ELIFETIME);
	assert_int_equal(
	    sdes_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" B30 "|1000", &c),
	    SDES_ELIFETIME);
	assert_int_equal(
	    sdes_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" B30 "|1:4", &c),
	    SDES_EMKI);
	assert_int_equal(
	    sdes_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" B30 "|2^31|1:4", &c),
	    SDES_EMKI);
	assert_int_equal(sdes_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" B30
				    " UNENCRYPTED_SRTP",
				    &c),
			 SDES_EPARAM);
	assert_int_equal(sdes_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" B30
				    " UNAUTHENTICATED_SRTP",
				    &c),
			 SDES_EPARAM);
	assert_int_equal(
	    sdes_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" B30 " KDR=1", &c),
	    SDES_EPARAM);
	assert_int_equal(
	    sdes_parse("1 AES_CM_128_HMAC_SHA1_80 inline:" B30 " WSH=8", &c),
	    SDES_EPARAM);
}

static void test_sdes_policy_order_picks_not_offer_order(void **state)
{
	const char *offer[] = {
	    "1 AES_CM_128_HMAC_SHA1_32 inline:" B30,
	    "2 AES_CM_128_HMAC_SHA1_80 inline:" B30,
	    "3 AEAD_AES_128_GCM inline:" B28,
	};
	struct sdes_policy p;
	struct sdes_crypto c;

	(void)state;
	sdes_policy_default(&p);
	assert_int_equal(sdes_choose(&p, offer, 3, &c), SDES_OK);
	assert_int_equal(c.tag, 3);
	assert_int_equal(c.suite, SDES_AEAD_AES_128_GCM);
	assert_int_equal(sdes_policy_parse("AES_CM_128_HMAC_SHA1_80, "
					   "AEAD_AES_128_GCM",
					   &p),
			 0);
	assert_int_equal(sdes_choose(&p, offer, 3, &c), SDES_OK);
	assert_int_equal(c.tag, 2);
	/* the 32-bit tag only where a policy names it */
	sdes_policy_default(&p);
	assert_int_equal(sdes_choose(&p, offer, 1, &c), SDES_ENOMATCH);
	assert_int_equal(sdes_choose(&p, offer, 0, &c), SDES_ENOMATCH);
}

static void
test_sdes_offer_passes_over_weak_lines_but_not_broken_ones(void **state)
{
	const char *weak_first[] = {
	    "1 NULL_HMAC_SHA1_80 inline:" B30,
	    "2 AES_CM_128_HMAC_SHA1_80 inline:" B30,
	};
	const char *dup[] = {
	    "1 AES_CM_128_HMAC_SHA1_80 inline:" B30,
	    "1 AEAD_AES_128_GCM inline:" B28,
	};
	const char *dup_weak[] = {
	    "7 F8_128_HMAC_SHA1_80 inline:" B30,
	    "7 AES_CM_128_HMAC_SHA1_80 inline:" B30,
	};
	const char *broken[] = {
	    "1 AEAD_AES_128_GCM inline:" B30,
	    "2 AES_CM_128_HMAC_SHA1_80 inline:" B30,
	};
	const char *only_weak[] = {"1 NULL_HMAC_SHA1_80 inline:" B30};
	struct sdes_policy p;
	struct sdes_crypto c;

	(void)state;
	sdes_policy_default(&p);
	assert_int_equal(sdes_choose(&p, weak_first, 2, &c), SDES_OK);
	assert_int_equal(c.tag, 2);
	assert_int_equal(sdes_choose(&p, dup, 2, &c), SDES_EDUPTAG);
	assert_int_equal(c.suite, SDES_SUITE_NONE);
	assert_int_equal(sdes_choose(&p, dup_weak, 2, &c), SDES_EDUPTAG);
	assert_int_equal(sdes_choose(&p, broken, 2, &c), SDES_EKEYLEN);
	assert_int_equal(sdes_choose(&p, only_weak, 1, &c), SDES_ENOMATCH);
}

static void test_sdes_policy_parse_refuses_unknown_and_repeats(void **state)
{
	struct sdes_policy p;

	(void)state;
	assert_int_equal(sdes_policy_parse("AEAD_AES_256_GCM", &p), 0);
	assert_int_equal(p.n, 1);
	assert_int_equal(sdes_policy_parse("", &p), -1);
	assert_int_equal(sdes_policy_parse("F8_128_HMAC_SHA1_80", &p), -1);
	assert_int_equal(
	    sdes_policy_parse("AEAD_AES_256_GCM,AEAD_AES_256_GCM", &p), -1);
	assert_int_equal(sdes_policy_parse("AEAD_AES_256_GCM,", &p), -1);
}

static void test_sdes_format_round_trips(void **state)
{
	struct sdes_crypto in = {0}, out;
	char buf[SDES_VALUE_MAX];

	(void)state;
	for (int s = SDES_AEAD_AES_256_GCM; s < SDES_SUITE_COUNT; s++) {
		in.tag = 9;
		in.suite = (enum sdes_suite)s;
		in.key_len = sdes_suite_key_len(in.suite);
		in.salt_len = sdes_suite_salt_len(in.suite);
		for (size_t i = 0; i < in.key_len; i++)
			in.key[i] = (uint8_t)(0xa0 + i);
		for (size_t i = 0; i < in.salt_len; i++)
			in.salt[i] = (uint8_t)(0x10 + i);
		assert_int_equal(sdes_format(&in, buf, sizeof buf), SDES_OK);
		assert_int_equal(sdes_parse(buf, &out), SDES_OK);
		assert_int_equal(out.suite, in.suite);
		assert_int_equal(out.tag, 9);
		assert_memory_equal(out.key, in.key, in.key_len);
		assert_memory_equal(out.salt, in.salt, in.salt_len);
	}
	assert_int_equal(sdes_format(&in, buf, 20), SDES_ESPACE);
	assert_int_equal(buf[0], 0);
	in.key_len = 15;
	assert_int_equal(sdes_format(&in, buf, sizeof buf), SDES_EKEYLEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sdes_parses_each_suite_with_its_lengths),
	    cmocka_unit_test(test_sdes_accepts_unpadded_base64),
	    cmocka_unit_test(test_sdes_refuses_weak_and_unknown_suites),
	    cmocka_unit_test(test_sdes_refuses_wrong_key_and_salt_lengths),
	    cmocka_unit_test(test_sdes_refuses_malformed_key_params),
	    cmocka_unit_test(test_sdes_refuses_syntax_errors),
	    cmocka_unit_test(test_sdes_lifetime_mki_and_session_params),
	    cmocka_unit_test(test_sdes_policy_order_picks_not_offer_order),
	    cmocka_unit_test(
		test_sdes_offer_passes_over_weak_lines_but_not_broken_ones),
	    cmocka_unit_test(
		test_sdes_policy_parse_refuses_unknown_and_repeats),
	    cmocka_unit_test(test_sdes_format_round_trips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
