/* mixer: three loopback "phones" with their own libsrtp2 contexts (keyed
 * as real phones are: their own sending key, ward's key toward them from
 * the a=crypto value ward would send them), each sending a distinct tone
 * into a conference; each hears the two others' tones and not its own
 * (Goertzel), every packet it gets authenticates under ward's key (no
 * plain RTP on an encrypted leg), and the bounds hold. Each phone also
 * gets ward's RTCP for the mixed stream (SRTCP under ward's key toward
 * it, an SR of the SSRC it hears with the counts it got, a report block
 * about its own stream carrying its last SR as LSR), sends SRs of its
 * own, and malformed or forged RTCP that ward drops without effect. */
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
#include "node/keymgr/mixer_rtcp.h"

#define NPH 3
#define RX_MAX (8000 * 2)
#define RTCP_TEST_MS 100 /* the mixer's report interval in these tests */
#define NBAD 5		 /* malformed RTCP packets phone 0 sends */

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
	unsigned got, bad;  /* packets received; that did not authenticate */
	uint32_t ward_ssrc; /* of the mixed RTP it hears */
	uint32_t last_ts;   /* of the last mixed RTP packet */
	unsigned rtp_got;   /* mixed RTP packets that authenticated */
	/* ward's reports: how many, with a block about it, carrying each
	 * SR it sent as LSR; the CNAME */
	unsigned reports, blocks, lsr_seen[2], byes;
	char cname[MIXER_RTCP_CNAME_LEN + 1];
	uint32_t sr_mid[2]; /* its SRs sent: middle 32 bits of NTP */
	unsigned nsr;
	uint64_t sr_at;	  /* when the last was sent, now_ms() */
	unsigned sr_iter; /* in which turn of run()'s loop */
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
	int rtcp_phase; /* run(): phones send SRs, phone 0 bad RTCP too */
};

static uint64_t now_ms(void);
/* The turn of run()'s loop: ward reads a phone's SR in the turn it was
 * sent, so only a report of that same turn may miss it. */
static unsigned turn;

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

static uint32_t get32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

static void put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
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
	put32(b + 8, p->ssrc);
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

/* Ward's compound report B (LEN bytes, unprotected) to P, read with the
 * test's own reading of RFC 3550 6.4.1 and 6.5, checked against what P
 * heard and sent. */
static void phone_report(struct phone *p, const uint8_t *b, int len)
{
	struct timespec wall;
	size_t sr_len, o, n, end;
	unsigned rc;
	int bye;
	uint64_t ntp, now = now_ms();
	int64_t skew;

	assert_true(len >= 28);
	assert_int_equal(b[0] & 0xe0, 0x80); /* V=2, no padding */
	assert_int_equal(b[1], 200);	     /* SR first */
	rc = b[0] & 0x1f;
	sr_len = 4 * (size_t)((b[2] << 8 | b[3]) + 1);
	assert_int_equal(sr_len, 28 + 24 * rc);
	assert_true(sr_len + 8 <= (size_t)len);
	/* a BYE last when ward's stream ends */
	bye = len >= 8 && b[len - 7] == 203;
	end = (size_t)len - (bye ? 8 : 0);
	if (bye) {
		assert_int_equal(b[len - 8], 0x81);
		assert_int_equal(b[len - 6] << 8 | b[len - 5], 1);
		assert_int_equal(get32(b + len - 4), p->ward_ssrc);
		p->byes++;
	}
	/* from the SSRC P hears, at the timestamp of the packet it heard
	 * last, with the counts of what it heard */
	assert_int_equal(p->rtp_got > 0, 1);
	assert_int_equal(get32(b + 4), p->ward_ssrc);
	if (bye) /* from the last tick on */
		assert_true(get32(b + 16) - p->last_ts < 8000);
	else
		assert_int_equal(get32(b + 16), p->last_ts);
	assert_int_equal(get32(b + 20), p->rtp_got);
	assert_int_equal(get32(b + 24), 160 * p->rtp_got);
	clock_gettime(CLOCK_REALTIME, &wall);
	ntp = (uint64_t)get32(b + 8) - 2208988800u;
	skew = (int64_t)ntp - (int64_t)wall.tv_sec;
	assert_true(skew >= -2 && skew <= 2);
	/* a block about P's own stream, only once it sent */
	assert_true(rc <= 1);
	if (p->seq == 0 || bye) /* the last one has none */
		assert_int_equal(rc, 0);
	if (rc == 1) {
		const uint8_t *rb = b + 28;
		uint32_t ext = get32(rb + 8), lsr = get32(rb + 16),
			 dlsr = get32(rb + 20);

		assert_int_equal(get32(rb), p->ssrc);
		assert_int_equal(get32(rb + 4), 0); /* none lost on lo */
		assert_true(ext < p->seq && ext + 4 >= p->seq);
		assert_true(get32(rb + 12) < 800); /* jitter < 100 ms */
		if (lsr == 0) {
			/* no SR yet, or one sent in this very turn */
			assert_int_equal(dlsr, 0);
			assert_true(p->nsr == 0 || p->sr_iter == turn);
		} else {
			/* its last SR; the one before only just after */
			int k = lsr == p->sr_mid[1] && p->nsr == 2 ? 1 : 0;

			assert_true(p->nsr > 0);
			assert_int_equal(lsr, p->sr_mid[k]);
			assert_true(k == (int)p->nsr - 1 || p->sr_iter == turn);
			/* DLSR: at most the time since P sent it */
			assert_true(dlsr <= (now - p->sr_at + 2) * 66);
			p->lsr_seen[k]++;
		}
		p->blocks++;
	}
	/* SDES: one chunk of the same SSRC, a CNAME, END, the rest */
	o = sr_len;
	assert_int_equal(b[o] & 0xe0, 0x80);
	assert_int_equal(b[o] & 0x1f, 1);
	assert_int_equal(b[o + 1], 202);
	assert_int_equal(o + 4 * (size_t)((b[o + 2] << 8 | b[o + 3]) + 1), end);
	assert_int_equal(get32(b + o + 4), p->ward_ssrc);
	assert_int_equal(b[o + 8], 1);
	n = b[o + 9];
	assert_int_equal(n, MIXER_RTCP_CNAME_LEN);
	assert_true(o + 10 + n < end);
	assert_int_equal(b[o + 10 + n], 0);
	if (p->reports == 0)
		memcpy(p->cname, b + o + 10, n);
	assert_memory_equal(p->cname, b + o + 10, n);
	p->reports++;
}

/* What ward sends P; KEEP: record the decoded audio. */
static void phone_recv(struct phone *p, int keep)
{
	uint8_t b[2048];
	ssize_t n;

	while ((n = recv(p->rtp, b, sizeof b, MSG_DONTWAIT)) > 0) {
		int len = (int)n;

		p->got++;
		if (n >= 2 && b[1] >= 192 && b[1] <= 223) { /* rtcp-mux */
			if (p->srtp && srtp_unprotect_rtcp(p->rx, b, &len) !=
					   srtp_err_status_ok) {
				p->bad++;
				continue;
			}
			phone_report(p, b, len);
			continue;
		}
		if (p->srtp &&
		    srtp_unprotect(p->rx, b, &len) != srtp_err_status_ok) {
			p->bad++;
			continue;
		}
		assert_int_equal(len, 12 + 160);
		assert_true(b[1] == 0 || b[1] == 8);
		if (p->rtp_got++ == 0)
			p->ward_ssrc = get32(b + 8);
		assert_int_equal(get32(b + 8), p->ward_ssrc);
		p->last_ts = get32(b + 4);
		for (int i = 12; i < len && keep && p->nheard < RX_MAX; i++)
			p->heard[p->nheard++] = b[1] == 8
						    ? g711_alaw_decode(b[i])
						    : g711_ulaw_decode(b[i]);
	}
}

/* LEN bytes of RTCP from P to ward, SRTCP with CTX when P is SRTP. */
static void phone_send_rtcp(struct phone *p, srtp_t ctx, const uint8_t *pkt,
			    int len)
{
	uint8_t b[256 + SRTP_MAX_TRAILER_LEN + 4];
	struct sockaddr_storage a =
	    lo_addr(relay_session_port(p->s, KEYMGR_SIDE_A));

	assert_true(len <= 256);
	memcpy(b, pkt, (size_t)len);
	if (p->srtp)
		assert_int_equal(srtp_protect_rtcp(ctx, b, &len),
				 srtp_err_status_ok);
	assert_int_equal(sendto(p->rtp, b, (size_t)len, 0,
				(struct sockaddr *)&a,
				sizeof(struct sockaddr_in)),
			 len);
}

/* An SR + SDES of P's with a random NTP time; its middle 32 bits into
 * *MID. */
static void phone_sr(struct phone *p, uint8_t b[56], uint32_t *mid)
{
	memset(b, 0, 56);
	b[0] = 0x80;
	b[1] = 200;
	b[3] = 6;
	put32(b + 4, p->ssrc);
	RAND_bytes(b + 8, 8);
	put32(b + 16, p->ts);
	put32(b + 20, p->seq);
	put32(b + 24, 160u * p->seq);
	b[28] = 0x81;
	b[29] = 202;
	b[31] = 6;
	put32(b + 32, p->ssrc);
	b[36] = 1;
	b[37] = 16;
	memcpy(b + 38, "phone@example.invalid", 16);
	*mid = get32(b + 10);
}

/* P sends an SR: ward should report it as LSR from its next report. */
static void phone_send_sr(struct phone *p)
{
	uint8_t b[56];

	phone_sr(p, b, &p->sr_mid[p->nsr]);
	phone_send_rtcp(p, p->tx, b, sizeof b);
	p->nsr++;
	p->sr_at = now_ms();
	p->sr_iter = turn;
}

/* NBAD malformed RTCP packets from P, each authenticated under its own
 * key, then an SR under a key that is not its own. */
static void phone_send_bad_rtcp(struct phone *p)
{
	uint8_t sr[56], b[56];
	uint32_t mid;
	srtp_t forger;
	uint8_t key[32], salt[14];

	phone_sr(p, sr, &mid);
	memcpy(b, sr, 56); /* the SR's length past the end */
	b[3] = 60;
	phone_send_rtcp(p, p->tx, b, 56);
	memcpy(b, sr, 56); /* SDES first */
	phone_send_rtcp(p, p->tx, b + 28, 28);
	memcpy(b, sr, 56); /* an SR too short for its report count */
	b[0] = 0x81;
	phone_send_rtcp(p, p->tx, b, 56);
	memcpy(b, sr, 56); /* version 1 in the second packet */
	b[28] = 0x41;
	phone_send_rtcp(p, p->tx, b, 56);
	memcpy(b, sr, 56); /* padding on the first packet */
	b[0] = 0xa0;
	b[55] = 4;
	phone_send_rtcp(p, p->tx, b, 56);
	/* a well-formed SR under a key the phone does not have */
	RAND_bytes(key, sizeof key);
	RAND_bytes(salt, sizeof salt);
	assert_int_equal(relay_srtp_create(&forger,
					   SDES_AES_CM_128_HMAC_SHA1_80, key,
					   16, salt, 14, 0),
			 KEYMGR_OK);
	phone_send_rtcp(p, forger, sr, 56);
	srtp_dealloc(forger);
}

static uint64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* MS of conference: every phone in SENDS sends its tone every 20 ms;
 * with F->rtcp_phase, each sends an SR at 400 and at 800 ms, and phone 0
 * malformed and forged RTCP at 600 ms. */
static void run(struct fixture *f, unsigned ms, const int *sends)
{
	uint64_t t0 = now_ms(), next = t0;
	int phase = 0;

	for (;; turn++) {
		uint64_t t = now_ms();
		if (t - t0 >= ms)
			break;
		if (f->rtcp_phase && phase < 3 &&
		    t - t0 >= 400 + 200u * phase) {
			for (int i = 0; i < NPH; i++)
				if (phase == 1 && i == 0)
					phone_send_bad_rtcp(&f->ph[i]);
				else if (phase != 1)
					phone_send_sr(&f->ph[i]);
			phase++;
		}
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
	mixer_set_rtcp_interval(f.mx, RTCP_TEST_MS);
	f.rtcp_phase = 1;
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
		struct relay_stats rs;

		/* ward's reports, about 12 each, every one checked as it
		 * came (phone_report); both SRs reported back as LSR; one
		 * conference, one CNAME; none of another phone's */
		assert_true(p->reports >= 5);
		assert_true(p->blocks >= 4);
		assert_true(p->lsr_seen[0] >= 1);
		assert_true(p->lsr_seen[1] >= 1);
		assert_string_equal(p->cname, f.ph[0].cname);
		assert_int_equal(p->nsr, 2);
		/* the malformed ones counted and dropped, the forged one
		 * refused by the relay; nothing else changed: the tones
		 * below, the LSRs above */
		mixer_part_stats(p->s, KEYMGR_SIDE_A, &st);
		assert_int_equal(st.rtcp_in, 2);
		assert_int_equal(st.rtcp_bad, i == 0 ? NBAD : 0);
		assert_true(st.rtcp_sent >= p->reports &&
			    st.rtcp_sent <= p->reports + 1);
		relay_session_stats(p->s, KEYMGR_SIDE_A, &rs);
		assert_int_equal(rs.dropped_auth, i == 0 ? 1 : 0);

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
		assert_int_equal(p->byes, 0);
	}
	/* a party that leaves hears ward's stream end: a last report with
	 * a BYE of its SSRC, under ward's key (phone_report checks) */
	mixer_remove(f.ph[0].s, KEYMGR_SIDE_A);
	phone_recv(&f.ph[0], 0);
	assert_int_equal(f.ph[0].byes, 1);
	assert_int_equal(f.ph[0].bad, 0);
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
	mixer_set_rtcp_interval(f.mx, RTCP_TEST_MS);
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
	/* reports to all, plain RTCP to the RTP phone; a block only to the
	 * one that sent (phone_report checks) */
	for (int i = 0; i < NPH; i++)
		assert_true(f.ph[i].reports >= 3);
	assert_true(f.ph[0].blocks >= 2);
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

/* The receiver statistics of RFC 3550 A.1, A.3, A.8 as ward reports
 * them: probation, loss and its fraction per interval, a sequence wrap,
 * a new SSRC, LSR/DLSR. */
static void test_mixer_rtcp_counts_loss_wrap_and_lsr(void **state)
{
	struct mixer_rtcp_sender snd = {0x11223344, 0, 0, 0, 0};
	struct mixer_rtcp_rx rx;
	struct mixer_rtcp_in in = {1, 0xabcdef01, 0x55667788};
	uint8_t b[MIXER_RTCP_MAX];
	const char *cname = "0123456789abcdef";
	uint16_t seq = 65530;
	uint32_t ts = 1000;

	(void)state;
	mixer_rtcp_rx_reset(&rx);
	/* nothing yet, then one packet (probation): no block */
	assert_int_equal(mixer_rtcp_write(b, &snd, &rx, 0, cname), 56);
	assert_int_equal(b[0], 0x80);
	mixer_rtcp_rx_rtp(&rx, 0xabcdef01, seq++, ts, 5000, 1);
	assert_int_equal(mixer_rtcp_write(b, &snd, &rx, 0, cname), 56);
	/* 20 packets across the wrap, every fourth lost, steady clock */
	for (int i = 0; i < 20; i++, seq++) {
		ts += 160;
		if (i % 4 != 3)
			mixer_rtcp_rx_rtp(&rx, 0xabcdef01, seq, ts,
					  5000 + ts - 1000, 1);
	}
	mixer_rtcp_rx_rtcp(&rx, &in, 1000u << 16);
	assert_int_equal(
	    mixer_rtcp_write(b, &snd, &rx, (1000u << 16) + 32768, cname), 80);
	assert_int_equal(b[0], 0x81);
	assert_int_equal(get32(b + 4), 0x11223344);
	assert_int_equal(get32(b + 28), 0xabcdef01);
	/* counted from the second packet (65531) to the highest seen
	 * (65549; 65550 was lost, which nothing shows yet): 19 expected,
	 * 15 got */
	assert_int_equal(get32(b + 28 + 4) & 0xffffff, 4);
	assert_int_equal(get32(b + 28 + 4) >> 24, 4 * 256 / 19);
	assert_int_equal(get32(b + 28 + 8), 65536u + (uint16_t)(65530 + 19));
	assert_int_equal(get32(b + 28 + 12), 0); /* no jitter */
	assert_int_equal(get32(b + 28 + 16), 0x55667788);
	assert_int_equal(get32(b + 28 + 20), 32768); /* half a second */
	assert_memory_equal(b + 52 + 10, cname, 16);
	/* the next interval: 65550's loss shows, 1 of 6 */
	for (int i = 0; i < 5; i++, seq++) {
		ts += 160;
		mixer_rtcp_rx_rtp(&rx, 0xabcdef01, seq, ts, 5000 + ts - 1000,
				  1);
	}
	mixer_rtcp_write(b, &snd, &rx, 1000u << 16, cname);
	assert_int_equal(get32(b + 28 + 4), (256 / 6) << 24 | 5);
	/* then none lost: fraction 0, the total kept */
	ts += 160;
	mixer_rtcp_rx_rtp(&rx, 0xabcdef01, seq++, ts, 5000 + ts - 1000, 1);
	mixer_rtcp_write(b, &snd, &rx, 1000u << 16, cname);
	assert_int_equal(get32(b + 28 + 4), 5);
	/* a late packet with another timing: jitter; telephone-event's
	 * timestamps: none */
	mixer_rtcp_rx_rtp(&rx, 0xabcdef01, seq++, ts + 160,
			  5000 + ts + 160 - 1000 + 1600, 1);
	mixer_rtcp_rx_rtp(&rx, 0xabcdef01, seq++, 7, 0, 0);
	mixer_rtcp_write(b, &snd, &rx, 1000u << 16, cname);
	assert_int_equal(get32(b + 28 + 12), 1600 / 16);
	/* the last one: no block, a BYE of ward's SSRC, valid RTCP */
	assert_int_equal(mixer_rtcp_write_bye(b, &snd, cname), 64);
	assert_int_equal(b[0], 0x80);
	assert_int_equal(b[56 + 1], 203);
	assert_int_equal(get32(b + 60), 0x11223344);
	assert_int_equal(mixer_rtcp_read(b, 64, &in), 0);
	assert_int_equal(in.ssrc, 0x11223344);
	/* a new SSRC starts over: probation, and the old SR is not its */
	mixer_rtcp_rx_rtp(&rx, 0x99, 10, 0, 0, 1);
	assert_int_equal(mixer_rtcp_write(b, &snd, &rx, 0, cname), 56);
	mixer_rtcp_rx_rtp(&rx, 0x99, 11, 160, 160, 1);
	assert_int_equal(mixer_rtcp_write(b, &snd, &rx, 0, cname), 80);
	assert_int_equal(get32(b + 28), 0x99);
	assert_int_equal(get32(b + 28 + 4), 0);
	assert_int_equal(get32(b + 28 + 8), 11);
	assert_int_equal(get32(b + 28 + 16), 0);
	assert_int_equal(get32(b + 28 + 20), 0);
}

/* The reader of a party's RTCP takes SR and RR compounds and refuses,
 * without reading past the end, every malformed shape. */
static void test_mixer_rtcp_reads_compounds_and_refuses_malformed(void **state)
{
	uint8_t p[28 + 24 + 28] = {0x81, 200, 0, 12, 1, 2, 3,
				   4,	 0,   0, 9,  8, 7, 6};
	struct mixer_rtcp_in in;

	(void)state;
	p[52] = 0x81; /* SDES, 28 bytes */
	p[53] = 202;
	p[55] = 6;
	assert_int_equal(mixer_rtcp_read(p, sizeof p, &in), 0);
	assert_int_equal(in.has_sr, 1);
	assert_int_equal(in.ssrc, 0x01020304);
	assert_int_equal(in.ntp_mid, 0x09080706);
	assert_int_equal(mixer_rtcp_read(p, 52, &in), 0); /* SR alone */
	/* an RR with one block: no SR to keep */
	p[1] = 201;
	p[3] = 7;
	assert_int_equal(mixer_rtcp_read(p, 32, &in), 0);
	assert_int_equal(in.has_sr, 0);
	assert_int_equal(in.ssrc, 0x01020304);
	p[1] = 200;
	p[3] = 12;
	/* truncated anywhere, bytes over, too short, lengths past the end */
	for (size_t n = 0; n < sizeof p; n++)
		if (n != 52)
			assert_int_equal(mixer_rtcp_read(p, n, &in), -1);
	p[3] = 11; /* the report count wants 52 */
	assert_int_equal(mixer_rtcp_read(p, 48, &in), -1);
	p[3] = 200;
	assert_int_equal(mixer_rtcp_read(p, sizeof p, &in), -1);
	p[3] = 12;
	p[55] = 200;
	assert_int_equal(mixer_rtcp_read(p, sizeof p, &in), -1);
	p[55] = 6;
	/* SDES first; another version; a type out of range; padding on
	 * the first packet; padding of zero or past the packet on the
	 * last */
	assert_int_equal(mixer_rtcp_read(p + 52, 28, &in), -1);
	p[52] = 0x41;
	assert_int_equal(mixer_rtcp_read(p, sizeof p, &in), -1);
	p[52] = 0x81;
	p[53] = 180;
	assert_int_equal(mixer_rtcp_read(p, sizeof p, &in), -1);
	p[53] = 202;
	p[0] = 0xa1;
	p[51] = 4;
	assert_int_equal(mixer_rtcp_read(p, 52, &in), -1);
	p[0] = 0x81;
	p[52] = 0xa1;
	p[sizeof p - 1] = 0;
	assert_int_equal(mixer_rtcp_read(p, sizeof p, &in), -1);
	p[sizeof p - 1] = 28;
	assert_int_equal(mixer_rtcp_read(p, sizeof p, &in), -1);
	p[sizeof p - 1] = 24; /* the most it may be */
	assert_int_equal(mixer_rtcp_read(p, sizeof p, &in), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_g711_round_trips_within_a_step),
	    cmocka_unit_test(test_mixer_reads_rtp_headers_and_refuses_overruns),
	    cmocka_unit_test(test_mixer_rtcp_counts_loss_wrap_and_lsr),
	    cmocka_unit_test(
		test_mixer_rtcp_reads_compounds_and_refuses_malformed),
	    cmocka_unit_test(test_mixer_gives_each_srtp_phone_the_two_others),
	    cmocka_unit_test(test_mixer_gives_each_gcm_phone_the_two_others),
	    cmocka_unit_test(test_mixer_silent_participant_contributes_silence),
	    cmocka_unit_test(test_mixer_bounds_and_leaving),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
