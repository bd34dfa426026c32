/* test_trustlist_golden: committed files (the .tlv and .sgn files of
 * tests/unit/data/trustlist/) that the builder must reproduce byte for
 * byte and the parser must read. RSA PKCS#1 v1.5 signatures are
 * deterministic, so files are compared whole.
 *
 * After a deliberate format change, regenerate with
 *   WARD_TRUSTLIST_REGEN=1 build/tests/test_trustlist_golden
 * and review the diff (docs/ctl.md must describe the new bytes).
 */
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

enum what { CTL, ITL, SGN };

struct golden {
	const char *file;
	enum what what;
	const char *a, *b; /* CTL: the SASTs (a signs); ITL/SGN: a = TFTP */
	enum trustlist_sig sig;
	int deterministic;
	size_t records;
};

/* The ITL lists TFTP, CAPF and two CCMs, plus its signer as SAST. */
static const struct golden goldens[] = {
    {"ctl-rsa-sha1.tlv", CTL, "sast1", "sast2", TRUSTLIST_SIG_RSA_SHA1, 1, 6},
    {"ctl-rsa-sha512.tlv", CTL, "sast2", "sast1", TRUSTLIST_SIG_RSA_SHA512, 1,
     6},
    {"itl-rsa-sha1.tlv", ITL, "tftp1", NULL, TRUSTLIST_SIG_RSA_SHA1, 1, 5},
    {"sgn-rsa-sha1.sgn", SGN, "tftp1", NULL, TRUSTLIST_SIG_RSA_SHA1, 1, 0},
    {"sgn-rsa-sha512.sgn", SGN, "tftp1", NULL, TRUSTLIST_SIG_RSA_SHA512, 1, 0},
};
#define N_GOLDEN (sizeof goldens / sizeof *goldens)

static uint8_t *build(const struct golden *g, size_t *len)
{
	struct tlf_set set;
	uint8_t *buf;

	if (g->what == SGN)
		return tlf_build_sgn(g->a, g->sig, len);
	if (g->what == CTL) {
		/* The first SAST of the list is always sast1/sast-ec1, so
		 * that both RSA files list the same records. */
		if (strcmp(g->a, "sast2") == 0)
			tlf_ctl_set(&set, g->b, g->a);
		else
			tlf_ctl_set(&set, g->a, g->b);
	} else {
		tlf_itl_set(&set, g->a);
	}
	buf = tlf_build(g->what == CTL ? TRUSTLIST_CTL : TRUSTLIST_ITL, &set,
			g->a, g->sig, len);
	tlf_set_free(&set);
	return buf;
}

static void test_builder_reproduces_golden_files_byte_for_byte(void **state)
{
	const char *regen = getenv("WARD_TRUSTLIST_REGEN");

	(void)state;
	for (size_t i = 0; i < N_GOLDEN; i++) {
		const struct golden *g = &goldens[i];
		uint8_t *built, *want;
		size_t blen, wlen;

		built = build(g, &blen);
		if (regen && strcmp(regen, "1") == 0) {
			tlf_write(tlf_path(g->file), built, blen);
			fprintf(stderr, "regenerated %s (%zu bytes)\n",
				tlf_path(g->file), blen);
			free(built);
			continue;
		}
		want = tlf_read(tlf_path(g->file), &wlen);
		if (g->deterministic) {
			assert_int_equal(blen, wlen);
			assert_memory_equal(built, want, wlen);
		} else {
			/* Same layout: only the signature value differs. */
			assert_int_equal(blen, wlen);
		}
		free(want);
		free(built);
	}
}

static void test_golden_files_parse_and_verify(void **state)
{
	struct trustlist *itl = NULL;
	char err[256] = "";

	(void)state;
	for (size_t i = 0; i < N_GOLDEN; i++) {
		const struct golden *g = &goldens[i];
		const struct trustlist_record *signer = NULL;
		struct trustlist *tl;
		uint8_t *buf;
		size_t len;

		buf = tlf_read(tlf_path(g->file), &len);
		tl = tlf_parse(buf, len, g->what == SGN);
		assert_int_equal(tl->timestamp, TLF_TIMESTAMP);
		assert_int_equal(tl->n_records, g->records);
		switch (g->what) {
		case CTL:
			assert_string_equal(tl->filename, "CTLFile.tlv");
			assert_int_equal(trustlist_verify(tl, TRUSTLIST_CTL,
							  &signer, err,
							  sizeof err),
					 0);
			assert_int_equal(signer->function, TRUSTLIST_FN_SAST);
			trustlist_free(tl);
			break;
		case ITL:
			assert_string_equal(tl->filename, "ITLFile.tlv");
			assert_int_equal(trustlist_verify(tl, TRUSTLIST_ITL,
							  &signer, err,
							  sizeof err),
					 0);
			/* Found as the SAST record phones look for. */
			assert_int_equal(signer->function, TRUSTLIST_FN_SAST);
			assert_int_equal(tl->records[0].function,
					 TRUSTLIST_FN_SAST);
			assert_int_equal(tl->records[1].function,
					 TRUSTLIST_FN_TFTP);
			assert_int_equal(tl->records[0].cert.len,
					 tl->records[1].cert.len);
			assert_memory_equal(tl->records[0].cert.data,
					    tl->records[1].cert.data,
					    tl->records[1].cert.len);
			trustlist_free(itl);
			itl = tl;
			break;
		case SGN:
			/* Listed after the ITL it is checked against. */
			assert_non_null(itl);
			assert_int_equal(tl->version_major, 1);
			assert_int_equal(tl->version_minor, 0);
			assert_string_equal(tl->filename,
					    "SEP001122334455.cnf.xml.sgn");
			assert_memory_equal(tl->content.data, tlf_sgn_content,
					    strlen(tlf_sgn_content));
			assert_int_equal(
			    trustlist_sgn_verify(tl, itl, err, sizeof err), 0);
			trustlist_free(tl);
			break;
		}
		free(buf);
	}
	trustlist_free(itl);
}

static void test_golden_ctl_header_bytes_are_as_documented(void **state)
{
	/* The first bytes docs/ctl.md shows: version 1.2, a 2-byte header
	 * length, signer version 1.0, then the signer id. */
	static const uint8_t prefix[] = {0x01, 0x00, 0x02, 0x01,
					 0x02, 0x02, 0x00, 0x02};
	static const uint8_t signer_version[] = {0x1c, 0x00, 0x02, 0x01, 0x00};
	struct trustlist *tl;
	uint8_t *buf;
	size_t len, l3;

	(void)state;
	buf = tlf_read(tlf_path("ctl-rsa-sha1.tlv"), &len);
	assert_memory_equal(buf, prefix, sizeof prefix);
	tl = tlf_parse(buf, len, 0);
	assert_int_equal(((size_t)buf[8] << 8) | buf[9], tl->header_len);
	assert_memory_equal(buf + 10, signer_version, sizeof signer_version);
	assert_int_equal(tl->signer_version_major, 1);
	assert_int_equal(tl->signer_version_minor, 0);
	/* Signer id at 15 (tags 4, 5, 6 in order), signature info after
	 * it: digest SHA-1, algorithm 0 (RSA), modulus index 2 (2048). */
	assert_int_equal(buf[15], 3);
	l3 = ((size_t)buf[16] << 8) | buf[17];
	assert_int_equal(buf[18], 4);
	{
		static const uint8_t info[] = {7, 0,  15, 8, 0, 1,  1, 9, 0,
					       8, 10, 0,  1, 0, 11, 0, 1, 2};

		assert_memory_equal(buf + 18 + l3, info, sizeof info);
	}
	assert_int_equal(tl->sig_tlv_offset, 18 + l3 + 18);
	assert_int_equal(tl->sig_tlv_len, 3 + 256);
	/* Padding closes the header. */
	for (size_t i = tl->header_len - 1; buf[i] == 13; i--)
		assert_true(tl->header_len - i <= 3);
	trustlist_free(tl);
	free(buf);
}

static void
test_golden_sgn_header_is_version_1_0_without_signer_version(void **state)
{
	struct trustlist *tl;
	uint8_t *buf;
	size_t len;

	(void)state;
	buf = tlf_read(tlf_path("sgn-rsa-sha512.sgn"), &len);
	assert_int_equal(buf[3], 1);
	assert_int_equal(buf[4], 0);
	assert_int_equal(buf[10], 3); /* no tag 28: the signer id follows */
	tl = tlf_parse(buf, len, 1);
	assert_int_equal(tl->digest_alg, TRUSTLIST_DIGEST_SHA512);
	assert_int_equal(tl->sig_alg, 0);
	assert_string_equal(tl->filename, "SEP001122334455.cnf.xml.sgn");
	trustlist_free(tl);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		test_builder_reproduces_golden_files_byte_for_byte),
	    cmocka_unit_test(test_golden_files_parse_and_verify),
	    cmocka_unit_test(test_golden_ctl_header_bytes_are_as_documented),
	    cmocka_unit_test(
		test_golden_sgn_header_is_version_1_0_without_signer_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
