/* The renderers and helpers of wardctl's certificate, token, CTL and
 * security commands, fed with answers as a hostile or broken server could
 * send them: missing fields, wrong types, control characters, huge
 * strings. Nothing may crash, and what is missing shows as "-". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "tools/wardctl/cmd_pki.h"

typedef void (*render_fn)(FILE *f, const json_t *doc);

static char *render(render_fn fn, const char *json)
{
	json_t *doc = json_loads(json, 0, NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(doc);
	assert_non_null(f);
	fn(f, doc);
	fclose(f);
	json_decref(doc);
	return buf;
}

static const render_fn all[] = {
    cert_list_render,  trust_list_render, cert_show_render,
    token_list_render, ctl_show_render,	  security_status_render,
};

static void test_renderers_survive_missing_and_mistyped_fields(void **s)
{
	static const char *const docs[] = {
	    "{}",
	    "{\"certs\": 5, \"trust\": \"x\", \"tokens\": {}, \"signers\": 1,"
	    " \"resets\": null, \"ctl\": [], \"signer\": 3}",
	    "{\"certs\": [1, null, {\"node\": 7, \"not_after\": \"soon\"}],"
	    " \"trust\": [{\"cluster_ca\": \"yes\"}], \"tokens\": [[]],"
	    " \"signers\": [{\"label\": {}}], \"resets\": [7],"
	    " \"ctl\": {\"signers\": \"many\"}, \"not_after\": -5}",
	};

	(void)s;
	for (size_t d = 0; d < sizeof docs / sizeof *docs; d++)
		for (size_t i = 0; i < sizeof all / sizeof *all; i++)
			free(render(all[i], docs[d]));
}

static void test_control_characters_never_reach_the_terminal(void **s)
{
	char *out;

	(void)s;
	out = render(cert_list_render,
		     "{\"certs\": [{\"node\": \"n\\u001b[2J\", \"subject\":"
		     " \"CN=\\u0007bell\", \"sha256\": \"AB\"}]}");
	assert_null(strchr(out, '\033'));
	assert_null(strchr(out, '\a'));
	free(out);
	out = render(ctl_show_render,
		     "{\"problem\": \"x\\u001by\", \"signers\": [{\"subject\":"
		     " \"\\u001b]0;title\\u0007\"}]}");
	assert_null(strchr(out, '\033'));
	free(out);
}

static void test_lists_shorten_fingerprints_and_mark_the_cluster_ca(void **s)
{
	static const char fp[] = "sha256:0123456789abcdef0123456789abcdef";
	char doc[512], *out;

	(void)s;
	snprintf(doc, sizeof doc,
		 "{\"trust\": [{\"name\": \"root\", \"category\": \"ca-root\","
		 " \"cluster_ca\": true, \"sha256\": \"%s\"}, {\"name\":"
		 " \"mic\", \"category\": \"mic-root\", \"sha256\": \"AB\"}],"
		 " \"certs\": [{\"node\": \"n1\", \"sha256\": \"%s\"}]}",
		 fp, fp);
	out = render(trust_list_render, doc);
	assert_non_null(strstr(out, "ca-root (cluster CA)"));
	assert_null(strstr(out, "mic-root (cluster CA)"));
	assert_non_null(strstr(out, "sha256:0123456789abcdef..."));
	assert_null(strstr(out, fp));
	assert_non_null(strstr(out, " AB "));
	free(out);
	out = render(cert_list_render, doc);
	assert_non_null(strstr(out, "sha256:0123456789abcdef..."));
	assert_null(strstr(out, fp));
	free(out);
}

static void test_missing_fields_print_as_a_dash(void **s)
{
	char *out;

	(void)s;
	out = render(cert_show_render, "{\"subject\": \"CN = x\"}");
	assert_non_null(strstr(out, "CN = x"));
	assert_non_null(strstr(out, "Valid until -"));
	free(out);
	out = render(security_status_render, "{\"mode\": \"mixed\"}");
	assert_non_null(strstr(out, "mixed"));
	assert_non_null(strstr(out, "none signed yet"));
	assert_non_null(strstr(out, "not possible: -"));
	free(out);
	out = render(token_list_render, "{\"tokens\": [{\"serial\": \"1A\"}]}");
	assert_non_null(strstr(out, "1A"));
	assert_non_null(strstr(out, "at least two"));
	free(out);
}

static void test_base64_decoding_refuses_what_is_not_base64(void **s)
{
	static const char *const bad[] = {
	    "", "A", "AB=", "A===", "AB=C", "!!!!", "AA AA", "AAA=A==="};
	uint8_t *out;
	size_t len;
	char *text;

	(void)s;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		assert_int_equal(pki_b64_decode(bad[i], &out, &len), -1);
		assert_null(out);
	}
	assert_int_equal(pki_b64_decode("AAE=", &out, &len), 0);
	assert_int_equal(len, 2);
	assert_int_equal(out[1], 1);
	free(out);
	text = pki_b64_encode((const uint8_t *)"\x00\x01\x02\x03", 4);
	assert_string_equal(text, "AAECAw==");
	assert_int_equal(pki_b64_decode(text, &out, &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(out, "\x00\x01\x02\x03", 4);
	free(out);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		test_renderers_survive_missing_and_mistyped_fields),
	    cmocka_unit_test(test_control_characters_never_reach_the_terminal),
	    cmocka_unit_test(
		test_lists_shorten_fingerprints_and_mark_the_cluster_ca),
	    cmocka_unit_test(test_missing_fields_print_as_a_dash),
	    cmocka_unit_test(test_base64_decoding_refuses_what_is_not_base64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
