/* test_store_capf_write: the enrolment write a follower hands to the
 * leader — round trip, strict decoding of every truncation, the checks
 * that refuse a write of mixed devices or a foreign action, and the guard
 * that lets one operation record one certificate even if the same write
 * arrives twice. */
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

#define DEV "SEP001122334455"

static const uint8_t der[] = {0x30, 0x03, 0x02, 0x01, 0x01};

static void op_init(struct store_capf_op *r)
{
	memset(r, 0, sizeof *r);
	snprintf(r->device, sizeof r->device, "%s", DEV);
	r->op = STORE_CAPF_OP_INSTALL;
	r->auth = STORE_CAPF_AUTH_NULL;
	r->key_type = STORE_CAPF_KEY_EC;
	r->key_bits = 256;
	r->max_tries = 3;
	snprintf(r->by, sizeof r->by, "admin");
}

/* An install's outcome: OLD in progress -> done with an LSC. */
static void write_init(struct store_capf_write *w)
{
	memset(w, 0, sizeof *w);
	op_init(&w->old);
	w->old.state = STORE_CAPF_IN_PROGRESS;
	w->next = w->old;
	w->next.state = STORE_CAPF_DONE;
	snprintf(w->next.serial, sizeof w->next.serial, "0A1B");
	w->next.not_after_s = 1900000000;
	w->put_lsc = 1;
	snprintf(w->lsc.device, sizeof w->lsc.device, "%s", DEV);
	w->lsc.der = der;
	w->lsc.der_len = sizeof der;
	snprintf(w->lsc.serial, sizeof w->lsc.serial, "0A1B");
	w->lsc.not_after_s = 1900000000;
	snprintf(w->action, sizeof w->action, "capf.install");
	snprintf(w->detail, sizeof w->detail, "%s LSC serial 0A1B issued", DEV);
}

static void test_write_round_trips_and_refuses_every_truncation(void **state)
{
	struct store_capf_write a, b;
	static uint8_t buf[STORE_CAPF_WRITE_MAX];
	size_t n;

	(void)state;
	write_init(&a);
	assert_int_equal(store_capf_write_encode(&a, buf, sizeof buf, &n), 0);
	assert_int_equal(store_capf_write_decode(buf, n, &b), 0);
	assert_string_equal(b.next.device, DEV);
	assert_string_equal(b.old.device, DEV);
	assert_int_equal(b.next.state, STORE_CAPF_DONE);
	assert_int_equal(b.old.state, STORE_CAPF_IN_PROGRESS);
	assert_true(b.put_lsc);
	assert_false(b.del_lsc);
	assert_string_equal(b.lsc.device, DEV);
	assert_int_equal(b.lsc.der_len, sizeof der);
	assert_memory_equal(b.lsc.der, der, sizeof der);
	assert_string_equal(b.action, "capf.install");
	assert_string_equal(b.detail, a.detail);
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(store_capf_write_decode(buf, i, &b), 0);
	buf[n] = 0;
	assert_int_not_equal(store_capf_write_decode(buf, n + 1, &b), 0);

	/* with the MIC the device showed */
	a.put_mic = 1;
	a.mic = a.lsc;
	snprintf(a.mic.serial, sizeof a.mic.serial, "0C0D");
	assert_int_equal(store_capf_write_encode(&a, buf, sizeof buf, &n), 0);
	assert_int_equal(store_capf_write_decode(buf, n, &b), 0);
	assert_true(b.put_mic);
	assert_string_equal(b.mic.device, DEV);
	assert_string_equal(b.mic.serial, "0C0D");
	a.put_mic = 0;

	/* a delete, without an LSC */
	a.put_lsc = 0;
	a.del_lsc = 1;
	snprintf(a.action, sizeof a.action, "capf.delete");
	assert_int_equal(store_capf_write_encode(&a, buf, sizeof buf, &n), 0);
	assert_int_equal(store_capf_write_decode(buf, n, &b), 0);
	assert_true(b.del_lsc);
	assert_false(b.put_lsc);
}

static void test_check_refuses_mixed_devices_and_foreign_actions(void **state)
{
	struct store_capf_write w;
	uint8_t buf[64];
	size_t n;
	char why[128];

	(void)state;
	write_init(&w);
	assert_int_equal(store_capf_write_check(&w, why, sizeof why), 0);
	snprintf(w.lsc.device, sizeof w.lsc.device, "SEP00112233FFFF");
	assert_int_equal(store_capf_write_check(&w, why, sizeof why),
			 STORE_EINVAL);
	write_init(&w);
	snprintf(w.old.device, sizeof w.old.device, "SEP00112233FFFF");
	assert_int_equal(store_capf_write_check(&w, NULL, 0), STORE_EINVAL);
	write_init(&w);
	snprintf(w.action, sizeof w.action, "admin.add");
	assert_int_equal(store_capf_write_check(&w, NULL, 0), STORE_EINVAL);
	write_init(&w);
	w.del_lsc = 1;
	assert_int_equal(store_capf_write_check(&w, NULL, 0), STORE_EINVAL);
	write_init(&w);
	assert_int_equal(store_capf_write_encode(&w, buf, sizeof buf, &n),
			 STORE_ETOOBIG);
}

static void test_same_write_twice_records_one_certificate(void **state)
{
	struct fx *f = *state;
	struct store_capf_write w, again;
	struct store_capf_op got;
	struct store_device_lsc lsc;
	struct store_read *r;
	struct store_cmd *c;

	write_init(&w);
	c = fx_cmd();
	assert_int_equal(store_cmd_put_capf_op(c, NULL, &w.old), 0);
	assert_int_equal(fx_apply(f, c), 0);
	c = fx_cmd();
	assert_int_equal(store_cmd_capf_write(c, &w), 0);
	assert_int_equal(fx_apply(f, c), 0);
	/* the same operation's write again (another LSC): the guard holds */
	again = w;
	snprintf(again.next.serial, sizeof again.next.serial, "0C0D");
	snprintf(again.lsc.serial, sizeof again.lsc.serial, "0C0D");
	c = fx_cmd();
	assert_int_equal(store_cmd_capf_write(c, &again), 0);
	assert_int_equal(fx_apply(f, c), STORE_ENOTFOUND);

	assert_int_equal(store_read_begin(f->s, &r), 0);
	assert_int_equal(store_capf_op_get(r, DEV, &got), 0);
	assert_int_equal(store_device_lsc_get(r, DEV, &lsc), 0);
	assert_string_equal(got.serial, "0A1B");
	assert_string_equal(lsc.serial, "0A1B");
	store_read_end(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		test_write_round_trips_and_refuses_every_truncation),
	    cmocka_unit_test(
		test_check_refuses_mixed_devices_and_foreign_actions),
	    cmocka_unit_test_setup_teardown(
		test_same_write_twice_records_one_certificate, fx_setup,
		fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
