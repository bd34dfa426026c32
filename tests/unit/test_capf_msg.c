/* test_capf_msg: the CAPF wire format — framing, element parsing and the
 * builders — with messages written out byte by byte as a phone sends them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node/capf/capf_msg.h"

/* An auth response as a phone sends it: reason 0, version 3, device name
 * SEP001122334455, password 123456. */
static const uint8_t auth_resp[] = {
    85,	 2,   0x12, 0x34, 0x56, 0x78, 0x00, 37, /* header, body 37 */
    1,	 0,   1,    0,				/* reason 0 */
    7,	 0,   1,    3,				/* version 3 */
    13,	 0,   16,   'S',  'E',	'P',  '0',  '0', '1', '1',
    '2', '2', '3',  '3',  '4',	'4',  '5',  '5', 0,	 /* device name */
    11,	 0,   7,    '1',  '2',	'3',  '4',  '5', '6', 0, /* password */
};

static void test_parses_auth_response_from_a_phone(void **state)
{
	struct capf_msg m;
	char name[64], pw[17];
	uint8_t v;

	(void)state;
	assert_int_equal(capf_msg_parse(auth_resp, sizeof auth_resp, &m),
			 CAPF_MSG_OK);
	assert_int_equal(m.cmd, CAPF_CMD_AUTH_RESP);
	assert_int_equal(m.session, 0x12345678);
	assert_int_equal(m.body_len, 37);
	assert_int_equal(m.n, 4);
	assert_int_equal(capf_msg_get_u8(&m, CAPF_TAG_VERSION, &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(
	    capf_msg_get_str(&m, CAPF_TAG_DEVICE_NAME, name, sizeof name), 0);
	assert_string_equal(name, "SEP001122334455");
	assert_int_equal(capf_msg_get_str(&m, CAPF_TAG_PASSWORD, pw, sizeof pw),
			 0);
	assert_string_equal(pw, "123456");
	assert_null(capf_msg_find(&m, CAPF_TAG_CERT));
}

static void test_frame_waits_for_header_then_gives_total(void **state)
{
	size_t total;

	(void)state;
	assert_int_equal(capf_msg_frame(auth_resp, 0, &total), CAPF_MSG_EAGAIN);
	assert_int_equal(capf_msg_frame(auth_resp, 7, &total), CAPF_MSG_EAGAIN);
	assert_int_equal(capf_msg_frame(auth_resp, 8, &total), CAPF_MSG_OK);
	assert_int_equal(total, sizeof auth_resp);
}

static void test_frame_refuses_other_protocol_at_first_byte(void **state)
{
	const uint8_t tls_hello[] = {0x16, 0x03, 0x01};
	size_t total;

	(void)state;
	assert_int_equal(capf_msg_frame(tls_hello, 1, &total), CAPF_MSG_EPROTO);
}

static void test_frame_refuses_oversized_body(void **state)
{
	uint8_t h[8] = {85, 1, 0, 0, 0, 1, 0xff, 0xff};
	size_t total;

	(void)state;
	assert_int_equal(capf_msg_frame(h, 8, &total), CAPF_MSG_ETOOBIG);
	h[6] = CAPF_BODY_MAX >> 8;
	h[7] = CAPF_BODY_MAX & 0xff;
	assert_int_equal(capf_msg_frame(h, 8, &total), CAPF_MSG_OK);
	assert_int_equal(total, CAPF_MSG_MAX);
}

static void test_truncated_message_is_refused_at_every_length(void **state)
{
	struct capf_msg m;

	(void)state;
	for (size_t n = 8; n < sizeof auth_resp; n++)
		assert_int_equal(capf_msg_parse(auth_resp, n, &m),
				 CAPF_MSG_ETRUNC);
}

static void test_element_running_past_body_is_refused(void **state)
{
	/* body 4: tag 13 claims 5 bytes, has 1 */
	const uint8_t b[] = {85, 2, 0, 0, 0, 1, 0, 4, 13, 0, 5, 'S'};
	/* body 2: an element header cut short */
	const uint8_t c[] = {85, 2, 0, 0, 0, 1, 0, 2, 13, 0};
	struct capf_msg m;

	(void)state;
	assert_int_equal(capf_msg_parse(b, sizeof b, &m), CAPF_MSG_ETRUNC);
	assert_int_equal(capf_msg_parse(c, sizeof c, &m), CAPF_MSG_ETRUNC);
}

static void test_unknown_tag_is_refused(void **state)
{
	uint8_t b[] = {85, 2, 0, 0, 0, 1, 0, 4, 99, 0, 1, 0};
	struct capf_msg m;

	(void)state;
	assert_int_equal(capf_msg_parse(b, sizeof b, &m), CAPF_MSG_ETAG);
	b[8] = 5; /* a gap in the tag numbers is unknown too */
	assert_int_equal(capf_msg_parse(b, sizeof b, &m), CAPF_MSG_ETAG);
	b[8] = 0;
	assert_int_equal(capf_msg_parse(b, sizeof b, &m), CAPF_MSG_ETAG);
}

static void test_repeated_tag_is_refused(void **state)
{
	const uint8_t b[] = {85, 2, 0, 0, 0, 1, 0, 8, 1, 0, 1, 0, 1, 0, 1, 1};
	struct capf_msg m;

	(void)state;
	assert_int_equal(capf_msg_parse(b, sizeof b, &m), CAPF_MSG_EDUP);
}

static void test_fixed_size_element_of_wrong_size_is_refused(void **state)
{
	const uint8_t ver2[] = {85, 2, 0, 0, 0, 1, 0, 5, 7, 0, 2, 0, 3};
	const uint8_t ks1[] = {85, 3, 0, 0, 0, 1, 0, 4, 10, 0, 1, 8};
	struct capf_msg m;

	(void)state;
	assert_int_equal(capf_msg_parse(ver2, sizeof ver2, &m), CAPF_MSG_ESIZE);
	assert_int_equal(capf_msg_parse(ks1, sizeof ks1, &m), CAPF_MSG_ESIZE);
}

static void test_trailing_bytes_after_the_body_are_refused(void **state)
{
	uint8_t b[sizeof auth_resp + 1];
	struct capf_msg m;

	(void)state;
	memcpy(b, auth_resp, sizeof auth_resp);
	b[sizeof auth_resp] = 0;
	assert_int_equal(capf_msg_parse(b, sizeof b, &m), CAPF_MSG_ESIZE);
}

static void test_string_elements_must_be_printable(void **state)
{
	const uint8_t b[] = {85, 2, 0, 0,   0,	  1,   0, 7,
			     13, 0, 4, 'S', '\n', 'P', 0};
	const uint8_t nul_only[] = {85, 2, 0, 0, 0, 1, 0, 4, 13, 0, 1, 0};
	struct capf_msg m;
	char out[32];

	(void)state;
	assert_int_equal(capf_msg_parse(b, sizeof b, &m), CAPF_MSG_OK);
	assert_int_equal(
	    capf_msg_get_str(&m, CAPF_TAG_DEVICE_NAME, out, sizeof out),
	    CAPF_MSG_EVALUE);
	assert_int_equal(capf_msg_parse(nul_only, sizeof nul_only, &m),
			 CAPF_MSG_OK);
	assert_int_equal(
	    capf_msg_get_str(&m, CAPF_TAG_DEVICE_NAME, out, sizeof out),
	    CAPF_MSG_EVALUE);
	/* longer than the caller's buffer */
	assert_int_equal(capf_msg_parse(auth_resp, sizeof auth_resp, &m), 0);
	assert_int_equal(capf_msg_get_str(&m, CAPF_TAG_DEVICE_NAME, out, 15),
			 CAPF_MSG_EVALUE);
	assert_int_equal(capf_msg_get_str(&m, CAPF_TAG_DEVICE_NAME, out, 16),
			 CAPF_MSG_OK);
}

static void test_certificate_element_has_five_byte_prefix(void **state)
{
	const uint8_t der[] = {0x30, 0x03, 0x02, 0x01, 0x05};
	uint8_t buf[64], type;
	struct capf_build b;
	struct capf_msg m;
	const struct capf_elem *e;
	const uint8_t *d;
	size_t len, dlen;

	(void)state;
	capf_build_begin(&b, buf, sizeof buf, CAPF_CMD_STORE_CERT_REQ, 7);
	capf_build_u8(&b, CAPF_TAG_CERT_TYPE, CAPF_CERT_LSC);
	capf_build_cert(&b, CAPF_CERT_LSC, der, sizeof der);
	assert_int_equal(capf_build_end(&b, &len), 0);
	assert_int_equal(len, 8 + 4 + 3 + 5 + sizeof der);
	/* the element as bytes: tag 4, length 10, 01 00 07 00 01, DER */
	const uint8_t want[] = {4, 0, 10, 0x01, 0x00, 0x07, 0x00, 0x01};
	assert_memory_equal(buf + 12, want, sizeof want);
	assert_memory_equal(buf + 20, der, sizeof der);

	assert_int_equal(capf_msg_parse(buf, len, &m), 0);
	e = capf_msg_find(&m, CAPF_TAG_CERT);
	assert_non_null(e);
	assert_int_equal(capf_cert_elem_parse(e->val, e->len, &type, &d, &dlen),
			 0);
	assert_int_equal(type, CAPF_CERT_LSC);
	assert_int_equal(dlen, sizeof der);
	assert_memory_equal(d, der, sizeof der);
	/* a prefix whose length disagrees is refused */
	buf[17] = 0x08;
	assert_int_equal(capf_cert_elem_parse(e->val, e->len, &type, &d, &dlen),
			 CAPF_MSG_EVALUE);
	buf[17] = 0x07;
	buf[15] = 0x02;
	assert_int_equal(capf_cert_elem_parse(e->val, e->len, &type, &d, &dlen),
			 CAPF_MSG_EVALUE);
}

static void test_sha2_signed_data_layout(void **state)
{
	const uint8_t val[] = {3, 0, 3, 0xaa, 0xbb, 0xcc};
	const uint8_t bad[] = {3, 0, 4, 0xaa, 0xbb, 0xcc};
	const uint8_t *sig;
	size_t n;
	uint8_t d;

	(void)state;
	assert_int_equal(capf_sha2_sig_parse(val, sizeof val, &d, &sig, &n), 0);
	assert_int_equal(d, CAPF_DIGEST_SHA512);
	assert_int_equal(n, 3);
	assert_int_equal(sig[0], 0xaa);
	assert_int_equal(capf_sha2_sig_parse(bad, sizeof bad, &d, &sig, &n),
			 CAPF_MSG_EVALUE);
	assert_int_equal(capf_sha2_sig_parse(val, 3, &d, &sig, &n),
			 CAPF_MSG_EVALUE);
}

static void test_built_auth_request_matches_wire_bytes(void **state)
{
	const uint8_t want[] = {85, 1, 0, 0, 0, 42, 0, 8,
				7,  0, 1, 3, 8, 0,  1, 1};
	uint8_t buf[64];
	struct capf_build b;
	size_t len;

	(void)state;
	capf_build_begin(&b, buf, sizeof buf, CAPF_CMD_AUTH_REQ, 42);
	capf_build_u8(&b, CAPF_TAG_VERSION, CAPF_VERSION);
	capf_build_u8(&b, CAPF_TAG_AUTH_TYPE, CAPF_AUTH_PASSWORD);
	assert_int_equal(capf_build_end(&b, &len), 0);
	assert_int_equal(len, sizeof want);
	assert_memory_equal(buf, want, sizeof want);
}

static void
test_builder_failure_sticks_and_writes_nothing_past_cap(void **state)
{
	uint8_t buf[20];
	struct capf_build b;
	size_t len;

	(void)state;
	memset(buf, 0xee, sizeof buf);
	capf_build_begin(&b, buf, 16, CAPF_CMD_END_SESSION, 1);
	capf_build_str(&b, CAPF_TAG_REASON_INFO, "far too long text");
	capf_build_u8(&b, CAPF_TAG_REASON, 0); /* would fit, but too late */
	assert_int_equal(capf_build_end(&b, &len), CAPF_MSG_ENOSPACE);
	assert_int_equal(len, 0);
	for (size_t i = 8; i < sizeof buf; i++)
		assert_int_equal(buf[i], 0xee);
}

static void test_builder_caps_body_at_protocol_limit(void **state)
{
	static uint8_t buf[CAPF_MSG_MAX + 100];
	static uint8_t big[CAPF_BODY_MAX];
	struct capf_build b;
	size_t len;

	(void)state;
	capf_build_begin(&b, buf, sizeof buf, CAPF_CMD_STORE_CERT_REQ, 1);
	capf_build_add(&b, CAPF_TAG_SUDI_DATA, big, sizeof big);
	assert_int_equal(capf_build_end(&b, &len), CAPF_MSG_ENOSPACE);
	capf_build_begin(&b, buf, sizeof buf, CAPF_CMD_STORE_CERT_REQ, 1);
	capf_build_add(&b, CAPF_TAG_SUDI_DATA, big, sizeof big - 3);
	assert_int_equal(capf_build_end(&b, &len), 0);
	assert_int_equal(len, CAPF_MSG_MAX);
}

static void test_names_commands_and_errors(void **state)
{
	(void)state;
	assert_string_equal(capf_cmd_name(CAPF_CMD_END_SESSION), "end-session");
	assert_string_equal(capf_cmd_name(8), "unknown");
	assert_string_equal(capf_cmd_name(200), "unknown");
	assert_string_equal(capf_msg_strerror(CAPF_MSG_ETAG),
			    "unknown element tag");
	assert_string_equal(capf_msg_strerror(999), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parses_auth_response_from_a_phone),
	    cmocka_unit_test(test_frame_waits_for_header_then_gives_total),
	    cmocka_unit_test(test_frame_refuses_other_protocol_at_first_byte),
	    cmocka_unit_test(test_frame_refuses_oversized_body),
	    cmocka_unit_test(test_truncated_message_is_refused_at_every_length),
	    cmocka_unit_test(test_element_running_past_body_is_refused),
	    cmocka_unit_test(test_unknown_tag_is_refused),
	    cmocka_unit_test(test_repeated_tag_is_refused),
	    cmocka_unit_test(test_fixed_size_element_of_wrong_size_is_refused),
	    cmocka_unit_test(test_trailing_bytes_after_the_body_are_refused),
	    cmocka_unit_test(test_string_elements_must_be_printable),
	    cmocka_unit_test(test_certificate_element_has_five_byte_prefix),
	    cmocka_unit_test(test_sha2_signed_data_layout),
	    cmocka_unit_test(test_built_auth_request_matches_wire_bytes),
	    cmocka_unit_test(
		test_builder_failure_sticks_and_writes_nothing_past_cap),
	    cmocka_unit_test(test_builder_caps_body_at_protocol_limit),
	    cmocka_unit_test(test_names_commands_and_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
