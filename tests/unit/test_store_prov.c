/* test_store_prov: the provisioning records — codecs (round trip, strict
 * decoding), names, HA1 values, and the tables written by commands through
 * store_apply: device indexes by line and digest user, guarded edits,
 * deletes that take the LSC and registration along. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/prov.h"
#include "store/srst.h"
#include "tests/unit/test_store_fixture.h"

static void phone(struct store_device *d, const char *name, const char *line,
		  const char *user)
{
	memset(d, 0, sizeof *d);
	snprintf(d->name, sizeof d->name, "%s", name);
	d->kind = STORE_DEVICE_PHONE;
	snprintf(d->model, sizeof d->model, "7970");
	d->caps = STORE_CAP_TLS | STORE_CAP_SRTP;
	snprintf(d->profile, sizeof d->profile, "standard-encrypted");
	if (line) {
		d->n_lines = 1;
		snprintf(d->lines[0], sizeof d->lines[0], "%s", line);
	}
	if (user)
		snprintf(d->digest_user, sizeof d->digest_user, "%s", user);
}

/* ---- codecs ----------------------------------------------------------- */

static void
test_phone_profile_round_trips_and_refuses_trailing_bytes(void **state)
{
	struct store_phone_profile p, q;
	uint8_t buf[STORE_RECORD_MAX + 1];
	size_t len;

	(void)state;
	assert_int_equal(store_phone_profile_default(2, &p), 0);
	p.nonce_validity_s = 600;
	p.created_ms = 5;
	assert_int_equal(store_phone_profile_encode(&p, buf, sizeof buf, &len),
			 0);
	assert_int_equal(store_phone_profile_decode(buf, len, &q), 0);
	assert_memory_equal(&p, &q, sizeof p);
	buf[len] = 0;
	assert_int_equal(store_phone_profile_decode(buf, len + 1, &q),
			 STORE_ECORRUPT);
	for (size_t i = 0; i < len; i++)
		assert_int_not_equal(store_phone_profile_decode(buf, i, &q), 0);
	/* a version 1 record (no SRST reference, 2 bytes shorter) reads */
	buf[0] = 1;
	assert_int_equal(store_phone_profile_decode(buf, len - 2, &q), 0);
	assert_memory_equal(&p, &q, sizeof p);
	assert_int_equal(store_phone_profile_decode(buf, len, &q),
			 STORE_ECORRUPT);
	buf[0] = 3;
	assert_int_equal(store_phone_profile_decode(buf, len, &q),
			 STORE_EVERSION);
	/* v2 carries the SRST reference */
	snprintf(p.srst, sizeof p.srst, "branch-1");
	assert_int_equal(store_phone_profile_encode(&p, buf, sizeof buf, &len),
			 0);
	assert_int_equal(store_phone_profile_decode(buf, len, &q), 0);
	assert_string_equal(q.srst, "branch-1");
	snprintf(p.srst, sizeof p.srst, "../x");
	assert_int_equal(store_phone_profile_encode(&p, buf, sizeof buf, &len),
			 STORE_EINVAL);
}

static void test_profiles_refuse_values_outside_their_enumerations(void **state)
{
	struct store_phone_profile p;
	struct store_trunk_profile t;
	uint8_t buf[STORE_RECORD_MAX];
	size_t len;

	(void)state;
	store_phone_profile_default(0, &p);
	p.mode = 3;
	assert_int_equal(store_phone_profile_encode(&p, buf, sizeof buf, &len),
			 STORE_EINVAL);
	store_phone_profile_default(0, &p);
	p.flags = 1u << 12;
	assert_int_equal(store_phone_profile_encode(&p, buf, sizeof buf, &len),
			 STORE_EINVAL);
	store_phone_profile_default(0, &p);
	p.key_size = 512 + 1;
	assert_int_equal(store_phone_profile_encode(&p, buf, sizeof buf, &len),
			 STORE_EINVAL);
	store_trunk_profile_default(1, &t);
	t.out_transport = STORE_TRANSPORT_TCP_UDP;
	assert_int_equal(store_trunk_profile_encode(&t, buf, sizeof buf, &len),
			 STORE_EINVAL);
	store_trunk_profile_default(1, &t);
	t.in_port = 0;
	assert_int_equal(store_trunk_profile_encode(&t, buf, sizeof buf, &len),
			 STORE_EINVAL);
}

static void test_trunk_profile_and_device_round_trip(void **state)
{
	struct store_trunk_profile t, t2;
	struct store_device d, d2;
	uint8_t buf[STORE_RECORD_MAX];
	size_t len;

	(void)state;
	store_trunk_profile_default(2, &t);
	snprintf(t.x509_subjects, sizeof t.x509_subjects, "gw1.example.org");
	t.flags = STORE_TP_DIGEST_AUTH | STORE_TP_APP_AUTH;
	assert_int_equal(store_trunk_profile_encode(&t, buf, sizeof buf, &len),
			 0);
	assert_int_equal(store_trunk_profile_decode(buf, len, &t2), 0);
	assert_memory_equal(&t, &t2, sizeof t);

	phone(&d, "SEP0011223344AA", "1001", "alice");
	d.n_lines = STORE_LINES_MAX;
	for (int i = 0; i < STORE_LINES_MAX; i++)
		memset(d.lines[i], '7', STORE_DN_MAX - 1);
	memset(d.description, 'x', sizeof d.description - 1);
	memset(d.peer_host, 'h', sizeof d.peer_host - 1);
	d.peer_port = 65535;
	assert_int_equal(store_device_encode(&d, buf, sizeof buf, &len), 0);
	assert_int_equal(store_device_decode(buf, len, &d2), 0);
	assert_memory_equal(&d, &d2, sizeof d);
	d.n_lines = STORE_LINES_MAX + 1;
	assert_int_equal(store_device_encode(&d, buf, sizeof buf, &len),
			 STORE_EINVAL);
}

static void test_user_realm_group_registration_secret_round_trip(void **state)
{
	struct store_user u, u2;
	struct store_realm m, m2;
	struct store_node_group g, g2;
	struct store_registration r, r2;
	struct store_secret s, s2;
	uint8_t buf[STORE_RECORD_MAX];
	size_t len;

	(void)state;
	memset(&u, 0, sizeof u);
	snprintf(u.name, sizeof u.name, "app1");
	u.kind = STORE_USER_APP;
	u.methods = STORE_SIP_INVITE | STORE_SIP_REFER;
	u.ha1_len = STORE_SMALL_WRAPPED_MAX;
	memset(u.ha1_wrapped, 0xa5, sizeof u.ha1_wrapped);
	assert_int_equal(store_user_encode(&u, buf, sizeof buf, &len), 0);
	assert_int_equal(store_user_decode(buf, len, &u2), 0);
	assert_memory_equal(&u, &u2, sizeof u);
	u.methods = 1u << 20;
	assert_int_equal(store_user_encode(&u, buf, sizeof buf, &len),
			 STORE_EINVAL);

	memset(&m, 0, sizeof m);
	snprintf(m.name, sizeof m.name, "carrier.example");
	snprintf(m.user, sizeof m.user, "ward");
	m.password_len = 40;
	assert_int_equal(store_realm_encode(&m, buf, sizeof buf, &len), 0);
	assert_int_equal(store_realm_decode(buf, len, &m2), 0);
	assert_memory_equal(&m, &m2, sizeof m);

	memset(&g, 0, sizeof g);
	snprintf(g.name, sizeof g.name, "east");
	g.n_nodes = 3;
	g.nodes[0] = 2, g.nodes[1] = 1, g.nodes[2] = 3;
	assert_int_equal(store_node_group_encode(&g, buf, sizeof buf, &len), 0);
	assert_int_equal(store_node_group_decode(buf, len, &g2), 0);
	assert_memory_equal(&g, &g2, sizeof g);
	g.nodes[2] = 1; /* twice the same node */
	assert_int_equal(store_node_group_encode(&g, buf, sizeof buf, &len),
			 STORE_EINVAL);

	memset(&r, 0, sizeof r);
	r.node_id = 2;
	r.transport = STORE_TRANSPORT_TLS;
	snprintf(r.source, sizeof r.source, "127.0.0.1:5062");
	r.cert = STORE_REG_CERT_LSC;
	r.expires_ms = 99;
	assert_int_equal(store_registration_encode(&r, buf, sizeof buf, &len),
			 0);
	assert_int_equal(store_registration_decode(buf, len, &r2), 0);
	assert_memory_equal(&r, &r2, sizeof r);

	memset(&s, 0, sizeof s);
	s.wrapped_len = 61;
	assert_int_equal(store_secret_encode(&s, buf, sizeof buf, &len), 0);
	assert_int_equal(store_secret_decode(buf, len, &s2), 0);
	assert_memory_equal(&s, &s2, sizeof s);
	/* A wrapped length past the field is corrupt, not an overread. */
	buf[1 + 8] = 0xff;
	assert_int_equal(store_secret_decode(buf, len, &s2), STORE_ECORRUPT);
}

static void test_names_phone_names_and_directory_numbers(void **state)
{
	(void)state;
	assert_true(store_phone_name_valid("SEP0011223344AA"));
	assert_false(store_phone_name_valid("SEP0011223344aa"));
	assert_false(store_phone_name_valid("SEP0011223344A"));
	assert_false(store_phone_name_valid("SEP0011223344AAB"));
	assert_false(store_phone_name_valid("ATA0011223344AA"));
	assert_false(store_phone_name_valid("SEP00112233G4AA"));
	assert_true(store_prov_name_valid("alice.example-1_x"));
	assert_false(store_prov_name_valid("alice@example.org"));
	assert_false(store_prov_name_valid(""));
	assert_false(store_prov_name_valid("-x"));
	assert_false(store_prov_name_valid("a b"));
	assert_false(store_prov_name_valid("a/b"));
	assert_true(store_dn_valid("+4930123*#"));
	assert_false(store_dn_valid("12a"));
	assert_false(store_dn_valid(""));
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void test_ha1_values_match_rfc_7616(void **state)
{
	uint8_t ha1[STORE_HA1_SET_LEN];
	char h[65];

	(void)state;
	assert_int_equal(store_ha1_compute("Mufasa", "http-auth@example.org",
					   "Circle of Life", ha1),
			 0);
	hex(ha1 + STORE_HA1_MD5_OFF, 16, h);
	assert_string_equal(h, "3d78807defe7de2157e2b0b6573a855f");
	hex(ha1 + STORE_HA1_SHA256_OFF, 32, h);
	assert_string_equal(h, "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9"
			       "a00262392d7b4794232");
	hex(ha1 + STORE_HA1_SHA512_256_OFF, 32, h);
	assert_string_equal(h, "fb174f5c3c7802721517cae13b98e2b8dae2e0118cb70"
			       "5d94ee29946319204ce");
}

static void test_device_check_refuses_what_the_model_cannot_do(void **state)
{
	struct store_phone_profile p;
	struct store_device d;
	char why[256] = "";

	(void)state;
	phone(&d, "SEP0011223344AA", NULL, NULL);
	d.caps = STORE_CAP_TLS;
	store_phone_profile_default(STORE_DEVMODE_ENCRYPTED, &p);
	assert_int_equal(
	    store_device_check_phone_profile(&d, &p, why, sizeof why),
	    STORE_EINVAL);
	assert_non_null(strstr(why, "SRTP"));
	d.caps = 0;
	store_phone_profile_default(STORE_DEVMODE_AUTHENTICATED, &p);
	assert_int_equal(
	    store_device_check_phone_profile(&d, &p, why, sizeof why),
	    STORE_EINVAL);
	assert_non_null(strstr(why, "TLS"));
	store_phone_profile_default(STORE_DEVMODE_NON_SECURE, &p);
	assert_int_equal(
	    store_device_check_phone_profile(&d, &p, why, sizeof why), 0);
	p.flags |= STORE_PP_TFTP_ENCRYPTED;
	assert_int_equal(
	    store_device_check_phone_profile(&d, &p, why, sizeof why),
	    STORE_EINVAL);
	d.caps = STORE_CAP_TLS | STORE_CAP_SRTP | STORE_CAP_ENC_CONFIG;
	store_phone_profile_default(STORE_DEVMODE_ENCRYPTED, &p);
	assert_int_equal(
	    store_device_check_phone_profile(&d, &p, why, sizeof why), 0);
}

/* ---- tables ----------------------------------------------------------- */

struct names {
	int n;
	char name[8][STORE_NAME_MAX];
};

static int collect(void *arg, const struct store_device *d)
{
	struct names *n = arg;

	snprintf(n->name[n->n++], STORE_NAME_MAX, "%s", d->name);
	return 0;
}

static struct names by_line(struct fx *f, const char *dn)
{
	struct names n = {0};
	struct store_read *r = fx_read(f);

	assert_int_equal(store_device_each_by_line(r, dn, collect, &n), 0);
	store_read_end(r);
	return n;
}

static struct names by_user(struct fx *f, const char *user)
{
	struct names n = {0};
	struct store_read *r = fx_read(f);

	assert_int_equal(store_device_each_by_user(r, user, collect, &n), 0);
	store_read_end(r);
	return n;
}

static void test_devices_are_found_by_line_and_digest_user(void **state)
{
	struct fx *f = *state;
	struct store_device a, b;
	struct store_cmd *c;
	struct names n;

	phone(&a, "SEP0011223344AA", "1001", "alice");
	phone(&b, "SEP0011223344BB", "1001", "bob");
	c = fx_cmd();
	assert_int_equal(store_cmd_put_device(c, NULL, &a), 0);
	assert_int_equal(fx_apply(f, c), 0);
	c = fx_cmd();
	assert_int_equal(store_cmd_put_device(c, NULL, &b), 0);
	assert_int_equal(fx_apply(f, c), 0);
	/* A shared line lists both; "100" is not a prefix match of "1001". */
	n = by_line(f, "1001");
	assert_int_equal(n.n, 2);
	assert_string_equal(n.name[0], "SEP0011223344AA");
	assert_string_equal(n.name[1], "SEP0011223344BB");
	assert_int_equal(by_line(f, "100").n, 0);
	n = by_user(f, "bob");
	assert_int_equal(n.n, 1);
	assert_string_equal(n.name[0], "SEP0011223344BB");
	/* Adding the same name again fails and leaves no index behind. */
	phone(&b, "SEP0011223344BB", "2002", "carol");
	c = fx_cmd();
	assert_int_equal(store_cmd_put_device(c, NULL, &b), 0);
	assert_int_equal(fx_apply(f, c), STORE_EEXIST);
	assert_int_equal(by_line(f, "2002").n, 0);
	assert_int_equal(by_user(f, "carol").n, 0);
}

static void test_device_edit_moves_indexes_and_loses_a_race(void **state)
{
	struct fx *f = *state;
	struct store_device a, a2, a3;
	struct store_cmd *c;
	struct store_read *r;

	phone(&a, "SEP0011223344AA", "1001", "alice");
	c = fx_cmd();
	assert_int_equal(store_cmd_put_device(c, NULL, &a), 0);
	assert_int_equal(fx_apply(f, c), 0);
	phone(&a2, "SEP0011223344AA", "1002", "bob");
	phone(&a3, "SEP0011223344AA", "1001", "alice");
	snprintf(a3.description, sizeof a3.description, "other admin");
	c = fx_cmd();
	assert_int_equal(store_cmd_put_device(c, &a, &a2), 0);
	assert_int_equal(fx_apply(f, c), 0);
	assert_int_equal(by_line(f, "1001").n, 0);
	assert_int_equal(by_line(f, "1002").n, 1);
	assert_int_equal(by_user(f, "alice").n, 0);
	assert_int_equal(by_user(f, "bob").n, 1);
	/* An edit made from the record before a2 loses, entirely. */
	c = fx_cmd();
	assert_int_equal(store_cmd_put_device(c, &a, &a3), 0);
	assert_int_equal(fx_apply(f, c), STORE_ENOTFOUND);
	r = fx_read(f);
	assert_int_equal(store_device_get(r, a.name, &a3), 0);
	store_read_end(r);
	assert_memory_equal(&a3, &a2, sizeof a2);
	assert_int_equal(by_line(f, "1002").n, 1);
}

static void test_device_delete_takes_lsc_registration_and_indexes(void **state)
{
	struct fx *f = *state;
	struct store_device a;
	struct store_device_lsc l, l2;
	struct store_registration reg;
	struct store_cmd *c;
	struct store_read *r;
	static const uint8_t der[] = {0x30, 0x03, 0x02, 0x01, 0x01};
	static const uint8_t mic[] = {0x30, 0x03, 0x02, 0x01, 0x02};

	phone(&a, "SEP0011223344AA", "1001", "alice");
	memset(&l, 0, sizeof l);
	snprintf(l.device, sizeof l.device, "%s", a.name);
	l.der = der;
	l.der_len = sizeof der;
	snprintf(l.serial, sizeof l.serial, "0A");
	memset(&reg, 0, sizeof reg);
	snprintf(reg.device, sizeof reg.device, "%s", a.name);
	reg.node_id = 1;
	reg.transport = STORE_TRANSPORT_UDP;
	c = fx_cmd();
	assert_int_equal(store_cmd_put_device(c, NULL, &a), 0);
	assert_int_equal(store_cmd_put_device_lsc(c, &l), 0);
	assert_int_equal(store_cmd_put_registration(c, &reg), 0);
	assert_int_equal(fx_apply(f, c), 0);
	r = fx_read(f);
	assert_int_equal(store_device_lsc_get(r, a.name, &l2), 0);
	assert_int_equal(l2.der_len, sizeof der);
	assert_memory_equal(l2.der, der, sizeof der);
	assert_string_equal(l2.device, a.name);
	/* The MIC is its own record: none yet. */
	assert_int_equal(store_device_mic_get(r, a.name, &l2),
			 STORE_ENOTFOUND);
	store_read_end(r);

	l.der = mic;
	l.der_len = sizeof mic;
	c = fx_cmd();
	assert_int_equal(store_cmd_put_device_mic(c, &l), 0);
	assert_int_equal(fx_apply(f, c), 0);
	r = fx_read(f);
	assert_int_equal(store_device_mic_get(r, a.name, &l2), 0);
	assert_memory_equal(l2.der, mic, sizeof mic);
	assert_string_equal(l2.device, a.name);
	assert_int_equal(store_device_lsc_get(r, a.name, &l2), 0);
	assert_memory_equal(l2.der, der, sizeof der);
	assert_int_equal(store_registration_get(r, a.name, &reg), 0);
	assert_string_equal(reg.device, a.name);
	store_read_end(r);

	c = fx_cmd();
	assert_int_equal(store_cmd_del_device(c, &a), 0);
	assert_int_equal(fx_apply(f, c), 0);
	r = fx_read(f);
	assert_int_equal(store_device_get(r, l.device, &a), STORE_ENOTFOUND);
	assert_int_equal(store_device_lsc_get(r, l.device, &l2),
			 STORE_ENOTFOUND);
	assert_int_equal(store_device_mic_get(r, l.device, &l2),
			 STORE_ENOTFOUND);
	assert_int_equal(store_registration_get(r, l.device, &reg),
			 STORE_ENOTFOUND);
	store_read_end(r);
	assert_int_equal(by_line(f, "1001").n, 0);
	assert_int_equal(by_user(f, "alice").n, 0);
}

static int count_profiles(void *arg, const struct store_phone_profile *p)
{
	(void)p;
	++*(int *)arg;
	return 0;
}

static void test_named_records_put_new_get_each_and_delete(void **state)
{
	struct fx *f = *state;
	struct store_phone_profile p, q;
	struct store_user u, u2;
	struct store_cmd *c;
	struct store_read *r;
	int n = 0;

	c = fx_cmd();
	for (unsigned i = 0; i < STORE_DEFAULT_PROFILES; i++) {
		assert_int_equal(store_phone_profile_default(i, &p), 0);
		assert_int_equal(
		    store_cmd_put_phone_profile(c, STORE_OP_PUT_NEW, &p), 0);
	}
	assert_int_equal(fx_apply(f, c), 0);
	c = fx_cmd();
	assert_int_equal(store_cmd_put_phone_profile(c, STORE_OP_PUT_NEW, &p),
			 0);
	assert_int_equal(fx_apply(f, c), STORE_EEXIST);
	memset(&u, 0, sizeof u);
	snprintf(u.name, sizeof u.name, "alice");
	u.kind = STORE_USER_END;
	c = fx_cmd();
	assert_int_equal(store_cmd_put_user(c, STORE_OP_PUT_NEW, &u), 0);
	assert_int_equal(fx_apply(f, c), 0);
	r = fx_read(f);
	assert_int_equal(store_phone_profile_get(r, "standard-encrypted", &q),
			 0);
	assert_int_equal(q.mode, STORE_DEVMODE_ENCRYPTED);
	assert_int_equal(store_phone_profile_each(r, count_profiles, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(store_user_get(r, "alice", &u2), 0);
	assert_int_equal(store_user_get(r, "", &u2), STORE_EINVAL);
	assert_int_equal(store_user_get(r, "bob", &u2), STORE_ENOTFOUND);
	store_read_end(r);
	c = fx_cmd();
	assert_int_equal(store_cmd_del_phone_profile(c, "standard-encrypted"),
			 0);
	assert_int_equal(fx_apply(f, c), 0);
	c = fx_cmd();
	assert_int_equal(store_cmd_del_phone_profile(c, "standard-encrypted"),
			 0);
	assert_int_equal(fx_apply(f, c), STORE_ENOTFOUND);
}

static void test_record_filed_under_another_name_is_corrupt(void **state)
{
	struct fx *f = *state;
	struct store_user u;
	struct store_cmd *c;
	struct store_read *r;
	uint8_t buf[STORE_RECORD_MAX];
	size_t len;

	memset(&u, 0, sizeof u);
	snprintf(u.name, sizeof u.name, "alice");
	u.kind = STORE_USER_END;
	assert_int_equal(store_user_encode(&u, buf, sizeof buf, &len), 0);
	c = fx_cmd();
	assert_int_equal(store_cmd_op(c, STORE_OP_PUT, STORE_T_USERS, "mallory",
				      7, buf, len),
			 0);
	assert_int_equal(fx_apply(f, c), 0);
	r = fx_read(f);
	assert_int_equal(store_user_get(r, "mallory", &u), STORE_ECORRUPT);
	store_read_end(r);
}

static int count_srst(void *arg, const struct store_srst *s)
{
	(void)s;
	++*(int *)arg;
	return 0;
}

static void test_srst_reference_round_trips_and_is_checked(void **state)
{
	struct fx *f = *state;
	struct store_srst s = {.name = "branch-1",
			       .address = "10.1.2.3",
			       .sip_port = 5060,
			       .tls_port = 5061,
			       .certificate = "0a1b2c3d.0"},
			  t;
	uint8_t buf[STORE_RECORD_MAX + 1];
	struct store_cmd *c;
	struct store_read *r;
	size_t len;
	int n = 0;

	assert_int_equal(store_srst_encode(&s, buf, sizeof buf, &len), 0);
	assert_int_equal(store_srst_decode(buf, len, &t), 0);
	assert_memory_equal(&s, &t, sizeof s);
	for (size_t i = 0; i < len; i++)
		assert_int_not_equal(store_srst_decode(buf, i, &t), 0);
	buf[len] = 0;
	assert_int_equal(store_srst_decode(buf, len + 1, &t), STORE_ECORRUPT);
	/* what the encoder refuses */
	t = s;
	t.sip_port = 0;
	assert_int_equal(store_srst_encode(&t, buf, sizeof buf, &len),
			 STORE_EINVAL);
	t = s;
	t.tls_port = 70000;
	assert_int_equal(store_srst_encode(&t, buf, sizeof buf, &len),
			 STORE_EINVAL);
	t = s;
	snprintf(t.address, sizeof t.address, "10.1.2.3<x>");
	assert_int_equal(store_srst_encode(&t, buf, sizeof buf, &len),
			 STORE_EINVAL);
	t = s;
	snprintf(t.certificate, sizeof t.certificate, "cert.pem");
	assert_int_equal(store_srst_encode(&t, buf, sizeof buf, &len),
			 STORE_EINVAL);

	c = fx_cmd();
	assert_int_equal(store_cmd_put_srst(c, STORE_OP_PUT_NEW, &s), 0);
	assert_int_equal(fx_apply(f, c), 0);
	c = fx_cmd();
	assert_int_equal(store_cmd_put_srst(c, STORE_OP_PUT_NEW, &s), 0);
	assert_int_equal(fx_apply(f, c), STORE_EEXIST);
	r = fx_read(f);
	assert_int_equal(store_srst_get(r, "branch-1", &t), 0);
	assert_memory_equal(&s, &t, sizeof s);
	assert_int_equal(store_srst_get(r, "branch-2", &t), STORE_ENOTFOUND);
	assert_int_equal(store_srst_get(r, "../x", &t), STORE_EINVAL);
	assert_int_equal(store_srst_each(r, count_srst, &n), 0);
	assert_int_equal(n, 1);
	store_read_end(r);
	c = fx_cmd();
	assert_int_equal(store_cmd_del_srst(c, "branch-1"), 0);
	assert_int_equal(fx_apply(f, c), 0);
	c = fx_cmd();
	assert_int_equal(store_cmd_del_srst(c, "branch-1"), 0);
	assert_int_equal(fx_apply(f, c), STORE_ENOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		test_phone_profile_round_trips_and_refuses_trailing_bytes),
	    cmocka_unit_test(
		test_profiles_refuse_values_outside_their_enumerations),
	    cmocka_unit_test(test_trunk_profile_and_device_round_trip),
	    cmocka_unit_test(
		test_user_realm_group_registration_secret_round_trip),
	    cmocka_unit_test(test_names_phone_names_and_directory_numbers),
	    cmocka_unit_test(test_ha1_values_match_rfc_7616),
	    cmocka_unit_test(
		test_device_check_refuses_what_the_model_cannot_do),
	    cmocka_unit_test_setup_teardown(
		test_devices_are_found_by_line_and_digest_user, fx_setup,
		fx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_device_edit_moves_indexes_and_loses_a_race, fx_setup,
		fx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_device_delete_takes_lsc_registration_and_indexes, fx_setup,
		fx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_named_records_put_new_get_each_and_delete, fx_setup,
		fx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_record_filed_under_another_name_is_corrupt, fx_setup,
		fx_teardown),
	    cmocka_unit_test_setup_teardown(
		test_srst_reference_round_trips_and_is_checked, fx_setup,
		fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
