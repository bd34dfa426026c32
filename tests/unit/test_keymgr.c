/* keymgr: keys go only to encrypted-mode TLS legs, a call is as secure as
 * its weakest leg, "encrypted or reject" refuses the rest, and key bytes
 * come from the CSPRNG, sit in locked undumpable pages, are wiped when
 * released, and never reach the log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "common/hex.h"
#include "common/log.h"
#include "node/keymgr/keymgr.h"
#include "node/keymgr/keymgr_int.h"

static const struct keymgr_leg enc_tls = {KEYMGR_MODE_ENCRYPTED,
					  KEYMGR_TRANSPORT_TLS, 0, 1};

static void test_keymgr_keys_reach_only_encrypted_tls_legs(void **state)
{
	(void)state;
	for (int m = KEYMGR_MODE_NONSECURE; m <= KEYMGR_MODE_ENCRYPTED; m++) {
		for (int t = KEYMGR_TRANSPORT_UDP; t <= KEYMGR_TRANSPORT_TLS;
		     t++) {
			struct keymgr_leg leg = {(enum keymgr_mode)m,
						 (enum keymgr_transport)t, 0,
						 1};
			int want = m == KEYMGR_MODE_ENCRYPTED &&
				   t == KEYMGR_TRANSPORT_TLS;

			assert_int_equal(keymgr_leg_may_receive_keys(&leg),
					 want);
		}
	}
	assert_int_equal(keymgr_leg_may_receive_keys(NULL), 0);
}

static void test_keymgr_call_level_is_the_weakest_leg(void **state)
{
	struct keymgr_leg legs[3] = {enc_tls, enc_tls, enc_tls};
	enum keymgr_level level;

	(void)state;
	assert_int_equal(keymgr_call_level(legs, 3), KEYMGR_LEVEL_ENCRYPTED);
	/* one leg's media fell back to RTP */
	legs[1].media_srtp = 0;
	assert_int_equal(keymgr_call_level(legs, 3),
			 KEYMGR_LEVEL_AUTHENTICATED);
	legs[1] = enc_tls;
	/* a trunk, even over TLS with SRTP, is never "encrypted" */
	legs[2].is_trunk = 1;
	assert_int_equal(keymgr_call_level(legs, 3),
			 KEYMGR_LEVEL_AUTHENTICATED);
	legs[2] = enc_tls;
	legs[0].mode = KEYMGR_MODE_AUTHENTICATED;
	assert_int_equal(keymgr_call_level(legs, 3),
			 KEYMGR_LEVEL_AUTHENTICATED);
	/* encrypted mode over TCP: no TLS, so non-secure */
	legs[2].transport = KEYMGR_TRANSPORT_TCP;
	assert_int_equal(keymgr_call_level(legs, 3), KEYMGR_LEVEL_NONSECURE);
	assert_int_equal(keymgr_call_level(legs, 0), KEYMGR_LEVEL_NONSECURE);
	assert_int_equal(keymgr_call_decide(legs, 3, 0, &level), KEYMGR_OK);
	assert_int_equal(level, KEYMGR_LEVEL_NONSECURE);
	assert_string_equal(keymgr_level_name(level), "non-secure");
}

static void test_keymgr_encrypted_or_reject_refuses_weaker_calls(void **state)
{
	struct keymgr_leg legs[2] = {enc_tls, enc_tls};
	enum keymgr_level level;

	(void)state;
	assert_int_equal(keymgr_call_decide(legs, 2, 1, &level), KEYMGR_OK);
	assert_int_equal(level, KEYMGR_LEVEL_ENCRYPTED);
	legs[1].mode = KEYMGR_MODE_NONSECURE;
	legs[1].transport = KEYMGR_TRANSPORT_UDP;
	assert_int_equal(keymgr_call_decide(legs, 2, 1, &level),
			 KEYMGR_EREJECT);
	assert_int_equal(level, KEYMGR_LEVEL_NONSECURE);
	legs[1] = enc_tls;
	legs[1].media_srtp = 0;
	assert_int_equal(keymgr_call_decide(legs, 2, 1, &level),
			 KEYMGR_EREJECT);
	assert_int_equal(level, KEYMGR_LEVEL_AUTHENTICATED);
}

/* The generated key toward SIDE, read back through the a=crypto value an
 * encrypted leg would get. */
static void crypto_toward(struct keymgr_call *call, enum keymgr_side side,
			  struct sdes_crypto *out, char value[SDES_VALUE_MAX])
{
	assert_int_equal(keymgr_call_crypto_for_leg(call, side, &enc_tls, 1,
						    value, SDES_VALUE_MAX),
			 KEYMGR_OK);
	assert_int_equal(sdes_parse(value, out), SDES_OK);
}

static void test_keymgr_makes_two_random_sets_per_call(void **state)
{
	struct keymgr *km = keymgr_new(0, NULL, 0);
	struct keymgr_call *call;
	struct sdes_crypto a, b;
	char va[SDES_VALUE_MAX], vb[SDES_VALUE_MAX];
	static const uint8_t zero[SDES_KEY_MAX];

	(void)state;
	assert_non_null(km);
	assert_int_equal(keymgr_call_new(km, &call), KEYMGR_OK);
	assert_int_equal(keymgr_call_crypto_for_leg(call, KEYMGR_SIDE_A,
						    &enc_tls, 1, va, sizeof va),
			 KEYMGR_ENOKEY);
	assert_int_equal(
	    keymgr_call_generate(call, KEYMGR_SIDE_A, SDES_AEAD_AES_256_GCM),
	    KEYMGR_OK);
	assert_int_equal(keymgr_call_generate(call, KEYMGR_SIDE_B,
					      SDES_AES_CM_128_HMAC_SHA1_80),
			 KEYMGR_OK);
	assert_int_equal(keymgr_keys_in_use(km), 2);
	crypto_toward(call, KEYMGR_SIDE_A, &a, va);
	crypto_toward(call, KEYMGR_SIDE_B, &b, vb);
	assert_int_equal(a.suite, SDES_AEAD_AES_256_GCM);
	assert_int_equal(a.key_len, 32);
	assert_int_equal(b.suite, SDES_AES_CM_128_HMAC_SHA1_80);
	assert_memory_not_equal(a.key, zero, a.key_len);
	assert_memory_not_equal(b.key, zero, b.key_len);
	assert_memory_not_equal(a.key, b.key, 16);
	assert_memory_not_equal(a.salt, b.salt, 12);
	/* a re-key replaces the set, and does not leak the old slot */
	assert_int_equal(keymgr_call_generate(call, KEYMGR_SIDE_B,
					      SDES_AES_CM_128_HMAC_SHA1_80),
			 KEYMGR_OK);
	assert_int_equal(keymgr_keys_in_use(km), 2);
	crypto_toward(call, KEYMGR_SIDE_B, &a, va);
	assert_memory_not_equal(a.key, b.key, 16);
	assert_int_equal(
	    keymgr_call_generate(call, KEYMGR_SIDE_B, SDES_SUITE_NONE),
	    KEYMGR_EINVAL);
	keymgr_call_free(call);
	assert_int_equal(keymgr_keys_in_use(km), 0);
	keymgr_free(km);
}

static void
test_keymgr_refuses_keys_to_a_leg_that_may_not_see_them(void **state)
{
	struct keymgr *km = keymgr_new(0, NULL, 0);
	struct keymgr_leg auth = {KEYMGR_MODE_AUTHENTICATED,
				  KEYMGR_TRANSPORT_TLS, 0, 0};
	struct keymgr_leg enc_udp = {KEYMGR_MODE_ENCRYPTED,
				     KEYMGR_TRANSPORT_UDP, 0, 1};
	struct keymgr_call *call;
	char v[SDES_VALUE_MAX];

	(void)state;
	assert_int_equal(keymgr_call_new(km, &call), KEYMGR_OK);
	assert_int_equal(
	    keymgr_call_generate(call, KEYMGR_SIDE_A, SDES_AEAD_AES_128_GCM),
	    KEYMGR_OK);
	memset(v, 'x', sizeof v);
	assert_int_equal(keymgr_call_crypto_for_leg(call, KEYMGR_SIDE_A, &auth,
						    1, v, sizeof v),
			 KEYMGR_ENOTSECURE);
	assert_int_equal(v[0], '\0');
	assert_int_equal(keymgr_call_crypto_for_leg(call, KEYMGR_SIDE_A,
						    &enc_udp, 1, v, sizeof v),
			 KEYMGR_ENOTSECURE);
	assert_int_equal(keymgr_call_crypto_for_leg(call, KEYMGR_SIDE_A, NULL,
						    1, v, sizeof v),
			 KEYMGR_ENOTSECURE);
	assert_int_equal(
	    keymgr_call_crypto_for_leg(call, KEYMGR_SIDE_A, &enc_tls, 1, v, 20),
	    KEYMGR_ESPACE);
	keymgr_call_free(call);
	keymgr_free(km);
}

static void test_keymgr_imports_a_phones_key_and_checks_lengths(void **state)
{
	struct keymgr *km = keymgr_new(0, NULL, 0);
	struct keymgr_call *call;
	struct sdes_crypto c;

	(void)state;
	assert_int_equal(keymgr_call_new(km, &call), KEYMGR_OK);
	assert_int_equal(sdes_parse("1 AEAD_AES_128_GCM inline:"
				    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==",
				    &c),
			 SDES_OK);
	assert_int_equal(keymgr_call_import(call, KEYMGR_SIDE_B, &c),
			 KEYMGR_OK);
	assert_int_equal(keymgr_call_suite(call, KEYMGR_SIDE_B, 0),
			 SDES_AEAD_AES_128_GCM);
	assert_int_equal(keymgr_call_suite(call, KEYMGR_SIDE_B, 1),
			 SDES_SUITE_NONE);
	assert_memory_equal(keymgr_call_key(call, KEYMGR_SIDE_B, 0)->key, c.key,
			    16);
	c.salt_len = 14;
	assert_int_equal(keymgr_call_import(call, KEYMGR_SIDE_A, &c),
			 KEYMGR_EINVAL);
	assert_int_equal(keymgr_keys_in_use(km), 1);
	keymgr_call_free(call);
	keymgr_free(km);
}

static void test_keymgr_release_wipes_the_key_slot(void **state)
{
	struct keymgr *km = keymgr_new(0, NULL, 0);
	struct keymgr_call *call;
	const uint8_t *slot;
	static const uint8_t zero[sizeof(struct keymgr_key)];

	(void)state;
	assert_int_equal(keymgr_call_new(km, &call), KEYMGR_OK);
	assert_int_equal(
	    keymgr_call_generate(call, KEYMGR_SIDE_A, SDES_AEAD_AES_256_GCM),
	    KEYMGR_OK);
	slot = (const uint8_t *)keymgr_call_key(call, KEYMGR_SIDE_A, 1);
	assert_memory_not_equal(slot, zero, sizeof zero);
	keymgr_call_free(call);
	/* the page stays mapped while KM lives: the bytes must be gone */
	assert_memory_equal(slot, zero, sizeof zero);
	keymgr_free(km);
}

/* The VmFlags line of the /proc/self/smaps mapping holding ADDR. */
static int vmflags_of(const void *addr, char *flags, size_t cap)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int inside = 0;
	unsigned long lo, hi, a = (unsigned long)addr;

	assert_non_null(f);
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			inside = a >= lo && a < hi;
		else if (inside && strncmp(line, "VmFlags:", 8) == 0) {
			size_t k = strlen(line + 8);

			if (k >= cap)
				k = cap - 1;
			memcpy(flags, line + 8, k);
			flags[k] = '\0';
			fclose(f);
			return 0;
		}
	}
	fclose(f);
	return -1;
}

static void test_keymgr_key_pages_stay_out_of_core_dumps(void **state)
{
	struct keymgr *km = keymgr_new(0, NULL, 0);
	struct keymgr_call *call;
	char flags[256];

	(void)state;
	assert_int_equal(keymgr_call_new(km, &call), KEYMGR_OK);
	assert_int_equal(
	    keymgr_call_generate(call, KEYMGR_SIDE_A, SDES_AEAD_AES_128_GCM),
	    KEYMGR_OK);
	assert_int_equal(vmflags_of(keymgr_call_key(call, KEYMGR_SIDE_A, 1),
				    flags, sizeof flags),
			 0);
	assert_non_null(strstr(flags, " dd"));
#ifdef MADV_WIPEONFORK
	assert_non_null(strstr(flags, " wf"));
#endif
	if (keymgr_is_locked(km))
		assert_non_null(strstr(flags, " lo"));
	keymgr_call_free(call);
	keymgr_free(km);
}

static void test_keymgr_holds_at_most_its_bound(void **state)
{
	struct keymgr *km = keymgr_new(3, NULL, 0);
	struct keymgr_call *c1, *c2;

	(void)state;
	assert_int_equal(keymgr_call_new(km, &c1), KEYMGR_OK);
	assert_int_equal(keymgr_call_new(km, &c2), KEYMGR_OK);
	assert_int_equal(
	    keymgr_call_generate(c1, KEYMGR_SIDE_A, SDES_AEAD_AES_128_GCM),
	    KEYMGR_OK);
	assert_int_equal(
	    keymgr_call_generate(c1, KEYMGR_SIDE_B, SDES_AEAD_AES_128_GCM),
	    KEYMGR_OK);
	assert_int_equal(
	    keymgr_call_generate(c2, KEYMGR_SIDE_A, SDES_AEAD_AES_128_GCM),
	    KEYMGR_OK);
	assert_int_equal(
	    keymgr_call_generate(c2, KEYMGR_SIDE_B, SDES_AEAD_AES_128_GCM),
	    KEYMGR_ENOMEM);
	keymgr_call_free(c1);
	assert_int_equal(
	    keymgr_call_generate(c2, KEYMGR_SIDE_B, SDES_AEAD_AES_128_GCM),
	    KEYMGR_OK);
	keymgr_call_free(c2);
	keymgr_free(km);
}

static int contains(const char *hay, size_t n, const void *needle, size_t k)
{
	return k && memmem(hay, n, needle, k) != NULL;
}

/* Runs a call's key life with every log line at debug level into a file,
 * then looks for each key in every spelling a careless line might use. */
static void test_keymgr_log_never_holds_key_bytes(void **state)
{
	char path[] = "/tmp/test_keymgr_log.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	struct keymgr_leg auth = {KEYMGR_MODE_AUTHENTICATED,
				  KEYMGR_TRANSPORT_TLS, 0, 0};
	struct sdes_crypto seen[3];
	char values[3][SDES_VALUE_MAX], logbuf[65536];
	struct keymgr *km;
	struct keymgr_call *call;
	size_t n;
	FILE *f;

	(void)state;
	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	log_set_level(LOG_LVL_DEBUG);
	km = keymgr_new(0, NULL, 0);
	assert_non_null(km);
	assert_int_equal(keymgr_call_new(km, &call), KEYMGR_OK);
	assert_int_equal(
	    keymgr_call_generate(call, KEYMGR_SIDE_A, SDES_AEAD_AES_256_GCM),
	    KEYMGR_OK);
	assert_int_equal(keymgr_call_generate(call, KEYMGR_SIDE_B,
					      SDES_AES_CM_128_HMAC_SHA1_80),
			 KEYMGR_OK);
	crypto_toward(call, KEYMGR_SIDE_A, &seen[0], values[0]);
	crypto_toward(call, KEYMGR_SIDE_B, &seen[1], values[1]);
	assert_int_equal(sdes_parse("5 AEAD_AES_128_GCM inline:"
				    "q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vAQ==",
				    &seen[2]),
			 SDES_OK);
	snprintf(values[2], sizeof values[2], "%s",
		 "q83vASNFZ4mrze8BI0VniavN7wEjRWeJq83vAQ==");
	assert_int_equal(keymgr_call_import(call, KEYMGR_SIDE_A, &seen[2]),
			 KEYMGR_OK);
	assert_int_equal(keymgr_call_crypto_for_leg(call, KEYMGR_SIDE_B, &auth,
						    1, values[1] + 0, 0),
			 KEYMGR_ENOTSECURE);
	assert_int_equal(keymgr_call_crypto_for_leg(call, KEYMGR_SIDE_B, &auth,
						    1, logbuf, sizeof logbuf),
			 KEYMGR_ENOTSECURE);
	keymgr_call_free(call);
	keymgr_free(km);
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
	/* the lines the test relies on were written */
	assert_non_null(strstr(logbuf, "generated a AEAD_AES_256_GCM"));
	assert_non_null(strstr(logbuf, "took side A's AEAD_AES_128_GCM"));
	assert_non_null(strstr(logbuf, "no keys for side B"));
	for (int i = 0; i < 3; i++) {
		const struct sdes_crypto *c = &seen[i];
		char hex[2 * SDES_KEY_MAX + 1], b64[128];
		const char *inl = strstr(values[i], "inline:");

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
		EVP_EncodeBlock((unsigned char *)b64, c->key, (int)c->key_len);
		assert_false(contains(logbuf, n, b64, 16));
		inl = inl ? inl + 7 : values[i];
		assert_false(contains(logbuf, n, inl, 16));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keymgr_keys_reach_only_encrypted_tls_legs),
	    cmocka_unit_test(test_keymgr_call_level_is_the_weakest_leg),
	    cmocka_unit_test(
		test_keymgr_encrypted_or_reject_refuses_weaker_calls),
	    cmocka_unit_test(test_keymgr_makes_two_random_sets_per_call),
	    cmocka_unit_test(
		test_keymgr_refuses_keys_to_a_leg_that_may_not_see_them),
	    cmocka_unit_test(
		test_keymgr_imports_a_phones_key_and_checks_lengths),
	    cmocka_unit_test(test_keymgr_release_wipes_the_key_slot),
	    cmocka_unit_test(test_keymgr_key_pages_stay_out_of_core_dumps),
	    cmocka_unit_test(test_keymgr_holds_at_most_its_bound),
	    cmocka_unit_test(test_keymgr_log_never_holds_key_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
