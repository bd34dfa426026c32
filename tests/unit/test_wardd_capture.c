/* wardd_capture and keylog: authorised capture — keys are logged only for
 * a device under capture, per direction and sender, equal to the keys each
 * side's SDP carried; the log is bounded; entries go when the window ends
 * or is closed; the log of another device stays out of an answer. */
#include <arpa/inet.h>
#include <netinet/in.h>
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
#include <jansson.h>
#include <openssl/rand.h>

#include "node/keymgr/keylog.h"
#include "node/wardd_capture.h"
#include "node/wardd_media.h"
#include "sdp/sdes.h"
#include "sdp/sdp.h"
#include "store/capture.h"
#include "test_store_fixture.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the key log alone ---- */

static struct keymgr_call *keyed_call(struct keymgr *km)
{
	struct keymgr_call *call;
	struct sdes_crypto c = {.tag = 1,
				.suite = SDES_AES_CM_128_HMAC_SHA1_80,
				.key_len = 16,
				.salt_len = 14};

	assert_int_equal(keymgr_call_new(km, &call), KEYMGR_OK);
	for (int side = 0; side < 2; side++) {
		RAND_bytes(c.key, 16);
		RAND_bytes(c.salt, 14);
		assert_int_equal(keymgr_call_import(call, side, &c), 0);
		assert_int_equal(keymgr_call_generate(
				     call, side, SDES_AES_CM_128_HMAC_SHA1_80),
				 0);
	}
	sdes_crypto_wipe(&c);
	return call;
}

static struct keylog_stream stream_of(const char *device, uint64_t until)
{
	static const char *const devs[2] = {"SEPAAAAAAAAAAAA",
					    "SEPBBBBBBBBBBBB"};
	static const char *const peers[2] = {"127.0.0.1:4000",
					     "127.0.0.1:4002"};
	struct keylog_stream s = {.device = device,
				  .call_id = "call-1@test",
				  .leg_device = {devs[0], devs[1]},
				  .stream = 0,
				  .ward_port = {20480, 20482},
				  .peer = {peers[0], peers[1]},
				  .now_ms = 1000,
				  .until_ms = until};
	return s;
}

static int count_cb(void *arg, const struct keylog_entry *e)
{
	(*(size_t *)arg)++;
	assert_true(strlen(e->inline_key) == 40); /* base64 of 30 bytes */
	return 0;
}

static void test_keylog_logs_four_keys_per_stream_with_directions(void **st)
{
	struct keymgr *km = keymgr_new(64, NULL, 0);
	struct keylog *kl = keylog_new(16, NULL, 0);
	struct keymgr_call *call = keyed_call(km);
	struct keylog_stream s = stream_of("SEPAAAAAAAAAAAA", 5000);
	size_t n = 0;

	(void)st;
	assert_non_null(kl);
	assert_int_equal(keylog_note(kl, &s, call), 4);
	assert_int_equal(keylog_count(kl), 4);
	assert_int_equal(keylog_each(kl, "SEPAAAAAAAAAAAA", 2000, count_cb, &n),
			 4);
	assert_int_equal(n, 4);
	/* another device's log is not this one's */
	assert_int_equal(keylog_each(kl, "SEPBBBBBBBBBBBB", 2000, count_cb, &n),
			 0);
	/* a window already closed logs nothing */
	s.now_ms = 6000;
	assert_int_equal(keylog_note(kl, &s, call), 0);
	keymgr_call_free(call);
	keylog_free(kl);
	keymgr_free(km);
}

static void test_keylog_is_bounded_and_counts_what_it_refused(void **st)
{
	struct keymgr *km = keymgr_new(64, NULL, 0);
	struct keylog *kl = keylog_new(6, NULL, 0);
	struct keymgr_call *call = keyed_call(km);
	struct keylog_stream s = stream_of("SEPAAAAAAAAAAAA", 5000);

	(void)st;
	assert_int_equal(keylog_note(kl, &s, call), 4);
	assert_int_equal(keylog_note(kl, &s, call), 2);
	assert_int_equal(keylog_note(kl, &s, call), 0);
	assert_int_equal(keylog_count(kl), 6);
	assert_int_equal(keylog_dropped(kl), 6);
	keymgr_call_free(call);
	keylog_free(kl);
	keymgr_free(km);
}

static uint64_t closed_for_a(void *arg, const char *device)
{
	(void)arg;
	return strcmp(device, "SEPAAAAAAAAAAAA") == 0 ? 0 : UINT64_MAX;
}

static void test_keylog_wipes_entries_when_the_window_ends(void **st)
{
	struct keymgr *km = keymgr_new(64, NULL, 0);
	struct keylog *kl = keylog_new(16, NULL, 0);
	struct keymgr_call *call = keyed_call(km);
	struct keylog_stream a = stream_of("SEPAAAAAAAAAAAA", 5000);
	struct keylog_stream b = stream_of("SEPBBBBBBBBBBBB", 9000);
	size_t n = 0;

	(void)st;
	keylog_note(kl, &a, call);
	keylog_note(kl, &b, call);
	assert_int_equal(keylog_expire(kl, 4999, NULL, NULL), 0);
	/* A's window ended: only A's entries go */
	assert_int_equal(keylog_expire(kl, 5000, NULL, NULL), 4);
	assert_int_equal(keylog_each(kl, "SEPAAAAAAAAAAAA", 1000, count_cb, &n),
			 0);
	assert_int_equal(keylog_count(kl), 4);
	/* B's window closed early (an admin stopped it) */
	keylog_note(kl, &a, call); /* A again, then closed */
	assert_int_equal(keylog_expire(kl, 2000, closed_for_a, NULL), 4);
	assert_int_equal(keylog_count(kl), 4);
	assert_int_equal(keylog_expire(kl, 9000, NULL, NULL), 4);
	assert_int_equal(keylog_count(kl), 0);
	keymgr_call_free(call);
	keylog_free(kl);
	keymgr_free(km);
}

struct peers {
	char leg;
	const char *call_id;
	char peer[8][KEYLOG_ADDR_MAX]; /* per entry found, in slot order */
	char key[8][KEYLOG_INLINE_MAX];
	size_t n;
};

static int peers_cb(void *arg, const struct keylog_entry *e)
{
	struct peers *p = arg;

	if (e->leg == p->leg && strcmp(e->call_id, p->call_id) == 0 &&
	    p->n < 8) {
		snprintf(p->peer[p->n], sizeof p->peer[p->n], "%s", e->peer);
		snprintf(p->key[p->n], sizeof p->key[p->n], "%s",
			 e->inline_key);
		p->n++;
	}
	return 0;
}

static void test_keylog_moves_only_the_entries_under_the_keys_in_use(void **st)
{
	struct keymgr *km = keymgr_new(64, NULL, 0);
	struct keylog *kl = keylog_new(16, NULL, 0);
	struct keymgr_call *before = keyed_call(km), *after = keyed_call(km);
	struct keylog_stream s = stream_of("SEPAAAAAAAAAAAA", 5000);
	struct keylog_stream other = stream_of("SEPAAAAAAAAAAAA", 5000);
	struct peers p = {.leg = 'A', .call_id = "call-1@test"};

	(void)st;
	other.call_id = "call-2@test";
	assert_int_equal(keylog_note(kl, &s, before), 4);
	/* a re-key: new entries beside the old ones */
	assert_int_equal(keylog_note(kl, &s, after), 4);
	assert_int_equal(keylog_note(kl, &other, after), 4);
	/* A moved with the keys of AFTER: its two entries under them, and
	 * no other call's */
	s.peer[0] = "127.0.0.1:4100";
	assert_int_equal(keylog_moved(kl, &s, KEYMGR_SIDE_A, after), 2);
	assert_int_equal(keylog_count(kl), 12);
	assert_int_equal(keylog_each(kl, "SEPAAAAAAAAAAAA", 2000, peers_cb, &p),
			 12);
	assert_int_equal(p.n, 4);
	for (size_t i = 0; i < p.n; i++)
		/* slot order: BEFORE's two A entries, then AFTER's */
		assert_string_equal(p.peer[i], i < 2 ? "127.0.0.1:4000"
						     : "127.0.0.1:4100");
	p.n = 0;
	p.call_id = "call-2@test";
	keylog_each(kl, "SEPAAAAAAAAAAAA", 2000, peers_cb, &p);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.peer[0], "127.0.0.1:4000");
	assert_string_equal(p.peer[1], "127.0.0.1:4000");
	/* B did not move; another stream of the call is not this one */
	p.n = 0;
	p.leg = 'B';
	p.call_id = "call-1@test";
	keylog_each(kl, "SEPAAAAAAAAAAAA", 2000, peers_cb, &p);
	for (size_t i = 0; i < p.n; i++)
		assert_string_equal(p.peer[i], "127.0.0.1:4002");
	s.stream = 1;
	assert_int_equal(keylog_moved(kl, &s, KEYMGR_SIDE_B, after), 0);
	keymgr_call_free(before);
	keymgr_call_free(after);
	keylog_free(kl);
	keymgr_free(km);
}

/* ---- through the media table, with the store's windows ---- */

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

struct side {
	struct sdes_crypto own;
	char own_inline[80];  /* what the phone sent */
	char ward_inline[80]; /* what ward sent it (the line it took) */
	unsigned port;
};

/* The base64 after "inline:" of an a=crypto value. */
static void inline_of(const char *value, char *out, size_t cap)
{
	const char *p = strstr(value, "inline:");

	assert_non_null(p);
	p += 7;
	snprintf(out, cap, "%.*s", (int)strcspn(p, "|\r\n "), p);
}

static void side_init(struct side *s, unsigned port)
{
	char value[SDES_VALUE_MAX];

	memset(s, 0, sizeof *s);
	s->port = port;
	s->own.tag = 1;
	s->own.suite = SDES_AES_CM_128_HMAC_SHA1_80;
	s->own.key_len = 16;
	s->own.salt_len = 14;
	RAND_bytes(s->own.key, 16);
	RAND_bytes(s->own.salt, 14);
	assert_int_equal(sdes_format(&s->own, value, sizeof value), SDES_OK);
	inline_of(value, s->own_inline, sizeof s->own_inline);
}

static size_t side_sdp(const struct side *s, char *buf, size_t cap)
{
	char value[SDES_VALUE_MAX];

	assert_int_equal(sdes_format(&s->own, value, sizeof value), SDES_OK);
	return (size_t)snprintf(buf, cap,
				"v=0\r\no=phone 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
				"c=IN IP4 127.0.0.1\r\nt=0 0\r\n"
				"m=audio %u RTP/SAVP 0\r\na=rtpmap:0 "
				"PCMU/8000\r\na=rtcp-mux\r\na=crypto:%s\r\n",
				s->port, value);
}

/* Ward's line of S's suite in SDP (what S takes). */
static void side_learn(struct side *s, const char *sdp, size_t len)
{
	static struct sdp_session ses;
	char err[128];

	assert_int_equal(sdp_parse(sdp, len, &ses, err, sizeof err), SDP_OK);
	for (size_t j = 0; j < ses.media[0].ncrypto; j++) {
		struct sdes_crypto c;

		assert_int_equal(sdes_parse(ses.media[0].crypto[j], &c),
				 SDES_OK);
		if (c.suite == s->own.suite) {
			inline_of(ses.media[0].crypto[j], s->ward_inline,
				  sizeof s->ward_inline);
			s->own.tag = c.tag;
			sdes_crypto_wipe(&c);
			break;
		}
		sdes_crypto_wipe(&c);
	}
	assert_true(s->ward_inline[0]);
	sdp_session_wipe(&ses);
}

struct cfx {
	struct fx fx;
	struct wardd_capture *cap;
	struct wardd_media *m;
	struct sip_media t;
};

static int cfx_setup(void **state)
{
	struct cfx *c = calloc(1, sizeof *c);
	struct wardd_media_config mc = {.max_calls = 4, .allow_bridge = 1};
	void *fxs = NULL;
	char err[256];

	assert_non_null(c);
	assert_int_equal(fx_setup(&fxs), 0);
	c->fx = *(struct fx *)fxs;
	free(fxs);
	c->cap = wardd_capture_new(c->fx.s, NULL, 16, err, sizeof err);
	assert_non_null(c->cap);
	snprintf(mc.addr, sizeof mc.addr, "127.0.0.1");
	mc.port_min = free_range();
	mc.port_max = mc.port_min + 15;
	mc.capture = c->cap;
	assert_int_equal(wardd_media_new(&mc, &c->m, err, sizeof err), 0);
	wardd_media_table(c->m, &c->t);
	*state = c;
	return 0;
}

static int cfx_teardown(void **state)
{
	struct cfx *c = *state;
	struct fx *f = malloc(sizeof *f);

	wardd_media_free(c->m);
	wardd_capture_free(c->cap);
	*f = c->fx;
	free(c);
	*state = f;
	return fx_teardown(state);
}

static void window(struct cfx *c, const char *device, uint64_t until)
{
	struct store_capture rec = {.started_ms = until - 60000,
				    .until_ms = until};
	struct store_cmd *cmd = fx_cmd();

	snprintf(rec.device, sizeof rec.device, "%s", device);
	snprintf(rec.by, sizeof rec.by, "admin");
	assert_int_equal(store_cmd_put_capture(cmd, &rec), 0);
	assert_int_equal(fx_apply(&c->fx, cmd), 0);
}

/* One call A -> B through the table; the call is returned open. */
/* Three encrypted phones over TLS. */
static const struct sip_media_leg la = {.mode = SIP_SECMODE_ENCRYPTED,
					.transport = SIP_TP_TLS,
					.device = "SEPAAAAAAAAAAAA"};
static const struct sip_media_leg lb = {.mode = SIP_SECMODE_ENCRYPTED,
					.transport = SIP_TP_TLS,
					.device = "SEPBBBBBBBBBBBB"};
static const struct sip_media_leg lc = {.mode = SIP_SECMODE_ENCRYPTED,
					.transport = SIP_TP_TLS,
					.device = "SEPCCCCCCCCCCCC"};

static struct sip_media_call *call_ab(struct cfx *c, struct side *a,
				      struct side *b)
{
	char in[4096], out[4096];
	size_t len, out_len;
	struct sip_media_call *call;
	enum sip_level level;

	side_init(a, 40000);
	side_init(b, 40002);
	len = side_sdp(a, in, sizeof in);
	assert_int_equal(c->t.ops->offer(c->t.ctx, "call-1@test", &la, &lb, in,
					 len, out, sizeof out, &out_len, &call),
			 0);
	side_learn(b, out, out_len);
	len = side_sdp(b, in, sizeof in);
	assert_int_equal(c->t.ops->answer(c->t.ctx, call, in, len, out,
					  sizeof out, &out_len, &level),
			 0);
	assert_int_equal(level, SIP_LEVEL_ENCRYPTED);
	side_learn(a, out, out_len);
	return call;
}

static const char *entry_key(json_t *entries, char leg, const char *sender,
			     const char *direction)
{
	size_t i;
	json_t *e;

	json_array_foreach(entries, i, e)
	{
		const char *l = json_string_value(json_object_get(e, "leg"));

		if (l && l[0] == leg &&
		    strcmp(json_string_value(json_object_get(e, "sender")),
			   sender) == 0 &&
		    strcmp(json_string_value(json_object_get(e, "direction")),
			   direction) == 0)
			return json_string_value(json_object_get(e, "inline"));
	}
	return NULL;
}

static json_t *keys_of(struct cfx *c, const char *device)
{
	char *text = NULL;
	json_t *doc;

	assert_int_equal(wardd_capture_keys_json(c->cap, device, &text), 0);
	doc = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(doc);
	return doc;
}

static void test_capture_off_logs_no_keys(void **state)
{
	struct cfx *c = *state;
	struct side a, b;
	struct sip_media_call *call = call_ab(c, &a, &b);
	json_t *doc = keys_of(c, "SEPAAAAAAAAAAAA");

	assert_int_equal(wardd_capture_entries(c->cap), 0);
	assert_int_equal(json_array_size(json_object_get(doc, "entries")), 0);
	json_decref(doc);
	c->t.ops->close(c->t.ctx, call);
}

static void test_captured_device_logs_the_keys_each_sdp_carried(void **state)
{
	struct cfx *c = *state;
	struct side a, b;
	struct sip_media_call *call;
	json_t *doc, *entries;

	window(c, "SEPAAAAAAAAAAAA", now_ms() + 60000);
	call = call_ab(c, &a, &b);
	assert_int_equal(wardd_capture_entries(c->cap), 4);
	doc = keys_of(c, "SEPAAAAAAAAAAAA");
	entries = json_object_get(doc, "entries");
	assert_int_equal(json_array_size(entries), 4);
	/* A->B: A's own key, then ward's toward B; B->A the other way */
	assert_string_equal(entry_key(entries, 'A', "phone", "A->B"),
			    a.own_inline);
	assert_string_equal(entry_key(entries, 'B', "ward", "A->B"),
			    b.ward_inline);
	assert_string_equal(entry_key(entries, 'B', "phone", "B->A"),
			    b.own_inline);
	assert_string_equal(entry_key(entries, 'A', "ward", "B->A"),
			    a.ward_inline);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(entries, 0), "call_id")),
			    "call-1@test");
	json_decref(doc);
	/* B is not under capture: nothing under its name */
	doc = keys_of(c, "SEPBBBBBBBBBBBB");
	assert_int_equal(json_array_size(json_object_get(doc, "entries")), 0);
	json_decref(doc);
	c->t.ops->close(c->t.ctx, call);
	/* the call's end does not end the window: the keys stay */
	assert_int_equal(wardd_capture_entries(c->cap), 4);
	/* the window's end does */
	assert_int_equal(wardd_capture_tick(c->cap, now_ms() + 61000), 4);
	assert_int_equal(wardd_capture_entries(c->cap), 0);
}

static void test_stopping_a_capture_wipes_its_keys(void **state)
{
	struct cfx *c = *state;
	struct side a, b;
	struct sip_media_call *call;
	struct store_cmd *cmd;

	window(c, "SEPBBBBBBBBBBBB", now_ms() + 60000);
	call = call_ab(c, &a, &b);
	c->t.ops->close(c->t.ctx, call);
	assert_int_equal(wardd_capture_entries(c->cap), 4);
	assert_int_equal(wardd_capture_tick(c->cap, now_ms()), 0);
	cmd = fx_cmd();
	assert_int_equal(store_cmd_del_capture(cmd, "SEPBBBBBBBBBBBB"), 0);
	assert_int_equal(fx_apply(&c->fx, cmd), 0);
	assert_int_equal(wardd_capture_tick(c->cap, now_ms()), 4);
	assert_int_equal(wardd_capture_entries(c->cap), 0);
}

/* The peer of each entry of LEG in DEVICE's log whose key is KEY ("" if
 * none). */
static const char *peer_of(json_t *entries, char leg, const char *key)
{
	size_t i;
	json_t *e;

	json_array_foreach(entries, i, e)
	{
		const char *l = json_string_value(json_object_get(e, "leg"));

		if (l && l[0] == leg &&
		    strcmp(json_string_value(json_object_get(e, "inline")),
			   key) == 0)
			return json_string_value(json_object_get(e, "peer"));
	}
	return "";
}

/* SIDE ('A' or 'B') of CALL offers its SDP again, the call's legs now
 * LEG_A and LEG_B (NULL: as they were); the other side (OTHER) answers
 * with its own as before. */
static void reoffer_on(struct cfx *c, struct sip_media_call *call, int side,
		       const struct sip_media_leg *leg_a,
		       const struct sip_media_leg *leg_b, struct side *x,
		       struct side *other)
{
	char in[4096], out[4096];
	size_t len, out_len;
	enum sip_level level;

	len = side_sdp(x, in, sizeof in);
	assert_int_equal(c->t.ops->reoffer(c->t.ctx, call, side, leg_a, leg_b,
					   in, len, out, sizeof out, &out_len),
			 0);
	side_learn(other, out, out_len);
	len = side_sdp(other, in, sizeof in);
	assert_int_equal(c->t.ops->reanswer(c->t.ctx, call, in, len, out,
					    sizeof out, &out_len, &level),
			 0);
	side_learn(x, out, out_len);
}

static void reoffer(struct cfx *c, struct sip_media_call *call, int side,
		    struct side *x, struct side *other)
{
	reoffer_on(c, call, side, NULL, NULL, x, other);
}

/* B transfers A to C (a re-offer carrying C on B's side, C's keys):
 * C's window logs the keys of the call from then on, B's logs no more;
 * the entries name C as the leg's device. */
static void test_a_transfer_logs_the_new_party_keys(void **state)
{
	struct cfx *c = *state;
	struct side a, b, cc;
	struct sip_media_call *call;
	json_t *doc, *e;

	window(c, "SEPBBBBBBBBBBBB", now_ms() + 60000);
	window(c, "SEPCCCCCCCCCCCC", now_ms() + 60000);
	call = call_ab(c, &a, &b);
	assert_int_equal(wardd_capture_entries(c->cap), 4);
	side_init(&cc, 40020);
	reoffer_on(c, call, 'B', &la, &lc, &cc, &a);
	doc = keys_of(c, "SEPBBBBBBBBBBBB");
	assert_int_equal(json_array_size(json_object_get(doc, "entries")), 4);
	json_decref(doc);
	doc = keys_of(c, "SEPCCCCCCCCCCCC");
	e = json_object_get(doc, "entries");
	assert_int_equal(json_array_size(e), 4);
	assert_string_equal(entry_key(e, 'B', "phone", "B->A"), cc.own_inline);
	assert_string_equal(entry_key(e, 'B', "ward", "A->B"), cc.ward_inline);
	assert_string_equal(peer_of(e, 'B', cc.own_inline), "127.0.0.1:40020");
	json_decref(doc);
	c->t.ops->close(c->t.ctx, call);
}

static void test_a_moved_leg_takes_its_logged_keys_along(void **state)
{
	struct cfx *c = *state;
	struct side a, b;
	char a_own1[80], a_ward1[80];
	struct sip_media_call *call;
	json_t *doc, *e;

	window(c, "SEPAAAAAAAAAAAA", now_ms() + 60000);
	call = call_ab(c, &a, &b);
	/* a re-INVITE from A at another port, the same key: no new entry,
	 * leg A's two at the new port, leg B's where they were */
	a.port = 40010;
	reoffer(c, call, 'A', &a, &b);
	assert_int_equal(wardd_capture_entries(c->cap), 4);
	doc = keys_of(c, "SEPAAAAAAAAAAAA");
	e = json_object_get(doc, "entries");
	assert_string_equal(peer_of(e, 'A', a.own_inline), "127.0.0.1:40010");
	assert_string_equal(peer_of(e, 'A', a.ward_inline), "127.0.0.1:40010");
	assert_string_equal(peer_of(e, 'B', b.own_inline), "127.0.0.1:40002");
	assert_string_equal(peer_of(e, 'B', b.ward_inline), "127.0.0.1:40002");
	json_decref(doc);
	/* B moves the same way */
	b.port = 40012;
	reoffer(c, call, 'B', &b, &a);
	assert_int_equal(wardd_capture_entries(c->cap), 4);
	doc = keys_of(c, "SEPAAAAAAAAAAAA");
	e = json_object_get(doc, "entries");
	assert_string_equal(peer_of(e, 'B', b.own_inline), "127.0.0.1:40012");
	assert_string_equal(peer_of(e, 'B', b.ward_inline), "127.0.0.1:40012");
	assert_string_equal(peer_of(e, 'A', a.own_inline), "127.0.0.1:40010");
	json_decref(doc);
	/* A re-keys at yet another port: four new entries there; the old
	 * keys stay at the address they were used at */
	snprintf(a_own1, sizeof a_own1, "%s", a.own_inline);
	snprintf(a_ward1, sizeof a_ward1, "%s", a.ward_inline);
	side_init(&a, 40014);
	reoffer(c, call, 'A', &a, &b);
	assert_int_equal(wardd_capture_entries(c->cap), 8);
	doc = keys_of(c, "SEPAAAAAAAAAAAA");
	e = json_object_get(doc, "entries");
	assert_string_equal(peer_of(e, 'A', a.own_inline), "127.0.0.1:40014");
	assert_string_equal(peer_of(e, 'A', a.ward_inline), "127.0.0.1:40014");
	assert_string_equal(peer_of(e, 'A', a_own1), "127.0.0.1:40010");
	assert_string_equal(peer_of(e, 'A', a_ward1), "127.0.0.1:40010");
	assert_string_equal(peer_of(e, 'B', b.ward_inline), "127.0.0.1:40012");
	json_decref(doc);
	c->t.ops->close(c->t.ctx, call);
}

static void
test_a_final_answer_at_another_port_moves_the_callee_leg(void **state)
{
	struct cfx *c = *state;
	char in[4096], out[4096];
	size_t len, out_len;
	struct sip_media_call *call;
	enum sip_level level;
	struct side a, b;
	json_t *doc, *e;

	window(c, "SEPBBBBBBBBBBBB", now_ms() + 60000);
	side_init(&a, 40000);
	side_init(&b, 40002);
	len = side_sdp(&a, in, sizeof in);
	assert_int_equal(c->t.ops->offer(c->t.ctx, "call-2@test", &la, &lb, in,
					 len, out, sizeof out, &out_len, &call),
			 0);
	side_learn(&b, out, out_len);
	/* B's 183 (early media), then its 200 at another port */
	len = side_sdp(&b, in, sizeof in);
	assert_int_equal(c->t.ops->answer(c->t.ctx, call, in, len, out,
					  sizeof out, &out_len, &level),
			 0);
	side_learn(&a, out, out_len);
	assert_int_equal(wardd_capture_entries(c->cap), 4);
	b.port = 40020;
	len = side_sdp(&b, in, sizeof in);
	assert_int_equal(c->t.ops->answer_again(c->t.ctx, call, in, len), 0);
	assert_int_equal(wardd_capture_entries(c->cap), 4);
	doc = keys_of(c, "SEPBBBBBBBBBBBB");
	e = json_object_get(doc, "entries");
	assert_string_equal(peer_of(e, 'B', b.own_inline), "127.0.0.1:40020");
	assert_string_equal(peer_of(e, 'B', b.ward_inline), "127.0.0.1:40020");
	assert_string_equal(peer_of(e, 'A', a.own_inline), "127.0.0.1:40000");
	json_decref(doc);
	c->t.ops->close(c->t.ctx, call);
}

static void test_store_capture_record_round_trips_and_is_bounded(void **st)
{
	struct store_capture r = {.device = "SEP0011223344AA",
				  .started_ms = 1000,
				  .until_ms = 1000 + 3600 * 1000,
				  .by = "admin"},
			     back;
	uint8_t buf[STORE_RECORD_MAX];
	size_t n;

	(void)st;
	assert_int_equal(store_capture_encode(&r, buf, sizeof buf, &n), 0);
	assert_int_equal(store_capture_decode(buf, n, &back), 0);
	assert_memory_equal(&r, &back, sizeof r);
	assert_true(store_capture_active(&r, 2000));
	assert_false(store_capture_active(&r, r.until_ms));
	r.until_ms++; /* longer than an hour */
	assert_int_equal(store_capture_encode(&r, buf, sizeof buf, &n),
			 STORE_EINVAL);
	r.until_ms = r.started_ms; /* empty */
	assert_int_equal(store_capture_encode(&r, buf, sizeof buf, &n),
			 STORE_EINVAL);
	/* the fuzzer's seed is one */
	{
		FILE *f = fopen(WARD_SRC_DIR
				"/tests/fuzz/corpus/store_records/capture",
				"rb");
		uint8_t seed[256];
		size_t len;

		assert_non_null(f);
		len = fread(seed, 1, sizeof seed, f);
		fclose(f);
		assert_int_equal(store_capture_decode(seed, len, &back), 0);
		assert_string_equal(back.device, "SEP0011223344AA");
	}
	/* a truncated record does not decode */
	r.until_ms = 2000;
	assert_int_equal(store_capture_encode(&r, buf, sizeof buf, &n), 0);
	assert_int_not_equal(store_capture_decode(buf, n - 1, &back), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		test_keylog_logs_four_keys_per_stream_with_directions),
	    cmocka_unit_test(test_keylog_is_bounded_and_counts_what_it_refused),
	    cmocka_unit_test(test_keylog_wipes_entries_when_the_window_ends),
	    cmocka_unit_test(
		test_keylog_moves_only_the_entries_under_the_keys_in_use),
	    cmocka_unit_test(
		test_store_capture_record_round_trips_and_is_bounded),
	    cmocka_unit_test_setup_teardown(test_capture_off_logs_no_keys,
					    cfx_setup, cfx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_captured_device_logs_the_keys_each_sdp_carried, cfx_setup,
		cfx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_stopping_a_capture_wipes_its_keys, cfx_setup,
		cfx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_a_moved_leg_takes_its_logged_keys_along, cfx_setup,
		cfx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_a_transfer_logs_the_new_party_keys, cfx_setup,
		cfx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_a_final_answer_at_another_port_moves_the_callee_leg,
		cfx_setup, cfx_teardown),
	};

	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
