/* test_trustlist_codec: CTL, ITL and .sgn round trips (build, parse,
 * verify) with every signature option, and what the builder refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/test_trustlist_fixture.h"
#include "trustlist/sgn.h"
#include "trustlist/trustlist.h"

struct variant {
	const char *sast_a, *sast_b, *tftp;
	enum trustlist_sig sig;
	unsigned digest, alg, modulus;
};

/* Phone files: RSA only, SHA-1 (default) or SHA-512; an EC certificate
 * may be listed (sast-ec1 as the second SAST), never sign. */
static const struct variant variants[] = {
    {"sast1", "sast2", "tftp1", TRUSTLIST_SIG_RSA_SHA1, TRUSTLIST_DIGEST_SHA1,
     TRUSTLIST_SIGALG_RSA, 2},
    {"sast1", "sast-ec1", "tftp1", TRUSTLIST_SIG_RSA_SHA512,
     TRUSTLIST_DIGEST_SHA512, TRUSTLIST_SIGALG_RSA, 2},
    {"sast-4096", "sast2", "tftp1", TRUSTLIST_SIG_DEFAULT,
     TRUSTLIST_DIGEST_SHA1, TRUSTLIST_SIGALG_RSA, 3},
};
#define N_VARIANTS (sizeof variants / sizeof *variants)

static void assert_header(const struct trustlist *tl, const struct variant *v,
			  const char *filename)
{
	int sgn = tl->records == NULL;

	assert_int_equal(tl->version_major, 1);
	assert_int_equal(tl->version_minor, sgn ? 0 : 2);
	assert_int_equal(tl->signer_version_major, sgn ? 0 : 1);
	assert_int_equal(tl->signer_version_minor, 0);
	assert_int_equal(tl->header_len % 4, 0);
	assert_int_equal(tl->digest_alg, v->digest);
	assert_int_equal(tl->sig_alg, v->alg);
	assert_int_equal(tl->modulus_index, v->modulus);
	assert_string_equal(tl->filename, filename);
	assert_int_equal(tl->timestamp, TLF_TIMESTAMP);
}

static void test_ctl_round_trips_with_every_signature_option(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_VARIANTS; i++) {
		const struct variant *v = &variants[i];
		const struct trustlist_record *signer;
		struct trustlist *tl;
		struct tlf_set set;
		char err[256] = "";
		uint8_t *buf;
		size_t len;

		tlf_ctl_set(&set, v->sast_a, v->sast_b);
		buf = tlf_build(TRUSTLIST_CTL, &set, v->sast_a, v->sig, &len);
		assert_true(len <= TRUSTLIST_MAX);
		tl = tlf_parse(buf, len, 0);
		assert_header(tl, v, "CTLFile.tlv");
		assert_int_equal(tl->n_records, set.n);
		for (size_t r = 0; r < set.n; r++) {
			const struct trustlist_record *rec = &tl->records[r];

			assert_int_equal(rec->function, set.e[r].function);
			assert_memory_equal(rec->cert.data, set.e[r].cert_der,
					    set.e[r].cert_len);
			assert_int_equal(rec->hash_alg, v->digest);
			if (set.e[r].dns_name)
				assert_string_equal(rec->dns_name,
						    set.e[r].dns_name);
			else
				assert_null(rec->dns_name);
		}
		assert_int_equal(tl->records[2].ip.len, 4);
		assert_memory_equal(tl->records[2].ip.data, "\xc0\x00\x02\x01",
				    4);
		assert_int_equal(tl->records[3].ip.len, 16);
		assert_int_equal(tl->records[4].ip.len, 0);
		assert_int_equal(trustlist_verify(tl, TRUSTLIST_CTL, &signer,
						  err, sizeof err),
				 0);
		assert_ptr_equal(signer, &tl->records[0]);
		assert_string_equal(signer->subject, tl->signer_name);
		/* A CTL is not an ITL: its signer is a SAST, and an ITL's
		 * SAST is the TFTP key — here a SAST signed, so the ITL
		 * rule (SAST, TFTP, CCM+TFTP) finds it too; what tells
		 * them apart is continuity, not the record. */
		trustlist_free(tl);
		free(buf);
		tlf_set_free(&set);
	}
}

static void test_itl_round_trips_signed_by_the_tftp_key(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_VARIANTS; i++) {
		const struct variant *v = &variants[i];
		const struct trustlist_record *signer;
		struct trustlist *tl;
		struct tlf_set set;
		char err[256] = "";
		uint8_t *buf;
		size_t len;

		struct variant iv = *v;

		iv.modulus = 2; /* tftp1: 2048 bits */
		tlf_itl_set(&set, v->tftp);
		buf = tlf_build(TRUSTLIST_ITL, &set, v->tftp, v->sig, &len);
		tl = tlf_parse(buf, len, 0);
		assert_header(tl, &iv, "ITLFile.tlv");
		/* The signer first as SAST (with the TFTP record's name and
		 * address), then the four entries. */
		assert_int_equal(tl->n_records, 5);
		assert_int_equal(tl->records[0].function, TRUSTLIST_FN_SAST);
		assert_memory_equal(tl->records[0].cert.data, set.e[0].cert_der,
				    set.e[0].cert_len);
		assert_string_equal(tl->records[0].dns_name, "node1.ward.test");
		assert_int_equal(tl->records[0].ip.len, 4);
		assert_int_equal(trustlist_verify(tl, TRUSTLIST_ITL, &signer,
						  err, sizeof err),
				 0);
		assert_ptr_equal(signer, &tl->records[0]);
		/* As a CTL, the same file verifies (its SAST signed it): the
		 * key continuity rule is what keeps an ITL from replacing
		 * a CTL. */
		assert_int_equal(
		    trustlist_verify(tl, TRUSTLIST_CTL, NULL, err, sizeof err),
		    0);
		trustlist_free(tl);
		free(buf);
		tlf_set_free(&set);
	}
}

static void test_sgn_round_trips_and_verifies_against_the_itl(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_VARIANTS; i++) {
		const struct variant *v = &variants[i];
		struct trustlist *sgn, *itl, *ctl;
		struct tlf_set set;
		struct tlf_cert cert;
		char err[256] = "";
		uint8_t *buf, *ibuf, *cbuf;
		size_t len, ilen, clen;

		struct variant sv = *v;

		sv.modulus = 2; /* tftp1: 2048 bits */
		buf = tlf_build_sgn(v->tftp, v->sig, &len);
		sgn = tlf_parse(buf, len, 1);
		assert_header(sgn, &sv, "SEP001122334455.cnf.xml.sgn");
		assert_null(sgn->records);
		assert_int_equal(sgn->content.len, strlen(tlf_sgn_content));
		assert_memory_equal(sgn->content.data, tlf_sgn_content,
				    sgn->content.len);

		tlf_cert_load(v->tftp, &cert);
		assert_int_equal(trustlist_verify_cert(sgn, cert.der, cert.len,
						       err, sizeof err),
				 0);
		tlf_itl_set(&set, v->tftp);
		ibuf = tlf_build(TRUSTLIST_ITL, &set, v->tftp, v->sig, &ilen);
		itl = tlf_parse(ibuf, ilen, 0);
		assert_int_equal(
		    trustlist_sgn_verify(sgn, itl, err, sizeof err), 0);
		tlf_set_free(&set);

		/* The CTL lists no TFTP certificate of this node. */
		tlf_ctl_set(&set, v->sast_a, v->sast_b);
		cbuf = tlf_build(TRUSTLIST_CTL, &set, v->sast_a, v->sig, &clen);
		ctl = tlf_parse(cbuf, clen, 0);
		assert_int_equal(
		    trustlist_sgn_verify(sgn, ctl, err, sizeof err),
		    TRUSTLIST_EUNTRUSTED);
		assert_non_null(strstr(err, "not a TFTP record"));

		trustlist_free(ctl);
		trustlist_free(itl);
		trustlist_free(sgn);
		free(cbuf);
		free(ibuf);
		free(buf);
		tlf_set_free(&set);
		tlf_cert_free(&cert);
	}
}

static void test_itl_that_lists_its_sast_gets_no_second_one(void **state)
{
	struct tlf_set set;
	struct trustlist *tl;
	uint8_t *buf;
	size_t len;

	(void)state;
	tlf_itl_set(&set, "tftp1");
	tlf_set_add(&set, TRUSTLIST_FN_SAST, "tftp1", NULL, NULL);
	buf = tlf_build(TRUSTLIST_ITL, &set, "tftp1", TRUSTLIST_SIG_DEFAULT,
			&len);
	tl = tlf_parse(buf, len, 0);
	assert_int_equal(tl->n_records, set.n);
	assert_int_equal(tl->records[set.n - 1].function, TRUSTLIST_FN_SAST);
	assert_int_equal(trustlist_verify(tl, TRUSTLIST_ITL, NULL, NULL, 0), 0);
	trustlist_free(tl);
	free(buf);
	tlf_set_free(&set);
}

static void test_signer_version_1_1_on_request(void **state)
{
	struct trustlist_options o = {.timestamp = TLF_TIMESTAMP,
				      .signer_version_1_1 = 1};
	struct trustlist_signer s;
	struct trustlist *tl;
	struct tlf_set set;
	uint8_t *out = NULL;
	size_t len;

	(void)state;
	tlf_ctl_set(&set, "sast1", "sast2");
	s = (struct trustlist_signer){set.e[0].cert_der, set.e[0].cert_len,
				      tlf_key_load("sast1")};
	assert_int_equal(trustlist_build(TRUSTLIST_CTL, set.e, set.n, &s, &o,
					 &out, &len, NULL, 0),
			 0);
	assert_memory_equal(out + 10, "\x1c\x00\x02\x01\x01", 5);
	tl = tlf_parse(out, len, 0);
	assert_int_equal(tl->signer_version_major, 1);
	assert_int_equal(tl->signer_version_minor, 1);
	assert_int_equal(trustlist_verify(tl, TRUSTLIST_CTL, NULL, NULL, 0), 0);
	trustlist_free(tl);
	free(out);
	EVP_PKEY_free(s.key);
	tlf_set_free(&set);
}

/* Builds with SIGNER's files and returns the code; ERR gets the reason. */
static int try_build(const struct tlf_set *set, enum trustlist_kind kind,
		     const char *signer, enum trustlist_sig sig,
		     size_t *out_len, char *err, size_t errcap)
{
	struct trustlist_options o = {.sig = sig, .timestamp = TLF_TIMESTAMP};
	struct trustlist_signer s;
	struct tlf_cert c;
	uint8_t *out = NULL;
	size_t len = 0;
	int rc;

	tlf_cert_load(signer, &c);
	s = (struct trustlist_signer){c.der, c.len, tlf_key_load(signer)};
	rc = trustlist_build(kind, set->e, set->n, &s, &o, &out, &len, err,
			     errcap);
	if (rc)
		assert_null(out);
	free(out);
	EVP_PKEY_free(s.key);
	tlf_cert_free(&c);
	if (out_len)
		*out_len = len;
	return rc;
}

static void test_builder_refuses_keys_phones_cannot_verify(void **state)
{
	struct tlf_set set;
	char err[256];

	(void)state;
	/* An EC key may be listed, never sign a file phones read. */
	tlf_ctl_set(&set, "sast-ec1", "sast-ec2");
	assert_int_equal(try_build(&set, TRUSTLIST_CTL, "sast-ec1",
				   TRUSTLIST_SIG_DEFAULT, NULL, err,
				   sizeof err),
			 TRUSTLIST_EUNSUPPORTED);
	assert_non_null(strstr(err, "RSA only"));
	tlf_set_free(&set);
	tlf_itl_set(&set, "tftp-ec1");
	assert_int_equal(try_build(&set, TRUSTLIST_ITL, "tftp-ec1",
				   TRUSTLIST_SIG_RSA_SHA512, NULL, err,
				   sizeof err),
			 TRUSTLIST_EUNSUPPORTED);
	tlf_set_free(&set);
	/* 3072 bits has no modulus index in the format. */
	tlf_ctl_set(&set, "sast-3072", "sast2");
	assert_int_equal(try_build(&set, TRUSTLIST_CTL, "sast-3072",
				   TRUSTLIST_SIG_RSA_SHA1, NULL, err,
				   sizeof err),
			 TRUSTLIST_EUNSUPPORTED);
	assert_non_null(strstr(err, "3072"));
	/* Nor is there a signature option other than SHA-1 and SHA-512. */
	assert_int_equal(
	    try_build(&set, TRUSTLIST_CTL, "sast2", 7, NULL, err, sizeof err),
	    TRUSTLIST_EINVAL);
	tlf_set_free(&set);
}

static void test_signer_must_be_listed_with_its_signing_function(void **state)
{
	struct tlf_set set;
	char err[256];

	(void)state;
	tlf_ctl_set(&set, "sast1", "sast2");
	assert_int_equal(try_build(&set, TRUSTLIST_CTL, "sast3",
				   TRUSTLIST_SIG_RSA_SHA1, NULL, err,
				   sizeof err),
			 TRUSTLIST_ESIGNER);
	assert_non_null(strstr(err, "SAST"));
	/* Listed, but as CCM+TFTP: cannot sign a CTL. */
	assert_int_equal(try_build(&set, TRUSTLIST_CTL, "ccm1",
				   TRUSTLIST_SIG_RSA_SHA1, NULL, err,
				   sizeof err),
			 TRUSTLIST_ESIGNER);
	/* ... but may sign an ITL (listed then as SAST too). */
	assert_int_equal(try_build(&set, TRUSTLIST_ITL, "ccm1",
				   TRUSTLIST_SIG_RSA_SHA1, NULL, err,
				   sizeof err),
			 0);
	tlf_set_free(&set);
}

static void test_key_that_is_not_the_certificates_is_caught(void **state)
{
	struct trustlist_options o = {.timestamp = TLF_TIMESTAMP};
	struct trustlist_signer s;
	struct tlf_set set;
	uint8_t *out = NULL;
	size_t len;
	char err[256] = "";

	(void)state;
	tlf_ctl_set(&set, "sast1", "sast2");
	s = (struct trustlist_signer){set.e[0].cert_der, set.e[0].cert_len,
				      tlf_key_load("sast2")};
	assert_int_equal(trustlist_build(TRUSTLIST_CTL, set.e, set.n, &s, &o,
					 &out, &len, err, sizeof err),
			 TRUSTLIST_ECERT);
	assert_null(out);
	assert_non_null(strstr(err, "do not match"));
	EVP_PKEY_free(s.key);
	tlf_set_free(&set);
}

static void test_builder_refuses_bad_entries(void **state)
{
	struct tlf_set set;
	static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
	char err[256];

	(void)state;
	tlf_ctl_set(&set, "sast1", "sast2");
	set.e[2].ip = "300.1.1.1";
	assert_int_equal(try_build(&set, TRUSTLIST_CTL, "sast1",
				   TRUSTLIST_SIG_RSA_SHA1, NULL, err,
				   sizeof err),
			 TRUSTLIST_EINVAL);
	assert_non_null(strstr(err, "300.1.1.1"));
	set.e[2].ip = NULL;
	set.e[5].cert_der = junk;
	set.e[5].cert_len = sizeof junk;
	assert_int_equal(try_build(&set, TRUSTLIST_CTL, "sast1",
				   TRUSTLIST_SIG_RSA_SHA1, NULL, err,
				   sizeof err),
			 TRUSTLIST_ECERT);
	assert_non_null(strstr(err, "entry 5"));
	tlf_set_free(&set);
}

static void test_cluster_over_64k_gives_the_size_it_would_have(void **state)
{
	struct tlf_set set;
	struct trustlist_entry many[80];
	struct trustlist_options o = {.timestamp = TLF_TIMESTAMP};
	struct trustlist_signer s;
	uint8_t *out = NULL;
	size_t len = 0, n;
	char err[256] = "", want[32];

	(void)state;
	tlf_ctl_set(&set, "sast1", "sast2");
	s = (struct trustlist_signer){set.e[0].cert_der, set.e[0].cert_len,
				      tlf_key_load("sast1")};
	/* Many nodes: repeat the node record until the file cannot fit. */
	many[0] = set.e[0];
	many[1] = set.e[1];
	for (n = 2; n < 80; n++)
		many[n] = set.e[2 + n % 4];
	assert_int_equal(trustlist_build(TRUSTLIST_CTL, many, n, &s, &o, &out,
					 &len, err, sizeof err),
			 TRUSTLIST_ETOOBIG);
	assert_null(out);
	assert_true(len > TRUSTLIST_MAX);
	snprintf(want, sizeof want, "%zu bytes", len);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "65536"));
	print_message("%s\n", err);

	/* The largest count that fits builds, and stays under the limit. */
	while (n > 2) {
		n--;
		if (trustlist_build(TRUSTLIST_CTL, many, n, &s, &o, &out, &len,
				    err, sizeof err) == 0)
			break;
	}
	assert_non_null(out);
	assert_true(len <= TRUSTLIST_MAX);
	assert_true(n > 30);
	print_message("largest CTL of RSA-2048 records: %zu records, %zu "
		      "bytes\n",
		      n, len);
	free(out);
	EVP_PKEY_free(s.key);
	tlf_set_free(&set);
}

static void test_parser_refuses_more_than_64k(void **state)
{
	uint8_t *big = calloc(1, TRUSTLIST_MAX + 1);
	struct trustlist *tl = NULL;
	char err[256];

	(void)state;
	assert_non_null(big);
	assert_int_equal(
	    trustlist_parse(big, TRUSTLIST_MAX + 1, &tl, err, sizeof err),
	    TRUSTLIST_ETOOBIG);
	assert_null(tl);
	free(big);
}

static void test_sgn_of_large_content_is_allowed(void **state)
{
	struct trustlist_options o = {.timestamp = TLF_TIMESTAMP};
	struct trustlist_signer s;
	struct tlf_cert c;
	struct trustlist *tl;
	size_t clen = 300000, len;
	uint8_t *content = malloc(clen), *out = NULL;
	char err[256] = "";

	(void)state;
	assert_non_null(content);
	for (size_t i = 0; i < clen; i++)
		content[i] = (uint8_t)(i * 7);
	tlf_cert_load("tftp1", &c);
	s = (struct trustlist_signer){c.der, c.len, tlf_key_load("tftp1")};
	assert_int_equal(trustlist_sgn_build("ring.raw", content, clen, &s, &o,
					     &out, &len, err, sizeof err),
			 0);
	tl = tlf_parse(out, len, 1);
	assert_string_equal(tl->filename, "ring.raw.sgn");
	assert_int_equal(tl->content.len, clen);
	assert_int_equal(
	    trustlist_verify_cert(tl, c.der, c.len, err, sizeof err), 0);
	trustlist_free(tl);
	free(out);
	out = NULL;
	/* Without a file name there is nothing to sign for. */
	assert_int_equal(trustlist_sgn_build(NULL, content, clen, &s, &o, &out,
					     &len, err, sizeof err),
			 TRUSTLIST_EINVAL);
	assert_int_equal(trustlist_sgn_build("", content, clen, &s, &o, &out,
					     &len, err, sizeof err),
			 TRUSTLIST_EINVAL);
	assert_null(out);
	free(content);
	EVP_PKEY_free(s.key);
	tlf_cert_free(&c);
}

static void test_names_and_strings(void **state)
{
	(void)state;
	assert_string_equal(trustlist_function_name(TRUSTLIST_FN_SAST), "SAST");
	assert_string_equal(trustlist_function_name(TRUSTLIST_FN_CCM_TFTP),
			    "CCM+TFTP");
	assert_string_equal(trustlist_function_name(TRUSTLIST_FN_TVS), "TVS");
	assert_string_equal(trustlist_function_name(99), "unknown");
	assert_string_equal(trustlist_strerror(TRUSTLIST_ETOOBIG),
			    "file exceeds the size limit");
	assert_string_equal(trustlist_strerror(-5), "unknown error");
}

static void test_record_names_read_most_specific_first(void **state)
{
	struct tlf_set set;
	struct trustlist *tl;
	uint8_t *buf;
	size_t len;

	(void)state;
	tlf_ctl_set(&set, "sast1", "sast2");
	buf = tlf_build(TRUSTLIST_CTL, &set, "sast1", TRUSTLIST_SIG_RSA_SHA1,
			&len);
	tl = tlf_parse(buf, len, 0);
	assert_string_equal(tl->signer_name,
			    "CN=SAST token 1;OU=security token;O=ward test");
	assert_string_equal(tl->signer_ca, "CN=ward test token CA;O=ward test");
	assert_int_equal(tl->signer_serial.len, 4);
	assert_memory_equal(tl->signer_serial.data, "\x5a\x51\x00\x01", 4);
	assert_string_equal(tl->records[5].subject,
			    "CN=node1.ward.test;OU=https;O=ward test");
	trustlist_free(tl);
	free(buf);
	tlf_set_free(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ctl_round_trips_with_every_signature_option),
	    cmocka_unit_test(test_itl_round_trips_signed_by_the_tftp_key),
	    cmocka_unit_test(test_sgn_round_trips_and_verifies_against_the_itl),
	    cmocka_unit_test(test_itl_that_lists_its_sast_gets_no_second_one),
	    cmocka_unit_test(test_signer_version_1_1_on_request),
	    cmocka_unit_test(test_builder_refuses_keys_phones_cannot_verify),
	    cmocka_unit_test(
		test_signer_must_be_listed_with_its_signing_function),
	    cmocka_unit_test(test_key_that_is_not_the_certificates_is_caught),
	    cmocka_unit_test(test_builder_refuses_bad_entries),
	    cmocka_unit_test(
		test_cluster_over_64k_gives_the_size_it_would_have),
	    cmocka_unit_test(test_parser_refuses_more_than_64k),
	    cmocka_unit_test(test_sgn_of_large_content_is_allowed),
	    cmocka_unit_test(test_names_and_strings),
	    cmocka_unit_test(test_record_names_read_most_specific_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
