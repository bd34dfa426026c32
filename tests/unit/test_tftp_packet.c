/* test_tftp_packet: the TFTP wire format and the send side of a transfer,
 * as traces of what a client sends and what the server answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node/tftp/tftp_packet.h"

/* A request built from NUL-separated parts: "\0\1" "name\0octet\0..". */
static size_t req(uint8_t *buf, uint16_t op, const char *parts, size_t plen)
{
	buf[0] = (uint8_t)(op >> 8);
	buf[1] = (uint8_t)op;
	memcpy(buf + 2, parts, plen);
	return 2 + plen;
}

#define REQ(buf, op, lit) req(buf, op, lit, sizeof(lit) - 1)

static enum tftp_parse parse(const uint8_t *buf, size_t n,
			     struct tftp_request *r, enum tftp_error *err,
			     const char **why)
{
	return tftp_request_parse(buf, n, r, err, why);
}

static void test_rrq_without_options_uses_defaults(void **state)
{
	uint8_t b[512];
	struct tftp_request r;
	enum tftp_error err;
	const char *why;
	size_t n = REQ(b, TFTP_OP_RRQ, "CTLFile.tlv\0octet\0");

	assert_int_equal(parse(b, n, &r, &err, &why), TFTP_PARSE_OK);
	assert_int_equal(r.opcode, TFTP_OP_RRQ);
	assert_string_equal(r.name, "CTLFile.tlv");
	assert_int_equal(r.netascii, 0);
	assert_int_equal(r.opts, 0);
	assert_int_equal(r.blksize, 512);
	assert_int_equal(r.windowsize, 1);
}

static void test_rrq_options_are_case_insensitive_and_clamped(void **state)
{
	uint8_t b[512];
	struct tftp_request r;
	enum tftp_error err;
	const char *why;
	size_t n = REQ(b, TFTP_OP_RRQ,
		       "a\0OCTET\0BLKSIZE\0"
		       "99999\0tsize\0"
		       "0\0"
		       "Timeout\0"
		       "3\0windowsize\0"
		       "500\0x-unknown\0y\0");

	assert_int_equal(parse(b, n, &r, &err, &why), TFTP_PARSE_OK);
	assert_int_equal(r.opts, TFTP_OPT_BLKSIZE | TFTP_OPT_TSIZE |
				     TFTP_OPT_TIMEOUT | TFTP_OPT_WINDOWSIZE);
	assert_int_equal(r.blksize, TFTP_BLKSIZE_MAX);
	assert_int_equal(r.timeout_s, 3);
	assert_int_equal(r.windowsize, TFTP_WINDOW_MAX);
}

static void test_rrq_invalid_option_values_are_not_acknowledged(void **state)
{
	uint8_t b[512];
	struct tftp_request r;
	enum tftp_error err;
	const char *why;
	size_t n = REQ(b, TFTP_OP_RRQ,
		       "a\0octet\0blksize\0"
		       "7\0timeout\0"
		       "0\0"
		       "windowsize\0"
		       "0\0tsize\0-1\0blksize\0"
		       "99999999999"
		       "999999999999\0");

	assert_int_equal(parse(b, n, &r, &err, &why), TFTP_PARSE_OK);
	assert_int_equal(r.opts, 0);
	assert_int_equal(r.blksize, 512);
}

static void test_netascii_mode_is_accepted_and_mail_refused(void **state)
{
	uint8_t b[512];
	struct tftp_request r;
	enum tftp_error err;
	const char *why;
	size_t n = REQ(b, TFTP_OP_RRQ, "a\0NetAscii\0");

	assert_int_equal(parse(b, n, &r, &err, &why), TFTP_PARSE_OK);
	assert_int_equal(r.netascii, 1);
	n = REQ(b, TFTP_OP_RRQ, "a\0mail\0");
	assert_int_equal(parse(b, n, &r, &err, &why), TFTP_PARSE_REFUSE);
	assert_int_equal(err, TFTP_ERR_ILLEGAL_OP);
}

static void test_truncated_requests_are_refused(void **state)
{
	uint8_t b[512];
	struct tftp_request r;
	enum tftp_error err;
	const char *why;

	/* no NUL after the name, no mode, a dangling option */
	assert_int_equal(parse(b, REQ(b, TFTP_OP_RRQ, "abc"), &r, &err, &why),
			 TFTP_PARSE_REFUSE);
	assert_int_equal(parse(b, REQ(b, TFTP_OP_RRQ, "abc\0"), &r, &err, &why),
			 TFTP_PARSE_REFUSE);
	assert_int_equal(parse(b, REQ(b, TFTP_OP_RRQ, "abc\0octet\0blksize\0"),
			       &r, &err, &why),
			 TFTP_PARSE_REFUSE);
	assert_int_equal(
	    parse(b, REQ(b, TFTP_OP_RRQ, "abc\0octet\0x"), &r, &err, &why),
	    TFTP_PARSE_REFUSE);
}

static void test_non_requests_on_the_server_port_are_dropped(void **state)
{
	uint8_t b[8] = {0, TFTP_OP_ACK, 0, 1};
	struct tftp_request r;
	enum tftp_error err;
	const char *why;

	assert_int_equal(parse(b, 4, &r, &err, &why), TFTP_PARSE_DROP);
	b[1] = TFTP_OP_ERROR;
	assert_int_equal(parse(b, 4, &r, &err, &why), TFTP_PARSE_DROP);
	b[1] = 99;
	assert_int_equal(parse(b, 4, &r, &err, &why), TFTP_PARSE_DROP);
	assert_int_equal(parse(b, 1, &r, &err, &why), TFTP_PARSE_DROP);
	assert_int_equal(parse(b, 0, &r, &err, &why), TFTP_PARSE_DROP);
}

static void test_oversized_request_is_refused(void **state)
{
	uint8_t *b = malloc(4096);
	struct tftp_request r;
	enum tftp_error err;
	const char *why;

	memset(b, 'a', 4096);
	b[0] = 0;
	b[1] = TFTP_OP_RRQ;
	b[4095] = 0;
	assert_int_equal(parse(b, 4096, &r, &err, &why), TFTP_PARSE_REFUSE);
	/* a name over TFTP_NAME_MAX inside a request of legal size */
	memset(b + 2, 'a', 300);
	memcpy(b + 302, "\0octet\0", 7);
	assert_int_equal(parse(b, 309, &r, &err, &why), TFTP_PARSE_REFUSE);
	assert_int_equal(err, TFTP_ERR_NOT_FOUND);
	free(b);
}

static void test_wrq_parses_for_the_server_to_refuse(void **state)
{
	uint8_t b[64];
	struct tftp_request r;
	enum tftp_error err;
	const char *why;
	size_t n = REQ(b, TFTP_OP_WRQ, "x\0octet\0");

	assert_int_equal(parse(b, n, &r, &err, &why), TFTP_PARSE_OK);
	assert_int_equal(r.opcode, TFTP_OP_WRQ);
}

static void test_names_outside_the_file_table_are_invalid(void **state)
{
	assert_true(tftp_name_valid("SEP001122334455.cnf.xml.sgn"));
	assert_true(tftp_name_valid("English_United_States/mk-sccp.jar"));
	assert_false(tftp_name_valid(""));
	assert_false(tftp_name_valid("../etc/passwd"));
	assert_false(tftp_name_valid("a/../b"));
	assert_false(tftp_name_valid("/etc/passwd"));
	assert_false(tftp_name_valid("a//b"));
	assert_false(tftp_name_valid("a/"));
	assert_false(tftp_name_valid(".hidden"));
	assert_false(tftp_name_valid("a\\b"));
	assert_false(tftp_name_valid("a b"));
	assert_false(tftp_name_valid("a\x01"));
	assert_false(tftp_name_valid("C:x"));
}

static void test_oack_lists_acknowledged_options(void **state)
{
	struct tftp_request r = {
	    .blksize = 1428, .timeout_s = 2, .windowsize = 8};
	uint8_t b[128];
	size_t n = tftp_build_oack(
	    b, sizeof b, &r,
	    TFTP_OPT_BLKSIZE | TFTP_OPT_TSIZE | TFTP_OPT_WINDOWSIZE, 123456);
	static const char want[] = "\0\6blksize\0"
				   "1428\0tsize\0"
				   "123456\0"
				   "windowsize\0"
				   "8";

	assert_int_equal(n, sizeof want);
	assert_memory_equal(b, want, sizeof want);
	assert_int_equal(tftp_build_oack(b, 10, &r, TFTP_OPT_TSIZE, 1), 10);
	assert_int_equal(tftp_build_oack(b, 9, &r, TFTP_OPT_TSIZE, 1), 0);
}

static void test_error_packet_is_terminated(void **state)
{
	uint8_t b[64];
	size_t n = tftp_build_error(b, sizeof b, TFTP_ERR_NOT_FOUND, "nope");

	assert_int_equal(n, 9);
	assert_memory_equal(b, "\0\5\0\1nope\0", 9);
	assert_int_equal(tftp_build_error(b, 8, TFTP_ERR_NOT_FOUND, "nope"), 0);
}

/* ---- transfers --------------------------------------------------------- */

static uint8_t file[3000];
static uint8_t out[TFTP_PACKET_MAX];

static struct tftp_request rrq(unsigned opts, unsigned blksize, unsigned window)
{
	struct tftp_request r = {.opcode = TFTP_OP_RRQ,
				 .opts = opts,
				 .blksize = blksize,
				 .windowsize = window};
	strcpy(r.name, "f");
	return r;
}

static enum tftp_xfer_state ack(struct tftp_xfer *x, uint16_t block,
				int *progress)
{
	struct tftp_reply r = {.opcode = TFTP_OP_ACK, .block = block};

	return tftp_xfer_on_reply(x, &r, progress);
}

static uint16_t block_of(const uint8_t *p)
{
	return (uint16_t)(p[2] << 8 | p[3]);
}

static void test_plain_read_sends_lockstep_blocks(void **state)
{
	struct tftp_request r = rrq(0, 0, 0);
	struct tftp_xfer x;
	int p;

	for (size_t i = 0; i < sizeof file; i++)
		file[i] = (uint8_t)i;
	tftp_xfer_init(&x, &r, file, 1024, 1000, 3);
	/* 1024 = 2 full blocks and an empty third one */
	assert_int_equal(x.nblocks, 3);
	assert_int_equal(tftp_xfer_next(&x, out, sizeof out), 4 + 512);
	assert_int_equal(block_of(out), 1);
	assert_memory_equal(out + 4, file, 512);
	assert_int_equal(tftp_xfer_next(&x, out, sizeof out), 0);
	assert_int_equal(ack(&x, 1, &p), TFTP_XFER_SENDING);
	assert_int_equal(p, 1);
	assert_int_equal(tftp_xfer_next(&x, out, sizeof out), 4 + 512);
	assert_int_equal(block_of(out), 2);
	assert_int_equal(ack(&x, 2, &p), TFTP_XFER_SENDING);
	assert_int_equal(tftp_xfer_next(&x, out, sizeof out), 4);
	assert_int_equal(block_of(out), 3);
	assert_int_equal(ack(&x, 3, &p), TFTP_XFER_DONE);
}

static void test_duplicate_ack_does_not_resend(void **state)
{
	struct tftp_request r = rrq(0, 0, 0);
	struct tftp_xfer x;
	int p;

	tftp_xfer_init(&x, &r, file, 2000, 1000, 3);
	tftp_xfer_next(&x, out, sizeof out);
	ack(&x, 1, &p);
	tftp_xfer_next(&x, out, sizeof out);
	assert_int_equal(ack(&x, 1, &p), TFTP_XFER_SENDING);
	assert_int_equal(p, 0);
	assert_int_equal(tftp_xfer_next(&x, out, sizeof out), 0);
	/* an ACK for a block never sent changes nothing */
	assert_int_equal(ack(&x, 9, &p), TFTP_XFER_SENDING);
	assert_int_equal(p, 0);
}

static void test_options_wait_for_ack_zero(void **state)
{
	struct tftp_request r = rrq(TFTP_OPT_BLKSIZE | TFTP_OPT_TSIZE, 1000, 1);
	struct tftp_xfer x;
	size_t n;
	int p;

	tftp_xfer_init(&x, &r, file, 2500, 1000, 3);
	n = tftp_xfer_next(&x, out, sizeof out);
	assert_true(n > 2);
	assert_int_equal(out[1], TFTP_OP_OACK);
	assert_memory_equal(out + 2,
			    "blksize\0"
			    "1000\0tsize\0"
			    "2500",
			    n - 2);
	assert_int_equal(tftp_xfer_next(&x, out, sizeof out), 0);
	/* timeout before ACK 0: the OACK again */
	assert_int_equal(tftp_xfer_on_timeout(&x), TFTP_XFER_SENDING);
	memset(out, 0, 4);
	n = tftp_xfer_next(&x, out, sizeof out);
	assert_int_equal(out[1], TFTP_OP_OACK);
	assert_int_equal(ack(&x, 0, &p), TFTP_XFER_SENDING);
	assert_int_equal(p, 1);
	assert_int_equal(tftp_xfer_next(&x, out, sizeof out), 4 + 1000);
	assert_int_equal(block_of(out), 1);
}

static void test_window_sends_a_burst_and_goes_back_on_partial_ack(void **state)
{
	struct tftp_request r = rrq(TFTP_OPT_WINDOWSIZE, 0, 4);
	struct tftp_xfer x;
	int p;

	tftp_xfer_init(&x, &r, file, 3000, 1000, 3); /* 5 blocks + 1 short */
	tftp_xfer_next(&x, out, sizeof out);	     /* OACK */
	ack(&x, 0, &p);
	for (int i = 1; i <= 4; i++) {
		assert_int_equal(tftp_xfer_next(&x, out, sizeof out), 516);
		assert_int_equal(block_of(out), i);
	}
	assert_int_equal(tftp_xfer_next(&x, out, sizeof out), 0);
	/* block 3 was lost: the client acks 2 */
	assert_int_equal(ack(&x, 2, &p), TFTP_XFER_SENDING);
	assert_int_equal(p, 1);
	for (int i = 3; i <= 5; i++) {
		assert_int_equal(tftp_xfer_next(&x, out, sizeof out), 516);
		assert_int_equal(block_of(out), i);
	}
	assert_int_equal(tftp_xfer_next(&x, out, sizeof out), 4 + 3000 - 2560);
	assert_int_equal(block_of(out), 6);
	assert_int_equal(tftp_xfer_next(&x, out, sizeof out), 0);
	assert_int_equal(ack(&x, 6, &p), TFTP_XFER_DONE);
}

static void test_timeouts_back_off_then_give_up(void **state)
{
	struct tftp_request r = rrq(0, 0, 0);
	struct tftp_xfer x;
	int p;

	tftp_xfer_init(&x, &r, file, 1000, 500, 4);
	tftp_xfer_next(&x, out, sizeof out);
	ack(&x, 1, &p); /* a client that answers */
	assert_int_equal(tftp_xfer_next(&x, out, sizeof out), 4 + 488);
	assert_int_equal(tftp_xfer_wait_ms(&x), 500);
	assert_int_equal(tftp_xfer_on_timeout(&x), TFTP_XFER_SENDING);
	assert_int_equal(tftp_xfer_wait_ms(&x), 1000);
	/* the same block is sent again */
	assert_int_equal(tftp_xfer_next(&x, out, sizeof out), 4 + 488);
	assert_int_equal(block_of(out), 2);
	assert_int_equal(tftp_xfer_on_timeout(&x), TFTP_XFER_SENDING);
	assert_int_equal(tftp_xfer_on_timeout(&x), TFTP_XFER_SENDING);
	assert_int_equal(tftp_xfer_wait_ms(&x), 4000);
	assert_int_equal(tftp_xfer_on_timeout(&x), TFTP_XFER_SENDING);
	assert_int_equal(tftp_xfer_wait_ms(&x), 4000); /* capped at 8x */
	assert_int_equal(tftp_xfer_on_timeout(&x), TFTP_XFER_FAILED);
	assert_int_equal(tftp_xfer_next(&x, out, sizeof out), 0);
}

static void test_silent_client_is_given_up_sooner(void **state)
{
	struct tftp_request r = rrq(TFTP_OPT_TSIZE, 0, 0);
	struct tftp_xfer x;

	tftp_xfer_init(&x, &r, file, 1000, 500, 10);
	assert_true(tftp_xfer_next(&x, out, sizeof out) > 0); /* OACK */
	for (int i = 0; i < TFTP_FIRST_RETRIES; i++)
		assert_int_equal(tftp_xfer_on_timeout(&x), TFTP_XFER_SENDING);
	assert_int_equal(tftp_xfer_on_timeout(&x), TFTP_XFER_FAILED);
}

static void test_block_numbers_roll_over_past_65535(void **state)
{
	struct tftp_request r = rrq(TFTP_OPT_BLKSIZE, 8, 1);
	size_t len = 8 * 70000;
	uint8_t *big = calloc(1, len);
	struct tftp_xfer x;
	int p;

	tftp_xfer_init(&x, &r, big, len, 1000, 3);
	tftp_xfer_next(&x, out, sizeof out);
	ack(&x, 0, &p);
	for (uint64_t k = 1; k <= x.nblocks; k++) {
		assert_true(tftp_xfer_next(&x, out, sizeof out) > 0);
		assert_int_equal(block_of(out), (uint16_t)k);
		assert_int_equal(ack(&x, (uint16_t)k, &p),
				 k == x.nblocks ? TFTP_XFER_DONE
						: TFTP_XFER_SENDING);
		assert_int_equal(p, 1);
	}
	free(big);
}

static void test_client_error_ends_the_transfer(void **state)
{
	struct tftp_request r = rrq(TFTP_OPT_TSIZE, 0, 0);
	struct tftp_reply e = {.opcode = TFTP_OP_ERROR, .error = 8};
	struct tftp_xfer x;
	int p;

	tftp_xfer_init(&x, &r, file, 100, 1000, 3);
	tftp_xfer_next(&x, out, sizeof out);
	assert_int_equal(tftp_xfer_on_reply(&x, &e, &p), TFTP_XFER_FAILED);
}

static void test_reply_parser_takes_only_ack_and_error(void **state)
{
	struct tftp_reply r;
	uint8_t b[8] = {0, TFTP_OP_ACK, 1, 2};

	assert_int_equal(tftp_reply_parse(b, 4, &r), 0);
	assert_int_equal(r.block, 0x102);
	assert_int_equal(tftp_reply_parse(b, 3, &r), -1);
	b[1] = TFTP_OP_DATA;
	assert_int_equal(tftp_reply_parse(b, 4, &r), -1);
	b[1] = TFTP_OP_ERROR;
	assert_int_equal(tftp_reply_parse(b, 4, &r), 0);
	assert_int_equal(r.error, 0x102);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rrq_without_options_uses_defaults),
	    cmocka_unit_test(test_rrq_options_are_case_insensitive_and_clamped),
	    cmocka_unit_test(
		test_rrq_invalid_option_values_are_not_acknowledged),
	    cmocka_unit_test(test_netascii_mode_is_accepted_and_mail_refused),
	    cmocka_unit_test(test_truncated_requests_are_refused),
	    cmocka_unit_test(test_non_requests_on_the_server_port_are_dropped),
	    cmocka_unit_test(test_oversized_request_is_refused),
	    cmocka_unit_test(test_wrq_parses_for_the_server_to_refuse),
	    cmocka_unit_test(test_names_outside_the_file_table_are_invalid),
	    cmocka_unit_test(test_oack_lists_acknowledged_options),
	    cmocka_unit_test(test_error_packet_is_terminated),
	    cmocka_unit_test(test_plain_read_sends_lockstep_blocks),
	    cmocka_unit_test(test_duplicate_ack_does_not_resend),
	    cmocka_unit_test(test_options_wait_for_ack_zero),
	    cmocka_unit_test(
		test_window_sends_a_burst_and_goes_back_on_partial_ack),
	    cmocka_unit_test(test_timeouts_back_off_then_give_up),
	    cmocka_unit_test(test_silent_client_is_given_up_sooner),
	    cmocka_unit_test(test_block_numbers_roll_over_past_65535),
	    cmocka_unit_test(test_client_error_ends_the_transfer),
	    cmocka_unit_test(test_reply_parser_takes_only_ack_and_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
