/* The leg rule on SDP the B2BUA passes through without a media table:
 * keys only toward an encrypted-mode leg over TLS, the profile without
 * keys turned to RTP/AVP, bounds and odd input refused cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "node/sip/call.h"

static const char offer[] =
    "v=0\r\n"
    "o=- 1 1 IN IP4 192.0.2.1\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.1\r\n"
    "t=0 0\r\n"
    "m=audio 4000 RTP/SAVP 0\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
    "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";

static void test_keys_reach_an_encrypted_leg_unchanged(void **state)
{
	char out[1024];
	int had, n;

	(void)state;
	n = sip_call_sdp_filter(offer, strlen(offer), 1, out, sizeof out, &had);
	assert_int_equal(n, (int)strlen(offer));
	assert_string_equal(out, offer);
	assert_int_equal(had, 1);
}

static void test_keys_never_reach_another_leg(void **state)
{
	char out[1024];
	int had, n;

	(void)state;
	n = sip_call_sdp_filter(offer, strlen(offer), 0, out, sizeof out, &had);
	assert_true(n > 0);
	assert_int_equal(had, 1);
	assert_null(strstr(out, "crypto"));
	assert_null(strstr(out, "inline:"));
	assert_non_null(strstr(out, "m=audio 4000 RTP/AVP 0\r\n"));
	assert_non_null(strstr(out, "a=rtpmap:0 PCMU/8000\r\n"));
}

static void test_plain_sdp_passes_as_it_is(void **state)
{
	const char *sdp = "v=0\nm=audio 5000 RTP/AVP 8\na=rtpmap:8 PCMA/8000";
	char out[256];
	int had;

	(void)state;
	assert_int_equal(
	    sip_call_sdp_filter(sdp, strlen(sdp), 0, out, sizeof out, &had),
	    (int)strlen(sdp));
	assert_string_equal(out, sdp);
	assert_int_equal(had, 0);
}

static void test_small_buffer_or_nul_is_refused(void **state)
{
	char out[16];
	int had;

	(void)state;
	assert_int_equal(
	    sip_call_sdp_filter(offer, strlen(offer), 1, out, sizeof out, &had),
	    -1);
	assert_int_equal(
	    sip_call_sdp_filter("v=0\0x", 5, 1, out, sizeof out, &had), -1);
	assert_int_equal(sip_call_sdp_filter(offer, 0, 1, out, 0, &had), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keys_reach_an_encrypted_leg_unchanged),
	    cmocka_unit_test(test_keys_never_reach_another_leg),
	    cmocka_unit_test(test_plain_sdp_passes_as_it_is),
	    cmocka_unit_test(test_small_buffer_or_nul_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
