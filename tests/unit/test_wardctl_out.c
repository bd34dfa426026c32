/* Human output: aligned tables, the cluster status a person reads during an
 * incident, and the join command that must be pasteable as printed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tools/wardctl/cmd.h"
#include "tools/wardctl/out.h"

/* Calls RENDER on the JSON TEXT and returns what it printed (caller
 * frees). */
static char *render(void (*fn)(FILE *, const json_t *), const char *text)
{
	json_error_t jerr;
	json_t *doc = json_loads(text, 0, &jerr);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(doc);
	fn(f, doc);
	fclose(f);
	json_decref(doc);
	return buf;
}

static void test_table_aligns_columns_two_spaces_apart(void **state)
{
	static const char *const head[] = {"NAME", "ROLE", "X"};
	static const char *const r1[] = {"n1", "voter", "1"};
	static const char *const r2[] = {"longer-name", NULL, "22"};
	struct out_table *t = out_table_new(3, head);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(out_table_add(t, r1), 0);
	assert_int_equal(out_table_add(t, r2), 0);
	out_table_print(t, f);
	fclose(f);
	assert_string_equal(buf, "NAME         ROLE   X\n"
				 "n1           voter  1\n"
				 "longer-name  -      22\n");
	out_table_free(t);
	out_table_free(NULL);
	free(buf);
}

static void test_table_counts_utf8_characters_not_bytes(void **state)
{
	static const char *const head[] = {"A", "B"};
	static const char *const r1[] = {"\xc3\xa9t\xc3\xa9", "x"};
	struct out_table *t = out_table_new(2, head);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	out_table_add(t, r1);
	out_table_print(t, f);
	fclose(f);
	assert_string_equal(buf, "A    B\n\xc3\xa9t\xc3\xa9  x\n");
	out_table_free(t);
	free(buf);
}

static void test_control_characters_from_the_server_are_defused(void **state)
{
	char buf[32];

	assert_string_equal(out_clean(buf, sizeof buf, "a\x1b[2Jb\r\n\x7f"),
			    "a?[2Jb???");
	assert_string_equal(out_clean(buf, 4, "abcdef"), "abc");
}

static const char cluster_status_json[] =
    "{\"cluster\": {\"id\": \"6f1c2d3e\", \"name\": \"prod\"},"
    " \"leader\": {\"id\": 2, \"name\": \"n2\"},"
    " \"members\": ["
    "  {\"id\": 1, \"name\": \"n1\", \"raft_address\": \"127.0.0.2:7000\","
    "   \"admin_address\": \"127.0.0.2:8443\", \"role\": \"voter\","
    "   \"state\": \"running\", \"reachable\": true,"
    "   \"applied_index\": 1042, \"term\": 7, \"health\": \"ok\"},"
    "  {\"id\": 2, \"name\": \"n2\", \"raft_address\": \"127.0.0.3:7000\","
    "   \"admin_address\": \"127.0.0.3:8443\", \"role\": \"voter\","
    "   \"state\": \"running\", \"reachable\": true,"
    "   \"applied_index\": 1042, \"term\": 7, \"health\": \"ok\"},"
    "  {\"id\": 3, \"name\": \"n3\", \"raft_address\": \"127.0.0.4:7000\","
    "   \"admin_address\": \"127.0.0.4:8443\", \"role\": \"spare\","
    "   \"state\": null, \"reachable\": false, \"health\": \"unreachable\"}"
    " ]}";

static void test_cluster_status_marks_the_leader(void **state)
{
	char *out = render(cluster_status_render, cluster_status_json);

	assert_string_equal(
	    out, "Cluster  prod (id 6f1c2d3e)\n"
		 "Leader   n2 (id 2)\n"
		 "Term     7\n"
		 "\n"
		 "   NAME  ROLE   STATE    HEALTH       APPLIED  TERM  RAFT   "
		 "         ADMIN\n"
		 "   n1    voter  running  ok           1042     7     "
		 "127.0.0.2:7000  127.0.0.2:8443\n"
		 "*  n2    voter  running  ok           1042     7     "
		 "127.0.0.3:7000  127.0.0.3:8443\n"
		 "   n3    spare  -        unreachable  -        -     "
		 "127.0.0.4:7000  127.0.0.4:8443\n"
		 "(* leader)\n");
	free(out);
}

static void test_cluster_status_without_leader_or_fields(void **state)
{
	char *out = render(cluster_status_render,
			   "{\"members\": [{\"name\": 5}], \"leader\": null}");

	assert_non_null(strstr(out, "Cluster  - (id -)\nLeader   none\n"
				    "Term     -\n"));
	assert_non_null(strstr(out, "\n   5     -     -"));
	free(out);
	out = render(cluster_status_render, "{\"members\": \"oops\"}");
	assert_non_null(strstr(out, "NAME"));
	free(out);
}

static void test_node_add_prints_the_join_command(void **state)
{
	static const char answer[] =
	    "{\"id\": 4, \"name\": \"n4\", \"token\": \"4.c0ffee\","
	    " \"expires_ms\": 1700000000000, \"fingerprint\": \"sha256:"
	    "abababababababababababababababababababababababababababababababab"
	    "\", \"ca_fingerprint\": \"sha256:"
	    "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff"
	    "\"}";
	json_t *doc = json_loads(answer, 0, NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	node_add_render(f, doc, "https://127.0.0.2:8443", NULL);
	fclose(f);
	assert_string_equal(
	    buf,
	    "Node n4 (id 4) may join now.\n"
	    "  token           4.c0ffee\n"
	    "  expires         2023-11-14 22:13:20Z (the token works once)\n"
	    "  CA fingerprint  sha256:00112233445566778899aabbccddeeff00112233"
	    "445566778899aabbccddeeff\n"
	    "\n"
	    "On the new server, with CONFIG its wardd configuration (name "
	    "n4), run:\n"
	    "  WARD_JOIN_TOKEN=4.c0ffee wardd -c CONFIG --join "
	    "https://127.0.0.2:8443 --ca-fingerprint "
	    "sha256:00112233445566778899"
	    "aabbccddeeff00112233445566778899aabbccddeeff\n");
	free(buf);
	json_decref(doc);
}

static void test_node_add_pins_the_ca_whichever_member_answered(void **state)
{
	/* Relayed from the leader, whose certificate is not the one at URL:
	 * the CA issued both, so the CA pin holds. */
	static const char answer[] =
	    "{\"id\": 4, \"name\": \"n4\", \"token\": \"tok en\","
	    " \"expires_ms\": 0, \"fingerprint\": \"sha256:"
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	    "\", \"ca_fingerprint\": \"sha256:"
	    "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
	    "\"}";
	uint8_t seen[32];
	json_t *doc = json_loads(answer, 0, NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	memset(seen, 0xab, sizeof seen);
	node_add_render(f, doc, "https://127.0.0.3:8443", seen);
	fclose(f);
	assert_non_null(strstr(buf, "WARD_JOIN_TOKEN='tok en' wardd -c CONFIG "
				    "--join https://127.0.0.3:8443 "
				    "--ca-fingerprint sha256:cdcdcdcd"));
	assert_null(strstr(buf, "sha256:abab"));
	assert_null(strstr(buf, "--token"));
	assert_null(strstr(buf, "leader's certificate"));
	free(buf);
	json_decref(doc);
}

static void test_node_add_without_a_ca_pins_the_certificate_seen(void **state)
{
	/* A server without the CA's fingerprint in its answer: the leaf
	 * pin, of the certificate the new server will meet at URL. */
	static const char answer[] =
	    "{\"id\": 4, \"name\": \"n4\", \"token\": \"tok en\","
	    " \"expires_ms\": 0, \"fingerprint\": \"sha256:"
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	    "\"}";
	uint8_t seen[32];
	json_t *doc = json_loads(answer, 0, NULL);
	char *buf = NULL, *cmd;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	memset(seen, 0xab, sizeof seen);
	node_add_render(f, doc, "https://127.0.0.3:8443", seen);
	fclose(f);
	cmd = strstr(buf, "WARD_JOIN_TOKEN=");
	assert_non_null(cmd);
	assert_non_null(strstr(cmd, "'tok en' wardd -c CONFIG --join "
				    "https://127.0.0.3:8443 --fingerprint "
				    "sha256:abababab"));
	assert_null(strstr(buf, "--token"));
	assert_non_null(strstr(buf, "that is the leader's certificate"));
	free(buf);
	json_decref(doc);
}

static void test_node_list_abbreviates_fingerprints(void **state)
{
	char *out = render(
	    node_list_render,
	    "{\"nodes\": [{\"id\": 1, \"name\": \"n1\", \"raft_address\":"
	    " \"127.0.0.2:7000\", \"admin_address\": \"127.0.0.2:8443\","
	    " \"state\": \"voter\", \"roles\": [\"raft\", \"admin\"],"
	    " \"https_sha256\": \"sha256:00112233445566778899aabbccddeeff"
	    "00112233445566778899aabbccddeeff\"}, {\"id\": 2, \"name\":"
	    " \"n2\", \"raft_address\": \"127.0.0.3:7000\", \"admin_address\":"
	    " \"127.0.0.3:8443\", \"state\": \"voter\", \"roles\": [\"sip\"],"
	    " \"sip_host\": \"::1\", \"sip_port\": 5060, \"sip_tls_port\": 5061,"
	    " \"https_sha256\": \"\"}]}");

	assert_string_equal(out,
			    "NAME  ID  STATE  ROLES       RAFT          "
			    "  ADMIN           SIP              CERTIFICATE\n"
			    "n1    1   voter  raft,admin  127.0.0.2:7000  "
			    "127.0.0.2:8443  -                "
			    "sha256:0011223344556677...\n"
			    "n2    2   voter  sip         127.0.0.3:7000  "
			    "127.0.0.3:8443  [::1] 5060/5061  -\n");
	free(out);
}

static void test_capture_keys_show_each_key_and_the_node(void **state)
{
	char *out = render(
	    capture_keys_render,
	    "{\"device\": \"SEPA\", \"node\": \"n2\", \"entries\": "
	    "[{\"call_id\": \"c1\", \"stream\": 0, \"direction\": "
	    "\"A->B\", \"leg\": \"A\", \"sender\": \"phone\", "
	    "\"suite\": \"AES_CM_128_HMAC_SHA1_80\", \"inline\": "
	    "\"Zm9vYmFy\", \"ward_port\": 16384, \"peer\": "
	    "\"10.0.0.7:20000\"}, {\"call_id\": 7}]}");

	(void)state;
	assert_non_null(strstr(out, "Zm9vYmFy"));
	assert_non_null(strstr(out, "A->B"));
	assert_non_null(strstr(out, "16384"));
	assert_non_null(strstr(out, "2 key(s) on node n2."));
	free(out);
	out = render(capture_keys_render, "{\"entries\": \"oops\"}");
	assert_non_null(strstr(out, "(no keys logged on node -)"));
	free(out);
	out = render(capture_list_render,
		     "{\"captures\": [{\"device\": \"SEPA\", \"active\": "
		     "true, \"started_by\": \"admin\"}]}");
	assert_non_null(strstr(out, "SEPA"));
	assert_non_null(strstr(out, "open"));
	free(out);
}

static void test_admin_list_shows_times_in_utc(void **state)
{
	char *out = render(admin_list_render,
			   "{\"admins\": [{\"name\": \"admin\", \"created_ms\":"
			   " 0, \"changed_ms\": 1700000000999}]}");

	assert_string_equal(out, "NAME   CREATED               CHANGED\n"
				 "admin  1970-01-01 00:00:00Z  "
				 "2023-11-14 22:13:20Z\n");
	free(out);
}

static void test_list_table_counts_its_rows(void **state)
{
	static const struct out_column cols[] = {
	    {"NAME", "name", NULL},
	    {"WHEN", "at_ms", out_field_time},
	};
	json_t *doc = json_loads("{\"items\": [{\"name\": \"a\", \"at_ms\":"
				 " 0}, {\"name\": \"b\"}]}",
				 0, NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(out_table_list(f, doc, "items", cols, 2), 2);
	assert_int_equal(out_table_list(f, doc, "none", cols, 2), 0);
	assert_int_equal(out_table_list(f, doc, "items", cols, 0), 0);
	fclose(f);
	assert_string_equal(buf, "NAME  WHEN\n"
				 "a     1970-01-01 00:00:00Z\n"
				 "b     -\n"
				 "NAME  WHEN\n");
	free(buf);
	json_decref(doc);
	buf = render(call_list_render, "{\"calls\": []}");
	assert_non_null(strstr(buf, "(no calls)\n"));
	free(buf);
}

static void test_param_list_and_audit_tables(void **state)
{
	char *out = render(param_list_render,
			   "{\"params\": [{\"name\": \"sip.port\", \"value\":"
			   " \"5060\", \"default\": \"5060\", \"runtime\":"
			   " false, \"help\": \"SIP port\"}]}");

	assert_string_equal(out,
			    "NAME      VALUE  DEFAULT  RUNTIME  HELP\n"
			    "sip.port  5060   5060     no       SIP port\n");
	free(out);
	out = render(audit_render,
		     "{\"audit\": [{\"index\": 9, \"time_ms\": 1700000000000,"
		     " \"node\": \"n1\", \"actor\": \"admin\", \"action\":"
		     " \"param.set\", \"detail\": {\"name\": \"a\"}}]}");
	assert_string_equal(out, "INDEX  TIME                  NODE  ACTOR  "
				 "ACTION     DETAIL\n"
				 "9      2023-11-14 22:13:20Z  n1    admin  "
				 "param.set  {\"name\":\"a\"}\n");
	free(out);
}

static void test_status_of_an_uninitialised_node(void **state)
{
	char *out =
	    render(status_render, "{\"node\": {\"name\": \"n1\", \"state\":"
				  " \"uninitialized\", \"role\": \"none\"},"
				  " \"cluster\": null}");

	assert_non_null(strstr(out, "Node            n1\n"));
	assert_non_null(strstr(out, "State           uninitialized\n"));
	assert_non_null(strstr(out, "Leader          none\n"));
	assert_non_null(strstr(out, "wardctl cluster init"));
	free(out);
}

static void test_status_says_why_a_node_is_full(void **state)
{
	char *out = render(
	    status_render,
	    "{\"node\": {\"name\": \"n3\", \"state\": \"running\","
	    " \"health\": \"store-full\", \"health_detail\": \"no space to"
	    " write the store in /d/store (No space left on device), 0 bytes"
	    " free\", \"store\": {\"dir\": \"/d/store\", \"map_size\":"
	    " 4194304, \"map_grows\": 2, \"data_size\": 2097152,"
	    " \"free_bytes\": 0}}, \"cluster\": null}");

	assert_non_null(strstr(out, "Health          store-full: no space to "
				    "write the store in /d/store (No space "
				    "left on device), 0 bytes free\n"));
	assert_non_null(strstr(out, "Store           /d/store: data 2 MiB, map "
				    "4 MiB (grown 2 times), 0 MiB free\n"));
	free(out);
}

static void
test_cluster_status_gives_the_reason_of_a_failed_member(void **state)
{
	char *out =
	    render(cluster_status_render,
		   "{\"members\": [{\"name\": \"n1\", \"health\": \"failed\","
		   " \"health_detail\": \"applying entry 16: storage error\"},"
		   " {\"name\": \"n2\", \"health\": \"ok\", \"health_detail\":"
		   " \"\"}]}");

	assert_non_null(strstr(out, "(* leader)\nn1: failed: applying entry "
				    "16: storage error\n"));
	assert_null(strstr(out, "n2: ok"));
	free(out);
}

static void test_shell_words_are_quoted_only_when_needed(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	out_shell_word(f, "https://h:1/x");
	fputc(' ', f);
	out_shell_word(f, "it's $x");
	fputc(' ', f);
	out_shell_word(f, "");
	fclose(f);
	assert_string_equal(buf, "https://h:1/x 'it'\\''s $x' ''");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_aligns_columns_two_spaces_apart),
	    cmocka_unit_test(test_table_counts_utf8_characters_not_bytes),
	    cmocka_unit_test(
		test_control_characters_from_the_server_are_defused),
	    cmocka_unit_test(test_cluster_status_marks_the_leader),
	    cmocka_unit_test(test_cluster_status_without_leader_or_fields),
	    cmocka_unit_test(test_node_add_prints_the_join_command),
	    cmocka_unit_test(
		test_node_add_pins_the_ca_whichever_member_answered),
	    cmocka_unit_test(
		test_node_add_without_a_ca_pins_the_certificate_seen),
	    cmocka_unit_test(test_node_list_abbreviates_fingerprints),
	    cmocka_unit_test(test_admin_list_shows_times_in_utc),
	    cmocka_unit_test(test_capture_keys_show_each_key_and_the_node),
	    cmocka_unit_test(test_list_table_counts_its_rows),
	    cmocka_unit_test(test_param_list_and_audit_tables),
	    cmocka_unit_test(test_status_of_an_uninitialised_node),
	    cmocka_unit_test(test_shell_words_are_quoted_only_when_needed),
	    cmocka_unit_test(test_status_says_why_a_node_is_full),
	    cmocka_unit_test(
		test_cluster_status_gives_the_reason_of_a_failed_member),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
