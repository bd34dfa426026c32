/* The signaling role's decisions, request by request, as protocol traces:
 * challenges, registrations and their owner changes, device checks, trunk
 * authorization in the seed's order, malformed input, floods and
 * overload. */
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

#include <sys/socket.h>
#include <unistd.h>

#include "node/sip/core.h"
#include "node/sip/directory_mem.h"
#include "node/sip/overload.h"

static const char dirtext[] =
    "realm ward.test\n"
    "secret 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n"
    "presence_default allow\n"
    "user alice pw-alice\n"
    "user app1 pw-app app INVITE,NOTIFY\n"
    "device SEP001122334455 user=alice line=1001 group=1,2\n"
    "device SEP0000000000AA user=alice group=3\n"
    "device SEP0000000000BB user=alice mode=authenticated\n"
    "trunk closed addr=10.0.0.1\n"
    "trunk open addr=10.0.0.2 allow=refer,notify,replaces,presence\n"
    "trunk app addr=10.0.0.3 allow=refer,notify digest=1 appauth=1\n"
    "trunk tcp5070 addr=10.0.0.4 port=5070 transports=tcp\n";

struct fixture {
	struct sip_dirmem *mem;
	struct sip_directory dir;
	struct sip_core *core;
	int owner_events;
	char last_owner[64];
	int last_registered;
	int fail_events;
	char last_fail[128];
	uint64_t now;
};

static void on_owner(void *arg, const char *device,
		     const struct sip_reg_contact *c)
{
	struct fixture *f = arg;
	f->owner_events++;
	snprintf(f->last_owner, sizeof f->last_owner, "%s", device);
	f->last_registered = c != NULL;
}

static void on_fail(void *arg, const struct sockaddr *src, const char *name,
		    const char *why)
{
	struct fixture *f = arg;
	char host[64] = "?";

	inet_ntop(AF_INET, &((const struct sockaddr_in *)src)->sin_addr, host,
		  sizeof host);
	f->fail_events++;
	snprintf(f->last_fail, sizeof f->last_fail, "%s %s: %s", host, name,
		 why);
}

static int setup_with(void **state, unsigned rate)
{
	static struct fixture f;
	struct sip_core_config cfg;
	struct sip_core_hooks hooks = {
	    .owner = on_owner, .fail = on_fail, .arg = &f};
	char err[256];

	memset(&f, 0, sizeof f);
	su_init();
	assert_int_equal(sip_dirmem_parse(dirtext, &f.mem, err, sizeof err), 0);
	sip_dirmem_directory(f.mem, &f.dir);
	sip_core_config_defaults(&cfg);
	cfg.node_id = 1;
	cfg.rate = rate;
	cfg.burst = rate;
	assert_int_equal(
	    sip_core_new(&cfg, &f.dir, &hooks, &f.core, err, sizeof err), 0);
	f.now = 1800000000000ull;
	*state = &f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, 0);
}

static int setup_limited(void **state)
{
	return setup_with(state, 10);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	sip_core_free(f->core);
	sip_dirmem_free(f->mem);
	su_deinit();
	return 0;
}

static struct sip_peer peer_at(const char *ip, unsigned tp)
{
	struct sip_peer p;
	struct sockaddr_in *a = (void *)&p.addr;

	memset(&p, 0, sizeof p);
	a->sin_family = AF_INET;
	a->sin_port = htons(5062);
	inet_pton(AF_INET, ip, &a->sin_addr);
	p.transport = tp;
	return p;
}

/* Parses TEXT with sofia and hands it to the core. */
static struct sip_reply handle(struct fixture *f, const char *text,
			       const struct sip_peer *peer)
{
	struct sip_reply rep;
	msg_t *m = msg_make(sip_default_mclass(), 0, text, strlen(text));
	sip_t *sip = m ? sip_object(m) : NULL;

	sip_core_handle(f->core, sip, strlen(text), peer, f->now, &rep);
	msg_destroy(m);
	return rep;
}

static void request(char *out, size_t cap, const char *method, const char *user,
		    unsigned cseq, const char *extra)
{
	snprintf(out, cap,
		 "%s sip:%s@ward.test SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bK%u\r\n"
		 "Max-Forwards: 70\r\n"
		 "From: <sip:%s@ward.test>;tag=f1\r\n"
		 "To: <sip:%s@ward.test>\r\n"
		 "Call-ID: call-%s@test\r\n"
		 "CSeq: %u %s\r\n"
		 "Contact: <sip:%s@192.0.2.1:5062>\r\n"
		 "%s"
		 "Content-Length: 0\r\n\r\n",
		 method, user, cseq, user, user, user, cseq, method, user,
		 extra ? extra : "");
}

/* The value of the challenge for ALG in REP's headers, or NULL. */
static const char *challenge_for(const struct sip_reply *rep, const char *alg,
				 char *nonce, size_t cap)
{
	for (int i = 0; i < rep->nhdr; i++) {
		const char *h = rep->hdr[i], *n;
		char want[48];
		snprintf(want, sizeof want, "algorithm=%s,", alg);
		if (!strstr(h, want))
			continue;
		n = strstr(h, "nonce=\"");
		assert_non_null(n);
		n += 7;
		snprintf(nonce, cap, "%.*s", (int)strcspn(n, "\""), n);
		return h;
	}
	return NULL;
}

/* An Authorization header for USER/PASSWORD answering NONCE. */
static void authorization(char *out, size_t cap, const char *hname,
			  const char *method, const char *uri, const char *user,
			  const char *password, enum sip_digest_alg alg,
			  const char *nonce, uint32_t nc)
{
	struct sip_digest *d;
	struct sip_digest_creds c = {0};
	uint8_t ha1[SIP_DIGEST_HA1_MAX], key[SIP_DIGEST_SECRET_LEN] = {0};
	char err[64];
	int n = sip_digest_ha1(alg, user, "ward.test", password, ha1);

	assert_int_equal(sip_digest_new(key, 1024, &d, err, sizeof err), 0);
	snprintf(c.nonce, sizeof c.nonce, "%s", nonce);
	snprintf(c.uri, sizeof c.uri, "%s", uri);
	strcpy(c.cnonce, "abcdef");
	strcpy(c.qop, "auth");
	snprintf(c.nc_text, sizeof c.nc_text, "%08x", nc);
	c.alg = alg;
	sip_digest_response(d, &c, method, ha1, (size_t)n, c.response);
	sip_digest_free(d);
	snprintf(out, cap,
		 "%s: Digest username=\"%s\", realm=\"ward.test\", "
		 "nonce=\"%s\", uri=\"%s\", response=\"%s\", algorithm=%s, "
		 "qop=auth, nc=%s, cnonce=\"abcdef\"\r\n",
		 hname, user, nonce, uri, c.response, sip_digest_alg_name(alg),
		 c.nc_text);
}

/* REGISTER DEVICE with alice's credentials; returns the final reply. */
static struct sip_reply register_as(struct fixture *f, const char *device,
				    const char *password, const char *extra,
				    const struct sip_peer *p)
{
	char msg[2048], auth[1024], hdrs[1400], nonce[128];
	char uri[128];
	struct sip_reply rep;

	request(msg, sizeof msg, "REGISTER", device, 1, extra);
	rep = handle(f, msg, p);
	assert_int_equal(rep.status, 401);
	assert_non_null(challenge_for(&rep, "SHA-256", nonce, sizeof nonce));
	snprintf(uri, sizeof uri, "sip:%s@ward.test", device);
	authorization(auth, sizeof auth, "Authorization", "REGISTER", uri,
		      "alice", password, SIP_DIGEST_SHA256, nonce, 1);
	snprintf(hdrs, sizeof hdrs, "%s%s", extra ? extra : "", auth);
	request(msg, sizeof msg, "REGISTER", device, 2, hdrs);
	return handle(f, msg, p);
}

static void
test_core_challenges_with_three_algorithms_strongest_first(void **state)
{
	struct fixture *f = *state;
	struct sip_peer p = peer_at("192.0.2.1", SIP_TP_UDP);
	char msg[1024];
	struct sip_reply rep;

	request(msg, sizeof msg, "REGISTER", "SEP001122334455", 1, NULL);
	rep = handle(f, msg, &p);
	assert_int_equal(rep.status, 401);
	assert_int_equal(rep.nhdr, 3);
	assert_non_null(strstr(rep.hdr[0], "algorithm=SHA-512-256,"));
	assert_non_null(strstr(rep.hdr[1], "algorithm=SHA-256,"));
	assert_non_null(strstr(rep.hdr[2], "algorithm=MD5,"));
	assert_non_null(strstr(rep.hdr[0], "WWW-Authenticate: Digest "
					   "realm=\"ward.test\""));
}

static void
test_core_unknown_device_is_challenged_like_a_known_one(void **state)
{
	struct fixture *f = *state;
	struct sip_peer p = peer_at("192.0.2.1", SIP_TP_UDP);
	char msg[1024];
	struct sip_reply known, unknown;

	request(msg, sizeof msg, "REGISTER", "SEP001122334455", 1, NULL);
	known = handle(f, msg, &p);
	request(msg, sizeof msg, "REGISTER", "SEP999999999999", 1, NULL);
	unknown = handle(f, msg, &p);
	assert_int_equal(unknown.status, known.status);
	assert_string_equal(unknown.phrase, known.phrase);
	assert_int_equal(unknown.nhdr, known.nhdr);
	/* Right password, unknown device: still only a challenge. */
	unknown = register_as(f, "SEP999999999999", "pw-alice", NULL, &p);
	assert_int_equal(unknown.status, 401);
}

static void
test_core_registers_refreshes_without_owner_change_and_unregisters(void **state)
{
	struct fixture *f = *state;
	struct sip_peer p = peer_at("192.0.2.1", SIP_TP_UDP);
	struct sip_reply rep;

	rep = register_as(f, "SEP001122334455", "pw-alice", "Expires: 600\r\n",
			  &p);
	assert_int_equal(rep.status, 200);
	assert_non_null(strstr(rep.contact, "<sip:SEP001122334455@192.0.2.1:"
					    "5062>;expires=600"));
	assert_int_equal(f->owner_events, 1);
	assert_string_equal(f->last_owner, "SEP001122334455");
	assert_int_equal(f->last_registered, 1);
	/* A refresh: new expiry, no owner change, so no replicated write. */
	f->now += 100000;
	rep = register_as(f, "SEP001122334455", "pw-alice", "Expires: 600\r\n",
			  &p);
	assert_int_equal(rep.status, 200);
	assert_int_equal(f->owner_events, 1);
	/* Registering by line number binds the same device. */
	rep = register_as(f, "1001", "pw-alice", "Expires: 600\r\n", &p);
	assert_int_equal(rep.status, 200);
	assert_non_null(strstr(rep.contact, "<sip:1001@"));
	assert_non_null(strstr(rep.contact, "<sip:SEP001122334455@"));
	assert_int_equal(f->owner_events, 1);
	rep = register_as(f, "1001", "pw-alice", "Expires: 0\r\n", &p);
	assert_int_equal(rep.status, 200);
	assert_null(strstr(rep.contact, "<sip:1001@"));
	assert_int_equal(f->owner_events, 1);
	rep =
	    register_as(f, "SEP001122334455", "pw-alice", "Expires: 0\r\n", &p);
	assert_int_equal(rep.status, 200);
	assert_int_equal(rep.contact[0], '\0');
	assert_int_equal(f->owner_events, 2);
	assert_int_equal(f->last_registered, 0);
}

static void test_core_bindings_expire_with_an_owner_change(void **state)
{
	struct fixture *f = *state;
	struct sip_peer p = peer_at("192.0.2.1", SIP_TP_UDP);
	struct sip_reply rep;

	rep = register_as(f, "SEP001122334455", "pw-alice", "Expires: 60\r\n",
			  &p);
	assert_int_equal(rep.status, 200);
	f->now += 61000;
	sip_core_tick(f->core, f->now);
	assert_int_equal(f->owner_events, 2);
	assert_int_equal(f->last_registered, 0);
}

static void test_core_wrong_password_is_challenged_again(void **state)
{
	struct fixture *f = *state;
	struct sip_peer p = peer_at("192.0.2.1", SIP_TP_UDP);
	struct sip_reply rep;
	struct sip_core_stats st;

	rep = register_as(f, "SEP001122334455", "wrong", NULL, &p);
	assert_int_equal(rep.status, 401);
	sip_core_stats(f->core, &st);
	assert_int_equal(st.auth_failed, 1);
	assert_int_equal(f->owner_events, 0);
	/* Handed to the node for its audit summary, with who and why. */
	assert_int_equal(f->fail_events, 1);
	assert_string_equal(f->last_fail,
			    "192.0.2.1 alice: wrong digest response");
}

/* REGISTER SEP001122334455 answered with credentials for URI: the
 * second reply. */
static struct sip_reply register_with_uri(struct fixture *f, const char *uri,
					  const char *password,
					  const struct sip_peer *p)
{
	char msg[2048], auth[1024], nonce[128];
	struct sip_reply rep;

	request(msg, sizeof msg, "REGISTER", "SEP001122334455", 1, NULL);
	rep = handle(f, msg, p);
	assert_int_equal(rep.status, 401);
	assert_non_null(challenge_for(&rep, "SHA-256", nonce, sizeof nonce));
	authorization(auth, sizeof auth, "Authorization", "REGISTER", uri,
		      "alice", password, SIP_DIGEST_SHA256, nonce, 1);
	request(msg, sizeof msg, "REGISTER", "SEP001122334455", 2, auth);
	return handle(f, msg, p);
}

static void
test_core_credentials_for_another_uri_are_refused_and_counted(void **state)
{
	struct fixture *f = *state;
	struct sip_peer p = peer_at("192.0.2.1", SIP_TP_UDP);
	struct sip_reply rep;
	struct sip_core_stats st;

	/* A right response, computed for another Request-URI. */
	rep = register_with_uri(f, "sip:SEP0000000000AA@ward.test", "pw-alice",
				&p);
	assert_int_equal(rep.status, 400);
	assert_string_equal(rep.phrase, "Credentials URI Mismatch");
	sip_core_stats(f->core, &st);
	assert_int_equal(st.auth_failed, 1);
	assert_string_equal(f->last_fail,
			    "192.0.2.1 alice: credentials for another URI");
	assert_int_equal(f->owner_events, 0);
	/* An unknown user's is refused alike, before any lookup. */
	rep = register_with_uri(f, "sip:ward.test", "wrong", &p);
	assert_int_equal(rep.status, 400);
	sip_core_stats(f->core, &st);
	assert_int_equal(st.auth_failed, 2);
	/* The same URI written otherwise (host case, RFC 3261 19.1.4). */
	rep = register_with_uri(f, "sip:SEP001122334455@WARD.test", "pw-alice",
				&p);
	assert_int_equal(rep.status, 200);
	assert_int_equal(f->owner_events, 1);
}

static void test_core_too_brief_expiry_gets_423(void **state)
{
	struct fixture *f = *state;
	struct sip_peer p = peer_at("192.0.2.1", SIP_TP_UDP);
	struct sip_reply rep;

	rep = register_as(f, "SEP001122334455", "pw-alice", "Expires: 10\r\n",
			  &p);
	assert_int_equal(rep.status, 423);
	assert_string_equal(rep.hdr[0], "Min-Expires: 60");
}

static void test_core_refuses_device_outside_its_node_group(void **state)
{
	struct fixture *f = *state;
	struct sip_peer p = peer_at("192.0.2.1", SIP_TP_UDP);
	struct sip_reply rep;

	rep = register_as(f, "SEP0000000000AA", "pw-alice", NULL, &p);
	assert_int_equal(rep.status, 403);
	assert_int_equal(f->owner_events, 0);
	assert_string_equal(
	    f->last_fail,
	    "192.0.2.1 SEP0000000000AA: node not in the device's group");
}

static void
test_core_secure_cluster_refuses_authenticated_device_on_udp(void **state)
{
	struct fixture *f = *state;
	struct sip_peer p = peer_at("192.0.2.1", SIP_TP_UDP);
	struct sip_reply rep;

	/* Non-secure cluster: the profile is kept but not enforced. */
	rep = register_as(f, "SEP0000000000BB", "pw-alice", NULL, &p);
	assert_int_equal(rep.status, 200);
	sip_dirmem_cluster(f->mem)->secure = 1;
	sip_core_tick(f->core, f->now);
	rep = register_as(f, "SEP0000000000BB", "pw-alice", NULL, &p);
	assert_int_equal(rep.status, 403);
	/* Over TLS without a verified certificate naming it: refused. */
	p.transport = SIP_TP_TLS;
	rep = register_as(f, "SEP0000000000BB", "pw-alice", NULL, &p);
	assert_int_equal(rep.status, 403);
	p.cert.present = p.cert.verified = 1;
	p.cert.kind = 1; /* MIC */
	strcpy(p.cert.cn, "SEP001122334455");
	rep = register_as(f, "SEP0000000000BB", "pw-alice", NULL, &p);
	assert_int_equal(rep.status, 403);
	strcpy(p.cert.cn, "SEP0000000000BB");
	rep = register_as(f, "SEP0000000000BB", "pw-alice", NULL, &p);
	assert_int_equal(rep.status, 200);
}

static struct sip_reply trunk_request(struct fixture *f, const char *ip,
				      const char *method, const char *extra,
				      int in_dialog)
{
	struct sip_peer p = peer_at(ip, SIP_TP_UDP);
	char msg[2048], hdrs[1024];

	snprintf(hdrs, sizeof hdrs, "%s", extra ? extra : "");
	request(msg, sizeof msg, method, "2000", 1, hdrs);
	if (in_dialog) {
		char *to = strstr(msg, "To: <sip:2000@ward.test>");
		char fixed[2100];
		size_t off = (size_t)(to - msg) + strlen("To: <sip:2000@ward."
							 "test>");
		snprintf(fixed, sizeof fixed, "%.*s;tag=t9%s", (int)off, msg,
			 msg + off);
		strcpy(msg, fixed);
	}
	return handle(f, msg, &p);
}

static void
test_core_trunk_heard_only_on_its_profiles_incoming_port_and_transport(
    void **state)
{
	struct fixture *f = *state;
	struct sip_peer p = peer_at("10.0.0.4", SIP_TP_TCP);
	char msg[2048];
	struct sip_reply rep;

	request(msg, sizeof msg, "MESSAGE", "2000", 1, "");
	p.local_port = 5070;
	rep = handle(f, msg, &p);
	assert_int_equal(rep.status, 501); /* heard: not routed yet */
	p.local_port = 5060;
	rep = handle(f, msg, &p);
	assert_int_equal(rep.status, 403);
	p.local_port = 5070;
	p.transport = SIP_TP_UDP;
	rep = handle(f, msg, &p);
	assert_int_equal(rep.status, 403);
	p.transport = SIP_TP_TLS;
	rep = handle(f, msg, &p);
	assert_int_equal(rep.status, 403);
}

static void test_core_trunk_permissions_in_seed_order(void **state)
{
	struct fixture *f = *state;
	struct sip_reply rep;

	rep = trunk_request(f, "10.0.0.1", "REFER",
			    "Refer-To: <sip:3000@ward.test>\r\n", 0);
	assert_int_equal(rep.status, 403);
	assert_string_equal(rep.phrase, "Out-of-dialog REFER Not Allowed");
	rep = trunk_request(f, "10.0.0.1", "REFER",
			    "Refer-To: <sip:3000@ward.test>\r\n", 1);
	assert_int_equal(rep.status, 501);
	rep = trunk_request(f, "10.0.0.1", "NOTIFY",
			    "Event: message-summary\r\n", 0);
	assert_int_equal(rep.status, 403);
	rep = trunk_request(f, "10.0.0.1", "INVITE",
			    "Replaces: abc@x;to-tag=1;from-tag=2\r\n", 0);
	assert_int_equal(rep.status, 403);
	rep = trunk_request(f, "10.0.0.1", "INVITE", NULL, 0);
	assert_int_equal(rep.status, 0); /* to the call table */
	assert_int_equal(rep.call, 1);
	rep =
	    trunk_request(f, "10.0.0.1", "SUBSCRIBE", "Event: presence\r\n", 0);
	assert_int_equal(rep.status, 403);

	rep = trunk_request(f, "10.0.0.2", "REFER",
			    "Refer-To: <sip:3000@ward.test>\r\n", 0);
	assert_int_equal(rep.status, 501);
	rep = trunk_request(f, "10.0.0.2", "NOTIFY",
			    "Event: message-summary\r\n", 0);
	assert_int_equal(rep.status, 501);
	rep = trunk_request(f, "10.0.0.2", "INVITE",
			    "Replaces: abc@x;to-tag=1;from-tag=2\r\n", 0);
	assert_int_equal(rep.status, 0);
	assert_int_equal(rep.call, 1);
	/* Past the profile, presence looks for the watched line: 2000 is
	 * none. */
	rep =
	    trunk_request(f, "10.0.0.2", "SUBSCRIBE", "Event: presence\r\n", 0);
	assert_int_equal(rep.status, 404);
	rep = trunk_request(f, "10.0.0.1", "SUBSCRIBE", "Event: dialog\r\n", 0);
	assert_int_equal(rep.status, 403);
	assert_string_equal(rep.phrase, "Presence Subscription Not Allowed");
}

static void test_core_trunk_app_user_needs_digest_then_its_methods(void **state)
{
	struct fixture *f = *state;
	struct sip_reply rep;
	char auth[1024], nonce[128];

	/* Allowed by the profile, then challenged... */
	rep = trunk_request(f, "10.0.0.3", "REFER",
			    "Refer-To: <sip:3000@ward.test>\r\n", 0);
	assert_int_equal(rep.status, 401);
	assert_non_null(challenge_for(&rep, "MD5", nonce, sizeof nonce));
	/* ...then refused: app1 may send INVITE and NOTIFY only. */
	authorization(auth, sizeof auth, "Authorization", "REFER",
		      "sip:2000@ward.test", "app1", "pw-app", SIP_DIGEST_MD5,
		      nonce, 1);
	strcat(auth, "Refer-To: <sip:3000@ward.test>\r\n");
	rep = trunk_request(f, "10.0.0.3", "REFER", auth, 0);
	assert_int_equal(rep.status, 403);
	assert_string_equal(rep.phrase, "Application Not Authorized");
	authorization(auth, sizeof auth, "Authorization", "NOTIFY",
		      "sip:2000@ward.test", "app1", "pw-app", SIP_DIGEST_MD5,
		      nonce, 2);
	strcat(auth, "Event: message-summary\r\n");
	rep = trunk_request(f, "10.0.0.3", "NOTIFY", auth, 0);
	assert_int_equal(rep.status, 501);
}

static void test_core_phone_invite_is_proxy_challenged_then_placed(void **state)
{
	struct fixture *f = *state;
	struct sip_peer p = peer_at("192.0.2.1", SIP_TP_UDP);
	char msg[2048], auth[1024], nonce[128];
	struct sip_reply rep;

	request(msg, sizeof msg, "INVITE", "SEP001122334455", 1, NULL);
	rep = handle(f, msg, &p);
	assert_int_equal(rep.status, 407);
	assert_non_null(
	    challenge_for(&rep, "SHA-512-256", nonce, sizeof nonce));
	authorization(auth, sizeof auth, "Proxy-Authorization", "INVITE",
		      "sip:SEP001122334455@ward.test", "alice", "pw-alice",
		      SIP_DIGEST_SHA512_256, nonce, 1);
	request(msg, sizeof msg, "INVITE", "SEP001122334455", 2, auth);
	rep = handle(f, msg, &p);
	/* Authorised: the call table places it, as the caller device. */
	assert_int_equal(rep.status, 0);
	assert_int_equal(rep.call, 1);
	assert_string_equal(rep.caller, "SEP001122334455");
}

static int notifies;
static char notified[512];

static int count_notify(void *arg, const struct sip_presence_notify *n)
{
	(void)arg;
	notifies++;
	snprintf(notified, sizeof notified, "%s %.*s", n->call_id,
		 (int)n->body_len, n->body ? n->body : "");
	return 0;
}

/* A phone's SUBSCRIBE passes digest, reaches presence as its digest user,
 * and the watched phone's registration through the core notifies. */
static void
test_core_subscribe_after_digest_then_registration_notifies(void **state)
{
	struct fixture *f = *state;
	struct sip_peer p = peer_at("192.0.2.1", SIP_TP_UDP);
	struct sip_presence *pres = sip_core_presence(f->core);
	char msg[2048], auth[1024], nonce[128];
	struct sip_reply rep;

	notifies = 0;
	sip_presence_set_sender(pres, count_notify, NULL);
	request(msg, sizeof msg, "SUBSCRIBE", "SEP001122334455", 1,
		"Event: presence\r\n");
	rep = handle(f, msg, &p);
	assert_int_equal(rep.status, 407);
	assert_non_null(challenge_for(&rep, "SHA-256", nonce, sizeof nonce));
	authorization(auth, sizeof auth, "Proxy-Authorization", "SUBSCRIBE",
		      "sip:SEP001122334455@ward.test", "alice", "pw-alice",
		      SIP_DIGEST_SHA256, nonce, 1);
	strcat(auth, "Event: presence\r\n");
	request(msg, sizeof msg, "SUBSCRIBE", "SEP001122334455", 2, auth);
	rep = handle(f, msg, &p);
	assert_int_equal(rep.status, 200);
	assert_true(rep.to_tag[0] != '\0');
	sip_presence_flush(pres);
	assert_int_equal(notifies, 1);
	assert_non_null(strstr(notified, "<basic>closed</basic>"));
	sip_presence_on_response(pres, "call-SEP001122334455@test", 1, 200);
	rep = register_as(f, "SEP001122334455", "pw-alice", "Expires: 600\r\n",
			  &p);
	assert_int_equal(rep.status, 200);
	sip_presence_flush(pres);
	assert_int_equal(notifies, 2);
	assert_non_null(strstr(notified, "<basic>open</basic>"));
}

static void test_core_malformed_requests_get_400_or_silence(void **state)
{
	struct fixture *f = *state;
	struct sip_peer p = peer_at("192.0.2.1", SIP_TP_UDP);
	struct sip_reply rep;
	const char *mismatch = "REGISTER sip:ward.test SIP/2.0\r\n"
			       "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
			       "From: <sip:a@ward.test>;tag=1\r\n"
			       "To: <sip:a@ward.test>\r\n"
			       "Call-ID: x\r\n"
			       "CSeq: 1 INVITE\r\n"
			       "Content-Length: 0\r\n\r\n";
	const char *no_callid = "OPTIONS sip:ward.test SIP/2.0\r\n"
				"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
				"From: <sip:a@ward.test>;tag=1\r\n"
				"To: <sip:a@ward.test>\r\n"
				"CSeq: 1 OPTIONS\r\n"
				"Content-Length: 0\r\n\r\n";
	const char *no_via = "OPTIONS sip:ward.test SIP/2.0\r\n"
			     "From: <sip:a@ward.test>;tag=1\r\n"
			     "To: <sip:a@ward.test>\r\n"
			     "Call-ID: x\r\n"
			     "CSeq: 1 OPTIONS\r\n\r\n";

	rep = handle(f, mismatch, &p);
	assert_int_equal(rep.status, 400);
	rep = handle(f, no_callid, &p);
	assert_int_equal(rep.status, 400);
	rep = handle(f, no_via, &p);
	assert_int_equal(rep.status, 0);
}

static void test_core_flood_from_one_source_spares_others(void **state)
{
	struct fixture *f = *state;
	struct sip_peer flooder = peer_at("192.0.2.66", SIP_TP_UDP);
	struct sip_peer other = peer_at("192.0.2.7", SIP_TP_UDP);
	char msg[1024];
	int answered = 0;

	request(msg, sizeof msg, "OPTIONS", "x", 1, NULL);
	for (int i = 0; i < 100; i++)
		answered += handle(f, msg, &flooder).status != 0;
	assert_int_equal(answered, 10); /* the burst, then silence */
	assert_int_equal(handle(f, msg, &other).status, 200);
	f->now += 1000; /* a second later the bucket holds 10 again */
	assert_int_equal(handle(f, msg, &flooder).status, 200);
}

static void test_core_tcp_flooder_connection_is_closed(void **state)
{
	struct fixture *f = *state;
	struct sip_peer tcp = peer_at("192.0.2.67", SIP_TP_TCP);
	struct sip_peer udp = peer_at("192.0.2.68", SIP_TP_UDP);
	struct sip_reply rep;
	char msg[1024];

	request(msg, sizeof msg, "OPTIONS", "x", 1, NULL);
	for (int i = 0; i < 10; i++) {
		rep = handle(f, msg, &tcp);
		assert_int_equal(rep.status, 200);
		assert_int_equal(rep.close, 0);
		handle(f, msg, &udp);
	}
	rep = handle(f, msg, &tcp);
	assert_int_equal(rep.status, 0);
	assert_int_equal(rep.close, 1); /* over TCP: close it */
	rep = handle(f, msg, &udp);
	assert_int_equal(rep.status, 0);
	assert_int_equal(rep.close, 0); /* a datagram: only dropped */
}

/* An overload whose probe came back late once: half the new dialogs
 * admitted, the first refused (overload.h). */
static struct sip_overload *half_admitted(int *fd)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof a;
	struct sip_overload *o;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(*fd >= 0);
	assert_int_equal(bind(*fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(*fd, (struct sockaddr *)&a, &len), 0);
	assert_int_equal(
	    sip_overload_new("127.0.0.1", ntohs(a.sin_port), 100, &o), 0);
	sip_overload_tick(o, 1000);
	sip_overload_tick(o, 1200); /* out 200 ms: late, halved */
	assert_int_equal(sip_overload_active(o), 1);
	return o;
}

static const char *reply_hdr(const struct sip_reply *rep, const char *name)
{
	size_t n = strlen(name);

	for (int i = 0; i < rep->nhdr; i++)
		if (strncmp(rep->hdr[i], name, n) == 0 && rep->hdr[i][n] == ':')
			return rep->hdr[i] + n + 2;
	return NULL;
}

static void test_core_overload_refuses_new_dialogs_first(void **state)
{
	struct fixture *f = *state;
	struct sip_peer p = peer_at("192.0.2.1", SIP_TP_UDP);
	struct sip_core_stats st;
	struct sip_reply rep;
	const char *ra;
	char msg[2048];
	int fd;
	struct sip_overload *o = half_admitted(&fd);

	sip_core_set_overload(f->core, o, 2);
	/* The first INVITE refused before its challenge: 503, Retry-After
	 * 2..4, no nonce made. */
	request(msg, sizeof msg, "INVITE", "SEP001122334455", 1, NULL);
	rep = handle(f, msg, &p);
	assert_int_equal(rep.status, 503);
	ra = reply_hdr(&rep, "Retry-After");
	assert_non_null(ra);
	assert_true(atoi(ra) >= 2 && atoi(ra) <= 4);
	assert_null(reply_hdr(&rep, "Proxy-Authenticate"));
	/* The next admitted (half the share): challenged as usual. */
	request(msg, sizeof msg, "INVITE", "SEP001122334455", 2, NULL);
	rep = handle(f, msg, &p);
	assert_int_equal(rep.status, 407);
	/* SUBSCRIBE opens a dialog too: refused at its turn. */
	request(msg, sizeof msg, "SUBSCRIBE", "SEP001122334455", 3,
		"Event: presence\r\n");
	rep = handle(f, msg, &p);
	assert_int_equal(rep.status, 503);
	/* What opens no dialog is served: REGISTER, OPTIONS, and a request
	 * inside a dialog (To tag), however many. */
	for (int i = 0; i < 4; i++) {
		rep = register_as(f, "SEP001122334455", "pw-alice", NULL, &p);
		assert_int_equal(rep.status, 200);
		request(msg, sizeof msg, "OPTIONS", "SEP001122334455", 4, NULL);
		rep = handle(f, msg, &p);
		assert_int_equal(rep.status, 200);
		snprintf(
		    msg, sizeof msg,
		    "INVITE sip:x@ward.test SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bKre%d\r\n"
		    "Max-Forwards: 70\r\n"
		    "From: <sip:SEP001122334455@ward.test>;tag=f1\r\n"
		    "To: <sip:x@ward.test>;tag=t1\r\n"
		    "Call-ID: reinvite@test\r\n"
		    "CSeq: %d INVITE\r\n"
		    "Content-Length: 0\r\n\r\n",
		    i, 10 + i);
		rep = handle(f, msg, &p);
		assert_int_not_equal(rep.status, 503);
	}
	sip_core_stats(f->core, &st);
	assert_int_equal(st.overloaded, 2);
	/* A member's INVITE refused on the node listener: counted with
	 * these, its Retry-After spread the same way. */
	for (int i = 0; i < 16; i++) {
		unsigned s = sip_core_overload_refused(f->core);

		assert_true(s >= 2 && s <= 4);
	}
	sip_core_stats(f->core, &st);
	assert_int_equal(st.overloaded, 18);
	/* Overload control gone: nothing refused. */
	sip_core_set_overload(f->core, NULL, 0);
	for (int i = 0; i < 4; i++) {
		request(msg, sizeof msg, "INVITE", "SEP001122334455", 20 + i,
			NULL);
		rep = handle(f, msg, &p);
		assert_int_equal(rep.status, 407);
	}
	sip_overload_free(o);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_core_overload_refuses_new_dialogs_first, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_core_challenges_with_three_algorithms_strongest_first,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_core_unknown_device_is_challenged_like_a_known_one, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_core_registers_refreshes_without_owner_change_and_unregisters,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_core_bindings_expire_with_an_owner_change, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_core_wrong_password_is_challenged_again, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_core_credentials_for_another_uri_are_refused_and_counted,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(test_core_too_brief_expiry_gets_423,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_core_refuses_device_outside_its_node_group, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_core_secure_cluster_refuses_authenticated_device_on_udp,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_core_trunk_permissions_in_seed_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_core_subscribe_after_digest_then_registration_notifies,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_core_trunk_heard_only_on_its_profiles_incoming_port_and_transport,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_core_trunk_app_user_needs_digest_then_its_methods, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_core_phone_invite_is_proxy_challenged_then_placed, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_core_malformed_requests_get_400_or_silence, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_core_flood_from_one_source_spares_others, setup_limited,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_core_tcp_flooder_connection_is_closed, setup_limited,
		teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
