/* relay: known RTP payloads sent by two loopback "phones" (libsrtp2 on the
 * test side, keyed the way real phones are: their own sending key, and
 * ward's key read from the a=crypto value ward would send them) cross the
 * relay intact, what crosses an encrypted leg is never the plaintext, and
 * the source check, latching and authentication drop what they must. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <openssl/rand.h>

#include "node/keymgr/relay.h"

static const struct keymgr_leg enc_tls = {KEYMGR_MODE_ENCRYPTED,
					  KEYMGR_TRANSPORT_TLS, 0, 1};

struct phone {
	int rtp, rtcp; /* bound on 127.0.0.1, consecutive ports */
	unsigned port;
	srtp_t tx, rx; /* own sending key; ward's key toward this phone */
	uint16_t seq;
	uint32_t ssrc;
};

struct fixture {
	struct event_base *base;
	struct keymgr *km;
	struct keymgr_call *call;
	struct relay *relay;
	struct relay_session *s;
	struct phone ph[2];
};

static int bind_lo(const char *ip, unsigned port, unsigned *got)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port)};
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	inet_pton(AF_INET, ip, &a.sin_addr);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	getsockname(fd, (struct sockaddr *)&a, &len);
	if (got)
		*got = ntohs(a.sin_port);
	return fd;
}

static void phone_open(struct phone *p)
{
	for (;;) {
		p->rtp = bind_lo("127.0.0.1", 0, &p->port);
		if (p->port % 2 == 0 &&
		    (p->rtcp = bind_lo("127.0.0.1", p->port + 1, NULL)) >= 0)
			break;
		close(p->rtp);
	}
	RAND_bytes((unsigned char *)&p->ssrc, sizeof p->ssrc);
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

/* The phone of SIDE offers its own key of SUITE (imported as ward would
 * from its SDP) and learns ward's key toward it from the a=crypto value
 * the key manager gives an encrypted leg. */
static void phone_keys(struct fixture *f, enum keymgr_side side,
		       enum sdes_suite suite)
{
	struct phone *p = &f->ph[side];
	struct sdes_crypto own = {0}, ward;
	char value[SDES_VALUE_MAX];

	own.tag = 1;
	own.suite = suite;
	own.key_len = sdes_suite_key_len(suite);
	own.salt_len = sdes_suite_salt_len(suite);
	RAND_bytes(own.key, (int)own.key_len);
	RAND_bytes(own.salt, (int)own.salt_len);
	assert_int_equal(keymgr_call_import(f->call, side, &own), KEYMGR_OK);
	assert_int_equal(relay_srtp_create(&p->tx, suite, own.key, own.key_len,
					   own.salt, own.salt_len, 0),
			 KEYMGR_OK);
	assert_int_equal(keymgr_call_generate(f->call, side, suite), KEYMGR_OK);
	assert_int_equal(keymgr_call_crypto_for_leg(f->call, side, &enc_tls, 1,
						    value, sizeof value),
			 KEYMGR_OK);
	assert_int_equal(sdes_parse(value, &ward), SDES_OK);
	assert_int_equal(relay_srtp_create(&p->rx, suite, ward.key,
					   ward.key_len, ward.salt,
					   ward.salt_len, 1),
			 KEYMGR_OK);
	sdes_crypto_wipe(&own);
	sdes_crypto_wipe(&ward);
}

static void fixture_open(struct fixture *f, enum sdes_suite sa,
			 enum sdes_suite sb, int bridge, unsigned a_sdp_port)
{
	struct relay_leg_config legs[2];
	char err[256] = "";

	memset(f, 0, sizeof *f);
	f->base = event_base_new();
	f->km = keymgr_new(0, NULL, 0);
	assert_non_null(f->base);
	assert_non_null(f->km);
	assert_int_equal(keymgr_call_new(f->km, &f->call), KEYMGR_OK);
	assert_int_equal(relay_new(f->base, &f->relay, err, sizeof err),
			 KEYMGR_OK);
	phone_open(&f->ph[0]);
	phone_open(&f->ph[1]);
	if (sa)
		phone_keys(f, KEYMGR_SIDE_A, sa);
	if (sb)
		phone_keys(f, KEYMGR_SIDE_B, sb);
	memset(legs, 0, sizeof legs);
	legs[0].local = lo_addr(0);
	legs[0].remote = lo_addr(a_sdp_port ? a_sdp_port : f->ph[0].port);
	legs[0].srtp = sa != SDES_SUITE_NONE;
	legs[0].rtcp_mux = 0;
	legs[1].local = lo_addr(0);
	legs[1].remote = lo_addr(f->ph[1].port);
	legs[1].srtp = sb != SDES_SUITE_NONE;
	legs[1].rtcp_mux = 1;
	assert_int_equal(relay_session_new(f->relay, f->call, legs, bridge,
					   &f->s, err, sizeof err),
			 KEYMGR_OK);
	/* the relay made its SRTP contexts: the call's keys may go now */
	keymgr_call_free(f->call);
	f->call = NULL;
	assert_int_equal(relay_session_port(f->s, KEYMGR_SIDE_A) % 2, 0);
}

static void fixture_close(struct fixture *f)
{
	relay_free(f->relay);
	keymgr_call_free(f->call);
	keymgr_free(f->km);
	for (int i = 0; i < 2; i++) {
		close(f->ph[i].rtp);
		close(f->ph[i].rtcp);
		if (f->ph[i].tx)
			srtp_dealloc(f->ph[i].tx);
		if (f->ph[i].rx)
			srtp_dealloc(f->ph[i].rx);
	}
	event_base_free(f->base);
}

/* A 20 ms G.711 packet: 12-byte header and 160 bytes of known text. */
static int rtp_make(struct phone *p, uint8_t *buf, unsigned n)
{
	buf[0] = 0x80;
	buf[1] = 0;
	buf[2] = (uint8_t)(p->seq >> 8);
	buf[3] = (uint8_t)p->seq;
	memset(buf + 4, 0, 4);
	buf[4] = (uint8_t)(n >> 8);
	buf[5] = (uint8_t)n;
	memcpy(buf + 8, &p->ssrc, 4);
	for (int i = 0; i < 160; i++)
		buf[12 + i] = (uint8_t)("ward known payload "[i % 19] + n);
	p->seq++;
	return 172;
}

/* Runs the relay until FD has a datagram (or 2 s pass); its length, or -1. */
static int pump_recv(struct fixture *f, int fd, uint8_t *buf, size_t cap,
		     int wait_ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		ssize_t n;

		event_base_loop(f->base, EVLOOP_NONBLOCK);
		n = recv(fd, buf, cap, MSG_DONTWAIT);
		if (n >= 0)
			return (int)n;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 +
			(t.tv_nsec - t0.tv_nsec) / 1000000 >
		    wait_ms)
			return -1;
		poll(NULL, 0, 1);
	}
}

static void send_to(int fd, const uint8_t *buf, int len, unsigned port)
{
	struct sockaddr_storage a = lo_addr(port);

	assert_int_equal(sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&a,
				sizeof(struct sockaddr_in)),
			 len);
}

/* One packet FROM -> TO through the relay, checked on the way. */
static void cross(struct fixture *f, enum keymgr_side from, int srtp_in,
		  int srtp_out, unsigned n)
{
	struct phone *src = &f->ph[from], *dst = &f->ph[!from];
	uint8_t plain[256], wire[256 + SRTP_MAX_TRAILER_LEN], got[2048];
	int plen = rtp_make(src, plain, n), wlen = plen, glen;

	memcpy(wire, plain, (size_t)plen);
	if (srtp_in) {
		assert_int_equal(srtp_protect(src->tx, wire, &wlen),
				 srtp_err_status_ok);
		assert_null(memmem(wire, (size_t)wlen, plain + 12, 16));
	}
	send_to(src->rtp, wire, wlen, relay_session_port(f->s, from));
	glen = pump_recv(f, dst->rtp, got, sizeof got, 2000);
	assert_true(glen > 0);
	if (srtp_out) {
		/* what crossed the encrypted leg is not the plaintext */
		assert_null(memmem(got, (size_t)glen, plain + 12, 16));
		assert_int_equal(srtp_unprotect(dst->rx, got, &glen),
				 srtp_err_status_ok);
	}
	assert_int_equal(glen, plen);
	assert_memory_equal(got, plain, (size_t)plen);
}

static void run_srtp_both_ways(enum sdes_suite sa, enum sdes_suite sb)
{
	struct fixture f;
	struct relay_stats st;

	fixture_open(&f, sa, sb, 0, 0);
	for (unsigned i = 0; i < 20; i++)
		cross(&f, KEYMGR_SIDE_A, 1, 1, i);
	for (unsigned i = 0; i < 5; i++)
		cross(&f, KEYMGR_SIDE_B, 1, 1, i);
	relay_session_stats(f.s, KEYMGR_SIDE_A, &st);
	assert_int_equal(st.rx, 20);
	assert_int_equal(st.tx, 20);
	assert_int_equal(st.dropped_auth + st.dropped_source, 0);
	relay_session_stats(f.s, KEYMGR_SIDE_B, &st);
	assert_int_equal(st.tx, 5);
	fixture_close(&f);
}

static void test_relay_carries_srtp_intact_aes_cm_to_gcm(void **state)
{
	(void)state;
	run_srtp_both_ways(SDES_AES_CM_128_HMAC_SHA1_80, SDES_AEAD_AES_128_GCM);
}

static void test_relay_carries_srtp_intact_gcm256_to_sha1_32(void **state)
{
	(void)state;
	run_srtp_both_ways(SDES_AEAD_AES_256_GCM, SDES_AES_CM_128_HMAC_SHA1_32);
}

static void test_relay_carries_srtcp_from_its_port_to_a_muxed_leg(void **state)
{
	struct fixture f;
	uint8_t sr[64 + SRTP_MAX_TRAILER_LEN] = {0x80, 200, 0, 6}, plain[28];
	uint8_t got[2048];
	int len = 28, glen;

	(void)state;
	fixture_open(&f, SDES_AES_CM_128_HMAC_SHA1_80, SDES_AEAD_AES_128_GCM, 0,
		     0);
	memcpy(sr + 4, &f.ph[0].ssrc, 4);
	memcpy(sr + 8, "ntp-time-rtp-cnts-bytes", 20);
	memcpy(plain, sr, sizeof plain);
	assert_int_equal(srtp_protect_rtcp(f.ph[0].tx, sr, &len),
			 srtp_err_status_ok);
	send_to(f.ph[0].rtcp, sr, len,
		relay_session_port(f.s, KEYMGR_SIDE_A) + 1);
	glen = pump_recv(&f, f.ph[1].rtp, got, sizeof got, 2000);
	assert_true(glen > 0);
	assert_null(memmem(got, (size_t)glen, "ntp-time-rtp", 12));
	assert_int_equal(srtp_unprotect_rtcp(f.ph[1].rx, got, &glen),
			 srtp_err_status_ok);
	assert_int_equal(glen, 28);
	assert_memory_equal(got, plain, 28);
	fixture_close(&f);
}

static void test_relay_bridges_srtp_to_rtp_only_when_allowed(void **state)
{
	struct fixture f;
	struct keymgr *km = keymgr_new(0, NULL, 0);
	struct keymgr_call *call;
	struct relay *r;
	struct relay_session *s = NULL;
	struct relay_leg_config legs[2] = {0};
	struct event_base *base = event_base_new();

	(void)state;
	fixture_open(&f, SDES_AES_CM_128_HMAC_SHA1_80, SDES_SUITE_NONE, 1, 0);
	for (unsigned i = 0; i < 5; i++)
		cross(&f, KEYMGR_SIDE_A, 1, 0, i);
	for (unsigned i = 0; i < 5; i++)
		cross(&f, KEYMGR_SIDE_B, 0, 1, i);
	fixture_close(&f);

	assert_int_equal(relay_new(base, &r, NULL, 0), KEYMGR_OK);
	assert_int_equal(keymgr_call_new(km, &call), KEYMGR_OK);
	legs[0].local = legs[0].remote = legs[1].local = legs[1].remote =
	    lo_addr(0);
	legs[0].srtp = 1;
	assert_int_equal(relay_session_new(r, call, legs, 0, &s, NULL, 0),
			 KEYMGR_EREJECT);
	assert_null(s);
	/* an SRTP leg without its keys opens nothing */
	assert_int_equal(relay_session_new(r, call, legs, 1, &s, NULL, 0),
			 KEYMGR_ENOKEY);
	relay_free(r);
	keymgr_call_free(call);
	keymgr_free(km);
	event_base_free(base);
}

static void
test_relay_checks_source_and_latches_after_authentication(void **state)
{
	struct fixture f;
	struct relay_stats st;
	uint8_t pkt[256 + SRTP_MAX_TRAILER_LEN], got[2048];
	unsigned port_a, other_port;
	int len, stranger, neighbour;

	(void)state;
	/* the SDP names an unused port: replies reach A only once its own
	 * packets have latched the leg (symmetric RTP) */
	close(bind_lo("127.0.0.1", 0, &other_port));
	fixture_open(&f, SDES_AEAD_AES_128_GCM, SDES_AEAD_AES_128_GCM, 0,
		     other_port);
	port_a = relay_session_port(f.s, KEYMGR_SIDE_A);
	stranger = bind_lo("127.0.0.2", 0, NULL);
	neighbour = bind_lo("127.0.0.1", 0, NULL);
	assert_true(stranger >= 0 && neighbour >= 0);

	/* a valid packet from another IP */
	len = rtp_make(&f.ph[0], pkt, 1);
	assert_int_equal(srtp_protect(f.ph[0].tx, pkt, &len),
			 srtp_err_status_ok);
	send_to(stranger, pkt, len, port_a);
	assert_int_equal(pump_recv(&f, f.ph[1].rtp, got, sizeof got, 200), -1);
	/* a forged packet from the right address and port */
	len = rtp_make(&f.ph[0], pkt, 2);
	assert_int_equal(srtp_protect(f.ph[0].tx, pkt, &len),
			 srtp_err_status_ok);
	pkt[20] ^= 1;
	send_to(neighbour, pkt, len, port_a);
	assert_int_equal(pump_recv(&f, f.ph[1].rtp, got, sizeof got, 200), -1);
	relay_session_stats(f.s, KEYMGR_SIDE_A, &st);
	assert_int_equal(st.dropped_source, 1);
	assert_int_equal(st.dropped_auth, 1);
	assert_int_equal(st.tx, 0);
	/* B -> A before A latched goes to the SDP's (dead) port */

	len = rtp_make(&f.ph[1], pkt, 3);
	assert_int_equal(srtp_protect(f.ph[1].tx, pkt, &len),
			 srtp_err_status_ok);
	send_to(f.ph[1].rtp, pkt, len, relay_session_port(f.s, KEYMGR_SIDE_B));
	assert_int_equal(pump_recv(&f, f.ph[0].rtp, got, sizeof got, 200), -1);
	/* A's own authentic packet latches the leg to A's port ... */
	cross(&f, KEYMGR_SIDE_A, 1, 1, 4);
	/* ... so replies now reach A, */
	cross(&f, KEYMGR_SIDE_B, 1, 1, 5);
	/* and an authentic packet from another port is dropped (by the
	 * kernel: a latched socket is connected to its peer). */
	len = rtp_make(&f.ph[0], pkt, 6);
	assert_int_equal(srtp_protect(f.ph[0].tx, pkt, &len),
			 srtp_err_status_ok);
	send_to(neighbour, pkt, len, port_a);
	assert_int_equal(pump_recv(&f, f.ph[1].rtp, got, sizeof got, 200), -1);
	relay_session_stats(f.s, KEYMGR_SIDE_A, &st);
	assert_int_equal(st.tx, 1);
	assert_int_equal(st.dropped_auth, 1);
	/* A's next packet still goes through. */
	cross(&f, KEYMGR_SIDE_A, 1, 1, 7);
	close(stranger);
	close(neighbour);
	fixture_close(&f);
}

/* The published AES_CM_128_HMAC_SHA1_80 vectors (libsrtp2's srtp_validate):
 * the relay's SRTP, with OpenSSL's HMAC-SHA1 registered in libsrtp2, makes
 * and checks exactly those bytes. */
static void test_relay_srtp_matches_the_published_aes_cm_vectors(void **state)
{
	static const uint8_t key[16] = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01,
					0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c,
					0x06, 0xde, 0x41, 0x39};
	static const uint8_t salt[14] = {0x0e, 0xc6, 0x75, 0xad, 0x49,
					 0x8a, 0xfe, 0xeb, 0xb6, 0x96,
					 0x0b, 0x3a, 0xab, 0xe6};
	static const uint8_t srtp[38] = {
	    0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe,
	    0xba, 0xbe, 0x4e, 0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8,
	    0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d, 0x24, 0x02, 0xb7, 0x8d,
	    0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb};
	static const uint8_t srtcp[38] = {
	    0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0x71, 0x28,
	    0x03, 0x5b, 0xe4, 0x87, 0xb9, 0xbd, 0xbe, 0xf8, 0x90, 0x41,
	    0xf9, 0x77, 0xa5, 0xa8, 0x80, 0x00, 0x00, 0x01, 0x99, 0x3e,
	    0x08, 0xcd, 0x54, 0xd6, 0xc1, 0x23, 0x07, 0x98};
	uint8_t buf[64 + SRTP_MAX_TRAILER_LEN];
	srtp_t tx, rx;
	int len;

	(void)state;
	assert_int_equal(relay_srtp_create(&tx, SDES_AES_CM_128_HMAC_SHA1_80,
					   key, 16, salt, 14, 0),
			 KEYMGR_OK);
	assert_int_equal(relay_srtp_create(&rx, SDES_AES_CM_128_HMAC_SHA1_80,
					   key, 16, salt, 14, 1),
			 KEYMGR_OK);
	memcpy(buf, srtp, 12);
	memset(buf + 12, 0xab, 16);
	len = 28;
	assert_int_equal(srtp_protect(tx, buf, &len), srtp_err_status_ok);
	assert_int_equal(len, 38);
	assert_memory_equal(buf, srtp, 38);
	memcpy(buf, srtcp, 8);
	memset(buf + 8, 0xab, 16);
	len = 24;
	assert_int_equal(srtp_protect_rtcp(tx, buf, &len), srtp_err_status_ok);
	assert_int_equal(len, 38);
	assert_memory_equal(buf, srtcp, 38);
	memcpy(buf, srtp, 38);
	len = 38;
	assert_int_equal(srtp_unprotect(rx, buf, &len), srtp_err_status_ok);
	assert_int_equal(len, 28);
	memcpy(buf, srtcp, 38);
	buf[37] ^= 1;
	len = 38;
	assert_int_not_equal(srtp_unprotect_rtcp(rx, buf, &len),
			     srtp_err_status_ok);
	srtp_dealloc(tx);
	srtp_dealloc(rx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		test_relay_srtp_matches_the_published_aes_cm_vectors),
	    cmocka_unit_test(test_relay_carries_srtp_intact_aes_cm_to_gcm),
	    cmocka_unit_test(test_relay_carries_srtp_intact_gcm256_to_sha1_32),
	    cmocka_unit_test(
		test_relay_carries_srtcp_from_its_port_to_a_muxed_leg),
	    cmocka_unit_test(test_relay_bridges_srtp_to_rtp_only_when_allowed),
	    cmocka_unit_test(
		test_relay_checks_source_and_latches_after_authentication),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
