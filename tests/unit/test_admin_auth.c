/* Unit tests of the admin API's secrets: password hashes, one-time tokens,
 * Basic credentials and their codecs (node/admin/auth.c, codec.c).
 *
 * Linked with --wrap=CRYPTO_memcmp so that a test can see that secret
 * comparisons go through the constant-time compare. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "node/admin/admin_auth.h"
#include "store/store.h"

static int memcmp_calls;

int __real_CRYPTO_memcmp(const void *a, const void *b, size_t n);
int __wrap_CRYPTO_memcmp(const void *a, const void *b, size_t n);
int __wrap_CRYPTO_memcmp(const void *a, const void *b, size_t n)
{
	memcmp_calls++;
	return __real_CRYPTO_memcmp(a, b, n);
}

static void test_password_verifies_the_right_one_only(void **state)
{
	struct store_admin rec;

	(void)state;
	memset(&rec, 0, sizeof rec);
	assert_int_equal(admin_password_hash("correct horse", 13, &rec), 0);
	assert_int_equal(rec.kdf, ADMIN_KDF_SCRYPT);
	assert_int_equal(rec.kdf_n, 1u << 15);
	assert_int_equal(rec.kdf_r, 8);
	assert_int_equal(rec.kdf_p, 1);
	assert_int_equal(admin_password_verify(&rec, "correct horse", 13), 0);
	assert_int_equal(admin_password_verify(&rec, "correct horsf", 13), 1);
	assert_int_equal(admin_password_verify(&rec, "correct hors", 12), 1);
	assert_int_equal(admin_password_verify(&rec, "", 0), 1);
}

static void test_password_compare_is_constant_time(void **state)
{
	struct store_admin rec;

	(void)state;
	memset(&rec, 0, sizeof rec);
	assert_int_equal(admin_password_hash("s3cret-pass", 11, &rec), 0);
	memcmp_calls = 0;
	assert_int_equal(admin_password_verify(&rec, "wrong-pass!", 11), 1);
	assert_true(memcmp_calls >= 1);
	memcmp_calls = 0;
	assert_int_equal(admin_password_verify(&rec, "s3cret-pass", 11), 0);
	assert_true(memcmp_calls >= 1);
}

static void test_password_hashes_are_salted(void **state)
{
	struct store_admin a, b;

	(void)state;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	assert_int_equal(admin_password_hash("same password", 13, &a), 0);
	assert_int_equal(admin_password_hash("same password", 13, &b), 0);
	assert_memory_not_equal(a.salt, b.salt, sizeof a.salt);
	assert_memory_not_equal(a.hash, b.hash, sizeof a.hash);
}

static void test_password_refuses_absurd_kdf_parameters(void **state)
{
	struct store_admin rec;

	(void)state;
	memset(&rec, 0, sizeof rec);
	assert_int_equal(admin_password_hash("password1", 9, &rec), 0);
	rec.kdf_n = 1ull << 40; /* would allocate terabytes */
	assert_int_equal(admin_password_verify(&rec, "password1", 9), -1);
	rec.kdf_n = 3000; /* not a power of two */
	assert_int_equal(admin_password_verify(&rec, "password1", 9), -1);
	rec.kdf_n = 1u << 15;
	rec.kdf = 7; /* unknown KDF */
	assert_int_equal(admin_password_verify(&rec, "password1", 9), -1);
}

static void test_secret_hash_matches_only_its_own_text(void **state)
{
	char text[ADMIN_SECRET_TEXT_LEN + 1], other[ADMIN_SECRET_TEXT_LEN + 1];
	uint8_t sha[32], again[32], sha2[32];

	(void)state;
	assert_int_equal(admin_secret_new(text, sizeof text, sha), 0);
	assert_int_equal(strlen(text), ADMIN_SECRET_TEXT_LEN);
	assert_int_equal(admin_secret_hash(text, strlen(text), again), 0);
	assert_memory_equal(sha, again, 32);
	assert_int_equal(admin_secret_new(other, sizeof other, sha2), 0);
	assert_string_not_equal(text, other);
	assert_memory_not_equal(sha, sha2, 32);
	/* Truncated, padded or foreign alphabets are not secrets. */
	assert_int_equal(admin_secret_hash(text, strlen(text) - 1, again), -1);
	text[5] = '+';
	assert_int_equal(admin_secret_hash(text, strlen(text), again), -1);
}

static struct store_join_token token_record(uint64_t id, const uint8_t *sha,
					    uint64_t expires, const char *host)
{
	struct store_join_token t;

	memset(&t, 0, sizeof t);
	snprintf(t.node_name, sizeof t.node_name, "n%llu",
		 (unsigned long long)id);
	t.node_id = id;
	memcpy(t.secret_sha256, sha, 32);
	t.expires_ms = expires;
	snprintf(t.host, sizeof t.host, "%s", host);
	return t;
}

static void test_join_token_round_trips_with_its_node_id(void **state)
{
	char tok[ADMIN_JOIN_TOKEN_MAX];
	uint8_t sha[32], parsed[32];
	uint64_t id = 0;

	(void)state;
	assert_int_equal(admin_join_token_make(42, tok, sizeof tok, sha), 0);
	assert_true(strncmp(tok, "42.", 3) == 0);
	assert_int_equal(admin_join_token_parse(tok, strlen(tok), &id, parsed),
			 0);
	assert_int_equal(id, 42);
	assert_memory_equal(sha, parsed, 32);
}

static void test_join_token_parse_rejects_malformed(void **state)
{
	static const char *bad[] = {
	    "",
	    ".",
	    "42",
	    "42.",
	    "0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "x2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "99999999999999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "4.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "4.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "4.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	};
	uint8_t sha[32];
	uint64_t id;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(
		    admin_join_token_parse(bad[i], strlen(bad[i]), &id, sha),
		    -1);
}

static void test_join_token_check_verdicts(void **state)
{
	char tok[ADMIN_JOIN_TOKEN_MAX], tok2[ADMIN_JOIN_TOKEN_MAX];
	uint8_t sha[32], sha2[32], got[32];
	struct store_join_token rec;
	uint64_t id;

	(void)state;
	assert_int_equal(admin_join_token_make(3, tok, sizeof tok, sha), 0);
	assert_int_equal(admin_join_token_make(3, tok2, sizeof tok2, sha2), 0);
	rec = token_record(3, sha, 10000, "127.0.0.3");
	assert_int_equal(admin_join_token_parse(tok, strlen(tok), &id, got), 0);

	memcmp_calls = 0;
	assert_int_equal(
	    admin_join_token_check(&rec, id, got, 9999, "127.0.0.3"),
	    ADMIN_TOKEN_OK);
	assert_true(memcmp_calls >= 1);
	assert_int_equal(
	    admin_join_token_check(&rec, id, got, 10000, "127.0.0.3"),
	    ADMIN_TOKEN_EXPIRED);
	assert_int_equal(admin_join_token_check(&rec, id, got, 1, "127.0.0.4"),
			 ADMIN_TOKEN_HOST);
	assert_int_equal(admin_join_token_check(&rec, id, sha2, 1, "127.0.0.3"),
			 ADMIN_TOKEN_WRONG);
	assert_int_equal(admin_join_token_check(&rec, 4, got, 1, "127.0.0.3"),
			 ADMIN_TOKEN_WRONG);
	/* A host stored with a port still names the host. */
	rec = token_record(3, sha, 10000, "node3.example:9443");
	assert_int_equal(
	    admin_join_token_check(&rec, 3, got, 1, "NODE3.example"),
	    ADMIN_TOKEN_OK);
}

static void test_basic_credentials_parse(void **state)
{
	char user[ADMIN_NAME_MAX + 1], pw[ADMIN_PASSWORD_MAX + 1];
	size_t len;

	(void)state;
	/* admin:pa:ss word */
	assert_int_equal(
	    admin_basic_parse("Basic YWRtaW46cGE6c3Mgd29yZA==", user, pw, &len),
	    0);
	assert_string_equal(user, "admin");
	assert_int_equal(len, 10);
	assert_string_equal(pw, "pa:ss word");
	assert_int_equal(admin_basic_parse("basic  YWRtaW46cGE6c3Mgd29yZA==  ",
					   user, pw, &len),
			 0);
}

static void test_basic_credentials_refuse_malformed(void **state)
{
	static const char *bad[] = {
	    "",
	    "Bearer abc",
	    "Basic ",
	    "Basic !!!!",
	    "Basic YWRtaW4=",		    /* no colon */
	    "Basic OnB3",		    /* empty user ":pw" */
	    "Basic YSBiOnB3",		    /* "a b:pw": bad name */
	    "Basic YWRtaW46cGE6c3Mgd29yZA", /* unpadded */
	};
	char user[ADMIN_NAME_MAX + 1], pw[ADMIN_PASSWORD_MAX + 1];
	char big[2048] = "Basic ";
	size_t len;

	(void)state;
	assert_int_equal(admin_basic_parse(NULL, user, pw, &len), -1);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(admin_basic_parse(bad[i], user, pw, &len), -1);
	/* Far more than a name and a 256-byte password. */
	memset(big + 6, 'Q', 1200);
	assert_int_equal(admin_basic_parse(big, user, pw, &len), -1);
}

static void test_base64_round_trips_every_length(void **state)
{
	uint8_t in[40], out[40];
	char text[64];

	(void)state;
	for (size_t i = 0; i < sizeof in; i++)
		in[i] = (uint8_t)(i * 37 + 11);
	for (int url = 0; url <= 1; url++)
		for (size_t n = 0; n <= sizeof in; n++) {
			size_t tl = admin_b64_encode(in, n, text, url);

			assert_int_equal(strlen(text), tl);
			assert_int_equal(
			    admin_b64_decode(text, tl, out, sizeof out, url),
			    (long)n);
			assert_memory_equal(in, out, n);
		}
	/* Bits left over after the last byte must be zero. */
	assert_int_equal(admin_b64_decode("AB==", 4, out, sizeof out, 0), -1);
	assert_int_equal(admin_b64_decode("AA==", 4, out, sizeof out, 0), 1);
	/* No room: refused, not overflowed. */
	assert_int_equal(admin_b64_decode("AAAA", 4, out, 2, 0), -1);
}

static void test_node_names_are_checked(void **state)
{
	char longname[80];

	(void)state;
	assert_true(admin_name_valid("node-1.a_b"));
	assert_false(admin_name_valid(""));
	assert_false(admin_name_valid("a b"));
	assert_false(admin_name_valid("a/b"));
	assert_false(admin_name_valid("é"));
	memset(longname, 'a', 63);
	longname[63] = '\0';
	assert_true(admin_name_valid(longname));
	longname[63] = 'a';
	longname[64] = '\0';
	assert_false(admin_name_valid(longname));
}

static void test_sha256_fingerprint_forms(void **state)
{
	uint8_t fp[32];
	char hex[65], text[100];

	(void)state;
	for (int i = 0; i < 32; i++)
		fp[i] = (uint8_t)(0xa0 + i);
	admin_hex(fp, 32, hex);
	snprintf(text, sizeof text, "sha256:%s", hex);
	memset(fp, 0, sizeof fp);
	assert_int_equal(admin_sha256_parse(text, fp), 0);
	assert_int_equal(fp[31], 0xa0 + 31);
	assert_int_equal(admin_sha256_parse(hex, fp), 0);
	assert_int_equal(admin_sha256_parse("sha256:abcd", fp), -1);
	text[10] = 'x';
	assert_int_equal(admin_sha256_parse(text, fp), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_password_verifies_the_right_one_only),
	    cmocka_unit_test(test_password_compare_is_constant_time),
	    cmocka_unit_test(test_password_hashes_are_salted),
	    cmocka_unit_test(test_password_refuses_absurd_kdf_parameters),
	    cmocka_unit_test(test_secret_hash_matches_only_its_own_text),
	    cmocka_unit_test(test_join_token_round_trips_with_its_node_id),
	    cmocka_unit_test(test_join_token_parse_rejects_malformed),
	    cmocka_unit_test(test_join_token_check_verdicts),
	    cmocka_unit_test(test_basic_credentials_parse),
	    cmocka_unit_test(test_basic_credentials_refuse_malformed),
	    cmocka_unit_test(test_base64_round_trips_every_length),
	    cmocka_unit_test(test_node_names_are_checked),
	    cmocka_unit_test(test_sha256_fingerprint_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
