/* What scripts rely on: the exit code for every HTTP status, and names
 * that cannot escape their path segment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "tools/wardctl/http.h"
#include "tools/wardctl/wardctl.h"

static void test_2xx_is_success(void **state)
{
	assert_int_equal(http_status_exit(200), WARDCTL_OK);
	assert_int_equal(http_status_exit(201), WARDCTL_OK);
	assert_int_equal(http_status_exit(204), WARDCTL_OK);
}

static void test_401_is_an_authentication_failure(void **state)
{
	assert_int_equal(http_status_exit(401), WARDCTL_EAUTH);
	assert_int_equal(WARDCTL_EAUTH, 5);
}

static void test_other_4xx_are_refusals(void **state)
{
	static const long codes[] = {400, 403, 404, 405, 409, 413, 499};

	for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
		assert_int_equal(http_status_exit(codes[i]), WARDCTL_EREFUSED);
	assert_int_equal(WARDCTL_EREFUSED, 2);
}

static void test_5xx_and_the_unexpected_mean_unavailable(void **state)
{
	/* 3xx: redirects are not followed; 0: no status line at all. */
	static const long codes[] = {500, 502, 503, 504, 599, 301,
				     302, 307, 100, 0,	 600};

	for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
		assert_int_equal(http_status_exit(codes[i]),
				 WARDCTL_EUNAVAILABLE);
	assert_int_equal(WARDCTL_EUNAVAILABLE, 4);
}

static void test_path_escapes_a_name_into_one_segment(void **state)
{
	char *p = http_path("admins", "bob", "/password");

	assert_string_equal(p, "/v1/admins/bob/password");
	free(p);
	p = http_path("nodes", "a b/../c?d=1#e%", "");
	assert_string_equal(p, "/v1/nodes/a%20b%2F..%2Fc%3Fd%3D1%23e%25");
	free(p);
	p = http_path("params", "sip.port-2_x~", "");
	assert_string_equal(p, "/v1/params/sip.port-2_x~");
	free(p);
}

static void test_path_escapes_dot_segments(void **state)
{
	char *p = http_path("nodes", "..", "");

	assert_string_equal(p, "/v1/nodes/%2E%2E");
	free(p);
	p = http_path("nodes", ".", "");
	assert_string_equal(p, "/v1/nodes/%2E");
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_2xx_is_success),
	    cmocka_unit_test(test_401_is_an_authentication_failure),
	    cmocka_unit_test(test_other_4xx_are_refusals),
	    cmocka_unit_test(test_5xx_and_the_unexpected_mean_unavailable),
	    cmocka_unit_test(test_path_escapes_a_name_into_one_segment),
	    cmocka_unit_test(test_path_escapes_dot_segments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
