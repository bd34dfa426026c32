/* mixer: three loopback "phones" with their own libsrtp2 contexts (keyed
 * as real phones are: their own sending key, ward's key toward them from
 * the a=crypto value ward would send them), each sending a distinct tone
 * into a conference; each hears the two others' tones and not its own
 * (Goertzel), every packet it gets authenticates under ward's key (no
 * plain RTP on an encrypted leg), and the bounds hold. */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <openssl/rand.h>

#include "node/keymgr/g711.h"
#include "node/keymgr/mixer.h"

#define NPH 3
#define RX_MAX (8000 * 2)

static const struct keymgr_leg enc_tls = {KEYMGR_MODE_ENCRYPTED,
					  KEYMGR_TRANSPORT_TLS, 0, 1};
static const double freq[NPH] = {440.0, 770.0, 1210.0};

struct phone {
	int rtp;
	unsigned port;
	int srtp;
	unsigned pt;   /* the law it sends */
	srtp_t tx, rx; /* own sending key; ward's key toward it */
	uint16_t seq;
	uint32_t ssrc, ts;
	double phase;
	int16_t heard[RX_MAX]; /* decoded, after the warm-up */
	size_t nheard;
	unsigned got, bad; /* packets received; that did not authenticate */
	struct relay_session *s;
	int dummy; /* the session's other leg's "phone", silent */
	unsigned dummy_port;
};

struct fixture {
	struct event_base *base;
	struct keymgr *km;
	struct relay *relay;
	struct mixer *mx;
	struct phone ph[NPH];
};

static int bind_lo(unsigned *got)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	getsockname(fd, (struct sockaddr *)&a, &len);
	*got = ntohs(a.sin_port);
	return fd;
}

static struct sockaddr_storage lo_addr(unsigned port)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;

	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, "127.0.0.1", &a->sin_addr);
	return ss;
}

/* Phone P's keys in CALL (side A), as in test_keymgr_relay.c. */
static void phone_keys(struct phone *p, struct keymgr_call *call,
		       enum sdes_suite suite)
{
	struct sdes_crypto own = {0}, ward;
	char value[SDES_VALUE_MAX];

	own.tag = 1;
	own.suite = suite;
	own.key_len = sdes_suite_key_len(suite);
	own.salt_len = sdes_suite_salt_len(suite);
	RAND_bytes(own.key, (int)own.key_len);
	RAND_bytes(own.salt, (int)own.salt_len);
	assert_int_equal(keymgr_call_import(call, KEYMGR_SIDE_A, &own),
			 KEYMGR_OK);
	assert_int_equal(relay_srtp_create(&p->tx, suite, own.key, own.key_len,
					   own.salt, own.salt_len, 0),
			 KEYMGR_OK);
	assert_int_equal(keymgr_call_generate(call, KEYMGR_SIDE_A, suite),
			 KEYMGR_OK);
	assert_int_equal(keymgr_call_crypto_for_leg(call, KEYMGR_SIDE_A,
						    &enc_tls, 1, value,
						    sizeof value),
			 KEYMGR_OK);
	assert_int_equal(sdes_parse(value, &ward), SDES_OK);
	assert_int_equal(relay_srtp_create(&p->rx, suite, ward.key,
					   ward.key_len, ward.salt,
					   ward.salt_len, 1),
			 KEYMGR_OK);
	sdes_crypto_wipe(&own);
	sdes_crypto_wipe(&ward);
}

/* Phone I on side A of its own relay session (side B: a silent socket),
 * SRTP in SUITE (or RTP for SDES_SUITE_NONE), sending law PT. */
static void phone_open(struct fixture *f, int i, enum sdes_suite suite,
		       unsigned pt)
{
	struct phone *p = &f->ph[i];
	struct relay_leg_config legs[2];
	struct keymgr_call *call;
	char err[256] = "";

	memset(p, 0, sizeof *p);
	p->rtp = bind_lo(&p->port);
	p->dummy = bind_lo(&p->dummy_port);
	p->pt = pt;
	p->srtp = suite != SDES_SUITE_NONE;
	RAND_bytes((unsigned char *)&p->ssrc, sizeof p->ssrc);
	assert_int_equal(keymgr_call_new(f->km, &call), KEYMGR_OK);
	if (p->srtp)
		phone_keys(p, call, suite);
	memset(legs, 0, sizeof legs);
	legs[0].local = lo_addr(0);
	legs[0].remote = lo_addr(p->port);
	legs[0].srtp = p->srtp;
	legs[0].rtcp_mux = 1;
	legs[1].local = lo_addr(0);
	legs[1].remote = lo_addr(p->dummy_port);
	legs[1].rtcp_mux = 1;
	assert_int_equal(
	    relay_session_new(f->relay, call, legs, 1, &p->s, err, sizeof err),
	    KEYMGR_OK);
	keymgr_call_free(call);
}

static void fixture_open(struct fixture *f, unsigned max)
{
	char err[256] = "";

	memset(f, 0, sizeof *f);
	f->base = event_base_new();
	f->km = keymgr_new(0, NULL, 0);
	assert_non_null(f->base);
	assert_non_null(f->km);
	assert_int_equal(relay_new(f->base, &f->relay, err, sizeof err),
			 KEYMGR_OK);
	assert_int_equal(mixer_new(f->relay, max, &f->mx), KEYMGR_OK);
}

static void fixture_close(struct fixture *f)
{
	mixer_free(f->mx);
	relay_free(f->relay);
	keymgr_free(f->km);
	for (int i = 0; i < NPH; i++) {
		struct phone *p = &f->ph[i];
		if (p->rtp > 0)
			close(p->rtp);
		if (p->dummy > 0)
			close(p->dummy);
		if (p->tx)
			srtp_dealloc(p->tx);
		if (p->rx)
			srtp_dealloc(p->rx);
	}
	event_base_free(f->base);
}

/* 20 ms of phone P's tone (FREQ) as one RTP packet to ward. */
static void phone_send(struct phone *p, double hz)
{
	uint8_t b[12 + 160 + SRTP_MAX_TRAILER_LEN];
	struct sockaddr_storage a =
	    lo_addr(relay_session_port(p->s, KEYMGR_SIDE_A));
	int len = 12 + 160;

	b[0] = 0x80;
	b[1] = (uint8_t)p->pt;
	b[2] = (uint8_t)(p->seq >> 8);
	b[3] = (uint8_t)p->seq;
	b[4] = (uint8_t)(p->ts >> 24);
	b[5] = (uint8_t)(p->ts >> 16);
	b[6] = (uint8_t)(p->ts >> 8);
	b[7] = (uint8_t)p->ts;
	memcpy(b + 8, &p->ssrc, 4);
	for (int i = 0; i < 160; i++) {
		int16_t v = (int16_t)(8000.0 * sin(p->phase));
		p->phase += 2 * M_PI * hz / 8000.0;
		b[12 + i] =
		    p->pt == 8 ? g711_alaw_encode(v) : g711_ulaw_encode(v);
	}
	p->seq++;
	p->ts += 160;
	if (p->srtp)
		assert_int_equal(srtp_protect(p->tx, b, &len),
				 srtp_err_status_ok);
	assert_int_equal(sendto(p->rtp, b, (size_t)len, 0,
				(struct sockaddr *)&a,
				sizeof(struct sockaddr_in)),
			 len);
}

/* What ward sends P; KEEP: record the decoded audio. */
static void phone_recv(struct phone *p, int keep)
{
	uint8_t b[2048];
	ssize_t n;

	while ((n = recv(p->rtp, b, sizeof b, MSG_DONTWAIT)) > 0) {
		int len = (int)n;

		p->got++;
		if (p->srtp &&
		    srtp_unprotect(p->rx, b, &len) != srtp_err_status_ok) {
			p->bad++;
			continue;
		}
		assert_int_equal(len, 12 + 160);
		assert_true(b[1] == 0 || b[1] == 8);
		for (int i = 12; i < len && keep && p->nheard < RX_MAX; i++)
			p->heard[p->nheard++] = b[1] == 8
						    ? g711_alaw_decode(b[i])
						    : g711_ulaw_decode(b[i]);
	}
}

static uint64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* MS of conference: every phone in SENDS sends its tone every 20 ms. */
static void run(struct fixture *f, unsigned ms, const int *sends)
{
	uint64_t t0 = now_ms(), next = t0;

	for (;;) {
		uint64_t t = now_ms();
		if (t - t0 >= ms)
			break;
		if (t >= next) {
			for (int i = 0; i < NPH; i++)
				if (sends[i])
					phone_send(&f->ph[i], freq[i]);
			next += 20;
		}
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		for (int i = 0; i < NPH; i++)
			phone_recv(&f->ph[i], t - t0 >= 300);
		poll(NULL, 0, 1);
	}
}

/* The power of HZ in P's recording, relative to the recording's
 * energy (Goertzel). */
static double tone_share(const struct phone *p, double hz)
{
	double k = 2 * cos(2 * M_PI * hz / 8000.0), s1 = 0, s2 = 0, e = 0;

	for (size_t i = 0; i < p->nheard; i++) {
		double s = p->heard[i] + k * s1 - s2;
		s2 = s1;
		s1 = s;
		e += (double)p->heard[i] * p->heard[i];
	}
	if (e == 0)
		return 0;
	return (s1 * s1 + s2 * s2 - k * s1 * s2) / (e * p->nheard / 2.0);
}

static void run_three(enum sdes_suite suite)
{
	static const int all[NPH] = {1, 1, 1};
	struct fixture f;

	fixture_open(&f, NPH);
	for (int i = 0; i < NPH; i++) {
		phone_open(&f, i, suite, i == 2 ? 8 : 0);
		assert_int_equal(mixer_add(f.mx, f.ph[i].s, KEYMGR_SIDE_A, 0),
				 KEYMGR_OK);
	}
	assert_int_equal(mixer_count(f.mx), NPH);
	run(&f, 1200, all);
	for (int i = 0; i < NPH; i++) {
		struct phone *p = &f.ph[i];
		struct mixer_stats st;

		/* about 50 packets a second each, every one ward's */
		assert_true(p->got >= 30);
		assert_int_equal(p->bad, 0);
		assert_true(p->nheard >= 160 * 20);
		for (int j = 0; j < NPH; j++) {
			double share = tone_share(p, freq[j]);
			if (j == i)
				assert_true(share < 0.02);
			else
				assert_true(share > 0.2);
		}
		mixer_part_stats(p->s, KEYMGR_SIDE_A, &st);
		assert_true(st.frames_in >= 30);
		assert_true(st.sent >= 30);
	}
	fixture_close(&f);
}

static void test_mixer_gives_each_srtp_phone_the_two_others(void **state)
{
	(void)state;
	run_three(SDES_AES_CM_128_HMAC_SHA1_80);
}

static void test_mixer_gives_each_gcm_phone_the_two_others(void **state)
{
	(void)state;
	run_three(SDES_AEAD_AES_128_GCM);
}

static void test_mixer_silent_participant_contributes_silence(void **state)
{
	static const int two[NPH] = {1, 0, 0};
	struct fixture f;

	(void)state;
	fixture_open(&f, NPH);
	for (int i = 0; i < NPH; i++) {
		phone_open(
		    &f, i,
		    i == 1 ? SDES_SUITE_NONE : SDES_AES_CM_128_HMAC_SHA1_80, 0);
		assert_int_equal(mixer_add(f.mx, f.ph[i].s, KEYMGR_SIDE_A, 0),
				 KEYMGR_OK);
	}
	run(&f, 700, two);
	/* the talker hears silence, the two others hear it */
	assert_true(f.ph[0].got >= 15);
	for (size_t k = 0; k < f.ph[0].nheard; k++)
		assert_true(f.ph[0].heard[k] > -64 && f.ph[0].heard[k] < 64);
	assert_true(tone_share(&f.ph[1], freq[0]) > 0.5);
	assert_true(tone_share(&f.ph[2], freq[0]) > 0.5);
	assert_int_equal(f.ph[2].bad, 0);
	fixture_close(&f);
}

static void test_mixer_bounds_and_leaving(void **state)
{
	struct fixture f;
	struct mixer *other;

	(void)state;
	assert_int_equal(mixer_new(NULL, 0, &other), KEYMGR_EINVAL);
	assert_int_equal(mixer_new(NULL, MIXER_MAX + 1, &other), KEYMGR_EINVAL);
	fixture_open(&f, 2);
	for (int i = 0; i < NPH; i++)
		phone_open(&f, i, SDES_AES_CM_128_HMAC_SHA1_80, 0);
	assert_int_equal(mixer_add(f.mx, f.ph[0].s, KEYMGR_SIDE_A, 3),
			 KEYMGR_EINVAL);
	assert_int_equal(mixer_add(f.mx, f.ph[0].s, KEYMGR_SIDE_A, 0),
			 KEYMGR_OK);
	assert_int_equal(mixer_add(f.mx, f.ph[0].s, KEYMGR_SIDE_A, 0),
			 KEYMGR_EINVAL);
	assert_int_equal(mixer_add(f.mx, f.ph[1].s, KEYMGR_SIDE_A, 8),
			 KEYMGR_OK);
	assert_int_equal(mixer_add(f.mx, f.ph[2].s, KEYMGR_SIDE_A, 0),
			 KEYMGR_ENOMEM);
	mixer_remove(f.ph[0].s, KEYMGR_SIDE_A);
	assert_false(mixer_has(f.ph[0].s, KEYMGR_SIDE_A));
	assert_int_equal(mixer_count(f.mx), 1);
	assert_int_equal(mixer_add(f.mx, f.ph[2].s, KEYMGR_SIDE_A, 0),
			 KEYMGR_OK);
	/* a session closed while in the mixer leaves it */
	relay_session_free(f.ph[2].s);
	assert_int_equal(mixer_count(f.mx), 1);
	assert_true(mixer_has(f.ph[1].s, KEYMGR_SIDE_A));
	fixture_close(&f);
}

static void test_g711_round_trips_within_a_step(void **state)
{
	(void)state;
	for (int v = -32000; v <= 32000; v += 97) {
		int u = g711_ulaw_decode(g711_ulaw_encode((int16_t)v));
		int a = g711_alaw_decode(g711_alaw_encode((int16_t)v));
		int tol = 8 + abs(v) / 16;
		assert_true(abs(u - v) <= tol);
		assert_true(abs(a - v) <= tol);
	}
	for (int c = 0; c < 256; c++) {
		assert_int_equal(
		    g711_ulaw_encode(g711_ulaw_decode((uint8_t)c)) & 0x7f,
		    c & 0x7f);
		assert_int_equal(g711_alaw_encode(g711_alaw_decode((uint8_t)c)),
				 c);
	}
}

static void test_mixer_reads_rtp_headers_and_refuses_overruns(void **state)
{
	/* V=2 P X CC=1, PT 8; one CSRC; a one-word extension; 4 of padding */
	uint8_t p[12 + 4 + 8 + 160 + 4] = {0xb1, 8};
	size_t off, plen;
	unsigned pt;

	(void)state;
	p[16 + 2] = 0;
	p[16 + 3] = 1;
	p[sizeof p - 1] = 4;
	assert_int_equal(mixer_rtp_payload(p, sizeof p, &off, &plen, &pt), 0);
	assert_int_equal(off, 24);
	assert_int_equal(plen, 160);
	assert_int_equal(pt, 8);
	/* padding longer than the payload, none at all, an extension past
	 * the end, CSRCs past the end, version 1, too short */
	p[sizeof p - 1] = 200;
	assert_int_equal(mixer_rtp_payload(p, sizeof p, &off, &plen, &pt), -1);
	p[sizeof p - 1] = 0;
	assert_int_equal(mixer_rtp_payload(p, sizeof p, &off, &plen, &pt), -1);
	p[sizeof p - 1] = 4;
	p[16 + 2] = 0xff;
	assert_int_equal(mixer_rtp_payload(p, sizeof p, &off, &plen, &pt), -1);
	p[16 + 2] = 0;
	assert_int_equal(mixer_rtp_payload(p, 18, &off, &plen, &pt), -1);
	p[0] = 0x8f;
	assert_int_equal(mixer_rtp_payload(p, 40, &off, &plen, &pt), -1);
	p[0] = 0x40;
	assert_int_equal(mixer_rtp_payload(p, sizeof p, &off, &plen, &pt), -1);
	assert_int_equal(mixer_rtp_payload(p, 11, &off, &plen, &pt), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_g711_round_trips_within_a_step),
	    cmocka_unit_test(test_mixer_reads_rtp_headers_and_refuses_overruns),
	    cmocka_unit_test(test_mixer_gives_each_srtp_phone_the_two_others),
	    cmocka_unit_test(test_mixer_gives_each_gcm_phone_the_two_others),
	    cmocka_unit_test(test_mixer_silent_participant_contributes_silence),
	    cmocka_unit_test(test_mixer_bounds_and_leaving),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
