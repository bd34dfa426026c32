/* test_trustlist_sgn: .enc.sgn files — a configuration encrypted to one
 * device, signed by the TFTP key: the layout of DESIGN.md section 5, a
 * fresh key per file, decryption with the device key (by ward and by the
 * independent unit/data/trustlist/indep.py), and what is refused. */
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

#include <openssl/evp.h>

#include "tests/unit/test_trustlist_fixture.h"
#include "trustlist/sgn.h"
#include "trustlist/trustlist.h"

#define PYTHON "/usr/bin/python3"
/* The device: ccm2's certificate and key stand for its LSC. */
#define DEVICE "ccm2"

extern char **environ;

static const char xml[] =
    "<device><fullConfig>true</fullConfig><sipProfile><user>alice</user>"
    "<authPassword>s3cret</authPassword></sipProfile></device>\n";

static uint8_t *enc_build(const char *device, enum trustlist_sig sig,
			  size_t *len, int *rc_out)
{
	struct trustlist_options o = {.sig = sig, .timestamp = TLF_TIMESTAMP};
	struct trustlist_signer s;
	struct tlf_cert signer, dev;
	uint8_t *out = NULL;
	char err[256] = "";
	int rc;

	tlf_cert_load("tftp1", &signer);
	tlf_cert_load(device, &dev);
	s = (struct trustlist_signer){signer.der, signer.len,
				      tlf_key_load("tftp1")};
	rc = trustlist_encsgn_build(TLF_SGN_NAME, (const uint8_t *)xml,
				    strlen(xml), dev.der, dev.len, &s, &o, &out,
				    len, err, sizeof err);
	if (rc_out)
		*rc_out = rc;
	else if (rc)
		fail_msg("encsgn_build: %s: %s", trustlist_strerror(rc), err);
	EVP_PKEY_free(s.key);
	tlf_cert_free(&dev);
	tlf_cert_free(&signer);
	return out;
}

static struct trustlist *golden_itl(void)
{
	size_t len;
	uint8_t *buf = tlf_read(tlf_path("itl-rsa-sha1.tlv"), &len);
	struct trustlist *tl = tlf_parse(buf, len, 0);

	free(buf);
	return tl;
}

static void test_enc_sgn_has_the_documented_layout(void **state)
{
	struct trustlist_enc enc;
	struct trustlist *tl;
	uint8_t *buf, md[20];
	size_t len;
	char err[256] = "";

	(void)state;
	buf = enc_build(DEVICE, TRUSTLIST_SIG_DEFAULT, &len, NULL);
	/* Version 2.0, a 2-byte header length. */
	assert_memory_equal(buf, "\x01\x00\x02\x02\x00\x02\x00\x02", 8);
	assert_int_equal(
	    trustlist_encsgn_parse(buf, len, &tl, &enc, err, sizeof err), 0);
	assert_string_equal(tl->filename, "SEP001122334455.cnf.xml.enc.sgn");
	assert_int_equal(enc.cipher, 0);
	assert_int_equal(enc.iv.len, 16);
	assert_int_equal(enc.padding, (16 - strlen(xml) % 16) % 16);
	assert_int_equal(enc.key_alg, 0);
	assert_int_equal(enc.key_bits, 2048);
	assert_int_equal(enc.key_type, 1);
	assert_int_equal(enc.wrapped_key.len, 256);
	assert_int_equal(enc.digest_alg, TRUSTLIST_DIGEST_SHA1);
	assert_int_equal(
	    EVP_Digest(xml, strlen(xml), md, NULL, EVP_sha1(), NULL), 1);
	assert_int_equal(enc.digest.len, 20);
	assert_memory_equal(enc.digest.data, md, 20);
	assert_int_equal(tl->content.len, strlen(xml) + enc.padding);
	/* The XML is not in the file in clear. */
	assert_null(memmem(buf, len, "s3cret", 6));
	assert_int_equal(tl->header_len % 4, 0);
	trustlist_free(tl);
	free(buf);
}

static void test_enc_sgn_verifies_and_decrypts_with_the_device_key(void **state)
{
	struct trustlist *itl = golden_itl(), *tl;
	struct trustlist_enc enc;
	EVP_PKEY *dev = tlf_key_load(DEVICE), *other = tlf_key_load("ccm1");
	uint8_t *buf, *plain = NULL;
	size_t len, plain_len;
	char err[256] = "";

	(void)state;
	buf = enc_build(DEVICE, TRUSTLIST_SIG_RSA_SHA512, &len, NULL);
	assert_int_equal(
	    trustlist_encsgn_parse(buf, len, &tl, &enc, err, sizeof err), 0);
	assert_int_equal(tl->digest_alg, TRUSTLIST_DIGEST_SHA512);
	assert_int_equal(enc.digest_alg, TRUSTLIST_DIGEST_SHA512);
	assert_int_equal(trustlist_sgn_verify(tl, itl, err, sizeof err), 0);
	assert_int_equal(trustlist_encsgn_decrypt(tl, &enc, dev, &plain,
						  &plain_len, err, sizeof err),
			 0);
	assert_int_equal(plain_len, strlen(xml));
	assert_memory_equal(plain, xml, plain_len);
	free(plain);
	plain = NULL;
	/* Another device's key cannot read it. */
	assert_int_equal(trustlist_encsgn_decrypt(tl, &enc, other, &plain,
						  &plain_len, err, sizeof err),
			 TRUSTLIST_ECRYPTO);
	assert_null(plain);
	trustlist_free(tl);

	/* A changed byte of the ciphertext: the signature fails, and the
	 * plaintext digest too. */
	buf[len - 20] ^= 0x01;
	assert_int_equal(
	    trustlist_encsgn_parse(buf, len, &tl, &enc, err, sizeof err), 0);
	assert_int_equal(trustlist_sgn_verify(tl, itl, err, sizeof err),
			 TRUSTLIST_ESIGNATURE);
	assert_int_equal(trustlist_encsgn_decrypt(tl, &enc, dev, &plain,
						  &plain_len, err, sizeof err),
			 TRUSTLIST_ESIGNATURE);
	assert_null(plain);
	trustlist_free(tl);
	free(buf);
	EVP_PKEY_free(other);
	EVP_PKEY_free(dev);
	trustlist_free(itl);
}

static void test_every_file_has_a_fresh_key(void **state)
{
	struct trustlist_enc e1, e2;
	struct trustlist *t1, *t2;
	uint8_t *b1, *b2;
	size_t l1, l2;

	(void)state;
	b1 = enc_build(DEVICE, TRUSTLIST_SIG_DEFAULT, &l1, NULL);
	b2 = enc_build(DEVICE, TRUSTLIST_SIG_DEFAULT, &l2, NULL);
	assert_int_equal(trustlist_encsgn_parse(b1, l1, &t1, &e1, NULL, 0), 0);
	assert_int_equal(trustlist_encsgn_parse(b2, l2, &t2, &e2, NULL, 0), 0);
	assert_int_equal(l1, l2);
	assert_memory_not_equal(e1.iv.data, e2.iv.data, 16);
	assert_memory_not_equal(e1.wrapped_key.data, e2.wrapped_key.data, 256);
	assert_memory_not_equal(t1->content.data, t2->content.data,
				t1->content.len);
	trustlist_free(t2);
	trustlist_free(t1);
	free(b2);
	free(b1);
}

static void test_ec_device_certificate_is_refused(void **state)
{
	uint8_t *buf;
	size_t len = 0;
	int rc;

	(void)state;
	/* Phones unwrap the key with RSA: an EC certificate cannot get an
	 * encrypted file. */
	buf = enc_build("sast-ec1", TRUSTLIST_SIG_DEFAULT, &len, &rc);
	assert_int_equal(rc, TRUSTLIST_EUNSUPPORTED);
	assert_null(buf);
}

static void test_sgn_and_enc_sgn_readers_keep_to_their_version(void **state)
{
	struct trustlist_enc enc;
	struct trustlist *tl = NULL;
	uint8_t *buf;
	size_t len;
	char err[256] = "";

	(void)state;
	buf = enc_build(DEVICE, TRUSTLIST_SIG_DEFAULT, &len, NULL);
	assert_int_equal(trustlist_sgn_parse(buf, len, &tl, err, sizeof err),
			 TRUSTLIST_EUNSUPPORTED);
	assert_non_null(strstr(err, "2.0"));
	free(buf);
	buf = tlf_read(tlf_path("sgn-rsa-sha1.sgn"), &len);
	assert_int_equal(
	    trustlist_encsgn_parse(buf, len, &tl, &enc, err, sizeof err),
	    TRUSTLIST_EUNSUPPORTED);
	assert_null(tl);
	free(buf);
}

static void test_enc_sgn_truncations_are_refused(void **state)
{
	struct trustlist_enc enc;
	struct trustlist *tl;
	uint8_t *buf, *p;
	size_t len;

	(void)state;
	buf = enc_build(DEVICE, TRUSTLIST_SIG_DEFAULT, &len, NULL);
	for (size_t cut = 0; cut < len; cut++) {
		p = malloc(cut ? cut : 1);
		assert_non_null(p);
		memcpy(p, buf, cut);
		tl = NULL;
		/* A cut inside the body leaves no whole AES blocks, or
		 * (at a block edge) a file whose signature fails. */
		if (trustlist_encsgn_parse(p, cut, &tl, &enc, NULL, 0) == 0) {
			struct trustlist *itl = golden_itl();

			assert_int_equal(trustlist_sgn_verify(tl, itl, NULL, 0),
					 TRUSTLIST_ESIGNATURE);
			trustlist_free(itl);
			trustlist_free(tl);
		}
		free(p);
	}
	free(buf);
}

/* Runs ARGV (indep.py); its exit status. */
static int run(char *const argv[])
{
	pid_t pid;
	int status;

	assert_int_equal(posix_spawn(&pid, PYTHON, NULL, NULL, argv, environ),
			 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* The independent checker verifies the signature and its decrypter reads
 * what ward wrote. */
static void test_independent_decrypter_reads_wards_file(void **state)
{
	char *tmp = tlf_tmpdir(), file[512], out[512], key[512], script[512];
	char cert[512];
	char *argv[] = {PYTHON, script, "decrypt", file, key, out, NULL};
	char *check[] = {PYTHON, script, "check", file, cert, tmp, NULL};
	uint8_t *buf, *plain;
	size_t len, plain_len;

	(void)state;
	snprintf(script, sizeof script, "%s", tlf_path("indep.py"));
	snprintf(file, sizeof file, "%s/x.enc.sgn", tmp);
	snprintf(out, sizeof out, "%s/x.xml", tmp);
	snprintf(key, sizeof key, "%s", tlf_path(DEVICE ".key"));
	snprintf(cert, sizeof cert, "%s", tlf_path("tftp1.crt"));
	buf = enc_build(DEVICE, TRUSTLIST_SIG_DEFAULT, &len, NULL);
	tlf_write(file, buf, len);
	assert_int_equal(run(check), 0);
	assert_int_equal(run(argv), 0);
	plain = tlf_read(out, &plain_len);
	assert_int_equal(plain_len, strlen(xml));
	assert_memory_equal(plain, xml, plain_len);
	if (getenv("WARD_TRUSTLIST_REGEN"))
		tlf_write(tlf_path("../../../fuzz/corpus/trustlist_parse/"
				   "sep.cnf.xml.enc.sgn"),
			  buf, len);
	free(plain);
	/* Another device's key: the independent decrypter fails too. */
	snprintf(key, sizeof key, "%s", tlf_path("ccm1.key"));
	assert_int_not_equal(run(argv), 0);
	free(buf);
	tlf_rmdir(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_enc_sgn_has_the_documented_layout),
	    cmocka_unit_test(
		test_enc_sgn_verifies_and_decrypts_with_the_device_key),
	    cmocka_unit_test(test_every_file_has_a_fresh_key),
	    cmocka_unit_test(test_ec_device_certificate_is_refused),
	    cmocka_unit_test(
		test_sgn_and_enc_sgn_readers_keep_to_their_version),
	    cmocka_unit_test(test_enc_sgn_truncations_are_refused),
	    cmocka_unit_test(test_independent_decrypter_reads_wards_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
