/* RFC 4475, the SIP torture test messages, through sofia's parser and the
 * core, as the agent runs them: what ward does with each of the 49
 * messages of its section 3 (tests/unit/rfc4475/messages.txt, expanded to
 * the fuzz seeds tests/fuzz/corpus/sip_ingress/rfc4475_NAME by expand.py).
 * A valid request is processed (answered, challenged), an invalid one gets
 * 400 (505 for another version), a response is dropped (nothing to
 * answer), none registers anything, and every message is survived from
 * every kind of peer (run under ASan in tests/run). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip_parser.h>
#include <sofia-sip/su.h>

#include "node/sip/core.h"
#include "node/sip/directory_mem.h"

static const char dirtext[] =
    "realm ward.test\n"
    "secret 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n"
    "user alice pw\n"
    "user user pw\n"
    "device SEP001122334455 user=alice line=1001\n"
    "trunk closed addr=10.0.0.1\n"
    "trunk open addr=10.0.0.2 allow=refer,notify,replaces,presence "
    "digest=1\n";

/* What ward must do with one message from a phone over UDP: STATUS, or
 * ALSO when the RFC leaves two answers open (then both are named). */
struct torture {
	const char *name;
	int status;
	int also;
	const char *why;
};

static const struct torture cases[] = {
    /* 3.1.1: valid messages, processed. Requests from an unknown phone
     * are challenged (REGISTER 401, others 407); OPTIONS is answered. */
    {"wsinv", 407, 0, "short tortuous INVITE"},
    /* Valid, but sofia's parser refuses its request line and keeps no
     * header: there is no Via to answer to, and nothing reaches ward. */
    {"intmeth", 0, 0, "wide range of valid characters"},
    {"esc01", 407, 0, "valid % escaping"},
    {"escnull", 401, 0, "escaped NULs in URIs"},
    {"esc02", 407, 0, "% that is not an escape (method RE%47IST%45R)"},
    {"lwsdisp", 200, 0, "no LWS between display name and <"},
    {"longreq", 407, 0, "long values in header fields"},
    {"dblreq", 401, 0, "extra trailing octets in a UDP datagram"},
    {"semiuri", 200, 0, "semicolons in the URI user part"},
    {"transports", 200, 0, "varied and unknown transports"},
    {"mpart01", 407, 0, "multipart MIME message"},
    {"unreason", 0, 0, "response: unusual reason phrase"},
    {"noreason", 0, 0, "response: empty reason phrase"},
    /* 3.1.2: invalid messages, 400 (or nothing for responses). */
    /* Its Via does not parse: no answer can be formed. */
    {"badinv01", 0, 0, "extraneous header field separators"},
    {"clerr", 400, 0, "Content-Length larger than the datagram"},
    {"ncl", 400, 0, "negative Content-Length"},
    {"scalar02", 400, 0, "request scalars with overlarge values"},
    {"scalarlg", 0, 0, "response scalars with overlarge values"},
    {"quotbal", 400, 0, "unterminated quoted string"},
    {"ltgtruri", 400, 0, "<> around the Request-URI"},
    /* sofia refuses the request line and keeps no header (as intmeth). */
    {"lwsruri", 0, 0, "LWS inside the Request-URI"},
    /* The RFC allows an element to be liberal with these three. */
    {"lwsstart", 400, 407, "several SP between request-line elements"},
    {"trws", 400, 200, "SP at the end of the request line (either)"},
    {"escruri", 400, 407, "escaped headers in the Request-URI"},
    {"baddate", 400, 407, "time zone not GMT in Date (either)"},
    {"regbadct", 400, 401, "Contact URI with headers not in <> (either)"},
    {"badaspec", 400, 200, "spaces within addr-spec"},
    {"baddn", 400, 0, "non-token characters in a display name"},
    {"badvers", 505, 0, "unknown protocol version"},
    {"mismatch01", 400, 0, "request and CSeq methods differ"},
    {"mismatch02", 400, 0, "unknown method, CSeq method differs"},
    {"bigcode", 0, 0, "response: overlarge status code"},
    /* 3.2: transaction layer. */
    {"badbranch", 200, 0, "branch with only the magic cookie"},
    /* 3.3: application layer. */
    {"insuf", 400, 0, "missing Call-ID, From, To"},
    {"unkscm", 416, 0, "Request-URI of an unknown scheme"},
    {"novelsc", 416, 0, "Request-URI of a known, atypical scheme"},
    {"unksm2", 400, 0, "REGISTER with To of an unknown scheme"},
    {"bext01", 420, 0, "Require of an unknown option"},
    {"invut", 407, 0, "unknown Content-Type (after authentication)"},
    {"regaut01", 401, 0, "Authorization of an unknown scheme"},
    {"multi01", 400, 0, "several values in single-value fields"},
    {"mcl01", 400, 0, "several Content-Length values"},
    {"bcast", 0, 0, "response: broadcast Via"},
    {"zeromf", 483, 0, "Max-Forwards 0 (ward would forward it)"},
    {"cparam01", 401, 0, "REGISTER with a Contact parameter"},
    {"cparam02", 401, 0, "REGISTER with a URI parameter"},
    {"regescrt", 401, 0, "REGISTER, Contact with an escaped header"},
    {"sdp01", 407, 0, "Accept of no known type (after authentication)"},
    /* 3.4: backward compatibility. */
    {"inv2543", 407, 0, "INVITE in RFC 2543 syntax"},
};

#define NCASES (sizeof cases / sizeof cases[0])

struct world {
	struct sip_dirmem *mem;
	struct sip_directory dir;
	struct sip_core *core;
};

static int world_up(void **state)
{
	static struct world w;
	struct sip_core_config cfg;
	char err[128];

	memset(&w, 0, sizeof w);
	assert_int_equal(sip_dirmem_parse(dirtext, &w.mem, err, sizeof err), 0);
	sip_dirmem_directory(w.mem, &w.dir);
	sip_core_config_defaults(&cfg);
	cfg.node_id = 1;
	cfg.rate = 0;
	assert_int_equal(
	    sip_core_new(&cfg, &w.dir, NULL, &w.core, err, sizeof err), 0);
	*state = &w;
	return 0;
}

static int world_down(void **state)
{
	struct world *w = *state;

	sip_core_free(w->core);
	sip_dirmem_free(w->mem);
	return 0;
}

/* The seed's message (without its peer byte) into BUF; its length. */
static size_t load(const char *name, uint8_t *buf, size_t cap)
{
	char path[512];
	size_t n;
	FILE *f;

	snprintf(path, sizeof path, "%s/rfc4475_%s", WARD_SIP_CORPUS, name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s: missing (run rfc4475/expand.py)\n", path);
		fail();
	}
	n = fread(buf, 1, cap, f);
	fclose(f);
	assert_true(n > 1 && n < cap);
	memmove(buf, buf + 1, n - 1);
	return n - 1;
}

/* Runs BUF as one message from IP over TRANSPORT (a stream transport
 * parses it as sofia's stream framing does). Returns the answer. */
static int run(struct world *w, const uint8_t *buf, size_t n, const char *ip,
	       unsigned transport, struct sip_reply *rep)
{
	static uint64_t now = 1800000000000ull;
	struct sip_peer peer;
	struct sockaddr_in *a = (void *)&peer.addr;
	msg_t *m;

	memset(&peer, 0, sizeof peer);
	a->sin_family = AF_INET;
	a->sin_port = htons(5060);
	inet_pton(AF_INET, ip, &a->sin_addr);
	peer.transport = transport;
	peer.local_port = 5060;
	m = msg_make(sip_default_mclass(),
		     transport == SIP_TP_UDP ? 0 : MSG_FLG_STREAMING, buf, n);
	sip_core_handle(w->core, m ? sip_object(m) : NULL, n, &peer,
			now += 1000, rep);
	msg_destroy(m);
	return rep->status;
}

static void test_torture_every_message_gets_its_answer(void **state)
{
	static uint8_t buf[70000];
	struct world *w = *state;
	struct sip_core_stats st;
	struct sip_reply rep;
	int wrong = 0;

	assert_int_equal(NCASES, 49);
	for (size_t i = 0; i < NCASES; i++) {
		const struct torture *t = &cases[i];
		size_t n = load(t->name, buf, sizeof buf);
		int got = run(w, buf, n, "192.0.2.1", SIP_TP_UDP, &rep);

		if (got != t->status && (!t->also || got != t->also)) {
			fprintf(stderr, "%s (%s): got %d %s, want %d", t->name,
				t->why, got, rep.phrase ? rep.phrase : "",
				t->status);
			if (t->also)
				fprintf(stderr, " or %d", t->also);
			fputc('\n', stderr);
			wrong++;
		}
	}
	assert_int_equal(wrong, 0);
	sip_core_stats(w->core, &st);
	assert_int_equal(st.registered, 0);
}

static void test_torture_survived_from_every_peer_and_transport(void **state)
{
	static const char *const ips[] = {"192.0.2.1", "10.0.0.1", "10.0.0.2",
					  "192.0.2.9"};
	static const unsigned tps[] = {SIP_TP_UDP, SIP_TP_TCP, SIP_TP_TLS};
	static uint8_t buf[70000];
	struct world *w = *state;
	struct sip_core_stats st;
	struct sip_reply rep;

	for (size_t i = 0; i < NCASES; i++) {
		size_t n = load(cases[i].name, buf, sizeof buf);

		for (size_t p = 0; p < 4; p++)
			for (size_t t = 0; t < 3; t++) {
				int got = run(w, buf, n, ips[p], tps[t], &rep);

				/* An answer or silence, never a server
				 * error. */
				if (got != 0 && (got < 200 || got >= 700 ||
						 got == 500 || got == 503)) {
					fprintf(stderr, "%s from %s: %d\n",
						cases[i].name, ips[p], got);
					fail();
				}
			}
		/* A message cut anywhere is survived too. */
		for (size_t cut = 1; cut < n; cut += 1 + n / 16)
			run(w, buf, cut, ips[i & 3], SIP_TP_UDP, &rep);
	}
	sip_core_stats(w->core, &st);
	assert_int_equal(st.registered, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_torture_every_message_gets_its_answer, world_up,
		world_down),
	    cmocka_unit_test_setup_teardown(
		test_torture_survived_from_every_peer_and_transport, world_up,
		world_down),
	};
	int rc;

	su_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	su_deinit();
	return rc;
}
