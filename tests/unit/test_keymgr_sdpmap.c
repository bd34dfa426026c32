/* sdpmap: ward's SDP toward each side of a relayed call — keys per
 * direction, only toward legs that may see them, RTP toward the others,
 * 488 where policy or the offer says so, ports kept across hold. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/rand.h>

#include "node/keymgr/sdpmap.h"

static const struct keymgr_leg enc = {KEYMGR_MODE_ENCRYPTED,
				      KEYMGR_TRANSPORT_TLS, 0, 0};
static const struct keymgr_leg auth = {KEYMGR_MODE_AUTHENTICATED,
				       KEYMGR_TRANSPORT_TLS, 0, 0};
static const struct keymgr_leg open_udp = {KEYMGR_MODE_NONSECURE,
					   KEYMGR_TRANSPORT_UDP, 0, 0};

struct fx {
	struct sdpmap_config cfg;
	struct keymgr *km;
	struct portpool *pool;
	struct sdpmap_call *call;
	struct sdp_session s; /* the last SDP ward wrote, parsed */
	char out[SDP_MAX_LEN];
	size_t out_len;
	char err[256];
};

static int setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof f);
	assert_int_equal(sdpmap_config_init(&f.cfg, "192.0.2.10"), 0);
	f.km = keymgr_new(0, NULL, 0);
	f.pool = portpool_new(30000, 30099);
	assert_non_null(f.km);
	assert_non_null(f.pool);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	sdpmap_call_free(f->call);
	f->call = NULL;
	/* a call gives back every port and key */
	assert_int_equal(portpool_used(f->pool), 0);
	assert_int_equal(keymgr_keys_in_use(f->km), 0);
	keymgr_free(f->km);
	portpool_free(f->pool);
	return 0;
}

/* A fresh a=crypto value of SUITE with TAG (a phone's sending key). */
static void phone_key(enum sdes_suite suite, unsigned tag, char *value,
		      size_t cap)
{
	struct sdes_crypto c = {.tag = tag, .suite = suite};

	c.key_len = sdes_suite_key_len(suite);
	c.salt_len = sdes_suite_salt_len(suite);
	RAND_bytes(c.key, (int)c.key_len);
	RAND_bytes(c.salt, (int)c.salt_len);
	assert_int_equal(sdes_format(&c, value, cap), SDES_OK);
	sdes_crypto_wipe(&c);
}

/* A phone's SDP: one audio stream at IP:PORT with PROTO, DIR and the
 * given a=crypto values (NULL-terminated). */
static size_t phone_sdp(char *buf, size_t cap, const char *ip, unsigned port,
			const char *proto, const char *dir,
			const char *const *crypto)
{
	int n = snprintf(buf, cap,
			 "v=0\r\no=phone 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 "
			 "%s\r\nt=0 0\r\nm=audio %u %s 0 8\r\n"
			 "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
			 "a=%s\r\n",
			 ip, ip, port, proto, dir);

	for (; crypto && *crypto; crypto++)
		n += snprintf(buf + n, cap - (size_t)n, "a=crypto:%s\r\n",
			      *crypto);
	return (size_t)n;
}

static void parse_out(struct fx *f)
{
	assert_int_equal(
	    sdp_parse(f->out, f->out_len, &f->s, f->err, sizeof f->err),
	    SDP_OK);
	assert_string_equal(f->s.conn.addr, "192.0.2.10");
}

/* The base64 key of an a=crypto value ("1 SUITE inline:KEY"). */
static const char *inline_of(const char *value)
{
	const char *p = strstr(value, "inline:");

	assert_non_null(p);
	return p + 7;
}

static int offer(struct fx *f, const struct keymgr_leg *a,
		 const struct keymgr_leg *b, int eor, const char *sdp)
{
	struct keymgr_leg legs[2] = {*a, *b};

	return sdpmap_offer(&f->cfg, f->km, f->pool, legs, eor, sdp,
			    strlen(sdp), f->out, sizeof f->out, &f->out_len,
			    &f->call, f->err, sizeof f->err);
}

static int answer(struct fx *f, const char *sdp, enum keymgr_level *level)
{
	return sdpmap_answer(f->call, sdp, strlen(sdp), f->out, sizeof f->out,
			     &f->out_len, level, f->err, sizeof f->err);
}

static void test_sdpmap_encrypted_both_sides_keys_per_direction(void **state)
{
	struct fx *f = *state;
	char ka[SDES_VALUE_MAX], kb[SDES_VALUE_MAX], sdp[2048];
	char ward_to_b[SDP_CRYPTO_MAX], ward_to_a[SDP_CRYPTO_MAX];
	const char *ca[] = {ka, NULL}, *cb[3] = {NULL, NULL, NULL};
	struct relay_leg_config legs[2];
	enum keymgr_level level;
	unsigned port_b, port_a;

	phone_key(SDES_AES_CM_128_HMAC_SHA1_80, 7, ka, sizeof ka);
	phone_sdp(sdp, sizeof sdp, "198.51.100.1", 4000, "RTP/SAVP", "sendrecv",
		  ca);
	assert_int_equal(offer(f, &enc, &enc, 0, sdp), 0);
	parse_out(f);
	assert_int_equal(f->s.nmedia, 1);
	assert_string_equal(f->s.media[0].proto, "RTP/SAVP");
	/* A's suite first, then the policy's others, a key each */
	assert_int_equal(f->s.media[0].ncrypto, 3);
	assert_true(
	    strncmp(f->s.media[0].crypto[1], "2 AEAD_AES_256_GCM ", 19) == 0);
	assert_true(
	    strncmp(f->s.media[0].crypto[2], "3 AEAD_AES_128_GCM ", 19) == 0);
	assert_string_not_equal(inline_of(f->s.media[0].crypto[1]),
				inline_of(f->s.media[0].crypto[0]));
	assert_true(f->s.media[0].rtcp_mux);
	port_b = f->s.media[0].port;
	assert_int_equal(port_b % 2, 0);
	snprintf(ward_to_b, sizeof ward_to_b, "%s", f->s.media[0].crypto[0]);
	assert_true(
	    strncmp(ward_to_b, "1 AES_CM_128_HMAC_SHA1_80 inline:", 33) == 0);
	/* B learns ward's key toward B, never A's own */
	assert_null(strstr(f->out, inline_of(ka)));
	assert_string_not_equal(inline_of(ward_to_b), inline_of(ka));

	phone_key(SDES_AES_CM_128_HMAC_SHA1_80, 1, kb, sizeof kb);
	cb[0] = kb;
	phone_sdp(sdp, sizeof sdp, "198.51.100.2", 5000, "RTP/SAVP", "sendrecv",
		  cb);
	assert_int_equal(answer(f, sdp, &level), 0);
	assert_int_equal(level, KEYMGR_LEVEL_ENCRYPTED);
	/* the keys of the lines B did not take are gone: four remain */
	assert_int_equal(keymgr_keys_in_use(f->km), 4);
	parse_out(f);
	port_a = f->s.media[0].port;
	assert_int_not_equal(port_a, port_b);
	assert_int_equal(f->s.media[0].ncrypto, 1);
	snprintf(ward_to_a, sizeof ward_to_a, "%s", f->s.media[0].crypto[0]);
	/* A's tag, A's suite, ward's own key toward A */
	assert_true(
	    strncmp(ward_to_a, "7 AES_CM_128_HMAC_SHA1_80 inline:", 33) == 0);
	assert_null(strstr(f->out, inline_of(kb)));
	assert_null(strstr(f->out, inline_of(ward_to_b)));
	assert_null(strstr(f->out, inline_of(ka)));
	/* four different keys: one per sender per leg */
	assert_string_not_equal(inline_of(ward_to_a), inline_of(ward_to_b));
	assert_string_not_equal(inline_of(ward_to_a), inline_of(kb));
	assert_string_not_equal(inline_of(ward_to_a), inline_of(ka));

	assert_true(sdpmap_stream_changed(f->call, 0));
	assert_int_equal(sdpmap_relay_legs(f->call, 0, legs), 1);
	assert_true(legs[0].srtp && legs[1].srtp);
	assert_int_equal(
	    ntohs(((struct sockaddr_in *)&legs[0].remote)->sin_port), 4000);
	assert_int_equal(
	    ntohs(((struct sockaddr_in *)&legs[1].remote)->sin_port), 5000);
	assert_int_equal(
	    ntohs(((struct sockaddr_in *)&legs[0].local)->sin_port), port_a);
	assert_int_equal(
	    ntohs(((struct sockaddr_in *)&legs[1].local)->sin_port), port_b);
	assert_int_equal(portpool_used(f->pool), 2);
}

static void test_sdpmap_nonsecure_side_gets_rtp_and_no_keys(void **state)
{
	struct fx *f = *state;
	char ka[SDES_VALUE_MAX], sdp[2048];
	const char *ca[] = {ka, NULL};
	struct relay_leg_config legs[2];
	enum keymgr_level level;

	phone_key(SDES_AEAD_AES_128_GCM, 1, ka, sizeof ka);
	phone_sdp(sdp, sizeof sdp, "198.51.100.1", 4000, "RTP/SAVP", "sendrecv",
		  ca);
	assert_int_equal(offer(f, &enc, &open_udp, 0, sdp), 0);
	parse_out(f);
	assert_string_equal(f->s.media[0].proto, "RTP/AVP");
	assert_int_equal(f->s.media[0].ncrypto, 0);
	assert_null(strstr(f->out, "crypto"));

	phone_sdp(sdp, sizeof sdp, "198.51.100.2", 5000, "RTP/AVP", "sendrecv",
		  NULL);
	assert_int_equal(answer(f, sdp, &level), 0);
	assert_int_equal(level, KEYMGR_LEVEL_NONSECURE);
	parse_out(f);
	/* A still gets SRTP (the bridge), with ward's key toward A */
	assert_string_equal(f->s.media[0].proto, "RTP/SAVP");
	assert_int_equal(f->s.media[0].ncrypto, 1);
	assert_int_equal(sdpmap_relay_legs(f->call, 0, legs), 1);
	assert_true(legs[0].srtp);
	assert_false(legs[1].srtp);
}

static void test_sdpmap_authenticated_leg_never_sees_keys(void **state)
{
	struct fx *f = *state;
	char ka[SDES_VALUE_MAX], sdp[2048];
	const char *ca[] = {ka, NULL};
	enum keymgr_level level;

	phone_key(SDES_AES_CM_128_HMAC_SHA1_80, 1, ka, sizeof ka);
	phone_sdp(sdp, sizeof sdp, "198.51.100.1", 4000, "RTP/SAVP", "sendrecv",
		  ca);
	assert_int_equal(offer(f, &enc, &auth, 0, sdp), 0);
	assert_null(strstr(f->out, "crypto"));
	phone_sdp(sdp, sizeof sdp, "198.51.100.2", 5000, "RTP/AVP", "sendrecv",
		  NULL);
	assert_int_equal(answer(f, sdp, &level), 0);
	assert_int_equal(level, KEYMGR_LEVEL_AUTHENTICATED);
}

static void test_sdpmap_best_effort_srtp_over_udp_falls_back(void **state)
{
	struct fx *f = *state;
	char ka[SDES_VALUE_MAX], sdp[2048];
	const char *ca[] = {ka, NULL};
	enum keymgr_level level;

	/* RTP/AVP with a=crypto from a leg that may not see keys: the key
	 * crossed in clear, ward treats the leg as RTP */
	phone_key(SDES_AES_CM_128_HMAC_SHA1_80, 1, ka, sizeof ka);
	phone_sdp(sdp, sizeof sdp, "198.51.100.1", 4000, "RTP/AVP", "sendrecv",
		  ca);
	assert_int_equal(offer(f, &open_udp, &open_udp, 0, sdp), 0);
	assert_null(strstr(f->out, "crypto"));
	phone_sdp(sdp, sizeof sdp, "198.51.100.2", 5000, "RTP/AVP", "sendrecv",
		  NULL);
	assert_int_equal(answer(f, sdp, &level), 0);
	assert_null(strstr(f->out, "crypto"));
	assert_int_equal(level, KEYMGR_LEVEL_NONSECURE);
}

static void test_sdpmap_encrypted_or_reject_refuses(void **state)
{
	struct fx *f = *state;
	char ka[SDES_VALUE_MAX], sdp[2048];
	const char *ca[] = {ka, NULL};

	phone_key(SDES_AES_CM_128_HMAC_SHA1_80, 1, ka, sizeof ka);
	phone_sdp(sdp, sizeof sdp, "198.51.100.1", 4000, "RTP/SAVP", "sendrecv",
		  ca);
	assert_int_equal(offer(f, &enc, &open_udp, 1, sdp), 488);
	assert_null(f->call);
	assert_int_equal(f->out_len, 0);
	assert_int_equal(portpool_used(f->pool), 0);
	assert_int_equal(keymgr_keys_in_use(f->km), 0);
	assert_non_null(strstr(f->err, "encrypted or reject"));
}

static void test_sdpmap_bridge_refused_when_not_allowed(void **state)
{
	struct fx *f = *state;
	char ka[SDES_VALUE_MAX], sdp[2048];
	const char *ca[] = {ka, NULL};

	f->cfg.allow_bridge = 0;
	phone_key(SDES_AES_CM_128_HMAC_SHA1_80, 1, ka, sizeof ka);
	phone_sdp(sdp, sizeof sdp, "198.51.100.1", 4000, "RTP/SAVP", "sendrecv",
		  ca);
	assert_int_equal(offer(f, &enc, &open_udp, 0, sdp), 488);
	/* both RTP needs no bridge */
	phone_sdp(sdp, sizeof sdp, "198.51.100.1", 4000, "RTP/AVP", "sendrecv",
		  NULL);
	assert_int_equal(offer(f, &enc, &open_udp, 0, sdp), 0);
	assert_null(strstr(f->out, "crypto"));
	f->cfg.allow_bridge = 1;
}

static void test_sdpmap_malformed_or_weak_crypto_refused(void **state)
{
	struct fx *f = *state;
	char ka[SDES_VALUE_MAX], sdp[2048];
	const char *bad[][3] = {
	    /* key + salt 20 bytes, not 30 */
	    {"1 AES_CM_128_HMAC_SHA1_80 inline:AAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	     NULL, NULL},
	    /* a repeated tag */
	    {ka, ka, NULL},
	    /* only a weak suite, on RTP/SAVP */
	    {"1 NULL_HMAC_SHA1_80 "
	     "inline:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	     NULL, NULL},
	    /* an MKI */
	    {"1 AES_CM_128_HMAC_SHA1_80 "
	     "inline:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA|2^20|1:4",
	     NULL, NULL},
	};

	phone_key(SDES_AES_CM_128_HMAC_SHA1_80, 1, ka, sizeof ka);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		phone_sdp(sdp, sizeof sdp, "198.51.100.1", 4000, "RTP/SAVP",
			  "sendrecv", bad[i]);
		assert_int_equal(offer(f, &enc, &enc, 0, sdp), 488);
		assert_null(f->call);
		/* the error names the rule, never the line */
		assert_null(strstr(f->err, "inline"));
		assert_null(strstr(f->err, "AAAA"));
	}
	/* not SDP at all */
	assert_int_equal(offer(f, &enc, &enc, 0, "v=0\r\nm=audio x\r\n"), 488);
	assert_int_equal(portpool_used(f->pool), 0);
}

static void test_sdpmap_answer_with_another_suite_refused(void **state)
{
	struct fx *f = *state;
	char ka[SDES_VALUE_MAX], kb[SDES_VALUE_MAX], sdp[2048];
	const char *ca[] = {ka, NULL}, *cb[] = {kb, NULL};
	enum keymgr_level level;

	phone_key(SDES_AES_CM_128_HMAC_SHA1_80, 1, ka, sizeof ka);
	phone_sdp(sdp, sizeof sdp, "198.51.100.1", 4000, "RTP/SAVP", "sendrecv",
		  ca);
	assert_int_equal(offer(f, &enc, &enc, 0, sdp), 0);
	phone_key(SDES_AEAD_AES_128_GCM, 1, kb, sizeof kb);
	phone_sdp(sdp, sizeof sdp, "198.51.100.2", 5000, "RTP/SAVP", "sendrecv",
		  cb);
	assert_int_equal(answer(f, sdp, &level), 488);
	assert_int_equal(f->out_len, 0);
}

static void test_sdpmap_answer_may_take_another_offered_suite(void **state)
{
	struct fx *f = *state;
	char ka[SDES_VALUE_MAX], kb[SDES_VALUE_MAX], sdp[2048];
	char offered[SDP_CRYPTO_MAX];
	const char *ca[] = {ka, NULL}, *cb[] = {kb, NULL};
	enum keymgr_level level;

	phone_key(SDES_AES_CM_128_HMAC_SHA1_80, 1, ka, sizeof ka);
	phone_sdp(sdp, sizeof sdp, "198.51.100.1", 4000, "RTP/SAVP", "sendrecv",
		  ca);
	assert_int_equal(offer(f, &enc, &enc, 0, sdp), 0);
	parse_out(f);
	snprintf(offered, sizeof offered, "%s", f->s.media[0].crypto[1]);
	/* B takes line 2 (GCM-256) */
	phone_key(SDES_AEAD_AES_256_GCM, 2, kb, sizeof kb);
	phone_sdp(sdp, sizeof sdp, "198.51.100.2", 5000, "RTP/SAVP", "sendrecv",
		  cb);
	assert_int_equal(answer(f, sdp, &level), 0);
	assert_int_equal(level, KEYMGR_LEVEL_ENCRYPTED);
	assert_int_equal(keymgr_keys_in_use(f->km), 4);
	/* the relay protects toward B with the key of the line B took */
	assert_int_equal(
	    keymgr_call_suite(sdpmap_stream_keys(f->call, 0), KEYMGR_SIDE_B, 1),
	    SDES_AEAD_AES_256_GCM);
	assert_int_equal(
	    keymgr_call_suite(sdpmap_stream_keys(f->call, 0), KEYMGR_SIDE_A, 1),
	    SDES_AES_CM_128_HMAC_SHA1_80);
	{
		/* ... and that key is the one line 2 carried */
		struct keymgr_leg l = enc;
		char now[SDES_VALUE_MAX];

		l.media_srtp = 1;
		assert_int_equal(keymgr_call_crypto_for_leg(
				     sdpmap_stream_keys(f->call, 0),
				     KEYMGR_SIDE_B, &l, 2, now, sizeof now),
				 KEYMGR_OK);
		assert_string_equal(now, offered);
	}
	/* a tag ward did not offer, or a suite not of that tag: 488 */
	sdpmap_call_free(f->call);
	phone_sdp(sdp, sizeof sdp, "198.51.100.1", 4000, "RTP/SAVP", "sendrecv",
		  ca);
	assert_int_equal(offer(f, &enc, &enc, 0, sdp), 0);
	phone_key(SDES_AEAD_AES_256_GCM, 3, kb, sizeof kb);
	phone_sdp(sdp, sizeof sdp, "198.51.100.2", 5000, "RTP/SAVP", "sendrecv",
		  cb);
	assert_int_equal(answer(f, sdp, &level), 488);
	phone_key(SDES_AEAD_AES_256_GCM, 4, kb, sizeof kb);
	phone_sdp(sdp, sizeof sdp, "198.51.100.2", 5000, "RTP/SAVP", "sendrecv",
		  cb);
	assert_int_equal(answer(f, sdp, &level), 500); /* no offer pending */
}

static void test_sdpmap_hold_keeps_ports_and_keys_rekey_changes(void **state)
{
	struct fx *f = *state;
	char ka[SDES_VALUE_MAX], kb[SDES_VALUE_MAX], sdp[2048];
	char to_b[SDP_CRYPTO_MAX], to_a[SDP_CRYPTO_MAX];
	const char *ca[] = {ka, NULL}, *cb[] = {kb, NULL};
	enum keymgr_level level;
	unsigned port_b, port_a;

	phone_key(SDES_AEAD_AES_256_GCM, 2, ka, sizeof ka);
	phone_sdp(sdp, sizeof sdp, "198.51.100.1", 4000, "RTP/SAVP", "sendrecv",
		  ca);
	assert_int_equal(offer(f, &enc, &enc, 0, sdp), 0);
	parse_out(f);
	port_b = f->s.media[0].port;
	snprintf(to_b, sizeof to_b, "%s", f->s.media[0].crypto[0]);
	phone_key(SDES_AEAD_AES_256_GCM, 1, kb, sizeof kb);
	phone_sdp(sdp, sizeof sdp, "198.51.100.2", 5000, "RTP/SAVP", "sendrecv",
		  cb);
	assert_int_equal(answer(f, sdp, &level), 0);
	parse_out(f);
	port_a = f->s.media[0].port;
	snprintf(to_a, sizeof to_a, "%s", f->s.media[0].crypto[0]);

	/* A holds: same key, a=sendonly */
	phone_sdp(sdp, sizeof sdp, "198.51.100.1", 4000, "RTP/SAVP", "sendonly",
		  ca);
	assert_int_equal(sdpmap_reoffer(f->call, KEYMGR_SIDE_A, sdp,
					strlen(sdp), f->out, sizeof f->out,
					&f->out_len, f->err, sizeof f->err),
			 0);
	parse_out(f);
	assert_int_equal(f->s.media[0].port, port_b);
	assert_int_equal(f->s.media[0].dir, SDP_DIR_SENDONLY);
	assert_string_equal(inline_of(f->s.media[0].crypto[0]),
			    inline_of(to_b));
	phone_sdp(sdp, sizeof sdp, "198.51.100.2", 5000, "RTP/SAVP", "recvonly",
		  cb);
	assert_int_equal(answer(f, sdp, &level), 0);
	parse_out(f);
	assert_int_equal(f->s.media[0].port, port_a);
	assert_int_equal(f->s.media[0].dir, SDP_DIR_RECVONLY);
	assert_string_equal(f->s.media[0].crypto[0], to_a);
	assert_false(sdpmap_stream_changed(f->call, 0));

	/* B re-keys in a re-offer: fresh keys both ways, same ports, a new
	 * relay session */
	phone_key(SDES_AEAD_AES_256_GCM, 3, kb, sizeof kb);
	phone_sdp(sdp, sizeof sdp, "198.51.100.2", 5000, "RTP/SAVP", "sendrecv",
		  cb);
	assert_int_equal(sdpmap_reoffer(f->call, KEYMGR_SIDE_B, sdp,
					strlen(sdp), f->out, sizeof f->out,
					&f->out_len, f->err, sizeof f->err),
			 0);
	parse_out(f);
	assert_int_equal(f->s.media[0].port, port_a);
	assert_string_not_equal(inline_of(f->s.media[0].crypto[0]),
				inline_of(to_a));
	/* A answers ward's offer (tag 1) with a new key of its own */
	phone_key(SDES_AEAD_AES_256_GCM, 1, ka, sizeof ka);
	phone_sdp(sdp, sizeof sdp, "198.51.100.1", 4000, "RTP/SAVP", "sendrecv",
		  ca);
	assert_int_equal(answer(f, sdp, &level), 0);
	parse_out(f);
	assert_int_equal(f->s.media[0].port, port_b);
	/* B's tag answered, ward's new key toward B */
	assert_true(
	    strncmp(f->s.media[0].crypto[0], "3 AEAD_AES_256_GCM", 18) == 0);
	assert_string_not_equal(inline_of(f->s.media[0].crypto[0]),
				inline_of(to_b));
	assert_true(sdpmap_stream_changed(f->call, 0));
	assert_int_equal(level, KEYMGR_LEVEL_ENCRYPTED);
}

static void test_sdpmap_old_style_hold_moves_without_rekey(void **state)
{
	struct fx *f = *state;
	char ka[SDES_VALUE_MAX], kb[SDES_VALUE_MAX], sdp[2048];
	char to_b[SDP_CRYPTO_MAX];
	const char *ca[] = {ka, NULL}, *cb[] = {kb, NULL};
	struct relay_leg_config legs[2];
	enum keymgr_level level;

	phone_key(SDES_AES_CM_128_HMAC_SHA1_80, 1, ka, sizeof ka);
	phone_key(SDES_AES_CM_128_HMAC_SHA1_80, 1, kb, sizeof kb);
	phone_sdp(sdp, sizeof sdp, "198.51.100.1", 4000, "RTP/SAVP", "sendrecv",
		  ca);
	assert_int_equal(offer(f, &enc, &enc, 0, sdp), 0);
	parse_out(f);
	snprintf(to_b, sizeof to_b, "%s", f->s.media[0].crypto[0]);
	phone_sdp(sdp, sizeof sdp, "198.51.100.2", 5000, "RTP/SAVP", "sendrecv",
		  cb);
	assert_int_equal(answer(f, sdp, &level), 0);

	/* hold the RFC 2543 way: c=0.0.0.0, same key */
	phone_sdp(sdp, sizeof sdp, "0.0.0.0", 4000, "RTP/SAVP", "sendrecv", ca);
	assert_int_equal(sdpmap_reoffer(f->call, KEYMGR_SIDE_A, sdp,
					strlen(sdp), f->out, sizeof f->out,
					&f->out_len, f->err, sizeof f->err),
			 0);
	parse_out(f);
	assert_int_equal(f->s.media[0].ncrypto, 1); /* the same key, alone */
	assert_string_equal(inline_of(f->s.media[0].crypto[0]),
			    inline_of(to_b));
	phone_sdp(sdp, sizeof sdp, "198.51.100.2", 5000, "RTP/SAVP", "sendrecv",
		  cb);
	assert_int_equal(answer(f, sdp, &level), 0);
	assert_false(sdpmap_stream_changed(f->call, 0));
	assert_true(sdpmap_stream_moved(f->call, 0, KEYMGR_SIDE_A));
	assert_false(sdpmap_stream_moved(f->call, 0, KEYMGR_SIDE_B));
	assert_int_equal(sdpmap_relay_legs(f->call, 0, legs), 1);
	assert_int_equal(
	    ((struct sockaddr_in *)&legs[0].remote)->sin_addr.s_addr, 0);

	/* resume: back to its address; B's answer moves B too */
	phone_sdp(sdp, sizeof sdp, "198.51.100.1", 4000, "RTP/SAVP", "sendrecv",
		  ca);
	assert_int_equal(sdpmap_reoffer(f->call, KEYMGR_SIDE_A, sdp,
					strlen(sdp), f->out, sizeof f->out,
					&f->out_len, f->err, sizeof f->err),
			 0);
	phone_sdp(sdp, sizeof sdp, "198.51.100.2", 5002, "RTP/SAVP", "sendrecv",
		  cb);
	assert_int_equal(answer(f, sdp, &level), 0);
	assert_false(sdpmap_stream_changed(f->call, 0));
	assert_true(sdpmap_stream_moved(f->call, 0, KEYMGR_SIDE_A));
	assert_true(sdpmap_stream_moved(f->call, 0, KEYMGR_SIDE_B));

	/* but B re-keying in its answer to that is refused */
	phone_sdp(sdp, sizeof sdp, "198.51.100.1", 4000, "RTP/SAVP", "sendrecv",
		  ca);
	assert_int_equal(sdpmap_reoffer(f->call, KEYMGR_SIDE_A, sdp,
					strlen(sdp), f->out, sizeof f->out,
					&f->out_len, f->err, sizeof f->err),
			 0);
	phone_key(SDES_AES_CM_128_HMAC_SHA1_80, 1, kb, sizeof kb);
	phone_sdp(sdp, sizeof sdp, "198.51.100.2", 5002, "RTP/SAVP", "sendrecv",
		  cb);
	assert_int_equal(answer(f, sdp, &level), 488);
}

static void test_sdpmap_hold_with_music_directions(void **state)
{
	struct fx *f = *state;
	char ka[SDES_VALUE_MAX], kb[SDES_VALUE_MAX], sdp[2048];
	const char *ca[] = {ka, NULL}, *cb[] = {kb, NULL};
	enum keymgr_level level;
	unsigned pt = 99;

	f->cfg.music = 1;
	phone_key(SDES_AES_CM_128_HMAC_SHA1_80, 1, ka, sizeof ka);
	phone_key(SDES_AES_CM_128_HMAC_SHA1_80, 1, kb, sizeof kb);
	phone_sdp(sdp, sizeof sdp, "198.51.100.1", 4000, "RTP/SAVP", "sendrecv",
		  ca);
	assert_int_equal(offer(f, &enc, &enc, 0, sdp), 0);
	phone_sdp(sdp, sizeof sdp, "198.51.100.2", 5000, "RTP/SAVP", "sendrecv",
		  cb);
	assert_int_equal(answer(f, sdp, &level), 0);
	assert_false(sdpmap_stream_music(f->call, 0, KEYMGR_SIDE_A, &pt));
	assert_false(sdpmap_stream_music(f->call, 0, KEYMGR_SIDE_B, &pt));

	/* A holds B: B is told ward only sends (the music) */
	for (int inactive = 0; inactive < 2; inactive++) {
		phone_sdp(sdp, sizeof sdp, "198.51.100.1", 4000, "RTP/SAVP",
			  inactive ? "inactive" : "sendonly", ca);
		assert_int_equal(sdpmap_reoffer(f->call, KEYMGR_SIDE_A, sdp,
						strlen(sdp), f->out,
						sizeof f->out, &f->out_len,
						f->err, sizeof f->err),
				 0);
		parse_out(f);
		assert_int_equal(f->s.media[0].dir, SDP_DIR_SENDONLY);
		phone_sdp(sdp, sizeof sdp, "198.51.100.2", 5000, "RTP/SAVP",
			  "recvonly", cb);
		assert_int_equal(answer(f, sdp, &level), 0);
		parse_out(f);
		/* the holder gets what it asked for */
		assert_int_equal(f->s.media[0].dir, inactive
							? SDP_DIR_INACTIVE
							: SDP_DIR_RECVONLY);
		assert_true(
		    sdpmap_stream_music(f->call, 0, KEYMGR_SIDE_B, &pt));
		assert_int_equal(pt, 0); /* B's SDP has PCMU first */
		assert_false(
		    sdpmap_stream_music(f->call, 0, KEYMGR_SIDE_A, &pt));
		assert_false(sdpmap_stream_changed(f->call, 0));
	}

	/* resume: no music */
	phone_sdp(sdp, sizeof sdp, "198.51.100.1", 4000, "RTP/SAVP", "sendrecv",
		  ca);
	assert_int_equal(sdpmap_reoffer(f->call, KEYMGR_SIDE_A, sdp,
					strlen(sdp), f->out, sizeof f->out,
					&f->out_len, f->err, sizeof f->err),
			 0);
	parse_out(f);
	assert_int_equal(f->s.media[0].dir, SDP_DIR_SENDRECV);
	phone_sdp(sdp, sizeof sdp, "198.51.100.2", 5000, "RTP/SAVP", "sendrecv",
		  cb);
	assert_int_equal(answer(f, sdp, &level), 0);
	assert_false(sdpmap_stream_music(f->call, 0, KEYMGR_SIDE_B, &pt));
	f->cfg.music = 0;
}

static void test_sdpmap_media_address_must_be_concrete(void **state)
{
	struct sdpmap_config cfg;

	(void)state;
	assert_int_equal(sdpmap_config_init(&cfg, "0.0.0.0"), -1);
	assert_int_equal(sdpmap_config_init(&cfg, "::"), -1);
	assert_int_equal(sdpmap_config_init(&cfg, "ward.example"), -1);
	assert_int_equal(sdpmap_config_init(&cfg, "2001:db8::1"), 0);
	assert_int_equal(cfg.conn.type, SDP_ADDR_IP6);
}

static void test_sdpmap_refused_stream_is_not_relayed(void **state)
{
	struct fx *f = *state;
	char sdp[2048];
	struct relay_leg_config legs[2];
	enum keymgr_level level;

	phone_sdp(sdp, sizeof sdp, "198.51.100.1", 4000, "RTP/AVP", "sendrecv",
		  NULL);
	assert_int_equal(offer(f, &open_udp, &open_udp, 0, sdp), 0);
	phone_sdp(sdp, sizeof sdp, "198.51.100.2", 0, "RTP/AVP", "sendrecv",
		  NULL);
	assert_int_equal(answer(f, sdp, &level), 0);
	parse_out(f);
	assert_int_equal(f->s.media[0].port, 0);
	assert_int_equal(sdpmap_relay_legs(f->call, 0, legs), 0);
}

/* A final answer after a provisional one (early media): the same key at
 * another port moves B's leg, keys and session kept; another key, tag or
 * suite is refused; after a re-offer there is nothing to repeat. */
static void test_sdpmap_final_answer_repeats_or_moves_never_rekeys(void **state)
{
	struct fx *f = *state;
	char ka[SDES_VALUE_MAX], kb[SDES_VALUE_MAX], kb2[SDES_VALUE_MAX];
	char sdp[2048], tagged[SDES_VALUE_MAX];
	const char *ca[] = {ka, NULL}, *cb[] = {kb, NULL}, *cb2[] = {kb2, NULL};
	const char *ct[] = {tagged, NULL};
	struct relay_leg_config legs[2];
	enum keymgr_level level;

	phone_key(SDES_AES_CM_128_HMAC_SHA1_80, 1, ka, sizeof ka);
	phone_sdp(sdp, sizeof sdp, "198.51.100.1", 4000, "RTP/SAVP", "sendrecv",
		  ca);
	assert_int_equal(offer(f, &enc, &enc, 0, sdp), 0);
	phone_key(SDES_AES_CM_128_HMAC_SHA1_80, 1, kb, sizeof kb);
	phone_sdp(sdp, sizeof sdp, "198.51.100.2", 5000, "RTP/SAVP", "sendrecv",
		  cb);
	assert_int_equal(answer(f, sdp, &level), 0); /* the 183 */
	assert_true(sdpmap_stream_changed(f->call, 0));

	/* the 200 with the same stream: nothing to change */
	assert_int_equal(sdpmap_answer_repeat(f->call, sdp, strlen(sdp), f->err,
					      sizeof f->err),
			 0);
	assert_false(sdpmap_stream_changed(f->call, 0));
	assert_false(sdpmap_stream_moved(f->call, 0, KEYMGR_SIDE_B));

	/* the same key at another address and port: B's leg moves */
	phone_sdp(sdp, sizeof sdp, "198.51.100.3", 5002, "RTP/SAVP", "sendrecv",
		  cb);
	assert_int_equal(sdpmap_answer_repeat(f->call, sdp, strlen(sdp), f->err,
					      sizeof f->err),
			 0);
	assert_false(sdpmap_stream_changed(f->call, 0));
	assert_true(sdpmap_stream_moved(f->call, 0, KEYMGR_SIDE_B));
	assert_false(sdpmap_stream_moved(f->call, 0, KEYMGR_SIDE_A));
	assert_int_equal(sdpmap_relay_legs(f->call, 0, legs), 1);
	assert_int_equal(
	    ntohs(((struct sockaddr_in *)&legs[1].remote)->sin_port), 5002);
	assert_int_equal(keymgr_keys_in_use(f->km), 4);

	/* another key of B's, another tag, RTP, or no stream: refused */
	phone_key(SDES_AES_CM_128_HMAC_SHA1_80, 1, kb2, sizeof kb2);
	phone_sdp(sdp, sizeof sdp, "198.51.100.3", 5002, "RTP/SAVP", "sendrecv",
		  cb2);
	assert_int_equal(sdpmap_answer_repeat(f->call, sdp, strlen(sdp), f->err,
					      sizeof f->err),
			 488);
	assert_non_null(strstr(f->err, "not the stream"));
	snprintf(tagged, sizeof tagged, "2%s", strchr(kb, ' '));
	phone_sdp(sdp, sizeof sdp, "198.51.100.3", 5002, "RTP/SAVP", "sendrecv",
		  ct);
	assert_int_equal(sdpmap_answer_repeat(f->call, sdp, strlen(sdp), f->err,
					      sizeof f->err),
			 488);
	phone_sdp(sdp, sizeof sdp, "198.51.100.3", 5002, "RTP/AVP", "sendrecv",
		  NULL);
	assert_int_equal(sdpmap_answer_repeat(f->call, sdp, strlen(sdp), f->err,
					      sizeof f->err),
			 488);
	phone_sdp(sdp, sizeof sdp, "198.51.100.3", 0, "RTP/SAVP", "sendrecv",
		  cb);
	assert_int_equal(sdpmap_answer_repeat(f->call, sdp, strlen(sdp), f->err,
					      sizeof f->err),
			 488);
	/* still where the move put it, with the same keys */
	assert_int_equal(sdpmap_relay_legs(f->call, 0, legs), 1);
	assert_int_equal(
	    ntohs(((struct sockaddr_in *)&legs[1].remote)->sin_port), 5002);

	/* a re-offer: the answer to come is no repeat */
	phone_sdp(sdp, sizeof sdp, "198.51.100.1", 4000, "RTP/SAVP", "sendonly",
		  ca);
	assert_int_equal(sdpmap_reoffer(f->call, KEYMGR_SIDE_A, sdp,
					strlen(sdp), f->out, sizeof f->out,
					&f->out_len, f->err, sizeof f->err),
			 0);
	phone_sdp(sdp, sizeof sdp, "198.51.100.3", 5002, "RTP/SAVP", "recvonly",
		  cb);
	assert_int_equal(sdpmap_answer_repeat(f->call, sdp, strlen(sdp), f->err,
					      sizeof f->err),
			 500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	    T(test_sdpmap_final_answer_repeats_or_moves_never_rekeys),
	    T(test_sdpmap_encrypted_both_sides_keys_per_direction),
	    T(test_sdpmap_nonsecure_side_gets_rtp_and_no_keys),
	    T(test_sdpmap_authenticated_leg_never_sees_keys),
	    T(test_sdpmap_best_effort_srtp_over_udp_falls_back),
	    T(test_sdpmap_encrypted_or_reject_refuses),
	    T(test_sdpmap_bridge_refused_when_not_allowed),
	    T(test_sdpmap_malformed_or_weak_crypto_refused),
	    T(test_sdpmap_answer_with_another_suite_refused),
	    T(test_sdpmap_answer_may_take_another_offered_suite),
	    T(test_sdpmap_hold_keeps_ports_and_keys_rekey_changes),
	    T(test_sdpmap_old_style_hold_moves_without_rekey),
	    T(test_sdpmap_hold_with_music_directions),
	    T(test_sdpmap_refused_stream_is_not_relayed),
	    cmocka_unit_test(test_sdpmap_media_address_must_be_concrete),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
