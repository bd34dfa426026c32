/* sdp: what phones send parses into the fields the media path needs, what
 * ward writes parses back the same, and broken or oversized descriptions
 * are refused with a reason that never quotes their (key-bearing) text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sdp/sdp.h"

/* An offer as baresip sends it with mediaenc=srtp-mand. */
static const char baresip_offer[] =
    "v=0\r\n"
    "o=- 1837 2921 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "m=audio 10000 RTP/SAVP 0 8 101\r\n"
    "b=AS:64\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=rtcp-mux\r\n"
    "a=sendrecv\r\n"
    "a=ptime:20\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
    "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd\r\n";

static struct sdp_session *parse_ok(const char *text)
{
	struct sdp_session *s = calloc(1, sizeof *s);
	char err[128] = "";

	assert_non_null(s);
	assert_int_equal(sdp_parse(text, strlen(text), s, err, sizeof err),
			 SDP_OK);
	return s;
}

static int parse_rc(const char *text)
{
	struct sdp_session *s = calloc(1, sizeof *s);
	int rc;

	assert_non_null(s);
	rc = sdp_parse(text, strlen(text), s, NULL, 0);
	free(s);
	return rc;
}

static void test_sdp_parses_a_phone_offer(void **state)
{
	struct sdp_session *s = parse_ok(baresip_offer);
	const struct sdp_media *m = &s->media[0];

	(void)state;
	assert_string_equal(s->origin_user, "-");
	assert_int_equal(s->sess_id, 1837);
	assert_int_equal(s->sess_version, 2921);
	assert_string_equal(s->origin.addr, "127.0.0.1");
	assert_int_equal(s->nmedia, 1);
	assert_string_equal(m->type, "audio");
	assert_int_equal(m->port, 10000);
	assert_string_equal(m->proto, "RTP/SAVP");
	assert_int_equal(m->nfmt, 3);
	assert_int_equal(m->fmt[2], 101);
	assert_int_equal(m->nrtpmap, 3);
	assert_string_equal(m->rtpmap[1].encoding, "PCMA");
	assert_int_equal(m->rtpmap[1].clock, 8000);
	assert_int_equal(m->dir, SDP_DIR_SENDRECV);
	assert_true(m->rtcp_mux);
	assert_int_equal(m->ptime, 20);
	assert_int_equal(m->ncrypto, 1);
	assert_string_equal(m->crypto[0],
			    "1 AES_CM_128_HMAC_SHA1_80 "
			    "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd");
	assert_string_equal(sdp_media_conn(s, 0)->addr, "127.0.0.1");
	sdp_session_wipe(s);
	assert_int_equal(s->media[0].crypto[0][0], 0);
	free(s);
}

static void test_sdp_media_level_connection_and_direction_win(void **state)
{
	struct sdp_session *s = parse_ok("v=0\n"
					 "o=alice 1 1 IN IP6 ::1\n"
					 "s=call\n"
					 "c=IN IP4 192.0.2.1\n"
					 "t=0 0\n"
					 "a=sendonly\n"
					 "m=audio 4000 RTP/AVP 0\n"
					 "m=audio 4002 RTP/AVP 8\n"
					 "c=IN IP6 2001:db8::2\n"
					 "a=inactive\n"
					 "m=video 0 RTP/AVP 96\n"
					 "a=rtpmap:96 H264/90000\n");

	(void)state;
	assert_int_equal(s->nmedia, 3);
	assert_int_equal(s->origin.type, SDP_ADDR_IP6);
	assert_int_equal(s->media[0].dir, SDP_DIR_SENDONLY);
	assert_string_equal(sdp_media_conn(s, 0)->addr, "192.0.2.1");
	assert_int_equal(s->media[1].dir, SDP_DIR_INACTIVE);
	assert_int_equal(sdp_media_conn(s, 1)->type, SDP_ADDR_IP6);
	assert_string_equal(sdp_media_conn(s, 1)->addr, "2001:db8::2");
	assert_int_equal(s->media[2].port, 0);
	assert_int_equal(s->media[2].rtpmap[0].clock, 90000);
	assert_null(sdp_media_conn(s, 3));
	free(s);
}

static void test_sdp_write_parses_back_to_the_same_fields(void **state)
{
	struct sdp_session *a = parse_ok(baresip_offer), *b;
	char buf[SDP_MAX_LEN];
	size_t len = 0;

	(void)state;
	a->media[0].dir = SDP_DIR_RECVONLY;
	a->media[0].port = 20000;
	assert_int_equal(sdp_write(a, buf, sizeof buf, &len), SDP_OK);
	assert_int_equal(strlen(buf), len);
	assert_non_null(strstr(buf, "a=recvonly\r\n"));
	b = parse_ok(buf);
	assert_int_equal(b->sess_id, a->sess_id);
	assert_int_equal(b->nmedia, 1);
	assert_int_equal(b->media[0].port, 20000);
	assert_int_equal(b->media[0].dir, SDP_DIR_RECVONLY);
	assert_int_equal(b->media[0].nfmt, a->media[0].nfmt);
	assert_memory_equal(b->media[0].fmt, a->media[0].fmt,
			    sizeof a->media[0].fmt);
	assert_memory_equal(b->media[0].rtpmap, a->media[0].rtpmap,
			    sizeof a->media[0].rtpmap);
	assert_int_equal(b->media[0].rtcp_mux, 1);
	assert_int_equal(b->media[0].ptime, 20);
	assert_string_equal(b->media[0].crypto[0], a->media[0].crypto[0]);
	free(a);
	free(b);
}

static void test_sdp_write_refuses_a_small_buffer_and_wipes_it(void **state)
{
	struct sdp_session *a = parse_ok(baresip_offer);
	char buf[200];

	(void)state;
	memset(buf, 'x', sizeof buf);
	assert_int_equal(sdp_write(a, buf, sizeof buf, NULL), SDP_ESPACE);
	for (size_t i = 0; i < sizeof buf; i++)
		assert_int_equal(buf[i], 0);
	strcpy(a->media[0].crypto[0], "1 X\r\na=evil");
	assert_int_equal(sdp_write(a, buf, sizeof buf, NULL), SDP_ERANGE);
	free(a);
}

static void test_sdp_refuses_lines_out_of_order(void **state)
{
	(void)state;
	assert_int_equal(parse_rc("o=- 1 1 IN IP4 1.2.3.4\nv=0\ns=-\nt=0 0\n"),
			 SDP_EORDER);
	assert_int_equal(parse_rc("v=0\ns=-\no=- 1 1 IN IP4 1.2.3.4\nt=0 0\n"),
			 SDP_EORDER);
	/* m= before t= */
	assert_int_equal(parse_rc("v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\n"
				  "c=IN IP4 1.2.3.4\nm=audio 1 RTP/AVP 0\n"
				  "t=0 0\n"),
			 SDP_EORDER);
	/* no t= at all */
	assert_int_equal(parse_rc("v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\n"),
			 SDP_EORDER);
	assert_int_equal(parse_rc(""), SDP_EORDER);
	assert_int_equal(parse_rc("v=1\no=- 1 1 IN IP4 1.2.3.4\ns=-\nt=0 0\n"),
			 SDP_ERANGE);
}

static void test_sdp_refuses_media_without_a_connection(void **state)
{
	(void)state;
	assert_int_equal(parse_rc("v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nt=0 0\n"
				  "m=audio 4000 RTP/AVP 0\n"),
			 SDP_ENOCONN);
	/* a refused stream (port 0) needs none */
	assert_int_equal(parse_rc("v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nt=0 0\n"
				  "m=audio 0 RTP/AVP 0\n"),
			 SDP_OK);
}

static void test_sdp_refuses_bad_values(void **state)
{
	const char *head = "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\n"
			   "c=IN IP4 1.2.3.4\nt=0 0\n";
	const char *bad[] = {
	    "m=audio 65536 RTP/AVP 0\n",
	    "m=audio 4000 RTP/AVP 128\n",
	    "m=audio 4000 RTP/AVP x\n",
	    "m=audio 4000 RTP/AVP\n",
	    "m=audio 4000 RTP/AVP 0\nc=IN IP4 host.example\n",
	    "m=audio 4000 RTP/AVP 0\nc=IN IP4 224.2.1.1/127\n",
	    "m=audio 4000 RTP/AVP 0\nc=IN IP4 ::1\n",
	    "m=audio 4000 RTP/AVP 0\nc=IN IP4 1.2.3.4\nc=IN IP4 1.2.3.5\n",
	    "m=audio 4000 RTP/AVP 0\na=rtpmap:0 PCMU\n",
	    "m=audio 4000 RTP/AVP 0\na=rtpmap:0 PCMU/0\n",
	    "m=audio 4000 RTP/AVP 0\na=rtpmap:0 PCMU/8000\n"
	    "a=rtpmap:0 PCMA/8000\n",
	    "m=audio 4000 RTP/AVP 0\na=sendonly\na=recvonly\n",
	    "m=audio 4000 RTP/AVP 0\na=rtcp-mux:1\n",
	    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x\n",
	    "m=audio 4000 RTP/AVP 0\nA=sendonly\n",
	    "m=audio 4000 RTP/AVP 0\nasendonly\n",
	    "m=audio 4000 RTP/AVP 0\na=ptime:x\n",
	};
	char text[512];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		snprintf(text, sizeof text, "%s%s", head, bad[i]);
		if (parse_rc(text) == SDP_OK)
			fail_msg("accepted: %s", bad[i]);
	}
}

static void test_sdp_refuses_control_bytes_and_nul(void **state)
{
	char text[] = "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=a\001b\nt=0 0\n";
	char withnul[] = "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=ab\nt=0 0\n";
	struct sdp_session *s = calloc(1, sizeof *s);

	(void)state;
	assert_int_equal(parse_rc(text), SDP_ESYNTAX);
	withnul[strlen("v=0\no=- 1 1 IN IP4 1.2.3.4\ns=a")] = '\0';
	assert_int_equal(sdp_parse(withnul, sizeof withnul - 1, s, NULL, 0),
			 SDP_ESYNTAX);
	free(s);
}

static void test_sdp_bounds_size_and_counts(void **state)
{
	char *big = malloc(SDP_MAX_LEN + 2);
	char text[4096];
	size_t n;

	(void)state;
	memset(big, 'x', SDP_MAX_LEN + 1);
	big[SDP_MAX_LEN + 1] = '\0';
	assert_int_equal(parse_rc(big), SDP_ETOOBIG);
	free(big);
	n = (size_t)snprintf(text, sizeof text,
			     "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\n"
			     "c=IN IP4 1.2.3.4\nt=0 0\n");
	for (int i = 0; i <= SDP_MAX_MEDIA; i++)
		n += (size_t)snprintf(text + n, sizeof text - n,
				      "m=audio %d RTP/AVP 0\n", 4000 + 2 * i);
	assert_int_equal(parse_rc(text), SDP_ETOOMANY);
	n = (size_t)snprintf(
	    text, sizeof text,
	    "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\n"
	    "c=IN IP4 1.2.3.4\nt=0 0\nm=audio 4000 RTP/AVP 0\n");
	for (int i = 0; i <= SDP_MAX_CRYPTO; i++)
		n += (size_t)snprintf(text + n, sizeof text - n,
				      "a=crypto:%d X inline:y\n", i + 1);
	assert_int_equal(parse_rc(text), SDP_ETOOMANY);
}

static void test_sdp_error_names_the_line_not_its_text(void **state)
{
	const char text[] =
	    "v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\n"
	    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:SECRETSECRET\n";
	struct sdp_session *s = calloc(1, sizeof *s);
	char err[256] = "";

	(void)state;
	assert_int_equal(sdp_parse(text, strlen(text), s, err, sizeof err),
			 SDP_ESYNTAX);
	assert_non_null(strstr(err, "line 6"));
	assert_null(strstr(err, "SECRET"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sdp_parses_a_phone_offer),
	    cmocka_unit_test(test_sdp_media_level_connection_and_direction_win),
	    cmocka_unit_test(test_sdp_write_parses_back_to_the_same_fields),
	    cmocka_unit_test(
		test_sdp_write_refuses_a_small_buffer_and_wipes_it),
	    cmocka_unit_test(test_sdp_refuses_lines_out_of_order),
	    cmocka_unit_test(test_sdp_refuses_media_without_a_connection),
	    cmocka_unit_test(test_sdp_refuses_bad_values),
	    cmocka_unit_test(test_sdp_refuses_control_bytes_and_nul),
	    cmocka_unit_test(test_sdp_bounds_size_and_counts),
	    cmocka_unit_test(test_sdp_error_names_the_line_not_its_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
