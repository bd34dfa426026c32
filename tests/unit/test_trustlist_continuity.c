/* test_trustlist_continuity: a new CTL replaces the current one only when
 * a SAST of the current one signed it; the first CTL only when a
 * registered token signed it. Software keys here; the same rule with
 * SoftHSM2 tokens is in test_trustlist_token. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "tests/unit/test_trustlist_fixture.h"
#include "trustlist/trustlist.h"

/* A CTL listing SAST_A and SAST_B, signed by SIGNER (one of them). */
static struct trustlist *ctl(const char *sast_a, const char *sast_b,
			     const char *signer, uint8_t **buf)
{
	struct tlf_set set;
	struct trustlist *tl;
	size_t len;

	tlf_ctl_set(&set, sast_a, sast_b);
	*buf = tlf_build(TRUSTLIST_CTL, &set, signer, TRUSTLIST_SIG_RSA_SHA512,
			 &len);
	tl = tlf_parse(*buf, len, 0);
	tlf_set_free(&set);
	return tl;
}

struct registry {
	struct tlf_cert certs[2];
	struct trustlist_bytes list[2];
};

/* The registered tokens: sast1 and sast2. */
static void registry_init(struct registry *r)
{
	tlf_cert_load("sast1", &r->certs[0]);
	tlf_cert_load("sast2", &r->certs[1]);
	for (int i = 0; i < 2; i++)
		r->list[i] =
		    (struct trustlist_bytes){r->certs[i].der, r->certs[i].len};
}

static void registry_close(struct registry *r)
{
	tlf_cert_free(&r->certs[0]);
	tlf_cert_free(&r->certs[1]);
}

static void test_first_ctl_needs_a_registered_token(void **state)
{
	struct registry reg;
	struct trustlist *good, *rogue;
	uint8_t *gbuf, *rbuf;
	char err[256] = "";

	(void)state;
	registry_init(&reg);
	good = ctl("sast1", "sast2", "sast1", &gbuf);
	assert_int_equal(
	    trustlist_ctl_accepts(NULL, good, reg.list, 2, err, sizeof err), 0);
	/* Verifies on its own, but sast3 was never registered. */
	rogue = ctl("sast3", "sast2", "sast3", &rbuf);
	assert_int_equal(
	    trustlist_verify(rogue, TRUSTLIST_CTL, NULL, err, sizeof err), 0);
	assert_int_equal(
	    trustlist_ctl_accepts(NULL, rogue, reg.list, 2, err, sizeof err),
	    TRUSTLIST_EUNTRUSTED);
	assert_non_null(strstr(err, "SAST token 3"));
	assert_non_null(strstr(err, "registered"));
	/* Nothing registered: nothing is accepted. */
	assert_int_equal(
	    trustlist_ctl_accepts(NULL, good, NULL, 0, err, sizeof err),
	    TRUSTLIST_EUNTRUSTED);
	trustlist_free(rogue);
	trustlist_free(good);
	free(rbuf);
	free(gbuf);
	registry_close(&reg);
}

static void test_next_ctl_signed_by_a_listed_sast_is_accepted(void **state)
{
	struct registry reg;
	struct trustlist *first, *second, *third;
	uint8_t *b1, *b2, *b3;
	char err[256] = "";

	(void)state;
	registry_init(&reg);
	first = ctl("sast1", "sast2", "sast1", &b1);
	/* Token B, listed in the first CTL, signs the next one... */
	second = ctl("sast1", "sast2", "sast2", &b2);
	assert_int_equal(
	    trustlist_ctl_accepts(first, second, reg.list, 2, err, sizeof err),
	    0);
	/* ...which adds token 3 (signed by a listed token)... */
	third = ctl("sast3", "sast2", "sast2", &b3);
	assert_int_equal(
	    trustlist_ctl_accepts(second, third, reg.list, 2, err, sizeof err),
	    0);
	trustlist_free(third);
	free(b3);
	/* ...after which token 3 may sign on its own. */
	{
		struct trustlist *adds, *by3;
		uint8_t *ba, *bb;

		adds = ctl("sast1", "sast3", "sast1", &ba);
		by3 = ctl("sast3", "sast2", "sast3", &bb);
		assert_int_equal(
		    trustlist_ctl_accepts(adds, by3, NULL, 0, err, sizeof err),
		    0);
		trustlist_free(by3);
		trustlist_free(adds);
		free(bb);
		free(ba);
	}
	trustlist_free(second);
	trustlist_free(first);
	free(b2);
	free(b1);
	registry_close(&reg);
}

static void test_ctl_signed_by_an_unlisted_token_is_refused(void **state)
{
	struct registry reg;
	struct trustlist *first, *rogue;
	uint8_t *b1, *b2;
	char err[256] = "";

	(void)state;
	registry_init(&reg);
	first = ctl("sast1", "sast2", "sast1", &b1);
	/* sast3 lists itself and signs: valid on its own, but not listed
	 * in the CTL it would replace. Being registered does not matter
	 * once a CTL exists. */
	rogue = ctl("sast3", "sast1", "sast3", &b2);
	assert_int_equal(
	    trustlist_ctl_accepts(first, rogue, reg.list, 2, err, sizeof err),
	    TRUSTLIST_EUNTRUSTED);
	assert_non_null(strstr(err, "not a SAST of the CTL it replaces"));
	trustlist_free(rogue);
	trustlist_free(first);
	free(b2);
	free(b1);
	registry_close(&reg);
}

static void test_candidate_that_does_not_verify_is_refused(void **state)
{
	struct registry reg;
	struct trustlist *first, *second;
	uint8_t *b1, *b2;
	char err[256] = "";

	(void)state;
	registry_init(&reg);
	first = ctl("sast1", "sast2", "sast1", &b1);
	second = ctl("sast1", "sast2", "sast2", &b2);
	second->data[second->len - 1] ^= 1;
	assert_int_equal(
	    trustlist_ctl_accepts(first, second, reg.list, 2, err, sizeof err),
	    TRUSTLIST_ESIGNATURE);
	/* An ITL is not a CTL: its signer is listed as SAST (the TFTP key,
	 * as phones want), but not in the current CTL. */
	{
		struct tlf_set set;
		struct trustlist *itl;
		uint8_t *bi;
		size_t len;

		tlf_itl_set(&set, "tftp1");
		bi = tlf_build(TRUSTLIST_ITL, &set, "tftp1",
			       TRUSTLIST_SIG_RSA_SHA1, &len);
		itl = tlf_parse(bi, len, 0);
		assert_int_equal(trustlist_ctl_accepts(first, itl, reg.list, 2,
						       err, sizeof err),
				 TRUSTLIST_EUNTRUSTED);
		assert_int_equal(trustlist_ctl_accepts(NULL, itl, reg.list, 2,
						       err, sizeof err),
				 TRUSTLIST_EUNTRUSTED);
		trustlist_free(itl);
		free(bi);
		tlf_set_free(&set);
	}
	trustlist_free(second);
	trustlist_free(first);
	free(b2);
	free(b1);
	registry_close(&reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_ctl_needs_a_registered_token),
	    cmocka_unit_test(test_next_ctl_signed_by_a_listed_sast_is_accepted),
	    cmocka_unit_test(test_ctl_signed_by_an_unlisted_token_is_refused),
	    cmocka_unit_test(test_candidate_that_does_not_verify_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
