/* test_store_capf: the CAPF operation records — checks, the codec (round
 * trip, strict decoding), expiry as read, the authentication-string hash,
 * and the table written by commands through store_apply with the guard
 * that keeps the CAPF role's progress from overwriting a re-schedule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/capf.h"
#include "tests/unit/test_store_fixture.h"

static void op_init(struct store_capf_op *r, const char *dev)
{
	memset(r, 0, sizeof *r);
	snprintf(r->device, sizeof r->device, "%s", dev);
	r->op = STORE_CAPF_OP_INSTALL;
	r->auth = STORE_CAPF_AUTH_NULL;
	r->key_type = STORE_CAPF_KEY_EC;
	r->key_bits = 256;
	r->max_tries = 3;
	r->deadline_ms = 5000;
	snprintf(r->by, sizeof r->by, "admin");
}

static void test_op_round_trips_through_codec(void **state)
{
	struct store_capf_op a, b;
	uint8_t buf[STORE_RECORD_MAX];
	size_t n;

	(void)state;
	op_init(&a, "SEP001122334455");
	a.state = STORE_CAPF_DONE;
	snprintf(a.serial, sizeof a.serial, "0A1B");
	a.not_after_s = 1900000000;
	snprintf(a.batch, sizeof a.batch, "b1");
	assert_int_equal(store_capf_op_encode(&a, buf, sizeof buf, &n), 0);
	assert_int_equal(store_capf_op_decode(buf, n, &b), 0);
	memset(a.device, 0, sizeof a.device); /* the key, not encoded */
	assert_memory_equal(&a, &b, sizeof a);
	/* trailing byte, short buffer */
	buf[n] = 0;
	assert_int_equal(store_capf_op_decode(buf, n + 1, &b), STORE_ECORRUPT);
	assert_int_equal(store_capf_op_decode(buf, n - 1, &b), STORE_ECORRUPT);
}

static void test_check_refuses_bad_keys_tries_and_hash_mismatch(void **state)
{
	struct store_capf_op r;
	char why[128];

	(void)state;
	op_init(&r, "SEP001122334455");
	assert_int_equal(store_capf_op_check(&r, why, sizeof why), 0);
	r.key_bits = 521;
	assert_int_equal(store_capf_op_check(&r, why, sizeof why),
			 STORE_EINVAL);
	r.key_type = STORE_CAPF_KEY_RSA;
	r.key_bits = 4096;
	r.max_tries = 0;
	assert_int_equal(store_capf_op_check(&r, why, sizeof why),
			 STORE_EINVAL);
	assert_string_equal(why, "tries must be 1..100");
	r.max_tries = 3;
	r.auth = STORE_CAPF_AUTH_STRING; /* no hash */
	assert_int_equal(store_capf_op_check(&r, why, sizeof why),
			 STORE_EINVAL);
	r.auth = STORE_CAPF_AUTH_EXISTING_LSC;
	r.hash[0] = 1; /* a hash without the string mode */
	assert_int_equal(store_capf_op_check(&r, why, sizeof why),
			 STORE_EINVAL);
	r.hash[0] = 0;
	snprintf(r.serial, sizeof r.serial, "01"); /* pending with a serial */
	assert_int_equal(store_capf_op_check(&r, why, sizeof why),
			 STORE_EINVAL);
}

static void test_key_names_round_trip(void **state)
{
	uint32_t t, b;

	(void)state;
	assert_int_equal(store_capf_key_parse("EC-P384", &t, &b), 0);
	assert_int_equal(t, STORE_CAPF_KEY_EC);
	assert_int_equal(b, 384);
	assert_string_equal(store_capf_key_name(t, b), "ec-p384");
	assert_int_equal(store_capf_key_parse("rsa-512", &t, &b), STORE_EINVAL);
	assert_null(store_capf_key_name(STORE_CAPF_KEY_RSA, 3072));
}

static void test_pending_op_reads_expired_after_deadline(void **state)
{
	struct store_capf_op r;

	(void)state;
	op_init(&r, "SEP001122334455");
	assert_int_equal(store_capf_op_state_at(&r, 5000), STORE_CAPF_PENDING);
	assert_true(store_capf_op_open(&r, 5000));
	assert_int_equal(store_capf_op_state_at(&r, 5001), STORE_CAPF_EXPIRED);
	assert_false(store_capf_op_open(&r, 5001));
	r.state = STORE_CAPF_DONE; /* a finished one never expires */
	assert_int_equal(store_capf_op_state_at(&r, 9999), STORE_CAPF_DONE);
	r.state = STORE_CAPF_PENDING;
	r.failed_tries = 3; /* locked */
	assert_false(store_capf_op_open(&r, 10));
	r.op = STORE_CAPF_OP_NONE;
	r.failed_tries = 0;
	assert_false(store_capf_op_open(&r, 10));
}

static void test_auth_string_hash_checks_only_the_string(void **state)
{
	struct store_capf_op r;
	char gen[17];

	(void)state;
	op_init(&r, "SEP001122334455");
	r.auth = STORE_CAPF_AUTH_STRING;
	assert_int_equal(store_capf_auth_hash(&r, "123"), STORE_EINVAL);
	assert_int_equal(store_capf_auth_hash(&r, "12a45"), STORE_EINVAL);
	assert_int_equal(store_capf_auth_hash(&r, "12345678901234567"),
			 STORE_EINVAL);
	assert_int_equal(store_capf_auth_hash(&r, "2468"), 0);
	assert_int_equal(store_capf_op_check(&r, NULL, 0), 0);
	assert_true(store_capf_auth_check(&r, "2468"));
	assert_false(store_capf_auth_check(&r, "2469"));
	assert_false(store_capf_auth_check(&r, "24680"));
	assert_false(store_capf_auth_check(&r, ""));

	assert_int_equal(store_capf_string_generate(3, gen), STORE_EINVAL);
	assert_int_equal(store_capf_string_generate(16, gen), 0);
	assert_int_equal(strlen(gen), 16);
	assert_true(store_capf_string_valid(gen));
	assert_int_equal(store_capf_auth_hash(&r, gen), 0);
	assert_true(store_capf_auth_check(&r, gen));
}

static void test_guarded_put_loses_to_a_reschedule(void **state)
{
	struct fx *f = *state;
	struct store_capf_op first, resched, progress, got;
	struct store_read *r;
	struct store_cmd *c;

	op_init(&first, "SEP001122334455");
	c = fx_cmd();
	assert_int_equal(store_cmd_put_capf_op(c, NULL, &first), 0);
	assert_int_equal(fx_apply(f, c), 0);

	/* the admin schedules again (new key) ... */
	resched = first;
	resched.key_type = STORE_CAPF_KEY_RSA;
	resched.key_bits = 2048;
	c = fx_cmd();
	assert_int_equal(store_cmd_put_capf_op(c, NULL, &resched), 0);
	assert_int_equal(fx_apply(f, c), 0);
	/* ... so the CAPF role's step, guarded on what it read, fails */
	progress = first;
	progress.state = STORE_CAPF_IN_PROGRESS;
	c = fx_cmd();
	assert_int_equal(store_cmd_put_capf_op(c, &first, &progress), 0);
	assert_int_equal(fx_apply(f, c), STORE_ENOTFOUND);

	assert_int_equal(store_read_begin(f->s, &r), 0);
	assert_int_equal(store_capf_op_get(r, "SEP001122334455", &got), 0);
	store_read_end(r);
	assert_string_equal(got.device, "SEP001122334455");
	assert_int_equal(got.key_bits, 2048);
	assert_int_equal(got.state, STORE_CAPF_PENDING);

	/* guarded on the current record it goes through */
	progress = resched;
	progress.state = STORE_CAPF_IN_PROGRESS;
	c = fx_cmd();
	assert_int_equal(store_cmd_put_capf_op(c, &resched, &progress), 0);
	assert_int_equal(fx_apply(f, c), 0);
	c = fx_cmd();
	assert_int_equal(store_cmd_del_capf_op(c, "SEP001122334455"), 0);
	assert_int_equal(store_cmd_del_capf_op(c, "SEPFFFFFFFFFFFF"), 0);
	assert_int_equal(fx_apply(f, c), 0);
	assert_int_equal(store_read_begin(f->s, &r), 0);
	assert_int_equal(store_capf_op_get(r, "SEP001122334455", &got),
			 STORE_ENOTFOUND);
	store_read_end(r);
}

static int count_cb(void *arg, const struct store_capf_op *rec)
{
	(*(int *)arg)++;
	assert_true(rec->device[0] != '\0');
	return 0;
}

static void test_each_lists_every_op(void **state)
{
	struct fx *f = *state;
	struct store_capf_op op;
	struct store_read *r;
	struct store_cmd *c = fx_cmd();
	char name[32];
	int n = 0;

	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof name, "SEP00000000000%d", i);
		op_init(&op, name);
		assert_int_equal(store_cmd_put_capf_op(c, NULL, &op), 0);
	}
	assert_int_equal(fx_apply(f, c), 0);
	assert_int_equal(store_read_begin(f->s, &r), 0);
	assert_int_equal(store_capf_op_each(r, count_cb, &n), 0);
	store_read_end(r);
	assert_int_equal(n, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_op_round_trips_through_codec),
	    cmocka_unit_test(
		test_check_refuses_bad_keys_tries_and_hash_mismatch),
	    cmocka_unit_test(test_key_names_round_trip),
	    cmocka_unit_test(test_pending_op_reads_expired_after_deadline),
	    cmocka_unit_test(test_auth_string_hash_checks_only_the_string),
	    cmocka_unit_test_setup_teardown(
		test_guarded_put_loses_to_a_reschedule, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_each_lists_every_op, fx_setup,
					    fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
