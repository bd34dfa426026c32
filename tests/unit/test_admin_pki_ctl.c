/* End-to-end tests of the security-token, CTL and security-mode routes of
 * the admin API on one node (real store, real single-node Raft, its PKI as
 * cluster init makes it). The committed test keys stand in for tokens:
 * sast1 and sast2 are registered, sast3 never is, sast-4096 comes late. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "tests/unit/test_admin_harness.h"
#include "tests/unit/test_admin_pki_fixture.h"
#include "tests/unit/test_trustlist_fixture.h"
#include "trustlist/trustlist.h"

static json_t *req(const char *method, const char *path, const char *body,
		   long want)
{
	long status;
	json_t *j = call(method, path, body, ADMIN, &status);

	if (status != want)
		fail_msg("%s %s: %ld, not %ld (%s)", method, path, status, want,
			 str(j, "error"));
	return j;
}

static void two_tokens(void)
{
	assert_int_equal(apki_token_register("sast1", "tokA"), 201);
	assert_int_equal(apki_token_register("sast2", "tokB"), 201);
}

/* Uploads a CTL signed by SIGNER and checks the answer. */
static void sign_ok(const char *signer, int version)
{
	size_t len;
	uint8_t *file = apki_ctl_sign(signer, NULL, &len);
	json_t *ans = NULL;
	long status = apki_ctl_upload(file, len, &ans);

	if (status != 201)
		fail_msg("upload by %s: %ld (%s)", signer, status,
			 str(ans, "error"));
	assert_int_equal(json_integer_value(json_object_get(ans, "version")),
			 version);
	json_decref(ans);
	free(file);
}

static void test_tokens_register_list_and_refuse_duplicates(void **s)
{
	size_t len;
	uint8_t *der;
	char *b64, body[8192];
	json_t *j, *t;
	size_t i;
	int seen = 0;

	(void)s;
	/* PEM is taken too. */
	der = tlf_read(tlf_path("sast1.crt"), &len);
	j = json_pack("{s:s, s:s%}", "label", "tokA", "cert", (char *)der, len);
	b64 = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	j = req("POST", "/v1/tokens", b64, 201);
	assert_string_equal(str(j, "serial"), "5A510001");
	assert_string_equal(str(j, "label"), "tokA");
	assert_non_null(json_object_get(j, "note")); /* one is not enough */
	json_decref(j);
	free(b64);
	free(der);
	assert_int_equal(apki_token_register("sast2", "tokB"), 201);
	assert_int_equal(apki_token_register("sast2", "again"), 409);
	/* A key no CTL can be signed with. */
	assert_int_equal(apki_token_register("sast-3072", "tok3k"), 400);
	/* An EC token could never sign a CTL phones accept. */
	assert_int_equal(apki_token_register("sast-ec1", "tokE"), 400);
	j = req("POST", "/v1/tokens",
		"{\"label\":\"x\",\"cert\":\"not base64!\"}", 400);
	json_decref(j);
	j = req("POST", "/v1/tokens", "{\"label\":\"\",\"cert\":\"AAAA\"}",
		400);
	json_decref(j);

	j = req("GET", "/v1/tokens", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "tokens")), 2);
	json_array_foreach(json_object_get(j, "tokens"), i, t)
	{
		assert_false(json_is_true(json_object_get(t, "in_ctl")));
		seen += strcmp(str(t, "serial"), "5A510002") == 0 &&
			strcmp(str(t, "label"), "tokB") == 0;
	}
	assert_int_equal(seen, 1);
	json_decref(j);
	assert_true(audit_has("token.register", "serial=5A510002"));
	snprintf(body, sizeof body, "/v1/tokens/%s", "5A510002");
	json_decref(req("DELETE", body, NULL, 200));
	json_decref(req("DELETE", body, NULL, 404));
}

static void test_entries_list_tokens_node_certificates_and_the_ca(void **s)
{
	json_t *j, *e;
	size_t i;
	int sast = 0, ccm = 0, tftp = 0, https = 0, capf = 0;

	(void)s;
	two_tokens();
	j = req("GET", "/v1/ctl/entries", NULL, 200);
	json_array_foreach(json_object_get(j, "entries"), i, e)
	{
		switch (json_integer_value(json_object_get(e, "function"))) {
		case TRUSTLIST_FN_SAST:
			sast++;
			break;
		case TRUSTLIST_FN_CCM:
			ccm++;
			assert_string_equal(str(e, "node"), "n1");
			assert_string_equal(str(e, "role"), "callmanager");
			assert_string_equal(str(e, "ip"), "127.0.0.1");
			break;
		case TRUSTLIST_FN_TFTP:
			tftp++;
			break;
		case TRUSTLIST_FN_HTTPS:
			https++;
			break;
		case TRUSTLIST_FN_CAPF:
			capf++;
			assert_string_equal(str(e, "role"), "ca");
			break;
		default:
			fail_msg("unexpected function");
		}
		assert_true(strlen(str(e, "cert")) > 100);
	}
	assert_int_equal(sast, 2);
	assert_int_equal(ccm + tftp + https + capf, 4);
	assert_int_equal(json_integer_value(json_object_get(j, "next_version")),
			 1);
	json_decref(j);
}

static void test_first_ctl_signed_by_a_registered_token_is_stored(void **s)
{
	char ctype[64];
	size_t len, got;
	uint8_t *file, *raw, *decoded;
	json_t *ans, *j;
	long status;

	(void)s;
	json_decref(req("GET", "/v1/ctl", NULL, 404));
	two_tokens();
	file = apki_ctl_sign("sast1", NULL, &len);
	assert_int_equal(apki_ctl_upload(file, len, &ans), 201);
	assert_int_equal(json_integer_value(json_object_get(ans, "version")),
			 1);
	assert_string_equal(str(ans, "signer"), "5A510001");
	json_decref(ans);
	assert_true(audit_has("ctl.upload", "version=1 signer=5A510001"));

	j = req("GET", "/v1/ctl", NULL, 200);
	assert_true(json_is_true(json_object_get(j, "current")));
	assert_true(json_is_true(json_object_get(j, "verifies")));
	assert_int_equal(json_array_size(json_object_get(j, "signers")), 2);
	assert_string_equal(str(json_object_get(j, "signer"), "label"), "tokA");
	json_decref(j);
	/* The bytes, raw and in JSON, are the ones uploaded. */
	raw = apki_get_raw("/v1/ctl/file", &status, &got, ctype, sizeof ctype);
	assert_int_equal(status, 200);
	assert_string_equal(ctype, "application/octet-stream");
	assert_int_equal(got, len);
	assert_memory_equal(raw, file, len);
	free(raw);
	j = req("GET", "/v1/ctl/file?format=json", NULL, 200);
	decoded = apki_unb64(str(j, "file"), &got);
	assert_int_equal(got, len);
	assert_memory_equal(decoded, file, len);
	free(decoded);
	json_decref(j);
	j = req("GET", "/v1/tokens", NULL, 200);
	assert_true(json_is_true(json_object_get(
	    json_array_get(json_object_get(j, "tokens"), 0), "in_ctl")));
	json_decref(j);
	free(file);
}

static void test_ctl_signed_by_an_unknown_token_is_403_and_audited(void **s)
{
	static const char *const extra[] = {"sast3", NULL};
	size_t len;
	uint8_t *file;
	json_t *ans = NULL;

	(void)s;
	two_tokens();
	file = apki_ctl_sign("sast3", extra, &len);
	assert_int_equal(apki_ctl_upload(file, len, &ans), 403);
	assert_non_null(strstr(str(ans, "error"), "not a registered token"));
	json_decref(ans);
	assert_true(audit_has("ctl.refused", "SAST token 3"));
	/* An altered byte: the signature no longer holds. */
	file[len - 5] ^= 1;
	assert_int_equal(apki_ctl_upload(file, len, &ans), 400);
	assert_non_null(strstr(str(ans, "error"), "does not verify"));
	json_decref(ans);
	free(file);
	/* Not a CTL at all. */
	assert_int_equal(apki_ctl_upload((const uint8_t *)"hello", 5, NULL),
			 400);
	json_decref(req("POST", "/v1/ctl", "{\"file\":\"%%%\"}", 400));
	json_decref(req("GET", "/v1/ctl", NULL, 404));
}

static void test_stale_ctl_is_refused_naming_the_missing_entry(void **s)
{
	size_t len;
	uint8_t *file;
	json_t *ans = NULL, *j;

	(void)s;
	two_tokens();
	file = apki_ctl_sign("sast1", NULL, &len);
	assert_int_equal(apki_regenerate("n1", "callmanager"), 200);
	assert_int_equal(apki_ctl_upload(file, len, &ans), 409);
	assert_non_null(strstr(str(ans, "error"), "CCM n1 callmanager"));
	assert_non_null(strstr(str(ans, "error"), "not wanted: CCM"));
	json_decref(ans);
	free(file);
	sign_ok("sast1", 1);
	/* Another regeneration makes the stored one stale. */
	assert_int_equal(apki_regenerate("n1", "tftp"), 200);
	j = req("GET", "/v1/ctl", NULL, 200);
	assert_false(json_is_true(json_object_get(j, "current")));
	assert_non_null(strstr(str(j, "problem"), "TFTP n1 tftp"));
	json_decref(j);
}

static void test_continuity_next_ctl_needs_a_signer_the_current_lists(void **s)
{
	size_t len;
	uint8_t *file;
	json_t *ans = NULL;

	(void)s;
	two_tokens();
	sign_ok("sast1", 1);
	/* Registered after version 1: listed from now on, yet version 1
	 * does not list it, so it cannot sign version 2. */
	assert_int_equal(apki_token_register("sast-4096", "tokF"), 201);
	file = apki_ctl_sign("sast-4096", NULL, &len);
	assert_int_equal(apki_ctl_upload(file, len, &ans), 403);
	assert_non_null(strstr(str(ans, "error"), "not a SAST of the CTL"));
	json_decref(ans);
	free(file);
	/* The other token of version 1 can. */
	sign_ok("sast2", 2);
	/* And version 2 lists the late one, which may sign version 3. */
	assert_int_equal(apki_regenerate("n1", "https"), 200);
	sign_ok("sast-4096", 3);
}

static void test_mixed_mode_needs_tokens_and_a_current_ctl(void **s)
{
	const char *mixed = "{\"mode\":\"mixed\"}";
	json_t *j, *r;
	size_t i;
	int device = 0, sip = 0;

	(void)s;
	j = req("PUT", "/v1/security/mode", mixed, 409);
	assert_non_null(strstr(str(j, "error"), "at least 2"));
	json_decref(j);
	two_tokens();
	j = req("PUT", "/v1/security/mode", mixed, 409);
	assert_non_null(strstr(str(j, "error"), "signed CTL"));
	json_decref(j);
	sign_ok("sast1", 1);
	assert_int_equal(apki_regenerate("n1", "callmanager"), 200);
	j = req("PUT", "/v1/security/mode", mixed, 409);
	assert_non_null(strstr(str(j, "error"), "not current"));
	json_decref(j);
	sign_ok("sast2", 2);

	j = req("PUT", "/v1/security/mode", mixed, 200);
	assert_true(json_is_true(json_object_get(j, "changed")));
	assert_string_equal(str(j, "previous"), "non-secure");
	assert_int_equal(json_integer_value(json_object_get(j, "resets")), 4);
	json_decref(j);
	assert_true(audit_has("security.mode", "mixed; resets=4"));
	j = req("PUT", "/v1/security/mode", mixed, 200);
	assert_false(json_is_true(json_object_get(j, "changed")));
	json_decref(j);

	j = req("GET", "/v1/security", NULL, 200);
	assert_string_equal(str(j, "mode"), "mixed");
	assert_true(json_is_true(json_object_get(j, "mixed_ready")));
	json_array_foreach(json_object_get(j, "resets"), i, r)
	{
		assert_non_null(strstr(str(r, "reason"), "mixed"));
		device += strcmp(str(r, "kind"), "device") == 0 &&
			  strcmp(str(r, "name"), "*") == 0;
		sip += strcmp(str(r, "name"), "n1/sip") == 0;
	}
	assert_int_equal(device, 1);
	assert_int_equal(sip, 1);
	json_decref(j);
}

static void test_tokens_that_sign_the_ctl_stay_while_mixed(void **s)
{
	json_t *j;

	(void)s;
	two_tokens();
	sign_ok("sast1", 1);
	json_decref(
	    req("PUT", "/v1/security/mode", "{\"mode\":\"mixed\"}", 200));
	j = req("DELETE", "/v1/tokens/5A510001", NULL, 409);
	assert_non_null(strstr(str(j, "error"), "mixed mode"));
	json_decref(j);
	j = req("PUT", "/v1/security/mode", "{\"mode\":\"non-secure\"}", 200);
	assert_int_equal(json_integer_value(json_object_get(j, "resets")), 4);
	json_decref(j);
	json_decref(req("DELETE", "/v1/tokens/5A510001", NULL, 200));
	/* The last one the CTL lists would leave no one to sign the next. */
	j = req("DELETE", "/v1/tokens/5A510002", NULL, 409);
	assert_non_null(strstr(str(j, "error"), "last registered token"));
	json_decref(j);
	assert_true(audit_has("token.remove", "serial=5A510001"));
}

static void test_bodies_of_the_security_routes_are_checked(void **s)
{
	char *big;
	long status;
	json_t *j;

	(void)s;
	json_decref(
	    req("PUT", "/v1/security/mode", "{\"mode\":\"secure\"}", 400));
	json_decref(req("PUT", "/v1/security/mode", "{}", 400));
	json_decref(req("PUT", "/v1/security/mode",
			"{\"mode\":\"mixed\",\"x\":\"y\"}", 400));
	json_decref(req("POST", "/v1/ctl", "{\"file\":1}", 400));
	/* Larger than any CTL may be. */
	big = malloc(100 * 1024);
	assert_non_null(big);
	memcpy(big, "{\"file\":\"", 9);
	memset(big + 9, 'A', 96 * 1024);
	strcpy(big + 9 + 96 * 1024, "\"}");
	j = call("POST", "/v1/ctl", big, ADMIN, &status);
	assert_int_equal(status, 413);
	json_decref(j);
	free(big);
	json_decref(req("GET", "/v1/ctl/file?format=pem", NULL, 400));
	json_decref(req("GET", "/v1/ctl/file", NULL, 404));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, apki_setup, apki_teardown)
	    T(test_tokens_register_list_and_refuse_duplicates),
	    T(test_entries_list_tokens_node_certificates_and_the_ca),
	    T(test_first_ctl_signed_by_a_registered_token_is_stored),
	    T(test_ctl_signed_by_an_unknown_token_is_403_and_audited),
	    T(test_stale_ctl_is_refused_naming_the_missing_entry),
	    T(test_continuity_next_ctl_needs_a_signer_the_current_lists),
	    T(test_mixed_mode_needs_tokens_and_a_current_ctl),
	    T(test_tokens_that_sign_the_ctl_stay_while_mixed),
	    T(test_bodies_of_the_security_routes_are_checked),
#undef T
	};

	apki_global_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
