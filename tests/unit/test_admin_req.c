/* Unit tests of the admin API's request validation (node/admin/json.c):
 * every body is hostile until its fields have the right types and syntax. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node/admin/admin_req.h"

#define PARSE(fn, text, out)                                                   \
	fn((text), strlen(text), (out), errmsg, sizeof errmsg)

static char errmsg[256];

static void test_init_body_accepted(void **state)
{
	struct admin_req_init q;

	(void)state;
	assert_int_equal(PARSE(admin_req_parse_init,
			       "{\"token\":\"abc\",\"cluster_name\":\"lab\","
			       "\"admin\":\"root\",\"password\":\"12345678\"}",
			       &q),
			 0);
	assert_string_equal(q.token, "abc");
	assert_string_equal(q.cluster_name, "lab");
	assert_string_equal(q.admin, "root");
	assert_string_equal(q.password, "12345678");
	assert_int_equal(q.password_len, 8);
}

static void test_init_body_missing_field_is_named(void **state)
{
	struct admin_req_init q;

	(void)state;
	assert_int_equal(PARSE(admin_req_parse_init,
			       "{\"token\":\"abc\",\"cluster_name\":\"lab\","
			       "\"admin\":\"root\"}",
			       &q),
			 400);
	assert_non_null(strstr(errmsg, "password"));
}

static void test_wrong_types_are_refused(void **state)
{
	struct admin_req_node_add q;
	struct admin_req_param p;

	(void)state;
	assert_int_equal(PARSE(admin_req_parse_node_add,
			       "{\"name\":5,\"address\":\"127.0.0.2\"}", &q),
			 400);
	assert_non_null(strstr(errmsg, "name"));
	assert_int_equal(PARSE(admin_req_parse_node_add,
			       "{\"name\":\"n2\",\"address\":null}", &q),
			 400);
	assert_int_equal(PARSE(admin_req_parse_param, "{\"value\":true}", &p),
			 400);
	assert_int_equal(
	    PARSE(admin_req_parse_param, "{\"value\":[\"1\"]}", &p), 400);
	assert_int_equal(PARSE(admin_req_parse_param, "[\"value\"]", &p), 400);
	assert_int_equal(PARSE(admin_req_parse_param, "\"value\"", &p), 400);
}

static void test_malformed_json_gets_a_reason(void **state)
{
	struct admin_req_param p;

	(void)state;
	assert_int_equal(PARSE(admin_req_parse_param, "{\"value\":", &p), 400);
	assert_non_null(strstr(errmsg, "malformed JSON"));
	assert_int_equal(PARSE(admin_req_parse_param, "", &p), 400);
	assert_int_equal(PARSE(admin_req_parse_param,
			       "{\"value\":\"1\",\"value\":\"2\"}", &p),
			 400);
	assert_int_equal(
	    PARSE(admin_req_parse_param, "{\"value\":\"1\"} x", &p), 400);
}

static void test_unknown_fields_are_refused(void **state)
{
	struct admin_req_param p;

	(void)state;
	assert_int_equal(PARSE(admin_req_parse_param,
			       "{\"value\":\"1\",\"valeu\":\"2\"}", &p),
			 400);
	assert_non_null(strstr(errmsg, "valeu"));
}

static void test_oversize_body_is_413(void **state)
{
	struct admin_req_param p;
	size_t n = ADMIN_BODY_MAX + 1;
	char *big = malloc(n);

	(void)state;
	assert_non_null(big);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	assert_int_equal(
	    admin_req_parse_param(big, n, &p, errmsg, sizeof errmsg), 413);
	free(big);
}

static void test_bad_names_are_refused(void **state)
{
	static const char *bad[] = {
	    "{\"name\":\"\",\"password\":\"12345678\"}",
	    "{\"name\":\"a b\",\"password\":\"12345678\"}",
	    "{\"name\":\"../x\",\"password\":\"12345678\"}",
	    "{\"name\":\"\\u00e9\",\"password\":\"12345678\"}",
	    "{\"name\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaa\",\"password\":\"12345678\"}", /* 64 */
	};
	struct admin_req_admin q;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(PARSE(admin_req_parse_admin_add, bad[i], &q),
				 400);
		assert_non_null(strstr(errmsg, "name"));
	}
	/* An embedded NUL never reaches the name check: JSON refuses it. */
	assert_int_equal(
	    PARSE(admin_req_parse_admin_add,
		  "{\"name\":\"a\\u0000b\",\"password\":\"12345678\"}", &q),
	    400);
	assert_int_equal(
	    PARSE(admin_req_parse_admin_add,
		  "{\"name\":\"a.b_c-9\",\"password\":\"12345678\"}", &q),
	    0);
}

static void test_password_length_bounds(void **state)
{
	struct admin_req_admin q;
	char body[600], pw[300];

	(void)state;
	assert_int_equal(
	    PARSE(admin_req_parse_password, "{\"password\":\"1234567\"}", &q),
	    400);
	assert_int_equal(PARSE(admin_req_parse_password,
			       "{\"password\":\"1234\\u00005678\"}", &q),
			 400);
	memset(pw, 'p', 256);
	pw[256] = '\0';
	snprintf(body, sizeof body, "{\"password\":\"%s\"}", pw);
	assert_int_equal(PARSE(admin_req_parse_password, body, &q), 0);
	assert_int_equal(q.password_len, 256);
	pw[256] = 'p';
	pw[257] = '\0';
	snprintf(body, sizeof body, "{\"password\":\"%s\"}", pw);
	assert_int_equal(PARSE(admin_req_parse_password, body, &q), 400);
}

static void test_join_body_checks_addresses_and_fingerprint(void **state)
{
	struct admin_req_join q;
	char body[512];
	const char *fp = "sha256:000102030405060708090a0b0c0d0e0f"
			 "101112131415161718191a1b1c1d1e1f";

	(void)state;
	snprintf(body, sizeof body,
		 "{\"token\":\"2.x\",\"name\":\"n2\",\"raft_address\":"
		 "\"127.0.0.3:9443\",\"admin_address\":\"127.0.0.3:8443\","
		 "\"https_sha256\":\"%s\"}",
		 fp);
	assert_int_equal(PARSE(admin_req_parse_join, body, &q), 0);
	assert_int_equal(q.https_sha256[31], 0x1f);
	assert_string_equal(q.raft_address, "127.0.0.3:9443");
	snprintf(body, sizeof body,
		 "{\"token\":\"2.x\",\"name\":\"n2\",\"raft_address\":"
		 "\"127.0.0.3\",\"admin_address\":\"127.0.0.3:8443\","
		 "\"https_sha256\":\"%s\"}",
		 fp);
	assert_int_equal(PARSE(admin_req_parse_join, body, &q), 400);
	assert_non_null(strstr(errmsg, "raft_address"));
	snprintf(body, sizeof body,
		 "{\"token\":\"2.x\",\"name\":\"n2\",\"raft_address\":"
		 "\"127.0.0.3:9443\",\"admin_address\":\"127.0.0.3:8443\","
		 "\"https_sha256\":\"sha256:1234\"}");
	assert_int_equal(PARSE(admin_req_parse_join, body, &q), 400);
	assert_non_null(strstr(errmsg, "https_sha256"));
}

static void test_node_add_keeps_only_the_host(void **state)
{
	struct admin_req_node_add q;

	(void)state;
	assert_int_equal(
	    PARSE(admin_req_parse_node_add,
		  "{\"name\":\"n2\",\"address\":\"127.0.0.3:8443\"}", &q),
	    0);
	assert_string_equal(q.host, "127.0.0.3");
	assert_int_equal(PARSE(admin_req_parse_node_add,
			       "{\"name\":\"n2\",\"address\":\"a b\"}", &q),
			 400);
}

static void test_transfer_body_may_be_empty(void **state)
{
	struct admin_req_transfer q;

	(void)state;
	assert_int_equal(
	    admin_req_parse_transfer("", 0, &q, errmsg, sizeof errmsg), 0);
	assert_string_equal(q.node, "");
	assert_int_equal(PARSE(admin_req_parse_transfer, "{}", &q), 0);
	assert_int_equal(
	    PARSE(admin_req_parse_transfer, "{\"node\":\"n3\"}", &q), 0);
	assert_string_equal(q.node, "n3");
}

static void test_param_value_must_be_printable(void **state)
{
	struct admin_req_param p;

	(void)state;
	assert_int_equal(
	    PARSE(admin_req_parse_param, "{\"value\":\"a\\nb\"}", &p), 400);
	assert_int_equal(PARSE(admin_req_parse_param, "{\"value\":\"30\"}", &p),
			 0);
	assert_string_equal(p.value, "30");
}

static void test_paths_split_into_safe_segments(void **state)
{
	char segs[5][ADMIN_NAME_MAX + 1];

	(void)state;
	assert_int_equal(admin_path_split("/v1/admins/bob/password", segs, 5),
			 4);
	assert_string_equal(segs[2], "bob");
	assert_int_equal(admin_path_split("/v1/nodes/", segs, 5), 2);
	assert_int_equal(admin_path_split("/", segs, 5), 0);
	assert_int_equal(admin_path_split("v1/nodes", segs, 5), -1);
	assert_int_equal(admin_path_split("/v1//nodes", segs, 5), -1);
	assert_int_equal(admin_path_split("/v1/nodes/%2e%2e", segs, 5), -1);
	assert_int_equal(admin_path_split("/a/b/c/d/e/f", segs, 5), -1);
	assert_int_equal(admin_path_split(NULL, segs, 5), -1);
}

static void test_query_consistent_and_limit(void **state)
{
	(void)state;
	assert_int_equal(admin_query_consistent("consistent=1"), 1);
	assert_int_equal(admin_query_consistent("a=b&consistent=true"), 1);
	assert_int_equal(admin_query_consistent("consistent=0"), 0);
	assert_int_equal(admin_query_consistent("inconsistent=1"), 0);
	assert_int_equal(admin_query_consistent(NULL), 0);
	assert_int_equal(admin_query_limit(NULL, 100, 1000), 100);
	assert_int_equal(admin_query_limit("limit=5", 100, 1000), 5);
	assert_int_equal(admin_query_limit("limit=50000", 100, 1000), 1000);
	assert_int_equal(admin_query_limit("limit=0", 100, 1000), 1);
	assert_int_equal(admin_query_limit("limit=-3", 100, 1000), -1);
	assert_int_equal(admin_query_limit("limit=", 100, 1000), -1);
	assert_int_equal(admin_query_limit("limit=99999999999999", 100, 1000),
			 -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_body_accepted),
	    cmocka_unit_test(test_init_body_missing_field_is_named),
	    cmocka_unit_test(test_wrong_types_are_refused),
	    cmocka_unit_test(test_malformed_json_gets_a_reason),
	    cmocka_unit_test(test_unknown_fields_are_refused),
	    cmocka_unit_test(test_oversize_body_is_413),
	    cmocka_unit_test(test_bad_names_are_refused),
	    cmocka_unit_test(test_password_length_bounds),
	    cmocka_unit_test(test_join_body_checks_addresses_and_fingerprint),
	    cmocka_unit_test(test_node_add_keeps_only_the_host),
	    cmocka_unit_test(test_transfer_body_may_be_empty),
	    cmocka_unit_test(test_param_value_must_be_printable),
	    cmocka_unit_test(test_paths_split_into_safe_segments),
	    cmocka_unit_test(test_query_consistent_and_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
