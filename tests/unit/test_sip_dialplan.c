/* test_sip_dialplan: the directory's `route` op — the same dial plan
 * provisioned in the replicated store (directory_store) and written in the
 * text of the in-memory directory (directory_mem) gives the same answer
 * for every caller and number: lines by partition and CSS order, the
 * none-partition, route and blocking patterns, shared lines, numbers out
 * of reach answered exactly like unknown ones, unknown callers refused.
 * And a profile's security mode is in force only in a secure cluster; a
 * device's lines (`device_lines`, barge) by its name only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keystore/keystore.h"
#include "node/sip/directory_mem.h"
#include "node/sip/directory_store.h"
#include "store/prov.h"
#include "tests/unit/test_store_fixture.h"

static const char dirtext[] =
    "css staff internal,pstn\n"
    "css boss exec,internal,pstn\n"
    "css lobby block,internal\n"
    "device SEP000000000001 line=1000@internal css=staff\n"
    "device SEP000000000002 line=2000@exec css=boss\n"
    "device SEP000000000003 line=3000 css=lobby\n"
    "device SEP000000000004 line=1000@internal\n"
    "trunk gw1 addr=127.0.0.1 css=staff\n"
    "pattern 9! route=gw1 partition=pstn\n"
    "pattern 900! block partition=pstn\n"
    "pattern 9! block partition=block\n"
    "pattern 5XXX route=gw1\n";

struct dp {
	struct fx fx;
	struct keystore *ks;
	char kek[512];
	struct sip_dirstore *ds;
	struct sip_dirmem *mem;
	struct sip_directory store_dir, mem_dir;
};

static void put_device(struct fx *f, const char *name, const char *line,
		       const char *part, const char *css, int trunk)
{
	struct store_device d = {0};
	struct store_cmd *c = fx_cmd();

	snprintf(d.name, sizeof d.name, "%s", name);
	d.kind = trunk ? STORE_DEVICE_TRUNK : STORE_DEVICE_PHONE;
	snprintf(d.profile, sizeof d.profile,
		 trunk ? "trunk-non-secure" : "standard-non-secure");
	if (line) {
		d.n_lines = 1;
		snprintf(d.lines[0], sizeof d.lines[0], "%s", line);
		snprintf(d.line_partitions[0], sizeof d.line_partitions[0],
			 "%s", part);
	}
	snprintf(d.css, sizeof d.css, "%s", css);
	if (trunk) {
		snprintf(d.peer_host, sizeof d.peer_host, "127.0.0.1");
		d.peer_port = 5060;
	}
	assert_int_equal(store_cmd_put_device(c, NULL, &d), 0);
	assert_int_equal(fx_apply(f, c), 0);
}

static void put_css(struct fx *f, const char *name, const char *const *parts,
		    unsigned n)
{
	struct store_css css = {0};
	struct store_cmd *c = fx_cmd();

	snprintf(css.name, sizeof css.name, "%s", name);
	for (unsigned i = 0; i < n; i++)
		snprintf(css.partitions[i], sizeof css.partitions[i], "%s",
			 parts[i]);
	css.n_partitions = n;
	assert_int_equal(store_cmd_put_css(c, STORE_OP_PUT_NEW, &css), 0);
	assert_int_equal(fx_apply(f, c), 0);
}

static void put_pattern(struct fx *f, const char *name, const char *part,
			const char *pattern, const char *trunk)
{
	struct store_route_pattern rp = {0};
	struct store_cmd *c = fx_cmd();

	snprintf(rp.name, sizeof rp.name, "%s", name);
	snprintf(rp.partition, sizeof rp.partition, "%s", part);
	snprintf(rp.pattern, sizeof rp.pattern, "%s", pattern);
	rp.action = trunk ? STORE_ROUTE_TO_TRUNK : STORE_ROUTE_BLOCK;
	snprintf(rp.trunk, sizeof rp.trunk, "%s", trunk ? trunk : "");
	assert_int_equal(store_cmd_put_route_pattern(c, NULL, &rp), 0);
	assert_int_equal(fx_apply(f, c), 0);
}

static int setup(void **state)
{
	static const char *const staff[] = {"internal", "pstn"};
	static const char *const boss[] = {"exec", "internal", "pstn"};
	static const char *const lobby[] = {"block", "internal"};
	struct dp *d = calloc(1, sizeof *d);
	void *fxs = NULL;
	uint8_t id[8];
	char err[128];

	assert_non_null(d);
	assert_int_equal(fx_setup(&fxs), 0);
	d->fx = *(struct fx *)fxs;
	free(fxs);
	snprintf(d->kek, sizeof d->kek, "%s/kek", d->fx.dir);
	assert_int_equal(keystore_new(d->kek, &d->ks), KEYSTORE_OK);
	assert_int_equal(keystore_kek_generate(d->ks, id), KEYSTORE_OK);
	assert_int_equal(keystore_kek_save(d->ks, err, sizeof err),
			 KEYSTORE_OK);
	put_css(&d->fx, "staff", staff, 2);
	put_css(&d->fx, "boss", boss, 3);
	put_css(&d->fx, "lobby", lobby, 2);
	put_device(&d->fx, "SEP000000000001", "1000", "internal", "staff", 0);
	put_device(&d->fx, "SEP000000000002", "2000", "exec", "boss", 0);
	put_device(&d->fx, "SEP000000000003", "3000", "", "lobby", 0);
	put_device(&d->fx, "SEP000000000004", "1000", "internal", "", 0);
	put_device(&d->fx, "gw1", NULL, "", "staff", 1);
	put_pattern(&d->fx, "pstn-out", "pstn", "9!", "gw1");
	put_pattern(&d->fx, "premium", "pstn", "900!", NULL);
	put_pattern(&d->fx, "lobby-out", "block", "9!", NULL);
	put_pattern(&d->fx, "branch", "", "5XXX", "gw1");
	assert_int_equal(sip_dirstore_new(d->fx.s, d->ks, &d->ds), 0);
	sip_dirstore_directory(d->ds, &d->store_dir);
	assert_int_equal(sip_dirmem_parse(dirtext, &d->mem, err, sizeof err),
			 0);
	sip_dirmem_directory(d->mem, &d->mem_dir);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dp *d = *state;
	struct fx *f = malloc(sizeof *f);

	sip_dirmem_free(d->mem);
	sip_dirstore_free(d->ds);
	keystore_free(d->ks);
	*f = d->fx;
	free(d);
	return fx_teardown((void **)&f);
}

/* Asks both directories; both must answer RC, and on 0 list DEVICES (a
 * space-separated list, in any order) in PARTITION. */
static void expect(struct dp *d, const char *caller, const char *number, int rc,
		   const char *devices, const char *partition)
{
	const struct sip_directory *dirs[2] = {&d->store_dir, &d->mem_dir};

	for (int i = 0; i < 2; i++) {
		struct sip_route r;
		char got[256] = "";
		int n;

		memset(&r, 0x55, sizeof r);
		n = dirs[i]->ops->route(dirs[i]->ctx, caller, number, &r);
		if (n != rc)
			fail_msg("%s: %s dials %s: %d, not %d",
				 i ? "mem" : "store", caller, number, n, rc);
		if (rc != 0)
			continue;
		for (unsigned j = 0; j < r.ndevices; j++) {
			if (!strstr(devices, r.devices[j]))
				fail_msg("%s: %s dials %s: %s unexpected",
					 i ? "mem" : "store", caller, number,
					 r.devices[j]);
			strcat(got, r.devices[j]);
			strcat(got, " ");
		}
		assert_int_equal(strlen(got), strlen(devices) + 1);
		assert_string_equal(r.number, number);
		assert_string_equal(r.partition, partition);
	}
}

static void test_route_reaches_lines_of_the_css_partitions(void **state)
{
	struct dp *d = *state;

	/* A shared line rings every device that has it. */
	expect(d, "SEP000000000001", "1000", 0,
	       "SEP000000000001 SEP000000000004", "internal");
	expect(d, "SEP000000000002", "2000", 0, "SEP000000000002", "exec");
	expect(d, "SEP000000000002", "1000", 0,
	       "SEP000000000001 SEP000000000004", "internal");
	/* The none-partition is reached by every CSS, and by no CSS. */
	expect(d, "SEP000000000001", "3000", 0, "SEP000000000003", "");
	expect(d, "SEP000000000004", "3000", 0, "SEP000000000003", "");
	/* A trunk's CSS decides for calls coming in on it. */
	expect(d, "gw1", "1000", 0, "SEP000000000001 SEP000000000004",
	       "internal");
}

static void test_route_patterns_route_and_block(void **state)
{
	struct dp *d = *state;

	expect(d, "SEP000000000001", "91234567", 0, "gw1", "pstn");
	expect(d, "SEP000000000001", "900123", SIP_DIR_FORBIDDEN, NULL, NULL);
	/* The lobby's first partition blocks what a later one would route. */
	expect(d, "SEP000000000003", "91234567", SIP_DIR_FORBIDDEN, NULL, NULL);
	expect(d, "SEP000000000003", "1000", 0,
	       "SEP000000000001 SEP000000000004", "internal");
	expect(d, "SEP000000000004", "5123", 0, "gw1", "");
}

static void test_route_hides_numbers_out_of_reach(void **state)
{
	struct dp *d = *state;

	/* 2000 exists in exec, outside staff: answered as unknown. */
	expect(d, "SEP000000000001", "2000", SIP_DIR_NOTFOUND, NULL, NULL);
	expect(d, "SEP000000000001", "2999", SIP_DIR_NOTFOUND, NULL, NULL);
	/* Without a CSS only the none-partition is reachable. */
	expect(d, "SEP000000000004", "1000", SIP_DIR_NOTFOUND, NULL, NULL);
	expect(d, "SEP000000000004", "91234567", SIP_DIR_NOTFOUND, NULL, NULL);
	expect(d, "SEP000000000001", "10a0", SIP_DIR_NOTFOUND, NULL, NULL);
	/* An unknown caller reaches nothing at all. */
	expect(d, "SEP00000000000F", "3000", SIP_DIR_FORBIDDEN, NULL, NULL);
}

static void test_device_lines_by_the_devices_name(void **state)
{
	struct dp *d = *state;
	const struct sip_directory *dirs[2] = {&d->store_dir, &d->mem_dir};

	for (int i = 0; i < 2; i++) {
		char l[2][SIP_DIR_NAME_MAX];
		const struct sip_directory_ops *o = dirs[i]->ops;

		memset(l, 0, sizeof l);
		assert_int_equal(
		    o->device_lines(dirs[i]->ctx, "SEP000000000004", l, 2), 1);
		assert_string_equal(l[0], "1000");
		/* A line's number is not a device's name here; unknown and
		 * no room give none. */
		assert_int_equal(o->device_lines(dirs[i]->ctx, "1000", l, 2),
				 0);
		assert_int_equal(
		    o->device_lines(dirs[i]->ctx, "SEP00000000000F", l, 2), 0);
		assert_int_equal(
		    o->device_lines(dirs[i]->ctx, "SEP000000000001", l, 0), 0);
	}
}

static void test_route_fails_closed_when_the_callers_css_is_gone(void **state)
{
	struct dp *d = *state;
	struct sip_dirmem *m;
	struct sip_directory md;
	struct sip_route r;
	struct store_cmd *c = fx_cmd();
	char err[128];

	/* Deletes of a CSS in use are refused by the admin API, but not
	 * atomically with a device's edit: a CSS gone from under a device
	 * must not widen what the device reaches. */
	assert_int_equal(store_cmd_del_css(c, "lobby"), 0);
	assert_int_equal(fx_apply(&d->fx, c), 0);
	assert_int_equal(d->store_dir.ops->route(d->store_dir.ctx,
						 "SEP000000000003", "1000", &r),
			 -1);
	assert_int_equal(r.ndevices, 0);
	assert_int_equal(sip_dirmem_parse("device SEP000000000001 line=1 "
					  "css=nowhere\n",
					  &m, err, sizeof err),
			 0);
	sip_dirmem_directory(m, &md);
	assert_int_equal(md.ops->route(md.ctx, "SEP000000000001", "1", &r), -1);
	sip_dirmem_free(m);
}

static void put_cluster(struct fx *f, enum store_security_mode mode)
{
	struct store_cluster cl = {0};
	struct store_cmd *c = fx_cmd();

	snprintf(cl.id, sizeof cl.id, "6f1c2d3e-0000-4000-8000-000000000001");
	snprintf(cl.name, sizeof cl.name, "dp");
	cl.schema_version = STORE_SCHEMA_VERSION;
	cl.security_mode = mode;
	assert_int_equal(store_cmd_put_cluster(c, &cl), 0);
	assert_int_equal(fx_apply(f, c), 0);
}

static enum sip_secmode mode_of(const struct sip_directory *dir,
				const char *name)
{
	struct sip_device dev;

	assert_int_equal(dir->ops->device_by_name(dir->ctx, name, &dev), 0);
	return dev.mode;
}

/* Without device authentication in the cluster (not mixed: no CTL) no
 * certificate vouches for a phone, so both directories give an
 * encrypted-mode device as non-secure — no keys, no level above
 * non-secure for its calls; in a mixed cluster the profile's mode. A
 * cluster record that cannot be read counts as non-secure. */
static void test_profile_mode_in_force_only_in_a_mixed_cluster(void **state)
{
	struct dp *d = *state;
	struct store_phone_profile p = {0};
	struct store_device dev = {0};
	struct store_cmd *c = fx_cmd();
	struct sip_dirmem *mem;
	struct sip_directory md;
	char err[128];

	snprintf(p.name, sizeof p.name, "enc");
	p.mode = STORE_DEVMODE_ENCRYPTED;
	p.transport = STORE_TRANSPORT_TLS;
	p.key_size = 2048;
	assert_int_equal(store_cmd_put_phone_profile(c, STORE_OP_PUT, &p), 0);
	snprintf(dev.name, sizeof dev.name, "SEP0000000000E1");
	dev.kind = STORE_DEVICE_PHONE;
	snprintf(dev.profile, sizeof dev.profile, "enc");
	assert_int_equal(store_cmd_put_device(c, NULL, &dev), 0);
	assert_int_equal(fx_apply(&d->fx, c), 0);
	assert_int_equal(mode_of(&d->store_dir, "SEP0000000000E1"),
			 SIP_SECMODE_NONSECURE);
	put_cluster(&d->fx, STORE_SECURITY_NON_SECURE);
	assert_int_equal(mode_of(&d->store_dir, "SEP0000000000E1"),
			 SIP_SECMODE_NONSECURE);
	put_cluster(&d->fx, STORE_SECURITY_MIXED);
	assert_int_equal(mode_of(&d->store_dir, "SEP0000000000E1"),
			 SIP_SECMODE_ENCRYPTED);

	assert_int_equal(
	    sip_dirmem_parse("device SEP0000000000E1 mode=encrypted "
			     "transports=tls\n"
			     "trunk gw addr=192.0.2.1 mode=encrypted "
			     "transports=tls\n",
			     &mem, err, sizeof err),
	    0);
	sip_dirmem_directory(mem, &md);
	assert_int_equal(mode_of(&md, "SEP0000000000E1"),
			 SIP_SECMODE_NONSECURE);
	assert_int_equal(mode_of(&md, "gw"), SIP_SECMODE_NONSECURE);
	sip_dirmem_cluster(mem)->secure = 1;
	assert_int_equal(mode_of(&md, "SEP0000000000E1"),
			 SIP_SECMODE_ENCRYPTED);
	assert_int_equal(mode_of(&md, "gw"), SIP_SECMODE_ENCRYPTED);
	sip_dirmem_free(mem);
}

static void test_mem_users_get_consecutive_lines(void **state)
{
	struct sip_dirmem *m;
	struct sip_directory md;
	struct sip_route r;
	char err[128];

	(void)state;
	assert_int_equal(sip_dirmem_parse("users u 3 secret-pw line=1000\n", &m,
					  err, sizeof err),
			 0);
	sip_dirmem_directory(m, &md);
	assert_int_equal(md.ops->route(md.ctx, "u0", "1002", &r), 0);
	assert_int_equal(r.ndevices, 1);
	assert_string_equal(r.devices[0], "u2");
	assert_int_equal(md.ops->route(md.ctx, "u0", "1003", &r),
			 SIP_DIR_NOTFOUND);
	sip_dirmem_free(m);
	assert_int_equal(
	    sip_dirmem_parse("users u 3 pw line=1a\n", &m, err, sizeof err),
	    -1);
}

static void test_mem_directory_refuses_malformed_dial_plan_lines(void **state)
{
	static const char *const bad[] = {
	    "pattern 9[]! block\n",
	    "pattern 9! route=\n",
	    "pattern 9! sideways\n",
	    "pattern 9! block partition=bad/name\n",
	    "device SEP000000000001 line=1000@\n",
	    "device SEP000000000001 line=10a0\n",
	    "css x a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q\n",
	};
	struct sip_dirmem *m;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		m = NULL;
		assert_int_equal(sip_dirmem_parse(bad[i], &m, err, sizeof err),
				 -1);
		assert_null(m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_route_reaches_lines_of_the_css_partitions, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_route_patterns_route_and_block,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_profile_mode_in_force_only_in_a_mixed_cluster, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_route_hides_numbers_out_of_reach, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_route_fails_closed_when_the_callers_css_is_gone, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_device_lines_by_the_devices_name, setup, teardown),
	    cmocka_unit_test(test_mem_users_get_consecutive_lines),
	    cmocka_unit_test(
		test_mem_directory_refuses_malformed_dial_plan_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
