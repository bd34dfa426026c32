/* wardctl's certificate, token, CTL and security-mode commands end to end:
 * wardctl in this process against a real node (store, single-node Raft,
 * the admin API over HTTPS, its PKI as cluster init makes it), with
 * SoftHSM2 tokens in a temporary directory of their own: tokA and tokB get
 * registered, tokC never does. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "node/admin/admin.h"
#include "tests/unit/test_admin_harness.h"
#include "tests/unit/test_admin_pki_fixture.h"
#include "tests/unit/test_trustlist_fixture.h"
#include "tests/unit/test_wardctl_runner.h"
#include "tools/wardctl/pin.h"
#include "tools/wardctl/wardctl.h"

#define MODULE TLF_SOFTHSM_MODULE

extern char **environ;

static char *hsm; /* the tokens' directory */
static char pin_file[512], bad_pin_file[512];

/* ---- tokens ------------------------------------------------------------ */

static int group_setup(void **state)
{
	(void)state;
	apki_global_init();
	hsm = tlf_tmpdir();
	snprintf(pin_file, sizeof pin_file, "%s/pin", hsm);
	snprintf(bad_pin_file, sizeof bad_pin_file, "%s/bad-pin", hsm);
	tlf_write(pin_file, "1234\n", 5);
	tlf_write(bad_pin_file, "9999\n", 5);
	if (tlf_softhsm_init(hsm) ||
	    tlf_token_make(hsm, "tokA", "sast1", "01") ||
	    tlf_token_make(hsm, "tokB", "sast2", "02") ||
	    tlf_token_make(hsm, "tokC", "sast3", "03")) {
		fprintf(stderr, "token setup failed; see %s/tools.log\n", hsm);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tlf_rmdir(hsm);
	return 0;
}

/* ---- wardctl ----------------------------------------------------------- */

static int test_setup(void **state)
{
	uint8_t raw[32];

	apki_setup(state);
	setenv("WARD_USER", "root", 1);
	setenv("WARD_PASSWORD", "root-password-1", 1);
	unsetenv("WARD_TOKEN_PIN");
	admin_fingerprint(N1->admin, raw);
	wr_target(N1->url, raw);
	return 0;
}

static int test_teardown(void **state)
{
	unsetenv("WARD_TOKEN_PIN");
	return apki_teardown(state);
}

static void register_ab(void)
{
	wr_expect(wr_run("token", "register", "--module", MODULE, "--token",
			 "tokA", NULL),
		  0);
	wr_expect(wr_run("token", "register", "--module", MODULE, "--token",
			 "tokB", NULL),
		  0);
}

static void sign(const char *label)
{
	wr_expect(wr_run("ctl", "sign", "--module", MODULE, "--token", label,
			 "--pin-file", pin_file, NULL),
		  0);
}

/* ---- certificates ------------------------------------------------------ */

static void test_cert_list_show_export_and_fingerprint(void **s)
{
	char path[256], sha256[128];
	uint8_t *pem, *der, *file;
	size_t pem_len, der_len, len;
	long status;
	char ctype[64];
	json_t *j;

	(void)s;
	wr_expect(wr_run("cert", "list", NULL), 0);
	assert_non_null(strstr(wr_out, "cluster"));
	assert_non_null(strstr(wr_out, "callmanager"));
	wr_expect(wr_run("cert", "show", "n1", "callmanager", NULL), 0);
	assert_non_null(strstr(wr_out, "SHA-256"));
	assert_non_null(strstr(wr_out, "CN = n1"));

	pem = apki_get_raw("/v1/certs/cluster/ca?format=pem", &status, &pem_len,
			   ctype, sizeof ctype);
	der = apki_get_raw("/v1/certs/cluster/ca?format=der", &status, &der_len,
			   ctype, sizeof ctype);
	snprintf(path, sizeof path, "%s/ca.pem", N1->dir);
	wr_expect(wr_run("cert", "export", "cluster", "ca", "-o", path, NULL),
		  0);
	file = tlf_read(path, &len);
	assert_int_equal(len, pem_len);
	assert_memory_equal(file, pem, len);
	free(file);
	snprintf(path, sizeof path, "%s/ca.der", N1->dir);
	wr_expect(wr_run("cert", "export", "--der", "cluster", "ca", "-o", path,
			 NULL),
		  0);
	file = tlf_read(path, &len);
	assert_int_equal(len, der_len);
	assert_memory_equal(file, der, len);
	free(file);
	free(pem);
	free(der);

	j = call("GET", "/v1/certs/n1/https", NULL, ADMIN, &status);
	snprintf(sha256, sizeof sha256, "%s", str(j, "sha256"));
	json_decref(j);
	wr_expect(wr_run("cert", "fingerprint", "n1", "https", NULL), 0);
	assert_non_null(strstr(wr_out, sha256));
	wr_expect(wr_run("cert", "show", "n1", "nothing", NULL),
		  WARDCTL_EREFUSED);
	wr_expect(wr_run("cert", "show", NULL), WARDCTL_EUSAGE);
}

static void test_cert_import_list_and_delete_in_the_trust_store(void **s)
{
	char der_path[256], name[32];
	struct tlf_cert c;
	json_t *j;

	(void)s;
	wr_expect(wr_run("cert", "import", "--category", "mic-root",
			 tlf_path("sast1.crt"), NULL),
		  0);
	assert_non_null(strstr(wr_out, "Imported as "));
	tlf_cert_load("ccm1", &c);
	snprintf(der_path, sizeof der_path, "%s/ccm1.der", N1->dir);
	tlf_write(der_path, c.der, c.len);
	tlf_cert_free(&c);
	wr_expect(wr_run("--json", "cert", "import", "--category", "trunk-peer",
			 der_path, NULL),
		  0);
	j = json_loads(wr_out, 0, NULL);
	assert_non_null(j);
	snprintf(name, sizeof name, "%s", str(j, "name"));
	json_decref(j);
	/* A private key is refused, with what it is. */
	wr_expect(wr_run("cert", "import", "--category", "ca-root",
			 tlf_path("sast1.key"), NULL),
		  WARDCTL_EREFUSED);
	assert_non_null(strstr(wr_err, "private key"));
	wr_expect(wr_run("cert", "import", tlf_path("sast1.crt"), NULL),
		  WARDCTL_EUSAGE);

	wr_expect(wr_run("cert", "list", "--trust", NULL), 0);
	assert_non_null(strstr(wr_out, name));
	assert_non_null(strstr(wr_out, "(cluster CA)"));
	wr_expect(wr_run("cert", "show", name, NULL), 0);
	assert_non_null(strstr(wr_out, "trunk-peer"));
	wr_expect(wr_run("cert", "delete", name, NULL), 0);
	wr_expect(wr_run("cert", "delete", name, NULL), WARDCTL_EREFUSED);
}

static void test_cert_regenerate_prints_the_new_generation(void **s)
{
	(void)s;
	wr_expect(wr_run("cert", "regenerate", "n1", "tftp", NULL), 0);
	assert_non_null(strstr(wr_out, "generation 2"));
	wr_expect(wr_run("cert", "regenerate", "cluster", "ca", NULL),
		  WARDCTL_EREFUSED);
}

/* ---- tokens and the CTL ------------------------------------------------ */

static void test_tokens_sign_a_ctl_that_verifies_and_exports(void **s)
{
	char path[256], ctype[64];
	uint8_t *file, *raw;
	size_t len, raw_len;
	long status;

	(void)s;
	register_ab();
	assert_non_null(strstr(wr_out, "serial 5A510002"));
	wr_expect(wr_run("token", "list", NULL), 0);
	assert_non_null(strstr(wr_out, "tokA"));
	assert_non_null(strstr(wr_out, "5A510002"));
	wr_expect(wr_run("ctl", "show", NULL), WARDCTL_EREFUSED);
	sign("tokA");
	assert_non_null(strstr(wr_out, "CTL version 1 signed by token tokA"));
	wr_expect(wr_run("ctl", "show", NULL), 0);
	assert_non_null(strstr(wr_out, "Current   yes"));
	wr_expect(wr_run("ctl", "verify", NULL), 0);
	assert_non_null(strstr(wr_out, "signature OK"));
	assert_non_null(strstr(wr_out, "current: yes"));
	snprintf(path, sizeof path, "%s/CTLFile.tlv", N1->dir);
	wr_expect(wr_run("ctl", "export", "-o", path, NULL), 0);
	file = tlf_read(path, &len);
	raw = apki_get_raw("/v1/ctl/file", &status, &raw_len, ctype,
			   sizeof ctype);
	assert_int_equal(len, raw_len);
	assert_memory_equal(file, raw, len);
	free(file);
	free(raw);

	/* A regenerated certificate makes it stale; tokB signs the next. */
	wr_expect(wr_run("cert", "regenerate", "n1", "callmanager", NULL), 0);
	wr_expect(wr_run("ctl", "show", NULL), 0);
	assert_non_null(strstr(wr_out, "Current   no"));
	assert_non_null(strstr(wr_out, "n1 callmanager"));
	setenv("WARD_TOKEN_PIN", "1234", 1);
	wr_expect(
	    wr_run("ctl", "sign", "--module", MODULE, "--token", "tokB", NULL),
	    0);
	assert_non_null(strstr(wr_out, "CTL version 2"));
	wr_expect(wr_run("ctl", "verify", NULL), 0);
	assert_non_null(strstr(wr_out, "current: yes"));
}

static void test_ctl_sign_by_an_unregistered_token_is_refused(void **s)
{
	(void)s;
	register_ab();
	wr_expect(wr_run("ctl", "sign", "--module", MODULE, "--token", "tokC",
			 "--pin-file", pin_file, NULL),
		  WARDCTL_EREFUSED);
	assert_non_null(strstr(wr_err, "tokC is not registered"));
	assert_non_null(strstr(wr_err, "signer not allowed"));
	assert_true(audit_has("ctl.refused", "SAST token 3"));
}

static void test_ctl_sign_pin_comes_from_a_file_env_or_prompt_only(void **s)
{
	(void)s;
	register_ab();
	wr_expect(wr_run("ctl", "sign", "--module", MODULE, "--token", "tokA",
			 "--pin-file", bad_pin_file, NULL),
		  WARDCTL_EUSAGE);
	assert_non_null(strstr(wr_err, "PIN"));
	assert_null(strstr(wr_err, "9999"));
	/* No file, no environment, no terminal. */
	wr_expect(
	    wr_run("ctl", "sign", "--module", MODULE, "--token", "tokA", NULL),
	    WARDCTL_EUSAGE);
	/* Never on the command line, and never echoed. */
	wr_expect(wr_run("ctl", "sign", "--module", MODULE, "--token", "tokA",
			 "--pin=4321", NULL),
		  WARDCTL_EUSAGE);
	assert_null(strstr(wr_err, "4321"));
	wr_expect(wr_run("ctl", "show", NULL),
		  WARDCTL_EREFUSED); /* none stored */
	wr_expect(wr_run("ctl", "sign", "--module", "/nonexistent.so",
			 "--token", "tokA", "--pin-file", pin_file, NULL),
		  WARDCTL_EUSAGE);
}

static void test_security_mode_and_status(void **s)
{
	json_t *j;

	(void)s;
	wr_expect(wr_run("security", "mode", "mixed", NULL), WARDCTL_EREFUSED);
	assert_non_null(strstr(wr_err, "at least 2"));
	register_ab();
	wr_expect(wr_run("security", "status", NULL), 0);
	assert_non_null(strstr(wr_out, "none signed yet"));
	assert_non_null(strstr(wr_out, "not possible"));
	sign("tokA");
	wr_expect(wr_run("security", "mode", "mixed", NULL), 0);
	assert_non_null(strstr(wr_out, "mixed (was non-secure)"));
	assert_non_null(strstr(wr_out, "4 resets"));
	wr_expect(wr_run("security", "mode", "mixed", NULL), 0);
	assert_non_null(strstr(wr_out, "already"));
	wr_expect(wr_run("security", "status", NULL), 0);
	assert_non_null(strstr(wr_out, "Pending resets: 4"));
	wr_expect(wr_run("--json", "security", "status", NULL), 0);
	j = json_loads(wr_out, 0, NULL);
	assert_non_null(j);
	assert_string_equal(str(j, "mode"), "mixed");
	json_decref(j);
	/* tokA signs the current CTL: it stays while mixed. */
	wr_expect(wr_run("token", "remove", "5A510001", NULL),
		  WARDCTL_EREFUSED);
	wr_expect(wr_run("security", "mode", "secure", NULL), WARDCTL_EUSAGE);
	wr_expect(wr_run("security", "mode", "non-secure", NULL), 0);
	wr_expect(wr_run("token", "remove", "5A510001", NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, test_setup, test_teardown)
	    T(test_cert_list_show_export_and_fingerprint),
	    T(test_cert_import_list_and_delete_in_the_trust_store),
	    T(test_cert_regenerate_prints_the_new_generation),
	    T(test_tokens_sign_a_ctl_that_verifies_and_exports),
	    T(test_ctl_sign_by_an_unregistered_token_is_refused),
	    T(test_ctl_sign_pin_comes_from_a_file_env_or_prompt_only),
	    T(test_security_mode_and_status),
#undef T
	};
	int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);

	free(wr_out);
	free(wr_err);
	return rc;
}
