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

static struct wardctl ctx;
static char *out_buf, *err_buf;
static size_t out_len, err_len;
static char url[64], fp[PIN_TEXT_LEN];

static int no_prompt(void *arg, const char *prompt, char *buf, size_t cap)
{
	(void)arg;
	(void)prompt;
	(void)buf;
	(void)cap;
	errno = ENXIO;
	return -1;
}

static int test_setup(void **state)
{
	uint8_t raw[32];

	apki_setup(state);
	setenv("WARD_USER", "root", 1);
	setenv("WARD_PASSWORD", "root-password-1", 1);
	unsetenv("WARD_TOKEN_PIN");
	admin_fingerprint(N1->admin, raw);
	pin_format(raw, fp);
	snprintf(url, sizeof url, "%s", N1->url);
	return 0;
}

static int test_teardown(void **state)
{
	unsetenv("WARD_TOKEN_PIN");
	return apki_teardown(state);
}

/* Runs "wardctl --url N1 --fingerprint FP WORDS..." (NULL-terminated);
 * its output in out_buf / err_buf until the next run. */
static int run(const char *first, ...)
{
	char *argv[32] = {"wardctl", "--url", url, "--fingerprint", fp};
	int argc = 5, rc;
	va_list ap;

	free(out_buf);
	free(err_buf);
	out_buf = err_buf = NULL;
	wardctl_init(&ctx);
	ctx.out = open_memstream(&out_buf, &out_len);
	ctx.err = open_memstream(&err_buf, &err_len);
	ctx.prompt = no_prompt;
	argv[argc++] = (char *)first;
	va_start(ap, first);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	rc = wardctl_run(&ctx, argc, argv);
	fclose(ctx.out);
	fclose(ctx.err);
	wardctl_close(&ctx);
	return rc;
}

static void expect(int rc, int want)
{
	if (rc != want)
		fail_msg("exit %d, not %d; out: %s; err: %s", rc, want,
			 out_buf ? out_buf : "", err_buf ? err_buf : "");
}

static void register_ab(void)
{
	expect(run("token", "register", "--module", MODULE, "--token", "tokA",
		   NULL),
	       0);
	expect(run("token", "register", "--module", MODULE, "--token", "tokB",
		   NULL),
	       0);
}

static void sign(const char *label)
{
	expect(run("ctl", "sign", "--module", MODULE, "--token", label,
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
	expect(run("cert", "list", NULL), 0);
	assert_non_null(strstr(out_buf, "cluster"));
	assert_non_null(strstr(out_buf, "callmanager"));
	expect(run("cert", "show", "n1", "callmanager", NULL), 0);
	assert_non_null(strstr(out_buf, "SHA-256"));
	assert_non_null(strstr(out_buf, "CN = n1"));

	pem = apki_get_raw("/v1/certs/cluster/ca?format=pem", &status, &pem_len,
			   ctype, sizeof ctype);
	der = apki_get_raw("/v1/certs/cluster/ca?format=der", &status, &der_len,
			   ctype, sizeof ctype);
	snprintf(path, sizeof path, "%s/ca.pem", N1->dir);
	expect(run("cert", "export", "cluster", "ca", "-o", path, NULL), 0);
	file = tlf_read(path, &len);
	assert_int_equal(len, pem_len);
	assert_memory_equal(file, pem, len);
	free(file);
	snprintf(path, sizeof path, "%s/ca.der", N1->dir);
	expect(
	    run("cert", "export", "--der", "cluster", "ca", "-o", path, NULL),
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
	expect(run("cert", "fingerprint", "n1", "https", NULL), 0);
	assert_non_null(strstr(out_buf, sha256));
	expect(run("cert", "show", "n1", "nothing", NULL), WARDCTL_EREFUSED);
	expect(run("cert", "show", NULL), WARDCTL_EUSAGE);
}

static void test_cert_import_list_and_delete_in_the_trust_store(void **s)
{
	char der_path[256], name[32];
	struct tlf_cert c;
	json_t *j;

	(void)s;
	expect(run("cert", "import", "--category", "mic-root",
		   tlf_path("sast1.crt"), NULL),
	       0);
	assert_non_null(strstr(out_buf, "Imported as "));
	tlf_cert_load("ccm1", &c);
	snprintf(der_path, sizeof der_path, "%s/ccm1.der", N1->dir);
	tlf_write(der_path, c.der, c.len);
	tlf_cert_free(&c);
	expect(run("--json", "cert", "import", "--category", "trunk-peer",
		   der_path, NULL),
	       0);
	j = json_loads(out_buf, 0, NULL);
	assert_non_null(j);
	snprintf(name, sizeof name, "%s", str(j, "name"));
	json_decref(j);
	/* A private key is refused, with what it is. */
	expect(run("cert", "import", "--category", "ca-root",
		   tlf_path("sast1.key"), NULL),
	       WARDCTL_EREFUSED);
	assert_non_null(strstr(err_buf, "private key"));
	expect(run("cert", "import", tlf_path("sast1.crt"), NULL),
	       WARDCTL_EUSAGE);

	expect(run("cert", "list", "--trust", NULL), 0);
	assert_non_null(strstr(out_buf, name));
	assert_non_null(strstr(out_buf, "(cluster CA)"));
	expect(run("cert", "show", name, NULL), 0);
	assert_non_null(strstr(out_buf, "trunk-peer"));
	expect(run("cert", "delete", name, NULL), 0);
	expect(run("cert", "delete", name, NULL), WARDCTL_EREFUSED);
}

static void test_cert_regenerate_prints_the_new_generation(void **s)
{
	(void)s;
	expect(run("cert", "regenerate", "n1", "tftp", NULL), 0);
	assert_non_null(strstr(out_buf, "generation 2"));
	expect(run("cert", "regenerate", "cluster", "ca", NULL),
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
	assert_non_null(strstr(out_buf, "serial 5A510002"));
	expect(run("token", "list", NULL), 0);
	assert_non_null(strstr(out_buf, "tokA"));
	assert_non_null(strstr(out_buf, "5A510002"));
	expect(run("ctl", "show", NULL), WARDCTL_EREFUSED);
	sign("tokA");
	assert_non_null(strstr(out_buf, "CTL version 1 signed by token tokA"));
	expect(run("ctl", "show", NULL), 0);
	assert_non_null(strstr(out_buf, "Current   yes"));
	expect(run("ctl", "verify", NULL), 0);
	assert_non_null(strstr(out_buf, "signature OK"));
	assert_non_null(strstr(out_buf, "current: yes"));
	snprintf(path, sizeof path, "%s/CTLFile.tlv", N1->dir);
	expect(run("ctl", "export", "-o", path, NULL), 0);
	file = tlf_read(path, &len);
	raw = apki_get_raw("/v1/ctl/file", &status, &raw_len, ctype,
			   sizeof ctype);
	assert_int_equal(len, raw_len);
	assert_memory_equal(file, raw, len);
	free(file);
	free(raw);

	/* A regenerated certificate makes it stale; tokB signs the next. */
	expect(run("cert", "regenerate", "n1", "callmanager", NULL), 0);
	expect(run("ctl", "show", NULL), 0);
	assert_non_null(strstr(out_buf, "Current   no"));
	assert_non_null(strstr(out_buf, "n1 callmanager"));
	setenv("WARD_TOKEN_PIN", "1234", 1);
	expect(run("ctl", "sign", "--module", MODULE, "--token", "tokB", NULL),
	       0);
	assert_non_null(strstr(out_buf, "CTL version 2"));
	expect(run("ctl", "verify", NULL), 0);
	assert_non_null(strstr(out_buf, "current: yes"));
}

static void test_ctl_sign_by_an_unregistered_token_is_refused(void **s)
{
	(void)s;
	register_ab();
	expect(run("ctl", "sign", "--module", MODULE, "--token", "tokC",
		   "--pin-file", pin_file, NULL),
	       WARDCTL_EREFUSED);
	assert_non_null(strstr(err_buf, "tokC is not registered"));
	assert_non_null(strstr(err_buf, "signer not allowed"));
	assert_true(audit_has("ctl.refused", "SAST token 3"));
}

static void test_ctl_sign_pin_comes_from_a_file_env_or_prompt_only(void **s)
{
	(void)s;
	register_ab();
	expect(run("ctl", "sign", "--module", MODULE, "--token", "tokA",
		   "--pin-file", bad_pin_file, NULL),
	       WARDCTL_EUSAGE);
	assert_non_null(strstr(err_buf, "PIN"));
	assert_null(strstr(err_buf, "9999"));
	/* No file, no environment, no terminal. */
	expect(run("ctl", "sign", "--module", MODULE, "--token", "tokA", NULL),
	       WARDCTL_EUSAGE);
	/* Never on the command line, and never echoed. */
	expect(run("ctl", "sign", "--module", MODULE, "--token", "tokA",
		   "--pin=4321", NULL),
	       WARDCTL_EUSAGE);
	assert_null(strstr(err_buf, "4321"));
	expect(run("ctl", "show", NULL), WARDCTL_EREFUSED); /* none stored */
	expect(run("ctl", "sign", "--module", "/nonexistent.so", "--token",
		   "tokA", "--pin-file", pin_file, NULL),
	       WARDCTL_EUSAGE);
}

static void test_security_mode_and_status(void **s)
{
	json_t *j;

	(void)s;
	expect(run("security", "mode", "mixed", NULL), WARDCTL_EREFUSED);
	assert_non_null(strstr(err_buf, "at least 2"));
	register_ab();
	expect(run("security", "status", NULL), 0);
	assert_non_null(strstr(out_buf, "none signed yet"));
	assert_non_null(strstr(out_buf, "not possible"));
	sign("tokA");
	expect(run("security", "mode", "mixed", NULL), 0);
	assert_non_null(strstr(out_buf, "mixed (was non-secure)"));
	assert_non_null(strstr(out_buf, "4 resets"));
	expect(run("security", "mode", "mixed", NULL), 0);
	assert_non_null(strstr(out_buf, "already"));
	expect(run("security", "status", NULL), 0);
	assert_non_null(strstr(out_buf, "Pending resets: 4"));
	expect(run("--json", "security", "status", NULL), 0);
	j = json_loads(out_buf, 0, NULL);
	assert_non_null(j);
	assert_string_equal(str(j, "mode"), "mixed");
	json_decref(j);
	/* tokA signs the current CTL: it stays while mixed. */
	expect(run("token", "remove", "5A510001", NULL), WARDCTL_EREFUSED);
	expect(run("security", "mode", "secure", NULL), WARDCTL_EUSAGE);
	expect(run("security", "mode", "non-secure", NULL), 0);
	expect(run("token", "remove", "5A510001", NULL), 0);
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

	free(out_buf);
	free(err_buf);
	return rc;
}
