/* test_store_params: the declared cluster parameters — bounds, canonical
 * forms, defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/store.h"

/* test_store_fixture.c */
char *fixture_tmpdir(void);
void fixture_rmdir(char *dir);
struct store *fixture_store_open(const char *dir);

/* Canonical form of VALUE for NAME, or NULL if refused. */
static const char *check(const char *name, const char *value)
{
	static char out[STORE_TEXT_MAX];
	char err[128] = "";
	const struct store_param_def *def = store_param_find(name);
	int rc;

	assert_non_null(def);
	rc = store_param_check(def, value, out, sizeof out, err, sizeof err);
	if (rc) {
		assert_int_equal(rc, STORE_EINVAL);
		assert_true(strstr(err, name) != NULL); /* says which */
		return NULL;
	}
	return out;
}

static void test_table_declares_the_enterprise_parameters(void **state)
{
	size_t n;
	const struct store_param_def *defs = store_param_defs(&n);
	const struct store_param_def *d;
	char out[64];

	assert_true(n >= 6);
	for (size_t i = 0; i < n; i++) {
		/* Every default passes its own check, in canonical form. */
		assert_int_equal(store_param_check(&defs[i], defs[i].def, out,
						   sizeof out, NULL, 0),
				 0);
		assert_string_equal(out, defs[i].def);
		assert_non_null(defs[i].help);
		assert_ptr_equal(store_param_find(defs[i].name), &defs[i]);
	}
	d = store_param_find("digest_nonce_validity_s");
	assert_int_equal(d->type, STORE_PARAM_INT);
	assert_int_equal(d->min, 30);
	assert_int_equal(d->max, 86400);
	assert_string_equal(d->def, "600");
	assert_true(d->runtime);
	d = store_param_find("cert_key_type");
	assert_int_equal(d->type, STORE_PARAM_ENUM);
	assert_false(d->runtime);
	assert_null(store_param_find("cluster_name"));
	assert_null(store_param_find(NULL));
}

static void test_integers_are_bounded_and_canonical(void **state)
{
	assert_string_equal(check("sip_keepalive_s", "10"), "10");
	assert_string_equal(check("sip_keepalive_s", "3600"), "3600");
	assert_string_equal(check("sip_keepalive_s", "0060"), "60");
	assert_string_equal(check("sip_keepalive_s", "+60"), "60");
	assert_null(check("sip_keepalive_s", "9"));
	assert_null(check("sip_keepalive_s", "3601"));
	assert_null(check("sip_keepalive_s", "-60"));
	assert_null(check("sip_keepalive_s", ""));
	assert_null(check("sip_keepalive_s", " 60"));
	assert_null(check("sip_keepalive_s", "60 "));
	assert_null(check("sip_keepalive_s", "6e1"));
	assert_null(check("sip_keepalive_s", "0x3c"));
	assert_null(check("sip_keepalive_s", "99999999999999999999999"));
	assert_null(check("audit_retention_days", "0"));
	assert_string_equal(check("audit_retention_days", "3650"), "3650");
	assert_null(check("digest_nonce_validity_s", "29"));
	assert_string_equal(check("digest_nonce_validity_s", "86400"), "86400");
}

static void test_booleans_accept_common_spellings(void **state)
{
	static const char *const yes[] = {"true", "TRUE", "yes", "on", "1"};
	static const char *const no[] = {"false", "No", "off", "0"};

	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
		assert_string_equal(check("tftp_encrypted_config", yes[i]),
				    "true");
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		assert_string_equal(check("tftp_encrypted_config", no[i]),
				    "false");
	assert_null(check("tftp_encrypted_config", "2"));
	assert_null(check("tftp_encrypted_config", "truee"));
	assert_null(check("tftp_encrypted_config", ""));
}

static void test_enums_accept_only_their_choices(void **state)
{
	assert_string_equal(check("cert_key_type", "ECDSA-P256"), "ecdsa-p256");
	assert_string_equal(check("cert_key_type", "rsa2048"), "rsa2048");
	assert_null(check("cert_key_type", "rsa4096"));
	assert_string_equal(check("capf_key_size", "1024"), "1024");
	assert_null(check("capf_key_size", "4096"));
	assert_null(check("capf_key_size", "01024"));
}

static void test_check_reports_a_short_output_buffer(void **state)
{
	const struct store_param_def *d = store_param_find("cert_key_type");
	char out[4];

	assert_int_equal(
	    store_param_check(d, "ecdsa-p256", out, sizeof out, NULL, 0),
	    STORE_ETOOBIG);
	assert_int_equal(store_param_check(d, NULL, out, sizeof out, NULL, 0),
			 STORE_EINVAL);
}

static void test_get_gives_the_default_until_set(void **state)
{
	char *dir = fixture_tmpdir();
	struct store *s = fixture_store_open(dir);
	struct store_read *r;
	struct store_cmd *c;
	char out[64];
	void *buf;
	size_t len;
	int rc;
	unsigned n;

	assert_non_null(s);
	assert_int_equal(store_read_begin(s, &r), 0);
	assert_int_equal(store_param_get(r, "sip_keepalive_s", out, sizeof out),
			 0);
	assert_string_equal(out, "120");
	assert_int_equal(store_param_get(r, "nope", out, sizeof out),
			 STORE_ENOTFOUND);
	store_read_end(r);

	assert_int_equal(store_cmd_new(&c, 1, 1, "admin"), 0);
	assert_int_equal(store_cmd_put_param(c, "sip_keepalive_s", "0030"), 0);
	assert_int_equal(store_cmd_put_param(c, "tftp_encrypted_config", "ON"),
			 0);
	/* A raw value that no longer passes: reads as the default. */
	assert_int_equal(store_cmd_op(c, STORE_OP_PUT, STORE_T_PARAMS,
				      "audit_retention_days", 20, "99999", 5),
			 0);
	assert_int_equal(store_cmd_finish(c, &buf, &len), 0);
	store_cmd_free(c);
	assert_int_equal(store_apply(s, 1, buf, len, &rc, 1, &n), 0);
	assert_int_equal(rc, 0);
	free(buf);

	assert_int_equal(store_read_begin(s, &r), 0);
	assert_int_equal(store_param_get(r, "sip_keepalive_s", out, sizeof out),
			 0);
	assert_string_equal(out, "30");
	assert_int_equal(
	    store_param_get(r, "tftp_encrypted_config", out, sizeof out), 0);
	assert_string_equal(out, "true");
	assert_int_equal(
	    store_param_get(r, "audit_retention_days", out, sizeof out), 0);
	assert_string_equal(out, "365");
	assert_int_equal(store_param_get(r, "cert_key_type", out, sizeof out),
			 0);
	assert_string_equal(out, "rsa2048");
	store_read_end(r);
	store_close(s);
	fixture_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_declares_the_enterprise_parameters),
	    cmocka_unit_test(test_integers_are_bounded_and_canonical),
	    cmocka_unit_test(test_booleans_accept_common_spellings),
	    cmocka_unit_test(test_enums_accept_only_their_choices),
	    cmocka_unit_test(test_check_reports_a_short_output_buffer),
	    cmocka_unit_test(test_get_gives_the_default_until_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
