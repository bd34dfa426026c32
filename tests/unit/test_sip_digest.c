/* Digest as the registrar uses it: the RFC 7616 arithmetic, nonces any node
 * with the secret verifies, stale nonces, nonce-count replay, and unknown
 * users answered like wrong passwords. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "node/sip/digest.h"

static const uint8_t secret[SIP_DIGEST_SECRET_LEN] = {1, 2, 3, 4, 5};
static const uint8_t other[SIP_DIGEST_SECRET_LEN] = {9, 9, 9};

static struct sip_digest *new_digest(const uint8_t *s)
{
	struct sip_digest *d = NULL;
	char err[128];
	assert_int_equal(sip_digest_new(s, 4096, &d, err, sizeof err), 0);
	return d;
}

/* Credentials as a client holding PASSWORD would send them. */
static void client_creds(struct sip_digest *d, enum sip_digest_alg alg,
			 const char *nonce, uint32_t nc, const char *password,
			 struct sip_digest_creds *c)
{
	uint8_t ha1[SIP_DIGEST_HA1_MAX];
	int n;

	memset(c, 0, sizeof *c);
	strcpy(c->username, "alice");
	strcpy(c->realm, "ward.test");
	strcpy(c->nonce, nonce);
	strcpy(c->uri, "sip:ward.test");
	strcpy(c->cnonce, "0a4f113b");
	strcpy(c->qop, "auth");
	snprintf(c->nc_text, sizeof c->nc_text, "%08x", nc);
	c->nc = nc;
	c->alg = alg;
	n = sip_digest_ha1(alg, "alice", "ward.test", password, ha1);
	assert_true(n > 0);
	assert_int_equal(
	    sip_digest_response(d, c, "REGISTER", ha1, (size_t)n, c->response),
	    0);
}

static enum sip_digest_verdict verify(struct sip_digest *d,
				      const struct sip_digest_creds *c,
				      uint64_t now, uint32_t cseq)
{
	uint8_t ha1[SIP_DIGEST_HA1_MAX];
	int n = sip_digest_ha1(c->alg, "alice", "ward.test", "secret", ha1);
	return sip_digest_verify(d, c, "REGISTER", ha1, (size_t)n, now, 300,
				 cseq, 77);
}

static void test_digest_response_matches_rfc7616_examples(void **state)
{
	struct sip_digest *d = new_digest(secret);
	struct sip_digest_creds c = {0};
	uint8_t ha1[SIP_DIGEST_HA1_MAX];
	char out[129];
	int n;

	(void)state;
	strcpy(c.nonce, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
	strcpy(c.uri, "/dir/index.html");
	strcpy(c.cnonce, "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");
	strcpy(c.qop, "auth");
	strcpy(c.nc_text, "00000001");
	c.alg = SIP_DIGEST_MD5;
	n = sip_digest_ha1(c.alg, "Mufasa", "http-auth@example.org",
			   "Circle of Life", ha1);
	assert_int_equal(n, 16);
	assert_int_equal(sip_digest_response(d, &c, "GET", ha1, 16, out), 0);
	assert_string_equal(out, "8ca523f5e9506fed4657c9700eebdbec");
	c.alg = SIP_DIGEST_SHA256;
	n = sip_digest_ha1(c.alg, "Mufasa", "http-auth@example.org",
			   "Circle of Life", ha1);
	assert_int_equal(n, 32);
	assert_int_equal(sip_digest_response(d, &c, "GET", ha1, 32, out), 0);
	assert_string_equal(out, "753927fa0e85d155564e2e272a28d1802ca10daf449"
				 "6794697cf8db5856cb6c1");
	sip_digest_free(d);
}

static void test_digest_accepts_right_password_every_algorithm(void **state)
{
	struct sip_digest *d = new_digest(secret);
	struct sip_digest_creds c;
	char nonce[SIP_DIGEST_NONCE_TEXT];

	(void)state;
	for (int a = 0; a < SIP_DIGEST_NALG; a++) {
		assert_int_equal(sip_digest_nonce(d, (1000) * 1000ull, nonce),
				 0);
		client_creds(d, (enum sip_digest_alg)a, nonce, 1, "secret", &c);
		assert_int_equal(verify(d, &c, (1001) * 1000ull, 1),
				 SIP_DIGEST_OK);
		client_creds(d, (enum sip_digest_alg)a, nonce, 2, "wrong", &c);
		assert_int_equal(verify(d, &c, (1001) * 1000ull, 2),
				 SIP_DIGEST_BAD);
	}
	sip_digest_free(d);
}

static void test_digest_rejects_replayed_nonce_count(void **state)
{
	struct sip_digest *d = new_digest(secret);
	struct sip_digest_creds c;
	char nonce[SIP_DIGEST_NONCE_TEXT];

	(void)state;
	sip_digest_nonce(d, (1000) * 1000ull, nonce);
	client_creds(d, SIP_DIGEST_SHA256, nonce, 1, "secret", &c);
	assert_int_equal(verify(d, &c, (1001) * 1000ull, 1), SIP_DIGEST_OK);
	/* A stateless retransmission of that very request passes again. */
	assert_int_equal(verify(d, &c, (1001) * 1000ull, 1), SIP_DIGEST_OK);
	/* The same nc on another request is a replay. */
	assert_int_equal(verify(d, &c, (1001) * 1000ull, 2), SIP_DIGEST_REPLAY);
	client_creds(d, SIP_DIGEST_SHA256, nonce, 3, "secret", &c);
	assert_int_equal(verify(d, &c, (1002) * 1000ull, 3), SIP_DIGEST_OK);
	client_creds(d, SIP_DIGEST_SHA256, nonce, 2, "secret", &c);
	assert_int_equal(verify(d, &c, (1002) * 1000ull, 4), SIP_DIGEST_REPLAY);
	sip_digest_free(d);
}

static void test_digest_forgotten_nonce_is_stale_never_replayable(void **state)
{
	struct sip_digest *d = new_digest(secret); /* 1024 slots */
	struct sip_digest_creds c, old;
	char nonce[SIP_DIGEST_NONCE_TEXT];

	(void)state;
	sip_digest_nonce(d, (1000) * 1000ull, nonce);
	client_creds(d, SIP_DIGEST_MD5, nonce, 1, "secret", &old);
	assert_int_equal(verify(d, &old, (1000) * 1000ull, 1), SIP_DIGEST_OK);
	/* Far more live nonces than the table holds (one a millisecond,
	 * each answered at once) push the first out; none of them is
	 * refused. */
	for (int i = 0; i < 20000; i++) {
		sip_digest_nonce(d, 1001000ull + (uint64_t)i, nonce);
		client_creds(d, SIP_DIGEST_MD5, nonce, 1, "secret", &c);
		assert_int_equal(verify(d, &c, 1001000ull + (uint64_t)i, 1),
				 SIP_DIGEST_OK);
	}
	/* Forgotten, so neither a replay nor a rising count is trusted. */
	assert_int_equal(verify(d, &old, (1021) * 1000ull, 2),
			 SIP_DIGEST_STALE);
	strcpy(nonce, old.nonce);
	client_creds(d, SIP_DIGEST_MD5, nonce, 2, "secret", &c);
	assert_int_equal(verify(d, &c, (1021) * 1000ull, 3), SIP_DIGEST_STALE);
	sip_digest_free(d);
}

static void
test_digest_expired_nonce_is_stale_only_with_right_password(void **state)
{
	struct sip_digest *d = new_digest(secret);
	struct sip_digest_creds c;
	char nonce[SIP_DIGEST_NONCE_TEXT];

	(void)state;
	sip_digest_nonce(d, (1000) * 1000ull, nonce);
	client_creds(d, SIP_DIGEST_MD5, nonce, 1, "secret", &c);
	assert_int_equal(verify(d, &c, (1300) * 1000ull, 1), SIP_DIGEST_STALE);
	client_creds(d, SIP_DIGEST_MD5, nonce, 1, "wrong", &c);
	assert_int_equal(verify(d, &c, (1300) * 1000ull, 1), SIP_DIGEST_BAD);
	sip_digest_free(d);
}

static void
test_digest_nonce_verifies_on_another_node_with_the_secret(void **state)
{
	struct sip_digest *node1 = new_digest(secret);
	struct sip_digest *node2 = new_digest(secret);
	struct sip_digest *foreign = new_digest(other);
	struct sip_digest_creds c;
	char nonce[SIP_DIGEST_NONCE_TEXT];

	(void)state;
	sip_digest_nonce(node1, (1000) * 1000ull, nonce);
	client_creds(node1, SIP_DIGEST_SHA512_256, nonce, 1, "secret", &c);
	assert_int_equal(verify(node2, &c, (1001) * 1000ull, 1), SIP_DIGEST_OK);
	assert_int_equal(verify(foreign, &c, (1001) * 1000ull, 1),
			 SIP_DIGEST_BAD);
	/* A rotated secret retires the old nonces. */
	assert_int_equal(sip_digest_set_secret(node2, other), 0);
	client_creds(node1, SIP_DIGEST_SHA512_256, nonce, 2, "secret", &c);
	assert_int_equal(verify(node2, &c, (1001) * 1000ull, 2),
			 SIP_DIGEST_BAD);
	sip_digest_free(node1);
	sip_digest_free(node2);
	sip_digest_free(foreign);
}

static void test_digest_tampered_nonce_is_refused(void **state)
{
	struct sip_digest *d = new_digest(secret);
	struct sip_digest_creds c;
	char nonce[SIP_DIGEST_NONCE_TEXT];

	(void)state;
	sip_digest_nonce(d, (1000) * 1000ull, nonce);
	/* Pushing the issue time forward would extend the nonce's life. */
	nonce[10] = nonce[10] == 'A' ? 'B' : 'A';
	client_creds(d, SIP_DIGEST_SHA256, nonce, 1, "secret", &c);
	assert_int_equal(verify(d, &c, (1001) * 1000ull, 1), SIP_DIGEST_BAD);
	strcpy(nonce, "short");
	client_creds(d, SIP_DIGEST_SHA256, nonce, 1, "secret", &c);
	assert_int_equal(verify(d, &c, (1001) * 1000ull, 1), SIP_DIGEST_BAD);
	sip_digest_free(d);
}

static void test_digest_unknown_user_is_a_wrong_password(void **state)
{
	struct sip_digest *d = new_digest(secret);
	struct sip_digest_creds c;
	char nonce[SIP_DIGEST_NONCE_TEXT];

	(void)state;
	sip_digest_nonce(d, (1000) * 1000ull, nonce);
	client_creds(d, SIP_DIGEST_SHA256, nonce, 1, "secret", &c);
	assert_int_equal(
	    sip_digest_verify(d, &c, "REGISTER", NULL, 0, 1001000, 300, 1, 1),
	    SIP_DIGEST_BAD);
	sip_digest_free(d);
}

static void test_digest_parse_needs_qop_auth_and_a_proper_nc(void **state)
{
	struct sip_digest_creds c;
	const char *good[] = {"username=\"al\\\"ice\"",
			      "realm=\"r\"",
			      "nonce=\"n\"",
			      "uri=\"sip:r\"",
			      "response=\"abc\"",
			      "qop=auth",
			      "nc=0000000a",
			      "cnonce=\"x\"",
			      "algorithm=SHA-256",
			      NULL};
	const char *no_qop[] = {"username=\"a\"", "realm=\"r\"",
				"nonce=\"n\"",	  "uri=\"u\"",
				"response=\"r\"", NULL};
	const char *bad_nc[] = {
	    "username=\"a\"", "realm=\"r\"",	"nonce=\"n\"",
	    "uri=\"u\"",      "response=\"r\"", "qop=auth",
	    "nc=1",	      "cnonce=\"x\"",	NULL};
	const char *bad_alg[] = {
	    "username=\"a\"",  "realm=\"r\"", "nonce=\"n\"", "uri=\"u\"",
	    "response=\"r\"",  "qop=auth",    "nc=00000001", "cnonce=\"x\"",
	    "algorithm=SHA-1", NULL};
	const char *broken_quote[] = {"username=\"a", NULL};

	(void)state;
	assert_int_equal(sip_digest_parse(good, &c), 0);
	assert_string_equal(c.username, "al\"ice");
	assert_int_equal(c.nc, 10);
	assert_int_equal(c.alg, SIP_DIGEST_SHA256);
	assert_int_equal(sip_digest_parse(no_qop, &c), -1);
	assert_int_equal(sip_digest_parse(bad_nc, &c), -1);
	assert_int_equal(sip_digest_parse(bad_alg, &c), -1);
	assert_int_equal(sip_digest_parse(broken_quote, &c), -1);
}

static void test_digest_challenge_names_algorithm_and_stale(void **state)
{
	struct sip_digest *d = new_digest(secret);
	char out[SIP_DIGEST_CHALLENGE_MAX];

	(void)state;
	assert_int_equal(
	    sip_digest_challenge(d, SIP_DIGEST_SHA512_256, "r", "N", 1, out),
	    0);
	assert_string_equal(out, "Digest realm=\"r\", nonce=\"N\", "
				 "algorithm=SHA-512-256, qop=\"auth\", "
				 "stale=true");
	assert_int_equal(
	    sip_digest_challenge(d, SIP_DIGEST_MD5, "bad\"realm", "N", 0, out),
	    -1);
	sip_digest_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_digest_response_matches_rfc7616_examples),
	    cmocka_unit_test(
		test_digest_accepts_right_password_every_algorithm),
	    cmocka_unit_test(test_digest_rejects_replayed_nonce_count),
	    cmocka_unit_test(
		test_digest_forgotten_nonce_is_stale_never_replayable),
	    cmocka_unit_test(
		test_digest_expired_nonce_is_stale_only_with_right_password),
	    cmocka_unit_test(
		test_digest_nonce_verifies_on_another_node_with_the_secret),
	    cmocka_unit_test(test_digest_tampered_nonce_is_refused),
	    cmocka_unit_test(test_digest_unknown_user_is_a_wrong_password),
	    cmocka_unit_test(test_digest_parse_needs_qop_auth_and_a_proper_nc),
	    cmocka_unit_test(test_digest_challenge_names_algorithm_and_stale),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
