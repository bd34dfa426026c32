/* test_trustlist_token: CTLs signed inside PKCS#11 tokens (SoftHSM2 in a
 * temporary directory of its own), continuity between two tokens, and the
 * errors an operator sees for a wrong PIN, an unknown label or a missing
 * module. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/test_trustlist_fixture.h"
#include "trustlist/token.h"
#include "trustlist/trustlist.h"

#define MODULE TLF_SOFTHSM_MODULE

static char *tmp;

static int setup(void **state)
{
	(void)state;
	tmp = tlf_tmpdir();
	if (tlf_softhsm_init(tmp) ||
	    tlf_token_make(tmp, "tokA", "sast1", "01") ||
	    tlf_token_make(tmp, "tokB", "sast2", "02") ||
	    tlf_token_make(tmp, "tokC", "sast3", "03") ||
	    tlf_token_make(tmp, "tokE", "sast-ec1", "0e")) {
		fprintf(stderr, "token setup failed; see %s/tools.log\n", tmp);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tlf_rmdir(tmp);
	return 0;
}

static struct trustlist_token *open_token(const char *label)
{
	struct trustlist_token *t = NULL;
	char pin[] = "1234", err[512] = "";
	int rc =
	    trustlist_token_open(MODULE, label, pin, NULL, &t, err, sizeof err);

	if (rc)
		fail_msg("open %s: %s: %s", label, trustlist_strerror(rc), err);
	return t;
}

static int all_zero(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Builds the tests' CTL (SAST_A, SAST_B, ...) signed by token T. */
static uint8_t *token_ctl(struct trustlist_token *t, const char *sast_a,
			  const char *sast_b, enum trustlist_sig sig,
			  size_t *len)
{
	struct trustlist_options o = {.sig = sig, .timestamp = TLF_TIMESTAMP};
	struct trustlist_signer s = {.key = trustlist_token_key(t)};
	struct tlf_set set;
	uint8_t *out = NULL;
	char err[256] = "";
	int rc;

	s.cert_der = trustlist_token_cert(t, &s.cert_len);
	tlf_ctl_set(&set, sast_a, sast_b);
	rc = trustlist_build(TRUSTLIST_CTL, set.e, set.n, &s, &o, &out, len,
			     err, sizeof err);
	if (rc)
		fail_msg("build: %s: %s", trustlist_strerror(rc), err);
	tlf_set_free(&set);
	return out;
}

static void test_tokens_are_listed_with_label_and_serial(void **state)
{
	struct trustlist_token_info *tokens = NULL;
	size_t n = 0, found = 0;
	char err[256] = "";

	(void)state;
	assert_int_equal(
	    trustlist_token_list(MODULE, &tokens, &n, err, sizeof err), 0);
	/* The free slot SoftHSM always offers is not an initialized
	 * token and is left out. */
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++) {
		found += strcmp(tokens[i].label, "tokA") == 0 ||
			 strcmp(tokens[i].label, "tokB") == 0 ||
			 strcmp(tokens[i].label, "tokC") == 0 ||
			 strcmp(tokens[i].label, "tokE") == 0;
		assert_int_equal(strlen(tokens[i].serial), 16);
		assert_string_equal(tokens[i].manufacturer, "SoftHSM project");
	}
	assert_int_equal(found, 4);
	free(tokens);
}

static void test_ctl_signed_inside_the_token_verifies(void **state)
{
	struct trustlist_token *t;
	struct tlf_cert sast1;
	struct trustlist *tl;
	uint8_t *buf, *golden;
	size_t len, glen;
	char err[256] = "";

	(void)state;
	t = open_token("tokA");
	tlf_cert_load("sast1", &sast1);
	{
		size_t clen;
		const uint8_t *c = trustlist_token_cert(t, &clen);

		assert_int_equal(clen, sast1.len);
		assert_memory_equal(c, sast1.der, clen);
	}
	assert_non_null(trustlist_token_key(t));
	assert_string_equal(trustlist_token_info(t)->label, "tokA");

	buf = token_ctl(t, "sast1", "sast2", TRUSTLIST_SIG_RSA_SHA1, &len);
	tl = tlf_parse(buf, len, 0);
	assert_int_equal(
	    trustlist_verify(tl, TRUSTLIST_CTL, NULL, err, sizeof err), 0);
	/* PKCS#1 v1.5 is deterministic: the token, holding the key of
	 * sast1, signs exactly the golden file the software key made. */
	golden = tlf_read(tlf_path("ctl-rsa-sha1.tlv"), &glen);
	assert_int_equal(len, glen);
	assert_memory_equal(buf, golden, glen);
	trustlist_free(tl);
	free(golden);
	free(buf);

	buf = token_ctl(t, "sast1", "sast2", TRUSTLIST_SIG_RSA_SHA512, &len);
	tl = tlf_parse(buf, len, 0);
	assert_int_equal(tl->digest_alg, TRUSTLIST_DIGEST_SHA512);
	assert_int_equal(
	    trustlist_verify(tl, TRUSTLIST_CTL, NULL, err, sizeof err), 0);
	trustlist_free(tl);
	free(buf);
	tlf_cert_free(&sast1);
	trustlist_token_close(t);
}

static void test_ec_token_is_refused_before_signing(void **state)
{
	struct trustlist_token *t = open_token("tokE");
	struct trustlist_options o = {.timestamp = TLF_TIMESTAMP};
	struct trustlist_signer s = {.key = trustlist_token_key(t)};
	struct tlf_set set;
	uint8_t *out = NULL;
	size_t len = 0;
	char err[256] = "";

	(void)state;
	/* Phones verify RSA only: an EC token may be listed, not sign. */
	s.cert_der = trustlist_token_cert(t, &s.cert_len);
	tlf_ctl_set(&set, "sast-ec1", "sast-ec2");
	assert_int_equal(trustlist_build(TRUSTLIST_CTL, set.e, set.n, &s, &o,
					 &out, &len, err, sizeof err),
			 TRUSTLIST_EUNSUPPORTED);
	assert_null(out);
	assert_non_null(strstr(err, "RSA only"));
	tlf_set_free(&set);
	trustlist_token_close(t);
}

/* The certificate of a token, read without a PIN (as at registration). */
static void token_cert(const char *label, struct tlf_cert *out)
{
	struct trustlist_token *t = NULL;
	const uint8_t *c;
	char err[256] = "";

	assert_int_equal(trustlist_token_open(MODULE, label, NULL, NULL, &t,
					      err, sizeof err),
			 0);
	assert_null(trustlist_token_key(t));
	c = trustlist_token_cert(t, &out->len);
	out->der = malloc(out->len);
	assert_non_null(out->der);
	memcpy(out->der, c, out->len);
	trustlist_token_close(t);
}

static void test_continuity_from_token_a_to_token_b(void **state)
{
	struct tlf_cert a, b;
	struct trustlist_bytes registered[2];
	struct trustlist_token *t;
	struct trustlist *first, *second, *rogue;
	uint8_t *b1, *b2, *b3;
	size_t l1, l2, l3;
	char err[256] = "";

	(void)state;
	token_cert("tokA", &a);
	token_cert("tokB", &b);
	registered[0] = (struct trustlist_bytes){a.der, a.len};
	registered[1] = (struct trustlist_bytes){b.der, b.len};

	t = open_token("tokA");
	b1 = token_ctl(t, "sast1", "sast2", TRUSTLIST_SIG_RSA_SHA512, &l1);
	trustlist_token_close(t);
	first = tlf_parse(b1, l1, 0);
	assert_int_equal(
	    trustlist_ctl_accepts(NULL, first, registered, 2, err, sizeof err),
	    0);

	t = open_token("tokB");
	b2 = token_ctl(t, "sast1", "sast2", TRUSTLIST_SIG_RSA_SHA512, &l2);
	trustlist_token_close(t);
	second = tlf_parse(b2, l2, 0);
	assert_int_equal(trustlist_ctl_accepts(first, second, registered, 2,
					       err, sizeof err),
			 0);

	/* tokC is neither registered nor listed. */
	t = open_token("tokC");
	b3 = token_ctl(t, "sast3", "sast2", TRUSTLIST_SIG_RSA_SHA1, &l3);
	trustlist_token_close(t);
	rogue = tlf_parse(b3, l3, 0);
	assert_int_equal(trustlist_ctl_accepts(second, rogue, registered, 2,
					       err, sizeof err),
			 TRUSTLIST_EUNTRUSTED);
	assert_int_equal(
	    trustlist_ctl_accepts(NULL, rogue, registered, 2, err, sizeof err),
	    TRUSTLIST_EUNTRUSTED);

	trustlist_free(rogue);
	trustlist_free(second);
	trustlist_free(first);
	free(b3);
	free(b2);
	free(b1);
	tlf_cert_free(&b);
	tlf_cert_free(&a);
}

static void test_wrong_pin_fails_clearly_and_is_wiped(void **state)
{
	struct trustlist_token *t = NULL;
	char pin[] = "9999", err[512] = "";

	(void)state;
	assert_int_equal(trustlist_token_open(MODULE, "tokA", pin, NULL, &t,
					      err, sizeof err),
			 TRUSTLIST_EPIN);
	assert_null(t);
	assert_string_equal(err, "wrong PIN for token tokA");
	assert_null(strstr(err, "9999"));
	assert_true(all_zero(pin, sizeof pin));

	/* The right PIN still works afterwards, and is wiped too. */
	{
		char good[] = "1234";

		assert_int_equal(trustlist_token_open(MODULE, "tokA", good,
						      NULL, &t, err,
						      sizeof err),
				 0);
		assert_true(all_zero(good, sizeof good));
		trustlist_token_close(t);
	}
}

static void test_unknown_label_names_the_tokens_present(void **state)
{
	struct trustlist_token *t = NULL;
	char pin[] = "1234", err[512] = "";

	(void)state;
	assert_int_equal(trustlist_token_open(MODULE, "tokZ", pin, NULL, &t,
					      err, sizeof err),
			 TRUSTLIST_ENOTFOUND);
	assert_null(t);
	assert_non_null(strstr(err, "token tokZ not found in " MODULE));
	assert_non_null(strstr(err, "tokens present: "));
	assert_non_null(strstr(err, "tokA"));
	assert_non_null(strstr(err, "tokE"));
	/* Wiped even though no login happened. */
	assert_true(all_zero(pin, sizeof pin));
}

static void test_missing_module_or_key_id_fails_clearly(void **state)
{
	struct trustlist_token *t = NULL;
	char pin[] = "1234", err[512] = "";

	(void)state;
	assert_int_equal(trustlist_token_open("/nonexistent/libpkcs11.so",
					      "tokA", pin, NULL, &t, err,
					      sizeof err),
			 TRUSTLIST_ETOKEN);
	assert_non_null(strstr(err, "cannot load PKCS#11 module "
				    "/nonexistent/libpkcs11.so"));
	assert_true(all_zero(pin, sizeof pin));

	strcpy(pin, "1234");
	assert_int_equal(trustlist_token_open(MODULE, "tokA", pin, "77", &t,
					      err, sizeof err),
			 TRUSTLIST_ENOTFOUND);
	assert_non_null(strstr(err, "with ID 77"));
	strcpy(pin, "1234");
	assert_int_equal(trustlist_token_open(MODULE, "tokA", pin, "01", &t,
					      err, sizeof err),
			 0);
	trustlist_token_close(t);
}

static void test_second_handle_on_the_module_is_refused(void **state)
{
	struct trustlist_token *a = open_token("tokA"), *b = NULL;
	struct trustlist_token_info *tokens = NULL;
	char pin[] = "1234", err[512] = "";
	size_t n;
	uint8_t *buf;
	size_t len;

	(void)state;
	/* Closing B would log A out: B is refused while A is open... */
	assert_int_equal(trustlist_token_open(MODULE, "tokB", pin, NULL, &b,
					      err, sizeof err),
			 TRUSTLIST_EINVAL);
	assert_null(b);
	assert_non_null(strstr(err, "already in use"));
	assert_true(all_zero(pin, sizeof pin));
	assert_int_equal(
	    trustlist_token_list(MODULE, &tokens, &n, err, sizeof err),
	    TRUSTLIST_EINVAL);
	/* ...and A still signs. */
	free(token_ctl(a, "sast1", "sast2", TRUSTLIST_SIG_RSA_SHA1, &len));
	trustlist_token_close(a);

	b = open_token("tokB");
	buf = token_ctl(b, "sast1", "sast2", TRUSTLIST_SIG_RSA_SHA1, &len);
	free(buf);
	trustlist_token_close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tokens_are_listed_with_label_and_serial),
	    cmocka_unit_test(test_ctl_signed_inside_the_token_verifies),
	    cmocka_unit_test(test_ec_token_is_refused_before_signing),
	    cmocka_unit_test(test_continuity_from_token_a_to_token_b),
	    cmocka_unit_test(test_wrong_pin_fails_clearly_and_is_wiped),
	    cmocka_unit_test(test_unknown_label_names_the_tokens_present),
	    cmocka_unit_test(test_missing_module_or_key_id_fails_clearly),
	    cmocka_unit_test(test_second_handle_on_the_module_is_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
