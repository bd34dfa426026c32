/* The binding table: contacts per device, Outbound flows, expiry, a bounded
 * size, and owner changes only when a device gains or loses its bindings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "node/sip/registrar.h"

struct owner_log {
	int events, last;
};

static void on_owner(void *arg, const char *device,
		     const struct sip_reg_contact *c)
{
	struct owner_log *l = arg;
	(void)device;
	l->events++;
	l->last = c != NULL;
}

static struct sip_reg_contact contact(const char *uri, const char *inst,
				      unsigned reg_id)
{
	struct sip_reg_contact c;
	memset(&c, 0, sizeof c);
	snprintf(c.uri, sizeof c.uri, "%s", uri);
	snprintf(c.instance, sizeof c.instance, "%s", inst);
	c.reg_id = reg_id;
	return c;
}

static void
test_registrar_keeps_two_contacts_and_replaces_the_oldest(void **state)
{
	struct sip_registrar *r;
	struct owner_log log = {0};
	struct sip_reg_contact a = contact("sip:a@1.1.1.1", "", 0);
	struct sip_reg_contact b = contact("sip:b@1.1.1.1", "", 0);
	struct sip_reg_contact c = contact("sip:c@1.1.1.1", "", 0);
	struct sip_reg_contact out[SIP_REG_CONTACTS];

	(void)state;
	assert_int_equal(sip_registrar_new(10, on_owner, &log, &r), 0);
	assert_int_equal(sip_registrar_update(r, "SEP1", &a, 100, 0), 0);
	assert_int_equal(sip_registrar_update(r, "SEP1", &b, 300, 0), 0);
	assert_int_equal(sip_registrar_update(r, "SEP1", &c, 200, 0), 0);
	assert_int_equal(sip_registrar_get(r, "SEP1", 0, out), 2);
	assert_true(strcmp(out[0].uri, "sip:a@1.1.1.1") != 0 &&
		    strcmp(out[1].uri, "sip:a@1.1.1.1") != 0);
	assert_int_equal(log.events, 1);
	assert_int_equal(sip_registrar_count(r), 1);
	sip_registrar_free(r);
}

static void
test_registrar_matches_outbound_flows_by_instance_and_reg_id(void **state)
{
	struct sip_registrar *r;
	struct sip_reg_contact f1 = contact("sip:x@1.1.1.1:1", "urn:uuid:1", 1);
	struct sip_reg_contact f1_moved =
	    contact("sip:x@1.1.1.1:2", "urn:uuid:1", 1);
	struct sip_reg_contact out[SIP_REG_CONTACTS];

	(void)state;
	assert_int_equal(sip_registrar_new(10, NULL, NULL, &r), 0);
	sip_registrar_update(r, "SEP1", &f1, 100, 0);
	sip_registrar_update(r, "SEP1", &f1_moved, 100, 0);
	assert_int_equal(sip_registrar_get(r, "SEP1", 0, out), 1);
	assert_string_equal(out[0].uri, "sip:x@1.1.1.1:2");
	sip_registrar_free(r);
}

static void test_registrar_expiry_and_removal_fire_the_owner_hook(void **state)
{
	struct sip_registrar *r;
	struct owner_log log = {0};
	struct sip_reg_contact a = contact("sip:a@1.1.1.1", "", 0);

	(void)state;
	assert_int_equal(sip_registrar_new(10, on_owner, &log, &r), 0);
	sip_registrar_update(r, "SEP1", &a, 100, 0);
	sip_registrar_update(r, "SEP2", &a, 50, 0);
	assert_int_equal(sip_registrar_expire(r, 60), 1);
	assert_int_equal(log.events, 3);
	assert_int_equal(log.last, 0);
	sip_registrar_remove_all(r, "SEP1");
	assert_int_equal(log.events, 4);
	assert_int_equal(sip_registrar_count(r), 0);
	sip_registrar_free(r);
}

static void test_registrar_is_bounded(void **state)
{
	struct sip_registrar *r;
	struct sip_reg_contact a = contact("sip:a@1.1.1.1", "", 0);
	char name[16];

	(void)state;
	assert_int_equal(sip_registrar_new(3, NULL, NULL, &r), 0);
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof name, "SEP%d", i);
		assert_int_equal(sip_registrar_update(r, name, &a, 10, 0), 0);
	}
	assert_int_equal(sip_registrar_update(r, "SEP9", &a, 10, 0), -1);
	/* A refresh of a known device still fits. */
	assert_int_equal(sip_registrar_update(r, "SEP0", &a, 10, 0), 0);
	sip_registrar_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		test_registrar_keeps_two_contacts_and_replaces_the_oldest),
	    cmocka_unit_test(
		test_registrar_matches_outbound_flows_by_instance_and_reg_id),
	    cmocka_unit_test(
		test_registrar_expiry_and_removal_fire_the_owner_hook),
	    cmocka_unit_test(test_registrar_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
