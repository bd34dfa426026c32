/* Fingerprints as the operator types them: "sha256:HEX" from "wardctl node
 * add", or the colon form of "openssl x509 -fingerprint". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tools/wardctl/pin.h"

static const char hex64[] =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

static void expect_pattern(const uint8_t fp[32])
{
	for (int i = 0; i < 32; i++)
		assert_int_equal(fp[i], (i % 16) * 0x11);
}

static void test_pin_parses_prefixed_lower_case_hex(void **state)
{
	char text[80] = "sha256:";
	uint8_t fp[32];

	strcat(text, hex64);
	assert_int_equal(pin_parse(text, fp), 0);
	expect_pattern(fp);
}

static void test_pin_parses_upper_case_colon_pairs_and_bare_hex(void **state)
{
	char colons[128] = "SHA256:";
	uint8_t fp[32];

	for (int i = 0; i < 32; i++) {
		char pair[4];

		snprintf(pair, sizeof pair, "%02X%s", (i % 16) * 0x11,
			 i < 31 ? ":" : "");
		strcat(colons, pair);
	}
	assert_int_equal(pin_parse(colons, fp), 0);
	expect_pattern(fp);
	memset(fp, 0, sizeof fp);
	assert_int_equal(pin_parse(hex64, fp), 0);
	expect_pattern(fp);
}

static void test_pin_rejects_wrong_length(void **state)
{
	char text[80];
	uint8_t fp[32];

	/* 63 digits: odd; 62: one byte short; 66: one byte long. */
	snprintf(text, sizeof text, "sha256:%.63s", hex64);
	assert_int_equal(pin_parse(text, fp), -1);
	snprintf(text, sizeof text, "sha256:%.62s", hex64);
	assert_int_equal(pin_parse(text, fp), -1);
	snprintf(text, sizeof text, "sha256:%sab", hex64);
	assert_int_equal(pin_parse(text, fp), -1);
	assert_int_equal(pin_parse("sha256:", fp), -1);
	assert_int_equal(pin_parse("", fp), -1);
	assert_int_equal(pin_parse(NULL, fp), -1);
}

static void test_pin_rejects_bad_hex_and_other_algorithms(void **state)
{
	char text[80];
	uint8_t fp[32];

	snprintf(text, sizeof text, "sha256:%s", hex64);
	text[7 + 10] = 'g';
	assert_int_equal(pin_parse(text, fp), -1);
	snprintf(text, sizeof text, "sha256:%s", hex64);
	text[7 + 63] = ' ';
	assert_int_equal(pin_parse(text, fp), -1);
	snprintf(text, sizeof text, "sha1:%s", hex64);
	assert_int_equal(pin_parse(text, fp), -1);
	snprintf(text, sizeof text, "sha256:%s:", hex64);
	assert_int_equal(pin_parse(text, fp), -1);
	assert_int_equal(pin_parse("sha256::00", fp), -1);
}

static void test_pin_format_round_trips(void **state)
{
	char text[PIN_TEXT_LEN];
	uint8_t fp[32], back[32];

	for (int i = 0; i < 32; i++)
		fp[i] = (uint8_t)(255 - i * 7);
	pin_format(fp, text);
	assert_int_equal(strlen(text), 71);
	assert_memory_equal(text, "sha256:ff", 9);
	assert_int_equal(pin_parse(text, back), 0);
	assert_memory_equal(fp, back, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pin_parses_prefixed_lower_case_hex),
	    cmocka_unit_test(
		test_pin_parses_upper_case_colon_pairs_and_bare_hex),
	    cmocka_unit_test(test_pin_rejects_wrong_length),
	    cmocka_unit_test(test_pin_rejects_bad_hex_and_other_algorithms),
	    cmocka_unit_test(test_pin_format_round_trips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
