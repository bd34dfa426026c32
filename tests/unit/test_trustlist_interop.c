/* test_trustlist_interop: ward against an independent writer and checker
 * of the files (unit/data/trustlist/indep.py, written from the facts of
 * DESIGN.md section 5, not from ward's codec):
 * - the checker parses every kind of file ward writes with its own TLV
 *   reader, finds the signer by its certificate and has `openssl dgst`
 *   verify the signature; a tampered file fails;
 * - ward parses and verifies files the independent writer makes in the
 *   styles other builders use (names with ',' or ';' in either order,
 *   signer id fields shuffled, algorithm code 1, SHA-1/256/512, records
 *   without certificate or hash, unknown record tags, signer version
 *   1.1, a 1024-bit signer). */
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
#include "trustlist/sgn.h"
#include "trustlist/trustlist.h"

#define PYTHON "/usr/bin/python3"

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

/* Runs indep.py with ARGS (NULL-terminated, at most 30); exit status.
 * Its output goes to TMP/indep.log. */
static int indep(const char *const *args)
{
	char script[1024], log[512];
	char *argv[34] = {PYTHON, script};
	posix_spawn_file_actions_t fa;
	size_t n = 2;
	pid_t pid;
	int status;

	for (; *args && n < 33; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	snprintf(script, sizeof script, "%s", tlf_path("indep.py"));
	snprintf(log, sizeof log, "%s/indep.log", tmp);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, log,
					 O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	assert_int_equal(posix_spawn(&pid, PYTHON, &fa, NULL, argv, environ),
			 0);
	posix_spawn_file_actions_destroy(&fa);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* The independent checker on FILE (with CERT, or "-"); the pieces it
 * extracted land in TMP. */
static int openssl_verify(const char *file, const char *cert)
{
	const char *args[] = {"check", file, cert, tmp, NULL};

	return indep(args);
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
	check_with_openssl(tlf_path("ctl-rsa-sha512.tlv"), 0, "-");
	check_with_openssl(tlf_path("itl-rsa-sha1.tlv"), 0, "-");
	snprintf(cert, sizeof cert, "%s", tlf_path("tftp1.crt"));
	check_with_openssl(tlf_path("sgn-rsa-sha1.sgn"), 1, cert);
	check_with_openssl(tlf_path("sgn-rsa-sha512.sgn"), 1, cert);
}

static void test_openssl_verifies_fresh_4096_bit_files(void **state)
{
	struct tlf_set set;
	char path[512];
	uint8_t *buf;
	size_t len;

	(void)state;
	tlf_ctl_set(&set, "sast-4096", "sast-ec1");
	buf = tlf_build(TRUSTLIST_CTL, &set, "sast-4096",
			TRUSTLIST_SIG_RSA_SHA512, &len);
	snprintf(path, sizeof path, "%s/ctl-4096.tlv", tmp);
	tlf_write(path, buf, len);
	check_with_openssl(path, 0, "-");
	free(buf);
	tlf_set_free(&set);
}

static void test_openssl_refuses_a_tampered_file(void **state)
{
	char path[512], cert[512];
	uint8_t *buf;
	size_t len;

	(void)state;
	buf = tlf_read(tlf_path("ctl-rsa-sha512.tlv"), &len);
	buf[len - 100] ^= 0x01; /* inside the last certificate */
	snprintf(path, sizeof path, "%s/tampered.tlv", tmp);
	tlf_write(path, buf, len);
	assert_int_equal(openssl_verify(path, "-"), 1);
	free(buf);

	/* The .sgn content changed. */
	buf = tlf_read(tlf_path("sgn-rsa-sha1.sgn"), &len);
	buf[len - 2] ^= 0x20;
	snprintf(path, sizeof path, "%s/tampered.sgn", tmp);
	tlf_write(path, buf, len);
	snprintf(cert, sizeof cert, "%s", tlf_path("tftp1.crt"));
	assert_int_equal(openssl_verify(path, cert), 1);
	/* And the right file with the wrong certificate. */
	snprintf(cert, sizeof cert, "%s", tlf_path("ccm1.crt"));
	assert_int_equal(openssl_verify(tlf_path("sgn-rsa-sha1.sgn"), cert), 1);
	free(buf);
}

/* ---- files of the independent writer ---------------------------------- */

/* Builds KIND with indep.py into TMP/OUT; ARGS after the signer. */
static uint8_t *indep_build(const char *kind, const char *out,
			    const char *signer, const char *const *extra,
			    size_t *len)
{
	const char *args[32] = {"build", kind, NULL, "--signer", signer};
	char path[512];
	size_t n = 5;

	snprintf(path, sizeof path, "%s/%s", tmp, out);
	args[2] = path;
	for (; *extra && n < 31; extra++)
		args[n++] = *extra;
	args[n] = NULL;
	assert_int_equal(indep(args), 0);
	return tlf_read(path, len);
}

static void assert_ctl_verifies(const uint8_t *buf, size_t len,
				enum trustlist_kind kind, unsigned function,
				const char *signer_cert)
{
	const struct trustlist_record *signer = NULL;
	struct tlf_cert want;
	struct trustlist *tl;
	char err[256] = "";
	int rc;

	tl = tlf_parse(buf, len, 0);
	rc = trustlist_verify(tl, kind, &signer, err, sizeof err);
	if (rc)
		fail_msg("verify: %s: %s", trustlist_strerror(rc), err);
	assert_int_equal(signer->function, function);
	tlf_cert_load(signer_cert, &want);
	assert_int_equal(signer->cert.len, want.len);
	assert_memory_equal(signer->cert.data, want.der, want.len);
	tlf_cert_free(&want);
	trustlist_free(tl);
}

static void test_ward_reads_names_other_builders_render(void **state)
{
	/* RDNs joined with ',' most general first, signer id fields in
	 * another order, algorithm code 1, SHA-256, strings without NUL:
	 * the signer is still found by its certificate, not by comparing
	 * names. */
	static const char *const extra[] = {
	    "--record",	 "sast:sast1",
	    "--record",	 "sast:sast2",
	    "--record",	 "ccm+tftp:ccm1:node1.ward.test:192.0.2.1",
	    "--sep",	 ",",
	    "--shuffle", "--alg",
	    "1",	 "--digest",
	    "2",	 NULL};
	struct trustlist *tl;
	uint8_t *buf;
	size_t len;

	(void)state;
	buf = indep_build("ctl", "comma.tlv", "sast1", extra, &len);
	tl = tlf_parse(buf, len, 0);
	/* Strings without terminators (this writer's choice) read whole. */
	assert_string_equal(tl->signer_name,
			    "O=ward test,OU=security token,CN=SAST token 1");
	assert_string_equal(tl->filename, "CTLFile.tlv");
	assert_string_equal(tl->records[2].dns_name, "node1.ward.test");
	assert_int_equal(tl->sig_alg, 1);
	assert_int_equal(tl->digest_alg, TRUSTLIST_DIGEST_SHA256);
	/* No tag 28 in this file. */
	assert_int_equal(tl->signer_version_major, 0);
	trustlist_free(tl);
	assert_ctl_verifies(buf, len, TRUSTLIST_CTL, TRUSTLIST_FN_SAST,
			    "sast1");
	free(buf);
}

static void test_ward_reads_sparse_records_and_unknown_tags(void **state)
{
	/* A non-secure CTL's server records (tags 1, 2, 4, 10 only),
	 * records without hash, an unknown record tag, signer version
	 * 1.1, SHA-512. */
	static const char *const extra[] = {"--record",
					    "sast:sast2",
					    "--record",
					    "sast:sast1",
					    "--record",
					    "ccm:-:node9.ward.test:192.0.2.9",
					    "--record",
					    "tftp:-:node9.ward.test:192.0.2.9",
					    "--no-hash",
					    "--unknown-tag",
					    "--signer-version",
					    "1.1",
					    "--digest",
					    "3",
					    NULL};
	const struct trustlist_record *r;
	struct trustlist *tl;
	uint8_t *buf;
	size_t len;

	(void)state;
	buf = indep_build("ctl", "sparse.tlv", "sast2", extra, &len);
	tl = tlf_parse(buf, len, 0);
	assert_int_equal(tl->n_records, 4);
	assert_int_equal(tl->signer_version_major, 1);
	assert_int_equal(tl->signer_version_minor, 1);
	r = &tl->records[2];
	assert_int_equal(r->function, TRUSTLIST_FN_CCM);
	assert_string_equal(r->dns_name, "node9.ward.test");
	assert_int_equal(r->ip.len, 4);
	assert_null(r->subject);
	assert_int_equal(r->cert.len, 0);
	assert_int_equal(r->cert_hash.len, 0);
	assert_int_equal(r->hash_alg, 0);
	trustlist_free(tl);
	assert_ctl_verifies(buf, len, TRUSTLIST_CTL, TRUSTLIST_FN_SAST,
			    "sast2");
	free(buf);
}

static void
test_ward_reads_an_itl_and_sgn_of_the_independent_writer(void **state)
{
	static const char *const itl_args[] = {
	    "--record", "sast:tftp1",
	    "--record", "tftp:tftp1:node1.ward.test:192.0.2.1",
	    "--record", "ccm:ccm1:node1.ward.test:192.0.2.1",
	    "--record", "capf:capf",
	    "--sep",	",",
	    NULL};
	char content[512], cert[512];
	const char *sgn_args[] = {"--content", content, "--digest", "3", NULL};
	struct trustlist *itl, *sgn;
	uint8_t *ibuf, *sbuf;
	size_t ilen, slen;
	char err[256] = "";

	(void)state;
	ibuf = indep_build("itl", "ITLFile.tlv", "tftp1", itl_args, &ilen);
	assert_ctl_verifies(ibuf, ilen, TRUSTLIST_ITL, TRUSTLIST_FN_SAST,
			    "tftp1");
	snprintf(content, sizeof content, "%s/SEP001122334455.cnf.xml", tmp);
	tlf_write(content, tlf_sgn_content, strlen(tlf_sgn_content));
	sbuf = indep_build("sgn", "s.sgn", "tftp1", sgn_args, &slen);
	sgn = tlf_parse(sbuf, slen, 1);
	assert_string_equal(sgn->filename, "SEP001122334455.cnf.xml.sgn");
	assert_int_equal(sgn->content.len, strlen(tlf_sgn_content));
	itl = tlf_parse(ibuf, ilen, 0);
	assert_int_equal(trustlist_sgn_verify(sgn, itl, err, sizeof err), 0);
	snprintf(cert, sizeof cert, "%s", "tftp1");
	{
		struct tlf_cert c;

		tlf_cert_load(cert, &c);
		assert_int_equal(
		    trustlist_verify_cert(sgn, c.der, c.len, err, sizeof err),
		    0);
		tlf_cert_free(&c);
	}
	/* A byte of the content changed: ward refuses it too. */
	sbuf[slen - 3] ^= 1;
	trustlist_free(sgn);
	sgn = tlf_parse(sbuf, slen, 1);
	assert_int_equal(trustlist_sgn_verify(sgn, itl, err, sizeof err),
			 TRUSTLIST_ESIGNATURE);
	trustlist_free(sgn);
	trustlist_free(itl);
	free(sbuf);
	free(ibuf);
}

static void test_ward_reads_a_1024_bit_signer_of_old_tokens(void **state)
{
	static const char *const extra[] = {
	    "--dir",	NULL,	    "--record", "sast:old1024",
	    "--record", "ccm:ccm1", NULL};
	const char *args[] = {"gen-rsa", tmp, "old1024", "1024", NULL};
	const char *with_dir[8];
	struct trustlist *tl;
	uint8_t *buf;
	size_t len;
	char err[256] = "";

	(void)state;
	assert_int_equal(indep(args), 0);
	memcpy(with_dir, extra, sizeof extra);
	with_dir[1] = tmp;
	buf = indep_build("ctl", "old.tlv", "old1024", with_dir, &len);
	tl = tlf_parse(buf, len, 0);
	assert_int_equal(tl->modulus_index, 1);
	assert_int_equal(
	    trustlist_verify(tl, TRUSTLIST_CTL, NULL, err, sizeof err), 0);
	trustlist_free(tl);
	free(buf);
}

static void test_ward_refuses_a_tampered_independent_file(void **state)
{
	static const char *const extra[] = {"--record", "sast:sast1",
					    "--record", "capf:capf", NULL};
	struct trustlist *tl;
	uint8_t *buf;
	size_t len;
	char err[256] = "";

	(void)state;
	buf = indep_build("ctl", "t.tlv", "sast1", extra, &len);
	buf[len - 50] ^= 0x80;
	tl = tlf_parse(buf, len, 0);
	assert_int_equal(
	    trustlist_verify(tl, TRUSTLIST_CTL, NULL, err, sizeof err),
	    TRUSTLIST_ESIGNATURE);
	trustlist_free(tl);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_openssl_verifies_the_golden_files),
	    cmocka_unit_test(test_openssl_verifies_fresh_4096_bit_files),
	    cmocka_unit_test(test_openssl_refuses_a_tampered_file),
	    cmocka_unit_test(test_ward_reads_names_other_builders_render),
	    cmocka_unit_test(test_ward_reads_sparse_records_and_unknown_tags),
	    cmocka_unit_test(
		test_ward_reads_an_itl_and_sgn_of_the_independent_writer),
	    cmocka_unit_test(test_ward_reads_a_1024_bit_signer_of_old_tokens),
	    cmocka_unit_test(test_ward_refuses_a_tampered_independent_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
