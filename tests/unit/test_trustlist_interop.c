/* test_trustlist_interop: the `openssl` command line verifies every kind of
 * file from the fields it carries (unit/data/trustlist/openssl-verify.sh,
 * the recipe of docs/ctl.md), and refuses a tampered one — so the
 * signatures are standard ones over the bytes the document says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tests/unit/test_trustlist_fixture.h"
#include "trustlist/trustlist.h"

extern char **environ;

static char *tmp;

static int setup(void **state)
{
	(void)state;
	tmp = tlf_tmpdir();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tlf_rmdir(tmp);
	return 0;
}

/* Runs the recipe on FILE (with CERT, or "-"); its exit status. The
 * extracted pieces land in TMP. */
static int openssl_verify(const char *file, const char *cert)
{
	char script[1024], log[512];
	char *argv[] = {"bash", script, (char *)file, (char *)cert, tmp, NULL};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status;

	snprintf(script, sizeof script, "%s", tlf_path("openssl-verify.sh"));
	snprintf(log, sizeof log, "%s/openssl.log", tmp);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, log,
					 O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	assert_int_equal(posix_spawnp(&pid, "bash", &fa, NULL, argv, environ),
			 0);
	posix_spawn_file_actions_destroy(&fa);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void assert_file_is(const char *name, const void *a, size_t alen,
			   const void *b, size_t blen)
{
	char path[512];
	uint8_t *got;
	size_t len;

	snprintf(path, sizeof path, "%s/%s", tmp, name);
	got = tlf_read(path, &len);
	assert_int_equal(len, alen + blen);
	assert_memory_equal(got, a, alen);
	if (blen)
		assert_memory_equal(got + alen, b, blen);
	free(got);
}

/* FILE (SGN or list) verifies with openssl; what the recipe extracted is
 * exactly what the library says is signed. */
static void check_with_openssl(const char *file, int sgn, const char *cert)
{
	struct trustlist_bytes parts[2];
	struct trustlist *tl;
	uint8_t *buf;
	size_t len;

	buf = tlf_read(file, &len);
	tl = tlf_parse(buf, len, sgn);
	assert_int_equal(openssl_verify(file, cert), 0);
	trustlist_signed_parts(tl, parts);
	assert_file_is("signed.bin", parts[0].data, parts[0].len, parts[1].data,
		       parts[1].len);
	assert_file_is("sig.bin", tl->signature.data, tl->signature.len, NULL,
		       0);
	if (!sgn) {
		const struct trustlist_record *signer;
		char err[256] = "";

		assert_int_equal(trustlist_verify(tl, TRUSTLIST_CTL, &signer,
						  err, sizeof err) == 0 ||
				     trustlist_verify(tl, TRUSTLIST_ITL,
						      &signer, err,
						      sizeof err) == 0,
				 1);
		assert_file_is("signer.der", signer->cert.data,
			       signer->cert.len, NULL, 0);
	}
	trustlist_free(tl);
	free(buf);
}

static void test_openssl_verifies_the_golden_files(void **state)
{
	char cert[512];

	(void)state;
	check_with_openssl(tlf_path("ctl-rsa-sha1.tlv"), 0, "-");
	check_with_openssl(tlf_path("ctl-rsa-sha256.tlv"), 0, "-");
	check_with_openssl(tlf_path("itl-rsa-sha1.tlv"), 0, "-");
	check_with_openssl(tlf_path("ctl-ecdsa-sha256.tlv"), 0, "-");
	snprintf(cert, sizeof cert, "%s", tlf_path("tftp1.crt"));
	check_with_openssl(tlf_path("sgn-rsa-sha256.sgn"), 1, cert);
}

static void test_openssl_verifies_fresh_ecdsa_files(void **state)
{
	struct tlf_set set;
	char path[512], cert[512];
	uint8_t *buf;
	size_t len;

	(void)state;
	/* A new random ECDSA signature each run, DER-encoded as openssl
	 * expects it. */
	tlf_itl_set(&set, "tftp-ec1");
	buf = tlf_build(TRUSTLIST_ITL, &set, "tftp-ec1",
			TRUSTLIST_SIG_ECDSA_SHA256, &len);
	snprintf(path, sizeof path, "%s/itl-ec.tlv", tmp);
	tlf_write(path, buf, len);
	check_with_openssl(path, 0, "-");
	free(buf);
	tlf_set_free(&set);

	buf = tlf_build_sgn("tftp-ec1", TRUSTLIST_SIG_ECDSA_SHA256, &len);
	snprintf(path, sizeof path, "%s/ec.sgn", tmp);
	tlf_write(path, buf, len);
	snprintf(cert, sizeof cert, "%s", tlf_path("tftp-ec1.crt"));
	check_with_openssl(path, 1, cert);
	free(buf);
}

static void test_openssl_refuses_a_tampered_file(void **state)
{
	char path[512], cert[512];
	uint8_t *buf;
	size_t len;

	(void)state;
	buf = tlf_read(tlf_path("ctl-rsa-sha256.tlv"), &len);
	buf[len - 100] ^= 0x01; /* inside the last certificate */
	snprintf(path, sizeof path, "%s/tampered.tlv", tmp);
	tlf_write(path, buf, len);
	assert_int_equal(openssl_verify(path, "-"), 1);
	free(buf);

	/* The .sgn content changed. */
	buf = tlf_read(tlf_path("sgn-rsa-sha256.sgn"), &len);
	buf[len - 2] ^= 0x20;
	snprintf(path, sizeof path, "%s/tampered.sgn", tmp);
	tlf_write(path, buf, len);
	snprintf(cert, sizeof cert, "%s", tlf_path("tftp1.crt"));
	assert_int_equal(openssl_verify(path, cert), 1);
	/* And the right file with the wrong certificate. */
	snprintf(cert, sizeof cert, "%s", tlf_path("ccm1.crt"));
	assert_int_equal(openssl_verify(tlf_path("sgn-rsa-sha256.sgn"), cert),
			 1);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_openssl_verifies_the_golden_files),
	    cmocka_unit_test(test_openssl_verifies_fresh_ecdsa_files),
	    cmocka_unit_test(test_openssl_refuses_a_tampered_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
