/* One spelling of bytes and fingerprints for every process: what one
 * prints, another parses back, and nothing looser is accepted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/hex.h"

static const char hex64[] =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

static void test_hex_encodes_lower_case_and_terminates(void **state)
{
	const uint8_t in[] = {0x00, 0x7f, 0xa5, 0xff};
	char out[2 * sizeof in + 1];

	(void)state;
	memset(out, 'x', sizeof out);
	hex_encode(in, sizeof in, out);
	assert_string_equal(out, "007fa5ff");
	hex_encode(in, 0, out);
	assert_string_equal(out, "");
}

static void test_hex_decode_takes_exactly_the_length_asked(void **state)
{
	uint8_t out[4];

	(void)state;
	assert_int_equal(hex_decode("007FA5ff", out, 4), 0);
	assert_int_equal(out[0], 0x00);
	assert_int_equal(out[1], 0x7f);
	assert_int_equal(out[2], 0xa5);
	assert_int_equal(out[3], 0xff);
	assert_int_equal(hex_decode("007fa5", out, 4), -1);
	assert_int_equal(hex_decode("007fa5ff00", out, 4), -1);
	assert_int_equal(hex_decode("007fa5fg", out, 4), -1);
	assert_int_equal(hex_decode("00:7f:a5", out, 3), -1);
	assert_int_equal(hex_decode("sha256:00", out, 1), -1);
}

static void test_sha256_text_parses_back(void **state)
{
	uint8_t fp[32], back[32];
	char text[HEX_SHA256_TEXT_LEN];

	(void)state;
	for (int i = 0; i < 32; i++)
		fp[i] = (uint8_t)(255 - i * 7);
	hex_sha256_text(fp, text);
	assert_int_equal(strlen(text), HEX_SHA256_TEXT_LEN - 1);
	assert_memory_equal(text, "sha256:ff", 9);
	assert_int_equal(hex_sha256_parse(text, back), 0);
	assert_memory_equal(fp, back, 32);
}

static void test_sha256_parse_takes_bare_upper_and_colon_forms(void **state)
{
	/* As `openssl x509 -fingerprint -sha256` prints it. */
	static const char colons[] =
	    "SHA256:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
	    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";
	uint8_t fp[32];

	(void)state;
	assert_int_equal(hex_sha256_parse(colons, fp), 0);
	assert_int_equal(fp[5], 0x55);
	assert_int_equal(fp[26], 0xaa);
	memset(fp, 0, sizeof fp);
	assert_int_equal(hex_sha256_parse(hex64, fp), 0);
	assert_int_equal(fp[31], 0xff);
}

static void test_sha256_parse_refuses_stray_colons(void **state)
{
	char text[128];
	uint8_t fp[32];

	(void)state;
	snprintf(text, sizeof text, "sha256::%s", hex64);
	assert_int_equal(hex_sha256_parse(text, fp), -1);
	snprintf(text, sizeof text, "sha256:%s:", hex64);
	assert_int_equal(hex_sha256_parse(text, fp), -1);
	snprintf(text, sizeof text, "sha256:00::%s", hex64 + 2);
	assert_int_equal(hex_sha256_parse(text, fp), -1);
	snprintf(text, sizeof text, "sha256:0:0%s", hex64 + 2);
	assert_int_equal(hex_sha256_parse(text, fp), -1);
}

static void test_sha256_parse_refuses_wrong_length_and_digits(void **state)
{
	char text[128];
	uint8_t fp[32];

	(void)state;
	snprintf(text, sizeof text, "sha256:%.63s", hex64);
	assert_int_equal(hex_sha256_parse(text, fp), -1);
	snprintf(text, sizeof text, "sha256:%.62s", hex64);
	assert_int_equal(hex_sha256_parse(text, fp), -1);
	snprintf(text, sizeof text, "sha256:%sab", hex64);
	assert_int_equal(hex_sha256_parse(text, fp), -1);
	snprintf(text, sizeof text, "sha1:%s", hex64);
	assert_int_equal(hex_sha256_parse(text, fp), -1);
	snprintf(text, sizeof text, "sha256:%s", hex64);
	text[20] = 'g';
	assert_int_equal(hex_sha256_parse(text, fp), -1);
	assert_int_equal(hex_sha256_parse("sha256:", fp), -1);
	assert_int_equal(hex_sha256_parse("", fp), -1);
	assert_int_equal(hex_sha256_parse(NULL, fp), -1);
}

static void test_sha256_equal_tells_one_bit_apart(void **state)
{
	uint8_t a[32], b[32];

	(void)state;
	memset(a, 0x5a, sizeof a);
	memcpy(b, a, sizeof b);
	assert_true(hex_sha256_equal(a, b));
	b[31] ^= 1;
	assert_false(hex_sha256_equal(a, b));
	b[31] ^= 1;
	b[0] ^= 0x80;
	assert_false(hex_sha256_equal(a, b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hex_encodes_lower_case_and_terminates),
	    cmocka_unit_test(test_hex_decode_takes_exactly_the_length_asked),
	    cmocka_unit_test(test_sha256_text_parses_back),
	    cmocka_unit_test(
		test_sha256_parse_takes_bare_upper_and_colon_forms),
	    cmocka_unit_test(test_sha256_parse_refuses_stray_colons),
	    cmocka_unit_test(test_sha256_parse_refuses_wrong_length_and_digits),
	    cmocka_unit_test(test_sha256_equal_tells_one_bit_apart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
