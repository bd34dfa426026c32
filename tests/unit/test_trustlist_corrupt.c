/* test_trustlist_corrupt: damaged, truncated, oversized and malicious
 * trust-list files are refused — by the parser or by the verifier — with a
 * reason, and never crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/test_trustlist_fixture.h"
#include "trustlist/trustlist.h"

struct sample {
	const char *file;
	int sgn;
	enum trustlist_kind kind;
};

static const struct sample samples[] = {
    {"ctl-rsa-sha1.tlv", 0, TRUSTLIST_CTL},
    {"ctl-rsa-sha512.tlv", 0, TRUSTLIST_CTL},
    {"itl-rsa-sha1.tlv", 0, TRUSTLIST_ITL},
    {"sgn-rsa-sha1.sgn", 1, TRUSTLIST_CTL},
};

/* 0 if BUF parses and verifies; else the first error. A .sgn is checked
 * against the golden ITL (TRUST). */
static int check(const uint8_t *buf, size_t len, const struct sample *s,
		 const struct trustlist *trust, char *err, size_t errcap)
{
	struct trustlist *tl = NULL;
	int rc;

	rc = s->sgn ? trustlist_sgn_parse(buf, len, &tl, err, errcap)
		    : trustlist_parse(buf, len, &tl, err, errcap);
	if (rc) {
		assert_null(tl);
		return rc;
	}
	rc = s->sgn ? trustlist_sgn_verify(tl, trust, err, errcap)
		    : trustlist_verify(tl, s->kind, NULL, err, errcap);
	trustlist_free(tl);
	return rc;
}

static struct trustlist *golden_itl(uint8_t **buf)
{
	size_t len;

	*buf = tlf_read(tlf_path("itl-rsa-sha1.tlv"), &len);
	return tlf_parse(*buf, len, 0);
}

static void test_every_truncation_is_refused(void **state)
{
	uint8_t *ibuf;
	struct trustlist *itl = golden_itl(&ibuf);
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
		size_t len;
		uint8_t *buf = tlf_read(tlf_path(samples[i].file), &len);

		assert_int_equal(
		    check(buf, len, &samples[i], itl, err, sizeof err), 0);
		for (size_t cut = 0; cut < len; cut++) {
			/* A copy of exactly CUT bytes, so that ASan sees
			 * any read past the end. */
			uint8_t *p = malloc(cut ? cut : 1);

			assert_non_null(p);
			memcpy(p, buf, cut);
			err[0] = 0;
			assert_int_not_equal(
			    check(p, cut, &samples[i], itl, err, sizeof err),
			    0);
			assert_true(err[0] != 0);
			free(p);
		}
		free(buf);
	}
	trustlist_free(itl);
	free(ibuf);
}

static void test_every_flipped_byte_is_refused(void **state)
{
	uint8_t *ibuf;
	struct trustlist *itl = golden_itl(&ibuf);
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
		size_t len;
		uint8_t *buf = tlf_read(tlf_path(samples[i].file), &len);

		/* Every byte of the header (signature included) and of the
		 * ITL and .sgn; every 7th byte of the records of the larger
		 * CTLs, to keep the test fast. */
		for (size_t at = 0; at < len;
		     at += (at < 512 || i >= 2) ? 1 : 7) {
			buf[at] ^= 0x01;
			assert_int_not_equal(
			    check(buf, len, &samples[i], itl, err, sizeof err),
			    0);
			buf[at] ^= 0x01;
		}
		free(buf);
	}
	trustlist_free(itl);
	free(ibuf);
}

static void test_flipped_signature_fails_verification(void **state)
{
	struct trustlist *tl;
	uint8_t *buf;
	size_t len;
	char err[256];

	(void)state;
	buf = tlf_read(tlf_path("ctl-rsa-sha1.tlv"), &len);
	tl = tlf_parse(buf, len, 0);
	tl->data[tl->sig_tlv_offset + 3 + 100] ^= 0x80;
	assert_int_equal(
	    trustlist_verify(tl, TRUSTLIST_CTL, NULL, err, sizeof err),
	    TRUSTLIST_ESIGNATURE);
	trustlist_free(tl);
	free(buf);
}

/* Golden CTL, parsed; *BUF is the raw copy to damage. */
static struct trustlist *load_ctl(uint8_t **buf, size_t *len)
{
	*buf = tlf_read(tlf_path("ctl-rsa-sha1.tlv"), len);
	return tlf_parse(*buf, *len, 0);
}

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static int parse_rc(const uint8_t *buf, size_t len, char *err, size_t cap)
{
	struct trustlist *tl = NULL;
	int rc = trustlist_parse(buf, len, &tl, err, cap);

	trustlist_free(tl);
	return rc;
}

static void test_lengths_running_past_the_end_are_refused(void **state)
{
	struct trustlist *tl;
	uint8_t *buf;
	size_t len, cert_len_at;
	char err[256];

	(void)state;
	tl = load_ctl(&buf, &len);
	/* The certificate of the last record claims 65535 bytes. */
	cert_len_at = (size_t)(tl->records[5].cert.data - tl->data) - 2;
	put16(buf + cert_len_at, 0xffff);
	assert_int_equal(parse_rc(buf, len, err, sizeof err),
			 TRUSTLIST_EMALFORMED);
	assert_non_null(strstr(err, "runs past"));
	put16(buf + cert_len_at, tl->records[5].cert.len);

	/* The signer id (at 15, after tag 28) claims more than the header
	 * holds. */
	assert_int_equal(buf[15], 3);
	put16(buf + 16, 0xfff0);
	assert_int_equal(parse_rc(buf, len, err, sizeof err),
			 TRUSTLIST_EMALFORMED);
	put16(buf + 16, tl->sig_tlv_offset - 18 - 18);
	assert_int_equal(parse_rc(buf, len, err, sizeof err), 0);

	/* The last record claims more than is left. */
	put16(buf + tl->records[5].offset + 3, tl->records[5].length + 1);
	assert_int_equal(parse_rc(buf, len, err, sizeof err),
			 TRUSTLIST_EMALFORMED);
	assert_non_null(strstr(err, "does not fit"));
	put16(buf + tl->records[5].offset + 3, tl->records[5].length);

	/* The header length (2 bytes at 8) points past the file. */
	buf[8] = 0xff;
	assert_int_equal(parse_rc(buf, len, err, sizeof err),
			 TRUSTLIST_EMALFORMED);
	assert_non_null(strstr(err, "header length"));
	trustlist_free(tl);
	free(buf);
}

static void test_unknown_record_tag_is_skipped(void **state)
{
	static const uint8_t extra[] = {0x40, 0x00, 0x03, 'a', 'b', 'c'};
	struct trustlist *tl, *out;
	size_t len, rec;
	uint8_t *buf;
	char err[256] = "";

	(void)state;
	tl = load_ctl(&buf, &len);
	rec = tl->records[2].offset;
	/* After the record-length TLV of record 2. */
	tlf_splice(&buf, &len, rec + 5, 0, extra, sizeof extra);
	put16(buf + rec + 3, tl->records[2].length + sizeof extra);
	tlf_resign(buf, len, "sast1");
	out = tlf_parse(buf, len, 0);
	assert_int_equal(out->n_records, 6);
	assert_string_equal(out->records[2].dns_name, "node1.ward.test");
	assert_int_equal(
	    trustlist_verify(out, TRUSTLIST_CTL, NULL, err, sizeof err), 0);
	trustlist_free(out);
	trustlist_free(tl);
	free(buf);
}

static void test_unknown_header_tag_is_refused(void **state)
{
	/* A 4-byte TLV keeps the header a multiple of 4. */
	static const uint8_t extra[] = {0x40, 0x00, 0x01, 0x00};
	struct trustlist *tl;
	size_t len, at;
	uint8_t *buf;
	char err[256];

	(void)state;
	tl = load_ctl(&buf, &len);
	at = tl->sig_tlv_offset + tl->sig_tlv_len;
	tlf_splice(&buf, &len, at, 0, extra, sizeof extra);
	buf[9] = (uint8_t)(buf[9] + 4);
	assert_int_equal(parse_rc(buf, len, err, sizeof err),
			 TRUSTLIST_EMALFORMED);
	assert_non_null(strstr(err, "unexpected tag 64"));
	trustlist_free(tl);
	free(buf);
}

static void test_duplicate_or_missing_record_fields_are_refused(void **state)
{
	static const uint8_t fn[] = {0x04, 0x00, 0x02, 0x00, 0x01};
	struct trustlist *tl, *out;
	size_t len, rec, f, n;
	uint8_t *buf;
	char err[256] = "";

	(void)state;
	tl = load_ctl(&buf, &len);
	rec = tl->records[1].offset;
	tlf_splice(&buf, &len, rec + 5, 0, fn, sizeof fn);
	put16(buf + rec + 3, tl->records[1].length + sizeof fn);
	tlf_resign(buf, len, "sast1");
	assert_int_equal(parse_rc(buf, len, err, sizeof err),
			 TRUSTLIST_EMALFORMED);
	assert_non_null(strstr(err, "function (tag 4) repeated"));
	free(buf);

	/* Without its function (tag 4), a record means nothing. */
	buf = tlf_read(tlf_path("ctl-rsa-sha1.tlv"), &len);
	f = (size_t)(tl->records[4].serial.data - tl->data) - 3;
	n = tl->records[4].offset + 5;
	assert_int_equal(buf[n], 3); /* the CAPF record: no DNS name */
	n += 3 + (((size_t)buf[n + 1] << 8) | buf[n + 2]);
	assert_int_equal(buf[n], 4);
	tlf_splice(&buf, &len, n, 5, NULL, 0);
	put16(buf + tl->records[4].offset + 3, tl->records[4].length - 5);
	tlf_resign(buf, len, "sast1");
	assert_int_equal(parse_rc(buf, len, err, sizeof err),
			 TRUSTLIST_EMALFORMED);
	assert_non_null(strstr(err, "function (tag 4) missing"));
	free(buf);

	/* Its subject is optional: names are not what identifies it. */
	buf = tlf_read(tlf_path("ctl-rsa-sha1.tlv"), &len);
	f = (size_t)(tl->records[1].subject - tl->text) - 3;
	n = 3 + strlen(tl->records[1].subject) + 1;
	tlf_splice(&buf, &len, f, n, NULL, 0);
	put16(buf + rec + 3, tl->records[1].length - n);
	tlf_resign(buf, len, "sast1");
	out = tlf_parse(buf, len, 0);
	assert_null(out->records[1].subject);
	assert_int_equal(
	    trustlist_verify(out, TRUSTLIST_CTL, NULL, err, sizeof err), 0);
	trustlist_free(out);
	trustlist_free(tl);
	free(buf);
}

static void test_record_that_misstates_its_certificate_is_refused(void **state)
{
	struct trustlist *tl, *out;
	size_t len, at;
	uint8_t *buf;
	char err[256] = "";

	(void)state;
	tl = load_ctl(&buf, &len);
	/* Record 3 (node2) renders its subject differently: names are
	 * not compared (builders differ), so that is no fault. */
	at = (size_t)(strchr(tl->records[3].subject, ';') - tl->text);
	buf[at] = ',';
	tlf_resign(buf, len, "sast1");
	out = tlf_parse(buf, len, 0);
	assert_int_equal(
	    trustlist_verify(out, TRUSTLIST_CTL, NULL, err, sizeof err), 0);
	trustlist_free(out);
	buf[at] = ';';

	/* Its public key does not match its certificate: the file is well
	 * signed, so only the cross-check with the certificate sees it. */
	at = (size_t)(tl->records[3].public_key.data - tl->data) + 20;
	buf[at] ^= 0x55;
	tlf_resign(buf, len, "sast1");
	out = tlf_parse(buf, len, 0);
	assert_int_equal(
	    trustlist_verify(out, TRUSTLIST_CTL, NULL, err, sizeof err),
	    TRUSTLIST_ECERT);
	assert_non_null(strstr(err, "record 3 (CCM+TFTP): public key"));
	trustlist_free(out);
	buf[at] ^= 0x55;

	/* Nor its serial. */
	at = (size_t)(tl->records[3].serial.data - tl->data);
	buf[at] ^= 0x01;
	tlf_resign(buf, len, "sast1");
	out = tlf_parse(buf, len, 0);
	assert_int_equal(
	    trustlist_verify(out, TRUSTLIST_CTL, NULL, err, sizeof err),
	    TRUSTLIST_ECERT);
	assert_non_null(strstr(err, "serial"));
	trustlist_free(out);
	trustlist_free(tl);
	free(buf);
}

static void test_header_faults_are_refused(void **state)
{
	struct trustlist *tl;
	size_t len, pad_at;
	uint8_t *buf;
	char err[256];

	(void)state;
	tl = load_ctl(&buf, &len);
	pad_at = tl->header_len - 1;
	assert_int_equal(buf[pad_at], 13);
	buf[pad_at] = 0;
	assert_int_equal(parse_rc(buf, len, err, sizeof err),
			 TRUSTLIST_EMALFORMED);
	buf[pad_at] = 13;

	buf[3] = 2; /* version 2.2 */
	assert_int_equal(parse_rc(buf, len, err, sizeof err),
			 TRUSTLIST_EUNSUPPORTED);
	assert_non_null(strstr(err, "2.2"));
	buf[3] = 1;

	/* A NUL inside the file name hides text after it. */
	{
		size_t at = (size_t)(tl->filename - tl->text) + 3;

		buf[at] = 0;
		assert_int_equal(parse_rc(buf, len, err, sizeof err),
				 TRUSTLIST_EMALFORMED);
		assert_non_null(strstr(err, "filename (tag 14)"));
		buf[at] = (uint8_t)tl->filename[3];
	}
	assert_int_equal(parse_rc(buf, len, err, sizeof err), 0);

	/* A header with no record after it. */
	assert_int_equal(parse_rc(buf, tl->header_len, err, sizeof err),
			 TRUSTLIST_EMALFORMED);
	assert_non_null(strstr(err, "no records"));
	trustlist_free(tl);
	free(buf);
}

static void test_algorithm_codes_must_match_the_signer(void **state)
{
	struct trustlist *tl, *out;
	size_t len, info;
	uint8_t *buf;
	char err[256] = "";

	(void)state;
	tl = load_ctl(&buf, &len);
	info = tl->sig_tlv_offset - 18; /* the signature info TLV */
	assert_int_equal(buf[info], 7);

	buf[info + 17] = 3; /* modulus index 4096 for a 2048-bit key */
	tlf_resign(buf, len, "sast1");
	out = tlf_parse(buf, len, 0);
	assert_int_equal(
	    trustlist_verify(out, TRUSTLIST_CTL, NULL, err, sizeof err),
	    TRUSTLIST_EMALFORMED);
	assert_non_null(strstr(err, "modulus index"));
	trustlist_free(out);
	buf[info + 17] = 2;

	buf[info + 6] = 9; /* unknown digest code */
	tlf_resign(buf, len, "sast1");
	out = tlf_parse(buf, len, 0);
	assert_int_equal(
	    trustlist_verify(out, TRUSTLIST_CTL, NULL, err, sizeof err),
	    TRUSTLIST_EUNSUPPORTED);
	trustlist_free(out);
	buf[info + 6] = 1;

	buf[info + 13] = 1; /* the other code other builders write for RSA */
	tlf_resign(buf, len, "sast1");
	out = tlf_parse(buf, len, 0);
	assert_int_equal(
	    trustlist_verify(out, TRUSTLIST_CTL, NULL, err, sizeof err), 0);
	trustlist_free(out);

	buf[info + 13] = 2; /* not RSA: phones verify nothing else */
	tlf_resign(buf, len, "sast1");
	out = tlf_parse(buf, len, 0);
	assert_int_equal(
	    trustlist_verify(out, TRUSTLIST_CTL, NULL, err, sizeof err),
	    TRUSTLIST_EUNSUPPORTED);
	trustlist_free(out);
	trustlist_free(tl);
	free(buf);
}

static void test_signer_is_found_by_certificate_not_by_name(void **state)
{
	struct trustlist *tl, *out;
	size_t len, serial_at;
	uint8_t *buf;
	char err[256] = "";

	(void)state;
	tl = load_ctl(&buf, &len);
	/* The signer id opens at 15; its name's value at 21. "CN=SAST
	 * token 1" becomes "CN=SAST token 9": the signer is still the
	 * record whose certificate has the serial and key. */
	assert_int_equal(buf[18], 4);
	buf[21 + 14] = '9';
	tlf_resign(buf, len, "sast1");
	out = tlf_parse(buf, len, 0);
	assert_string_equal(out->signer_name,
			    "CN=SAST token 9;OU=security token;O=ward test");
	assert_int_equal(
	    trustlist_verify(out, TRUSTLIST_CTL, NULL, err, sizeof err), 0);
	trustlist_free(out);

	/* Another serial: no record's certificate has it. */
	serial_at = (size_t)(tl->signer_serial.data - tl->data);
	buf[serial_at + tl->signer_serial.len - 1] ^= 0x40;
	tlf_resign(buf, len, "sast1");
	out = tlf_parse(buf, len, 0);
	assert_int_equal(
	    trustlist_verify(out, TRUSTLIST_CTL, NULL, err, sizeof err),
	    TRUSTLIST_ESIGNER);
	assert_non_null(strstr(err, "SAST token 9"));
	assert_non_null(strstr(err, "serial 5a510041"));
	trustlist_free(out);
	trustlist_free(tl);
	free(buf);
}

static void test_signer_with_the_serial_but_another_key_is_refused(void **state)
{
	struct trustlist *tl, *out;
	size_t len;
	uint8_t *buf;
	char err[256] = "";

	(void)state;
	/* sast1's serial and names, signed by sast2's key: the record with
	 * that serial does not verify it. */
	tl = load_ctl(&buf, &len);
	tlf_resign(buf, len, "sast2");
	out = tlf_parse(buf, len, 0);
	assert_int_equal(
	    trustlist_verify(out, TRUSTLIST_CTL, NULL, err, sizeof err),
	    TRUSTLIST_ESIGNATURE);
	trustlist_free(out);
	trustlist_free(tl);
	free(buf);
}

static void test_random_bytes_never_crash(void **state)
{
	uint8_t buf[2048];
	uint32_t x = 12345;
	char err[256];

	(void)state;
	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)(round % (int)sizeof buf);

		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = (uint8_t)(x >> 16);
		}
		/* Give some a plausible start, so the parser goes deeper. */
		if (round % 2 && len >= 12)
			memcpy(buf, "\x01\x00\x02\x01\x02\x02\x00\x02\x00\x80",
			       10);
		assert_int_not_equal(
		    check(buf, len, &samples[0], NULL, err, sizeof err), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_truncation_is_refused),
	    cmocka_unit_test(test_every_flipped_byte_is_refused),
	    cmocka_unit_test(test_flipped_signature_fails_verification),
	    cmocka_unit_test(test_lengths_running_past_the_end_are_refused),
	    cmocka_unit_test(test_unknown_record_tag_is_skipped),
	    cmocka_unit_test(test_unknown_header_tag_is_refused),
	    cmocka_unit_test(
		test_duplicate_or_missing_record_fields_are_refused),
	    cmocka_unit_test(
		test_record_that_misstates_its_certificate_is_refused),
	    cmocka_unit_test(test_header_faults_are_refused),
	    cmocka_unit_test(test_algorithm_codes_must_match_the_signer),
	    cmocka_unit_test(test_signer_is_found_by_certificate_not_by_name),
	    cmocka_unit_test(
		test_signer_with_the_serial_but_another_key_is_refused),
	    cmocka_unit_test(test_random_bytes_never_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
