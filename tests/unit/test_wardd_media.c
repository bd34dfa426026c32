/* wardd_media: the media table as the B2BUA calls it, with the media
 * thread running — a fake phone A sends SRTP through ward's relay to a
 * fake phone B (libsrtp2 on the test side, keyed from the SDP ward wrote
 * to each), the payload arrives intact both ways, a non-secure B gets
 * plain RTP, the call bound holds, closing gives every port back, and no
 * key is ever in the log. */
#include <arpa/inet.h>
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
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <srtp2/srtp.h>

#include "common/hex.h"
#include "common/log.h"
#include "node/keymgr/relay.h"
#include "node/wardd_media.h"
#include "sdp/sdes.h"
#include "sdp/sdp.h"

static const struct sip_media_leg enc = {SIP_SECMODE_ENCRYPTED, SIP_TP_TLS, 0,
					 0, ""};
static const struct sip_media_leg open_udp = {SIP_SECMODE_NONSECURE, SIP_TP_UDP,
					      0, 0, ""};

struct phone {
	int fd; /* RTP, 127.0.0.1 */
	unsigned port;
	struct sdes_crypto own;	 /* its sending key */
	struct sdes_crypto ward; /* ward's key toward it */
	srtp_t tx, rx;
	unsigned ward_port; /* where ward listens for it */
	uint16_t seq;
	uint32_t ssrc;
};

/* Every key the test saw, for the log check. */
static struct sdes_crypto seen[64];
static size_t nseen;

static void remember(const struct sdes_crypto *c)
{
	assert_true(nseen < 64);
	seen[nseen++] = *c;
}

static void phone_open(struct phone *p, enum sdes_suite suite)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof a;

	memset(p, 0, sizeof *p);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	p->fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(p->fd >= 0);
	assert_int_equal(bind(p->fd, (struct sockaddr *)&a, sizeof a), 0);
	getsockname(p->fd, (struct sockaddr *)&a, &len);
	p->port = ntohs(a.sin_port);
	RAND_bytes((unsigned char *)&p->ssrc, sizeof p->ssrc);
	if (!suite)
		return;
	p->own.tag = 1;
	p->own.suite = suite;
	p->own.key_len = sdes_suite_key_len(suite);
	p->own.salt_len = sdes_suite_salt_len(suite);
	RAND_bytes(p->own.key, (int)p->own.key_len);
	RAND_bytes(p->own.salt, (int)p->own.salt_len);
	remember(&p->own);
	assert_int_equal(relay_srtp_create(&p->tx, suite, p->own.key,
					   p->own.key_len, p->own.salt,
					   p->own.salt_len, 0),
			 KEYMGR_OK);
}

static void phone_close(struct phone *p)
{
	close(p->fd);
	if (p->tx)
		srtp_dealloc(p->tx);
	if (p->rx)
		srtp_dealloc(p->rx);
}

static size_t phone_sdp(const struct phone *p, char *buf, size_t cap)
{
	char value[SDES_VALUE_MAX];
	int n = snprintf(buf, cap,
			 "v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
			 "c=IN IP4 127.0.0.1\r\nt=0 0\r\n"
			 "m=audio %u %s 0\r\na=rtpmap:0 PCMU/8000\r\n"
			 "a=rtcp-mux\r\n",
			 p->port, p->tx ? "RTP/SAVP" : "RTP/AVP");

	if (p->tx) {
		assert_int_equal(sdes_format(&p->own, value, sizeof value),
				 SDES_OK);
		n += snprintf(buf + n, cap - (size_t)n, "a=crypto:%s\r\n",
			      value);
	}
	return (size_t)n;
}

/* What ward wrote to P: its port, and its key toward P (if any). */
static void phone_learn(struct phone *p, const char *sdp, size_t len)
{
	static struct sdp_session s;
	char err[128];

	assert_int_equal(sdp_parse(sdp, len, &s, err, sizeof err), SDP_OK);
	assert_string_equal(s.conn.addr, "127.0.0.1");
	p->ward_port = s.media[0].port;
	if (p->tx) {
		/* the line of the phone's own suite, as a phone chooses */
		size_t k = 0;

		assert_true(s.media[0].ncrypto >= 1);
		for (size_t j = 0; j < s.media[0].ncrypto; j++) {
			/* every key ward offered, taken or not, for the
			 * log check */
			struct sdes_crypto any;

			assert_int_equal(sdes_parse(s.media[0].crypto[j], &any),
					 SDES_OK);
			remember(&any);
			sdes_crypto_wipe(&any);
		}
		for (;; k++) {
			assert_true(k < s.media[0].ncrypto);
			assert_int_equal(
			    sdes_parse(s.media[0].crypto[k], &p->ward),
			    SDES_OK);
			if (p->ward.suite == p->own.suite)
				break;
		}
		p->own.tag = p->ward.tag; /* its answer names that line */
		assert_int_equal(relay_srtp_create(&p->rx, p->ward.suite,
						   p->ward.key, p->ward.key_len,
						   p->ward.salt,
						   p->ward.salt_len, 1),
				 KEYMGR_OK);
	} else {
		assert_int_equal(s.media[0].ncrypto, 0);
	}
	sdp_session_wipe(&s);
}

/* One 20 ms G.711 packet FROM -> TO through ward; checked on arrival. */
static void cross(struct phone *from, struct phone *to, unsigned n)
{
	uint8_t plain[172], wire[256], got[2048];
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)from->ward_port)};
	struct pollfd pfd = {.fd = to->fd, .events = POLLIN};
	int plen = sizeof plain, wlen = plen, glen;

	plain[0] = 0x80;
	plain[1] = 0;
	plain[2] = (uint8_t)(from->seq >> 8);
	plain[3] = (uint8_t)from->seq++;
	memset(plain + 4, 0, 4);
	plain[7] = (uint8_t)n;
	memcpy(plain + 8, &from->ssrc, 4);
	for (int i = 0; i < 160; i++)
		plain[12 + i] = (uint8_t)("ward media table "[i % 17] + n);
	memcpy(wire, plain, sizeof plain);
	if (from->tx)
		assert_int_equal(srtp_protect(from->tx, wire, &wlen),
				 srtp_err_status_ok);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	assert_int_equal(sendto(from->fd, wire, (size_t)wlen, 0,
				(struct sockaddr *)&a, sizeof a),
			 wlen);
	assert_int_equal(poll(&pfd, 1, 3000), 1);
	glen = (int)recv(to->fd, got, sizeof got, 0);
	assert_true(glen > 0);
	if (to->rx) {
		/* an encrypted leg never carries the plaintext */
		assert_null(memmem(got, (size_t)glen, plain + 12, 32));
		assert_int_equal(srtp_unprotect(to->rx, got, &glen),
				 srtp_err_status_ok);
	}
	assert_int_equal(glen, plen);
	assert_memory_equal(got, plain, (size_t)plen);
}

/* An even port range that is free now (a few pairs). */
static unsigned free_range(void)
{
	static int seeded;

	if (!seeded++)
		srand((unsigned)getpid());
	for (int attempt = 0; attempt < 200; attempt++) {
		/* Above the kernel's ephemeral ports (to 60999) and the
		 * system tests' media blocks (20480-32767), which tests
		 * running beside this one take at any moment. */
		unsigned lo = 61000 + 2 * (unsigned)(rand() % 2250);
		int ok = 1;

		for (unsigned p = lo; p < lo + 16 && ok; p++) {
			struct sockaddr_in a = {.sin_family = AF_INET,
						.sin_port = htons((uint16_t)p)};
			int fd = socket(AF_INET, SOCK_DGRAM, 0);

			inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
			ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
			close(fd);
		}
		if (ok)
			return lo;
	}
	fail_msg("no free port range");
	return 0;
}

static const char *music_path; /* media_start gives it to the relay */

static struct wardd_media *media_start(unsigned max_calls, int bridge)
{
	struct wardd_media_config mc = {.max_calls = max_calls,
					.allow_bridge = bridge};

	if (music_path)
		snprintf(mc.hold_music, sizeof mc.hold_music, "%s", music_path);
	struct wardd_media *m;
	char err[256];

	snprintf(mc.addr, sizeof mc.addr, "127.0.0.1");
	mc.port_min = free_range();
	mc.port_max = mc.port_min + 15;
	assert_int_equal(wardd_media_new(&mc, &m, err, sizeof err), 0);
	return m;
}

/* A call from PA to PB, both encrypted over TLS, offered and answered
 * through T and left open; each phone learns what ward wrote it. */
static struct sip_media_call *answered(struct sip_media *t, const char *id,
				       struct phone *pa, struct phone *pb,
				       enum sip_level *level)
{
	char in[4096], out[4096];
	size_t len, out_len;
	struct sip_media_call *call;

	len = phone_sdp(pa, in, sizeof in);
	assert_int_equal(t->ops->offer(t->ctx, id, &enc, &enc, in, len, out,
				       sizeof out, &out_len, &call),
			 0);
	phone_learn(pb, out, out_len);
	len = phone_sdp(pb, in, sizeof in);
	assert_int_equal(t->ops->answer(t->ctx, call, in, len, out, sizeof out,
					&out_len, level),
			 0);
	phone_learn(pa, out, out_len);
	return call;
}

/* A full call A -> B through the table; packets both ways. */
static void call_through(struct sip_media *t, struct phone *pa,
			 struct phone *pb, const struct sip_media_leg *lb,
			 enum sip_level want)
{
	char in[4096], out[4096];
	size_t len, out_len;
	struct sip_media_call *call;
	enum sip_level level;

	len = phone_sdp(pa, in, sizeof in);
	assert_int_equal(t->ops->offer(t->ctx, "c1@test", &enc, lb, in, len,
				       out, sizeof out, &out_len, &call),
			 0);
	assert_int_equal(strlen(out), out_len);
	phone_learn(pb, out, out_len);
	len = phone_sdp(pb, in, sizeof in);
	assert_int_equal(t->ops->answer(t->ctx, call, in, len, out, sizeof out,
					&out_len, &level),
			 0);
	assert_int_equal(level, want);
	phone_learn(pa, out, out_len);
	for (unsigned i = 0; i < 10; i++) {
		cross(pa, pb, i);
		cross(pb, pa, i);
	}
	t->ops->close(t->ctx, call);
}

static void test_media_relays_srtp_end_to_end(void **state)
{
	struct wardd_media *m = media_start(4, 1);
	struct sip_media t;
	struct phone pa, pb;

	(void)state;
	wardd_media_table(m, &t);
	phone_open(&pa, SDES_AES_CM_128_HMAC_SHA1_80);
	phone_open(&pb, SDES_AES_CM_128_HMAC_SHA1_80);
	call_through(&t, &pa, &pb, &enc, SIP_LEVEL_ENCRYPTED);
	/* ward's keys differ per direction and from the phones' */
	assert_memory_not_equal(pa.ward.key, pb.ward.key, 16);
	assert_memory_not_equal(pa.ward.key, pb.own.key, 16);
	assert_memory_not_equal(pb.ward.key, pa.own.key, 16);
	assert_int_equal(wardd_media_calls(m), 0);
	assert_int_equal(wardd_media_ports_used(m), 0);
	phone_close(&pa);
	phone_close(&pb);

	/* GCM on both legs */
	phone_open(&pa, SDES_AEAD_AES_128_GCM);
	phone_open(&pb, SDES_AEAD_AES_128_GCM);
	call_through(&t, &pa, &pb, &enc, SIP_LEVEL_ENCRYPTED);
	phone_close(&pa);
	phone_close(&pb);

	/* A chose GCM-256, B knows only AES-CM-80: B answers the other
	 * line ward offered, and each leg runs its own suite */
	phone_open(&pa, SDES_AEAD_AES_256_GCM);
	phone_open(&pb, SDES_AES_CM_128_HMAC_SHA1_80);
	call_through(&t, &pa, &pb, &enc, SIP_LEVEL_ENCRYPTED);
	assert_int_equal(pa.ward.suite, SDES_AEAD_AES_256_GCM);
	assert_int_equal(pb.ward.suite, SDES_AES_CM_128_HMAC_SHA1_80);
	assert_int_equal(pb.ward.tag, 3);
	phone_close(&pa);
	phone_close(&pb);
	wardd_media_free(m);
}

static void test_media_bridges_to_a_nonsecure_phone(void **state)
{
	struct wardd_media *m = media_start(4, 1);
	struct sip_media t;
	struct phone pa, pb;
	struct sip_media_leg eor = open_udp;
	struct sip_media_call *call;
	char in[4096], out[4096];
	size_t len, out_len;

	(void)state;
	wardd_media_table(m, &t);
	phone_open(&pa, SDES_AEAD_AES_256_GCM);
	phone_open(&pb, SDES_SUITE_NONE);
	/* "encrypted or reject" on either leg refuses what the bridge
	 * would carry */
	len = phone_sdp(&pa, in, sizeof in);
	eor.encrypted_or_reject = 1;
	assert_int_equal(t.ops->offer(t.ctx, "c0@test", &enc, &eor, in, len,
				      out, sizeof out, &out_len, &call),
			 488);
	assert_null(call);
	assert_int_equal(wardd_media_ports_used(m), 0);
	call_through(&t, &pa, &pb, &open_udp, SIP_LEVEL_NONSECURE);
	phone_close(&pa);
	phone_close(&pb);
	wardd_media_free(m);
}

static void test_media_refuses_beyond_max_calls_and_reject(void **state)
{
	struct wardd_media *m = media_start(1, 0);
	struct sip_media t;
	struct phone pa;
	struct sip_media_call *c1, *c2;
	char in[4096], out[4096];
	size_t len, out_len;

	(void)state;
	wardd_media_table(m, &t);
	phone_open(&pa, SDES_AES_CM_128_HMAC_SHA1_80);
	len = phone_sdp(&pa, in, sizeof in);
	assert_int_equal(t.ops->offer(t.ctx, "c1@test", &enc, &enc, in, len,
				      out, sizeof out, &out_len, &c1),
			 0);
	assert_int_equal(t.ops->offer(t.ctx, "c2@test", &enc, &enc, in, len,
				      out, sizeof out, &out_len, &c2),
			 500);
	assert_null(c2);
	t.ops->close(t.ctx, c1);
	t.ops->close(t.ctx, NULL);
	/* bridging not allowed: SRTP to a non-secure phone is refused */
	assert_int_equal(t.ops->offer(t.ctx, "c3@test", &enc, &open_udp, in,
				      len, out, sizeof out, &out_len, &c2),
			 488);
	assert_int_equal(wardd_media_calls(m), 0);
	assert_int_equal(wardd_media_ports_used(m), 0);
	phone_close(&pa);
	wardd_media_free(m);
}

/* A transfer puts a new party on B's side of an encrypted call: a phone
 * over UDP in non-secure mode that offers best-effort SRTP (RTP/AVP with
 * a=crypto). Its leg, not the one that left, decides: no key of ward's
 * toward it, nor toward A (no bridging here), plain RTP both ways, level
 * non-secure; an
 * RTP/SAVP offer from it is refused (488) and the call's legs stay as
 * they were. */
static void test_media_transfer_follows_the_new_party_leg(void **state)
{
	struct wardd_media *m = media_start(4, 0);
	struct sip_media t;
	struct phone pa, pb, pc;
	struct sip_media_call *call;
	struct sip_media_leg lc = open_udp;
	enum sip_level level;
	char in[4096], out[4096];
	size_t len, out_len;
	struct sdp_session *s = calloc(1, sizeof *s);
	char err[128];

	(void)state;
	wardd_media_table(m, &t);
	phone_open(&pa, SDES_AES_CM_128_HMAC_SHA1_80);
	phone_open(&pb, SDES_AES_CM_128_HMAC_SHA1_80);
	phone_open(&pc, SDES_AES_CM_128_HMAC_SHA1_80);
	call = answered(&t, "x1@test", &pa, &pb, &level);
	assert_int_equal(level, SIP_LEVEL_ENCRYPTED);

	/* RTP/SAVP from the new party's leg, which may not see keys */
	snprintf(lc.device, sizeof lc.device, "SEP00000000000C");
	len = phone_sdp(&pc, in, sizeof in);
	assert_int_equal(t.ops->reoffer(t.ctx, call, 'B', &enc, &lc, in, len,
					out, sizeof out, &out_len),
			 488);
	/* best-effort SRTP from it: falls back to RTP */
	len = phone_sdp(&pc, in, sizeof in);
	memcpy(strstr(in, "RTP/SAVP"), "RTP/AVP ", 8);
	assert_int_equal(t.ops->reoffer(t.ctx, call, 'B', &enc, &lc, in, len,
					out, sizeof out, &out_len),
			 0);
	assert_int_equal(sdp_parse(out, out_len, s, err, sizeof err), SDP_OK);
	assert_string_equal(s->media[0].proto, "RTP/AVP");
	assert_int_equal(s->media[0].ncrypto, 0);
	pa.ward_port = s->media[0].port;
	sdp_session_wipe(s);
	/* A answers plain RTP; ward's answer to C carries no key */
	srtp_dealloc(pa.tx);
	srtp_dealloc(pa.rx);
	pa.tx = pa.rx = NULL;
	len = phone_sdp(&pa, in, sizeof in);
	assert_int_equal(t.ops->reanswer(t.ctx, call, in, len, out, sizeof out,
					 &out_len, &level),
			 0);
	assert_int_equal(level, SIP_LEVEL_NONSECURE);
	assert_int_equal(sdp_parse(out, out_len, s, err, sizeof err), SDP_OK);
	assert_int_equal(s->media[0].ncrypto, 0);
	pc.ward_port = s->media[0].port;
	sdp_session_wipe(s);
	srtp_dealloc(pc.tx);
	pc.tx = NULL;
	for (unsigned i = 0; i < 5; i++) {
		cross(&pa, &pc, i);
		cross(&pc, &pa, i);
	}
	t.ops->close(t.ctx, call);
	free(s);
	phone_close(&pa);
	phone_close(&pb);
	phone_close(&pc);
	wardd_media_free(m);
}

/* A re-INVITE that moves A to another port with the same key (old-style
 * hold and resume do this) keeps the relay session and its SRTP contexts:
 * B still decrypts with the key ward gave it, A's stream goes on, and
 * packets flow to and from A's new port. */
static void test_media_reinvite_moves_a_without_rekey(void **state)
{
	struct wardd_media *m = media_start(4, 1);
	struct sip_media t;
	struct phone pa, pb;
	struct sip_media_call *call;
	enum sip_level level;
	char in[4096], out[4096];
	size_t len, out_len;
	int old_fd;

	(void)state;
	wardd_media_table(m, &t);
	phone_open(&pa, SDES_AES_CM_128_HMAC_SHA1_80);
	phone_open(&pb, SDES_AES_CM_128_HMAC_SHA1_80);
	call = answered(&t, "c1@test", &pa, &pb, &level);
	for (unsigned i = 0; i < 5; i++) {
		cross(&pa, &pb, i);
		cross(&pb, &pa, i);
	}

	/* A moves to a new socket, same key */
	{
		struct sockaddr_in a = {.sin_family = AF_INET};
		socklen_t alen = sizeof a;

		old_fd = pa.fd;
		inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
		pa.fd = socket(AF_INET, SOCK_DGRAM, 0);
		assert_int_equal(bind(pa.fd, (struct sockaddr *)&a, sizeof a),
				 0);
		getsockname(pa.fd, (struct sockaddr *)&a, &alen);
		pa.port = ntohs(a.sin_port);
	}
	len = phone_sdp(&pa, in, sizeof in);
	assert_int_equal(t.ops->reoffer(t.ctx, call, 'A', NULL, NULL, in, len,
					out, sizeof out, &out_len),
			 0);
	{
		/* B is offered the key it already has */
		struct sdp_session *s = calloc(1, sizeof *s);
		struct sdes_crypto c;
		char err[128];

		assert_int_equal(sdp_parse(out, out_len, s, err, sizeof err),
				 SDP_OK);
		assert_int_equal(s->media[0].port, pb.ward_port);
		assert_int_equal(sdes_parse(s->media[0].crypto[0], &c),
				 SDES_OK);
		assert_memory_equal(c.key, pb.ward.key, c.key_len);
		sdes_crypto_wipe(&c);
		sdp_session_wipe(s);
		free(s);
	}
	len = phone_sdp(&pb, in, sizeof in);
	assert_int_equal(t.ops->reanswer(t.ctx, call, in, len, out, sizeof out,
					 &out_len, &level),
			 0);
	assert_int_equal(level, SIP_LEVEL_ENCRYPTED);
	for (unsigned i = 5; i < 10; i++) {
		cross(&pa, &pb, i);
		cross(&pb, &pa, i);
	}
	close(old_fd);
	t.ops->close(t.ctx, call);
	phone_close(&pa);
	phone_close(&pb);
	wardd_media_free(m);
}

/* Waits for a datagram on FD; its length, or -1 after 2 s. */
static int recv_wait(int fd, uint8_t *buf, size_t cap)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	if (poll(&pfd, 1, 2000) != 1)
		return -1;
	return (int)recv(fd, buf, cap, 0);
}

/* A holds B: B hears the operator's music as SRTP it decrypts with the
 * key ward gave it — the file's bytes, 160 a packet, in order — and not
 * A's stream; A resumes and B hears A again. */
static void test_media_hold_plays_encrypted_music(void **state)
{
	char path[] = "/tmp/test_wardd_media_music.XXXXXX";
	int fd = mkstemp(path);
	uint8_t file[1600], got[2048];
	struct wardd_media *m;
	struct sip_media t;
	struct phone pa, pb;
	struct sip_media_call *call;
	enum sip_level level;
	char in[4096], out[4096], *dir;
	size_t len, out_len;
	int glen;

	(void)state;
	assert_true(fd >= 0);
	for (size_t i = 0; i < sizeof file; i++)
		file[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(write(fd, file, sizeof file), (ssize_t)sizeof file);
	close(fd);
	music_path = path;
	m = media_start(4, 1);
	music_path = NULL;
	wardd_media_table(m, &t);
	phone_open(&pa, SDES_AEAD_AES_128_GCM);
	phone_open(&pb, SDES_AES_CM_128_HMAC_SHA1_80);
	call = answered(&t, "c1@test", &pa, &pb, &level);
	cross(&pa, &pb, 0);

	/* hold: A's re-offer says sendonly */
	len = phone_sdp(&pa, in, sizeof in);
	dir = strstr(in, "a=rtcp-mux");
	assert_non_null(dir);
	len += (size_t)snprintf(in + len, sizeof in - len, "a=sendonly\r\n");
	assert_int_equal(t.ops->reoffer(t.ctx, call, 'A', NULL, NULL, in, len,
					out, sizeof out, &out_len),
			 0);
	assert_non_null(strstr(out, "a=sendonly"));
	/* the same key toward B, now as line 1: B answers that line */
	assert_non_null(strstr(out, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "));
	assert_null(strstr(out, "a=crypto:2"));
	pb.own.tag = 1;
	len = phone_sdp(&pb, in, sizeof in);
	len += (size_t)snprintf(in + len, sizeof in - len, "a=recvonly\r\n");
	assert_int_equal(t.ops->reanswer(t.ctx, call, in, len, out, sizeof out,
					 &out_len, &level),
			 0);
	assert_int_equal(level, SIP_LEVEL_ENCRYPTED);
	/* music packets: SRTP from ward's own SSRC, the file in order */
	for (int k = 0; k < 3; k++) {
		glen = recv_wait(pb.fd, got, sizeof got);
		assert_true(glen > 12);
		assert_null(memmem(got, (size_t)glen, file + 160 * k, 32));
		assert_int_equal(srtp_unprotect(pb.rx, got, &glen),
				 srtp_err_status_ok);
		assert_int_equal(glen, 12 + 160);
		assert_int_equal(got[1] & 0x7f, 0); /* PCMU */
		assert_memory_not_equal(got + 8, &pa.ssrc, 4);
		assert_memory_equal(got + 12, file + 160 * k, 160);
	}
	/* what A sends meanwhile does not reach B */
	{
		uint8_t pkt[256];
		int plen = 172;
		struct sockaddr_in a = {.sin_family = AF_INET,
					.sin_port =
					    htons((uint16_t)pa.ward_port)};

		memset(pkt, 0x55, sizeof pkt);
		pkt[0] = 0x80;
		pkt[1] = 0;
		memcpy(pkt + 8, &pa.ssrc, 4);
		pkt[2] = (uint8_t)(pa.seq >> 8);
		pkt[3] = (uint8_t)pa.seq++;
		assert_int_equal(srtp_protect(pa.tx, pkt, &plen),
				 srtp_err_status_ok);
		inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
		sendto(pa.fd, pkt, (size_t)plen, 0, (struct sockaddr *)&a,
		       sizeof a);
		for (int k = 0; k < 10; k++) {
			glen = recv_wait(pb.fd, got, sizeof got);
			assert_true(glen > 0);
			assert_int_equal(srtp_unprotect(pb.rx, got, &glen),
					 srtp_err_status_ok);
			assert_memory_not_equal(got + 8, &pa.ssrc, 4);
		}
	}

	/* resume: A again, no more music */
	len = phone_sdp(&pa, in, sizeof in);
	assert_int_equal(t.ops->reoffer(t.ctx, call, 'A', NULL, NULL, in, len,
					out, sizeof out, &out_len),
			 0);
	len = phone_sdp(&pb, in, sizeof in);
	assert_int_equal(t.ops->reanswer(t.ctx, call, in, len, out, sizeof out,
					 &out_len, &level),
			 0);
	/* the music stopped before the answer returned (loopback delivers
	 * at once): drain what it sent, then only A's packets arrive */
	while (recv(pb.fd, got, sizeof got, MSG_DONTWAIT) > 0)
		;
	for (unsigned i = 1; i < 4; i++)
		cross(&pa, &pb, i);
	t.ops->close(t.ctx, call);
	phone_close(&pa);
	phone_close(&pb);
	wardd_media_free(m);
	unlink(path);
}

/* A call the signaling role never closed is closed (sessions, keys) when
 * the media thread stops, not a crash at shutdown. */
static void test_media_free_closes_calls_left_open(void **state)
{
	struct wardd_media *m = media_start(4, 1);
	struct sip_media t;
	struct phone pa, pb;
	enum sip_level level;

	(void)state;
	wardd_media_table(m, &t);
	phone_open(&pa, SDES_AES_CM_128_HMAC_SHA1_80);
	phone_open(&pb, SDES_AES_CM_128_HMAC_SHA1_80);
	(void)answered(&t, "c1@test", &pa, &pb, &level); /* never closed */
	assert_int_equal(wardd_media_calls(m), 1);
	assert_int_equal(wardd_media_ports_used(m), 2);
	wardd_media_free(m);
	phone_close(&pa);
	phone_close(&pb);
}

static int contains(const char *hay, size_t n, const void *needle, size_t k)
{
	return k && memmem(hay, n, needle, k) != NULL;
}

/* Every key of the calls above (the phones' and ward's), in every
 * spelling a careless line would use, is absent from a debug-level log
 * of those calls. */
static void test_media_log_never_holds_key_bytes(void **state)
{
	char path[] = "/tmp/test_wardd_media_log.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	static char logbuf[1 << 20];
	size_t n;
	FILE *f;

	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	log_set_level(LOG_LVL_DEBUG);
	nseen = 0;
	test_media_relays_srtp_end_to_end(state);
	test_media_bridges_to_a_nonsecure_phone(state);
	test_media_refuses_beyond_max_calls_and_reject(state);
	log_set_level(LOG_LVL_INFO);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(logbuf, 1, sizeof logbuf - 1, f);
	fclose(f);
	unlink(path);
	logbuf[n] = '\0';
	/* the calls were logged (the check has something to look at) */
	assert_non_null(strstr(logbuf, "media relayed, level encrypted"));
	assert_non_null(strstr(logbuf, "offer refused (488)"));
	assert_non_null(strstr(logbuf, "encrypted or reject"));
	assert_true(nseen >= 8);
	for (size_t i = 0; i < nseen; i++) {
		const struct sdes_crypto *c = &seen[i];
		char hex[2 * SDES_KEY_MAX + 1], b64[128], value[SDES_VALUE_MAX];
		uint8_t ks[SDES_KEY_MAX + SDES_SALT_MAX];

		assert_false(contains(logbuf, n, c->key, c->key_len));
		assert_false(contains(logbuf, n, c->salt, c->salt_len));
		hex_encode(c->key, c->key_len, hex);
		assert_false(contains(logbuf, n, hex, strlen(hex)));
		for (char *h = hex; *h; h++)
			if (*h >= 'a' && *h <= 'f')
				*h = (char)(*h - 'a' + 'A');
		assert_false(contains(logbuf, n, hex, strlen(hex)));
		hex_encode(c->salt, c->salt_len, hex);
		assert_false(contains(logbuf, n, hex, strlen(hex)));
		memcpy(ks, c->key, c->key_len);
		memcpy(ks + c->key_len, c->salt, c->salt_len);
		EVP_EncodeBlock((unsigned char *)b64, ks,
				(int)(c->key_len + c->salt_len));
		assert_false(contains(logbuf, n, b64, 16));
		EVP_EncodeBlock((unsigned char *)b64, c->key, (int)c->key_len);
		assert_false(contains(logbuf, n, b64, 16));
		assert_int_equal(sdes_format(c, value, sizeof value), SDES_OK);
		assert_false(contains(logbuf, n, value, strlen(value)));
	}
}

/* N packets from the mixer to P: each authenticates under ward's key
 * toward P (or is plain RTP for a non-secure P), 20 ms of G.711. */
static void hear_mixer(struct phone *p, unsigned n)
{
	struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
	uint8_t got[2048];

	for (unsigned i = 0; i < n; i++) {
		int glen;

		assert_int_equal(poll(&pfd, 1, 3000), 1);
		glen = (int)recv(p->fd, got, sizeof got, 0);
		if (p->rx)
			assert_int_equal(srtp_unprotect(p->rx, got, &glen),
					 srtp_err_status_ok);
		assert_int_equal(glen, 172);
		assert_int_equal(got[1], 0);
	}
}

static struct sip_media_call *terminate(struct sip_media *t, struct phone *p,
					const struct sip_media_leg *leg,
					const char *id, enum sip_level want)
{
	char in[4096], out[4096];
	size_t len = phone_sdp(p, in, sizeof in), out_len;
	struct sip_media_call *call;
	enum sip_level level;

	assert_int_equal(t->ops->terminate(t->ctx, id, leg, in, len, out,
					   sizeof out, &out_len, &call, &level),
			 0);
	assert_int_equal(level, want);
	phone_learn(p, out, out_len);
	return call;
}

static void test_media_conference_mixes_and_reports_the_weakest(void **state)
{
	struct wardd_media_config mc = {.max_calls = 8,
					.allow_bridge = 1,
					.max_conferences = 1,
					.conference_size = 3};
	struct wardd_media *m;
	struct sip_media t;
	struct sip_media_conf *conf, *second;
	struct sip_media_call *call[4];
	struct phone ph[4];
	unsigned count;
	char err[256];

	(void)state;
	snprintf(mc.addr, sizeof mc.addr, "127.0.0.1");
	mc.port_min = free_range();
	mc.port_max = mc.port_min + 15;
	assert_int_equal(wardd_media_new(&mc, &m, err, sizeof err), 0);
	wardd_media_table(m, &t);
	assert_int_equal(t.ops->conf_new(t.ctx, &conf), 0);
	assert_int_equal(t.ops->conf_new(t.ctx, &second), 503);
	for (int i = 0; i < 3; i++) {
		char id[16];

		snprintf(id, sizeof id, "conf%d@test", i);
		phone_open(&ph[i], i == 1 ? SDES_AEAD_AES_128_GCM
					  : SDES_AES_CM_128_HMAC_SHA1_80);
		call[i] = terminate(&t, &ph[i], &enc, id, SIP_LEVEL_ENCRYPTED);
		assert_int_equal(t.ops->conf_join(t.ctx, conf, call[i], 'A'),
				 0);
	}
	assert_int_equal(t.ops->conf_level(t.ctx, conf, &count),
			 SIP_LEVEL_ENCRYPTED);
	assert_int_equal(count, 3);
	for (int i = 0; i < 3; i++)
		hear_mixer(&ph[i], 5);
	/* full: a fourth (non-secure) party is refused, then takes a seat */
	phone_open(&ph[3], SDES_SUITE_NONE);
	call[3] =
	    terminate(&t, &ph[3], &open_udp, "conf3@test", SIP_LEVEL_NONSECURE);
	assert_int_equal(t.ops->conf_join(t.ctx, conf, call[3], 'A'), 486);
	t.ops->conf_leave(t.ctx, call[2], 0);
	assert_int_equal(t.ops->conf_join(t.ctx, conf, call[3], 'A'), 0);
	assert_int_equal(t.ops->conf_level(t.ctx, conf, &count),
			 SIP_LEVEL_NONSECURE);
	assert_int_equal(count, 3);
	hear_mixer(&ph[3], 3);
	hear_mixer(&ph[0], 3); /* still under ward's key */
	/* a call closed in the conference leaves it */
	t.ops->close(t.ctx, call[3]);
	assert_int_equal(t.ops->conf_level(t.ctx, conf, &count),
			 SIP_LEVEL_ENCRYPTED);
	assert_int_equal(count, 2);
	t.ops->conf_free(t.ctx, conf);
	for (int i = 0; i < 3; i++)
		t.ops->close(t.ctx, call[i]);
	assert_int_equal(wardd_media_ports_used(m), 0);
	assert_int_equal(t.ops->conf_new(t.ctx, &conf), 0);
	t.ops->conf_free(t.ctx, conf);
	for (int i = 0; i < 4; i++)
		phone_close(&ph[i]);
	wardd_media_free(m);
}

/* A barge at the table: both sides of a relayed call and a third phone
 * ward answers itself in one conference; one side leaves, the rest stay
 * mixed. */
static void test_media_conference_takes_both_sides_of_a_call(void **state)
{
	struct wardd_media_config mc = {
	    .max_calls = 4, .allow_bridge = 1, .max_conferences = 1};
	struct wardd_media *m;
	struct sip_media t;
	struct sip_media_conf *conf;
	struct sip_media_call *call, *barger;
	struct phone pa, pb, pc;
	char err[256];
	enum sip_level level;
	unsigned count;

	(void)state;
	snprintf(mc.addr, sizeof mc.addr, "127.0.0.1");
	mc.port_min = free_range();
	mc.port_max = mc.port_min + 15;
	assert_int_equal(wardd_media_new(&mc, &m, err, sizeof err), 0);
	wardd_media_table(m, &t);
	phone_open(&pa, SDES_AES_CM_128_HMAC_SHA1_80);
	phone_open(&pb, SDES_AES_CM_128_HMAC_SHA1_80);
	phone_open(&pc, SDES_AES_CM_128_HMAC_SHA1_80);
	call = answered(&t, "barged@test", &pa, &pb, &level);
	cross(&pa, &pb, 1); /* relayed before the barge */
	barger = terminate(&t, &pc, &enc, "barger@test", SIP_LEVEL_ENCRYPTED);
	assert_int_equal(t.ops->conf_new(t.ctx, &conf), 0);
	assert_int_equal(t.ops->conf_join(t.ctx, conf, call, 'A'), 0);
	assert_int_equal(t.ops->conf_join(t.ctx, conf, call, 'A'), 500);
	assert_int_equal(t.ops->conf_join(t.ctx, conf, call, 'B'), 0);
	assert_int_equal(t.ops->conf_join(t.ctx, conf, barger, 'A'), 0);
	assert_int_equal(t.ops->conf_level(t.ctx, conf, &count),
			 SIP_LEVEL_ENCRYPTED);
	assert_int_equal(count, 3);
	/* each hears the mixer under ward's key toward it */
	hear_mixer(&pa, 3);
	hear_mixer(&pb, 3);
	hear_mixer(&pc, 3);
	t.ops->conf_leave(t.ctx, call, 'A');
	assert_int_equal(t.ops->conf_level(t.ctx, conf, &count),
			 SIP_LEVEL_ENCRYPTED);
	assert_int_equal(count, 2);
	hear_mixer(&pb, 3);
	t.ops->close(t.ctx, call);
	assert_int_equal(t.ops->conf_level(t.ctx, conf, &count),
			 SIP_LEVEL_ENCRYPTED);
	assert_int_equal(count, 1);
	t.ops->conf_free(t.ctx, conf);
	t.ops->close(t.ctx, barger);
	assert_int_equal(wardd_media_ports_used(m), 0);
	phone_close(&pa);
	phone_close(&pb);
	phone_close(&pc);
	wardd_media_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_media_relays_srtp_end_to_end),
	    cmocka_unit_test(test_media_bridges_to_a_nonsecure_phone),
	    cmocka_unit_test(test_media_refuses_beyond_max_calls_and_reject),
	    cmocka_unit_test(test_media_reinvite_moves_a_without_rekey),
	    cmocka_unit_test(test_media_transfer_follows_the_new_party_leg),
	    cmocka_unit_test(test_media_hold_plays_encrypted_music),
	    cmocka_unit_test(test_media_free_closes_calls_left_open),
	    cmocka_unit_test(
		test_media_conference_mixes_and_reports_the_weakest),
	    cmocka_unit_test(test_media_conference_takes_both_sides_of_a_call),
	    cmocka_unit_test(test_media_log_never_holds_key_bytes),
	};
	srand((unsigned)getpid());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
