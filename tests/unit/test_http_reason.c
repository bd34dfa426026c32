/* Tests of common/http_reason: the one table of HTTP reason phrases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/http_reason.h"

static void test_http_reason_names_the_statuses_ward_answers(void **state)
{
	(void)state;
	assert_string_equal(http_reason_phrase(200), "OK");
	assert_string_equal(http_reason_phrase(201), "Created");
	assert_string_equal(http_reason_phrase(400), "Bad Request");
	assert_string_equal(http_reason_phrase(401), "Unauthorized");
	assert_string_equal(http_reason_phrase(403), "Forbidden");
	assert_string_equal(http_reason_phrase(404), "Not Found");
	assert_string_equal(http_reason_phrase(405), "Method Not Allowed");
	assert_string_equal(http_reason_phrase(409), "Conflict");
	assert_string_equal(http_reason_phrase(413), "Content Too Large");
	assert_string_equal(http_reason_phrase(429), "Too Many Requests");
	assert_string_equal(http_reason_phrase(500), "Internal Server Error");
	assert_string_equal(http_reason_phrase(503), "Service Unavailable");
	assert_string_equal(http_reason_phrase(507), "Insufficient Storage");
}

static void test_http_reason_is_empty_for_unknown_statuses(void **state)
{
	static const int unknown[] = {-1,  0,	99,  199, 418,
				      499, 508, 599, 600, 1000};

	(void)state;
	for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++) {
		const char *p = http_reason_phrase(unknown[i]);

		assert_non_null(p);
		if (*p)
			fail_msg("%d: \"%s\", expected \"\"", unknown[i], p);
	}
}

static void test_http_reason_phrases_are_wire_safe(void **state)
{
	(void)state;
	/* A phrase goes into the status line: printable ASCII, no CR/LF. */
	for (int s = 100; s <= 599; s++) {
		const char *p = http_reason_phrase(s);

		for (; *p; p++)
			if (*p < 0x20 || *p > 0x7e)
				fail_msg("%d: byte 0x%02x", s,
					 (unsigned char)*p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_http_reason_names_the_statuses_ward_answers),
	    cmocka_unit_test(test_http_reason_is_empty_for_unknown_statuses),
	    cmocka_unit_test(test_http_reason_phrases_are_wire_safe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
